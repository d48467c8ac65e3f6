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
# ---------------------------------------------------------------------------
# The check harness, the same in every tests/conformance program. These
# macros are its interface; its routines and data are at the end of the file.
#
#   CHECK name, reg, value      print "ok name" if reg == value (any 64-bit
#                               constant), else "FAIL name got 0x.. want 0x.."
#   CHECK_REG name, reg, reg2   the same, against another register (not a1)
#   CHECK_ADDR name, reg, label the same, against the address of label
#   TRAP_TO label               arm the trap handler: the next trap records
#                               scause, sepc, stval and sstatus, and resumes
#                               at label, in S-mode
#   EXPECT_TRAP name, cause, epc, tval   disarm the handler, then check the
#                               recorded scause (-1 if nothing trapped), that
#                               sepc = the address of label epc, and stval
#   EXPECT_TRAP_A name, cause, epc, label  the same, stval = address of label
#   EXPECT_TRAP_I name, cause, epc         the same, stval = the instruction
#                               bits at epc (for illegal instructions)
#   EXPECT_NO_TRAP name         disarm, then check that nothing trapped
#   LOAD reg, var               reg = the dword at var (e.g. trap_status)
#
# The macros and check() change t0-t2, a0-a3 and ra: keep values in s0-s11.
# The trap handler itself changes no register; after an interrupt it clears
# sie, so that the interrupt cannot come again. A trap that nobody armed for
# prints a FAIL line and execution carries on after the instruction.

        .equ UART,            0x10000000  # 16550 UART: THR at +0, LSR at +5
        .equ UART_LSR,        5
        .equ LSR_THRE,        0x20        #   LSR: ready for a byte
        .equ FINISHER,        0x100000    # test finisher
        .equ FINISH_PASS,     0x5555      #   exit code 0
        .equ FINISH_FAIL,     0x13333     #   0x3333 | 1 << 16: exit code 1

        .equ SSTATUS_SIE,     1 << 1      # S-mode interrupt enable
        .equ SSTATUS_SPIE,    1 << 5      # SIE before the trap
        .equ SSTATUS_SPP,     1 << 8      # privilege before the trap (1 = S)
        .equ SSTATUS_SUM,     1 << 18     # S-mode may access U pages
        .equ SSTATUS_MXR,     1 << 19     # loads from X-only pages allowed

        .equ TF_RESUME,       0           # trap_frame: resume here (0: unarmed)
        .equ TF_T5,           8           #   the interrupted t5
        .equ TF_SAVE,         16          #   15 registers, for unexpected traps
        .equ TF_SIZE,         16 + 15 * 8

        .macro  NAME reg, name          # reg = address of the string "name"
        .section .rodata
99:     .asciz  "\name"
        .text
        la      \reg, 99b
        .endm

        .macro  CHECK name, reg, value
        mv      a1, \reg
        li      a2, \value
        NAME    a0, \name
        call    check
        .endm

        .macro  CHECK_REG name, reg, reg2
        mv      a1, \reg
        mv      a2, \reg2
        NAME    a0, \name
        call    check
        .endm

        .macro  CHECK_ADDR name, reg, label
        mv      a1, \reg
        la      a2, \label
        NAME    a0, \name
        call    check
        .endm

        .macro  LOAD reg, var
        la      \reg, \var
        ld      \reg, 0(\reg)
        .endm

        .macro  TRAP_TO label
        la      t0, \label
        call    trap_arm
        .endm

        .macro  EXPECT_TRAP name, cause, epc, tval
        li      a1, \cause
        la      a2, \epc
        li      a3, \tval
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_TRAP_A name, cause, epc, label
        li      a1, \cause
        la      a2, \epc
        la      a3, \label
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_TRAP_I name, cause, epc
        li      a1, \cause
        la      a2, \epc
        lwu     a3, 0(a2)
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  EXPECT_NO_TRAP name
        call    trap_disarm
        LOAD    a1, trap_cause
        li      a2, -1
        NAME    a0, \name
        call    check
        .endm
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

# ===========================================================================
# The check harness's routines (the same in every tests/conformance program).

        .text

# harness_init: take every trap at trap_entry, with no interrupts enabled.
harness_init:
        la      t0, trap_entry
        csrw    stvec, t0
        la      t0, trap_frame
        csrw    sscratch, t0
        csrw    sie, zero
        csrci   sstatus, SSTATUS_SIE
        ret

# check(a0 = name, a1 = got, a2 = want): print "ok NAME", or "FAIL NAME got
# 0xGOT want 0xWANT" and count a failure. expect_trap uses check_suffix,
# which prints a3 (a string, or 0 for none) after the name.
check:
        li      a3, 0
check_suffix:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        mv      s3, a3
        la      t0, nchecks
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_ok
        beq     s1, s2, 1f
        la      t0, nfailed
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_fail
1:      call    puts
        mv      a0, s0
        call    puts
        beqz    s3, 2f
        mv      a0, s3
        call    puts
2:      beq     s1, s2, 3f
        la      a0, s_got
        call    puts
        mv      a0, s1
        call    put_hex
        la      a0, s_want
        call    puts
        mv      a0, s2
        call    put_hex
3:      li      a0, 10                  # '\n'
        call    putc
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        addi    sp, sp, 48
        ret

# trap_arm(t0 = resume address): the next trap resumes there. Until a trap
# happens, scause/sepc/stval read back as -1 ("no trap").
trap_arm:
        la      t1, trap_frame
        sd      t0, TF_RESUME(t1)
        li      t0, -1
        la      t1, trap_cause
        sd      t0, 0(t1)
        sd      t0, 8(t1)               # trap_epc
        sd      t0, 16(t1)              # trap_tval
        sd      t0, 24(t1)              # trap_status
        ret

trap_disarm:
        la      t1, trap_frame
        sd      zero, TF_RESUME(t1)
        ret

# expect_trap(a0 = name, a1 = scause, a2 = sepc, a3 = stval wanted): disarm
# and check the three, as "NAME: scause", "NAME: sepc" and "NAME: stval".
expect_trap:
        addi    sp, sp, -48
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        sd      s3, 32(sp)
        mv      s0, a0
        mv      s1, a1
        mv      s2, a2
        mv      s3, a3
        call    trap_disarm
        mv      a0, s0
        LOAD    a1, trap_cause
        mv      a2, s1
        la      a3, s_scause
        call    check_suffix
        mv      a0, s0
        LOAD    a1, trap_epc
        mv      a2, s2
        la      a3, s_sepc
        call    check_suffix
        mv      a0, s0
        LOAD    a1, trap_tval
        mv      a2, s3
        la      a3, s_stval
        call    check_suffix
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        ld      s3, 32(sp)
        addi    sp, sp, 48
        ret

# finish: print the totals and end through the test finisher, with exit
# code 0 if every check passed, else 1.
finish:
        csrw    satp, zero              # physical addresses again
        la      a0, s_done
        call    puts
        LOAD    a0, nchecks
        call    put_dec
        la      a0, s_checks
        call    puts
        LOAD    a0, nfailed
        call    put_dec
        la      a0, s_failed
        call    puts
        LOAD    t0, nfailed
        li      t1, FINISH_PASS
        beqz    t0, 1f
        li      t1, FINISH_FAIL
1:      li      t0, FINISHER
        sw      t1, 0(t0)
2:      j       2b

# The trap handler. Every trap lands here (or, with a vectored stvec, is
# sent here). It saves what the hart reported, masks interrupts if it was
# one (so that it cannot fire again), and, if a test armed it, resumes at
# the test's label in S-mode. It changes no register: t6 is swapped with
# sscratch (which points at trap_frame) and t5 is saved there.
        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = &trap_frame, sscratch = old t6
        sd      t5, TF_T5(t6)
        csrr    t5, scause
        sd      t5, TF_SIZE + 0(t6)     # trap_cause (follows trap_frame)
        csrr    t5, sepc
        sd      t5, TF_SIZE + 8(t6)     # trap_epc
        csrr    t5, stval
        sd      t5, TF_SIZE + 16(t6)    # trap_tval
        csrr    t5, sstatus
        sd      t5, TF_SIZE + 24(t6)    # trap_status
        csrr    t5, scause
        bgez    t5, 1f
        csrw    sie, zero               # an interrupt: mask them all
1:      ld      t5, TF_RESUME(t6)
        beqz    t5, trap_unexpected
        sd      zero, TF_RESUME(t6)     # armed: disarm, resume at the label
        csrw    sepc, t5
        li      t5, SSTATUS_SPP         # ... in S-mode
        csrs    sstatus, t5
trap_return:
        ld      t5, TF_T5(t6)
        csrrw   t6, sscratch, t6
        sret

# Nobody expected this trap: report it, count a failure and go on after
# the instruction (an interrupt resumes where it hit). After 10 of them the
# hart is too broken to go on: finish.
trap_unexpected:
        sd      ra, TF_SAVE + 0(t6)
        sd      sp, TF_SAVE + 8(t6)
        sd      t0, TF_SAVE + 16(t6)
        sd      t1, TF_SAVE + 24(t6)
        sd      t2, TF_SAVE + 32(t6)
        sd      t3, TF_SAVE + 40(t6)
        sd      t4, TF_SAVE + 48(t6)
        sd      a0, TF_SAVE + 56(t6)
        sd      a1, TF_SAVE + 64(t6)
        sd      a2, TF_SAVE + 72(t6)
        sd      a3, TF_SAVE + 80(t6)
        sd      a4, TF_SAVE + 88(t6)
        sd      a5, TF_SAVE + 96(t6)
        sd      a6, TF_SAVE + 104(t6)
        sd      a7, TF_SAVE + 112(t6)
        la      sp, trap_stack_top
        la      t0, nfailed
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        la      a0, s_unexpected
        call    puts
        csrr    a0, scause
        call    put_hex
        la      a0, s_u_sepc
        call    puts
        csrr    a0, sepc
        call    put_hex
        la      a0, s_u_stval
        call    puts
        csrr    a0, stval
        call    put_hex
        li      a0, 10
        call    putc
        la      t0, nunexpected
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t0, 10
        bgeu    t1, t0, finish
        csrr    t0, scause
        bltz    t0, 1f
        csrr    t0, sepc                # an exception: skip the instruction
        addi    t0, t0, 4
        csrw    sepc, t0
1:      ld      ra, TF_SAVE + 0(t6)
        ld      sp, TF_SAVE + 8(t6)
        ld      t0, TF_SAVE + 16(t6)
        ld      t1, TF_SAVE + 24(t6)
        ld      t2, TF_SAVE + 32(t6)
        ld      t3, TF_SAVE + 40(t6)
        ld      t4, TF_SAVE + 48(t6)
        ld      a0, TF_SAVE + 56(t6)
        ld      a1, TF_SAVE + 64(t6)
        ld      a2, TF_SAVE + 72(t6)
        ld      a3, TF_SAVE + 80(t6)
        ld      a4, TF_SAVE + 88(t6)
        ld      a5, TF_SAVE + 96(t6)
        ld      a6, TF_SAVE + 104(t6)
        ld      a7, TF_SAVE + 112(t6)
        j       trap_return

# putc(a0 = byte): wait until the UART can take a byte, then send it.
putc:
        li      t0, UART
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

# puts(a0 = NUL-terminated string)
puts:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0
1:      lbu     a0, 0(s0)
        beqz    a0, 2f
        call    putc
        addi    s0, s0, 1
        j       1b
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# put_hex(a0): "0x" and the hex digits, without leading zeros.
put_hex:
        addi    sp, sp, -32
        sd      ra, 24(sp)
        addi    t0, sp, 23              # build the string backwards
        sb      zero, 0(t0)
        la      t1, hex_digits
1:      andi    t2, a0, 15
        add     t2, t1, t2
        lbu     t2, 0(t2)
        srli    a0, a0, 4
        addi    t0, t0, -1
        sb      t2, 0(t0)
        bnez    a0, 1b
        li      t2, 120                 # 'x'
        sb      t2, -1(t0)
        li      t2, 48                  # '0'
        sb      t2, -2(t0)
        addi    a0, t0, -2
        call    puts
        ld      ra, 24(sp)
        addi    sp, sp, 32
        ret

# put_dec(a0 = unsigned number)
put_dec:
        addi    sp, sp, -32
        sd      ra, 24(sp)
        addi    t0, sp, 23
        sb      zero, 0(t0)
        li      t1, 10
1:      remu    t2, a0, t1
        divu    a0, a0, t1
        addi    t2, t2, 48              # '0'
        addi    t0, t0, -1
        sb      t2, 0(t0)
        bnez    a0, 1b
        mv      a0, t0
        call    puts
        ld      ra, 24(sp)
        addi    sp, sp, 32
        ret

        .section .rodata
s_ok:           .asciz "ok "
s_fail:         .asciz "FAIL "
s_got:          .asciz " got "
s_want:         .asciz " want "
s_scause:       .asciz ": scause"
s_sepc:         .asciz ": sepc"
s_stval:        .asciz ": stval"
s_unexpected:   .asciz "FAIL unexpected trap: scause "
s_u_sepc:       .asciz " sepc "
s_u_stval:      .asciz " stval "
s_done:         .asciz "done: "
s_checks:       .asciz " checks, "
s_failed:       .asciz " failed\n"
hex_digits:     .ascii "0123456789abcdef"

        .data
        .balign 8
trap_frame:     .space TF_SIZE
trap_cause:     .dword -1               # what the last trap reported
trap_epc:       .dword -1
trap_tval:      .dword -1
trap_status:    .dword -1
trap_vector:    .dword -1               # set by traps.s's vectored stubs
nchecks:        .dword 0
nfailed:        .dword 0
nunexpected:    .dword 0

        .bss
        .balign 16
        .space  4096
stack_top:
        .space  1024
trap_stack_top:
