# hello.s: the smallest useful guest, talking straight to a device.
#
# A kernel's first job is to say something. There is no operating system
# under us to ask, so we drive the hardware ourselves: the machine has a
# 16550 UART (serial port) whose registers appear as bytes of memory at
# 0x10000000 ("memory-mapped I/O"). Storing a byte to its Transmit Holding
# Register (THR, offset 0) sends that byte down the wire. Before each store
# we poll the Line Status Register (LSR, offset 5) until its THRE bit says
# the transmitter can take another byte.
#
# The firmware has already configured the UART (baud rate, 8 data bits), so
# we only send. At the end we stop the machine by storing the magic value
# 0x5555 to the test "finisher" device at 0x100000, which powers off with
# exit code 0.

        .equ UART,        0x10000000    # 16550 UART registers
        .equ UART_THR,    0             #   transmit holding register (write)
        .equ UART_LSR,    5             #   line status register (read)
        .equ LSR_THRE,    0x20          #   LSR bit: THR empty, ready for a byte
        .equ FINISHER,    0x100000      # test finisher device
        .equ FINISH_PASS, 0x5555        #   "power off, exit code 0"

        .text
        .globl _start
_start:
        la      sp, stack_top           # a stack, so that we can `call`

        la      a0, greeting
        call    puts
        la      a0, explanation
        call    puts

        li      t0, FINISHER            # power off: the program ends here
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
1:      j       1b                      # (never reached)

# puts(a0 = address of a NUL-terminated string): send it to the UART.
puts:
        li      t0, UART
1:      lbu     t1, 0(a0)               # next character
        beqz    t1, 3f                  # NUL: end of string
2:      lbu     t2, UART_LSR(t0)        # wait until the UART is ready...
        andi    t2, t2, LSR_THRE
        beqz    t2, 2b
        sb      t1, UART_THR(t0)        # ...then hand it the character
        addi    a0, a0, 1
        j       1b
3:      ret

        .section .rodata
greeting:
        .asciz  "Hello from trapvisor!\n"
explanation:
        .asciz  "(written byte by byte to the 16550 UART at 0x10000000)\n"

        .bss
        .balign 16
        .space  4096                    # 4 KiB of stack, growing down
stack_top:
