//! The supervisor-level CSRs a guest can reach (privileged spec chapter 4,
//! "Supervisor-Level ISA", and 2.1 "CSR Address Mapping Conventions"), with
//! their WARL rules, plus the counters of the unprivileged spec (chapter 10,
//! "Zicntr").
//!
//! This module holds the registers and their fields; the rules that read
//! and write them (access checks, WARL legalisation) are the privileged
//! core's ([`crate::privileged::Core::csr_read`], `csr_write`), so that the
//! real hart and the monitor's virtual harts obey the same ones.
//!
//! M-mode is the host: every M-level CSR is an illegal instruction for the
//! guest, and so is every CSR this hart does not implement. The host reads
//! and writes the M-level state directly through [`Csrs`].

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

/// The CSR state of one hart. The S-mode CSRs `sstatus`, `sie` and `sip`
/// are views of `mstatus`, `mie` and `mip` (privileged spec 4.1.1, 4.1.3);
/// the host reads and writes the M-level fields directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Csrs {
    pub mstatus: u64,
    pub mie: u64,
    pub mip: u64,
    pub medeleg: u64,
    pub mideleg: u64,
    pub mcounteren: u64,
    pub stvec: u64,
    pub sscratch: u64,
    pub sepc: u64,
    pub scause: u64,
    pub stval: u64,
    pub satp: u64,
    pub scounteren: u64,
}
