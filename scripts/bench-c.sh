#!/usr/bin/env bash
# bench-c.sh: the compiled C of `trapvisor bench` (workload c-cpu), made
# and checked.
#
# `trapvisor bench` must run without a compiler, so the C program
# measure/guests/cbench.c is checked in together with GCC's assembly
# output for it, measure/guests/cbench.s, which trapvisor's own assembler
# assembles when the bench runs. This script
#
#   - compiles cbench.c to assembly with riscv64-unknown-elf-gcc -O2 (the
#     flags of scripts/c-diff.sh) and puts a small _start in front of it;
#     with --update it writes the result to cbench.s, otherwise it checks
#     that cbench.s is exactly that (so the .s never drifts from the .c);
#   - builds the same C with GCC and GNU ld, boots it on QEMU and checks
#     that it prints cbench.expected;
#   - runs cbench.s with `trapvisor run` natively and under the monitor and
#     checks that both print cbench.expected too.
#
#   scripts/bench-c.sh            check
#   scripts/bench-c.sh --update   regenerate cbench.s and cbench.expected
#
# Prints one ok/FAIL line per check and exits non-zero on a failure. Needs
# cargo, riscv64-unknown-elf-gcc, qemu-system-riscv64 and perl.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
dir="$root/measure/guests"
cflags=(-O2 -Wall -Wextra -march=rv64ima_zicsr_zifencei -mabi=lp64 -mcmodel=medany
        -nostdlib -nostartfiles -I "$root/tests/c-guests")

update=0
case "${1-}" in
    --update) update=1 ;;
    "") ;;
    *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

for tool in riscv64-unknown-elf-gcc qemu-system-riscv64 perl cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# 1. cbench.s: GCC's assembly for cbench.c, with a start-up routine at the
# start of .text (after GCC's .file/.option/.attribute lines, which GNU as
# wants before any instruction).
riscv64-unknown-elf-gcc "${cflags[@]}" -S "$dir/cbench.c" -o "$tmp/gcc.s" || exit 2
awk 'body || !/^\t\.(file|option|attribute)[ \t]/ { body = 1; print > "'"$tmp/body.s"'"; next }
     { print > "'"$tmp/head.s"'" }' "$tmp/gcc.s"
{
    cat <<HEADER
# cbench.s: made by scripts/bench-c.sh from measure/guests/cbench.c: do not
# edit. GCC's assembly output ($(riscv64-unknown-elf-gcc -dumpfullversion),
# ${cflags[*]:0:8}),
# with a _start first in .text that sets up a stack, calls main() and ends
# the run through the test finisher with main's return value (0: pass).

HEADER
    cat "$tmp/head.s"
    cat <<START

        .text
        .globl _start
_start:
        la      sp, __stack_top
        call    main
        li      t0, 0x100000
        li      t1, 0x5555
        beqz    a0, 1f
        slli    a0, a0, 16
        li      t1, 0x3333
        or      t1, t1, a0
1:      sw      t1, 0(t0)
2:      j       2b

        .bss
        .balign 16
        .space  65536
__stack_top:

# ---- the rest of GCC's output ----
START
    cat "$tmp/body.s"
} >"$tmp/cbench.s"

if [ $update = 1 ]; then
    cp "$tmp/cbench.s" "$dir/cbench.s"
    ok "cbench.s written"
elif cmp -s "$tmp/cbench.s" "$dir/cbench.s"; then
    ok "cbench.s is GCC's output for cbench.c"
else
    fail "cbench.s is not GCC's output for cbench.c (run $0 --update)"
    diff "$dir/cbench.s" "$tmp/cbench.s" | head -20
fi

# 2. The C built by GCC and GNU ld, on QEMU.
riscv64-unknown-elf-gcc "${cflags[@]}" -T "$root/guest-programs/link.ld" \
    "$root/tests/c-guests/start.S" "$dir/cbench.c" "$root/tests/c-guests/bss.ld" \
    -o "$tmp/cbench.elf" || exit 2
qemu_boot 60 "$tmp/cbench.elf" "$tmp/qemu.raw" "$tmp/qemu.err"
status=$?
if ! strip_banner "$tmp/qemu.raw" "$tmp/qemu.out"; then
    fail "QEMU: no OpenSBI banner (status $status)"
elif [ $update = 1 ]; then
    cp "$tmp/qemu.out" "$dir/cbench.expected"
    ok "cbench.expected written from QEMU"
elif [ $status = 0 ] && cmp -s "$tmp/qemu.out" "$dir/cbench.expected"; then
    ok "QEMU prints cbench.expected"
else
    fail "QEMU (status $status) does not print cbench.expected"
    diff "$dir/cbench.expected" "$tmp/qemu.out" | head -20
fi

# 3. cbench.s assembled by trapvisor, natively and under the monitor.
cd "$root" || exit 2
cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"
for mode in native monitor; do
    args=()
    [ $mode = monitor ] && args=(--monitor --console-dir "$tmp/console")
    "$tv" run "${args[@]}" "$dir/cbench.s" >"$tmp/$mode.out"
    status=$?
    [ $mode = monitor ] && cp "$tmp/console/cbench.out" "$tmp/$mode.out"
    if [ $status = 0 ] && cmp -s "$tmp/$mode.out" "$dir/cbench.expected"; then
        ok "trapvisor run ($mode) prints cbench.expected"
    else
        fail "trapvisor run ($mode, status $status) does not print cbench.expected"
        diff "$dir/cbench.expected" "$tmp/$mode.out" | head -20
    fi
done

[ $fails = 0 ] && echo "all checks passed" || echo "$fails failed"
[ $fails = 0 ]
