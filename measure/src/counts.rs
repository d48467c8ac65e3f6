//! What a run did, counted by the hart and the monitor themselves: the
//! figures every benchmark checks its claims against.
//!
//! Natively the hart counts retired instructions, the traps it entered into
//! the guest's S-mode (delegated) and the ones it handed to the firmware
//! (an S-mode `ecall`: an SBI call). Under the monitor, each guest's report
//! counts its retired instructions, the traps reflected or interrupts
//! injected into it, and every exit to the monitor by reason.

use std::ops::Sub;

use serde::Serialize;

use monitor::stats::{ExitReason, GuestReport};

/// Why control left guest code for the host (the firmware natively, the
/// monitor under it). The names are those of `--stats`, in a form that
/// fits a CSV column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exit {
    /// A privileged instruction in real U-mode (emulated), or one the guest
    /// may not run (reflected).
    IllegalInstruction,
    /// An `ecall`: natively, an SBI call to the firmware; under the
    /// monitor, a hypercall or a system call reflected into the guest.
    Ecall,
    /// A load or store to a device, emulated.
    Mmio,
    /// A page fault that is the guest's own (reflected into it).
    GuestPageFault,
    /// A page fault the guest never sees: the monitor filled a shadow page
    /// table entry from the guest's own tables and retried.
    ShadowFill,
    /// Any other exception (reflected).
    OtherException,
    /// A `wfi` that let the hart go.
    Wfi,
    /// The end of a quantum or the run-up to the guest's timer.
    Budget,
    /// Anything else.
    Other,
}

impl Exit {
    pub const ALL: [Exit; 9] = [
        Exit::IllegalInstruction,
        Exit::Ecall,
        Exit::Mmio,
        Exit::GuestPageFault,
        Exit::ShadowFill,
        Exit::OtherException,
        Exit::Wfi,
        Exit::Budget,
        Exit::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Exit::IllegalInstruction => "illegal-instruction",
            Exit::Ecall => "ecall",
            Exit::Mmio => "mmio",
            Exit::GuestPageFault => "guest-page-fault",
            Exit::ShadowFill => "shadow-fill",
            Exit::OtherException => "other-exception",
            Exit::Wfi => "wfi",
            Exit::Budget => "budget",
            Exit::Other => "other",
        }
    }

    /// Whether a guest's own actions decide how many of these it causes
    /// (and so a benchmark can claim an exact number per operation). Shadow
    /// fills depend on how much of the shadow tables the monitor keeps,
    /// budget exits on the quantum: both are reported, never claimed.
    pub fn claimed(self) -> bool {
        !matches!(self, Exit::ShadowFill | Exit::Budget)
    }
}

/// The counters of one run (all guests together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Instructions retired (run directly or emulated).
    pub instructions: u64,
    /// Traps the guest took: exceptions and interrupts entered into its
    /// (virtual) S-mode.
    pub traps: u64,
    /// Exits to the host, by reason ([`Exit`] as index).
    pub exits: [u64; 9],
    /// Instructions the monitor performed on the guest's behalf.
    pub emulated: u64,
    /// Times a guest was put onto the hart (under the monitor).
    pub world_switches: u64,
}

impl Counts {
    pub fn exit(&self, e: Exit) -> u64 {
        self.exits[e as usize]
    }

    /// Every exit but those of the quantum and the timer's run-up.
    pub fn exits_total(&self) -> u64 {
        Exit::ALL
            .iter()
            .filter(|e| **e != Exit::Budget)
            .map(|e| self.exit(*e))
            .sum()
    }

    /// The exits a benchmark may claim (see [`Exit::claimed`]).
    pub fn exits_claimed(&self) -> u64 {
        Exit::ALL
            .iter()
            .filter(|e| e.claimed())
            .map(|e| self.exit(*e))
            .sum()
    }

    /// A native run's counts, from the hart's own statistics.
    pub fn native(stats: &cpu::hart::HartStats) -> Counts {
        let mut c = Counts {
            instructions: stats.retired,
            traps: stats.delegated,
            ..Counts::default()
        };
        // The firmware keeps only the S-mode `ecall` (the SBI): every trap
        // handed to the host is one.
        c.exits[Exit::Ecall as usize] = stats.to_host;
        c
    }

    /// A monitored run's counts: the sum over the guests' reports.
    pub fn monitored(reports: &[GuestReport]) -> Counts {
        let mut c = Counts::default();
        for r in reports {
            let s = &r.stats;
            let reason = |x: ExitReason| s.exits[x as usize];
            c.instructions += r.retired;
            c.emulated += r.emulated;
            c.traps += s.reflected + s.interrupts;
            c.world_switches += s.world_switches;
            let mut add = |e: Exit, n: u64| c.exits[e as usize] += n;
            add(
                Exit::IllegalInstruction,
                reason(ExitReason::IllegalInstruction),
            );
            add(Exit::Ecall, reason(ExitReason::Ecall));
            // A page fault exit is a shadow fill, the guest's own fault
            // or a device access (whatever is left: emulated, or refused
            // as a misaligned access and reflected).
            let pf = reason(ExitReason::PageFault);
            add(Exit::ShadowFill, s.shadow_filled);
            add(Exit::GuestPageFault, s.shadow_reflected);
            add(
                Exit::Mmio,
                pf.saturating_sub(s.shadow_filled + s.shadow_reflected),
            );
            add(Exit::OtherException, reason(ExitReason::OtherException));
            add(Exit::Wfi, reason(ExitReason::Wfi));
            add(Exit::Budget, reason(ExitReason::Budget));
            add(Exit::Other, reason(ExitReason::Other));
        }
        c
    }
}

impl Sub for Counts {
    type Output = Option<Counts>;

    /// `self - rhs` field by field; `None` if any would be negative.
    fn sub(self, rhs: Counts) -> Option<Counts> {
        let mut exits = [0; 9];
        for (i, e) in exits.iter_mut().enumerate() {
            *e = self.exits[i].checked_sub(rhs.exits[i])?;
        }
        Some(Counts {
            instructions: self.instructions.checked_sub(rhs.instructions)?,
            traps: self.traps.checked_sub(rhs.traps)?,
            exits,
            emulated: self.emulated.checked_sub(rhs.emulated)?,
            world_switches: self.world_switches.checked_sub(rhs.world_switches)?,
        })
    }
}

impl Counts {
    /// Applies `f` to every counter of `self` and `other` alike.
    fn zip(self, other: Counts, f: impl Fn(u64, u64) -> Option<u64>) -> Option<Counts> {
        let mut exits = [0; 9];
        for (i, e) in exits.iter_mut().enumerate() {
            *e = f(self.exits[i], other.exits[i])?;
        }
        Some(Counts {
            instructions: f(self.instructions, other.instructions)?,
            traps: f(self.traps, other.traps)?,
            exits,
            emulated: f(self.emulated, other.emulated)?,
            world_switches: f(self.world_switches, other.world_switches)?,
        })
    }

    /// Every counter divided by `k`, if every one divides exactly: what one
    /// of `k` identical steps counted.
    pub fn div_exact(self, k: u64) -> Option<Counts> {
        if k == 0 {
            return None;
        }
        self.zip(self, |a, _| (a % k == 0).then_some(a / k))
    }

    /// `self + k × per`: the counts after `k` more steps of `per` each.
    pub fn plus_times(self, per: Counts, k: u64) -> Option<Counts> {
        self.zip(per, |a, p| a.checked_add(p.checked_mul(k)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_steps() {
        let mut a = Counts {
            instructions: 30,
            traps: 3,
            ..Counts::default()
        };
        a.exits[Exit::Ecall as usize] = 6;
        let per = a.div_exact(3).unwrap();
        assert_eq!(
            (per.instructions, per.traps, per.exit(Exit::Ecall)),
            (10, 1, 2)
        );
        assert!(a.div_exact(4).is_none(), "30 is not 4 equal steps");
        assert!(a.div_exact(0).is_none());
        assert_eq!(Counts::default().plus_times(per, 3), Some(a));
        assert_eq!(a - per, Counts::default().plus_times(per, 2));
        assert_eq!(per - a, None);
        assert_eq!(a.exits_total(), 6);
    }

    #[test]
    fn claimed_exits_leave_out_fills_and_budget() {
        let mut c = Counts::default();
        c.exits[Exit::ShadowFill as usize] = 5;
        c.exits[Exit::Budget as usize] = 7;
        c.exits[Exit::Mmio as usize] = 1;
        assert_eq!(c.exits_claimed(), 1);
        assert_eq!(c.exits_total(), 6);
    }
}
