# qemu-boot.sh: how the differential scripts boot a guest on QEMU, in one
# place. Sourced (not run) by qemu-oracle.sh, qemu-diff.sh and c-diff.sh.

# qemu_boot SECONDS ELF RAW ERR: boots ELF on QEMU's `virt` board with 128 MiB
# and QEMU's own OpenSBI, for at most SECONDS; the console's bytes go to RAW,
# QEMU's stderr to ERR. Returns QEMU's exit status (124 on the timeout).
qemu_boot() {
    timeout "$1" qemu-system-riscv64 -M virt -m 128M -nographic -bios default \
        -kernel "$2" </dev/null >"$3" 2>"$4"
}

# strip_banner RAW OUT: writes RAW without OpenSBI's boot banner to OUT.
# The banner ends with its "Boot HART ..." lines; everything after the last
# of them is the guest's own output. Fails if RAW has no such line.
strip_banner() {
    perl -0777 -ne 's/\A.*^Boot HART [^\n]*\n//ms or exit 1; print' "$1" >"$2"
}
