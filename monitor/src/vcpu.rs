//! The virtual hart: what each guest believes its hart is.
//!
//! It is the very architectural state the real hart has ([`ArchState`]),
//! privileged core included ([`cpu::privileged::Core`]): the guest's
//! virtual privilege mode, its S-mode CSRs with the machine-level controls
//! the native firmware sets (delegation, `mcounteren`), its clock (its own
//! retired instructions plus the time it slept) and its timer deadline.
//! The real hart always runs a guest in U-mode through the monitor's
//! tables; the guest's virtual privileged state lives here, and every rule
//! over it (CSR access and WARL, trap entry, `sret`, interrupts, `wfi`) is
//! the function the real hart runs natively. While another guest has the
//! hart, this guest's registers, `pc`, reservation and trace digest are
//! parked here too.

use cpu::arch::ArchState;
use cpu::hart::Digest;
use cpu::privileged::Core;

/// One guest's virtual hart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vcpu {
    /// The guest's architectural state: its privileged core always; its
    /// registers, `pc` and reservation only while it is off the hart.
    pub arch: ArchState,
    /// Its trace digest, while it is off the hart.
    pub digest: Digest,
    /// Of its retired instructions (`arch.core.instret`), the ones the
    /// monitor emulated.
    pub emulated: u64,
}

impl Vcpu {
    /// A virtual hart in the state of book/src/machine.md "State at entry": S-mode,
    /// set up as the native firmware sets up the real one, `pc` = `entry`,
    /// every register 0 (a0 = hart id 0, a1 = no device tree).
    pub fn new(entry: u64) -> Vcpu {
        let mut arch = ArchState::new(Core::under_see());
        arch.pc = entry;
        Vcpu {
            arch,
            digest: Digest::new(),
            emulated: 0,
        }
    }

    /// The guest's privileged core.
    pub fn core(&self) -> &Core {
        &self.arch.core
    }

    /// Instructions this guest retired: on the hart, or emulated.
    pub fn retired(&self) -> u64 {
        self.arch.core.instret
    }

    /// Instructions this guest may still retire before its timer fires
    /// (0 if it is due now, `u64::MAX` if no timer is set or it already
    /// fired).
    pub fn until_deadline(&self) -> u64 {
        match self.arch.core.timer_deadline() {
            u64::MAX => u64::MAX,
            at => at.saturating_sub(self.arch.core.instret),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu::csr::STIP;
    use cpu::hart::Priv;
    use cpu::trap::Interrupt;

    #[test]
    fn a_guest_starts_in_s_mode_delegated_as_natively() {
        let v = Vcpu::new(0x8020_0000);
        assert_eq!(v.arch.pc, 0x8020_0000);
        assert_eq!(v.core().privilege, Priv::Supervisor);
        assert_eq!(v.core().csr, Core::under_see().csr);
    }

    #[test]
    fn the_timer_fires_at_the_deadline_and_stays_until_the_next_set_timer() {
        let mut v = Vcpu::new(0);
        v.arch.core.set_timer(5);
        assert_eq!(v.until_deadline(), 50);
        v.arch.core.instret = 49;
        v.arch.core.update_timer();
        assert_eq!(v.core().csr.mip & STIP, 0);
        v.arch.core.instret = 50;
        v.arch.core.update_timer();
        assert_ne!(v.core().csr.mip & STIP, 0);
        assert_eq!(v.until_deadline(), u64::MAX, "fired");
        v.arch.core.csr.mie = STIP;
        v.arch.core.privilege = Priv::User;
        assert_eq!(
            v.core().pending_interrupt(),
            Some(Interrupt::SupervisorTimer)
        );
    }
}
