//! Helpers shared by the hart tests: programs built with `isa::encode`.
#![allow(dead_code)]

use cpu::hart::{Exit, Hart, NoDevices, Priv, RAM_BASE};
use cpu::isa::{encode, Insn, Op};
use cpu::trap::Exception;

pub const RAM: u64 = 1 << 20;
/// Where test programs start.
pub const CODE: u64 = RAM_BASE;

/// A program under construction: one word per instruction.
#[derive(Default, Clone)]
pub struct Asm {
    pub words: Vec<u32>,
}

impl Asm {
    pub fn new() -> Asm {
        Asm::default()
    }
    /// Address of the next instruction, relative to the start.
    pub fn here(&self) -> i32 {
        4 * self.words.len() as i32
    }
    pub fn insn(&mut self, op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> &mut Self {
        self.words.push(encode(&Insn::new(op, rd, rs1, rs2, imm)));
        self
    }
    pub fn r(&mut self, op: Op, rd: u8, rs1: u8, rs2: u8) -> &mut Self {
        self.insn(op, rd, rs1, rs2, 0)
    }
    pub fn i(&mut self, op: Op, rd: u8, rs1: u8, imm: i32) -> &mut Self {
        self.insn(op, rd, rs1, 0, imm)
    }
    /// `op rs2, imm(rs1)` for stores.
    pub fn s(&mut self, op: Op, rs2: u8, rs1: u8, imm: i32) -> &mut Self {
        self.insn(op, 0, rs1, rs2, imm)
    }
    pub fn b(&mut self, op: Op, rs1: u8, rs2: u8, offset: i32) -> &mut Self {
        self.insn(op, 0, rs1, rs2, offset)
    }
    pub fn csr(&mut self, op: Op, rd: u8, csr: u16, rs1: u8) -> &mut Self {
        self.insn(op, rd, rs1, 0, csr as i32)
    }
    pub fn sys(&mut self, op: Op) -> &mut Self {
        self.insn(op, 0, 0, 0, 0)
    }
    pub fn word(&mut self, w: u32) -> &mut Self {
        self.words.push(w);
        self
    }
    /// Loads any 64-bit constant (lui/addi pairs and shifts).
    pub fn li(&mut self, rd: u8, v: u64) -> &mut Self {
        let v = v as i64;
        if v == (v as i32) as i64 {
            let lo = ((v << 52) >> 52) as i32;
            let hi = (v as i32).wrapping_sub(lo);
            if hi != 0 {
                self.insn(Op::Lui, rd, 0, 0, hi);
                if lo != 0 {
                    self.i(Op::Addiw, rd, rd, lo);
                }
            } else {
                self.i(Op::Addi, rd, 0, lo);
            }
            return self;
        }
        let lo = ((v << 52) >> 52) as i32;
        let rest = (v - lo as i64) >> 12;
        let shift = rest.trailing_zeros().min(40);
        self.li(rd, (rest >> shift) as u64);
        self.i(Op::Slli, rd, rd, 12 + shift as i32);
        if lo != 0 {
            self.i(Op::Addi, rd, rd, lo);
        }
        self
    }
    pub fn bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }
}

/// A hart with the program at `CODE`, pc there, in S-mode, nothing delegated.
pub fn hart_with(asm: &Asm) -> Hart {
    let mut h = Hart::new(RAM);
    assert!(h.write_phys(CODE, &asm.bytes()));
    h.pc = CODE;
    h.privilege = Priv::Supervisor;
    h
}

/// Delegation as the native SEE sets it.
pub fn delegate_like_native(h: &mut Hart) {
    h.csr.medeleg = 0xffff & !(1 << 9) & !(1 << 11);
    h.csr.mideleg = cpu::csr::S_INTERRUPTS;
}

pub fn run(h: &mut Hart, budget: u64) -> Exit {
    h.run(&mut NoDevices, budget)
}

/// Runs to the first exit that is not `BudgetExhausted`.
pub fn run_to_exit(h: &mut Hart) -> Exit {
    run(h, 10_000_000)
}

pub fn exc(cause: Exception, tval: u64) -> Exit {
    Exit::Trap(cpu::trap::Trap::Exception { cause, tval })
}

/// An `ecall` (from S) that ends the program: the test's "halt".
pub const HALT: Exit = Exit::Trap(cpu::trap::Trap::Exception {
    cause: Exception::EcallFromS,
    tval: 0,
});

pub fn read_u64(h: &Hart, pa: u64) -> u64 {
    let mut b = [0u8; 8];
    assert!(h.read_phys(pa, &mut b));
    u64::from_le_bytes(b)
}

pub fn write_u64(h: &mut Hart, pa: u64, v: u64) {
    assert!(h.write_phys(pa, &v.to_le_bytes()));
}
