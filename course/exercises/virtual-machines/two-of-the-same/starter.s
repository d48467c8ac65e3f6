# Virtual machines, exercise 4: two of the same. Make the tick lines of
# timer.s say when they happen, by the guest's own clock: read time in
# timer_tick and print
#   tick N at time T
# (T in decimal). Then run two copies side by side under the monitor, and
# compare their times with each other and with a native run.
#
# timer.s: timer interrupts, the heartbeat of every operating system.
#
# An interrupt is a trap that nobody asked for: the hart stops what it is
# doing, jumps to `stvec`, and the handler returns with `sret` so that the
# interrupted code carries on as if nothing happened. The timer interrupt is
# the one every kernel needs: it is how a kernel gets the CPU back, to keep
# time or to switch programs (see timeshare.s).
#
# The `time` CSR counts up at a fixed rate (10 MHz here). S-mode cannot set
# the timer's deadline itself; it asks the firmware with the SBI call
# set_timer(deadline). When `time` reaches the deadline, the supervisor timer
# interrupt becomes pending (sip.STIP = 1) until the next set_timer. It is
# taken when it is enabled twice over: in sie (STIE, "this interrupt") and,
# while running in S-mode, in sstatus (SIE, "interrupts at all").
#
# The program counts five ticks, printing `tick N` on each, and sleeps with
# `wfi` ("wait for interrupt") in between instead of spinning.

        .equ UART,          0x10000000
        .equ UART_LSR,      5
        .equ LSR_THRE,      0x20

        .equ SBI_TIME,      0x54494D45  # SBI Timer extension (legacy: eid 0)
        .equ SBI_SRST,      0x53525354  # SBI System Reset extension

        .equ SIE_STIE,      1 << 5      # sie: supervisor timer interrupt enable
        .equ SSTATUS_SIE,   1 << 1      # sstatus: S-mode interrupts enable
        .equ IRQ_S_TIMER,   5           # scause code of the timer interrupt

        .equ INTERVAL,      100000      # ticks of `time` between interrupts
        .equ NTICKS,        5

        .text
        .globl _start
_start:
        la      sp, stack_top
        la      t0, trap_entry
        csrw    stvec, t0
        csrci   sstatus, SSTATUS_SIE    # interrupts off while we set up

        la      a0, msg_start
        call    puts
        call    arm_timer               # first deadline: now + INTERVAL
        li      t0, SIE_STIE            # let the timer interrupt through
        csrw    sie, t0

        # Sleep until NTICKS ticks have been counted by the handler.
        #
        # The careful part: with interrupts enabled, the last tick could
        # arrive between our check of `ticks` and the `wfi`, and we would
        # sleep forever (a "lost wakeup"). So we check with sstatus.SIE = 0.
        # `wfi` still wakes up when an interrupt is pending in sie, even with
        # SIE = 0; we then enable interrupts for a moment to take it. (The
        # spec requires the hart to look for interrupts right after a write
        # to sstatus, so the handler runs between the two csr instructions.)
wait:
        la      t0, ticks
        ld      t0, 0(t0)
        li      t1, NTICKS
        bge     t0, t1, finished
        wfi                             # sleep until the timer fires
        csrsi   sstatus, SSTATUS_SIE    # take the interrupt: the handler runs
        csrci   sstatus, SSTATUS_SIE
        j       wait

finished:
        la      a0, msg_done
        call    puts
        li      a0, 0                   # SBI system_reset(shutdown, no reason)
        li      a1, 0
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

# arm_timer: ask for an interrupt INTERVAL ticks from now.
arm_timer:
        rdtime  a0
        li      t0, INTERVAL
        add     a0, a0, t0
        li      a6, 0                   # set_timer(a0 = deadline)
        li      a7, SBI_TIME
        ecall                           # (changes a0 and a1 only)
        ret

# ---------------------------------------------------------------------------
# The trap handler. It interrupts S-mode code (the wait loop), so it must
# leave every register as it found it: it saves the ones it may change, that
# is ra, t0-t6 and a0-a7 (everything a called routine may clobber).

        .balign 4                       # stvec needs a 4-byte aligned address
trap_entry:
        addi    sp, sp, -128
        sd      ra, 0(sp)
        sd      t0, 8(sp)
        sd      t1, 16(sp)
        sd      t2, 24(sp)
        sd      t3, 32(sp)
        sd      t4, 40(sp)
        sd      t5, 48(sp)
        sd      t6, 56(sp)
        sd      a0, 64(sp)
        sd      a1, 72(sp)
        sd      a2, 80(sp)
        sd      a3, 88(sp)
        sd      a4, 96(sp)
        sd      a5, 104(sp)
        sd      a6, 112(sp)
        sd      a7, 120(sp)

        csrr    t0, scause              # top bit set: an interrupt
        bge     t0, zero, unexpected_trap # clear: an exception (a bug)
        slli    t0, t0, 1               # drop the top bit: the cause code
        srli    t0, t0, 1
        li      t1, IRQ_S_TIMER
        bne     t0, t1, unexpected_trap
        call    timer_tick

        ld      ra, 0(sp)
        ld      t0, 8(sp)
        ld      t1, 16(sp)
        ld      t2, 24(sp)
        ld      t3, 32(sp)
        ld      t4, 40(sp)
        ld      t5, 48(sp)
        ld      t6, 56(sp)
        ld      a0, 64(sp)
        ld      a1, 72(sp)
        ld      a2, 80(sp)
        ld      a3, 88(sp)
        ld      a4, 96(sp)
        ld      a5, 104(sp)
        ld      a6, 112(sp)
        ld      a7, 120(sp)
        addi    sp, sp, 128
        sret                            # back to the interrupted instruction

unexpected_trap:
        la      a0, msg_unexpected
        call    puts
        li      a0, 0                   # SBI system_reset(shutdown, failure)
        li      a1, 1
        li      a6, 0
        li      a7, SBI_SRST
        ecall
1:      j       1b

# timer_tick: count the tick, print it, and ask for the next one.
timer_tick:
        addi    sp, sp, -16
        sd      ra, 0(sp)

        la      t0, ticks
        ld      t1, 0(t0)
        addi    t1, t1, 1
        sd      t1, 0(t0)

        la      a0, msg_tick            # "tick N\n" (N < 10)
        call    puts
        la      t0, ticks
        ld      a0, 0(t0)
        addi    a0, a0, 48              # 48 = '0'
        call    putc
        li      a0, 10                  # 10 = '\n'
        call    putc

        # The pending interrupt stays pending until the next set_timer, so
        # we always make one: a new deadline, or "never" after the last tick.
        la      t0, ticks
        ld      t0, 0(t0)
        li      t1, NTICKS
        bge     t0, t1, 1f
        call    arm_timer
        j       2f
1:      li      a0, -1                  # set_timer(forever): no more ticks
        li      a6, 0
        li      a7, SBI_TIME
        ecall
2:      ld      ra, 0(sp)
        addi    sp, sp, 16
        ret

# ---------------------------------------------------------------------------
# putc(a0 = byte) and puts(a0 = NUL-terminated string), on the UART.

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_start:      .asciz "timer: asking the SBI for an interrupt every 100000 ticks\n"
msg_tick:       .asciz "tick "
msg_done:       .asciz "timer: 5 ticks counted, shutting down\n"
msg_unexpected: .asciz "timer: unexpected trap\n"

        .data
ticks:          .dword 0                # timer interrupts handled so far

        .bss
        .balign 16
        .space  4096
stack_top:
