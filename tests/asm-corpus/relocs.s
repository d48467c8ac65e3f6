# Relocations the assembler resolves itself: %hi/%lo, %pcrel_hi/%pcrel_lo,
# branches and jumps across input sections, numeric local labels.
        .text
        .globl _start
_start:
        # %hi/%lo of a label reach only +-2 GiB around 0: constants here.
        .equ    DEVICE, 0x10000123
        lui     a0, %hi(DEVICE)
        addi    a0, a0, %lo(DEVICE)
        ld      a1, %lo(DEVICE)(a0)
        sd      a1, %lo(DEVICE + 8)(a0)
        lui     a2, %hi(0x12345fff)
        addiw   a2, a2, %lo(0x12345fff)
.Lpc0:  auipc   a3, %pcrel_hi(table)
        addi    a3, a3, %pcrel_lo(.Lpc0)
pc1:    auipc   a4, %pcrel_hi(message + 3)
        lbu     a5, %pcrel_lo(pc1)(a4)
        sb      a5, %pcrel_lo(pc1)(a4)
        auipc   a6, %pcrel_hi(later)
        jalr    ra, %pcrel_lo(2f)(a6)
        j       elsewhere
        jal     elsewhere
        beq     a0, a1, elsewhere
        call    elsewhere
2:      auipc   a6, %pcrel_hi(later)
        jalr    zero, %pcrel_lo(2b)(a6)
1:      addi    a0, a0, 1
        bne     a0, a1, 1b
        beq     a0, a1, 1f
        j       1b
1:      j       1f
1:      bltu    a0, a1, 1b
later:  ret
        .word   later - _start
        .half   1f - 1b
1:
        .section .text.elsewhere, "ax"
elsewhere:
        beq     a0, a1, _start
        jal     zero, later
        ret

        .section .rodata
        .balign 8
table:
        .dword  _start, later, elsewhere, table
        .word   table - _start, . - table
message:
        .asciz  "relocations"
