#!/usr/bin/env bash
# qemu-oracle.sh: run every guest program on QEMU and check its console output.
#
# For each X.s (or X.S) under the directories given (default: guest-programs;
# tests/conformance holds the conformance suite) this builds X.elf with the RISC-V
# GNU toolchain and guest-programs/link.ld, boots it on QEMU's `virt` board
# with QEMU's own OpenSBI, strips OpenSBI's boot banner, and compares the rest
# of the console output byte for byte with X.expected; QEMU must also exit 0.
#
#   scripts/qemu-oracle.sh                      check every guest program
#   scripts/qemu-oracle.sh tests/conformance    check the conformance suite
#   scripts/qemu-oracle.sh --update [PATH...]   rewrite the X.expected files
#
# Each PATH is a directory (searched recursively) or a single .s/.S file;
# relative paths are taken from the repository root, then from the current
# directory.
#
# Prints one line per program (`ok` or `FAIL`, with a diff), then a line
# `N passed, M failed`; exits non-zero if anything failed. Works from any
# directory. Needs riscv64-unknown-elf-gcc, qemu-system-riscv64 and perl.
#
# The banner: OpenSBI prints its logo and platform table (with "\r\n" line
# ends) before it jumps to the guest; the table's last lines all start with
# "Boot HART ". Everything up to and including the last such line is the
# banner, and everything after it is the guest's own bytes, compared raw
# (QEMU's -nographic serial adds and translates nothing). No guest prints
# "Boot HART ". If a run has no such line, that program fails.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
linker_script="$root/guest-programs/link.ld"

update=0
if [ "${1-}" = --update ]; then
    update=1
    shift
fi
[ $# -eq 0 ] && set -- guest-programs

# Resolve each PATH to an absolute one; the names printed are relative to it
# (for a directory) or its directory (for a file), as in "ok   bench/sieve.s".
paths=()
for arg in "$@"; do
    case "$arg" in
        -*) echo "usage: $0 [--update] [DIR|FILE.s ...]" >&2; exit 2 ;;
        /*) path=$arg ;;
        *) if [ -e "$root/$arg" ]; then path="$root/$arg"; else path="$PWD/$arg"; fi ;;
    esac
    [ -e "$path" ] || { echo "$0: $arg: no such file or directory" >&2; exit 2; }
    paths+=("$path")
done

for tool in riscv64-unknown-elf-gcc qemu-system-riscv64 perl; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

# fail NAME MESSAGE [FILE]: report a failure, with FILE's first lines if given.
fail() {
    echo "FAIL $1: $2"
    if [ -n "${3-}" ]; then sed -n '1,40p' "$3" | sed 's/^/    /'; fi
    failed=$((failed + 1))
}

# Every program as "BASE<NUL>SOURCE<NUL>", BASE being the directory its
# printed name is relative to.
list_programs() {
    local path
    for path in "${paths[@]}"; do
        if [ -d "$path" ]; then
            find "$path" -type f \( -name '*.s' -o -name '*.S' \) -print0 | sort -z |
                while IFS= read -r -d '' src; do printf '%s\0%s\0' "${path%/}" "$src"; done
        else
            printf '%s\0%s\0' "$(dirname "$path")" "$path"
        fi
    done
}

n=0
while IFS= read -r -d '' base && IFS= read -r -d '' src; do
    name=${src#"$base/"}             # e.g. bench/sieve.s
    expected=${src%.*}.expected
    n=$((n + 1))
    work="$tmp/$n-${name//\//_}"     # a private file prefix for this program

    # -Wa,-I: GNU as looks for .include files in the current directory;
    # trapvisor (and the reader) look next to the including file.
    if ! riscv64-unknown-elf-gcc -march=rv64ima_zicsr_zifencei -mabi=lp64 \
            -Wa,-I"$(dirname "$src")" \
            -nostdlib -nostartfiles \
            -T "$linker_script" -o "$work.elf" "$src" 2>"$work.build"; then
        fail "$name" "does not build" "$work.build"
        continue
    fi

    qemu_boot 60 "$work.elf" "$work.raw" "$work.err"
    status=$?

    if ! strip_banner "$work.raw" "$work.out"; then
        fail "$name" "no OpenSBI banner in QEMU's output (exit status $status)" "$work.raw"
        continue
    fi

    if [ "$status" -ne 0 ]; then
        [ "$status" -eq 124 ] && why="timed out after 60 s" || why="QEMU exit status $status"
        cat "$work.err" >>"$work.out"
        fail "$name" "$why; output:" "$work.out"
        continue
    fi

    if [ "$update" -eq 1 ]; then
        cp "$work.out" "$expected"
        echo "ok   $name (updated $(wc -c <"$expected") bytes)"
        passed=$((passed + 1))
    elif [ ! -f "$expected" ]; then
        fail "$name" "no ${expected#"$root/"} (run with --update to create it)"
    elif cmp -s "$work.out" "$expected"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        # cat -A shows line ends as `$` and carriage returns as `^M`.
        diff -u --label expected --label qemu <(cat -A "$expected") \
            <(cat -A "$work.out") >"$work.diff"
        fail "$name" "output differs from ${expected#"$root/"}:" "$work.diff"
    fi
done < <(list_programs)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
