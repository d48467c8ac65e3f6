//! Every trap cause with its `scause`, `sepc`, `stval` and `sstatus`
//! effects; delegation; vectored `stvec`; privileged instructions and CSRs
//! that are illegal for the guest; WARL rules; counters; trap storms.
mod common;
use common::*;
use cpu::csr::*;
use cpu::hart::{Exit, Priv, RAM_BASE};
use cpu::isa::{encode, Insn, Op};
use cpu::trap::{Exception, Interrupt, Trap};

fn expect_delegated(h: &cpu::hart::Hart, cause: Exception, epc: u64, tval: u64) {
    assert_eq!(h.arch.core.csr.scause, cause.code(), "scause");
    assert_eq!(h.arch.core.csr.sepc, epc, "sepc");
    assert_eq!(h.arch.core.csr.stval, tval, "stval");
    assert_eq!(h.arch.core.privilege, Priv::Supervisor);
}

#[test]
fn illegal_instruction_stval_is_the_bits() {
    let mut a = Asm::new();
    a.li(5, 1).word(0xffff_ffff);
    let mut h = hart_with_handler(&a);
    h.arch.core.csr.mstatus |= SSTATUS_SIE;
    run_to_handler(&mut h);
    expect_delegated(&h, Exception::IllegalInstruction, CODE + 4, 0xffff_ffff);
    // SPP = S, SPIE = old SIE, SIE = 0.
    assert_ne!(h.arch.core.csr.mstatus & SSTATUS_SPP, 0);
    assert_ne!(h.arch.core.csr.mstatus & SSTATUS_SPIE, 0);
    assert_eq!(h.arch.core.csr.mstatus & SSTATUS_SIE, 0);
    assert_eq!(h.instret(), 1, "a trapping instruction does not retire");
}

#[test]
fn ebreak_stval_is_zero_and_ecall_from_u_is_delegated() {
    let mut a = Asm::new();
    a.sys(Op::Ebreak);
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    expect_delegated(&h, Exception::Breakpoint, CODE, 0);

    let mut a = Asm::new();
    a.sys(Op::Ecall);
    let mut h = hart_with_handler(&a);
    h.arch.core.privilege = Priv::User;
    h.arch.core.csr.mstatus |= SSTATUS_SPP;
    run_to_handler(&mut h);
    expect_delegated(&h, Exception::EcallFromU, CODE, 0);
    assert_eq!(h.arch.core.csr.mstatus & SSTATUS_SPP, 0, "SPP = U");
}

#[test]
fn undelegated_traps_leave_everything_to_the_host() {
    let mut a = Asm::new();
    a.li(5, 7).word(0);
    let mut h = hart_with(&a);
    h.arch.core.csr.stvec = HANDLER;
    let before = h.arch.core.csr.clone();
    assert_eq!(run_to_exit(&mut h), exc(Exception::IllegalInstruction, 0));
    assert_eq!(h.arch.pc, CODE + 4);
    assert_eq!(h.arch.core.csr, before, "nothing written");
    assert_eq!(h.stats().to_host, 1);
    assert_eq!(h.stats().exceptions[2], 1);
}

/// Two compressed parcels as one word: `lo` at the lower address.
fn parcels(lo: u16, hi: u16) -> u32 {
    u32::from(lo) | u32::from(hi) << 16
}
const C_NOP: u16 = 0x0001;
/// `c.li a0, 5`.
const C_LI_A0_5: u16 = 0x4515;

#[test]
fn jumps_to_2_byte_aligned_targets_run_compressed_code() {
    // IALIGN = 16: jal to pc + 6 lands 2 bytes into a word, where a
    // compressed instruction runs; the link is pc + 4.
    let mut a = Asm::new();
    a.li(5, 1)
        .insn(Op::Jal, 1, 0, 0, 6)
        .word(parcels(C_NOP, C_LI_A0_5))
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!((h.arch.x[1], h.arch.x[10]), (CODE + 8, 5));
    assert_eq!(h.arch.pc, CODE + 12);
    assert_eq!(h.instret(), 3, "li, jal, c.li");

    // jalr: bit 0 is cleared, bit 1 is a target like any other.
    let mut a = Asm::new();
    a.li(6, CODE + 0x103).i(Op::Jalr, 1, 6, 0);
    let jalr_at = CODE + 4 * (a.words.len() as u64 - 1);
    let mut h = hart_with(&a);
    let mut there = Asm::new();
    there.word(parcels(C_NOP, C_LI_A0_5)).sys(Op::Ecall);
    assert!(h.write_phys(CODE + 0x100, &there.bytes()));
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!((h.arch.x[1], h.arch.x[10]), (jalr_at + 4, 5));

    // A taken branch to pc + 2 runs the parcel there.
    let mut a = Asm::new();
    a.b(Op::Beq, 0, 0, 6)
        .word(parcels(C_NOP, C_NOP))
        .word(parcels(C_LI_A0_5, 0x0000));
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    assert_eq!(h.arch.x[10], 5);
    // The all-zero parcel after it: illegal, stval its 16 bits (0).
    expect_delegated(&h, Exception::IllegalInstruction, CODE + 10, 0);
}

#[test]
fn compressed_parcels_trap_with_their_own_address_and_bits() {
    // A reserved parcel (c.addi16sp with 0) 2 bytes into a word: sepc is
    // its address, stval its 16 bits, whichever engine runs it.
    for (reference, translated) in [(true, false), (false, false), (false, true)] {
        let mut a = Asm::new();
        a.word(parcels(C_NOP, 0x6101)).word(0xdead_beef);
        let mut h = hart_with_handler(&a);
        h.set_reference_mode(reference);
        h.set_translation(translated);
        h.set_translation_warmup(1);
        run_to_handler(&mut h);
        expect_delegated(&h, Exception::IllegalInstruction, CODE + 2, 0x6101);
        assert_eq!(h.instret(), 1);
    }
    // `c.ebreak` is a breakpoint (stval 0), at its own address.
    let mut a = Asm::new();
    a.word(parcels(C_LI_A0_5, 0x9002));
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    expect_delegated(&h, Exception::Breakpoint, CODE + 2, 0);
    // The handler skips a compressed instruction by 2: sepc keeps bit 1.
    h.arch.core.csr.sepc = CODE + 2;
    assert_eq!(h.arch.core.csr_read(addr::SEPC).ok(), Some(CODE + 2));
}

#[test]
fn an_instruction_straddling_two_pages_fetches_both() {
    // A 32-bit `addi` whose second parcel is on the next page: it runs
    // (bare, both pages RAM), then a compressed one.
    let off = 0xffe;
    let mut h = hart_with(&Asm::new());
    let addi = encode(&Insn::new(Op::Addi, 10, 0, 0, 42));
    let mut code = Vec::new();
    code.extend_from_slice(&addi.to_le_bytes());
    code.extend_from_slice(&0x0505u16.to_le_bytes()); // c.addi a0, 1
    code.extend_from_slice(&encode(&Insn::new(Op::Ecall, 0, 0, 0, 0)).to_le_bytes());
    assert!(h.write_phys(CODE + off, &code));
    for reference in [true, false] {
        let mut h = h.clone();
        h.set_reference_mode(reference);
        h.arch.pc = CODE + off;
        assert_eq!(run_to_exit(&mut h), HALT);
        assert_eq!(h.arch.x[10], 43);
        assert_eq!(h.arch.pc, CODE + off + 6);
    }

    // The last parcel of RAM begins a 32-bit instruction: the fetch of its
    // second parcel faults, stval its address, sepc the instruction's.
    let mut h = hart_with_handler(&Asm::new());
    let end = h.ram_range().end;
    assert!(h.write_phys(end - 2, &addi.to_le_bytes()[..2]));
    for reference in [true, false] {
        let mut h = h.clone();
        h.set_reference_mode(reference);
        h.arch.pc = end - 2;
        run_to_handler(&mut h);
        expect_delegated(&h, Exception::InstructionAccessFault, end - 2, end);
    }
}

#[test]
fn a_straddling_instruction_takes_the_second_pages_page_fault() {
    // Sv39: code page at VA 0x1000 maps to CODE, the page after it is not
    // mapped. A 32-bit instruction at 0x1ffe: instruction page fault,
    // sepc 0x1ffe, stval 0x2000 (the parcel that faulted).
    let mut h = hart_with_handler(&Asm::new());
    let mut pages = Pages::new(&mut h);
    pages.map(&mut h, 0x1000, CODE + 0x2000, V | R | X | A | D, 0);
    pages.map(&mut h, HANDLER, HANDLER, V | R | X | A | D, 0);
    let addi = encode(&Insn::new(Op::Addi, 10, 0, 0, 42));
    assert!(h.write_phys(CODE + 0x2ffe, &addi.to_le_bytes()[..2]));
    h.arch.core.csr.satp = 8 << 60 | pages.root >> 12;
    for reference in [true, false] {
        let mut h = h.clone();
        h.set_reference_mode(reference);
        h.flush_tlb();
        h.arch.pc = 0x1ffe;
        run_to_handler(&mut h);
        expect_delegated(&h, Exception::InstructionPageFault, 0x1ffe, 0x2000);
        assert_eq!(h.arch.x[10], 0);
    }
}

#[test]
fn access_faults_outside_ram() {
    for (op, cause) in [
        (Op::Ld, Exception::LoadAccessFault),
        (Op::Sd, Exception::StoreAccessFault),
    ] {
        let mut a = Asm::new();
        a.li(5, 0x4000_0000);
        if op == Op::Ld {
            a.i(op, 6, 5, 8);
        } else {
            a.s(op, 6, 5, 8);
        }
        let mut h = hart_with_handler(&a);
        run_to_handler(&mut h);
        let at = CODE + 4 * (a.words.len() as u64 - 1);
        expect_delegated(&h, cause, at, 0x4000_0008);
    }
    // Fetch outside RAM.
    let mut a = Asm::new();
    a.li(5, 0x1000).i(Op::Jalr, 0, 5, 0);
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    expect_delegated(&h, Exception::InstructionAccessFault, 0x1000, 0x1000);
    // The last byte of RAM is RAM; the one after is not.
    let end = RAM_BASE + RAM;
    let mut a = Asm::new();
    a.li(5, end - 8).i(Op::Ld, 6, 5, 0).i(Op::Lbu, 7, 5, 8);
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    expect_delegated(
        &h,
        Exception::LoadAccessFault,
        CODE + 4 * (a.words.len() as u64 - 1),
        end,
    );
}

#[test]
fn misaligned_ram_accesses_complete() {
    let mut a = Asm::new();
    a.li(5, DATA + 0xffd) // crosses a page boundary
        .li(6, 0x0102_0304_0506_0708)
        .s(Op::Sd, 6, 5, 0)
        .i(Op::Ld, 7, 5, 0)
        .i(Op::Lw, 8, 5, 1)
        .i(Op::Lhu, 9, 5, 2)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[7], 0x0102_0304_0506_0708);
    assert_eq!(h.arch.x[8], 0x0405_0607);
    assert_eq!(h.arch.x[9], 0x0506);
    assert_eq!(read_u64(&h, DATA + 0xffd), 0x0102_0304_0506_0708);
    // Misaligned across the end of RAM: a fault, and nothing written.
    let end = RAM_BASE + RAM;
    let mut a = Asm::new();
    a.li(5, end - 4).li(6, -1i64 as u64).s(Op::Sd, 6, 5, 0);
    let mut h = hart_with_handler(&a);
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, Exception::StoreAccessFault.code());
    assert_eq!(h.arch.core.csr.stval, end, "the portion that faulted");
    let mut b = [0u8; 4];
    assert!(h.read_phys(end - 4, &mut b));
    assert_eq!(b, [0; 4]);
}

#[test]
fn misaligned_amo_lr_sc_raise_misaligned() {
    for (insn, cause) in [
        (Insn::new(Op::LrW, 6, 5, 0, 0), Exception::LoadMisaligned),
        (Insn::new(Op::ScD, 6, 5, 7, 0), Exception::StoreMisaligned),
        (
            Insn::new(Op::AmoaddW, 6, 5, 7, 0),
            Exception::StoreMisaligned,
        ),
    ] {
        let mut a = Asm::new();
        a.li(5, DATA + 2).word(encode(&insn));
        let mut h = hart_with_handler(&a);
        run_to_handler(&mut h);
        assert_eq!(h.arch.core.csr.scause, cause.code(), "{insn:?}");
        assert_eq!(h.arch.core.csr.stval, DATA + 2);
    }
}

#[test]
fn vectored_stvec_only_for_interrupts() {
    let mut a = Asm::new();
    a.li(5, 1).li(5, 2);
    let mut h = hart_with_handler(&a);
    let mut vec = Asm::new();
    for _ in 0..16 {
        vec.sys(Op::Ecall);
    }
    assert!(h.write_phys(HANDLER, &vec.bytes()));
    h.arch.core.csr.stvec = HANDLER | 1;
    h.arch.core.csr.mie = SSIP;
    h.arch.core.csr.mip = SSIP;
    h.arch.core.csr.mstatus |= SSTATUS_SIE;
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.pc, HANDLER + 4, "SSI: base + 4 × 1");
    assert_eq!(h.arch.core.csr.scause, 1 << 63 | 1);
    assert_eq!(h.arch.core.csr.sepc, CODE);
    assert_eq!(h.arch.core.csr.stval, 0);
    // An exception goes to the base even in vectored mode.
    let mut a = Asm::new();
    a.sys(Op::Ebreak);
    let mut h = hart_with_handler(&a);
    h.arch.core.csr.stvec = HANDLER | 1;
    run_to_handler(&mut h);
}

#[test]
fn interrupt_priority_and_enables() {
    let mut a = Asm::new();
    for _ in 0..4 {
        a.li(5, 1);
    }
    let mut h = hart_with_handler(&a);
    h.arch.core.csr.mie = S_INTERRUPTS;
    h.arch.core.csr.mip = S_INTERRUPTS;
    // S-mode with SIE = 0: masked.
    assert_eq!(run(&mut h, 2), Exit::BudgetExhausted);
    assert_eq!(h.arch.pc, CODE + 8);
    // U-mode: always enabled; SEI first.
    h.arch.core.privilege = Priv::User;
    run_to_handler(&mut h);
    assert_eq!(h.arch.core.csr.scause, 1 << 63 | 9);
    // Not delegated: the host's, even from S with SIE = 0.
    let mut h = hart_with(&a);
    h.arch.core.csr.mie = STIP;
    h.arch.core.csr.mip = STIP;
    assert_eq!(
        run_to_exit(&mut h),
        Exit::Trap(Trap::Interrupt(Interrupt::SupervisorTimer))
    );
    assert_eq!(h.arch.pc, CODE);
}

#[test]
fn privileged_instructions_illegal_for_the_guest() {
    let cases: Vec<(u32, Priv, u64)> = vec![
        (
            encode(&Insn::new(Op::Mret, 0, 0, 0, 0)),
            Priv::Supervisor,
            0,
        ),
        (encode(&Insn::new(Op::Sret, 0, 0, 0, 0)), Priv::User, 0),
        (
            encode(&Insn::new(Op::Sret, 0, 0, 0, 0)),
            Priv::Supervisor,
            MSTATUS_TSR,
        ),
        (encode(&Insn::new(Op::Wfi, 0, 0, 0, 0)), Priv::User, 0),
        (
            encode(&Insn::new(Op::Wfi, 0, 0, 0, 0)),
            Priv::Supervisor,
            MSTATUS_TW,
        ),
        (encode(&Insn::new(Op::SfenceVma, 0, 0, 0, 0)), Priv::User, 0),
        (
            encode(&Insn::new(Op::SfenceVma, 0, 0, 0, 0)),
            Priv::Supervisor,
            MSTATUS_TVM,
        ),
        // csrr of M-level CSRs: mstatus, mepc, mhartid
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x300)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x341)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0xf14)),
            Priv::Supervisor,
            0,
        ),
        // S CSRs from U
        (encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x100)), Priv::User, 0),
        // satp with TVM
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x180)),
            Priv::Supervisor,
            MSTATUS_TVM,
        ),
        // writes to read-only counters, and unknown CSRs
        (
            encode(&Insn::new(Op::Csrrw, 0, 5, 0, 0xc00)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 6, 0, 0xc01)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x001)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x5c0)),
            Priv::Supervisor,
            0,
        ),
        (
            encode(&Insn::new(Op::Csrrs, 5, 0, 0, 0x14d)),
            Priv::Supervisor,
            0,
        ),
    ];
    for (w, p, mstatus) in cases {
        let mut a = Asm::new();
        a.li(6, 1).word(w);
        let mut h = hart_with(&a);
        h.arch.core.privilege = p;
        h.arch.core.csr.mstatus |= mstatus;
        h.arch.core.csr.mcounteren = 7;
        assert_eq!(
            run_to_exit(&mut h),
            exc(Exception::IllegalInstruction, w as u64),
            "{w:#x} in {p:?}"
        );
        assert_eq!(h.arch.pc, CODE + 4);
    }
}

#[test]
fn sret_returns_and_restores() {
    let mut a = Asm::new();
    a.sys(Op::Sret);
    let mut user = Asm::new();
    user.li(5, 42).sys(Op::Ecall);
    let mut h = hart_with_handler(&a);
    assert!(h.write_phys(DATA, &user.bytes()));
    h.arch.core.csr.sepc = DATA | 1; // sepc[0] reads as 0 (IALIGN = 16)
    h.arch.core.csr.mstatus |= SSTATUS_SPIE;
    run_to_handler(&mut h);
    assert_eq!(h.arch.x[5], 42);
    expect_delegated(&h, Exception::EcallFromU, DATA + 4, 0);
    // sret set SIE from SPIE = 1, SPIE = 1; the trap then moved SIE to SPIE.
    assert_ne!(h.arch.core.csr.mstatus & SSTATUS_SPIE, 0);
    assert_eq!(h.arch.core.csr.mstatus & SSTATUS_SIE, 0);
}

#[test]
fn wfi_sleeps_or_falls_through() {
    let mut a = Asm::new();
    a.sys(Op::Wfi).sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), Exit::Wfi);
    assert_eq!(h.arch.pc, CODE + 4);
    assert_eq!(h.instret(), 1);
    // Pending and enabled in sie (even with SIE = 0): a nop.
    let mut h = hart_with(&a);
    delegate_like_native(&mut h);
    h.arch.core.csr.mie = SSIP;
    h.arch.core.csr.mip = SSIP;
    assert_eq!(run_to_exit(&mut h), HALT);
}

#[test]
fn sstatus_sie_sip_satp_stvec_warl() {
    let mut a = Asm::new();
    a.li(5, u64::MAX)
        .csr(Op::Csrrw, 0, 0x100, 5)
        .csr(Op::Csrrs, 6, 0x100, 0)
        // SIE off again, or the SSIP written below would be taken
        .csr(Op::Csrrci, 0, 0x100, 2)
        .csr(Op::Csrrw, 0, 0x104, 5)
        .csr(Op::Csrrs, 7, 0x104, 0)
        .csr(Op::Csrrw, 0, 0x144, 5)
        .csr(Op::Csrrs, 8, 0x144, 0)
        // satp: Sv48 (9) is not supported: ignored entirely
        .li(9, 9 << 60 | 0x1234)
        .csr(Op::Csrrw, 0, 0x180, 9)
        .csr(Op::Csrrs, 10, 0x180, 0)
        // stvec mode 2 is reserved: ignored; mode 1 kept
        .li(11, DATA | 2)
        .csr(Op::Csrrw, 0, 0x105, 11)
        .csr(Op::Csrrs, 12, 0x105, 0)
        .li(11, DATA | 1)
        .csr(Op::Csrrw, 0, 0x105, 11)
        .csr(Op::Csrrs, 13, 0x105, 0)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    delegate_like_native(&mut h);
    assert_eq!(run_to_exit(&mut h), HALT);
    let want = SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR | 2 << 32;
    assert_eq!(h.arch.x[6], want);
    assert_eq!(h.arch.x[7], S_INTERRUPTS);
    assert_eq!(h.arch.x[8], SSIP, "only SSIP is writable");
    assert_eq!(h.arch.x[10], 0);
    assert_eq!(h.arch.x[12], 0);
    assert_eq!(h.arch.x[13], DATA | 1);
    assert_eq!(
        h.arch.core.csr.mstatus & (MSTATUS_TVM | MSTATUS_TSR | MSTATUS_TW),
        0
    );
}

#[test]
fn counters_follow_mcounteren_and_scounteren() {
    // rdcycle; rdtime; rdinstret; hpmcounter3
    let mut a = Asm::new();
    a.csr(Op::Csrrs, 5, 0xc00, 0)
        .csr(Op::Csrrs, 6, 0xc01, 0)
        .csr(Op::Csrrs, 7, 0xc02, 0)
        .csr(Op::Csrrs, 8, 0xc03, 0)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    h.arch.core.csr.mcounteren = u32::MAX as u64;
    for _ in 0..25 {
        h.retire_emulated(0x13);
    }
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(
        (h.arch.x[5], h.arch.x[6], h.arch.x[7], h.arch.x[8]),
        (25, 2, 27, 0)
    );
    // From S without mcounteren: illegal.
    let mut h = hart_with(&a);
    assert_eq!(
        run_to_exit(&mut h),
        exc(Exception::IllegalInstruction, a.words[0] as u64)
    );
    // From U: needs scounteren too (here: time only).
    let mut h = hart_with(&a);
    h.arch.core.privilege = Priv::User;
    h.arch.core.csr.mcounteren = 7;
    h.arch.core.csr.scounteren = 2;
    assert_eq!(
        run_to_exit(&mut h),
        exc(Exception::IllegalInstruction, a.words[0] as u64)
    );
    let mut b = Asm::new();
    b.csr(Op::Csrrs, 6, 0xc01, 0).sys(Op::Ecall);
    let mut h = hart_with(&b);
    h.arch.core.privilege = Priv::User;
    h.arch.core.csr.mcounteren = 7;
    h.arch.core.csr.scounteren = 2;
    assert_eq!(run_to_exit(&mut h), exc(Exception::EcallFromU, 0));
}

#[test]
fn trap_storm_is_reported() {
    // stvec points at an illegal instruction: it traps to itself forever.
    let mut a = Asm::new();
    a.word(0);
    let mut h = hart_with(&a);
    delegate_like_native(&mut h);
    h.arch.core.csr.stvec = CODE;
    match run_to_exit(&mut h) {
        Exit::TrapStorm(storm) => {
            assert_eq!(storm.pc, CODE);
            assert_eq!(storm.trap.cause_bits(), 2);
        }
        e => panic!("{e:?}"),
    }
    // A handler that returns to the faulting instruction without fixing
    // anything: storms too, although the handler retires instructions.
    let mut a = Asm::new();
    a.word(0);
    let mut handler = Asm::new();
    handler.li(5, 1).sys(Op::Sret);
    let mut h = hart_with(&a);
    delegate_like_native(&mut h);
    assert!(h.write_phys(HANDLER, &handler.bytes()));
    h.arch.core.csr.stvec = HANDLER;
    h.arch.core.csr.mstatus |= SSTATUS_SPP;
    assert!(matches!(
        run_to_exit(&mut h),
        Exit::TrapStorm(cpu::storm::Storm { pc: CODE, .. })
    ));
    // A handler that skips the instruction makes progress: no storm.
    let mut a = Asm::new();
    for _ in 0..1020 {
        a.word(0);
    }
    a.sys(Op::Ecall);
    let mut handler = Asm::new();
    handler
        .csr(Op::Csrrs, 5, 0x141, 0)
        .i(Op::Addi, 5, 5, 4)
        .csr(Op::Csrrw, 0, 0x141, 5)
        .sys(Op::Sret);
    let mut h = hart_with(&a);
    h.arch.core.csr.medeleg = 1 << 2;
    assert!(h.write_phys(HANDLER, &handler.bytes()));
    h.arch.core.csr.stvec = HANDLER;
    h.arch.core.csr.mstatus |= SSTATUS_SPP;
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.stats().exceptions[2], 1020);
}
