//! Random guest programs, run four ways: natively translated (pages
//! translated at their first entry), natively interpreted, alone under the
//! monitor, and under the monitor beside another random program at a
//! random quantum (1 to 2000 instructions); and the last two again with
//! the monitor's binary translation (`--strategy bt`: the programs' CSR
//! accesses, `sret`s, `wfi`s and `sfence.vma`s become calls into the
//! monitor, and their stores into their own code drop translations). Every way must show the same
//! console bytes, the same end (exit status, and the same storm when it is
//! one) and the same trace digest (hash and count of the retired stream).
//!
//! A program is a prologue (registers from a table, `stvec`, optionally
//! Sv39 and U-mode), a body of random words, and a pass through the
//! finisher. The body leans on what makes a monitor work: loads and stores
//! through registers that hold RAM, UART, finisher and page-boundary
//! addresses, at offsets that are often misaligned (so misaligned device
//! accesses, inside a device and across a RAM page into the UART page under
//! Sv39, come up all the time); CSR accesses, `ecall`s with SBI function
//! numbers, `sret`, `wfi`, `sfence.vma`, AMOs, jumps and branches, illegal
//! words and 16-bit parcels. Compressed code (RVC) is mixed in: pairs of
//! compressed parcels, and 32-bit instructions between two of them, so
//! that they begin 2 bytes into a word (and may straddle a page
//! boundary); compressed loads and stores through the window and page-edge
//! registers (x8, x9) reach the devices. The trap handler prints `'@' +
//! scause` and skips 4 or 2 bytes, or (randomly) returns to the
//! instruction, or faults itself: storms must be equal too. Runs end at the finisher, through SBI, in a
//! storm or hang, or at the instruction limit, all compared.
//!
//! `cargo test` runs [`CASES`] programs (`RANDOM_PROGRAMS` = another
//! number); `scripts/soak.sh` runs many more for a fixed time.

use cpu::devices::Console;
use cpu::hart::{Digest, RAM_BASE};
use cpu::image::{Image, Segment};
use cpu::isa::{encode, Format, Insn, Op, TABLE};
use cpu::machine::{Machine, Outcome, StopReason};
use cpu::privileged::Isa;
use cpu::storm::Storm;
use monitor::{End, GuestImage, GuestSpec, Monitor, Strategy as Virt};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// Pairs the soak found (`found_programs.rs`).
#[path = "found_programs.rs"]
mod found;

/// Programs per `cargo test` run.
const CASES: u32 = 100;
const MEMORY: u64 = 4 << 20;
const LIMIT: u64 = 20_000;

const CODE: u64 = 0x8020_0000;
const HANDLER: u64 = 0x8020_8000;
const DATA: u64 = 0x8021_0000;
const DATA_SIZE: usize = 0x4000;
/// The register table the prologue loads (from `auipc`'s page + 0x1f).
const TABLE_AT: u64 = 0x8021_f000;
const ROOT: u64 = 0x8022_0000;
const L1: u64 = 0x8022_1000;
const L0: u64 = 0x8022_2000;
const UART: u64 = 0x1000_0000;
const FINISHER: u64 = 0x10_0000;
/// Under Sv39, the 4 KiB pages of the window: data, the UART, the
/// finisher, data again.
const WINDOW: u64 = 0x4000_0000;

/// Registers with a role (the prologue loads them; the body may change
/// them): RAM data, the UART, the finisher, the window, the last bytes of
/// the window's data page (so that a wide access runs into the UART page).
const R_DATA: u8 = 5;
const R_UART: u8 = 6;
const R_FINISHER: u8 = 7;
const R_WINDOW: u8 = 8;
const R_EDGE: u8 = 9;
const BASES: [u8; 5] = [R_DATA, R_UART, R_FINISHER, R_WINDOW, R_EDGE];

/// CSRs to hit more often than chance would: S-mode ones, counters, an
/// M-mode one and one that does not exist. `stvec` and `satp` come up
/// less often (see [`csr_number`]): a random value there usually ends the
/// program in a storm at once.
const CSRS: [u16; 12] = [
    0x100, 0x104, 0x106, 0x140, 0x141, 0x142, 0x143, 0x144, 0xc00, 0xc01, 0x300, 0x7c0,
];

fn csr_number() -> impl Strategy<Value = u16> {
    prop_oneof![
        60 => prop::sample::select(&CSRS[..]),
        1 => Just(0x105u16),
        1 => Just(0x180u16),
    ]
}

fn w(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> u32 {
    encode(&Insn::new(op, rd, rs1, rs2, imm))
}

#[derive(Clone, Debug)]
enum Handler {
    /// Prints `'@' + scause` and skips the instruction (4 bytes on).
    Skip,
    /// Prints `'@' + scause` and skips 2 bytes (a compressed instruction;
    /// into the middle of a 32-bit one, anything at all).
    SkipParcel,
    /// Prints and returns to the same instruction (a storm, unless the
    /// cause goes away).
    Retry,
    /// Faults itself after one instruction (a storm).
    Faulting,
}

#[derive(Clone, Debug)]
struct Program {
    body: Vec<u32>,
    regs: Vec<u64>,
    handler: Handler,
    /// Sv39 page flags: the RAM gigapage and the device gigapage (`None`:
    /// the flags that let the program run: RWX, U for a U-mode program,
    /// for RAM; RW for the devices), the four window pages.
    paging: Option<(Option<u64>, Option<u64>, [u64; 4])>,
    user: bool,
    data: Vec<u8>,
}

/// A body word: mostly instructions aimed at what a monitor must get
/// right, some anything at all.
fn body_word() -> impl Strategy<Value = u32> {
    let table_word = (
        0..TABLE.len(),
        0u8..32,
        0u8..32,
        0u8..32,
        any::<i32>(),
        any::<u8>(),
        csr_number(),
    )
        .prop_map(|(k, rd, rs1, rs2, imm, pick, csr)| {
            let spec = &TABLE[k];
            let base = BASES[pick as usize % BASES.len()];
            let (rs1, imm) = match spec.format {
                Format::Csr | Format::CsrI => (rs1, i32::from(csr)),
                Format::Load | Format::S => (base, imm.rem_euclid(72) - 8),
                Format::Amo | Format::Lr => (base, imm & 3),
                // Near jumps and branches stay in or close to the body.
                Format::B | Format::J => (rs1, (imm % 96) & !1),
                _ => (rs1, imm),
            };
            encode(&Insn::new(spec.op, rd, rs1, rs2, imm))
        });
    let loads = [Op::Lb, Op::Lh, Op::Lw, Op::Ld, Op::Lbu, Op::Lhu, Op::Lwu];
    let stores = [Op::Sb, Op::Sh, Op::Sw, Op::Sd];
    // Device accesses, misaligned more often than not.
    let device = (0..11usize, 1u8..32, 0u8..32, 0..3usize, 0i32..16).prop_map(
        move |(k, rd, rs2, which, off)| {
            let base = [R_UART, R_FINISHER, R_EDGE][which];
            if k < loads.len() {
                w(loads[k], rd, base, 0, off)
            } else {
                w(stores[k - loads.len()], 0, base, rs2, off)
            }
        },
    );
    let csr = (0..6usize, 0u8..32, 0u8..32, csr_number()).prop_map(|(k, rd, rs1, c)| {
        let op = [
            Op::Csrrw,
            Op::Csrrs,
            Op::Csrrc,
            Op::Csrrwi,
            Op::Csrrsi,
            Op::Csrrci,
        ][k];
        w(op, rd, rs1, 0, i32::from(c))
    });
    // SBI: legacy set_timer (0), putchar (1), getchar (2), and the base
    // and timer extensions, then the ecall.
    let sbi = prop_oneof![
        (0i32..3).prop_map(|f| w(Op::Addi, 17, 0, 0, f)),
        Just(w(Op::Addi, 17, 0, 0, 0x10)),
        Just(w(Op::Addi, 16, 0, 0, 0)),
        Just(w(Op::Ecall, 0, 0, 0, 0)),
    ];
    let system = prop_oneof![
        6 => Just(w(Op::Ecall, 0, 0, 0, 0)),
        4 => Just(w(Op::Ebreak, 0, 0, 0, 0)),
        2 => Just(w(Op::Sret, 0, 0, 0, 0)),
        // (Rarely: with no timer set, a `wfi` ends the program as a hang.)
        1 => Just(w(Op::Wfi, 0, 0, 0, 0)),
        4 => Just(w(Op::SfenceVma, 0, 0, 0, 0)),
        4 => Just(w(Op::FenceI, 0, 0, 0, 0)),
        // 16-bit parcels and the all-zeros word.
        6 => (any::<u16>(), 0u32..3).prop_map(|(hi, lo)| (hi as u32) << 16 | lo << 2 | lo),
        2 => Just(0u32),
    ];
    prop_oneof![
        6 => table_word,
        3 => device,
        2 => csr,
        1 => sbi,
        1 => system,
        1 => any::<u32>(),
    ]
}

/// A compressed parcel (RVC): one GNU as would write for a body word,
/// a load or store through the window or page-edge register (x8, x9: the
/// devices under Sv39, and misaligned across a page), or any 16 bits that
/// are no 32-bit instruction's first parcel (reserved and illegal ones
/// too).
fn compressed_parcel() -> impl Strategy<Value = u16> {
    let mem = (0..4usize, 8u8..16, 0..2usize, 0i32..32).prop_map(|(k, r, base, off)| {
        let base = [R_WINDOW, R_EDGE][base];
        let (op, scale) = [(Op::Lw, 4), (Op::Ld, 8), (Op::Sw, 4), (Op::Sd, 8)][k];
        let imm = off * scale % if scale == 4 { 128 } else { 256 };
        let word = if k < 2 {
            w(op, r, base, 0, imm)
        } else {
            w(op, 0, base, r, imm)
        };
        cpu::rvc::compress(word).unwrap_or(0x0001)
    });
    prop_oneof![
        6 => body_word().prop_map(|word| cpu::rvc::compress(word).unwrap_or(0x0001)),
        3 => mem,
        1 => any::<u16>().prop_map(|p| if p & 3 == 3 { p & !1 } else { p }),
    ]
}

/// A piece of the body: a word, or compressed code: two compressed
/// parcels, or a 32-bit word between two of them (so that it begins 2 bytes
/// into a word).
fn body_piece() -> impl Strategy<Value = Vec<u32>> {
    prop_oneof![
        8 => body_word().prop_map(|word| vec![word]),
        2 => (compressed_parcel(), compressed_parcel())
            .prop_map(|(a, b)| vec![u32::from(a) | u32::from(b) << 16]),
        1 => (compressed_parcel(), body_word(), compressed_parcel()).prop_map(|(a, word, b)| {
            vec![u32::from(a) | word << 16, word >> 16 | u32::from(b) << 16]
        }),
    ]
}

fn pte_flags() -> impl Strategy<Value = u64> {
    // V R W X U A D, with V, A and D set more often than not.
    (any::<u8>(), 0u8..4).prop_map(|(bits, sel)| {
        let mut f = u64::from(bits) & 0xde;
        if sel != 0 {
            f |= 1 | 0x40 | 0x80;
        }
        f
    })
}

fn register_value() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u64..DATA_SIZE as u64).prop_map(|o| DATA + o),
        (0u64..0x800).prop_map(|o| CODE + 2 * o),
        (0u64..0x100).prop_map(|o| UART + o),
        (0u64..64).prop_map(|v| v),
    ]
}

fn program() -> impl Strategy<Value = Program> {
    (
        prop::collection::vec(body_piece(), 16..300).prop_map(|pieces| pieces.concat()),
        prop::collection::vec(register_value(), 32),
        prop_oneof![
            5 => Just(Handler::Skip),
            2 => Just(Handler::SkipParcel),
            1 => Just(Handler::Retry),
            1 => Just(Handler::Faulting),
        ],
        prop::option::of((
            prop::option::weighted(0.05, pte_flags()),
            prop::option::weighted(0.05, pte_flags()),
            prop::array::uniform4(pte_flags()),
        )),
        prop::bool::weighted(0.25),
        prop::collection::vec(any::<u8>(), DATA_SIZE),
    )
        .prop_map(|(body, regs, handler, paging, user, data)| Program {
            body,
            regs,
            handler,
            paging,
            user,
            data,
        })
}

impl Program {
    /// The prologue: `stvec`, `satp`, (U-mode: `sepc`, SPP), every
    /// register from the table, (U-mode: `sret` into the body).
    fn prologue(&self) -> Vec<u32> {
        let t = 31;
        let mut p = vec![w(Op::Auipc, t, 0, 0, (TABLE_AT - CODE) as i32)];
        p.push(w(Op::Ld, 30, t, 0, 0));
        p.push(w(Op::Csrrw, 0, 30, 0, 0x105)); // stvec
        p.push(w(Op::Ld, 30, t, 0, 8));
        p.push(w(Op::Csrrw, 0, 30, 0, 0x180)); // satp
        p.push(w(Op::SfenceVma, 0, 0, 0, 0));
        if self.user {
            p.push(w(Op::Ld, 30, t, 0, 16));
            p.push(w(Op::Csrrw, 0, 30, 0, 0x141)); // sepc = the body
            p.push(w(Op::Addi, 30, 0, 0, 0x100));
            p.push(w(Op::Csrrc, 0, 30, 0, 0x100)); // SPP = U
        }
        for r in 1..=31u8 {
            p.push(w(Op::Ld, r, t, 0, 8 * (i32::from(r) + 2)));
        }
        if self.user {
            p.push(w(Op::Sret, 0, 0, 0, 0));
        }
        p
    }

    /// The words at `CODE`: prologue, body, a finisher pass, a spin.
    fn code(&self) -> (Vec<u32>, u64) {
        let mut code = self.prologue();
        let body_at = CODE + 4 * code.len() as u64;
        code.extend(&self.body);
        code.push(w(Op::Lui, 31, 0, 0, FINISHER as i32));
        code.push(w(Op::Lui, 30, 0, 0, 0x5000));
        code.push(w(Op::Addi, 30, 30, 0, 0x555));
        code.push(w(Op::Sw, 0, 31, 30, 0));
        code.push(w(Op::Jal, 0, 0, 0, 0));
        (code, body_at)
    }

    fn handler(&self) -> Vec<u32> {
        let mut h = vec![
            w(Op::Csrrs, 31, 0, 0, 0x142), // scause
            w(Op::Andi, 31, 31, 0, 31),
            w(Op::Addi, 31, 31, 0, b'@' as i32),
            w(Op::Lui, 30, 0, 0, UART as i32),
            w(Op::Sb, 0, 30, 31, 0),
        ];
        match self.handler {
            Handler::Skip => {
                h.push(w(Op::Csrrs, 31, 0, 0, 0x141)); // sepc
                h.push(w(Op::Addi, 31, 31, 0, 4));
                h.push(w(Op::Csrrw, 0, 31, 0, 0x141));
            }
            Handler::SkipParcel => {
                h.push(w(Op::Csrrs, 31, 0, 0, 0x141)); // sepc
                h.push(w(Op::Addi, 31, 31, 0, 2));
                h.push(w(Op::Csrrw, 0, 31, 0, 0x141));
            }
            Handler::Retry => {}
            Handler::Faulting => h.push(w(Op::Ld, 31, 0, 0, 8)),
        }
        h.push(w(Op::Sret, 0, 0, 0, 0));
        h
    }

    fn image(&self) -> Image {
        let bytes =
            |words: &[u32]| -> Vec<u8> { words.iter().flat_map(|w| w.to_le_bytes()).collect() };
        let (code, body_at) = self.code();
        let handler_va = match self.paging {
            Some(_) if self.user => WINDOW + 0x8000,
            _ => HANDLER,
        };
        let satp = match self.paging {
            Some(_) => 8 << 60 | ROOT >> 12,
            None => 0,
        };
        let mut table = vec![handler_va, satp, body_at];
        table.extend(&self.regs[1..32]);
        for (r, v) in [
            (R_DATA, DATA),
            (R_UART, UART),
            (R_FINISHER, FINISHER),
            (R_WINDOW, WINDOW),
            (R_EDGE, WINDOW + 0xffc),
        ] {
            table[usize::from(r) + 2] = v;
        }
        let table: Vec<u8> = table.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut segments = vec![
            Segment {
                addr: CODE,
                data: bytes(&code),
                mem_size: 4 * code.len() as u64,
            },
            Segment {
                addr: HANDLER,
                data: bytes(&self.handler()),
                mem_size: 0x1000,
            },
            Segment {
                addr: DATA,
                data: self.data.clone(),
                mem_size: DATA_SIZE as u64,
            },
            Segment {
                addr: TABLE_AT,
                data: table,
                mem_size: 0x1000,
            },
        ];
        if let Some((ram, dev, window)) = self.paging {
            let pte = |pa: u64, flags: u64| (pa >> 12) << 10 | flags;
            let user = if self.user { 0x10 } else { 0 };
            let ram = ram.unwrap_or(1 | 2 | 4 | 8 | 0x40 | 0x80 | user);
            let dev = dev.unwrap_or(1 | 2 | 4 | 0x40 | 0x80);
            let mut root = vec![0u64; 512];
            root[0] = pte(0, dev); // the devices, identity
            root[1] = pte(L1, 1); // the window
            root[2] = pte(RAM_BASE, ram); // RAM, identity
            let mut l1 = vec![0u64; 512];
            l1[0] = pte(L0, 1);
            let mut l0 = vec![0u64; 512];
            for (k, pa) in [DATA, UART, FINISHER, DATA + 0x1000]
                .into_iter()
                .enumerate()
            {
                l0[k] = pte(pa, window[k]);
            }
            // The handler, for U-mode programs (whose RAM gigapage may be
            // U, which S-mode cannot execute).
            l0[8] = pte(HANDLER, 1 | 2 | 8 | 0x40 | 0x80);
            for (addr, t) in [(ROOT, root), (L1, l1), (L0, l0)] {
                segments.push(Segment {
                    addr,
                    data: t.iter().flat_map(|v| v.to_le_bytes()).collect(),
                    mem_size: 0x1000,
                });
            }
        }
        Image {
            entry: CODE,
            segments,
            symbols: Vec::new(),
        }
    }
}

/// What a run shows of a guest.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    console: Vec<u8>,
    status: u8,
    storm: Option<Storm>,
    digest: Digest,
}

/// A native run, booted as `trapvisor run` boots it: the image loaded and
/// the device tree in RAM below it (where the monitor puts each guest's).
fn native(image: &Image, translated: bool) -> Seen {
    native_on(image, translated, Isa::Standard)
}

/// [`native`] on `isa`.
fn native_on(image: &Image, translated: bool, isa: Isa) -> Seen {
    let (console, out) = Console::buffered(b"");
    let mut m = Machine::boot(image, MEMORY, console).expect("the image fits");
    m.set_isa(isa);
    m.max_instructions = LIMIT;
    m.hart.set_digest(true);
    m.hart.set_translation(translated);
    m.hart.set_translation_warmup(1);
    let r = m.run();
    Seen {
        console: out.contents(),
        status: r.outcome.exit_status(),
        storm: match r.outcome {
            Outcome::Stopped(StopReason::TrapStorm(s)) => Some(s),
            _ => None,
        },
        digest: r.digest,
    }
}

fn monitored(images: &[&Image], quantum: u64) -> Vec<Seen> {
    monitored_as(images, quantum, Virt::Trap)
}

fn monitored_as(images: &[&Image], quantum: u64, strategy: Virt) -> Vec<Seen> {
    monitored_on(images, quantum, strategy, Isa::Standard)
}

fn monitored_on(images: &[&Image], quantum: u64, strategy: Virt, isa: Isa) -> Vec<Seen> {
    let mut m: Monitor = Monitor::new();
    m.set_digest(true);
    m.set_isa(isa);
    m.set_strategy(strategy);
    let mut outs = Vec::new();
    for (k, image) in images.iter().enumerate() {
        let (console, out) = Console::buffered(b"");
        m.add_guest(GuestSpec {
            name: format!("g{k}"),
            image: GuestImage::from(*image),
            memory: MEMORY,
            console,
            max_instructions: LIMIT,
        });
        outs.push(out);
    }
    let reports = m.run(quantum).expect("the monitor boots");
    reports
        .into_iter()
        .zip(outs)
        .map(|(r, out)| Seen {
            console: out.contents(),
            status: super::status(&r.end),
            storm: match r.end {
                End::TrapStorm(s) => Some(s),
                _ => None,
            },
            digest: r.digest.expect("asked for"),
        })
        .collect()
}

fn cases() -> u32 {
    std::env::var("RANDOM_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

/// The four-way check: `a` translated, interpreted and alone under the
/// monitor, then `a` and `b` side by side at `quantum`, each equal to its
/// native run.
fn same_four_ways(a: &Program, b: &Program, quantum: u64) -> Result<(), TestCaseError> {
    let (ia, ib) = (a.image(), b.image());
    let reference = native(&ia, true);
    prop_assert!(reference.digest.count > 0);
    prop_assert_eq!(&native(&ia, false), &reference, "interpreted vs translated");
    let alone = monitored(&[&ia], 10_000);
    prop_assert_eq!(&alone[0], &reference, "alone under the monitor vs natively");
    let pair = monitored(&[&ia, &ib], quantum);
    prop_assert_eq!(&pair[0], &reference, "beside another, quantum {}", quantum);
    let other = native(&ib, true);
    prop_assert_eq!(&pair[1], &other, "the other one, quantum {}", quantum);
    Ok(())
}

/// The same check under binary translation (`--strategy bt`) on `isa`:
/// `a` alone, then `a` and `b` side by side, each equal to its native run
/// on that machine. (On `--isa leaky` the programs' `sstatus` accesses
/// must be calls, and code around them is stepped.)
fn same_under_bt(a: &Program, b: &Program, quantum: u64, isa: Isa) -> Result<(), TestCaseError> {
    let (ia, ib) = (a.image(), b.image());
    let reference = native_on(&ia, true, isa);
    let other = native_on(&ib, true, isa);
    let alone = monitored_on(&[&ia], 10_000, Virt::Bt, isa);
    prop_assert_eq!(
        &alone[0],
        &reference,
        "alone under bt vs natively, on {}",
        isa
    );
    let pair = monitored_on(&[&ia, &ib], quantum, Virt::Bt, isa);
    prop_assert_eq!(
        &pair[0],
        &reference,
        "beside another under bt, quantum {}, on {}",
        quantum,
        isa
    );
    prop_assert_eq!(
        &pair[1],
        &other,
        "the other one under bt, quantum {}, on {}",
        quantum,
        isa
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_programs_run_the_same_four_ways(
        a in program(),
        b in program(),
        quantum in prop_oneof![1u64..20, 20u64..2000],
    ) {
        same_four_ways(&a, &b, quantum)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases().div_ceil(2),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The same programs under binary translation (fewer of them: each is
    /// two monitor runs; `RANDOM_PROGRAMS` scales both).
    #[test]
    fn random_programs_run_the_same_under_bt(
        a in program(),
        b in program(),
        quantum in prop_oneof![1u64..20, 20u64..2000],
        isa in prop::sample::select(&Isa::ALL[..]),
    ) {
        same_under_bt(&a, &b, quantum, isa)?;
    }
}

/// What the soak found stays found: each pair in [`found::PAIRS`], both
/// ways round.
#[test]
fn pairs_the_soak_found_run_the_same_four_ways() {
    for (name, pair) in found::PAIRS {
        let (a, b, quantum) = pair();
        for (a, b) in [(&a, &b), (&b, &a)] {
            let bt = || {
                Isa::ALL
                    .iter()
                    .try_for_each(|&isa| same_under_bt(a, b, quantum, isa))
            };
            if let Err(e) = same_four_ways(a, b, quantum).and_then(|()| bt()) {
                panic!("{name}: {e}");
            }
        }
    }
}

/// A timer deadline is reached when `time` reaches it, natively and under
/// the monitor alike, also where the clock ends: it stops at `u64::MAX`
/// ticks, so `time` stops at `u64::MAX / 10`, and a deadline past that is
/// never reached (a `wfi` waiting for it runs the clock to its end and
/// goes on). The program sets the deadline, enables STIE, `wfi`s, and
/// `ebreak`s (printing `C`) if `sip.STIP` is then pending.
#[test]
fn a_timer_deadline_past_the_end_of_the_clock_never_fires() {
    let body = vec![
        w(Op::Addi, 17, 0, 0, 0), // a7 = 0: legacy set_timer(a0)
        w(Op::Ecall, 0, 0, 0, 0),
        w(Op::Addi, 11, 0, 0, 0x20),
        w(Op::Csrrs, 0, 11, 0, 0x104), // sie.STIE
        w(Op::Wfi, 0, 0, 0, 0),
        w(Op::Csrrs, 12, 0, 0, 0x144), // a2 = sip
        w(Op::Andi, 12, 12, 0, 0x20),
        w(Op::Beq, 0, 12, 0, 8),
        w(Op::Ebreak, 0, 0, 0, 0), // STIP is pending: 'C'
        w(Op::Addi, 13, 13, 0, 1),
    ];
    let end = u64::MAX / 10;
    for (deadline, console) in [
        (end - 1, &b"C"[..]),
        (end, b"C"),
        (end + 1, b""),
        (u64::MAX - 1, b""),
    ] {
        let mut regs = vec![0; 32];
        regs[10] = deadline;
        let p = Program {
            body: body.clone(),
            regs,
            handler: Handler::Skip,
            paging: None,
            user: false,
            data: vec![0; DATA_SIZE],
        };
        let seen = native(&p.image(), true);
        assert_eq!(
            (seen.console.as_slice(), seen.status),
            (console, 0),
            "natively, deadline {deadline:#x}"
        );
        if let Err(e) = same_four_ways(&p, &p, 7) {
            panic!("deadline {deadline:#x}: {e}");
        }
    }
}

/// The generator makes what the tests need often: misaligned device
/// accesses (through the UART, finisher and page-edge registers), Sv39,
/// U-mode, every handler, compressed code.
#[test]
fn the_generator_makes_misaligned_device_accesses() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut misaligned, mut paging, mut user, mut compressed) = (0, 0, 0, 0);
    for _ in 0..100 {
        let p = program().new_tree(&mut runner).unwrap().current();
        paging += usize::from(p.paging.is_some());
        user += usize::from(p.user);
        for &word in &p.body {
            compressed += usize::from(word & 3 != 3 && cpu::rvc::expand(word as u16).is_some());
            let Ok(i) = cpu::isa::decode(word) else {
                continue;
            };
            let size = match i.op {
                Op::Lh | Op::Lhu | Op::Sh => 2,
                Op::Lw | Op::Lwu | Op::Sw => 4,
                Op::Ld | Op::Sd => 8,
                _ => continue,
            };
            if [R_UART, R_FINISHER, R_EDGE].contains(&i.rs1) && i.imm % size != 0 {
                misaligned += 1;
            }
        }
    }
    assert!(misaligned > 500, "{misaligned} misaligned device accesses");
    assert!(
        compressed > 1000,
        "{compressed} words begin with a compressed instruction"
    );
    assert!(
        paging > 20 && user > 10,
        "{paging} with Sv39, {user} in U-mode"
    );
}
