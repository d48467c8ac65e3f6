//! Exit handlers fed synthetic exits on a scripted hart.

use cpu::csr::{SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP, SSTATUS_WRITE_MASK, STIP};
use cpu::devices::{Console, SharedBuffer};
use cpu::hart::{Exit, Priv, RAM_BASE};
use cpu::isa::{encode, Insn, Op};
use cpu::port::PhysAddr;
use cpu::trap::{Exception, Interrupt, Trap};

use super::*;
use crate::guest::FillGuard;
use crate::memory::{GuestPhys, GuestRam, MachPhys};
use crate::scripted::{ScriptedHart, NOP};
use crate::shadow::{pte, ShadowMmu};
use crate::stats::GuestStats;
use crate::vcpu::Vcpu;
use crate::vdev::VirtualDevices;

const MEM: u64 = 1 << 20;
const ENTRY: u64 = RAM_BASE;

fn setup() -> (Guest, ScriptedHart, SharedBuffer) {
    let mut hart: ScriptedHart = crate::deprivileged(MEM + 64 * 4096).unwrap();
    let ram = GuestRam {
        base: MachPhys(RAM_BASE),
        size: MEM,
    };
    let shadow = ShadowMmu::new(&mut hart, &ram, MachPhys(RAM_BASE + MEM), 64);
    let (console, out) = Console::buffered(&[]);
    let mut g = Guest {
        name: "t".into(),
        span: tracing::Span::none(),
        vcpu: Vcpu::new(ENTRY),
        ram,
        shadow,
        devices: VirtualDevices::new(console),
        stats: GuestStats::default(),
        end: None,
        max_instructions: u64::MAX,
        storm: cpu::storm::StormWatch::default(),
        fills: FillGuard::default(),
        strategy: Default::default(),
        step_end: u64::MAX,
    };
    crate::session::switch_in(&mut g, &mut hart);
    (g, hart, out)
}

fn illegal(bits: u32) -> Exit {
    Exit::Trap(Trap::Exception {
        cause: Exception::IllegalInstruction,
        tval: bits as u64,
    })
}

fn csr(op: Op, rd: u8, rs1: u8, csr: u16) -> u32 {
    encode(&Insn::new(op, rd, rs1, 0, csr as i32))
}

#[test]
fn csrr_sscratch_is_emulated_and_retires_once() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.csr.sscratch = 0x1234;
    let bits = csr(Op::Csrrs, 10, 0, 0x140);
    hart.set_digest(true);
    let mut want = hart.digest;
    want.update(ENTRY, bits);
    handle(&mut g, &mut hart, &illegal(bits));
    assert_eq!(hart.arch.x[10], 0x1234);
    assert_eq!(hart.arch.pc, ENTRY + 4);
    assert_eq!(g.vcpu.retired(), 1);
    assert_eq!(hart.digest, want, "the emulated csrr is in the digest");
    assert_eq!(g.stats.emulated[Emulated::CsrRead as usize], 1);
}

#[test]
fn csr_access_from_virtual_u_mode_is_the_guests_illegal_instruction() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.privilege = Priv::User;
    g.vcpu.arch.core.csr.stvec = RAM_BASE + 0x100;
    let bits = csr(Op::Csrrs, 10, 0, 0x140);
    handle(&mut g, &mut hart, &illegal(bits));
    assert_eq!(g.vcpu.arch.core.privilege, Priv::Supervisor);
    assert_eq!(g.vcpu.arch.core.csr.scause, 2);
    assert_eq!(g.vcpu.arch.core.csr.stval, bits as u64);
    assert_eq!(g.vcpu.arch.core.csr.sepc, ENTRY);
    assert_eq!(g.vcpu.arch.core.csr.mstatus & SSTATUS_SPP, 0);
    assert_eq!(hart.arch.pc, RAM_BASE + 0x100);
    assert_eq!(g.vcpu.retired(), 0, "a reflected trap retires nothing");
}

#[test]
fn m_mode_csrs_and_mret_are_illegal_for_the_guest_kernel() {
    let (mut g, mut hart, _) = setup();
    for bits in [csr(Op::Csrrs, 10, 0, 0x300), 0x3020_0073] {
        handle(&mut g, &mut hart, &illegal(bits));
        assert_eq!(g.vcpu.arch.core.csr.scause, 2);
        assert_eq!(g.vcpu.arch.core.csr.stval, bits as u64);
    }
}

#[test]
fn garbage_satp_is_ignored_and_a_real_one_flushes_the_shadow() {
    let (mut g, mut hart, _) = setup();
    let bare = hart.arch.core.csr.satp;
    hart.arch.x[5] = 0xdead_beef_dead_beef;
    handle(&mut g, &mut hart, &illegal(csr(Op::Csrrw, 0, 5, 0x180)));
    assert_eq!(g.vcpu.arch.core.csr.satp, 0);
    assert_eq!(hart.arch.core.csr.satp, bare);
    hart.arch.x[5] = 8 << 60 | (RAM_BASE >> 12);
    handle(&mut g, &mut hart, &illegal(csr(Op::Csrrw, 0, 5, 0x180)));
    assert_eq!(g.vcpu.arch.core.csr.satp, 8 << 60 | (RAM_BASE >> 12));
    assert_ne!(hart.arch.core.csr.satp, bare, "now on a shadow root");
    assert_eq!(g.shadow.flushes, 1);
    assert_eq!(g.vcpu.retired(), 2, "both writes retired");
}

#[test]
fn sret_returns_to_user_mode_on_the_user_shadow() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.csr.satp = 8 << 60 | (RAM_BASE >> 12);
    g.shadow.force_activate(&mut hart, &g.vcpu);
    let s_root = hart.arch.core.csr.satp;
    g.vcpu.arch.core.csr.sepc = RAM_BASE + 0x2000;
    g.vcpu.arch.core.csr.mstatus = SSTATUS_SPIE;
    handle(&mut g, &mut hart, &illegal(0x1020_0073));
    assert_eq!(g.vcpu.arch.core.privilege, Priv::User);
    assert_eq!(hart.arch.pc, RAM_BASE + 0x2000);
    assert_eq!(
        g.vcpu.arch.core.csr.mstatus & SSTATUS_WRITE_MASK,
        SSTATUS_SIE | SSTATUS_SPIE
    );
    assert_ne!(hart.arch.core.csr.satp, s_root);
}

#[test]
fn ecall_from_virtual_s_is_an_sbi_call_and_from_u_a_system_call() {
    let (mut g, mut hart, out) = setup();
    hart.arch.x[17] = 1; // legacy console_putchar
    hart.arch.x[10] = b'h' as u64;
    let ecall = Exit::Trap(Trap::Exception {
        cause: Exception::EcallFromU,
        tval: 0,
    });
    handle(&mut g, &mut hart, &ecall);
    g.devices.console().flush();
    assert_eq!(out.contents(), b"h");
    assert_eq!(hart.arch.pc, ENTRY + 4);
    assert_eq!(g.vcpu.retired(), 0, "an ecall traps: it does not retire");
    g.vcpu.arch.core.privilege = Priv::User;
    handle(&mut g, &mut hart, &ecall);
    assert_eq!(g.vcpu.arch.core.csr.scause, 8);
    assert_eq!(g.vcpu.arch.core.csr.sepc, ENTRY + 4);
}

#[test]
fn mmio_store_in_bare_mode_reaches_the_guests_uart() {
    let (mut g, mut hart, out) = setup();
    let sb = encode(&Insn::new(Op::Sb, 0, 6, 7, 0));
    hart.write_phys(PhysAddr(ENTRY), &sb.to_le_bytes());
    hart.arch.x[6] = 0x1000_0000;
    hart.arch.x[7] = b'!' as u64;
    let fault = Exit::Trap(Trap::Exception {
        cause: Exception::StorePageFault,
        tval: 0x1000_0000,
    });
    handle(&mut g, &mut hart, &fault);
    g.devices.console().flush();
    assert_eq!(out.contents(), b"!");
    assert_eq!(hart.arch.pc, ENTRY + 4);
    assert_eq!(g.stats.emulated[Emulated::MmioStore as usize], 1);
}

#[test]
fn a_compressed_mmio_store_is_decoded_and_advances_pc_by_2() {
    let (mut g, mut hart, out) = setup();
    // c.nop; c.sw a1, 0(a0) (its base instruction: sw a1, 0(a0)).
    let c_sw = cpu::rvc::compress(encode(&Insn::new(Op::Sw, 0, 10, 11, 0))).expect("compresses");
    let code = [0x0001u16, c_sw, 0x0001];
    let bytes: Vec<u8> = code.iter().flat_map(|p| p.to_le_bytes()).collect();
    hart.write_phys(PhysAddr(ENTRY), &bytes);
    hart.arch.pc = ENTRY + 2;
    hart.arch.x[10] = 0x1000_0000;
    hart.arch.x[11] = b'c' as u64;
    hart.set_digest(true);
    let mut want = hart.digest;
    want.update(ENTRY + 2, u32::from(c_sw));
    let fault = Exit::Trap(Trap::Exception {
        cause: Exception::StorePageFault,
        tval: 0x1000_0000,
    });
    handle(&mut g, &mut hart, &fault);
    g.devices.console().flush();
    assert_eq!(out.contents(), b"c");
    assert_eq!(hart.arch.pc, ENTRY + 4, "2 bytes on");
    assert_eq!(hart.digest, want, "its 16 bits in the digest, at its pc");
    assert_eq!(g.stats.emulated[Emulated::MmioStore as usize], 1);
}

#[test]
fn an_mmio_store_straddling_two_pages_is_fetched_from_both() {
    let (mut g, mut hart, out) = setup();
    let sb = encode(&Insn::new(Op::Sb, 0, 6, 7, 0));
    hart.write_phys(PhysAddr(ENTRY + 0xffe), &sb.to_le_bytes());
    hart.arch.pc = ENTRY + 0xffe;
    hart.arch.x[6] = 0x1000_0000;
    hart.arch.x[7] = b'!' as u64;
    let fault = Exit::Trap(Trap::Exception {
        cause: Exception::StorePageFault,
        tval: 0x1000_0000,
    });
    handle(&mut g, &mut hart, &fault);
    g.devices.console().flush();
    assert_eq!(out.contents(), b"!");
    assert_eq!(hart.arch.pc, ENTRY + 0x1002);
}

/// Guest tables: root at +0x1000, L1 at +0x2000, L0 at +0x3000; VA
/// 0x4000_0000 → `leaf`.
fn map_one(hart: &mut ScriptedHart, leaf: u64) {
    let w = |hart: &mut ScriptedHart, gpa: u64, v: u64| {
        assert!(hart.write_phys(PhysAddr(gpa), &v.to_le_bytes()));
    };
    w(
        hart,
        RAM_BASE + 0x1000 + 8,
        ((RAM_BASE + 0x2000) >> 12) << 10 | pte::V,
    );
    w(
        hart,
        RAM_BASE + 0x2000,
        ((RAM_BASE + 0x3000) >> 12) << 10 | pte::V,
    );
    w(hart, RAM_BASE + 0x3000, leaf);
}

fn read_u64(hart: &ScriptedHart, pa: u64) -> u64 {
    let mut b = [0; 8];
    hart.read_phys(PhysAddr(pa), &mut b);
    u64::from_le_bytes(b)
}

#[test]
fn shadow_fills_lazily_and_sets_a_then_d() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.csr.satp = 8 << 60 | ((RAM_BASE + 0x1000) >> 12);
    g.shadow.force_activate(&mut hart, &g.vcpu);
    map_one(
        &mut hart,
        ((RAM_BASE + 0x5000) >> 12) << 10 | pte::V | pte::R | pte::W,
    );
    let load = Exit::Trap(Trap::Exception {
        cause: Exception::LoadPageFault,
        tval: 0x4000_0008,
    });
    handle(&mut g, &mut hart, &load);
    assert_eq!(g.stats.shadow_filled, 1);
    let leaf = read_u64(&hart, RAM_BASE + 0x3000);
    assert_eq!(leaf & (pte::A | pte::D), pte::A, "a load sets A only");
    let store = Exit::Trap(Trap::Exception {
        cause: Exception::StorePageFault,
        tval: 0x4000_0008,
    });
    handle(&mut g, &mut hart, &store);
    assert_eq!(g.stats.shadow_filled, 2);
    let leaf = read_u64(&hart, RAM_BASE + 0x3000);
    assert_eq!(leaf & (pte::A | pte::D), pte::A | pte::D);
    assert_eq!(g.vcpu.retired(), 0);
    assert_eq!(g.stats.reflected, 0);
}

#[test]
fn ptes_pointing_outside_the_guests_ram_fault_inside_the_guest() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.csr.satp = 8 << 60 | ((RAM_BASE + 0x1000) >> 12);
    g.vcpu.arch.core.csr.stvec = RAM_BASE + 0x100;
    g.shadow.force_activate(&mut hart, &g.vcpu);
    // A leaf naming the monitor's own reserve, just past the guest's RAM.
    map_one(
        &mut hart,
        ((RAM_BASE + MEM) >> 12) << 10 | pte::V | pte::R | pte::W,
    );
    let load = Exit::Trap(Trap::Exception {
        cause: Exception::LoadPageFault,
        tval: 0x4000_0000,
    });
    handle(&mut g, &mut hart, &load);
    assert_eq!(g.stats.shadow_filled, 0);
    assert_eq!(
        g.vcpu.arch.core.csr.scause,
        Exception::LoadAccessFault as u64
    );
    assert_eq!(g.vcpu.arch.core.csr.stval, 0x4000_0000);
    // A user page from S-mode without SUM: the guest's page fault.
    map_one(
        &mut hart,
        ((RAM_BASE + 0x5000) >> 12) << 10 | pte::V | pte::R | pte::U,
    );
    g.vcpu.arch.core.privilege = Priv::Supervisor;
    handle(&mut g, &mut hart, &load);
    assert_eq!(g.vcpu.arch.core.csr.scause, Exception::LoadPageFault as u64);
}

#[test]
fn the_timer_interrupt_is_injected_at_the_exact_instruction() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.set_timer(10); // clock 100
    g.vcpu.arch.core.csr.mie = STIP;
    g.vcpu.arch.core.csr.mstatus = SSTATUS_SIE;
    g.vcpu.arch.core.csr.stvec = RAM_BASE + 0x800;
    hart.script.push_back((1000, Exit::BudgetExhausted));
    crate::session::run_slice(&mut g, &mut hart, 250);
    assert_eq!(g.vcpu.arch.core.csr.scause, 1 << 63 | 5);
    assert_eq!(
        g.vcpu.arch.core.csr.sepc,
        ENTRY + 4 * 100,
        "taken after exactly 100 instructions"
    );
    assert_eq!(g.stats.interrupts, 1);
    assert_eq!(g.vcpu.retired(), 250);
    let _ = (NOP, Interrupt::SupervisorTimer);
}

#[test]
fn a_used_up_quantum_costs_no_tlb_flush_and_no_allocation() {
    let (mut g, mut hart, _) = setup();
    let (flushes, satp) = (hart.tlb_flushes, hart.arch.core.csr.satp);
    hart.script.push_back((100_000, Exit::BudgetExhausted));
    for _ in 0..10 {
        crate::session::run_slice(&mut g, &mut hart, 1000);
    }
    assert_eq!(g.vcpu.retired(), 10_000);
    assert_eq!(g.stats.exits[ExitReason::Budget as usize], 10);
    assert_eq!(hart.tlb_flushes, flushes, "the TLB survives a quantum");
    assert_eq!(
        hart.arch.core.csr.satp, satp,
        "the shadow root stays in place"
    );
}

/// The real hart keeps each shadow root's translations apart (TLB
/// address-space tags), so neither a world switch nor a change of virtual
/// mode flushes its TLB; only tables dropped while the guest was off the
/// hart (their frames may come back as other tables) do, when it returns.
#[test]
fn a_world_switch_and_a_virtual_mode_change_cost_no_tlb_flush() {
    let (mut g, mut hart, _) = setup();
    let (flushes, satp) = (hart.tlb_flushes, hart.arch.core.csr.satp);
    crate::session::switch_out(&mut g, &mut hart);
    hart.arch.core.csr.satp = 0; // another guest's root
    crate::session::switch_in(&mut g, &mut hart);
    assert_eq!(hart.arch.core.csr.satp, satp, "its root is back");
    assert_eq!(hart.tlb_flushes, flushes, "its translations still hold");
    crate::session::switch_out(&mut g, &mut hart);
    g.shadow.forget();
    crate::session::switch_in(&mut g, &mut hart);
    assert_eq!(hart.tlb_flushes, flushes + 1, "dropped tables: flushed");
    // Sv39: virtual S and U have roots of their own.
    g.vcpu.arch.core.csr.satp = 8 << 60 | (RAM_BASE >> 12);
    g.shadow.flush(&mut hart, &g.vcpu);
    let (flushes, s_root) = (hart.tlb_flushes, hart.arch.core.csr.satp);
    g.vcpu.arch.core.privilege = Priv::User;
    g.shadow.activate(&mut hart, &g.vcpu);
    let u_root = hart.arch.core.csr.satp;
    assert_ne!(u_root, s_root);
    g.vcpu.arch.core.privilege = Priv::Supervisor;
    g.shadow.activate(&mut hart, &g.vcpu);
    assert_eq!(hart.arch.core.csr.satp, s_root);
    assert_eq!(
        hart.tlb_flushes, flushes,
        "a mode change switches roots only"
    );
}

#[test]
fn a_fault_that_never_goes_away_is_a_trap_storm() {
    let (mut g, mut hart, _) = setup();
    g.vcpu.arch.core.csr.stvec = 0x10; // nothing there: the handler itself faults
    let fault = Exit::Trap(Trap::Exception {
        cause: Exception::InstructionPageFault,
        tval: 0x10,
    });
    hart.arch.pc = 0x10;
    let mut end = None;
    for _ in 0..2000 {
        let handled = handle(&mut g, &mut hart, &fault);
        if let Action::End(e) = handled.action {
            assert_eq!(handled.handler, "reflect");
            end = Some(e);
            break;
        }
    }
    assert!(matches!(
        end,
        Some(crate::End::TrapStorm(cpu::storm::Storm { pc: 0x10, .. }))
    ));
    assert_eq!(g.stats.reflected, 999);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// Reads every byte of machine memory outside the guest's RAM and
    /// shadow reserve (where a neighbour would live).
    fn outside(hart: &ScriptedHart) -> Vec<u8> {
        hart.ram[(MEM + 64 * 4096) as usize..].to_vec()
    }

    fn setup_with_neighbour() -> (Guest, ScriptedHart) {
        let (g, mut hart, _) = setup();
        hart.ram.extend(std::iter::repeat_n(0xa5, 1 << 16));
        (g, hart)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Random page tables: whatever the guest's tables say, a page
        /// fault never panics, never maps anything outside the guest's own
        /// RAM, and never touches memory beyond its RAM and reserve.
        #[test]
        fn random_page_tables_stay_inside_the_guest(
            ptes in proptest::collection::vec(any::<u64>(), 48),
            slots in proptest::collection::vec(0u64..(MEM / 8), 48),
            vas in proptest::collection::vec(any::<u64>(), 16),
            root in 0u64..(MEM >> 12),
        ) {
            let (mut g, mut hart) = setup_with_neighbour();
            let before = outside(&hart);
            for (p, s) in ptes.iter().zip(&slots) {
                // Aim a third of the PTEs at pages inside the guest.
                let v = if p % 3 == 0 {
                    (p & 0x3ff) | ((RAM_BASE >> 12) + (p >> 20) % (MEM >> 12)) << 10
                } else {
                    *p
                };
                hart.write_phys(PhysAddr(RAM_BASE + s * 8), &v.to_le_bytes());
            }
            g.vcpu.arch.core.csr.satp = 8 << 60 | ((RAM_BASE >> 12) + root);
            g.shadow.force_activate(&mut hart, &g.vcpu);
            for (i, va) in vas.iter().enumerate() {
                let va = if i % 2 == 0 { va & 0x7f_ffff_ffff } else { *va };
                let cause = [Exception::InstructionPageFault, Exception::LoadPageFault, Exception::StorePageFault][i % 3];
                g.vcpu.arch.core.privilege = if i % 4 == 0 { Priv::User } else { Priv::Supervisor };
                g.end = None;
                let exit = Exit::Trap(Trap::Exception { cause, tval: va });
                handle(&mut g, &mut hart, &exit);
            }
            prop_assert_eq!(outside(&hart), before);
            // Every entry of the monitor's tables: a leaf maps guest RAM, a
            // pointer points into the reserve.
            let reserve = RAM_BASE + MEM..RAM_BASE + MEM + 64 * 4096;
            for off in (reserve.start..reserve.end).step_by(8) {
                let e = read_u64(&hart, off);
                if e & pte::V == 0 {
                    continue;
                }
                let pa = ((e & pte::PPN_MASK) >> 10) << 12;
                if e & (pte::R | pte::W | pte::X) != 0 {
                    prop_assert!((RAM_BASE..RAM_BASE + MEM).contains(&pa), "leaf {e:#x}");
                    prop_assert!(e & pte::U != 0, "guests run in U-mode");
                } else {
                    prop_assert!(reserve.contains(&pa), "pointer {e:#x}");
                }
            }
        }

        /// Random instruction words trapping as illegal instructions, in
        /// either virtual mode: never a panic, never a write outside the
        /// guest, and the guest's pc always ends up somewhere it chose.
        #[test]
        fn random_instruction_words_never_escape(
            words in proptest::collection::vec(any::<u32>(), 32),
            regs in proptest::collection::vec(any::<u64>(), 32),
        ) {
            let (mut g, mut hart) = setup_with_neighbour();
            let before = outside(&hart);
            for (i, r) in regs.iter().enumerate().skip(1) {
                hart.arch.x[i] = *r;
            }
            for (i, w) in words.iter().enumerate() {
                g.vcpu.arch.core.privilege = if i % 3 == 0 { Priv::User } else { Priv::Supervisor };
                g.end = None;
                handle(&mut g, &mut hart, &illegal(*w));
                let ecall = Exit::Trap(Trap::Exception { cause: Exception::EcallFromU, tval: 0 });
                handle(&mut g, &mut hart, &ecall);
            }
            prop_assert_eq!(outside(&hart), before);
        }
    }
}

/// Under binary translation a call performs the Zicsr instructions after
/// its own in the same exit, but none past the end of the run loop's
/// step (`Guest::step_end`: a debugger's single step performs one) and
/// none where a debugger put a breakpoint (the hart's, asked through
/// `HartPort::breakpoint_at`): it stops before it.
#[test]
fn a_bt_call_stops_at_the_steps_end_and_before_a_breakpoint() {
    use crate::strategy::{bt, GuestStrategy};
    // csrw sscratch, t0; csrr s0, sscratch; csrr s1, sscratch; csrr s2,
    // sscratch; then a nop.
    let code = [
        csr(Op::Csrrw, 0, 5, 0x140),
        csr(Op::Csrrs, 8, 0, 0x140),
        csr(Op::Csrrs, 9, 0, 0x140),
        csr(Op::Csrrs, 18, 0, 0x140),
        NOP,
    ];
    let at = |k: u64| ENTRY + 4 * k;
    for (breakpoints, steps, performed) in [
        (vec![], u64::MAX, 4),
        (vec![at(2)], u64::MAX, 2),
        (vec![at(1), at(3)], u64::MAX, 1),
        (vec![], 1, 1),
        (vec![], 3, 3),
        (vec![at(3)], 2, 2),
    ] {
        let (mut g, mut hart, _) = setup();
        let cache = MachPhys(RAM_BASE + MEM + 64 * 4096);
        hart.ram.resize(hart.ram.len() + 16 * 4096, 0);
        g.strategy = GuestStrategy::Bt(bt::Translator::new(cache, 16));
        for (k, w) in code.iter().enumerate() {
            hart.write_phys(PhysAddr(at(k as u64)), &w.to_le_bytes());
        }
        hart.arch.x[5] = 0x1234;
        // The first fetch scans the page.
        let fault = Exit::Trap(Trap::Exception {
            cause: Exception::InstructionPageFault,
            tval: ENTRY,
        });
        let h = handle(&mut g, &mut hart, &fault);
        assert_eq!(h.handler, "bt_page_fault");
        hart.breakpoints = breakpoints.clone();
        let before = g.vcpu.retired();
        g.step_end = before.saturating_add(steps);
        let h = handle(&mut g, &mut hart, &illegal(code[0]));
        g.step_end = u64::MAX;
        let what = format!("breakpoints {breakpoints:x?}, a step of {steps}");
        assert!(matches!(h.action, Action::Emulated(_)), "{what}: {h:?}");
        assert_eq!(g.vcpu.retired() - before, performed, "{what}");
        assert_eq!(hart.arch.pc, at(performed), "{what}");
        assert_eq!(g.stats.strategy.bt_exits_saved, performed - 1, "{what}");
        let regs = [hart.arch.x[8], hart.arch.x[9], hart.arch.x[18]];
        for (k, r) in regs.into_iter().enumerate() {
            let want = if (k as u64) + 1 < performed {
                0x1234
            } else {
                0
            };
            assert_eq!(r, want, "{what}: the csrr at {:#x}", at(k as u64 + 1));
        }
    }
}

/// Under trap-and-emulate an instruction the real hart would trap on right
/// after one the monitor performed is performed in the same exit (a
/// handler's `csrw sepc, t1; sret`), but none past the end of the run
/// loop's step (a debugger's single step performs one), none where a
/// debugger put a breakpoint, none the real hart would run (`--isa leaky`'s
/// `sstatus` read), and none after the guest left the mode it was in. Each
/// counts as an illegal-instruction exit, as the trap it stands for.
#[test]
fn a_run_of_trapping_instructions_is_one_exit_up_to_a_step_breakpoint_or_leak() {
    use cpu::privileged::Isa;
    // csrw sscratch, t0; csrr s0, sscratch; csrr s1, sscratch; csrr s2,
    // sstatus; sret; then a csrr in what sret returns to.
    let code = [
        csr(Op::Csrrw, 0, 5, 0x140),
        csr(Op::Csrrs, 8, 0, 0x140),
        csr(Op::Csrrs, 9, 0, 0x140),
        csr(Op::Csrrs, 18, 0, 0x100),
        0x1020_0073,
        csr(Op::Csrrs, 19, 0, 0x140),
    ];
    let at = |k: u64| ENTRY + 4 * k;
    for (isa, breakpoints, steps, performed) in [
        (Isa::Standard, vec![], u64::MAX, 5),
        (Isa::Leaky, vec![], u64::MAX, 3),
        (Isa::Standard, vec![at(2)], u64::MAX, 2),
        (Isa::Standard, vec![at(1), at(3)], u64::MAX, 1),
        (Isa::Standard, vec![], 1, 1),
        (Isa::Standard, vec![], 4, 4),
        (Isa::Standard, vec![at(3)], 2, 2),
    ] {
        let (mut g, mut hart, _) = setup();
        g.vcpu.arch.core.isa = isa;
        hart.arch.core.isa = isa;
        for (k, w) in code.iter().enumerate() {
            hart.write_phys(PhysAddr(at(k as u64)), &w.to_le_bytes());
        }
        hart.arch.x[5] = 0x1234;
        g.vcpu.arch.core.csr.sepc = at(5);
        hart.breakpoints = breakpoints.clone();
        let before = g.vcpu.retired();
        g.step_end = before.saturating_add(steps);
        let h = handle(&mut g, &mut hart, &illegal(code[0]));
        g.step_end = u64::MAX;
        let what = format!("{isa:?}, breakpoints {breakpoints:x?}, a step of {steps}");
        assert!(matches!(h.action, Action::Emulated(_)), "{what}: {h:?}");
        assert_eq!(g.vcpu.retired() - before, performed, "{what}");
        assert_eq!(hart.arch.pc, at(performed), "{what}");
        assert_eq!(
            g.stats.exits[ExitReason::IllegalInstruction as usize],
            performed,
            "{what}"
        );
        assert_eq!(g.stats.chained, performed - 1, "{what}");
        let regs = [hart.arch.x[8], hart.arch.x[9]];
        for (k, r) in regs.into_iter().enumerate() {
            let want = if (k as u64) + 1 < performed {
                0x1234
            } else {
                0
            };
            assert_eq!(r, want, "{what}: the csrr at {:#x}", at(k as u64 + 1));
        }
        assert_eq!(hart.arch.x[19], 0, "{what}: nothing runs past the sret");
    }
}

/// A run starts only at a CSR write: after a `csrr` (a read), the next
/// instruction goes back to the hart even when it traps too, so a read
/// does not pay for looking at it; a `csrrs` with a source register other
/// than `x0` writes, and starts one.
#[test]
fn a_run_starts_at_a_csr_write_not_at_a_read() {
    for (first, performed) in [
        (csr(Op::Csrrs, 8, 0, 0x140), 1),
        (csr(Op::Csrrs, 8, 5, 0x140), 2),
        (csr(Op::Csrrw, 0, 5, 0x140), 2),
    ] {
        let (mut g, mut hart, _) = setup();
        let code = [first, csr(Op::Csrrs, 9, 0, 0x140)];
        for (k, w) in code.iter().enumerate() {
            hart.write_phys(PhysAddr(ENTRY + 4 * k as u64), &w.to_le_bytes());
        }
        let before = g.vcpu.retired();
        let h = handle(&mut g, &mut hart, &illegal(first));
        assert!(matches!(h.action, Action::Emulated(_)), "{first:#x}: {h:?}");
        assert_eq!(g.vcpu.retired() - before, performed, "{first:#x}");
        assert_eq!(hart.arch.pc, ENTRY + 4 * performed, "{first:#x}");
        assert_eq!(g.stats.chained, performed - 1, "{first:#x}");
    }
}

/// The PV interface (`crate::strategy::pv`) as hostile input: random
/// hypercalls of a guest kernel under `--strategy pv`.
mod hostile_pv {
    use super::*;
    use crate::strategy::pv::{self, fid, Paravirt, EID, MAX_UPDATES};
    use crate::strategy::GuestStrategy;
    use cpu::sbi::ext;
    use proptest::prelude::*;

    const ERR_NOT_SUPPORTED: u64 = -2i64 as u64;
    const ERR_INVALID_PARAM: u64 = -3i64 as u64;
    const ERR_INVALID_ADDRESS: u64 = -5i64 as u64;

    /// Where the guest's RAM ends and its shadow reserve begins; past the
    /// reserve, the neighbour (as in `hostile`).
    const END: u64 = RAM_BASE + MEM;

    /// Guest-physical addresses worth trying: inside the RAM (aligned or
    /// not), at and across its ends, in the reserve and the neighbour
    /// right after it, below it, and anywhere.
    fn address() -> impl Strategy<Value = u64> {
        prop_oneof![
            (0..MEM / 4096).prop_map(|p| RAM_BASE + p * 4096),
            (0..MEM).prop_map(|o| RAM_BASE + o),
            (0u64..64).prop_map(|o| END - o),
            (0u64..64).prop_map(|o| END + o * 8),
            (0u64..0x10_0000).prop_map(|o| END + o),
            (0u64..4096).prop_map(|o| RAM_BASE.wrapping_sub(o)),
            (0u64..64).prop_map(|o| u64::MAX - o),
            any::<u64>(),
        ]
    }

    /// Entry counts for `pv_mmu_update`: small, at and past the limit,
    /// and huge.
    fn count() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..8,
            Just(MAX_UPDATES),
            Just(MAX_UPDATES + 1),
            Just(u64::MAX),
            Just(1 << 32),
            any::<u64>(),
        ]
    }

    #[derive(Clone, Debug)]
    struct Call {
        eid: u64,
        fid: u64,
        a: [u64; 6],
        /// S-mode (or U-mode, where an `ecall` is the kernel's system call).
        supervisor: bool,
        /// `pv_mmu_update`'s list, written where `a0` points (as much of it
        /// as is in the guest's RAM) before the call: (PTE address, value).
        list: Vec<(u64, u64)>,
        /// Bytes stored into the shared page (if any) before the call.
        shared: Vec<u8>,
    }

    fn call() -> impl Strategy<Value = Call> {
        let eid = prop_oneof![
            4 => Just(EID),
            1 => Just(ext::BASE),
            1 => Just(EID - 1),
            1 => Just(EID + 1),
            1 => any::<u64>(),
        ];
        let fid = prop_oneof![
            4 => 0u64..4,
            1 => 4u64..8,
            1 => any::<u64>(),
        ];
        (
            eid,
            fid,
            (
                address(),
                count(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
            ),
            prop::bool::weighted(0.9),
            proptest::collection::vec((address(), any::<u64>()), 0..12),
            proptest::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(
                |(eid, fid, (a0, a1, a2, a3, a4, a5), supervisor, list, shared)| {
                    // The probe is the base extension's probe_extension(EID).
                    let (fid, a0) = if eid == ext::BASE {
                        (3, EID)
                    } else {
                        (fid, a0)
                    };
                    Call {
                        eid,
                        fid,
                        a: [a0, a1, a2, a3, a4, a5],
                        supervisor,
                        list,
                        shared,
                    }
                },
            )
    }

    fn guest_bytes(hart: &ScriptedHart) -> Vec<u8> {
        hart.ram[..MEM as usize].to_vec()
    }

    /// What a call must do to the guest's RAM (a copy of it) and return
    /// in `a0`/`a1`, for the calls whose outcome the interface defines
    /// from the arguments alone; `None` for the others.
    fn model(c: &Call, ram: &mut [u8]) -> Option<(u64, u64)> {
        let inside = |gpa: u64, len: u64| {
            let off = gpa.checked_sub(RAM_BASE)?;
            (off.checked_add(len)? <= MEM).then_some(off as usize)
        };
        if c.eid == ext::BASE {
            return Some((0, 1));
        }
        match c.fid {
            fid::SET_SHARED if c.a[0] % 4096 != 0 => Some((ERR_INVALID_PARAM, 0)),
            fid::SET_SHARED if inside(c.a[0], 4096).is_none() => Some((ERR_INVALID_ADDRESS, 0)),
            fid::SET_SHARED => Some((0, 0)),
            fid::SET_TIMER => Some((0, 0)),
            fid::MMU_UPDATE => {
                let n = c.a[1];
                if n > MAX_UPDATES {
                    return Some((ERR_INVALID_PARAM, 0));
                }
                let mut done = 0;
                for k in 0..n {
                    let Some(at) = inside(c.a[0].wrapping_add(16 * k), 16) else {
                        return Some((ERR_INVALID_ADDRESS, 0));
                    };
                    let pte = u64::from_le_bytes(ram[at..at + 8].try_into().unwrap());
                    let value: [u8; 8] = ram[at + 8..at + 16].try_into().unwrap();
                    match inside(pte, 8).filter(|_| pte % 8 == 0) {
                        Some(o) => ram[o..o + 8].copy_from_slice(&value),
                        None => return Some((ERR_INVALID_ADDRESS, done)),
                    }
                    done += 1;
                }
                Some((0, done))
            }
            fid::SRET => None,
            _ => Some((ERR_NOT_SUPPORTED, 0)),
        }
    }

    fn write_guest(hart: &mut ScriptedHart, gpa: u64, bytes: &[u8]) {
        if let Some(off) = gpa.checked_sub(RAM_BASE) {
            for (i, b) in bytes.iter().enumerate() {
                if let Some(o) = off.checked_add(i as u64).filter(|&o| o < MEM) {
                    hart.ram[o as usize] = *b;
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random hypercalls (the PV extension's functions and numbers
        /// around them, random arguments, random shared-page contents,
        /// `pv_mmu_update` lists pointing anywhere: outside the guest's
        /// RAM, into the monitor's reserve and the neighbour's memory,
        /// unaligned, overlapping the list itself, counts up to 2^64 - 1),
        /// from virtual S-mode and U-mode: never a panic; never a byte
        /// written outside the guest's RAM and reserve (the neighbour's
        /// memory is untouched), the monitor's tables map only the
        /// guest's RAM; a bad argument is an SBI error returned to the
        /// guest, which goes on after its `ecall`; and the guest's RAM
        /// changes exactly as the interface says.
        #[test]
        fn random_hypercalls_stay_inside_the_guest(
            calls in proptest::collection::vec(call(), 1..24),
        ) {
            let (mut g, mut hart) = super::hostile_setup();
            g.strategy = GuestStrategy::Pv(Paravirt::default());
            let before = hart.ram[END as usize - RAM_BASE as usize..].to_vec();
            for c in &calls {
                g.end = None;
                g.vcpu.arch.core.privilege = if c.supervisor { Priv::Supervisor } else { Priv::User };
                if let GuestStrategy::Pv(Paravirt { shared: Some(page) }) = g.strategy {
                    write_guest(&mut hart, page.0, &c.shared);
                }
                for (k, &(pte, value)) in c.list.iter().enumerate() {
                    let at = c.a[0].wrapping_add(16 * k as u64);
                    let mut pair = pte.to_le_bytes().to_vec();
                    pair.extend_from_slice(&value.to_le_bytes());
                    write_guest(&mut hart, at, &pair);
                }
                // Whatever the kernel stored in the shared page is taken in
                // first, by the CSRs' rules (an exit before the call).
                pv::intercept(&mut g, &mut hart, &Exit::BudgetExhausted);
                let pc = 0x8020_0100;
                hart.arch.pc = pc;
                hart.arch.x[17] = c.eid;
                hart.arch.x[16] = c.fid;
                hart.arch.x[10..16].copy_from_slice(&c.a);
                let mut ram = guest_bytes(&hart);
                let pv_call = c.supervisor && (c.eid == EID || c.eid == ext::BASE);
                let expected = if pv_call { model(c, &mut ram) } else { None };
                let h = handle(&mut g, &mut hart, &Exit::Trap(Trap::Exception {
                    cause: Exception::EcallFromU,
                    tval: 0,
                }));
                prop_assert_eq!(&hart.ram[END as usize - RAM_BASE as usize + 64 * 4096..],
                    &before[64 * 4096..], "the neighbour's memory, after {:x?}", c);
                if let Some((a0, a1)) = expected {
                    prop_assert_eq!(h.handler, "pv_hypercall");
                    prop_assert!(g.end.is_none(), "{:?} ended the guest", c);
                    prop_assert_eq!((hart.arch.x[10], hart.arch.x[11]), (a0, a1), "{:x?}", c);
                    prop_assert_eq!(hart.arch.pc, pc + 4, "past the ecall");
                    prop_assert!(guest_bytes(&hart) == ram, "the guest's RAM as the interface says, after {:x?}", c);
                }
                if pv_call && c.fid == fid::SRET && c.eid == EID {
                    prop_assert_eq!(h.handler, "pv_sret");
                    // The interrupted code's a6 and a7, from the page.
                    if let GuestStrategy::Pv(Paravirt { shared: Some(page) }) = g.strategy {
                        let at = (page.0 - RAM_BASE + pv::SAVED_A6_A7) as usize;
                        let slot = |k: usize| u64::from_le_bytes(ram[at + 8 * k..at + 8 * k + 8].try_into().unwrap());
                        prop_assert_eq!((hart.arch.x[16], hart.arch.x[17]), (slot(0), slot(1)));
                    }
                }
            }
            // The monitor's tables, whatever was flushed and refilled: a
            // leaf maps guest RAM, a pointer points into the reserve.
            let reserve = END..END + 64 * 4096;
            for off in (reserve.start..reserve.end).step_by(8) {
                let e = read_u64(&hart, off);
                if e & pte::V == 0 {
                    continue;
                }
                let pa = ((e & pte::PPN_MASK) >> 10) << 12;
                if e & (pte::R | pte::W | pte::X) != 0 {
                    prop_assert!((RAM_BASE..END).contains(&pa), "leaf {:#x}", e);
                } else {
                    prop_assert!(reserve.contains(&pa), "pointer {:#x}", e);
                }
            }
        }
    }
}

/// A guest on a scripted hart with a neighbour's memory (64 KiB of 0xa5)
/// right after its RAM and shadow reserve.
fn hostile_setup() -> (Guest, ScriptedHart) {
    let (g, mut hart, _) = setup();
    hart.ram.extend(std::iter::repeat_n(0xa5, 1 << 16));
    (g, hart)
}

/// `pv_sret` needs `a6` and `a7` for itself (the function and the
/// extension), so the kernel leaves the values the interrupted code had
/// in the shared page's slots at offsets 56 and 64 (guest-programs/lib/
/// pv.inc's PV_A6 and PV_A7), and the return puts them back: the task
/// resumes with its own `a6` and `a7`.
#[test]
fn pv_sret_restores_a6_and_a7_from_the_shared_page() {
    use crate::strategy::pv::{fid, Paravirt, EID};
    use crate::strategy::GuestStrategy;
    let (mut g, mut hart, _) = setup();
    let page = RAM_BASE + 0x8000;
    g.strategy = GuestStrategy::Pv(Paravirt {
        shared: Some(GuestPhys(page)),
    });
    hart.write_phys(PhysAddr(page + 56), &0x1111_u64.to_le_bytes());
    hart.write_phys(PhysAddr(page + 64), &0x2222_u64.to_le_bytes());
    g.vcpu.arch.core.csr.sepc = 0x1000;
    g.vcpu.arch.core.csr.mstatus &= !SSTATUS_SPP;
    // The monitor fills the page's CSRs before the kernel runs.
    crate::strategy::pv::publish(&mut g, &mut hart);
    hart.arch.x[16] = fid::SRET;
    hart.arch.x[17] = EID;
    hart.arch.x[10] = 0xaaaa;
    let ecall = Exit::Trap(Trap::Exception {
        cause: Exception::EcallFromU,
        tval: 0,
    });
    let h = handle(&mut g, &mut hart, &ecall);
    assert_eq!(h.handler, "pv_sret");
    assert_eq!(hart.arch.pc, 0x1000);
    assert_eq!(g.vcpu.core().privilege, Priv::User);
    assert_eq!((hart.arch.x[16], hart.arch.x[17]), (0x1111, 0x2222));
    assert_eq!(hart.arch.x[10], 0xaaaa, "a0 is the task's: no SBI result");
}
