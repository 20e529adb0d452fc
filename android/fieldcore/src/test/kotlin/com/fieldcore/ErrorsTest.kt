// Errors reach Kotlin as typed exceptions that name the field, and a panic inside the library
// is an exception the app can catch, not a crash; the store keeps working afterwards.
package com.fieldcore

import java.lang.reflect.InvocationTargetException
import java.util.UUID
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

class ErrorsTest {
    @Test
    fun `validation names the field and writes nothing`() {
        Fixtures.openStore().use { store ->
            val e = assertFailsWith<FieldException.Validation> {
                store.register(Fixtures.registration(phone = ""))
            }
            assertEquals("customer_phone", e.field)
            assertTrue(e.message!!.contains("customer_phone"))
            assertEquals(0L, store.summary().caseCount)

            val id = store.register(Fixtures.registration()).id
            val part = assertFailsWith<FieldException.Validation> {
                store.execute(id, CaseCommand.RecordPart(PartInput("BRG-6309", "Bearing", quantity = 0)))
            }
            assertEquals("quantity", part.field)
        }
    }

    @Test
    fun `a refusal carries its stable code and its message in either language`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val zh: FieldException.Validation
            val en: FieldException.Validation
            try {
                setLocale(Locale.ZH_CN)
                zh = assertFailsWith { store.execute(id, CaseCommand.Close) }
                setLocale(Locale.EN)
                en = assertFailsWith { store.execute(id, CaseCommand.Close) }
            } finally {
                setLocale(Locale.EN)
            }
            assertEquals("lifecycle.case_registered", zh.code)
            assertEquals(zh.code, en.code)
            assertEquals("案件当前状态为“已登记”，不能结案", zh.reason)
            assertEquals("cannot close a case that is registered", en.reason)
            // Read through the base class, as an app's one error handler does.
            val any: FieldException = en
            assertEquals("lifecycle.case_registered", any.code)
            assertEquals(en.reason, any.userMessage)
            assertEquals(Status.REGISTERED, store.getCase(id).status)
        }
    }

    @Test
    fun `a negative count or index is refused with its code and writes nothing`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val part = assertFailsWith<FieldException.Validation> {
                store.execute(id, CaseCommand.RecordPart(PartInput("BRG-6309", "Bearing", quantity = -2)))
            }
            assertEquals("quantity", part.field)
            assertEquals("validation.negative", part.code)
            assertEquals("must not be negative", part.reason)
            assertEquals(0, store.getCase(id).parts.size)

            val page = assertFailsWith<FieldException.Validation> { store.listCases(ListQuery(limit = -1)) }
            assertEquals("limit", page.field)
            assertEquals("validation.negative", page.code)
            val choice = assertFailsWith<FieldException.Validation> {
                store.execute(id, CaseCommand.ResolveConflict("defect", -1))
            }
            assertEquals("validation.negative", choice.code)
            val timeout = assertFailsWith<FieldException.Validation> {
                store.sync(SyncConfig(hqUrl = "http://127.0.0.1:1", token = "t", requestTimeoutSeconds = -1), null, null)
            }
            assertEquals("request_timeout_seconds", timeout.field)
            assertEquals(1L, store.summary().unsyncedChanges, "only the registration was written")
        }
    }

    @Test
    fun `a step the lifecycle does not allow names the status`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val e = assertFailsWith<FieldException.Validation> { store.execute(id, CaseCommand.Close) }
            assertEquals("status", e.field)
            assertEquals(Status.REGISTERED, store.getCase(id).status)
        }
    }

    @Test
    fun `a step the user's role may not take is refused on the device and writes nothing`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            store.execute(id, CaseCommand.Acknowledge())
            val confirm = CaseCommand.ConfirmDefect(DefectInput(cause = Cause.CUSTOMER_MISUSE, findings = "Dropped"))
            store.setRole(Role.HQ_STAFF)
            val e = assertFailsWith<FieldException.Unauthorized> { store.execute(id, confirm) }
            assertTrue(e.reason.contains("decisions.defect"), e.reason)
            assertEquals(Status.ACKNOWLEDGED, store.getCase(id).status)
            store.setRole(Role.ENGINEER)
            assertEquals(Status.DEFECT_CONFIRMED, store.execute(id, confirm).view.status)
        }
    }

    @Test
    fun `unknown cases and photos are not found`() {
        Fixtures.openStore().use { store ->
            assertFailsWith<FieldException.NotFound> { store.getCase(UUID.randomUUID()) }
            assertFailsWith<FieldException.Validation> { store.findCase("nothing-like-this") }
            assertEquals(null, store.photoPath("a".repeat(64)))
        }
    }

    @Test
    fun `photos the library cannot read are unsupported input`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            // An HEIC file's header, as an iPhone shoots by default.
            val heic = byteArrayOf(0, 0, 0, 0x18) + "ftypheic".toByteArray() + ByteArray(64)
            val e = assertFailsWith<FieldException.UnsupportedInput> { store.importPhoto(id, heic, PhotoKind.DEFECT) }
            assertTrue(e.reason.contains("JPEG"), e.reason)
            assertFailsWith<FieldException.UnsupportedInput> {
                store.importPhoto(id, "not a photo".toByteArray(), PhotoKind.DEFECT)
            }
            assertFailsWith<FieldException.NotFound> {
                store.importPhotoFile(id, "/nonexistent/photo.jpg", PhotoKind.DEFECT)
            }
            assertEquals(0, store.getCase(id).photos.size)
        }
    }

    @Test
    fun `a panic inside the library is an exception and the store recovers`() {
        val hook = FieldStore::class.java.methods.firstOrNull { it.name == "panicForTest" }
        if (System.getenv("FIELDCORE_TEST_HOOKS") == "1") {
            assertTrue(hook != null, "the harness builds the library with --features test-hooks")
        }
        assumeTrue(hook != null, "library built without test hooks")
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val thrown = assertFailsWith<InvocationTargetException> { hook!!.invoke(store, "deliberate test panic") }
            val cause = thrown.cause
            assertTrue(cause is InternalException, "got $cause")
            assertTrue(cause.message!!.contains("deliberate test panic"))
            // The panic poisoned the store's lock; the next call reopens it from disk.
            assertEquals(id, store.getCase(id).id)
            store.execute(id, CaseCommand.Acknowledge())
            assertEquals(Status.ACKNOWLEDGED, store.getCase(id).status)
        }
    }
}
