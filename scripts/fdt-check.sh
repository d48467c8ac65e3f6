#!/usr/bin/env bash
# fdt-check.sh: the device tree a guest finds in a1, against dtc and QEMU.
#
# - `trapvisor dtb --memory SIZE` for several sizes: `dtc -I dtb -O dts`
#   reads it back with no warning at all.
# - tests/guests/dtb-dump.s (prints a1 and the blob it points at), built by
#   GNU as, on QEMU's virt board with OpenSBI and on trapvisor, natively and
#   under the monitor, for several RAM sizes: a1 is the same address on all
#   three, and trapvisor's blob is `trapvisor dtb`'s.
# - QEMU's tree for 128 MiB, as OpenSBI hands it over, is still the one
#   checked in as cpu/tests/data/qemu-virt-128m.dtb (which the cpu crate's
#   tests compare ours with, node by node), apart from its random rng-seed.
#   `--update` rewrites that file from QEMU instead.
#
# Prints one line per check, then `N passed, M failed`. Needs cargo, dtc,
# qemu-system-riscv64, riscv64-unknown-elf-gcc, xxd and perl.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
cd "$root" || exit 2

update=no
[ "${1:-}" = --update ] && update=yes

for tool in dtc qemu-system-riscv64 riscv64-unknown-elf-gcc xxd perl cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# dump OUT: a1 (line 1) and the blob (line 2, hex) of a run's output, as
# OUT.a1 and OUT.dtb.
dump() {
    sed -n 1p "$1" | tr -d '\r\n' >"$1.a1"
    sed -n 2p "$1" | tr -d '\r\n' | xxd -r -p >"$1.dtb"
}

# --- dtc reads our tree without a warning ------------------------------------
for mem in 4K 1M 128M 1G 16G; do
    "$tv" dtb --memory "$mem" -o "$tmp/tv-$mem.dtb" || { fail "trapvisor dtb --memory $mem"; continue; }
    if dtc -I dtb -O dts -o "$tmp/tv-$mem.dts" "$tmp/tv-$mem.dtb" 2>"$tmp/dtc.err" && [ ! -s "$tmp/dtc.err" ]; then
        ok "dtc reads trapvisor dtb --memory $mem without a warning"
    else
        fail "dtc on trapvisor dtb --memory $mem:"; sed 's/^/    /' "$tmp/dtc.err"
    fi
done

# --- a1 and the blob, on QEMU and on trapvisor -------------------------------
elf="$tmp/dtb-dump.elf"
riscv64-unknown-elf-gcc -march=rv64ima_zicsr_zifencei -mabi=lp64 -nostdlib \
    -T guest-programs/link.ld -o "$elf" tests/guests/dtb-dump.s || exit 2
for mem in 16M 64M 128M 1G; do
    timeout 60 qemu-system-riscv64 -M virt -m "$mem" -nographic -bios default \
        -kernel "$elf" </dev/null >"$tmp/qemu-$mem.raw" 2>/dev/null
    if ! strip_banner "$tmp/qemu-$mem.raw" "$tmp/qemu-$mem"; then
        fail "QEMU -m $mem: no OpenSBI banner"; continue
    fi
    dump "$tmp/qemu-$mem"
    "$tv" run --memory "$mem" tests/guests/dtb-dump.s </dev/null >"$tmp/native-$mem" 2>/dev/null
    dump "$tmp/native-$mem"
    "$tv" run --monitor --memory "$mem" --console-dir "$tmp/mon-$mem" tests/guests/dtb-dump.s \
        </dev/null >/dev/null 2>&1
    dump "$tmp/mon-$mem/dtb-dump.out"
    q=$(cat "$tmp/qemu-$mem.a1")
    for run in native monitor; do
        if [ $run = native ]; then out="$tmp/native-$mem"; else out="$tmp/mon-$mem/dtb-dump.out"; fi
        if [ "$(cat "$out.a1")" = "$q" ]; then
            ok "-m $mem: a1 = 0x$q on QEMU and on trapvisor ($run)"
        else
            fail "-m $mem: a1 = 0x$(cat "$out.a1") on trapvisor ($run), 0x$q on QEMU"
        fi
        "$tv" dtb --memory "$mem" -o "$tmp/want-$mem.dtb"
        if cmp -s "$out.dtb" "$tmp/want-$mem.dtb"; then
            ok "-m $mem: the blob at a1 is trapvisor dtb's ($run)"
        else
            fail "-m $mem: the blob at a1 is not trapvisor dtb's ($run)"
        fi
    done
done

# --- QEMU's own tree is still the checked-in one ------------------------------
data=cpu/tests/data/qemu-virt-128m.dtb
no_seed() { dtc -I dtb -O dts "$1" 2>/dev/null | grep -v 'rng-seed'; }
if [ $update = yes ]; then
    cp "$tmp/qemu-128M.dtb" "$data" && ok "rewrote $data from QEMU"
elif diff -u <(no_seed "$data") <(no_seed "$tmp/qemu-128M.dtb") >"$tmp/qemu.diff"; then
    ok "QEMU's tree for 128 MiB is $data (rng-seed aside)"
else
    fail "QEMU's tree for 128 MiB differs from $data (scripts/fdt-check.sh --update rewrites it):"
    sed 's/^/    /' "$tmp/qemu.diff" | head -40
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
