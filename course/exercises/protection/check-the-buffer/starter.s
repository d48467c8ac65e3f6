# System calls and protection, exercise 2: check the buffer. Make write
# refuse (return -1 without printing the buffer) any buffer that does not
# lie entirely inside the user program's part of memory: its code, its
# read-only data and its stack, which you can delimit with labels. Then
# add, just before the program's exit(0), a call write(0x80200000, 16)
# (the kernel's first code bytes); when it returns -1, the program prints
#   user: write(0x80200000, 16) returned -1, as it should
#
# syscall.s: a tiny kernel, a user program, and the system calls between them.
#
# The CPU runs the kernel in supervisor mode (S) and programs in user mode
# (U). In U-mode a program cannot touch the machine's control registers, so
# to get anything done it asks the kernel: it puts a system call number in a7
# and arguments in a0.., and executes `ecall`. That traps: the hart switches
# to S-mode and jumps to the address in `stvec`, with
#   scause = 8 ("environment call from U-mode")
#   sepc   = the address of the ecall instruction.
# The kernel does the work, puts the result in the program's a0, sets sepc
# past the 4-byte ecall (or the program would call again forever) and
# executes `sret`, which returns to U-mode at sepc.
#
# The kernel starts the program the same way: it fills in the program's
# saved registers as if it had trapped, sets sstatus.SPP = 0 ("the trap came
# from U-mode") and executes `sret`.
#
# System calls of this kernel (Linux has the same three as numbers 64, 172
# and 93, and its write takes a file descriptor first):
#   a7 = 1  write(a0 = buffer, a1 = length) -> a0 = bytes written
#   a7 = 2  getpid()                        -> a0 = process id
#   a7 = 3  exit(a0 = code)                 -> does not return
#   other                                   -> a0 = -1 (error)

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20

        .equ SBI_SRST,       0x53525354 # SBI System Reset extension
        .equ SSTATUS_SPP,    1 << 8     # sstatus: privilege the trap came from

        .equ SCAUSE_ECALL_U, 8          # scause: ecall from U-mode

        .equ SYS_WRITE,      1
        .equ SYS_GETPID,     2
        .equ SYS_EXIT,       3

        .equ PID,            1          # the one process is process 1

# The trap frame: where a trap saves the program's registers. Slot n holds
# register xn; slot 0 (x0 is always zero) holds the program counter, sepc.
# lib/trap-frame.inc names the slots (TF_PC, TF_SP, TF_A0, TF_A1, TF_A7;
# TF_SIZE is the whole frame) and defines SAVE_X1_TO_X30 and LOAD_X1_TO_X30,
# the 30 stores and the 30 loads that fill the frame and empty it.
        .include "lib/trap-frame.inc"

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry          # every trap now enters the kernel here
        csrw    stvec, t0
        csrw    sie, zero               # we use no interrupts
        csrw    satp, zero              # no paging: addresses are physical
        la      t0, user_frame          # trap_entry finds the frame via sscratch
        csrw    sscratch, t0

        la      a0, msg_boot
        call    puts

        # Make the program's first "return" go to user_main, on its own stack.
        # Its other registers start as zero (the frame is in .bss).
        la      t0, user_frame
        la      t1, user_main
        sd      t1, TF_PC(t0)
        la      t1, ustack_top
        sd      t1, TF_SP(t0)
        li      t0, SSTATUS_SPP         # sret will go to U-mode
        csrc    sstatus, t0
        j       return_to_user

# ---------------------------------------------------------------------------
# Trap entry and exit. The program's registers must all survive the trap, so
# the first thing is to save them, using sscratch (which holds the frame's
# address) to get a free register: t6 and sscratch trade places.

        .balign 4                       # stvec needs a 4-byte aligned address
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = program's t6
        SAVE_X1_TO_X30                  # x1 .. x30 into the frame (lib/trap-frame.inc)
        csrr    t0, sscratch            # the program's t6 (x31)
        sd      t0, 31*8(t6)
        csrw    sscratch, t6            # sscratch = frame again, for next time
        csrr    t0, sepc
        sd      t0, TF_PC(t6)

        la      sp, kstack_top          # the kernel runs on its own stack
        mv      a0, t6
        call    handle_trap             # may change the frame: results, pc

return_to_user:                         # resume the program from its frame
        csrr    t6, sscratch
        ld      t0, TF_PC(t6)
        csrw    sepc, t0
        LOAD_X1_TO_X30                  # x1 .. x30 from the frame (lib/trap-frame.inc)
        ld      x31, 31*8(t6)           # t6 last: it was our base register
        sret                            # to U-mode (SPP = 0), at sepc

# ---------------------------------------------------------------------------
# handle_trap(a0 = trap frame): the kernel proper.

handle_trap:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0                  # s0 = frame

        csrr    t0, scause
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, unexpected_trap

        ld      t0, TF_PC(s0)           # resume after the ecall, not on it
        addi    t0, t0, 4
        sd      t0, TF_PC(s0)

        la      a0, msg_ecall
        call    puts
        ld      t0, TF_A7(s0)           # which system call?
        li      t1, SYS_WRITE
        beq     t0, t1, sys_write
        li      t1, SYS_GETPID
        beq     t0, t1, sys_getpid
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit

        # Unknown: say so, and return an error instead of crashing.
        la      a0, msg_unknown
        call    puts
        ld      a0, TF_A7(s0)
        call    put_dec
        la      a0, msg_unknown_end
        call    puts
        li      t0, -1
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_write:
        # A real kernel would first check that the buffer belongs to the
        # program. Here there is no memory protection yet (see paging.s).
        la      a0, msg_write
        call    puts
        ld      a0, TF_A1(s0)
        call    put_dec
        la      a0, msg_write_end
        call    puts
        ld      a0, TF_A0(s0)           # buffer
        ld      a1, TF_A1(s0)           # length
        call    write_bytes
        ld      t0, TF_A1(s0)           # result: all bytes written
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_getpid:
        la      a0, msg_getpid
        call    puts
        li      a0, PID
        call    put_dec
        la      a0, newline
        call    puts
        li      t0, PID
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_exit:
        la      a0, msg_exit
        call    puts
        ld      a0, TF_A0(s0)
        call    put_dec
        la      a0, msg_exit_end
        call    puts
        ld      a0, TF_A0(s0)
        call    put_dec
        la      a0, msg_poweroff
        call    puts
        li      a0, 0                   # the kernel itself did fine: exit 0
        j       shutdown

handle_trap_done:
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

unexpected_trap:                        # not a system call: a kernel bug
        la      a0, msg_unexpected
        call    puts
        csrr    a0, scause
        call    put_dec
        la      a0, newline
        call    puts
        li      a0, 1                   # report a system failure
        j       shutdown

# shutdown(a0 = 0 for success, 1 for failure): power off through the SBI.
shutdown:
        mv      a1, a0                  # reason: 0 none, 1 system failure
        li      a0, 0                   # type: shut down
        li      a6, 0                   # function: system_reset
        li      a7, SBI_SRST
        ecall
1:      j       1b

# ---------------------------------------------------------------------------
# Console output for the kernel: the UART, driven directly.

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

# ===========================================================================
# The user program. It runs in U-mode: it may only compute, touch memory and
# make system calls. (Any privileged instruction would trap to the kernel.)

user_main:
        la      a0, u_hello
        call    u_puts

        li      a7, SYS_GETPID          # a0 = getpid()
        ecall

        # Format "user: my pid is N\n" in a buffer on our stack, then print it.
        addi    sp, sp, -32
        mv      t0, sp                  # t0 = where the next byte goes
        la      t1, u_pid_text
1:      lbu     t2, 0(t1)               # copy the text...
        beqz    t2, 2f
        sb      t2, 0(t0)
        addi    t1, t1, 1
        addi    t0, t0, 1
        j       1b
2:      addi    t2, a0, 48              # ...one digit (48 = '0'; pids here are < 10)...
        sb      t2, 0(t0)
        li      t2, 10                  # ...a newline (10 = '\n')...
        sb      t2, 1(t0)
        sb      zero, 2(t0)             # ...and the terminating NUL
        mv      a0, sp
        call    u_puts
        addi    sp, sp, 32

        li      a7, 99                  # a system call that does not exist
        ecall
        bge     a0, zero, 3f            # it should fail with a negative a0
        la      a0, u_failed
        call    u_puts

3:      li      a0, 0                   # exit(0)
        li      a7, SYS_EXIT
        ecall
4:      j       4b                      # (exit does not return)

# u_puts(a0 = NUL-terminated string): the user side's "library" routine:
# count the bytes, then one write system call.
u_puts:
        mv      a1, a0
1:      lbu     t0, 0(a1)               # a1 = address of the NUL
        beqz    t0, 2f
        addi    a1, a1, 1
        j       1b
2:      sub     a1, a1, a0              # length
        li      a7, SYS_WRITE           # write(a0 = string, a1 = length)
        ecall
        ret

        .section .rodata
msg_boot:       .asciz "kernel: trap vector set; entering user mode with sret\n"
msg_ecall:      .asciz "kernel: ecall from U-mode: "
msg_write:      .asciz "write("
msg_write_end:  .asciz " bytes)\n"
msg_getpid:     .asciz "getpid() = "
msg_unknown:    .asciz "unknown system call "
msg_unknown_end: .asciz ", returning -1\n"
msg_exit:       .asciz "exit("
msg_exit_end:   .asciz ")\nkernel: the program exited with code "
msg_poweroff:   .asciz "; powering off\n"
msg_unexpected: .asciz "kernel: unexpected trap, scause = "
newline:        .asciz "\n"

# The user program's read-only data.
u_hello:        .asciz "user: hello, kernel!\n"
u_pid_text:     .asciz "user: my pid is "
u_failed:       .asciz "user: system call 99 failed, as it should\n"

        .bss
        .balign 16
user_frame:     .space TF_SIZE          # the program's saved registers
        .space  4096
kstack_top:                             # the kernel's stack
        .space  4096
ustack_top:                             # the user program's stack
