//! Virtualization strategies: how the monitor makes a deprivileged guest
//! kernel behave as it would natively (the Popek–Goldberg lab, book:
//! "The Popek–Goldberg lab" and "Alternatives").
//!
//! | strategy | whose answer | what the guest kernel runs | where it fails |
//! |---|---|---|---|
//! | [`Strategy::Trap`] | Popek and Goldberg's | its own code, unmodified, in real U-mode: each privileged instruction traps and is emulated | a sensitive instruction that does not trap (`--isa leaky`'s `sstatus` accesses) runs on the real hart and gives the wrong answer |
//! | [`Strategy::Bt`] | VMware's | its code as the monitor translated it ([`bt`]): each page of virtual S-mode code is scanned before it runs and its sensitive instructions replaced by calls into the monitor; virtual U-mode code runs as it is | never: equivalent on both ISAs |
//! | [`Strategy::Pv`] | Xen's | a kernel written for the monitor ([`pv`]): it finds the hypercall interface and reads and writes its hot CSRs in a shared page, returns from traps and updates page tables by hypercall | unmodified kernels get trap-and-emulate |
//!
//! A strategy is chosen for the whole monitor ([`crate::Monitor::set_strategy`])
//! and each guest carries its state ([`GuestStrategy`]). The run loop calls
//! in at two points only: [`intercept`] before the exit handlers (an exit
//! the strategy answers itself) and [`before_run`] before the guest goes
//! back on the hart.

pub mod bt;
pub mod pv;

use cpu::hart::Exit;
use cpu::port::HartPort;

use crate::exits::Handled;
use crate::guest::Guest;
use crate::memory::GuestPhys;

/// How the monitor virtualizes its guests (`trapvisor run --strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// Trap-and-emulate: the kernel's own code in real U-mode.
    #[default]
    Trap,
    /// Binary translation of virtual S-mode code.
    Bt,
    /// Paravirtualization: a hypercall interface and a shared page.
    Pv,
}

impl Strategy {
    /// Every strategy, in the order tables show them.
    pub const ALL: [Strategy; 3] = [Strategy::Trap, Strategy::Bt, Strategy::Pv];

    /// Its name on the command line (`--strategy trap|bt|pv`).
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Trap => "trap",
            Strategy::Bt => "bt",
            Strategy::Pv => "pv",
        }
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Strategy, String> {
        Strategy::ALL
            .into_iter()
            .find(|st| st.name() == s)
            .ok_or_else(|| format!("unknown strategy `{s}` (trap, bt or pv)"))
    }
}

/// A guest's strategy and what the strategy keeps for it.
#[derive(Clone, Debug, Default)]
pub enum GuestStrategy {
    #[default]
    Trap,
    Bt(bt::Translator),
    Pv(pv::Paravirt),
}

impl GuestStrategy {
    pub fn strategy(&self) -> Strategy {
        match self {
            GuestStrategy::Trap => Strategy::Trap,
            GuestStrategy::Bt(_) => Strategy::Bt,
            GuestStrategy::Pv(_) => Strategy::Pv,
        }
    }
}

/// What the strategies counted for one guest (`--stats`; zero under
/// `trap`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StrategyStats {
    /// The guest's strategy.
    pub strategy: Strategy,
    /// bt: code pages translated (a page translated again after its
    /// translation was dropped counts again).
    pub bt_pages: u64,
    /// bt: parcels scanned as instruction starts (every one of each page
    /// translated).
    pub bt_scanned: u64,
    /// bt: sensitive instructions found and replaced by a call into the
    /// monitor.
    pub bt_patched: u64,
    /// bt: calls into the monitor from translated code (each one exit).
    pub bt_calls: u64,
    /// bt: instructions emulated in a call beyond the first (the
    /// instructions that follow a patched one and are patched too are done
    /// in the same call: exits saved against trap-and-emulate).
    pub bt_exits_saved: u64,
    /// bt: translations dropped because the guest wrote to its code.
    pub bt_invalidated: u64,
    /// bt: loads and stores of the page their own instruction is on, run
    /// once from the original page (the copy is execute-only).
    pub bt_steps: u64,
    /// pv: hypercalls of the trapvisor PV extension.
    pub pv_hypercalls: u64,
    /// pv: page-table entries written by `pv_mmu_update`.
    pub pv_pte_updates: u64,
}

/// Before the exit handlers: an exit the strategy answers itself, if it
/// is one.
pub fn intercept<H: HartPort>(g: &mut Guest, hart: &mut H, exit: &Exit) -> Option<Handled> {
    match g.strategy {
        GuestStrategy::Trap => None,
        GuestStrategy::Bt(_) => bt::intercept(g, hart, exit),
        GuestStrategy::Pv(_) => pv::intercept(g, hart, exit),
    }
}

/// Guest-physical bytes `gpa..gpa + len` of `g` were written from outside
/// the guest (a debugger, through [`crate::Session::write_guest_phys`]):
/// what the strategy made of them goes, as when the guest stores there
/// itself (binary translation's copies of those pages, and with them the
/// shadow tables that may map the copies: dropped now if the guest is on
/// the hart, else when it next gets it).
pub fn written<H: HartPort>(g: &mut Guest, hart: &mut H, on_hart: bool, gpa: GuestPhys, len: u64) {
    if let GuestStrategy::Bt(_) = g.strategy {
        if bt::forget_written(g, gpa, len) {
            if on_hart {
                g.shadow.flush(hart, &g.vcpu);
            } else {
                g.shadow.forget();
            }
        }
    }
}

/// Just before the guest runs on the hart again (after any interrupt was
/// injected).
pub fn before_run<H: HartPort>(g: &mut Guest, hart: &mut H) {
    match g.strategy {
        GuestStrategy::Trap => {}
        GuestStrategy::Bt(_) => bt::before_run(g, hart),
        GuestStrategy::Pv(_) => pv::publish(g, hart),
    }
}
