#!/usr/bin/env bash
# The shipped library for the host (x86_64 Linux here), built as the Android and iOS scripts
# build theirs: release-ffi profile (fat LTO, one codegen unit, panic = unwind, opt-level "s"
# outside the photo and SQLite code), cdylib only (so LTO runs), then a stripped copy for
# shipping beside the unstripped one (which uniffi-bindgen reads its metadata from).
# Prints both sizes; the target for the stripped x86_64 library is 8 MB or less.
# Usage: build-release.sh   -> target/release-ffi/dist/libfieldcore_ffi.so
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
started=$(date +%s)
# cdylib only: the staticlib is for iOS and would double the LTO work here.
cargo rustc -p fieldcore-ffi --lib --crate-type cdylib --profile release-ffi --locked
seconds=$(( $(date +%s) - started ))
built=target/release-ffi/libfieldcore_ffi.so
mkdir -p target/release-ffi/dist
shipped=target/release-ffi/dist/libfieldcore_ffi.so
strip --strip-unneeded -o "$shipped" "$built"
size() { wc -c <"$1" | tr -d ' '; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f MiB", b / 1048576 }'; }
unstripped=$(size "$built")
stripped=$(size "$shipped")
echo "built in ${seconds} s"
echo "unstripped: $built $unstripped bytes ($(mib "$unstripped"))"
echo "stripped:   $shipped $stripped bytes ($(mib "$stripped"))"
limit=8000000
if (( stripped > limit )); then
    echo "the stripped library is over the 8 MB target" >&2
    exit 1
fi
