# Batch processing, exercise 1: decode by hand. Two instructions of
# batch.s are missing: in their place is `.word 0`, which is no
# instruction at all. Using the instruction formats of the unprivileged
# spec and the CSR table of the privileged spec, work out the 32 bits of
# `csrw sie, zero` and of `sret` by hand, and write each as a `.word`
# where the TODOs are. Then check your bits with trapvisor asm and
# trapvisor disasm, and run the batch: it must print batch.expected again.
#
# batch.s: a 1960s batch monitor.
#
# Before time sharing, a computer ran one job at a time from a queue (a deck
# of punched cards), and a small resident "monitor" ran them back to back so
# the expensive machine never waited for an operator. The monitor must
# survive its jobs: when a job misbehaves, the monitor gets control back,
# reports an ABEND ("abnormal end") with the reason, and goes on to the next
# job. That is what the supervisor/user split is for: the jobs run in U-mode,
# and anything they are not allowed to do traps into the monitor in S-mode.
#
# Here the queue holds five jobs. Three behave; ROGUE tries to take over the
# machine by executing a privileged instruction (an illegal instruction in
# U-mode, scause 2), and WILD follows a null pointer (there is no memory at
# address 0: a load access fault, scause 5). A job ends normally with the
# system call exit(code); it prints with write(buffer, length):
#   a7 = 1  write(a0 = buffer, a1 = length)     a7 = 3  exit(a0 = code)
#
# Each job starts fresh: all registers zero, its stack pointer at the top of
# the job stack. The trap frame and trap entry/exit are those of syscall.s.

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354 # SBI System Reset extension

        .equ SSTATUS_SPIE,   1 << 5
        .equ SSTATUS_SPP,    1 << 8
        .equ SCAUSE_ECALL_U, 8

        .equ SYS_WRITE,      1
        .equ SYS_EXIT,       3

        .equ NJOBS,          5          # entries in job_table

# The trap frame (slot n = xn, slot 0 = pc) and the macros that fill and
# empty it, as in syscall.s.
        .include "lib/trap-frame.inc"

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        .word   0                       # TODO: csrw sie, zero, as a .word (no interrupts)
        csrw    satp, zero              # no paging: addresses are physical
        la      t0, job_frame
        csrw    sscratch, t0

        la      a0, msg_start
        call    puts
        li      a0, NJOBS
        call    put_dec
        la      a0, msg_start_end
        call    puts
        # fall through into the monitor's main loop

# run_next_job: start the next job in the queue, or end the batch. Whatever
# the kernel stack held is no longer needed, so it starts from the top.
run_next_job:
        la      sp, kstack_top
        la      t0, job_number
        ld      s0, 0(t0)               # s0 = jobs run so far
        li      t1, NJOBS
        beq     s0, t1, end_of_batch
        addi    s0, s0, 1
        sd      s0, 0(t0)               # s0 = this job's number, from 1

        la      a0, msg_job             # "$JOB n NAME"
        call    put_job
        li      a0, 10                  # '\n'
        call    putc

        # A clean slate: zero every saved register, then set pc and sp.
        la      t0, job_frame
        addi    t1, t0, TF_SIZE
1:      sd      zero, 0(t0)
        addi    t0, t0, 8
        bltu    t0, t1, 1b
        call    job_entry
        la      t0, job_frame
        sd      a0, TF_PC(t0)           # pc = the job's entry point
        la      t1, ustack_top
        sd      t1, TF_SP(t0)           # sp = the top of the job stack
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrc    sstatus, t0             # sret goes to U-mode
        j       return_to_user

end_of_batch:
        la      a0, msg_end
        call    puts
        li      a0, NJOBS
        call    put_dec
        la      a0, msg_end_run
        call    puts
        la      a0, ncompleted
        ld      a0, 0(a0)
        call    put_dec
        la      a0, msg_end_completed
        call    puts
        la      a0, nabended
        ld      a0, 0(a0)
        call    put_dec
        la      a0, msg_end_abended
        call    puts
        li      a1, 0                   # SBI system_reset(shutdown, no reason)
        j       shutdown

# put_job(a0 = prefix): print the prefix, then " n NAME" for job number s0.
put_job:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        call    puts
        li      a0, 32                  # ' '
        call    putc
        mv      a0, s0
        call    put_dec
        li      a0, 32
        call    putc
        la      a0, job_table           # entries are 16 bytes: name, entry
        addi    t0, s0, -1
        slli    t0, t0, 4
        add     a0, a0, t0
        ld      a0, 0(a0)
        call    puts
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# job_entry() -> a0 = the entry point of job number s0
job_entry:
        la      a0, job_table
        addi    t0, s0, -1
        slli    t0, t0, 4
        add     a0, a0, t0
        ld      a0, 8(a0)
        ret

# ---------------------------------------------------------------------------
# Trap entry and exit: save all of the job's registers in job_frame (its
# address is in sscratch), run handle_trap, and resume from job_frame.

        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = job's t6
        SAVE_X1_TO_X30                  # x1 .. x30 into the frame (lib/trap-frame.inc)
        csrr    t0, sscratch
        sd      t0, 31*8(t6)
        csrw    sscratch, t6
        csrr    t0, sepc
        sd      t0, TF_PC(t6)

        la      sp, kstack_top
        mv      a0, t6
        call    handle_trap

return_to_user:
        csrr    t6, sscratch
        ld      t0, TF_PC(t6)
        csrw    sepc, t0
        LOAD_X1_TO_X30                  # x1 .. x30 from the frame (lib/trap-frame.inc)
        ld      x31, 31*8(t6)
        .word   0                       # TODO: sret, as a .word

# ---------------------------------------------------------------------------
# handle_trap(a0 = the job's frame). Returns to resume the job, or jumps to
# run_next_job when the job is over.

handle_trap:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s1, a0                  # s1 = frame
        la      t0, job_number
        ld      s0, 0(t0)               # s0 = job number (for put_job)

        csrr    t0, scause
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, abend           # anything but a system call: ABEND

        ld      t0, TF_PC(s1)           # resume after the ecall
        addi    t0, t0, 4
        sd      t0, TF_PC(s1)
        ld      t0, TF_A7(s1)
        li      t1, SYS_WRITE
        beq     t0, t1, sys_write
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit
        li      t0, -1                  # unknown system call: an error
        sd      t0, TF_A0(s1)
        j       handle_trap_done

sys_write:
        ld      a0, TF_A0(s1)
        ld      a1, TF_A1(s1)
        call    write_bytes
        ld      t0, TF_A1(s1)
        sd      t0, TF_A0(s1)
        j       handle_trap_done

sys_exit:                               # "$END n NAME: completed, exit code C"
        la      a0, msg_eoj
        call    put_job
        la      a0, msg_completed
        call    puts
        ld      a0, TF_A0(s1)
        call    put_dec
        li      a0, 10
        call    putc
        la      t0, ncompleted
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        j       run_next_job

abend:                                  # "*** ABEND n NAME: reason (scause N), stval X"
        la      a0, msg_abend
        call    put_job
        la      a0, msg_colon
        call    puts
        la      a0, msg_exception       # the reason, by name if we know it
        csrr    t0, scause
        li      t1, 16
        bgeu    t0, t1, 1f
        la      t1, cause_names
        slli    t0, t0, 3
        add     t1, t1, t0
        ld      a0, 0(t1)
1:      call    puts
        la      a0, msg_scause
        call    puts
        csrr    a0, scause
        call    put_dec
        la      a0, msg_stval
        call    puts
        csrr    a0, stval
        call    put_hex
        li      a0, 10
        call    putc
        la      t0, nabended
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        j       run_next_job

handle_trap_done:
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# shutdown(a1 = reason: 0 success, 1 failure)
shutdown:
        li      a0, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

# ---------------------------------------------------------------------------
# Monitor console output on the UART.

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

# ===========================================================================
# The jobs (U-mode), and the little library they share: u_puts, u_put_dec.

job_hello:
        la      a0, j_hello_text
        call    u_puts
        li      a0, 0
        j       u_exit

job_sum:                                # 1 + 2 + ... + 100
        li      s0, 0                   # s0 = sum
        li      s1, 1                   # s1 = i
        li      s2, 100
1:      add     s0, s0, s1
        addi    s1, s1, 1
        ble     s1, s2, 1b
        la      a0, j_sum_text
        call    u_puts
        mv      a0, s0
        call    u_put_dec
        la      a0, j_newline
        call    u_puts
        li      a0, 0
        j       u_exit

job_rogue:
        la      a0, j_rogue_text
        call    u_puts
        csrw    stvec, zero             # privileged: traps to the monitor
        la      a0, j_rogue_won         # (never printed)
        call    u_puts
        li      a0, 0
        j       u_exit

job_fact:                               # 12! = 1 * 2 * ... * 12
        li      s0, 1                   # s0 = product
        li      s1, 1                   # s1 = i
        li      s2, 12
1:      mul     s0, s0, s1
        addi    s1, s1, 1
        ble     s1, s2, 1b
        la      a0, j_fact_text
        call    u_puts
        mv      a0, s0
        call    u_put_dec
        la      a0, j_newline
        call    u_puts
        li      a0, 0
        j       u_exit

job_wild:
        la      a0, j_wild_text
        call    u_puts
        li      t0, 0                   # a null pointer...
        ld      t1, 0(t0)               # ...dereferenced: no memory there
        li      a0, 0
        j       u_exit

u_exit:                                 # exit(a0 = code)
        li      a7, SYS_EXIT
        ecall

u_puts:                                 # u_puts(a0 = NUL-terminated string)
        mv      a1, a0
1:      lbu     t0, 0(a1)
        beqz    t0, 2f
        addi    a1, a1, 1
        j       1b
2:      sub     a1, a1, a0
        li      a7, SYS_WRITE
        ecall
        ret

u_put_dec:                              # u_put_dec(a0 = unsigned number)
        addi    sp, sp, -32
        sd      ra, 24(sp)
        addi    t0, sp, 23
        sb      zero, 0(t0)
        li      t1, 10
1:      remu    t2, a0, t1
        divu    a0, a0, t1
        addi    t2, t2, 48              # '0'
        addi    t0, t0, -1
        sb      t2, 0(t0)
        bnez    a0, 1b
        mv      a0, t0
        call    u_puts
        ld      ra, 24(sp)
        addi    sp, sp, 32
        ret

        .section .rodata
# The job queue: (name, entry point) per job.
        .balign 8
job_table:
        .dword  name_hello, job_hello
        .dword  name_sum,   job_sum
        .dword  name_rogue, job_rogue
        .dword  name_fact,  job_fact
        .dword  name_wild,  job_wild

name_hello:     .asciz "HELLO"
name_sum:       .asciz "SUM"
name_rogue:     .asciz "ROGUE"
name_fact:      .asciz "FACT"
name_wild:      .asciz "WILD"

# Names of the exception causes (scause 0..15).
        .balign 8
cause_names:
        .dword  c0, c1, c2, c3, c4, c5, c6, c7
        .dword  c8, c9, c10, c11, c12, c13, c14, c15
c0:     .asciz "instruction address misaligned"
c1:     .asciz "instruction access fault"
c2:     .asciz "illegal instruction"
c3:     .asciz "breakpoint"
c4:     .asciz "load address misaligned"
c5:     .asciz "load access fault"
c6:     .asciz "store address misaligned"
c7:     .asciz "store access fault"
c8:     .asciz "environment call from U-mode"
c9:     .asciz "environment call from S-mode"
c10:    .asciz "exception 10"
c11:    .asciz "exception 11"
c12:    .asciz "instruction page fault"
c13:    .asciz "load page fault"
c14:    .asciz "exception 14"
c15:    .asciz "store page fault"

msg_start:      .asciz "MONITOR: batch of "
msg_start_end:  .asciz " jobs\n"
msg_job:        .asciz "$JOB"
msg_eoj:        .asciz "$END"
msg_completed:  .asciz ": completed, exit code "
msg_abend:      .asciz "*** ABEND"
msg_colon:      .asciz ": "
msg_exception:  .asciz "exception"
msg_scause:     .asciz " (scause "
msg_stval:      .asciz "), stval "
msg_end:        .asciz "MONITOR: end of batch, "
msg_end_run:    .asciz " jobs run, "
msg_end_completed: .asciz " completed, "
msg_end_abended: .asciz " abended\n"

j_hello_text:   .asciz "Hello from the first job in the queue.\n"
j_sum_text:     .asciz "1 + 2 + ... + 100 = "
j_rogue_text:   .asciz "I am ROGUE and I will now take over the machine.\n"
j_rogue_won:    .asciz "The machine is mine!\n"
j_fact_text:    .asciz "12! = "
j_wild_text:    .asciz "Reading through a null pointer...\n"
j_newline:      .asciz "\n"

        .data
job_number:     .dword 0                # jobs started so far
ncompleted:     .dword 0
nabended:       .dword 0

        .bss
        .balign 16
job_frame:      .space TF_SIZE          # the running job's saved registers
        .space  4096
kstack_top:
        .space  4096
ustack_top:
