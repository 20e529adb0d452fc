// Old-part custody through the generated bindings (ADR 0022): a covered case's part is
// recorded, the close is refused while its old part is unaccounted for, the old part is kept
// under a tag, and the case closes.
package com.fieldcore

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class CustodyTest {
    @Test
    fun `a covered case closes only once its old part is kept under a tag`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            store.execute(id, CaseCommand.Acknowledge())
            store.execute(id, CaseCommand.ArriveOnSite)
            store.execute(
                id,
                CaseCommand.ConfirmDefect(DefectInput(cause = Cause.DESIGN_MANUFACTURING, findings = "Bearing seized")),
            )
            val decided = store.execute(id, CaseCommand.DecideWarranty()).view
            assertTrue(decided.covered)
            val part = store.execute(
                id,
                CaseCommand.RecordPart(PartInput(partNumber = "BRG-6309", specification = "Bearing 6309-2RS", quantity = 1)),
            )
            val lineId = assertNotNull(part.entryId)
            val recorded = part.view.parts.single()
            assertEquals(OldPartCustody.Unrecorded, recorded.custody)
            assertTrue(recorded.custodyNeeded)
            assertEquals(listOf(lineId), part.view.unaccountedOldParts)
            store.execute(id, CaseCommand.Resolve(Outcome.PARTS_REPLACED, "Bearing replaced"))
            store.execute(id, CaseCommand.ConfirmCustomer(ConfirmationInput(customerName = "Li Wei", accepted = true)))

            val refused = assertFailsWith<FieldException.Validation> { store.execute(id, CaseCommand.Close) }
            assertEquals("lifecycle.old_part_unaccounted", refused.code)
            assertTrue("BRG-6309" in refused.message.orEmpty(), refused.message)
            assertEquals(Status.CUSTOMER_CONFIRMED, store.getCase(id).status, "nothing was written")

            val kept = store.execute(id, CaseCommand.KeepOldPart(lineId, "T-0042")).view
            assertEquals(OldPartCustody.Kept("T-0042"), kept.parts.single().custody)
            assertTrue("T-0042" in kept.parts.single().custodyText)
            assertTrue(kept.unaccountedOldParts.isEmpty())
            val closed = store.execute(id, CaseCommand.Close).view
            assertEquals(Status.CLOSED, closed.status)
        }
    }
}
