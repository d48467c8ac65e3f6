# The C extension as GNU as writes it: `.option rvc`/`norvc`/`push`/`pop`
# and `.option arch`, the compressed form of every instruction that has
# one (and the spellings that keep the 32-bit form), branch and jump
# relaxation to c.beqz/c.bnez/c.j, to the 4-byte forms and to the inverted
# compressed branch over a jal, and alignment padding with c.nop.
        .text
        .globl _start
_start:
        .option push
        .option rvc
        # Quadrant 0: c.addi4spn, c.lw, c.ld, c.sw, c.sd.
        addi    a0, sp, 8
        addi    s1, sp, 1020
        addi    a0, sp, 1024            # too far: addi
        lw      a0, 0(a1)
        lw      a5, 124(s0)
        lw      a5, 126(s0)             # unaligned offset: lw
        ld      a0, 248(a1)
        sd      s1, 8(a5)
        sw      a2, 64(a3)
        sd      t0, 8(a5)               # t0 is not x8-x15: sd
        # Quadrant 1.
        nop
        addi    a0, a0, -32
        addi    a0, a0, 31
        addi    a0, a0, 32              # out of range
        addiw   a0, a0, -1
        sext.w  s0, s0
        li      a0, -32
        li      t6, 31
        li      a0, 4096
        li      a0, -131072
        li      a0, 0x12345678
        li      a0, 0x123456789abcdef0
        lui     a0, 0x1f
        lui     a0, 0xfffe0
        lui     sp, 1                   # c.lui cannot write sp
        addi    sp, sp, -512
        addi    sp, sp, 496
        addi    sp, sp, 16              # c.addi comes first
        srli    a0, a0, 63
        srai    s1, s1, 1
        andi    a0, a0, -32
        and     a0, a0, 31
        sub     a0, a0, a1
        xor     a5, a4, a5
        or      a0, a0, s1
        and     s0, s1, s0
        subw    a0, a0, a1
        addw    a0, a1, a0
        sub     a0, a1, a0              # not commutative: sub
        # Quadrant 2.
        slli    ra, ra, 1
        sll     t0, t0, 63
        lw      ra, 252(sp)
        ld      s11, 504(sp)
        ld      a0, 512(sp)             # too far
        sw      zero, 0(sp)
        sd      ra, 8(sp)
        jr      a0
        jalr    t0
        ret
        mv      a0, a1
        mv      a0, zero                # 32-bit: no c.mv from zero
        add     a0, a0, a1
        add     a0, a1, a0
        add     a0, zero, a1
        add     a0, a0, 0               # GNU as writes the HINT c.addi a0,0
        ebreak
        unimp
        # Spellings GNU as keeps 32-bit.
        jalr    ra, 0(a0)
        jalr    ra, a0
        jr      0(a0)
        jal     zero, 1f
1:      lui     a0, %hi(0x1000)
        addi    a0, a0, %lo(0x1000)
        la      a0, msg
        call    fn
        # Relaxation: c.beqz reaches +-256 bytes, c.j +-2 KiB.
        beqz    a0, near
        bnez    s1, near
        beq     a2, zero, near
        bne     a3, x0, near
        beqz    t0, near                # not x8-x15: beqz
        beq     zero, a0, near          # zero first: beq
        j       near
        beqz    a0, mid                 # beyond 256 bytes: beqz
        beqz    a0, far                 # beyond 4 KiB: c.bnez over jal
        bnez    a0, other               # another section: bnez over jal
        j       mid
        j       far                     # beyond 2 KiB: jal
        j       other
        .p2align 3
near:   .rept   80
        addi    t1, t2, 1
        .endr
mid:    .rept   1100
        addi    t1, t2, 1
        .endr
far:    beqz    a0, near
        j       _start
        # Alignment in compressed code: c.nop to a multiple of 4.
        c_pad: addi a0, a0, 1
        .align  2
        addi    a0, a0, 1
        .align  3
        .balign 16
        addi    a0, a0, 1
        .p2align 4, , 6
        # .option norvc, push/pop, arch.
        .option push
        .option norvc
        addi    a0, a0, 1
        mv      a0, a1
        .align  2
        beqz    a0, near
        .option pop
        addi    a0, a0, 1
        .option arch, -c
        ret
        .option arch, +c
        ret
        .option arch, rv64ima_zicsr_zifencei
        ret
        .option arch, rv64imac_zicsr_zifencei
        ret
        .option pop
fn:     ret

        .section .text.other, "ax"
other:  ret

        .section .rodata
msg:    .string "compressed"
