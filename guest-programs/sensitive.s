# sensitive.s: a kernel looks at its own sstatus and masks interrupts.
#
# Three things every kernel does, each with a sensitive instruction: it
# reads its status register, it enables interrupts, and it masks them
# around a critical section. On the standard machine every one of them is
# privileged: deprivileged to U-mode under trapvisor's monitor, each traps,
# the monitor emulates it on the guest's virtual sstatus, and the program
# prints the same three lines natively and under the monitor.
#
# On `--isa leaky` (the Popek–Goldberg lab's machine with x86's flaws) a
# U-mode `csrr sstatus` does not trap and returns the real sstatus (x86's
# PUSHF and SMSW), and a U-mode write that would change only SIE is
# silently dropped (x86's POPF). Natively nothing changes: this kernel runs
# in S-mode. Under the monitor it runs in U-mode, and all three lines
# change: it sees the monitor's sstatus instead of its own, its `csrsi
# sstatus, SIE` enables nothing, and its `csrci sstatus, SIE` masks nothing
# (book: "The Popek–Goldberg lab").
#
#   trapvisor run guest-programs/sensitive.s                        natively
#   trapvisor run --monitor guest-programs/sensitive.s              the same
#   trapvisor run --isa leaky guest-programs/sensitive.s            the same
#   trapvisor run --isa leaky --monitor guest-programs/sensitive.s  not

        .equ UART,          0x10000000
        .equ UART_LSR,      5
        .equ LSR_THRE,      0x20
        .equ FINISHER,      0x100000
        .equ FINISH_PASS,   0x5555
        .equ FINISH_FAIL,   0x3333      # exit code in bits 16 and up

        .equ SSTATUS_SIE,   1 << 1      # S-mode interrupts enabled
        .equ SSTATUS_SPIE,  1 << 5      # SIE before the last trap
        .equ SSTATUS_SPP,   1 << 8      # the privilege before the last trap
        .equ SSTATUS_SUM,   1 << 18     # S-mode may touch U pages
        .equ SIP_SSIP,      1 << 1      # supervisor software interrupt
        .equ IRQ_S_SOFT,    1           # its scause code

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      t0, trap_entry
        csrw    stvec, t0
        li      t0, SIP_SSIP            # software interrupts through sie,
        csrw    sie, t0                 # still masked by sstatus.SIE = 0
        la      a0, msg_title
        call    puts

        # 1. PUSHF/SMSW. Set SPP and SUM (a write that changes more than
        # SIE: it traps on both machines), then read them back.
        li      t0, SSTATUS_SPP | SSTATUS_SUM
        csrs    sstatus, t0
        csrr    s0, sstatus
        li      t0, SSTATUS_SPP | SSTATUS_SUM
        csrc    sstatus, t0
        la      a0, msg_spp
        call    puts
        srli    a0, s0, 8               # SPP
        andi    a0, a0, 1
        call    put_dec
        la      a0, msg_sum
        call    puts
        srli    a0, s0, 18              # SUM
        andi    a0, a0, 1
        call    put_dec
        la      a0, msg_nl
        call    puts

        # 2. POPF, enabling. A software interrupt is made pending (sip.SSIP)
        # while SIE = 0; `csrsi sstatus, SIE` lets it in: the handler runs
        # right after it and counts it.
        csrsi   sip, SIP_SSIP
        csrsi   sstatus, SSTATUS_SIE
        nop
        csrci   sstatus, SSTATUS_SIE
        csrci   sip, SIP_SSIP           # (if it was not taken)
        la      a0, msg_enable
        call    puts
        la      t0, taken
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_nl
        call    puts

        # 3. POPF, masking. Return into the kernel with SIE = 1 the way a
        # kernel resumes an interrupted thread (sret with SPIE = 1: sret
        # traps on both machines), then mask interrupts with `csrci
        # sstatus, SIE` around a critical section in which a software
        # interrupt becomes pending. It must wait until the section ends.
        la      t0, taken
        sd      zero, 0(t0)
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrs    sstatus, t0
        la      t0, resumed
        csrw    sepc, t0
        sret
resumed:
        csrci   sstatus, SSTATUS_SIE    # the critical section begins
        csrsi   sip, SIP_SSIP
        nop
        nop
        la      t0, taken               # interrupts taken inside it
        ld      s1, 0(t0)
        csrci   sip, SIP_SSIP
        csrsi   sstatus, SSTATUS_SIE    # it ends (nothing pending now)
        la      a0, msg_mask
        call    puts
        mv      a0, s1
        call    put_dec
        la      a0, msg_nl
        call    puts

        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
1:      j       1b

# The trap handler: counts supervisor software interrupts and clears
# sip.SSIP; any other trap is a bug, and ends the run with exit code 1.
        .align  2
trap_entry:
        addi    sp, sp, -16
        sd      t0, 0(sp)
        sd      t1, 8(sp)
        csrr    t0, scause
        li      t1, 1 << 63 | IRQ_S_SOFT
        bne     t0, t1, unexpected_trap
        la      t0, taken
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        csrci   sip, SIP_SSIP
        ld      t0, 0(sp)
        ld      t1, 8(sp)
        addi    sp, sp, 16
        sret

unexpected_trap:
        li      t0, FINISHER
        li      t1, 1 << 16 | FINISH_FAIL
        sw      t1, 0(t0)
1:      j       1b

        .include "lib/console.inc"

        .section .rodata
msg_title:  .asciz "sensitive: a kernel reads its sstatus and masks interrupts\n"
msg_spp:    .asciz "csrr sstatus after csrs sstatus, SPP|SUM: SPP = "
msg_sum:    .asciz ", SUM = "
msg_enable: .asciz "csrsi sstatus, SIE with a software interrupt pending: interrupts taken = "
msg_mask:   .asciz "csrci sstatus, SIE, then a software interrupt: taken inside the critical section = "
msg_nl:     .asciz "\n"

        .data
        .align  3
taken:      .dword 0

        .bss
        .align  4
        .space  4096
stack_top:
