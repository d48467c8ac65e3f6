//! Zero-filled memory that costs the host nothing until it is touched
//! ([`Zeroed`]), for guest RAM and for the hart's tables with an entry per
//! RAM page ([`ZeroedWords`]).
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

use std::ops::{Deref, DerefMut};

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
