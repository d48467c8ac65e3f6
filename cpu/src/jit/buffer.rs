//! The executable memory translated code lives in: one anonymous mapping
//! per hart, writable or executable but never both at once (it is made
//! writable only while a page is copied in).

use super::translate::{self, Frame, Shared};
use super::x64::Asm;
use std::ptr::NonNull;

/// Size of the mapping (virtual; the host commits only pages written).
const SIZE: usize = 16 << 20;
/// Room kept for one page's code (the most a page translates to is about
/// 2048 words of at most 100 bytes, plus 2049 stops of 10).
const ROOM: usize = 512 << 10;
const HOST_PAGE: usize = 4096;

pub(crate) struct CodeBuf {
    ptr: NonNull<u8>,
    shared: Shared,
    /// The first byte after the shared code.
    start: usize,
    used: usize,
    /// A change of protection failed: some of the code may not be
    /// executable any more, so none of it may run.
    broken: bool,
}

// SAFETY: the mapping is owned by this `CodeBuf` alone (no other pointer to
// it escapes except into code that runs on the thread that holds the
// `CodeBuf`), so moving it to another thread is moving the ownership.
#[allow(unsafe_code)]
unsafe impl Send for CodeBuf {}

impl CodeBuf {
    /// A new mapping with the shared entry and exit code, or `None` if the
    /// host refuses one.
    pub(crate) fn new() -> Option<CodeBuf> {
        // SAFETY: an anonymous private mapping at an address of the
        // kernel's choosing aliases no Rust object.
        #[allow(unsafe_code)]
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        let ptr = NonNull::new(p.cast::<u8>())?;
        let mut a = Asm::default();
        let shared = translate::shared(&mut a);
        let mut buf = CodeBuf {
            ptr,
            shared,
            start: 0,
            used: 0,
            broken: false,
        };
        buf.place(0, &a.code)?;
        buf.start = buf.used;
        Some(buf)
    }

    pub(crate) fn shared(&self) -> Shared {
        self.shared
    }

    /// Whether a change of protection failed (see [`CodeBuf::place`]).
    pub(crate) fn broken(&self) -> bool {
        self.broken
    }

    pub(crate) fn has_room(&self) -> bool {
        self.used + ROOM <= SIZE
    }

    /// Forgets every translated page (their label tables must go too).
    pub(crate) fn reset(&mut self) {
        self.used = self.start;
    }

    /// Where the next [`CodeBuf::place`] puts its code (16-byte aligned).
    pub(crate) fn next_offset(&self) -> usize {
        self.used.next_multiple_of(16)
    }

    /// Copies `code` in at offset `at` (from [`CodeBuf::next_offset`]) and
    /// returns its host address; `None` if it does not fit.
    pub(crate) fn place(&mut self, at: usize, code: &[u8]) -> Option<usize> {
        let end = at.checked_add(code.len()).filter(|&e| e <= SIZE)?;
        let first = at / HOST_PAGE * HOST_PAGE;
        let last = end.next_multiple_of(HOST_PAGE).min(SIZE);
        // SAFETY: `first..last` lies in the mapping; while it is writable no
        // code runs (this hart's code runs only from `enter`, which cannot
        // be running now: it holds `&self`, and this `&mut self`).
        #[allow(unsafe_code)]
        unsafe {
            let region = self.ptr.as_ptr().add(first).cast();
            if libc::mprotect(region, last - first, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                self.broken = true;
                return None;
            }
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.ptr.as_ptr().add(at), code.len());
            if libc::mprotect(region, last - first, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                self.broken = true;
                return None;
            }
        }
        self.used = end;
        Some(self.ptr.as_ptr() as usize + at)
    }

    /// Runs translated code from `word` of the page whose label table is
    /// `frame.table`.
    ///
    /// # Safety
    ///
    /// The code reads and writes through `frame`'s raw pointers, so the
    /// caller promises, for the whole call:
    /// - `frame.table` is a label table this buffer's [`super::Jit`] made
    ///   since the buffer was last reset (so every entry is the address of
    ///   live code in this buffer), and `word` is at most
    ///   [`crate::dcache::SLOTS_PER_PAGE`] (the table's last index);
    /// - `frame.x` points to the 32 guest registers, valid for reads and
    ///   writes;
    /// - `frame.ram` points to the hart's RAM and `frame.tlb_r`/`tlb_w` to
    ///   that hart's load and store TLB entries, every entry that can hit
    ///   naming a RAM page wholly inside that RAM (the invariant
    ///   `exec::tlb_load` relies on);
    /// - nothing else reads or writes the registers, RAM or TLB entries
    ///   while it runs (the caller holds them exclusively);
    /// - `frame.left` is more than [`translate::SLACK`].
    #[allow(unsafe_code)]
    pub(crate) unsafe fn enter(&self, frame: &mut Frame, word: usize) {
        debug_assert!(word <= crate::dcache::SLOTS_PER_PAGE);
        debug_assert!(frame.left > translate::SLACK && frame.left <= translate::MAX_LEFT);
        // SAFETY: the entry code was emitted by `translate::shared` at
        // `shared.entry` and is executable. It follows the System V ABI
        // (saves and restores the callee-saved registers it uses, touches no
        // stack but its pushes) and jumps to `frame.table[word]`, a live
        // label of this buffer at an index the table has (the caller's
        // promise). Translated code reads and writes only through `frame`'s
        // pointers, which the caller promises valid and exclusive: the
        // registers (indices below 32 built in), RAM at offsets that hit a
        // TLB entry (the same bounds argument as `exec::tlb_load`), and the
        // label table at an index below 2048 (checked before the jump).
        unsafe {
            let entry: extern "sysv64" fn(*mut Frame, u64) =
                std::mem::transmute(self.ptr.as_ptr().add(self.shared.entry));
            entry(frame, word as u64);
        }
    }
}

impl Drop for CodeBuf {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` made; nothing uses it
        // after the `CodeBuf` is gone (label tables live in the `Jit` that
        // owns this buffer).
        #[allow(unsafe_code)]
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), SIZE);
        }
    }
}
