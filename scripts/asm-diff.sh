#!/usr/bin/env bash
# asm-diff.sh: differential test of trapvisor's assembler against GNU as + ld.
#
# Every guest program (guest-programs/**/*.s, *.S), every guest of
# `trapvisor bench` (measure/guests/*.s, GCC's own output among them) and
# every file of the corpus (tests/asm-corpus/*.s, *.S) is built twice: with
#   riscv64-unknown-elf-gcc -march=MARCH -mabi=lp64 -mno-relax
#     -nostdlib -nostartfiles -T guest-programs/link.ld
# and with `trapvisor asm --march MARCH`, for each MARCH of $ASM_DIFF_MARCH
# (default: rv64ima_zicsr_zifencei, then rv64imac_zicsr_zifencei, where
# both write compressed instructions, relax branches and jumps to their
# compressed forms and pad alignment with c.nop). The .text, .rodata and .data bytes and the
# section addresses must be identical, and so must the DWARF line tables
# both write with -g (each instruction's line; objdump --dwarf=decodedline).
# One line per file, then "N passed, M failed"; the exit status is
# non-zero on any failure.
#
# A file may ask for flags given to both (`-I DIR`, `-D NAME=VALUE`) in a
# comment line `asm-diff-flags: ...` among its first five lines.
set -uo pipefail
cd "$(dirname "$0")/.."

PREFIX=${RISCV_PREFIX:-riscv64-unknown-elf-}
# ASM_DIFF_PROFILE=debug skips the (slower to build) release binary.
if [ "${ASM_DIFF_PROFILE:-release}" = debug ]; then
    cargo build -q || exit 1
    TV=target/debug/trapvisor
else
    cargo build --release -q || exit 1
    TV=target/release/trapvisor
fi
LD_SCRIPT=guest-programs/link.ld
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob globstar
files=(guest-programs/**/*.s guest-programs/**/*.S measure/guests/*.s tests/asm-corpus/*.s tests/asm-corpus/*.S)
# `scripts/asm-diff.sh FILE...` checks those files instead, with the flags
# in $ASM_DIFF_FLAGS too (say `-I ../riscv-tests/env/p`).
if [ $# -gt 0 ]; then
    files=("$@")
fi
# shellcheck disable=SC2206
extra=(${ASM_DIFF_FLAGS:-})

# Prints "name addr size" per alloc section, and dumps each section's bytes.
describe() { # elf outdir
    "${PREFIX}readelf" -SW "$1" | awk '$2 ~ /^\.(text|rodata|data|bss)$/ { print $2, $4, $6 } $3 ~ /^\.(text|rodata|data|bss)$/ { print $3, $5, $7 }' | sort
    for s in .text .rodata .data; do
        "${PREFIX}objcopy" -O binary -j "$s" "$1" "$2/${s#.}.bin" 2>/dev/null || : > "$2/${s#.}.bin"
    done
}

# shellcheck disable=SC2206
marches=(${ASM_DIFF_MARCH:-rv64ima_zicsr_zifencei rv64imac_zicsr_zifencei})

pass=0
fail=0
for march in "${marches[@]}"; do
for f in "${files[@]}"; do
    name=${f//\//_}-$march
    shown=$f
    [ "$march" = rv64ima_zicsr_zifencei ] || shown="$f ($march)"
    mkdir -p "$tmp/$name/gnu" "$tmp/$name/tv"
    # shellcheck disable=SC2207
    flags=($(head -5 "$f" | sed -n 's/.*asm-diff-flags: *//p') "${extra[@]}")
    if ! "${PREFIX}gcc" -g -march="$march" -mabi=lp64 -mno-relax -nostdlib -nostartfiles \
        -T "$LD_SCRIPT" -Wl,--no-warn-rwx-segments -Wa,-I"$(dirname "$f")" "${flags[@]}" "$f" -o "$tmp/$name/gnu.elf" 2> "$tmp/$name/gnu.err"; then
        echo "FAIL $shown: GNU toolchain rejects it: $(head -3 "$tmp/$name/gnu.err")"
        fail=$((fail + 1))
        continue
    fi
    if ! "$TV" asm -g --march "$march" "${flags[@]}" "$f" -o "$tmp/$name/tv.elf" 2> "$tmp/$name/tv.err"; then
        echo "FAIL $shown: trapvisor asm rejects it: $(head -3 "$tmp/$name/tv.err")"
        fail=$((fail + 1))
        continue
    fi
    describe "$tmp/$name/gnu.elf" "$tmp/$name/gnu" > "$tmp/$name/gnu.sections"
    describe "$tmp/$name/tv.elf" "$tmp/$name/tv" > "$tmp/$name/tv.sections"
    why=""
    if ! cmp -s "$tmp/$name/gnu.sections" "$tmp/$name/tv.sections"; then
        why="section addresses/sizes differ: $(diff "$tmp/$name/gnu.sections" "$tmp/$name/tv.sections" | grep '^[<>]' | tr '\n' ' ')"
    else
        for s in text rodata data; do
            if ! cmp -s "$tmp/$name/gnu/$s.bin" "$tmp/$name/tv/$s.bin"; then
                first=$(cmp "$tmp/$name/gnu/$s.bin" "$tmp/$name/tv/$s.bin" 2>&1 | head -1)
                why="$why .$s differs ($first)"
            fi
        done
    fi
    for side in gnu tv; do
        "${PREFIX}objdump" --dwarf=decodedline "$tmp/$name/$side.elf" |
            awk 'NF >= 3 && $3 ~ /^0x/ { print $2, $3 }' > "$tmp/$name/$side.lines"
    done
    if ! cmp -s "$tmp/$name/gnu.lines" "$tmp/$name/tv.lines"; then
        why="$why line tables differ: $(diff "$tmp/$name/gnu.lines" "$tmp/$name/tv.lines" | grep '^[<>]' | head -4 | tr '\n' ' ')"
    fi
    if [ -z "$why" ]; then
        echo "ok   $shown"
        pass=$((pass + 1))
    else
        echo "FAIL $shown:$why"
        fail=$((fail + 1))
    fi
done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
