# Every pseudo-instruction GNU as expands, with the forms trapvisor knows.
        .equ    SOME_CONST, 0x12345678
        .text
        .globl _start
_start:
        nop
        mv      a0, a1
        mv      x31, x1
        not     t0, t1
        neg     s1, s2
        negw    s3, s4
        sext.w  a2, a3
        sext.b  a2, a3
        sext.h  a4, a5
        zext.b  a6, a7
        zext.h  t3, t4
        zext.w  t5, t6
        seqz    a0, a0
        snez    a1, a2
        sltz    a3, a4
        sgtz    a5, a6
        sgt     a0, a1, a2
        sgtu    a3, a4, a5
        add     a0, a0, 5
        and     a1, a1, -1
        or      a2, a2, 0x7ff
        xor     a3, a3, -2048
        slt     a4, a5, 3
        sltu    a4, a5, 3
        sll     a0, a0, 63
        srl     a0, a0, 1
        sra     a0, a0, 2
        addw    a0, a0, -3
        sllw    a0, a0, 31
        srlw    a0, a0, 4
        sraw    a0, a0, 5
        li      a0, 0
        li      a1, -2048
        li      a2, 0x80200000
        li      a3, SOME_CONST
        li      a4, SOME_CONST * 2 + 1
        la      a0, far_data
        lla     a1, far_data
        la      a2, SOME_CONST
        la      a3, local_code + 8
1:      beqz    a0, 1b
        bnez    a0, 1f
        blez    a1, 1b
        bgez    a1, 1f
        bltz    a2, 1b
        bgtz    a2, 1f
1:      bgt     a0, a1, 1b
        ble     a0, a1, 1f
        bgtu    a2, a3, 1b
        bleu    a2, a3, _start
        j       1f
        jal     1f
        jal     t0, 1f
1:      jr      a0
        jr      8(a1)
        jalr    a2
        jalr    t0, a3
        jalr    t1, 12(a4)
        jalr    t1, a4, -12
        jalr    (a5)
        ret
        call    local_code
        tail    local_code
        call    t0, local_code
        jump    local_code, t2
        call    far_code
        tail    far_code
        csrr    a0, sstatus
        csrr    a1, 0x180
        csrw    stvec, a0
        csrs    sie, a1
        csrc    sip, a2
        csrwi   sscratch, 5
        csrsi   sstatus, 2
        csrci   sstatus, 31
        csrw    sscratch, 7
        csrs    sie, 1
        csrc    sie, 3
        csrrw   a0, sscratch, 9
        csrrs   a0, sscratch, 9
        csrrc   a0, sscratch, 9
        rdtime  a0
        rdcycle a1
        rdinstret a2
        fence
        fence   rw, rw
        fence.tso
        fence.i
        sfence.vma
        sfence.vma a0
        sfence.vma a0, a1
        unimp
        ecall
        ebreak
        lb      a0, far_data
        lh      a1, far_data + 2
        lw      a2, far_data
        ld      a3, far_data
        lbu     a4, far_data
        lhu     a5, far_data
        lwu     a6, far_data
        sb      a0, far_data, t0
        sh      a0, far_data, t1
        sw      a0, far_data, t2
        sd      a0, far_data + 8, t3
        scall
        sbreak
        LI      a0, 3
        Add     a0, a0, a1
local_code:
        ret

        .section .text.far, "ax", @progbits
far_code:
        ret

        .data
        .balign 8
far_data:
        .dword  0x1122334455667788, 0
