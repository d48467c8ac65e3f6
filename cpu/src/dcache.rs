//! The decoded-instruction cache: for each 4 KiB RAM page that has run code,
//! 1024 slots holding the instruction at each word, pre-decoded into the
//! executor's own compact form ([`Slot`]) on first execution.
//!
//! The cache is indexed by physical page, so it survives `satp` writes and
//! is shared by every mapping of a page. It stays coherent with RAM: every
//! store into a page that has decoded code (guest stores, page-table A/D
//! updates, the host's `write_phys`) resets the slots it touches, so
//! self-modifying code is seen even before its `fence.i`; `fence.i` drops the
//! whole cache anyway.

use crate::isa::{self, Kind, Op};
use crate::zeroed::{RamError, ZeroedWords};

/// Slots per page: one per 4-byte word. An instruction that begins 2 bytes
/// into a word (compressed code, IALIGN = 16) has no slot: the generic path
/// fetches and runs it; a compressed instruction at a word is a
/// [`XOp::Slow`] slot.
pub(crate) const SLOTS_PER_PAGE: usize = 1024;
/// Each page's slots are followed by one [`XOp::Fetch`] sentinel, so that
/// running off the end of a page needs no check on sequential fetch.
pub(crate) const CHUNK: usize = SLOTS_PER_PAGE + 1;
/// Slot 0 of the cache is a [`XOp::Fetch`] sentinel too: "pc is not in
/// the cache, look it up" (after jumps off the page and generic ops).
pub(crate) const REFETCH: usize = 0;
/// Most pages the cache holds before it is dropped and refilled (24 MiB of
/// slots): a guest that runs code everywhere cannot make the host allocate
/// without bound.
const MAX_PAGES: usize = 2048;
/// `page_map` value of a page without decoded code (0, so that the map of
/// a large RAM costs nothing where no code runs; a page with code holds its
/// chunk + 1).
const NO_CODE: u32 = 0;

/// What the executor does with a slot: one operation per row of the
/// instruction table the fast paths run (made from the rows,
/// [`crate::isa::fast_rows`]), and
/// before them the decode cache's own: a slot not decoded yet, the page's
/// end, an illegal word, an operation only the generic executor runs
/// ([`XOp::Slow`]), and refinements that let the fast paths do less
/// (`addi rd, x0, imm` and `lui` are [`XOp::Li`]; anything writing only
/// `x0` is [`XOp::Nop`], so that no fast-path operation ever writes `x0`;
/// `jal x0` is [`XOp::J`], `jalr x0` is [`XOp::Jr`]).
macro_rules! xops {
    ($( $op:ident $fmt:ident $kind:ident $(($($arg:literal),*))?; )*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum XOp {
            // The four operations up to `Slow` are the ones the fast loop
            // never runs (`run_block` tells them by this order).
            /// Not decoded yet: decode, then run.
            Undecoded,
            /// Sentinel: find the slot of the current `pc` (a new page).
            Fetch,
            Illegal,
            Slow,
            Nop,
            Li,
            J,
            Jr,
            $($op,)*
        }

        impl XOp {
            /// The slot operation of table operation `op` ([`XOp::Slow`]
            /// for one the fast paths do not run).
            pub(crate) fn of(op: Op) -> XOp {
                match op {
                    $(Op::$op => XOp::$op,)*
                    _ => XOp::Slow,
                }
            }

            /// The table operation this slot runs (`None` for the decode
            /// cache's own operations).
            pub(crate) fn op(self) -> Option<Op> {
                match self {
                    $(XOp::$op => Some(Op::$op),)*
                    _ => None,
                }
            }
        }
    };
}
fast_rows!(xops);

impl XOp {
    /// How the slot's table operation runs (`None` for the decode cache's
    /// own operations).
    pub(crate) fn kind(self) -> Option<Kind> {
        self.op().map(Op::kind)
    }

    /// Whether [`predecode`] puts this operation in a slot for the fast
    /// paths to run (every other table operation is [`XOp::Slow`] there).
    pub(crate) fn runs_fast(self) -> bool {
        matches!(self, XOp::Nop | XOp::Li | XOp::J | XOp::Jr) || self.op().is_some()
    }

    /// Whether the slot jumps or branches to a target its decode computed
    /// (`jal`, `j` and the conditional branches).
    pub(crate) fn jumps_relative(self) -> bool {
        self == XOp::J || matches!(self.kind(), Some(Kind::Jal | Kind::Branch))
    }
}

/// A register number known to be below 32, so that indexing the register
/// file with it needs neither a bounds check nor a mask (the compiler knows
/// an enum's range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[rustfmt::skip]
pub(crate) enum Reg {
    X0,
    X1,
    X2,
    X3,
    X4,
    X5,
    X6,
    X7,
    X8,
    X9,
    X10,
    X11,
    X12,
    X13,
    X14,
    X15,
    X16,
    X17,
    X18,
    X19,
    X20,
    X21,
    X22,
    X23,
    X24,
    X25,
    X26,
    X27,
    X28,
    X29,
    X30,
    X31,
}

impl Reg {
    /// Register `r & 31`.
    pub(crate) fn new(r: u8) -> Reg {
        use Reg::*;
        const ALL: [Reg; 32] = [
            X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15, X16, X17, X18,
            X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, X31,
        ];
        ALL[r as usize & 31]
    }
}

/// One pre-decoded instruction: 8 bytes, so that the slot of an index is
/// one scaled host address (the instruction's raw bits, which only the
/// slow paths and the digest need, are kept apart in [`DCache::bits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub op: XOp,
    pub rd: Reg,
    pub rs1: Reg,
    pub rs2: Reg,
    /// The immediate; for `jal` and branches, the target's distance in
    /// slots when it is in the same page, else [`FAR`] (the immediate is
    /// then read from the bits).
    pub imm: i32,
}

/// [`Slot::imm`] of a `jal` or branch whose target is outside the page.
pub(crate) const FAR: i32 = i32::MIN;

pub(crate) const UNDECODED: Slot = Slot {
    op: XOp::Undecoded,
    rd: Reg::X0,
    rs1: Reg::X0,
    rs2: Reg::X0,
    imm: 0,
};

pub(crate) const FETCH: Slot = Slot {
    op: XOp::Fetch,
    ..UNDECODED
};

/// Pre-decodes `bits`, found at byte `page_off` of its page, by its row's
/// [`Kind`].
pub(crate) fn predecode(bits: u32, page_off: u64) -> Slot {
    let slot = |op, rd: u8, rs1: u8, rs2: u8, imm: i32| Slot {
        op,
        rd: Reg::new(rd),
        rs1: Reg::new(rs1),
        rs2: Reg::new(rs2),
        imm,
    };
    // `jal` and branches: the target as a distance in slots, or FAR.
    let near = |imm: i32| {
        if (0..4096).contains(&(page_off as i64 + imm as i64)) {
            imm >> 2
        } else {
            FAR
        }
    };
    let slow = slot(XOp::Slow, 0, 0, 0, 0);
    if bits & 3 != 3 {
        // A compressed instruction (IALIGN = 16): the next instruction is
        // 2 bytes on, not in the next slot, so the generic path runs it
        // (through `crate::rvc::base`, as every engine sees it), and an
        // illegal parcel is illegal.
        return if crate::rvc::expand(bits as u16).is_some() {
            slow
        } else {
            slot(XOp::Illegal, 0, 0, 0, 0)
        };
    }
    let Ok(i) = isa::decode(bits) else {
        return slot(XOp::Illegal, 0, 0, 0, 0);
    };
    let (rd, rs1, rs2, imm) = (i.rd, i.rs1, i.rs2, i.imm);
    let op = XOp::of(i.op);
    // An operation that only computes a value for rd: with rd = x0, a nop.
    let value = |op| {
        if rd == 0 {
            slot(XOp::Nop, 0, 0, 0, 0)
        } else {
            slot(op, rd, rs1, rs2, imm)
        }
    };
    // A jump or taken branch to a target that is not 4-byte aligned (2
    // bytes on from a word, where only compressed code or a straddling
    // instruction can be: IALIGN = 16) has no slot: the generic path runs
    // it.
    let aligned = imm & 3 == 0;
    let s = match i.op.kind() {
        Kind::Alu if i.op == Op::Addi && rs1 == 0 => value(XOp::Li),
        Kind::Alu => value(op),
        Kind::Lui => value(XOp::Li),
        Kind::Auipc => value(op),
        Kind::Jal if !aligned => slow,
        Kind::Jal if rd == 0 => slot(XOp::J, 0, 0, 0, near(imm)),
        Kind::Jal => slot(op, rd, 0, 0, near(imm)),
        Kind::Jalr if rd == 0 => slot(XOp::Jr, 0, rs1, 0, imm),
        Kind::Jalr => slot(op, rd, rs1, 0, imm),
        Kind::Branch if aligned => slot(op, 0, rs1, rs2, near(imm)),
        // Loads into x0 still access memory (and may fault): generic path.
        Kind::Load { .. } if rd != 0 => slot(op, rd, rs1, 0, imm),
        Kind::Store { .. } => slot(op, 0, rs1, rs2, imm),
        // Ordering is trivially satisfied by one in-order hart.
        Kind::Fence => slot(XOp::Nop, 0, 0, 0, 0),
        _ => slow,
    };
    debug_assert!(s.op.runs_fast() || s.op == XOp::Slow);
    s
}

/// The cache: slots of all cached pages in one `Vec`, and for each RAM page
/// the index of its first slot (or [`NO_CODE`]).
#[derive(Clone, Debug)]
pub(crate) struct DCache {
    pub slots: Vec<Slot>,
    /// The raw bits of each slot's instruction (meaningful once decoded).
    pub bits: Vec<u32>,
    page_map: ZeroedWords,
    /// RAM pages that have slots, to reset `page_map` quickly.
    pages: Vec<u32>,
    /// For each page of slots: how many times a decoded slot of it was
    /// reset, and how many slots were decoded (what translated code of the
    /// page depends on, see [`crate::jit`]).
    epochs: Vec<u32>,
    decodes: Vec<u32>,
    /// Times the whole cache was dropped (page numbers are reused then).
    flushes: u64,
}

impl DCache {
    pub(crate) fn new(ram_pages: usize) -> Result<DCache, RamError> {
        Ok(DCache {
            slots: vec![FETCH],
            bits: vec![0],
            page_map: ZeroedWords::new(ram_pages)?,
            pages: Vec::new(),
            epochs: Vec::new(),
            decodes: Vec::new(),
            flushes: 0,
        })
    }

    /// RAM page `page`'s chunk of slots, if it has decoded code.
    #[inline(always)]
    fn chunk_of(&self, page: usize) -> Option<usize> {
        match self.page_map.get(page) {
            Some(NO_CODE) | None => None,
            Some(c) => Some(c as usize - 1),
        }
    }

    /// Whether RAM page `page` has decoded code (slots).
    #[inline]
    pub(crate) fn has_code(&self, page: usize) -> bool {
        self.chunk_of(page).is_some()
    }

    /// How many RAM pages the cache covers (for the translator's table).
    #[cfg_attr(not(all(target_arch = "x86_64", unix, not(miri))), allow(dead_code))]
    pub(crate) fn ram_pages(&self) -> usize {
        self.page_map.len()
    }

    /// The first slot of RAM page `page`, allocating its slots on first use.
    pub(crate) fn page(&mut self, page: usize) -> usize {
        if page >= self.page_map.len() {
            return usize::MAX;
        }
        if let Some(chunk) = self.chunk_of(page) {
            return 1 + chunk * CHUNK;
        }
        if self.pages.len() >= MAX_PAGES {
            self.flush();
        }
        let chunk = self.pages.len();
        self.pages.push(page as u32);
        self.epochs.push(0);
        self.decodes.push(0);
        self.page_map.set(page, chunk as u32 + 1);
        self.slots
            .resize(self.slots.len() + SLOTS_PER_PAGE, UNDECODED);
        self.slots.push(FETCH);
        self.bits.resize(self.slots.len(), 0);
        1 + chunk * CHUNK
    }

    /// Notes a store of `len` bytes at RAM offset `off`: slots it touches
    /// are decoded again before they next run.
    #[inline(always)]
    pub(crate) fn store(&mut self, off: usize, len: usize) {
        if self.has_code(off >> 12) {
            self.invalidate(off, len);
        }
    }

    /// [`DCache::store`] for any length: each page of the range is checked.
    pub(crate) fn store_range(&mut self, off: usize, len: usize) {
        if len == 0 {
            return;
        }
        let (first, last) = (off >> 12, (off + len - 1) >> 12);
        for page in first..=last {
            let start = (page << 12).max(off);
            let end = ((page + 1) << 12).min(off + len);
            self.store(start, end - start);
        }
    }

    #[cold]
    pub(crate) fn invalidate(&mut self, off: usize, len: usize) {
        let (first, last) = (off >> 2, (off + len.max(1) - 1) >> 2);
        for word in first..=last {
            let page = word / SLOTS_PER_PAGE;
            if let Some(chunk) = self.chunk_of(page) {
                let i = 1 + chunk * CHUNK + word % SLOTS_PER_PAGE;
                if let Some(s) = self.slots.get_mut(i) {
                    if s.op != XOp::Undecoded {
                        if let Some(e) = self.epochs.get_mut(chunk) {
                            *e = e.wrapping_add(1);
                        }
                    }
                    *s = UNDECODED;
                }
            }
        }
    }

    /// Drops every decoded instruction (`fence.i`).
    pub(crate) fn flush(&mut self) {
        for &p in &self.pages {
            self.page_map.set(p as usize, NO_CODE);
        }
        self.pages.clear();
        self.epochs.clear();
        self.decodes.clear();
        self.flushes += 1;
        self.slots.truncate(1);
        self.bits.truncate(1);
    }

    /// Decodes slot `idx` as `slot`, from `bits`.
    pub(crate) fn fill(&mut self, idx: usize, slot: Slot, bits: u32) {
        if let (Some(d), Some(b)) = (self.slots.get_mut(idx), self.bits.get_mut(idx)) {
            (*d, *b) = (slot, bits);
            if let Some(n) = self.decodes.get_mut(idx.wrapping_sub(1) / CHUNK) {
                *n = n.wrapping_add(1);
            }
        }
    }

    /// Page `chunk`'s (resets, decodes) counts: translated code made when
    /// they were these is still right while the first is unchanged, and
    /// still complete while the second is.
    pub(crate) fn page_state(&self, chunk: usize) -> (u32, u32) {
        (
            self.epochs.get(chunk).copied().unwrap_or(0),
            self.decodes.get(chunk).copied().unwrap_or(0),
        )
    }

    /// The RAM page (number) whose slots are page `chunk`.
    pub(crate) fn ram_page(&self, chunk: usize) -> Option<usize> {
        self.pages.get(chunk).map(|&p| p as usize)
    }

    /// How many times the cache was dropped.
    pub(crate) fn flushes(&self) -> u64 {
        self.flushes
    }
}
