#!/usr/bin/env bash
# What CI can check of the iOS package without a Swift toolchain: the Swift bindings generate
# from the library, every file lands where Package.swift and build-xcframework.sh expect it,
# the C module names agree, and every generated function and type the Swift layer and the
# XCTests use exists in the generated API (a drift check, not a compile).
# Usage: check-swift.sh [<libfieldcore_ffi.so>]  (default: bindings/build-host.sh's build)
# Ends with "swift: N passed, M failed".
set -euo pipefail
ios="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$ios")"
if [[ $# -ge 1 ]]; then
    "$ios/generate-swift.sh" "$1"
else
    # build-host.sh builds uniffi-bindgen with the library and everything else tests/run.sh
    # needs: generate-swift.sh uses that one instead of building it on its own.
    lib="$("$root/bindings/build-host.sh")"
    UNIFFI_BINDGEN="$root/target/debug/uniffi-bindgen" "$ios/generate-swift.sh" "$lib"
fi

passed=0
failed=0
check() { # check <description> <command...>
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        passed=$((passed + 1))
        echo "ok   $what"
    else
        failed=$((failed + 1))
        echo "FAIL $what"
    fi
}

generated="$ios/Sources/FieldCore/Generated/FieldCore.swift"
headers="$ios/build/headers/FieldCoreFFI"
layer="$ios/Sources/FieldCore/AsyncFieldStore.swift"
types="$ios/Sources/FieldCore/FieldTypes.swift"
tests=("$ios"/Tests/FieldCoreTests/*.swift)

check "generated Swift is in the FieldCore target" test -s "$generated"
check "C header is in the XCFramework's headers" test -s "$headers/FieldCoreFFI.h"
check "module map is named module.modulemap" test -s "$headers/module.modulemap"
check "module map declares module FieldCoreFFI" grep -q '^module FieldCoreFFI' "$headers/module.modulemap"
check "module map names the header beside it" grep -q 'header "FieldCoreFFI.h"' "$headers/module.modulemap"
check "generated Swift imports FieldCoreFFI" grep -q 'import FieldCoreFFI' "$generated"
check "Package.swift: binary target FieldCoreFFI from build/" \
    grep -q 'binaryTarget(name: "FieldCoreFFI", path: "build/FieldCoreFFI.xcframework")' "$ios/Package.swift"
check "Package.swift: FieldCore target at Sources/FieldCore" \
    grep -q 'path: "Sources/FieldCore"' "$ios/Package.swift"
check "build-xcframework.sh packs build/headers" grep -q -- '-headers "$out/headers"' "$ios/build-xcframework.sh"
check "the shipped API has no test hook unless asked" \
    bash -c "! grep -q 'panicForTest' '$ios/Sources/FieldCore/AsyncFieldStore.swift'"

# Dates, timestamps and ids are the Swift types of FieldTypes.swift (bindings/uniffi.toml), and
# the observation, query, conflict and return types the layer builds on are generated.
check "Timestamp is FieldTimestamp" grep -q 'public typealias Timestamp = FieldTimestamp' "$generated"
check "LocalDate is FieldDate" grep -q 'public typealias LocalDate = FieldDate' "$generated"
check "CaseId is UUID" grep -q 'public typealias CaseId = UUID' "$generated"
check "FieldTypes.swift declares FieldTimestamp, FieldDate, CaseIdWire" \
    bash -c "grep -q 'struct FieldTimestamp' '$types' && grep -q 'struct FieldDate' '$types' && grep -q 'enum CaseIdWire' '$types'"
for generated_type in 'protocol StoreObserver' 'struct SyncStatus' 'enum SyncActivity' \
    'struct SyncFailure' 'enum ConflictDecision' 'struct CaseCounts' 'enum ListSort' \
    'protocol LogSink' 'enum LogLevel' 'struct CaseReturn' 'struct ReturnReceipt' 'struct RaisedCheck' \
    'enum ReceivingCheck' 'enum ReturnState' 'struct ReturnRequest' 'struct ReceiptInput' \
    'enum InspectionResult'; do
    check "generated: $generated_type" grep -qE "public $generated_type\b" "$generated"
done
check "the layer's events and errors are Sendable / LocalizedError" \
    bash -c "grep -q 'enum SyncEvent: @unchecked Sendable' '$layer' && grep -q 'extension FieldError: LocalizedError' '$layer'"

# Every error code the library can produce (docs/mobile.md's table, which a Rust test checks
# against core/src/codes.rs) is declared as a FieldErrorCode constant where the layer maps
# errors, and the generated FieldError carries the code in each case.
codes=$(sed -n '/<!-- error codes -->/,/^$/p' "$root/docs/mobile.md" | grep -oE '^\| `[a-z_.]+`' | tr -d '|` ')
check "docs/mobile.md has the error code table" test -n "$codes"
for code in $codes; do
    check "FieldErrorCode declares $code" grep -q "rawValue: \"$code\")" "$layer"
done
check "generated FieldError cases carry a code" grep -qE 'case Validation\(.*code: String' "$generated"

# Every function the layer and the tests call on the generated API exists there.
declared_funcs=$(grep -ohE 'func `?[A-Za-z]+`?\(' "$generated" "$layer" "$types" "${tests[@]}" |
    sed -E 's/func `?([A-Za-z]+)`?\(/\1/' | sort -u)
called=$(grep -ohE '(store|\$0)\.[a-z][A-Za-z]+\(' "$layer" "${tests[@]}" |
    sed -E 's/.*\.([A-Za-z]+)\(/\1/' | sort -u)
called+=$'\n'$(grep -ohE '\b(checkWarranty|libraryVersion)\(question:' "${tests[@]}" | sed 's/(.*//' | sort -u)
for name in $called; do
    [[ -z $name ]] && continue
    check "function $name exists" grep -qx "$name" <<<"$declared_funcs"
done

# Every type the layer and the tests name is declared in the generated API, the layer, the
# tests, or is one of the platform's.
declared_types=$(grep -ohE '(struct|class|enum|protocol|typealias) [A-Z][A-Za-z]+' \
    "$generated" "$layer" "$types" "${tests[@]}" | awk '{print $2}' | sort -u)
platform="Bool Data Date Double Error Int String URL UUID Set Task NSLock Thread Result Sendable
CancellationError DispatchQueue DispatchTime FileManager ISO8601DateFormatter TimeZone XCTestCase
XCTUnwrap UIColor UIGraphicsImageRenderer UIGraphicsImageRendererFormat CGSize CGRect CGFloat
URLResourceValues AsyncThrowingStream UInt64 UInt32 UnsafeCurrentTask FieldCore Foundation XCTest UIKit
ProcessInfo NSRegularExpression AsyncStream LocalizedError DateComponents Comparable Hashable
CustomStringConvertible ExpressibleByStringLiteral RawRepresentable"
used=$(grep -ohE '\b[A-Z][A-Za-z]+\b' "$layer" "$types" "${tests[@]}" | sort -u)
for name in $used; do
    case $name in XCT*|MΩ|SN|HQ|JPEG|HEIC|FIELDCORE_TEST_HOOKS|W|OLD) continue ;; esac
    if grep -qx "$name" <<<"$declared_types" || grep -qw "$name" <<<"$platform"; then
        continue
    fi
    # Enum cases and record fields are lower case; an upper-case word in a string or comment
    # (a customer's name, a test name) is not a type: only check words used as code.
    if grep -qE "(: |\[|<|\(|^ *)$name(\(|\.|\)|\]|>|\?| \{|,)" "$layer" "${tests[@]}"; then
        check "type $name exists" false
    fi
done

echo "swift: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
