# dbcn.s: try to read other guests' memory through the SBI. (Reference
# solution of Containers, exercise 3.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ SBI_BASE,  0x10
        .equ SBI_DBCN,  0x4442434E
        .equ SBI_SRST,  0x53525354
        .equ STEP,      16 << 20        # 16 MiB

        .text
        .globl _start
_start:
        la      sp, stack_top
        li      a0, SBI_DBCN            # probe_extension(DBCN)
        li      a6, 3
        li      a7, SBI_BASE
        ecall
        beqz    a1, done                # 0: no DBCN, nothing to try

        li      s0, 0x80000000          # s0 = the address to try
        li      s1, 0x90000000          # s1 = where to stop
1:      li      a0, 1                   # write(1 byte, addr_lo = s0, addr_hi = 0)
        mv      a1, s0
        li      a2, 0
        li      a6, 0
        li      a7, SBI_DBCN
        ecall
        mv      s2, a0                  # s2 = the error code
        mv      a0, s0
        call    put_hex
        li      a0, ' '
        call    putc
        bgez    s2, 2f                  # a negative code: '-' and its size
        li      a0, '-'
        call    putc
        neg     s2, s2
2:      mv      a0, s2
        call    put_dec
        li      a0, '\n'
        call    putc
        li      t0, STEP
        add     s0, s0, t0
        bltu    s0, s1, 1b

done:   li      a0, 0                   # SBI system_reset(shutdown, no reason)
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
3:      j       3b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .bss
        .balign 16
        .space  4096
stack_top:
