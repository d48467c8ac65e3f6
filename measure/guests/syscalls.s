# syscalls.s: a system-call-heavy process (workload `syscalls` of
# `trapvisor bench`).
#
# A small kernel runs one user process that does little between system
# calls: each time round it updates a pseudo-random number, adds it to a
# kernel counter (SYS_ADD), every fourth time writes 16 bytes to the
# kernel's log (SYS_WRITE), every sixteenth asks for its process id
# (SYS_GETPID). The kernel's trap entry is the course's (syscall.s): the
# whole register file saved in a trap frame and loaded again, sscratch
# pointing at the frame. At the end (SYS_EXIT) the kernel prints what it
# counted and a checksum, and ends the run through the test finisher.
#
# Natively every system call is a trap into the guest's own S-mode; under
# trap-and-emulate it is an exit for the `ecall` and one for each CSR
# access of the trap entry and exit and for the `sret`.
#
# System calls: a7 = 1 add(a0) -> new sum, 2 write(a0 = buffer, a1 =
# length) -> length, 3 getpid() -> 7, 4 exit(a0 = the process's checksum).

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ FINISHER,       0x100000
        .equ FINISH_PASS,    0x5555
        .equ FINISH_FAIL,    0x33333     # exit code 3

        .equ SSTATUS_SPP,    1 << 8
        .equ SCAUSE_ECALL_U, 8

        .equ SYS_ADD,        1
        .equ SYS_WRITE,      2
        .equ SYS_GETPID,     3
        .equ SYS_EXIT,       4

        .equ LOOPS,          50000       # times round the process's loop
        .equ LOG_SIZE,       2048        # the kernel's log ring (a power of 2)

        .include "../../guest-programs/lib/trap-frame.inc"

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        la      t0, user_frame
        csrw    sscratch, t0
        la      t1, user_main
        sd      t1, TF_PC(t0)
        la      t1, ustack_top
        sd      t1, TF_SP(t0)
        li      t0, SSTATUS_SPP         # sret goes to U-mode
        csrc    sstatus, t0
        j       return_to_user

# Trap entry and exit, as in guest-programs/syscall.s.
        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = the process's t6
        SAVE_X1_TO_X30
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
        LOAD_X1_TO_X30
        ld      x31, 31*8(t6)
        sret

# handle_trap(a0 = frame): only system calls are expected.
handle_trap:
        csrr    t0, scause
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, fail
        ld      t0, TF_PC(a0)           # resume after the ecall
        addi    t0, t0, 4
        sd      t0, TF_PC(a0)
        ld      t0, TF_A7(a0)
        li      t1, SYS_ADD
        beq     t0, t1, sys_add
        li      t1, SYS_WRITE
        beq     t0, t1, sys_write
        li      t1, SYS_GETPID
        beq     t0, t1, sys_getpid
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit
        li      t0, -1                  # unknown: an error
        sd      t0, TF_A0(a0)
        ret

sys_add:
        la      t2, k_adds
        ld      t3, 0(t2)
        addi    t3, t3, 1
        sd      t3, 0(t2)
        ld      t1, TF_A0(a0)
        la      t2, k_sum
        ld      t3, 0(t2)
        add     t3, t3, t1
        sd      t3, 0(t2)
        sd      t3, TF_A0(a0)           # returns the new sum
        ret

# Copies the bytes into the log ring and folds each into the log's hash.
# (No memory protection here: the process's buffer is taken on trust.)
sys_write:
        ld      t1, TF_A0(a0)           # buffer
        ld      t2, TF_A1(a0)           # length
        sd      t2, TF_A0(a0)           # returns the length
        la      t3, k_writes
        ld      t4, 0(t3)
        addi    t4, t4, 1
        sd      t4, 0(t3)
        la      a1, k_log_pos
        ld      a2, 0(a1)
        la      a3, k_hash
        ld      a4, 0(a3)
        la      a5, k_log
        li      a6, 0x100000001b3       # FNV-1a's prime
1:      beqz    t2, 2f
        lbu     t3, 0(t1)
        xor     a4, a4, t3
        mul     a4, a4, a6
        andi    t4, a2, LOG_SIZE - 1
        add     t4, t4, a5
        sb      t3, 0(t4)
        addi    a2, a2, 1
        addi    t1, t1, 1
        addi    t2, t2, -1
        j       1b
2:      sd      a2, 0(a1)
        sd      a4, 0(a3)
        ret

sys_getpid:
        la      t2, k_getpids
        ld      t3, 0(t2)
        addi    t3, t3, 1
        sd      t3, 0(t2)
        li      t0, 7
        sd      t0, TF_A0(a0)
        ret

sys_exit:
        ld      s0, TF_A0(a0)           # the process's checksum
        la      a0, msg_adds
        call    puts
        la      t0, k_adds
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_writes
        call    puts
        la      t0, k_writes
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_bytes
        call    puts
        la      t0, k_log_pos
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_getpids
        call    puts
        la      t0, k_getpids
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_sum
        call    puts
        la      t0, k_sum
        ld      a0, 0(t0)
        call    put_hex
        la      a0, msg_hash
        call    puts
        la      t0, k_hash
        ld      a0, 0(t0)
        call    put_hex
        la      a0, msg_process
        call    puts
        mv      a0, s0
        call    put_hex
        li      a0, '\n'
        call    putc
        li      t0, FINISHER
        li      t1, FINISH_PASS
        sw      t1, 0(t0)
1:      j       1b

fail:
        la      a0, msg_fail
        call    puts
        li      t0, FINISHER
        li      t1, FINISH_FAIL
        sw      t1, 0(t0)
1:      j       1b

        .include "../../guest-programs/lib/console.inc"

# ---------------------------------------------------------------------------
# The process (U-mode).
user_main:
        li      s0, LOOPS
        li      s1, 0x9e3779b97f4a7c15  # xorshift64 state
        la      s2, ubuf
        li      s3, 0                   # the process's checksum
1:      slli    t0, s1, 13
        xor     s1, s1, t0
        srli    t0, s1, 7
        xor     s1, s1, t0
        slli    t0, s1, 17
        xor     s1, s1, t0
        mv      a0, s1
        li      a7, SYS_ADD
        ecall
        xor     s3, s3, a0
        andi    t0, s0, 3
        bnez    t0, 2f
        sd      s1, 0(s2)
        sd      s3, 8(s2)
        mv      a0, s2
        li      a1, 16
        li      a7, SYS_WRITE
        ecall
        add     s3, s3, a0
2:      andi    t0, s0, 15
        bnez    t0, 3f
        li      a7, SYS_GETPID
        ecall
        add     s3, s3, a0
3:      addi    s0, s0, -1
        bnez    s0, 1b
        mv      a0, s3
        li      a7, SYS_EXIT
        ecall
4:      j       4b

        .section .rodata
msg_adds:       .asciz "syscalls: add "
msg_writes:     .asciz ", write "
msg_bytes:      .asciz " (log bytes "
msg_getpids:    .asciz "), getpid "
msg_sum:        .asciz "\nkernel sum "
msg_hash:       .asciz ", log hash "
msg_process:    .asciz ", process checksum "
msg_fail:       .asciz "syscalls: unexpected trap\n"

        .data
        .balign 8
k_adds:         .dword 0
k_writes:       .dword 0
k_getpids:      .dword 0
k_sum:          .dword 0
k_log_pos:      .dword 0
k_hash:         .dword 0xcbf29ce484222325   # FNV-1a's offset basis

        .bss
        .balign 16
user_frame:     .zero TF_SIZE
ubuf:           .zero 16
k_log:          .zero LOG_SIZE
                .zero 4096
kstack_top:
                .zero 4096
ustack_top:
