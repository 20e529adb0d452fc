// Warranty spare parts from Kotlin: two technicians' tablets of one repair center record issues
// offline into the same quarter's ledger, a balance below zero is flagged (never refused), a
// requisition waits for the CS head, and bad holders, quarters and counts are refused with
// their stable codes, writing nothing.
package com.fieldcore

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class StockTest {
    private val center = "center:C01"

    @Test
    fun `two technicians of one center issue offline and the balance is flagged below zero`() {
        Fixtures.openStore("Liu Yang").use { first ->
            Fixtures.openStore("Zhao Lei").use { second ->
                val caseA = first.register(Fixtures.registration(serial = "M2406-0001")).id
                val caseB = second.register(Fixtures.registration(serial = "M2406-0002")).id
                first.recordStock(center, StockCommand.Adjust("BRG-6309", delta = 1, reason = "opening count"))
                val a = first.recordStock(center, StockCommand.Issue("BRG-6309", quantity = 1, caseId = caseA))
                val b1 = second.recordStock(center, StockCommand.Issue("BRG-6309", quantity = 1, caseId = caseB))
                val b2 = second.recordStock(center, StockCommand.Issue("BRG-6309", quantity = 2, caseId = caseB))
                // One ledger per holder and quarter, the same on every device.
                assertEquals(a.ledgerId, b1.ledgerId)
                assertEquals(a.quarter, b2.quarter)
                assertNull(a.correctionOf)

                val mine = first.stockBalance(center).single()
                assertEquals(0L, mine.quantity)
                assertFalse(mine.negative)
                val theirs = second.stockBalance(center).single()
                assertEquals("BRG-6309", theirs.partNumber)
                assertEquals(-3L, theirs.quantity)
                assertTrue(theirs.negative)
                assertEquals(2L, theirs.movements)
                assertEquals(listOf(b1.entryId, b2.entryId), theirs.wentNegative)

                val req = second.recordStock(
                    center,
                    StockCommand.Requisition("BRG-6309", "6309-2RS", quantity = 5, reason = "restock", caseId = caseB),
                )
                val ledger = assertNotNull(second.stockLedger(center, req.quarter))
                assertEquals(center, ledger.holder)
                assertFalse(ledger.closed)
                assertEquals(listOf(-1L, -2L), ledger.movements.map { it.delta })
                assertEquals(MovementKind.ISSUE, ledger.movements[0].kind)
                assertEquals(caseB.toString(), ledger.movements[0].caseId)
                val requisition = ledger.requisitions.single()
                assertEquals("6309-2RS", requisition.specification)
                assertEquals(StockApproval.Waiting("approve", "cs_manager"), requisition.approval)
                assertNull(requisition.dispatched)
                assertEquals(listOf(center), second.stockLedgers().map { it.holder })
            }
        }
    }

    @Test
    fun `bad stock input is refused with its code and writes nothing`() {
        Fixtures.openStore().use { store ->
            val holder = assertFailsWith<FieldException.Validation> {
                store.recordStock("C01", StockCommand.Adjust("BRG-6309", delta = 1, reason = "count"))
            }
            assertEquals("holder", holder.field)
            assertEquals("validation.not_stock_holder", holder.code)
            val quarter = assertFailsWith<FieldException.Validation> { store.stockLedger(center, "2026Q5") }
            assertEquals("validation.not_quarter", quarter.code)
            val self = assertFailsWith<FieldException.Validation> {
                store.recordStock(center, StockCommand.TransferOut("BRG-6309", quantity = 1, to = center))
            }
            assertEquals("validation.transfer_to_self", self.code)
            val zero = assertFailsWith<FieldException.Validation> {
                store.recordStock(center, StockCommand.Adjust("BRG-6309", delta = 0, reason = "count"))
            }
            assertEquals("quantity", zero.field)
            assertEquals("validation.not_zero", zero.code)
            val none = assertFailsWith<FieldException.Validation> {
                store.recordStock(center, StockCommand.ReturnDefective("BRG-6309", quantity = 0, reason = "cracked"))
            }
            assertEquals("validation.at_least_one", none.code)
            assertTrue(store.stockLedgers().isEmpty())
            assertTrue(store.stockBalance(center).isEmpty())
        }
    }
}
