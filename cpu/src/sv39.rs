//! The Sv39 page-table walk (privileged spec 4.3.2 with LEVELS = 3,
//! PTESIZE = 8; 4.4 "Sv39"), with hardware-managed A and D bits (Svadu, as
//! QEMU), written once over any physical memory ([`PhysMem`]).
//!
//! The hart walks its own RAM with it ([`crate::mmu::Mmu`]); the monitor
//! walks a guest's page tables in the guest's RAM with it, under the guest's
//! virtual privileged state, to fill its shadow tables and to read guest
//! memory by virtual address. Both get the same answer because they run the
//! same function.

use crate::privileged::{Core, Priv};
use crate::trap::{Exception, Trap};

/// The page size.
pub const PAGE_SIZE: u64 = 4096;

/// PTE fields (privileged spec 4.4.1, figure "Sv39 page table entry").
pub mod pte {
    pub const V: u64 = 1 << 0;
    pub const R: u64 = 1 << 1;
    pub const W: u64 = 1 << 2;
    pub const X: u64 = 1 << 3;
    pub const U: u64 = 1 << 4;
    pub const G: u64 = 1 << 5;
    pub const A: u64 = 1 << 6;
    pub const D: u64 = 1 << 7;
    /// Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved bits; none of
    /// those extensions is implemented, so any set bit is a page fault.
    pub const RESERVED: u64 = 0x3ff << 54;
    /// The physical page number field (bits 53:10).
    pub const PPN_MASK: u64 = ((1 << 44) - 1) << 10;
    pub const PPN_SHIFT: u32 = 10;
}

/// The kind of a memory access: it picks the permission checked and the
/// exception raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Fetch,
    Load,
    Store,
}

impl Access {
    /// The access a page fault was raised for (`None` for any other cause).
    pub fn of_page_fault(cause: Exception) -> Option<Access> {
        match cause {
            Exception::InstructionPageFault => Some(Access::Fetch),
            Exception::LoadPageFault => Some(Access::Load),
            Exception::StorePageFault => Some(Access::Store),
            _ => None,
        }
    }

    /// The page fault this access raises at `va`.
    pub fn page_fault(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => Exception::InstructionPageFault,
            Access::Load => Exception::LoadPageFault,
            Access::Store => Exception::StorePageFault,
        };
        Trap::Exception { cause, tval: va }
    }

    /// The access fault this access raises at `va`.
    pub fn access_fault(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => Exception::InstructionAccessFault,
            Access::Load => Exception::LoadAccessFault,
            Access::Store => Exception::StoreAccessFault,
        };
        Trap::Exception { cause, tval: va }
    }

    /// The misaligned-address exception this access raises at `va`.
    pub fn misaligned(self, va: u64) -> Trap {
        let cause = match self {
            Access::Fetch => Exception::InstructionMisaligned,
            Access::Load => Exception::LoadMisaligned,
            Access::Store => Exception::StoreMisaligned,
        };
        Trap::Exception { cause, tval: va }
    }
}

/// The physical memory a walk reads page-table entries from: the hart's
/// RAM, or a guest's RAM as the monitor sees it.
pub trait PhysMem {
    /// The 8-byte PTE at physical address `pa`, or `None` where nothing
    /// answers (the walk's access fault).
    fn read_pte(&self, pa: u64) -> Option<u64>;
    /// Writes back a PTE whose A or D bit the walk set; `false` if it could
    /// not be written (an access fault).
    fn write_pte(&mut self, pa: u64, pte: u64) -> bool;
}

/// Whether a walk sets A and D as the hardware does, or only looks (the
/// monitor and the debugger reading guest memory for themselves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    AccessedDirty,
    Nothing,
}

/// Where a walk ended: the leaf PTE (A/D as the walk left them), the level
/// it was found at (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) and the address of the
/// access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leaf {
    pub pa: u64,
    pub pte: u64,
    pub pte_addr: u64,
    pub level: u32,
}

/// The Sv39 walk of `va` for access `acc` under `core`'s `satp`,
/// privilege, `SUM` and `MXR` (privileged spec 4.3.2, LEVELS = 3), setting
/// A (and D on a store) in the leaf PTE as the Svadu extension does when
/// `update` asks for it.
pub fn walk<M: PhysMem + ?Sized>(
    mem: &mut M,
    core: &Core,
    va: u64,
    acc: Access,
    update: Update,
) -> Result<Leaf, Trap> {
    let page_fault = acc.page_fault(va);
    // 4.4.1: bits 63:39 must all equal bit 38.
    if (((va << 25) as i64) >> 25) as u64 != va {
        return Err(page_fault);
    }
    // Step 1.
    let mut table = core.satp_root();
    let mut level: u32 = 2;
    loop {
        let vpn = (va >> (12 + 9 * level)) & 0x1ff;
        let pte_addr = table.wrapping_add(vpn * 8);
        // Step 2: a PTE where nothing answers is an access fault.
        let pte = mem.read_pte(pte_addr).ok_or(acc.access_fault(va))?;
        // Step 3.
        if pte & pte::V == 0 || (pte & pte::R == 0 && pte & pte::W != 0) || pte & pte::RESERVED != 0
        {
            return Err(page_fault);
        }
        let ppn = (pte & pte::PPN_MASK) >> pte::PPN_SHIFT;
        if pte & (pte::R | pte::X) == 0 {
            // Step 4: a pointer to the next level. D, A and U are
            // reserved in non-leaf PTEs.
            if pte & (pte::D | pte::A | pte::U) != 0 || level == 0 {
                return Err(page_fault);
            }
            level -= 1;
            table = ppn << 12;
            continue;
        }
        // Step 5: a leaf; check permissions.
        if !leaf_allows(core, pte, acc) {
            return Err(page_fault);
        }
        // Step 6: a superpage's PPN must be aligned to its size.
        if ppn & ((1u64 << (9 * level)) - 1) != 0 {
            return Err(page_fault);
        }
        // Step 7 (Svadu): set A, and D on a store.
        let mut new = pte | pte::A;
        if acc == Access::Store {
            new |= pte::D;
        }
        let pte = if update == Update::AccessedDirty && new != pte {
            if !mem.write_pte(pte_addr, new) {
                return Err(acc.access_fault(va));
            }
            new
        } else {
            pte
        };
        // Step 8.
        let offset_mask = (1u64 << (12 + 9 * level)) - 1;
        return Ok(Leaf {
            pa: (ppn << 12) | (va & offset_mask),
            pte,
            pte_addr,
            level,
        });
    }
}

/// Privileged spec 4.3.1 and 4.1.1: whether leaf `pte` allows `acc` under
/// `core`: R/W/X, the U bit against the privilege, `SUM` and `MXR`.
pub fn leaf_allows(core: &Core, pte: u64, acc: Access) -> bool {
    let user_page = pte & pte::U != 0;
    let privilege_ok = match core.privilege {
        Priv::User => user_page,
        // S-mode never executes U pages; it loads/stores them only with SUM.
        Priv::Supervisor | Priv::Machine => !user_page || (acc != Access::Fetch && core.sum()),
    };
    let kind_ok = match acc {
        Access::Fetch => pte & pte::X != 0,
        Access::Load => pte & pte::R != 0 || (core.mxr() && pte & pte::X != 0),
        Access::Store => pte & pte::W != 0,
    };
    privilege_ok && kind_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page tables in a little array at physical address 0.
    struct Tables(Vec<u64>);

    impl PhysMem for Tables {
        fn read_pte(&self, pa: u64) -> Option<u64> {
            self.0.get(usize::try_from(pa / 8).ok()?).copied()
        }
        fn write_pte(&mut self, pa: u64, pte: u64) -> bool {
            match self.0.get_mut(pa as usize / 8) {
                Some(p) => {
                    *p = pte;
                    true
                }
                None => false,
            }
        }
    }

    /// Root at 0, one level-1 table at 0x1000 (via vpn2 = 0), a 2 MiB leaf
    /// for va 0 (vpn1 = 0) and a pointer to a level-0 table at 0x2000
    /// (vpn1 = 1) with a 4 KiB leaf for va 0x20_3000.
    fn tables(leaf: u64) -> Tables {
        let mut t = vec![0u64; 3 * 512];
        t[0] = (0x1000 >> 12) << 10 | pte::V;
        t[512] = (0x4000_0000u64 >> 12) << 10 | leaf;
        t[512 + 1] = (0x2000 >> 12) << 10 | pte::V;
        t[1024 + 3] = (0x7000_0000u64 >> 12) << 10 | leaf;
        Tables(t)
    }

    fn sv39() -> Core {
        let mut c = Core::under_see();
        c.csr.satp = 8 << 60;
        c
    }

    #[test]
    fn a_megapage_and_a_page_translate_and_get_a_and_d() {
        let mut t = tables(pte::V | pte::R | pte::W);
        let core = sv39();
        let leaf = walk(&mut t, &core, 0x1234, Access::Load, Update::AccessedDirty).unwrap();
        assert_eq!((leaf.pa, leaf.level), (0x4000_1234, 1));
        assert_eq!(t.0[512] & (pte::A | pte::D), pte::A);
        let leaf = walk(
            &mut t,
            &core,
            0x20_3008,
            Access::Store,
            Update::AccessedDirty,
        )
        .unwrap();
        assert_eq!((leaf.pa, leaf.level), (0x7000_0008, 0));
        assert_eq!(t.0[1024 + 3] & (pte::A | pte::D), pte::A | pte::D);
    }

    #[test]
    fn looking_changes_nothing() {
        let mut t = tables(pte::V | pte::R | pte::W);
        let before = t.0.clone();
        let leaf = walk(&mut t, &sv39(), 0x20_3008, Access::Store, Update::Nothing).unwrap();
        assert_eq!(leaf.pa, 0x7000_0008);
        assert_eq!(t.0, before);
    }

    #[test]
    fn rights_privilege_sum_mxr_and_alignment() {
        let mut core = sv39();
        let exec_only = pte::V | pte::X;
        let mut t = tables(exec_only);
        let fault = |va| Err(Access::Load.page_fault(va));
        assert_eq!(
            walk(&mut t, &core, 0x20_3000, Access::Load, Update::Nothing).map(|l| l.pa),
            fault(0x20_3000)
        );
        core.csr.mstatus |= crate::csr::SSTATUS_MXR;
        assert!(walk(&mut t, &core, 0x20_3000, Access::Load, Update::Nothing).is_ok());
        let mut t = tables(pte::V | pte::R | pte::U);
        assert!(walk(&mut t, &core, 0x20_3000, Access::Load, Update::Nothing).is_err());
        core.csr.mstatus |= crate::csr::SSTATUS_SUM;
        assert!(walk(&mut t, &core, 0x20_3000, Access::Load, Update::Nothing).is_ok());
        assert!(
            walk(&mut t, &core, 0x20_3000, Access::Fetch, Update::Nothing).is_err(),
            "S never runs U pages"
        );
        core.privilege = Priv::User;
        assert!(walk(&mut t, &core, 0x20_3000, Access::Load, Update::Nothing).is_ok());
        // A misaligned megapage (PPN bit 0 set) and a non-canonical va.
        let mut t = tables(pte::V | pte::R | pte::U);
        t.0[512] |= 1 << 10;
        assert!(walk(&mut t, &core, 0x1000, Access::Load, Update::Nothing).is_err());
        assert!(walk(&mut t, &core, 1 << 40, Access::Load, Update::Nothing).is_err());
    }

    #[test]
    fn a_pte_where_nothing_answers_is_an_access_fault() {
        let mut core = sv39();
        core.csr.satp = 8 << 60 | 0x10_0000;
        let mut t = tables(pte::V | pte::R);
        assert_eq!(
            walk(&mut t, &core, 0, Access::Load, Update::Nothing),
            Err(Access::Load.access_fault(0))
        );
    }
}
