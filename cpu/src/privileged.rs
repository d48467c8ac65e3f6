//! The privileged architecture, written once: the privilege level, the CSRs
//! with the machine-level controls that shape what S-mode sees (delegation,
//! `mcounteren`, TVM/TW/TSR), the clock and timer, and the rules over them:
//! CSR access and WARL legalisation, trap entry and the trap-vector target,
//! `sret`, the choice of a pending interrupt, `wfi`'s sleep or hang
//! (privileged spec chapters 3 and 4, Zicsr, Zicntr). (Trap storms, which
//! are the host's business rather than the architecture's, are
//! [`crate::storm`]'s, used both ways too.)
//!
//! [`Core`] is plain state and every rule is a plain function over it, so it
//! runs on real state or virtual state alike, as Spike's `virtualized_csr_t`
//! does: the hart ([`crate::hart::Hart`]) keeps its own `Core`, and the
//! monitor keeps one per guest, its virtual hart, set up as the native
//! firmware sets up the real one ([`Core::under_see`]). When the monitor
//! emulates a guest's `csrw satp` or `sret`, or enters a trap into it, it
//! calls the very functions the hart runs natively: the guest cannot tell
//! because it is the same code, not because two copies were kept in step.
//!
//! Functions that move control (`enter_trap`, `sret`) take and return the
//! `pc` rather than owning it: while a guest runs under the monitor its
//! registers and `pc` live on the real hart, only its privileged state here.

use crate::csr::{
    self, addr, Csrs, MSTATUS_RESET, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, SATP_ASID,
    SATP_MODE_BARE, SATP_MODE_SV39, SATP_PPN, SSIP, SSTATUS_MXR, SSTATUS_READ_MASK, SSTATUS_SUM,
    SSTATUS_WRITE_MASK, STIP, S_INTERRUPTS,
};
use crate::isa::{Insn, Op};
use crate::trap::{Exception, Interrupt, Trap};

/// A privilege level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Priv {
    User = 0,
    Supervisor = 1,
    Machine = 3,
}

impl Priv {
    /// The name a student reads in a trace: `U`, `S`, `M`.
    pub fn letter(self) -> &'static str {
        match self {
            Priv::User => "U",
            Priv::Supervisor => "S",
            Priv::Machine => "M",
        }
    }
}

/// What the native firmware (the SEE) delegates to S-mode: every exception
/// but an `ecall` from S-mode (an SBI call, which it answers) and from
/// M-mode (no guest runs there).
pub const MEDELEG: u64 = {
    let mut bits = 0;
    let mut i = 0;
    while i < Exception::ALL.len() {
        bits |= 1 << Exception::ALL[i] as u64;
        i += 1;
    }
    bits & !(1 << Exception::EcallFromS as u64) & !(1 << Exception::EcallFromM as u64)
};

/// Every S-level interrupt is delegated: SSIP, STIP, SEIP.
pub const MIDELEG: u64 = S_INTERRUPTS;

/// S-mode may read `cycle`, `time` and `instret` (`scounteren` decides for U).
pub const MCOUNTEREN: u64 = 0b111;

/// A CSR access the current privilege may not make: the instruction is
/// illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrIllegal;

/// What a legal CSR write did beyond the register itself, that whoever
/// caches translations must act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsrEffect {
    /// Nothing cached depends on it.
    Plain,
    /// A new `satp` took effect: cached translations are stale.
    Satp,
    /// `satp` was written with a MODE this hart does not implement: WARL,
    /// the write is ignored entirely (privileged spec 4.1.11).
    SatpIgnored,
    /// `sstatus.SUM` or `MXR` changed: cached rights are stale.
    SumMxr,
}

/// One executed Zicsr instruction: the old value (what `rd` gets) and, if
/// the instruction wrote, the value it wrote (before WARL legalisation)
/// and what that did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrAccess {
    pub old: u64,
    pub write: Option<(u64, CsrEffect)>,
}

/// What `wfi` does once it has retired with no interrupt to take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sleep {
    /// An interrupt enabled in `sie` is already pending: no sleep.
    Pending,
    /// The clock moved forward to the timer deadline: `ticks` later in
    /// `time` units (10 MHz), at `time` = `until`.
    Slept { ticks: u64, until: u64 },
    /// Nothing can ever wake the hart.
    Hang { why: &'static str },
}

/// Which machine the privileged core is: the standard RISC-V privileged
/// architecture, or a variant with x86's flaws that no trap-and-emulate
/// monitor can virtualize (the Popek–Goldberg lab, `--isa leaky`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Every access to an S-level CSR from U-mode is an illegal
    /// instruction (privileged spec 2.1): sensitive ⊆ privileged.
    #[default]
    Standard,
    /// As standard, except two U-mode accesses to `sstatus` that do not
    /// trap, after x86's:
    /// - reading it (a Zicsr instruction that writes nothing: `csrr`, i.e.
    ///   `csrrs rd, sstatus, x0`) returns the real `sstatus`, as PUSHF and
    ///   SMSW reveal privileged state;
    /// - a write that would change no field but `SIE` is silently dropped
    ///   (the old value still goes to `rd`), as POPF ignores the interrupt
    ///   flag in user mode.
    Leaky,
}

impl Isa {
    /// Both variants, standard first.
    pub const ALL: [Isa; 2] = [Isa::Standard, Isa::Leaky];

    /// Its name on the command line (`--isa standard|leaky`).
    pub fn name(self) -> &'static str {
        match self {
            Isa::Standard => "standard",
            Isa::Leaky => "leaky",
        }
    }
}

impl std::fmt::Display for Isa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Isa {
    type Err = String;

    fn from_str(s: &str) -> Result<Isa, String> {
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == s)
            .ok_or_else(|| format!("unknown ISA variant `{s}` (standard or leaky)"))
    }
}

/// The privileged state of one hart: its privilege level, its CSRs, and its
/// clock. See the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Core {
    /// The machine variant: how U-mode accesses to `sstatus` behave.
    pub isa: Isa,
    pub privilege: Priv,
    pub csr: Csrs,
    /// Retired instructions (`instret`, and `cycle`).
    pub instret: u64,
    /// Clock ticks spent asleep in `wfi` (at 10 per `time` unit).
    pub slept: u64,
    /// The timer deadline, in `time` units (SBI `set_timer`); `u64::MAX`:
    /// none.
    pub timecmp: u64,
}

impl Default for Core {
    fn default() -> Self {
        Core::reset()
    }
}

impl Core {
    /// A hart at reset: S-mode, `mstatus` with 64-bit U and S, nothing
    /// delegated, every other CSR 0, no timer.
    pub fn reset() -> Core {
        Core {
            isa: Isa::Standard,
            privilege: Priv::Supervisor,
            csr: Csrs {
                mstatus: MSTATUS_RESET,
                ..Csrs::default()
            },
            instret: 0,
            slept: 0,
            timecmp: u64::MAX,
        }
    }

    /// The state book/src/machine.md's firmware hands a guest kernel ("State at
    /// entry"): S-mode, every exception but an S-mode `ecall` and every
    /// S-level interrupt delegated, the counters readable from S-mode.
    pub fn under_see() -> Core {
        let mut c = Core::reset();
        c.csr.medeleg = MEDELEG;
        c.csr.mideleg = MIDELEG;
        c.csr.mcounteren = MCOUNTEREN;
        c
    }

    // --- the clock (book/src/machine.md "Time") -------------------------

    /// The `time` CSR: (retired instructions + slept ticks) / 10.
    pub fn time(&self) -> u64 {
        self.instret.saturating_add(self.slept) / 10
    }

    /// Moves the clock forward to `time` (never back), raising `mip.STIP`
    /// if that reaches the deadline.
    pub fn sleep_until(&mut self, time: u64) {
        let target = time.saturating_mul(10);
        let now = self.instret.saturating_add(self.slept);
        if target > now {
            self.slept += target - now;
        }
        self.update_timer();
    }

    /// The timer comparator: raises `mip.STIP` once `time >= timecmp`.
    #[inline]
    pub fn update_timer(&mut self) {
        if self.timecmp != u64::MAX && self.time() >= self.timecmp {
            self.csr.mip |= STIP;
        }
    }

    /// The `instret` at which `time` reaches the deadline (so that a run
    /// stops exactly there), or `u64::MAX`: no timer, STIP already up, or a
    /// deadline `time` never reaches (past `u64::MAX / 10`: the clock stops
    /// at `u64::MAX` ticks, and the comparator, in `time` units, never
    /// fires).
    pub fn timer_deadline(&self) -> u64 {
        if self.csr.mip & STIP != 0 {
            return u64::MAX;
        }
        let Some(at) = self.timecmp.checked_mul(10) else {
            return u64::MAX;
        };
        let at = at.saturating_sub(self.slept);
        if at > self.instret {
            at
        } else {
            u64::MAX
        }
    }

    /// SBI `set_timer` (SBI spec 6.1): programs the next event and clears
    /// the pending timer interrupt; STIP comes back once `time >= stime`.
    pub fn set_timer(&mut self, stime: u64) {
        self.timecmp = stime;
        self.csr.mip &= !STIP;
    }

    // --- interrupts (privileged spec 3.1.9, 4.1.3) --------------------------

    /// The interrupt to take now, if any: pending and enabled in `mie`; one
    /// not delegated goes to M (the host), which is always enabled below M;
    /// a delegated one is enabled in U-mode, and in S-mode when
    /// `sstatus.SIE` = 1. Host interrupts come first, then SEI > SSI > STI.
    pub fn pending_interrupt(&self) -> Option<Interrupt> {
        let pending = self.csr.mip & self.csr.mie & S_INTERRUPTS;
        if pending == 0 {
            return None;
        }
        let to_host = pending & !self.csr.mideleg;
        let s_enabled = match self.privilege {
            Priv::User => true,
            Priv::Supervisor => self.csr.mstatus & csr::SSTATUS_SIE != 0,
            Priv::Machine => false,
        };
        let to_s = if s_enabled {
            pending & self.csr.mideleg
        } else {
            0
        };
        let to_host = if self.privilege == Priv::Machine {
            0
        } else {
            to_host
        };
        [to_host, to_s].into_iter().find_map(|set| {
            [
                Interrupt::SupervisorExternal,
                Interrupt::SupervisorSoftware,
                Interrupt::SupervisorTimer,
            ]
            .into_iter()
            .find(|i| set & i.bit() != 0)
        })
    }

    /// Whether `wfi` finds an interrupt to wake for (privileged spec 3.3.3:
    /// pending and enabled in `sie`, whatever `sstatus.SIE` says).
    pub fn wfi_wakes(&self) -> bool {
        self.csr.mip & self.csr.mie & S_INTERRUPTS != 0
    }

    /// `wfi` retired and waits (the firmware's half of it, natively and
    /// under the monitor alike): with an interrupt already pending it does
    /// not sleep. Otherwise only the timer can still wake the hart (there is
    /// no PLIC for SEIP, nothing else sets SSIP): if it is set and enabled
    /// in `sie`, the clock moves to its deadline; otherwise the hart hangs.
    pub fn sleep_in_wfi(&mut self) -> Sleep {
        if self.wfi_wakes() {
            return Sleep::Pending;
        }
        if self.timecmp == u64::MAX {
            return Sleep::Hang {
                why: "wfi with no timer set and interrupts that can never arrive",
            };
        }
        if self.csr.mie & STIP == 0 {
            return Sleep::Hang {
                why: "wfi with the timer set but its interrupt disabled in sie (STIE = 0), and no other interrupt that can arrive",
            };
        }
        let before = self.time();
        self.sleep_until(self.timecmp);
        let until = self.time();
        Sleep::Slept {
            ticks: until - before,
            until,
        }
    }

    // --- traps (privileged spec 3.1.8, 4.1.1, 4.1.2, 3.3.2) ----------------

    /// Privileged spec 3.1.8: a trap goes to S-mode when its bit is set in
    /// `medeleg`/`mideleg` (traps never go from M to S, and guest code never
    /// runs in M); otherwise M-mode, the host, takes it.
    pub fn delegated(&self, trap: Trap) -> bool {
        if self.privilege == Priv::Machine {
            return false;
        }
        let (deleg, code) = match trap {
            Trap::Exception { cause, .. } => (self.csr.medeleg, cause.code()),
            Trap::Interrupt(i) => (self.csr.mideleg, i.code()),
        };
        deleg >> code & 1 != 0
    }

    /// Trap entry into S-mode as the hardware does it, for a trap at `pc`
    /// (privileged spec 4.1.1, 4.1.2): `scause`, `sepc` = `pc`, `stval`;
    /// SPP = the old privilege, SPIE = SIE, SIE = 0; privilege S. Returns
    /// the new `pc`, the `stvec` target ([`tvec_target`]). The caller ends
    /// the LR reservation, as every trap does.
    pub fn enter_trap(&mut self, pc: u64, trap: Trap) -> u64 {
        let c = &mut self.csr;
        c.scause = trap.cause_bits();
        c.sepc = pc;
        c.stval = trap.tval();
        let mut s = c.mstatus & !(csr::SSTATUS_SPP | csr::SSTATUS_SPIE | csr::SSTATUS_SIE);
        if self.privilege != Priv::User {
            s |= csr::SSTATUS_SPP;
        }
        if c.mstatus & csr::SSTATUS_SIE != 0 {
            s |= csr::SSTATUS_SPIE;
        }
        c.mstatus = s;
        self.privilege = Priv::Supervisor;
        tvec_target(c.stvec, trap)
    }

    /// `sret` (privileged spec 3.3.2): back to `sepc` at the privilege in
    /// SPP, SIE from SPIE, SPIE = 1, SPP = U. Illegal in U-mode, and in
    /// S-mode when `mstatus.TSR` = 1. Returns the new `pc`; the caller ends
    /// the LR reservation.
    pub fn sret(&mut self, bits: u32) -> Result<u64, Trap> {
        if self.privilege == Priv::User
            || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TSR != 0)
        {
            return Err(Trap::illegal_instruction(bits));
        }
        let s = self.csr.mstatus;
        self.privilege = if s & csr::SSTATUS_SPP != 0 {
            Priv::Supervisor
        } else {
            Priv::User
        };
        let mut s = s & !(csr::SSTATUS_SIE | csr::SSTATUS_SPP);
        if s & csr::SSTATUS_SPIE != 0 {
            s |= csr::SSTATUS_SIE;
        }
        s |= csr::SSTATUS_SPIE;
        self.csr.mstatus = s;
        Ok(self.csr.sepc & !1)
    }

    /// `mret` is M-mode's: M-mode is the host, so as guest code it is
    /// always illegal.
    pub fn mret(&self, bits: u32) -> Result<u64, Trap> {
        Err(Trap::illegal_instruction(bits))
    }

    /// Whether `wfi` may run here (privileged spec 3.3.3): illegal in
    /// U-mode and, with `mstatus.TW` = 1, in S-mode.
    pub fn check_wfi(&self, bits: u32) -> Result<(), Trap> {
        if self.privilege == Priv::User
            || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TW != 0)
        {
            return Err(Trap::illegal_instruction(bits));
        }
        Ok(())
    }

    /// Whether `sfence.vma` may run here (privileged spec 3.1.6.5):
    /// illegal in U-mode, and in S-mode when `mstatus.TVM` = 1.
    pub fn check_sfence_vma(&self, bits: u32) -> Result<(), Trap> {
        if self.privilege == Priv::User
            || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TVM != 0)
        {
            return Err(Trap::illegal_instruction(bits));
        }
        Ok(())
    }

    /// The `ecall` exception for the current privilege (privileged spec
    /// 3.3.1: its cause says where it came from).
    pub fn ecall(&self) -> Trap {
        let cause = match self.privilege {
            Priv::User => Exception::EcallFromU,
            Priv::Supervisor => Exception::EcallFromS,
            Priv::Machine => Exception::EcallFromM,
        };
        Trap::Exception { cause, tval: 0 }
    }

    // --- CSRs (privileged spec 2.1, chapter 4; Zicsr; Zicntr) ---------------

    /// Privileged spec 2.1: bits 9:8 of a CSR number give the lowest
    /// privilege that may access it; M-level CSRs are the host's.
    fn csr_accessible(&self, csr: u16) -> bool {
        let needed = (csr >> 8) & 3;
        let have = match self.privilege {
            Priv::User => 0,
            Priv::Supervisor | Priv::Machine => 1,
        };
        needed <= have
    }

    /// Whether `bits` is a privileged instruction that is illegal here for
    /// want of privilege alone, whatever its operands and the rest of the
    /// state: a Zicsr instruction on a CSR whose bits 9:8 ask for more than
    /// the current privilege (privileged spec 2.1: "attempts to access a
    /// CSR without appropriate privilege level ... raise
    /// illegal-instruction exceptions"; no [`Isa::Leaky`] flaw letting it
    /// through), and in U-mode `sret`, `wfi` and `sfence.vma` (3.3.2,
    /// 3.3.3, 3.1.6.5). It raises [`Trap::illegal_instruction`], as
    /// [`Core::csr_instruction`], [`Core::sret`], [`Core::check_wfi`] and
    /// [`Core::check_sfence_vma`] would: a hart may raise it without
    /// decoding and running it (a guest kernel's, in real U-mode under a
    /// monitor).
    #[inline]
    pub fn denies(&self, bits: u32) -> bool {
        const SYSTEM: u32 = 0b111_0011;
        const SRET: u32 = 0x1020_0073;
        const WFI: u32 = 0x1050_0073;
        const SFENCE_VMA: (u32, u32) = (0xfe00_7fff, 0x1200_0073);
        if bits & 0x7f != SYSTEM {
            return false;
        }
        if (bits >> 12) & 3 != 0 {
            let csr = (bits >> 20) as u16;
            let leaks =
                self.isa == Isa::Leaky && self.privilege == Priv::User && csr == addr::SSTATUS;
            return !(self.csr_accessible(csr) || leaks);
        }
        self.privilege == Priv::User
            && (bits == SRET || bits == WFI || bits & SFENCE_VMA.0 == SFENCE_VMA.1)
    }

    /// Zicntr: `cycle`, `time`, `instret` and `hpmcounterN` are readable
    /// from S-mode when `mcounteren` allows it, and from U-mode when
    /// `scounteren` allows it too (privileged spec 3.1.11, 4.1.5).
    fn counter_enabled(&self, csr: u16) -> bool {
        let bit = 1u64 << (csr - addr::CYCLE);
        match self.privilege {
            Priv::User => self.csr.mcounteren & self.csr.scounteren & bit != 0,
            Priv::Supervisor => self.csr.mcounteren & bit != 0,
            Priv::Machine => true,
        }
    }

    /// Reads CSR `csr` as software at the current privilege sees it.
    pub fn csr_read(&self, csr: u16) -> Result<u64, CsrIllegal> {
        if !self.csr_accessible(csr) {
            return Err(CsrIllegal);
        }
        let c = &self.csr;
        Ok(match csr {
            addr::SSTATUS => c.mstatus & SSTATUS_READ_MASK,
            addr::SIE => c.mie & c.mideleg & S_INTERRUPTS,
            addr::STVEC => c.stvec,
            addr::SCOUNTEREN => c.scounteren,
            // No fields implemented: reads 0, writes are ignored.
            addr::SENVCFG => 0,
            addr::SSCRATCH => c.sscratch,
            // IALIGN = 16: only sepc[0] reads as zero (privileged spec 4.1.7).
            addr::SEPC => c.sepc & !1,
            addr::SCAUSE => c.scause,
            addr::STVAL => c.stval,
            addr::SIP => c.mip & c.mideleg & S_INTERRUPTS,
            addr::SATP => {
                if self.privilege == Priv::Supervisor && c.mstatus & MSTATUS_TVM != 0 {
                    return Err(CsrIllegal);
                }
                c.satp
            }
            addr::CYCLE..=addr::HPMCOUNTER31 => {
                if !self.counter_enabled(csr) {
                    return Err(CsrIllegal);
                }
                match csr {
                    addr::CYCLE | addr::INSTRET => self.instret,
                    addr::TIME => self.time(),
                    _ => 0,
                }
            }
            _ => return Err(CsrIllegal),
        })
    }

    /// Writes CSR `csr` as software at the current privilege would, with
    /// each register's WARL rule. Read-only and unknown CSRs are illegal.
    pub fn csr_write(&mut self, csr: u16, v: u64) -> Result<CsrEffect, CsrIllegal> {
        // Bits 11:10 = 0b11: read-only (privileged spec 2.1).
        if !self.csr_accessible(csr) || csr >> 10 == 3 {
            return Err(CsrIllegal);
        }
        let c = &mut self.csr;
        match csr {
            addr::SSTATUS => {
                let old = c.mstatus;
                c.mstatus = (c.mstatus & !SSTATUS_WRITE_MASK) | (v & SSTATUS_WRITE_MASK);
                if (old ^ c.mstatus) & (SSTATUS_SUM | SSTATUS_MXR) != 0 {
                    return Ok(CsrEffect::SumMxr);
                }
            }
            addr::SIE => {
                let mask = c.mideleg & S_INTERRUPTS;
                c.mie = (c.mie & !mask) | (v & mask);
            }
            // Modes 2 and 3 are reserved: such a write is ignored (as QEMU).
            addr::STVEC => {
                if v & 3 < 2 {
                    c.stvec = v;
                }
            }
            addr::SCOUNTEREN => c.scounteren = v & 0xffff_ffff,
            addr::SENVCFG => {}
            addr::SSCRATCH => c.sscratch = v,
            addr::SEPC => c.sepc = v & !1,
            addr::SCAUSE => c.scause = v,
            addr::STVAL => c.stval = v,
            // Only SSIP is writable from S-mode (privileged spec 4.1.3).
            addr::SIP => {
                let mask = c.mideleg & SSIP;
                c.mip = (c.mip & !mask) | (v & mask);
            }
            addr::SATP => {
                if self.privilege == Priv::Supervisor && c.mstatus & MSTATUS_TVM != 0 {
                    return Err(CsrIllegal);
                }
                // WARL: a write with an unsupported MODE has no effect at all.
                let mode = v >> 60;
                if mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 {
                    return Ok(CsrEffect::SatpIgnored);
                }
                c.satp = v & (0xf << 60 | SATP_ASID | SATP_PPN);
                return Ok(CsrEffect::Satp);
            }
            _ => return Err(CsrIllegal),
        }
        Ok(CsrEffect::Plain)
    }

    /// A Zicsr instruction (`csrrw`, `csrrs`, `csrrc` and the immediate
    /// forms) with source value `src` (`x[rs1]`, or the 5-bit immediate):
    /// `csrrw` always writes and reads only when `rd` is not x0;
    /// `csrrs`/`csrrc` always read and write only when `rs1` (or `uimm`)
    /// is not zero (unprivileged spec 9.1). An access the privilege may not
    /// make is an illegal instruction; nothing changes then.
    pub fn csr_instruction(&mut self, i: &Insn, bits: u32, src: u64) -> Result<CsrAccess, Trap> {
        let csr = i.csr();
        let (read, write) = match i.op {
            Op::Csrrw | Op::Csrrwi => (i.rd != 0, true),
            _ => (true, i.rs1 != 0),
        };
        if let Some(access) = self.leak(i, src, write) {
            return Ok(access);
        }
        // A csrrw with rd = x0 does not read (the write checks access).
        let old = if read {
            self.csr_read(csr)
                .map_err(|_| Trap::illegal_instruction(bits))?
        } else {
            0
        };
        let write = if write {
            let new = match i.op {
                Op::Csrrw | Op::Csrrwi => src,
                Op::Csrrs | Op::Csrrsi => old | src,
                _ => old & !src,
            };
            let effect = self
                .csr_write(csr, new)
                .map_err(|_| Trap::illegal_instruction(bits))?;
            Some((new, effect))
        } else {
            None
        };
        Ok(CsrAccess { old, write })
    }

    /// [`Isa::Leaky`]'s two flaws, for a U-mode Zicsr instruction on
    /// `sstatus` (`write`: whether it writes): a read returns the real
    /// `sstatus`, and a write that would change no writable field but `SIE`
    /// is dropped, returning the old value. `None`: the instruction runs
    /// by the standard rules (here, in U-mode: it is illegal).
    fn leak(&self, i: &Insn, src: u64, write: bool) -> Option<CsrAccess> {
        if self.isa != Isa::Leaky || self.privilege != Priv::User || i.csr() != addr::SSTATUS {
            return None;
        }
        let old = self.csr.mstatus & SSTATUS_READ_MASK;
        if write {
            let new = match i.op {
                Op::Csrrw | Op::Csrrwi => src,
                Op::Csrrs | Op::Csrrsi => old | src,
                _ => old & !src,
            };
            if (old ^ new) & SSTATUS_WRITE_MASK & !csr::SSTATUS_SIE != 0 {
                return None;
            }
        }
        Some(CsrAccess { old, write: None })
    }

    /// The S-level CSRs as S-mode software reads them, and the privilege
    /// level (as `mode`, 0 U, 1 S) and timer deadline (`stimecmp`): what a
    /// debugger shows of a hart's privileged state, whatever the privilege
    /// it runs at now.
    pub fn s_view(&self) -> [(&'static str, u64); 12] {
        let c = &self.csr;
        [
            ("mode", self.privilege as u64),
            ("sstatus", c.mstatus & SSTATUS_READ_MASK),
            ("sie", c.mie & c.mideleg & S_INTERRUPTS),
            ("sip", c.mip & c.mideleg & S_INTERRUPTS),
            ("stvec", c.stvec),
            ("sscratch", c.sscratch),
            ("sepc", c.sepc & !1),
            ("scause", c.scause),
            ("stval", c.stval),
            ("satp", c.satp),
            ("scounteren", c.scounteren),
            ("stimecmp", self.timecmp),
        ]
    }

    // --- what address translation depends on (privileged spec 4.3, 4.1.11) --

    /// `sstatus.SUM`: S-mode may load and store U pages.
    pub fn sum(&self) -> bool {
        self.csr.mstatus & SSTATUS_SUM != 0
    }

    /// `sstatus.MXR`: loads from execute-only pages succeed.
    pub fn mxr(&self) -> bool {
        self.csr.mstatus & SSTATUS_MXR != 0
    }

    /// Whether Sv39 paging is on.
    pub fn paging(&self) -> bool {
        self.csr.satp >> 60 == SATP_MODE_SV39
    }

    /// The physical address of the root page table.
    pub fn satp_root(&self) -> u64 {
        (self.csr.satp & SATP_PPN) << 12
    }
}

/// Where a trap into S-mode lands (privileged spec 4.1.2): `stvec.BASE`,
/// plus 4 × cause for an interrupt in vectored mode (MODE = 1).
pub fn tvec_target(stvec: u64, trap: Trap) -> u64 {
    let base = stvec & !3;
    match trap {
        Trap::Interrupt(i) if stvec & 3 == 1 => base.wrapping_add(4 * i.code()),
        _ => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::encode;

    /// `Isa::Leaky`'s rule, instruction by instruction, in U-mode: a read
    /// of sstatus returns the real one and a write changing only SIE is
    /// dropped (no trap, nothing changes); a write changing anything else,
    /// or any access to another S CSR, traps as on the standard machine;
    /// in S-mode both machines are the same.
    #[test]
    fn the_leaky_machine_leaks_sstatus_reads_and_drops_sie_only_writes_in_u_mode() {
        let csr = |op: Op, rd: u8, rs1: u8, csr: u16| {
            let i = Insn {
                op,
                rd,
                rs1,
                rs2: 0,
                imm: i32::from(csr),
            };
            (i, encode(&i))
        };
        let mut c = Core::under_see();
        c.csr.mstatus |= csr::SSTATUS_SIE | SSTATUS_SUM;
        let real = c.csr.mstatus & SSTATUS_READ_MASK;
        c.privilege = Priv::User;
        let cases = [
            csr(Op::Csrrs, 5, 0, addr::SSTATUS),  // csrr t0, sstatus
            csr(Op::Csrrci, 5, 2, addr::SSTATUS), // csrci sstatus, SIE
            csr(Op::Csrrsi, 0, 2, addr::SSTATUS), // csrsi sstatus, SIE
            csr(Op::Csrrw, 5, 6, addr::SSTATUS),  // csrrw with t1 = old ^ SIE
        ];
        for (isa, leaks) in [(Isa::Standard, false), (Isa::Leaky, true)] {
            c.isa = isa;
            for (i, bits) in &cases {
                let before = c.clone();
                let got = c.csr_instruction(
                    i,
                    *bits,
                    if i.rs1 == 6 {
                        real ^ 2
                    } else {
                        u64::from(i.rs1)
                    },
                );
                if leaks {
                    assert_eq!(
                        got,
                        Ok(CsrAccess {
                            old: real,
                            write: None
                        }),
                        "{isa}: {:?}",
                        i.op
                    );
                } else {
                    assert_eq!(
                        got,
                        Err(Trap::illegal_instruction(*bits)),
                        "{isa}: {:?}",
                        i.op
                    );
                }
                assert_eq!(c, before, "{isa}: {:?} changed nothing", i.op);
            }
            // A write that changes more than SIE traps on both.
            let (i, bits) = csr(Op::Csrrs, 0, 6, addr::SSTATUS);
            assert_eq!(
                c.csr_instruction(&i, bits, csr::SSTATUS_SPP),
                Err(Trap::illegal_instruction(bits)),
                "{isa}: SPP"
            );
            // Another S CSR traps on both.
            let (i, bits) = csr(Op::Csrrs, 5, 0, addr::SSCRATCH);
            assert_eq!(
                c.csr_instruction(&i, bits, 0),
                Err(Trap::illegal_instruction(bits))
            );
        }
        // In S-mode the leaky machine is the standard one.
        let mut s = Core::under_see();
        s.isa = Isa::Leaky;
        let (i, bits) = csr(Op::Csrrci, 5, 2, addr::SSTATUS);
        s.csr.mstatus |= csr::SSTATUS_SIE;
        let got = s.csr_instruction(&i, bits, 2).map(|a| a.write.is_some());
        assert_eq!(got, Ok(true));
        assert_eq!(s.csr.mstatus & csr::SSTATUS_SIE, 0, "masked in S-mode");
    }

    #[test]
    fn vectored_mode_only_moves_interrupts() {
        let ecall = Trap::Exception {
            cause: Exception::EcallFromU,
            tval: 0,
        };
        assert_eq!(tvec_target(0x8020_0101, ecall), 0x8020_0100);
        let timer = Trap::Interrupt(Interrupt::SupervisorTimer);
        assert_eq!(tvec_target(0x8020_0101, timer), 0x8020_0114);
        assert_eq!(tvec_target(0x8020_0100, timer), 0x8020_0100);
    }

    #[test]
    fn the_see_delegates_all_but_s_and_m_ecalls() {
        let c = Core::under_see();
        assert_eq!(c.csr.medeleg, 0xb1ff);
        assert_eq!(c.csr.mideleg, 0x222);
        assert_eq!(c.csr.mcounteren, 0b111);
        assert_eq!(c.privilege, Priv::Supervisor);
    }

    #[test]
    fn satp_with_an_unsupported_mode_is_ignored() {
        let mut c = Core::under_see();
        assert_eq!(
            c.csr_write(addr::SATP, 8 << 60 | 0x80400),
            Ok(CsrEffect::Satp)
        );
        assert_eq!(
            c.csr_write(addr::SATP, 9 << 60 | 0x1234),
            Ok(CsrEffect::SatpIgnored)
        );
        assert_eq!(
            c.csr_write(addr::SATP, u64::MAX),
            Ok(CsrEffect::SatpIgnored)
        );
        assert_eq!(c.csr.satp, 8 << 60 | 0x80400);
        assert_eq!(c.satp_root(), 0x8040_0000);
    }

    #[test]
    fn sstatus_keeps_only_s_fields_and_reports_sum_mxr_changes() {
        let mut c = Core::under_see();
        assert_eq!(c.csr_write(addr::SSTATUS, u64::MAX), Ok(CsrEffect::SumMxr));
        assert_eq!(
            c.csr_read(addr::SSTATUS),
            Ok(SSTATUS_WRITE_MASK | 2 << 32),
            "UXL reads 2: 64-bit U-mode"
        );
        assert_eq!(
            c.csr_write(addr::SSTATUS, !csr::SSTATUS_SIE),
            Ok(CsrEffect::Plain)
        );
    }

    #[test]
    fn a_deadline_past_the_end_of_the_clock_is_never_reached() {
        let mut c = Core::under_see();
        let end = u64::MAX / 10;
        c.slept = u64::MAX;
        assert_eq!(c.time(), end, "the clock stops at u64::MAX ticks");
        c.set_timer(end);
        c.update_timer();
        assert_ne!(c.csr.mip & STIP, 0, "the last time the clock reaches");
        for deadline in [end + 1, u64::MAX - 1] {
            c.set_timer(deadline);
            c.update_timer();
            assert_eq!(c.csr.mip & STIP, 0, "deadline {deadline:#x}");
            assert_eq!(c.timer_deadline(), u64::MAX, "deadline {deadline:#x}");
        }
        // No run stops for it either.
        let mut c = Core::under_see();
        c.slept = 5;
        c.set_timer(u64::MAX - 1);
        assert_eq!(c.timer_deadline(), u64::MAX);
        // A wfi waiting for it sleeps to the end of the clock, and the
        // timer still does not fire.
        let mut c = Core::under_see();
        c.csr.mie = STIP;
        c.set_timer(u64::MAX - 1);
        assert!(matches!(c.sleep_in_wfi(), Sleep::Slept { until, .. } if until == end));
        assert_eq!(c.csr.mip & STIP, 0);
        assert_eq!(c.timer_deadline(), u64::MAX);
    }

    #[test]
    fn the_timer_fires_at_the_deadline_and_stays_until_the_next_set_timer() {
        let mut c = Core::under_see();
        c.set_timer(5);
        assert_eq!(c.timer_deadline(), 50);
        c.instret = 49;
        c.update_timer();
        assert_eq!(c.csr.mip & STIP, 0);
        c.instret = 50;
        c.update_timer();
        assert_ne!(c.csr.mip & STIP, 0);
        assert_eq!(c.pending_interrupt(), None, "STIE is off");
        c.csr.mie = STIP;
        assert_eq!(c.pending_interrupt(), None, "SIE is off in S-mode");
        c.privilege = Priv::User;
        assert_eq!(c.pending_interrupt(), Some(Interrupt::SupervisorTimer));
        c.set_timer(u64::MAX);
        assert_eq!(c.csr.mip & STIP, 0);
    }

    #[test]
    fn wfi_sleeps_to_the_deadline_or_hangs() {
        let mut c = Core::under_see();
        assert!(matches!(c.sleep_in_wfi(), Sleep::Hang { why } if why.contains("no timer")));
        c.timecmp = 1000;
        assert!(matches!(c.sleep_in_wfi(), Sleep::Hang { why } if why.contains("STIE")));
        c.csr.mie = STIP;
        c.instret = 100;
        assert_eq!(
            c.sleep_in_wfi(),
            Sleep::Slept {
                ticks: 990,
                until: 1000
            }
        );
        assert_eq!(c.time(), 1000);
        assert_eq!(c.sleep_in_wfi(), Sleep::Pending, "STIP is up now");
    }

    #[test]
    fn csrrs_with_x0_reads_without_writing_even_a_read_only_csr() {
        let mut c = Core::under_see();
        c.instret = 42;
        let rdcycle =
            crate::isa::decode(encode(&Insn::new(Op::Csrrs, 10, 0, 0, 0xc00))).expect("valid");
        let got = c.csr_instruction(&rdcycle, 0, 0);
        assert_eq!(
            got,
            Ok(CsrAccess {
                old: 42,
                write: None
            })
        );
        let wrcycle = Insn::new(Op::Csrrw, 0, 5, 0, 0xc00);
        assert_eq!(
            c.csr_instruction(&wrcycle, 7, 1),
            Err(Trap::illegal_instruction(7)),
            "cycle is read-only"
        );
    }

    proptest::proptest! {
        /// An instruction `denies` calls illegal is one the privileged
        /// core refuses, with the same trap, on both machines, in both
        /// modes: a hart that raises it without running it raises what
        /// running it would. And it calls illegal every U-mode access to an
        /// S-level CSR (but the leaky machine's `sstatus`) and every U-mode
        /// `sret`, `wfi`, `sfence.vma`.
        #[test]
        fn denies_is_what_running_it_would_raise(
            bits in proptest::prelude::any::<u32>(),
            shape in 0u8..5,
            src in proptest::prelude::any::<u64>(),
            user in proptest::prelude::any::<bool>(),
            leaky in proptest::prelude::any::<bool>(),
        ) {
            // A SYSTEM instruction: any, an S-level CSR's, `sret`, `wfi`,
            // `sfence.vma`.
            let bits = match shape {
                0 => bits & !0x7f | 0x73,
                1 => bits & 0x000f_ffff & !0x7f | 0x73 | 0x100 << 20 | (bits >> 24) << 20,
                2 => 0x1020_0073,
                3 => 0x1050_0073,
                _ => bits & 0x01ff_8000 | 0x1200_0073,
            };
            let mut c = Core::under_see();
            c.privilege = if user { Priv::User } else { Priv::Supervisor };
            c.isa = if leaky { Isa::Leaky } else { Isa::Standard };
            let denied = c.denies(bits);
            let zicsr = (bits >> 12) & 3 != 0;
            let leak = user && leaky && (bits >> 20) as u16 == addr::SSTATUS;
            let above = (bits >> 28) & 3 > u32::from(!user);
            if zicsr {
                proptest::prop_assert_eq!(denied, above && !leak);
            } else {
                proptest::prop_assert_eq!(denied, user && shape >= 2);
            }
            if denied {
                let i = crate::isa::decode(bits).expect("it decodes");
                let illegal = Err(Trap::illegal_instruction(bits));
                let mut run = c.clone();
                let got = match i.op {
                    Op::Sret => run.sret(bits).map(|_| ()),
                    Op::Wfi => run.check_wfi(bits),
                    Op::SfenceVma => run.check_sfence_vma(bits),
                    _ => run.csr_instruction(&i, bits, src).map(|_| ()),
                };
                proptest::prop_assert_eq!(got, illegal);
            }
        }
    }
}
