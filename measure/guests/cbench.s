# cbench.s: made by scripts/bench-c.sh from measure/guests/cbench.c: do not
# edit. GCC's assembly output (12.2.0,
# -O2 -Wall -Wextra -march=rv64ima_zicsr_zifencei -mabi=lp64 -mcmodel=medany -nostdlib -nostartfiles),
# with a _start first in .text that sets up a stack, calls main() and ends
# the run through the test finisher with main's return value (0: pass).

	.file	"cbench.c"
	.option nopic
	.attribute arch, "rv64i2p1_m2p0_a2p1_zicsr2p0_zifencei2p0"
	.attribute unaligned_access, 0
	.attribute stack_align, 16

        .text
        .globl _start
_start:
        la      sp, __stack_top
        call    main
        li      t0, 0x100000
        li      t1, 0x5555
        beqz    a0, 1f
        slli    a0, a0, 16
        li      t1, 0x3333
        or      t1, t1, a0
1:      sw      t1, 0(t0)
2:      j       2b

        .bss
        .balign 16
        .space  65536
__stack_top:

# ---- the rest of GCC's output ----
	.text
	.section	.rodata.str1.8,"aMS",@progbits,1
	.align	3
.LC0:
	.string	"0123456789abcdef"
	.text
	.align	2
	.type	report, @function
report:
	lbu	a5,0(a0)
	beq	a5,zero,.L2
	li	a4,268435456
.L3:
	addi	a0,a0,1
	sb	a5,0(a4)
	lbu	a5,0(a0)
	bne	a5,zero,.L3
.L2:
	li	a4,32
	li	a5,268435456
	sb	a4,0(a5)
	lla	a0,.LC0
	li	a4,60
	li	a3,268435456
	li	a2,-4
.L4:
	srl	a5,a1,a4
	andi	a5,a5,15
	add	a5,a0,a5
	lbu	a5,0(a5)
	addiw	a4,a4,-4
	sb	a5,0(a3)
	bne	a4,a2,.L4
	li	a5,10
	sb	a5,0(a3)
	ret
	.size	report, .-report
	.align	2
	.type	list_build, @function
list_build:
	lla	a5,items
	li	a3,0
	li	a4,0
	ld	t1,.LC1
	ld	a7,.LC2
	li	a6,-8388608
	li	a1,256
.L12:
	mul	a0,a0,t1
	sw	a3,12(a5)
	sd	a4,0(a5)
	mv	a4,a5
	addi	a5,a5,16
	addiw	a3,a3,1
	add	a0,a0,a7
	srli	a2,a0,40
	addw	a2,a6,a2
	sw	a2,-8(a5)
	bne	a3,a1,.L12
	lla	a0,items+4080
	ret
	.size	list_build, .-list_build
	.align	2
	.type	list_reverse, @function
list_reverse:
	beq	a0,zero,.L15
	li	a4,0
	j	.L16
.L17:
	mv	a0,a5
.L16:
	ld	a5,0(a0)
	sd	a4,0(a0)
	mv	a4,a0
	bne	a5,zero,.L17
.L15:
	ret
	.size	list_reverse, .-list_reverse
	.align	2
	.type	list_find, @function
list_find:
	bne	a0,zero,.L23
	j	.L24
.L28:
	ld	a0,0(a0)
	beq	a0,zero,.L27
.L23:
	lw	a5,8(a0)
	bne	a5,a1,.L28
	ret
.L27:
	ret
.L24:
	li	a0,0
	ret
	.size	list_find, .-list_find
	.align	2
	.type	list_sort, @function
list_sort:
	mv	a1,a0
	li	t1,1
	li	t4,1
	beq	a1,zero,.L30
.L64:
	li	a2,0
	li	a0,0
	li	t3,1
.L43:
	mv	a4,a1
	li	a5,0
	j	.L32
.L59:
	beq	a4,zero,.L31
.L32:
	addiw	a5,a5,1
	ld	a4,0(a4)
	bne	t1,a5,.L59
.L31:
	mv	a6,t1
	ble	a5,zero,.L60
.L39:
	bne	a6,zero,.L61
.L36:
	mv	a3,a1
	ld	a1,0(a1)
	addiw	a5,a5,-1
.L35:
	beq	a2,zero,.L47
.L62:
	sd	a3,0(a2)
	mv	a2,a3
.L63:
	bgt	a5,zero,.L39
.L60:
	ble	a6,zero,.L40
	beq	a4,zero,.L42
	bne	a5,zero,.L34
	mv	a3,a4
	addiw	a6,a6,-1
	ld	a4,0(a4)
	bne	a2,zero,.L62
.L47:
	mv	a0,a3
	mv	a2,a3
	j	.L63
.L61:
	beq	a4,zero,.L36
.L34:
	lw	a7,8(a1)
	lw	a3,8(a4)
	ble	a7,a3,.L36
	mv	a3,a4
	addiw	a6,a6,-1
	ld	a4,0(a4)
	j	.L35
.L40:
	beq	a4,zero,.L42
	addiw	t3,t3,1
	mv	a1,a4
	j	.L43
.L42:
	sd	zero,0(a2)
	beq	t3,t4,.L58
	mv	a1,a0
	slliw	t1,t1,1
	bne	a1,zero,.L64
.L30:
	sd	zero,0(zero)
	ebreak
.L58:
	ret
	.size	list_sort, .-list_sort
	.align	2
	.type	list_bench, @function
list_bench:
	addi	sp,sp,-64
	sd	s2,32(sp)
	li	s2,1
	sd	s0,48(sp)
	sd	s1,40(sp)
	sd	s3,24(sp)
	sd	s4,16(sp)
	sd	s5,8(sp)
	sd	s6,0(sp)
	sd	ra,56(sp)
	mv	s6,a0
	li	s3,65536
	call	list_build
	slli	s2,s2,40
	mv	s1,a0
	addi	s5,s6,592
	li	s0,0
	lla	s4,items
	addi	s3,s3,-1
	addi	s2,s2,435
.L67:
	andi	a5,s6,255
	slli	a5,a5,4
	add	a5,s4,a5
	lw	a1,8(a5)
	mv	a0,s1
	addi	s6,s6,37
	call	list_find
	mv	a4,a0
	mv	a5,s3
	mv	a0,s1
	beq	a4,zero,.L66
	lwu	a5,12(a4)
.L66:
	xor	a5,a5,s0
	mul	a5,a5,s2
	srli	s0,a5,29
	xor	s0,s0,a5
	call	list_reverse
	mv	s1,a0
	bne	s5,s6,.L67
	call	list_sort
	beq	a0,zero,.L65
	li	a4,1
	slli	a4,a4,40
	addi	a4,a4,435
.L69:
	lwu	a5,8(a0)
	ld	a0,0(a0)
	xor	a5,a5,s0
	mul	a5,a5,a4
	srli	s0,a5,29
	xor	s0,a5,s0
	bne	a0,zero,.L69
.L65:
	ld	ra,56(sp)
	mv	a0,s0
	ld	s0,48(sp)
	ld	s1,40(sp)
	ld	s2,32(sp)
	ld	s3,24(sp)
	ld	s4,16(sp)
	ld	s5,8(sp)
	ld	s6,0(sp)
	addi	sp,sp,64
	jr	ra
	.size	list_bench, .-list_bench
	.align	2
	.type	matrix_bench, @function
matrix_bench:
	addi	sp,sp,-16
	lla	t1,mb
	li	a7,65536
	li	a6,4096
	mv	a5,a0
	sd	s0,8(sp)
	lla	t3,ma
	lla	a0,ma+96
	lla	t6,ma+2400
	mv	t5,t1
	addi	a7,a7,-1
	li	t4,-32768
	addi	a6,a6,-1
.L78:
	addi	a3,a0,-96
	mv	a1,t5
.L79:
	slli	a4,a5,13
	xor	a5,a4,a5
	srli	a4,a5,7
	xor	a4,a4,a5
	slli	a5,a4,17
	xor	a5,a5,a4
	and	a2,a5,a7
	srli	a4,a5,16
	addw	a2,t4,a2
	and	a4,a4,a6
	sw	a2,0(a3)
	sw	a4,0(a1)
	addi	a3,a3,4
	addi	a1,a1,4
	bne	a3,a0,.L79
	addi	a0,a3,96
	addi	t5,t5,96
	bne	a0,t6,.L78
	li	a5,4096
	addi	t5,a5,-1696
	li	t4,-4096
	lla	t2,mc
	li	t6,0
	addi	t0,a5,-1792
	add	t5,t1,t5
	addi	t4,t4,1792
	li	s0,24
.L83:
	slli	a7,t6,1
	add	a7,a7,t6
	slli	a7,a7,5
	add	a0,t1,t0
	add	a7,a7,t3
	mv	a6,t2
.L85:
	add	a5,a0,t4
	mv	a3,a7
	li	a2,0
.L81:
	lw	a4,0(a3)
	lw	a1,0(a5)
	addi	a5,a5,96
	addi	a3,a3,4
	mul	a4,a4,a1
	add	a2,a2,a4
	bne	a0,a5,.L81
	sd	a2,0(a6)
	addi	a0,a0,4
	addi	a6,a6,8
	bne	t5,a0,.L85
	addi	t6,t6,1
	addi	t2,t2,192
	bne	t6,s0,.L83
	li	a2,1
	slli	a2,a2,40
	lla	a1,mc+192
	lla	a6,mc+4800
	li	a0,0
	addi	a2,a2,435
.L84:
	addi	a3,a1,-192
.L86:
	ld	a4,0(a3)
	addi	a3,a3,8
	srai	a5,a4,2
	andi	a4,a4,3
	add	a5,a5,a4
	xor	a5,a5,a0
	mul	a5,a5,a2
	srli	a0,a5,29
	xor	a0,a5,a0
	bne	a1,a3,.L86
	addi	a1,a1,192
	bne	a6,a1,.L84
	ld	s0,8(sp)
	addi	sp,sp,16
	jr	ra
	.size	matrix_bench, .-matrix_bench
	.align	2
	.type	text_build, @function
text_build:
	lla	a4,.LANCHOR0
	lla	a7,.LANCHOR0+511
	ld	a6,.LC3
	ld	a1,.LC4
	lla	a2,.LANCHOR1
	li	a3,18
.L94:
	mul	a0,a0,a6
	addi	a4,a4,1
	add	a0,a0,a1
	srli	a5,a0,33
	remu	a5,a5,a3
	add	a5,a2,a5
	lbu	a5,0(a5)
	sb	a5,-1(a4)
	bne	a7,a4,.L94
	sb	zero,.LANCHOR0+511,a5
	ret
	.size	text_build, .-text_build
	.align	2
	.type	state_bench, @function
state_bench:
	addi	sp,sp,-48
	sd	ra,40(sp)
	sd	zero,0(sp)
	sd	zero,8(sp)
	sd	zero,16(sp)
	sw	zero,24(sp)
	call	text_build
	lla	a4,.LANCHOR0
	lbu	a5,0(a4)
	beq	a5,zero,.L120
	mv	a1,a4
	li	a0,0
	li	a4,0
	li	a6,44
	li	a7,32
	li	t3,5
	lla	t1,.L107
.L118:
	beq	a5,a6,.L99
	beq	a5,a7,.L99
	bgtu	a4,t3,.L123
	slli	a4,a4,2
	add	a4,a4,t1
	lw	a4,0(a4)
	add	a4,a4,t1
	jr	a4
	.section	.rodata
	.align	2
	.align	2
.L107:
	.word	.L104-.L107
	.word	.L111-.L107
	.word	.L110-.L107
	.word	.L109-.L107
	.word	.L108-.L107
	.word	.L106-.L107
	.text
.L122:
	li	a4,0
.L99:
	slli	a3,a4,2
	addi	a5,a3,32
	add	a3,a5,sp
	lw	a2,-32(a3)
	lbu	a5,1(a1)
	snez	a4,a4
	addiw	a2,a2,1
	sw	a2,-32(a3)
	addi	a1,a1,1
	addw	a0,a4,a0
	beq	a5,zero,.L102
	beq	a5,a6,.L122
	beq	a5,a7,.L122
.L104:
	addiw	a4,a5,-48
	andi	a4,a4,0xff
	li	a3,9
	bgtu	a4,a3,.L112
.L185:
	lbu	a5,1(a1)
	addiw	a0,a0,1
	addi	a1,a1,1
	beq	a5,zero,.L102
	li	a3,44
	li	a4,1
	beq	a5,a3,.L99
	li	a3,32
	beq	a5,a3,.L99
.L111:
	addiw	a4,a5,-48
	andi	a4,a4,0xff
	li	a3,9
	bgtu	a4,a3,.L195
	li	a3,1
	li	a4,1
.L115:
	lbu	a5,1(a1)
	sub	a3,a4,a3
	snez	a3,a3
	addi	a1,a1,1
	addw	a0,a3,a0
	bne	a5,zero,.L118
.L102:
	slli	a0,a0,32
	srli	a0,a0,32
.L97:
	li	a3,1
	slli	a3,a3,40
	mv	a4,sp
	addi	a2,sp,28
	addi	a3,a3,435
.L119:
	lwu	a5,0(a4)
	addi	a4,a4,4
	xor	a5,a5,a0
	mul	a5,a5,a3
	srli	a0,a5,29
	xor	a0,a5,a0
	bne	a2,a4,.L119
	ld	ra,40(sp)
	addi	sp,sp,48
	jr	ra
.L112:
	li	a4,45
	beq	a5,a4,.L185
	li	a4,46
	bne	a5,a4,.L114
.L188:
	lbu	a5,1(a1)
	addiw	a0,a0,1
	addi	a1,a1,1
	beq	a5,zero,.L102
	li	a3,44
	li	a4,2
	beq	a5,a3,.L99
	li	a3,32
	beq	a5,a3,.L99
.L110:
	addiw	a4,a5,-48
	andi	a4,a4,0xff
	li	a3,9
	bleu	a4,a3,.L127
	andi	a5,a5,223
	li	a4,69
	li	a3,2
	bne	a5,a4,.L105
.L190:
	lbu	a5,1(a1)
	addiw	a0,a0,1
	addi	a1,a1,1
	beq	a5,zero,.L102
	li	a3,44
	li	a4,3
	beq	a5,a3,.L99
	li	a3,32
	beq	a5,a3,.L99
.L109:
	addiw	a4,a5,-43
	andi	a4,a4,253
	beq	a4,zero,.L192
	addiw	a5,a5,-48
	andi	a5,a5,0xff
	li	a4,9
	bgtu	a5,a4,.L129
.L192:
	lbu	a5,1(a1)
	addiw	a0,a0,1
	addi	a1,a1,1
	beq	a5,zero,.L102
	li	a3,44
	li	a4,4
	beq	a5,a3,.L99
	li	a3,32
	beq	a5,a3,.L99
.L108:
	addiw	a5,a5,-48
	andi	a5,a5,0xff
	li	a4,9
	bgtu	a5,a4,.L130
	lbu	a5,1(a1)
	addiw	a0,a0,1
	addi	a1,a1,1
	beq	a5,zero,.L102
	li	a3,44
	li	a4,5
	beq	a5,a3,.L99
	li	a3,32
	beq	a5,a3,.L99
.L106:
	addiw	a5,a5,-48
	andi	a5,a5,0xff
	li	a4,9
	li	a3,5
	bgtu	a5,a4,.L105
	li	a4,5
	j	.L115
.L127:
	li	a3,2
	li	a4,2
	j	.L115
.L130:
	li	a3,4
.L105:
	li	a4,6
	j	.L115
.L195:
	andi	a4,a5,223
	li	a3,69
	beq	a4,a3,.L190
	li	a4,46
	li	a3,1
	beq	a5,a4,.L188
	li	a4,6
	j	.L115
.L114:
	li	a4,43
	li	a3,0
	beq	a5,a4,.L185
	li	a4,6
	j	.L115
.L129:
	li	a3,3
	li	a4,6
	j	.L115
.L120:
	li	a0,0
	j	.L97
.L123:
	li	a3,6
	li	a4,6
	j	.L115
	.size	state_bench, .-state_bench
	.align	2
	.type	crc16, @function
crc16:
	li	a2,-24576
	mv	a6,a0
	addi	a2,a2,1
	mv	a0,a1
	li	a7,64
	li	a1,0
.L199:
	srl	a5,a6,a1
	andi	a5,a5,0xff
	xor	a0,a5,a0
	li	a5,8
.L198:
	andi	a4,a0,1
	srli	a0,a0,1
	addiw	a5,a5,-1
	xor	a3,a0,a2
	beq	a4,zero,.L197
	slli	a0,a3,48
	srli	a0,a0,48
.L197:
	bne	a5,zero,.L198
	addiw	a1,a1,8
	bne	a1,a7,.L199
	ret
	.size	crc16, .-crc16
	.align	2
	.globl	memcpy
	.type	memcpy, @function
memcpy:
	beq	a2,zero,.L206
	add	a2,a0,a2
	mv	a5,a0
.L207:
	lbu	a4,0(a1)
	addi	a5,a5,1
	addi	a1,a1,1
	sb	a4,-1(a5)
	bne	a5,a2,.L207
.L206:
	ret
	.size	memcpy, .-memcpy
	.align	2
	.globl	memmove
	.type	memmove, @function
memmove:
	bltu	a0,a1,.L213
	addi	a5,a2,-1
	li	a6,-1
	beq	a2,zero,.L225
.L217:
	add	a4,a1,a5
	lbu	a3,0(a4)
	add	a4,a0,a5
	addi	a5,a5,-1
	sb	a3,0(a4)
	bne	a5,a6,.L217
.L219:
	ret
.L213:
	beq	a2,zero,.L219
	add	a2,a0,a2
	mv	a5,a0
.L216:
	lbu	a4,0(a1)
	addi	a5,a5,1
	addi	a1,a1,1
	sb	a4,-1(a5)
	bne	a2,a5,.L216
	ret
.L225:
	ret
	.size	memmove, .-memmove
	.align	2
	.globl	memset
	.type	memset, @function
memset:
	andi	a1,a1,0xff
	add	a4,a0,a2
	mv	a5,a0
	beq	a2,zero,.L232
.L228:
	addi	a5,a5,1
	sb	a1,-1(a5)
	bne	a5,a4,.L228
.L232:
	ret
	.size	memset, .-memset
	.align	2
	.globl	memcmp
	.type	memcmp, @function
memcmp:
	beq	a2,zero,.L237
	add	a2,a1,a2
	j	.L236
.L235:
	beq	a2,a1,.L237
.L236:
	lbu	a4,0(a0)
	lbu	a5,0(a1)
	addi	a0,a0,1
	addi	a1,a1,1
	beq	a4,a5,.L235
	li	a0,1
	bgeu	a4,a5,.L234
	li	a0,-1
	ret
.L237:
	li	a0,0
.L234:
	ret
	.size	memcmp, .-memcmp
	.section	.rodata.str1.8
	.align	3
.LC6:
	.string	"rounds"
	.align	3
.LC7:
	.string	"list"
	.align	3
.LC8:
	.string	"matrix"
	.align	3
.LC9:
	.string	"state"
	.align	3
.LC10:
	.string	"seed"
	.section	.text.startup,"ax",@progbits
	.align	2
	.globl	main
	.type	main, @function
main:
	addi	sp,sp,-96
	sd	s6,32(sp)
	sd	ra,88(sp)
	sd	s0,80(sp)
	sd	s1,72(sp)
	sd	s2,64(sp)
	sd	s3,56(sp)
	sd	s4,48(sp)
	sd	s5,40(sp)
	sd	s7,24(sp)
	sd	s8,16(sp)
	sd	s9,8(sp)
	ld	s6,iterations
	beq	s6,zero,.L243
	li	s5,1
	slli	s5,s5,40
	li	s8,0
	li	s7,0
	li	s3,0
	li	s4,0
	ld	s1,.LC5
	addi	s5,s5,435
.L242:
	mv	a0,s1
	call	list_bench
	xor	s9,a0,s1
	mv	s2,a0
	mv	a0,s9
	call	matrix_bench
	mv	s0,a0
	xor	a0,a0,s1
	call	state_bench
	mv	s1,a0
	mv	a1,s4
	mv	a0,s2
	call	crc16
	mv	s4,a0
	mv	a0,s0
	xor	s0,s0,s1
	xor	s0,s0,s9
	mul	s0,s0,s5
	mv	a1,s3
	call	crc16
	mv	a1,s7
	mv	s3,a0
	mv	a0,s1
	call	crc16
	addi	s8,s8,1
	mv	s7,a0
	srli	s1,s0,29
	xor	s1,s1,s0
	bne	s6,s8,.L242
.L241:
	mv	a1,s6
	lla	a0,.LC6
	call	report
	mv	a1,s4
	lla	a0,.LC7
	call	report
	mv	a1,s3
	lla	a0,.LC8
	call	report
	mv	a1,s7
	lla	a0,.LC9
	call	report
	mv	a1,s1
	lla	a0,.LC10
	call	report
	ld	ra,88(sp)
	ld	s0,80(sp)
	ld	s1,72(sp)
	ld	s2,64(sp)
	ld	s3,56(sp)
	ld	s4,48(sp)
	ld	s5,40(sp)
	ld	s6,32(sp)
	ld	s7,24(sp)
	ld	s8,16(sp)
	ld	s9,8(sp)
	li	a0,0
	addi	sp,sp,96
	jr	ra
.L243:
	li	s7,0
	li	s3,0
	li	s4,0
	ld	s1,.LC5
	j	.L241
	.size	main, .-main
	.globl	iterations
	.section	.srodata.cst8,"aM",@progbits,8
	.align	3
.LC1:
	.dword	6364136223846793005
	.align	3
.LC2:
	.dword	1442695040888963407
	.align	3
.LC3:
	.dword	2862933555777941757
	.align	3
.LC4:
	.dword	3037000493
	.align	3
.LC5:
	.dword	2611923443488327891
	.bss
	.align	3
	.set	.LANCHOR0,. + 0
	.type	text, @object
	.size	text, 512
text:
	.zero	512
	.type	mc, @object
	.size	mc, 4608
mc:
	.zero	4608
	.type	mb, @object
	.size	mb, 2304
mb:
	.zero	2304
	.type	ma, @object
	.size	ma, 2304
ma:
	.zero	2304
	.type	items, @object
	.size	items, 4096
items:
	.zero	4096
	.section	.rodata
	.align	3
	.set	.LANCHOR1,. + 0
	.type	alphabet.0, @object
	.size	alphabet.0, 19
alphabet.0:
	.string	"0123456789+-.eE, x"
	.section	.sdata,"aw"
	.align	3
	.type	iterations, @object
	.size	iterations, 8
iterations:
	.dword	300
	.ident	"GCC: (12.2.0-14+deb12u1+11+b2) 12.2.0"
