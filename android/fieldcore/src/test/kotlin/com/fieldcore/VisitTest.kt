// A whole field visit offline through the generated bindings, as an app would make it:
// register, acknowledge, visit, photo, defect, warranty, parts, resolution, confirmation, close.
package com.fieldcore

import java.io.File
import java.time.LocalDate
import java.time.OffsetDateTime
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class VisitTest {
    @Test
    fun `a complete visit offline`() {
        Fixtures.openStore().use { store ->
            val registered = store.register(Fixtures.registration())
            val id = registered.id
            assertEquals(Status.REGISTERED, registered.status)
            assertTrue(CaseAction.ACKNOWLEDGE in registered.allowedActions)
            assertNull(registered.number, "the official number comes from HQ")
            assertEquals(LocalDate.of(2026, 6, 1), registered.registration.purchaseDate)

            store.execute(id, CaseCommand.Acknowledge(note = "Called back, visit tomorrow"))
            val planned = OffsetDateTime.now(Fixtures.offset).plusHours(20).withNano(0)
            val scheduled = store.execute(id, CaseCommand.ScheduleVisit(planned)).view
            val visit = scheduled.visits.single().kind as VisitKind.Scheduled
            assertEquals(planned.toInstant(), visit.plannedFor.toInstant())
            assertEquals(planned.offset, visit.plannedFor.offset, "the offset survives the trip")
            store.execute(id, CaseCommand.ArriveOnSite)

            // Evidence photos: the nameplate as bytes, the defect from a file.
            val nameplate = store.importPhoto(id, Fixtures.jpeg(seed = 7), PhotoKind.NAMEPLATE, "Nameplate")
            assertEquals(64, nameplate.hash.length)
            val defectFile = Fixtures.jpegFile(Fixtures.tempDir(), "defect.jpg", seed = 8)
            val defectPhoto = store.importPhotoFile(id, defectFile.path, PhotoKind.DEFECT, "Burnt winding")

            val confirmed = store.execute(
                id,
                CaseCommand.ConfirmDefect(
                    DefectInput(
                        cause = Cause.DESIGN_MANUFACTURING,
                        findings = "Insulation failure on phase W",
                        measurements = listOf(MeasuredValue("insulation resistance", 0.4, "MΩ")),
                        evidencePhotos = listOf(defectPhoto.hash),
                    ),
                ),
            ).view
            assertEquals(Status.DEFECT_CONFIRMED, confirmed.status)
            assertEquals(true, confirmed.defect?.qualityFault)

            val decided = store.execute(id, CaseCommand.DecideWarranty(evidencePhotos = listOf(nameplate.hash))).view
            val warranty = assertNotNull(decided.warranty).decision
            assertTrue(warranty.covered, warranty.explanation)
            assertEquals(WarrantyRule.COVERED_QUALITY_FAULT, warranty.rule)
            assertEquals(LocalDate.of(2027, 6, 1), warranty.periodEnd)
            assertTrue("covered" in warranty.explanation)

            val part = store.execute(
                id,
                CaseCommand.RecordPart(
                    PartInput(
                        partNumber = "BRG-6309",
                        specification = "Bearing 6309-2RS",
                        quantity = 2,
                        oldPartKept = true,
                        oldPartSerial = "OLD-1",
                    ),
                ),
            )
            val lineId = assertNotNull(part.entryId)
            store.execute(id, CaseCommand.ReturnOldPart(lineId))
            store.execute(id, CaseCommand.AddNote("Customer asked for the report by e-mail"))
            store.execute(id, CaseCommand.Resolve(Outcome.PARTS_REPLACED, "Rewound phase W, replaced bearings"))

            val signature = store.importPhoto(id, Fixtures.jpeg(400, 200, seed = 9), PhotoKind.SIGNATURE)
            store.execute(
                id,
                CaseCommand.ConfirmCustomer(
                    ConfirmationInput(customerName = "Li Wei", accepted = true, signatureHash = signature.hash),
                ),
            )
            val closed = store.execute(id, CaseCommand.Close).view

            assertEquals(Status.CLOSED, closed.status)
            assertTrue(closed.allowedActions == listOf(CaseAction.REOPEN))
            assertEquals(3, closed.photos.size)
            assertTrue(closed.parts.single().oldPartReturned)
            assertEquals("Wang Fang", closed.parts.single().recorded.by)
            assertEquals(2, closed.notes.size)
            assertEquals(Outcome.PARTS_REPLACED, closed.resolution?.outcome)
            assertEquals(signature.hash, closed.confirmations.single().confirmation.signatureHash)
            assertTrue(closed.events.size >= 12, "one audit event per command")
            assertNull(closed.nextDue, "a closed case has no deadline")

            // The photos are files on the device, waiting for upload.
            val photos = store.photos(id)
            assertEquals(3, photos.size)
            assertTrue(photos.all { it.upload == UploadState.PENDING })
            photos.forEach { assertTrue(File(assertNotNull(it.thumbnailPath)).isFile) }
            assertTrue(File(assertNotNull(store.photoPath(nameplate.hash))).isFile)

            val summary = store.summary()
            assertEquals(1L, summary.caseCount)
            assertEquals(6L, summary.photosToUpload, "three photos and three thumbnails")
            assertTrue(summary.unsyncedChanges >= 12L)

            // Reopened from disk, the case reads the same.
            val again = store.getCase(id)
            assertEquals(closed, again)
        }
    }

    @Test
    fun `the store reopens with its cases and device identity`() {
        val dir = Fixtures.tempDir()
        val path = File(dir, "device.db").path
        val (id, device) = FieldStore.open(path, "Wang Fang").use { store ->
            store.register(Fixtures.registration()).id to store.summary().deviceId
        }
        FieldStore.open(path, "Zhao Lei").use { store ->
            assertEquals(device, store.summary().deviceId)
            assertEquals("Zhao Lei", store.summary().user)
            assertEquals(id, store.getCase(id).id)
            assertTrue(File("$path.blobs").isDirectory, "photos live in <db>.blobs/")
        }
    }
}
