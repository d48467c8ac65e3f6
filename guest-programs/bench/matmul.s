# bench/matmul.s: benchmark, integer matrix multiplication.
#
# Multiplies 128 x 128 matrices of 32-bit integers, the textbook way:
#     C[i][j] = sum over k of A[i][k] * B[k][j]
# (the inner loop walks along a row of A and down a column of B: two loads,
# a multiply and an add per step). It starts from pseudo-random matrices X
# and B and computes X * B^ROUNDS, one multiplication per round, the result
# of each round being the left operand of the next. Arithmetic wraps around
# modulo 2^32, as 32-bit integers do.
#
# It prints a checksum of the final matrix: the sum of its elements (as
# unsigned numbers) each weighted by its position, 1, 2, ... row by row.

        .equ UART,        0x10000000
        .equ UART_LSR,    5
        .equ LSR_THRE,    0x20
        .equ FINISHER,    0x100000
        .equ FINISH_PASS, 0x5555

        .equ N,           128           # matrices are N x N
        .equ ROW,         N * 4         # bytes per row
        .equ MATRIX,      N * N * 4     # bytes per matrix
        .equ ROUNDS,      20

        .text
        .globl _start
_start:
        la      sp, stack_top
        li      a0, 1                   # the generator's seed
        la      a1, matrix_x
        call    fill_matrix             # X: pseudo-random
        la      a1, matrix_b
        call    fill_matrix             # B: the next pseudo-random numbers

        la      s0, matrix_x            # s0 = left operand
        la      s1, matrix_y            # s1 = where the result goes
        li      s2, ROUNDS              # s2 = rounds left
1:      mv      a0, s0                  # result = left * B
        la      a1, matrix_b
        mv      a2, s1
        call    matmul
        mv      t0, s0                  # the result is the next left operand
        mv      s0, s1
        mv      s1, t0
        addi    s2, s2, -1
        bnez    s2, 1b

        mv      a0, s0                  # checksum of the last result
        call    checksum
        mv      s1, a0
        la      a0, msg_1
        call    puts
        li      a0, ROUNDS
        call    put_dec
        la      a0, msg_2
        call    puts
        mv      a0, s1
        li      a1, 16                  # 16 hex digits
        call    put_hex_digits
        la      a0, msg_newline
        call    puts

        li      t0, FINISHER            # done: power off, exit code 0
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
2:      j       2b

# fill_matrix(a0 = generator state, a1 = matrix) -> a0 = new state.
# x = x * 6364136223846793005 + 1442695040888963407 (mod 2^64); each element
# is the top byte of x as a signed number, -128 .. 127.
fill_matrix:
        li      t1, MATRIX
        add     t1, a1, t1
        li      t3, 6364136223846793005
        li      t4, 1442695040888963407
1:      mul     a0, a0, t3
        add     a0, a0, t4
        srai    t2, a0, 56
        sw      t2, 0(a1)
        addi    a1, a1, 4
        bltu    a1, t1, 1b
        ret

# matmul(a0 = A, a1 = B, a2 = C): C = A * B.
matmul:
        li      t6, MATRIX
        add     t6, a0, t6              # t6 = end of A
1:      li      t5, 0                   # for each row of A (a0 = &A[i][0]),
2:      addi    t0, a0, ROW             #   for each column j (t5 = j * 4):
        add     t2, a1, t5              #   t2 = &B[0][j]
        mv      t1, a0                  #   t1 = &A[i][0]
        li      a3, 0                   #   a3 = sum
3:      lw      a4, 0(t1)               #     sum += A[i][k] * B[k][j]
        lw      a5, 0(t2)
        mulw    a4, a4, a5
        addw    a3, a3, a4
        addi    t1, t1, 4               #     next k: along A's row,
        addi    t2, t2, ROW             #     down B's column
        bne     t1, t0, 3b
        sw      a3, 0(a2)               #   C[i][j] = sum
        addi    a2, a2, 4
        addi    t5, t5, 4
        li      t3, ROW
        bltu    t5, t3, 2b
        addi    a0, a0, ROW
        bltu    a0, t6, 1b
        ret

# checksum(a0 = matrix) -> a0 = sum of element[n] * (n + 1), elements taken
# as unsigned 32-bit numbers, n counting row by row; modulo 2^64.
checksum:
        li      t0, 1                   # t0 = n + 1
        li      t1, N * N
        li      t2, 0                   # t2 = sum
1:      lwu     t3, 0(a0)
        mul     t3, t3, t0
        add     t2, t2, t3
        addi    a0, a0, 4
        addi    t0, t0, 1
        bgeu    t1, t0, 1b              # while n + 1 <= N * N
        mv      a0, t2
        ret

# ---------------------------------------------------------------------------
# Output on the UART: puts(a0 = string), put_dec(a0), put_hex_digits(a0,
# a1 = how many digits), shared with the other guests in lib/console.inc.

        .include "../lib/console.inc"

        .section .rodata
msg_1:          .asciz "matmul: X * B^"
msg_2:          .asciz " for 128x128 32-bit matrices, checksum "
msg_newline:    .asciz "\n"

        .bss
        .balign 16
        .space  4096
stack_top:
matrix_x:       .space MATRIX
matrix_y:       .space MATRIX
matrix_b:       .space MATRIX
