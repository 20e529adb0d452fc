// An exchange end to end through the bindings, against the real HQ that android/jvm-test/run.sh
// starts: requested on the engineer's phone, approved at HQ by the fieldhq binary (the customer
// service manager reviews, the vice president approves and HQ issues the RMA number), received
// on the warehouse's tablet (first offline, before the tablet knew the number), re-inspected,
// and the same return on every device after they sync. run.sh passes the warehouse tablet's
// token in FIELDCORE_HQ_TOKEN_WAREHOUSE and the fieldhq binary and data folder in
// FIELDCORE_HQ_BIN and FIELDCORE_HQ_DATA.
package com.fieldcore

import java.io.File
import java.time.LocalDate
import java.util.concurrent.TimeUnit
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/** The warehouse's tablet and the HQ administration command, beside [Devices]. */
object Warehouse {
    private val token: String? = System.getenv("FIELDCORE_HQ_TOKEN_WAREHOUSE")
    private val hqBin: String? = System.getenv("FIELDCORE_HQ_BIN")
    private val hqData: String? = System.getenv("FIELDCORE_HQ_DATA")

    /** The receiver (仓库) of run.sh's HQ; HQ users of that role see every case. */
    val tablet: FieldStore by lazy { Fixtures.openStore("Zhou Qiang").also { it.setRole(Role.WAREHOUSE) } }
    val config: SyncConfig get() = SyncConfig(hqUrl = Devices.url!!, token = token!!)

    fun requireHq() {
        Devices.requireHq()
        val configured = token != null && hqBin != null && hqData != null
        if (System.getenv("FIELDCORE_TEST_HOOKS") == "1") {
            assertTrue(configured, "run.sh sets FIELDCORE_HQ_TOKEN_WAREHOUSE, FIELDCORE_HQ_BIN, FIELDCORE_HQ_DATA")
        }
        assumeTrue(configured, "no warehouse device or fieldhq binary")
    }

    /** Runs `fieldhq --data <HQ's folder> <args>` in English: its exit status and its output. */
    fun fieldhq(vararg args: String): Pair<Int, String> {
        val process = ProcessBuilder(listOf(hqBin!!, "--data", hqData!!, "--log", "warn", "--lang", "en") + args)
            .redirectErrorStream(true)
            .start()
        val output = process.inputStream.bufferedReader().readText()
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "fieldhq ${args.joinToString(" ")} finished")
        return process.exitValue() to output
    }
}

class ReturnsTest {
    private val rmaNumber = Regex("""R\d{4}-\d{4}""")
    private val model = "IS80-65-160"

    private fun exchangeRequest(quantity: Long = 1) = ReturnRequest(
        kind = ReturnKind.EXCHANGE,
        items = listOf(
            ReturnItem(model = model, serial = "P2411-0071", quantity = quantity, reason = "Seal leaks", fault = "Mechanical seal worn through"),
        ),
        freight = Freight.COMPANY,
        whyNotOnSite = "The pump casing is cracked; it cannot be repaired on site",
    )

    private fun receipt(number: String?) = ReceiptInput(
        rmaNumber = number,
        counted = listOf(CountedItem(model = model, serial = "P2411-0071", quantity = 1)),
        packing = Packing.AS_REQUIRED,
        labelled = true,
        sorted = true,
        defectMarked = true,
        outcome = ReceiptOutcome.ACCEPTED,
    )

    @Test
    fun `an exchange requested on the phone, approved at HQ and received offline converges on every device`() = runBlocking {
        Warehouse.requireHq()
        // Not closed: the shared stores outlive this test.
        val phone = FieldCore(Devices.phone)
        val tablet = FieldCore(Warehouse.tablet)
        val engineersTablet = FieldCore(Devices.tablet)
        phone.setRole(Role.ENGINEER)
        try {
            // The pump was delivered ten days ago to a customer in the home region: inside the
            // one-month return window.
            val registration = Fixtures.registration(
                serial = "P2411-0071", model = model, category = "pump", purchase = LocalDate.now().minusDays(10),
            ).copy(customerRequest = CustomerRequest.EXCHANGE)
            val id = phone.register(registration).id

            val negative = assertFailsWith<FieldException.Validation> { phone.requestReturn(id, exchangeRequest(quantity = -1)) }
            assertEquals("quantity", negative.field)
            assertTrue(phone.returns(id).isEmpty(), "nothing was written")

            val requested = phone.requestReturn(id, exchangeRequest())
            val requestId = assertNotNull(requested.entryId)
            val asked = requested.view.returns.single()
            assertEquals(requestId, asked.id)
            assertEquals(ReturnState.AWAITING_APPROVAL, asked.state)
            assertEquals("awaiting approval", asked.stateText)
            assertTrue(asked.window.within, asked.window.explanation)
            assertTrue(asked.window.explanation.startsWith("within the return window"), asked.window.explanation)
            assertEquals(listOf("review" to "cs_manager", "approve" to "vp"), asked.steps.map { it.step to it.role })
            assertEquals(ChainStep(step = "review", role = "cs_manager"), asked.waitingFor)
            assertEquals(1L, asked.units)
            assertNull(asked.rma)
            // An engineer does not receive goods: refused on the phone, before any sync.
            assertFailsWith<FieldException.Unauthorized> { phone.receiveReturn(id, receipt(null)) }

            phone.sync(Devices.phoneConfig)
            // The warehouse's tablet learns of the case before HQ approves it.
            tablet.sync(Warehouse.config)
            assertNull(tablet.returns(id).single().rma)

            // HQ: the engineer may not approve; the CS manager reviews, the VP approves.
            val (refused, why) = Warehouse.fieldhq("rma", "approve", id.toString(), "--by", "Wang Fang")
            assertNotEquals(0, refused, "an engineer's approval was accepted: $why")
            for (approver in listOf("Li Na", "Chen Gang")) {
                val (status, output) = Warehouse.fieldhq("rma", "approve", id.toString(), "--by", approver)
                assertEquals(0, status, output)
            }

            // The number reaches the phone with its next sync (at the latest the one after).
            phone.sync(Devices.phoneConfig)
            var onPhone = phone.returns(id).single()
            if (onPhone.rma == null) {
                phone.sync(Devices.phoneConfig)
                onPhone = phone.returns(id).single()
            }
            val rma = assertNotNull(onPhone.rma, "HQ issued the RMA number")
            assertTrue(rmaNumber.matches(rma.number), rma.number)
            assertEquals(ReturnState.AWAITING_GOODS, onPhone.state)
            assertTrue(onPhone.steps.all { it.decision?.approved == true }, "${onPhone.steps}")
            assertEquals(listOf("Li Na", "Chen Gang"), onPhone.steps.map { it.decision?.by })
            assertNull(onPhone.waitingFor)

            // The goods arrive with the number on them; the tablet has not synced since HQ
            // issued it, so it has no record of it: check A, and the receipt belongs to no return.
            val received = tablet.receiveReturn(id, receipt(rma.number))
            val receiptId = assertNotNull(received.entryId)
            val offline = received.view
            assertTrue(offline.returns.single().receipts.isEmpty())
            val unmatched = offline.unmatchedReceipts.single()
            assertEquals(receiptId, unmatched.id)
            assertEquals(listOf(ReceivingCheck.A), unmatched.checks.map { it.check })
            val flagA = unmatched.checks.single()
            assertEquals("A no RMA number, or no record of it", flagA.title)
            assertEquals(listOf("no record of RMA number ${rma.number} here (HQ confirms it at sync)"), flagA.reasons)
            assertEquals(1L, unmatched.units)
            assertEquals("Zhou Qiang", unmatched.received.by)
            // The reasons follow the app's language.
            setLocale(Locale.ZH_CN)
            try {
                val zh = tablet.case(id).unmatchedReceipts.single().checks.single()
                assertEquals("A 无退货编号或无该编号记录", zh.title)
                assertEquals(listOf("本设备没有退货编号 ${rma.number} 的记录（同步后由总部核对）"), zh.reasons)
            } finally {
                setLocale(Locale.EN)
            }

            // The sync brings HQ's record: the receipt joins its return and check A clears.
            tablet.sync(Warehouse.config)
            val reconciled = tablet.case(id)
            assertTrue(reconciled.unmatchedReceipts.isEmpty(), "${reconciled.unmatchedReceipts}")
            val onTablet = reconciled.returns.single()
            assertEquals(rma, onTablet.rma)
            val matched = onTablet.receipts.single()
            assertEquals(receiptId, matched.id)
            assertTrue(matched.checks.isEmpty(), "${matched.checks}")
            assertEquals(ReturnState.AWAITING_INSPECTION, onTablet.state)
            assertEquals(1L, onTablet.unitsReceived)
            assertEquals(0L, onTablet.unitsInspected)
            val due = assertNotNull(onTablet.reinspectionDue)
            assertTrue(due.isAfter(matched.received.at.plusDays(4)), "$due")
            assertTrue(!onTablet.reinspectionOverdue)

            // Re-inspection: good, labelled 客退 and restocked; the exchange then waits for its
            // replenishment notice.
            val inspected = tablet.inspectReturnUnit(id, receiptId, "P2411-0071", InspectionResult.Good(restockedTo = "客退 shelf A-3"))
            val afterInspection = inspected.view.returns.single()
            assertEquals(ReturnState.AWAITING_REPLENISHMENT, afterInspection.state)
            assertEquals(1L, afterInspection.unitsInspected)
            assertEquals("P2411-0071", afterInspection.inspections.single().unit)

            // Everyone syncs: the warehouse's work goes up, then the phone and the engineer's
            // tablet bring it down.
            tablet.sync(Warehouse.config)
            phone.sync(Devices.phoneConfig)
            engineersTablet.sync(Devices.tabletConfig)
            tablet.sync(Warehouse.config)
            val views = listOf(phone.case(id), tablet.case(id), engineersTablet.case(id))
            for (view in views) {
                val r = view.returns.single()
                assertEquals(ReturnState.AWAITING_REPLENISHMENT, r.state)
                assertEquals(rma.number, r.rma?.number)
                assertEquals(listOf(receiptId), r.receipts.map { it.id })
                assertTrue(r.receipts.single().checks.isEmpty())
                assertEquals(
                    InspectionResult.Good(restockedTo = "客退 shelf A-3"),
                    r.inspections.single().result,
                )
                assertTrue(view.unmatchedReceipts.isEmpty())
                assertEquals(CaseSyncState.SYNCED, view.syncState)
            }
            // Every device reads the very same return: the same records, stamps and texts.
            assertEquals(views[0].returns, views[1].returns)
            assertEquals(views[0].returns, views[2].returns)

            // HQ's own copy holds the number too.
            val (shown, text) = Warehouse.fieldhq("case", "show", id.toString())
            assertEquals(0, shown, text)
            assertTrue(rma.number in text, text)
        } finally {
            phone.setRole(null)
        }
    }

    @Test
    fun `a receipt without a number on a case with no approved return raises its checks`() = runBlocking {
        // Offline only: a store of its own, no HQ.
        FieldCore(Fixtures.openStore("Zhou Qiang")).use { core ->
            val id = core.register(Fixtures.registration(serial = "P2411-0099", model = model, category = "pump")).id
            val loose = receipt(null).copy(packing = Packing.LOOSE, labelled = false, defectMarked = false)
            val view = core.receiveReturn(id, loose).view
            val checks = view.unmatchedReceipts.single().checks
            assertEquals(listOf(ReceivingCheck.A, ReceivingCheck.C, ReceivingCheck.G), checks.map { it.check })
            assertEquals(listOf("the goods carry no RMA number"), checks[0].reasons)
            // A check noted by hand is kept with its note, beside what the goods raised.
            val amended = core.amendReceipt(
                id,
                ReceiptAmendment(
                    receipt = view.unmatchedReceipts.single().id,
                    notes = listOf(CheckNote(check = ReceivingCheck.D, note = "Carton crushed on one side")),
                ),
            ).view.unmatchedReceipts.single()
            val d = amended.checks.single { it.check == ReceivingCheck.D }
            assertTrue(d.reasons.isEmpty())
            assertEquals("Carton crushed on one side", d.notes.single().note)
            val negative = assertFailsWith<FieldException.Validation> {
                core.receiveReturn(id, receipt(null).copy(counted = listOf(CountedItem(model = model, quantity = -2))))
            }
            assertEquals("quantity", negative.field)
        }
    }
}
