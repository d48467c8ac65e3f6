#!/usr/bin/env bash
# u-boot.sh: Debian's U-Boot for QEMU (u-boot-qemu, qemu-riscv64_smode), a
# real S-mode payload, on QEMU and on trapvisor (natively, under the
# monitor, and two side by side, each with its own console).
#
# Each run gets the same typed input, `version`, `help`, `bdinfo` and
# `poweroff`, one line each time U-Boot shows its `=> ` prompt (what a
# person at the console does; scripts/lib/drive-console.pl types). The
# check: each trapvisor run prints U-Boot's banner, reaches the prompt,
# answers each command as on QEMU, and powers off with status 0. Its console
# output must equal QEMU's, U-Boot's own and OpenSBI's banners aside, apart
# from the lines that describe the board differently (BOARD_LINES below,
# each with why).
#
# Typing the lines only once the prompt shows matters: U-Boot counts down
# two seconds for a key that stops its autoboot and eats that key, and
# QEMU's UART drops what is typed before U-Boot resets its FIFO. A pipe that
# has everything ready at once (`printf ... | trapvisor run u-boot.bin`)
# stops the countdown with its first byte, which U-Boot discards.
#
# Prints one line per check, then `N passed, M failed`. Needs cargo,
# qemu-system-riscv64, perl and u-boot-qemu's u-boot.bin (UBOOT=FILE for
# another).
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=qemu-boot.sh
source "$root/scripts/qemu-boot.sh"
cd "$root" || exit 2

ub=${UBOOT:-/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin}
[ -f "$ub" ] || { echo "$0: $ub not found (apt-get install u-boot-qemu)" >&2; exit 2; }
for tool in qemu-system-riscv64 perl cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done
# Seconds a run may take (QEMU takes about 10, most of it U-Boot's
# autoboot countdown and boot attempts; trapvisor runs those as
# instructions).
TIMEOUT=${TIMEOUT:-300}

cargo build --release -q || exit 2
tv="$root/target/release/trapvisor"
drive="$root/scripts/lib/drive-console.pl"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

printf 'version\nhelp\nbdinfo\npoweroff\n' >"$tmp/input"

# The lines of U-Boot's output that describe the board, which differ on
# purpose (book/src/machine.md, "The device tree"): a regex per line, and why.
BOARD_LINES=(
    '^CPU: '            "the hart's riscv,isa (QEMU's has F, D, H, B...)"
    '^Model: '          "the device tree's model"
    '^Core: '           "how many devices U-Boot found (QEMU: virtio, PCI, flash, RTC...)"
    '^Flash: '          "QEMU has a CFI flash, trapvisor none"
    '^flashstart '      "bdinfo: the flash's address (0 without one)"
    '^flashsize '       "bdinfo: the flash's size"
    '^Working FDT set to ' "where U-Boot copied the device tree (its size differs)"
    '^relocaddr '       "where U-Boot relocated itself (below the tree and reserved regions)"
    '^reloc off '       "the same, as an offset"
    '^fdt_blob '        "the device tree's address"
    '^new_fdt '         "the same"
    '^fdt_size '        "the device tree's size"
    '^ reserved'        "lmb's reserved regions: OpenSBI's reserved-memory on QEMU, none here"
)

# u_boot_part RAW OUT: U-Boot's part of a console (from its banner on),
# without the \r of its line ends and without the BOARD_LINES.
u_boot_part() {
    local filter='' i
    for ((i = 0; i < ${#BOARD_LINES[@]}; i += 2)); do
        filter+="${filter:+|}${BOARD_LINES[i]}"
    done
    perl -0777 -pe 's/\A.*?(?=^U-Boot )//ms' "$1" | tr -d '\r' | grep -Ev "$filter" >"$2"
}

# check_run NAME RAW STATUS: one trapvisor console against QEMU's.
check_run() {
    local name=$1 raw=$2 status=$3
    if ! grep -q '^U-Boot 20' "$raw" 2>/dev/null; then
        fail "$name: no U-Boot banner (status $status); the console's end:"
        tail -c 300 "$raw" 2>/dev/null | cat -A | sed 's/^/    /'
        [ -s "$tmp/last.err" ] && sed 's/^/    stderr: /' "$tmp/last.err" | head -5
        return
    fi
    grep -q '^=> ' "$raw" || { fail "$name: never reached the => prompt"; return; }
    u_boot_part "$raw" "$tmp/$name.u-boot"
    if [ "$status" -ne 0 ]; then
        fail "$name: exit status $status, QEMU's was 0"
    elif ! cmp -s "$tmp/qemu.u-boot" "$tmp/$name.u-boot"; then
        fail "$name: U-Boot's output differs from QEMU's:"
        diff -u --label qemu --label "$name" "$tmp/qemu.u-boot" "$tmp/$name.u-boot" \
            | sed -n '1,40p' | sed 's/^/    /'
    else
        ok "$name: banner, prompt, version/help/bdinfo answered as on QEMU, powered off with 0"
    fi
}

# --- QEMU, the reference -------------------------------------------------------
perl "$drive" "$TIMEOUT" '=> ' "$tmp/input" stdio "$tmp/qemu.raw" -- \
    qemu-system-riscv64 -M virt -m 128M -nographic -bios default -kernel "$ub" 2>"$tmp/qemu.err"
qemu_status=$?
if [ $qemu_status -ne 0 ] || ! grep -q '^poweroff' "$tmp/qemu.raw"; then
    fail "QEMU: status $qemu_status, no poweroff: the reference run failed"
    echo "$passed passed, $failed failed"
    exit 1
fi
u_boot_part "$tmp/qemu.raw" "$tmp/qemu.u-boot"
ok "QEMU: U-Boot reached its prompt, answered $(grep -c '^=> ' "$tmp/qemu.u-boot") commands and powered off"

# --- trapvisor natively ----------------------------------------------------------
perl "$drive" "$TIMEOUT" '=> ' "$tmp/input" stdio "$tmp/native.raw" -- \
    "$tv" run --max-instructions 0 "$ub" 2>"$tmp/last.err"
check_run native "$tmp/native.raw" $?

# --- under the monitor, alone --------------------------------------------------
mkdir -p "$tmp/mon"
perl "$drive" "$TIMEOUT" '=> ' "$tmp/input" dir "$tmp/mon" u-boot -- \
    "$tv" run --monitor --max-instructions 0 --console-dir "$tmp/mon" "$ub" 2>"$tmp/last.err"
check_run monitor "$tmp/mon/u-boot.out" $?

# --- two side by side, each its own console -------------------------------------
mkdir -p "$tmp/two"
perl "$drive" "$TIMEOUT" '=> ' "$tmp/input" dir "$tmp/two" u-boot 'u-boot#2' -- \
    "$tv" run --max-instructions 0 --console-dir "$tmp/two" "$ub" "$ub" 2>"$tmp/last.err"
status=$?
check_run "side-by-side-1" "$tmp/two/u-boot.out" $status
check_run "side-by-side-2" "$tmp/two/u-boot#2.out" $status

echo "board lines left out of the comparison:"
for ((i = 0; i < ${#BOARD_LINES[@]}; i += 2)); do
    printf '    %-24s %s\n' "${BOARD_LINES[i]}" "${BOARD_LINES[i + 1]}"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
