# trap-loops.s: a guest that traps millions of times and always gets
# somewhere, which trap-storm detection must never stop (cpu/src/storm.rs).
# ROUNDS times each:
# 1. system calls: a U-mode loop runs `ecall` at the same pc; the kernel
#    counts it and returns past it with `sret`;
# 2. demand paging: an S-mode loop loads a doubleword that straddles two
#    unmapped pages at the same pc; each fault maps the page in stval and
#    returns to the load (so it faults twice in a row, once per page), then
#    the loop unmaps both pages again;
# 3. a timer storm: the timer handler sets the next deadline at most one
#    tick ahead, so an interrupt comes after every few instructions, each
#    with an `sret` in between.
# Prints "trap-loops: ok" and exits 0 when every count is right; a wrong
# count exits with the phase's number.
        .equ ROUNDS, 1000000
        .equ UART, 0x10000000
        .equ FINISHER, 0x100000
        .equ SBI_TIME, 0x54494D45
        .equ PTE_V, 1
        .equ PTE_RW, 2 | 4
        .equ PTE_X, 8
        .equ PTE_AD, 0x40 | 0x80
        .equ SSTATUS_SPP, 1 << 8
        .equ SSTATUS_SIE, 1 << 1
        .equ SIE_STIE, 1 << 5
        .text
        .globl _start
_start:
        la      t0, trap
        csrw    stvec, t0
        li      s1, 0                   # system calls counted
        li      s2, 0                   # page faults counted
        li      s3, 0                   # timer interrupts counted

        # 1. To U-mode, at `user`.
        la      t0, user
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        sret

user:   li      s0, ROUNDS
1:      li      a7, 1                   # "count me"
        ecall
        addi    s0, s0, -1
        bnez    s0, 1b
        li      a7, 2                   # "done": back to S-mode, phase 2
        ecall

phase2: li      t0, ROUNDS
        bne     s1, t0, fail1
        # Sv39: the RAM gigapage identity-mapped, and VA 0x1000-0x2fff
        # (l0[1], l0[2]) for the demand-paged doubleword.
        la      t0, root
        li      t1, (0x80000000 >> 12) << 10 | PTE_V | PTE_RW | PTE_X | PTE_AD
        sd      t1, 16(t0)
        la      t1, l1
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V
        sd      t1, 0(t0)
        la      t0, l1
        la      t1, l0
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V
        sd      t1, 0(t0)
        la      t0, root
        srli    t0, t0, 12
        li      t1, 8 << 60
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma
        la      s4, l0
        li      s0, ROUNDS
1:      li      t4, 0x1ffc
        ld      t5, 0(t4)               # two page faults, then it completes
        sd      zero, 8(s4)             # unmap both pages again
        sd      zero, 16(s4)
        sfence.vma
        addi    s0, s0, -1
        bnez    s0, 1b
        csrw    satp, zero
        sfence.vma
        li      t0, 2 * ROUNDS
        bne     s2, t0, fail2

        # 3. The timer storm.
        rdtime  a0
        li      a6, 0
        li      a7, SBI_TIME
        ecall                           # set_timer(now): due at once
        li      t0, SIE_STIE
        csrw    sie, t0
        csrsi   sstatus, SSTATUS_SIE
        li      t0, ROUNDS
1:      blt     s3, t0, 1b              # interrupted every few times round
        csrci   sstatus, SSTATUS_SIE
        bne     s3, t0, fail3

        la      a0, ok
        li      t0, UART
1:      lbu     t1, 0(a0)
        beqz    t1, 2f
        sb      t1, 0(t0)
        addi    a0, a0, 1
        j       1b
2:      li      t1, 0x5555
        j       finish
fail1:  li      t1, 1 << 16 | 0x3333
        j       finish
fail2:  li      t1, 2 << 16 | 0x3333
        j       finish
fail3:  li      t1, 3 << 16 | 0x3333
finish: li      t0, FINISHER
        sw      t1, 0(t0)
1:      j       1b

# The kernel: no stack, it uses t0-t3 and a0/a6/a7 only where the
# interrupted code does not.
        .align 2
trap:   csrr    t0, scause
        bltz    t0, tick
        li      t1, 8                   # ecall from U
        beq     t0, t1, syscall
        li      t1, 13                  # load page fault
        beq     t0, t1, page_fault
        li      t1, 9 << 16 | 0x3333    # anything else: exit 9
        j       finish

syscall:
        li      t1, 2
        beq     a7, t1, 1f
        addi    s1, s1, 1
        csrr    t0, sepc
        addi    t0, t0, 4
        csrw    sepc, t0
        sret
1:      la      t0, phase2              # "done": on in S-mode
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrs    sstatus, t0
        sret

page_fault:
        addi    s2, s2, 1
        csrr    t0, stval
        srli    t0, t0, 12
        andi    t0, t0, 511
        slli    t0, t0, 3
        add     t0, t0, s4              # &l0[vpn0]
        la      t1, data
        srli    t1, t1, 12
        slli    t1, t1, 10
        ori     t1, t1, PTE_V | PTE_RW | PTE_AD
        sd      t1, 0(t0)
        sfence.vma
        sret                            # to the load, which tries again

tick:   addi    s3, s3, 1
        mv      t2, a0
        mv      t3, a7
        rdtime  a0
        andi    t0, s3, 1
        add     a0, a0, t0              # due now, or one tick from now
        li      a6, 0
        li      a7, SBI_TIME
        li      t0, ROUNDS
        blt     s3, t0, 1f
        li      a0, -1                  # the last one: no more
1:      ecall
        mv      a0, t2
        mv      a7, t3
        sret

        .rodata
ok:     .asciz  "trap-loops: ok\n"

        .bss
        .balign 4096
root:   .zero   4096
l1:     .zero   4096
l0:     .zero   4096
data:   .zero   4096
