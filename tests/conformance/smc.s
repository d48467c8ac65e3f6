# smc.s: conformance checks for self-modifying code and fence.i.
#
# Instructions are fetched from memory like data, but a hart may fetch them
# early or keep decoded copies (an instruction cache, or trapvisor's cache of
# decoded instructions). The rule (Zifencei): after storing to memory that
# holds instructions, execute `fence.i`; from then on this hart fetches the
# new bytes. Without fence.i the hart may run either the old or the new
# instruction, so that case is not checked.
#
# Checked: patching a whole function, the instruction right after the
# fence.i, a loop that rewrites its own immediate on every iteration,
# a patch of a single byte, a patch by an AMO, and code written into a data
# buffer and then called.
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
        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init

# --- Patch a function, then call it again --------------------------------------
        call    patch_fn
        CHECK   before-patch, a0, 1
        la      t0, patch_fn
        la      t1, li_a0_2
        lw      t1, 0(t1)               # the bits of "li a0, 2"
        sw      t1, 0(t0)               # overwrite "li a0, 1"
        fence.i
        call    patch_fn
        CHECK   after-patch, a0, 2

# --- Patch the very next instruction -------------------------------------------
        la      t0, 1f
        la      t1, li_s2_3
        lw      t1, 0(t1)
        li      s2, 0
        sw      t1, 0(t0)
        fence.i
1:      li      s2, 1                   # runs as "li s2, 3"
        CHECK   patch-next-instruction, s2, 3

# --- A loop that rewrites its own immediate ------------------------------------
# `addi s2, s2, 0` at 2: becomes addi s2, s2, i on iteration i = 1..10:
# s2 = 1 + 2 + ... + 10 = 55. The immediate is bits 31..20.
        la      s0, 2f
        lw      s1, 0(s0)               # s1 = the instruction with imm = 0
        li      s2, 0
        li      s3, 1                   # s3 = i
1:      slli    t0, s3, 20
        or      t0, s1, t0
        sw      t0, 0(s0)
        fence.i
2:      addi    s2, s2, 0               # patched every time round
        addi    s3, s3, 1
        li      t0, 10
        ble     s3, t0, 1b
        CHECK   loop-patches-its-immediate, s2, 55
        sw      s1, 0(s0)               # (leave it as it was)
        fence.i

# --- Patch one byte ------------------------------------------------------------
# Byte 3 of `addi s2, zero, 0` holds imm[11:4]: 0x10 there makes imm 0x100.
        la      t0, 1f
        li      t1, 0x10
        sb      t1, 3(t0)
        fence.i
1:      addi    s2, zero, 0             # runs as "addi s2, zero, 256"
        CHECK   patch-one-byte, s2, 256

# --- Patch with an AMO ---------------------------------------------------------
        la      t0, 1f
        la      t1, li_s2_3
        lw      t1, 0(t1)
        amoswap.w s3, t1, (t0)          # s3 = the old instruction
        fence.i
1:      li      s2, 1                   # runs as "li s2, 3"
        CHECK   patch-with-amoswap, s2, 3
        la      t0, li_s2_1
        lw      t0, 0(t0)
        CHECK_REG amoswap-returns-old-instruction, s3, t0

# --- Write a function into a data buffer and call it ---------------------------
        la      t0, buffer
        la      t1, li_a0_7
        lw      t1, 0(t1)
        sw      t1, 0(t0)
        la      t1, ret_insn
        lw      t1, 0(t1)
        sw      t1, 4(t0)
        fence.i
        li      a0, 0
        la      t0, buffer
        jalr    ra, 0(t0)
        CHECK   call-code-in-data, a0, 7
        # ...and rewrite it there.
        la      t0, buffer
        la      t1, li_a0_2
        lw      t1, 0(t1)
        sw      t1, 0(t0)
        fence.i
        la      t0, buffer
        jalr    ra, 0(t0)
        CHECK   rewrite-code-in-data, a0, 2

        j       finish

patch_fn:
        li      a0, 1                   # patched to "li a0, 2"
        ret

# Templates: instructions that are copied, never run here.
li_a0_2:        li      a0, 2
li_a0_7:        li      a0, 7
li_s2_1:        li      s2, 1
li_s2_3:        li      s2, 3
ret_insn:       ret

        .bss
        .balign 8
buffer:         .space  16              # code written at run time

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
