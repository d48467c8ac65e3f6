.equ UART, 0x10000000
.section .text
.globl _start
_start:
    la sp, stack_top
    li a0, UART
    la a1, msg
1:  lbu t0, 0(a1)
    beqz t0, 2f
    sb t0, 0(a0)
    addi a1, a1, 1
    j 1b
2:  call finish
    csrr t1, sstatus
    csrw stvec, t1
    csrsi sstatus, 2
    lr.d.aq a2, (a1)
    sc.d.rl a3, a2, (a1)
    amoadd.w.aqrl a0, a1, (a2)
    fence rw, rw
    fence.i
    sfence.vma a0
    rdtime a0
    wfi
    ld a0, 8(gp)
    lw a0, 16(zero)
    ecall
.globl finish
.type finish, @function
finish:
    lui t0, 0x100
    li t1, 0x5555
    sw t1, 0(t0)
    jalr zero, 0(ra)
    .size finish, .-finish
local_label:
    ret
.section .rodata
msg: .asciz "hello\n"
.section .bss
.space 4096
stack_top:
