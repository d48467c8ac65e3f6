#!/usr/bin/env bash
# c-diff.sh: compiled C guests on trapvisor against QEMU.
#
# For every tests/c-guests/*.c (or the .c files given as arguments) this
# builds an ELF with riscv64-unknown-elf-gcc at each optimisation level (-O2
# and -O0) for each ISA (-march=rv64ima_zicsr_zifencei, and
# rv64imac_zicsr_zifencei: GCC's compressed code, as its default -march
# makes), with the shared start.S, bss.ld and guest-programs/link.ld, and
#
#   - boots it on QEMU's `virt` board with OpenSBI, strips OpenSBI's banner
#     and checks the rest against NAME.expected (the same file for every
#     level: the programs print the same results however they are compiled),
#   - runs it with `trapvisor run` (hot pages translated to host code),
#     `trapvisor run --interpret` and `trapvisor run --monitor` and checks
#     that each prints the same bytes as QEMU and ends with the same status,
#   - runs it with --stats translated, interpreted and under the monitor and
#     checks that the three trace digests (of every retired instruction's pc
#     and bits) are identical.
#
# Flags for one program only come from a line `/* c-diff-cflags: FLAGS */`
# in its source. The compiler writes the code: this tests the translator on
# instruction sequences no human chose.
#
#   scripts/c-diff.sh                           check every C guest
#   scripts/c-diff.sh tests/c-guests/muldiv.c   check one
#   scripts/c-diff.sh --update [FILE.c ...]     rewrite NAME.expected from QEMU
#
# Relative paths are taken from the repository root, then from the current
# directory.
#
# Prints one line per program, level and check (`ok` or `FAIL`, with a diff),
# then `N passed, M failed`; exits non-zero if anything failed. Works from any
# directory. Needs cargo, riscv64-unknown-elf-gcc, qemu-system-riscv64 and
# perl.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
dir="$root/tests/c-guests"
levels=(-O2 -O0)
isas=(rv64ima rv64imac)

update=0
if [ "${1-}" = --update ]; then
    update=1
    shift
fi

srcs=()
for arg in "$@"; do
    case "$arg" in
        -*) echo "usage: $0 [--update] [FILE.c ...]" >&2; exit 2 ;;
        /*) path=$arg ;;
        *) if [ -e "$root/$arg" ]; then path="$root/$arg"; else path="$PWD/$arg"; fi ;;
    esac
    [ -f "$path" ] || { echo "$0: $arg: no such file" >&2; exit 2; }
    srcs+=("$path")
done
if [ ${#srcs[@]} -eq 0 ]; then
    for src in "$dir"/*.c; do srcs+=("$src"); done
fi

for tool in riscv64-unknown-elf-gcc qemu-system-riscv64 perl cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

cd "$root" || exit 2
cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

ok() {
    echo "ok   $1"
    passed=$((passed + 1))
}

# fail WHAT MESSAGE [FILE]: report a failure, with FILE's first lines if given.
fail() {
    echo "FAIL $1: $2"
    if [ -n "${3-}" ]; then sed -n '1,30p' "$3" | sed 's/^/    /'; fi
    failed=$((failed + 1))
}

# check WHAT RUN OUT STATUS: compare one trapvisor run with QEMU's.
check() {
    if [ "$4" -ne "$qemu_status" ]; then
        fail "$1 ($2)" "exit status $4, QEMU's was $qemu_status" "$work.$2.err"
    elif ! cmp -s "$3" "$work.qemu"; then
        diff -u --label qemu --label "$2" <(cat -A "$work.qemu") <(cat -A "$3") >"$work.diff"
        fail "$1 ($2)" "output differs from QEMU's:" "$work.diff"
    else
        ok "$1 ($2)"
    fi
}

# digest FILE: the trace digest ("HEX over N instructions") in a --stats stderr.
digest() {
    sed -n 's/.*trace digest: //p' "$1" | head -n 1
}

for src in "${srcs[@]}"; do
    name=$(basename "$src" .c)
    expected="${src%.c}.expected"
    read -r -a extra < <(sed -n 's|^/\* c-diff-cflags: \(.*\) \*/$|\1|p' "$src" | head -n 1)

    for isa in "${isas[@]}"; do
    for level in "${levels[@]}"; do
        what="$name.c $level $isa"
        stem="$name${level//-/_}_$isa"
        work="$tmp/$stem"

        if ! riscv64-unknown-elf-gcc "$level" -Wall -Wextra \
                -march="${isa}_zicsr_zifencei" -mabi=lp64 -mcmodel=medany \
                -nostdlib -nostartfiles ${extra[@]+"${extra[@]}"} \
                -T "$root/guest-programs/link.ld" \
                "$dir/start.S" "$src" "$dir/bss.ld" -o "$work.elf" 2>"$work.build"; then
            fail "$what" "does not build" "$work.build"
            continue
        fi

        qemu_boot 60 "$work.elf" "$work.raw" "$work.qemu.err"
        qemu_status=$?
        if ! strip_banner "$work.raw" "$work.qemu"; then
            fail "$what" "no OpenSBI banner in QEMU's output (status $qemu_status)" "$work.raw"
            continue
        fi

        if [ "$update" -eq 1 ] && [ "$level" = "${levels[0]}" ] && [ "$isa" = "${isas[0]}" ]; then
            cp "$work.qemu" "$expected"
        fi
        if [ ! -f "$expected" ]; then
            fail "$what (qemu)" "no ${expected#"$root/"} (run with --update to create it)"
        elif [ "$qemu_status" -ne 0 ]; then
            cat "$work.qemu.err" >>"$work.qemu"
            fail "$what (qemu)" "QEMU exit status $qemu_status; output:" "$work.qemu"
        elif ! cmp -s "$work.qemu" "$expected"; then
            diff -u --label expected --label qemu <(cat -A "$expected") \
                <(cat -A "$work.qemu") >"$work.diff"
            fail "$what (qemu)" "output differs from ${expected#"$root/"}:" "$work.diff"
        else
            ok "$what (qemu = ${expected#"$root/"})"
        fi

        timeout 120 "$tv" run "$work.elf" </dev/null >"$work.translated" 2>"$work.translated.err"
        check "$what" translated "$work.translated" $?

        timeout 120 "$tv" run --interpret "$work.elf" </dev/null \
            >"$work.interpreted" 2>"$work.interpreted.err"
        check "$what" interpreted "$work.interpreted" $?

        # --console-dir: the guest's own bytes, without the `[name] ` prefix.
        timeout 120 "$tv" run --monitor --console-dir "$work.consoles" "$work.elf" </dev/null \
            >"$work.monitor.stdout" 2>"$work.monitor.err"
        check "$what" monitor "$work.consoles/$stem.out" $?

        # The same instruction stream, to the instruction, all three ways
        # (and, with --stats, still QEMU's output and status).
        timeout 120 "$tv" run --stats "$work.elf" </dev/null >"$work.ts.out" 2>"$work.ts"
        st=$?
        timeout 120 "$tv" run --stats --interpret "$work.elf" </dev/null \
            >"$work.is.out" 2>"$work.is"
        si=$?
        timeout 120 "$tv" run --stats --monitor --console-dir "$work.sc" "$work.elf" \
            </dev/null >/dev/null 2>"$work.ms"
        sm=$?
        dt=$(digest "$work.ts") di=$(digest "$work.is") dm=$(digest "$work.ms")
        if [ -z "$dt" ] || [ "$dt" != "$di" ] || [ "$dt" != "$dm" ]; then
            printf 'translated:  %s\ninterpreted: %s\nmonitor:     %s\n' \
                "${dt:-none}" "${di:-none}" "${dm:-none}" >"$work.digests"
            fail "$what (digest)" "trace digests differ:" "$work.digests"
        elif [ "$st" -ne "$qemu_status" ] || [ "$si" -ne "$qemu_status" ] ||
                [ "$sm" -ne "$qemu_status" ]; then
            fail "$what (digest)" "with --stats: exit status $st/$si/$sm (translated/interpreted/monitor), QEMU's was $qemu_status"
        elif ! cmp -s "$work.ts.out" "$work.qemu" || ! cmp -s "$work.is.out" "$work.qemu" ||
                ! cmp -s "$work.sc/$stem.out" "$work.qemu"; then
            fail "$what (digest)" "with --stats: output differs from QEMU's"
        else
            ok "$what (digest $dt: translated = interpreted = monitor)"
        fi
    done
    done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
