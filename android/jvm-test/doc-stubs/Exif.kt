// A stub of androidx.exifinterface's ExifInterface for compiling docs/mobile.md's HEIC import
// on a plain JVM (android/jvm-test/docs.sh). Signatures only; nothing here runs.
@file:Suppress("unused", "UNUSED_PARAMETER")

package androidx.exifinterface.media

import java.io.InputStream

class ExifInterface(input: InputStream) {
    /** Latitude and longitude, or null when the file has none. */
    val latLong: DoubleArray? get() = throw UnsupportedOperationException("stub")

    fun getAttribute(tag: String): String? = throw UnsupportedOperationException("stub")

    companion object {
        const val TAG_DATETIME_ORIGINAL: String = "DateTimeOriginal"
        const val TAG_OFFSET_TIME_ORIGINAL: String = "OffsetTimeOriginal"
    }
}
