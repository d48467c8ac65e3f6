# bench/crc32.s: benchmark, CRC-32 (the checksum of zip, PNG and Ethernet).
#
# CRC-32 treats the data as one long binary polynomial and takes its
# remainder modulo a fixed polynomial (0xEDB88320, bits reversed). Done a
# bit at a time that is slow, so real code first builds a 256-entry table
# (the effect of one whole byte), then spends about ten instructions per
# byte: a load, a table lookup, shifts and xors.
#
# The program checks itself on the standard test vector first (the CRC-32
# of "123456789" is 0xcbf43926), then fills a 64 KiB buffer with
# pseudo-random bytes and runs CRC-32 over it PASSES times, each pass
# continuing from the previous pass's CRC, and prints the final CRC.

        .equ UART,        0x10000000
        .equ UART_LSR,    5
        .equ LSR_THRE,    0x20
        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555

        .equ BUF_SIZE,    65536
        .equ PASSES,      450
        .equ POLY,        0xEDB88320    # the CRC-32 polynomial, reversed

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    make_table

        li      a0, 0                   # the self-test
        la      a1, check_input
        li      a2, 9
        call    crc32
        mv      s0, a0
        la      a0, msg_check
        call    puts
        mv      a0, s0
        li      a1, 8                   # 8 hex digits
        call    put_hex_digits
        la      a0, msg_newline
        call    puts

        call    fill_buffer

        li      s0, 0                   # s0 = crc so far
        li      s1, PASSES              # s1 = passes left
1:      mv      a0, s0
        la      a1, buffer
        li      a2, BUF_SIZE
        call    crc32
        mv      s0, a0
        addi    s1, s1, -1
        bnez    s1, 1b

        la      a0, msg_result_1
        call    puts
        li      a0, PASSES
        call    put_dec
        la      a0, msg_result_2
        call    puts
        li      a0, BUF_SIZE
        call    put_dec
        la      a0, msg_result_3
        call    puts
        mv      a0, s0
        li      a1, 8                   # 8 hex digits
        call    put_hex_digits
        la      a0, msg_newline
        call    puts

        li      t0, FINISHER            # done: power off, exit code 0
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
2:      j       2b

# make_table(): table[n] = the CRC of the single byte n, done bit by bit.
make_table:
        la      t0, table
        li      t1, 0                   # t1 = n
        li      t5, POLY
1:      mv      t2, t1                  # t2 = c
        li      t3, 8                   # 8 bits
2:      andi    t4, t2, 1
        srli    t2, t2, 1
        beqz    t4, 3f
        xor     t2, t2, t5              # low bit was 1: subtract (xor) POLY
3:      addi    t3, t3, -1
        bnez    t3, 2b
        sw      t2, 0(t0)
        addi    t0, t0, 4
        addi    t1, t1, 1
        li      t3, 256
        bltu    t1, t3, 1b
        ret

# crc32(a0 = crc so far, a1 = address, a2 = length) -> a0 = new crc.
# The CRC is kept inverted while it runs (the standard pre- and post-xor).
crc32:
        li      t3, 0xffffffff
        xor     a0, a0, t3              # invert (the value stays 32-bit)
        la      t2, table
        add     a2, a1, a2              # a2 = end of the data
        beq     a1, a2, 2f
1:      lbu     t0, 0(a1)               # the next byte...
        xor     t0, t0, a0              # ...selects a table entry
        andi    t0, t0, 0xff
        slli    t0, t0, 2
        add     t0, t2, t0
        lwu     t0, 0(t0)
        srli    a0, a0, 8               # crc = table[(crc ^ byte) & 0xff] ^ (crc >> 8)
        xor     a0, a0, t0
        addi    a1, a1, 1
        bne     a1, a2, 1b
2:      xor     a0, a0, t3              # invert back
        ret

# fill_buffer(): pseudo-random bytes from a linear congruential generator,
# x = x * 6364136223846793005 + 1442695040888963407 (mod 2^64), taking the
# top byte of x (its low bits are much less random).
fill_buffer:
        la      t0, buffer
        li      t1, BUF_SIZE
        add     t1, t0, t1
        li      t2, 1                   # x = the seed
        li      t3, 6364136223846793005
        li      t4, 1442695040888963407
1:      mul     t2, t2, t3
        add     t2, t2, t4
        srli    t5, t2, 56
        sb      t5, 0(t0)
        addi    t0, t0, 1
        bltu    t0, t1, 1b
        ret

# ---------------------------------------------------------------------------
# Output on the UART: puts(a0 = string), put_dec(a0), put_hex_digits(a0,
# a1 = how many digits), shared with the other guests in lib/console.inc.

        .include "../lib/console.inc"

        .section .rodata
check_input:    .ascii "123456789"
msg_check:      .asciz "crc32: check 123456789 -> "
msg_result_1:   .asciz "crc32: "
msg_result_2:   .asciz " passes over "
msg_result_3:   .asciz " pseudo-random bytes, crc "
msg_newline:    .asciz "\n"

        .bss
        .balign 16
        .space  4096
stack_top:
table:  .space  256 * 4                 # table[n]: 32-bit CRC of byte n
buffer: .space  BUF_SIZE
