// Pixels the platform decoded, imported as a photo: on a phone ImageDecoder decodes the HEIC;
// here javax.imageio decodes a PNG and a JPEG, and the same RGBA bytes go through the bindings.
package com.fieldcore

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayInputStream
import java.io.ByteArrayOutputStream
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

class PlatformPixelsTest {
    /** RGBA bytes, rows without padding, from an image the platform decoded. */
    private fun rgba(image: BufferedImage): ByteArray {
        val out = ByteArray(image.width * image.height * 4)
        var at = 0
        for (y in 0 until image.height) {
            for (x in 0 until image.width) {
                val argb = image.getRGB(x, y)
                out[at++] = (argb shr 16 and 0xff).toByte()
                out[at++] = (argb shr 8 and 0xff).toByte()
                out[at++] = (argb and 0xff).toByte()
                out[at++] = (argb ushr 24 and 0xff).toByte()
            }
        }
        return out
    }

    /** A PNG with a red left half and a transparent right half. */
    private fun png(width: Int, height: Int): ByteArray {
        val image = BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB)
        for (y in 0 until height) {
            for (x in 0 until width) {
                image.setRGB(x, y, if (x < width / 2) Color(200, 30, 30).rgb else 0)
            }
        }
        val out = ByteArrayOutputStream()
        check(ImageIO.write(image, "png", out)) { "no PNG writer" }
        return out.toByteArray()
    }

    @Test
    fun `pixels decoded by the platform are imported like a photo file`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val decoded = ImageIO.read(ByteArrayInputStream(png(640, 480)))
            val pixels = PhotoPixels(
                rgba = rgba(decoded),
                width = decoded.width,
                height = decoded.height,
                orientation = 6,
                takenAt = "2026-03-14T10:26:53+08:00",
            )
            val imported = store.importPhotoPixels(id, pixels, PhotoKind.DEFECT, "Scorched winding")
            assertEquals(64, imported.hash.length)
            val photo = imported.view.photos.single()
            // Orientation 6: shot with the phone turned, stored upright.
            assertEquals(480, photo.width)
            assertEquals(640, photo.height)
            assertEquals("2026-03-14T10:26:53+08:00", photo.takenAt)
            assertNull(photo.gps, "the default policy keeps no position")

            // The stored JPEG: red where the picture was red, white where it was transparent.
            val stored = ImageIO.read(java.io.File(store.photoPath(imported.hash)!!))
            val top = Color(stored.getRGB(240, 100))
            val bottom = Color(stored.getRGB(240, 540))
            assertTrue(top.red > 180 && top.green < 60, "top $top")
            assertTrue(bottom.red > 240 && bottom.green > 240 && bottom.blue > 240, "bottom $bottom")
        }
    }

    @Test
    fun `a jpeg decoded by the platform imports, and a short buffer is refused`() {
        Fixtures.openStore().use { store ->
            val id = store.register(Fixtures.registration()).id
            val decoded = ImageIO.read(ByteArrayInputStream(Fixtures.jpeg(800, 600, seed = 3)))
            val bytes = rgba(decoded)
            val imported = store.importPhotoPixels(
                id,
                PhotoPixels(bytes, decoded.width, decoded.height),
                PhotoKind.NAMEPLATE,
            )
            assertEquals(800, imported.view.photos.single().width)

            val short = PhotoPixels(bytes.copyOf(bytes.size - 4), 800, 600)
            assertFailsWith<FieldException.UnsupportedInput> {
                store.importPhotoPixels(id, short, PhotoKind.NAMEPLATE)
            }
            val badTime = PhotoPixels(bytes, 800, 600, takenAt = "yesterday")
            val refused = assertFailsWith<FieldException.Validation> {
                store.importPhotoPixels(id, badTime, PhotoKind.NAMEPLATE)
            }
            assertEquals("taken_at", refused.field)
        }
    }
}
