# timeshare-pv.s: timeshare.s, paravirtualized (book: "Alternatives").
#
# The same kernel and tasks, printing the same lines, natively and under
# every strategy of the monitor. At boot it asks the SBI for trapvisor's PV
# interface (lib/pv.inc). Natively, and under `--strategy trap` or `bt`,
# there is none, and it runs timeshare.s's privileged instructions. Under
# `--strategy pv` the trap path reads and writes sscratch, sepc and scause
# in the shared page instead, returns to the task with the pv_sret
# hypercall and sets the timer with pv_set_timer: per timer interrupt, 7
# exits fewer than timeshare.s (compare `trapvisor run --stats` of both).
#
#   trapvisor run guest-programs/timeshare-pv.s                  natively
#   trapvisor run --strategy pv --stats guest-programs/timeshare-pv.s
#
# What follows is timeshare.s's own description.
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
        .equ QUANTUM,        10000      # ticks of `time` per time slice

# A trap frame (one per task): slot n holds register xn, slot 0 the pc; its
# TF_* offsets and SAVE/LOAD_X1_TO_X30 are in lib/trap-frame.inc.
        .include "lib/trap-frame.inc"
        .include "lib/pv.inc"           # the PV interface (constants, macros)
        .equ TASK_STACK,     4096

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        csrci   sstatus, SSTATUS_SIE    # the kernel itself is never interrupted
        csrw    satp, zero              # no paging: addresses are physical
        call    pv_init                 # PV interface there? (pv_on)

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

# arm_timer: ask for a timer interrupt one QUANTUM from now.
arm_timer:
        rdtime  a0
        li      t0, QUANTUM
        add     a0, a0, t0
        la      t0, pv_on
        ld      t0, 0(t0)
        bnez    t0, 1f
        li      a6, 0                   # SBI set_timer(a0 = deadline)
        li      a7, SBI_TIME
        ecall
        ret
1:      PV_CALL PV_SET_TIMER            # pv_set_timer(a0 = deadline)
        ret

# ---------------------------------------------------------------------------
# Trap entry and exit (as in syscall.s). sscratch always holds the frame of
# the task that is running, or will run when we return.

        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = task's t6
                                        # (a CSR instruction under pv too:
                                        # no register is free to load with)
        SAVE_X1_TO_X30                  # x1 .. x30 into the frame (lib/trap-frame.inc)
        PV_CSRR t0, sscratch, PV_SSCRATCH # the task's t6 (x31)
        sd      t0, 31*8(t6)
        PV_CSRW sscratch, t6, PV_SSCRATCH, t0
        PV_CSRR t0, sepc, PV_SEPC
        sd      t0, TF_PC(t6)

        la      sp, kstack_top
        mv      a0, t6
        call    handle_trap             # may switch sscratch to another task

return_to_user:                         # run the task whose frame is in sscratch
        PV_CSRR t6, sscratch, PV_SSCRATCH
        ld      t0, TF_PC(t6)
        PV_CSRW sepc, t0, PV_SEPC, t1
        la      t0, pv_on
        ld      t0, 0(t0)
        bnez    t0, 1f
        LOAD_X1_TO_X30                  # x1 .. x30 from the frame (lib/trap-frame.inc)
        ld      x31, 31*8(t6)
        sret
1:      la      t0, pv_shared           # pv_sret restores a6 and a7 from
        ld      t1, 16*8(t6)            # the shared page: the task's go there
        sd      t1, PV_A6(t0)
        ld      t1, 17*8(t6)
        sd      t1, PV_A7(t0)
        LOAD_X1_TO_X30
        ld      x31, 31*8(t6)
        PV_CALL PV_SRET                 # does not come back here

# ---------------------------------------------------------------------------
# handle_trap(a0 = frame of the running task)

handle_trap:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        mv      s0, a0

        PV_CSRR t0, scause, PV_SCAUSE
        bge     t0, zero, 1f            # top bit clear: an exception
        slli    t0, t0, 1               # the interrupt's code
        srli    t0, t0, 1
        li      t1, IRQ_S_TIMER
        bne     t0, t1, unexpected_trap

        # Timer: the running task's quantum is over. Set the next deadline
        # (this also clears the pending interrupt) and switch tasks.
        call    arm_timer
        call    switch_task
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
        PV_CSRW sscratch, t4, PV_SSCRATCH, t5 # its frame is the one we return to
        ret

# ---------------------------------------------------------------------------
# Kernel console output on the UART.

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex
        .include "lib/pv-init.inc"      # pv_init, pv_on, pv_shared

# ===========================================================================
# The tasks (U-mode). task_main(a0 = my number: 0 for A, 1 for B, 2 for C)

task_main:
        mv      s0, a0                  # s0 = me
        li      s1, 1                   # s1 = step
        la      s2, turn                # s2 = &turn

next_step:
        # Wait for my turn. No system call, no yield: just spin. Only the
        # timer can take the CPU away from us and give it to whoever's turn
        # it is.
1:      lw      t0, 0(s2)
        bne     t0, s0, 1b

        # Print "X: step N\n": copy the template to the stack, fill in the
        # task's letter and the step number, and write it.
        addi    sp, sp, -16
        la      t0, line_template
        ld      t1, 0(t0)               # the template's 10 bytes
        sd      t1, 0(sp)
        lhu     t1, 8(t0)
        sh      t1, 8(sp)
        addi    t1, s0, 65              # 65 = 'A'
        sb      t1, 0(sp)
        addi    t1, s1, 48              # 48 = '0'
        sb      t1, 8(sp)
        mv      a0, sp
        li      a1, 10
        li      a7, SYS_WRITE
        ecall
        addi    sp, sp, 16

        addi    t0, s0, 1               # pass the turn on: turn = (me + 1) % 3
        li      t1, NTASKS
        remu    t0, t0, t1
        sw      t0, 0(s2)

        addi    s1, s1, 1
        li      t0, NSTEPS
        ble     s1, t0, next_step

        li      a7, SYS_EXIT            # exit()
        ecall
2:      j       2b                      # (exit does not return)

        .section .rodata
msg_boot:       .asciz "kernel: tasks A, B and C share the CPU, preempted every 10000 ticks\n"
msg_done:       .asciz "kernel: all tasks have exited\n"
msg_unexpected: .asciz "kernel: unexpected trap\n"
        .balign 8
line_template:  .ascii "?: step ?\n"    # 10 bytes, filled in by each task

        .data
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
