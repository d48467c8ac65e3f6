# paging-pv.s: paging.s, paravirtualized (book: "Alternatives").
#
# The same kernel and process, printing the same lines, natively and under
# every strategy of the monitor. At boot it asks the SBI for trapvisor's PV
# interface (lib/pv.inc). Natively, and under `--strategy trap` or `bt`,
# there is none, and it runs paging.s's privileged instructions. Under
# `--strategy pv` its trap path reads and writes sscratch, sepc, scause,
# stval and sstatus.SUM in the shared page, returns with pv_sret, and
# writes page-table entries in a batch with pv_mmu_update, which also does
# the sfence.vma: the page tables at boot are one hypercall, each demand
# page another.
#
#   trapvisor run guest-programs/paging-pv.s                    natively
#   trapvisor run --strategy pv --stats guest-programs/paging-pv.s
#
# What follows is paging.s's own description.
#
# paging.s: virtual memory with Sv39 page tables, and demand paging.
#
# With paging on, every address a program uses is virtual: the hart
# translates it through page tables, in 4 KiB pages, to a physical address.
# The kernel decides what each process can see, and at which address.
#
# Sv39 (39-bit virtual addresses) uses three levels of tables, each a 4 KiB
# page of 512 eight-byte entries (PTEs). A virtual address is split as
#     | VPN[2]: 9 bits | VPN[1]: 9 bits | VPN[0]: 9 bits | offset: 12 bits |
# and each VPN indexes one level, starting at the root table named by the
# `satp` CSR. A PTE either points to the next-level table (only V set) or
# is a leaf that maps a page (R, W or X set): a leaf in the root maps a
# 1 GiB "gigapage", a leaf at the middle level a 2 MiB "megapage".
#
# PTE bits: V valid, R read, W write, X execute, U user-mode may use it,
# A accessed, D dirty; the physical page number (address >> 12) from bit 10.
# We set A (and D on writable pages) ourselves, so it does not matter whether
# the hardware would set them for us or fault to ask the kernel to.
#
# This kernel maps
#   0x80000000 (1 GiB)  -> itself       kernel and all RAM (S-mode only)
#   0x10000000 (2 MiB)  -> itself       the UART (S-mode only)
#   0x400000   (4 KiB)  -> process code (U: read, execute)
#   0x402000   (4 KiB)  -> process stack (U: read, write)
# in one page table that is also the process's address space: the kernel's
# pages are in it too, but without U, so the process cannot touch them (as
# in Linux). It turns paging on and runs the process in U-mode at 0x400000.
#
# The process then uses pages that are not mapped at all (0x410000 and
# 0x411000): each use is a page fault (scause 13 for a load, 15 for a store,
# stval = the address). The kernel maps a fresh zeroed page there and
# returns with sepc unchanged, so the faulting instruction runs again and
# now succeeds. That is demand paging: memory is handed out when it is
# first touched.
#
# System calls: a7 = 1 write(a0 = buffer, a1 = length), a7 = 3 exit(a0).

        .equ UART,           0x10000000
        .equ UART_LSR,       5
        .equ LSR_THRE,       0x20
        .equ SBI_SRST,       0x53525354

        .equ PTE_V,          1 << 0
        .equ PTE_R,          1 << 1
        .equ PTE_W,          1 << 2
        .equ PTE_X,          1 << 3
        .equ PTE_U,          1 << 4
        .equ PTE_A,          1 << 6
        .equ PTE_D,          1 << 7
        .equ SATP_SV39,      8 << 60    # satp.MODE = 8: Sv39

        .equ SSTATUS_SPIE,   1 << 5
        .equ SSTATUS_SPP,    1 << 8
        .equ SSTATUS_SUM,    1 << 18    # S-mode may access U pages
        .equ SCAUSE_ECALL_U, 8
        .equ SCAUSE_LOAD_PF, 13
        .equ SCAUSE_STORE_PF, 15

        .equ SYS_WRITE,      1
        .equ SYS_EXIT,       3

        .equ PAGE_SIZE,      4096
        .equ USER_CODE,      0x400000   # the process's virtual addresses
        .equ USER_STACK,     0x402000
        .equ HEAP_START,     0x410000   # demand-paged: mapped when touched
        .equ HEAP_END,       0x420000

# The trap frame (slot n = xn, slot 0 = pc) and the macros that fill and
# empty it, as in syscall.s.
        .include "lib/trap-frame.inc"
        .include "lib/pv.inc"           # the PV interface (constants, macros)

        .text
        .globl _start
_start:
        la      sp, kstack_top
        la      t0, trap_entry
        csrw    stvec, t0
        csrw    sie, zero               # no interrupts
        la      t0, user_frame
        csrw    sscratch, t0
        call    pv_init                 # PV interface there? (pv_on)

        la      a0, msg_build
        call    puts
        call    build_page_tables

        # Paging on: satp = Sv39 mode | physical page number of the root.
        # The kernel is mapped at the same virtual addresses as its physical
        # ones ("identity map"), so the next instruction is still found.
        call    flush_ptes              # the page-table entries in (pv: the
                                        # batch, in one hypercall)
        la      t0, root_table
        srli    t0, t0, 12
        li      t1, SATP_SV39
        or      t0, t0, t1
        csrw    satp, t0
        sfence.vma                      # forget any old translations
        la      a0, msg_paging_on
        call    puts

        # Start the process: pc and sp are virtual addresses of its own.
        la      t0, user_frame
        li      t1, USER_CODE
        sd      t1, TF_PC(t0)
        li      t1, USER_STACK + PAGE_SIZE
        sd      t1, TF_SP(t0)
        li      t0, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SUM
        csrc    sstatus, t0             # sret goes to U-mode; user pages are
        j       return_to_user          # off limits to the kernel for now

# set_pte(a0 = address of a PTE, a1 = its new value): natively a store;
# under pv the write joins the batch that flush_ptes hands to
# pv_mmu_update. Clobbers t0, t1.
set_pte:
        la      t0, pv_on
        ld      t0, 0(t0)
        bnez    t0, 1f
        sd      a1, 0(a0)
        ret
1:      la      t0, pte_batch_n
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)
        addi    t1, t1, -1
        slli    t1, t1, 4               # 16 bytes an entry
        la      t0, pte_batch
        add     t0, t0, t1
        sd      a0, 0(t0)               # (address, value)
        sd      a1, 8(t0)
        ret

# flush_ptes: the PTE writes so far take effect, and every cached
# translation is forgotten: natively sfence.vma, under pv one pv_mmu_update
# of the whole batch. Clobbers a0, a1, a2, a6, a7, t0.
flush_ptes:
        la      t0, pv_on
        ld      t0, 0(t0)
        bnez    t0, 1f
        sfence.vma
        ret
1:      la      a0, pte_batch
        la      t0, pte_batch_n
        ld      a1, 0(t0)
        sd      zero, 0(t0)
        li      a2, 1                   # and sfence.vma
        PV_CALL PV_MMU_UPDATE
        ret

# make_pte(a0 = physical address, a1 = flags) -> a0 = PTE
make_pte:
        srli    a0, a0, 12              # physical page number...
        slli    a0, a0, 10              # ...goes from bit 10 up
        or      a0, a0, a1
        ret

build_page_tables:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        sd      s2, 24(sp)
        la      s0, root_table          # VPN[2] index
        la      s1, mid_table           # VPN[1] index, for VPN[2] = 0
        la      s2, leaf_table          # VPN[0] index, for VPN[2,1] = 0, 2

        # root[2]: 0x80000000 is VPN[2] = 2. One gigapage for all of RAM.
        li      a0, 0x80000000
        li      a1, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        call    make_pte
        mv      a1, a0
        addi    a0, s0, 2*8
        call    set_pte
        la      a0, msg_map_kernel
        call    puts

        # root[0] -> mid_table, which covers 0..1 GiB.
        mv      a0, s1
        li      a1, PTE_V               # not a leaf: a pointer
        call    make_pte
        mv      a1, a0
        addi    a0, s0, 0*8
        call    set_pte

        # mid[0x80]: the UART at 0x10000000 (VPN[1] = 0x80), a megapage.
        li      a0, UART
        li      a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
        call    make_pte
        mv      a1, a0
        addi    a0, s1, 0x80*8
        call    set_pte
        la      a0, msg_map_uart
        call    puts

        # mid[2] -> leaf_table, which covers 0x400000..0x5fffff.
        mv      a0, s2
        li      a1, PTE_V
        call    make_pte
        mv      a1, a0
        addi    a0, s1, 2*8
        call    set_pte

        # leaf[0]: 0x400000 -> the process's code page.
        la      a0, user_code_page
        li      a1, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
        call    make_pte
        mv      a1, a0
        addi    a0, s2, 0*8
        call    set_pte
        la      a0, msg_map_code
        call    puts

        # leaf[2]: 0x402000 -> the process's stack page.
        la      a0, user_stack_page
        li      a1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
        call    make_pte
        mv      a1, a0
        addi    a0, s2, 2*8
        call    set_pte
        la      a0, msg_map_stack
        call    puts

        ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        ld      s2, 24(sp)
        addi    sp, sp, 32
        ret

# ---------------------------------------------------------------------------
# Trap entry and exit, as in syscall.s.

        .balign 4
trap_entry:
        csrrw   t6, sscratch, t6        # t6 = frame, sscratch = process's t6
                                        # (a CSR instruction under pv too:
                                        # no register is free to load with)
        SAVE_X1_TO_X30                  # x1 .. x30 into the frame (lib/trap-frame.inc)
        PV_CSRR t0, sscratch, PV_SSCRATCH
        sd      t0, 31*8(t6)
        PV_CSRW sscratch, t6, PV_SSCRATCH, t0
        PV_CSRR t0, sepc, PV_SEPC
        sd      t0, TF_PC(t6)

        la      sp, kstack_top
        mv      a0, t6
        call    handle_trap

return_to_user:
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
        ld      t1, 16*8(t6)            # the shared page: the process's go there
        sd      t1, PV_A6(t0)
        ld      t1, 17*8(t6)
        sd      t1, PV_A7(t0)
        LOAD_X1_TO_X30
        ld      x31, 31*8(t6)
        PV_CALL PV_SRET                 # does not come back here

# ---------------------------------------------------------------------------
# handle_trap(a0 = the process's frame)

handle_trap:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s0, a0                  # s0 = frame

        PV_CSRR t0, scause, PV_SCAUSE
        li      t1, SCAUSE_LOAD_PF
        beq     t0, t1, page_fault
        li      t1, SCAUSE_STORE_PF
        beq     t0, t1, page_fault
        li      t1, SCAUSE_ECALL_U
        bne     t0, t1, bad_trap

        ld      t0, TF_PC(s0)           # a system call: resume after it
        addi    t0, t0, 4
        sd      t0, TF_PC(s0)
        ld      t0, TF_A7(s0)
        li      t1, SYS_WRITE
        beq     t0, t1, sys_write
        li      t1, SYS_EXIT
        beq     t0, t1, sys_exit
        li      t0, -1
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_write:
        # The buffer is at a virtual address of the process, in a U page. We
        # use the process's page table (it is the only one), but S-mode may
        # only touch U pages while sstatus.SUM is set: so set it just for
        # the copy. (A real kernel would also check the address range.)
        # (Under pv, in the shared page's sstatus: the monitor takes it in
        # at the next exit, at the latest the first access to the buffer.)
        PV_CSRR t0, sstatus, PV_SSTATUS
        li      t1, SSTATUS_SUM
        or      t0, t0, t1
        PV_CSRW sstatus, t0, PV_SSTATUS, t1
        ld      a0, TF_A0(s0)
        ld      a1, TF_A1(s0)
        call    write_bytes
        PV_CSRR t0, sstatus, PV_SSTATUS
        li      t1, ~SSTATUS_SUM
        and     t0, t0, t1
        PV_CSRW sstatus, t0, PV_SSTATUS, t1
        ld      t0, TF_A1(s0)
        sd      t0, TF_A0(s0)
        j       handle_trap_done

sys_exit:
        la      a0, msg_exit
        call    puts
        ld      a0, TF_A0(s0)
        call    put_dec
        la      a0, msg_exit_faults
        call    puts
        la      a0, nfaults
        ld      a0, 0(a0)
        call    put_dec
        la      a0, msg_exit_end
        call    puts
        li      a1, 0                   # SBI system_reset(shutdown, no reason)
        j       shutdown

page_fault:
        PV_CSRR s1, stval, PV_STVAL     # s1 = the virtual address
        li      t0, HEAP_START          # only the heap is demand-paged
        bltu    s1, t0, bad_trap
        li      t0, HEAP_END
        bgeu    s1, t0, bad_trap

        # Take a page from the pool of free pages.
        la      t0, next_free_page
        ld      a0, 0(t0)
        la      t1, page_pool_end
        bgeu    a0, t1, bad_trap        # out of memory
        li      t1, PAGE_SIZE
        add     t1, a0, t1
        sd      t1, 0(t0)

        # Zero it: the process must not see what the page held before.
        mv      t0, a0
1:      sd      zero, 0(t0)
        addi    t0, t0, 8
        bltu    t0, t1, 1b

        # leaf_table[VPN[0]] = the new page, user read/write.
        li      a1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
        call    make_pte
        mv      a1, a0
        srli    t0, s1, 12
        andi    t0, t0, 511             # VPN[0]
        slli    t0, t0, 3
        la      a0, leaf_table
        add     a0, a0, t0
        call    set_pte
        call    flush_ptes              # drop any stale translation of it

        la      t0, nfaults
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)

        # "kernel: load page fault at 0x...: mapped a fresh zeroed page"
        la      a0, msg_fault
        call    puts
        PV_CSRR t0, scause, PV_SCAUSE
        la      a0, msg_load
        li      t1, SCAUSE_LOAD_PF
        beq     t0, t1, 2f
        la      a0, msg_store
2:      call    puts
        la      a0, msg_fault_at
        call    puts
        mv      a0, s1
        call    put_hex
        la      a0, msg_fault_end
        call    puts
        j       handle_trap_done        # sepc unchanged: retry the access

bad_trap:                               # anything else kills the process
        la      a0, msg_bad
        call    puts
        PV_CSRR a0, scause, PV_SCAUSE
        call    put_dec
        la      a0, msg_bad_stval
        call    puts
        PV_CSRR a0, stval, PV_STVAL
        call    put_hex
        li      a0, 10
        call    putc
        li      a1, 1                   # SBI system_reset(shutdown, failure)
        j       shutdown

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
# Kernel console output on the UART (mapped at its physical address).

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex
        .include "lib/pv-init.inc"      # pv_init, pv_on, pv_shared

# ===========================================================================
# The process. This page is mapped at virtual address 0x400000, not where
# it was linked, so everything in it must be position independent: `lla`
# and `call` compute addresses relative to the pc, which works at any
# address as long as code and data move together (they share this page).

        .balign PAGE_SIZE
user_code_page:
        lla     a0, u_hello
        call    u_puts

        # Store a message into 0x410000, which is not mapped: the first
        # store faults, the kernel maps a page, and the store is retried.
        li      t0, HEAP_START
        lla     t1, u_heap_text
1:      lbu     t2, 0(t1)               # copy up to and including the NUL
        sb      t2, 0(t0)
        addi    t0, t0, 1
        addi    t1, t1, 1
        bnez    t2, 1b
        li      a0, HEAP_START          # print it from where it now lives
        call    u_puts

        # Read from 0x411000, also not mapped: a load page fault this time.
        li      t0, HEAP_START + PAGE_SIZE
        ld      t1, 0(t0)
        lla     a0, u_zero
        beqz    t1, 2f
        lla     a0, u_not_zero
2:      call    u_puts

        li      a0, 0                   # exit(0)
        li      a7, SYS_EXIT
        ecall
3:      j       3b

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

u_hello:        .asciz "user: hello from virtual address 0x400000\n"
u_heap_text:    .asciz "user: this line was stored in a page that did not exist\n"
u_zero:         .asciz "user: a fresh page reads as zero\n"
u_not_zero:     .asciz "user: a fresh page is NOT zero!\n"
        .balign 4                       # (.rodata starts on the next page)

        .section .rodata
msg_build:      .asciz "kernel: building Sv39 page tables\n"
msg_map_kernel: .asciz "kernel:   0x80000000 -> itself, a 1 GiB page for the kernel\n"
msg_map_uart:   .asciz "kernel:   0x10000000 -> itself, a 2 MiB page for the UART\n"
msg_map_code:   .asciz "kernel:   0x400000 -> the process's code (user, read+execute)\n"
msg_map_stack:  .asciz "kernel:   0x402000 -> the process's stack (user, read+write)\n"
msg_paging_on:  .asciz "kernel: satp set, paging is on; entering the process at 0x400000\n"
msg_fault:      .asciz "kernel: "
msg_load:       .asciz "load"
msg_store:      .asciz "store"
msg_fault_at:   .asciz " page fault at "
msg_fault_end:  .asciz ": mapped a fresh zeroed page\n"
msg_exit:       .asciz "kernel: the process exited with code "
msg_exit_faults: .asciz " after "
msg_exit_end:   .asciz " page faults\n"
msg_bad:        .asciz "kernel: process killed, scause "
msg_bad_stval:  .asciz ", stval "

        .data
        .balign 8
next_free_page: .dword page_pool        # the page pool's first free page
nfaults:        .dword 0
pte_batch_n:    .dword 0                # PTE writes waiting for flush_ptes (pv)

        .bss
        .balign PAGE_SIZE
root_table:     .space PAGE_SIZE        # page tables: 512 PTEs each
mid_table:      .space PAGE_SIZE
leaf_table:     .space PAGE_SIZE
user_stack_page: .space PAGE_SIZE
page_pool:      .space 4 * PAGE_SIZE    # free pages for demand paging
page_pool_end:
user_frame:     .space TF_SIZE
        .balign 16
pte_batch:      .space 16 * 16          # (address, value) pairs, for pv_mmu_update
        .space  4096
kstack_top:
