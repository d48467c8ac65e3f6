# bench/sort.s: benchmark, quicksort.
#
# Fills an array of 100000 unsigned 32-bit numbers from a pseudo-random
# generator and sorts it with quicksort (Hoare's partition scheme, middle
# element as pivot), ROUNDS times with fresh numbers each round. Quicksort
# is real code's favourite mix: loads, stores, unpredictable branches, and
# recursion that keeps the stack busy.
#
# After each round the program checks that the array really is sorted and
# adds a position-weighted sum of it (sum of a[i] * (i+1)) to a checksum, so
# any wrong order shows. It prints the checksum.

        .equ UART,        0x10000000
        .equ UART_LSR,    5
        .equ LSR_THRE,    0x20
        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555

        .equ N,           100000        # numbers to sort
        .equ ROUNDS,      20

        .text
        .globl _start
_start:
        la      sp, stack_top
        li      s0, ROUNDS              # s0 = rounds left
        li      s1, 0                   # s1 = checksum
        li      s2, 1                   # s2 = the generator's state (seed 1)
        li      s3, 0                   # s3 = rounds that came out unsorted

1:      mv      a0, s2                  # fresh numbers
        call    fill_array
        mv      s2, a0
        la      a0, array               # sort a[0] .. a[N-1]
        la      a1, array + (N - 1) * 4
        call    quicksort
        call    check_array             # a0 = weighted sum, a1 = 0 if sorted
        add     s1, s1, a0
        snez    a1, a1
        add     s3, s3, a1
        addi    s0, s0, -1
        bnez    s0, 1b

        la      a0, msg_1
        call    puts
        li      a0, ROUNDS
        call    put_dec
        la      a0, msg_2
        call    puts
        li      a0, N
        call    put_dec
        la      a0, msg_sorted
        beqz    s3, 2f
        la      a0, msg_unsorted
2:      call    puts
        mv      a0, s1
        li      a1, 16                  # 16 hex digits
        call    put_hex_digits
        la      a0, msg_newline
        call    puts

        li      t0, FINISHER            # done: power off, exit code 0
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
3:      j       3b

# fill_array(a0 = generator state) -> a0 = new state.
# x = x * 6364136223846793005 + 1442695040888963407 (mod 2^64); each number
# is the top 32 bits of x.
fill_array:
        la      t0, array
        li      t1, N * 4
        add     t1, t0, t1
        li      t3, 6364136223846793005
        li      t4, 1442695040888963407
1:      mul     a0, a0, t3
        add     a0, a0, t4
        srli    t2, a0, 32
        sw      t2, 0(t0)
        addi    t0, t0, 4
        bltu    t0, t1, 1b
        ret

# quicksort(a0 = &first, a1 = &last): sort the 32-bit unsigned numbers
# first..last (inclusive) in place.
#
#   pick the middle element as the pivot; walk i up from the left past
#   numbers < pivot, and j down from the right past numbers > pivot; swap
#   a[i] and a[j] and go on until they cross. Then everything in first..j
#   is <= everything in j+1..last: sort the two parts.
#
# The left part is sorted by a recursive call, the right part by looping.
quicksort:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s0, a0                  # s0 = first
        mv      s1, a1                  # s1 = last

1:      bgeu    s0, s1, 5f              # 0 or 1 numbers: sorted
        sub     t0, s1, s0              # pivot = the middle number
        srli    t0, t0, 3
        slli    t0, t0, 2
        add     t0, s0, t0
        lwu     t0, 0(t0)               # t0 = pivot
        addi    t1, s0, -4              # t1 = i (one before first)
        addi    t2, s1, 4               # t2 = j (one after last)
2:      addi    t1, t1, 4               # i up while a[i] < pivot
        lwu     t3, 0(t1)
        bltu    t3, t0, 2b
3:      addi    t2, t2, -4              # j down while a[j] > pivot
        lwu     t4, 0(t2)
        bltu    t0, t4, 3b
        bgeu    t1, t2, 4f              # crossed: partitioned at j
        sw      t4, 0(t1)               # swap a[i] and a[j]
        sw      t3, 0(t2)
        j       2b

4:      sd      t2, 24(sp)              # sort first..j, recursively
        mv      a0, s0
        mv      a1, t2
        call    quicksort
        ld      s0, 24(sp)              # then j+1..last, by looping
        addi    s0, s0, 4
        j       1b

5:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# check_array() -> a0 = sum of a[i] * (i+1) (mod 2^64),
#                  a1 = how many times a[i] > a[i+1] (0 if sorted)
check_array:
        la      t0, array
        li      t1, 1                   # t1 = i + 1
        li      t2, N
        li      a0, 0
        li      a1, 0
        li      t4, 0                   # t4 = the previous number
1:      lwu     t3, 0(t0)
        bgeu    t3, t4, 2f
        addi    a1, a1, 1               # out of order
2:      mul     t5, t3, t1
        add     a0, a0, t5
        mv      t4, t3
        addi    t0, t0, 4
        addi    t1, t1, 1
        bgeu    t2, t1, 1b              # while i + 1 <= N
        ret

# ---------------------------------------------------------------------------
# Output on the UART: puts(a0 = string), put_dec(a0), put_hex_digits(a0,
# a1 = how many digits), shared with the other guests in lib/console.inc.

        .include "../lib/console.inc"

        .section .rodata
msg_1:          .asciz "sort: "
msg_2:          .asciz " rounds of quicksort on "
msg_sorted:     .asciz " numbers, all sorted, checksum "
msg_unsorted:   .asciz " numbers, NOT SORTED, checksum "
msg_newline:    .asciz "\n"

        .bss
        .balign 16
        .space  16384                   # stack (quicksort recurses)
stack_top:
array:  .space  N * 4
