//! The execution engine: how the hart runs instructions fast. Everything
//! here is an optimisation of [`crate::hart::Hart::step`] (fetch, decode,
//! execute one instruction through [`crate::exec::execute`]), and is tested
//! against it:
//!
//! - the **decode cache** ([`crate::dcache`]) keeps the instruction at each
//!   2-byte parcel of a code page pre-decoded into an 8-byte [`Slot`], so an
//!   instruction is decoded once, not every time it runs (compressed ones
//!   as the base instruction they expand to);
//! - the **fast loop** ([`Lane::run`]) runs slots with one `match` per
//!   instruction, registers, slots, RAM and TLB borrowed apart from the rest
//!   of the hart, and hands back whatever needs the whole hart (a new page,
//!   a TLB miss, a device, a privileged instruction...) to
//!   [`Engine::run_block`], which runs it through the reference executor;
//! - the **translator** ([`crate::jit`]) turns hot pages into x86-64 code
//!   that does what the fast loop does, faster.
//!
//! A run is the same, to the instruction, whichever of them runs it: the
//! same exits with the same `pc` and `instret`, registers, CSRs, RAM and
//! digest (ARCHITECTURE.md, "The hot path" and "Binary translation").

use crate::arch::ArchState;
use crate::dcache::{
    parcels, predecode, Slot, XOp, CHUNK, FAR, REFETCH, SLOTS_PER_PAGE, UNDECODED,
};
use crate::devices::Devices;
use crate::digest::Digest;
use crate::exec::{self, alu, extend, taken, Flow};
use crate::isa::Op;
use crate::jit::{Jit, Plan};
use crate::mmu::{narrow, tlb_load, tlb_store, widen, Mmu, TlbEntries, PAGE_SIZE};
use crate::privileged::Priv;
use crate::trap::Trap;

/// `ecall`'s one encoding (SYSTEM, funct12 0, no operands).
const ECALL: u32 = 0x0000_0073;

/// Which variant of the inner loop runs (a const parameter, so that each
/// variant carries only the per-instruction work it needs).
pub(crate) struct Mode;

impl Mode {
    /// Nothing per instruction beyond running it.
    pub(crate) const PLAIN: u8 = 0;
    /// The trace digest, kept in a register and written back on exit.
    pub(crate) const DIGEST: u8 = 1;
    /// Digest, trace and breakpoints through [`Engine::retired`].
    pub(crate) const FULL: u8 = 2;
    /// No engine: the reference mode, one `Hart::step` at a time.
    pub(crate) const STEPS: u8 = 3;
}

/// Why the inner loop stopped.
pub(crate) enum Stop {
    /// The instruction limit (budget or timer deadline) was reached.
    Limit,
    /// An instruction raised this trap; `pc` is at it, nothing retired.
    Trap(Trap),
    /// An instruction the reference executor ran retired with this outcome
    /// (not [`Flow::Next`]).
    Flow(Flow),
    /// `pc` is at a breakpoint.
    Breakpoint,
}

/// The engine's state: the current fetch page, the translator's cache, and
/// the instrumentation (digest, instruction trace, breakpoints).
#[derive(Clone)]
pub(crate) struct Engine {
    /// The current fetch page: virtual address, first slot, RAM offset.
    pub(crate) fpage: u64,
    pub(crate) fbase: usize,
    /// `fpage - 2 * fbase` (wrapping): the pc of slot `idx` of the fetch
    /// page is `fbias + 2 * idx`, one add in the hot loop.
    pub(crate) fbias: u64,
    pub(crate) fram: usize,
    /// The decode cache's [`crate::dcache::DCache::flushes`] when the fetch
    /// page was entered (`u64::MAX`: no fetch page yet): its slot numbers
    /// hold only until the next flush.
    fflushes: u64,
    /// Translated code for hot pages (see [`crate::jit`]).
    pub(crate) jit: Jit,
    pub(crate) digest_on: bool,
    pub(crate) trace_on: bool,
    breakpoints: Vec<u64>,
    /// A breakpoint just reported at this pc: resuming there runs it.
    bp_resume: Option<u64>,
    /// Breakpoints removed since decoded code was last dropped (their
    /// slots may still be slow).
    stale_breakpoints: usize,
}

/// Removed breakpoints whose slow slots are kept before the decode cache
/// is dropped to make them fast again.
const STALE_BREAKPOINTS: usize = 64;

/// A slot that the reference executor runs from its bits (a breakpoint's).
const SLOW: Slot = Slot {
    op: XOp::Slow,
    ..UNDECODED
};

/// The parts of the hart the fast loop uses, borrowed apart from each other:
/// a write to a register cannot move the slot table or RAM, so the compiler
/// keeps their addresses in host registers for the whole loop instead of
/// loading them again from the hart for every instruction.
struct Lane<'a> {
    x: &'a mut [u64; 32],
    /// Written only by a jump that leaves the fetch page.
    pc: &'a mut u64,
    slots: &'a [Slot],
    bits: &'a [u32],
    ram: &'a mut [u8],
    tlb_r: &'a TlbEntries,
    tlb_w: &'a TlbEntries,
    ctx: u64,
    fbase: usize,
    fbias: u64,
    /// Twice the most instructions one straight run of the fetch page's
    /// slots can retire ([`crate::dcache::DCache::run_limit`]).
    slack2: u64,
}

/// The most instructions the counting by runs of [`Lane::run`] is given at
/// a time (it counts twice them).
const MAX_LEFT: u64 = 1 << 62;

/// Where the fast loop stopped: the slot it did not run (or the one after
/// the last it ran, when `left` reached 0), the instructions still allowed,
/// and the digest so far.
struct LaneStop {
    idx: usize,
    left: u64,
    hash: u64,
}

impl Lane<'_> {
    /// Runs slots from `idx` until `left` instructions have retired or a
    /// slot needs the whole hart: the [`XOp::Fetch`] sentinel (a new page),
    /// an undecoded, illegal or [`XOp::Slow`] slot, a load or store that
    /// misses its TLB or is misaligned, a `jalr` to a misaligned target.
    /// Such a slot is left unrun for [`Engine::run_block`].
    ///
    /// Only a slot index and a countdown are carried from one instruction
    /// to the next: `pc` is derived from the index when an instruction needs
    /// it, sequential fetch is `idx + 2` (`idx + 1` after a compressed
    /// instruction; each page's slots end with a sentinel that looks up the
    /// next page), and a jump or branch within the page moves the index by
    /// a distance computed at decode.
    #[inline(never)]
    fn run<const MODE: u8, const EXACT: bool>(
        self,
        mut idx: usize,
        mut left: u64,
        mut hash: u64,
    ) -> LaneStop {
        let Lane {
            x,
            pc,
            slots,
            bits,
            ram,
            tlb_r,
            tlb_w,
            ctx,
            fbase,
            fbias,
            slack2,
        } = self;
        let pc_of = |idx: usize| fbias.wrapping_add((idx as u64) << 1);
        // Not EXACT, instructions are counted a straight run at a time: a
        // run from slot `s` to slot `idx` (not run) that retired `c`
        // compressed instructions (1 slot each) and `n - c` 32-bit ones (2
        // each) spans `idx - s = 2n - c` slots, so it retired `(idx - (s -
        // c)) / 2`. One register counts, as translated code's `k` does
        // (`crate::jit::translate`): `left` holds `k = 2 * left + s - c`
        // (`left` at the run's start, of at most `MAX_LEFT`: the caller
        // keeps the rest). A compressed instruction that falls through subtracts
        // 1; a jump or taken branch from slot `i` (whatever its length) to
        // slot `t` ends a run of `(i + 2 - (s - c)) / 2` and starts one at
        // `t`, so it adds `t - i - 2`; at slot `idx` the instructions left
        // are `(k - idx) / 2`. A run of 32-bit code costs no more than
        // counting a slot per word did. No run is longer than the page, so
        // with more than `slack2 / 2` instructions left at the start of each
        // run (a page's worth of compressed ones, or of 32-bit ones where
        // none was decoded: half as many, and half as long a tail for the
        // exact loop), `left` cannot run out within it.
        if !EXACT {
            debug_assert!(left <= MAX_LEFT);
            left = (2 * left.min(MAX_LEFT)).wrapping_add(idx as u64);
        }
        // Control goes to slot `$t` (not the next one).
        macro_rules! go {
            ($t:expr) => {{
                let t: usize = $t;
                // Decode computes in-page distances and `jump_abs!` stays
                // in the fetch page, so this always holds; the check is what
                // the unchecked slot read relies on.
                let t = if t < slots.len() {
                    t
                } else {
                    *pc = pc_of(t);
                    REFETCH
                };
                if EXACT {
                    t
                } else {
                    left = left.wrapping_add(t as u64).wrapping_sub(idx as u64 + 2);
                    if left.wrapping_sub(t as u64) > slack2 {
                        t
                    } else {
                        // Too near the limit for whole runs: stop at the
                        // target, for the exact loop to go on from there.
                        if t != REFETCH {
                            *pc = pc_of(t);
                        }
                        left = left.wrapping_sub(t as u64);
                        REFETCH
                    }
                }
            }};
        }
        // The slot after a taken branch or `jal` in slot `idx`, whose
        // immediate `imm_of` reads from the bits when the target is off
        // the page.
        macro_rules! jump_rel {
            ($s:expr, $imm_of:path) => {{
                let s = $s;
                if s.imm != FAR {
                    go!(idx.wrapping_add_signed(s.imm as isize))
                } else {
                    let imm = bits.get(idx).map_or(0, |&b| $imm_of(b));
                    *pc = pc_of(idx).wrapping_add(imm as i64 as u64);
                    go!(REFETCH)
                }
            }};
        }
        // The slot of `target` (2-byte aligned) after a `jalr`.
        macro_rules! jump_abs {
            ($target:expr) => {{
                let target: u64 = $target;
                match slot_by_bias(fbias, fbase, target) {
                    Some(t) => go!(t),
                    None => {
                        *pc = target;
                        go!(REFETCH)
                    }
                }
            }};
        }
        // The slot after a 32-bit instruction (`next!(2)`) or a compressed
        // one (`next!(1)`) that falls through.
        macro_rules! next {
            (2) => {
                idx + 2
            };
            (1) => {{
                if !EXACT {
                    left = left.wrapping_sub(1);
                }
                idx + 1
            }};
        }
        macro_rules! rr {
            ($s:expr, $op:ident, $len:tt) => {{
                let s = $s;
                x[s.rd as usize] = alu(Op::$op, x[s.rs1 as usize], x[s.rs2 as usize]);
                next!($len)
            }};
        }
        macro_rules! ri {
            ($s:expr, $op:ident, $len:tt) => {{
                let s = $s;
                x[s.rd as usize] = alu(Op::$op, x[s.rs1 as usize], s.imm as i64 as u64);
                next!($len)
            }};
        }
        macro_rules! br {
            ($s:expr, $op:ident, $len:tt) => {{
                let s = $s;
                if taken(Op::$op, x[s.rs1 as usize], x[s.rs2 as usize]) {
                    jump_rel!(s, crate::dcache::far_b_imm)
                } else {
                    next!($len)
                }
            }};
        }
        macro_rules! ld {
            ($s:expr, $n:literal, $signed:literal, $len:tt) => {{
                let s = $s;
                let va = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64);
                let Some(b) = tlb_load::<$n>(ram, tlb_r, ctx, va) else {
                    break;
                };
                x[s.rd as usize] = extend(u64::from_le_bytes(widen(b)), $n, $signed);
                next!($len)
            }};
        }
        macro_rules! st {
            ($s:expr, $n:literal, $len:tt) => {{
                let s = $s;
                let va = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64);
                if !tlb_store::<$n>(ram, tlb_w, ctx, va, narrow(x[s.rs2 as usize])) {
                    break;
                }
                next!($len)
            }};
        }
        // `jalr` (`$len` 2) or `c.jalr` (1): the link is the next pc.
        macro_rules! jalr {
            ($s:expr, $len:literal) => {{
                let s = $s;
                let target = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64) & !1;
                x[s.rd as usize] = pc_of(idx + $len);
                jump_abs!(target)
            }};
        }
        macro_rules! jr {
            ($s:expr) => {{
                let s = $s;
                jump_abs!(x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64) & !1)
            }};
        }
        // `idx < slots.len()` holds at every slot this loop reads (checked
        // here on entry, kept by `go!` and by the sentinel rule below).
        if idx >= slots.len() || slots.last().map(|s| s.op) != Some(XOp::Fetch) {
            if !EXACT {
                left = left.wrapping_sub(idx as u64) / 2;
            }
            return LaneStop { idx, left, hash };
        }
        loop {
            debug_assert!(idx < slots.len());
            // SAFETY: `idx < slots.len()`: true on entry (checked above),
            // and kept by every way `idx` changes:
            // - `idx + 1` after a slot that is not `XOp::Fetch` (a `Fetch`
            //   slot ends the loop): the last slot is a `Fetch` sentinel
            //   (checked above; `DCache` ends every page's slots with one,
            //   and `slots` is borrowed, so it cannot change meanwhile), so
            //   a slot that is not one has another slot after it;
            // - every other move goes through `go!`, which checks the target.
            #[allow(unsafe_code)]
            let s = unsafe { slots.get_unchecked(idx) };
            // The arm of each table operation the fast loop runs, by its
            // row's kind and format.
            macro_rules! arm {
                (Alu R $op:ident) => {
                    rr!(s, $op, 2)
                };
                (Alu $f:ident $op:ident) => {
                    ri!(s, $op, 2)
                };
                (Branch $f:ident $op:ident) => {
                    br!(s, $op, 2)
                };
                (Load($n:literal, $signed:literal) $f:ident $op:ident) => {
                    ld!(s, $n, $signed, 2)
                };
                (Store($n:literal) $f:ident $op:ident) => {
                    st!(s, $n, 2)
                };
                (Auipc $f:ident $op:ident) => {{
                    x[s.rd as usize] = pc_of(idx).wrapping_add(s.imm as i64 as u64);
                    idx + 2
                }};
                (Jal $f:ident $op:ident) => {{
                    x[s.rd as usize] = pc_of(idx + 2);
                    jump_rel!(s, crate::dcache::far_j_imm)
                }};
                (Jalr $f:ident $op:ident) => {
                    jalr!(s, 2)
                };
                ($kind:ident $f:ident $op:ident) => {
                    break
                };
            }
            // One arm per slot operation: the decode cache's own, one per
            // row of the table the fast paths run, then the compressed
            // forms (the operation they expand to, 1 slot long).
            macro_rules! dispatch {
                ($( $op:ident $fmt:ident $kind:ident $(($($arg:literal),*))?; )*) => {
                    match s.op {
                        XOp::Fetch | XOp::Undecoded | XOp::Illegal | XOp::Slow => break,
                        XOp::Nop => idx + 2,
                        XOp::Li => {
                            x[s.rd as usize] = s.imm as i64 as u64;
                            idx + 2
                        }
                        XOp::J => jump_rel!(s, crate::dcache::far_j_imm),
                        XOp::Jr => jr!(s),
                        $( XOp::$op => arm!($kind $(($($arg),*))? $fmt $op), )*
                        XOp::CNop => next!(1),
                        XOp::CLi => {
                            x[s.rd as usize] = s.imm as i64 as u64;
                            next!(1)
                        }
                        XOp::CJ => jump_rel!(s, crate::dcache::far_j_imm),
                        XOp::CJr => jr!(s),
                        XOp::CJalr => jalr!(s, 1),
                        XOp::CAddi => ri!(s, Addi, 1),
                        XOp::CAddiw => ri!(s, Addiw, 1),
                        XOp::CSlli => ri!(s, Slli, 1),
                        XOp::CSrli => ri!(s, Srli, 1),
                        XOp::CSrai => ri!(s, Srai, 1),
                        XOp::CAndi => ri!(s, Andi, 1),
                        XOp::CAdd => rr!(s, Add, 1),
                        XOp::CSub => rr!(s, Sub, 1),
                        XOp::CXor => rr!(s, Xor, 1),
                        XOp::COr => rr!(s, Or, 1),
                        XOp::CAnd => rr!(s, And, 1),
                        XOp::CAddw => rr!(s, Addw, 1),
                        XOp::CSubw => rr!(s, Subw, 1),
                        XOp::CBeq => br!(s, Beq, 1),
                        XOp::CBne => br!(s, Bne, 1),
                        XOp::CLw => ld!(s, 4, true, 1),
                        XOp::CLd => ld!(s, 8, true, 1),
                        XOp::CSw => st!(s, 4, 1),
                        XOp::CSd => st!(s, 8, 1),
                    }
                };
            }
            let next = fast_rows!(dispatch);
            if MODE == Mode::DIGEST {
                let b = bits.get(idx).copied().unwrap_or(0);
                hash = Digest::step(hash, pc_of(idx), b);
            }
            idx = next;
            if EXACT {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        if !EXACT {
            left = left.wrapping_sub(idx as u64) / 2;
        }
        LaneStop { idx, left, hash }
    }
}

impl Engine {
    pub(crate) fn new() -> Engine {
        Engine {
            fpage: u64::MAX,
            fbase: 1,
            fbias: u64::MAX.wrapping_sub(2),
            fram: 0,
            fflushes: u64::MAX,
            jit: Jit::new(true),
            digest_on: false,
            trace_on: false,
            breakpoints: Vec::new(),
            bp_resume: None,
            stale_breakpoints: 0,
        }
    }

    /// Stops before running an instruction at any of `addrs`. Only the
    /// breakpoints' own instructions leave the fast paths: their slots are
    /// decoded as slow ([`crate::debug`]). The slots of removed breakpoints
    /// stay slow (still right, a little slower) until enough pile up; then
    /// all decoded code is dropped and decoded afresh.
    pub(crate) fn set_breakpoints(&mut self, addrs: &[u64], mmu: &mut Mmu) {
        let mut addrs = addrs.to_vec();
        addrs.sort_unstable();
        addrs.dedup();
        let removed = self
            .breakpoints
            .iter()
            .filter(|b| addrs.binary_search(b).is_err())
            .count();
        self.stale_breakpoints += removed;
        if self.stale_breakpoints > STALE_BREAKPOINTS {
            self.stale_breakpoints = 0;
            mmu.ram.code.flush();
        }
        // (Every run block begins by entering its fetch page, which makes
        // the slots of new breakpoints there slow.)
        self.breakpoints = addrs;
    }

    /// Whether the instrumented loop must run (the instruction trace).
    pub(crate) fn instrumented(&self) -> bool {
        self.trace_on
    }

    /// A run starts at `pc`: a breakpoint reported there is resumed only
    /// if the run starts there; `resume` runs the instruction at `pc` even
    /// if it is a breakpoint (a debugger's step always moves).
    pub(crate) fn start_run(&mut self, pc: u64, resume: bool) {
        if resume {
            self.bp_resume = Some(pc);
        } else if self.bp_resume != Some(pc) {
            self.bp_resume = None;
        }
    }

    /// Whether a breakpoint is set at `pc`.
    #[inline]
    pub(crate) fn is_breakpoint(&self, pc: u64) -> bool {
        !self.breakpoints.is_empty() && self.breakpoints.binary_search(&pc).is_ok()
    }

    /// The fetch page was entered: the slots of its breakpoints become
    /// [`XOp::Slow`], so that the fast loop and translated code stop there
    /// and the slow path looks at them. Translated code of the page made
    /// before is dropped (the slot counts as changed).
    fn mark_breakpoint_slots(&mut self, mmu: &mut Mmu) {
        let first = self.breakpoints.partition_point(|&b| b < self.fpage);
        for &bp in self.breakpoints.iter().skip(first) {
            let off = bp.wrapping_sub(self.fpage);
            if off >= PAGE_SIZE {
                break;
            }
            if off & 1 != 0 {
                continue;
            }
            let idx = self.fbase + (off >> 1) as usize;
            let code = &mut mmu.ram.code;
            if code.slots.get(idx).is_some_and(|s| s.op != XOp::Slow) {
                let bits = code.bits.get(idx).copied().unwrap_or(0);
                let decoded = code.slots.get(idx).is_some_and(|s| *s != UNDECODED);
                // Reset first (a decoded slot's reset drops stale
                // translated code), then fill as slow.
                code.invalidate(self.fram + off as usize, 2);
                if decoded {
                    code.fill(idx, SLOW, bits);
                }
            }
        }
    }

    /// Is `pc` a breakpoint to stop at?
    pub(crate) fn breakpoint_at(&mut self, pc: u64) -> bool {
        if self.breakpoints.binary_search(&pc).is_err() {
            return false;
        }
        self.bp_resume.take() != Some(pc)
    }

    /// A breakpoint was reported at `pc`: running again from there runs it.
    pub(crate) fn stopped_at_breakpoint(&mut self, pc: u64) {
        self.bp_resume = Some(pc);
    }

    /// Digest and trace for one retired instruction.
    pub(crate) fn retired(&mut self, digest: &mut Digest, pc: u64, bits: u32) {
        if self.digest_on {
            digest.update(pc, bits);
        }
        if self.trace_on {
            tracing::trace!(
                target: "cpu::insn",
                "{pc:#010x}: {bits:08x}  {}",
                crate::disasm::disasm(bits, pc)
            );
        }
        self.bp_resume = None;
    }

    fn lane<'a>(&self, st: &'a mut ArchState, mmu: &'a mut Mmu) -> Lane<'a> {
        Lane {
            x: &mut st.x,
            pc: &mut st.pc,
            slots: &mmu.ram.code.slots,
            bits: &mmu.ram.code.bits,
            ram: &mut mmu.ram.bytes,
            tlb_r: mmu.tlb_r.entries(),
            tlb_w: mmu.tlb_w.entries(),
            ctx: mmu.ctx,
            fbase: self.fbase,
            fbias: self.fbias,
            slack2: 2 * mmu.ram.code.run_limit(self.fbase),
        }
    }

    /// Runs instructions until `instret` reaches `limit` or something needs
    /// the run loop. `MODE` (a [`Mode`]) selects the variant: plain, digest
    /// only, or fully instrumented (digest, trace, breakpoints).
    ///
    /// The fast loop ([`Lane::run`]) runs what it can; this loop runs the
    /// slot it stops at with the whole hart at hand (a new fetch page, a
    /// slot to decode, the reference executor for everything else) and
    /// hands back to it. Fully instrumented, the fast loop runs one
    /// instruction at a time, between the breakpoint check and the trace.
    #[inline(never)]
    pub(crate) fn run_block<D: Devices, const MODE: u8>(
        &mut self,
        st: &mut ArchState,
        mmu: &mut Mmu,
        digest: &mut Digest,
        dev: &mut D,
        limit: u64,
    ) -> Stop {
        let mut left = limit.saturating_sub(st.core.instret);
        if left == 0 {
            return Stop::Limit;
        }
        let mut idx = self.resume_slot(st.pc, mmu);
        let left0 = left;
        let mut hash = digest.hash;
        let stop = loop {
            let Some(&s) = mmu.ram.code.slots.get(idx) else {
                st.pc = self.pc_at(st.pc, idx);
                idx = REFETCH;
                continue;
            };
            if MODE == Mode::FULL {
                if !matches!(s.op, XOp::Fetch | XOp::Undecoded) {
                    let pc = self.pc_at(st.pc, idx);
                    if self.breakpoint_at(pc) {
                        break Stop::Breakpoint;
                    }
                    let ran = self.lane(st, mmu).run::<{ Mode::PLAIN }, true>(idx, 1, 0);
                    if ran.left == 0 {
                        let bits = mmu.ram.code.bits.get(idx).copied().unwrap_or(0);
                        idx = ran.idx;
                        self.retired(digest, pc, bits);
                        left -= 1;
                        if left == 0 {
                            break Stop::Limit;
                        }
                        continue;
                    }
                }
            } else if s.op as u8 > XOp::Slow as u8 {
                // (The operations before `Slow` always need the whole hart:
                // no need to enter the fast loop for them.)
                //
                // Translated code first, where the page has it; it stops
                // where the fast loop would, or earlier (a slot decoded
                // since the page was translated, a page waiting for
                // translation), and the fast loop goes on from there, a
                // slice at a time while the page waits.
                let mut slice = left;
                if MODE != Mode::FULL && left > crate::jit::SLACK {
                    if let Some(ran) =
                        self.run_translated(st, mmu, idx, left, hash, MODE == Mode::DIGEST)
                    {
                        (idx, left, hash) = ran;
                        slice = left.min(crate::jit::LANE_SLICE);
                    }
                }
                let runnable = mmu
                    .ram
                    .code
                    .slots
                    .get(idx)
                    .is_some_and(|s| s.op as u8 > XOp::Slow as u8);
                if runnable {
                    // With the digest on, counting each instruction measured
                    // faster than counting by runs (one host register fewer
                    // in use).
                    let lane = self.lane(st, mmu);
                    let ran = if MODE != Mode::DIGEST && slice > lane.slack2 / 2 {
                        // (Counting by runs takes at most `MAX_LEFT` at a
                        // time: what it leaves is counted as not run.)
                        slice = slice.min(MAX_LEFT);
                        lane.run::<MODE, false>(idx, slice, hash)
                    } else {
                        lane.run::<MODE, true>(idx, slice, hash)
                    };
                    left -= slice - ran.left;
                    (idx, hash) = (ran.idx, ran.hash);
                }
                if left == 0 {
                    break Stop::Limit;
                }
            }
            // The slot the fast loop left: it needs the whole hart.
            let code = &mmu.ram.code;
            let (Some(&s), Some(&bits)) = (code.slots.get(idx), code.bits.get(idx)) else {
                continue;
            };
            // `in_page`: it is an instruction of the fetch page (a slot's),
            // so the next `pc` may be looked up there.
            let (pc, bits, in_page) = match s.op {
                XOp::Fetch => {
                    let pc = self.pc_at(st.pc, idx);
                    match self.fetch_page(st, mmu, pc) {
                        Ok(i) => idx = i,
                        Err(t) => break Stop::Trap(t),
                    }
                    continue;
                }
                XOp::Undecoded => {
                    self.decode_slot(mmu, idx);
                    continue;
                }
                XOp::Illegal => break Stop::Trap(Trap::illegal_instruction(bits)),
                XOp::Slow
                    if idx.wrapping_sub(self.fbase) == SLOTS_PER_PAGE - 1 && parcels(bits) == 2 =>
                {
                    // A 32-bit instruction in the page's last parcel: its
                    // second half is on the next page, fetched as
                    // `Hart::step` fetches it (which may fault there).
                    let pc = self.pc_at(st.pc, idx);
                    if MODE == Mode::FULL && self.breakpoint_at(pc) {
                        break Stop::Breakpoint;
                    }
                    st.pc = pc;
                    idx = REFETCH;
                    match mmu.fetch(&st.core, pc) {
                        Ok(bits) => (pc, bits, false),
                        Err(t) => break Stop::Trap(t),
                    }
                }
                // `XOp::Slow`, and what the fast loop could not finish (a
                // TLB miss, a device, a misaligned access).
                _ => (self.pc_at(st.pc, idx), bits, true),
            };
            // The reference executor runs it from its bits. A breakpoint's
            // slot is slow; the instrumented loop looked before running the
            // lane (and above, for an instruction without a slot).
            if MODE != Mode::FULL && self.is_breakpoint(pc) && self.breakpoint_at(pc) {
                break Stop::Breakpoint;
            }
            st.pc = pc;
            st.core.instret = limit - left;
            if st.core.privilege == Priv::User && st.core.denies(bits) {
                // A privileged instruction U-mode may not run (a guest
                // kernel's, in real U-mode under a monitor): the trap
                // `execute` would raise, without decoding and running it.
                // (Only in U-mode: an S-mode kernel's own privileged
                // instructions are legal, and the check would only cost
                // them time.)
                break Stop::Trap(Trap::illegal_instruction(bits));
            }
            if bits == ECALL {
                // An `ecall` only traps: the trap `execute` would raise
                // after decoding it (each system call, natively and under
                // a monitor, passes here; `execute` clears a watch hit on
                // a trap, as here).
                mmu.hit = None;
                break Stop::Trap(st.core.ecall());
            }
            match exec::execute(st, mmu, dev, bits) {
                Ok(flow) => {
                    if MODE == Mode::DIGEST {
                        hash = Digest::step(hash, pc, bits);
                    } else if MODE == Mode::FULL {
                        self.retired(digest, pc, bits);
                    }
                    left -= 1;
                    if flow != Flow::Next || left == 0 {
                        idx = REFETCH;
                        break if flow == Flow::Next {
                            Stop::Limit
                        } else {
                            Stop::Flow(flow)
                        };
                    }
                    // Nothing the fetch page depends on changed: go
                    // on in it without a lookup when the next `pc`
                    // is there.
                    idx = match slot_in_page(self.fpage, self.fbase, st.pc) {
                        Some(i) if in_page => i,
                        _ => REFETCH,
                    };
                }
                Err(t) => break Stop::Trap(t),
            }
        };
        st.pc = self.pc_at(st.pc, idx);
        st.core.instret = limit - left;
        if MODE == Mode::DIGEST {
            digest.hash = hash;
            digest.count += left0 - left;
        }
        stop
    }

    /// Runs the translated code of the fetch page from slot `idx`, with
    /// `left` (more than [`crate::jit::SLACK`]) instructions allowed, and
    /// with `digest`, the digest's `hash` to add to. `None` when the page is
    /// left to the fast loop; else where it stopped, the instructions still
    /// allowed and the hash (unchanged while the page waits for
    /// translation).
    #[inline(always)]
    fn run_translated(
        &mut self,
        st: &mut ArchState,
        mmu: &mut Mmu,
        idx: usize,
        left: u64,
        hash: u64,
        digest: bool,
    ) -> Option<(usize, u64, u64)> {
        // `idx` is a slot of the fetch page, whose slots start at `fbase`.
        let base = self.fbase;
        let word = idx.checked_sub(base).filter(|&w| w < SLOTS_PER_PAGE)?;
        let chunk = base.checked_sub(1)? / CHUNK;
        let table = match self.jit.plan(&mmu.ram.code, chunk, digest) {
            Plan::Unmanaged => return None,
            Plan::Warming => return Some((idx, left, hash)),
            Plan::Run(table) => table,
            Plan::Translate => {
                self.decode_ahead(mmu, word);
                match self.jit.translate(&mmu.ram.code, chunk, base) {
                    Plan::Run(table) => table,
                    _ => return None,
                }
            }
        };
        let ran = self.enter_translated(st, mmu, table, word, left, hash)?;
        // (Code translated without the digest leaves `Frame::hash` alone
        // only in meaning: it may hold a guest register there.)
        Some(if digest { ran } else { (ran.0, ran.1, hash) })
    }

    #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
    fn enter_translated(
        &mut self,
        st: &mut ArchState,
        mmu: &mut Mmu,
        table: *const u64,
        word: usize,
        left: u64,
        hash: u64,
    ) -> Option<(usize, u64, u64)> {
        use crate::jit::translate::{Frame, EXIT_REFETCH, MAX_LEFT};
        // Translated code counts `2 * left` in a host register: it is
        // given at most `MAX_LEFT`, and the rest is added back.
        let given = left.min(MAX_LEFT);
        let mut frame = Frame {
            x: st.x.as_mut_ptr(),
            ram: mmu.ram.bytes.as_mut_ptr(),
            tlb_r: mmu.tlb_r.entries().as_ptr().cast(),
            tlb_w: mmu.tlb_w.entries().as_ptr().cast(),
            ctx: mmu.ctx,
            fpage: self.fpage,
            table,
            left: given,
            pc: 0,
            exit: word as u64,
            hash,
        };
        // SAFETY: `table` came from `self.jit.plan` or `translate` just
        // now, with no `translate` since (only that resets the code buffer),
        // and `word` is a slot index of the page (below SLOTS_PER_PAGE, see
        // `run_translated`); `left` > SLACK (`run_block` checks it); `frame`
        // points at this hart's registers, RAM and TLB entries, borrowed
        // through `&mut` for the call, and TLB entries are filled only for
        // pages wholly in RAM, which is never resized.
        #[allow(unsafe_code)]
        unsafe {
            self.jit.run(&mut frame, word)
        };
        debug_assert!(frame.left > 0 && frame.left <= given);
        let idx = if frame.exit == EXIT_REFETCH {
            st.pc = frame.pc;
            REFETCH
        } else {
            debug_assert!(frame.exit <= SLOTS_PER_PAGE as u64);
            self.fbase + frame.exit as usize
        };
        Some((idx, left - (given - frame.left), frame.hash))
    }

    #[cfg(not(all(target_arch = "x86_64", unix, not(miri))))]
    fn enter_translated(
        &mut self,
        _: &mut ArchState,
        _: &mut Mmu,
        _: *const u64,
        _: usize,
        _: u64,
        _: u64,
    ) -> Option<(usize, u64, u64)> {
        None
    }

    /// The address of the instruction in slot `idx` (for [`REFETCH`]:
    /// `pc`, which holds it then).
    #[inline(always)]
    fn pc_at(&self, pc: u64, idx: usize) -> u64 {
        if idx == REFETCH {
            pc
        } else {
            self.fbias.wrapping_add((idx as u64) << 1)
        }
    }

    /// Decodes the slots of the fetch page that code from slot `start` can
    /// reach without leaving the page or jumping through a register: the
    /// fall-through path, branch and `jal` targets, and the instruction after
    /// a call or a generic instruction (which may return there). A page is
    /// then translated a whole loop or function at a time, not only the
    /// words run so far.
    fn decode_ahead(&mut self, mmu: &mut Mmu, start: usize) {
        let mut seen = [false; SLOTS_PER_PAGE];
        let mut work = vec![start];
        while let Some(mut w) = work.pop() {
            while w < SLOTS_PER_PAGE && !std::mem::replace(&mut seen[w], true) {
                let idx = self.fbase + w;
                if mmu
                    .ram
                    .code
                    .slots
                    .get(idx)
                    .is_some_and(|s| s.op == XOp::Undecoded)
                {
                    self.decode_slot(mmu, idx);
                }
                let Some(&s) = mmu.ram.code.slots.get(idx) else {
                    break;
                };
                let near = |imm: i32| {
                    (imm != FAR)
                        .then(|| w.checked_add_signed(imm as isize))
                        .flatten()
                };
                match s.op.base() {
                    XOp::Illegal | XOp::Jr | XOp::Fetch | XOp::Undecoded => break,
                    XOp::J => {
                        work.extend(near(s.imm));
                        break;
                    }
                    op if op.jumps_relative() => work.extend(near(s.imm)),
                    _ => {}
                }
                w += mmu.ram.code.bits.get(idx).map_or(2, |&b| parcels(b));
            }
        }
    }

    /// Fills slot `idx` (of the current fetch page) from RAM: its bits are
    /// the instruction's as fetched ([`crate::rvc::fetched_bits`]; only the
    /// first parcel of one that straddles into the next page).
    #[cold]
    fn decode_slot(&mut self, mmu: &mut Mmu, idx: usize) {
        let page_off = (idx.wrapping_sub(self.fbase) << 1) & (PAGE_SIZE as usize - 1);
        let bits = if page_off + 4 <= PAGE_SIZE as usize {
            crate::rvc::fetched_bits(mmu.ram.read_u32(self.fram + page_off))
        } else {
            mmu.ram.read_sized(self.fram + page_off, 2) as u32
        };
        let pc = self.fbias.wrapping_add((idx as u64) << 1);
        let slot = if self.is_breakpoint(pc) {
            SLOW
        } else {
            predecode(bits, page_off as u64)
        };
        mmu.ram.code.fill(idx, slot, bits);
    }

    /// The slot of `pc` if it is in the fetch page and the page is still
    /// what [`Engine::fetch_page`] would make it: the fetch TLB still maps
    /// `pc` to the same RAM page (so the translation, privilege and context
    /// are unchanged) and the decode cache was not flushed since (so the
    /// page's slots are still there). Else [`REFETCH`]: look it up. A run
    /// that resumes where the last one stopped (after an exit the host
    /// answered) then skips the lookup. With breakpoints set, every run
    /// enters its fetch page afresh (which marks their slots).
    #[inline(always)]
    fn resume_slot(&self, pc: u64, mmu: &Mmu) -> usize {
        if pc & 1 != 0 || self.fflushes != mmu.ram.code.flushes() || !self.breakpoints.is_empty() {
            return REFETCH;
        }
        let here = self.fram as u64 | (pc & (PAGE_SIZE - 1));
        match slot_in_page(self.fpage, self.fbase, pc) {
            Some(idx) if mmu.tlb_x.lookup(pc, mmu.ctx) == Some(here) => idx,
            _ => REFETCH,
        }
    }

    /// Makes the page holding `pc` the current fetch page and returns the
    /// slot of `pc` (instruction fetch from RAM only).
    #[cold]
    fn fetch_page(&mut self, st: &ArchState, mmu: &mut Mmu, pc: u64) -> Result<usize, Trap> {
        let ram_off = mmu.fetch_offset(&st.core, pc)?;
        let page_off = ram_off & !(PAGE_SIZE as usize - 1);
        if !mmu.ram.code.has_code(page_off >> 12) {
            // The page becomes a code page: stores into it must now take the
            // slow path, which keeps its slots coherent (see `tlb_store`).
            mmu.forget_stores();
        }
        let base = mmu.ram.code.page(page_off >> 12);
        if base == usize::MAX {
            return Err(crate::mmu::Access::Fetch.access_fault(pc));
        }
        self.fpage = pc & !(PAGE_SIZE - 1);
        self.fbase = base;
        self.fbias = self.fpage.wrapping_sub((base as u64) << 1);
        self.fram = page_off;
        self.fflushes = mmu.ram.code.flushes();
        if !self.breakpoints.is_empty() {
            self.mark_breakpoint_slots(mmu);
        }
        Ok(base + ((pc & (PAGE_SIZE - 1)) >> 1) as usize)
    }
}

/// [`slot_in_page`] from the fetch page's `fbias` (`fpage - 2 * fbase`)
/// instead of `fpage`, as the fast loop has it at hand: `pc - fbias` is
/// `2 * fbase + (pc - fpage)`, so the slot is its half when that is one of
/// the page's `SLOTS_PER_PAGE` from `fbase` (no wrap: `2 * fbase` is far
/// below `2^64 - PAGE_SIZE`).
#[inline(always)]
fn slot_by_bias(fbias: u64, fbase: usize, pc: u64) -> Option<usize> {
    let t = (pc.wrapping_sub(fbias) >> 1) as usize;
    (t.wrapping_sub(fbase) < SLOTS_PER_PAGE).then_some(t)
}

/// The slot of `pc` when it is in the fetch page (virtual address `fpage`,
/// first slot `fbase`).
#[inline(always)]
fn slot_in_page(fpage: u64, fbase: usize, pc: u64) -> Option<usize> {
    let off = pc.wrapping_sub(fpage);
    (off < PAGE_SIZE).then(|| fbase + (off >> 1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slot is 8 bytes: the hot loop finds slot `idx` with one scaled
    /// host address (x86-64 scales an index by at most 8).
    #[test]
    fn slot_stays_small() {
        assert_eq!(std::mem::size_of::<crate::dcache::Slot>(), 8);
    }

    /// Every row the fast paths run has its own slot operation, which maps
    /// back to it; the others are `Slow`.
    #[test]
    fn slot_operations_follow_the_table() {
        use crate::isa::Kind;
        for spec in crate::isa::TABLE {
            let fast = matches!(
                spec.kind,
                Kind::Alu
                    | Kind::Auipc
                    | Kind::Jal
                    | Kind::Jalr
                    | Kind::Branch
                    | Kind::Load { .. }
                    | Kind::Store { .. }
            );
            let want = if fast { Some(spec.op) } else { None };
            assert_eq!(XOp::of(spec.op).op(), want, "{}", spec.name);
        }
        for own in [
            XOp::Undecoded,
            XOp::Fetch,
            XOp::Illegal,
            XOp::Slow,
            XOp::Nop,
        ] {
            assert_eq!(own.op(), None);
        }
    }
}
