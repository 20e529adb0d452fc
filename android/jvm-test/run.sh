#!/usr/bin/env bash
# The Kotlin tests of android/fieldcore on a plain JVM, against the host build of the library:
# generated Kotlin + the Kotlin layer + the tests, compiled with kotlinc, run with JUnit 5.
# Installs what it needs when missing (JNA and JUnit 5 from Debian, kotlinc from npm), so it
# runs on a fresh machine of the project's kind. Ends with "kotlin: N passed, M failed".
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
    mkdir -p "$(dirname "$kotlin_home")"
    (cd "$(dirname "$kotlin_home")" &&
        npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null &&
        tar xzf "kotlin-compiler-$KOTLIN_VERSION.tgz" &&
        rm "kotlin-compiler-$KOTLIN_VERSION.tgz")
    chmod +x "$kotlin_home"/bin/*
fi
for jar in kotlin-stdlib kotlin-test kotlin-test-junit5 kotlinx-coroutines-core-jvm; do
    [[ -f $kotlin_home/lib/$jar.jar ]] || { echo "kotlinc package lacks $jar.jar" >&2; exit 1; }
done

# The host library with the test hooks, and the bindings generated from it in library mode.
lib="$(bindings/build-host.sh)"
rm -rf "$out/generated" "$out/classes"
mkdir -p "$out/generated" "$out/classes"
target/debug/uniffi-bindgen generate --library "$lib" --language kotlin --no-format \
    --metadata-no-deps --out-dir "$out/generated" >/dev/null

compile_cp="$java_dir/jna.jar:$java_dir/junit-jupiter-api.jar:$java_dir/apiguardian-api.jar"
compile_cp+=":$java_dir/opentest4j.jar:$kotlin_home/lib/kotlin-test.jar"
compile_cp+=":$kotlin_home/lib/kotlin-test-junit5.jar:$kotlin_home/lib/kotlinx-coroutines-core-jvm.jar"

# The Kotlin layer without its Android-only folder (it needs android.content.Context).
mapfile -t sources < <(
    find "$out/generated" -name '*.kt'
    find android/fieldcore/src/main/kotlin -name '*.kt' -not -path '*/com/fieldcore/android/*'
    find android/fieldcore/src/test/kotlin -name '*.kt'
)
started=$(date +%s)
JAVA_OPTS="-Xss4m" "$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -cp "$compile_cp" \
    -d "$out/classes" "${sources[@]}"
echo "kotlinc: compiled ${#sources[@]} files in $(( $(date +%s) - started )) s"

run_cp="$out/classes:$compile_cp:$kotlin_home/lib/kotlin-stdlib.jar"
run_cp+=":$java_dir/junit-platform-console-standalone.jar"
report="$out/junit.txt"
set +e
RUST_BACKTRACE=0 FIELDCORE_TEST_HOOKS=1 FIELDCORE_BENCH_OUT="$out/list-bench.txt" \
    java -Djna.library.path="$root/target/debug" -Djna.nosys=false \
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
