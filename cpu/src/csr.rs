//! The supervisor-level CSRs a guest can reach (privileged spec chapter 4,
//! "Supervisor-Level ISA", and 2.1 "CSR Address Mapping Conventions"), with
//! their WARL rules, plus the counters of the unprivileged spec (chapter 10,
//! "Zicntr").
//!
//! M-mode is the host: every M-level CSR is an illegal instruction for the
//! guest, and so is every CSR this hart does not implement. The host reads
//! and writes the M-level state directly through [`Csrs`](crate::hart::Csrs).

use crate::hart::{Hart, Priv};

/// `sstatus.SIE`: S-mode interrupts enabled.
pub const SSTATUS_SIE: u64 = 1 << 1;
/// `sstatus.SPIE`: `SIE` before the last trap into S-mode.
pub const SSTATUS_SPIE: u64 = 1 << 5;
/// `sstatus.UBE`: U-mode big-endian (read-only 0: little-endian only).
pub const SSTATUS_UBE: u64 = 1 << 6;
/// `sstatus.SPP`: the privilege before the last trap into S-mode (1 = S).
pub const SSTATUS_SPP: u64 = 1 << 8;
/// `sstatus.VS` (read-only 0: no vector unit).
pub const SSTATUS_VS: u64 = 3 << 9;
/// `sstatus.FS` (read-only 0: no floating point).
pub const SSTATUS_FS: u64 = 3 << 13;
/// `sstatus.XS` (read-only 0: no custom extension state).
pub const SSTATUS_XS: u64 = 3 << 15;
/// `sstatus.SUM`: S-mode may load/store U pages.
pub const SSTATUS_SUM: u64 = 1 << 18;
/// `sstatus.MXR`: loads from execute-only pages succeed.
pub const SSTATUS_MXR: u64 = 1 << 19;
/// `sstatus.UXL`: U-mode XLEN (read-only 2: 64 bits).
pub const SSTATUS_UXL: u64 = 3 << 32;
/// `sstatus.SD`: some dirty extension state (always 0 here).
pub const SSTATUS_SD: u64 = 1 << 63;
/// The `mstatus` bits visible through `sstatus` (privileged spec 4.1.1).
pub const SSTATUS_READ_MASK: u64 = SSTATUS_SIE
    | SSTATUS_SPIE
    | SSTATUS_UBE
    | SSTATUS_SPP
    | SSTATUS_VS
    | SSTATUS_FS
    | SSTATUS_XS
    | SSTATUS_SUM
    | SSTATUS_MXR
    | SSTATUS_UXL
    | SSTATUS_SD;
/// The `sstatus` bits a guest can change; everything else is read-only.
pub const SSTATUS_WRITE_MASK: u64 =
    SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR;

/// `mstatus.SXL`: S-mode XLEN (2: 64 bits).
pub const MSTATUS_SXL: u64 = 3 << 34;
/// `mstatus.TVM`: trap `satp` accesses and `sfence.vma` in S-mode.
pub const MSTATUS_TVM: u64 = 1 << 20;
/// `mstatus.TW`: trap `wfi` in S-mode.
pub const MSTATUS_TW: u64 = 1 << 21;
/// `mstatus.TSR`: trap `sret` in S-mode.
pub const MSTATUS_TSR: u64 = 1 << 22;
/// `mstatus` at reset: UXL = SXL = 2 (64-bit), everything else 0.
pub const MSTATUS_RESET: u64 = (2 << 32) | (2 << 34);

/// Supervisor software interrupt bit of `sip`/`sie` (`mip`/`mie`).
pub const SSIP: u64 = 1 << 1;
/// Supervisor timer interrupt bit.
pub const STIP: u64 = 1 << 5;
/// Supervisor external interrupt bit.
pub const SEIP: u64 = 1 << 9;
/// The S-level interrupts, the only ones this hart knows.
pub const S_INTERRUPTS: u64 = SSIP | STIP | SEIP;

/// `satp.MODE` values (privileged spec 4.1.11).
pub const SATP_MODE_BARE: u64 = 0;
pub const SATP_MODE_SV39: u64 = 8;
/// `satp.PPN`: the root page table's physical page number.
pub const SATP_PPN: u64 = (1 << 44) - 1;
/// `satp.ASID` (16 bits, as QEMU).
pub const SATP_ASID: u64 = 0xffff << 44;

/// CSR numbers the hart implements.
pub mod addr {
    pub const SSTATUS: u16 = 0x100;
    pub const SIE: u16 = 0x104;
    pub const STVEC: u16 = 0x105;
    pub const SCOUNTEREN: u16 = 0x106;
    pub const SENVCFG: u16 = 0x10a;
    pub const SSCRATCH: u16 = 0x140;
    pub const SEPC: u16 = 0x141;
    pub const SCAUSE: u16 = 0x142;
    pub const STVAL: u16 = 0x143;
    pub const SIP: u16 = 0x144;
    pub const SATP: u16 = 0x180;
    pub const CYCLE: u16 = 0xc00;
    pub const TIME: u16 = 0xc01;
    pub const INSTRET: u16 = 0xc02;
    pub const HPMCOUNTER31: u16 = 0xc1f;
}

/// A CSR access the guest may not make: the instruction is illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CsrIllegal;

impl Hart {
    /// Privileged spec 2.1: bits 9:8 of a CSR number give the lowest
    /// privilege that may access it; M-level CSRs are the host's.
    fn csr_accessible(&self, csr: u16) -> bool {
        let needed = (csr >> 8) & 3;
        let have = match self.privilege {
            Priv::User => 0,
            Priv::Supervisor | Priv::Machine => 1,
        };
        needed <= have
    }

    /// Zicntr: `cycle`, `time`, `instret` and `hpmcounterN` are readable
    /// from S-mode when `mcounteren` allows it, and from U-mode when
    /// `scounteren` allows it too (privileged spec 3.1.11, 4.1.5).
    fn counter_enabled(&self, csr: u16) -> bool {
        let bit = 1u64 << (csr - addr::CYCLE);
        match self.privilege {
            Priv::User => self.csr.mcounteren & self.csr.scounteren & bit != 0,
            Priv::Supervisor => self.csr.mcounteren & bit != 0,
            Priv::Machine => true,
        }
    }

    /// Reads CSR `csr` as the guest at the current privilege sees it.
    pub(crate) fn csr_read(&self, csr: u16) -> Result<u64, CsrIllegal> {
        if !self.csr_accessible(csr) {
            return Err(CsrIllegal);
        }
        let c = &self.csr;
        Ok(match csr {
            addr::SSTATUS => c.mstatus & SSTATUS_READ_MASK,
            addr::SIE => c.mie & c.mideleg & S_INTERRUPTS,
            addr::STVEC => c.stvec,
            addr::SCOUNTEREN => c.scounteren,
            addr::SENVCFG => 0,
            addr::SSCRATCH => c.sscratch,
            // IALIGN = 32: sepc[1] reads as zero (privileged spec 4.1.7).
            addr::SEPC => c.sepc & !3,
            addr::SCAUSE => c.scause,
            addr::STVAL => c.stval,
            addr::SIP => c.mip & c.mideleg & S_INTERRUPTS,
            addr::SATP => {
                if self.privilege == Priv::Supervisor && c.mstatus & MSTATUS_TVM != 0 {
                    return Err(CsrIllegal);
                }
                c.satp
            }
            addr::CYCLE..=addr::HPMCOUNTER31 => {
                if !self.counter_enabled(csr) {
                    return Err(CsrIllegal);
                }
                match csr {
                    addr::CYCLE | addr::INSTRET => self.instret,
                    addr::TIME => self.time(),
                    _ => 0,
                }
            }
            _ => return Err(CsrIllegal),
        })
    }

    /// Writes CSR `csr` as the guest at the current privilege would, with
    /// each register's WARL rule. Read-only and unknown CSRs are illegal.
    pub(crate) fn csr_write(&mut self, csr: u16, v: u64) -> Result<(), CsrIllegal> {
        // Bits 11:10 = 0b11: read-only (privileged spec 2.1).
        if !self.csr_accessible(csr) || csr >> 10 == 3 {
            return Err(CsrIllegal);
        }
        let c = &mut self.csr;
        match csr {
            addr::SSTATUS => {
                c.mstatus = (c.mstatus & !SSTATUS_WRITE_MASK) | (v & SSTATUS_WRITE_MASK);
            }
            addr::SIE => {
                let mask = c.mideleg & S_INTERRUPTS;
                c.mie = (c.mie & !mask) | (v & mask);
            }
            // Modes 2 and 3 are reserved: such a write is ignored (as QEMU).
            addr::STVEC => {
                if v & 3 < 2 {
                    c.stvec = v;
                }
            }
            addr::SCOUNTEREN => c.scounteren = v & 0xffff_ffff,
            addr::SENVCFG => {}
            addr::SSCRATCH => c.sscratch = v,
            addr::SEPC => c.sepc = v & !1,
            addr::SCAUSE => c.scause = v,
            addr::STVAL => c.stval = v,
            // Only SSIP is writable from S-mode (privileged spec 4.1.3).
            addr::SIP => {
                let mask = c.mideleg & SSIP;
                c.mip = (c.mip & !mask) | (v & mask);
            }
            addr::SATP => {
                if self.privilege == Priv::Supervisor && c.mstatus & MSTATUS_TVM != 0 {
                    return Err(CsrIllegal);
                }
                // WARL: a write with an unsupported MODE has no effect at all.
                let mode = v >> 60;
                if mode == SATP_MODE_BARE || mode == SATP_MODE_SV39 {
                    c.satp = v & (0xf << 60 | SATP_ASID | SATP_PPN);
                    self.flush_tlb();
                }
            }
            _ => return Err(CsrIllegal),
        }
        Ok(())
    }
}
