//! Binary translation (`cpu/src/jit`) against the interpreter and the
//! reference executor: every operation the translator emits, its memory
//! accesses and their stops (misaligned, outside RAM, TLB misses), jumps and
//! branches within and out of the page, self-modifying code, Sv39 with
//! `satp` and page-table changes mid-run, and timer interrupts landing in a
//! translated loop. Each program runs three ways (reference, interpreted,
//! translated as soon as a page runs) and all three must agree on the exits
//! the host saw (with `pc` and `instret` at each), the registers, `pc`,
//! `instret`, the trace digest (where it is on), the CSRs and RAM.
mod common;
use common::*;
use cpu::csr::{SSTATUS_SIE, STIP, S_INTERRUPTS};
use cpu::hart::{Csrs, Digest, Exit, Hart, RAM_BASE};
use cpu::isa::{encode, Insn, Op};
use cpu::trap::{Exception, Trap};
use proptest::prelude::*;

/// What the host saw at one exit: the exit, `pc` and `instret`.
type Seen = (Exit, u64, u64);

/// How the test host answers exits.
#[derive(Clone, Debug)]
struct Host {
    /// The budget of each `run`.
    budget: u64,
    /// The `ecall` that ends the program.
    end: u64,
    /// Where to start again (once) when the program ends, with these
    /// values in `x1..`.
    restart: Option<(u64, Vec<u64>)>,
    /// Timer deadlines after each interrupt, relative to the time then.
    timer: Vec<u64>,
    /// The most `run`s.
    runs: usize,
}

impl Host {
    fn new(budget: u64, end: u64) -> Host {
        Host {
            budget,
            end,
            restart: None,
            timer: Vec::new(),
            runs: 64,
        }
    }
}

/// Drives a hart like a tolerant host: skips undelegated exceptions, takes
/// timer interrupts (and returns from the delegated ones that reached the
/// `ecall` at `HANDLER`), starts the program again where asked. Returns
/// what it saw.
fn drive(h: &mut Hart, host: &Host) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut restart = host.restart.as_ref();
    let mut timer = host.timer.iter();
    let mut next_deadline = |h: &mut Hart| {
        h.arch.core.csr.mip &= !STIP;
        h.arch.core.timecmp = timer.next().map_or(u64::MAX, |d| h.time() + d);
    };
    for _ in 0..host.runs {
        let before = h.instret();
        let exit = h.run(&mut cpu::hart::NoDevices, host.budget);
        assert!(h.instret() - before <= host.budget, "over budget");
        seen.push((exit, h.arch.pc, h.instret()));
        match exit {
            Exit::Trap(Trap::Exception {
                cause: Exception::EcallFromS,
                ..
            }) if h.arch.pc == host.end => match restart.take() {
                Some((pc, regs)) => {
                    h.arch.pc = *pc;
                    for (i, r) in regs.iter().enumerate() {
                        h.arch.x[i + 1] = *r;
                    }
                }
                None => break,
            },
            // The delegated timer interrupt reached the handler: return.
            Exit::Trap(Trap::Exception {
                cause: Exception::EcallFromS,
                ..
            }) if h.arch.pc == HANDLER => {
                next_deadline(h);
                h.arch.pc = h.arch.core.csr.sepc;
                h.arch.core.csr.mstatus |= SSTATUS_SIE;
            }
            Exit::Trap(Trap::Exception { .. }) => {
                h.retire_emulated(0);
                h.arch.pc = h.arch.pc.wrapping_add(4);
            }
            Exit::Trap(Trap::Interrupt(_)) => next_deadline(h),
            Exit::BudgetExhausted => {}
            Exit::Wfi | Exit::Breakpoint | Exit::Device | Exit::TrapStorm(_) | Exit::Debug(_) => {
                break
            }
        }
    }
    seen
}

/// Everything a run leaves that a guest or host can see.
struct Outcome {
    seen: Vec<Seen>,
    x: [u64; 32],
    pc: u64,
    instret: u64,
    csr: Csrs,
    digest: Digest,
    ram: Vec<u8>,
    /// Pages translated.
    translated: u64,
}

/// Builds a hart with `setup` for each way, drives it, and checks that the
/// interpreted and translated runs equal the reference. Returns the
/// outcomes, in the order of [`WAYS`].
fn three_ways(
    setup: impl Fn(Way) -> Hart,
    drive: impl Fn(Way, &mut Hart) -> Vec<Seen>,
) -> Result<Vec<Outcome>, String> {
    ways_against(Way::Reference, setup, drive)
}

/// [`three_ways`], checking the ways after `base` against `base` only.
fn ways_against(
    base: Way,
    setup: impl Fn(Way) -> Hart,
    drive: impl Fn(Way, &mut Hart) -> Vec<Seen>,
) -> Result<Vec<Outcome>, String> {
    let outs: Vec<Outcome> = WAYS
        .iter()
        .map(|&way| {
            let mut h = setup(way);
            let seen = drive(way, &mut h);
            Outcome {
                seen,
                x: h.arch.x,
                pc: h.arch.pc,
                instret: h.instret(),
                csr: h.arch.core.csr.clone(),
                digest: h.digest,
                ram: ram(&h),
                translated: h.translation_stats().0,
            }
        })
        .collect();
    let b = WAYS.iter().position(|&w| w == base).unwrap_or(0);
    let r = &outs[b];
    for (way, o) in WAYS.iter().zip(&outs).skip(b + 1) {
        if o.seen != r.seen {
            return Err(format!(
                "{way:?}: exits {:#x?}\nreference: {:#x?}",
                o.seen, r.seen
            ));
        }
        for i in 0..32 {
            if o.x[i] != r.x[i] {
                return Err(format!(
                    "{way:?}: x{i} = {:#x}, reference {:#x}",
                    o.x[i], r.x[i]
                ));
            }
        }
        if (o.pc, o.instret) != (r.pc, r.instret) {
            return Err(format!(
                "{way:?}: pc {:#x} instret {}, reference pc {:#x} instret {}",
                o.pc, o.instret, r.pc, r.instret
            ));
        }
        if o.digest != r.digest {
            return Err(format!(
                "{way:?}: {:x?}, reference {:x?}",
                o.digest, r.digest
            ));
        }
        if o.csr != r.csr {
            return Err(format!("{way:?}: {:x?}\nreference {:x?}", o.csr, r.csr));
        }
        if let Some(i) = (0..o.ram.len()).find(|&i| o.ram[i] != r.ram[i]) {
            return Err(format!(
                "{way:?}: RAM at {:#x} is {:#x}, reference {:#x}",
                RAM_BASE + i as u64,
                o.ram[i],
                r.ram[i]
            ));
        }
    }
    Ok(outs)
}

/// Whether the translated run translated anything (where the host can).
fn translated(outs: &[Outcome]) -> bool {
    !cfg!(all(target_arch = "x86_64", unix)) || outs[2].translated > 0
}

// ---------------------------------------------------------------------------
// Every operation, access and jump.

/// Where the programs of the operation test start (code page 1).
const MAIN: u64 = CODE + 0x1000;
/// Word `r` at `FAR_B` and at `FAR_J` (other code pages) is `jalr x0,
/// 0(xr)`: a way out of the main page and back. `FAR_B` is near enough for
/// branches.
const FAR_B: u64 = CODE + 0x800;
const FAR_J: u64 = CODE + 0x3000;
/// One past the end of RAM.
const RAM_END: u64 = RAM_BASE + RAM;
/// What jumps and branches skip over: `ebreak`, an exit if it runs.
const JUNK: u32 = 0x0010_0073;

fn enc(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> u32 {
    encode(&Insn::new(op, rd, rs1, rs2, imm))
}

const RR: [Op; 28] = [
    Op::Add,
    Op::Sub,
    Op::Sll,
    Op::Slt,
    Op::Sltu,
    Op::Xor,
    Op::Srl,
    Op::Sra,
    Op::Or,
    Op::And,
    Op::Addw,
    Op::Subw,
    Op::Sllw,
    Op::Srlw,
    Op::Sraw,
    Op::Mul,
    Op::Mulh,
    Op::Mulhsu,
    Op::Mulhu,
    Op::Div,
    Op::Divu,
    Op::Rem,
    Op::Remu,
    Op::Mulw,
    Op::Divw,
    Op::Divuw,
    Op::Remw,
    Op::Remuw,
];
const RI: [Op; 7] = [
    Op::Addi,
    Op::Slti,
    Op::Sltiu,
    Op::Xori,
    Op::Ori,
    Op::Andi,
    Op::Addiw,
];
const SHIFT64: [Op; 3] = [Op::Slli, Op::Srli, Op::Srai];
const SHIFT32: [Op; 3] = [Op::Slliw, Op::Srliw, Op::Sraiw];
const MEM: [Op; 11] = [
    Op::Lb,
    Op::Lh,
    Op::Lw,
    Op::Ld,
    Op::Lbu,
    Op::Lhu,
    Op::Lwu,
    Op::Sb,
    Op::Sh,
    Op::Sw,
    Op::Sd,
];
const BRANCHES: [Op; 6] = [Op::Beq, Op::Bne, Op::Blt, Op::Bge, Op::Bltu, Op::Bgeu];

/// Register values worth more than chance.
const EDGES: [u64; 16] = [
    0,
    1,
    2,
    u64::MAX,
    i64::MIN as u64,
    i64::MAX as u64,
    i32::MIN as i64 as u64,
    i32::MAX as u64,
    i32::MIN as u32 as u64,
    u32::MAX as u64,
    0x8000_0000,
    0xffff_ffff_7fff_ffff,
    31,
    32,
    63,
    64,
];

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => prop::sample::select(&EDGES[..]),
        2 => any::<u64>(),
        1 => (-70i64..70).prop_map(|v| v as u64),
        1 => any::<i32>().prop_map(|v| v as i64 as u64),
    ]
}

/// `rd, rs1, rs2`, often the same register, sometimes `rd = x0`.
fn regs3() -> impl Strategy<Value = (u8, u8, u8)> {
    (0u8..32, 0u8..32, 0u8..32, 0u8..7).prop_map(|(a, b, c, shape)| match shape {
        0 => (a, a, a),
        1 => (a, a, c),
        2 => (a, b, a),
        3 => (a, b, b),
        4 => (0, b, c),
        _ => (a, b, c),
    })
}

fn imm12() -> impl Strategy<Value = i32> {
    prop_oneof![
        prop::sample::select(&[-2048, 2047, -1, 0, 1][..]),
        -2048i32..2048,
    ]
}

/// How a jump or branch leaves the straight line and comes back to it.
#[derive(Clone, Copy, Debug)]
enum Route {
    /// Forward in the page, over a `JUNK` word.
    Forward,
    /// Backward in the page (then forward again to the next piece).
    Backward,
    /// To another page, which jumps back.
    Far,
}

fn route() -> impl Strategy<Value = Route> {
    prop_oneof![
        Just(Route::Forward),
        Just(Route::Backward),
        Just(Route::Far)
    ]
}

/// A few instructions that run in a straight line from the first and go on
/// after the last.
#[derive(Clone, Debug)]
enum Piece {
    Rr(Op, u8, u8, u8),
    Ri(Op, u8, u8, i32),
    /// `lui`/`auipc`.
    Upper(Op, u8, i32),
    /// A load or store of `reg` at `addr` through base register `base` and
    /// offset `off`.
    Mem {
        op: Op,
        reg: u8,
        base: u8,
        addr: u64,
        off: i32,
    },
    /// `jal rd`.
    Jal(u8, Route),
    /// `jalr rd, imm(base)` (`imm` as far as the route allows); with the
    /// flag, to a target with bit 1 set instead (IALIGN = 16: a compressed
    /// `c.nop` 2 bytes into the next word, which has no slot).
    Jalr(u8, u8, Route, i32, bool),
    /// A branch on `rs1`, `rs2`; to another page, `link` holds the way
    /// back.
    Branch(Op, u8, u8, Route, u8),
}

fn mem_addr() -> impl Strategy<Value = u64> {
    prop_oneof![
        // Aligned and not, within two data pages (and across their border).
        3 => (0u64..0x1ff8).prop_map(|k| DATA + k),
        3 => (0u64..0x3ff).prop_map(|k| DATA + 8 * k),
        1 => (0xff9u64..0x1000).prop_map(|k| DATA + k),
        // At the ends of RAM and outside it.
        2 => prop::sample::select(
            &[
                RAM_END - 8,
                RAM_END - 4,
                RAM_END - 2,
                RAM_END - 1,
                RAM_END,
                RAM_BASE - 8,
                RAM_BASE - 1,
                0,
                8,
                0x1000_0000,
                u64::MAX - 7,
                u64::MAX,
            ][..]
        ),
    ]
}

fn piece() -> impl Strategy<Value = Piece> {
    let rr = (prop::sample::select(&RR[..]), regs3())
        .prop_map(|(op, (rd, rs1, rs2))| Piece::Rr(op, rd, rs1, rs2));
    let ri = (prop::sample::select(&RI[..]), regs3(), imm12())
        .prop_map(|(op, (rd, rs1, _), imm)| Piece::Ri(op, rd, rs1, imm));
    let shift = (
        prop_oneof![
            (prop::sample::select(&SHIFT64[..]), 0i32..64),
            (prop::sample::select(&SHIFT32[..]), 0i32..32),
        ],
        regs3(),
    )
        .prop_map(|((op, sh), (rd, rs1, _))| Piece::Ri(op, rd, rs1, sh));
    let upper = (
        prop_oneof![Just(Op::Lui), Just(Op::Auipc)],
        0u8..32,
        prop_oneof![
            prop::sample::select(&[0, 0x7fff_f000, i32::MIN, -4096, 4096][..]),
            any::<i32>(),
        ],
    )
        .prop_map(|(op, rd, imm)| Piece::Upper(op, rd, imm & !0xfff));
    let mem = (
        prop::sample::select(&MEM[..]),
        0u8..32,
        1u8..32,
        mem_addr(),
        prop::sample::select(&[0, 1, -1, 8, -8, 100, 2047, -2048][..]),
    )
        .prop_map(|(op, reg, base, addr, off)| Piece::Mem {
            op,
            reg,
            base,
            addr,
            off,
        });
    let jal = (0u8..32, route()).prop_map(|(rd, r)| Piece::Jal(rd, r));
    let jalr = (
        0u8..32,
        1u8..32,
        route(),
        prop::sample::select(&[0, 1, -4, 8, 2047, -2048][..]),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(rd, base, r, imm, mis)| Piece::Jalr(rd, base, r, imm, mis));
    let branch = (
        prop::sample::select(&BRANCHES[..]),
        regs3(),
        route(),
        1u8..32,
    )
        .prop_map(|(op, (_, rs1, rs2), r, link)| Piece::Branch(op, rs1, rs2, r, link));
    prop_oneof![
        6 => rr,
        3 => ri,
        2 => shift,
        1 => upper,
        4 => mem,
        1 => jal,
        2 => jalr,
        2 => branch,
    ]
}

/// A program being assembled at `base`.
struct Prog {
    a: Asm,
    base: u64,
}

impl Prog {
    fn pc(&self) -> u64 {
        self.base + self.a.here() as u64
    }

    /// `rd = v`: `li` when `v` is a sign-extended 32-bit value, else
    /// `auipc`/`addi` when it is near (2 words), else the long `li`.
    fn la(&mut self, rd: u8, v: u64) {
        let d = v.wrapping_sub(self.pc()) as i64;
        if v as i64 == v as i32 as i64 || d != d as i32 as i64 {
            self.a.li(rd, v);
            return;
        }
        let lo = ((d << 52) >> 52) as i32;
        let hi = (d - lo as i64) as i32;
        self.a.insn(Op::Auipc, rd, 0, 0, hi).i(Op::Addi, rd, rd, lo);
    }

    /// A relative jump or branch from here to `target`.
    fn rel(&self, target: u64) -> i32 {
        target.wrapping_sub(self.pc()) as i64 as i32
    }

    /// `auipc link, 0; addi link, link, k` where `k` makes `link` the
    /// address `words` words after the `addi`.
    fn link_after(&mut self, link: u8, words: i32) {
        self.a
            .insn(Op::Auipc, link, 0, 0, 0)
            .i(Op::Addi, link, link, 4 * (words + 2));
    }

    fn piece(&mut self, p: &Piece) {
        match *p {
            Piece::Rr(op, rd, rs1, rs2) => {
                self.a.r(op, rd, rs1, rs2);
            }
            Piece::Ri(op, rd, rs1, imm) => {
                self.a.i(op, rd, rs1, imm);
            }
            Piece::Upper(op, rd, imm) => {
                self.a.insn(op, rd, 0, 0, imm);
            }
            Piece::Mem {
                op,
                reg,
                base,
                addr,
                off,
            } => {
                self.la(base, addr.wrapping_sub(off as i64 as u64));
                if matches!(op, Op::Sb | Op::Sh | Op::Sw | Op::Sd) {
                    self.a.s(op, reg, base, off);
                } else {
                    self.a.i(op, reg, base, off);
                }
            }
            Piece::Jal(rd, Route::Forward) => {
                self.a.insn(Op::Jal, rd, 0, 0, 8).word(JUNK);
            }
            Piece::Jal(rd, Route::Backward) => {
                self.a
                    .insn(Op::Jal, 0, 0, 0, 8)
                    .insn(Op::Jal, 0, 0, 0, 8)
                    .insn(Op::Jal, rd, 0, 0, -4);
            }
            Piece::Jal(0, Route::Far) => {
                // No link: make one for the far page to return through.
                self.link_after(31, 1);
                let off = self.rel(FAR_J + 4 * 31);
                self.a.insn(Op::Jal, 0, 0, 0, off);
            }
            Piece::Jal(rd, Route::Far) => {
                let off = self.rel(FAR_J + 4 * rd as u64);
                self.a.insn(Op::Jal, rd, 0, 0, off);
            }
            Piece::Jalr(rd, base, _, _, true) => {
                // To `base + 10` (bit 0 of 11 is dropped): the upper parcel
                // of the word after the `jalr`, a `c.nop` (the lower one,
                // the all-zero parcel, never runs).
                let imm = [10, 11][rd as usize % 2];
                self.a
                    .insn(Op::Auipc, base, 0, 0, 0)
                    .i(Op::Jalr, rd, base, imm)
                    .word(0x0001_0000);
            }
            Piece::Jalr(rd, base, Route::Forward, imm, false) => {
                // `imm` is 0 or 1 here: the low bit is dropped.
                self.a
                    .insn(Op::Auipc, base, 0, 0, 0)
                    .i(Op::Jalr, rd, base, 12 + (imm & 1))
                    .word(JUNK);
            }
            Piece::Jalr(rd, base, Route::Backward, _, false) => {
                self.a
                    .insn(Op::Auipc, base, 0, 0, 0)
                    .insn(Op::Jal, 0, 0, 0, 12)
                    .insn(Op::Jal, 0, 0, 0, 12)
                    .word(JUNK)
                    .i(Op::Jalr, rd, base, 8);
            }
            Piece::Jalr(rd, base, Route::Far, imm, false) => {
                let (link, base) = if rd == 0 {
                    // No link: make one (the jump is 3 words on).
                    let base = if base == 30 { 29 } else { base };
                    self.link_after(30, 3);
                    (30, base)
                } else {
                    (rd, base)
                };
                let target = FAR_J + 4 * link as u64;
                let b = target
                    .wrapping_sub(imm as i64 as u64)
                    .wrapping_add(imm as u64 & 1);
                let at = self.a.words.len();
                self.la(base, b);
                // Pad `la` to 2 words so that the link above is right.
                while self.a.words.len() < at + 2 {
                    self.a.i(Op::Addi, 0, 0, 0);
                }
                self.a.i(Op::Jalr, rd, base, imm);
            }
            Piece::Branch(op, rs1, rs2, Route::Forward, _) => {
                self.a.b(op, rs1, rs2, 8).word(JUNK);
            }
            Piece::Branch(op, rs1, rs2, Route::Backward, _) => {
                self.a
                    .insn(Op::Jal, 0, 0, 0, 8)
                    .insn(Op::Jal, 0, 0, 0, 8)
                    .b(op, rs1, rs2, -4);
            }
            Piece::Branch(op, rs1, rs2, Route::Far, link) => {
                self.link_after(link, 1);
                let off = self.rel(FAR_B + 4 * link as u64);
                assert!((-4096..4096).contains(&off));
                self.a.b(op, rs1, rs2, off);
            }
        }
    }
}

/// A hart with the pieces at `MAIN` (then `ecall`), the far pages, data
/// in the data pages and the registers `regs`; and the `ecall`'s address.
fn pieces_hart(pieces: &[Piece], regs: &[u64], way: Way) -> (Hart, u64) {
    let mut p = Prog {
        a: Asm::new(),
        base: MAIN,
    };
    for piece in pieces {
        p.piece(piece);
    }
    let end = p.pc();
    p.a.sys(Op::Ecall);
    let mut h = hart_with(&Asm::new());
    run_as(&mut h, way);
    assert!(h.write_phys(MAIN, &p.a.bytes()));
    let mut far = Asm::new();
    far.word(JUNK);
    for r in 1..32 {
        far.i(Op::Jalr, 0, r, 0);
    }
    assert!(h.write_phys(FAR_B, &far.bytes()));
    assert!(h.write_phys(FAR_J, &far.bytes()));
    let data: Vec<u8> = (0..0x2000u32)
        .map(|i| (i.wrapping_mul(0x9d) ^ (i >> 5)) as u8)
        .collect();
    assert!(h.write_phys(DATA, &data));
    for (i, r) in regs.iter().enumerate() {
        h.arch.x[i + 1] = *r;
    }
    h.arch.pc = MAIN;
    (h, end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Each piece runs translated: a page is translated at its first
    /// entry (with what that can reach decoded) and again when entered
    /// with more words decoded, and the program runs a second time, with
    /// other register values, the page decoded and its data pages in the
    /// TLB. With and without the trace digest.
    #[test]
    fn every_translated_operation_matches_the_reference(
        pieces in prop::collection::vec(piece(), 1..10),
        regs in prop::collection::vec(value(), 31),
        regs2 in prop::collection::vec(value(), 31),
        budget in 2000u64..6000,
        digest in any::<bool>(),
    ) {
        let mut host = Host::new(budget, 0);
        let (_, end) = pieces_hart(&pieces, &regs, Way::Reference);
        host.end = end;
        host.restart = Some((MAIN, regs2));
        let outs = three_ways(
            |way| {
                let mut h = pieces_hart(&pieces, &regs, way).0;
                h.set_digest(digest);
                h
            },
            |_, h| drive(h, &host),
        )
        .map_err(TestCaseError::fail)?;
        prop_assert!(translated(&outs));
        prop_assert_eq!(outs[0].seen.last().map(|s| (s.0, s.1)), Some((HALT, end)));
    }
}

/// Where the edge-value program runs (it is 16 pages long).
const EDGE_CODE: u64 = CODE + 0x2_0000;

/// Appends `sd x18, (next slot)(x17)`, moving `x17` on every 256 results.
fn keep_result(a: &mut Asm, k: &mut i32) {
    a.s(Op::Sd, 18, 17, -1024 + 8 * (*k % 256));
    *k += 1;
    if *k % 256 == 0 {
        a.i(Op::Addi, 17, 17, 1024).i(Op::Addi, 17, 17, 1024);
    }
}

/// Every register-register operation on every pair of edge values, and
/// every register-immediate one on every edge value with the immediates
/// at their ends, each result stored: a deterministic check of the whole
/// table. The program runs interpreted, then again with its pages
/// translated whole at their first entry.
#[test]
fn every_operation_on_every_pair_of_edge_values() {
    let mut a = Asm::new();
    let mut k = 0;
    for op in RR {
        for rs1 in 1..17 {
            for rs2 in 1..17 {
                a.r(op, 18, rs1, rs2);
                keep_result(&mut a, &mut k);
            }
        }
    }
    for rs1 in 1..17 {
        for &op in &RI {
            for imm in [-2048, -1, 0, 1, 2047, 0x555] {
                a.i(op, 18, rs1, imm);
                keep_result(&mut a, &mut k);
            }
        }
        for (ops, shifts) in [
            (SHIFT64, &[0, 1, 31, 32, 63][..]),
            (SHIFT32, &[0, 1, 31][..]),
        ] {
            for op in ops {
                for &sh in shifts {
                    a.i(op, 18, rs1, sh);
                    keep_result(&mut a, &mut k);
                }
            }
        }
    }
    for imm in [0, 0x7fff_f000, i32::MIN, -4096] {
        for op in [Op::Lui, Op::Auipc] {
            a.insn(op, 18, 0, 0, imm);
            keep_result(&mut a, &mut k);
        }
    }
    let end = EDGE_CODE + a.here() as u64;
    a.sys(Op::Ecall);
    assert!(DATA + 8 * k as u64 + 2048 < EDGE_CODE);
    let setup = |way| {
        let mut h = hart_with(&Asm::new());
        assert!(h.write_phys(EDGE_CODE, &a.bytes()));
        h.set_reference_mode(way == Way::Reference);
        h.set_translation(false);
        h
    };
    let host = Host::new(1_000_000, end);
    let drive = |way, h: &mut Hart| {
        let mut seen = Vec::new();
        for pass in 0..2 {
            if pass == 1 && way == Way::Translate {
                // The slots are all decoded now: each page translates
                // whole, once.
                h.set_translation(true);
                h.set_translation_warmup(1);
            }
            for (i, v) in EDGES.iter().enumerate() {
                h.arch.x[i + 1] = *v;
            }
            h.arch.x[17] = DATA + 1024;
            h.arch.pc = EDGE_CODE;
            seen.extend(drive(h, &host));
        }
        seen
    };
    let outs = three_ways(setup, drive).unwrap();
    assert_eq!(outs[0].seen.len(), 2);
    assert!(translated(&outs));
    if cfg!(all(target_arch = "x86_64", unix)) {
        // Every page of the program.
        let pages = (a.words.len() as u64 * 4).div_ceil(4096);
        assert!(outs[2].translated >= pages, "{} pages", outs[2].translated);
    }
}

// ---------------------------------------------------------------------------
// Translation engages.

/// With a new hart's settings, a hot loop is translated (and not with
/// translation off or in reference mode), and runs the same.
#[test]
fn a_hot_loop_is_translated_by_default_and_runs_the_same() {
    let mut a = Asm::new();
    a.li(1, 200_000).li(5, DATA);
    let top = a.here();
    a.i(Op::Addi, 2, 2, 3)
        .r(Op::Xor, 3, 3, 2)
        .r(Op::Mul, 4, 3, 2)
        .s(Op::Sd, 4, 5, 0)
        .i(Op::Ld, 6, 5, 0)
        .i(Op::Addi, 1, 1, -1);
    let back = top - a.here();
    a.b(Op::Bne, 1, 0, back).sys(Op::Ecall);
    let end = CODE + 4 * (a.words.len() as u64 - 1);
    let setup = |way| {
        let mut h = hart_with(&a);
        match way {
            Way::Reference => h.set_reference_mode(true),
            Way::Interpret => h.set_translation(false),
            // Default settings.
            Way::Translate => {}
        }
        h
    };
    let host = Host::new(300_000, end);
    let outs = three_ways(setup, |_, h| drive(h, &host)).unwrap();
    assert_eq!(outs[0].seen.last().map(|s| s.0), Some(HALT));
    assert_eq!(outs[0].translated, 0, "reference mode translated");
    assert_eq!(outs[1].translated, 0, "translation off translated");
    if cfg!(all(target_arch = "x86_64", unix)) {
        assert!(hart_with(&a).translation(), "translation is on by default");
        assert!(outs[2].translated > 0, "the hot loop was not translated");
    }
}

/// A hot loop of compressed code (as GNU as compresses it, with a 32-bit
/// instruction at a parcel between two words, and a branch into the middle
/// of a 32-bit one that is never taken) is translated and runs the same,
/// with budgets large enough to count by runs (a translated run counts
/// `2 * left`: the largest budget, "no limit", must not overflow it), and
/// a budget ending every few hundred instructions.
#[test]
fn a_hot_compressed_loop_is_translated_and_counts_exactly() {
    let c = |op, rd, rs1, rs2, imm| {
        let w = enc(op, rd, rs1, rs2, imm);
        let p = cpu::rvc::compress(w).expect("compressible");
        u32::from(p)
    };
    // Parcels: li x8, n (32-bit: lui+addiw would compress; addi does not
    // fit), then the loop.
    let mut parcels: Vec<u16> = Vec::new();
    let word = |p: &mut Vec<u16>, w: u32| p.extend([w as u16, (w >> 16) as u16]);
    word(&mut parcels, enc(Op::Lui, 8, 0, 0, 30 << 12)); // x8 = 122880
    let top = parcels.len();
    parcels.push(c(Op::Addi, 9, 9, 0, 3) as u16); // c.addi x9, 3
    word(&mut parcels, enc(Op::Xori, 10, 9, 0, 0x155)); // at a parcel
    parcels.push(c(Op::Add, 11, 11, 10, 0) as u16); // c.add x11, x10
    word(&mut parcels, enc(Op::Blt, 0, 11, 0, -4)); // into the xori's middle (x11 >= 0)
    parcels.push(c(Op::Addi, 8, 8, 0, -1) as u16); // c.addi x8, -1
    let back = 2 * (top as i32 - parcels.len() as i32);
    parcels.push(c(Op::Bne, 0, 8, 0, back) as u16); // c.bnez x8, top
    let end = CODE + 2 * parcels.len() as u64;
    word(&mut parcels, enc(Op::Ecall, 0, 0, 0, 0));
    if parcels.len() % 2 == 1 {
        parcels.push(0);
    }
    let mut a = Asm::new();
    a.words = parcels
        .chunks(2)
        .map(|p| u32::from(p[0]) | u32::from(p[1]) << 16)
        .collect();
    for budget in [u64::MAX, 1 << 40, 300_000, 7777] {
        let mut host = Host::new(budget, end);
        host.runs = 200;
        let outs = three_ways(
            |way| {
                let mut h = hart_with(&a);
                run_as(&mut h, way);
                h
            },
            |_, h| drive(h, &host),
        )
        .unwrap();
        let last = outs[0].seen.last().copied();
        assert_eq!(last.map(|s| s.0), Some(HALT), "budget {budget}");
        assert_eq!(outs[0].instret, 1 + 6 * 122_880, "budget {budget}");
        if cfg!(all(target_arch = "x86_64", unix)) {
            assert!(outs[2].translated > 0, "not translated (budget {budget})");
        }
    }
}

// ---------------------------------------------------------------------------
// Self-modifying code.

/// Words the loop below may rewrite one of its words with.
fn replacements() -> [u32; 9] {
    [
        enc(Op::Addi, 2, 2, 0, 100),
        enc(Op::Xor, 2, 2, 1, 0),
        enc(Op::Slli, 3, 3, 0, 1),
        enc(Op::Mul, 4, 4, 2, 0),
        enc(Op::Addi, 0, 0, 0, 0),
        enc(Op::Jal, 0, 0, 0, 8),
        enc(Op::Ecall, 0, 0, 0, 0),
        0, // illegal
        enc(Op::Addi, 1, 1, 0, -1),
    ]
}

/// A loop of `n` iterations (counting `x1` down) that stores `x6` into the
/// word of the loop at `x5` once, when `x1 == x7` (or, with `every`, flips
/// `x6` with `x8` and stores it each iteration), followed by `fence.i` or
/// not. Returns the program and the words it may rewrite.
fn smc_loop(store: Op, fence: bool, every: bool) -> (Asm, [usize; 5]) {
    let mut a = Asm::new();
    a.i(Op::Addi, 2, 2, 1) // 0
        .r(Op::Xor, 3, 3, 2); // 1
    if every {
        a.r(Op::Xor, 6, 6, 8); // 2
    } else {
        a.b(Op::Bne, 1, 7, 16); // 2
    }
    a.s(store, 6, 5, 0); // 3
    if fence {
        a.sys(Op::FenceI); // 4
    } else {
        a.i(Op::Addi, 0, 0, 0); // 4
    }
    a.i(Op::Addi, 7, 0, -1) // 5: once (a rewrite may stop the count)
        .r(Op::Add, 4, 4, 3) // 6
        .i(Op::Addi, 1, 1, -1) // 7
        .b(Op::Blt, 0, 1, -32) // 8
        .sys(Op::Ecall); // 9
    (a, [0, 1, 4, 6, 7])
}

#[derive(Clone, Debug)]
struct Smc {
    store: Op,
    fence: bool,
    every: bool,
    n: u64,
    at: u64,
    target: usize,
    word: usize,
    budget: u64,
    /// The translation warm-up (`None`: a new hart's).
    warm: Option<u32>,
    digest: bool,
}

/// Runs `s` three ways; `first` is the budget of the first run. Returns
/// the outcomes and the pages translated after the first run.
fn run_smc(s: &Smc, first: u64) -> Result<(Vec<Outcome>, u64), String> {
    let (a, targets) = smc_loop(s.store, s.fence, s.every);
    let target = targets[s.target];
    let new = replacements()[s.word];
    let end = CODE + 4 * (a.words.len() as u64 - 1);
    let setup = |way| {
        let mut h = hart_with(&a);
        h.set_reference_mode(way == Way::Reference);
        h.set_translation(way == Way::Translate);
        if let Some(w) = s.warm {
            h.set_translation_warmup(w);
        }
        h.set_digest(s.digest);
        h.arch.x[1] = s.n;
        h.arch.x[5] = CODE + 4 * target as u64;
        h.arch.x[6] = new as u64;
        h.arch.x[7] = s.at;
        h.arch.x[8] = (new ^ a.words[target]) as u64;
        h
    };
    let mut host = Host::new(s.budget, end);
    host.runs = 50;
    let mut once = Host::new(first, end);
    once.runs = 1;
    let early = std::cell::Cell::new(0);
    let outs = three_ways(setup, |way, h| {
        let mut seen = drive(h, &once);
        if way == Way::Translate {
            early.set(h.translation_stats().0);
        }
        seen.extend(drive(h, &host));
        seen
    })?;
    Ok((outs, early.get()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn self_modifying_loops_match_the_reference(
        store in prop::sample::select(&[Op::Sw, Op::Sw, Op::Sh, Op::Sb][..]),
        fence in any::<bool>(),
        every in prop::bool::weighted(0.15),
        n in 1u64..200,
        at in 0u64..200,
        target in 0usize..5,
        word in 0usize..9,
        budget in 1025u64..6000,
        warm in prop_oneof![Just(Some(1u32)), (1u32..6).prop_map(Some), Just(None)],
        digest in any::<bool>(),
    ) {
        let s = Smc { store, fence, every, n, at, target, word, budget, warm, digest };
        let (outs, _) = run_smc(&s, budget).map_err(TestCaseError::fail)?;
        prop_assert!(warm != Some(1) || translated(&outs));
    }
}

/// A loop hot enough to be translated with the default warm-up rewrites
/// itself near its end (its first word, the word after the store, or one
/// after that), with and without `fence.i`; and a loop translated at once
/// rewrites itself every iteration (more translations than a page gets,
/// then the fast loop).
#[test]
fn a_translated_loop_that_rewrites_itself_matches_the_reference() {
    for fence in [false, true] {
        for (target, word) in [(0, 0), (2, 1), (3, 2)] {
            let s = Smc {
                store: Op::Sw,
                fence,
                every: false,
                n: 60_000,
                at: 500,
                target,
                word,
                budget: 200_000,
                warm: None,
                digest: fence,
            };
            // The first run ends before the rewrite.
            let (outs, early) = run_smc(&s, 300_000).unwrap_or_else(|e| panic!("{s:?}: {e}"));
            assert_eq!(outs[0].seen[0].0, Exit::BudgetExhausted);
            assert_eq!(outs[0].seen.last().map(|s| s.0), Some(HALT));
            if cfg!(all(target_arch = "x86_64", unix)) {
                assert!(early > 0, "not translated before the rewrite");
            }
        }
    }
    for fence in [false, true] {
        let s = Smc {
            store: Op::Sw,
            fence,
            every: true,
            n: 300,
            at: 0,
            target: 1,
            word: 2,
            budget: 5000,
            warm: Some(1),
            digest: false,
        };
        let (outs, _) = run_smc(&s, 5000).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert!(translated(&outs));
    }
}

// ---------------------------------------------------------------------------
// Sv39.

/// Virtual pages of data: `WIN` + 0..4 pages, and one whose TLB entry is
/// `WIN`'s (512 pages on).
const WIN: u64 = 0x4000_0000;
const ALIAS: u64 = WIN + 512 * 4096;
/// The second page table's root (`Pages` allocates the first's tables from
/// `PT` up, a few pages).
const ROOT2: u64 = PT + 0x3f000;

#[derive(Clone, Debug)]
struct Sv39 {
    n: u64,
    /// The iteration that switches to the second table.
    switch: u64,
    /// The iteration that rewrites a PTE, in which table.
    rewrite: u64,
    in_second: bool,
    /// `sfence.vma` after the PTE store: for all, for the page, none.
    fence: u8,
    ad: bool,
    budget: u64,
}

fn sv39_hart(s: &Sv39, way: Way) -> (Hart, u64) {
    let mut a = Asm::new();
    a.i(Op::Ld, 12, 5, 0) // loop
        .r(Op::Add, 13, 13, 12)
        .s(Op::Sd, 13, 5, 8)
        .i(Op::Lw, 12, 14, -0x7f8)
        .r(Op::Add, 13, 13, 12)
        .s(Op::Sw, 13, 14, 0x10)
        .i(Op::Lbu, 12, 15, 24)
        .r(Op::Xor, 13, 13, 12)
        .s(Op::Sh, 13, 15, 32)
        .i(Op::Ld, 12, 16, 0)
        .r(Op::Add, 13, 13, 12)
        .s(Op::Sd, 13, 16, 40)
        .s(Op::Sh, 13, 16, 50)
        .i(Op::Lh, 12, 16, 48)
        .r(Op::Xor, 13, 13, 12)
        .b(Op::Bne, 6, 7, 12)
        .csr(Op::Csrrw, 0, 0x180, 9)
        .insn(Op::SfenceVma, 0, 0, 0, 0)
        .b(Op::Bne, 6, 8, 12)
        .s(Op::Sd, 11, 10, 0);
    match s.fence {
        0 => a.insn(Op::SfenceVma, 0, 0, 0, 0),
        1 => a.insn(Op::SfenceVma, 0, 14, 0, 0),
        _ => a.i(Op::Addi, 0, 0, 0),
    };
    a.i(Op::Addi, 6, 6, -1);
    let back = -a.here();
    a.b(Op::Blt, 0, 6, back).sys(Op::Ecall);
    let end = CODE + 4 * (a.words.len() as u64 - 1);

    let mut h = hart_with(&a);
    run_as(&mut h, way);
    let data: Vec<u8> = (0..0x30000u32)
        .map(|i| (i.wrapping_mul(0x3b) ^ (i >> 9)) as u8)
        .collect();
    assert!(h.write_phys(DATA, &data));
    let ad = if s.ad { A | D } else { 0 };
    let mut p = Pages::new(&mut h);
    let mut slots = Vec::new();
    // Two tables: RAM identity-mapped (a 2 MiB page) in both; the data
    // window on different physical pages in each.
    for (root, phys) in [(PT, DATA), (ROOT2, DATA + 0x10000)] {
        if root != PT {
            assert!(h.write_phys(root, &[0u8; 4096]));
            p.root = root;
        }
        p.map(&mut h, RAM_BASE, RAM_BASE, V | R | W | X | A | D, 1);
        let mut s = Vec::new();
        for i in 0..4 {
            s.push(p.map(&mut h, WIN + i * 4096, phys + i * 4096, V | R | W | ad, 0));
        }
        p.map(&mut h, ALIAS, phys + 0x4000, V | R | W | ad, 0);
        slots.push(s);
    }
    p.root = PT;
    p.enable(&mut h);
    h.arch.x[5] = WIN;
    h.arch.x[14] = WIN + 0x1800;
    h.arch.x[15] = ALIAS;
    h.arch.x[16] = WIN + 0x3000;
    h.arch.x[6] = s.n;
    h.arch.x[7] = s.switch;
    h.arch.x[8] = s.rewrite;
    h.arch.x[9] = 8 << 60 | ROOT2 >> 12;
    // Page 1 of the window moves to a page of its own.
    h.arch.x[10] = slots[s.in_second as usize][1];
    h.arch.x[11] = ((DATA + 0x20000) >> 12) << 10 | V | R | W | ad;
    (h, end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn sv39_loops_with_satp_and_pte_changes_match_the_reference(
        n in 20u64..400,
        switch in 0u64..420,
        rewrite in 0u64..420,
        in_second in any::<bool>(),
        fence in 0u8..3,
        ad in any::<bool>(),
        budget in 1025u64..6000,
    ) {
        let s = Sv39 { n, switch, rewrite, in_second, fence, ad, budget };
        let (_, end) = sv39_hart(&s, Way::Reference);
        let mut host = Host::new(s.budget, end);
        host.runs = 100;
        // Without `sfence.vma` after the PTE store, the TLB may keep the
        // old translation: the fast path (with its TLB) may differ from
        // the reference (which walks every time), but translated code
        // must still equal the interpreter.
        let base = if fence == 2 { Way::Interpret } else { Way::Reference };
        let outs = ways_against(base, |way| sv39_hart(&s, way).0, |_, h| drive(h, &host))
            .map_err(TestCaseError::fail)?;
        prop_assert!(translated(&outs));
        prop_assert_eq!(outs[0].seen.last().map(|s| (s.0, s.1)), Some((HALT, end)));
    }
}

// ---------------------------------------------------------------------------
// Timer interrupts in translated loops.

/// Where the timer loops start: code pages 4 and 5.
const LOOP: u64 = CODE + 0x4000;

#[derive(Clone, Debug)]
struct Timer {
    body: Vec<u32>,
    /// How the loop closes: branch, `jal`, `jalr`.
    close: u8,
    /// Where in the page the loop starts (near the end: it straddles two).
    start: u64,
    budget: u64,
    /// The first deadline, then the next ones after each interrupt.
    timecmp: u64,
    deltas: Vec<u64>,
    delegated: bool,
    digest: bool,
}

fn body_word() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![
        enc(Op::Addi, 2, 2, 0, 1),
        enc(Op::Add, 3, 3, 2, 0),
        enc(Op::Xor, 4, 4, 3, 0),
        enc(Op::Mul, 3, 3, 2, 0),
        enc(Op::Sd, 0, 5, 3, 0),
        enc(Op::Ld, 4, 5, 0, 8),
        enc(Op::Sw, 0, 5, 4, 12),
        enc(Op::Divu, 4, 4, 2, 0),
    ])
}

fn timer_hart(t: &Timer, way: Way) -> (Hart, u64) {
    let mut a = Asm::new();
    a.words.extend(&t.body);
    a.i(Op::Addi, 1, 1, -1);
    match t.close {
        0 => {
            let back = -a.here();
            a.b(Op::Bne, 1, 0, back);
        }
        1 => {
            a.b(Op::Beq, 1, 0, 8);
            let back = -a.here();
            a.insn(Op::Jal, 0, 0, 0, back);
        }
        _ => {
            a.b(Op::Beq, 1, 0, 8).i(Op::Jalr, 0, 6, 0);
        }
    }
    a.sys(Op::Ecall);
    let start = LOOP + t.start;
    let end = start + 4 * (a.words.len() as u64 - 1);
    let mut h = hart_with_handler(&Asm::new());
    run_as(&mut h, way);
    assert!(h.write_phys(start, &a.bytes()));
    h.arch.pc = start;
    // About 40000 instructions.
    h.arch.x[1] = 40_000 / (t.body.len() as u64 + 3);
    h.arch.x[5] = DATA;
    h.arch.x[6] = start;
    h.arch.core.csr.mie = S_INTERRUPTS;
    if t.delegated {
        h.arch.core.csr.mstatus |= SSTATUS_SIE;
    } else {
        h.arch.core.csr.mideleg = 0;
    }
    h.arch.core.timecmp = t.timecmp;
    h.set_digest(t.digest);
    (h, end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn timer_interrupts_in_translated_loops_land_where_the_reference_does(
        // Short loops, and straight runs longer than translated code runs
        // between two checks of the count.
        body in prop_oneof![
            prop::collection::vec(body_word(), 1..10),
            prop::collection::vec(body_word(), 30..200),
        ],
        close in 0u8..3,
        start in prop_oneof![Just(0u64), (0x3f0u64..0x400).prop_map(|w| 4 * w)],
        budget in prop_oneof![1 => 33u64..200, 4 => 1100u64..5000],
        timecmp in 100u64..3000,
        deltas in prop::collection::vec(1u64..800, 0..4),
        delegated in any::<bool>(),
        digest in any::<bool>(),
    ) {
        let t = Timer { body, close, start, budget, timecmp, deltas, delegated, digest };
        let (_, end) = timer_hart(&t, Way::Reference);
        let mut host = Host::new(t.budget, end);
        host.timer = t.deltas.clone();
        host.runs = 100;
        let outs = three_ways(|way| timer_hart(&t, way).0, |_, h| drive(h, &host))
            .map_err(TestCaseError::fail)?;
        // The deadline was met inside the loop, not after it.
        let interrupted = outs[0].seen.iter().any(|s| {
            matches!(s.0, Exit::Trap(Trap::Interrupt(_))) || s.1 == HANDLER
        });
        prop_assert!(interrupted || t.timecmp * 10 > outs[0].instret);
    }
}
