# sbi.s: conformance checks for the SBI calls this machine shares with QEMU's
# OpenSBI 1.1.
#
# An SBI call is an `ecall` from S-mode: a7 = extension id, a6 = function id,
# arguments in a0..a5; it returns an error code in a0 (0 success, -2 not
# supported, -3 invalid parameter, ...) and a value in a1, and preserves
# every other register. The legacy extensions (ids 0x00..0x08) return their
# result in a0 alone.
#
# Not checked, because the two differ on purpose: the spec version and the
# implementation id/version (OpenSBI 1.1 says SBI 1.0; trapvisor 2.0), and
# whether DBCN exists. Nor marchid/mimpid (QEMU reports its own numbers).
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
        .equ SBI_BASE,      0x10
        .equ SBI_TIME,      0x54494D45  # "TIME"
        .equ SBI_SRST,      0x53525354  # "SRST"
        .equ SBI_HSM,       0x48534D    # "HSM"
        .equ SBI_NOPE,      0x0abcdef0  # no such extension
        .equ LEGACY_SET_TIMER, 0
        .equ LEGACY_PUTCHAR,   1
        .equ LEGACY_GETCHAR,   2
        .equ LEGACY_SHUTDOWN,  8
        .equ BASE_SPEC_VERSION, 0
        .equ BASE_PROBE,        3
        .equ BASE_MVENDORID,    4
        .equ ERR_NOT_SUPPORTED, -2
        .equ HSM_STATUS,        2
        .equ HSM_STARTED,       0
        .equ SIP_STIP,          1 << 5

# SBI eid, fid, arg: a0 = arg, ecall. Result in a0 (error) and a1 (value).
        .macro  SBI eid, fid, arg
        li      a7, \eid
        li      a6, \fid
        li      a0, \arg
        ecall
        .endm

# PROBE name, eid: the Base extension's probe_extension(eid) must succeed
# and say present (a1 != 0).
        .macro  PROBE name, eid
        SBI     SBI_BASE, BASE_PROBE, \eid
        mv      s2, a0
        snez    s3, a1
        CHECK   \name-error, s2, 0
        CHECK   \name-present, s3, 1
        .endm

# STIP name, value: check sip.STIP (the timer interrupt is pending).
        .macro  STIP name, value
        csrr    s2, sip
        andi    s2, s2, SIP_STIP
        CHECK   \name, s2, \value
        .endm

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init            # (sie = 0, SIE = 0: nothing is taken)

# --- Base -----------------------------------------------------------------------
        SBI     SBI_BASE, BASE_SPEC_VERSION, 0
        mv      s2, a0
        srli    s3, a1, 24              # major version: 1 or 2, not 0
        snez    s3, s3
        CHECK   spec-version-error, s2, 0
        CHECK   spec-version-major-nonzero, s3, 1
        PROBE   probe-base, SBI_BASE
        PROBE   probe-time, SBI_TIME
        PROBE   probe-srst, SBI_SRST
        PROBE   probe-hsm, SBI_HSM
        PROBE   probe-legacy-set-timer, LEGACY_SET_TIMER
        PROBE   probe-legacy-putchar, LEGACY_PUTCHAR
        PROBE   probe-legacy-getchar, LEGACY_GETCHAR
        PROBE   probe-legacy-shutdown, LEGACY_SHUTDOWN
        SBI     SBI_BASE, BASE_PROBE, SBI_NOPE
        mv      s2, a0
        mv      s3, a1
        CHECK   probe-unknown-error, s2, 0   # the probe itself works...
        CHECK   probe-unknown-absent, s3, 0  # ...and says "absent"
        SBI     SBI_BASE, BASE_MVENDORID, 0
        mv      s2, a0
        mv      s3, a1
        CHECK   mvendorid-error, s2, 0
        CHECK   mvendorid-zero, s3, 0

# --- Not supported: unknown extension, unknown function -----------------------
        SBI     SBI_NOPE, 0, 0
        CHECK   unknown-extension, a0, ERR_NOT_SUPPORTED
        SBI     SBI_BASE, 99, 0
        CHECK   unknown-base-function, a0, ERR_NOT_SUPPORTED
        SBI     SBI_TIME, 1, 0
        CHECK   unknown-time-function, a0, ERR_NOT_SUPPORTED

# --- An SBI call preserves every register but a0 and a1 -----------------------
        li      t0, 0x1000              # give each register a known value
        li      t1, 0x1001
        li      t2, 0x1002
        li      t3, 0x1003
        li      t4, 0x1004
        li      t5, 0x1005
        li      t6, 0x1006
        li      a2, 0x1012
        li      a3, 0x1013
        li      a4, 0x1014
        li      a5, 0x1015
        li      s1, 0x1009
        li      s4, 0x1011
        mv      s5, sp
        mv      s6, gp
        mv      s7, tp
        li      a7, SBI_BASE
        li      a6, BASE_PROBE
        li      a0, SBI_TIME
        ecall
        li      s2, 0                   # s2 = which registers changed
        li      s3, 0x1000
        beq     t0, s3, 1f
        ori     s2, s2, 1 << 0
1:      addi    s3, s3, 1
        beq     t1, s3, 1f
        ori     s2, s2, 1 << 1
1:      addi    s3, s3, 1
        beq     t2, s3, 1f
        ori     s2, s2, 1 << 2
1:      addi    s3, s3, 1
        beq     t3, s3, 1f
        ori     s2, s2, 1 << 3
1:      addi    s3, s3, 1
        beq     t4, s3, 1f
        ori     s2, s2, 1 << 4
1:      addi    s3, s3, 1
        beq     t5, s3, 1f
        ori     s2, s2, 1 << 5
1:      addi    s3, s3, 1
        beq     t6, s3, 1f
        ori     s2, s2, 1 << 6
1:      li      s3, 0x1012
        beq     a2, s3, 1f
        ori     s2, s2, 1 << 7
1:      addi    s3, s3, 1
        beq     a3, s3, 1f
        ori     s2, s2, 1 << 8
1:      addi    s3, s3, 1
        beq     a4, s3, 1f
        ori     s2, s2, 1 << 9
1:      addi    s3, s3, 1
        beq     a5, s3, 1f
        ori     s2, s2, 1 << 10
1:      li      s3, BASE_PROBE
        beq     a6, s3, 1f
        li      s3, 1 << 11
        or      s2, s2, s3
1:      li      s3, SBI_BASE
        beq     a7, s3, 1f
        li      s3, 1 << 12
        or      s2, s2, s3
1:      li      s3, 0x1009
        beq     s1, s3, 1f
        li      s3, 1 << 13
        or      s2, s2, s3
1:      li      s3, 0x1011
        beq     s4, s3, 1f
        li      s3, 1 << 14
        or      s2, s2, s3
1:      beq     s5, sp, 1f
        li      s3, 1 << 15
        or      s2, s2, s3
1:      beq     s6, gp, 1f
        li      s3, 1 << 16
        or      s2, s2, s3
1:      beq     s7, tp, 1f
        li      s3, 1 << 17
        or      s2, s2, s3
1:      CHECK   registers-preserved-mask, s2, 0

# --- Timer: set_timer decides sip.STIP ------------------------------------------
# Interrupts stay disabled (sie = 0): only the pending bit is looked at.
        li      a7, SBI_TIME            # far in the future: not pending
        li      a6, 0
        li      a0, 0x7fffffffffffffff
        ecall
        CHECK   set-timer-future-error, a0, 0
        STIP    set-timer-future-stip, 0
        SBI     SBI_TIME, 0, 0          # in the past: pending at once
        CHECK   set-timer-past-error, a0, 0
        STIP    set-timer-past-stip, SIP_STIP
        STIP    stip-stays-pending, SIP_STIP
        SBI     SBI_TIME, 0, -1         # never: not pending any more
        STIP    set-timer-never-stip, 0
        SBI     LEGACY_SET_TIMER, 0, 0  # the legacy call does the same
        STIP    legacy-set-timer-past-stip, SIP_STIP
        SBI     LEGACY_SET_TIMER, 0, -1
        STIP    legacy-set-timer-never-stip, 0

# --- HSM: hart 0 (us) is started --------------------------------------------------
        SBI     SBI_HSM, HSM_STATUS, 0
        mv      s2, a0
        mv      s3, a1
        CHECK   hsm-hart-0-status-error, s2, 0
        CHECK   hsm-hart-0-started, s3, HSM_STARTED

# --- Legacy console ------------------------------------------------------------------
        SBI     LEGACY_GETCHAR, 0, 0    # nothing typed: -1
        CHECK   legacy-getchar-none, a0, -1
        # console_putchar: this line goes through the firmware, which turns
        # "\n" into "\r\n" (QEMU's OpenSBI does; so does trapvisor).
        la      s0, putchar_line
1:      lbu     a0, 0(s0)
        beqz    a0, 2f
        li      a7, LEGACY_PUTCHAR
        li      a6, 0
        ecall
        addi    s0, s0, 1
        j       1b
2:
        j       finish

        .section .rodata
putchar_line:   .asciz "ok legacy-putchar\n"
        .include "harness-routines.inc" # check(), the trap handler, printing
