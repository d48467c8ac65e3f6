//! The hart's RAM ([`Ram`]), with the decoded copy of the code in it, in
//! zero-filled memory that costs the host only what a guest touches
//! ([`crate::zeroed`]).

use std::ops::Range;

use crate::dcache::DCache;
use crate::sv39::{PhysMem, PAGE_SIZE};

pub use crate::zeroed::{RamError, Zeroed, ZeroedWords};

// ---------------------------------------------------------------------------
// The hart's RAM and its decode cache
// ---------------------------------------------------------------------------
//
// The decode cache ([`DCache`]) holds pre-decoded instructions per RAM
// page, indexed by physical page, so it must see every write to RAM: it
// lives here, beside the bytes, and every write goes through
// [`Ram::write`], which resets the decoded slots it touches (guest stores
// that took the slow path, page-table A/D updates, the host's writes). The
// only writes that do not come here are the fast loop's and translated
// code's stores, and those never reach a page with decoded code (see
// [`crate::mmu`]).

/// Where RAM starts in the physical address space (book/src/machine.md).
pub const RAM_BASE: u64 = 0x8000_0000;

/// RAM at [`RAM_BASE`], and the decode cache of the code in it.
#[derive(Clone, Debug)]
pub(crate) struct Ram {
    /// The bytes, lazily backed; never resized once made (the fast paths
    /// rely on it).
    pub(crate) bytes: Zeroed,
    /// Pre-decoded instructions of the pages that ran code.
    pub(crate) code: DCache,
    /// One bit per page: written since the last
    /// [`Ram::take_dirty_pages`] (a debugger's incremental snapshots,
    /// [`crate::debug`]).
    dirty: Vec<u64>,
}

impl Ram {
    /// `size` bytes of zeroed RAM, rounded up to whole pages, or why the
    /// host cannot reserve them.
    pub(crate) fn new(size: u64) -> Result<Ram, RamError> {
        let too_big = || RamError {
            bytes: size,
            mib: size.div_ceil(1 << 20),
            reason: "more than this host can address".into(),
        };
        let size = size
            .checked_next_multiple_of(PAGE_SIZE)
            .filter(|&s| usize::try_from(s).is_ok())
            .ok_or_else(too_big)?;
        let pages = (size / PAGE_SIZE) as usize;
        Ok(Ram {
            bytes: Zeroed::new(size as usize)?,
            code: DCache::new(pages)?,
            dirty: vec![0; pages.div_ceil(64)],
        })
    }

    /// The physical addresses of RAM.
    pub(crate) fn range(&self) -> Range<u64> {
        RAM_BASE..RAM_BASE + self.bytes.len() as u64
    }

    /// The offset of `[pa, pa + size)` in RAM, if it lies wholly in RAM.
    #[inline]
    pub(crate) fn offset(&self, pa: u64, size: u64) -> Option<usize> {
        let off = pa.checked_sub(RAM_BASE)?;
        let end = off.checked_add(size)?;
        (end <= self.bytes.len() as u64).then_some(off as usize)
    }

    /// `size` (at most 8) bytes at offset `off`, zero-extended; bytes past
    /// the end read as 0 (callers have checked the range).
    pub(crate) fn read_sized(&self, off: usize, size: u64) -> u64 {
        let mut b = [0u8; 8];
        if let Some(src) = self.bytes.get(off..off.saturating_add(size as usize)) {
            b[..src.len()].copy_from_slice(src);
        }
        u64::from_le_bytes(b)
    }

    pub(crate) fn read_u32(&self, off: usize) -> u32 {
        self.read_sized(off, 4) as u32
    }

    /// Writes `data` at offset `off`, keeping the decode cache coherent
    /// and marking the pages written.
    pub(crate) fn write(&mut self, off: usize, data: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(off..off.saturating_add(data.len())) {
            dst.copy_from_slice(data);
            self.code.store_range(off, data.len());
            self.mark_dirty(off, data.len());
        }
    }

    /// Marks the pages of `[off, off + len)` written.
    #[inline]
    pub(crate) fn mark_dirty(&mut self, off: usize, len: usize) {
        if len == 0 {
            return;
        }
        for page in off >> 12..=(off + len - 1) >> 12 {
            if let Some(w) = self.dirty.get_mut(page / 64) {
                *w |= 1 << (page % 64);
            }
        }
    }

    /// The pages written since the last call (numbers counted from
    /// [`RAM_BASE`], ascending), and a fresh record from now on. (The
    /// caller drops its store TLB: stores through it mark nothing.)
    pub(crate) fn take_dirty_pages(&mut self) -> Vec<usize> {
        let mut pages = Vec::new();
        for (i, w) in self.dirty.iter_mut().enumerate() {
            let mut bits = std::mem::take(w);
            while bits != 0 {
                pages.push(i * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        pages
    }

    /// Page `n` (4096 bytes), if RAM has it.
    pub(crate) fn page(&self, n: usize) -> Option<&[u8]> {
        let off = n.checked_mul(PAGE_SIZE as usize)?;
        self.bytes.get(off..off.checked_add(PAGE_SIZE as usize)?)
    }

    /// Reads RAM at physical address `pa`; false (and `buf` untouched) if
    /// any byte is outside RAM.
    pub(crate) fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        match self.offset(pa, buf.len() as u64) {
            Some(off) => {
                buf.copy_from_slice(&self.bytes[off..off + buf.len()]);
                true
            }
            None => false,
        }
    }

    /// Writes RAM at physical address `pa` as the host; false (and nothing
    /// written) if any byte is outside RAM. A large write drops the whole
    /// decode cache rather than resetting it slot by slot.
    pub(crate) fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        match self.offset(pa, data.len() as u64) {
            Some(off) => {
                if data.len() > 64 * 1024 {
                    self.code.flush();
                }
                self.write(off, data);
                true
            }
            None => false,
        }
    }
}

/// The hart walks its page tables in its own RAM.
impl PhysMem for Ram {
    fn read_pte(&self, pa: u64) -> Option<u64> {
        self.offset(pa, 8).map(|off| self.read_sized(off, 8))
    }

    fn write_pte(&mut self, pa: u64, pte: u64) -> bool {
        match self.offset(pa, 8) {
            Some(off) => {
                self.write(off, &pte.to_le_bytes());
                true
            }
            None => false,
        }
    }
}
