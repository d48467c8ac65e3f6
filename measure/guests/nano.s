# nano.s: the nanobenchmarks of `trapvisor bench`, one loop each.
#
# After K. Adams and O. Agesen, "A Comparison of Software and Hardware
# Techniques for x86 Virtualization" (ASPLOS 2006), whose nanobenchmarks
# each time one operation a guest kernel does (syscall, in, cr8wr,
# call/ret, pgfault, divzero, ptemod) natively and under a monitor. Here
# they are mapped to RISC-V: each loop below does its operation once (or a
# fixed number of times) per iteration, and has a twin, the same loop
# without the operation. `trapvisor bench` times both, natively and under
# the monitor, and divides the difference by the operations done.
#
# The harness picks the loop before the guest boots, by writing two words
# of `.data`: `bench`, the address of one of the `bench_*` headers below,
# and `iterations`, the loop count. A header holds the trap handler the
# loop needs (`stvec`), flags (the mode it runs in, paging, the timer) and
# the loop's address; loops with the same code and different flags share
# it. Every loop ends the run through the test finisher; a trap no loop
# expects ends it with exit code 3.
#
# Registers, set up once by the kernel before the loop starts:
#   s0  iterations left          s6  &leaf[0]: the PTE of page A
#   s1  the UART                 s7  &leaf[1]: the PTE of page B
#   s2  VA of page A             s8  &leaf[2]: the PTE of page C
#   s3  VA of page B             s9  the timer deadline the loop asks for
#   s4  a valid PTE for page A   s10 the loop's code
#   s5  a valid PTE for page B   s11 the header's flags

        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555
        .equ FINISH_FAIL, 0x33333           # exit code 3
        .equ UART,        0x10000000
        .equ UART_LSR,    5

        .equ SBI_BASE,    0x10              # Base extension (get_spec_version = 0)
        .equ SBI_TIME,    0x54494D45        # Timer extension (set_timer = 0)

        .equ SSTATUS_SIE, 1 << 1
        .equ SSTATUS_SPP, 1 << 8
        .equ SIE_STIE,    1 << 5

        # Sv39 leaf and pointer bits (privileged spec 4.3.1)
        .equ PTE_V,       1 << 0
        .equ PTE_R,       1 << 1
        .equ PTE_W,       1 << 2
        .equ PTE_X,       1 << 3
        .equ PTE_A,       1 << 6
        .equ PTE_D,       1 << 7
        .equ SATP_SV39,   8 << 60

        # The window of 4 KiB pages the paging loops play with.
        .equ VA_A,        0x40000000
        .equ VA_B,        0x40001000
        .equ VA_C,        0x40002000

        # Header flags.
        .equ F_USER,      1                 # the loop runs in U-mode
        .equ F_SV39,      2                 # Sv39 on: RAM and devices identity-mapped, plus the window
        .equ F_PREMAP,    4                 # pages A and B mapped before the loop starts
        .equ F_TIMER,     8                 # sie.STIE and sstatus.SIE set
        .equ F_DUE,       16                # the loop's set_timer asks for time 0 (due at once)

        .text
        .globl _start
_start:
        la      t0, bench
        ld      t0, 0(t0)
        beqz    t0, fail                    # the harness chose no loop
        ld      t1, 0(t0)
        csrw    stvec, t1
        ld      s11, 8(t0)
        ld      s10, 16(t0)
        la      t1, iterations
        ld      s0, 0(t1)
        beqz    s0, fail
        li      s1, UART

        # The paging window: three PTEs in `leaf`, for VA_A, VA_B, VA_C.
        li      s2, VA_A
        li      s3, VA_B
        la      s4, page_a
        srli    s4, s4, 12
        slli    s4, s4, 10
        ori     s4, s4, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        la      s5, page_b
        srli    s5, s5, 12
        slli    s5, s5, 10
        ori     s5, s5, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        la      s6, leaf
        addi    s7, s6, 8
        addi    s8, s6, 16

        andi    t0, s11, F_SV39
        beqz    t0, 1f
        call    paging_on
1:
        andi    t0, s11, F_PREMAP
        beqz    t0, 1f
        sd      s4, 0(s6)
        sd      s5, 0(s7)
1:
        li      s9, -1                      # set_timer(never)...
        andi    t0, s11, F_DUE
        beqz    t0, 1f
        li      s9, 0                       # ...or set_timer(0): due at once
1:
        andi    t0, s11, F_TIMER
        beqz    t0, 1f
        li      t0, SIE_STIE
        csrs    sie, t0
        csrsi   sstatus, SSTATUS_SIE
1:
        andi    t0, s11, F_USER
        bnez    t0, 1f
        jr      s10                         # an S-mode loop

1:      csrw    sepc, s10                   # a U-mode loop: sret into it
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        sret

# Sv39 with the root table `root`: gigapage 0 (devices) and gigapage 2
# (RAM) identity-mapped for S-mode, and VA 0x4000_0000.. through `mid`
# to `leaf`, whose PTEs start invalid.
paging_on:
        la      t0, root
        li      t1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        sd      t1, 0(t0)                   # 0x0000_0000: devices
        li      t1, (0x80000000 >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        sd      t1, 16(t0)                  # 0x8000_0000: RAM
        la      t1, mid
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V
        sd      t1, 8(t0)                   # 0x4000_0000: the window
        la      t2, leaf
        srli    t2, t2, 12
        slli    t2, t2, 10
        ori     t2, t2, PTE_V
        la      t1, mid
        sd      t2, 0(t1)
        srli    t0, t0, 12
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        ret

finish:
        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
1:      j       1b

        .balign 4
fail:                                       # stvec of the loops that must not trap
        li      t0, FINISHER
        li      t1, FINISH_FAIL
        sw      t1, 0(t0)
1:      j       1b

# ---------------------------------------------------------------------------
# S-mode loops, paging off (and `loop_base` with it on, for `bench_sv39_base`)

loop_base:                                  # the loop alone
1:      addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_plain:                                 # 8 plain instructions, on 8 registers
1:      addi    t0, t0, 1
        addi    t1, t1, 1
        addi    t2, t2, 1
        addi    t3, t3, 1
        addi    t4, t4, 1
        addi    t5, t5, 1
        addi    t6, t6, 1
        addi    a0, a0, 1
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_callret:                               # a call and a return (jal, ret)
1:      jal     ra, leaf_fn
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish
leaf_fn:
        ret

loop_csr_read:                              # read an S-mode CSR
1:      csrr    t1, sscratch
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_sstatus_read:                          # read sstatus (x86's PUSHF:
1:      csrr    t1, sstatus                 # no exit on --isa leaky)
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_csr_write:                             # write an S-mode CSR (cr8wr)
1:      csrw    sie, zero
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_sie_toggle:                            # interrupts on and off again
1:      csrsi   sstatus, SSTATUS_SIE
        csrci   sstatus, SSTATUS_SIE
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_uart_read:                             # read the UART's line status (in)
1:      lbu     t1, UART_LSR(s1)
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

loop_sbi:                                   # an SBI call: get_spec_version
        li      a7, SBI_BASE
        li      a6, 0
1:      ecall
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

# The timer: set_timer(s9) each time round. With F_DUE (s9 = 0) the
# interrupt is due at once and taken right after the ecall; the handler
# puts the timer off again (set_timer(never), which clears STIP) and
# returns. Without it (s9 = -1) nothing fires: the same loop, no interrupt.
loop_timer:
        li      a7, SBI_TIME
        li      a6, 0
1:      mv      a0, s9
        ecall
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

        .balign 4
timer_handler:
        li      a0, -1
        ecall                               # set_timer(never)
        sret

# ---------------------------------------------------------------------------
# U-mode loops, paging off. Each ends with `ecall` and a0 = 1, which
# `user_handler` takes as "done".

loop_user_base:                             # the loop alone
1:      addi    s0, s0, -1
        bnez    s0, 1b
        li      a0, 1
        ecall

loop_syscall:                               # a system call (syscall)
        li      a0, 0
1:      ecall
        addi    s0, s0, -1
        bnez    s0, 1b
        li      a0, 1
        ecall

loop_illegal:                               # an illegal instruction (divzero)
        li      a0, 0
1:      unimp
        addi    s0, s0, -1
        bnez    s0, 1b
        li      a0, 1
        ecall

# The guest kernel's handler for both: step over the instruction that
# trapped and return to U-mode.
        .balign 4
user_handler:
        bnez    a0, finish
        csrr    t1, sepc
        addi    t1, t1, 4
        csrw    sepc, t1
        sret

# ---------------------------------------------------------------------------
# S-mode loops, Sv39 on

# A load from page A, then one from page B. Unmapped, each faults
# (pgfault); the handler maps the page and unmaps the other, so the next
# load faults again. With F_PREMAP both stay mapped: no faults.
loop_pgfault:
1:      ld      t1, 0(s2)
        ld      t1, 0(s3)
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

        .balign 4
pgfault_handler:
        csrr    t0, stval
        bne     t0, s2, 1f
        sd      s4, 0(s6)                   # map A
        sd      zero, 0(s7)                 # unmap B,
        sfence.vma s3                       # and forget it
        sret
1:      sd      s5, 0(s7)                   # map B
        sd      zero, 0(s6)                 # unmap A,
        sfence.vma s2                       # and forget it
        sret

# A PTE store and its sfence.vma (ptemod): page C mapped to A's frame
# again and again; nothing ever touches page C.
loop_ptemod:
        li      a1, VA_C
1:      sd      s4, 0(s8)
        sfence.vma a1
        addi    s0, s0, -1
        bnez    s0, 1b
        j       finish

# ---------------------------------------------------------------------------
# The headers: handler, flags, loop.

        .section .rodata
        .balign 8
        .globl bench_base, bench_plain, bench_callret, bench_csr_read
        .globl bench_csr_write, bench_sie_toggle, bench_uart_read, bench_sbi
        .globl bench_timer, bench_timer_base, bench_user_base, bench_syscall
        .globl bench_illegal, bench_sv39_base, bench_pgfault, bench_pgfault_base
        .globl bench_ptemod, bench_sstatus_read
bench_base:         .dword fail, 0, loop_base
bench_plain:        .dword fail, 0, loop_plain
bench_callret:      .dword fail, 0, loop_callret
bench_csr_read:     .dword fail, 0, loop_csr_read
bench_sstatus_read: .dword fail, 0, loop_sstatus_read
bench_csr_write:    .dword fail, 0, loop_csr_write
bench_sie_toggle:   .dword fail, 0, loop_sie_toggle
bench_uart_read:    .dword fail, 0, loop_uart_read
bench_sbi:          .dword fail, 0, loop_sbi
bench_timer:        .dword timer_handler, F_TIMER | F_DUE, loop_timer
bench_timer_base:   .dword timer_handler, F_TIMER, loop_timer
bench_user_base:    .dword user_handler, F_USER, loop_user_base
bench_syscall:      .dword user_handler, F_USER, loop_syscall
bench_illegal:      .dword user_handler, F_USER, loop_illegal
bench_sv39_base:    .dword fail, F_SV39, loop_base
bench_pgfault:      .dword pgfault_handler, F_SV39, loop_pgfault
bench_pgfault_base: .dword pgfault_handler, F_SV39 | F_PREMAP, loop_pgfault
bench_ptemod:       .dword fail, F_SV39, loop_ptemod

        .data
        .balign 8
        .globl bench, iterations
bench:      .dword 0                        # the header of the loop to run
iterations: .dword 0                        # how many times round

        .bss
        .balign 4096
root:   .zero 4096
mid:    .zero 4096
leaf:   .zero 4096
page_a: .zero 4096
page_b: .zero 4096
