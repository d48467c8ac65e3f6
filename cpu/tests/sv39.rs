//! Sv39: the walk, permissions, superpages, SUM and MXR, A/D updates,
//! access faults on page-table addresses, `sfence.vma` and `satp` writes.
mod common;
use common::*;
use cpu::csr::{SSTATUS_MXR, SSTATUS_SUM};
use cpu::hart::{Exit, Hart, Priv};
use cpu::isa::Op;
use cpu::trap::Exception;

/// Virtual addresses used by these tests.
const VCODE: u64 = 0x4000_0000;
const VDATA: u64 = 0x4000_8000;

/// Code mapped at VCODE (4 KiB, X), data page at VDATA with `flags`.
fn paged(a: &Asm, code_flags: u64, data_flags: u64) -> (Hart, Pages, u64) {
    let mut h = hart_with_handler(a);
    let mut p = Pages::new(&mut h);
    p.map(&mut h, VCODE, CODE, code_flags, 0);
    // The handler, identity-mapped.
    p.map(&mut h, HANDLER, HANDLER, V | X | R | A, 0);
    let data_pte = p.map(&mut h, VDATA, DATA, data_flags, 0);
    p.enable(&mut h);
    h.arch.pc = VCODE;
    (h, p, data_pte)
}

fn load_store_prog() -> Asm {
    let mut a = Asm::new();
    a.li(5, VDATA + 16)
        .i(Op::Ld, 6, 5, 0)
        .s(Op::Sd, 6, 5, 8)
        .sys(Op::Ecall);
    a
}

#[test]
fn translates_and_sets_a_then_d() {
    let a = load_store_prog();
    let (mut h, _, pte) = paged(&a, V | R | X | A, V | R | W);
    write_u64(&mut h, DATA + 16, 0xabcd);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.pc, VCODE + 4 * (a.words.len() as u64 - 1));
    assert_eq!(read_u64(&h, DATA + 24), 0xabcd);
    assert_eq!(read_u64(&h, pte) & (A | D), A | D);
    // Only a load: A but not D.
    let mut a = Asm::new();
    a.li(5, VDATA).i(Op::Ld, 6, 5, 0).sys(Op::Ecall);
    let (mut h, _, pte) = paged(&a, V | R | X | A, V | R | W);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(read_u64(&h, pte) & (A | D), A);
}

#[test]
fn store_to_a_clean_page_sets_d_even_after_loads() {
    // ld fills the load TLB; the sd must still walk to set D.
    let a = load_store_prog();
    let (mut h, _, pte) = paged(&a, V | R | X | A, V | R | W | A);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(read_u64(&h, pte) & D, D);
}

#[test]
fn permission_faults() {
    let a = load_store_prog();
    let at_ld = VCODE + 4 * (a.words.len() as u64 - 3);
    let at_sd = at_ld + 4;
    let cases = [
        // (data flags, privilege, mstatus, cause, pc)
        (V | W, Priv::Supervisor, 0, Exception::LoadPageFault, at_ld), // W without R: reserved
        (V | R, Priv::Supervisor, 0, Exception::StorePageFault, at_sd),
        (V | X, Priv::Supervisor, 0, Exception::LoadPageFault, at_ld),
        (
            V | X,
            Priv::Supervisor,
            SSTATUS_MXR,
            Exception::StorePageFault,
            at_sd,
        ),
        (R | W, Priv::Supervisor, 0, Exception::LoadPageFault, at_ld), // not valid
        (
            V | R | W | U,
            Priv::Supervisor,
            0,
            Exception::LoadPageFault,
            at_ld,
        ),
        (
            V | R | W | 1 << 54,
            Priv::Supervisor,
            0,
            Exception::LoadPageFault,
            at_ld,
        ),
        (
            V | R | W | 1 << 61,
            Priv::Supervisor,
            0,
            Exception::LoadPageFault,
            at_ld,
        ),
        (V | R | W, Priv::User, 0, Exception::LoadPageFault, at_ld),
    ];
    for (flags, privilege, mstatus, cause, pc) in cases {
        let code_flags = V | X | A | if privilege == Priv::User { U } else { 0 };
        let (mut h, _, _) = paged(&a, code_flags, flags);
        h.arch.core.privilege = privilege;
        h.arch.core.csr.mstatus |= mstatus;
        run_to_handler(&mut h);
        assert_eq!(
            h.arch.core.csr.scause,
            cause.code(),
            "flags {flags:#x} {privilege:?}"
        );
        assert_eq!(h.arch.core.csr.sepc, pc, "flags {flags:#x}");
        assert_eq!(h.arch.core.csr.stval & !0xf, (VDATA + 16) & !0xf);
    }
}

#[test]
fn sum_lets_s_mode_load_user_pages_but_never_execute_them() {
    let a = load_store_prog();
    let (mut h, _, _) = paged(&a, V | X | A, V | R | W | U);
    h.arch.core.csr.mstatus |= SSTATUS_SUM;
    assert_eq!(run_to_exit(&mut h), HALT);
    // S-mode fetch from a U page: a fault, SUM or not.
    let (mut h, _, _) = paged(&a, V | X | U | A, V | R | W);
    h.arch.core.csr.mstatus |= SSTATUS_SUM;
    run_to_handler(&mut h);
    assert_eq!(
        h.arch.core.csr.scause,
        Exception::InstructionPageFault.code()
    );
    assert_eq!(h.arch.core.csr.stval, VCODE);
    assert_eq!(h.arch.core.csr.sepc, VCODE);
    // U-mode fetch from an S page.
    let (mut h, _, _) = paged(&a, V | X | A, V | R | W | U);
    h.arch.core.privilege = Priv::User;
    run_to_handler(&mut h);
    assert_eq!(
        h.arch.core.csr.scause,
        Exception::InstructionPageFault.code()
    );
}

#[test]
fn mxr_makes_execute_only_pages_readable() {
    let mut a = Asm::new();
    a.li(5, VDATA).i(Op::Ld, 6, 5, 0).sys(Op::Ecall);
    let (mut h, _, _) = paged(&a, V | X | A, V | X);
    h.arch.core.csr.mstatus |= SSTATUS_MXR;
    write_u64(&mut h, DATA, 77);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[6], 77);
}

#[test]
fn superpages_and_their_alignment() {
    let mut a = Asm::new();
    a.li(5, 0x2_0000_0000 + (DATA - CODE))
        .i(Op::Ld, 6, 5, 0)
        .sys(Op::Ecall);
    // A 1 GiB page at 0x2_0000_0000 mapping RAM_BASE (aligned).
    let (mut h, mut p, _) = paged(&a, V | X | R | A, V | R);
    p.map(&mut h, 0x2_0000_0000, CODE, V | R | A, 2);
    h.flush_tlb();
    write_u64(&mut h, DATA, 99);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[6], 99);
    // A 2 MiB page whose PPN is not 2 MiB aligned: a page fault.
    let (mut h, mut p, _) = paged(&a, V | X | R | A, V | R);
    p.map(&mut h, 0x2_0000_0000, CODE + 0x1000, V | R | A, 1);
    h.flush_tlb();
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, Exception::LoadPageFault.code());
    assert_eq!(h.arch.core.csr.stval, 0x2_0000_0000 + (DATA - CODE));
}

#[test]
fn non_canonical_addresses_fault_and_pte_outside_ram_is_an_access_fault() {
    let mut a = Asm::new();
    a.li(5, 1 << 40).i(Op::Ld, 6, 5, 0).sys(Op::Ecall);
    let (mut h, _, _) = paged(&a, V | X | R | A, V | R);
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, Exception::LoadPageFault.code());
    assert_eq!(h.arch.core.csr.stval, 1 << 40);
    // A non-leaf PTE pointing outside RAM.
    let mut a = Asm::new();
    a.li(5, 0x1_0000_0000).i(Op::Ld, 6, 5, 0).sys(Op::Ecall);
    let (mut h, p, _) = paged(&a, V | X | R | A, V | R);
    write_u64(&mut h, p.root + 4 * 8, (0x1000u64 >> 12) << 10 | V);
    h.flush_tlb();
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, Exception::LoadAccessFault.code());
    // A non-leaf PTE with A set is reserved: a page fault.
    let (mut h, p, _) = paged(&a, V | X | R | A, V | R);
    write_u64(&mut h, p.root + 4 * 8, (PT >> 12) << 10 | V | A);
    h.flush_tlb();
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, Exception::LoadPageFault.code());
}

#[test]
fn sfence_vma_and_satp_writes_flush_the_tlb() {
    // Load VDATA, remap it to another frame, load again: stale without
    // sfence.vma is allowed; after it the new mapping is seen.
    let mut a = Asm::new();
    a.li(5, VDATA)
        .i(Op::Ld, 6, 5, 0)
        .sys(Op::Ecall) // the test remaps here
        .insn(Op::SfenceVma, 0, 0, 0, 0)
        .i(Op::Ld, 7, 5, 0)
        .sys(Op::Ecall);
    let (mut h, mut p, _) = paged(&a, V | X | R | A, V | R | A);
    write_u64(&mut h, DATA, 1);
    write_u64(&mut h, DATA + 0x1000, 2);
    assert_eq!(run_to_exit(&mut h), HALT);
    p.map(&mut h, VDATA, DATA + 0x1000, V | R | A, 0);
    h.arch.pc += 4;
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!((h.arch.x[6], h.arch.x[7]), (1, 2));
    // satp WARL: Sv48 is ignored, Bare switches paging off.
    let mut a = Asm::new();
    a.li(5, 0).csr(Op::Csrrw, 0, 0x180, 5).sys(Op::Ecall);
    let (mut h, _, _) = paged(&a, V | X | R | A, V | R | A);
    // After satp = 0 the next fetch is at VCODE + 8, untranslated: outside
    // RAM, an access fault.
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.satp, 0);
    assert_eq!(
        h.arch.core.csr.scause,
        Exception::InstructionAccessFault.code()
    );
    assert_eq!(h.arch.core.csr.sepc, VCODE + 8);
    // An unsupported mode is ignored entirely.
    let mut a = Asm::new();
    a.li(5, 9 << 60).csr(Op::Csrrw, 0, 0x180, 5).sys(Op::Ecall);
    let (mut h, p, _) = paged(&a, V | X | R | A, V | R | A);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.core.csr.satp, 8 << 60 | p.root >> 12);
}

#[test]
fn u_mode_runs_paged_code_as_under_the_monitor() {
    let mut a = Asm::new();
    a.li(5, VDATA).li(6, 0);
    // 100 iterations of a load/add/store loop.
    a.li(7, 100)
        .i(Op::Ld, 8, 5, 0)
        .i(Op::Addi, 8, 8, 3)
        .s(Op::Sd, 8, 5, 0)
        .i(Op::Addi, 7, 7, -1)
        .b(Op::Bne, 7, 0, -16)
        .sys(Op::Ecall);
    let (mut h, _, pte) = paged(&a, V | X | U | A, V | R | W | U);
    h.arch.core.privilege = Priv::User;
    h.arch.core.csr.medeleg = 0;
    assert_eq!(run_to_exit(&mut h), exc(Exception::EcallFromU, 0));
    assert_eq!(read_u64(&h, DATA), 300);
    assert_eq!(read_u64(&h, pte) & (A | D), A | D);
    let _ = Exit::BudgetExhausted;
}

/// A copy of the tables at `root` in which `VDATA` maps to `pa` instead:
/// new root, level-1 and level-0 tables at `at` (the rest shared).
fn remapped_copy(h: &mut Hart, root: u64, at: u64, pa: u64) -> u64 {
    let mut table = root;
    let mut copy = at;
    for level in (0..=2u32).rev() {
        let mut page = [0u8; 4096];
        assert!(h.read_phys(table, &mut page));
        assert!(h.write_phys(copy, &page));
        let slot = ((VDATA >> (12 + 9 * level)) & 0x1ff) * 8;
        let pte = read_u64(h, table + slot);
        if level == 0 {
            write_u64(h, copy + slot, (pa >> 12) << 10 | (pte & 0x3ff));
        } else {
            write_u64(h, copy + slot, ((copy + 0x1000) >> 12) << 10 | V);
            table = (pte >> 10) << 12;
            copy += 0x1000;
        }
    }
    at
}

/// A host that moves the hart between page tables by writing `satp`
/// itself, without a flush (as the monitor moves it between guests' shadow
/// tables), gets each table's translations, never another's from the TLB;
/// and a flush forgets every table's, not only the current one's. With
/// more tables than the TLB tells apart (ASIDs make each `satp` another
/// address space), the same.
#[test]
fn a_host_satp_switch_keeps_each_tables_translations_apart() {
    let mut a = Asm::new();
    a.li(5, VDATA).i(Op::Ld, 6, 5, 0).sys(Op::Ecall);
    let at_ld = VCODE + 4 * (a.words.len() as u64 - 2);
    for way in WAYS {
        let (mut h, p, _) = paged(&a, V | X | R | A, V | R | A);
        run_as(&mut h, way);
        write_u64(&mut h, DATA, 1);
        write_u64(&mut h, DATA + 0x1000, 2);
        let root_b = remapped_copy(&mut h, p.root, CODE + 0xc0000, DATA + 0x1000);
        let satp_a = 8 << 60 | p.root >> 12;
        let satp_b = 8 << 60 | root_b >> 12;
        let load = |h: &mut Hart, satp: u64| {
            h.arch.core.csr.satp = satp;
            h.arch.x[5] = VDATA;
            h.arch.pc = at_ld;
            assert_eq!(run_to_exit(h), HALT, "{way:?}");
            h.arch.x[6]
        };
        for round in 0..3 {
            assert_eq!(load(&mut h, satp_a), 1, "{way:?} round {round}: A");
            assert_eq!(load(&mut h, satp_b), 2, "{way:?} round {round}: B");
        }
        // B's leaf now points at A's frame: after a flush (made while A
        // is current), B sees it.
        remapped_copy(&mut h, p.root, CODE + 0xc0000, DATA);
        h.arch.core.csr.satp = satp_a;
        h.flush_tlb();
        assert_eq!(load(&mut h, satp_b), 1, "{way:?}: B after the flush");
        // Forty address spaces (ASIDs 0..40) over A's tables and B's,
        // B's leaf alternating between the two frames with a flush.
        for asid in 0..40u64 {
            let want_b = 1 + asid % 2;
            remapped_copy(&mut h, p.root, CODE + 0xc0000, DATA + 0x1000 * (want_b - 1));
            h.flush_tlb();
            for _ in 0..2 {
                assert_eq!(load(&mut h, satp_a | asid << 44), 1, "{way:?} asid {asid}");
                let got = load(&mut h, satp_b | asid << 44);
                assert_eq!(got, want_b, "{way:?} asid {asid}: B");
            }
        }
    }
}
