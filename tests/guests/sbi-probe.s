# sbi-probe.s: asks the SEE who it is, prints the answers as hex through
# the SBI debug console, then shuts down through SRST with reason 1
# (system failure: exit code 1).
        .text
        .globl _start
_start:
        la      sp, stack_top
        li      a7, 0x10                # base: spec version
        li      a6, 0
        ecall
        mv      a0, a1
        call    hex
        li      a7, 0x10                # base: impl id
        li      a6, 1
        ecall
        mv      a0, a1
        call    hex
        li      a7, 0x10                # base: probe DBCN
        li      a6, 3
        li      a0, 0x4442434E
        ecall
        mv      a0, a1
        call    hex
        li      a7, 0x4442434E          # DBCN write from outside RAM: -3
        li      a6, 0
        li      a0, 4
        li      a1, 0x1000
        li      a2, 0
        ecall
        call    hex
        li      a7, 0x53525354          # SRST shutdown, system failure
        li      a6, 0
        li      a0, 0
        li      a1, 1
        ecall
1:      j       1b

# hex(a0): prints a0 as 16 hex digits and a newline, via DBCN write_byte.
hex:
        mv      t3, a0
        li      t1, 60
1:      srl     a0, t3, t1
        andi    a0, a0, 15
        li      t0, 10
        blt     a0, t0, 2f
        addi    a0, a0, 'a' - 10 - '0'
2:      addi    a0, a0, '0'
        li      a7, 0x4442434E
        li      a6, 2
        ecall
        addi    t1, t1, -4
        bgez    t1, 1b
        li      a0, '\n'
        li      a7, 0x4442434E
        li      a6, 2
        ecall
        ret

        .bss
        .balign 16
        .space  1024
stack_top:
