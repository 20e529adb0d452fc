// Sync through the bindings against a real HQ (the fieldhq binary) on loopback, started by
// android/jvm-test/run.sh, which passes its address and two device tokens of one engineer in
// FIELDCORE_HQ_URL, FIELDCORE_HQ_TOKEN (the phone) and FIELDCORE_HQ_TOKEN_TABLET.
package com.fieldcore

import java.io.File
import java.util.Collections
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test

/**
 * The two devices of the engineer, opened once for all tests: HQ binds a token to the first
 * install that syncs with it, so a second store on the same token would be refused.
 */
object Devices {
    val url: String? = System.getenv("FIELDCORE_HQ_URL")
    private val phoneToken: String? = System.getenv("FIELDCORE_HQ_TOKEN")
    private val tabletToken: String? = System.getenv("FIELDCORE_HQ_TOKEN_TABLET")

    val phone: FieldStore by lazy { Fixtures.openStore("Wang Fang") }
    val tablet: FieldStore by lazy { Fixtures.openStore("Wang Fang") }

    val phoneConfig: SyncConfig get() = SyncConfig(hqUrl = url!!, token = phoneToken!!)
    val tabletConfig: SyncConfig get() = SyncConfig(hqUrl = url!!, token = tabletToken!!)

    /** Skips when no HQ was started (a Gradle run); the CI harness always starts one. */
    fun requireHq() {
        val configured = url != null && phoneToken != null && tabletToken != null
        if (System.getenv("FIELDCORE_TEST_HOOKS") == "1") {
            assertTrue(configured, "android/jvm-test/run.sh starts an HQ and sets FIELDCORE_HQ_*")
        }
        assumeTrue(configured, "no HQ on loopback (FIELDCORE_HQ_URL unset)")
    }
}

/** Collects progress updates from the library's worker thread. */
class Recorder : ProgressListener {
    val updates: MutableList<ProgressUpdate> = Collections.synchronizedList(mutableListOf())
    override fun onProgress(progress: ProgressUpdate) {
        updates += progress
    }
}

class SyncTest {
    private val number = Regex("""\d{4}-\d{4,}""")

    @Test
    fun `a case registered offline gets its HQ number through sync`() {
        Devices.requireHq()
        val phone = Devices.phone
        val registered = phone.register(Fixtures.registration(serial = "SYNC-0001"))
        assertNull(registered.number, "HQ numbers a case when it first arrives")
        assertEquals(CaseSyncState.PENDING, registered.syncState)

        val recorder = Recorder()
        val report = phone.sync(Devices.phoneConfig, recorder, null)
        assertTrue(report.progress.pushedCases >= 1L, "$report")
        assertEquals(0L, report.progress.pendingCases)
        assertTrue(recorder.updates.isNotEmpty(), "progress was reported")
        val first = recorder.updates.first()
        assertEquals(ProgressStage.SYNCING_CASES, first.stage)
        assertNotNull(first.sync).also { assertTrue(it.rounds >= 1) }
        assertTrue(recorder.updates.all { it.completed <= it.total }, "${recorder.updates}")

        // HQ numbers the case in the round that brings it; the number comes back to the phone in
        // that sync's next round or, at the latest, the next sync.
        var view = phone.getCase(registered.id)
        if (view.number == null) {
            phone.sync(Devices.phoneConfig, null, null)
            view = phone.getCase(registered.id)
        }
        val official = assertNotNull(view.number, "the HQ number arrived")
        assertTrue(number.matches(official), official)
        assertEquals(CaseSyncState.SYNCED, view.syncState)
        assertEquals(registered.id, phone.findCase(official))
        assertEquals(0L, phone.summary().unsyncedChanges)

        // A second sync with nothing new costs one round trip and moves nothing.
        val idle = phone.sync(Devices.phoneConfig, null, null)
        assertEquals(1, idle.progress.rounds)
        assertEquals(0L, idle.progress.pushedCases)
    }

    @Test
    fun `photos go up with the sync and a tablet fetches them on demand`() {
        Devices.requireHq()
        val phone = Devices.phone
        val id = phone.register(Fixtures.registration(serial = "SYNC-PHOTO")).id
        val hashes = (1..2).map { seed -> phone.importPhoto(id, Fixtures.jpeg(640, 480, seed), PhotoKind.DEFECT, "").hash }

        val recorder = Recorder()
        val report = phone.sync(Devices.phoneConfig, recorder, null)
        // Each photo is uploaded with its thumbnail.
        assertEquals(4L, report.progress.photosUploaded)
        val uploads = recorder.updates.filter { it.stage == ProgressStage.UPLOADING_PHOTOS }
        assertEquals((1..4).map { it.toLong() }, uploads.map { it.completed })
        assertTrue(uploads.all { it.total == 4L }, "$uploads")
        assertEquals(0L, phone.summary().photosToUpload)

        // The engineer's tablet receives the case, with the photos' descriptions but not their
        // bytes, until a screen asks for one.
        val tablet = Devices.tablet
        val pulled = tablet.sync(Devices.tabletConfig, null, null)
        assertTrue(pulled.progress.pulledCases >= 1L, "$pulled")
        val onTablet = tablet.getCase(id)
        assertEquals(hashes.toSet(), onTablet.photos.map { it.hash }.toSet())
        assertEquals(CaseSyncState.SYNCED, onTablet.syncState)
        val hash = hashes.first()
        assertNull(tablet.photoPath(hash))
        val fetched = File(tablet.fetchPhoto(Devices.tabletConfig, hash, null))
        assertContentEquals(File(phone.photoPath(hash)!!).readBytes(), fetched.readBytes())
        assertEquals(fetched.path, tablet.photoPath(hash))
        // A photo HQ has never received is not found.
        assertFailsWith<FieldException.NotFound> { tablet.fetchPhoto(Devices.tabletConfig, "0".repeat(64), null) }
    }

    @Test
    fun `a cancelled sync throws Cancelled and keeps what it finished`() {
        Devices.requireHq()
        val phone = Devices.phone
        // Cancelled before it starts: nothing is sent.
        val early = CancelToken()
        early.cancel()
        assertFailsWith<FieldException.Cancelled> { phone.sync(Devices.phoneConfig, null, early) }
        early.close()

        val id = phone.register(Fixtures.registration(serial = "SYNC-CANCEL")).id
        phone.importPhoto(id, Fixtures.jpeg(640, 480, 7), PhotoKind.NAMEPLATE, "")
        // Cancel as soon as the case is acknowledged: the photo uploads that follow do not run.
        val token = CancelToken()
        val listener = object : ProgressListener {
            override fun onProgress(progress: ProgressUpdate) = token.cancel()
        }
        assertFailsWith<FieldException.Cancelled> { phone.sync(Devices.phoneConfig, listener, token) }
        token.close()
        assertEquals(CaseSyncState.SYNCED, phone.getCase(id).syncState, "the acknowledged push stays")
        assertEquals(2L, phone.summary().photosToUpload, "the photo and its thumbnail wait")

        // The next sync resumes with the uploads.
        val resumed = phone.sync(Devices.phoneConfig, null, null)
        assertEquals(2L, resumed.progress.photosUploaded)
        assertEquals(0L, phone.summary().photosToUpload)
    }

    @Test
    fun `the coroutine layer syncs on the IO dispatcher and streams progress`() = runBlocking {
        Devices.requireHq()
        // Not closed: the shared phone store outlives this test.
        val core = FieldCore(Devices.phone)
        val id = core.register(Fixtures.registration(serial = "SYNC-FLOW")).id
        val caller = Thread.currentThread()
        var ranOn: Thread? = null
        val report = core.sync(Devices.phoneConfig) { ranOn = Thread.currentThread() }
        assertTrue(report.progress.pushedCases >= 1L)
        assertTrue(ranOn != null && ranOn != caller, "progress came from the worker thread")
        assertEquals(CaseSyncState.SYNCED, core.case(id).syncState)

        val events = core.syncFlow(Devices.phoneConfig).toList()
        assertIs<SyncEvent.Done>(events.last())
        assertTrue(events.dropLast(1).all { it is SyncEvent.Progress })

        // A failed sync throws the typed exception through the layer, not a CancellationException.
        val refused = runCatching { core.sync(Devices.phoneConfig.copy(token = "not-a-token")) }.exceptionOrNull()
        assertIs<FieldException.Unauthorized>(refused)
        assertTrue(refused !is CancellationException)
    }

    @Test
    fun `the last sync error is still the banner after a restart`() = runBlocking<Unit> {
        Devices.requireHq()
        val path = java.io.File(Fixtures.tempDir(), "device.db").path
        val wrong = Devices.phoneConfig.copy(token = "fhq_this-token-was-never-issued")
        FieldCore.open(path, "Wang Fang").use { core ->
            core.register(Fixtures.registration(serial = "SYNC-BANNER"))
            val refused = runCatching { core.sync(wrong) }.exceptionOrNull()
            assertIs<FieldException.Unauthorized>(refused)
            assertEquals("sync.unauthorized", refused.code)
            val failure = assertNotNull(core.syncStatus.value.lastError)
            assertEquals("sync.unauthorized", failure.code)
        }
        // The app is killed and started again: the store opens with the failure it recorded.
        FieldCore.open(path, "Wang Fang").use { core ->
            val status = core.syncStatus.value
            assertEquals(SyncActivity.Idle, status.activity)
            assertNull(status.lastSuccessAt)
            val failure = assertNotNull(status.lastError, "the banner says the last sync failed")
            assertEquals("sync.unauthorized", failure.code)
            assertTrue(failure.message.startsWith("refused by HQ"), failure.message)
            try {
                setLocale(Locale.ZH_CN)
                val zh = assertNotNull(core.store.syncStatus().lastError)
                assertTrue(zh.message.startsWith("总部拒绝了本设备"), zh.message)
                assertEquals(failure.at, zh.at)
            } finally {
                setLocale(Locale.EN)
            }
        }
    }

    @Test
    fun `a wrong token is Unauthorized and an unreachable HQ is Network`() {
        Devices.requireHq()
        Fixtures.openStore().use { store ->
            store.register(Fixtures.registration(serial = "SYNC-REFUSED"))
            val wrong = Devices.phoneConfig.copy(token = "fhq_this-token-was-never-issued")
            assertFailsWith<FieldException.Unauthorized> { store.sync(wrong, null, null) }
            assertEquals(1L, store.summary().unsyncedChanges, "the work stays for the next sync")

            // Port 1 on loopback refuses connections; one attempt, so no backoff to wait for.
            val nowhere = SyncConfig(hqUrl = "http://127.0.0.1:1", token = "t", maxAttempts = 1)
            assertFailsWith<FieldException.Network> { store.sync(nowhere, null, null) }

            val bad = assertFailsWith<FieldException.Validation> {
                store.sync(Devices.phoneConfig.copy(maxAttempts = 0), null, null)
            }
            assertEquals("max_attempts", bad.field)
        }
    }
}
