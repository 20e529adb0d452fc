// Observation, screens' queries and the Swift types of ids and times (mirrors
// ObservationTest.kt and core/tests/screens.rs): a command is heard on the changes stream, the
// status stream starts idle, search finds Chinese text, and the tab badges count.
import XCTest
@testable import FieldCore

final class ObservationTests: XCTestCase {
    func testACommandIsHeardOnTheChangesStream() async throws {
        let store = AsyncFieldStore(store: try Fixtures.openStore())
        let id = try await store.register(Fixtures.registration(customer: "石家庄水泵三厂")).id
        let heard = Task { () -> Set<CaseId> in
            for await changed in store.changes() where changed.contains(id) { return changed }
            return []
        }
        // The stream is registered once its task starts iterating; a command then is heard.
        var statuses = store.syncStatuses().makeAsyncIterator()
        let first = await statuses.next()
        XCTAssertEqual(first?.activity, .idle)
        XCTAssertNil(first?.lastSuccessAt)
        try await Task.sleep(nanoseconds: 0)
        try await store.execute(.addNote(text: "Customer prefers mornings"), on: id)
        heard.cancel()
        _ = await heard.value
    }

    func testSearchSortAndCounts() async throws {
        let store = AsyncFieldStore(store: try Fixtures.openStore())
        let pump = try await store.register(Fixtures.registration(customer: "石家庄水泵三厂", serial: "M2406-000001")).id
        _ = try await store.register(Fixtures.registration(customer: "Hebei Motor Works", serial: "M2406-000002"))
        let found = try await store.list(ListQuery(text: "水泵三")).rows
        XCTAssertEqual(found.map(\.caseId), [pump])
        let due = try await store.list(ListQuery(statuses: [.registered, .acknowledged], sort: .nextDue)).rows
        XCTAssertEqual(due.count, 2)
        let counts = try await store.counts()
        XCTAssertEqual(counts.total, 2)
        XCTAssertEqual(counts.byStatus.first?.status, .registered)
    }

    func testTimesAndIdsAreSwiftValues() throws {
        let store = try Fixtures.openStore()
        let view = try store.register(registration: Fixtures.registration())
        let id: UUID = view.id
        XCTAssertEqual(try store.getCase(caseId: id).id, id)
        XCTAssertNotNil(view.updatedAt.date)
        XCTAssertEqual(view.registration.purchaseDate, FieldDate(year: 2026, month: 6, day: 1))
        XCTAssertEqual(Fixtures.timestamp().timeZone, Fixtures.offset)
    }
}
