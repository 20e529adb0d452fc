// The async layer: calls off the main thread, a photo batch as a stream, and Task
// cancellation stopping the native batch between photos (mirrors CoroutinesTest.kt).
import XCTest
@testable import FieldCore

final class AsyncTests: XCTestCase {
    private func photoFiles(_ count: Int) throws -> [PhotoFile] {
        let dir = try Fixtures.tempDir()
        return try (1...count).map { i in
            PhotoFile(path: try Fixtures.jpegFile(in: dir, name: "p\(i).jpg", seed: 100 + i).path, kind: .defect, caption: "photo \(i)")
        }
    }

    private func openAsync() throws -> AsyncFieldStore {
        AsyncFieldStore(store: try Fixtures.openStore())
    }

    func testCallsRunOffTheMainThread() async throws {
        let store = try openAsync()
        let id = try await store.register(Fixtures.registration()).id
        let onMain = LockedFlag()
        _ = try await store.importPhotos(try photoFiles(1), to: id) { _ in onMain.set(Thread.isMainThread) }
        XCTAssertFalse(onMain.value)
        let rows = try await store.list().rows
        XCTAssertEqual(rows.map(\.caseId), [id])
    }

    func testAPhotoBatchStreamsProgress() async throws {
        let store = try openAsync()
        let id = try await store.register(Fixtures.registration()).id
        var completed: [Int64] = []
        var batch: PhotoBatch?
        for try await event in store.importPhotoEvents(try photoFiles(3), to: id) {
            switch event {
            case .progress(let p): completed.append(p.completed)
            case .done(let b): batch = b
            }
        }
        XCTAssertEqual(completed, [0, 1, 2, 3])
        XCTAssertEqual(batch?.hashes.count, 3)
    }

    func testCancellingTheTaskStopsTheBatchBetweenPhotos() async throws {
        let store = try openAsync()
        let id = try await store.register(Fixtures.registration()).id
        let files = try photoFiles(6)
        let box = TaskBox()
        // Cancel the task once the first photo is in (the callback runs on the store's queue).
        let task = Task {
            try await store.importPhotos(files, to: id) { progress in
                if progress.completed == 1 { box.cancel() }
            }
        }
        box.set(task)
        do {
            _ = try await task.value
            XCTFail("the batch was not cancelled")
        } catch is CancellationError {
        }
        let imported = try await store.photos(of: id).count
        XCTAssertTrue((1..<files.count).contains(imported), "imported \(imported)")
    }
}

/// Cancels a task from another thread, also when asked before the task is known.
final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<PhotoBatch, Error>?
    private var cancelled = false

    func set(_ task: Task<PhotoBatch, Error>) {
        lock.lock()
        self.task = task
        let cancel = cancelled
        lock.unlock()
        if cancel { task.cancel() }
    }

    func cancel() {
        lock.lock()
        cancelled = true
        let task = self.task
        lock.unlock()
        task?.cancel()
    }
}

/// A Bool written from another thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
    func set(_ value: Bool) { lock.lock(); flag = value; lock.unlock() }
}
