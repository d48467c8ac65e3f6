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

use crate::isa::{self, Op};
use crate::ram::{RamError, ZeroedWords};

/// Slots per page (IALIGN = 32: one per 4-byte word).
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

/// What the executor does with a slot. Operations the fast path does not
/// handle itself are [`XOp::Slow`]: the generic executor runs them from the
/// raw bits. Some instruction table operations become more specific ones
/// here (`addi rd, x0, imm` is [`XOp::Li`]; anything writing only `x0` is
/// [`XOp::Nop`]), so that no fast-path operation ever writes `x0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum XOp {
    // The four operations up to `Slow` are the ones the fast loop never
    // runs (`run_block` tells them by this order).
    /// Not decoded yet: decode, then run.
    Undecoded,
    /// Sentinel: find the slot of the current `pc` (a new page).
    Fetch,
    Illegal,
    Slow,
    Nop,
    Li,
    Auipc,
    Jal,
    J,
    Jalr,
    Jr,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Lb,
    Lh,
    Lw,
    Ld,
    Lbu,
    Lhu,
    Lwu,
    Sb,
    Sh,
    Sw,
    Sd,
    Addi,
    Slti,
    Sltiu,
    Xori,
    Ori,
    Andi,
    Slli,
    Srli,
    Srai,
    Add,
    Sub,
    Sll,
    Slt,
    Sltu,
    Xor,
    Srl,
    Sra,
    Or,
    And,
    Addiw,
    Slliw,
    Srliw,
    Sraiw,
    Addw,
    Subw,
    Sllw,
    Srlw,
    Sraw,
    Mul,
    Mulh,
    Mulhsu,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Mulw,
    Divw,
    Divuw,
    Remw,
    Remuw,
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

/// Pre-decodes `bits`, found at byte `page_off` of its page. With
/// `reference`, everything goes to the generic executor (the reference path
/// that tests compare the fast path against).
pub(crate) fn predecode(bits: u32, page_off: u64, reference: bool) -> Slot {
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
    let Ok(i) = isa::decode(bits) else {
        return slot(XOp::Illegal, 0, 0, 0, 0);
    };
    let slow = slot(XOp::Slow, 0, 0, 0, 0);
    if reference {
        return slow;
    }
    let (rd, rs1, rs2, imm) = (i.rd, i.rs1, i.rs2, i.imm);
    // An operation that only computes a value for rd: with rd = x0, a nop.
    let value = |op| {
        if rd == 0 {
            slot(XOp::Nop, 0, 0, 0, 0)
        } else {
            slot(op, rd, rs1, rs2, imm)
        }
    };
    // Loads into x0 still access memory (and may fault): generic path.
    let load = |op| {
        if rd == 0 {
            slow
        } else {
            slot(op, rd, rs1, 0, imm)
        }
    };
    // IALIGN = 32: a jump or taken branch to a target that is not 4-byte
    // aligned raises a misaligned exception; the generic path handles it.
    let aligned = imm & 3 == 0;
    let branch = |op| {
        if aligned {
            slot(op, 0, rs1, rs2, near(imm))
        } else {
            slow
        }
    };
    match i.op {
        Op::Lui => value(XOp::Li),
        Op::Auipc => value(XOp::Auipc),
        Op::Jal if !aligned => slow,
        Op::Jal if rd == 0 => slot(XOp::J, 0, 0, 0, near(imm)),
        Op::Jal => slot(XOp::Jal, rd, 0, 0, near(imm)),
        Op::Jalr if rd == 0 => slot(XOp::Jr, 0, rs1, 0, imm),
        Op::Jalr => slot(XOp::Jalr, rd, rs1, 0, imm),
        Op::Beq => branch(XOp::Beq),
        Op::Bne => branch(XOp::Bne),
        Op::Blt => branch(XOp::Blt),
        Op::Bge => branch(XOp::Bge),
        Op::Bltu => branch(XOp::Bltu),
        Op::Bgeu => branch(XOp::Bgeu),
        Op::Lb => load(XOp::Lb),
        Op::Lh => load(XOp::Lh),
        Op::Lw => load(XOp::Lw),
        Op::Ld => load(XOp::Ld),
        Op::Lbu => load(XOp::Lbu),
        Op::Lhu => load(XOp::Lhu),
        Op::Lwu => load(XOp::Lwu),
        Op::Sb => slot(XOp::Sb, 0, rs1, rs2, imm),
        Op::Sh => slot(XOp::Sh, 0, rs1, rs2, imm),
        Op::Sw => slot(XOp::Sw, 0, rs1, rs2, imm),
        Op::Sd => slot(XOp::Sd, 0, rs1, rs2, imm),
        Op::Addi if rs1 == 0 => value(XOp::Li),
        Op::Addi => value(XOp::Addi),
        Op::Slti => value(XOp::Slti),
        Op::Sltiu => value(XOp::Sltiu),
        Op::Xori => value(XOp::Xori),
        Op::Ori => value(XOp::Ori),
        Op::Andi => value(XOp::Andi),
        Op::Slli => value(XOp::Slli),
        Op::Srli => value(XOp::Srli),
        Op::Srai => value(XOp::Srai),
        Op::Add => value(XOp::Add),
        Op::Sub => value(XOp::Sub),
        Op::Sll => value(XOp::Sll),
        Op::Slt => value(XOp::Slt),
        Op::Sltu => value(XOp::Sltu),
        Op::Xor => value(XOp::Xor),
        Op::Srl => value(XOp::Srl),
        Op::Sra => value(XOp::Sra),
        Op::Or => value(XOp::Or),
        Op::And => value(XOp::And),
        Op::Addiw => value(XOp::Addiw),
        Op::Slliw => value(XOp::Slliw),
        Op::Srliw => value(XOp::Srliw),
        Op::Sraiw => value(XOp::Sraiw),
        Op::Addw => value(XOp::Addw),
        Op::Subw => value(XOp::Subw),
        Op::Sllw => value(XOp::Sllw),
        Op::Srlw => value(XOp::Srlw),
        Op::Sraw => value(XOp::Sraw),
        Op::Mul => value(XOp::Mul),
        Op::Mulh => value(XOp::Mulh),
        Op::Mulhsu => value(XOp::Mulhsu),
        Op::Mulhu => value(XOp::Mulhu),
        Op::Div => value(XOp::Div),
        Op::Divu => value(XOp::Divu),
        Op::Rem => value(XOp::Rem),
        Op::Remu => value(XOp::Remu),
        Op::Mulw => value(XOp::Mulw),
        Op::Divw => value(XOp::Divw),
        Op::Divuw => value(XOp::Divuw),
        Op::Remw => value(XOp::Remw),
        Op::Remuw => value(XOp::Remuw),
        // Ordering is trivially satisfied by one in-order hart.
        Op::Fence => slot(XOp::Nop, 0, 0, 0, 0),
        _ => slow,
    }
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
