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
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
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
        .include "harness-routines.inc" # check(), the trap handler, printing
