// Stubs of android.graphics (ImageDecoder, Bitmap, ColorSpace) for compiling docs/mobile.md's
// HEIC import on a plain JVM (android/jvm-test/docs.sh). Signatures only; nothing here runs.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android.graphics

import java.nio.Buffer

class Bitmap private constructor() {
    enum class Config { ARGB_8888 }

    val width: Int get() = throw UnsupportedOperationException("stub")
    val height: Int get() = throw UnsupportedOperationException("stub")
    val byteCount: Int get() = throw UnsupportedOperationException("stub")

    fun copy(config: Config, isMutable: Boolean): Bitmap = throw UnsupportedOperationException("stub")

    fun copyPixelsToBuffer(dst: Buffer): Unit = throw UnsupportedOperationException("stub")
}

class ColorSpace private constructor() {
    enum class Named { SRGB }

    companion object {
        @JvmStatic
        fun get(name: Named): ColorSpace = throw UnsupportedOperationException("stub")
    }
}

class ImageDecoder private constructor() {
    class Source private constructor()

    class Size(val width: Int, val height: Int)

    class ImageInfo private constructor() {
        val size: Size get() = throw UnsupportedOperationException("stub")
    }

    fun interface OnHeaderDecodedListener {
        fun onHeaderDecoded(decoder: ImageDecoder, info: ImageInfo, source: Source)
    }

    var allocator: Int = 0

    fun setTargetColorSpace(colorSpace: ColorSpace): Unit = throw UnsupportedOperationException("stub")

    fun setTargetSize(width: Int, height: Int): Unit = throw UnsupportedOperationException("stub")

    companion object {
        const val ALLOCATOR_SOFTWARE: Int = 1

        @JvmStatic
        fun createSource(resolver: android.content.ContentResolver, uri: android.net.Uri): Source =
            throw UnsupportedOperationException("stub")

        @JvmStatic
        fun decodeBitmap(source: Source, listener: OnHeaderDecodedListener): Bitmap =
            throw UnsupportedOperationException("stub")
    }
}
