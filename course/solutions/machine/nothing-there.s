# nothing.s: load from an address where nothing is. (Reference solution
# of The machine, exercise 3.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_SRST,  0x53525354

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      t0, handler
        csrw    stvec, t0
        li      t0, 0x20000000          # nothing lives here
        lw      t1, 0(t0)               # a load access fault
        j       shutdown                # (not reached)

        .balign 4                       # stvec needs a 4-byte aligned address
handler:
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
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_scause:     .asciz "scause "
msg_stval:      .asciz ", stval "

        .bss
        .balign 16
        .space  4096
stack_top:
