//! Exit handlers: one per reason the real hart hands a guest back to the
//! monitor, each a small free function that can be fed a synthetic exit,
//! and each returning what it did ([`Handled`]) for the run loop to act on.
//!
//! | the hart says | because natively the guest... | handler |
//! |---|---|---|
//! | illegal instruction, virtual S-mode, a privileged instruction S may run | ...would have run it | [`csr::emulate_csr`], [`sret::emulate_sret`], [`wfi::emulate_wfi`], [`sfence::emulate_sfence_vma`] |
//! | illegal instruction, anything else | ...would have trapped to `stvec` | [`reflect::reflect`] |
//! | `ecall` from virtual S-mode | ...would have called the SBI | [`sbi::hypercall`] |
//! | `ecall` from virtual U-mode, `ebreak`, misaligned AMO, ... | ...would have trapped to `stvec` | [`reflect::reflect`] |
//! | page fault | ...would have hit in its TLB, faulted, or touched a device | [`page_fault`] → `shadow`, [`mmio::emulate_mmio`] or [`reflect::reflect`] |
//! | budget used up | (a quantum or the run-up to its timer ended) | nothing here: the run loop ticks the timer and asks the scheduler |
//!
//! Each handler is a call into the privileged core the real hart runs
//! natively (`cpu::privileged`: the guest's `csrw`, `sret`, `wfi` and trap
//! entry are the same functions, run on the guest's virtual state), plus
//! what only a monitor does: drop or fill shadow tables, retire the
//! instruction on the guest's behalf, log a line.
//!
//! An emulated instruction *retires*: `pc` moves past it, the guest's
//! instruction count and trace digest include it ([`retire`]), exactly as
//! natively. A reflected trap retires nothing.

pub mod csr;
pub mod mmio;
pub mod reflect;
pub mod sbi;
pub mod sfence;
pub mod sret;
pub mod wfi;

use cpu::hart::Exit;
use cpu::isa::{self, Kind, Op};
use cpu::port::HartPort;
use cpu::privileged::Priv;
use cpu::storm::Storm;
use cpu::sv39::{self, Update};
use cpu::trap::{Exception, Trap};

use crate::guest::Guest;
use crate::memory::{GuestPhys, PAGE};
use crate::shadow::{Access, Fault, GuestMemory};
use crate::stats::{Emulated, ExitReason};
use crate::strategy::GuestStrategy;
use crate::End;

/// What a handler did: which handler it was, what it did, and whether it
/// dropped the guest's shadow tables. The run loop acts on it (a guest
/// whose run ends is scheduled no more); a debugger shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handled {
    /// The handler that ran (its function's name).
    pub handler: &'static str,
    pub action: Action,
    /// Whether the guest's shadow tables were dropped.
    pub shadow_flushed: bool,
}

/// What an exit came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing (the budget ran out; or an exit the monitor never gives a
    /// cause for).
    Nothing,
    /// The instruction was performed for the guest and retired.
    Emulated(Emulated),
    /// The guest takes this trap itself: it entered its `stvec`.
    Reflected(Trap),
    /// A shadow translation was installed: the instruction runs again.
    ShadowFilled {
        va: u64,
        gpa: GuestPhys,
        rights: u64,
    },
    /// The guest's run ends.
    End(End),
}

impl Handled {
    fn new(handler: &'static str, action: Action) -> Handled {
        Handled {
            handler,
            action,
            shadow_flushed: false,
        }
    }

    fn flushed(mut self, flushed: bool) -> Handled {
        self.shadow_flushed = flushed;
        self
    }
}

/// Handles one exit of the loaded guest `g`.
pub fn handle<H: HartPort>(g: &mut Guest, hart: &mut H, exit: &Exit) -> Handled {
    if let Some(handled) = crate::strategy::intercept(g, hart, exit) {
        return handled;
    }
    match *exit {
        // The quantum, or the instructions up to the guest's timer deadline,
        // are used up: the run loop ticks the virtual timer and schedules.
        Exit::BudgetExhausted => {
            g.stats.exit(ExitReason::Budget);
            Handled::new("budget", Action::Nothing)
        }
        // A privileged instruction from real U-mode, or a CSR the real
        // hart's U-mode may not touch.
        Exit::Trap(Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval,
        }) => {
            g.stats.exit(ExitReason::IllegalInstruction);
            let first = illegal_instruction(g, hart, tval);
            // (Binary translation performs its own runs: `strategy::bt`.)
            // A run starts at a CSR write only: looking at the next
            // instruction costs every emulated one (about 90 host
            // instructions), and after a read it is mostly one that uses
            // the value and runs on the hart, while after a write it is
            // mostly more of a handler's way out (`csrw sepc; sret`).
            if matches!(g.strategy, GuestStrategy::Bt(_)) || !writes_csr(tval as u32) {
                return first;
            }
            let page = hart.arch().pc & !(PAGE - 1);
            let privilege = g.vcpu.core().privilege;
            perform_run(
                g,
                hart,
                first,
                |g, hart| next_trapping(g, hart, page, privilege),
                |g| {
                    g.stats.exit(ExitReason::IllegalInstruction);
                    g.stats.chained += 1;
                },
            )
        }
        // The real hart only ever runs U-mode, so every ecall says
        // "from U": the virtual mode tells hypercall from system call.
        Exit::Trap(Trap::Exception {
            cause: Exception::EcallFromU | Exception::EcallFromS,
            ..
        }) => {
            g.stats.exit(ExitReason::Ecall);
            match g.vcpu.core().ecall() {
                Trap::Exception {
                    cause: Exception::EcallFromS,
                    ..
                } => sbi::hypercall(g, hart),
                trap => reflect::reflect(g, hart, trap),
            }
        }
        Exit::Trap(Trap::Exception {
            cause:
                cause @ (Exception::InstructionPageFault
                | Exception::LoadPageFault
                | Exception::StorePageFault),
            tval,
        }) => {
            g.stats.exit(ExitReason::PageFault);
            page_fault(g, hart, cause, tval)
        }
        // Everything else (breakpoints, misaligned AMOs and jumps, ...)
        // the guest takes itself, exactly as natively.
        Exit::Trap(trap @ Trap::Exception { .. }) => {
            g.stats.exit(ExitReason::OtherException);
            reflect::reflect(g, hart, trap)
        }
        // Nothing on the real hart raises interrupts under the monitor
        // (no timer, no devices): virtual ones are injected by the run loop.
        Exit::Trap(Trap::Interrupt(_)) => {
            g.stats.exit(ExitReason::Other);
            Handled::new("none", Action::Nothing)
        }
        // The real hart never lets a U-mode `wfi` retire, and enters no
        // trap itself under the monitor, so it never sees a storm (if it
        // did, the trap was not taken: handle it like any other; the
        // guest's own storms are judged by `Guest::storm`).
        Exit::Wfi => {
            g.stats.exit(ExitReason::Wfi);
            wfi::sleep(g, hart)
        }
        Exit::TrapStorm(storm) => handle(g, hart, &Exit::Trap(storm.trap)),
        // No breakpoints, debug stops or devices are given to the hart by
        // the monitor (a debugger keeps those exits for itself).
        Exit::Breakpoint | Exit::Device | Exit::Debug(_) => {
            g.stats.exit(ExitReason::Other);
            Handled::new("none", Action::Nothing)
        }
    }
}

/// Moves the guest past an instruction the monitor performed for it,
/// fetched as `bits` (a compressed one in the low 16 bits): the
/// instruction counts and enters the digest as natively, then `pc`
/// advances by its length, 2 or 4 bytes.
pub fn retire<H: HartPort>(g: &mut Guest, hart: &mut H, bits: u32, kind: Emulated) {
    let bits = cpu::rvc::fetched_bits(bits);
    hart.retire_emulated(bits);
    let arch = hart.arch_mut();
    arch.pc = arch.pc.wrapping_add(cpu::isa::parcel_len(bits as u16));
    g.vcpu.arch.core.instret += 1;
    g.vcpu.emulated += 1;
    g.stats.emulated(kind);
}

/// The instruction at the guest's `pc`, read through its own translation
/// (for decoding a trapped access) as the hart fetches it: its first
/// 16-bit parcel in the low half, and the second, from `pc + 2` (perhaps
/// on the next page), only for a 32-bit instruction.
pub fn fetch<H: HartPort>(g: &Guest, hart: &mut H) -> Option<u32> {
    let pc = hart.arch().pc;
    let parcel = |hart: &mut H, va: u64| {
        let gpa = guest_translate(g, hart, va, Access::Fetch).ok()?;
        let mpa = g.ram.translate(gpa, 2)?;
        let mut b = [0u8; 2];
        hart.read_phys(mpa, &mut b).then(|| u16::from_le_bytes(b))
    };
    let lo = parcel(hart, pc)?;
    if isa::parcel_len(lo) == 2 {
        return Some(u32::from(lo));
    }
    let hi = parcel(hart, pc.wrapping_add(2))?;
    Some(u32::from(lo) | u32::from(hi) << 16)
}

/// The guest-physical address of guest virtual address `va` for `acc`,
/// through the guest's own tables under its virtual privileged state, for
/// the monitor's own use: no A/D updates, no side effect at all.
pub fn guest_translate<H: HartPort>(
    g: &Guest,
    hart: &mut H,
    va: u64,
    acc: Access,
) -> Result<GuestPhys, Trap> {
    let core = g.vcpu.core();
    if !core.paging() {
        return Ok(GuestPhys(va));
    }
    let mut mem = GuestMemory { ram: &g.ram, hart };
    sv39::walk(&mut mem, core, va, acc, Update::Nothing).map(|leaf| GuestPhys(leaf.pa))
}

/// An illegal instruction in real U-mode: emulate it if the guest's
/// virtual mode may run it (the privileged core says), otherwise it is the
/// guest's own trap.
pub fn illegal_instruction<H: HartPort>(g: &mut Guest, hart: &mut H, tval: u64) -> Handled {
    let bits = if tval != 0 {
        tval as u32
    } else {
        fetch(g, hart).unwrap_or(0)
    };
    let emulated = match isa::decode(bits) {
        Ok(insn) => match insn.op.kind() {
            Kind::Csr => csr::emulate_csr(g, hart, insn, bits),
            Kind::System => match insn.op {
                Op::Sret => sret::emulate_sret(g, hart, bits),
                Op::Wfi => wfi::emulate_wfi(g, hart, bits),
                Op::SfenceVma => sfence::emulate_sfence_vma(g, hart, bits),
                _ => Err(Trap::illegal_instruction(bits)),
            },
            _ => Err(Trap::illegal_instruction(bits)),
        },
        Err(_) => Err(Trap::illegal_instruction(bits)),
    };
    emulated.unwrap_or_else(|trap| reflect::reflect(g, hart, trap))
}

/// After `first`, an instruction the monitor performed for the guest, the
/// instructions right after it that `next` says are to be performed too
/// (`Some(tval)`, as [`illegal_instruction`] takes it), performed in the
/// same exit without going back to the hart, each counted by `counted`,
/// while nothing that natively happens between two instructions gets in
/// the way: the guest's run ended or it slept in `wfi`, the shadow tables
/// were dropped (the hart's next fetch faults, a debugger's event, whether
/// or not this goes on), it reached its instruction limit or the end of
/// the step the run loop is in (`Guest::step_end`: its quantum, or a
/// debugger's single step: a step of one instruction performs one), a
/// debugger's breakpoint is at the next instruction (it stops there,
/// before it, as the hart does), or an interrupt became pending.
pub fn perform_run<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    first: Handled,
    mut next: impl FnMut(&mut Guest, &mut H) -> Option<u64>,
    counted: impl Fn(&mut Guest),
) -> Handled {
    let mut last = first;
    loop {
        if !matches!(last.action, Action::Emulated(e) if e != Emulated::Wfi)
            || g.end.is_some()
            || last.shadow_flushed
        {
            return last;
        }
        let retired = g.vcpu.retired();
        if retired >= g.max_instructions || retired >= g.step_end {
            return last;
        }
        // (Most instructions after an emulated one run on the hart: this
        // is asked first.)
        let Some(tval) = next(g, hart) else {
            return last;
        };
        if hart.breakpoint_at(hart.arch().pc) {
            return last;
        }
        g.vcpu.arch.core.update_timer();
        if g.vcpu.core().pending_interrupt().is_some() {
            return last;
        }
        let h = illegal_instruction(g, hart, tval);
        counted(g);
        last = Handled {
            handler: h.handler,
            action: h.action,
            shadow_flushed: h.shadow_flushed || last.shadow_flushed,
        };
    }
}

/// Whether `bits` is a Zicsr instruction that writes its CSR: `csrrw` and
/// `csrrwi` always, the set and clear forms unless their source is `x0` or
/// 0 (which only read).
fn writes_csr(bits: u32) -> bool {
    const SYSTEM: u32 = 0b111_0011;
    let funct3 = (bits >> 12) & 7;
    bits & 0x7f == SYSTEM && funct3 & 3 != 0 && (funct3 & 3 == 1 || (bits >> 15) & 0x1f != 0)
}

/// Under trap-and-emulate, the bits of the instruction at the guest's
/// `pc` if the real hart would trap on it as an illegal instruction
/// before anything else (it is wholly on `page`, the virtual page the
/// hart just fetched from, in the same virtual mode `privilege`, so its
/// fetch succeeds through the same shadow translation), `None` if it
/// would run or trap some other way.
fn next_trapping<H: HartPort>(g: &Guest, hart: &mut H, page: u64, privilege: Priv) -> Option<u64> {
    let pc = hart.arch().pc;
    let off = pc & (PAGE - 1);
    if pc - off != page || off > PAGE - 4 || g.vcpu.core().privilege != privilege {
        return None;
    }
    // One read of 4 bytes on the page (the upper half of a compressed
    // instruction is read too, but no compressed one traps this way).
    let gpa = guest_translate(g, hart, pc, Access::Fetch).ok()?;
    let mpa = g.ram.translate(gpa, 4)?;
    let mut b = [0u8; 4];
    hart.read_phys(mpa, &mut b).then_some(())?;
    let bits = u32::from_le_bytes(b);
    hart.arch().core.denies(bits).then_some(u64::from(bits))
}

/// A real page fault: the shadow tables lacked a translation. Either the
/// guest's own tables allow the access (fill the shadow and retry), or they
/// don't (the guest's own fault), or the address is a device (emulate).
pub fn page_fault<H: HartPort>(g: &mut Guest, hart: &mut H, cause: Exception, va: u64) -> Handled {
    let Some(access) = Access::of_page_fault(cause) else {
        return Handled::new("page_fault", Action::Nothing);
    };
    let pc = hart.arch().pc;
    match g.shadow.handle_fault(hart, &g.ram, &g.vcpu, va, access) {
        Fault::Filled { va, gpa, rights } => {
            g.stats.shadow_filled += 1;
            if g.fills.fill(pc, va, g.vcpu.retired()) {
                let trap = Trap::Exception { cause, tval: va };
                tracing::debug!(
                    target: "monitor",
                    "pc {pc:#x}: {trap}: shadow fills make no progress, guest stopped"
                );
                let storm = Storm {
                    trap,
                    pc,
                    first: trap,
                    first_pc: pc,
                };
                return Handled::new("page_fault", Action::End(End::TrapStorm(storm)));
            }
            tracing::debug!(
                target: "monitor",
                "pc {pc:#x}: {} at {va:#x}: the guest's tables map it to {gpa:#x} ({}): shadow filled",
                cause.name(),
                rights_str(rights)
            );
            Handled::new("page_fault", Action::ShadowFilled { va, gpa, rights })
        }
        Fault::Reflect(trap) => {
            g.stats.shadow_reflected += 1;
            reflect::reflect(g, hart, trap)
        }
        Fault::Mmio(gpa) => mmio::emulate_mmio(g, hart, access, va, gpa),
    }
}

fn rights_str(r: u64) -> String {
    use cpu::sv39::pte;
    [(pte::R, 'r'), (pte::W, 'w'), (pte::X, 'x')]
        .iter()
        .map(|&(b, c)| if r & b != 0 { c } else { '-' })
        .collect()
}

/// The instruction's text for a trace line: its mnemonic, with the CSR it
/// names.
pub fn text(bits: u32) -> String {
    match isa::decode(bits) {
        Ok(i) => match i.op.kind() {
            Kind::Csr => {
                let name = isa::csr_name(i.csr()).unwrap_or_else(|| format!("{:#x}", i.csr()));
                format!("{} {name}", i.op)
            }
            _ => i.op.to_string(),
        },
        Err(_) => format!("{bits:#010x}"),
    }
}

#[cfg(test)]
mod tests;
