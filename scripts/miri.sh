#!/usr/bin/env bash
# miri.sh: run the hart's tests under Miri, which checks every `unsafe`
# access they reach (the fast loop's unchecked slot read and the TLB-hit RAM
# accesses of cpu/src/exec.rs) for out-of-bounds and other undefined behaviour.
#
#   scripts/miri.sh            the cpu crate's unit tests, its run-loop, trap
#                              and Sv39 tests, and a few random streams
#
# Needs the nightly toolchain with the miri component; this script installs
# them with rustup (network) if they are missing. It is not part of .ci/run,
# because a fresh CI machine may not reach rustup's servers; run it after
# changing anything the SAFETY comments in cpu/src/exec.rs rely on. Takes
# about 10 minutes (Miri interprets, so the tests run ~1000x slower than
# natively; the proptest runs only a few cases).

set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly miri --version >/dev/null 2>&1; then
    rustup toolchain install nightly --profile minimal --component miri,rust-src
fi

# The tests read files relative to the repository (isolation off).
export MIRIFLAGS="-Zmiri-disable-isolation"
export PROPTEST_CASES="${PROPTEST_CASES:-3}"
cargo +nightly miri test -p cpu --lib
cargo +nightly miri test -p cpu --test basic --test run_loop --test sv39 --test traps
# The random streams (some with budgets above a page, so the fast loop counts
# by runs); the tight-loop proptest is left out, as its 90,000-instruction
# cases take Miri more than half an hour.
cargo +nightly miri test -p cpu --test random_streams -- random_streams_are_safe
