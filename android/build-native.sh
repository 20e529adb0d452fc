#!/usr/bin/env bash
# Builds libfieldcore_ffi.so for arm64-v8a, armeabi-v7a, x86_64 and x86 with cargo-ndk (release-ffi
# profile: LTO), linked for 16 KB pages, strips the copies that ship, and generates the Kotlin
# bindings from the unstripped arm64 library (library mode).
#
# Needs: rustup, an Android NDK r27 or newer (ANDROID_NDK_HOME, or ANDROID_HOME/ndk/<version>),
# cargo-ndk (installed here when missing). Written for such a machine: the project's Linux CI
# has no NDK and runs the same Kotlin against a host build instead (jvm-test/run.sh).
#
# Usage: build-native.sh [<jniLibs dir> [<generated Kotlin dir>]]
#   defaults: android/fieldcore/build/rustJniLibs and android/fieldcore/build/generated/uniffi/kotlin
set -euo pipefail
android="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$android")"
jni_out="${1:-$android/fieldcore/build/rustJniLibs}"
kotlin_out="${2:-$android/fieldcore/build/generated/uniffi/kotlin}"
min_sdk=26
profile=release-ffi
cd "$root"

if [[ -z ${ANDROID_NDK_HOME:-} && -n ${ANDROID_HOME:-} && -d $ANDROID_HOME/ndk ]]; then
    ANDROID_NDK_HOME="$(ls -d "$ANDROID_HOME"/ndk/* | tail -n 1)"
fi
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to an Android NDK (r27 or newer)}"
export ANDROID_NDK_HOME
command -v cargo-ndk >/dev/null || cargo install cargo-ndk --locked

# ABIs and their Rust targets, in the same order (plain arrays: macOS ships bash 3.2).
abis=(arm64-v8a armeabi-v7a x86_64 x86)
targets=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android i686-linux-android)
rustup target add "${targets[@]}"

# 16 KB page alignment (required on Android 15+ devices with 16 KB pages, and by Google Play
# for apps targeting them). Per target, so build scripts and proc macros built for the host
# are linked as usual.
for triple in "${targets[@]}"; do
    var="CARGO_TARGET_$(echo "$triple" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
    export "$var"="${!var:-} -C link-arg=-Wl,-z,max-page-size=16384"
done

args=()
for abi in "${abis[@]}"; do args+=(-t "$abi"); done
# Size settings of the shipped library: the release-ffi profile in the root Cargo.toml.
cargo ndk "${args[@]}" --platform "$min_sdk" build -p fieldcore-ffi --profile "$profile" --locked

strip_tool="$(ls "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin/llvm-strip | head -n 1)"
readelf_tool="$(ls "$ANDROID_NDK_HOME"/toolchains/llvm/prebuilt/*/bin/llvm-readelf | head -n 1)"
for i in "${!abis[@]}"; do
    abi=${abis[$i]}
    built="target/${targets[$i]}/$profile/libfieldcore_ffi.so"
    shipped="$jni_out/$abi/libfieldcore_ffi.so"
    mkdir -p "$jni_out/$abi"
    "$strip_tool" --strip-unneeded -o "$shipped" "$built"
    # Every LOAD segment must be aligned to 16 KB (0x4000) or more.
    while read -r align; do
        if (( align < 16384 )); then
            echo "$abi: a LOAD segment is aligned to $align, below 16 KB" >&2
            exit 1
        fi
    done < <("$readelf_tool" -lW "$shipped" | awk '$1 == "LOAD" { print $NF }')
    printf '%-12s %s bytes stripped\n' "$abi" "$(wc -c <"$shipped" | tr -d ' ')"
done

cargo build -p uniffi-bindgen --locked --quiet
rm -rf "$kotlin_out"
target/debug/uniffi-bindgen generate --library "target/aarch64-linux-android/$profile/libfieldcore_ffi.so" \
    --language kotlin --no-format --metadata-no-deps --out-dir "$kotlin_out"
echo "jniLibs: $jni_out; Kotlin bindings: $kotlin_out"
