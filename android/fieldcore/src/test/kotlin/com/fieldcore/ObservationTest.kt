// Observation and typed conflicts against the real HQ of android/jvm-test/run.sh: a tablet's
// list refreshes when the phone's change arrives through sync, the sync banner's status moves
// through syncing to idle, and a defect confirmed differently on both devices comes back as
// two typed decisions with who and when, resolved by choosing one.
package com.fieldcore

import java.time.OffsetDateTime
import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.async
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Test

class ObservationTest {
    @Test
    fun `a list refreshes when another device's change arrives`() = runBlocking<Unit> {
        Devices.requireHq()
        val phone = FieldCore(Devices.phone)
        val tablet = FieldCore(Devices.tablet)
        val serial = "OBS-" + UUID.randomUUID().toString().take(8)
        val id = phone.register(Fixtures.registration(serial = serial, customer = "石家庄水泵三厂")).id
        phone.sync(Devices.phoneConfig)
        assertNull(phone.syncStatus.value.lastError)
        assertNotNull(phone.syncStatus.value.lastSuccessAt)
        assertEquals(SyncActivity.Idle, phone.syncStatus.value.activity)

        // The tablet's list screen: it reloads when the changes flow names a case. The
        // collector starts before the sync, as a screen's would.
        val heard = async { tablet.changes.first { id in it } }
        yield()
        tablet.sync(Devices.tabletConfig)
        withTimeout(30_000) { heard.await() }
        val rows = tablet.list(ListQuery(text = "水泵三")).rows
        assertTrue(rows.any { it.caseId == id }, "the tablet's search finds the phone's case: $rows")
        assertEquals(SyncActivity.Idle, tablet.syncStatus.value.activity)
        assertNotNull(tablet.syncStatus.value.lastSuccessAt)

        // A command on the tablet is heard at once, without a sync.
        val noted = async { tablet.changes.first { id in it } }
        yield()
        tablet.execute(id, CaseCommand.AddNote("Customer prefers mornings"))
        withTimeout(30_000) { noted.await() }
    }

    @Test
    fun `a defect confirmed on two devices is a typed conflict resolved by choosing one`() {
        Devices.requireHq()
        val phone = Devices.phone
        val tablet = Devices.tablet
        val id = phone.register(Fixtures.registration(serial = "CONFLICT-" + UUID.randomUUID().toString().take(8))).id
        phone.execute(id, CaseCommand.Acknowledge(note = "Called back"))
        phone.execute(id, CaseCommand.ScheduleVisit(OffsetDateTime.now(Fixtures.offset).plusHours(4).withNano(0)))
        phone.execute(id, CaseCommand.ArriveOnSite)
        phone.sync(Devices.phoneConfig, null, null)
        tablet.sync(Devices.tabletConfig, null, null)
        assertEquals(id, tablet.getCase(id).id)

        // Both devices confirm the defect offline, differently.
        phone.execute(id, CaseCommand.ConfirmDefect(DefectInput(cause = Cause.CUSTOMER_MISUSE, findings = "Dropped from the truck")))
        tablet.execute(
            id,
            CaseCommand.ConfirmDefect(
                DefectInput(
                    cause = Cause.DESIGN_MANUFACTURING,
                    findings = "Insulation failure on phase W",
                    measurements = listOf(MeasuredValue("insulation resistance", 0.4, "MΩ")),
                ),
            ),
        )
        tablet.sync(Devices.tabletConfig, null, null)
        phone.sync(Devices.phoneConfig, null, null)

        val view = phone.getCase(id)
        val conflict = view.conflicts.single { it.field == "defect" }
        assertEquals(2, conflict.alternatives.size)
        val decisions = conflict.alternatives.map { assertIs<ConflictDecision.Defect>(it.decision) }
        val quality = decisions.indexOfFirst { it.cause == Cause.DESIGN_MANUFACTURING }
        assertTrue(quality >= 0, "$decisions")
        assertEquals("Insulation failure on phase W", decisions[quality].findings)
        assertEquals(0.4, decisions[quality].measurements.single().value)
        assertTrue(decisions[quality].qualityFault)
        val misuse = decisions[1 - quality]
        assertEquals("Dropped from the truck", misuse.findings)
        conflict.alternatives.forEach {
            assertEquals("Wang Fang", it.by)
            assertTrue(it.at.isBefore(OffsetDateTime.now().plusMinutes(1)))
        }
        assertEquals(CaseSyncState.CONFLICT, view.syncState)

        val resolved = phone.execute(id, CaseCommand.ResolveConflict("defect", quality)).view
        assertTrue(resolved.conflicts.none { it.field == "defect" }, "${resolved.conflicts}")
        assertEquals(Cause.DESIGN_MANUFACTURING, resolved.defect?.cause)
        phone.sync(Devices.phoneConfig, null, null)
        tablet.sync(Devices.tabletConfig, null, null)
        assertEquals(Cause.DESIGN_MANUFACTURING, tablet.getCase(id).defect?.cause)
        assertTrue(tablet.getCase(id).conflicts.none { it.field == "defect" })
    }
}
