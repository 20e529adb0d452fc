#!/usr/bin/env bash
# Builds build/FieldCoreFFI.xcframework for iOS devices (aarch64-apple-ios) and the simulator
# (aarch64-apple-ios-sim + x86_64-apple-ios, one fat library), with the release-ffi profile
# (LTO), and generates the Swift bindings beside it. Needs a Mac with Xcode and rustup.
# Written for that machine; the Linux CI checks only the Swift generation (check-swift.sh).
# Usage: build-xcframework.sh [--test-hooks]   (the latter builds the panic hook for XCTest)
set -euo pipefail
ios="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ios")"
cd "$root"

features=()
if [[ ${1:-} == --test-hooks ]]; then
    features=(--features test-hooks)
fi
[[ $(uname) == Darwin ]] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"
export IPHONEOS_DEPLOYMENT_TARGET=15.0
for target in "${targets[@]}"; do
    # Size settings of the shipped library: the release-ffi profile in the root Cargo.toml.
    cargo build -p fieldcore-ffi --profile release-ffi --target "$target" --locked \
        ${features[@]+"${features[@]}"}
done
# Library mode reads the bindings' metadata from the (unstripped) device archive.
"$ios/generate-swift.sh" "$root/target/aarch64-apple-ios/release-ffi/libfieldcore_ffi.a"

out="$ios/build"
rm -rf "$out/FieldCoreFFI.xcframework" "$out/simulator"
mkdir -p "$out/simulator"
lipo -create \
    "target/aarch64-apple-ios-sim/release-ffi/libfieldcore_ffi.a" \
    "target/x86_64-apple-ios/release-ffi/libfieldcore_ffi.a" \
    -output "$out/simulator/libfieldcore_ffi.a"
xcodebuild -create-xcframework \
    -library "target/aarch64-apple-ios/release-ffi/libfieldcore_ffi.a" -headers "$out/headers" \
    -library "$out/simulator/libfieldcore_ffi.a" -headers "$out/headers" \
    -output "$out/FieldCoreFFI.xcframework"
du -sh "$out/FieldCoreFFI.xcframework"
echo "done: ios/build/FieldCoreFFI.xcframework and ios/Sources/FieldCore/Generated/FieldCore.swift"
