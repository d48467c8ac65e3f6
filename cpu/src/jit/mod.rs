//! Binary translation: hot pages of guest code become x86-64 host code.
//!
//! The fast loop (`Lane::run` in `engine.rs`) still pays for every guest
//! instruction with a dispatch: read the slot, jump through a table, read
//! the operands' register numbers. A translated page has none of that: each
//! guest instruction is a few host instructions with its registers and
//! immediate built in, and an in-page jump is a host jump. This is the
//! "binary translation" of the course's story, in a simple form: one page at
//! a time, the page's five most used guest registers kept in host registers
//! and the rest in memory, no other optimisation across instructions.
//!
//! Translated code is a faster way to run the fast loop, never a different
//! one: it runs the same operations, stops at the same slots (anything that
//! needs the whole hart: undecoded or slow slots, TLB misses, misaligned
//! accesses, leaving the page) and counts instructions the same way, so a run
//! is the same, to the instruction, with or without it (the tests compare
//! both against the reference executor). It runs in the plain loop and
//! with the trace digest on (code translated for the digest adds every
//! instruction to it, as the fast loop does), not with an instruction trace
//! or breakpoints, and only with more than [`SLACK`] instructions left; the
//! fast loop and the generic executor do the rest.
//!
//! **When a page is translated.** A page's code is translated from its
//! decoded slots, after the run loop decoded what the code it enters at can
//! reach in the page (`Hart::decode_ahead`); undecoded slots become stops.
//! Pages are translated when
//! the run loop has come to them [`WARM`] times since they were last
//! translated (or changed), and while a page waits, the fast loop runs in
//! slices of [`LANE_SLICE`] instructions, so that a loop that never leaves
//! its page is still seen. A page whose slots are reset (self-modifying
//! code, `fence.i`, a store into it) loses its code; a RAM page translated
//! [`MAX_TRANSLATIONS`] times (counted across `fence.i`) is left to the fast
//! loop for good.
//!
//! Only on x86-64 Unix hosts (and not under Miri); elsewhere the fast loop
//! runs everything.

#[cfg(all(target_arch = "x86_64", unix, not(miri)))]
mod buffer;
#[cfg(all(target_arch = "x86_64", unix, not(miri)))]
pub(crate) mod translate;
#[cfg(all(target_arch = "x86_64", unix, not(miri)))]
pub(crate) mod x64;

use crate::dcache::DCache;
use crate::ram::ZeroedWords;

/// Translated code runs only with more than this many instructions left,
/// and checks for it at least this often (see [`translate`]).
pub(crate) const SLACK: u64 = 64;
/// Entries into a page before it is translated (again).
pub(crate) const WARM: u32 = 4;
/// The most instructions the fast loop runs at a time in a page waiting for
/// translation.
pub(crate) const LANE_SLICE: u64 = 1 << 16;
/// Translations of one page after which it is left to the fast loop.
const MAX_TRANSLATIONS: u32 = 64;

/// What the run loop should do with a page.
pub(crate) enum Plan {
    /// Run it with the fast loop alone.
    Unmanaged,
    /// Run the fast loop a slice at a time: the page waits for translation.
    Warming,
    /// Run its translated code from this label table.
    #[cfg_attr(not(all(target_arch = "x86_64", unix, not(miri))), allow(dead_code))]
    Run(*const u64),
    /// Translate it now ([`Jit::translate`]), then run it.
    Translate,
}

/// The translation state of one decode-cache page.
#[derive(Default)]
struct PageState {
    /// The host address of each word's code (and of the sentinel's stop).
    table: Option<Box<[u64]>>,
    /// The page's [`DCache::page_state`] when it was translated.
    epoch: u32,
    decodes: u32,
    /// Entries since the last translation while the page was untranslated
    /// or had slots decoded since.
    pending: u32,
    /// Its RAM page has been translated [`MAX_TRANSLATIONS`] times: the
    /// fast loop runs it from now on.
    spent: bool,
}

/// The translator's cache of one hart.
pub(crate) struct Jit {
    on: bool,
    /// Whether the pages are translated to add up the trace digest.
    digest: bool,
    /// Entries before a page is translated ([`WARM`]; tests lower it).
    warm: u32,
    #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
    buf: Option<buffer::CodeBuf>,
    pages: Vec<PageState>,
    /// Translations of each RAM page so far: kept when the decode cache is
    /// dropped (`fence.i`), so that a loop that runs `fence.i` or rewrites
    /// its code all the time is soon left to the fast loop. One entry per
    /// RAM page, in lazily backed memory (made at the first translation):
    /// pages that never run translated code cost nothing.
    translations: Option<ZeroedWords>,
    /// [`DCache::flushes`] that the pages are for.
    dc_flushes: u64,
    /// Pages translated, and code buffer resets (for `--stats`).
    pub(crate) translated: u64,
    pub(crate) resets: u64,
}

impl Clone for Jit {
    /// A clone starts with no translated code (it is a cache).
    fn clone(&self) -> Jit {
        self.fresh(self.on)
    }
}

impl Jit {
    pub(crate) fn new(on: bool) -> Jit {
        Jit {
            on: on && cfg!(all(target_arch = "x86_64", unix, not(miri))),
            warm: WARM,
            digest: false,
            #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
            buf: None,
            pages: Vec::new(),
            translations: None,
            dc_flushes: 0,
            translated: 0,
            resets: 0,
        }
    }

    pub(crate) fn on(&self) -> bool {
        self.on
    }

    pub(crate) fn set_on(&mut self, on: bool) {
        *self = self.fresh(on);
    }

    /// A cache with nothing translated, `on` or not, with this one's
    /// warm-up setting.
    fn fresh(&self, on: bool) -> Jit {
        Jit {
            warm: self.warm,
            ..Jit::new(on)
        }
    }

    /// Translates a page at its `entries`-th entry (at least 1) instead of
    /// [`WARM`]'s: with 1, at once, and again at every entry after new
    /// slots were decoded (tests use it to run translated code as much as
    /// they can).
    pub(crate) fn set_warm(&mut self, entries: u32) {
        self.warm = entries.max(1);
    }

    /// What to do with decode-cache page `chunk` of `dc`, entered once
    /// more: run its code, or the fast loop, or translate it now.
    /// `digest`: whether the run adds up the trace digest.
    #[inline]
    pub(crate) fn plan(&mut self, dc: &DCache, chunk: usize, digest: bool) -> Plan {
        // The common case first, inline, without the lookups of
        // `plan_slow` (the monitor comes here after every exit): the
        // page's code is up to date.
        if self.on && dc.flushes() == self.dc_flushes && digest == self.digest {
            if let Some(PageState {
                table: Some(t),
                epoch,
                decodes,
                spent: false,
                ..
            }) = self.pages.get(chunk)
            {
                if (*epoch, *decodes) == dc.page_state(chunk) {
                    return Plan::Run(t.as_ptr());
                }
            }
        }
        self.plan_slow(dc, chunk, digest)
    }

    /// [`Jit::plan`] for a page whose code is missing or stale.
    #[inline(never)]
    fn plan_slow(&mut self, dc: &DCache, chunk: usize, digest: bool) -> Plan {
        if !self.on {
            return Plan::Unmanaged;
        }
        if dc.flushes() != self.dc_flushes || digest != self.digest {
            self.pages.clear();
            self.dc_flushes = dc.flushes();
            self.digest = digest;
        }
        if self.pages.len() <= chunk {
            self.pages.resize_with(chunk + 1, PageState::default);
        }
        let Some(ram_page) = dc.ram_page(chunk) else {
            return Plan::Unmanaged;
        };
        let translated = match &self.translations {
            Some(t) => t.get(ram_page).unwrap_or(0),
            None => 0,
        };
        if translated >= MAX_TRANSLATIONS {
            return Plan::Unmanaged;
        }
        let (epoch, decodes) = dc.page_state(chunk);
        let st = &mut self.pages[chunk];
        if st.epoch != epoch {
            st.table = None;
        }
        if let Some(t) = &st.table {
            if st.decodes == decodes {
                return Plan::Run(t.as_ptr());
            }
        }
        st.pending += 1;
        if st.pending < self.warm {
            return match &st.table {
                Some(t) => Plan::Run(t.as_ptr()),
                None => Plan::Warming,
            };
        }
        Plan::Translate
    }

    /// Translates decode-cache page `chunk` (slots from `base`) after
    /// [`Jit::plan`] asked for it.
    #[cfg(not(all(target_arch = "x86_64", unix, not(miri))))]
    pub(crate) fn translate(&mut self, _: &DCache, _: usize, _: usize) -> Plan {
        Plan::Unmanaged
    }

    /// Translates decode-cache page `chunk` (slots from `base`) after
    /// [`Jit::plan`] asked for it.
    #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
    pub(crate) fn translate(&mut self, dc: &DCache, chunk: usize, base: usize) -> Plan {
        use crate::dcache::SLOTS_PER_PAGE;
        let (epoch, decodes) = dc.page_state(chunk);
        if self.pages.len() <= chunk {
            return Plan::Unmanaged;
        }
        if self.buf.is_none() {
            self.buf = buffer::CodeBuf::new();
            if self.buf.is_none() {
                tracing::warn!("no executable memory for translated code: interpreting only");
                self.on = false;
                return Plan::Unmanaged;
            }
        }
        let Some(buf) = self.buf.as_mut() else {
            return Plan::Unmanaged;
        };
        if !buf.has_room() {
            buf.reset();
            self.resets += 1;
            for p in &mut self.pages {
                p.table = None;
            }
        }
        let end = base + SLOTS_PER_PAGE;
        let (Some(slots), Some(bits)) = (dc.slots.get(base..end), dc.bits.get(base..end)) else {
            return Plan::Unmanaged;
        };
        let at = buf.next_offset();
        let page = translate::page(slots, bits, at, buf.shared(), self.digest);
        let Some(addr) = buf.place(at, &page.code) else {
            if buf.broken() {
                // Part of the buffer may have been left unexecutable: no
                // more translated code on this hart.
                tracing::warn!("translated code could not be made executable: interpreting only");
                self.on = false;
                self.pages.clear();
            }
            return Plan::Unmanaged;
        };
        let table: Box<[u64]> = page.labels.iter().map(|&l| (addr + l) as u64).collect();
        self.translated += 1;
        let mut spent = false;
        // (TRACE, not DEBUG: `--trace` logs traps, and translation is not one.)
        tracing::trace!(chunk, bytes = page.code.len(), "translated a page");
        if let Some(ram_page) = dc.ram_page(chunk) {
            if self.translations.is_none() {
                // (Without the table, a page is just never left to the
                // fast loop for translating too often.)
                self.translations = ZeroedWords::new(dc.ram_pages()).ok();
            }
            if let Some(t) = &mut self.translations {
                let n = t.get(ram_page).unwrap_or(0).saturating_add(1);
                t.set(ram_page, n);
                spent = n >= MAX_TRANSLATIONS;
            }
        }
        let st = &mut self.pages[chunk];
        st.epoch = epoch;
        st.decodes = decodes;
        st.pending = 0;
        st.spent = spent;
        let ptr = table.as_ptr();
        st.table = Some(table);
        Plan::Run(ptr)
    }

    /// Runs translated code: `frame.table` from [`Jit::plan`] or
    /// [`Jit::translate`], entered at `word` of the page. The code's stop
    /// is in `frame`.
    ///
    /// # Safety
    ///
    /// As for [`buffer::CodeBuf::enter`]: `frame.table` is a label table
    /// this `Jit` handed out since its code buffer was last reset (that is,
    /// since the last `plan` or `translate` call that returned it, with no
    /// `translate` in between), `word` at most
    /// [`crate::dcache::SLOTS_PER_PAGE`], `frame.left` more than [`SLACK`],
    /// and `frame`'s register, RAM and TLB pointers valid and held
    /// exclusively by the caller for the call, every TLB entry that can hit
    /// naming a page wholly inside that RAM.
    #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
    #[allow(unsafe_code)]
    pub(crate) unsafe fn run(&self, frame: &mut translate::Frame, word: usize) {
        let Some(buf) = &self.buf else {
            frame.exit = word as u64;
            return;
        };
        // SAFETY: the caller's promise is `enter`'s contract.
        unsafe { buf.enter(frame, word) };
    }
}
