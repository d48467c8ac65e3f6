//! Binary translation (VMware's answer to a machine whose sensitive
//! instructions do not all trap): the code a guest runs in virtual
//! S-mode is scanned before it runs, and every sensitive instruction in
//! it is replaced by a call into the monitor; code in virtual U-mode runs
//! as it is.
//!
//! **What runs.** The real hart fetches a guest's virtual S-mode code
//! only from *translations*: for each guest-physical page of code, a copy
//! in the monitor's translation cache (machine memory out of the guest's
//! reach) in which every sensitive instruction starts with a zero parcel:
//! the all-zero parcel is an illegal instruction (unprivileged spec
//! 16.6), so the hart calls into the monitor there, and the monitor
//! performs the original instruction on the guest's virtual state, by the
//! privileged core's rules, exactly as trap-and-emulate would have if it
//! had trapped. The copy keeps every instruction at its address, so `pc`,
//! return addresses and `auipc` are the guest's own, and the trace digest
//! and `instret` are the native run's.
//!
//! **Which instructions are sensitive.** Every Zicsr instruction, `sret`,
//! `wfi` and `sfence.vma`: on the standard ISA they trap anyway (the
//! translation only makes the call explicit), on `--isa leaky` it is what
//! makes `csrr sstatus` and `csrci sstatus, SIE` reach the monitor.
//!
//! **How code is found.** It is not: a page is translated whole, every
//! 2-byte position scanned as if an instruction started there, since
//! code may be entered anywhere (an indirect jump, a trap vector, a return
//! into the middle of another instruction: x86 translators face the same,
//! as instructions have no fixed alignment once compressed ones are in).
//! So the copy is the original page with a zero parcel at the start of
//! each sensitive "instruction", real or not, and indirect jumps run on
//! the hart. Where a zero parcel would be the second half of an
//! instruction, that instruction is a call too (it would run something
//! else), and so is one reaching into the next page: the monitor runs it
//! once from the original page.
//!
//! **How the shadow page tables enforce it.** In virtual S-mode a guest
//! page is executable only as its translation (a fetch fault translates
//! it), and its translation is mapped execute-only: a load from a page of
//! code is given the original page instead (readable, not executable), so
//! the guest reads its own bytes, never the copy. A translated page is
//! never writable in any shadow: the first store to it faults, the
//! translation is dropped and the page mapped writable again; a later
//! fetch translates the new code (so self-modifying code and code loaded
//! by the kernel run as written). Virtual `satp` = Bare is shadowed page
//! by page for this ([`crate::shadow::ShadowMmu::lazy_bare`]).
//!
//! **Calls save exits.** When the instruction after a patched one is
//! patched too (a trap handler's `csrr t0, scause; csrr t1, sepc`), the
//! same call performs it, unless an interrupt became pending, the guest
//! left S-mode or reached its instruction limit: one exit where
//! trap-and-emulate takes two (`StrategyStats::bt_exits_saved`).
//!
//! This is not trapvisor's own translator of hot pages to x86-64
//! (`cpu::jit`): that one runs on every machine and changes only speed,
//! never what an instruction does (privileged instructions are not even
//! translated there). This one changes what the guest's sensitive
//! instructions do, so that they do what they do natively.

use std::collections::{BTreeMap, BTreeSet};

use cpu::hart::{Exit, Priv};
use cpu::isa::{self, Kind, Op};
use cpu::port::HartPort;
use cpu::sv39::{self, Update};
use cpu::trap::{Exception, Trap};

use super::{GuestStrategy, StrategyStats};
use crate::exits::{self, Action, Handled};
use crate::guest::Guest;
use crate::memory::{GuestPhys, GuestRam, MachPhys, PAGE};
use crate::shadow::{pte, shadow_rights, Access, GuestMemory};
use crate::stats::ExitReason;

/// Frames of translation cache each guest gets (256 KiB: 64 pages of
/// code at once; when it is full every translation is dropped and made
/// again as the code runs).
pub const CACHE_FRAMES: u64 = 64;

const ZERO_PAGE: [u8; PAGE as usize] = [0; PAGE as usize];

/// One guest's translations.
#[derive(Clone, Debug)]
pub struct Translator {
    /// The translation cache: `frames` frames from `cache`.
    cache: MachPhys,
    frames: u64,
    /// Frames handed out since the cache was last emptied.
    used: u64,
    /// Translated pages by guest-physical page address.
    pages: BTreeMap<u64, Page>,
}

/// What the translation does with an instruction the scan reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Copied as it is: it runs on the hart.
    Copied,
    /// Sensitive: a call into the monitor, which performs it on the
    /// virtual state.
    Patched,
    /// Would run into a call's zero parcel (its second half is another
    /// instruction's first: code entered in the middle of other code), or
    /// reaches into the next page: a call into the monitor, which runs it
    /// once from the original page.
    Step,
}

/// One translated page.
#[derive(Clone, Debug)]
struct Page {
    /// Its copy in the translation cache.
    frame: MachPhys,
    /// The copy's bytes as last written.
    copy: Box<[u8]>,
    /// What starts at each parcel: offset → (length, role).
    insns: BTreeMap<u16, (u8, Role)>,
}

impl Page {
    fn role(&self, off: u64) -> Option<Role> {
        self.insns.get(&(off as u16)).map(|&(_, r)| r)
    }

    /// Every copied instruction whose second parcel would be a call's zero
    /// parcel becomes a call too (to step), until none is left; then the
    /// copy: the original, with each call's first parcel zero. Writes the
    /// parcels that changed.
    fn settle<H: HartPort>(&mut self, hart: &mut H, code: &[u8]) -> u64 {
        let mut stepped = 0;
        loop {
            let zero: BTreeSet<u16> = self
                .insns
                .iter()
                .filter(|(_, &(_, r))| r != Role::Copied)
                .map(|(&o, _)| o)
                .collect();
            let victims: Vec<u16> = self
                .insns
                .iter()
                .filter(|(&o, &(len, r))| r == Role::Copied && len == 4 && zero.contains(&(o + 2)))
                .map(|(&o, _)| o)
                .collect();
            if victims.is_empty() {
                break;
            }
            for o in victims {
                if let Some(e) = self.insns.get_mut(&o) {
                    e.1 = Role::Step;
                    stepped += 1;
                }
            }
        }
        let mut new = code.to_vec();
        for (&o, &(_, role)) in &self.insns {
            if role != Role::Copied {
                let o = o as usize;
                new[o..o + 2].copy_from_slice(&[0, 0]);
            }
        }
        for k in (0..PAGE as usize).step_by(2) {
            if new[k..k + 2] != self.copy[k..k + 2] {
                hart.write_phys(MachPhys(self.frame.0 + k as u64), &new[k..k + 2]);
            }
        }
        self.copy = new.into_boxed_slice();
        stepped
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
        }
    }

    /// Pages translated now.
    pub fn pages(&self) -> usize {
        self.pages.len()
    }

    /// Whether guest-physical page `gpage` has a translation.
    pub fn is_translated(&self, gpage: u64) -> bool {
        self.pages.contains_key(&gpage)
    }

    /// The sensitive instructions patched in `gpage`'s translation, by
    /// offset.
    pub fn patched(&self, gpage: u64) -> Vec<u16> {
        self.pages
            .get(&gpage)
            .map(|p| {
                p.insns
                    .iter()
                    .filter(|(_, &(_, r))| r == Role::Patched)
                    .map(|(&o, _)| o)
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

/// The exits binary translation answers itself: calls from translated
/// code (illegal-instruction exits at a zero parcel of a translation) and
/// the page faults of its shadow rules. Everything else goes to the
/// monitor's usual handlers.
pub fn intercept<H: HartPort>(g: &mut Guest, hart: &mut H, exit: &Exit) -> Option<Handled> {
    match *exit {
        Exit::Trap(Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval: 0,
        }) => {
            let h = call(g, hart)?;
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

fn translator(g: &mut Guest) -> Option<&mut Translator> {
    match &mut g.strategy {
        GuestStrategy::Bt(t) => Some(t),
        _ => None,
    }
}

/// The guest-physical page the guest's `pc` is fetched from in its
/// current virtual mode, if it is a translated page run from its
/// translation (virtual S-mode).
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
/// patched ones right after it); an instruction that overlaps a call runs
/// once from the original page. `None`: a genuine illegal instruction, for
/// the usual handler.
fn call<H: HartPort>(g: &mut Guest, hart: &mut H) -> Option<Handled> {
    let gpage = translated_pc_page(g, hart)?;
    let pc = hart.arch().pc;
    let off = pc & (PAGE - 1);
    match translator(g)?.pages.get(&gpage)?.role(off)? {
        Role::Patched => {
            g.stats.strategy.bt_calls += 1;
            Some(perform(g, hart, gpage))
        }
        Role::Step => {
            g.stats.strategy.bt_calls += 1;
            Some(step_original(g, hart, None))
        }
        // The original itself is illegal: the guest's own trap.
        Role::Copied => None,
    }
}

/// Performs the patched instruction at the guest's `pc`, then, in the same
/// call, the patched CSR instructions that follow it, while nothing that
/// natively happens between two instructions (an interrupt, leaving
/// S-mode, the instruction limit) gets in the way.
fn perform<H: HartPort>(g: &mut Guest, hart: &mut H, gpage: u64) -> Handled {
    let first = exits::illegal_instruction(g, hart, 0);
    let mut last = first;
    loop {
        if !matches!(last.action, Action::Emulated(_)) || g.end.is_some() {
            return last;
        }
        if g.vcpu.retired() >= g.max_instructions {
            return last;
        }
        g.vcpu.arch.core.update_timer();
        if g.vcpu.core().pending_interrupt().is_some() {
            return last;
        }
        if translated_pc_page(g, hart) != Some(gpage) {
            return last;
        }
        let off = (hart.arch().pc & (PAGE - 1)) as u16;
        let next_is_csr = translator(g)
            .and_then(|t| t.pages.get(&gpage))
            .is_some_and(|p| p.role(u64::from(off)) == Some(Role::Patched));
        let csr = next_is_csr
            && exits::fetch(g, hart)
                .and_then(|bits| isa::decode(bits).ok())
                .is_some_and(|i| i.op.kind() == Kind::Csr);
        if !csr {
            return last;
        }
        let h = exits::illegal_instruction(g, hart, 0);
        g.stats.strategy.bt_exits_saved += 1;
        last = Handled {
            handler: h.handler,
            action: h.action,
            shadow_flushed: h.shadow_flushed || last.shadow_flushed,
        };
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
            let fresh = !t.is_translated(gpage);
            if fresh && t.used >= t.frames {
                // The cache is full: every translation goes (and with
                // them the shadow mappings of their copies).
                t.pages.clear();
                t.used = 0;
            }
            // A page becomes code: no shadow may keep a writable mapping
            // of it.
            flush |= fresh;
            let mut stats = StrategyStats::default();
            let frame = translate(t, hart, &ram, gpage, &mut stats);
            g.stats.strategy.bt_pages += stats.bt_pages;
            g.stats.strategy.bt_scanned += stats.bt_scanned;
            g.stats.strategy.bt_patched += stats.bt_patched;
            (frame, rights & pte::X)
        } else if t.is_translated(gpage) {
            if supervisor && pc_page == Some(gpage) {
                // A load or store of the page the instruction itself is
                // fetched from: the copy cannot be both executable and
                // read as the original. The instruction (a load or store,
                // not sensitive) runs once from the original page.
                if access == Access::Store {
                    t.pages.remove(&gpage);
                    g.stats.strategy.bt_invalidated += 1;
                }
                return Some(step_original(g, hart, Some((va, original, rights))));
            }
            if access == Access::Store {
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
    if g.fills.fill(pc, va, g.vcpu.retired()) {
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
/// mapped executable; and `access`'s page: a load or store of the
/// instruction's own code page, mapped with its rights), then drops those
/// mappings again. Its exit, if it did not simply retire, is answered as
/// any other. (The instruction is no sensitive one: those are performed by
/// the monitor.)
fn step_original<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    access: Option<(u64, MachPhys, u64)>,
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
        mapped &= g.shadow.map(hart, &g.vcpu, va, m, pte::R | pte::X);
    }
    // Last: the access's page may be the instruction's, with its rights.
    if let Some((va, original, rights)) = access {
        mapped &= g.shadow.map(hart, &g.vcpu, va, original, rights | pte::X);
    }
    let exit = if mapped {
        g.stats.strategy.bt_steps += 1;
        let start = hart.arch().core.instret;
        let exit = hart.run(&mut cpu::devices::NoDevices, 1);
        let retired = hart.arch().core.instret.wrapping_sub(start);
        g.vcpu.arch.core.instret += retired;
        Some(exit)
    } else {
        None
    };
    // The original pages are executable no more: back to the translations.
    if let Some((va, original, rights)) = access {
        g.shadow.map(hart, &g.vcpu, va, original, rights & !pte::X);
    }
    for &(va, gp, m) in &pages {
        let frame = translator(g)
            .and_then(|t| t.pages.get(&gp))
            .map(|p| p.frame);
        match frame {
            Some(f) => g.shadow.map(hart, &g.vcpu, va, f, pte::X),
            None => g.shadow.map(hart, &g.vcpu, va, m, pte::R),
        };
    }
    tracing::debug!(target: "monitor", "pc {pc:#x}: bt: run once from the original");
    match exit {
        Some(Exit::BudgetExhausted) | None => Handled {
            handler: "bt_step",
            action: Action::Nothing,
            shadow_flushed: false,
        },
        Some(exit) => exits::handle(g, hart, &exit),
    }
}

/// The translation of `gpage` (made if there is none: every parcel of the
/// page scanned); returns its frame.
fn translate<H: HartPort>(
    t: &mut Translator,
    hart: &mut H,
    ram: &GuestRam,
    gpage: u64,
    stats: &mut StrategyStats,
) -> MachPhys {
    if let Some(p) = t.pages.get(&gpage) {
        return p.frame;
    }
    let frame = MachPhys(t.cache.0 + t.used * PAGE);
    t.used += 1;
    hart.write_phys(frame, &ZERO_PAGE);
    let mut page = Page {
        frame,
        copy: vec![0u8; PAGE as usize].into_boxed_slice(),
        insns: BTreeMap::new(),
    };
    let mut code = [0u8; PAGE as usize];
    let read = ram
        .translate(GuestPhys(gpage), PAGE)
        .is_some_and(|m| hart.read_phys(m, &mut code));
    if read {
        scan(&mut page, &code, stats);
        stats.bt_steps += page.settle(hart, &code);
    }
    stats.bt_pages += 1;
    tracing::debug!(target: "monitor", "bt: page {gpage:#x} translated");
    t.pages.insert(gpage, page);
    frame
}

/// Scans every parcel of `code` as the start of an instruction (code may
/// be entered anywhere: by an indirect jump, a trap vector, a return into
/// the middle of another instruction), and gives each its role: patched if
/// it is sensitive, a step if it reaches into the next page, copied
/// otherwise.
fn scan(page: &mut Page, code: &[u8], stats: &mut StrategyStats) {
    for off in (0..PAGE as usize).step_by(2) {
        let lo = u16::from_le_bytes([code[off], code[off + 1]]);
        let len = isa::parcel_len(lo);
        let role = if len == 2 {
            Role::Copied
        } else if off + 4 > PAGE as usize {
            Role::Step
        } else {
            let word = u32::from_le_bytes([code[off], code[off + 1], code[off + 2], code[off + 3]]);
            if sensitive(word) {
                stats.bt_patched += 1;
                Role::Patched
            } else {
                Role::Copied
            }
        };
        stats.bt_scanned += 1;
        page.insns.insert(off as u16, (len as u8, role));
    }
}
