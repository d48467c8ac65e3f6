//! The machine as GDB sees it: RV64's registers in GDB's numbering and the
//! target description that names them (GDB manual, "Target Descriptions",
//! and "RISC-V Features": `org.gnu.gdb.riscv.cpu`, `.csr`, `.virtual`).
//!
//! GDB numbers RISC-V registers `x0`..`x31` = 0..31, `pc` = 32, the
//! floating-point registers after them, CSR number `n` = 65 + `n`, and the
//! privilege level `priv` = 65 + 4096 (`riscv-tdep.h`). The `g` packet
//! carries `x0`..`x31` and `pc` (as QEMU's does); GDB asks for each CSR and
//! `priv` with a `p` packet, by the numbers the description gives.

use std::fmt::Write;
use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, Registers};

/// GDB's number of CSR 0.
pub const CSR_BASE: usize = 65;
/// GDB's number of the virtual register `priv`.
pub const PRIV: usize = CSR_BASE + 4096;
/// GDB's number of `pc`.
pub const PC: usize = 32;

/// RV64 with the registers trapvisor's harts have (no floating point).
pub enum Rv64 {}

/// The registers of a `g` packet: `x0`..`x31` and `pc`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CoreRegs {
    pub x: [u64; 32],
    pub pc: u64,
}

impl Registers for CoreRegs {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        self.pc
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for v in self.x.iter().chain(std::iter::once(&self.pc)) {
            for b in v.to_le_bytes() {
                write_byte(Some(b));
            }
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        if bytes.len() != 33 * 8 {
            return Err(());
        }
        let mut words = bytes.chunks_exact(8).map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_le_bytes(b)
        });
        for r in &mut self.x {
            *r = words.next().ok_or(())?;
        }
        self.pc = words.next().ok_or(())?;
        Ok(())
    }
}

/// One register, by GDB's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reg {
    X(u8),
    Pc,
    Csr(u16),
    /// The privilege level the hart runs the guest in (0 U, 1 S, 3 M).
    Priv,
}

impl gdbstub::arch::RegId for Reg {
    fn from_raw_id(id: usize) -> Option<(Reg, Option<NonZeroUsize>)> {
        let reg = match id {
            0..=31 => Reg::X(id as u8),
            PC => Reg::Pc,
            PRIV => Reg::Priv,
            n if (CSR_BASE..CSR_BASE + 4096).contains(&n) => Reg::Csr((n - CSR_BASE) as u16),
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(8)))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(match self {
            Reg::X(n) => usize::from(*n),
            Reg::Pc => PC,
            Reg::Csr(n) => CSR_BASE + usize::from(*n),
            Reg::Priv => PRIV,
        })
    }
}

impl Arch for Rv64 {
    type Usize = u64;
    type Registers = CoreRegs;
    /// The length GDB gives a `Z` packet (4, or 2 for a compressed
    /// instruction): any is accepted, the breakpoint is at the address.
    type BreakpointKind = usize;
    type RegId = Reg;
}

/// The target description for a machine whose CSRs are `csrs` (by name;
/// names that are not CSRs are left out): GDB's RISC-V features, with
/// GDB's own register numbers, so that `info registers`, `p $sstatus` and
/// `p $priv` work as they do with QEMU.
pub fn target_xml(csrs: &[&str]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n<architecture>riscv:rv64</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n",
    );
    for (i, name) in cpu::isa::REG_NAMES.iter().enumerate() {
        let ty = match *name {
            "ra" => "code_ptr",
            "sp" | "gp" | "tp" | "s0" => "data_ptr",
            _ => "int",
        };
        // GDB knows `s0` as `fp` too; the description uses its ABI name.
        let _ = writeln!(
            s,
            "<reg name=\"{name}\" bitsize=\"64\" type=\"{ty}\" regnum=\"{i}\"/>"
        );
    }
    let _ = writeln!(
        s,
        "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"{PC}\"/>\n</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">"
    );
    let mut numbered: Vec<(u16, &str)> = csrs
        .iter()
        .filter_map(|n| cpu::isa::csr_by_name(n).map(|a| (a, *n)))
        .collect();
    numbered.sort_unstable();
    numbered.dedup();
    for (a, name) in numbered {
        let _ = writeln!(
            s,
            "<reg name=\"{name}\" bitsize=\"64\" type=\"int\" regnum=\"{}\" group=\"system\"/>",
            CSR_BASE + usize::from(a)
        );
    }
    let _ = writeln!(
        s,
        "</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n<reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"{PRIV}\" group=\"system\"/>\n</feature>\n</target>"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use gdbstub::arch::RegId;

    #[test]
    fn gdb_numbers_name_the_registers_both_ways() {
        for id in [0, 2, 31, PC, CSR_BASE + 0x100, CSR_BASE + 0x180, PRIV] {
            let (r, size) = Reg::from_raw_id(id).expect("a register");
            assert_eq!(size.map(NonZeroUsize::get), Some(8));
            assert_eq!(r.to_raw_id(), Some(id));
        }
        assert_eq!(
            Reg::from_raw_id(0x141 + CSR_BASE).unwrap().0,
            Reg::Csr(0x141)
        );
        assert!(Reg::from_raw_id(33).is_none(), "no floating point");
        assert!(Reg::from_raw_id(PRIV + 1).is_none());
    }

    #[test]
    fn the_g_packet_is_x_then_pc_little_endian() {
        let mut r = CoreRegs::default();
        r.x[1] = 0x8020_0010;
        r.pc = 0x1122_3344_5566_7788;
        let mut bytes = Vec::new();
        r.gdb_serialize(|b| bytes.push(b.unwrap()));
        assert_eq!(bytes.len(), 33 * 8);
        assert_eq!(&bytes[8..12], &[0x10, 0x00, 0x20, 0x80]);
        assert_eq!(bytes[32 * 8], 0x88);
        let mut back = CoreRegs::default();
        back.gdb_deserialize(&bytes).unwrap();
        assert_eq!(back, r);
        assert!(back.gdb_deserialize(&bytes[1..]).is_err());
    }

    #[test]
    fn the_description_numbers_csrs_and_priv_as_gdb_does() {
        let xml = target_xml(&["sstatus", "satp", "not-a-csr", "sepc"]);
        assert!(xml.contains("<architecture>riscv:rv64</architecture>"));
        assert!(xml.contains("<reg name=\"zero\" bitsize=\"64\" type=\"int\" regnum=\"0\"/>"));
        assert!(xml.contains("<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\" regnum=\"32\"/>"));
        // sstatus is CSR 0x100: GDB's number 65 + 256.
        assert!(xml.contains("<reg name=\"sstatus\" bitsize=\"64\" type=\"int\" regnum=\"321\""));
        assert!(xml.contains("<reg name=\"satp\" bitsize=\"64\" type=\"int\" regnum=\"449\""));
        assert!(xml.contains("<reg name=\"priv\" bitsize=\"64\" type=\"int\" regnum=\"4161\""));
        assert!(!xml.contains("not-a-csr"));
        // By number: sstatus (0x100) before sepc (0x141) before satp (0x180).
        let at = |n: &str| xml.find(&format!("\"{n}\"")).unwrap();
        assert!(at("sstatus") < at("sepc") && at("sepc") < at("satp"));
    }
}
