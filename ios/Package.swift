// swift-tools-version:5.9
// FieldCore for iOS: the Rust engine as an XCFramework (built by build-xcframework.sh), the
// Swift bindings uniffi generates from it, and a thin async layer.
//
// Before the first `swift build` / `xcodebuild`, run ./build-xcframework.sh on a Mac: it writes
// build/FieldCoreFFI.xcframework and Sources/FieldCore/Generated/FieldCore.swift, the two
// generated inputs this manifest expects. Tests run on a simulator:
//   xcodebuild test -scheme FieldCore -destination 'platform=iOS Simulator,name=iPhone 15'
// With FIELDCORE_TEST_HOOKS=1 (and the XCFramework built with --test-hooks) the panic test runs.
import Foundation
import PackageDescription

let testHooks = ProcessInfo.processInfo.environment["FIELDCORE_TEST_HOOKS"] == "1"

let package = Package(
    name: "FieldCore",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "FieldCore", targets: ["FieldCore"]),
    ],
    targets: [
        // The static library for device and simulator, with the C header and module map of
        // the FFI (module FieldCoreFFI).
        .binaryTarget(name: "FieldCoreFFI", path: "build/FieldCoreFFI.xcframework"),
        // Generated/FieldCore.swift (uniffi) and the async layer beside it.
        .target(name: "FieldCore", dependencies: ["FieldCoreFFI"], path: "Sources/FieldCore"),
        .testTarget(
            name: "FieldCoreTests",
            dependencies: ["FieldCore"],
            path: "Tests/FieldCoreTests",
            swiftSettings: testHooks ? [.define("FIELDCORE_TEST_HOOKS")] : []
        ),
    ]
)
