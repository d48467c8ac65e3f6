//! Binary translation (VMware's answer to a machine whose sensitive
//! instructions do not all trap): the code a guest runs in virtual
//! S-mode is scanned before it runs, and every sensitive instruction in
//! it is replaced by a call into the monitor; code in virtual U-mode runs
//! as it is.
//!
//! **What runs.** The real hart fetches a guest's virtual S-mode code
//! only from *translations*: for each guest-physical page of code, a copy
//! in the monitor's translation cache (machine memory out of the guest's
//! reach) that starts as all zeros, and into which the scan writes every
//! instruction it reaches, unchanged, except the sensitive ones, which
//! stay zero: the all-zero parcel is an illegal instruction (unprivileged
//! spec 16.6), so the hart calls into the monitor there, and the monitor
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
//! **How code is found.** A block at a time, from an entry point: the scan
//! follows the fall-through, branch and `jal` targets and the word after a
//! call, inside the page (as a translator of x86 must: instructions have
//! no fixed alignment once compressed ones are in). An entry the scan did
//! not reach (a trap vector, a return, a `jr` target) is still zero in the
//! copy, so the hart calls into the monitor there too, and the scan goes
//! on from it: the translation is extended, never guessed.
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
    /// Guest-physical pages whose first parcel is the second half of an
    /// instruction that starts on the page before: their copy has it.
    tails: BTreeSet<u64>,
}

/// What the translation does with an instruction the scan reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Copied as it is: it runs on the hart.
    Copied,
    /// Sensitive: a call into the monitor, which performs it on the
    /// virtual state.
    Patched,
    /// An indirect jump (`jalr`, `c.jr`, `c.jalr`): a call into the
    /// monitor, which performs it and scans from its target first, so that
    /// no code runs that the scan has not seen.
    Jump,
    /// Overlaps a call's zero parcel (code that jumps into the middle of
    /// other code): a call into the monitor, which runs it once from the
    /// original page.
    Step,
}

/// One translated page.
#[derive(Clone, Debug)]
struct Page {
    /// Its copy in the translation cache.
    frame: MachPhys,
    /// The copy's bytes as last written.
    copy: Box<[u8]>,
    /// Every instruction the scan reached: offset → (length, role).
    insns: BTreeMap<u16, (u8, Role)>,
    /// Whether the first parcel holds another instruction's second half
    /// (see [`Translator::tails`]).
    tail: bool,
}

impl Page {
    fn scanned(&self, off: u64) -> bool {
        self.insns.contains_key(&(off as u16))
    }

    fn role(&self, off: u64) -> Option<Role> {
        self.insns.get(&(off as u16)).map(|&(_, r)| r)
    }

    /// Every copied instruction whose second parcel would be a call's zero
    /// parcel becomes a call too (to step), until none is left; then the
    /// copy: zero at each call's first parcel and where nothing was
    /// reached, the original elsewhere. Writes the parcels that changed.
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
        let mut new = vec![0u8; PAGE as usize];
        if self.tail {
            new[..2].copy_from_slice(&code[..2]);
        }
        for (&o, &(len, role)) in &self.insns {
            let o = o as usize;
            let end = (o + len as usize).min(PAGE as usize);
            if role == Role::Copied {
                new[o..end].copy_from_slice(&code[o..end]);
            }
        }
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
            tails: BTreeSet::new(),
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
        Ok(i) => {
            i.op.kind() == Kind::Csr || matches!(i.op, Op::Sret | Op::Wfi | Op::SfenceVma)
        }
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
            tval,
        }) if tval == 0 => {
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
/// patched ones right after it), an indirect jump too, an instruction
/// overlapping a call runs once from the original page; an entry the scan
/// had not reached is scanned from (the instruction then runs again, from
/// the extended translation). `None`: a genuine illegal instruction, for
/// the usual handler.
fn call<H: HartPort>(g: &mut Guest, hart: &mut H) -> Option<Handled> {
    let gpage = translated_pc_page(g, hart)?;
    let pc = hart.arch().pc;
    let off = pc & (PAGE - 1);
    let role = translator(g)?.pages.get(&gpage)?.role(off);
    match role {
        Some(Role::Patched) => {
            g.stats.strategy.bt_calls += 1;
            Some(perform(g, hart, gpage))
        }
        Some(Role::Jump) => {
            g.stats.strategy.bt_calls += 1;
            Some(jump(g, hart))
        }
        Some(Role::Step) => {
            g.stats.strategy.bt_calls += 1;
            let va = pc;
            let original = g.ram.translate(GuestPhys(gpage), PAGE)?;
            let rights = pte::R | pte::X;
            Some(step_original(g, hart, va, original, rights))
        }
        // The original itself is illegal: the guest's own trap.
        Some(Role::Copied) => None,
        None => {
            extend(g, hart, gpage, off);
            Some(Handled {
                handler: "bt_extend",
                action: Action::Nothing,
                shadow_flushed: false,
            })
        }
    }
}

/// Scans `gpage` from offset `off` of the guest's `pc`'s page.
fn extend<H: HartPort>(g: &mut Guest, hart: &mut H, gpage: u64, off: u64) {
    let pc = hart.arch().pc;
    let ram = g.ram;
    let Some(t) = translator(g) else { return };
    let mut stats = StrategyStats::default();
    let tail = scan(t, hart, &ram, gpage, off, pc, &mut stats);
    g.stats.strategy.bt_scanned += stats.bt_scanned;
    g.stats.strategy.bt_patched += stats.bt_patched;
    g.stats.strategy.bt_extended += 1;
    if let Some(va2) = tail {
        carry_tail(g, hart, va2);
    }
    tracing::debug!(
        target: "monitor",
        "pc {pc:#x}: bt: an entry the scan had not reached: translation of {gpage:#x} extended"
    );
}

/// Before the guest runs: if it is to run translated code from an entry
/// the scan has not reached (the target of an `sret`, a trap vector, an
/// indirect jump the monitor performed), the scan goes on from there
/// first. (An entry in the middle of an instruction the scan saw would
/// otherwise run that instruction's bytes unscanned.)
pub fn before_run<H: HartPort>(g: &mut Guest, hart: &mut H) {
    let Some(gpage) = translated_pc_page(g, hart) else {
        return;
    };
    let off = hart.arch().pc & (PAGE - 1);
    let scanned = translator(g)
        .and_then(|t| t.pages.get(&gpage))
        .is_some_and(|p| p.scanned(off));
    if !scanned {
        extend(g, hart, gpage, off);
    }
}

/// An indirect jump (`jalr`, `c.jr`, `c.jalr`), performed: the link,
/// then `pc` = the target, as the hart does it (unprivileged spec 2.5;
/// the target's bit 0 cleared); the instruction retires.
fn jump<H: HartPort>(g: &mut Guest, hart: &mut H) -> Handled {
    let Some((word, insn, len)) = exits::fetch(g, hart).and_then(|w| {
        let (base, len) = cpu::rvc::base(w)?;
        Some((w, isa::decode(base).ok()?, len))
    }) else {
        return exits::illegal_instruction(g, hart, 0);
    };
    let arch = hart.arch();
    let pc = arch.pc;
    let target = arch.xr(insn.rs1).wrapping_add(insn.imm as i64 as u64) & !1;
    hart.retire_emulated(cpu::rvc::fetched_bits(word));
    let arch = hart.arch_mut();
    arch.set_x(insn.rd, pc.wrapping_add(len));
    arch.pc = target;
    g.vcpu.arch.core.instret += 1;
    g.vcpu.emulated += 1;
    tracing::debug!(target: "monitor", "pc {pc:#x}: bt: indirect jump to {target:#x}");
    Handled {
        handler: "bt_jump",
        action: Action::Nothing,
        shadow_flushed: false,
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
fn page_fault<H: HartPort>(g: &mut Guest, hart: &mut H, cause: Exception, va: u64) -> Option<Handled> {
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
    let mut tail = None;
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
            // A fetch of the second half of an instruction that starts on
            // the page before is no entry point.
            let entry = (pc & !(PAGE - 1) == va & !(PAGE - 1)).then_some(va & (PAGE - 1));
            let mut stats = StrategyStats::default();
            let (frame, t2) = translate(t, hart, &ram, gpage, entry, va, &mut stats);
            tail = t2;
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
                return Some(step_original(g, hart, va, original, rights));
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
    if let Some(va2) = tail {
        carry_tail(g, hart, va2);
    }
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

/// Runs the instruction at the guest's `pc` (a load or store of its own
/// code page, in virtual S-mode) once on the hart, from the original page
/// (`original`, mapped at the instruction's and the access's virtual
/// pages with `rights` and execute), then drops those mappings again. Its
/// exit, if it did not simply retire, is answered as any other.
fn step_original<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    va: u64,
    original: MachPhys,
    rights: u64,
) -> Handled {
    let pc = hart.arch().pc;
    g.shadow.flush(hart, &g.vcpu);
    let mapped = g.shadow.map(hart, &g.vcpu, pc, original, rights | pte::X)
        && g.shadow.map(hart, &g.vcpu, va, original, rights | pte::X);
    if !mapped {
        return Handled {
            handler: "bt_step",
            action: Action::Nothing,
            shadow_flushed: true,
        };
    }
    g.stats.strategy.bt_steps += 1;
    let start = hart.arch().core.instret;
    let exit = hart.run(&mut cpu::devices::NoDevices, 1);
    let retired = hart.arch().core.instret.wrapping_sub(start);
    g.vcpu.arch.core.instret += retired;
    // The original page is executable no more.
    g.shadow.flush(hart, &g.vcpu);
    tracing::debug!(
        target: "monitor",
        "pc {pc:#x}: bt: access at {va:#x} to the instruction's own code page: run once from the original"
    );
    match exit {
        Exit::BudgetExhausted => Handled {
            handler: "bt_step",
            action: Action::Nothing,
            shadow_flushed: true,
        },
        exit => exits::handle(g, hart, &exit),
    }
}

/// The translation of `gpage` (made if there is none), scanned from
/// `entry` (an offset in the page; `None` for a fetch of an instruction's
/// second half, at `va`); returns its frame, and where the second half of
/// an instruction that reaches into the next page is.
fn translate<H: HartPort>(
    t: &mut Translator,
    hart: &mut H,
    ram: &GuestRam,
    gpage: u64,
    entry: Option<u64>,
    va: u64,
    stats: &mut StrategyStats,
) -> (MachPhys, Option<u64>) {
    if !t.pages.contains_key(&gpage) {
        let frame = MachPhys(t.cache.0 + t.used * PAGE);
        t.used += 1;
        hart.write_phys(frame, &ZERO_PAGE);
        t.pages.insert(
            gpage,
            Page {
                frame,
                copy: vec![0u8; PAGE as usize].into_boxed_slice(),
                insns: BTreeMap::new(),
                tail: false,
            },
        );
        stats.bt_pages += 1;
        if t.tails.contains(&gpage) {
            copy_tail(t, hart, ram, gpage);
        }
        tracing::debug!(target: "monitor", "bt: page {gpage:#x} translated");
    }
    let tail = match entry {
        Some(off) => scan(t, hart, ram, gpage, off, va, stats),
        None => {
            t.tails.insert(gpage);
            copy_tail(t, hart, ram, gpage);
            None
        }
    };
    (t.pages.get(&gpage).map_or(MachPhys(0), |p| p.frame), tail)
}

/// `gpage`'s first parcel is another instruction's second half: its
/// translation carries it (unless a call starts there).
fn copy_tail<H: HartPort>(t: &mut Translator, hart: &mut H, ram: &GuestRam, gpage: u64) {
    let Some(page) = t.pages.get_mut(&gpage) else {
        return;
    };
    let mut code = [0u8; PAGE as usize];
    let ok = ram
        .translate(GuestPhys(gpage), PAGE)
        .is_some_and(|m| hart.read_phys(m, &mut code));
    if ok && page.role(0).is_none_or(|r| r == Role::Copied) {
        page.tail = true;
        page.settle(hart, &code);
    }
}

/// Scans `gpage` (fetched at virtual page `va & !(PAGE-1)`) from offset
/// `entry`, following control flow inside the page, writing each
/// instruction reached into the translation, unchanged, or leaving it zero
/// (a call into the monitor) if it is sensitive.
fn scan<H: HartPort>(
    t: &mut Translator,
    hart: &mut H,
    ram: &GuestRam,
    gpage: u64,
    entry: u64,
    va: u64,
    stats: &mut StrategyStats,
) -> Option<u64> {
    let mut code = [0u8; PAGE as usize];
    let m = ram.translate(GuestPhys(gpage), PAGE)?;
    if !hart.read_phys(m, &mut code) {
        return None;
    }
    let vpage = va & !(PAGE - 1);
    let mut straddler = None;
    let page = t.pages.get_mut(&gpage)?;
    let mut work = vec![entry & !1];
    while let Some(off) = work.pop() {
        if off >= PAGE || page.scanned(off) {
            continue;
        }
        stats.bt_scanned += 1;
        let o = off as usize;
        let lo = u16::from_le_bytes([code[o], code[o + 1]]);
        let len = isa::parcel_len(lo);
        let word = if len == 2 {
            u32::from(lo)
        } else if o + 4 <= PAGE as usize {
            u32::from_le_bytes([code[o], code[o + 1], code[o + 2], code[o + 3]])
        } else {
            // The instruction's second half is on the next page.
            straddler = Some(off);
            u32::from(lo)
        };
        let base = cpu::rvc::base(word).map(|(b, _)| b);
        let insn = base.and_then(|b| isa::decode(b).ok());
        let whole = straddler != Some(off);
        let role = match insn {
            Some(_) if whole && base.is_some_and(sensitive) => {
                stats.bt_patched += 1;
                Role::Patched
            }
            Some(i) if i.op.kind() == Kind::Jalr => Role::Jump,
            _ => Role::Copied,
        };
        page.insns.insert(off as u16, (len as u8, role));
        let Some(i) = insn else { continue };
        let next = off + len;
        let target = |imm: i64| (off as i64).wrapping_add(imm);
        match i.op.kind() {
            Kind::Branch => {
                work.push(next);
                let to = target(i64::from(i.imm));
                if (0..PAGE as i64).contains(&to) {
                    work.push(to as u64);
                }
            }
            Kind::Jal => {
                if i.rd != 0 {
                    work.push(next);
                }
                let to = target(i64::from(i.imm));
                if (0..PAGE as i64).contains(&to) {
                    work.push(to as u64);
                }
            }
            Kind::Jalr => {
                if i.rd != 0 {
                    work.push(next);
                }
            }
            Kind::System if matches!(i.op, Op::Sret | Op::Mret) => {}
            _ => work.push(next),
        }
    }
    stats.bt_steps += page.settle(hart, &code);
    // An instruction reaching into the next page: its second half runs
    // from that page's translation, which must carry it.
    straddler.map(|_| vpage.wrapping_add(PAGE))
}

/// A straddling instruction's second half is at virtual address `va2`:
/// the page it is fetched from gets it in its translation (now if it has
/// one, else when it is made).
fn carry_tail<H: HartPort>(g: &mut Guest, hart: &mut H, va2: u64) {
    let Ok(gpa) = exits::guest_translate(g, hart, va2, Access::Fetch) else {
        return;
    };
    let ram = g.ram;
    if let Some(t) = translator(g) {
        let gpage = gpa.0 & !(PAGE - 1);
        t.tails.insert(gpage);
        copy_tail(t, hart, &ram, gpage);
    }
}
