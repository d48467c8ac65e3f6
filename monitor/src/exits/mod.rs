//! Exit handlers: one per reason the real hart hands a guest back to the
//! monitor, each a small free function that can be fed a synthetic exit.
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

use cpu::hart::{Exit, Priv};
use cpu::isa::{self, Op};
use cpu::trap::{Exception, Trap};

use crate::guest::Guest;
use crate::host::HostHart;
use crate::shadow::{Access, Fault, ShadowMmu};
use crate::stats::{Emulated, ExitReason};
use crate::End;

/// Lines of `--trace` output, produced only when tracing is on.
#[derive(Debug, Default)]
pub struct Log {
    pub on: bool,
    pub lines: Vec<String>,
}

impl Log {
    /// Records what the monitor did (the closure runs only when tracing).
    pub fn say(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

/// Handles one exit of the loaded guest `g`.
pub fn handle<H: HostHart>(g: &mut Guest, hart: &mut H, exit: Exit, log: &mut Log) {
    match exit {
        // The quantum, or the instructions up to the guest's timer deadline,
        // are used up: the run loop ticks the virtual timer and schedules.
        Exit::BudgetExhausted => g.stats.exit(ExitReason::Budget),
        // A privileged instruction from real U-mode, or a CSR the real
        // hart's U-mode may not touch.
        Exit::Trap(Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval,
        }) => {
            g.stats.exit(ExitReason::IllegalInstruction);
            illegal_instruction(g, hart, tval, log);
        }
        // The real hart only ever runs U-mode, so every ecall says
        // "from U": the virtual mode tells hypercall from system call.
        Exit::Trap(Trap::Exception {
            cause: Exception::EcallFromU | Exception::EcallFromS,
            ..
        }) => {
            g.stats.exit(ExitReason::Ecall);
            if g.vcpu.mode == Priv::Supervisor {
                sbi::hypercall(g, hart, log);
            } else {
                let trap = Trap::Exception {
                    cause: Exception::EcallFromU,
                    tval: 0,
                };
                reflect::reflect(g, hart, trap, log);
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
            page_fault(g, hart, cause, tval, log);
        }
        // Everything else (breakpoints, misaligned AMOs and jumps, ...)
        // the guest takes itself, exactly as natively.
        Exit::Trap(trap @ Trap::Exception { .. }) => {
            g.stats.exit(ExitReason::OtherException);
            reflect::reflect(g, hart, trap, log);
        }
        // Nothing on the real hart raises interrupts under the monitor
        // (no timer, no devices): virtual ones are injected by the run loop.
        Exit::Trap(Trap::Interrupt(_)) => g.stats.exit(ExitReason::Other),
        // The hart let a U-mode `wfi` retire: it sleeps as natively.
        Exit::Wfi => {
            g.stats.exit(ExitReason::Wfi);
            wfi::sleep(g, log);
        }
        // (The real hart enters no trap itself under the monitor, so it
        // never sees a storm; if it did, the trap was not taken: handle it
        // like any other. The guest's own storms are judged by
        // `Guest::storm` on the traps it takes virtually.)
        Exit::TrapStorm(storm) => handle(g, hart, Exit::Trap(storm.trap), log),
        // No breakpoints, debug stops or devices are given to the hart
        // under the monitor.
        Exit::Breakpoint | Exit::Device | Exit::Debug(_) => g.stats.exit(ExitReason::Other),
    }
}

/// Moves the guest past an instruction the monitor performed for it: `pc`
/// advances, and the instruction counts and enters the digest as natively.
pub fn retire<H: HostHart>(g: &mut Guest, hart: &mut H, bits: u32, kind: Emulated) {
    hart.retire_emulated(bits);
    hart.set_pc(hart.pc().wrapping_add(4));
    g.vcpu.retired += 1;
    g.vcpu.emulated += 1;
    g.stats.emulated(kind);
}

/// The instruction word at the guest's `pc`, read through its own
/// translation (for decoding a trapped access).
pub fn fetch<H: HostHart>(g: &Guest, hart: &mut H) -> Option<u32> {
    let gpa = ShadowMmu::translate(hart, &g.ram, &g.vcpu, hart.pc(), Access::Fetch)?;
    let mpa = g.ram.translate(gpa, 4)?;
    let mut b = [0u8; 4];
    hart.read_phys(mpa.0, &mut b).then(|| u32::from_le_bytes(b))
}

/// An illegal instruction in real U-mode: emulate it if the guest's
/// virtual mode may run it, otherwise it is the guest's own trap.
pub fn illegal_instruction<H: HostHart>(g: &mut Guest, hart: &mut H, tval: u64, log: &mut Log) {
    let bits = if tval != 0 {
        tval as u32
    } else {
        fetch(g, hart).unwrap_or(0)
    };
    let emulated = match isa::decode(bits) {
        Ok(insn) => match insn.op {
            Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                csr::emulate_csr(g, hart, insn, bits, log)
            }
            Op::Sret if g.vcpu.mode == Priv::Supervisor => sret::emulate_sret(g, hart, bits, log),
            Op::Wfi if g.vcpu.mode == Priv::Supervisor => wfi::emulate_wfi(g, hart, bits, log),
            Op::SfenceVma if g.vcpu.mode == Priv::Supervisor => {
                sfence::emulate_sfence_vma(g, hart, insn, bits, log)
            }
            _ => false,
        },
        Err(_) => false,
    };
    if !emulated {
        reflect::reflect(g, hart, Trap::illegal_instruction(bits), log);
    }
}

/// A real page fault: the shadow tables lacked a translation. Either the
/// guest's own tables allow the access (fill the shadow and retry), or they
/// don't (the guest's own fault), or the address is a device (emulate).
pub fn page_fault<H: HostHart>(
    g: &mut Guest,
    hart: &mut H,
    cause: Exception,
    va: u64,
    log: &mut Log,
) {
    let Some(access) = Access::of_page_fault(cause) else {
        return;
    };
    match g.shadow.handle_fault(hart, &g.ram, &g.vcpu, va, access) {
        Fault::Filled { va, gpa, rights } => {
            g.stats.shadow_filled += 1;
            let pc = hart.pc();
            if g.fills.fill(pc, va, g.vcpu.retired) {
                let trap = Trap::Exception { cause, tval: va };
                log.say(|| {
                    format!("{trap} at {pc:#x}: shadow fills make no progress, guest stopped")
                });
                g.end = Some(End::TrapStorm(cpu::storm::Storm {
                    trap,
                    pc,
                    first: trap,
                    first_pc: pc,
                }));
                return;
            }
            log.say(|| {
                format!(
                    "{} at {va:#x}: guest tables map it to {:#x} ({}), shadow filled",
                    cause.name(),
                    gpa.0,
                    rights_str(rights)
                )
            });
        }
        Fault::Reflect(trap) => {
            g.stats.shadow_reflected += 1;
            reflect::reflect(g, hart, trap, log);
        }
        Fault::Mmio(gpa) => mmio::emulate_mmio(g, hart, access, va, gpa, log),
    }
}

fn rights_str(r: u64) -> String {
    use crate::shadow::pte;
    [(pte::R, 'r'), (pte::W, 'w'), (pte::X, 'x')]
        .iter()
        .map(|&(b, c)| if r & b != 0 { c } else { '-' })
        .collect()
}

/// The instruction's text for a trace line.
pub fn text(bits: u32) -> String {
    match isa::decode(bits) {
        Ok(i) => match i.op.format() {
            isa::Format::Csr | isa::Format::CsrI => {
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
