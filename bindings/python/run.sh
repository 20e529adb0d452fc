#!/usr/bin/env bash
# Python smoke test of the FFI surface: bindings generated from the host library (library
# mode), the library beside the module, then smoke.py. Reuses the library android/jvm-test
# built when it is there. Ends with "python: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$root/target/python-smoke"
lib="$root/target/debug/libfieldcore_ffi.so"
if [[ ! -f $lib ]]; then
    cargo rustc -p fieldcore-ffi --lib --crate-type cdylib --features test-hooks --locked --quiet
fi
cargo build -p uniffi-bindgen --locked --quiet
rm -rf "$out" && mkdir -p "$out"
target/debug/uniffi-bindgen generate --library "$lib" --language python --no-format \
    --metadata-no-deps --out-dir "$out" >/dev/null
cp "$lib" "$out/"
PYTHONPATH="$out" RUST_BACKTRACE=0 python3 "$root/bindings/python/smoke.py"
