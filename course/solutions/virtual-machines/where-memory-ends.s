# memend.s: where does memory end? (Reference solution of Virtual
# machines, exercise 3.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_SRST,  0x53525354
        .equ PAGE,      4096

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      t0, handler
        csrw    stvec, t0
        li      s0, 0x80000000          # s0 = the next page to touch
        li      s1, 0                   # s1 = pages read so far
        li      t1, PAGE
1:      lbu     t0, 0(s0)               # traps past the end of RAM
        addi    s1, s1, 1
        add     s0, s0, t1
        j       1b

        .balign 4
handler:
        la      a0, msg_pages
        call    puts
        mv      a0, s1
        call    put_dec
        la      a0, msg_scause
        call    puts
        csrr    a0, scause
        call    put_hex
        la      a0, msg_stval
        call    puts
        csrr    a0, stval
        call    put_hex
        li      a0, '\n'
        call    putc

shutdown:
        li      a0, 0                   # SBI system_reset(shutdown, no reason)
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
2:      j       2b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_pages:      .asciz "pages "
msg_scause:     .asciz ", scause "
msg_stval:      .asciz ", stval "

        .bss
        .balign 16
        .space  4096
stack_top:
