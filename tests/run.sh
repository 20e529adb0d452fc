#!/usr/bin/env bash
# Every check CI runs: formatting, lints and all tests. Installs what it needs on a fresh
# machine of the project's kind (Rust toolchain present; cargo-nextest installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo not found: install the Rust toolchain (rustup) first" >&2
    exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install cargo-nextest --locked
fi

started=$(date +%s)
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo nextest run --workspace --locked --no-fail-fast
echo "all checks passed in $(( $(date +%s) - started )) s"
