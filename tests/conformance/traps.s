# traps.s: conformance checks for exceptions and what a trap does to the CSRs.
#
# On a trap to S-mode the hart sets
#   scause  = the cause (top bit set for an interrupt)
#   sepc    = the address of the instruction that trapped (for an interrupt:
#             of the instruction that did not get to run)
#   stval   = the faulting address (access, page and misaligned faults), the
#             instruction's bits (illegal instruction), else 0
#   sstatus.SPP  = the privilege it came from (1 = S, 0 = U)
#   sstatus.SPIE = sstatus.SIE, and then SIE = 0
# and jumps to stvec. `sret` undoes it: privilege = SPP, SIE = SPIE,
# SPIE = 1, SPP = 0 (U), pc = sepc.
#
# Checked here: illegal instructions of many kinds (S-mode touching M-mode,
# U-mode touching S-mode, writes to read-only counters, counters hidden from
# U by scounteren), ebreak, ecall from U, access faults where there is no
# memory, misaligned loads and stores (which complete), vectored stvec, and
# sret. Two things are not checked because QEMU's virt CPU has the C
# extension and this machine does not yet: a jump to a 2-byte aligned
# address (legal with C, a misaligned-fetch trap without it), and a valid
# compressed instruction (which QEMU runs and this machine does not).
        .include "harness-macros.inc"   # CHECK, TRAP_TO, EXPECT_TRAP, ...
        .equ CAUSE_MISALIGNED_FETCH, 0
        .equ CAUSE_FETCH_ACCESS,     1
        .equ CAUSE_ILLEGAL,          2
        .equ CAUSE_BREAKPOINT,       3
        .equ CAUSE_LOAD_ACCESS,      5
        .equ CAUSE_STORE_ACCESS,     7
        .equ CAUSE_ECALL_U,          8
        .equ INTERRUPT,              1 << 63
        .equ IRQ_S_SOFT,             1
        .equ IRQ_S_TIMER,            5
        .equ SIP_SSIP,               1 << IRQ_S_SOFT
        .equ SIE_SSIE,               1 << IRQ_S_SOFT
        .equ SIE_STIE,               1 << IRQ_S_TIMER
        .equ SBI_TIME,               0x54494D45

        .equ NOWHERE,                0x0          # no memory or device here
        .equ RAM_END,                0x88000000   # just past 128 MiB of RAM
        .equ UART_GAP,               0x10000100   # just past the UART

# USER label: run the code at label in U-mode (sret with SPP = 0), with
# SIE = 0 there (SPIE = 0). That code ends in a trap, which the test has
# armed for with TRAP_TO.
        .macro  USER label
        la      t0, \label
        csrw    sepc, t0
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrc    sstatus, t0
        sret
        .endm

# EXPECT_FETCH_FAULT name, address: an instruction access fault on fetching
# from address (a number, not a label): sepc = stval = address.
        .macro  EXPECT_FETCH_FAULT name, address
        li      a1, CAUSE_FETCH_ACCESS
        li      a2, \address
        li      a3, \address
        NAME    a0, \name
        call    expect_trap
        .endm

# STATUS name, value: check sstatus's SPP, SPIE and SIE as the trap left them.
        .macro  STATUS name, value
        LOAD    s2, trap_status
        andi    s2, s2, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
        CHECK   \name, s2, \value
        .endm

        .text
        .globl _start
_start:
        la      sp, stack_top
        call    harness_init

# --- Illegal instructions in S-mode: stval = the instruction's bits -----------
        TRAP_TO 1f
2:      .word   0x1234500b              # custom-0 opcode: nothing here has it
1:      EXPECT_TRAP_I illegal-custom-opcode, CAUSE_ILLEGAL, 2b
        STATUS  illegal-from-S-sstatus, SSTATUS_SPP # SPIE = SIE = 0
        # A word whose low two bits are not 0b11 begins with a 16-bit
        # parcel: stval holds those 16 bits, not the word. 0x0004 is a
        # reserved compressed encoding (c.addi4spn with a zero immediate),
        # 0x0000 the defined illegal instruction: illegal here and on QEMU
        # with the C extension alike.
        TRAP_TO 1f
2:      .word   0xabcd0004
1:      EXPECT_TRAP illegal-16-bit-parcel, CAUSE_ILLEGAL, 2b, 0x0004
        TRAP_TO 1f
2:      .word   0x12340000
1:      EXPECT_TRAP illegal-16-bit-zero-parcel, CAUSE_ILLEGAL, 2b, 0
        TRAP_TO 1f
2:      csrr    t0, mstatus             # M-mode CSRs are M-mode's alone
1:      EXPECT_TRAP_I csrr-mstatus-from-S, CAUSE_ILLEGAL, 2b
        TRAP_TO 1f
2:      csrw    mscratch, t0
1:      EXPECT_TRAP_I csrw-mscratch-from-S, CAUSE_ILLEGAL, 2b
        TRAP_TO 1f
2:      mret                            # so is mret
1:      EXPECT_TRAP_I mret-from-S, CAUSE_ILLEGAL, 2b
        TRAP_TO 1f
2:      csrr    t0, 0x107               # a CSR number nothing implements
1:      EXPECT_TRAP_I csr-0x107-does-not-exist, CAUSE_ILLEGAL, 2b
        # cycle, time and instret are read-only (CSR numbers 0xC00..):
        # any instruction that would write them is illegal, even if it
        # would write the same value, or a csrrs of a register holding 0.
        TRAP_TO 1f
2:      csrw    cycle, zero
1:      EXPECT_TRAP_I csrw-cycle, CAUSE_ILLEGAL, 2b
        TRAP_TO 1f
2:      csrw    time, zero
1:      EXPECT_TRAP_I csrw-time, CAUSE_ILLEGAL, 2b
        TRAP_TO 1f
2:      csrrsi  t0, instret, 1
1:      EXPECT_TRAP_I csrrsi-instret, CAUSE_ILLEGAL, 2b
        li      t1, 0
        TRAP_TO 1f
2:      csrrs   t0, cycle, t1           # rs1 is not x0: a write, so illegal
1:      EXPECT_TRAP_I csrrs-cycle-rs1-zero-value, CAUSE_ILLEGAL, 2b
        # Reading them is fine from S-mode (rs1 = x0, or uimm = 0: no write).
        TRAP_TO 1f
        rdcycle t0
        rdtime  t0
        rdinstret t0
        csrrsi  t0, cycle, 0
        csrrc   t0, time, zero
1:      EXPECT_NO_TRAP read-counters-from-S

# --- ebreak: a breakpoint, scause 3 -------------------------------------------
        TRAP_TO 1f
2:      ebreak
1:      EXPECT_TRAP ebreak, CAUSE_BREAKPOINT, 2b, 0

# --- What a trap does to sstatus ----------------------------------------------
        # From S with SIE = 1: SPP = 1, SPIE = 1 (the old SIE), SIE = 0.
        # (sie = 0, so no interrupt can come in meanwhile.)
        csrsi   sstatus, SSTATUS_SIE
        TRAP_TO 1f
2:      ebreak
1:      STATUS  trap-from-S-with-SIE-sstatus, SSTATUS_SPP | SSTATUS_SPIE
        call    trap_disarm
        csrr    s2, sstatus             # and sret (in the handler) gave SIE
        andi    s2, s2, SSTATUS_SIE     # back from SPIE
        CHECK   sret-restores-SIE, s2, SSTATUS_SIE
        csrci   sstatus, SSTATUS_SIE

        # sret: SIE = SPIE, SPIE = 1, SPP = 0 (U), privilege = the old SPP.
        li      t0, SSTATUS_SPP | SSTATUS_SPIE
        csrs    sstatus, t0
        la      t0, 1f
        csrw    sepc, t0
        sret                            # to S-mode, at 1f
1:      csrr    s2, sstatus
        csrci   sstatus, SSTATUS_SIE
        andi    s2, s2, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
        CHECK   sret-SPIE-1-to-S, s2, SSTATUS_SPIE | SSTATUS_SIE
        li      t0, SSTATUS_SPP
        csrs    sstatus, t0
        li      t0, SSTATUS_SPIE
        csrc    sstatus, t0
        la      t0, 1f
        csrw    sepc, t0
        sret
1:      csrr    s2, sstatus
        andi    s2, s2, SSTATUS_SPP | SSTATUS_SPIE | SSTATUS_SIE
        CHECK   sret-SPIE-0-to-S, s2, SSTATUS_SPIE

# --- U-mode: ecall, and what U may not do --------------------------------------
        TRAP_TO 1f
        USER    u_ecall
1:      EXPECT_TRAP ecall-from-U, CAUSE_ECALL_U, u_ecall, 0
        STATUS  ecall-from-U-sstatus, 0
        # sret to U with SPIE = 1: SIE = 1 in U, then the trap makes SPIE 1.
        TRAP_TO 1f
        la      t0, u_ecall
        csrw    sepc, t0
        li      t0, SSTATUS_SPP
        csrc    sstatus, t0
        li      t0, SSTATUS_SPIE
        csrs    sstatus, t0
        sret
1:      csrci   sstatus, SSTATUS_SIE    # (the handler's sret set it again)
        STATUS  ecall-from-U-SPIE, SSTATUS_SPIE
        call    trap_disarm

        TRAP_TO 1f
        USER    u_csrr_sstatus
1:      EXPECT_TRAP_I csrr-sstatus-from-U, CAUSE_ILLEGAL, u_csrr_sstatus
        STATUS  illegal-from-U-sstatus, 0
        TRAP_TO 1f
        USER    u_sret
1:      EXPECT_TRAP_I sret-from-U, CAUSE_ILLEGAL, u_sret
        # wfi in U-mode: the spec lets it complete if it would finish within
        # a bounded time, else it is illegal; QEMU (and so this machine)
        # makes it always illegal when S-mode exists.
        TRAP_TO 1f
        USER    u_wfi
1:      EXPECT_TRAP_I wfi-from-U, CAUSE_ILLEGAL, u_wfi
        TRAP_TO 1f
        USER    u_sfence
1:      EXPECT_TRAP_I sfence.vma-from-U, CAUSE_ILLEGAL, u_sfence

        # The counters, from U: scounteren bit 0 (CY), 1 (TM), 2 (IR) say
        # whether U may read cycle, time, instret. Cleared: illegal. (Not
        # checked for time: on QEMU the illegal instruction goes to OpenSBI
        # 1.1, which emulates a read of `time` for U-mode without looking at
        # scounteren. The spec, and this machine, make it illegal.)
        csrw    scounteren, zero
        TRAP_TO 1f
        USER    u_rdcycle
1:      EXPECT_TRAP_I rdcycle-from-U-hidden, CAUSE_ILLEGAL, u_rdcycle
        TRAP_TO 1f
        USER    u_rdinstret
1:      EXPECT_TRAP_I rdinstret-from-U-hidden, CAUSE_ILLEGAL, u_rdinstret
        # Set: the read works and the ecall after it is the first trap.
        li      t0, 7
        csrw    scounteren, t0
        TRAP_TO 1f
        USER    u_rdcycle
1:      EXPECT_TRAP rdcycle-from-U-allowed, CAUSE_ECALL_U, u_rdcycle + 4, 0
        TRAP_TO 1f
        USER    u_rdtime
1:      EXPECT_TRAP rdtime-from-U-allowed, CAUSE_ECALL_U, u_rdtime + 4, 0
        TRAP_TO 1f
        USER    u_rdinstret
1:      EXPECT_TRAP rdinstret-from-U-allowed, CAUSE_ECALL_U, u_rdinstret + 4, 0
        csrw    scounteren, zero

# --- Access faults: no memory or device at the address -------------------------
        li      s4, NOWHERE
        TRAP_TO 1f
2:      lw      t0, 0(s4)
1:      EXPECT_TRAP load-nowhere, CAUSE_LOAD_ACCESS, 2b, NOWHERE
        TRAP_TO 1f
2:      sw      zero, 0(s4)
1:      EXPECT_TRAP store-nowhere, CAUSE_STORE_ACCESS, 2b, NOWHERE
        li      s4, RAM_END
        TRAP_TO 1f
2:      ld      t0, 8(s4)               # stval is the address, offset added
1:      EXPECT_TRAP load-past-ram, CAUSE_LOAD_ACCESS, 2b, RAM_END + 8
        TRAP_TO 1f
2:      sb      zero, 0(s4)
1:      EXPECT_TRAP store-past-ram, CAUSE_STORE_ACCESS, 2b, RAM_END
        li      s4, UART_GAP
        TRAP_TO 1f
2:      lbu     t0, 0(s4)
1:      EXPECT_TRAP load-past-uart, CAUSE_LOAD_ACCESS, 2b, UART_GAP

        # Fetching where nothing is: sepc = stval = the target. The jump
        # itself completed, so ra holds the return address.
        li      s4, NOWHERE
        li      ra, 0
        TRAP_TO 1f
2:      jalr    ra, 0(s4)
1:      mv      s5, ra
        EXPECT_FETCH_FAULT fetch-nowhere, NOWHERE
        CHECK_ADDR fetch-nowhere-ra, s5, 2b + 4
        li      s4, RAM_END
        TRAP_TO 1f
2:      jalr    ra, 0(s4)
1:      EXPECT_FETCH_FAULT fetch-past-ram, RAM_END

# --- Misaligned loads and stores to RAM complete -------------------------------
        la      s0, bytes               # 00 11 22 33 44 55 66 77 88 99 aa ..
        lh      s2, 1(s0)
        CHECK   misaligned-lh, s2, 0x2211
        lw      s2, 3(s0)
        CHECK   misaligned-lw, s2, 0x66554433
        lwu     s2, 7(s0)
        CHECK   misaligned-lwu, s2, 0xaa998877
        lw      s2, 7(s0)
        CHECK   misaligned-lw-sign-extends, s2, 0xffffffffaa998877
        ld      s2, 5(s0)
        CHECK   misaligned-ld, s2, 0xccbbaa9988776655
        li      t0, 0x0102030405060708
        sd      t0, 3(s0)
        ld      s2, 0(s0)
        CHECK   misaligned-sd-low, s2, 0x0405060708221100
        ld      s2, 8(s0)
        CHECK   misaligned-sd-high, s2, 0xffeeddccbb010203
        li      t0, 0xabcd
        sh      t0, 9(s0)
        lhu     s2, 9(s0)
        CHECK   misaligned-sh, s2, 0xabcd
        li      t0, 0x76543210
        sw      t0, 13(s0)              # crosses into the next dword
        lwu     s2, 13(s0)
        CHECK   misaligned-sw, s2, 0x76543210

# --- Vectored stvec: interrupts go to BASE + 4 * cause, exceptions to BASE ----
        la      t0, vector_table
        ori     t0, t0, 1               # MODE = 1: vectored
        csrw    stvec, t0
        csrr    s2, stvec
        CHECK_ADDR stvec-vectored-reads-back, s2, vector_table + 1

        csrsi   sip, SIP_SSIP           # a software interrupt, pending
        li      t0, SIE_SSIE
        csrs    sie, t0
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE    # taken here
2:      nop
1:      LOAD    s2, trap_vector
        CHECK   vectored-soft-lands-at-base+4, s2, 1
        EXPECT_TRAP vectored-soft, INTERRUPT | IRQ_S_SOFT, 2b, 0
        csrci   sip, SIP_SSIP
        csrci   sstatus, SSTATUS_SIE

        li      a0, 0                   # set_timer(0): the timer interrupt is
        li      a6, 0                   # pending at once
        li      a7, SBI_TIME
        ecall
        li      t0, SIE_STIE
        csrs    sie, t0
        TRAP_TO 1f
        csrsi   sstatus, SSTATUS_SIE
2:      nop
1:      LOAD    s2, trap_vector
        CHECK   vectored-timer-lands-at-base+20, s2, 5
        EXPECT_TRAP vectored-timer, INTERRUPT | IRQ_S_TIMER, 2b, 0
        csrci   sstatus, SSTATUS_SIE
        li      a0, -1                  # set_timer(never): not pending
        li      a6, 0
        li      a7, SBI_TIME
        ecall

        TRAP_TO 1f
2:      ebreak
1:      LOAD    s2, trap_vector
        CHECK   vectored-exception-lands-at-base, s2, 0
        EXPECT_TRAP vectored-ebreak, CAUSE_BREAKPOINT, 2b, 0
        la      t0, trap_entry          # direct mode again
        csrw    stvec, t0

        j       finish

# ---------------------------------------------------------------------------
# The U-mode snippets: each starts with the instruction under test; if that
# does not trap, the ecall after it does.
u_ecall:        ecall
u_csrr_sstatus: csrr    t0, sstatus
                ecall
u_sret:         sret
                ecall
u_wfi:          wfi
                ecall
u_sfence:       sfence.vma
                ecall
u_rdcycle:      rdcycle t0
                ecall
u_rdtime:       rdtime  t0
                ecall
u_rdinstret:    rdinstret t0
                ecall

# The vector table: entry n (at BASE + 4n) takes interrupt n. Each stub
# notes its number in trap_vector and goes on to the ordinary handler.
        .macro  VECTOR n
vector_\n:
        csrrw   t6, sscratch, t6        # t6 = &trap_frame
        sd      t5, TF_T5(t6)
        li      t5, \n
        sd      t5, TF_SIZE + 32(t6)    # trap_vector
        ld      t5, TF_T5(t6)
        csrrw   t6, sscratch, t6
        j       trap_entry
        .endm

        .balign 256                     # (more than the 4 the spec demands)
vector_table:
        j       vector_0                # exceptions, and nothing else, here
        j       vector_1                # supervisor software interrupt
        j       vector_2
        j       vector_3
        j       vector_4
        j       vector_5                # supervisor timer interrupt
        VECTOR  0
        VECTOR  1
        VECTOR  2
        VECTOR  3
        VECTOR  4
        VECTOR  5

        .data
        .balign 8
bytes:  .byte   0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77
        .byte   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
        .dword  0
        .include "harness-routines.inc" # check(), the trap handler, printing
