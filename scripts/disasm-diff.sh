#!/bin/sh
# Differential test of trapvisor's disassembler against GNU objdump.
#
# Builds a corpus of instruction words (every table row with random and
# boundary operands, every CSR, aq/rl, fence sets, random non-instructions;
# fixed seed), assembles it with `.insn` into an RV64IMA ELF at BASE, and
# compares, word by word, objdump's mnemonic and operands with
# `cpu::disasm::disasm` at the same address (objdump's ` <symbol>` after
# targets and its `# address` comments are left out: `disasm` prints
# neither). Then compares `trapvisor disasm` with `objdump -d` on the same
# ELF, whole listing, byte for byte; and each guest program's code as a
# raw image against `objdump -D -b binary`.
#
# Why an ELF and not `objdump -b binary -m riscv:rv64`: a raw binary has no
# `.riscv.attributes`, so objdump disassembles it as rv64gc and prints words
# of our ISA that touch fflags/frm/fcsr as F-extension aliases (`frflags`)
# and other words as F/D/C instructions. The ELF says rv64ima_zicsr_zifencei,
# which is the ISA trapvisor implements and what guests are built for.
#
# The same again for an RV64IMAC ELF (`-march=rv64imac_zicsr_zifencei`):
# every 16-bit parcel and sequences with `# address` comments on compressed
# instructions, word by word with `cpu::disasm::disasm_compressed` and as a
# whole listing; and the guest programs assembled with `--march
# rv64imac_zicsr_zifencei` (compressed code) as raw images. And
# cpu::rvc::compress against GNU as (what it writes for ~100,000 base
# instructions with C on).
#
# Needs riscv64-unknown-elf-{as,ld,objdump}. Prints the first mismatches and
# ends with the line `N passed, M failed`; exits non-zero on any mismatch.
set -eu
cd "$(dirname "$0")/.."
BASE=${BASE:-0x80200000}
CROSS=${CROSS:-riscv64-unknown-elf-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo run -q -p cpu --example disasm_corpus -- "$work" "$BASE"
cargo build -q --bin trapvisor
${CROSS}as -march=rv64ima_zicsr_zifencei -o "$work/corpus.o" "$work/corpus.s"
${CROSS}ld -Ttext="$BASE" -o "$work/corpus.elf" "$work/corpus.o"

# objdump's text per word: the fields after address and raw bits, without
# ` <symbol>` after addresses and without `# address` comments.
${CROSS}objdump -d -z "$work/corpus.elf" \
    | awk -F'\t' '/^ *[0-9a-f]+:\t/ { t = $3; if (NF > 3) t = t "\t" $4; print $2 "\t" t }' \
    | sed -e 's/ *$//' -e 's/ <[^>]*>//g' -e 's/ # .*$//' -e 's/^\([0-9a-f]*\) *\t/\1\t/' \
    > "$work/objdump.txt"

# Whole-listing check.
${CROSS}objdump -d "$work/corpus.elf" | sed 1,2d > "$work/objdump-listing.txt"
target/debug/trapvisor disasm "$work/corpus.elf" | sed 1,2d > "$work/ours-listing.txt"

awk -F'\t' -v limit=20 '
    NR == FNR { want[FNR] = $0; n = FNR; next }
    {
        if (want[FNR] == $0) passed++
        else {
            failed++
            if (failed <= limit) printf "mismatch: %s\n   ours: %s\n", want[FNR], $0
        }
    }
    END {
        if (FNR != n) { failed++; printf "mismatch: objdump printed %d words, ours %d\n", n, FNR }
        print passed + 0, failed + 0 > "/dev/stderr"
    }
' "$work/objdump.txt" "$work/ours.txt" 2> "$work/counts"
read -r passed failed < "$work/counts"

# The compressed-ISA corpus.
${CROSS}as -march=rv64imac_zicsr_zifencei -o "$work/corpus-c.o" "$work/corpus-c.s"
${CROSS}ld -Ttext="$BASE" -o "$work/corpus-c.elf" "$work/corpus-c.o"
${CROSS}objdump -d -z "$work/corpus-c.elf" \
    | awk -F'\t' '/^ *[0-9a-f]+:\t/ { t = $3; if (NF > 3) t = t "\t" $4; print $2 "\t" t }' \
    | sed -e 's/ *$//' -e 's/ <[^>]*>//g' -e 's/ # .*$//' -e 's/^\([0-9a-f]*\) *\t/\1\t/' \
    > "$work/objdump-c.txt"
${CROSS}objdump -d "$work/corpus-c.elf" | sed 1,2d > "$work/objdump-c-listing.txt"
target/debug/trapvisor disasm "$work/corpus-c.elf" | sed 1,2d > "$work/ours-c-listing.txt"
awk -F'\t' -v limit=20 '
    NR == FNR { want[FNR] = $0; n = FNR; next }
    {
        if (want[FNR] == $0) passed++
        else {
            failed++
            if (failed <= limit) printf "mismatch (rv64imac): %s\n   ours: %s\n", want[FNR], $0
        }
    }
    END {
        if (FNR != n) { failed++; printf "mismatch: objdump printed %d items, ours %d\n", n, FNR }
        print passed + 0, failed + 0 > "/dev/stderr"
    }
' "$work/objdump-c.txt" "$work/ours-c.txt" 2> "$work/counts"
read -r p f < "$work/counts"
passed=$((passed + p))
failed=$((failed + f))
if diff -u "$work/objdump-c-listing.txt" "$work/ours-c-listing.txt" > "$work/listing.diff"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "mismatch: trapvisor disasm of the rv64imac corpus differs from objdump -d (first lines of the diff):"
    head -n 20 "$work/listing.diff"
fi

if diff -u "$work/objdump-listing.txt" "$work/ours-listing.txt" > "$work/listing.diff"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    echo "mismatch: trapvisor disasm differs from objdump -d (first lines of the diff):"
    head -n 20 "$work/listing.diff"
fi

# cpu::rvc::compress against GNU as with C: each base instruction as
# objdump spells it, assembled, must come out as the parcel compress picks
# (or as itself where compress keeps it).
${CROSS}as -march=rv64imac_zicsr_zifencei -mno-relax -o "$work/compress.o" "$work/compress.s"
${CROSS}objdump -d "$work/compress.o" | awk -F'\t' '/^ *[0-9a-f]+:\t/ { gsub(/ /, "", $2); print $2 }' \
    > "$work/compress-gnu.txt"
if cmp -s "$work/compress-gnu.txt" "$work/compress-ours.txt"; then
    passed=$((passed + $(wc -l < "$work/compress-ours.txt")))
else
    n=$(paste -d' ' "$work/compress-gnu.txt" "$work/compress-ours.txt" | awk '$1 != $2' | wc -l)
    failed=$((failed + n))
    echo "mismatch: cpu::rvc::compress differs from GNU as on $n instructions (GNU as, ours, source):"
    paste -d' ' "$work/compress-gnu.txt" "$work/compress-ours.txt" <(sed 1d "$work/compress.s") | awk '$1 != $2' | head -n 20
fi

# Raw images (what `trapvisor run` loads at 0x80200000 when a file is not
# ELF): the code of each guest program, as `objcopy -O binary` gives it,
# listed as `objdump -D -b binary` lists it. Real code only: the corpus
# above would hit the rv64gc aliases said at the top.
for src in guest-programs/*.s guest-programs/bench/*.s; do
  for march in rv64ima_zicsr_zifencei rv64imac_zicsr_zifencei; do
    name=$(basename "$src" .s)
    # paging.s (and its paravirtualized twin) keeps its user process's
    # strings in .text: objdump -D reads those bytes as rv64gc instructions.
    case $name in paging | paging-pv) continue ;; esac
    name=$name-$march
    target/debug/trapvisor asm --march "$march" "$src" -o "$work/$name.elf"
    ${CROSS}objcopy -O binary -j .text "$work/$name.elf" "$work/$name.bin"
    (cd "$work" && ${CROSS}objdump -D -b binary -m riscv:rv64 --adjust-vma="$BASE" "$name.bin") \
        > "$work/$name.objdump-raw"
    (cd "$work" && "$OLDPWD/target/debug/trapvisor" disasm "$name.bin") > "$work/$name.ours-raw"
    if diff -u "$work/$name.objdump-raw" "$work/$name.ours-raw" > "$work/raw.diff"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "mismatch: trapvisor disasm of $name's code as a raw image differs from objdump -D -b binary:"
        head -n 20 "$work/raw.diff"
    fi
  done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
