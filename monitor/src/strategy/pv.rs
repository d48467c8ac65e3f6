//! Paravirtualization (Xen's answer): a guest kernel written for the
//! monitor asks it for what it would otherwise do with privileged
//! instructions, and reads and writes its most used CSRs as memory.
//!
//! **The interface** (book: "Alternatives", the PV interface), an SBI
//! extension in the experimental range, [`EID`] = `0x0854_5056`
//! (`"TPV"`), found with the SBI's `sbi_probe_extension` as real PV
//! kernels find their hypervisor. On the native machine, and under the
//! monitor with `--strategy trap` or `bt`, the probe answers 0 (absent)
//! and a PV kernel falls back to its privileged instructions; under
//! `--strategy pv` it answers 1. Functions (`a6`), arguments in `a0`..,
//! result in `a0` (0 or an SBI error) and `a1`:
//!
//! | FID | name | does |
//! |---|---|---|
//! | 0 | `pv_set_shared(a0 = page)` | the guest-physical page (4 KiB aligned, in RAM) that holds the shared CSRs from now on |
//! | 1 | `pv_sret()` | returns from a trap: `sret` on the virtual hart (after the shared CSRs are taken in), `a6` and `a7` restored from the shared page's offsets 56 and 64 ([`SAVED_A6_A7`]: the call needs them itself, so the kernel leaves the interrupted code's there); nothing else returned |
//! | 2 | `pv_set_timer(a0 = stime)` | the next timer interrupt, as SBI `set_timer` |
//! | 3 | `pv_mmu_update(a0 = list, a1 = n, a2 = flags)` | writes `n` (at most [`MAX_UPDATES`]) page-table entries, a list of (guest-physical address of the PTE, value) pairs of `u64`s at guest-physical `list`, then, if `flags` bit 0, an `sfence.vma` of everything; `a1` = entries written |
//!
//! **The shared page**: `u64`s at [`SHARED`]'s offsets, `sstatus`, `sie`,
//! `sip`, `sscratch`, `sepc`, `scause`, `stval`, each as S-mode reads it.
//! The monitor writes the virtual hart's values there every time the
//! guest goes back on the hart (so after a trap is delivered the handler
//! finds `scause`, `sepc` and `stval` in memory), and takes what the
//! kernel stored there back into the virtual hart, by the CSRs' own write
//! rules (WARL), at every exit the guest makes from virtual S-mode. A
//! kernel therefore loads and stores these CSRs at memory speed; a store
//! takes effect at its next exit (an interrupt it unmasks by storing
//! `sstatus.SIE` is delivered then: a kernel that needs it at once makes a
//! hypercall).

use cpu::csr::addr;
use cpu::hart::{Exit, Priv};
use cpu::isa::{self, Insn, Op};
use cpu::port::HartPort;
use cpu::privileged::CsrEffect;
use cpu::sbi::{SbiError, SbiRet};

/// SBI errors the base set in `cpu::sbi` does not name (SBI spec 3.2).
const ERR_DENIED: i64 = -4;
const ERR_INVALID_ADDRESS: i64 = -5;

fn error(code: i64, value: u64) -> SbiRet {
    SbiRet::Standard { error: code, value }
}
use cpu::trap::{Exception, Trap};

use super::GuestStrategy;
use crate::exits::{Action, Handled};
use crate::guest::Guest;
use crate::memory::{GuestPhys, PAGE};
use crate::stats::{Emulated, ExitReason};

/// The PV extension's SBI extension ID (experimental range
/// `0x0800_0000..=0x08ff_ffff`, SBI spec 3): `"TPV"`.
pub const EID: u64 = 0x0854_5056;

/// Function IDs.
pub mod fid {
    pub const SET_SHARED: u64 = 0;
    pub const SRET: u64 = 1;
    pub const SET_TIMER: u64 = 2;
    pub const MMU_UPDATE: u64 = 3;
}

/// Page-table entries one `pv_mmu_update` may write.
pub const MAX_UPDATES: u64 = 512;

/// The shared CSRs, at byte offsets 0, 8, ... of the shared page.
pub const SHARED: [u16; 7] = [
    addr::SSTATUS,
    addr::SIE,
    addr::SIP,
    addr::SSCRATCH,
    addr::SEPC,
    addr::SCAUSE,
    addr::STVAL,
];

/// Where in the shared page the kernel leaves the `a6` and `a7` that
/// `pv_sret` gives back to the code it returns to (two `u64`s, after the
/// CSRs).
pub const SAVED_A6_A7: u64 = 56;

/// A PV guest's state: its shared page, once it named one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paravirt {
    pub shared: Option<GuestPhys>,
}

fn paravirt(g: &Guest) -> Option<&Paravirt> {
    match &g.strategy {
        GuestStrategy::Pv(p) => Some(p),
        _ => None,
    }
}

/// The virtual CSRs as S-mode reads them, in [`SHARED`]'s order.
fn csrs(g: &Guest) -> [u64; 7] {
    let mut core = g.vcpu.core().clone();
    core.privilege = Priv::Supervisor;
    SHARED.map(|c| core.csr_read(c).unwrap_or(0))
}

/// Writes the virtual CSRs into the shared page (before the guest runs).
pub fn publish<H: HartPort>(g: &mut Guest, hart: &mut H) {
    let Some(page) = paravirt(g).and_then(|p| p.shared) else {
        return;
    };
    let mut bytes = [0u8; 56];
    for (i, v) in csrs(g).iter().enumerate() {
        bytes[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    if let Some(m) = g.ram.translate(page, 56) {
        hart.write_phys(m, &bytes);
    }
}

/// Takes what the kernel stored in the shared page into the virtual hart
/// (at an exit from virtual S-mode), by each CSR's write rules. Whether
/// the shadow tables were dropped (`sstatus.SUM`/`MXR` changed).
fn collect<H: HartPort>(g: &mut Guest, hart: &mut H) -> bool {
    let Some(page) = paravirt(g).and_then(|p| p.shared) else {
        return false;
    };
    if g.vcpu.core().privilege != Priv::Supervisor {
        return false;
    }
    let mut bytes = [0u8; 56];
    let Some(m) = g.ram.translate(page, 56) else {
        return false;
    };
    if !hart.read_phys(m, &mut bytes) {
        return false;
    }
    let now = csrs(g);
    let mut flush = false;
    for (i, &csr) in SHARED.iter().enumerate() {
        let v = u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        if v != now[i] {
            if let Ok(CsrEffect::SumMxr | CsrEffect::Satp) = g.vcpu.arch.core.csr_write(csr, v) {
                flush = true;
            }
        }
    }
    if flush {
        g.shadow.flush(hart, &g.vcpu);
    }
    flush
}

/// Every exit of a PV guest first takes in the shared page; then an
/// `ecall` from virtual S-mode that probes for the extension or calls it
/// is answered here.
pub fn intercept<H: HartPort>(g: &mut Guest, hart: &mut H, exit: &Exit) -> Option<Handled> {
    collect(g, hart);
    let Exit::Trap(Trap::Exception {
        cause: Exception::EcallFromU | Exception::EcallFromS,
        ..
    }) = *exit
    else {
        return None;
    };
    if g.vcpu.core().privilege != Priv::Supervisor {
        return None;
    }
    let x = hart.arch().x;
    let (a0, a1, a2, a6, a7) = (x[10], x[11], x[12], x[16], x[17]);
    let probe = a7 == cpu::sbi::ext::BASE && a6 == 3 && a0 == EID;
    if !probe && a7 != EID {
        return None;
    }
    g.stats.exit(ExitReason::Ecall);
    g.stats.emulated(Emulated::SbiCall);
    g.storm.returned(g.vcpu.retired());
    let pc = hart.arch().pc;
    if probe {
        return Some(finish(hart, pc, SbiRet::ok(1), "pv probe: present"));
    }
    g.stats.strategy.pv_hypercalls += 1;
    match a6 {
        fid::SET_SHARED => {
            let gpa = GuestPhys(a0);
            let ret = if a0 % PAGE != 0 {
                SbiRet::err(SbiError::InvalidParam)
            } else if g.ram.translate(gpa, PAGE).is_none() {
                error(ERR_INVALID_ADDRESS, 0)
            } else {
                if let GuestStrategy::Pv(p) = &mut g.strategy {
                    p.shared = Some(gpa);
                }
                SbiRet::ok(0)
            };
            Some(finish(hart, pc, ret, "pv_set_shared"))
        }
        fid::SRET => {
            let bits = isa::encode(&Insn {
                op: Op::Sret,
                rd: 0,
                rs1: 0,
                rs2: 0,
                imm: 0,
            });
            match g.vcpu.arch.core.sret(bits) {
                Ok(to) => {
                    let saved = saved_a6_a7(g, hart);
                    let arch = hart.arch_mut();
                    arch.pc = to;
                    arch.reservation = None;
                    if let Some([a6, a7]) = saved {
                        arch.x[16] = a6;
                        arch.x[17] = a7;
                    }
                    g.shadow.activate(hart, &g.vcpu);
                    tracing::debug!(target: "monitor", "pc {pc:#x}: pv_sret: to {to:#x}");
                    Some(Handled {
                        handler: "pv_sret",
                        action: Action::Emulated(Emulated::SbiCall),
                        shadow_flushed: false,
                    })
                }
                Err(_) => Some(finish(hart, pc, error(ERR_DENIED, 0), "pv_sret refused")),
            }
        }
        fid::SET_TIMER => {
            g.vcpu.arch.core.set_timer(a0);
            Some(finish(hart, pc, SbiRet::ok(0), "pv_set_timer"))
        }
        fid::MMU_UPDATE => Some(mmu_update(g, hart, pc, a0, a1, a2)),
        _ => Some(finish(
            hart,
            pc,
            SbiRet::err(SbiError::NotSupported),
            "pv: no such function",
        )),
    }
}

/// The interrupted code's `a6` and `a7`, which `pv_sret` needs for
/// itself: the kernel leaves them in the shared page at [`SAVED_A6_A7`]
/// (`None` without a shared page).
fn saved_a6_a7<H: HartPort>(g: &Guest, hart: &H) -> Option<[u64; 2]> {
    let page = paravirt(g)?.shared?;
    let m = g.ram.translate(GuestPhys(page.0 + SAVED_A6_A7), 16)?;
    let mut b = [0u8; 16];
    hart.read_phys(m, &mut b).then(|| {
        let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        [word(0), word(8)]
    })
}

/// `pv_mmu_update`: the PTE writes, checked (each 8-byte aligned, in the
/// guest's RAM), then one flush of the shadow tables if asked.
fn mmu_update<H: HartPort>(
    g: &mut Guest,
    hart: &mut H,
    pc: u64,
    list: u64,
    n: u64,
    flags: u64,
) -> Handled {
    if n > MAX_UPDATES {
        return finish(
            hart,
            pc,
            SbiRet::err(SbiError::InvalidParam),
            "pv_mmu_update",
        );
    }
    let mut done = 0;
    for k in 0..n {
        let mut pair = [0u8; 16];
        let at = list.wrapping_add(16 * k);
        let ok = g
            .ram
            .translate(GuestPhys(at), 16)
            .is_some_and(|m| hart.read_phys(m, &mut pair));
        if !ok {
            return finish(hart, pc, error(ERR_INVALID_ADDRESS, 0), "pv_mmu_update");
        }
        let pte_gpa = u64::from_le_bytes(pair[..8].try_into().unwrap_or([0; 8]));
        let value = &pair[8..];
        let target = (pte_gpa % 8 == 0)
            .then(|| g.ram.translate(GuestPhys(pte_gpa), 8))
            .flatten();
        match target {
            Some(m) => {
                hart.write_phys(m, value);
                done += 1;
            }
            None => return finish(hart, pc, error(ERR_INVALID_ADDRESS, done), "pv_mmu_update"),
        }
    }
    g.stats.strategy.pv_pte_updates += done;
    let flushed = flags & 1 != 0;
    if flushed {
        g.shadow.flush(hart, &g.vcpu);
    }
    let mut h = finish(hart, pc, SbiRet::ok(done), "pv_mmu_update");
    h.shadow_flushed = flushed;
    h
}

/// Writes the result and steps past the `ecall`.
fn finish<H: HartPort>(hart: &mut H, pc: u64, ret: SbiRet, what: &'static str) -> Handled {
    let arch = hart.arch_mut();
    ret.write_to(&mut arch.x);
    arch.x[0] = 0;
    arch.pc = pc.wrapping_add(4);
    tracing::debug!(target: "monitor", "pc {pc:#x}: {what}: {ret}");
    Handled {
        handler: "pv_hypercall",
        action: Action::Emulated(Emulated::SbiCall),
        shadow_flushed: false,
    }
}
