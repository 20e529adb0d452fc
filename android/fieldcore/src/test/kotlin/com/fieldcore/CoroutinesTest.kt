// The Kotlin layer: suspend functions off the caller's thread, progress as a Flow, and
// coroutine cancellation stopping a native batch between photos.
package com.fieldcore

import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotEquals
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test

class CoroutinesTest {
    private fun photoFiles(count: Int): List<PhotoFile> {
        val dir = Fixtures.tempDir()
        return (1..count).map { i ->
            PhotoFile(Fixtures.jpegFile(dir, "p$i.jpg", seed = 100 + i, width = 1200, height = 900).path, PhotoKind.DEFECT, "photo $i")
        }
    }

    private fun openCore(): FieldCore =
        FieldCore(FieldStore.open(File(Fixtures.tempDir(), "device.db").path, "Wang Fang"))

    @Test
    fun `suspend calls run on the IO dispatcher`() = runBlocking {
        openCore().use { core ->
            val caller = Thread.currentThread()
            var ranOn: Thread? = null
            val id = core.register(Fixtures.registration()).id
            val files = photoFiles(1)
            core.importPhotos(id, files) { ranOn = Thread.currentThread() }
            assertNotEquals(caller, ranOn)
            assertEquals(id, core.list().rows.single().caseId)
            assertEquals(1, core.photos(id).size)
            assertTrue(core.photoFile(core.photos(id).single().photo.hash)!!.isFile)
        }
    }

    @Test
    fun `a photo batch reports progress as a flow`() = runBlocking {
        openCore().use { core ->
            val id = core.register(Fixtures.registration()).id
            val events = core.importPhotosFlow(id, photoFiles(3)).toList()
            val done = assertIs<ImportEvent.Done>(events.last())
            assertEquals(3, done.batch.hashes.size)
            assertEquals(3, done.batch.view.photos.size)
            val progress = events.filterIsInstance<ImportEvent.Progress>().map { it.progress.completed.toInt() }
            assertEquals(listOf(0, 1, 2, 3), progress)
        }
    }

    @Test
    fun `cancelling the collector stops the batch between photos`() = runBlocking {
        openCore().use { core ->
            val id = core.register(Fixtures.registration()).id
            val files = photoFiles(6)
            // Stop collecting after the first photo is in: the batch is cancelled, and the
            // flow completes only once the native call has stopped.
            core.importPhotosFlow(id, files).first { it is ImportEvent.Progress && it.progress.completed == 1L }
            val imported = core.photos(id).size
            assertTrue(imported in 1 until files.size, "imported $imported of ${files.size}")
        }
    }

    @Test
    fun `a cancel token stops the blocking call and keeps what it did`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val token = CancelToken()
            val listener = object : ProgressListener {
                override fun onProgress(progress: ProgressUpdate) {
                    if (progress.completed == 2L) token.cancel()
                }
            }
            kotlin.test.assertFailsWith<FieldException.Cancelled> {
                store.importPhotos(id, photoFiles(4), listener, token)
            }
            assertEquals(2, store.photos(id).size)
            token.close()
        }
    }
}
