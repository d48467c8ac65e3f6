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
        // Upper 32 bits, then the lower 32 in 11/11/10-bit pieces.
        let lo = v as u32 as i32;
        self.li(rd, (v >> 32) as u64);
        for (shift, piece) in [
            (11, (lo >> 21) & 0x7ff),
            (11, (lo >> 10) & 0x7ff),
            (10, lo & 0x3ff),
        ] {
            self.i(Op::Slli, rd, rd, shift);
            if piece != 0 {
                self.i(Op::Ori, rd, rd, piece);
            }
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
    h.arch.pc = CODE;
    h.arch.core.privilege = Priv::Supervisor;
    h
}

/// Delegation as the native SEE sets it.
pub fn delegate_like_native(h: &mut Hart) {
    h.arch.core.csr.medeleg = 0xffff & !(1 << 9) & !(1 << 11);
    h.arch.core.csr.mideleg = cpu::csr::S_INTERRUPTS;
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

/// Where tests put a trap handler (a lone `ecall`, so that the test sees
/// `Exit::Trap(EcallFromS)` at `HANDLER` once the trap was entered).
pub const HANDLER: u64 = CODE + 0x1000;
/// Scratch data.
pub const DATA: u64 = CODE + 0x8000;
/// Page tables live here.
pub const PT: u64 = CODE + 0x80000;

/// A hart running `asm` in S-mode with traps delegated as natively and a
/// handler at `HANDLER` that stops the run.
pub fn hart_with_handler(asm: &Asm) -> Hart {
    let mut h = hart_with(asm);
    delegate_like_native(&mut h);
    let mut handler = Asm::new();
    handler.sys(Op::Ecall);
    assert!(h.write_phys(HANDLER, &handler.bytes()));
    h.arch.core.csr.stvec = HANDLER;
    h
}

/// Runs and expects the delegated trap to have reached `HANDLER`.
pub fn run_to_handler(h: &mut Hart) {
    assert_eq!(run_to_exit(h), HALT, "pc {:#x}", h.arch.pc);
    assert_eq!(h.arch.pc, HANDLER);
}

pub const V: u64 = 1;
pub const R: u64 = 2;
pub const W: u64 = 4;
pub const X: u64 = 8;
pub const U: u64 = 16;
pub const A: u64 = 64;
pub const D: u64 = 128;

/// A Sv39 page-table builder: tables are allocated from `PT` upwards.
pub struct Pages {
    pub root: u64,
    next: u64,
}

impl Pages {
    pub fn new(h: &mut Hart) -> Pages {
        let p = Pages {
            root: PT,
            next: PT + 0x1000,
        };
        assert!(h.write_phys(PT, &[0u8; 4096]));
        p
    }

    /// Maps `va` to `pa` with a leaf at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB).
    pub fn map(&mut self, h: &mut Hart, va: u64, pa: u64, flags: u64, level: u32) -> u64 {
        let mut table = self.root;
        for l in (level + 1..=2).rev() {
            let slot = table + ((va >> (12 + 9 * l)) & 0x1ff) * 8;
            let pte = read_u64(h, slot);
            if pte & V == 0 {
                let t = self.next;
                self.next += 0x1000;
                assert!(h.write_phys(t, &[0u8; 4096]));
                write_u64(h, slot, (t >> 12) << 10 | V);
                table = t;
            } else {
                table = (pte >> 10) << 12;
            }
        }
        let slot = table + ((va >> (12 + 9 * level)) & 0x1ff) * 8;
        write_u64(h, slot, (pa >> 12) << 10 | flags);
        slot
    }

    /// Turns Sv39 on with this root.
    pub fn enable(&self, h: &mut Hart) {
        h.arch.core.csr.satp = 8 << 60 | self.root >> 12;
        h.flush_tlb();
    }
}

/// How a hart runs its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Everything through the generic executor.
    Reference,
    /// The fast loop, without translation.
    Interpret,
    /// The fast loop, pages translated at their first entry.
    Translate,
}

pub const WAYS: [Way; 3] = [Way::Reference, Way::Interpret, Way::Translate];

/// Sets `h` to run its code `way`.
pub fn run_as(h: &mut Hart, way: Way) {
    h.set_reference_mode(way == Way::Reference);
    h.set_translation(way == Way::Translate);
    h.set_translation_warmup(1);
}

/// All of `h`'s RAM.
pub fn ram(h: &Hart) -> Vec<u8> {
    let r = h.ram_range();
    let mut buf = vec![0u8; (r.end - r.start) as usize];
    assert!(h.read_phys(r.start, &mut buf));
    buf
}
