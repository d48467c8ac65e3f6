//! What `--stats` reports per guest: where its instructions ran and why it
//! left the hardware.

use std::fmt;

use cpu::hart::Digest;

macro_rules! kinds {
    ($(#[$m:meta])* $name:ident { $($v:ident => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($v,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }
    };
}

kinds! {
    /// Why the real hart gave control back to the monitor.
    ExitReason {
        IllegalInstruction => "illegal instruction",
        Ecall => "ecall",
        PageFault => "page fault",
        OtherException => "other exception",
        Budget => "budget (quantum or timer)",
        Wfi => "wfi",
        Other => "other",
    }
}

kinds! {
    /// The instructions the monitor performed on a guest's behalf.
    Emulated {
        CsrRead => "csr read",
        CsrWrite => "csr write",
        Counter => "counter read",
        Sret => "sret",
        Wfi => "wfi",
        SfenceVma => "sfence.vma",
        MmioLoad => "mmio load",
        MmioStore => "mmio store",
        SbiCall => "sbi call",
    }
}

/// Counters kept for one guest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuestStats {
    pub exits: [u64; 7],
    pub emulated: [u64; 9],
    /// Exceptions reflected into the guest (its own traps).
    pub reflected: u64,
    /// Virtual interrupts injected.
    pub interrupts: u64,
    /// Real page faults answered by filling a shadow translation.
    pub shadow_filled: u64,
    /// Real page faults that were the guest's own (reflected).
    pub shadow_reflected: u64,
    /// Times this guest was switched onto the hart.
    pub world_switches: u64,
    /// Illegal-instruction exits answered without going back to the hart:
    /// under trap-and-emulate, a trapping instruction right after one the
    /// monitor performed is performed in the same exit
    /// ([`crate::exits::perform_run`]); counted in `exits` all the same,
    /// as the trap it stands for.
    pub chained: u64,
    /// What binary translation or paravirtualization counted (zero under
    /// trap-and-emulate).
    pub strategy: crate::strategy::StrategyStats,
}

impl GuestStats {
    pub fn exit(&mut self, r: ExitReason) {
        self.exits[r as usize] += 1;
    }
    pub fn emulated(&mut self, e: Emulated) {
        self.emulated[e as usize] += 1;
    }
}

/// What a guest did, at the end of a run.
#[derive(Clone, Debug)]
pub struct GuestReport {
    pub name: String,
    /// How it ended.
    pub end: crate::End,
    /// Instructions retired (directly and emulated).
    pub retired: u64,
    /// Of those, emulated by the monitor.
    pub emulated: u64,
    /// Its trace digest, if the monitor computed it
    /// ([`crate::Monitor::set_digest`]).
    pub digest: Option<Digest>,
    pub stats: GuestStats,
}

impl GuestReport {
    /// The exit status this guest contributes (0 only for a clean exit 0).
    pub fn code(&self) -> i32 {
        self.end.code()
    }

    /// The fraction of retired instructions that ran directly on the hart
    /// (Popek–Goldberg's efficiency property).
    pub fn direct_fraction(&self) -> f64 {
        if self.retired == 0 {
            1.0
        } else {
            self.retired.saturating_sub(self.emulated) as f64 / self.retired as f64
        }
    }
}

impl fmt::Display for GuestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.stats;
        writeln!(f, "[{}] {}", self.name, self.end)?;
        writeln!(
            f,
            "  instructions retired: {} ({} emulated, {:.4}% ran directly)",
            self.retired,
            self.emulated,
            100.0 * self.direct_fraction()
        )?;
        write!(f, "  exits:")?;
        for r in ExitReason::ALL {
            let n = s.exits[*r as usize];
            if n > 0 {
                write!(f, " {}={}", r.name(), n)?;
            }
        }
        writeln!(f)?;
        write!(f, "  emulated:")?;
        for e in Emulated::ALL {
            let n = s.emulated[*e as usize];
            if n > 0 {
                write!(f, " {}={}", e.name(), n)?;
            }
        }
        writeln!(f)?;
        writeln!(
            f,
            "  reflected traps: {}, injected interrupts: {}",
            s.reflected, s.interrupts
        )?;
        writeln!(
            f,
            "  shadow page faults: {} filled, {} reflected",
            s.shadow_filled, s.shadow_reflected
        )?;
        if s.chained > 0 {
            writeln!(
                f,
                "  illegal-instruction exits answered in a run, without the hart: {}",
                s.chained
            )?;
        }
        write!(f, "  world switches: {}", s.world_switches)?;
        let st = &s.strategy;
        if st.bt_pages > 0 {
            write!(
                f,
                "\n  binary translation: {} pages translated, {} instructions scanned, {} patched, {} calls into the monitor, {} exits saved, {} translations dropped, {} run from the original",
                st.bt_pages, st.bt_scanned, st.bt_patched, st.bt_calls, st.bt_exits_saved, st.bt_invalidated, st.bt_steps
            )?;
        }
        if st.pv_hypercalls > 0 {
            write!(
                f,
                "\n  paravirtualization: {} hypercalls, {} page-table entries updated",
                st.pv_hypercalls, st.pv_pte_updates
            )?;
        }
        if let Some(d) = &self.digest {
            write!(f, "\n  trace digest: {d} over {} instructions", d.count)?;
        }
        Ok(())
    }
}
