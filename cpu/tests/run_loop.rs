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

/// The debugger's hooks (`cpu::debug`): events, breakpoints on their own
/// pages, watches, trap stops, dirty pages, whole states.
mod debug_hooks {
    use super::*;
    use cpu::debug::{DebugEvent, DebugStops, Watch};
    use cpu::hart::NoDevices;
    use cpu::trap::Trap;

    /// A loop of `n` rounds over a store to `DATA`, a load and a
    /// counter, then a faulting load (delegated: the handler halts).
    fn store_loop(n: i32) -> Asm {
        let mut a = Asm::new();
        a.li(6, DATA).li(7, n as u64);
        a.i(Op::Addi, 5, 5, 1)
            .s(Op::Sd, 5, 6, 0)
            .i(Op::Ld, 8, 6, 0)
            .b(Op::Bne, 5, 7, -12);
        a.li(9, 0x10).i(Op::Ld, 10, 9, 0); // an access fault, delegated
        a
    }

    fn states_equal(a: &Hart, b: &Hart) {
        assert_eq!(a.state(), b.state());
        assert_eq!(ram(a), ram(b));
    }

    #[test]
    fn single_events_add_up_to_the_whole_run() {
        for way in WAYS {
            let mut whole = hart_with_handler(&store_loop(30));
            run_as(&mut whole, way);
            run_to_handler(&mut whole);
            let total = whole.events();
            let mut stepped = hart_with_handler(&store_loop(30));
            run_as(&mut stepped, way);
            let mut trapped = 0;
            for i in 0..total - 1 {
                assert_eq!(stepped.events(), i);
                let exit = stepped.run_events(&mut NoDevices, 1);
                assert_eq!(exit, Exit::BudgetExhausted, "event {i}");
                if stepped.arch.pc == HANDLER {
                    trapped += 1;
                }
            }
            // The last event is the handler's `ecall`, raised to the host.
            assert_eq!(stepped.run_events(&mut NoDevices, 1), HALT);
            assert_eq!(trapped, 1, "the trap entry is an event of its own");
            states_equal(&whole, &stepped);
        }
    }

    #[test]
    fn runs_of_n_events_stop_exactly_before_an_interrupt() {
        // A timer interrupt due at time 3 (after 30 instructions): 30
        // events run the 30 instructions and leave it pending; the 31st
        // is the interrupt's entry.
        let mut h = hart_with_handler(&counting_loop(100));
        h.arch.core.csr.mie = STIP;
        h.arch.core.csr.mstatus |= SSTATUS_SIE;
        h.arch.core.timecmp = 3;
        assert_eq!(h.run_events(&mut NoDevices, 30), Exit::BudgetExhausted);
        assert_eq!((h.instret(), h.arch.pc), (30, CODE + 120));
        assert_ne!(h.arch.core.csr.mip & STIP, 0, "pending, not taken");
        assert_eq!(h.run_events(&mut NoDevices, 1), Exit::BudgetExhausted);
        assert_eq!((h.instret(), h.arch.pc, h.events()), (30, HANDLER, 31));
    }

    #[test]
    fn a_breakpoint_on_another_page_leaves_the_loop_translated() {
        // The loop at CODE runs 5000 rounds; the breakpoint is on the
        // handler's page. Translated code must have run the loop.
        let mut h = hart_with_handler(&store_loop(5000));
        h.set_translation(true);
        h.set_breakpoints(&[HANDLER]);
        assert_eq!(run_to_exit(&mut h), Exit::Breakpoint);
        assert_eq!((h.arch.pc, h.arch.x[5]), (HANDLER, 5000));
        assert!(
            h.translation_stats().0 > 0,
            "the loop's page was translated"
        );
        // Resuming runs the breakpoint's instruction.
        assert_eq!(run_to_exit(&mut h), HALT);
    }

    #[test]
    fn breakpoints_stop_translated_code_every_time_round() {
        for way in WAYS {
            let mut h = hart_with_handler(&store_loop(50));
            run_as(&mut h, way);
            // Run the loop hot first, then break in it (the store).
            assert_eq!(run(&mut h, 100), Exit::BudgetExhausted);
            let stored = read_u64(&h, DATA);
            let store = CODE + 4 * (store_loop(0).words.len() as u64 - 5);
            h.set_breakpoints(&[store]);
            // A run from the breakpoint itself runs its instruction.
            let skipped = u64::from(h.arch.pc == store);
            let mut hits = 0;
            loop {
                match h.run_events(&mut NoDevices, u64::MAX) {
                    Exit::Breakpoint => {
                        assert_eq!(h.arch.pc, store);
                        hits += 1;
                    }
                    e => {
                        assert_eq!(e, HALT);
                        break;
                    }
                }
            }
            assert_eq!(hits, 50 - stored - skipped, "{way:?}");
        }
    }

    #[test]
    fn watches_stop_after_the_access_whatever_runs_it() {
        for way in WAYS {
            let mut h = hart_with_handler(&store_loop(40));
            run_as(&mut h, way);
            assert_eq!(run(&mut h, 60), Exit::BudgetExhausted); // hot, TLB filled
            let stored = read_u64(&h, DATA);
            h.set_debug_stops(DebugStops {
                watches: vec![Watch {
                    start: DATA + 4,
                    len: 1,
                    read: false,
                    write: true,
                }],
                ..DebugStops::default()
            });
            let mut writes = 0;
            loop {
                match h.run_events(&mut NoDevices, u64::MAX) {
                    Exit::Debug(DebugEvent::Watch(hit)) => {
                        assert!(hit.write && !hit.read);
                        assert_eq!((hit.va, hit.size), (DATA, 8));
                        assert_eq!(read_u64(&h, DATA), h.arch.x[5], "the store completed");
                        assert_eq!(h.arch.pc, hit.pc + 4);
                        writes += 1;
                    }
                    e => {
                        assert_eq!(e, HALT, "{way:?}");
                        break;
                    }
                }
            }
            assert_eq!(writes, 40 - stored, "{way:?}: every store from then on");
        }
    }

    #[test]
    fn trap_stops_report_each_trap_entered() {
        let mut h = hart_with_handler(&store_loop(3));
        h.set_debug_stops(DebugStops {
            traps: true,
            ..DebugStops::default()
        });
        let exit = run_to_exit(&mut h);
        assert_eq!(
            exit,
            Exit::Debug(DebugEvent::Trapped(Trap::Exception {
                cause: Exception::LoadAccessFault,
                tval: 0x10
            }))
        );
        assert_eq!(h.arch.pc, HANDLER);
    }

    #[test]
    fn dirty_pages_are_the_pages_written_however_written() {
        for way in WAYS {
            let mut h = hart_with_handler(&store_loop(2000));
            run_as(&mut h, way);
            h.take_dirty_pages();
            assert_eq!(run(&mut h, 10), Exit::BudgetExhausted);
            let data_page = ((DATA - CODE) >> 12) as usize;
            assert_eq!(h.take_dirty_pages(), [data_page]);
            assert_eq!(run(&mut h, 1000), Exit::BudgetExhausted);
            assert_eq!(h.take_dirty_pages(), [data_page], "{way:?}: noticed again");
            assert!(h.write_phys(CODE + 0x5000, &[1; 3]));
            assert_eq!(h.take_dirty_pages(), [5]);
            assert_eq!(h.take_dirty_pages(), Vec::<usize>::new());
        }
    }

    #[test]
    fn a_saved_state_and_its_pages_run_again_the_same() {
        let mut h = hart_with_handler(&store_loop(300));
        h.set_digest(true);
        assert_eq!(run(&mut h, 200), Exit::BudgetExhausted);
        let state = h.state();
        let saved = ram(&h);
        h.take_dirty_pages();
        assert_eq!(run(&mut h, 500), Exit::BudgetExhausted);
        let later = (h.state(), ram(&h));
        for page in h.take_dirty_pages() {
            let at = CODE + page as u64 * 4096;
            let bytes = &saved[page * 4096..page * 4096 + 4096];
            assert!(h.write_phys(at, bytes));
        }
        h.set_state(&state);
        assert_eq!(ram(&h), saved);
        assert_eq!(run(&mut h, 500), Exit::BudgetExhausted);
        assert_eq!((h.state(), ram(&h)), later);
    }
}
