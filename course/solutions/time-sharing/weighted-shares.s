# Time sharing, exercise 3: weighted shares. (Reference solution: A/C
# 3000 and B/C 2000 in thousandths; each switch costs the kernel about a
# hundred instructions, taken from the task whose slice it ends.)
#
# timeshare.s: preemptive multitasking, three user tasks on one hart.
#
# A time-sharing kernel gives each task the CPU for a short time slice (a
# "quantum"), then takes it back, whether the task likes it or not, and
# gives it to the next one: round robin. Taking it back needs no help from
# the task: the kernel keeps the timer running, and every QUANTUM ticks the
# timer interrupt traps back into the kernel (in U-mode, supervisor
# interrupts are always enabled, whatever sstatus.SIE says).
#
# Switching tasks is then almost free. Every trap saves all the running
# task's registers in that task's trap frame; the trap returns by loading
# registers from the frame that sscratch points to. To switch, the kernel
# just points sscratch at another task's frame before returning.
#
# The tasks, A, B and C, run the same code. Each waits for its turn by
# spinning on a shared variable `turn` (it never gives the CPU up on its
# own), prints one line when it is its turn, passes the turn on, and after
# three lines exits. A spinning task only stops spinning because the timer
# preempts it and the kernel runs the task whose turn it is. When exactly
# that happens depends on timing, but the printed lines do not: the `turn`
# variable fixes their order.
#
# System calls: a7 = 1 write(a0 = buffer, a1 = length), a7 = 3 exit().

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20

        .equ SBI_TIME,       0x54494D45 # SBI Timer extension
        .equ SBI_SRST,       0x53525354 # SBI System Reset extension

        .equ SSTATUS_SIE,    1 << 1     # sstatus: S-mode interrupts enable
        .equ SSTATUS_SPIE,   1 << 5     # sstatus: SIE before the trap
        .equ SSTATUS_SPP,    1 << 8     # sstatus: privilege before the trap
        .equ SIE_STIE,       1 << 5     # sie: timer interrupt enable
        .equ SCAUSE_ECALL_U, 8
        .equ IRQ_S_TIMER,    5

        .equ SYS_WRITE,      1
        .equ SYS_EXIT,       3

        .equ NTASKS,         3
        .equ NSTEPS,         3          # lines each task prints
        .equ QUANTUM,        10000      # ticks of `time` per unit of weight
        .equ NQUANTA,        60         # time slices in all, then the counts

# A trap frame (one per task): slot n holds register xn, slot 0 the pc; its
# TF_* offsets and SAVE/LOAD_X1_TO_X30 are in lib/trap-frame.inc.
        .include "lib/trap-frame.inc"
        .equ TASK_STACK,     4096

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        csrci   sstatus, SSTATUS_SIE    # the kernel itself is never interrupted
        csrw    satp, zero              # no paging: addresses are physical

        la      a0, msg_boot
        call    puts

        # Create the tasks: task i starts at task_main with a0 = i, on its own
        # stack. Their other registers start as zero (the frames are in .bss).
        li      s0, 0                   # s0 = i
        la      s1, frames              # s1 = frame of task i
        la      s2, task_stacks + TASK_STACK # s2 = top of task i's stack
1:      la      t0, task_main
        sd      t0, TF_PC(s1)
        sd      s2, TF_SP(s1)
        sd      s0, TF_A0(s1)
        addi    s0, s0, 1
        addi    s1, s1, TF_SIZE
        li      t0, TASK_STACK
        add     s2, s2, t0
        li      t0, NTASKS
        blt     s0, t0, 1b

        la      t0, frames              # task 0 (A) goes first
        csrw    sscratch, t0
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrc    sstatus, t0             # sret goes to U-mode, kernel SIE stays 0
        call    arm_timer               # the first time slice starts now
        li      t0, SIE_STIE
        csrw    sie, t0                 # the timer is the only interrupt we use
        j       return_to_user

# arm_timer: ask for a timer interrupt one time slice from now: the
# current task's weight times QUANTUM.
arm_timer:
        la      t0, current
        ld      t0, 0(t0)
        la      t1, weights
        add     t1, t1, t0
        lbu     t1, 0(t1)               # t1 = the current task's weight
        li      t0, QUANTUM
        mul     t0, t0, t1
        rdtime  a0
        add     a0, a0, t0
        li      a6, 0                   # SBI set_timer(a0 = deadline)
        li      a7, SBI_TIME
        ecall
        ret

# ---------------------------------------------------------------------------
# Trap entry and exit (as in syscall.s). sscratch always holds the frame of
# the task that is running, or will run when we return.

        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = task's t6
        SAVE_X1_TO_X30                  # x1 .. x30 into the frame (lib/trap-frame.inc)
        csrr    t0, sscratch            # the task's t6 (x31)
        sd      t0, 31*8(t6)
        csrw    sscratch, t6
        csrr    t0, sepc
        sd      t0, TF_PC(t6)

        la      sp, kstack_top
        mv      a0, t6
        call    handle_trap             # may switch sscratch to another task

return_to_user:                         # run the task whose frame is in sscratch
        csrr    t6, sscratch
        ld      t0, TF_PC(t6)
        csrw    sepc, t0
        LOAD_X1_TO_X30                  # x1 .. x30 from the frame (lib/trap-frame.inc)
        ld      x31, 31*8(t6)
        sret

# ---------------------------------------------------------------------------
# handle_trap(a0 = frame of the running task)

handle_trap:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0

        csrr    t0, scause
        bge     t0, zero, 1f            # top bit clear: an exception
        slli    t0, t0, 1               # the interrupt's code
        srli    t0, t0, 1
        li      t1, IRQ_S_TIMER
        bne     t0, t1, unexpected_trap

        # Timer: the running task's time slice is over. After NQUANTA of
        # them, print the counters; otherwise switch tasks and set the next
        # deadline for the new task (this also clears the pending interrupt).
        la      t0, nquanta
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t2, NQUANTA
        beq     t1, t2, report
        call    switch_task
        call    arm_timer
        j       handle_trap_done

1:      li      t1, SCAUSE_ECALL_U
        bne     t0, t1, unexpected_trap
        ld      t0, TF_PC(s0)           # resume after the ecall
        addi    t0, t0, 4
        sd      t0, TF_PC(s0)
        ld      t0, TF_A7(s0)
        li      t1, SYS_WRITE
        beq     t0, t1, sys_write
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit
        li      t0, -1                  # unknown system call
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_write:                              # write(a0 = buffer, a1 = length)
        ld      a0, TF_A0(s0)
        ld      a1, TF_A1(s0)
        call    write_bytes
        ld      t0, TF_A1(s0)
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_exit:                               # the task is done: never run it again
        la      t0, current
        ld      t0, 0(t0)
        la      t1, exited
        add     t1, t1, t0
        li      t2, 1
        sb      t2, 0(t1)               # exited[current] = 1
        la      t0, nexited
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        li      t2, NTASKS
        beq     t1, t2, all_done
        call    switch_task
        j       handle_trap_done

report:                                 # "A: n", "B: n", "C: n", then shut down
        li      s0, 0
1:      addi    a0, s0, 65              # 'A' + i
        call    putc
        la      a0, msg_colon
        call    puts
        la      t0, counters
        slli    t1, s0, 3
        add     t0, t0, t1
        ld      a0, 0(t0)
        call    put_dec
        li      a0, 10
        call    putc
        addi    s0, s0, 1
        li      t0, NTASKS
        blt     s0, t0, 1b
        la      a0, msg_ac              # "A/C: " 1000 * A / C
        call    puts
        la      s1, counters
        ld      a0, 0(s1)
        call    per_mille_of_c
        la      a0, msg_bc              # "B/C: " 1000 * B / C
        call    puts
        ld      a0, 8(s1)
        call    per_mille_of_c
        li      a1, 0
        j       shutdown

# per_mille_of_c(a0 = a count): print 1000 * a0 / C's count, and a newline.
per_mille_of_c:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        li      t0, 1000
        mul     a0, a0, t0
        la      t0, counters
        ld      t0, 16(t0)
        divu    a0, a0, t0
        call    put_dec
        li      a0, 10
        call    putc
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

all_done:
        la      a0, msg_done
        call    puts
        li      a1, 0                   # SBI system_reset(shutdown, no reason)
        j       shutdown

unexpected_trap:
        la      a0, msg_unexpected
        call    puts
        li      a1, 1                   # SBI system_reset(shutdown, failure)
        j       shutdown

handle_trap_done:
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# shutdown(a1 = reason: 0 success, 1 failure)
shutdown:
        li      a0, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

# switch_task: make the next task that has not exited the current one, and
# point sscratch at its frame, so that the trap returns into it.
# Round robin: current+1, current+2, ... wrapping around.
switch_task:
        la      t0, current
        ld      t1, 0(t0)               # t1 = candidate
        la      t2, exited
1:      addi    t1, t1, 1
        li      t3, NTASKS
        bltu    t1, t3, 2f
        li      t1, 0                   # wrap around
2:      add     t3, t2, t1
        lbu     t3, 0(t3)
        bnez    t3, 1b                  # exited: try the next one
        sd      t1, 0(t0)               # current = candidate
        li      t3, TF_SIZE
        mul     t3, t1, t3
        la      t4, frames
        add     t4, t4, t3
        csrw    sscratch, t4            # its frame is the one we return to
        ret

# ---------------------------------------------------------------------------
# Kernel console output on the UART.

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

# ===========================================================================
# The tasks (U-mode). task_main(a0 = my number: 0 for A, 1 for B, 2 for C)

task_main:                              # count, forever
        la      t0, counters
        slli    t1, a0, 3
        add     t0, t0, t1              # t0 = &counters[me]
1:      ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        j       1b

        .section .rodata
msg_boot:       .asciz "kernel: tasks A, B and C share the CPU 3:2:1, 10000 ticks per unit\n"
msg_done:       .asciz "kernel: all tasks have exited\n"
msg_unexpected: .asciz "kernel: unexpected trap\n"
        .balign 8
line_template:  .ascii "?: step ?\n"    # 10 bytes, filled in by each task

msg_colon:      .asciz ": "
msg_ac:         .asciz "A/C: "
msg_bc:         .asciz "B/C: "
weights:        .byte 3, 2, 1           # A, B, C

        .data
        .balign 8
counters:       .dword 0, 0, 0          # each task's count
nquanta:        .dword 0                # time slices so far
current:        .dword 0                # the task running now
nexited:        .dword 0                # how many tasks have exited
turn:           .word 0                 # whose turn it is to print: 0, 1 or 2
exited:         .byte 0, 0, 0           # exited[i] = 1 once task i has exited

        .bss
        .balign 16
frames:         .space NTASKS * TF_SIZE # each task's saved registers
task_stacks:    .space NTASKS * TASK_STACK
        .space  4096
kstack_top:
