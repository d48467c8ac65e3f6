//! The run loop: the timer interrupt at exactly its deadline, `wfi` and
//! `sleep_until`, self-modifying code, LR/SC and AMOs, devices, the digest,
//! breakpoints.
mod common;
use common::*;
use cpu::csr::{SSTATUS_SIE, STIP};
use cpu::hart::{Devices, Exit, Hart};
use cpu::isa::{encode, Insn, Op};
use cpu::trap::Exception;

fn counting_loop(n: usize) -> Asm {
    let mut a = Asm::new();
    for _ in 0..n {
        a.i(Op::Addi, 5, 5, 1);
    }
    a.sys(Op::Ecall);
    a
}

#[test]
fn timer_interrupt_at_exactly_the_deadline() {
    for deadline_time in [1u64, 7, 20] {
        let mut h = hart_with_handler(&counting_loop(300));
        h.arch.core.csr.mie = STIP;
        h.arch.core.csr.mstatus |= SSTATUS_SIE;
        h.arch.core.timecmp = deadline_time;
        // Slice the run into odd budgets: the result must not depend on it.
        loop {
            match run(&mut h, 3) {
                Exit::BudgetExhausted => continue,
                e => {
                    assert_eq!(e, HALT);
                    break;
                }
            }
        }
        assert_eq!(h.arch.pc, HANDLER);
        assert_eq!(h.arch.core.csr.scause, 1 << 63 | 5);
        // time = instret / 10 reaches the deadline after 10 × t retired.
        assert_eq!(h.arch.x[5], 10 * deadline_time);
        assert_eq!(h.arch.core.csr.sepc, CODE + 4 * 10 * deadline_time);
        assert_ne!(h.arch.core.csr.mip & STIP, 0, "STIP stays until set_timer");
    }
}

#[test]
fn wfi_then_sleep_until_wakes_on_the_timer() {
    let mut a = Asm::new();
    a.sys(Op::Wfi).sys(Op::Ecall);
    let mut h = hart_with_handler(&a);
    h.arch.core.csr.mie = STIP;
    h.arch.core.csr.mstatus |= SSTATUS_SIE;
    h.arch.core.timecmp = 1000;
    assert_eq!(run_to_exit(&mut h), Exit::Wfi);
    h.sleep_until(h.arch.core.timecmp);
    assert_eq!(h.time(), 1000);
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.sepc, CODE + 4);
    assert_eq!(h.instret(), 1);
}

#[test]
fn stores_into_cached_code_and_fence_i() {
    // Run `addi x5, x5, 1` at L, then overwrite it with `addi x5, x5, 100`
    // and run it again (with and without fence.i).
    for with_fence in [false, true] {
        let new = encode(&Insn::new(Op::Addi, 5, 5, 0, 100));
        let mut a = Asm::new();
        a.li(6, CODE + 0x100).li(7, new as u64);
        a.insn(Op::Jal, 1, 0, 0, 0x100 - a.here()); // call L
        a.s(Op::Sw, 7, 6, 0);
        if with_fence {
            a.sys(Op::FenceI);
        }
        a.insn(Op::Jal, 1, 0, 0, 0x100 - a.here()); // call L again
        a.sys(Op::Ecall);
        while a.words.len() < 0x40 {
            a.word(0);
        }
        a.i(Op::Addi, 5, 5, 1).i(Op::Jalr, 0, 1, 0);
        let mut h = hart_with(&a);
        assert_eq!(run_to_exit(&mut h), HALT);
        assert_eq!(h.arch.x[5], 101, "fence.i {with_fence}");
    }
    // A page that was written as data before it ran as code: the store
    // translations made while it was data must not let a later store into
    // its code slip past the decode cache.
    let addi = |imm| encode(&Insn::new(Op::Addi, 5, 5, 0, imm)) as u64;
    let ret = encode(&Insn::new(Op::Jalr, 0, 1, 0, 0)) as u64;
    let mut a = Asm::new();
    a.li(6, DATA).li(7, addi(1)).s(Op::Sw, 7, 6, 0);
    a.li(7, ret).s(Op::Sw, 7, 6, 4);
    a.i(Op::Jalr, 1, 6, 0); // call DATA: x5 += 1
    a.li(7, addi(100)).s(Op::Sw, 7, 6, 0);
    a.i(Op::Jalr, 1, 6, 0); // call DATA again: x5 += 100
    a.sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(
        h.arch.x[5], 101,
        "the second call runs the stored instruction"
    );
    // The host's write_phys is seen too.
    let mut a = Asm::new();
    a.i(Op::Addi, 5, 5, 1).sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    let new = encode(&Insn::new(Op::Addi, 5, 5, 0, 10));
    assert!(h.write_phys(CODE, &new.to_le_bytes()));
    h.arch.pc = CODE;
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[5], 11);
}

#[test]
fn lr_sc_and_amos() {
    let amo = |op, rd, rs1, rs2| encode(&Insn::new(op, rd, rs1, rs2, 0));
    let mut a = Asm::new();
    a.li(5, DATA)
        .li(6, 0x7fff_ffff)
        .s(Op::Sw, 6, 5, 0)
        .li(7, 1)
        // amoadd.w: 0x7fff_ffff + 1 = 0x8000_0000 in memory; rd = old
        .word(amo(Op::AmoaddW, 8, 5, 7))
        // amoswap.w returns the new word sign-extended
        .word(amo(Op::AmoswapW, 9, 5, 0))
        // LR/SC success
        .word(amo(Op::LrD, 10, 5, 0))
        .word(amo(Op::ScD, 11, 5, 7))
        // SC without a reservation fails and writes nothing
        .word(amo(Op::ScD, 12, 5, 6))
        // LR, then a trap-free store by the same hart, SC succeeds
        .word(amo(Op::LrW, 13, 5, 0))
        .word(amo(Op::ScW, 14, 5, 6))
        // amomin.w signed vs amominu.w unsigned
        .li(15, -5i64 as u64)
        .word(amo(Op::AmominW, 16, 5, 15))
        .word(amo(Op::AmomaxuW, 17, 5, 6))
        .i(Op::Lw, 18, 5, 0)
        .sys(Op::Ecall);
    for reference in [false, true] {
        let mut h = hart_with(&a);
        h.set_reference_mode(reference);
        assert_eq!(run_to_exit(&mut h), HALT);
        assert_eq!(h.arch.x[8], 0x7fff_ffff);
        assert_eq!(h.arch.x[9], 0xffff_ffff_8000_0000);
        assert_eq!(h.arch.x[10], 0);
        assert_eq!(h.arch.x[11], 0, "sc.d succeeded");
        assert_eq!(h.arch.x[12], 1, "sc.d without reservation failed");
        assert_eq!(h.arch.x[13], 1);
        assert_eq!(h.arch.x[14], 0);
        assert_eq!(h.arch.x[16], 0x7fff_ffff);
        assert_eq!(h.arch.x[17], -5i64 as u64, "min stored -5");
        assert_eq!(h.arch.x[18], 0xffff_ffff_ffff_fffb, "maxu keeps 0xfffffffb");
    }
    // A trap to the host between LR and SC leaves the reservation to the
    // host; a host write elsewhere keeps it, one over it ends it.
    let mut a = Asm::new();
    a.li(5, DATA)
        .word(amo(Op::LrD, 10, 5, 0))
        .sys(Op::Ecall)
        .word(amo(Op::ScD, 11, 5, 0))
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert!(h.write_phys(DATA + 0x100, &[1]));
    assert!(h.reservation().is_some());
    assert!(h.write_phys(DATA + 4, &[1]));
    assert!(h.reservation().is_none());
    h.arch.pc += 4;
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[11], 1);
}

/// A UART-ish device at 0x1000_0000 and a finisher at 0x10_0000.
#[derive(Default)]
struct Dev {
    stores: Vec<(u64, u8, u64)>,
}

impl Devices for Dev {
    fn load(&mut self, pa: u64, size: u8) -> Option<u64> {
        (pa & !0xff == 0x1000_0000).then_some(0x60 + size as u64)
    }
    fn store(&mut self, pa: u64, size: u8, value: u64) -> Option<bool> {
        if pa & !0xff == 0x1000_0000 {
            self.stores.push((pa, size, value));
            Some(false)
        } else if pa == 0x10_0000 {
            Some(true)
        } else {
            None
        }
    }
}

#[test]
fn devices_through_bare_and_paged_mappings() {
    let mut a = Asm::new();
    a.li(5, 0x1000_0000)
        .li(6, b'A' as u64)
        .s(Op::Sb, 6, 5, 0)
        .i(Op::Lbu, 7, 5, 5)
        .li(8, 0x10_0000)
        .li(9, 0x5555)
        .s(Op::Sw, 9, 8, 0)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    let mut dev = Dev::default();
    assert_eq!(h.run(&mut dev, 1000), Exit::Device);
    assert_eq!(
        h.arch.pc,
        CODE + 4 * (a.words.len() as u64 - 1),
        "past the store"
    );
    assert_eq!(dev.stores, vec![(0x1000_0000, 1, b'A' as u64)]);
    assert_eq!(h.arch.x[7], 0x61);
    // Paged: the UART mapped at 0x4000_0000.
    let mut a = Asm::new();
    a.li(5, 0x4000_0000)
        .li(6, b'B' as u64)
        .s(Op::Sb, 6, 5, 3)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    let mut p = Pages::new(&mut h);
    p.map(&mut h, CODE, CODE, V | X | A, 0);
    p.map(&mut h, 0x4000_0000, 0x1000_0000, V | R | W | A | D, 0);
    p.enable(&mut h);
    let mut dev = Dev::default();
    assert_eq!(h.run(&mut dev, 1000), HALT);
    assert_eq!(dev.stores, vec![(0x1000_0003, 1, b'B' as u64)]);
    // No device: an access fault.
    let mut h = hart_with(&a);
    let mut p = Pages::new(&mut h);
    p.map(&mut h, CODE, CODE, V | X | A, 0);
    p.map(&mut h, 0x4000_0000, 0x2000_0000, V | R | W | A | D, 0);
    p.enable(&mut h);
    assert_eq!(
        run_to_exit(&mut h),
        exc(Exception::StoreAccessFault, 0x4000_0003)
    );
}

#[test]
fn digest_is_the_same_whatever_the_slicing() {
    let prog = counting_loop(50);
    let mut one = hart_with(&prog);
    one.set_digest(true);
    assert_eq!(run_to_exit(&mut one), HALT);
    let mut sliced = hart_with(&prog);
    sliced.set_digest(true);
    while run(&mut sliced, 7) == Exit::BudgetExhausted {}
    assert_eq!(one.digest, sliced.digest);
    assert_eq!(one.digest.count, 50);
    let mut expect = cpu::hart::Digest::new();
    for i in 0..50 {
        expect.update(CODE + 4 * i, prog.words[i as usize]);
    }
    assert_eq!(one.digest, expect);
}

#[test]
fn breakpoints_stop_before_and_resume_through() {
    let mut h: Hart = hart_with(&counting_loop(10));
    h.set_breakpoints(&[CODE + 12, CODE + 20]);
    assert_eq!(run_to_exit(&mut h), Exit::Breakpoint);
    assert_eq!((h.arch.pc, h.arch.x[5]), (CODE + 12, 3));
    assert_eq!(run_to_exit(&mut h), Exit::Breakpoint);
    assert_eq!((h.arch.pc, h.arch.x[5]), (CODE + 20, 5));
    h.set_breakpoints(&[]);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[5], 10);
}

#[test]
fn a_store_into_a_loops_branch_is_seen() {
    // L: addi x1, x1, 1; bne x1, x2, L; jalr x0, 0(x10), run once, then
    // the `bne` is rewritten (to compare x3) and the loop run again: the
    // decoded loop must not keep the old branch.
    let new_bne = encode(&Insn::new(Op::Bne, 0, 1, 3, -4)) as u64;
    let mut a = Asm::new();
    a.li(2, 3).li(3, 10).li(5, CODE + 0x104).li(7, new_bne);
    a.insn(Op::Jal, 10, 0, 0, 0x100 - a.here()); // x1 counts to x2 = 3
    a.i(Op::Addi, 11, 1, 0); // x11 = 3
    a.s(Op::Sw, 7, 5, 0);
    a.insn(Op::Jal, 10, 0, 0, 0x100 - a.here()); // now counts to x3 = 10
    a.sys(Op::Ecall);
    while a.words.len() < 0x40 {
        a.word(0);
    }
    a.i(Op::Addi, 1, 1, 1)
        .b(Op::Bne, 1, 2, -4)
        .i(Op::Jalr, 0, 10, 0);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!((h.arch.x[11], h.arch.x[1]), (3, 10));
}
