# bench/sieve.s: benchmark, the sieve of Eratosthenes.
#
# Finds the primes below one million, the classic way: a byte per number,
# all set to 1 ("maybe prime"), then for every prime p, cross out its
# multiples from p*p on. What is left are the primes. The sieve is run
# PASSES times over (as the old BYTE benchmark did) to take a few hundred
# million instructions: byte stores, strided stores, a counting loop with
# loads and data-dependent branches.
#
# It prints how many primes there are and their sum (both well known:
# 78498 and 37550402023), so a wrong result is easy to spot.

        .equ UART,        0x10000000
        .equ UART_LSR,    5
        .equ LSR_THRE,    0x20
        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555

        .equ N,           1000000       # sieve the numbers 0 .. N-1
        .equ PASSES,      30

        .text
        .globl _start
_start:
        la      sp, stack_top
        li      s0, PASSES              # s0 = passes left
1:      call    sieve
        addi    s0, s0, -1
        bnez    s0, 1b

        call    count_primes            # a0 = count, a1 = sum
        mv      s0, a0
        mv      s1, a1
        la      a0, msg_1
        call    puts
        mv      a0, s0
        call    put_dec
        la      a0, msg_2
        call    puts
        li      a0, N
        call    put_dec
        la      a0, msg_3
        call    puts
        mv      a0, s1
        call    put_dec
        la      a0, msg_4
        call    puts

        li      t0, FINISHER            # done: power off, exit code 0
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
2:      j       2b

# sieve(): flags[i] = 1 if i is prime, for 0 <= i < N.
sieve:
        la      a0, flags               # a0 = &flags[0]
        li      a1, N
        add     a1, a0, a1              # a1 = &flags[N]

        mv      t0, a0                  # everything "maybe prime"...
        li      t1, 1
1:      sb      t1, 0(t0)
        addi    t0, t0, 1
        bltu    t0, a1, 1b
        sb      zero, 0(a0)             # ...except 0 and 1
        sb      zero, 1(a0)

        li      t0, 2                   # t0 = p
2:      mul     t1, t0, t0              # t1 = p*p
        li      t2, N
        bgeu    t1, t2, 5f              # p*p >= N: done
        add     t2, a0, t0
        lbu     t2, 0(t2)
        beqz    t2, 4f                  # p is not prime: skip it
        add     t1, a0, t1              # cross out p*p, p*p + p, ...
3:      sb      zero, 0(t1)
        add     t1, t1, t0
        bltu    t1, a1, 3b
4:      addi    t0, t0, 1
        j       2b
5:      ret

# count_primes() -> a0 = how many flags are set, a1 = the sum of their indices
count_primes:
        la      t0, flags
        li      t1, 0                   # t1 = i
        li      t2, N
        li      a0, 0
        li      a1, 0
1:      add     t3, t0, t1
        lbu     t3, 0(t3)
        beqz    t3, 2f
        addi    a0, a0, 1
        add     a1, a1, t1
2:      addi    t1, t1, 1
        bltu    t1, t2, 1b
        ret

# ---------------------------------------------------------------------------
# Output on the UART: puts(a0 = string), put_dec(a0), put_hex_digits(a0,
# a1 = how many digits), shared with the other guests in lib/console.inc.

        .include "../lib/console.inc"

        .section .rodata
msg_1:  .asciz "sieve: "
msg_2:  .asciz " primes below "
msg_3:  .asciz ", sum "
msg_4:  .asciz "\n"

        .bss
        .balign 16
        .space  4096
stack_top:
flags:  .space  N
