//! The decoded-instruction cache: for each 4 KiB RAM page that has run code,
//! 2048 slots holding the instruction that begins at each 2-byte parcel
//! (IALIGN = 16, unprivileged spec 1.5: with the C extension an
//! instruction may begin at any even address), pre-decoded into the
//! executor's own compact form ([`Slot`]) on first execution. A 32-bit
//! instruction at slot `i` is followed by the one at slot `i + 2`, a
//! compressed one by slot `i + 1`; the slot in the middle of a 32-bit
//! instruction is decoded only if something jumps there.
//!
//! The cache is indexed by physical page, so it survives `satp` writes and
//! is shared by every mapping of a page. It stays coherent with RAM: every
//! store into a page that has decoded code (guest stores, page-table A/D
//! updates, the host's `write_phys`) resets the slots it touches, so
//! self-modifying code is seen even before its `fence.i`; `fence.i` drops the
//! whole cache anyway.

use crate::isa::{self, Kind, Op};
use crate::zeroed::{RamError, ZeroedWords};

/// Slots per page: one per 2-byte parcel.
pub(crate) const SLOTS_PER_PAGE: usize = 2048;
/// Each page's slots are followed by one [`XOp::Fetch`] sentinel, so that
/// running off the end of a page needs no check on sequential fetch.
pub(crate) const CHUNK: usize = SLOTS_PER_PAGE + 1;
/// Slot 0 of the cache is a [`XOp::Fetch`] sentinel too: "pc is not in
/// the cache, look it up" (after jumps off the page and generic ops).
pub(crate) const REFETCH: usize = 0;
/// Most pages the cache holds before it is dropped and refilled (48 MiB of
/// slots and bits): a guest that runs code everywhere cannot make the host allocate
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
/// `jal x0` is [`XOp::J`], `jalr x0` is [`XOp::Jr`]); after them, the
/// compressed forms the fast paths run ([`XOp::base`]: the same operation,
/// 2 bytes long).
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
            // The compressed instructions (RV64C, unprivileged spec 16)
            // as the operations they expand to.
            CNop,
            CLi,
            CJ,
            CJr,
            CJalr,
            CAddi,
            CAddiw,
            CSlli,
            CSrli,
            CSrai,
            CAndi,
            CAdd,
            CSub,
            CXor,
            COr,
            CAnd,
            CAddw,
            CSubw,
            CBeq,
            CBne,
            CLw,
            CLd,
            CSw,
            CSd,
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
                match self.base() {
                    $(XOp::$op => Some(Op::$op),)*
                    _ => None,
                }
            }
        }
    };
}
fast_rows!(xops);

/// Each compressed slot operation and the one it runs.
pub(crate) const COMPRESSED: [(XOp, XOp); 24] = [
    (XOp::CNop, XOp::Nop),
    (XOp::CLi, XOp::Li),
    (XOp::CJ, XOp::J),
    (XOp::CJr, XOp::Jr),
    (XOp::CJalr, XOp::Jalr),
    (XOp::CAddi, XOp::Addi),
    (XOp::CAddiw, XOp::Addiw),
    (XOp::CSlli, XOp::Slli),
    (XOp::CSrli, XOp::Srli),
    (XOp::CSrai, XOp::Srai),
    (XOp::CAndi, XOp::Andi),
    (XOp::CAdd, XOp::Add),
    (XOp::CSub, XOp::Sub),
    (XOp::CXor, XOp::Xor),
    (XOp::COr, XOp::Or),
    (XOp::CAnd, XOp::And),
    (XOp::CAddw, XOp::Addw),
    (XOp::CSubw, XOp::Subw),
    (XOp::CBeq, XOp::Beq),
    (XOp::CBne, XOp::Bne),
    (XOp::CLw, XOp::Lw),
    (XOp::CLd, XOp::Ld),
    (XOp::CSw, XOp::Sw),
    (XOp::CSd, XOp::Sd),
];

impl XOp {
    /// The operation a compressed slot operation runs (itself for the
    /// others).
    #[inline]
    pub(crate) fn base(self) -> XOp {
        if (self as u8) < XOp::CNop as u8 {
            return self;
        }
        COMPRESSED
            .iter()
            .find(|&&(c, _)| c == self)
            .map_or(self, |&(_, b)| b)
    }

    /// The compressed form of a slot operation, if the fast paths run it.
    fn compressed(self) -> Option<XOp> {
        COMPRESSED
            .iter()
            .find(|&&(_, b)| b == self)
            .map(|&(c, _)| c)
    }

    /// Whether the slot is a compressed instruction the fast paths run.
    #[inline(always)]
    pub(crate) fn is_compressed(self) -> bool {
        self as u8 >= XOp::CNop as u8
    }

    /// How the slot's table operation runs (`None` for the decode cache's
    /// own operations).
    pub(crate) fn kind(self) -> Option<Kind> {
        self.op().map(Op::kind)
    }

    /// Whether [`predecode`] puts this operation in a slot for the fast
    /// paths to run (every other table operation is [`XOp::Slow`] there).
    pub(crate) fn runs_fast(self) -> bool {
        matches!(self.base(), XOp::Nop | XOp::Li | XOp::J | XOp::Jr) || self.op().is_some()
    }

    /// Whether the slot jumps or branches to a target its decode computed
    /// (`jal`, `j` and the conditional branches).
    pub(crate) fn jumps_relative(self) -> bool {
        self.base() == XOp::J || matches!(self.kind(), Some(Kind::Jal | Kind::Branch))
    }
}

/// The immediate of the `jal` (or `c.j`) whose raw bits are `bits`, for
/// a [`FAR`] slot.
pub(crate) fn far_j_imm(bits: u32) -> i32 {
    crate::rvc::base(bits).map_or(0, |(word, _)| isa::j_imm(word))
}

/// The immediate of the branch (or `c.beqz`, `c.bnez`) whose raw bits are
/// `bits`, for a [`FAR`] slot.
pub(crate) fn far_b_imm(bits: u32) -> i32 {
    crate::rvc::base(bits).map_or(0, |(word, _)| isa::b_imm(word))
}

/// The length, in slots (parcels), of the instruction whose raw bits (its
/// first parcel in the low 16) are `bits`.
#[inline]
pub(crate) fn parcels(bits: u32) -> usize {
    if bits & 3 == 3 {
        2
    } else {
        1
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

/// Pre-decodes the instruction `bits` (its first parcel in the low 16
/// bits), found at byte `page_off` of its page, by its row's [`Kind`]. A
/// compressed instruction is decoded as the base instruction it expands to
/// ([`crate::rvc::base`], as every engine sees it), then given the
/// compressed form of its slot operation, or [`XOp::Slow`] where it has
/// none; a 32-bit instruction in the page's last parcel straddles into the
/// next page and is [`XOp::Slow`] (the generic path fetches it whole).
pub(crate) fn predecode(bits: u32, page_off: u64) -> Slot {
    let slot = |op, rd: u8, rs1: u8, rs2: u8, imm: i32| Slot {
        op,
        rd: Reg::new(rd),
        rs1: Reg::new(rs1),
        rs2: Reg::new(rs2),
        imm,
    };
    let slow = slot(XOp::Slow, 0, 0, 0, 0);
    let Some((word, len)) = crate::rvc::base(bits) else {
        // An illegal or reserved parcel.
        return slot(XOp::Illegal, 0, 0, 0, 0);
    };
    if len == 4 && page_off as usize + 4 > PAGE_BYTES {
        return slow;
    }
    // `jal` and branches: the target as a distance in slots, or FAR.
    let near = |imm: i32| {
        if (0..PAGE_BYTES as i64).contains(&(page_off as i64 + imm as i64)) {
            imm >> 1
        } else {
            FAR
        }
    };
    let Ok(i) = isa::decode(word) else {
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
    let s = match i.op.kind() {
        Kind::Alu if i.op == Op::Addi && rs1 == 0 => value(XOp::Li),
        Kind::Alu => value(op),
        Kind::Lui => value(XOp::Li),
        Kind::Auipc => value(op),
        Kind::Jal if rd == 0 => slot(XOp::J, 0, 0, 0, near(imm)),
        Kind::Jal => slot(op, rd, 0, 0, near(imm)),
        Kind::Jalr if rd == 0 => slot(XOp::Jr, 0, rs1, 0, imm),
        Kind::Jalr => slot(op, rd, rs1, 0, imm),
        Kind::Branch => slot(op, 0, rs1, rs2, near(imm)),
        // Loads into x0 still access memory (and may fault): generic path.
        Kind::Load { .. } if rd != 0 => slot(op, rd, rs1, 0, imm),
        Kind::Store { .. } => slot(op, 0, rs1, rs2, imm),
        // Ordering is trivially satisfied by one in-order hart.
        Kind::Fence => slot(XOp::Nop, 0, 0, 0, 0),
        _ => slow,
    };
    debug_assert!(s.op.runs_fast() || s.op == XOp::Slow);
    if len == 2 && s.op != XOp::Slow {
        return match s.op.compressed() {
            Some(op) => Slot { op, ..s },
            None => slow,
        };
    }
    s
}

/// Bytes in a page.
const PAGE_BYTES: usize = 4096;

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
    /// For each page of slots: whether a compressed instruction was ever
    /// decoded in it (since the page got its slots), which makes a straight
    /// run of its slots up to twice as long (see [`DCache::run_limit`]).
    compressed: Vec<bool>,
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
            compressed: Vec::new(),
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
        self.compressed.push(false);
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

    /// Resets the slots of the instructions that a store of `len` bytes at
    /// RAM offset `off` changes: those beginning in it, and a 32-bit one
    /// beginning in the parcel before it.
    #[cold]
    pub(crate) fn invalidate(&mut self, off: usize, len: usize) {
        let (first, last) = (off >> 1, (off + len.max(1) - 1) >> 1);
        for parcel in first.saturating_sub(1)..=last {
            let page = parcel / SLOTS_PER_PAGE;
            if let Some(chunk) = self.chunk_of(page) {
                let i = 1 + chunk * CHUNK + parcel % SLOTS_PER_PAGE;
                if parcel < first && self.bits.get(i).is_some_and(|&b| parcels(b) == 1) {
                    // A compressed instruction (or none decoded) before
                    // the store: not changed.
                    continue;
                }
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
        self.compressed.clear();
        self.flushes += 1;
        self.slots.truncate(1);
        self.bits.truncate(1);
    }

    /// Decodes slot `idx` as `slot`, from `bits`.
    pub(crate) fn fill(&mut self, idx: usize, slot: Slot, bits: u32) {
        if let (Some(d), Some(b)) = (self.slots.get_mut(idx), self.bits.get_mut(idx)) {
            (*d, *b) = (slot, bits);
            let chunk = idx.wrapping_sub(1) / CHUNK;
            if let Some(n) = self.decodes.get_mut(chunk) {
                *n = n.wrapping_add(1);
            }
            if parcels(bits) == 1 {
                if let Some(c) = self.compressed.get_mut(chunk) {
                    *c = true;
                }
            }
        }
    }

    /// The most instructions one straight run of the decoded slots of the
    /// page whose first slot is `base` can retire before its sentinel: a
    /// slot per instruction if a compressed one was ever decoded there,
    /// else one per 2 slots (32-bit code only; a slot decoded later is
    /// undecoded until then, and running it leaves the fast loop).
    #[inline]
    pub(crate) fn run_limit(&self, base: usize) -> u64 {
        let chunk = base.wrapping_sub(1) / CHUNK;
        if self.compressed.get(chunk).copied().unwrap_or(true) {
            SLOTS_PER_PAGE as u64
        } else {
            SLOTS_PER_PAGE as u64 / 2
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every legal compressed parcel whose base instruction the fast paths
    /// run is decoded as the compressed form of that operation, with the
    /// same operands (so compressed code runs as fast as 32-bit code); the
    /// others are slow, and an illegal parcel is illegal.
    #[test]
    fn compressed_parcels_get_the_fast_slots_of_their_base_instructions() {
        let mut fast = 0;
        for parcel in 0..=u16::MAX {
            if parcel & 3 == 3 {
                continue;
            }
            let s = predecode(u32::from(parcel), 0x800);
            let Some(word) = crate::rvc::expand(parcel) else {
                assert_eq!(s.op, XOp::Illegal, "{parcel:#06x}");
                continue;
            };
            let base = predecode(word, 0x800);
            if base.op == XOp::Slow {
                assert_eq!(s.op, XOp::Slow, "{parcel:#06x}");
                continue;
            }
            fast += 1;
            assert!(s.op.is_compressed(), "{parcel:#06x}: {:?}", s.op);
            // The distances of jumps and branches are in parcels, the
            // same whichever the length.
            assert_eq!(
                Slot {
                    op: s.op.base(),
                    ..s
                },
                base,
                "{parcel:#06x}"
            );
        }
        // All but c.ebreak, the F/D loads and stores (illegal here) and
        // the loads into x0 (HINTs that still access memory)...
        assert!(fast > 36_000, "{fast}");
    }

    /// A store resets the slots of the instructions it changes: one that
    /// begins in it, and a 32-bit one that begins in the parcel before it
    /// (not a compressed one there).
    #[test]
    fn a_store_resets_the_instructions_it_overlaps() {
        let mut dc = DCache::new(4).expect("small");
        let base = dc.page(1);
        let addi = 0x0010_0093; // addi x1, x0, 1
        let c_nop = 0x0001;
        for (i, bits) in [addi, 0, c_nop, addi, 0].into_iter().enumerate() {
            dc.fill(base + i, predecode(bits, 2 * i as u64), bits);
        }
        let decoded = |dc: &DCache| {
            (0..5)
                .map(|i| dc.slots[base + i].op != XOp::Undecoded)
                .collect::<Vec<_>>()
        };
        // A byte into the second half of the first `addi`: it is reset.
        dc.store(4096 + 2, 1);
        assert_eq!(decoded(&dc), [false, false, true, true, true]);
        // A byte of the parcel after the c.nop: the c.nop stays.
        dc.store(4096 + 6, 1);
        assert_eq!(decoded(&dc), [false, false, true, false, true]);
    }
}
