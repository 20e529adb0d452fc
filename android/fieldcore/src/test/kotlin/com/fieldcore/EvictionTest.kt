// Device eviction through the bindings against the real HQ android/jvm-test/run.sh starts: a
// case closed and synced leaves the device, opening it throws FieldException.Evicted with the
// case's id, and requestCase plus a sync bring it back. The test has a phone of its own
// (FIELDCORE_HQ_TOKEN_EVICT), so evicting every closed case touches no other test's store.
package com.fieldcore

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

class EvictionTest {
    private val url: String? = System.getenv("FIELDCORE_HQ_URL")
    private val token: String? = System.getenv("FIELDCORE_HQ_TOKEN_EVICT")

    private fun config(): SyncConfig {
        val configured = url != null && token != null
        if (System.getenv("FIELDCORE_TEST_HOOKS") == "1") {
            assertTrue(configured, "android/jvm-test/run.sh starts an HQ and sets FIELDCORE_HQ_TOKEN_EVICT")
        }
        assumeTrue(configured, "no HQ on loopback (FIELDCORE_HQ_URL unset)")
        return SyncConfig(hqUrl = url!!, token = token!!)
    }

    /** The shortest visit from registered to closed. */
    private fun closeCase(store: FieldStore, id: java.util.UUID) {
        store.execute(id, CaseCommand.Acknowledge())
        store.execute(
            id,
            CaseCommand.ConfirmDefect(DefectInput(cause = Cause.DESIGN_MANUFACTURING, findings = "Insulation failure on phase W")),
        )
        store.execute(id, CaseCommand.DecideWarranty())
        store.execute(id, CaseCommand.Resolve(Outcome.PARTS_REPLACED, "Rewound phase W"))
        store.execute(id, CaseCommand.ConfirmCustomer(ConfirmationInput(customerName = "Li Wei", accepted = true)))
        store.execute(id, CaseCommand.Close)
    }

    @Test
    fun `a closed synced case is evicted, named in the error, and fetched again on request`() {
        val config = config()
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration(serial = "EVICT-0001")).id
            val open = store.register(Fixtures.registration(serial = "EVICT-0002")).id
            closeCase(store, id)
            // Not synced yet: nothing may go, whatever the age.
            assertTrue(store.evictClosedCases(0).cases.isEmpty())
            // The first sync sends the work; HQ's number arrives in it or in the next one.
            store.sync(config, null, null)
            store.sync(config, null, null)
            val number = assertNotNull(store.getCase(id).number)
            assertEquals(CaseSyncState.SYNCED, store.getCase(id).syncState)

            // Closed just now: the default policy (90 days) keeps it; a bad age is refused.
            assertTrue(store.evictClosedCases().cases.isEmpty())
            val bad = assertFailsWith<FieldException.Validation> { store.evictClosedCases(-1) }
            assertEquals("max_age", bad.field)

            // The phone also holds what the engineer's other devices closed in other tests
            // (pulled from HQ): those may go too; the open case stays.
            val held = store.summary().caseCount
            val report = store.evictClosedCases(0)
            assertTrue(id in report.cases, "$report")
            assertFalse(open in report.cases, "$report")
            assertTrue(report.bytesFreed > 0L, "$report")
            assertEquals(open, store.getCase(open).id)
            assertTrue(store.listCases(ListQuery()).rows.none { it.caseId == id })
            assertEquals(held - report.cases.size, store.summary().caseCount)

            // Opening it names the case and says to fetch it, in either language.
            val en = assertFailsWith<FieldException.Evicted> { store.getCase(id) }
            assertEquals(id, en.caseId)
            assertEquals("not_found.evicted", en.code)
            assertTrue("fetch it again" in en.userMessage, en.userMessage)
            try {
                setLocale(Locale.ZH_CN)
                val zh = assertFailsWith<FieldException.Evicted> { store.getCase(id) }
                assertTrue("已从本设备移除" in zh.reason, zh.reason)
            } finally {
                setLocale(Locale.EN)
            }
            // The number on the paperwork still finds it; the removed list shows it.
            assertEquals(id, store.findCase(number))
            val evicted = store.evictedCases().single { it.caseId == id }
            assertEquals(number, evicted.number)
            assertFalse(evicted.requested)

            // The app asks for it when the user opens it; the next sync brings it back whole.
            store.requestCase(id)
            assertTrue(store.evictedCases().single { it.caseId == id }.requested)
            store.sync(config, null, null)
            val back = store.getCase(id)
            assertEquals(Status.CLOSED, back.status)
            assertEquals(number, back.number)
            assertEquals(CaseSyncState.SYNCED, back.syncState)
            assertTrue(store.evictedCases().none { it.caseId == id })
            assertTrue(store.listCases(ListQuery()).rows.any { it.caseId == id })
        }
    }
}
