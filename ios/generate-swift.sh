#!/usr/bin/env bash
# Generates the Swift bindings of fieldcore-ffi (library mode) and puts each file where
# Package.swift expects it:
#   Sources/FieldCore/Generated/FieldCore.swift          the Swift API (module FieldCore)
#   build/headers/FieldCoreFFI/FieldCoreFFI.h             the C declarations
#   build/headers/FieldCoreFFI/module.modulemap           module FieldCoreFFI
# The headers sit in a folder named after the module so that several XCFrameworks in one app
# do not collide on Headers/module.modulemap.
# Usage: generate-swift.sh <unstripped libfieldcore_ffi.{so,dylib,a}>
# UNIFFI_BINDGEN=<path> uses a uniffi-bindgen already built (check-swift.sh passes the one
# bindings/build-host.sh built); otherwise this script builds the workspace's.
set -euo pipefail
ios="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ios")"
lib="${1:?usage: generate-swift.sh <path to an unstripped libfieldcore_ffi>}"
cd "$root"
bindgen="${UNIFFI_BINDGEN:-}"
if [[ -z $bindgen ]]; then
    cargo build -p uniffi-bindgen --locked --quiet
    bindgen=target/debug/uniffi-bindgen
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bindgen" generate --library "$lib" --language swift --no-format \
    --metadata-no-deps --out-dir "$tmp" >/dev/null
mkdir -p "$ios/Sources/FieldCore/Generated" "$ios/build/headers/FieldCoreFFI"
mv "$tmp/FieldCore.swift" "$ios/Sources/FieldCore/Generated/FieldCore.swift"
mv "$tmp/FieldCoreFFI.h" "$ios/build/headers/FieldCoreFFI/FieldCoreFFI.h"
mv "$tmp/FieldCoreFFI.modulemap" "$ios/build/headers/FieldCoreFFI/module.modulemap"
echo "swift bindings: ios/Sources/FieldCore/Generated/FieldCore.swift, ios/build/headers/FieldCoreFFI/"
