# probe.s: ask the SBI which extensions it has. (Reference solution of
# The machine, exercise 2.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_BASE,  0x10
        .equ SBI_SRST,  0x53525354

        .text
        .globl _start
_start:
        la      sp, stack_top

        la      s0, eids                # s0 = the next EID
        la      s1, eids_end
1:      ld      a0, 0(s0)
        call    put_hex                 # the EID
        ld      a0, 0(s0)               # probe_extension(eid): a1 = 0 if absent
        li      a6, 3
        li      a7, SBI_BASE
        ecall
        la      a0, yes
        bnez    a1, 2f
        la      a0, no
2:      call    puts
        addi    s0, s0, 8
        bltu    s0, s1, 1b

        li      a0, 0                   # SBI system_reset(shutdown, no reason)
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
3:      j       3b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
        .balign 8
eids:   .dword  0x10, 0x54494D45, 0x53525354, 0x4442434E, 0x48534D, 0x504D55, 0x53555350
eids_end:
yes:    .asciz  " yes\n"
no:     .asciz  " no\n"

        .bss
        .balign 16
        .space  4096
stack_top:
