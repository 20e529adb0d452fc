// Shared fixtures of the XCTest suite (mirrors android/.../TestSupport.kt).
import Foundation
import XCTest
#if canImport(UIKit)
import UIKit
#endif
@testable import FieldCore

enum Fixtures {
    static let offset = TimeZone(secondsFromGMT: 8 * 3600)!

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func openStore(user: String = "Wang Fang") throws -> FieldStore {
        try FieldStore.open(path: tempDir().appendingPathComponent("device.db").path, user: user)
    }

    /// A `Timestamp` with the +08:00 offset, as a device in the procedures records it.
    static func timestamp(_ date: Date = Date()) -> Timestamp {
        Timestamp(date: date, timeZone: offset)
    }

    static func registration(
        customer: String = "Hebei Pump Station No. 3",
        serial: String = "M2406-118842",
        phone: String = "+86 311 5555 0101"
    ) -> Registration {
        Registration(
            customerName: customer,
            customerPhone: phone,
            customerAddress: "12 Canal Road",
            region: "Hebei",
            homeRegion: true,
            market: .domestic,
            productModel: "YE3-132M-4",
            productCategory: "motor",
            serialNumber: serial,
            manufactureDate: "2026-03-02",
            purchaseDate: "2026-06-01",
            proofOfPurchase: .invoice(number: "INV-0099812"),
            faultDescription: "Trips the breaker after two minutes",
            customerRequest: .repair,
            channel: .phone,
            receivedAt: timestamp(Date().addingTimeInterval(-7200)),
            firstResponder: "Wang Fang"
        )
    }

    /// A camera-like JPEG: a gradient with some noise.
    static func jpeg(width: Int = 1024, height: Int = 768, seed: Int = 1) -> Data {
        #if canImport(UIKit)
        let format = UIGraphicsImageRendererFormat()
        format.scale = 1
        let renderer = UIGraphicsImageRenderer(size: CGSize(width: width, height: height), format: format)
        let image = renderer.image { context in
            for band in 0..<64 {
                let hue = CGFloat((band * 7 + seed * 13) % 64) / 64
                UIColor(hue: hue, saturation: 0.6, brightness: 0.8, alpha: 1).setFill()
                context.fill(CGRect(x: band * width / 64, y: 0, width: width / 64 + 1, height: height))
            }
        }
        return image.jpegData(compressionQuality: 0.9)!
        #else
        fatalError("the tests run on an iOS simulator")
        #endif
    }

    static func jpegFile(in dir: URL, name: String, seed: Int) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try jpeg(seed: seed).write(to: url)
        return url
    }
}
