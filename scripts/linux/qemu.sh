#!/usr/bin/env bash
# scripts/linux/qemu.sh: boots trapvisor's Linux (scripts/linux/build.sh) on
# QEMU's virt board with QEMU's own OpenSBI, the reference for what the boot
# prints. The console goes to stdout, QEMU's messages to stderr; stdin is the
# console's input. Exits with QEMU's status (0 once the init powered the
# machine off; 124 if it did not within the time limit).
#
# The hart is made as close to trapvisor's as QEMU allows: no F, D, H,
# bit-manipulation, Zihintpause, Sstc (so the kernel uses the SBI timer, as
# on trapvisor), Svpbmt, Svinval or Svnapot. Two differences remain:
# QEMU's OpenSBI is built with compressed instructions, so C stays on (the
# kernel and init have none: build.sh checks), and QEMU 7.2's hart has Sv48
# and Sv57, which the kernel finds by probing satp and prefers over Sv39.
#
# Usage: bash scripts/linux/qemu.sh [IMAGE] [SECONDS]   (default: the image
# build.sh prints, 60 seconds)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
image="${1:-$(bash "$here/build.sh")}"
seconds="${2:-60}"
command -v qemu-system-riscv64 >/dev/null || {
    echo "qemu.sh: qemu-system-riscv64 is missing (Debian: apt-get install qemu-system-misc)" >&2
    exit 2
}

cpu=rv64,f=false,d=false,h=false,sstc=false,svpbmt=false,svinval=false,svnapot=false
cpu=$cpu,Zihintpause=false,zba=false,zbb=false,zbc=false,zbs=false
exec timeout "$seconds" qemu-system-riscv64 -M virt -m 128M -nographic -bios default \
    -cpu "$cpu" -kernel "$image"
