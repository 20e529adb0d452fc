// The idiomatic Swift face of FieldCore: async functions that run the blocking native calls on
// a background dispatch queue (never the main thread, never Swift's cooperative pool), an
// AsyncThrowingStream for long calls with progress, and Task cancellation wired to the
// library's CancelToken. The generated API (FieldStore, records, FieldError) is in Generated/.
import Foundation

/// A `FieldStore` for async code. Open one per database for the app's lifetime and keep it
/// (an app-wide service object); the database closes when the last reference goes.
///
/// Errors are `FieldError` (for example `.Validation(field:reason:)`); a panic inside the
/// library arrives as another `Error` whose description holds the panic message.
public final class AsyncFieldStore: @unchecked Sendable {
    /// The blocking API underneath, for code already on a background thread.
    public let store: FieldStore
    /// Concurrent: the library serialises writes itself and reads beside them, so a list or a
    /// case never queues behind a sync or a photo batch here either.
    private let queue: DispatchQueue
    private let hub = ObservationHub()

    public init(store: FieldStore, queue: DispatchQueue = DispatchQueue(label: "com.fieldcore.store", qos: .userInitiated, attributes: .concurrent)) {
        self.store = store
        self.queue = queue
        store.setObserver(observer: hub)
    }

    deinit {
        store.setObserver(observer: nil)
    }

    /// The ids of cases that changed, after every command and every sync round (other
    /// devices' changes arriving included): a screen reloads when its cases are in the set.
    /// Each call makes a new stream; it ends when the iterating task is cancelled.
    public func changes() -> AsyncStream<Set<CaseId>> {
        hub.changes()
    }

    /// The sync banner's states, starting with the current one.
    public func syncStatuses() -> AsyncStream<SyncStatus> {
        hub.statuses(startingWith: store.syncStatus())
    }

    /// Tab badges: cases per status, overdue, in conflict.
    public func counts() async throws -> CaseCounts {
        try await run { try $0.counts() }
    }

    /// Opens (or creates) the database at `url` (photos go to `<name>.blobs/` beside it) for
    /// `user`, off the calling thread. See `FieldCoreFiles.databaseURL()` for where it lives.
    public static func open(url: URL, user: String) async throws -> AsyncFieldStore {
        let queue = DispatchQueue(label: "com.fieldcore.store", qos: .userInitiated, attributes: .concurrent)
        let store: FieldStore = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try FieldStore.open(path: url.path, user: user) })
            }
        }
        return AsyncFieldStore(store: store, queue: queue)
    }

    private func run<T>(_ work: @escaping (FieldStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store] in
                continuation.resume(with: Result { try work(store) })
            }
        }
    }

    public func register(_ registration: Registration) async throws -> CaseView {
        try await run { try $0.register(registration: registration) }
    }

    public func view(of id: CaseId) async throws -> CaseView {
        try await run { try $0.getCase(caseId: id) }
    }

    /// A case by full id, an id prefix (4+ characters) or its official number.
    public func find(_ reference: String) async throws -> CaseId {
        try await run { try $0.findCase(reference: reference) }
    }

    /// One page of a list screen; pass `page.next` as `ListQuery.after` for the next one.
    public func list(_ query: ListQuery = ListQuery()) async throws -> CasePage {
        try await run { try $0.listCases(query: query) }
    }

    @discardableResult
    public func execute(_ command: CaseCommand, on id: CaseId) async throws -> CommandResult {
        try await run { try $0.execute(caseId: id, command: command) }
    }

    // Returns and exchanges (退换货): each is one `execute` of the matching `CaseCommand`; the
    // return's state, checks A–G and deadlines are in `CaseView.returns` of the result.

    /// Requests a return or exchange (产品退换维修单); HQ's approval chain decides it and the RMA
    /// number arrives with a sync. The request's id is `CommandResult.entryId`.
    @discardableResult
    public func requestReturn(_ request: ReturnRequest, on id: CaseId) async throws -> CommandResult {
        try await execute(.requestReturn(request: request), on: id)
    }

    /// Records returned goods at the door (退货产品接收单), offline too: checks A–G are made
    /// against the RMA numbers this device holds, and again when a sync brings more.
    @discardableResult
    public func receiveReturn(_ receipt: ReceiptInput, on id: CaseId) async throws -> CommandResult {
        try await execute(.receiveReturn(receipt: receipt), on: id)
    }

    @discardableResult
    public func amendReceipt(_ amendment: ReceiptAmendment, on id: CaseId) async throws -> CommandResult {
        try await execute(.amendReceipt(amendment: amendment), on: id)
    }

    /// The re-inspection of one received unit (its serial, or its position 1, 2, …).
    @discardableResult
    public func inspectReturnUnit(receipt: String, unit: String, result: InspectionResult, on id: CaseId) async throws -> CommandResult {
        try await execute(.inspectReturnUnit(receipt: receipt, unit: unit, result: result), on: id)
    }

    /// The case's returns, oldest request first.
    public func returns(of id: CaseId) async throws -> [CaseReturn] {
        try await view(of: id).returns
    }

    /// The role of the user working now, as HQ has it (`nil`: not known): a command the role
    /// may not run (a receipt from an engineer's phone) then fails at once.
    public func setRole(_ role: Role?) async throws {
        try await run { try $0.setRole(role: role) }
    }

    public func checkWarranty(_ question: WarrantyQuestion) async throws -> WarrantyDecision {
        try await run { try $0.checkWarranty(question: question) }
    }

    public func importPhoto(_ jpeg: Data, kind: PhotoKind, caption: String = "", to id: CaseId) async throws -> PhotoImport {
        try await run { try $0.importPhoto(caseId: id, bytes: jpeg, kind: kind, caption: caption) }
    }

    public func importPhoto(file: URL, kind: PhotoKind, caption: String = "", to id: CaseId) async throws -> PhotoImport {
        try await run { try $0.importPhotoFile(caseId: id, path: file.path, kind: kind, caption: caption) }
    }

    /// Imports several photo files, returning when done. `progress` is called on the store's
    /// queue after each photo. Cancelling the task stops the batch between photos (the ones
    /// already imported stay) and throws `CancellationError`.
    public func importPhotos(
        _ files: [PhotoFile],
        to id: CaseId,
        progress: @escaping @Sendable (ProgressUpdate) -> Void = { _ in }
    ) async throws -> PhotoBatch {
        let listener = ProgressRelay(progress)
        return try await cancellable { store, token in
            try store.importPhotos(caseId: id, files: files, listener: listener, cancel: token)
        }
    }

    /// The same batch as a stream: `.progress` after each photo, then one `.done`. Ending the
    /// iteration early (or cancelling its task) cancels the batch between photos.
    public func importPhotoEvents(_ files: [PhotoFile], to id: CaseId) -> AsyncThrowingStream<ImportEvent, Error> {
        AsyncThrowingStream { continuation in
            let token = CancelToken()
            let listener = ProgressRelay { continuation.yield(.progress($0)) }
            continuation.onTermination = { @Sendable termination in
                if case .cancelled = termination { token.cancel() }
            }
            queue.async { [store] in
                do {
                    let batch = try store.importPhotos(caseId: id, files: files, listener: listener, cancel: token)
                    continuation.yield(.done(batch))
                    continuation.finish()
                } catch FieldError.Cancelled {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    public func photos(of id: CaseId) async throws -> [PhotoInfo] {
        try await run { try $0.photos(caseId: id) }
    }

    /// The JPEG file of a photo or thumbnail, or nil when it is not on this device yet.
    public func photoURL(hash: String) async throws -> URL? {
        try await run { try $0.photoPath(hash: hash).map { URL(fileURLWithPath: $0) } }
    }

    /// Syncs with HQ, returning when done (seconds; longer with many photos on a slow network).
    /// `progress` is called on the store's queue after each round trip (`.syncingCases`) and
    /// each photo upload (`.uploadingPhotos`). Cancelling the task (a BGTask's expiration
    /// handler, leaving the screen) stops the sync at its next safe point and throws
    /// `CancellationError`; what it finished stays stored and the next sync resumes. HQ
    /// unreachable after the retries: `FieldError.Network`; token refused: `.Unauthorized`.
    @discardableResult
    public func sync(
        _ config: SyncConfig,
        progress: @escaping @Sendable (ProgressUpdate) -> Void = { _ in }
    ) async throws -> SyncReport {
        let listener = ProgressRelay(progress)
        return try await cancellable { store, token in
            try store.sync(config: config, listener: listener, cancel: token)
        }
    }

    /// The same sync as a stream: `.progress` after each step, then one `.done` with the
    /// report. Ending the iteration early (or cancelling its task) cancels the sync.
    public func syncEvents(_ config: SyncConfig) -> AsyncThrowingStream<SyncEvent, Error> {
        AsyncThrowingStream { continuation in
            let token = CancelToken()
            let listener = ProgressRelay { continuation.yield(.progress($0)) }
            continuation.onTermination = { @Sendable termination in
                if case .cancelled = termination { token.cancel() }
            }
            queue.async { [store] in
                do {
                    let report = try store.sync(config: config, listener: listener, cancel: token)
                    continuation.yield(.done(report))
                    continuation.finish()
                } catch FieldError.Cancelled {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }

    /// The JPEG of a photo or thumbnail taken on another device, downloaded from HQ when it is
    /// not on this device yet. `FieldError.NotFound` when HQ does not have it either.
    public func fetchPhoto(hash: String, config: SyncConfig) async throws -> URL {
        let path = try await cancellable { store, token in
            try store.fetchPhoto(config: config, hash: hash, cancel: token)
        }
        return URL(fileURLWithPath: path)
    }

    public func collectGarbage() async throws -> Collected {
        try await run { try $0.collectGarbage() }
    }

    public func summary() async throws -> StoreSummary {
        try await run { try $0.summary() }
    }

    public func setUser(_ user: String) async throws {
        try await run { try $0.setUser(user: user) }
    }

    /// Runs a call that takes a `CancelToken`, cancelling the token when the task is cancelled.
    /// The native call stops at its next safe point; its `FieldError.Cancelled` becomes
    /// `CancellationError`. Photo batches, sync and photo downloads use it.
    func cancellable<T>(_ work: @escaping (FieldStore, CancelToken) throws -> T) async throws -> T {
        let token = CancelToken()
        do {
            return try await withTaskCancellationHandler {
                try await run { try work($0, token) }
            } onCancel: {
                token.cancel()
            }
        } catch FieldError.Cancelled {
            throw CancellationError()
        }
    }
}

/// What `AsyncFieldStore.importPhotoEvents` yields.
public enum ImportEvent: @unchecked Sendable {
    case progress(ProgressUpdate)
    case done(PhotoBatch)
}

/// What `AsyncFieldStore.syncEvents` yields.
public enum SyncEvent: @unchecked Sendable {
    case progress(ProgressUpdate)
    case done(SyncReport)
}

/// The library's `StoreObserver`, fanned out to every stream a screen asked for.
final class ObservationHub: StoreObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var changeContinuations: [UUID: AsyncStream<Set<CaseId>>.Continuation] = [:]
    private var statusContinuations: [UUID: AsyncStream<SyncStatus>.Continuation] = [:]

    /// `work` under the lock (iOS 15 has no `NSLock.withLock`).
    private func locked<T>(_ work: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return work()
    }

    func changes() -> AsyncStream<Set<CaseId>> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let key = UUID()
            locked { changeContinuations[key] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.locked { _ = self?.changeContinuations.removeValue(forKey: key) }
            }
        }
    }

    func statuses(startingWith current: SyncStatus) -> AsyncStream<SyncStatus> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let key = UUID()
            continuation.yield(current)
            locked { statusContinuations[key] = continuation }
            continuation.onTermination = { [weak self] _ in
                self?.locked { _ = self?.statusContinuations.removeValue(forKey: key) }
            }
        }
    }

    func onCasesChanged(caseIds: [CaseId]) {
        let ids = Set(caseIds)
        for continuation in locked({ Array(changeContinuations.values) }) {
            continuation.yield(ids)
        }
    }

    func onSyncStatus(status: SyncStatus) {
        for continuation in locked({ Array(statusContinuations.values) }) {
            continuation.yield(status)
        }
    }
}

/// The user-facing text of an error (in the `setLocale` language) for alerts, and a stable
/// code for the app's own texts and logs (the same strings as `SyncFailure.code`).
extension FieldError: LocalizedError {
    public var code: String {
        switch self {
        case .Validation: return "validation"
        case .UpdateRequired: return "update_required"
        case .NotFound: return "not_found"
        case .Conflict: return "conflict"
        case .Storage: return "storage"
        case .Network: return "network"
        case .Unauthorized: return "unauthorized"
        case .Cancelled: return "cancelled"
        case .UnsupportedInput: return "unsupported_input"
        case .Internal: return "internal"
        }
    }

    public var errorDescription: String? {
        switch self {
        case let .Validation(_, reason): return reason
        case let .UpdateRequired(reason): return reason
        case let .NotFound(reason): return reason
        case let .Conflict(_, reason): return reason
        case let .Storage(reason): return reason
        case let .Network(reason): return reason
        case let .Unauthorized(reason): return reason
        case .Cancelled: return currentLocale() == .zhCn ? "已取消" : "Cancelled"
        case let .UnsupportedInput(reason): return reason
        case let .Internal(reason): return reason
        }
    }
}

/// Adapts a closure to the library's `ProgressListener`.
final class ProgressRelay: ProgressListener, @unchecked Sendable {
    private let handler: @Sendable (ProgressUpdate) -> Void

    init(_ handler: @escaping @Sendable (ProgressUpdate) -> Void) {
        self.handler = handler
    }

    func onProgress(progress: ProgressUpdate) {
        handler(progress)
    }
}

/// Where FieldCore's files live on iOS.
public enum FieldCoreFiles {
    /// `Application Support/FieldCore/fieldcore.db`, created if missing and excluded from
    /// iCloud and iTunes backups (a restored copy would carry another device's identity and
    /// unsynced work). Photos go to `fieldcore.db.blobs/` in the same excluded folder.
    public static func databaseURL(name: String = "fieldcore.db") throws -> URL {
        var folder = try FileManager.default
            .url(for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true)
            .appendingPathComponent("FieldCore", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try folder.setResourceValues(values)
        return folder.appendingPathComponent(name)
    }
}
