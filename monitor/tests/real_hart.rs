//! The monitor on the real hart, with guests hand-encoded through the
//! instruction table (`isa::encode`).

use cpu::devices::{Console, SharedBuffer};
use cpu::isa::{encode, Insn, Op};
use monitor::memory::GuestPhys;
use monitor::stats::ExitReason;
use monitor::strategy::GuestStrategy;
use monitor::{End, GuestImage, GuestSpec, Monitor};

const BASE: u64 = 0x8020_0000;

fn i(op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) -> u32 {
    encode(&Insn::new(op, rd, rs1, rs2, imm))
}

/// Prints the byte in `a0` through the SBI console (legacy putchar), then
/// powers off with a pass through the test finisher.
fn print_a0_and_pass() -> [u32; 7] {
    let (t0, t1, a7) = (5, 6, 17);
    [
        i(Op::Addi, a7, 0, 0, 1),
        i(Op::Ecall, 0, 0, 0, 0),
        i(Op::Lui, t0, 0, 0, 0x0010_0000),
        i(Op::Lui, t1, 0, 0, 0x5000),
        i(Op::Addi, t1, t1, 0, 0x555),
        i(Op::Sw, 0, t0, t1, 0),
        i(Op::Jal, 0, 0, 0, 0),
    ]
}

/// Prints "hi" through the UART (MMIO), checks `sscratch` round-trips,
/// counts down a loop of `n`, prints "\n" through the SBI, passes.
fn chatty(n: i32) -> Vec<u32> {
    let (t0, t1, s0, a0) = (5, 6, 8, 10);
    [
        i(Op::Lui, t0, 0, 0, 0x1000_0000),
        i(Op::Addi, t1, 0, 0, b'h' as i32),
        i(Op::Sb, 0, t0, t1, 0),
        i(Op::Addi, t1, 0, 0, b'i' as i32),
        i(Op::Sb, 0, t0, t1, 0),
        i(Op::Csrrw, 0, t1, 0, 0x140),
        i(Op::Csrrs, a0, 0, 0, 0x140),
        i(Op::Addi, s0, 0, 0, n),
        i(Op::Addi, s0, s0, 0, -1),
        i(Op::Bne, 0, s0, 0, -4),
        i(Op::Addi, a0, 0, 0, b'\n' as i32),
    ]
    .into_iter()
    .chain(print_a0_and_pass())
    .collect()
}

/// Masks interrupts and spins forever.
fn spinner() -> Vec<u32> {
    vec![i(Op::Csrrci, 0, 2, 0, 0x100), i(Op::Jal, 0, 0, 0, 0)]
}

fn spec(name: &str, code: &[u32], max: u64) -> (GuestSpec, SharedBuffer) {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (console, out) = Console::buffered(&[]);
    let len = bytes.len() as u64;
    (
        GuestSpec {
            name: name.into(),
            image: GuestImage {
                entry: BASE,
                segments: vec![(BASE, bytes, len)],
            },
            memory: 4 << 20,
            console,
            max_instructions: max,
        },
        out,
    )
}

#[test]
fn a_guest_runs_alone_and_beside_others_identically() {
    let mut alone: Monitor = Monitor::new();
    alone.set_digest(true);
    let (s, out) = spec("chatty", &chatty(500), 1_000_000);
    alone.add_guest(s);
    let a = alone.run(10_000).unwrap();
    assert_eq!(out.contents(), b"hi\r\n");
    assert_eq!(a[0].end.code(), 0, "{}", a[0].end);
    // Everything up to the finisher store retires but the SBI `ecall`,
    // which traps (privileged spec 3.3.1), as natively.
    assert_eq!(a[0].retired, 8 + 2 * 500 + 6);

    let mut crowd: Monitor = Monitor::new();
    crowd.set_digest(true);
    let mut outs = Vec::new();
    for (k, n) in [500, 37, 1000, 3].into_iter().enumerate() {
        let (s, out) = spec(&format!("g{k}"), &chatty(n), 1_000_000);
        crowd.add_guest(s);
        outs.push(out);
    }
    let r = crowd.run(7).unwrap();
    let digest = a[0].digest.expect("the digest was asked for");
    assert_eq!(digest.count, a[0].retired, "every retired instruction");
    assert_eq!(r[0].digest, Some(digest), "same stream beside others");
    assert_eq!(r[0].retired, a[0].retired);
    for (rep, out) in r.iter().zip(&outs) {
        assert_eq!(out.contents(), b"hi\r\n");
        assert_eq!(rep.end.code(), 0);
        assert!(rep.stats.world_switches > 1);
    }
}

#[test]
fn the_digest_is_computed_only_when_asked_and_then_equals_the_native_one() {
    let code = chatty(300);
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (console, native_out) = Console::buffered(&[]);
    let mut native = cpu::machine::Machine::new(cpu::hart::Hart::new(4 << 20), console, BASE);
    assert!(native.load_segment(BASE, &bytes, bytes.len() as u64));
    native.hart.set_digest(true);
    let n = native.run();
    assert_eq!(n.outcome.exit_status(), 0, "{:?}", n.outcome);

    let mut plain: Monitor = Monitor::new();
    let (s, out) = spec("chatty", &code, 1_000_000);
    plain.add_guest(s);
    let p = plain.run(100).unwrap();
    assert_eq!(p[0].digest, None, "not asked for: not computed");
    assert!(
        !p[0].to_string().contains("digest"),
        "and not printed:\n{}",
        p[0]
    );
    assert_eq!(p[0].retired, n.instructions, "the guest ran all the same");
    assert_eq!(out.contents(), native_out.contents());

    let mut asked: Monitor = Monitor::new();
    asked.set_digest(true);
    let (s, _) = spec("chatty", &code, 1_000_000);
    asked.add_guest(s);
    let r = asked.run(100).unwrap();
    assert_eq!(r[0].digest, Some(n.digest), "the native stream");
    assert!(
        r[0].to_string().contains(&format!(
            "trace digest: {} over {} instructions",
            n.digest, n.instructions
        )),
        "{}",
        r[0]
    );
}

#[test]
fn a_guest_alone_is_switched_onto_the_hart_once_however_small_the_quantum() {
    let mut m: Monitor = Monitor::new();
    let (s, out) = spec("chatty", &chatty(2000), 1_000_000);
    m.add_guest(s);
    let r = m.run(10).unwrap();
    assert_eq!(r[0].end.code(), 0, "{}", r[0].end);
    assert_eq!(out.contents(), b"hi\r\n");
    assert!(r[0].stats.exits[ExitReason::Budget as usize] > 300);
    assert_eq!(r[0].stats.world_switches, 1, "nobody else wants the hart");
}

#[test]
fn a_masked_spinner_does_not_stop_the_others() {
    let mut m: Monitor = Monitor::new();
    let (s, _) = spec("spin", &spinner(), 200_000);
    m.add_guest(s);
    let (s, out) = spec("chatty", &chatty(2000), 1_000_000);
    m.add_guest(s);
    let r = m.run(1000).unwrap();
    assert_eq!(r[0].end, End::InstructionLimit(200_000));
    assert_eq!(r[1].end.code(), 0);
    assert_eq!(out.contents(), b"hi\r\n");
    assert!(r[0].direct_fraction() > 0.99);
}

/// Rough speed check (run with `--release -- --ignored --nocapture`): a
/// CPU-bound loop natively on the hart vs under the monitor.
#[test]
#[ignore]
fn speed_ratio() {
    let n = 20_000_000;
    let mut code = chatty(0);
    // s0 = n (0x1312d00), too wide for addi's immediate.
    code[7] = i(Op::Lui, 8, 0, 0, 0x0131_3000);
    code.insert(8, i(Op::Addi, 8, 8, 0, -0x300));
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    // Natively: the hart in S-mode running the loop part directly.
    let mut h = cpu::hart::Hart::new(4 << 20);
    h.write_phys(BASE, &bytes);
    h.arch.core.privilege = cpu::hart::Priv::Supervisor;
    // Like the monitor below, and like `trapvisor run` without `--stats`:
    // no digest.
    h.set_digest(false);
    // A warm-up pass, then the timed one.
    let mut native = std::time::Duration::ZERO;
    for _ in 0..2 {
        h.arch.pc = BASE + 9 * 4;
        h.arch.x[8] = n as u64;
        let t = std::time::Instant::now();
        let _ = h.run(&mut cpu::hart::NoDevices, 2 * n as u64 + 1);
        native = t.elapsed();
    }
    let mut m: Monitor = Monitor::new();
    let (s, _) = spec("loop", &code, u64::MAX);
    m.add_guest(s);
    let t = std::time::Instant::now();
    let r = m.run(1_000_000).unwrap();
    let virt = t.elapsed();
    println!(
        "native {native:?}, virtualized {virt:?} ({} instructions): virtualized/native speed = {:.3}",
        r[0].retired,
        native.as_secs_f64() / virt.as_secs_f64()
    );
}

/// `lr.d`, a `csrr sscratch` (emulated under the monitor, a plain
/// instruction natively), `sc.d` to the same address; prints `'0' + rd`
/// of the `sc` (`0` = it succeeded) through the SBI, then passes.
fn lr_csr_sc() -> Vec<u32> {
    let (t0, t1, a0, a1) = (5, 6, 10, 11);
    [
        // t0 = BASE + 0x1000 (lui sign-extends: clear the upper half).
        i(Op::Lui, t0, 0, 0, (BASE + 0x1000) as i32),
        i(Op::Slli, t0, t0, 0, 32),
        i(Op::Srli, t0, t0, 0, 32),
        i(Op::LrD, t1, t0, 0, 0),
        i(Op::Csrrs, a0, 0, 0, 0x140),
        i(Op::Addi, t1, t1, 0, 1),
        i(Op::ScD, a1, t0, t1, 0),
        i(Op::Addi, a0, a1, 0, b'0' as i32),
    ]
    .into_iter()
    .chain(print_a0_and_pass())
    .collect()
}

#[test]
fn lr_then_an_emulated_csr_access_then_sc_succeeds_natively() {
    let code = lr_csr_sc();
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    let (console, out) = Console::buffered(&[]);
    let mut m = cpu::machine::Machine::new(cpu::hart::Hart::new(4 << 20), console, BASE);
    assert!(m.load_segment(BASE, &bytes, 0x2000));
    let r = m.run();
    assert_eq!(r.outcome.exit_status(), 0, "{:?}", r.outcome);
    assert_eq!(out.contents(), b"0", "sc succeeded natively");
}

#[test]
fn lr_then_an_emulated_csr_access_then_sc_succeeds_under_the_monitor() {
    let mut m: Monitor = Monitor::new();
    let (s, out) = spec("lrsc", &lr_csr_sc(), 1_000);
    m.add_guest(s);
    let r = m.run(10_000).unwrap();
    assert_eq!(r[0].end.code(), 0, "{}", r[0].end);
    assert!(
        r[0].emulated >= 1,
        "the csr access was trapped and emulated"
    );
    assert_eq!(out.contents(), b"0", "sc succeeded alone under the monitor");
}

#[test]
fn lr_sc_survive_world_switches_with_quantum_1() {
    let mut m: Monitor = Monitor::new();
    let mut outs = Vec::new();
    for k in 0..3 {
        let (s, out) = spec(&format!("lrsc{k}"), &lr_csr_sc(), 1_000);
        m.add_guest(s);
        outs.push(out);
    }
    let r = m.run(1).unwrap();
    for (rep, out) in r.iter().zip(&outs) {
        assert_eq!(rep.end.code(), 0, "{}", rep.end);
        assert!(rep.stats.world_switches > 5, "{}", rep.stats.world_switches);
        assert_eq!(
            out.contents(),
            b"0",
            "{}: sc succeeded beside others",
            rep.name
        );
    }
}

/// Prints `A` twice through the SBI (the `addi a0, zero, 'A'` at
/// `BASE + 4` runs once per round), with a `csrr` of `sscratch` in each
/// round (so that binary translation patches the page), then passes.
fn prints_a_twice() -> Vec<u32> {
    let (t2, s0, a0, a7) = (7, 8, 10, 17);
    [
        i(Op::Addi, s0, 0, 0, 2),
        i(Op::Addi, a0, 0, 0, b'A' as i32),
        i(Op::Csrrs, t2, 0, 0, 0x140),
        i(Op::Addi, a7, 0, 0, 1),
        i(Op::Ecall, 0, 0, 0, 0),
        i(Op::Addi, s0, s0, 0, -1),
        i(Op::Bne, 0, s0, 0, -20),
    ]
    .into_iter()
    .chain(print_a0_and_pass()[2..].iter().copied())
    .collect()
}

fn is_ecall(step: &monitor::Step) -> bool {
    use cpu::hart::Exit;
    use cpu::trap::{Exception, Trap};
    matches!(
        step.exit,
        Some(Exit::Trap(Trap::Exception {
            cause: Exception::EcallFromU,
            ..
        }))
    )
}

/// A debugger's write to guest memory (the session's memory-write API,
/// which `trapvisor debug` uses for `set {int}ADDR = ...` and GDB's `M`
/// packets) changes the code that runs, under every strategy: under
/// binary translation the write drops the page's translation, as a store
/// of the guest's does, and the new instruction runs, not the old copy.
#[test]
fn code_a_debugger_writes_runs_as_written_under_every_strategy() {
    use monitor::Strategy;
    let li_b = i(Op::Addi, 10, 0, 0, b'B' as i32).to_le_bytes();
    for strategy in Strategy::ALL {
        for virt in [false, true] {
            let mut m: Monitor = Monitor::new();
            m.set_strategy(strategy);
            let (s, out) = spec("patched", &prints_a_twice(), 1_000_000);
            m.add_guest(s);
            let mut session = m.start(1000).expect("starts");
            session.run_until(is_ecall).expect("the first putchar");
            if strategy == Strategy::Bt {
                let GuestStrategy::Bt(t) = &session.guest(0).expect("guest").strategy else {
                    panic!("bt");
                };
                assert!(t.has_copy(BASE), "the page runs from a patched copy");
            }
            if virt {
                session
                    .write_guest_virt(0, BASE + 4, &li_b)
                    .expect("written");
            } else {
                assert!(session.write_guest_phys(0, GuestPhys(BASE + 4), &li_b));
            }
            while session.step_turn().is_some() {}
            let reports = session.finish();
            assert_eq!(
                out.contents(),
                b"AB",
                "under {strategy} (written by {} address)",
                if virt { "virtual" } else { "physical" }
            );
            assert!(
                matches!(reports[0].end, End::Guest(e) if e.code == 0),
                "{:?}",
                reports[0].end
            );
            if strategy == Strategy::Bt {
                assert_eq!(reports[0].stats.strategy.bt_invalidated, 1);
            }
        }
    }
}

/// A software breakpoint written into code (`ebreak`, as GDB writes one
/// with an `M` packet when it has no other way) stops there under binary
/// translation as under trap-and-emulate: the guest's `ebreak` exits at
/// that `pc`.
#[test]
fn an_ebreak_a_debugger_writes_into_translated_code_is_hit() {
    use cpu::hart::Exit;
    use cpu::trap::{Exception, Trap};
    use monitor::Strategy;
    let ebreak = i(Op::Ebreak, 0, 0, 0, 0).to_le_bytes();
    for strategy in [Strategy::Trap, Strategy::Bt] {
        let mut m: Monitor = Monitor::new();
        m.set_strategy(strategy);
        let (s, _out) = spec("breakpoint", &prints_a_twice(), 1_000_000);
        m.add_guest(s);
        let mut session = m.start(1000).expect("starts");
        session.run_until(is_ecall).expect("the first putchar");
        // The `csrr` of the next round.
        assert!(session.write_guest_phys(0, GuestPhys(BASE + 8), &ebreak));
        let hit = session
            .run_until(|step| {
                matches!(
                    step.exit,
                    Some(Exit::Trap(Trap::Exception {
                        cause: Exception::Breakpoint,
                        ..
                    }))
                )
            })
            .unwrap_or_else(|| panic!("no breakpoint under {strategy}"));
        assert_eq!(hit.exit_pc, BASE + 8, "under {strategy}");
    }
}

mod hostile_pv {
    use super::*;
    use cpu::sbi::ext;
    use monitor::strategy::pv::{fid, EID, MAX_UPDATES};
    use proptest::prelude::*;

    const RAM: u64 = 0x8000_0000;
    const MEMORY: u64 = 4 << 20;
    /// Where the records of the calls start (a page after the code).
    const DATA: u64 = BASE + 0x1000;
    const CALLS: usize = 16;

    /// Runs the calls of `DATA`, one record of `a0`..`a7` each, then
    /// passes: `s0` walks the records, `s1` counts them. Before each call
    /// `sepc` is the instruction after its `ecall` (where `pv_sret` goes
    /// back to), and any trap skips the instruction that took it and
    /// returns to S-mode, so that every call is made whatever the ones
    /// before it did (unless they wrote over this code).
    fn caller() -> Vec<u32> {
        let (t0, t1, t2, s0, s1) = (5, 6, 7, 8, 9);
        let mut code = vec![
            i(Op::Auipc, s0, 0, 0, 0x1000),
            i(Op::Addi, s1, 0, 0, CALLS as i32),
            i(Op::Auipc, t2, 0, 0, 0),
            i(Op::Addi, t2, t2, 0, 0), // + the handler's offset, below
            i(Op::Csrrw, 0, t2, 0, 0x105),
        ];
        let stvec_at = 2;
        let top = code.len();
        code.extend([
            i(Op::Auipc, t2, 0, 0, 0),
            i(Op::Addi, t2, t2, 0, 4 * 12),
            i(Op::Csrrw, 0, t2, 0, 0x141),
        ]);
        for r in 10..18 {
            code.push(i(Op::Ld, r, s0, 0, 8 * (r as i32 - 10)));
        }
        code.push(i(Op::Ecall, 0, 0, 0, 0));
        assert_eq!(code.len() - top, 12, "sepc: right after the ecall");
        code.extend([i(Op::Addi, s0, s0, 0, 64), i(Op::Addi, s1, s1, 0, -1)]);
        let back = 4 * (top as i32 - code.len() as i32);
        code.extend([
            i(Op::Bne, 0, s1, 0, back),
            i(Op::Lui, t0, 0, 0, 0x0010_0000),
            i(Op::Lui, t1, 0, 0, 0x5000),
            i(Op::Addi, t1, t1, 0, 0x555),
            i(Op::Sw, 0, t0, t1, 0),
            i(Op::Jal, 0, 0, 0, 0),
        ]);
        let handler = code.len();
        code[stvec_at + 1] = i(Op::Addi, t2, t2, 0, 4 * (handler - stvec_at) as i32);
        let t3 = 28;
        code.extend([
            i(Op::Csrrs, t3, 0, 0, 0x141),
            i(Op::Addi, t3, t3, 0, 4),
            i(Op::Csrrw, 0, t3, 0, 0x141),
            i(Op::Addi, t3, 0, 0, 0x100),
            i(Op::Csrrs, 0, t3, 0, 0x100),
            i(Op::Sret, 0, 0, 0, 0),
        ]);
        code
    }

    /// The (PTE address, value) pairs, after the records.
    const PAIRS: u64 = DATA + 64 * CALLS as u64;

    fn address() -> impl Strategy<Value = u64> {
        prop_oneof![
            (0..MEMORY / 4096).prop_map(|p| RAM + p * 4096),
            (0..0x2000u64).prop_map(|o| DATA + o),
            (0..MEMORY).prop_map(|o| RAM + o),
            (0u64..64).prop_map(|o| RAM + MEMORY - o),
            (0u64..0x10_0000).prop_map(|o| RAM + MEMORY + o),
            (0u64..4096).prop_map(|o| RAM.wrapping_sub(o)),
            any::<u64>(),
        ]
    }

    /// One call's `a0`..`a7`.
    fn record() -> impl Strategy<Value = [u64; 8]> {
        let eid = prop_oneof![
            6 => Just(EID),
            1 => Just(ext::BASE),
            1 => Just(EID + 1),
            1 => any::<u64>(),
        ];
        let fid = prop_oneof![
            5 => Just(fid::MMU_UPDATE),
            2 => Just(fid::SET_SHARED),
            1 => Just(fid::SET_TIMER),
            1 => Just(fid::SRET),
            1 => any::<u64>(),
        ];
        let n = prop_oneof![3 => 0u64..8, 1 => 8u64..600, 1 => Just(MAX_UPDATES), 1 => Just(MAX_UPDATES + 1), 1 => any::<u64>()];
        let a0 = prop_oneof![
            2 => (0u64..64).prop_map(|k| PAIRS + 16 * k),
            1 => address(),
        ];
        (eid, fid, a0, n, any::<u64>(), any::<[u64; 3]>())
            .prop_map(|(eid, fid, a0, a1, a2, [a3, a4, a5])| [a0, a1, a2, a3, a4, a5, fid, eid])
    }

    fn hostile(records: &[[u64; 8]], data: &[(u64, u64)]) -> Vec<u32> {
        let mut words = caller();
        words.resize(0x1000 / 4, i(Op::Addi, 0, 0, 0, 0));
        for r in records {
            for v in r {
                words.extend([*v as u32, (*v >> 32) as u32]);
            }
        }
        // Then (PTE address, value) pairs a list may point at.
        for (a, v) in data {
            words.extend([*a as u32, (*a >> 32) as u32, *v as u32, (*v >> 32) as u32]);
        }
        words
    }

    fn run(
        guests: &[(&str, &[u32], u64)],
        quantum: u64,
    ) -> Vec<(monitor::stats::GuestReport, Vec<u8>)> {
        let mut m: Monitor = Monitor::new();
        m.set_digest(true);
        m.set_strategy(monitor::Strategy::Pv);
        let mut outs = Vec::new();
        for (name, code, max) in guests {
            let (s, out) = spec(name, code, *max);
            m.add_guest(s);
            outs.push(out);
        }
        let r = m.run(quantum).expect("the monitor runs");
        r.into_iter()
            .zip(outs.iter().map(|o| o.contents()))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A PV guest kernel making random hypercalls on the real hart
        /// (random functions and numbers around the extension's, shared
        /// pages and `pv_mmu_update` lists anywhere, page-table entries
        /// written wherever the lists say, `pv_sret` to wherever `sepc`
        /// is) beside a well-behaved neighbour: the run ends, the hostile
        /// guest within its instruction limit, and the neighbour runs
        /// exactly as it runs alone (output, instructions, digest, end).
        #[test]
        fn random_hypercalls_on_the_real_hart_leave_the_neighbour_alone(
            records in proptest::collection::vec(record(), CALLS),
            data in proptest::collection::vec((prop_oneof![
                3 => (0..MEMORY / 8).prop_map(|k| RAM + 8 * k),
                1 => address(),
            ], any::<u64>()), 64),
            quantum in prop_oneof![Just(7u64), Just(100), Just(10_000)],
        ) {
            let neighbour = chatty(300);
            let alone = run(&[("chatty", &neighbour, 1_000_000)], quantum);
            let code = hostile(&records, &data);
            let both = run(
                &[("hostile", &code, 200_000), ("chatty", &neighbour, 1_000_000)],
                quantum,
            );
            let (h, _) = &both[0];
            prop_assert!(h.retired <= 200_000, "{}", h.end);
            prop_assert!(h.stats.strategy.pv_hypercalls > 0, "the calls were made");
            let ((a, a_out), (b, b_out)) = (&alone[0], &both[1]);
            prop_assert_eq!(a_out, b_out);
            prop_assert_eq!((a.retired, a.digest, a.end), (b.retired, b.digest, b.end));
        }
    }
}
