// Shared fixtures of the Kotlin tests: a fresh store in a temporary folder, a registration
// form, and camera-like JPEGs drawn with java.awt.
package com.fieldcore

import java.awt.Color
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.file.Files
import java.time.LocalDate
import java.time.OffsetDateTime
import java.time.ZoneOffset
import javax.imageio.ImageIO

object Fixtures {
    /** Beijing time, as the devices in the procedures would record it. */
    val offset: ZoneOffset = ZoneOffset.ofHours(8)

    fun tempDir(): File = Files.createTempDirectory("fieldcore-kt").toFile().also { it.deleteOnExit() }

    fun openStore(user: String = "Wang Fang"): FieldStore =
        FieldStore.open(File(tempDir(), "device.db").path, user)

    fun registration(
        customer: String = "Hebei Pump Station No. 3",
        serial: String = "M2406-118842",
        model: String = "YE3-132M-4",
        category: String = "motor",
        purchase: LocalDate? = LocalDate.of(2026, 6, 1),
        phone: String = "+86 311 5555 0101",
    ): Registration = Registration(
        customerName = customer,
        customerPhone = phone,
        customerAddress = "12 Canal Road",
        region = "Hebei",
        homeRegion = true,
        market = Market.DOMESTIC,
        productModel = model,
        productCategory = category,
        serialNumber = serial,
        manufactureDate = LocalDate.of(2026, 3, 2),
        purchaseDate = purchase,
        proofOfPurchase = if (purchase != null) ProofOfPurchase.Invoice("INV-0099812") else ProofOfPurchase.None,
        faultDescription = "Trips the breaker after two minutes",
        customerRequest = CustomerRequest.REPAIR,
        channel = Channel.PHONE,
        receivedAt = OffsetDateTime.now(offset).minusHours(2),
        firstResponder = "Wang Fang",
    )

    /** A JPEG as a phone would hand it over: a noisy gradient, so it compresses like a photo. */
    fun jpeg(width: Int = 1024, height: Int = 768, seed: Int = 1): ByteArray {
        val image = BufferedImage(width, height, BufferedImage.TYPE_INT_RGB)
        val random = java.util.Random(seed.toLong())
        for (y in 0 until height) {
            for (x in 0 until width) {
                val r = (x * 255 / width + random.nextInt(16)) and 0xff
                val g = (y * 255 / height + random.nextInt(16)) and 0xff
                val b = ((x + y + seed * 40) % 256)
                image.setRGB(x, y, Color(r, g, b).rgb)
            }
        }
        val out = ByteArrayOutputStream()
        check(ImageIO.write(image, "jpg", out)) { "no JPEG writer" }
        return out.toByteArray()
    }

    fun jpegFile(dir: File, name: String, seed: Int, width: Int = 1024, height: Int = 768): File =
        File(dir, name).also { it.writeBytes(jpeg(width, height, seed)) }
}
