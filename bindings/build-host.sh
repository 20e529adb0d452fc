#!/usr/bin/env bash
# Builds the host library the test harnesses load (Kotlin on the JVM, Python, the Swift
# generation check) and the in-workspace uniffi-bindgen, the same way for all three so cargo
# builds them once: cdylib only (the staticlib is for iOS), with the test hooks, and with our
# two crates optimised like their dependencies already are in the dev profile (so photo
# processing and the list timing are representative). Prints the library's path.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo rustc -p fieldcore-ffi --lib --crate-type cdylib --features test-hooks --locked --quiet \
    --config 'profile.dev.package.fieldcore.opt-level=2' \
    --config 'profile.dev.package.fieldcore-ffi.opt-level=2'
cargo build -p uniffi-bindgen --locked --quiet
echo "$root/target/debug/libfieldcore_ffi.so"
