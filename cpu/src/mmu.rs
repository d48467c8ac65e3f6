//! Address translation: Sv39 paging (privileged spec 4.4 "Sv39", walk of
//! 4.3.2 with LEVELS = 3, PTESIZE = 8) with hardware-managed A and D bits
//! (Svadu, as QEMU), and the software TLB that makes bare and paged code
//! run the same fast path.
//!
//! The TLB holds one entry per 4 KiB virtual page for each kind of access
//! (fetch, load, store) and maps it straight to an offset in RAM. An entry is
//! tagged with the page address and a context (privilege, `SUM`, `MXR`), so
//! changing privilege never needs a flush. Only pages that lie wholly in RAM
//! are cached: device pages always take the slow path. A store entry exists
//! only for a page whose PTE already has D set and that holds no decoded
//! code (so a fast store never has to look at the decode cache). In bare
//! mode the entries hold identity translations.

use crate::csr::{SATP_MODE_SV39, SATP_PPN, SSTATUS_MXR, SSTATUS_SUM};
use crate::hart::{Hart, Priv, RAM_BASE};
use crate::trap::{Exception, Trap};

/// The page size.
pub const PAGE_SIZE: u64 = 4096;
/// Entries per TLB (each of fetch, load, store). A power of two.
pub(crate) const TLB_ENTRIES: usize = 512;

/// The kind of a memory access: it picks the permission checked and the
/// exception raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// One TLB entry: `tag` is the virtual page address ORed with the context;
/// the RAM offset of `va` in that page is `va + addend` (wrapping).
/// `repr(C)`: translated code reads `tag` at offset 0 and `addend` at 8.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(crate) struct TlbEntry {
    tag: u64,
    addend: u64,
}

/// An invalid tag: its low 12 bits (all ones) never equal a context.
const INVALID: TlbEntry = TlbEntry {
    tag: u64::MAX,
    addend: 0,
};

/// The entries of a [`Tlb`].
pub(crate) type TlbEntries = [TlbEntry; TLB_ENTRIES];

/// The RAM offset of `va` for an access of `N` bytes, if `va` is
/// `N`-aligned and `entries` cache its page for context `ctx`. One compare
/// checks both: a context has its low [`CTX_SHIFT`] bits clear, so the low
/// bits of a misaligned `va`, kept in the key, never match a tag (nor the
/// invalid tag, whose low 12 bits are all ones).
#[inline(always)]
pub(crate) fn lookup_aligned<const N: usize>(
    entries: &TlbEntries,
    va: u64,
    ctx: u64,
) -> Option<u64> {
    const { assert!(N.is_power_of_two() && N <= 1 << CTX_SHIFT) };
    let e = &entries[(va >> 12) as usize & (TLB_ENTRIES - 1)];
    if e.tag == (va & (!(PAGE_SIZE - 1) | (N as u64 - 1))) | ctx {
        Some(va.wrapping_add(e.addend))
    } else {
        None
    }
}

/// Contexts are shifted left by this many bits (see [`lookup_aligned`]).
pub(crate) const CTX_SHIFT: u32 = 3;

/// A direct-mapped TLB for one kind of access.
#[derive(Clone, Debug)]
pub(crate) struct Tlb {
    entries: Box<TlbEntries>,
}

impl Tlb {
    pub(crate) fn new() -> Tlb {
        Tlb {
            entries: Box::new([INVALID; TLB_ENTRIES]),
        }
    }

    pub(crate) fn flush(&mut self) {
        self.entries.fill(INVALID);
    }

    /// The RAM offset of `va`, if its page is cached for context `ctx`.
    #[inline(always)]
    pub(crate) fn lookup(&self, va: u64, ctx: u64) -> Option<u64> {
        // (A 1-byte access: any alignment.)
        lookup_aligned::<1>(&self.entries, va, ctx)
    }

    /// The entries themselves, for the hart's fast loop (one load fewer per
    /// access than through the `Tlb`).
    pub(crate) fn entries(&self) -> &TlbEntries {
        &self.entries
    }

    /// Caches: the page of `va` is the RAM page at offset `ram_page`.
    pub(crate) fn fill(&mut self, va: u64, ctx: u64, ram_page: u64) {
        let page = va & !(PAGE_SIZE - 1);
        self.entries[(va >> 12) as usize & (TLB_ENTRIES - 1)] = TlbEntry {
            tag: page | ctx,
            addend: ram_page.wrapping_sub(page),
        };
    }
}

// PTE fields (privileged spec 4.4.1, figure "Sv39 page table entry").
const PTE_V: u64 = 1 << 0;
const PTE_R: u64 = 1 << 1;
const PTE_W: u64 = 1 << 2;
const PTE_X: u64 = 1 << 3;
const PTE_U: u64 = 1 << 4;
const PTE_A: u64 = 1 << 6;
const PTE_D: u64 = 1 << 7;
/// Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved bits; none of those
/// extensions is implemented, so any set bit is a page fault.
const PTE_RESERVED: u64 = 0x3ff << 54;
const PTE_PPN_SHIFT: u32 = 10;
const PTE_PPN_MASK: u64 = (1 << 44) - 1;

impl Hart {
    /// The TLB context of the current state: privilege, `SUM` and `MXR`.
    pub(crate) fn tlb_context(&self) -> u64 {
        let p = match self.privilege {
            Priv::User => 0,
            Priv::Supervisor => 1,
            Priv::Machine => 3,
        };
        let sum = (self.csr.mstatus & SSTATUS_SUM != 0) as u64;
        let mxr = (self.csr.mstatus & SSTATUS_MXR != 0) as u64;
        (p | (sum << 2) | (mxr << 3)) << CTX_SHIFT
    }

    /// The RAM offset of `[pa, pa + size)`, if it lies wholly in RAM.
    #[inline]
    pub(crate) fn ram_offset(&self, pa: u64, size: u64) -> Option<usize> {
        let off = pa.checked_sub(RAM_BASE)?;
        let end = off.checked_add(size)?;
        (end <= self.ram.len() as u64).then_some(off as usize)
    }

    /// Translates `va` for an access of kind `acc` at the current privilege,
    /// walking the page table when paging is on, and caches the result in
    /// the TLB when the page is RAM. Returns the physical address; whether
    /// anything answers there is the caller's business (access fault).
    pub(crate) fn translate(&mut self, va: u64, acc: Access) -> Result<u64, Trap> {
        let pa = if self.csr.satp >> 60 == SATP_MODE_SV39 {
            self.walk(va, acc)?
        } else {
            va
        };
        let page = pa & !(PAGE_SIZE - 1);
        if let Some(off) = self.ram_offset(page, PAGE_SIZE) {
            // Stores into a page with decoded code must go the slow way,
            // which keeps the decode cache coherent.
            if acc == Access::Store && self.dc.has_code(off >> 12) {
                return Ok(pa);
            }
            // A watched page takes the slow path, which notes the access.
            if !self.tlb_may_cache(va, acc) {
                return Ok(pa);
            }
            if acc == Access::Store {
                // Stores through the entry will not be seen one by one: the
                // page counts as written from now on (`crate::debug`).
                self.debug.mark_dirty(off, PAGE_SIZE as usize);
            }
            let ctx = self.ctx;
            let tlb = match acc {
                Access::Fetch => &mut self.tlb_x,
                Access::Load => &mut self.tlb_r,
                Access::Store => &mut self.tlb_w,
            };
            tlb.fill(va, ctx, off as u64);
        }
        Ok(pa)
    }

    /// The Sv39 walk (privileged spec 4.3.2, LEVELS = 3), setting A (and D
    /// on a store) in the leaf PTE as the Svadu extension does.
    fn walk(&mut self, va: u64, acc: Access) -> Result<u64, Trap> {
        let page_fault = acc.page_fault(va);
        // 4.4.1: bits 63:39 must all equal bit 38.
        if (((va << 25) as i64) >> 25) as u64 != va {
            return Err(page_fault);
        }
        let mut table = (self.csr.satp & SATP_PPN) << 12;
        let mut level: u32 = 2;
        loop {
            let vpn = (va >> (12 + 9 * level)) & 0x1ff;
            let pte_addr = table.wrapping_add(vpn * 8);
            // Step 2: a PTE outside RAM is an access fault.
            let off = self.ram_offset(pte_addr, 8).ok_or(acc.access_fault(va))?;
            let pte = self.ram_read_u64(off);
            // Step 3.
            if pte & PTE_V == 0 || (pte & PTE_R == 0 && pte & PTE_W != 0) || pte & PTE_RESERVED != 0
            {
                return Err(page_fault);
            }
            let ppn = (pte >> PTE_PPN_SHIFT) & PTE_PPN_MASK;
            if pte & (PTE_R | PTE_X) == 0 {
                // Step 4: a pointer to the next level. D, A and U are
                // reserved in non-leaf PTEs.
                if pte & (PTE_D | PTE_A | PTE_U) != 0 || level == 0 {
                    return Err(page_fault);
                }
                level -= 1;
                table = ppn << 12;
                continue;
            }
            // Step 5: a leaf; check permissions.
            if !self.leaf_allows(pte, acc) {
                return Err(page_fault);
            }
            // Step 6: a superpage's PPN must be aligned to its size.
            let low_bits = (1u64 << (9 * level)) - 1;
            if ppn & low_bits != 0 {
                return Err(page_fault);
            }
            // Step 7 (Svadu): set A, and D on a store.
            let mut new = pte | PTE_A;
            if acc == Access::Store {
                new |= PTE_D;
            }
            if new != pte {
                self.ram_write(off, &new.to_le_bytes());
            }
            // Step 8.
            let offset_mask = (1u64 << (12 + 9 * level)) - 1;
            return Ok((ppn << 12) | (va & offset_mask));
        }
    }

    /// Privileged spec 4.3.1 and 4.1.1: R/W/X, the U bit against the
    /// privilege, `SUM` and `MXR`.
    fn leaf_allows(&self, pte: u64, acc: Access) -> bool {
        let user_page = pte & PTE_U != 0;
        let sum = self.csr.mstatus & SSTATUS_SUM != 0;
        let mxr = self.csr.mstatus & SSTATUS_MXR != 0;
        let privilege_ok = match self.privilege {
            Priv::User => user_page,
            // S-mode never executes U pages; it loads/stores them only with SUM.
            Priv::Supervisor | Priv::Machine => !user_page || (acc != Access::Fetch && sum),
        };
        let kind_ok = match acc {
            Access::Fetch => pte & PTE_X != 0,
            Access::Load => pte & PTE_R != 0 || (mxr && pte & PTE_X != 0),
            Access::Store => pte & PTE_W != 0,
        };
        privilege_ok && kind_ok
    }

    /// Forgets every cached translation (after `sfence.vma`, a `satp`
    /// write, or the host editing page tables).
    pub fn flush_tlb(&mut self) {
        self.tlb_x.flush();
        self.tlb_r.flush();
        self.tlb_w.flush();
        self.tlb_satp = self.csr.satp;
    }
}
