//! Guest RAM, and the hart's tables with an entry per RAM page: zero-filled
//! memory that costs the host nothing until it is touched ([`Zeroed`]);
//! and the hart's RAM itself ([`Ram`]), with the decoded copy of the code in
//! it.
//!
//! A guest is given its whole RAM (`--memory`, 128 MiB by default, up to
//! 16 GiB; under the monitor every guest's RAM is one block of machine
//! memory) but usually touches a few pages of it. As with QEMU's `-m`, only
//! what a guest touches may cost host memory: on Unix (and not under Miri)
//! [`Zeroed`] is an anonymous private mapping with `MAP_NORESERVE`, so the
//! kernel reserves address space only, zero-fills each page on its first
//! touch, and does not count the mapping against its commit limit. A
//! thousand guests of 128 MiB that each touch a few pages then fit on a host
//! with much less memory than 128 GiB. Elsewhere it is a `Vec`, allocated
//! and zeroed in full, whose allocation failure is an error, not an abort.
//!
//! Where memory really runs out, creating it fails with [`RamError`] before
//! anything runs (the kernel refused the reservation: with strict overcommit,
//! or when the address space is exhausted). Touching pages later is the
//! kernel's business, as for any process.

use std::ops::{Deref, DerefMut, Range};

use crate::dcache::DCache;
use crate::sv39::{PhysMem, PAGE_SIZE};

/// Memory could not be reserved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot reserve {bytes} bytes ({mib} MiB) of host memory: {reason}")]
pub struct RamError {
    pub bytes: u64,
    pub mib: u64,
    pub reason: String,
}

impl RamError {
    fn new(bytes: usize, reason: impl Into<String>) -> RamError {
        RamError {
            bytes: bytes as u64,
            mib: (bytes as u64).div_ceil(1 << 20),
            reason: reason.into(),
        }
    }
}

/// Host page size assumed for skipping untouched pages in [`Clone`] (any
/// size works; this one matches the guest's pages).
const CHUNK: usize = 4096;

/// A zero-filled block of `len` bytes, backed lazily where the host allows
/// (see the module documentation). Derefs to `[u8]`.
pub struct Zeroed {
    #[cfg(all(unix, not(miri)))]
    map: Option<Mapping>,
    #[cfg(not(all(unix, not(miri))))]
    vec: Vec<u8>,
}

impl Zeroed {
    /// `len` zero bytes.
    pub fn new(len: usize) -> Result<Zeroed, RamError> {
        #[cfg(all(unix, not(miri)))]
        {
            let map = if len == 0 {
                None
            } else {
                Some(Mapping::new(len)?)
            };
            Ok(Zeroed { map })
        }
        #[cfg(not(all(unix, not(miri))))]
        {
            let mut vec = Vec::new();
            vec.try_reserve_exact(len)
                .map_err(|e| RamError::new(len, e.to_string()))?;
            vec.resize(len, 0);
            Ok(Zeroed { vec })
        }
    }
}

impl Deref for Zeroed {
    type Target = [u8];

    #[inline(always)]
    fn deref(&self) -> &[u8] {
        #[cfg(all(unix, not(miri)))]
        {
            match &self.map {
                Some(m) => m.bytes(),
                None => &[],
            }
        }
        #[cfg(not(all(unix, not(miri))))]
        {
            &self.vec
        }
    }
}

impl DerefMut for Zeroed {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [u8] {
        #[cfg(all(unix, not(miri)))]
        {
            match &mut self.map {
                Some(m) => m.bytes_mut(),
                None => &mut [],
            }
        }
        #[cfg(not(all(unix, not(miri))))]
        {
            &mut self.vec
        }
    }
}

impl Clone for Zeroed {
    /// A copy that touches only the pages that are not all zeros (reading
    /// an untouched page of the original costs nothing either).
    ///
    /// # Panics
    /// If the host refuses the memory for the copy.
    fn clone(&self) -> Zeroed {
        let mut copy = match Zeroed::new(self.len()) {
            Ok(z) => z,
            Err(e) => panic!("cloning guest memory: {e}"),
        };
        for (to, from) in copy.chunks_mut(CHUNK).zip(self.chunks(CHUNK)) {
            if from.iter().any(|&b| b != 0) {
                to.copy_from_slice(from);
            }
        }
        copy
    }
}

impl std::fmt::Debug for Zeroed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zeroed({} bytes)", self.len())
    }
}

/// A table of `u32`s, one per RAM page, all 0 at first, held in [`Zeroed`]
/// memory: a table for a large RAM costs host memory only for the entries
/// written (4 KiB of table per 4 MiB of RAM whose entries are written).
#[derive(Clone, Debug)]
pub struct ZeroedWords(Zeroed);

impl ZeroedWords {
    /// `len` words of 0.
    pub fn new(len: usize) -> Result<ZeroedWords, RamError> {
        let bytes = len
            .checked_mul(4)
            .ok_or_else(|| RamError::new(usize::MAX, "too many entries"))?;
        Zeroed::new(bytes).map(ZeroedWords)
    }

    pub fn len(&self) -> usize {
        self.0.len() / 4
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Entry `i`, or `None` past the end.
    #[inline(always)]
    pub fn get(&self, i: usize) -> Option<u32> {
        let at = i.checked_mul(4)?;
        let b = self.0.get(at..at.checked_add(4)?)?;
        Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Sets entry `i` (nothing past the end).
    #[inline(always)]
    pub fn set(&mut self, i: usize, value: u32) {
        let Some(at) = i.checked_mul(4) else {
            return;
        };
        if let Some(b) = at.checked_add(4).and_then(|end| self.0.get_mut(at..end)) {
            b.copy_from_slice(&value.to_ne_bytes());
        }
    }
}

/// An anonymous private mapping of `len` (> 0) bytes, readable and
/// writable, with `MAP_NORESERVE`.
#[cfg(all(unix, not(miri)))]
struct Mapping {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is owned by this `Mapping` alone (the only pointer to
// it is `ptr`, reached through `&self`/`&mut self`), so it may move to, or
// be shared with, another thread as a `Vec<u8>` may.
#[cfg(all(unix, not(miri)))]
#[allow(unsafe_code)]
unsafe impl Send for Mapping {}
#[cfg(all(unix, not(miri)))]
#[allow(unsafe_code)]
unsafe impl Sync for Mapping {}

#[cfg(all(unix, not(miri)))]
impl Mapping {
    fn new(len: usize) -> Result<Mapping, RamError> {
        // `MAP_NORESERVE` exists on Linux and the BSDs' libc; where the
        // kernel ignores it, the mapping is still lazily zero-filled.
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // SAFETY: an anonymous private mapping at an address of the
        // kernel's choosing aliases no Rust object; the result is checked.
        #[allow(unsafe_code)]
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(RamError::new(
                len,
                std::io::Error::last_os_error().to_string(),
            ));
        }
        let ptr = std::ptr::NonNull::new(p.cast::<u8>())
            .ok_or_else(|| RamError::new(len, "the kernel mapped it at address 0"))?;
        Ok(Mapping { ptr, len })
    }

    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        // SAFETY: `ptr..ptr + len` is one live mapping, readable and
        // writable, owned by `self` (so borrowed with it), aligned for
        // bytes; the kernel zero-filled it, so every byte is initialised.
        #[allow(unsafe_code)]
        unsafe {
            std::slice::from_raw_parts(self.ptr.as_ptr(), self.len)
        }
    }

    #[inline(always)]
    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` makes this the only borrow.
        #[allow(unsafe_code)]
        unsafe {
            std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len)
        }
    }
}

#[cfg(all(unix, not(miri)))]
impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; no borrow of it
        // outlives `self`.
        #[allow(unsafe_code)]
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

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

/// Where RAM starts in the physical address space (MACHINE.md).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_filled_writable_and_cloned_with_its_contents() {
        let mut z = Zeroed::new(3 * CHUNK + 5).unwrap();
        assert_eq!(z.len(), 3 * CHUNK + 5);
        assert!(z.iter().all(|&b| b == 0));
        z[CHUNK + 7] = 0xaa;
        z[3 * CHUNK + 4] = 0x55;
        let copy = z.clone();
        assert_eq!(&copy[..], &z[..]);
        z[CHUNK + 7] = 0;
        assert_eq!(copy[CHUNK + 7], 0xaa, "a copy, not a view");
        assert!(Zeroed::new(0).unwrap().is_empty());
    }

    #[test]
    fn words_read_back_what_was_set_and_zero_elsewhere() {
        let mut w = ZeroedWords::new(1 << 20).unwrap();
        assert_eq!(w.len(), 1 << 20);
        assert_eq!(w.get(12345), Some(0));
        w.set(12345, 0xdead_beef);
        w.set(1 << 20, 1); // past the end: nothing
        assert_eq!(w.get(12345), Some(0xdead_beef));
        assert_eq!(w.get(12346), Some(0));
        assert_eq!(w.get(1 << 20), None);
        assert_eq!(w.get(usize::MAX), None);
    }

    /// A reservation far larger than this host's memory succeeds, and
    /// touching a page of it costs one page.
    #[cfg(all(unix, not(miri), target_pointer_width = "64"))]
    #[test]
    fn a_huge_reservation_costs_only_what_is_touched() {
        let mut z = Zeroed::new(1 << 37).expect("128 GiB of address space");
        z[1 << 36] = 1;
        assert_eq!(z[(1 << 36) + 1], 0);
    }
}
