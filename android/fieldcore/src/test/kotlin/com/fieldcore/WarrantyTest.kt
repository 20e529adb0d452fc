// The 三包 rule on its own, with its explanation and the documented boundary days.
package com.fieldcore

import java.time.LocalDate
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class WarrantyTest {
    private fun ask(category: String, purchase: LocalDate?, received: LocalDate, cause: Cause, proof: Boolean = true) =
        checkWarranty(
            WarrantyQuestion(
                category = category,
                purchaseDate = purchase,
                proof = if (proof) ProofOfPurchase.Invoice("F-1") else ProofOfPurchase.None,
                receivedDate = received,
                cause = cause,
            ),
        )

    @Test
    fun `half a year from 31 August ends on the last day of February, covered`() {
        val d = ask("pump", LocalDate.of(2025, 8, 31), LocalDate.of(2026, 2, 28), Cause.DESIGN_MANUFACTURING)
        assertTrue(d.covered)
        assertEquals(6, d.months)
        assertEquals(LocalDate.of(2026, 2, 28), d.periodEnd)
        assertTrue(d.explanation.startsWith("Pump bought 2025-08-31"), d.explanation)
    }

    @Test
    fun `each rule`() {
        assertEquals(WarrantyRule.OUT_OF_PERIOD, ask("motor", LocalDate.of(2025, 3, 1), LocalDate.of(2026, 3, 2), Cause.DESIGN_MANUFACTURING).rule)
        val misuse = ask("motor", LocalDate.of(2025, 3, 1), LocalDate.of(2025, 4, 1), Cause.CUSTOMER_MISUSE)
        assertFalse(misuse.covered)
        assertEquals(WarrantyRule.NON_QUALITY_FAULT, misuse.rule)
        assertEquals(WarrantyRule.NO_PROOF_OF_PURCHASE, ask("motor", LocalDate.of(2025, 3, 1), LocalDate.of(2025, 4, 1), Cause.DESIGN_MANUFACTURING, proof = false).rule)
        assertEquals(WarrantyRule.NOT_IN_SCOPE, ask("fan", LocalDate.of(2025, 3, 1), LocalDate.of(2025, 4, 1), Cause.DESIGN_MANUFACTURING).rule)
    }

    @Test
    fun `a complaint before the purchase is refused with the field`() {
        val e = kotlin.test.assertFailsWith<FieldException.Validation> {
            ask("motor", LocalDate.of(2025, 3, 1), LocalDate.of(2025, 2, 1), Cause.DESIGN_MANUFACTURING)
        }
        assertEquals("received_date", e.field)
    }

    @Test
    fun `the store answers with its own policy`() {
        Fixtures.openStore().use { store ->
            val d = store.checkWarranty(
                WarrantyQuestion("generator", "", LocalDate.of(2025, 1, 10), ProofOfPurchase.Voucher("V-7"), LocalDate.of(2025, 12, 1), Cause.STORAGE_TRANSPORT),
            )
            assertTrue(d.covered)
            assertEquals(LocalDate.of(2026, 1, 10), d.periodEnd)
        }
    }
}
