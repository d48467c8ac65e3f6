//! Emulating CSR instructions (Zicsr) that trapped because the guest runs
//! in real U-mode: reads and writes of the virtual S-mode CSRs and of the
//! counters, by the privileged core's own rules
//! ([`cpu::privileged::Core::csr_instruction`]: access by privilege,
//! read-only CSRs, each register's WARL legalisation) on the guest's
//! virtual state.

use cpu::csr::addr;
use cpu::isa::{Insn, Op};
use cpu::port::HartPort;
use cpu::privileged::CsrEffect;
use cpu::trap::Trap;

use super::{retire, Action, Handled};
use crate::guest::Guest;
use crate::stats::Emulated;

/// `csrrw`/`csrrs`/`csrrc` and their immediate forms, as the guest's
/// virtual hart runs them. A new `satp` (one that takes effect), or a
/// change of `sstatus.SUM`/`MXR`, drops the shadow tables: they encoded the
/// old translation and rights. `Err` is the guest's illegal instruction.
pub fn emulate_csr<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    insn: Insn,
    bits: u32,
) -> Result<Handled, Trap> {
    let src = match insn.op {
        Op::Csrrw | Op::Csrrs | Op::Csrrc => hart.arch().xr(insn.rs1),
        _ => insn.rs1 as u64,
    };
    let access = g.vcpu.arch.core.csr_instruction(&insn, bits, src)?;
    let csr = insn.csr();
    let pc = hart.arch().pc;
    let mut flushed = false;
    let kind = if csr >= addr::CYCLE {
        Emulated::Counter
    } else if access.write.is_some() {
        Emulated::CsrWrite
    } else {
        Emulated::CsrRead
    };
    match access.write {
        Some((new, effect)) => {
            let note = match effect {
                CsrEffect::Satp => {
                    g.shadow.flush(hart, &g.vcpu);
                    flushed = true;
                    ": shadow flushed"
                }
                CsrEffect::SumMxr => {
                    g.shadow.flush(hart, &g.vcpu);
                    flushed = true;
                    ", SUM or MXR changed: shadow flushed"
                }
                CsrEffect::SatpIgnored => " (a MODE this hart does not implement: write ignored)",
                CsrEffect::Plain => "",
            };
            tracing::debug!(
                target: "monitor",
                "pc {pc:#x}: {}, {new:#x}: virtual {} <- {:#x}{note}",
                super::text(bits),
                cpu::isa::csr_name(csr).unwrap_or_default(),
                g.vcpu.core().csr_read(csr).unwrap_or(0)
            );
        }
        None => tracing::debug!(
            target: "monitor",
            "pc {pc:#x}: {}: reads virtual value {:#x}",
            super::text(bits),
            access.old
        ),
    }
    hart.arch_mut().set_x(insn.rd, access.old);
    retire(g, hart, bits, kind);
    Ok(Handled::new("emulate_csr", Action::Emulated(kind)).flushed(flushed))
}
