//! The run loop on plain RV64I code in bare mode.
mod common;
use common::*;
use cpu::hart::Exit;
use cpu::isa::Op;

/// sum = 1 + 2 + ... + 100, then ecall.
fn sum_program() -> Asm {
    let mut a = Asm::new();
    a.li(10, 0).li(11, 100);
    // loop: a0 += a1; a1 -= 1; bnez a1, loop
    a.r(Op::Add, 10, 10, 11)
        .i(Op::Addi, 11, 11, -1)
        .b(Op::Bne, 11, 0, -8)
        .sys(Op::Ecall);
    a
}

#[test]
fn sums_a_loop_and_stops_at_ecall() {
    let mut h = hart_with(&sum_program());
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[10], 5050);
    assert_eq!(h.instret(), 2 + 300);
    assert_eq!(h.arch.pc, CODE + 20);
}

#[test]
fn budget_is_exact() {
    let mut h = hart_with(&sum_program());
    assert_eq!(run(&mut h, 7), Exit::BudgetExhausted);
    assert_eq!(h.instret(), 7);
    let mut total = 7;
    loop {
        match run(&mut h, 3) {
            Exit::BudgetExhausted => total += 3,
            e => {
                assert_eq!(e, HALT);
                break;
            }
        }
    }
    assert_eq!(h.instret(), 302);
    assert!(total <= 302);
    assert_eq!(h.arch.x[10], 5050);
}

#[test]
fn reference_mode_agrees() {
    let mut h = hart_with(&sum_program());
    h.set_reference_mode(true);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[10], 5050);
    assert_eq!(h.instret(), 302);
}

#[test]
fn loads_and_stores_through_ram() {
    let mut a = Asm::new();
    a.li(5, CODE + 0x1000)
        .li(6, 0x1122_3344_5566_7788)
        .s(Op::Sd, 6, 5, 0)
        .i(Op::Lw, 7, 5, 0)
        .i(Op::Lbu, 8, 5, 7)
        .i(Op::Lh, 9, 5, 2)
        .i(Op::Ld, 10, 5, 0)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[7], 0x5566_7788);
    assert_eq!(h.arch.x[8], 0x11);
    assert_eq!(h.arch.x[9], 0x5566);
    assert_eq!(h.arch.x[10], 0x1122_3344_5566_7788);
}

/// Every compressed instruction (RVC: each of the 38,551 legal parcels)
/// does what its base instruction does: from the same state, the parcel
/// and its expansion leave the same registers, RAM, CSRs and exit, but
/// that the parcel is 2 bytes (`pc + 2` instead of `pc + 4` after it, and
/// in the link register of `c.jal`/`c.jalr`). Run through [`Hart::step`]
/// and through `run` (the engine), which must agree.
#[test]
fn every_compressed_instruction_runs_as_its_base_instruction() {
    use cpu::hart::{Hart, NoDevices};
    use cpu::isa::{decode, Kind, Op};
    // Registers point into the data page (so that loads, stores and jumps
    // through them mostly work), sp too; the data page has a pattern.
    let data = CODE + 0x8000;
    let mut base = hart_with(&Asm::new());
    for r in 1..32u8 {
        base.arch.x[r as usize] = data + 0x40 * u64::from(r % 16) + u64::from(r);
    }
    base.arch.x[2] = data + 0x100;
    let pattern: Vec<u8> = (0..4096u32).map(|i| (i * 37 + 11) as u8).collect();
    assert!(base.write_phys(data, &pattern));
    let start = base.state();
    let ram = |h: &Hart| {
        let mut b = vec![0u8; 4096];
        assert!(h.read_phys(data, &mut b));
        b
    };
    let (mut c, mut c_run, mut w) = (base.clone(), base.clone(), base.clone());
    let mut legal = 0;
    for parcel in 0..=u16::MAX {
        let Some(word) = cpu::rvc::expand(parcel) else {
            continue;
        };
        legal += 1;
        for h in [&mut c, &mut c_run, &mut w] {
            h.set_state(&start);
            assert!(h.write_phys(data, &pattern));
        }
        let mut code = parcel.to_le_bytes().to_vec();
        code.extend_from_slice(&[0x01, 0x00]); // c.nop after it
        assert!(c.write_phys(CODE, &code));
        assert!(c_run.write_phys(CODE, &code));
        assert!(w.write_phys(CODE, &word.to_le_bytes()));
        let exit_c = c.step(&mut NoDevices);
        let exit_run = c_run.run(&mut NoDevices, 1);
        let exit_w = w.step(&mut NoDevices);
        let what = format!("{parcel:#06x} = {}", cpu::disasm::disasm(word, CODE));
        assert_eq!(exit_c, exit_w, "{what}");
        // The engine's run of one instruction is the step's.
        let expect_run = exit_c.unwrap_or(Exit::BudgetExhausted);
        assert_eq!(exit_run, expect_run, "{what}: run");
        assert_eq!(c_run.state().arch, c.state().arch, "{what}: run");
        assert_eq!(ram(&c_run), ram(&c), "{what}: run");
        // The base instruction's `pc + 4` is the parcel's `pc + 2`.
        let mut want = w.state().arch;
        if exit_w.is_none() {
            let i = decode(word).expect("expansions decode");
            let x = |r: u8| start.arch.x[r as usize];
            let jumps = match i.op.kind() {
                Kind::Jal | Kind::Jalr => true,
                Kind::Branch => cpu::exec::taken(i.op, x(i.rs1), x(i.rs2)),
                _ => false,
            };
            if !jumps {
                assert_eq!(want.pc, CODE + 4, "{what}");
                want.pc = CODE + 2;
            }
            if matches!(i.op, Op::Jal | Op::Jalr) && i.rd != 0 {
                want.x[i.rd as usize] = CODE + 2;
            }
        }
        assert_eq!(c.state().arch, want, "{what}");
        assert_eq!(ram(&c), ram(&w), "{what}");
        assert_eq!(c.instret(), w.instret(), "{what}");
    }
    assert_eq!(legal, 38_551);
}

/// A page that is one straight run: `addi a0, a0, 1` in every word but the
/// last, which jumps back to the first (1,024 instructions a time round,
/// the longest run 32-bit code can make); with `compressed`, the first half
/// page holds two `c.addi a0, 1` a word instead (1,536 a time round, which
/// only a page with compressed code can make).
fn straight_page(compressed: bool) -> Asm {
    let mut a = Asm::new();
    for w in 0..1023 {
        if compressed && w < 512 {
            a.word(0x0505_0505);
        } else {
            a.i(Op::Addi, 10, 10, 1);
        }
    }
    a.insn(Op::Jal, 0, 0, 0, -4092);
    a
}

/// The fast loop counts a straight run at a time until few instructions
/// are left (as many as the longest run the page can make: fewer where no
/// compressed instruction was decoded), then one at a time: at every
/// budget around those limits, a run of a page-long straight run stops
/// exactly where the reference does, time after time.
#[test]
fn budgets_around_the_longest_run_are_exact() {
    for compressed in [false, true] {
        let budgets = (1..4).chain(1000..1100).chain(2030..2070).chain(4090..4100);
        for budget in budgets {
            let mut fast = hart_with(&straight_page(compressed));
            fast.set_translation(false);
            let mut slow = hart_with(&straight_page(compressed));
            slow.set_reference_mode(true);
            for _ in 0..5 {
                assert_eq!(run(&mut fast, budget), Exit::BudgetExhausted);
                assert_eq!(run(&mut slow, budget), Exit::BudgetExhausted);
                let what = format!("compressed {compressed}, budget {budget}");
                assert_eq!(fast.instret(), slow.instret(), "{what}");
                assert_eq!(fast.arch.pc, slow.arch.pc, "{what}");
                assert_eq!(fast.arch.x[10], slow.arch.x[10], "{what}");
            }
        }
    }
}
