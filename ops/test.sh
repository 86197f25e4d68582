#!/usr/bin/env bash
# Runs every Crossbar test on this machine, doing all set-up first (see deploy/setup.sh).
# Tests that read real venue captures from ../shared/ run when it is present and print
# "SKIPPED (no ../shared)" lines when it is not; this script repeats those lines at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
hash -r

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Unit, integration and doc tests of every crate (benchmarks are compiled by CI's clippy run and
# run by hand: see docs/benchmarks.md). Tests start Aeron media drivers and child processes, so
# test threads are capped for a 2-core machine.
# Every binary first, with the workspace's unified features: tests that start real processes
# find them next to their own executables and never start a nested build.
cargo build --workspace --bins
set +e
cargo test --workspace --no-fail-fast "$@" -- --test-threads="${CROSSBAR_TEST_THREADS:-2}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
skipped=$( (grep -o 'SKIPPED (no ../shared): [^ ]*' "$log" || true) | sort -u | wc -l)
if [ "$skipped" != 0 ]; then
  echo "================================================================"
  echo "WARNING: $skipped test(s) did not run because ../shared/ is absent:"
  grep -o 'SKIPPED (no ../shared): [^ ]*' "$log" | sort -u
  echo "================================================================"
fi
exit "$status"
