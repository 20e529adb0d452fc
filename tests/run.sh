#!/usr/bin/env bash
# Every check CI runs: formatting, lints and all tests. Installs what it needs on a fresh
# machine of the project's kind (Rust toolchain present; cargo-nextest installed if missing).
#
# Every cargo command here selects the whole workspace in the dev profile (and so do the
# mobile scripts, through bindings/build-host.sh): cargo unifies dependency features over the
# packages a command selects, so one selection everywhere means each crate is compiled once,
# shared by clippy (build scripts and proc macros), the mobile checks and nextest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (rustup) first" >&2
    exit 1
fi
# The toolchain of rust-toolchain.toml, when rustup is not set to install it by itself.
if ! cargo --version >/dev/null 2>&1; then
    rustup toolchain install
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install cargo-nextest --locked
fi

started=$(date +%s)
step_started=$started
timings=()
step_done() { # step_done <name>: records how long the step since the last one took
    local now
    now=$(date +%s)
    timings+=("$1 $((now - step_started)) s")
    echo "$1 took $((now - step_started)) s"
    step_started=$now
}

cargo fmt --all -- --check
step_done "formatting"
cargo clippy --workspace --all-targets --locked -- -D warnings
step_done "clippy"

# Everything the later steps run, built once: the libraries and the binaries of the mobile
# checks (the host library with its test hooks, uniffi-bindgen, fieldhq), then the test
# harnesses on top of the same libraries.
bash bindings/build-host.sh >/dev/null
cargo nextest run --workspace --locked --no-run
step_done "build"

# The mobile bindings (bindings/, android/, ios/): the Kotlin tests on a JVM against the host
# library, the Python smoke test, and the Swift generation check. Each prints its own
# "N passed, M failed" line; they run before nextest so that its summary closes the output.
bash android/jvm-test/run.sh
# docs/mobile.md's Kotlin, compiled against those bindings and stubs of the Android classes.
bash android/jvm-test/docs.sh
bash bindings/python/run.sh
bash ios/check-swift.sh
step_done "mobile bindings checks"

# PostgreSQL for the HQ suite (hq/tests): a throwaway cluster in a temporary folder, listening
# on loopback only, stopped and deleted when this script exits. Every HQ test makes its own
# schema in it, so the tests run in parallel.
start_postgres() {
    local pg_ctl
    pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$pg_ctl" ]; then
        apt-get update && apt-get install -y postgresql
        pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -n 1)
    fi
    PG_BIN=$(dirname "$pg_ctl")
    PG_DIR=$(mktemp -d /tmp/fieldhq-pg.XXXXXX)
    # initdb refuses to run as root: run the server as the postgres system user then.
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_DIR"
        PG_AS=(runuser -u postgres --)
    else
        PG_AS=()
    fi
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U fieldhq --auth=trust -E UTF8 \
        >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    trap stop_servers EXIT
    local port
    for port in $(seq 55432 55532); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        # fsync off: the cluster is thrown away after the run.
        if "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=300" \
            start >/dev/null; then
            export FIELDHQ_TEST_PG_URL="postgres://fieldhq@127.0.0.1:$port/postgres"
            echo "PostgreSQL for the HQ tests on 127.0.0.1:$port"
            return 0
        fi
    done
    cat "$PG_DIR/server.log" >&2
    return 1
}
stop_postgres() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
}
stop_servers() {
    stop_s3
    stop_postgres
}
start_postgres
step_done "PostgreSQL start"

# S3-compatible object storage for the HQ blob tests (ADR 0027): s3s-fs, a real S3 server
# (the s3s project's protocol implementation over a folder), installed once with cargo and
# started on loopback with its own credentials in a temporary folder, stopped and deleted when
# this script exits. The tests of blob users run against it as well as against the folder;
# FIELDHQ_REQUIRE_S3 makes them fail rather than skip when it is missing.
S3S_FS_VERSION=0.14.1
if [ "$(s3s-fs --version 2>/dev/null)" != "s3s-fs $S3S_FS_VERSION" ]; then
    cargo install --locked s3s-fs --version "$S3S_FS_VERSION" --features binary
fi
step_done "S3 server install"
start_s3() {
    S3_DIR=$(mktemp -d /tmp/fieldhq-s3.XXXXXX)
    # A bucket of s3s-fs is a folder of its root.
    mkdir -p "$S3_DIR/root/fieldhq-test"
    local port attempt
    for port in $(seq 55600 55700); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        s3s-fs --host 127.0.0.1 --port "$port" --access-key fieldhq-test \
            --secret-key fieldhq-test-secret "$S3_DIR/root" >"$S3_DIR/server.log" 2>&1 &
        S3_PID=$!
        # Until it accepts connections; if it exits first, the port was taken: the next one.
        for attempt in $(seq 1 200); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                export FIELDHQ_TEST_S3_URL=s3://fieldhq-test
                export FIELDHQ_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
                export FIELDHQ_TEST_S3_ACCESS_KEY=fieldhq-test
                export FIELDHQ_TEST_S3_SECRET_KEY=fieldhq-test-secret
                export FIELDHQ_REQUIRE_S3=1
                echo "S3 server (s3s-fs) for the HQ tests on 127.0.0.1:$port"
                return 0
            fi
            kill -0 "$S3_PID" 2>/dev/null || break
            sleep 0.05
        done
        kill "$S3_PID" 2>/dev/null || true
        wait "$S3_PID" 2>/dev/null || true
        S3_PID=
    done
    cat "$S3_DIR/server.log" >&2
    return 1
}
stop_s3() {
    if [ -n "${S3_PID:-}" ]; then
        kill "$S3_PID" 2>/dev/null || true
        wait "$S3_PID" 2>/dev/null || true
    fi
    [ -n "${S3_DIR:-}" ] && rm -rf "$S3_DIR"
    return 0
}
start_s3
step_done "S3 server start"

# `fieldhq rma print --format pdf` embeds a font with Chinese glyphs (ADR 0020): WenQuanYi
# Micro Hei at its Debian path, fieldhq's first default; the HQ suite reads the PDF back with
# pdftotext (poppler-utils).
if [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ! command -v pdftotext >/dev/null; then
    apt-get update && apt-get install -y fonts-wqy-microhei poppler-utils
fi
step_done "fonts for printed forms"

# The HQ console's browser test (hq/tests/browser.rs) drives Debian's chromium through
# chromedriver; with FIELDHQ_REQUIRE_BROWSER set it fails rather than skips when they are
# missing. Its screenshots go to target/console-screenshots (CI keeps them as artifacts).
if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
    apt-get update && apt-get install -y chromium chromium-driver
fi
export FIELDHQ_REQUIRE_BROWSER=1
step_done "browser for the console test"

# Builds the workspace-wide selection does not make: fieldhq alone, as `fieldhq serve` ships
# (its unit tests prove the benchmark's baseline route is absent without bench-baseline), and
# the device-only fieldctl without the demo's embedded HQ.
cargo nextest run -p fieldhq --lib --locked
cargo clippy -p fieldctl --no-default-features --all-targets --locked -- -D warnings
step_done "single-crate builds"

cargo nextest run --workspace --locked --no-fail-fast
step_done "tests (nextest)"
printf '  %s\n' "${timings[@]}"
echo "all checks passed in $(( $(date +%s) - started )) s"
