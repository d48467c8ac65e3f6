//! Where a workload runs: natively, or under the monitor with one of its
//! virtualization strategies.
//!
//! The monitor's strategies (`trapvisor run --strategy`): trap-and-emulate
//! (Popek and Goldberg's: every guest runs deprivileged in real U-mode and
//! every privileged instruction traps), binary translation (VMware's: the
//! guest kernel's code scanned before it runs, its sensitive instructions
//! and indirect jumps calls into the monitor) and paravirtualization
//! (Xen's: a kernel that finds the hypercall interface uses it; the
//! built-in workloads do not look for it, so under `pv` they run as under
//! `trap`, except the PV kernel of the macrobenchmarks). Every table, file
//! and plot of `trapvisor bench` is keyed by [`Env`], so a strategy is a
//! column, not a program.

use serde::{Serialize, Serializer};

/// How the monitor virtualizes a guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// Trap-and-emulate: the guest kernel in real U-mode, each privileged
    /// instruction an exit the monitor emulates.
    Trap,
    /// Binary translation (`--strategy bt`).
    Bt,
    /// Paravirtualization (`--strategy pv`).
    Pv,
}

impl Strategy {
    /// The monitor's own name for it.
    pub fn monitor(self) -> monitor::Strategy {
        match self {
            Strategy::Trap => monitor::Strategy::Trap,
            Strategy::Bt => monitor::Strategy::Bt,
            Strategy::Pv => monitor::Strategy::Pv,
        }
    }
}

/// Where a run happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Env {
    /// On the native machine: the guest kernel in real S-mode, trapvisor's
    /// SBI firmware in M-mode (`trapvisor run`).
    Native,
    /// Under the monitor (`trapvisor run --monitor`).
    Monitor(Strategy),
}

impl Env {
    /// Every environment, in the order tables show them.
    pub const ALL: [Env; 4] = [
        Env::Native,
        Env::Monitor(Strategy::Trap),
        Env::Monitor(Strategy::Bt),
        Env::Monitor(Strategy::Pv),
    ];

    /// The short name used in tables, JSON, CSV and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Env::Native => "native",
            Env::Monitor(Strategy::Trap) => "trap",
            Env::Monitor(Strategy::Bt) => "bt",
            Env::Monitor(Strategy::Pv) => "pv",
        }
    }

    /// A heading for tables and plots.
    pub fn title(self) -> &'static str {
        match self {
            Env::Native => "native",
            Env::Monitor(Strategy::Trap) => "monitor (trap-and-emulate)",
            Env::Monitor(Strategy::Bt) => "monitor (binary translation)",
            Env::Monitor(Strategy::Pv) => "monitor (paravirtualization)",
        }
    }

    /// The environment called `name` (see [`Env::name`]).
    pub fn from_name(name: &str) -> Option<Env> {
        Env::ALL.into_iter().find(|e| e.name() == name)
    }

    pub fn is_native(self) -> bool {
        self == Env::Native
    }
}

impl Serialize for Env {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Env::ALL {
            assert_eq!(Env::from_name(e.name()), Some(e));
        }
        assert_eq!(Env::from_name("bt"), Some(Env::Monitor(Strategy::Bt)));
        assert_eq!(Env::from_name("hw"), None);
    }
}
