//! Emulating CSR instructions (Zicsr) that trapped because the guest runs
//! in real U-mode: reads and writes of the virtual S-mode CSRs and of the
//! counters (privileged spec 2.1 "CSR address mapping conventions").

use cpu::csr::addr;
use cpu::hart::Priv;
use cpu::isa::{Insn, Op};
// The counters the native SEE enables for S-mode (`mcounteren`): the
// virtual hart gives its S-mode the same.
use cpu::machine::MCOUNTEREN;

use super::{retire, Log};
use crate::guest::Guest;
use crate::host::HostHart;
use crate::stats::Emulated;

/// The least privilege that may access CSR `csr` (its bits 9:8).
fn min_privilege(csr: u16) -> u16 {
    (csr >> 8) & 3
}

/// Whether CSR `csr` is read-only (its bits 11:10 are `11`).
fn read_only(csr: u16) -> bool {
    csr >> 10 == 3
}

/// Reads a CSR as the guest's virtual hart, or `None` if the access is
/// illegal in the current virtual mode.
pub fn read_csr(g: &Guest, csr: u16) -> Option<u64> {
    let v = &g.vcpu;
    let mode = v.mode as u16;
    if min_privilege(csr) > mode {
        return None;
    }
    Some(match csr {
        addr::CYCLE..=addr::HPMCOUNTER31 => {
            // The native SEE's `mcounteren` lets S-mode read `cycle`,
            // `time` and `instret` only; U-mode needs `scounteren` too.
            let bit = 1u64 << (csr - addr::CYCLE);
            let enabled = match v.mode {
                Priv::User => MCOUNTEREN & v.scounteren,
                _ => MCOUNTEREN,
            };
            if enabled & bit == 0 {
                return None;
            }
            match csr {
                addr::TIME => v.time(),
                addr::CYCLE | addr::INSTRET => v.retired,
                _ => 0,
            }
        }
        addr::SSTATUS => v.read_sstatus(),
        addr::SIE => v.sie,
        addr::STVEC => v.stvec,
        addr::SCOUNTEREN => v.scounteren,
        // No fields implemented (as the hart): reads 0, writes ignored.
        addr::SENVCFG => 0,
        addr::SSCRATCH => v.sscratch,
        addr::SEPC => v.read_sepc(),
        addr::SCAUSE => v.scause,
        addr::STVAL => v.stval,
        addr::SIP => v.read_sip(),
        addr::SATP => v.satp,
        _ => return None,
    })
}

/// Writes a virtual S-mode CSR through its WARL legalizer.
///
/// A `satp` write that takes effect, or a change of `sstatus.SUM`/`MXR`,
/// drops the shadow tables: they encoded the old translation and rights.
pub fn write_csr<H: HostHart>(g: &mut Guest, hart: &mut H, csr: u16, value: u64) -> Option<String> {
    let v = &mut g.vcpu;
    let mut note = String::new();
    match csr {
        addr::SSTATUS => {
            if v.set_sstatus(value) {
                g.shadow.flush(hart, &g.vcpu);
                note = ", SUM/MXR changed: shadow flushed".into();
            }
        }
        addr::SIE => v.set_sie(value),
        addr::STVEC => v.set_stvec(value),
        addr::SCOUNTEREN => v.set_scounteren(value),
        addr::SENVCFG => {}
        addr::SSCRATCH => v.sscratch = value,
        addr::SEPC => v.set_sepc(value),
        addr::SCAUSE => v.scause = value,
        addr::STVAL => v.stval = value,
        addr::SIP => v.set_sip(value),
        addr::SATP => {
            if v.set_satp(value) {
                g.shadow.flush(hart, &g.vcpu);
                note = ", shadow flushed".into();
            } else {
                note = " (unsupported MODE: write ignored)".into();
            }
        }
        _ => return None,
    }
    Some(note)
}

/// Emulates `csrrw`/`csrrs`/`csrrc` and their immediate forms against the
/// virtual hart (Zicsr chapter: a CSR is written unless the instruction is
/// `csrrs`/`csrrc` with `rs1` = `x0` or `uimm` = 0; a write to a read-only
/// CSR, or an access above the current privilege, is illegal). Returns
/// `false` if the instruction is illegal for the guest.
pub fn emulate_csr<H: HostHart>(
    g: &mut Guest,
    hart: &mut H,
    insn: Insn,
    bits: u32,
    log: &mut Log,
) -> bool {
    let csr = insn.csr();
    let src = match insn.op {
        Op::Csrrw | Op::Csrrs | Op::Csrrc => hart.x(insn.rs1),
        _ => insn.rs1 as u64,
    };
    let writes = matches!(insn.op, Op::Csrrw | Op::Csrrwi) || insn.rs1 != 0;
    if writes && read_only(csr) {
        return false;
    }
    let Some(old) = read_csr(g, csr) else {
        return false;
    };
    let kind = if csr >= addr::CYCLE {
        Emulated::Counter
    } else if writes {
        Emulated::CsrWrite
    } else {
        Emulated::CsrRead
    };
    if writes {
        let new = match insn.op {
            Op::Csrrw | Op::Csrrwi => src,
            Op::Csrrs | Op::Csrrsi => old | src,
            _ => old & !src,
        };
        let Some(note) = write_csr(g, hart, csr, new) else {
            return false;
        };
        let after = read_csr(g, csr).unwrap_or(0);
        log.say(|| {
            format!(
                "{}, {new:#x}: virtual {} <- {after:#x}{note}",
                super::text(bits),
                cpu::isa::csr_name(csr).unwrap_or_default()
            )
        });
    } else {
        log.say(|| format!("{}: reads virtual value {old:#x}", super::text(bits)));
    }
    hart.set_x(insn.rd, old);
    retire(g, hart, bits, kind);
    true
}
