# dtb-dump.s: prints what the firmware hands over in a1 at entry, the
# address of the device tree, as 16 hex digits on a line, then the whole
# blob (its `totalsize`, a big-endian word at offset 4) as hex digits on
# one line, and powers off with the finisher.
#
# On QEMU (qemu-system-riscv64 -M virt -m SIZE -bios default -kernel
# dtb-dump.elf) this shows the tree OpenSBI hands its payload;
# scripts/fdt-check.sh compares that with trapvisor's (`xxd -r -p` turns
# the second line back into a blob for `dtc`).
        .equ UART,      0x10000000
        .equ UART_LSR,  5
        .equ LSR_THRE,  0x20
        .equ FINISHER,  0x100000

        .text
        .globl _start
_start:
        la      sp, stack_top
        mv      s0, a1                  # s0 = the tree
        mv      a0, a1
        li      a1, 16
        call    hex
        li      a0, 10
        call    putc
        beqz    s0, done                # no tree: nothing more to say
        lbu     t0, 4(s0)               # s1 = totalsize (big-endian)
        lbu     t1, 5(s0)
        lbu     t2, 6(s0)
        lbu     t3, 7(s0)
        slli    t0, t0, 24
        slli    t1, t1, 16
        slli    t2, t2, 8
        or      s1, t0, t1
        or      s1, s1, t2
        or      s1, s1, t3
        add     s1, s1, s0              # s1 = its end
1:      bgeu    s0, s1, 2f
        lbu     a0, 0(s0)
        li      a1, 2
        call    hex
        addi    s0, s0, 1
        j       1b
2:      li      a0, 10
        call    putc
done:   li      t0, FINISHER
        li      t1, 0x5555
        sw      t1, 0(t0)
3:      j       3b

# hex(a0 = value, a1 = digits): the low a1 hex digits of a0, no "0x".
hex:
        addi    sp, sp, -32
        sd      ra, 0(sp)
        sd      s0, 8(sp)
        sd      s1, 16(sp)
        mv      s0, a0
        mv      s1, a1
1:      beqz    s1, 2f
        addi    s1, s1, -1
        slli    t0, s1, 2
        srl     t0, s0, t0
        andi    t0, t0, 15
        la      t1, digits
        add     t1, t1, t0
        lbu     a0, 0(t1)
        call    putc
        j       1b
2:      ld      ra, 0(sp)
        ld      s0, 8(sp)
        ld      s1, 16(sp)
        addi    sp, sp, 32
        ret

# putc(a0 = byte): wait until the UART can take a byte, then send it.
putc:
        li      t0, UART
1:      lbu     t1, UART_LSR(t0)
        andi    t1, t1, LSR_THRE
        beqz    t1, 1b
        sb      a0, 0(t0)
        ret

        .section .rodata
digits: .ascii  "0123456789abcdef"

        .bss
        .space  4096
stack_top:
