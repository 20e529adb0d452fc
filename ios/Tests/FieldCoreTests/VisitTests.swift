// A whole field visit offline (mirrors android/.../VisitTest.kt).
import XCTest
@testable import FieldCore

final class VisitTests: XCTestCase {
    func testACompleteVisitOffline() throws {
        let store = try Fixtures.openStore()
        let registered = try store.register(registration: Fixtures.registration())
        let id = registered.id
        XCTAssertEqual(registered.status, .registered)
        XCTAssertTrue(registered.allowedActions.contains(.acknowledge))
        XCTAssertNil(registered.number)
        XCTAssertEqual(registered.registration.purchaseDate, "2026-06-01")

        try store.execute(caseId: id, command: .acknowledge(note: "Called back, visit tomorrow"))
        try store.execute(caseId: id, command: .scheduleVisit(plannedFor: Fixtures.timestamp(Date().addingTimeInterval(72_000))))
        try store.execute(caseId: id, command: .arriveOnSite)

        let nameplate = try store.importPhoto(caseId: id, bytes: Fixtures.jpeg(seed: 7), kind: .nameplate, caption: "Nameplate")
        XCTAssertEqual(nameplate.hash.count, 64)
        let defectFile = try Fixtures.jpegFile(in: Fixtures.tempDir(), name: "defect.jpg", seed: 8)
        let defectPhoto = try store.importPhotoFile(caseId: id, path: defectFile.path, kind: .defect, caption: "Burnt winding")

        let confirmed = try store.execute(caseId: id, command: .confirmDefect(defect: DefectInput(
            cause: .designManufacturing,
            findings: "Insulation failure on phase W",
            measurements: [MeasuredValue(name: "insulation resistance", value: 0.4, unit: "MΩ")],
            evidencePhotos: [defectPhoto.hash]
        ))).view
        XCTAssertEqual(confirmed.status, .defectConfirmed)

        let decided = try store.execute(caseId: id, command: .decideWarranty(evidencePhotos: [nameplate.hash])).view
        let warranty = try XCTUnwrap(decided.warranty).decision
        XCTAssertTrue(warranty.covered, warranty.explanation)
        XCTAssertEqual(warranty.rule, .coveredQualityFault)
        XCTAssertEqual(warranty.periodEnd, "2027-06-01")

        let part = try store.execute(caseId: id, command: .recordPart(part: PartInput(
            partNumber: "BRG-6309", specification: "Bearing 6309-2RS", quantity: 2,
            oldPartKept: true, oldPartSerial: "OLD-1"
        )))
        let lineId = try XCTUnwrap(part.entryId)
        try store.execute(caseId: id, command: .returnOldPart(lineId: lineId))
        try store.execute(caseId: id, command: .addNote(text: "Customer asked for the report by e-mail"))
        try store.execute(caseId: id, command: .resolve(outcome: .partsReplaced, summary: "Rewound phase W, replaced bearings"))
        let signature = try store.importPhoto(caseId: id, bytes: Fixtures.jpeg(width: 400, height: 200, seed: 9), kind: .signature, caption: "")
        try store.execute(caseId: id, command: .confirmCustomer(confirmation: ConfirmationInput(
            customerName: "Li Wei", accepted: true, signatureHash: signature.hash
        )))
        let closed = try store.execute(caseId: id, command: .close).view

        XCTAssertEqual(closed.status, .closed)
        XCTAssertEqual(closed.allowedActions, [.reopen])
        XCTAssertEqual(closed.photos.count, 3)
        XCTAssertTrue(closed.parts[0].oldPartReturned)
        XCTAssertEqual(closed.notes.count, 2)
        XCTAssertNil(closed.nextDue)

        let photos = try store.photos(caseId: id)
        XCTAssertEqual(photos.count, 3)
        XCTAssertTrue(photos.allSatisfy { $0.upload == .pending })
        for photo in photos {
            XCTAssertTrue(FileManager.default.fileExists(atPath: try XCTUnwrap(photo.thumbnailPath)))
        }
        XCTAssertEqual(try store.summary().photosToUpload, 6)
        XCTAssertEqual(try store.getCase(caseId: id), closed)
    }
}
