//! A small x86-64 encoder: just the instructions the translator emits, each
//! spelled as the Intel SDM's opcode tables give it (volume 2, "Instruction
//! Set Reference"). Memory operands always carry a displacement (`disp8` or
//! `disp32`), which sidesteps the special cases of `mod = 00` with `rbp` and
//! `r13`; a base of `rsp` or `r12` takes the SIB byte it needs.

/// A general-purpose register, numbered as in ModRM/SIB (8-15 need REX).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum R {
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rbx = 3,
    Rsp = 4,
    Rbp = 5,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
    R12 = 12,
    R13 = 13,
    R14 = 14,
    R15 = 15,
}

impl R {
    fn low(self) -> u8 {
        self as u8 & 7
    }
    fn high(self) -> bool {
        self as u8 >= 8
    }
}

/// A memory operand `[base + index * scale + disp]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mem {
    base: R,
    index: Option<(R, u8)>,
    disp: i32,
}

/// `[base + disp]`.
pub(crate) fn at(base: R, disp: i32) -> Mem {
    Mem {
        base,
        index: None,
        disp,
    }
}

/// `[base + index * scale + disp]` (`scale` 1, 2, 4 or 8; `index` not `rsp`).
pub(crate) fn at_index(base: R, index: R, scale: u8, disp: i32) -> Mem {
    debug_assert!(index != R::Rsp && matches!(scale, 1 | 2 | 4 | 8));
    Mem {
        base,
        index: Some((index, scale)),
        disp,
    }
}

/// Operand size of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum W {
    /// 32-bit operands (the result zero-extends into the 64-bit register).
    D,
    /// 64-bit operands (REX.W).
    Q,
}

/// The condition codes of `jcc` and `setcc` (the low nibble of the opcode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Cond {
    /// Unsigned below.
    B = 0x2,
    /// Unsigned above or equal.
    Ae = 0x3,
    E = 0x4,
    Ne = 0x5,
    /// Unsigned below or equal.
    Be = 0x6,
    /// Unsigned above.
    A = 0x7,
    /// Signed less.
    L = 0xc,
    /// Signed greater or equal.
    Ge = 0xd,
}

impl Cond {
    /// The opposite condition.
    pub(crate) fn not(self) -> Cond {
        match self {
            Cond::B => Cond::Ae,
            Cond::Ae => Cond::B,
            Cond::E => Cond::Ne,
            Cond::Ne => Cond::E,
            Cond::Be => Cond::A,
            Cond::A => Cond::Be,
            Cond::L => Cond::Ge,
            Cond::Ge => Cond::L,
        }
    }
}

/// The two-operand ALU operations of the `03`/`81 /n` families: the ModRM
/// `reg` extension of the immediate form, and the `r, r/m` opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alu {
    Add,
    Or,
    And,
    Sub,
    Xor,
    Cmp,
}

impl Alu {
    fn ext(self) -> u8 {
        match self {
            Alu::Add => 0,
            Alu::Or => 1,
            Alu::And => 4,
            Alu::Sub => 5,
            Alu::Xor => 6,
            Alu::Cmp => 7,
        }
    }
    fn rm_opcode(self) -> u8 {
        self.ext() << 3 | 0x3
    }
}

/// The shifts of the `C1 /n` and `D3 /n` families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shift {
    Rol = 0,
    Shl = 4,
    Shr = 5,
    Sar = 7,
}

/// An emitted `jcc rel32` or `jmp rel32` whose target is patched later: the
/// offset of its 4-byte displacement.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixup(pub usize);

/// Machine code being emitted.
#[derive(Default)]
pub(crate) struct Asm {
    pub code: Vec<u8>,
}

impl Asm {
    pub(crate) fn len(&self) -> usize {
        self.code.len()
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.code.extend_from_slice(b);
    }

    fn rex(&mut self, w: bool, reg: u8, mem: Option<Mem>, rm: Option<R>, force: bool) {
        let r = reg >= 8;
        let (x, b) = match (mem, rm) {
            (Some(m), _) => (m.index.is_some_and(|(i, _)| i.high()), m.base.high()),
            (None, Some(rm)) => (false, rm.high()),
            (None, None) => (false, false),
        };
        if w || r || x || b || force {
            self.byte(0x40 | (w as u8) << 3 | (r as u8) << 2 | (x as u8) << 1 | b as u8);
        }
    }

    /// ModRM (+ SIB + displacement) for register field `reg` and `m`.
    fn modrm_mem(&mut self, reg: u8, m: Mem) {
        let short = i8::try_from(m.disp).is_ok();
        let md = if short { 0b01 } else { 0b10 };
        match m.index {
            Some((index, scale)) => {
                let ss = scale.trailing_zeros() as u8;
                self.byte(md << 6 | (reg & 7) << 3 | 0b100);
                self.byte(ss << 6 | index.low() << 3 | m.base.low());
            }
            None if m.base.low() == 0b100 => {
                self.byte(md << 6 | (reg & 7) << 3 | 0b100);
                self.byte(0b00_100_100);
            }
            None => self.byte(md << 6 | (reg & 7) << 3 | m.base.low()),
        }
        if short {
            self.byte(m.disp as i8 as u8);
        } else {
            self.bytes(&m.disp.to_le_bytes());
        }
    }

    /// `opcode reg, m` (or `opcode m, reg`, by the opcode's direction).
    fn op_mem(&mut self, w: W, opcode: &[u8], reg: u8, m: Mem) {
        self.op_mem_rex(w, opcode, reg, m, false);
    }

    fn op_mem_rex(&mut self, w: W, opcode: &[u8], reg: u8, m: Mem, force: bool) {
        self.rex(w == W::Q, reg, Some(m), None, force);
        self.bytes(opcode);
        self.modrm_mem(reg, m);
    }

    /// `opcode reg, rm` with both operands registers.
    fn op_reg(&mut self, w: W, opcode: &[u8], reg: u8, rm: R) {
        self.rex(w == W::Q, reg, None, Some(rm), false);
        self.bytes(opcode);
        self.byte(0xc0 | (reg & 7) << 3 | rm.low());
    }

    /// `mov dst, m`.
    pub(crate) fn load(&mut self, w: W, dst: R, m: Mem) {
        self.op_mem(w, &[0x8b], dst as u8, m);
    }

    /// `mov m, src`.
    pub(crate) fn store(&mut self, w: W, m: Mem, src: R) {
        self.op_mem(w, &[0x89], src as u8, m);
    }

    /// `mov word m, src` (16 bits).
    pub(crate) fn store16(&mut self, m: Mem, src: R) {
        self.byte(0x66);
        self.op_mem(W::D, &[0x89], src as u8, m);
    }

    /// `mov byte m, src` (REX always, so that `src` 4-7 is `spl`-`dil`).
    pub(crate) fn store8(&mut self, m: Mem, src: R) {
        self.op_mem_rex(W::D, &[0x88], src as u8, m, true);
    }

    /// `movsx dst, byte m` (to 64 bits).
    pub(crate) fn load_i8(&mut self, dst: R, m: Mem) {
        self.op_mem(W::Q, &[0x0f, 0xbe], dst as u8, m);
    }

    /// `movzx dst, byte m`.
    pub(crate) fn load_u8(&mut self, dst: R, m: Mem) {
        self.op_mem(W::D, &[0x0f, 0xb6], dst as u8, m);
    }

    /// `movsx dst, word m` (to 64 bits).
    pub(crate) fn load_i16(&mut self, dst: R, m: Mem) {
        self.op_mem(W::Q, &[0x0f, 0xbf], dst as u8, m);
    }

    /// `movzx dst, word m`.
    pub(crate) fn load_u16(&mut self, dst: R, m: Mem) {
        self.op_mem(W::D, &[0x0f, 0xb7], dst as u8, m);
    }

    /// `movsxd dst, dword m`.
    pub(crate) fn load_i32(&mut self, dst: R, m: Mem) {
        self.op_mem(W::Q, &[0x63], dst as u8, m);
    }

    /// `movsxd dst, src` (the low 32 bits of `src`, sign-extended).
    pub(crate) fn sext32(&mut self, dst: R, src: R) {
        self.op_reg(W::Q, &[0x63], dst as u8, src);
    }

    /// `mov dst, src`.
    pub(crate) fn mov(&mut self, w: W, dst: R, src: R) {
        self.op_reg(w, &[0x8b], dst as u8, src);
    }

    /// `mov qword m, imm` (the immediate sign-extended to 64 bits).
    pub(crate) fn store_imm(&mut self, m: Mem, imm: i32) {
        self.op_mem(W::Q, &[0xc7], 0, m);
        self.bytes(&imm.to_le_bytes());
    }

    /// `mov dst, imm` with the shortest encoding of the 64-bit value.
    pub(crate) fn mov_imm(&mut self, dst: R, imm: u64) {
        if let Ok(v) = u32::try_from(imm) {
            // `mov r32, imm32` zero-extends.
            self.rex(false, 0, None, Some(dst), false);
            self.byte(0xb8 + dst.low());
            self.bytes(&v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(imm as i64) {
            self.op_reg(W::Q, &[0xc7], 0, dst);
            self.bytes(&v.to_le_bytes());
        } else {
            self.rex(true, 0, None, Some(dst), false);
            self.byte(0xb8 + dst.low());
            self.bytes(&imm.to_le_bytes());
        }
    }

    /// `lea dst, m`.
    pub(crate) fn lea(&mut self, dst: R, m: Mem) {
        self.op_mem(W::Q, &[0x8d], dst as u8, m);
    }

    /// `op dst, m`.
    pub(crate) fn alu_mem(&mut self, w: W, op: Alu, dst: R, m: Mem) {
        self.op_mem(w, &[op.rm_opcode()], dst as u8, m);
    }

    /// `op dst, src`.
    pub(crate) fn alu_reg(&mut self, w: W, op: Alu, dst: R, src: R) {
        self.op_reg(w, &[op.rm_opcode()], dst as u8, src);
    }

    /// `op dst, imm` (the immediate sign-extended to the operand size).
    pub(crate) fn alu_imm(&mut self, w: W, op: Alu, dst: R, imm: i32) {
        if let Ok(v) = i8::try_from(imm) {
            self.op_reg(w, &[0x83], op.ext(), dst);
            self.byte(v as u8);
        } else {
            self.op_reg(w, &[0x81], op.ext(), dst);
            self.bytes(&imm.to_le_bytes());
        }
    }

    /// `shift dst, imm`.
    pub(crate) fn shift_imm(&mut self, w: W, op: Shift, dst: R, imm: u8) {
        self.op_reg(w, &[0xc1], op as u8, dst);
        self.byte(imm);
    }

    /// `shift dst, cl` (the count masked to 31 or 63 by the operand size).
    pub(crate) fn shift_cl(&mut self, w: W, op: Shift, dst: R) {
        self.op_reg(w, &[0xd3], op as u8, dst);
    }

    /// `imul dst, m`.
    pub(crate) fn imul_mem(&mut self, w: W, dst: R, m: Mem) {
        self.op_mem(w, &[0x0f, 0xaf], dst as u8, m);
    }

    /// `imul dst, src` (the low half).
    pub(crate) fn imul_reg(&mut self, w: W, dst: R, src: R) {
        self.op_reg(w, &[0x0f, 0xaf], dst as u8, src);
    }

    /// `mul src` (`rdx:rax = rax * src`, unsigned, 64 bits).
    pub(crate) fn mul_wide_reg(&mut self, src: R) {
        self.op_reg(W::Q, &[0xf7], 4, src);
    }

    /// `imul src` (`rdx:rax = rax * src`, signed, 64 bits).
    pub(crate) fn imul_wide_reg(&mut self, src: R) {
        self.op_reg(W::Q, &[0xf7], 5, src);
    }

    /// `mul qword m` (`rdx:rax = rax * m`, unsigned).
    pub(crate) fn mul_wide(&mut self, m: Mem) {
        self.op_mem(W::Q, &[0xf7], 4, m);
    }

    /// `imul qword m` (`rdx:rax = rax * m`, signed).
    pub(crate) fn imul_wide(&mut self, m: Mem) {
        self.op_mem(W::Q, &[0xf7], 5, m);
    }

    /// `div src` (unsigned; `rdx:rax` or `edx:eax` by `src`).
    pub(crate) fn div(&mut self, w: W, src: R) {
        self.op_reg(w, &[0xf7], 6, src);
    }

    /// `idiv src` (signed).
    pub(crate) fn idiv(&mut self, w: W, src: R) {
        self.op_reg(w, &[0xf7], 7, src);
    }

    /// `neg dst`.
    pub(crate) fn neg(&mut self, w: W, dst: R) {
        self.op_reg(w, &[0xf7], 3, dst);
    }

    /// `cqo` (`W::Q`) or `cdq` (`W::D`): sign-extend `rax` into `rdx`.
    pub(crate) fn sign_extend_rdx(&mut self, w: W) {
        if w == W::Q {
            self.byte(0x48);
        }
        self.byte(0x99);
    }

    /// `test dst, src`.
    pub(crate) fn test(&mut self, w: W, dst: R, src: R) {
        self.op_reg(w, &[0x85], src as u8, dst);
    }

    /// `setcc al; movzx eax, al`: `rax` = the condition, 0 or 1.
    pub(crate) fn set_rax(&mut self, cc: Cond) {
        self.bytes(&[0x0f, 0x90 | cc as u8, 0xc0, 0x0f, 0xb6, 0xc0]);
    }

    /// `jcc rel32` to a target patched later.
    pub(crate) fn jcc(&mut self, cc: Cond) -> Fixup {
        self.bytes(&[0x0f, 0x80 | cc as u8]);
        self.rel32_placeholder()
    }

    /// `jmp rel32` to a target patched later.
    pub(crate) fn jmp(&mut self) -> Fixup {
        self.byte(0xe9);
        self.rel32_placeholder()
    }

    /// `jmp qword m` (indirect).
    pub(crate) fn jmp_mem(&mut self, m: Mem) {
        self.op_mem(W::D, &[0xff], 4, m);
    }

    fn rel32_placeholder(&mut self) -> Fixup {
        let f = Fixup(self.code.len());
        self.bytes(&[0; 4]);
        f
    }

    /// Points `f` at offset `target` of this code.
    /// (`target` may lie before this code: the shared entry and exit
    /// code sit before every translated page in the code buffer.)
    pub(crate) fn patch(&mut self, f: Fixup, target: i64) {
        let rel = target - (f.0 as i64 + 4);
        let rel = i32::try_from(rel).expect("code is far smaller than 2 GiB");
        self.code[f.0..f.0 + 4].copy_from_slice(&rel.to_le_bytes());
    }

    /// `push r`.
    pub(crate) fn push(&mut self, r: R) {
        self.rex(false, 0, None, Some(r), false);
        self.byte(0x50 + r.low());
    }

    /// `pop r`.
    pub(crate) fn pop(&mut self, r: R) {
        self.rex(false, 0, None, Some(r), false);
        self.byte(0x58 + r.low());
    }

    /// `ret`.
    pub(crate) fn ret(&mut self) {
        self.byte(0xc3);
    }

    /// No-operations (the long forms Intel's manual recommends, at most 9
    /// bytes each) until the code placed at offset `base` reaches a
    /// multiple of `align` bytes.
    pub(crate) fn align(&mut self, base: usize, align: usize) {
        const NOPS: [&[u8]; 9] = [
            &[0x90],
            &[0x66, 0x90],
            &[0x0f, 0x1f, 0x00],
            &[0x0f, 0x1f, 0x40, 0x00],
            &[0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00],
            &[0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
            &[0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
        ];
        let mut n = (align - (base + self.len()) % align) % align;
        while n > 0 {
            let k = n.min(NOPS.len());
            self.bytes(NOPS[k - 1]);
            n -= k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes `f` emits.
    fn enc(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut a = Asm::default();
        f(&mut a);
        a.code
    }

    /// `align` pads with whole no-operations to the next multiple, from any
    /// offset and placement, and pads nothing at a multiple.
    #[test]
    fn align_pads_with_no_operations_to_the_boundary() {
        for base in 0..32 {
            for before in 0..40 {
                let mut a = Asm::default();
                a.bytes(&vec![0xcc; before]);
                a.align(base, 16);
                assert_eq!((base + a.len()) % 16, 0);
                let mut pad = &a.code[before..];
                assert!(pad.len() < 16);
                // Each piece is one of the forms: 0x90, or an optional
                // 0x66 and 0f 1f /0 whose length its ModRM gives.
                while !pad.is_empty() {
                    let n = match pad {
                        [0x90, ..] => 1,
                        [0x66, 0x90, ..] => 2,
                        [0x66, 0x0f, 0x1f, m, ..] => 1 + nop_len(*m),
                        [0x0f, 0x1f, m, ..] => nop_len(*m),
                        _ => panic!("not a no-operation: {pad:02x?}"),
                    };
                    assert!(n <= pad.len(), "{pad:02x?}");
                    pad = &pad[n..];
                }
            }
        }
    }

    /// The length of `0f 1f` with ModRM `m` (and the SIB and displacement
    /// the forms `align` uses).
    fn nop_len(m: u8) -> usize {
        match m {
            0x00 => 3,
            0x40 => 4,
            0x44 => 5,
            0x80 => 7,
            0x84 => 8,
            _ => panic!("ModRM {m:02x}"),
        }
    }

    // Expected bytes: GNU as 2.40's encoding of the instruction in each
    // comment (`as --64`, `objdump -d -M intel`), except where this encoder
    // takes a `disp8` of 0 or the generic `81 /0` form; those bytes were
    // checked by disassembling them with objdump to the same instruction.
    #[test]
    fn memory_operands_pick_displacement_and_sib() {
        // mov rax, [rbx+0x10]
        assert_eq!(
            enc(|a| a.load(W::Q, R::Rax, at(R::Rbx, 0x10))),
            [0x48, 0x8b, 0x43, 0x10]
        );
        // mov rax, [rbx+0x80]
        assert_eq!(
            enc(|a| a.load(W::Q, R::Rax, at(R::Rbx, 0x80))),
            [0x48, 0x8b, 0x83, 0x80, 0, 0, 0]
        );
        // mov rcx, [rbp+0x0]
        assert_eq!(
            enc(|a| a.load(W::Q, R::Rcx, at(R::Rbp, 0))),
            [0x48, 0x8b, 0x4d, 0x00]
        );
        // mov r15, [r12+0x8]
        assert_eq!(
            enc(|a| a.load(W::Q, R::R15, at(R::R12, 8))),
            [0x4d, 0x8b, 0x7c, 0x24, 0x08]
        );
        // mov eax, [r12+rax*1+0x0]
        assert_eq!(
            enc(|a| a.load(W::D, R::Rax, at_index(R::R12, R::Rax, 1, 0))),
            [0x41, 0x8b, 0x44, 0x04, 0x00]
        );
        // cmp rdx, [r13+rcx*1+0x0]
        assert_eq!(
            enc(|a| a.alu_mem(W::Q, Alu::Cmp, R::Rdx, at_index(R::R13, R::Rcx, 1, 0))),
            [0x49, 0x3b, 0x54, 0x0d, 0x00]
        );
        // jmp qword [rax+rsi*8+0x0]
        assert_eq!(
            enc(|a| a.jmp_mem(at_index(R::Rax, R::Rsi, 8, 0))),
            [0xff, 0x64, 0xf0, 0x00]
        );
        // mov byte [r12+rax*1+0x0], dl
        assert_eq!(
            enc(|a| a.store8(at_index(R::R12, R::Rax, 1, 0), R::Rdx)),
            [0x41, 0x88, 0x54, 0x04, 0x00]
        );
        // mov word [r12+rax*1+0x0], dx
        assert_eq!(
            enc(|a| a.store16(at_index(R::R12, R::Rax, 1, 0), R::Rdx)),
            [0x66, 0x41, 0x89, 0x54, 0x04, 0x00]
        );
    }

    #[test]
    fn immediates_take_their_short_forms() {
        // add rax, 0x7f / add rax, 0x80
        assert_eq!(
            enc(|a| a.alu_imm(W::Q, Alu::Add, R::Rax, 0x7f)),
            [0x48, 0x83, 0xc0, 0x7f]
        );
        assert_eq!(
            enc(|a| a.alu_imm(W::Q, Alu::Add, R::Rax, 0x80)),
            [0x48, 0x81, 0xc0, 0x80, 0, 0, 0]
        );
        // cmp r15, 0x400
        assert_eq!(
            enc(|a| a.alu_imm(W::Q, Alu::Cmp, R::R15, 0x400)),
            [0x49, 0x81, 0xff, 0x00, 0x04, 0, 0]
        );
        // mov eax, 0x12345678 / mov rax, -2 / movabs rax, 0x123456789
        assert_eq!(
            enc(|a| a.mov_imm(R::Rax, 0x1234_5678)),
            [0xb8, 0x78, 0x56, 0x34, 0x12]
        );
        assert_eq!(
            enc(|a| a.mov_imm(R::Rax, -2i64 as u64)),
            [0x48, 0xc7, 0xc0, 0xfe, 0xff, 0xff, 0xff]
        );
        assert_eq!(
            enc(|a| a.mov_imm(R::Rcx, 0x1_2345_6789)),
            [0x48, 0xb9, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0]
        );
        // mov qword [rbx+0xf8], -1
        assert_eq!(
            enc(|a| a.store_imm(at(R::Rbx, 0xf8), -1)),
            [0x48, 0xc7, 0x83, 0xf8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]
        );
    }

    #[test]
    fn arithmetic_and_control() {
        // movsxd rax, eax / shl eax, cl / sar rax, 0x3f
        assert_eq!(enc(|a| a.sext32(R::Rax, R::Rax)), [0x48, 0x63, 0xc0]);
        assert_eq!(enc(|a| a.shift_cl(W::D, Shift::Shl, R::Rax)), [0xd3, 0xe0]);
        assert_eq!(
            enc(|a| a.shift_imm(W::Q, Shift::Sar, R::Rax, 63)),
            [0x48, 0xc1, 0xf8, 0x3f]
        );
        // imul rax, [rbx+0x8] / mul qword [rbx+0x8] / idiv rcx / div ecx
        assert_eq!(
            enc(|a| a.imul_mem(W::Q, R::Rax, at(R::Rbx, 8))),
            [0x48, 0x0f, 0xaf, 0x43, 0x08]
        );
        assert_eq!(enc(|a| a.mul_wide(at(R::Rbx, 8))), [0x48, 0xf7, 0x63, 0x08]);
        assert_eq!(enc(|a| a.idiv(W::Q, R::Rcx)), [0x48, 0xf7, 0xf9]);
        assert_eq!(enc(|a| a.div(W::D, R::Rcx)), [0xf7, 0xf1]);
        // setl al; movzx eax, al
        assert_eq!(
            enc(|a| a.set_rax(Cond::L)),
            [0x0f, 0x9c, 0xc0, 0x0f, 0xb6, 0xc0]
        );
        // lea r15, [r15+rcx*1-0x5]
        assert_eq!(
            enc(|a| a.lea(R::R15, at_index(R::R15, R::Rcx, 1, -5))),
            [0x4d, 0x8d, 0x7c, 0x0f, 0xfb]
        );
        // imul r8, r10 / rol r8, 0x1d
        assert_eq!(
            enc(|a| a.imul_reg(W::Q, R::R8, R::R10)),
            [0x4d, 0x0f, 0xaf, 0xc2]
        );
        assert_eq!(
            enc(|a| a.shift_imm(W::Q, Shift::Rol, R::R8, 29)),
            [0x49, 0xc1, 0xc0, 0x1d]
        );
        // push r15 / pop rbx
        assert_eq!(enc(|a| a.push(R::R15)), [0x41, 0x57]);
        assert_eq!(enc(|a| a.pop(R::Rbx)), [0x5b]);
    }

    #[test]
    fn jumps_patch_to_their_target() {
        let mut a = Asm::default();
        let f = a.jcc(Cond::Ne);
        let g = a.jmp();
        a.patch(f, 0);
        a.patch(g, 11);
        // jne .-6 (to offset 0) ; jmp .+0 (to offset 11)
        assert_eq!(
            a.code,
            [0x0f, 0x85, 0xfa, 0xff, 0xff, 0xff, 0xe9, 0, 0, 0, 0]
        );
    }
}
