//! The Sv39 walk as a debugger makes it (privileged spec 4.3.2 with
//! LEVELS = 3, PTESIZE = 8, and 4.4): the same steps as the hart's, but it
//! only looks. It sets no A or D bit, checks no permission (the debugger
//! reads what the guest maps, whatever the guest may do with it), and
//! records every step, so that `info translate` can show the walk.

use cpu::csr::{SATP_MODE_SV39, SATP_PPN};

const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_PPN_MASK: u64 = (1 << 44) - 1;
const PTE_RESERVED: u64 = 0x3ff << 54;

/// One page-table entry read by the walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    /// 2 (root), 1 or 0.
    pub level: u32,
    /// The physical address of the entry.
    pub pte_addr: u64,
    pub pte: u64,
}

/// A walk and where it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    pub va: u64,
    pub satp: u64,
    pub steps: Vec<WalkStep>,
    /// The physical address, or why there is none.
    pub result: Result<u64, WalkError>,
}

/// Why a virtual address has no translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WalkError {
    #[error("not a canonical Sv39 address (bits 63:39 differ from bit 38)")]
    NotCanonical,
    #[error("the page-table entry at {0:#x} is outside RAM")]
    PteOutsideRam(u64),
    #[error("invalid page-table entry (V = 0) at level {0}")]
    Invalid(u32),
    #[error("reserved page-table entry (W without R, or reserved bits) at level {0}")]
    Reserved(u32),
    #[error("a pointer at level 0 (no leaf found)")]
    NoLeaf,
    #[error("a misaligned superpage at level {0}")]
    MisalignedSuperpage(u32),
}

impl Walk {
    /// Whether paging was on (else the address is its own translation).
    pub fn paged(&self) -> bool {
        self.satp >> 60 == SATP_MODE_SV39
    }
}

/// Walks `va` under `satp`, reading entries with `read_u64` (physical
/// address → value, `None` outside RAM).
pub fn walk(satp: u64, va: u64, read_u64: impl Fn(u64) -> Option<u64>) -> Walk {
    let mut w = Walk {
        va,
        satp,
        steps: Vec::new(),
        result: Ok(va),
    };
    if satp >> 60 != SATP_MODE_SV39 {
        return w;
    }
    if (((va << 25) as i64) >> 25) as u64 != va {
        w.result = Err(WalkError::NotCanonical);
        return w;
    }
    let mut table = (satp & SATP_PPN) << 12;
    let mut level: u32 = 2;
    w.result = loop {
        let pte_addr = table.wrapping_add(((va >> (12 + 9 * level)) & 0x1ff) * 8);
        let Some(pte) = read_u64(pte_addr) else {
            break Err(WalkError::PteOutsideRam(pte_addr));
        };
        w.steps.push(WalkStep {
            level,
            pte_addr,
            pte,
        });
        if pte & PTE_V == 0 {
            break Err(WalkError::Invalid(level));
        }
        if (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0 {
            break Err(WalkError::Reserved(level));
        }
        let ppn = (pte >> 10) & PTE_PPN_MASK;
        if pte & (PTE_R | PTE_X) == 0 {
            if level == 0 {
                break Err(WalkError::NoLeaf);
            }
            level -= 1;
            table = ppn << 12;
            continue;
        }
        if ppn & ((1u64 << (9 * level)) - 1) != 0 {
            break Err(WalkError::MisalignedSuperpage(level));
        }
        let offset_mask = (1u64 << (12 + 9 * level)) - 1;
        break Ok((ppn << 12) | (va & offset_mask));
    };
    w
}

/// A PTE's flags as `DAGUXWRV` letters (`-` for a clear bit), as the
/// privileged spec's figure orders them.
pub fn pte_flags(pte: u64) -> String {
    "DAGUXWRV"
        .chars()
        .enumerate()
        .map(|(i, c)| if pte >> (7 - i) & 1 != 0 { c } else { '-' })
        .collect()
}

/// The size of the page a leaf at `level` maps.
pub fn page_size_name(level: u32) -> &'static str {
    match level {
        0 => "4 KiB page",
        1 => "2 MiB megapage",
        _ => "1 GiB gigapage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn walks_three_levels_to_a_page_and_records_each_step() {
        let root = 0x8010_0000u64;
        let l1 = 0x8010_1000u64;
        let l0 = 0x8010_2000u64;
        let va = 0x4000_1234u64;
        let mut mem = HashMap::new();
        mem.insert(root + ((va >> 30) & 0x1ff) * 8, (l1 >> 12) << 10 | PTE_V);
        mem.insert(l1 + ((va >> 21) & 0x1ff) * 8, (l0 >> 12) << 10 | PTE_V);
        mem.insert(
            l0 + ((va >> 12) & 0x1ff) * 8,
            (0x8030_0000u64 >> 12) << 10 | 0xcf,
        );
        let satp = 8 << 60 | root >> 12;
        let w = walk(satp, va, |a| Some(mem.get(&a).copied().unwrap_or(0)));
        assert_eq!(w.result, Ok(0x8030_0234));
        assert_eq!(w.steps.len(), 3);
        assert_eq!(w.steps[2].level, 0);
        assert_eq!(pte_flags(w.steps[2].pte), "DA--XWRV");
        let w = walk(satp, 0x1234, |a| Some(mem.get(&a).copied().unwrap_or(0)));
        assert_eq!(w.result, Err(WalkError::Invalid(2)));
        assert_eq!(
            walk(satp, 1 << 40, |_| Some(0)).result,
            Err(WalkError::NotCanonical)
        );
        assert_eq!(walk(0, 0x1234, |_| None).result, Ok(0x1234), "bare");
    }
}
