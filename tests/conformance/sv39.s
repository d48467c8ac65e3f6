# sv39.s: conformance checks for Sv39 virtual memory.
#
# With satp.MODE = 8 (Sv39) every access is translated through a three-level
# page table (see guest-programs/paging.s for the walk). A leaf PTE's bits
# decide what is allowed:
#   V  valid; R, W, X read/write/execute. W without R is reserved. A PTE
#      with V and none of R/W/X points to the next level (a leaf is needed by
#      level 0).
#   U  a user page: U-mode may use it; S-mode may read/write it only with
#      sstatus.SUM = 1, and may never execute it. U-mode may not touch pages
#      without U.
#   A, D  accessed/dirty: this machine (like QEMU) sets them itself when it
#      uses the PTE.
# sstatus.MXR = 1 lets loads read X-only pages. A leaf in the root maps a
# 1 GiB page, at level 1 a 2 MiB page; its physical address must be aligned
# to that size (else: page fault). Virtual addresses must be sign-extended
# from bit 38. Every failure is a page fault, of the kind of the access:
# 12 instruction, 13 load, 15 store/AMO, with stval = the virtual address.
#
# The page table here maps
#   0x80000000 1 GiB  -> itself          the kernel (S-mode, RWX)
#   0x10000000 2 MiB  -> itself          the UART, for printing
#   0x40000000 4 KiB  -> a test page     remapped by each check
#   0x40100000 4 KiB  -> user_page       the U-mode snippets
#   0x40200000 2 MiB  and 0xc0000000 1 GiB: superpage checks
#
# Also checked: satp ignores writes of a MODE it lacks, sfence.vma makes a
# changed PTE visible, the hart sets A and D, and code changed through one
# mapping of a page runs (after fence.i) through another.
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
        .equ PTE_V,  1 << 0
        .equ PTE_R,  1 << 1
        .equ PTE_W,  1 << 2
        .equ PTE_X,  1 << 3
        .equ PTE_U,  1 << 4
        .equ PTE_A,  1 << 6
        .equ PTE_D,  1 << 7
        .equ AD,     PTE_A | PTE_D
        .equ SATP_SV39, 8 << 60

        .equ CAUSE_FETCH_PF, 12
        .equ CAUSE_LOAD_PF,  13
        .equ CAUSE_STORE_PF, 15
        .equ CAUSE_ECALL_U,  8

        .equ TVA,    0x40000000         # the test page's virtual address
        .equ TOFF,   0x238              # where in it the checks look
        .equ UVA,    0x40100000         # the U-mode snippets' page
        .equ MVA,    0x40200000         # 2 MiB superpage slot (mid1[1])
        .equ GVA,    0xc0000000         # 1 GiB superpage slot (root[3])
        .equ KERNEL, 0x80200000         # where this program is loaded
        .equ VALUE_A, 0xaaaa5555aaaa5555
        .equ VALUE_B, 0xbbbb6666bbbb6666
        .equ VALUE_X, 0xcccc7777cccc7777

# MAP page, flags: the test page (TVA) -> physical page, with flags.
        .macro  MAP page, flags
        la      a0, \page
        li      a1, \flags
        call    map_test_page
        .endm

# The accesses: S-mode load, store, execute at TVA (+ TOFF), expected to
# work (_OK) or to page-fault (_PF). The executable page returns at once.
        .macro  LOAD_OK name
        TRAP_TO 96f
        li      s4, TVA + TOFF
        ld      s6, 0(s4)
96:     EXPECT_NO_TRAP \name
        .endm
        .macro  LOAD_PF name
        TRAP_TO 96f
        li      s4, TVA + TOFF
97:     ld      s6, 0(s4)
96:     EXPECT_TRAP \name, CAUSE_LOAD_PF, 97b, TVA + TOFF
        .endm
        .macro  STORE_OK name
        TRAP_TO 96f
        li      s4, TVA + TOFF
        sd      zero, 0(s4)
96:     EXPECT_NO_TRAP \name
        .endm
        .macro  STORE_PF name
        TRAP_TO 96f
        li      s4, TVA + TOFF
97:     sd      zero, 0(s4)
96:     EXPECT_TRAP \name, CAUSE_STORE_PF, 97b, TVA + TOFF
        .endm
        .macro  EXEC_OK name
        TRAP_TO 96f
        li      s4, TVA
        jalr    ra, 0(s4)
96:     EXPECT_NO_TRAP \name
        .endm
        .macro  EXEC_PF name
        TRAP_TO 96f
        li      s4, TVA
        jalr    ra, 0(s4)
96:     li      a1, CAUSE_FETCH_PF      # sepc = stval = the target
        li      a2, TVA
        li      a3, TVA
        NAME    a0, \name
        call    expect_trap
        .endm

# The same from U-mode: run the snippet at offset U_LOAD, U_STORE or U_EXEC
# of user_page (mapped at UVA) with s4 = the address. It ends in ecall
# (scause 8) if the access worked.
        .equ U_LOAD,  0
        .equ U_STORE, 8
        .equ U_EXEC,  16
        .macro  USER snippet
        li      s4, TVA + TOFF
        li      t0, UVA + \snippet
        csrw    sepc, t0
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrc    sstatus, t0
        sret
        .endm
        .macro  U_OK name, snippet
        TRAP_TO 96f
        USER    \snippet
96:     call    trap_disarm
        LOAD    a1, trap_cause
        CHECK   \name, a1, CAUSE_ECALL_U
        .endm
        .macro  U_PF name, snippet, cause, tval
        TRAP_TO 96f
        USER    \snippet
96:     call    trap_disarm
        li      a1, \cause
        li      a2, UVA + \snippet
        li      a3, \tval
        NAME    a0, \name
        call    expect_trap
        .endm

        .macro  U_EXEC_PF name          # the fetch at TVA faults:
        TRAP_TO 96f                     # sepc = stval = TVA
        USER    U_EXEC
96:     call    trap_disarm
        li      a1, CAUSE_FETCH_PF
        li      a2, TVA
        li      a3, TVA
        NAME    a0, \name
        call    expect_trap
        .endm

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init
        call    build_page_table

# --- satp ---------------------------------------------------------------------
        # MODE is WARL: a write with a MODE the hart lacks changes nothing
        # at all. Modes 1-7 are reserved, 15 is custom: neither exists here.
        # (QEMU also has Sv48 and Sv57, this machine only Sv39: not checked.)
        csrw    satp, zero
        la      s0, root_table
        srli    s0, s0, 12
        li      t0, 1 << 60
        or      t0, t0, s0
        csrw    satp, t0
        csrr    s2, satp
        CHECK   satp-mode-1-ignored, s2, 0
        li      t0, SATP_SV39
        or      s1, s0, t0              # s1 = Sv39 | root's page number
        csrw    satp, s1
        sfence.vma
        csrr    s2, satp
        CHECK_REG satp-sv39-reads-back, s2, s1
        li      t0, 15 << 60
        or      t0, t0, s0
        csrw    satp, t0
        csrr    s2, satp
        CHECK_REG satp-mode-15-ignored, s2, s1

# --- Permissions, from S-mode --------------------------------------------------
        MAP     page_a, PTE_V | PTE_R | AD
        LOAD_OK r-load
        CHECK   r-load-value, s6, VALUE_A
        STORE_PF r-store
        EXEC_PF r-exec
        MAP     page_a, PTE_V | PTE_R | PTE_W | AD
        STORE_OK rw-store
        LOAD_OK rw-load
        CHECK   rw-load-value, s6, 0
        MAP     exec_page, PTE_V | PTE_X | AD
        EXEC_OK x-exec
        LOAD_PF x-load
        li      t0, SSTATUS_MXR         # MXR: X-only pages become readable
        csrs    sstatus, t0
        LOAD_OK x-load-mxr
        CHECK   x-load-mxr-value, s6, VALUE_X
        STORE_PF x-store-mxr
        li      t0, SSTATUS_MXR
        csrc    sstatus, t0
        MAP     exec_page, PTE_V | PTE_R | PTE_X | AD
        EXEC_OK rx-exec
        LOAD_OK rx-load
        # W without R is reserved (W and WX alike): a page fault, whatever
        # the access.
        MAP     page_a, PTE_V | PTE_W | AD
        LOAD_PF w-only-load
        STORE_PF w-only-store
        MAP     exec_page, PTE_V | PTE_W | PTE_X | AD
        STORE_PF wx-store
        EXEC_PF wx-exec
        # V = 0: nothing else counts.
        MAP     page_a, PTE_R | PTE_W | PTE_X | AD
        LOAD_PF invalid-pte-load
        # V alone at the last level: a pointer where a leaf must be.
        MAP     page_a, PTE_V
        LOAD_PF pointer-at-level-0-load

        # Bits 63..54 of a PTE: reserved (54..60), Svpbmt (61..62) and
        # Svnapot (63), none of which this hart has: must be zero, else
        # a page fault.
        MAP     page_a, PTE_V | PTE_R | AD | 1 << 54
        LOAD_PF pte-reserved-bit-54
        MAP     page_a, PTE_V | PTE_R | AD | 1 << 61
        LOAD_PF pte-pbmt-bit-61
        MAP     page_a, PTE_V | PTE_R | AD | 1 << 63
        LOAD_PF pte-napot-bit-63

        # User pages from S-mode: only with SUM, and never executable.
        MAP     page_a, PTE_V | PTE_R | PTE_W | PTE_U | AD
        LOAD_PF u-page-load-no-sum
        STORE_PF u-page-store-no-sum
        li      t0, SSTATUS_SUM
        csrs    sstatus, t0
        LOAD_OK u-page-load-sum
        STORE_OK u-page-store-sum
        MAP     exec_page, PTE_V | PTE_R | PTE_X | PTE_U | AD
        EXEC_PF u-page-exec-sum
        li      t0, SSTATUS_SUM
        csrc    sstatus, t0

# --- Permissions, from U-mode ---------------------------------------------------
        MAP     page_a, PTE_V | PTE_R | PTE_W | AD      # an S page
        U_PF    s-page-load-from-u, U_LOAD, CAUSE_LOAD_PF, TVA + TOFF
        U_PF    s-page-store-from-u, U_STORE, CAUSE_STORE_PF, TVA + TOFF
        MAP     page_a, PTE_V | PTE_R | PTE_U | AD      # a read-only U page
        U_OK    u-page-load-from-u, U_LOAD
        U_PF    u-r-page-store-from-u, U_STORE, CAUSE_STORE_PF, TVA + TOFF
        MAP     exec_page, PTE_V | PTE_R | PTE_U | AD   # not executable
        U_EXEC_PF u-r-page-exec-from-u
        MAP     exec_page, PTE_V | PTE_R | PTE_X | AD   # executable, not U
        U_EXEC_PF s-page-exec-from-u
        MAP     exec_page, PTE_V | PTE_X | PTE_U | AD
        U_OK    u-x-page-exec-from-u, U_EXEC

# --- Superpages ---------------------------------------------------------------
        # 2 MiB: MVA -> KERNEL (2 MiB aligned): read `magic` through it.
        la      s0, mid1_table
        li      a0, KERNEL
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        sd      a0, 1*8(s0)
        sfence.vma
        li      s4, MVA
        la      t0, magic
        li      t1, KERNEL
        sub     t0, t0, t1
        add     s4, s4, t0              # MVA + (magic - KERNEL)
        TRAP_TO 1f
        ld      s6, 0(s4)
1:      EXPECT_NO_TRAP megapage-load
        CHECK   megapage-load-value, s6, VALUE_B
        # Physical address not 2 MiB aligned: a page fault.
        li      a0, KERNEL + 0x1000
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        sd      a0, 1*8(s0)
        sfence.vma
        TRAP_TO 1f
2:      ld      s6, 0(s4)
1:      call    trap_disarm
        li      a1, CAUSE_LOAD_PF
        la      a2, 2b
        mv      a3, s4
        NAME    a0, misaligned-megapage
        call    expect_trap
        # 1 GiB: GVA -> 0x80000000.
        la      s0, root_table
        li      a0, 0x80000000
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        sd      a0, 3*8(s0)
        sfence.vma
        li      s4, GVA - 0x80000000
        la      t0, magic
        add     s4, s4, t0              # GVA + (magic - 0x80000000)
        TRAP_TO 1f
        ld      s6, 0(s4)
1:      EXPECT_NO_TRAP gigapage-load
        CHECK   gigapage-load-value, s6, VALUE_B
        li      a0, KERNEL              # 2 MiB aligned, not 1 GiB aligned
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        sd      a0, 3*8(s0)
        sfence.vma
        TRAP_TO 1f
2:      ld      s6, 0(s4)
1:      call    trap_disarm
        li      a1, CAUSE_LOAD_PF
        la      a2, 2b
        mv      a3, s4
        NAME    a0, misaligned-gigapage
        call    expect_trap

# --- Virtual addresses must be sign-extended from bit 38 ------------------------
        li      s4, 0x0000004000000000 | TVA # bit 38 set, bits 63..39 clear
        MAP     page_a, PTE_V | PTE_R | AD
        TRAP_TO 1f
2:      ld      s6, 0(s4)
1:      call    trap_disarm
        li      a1, CAUSE_LOAD_PF
        la      a2, 2b
        mv      a3, s4
        NAME    a0, non-canonical-va
        call    expect_trap

# --- sfence.vma: after it, a changed PTE is used ------------------------------
        MAP     page_a, PTE_V | PTE_R | PTE_W | AD
        li      s4, TVA + TOFF
        li      t0, VALUE_A
        sd      t0, 0(s4)               # (rw-store above wrote 0 there)
        ld      s6, 0(s4)
        CHECK   sfence-before, s6, VALUE_A
        la      a0, page_b              # remap TVA to page_b in place
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        la      t0, leaf_table
        sd      a0, 0(t0)
        li      t0, TVA
        sfence.vma t0, zero             # just this address, all ASIDs
        ld      s6, 0(s4)
        CHECK   sfence.vma-va-new-mapping, s6, VALUE_B
        la      a0, page_a
        li      a1, PTE_V | PTE_R | AD
        call    make_pte
        la      t0, leaf_table
        sd      a0, 0(t0)
        sfence.vma                      # everything
        ld      s6, 0(s4)
        CHECK   sfence.vma-all-new-mapping, s6, VALUE_A

# --- Code changed through another mapping of the same page ---------------------
# fence.i works on memory, not on virtual addresses: a store through the
# kernel's identity mapping changes what runs at TVA. (A hart that caches
# decoded instructions by virtual address gets this wrong.)
        MAP     exec_page, PTE_V | PTE_R | PTE_X | AD
        li      s6, 0
        EXEC_OK alias-exec-before
        CHECK   alias-exec-before-value, s6, 0x5a
        la      s0, exec_page
        lw      s7, 0(s0)               # s7 = "li s6, 0x5a"
        la      t1, li_s6_77
        lw      t1, 0(t1)
        sw      t1, 0(s0)               # through 0x80000000's gigapage
        fence.i
        EXEC_OK alias-exec-after        # through TVA
        CHECK   alias-exec-after-value, s6, 0x77
        sw      s7, 0(s0)
        fence.i

# --- A and D: the hart sets them ----------------------------------------------
        MAP     page_a, PTE_V | PTE_R | PTE_W   # A = D = 0
        la      s0, leaf_table
        li      s4, TVA + TOFF
        ld      s6, 0(s4)
        ld      s2, 0(s0)
        andi    s2, s2, PTE_A | PTE_D
        CHECK   load-sets-A, s2, PTE_A
        sd      s6, 0(s4)
        ld      s2, 0(s0)
        andi    s2, s2, PTE_A | PTE_D
        CHECK   store-sets-D, s2, PTE_A | PTE_D
        MAP     page_a, PTE_V | PTE_R | PTE_W   # A = D = 0 again
        sd      s6, 0(s4)               # a store sets both
        ld      s2, 0(s0)
        andi    s2, s2, PTE_A | PTE_D
        CHECK   first-store-sets-A-and-D, s2, PTE_A | PTE_D
        MAP     page_a, PTE_V | PTE_R   # a store that faults writes
        STORE_PF store-to-read-only     # nothing, so it must not set D
        ld      s2, 0(s0)               # (A may be set speculatively:
        andi    s2, s2, PTE_D           # not checked)
        CHECK   faulting-store-sets-no-D, s2, 0

        j       finish

# ---------------------------------------------------------------------------
# make_pte(a0 = physical address, a1 = flags) -> a0 = the PTE
make_pte:
        srli    a0, a0, 12
        slli    a0, a0, 10
        or      a0, a0, a1
        ret

# map_test_page(a0 = physical page, a1 = flags): TVA -> it; sfence.vma.
map_test_page:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        call    make_pte
        la      t0, leaf_table
        sd      a0, 0(t0)               # leaf_table[0] is TVA
        sfence.vma
        ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

build_page_table:
        addi    sp, sp, -16
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        la      s0, root_table
        li      a0, 0x80000000          # root[2]: 0x80000000, 1 GiB, kernel
        li      a1, PTE_V | PTE_R | PTE_W | PTE_X | AD
        call    make_pte
        sd      a0, 2*8(s0)
        la      a0, mid0_table          # root[0] -> mid0 (0 .. 1 GiB)
        li      a1, PTE_V
        call    make_pte
        sd      a0, 0*8(s0)
        la      a0, mid1_table          # root[1] -> mid1 (1 .. 2 GiB)
        li      a1, PTE_V
        call    make_pte
        sd      a0, 1*8(s0)
        li      a0, UART                # mid0[0x80]: the UART's 2 MiB
        li      a1, PTE_V | PTE_R | PTE_W | AD
        call    make_pte
        la      t0, mid0_table
        sd      a0, 0x80*8(t0)
        la      a0, leaf_table          # mid1[0] -> leaf (TVA .. + 2 MiB)
        li      a1, PTE_V
        call    make_pte
        la      t0, mid1_table
        sd      a0, 0(t0)
        la      a0, user_page           # leaf[0x100]: UVA, U-mode code
        li      a1, PTE_V | PTE_R | PTE_X | PTE_U | AD
        call    make_pte
        la      t0, leaf_table + 0x100*8
        sd      a0, 0(t0)
        ld      ra, 0(sp)
        ld      s0, 8(sp)
        addi    sp, sp, 16
        ret

# The executable test page: it sets s6 and returns; VALUE_X at TOFF.
        .balign 4096
exec_page:
        li      s6, 0x5a
        ret
        .space  TOFF - 8
        .dword  VALUE_X
li_s6_77:
        li      s6, 0x77                # (a template: copied, not run here)

# The U-mode snippets, mapped at UVA. s4 = the address to use.
        .balign 4096
user_page:
                ld      s6, 0(s4)       # U_LOAD = 0
                ecall
                sd      s6, 0(s4)       # U_STORE = 8
                ecall
                li      s4, TVA         # U_EXEC = 16 (one lui)
                jalr    ra, 0(s4)       # exec_page returns here
                ecall

        .section .rodata
        .balign 8
magic:          .dword VALUE_B          # read through the superpages

        .data
        .balign 4096
page_a:         .space  TOFF            # physical test pages: VALUE_A or
                .dword  VALUE_A         # VALUE_B at TOFF
                .space  4096 - TOFF - 8
page_b:         .space  TOFF
                .dword  VALUE_B
                .space  4096 - TOFF - 8

        .bss
        .balign 4096
root_table:     .space  4096
mid0_table:     .space  4096
mid1_table:     .space  4096
leaf_table:     .space  4096
        .include "harness-routines.inc" # check(), the trap handler, printing
