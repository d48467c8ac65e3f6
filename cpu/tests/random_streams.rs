//! Random instruction streams (random words and random valid instructions)
//! with random register and CSR state, in U and S mode, with paging off or on
//! with random page tables: the host never panics, every `run` returns within
//! its budget, and the fast path (interpreted, and with pages translated to
//! host code as soon as they run) and the generic executor (reference mode)
//! agree on everything a guest or host can see; the same for streams of
//! parcels (compressed instructions, 32-bit ones at any parcel).
mod common;
use common::*;
use cpu::csr::S_INTERRUPTS;
use cpu::hart::{Devices, Exit, Hart, Priv};
use cpu::isa::{encode, Insn, TABLE};
use cpu::trap::Trap;
use proptest::prelude::*;

/// CSRs worth hitting more often than chance would.
const CSRS: [u16; 16] = [
    0x100, 0x104, 0x105, 0x106, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180, 0xc00, 0xc01, 0xc02,
    0xc03, 0x300, 0x10a,
];

fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => (0..TABLE.len(), 0u8..32, 0u8..32, 0u8..32, any::<i32>(), 0..CSRS.len() * 4).prop_map(
            |(i, rd, rs1, rs2, imm, c)| {
                let spec = &TABLE[i];
                let imm = match spec.format {
                    cpu::isa::Format::Csr | cpu::isa::Format::CsrI if c < CSRS.len() => {
                        CSRS[c] as i32
                    }
                    // Keep most memory offsets small so that they hit RAM.
                    cpu::isa::Format::Load | cpu::isa::Format::S => imm % 64,
                    cpu::isa::Format::B | cpu::isa::Format::J => imm % 256,
                    _ => imm,
                };
                encode(&Insn::new(spec.op, rd, rs1, rs2, imm))
            }
        ),
        1 => any::<u32>(),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    code: Vec<u32>,
    regs: Vec<u64>,
    user: bool,
    paging: Option<Vec<(u64, u64)>>, // (page index, flags)
    medeleg: u64,
    mideleg: u64,
    mie: u64,
    mip: u64,
    mstatus: u64,
    stvec: u64,
    counteren: (u64, u64),
    timecmp: u64,
    budget: u64,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        prop::collection::vec(word(), 16..600),
        prop::collection::vec(
            prop_oneof![any::<u64>(), (0u64..0x4000).prop_map(|o| CODE + o * 8)],
            32,
        ),
        any::<bool>(),
        prop::option::of(prop::collection::vec((0u64..24, 0u64..256), 0..24)),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u64>()),
        (any::<u64>(), 0u64..0x800, any::<(u64, u64)>()),
        (prop_oneof![Just(u64::MAX), 0u64..300], 0u64..3000),
    )
        .prop_map(
            |(code, regs, user, paging, (medeleg, mideleg, mie, mip), (ms, stvec, ce), (t, b))| {
                Setup {
                    code,
                    regs,
                    user,
                    paging,
                    medeleg: medeleg & 0xb3ff,
                    mideleg: mideleg & S_INTERRUPTS,
                    mie: mie & S_INTERRUPTS,
                    mip: mip & S_INTERRUPTS,
                    mstatus: ms & (0x2 | 0x20 | 0x100 | 0x40000 | 0x80000 | 0x70_0000),
                    stvec: CODE + stvec * 4 + (ms >> 40 & 1),
                    counteren: ce,
                    timecmp: t,
                    budget: b,
                }
            },
        )
}

/// A device at 0x1000_0000 so that device paths run too.
struct Dev;
impl Devices for Dev {
    fn load(&mut self, pa: u64, size: u8) -> Option<u64> {
        (pa >> 12 == 0x10000).then_some(pa ^ size as u64)
    }
    fn store(&mut self, pa: u64, _size: u8, value: u64) -> Option<bool> {
        (pa >> 12 == 0x10000).then_some(value & 0xff == 0x55)
    }
}

fn build(s: &Setup, way: Way) -> Hart {
    let mut a = Asm::new();
    a.words = s.code.clone();
    let mut h = hart_with(&a);
    run_as(&mut h, way);
    for (i, r) in s.regs.iter().enumerate().skip(1) {
        h.arch.x[i] = *r;
    }
    h.arch.core.privilege = if s.user { Priv::User } else { Priv::Supervisor };
    h.arch.core.csr.medeleg = s.medeleg;
    h.arch.core.csr.mideleg = s.mideleg;
    h.arch.core.csr.mie = s.mie;
    h.arch.core.csr.mip = s.mip;
    h.arch.core.csr.mstatus |= s.mstatus;
    h.arch.core.csr.stvec = s.stvec;
    h.arch.core.csr.mcounteren = s.counteren.0;
    h.arch.core.csr.scounteren = s.counteren.1;
    h.arch.core.timecmp = s.timecmp;
    if let Some(pages) = &s.paging {
        // Identity-map the first 24 pages of RAM with mostly-sane flags,
        // then scribble random flags over some of them.
        let mut p = Pages::new(&mut h);
        for i in 0..24 {
            p.map(&mut h, CODE + i * 4096, CODE + i * 4096, 0xdf, 0);
        }
        p.map(&mut h, 0x1000_0000, 0x1000_0000, 0xd7, 0);
        for &(i, flags) in pages {
            p.map(&mut h, CODE + i * 4096, CODE + i * 4096, flags, 0);
        }
        p.enable(&mut h);
    }
    h
}

/// Drives a hart like a tolerant host: skips undelegated exceptions,
/// acknowledges interrupts, sleeps on wfi. Returns what it saw.
fn drive(h: &mut Hart, budget: u64) -> Vec<(Exit, u64, u64)> {
    let mut seen = Vec::new();
    for _ in 0..30 {
        let before = h.instret();
        let exit = h.run(&mut Dev, budget);
        assert!(h.instret() - before <= budget, "over budget");
        seen.push((exit, h.arch.pc, h.instret()));
        match exit {
            Exit::Trap(Trap::Exception { .. }) => {
                h.retire_emulated(0);
                h.arch.pc = h.arch.pc.wrapping_add(4);
            }
            Exit::Trap(Trap::Interrupt(i)) => h.arch.core.csr.mip &= !i.bit(),
            Exit::Wfi => h.sleep_until(h.time() + 5),
            Exit::TrapStorm(_) => break,
            Exit::BudgetExhausted | Exit::Breakpoint | Exit::Device | Exit::Debug(_) => {}
        }
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_streams_are_safe_and_fast_equals_reference(s in setup()) {
        let mut slow = build(&s, Way::Reference);
        let b = drive(&mut slow, s.budget);
        for way in [Way::Interpret, Way::Translate] {
            let mut fast = build(&s, way);
            let a = drive(&mut fast, s.budget);
            prop_assert_eq!(&a, &b, "{:?}", way);
            prop_assert_eq!(fast.arch.x, slow.arch.x, "{:?}", way);
            prop_assert_eq!(fast.arch.pc, slow.arch.pc);
            prop_assert_eq!(fast.arch.core.privilege, slow.arch.core.privilege);
            prop_assert_eq!(&fast.arch.core.csr, &slow.arch.core.csr);
            prop_assert!(ram(&fast) == ram(&slow), "RAM differs ({:?})", way);
        }
    }
}

/// Tight loops of `addi`/`add` and branches on a few registers, stores that
/// rewrite the code under them, and budgets of every size (so that budget
/// and timer ends land on every instruction of a loop): small ones, which
/// the fast loop counts one instruction at a time, and large ones, which it
/// counts a straight run at a time until it nears the end. The loops start
/// at the top of a page or just before its end, so that some straddle two
/// pages and branch from one into the other.
fn pair_word() -> impl Strategy<Value = u32> {
    use cpu::isa::Op;
    let reg = || 1u8..5;
    let branch = prop_oneof![
        Just(Op::Beq),
        Just(Op::Bne),
        Just(Op::Blt),
        Just(Op::Bge),
        Just(Op::Bltu),
        Just(Op::Bgeu)
    ];
    prop_oneof![
        4 => (reg(), reg(), -8i32..8).prop_map(|(rd, rs1, imm)| encode(&Insn::new(Op::Addi, rd, rs1, 0, imm))),
        2 => (reg(), reg(), reg()).prop_map(|(rd, rs1, rs2)| encode(&Insn::new(Op::Add, rd, rs1, rs2, 0))),
        4 => (branch, reg(), reg(), -12i32..12).prop_map(|(op, rs1, rs2, k)| encode(&Insn::new(op, 0, rs1, rs2, 4 * k))),
        // x6/x7 hold instruction words: rewrite a word of the program.
        1 => (6u8..8, 0i32..48).prop_map(|(rs2, k)| encode(&Insn::new(Op::Sw, 0, 5, rs2, 4 * k))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn tight_loops_and_code_rewrites_match_the_reference(
        code in prop::collection::vec(pair_word(), 8..48),
        regs in prop::collection::vec(-3i64..4, 4),
        timecmp in prop_oneof![Just(u64::MAX), 0u64..40, 0u64..400],
        budget in prop_oneof![1u64..64, 900u64..3000],
        store_words in (0usize..4, 0usize..4),
        pad in prop_oneof![Just(0usize), 1000usize..1024],
        digest in any::<bool>(),
    ) {
        use cpu::isa::Op;
        // Words the stores may write: more loop bodies and branches.
        let words = [
            encode(&Insn::new(Op::Addi, 1, 1, 0, 1)),
            encode(&Insn::new(Op::Bne, 0, 1, 2, -4)),
            encode(&Insn::new(Op::Add, 2, 2, 3, 0)),
            encode(&Insn::new(Op::Bltu, 0, 2, 4, 8)),
        ];
        let setup = |way: Way| {
            let mut a = Asm::new();
            a.words = vec![encode(&Insn::new(Op::Addi, 0, 0, 0, 0)); pad];
            a.words.extend(&code);
            a.sys(cpu::isa::Op::Ecall);
            let mut h = hart_with(&a);
            run_as(&mut h, way);
            for (i, r) in regs.iter().enumerate() {
                h.arch.x[i + 1] = *r as u64;
            }
            h.set_digest(digest);
            h.arch.x[5] = CODE + 4 * pad as u64;
            h.arch.x[6] = words[store_words.0] as u64;
            h.arch.x[7] = words[store_words.1] as u64;
            delegate_like_native(&mut h);
            h.arch.core.csr.stvec = CODE + 4 * pad as u64;
            h.arch.core.csr.mie = S_INTERRUPTS;
            h.arch.core.timecmp = timecmp;
            h
        };
        let mut slow = setup(Way::Reference);
        let b = drive(&mut slow, budget);
        for way in WAYS.into_iter().skip(1) {
            let mut fast = setup(way);
            let a = drive(&mut fast, budget);
            prop_assert_eq!(&a, &b, "{:?}", way);
            prop_assert_eq!(fast.arch.x, slow.arch.x, "{:?}", way);
            prop_assert_eq!(fast.arch.pc, slow.arch.pc);
            prop_assert_eq!(fast.instret(), slow.instret());
            prop_assert_eq!(fast.digest, slow.digest);
            prop_assert!(ram(&fast) == ram(&slow), "RAM differs ({:?})", way);
        }
    }
}

// ---------------------------------------------------------------------------
// Compressed code (IALIGN = 16): the decode cache's slot per parcel, the
// fast loop's and the translator's compressed operations and their count
// of retired instructions, against the reference executor.

/// Packs a parcel stream into the words `Asm` writes (the last one padded
/// with an illegal 0 parcel).
fn pack(parcels: &[u16]) -> Vec<u32> {
    parcels
        .chunks(2)
        .map(|p| u32::from(p[0]) | u32::from(p.get(1).copied().unwrap_or(0)) << 16)
        .collect()
}

/// The parcels of one instruction: a legal compressed one, a 32-bit one of
/// the table split in two (so that 32-bit instructions begin at any
/// parcel), or a random parcel.
fn parcels() -> impl Strategy<Value = Vec<u16>> {
    prop_oneof![
        4 => any::<u16>().prop_filter_map("not a legal compressed parcel", |p| {
            cpu::rvc::expand(p).map(|_| vec![p])
        }),
        2 => word().prop_map(|w| vec![w as u16, (w >> 16) as u16]),
        1 => any::<u16>().prop_map(|p| vec![p]),
    ]
}

/// A random stream as [`setup`]'s, but of parcels, after `pad` `c.nop`s
/// (so that it begins at any parcel, and some streams straddle the first
/// page's end).
fn compressed_setup() -> impl Strategy<Value = Setup> {
    (
        setup(),
        prop::collection::vec(parcels(), 16..900),
        prop_oneof![0usize..8, 1990usize..2048],
    )
        .prop_map(|(mut s, stream, pad)| {
            let mut p = vec![0x0001u16; pad];
            p.extend(stream.into_iter().flatten());
            s.code = pack(&p);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_compressed_streams_are_safe_and_fast_equals_reference(s in compressed_setup()) {
        let mut slow = build(&s, Way::Reference);
        let b = drive(&mut slow, s.budget);
        for way in [Way::Interpret, Way::Translate] {
            let mut fast = build(&s, way);
            let a = drive(&mut fast, s.budget);
            prop_assert_eq!(&a, &b, "{:?}", way);
            prop_assert_eq!(fast.arch.x, slow.arch.x, "{:?}", way);
            prop_assert_eq!(fast.arch.pc, slow.arch.pc);
            prop_assert_eq!(fast.arch.core.privilege, slow.arch.core.privilege);
            prop_assert_eq!(&fast.arch.core.csr, &slow.arch.core.csr);
            prop_assert!(ram(&fast) == ram(&slow), "RAM differs ({:?})", way);
        }
    }
}

/// One instruction of a tight loop on `x8`..`x11` (the registers compressed
/// instructions name): `addi`, `add`, `sub`, a conditional branch, a `jal`
/// or `jalr`-free jump, compressed where GNU as would compress it (`c`) or
/// 32-bit; jump distances in parcels, so that some land in the middle of a
/// 32-bit instruction; and `sh`/`sw` of `x6`/`x7` (parcels) into the loop
/// at `x5`, rewriting a compressed instruction or half of a 32-bit one.
fn c_loop_insn() -> impl Strategy<Value = Vec<u16>> {
    use cpu::isa::Op;
    let reg = || 8u8..12;
    let branch = prop_oneof![Just(Op::Beq), Just(Op::Bne), Just(Op::Blt), Just(Op::Bgeu)];
    let word = prop_oneof![
        4 => (reg(), -8i32..8).prop_map(|(rd, imm)| encode(&Insn::new(Op::Addi, rd, rd, 0, imm))),
        2 => (reg(), reg()).prop_map(|(rd, rs2)| encode(&Insn::new(Op::Add, rd, rd, rs2, 0))),
        1 => (reg(), reg()).prop_map(|(rd, rs2)| encode(&Insn::new(Op::Sub, rd, rd, rs2, 0))),
        1 => (reg(), reg()).prop_map(|(rd, rs2)| encode(&Insn::new(Op::Add, rd, 0, rs2, 0))),
        4 => (branch, reg(), prop_oneof![Just(0u8), reg()], -16i32..16)
            .prop_map(|(op, rs1, rs2, k)| encode(&Insn::new(op, 0, rs1, rs2, 2 * k))),
        1 => (-8i32..8).prop_map(|k| encode(&Insn::new(Op::Jal, 0, 0, 0, 2 * k))),
        1 => (6u8..8, 0i32..64).prop_map(|(rs2, k)| encode(&Insn::new(Op::Sh, 0, 5, rs2, 2 * k))),
        1 => (6u8..8, 0i32..32).prop_map(|(rs2, k)| encode(&Insn::new(Op::Sw, 0, 5, rs2, 4 * k))),
    ];
    (word, prop::bool::weighted(0.7)).prop_map(|(w, c)| match cpu::rvc::compress(w) {
        Some(p) if c => vec![p],
        _ => vec![w as u16, (w >> 16) as u16],
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn compressed_loops_and_parcel_rewrites_match_the_reference(
        code in prop::collection::vec(c_loop_insn(), 8..48),
        regs in prop::collection::vec(-3i64..4, 4),
        timecmp in prop_oneof![Just(u64::MAX), 0u64..40, 0u64..400],
        budget in prop_oneof![1u64..64, 900u64..3000],
        stores in (0usize..6, 0usize..6),
        pad in prop_oneof![0usize..4, 2010usize..2048],
        digest in any::<bool>(),
    ) {
        use cpu::isa::Op;
        // Parcels the stores may write: compressed loop bodies, a branch, a
        // jump, an illegal parcel, and a 32-bit instruction's first half.
        let c = |w: u32| cpu::rvc::compress(w).expect("compressible") as u64;
        let words = [
            c(encode(&Insn::new(Op::Addi, 8, 8, 0, 1))),
            c(encode(&Insn::new(Op::Bne, 0, 9, 0, -2))),
            c(encode(&Insn::new(Op::Add, 10, 10, 11, 0))),
            c(encode(&Insn::new(Op::Jal, 0, 0, 0, 6))),
            0,
            encode(&Insn::new(Op::Addi, 9, 9, 0, 3)) as u64 & 0xffff,
        ];
        let mut parcels = vec![0x0001u16; pad];
        parcels.extend(code.iter().flatten());
        let ecall = encode(&Insn::new(Op::Ecall, 0, 0, 0, 0));
        parcels.extend([ecall as u16, (ecall >> 16) as u16]);
        let setup = |way: Way| {
            let mut a = Asm::new();
            a.words = pack(&parcels);
            let mut h = hart_with(&a);
            run_as(&mut h, way);
            for (i, r) in regs.iter().enumerate() {
                h.arch.x[i + 8] = *r as u64;
            }
            h.set_digest(digest);
            h.arch.x[5] = CODE + 2 * pad as u64;
            h.arch.x[6] = words[stores.0];
            h.arch.x[7] = words[stores.1];
            delegate_like_native(&mut h);
            h.arch.core.csr.stvec = CODE + 2 * pad as u64;
            h.arch.core.csr.mie = S_INTERRUPTS;
            h.arch.core.timecmp = timecmp;
            h
        };
        let mut slow = setup(Way::Reference);
        let b = drive(&mut slow, budget);
        for way in WAYS.into_iter().skip(1) {
            let mut fast = setup(way);
            let a = drive(&mut fast, budget);
            prop_assert_eq!(&a, &b, "{:?}", way);
            prop_assert_eq!(fast.arch.x, slow.arch.x, "{:?}", way);
            prop_assert_eq!(fast.arch.pc, slow.arch.pc);
            prop_assert_eq!(fast.instret(), slow.instret());
            prop_assert_eq!(fast.digest, slow.digest);
            prop_assert!(ram(&fast) == ram(&slow), "RAM differs ({:?})", way);
        }
    }
}
