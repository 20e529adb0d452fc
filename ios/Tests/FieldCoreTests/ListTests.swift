// List screens, search and paging, and the time of a 200-row list call (mirrors ListTest.kt).
import XCTest
@testable import FieldCore

final class ListTests: XCTestCase {
    func testFiltersSearchAndPaging() throws {
        let store = try Fixtures.openStore()
        let customers = ["Hebei Pump Station No. 3", "Shijiazhuang Water Works", "Baoding Farm Cooperative"]
        var ids: [CaseId] = []
        for i in 0..<30 {
            ids.append(try store.register(registration: Fixtures.registration(
                customer: customers[i % 3], serial: String(format: "SN-%04d", i)
            )).id)
        }
        try store.execute(caseId: ids[0], command: .acknowledge())

        let all = try store.listCases(query: ListQuery())
        XCTAssertEqual(all.rows.count, 30)
        XCTAssertEqual(all.rows.first?.caseId, ids[0])
        XCTAssertEqual(try store.listCases(query: ListQuery(customer: "water")).rows.count, 10)
        XCTAssertEqual(try store.listCases(query: ListQuery(serial: "SN-001")).rows.count, 10)
        XCTAssertEqual(try store.listCases(query: ListQuery(status: .registered)).rows.count, 29)

        var seen: [CaseId] = []
        var page = try store.listCases(query: ListQuery(limit: 12))
        while true {
            seen += page.rows.map(\.caseId)
            guard let next = page.next else { break }
            page = try store.listCases(query: ListQuery(limit: 12, after: next))
        }
        XCTAssertEqual(Set(seen), Set(ids))
        XCTAssertEqual(seen.count, 30)
        XCTAssertEqual(try store.findCase(reference: ids[5]), ids[5])
    }

    func testA200RowListCallTakesAFewMilliseconds() throws {
        let store = try Fixtures.openStore()
        for i in 0..<220 {
            _ = try store.register(registration: Fixtures.registration(serial: String(format: "SN-%05d", i)))
        }
        let query = ListQuery(limit: 200)
        for _ in 0..<5 { _ = try store.listCases(query: query) }
        var times: [Double] = []
        for _ in 0..<31 {
            let start = DispatchTime.now().uptimeNanoseconds
            let page = try store.listCases(query: query)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            XCTAssertEqual(page.rows.count, 200)
        }
        times.sort()
        let median = times[times.count / 2]
        print(String(format: "swift list 200 rows: median %.2f ms", median))
        XCTAssertLessThan(median, 50)
    }
}
