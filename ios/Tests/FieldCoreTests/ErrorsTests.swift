// Errors arrive as FieldError naming the field (mirrors ErrorsTest.kt).
import XCTest
@testable import FieldCore

final class ErrorsTests: XCTestCase {
    func testValidationNamesTheFieldAndWritesNothing() throws {
        let store = try Fixtures.openStore()
        XCTAssertThrowsError(try store.register(registration: Fixtures.registration(phone: ""))) { error in
            guard case let FieldError.Validation(field, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "customer_phone")
        }
        XCTAssertEqual(try store.summary().caseCount, 0)
    }

    func testAStepTheLifecycleDoesNotAllowNamesTheStatus() throws {
        let store = try Fixtures.openStore()
        let id = try store.register(registration: Fixtures.registration()).id
        XCTAssertThrowsError(try store.execute(caseId: id, command: .close)) { error in
            guard case let FieldError.Validation(field, _, code) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "status")
            XCTAssertEqual(code, "lifecycle.case_registered")
            XCTAssertEqual((error as? FieldError)?.errorCode, .lifecycleCaseRegistered)
        }
    }

    func testUnknownCasesAreNotFound() throws {
        let store = try Fixtures.openStore()
        XCTAssertThrowsError(try store.getCase(caseId: UUID())) { error in
            guard case FieldError.NotFound = error else { return XCTFail("\(error)") }
        }
        // A malformed id cannot be written any more (`CaseId` is Foundation's `UUID`); a
        // reference that matches no case is refused by `findCase`.
        XCTAssertThrowsError(try store.findCase(reference: "2611-0042")) { error in
            guard case let FieldError.Validation(field, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "case")
        }
    }

    func testPhotosTheLibraryCannotReadAreUnsupportedInput() throws {
        let store = try Fixtures.openStore()
        let id = try store.register(registration: Fixtures.registration()).id
        var heic = Data([0, 0, 0, 0x18])
        heic.append("ftypheic".data(using: .ascii)!)
        heic.append(Data(count: 64))
        XCTAssertThrowsError(try store.importPhoto(caseId: id, bytes: heic, kind: .defect, caption: "")) { error in
            guard case let FieldError.UnsupportedInput(reason, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("JPEG"))
        }
    }

    #if FIELDCORE_TEST_HOOKS
    func testAPanicInsideTheLibraryIsAnErrorAndTheStoreRecovers() throws {
        let store = try Fixtures.openStore()
        let id = try store.register(registration: Fixtures.registration()).id
        XCTAssertThrowsError(try store.panicForTest(message: "deliberate test panic")) { error in
            XCTAssertFalse(error is FieldError)
            XCTAssertTrue(String(describing: error).contains("deliberate test panic"))
        }
        XCTAssertEqual(try store.getCase(caseId: id).id, id)
        try store.execute(caseId: id, command: .acknowledge())
        XCTAssertEqual(try store.getCase(caseId: id).status, .acknowledged)
    }
    #endif
}
