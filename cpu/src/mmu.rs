//! Memory as an instruction sees it: address translation (the Sv39 walk of
//! [`crate::sv39`], under the hart's privileged state), the software TLB that
//! makes bare and paged code run the same fast path, RAM, and the devices
//! beyond it.
//!
//! The TLB holds one entry per 4 KiB virtual page for each kind of access
//! (fetch, load, store) and maps it straight to an offset in RAM. An entry is
//! tagged with the page address and a context (privilege, `SUM`, `MXR`), so
//! changing privilege never needs a flush. Only pages that lie wholly in RAM
//! are cached: device pages always take the slow path. A store entry exists
//! only for a page whose PTE already has D set and that holds no decoded
//! code (so a fast store never has to look at the decode cache). In bare
//! mode the entries hold identity translations.

use crate::debug::{Watch, WatchHit};
use crate::devices::Devices;
use crate::privileged::{Core, Priv};
use crate::ram::{Ram, RamError};
use crate::sv39::{self, Update};
use crate::trap::Trap;

pub use crate::sv39::{Access, PAGE_SIZE};

/// Entries per TLB (each of fetch, load, store). A power of two.
pub(crate) const TLB_ENTRIES: usize = 512;

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

/// The TLB context of `core`'s privilege, `SUM` and `MXR` (bits 3 to 6),
/// under address-space tag `space` (bits 7 to 11, see [`Tlbs`]).
pub(crate) fn context(core: &Core, space: u64) -> u64 {
    let p = match core.privilege {
        Priv::User => 0,
        Priv::Supervisor => 1,
        Priv::Machine => 3,
    };
    (p | ((core.sum() as u64) << 2) | ((core.mxr() as u64) << 3) | space << 4) << CTX_SHIFT
}

/// Tags a set of TLBs hands out before it is wiped: each fits in its
/// entries' context (which still fits below a page address).
const TAGS: u64 = 32;

/// Address spaces whose TLBs are kept while another one runs, at most.
/// Each set is 24 KiB; only a host that moves the hart between page
/// tables without a flush has any.
const MAX_PARKED: usize = 127;

/// A set of TLBs (fetch, load, store) and the last tag its entries got.
///
/// Each address space (a `satp`) has a set of its own while the TLBs are
/// not flushed. A `satp` that changes without a flush (a host that moves
/// the hart between page tables it keeps itself, such as the monitor's
/// shadow tables for each guest and each virtual mode) parks the current
/// set and takes that `satp`'s, a swap of pointers: going back to a
/// `satp` finds its entries still there, however many address spaces ran
/// in between (up to [`MAX_PARKED`]), and guests side by side, which use
/// the same virtual pages, do not evict each other's entries. A flush
/// retires every set's entries at once by giving each set a fresh tag when
/// it is next used; a set is only wiped when its tags run out. A hart
/// that never changes `satp` without a flush (natively) has one set.
#[derive(Clone, Debug)]
struct Tlbs {
    x: Tlb,
    r: Tlb,
    w: Tlb,
    tag: u64,
}

impl Tlbs {
    fn new() -> Tlbs {
        Tlbs {
            x: Tlb::new(),
            r: Tlb::new(),
            w: Tlb::new(),
            tag: 0,
        }
    }

    fn retag(&mut self) {
        self.tag = next_tag(self.tag, [&mut self.x, &mut self.r, &mut self.w]);
    }
}

/// A tag none of the entries of the set `tlbs` (last tagged `tag`) has:
/// the next one, or 0 with the set wiped when the tags run out.
fn next_tag(tag: u64, tlbs: [&mut Tlb; 3]) -> u64 {
    if tag + 1 < TAGS {
        return tag + 1;
    }
    for tlb in tlbs {
        tlb.flush();
    }
    0
}

/// The TLBs of an address space that is not the current one.
#[derive(Clone, Debug)]
struct Parked {
    satp: u64,
    tlbs: Tlbs,
    /// [`Mmu::epoch`] when it was parked.
    epoch: u64,
    /// When it was last current ([`Mmu::switches`]): the least recently
    /// used set goes first when there are too many.
    used: u64,
}

/// The hart's memory: RAM with its decode cache, and the TLBs in front.
#[derive(Clone, Debug)]
pub struct Mmu {
    pub(crate) ram: Ram,
    pub(crate) tlb_x: Tlb,
    pub(crate) tlb_r: Tlb,
    pub(crate) tlb_w: Tlb,
    /// The TLB context of the current privilege/SUM/MXR and address space.
    pub(crate) ctx: u64,
    /// The `satp` the TLB is being filled under now.
    pub(crate) tlb_satp: u64,
    /// The current set's tag ([`Tlbs`]).
    tag: u64,
    /// The other address spaces' sets since the last flush ([`Tlbs`]).
    parked: Vec<Parked>,
    /// Sets no address space has (retired by a flush), for reuse.
    free: Vec<Tlbs>,
    /// Changes whenever load or store entries are forgotten in every
    /// address space: a parked set forgets its own when it comes back.
    epoch: u64,
    /// Address-space switches so far.
    switches: u64,
    /// Watched ranges (a debugger's, [`crate::debug`]): their pages get no
    /// TLB entry for the watched kind of access.
    pub(crate) watches: Vec<Watch>,
    /// An access to a watched range by the instruction running now.
    pub(crate) hit: Option<WatchHit>,
}

impl Mmu {
    /// `ram_size` bytes of RAM (rounded up to pages) behind empty TLBs, or
    /// why the host cannot reserve them.
    pub(crate) fn new(ram_size: u64, core: &Core) -> Result<Mmu, RamError> {
        Ok(Mmu {
            ram: Ram::new(ram_size)?,
            tlb_x: Tlb::new(),
            tlb_r: Tlb::new(),
            tlb_w: Tlb::new(),
            ctx: context(core, 0),
            tlb_satp: core.csr.satp,
            tag: 0,
            parked: Vec::new(),
            free: Vec::new(),
            epoch: 0,
            switches: 0,
            watches: Vec::new(),
            hit: None,
        })
    }

    /// Whether a load or store TLB entry may be made for the page of `va`:
    /// not when that kind of access to it is watched.
    fn tlb_may_cache(&self, va: u64, acc: Access) -> bool {
        if self.watches.is_empty() {
            return true;
        }
        let page = va & !(PAGE_SIZE - 1);
        !self.watches.iter().any(|w| {
            w.on_page(page)
                && match acc {
                    Access::Load => w.read,
                    Access::Store => w.write,
                    Access::Fetch => false,
                }
        })
    }

    /// A load (`read`) and/or store (`write`) of `size` bytes at `va`, by
    /// the instruction at `pc`, is about to complete: note it if it touches
    /// a watched range.
    #[inline]
    pub(crate) fn note_access(&mut self, va: u64, size: u64, read: bool, write: bool, pc: u64) {
        if self.watches.is_empty() {
            return;
        }
        let hit = self
            .watches
            .iter()
            .any(|w| w.overlaps(va, size) && ((read && w.read) || (write && w.write)));
        if hit {
            self.hit = Some(WatchHit {
                va,
                size,
                read,
                write,
                pc,
            });
        }
    }

    /// Catches up with what `core` changed: the TLB context, and a new
    /// `satp` (a host changed it without a flush: the address space of
    /// that `satp`, whose entries are kept apart from the old one's).
    #[inline(always)]
    pub(crate) fn sync(&mut self, core: &Core) {
        if core.csr.satp != self.tlb_satp {
            self.switch_space(core.csr.satp);
        }
        self.ctx = context(core, self.tag);
    }

    /// Makes `satp`'s address space the current one: its own TLBs if it
    /// has a set since the last flush, else a set with a fresh tag; the
    /// current set is parked ([`Tlbs`]). (Out of line: `sync` runs before
    /// every block, this only when a host moved `satp`.)
    #[cold]
    #[inline(never)]
    fn switch_space(&mut self, satp: u64) {
        self.switches += 1;
        let slot = match self.parked.iter().position(|p| p.satp == satp) {
            Some(i) => i,
            None => {
                let mut tlbs = self.spare_set();
                tlbs.retag();
                self.parked.push(Parked {
                    satp,
                    tlbs,
                    epoch: self.epoch,
                    used: self.switches,
                });
                self.parked.len() - 1
            }
        };
        let p = &mut self.parked[slot];
        std::mem::swap(&mut self.tlb_x, &mut p.tlbs.x);
        std::mem::swap(&mut self.tlb_r, &mut p.tlbs.r);
        std::mem::swap(&mut self.tlb_w, &mut p.tlbs.w);
        std::mem::swap(&mut self.tag, &mut p.tlbs.tag);
        let stale = p.epoch != self.epoch;
        p.satp = self.tlb_satp;
        p.epoch = self.epoch;
        p.used = self.switches;
        if stale {
            self.tlb_r.flush();
            self.tlb_w.flush();
        }
        self.tlb_satp = satp;
        self.ctx = self.ctx & !((TAGS - 1) << (4 + CTX_SHIFT)) | self.tag << (4 + CTX_SHIFT);
    }

    /// A set for an address space that has none: a retired one, a new one,
    /// or, with [`MAX_PARKED`] sets parked, the least recently used one's.
    fn spare_set(&mut self) -> Tlbs {
        if let Some(t) = self.free.pop() {
            return t;
        }
        if self.parked.len() < MAX_PARKED {
            return Tlbs::new();
        }
        let lru = (0..self.parked.len())
            .min_by_key(|&i| self.parked[i].used)
            .unwrap_or(0);
        self.parked.swap_remove(lru).tlbs
    }

    /// Forgets every cached translation (after `sfence.vma`, a `satp`
    /// write, or the host editing page tables); `satp` is the one the TLB
    /// will now be filled under. Every address space's entries go: the
    /// parked sets are retired, and each set gets a fresh tag when next
    /// used, so that no entry matches them.
    pub(crate) fn flush(&mut self, satp: u64) {
        self.free.extend(self.parked.drain(..).map(|p| p.tlbs));
        let current = [&mut self.tlb_x, &mut self.tlb_r, &mut self.tlb_w];
        self.tag = next_tag(self.tag, current);
        self.tlb_satp = satp;
        self.ctx = self.ctx & !((TAGS - 1) << (4 + CTX_SHIFT)) | self.tag << (4 + CTX_SHIFT);
    }

    /// Forgets the store entries of every address space (a page became
    /// code, or the host records written pages afresh).
    pub(crate) fn forget_stores(&mut self) {
        self.tlb_w.flush();
        self.epoch += 1;
    }

    /// Forgets the load and store entries of every address space (a
    /// debugger's watches changed).
    pub(crate) fn forget_loads_and_stores(&mut self) {
        self.tlb_r.flush();
        self.tlb_w.flush();
        self.epoch += 1;
    }

    /// Translates `va` for an access of kind `acc` under `core`, walking the
    /// page table when paging is on, and caches the result in the TLB when
    /// the page is RAM. Returns the physical address; whether anything
    /// answers there is the caller's business (access fault).
    pub(crate) fn translate(&mut self, core: &Core, va: u64, acc: Access) -> Result<u64, Trap> {
        let pa = if core.paging() {
            sv39::walk(&mut self.ram, core, va, acc, Update::AccessedDirty)?.pa
        } else {
            va
        };
        let page = pa & !(PAGE_SIZE - 1);
        if let Some(off) = self.ram.offset(page, PAGE_SIZE) {
            // Stores into a page with decoded code must go the slow way,
            // which keeps the decode cache coherent.
            if acc == Access::Store && self.ram.code.has_code(off >> 12) {
                return Ok(pa);
            }
            // A watched page takes the slow path, which notes the access.
            if !self.tlb_may_cache(va, acc) {
                return Ok(pa);
            }
            if acc == Access::Store {
                // Stores through the entry will not be seen one by one: the
                // page counts as written from now on (`crate::debug`).
                self.ram.mark_dirty(off, PAGE_SIZE as usize);
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

    /// The RAM offset of the 16-bit parcel at `pc` (instruction fetch:
    /// IALIGN = 16, from RAM only).
    pub(crate) fn fetch_offset(&mut self, core: &Core, pc: u64) -> Result<usize, Trap> {
        if pc & 1 != 0 {
            return Err(Access::Fetch.misaligned(pc));
        }
        if let Some(off) = self.tlb_x.lookup(pc, self.ctx) {
            return Ok(off as usize);
        }
        let pa = self.translate(core, pc, Access::Fetch)?;
        self.ram.offset(pa, 2).ok_or(Access::Fetch.access_fault(pc))
    }

    /// Fetches the instruction at `pc`: its first parcel in the low 16
    /// bits, and for a 32-bit instruction (low bits `0b11`, unprivileged
    /// spec 1.5) its second parcel above, fetched from `pc + 2`, which may
    /// be on the next page. A fault there is the second parcel's: `stval`
    /// is its address, `sepc` the instruction's (privileged spec 4.1.9:
    /// "the virtual address of the portion of the instruction that caused
    /// the fault"). A compressed instruction's word has 0 above.
    pub(crate) fn fetch(&mut self, core: &Core, pc: u64) -> Result<u32, Trap> {
        let off = self.fetch_offset(core, pc)?;
        let lo = self.ram.read_sized(off, 2) as u32;
        if lo & 3 != 3 {
            return Ok(lo);
        }
        let next = pc.wrapping_add(2);
        let off = if next & (PAGE_SIZE - 1) != 0 {
            off + 2
        } else {
            self.fetch_offset(core, next)?
        };
        Ok(lo | (self.ram.read_sized(off, 2) as u32) << 16)
    }

    /// Loads `size` (1, 2, 4 or 8) bytes at `va`, zero-extended: through
    /// the TLB when it hits, else translated (and the TLB filled), from a
    /// device outside RAM, or byte by byte when misaligned (which completes
    /// when every byte is RAM, as OpenSBI makes it on QEMU).
    pub(crate) fn load<D: Devices>(
        &mut self,
        core: &Core,
        dev: &mut D,
        va: u64,
        size: u64,
    ) -> Result<u64, Trap> {
        let fast = match size {
            1 => self.load_fast::<1>(va),
            2 => self.load_fast::<2>(va),
            4 => self.load_fast::<4>(va),
            _ => self.load_fast::<8>(va),
        };
        match fast {
            Some(v) => Ok(v),
            None => self.load_slow(core, dev, va, size),
        }
    }

    /// [`tlb_load`] from the load TLB, zero-extended.
    #[inline(always)]
    fn load_fast<const N: usize>(&self, va: u64) -> Option<u64> {
        tlb_load::<N>(&self.ram.bytes, self.tlb_r.entries(), self.ctx, va)
            .map(|b| u64::from_le_bytes(widen(b)))
    }

    #[cold]
    fn load_slow<D: Devices>(
        &mut self,
        core: &Core,
        dev: &mut D,
        va: u64,
        size: u64,
    ) -> Result<u64, Trap> {
        if va & (size - 1) == 0 {
            let pa = self.translate(core, va, Access::Load)?;
            if let Some(off) = self.ram.offset(pa, size) {
                return Ok(self.ram.read_sized(off, size));
            }
            return dev
                .load(pa, size as u8)
                .ok_or(Access::Load.access_fault(va));
        }
        let offs = self.misaligned_offsets(core, va, size, Access::Load)?;
        let mut b = [0u8; 8];
        for (byte, &off) in b.iter_mut().zip(&offs).take(size as usize) {
            *byte = self.ram.bytes[off];
        }
        Ok(u64::from_le_bytes(b))
    }

    /// Stores the low `size` bytes of `value` at `va` (the slow path: the
    /// executor's stores, which the fast loop left). `Ok(true)`: a device
    /// asked the run loop to look at it.
    #[cold]
    pub(crate) fn store<D: Devices>(
        &mut self,
        core: &Core,
        dev: &mut D,
        va: u64,
        size: u64,
        value: u64,
    ) -> Result<bool, Trap> {
        let bytes = value.to_le_bytes();
        if va & (size - 1) == 0 {
            let pa = self.translate(core, va, Access::Store)?;
            if let Some(off) = self.ram.offset(pa, size) {
                self.ram.write(off, &bytes[..size as usize]);
                return Ok(false);
            }
            return dev
                .store(pa, size as u8, value)
                .ok_or(Access::Store.access_fault(va));
        }
        let offs = self.misaligned_offsets(core, va, size, Access::Store)?;
        for (&b, &off) in bytes.iter().zip(&offs).take(size as usize) {
            self.ram.write(off, &[b]);
        }
        Ok(false)
    }

    /// The RAM offset of each byte of a misaligned access, translating each
    /// page it touches first, so that a fault on either page leaves memory
    /// untouched. `stval` is the address of the portion that faulted.
    fn misaligned_offsets(
        &mut self,
        core: &Core,
        va: u64,
        size: u64,
        acc: Access,
    ) -> Result<[usize; 8], Trap> {
        let mut offs = [0usize; 8];
        let mut page_start = u64::MAX;
        let mut page_off = 0usize;
        for (i, o) in offs.iter_mut().take(size as usize).enumerate() {
            let a = va.wrapping_add(i as u64);
            if a & !(PAGE_SIZE - 1) != page_start {
                page_start = a & !(PAGE_SIZE - 1);
                let pa = self.translate(core, a, acc)?;
                let page_pa = pa & !(PAGE_SIZE - 1);
                page_off = self
                    .ram
                    .offset(page_pa, PAGE_SIZE)
                    .ok_or(acc.access_fault(a))?;
            }
            *o = page_off + (a & (PAGE_SIZE - 1)) as usize;
        }
        Ok(offs)
    }

    /// The RAM offset of an LR/SC/AMO's word or doubleword: aligned
    /// (else misaligned exception) and in RAM (else access fault).
    pub(crate) fn amo_offset(
        &mut self,
        core: &Core,
        va: u64,
        size: u64,
        acc: Access,
    ) -> Result<usize, Trap> {
        if va & (size - 1) != 0 {
            return Err(acc.misaligned(va));
        }
        let pa = self.translate(core, va, acc)?;
        self.ram.offset(pa, size).ok_or(acc.access_fault(va))
    }
}

/// Zero-extends a little-endian value of `N` bytes to eight.
#[inline(always)]
pub(crate) fn widen<const N: usize>(b: [u8; N]) -> [u8; 8] {
    let mut w = [0u8; 8];
    w[..N].copy_from_slice(&b);
    w
}

/// The low `N` bytes of `v`, little-endian.
#[inline(always)]
pub(crate) fn narrow<const N: usize>(v: u64) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(&v.to_le_bytes()[..N]);
    b
}

/// An aligned load of `N` bytes at `va` that hits `tlb`.
///
/// The hot path, so RAM is read without a bounds check (five host
/// instructions fewer per guest load; with [`tlb_store`], 6-14% less wall
/// time on the bench guests in paired runs; see the SAFETY comment).
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn tlb_load<const N: usize>(
    ram: &[u8],
    tlb: &TlbEntries,
    ctx: u64,
    va: u64,
) -> Option<[u8; N]> {
    let off = lookup_aligned::<N>(tlb, va, ctx)? as usize;
    debug_assert!(off.checked_add(N).is_some_and(|end| end <= ram.len()));
    // SAFETY: `off..off + N` lies inside `ram` (the hart's RAM):
    // - a TLB hit means `va`'s page is the page the entry was filled for
    //   (the tag holds the whole page address), and entries are filled
    //   only for pages that lie wholly in RAM (`Mmu::translate` checks
    //   `ram.offset(page, PAGE_SIZE)`), so the page's 4096 bytes are in RAM;
    // - `va` is `N`-aligned (`lookup_aligned` hits only then) and `N`
    //   divides 4096, so the `N` bytes do not cross the end of the page;
    // - RAM is allocated once by `Ram::new` and never resized, so an
    //   offset that was in RAM when the entry was filled still is.
    // A `[u8; N]` has alignment 1, so the unaligned pointer is fine.
    Some(unsafe { ram.as_ptr().add(off).cast::<[u8; N]>().read() })
}

/// An aligned store of `N` bytes at `va` that hits `tlb` (the store TLB).
/// Its pages are RAM, already dirty, and hold no decoded code (`translate`
/// does not cache a store translation to a code page, and the engine
/// drops the store TLB when a page becomes one), so the decode cache needs
/// no look here.
#[inline(always)]
#[allow(unsafe_code)]
pub(crate) fn tlb_store<const N: usize>(
    ram: &mut [u8],
    tlb: &TlbEntries,
    ctx: u64,
    va: u64,
    bytes: [u8; N],
) -> bool {
    let Some(off) = lookup_aligned::<N>(tlb, va, ctx) else {
        return false;
    };
    let off = off as usize;
    debug_assert!(off.checked_add(N).is_some_and(|end| end <= ram.len()));
    // SAFETY: `off..off + N` lies inside `ram`, for the reasons given in
    // `tlb_load` (the store TLB is filled by the same `Mmu::translate`,
    // under the same RAM check). `&mut` makes this the only access to RAM.
    unsafe { ram.as_mut_ptr().add(off).cast::<[u8; N]>().write(bytes) };
    true
}
