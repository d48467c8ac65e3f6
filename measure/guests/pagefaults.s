# pagefaults.s: a page-fault-heavy process (workload `page-faults` of
# `trapvisor bench`).
#
# A small kernel with Sv39 runs one user process whose heap is demand-paged:
# no heap page is mapped until the process touches it. The process, round
# after round, writes a word to each of its 256 heap pages (each first
# touch is a store page fault: the kernel takes a frame from its pool,
# zeroes it, maps it and fences the address), reads them all back into a
# checksum, and gives the heap back (SYS_MUNMAP: every heap PTE cleared,
# the pool emptied, a global sfence.vma), as a program that allocates and
# frees big buffers does. At the end (SYS_EXIT) the kernel prints the
# faults it served and the process's checksum.
#
# The trap entry is the course's (guest-programs/syscall.s): every register
# saved in a trap frame. Natively a fault is a trap into the guest's own
# S-mode; under trap-and-emulate it is the guest's own page fault reflected
# to it, an exit for each CSR access and for the sret and sfence.vma, and
# shadow fills after every fence.
#
# Virtual memory (user pages have U set; the kernel's do not):
#   0x0000_0000  gigapage   devices (kernel)
#   0x8000_0000  gigapage   RAM, identity (kernel)
#   0x4000_0000  4 KiB      the process's code (user_code, one page)
#   0x4001_0000  4 KiB      the process's stack
#   0x4010_0000  256 pages  the process's heap, demand-paged

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ FINISHER,       0x100000
        .equ FINISH_PASS,    0x5555
        .equ FINISH_FAIL,    0x33333     # exit code 3

        .equ SSTATUS_SPP,    1 << 8
        .equ SCAUSE_ECALL_U, 8
        .equ SCAUSE_LOAD_PF, 13
        .equ SCAUSE_STORE_PF, 15

        .equ PTE_V,          1 << 0
        .equ PTE_R,          1 << 1
        .equ PTE_W,          1 << 2
        .equ PTE_X,          1 << 3
        .equ PTE_U,          1 << 4
        .equ PTE_A,          1 << 6
        .equ PTE_D,          1 << 7
        .equ SATP_SV39,      8 << 60

        .equ CODE_VA,        0x40000000
        .equ STACK_VA,       0x40010000
        .equ HEAP_VA,        0x40100000
        .equ HEAP_PAGES,     256
        .equ HEAP_SLOT,      256         # leaf index of the heap's first page

        .equ SYS_MUNMAP,     1
        .equ SYS_EXIT,       2

        .equ ROUNDS,         40

        .include "../../guest-programs/lib/trap-frame.inc"

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0

        # The page tables.
        la      s0, root
        li      t0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        sd      t0, 0(s0)               # devices
        li      t0, (0x80000000 >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        sd      t0, 16(s0)              # RAM
        la      a0, mid
        call    pointer_pte
        sd      a0, 8(s0)               # 0x4000_0000 -> mid
        la      a0, leaf
        call    pointer_pte
        la      t0, mid
        sd      a0, 0(t0)               # mid[0] -> leaf
        la      s1, leaf
        la      a0, user_code
        call    leaf_pte
        ori     a0, a0, PTE_R | PTE_X | PTE_U | PTE_A
        sd      a0, 0(s1)               # the code page
        la      a0, ustack
        call    leaf_pte
        ori     a0, a0, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
        sd      a0, ((STACK_VA - CODE_VA) >> 12) * 8(s1)
        srli    t0, s0, 12
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma

        la      t0, pool
        la      t1, pool_next
        sd      t0, 0(t1)
        la      t0, user_frame
        csrw    sscratch, t0
        li      t1, CODE_VA
        sd      t1, TF_PC(t0)
        li      t1, STACK_VA + 4096
        sd      t1, TF_SP(t0)
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        j       return_to_user

# pointer_pte(a0 = table) -> a0 = a PTE pointing at it; leaf_pte(a0 =
# page) -> a0 = a valid PTE for it, rights to be or-ed in.
pointer_pte:
leaf_pte:
        srli    a0, a0, 12
        slli    a0, a0, 10
        ori     a0, a0, PTE_V
        ret

# Trap entry and exit, as in guest-programs/syscall.s.
        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6
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

# handle_trap(a0 = frame)
handle_trap:
        csrr    t0, scause
        li      t1, SCAUSE_STORE_PF
        beq     t0, t1, page_fault
        li      t1, SCAUSE_LOAD_PF
        beq     t0, t1, page_fault
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, fail
        ld      t0, TF_PC(a0)
        addi    t0, t0, 4
        sd      t0, TF_PC(a0)
        ld      t0, TF_A7(a0)
        li      t1, SYS_MUNMAP
        beq     t0, t1, sys_munmap
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit
        j       fail

# A fault in the heap on a page not yet mapped: a zeroed frame for it.
# Anywhere else, or a second fault on a mapped page, is a bug: fail.
page_fault:
        csrr    t0, stval
        li      t1, HEAP_VA
        sub     t2, t0, t1
        srli    t2, t2, 12              # heap page index (huge if below)
        li      t1, HEAP_PAGES
        bgeu    t2, t1, fail
        la      t3, leaf
        addi    t2, t2, HEAP_SLOT
        slli    t2, t2, 3
        add     t3, t3, t2              # &leaf[HEAP_SLOT + index]
        ld      t1, 0(t3)
        bnez    t1, fail
        la      t4, pool_next           # a frame from the pool
        ld      t5, 0(t4)
        la      t1, pool_end
        bgeu    t5, t1, fail
        li      t1, 4096
        add     t1, t5, t1
        sd      t1, 0(t4)
        mv      t2, t5                  # zero it
1:      sd      zero, 0(t2)
        sd      zero, 8(t2)
        sd      zero, 16(t2)
        sd      zero, 24(t2)
        sd      zero, 32(t2)
        sd      zero, 40(t2)
        sd      zero, 48(t2)
        sd      zero, 56(t2)
        addi    t2, t2, 64
        bltu    t2, t1, 1b
        srli    t5, t5, 12              # map it
        slli    t5, t5, 10
        ori     t5, t5, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
        sd      t5, 0(t3)
        sfence.vma t0                   # the new mapping, at the faulting address
        la      t1, k_faults
        ld      t2, 0(t1)
        addi    t2, t2, 1
        sd      t2, 0(t1)
        ret

# Every heap PTE cleared, the pool emptied, all translations fenced.
sys_munmap:
        la      t0, leaf + HEAP_SLOT * 8
        li      t1, HEAP_PAGES
1:      sd      zero, 0(t0)
        addi    t0, t0, 8
        addi    t1, t1, -1
        bnez    t1, 1b
        sfence.vma
        la      t0, pool
        la      t1, pool_next
        sd      t0, 0(t1)
        la      t1, k_munmaps
        ld      t2, 0(t1)
        addi    t2, t2, 1
        sd      t2, 0(t1)
        ret

sys_exit:
        ld      s0, TF_A0(a0)
        la      a0, msg_faults
        call    puts
        la      t0, k_faults
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_munmaps
        call    puts
        la      t0, k_munmaps
        ld      a0, 0(t0)
        call    put_dec
        la      a0, msg_checksum
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
# The process (U-mode, at CODE_VA: only pc-relative jumps and branches, no
# addresses of its own).
        .balign 4096
user_code:
        li      s0, ROUNDS
        li      s5, 0                   # checksum
        li      s4, 4096
1:      li      s1, HEAP_VA             # touch every heap page
        li      s2, HEAP_PAGES
        mv      s3, s0
2:      sd      s3, 0(s1)               # first touch: a page fault
        addi    s3, s3, 7
        add     s1, s1, s4
        addi    s2, s2, -1
        bnez    s2, 2b
        li      s1, HEAP_VA             # read them back
        li      s2, HEAP_PAGES
3:      ld      t0, 0(s1)
        ld      t1, 8(s1)               # zeroed by the kernel
        add     s5, s5, t0
        add     s5, s5, t1
        slli    t2, s5, 7
        srli    s5, s5, 57
        or      s5, s5, t2
        add     s1, s1, s4
        addi    s2, s2, -1
        bnez    s2, 3b
        li      a7, SYS_MUNMAP
        ecall
        addi    s0, s0, -1
        bnez    s0, 1b
        mv      a0, s5
        li      a7, SYS_EXIT
        ecall
4:      j       4b

        .section .rodata
msg_faults:     .asciz "page-faults: faults "
msg_munmaps:    .asciz ", munmaps "
msg_checksum:   .asciz ", checksum "
msg_fail:       .asciz "page-faults: unexpected trap\n"

        .data
        .balign 8
k_faults:       .dword 0
k_munmaps:      .dword 0
pool_next:      .dword 0

        .bss
        .balign 4096
root:           .zero 4096
mid:            .zero 4096
leaf:           .zero 4096
ustack:         .zero 4096
pool:           .zero HEAP_PAGES * 4096
pool_end:
user_frame:     .zero TF_SIZE
                .zero 4096
kstack_top:
