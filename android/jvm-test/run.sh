#!/usr/bin/env bash
# The Kotlin tests of android/fieldcore on a plain JVM, against the host build of the library:
# generated Kotlin + the Kotlin layer + the tests, compiled with kotlinc, run with JUnit 5.
# Installs what it needs when missing (JNA and JUnit 5 from Debian, kotlinc from npm), so it
# runs on a fresh machine of the project's kind. SyncTest, ReturnsTest and EvictionTest sync
# with a real HQ (the fieldhq binary, debug build) that this script starts on a free loopback
# port with a fresh data folder, one engineer with three enrolled devices (EvictionTest has
# the third to itself), a warehouse receiver with one, and the return approvers (ReturnsTest
# runs the binary on that folder to approve), and stops on exit.
# bindings/build-host.sh builds the library, uniffi-bindgen and fieldhq in one cargo command
# shared with the other steps of tests/run.sh; kotlinc runs again only when a source it
# compiles has changed.
# Ends with "kotlin: N passed, M failed".
# FIELDCORE_FFI_LIB=target/release-ffi/libfieldcore_ffi.so runs the same tests against another
# build of the library (the shipped release one, for the list timing); it has no test hooks, so
# the panic test is skipped then.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

KOTLIN_VERSION=2.4.20
out="$root/target/jvm-test"
kotlin_home="$root/target/kotlinc/$KOTLIN_VERSION/package"
java_dir=/usr/share/java

# JNA (with its native part) and the JUnit 5 console launcher, from Debian.
if [[ ! -f $java_dir/jna.jar || ! -f $java_dir/junit-platform-console-standalone.jar ]]; then
    echo "installing JNA and JUnit 5 (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libjna-java libjna-jni junit5 >/dev/null
fi

# kotlinc from the npm registry's kotlin-compiler package, cached under target/.
if [[ ! -x $kotlin_home/bin/kotlinc ]]; then
    echo "fetching kotlin-compiler@$KOTLIN_VERSION (npm)"
    # Fetched and unpacked in a folder of its own, then moved into place whole: a half-unpacked
    # compiler is never mistaken for a cached one.
    fetch="$(mktemp -d)"
    (cd "$fetch" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null &&
        tar xzf kotlin-compiler-*.tgz)
    mkdir -p "$(dirname "$kotlin_home")"
    rm -rf "$kotlin_home"
    mv "$fetch/package" "$kotlin_home"
    rm -rf "$fetch"
    chmod +x "$kotlin_home"/bin/*
fi
for jar in kotlin-stdlib kotlin-test kotlin-test-junit5 kotlinx-coroutines-core-jvm; do
    [[ -f $kotlin_home/lib/$jar.jar ]] || { echo "kotlinc package lacks $jar.jar" >&2; exit 1; }
done

# The host library with the test hooks (built with uniffi-bindgen and fieldhq), and the
# bindings generated from it in library mode.
lib="$(bindings/build-host.sh)"
hooks=1
if [[ -n ${FIELDCORE_FFI_LIB:-} ]]; then
    lib="$(realpath "$FIELDCORE_FFI_LIB")"
    hooks=0
fi
echo "library: $lib"
rm -rf "$out/generated"
mkdir -p "$out/generated"
target/debug/uniffi-bindgen generate --library "$lib" --language kotlin --no-format \
    --metadata-no-deps --out-dir "$out/generated" >/dev/null

# No unsigned type in the Kotlin public API: Java callers cannot use UInt/ULong and Kotlin code
# converts at every use. The bindings convert to signed numbers (bindings/src/convert.rs); the
# generated code names a public unsigned type as kotlin.UInt (...), and has a converter for it
# only when one is used, so either is a regression.
if unsigned=$(grep -nE 'kotlin\.U(Int|Long|Short|Byte)\b|object FfiConverterU(Int|Long|Short|Byte)\b' \
    "$out"/generated/com/fieldcore/*.kt); then
    echo "unsigned types in the generated Kotlin API:" >&2
    echo "$unsigned" >&2
    exit 1
fi
echo "kotlin API: no unsigned types"

compile_cp="$java_dir/jna.jar:$java_dir/junit-jupiter-api.jar:$java_dir/apiguardian-api.jar"
compile_cp+=":$java_dir/opentest4j.jar:$kotlin_home/lib/kotlin-test.jar"
compile_cp+=":$kotlin_home/lib/kotlin-test-junit5.jar:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"

# The Kotlin layer without its Android-only folder (it needs android.content.Context).
mapfile -t sources < <(
    find "$out/generated" -name '*.kt'
    find android/fieldcore/src/main/kotlin -name '*.kt' -not -path '*/com/fieldcore/android/*'
    find android/fieldcore/src/test/kotlin -name '*.kt'
    # Stubs of the few Android classes the generated bindings name (uniffi.toml: android = true).
    find android/jvm-test/stubs -name '*.kt'
)
# kotlinc takes a minute or more: skipped when the classes were compiled from exactly these
# sources (generated bindings included), with this compiler and class path.
stamp="$out/classes.sha256"
digest=$({
    echo "$KOTLIN_VERSION $compile_cp"
    for f in $(printf '%s\n' "${sources[@]#"$root"/}" | sort); do
        echo "$f"
        cat "$f"
    done
} | sha256sum | cut -d' ' -f1)
if [[ -d $out/classes && -f $stamp && $(cat "$stamp") == "$digest" ]]; then
    echo "kotlinc: ${#sources[@]} files unchanged since the last compile"
else
    rm -rf "$out/classes" "$stamp"
    mkdir -p "$out/classes"
    started=$(date +%s)
    JAVA_OPTS="-Xss4m" "$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -cp "$compile_cp" \
        -d "$out/classes" "${sources[@]}"
    echo "$digest" >"$stamp"
    echo "kotlinc: compiled ${#sources[@]} files in $(( $(date +%s) - started )) s"
fi

# HQ for SyncTest: an engineer with a phone and a tablet, then the server on port 0 (the OS
# picks a free one). The server prints "fieldhq listening on <url>" once it accepts
# connections; reading that line from its stdout (a coprocess) is the wait, with a bound.
hq="$root/target/debug/fieldhq"
hq_data="$(mktemp -d)"
hq_pid=""
stop_hq() {
    if [[ -n $hq_pid ]]; then
        kill "$hq_pid" 2>/dev/null || true
        wait "$hq_pid" 2>/dev/null || true
    fi
    rm -rf "$hq_data"
}
trap stop_hq EXIT
# ReturnsTest adds the warehouse's receiver with a tablet, and the return approval chain's
# customer-service manager and vice president, who decide at HQ through this binary.
"$hq" --data "$hq_data" --log warn user add "Wang Fang" --role engineer >/dev/null
"$hq" --data "$hq_data" --log warn user add "Zhou Qiang" --role warehouse >/dev/null
"$hq" --data "$hq_data" --log warn user add "Li Na" --role cs-manager >/dev/null
"$hq" --data "$hq_data" --log warn user add "Chen Gang" --role vp >/dev/null
enrol() { "$hq" --data "$hq_data" --log warn device enrol "$1" --label "$2" | sed -nE 's/^token +//p'; }
phone_token="$(enrol "Wang Fang" phone)"
tablet_token="$(enrol "Wang Fang" tablet)"
warehouse_token="$(enrol "Zhou Qiang" warehouse-tablet)"
# EvictionTest's own phone: evicting every closed case must not touch the shared phone's.
evict_token="$(enrol "Wang Fang" evict-phone)"
[[ -n $phone_token && -n $tablet_token && -n $warehouse_token && -n $evict_token ]] ||
    { echo "fieldhq printed no device token" >&2; exit 1; }
coproc HQ { exec "$hq" --data "$hq_data" --log warn serve --addr 127.0.0.1:0 2>"$hq_data/serve.log"; }
hq_pid=$HQ_PID
hq_url=""
if read -r -t 60 line <&"${HQ[0]}"; then
    hq_url="${line#fieldhq listening on }"
fi
if [[ ! $hq_url =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || ! curl -fsS "$hq_url/health" >/dev/null; then
    echo "fieldhq did not start:" >&2
    cat "$hq_data/serve.log" >&2
    exit 1
fi
echo "fieldhq: $hq_url"

run_cp="$out/classes:$compile_cp:$kotlin_home/lib/kotlin-stdlib.jar"
run_cp+=":$java_dir/junit-platform-console-standalone.jar"
report="$out/junit.txt"
set +e
RUST_BACKTRACE=0 FIELDCORE_TEST_HOOKS=$hooks FIELDCORE_BENCH_OUT="$out/list-bench.txt" \
    FIELDCORE_HQ_URL="$hq_url" FIELDCORE_HQ_TOKEN="$phone_token" FIELDCORE_HQ_TOKEN_TABLET="$tablet_token" \
    FIELDCORE_HQ_TOKEN_WAREHOUSE="$warehouse_token" FIELDCORE_HQ_TOKEN_EVICT="$evict_token" \
    FIELDCORE_HQ_BIN="$hq" FIELDCORE_HQ_DATA="$hq_data" \
    java -Djna.library.path="$(dirname "$lib")" -Djna.nosys=false \
    -cp "$run_cp" org.junit.platform.console.ConsoleLauncher \
    --disable-banner --disable-ansi-colors --details=tree \
    --scan-classpath "$out/classes" --include-classname '.*Test' >"$report" 2>&1
status=$?
set -e
cat "$report"
[[ -f $out/list-bench.txt ]] && cat "$out/list-bench.txt"
passed=$(sed -nE 's/^\[ *([0-9]+) tests successful *\]$/\1/p' "$report")
failed=$(sed -nE 's/^\[ *([0-9]+) tests failed *\]$/\1/p' "$report")
echo "kotlin: ${passed:-0} passed, ${failed:-0} failed"
if [[ $status -ne 0 || ${passed:-0} -eq 0 ]]; then
    exit 1
fi
