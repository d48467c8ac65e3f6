# gcc-rv64imac.s: GCC 12 output for tests/c-guests/lists.c with
# -O2 -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany (compressed
# instructions chosen by GNU as from its `.attribute arch`), and a _start.
	.file	"lists.c"
	.option nopic
	.attribute arch, "rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0"
	.attribute unaligned_access, 0
	.attribute stack_align, 16
	.text
	.section	.rodata.str1.8,"aMS",@progbits,1
	.align	3
.LC0:
	.string	"0123456789abcdef"
	.text
	.align	1
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
	.align	1
	.type	sort_list, @function
sort_list:
	addi	sp,sp,-16
	sd	zero,8(sp)
	beq	a0,zero,.L18
	li	a5,0
	ld	a1,0(a0)
	beq	a5,zero,.L19
.L25:
	lw	a2,8(a0)
	addi	a3,sp,8
	j	.L14
.L15:
	mv	a3,a5
	ld	a5,0(a5)
	beq	a5,zero,.L13
.L14:
	lw	a4,8(a5)
	bltu	a4,a2,.L15
.L13:
	sd	a5,0(a0)
	sd	a0,0(a3)
	beq	a1,zero,.L24
.L16:
	ld	a5,8(sp)
	mv	a0,a1
	ld	a1,0(a0)
	bne	a5,zero,.L25
.L19:
	addi	a3,sp,8
	sd	a5,0(a0)
	sd	a0,0(a3)
	bne	a1,zero,.L16
.L24:
	ld	a0,8(sp)
	addi	sp,sp,16
	jr	ra
.L18:
	li	a0,0
	addi	sp,sp,16
	jr	ra
	.size	sort_list, .-sort_list
	.align	1
	.type	divs, @function
divs:
	mv	a1,a0
	sext.w	a6,a0
	li	a5,1
	li	a0,0
	li	t1,2000
.L27:
	rem	a2,a1,a5
	sext.w	a4,a5
	ori	a4,a4,1
	div	a3,a1,a5
	remw	a7,a6,a5
	add	a3,a3,a2
	add	a3,a3,a0
	divu	a2,a1,a5
	divw	a4,a6,a4
	xor	a3,a2,a3
	remuw	a0,a6,a5
	addi	a5,a5,1
	slli	a0,a0,32
	srli	a0,a0,32
	add	a0,a0,a7
	add	a0,a0,a4
	add	a0,a0,a3
	bne	a5,t1,.L27
	ret
	.size	divs, .-divs
	.section	.rodata.str1.8
	.align	3
.LC1:
	.string	"12.5 abc 7 3.14x 99 1.0 zz 42.42 "
	.text
	.align	1
	.type	state_machine.constprop.0, @function
state_machine.constprop.0:
	lla	a3,.LC1
	li	a0,0
	li	a4,49
	li	a5,0
	li	a2,3
	li	a7,9
	li	t3,32
	li	a6,4
	li	a1,1
	li	t1,46
.L37:
	beq	a5,a2,.L30
	bgt	a5,a2,.L31
	beq	a5,zero,.L32
	bne	a5,a1,.L34
	beq	a4,t1,.L39
	addiw	a4,a4,-48
	andi	a4,a4,0xff
	bleu	a4,a7,.L36
	addiw	a0,a0,1
	li	a5,2
.L36:
	lbu	a4,1(a3)
	addi	a3,a3,1
	bne	a4,zero,.L37
	ret
.L31:
	bne	a5,a6,.L34
	addiw	a4,a4,-48
	andi	a4,a4,0xff
	bleu	a4,a7,.L36
	addiw	a0,a0,2
	li	a5,0
	j	.L36
.L30:
	addiw	a4,a4,-48
	andi	a4,a4,0xff
	li	a5,2
	bgtu	a4,a7,.L36
	li	a5,4
	j	.L36
.L34:
	bne	a4,t3,.L36
	li	a5,0
	j	.L36
.L32:
	addiw	a4,a4,-48
	andi	a4,a4,0xff
	sgtu	a5,a4,a7
	addi	a5,a5,1
	j	.L36
.L39:
	li	a5,3
	j	.L36
	.size	state_machine.constprop.0, .-state_machine.constprop.0
	.align	1
	.type	crc32.constprop.0, @function
crc32.constprop.0:
	not	a4,a1
	beq	a0,zero,.L47
	lla	a1,kv
	li	a2,-306675712
	add	a0,a0,a1
	addi	a2,a2,800
.L46:
	lbu	a5,0(a1)
	li	a3,8
	xor	a4,a4,a5
.L45:
	andi	a5,a4,1
	negw	a5,a5
	srliw	a4,a4,1
	and	a5,a5,a2
	xor	a5,a5,a4
	addiw	a3,a3,-1
	sext.w	a4,a5
	bne	a3,zero,.L45
	addi	a1,a1,1
	bne	a1,a0,.L46
	not	a0,a4
	ret
.L47:
	mv	a0,a1
	ret
	.size	crc32.constprop.0, .-crc32.constprop.0
	.align	1
	.type	matmul.constprop.0, @function
matmul.constprop.0:
	addi	sp,sp,-16
	sd	s0,8(sp)
	lla	s0,seed
	lw	a5,0(s0)
	lla	t4,b.1
	lla	a0,a.2+96
	li	t5,1103515648
	li	a7,12288
	lla	t1,a.2
	lla	t3,a.2+3168
	mv	t0,a0
	mv	t2,t4
	addiw	t5,t5,-403
	addiw	a7,a7,57
	li	t6,100
.L51:
	addi	a2,t0,-96
	mv	a6,t2
.L52:
	mulw	a5,a5,t5
	addi	a2,a2,4
	addi	a6,a6,4
	addw	a5,a5,a7
	mulw	a3,a5,t5
	srliw	a5,a5,8
	addw	a3,a3,a7
	srliw	a4,a3,8
	remuw	a1,a5,t6
	sext.w	a5,a3
	remuw	a4,a4,t6
	addiw	a1,a1,-50
	sw	a1,-4(a2)
	addiw	a4,a4,-50
	sw	a4,-4(a6)
	bne	a2,t0,.L52
	addi	t0,a2,128
	addi	t2,t2,128
	bne	t0,t3,.L51
	sw	a3,0(s0)
	lla	t6,c.0
	lla	t5,b.1+96
.L56:
	mv	a6,t4
	mv	a7,t6
.L58:
	mv	a3,a6
	mv	a4,t1
	li	a2,0
.L54:
	lw	a1,0(a4)
	lw	a5,0(a3)
	addi	a4,a4,4
	addi	a3,a3,128
	mulw	a5,a5,a1
	addw	a2,a5,a2
	bne	a0,a4,.L54
	sw	a2,0(a7)
	addi	a6,a6,4
	addi	a7,a7,4
	bne	t5,a6,.L58
	addi	a0,a0,128
	addi	t1,t1,128
	addi	t6,t6,128
	bne	a0,t3,.L56
	lla	a2,c.0+96
	lla	a1,c.0+3168
	li	a0,0
.L57:
	addi	a5,a2,-96
.L59:
	lw	a4,0(a5)
	slli	a3,a0,5
	sub	a0,a3,a0
	addi	a5,a5,4
	add	a0,a4,a0
	bne	a5,a2,.L59
	addi	a2,a5,128
	bne	a1,a2,.L57
	ld	s0,8(sp)
	addi	sp,sp,16
	jr	ra
	.size	matmul.constprop.0, .-matmul.constprop.0
	.align	1
	.type	build.constprop.0, @function
build.constprop.0:
	lla	t5,seed
	lw	a5,0(t5)
	li	t3,1103515648
	li	t1,12288
	li	a7,65536
	li	a6,-1
	lla	a4,pool
	li	a2,0
	li	a3,0
	addiw	t3,t3,-403
	addiw	t1,t1,57
	addi	a7,a7,-1
	srli	a6,a6,32
	li	t4,1500
.L67:
	mulw	a5,a5,t3
	slli	a0,a3,32
	sd	a2,0(a4)
	mv	a2,a4
	addi	a4,a4,16
	addiw	a3,a3,1
	addw	a1,a5,t1
	srliw	a5,a1,8
	and	a5,a5,a7
	and	a5,a5,a6
	or	a5,a5,a0
	sd	a5,-8(a4)
	sext.w	a5,a1
	bne	a3,t4,.L67
	sw	a1,0(t5)
	lla	a0,pool+23984
	ret
	.size	build.constprop.0, .-build.constprop.0
	.align	1
	.globl	memcpy
	.type	memcpy, @function
memcpy:
	beq	a2,zero,.L70
	add	a2,a0,a2
	mv	a5,a0
.L71:
	lbu	a4,0(a1)
	addi	a5,a5,1
	addi	a1,a1,1
	sb	a4,-1(a5)
	bne	a5,a2,.L71
.L70:
	ret
	.size	memcpy, .-memcpy
	.align	1
	.globl	memmove
	.type	memmove, @function
memmove:
	bltu	a0,a1,.L77
	addi	a5,a2,-1
	li	a6,-1
	beq	a2,zero,.L89
.L81:
	add	a4,a1,a5
	lbu	a3,0(a4)
	add	a4,a0,a5
	addi	a5,a5,-1
	sb	a3,0(a4)
	bne	a5,a6,.L81
.L83:
	ret
.L77:
	beq	a2,zero,.L83
	add	a2,a0,a2
	mv	a5,a0
.L80:
	lbu	a4,0(a1)
	addi	a5,a5,1
	addi	a1,a1,1
	sb	a4,-1(a5)
	bne	a2,a5,.L80
	ret
.L89:
	ret
	.size	memmove, .-memmove
	.align	1
	.globl	memset
	.type	memset, @function
memset:
	andi	a1,a1,0xff
	add	a4,a0,a2
	mv	a5,a0
	beq	a2,zero,.L96
.L92:
	addi	a5,a5,1
	sb	a1,-1(a5)
	bne	a5,a4,.L92
.L96:
	ret
	.size	memset, .-memset
	.align	1
	.globl	memcmp
	.type	memcmp, @function
memcmp:
	beq	a2,zero,.L101
	add	a2,a1,a2
	j	.L100
.L99:
	beq	a2,a1,.L101
.L100:
	lbu	a4,0(a0)
	lbu	a5,0(a1)
	addi	a0,a0,1
	addi	a1,a1,1
	beq	a4,a5,.L99
	li	a0,1
	bgeu	a4,a5,.L98
	li	a0,-1
	ret
.L101:
	li	a0,0
.L98:
	ret
	.size	memcmp, .-memcmp
	.section	.rodata.str1.8
	.align	3
.LC2:
	.string	"lists: "
	.align	3
.LC3:
	.string	" rounds\n"
	.align	3
.LC4:
	.string	"list"
	.align	3
.LC5:
	.string	"sorted"
	.align	3
.LC6:
	.string	"matmul"
	.align	3
.LC7:
	.string	"crc32"
	.align	3
.LC8:
	.string	"state"
	.align	3
.LC9:
	.string	"divide"
	.align	3
.LC10:
	.string	"total"
	.section	.text.startup,"ax",@progbits
	.align	1
	.globl	main
	.type	main, @function
main:
	addi	sp,sp,-128
	sd	s9,40(sp)
	li	s9,1
	sd	s1,104(sp)
	slli	s1,s9,40
	sd	s0,112(sp)
	sd	s2,96(sp)
	sd	s3,88(sp)
	sd	s4,80(sp)
	sd	s5,72(sp)
	sd	s6,64(sp)
	sd	s7,56(sp)
	sd	ra,120(sp)
	sd	s8,48(sp)
	li	s6,0
	li	s5,0
	li	s4,0
	li	s2,0
	li	s3,0
	li	s0,0
	addi	s1,s1,435
	li	s7,12
.L108:
	call	build.constprop.0
	call	sort_list
	beq	a0,zero,.L112
	lla	a3,kv
	li	a1,0
	li	a5,0
	li	a4,0
.L107:
	sext.w	a6,a4
	lw	a4,8(a0)
	slli	a2,a5,3
	sub	a5,a2,a5
	addiw	a2,a1,2
	bgeu	a4,a6,.L106
	li	s9,0
.L106:
	lwu	a6,12(a0)
	sw	a4,0(a3)
	lw	a1,12(a0)
	ld	a0,0(a0)
	add	a5,a6,a5
	sw	a1,4(a3)
	sext.w	a1,a2
	addi	a3,a3,8
	bne	a0,zero,.L107
	slliw	s8,a2,2
	xor	s0,s0,a5
.L105:
	mul	s0,s0,s1
	srli	a5,s0,29
	xor	s0,s0,a5
	call	matmul.constprop.0
	xor	a5,a0,s3
	mul	a5,a5,s1
	mv	a1,s6
	mv	a0,s8
	addiw	s6,s6,1
	srli	s3,a5,29
	xor	s3,a5,s3
	call	crc32.constprop.0
	slli	a5,a0,32
	srli	a5,a5,32
	xor	a5,a5,s2
	mul	a5,a5,s1
	xor	s8,s3,s0
	srli	s2,a5,29
	xor	s2,a5,s2
	call	state_machine.constprop.0
	xor	a5,a0,s4
	mul	a5,a5,s1
	xor	s8,s8,s2
	ori	a0,s8,1
	srli	s4,a5,29
	xor	s4,s4,a5
	call	divs
	xor	a0,a0,s5
	mul	a0,a0,s1
	srli	s5,a0,29
	xor	s5,s5,a0
	bne	s6,s7,.L108
	li	a4,108
	lla	a5,.LC2
	li	a3,268435456
.L109:
	addi	a5,a5,1
	sb	a4,0(a3)
	lbu	a4,0(a5)
	bne	a4,zero,.L109
	li	a5,50
	sb	a5,8(sp)
	li	a5,49
	sb	a5,0(a3)
	lbu	a2,8(sp)
	li	a4,32
	lla	a5,.LC3
	sb	a2,0(a3)
	li	a3,268435456
.L110:
	addi	a5,a5,1
	sb	a4,0(a3)
	lbu	a4,0(a5)
	bne	a4,zero,.L110
	mv	a1,s0
	lla	a0,.LC4
	call	report
	mv	a1,s9
	lla	a0,.LC5
	call	report
	mv	a1,s3
	lla	a0,.LC6
	call	report
	mv	a1,s2
	lla	a0,.LC7
	call	report
	mv	a1,s4
	lla	a0,.LC8
	call	report
	mv	a1,s5
	lla	a0,.LC9
	call	report
	xor	a1,s4,s5
	lla	a0,.LC10
	xor	a1,a1,s8
	call	report
	ld	ra,120(sp)
	ld	s0,112(sp)
	addi	a0,s9,-1
	ld	s1,104(sp)
	ld	s2,96(sp)
	ld	s3,88(sp)
	ld	s4,80(sp)
	ld	s5,72(sp)
	ld	s6,64(sp)
	ld	s7,56(sp)
	ld	s8,48(sp)
	ld	s9,40(sp)
	andi	a0,a0,3
	addi	sp,sp,128
	jr	ra
.L112:
	li	s8,0
	j	.L105
	.size	main, .-main
	.bss
	.align	3
	.type	c.0, @object
	.size	c.0, 4096
c.0:
	.zero	4096
	.type	b.1, @object
	.size	b.1, 4096
b.1:
	.zero	4096
	.type	a.2, @object
	.size	a.2, 4096
a.2:
	.zero	4096
	.type	kv, @object
	.size	kv, 32768
kv:
	.zero	32768
	.type	pool, @object
	.size	pool, 65536
pool:
	.zero	65536
	.section	.sdata,"aw"
	.align	2
	.type	seed, @object
	.size	seed, 4
seed:
	.word	12345
	.ident	"GCC: (12.2.0-14+deb12u1+11+b2) 12.2.0"
	.text
.globl _start
_start:
 call main
1: j 1b
