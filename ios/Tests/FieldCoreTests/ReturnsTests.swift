// Returns and exchanges offline (the HQ part is android/.../ReturnsTest.kt's): a request and
// the return window, a receipt at the door and the checks A–G its goods raise.
import XCTest
@testable import FieldCore

final class ReturnsTests: XCTestCase {
    private func request(windowOverride: String?) -> ReturnRequest {
        ReturnRequest(
            kind: .exchange,
            items: [ReturnItem(model: "YE3-132M-4", serial: "M2406-118842", quantity: 1,
                               reason: "Burnt winding", fault: "Insulation failure")],
            freight: .company,
            whyNotOnSite: "The stator must be rewound at the factory",
            windowOverride: windowOverride
        )
    }

    func testARequestOutsideTheWindowNeedsAReason() throws {
        let store = try Fixtures.openStore()
        // Bought 2026-06-01 in the home region: the one-month window has ended.
        let id = try store.register(registration: Fixtures.registration()).id
        XCTAssertThrowsError(try store.execute(caseId: id, command: .requestReturn(request: request(windowOverride: nil)))) { error in
            guard case let FieldError.Validation(field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "window_override")
        }
        let view = try store.execute(caseId: id, command: .requestReturn(request: request(windowOverride: "Goodwill: key account"))).view
        let asked = try XCTUnwrap(view.returns.first)
        XCTAssertEqual(asked.state, .awaitingApproval)
        XCTAssertFalse(asked.window.within)
        XCTAssertEqual(asked.waitingFor, ChainStep(step: "review", role: "cs_manager"))
        XCTAssertNil(asked.rma)
    }

    func testLooseGoodsWithoutANumberRaiseTheirChecks() throws {
        let store = try Fixtures.openStore(user: "Zhou Qiang")
        try store.setRole(role: .warehouse)
        let id = try store.register(registration: Fixtures.registration()).id
        let receipt = ReceiptInput(
            rmaNumber: nil,
            counted: [CountedItem(model: "YE3-132M-4", quantity: 2)],
            packing: .loose, labelled: false, sorted: false, defectMarked: false,
            outcome: .accepted
        )
        let view = try store.execute(caseId: id, command: .receiveReturn(receipt: receipt)).view
        let received = try XCTUnwrap(view.unmatchedReceipts.first)
        XCTAssertEqual(received.checks.map { $0.check }, [.a, .c, .g])
        XCTAssertEqual(received.checks[0].reasons, ["the goods carry no RMA number"])
        XCTAssertEqual(received.units, 2)

        let negative = ReceiptInput(
            rmaNumber: nil,
            counted: [CountedItem(model: "YE3-132M-4", quantity: -1)],
            packing: .asRequired, labelled: true, sorted: true, defectMarked: true,
            outcome: .accepted
        )
        XCTAssertThrowsError(try store.execute(caseId: id, command: .receiveReturn(receipt: negative))) { error in
            guard case let FieldError.Validation(field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "quantity")
        }
    }
}
