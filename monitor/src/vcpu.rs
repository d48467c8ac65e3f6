//! The virtual hart: what each guest believes its hart is.
//!
//! The real hart always runs a guest in U-mode. The guest's *virtual*
//! privilege mode and its S-mode CSRs (privileged spec chapter 4:
//! `sstatus`, `sie`, `sip`, `stvec`, `sscratch`, `sepc`, `scause`, `stval`,
//! `satp`, `scounteren`) live here, along with its virtual clock (its own
//! retired instructions plus the time it slept) and its timer deadline.
//! While a guest is switched out, its registers, `pc` and trace digest are
//! parked here too.
//!
//! Every write goes through a WARL legalizer that gives the same result as
//! the real hart's CSR file, so a guest reads back exactly what it would
//! read natively.

use cpu::hart::{Digest, Priv, Reservation};
use cpu::trap::Interrupt;

/// `sstatus` fields (privileged spec 4.1.1).
pub mod sstatus {
    pub const SIE: u64 = 1 << 1;
    pub const SPIE: u64 = 1 << 5;
    pub const SPP: u64 = 1 << 8;
    pub const SUM: u64 = 1 << 18;
    pub const MXR: u64 = 1 << 19;
    /// UXL = 2 (64-bit U-mode), read-only on RV64.
    pub const UXL_64: u64 = 2 << 32;
    /// The fields S-mode software can write.
    pub const WRITABLE: u64 = SIE | SPIE | SPP | SUM | MXR;
}

/// The S-level interrupt bits of `sie`/`sip` (SSI, STI, SEI).
pub const S_INTERRUPTS: u64 = (1 << 1) | (1 << 5) | (1 << 9);
/// `sip.SSIP`: the only `sip` bit S-mode can write.
pub const SSIP: u64 = 1 << 1;
/// `sip.STIP`: raised by the timer, cleared by SBI `set_timer`.
pub const STIP: u64 = 1 << 5;

/// `satp` MODE values (privileged spec 4.1.11).
pub const SATP_BARE: u64 = 0;
pub const SATP_SV39: u64 = 8;

/// One guest's virtual hart.
#[derive(Clone, Debug)]
pub struct Vcpu {
    /// The guest's virtual privilege mode (the real one is always U).
    pub mode: Priv,
    /// `sstatus` as stored (without the read-only UXL field).
    pub sstatus: u64,
    pub sie: u64,
    /// `sip` bits other than STIP (which is [`Vcpu::stip`]).
    pub sip: u64,
    /// The timer's `sip.STIP`: set when `time` reaches the deadline, stays
    /// set until the next `set_timer` (MACHINE.md "Time and counters").
    pub stip: bool,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub satp: u64,
    pub scounteren: u64,
    /// Instructions this guest retired: directly on the hart, or emulated.
    pub retired: u64,
    /// Of those, the ones the monitor emulated.
    pub emulated: u64,
    /// Clock ticks spent asleep in `wfi`.
    pub slept: u64,
    /// The SBI timer deadline, in `time` units; `u64::MAX` = none.
    pub deadline: u64,
    /// Registers, `pc` and digest while switched out.
    pub x: [u64; 32],
    pub pc: u64,
    pub digest: Digest,
    /// Its LR reservation while switched out.
    pub reservation: Option<Reservation>,
}

impl Vcpu {
    /// A virtual hart in the state of MACHINE.md "State at entry".
    pub fn new(entry: u64) -> Vcpu {
        Vcpu {
            mode: Priv::Supervisor,
            sstatus: 0,
            sie: 0,
            sip: 0,
            stip: false,
            stvec: 0,
            sscratch: 0,
            sepc: 0,
            scause: 0,
            stval: 0,
            satp: 0,
            scounteren: 0,
            retired: 0,
            emulated: 0,
            slept: 0,
            deadline: u64::MAX,
            x: [0; 32],
            pc: entry,
            digest: Digest::new(),
            reservation: None,
        }
    }

    /// The virtual clock: retired instructions plus slept ticks (100 M per
    /// virtual second).
    pub fn clock(&self) -> u64 {
        self.retired.saturating_add(self.slept)
    }

    /// The `time` CSR: the clock at 10 MHz.
    pub fn time(&self) -> u64 {
        self.clock() / 10
    }

    /// The clock value at which `time` reaches the deadline, `None` if it
    /// never will: no timer set, or a deadline past `u64::MAX / 10`, where
    /// `time` stops because the clock stops at `u64::MAX` ticks (as the
    /// hart's does).
    pub fn deadline_clock(&self) -> Option<u64> {
        self.deadline.checked_mul(10)
    }

    /// Instructions this guest may still retire before its timer fires
    /// (0 if it is due now, `u64::MAX` if it never will).
    pub fn until_deadline(&self) -> u64 {
        self.deadline_clock()
            .map_or(u64::MAX, |at| at.saturating_sub(self.clock()))
    }

    /// Raises `sip.STIP` if `time` has reached the deadline, as the hart's
    /// timer comparator does before every instruction: in `time` units, so
    /// that a deadline `time` can never reach is never reached (the clock
    /// times ten would saturate at `u64::MAX` and look reached).
    pub fn tick(&mut self) {
        if self.deadline != u64::MAX && self.time() >= self.deadline {
            self.stip = true;
        }
    }

    /// SBI `set_timer`: a new deadline, and STIP drops until it is reached.
    pub fn set_timer(&mut self, time: u64) {
        self.deadline = time;
        self.stip = false;
        self.tick();
    }

    /// The value of `sstatus` as the guest reads it.
    pub fn read_sstatus(&self) -> u64 {
        self.sstatus | sstatus::UXL_64
    }

    /// `csrw sstatus`: only SIE, SPIE, SPP, SUM and MXR are writable.
    /// Returns whether SUM or MXR changed (the shadow tables encode them).
    pub fn set_sstatus(&mut self, value: u64) -> bool {
        let old = self.sstatus;
        self.sstatus = value & sstatus::WRITABLE;
        (old ^ self.sstatus) & (sstatus::SUM | sstatus::MXR) != 0
    }

    /// The value of `sip` as the guest reads it.
    pub fn read_sip(&self) -> u64 {
        self.sip | if self.stip { STIP } else { 0 }
    }

    /// `csrw sip`: S-mode can only set or clear SSIP.
    pub fn set_sip(&mut self, value: u64) {
        self.sip = (self.sip & !SSIP) | (value & SSIP);
    }

    pub fn set_sie(&mut self, value: u64) {
        self.sie = value & S_INTERRUPTS;
    }

    /// `stvec` is WARL: MODE 0 (direct) and 1 (vectored) are kept; a write
    /// of a reserved MODE (2, 3) leaves `stvec` unchanged.
    pub fn set_stvec(&mut self, value: u64) {
        if value & 3 < 2 {
            self.stvec = value;
        }
    }

    /// `sepc[0]` is always zero (IALIGN = 32 also hides bit 1 on reads).
    pub fn set_sepc(&mut self, value: u64) {
        self.sepc = value & !1;
    }

    /// The value of `sepc` as the guest reads it (and `sret` uses).
    pub fn read_sepc(&self) -> u64 {
        self.sepc & !3
    }

    /// `scounteren` holds the CY, TM, IR and hpmcounter enables.
    pub fn set_scounteren(&mut self, value: u64) {
        self.scounteren = value & 0xffff_ffff;
    }

    /// `csrw satp`: WARL, a write with a MODE other than Bare or Sv39 is
    /// ignored (MACHINE.md). Returns whether the write took effect, in
    /// which case the caller drops the shadow tables (`shadow::flush`).
    pub fn set_satp(&mut self, value: u64) -> bool {
        match value >> 60 {
            SATP_BARE | SATP_SV39 => {
                self.satp = value;
                true
            }
            _ => false,
        }
    }

    /// Whether the guest has turned on Sv39 paging.
    pub fn paging(&self) -> bool {
        self.satp >> 60 == SATP_SV39
    }

    /// The root of the guest's own page table (guest-physical).
    pub fn satp_root(&self) -> u64 {
        (self.satp & ((1 << 44) - 1)) << 12
    }

    pub fn sum(&self) -> bool {
        self.sstatus & sstatus::SUM != 0
    }

    pub fn mxr(&self) -> bool {
        self.sstatus & sstatus::MXR != 0
    }

    /// The interrupt the virtual hart takes now, if any (privileged spec
    /// 4.1.3: pending and enabled in `sie`, and either in U-mode or with
    /// `sstatus.SIE` set; priority SEI, SSI, STI).
    pub fn pending_interrupt(&self) -> Option<Interrupt> {
        let pending = self.read_sip() & self.sie;
        if pending == 0 {
            return None;
        }
        let enabled = self.mode == Priv::User || self.sstatus & sstatus::SIE != 0;
        if !enabled {
            return None;
        }
        [
            Interrupt::SupervisorExternal,
            Interrupt::SupervisorSoftware,
            Interrupt::SupervisorTimer,
        ]
        .into_iter()
        .find(|i| pending & i.bit() != 0)
    }

    /// Whether an interrupt is pending and enabled in `sie` (what wakes a
    /// `wfi`, whatever `sstatus.SIE` says).
    pub fn wakeup_pending(&self) -> bool {
        self.read_sip() & self.sie != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn satp_with_an_unsupported_mode_is_ignored() {
        let mut v = Vcpu::new(0x8020_0000);
        assert!(v.set_satp(8 << 60 | 0x80400));
        assert!(!v.set_satp(9 << 60 | 0x1234));
        assert!(!v.set_satp(u64::MAX));
        assert_eq!(v.satp, 8 << 60 | 0x80400);
        assert_eq!(v.satp_root(), 0x8040_0000);
    }

    #[test]
    fn timer_fires_at_the_deadline_and_stays_until_the_next_set_timer() {
        let mut v = Vcpu::new(0);
        v.set_timer(5);
        assert_eq!(v.until_deadline(), 50);
        v.retired = 49;
        v.tick();
        assert!(!v.stip);
        v.retired = 50;
        v.tick();
        assert!(v.stip);
        assert_eq!(v.pending_interrupt(), None, "STIE is off");
        v.set_sie(STIP);
        assert_eq!(v.pending_interrupt(), None, "SIE is off in S-mode");
        v.mode = Priv::User;
        assert_eq!(v.pending_interrupt(), Some(Interrupt::SupervisorTimer));
        v.set_timer(u64::MAX);
        assert!(!v.stip);
    }

    #[test]
    fn a_deadline_past_the_end_of_the_clock_is_never_reached() {
        let mut v = Vcpu::new(0);
        let end = u64::MAX / 10;
        v.slept = u64::MAX;
        assert_eq!(v.time(), end, "the clock stops at u64::MAX ticks");
        v.set_timer(end);
        assert!(v.stip, "the last time the clock reaches");
        assert_eq!(v.until_deadline(), 0);
        for deadline in [end + 1, u64::MAX - 1] {
            v.set_timer(deadline);
            assert!(!v.stip, "deadline {deadline:#x}");
            assert_eq!(v.until_deadline(), u64::MAX, "deadline {deadline:#x}");
        }
    }

    #[test]
    fn sstatus_keeps_only_s_fields() {
        let mut v = Vcpu::new(0);
        assert!(v.set_sstatus(u64::MAX));
        assert_eq!(v.read_sstatus(), sstatus::WRITABLE | sstatus::UXL_64);
        assert!(!v.set_sstatus(!sstatus::SIE));
    }
}
