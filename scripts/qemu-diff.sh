#!/usr/bin/env bash
# qemu-diff.sh: trapvisor against QEMU, directly, on the same ELF.
#
# For every guest program (guest-programs/**/*.s and tests/conformance/*.s by
# default, or the directories given as arguments) this assembles it with
# trapvisor's own assembler, boots that ELF on QEMU's `virt` board with
# OpenSBI, runs the same source with `trapvisor run` natively and, when the
# monitor exists, with `trapvisor run --monitor`, and checks that every run
# prints the same bytes and ends with the same exit status as QEMU.
#
# (scripts/qemu-oracle.sh checks QEMU against the checked-in .expected files
# with GNU-built ELFs; this one needs no .expected file at all.)
#
# Prints one line per program and run, then `N passed, M failed`; exits
# non-zero if anything failed. Needs cargo, qemu-system-riscv64 and perl.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
cd "$root" || exit 2

if [ $# -eq 0 ]; then
    set -- guest-programs
    [ -d tests/conformance ] && set -- "$@" tests/conformance
fi

for tool in qemu-system-riscv64 perl cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# check NAME RUN OUT STATUS: compare one run with QEMU's output and status.
check() {
    if [ "$4" -ne "$qemu_status" ]; then
        echo "FAIL $1 ($2): exit status $4, QEMU's was $qemu_status"
        failed=$((failed + 1))
    elif ! cmp -s "$3" "$work.qemu"; then
        echo "FAIL $1 ($2): output differs from QEMU's:"
        diff -u --label qemu --label "$2" <(cat -A "$work.qemu") <(cat -A "$3") | sed -n '1,30p;' | sed 's/^/    /'
        failed=$((failed + 1))
    else
        echo "ok   $1 ($2)"
        passed=$((passed + 1))
    fi
}

while IFS= read -r -d '' src; do
    name=${src#"$root/"}
    work="$tmp/${name//\//_}"

    if ! "$tv" asm "$src" -o "$work.elf" 2>"$work.asm"; then
        echo "FAIL $name: trapvisor asm failed:"; sed 's/^/    /' "$work.asm"
        failed=$((failed + 1))
        continue
    fi

    qemu_boot 120 "$work.elf" "$work.raw" /dev/null
    qemu_status=$?
    if ! strip_banner "$work.raw" "$work.qemu"; then
        echo "FAIL $name: no OpenSBI banner in QEMU's output (status $qemu_status)"
        failed=$((failed + 1))
        continue
    fi

    "$tv" run "$src" </dev/null >"$work.native" 2>"$work.native.err"
    check "$name" native "$work.native" $?

    if "$tv" run --help | grep -q -- '--monitor'; then
        # --console-dir: the guest's own bytes, without the `[name] ` prefix.
        stem=$(basename "$src"); stem=${stem%.*}
        "$tv" run --monitor --console-dir "$work.consoles" "$src" </dev/null \
            >"$work.monitor.stdout" 2>"$work.monitor.err"
        status=$?
        check "$name" monitor "$work.consoles/$stem.out" $status
    fi
done < <(find "$@" -type f \( -name '*.s' -o -name '*.S' \) -print0 | sort -z)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
