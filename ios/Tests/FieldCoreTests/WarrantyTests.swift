// The 三包 rule on its own (mirrors WarrantyTest.kt).
import XCTest
@testable import FieldCore

final class WarrantyTests: XCTestCase {
    private func ask(_ category: String, _ purchase: LocalDate?, _ received: LocalDate, _ cause: Cause, proof: Bool = true) throws -> WarrantyDecision {
        try checkWarranty(question: WarrantyQuestion(
            category: category,
            purchaseDate: purchase,
            proof: proof ? .invoice(number: "F-1") : ProofOfPurchase.none,
            receivedDate: received,
            cause: cause
        ))
    }

    func testHalfAYearFrom31AugustEndsOnTheLastDayOfFebruary() throws {
        let d = try ask("pump", "2025-08-31", "2026-02-28", .designManufacturing)
        XCTAssertTrue(d.covered)
        XCTAssertEqual(d.months, 6)
        XCTAssertEqual(d.periodEnd, "2026-02-28")
    }

    func testEachRule() throws {
        XCTAssertEqual(try ask("motor", "2025-03-01", "2026-03-02", .designManufacturing).rule, .outOfPeriod)
        XCTAssertEqual(try ask("motor", "2025-03-01", "2025-04-01", .customerMisuse).rule, .nonQualityFault)
        XCTAssertEqual(try ask("motor", "2025-03-01", "2025-04-01", .designManufacturing, proof: false).rule, .noProofOfPurchase)
        XCTAssertEqual(try ask("fan", "2025-03-01", "2025-04-01", .designManufacturing).rule, .notInScope)
    }

    func testAMalformedDateIsRefusedWithTheField() {
        XCTAssertThrowsError(try ask("pump", "31/08/2025", "2026-02-28", .designManufacturing)) { error in
            guard case let FieldError.Validation(field, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "date")
        }
    }
}
