//! Binary translation (VMware's answer to a machine whose sensitive
//! instructions do not all trap): the code a guest runs in virtual
//! S-mode is scanned before it runs, and its sensitive instructions are
//! replaced by calls into the monitor; code in virtual U-mode runs as it
//! is.
//!
//! **What runs.** The real hart fetches a guest's virtual S-mode code
//! only from pages the monitor scanned: each guest-physical page of code
//! is scanned when it is first fetched, and runs from a *translation*, a
//! copy in the monitor's translation cache (machine memory out of the
//! guest's reach) in which the sensitive instructions start with a zero
//! parcel: the all-zero parcel is an illegal instruction (unprivileged
//! spec 16.6), so the hart calls into the monitor there, and the monitor
//! performs the original instruction on the guest's virtual state, by the
//! privileged core's rules, exactly as trap-and-emulate would have if it
//! had trapped. The copy keeps every instruction at its address, so `pc`,
//! return addresses and `auipc` are the guest's own, and the trace digest
//! and `instret` are the native run's. Every other instruction is the
//! original's and runs on the hart (and in the hart's own translator of
//! hot pages) at full speed.
//!
//! **Which instructions are sensitive.** Every Zicsr instruction, `sret`,
//! `wfi` and `sfence.vma` ([`sensitive`]). Of those, the ones that would
//! not trap on the real hart in U-mode *must* become calls: on
//! `--isa leaky`, the Zicsr instructions on `sstatus` ([`must_call`]), the
//! instructions that make trap-and-emulate fail. The others trap anyway,
//! so a call only makes the exit explicit: they are patched where that
//! costs nothing, and otherwise left to trap, and either way the monitor
//! performs them the same (`call` and `trapped`).
//!
//! **How code is found.** It is not: a page is scanned whole, every
//! 2-byte position as if an instruction started there, since code may be
//! entered anywhere (an indirect jump, a trap vector, a return into the
//! middle of another instruction: x86 translators face the same, as
//! instructions have no fixed alignment once compressed ones are in). A
//! zero parcel at a position that is also the second half of another
//! (real or not) 32-bit instruction would change that instruction: so a
//! sensitive instruction that traps anyway is patched only where no
//! 32-bit instruction runs into it; one that must be a call is patched
//! regardless, and every 32-bit instruction that would then run into a
//! zero parcel becomes a call too (a *step*: the monitor runs it once
//! from the original page). On `--isa leaky` a 32-bit instruction in the
//! page's last parcel, which reaches into whatever page comes next, is a
//! step as well. On the standard ISA nothing is ever stepped, and on
//! both only code near the instructions that must be calls is.
//!
//! **How the shadow page tables enforce it.** In virtual S-mode a guest
//! page is executable only once scanned (a fetch fault scans it). A page
//! whose copy differs from the original is mapped as its copy,
//! execute-only: a load from it is given the original page instead
//! (readable, not executable), so the guest reads its own bytes, never the
//! copy; and it is never writable in any shadow: the first store to it
//! faults, the translation is dropped and the page mapped writable again;
//! a later fetch scans the new code (so self-modifying code and code
//! loaded by the kernel run as written). A page whose copy would be the
//! original (nothing patched) runs from the original itself, with the
//! guest's own rights (on `--isa leaky` never writable while executable,
//! so that a store still drops what was scanned). A page holding only
//! instructions that trap anyway, which the kernel also reads or writes as
//! data, goes back to running from its original at the first such access,
//! its sensitive instructions trapping, as Adams and Agesen's adaptive
//! translator turned instructions that faulted often into calls the other
//! way round: no fault each time the kernel touches its own page. Virtual
//! `satp` = Bare is shadowed page by page for this
//! ([`crate::shadow::ShadowMmu::lazy_bare`]).
//!
//! **Calls save exits.** When the instruction after a sensitive one
//! performed by the monitor is a Zicsr instruction too (a trap handler's
//! `csrr t0, scause; csrr t1, sepc`), the same call performs it, unless an
//! interrupt became pending, the guest left S-mode or reached its
//! instruction limit, the shadow tables were dropped (the next fetch
//! faults anyway), the end of its quantum or of a debugger's step, or
//! a debugger's breakpoint: one exit where trap-and-emulate takes two
//! (`StrategyStats::bt_exits_saved`). A debugger counts each instruction
//! performed as an event (`debugger::monitored`), so a `stepi` runs one
//! and a breakpoint on the second instruction of a run stops there.
//!
//! **Writes from outside the guest** (a debugger's `set {int}ADDR = ...`,
//! GDB's `M` packet, a breakpoint written into code) go through
//! [`crate::Session`]'s memory writes, which drop the translations of the
//! pages written ([`forget_written`]) as a store of the guest's drops
//! them: the code runs as written.
//!
//! This is not trapvisor's own translator of hot pages to x86-64
//! (`cpu::jit`): that one runs on every machine and changes only speed,
//! never what an instruction does (privileged instructions are not even
//! translated there). This one changes what the guest's sensitive
//! instructions do, so that they do what they do natively.

use std::collections::BTreeMap;

use cpu::csr::{addr, SSTATUS_MXR, SSTATUS_READ_MASK};
use cpu::hart::{Exit, Priv};
use cpu::isa::{self, Kind, Op};
use cpu::port::HartPort;
use cpu::privileged::Isa;
use cpu::sv39::{self, Update};
use cpu::trap::{Exception, Trap};

use super::{GuestStrategy, StrategyStats};
use crate::exits::{self, Action, Handled};
use crate::guest::Guest;
use crate::memory::{GuestPhys, GuestRam, MachPhys, PAGE};
use crate::shadow::{pte, shadow_rights, Access, GuestMemory};
use crate::stats::ExitReason;

/// Frames of translation cache each guest gets (256 KiB: 64 pages of
/// patched code at once; when it is full every translation is dropped and
/// made again as the code runs).
pub const CACHE_FRAMES: u64 = 64;

/// Parcels (2-byte positions) in a page.
const PARCELS: usize = (PAGE / 2) as usize;

/// One guest's translations.
#[derive(Clone, Debug)]
pub struct Translator {
    /// The translation cache: `frames` frames from `cache`.
    cache: MachPhys,
    frames: u64,
    /// Frames handed out since the cache was last emptied.
    used: u64,
    /// Scanned pages by guest-physical page address.
    pages: BTreeMap<u64, Page>,
    /// The guard against shadow fills that make no progress at one `pc`
    /// whatever the address (fills that undo each other would loop
    /// forever: a monitor bug, and the guest is stopped instead).
    stuck: StuckGuard,
}

/// [`crate::guest::FillGuard`] over any address: [`StuckGuard::LIMIT`]
/// fills at one `pc` with nothing retired.
#[derive(Clone, Debug, Default)]
struct StuckGuard {
    last: Option<(u64, u64)>,
    count: u32,
}

impl StuckGuard {
    const LIMIT: u32 = 64;

    fn fill(&mut self, pc: u64, _va: u64, retired: u64) -> bool {
        if self.last == Some((pc, retired)) {
            self.count += 1;
        } else {
            self.last = Some((pc, retired));
            self.count = 1;
        }
        self.count >= Self::LIMIT
    }
}

/// What the translation does with an instruction the scan reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Copied as it is: it runs on the hart (a sensitive one that traps
    /// anyway traps there, and the monitor performs it).
    Copied,
    /// Sensitive: a call into the monitor, which performs it on the
    /// virtual state. `needed`: it would not trap on the real hart (it
    /// must be a call); otherwise the call only saves nothing and costs
    /// nothing.
    Patched { needed: bool },
    /// Would run into a call's zero parcel (its second half is another
    /// instruction's first: code entered in the middle of other code), or
    /// reaches into the next page on a machine where that page may start
    /// with a call: a call into the monitor, which runs it once from the
    /// original page.
    Step,
}

impl Role {
    /// Whether the copy has a zero parcel here.
    fn zero(self) -> bool {
        self != Role::Copied
    }

    /// Whether the copy must have a zero parcel here (the page cannot run
    /// from its original).
    fn needed(self) -> bool {
        matches!(self, Role::Patched { needed: true } | Role::Step)
    }
}

/// One scanned page.
#[derive(Clone, Debug)]
struct Page {
    /// Its copy in the translation cache; `None`: the copy would be the
    /// original, which runs itself.
    frame: Option<MachPhys>,
    /// What starts at each parcel: (length, role).
    insns: Box<[(u8, Role)]>,
}

impl Page {
    fn role(&self, off: u64) -> Option<Role> {
        self.insns.get((off / 2) as usize).map(|&(_, r)| r)
    }

    /// Whether the page needs its copy (it has calls that must be calls).
    fn needs_copy(&self) -> bool {
        self.insns.iter().any(|&(_, r)| r.needed())
    }
}

impl Translator {
    /// A translator whose cache is `frames` frames of machine memory at
    /// `cache`.
    pub fn new(cache: MachPhys, frames: u64) -> Translator {
        Translator {
            cache,
            frames,
            used: 0,
            pages: BTreeMap::new(),
            stuck: StuckGuard::default(),
        }
    }

    /// Pages scanned now.
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Whether guest-physical page `gpage` was scanned (and runs from a
    /// copy or from its original).
    pub fn is_translated(&self, gpage: u64) -> bool {
        self.pages.contains_key(&gpage)
    }

    /// Whether guest-physical page `gpage` runs from a copy.
    pub fn has_copy(&self, gpage: u64) -> bool {
        self.pages.get(&gpage).is_some_and(|p| p.frame.is_some())
    }

    /// The sensitive instructions patched in `gpage`'s translation, by
    /// offset.
    pub fn patched(&self, gpage: u64) -> Vec<u16> {
        self.offsets(gpage, |r| matches!(r, Role::Patched { .. }))
    }

    /// The instructions `gpage`'s translation runs once from the original
    /// (steps), by offset.
    pub fn stepped(&self, gpage: u64) -> Vec<u16> {
        self.offsets(gpage, |r| r == Role::Step)
    }

    /// The offsets in `gpage` of the instructions whose role is `role`.
    fn offsets(&self, gpage: u64, role: impl Fn(Role) -> bool) -> Vec<u16> {
        self.pages
            .get(&gpage)
            .map(|p| {
                p.insns
                    .iter()
                    .enumerate()
                    .filter(|(_, &(_, r))| role(r))
                    .map(|(k, _)| 2 * k as u16)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Whether the instruction `bits` (32-bit, base) is one binary
/// translation replaces by a call into the monitor.
pub fn sensitive(bits: u32) -> bool {
    match isa::decode(bits) {
        Ok(i) => i.op.kind() == Kind::Csr || matches!(i.op, Op::Sret | Op::Wfi | Op::SfenceVma),
        Err(_) => false,
    }
}

/// Whether the sensitive instruction `bits` may run on the real hart in
/// U-mode without trapping on `isa`, and so must become a call: on
/// [`Isa::Leaky`], a Zicsr instruction on `sstatus` (a read leaks the real
/// `sstatus`, a write of `SIE` alone is dropped: `cpu::privileged::Isa`).
/// On the standard ISA every sensitive instruction is privileged
/// (Theorem 1 holds: `trapvisor classify`), so none must.
pub fn must_call(bits: u32, isa: Isa) -> bool {
    isa == Isa::Leaky
        && isa::decode(bits).is_ok_and(|i| i.op.kind() == Kind::Csr && i.csr() == addr::SSTATUS)
}

/// The exits binary translation answers itself: calls from translated
/// code (illegal-instruction exits at a zero parcel of a translation),
/// sensitive instructions that trapped in a scanned page, and the page
/// faults of its shadow rules. Everything else goes to the monitor's
/// usual handlers.
pub fn intercept<H: HartPort>(g: &mut Guest, hart: &mut H, exit: &Exit) -> Option<Handled> {
    match *exit {
        Exit::Trap(Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval,
        }) => {
            let h = if tval == 0 {
                call(g, hart)?
            } else {
                trapped(g, hart, tval)?
            };
            g.stats.exit(ExitReason::IllegalInstruction);
            Some(h)
        }
        Exit::Trap(Trap::Exception {
            cause:
                cause @ (Exception::InstructionPageFault
                | Exception::LoadPageFault
                | Exception::StorePageFault),
            tval,
        }) => {
            let h = page_fault(g, hart, cause, tval)?;
            g.stats.exit(ExitReason::PageFault);
            Some(h)
        }
        _ => None,
    }
}

/// Just before the guest runs on the hart: on a machine whose U-mode reads
/// `sstatus` without trapping (`--isa leaky`), the real `sstatus` is made
/// the guest's virtual one, so that its virtual U-mode code, which runs
/// as it is, reads what it reads natively (its virtual S-mode code never
/// reads the real one: those reads are calls). `MXR` only in virtual
/// U-mode: in virtual S-mode it would make the execute-only copies
/// readable on the real hart.
pub fn before_run<H: HartPort>(g: &Guest, hart: &mut H) {
    let core = g.vcpu.core();
    if core.isa != Isa::Leaky {
        return;
    }
    let mut view = core.csr.mstatus & SSTATUS_READ_MASK;
    if core.privilege != Priv::User {
        view &= !SSTATUS_MXR;
    }
    let real = &mut hart.arch_mut().core.csr.mstatus;
    *real = (*real & !SSTATUS_READ_MASK) | view;
}

/// Drops the translations of guest-physical bytes `gpa..gpa + len` that a
/// write from outside the guest (a debugger) changed, as a store of the
/// guest's drops them; `true` if any was dropped (the guest's shadow
/// tables must then be dropped too: they may map the copies).
pub fn forget_written(g: &mut Guest, gpa: GuestPhys, len: u64) -> bool {
    let Some(t) = translator(g) else {
        return false;
    };
    if len == 0 {
        return false;
    }
    let first = gpa.0 & !(PAGE - 1);
    let last = gpa.0.saturating_add(len - 1) & !(PAGE - 1);
    let dropped: Vec<u64> = t.pages.range(first..=last).map(|(&p, _)| p).collect();
    for p in &dropped {
        t.pages.remove(p);
    }
    let n = dropped.len() as u64;
    g.stats.strategy.bt_invalidated += n;
    if n > 0 {
        tracing::debug!(
            target: "monitor",
            "bt: {len} bytes written at {:#x} from outside the guest: {n} translations dropped",
            gpa.0
        );
    }
    n > 0
}

fn translator(g: &mut Guest) -> Option<&mut Translator> {
    match &mut g.strategy {
        GuestStrategy::Bt(t) => Some(t),
        _ => None,
    }
}

/// The guest-physical page the guest's `pc` is fetched from in its
/// current virtual mode, if it is a scanned page (virtual S-mode).
fn translated_pc_page<H: HartPort>(g: &Guest, hart: &mut H) -> Option<u64> {
    if g.vcpu.core().privilege != Priv::Supervisor {
        return None;
    }
    let pc = hart.arch().pc;
    let gpa = exits::guest_translate(g, hart, pc, Access::Fetch).ok()?;
    let gpage = gpa.0 & !(PAGE - 1);
    match &g.strategy {
        GuestStrategy::Bt(t) if t.is_translated(gpage) => Some(gpage),
        _ => None,
    }
}

/// An illegal instruction with `stval` 0 from virtual S-mode: a zero
/// parcel of a translation. A patched instruction is performed (with the
/// Zicsr ones right after it); an instruction that overlaps a call runs
/// once from the original page. `None`: a genuine illegal instruction, for
/// the usual handler.
fn call<H: HartPort>(g: &mut Guest, hart: &mut H) -> Option<Handled> {
    let gpage = translated_pc_page(g, hart)?;
    let pc = hart.arch().pc;
    let off = pc & (PAGE - 1);
    let page = translator(g)?.pages.get(&gpage)?;
    page.frame?;
    match page.role(off)? {
        Role::Patched { .. } => {
            g.stats.strategy.bt_calls += 1;
            Some(perform(g, hart, gpage, 0))
        }
        Role::Step => {
            g.stats.strategy.bt_calls += 1;
            Some(step_original(g, hart, None, STEP_RETRIES))
        }
        // The original itself is illegal: the guest's own trap.
        Role::Copied => None,
    }
}

/// An illegal instruction that trapped with its bits in `stval` in a
/// scanned page, in virtual S-mode: a sensitive instruction left to trap
/// (it traps anyway), performed as a call performs it, with the Zicsr
/// instructions right after it. `None`: not from a scanned page.
fn trapped<H: HartPort>(g: &mut Guest, hart: &mut H, tval: u64) -> Option<Handled> {
    let gpage = translated_pc_page(g, hart)?;
    Some(perform(g, hart, gpage, tval))
}

/// Performs the sensitive instruction at the guest's `pc` (`tval`: its
/// bits, or 0 to fetch them from the original), then, in the same call,
/// the Zicsr instructions that follow it on the same translated page, by
/// [`exits::perform_run`]'s rules (nothing that natively happens between
/// two instructions gets in the way, a debugger's step or breakpoint
/// stops it).
fn perform<H: HartPort>(g: &mut Guest, hart: &mut H, gpage: u64, tval: u64) -> Handled {
    let first = exits::illegal_instruction(g, hart, tval);
    exits::perform_run(
        g,
        hart,
        first,
        |g, hart| {
            if translated_pc_page(g, hart) != Some(gpage) {
                return None;
            }
            // (A Zicsr instruction has no compressed form: a compressed
            // one is not even decoded.) 0: fetched again from the original.
            let csr = exits::fetch(g, hart)
                .filter(|&bits| isa::parcel_len(bits as u16) == 4)
                .and_then(|bits| isa::decode(bits).ok())
                .is_some_and(|i| i.op.kind() == Kind::Csr);
            csr.then_some(0)
        },
        |g| g.stats.strategy.bt_exits_saved += 1,
    )
}

/// The rights a page that runs from its original gets in the shadow of
/// the guest's current mode: the guest's own (`rights`), but on a machine
/// where a store could write an instruction that must be a call, not
/// writable while executable in virtual S-mode (the store must fault and
/// drop what was scanned).
fn original_rights(rights: u64, isa: Isa, supervisor: bool) -> u64 {
    if isa == Isa::Leaky && supervisor && rights & pte::X != 0 {
        rights & !pte::W
    } else {
        rights
    }
}

/// A real page fault under binary translation's shadow rules (see the
/// module documentation). `None`: the guest's own fault, a device, or an
/// address outside its RAM, for the usual handler.
fn page_fault<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    cause: Exception,
    va: u64,
) -> Option<Handled> {
    let access = Access::of_page_fault(cause)?;
    let core = g.vcpu.core();
    let supervisor = core.privilege == Priv::Supervisor;
    let isa = core.isa;
    let (gpa, rights) = if !core.paging() {
        let gpa = GuestPhys(va);
        if !g.ram.contains(gpa) {
            return None;
        }
        (gpa, pte::R | pte::W | pte::X)
    } else {
        let mut mem = GuestMemory { ram: &g.ram, hart };
        match sv39::walk(&mut mem, core, va, access, Update::AccessedDirty) {
            Ok(leaf) => (GuestPhys(leaf.pa), shadow_rights(core, leaf.pte)),
            Err(_) => return None,
        }
    };
    let gpage = gpa.0 & !(PAGE - 1);
    let original = g.ram.translate(GuestPhys(gpage), PAGE)?;
    let pc = hart.arch().pc;
    let pc_page = exits::guest_translate(g, hart, pc, Access::Fetch)
        .ok()
        .map(|p| p.0 & !(PAGE - 1));
    let ram = g.ram;
    let mut flush = false;
    let (mpa, rights) = {
        let t = translator(g)?;
        if access == Access::Fetch && supervisor {
            let mut stats = StrategyStats::default();
            let (frame, reset) = translate(t, hart, &ram, gpage, isa, &mut stats);
            g.stats.strategy.bt_pages += stats.bt_pages;
            g.stats.strategy.bt_scanned += stats.bt_scanned;
            g.stats.strategy.bt_patched += stats.bt_patched;
            // A page becomes a copy: no shadow may keep a writable mapping
            // of its original (nor, when the cache was emptied, any
            // mapping of the old copies).
            flush |= reset || (stats.bt_pages > 0 && (frame.is_some() || isa == Isa::Leaky));
            match frame {
                Some(f) => (f, rights & pte::X),
                None => (original, original_rights(rights, isa, true)),
            }
        } else if t.is_translated(gpage) {
            if t.has_copy(gpage) && !t.pages.get(&gpage).is_some_and(Page::needs_copy) {
                // Only instructions that trap anyway were patched, and the
                // kernel touches the page as data: it runs from its
                // original from now on (its copy may still be mapped).
                if let Some(p) = t.pages.get_mut(&gpage) {
                    p.frame = None;
                    for e in p.insns.iter_mut() {
                        e.1 = Role::Copied;
                    }
                }
                flush = true;
                tracing::debug!(
                    target: "monitor",
                    "pc {pc:#x}: bt: {} of {va:#x}: {gpage:#x} runs from its original again",
                    cause.name()
                );
            }
            if !t.has_copy(gpage) {
                if access == Access::Store && isa == Isa::Leaky {
                    // The guest writes to its code: what was scanned is
                    // stale.
                    t.pages.remove(&gpage);
                    g.stats.strategy.bt_invalidated += 1;
                    if supervisor && pc_page == Some(gpage) {
                        // The store is on the page it writes: the page
                        // cannot be writable and executable at once; the
                        // store runs once from the original.
                        return Some(step_original(
                            g,
                            hart,
                            Some((va, original, rights)),
                            STEP_RETRIES,
                        ));
                    }
                    flush = true;
                    (original, rights & !(if supervisor { pte::X } else { 0 }))
                } else {
                    (original, original_rights(rights, isa, supervisor))
                }
            } else if supervisor && pc_page == Some(gpage) {
                // A load or store of the page the instruction itself is
                // fetched from: the copy cannot be both executable and
                // read as the original. The instruction (a load or store,
                // not sensitive) runs once from the original page.
                if access == Access::Store {
                    t.pages.remove(&gpage);
                    g.stats.strategy.bt_invalidated += 1;
                }
                return Some(step_original(
                    g,
                    hart,
                    Some((va, original, rights)),
                    STEP_RETRIES,
                ));
            } else if access == Access::Store {
                // The guest writes to its code: the translation is stale.
                t.pages.remove(&gpage);
                g.stats.strategy.bt_invalidated += 1;
                flush = true;
                tracing::debug!(
                    target: "monitor",
                    "pc {pc:#x}: bt: store to translated code at {va:#x}: translation of {gpage:#x} dropped"
                );
                (original, rights & !(if supervisor { pte::X } else { 0 }))
            } else {
                let keep = if supervisor { pte::R } else { pte::R | pte::X };
                (original, rights & keep)
            }
        } else {
            (original, rights & !(if supervisor { pte::X } else { 0 }))
        }
    };
    if flush {
        g.shadow.flush(hart, &g.vcpu);
    }
    if rights == 0 || !g.shadow.map(hart, &g.vcpu, va, mpa, rights) {
        return None;
    }
    g.stats.shadow_filled += 1;
    let retired = g.vcpu.retired();
    let stuck = translator(g).is_some_and(|t| t.stuck.fill(pc, 0, retired));
    if g.fills.fill(pc, va, g.vcpu.retired()) || stuck {
        // The usual handler's guard: fills that make no progress would be
        // a monitor bug looping forever; the guest is stopped instead.
        let trap = Trap::Exception { cause, tval: va };
        let storm = cpu::storm::Storm {
            trap,
            pc,
            first: trap,
            first_pc: pc,
        };
        return Some(Handled {
            handler: "bt_page_fault",
            action: Action::End(crate::End::TrapStorm(storm)),
            shadow_flushed: flush,
        });
    }
    Some(Handled {
        handler: "bt_page_fault",
        action: Action::ShadowFilled { va, gpa, rights },
        shadow_flushed: flush,
    })
}

/// Runs the instruction at the guest's `pc` once on the hart from the
/// original code (its page, and the next one if it reaches into it,
/// mapped execute-only; and `access`'s page: a load or store of the
/// instruction's own code page, mapped with the guest's rights for it),
/// then drops those mappings again. A load or store of its own page
/// without `access` faults, and comes back here with it: the rights are
/// always the guest's own. Its exit, if it did not simply retire, is
/// answered as any other; a load or store that faulted on a page the step
/// did not map (a misaligned one reaching into the next page) has that
/// page filled and the step runs again, at most `retries` more times.
/// (The instruction is no sensitive one: those are performed by the
/// monitor.)
fn step_original<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    access: Option<(u64, MachPhys, u64)>,
    retries: u32,
) -> Handled {
    let pc = hart.arch().pc;
    let mut pages = Vec::new();
    for va in [pc, pc.wrapping_add(2)] {
        let gpa = exits::guest_translate(g, hart, va, Access::Fetch);
        let gpage = gpa.ok().map(|p| p.0 & !(PAGE - 1));
        if let Some(gp) = gpage {
            if let Some(m) = g.ram.translate(GuestPhys(gp), PAGE) {
                pages.push((va, gp, m));
            }
        }
    }
    let mut mapped = true;
    for &(va, _, m) in &pages {
        mapped &= g.shadow.map(hart, &g.vcpu, va, m, pte::X);
    }
    // Last: the access's page may be the instruction's, with its rights.
    if let Some((va, original, rights)) = access {
        mapped &= g.shadow.map(hart, &g.vcpu, va, original, rights | pte::X);
    }
    let exit = if mapped {
        if retries == STEP_RETRIES {
            g.stats.strategy.bt_steps += 1;
        }
        let start = hart.arch().core.instret;
        let exit = hart.run(&mut cpu::devices::NoDevices, 1);
        let retired = hart.arch().core.instret.wrapping_sub(start);
        g.vcpu.arch.core.instret += retired;
        Some(exit)
    } else {
        None
    };
    // The original pages are executable no more: back to the translations
    // (pages with none are filled again, with the guest's rights, when
    // next touched).
    if let Some((va, original, rights)) = access {
        g.shadow.map(hart, &g.vcpu, va, original, rights & !pte::X);
    }
    for &(va, gp, _) in &pages {
        let frame = translator(g)
            .and_then(|t| t.pages.get(&gp))
            .and_then(|p| p.frame);
        match frame {
            Some(f) => {
                g.shadow.map(hart, &g.vcpu, va, f, pte::X);
            }
            None => g.shadow.unmap(hart, &g.vcpu, va),
        }
    }
    tracing::debug!(target: "monitor", "pc {pc:#x}: bt: run once from the original: {exit:?}");
    match exit {
        Some(Exit::BudgetExhausted) | None => Handled {
            handler: "bt_step",
            action: Action::Nothing,
            shadow_flushed: false,
        },
        Some(exit) => {
            let h = exits::handle(g, hart, &exit);
            // Filled now, the page stays mapped for the step run again
            // (left to the next fetch, the scan of the code page would
            // drop it with every other shadow entry on the leaky machine:
            // no progress, ever).
            let data = matches!(
                exit,
                Exit::Trap(Trap::Exception {
                    cause: Exception::LoadPageFault | Exception::StorePageFault,
                    ..
                })
            );
            if data
                && retries > 0
                && hart.arch().pc == pc
                && matches!(h.action, Action::ShadowFilled { .. })
            {
                return step_original(g, hart, access, retries - 1);
            }
            h
        }
    }
}

/// How many times a step runs again after a load or store of it filled a
/// page it did not map (an access reaches at most two pages).
const STEP_RETRIES: u32 = 2;

/// Scans `gpage` if it was not (its code read from the guest's RAM),
/// giving it a frame of the cache if its copy differs from the original.
/// Returns its frame (`None`: it runs from its original) and whether the
/// cache was emptied to make room (every other translation dropped).
fn translate<H: HartPort>(
    t: &mut Translator,
    hart: &mut H,
    ram: &GuestRam,
    gpage: u64,
    isa: Isa,
    stats: &mut StrategyStats,
) -> (Option<MachPhys>, bool) {
    if let Some(p) = t.pages.get(&gpage) {
        return (p.frame, false);
    }
    let mut code = [0u8; PAGE as usize];
    let read = ram
        .translate(GuestPhys(gpage), PAGE)
        .is_some_and(|m| hart.read_phys(m, &mut code));
    let insns = if read {
        scan(&code, isa, stats)
    } else {
        vec![(2, Role::Copied); PARCELS].into_boxed_slice()
    };
    stats.bt_pages += 1;
    let mut reset = false;
    let frame = if insns.iter().any(|&(_, r)| r.zero()) {
        if t.used >= t.frames {
            // The cache is full: every translation goes (and with them
            // the shadow mappings of their copies).
            t.pages.clear();
            t.used = 0;
            reset = true;
        }
        let frame = MachPhys(t.cache.0 + t.used * PAGE);
        t.used += 1;
        for (k, &(_, role)) in insns.iter().enumerate() {
            if role.zero() {
                code[2 * k..2 * k + 2].copy_from_slice(&[0, 0]);
            }
        }
        hart.write_phys(frame, &code);
        Some(frame)
    } else {
        None
    };
    tracing::debug!(
        target: "monitor",
        "bt: page {gpage:#x} translated{}",
        if frame.is_some() { "" } else { ": nothing to patch, it runs from its original" }
    );
    t.pages.insert(gpage, Page { frame, insns });
    (frame, reset)
}

/// Scans every parcel of `code` as the start of an instruction (code may
/// be entered anywhere: by an indirect jump, a trap vector, a return into
/// the middle of another instruction), and gives each its role (see the
/// module documentation): instructions that must be calls, then the
/// 32-bit ones that would run into their zero parcels (or, on a machine
/// where a page may start with one, into the next page), then the other
/// sensitive instructions where no 32-bit instruction runs into them.
fn scan(code: &[u8], isa: Isa, stats: &mut StrategyStats) -> Box<[(u8, Role)]> {
    let parcel = |k: usize| u16::from_le_bytes([code[2 * k], code[2 * k + 1]]);
    let mut insns = vec![(2u8, Role::Copied); PARCELS];
    let mut privileged = vec![false; PARCELS];
    for k in 0..PARCELS {
        let len = isa::parcel_len(parcel(k)) as u8;
        insns[k].0 = len;
        if len == 4 && k + 1 < PARCELS {
            let word = u32::from(parcel(k)) | u32::from(parcel(k + 1)) << 16;
            if must_call(word, isa) {
                insns[k].1 = Role::Patched { needed: true };
            } else if sensitive(word) {
                privileged[k] = true;
            }
        } else if len == 4 && isa == Isa::Leaky {
            // Reaches into the next page, which may start with a call.
            insns[k].1 = Role::Step;
        }
    }
    stats.bt_scanned += PARCELS as u64;
    // Back to front: a 32-bit instruction whose second parcel is a zero
    // one becomes a step, whose own first parcel is then zero.
    for k in (0..PARCELS - 1).rev() {
        if insns[k] == (4, Role::Copied) && insns[k + 1].1.zero() {
            insns[k].1 = Role::Step;
        }
    }
    // Front to back: a sensitive instruction that traps anyway is patched
    // where that makes no instruction run into its zero parcel (never at
    // the page's start: the previous page's last instruction may).
    for k in 1..PARCELS {
        if privileged[k] && insns[k].1 == Role::Copied && insns[k - 1] != (4, Role::Copied) {
            insns[k].1 = Role::Patched { needed: false };
        }
    }
    stats.bt_patched += insns
        .iter()
        .filter(|&&(_, r)| matches!(r, Role::Patched { .. }))
        .count() as u64;
    insns.into_boxed_slice()
}
