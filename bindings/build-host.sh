#!/usr/bin/env bash
# Builds what the mobile checks run (android/jvm-test/run.sh, bindings/python/run.sh,
# ios/check-swift.sh): the host library with the test hooks, the in-workspace uniffi-bindgen,
# and the fieldhq server the Kotlin sync tests talk to. Prints the library's path.
#
# One cargo command over the whole workspace, in the plain dev profile, the way tests/run.sh's
# nextest builds it. Cargo unifies dependency features over the packages a command selects, so
# building `-p fieldcore-ffi`, `-p uniffi-bindgen` and `-p fieldhq` apart (and our crates at
# another opt-level) compiled tokio, hyper, reqwest, serde, syn, automerge, fieldcore, ... again
# for each, and nextest once more. Selecting every package and only the targets needed here
# (the libraries, which the tests need too, and two binaries) leaves nextest nothing to build
# but the test harnesses: besides those, the host library (the test hooks change fieldcore-ffi
# alone, which nothing depends on) and uniffi-bindgen are the only units no test needs.
# The library is a debug build: the list timings the Kotlin and Python tests print are the CI
# harness's, not the app's (FIELDCORE_FFI_LIB=target/release-ffi/libfieldcore_ffi.so
# bash android/jvm-test/run.sh measures the shipped library).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --workspace --lib --bin fieldhq --bin uniffi-bindgen --features fieldcore-ffi/test-hooks \
    --locked --quiet
echo "$root/target/debug/libfieldcore_ffi.so"
