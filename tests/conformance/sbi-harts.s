# sbi-harts.s: conformance checks for the SBI extensions a real payload
# (U-Boot, Linux) asks for on a one-hart machine: IPI, RFENCE and HSM, as
# QEMU's OpenSBI 1.1 answers them for hart 0 and for harts that do not
# exist.
#
# Not checked, because the two differ on purpose (tests/conformance/README.md):
# PMU (QEMU's OpenSBI has one, trapvisor has none), the hypervisor fences
# (QEMU's hart has the H extension), a hart mask naming harts that do not
# exist with base 0 (OpenSBI 1.1 ignores them; SBI v2.0 and trapvisor say
# invalid parameter), the default non-retentive suspend, and hart_stop
# (which never returns).
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
        .equ SBI_BASE,      0x10
        .equ SBI_TIME,      0x54494D45  # "TIME"
        .equ SBI_IPI,       0x735049    # "sPI"
        .equ SBI_RFENCE,    0x52464E43  # "RFNC"
        .equ SBI_HSM,       0x48534D    # "HSM"
        .equ BASE_PROBE,    3
        .equ ERR_NOT_SUPPORTED, -2
        .equ ERR_INVALID_PARAM, -3
        .equ ERR_ALREADY_AVAILABLE, -6
        .equ SIP_SSIP,      1 << 1
        .equ SIP_STIP,      1 << 5

# SBI2 eid, fid, arg0, arg1: a0, a1 = the arguments, ecall; then s2 = the
# error (a0), s3 = the value (a1).
        .macro  SBI2 eid, fid, arg0, arg1
        li      a7, \eid
        li      a6, \fid
        li      a0, \arg0
        li      a1, \arg1
        ecall
        mv      s2, a0
        mv      s3, a1
        .endm

# SSIP name, value: check sip.SSIP, then clear it.
        .macro  SSIP name, value
        csrr    s4, sip
        andi    s4, s4, SIP_SSIP
        csrci   sip, SIP_SSIP
        CHECK   \name, s4, \value
        .endm

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init            # (sie = 0, SIE = 0: nothing is taken)

# --- Probes -------------------------------------------------------------------------
        SBI2    SBI_BASE, BASE_PROBE, SBI_IPI, 0
        snez    s3, s3
        CHECK   probe-ipi-present, s3, 1
        SBI2    SBI_BASE, BASE_PROBE, SBI_RFENCE, 0
        snez    s3, s3
        CHECK   probe-rfence-present, s3, 1
        SBI2    SBI_BASE, BASE_PROBE, 0x53555350, 0     # "SUSP": system suspend
        CHECK   probe-system-suspend-absent, s3, 0
        SBI2    SBI_BASE, BASE_PROBE, 0x43505043, 0     # "CPPC"
        CHECK   probe-cppc-absent, s3, 0

# --- IPI: to this hart, a software interrupt, pending in sip.SSIP ------------
        SSIP    ssip-clear-at-first, 0
        SBI2    SBI_IPI, 0, 1, 0        # hart 0
        CHECK   ipi-hart-0-error, s2, 0
        SSIP    ipi-hart-0-sets-ssip, SIP_SSIP
        SBI2    SBI_IPI, 0, 0, -1       # every hart
        CHECK   ipi-all-harts-error, s2, 0
        SSIP    ipi-all-harts-sets-ssip, SIP_SSIP
        SBI2    SBI_IPI, 0, 0, 0        # nobody
        CHECK   ipi-nobody-error, s2, 0
        SSIP    ipi-nobody-no-ssip, 0
        SBI2    SBI_IPI, 0, 1, 1        # hart 1: there is none
        CHECK   ipi-hart-1-invalid, s2, ERR_INVALID_PARAM
        SSIP    ipi-hart-1-no-ssip, 0
        SBI2    SBI_IPI, 1, 1, 0
        CHECK   ipi-unknown-function, s2, ERR_NOT_SUPPORTED

# The IPI is taken like any supervisor software interrupt once enabled.
        TRAP_TO 1f
        SBI2    SBI_IPI, 0, 1, 0
        csrsi   sie, SIP_SSIP
        csrsi   sstatus, SSTATUS_SIE
        nop
1:      csrci   sstatus, SSTATUS_SIE
        csrci   sip, SIP_SSIP
        LOAD    s2, trap_cause
        CHECK   ipi-taken-as-software-interrupt, s2, 0x8000000000000001

# --- RFENCE: fences on this hart --------------------------------------------------
        SBI2    SBI_RFENCE, 0, 1, 0     # remote_fence_i(hart 0)
        CHECK   remote-fence-i-error, s2, 0
        li      a7, SBI_RFENCE          # remote_sfence_vma(hart 0, all)
        li      a6, 1
        li      a0, 1
        li      a1, 0
        li      a2, 0
        li      a3, -1
        ecall
        CHECK   remote-sfence-vma-error, a0, 0
        li      a7, SBI_RFENCE          # remote_sfence_vma_asid(every hart, a page, ASID 1)
        li      a6, 2
        li      a0, 0
        li      a1, -1
        li      a2, 0x80200000
        li      a3, 0x1000
        li      a4, 1
        ecall
        CHECK   remote-sfence-vma-asid-error, a0, 0
        SBI2    SBI_RFENCE, 0, 1, 1     # hart 1: there is none
        CHECK   remote-fence-i-hart-1-invalid, s2, ERR_INVALID_PARAM
        SBI2    SBI_RFENCE, 7, 1, 0
        CHECK   rfence-unknown-function, s2, ERR_NOT_SUPPORTED

# remote_fence_i after patching code: the patched instruction runs.
        la      s0, patched
        lw      s1, patch_li_99         # "li a0, 99"
        sw      s1, 0(s0)
        SBI2    SBI_RFENCE, 0, 1, 0
        call    patched
        mv      s2, a0
        CHECK   remote-fence-i-runs-the-new-code, s2, 99

# --- HSM: hart 0 is the only hart, and it runs -----------------------------------
        SBI2    SBI_HSM, 0, 0, 0x80200000       # hart_start(0)
        CHECK   hsm-start-hart-0-already-available, s2, ERR_ALREADY_AVAILABLE
        SBI2    SBI_HSM, 0, 1, 0x80200000       # hart_start(1)
        CHECK   hsm-start-hart-1-invalid, s2, ERR_INVALID_PARAM
        SBI2    SBI_HSM, 2, 1, 0                # hart_get_status(1)
        CHECK   hsm-status-hart-1-invalid, s2, ERR_INVALID_PARAM
        SBI2    SBI_HSM, 3, 1, 0                # hart_suspend(reserved type 1)
        CHECK   hsm-suspend-reserved-type-invalid, s2, ERR_INVALID_PARAM
        SBI2    SBI_HSM, 3, 0x10000000, 0       # a platform-specific type
        CHECK   hsm-suspend-platform-type-not-supported, s2, ERR_NOT_SUPPORTED

# hart_suspend(default retentive): the hart waits for an interrupt enabled in
# sie (the timer, soon), then the call returns 0. SIE stays 0: not taken.
        rdtime  a0
        addi    a0, a0, 100
        li      a7, SBI_TIME
        li      a6, 0
        ecall
        li      t0, SIP_STIP
        csrs    sie, t0
        SBI2    SBI_HSM, 3, 0, 0
        CHECK   hsm-suspend-retentive-returns-0, s2, 0
        csrr    s4, sip
        andi    s4, s4, SIP_STIP
        CHECK   hsm-suspend-woken-by-the-timer, s4, SIP_STIP
        csrw    sie, zero
        li      a0, -1                  # no timer any more
        li      a7, SBI_TIME
        li      a6, 0
        ecall

        j       finish

# patched(): returns a0 = 1, until its first instruction is patched.
patched:
        li      a0, 1
        ret

        .section .rodata
        .balign 4
patch_li_99:
        li      a0, 99
        .include "harness-routines.inc" # check(), the trap handler, printing
