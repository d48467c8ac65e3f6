#!/usr/bin/env bash
# soak.sh: the long versions of the hostile-input checks, in a fixed time
# budget (SOAK_SECONDS, default 180).
#
#   1. trap-loops.s with a million rounds (a million system calls, two
#      million page faults at one load, a million timer interrupts): never
#      a trap storm, natively and under the monitor, with equal digests;
#   2. the storm guests (a handler that faults after one instruction, one
#      without a stack, stvec at nothing): stopped with status 126 within
#      a second, natively and under the monitor;
#   3. memory: 1, 10, 100 and 1000 idle guests of 128 MiB (hello.s) under
#      the monitor; prints the peak RSS of each run, and fails if 1000 need
#      more than 512 MiB (RAM is reserved, not allocated: see cpu/src/zeroed.rs);
#   4. for the rest of the budget, batches of the random-program
#      differential test (tests/equivalence/random_programs.rs: translated,
#      interpreted, alone and beside another under the monitor at a random
#      quantum; equal console, end and digest), each batch with new random
#      programs. A failure prints proptest's minimal failing program.
#
#   scripts/soak.sh                 three minutes, new random programs
#   SOAK_SECONDS=600 scripts/soak.sh
#   SOAK_SEED=1 scripts/soak.sh     batch k draws from seed 1+k: the same
#                                   programs every time (what .ci/run does,
#                                   so that CI is deterministic; run without
#                                   it by hand to explore new programs)
#
# Prints one line per check and the number of random programs run; exits
# non-zero if anything failed. Works from any directory; needs cargo.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
budget=${SOAK_SECONDS:-180}
start=$(date +%s)
failed=0
fail() {
    echo "FAIL $*"
    failed=$((failed + 1))
}

cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. a million legitimate traps of each kind ------------------------------
digest() { grep -o 'trace digest: [0-9a-f]*' "$1" | head -1; }
"$tv" run --stats tests/guests/trap-loops.s >"$tmp/native.out" 2>"$tmp/native.err"
native_status=$?
"$tv" run --monitor --stats tests/guests/trap-loops.s >"$tmp/mon.out" 2>"$tmp/mon.err"
mon_status=$?
if [ $native_status -eq 0 ] && [ $mon_status -eq 0 ] &&
    grep -q '^trap-loops: ok' "$tmp/native.out" &&
    grep -q 'trap-loops: ok' "$tmp/mon.out" &&
    [ -n "$(digest "$tmp/native.err")" ] &&
    [ "$(digest "$tmp/native.err")" = "$(digest "$tmp/mon.err")" ]; then
    traps=$(grep -o 'traps: [0-9]*' "$tmp/native.err")
    echo "ok   trap-loops.s, a million rounds: no storm, natively and under the monitor ($traps, same digest)"
else
    fail "trap-loops.s: status $native_status natively, $mon_status under the monitor"
    cat "$tmp/native.err" "$tmp/mon.err"
fi

# --- 2. storms stop within a second ------------------------------------------
for guest in storm storm-handler storm-nosp; do
    for mode in "" --monitor; do
        t0=$(date +%s%N)
        timeout 10 "$tv" run $mode "tests/guests/$guest.s" >/dev/null 2>"$tmp/storm.err"
        status=$?
        ms=$((($(date +%s%N) - t0) / 1000000))
        if [ $status -eq 126 ] && [ $ms -lt 1000 ] && grep -q 'trap storm' "$tmp/storm.err"; then
            echo "ok   $guest.s ${mode:-natively}: storm stopped in $ms ms (status 126)"
        else
            fail "$guest.s ${mode:-natively}: status $status after $ms ms"
            cat "$tmp/storm.err"
        fi
    done
done

# --- 3. memory per idle guest ------------------------------------------------
peak_kb() {
    # The peak RSS of a command, in KiB: GNU time where there is one, else
    # the shell's own accounting of its children.
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>&1
        local status=$?
        echo "$(tail -1 "$tmp/rss") $status"
    else
        "$@" >/dev/null 2>&1
        echo "0 $?"
    fi
}
for n in 1 10 100 1000; do
    files=()
    for _ in $(seq "$n"); do files+=(guest-programs/hello.s); done
    read -r kb status < <(peak_kb "$tv" run --monitor --quantum 100000 "${files[@]}")
    if [ "$status" -ne 0 ]; then
        fail "$n guests of 128 MiB: status $status"
    elif [ "$n" -eq 1000 ] && [ "$kb" -gt $((512 * 1024)) ]; then
        fail "$n guests of 128 MiB: peak RSS $((kb / 1024)) MiB (more than 512)"
    else
        echo "ok   $n guests of 128 MiB (hello.s): peak RSS $((kb / 1024)) MiB"
    fi
done

# --- 4. random programs for the rest of the budget ---------------------------
batch=200
programs=0
batches=0
while [ $(($(date +%s) - start)) -lt "$budget" ] || [ $batches -eq 0 ]; do
    seed=()
    if [ -n "${SOAK_SEED:-}" ]; then
        seed=(env "PROPTEST_RNG_SEED=$((SOAK_SEED + batches))")
    fi
    if "${seed[@]}" env RANDOM_PROGRAMS=$batch cargo test -q --test equivalence random_programs_run \
        >"$tmp/batch.out" 2>&1; then
        programs=$((programs + batch))
        batches=$((batches + 1))
    else
        fail "random programs (batch $((batches + 1))${SOAK_SEED:+, PROPTEST_RNG_SEED=$((SOAK_SEED + batches))}):"
        cat "$tmp/batch.out"
        break
    fi
done
echo "ok   $programs random programs (pairs: $((2 * programs)) guests), each translated, interpreted, alone and beside another under the monitor"

elapsed=$(($(date +%s) - start))
if [ $failed -ne 0 ]; then
    echo "$failed failed ($elapsed s)"
    exit 1
fi
echo "all passed ($elapsed s)"
