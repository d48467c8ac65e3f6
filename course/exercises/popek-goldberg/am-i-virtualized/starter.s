# amivirt.s: am I virtualized? (Popek and Goldberg, exercise 2.)
#
# Find out whether this guest runs natively or under the monitor: read
# every CSR you can, time things with rdtime and rdinstret, look at how the
# UART behaves, anything. Print one line per test, starting with "test "
# (what you looked at and what you saw), and last a line with your
# verdict, "verdict: native" or "verdict: virtualized". Write down each test
# you tried and why it failed to tell the difference. (If one succeeds,
# it is a bug in trapvisor: report it.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ FINISHER,  0x100000

        .text
        .globl _start
_start:
        la      sp, stack_top

        # ... your tests: one "test ..." line each ...

        la      a0, msg_native          # ... and the verdict they lead to
        call    puts

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_native:     .asciz "verdict: native\n"
msg_virtualized: .asciz "verdict: virtualized\n"

        .bss
        .balign 16
        .space  4096
stack_top:
