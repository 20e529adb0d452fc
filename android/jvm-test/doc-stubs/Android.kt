// Stubs of the Android framework classes docs/mobile.md's Kotlin uses, for compiling the
// page's snippets on a plain JVM where the Android SDK is absent (android/jvm-test/docs.sh).
// Signatures only, as Kotlin sees the real ones; nothing here runs.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android.content

import java.io.File
import java.io.InputStream

abstract class Context {
    abstract val noBackupFilesDir: File
    abstract val cacheDir: File
    abstract val contentResolver: ContentResolver
}

abstract class ContentResolver {
    abstract fun openInputStream(uri: android.net.Uri): InputStream?
}
