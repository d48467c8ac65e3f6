# amivirt.s: am I virtualized? (Reference solution of Popek and Goldberg,
# exercise 2: four tests, none of which can tell; the monitor's virtual
# sstatus, virtual clock, virtual UART and emulated counters all answer
# what the hardware answers natively.)

        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ FINISHER,  0x100000

        .text
        .globl _start
_start:
        la      sp, stack_top

        li      s1, 0                   # s1 = how many tests said "virtualized"

        # 1. sstatus at entry: 0 but for UXL = 2 on the machine of the
        #    contract. A monitor running us in U-mode could show its own.
        la      a0, msg_sstatus
        call    puts
        csrr    s0, sstatus
        mv      a0, s0
        call    put_hex
        li      t0, 2 << 32
        beq     s0, t0, 1f
        addi    s1, s1, 1
1:      li      a0, '\n'
        call    putc

        # 2. The clock: 10000 instructions should take 1000 ticks of time.
        #    Under a monitor that shares the hart, more could pass.
        la      a0, msg_time
        call    puts
        rdtime  s0
        li      t0, 5000
2:      addi    t0, t0, -1
        bnez    t0, 2b
        rdtime  t1
        sub     s0, t1, s0
        mv      a0, s0
        call    put_dec
        li      t0, 1001
        bltu    s0, t0, 3f
        addi    s1, s1, 1
3:      li      a0, '\n'
        call    putc

        # 3. The UART's line status: 0x60 (transmitter empty and ready) on
        #    the 16550 of the contract; an emulated one could differ.
        la      a0, msg_lsr
        call    puts
        li      t0, UART
        lbu     s0, UART_LSR(t0)
        mv      a0, s0
        call    put_hex
        li      t0, 0x60
        beq     s0, t0, 4f
        addi    s1, s1, 1
4:      li      a0, '\n'
        call    putc

        # 4. The privileged spec's instret: a read right after another
        #    sees exactly one more, unless something ran in between.
        la      a0, msg_instret
        call    puts
        rdinstret t0
        rdinstret t1
        sub     s0, t1, t0
        mv      a0, s0
        call    put_dec
        li      t0, 1
        beq     s0, t0, 5f
        addi    s1, s1, 1
5:      li      a0, '\n'
        call    putc

        la      a0, msg_native          # the verdict: any test that saw a
        beqz    s1, 6f                  # difference says "virtualized"
        la      a0, msg_virtualized
6:      call    puts

        li      t0, FINISHER            # power off: exit code 0
        li      t1, 0x5555
        sw      t1, 0(t0)
1:      j       1b

        .include "lib/console.inc"      # putc, write_bytes, puts, put_dec, put_hex

        .section .rodata
msg_sstatus:    .asciz "test sstatus at entry: "
msg_time:       .asciz "test ticks over a loop of 10000 instructions: "
msg_lsr:        .asciz "test UART line status: "
msg_instret:    .asciz "test instret between two reads: "
msg_native:     .asciz "verdict: native\n"
msg_virtualized: .asciz "verdict: virtualized\n"

        .bss
        .balign 16
        .space  4096
stack_top:
