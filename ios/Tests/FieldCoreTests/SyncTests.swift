// Sync against a real HQ (mirrors SyncTest.kt). Needs a running fieldhq with one engineer and
// two enrolled devices, passed in the test scheme's environment: FIELDCORE_HQ_URL,
// FIELDCORE_HQ_TOKEN (the phone) and FIELDCORE_HQ_TOKEN_TABLET; skipped without them. The
// simulator shares the Mac's loopback, so `fieldhq serve --addr 127.0.0.1:0` on the Mac works
// (android/jvm-test/run.sh shows the set-up).
import Foundation
import XCTest
@testable import FieldCore

/// The engineer's two devices, opened once for all tests: HQ binds a token to the first
/// install that syncs with it, so a second store on the same token would be refused.
enum Devices {
    static let environment = ProcessInfo.processInfo.environment
    static let url = environment["FIELDCORE_HQ_URL"]
    static let phoneToken = environment["FIELDCORE_HQ_TOKEN"]
    static let tabletToken = environment["FIELDCORE_HQ_TOKEN_TABLET"]

    static let phone: FieldStore? = try? Fixtures.openStore(user: "Wang Fang")
    static let tablet: FieldStore? = try? Fixtures.openStore(user: "Wang Fang")

    static var phoneConfig: SyncConfig { config(token: phoneToken ?? "") }
    static var tabletConfig: SyncConfig { config(token: tabletToken ?? "") }

    /// Records are immutable in the generated Swift: a changed setting is a new record.
    static func config(token: String, maxAttempts: Int32? = nil) -> SyncConfig {
        SyncConfig(hqUrl: url ?? "", token: token, maxAttempts: maxAttempts)
    }

    static func require() throws -> (phone: FieldStore, tablet: FieldStore) {
        guard url != nil, phoneToken != nil, tabletToken != nil, let phone = phone, let tablet = tablet else {
            throw XCTSkip("no HQ on loopback (FIELDCORE_HQ_URL unset)")
        }
        return (phone, tablet)
    }
}

/// Collects progress updates from the library's thread.
final class Recorder: ProgressListener, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [ProgressUpdate] = []
    var updates: [ProgressUpdate] { lock.lock(); defer { lock.unlock() }; return collected }
    func onProgress(progress: ProgressUpdate) { lock.lock(); collected.append(progress); lock.unlock() }
}

/// Cancels the sync's token on its first progress update.
final class CancelOnFirstUpdate: ProgressListener, @unchecked Sendable {
    let token: CancelToken
    init(_ token: CancelToken) { self.token = token }
    func onProgress(progress: ProgressUpdate) { token.cancel() }
}

final class SyncTests: XCTestCase {
    private func isOfficialNumber(_ text: String) -> Bool {
        text.range(of: #"^\d{4}-\d{4,}$"#, options: .regularExpression) != nil
    }

    func testACaseRegisteredOfflineGetsItsHqNumberThroughSync() throws {
        let store = try Devices.require().phone
        let registered = try store.register(registration: Fixtures.registration(serial: "SYNC-0001"))
        XCTAssertNil(registered.number)
        XCTAssertEqual(registered.syncState, .pending)

        let recorder = Recorder()
        let report = try store.sync(config: Devices.phoneConfig, listener: recorder, cancel: nil)
        XCTAssertGreaterThanOrEqual(report.progress.pushedCases, 1)
        XCTAssertEqual(report.progress.pendingCases, 0)
        let first = try XCTUnwrap(recorder.updates.first)
        XCTAssertEqual(first.stage, .syncingCases)
        XCTAssertNotNil(first.sync)

        // The number comes back in the same sync's next round or, at the latest, the next sync.
        var view = try store.getCase(caseId: registered.id)
        if view.number == nil {
            _ = try store.sync(config: Devices.phoneConfig, listener: nil, cancel: nil)
            view = try store.getCase(caseId: registered.id)
        }
        let number = try XCTUnwrap(view.number)
        XCTAssertTrue(isOfficialNumber(number), number)
        XCTAssertEqual(view.syncState, .synced)
        XCTAssertEqual(try store.findCase(reference: number), registered.id)
        XCTAssertEqual(try store.summary().unsyncedChanges, 0)

        let idle = try store.sync(config: Devices.phoneConfig, listener: nil, cancel: nil)
        XCTAssertEqual(idle.progress.pushedCases, 0)
    }

    func testPhotosGoUpWithTheSyncAndATabletFetchesThemOnDemand() throws {
        let (store, tablet) = try Devices.require()
        let id = try store.register(registration: Fixtures.registration(serial: "SYNC-PHOTO")).id
        let hashes = try (1...2).map { seed in
            try store.importPhoto(caseId: id, bytes: Fixtures.jpeg(width: 640, height: 480, seed: seed), kind: .defect, caption: "").hash
        }
        let recorder = Recorder()
        let report = try store.sync(config: Devices.phoneConfig, listener: recorder, cancel: nil)
        // Each photo is uploaded with its thumbnail.
        XCTAssertEqual(report.progress.photosUploaded, 4)
        let uploads = recorder.updates.filter { $0.stage == .uploadingPhotos }
        XCTAssertEqual(uploads.map(\.completed), [1, 2, 3, 4])
        XCTAssertEqual(try store.summary().photosToUpload, 0)

        let pulled = try tablet.sync(config: Devices.tabletConfig, listener: nil, cancel: nil)
        XCTAssertGreaterThanOrEqual(pulled.progress.pulledCases, 1)
        let onTablet = try tablet.getCase(caseId: id)
        XCTAssertEqual(Set(onTablet.photos.map(\.hash)), Set(hashes))
        XCTAssertNil(try tablet.photoPath(hash: hashes[0]))
        let fetched = try tablet.fetchPhoto(config: Devices.tabletConfig, hash: hashes[0], cancel: nil)
        let original = try XCTUnwrap(try store.photoPath(hash: hashes[0]))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fetched)), try Data(contentsOf: URL(fileURLWithPath: original)))
        XCTAssertThrowsError(try tablet.fetchPhoto(config: Devices.tabletConfig, hash: String(repeating: "0", count: 64), cancel: nil)) { error in
            guard case FieldError.NotFound = error else { return XCTFail("got \(error)") }
        }
    }

    func testACancelledSyncThrowsCancelledAndKeepsWhatItFinished() throws {
        let store = try Devices.require().phone
        let early = CancelToken()
        early.cancel()
        XCTAssertThrowsError(try store.sync(config: Devices.phoneConfig, listener: nil, cancel: early)) { error in
            XCTAssertEqual(error as? FieldError, .Cancelled)
        }

        let id = try store.register(registration: Fixtures.registration(serial: "SYNC-CANCEL")).id
        _ = try store.importPhoto(caseId: id, bytes: Fixtures.jpeg(width: 640, height: 480, seed: 7), kind: .nameplate, caption: "")
        let token = CancelToken()
        XCTAssertThrowsError(try store.sync(config: Devices.phoneConfig, listener: CancelOnFirstUpdate(token), cancel: token)) { error in
            XCTAssertEqual(error as? FieldError, .Cancelled)
        }
        XCTAssertEqual(try store.getCase(caseId: id).syncState, .synced)
        XCTAssertEqual(try store.summary().photosToUpload, 2)

        let resumed = try store.sync(config: Devices.phoneConfig, listener: nil, cancel: nil)
        XCTAssertEqual(resumed.progress.photosUploaded, 2)
        XCTAssertEqual(try store.summary().photosToUpload, 0)
    }

    func testTheAsyncLayerSyncsAndStreamsProgress() async throws {
        let phone = try Devices.require().phone
        let store = AsyncFieldStore(store: phone)
        let id = try await store.register(Fixtures.registration(serial: "SYNC-FLOW")).id
        let onMain = LockedFlag()
        let report = try await store.sync(Devices.phoneConfig) { _ in onMain.set(Thread.isMainThread) }
        XCTAssertGreaterThanOrEqual(report.progress.pushedCases, 1)
        XCTAssertFalse(onMain.value)
        let view = try await store.view(of: id)
        XCTAssertEqual(view.syncState, .synced)

        var done: SyncReport?
        for try await event in store.syncEvents(Devices.phoneConfig) {
            if case .done(let r) = event { done = r }
        }
        XCTAssertNotNil(done)

        let wrong = Devices.config(token: "not-a-token")
        do {
            try await store.sync(wrong)
            XCTFail("a wrong token was accepted")
        } catch FieldError.Unauthorized {
        }
    }

    func testAWrongTokenIsUnauthorizedAndAnUnreachableHqIsNetwork() throws {
        _ = try Devices.require()
        let store = try Fixtures.openStore()
        _ = try store.register(registration: Fixtures.registration(serial: "SYNC-REFUSED"))
        let wrong = Devices.config(token: "fhq_this-token-was-never-issued")
        XCTAssertThrowsError(try store.sync(config: wrong, listener: nil, cancel: nil)) { error in
            guard case FieldError.Unauthorized = error else { return XCTFail("got \(error)") }
        }
        XCTAssertGreaterThan(try store.summary().unsyncedChanges, 0)

        let nowhere = SyncConfig(hqUrl: "http://127.0.0.1:1", token: "t", maxAttempts: 1)
        XCTAssertThrowsError(try store.sync(config: nowhere, listener: nil, cancel: nil)) { error in
            guard case FieldError.Network = error else { return XCTFail("got \(error)") }
        }
        let zero = Devices.config(token: Devices.phoneToken ?? "", maxAttempts: 0)
        XCTAssertThrowsError(try store.sync(config: zero, listener: nil, cancel: nil)) { error in
            guard case FieldError.Validation(let field, _, _) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(field, "max_attempts")
        }
    }
}
