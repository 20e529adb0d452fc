#!/usr/bin/env bash
# Python smoke test of the FFI surface: bindings generated from the host library (library
# mode; bindings/build-host.sh, shared with the other mobile checks), the library linked beside
# the module, then smoke.py. Ends with "python: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
out="$root/target/python-smoke"
lib="$(bindings/build-host.sh)"
rm -rf "$out" && mkdir -p "$out"
target/debug/uniffi-bindgen generate --library "$lib" --language python --no-format \
    --metadata-no-deps --out-dir "$out" >/dev/null
ln -s "$lib" "$out/"
PYTHONPATH="$out" RUST_BACKTRACE=0 python3 "$root/bindings/python/smoke.py"
