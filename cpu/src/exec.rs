//! The executor: the fast inner loop over pre-decoded instructions, and the
//! generic executor that runs everything else (and everything, in reference
//! mode) straight from the instruction table's [`Insn`].
//!
//! Semantics follow the unprivileged spec (RV64I chapter 5, M chapter 7, A
//! chapter 8, Zicsr chapter 9, Zifencei chapter 3) and the privileged spec
//! for `ecall`, `ebreak`, `sret`, `mret`, `wfi` and `sfence.vma` (3.3, 4.2).

use crate::csr::{self, MSTATUS_TSR, MSTATUS_TVM, MSTATUS_TW, S_INTERRUPTS};
use crate::dcache::{predecode, Slot, XOp, CHUNK, FAR, REFETCH, SLOTS_PER_PAGE};
use crate::debug::DebugEvent;
use crate::hart::{Devices, Exit, Hart, Priv, Reservation, RAM_BASE};
use crate::isa::{self, Insn, Op};
use crate::jit::Plan;
use crate::mmu::{self, Access, TlbEntries, PAGE_SIZE};
use crate::trap::{Exception, Trap};

/// Sign-extends the low 32 bits.
#[inline(always)]
fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

/// The value computed by a register-register or register-immediate
/// operation `op` on operands `a` and `b` (`b` is the sign-extended
/// immediate, or the shift amount, for the immediate forms). Division by
/// zero and signed overflow give the values of unprivileged spec table 7.1.
#[inline(always)]
pub fn alu(op: Op, a: u64, b: u64) -> u64 {
    use Op::*;
    match op {
        Add | Addi => a.wrapping_add(b),
        Sub => a.wrapping_sub(b),
        Sll | Slli => a << (b & 63),
        Srl | Srli => a >> (b & 63),
        Sra | Srai => ((a as i64) >> (b & 63)) as u64,
        Slt | Slti => ((a as i64) < (b as i64)) as u64,
        Sltu | Sltiu => (a < b) as u64,
        Xor | Xori => a ^ b,
        Or | Ori => a | b,
        And | Andi => a & b,
        Addw | Addiw => sext32(a.wrapping_add(b)),
        Subw => sext32(a.wrapping_sub(b)),
        Sllw | Slliw => sext32(((a as u32) << (b & 31)) as u64),
        Srlw | Srliw => sext32(((a as u32) >> (b & 31)) as u64),
        Sraw | Sraiw => ((a as i32) >> (b & 31)) as i64 as u64,
        Mul => a.wrapping_mul(b),
        Mulh => ((a as i64 as i128 * b as i64 as i128) >> 64) as u64,
        Mulhsu => ((a as i64 as i128).wrapping_mul(b as i128) >> 64) as u64,
        Mulhu => ((a as u128 * b as u128) >> 64) as u64,
        Div => {
            if b == 0 {
                u64::MAX
            } else {
                (a as i64).wrapping_div(b as i64) as u64
            }
        }
        Divu => a.checked_div(b).unwrap_or(u64::MAX),
        Rem => {
            if b == 0 {
                a
            } else {
                (a as i64).wrapping_rem(b as i64) as u64
            }
        }
        Remu => {
            if b == 0 {
                a
            } else {
                a % b
            }
        }
        Mulw => sext32((a as u32).wrapping_mul(b as u32) as u64),
        Divw => {
            let (a, b) = (a as i32, b as i32);
            if b == 0 {
                u64::MAX
            } else {
                a.wrapping_div(b) as i64 as u64
            }
        }
        Divuw => match (a as u32).checked_div(b as u32) {
            Some(q) => sext32(q as u64),
            None => u64::MAX,
        },
        Remw => {
            let (a, b) = (a as i32, b as i32);
            if b == 0 {
                a as i64 as u64
            } else {
                a.wrapping_rem(b) as i64 as u64
            }
        }
        Remuw => {
            let (a, b) = (a as u32, b as u32);
            if b == 0 {
                sext32(a as u64)
            } else {
                sext32((a % b) as u64)
            }
        }
        _ => 0,
    }
}

/// Whether branch `op` is taken on operands `a`, `b`.
#[inline(always)]
fn taken(op: Op, a: u64, b: u64) -> bool {
    match op {
        Op::Beq => a == b,
        Op::Bne => a != b,
        Op::Blt => (a as i64) < (b as i64),
        Op::Bge => (a as i64) >= (b as i64),
        Op::Bltu => a < b,
        Op::Bgeu => a >= b,
        _ => false,
    }
}

fn exception(cause: Exception, tval: u64) -> Trap {
    Trap::Exception { cause, tval }
}

fn illegal(bits: u32) -> Trap {
    Trap::illegal_instruction(bits)
}

/// What happens after an instruction the generic executor ran retires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on with the next instruction.
    Next,
    /// State that interrupts, translation or the decode cache depend on
    /// changed: leave the inner loop so that the run loop looks again.
    Recheck,
    /// Return this to the host.
    Exit(Exit),
}

/// Which variant of the inner loop runs (a const parameter, so that each
/// variant carries only the per-instruction work it needs).
pub(crate) struct Mode;

impl Mode {
    /// Nothing per instruction beyond running it.
    pub(crate) const PLAIN: u8 = 0;
    /// The trace digest, kept in a register and written back on exit.
    pub(crate) const DIGEST: u8 = 1;
    /// Digest, trace and breakpoints through [`Hart::retired_instrumented`].
    pub(crate) const FULL: u8 = 2;
}

/// Why the inner loop stopped.
pub(crate) enum Stop {
    /// The instruction limit (budget or timer deadline) was reached.
    Limit,
    /// An instruction raised this trap; `pc` is at it, nothing retired.
    Trap(Trap),
    /// An instruction retired with this outcome.
    Flow(Flow),
    /// `pc` is at a breakpoint.
    Breakpoint,
}

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
    fpage: u64,
    fbase: usize,
    fbias: u64,
}

/// The most instructions one straight run of slots (no taken jump or
/// branch) can retire: a page's worth, since its sentinel ends it.
const SLACK: u64 = SLOTS_PER_PAGE as u64;

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
    /// Such a slot is left unrun for [`Hart::run_block`].
    ///
    /// Only a slot index and a countdown are carried from one instruction
    /// to the next: `pc` is derived from the index when an instruction needs
    /// it, sequential fetch is `idx + 1` (each page's slots end with a
    /// sentinel that looks up the next page), and a jump or branch within
    /// the page moves the index by a distance computed at decode.
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
            fpage,
            fbase,
            fbias,
        } = self;
        let pc_of = |idx: usize| fbias.wrapping_add((idx as u64) << 2);
        // Not EXACT, instructions are counted a straight run at a time: the
        // run from `run_start` is `idx - run_start` retired instructions,
        // taken from `left` when control leaves it. No run is longer than a
        // page, so with more than `SLACK` instructions left at the start of
        // each run, `left` cannot run out within it.
        let mut run_start = idx;
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
                    left -= (idx + 1 - run_start) as u64;
                    if left > SLACK {
                        run_start = t;
                        t
                    } else {
                        // Too near the limit for whole runs: stop at the
                        // target, for the exact loop to go on from there.
                        if t != REFETCH {
                            *pc = pc_of(t);
                        }
                        run_start = REFETCH;
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
        // The slot of `target` (4-byte aligned) after a `jalr`.
        macro_rules! jump_abs {
            ($target:expr) => {{
                let target: u64 = $target;
                match slot_in_page(fpage, fbase, target) {
                    Some(t) => go!(t),
                    None => {
                        *pc = target;
                        go!(REFETCH)
                    }
                }
            }};
        }
        macro_rules! rr {
            ($s:expr, $op:ident) => {{
                let s = $s;
                x[s.rd as usize] = alu(Op::$op, x[s.rs1 as usize], x[s.rs2 as usize]);
                idx + 1
            }};
        }
        macro_rules! ri {
            ($s:expr, $op:ident) => {{
                let s = $s;
                x[s.rd as usize] = alu(Op::$op, x[s.rs1 as usize], s.imm as i64 as u64);
                idx + 1
            }};
        }
        macro_rules! br {
            ($s:expr, $op:ident) => {{
                let s = $s;
                if taken(Op::$op, x[s.rs1 as usize], x[s.rs2 as usize]) {
                    jump_rel!(s, isa::b_imm)
                } else {
                    idx + 1
                }
            }};
        }
        macro_rules! ld {
            ($s:expr, $n:literal, $conv:expr) => {{
                let s = $s;
                let va = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64);
                let Some(b) = tlb_load::<$n>(ram, tlb_r, ctx, va) else {
                    break;
                };
                x[s.rd as usize] = $conv(u64::from_le_bytes(widen(b)));
                idx + 1
            }};
        }
        macro_rules! st {
            ($s:expr, $n:literal) => {{
                let s = $s;
                let va = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64);
                if !tlb_store::<$n>(ram, tlb_w, ctx, va, narrow(x[s.rs2 as usize])) {
                    break;
                }
                idx + 1
            }};
        }
        // `idx < slots.len()` holds at every slot this loop reads (checked
        // here on entry, kept by `go!` and by the sentinel rule below).
        if idx >= slots.len() || slots.last().map(|s| s.op) != Some(XOp::Fetch) {
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
            let next = match s.op {
                XOp::Fetch | XOp::Undecoded | XOp::Illegal | XOp::Slow => break,
                XOp::Nop => idx + 1,
                XOp::Li => {
                    x[s.rd as usize] = s.imm as i64 as u64;
                    idx + 1
                }
                XOp::Auipc => {
                    x[s.rd as usize] = pc_of(idx).wrapping_add(s.imm as i64 as u64);
                    idx + 1
                }
                XOp::Jal => {
                    x[s.rd as usize] = pc_of(idx).wrapping_add(4);
                    jump_rel!(s, isa::j_imm)
                }
                XOp::J => jump_rel!(s, isa::j_imm),
                XOp::Jalr => {
                    let target = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64) & !1;
                    if target & 2 != 0 {
                        break;
                    }
                    x[s.rd as usize] = pc_of(idx).wrapping_add(4);
                    jump_abs!(target)
                }
                XOp::Jr => {
                    let target = x[s.rs1 as usize].wrapping_add(s.imm as i64 as u64) & !1;
                    if target & 2 != 0 {
                        break;
                    }
                    jump_abs!(target)
                }
                XOp::Beq => br!(s, Beq),
                XOp::Bne => br!(s, Bne),
                XOp::Blt => br!(s, Blt),
                XOp::Bge => br!(s, Bge),
                XOp::Bltu => br!(s, Bltu),
                XOp::Bgeu => br!(s, Bgeu),
                XOp::Lb => ld!(s, 1, |v: u64| v as i8 as i64 as u64),
                XOp::Lh => ld!(s, 2, |v: u64| v as i16 as i64 as u64),
                XOp::Lw => ld!(s, 4, |v: u64| v as i32 as i64 as u64),
                XOp::Ld => ld!(s, 8, |v: u64| v),
                XOp::Lbu => ld!(s, 1, |v: u64| v),
                XOp::Lhu => ld!(s, 2, |v: u64| v),
                XOp::Lwu => ld!(s, 4, |v: u64| v),
                XOp::Sb => st!(s, 1),
                XOp::Sh => st!(s, 2),
                XOp::Sw => st!(s, 4),
                XOp::Sd => st!(s, 8),
                XOp::Addi => ri!(s, Addi),
                XOp::Slti => ri!(s, Slti),
                XOp::Sltiu => ri!(s, Sltiu),
                XOp::Xori => ri!(s, Xori),
                XOp::Ori => ri!(s, Ori),
                XOp::Andi => ri!(s, Andi),
                XOp::Slli => ri!(s, Slli),
                XOp::Srli => ri!(s, Srli),
                XOp::Srai => ri!(s, Srai),
                XOp::Add => rr!(s, Add),
                XOp::Sub => rr!(s, Sub),
                XOp::Sll => rr!(s, Sll),
                XOp::Slt => rr!(s, Slt),
                XOp::Sltu => rr!(s, Sltu),
                XOp::Xor => rr!(s, Xor),
                XOp::Srl => rr!(s, Srl),
                XOp::Sra => rr!(s, Sra),
                XOp::Or => rr!(s, Or),
                XOp::And => rr!(s, And),
                XOp::Addiw => ri!(s, Addiw),
                XOp::Slliw => ri!(s, Slliw),
                XOp::Srliw => ri!(s, Srliw),
                XOp::Sraiw => ri!(s, Sraiw),
                XOp::Addw => rr!(s, Addw),
                XOp::Subw => rr!(s, Subw),
                XOp::Sllw => rr!(s, Sllw),
                XOp::Srlw => rr!(s, Srlw),
                XOp::Sraw => rr!(s, Sraw),
                XOp::Mul => rr!(s, Mul),
                XOp::Mulh => rr!(s, Mulh),
                XOp::Mulhsu => rr!(s, Mulhsu),
                XOp::Mulhu => rr!(s, Mulhu),
                XOp::Div => rr!(s, Div),
                XOp::Divu => rr!(s, Divu),
                XOp::Rem => rr!(s, Rem),
                XOp::Remu => rr!(s, Remu),
                XOp::Mulw => rr!(s, Mulw),
                XOp::Divw => rr!(s, Divw),
                XOp::Divuw => rr!(s, Divuw),
                XOp::Remw => rr!(s, Remw),
                XOp::Remuw => rr!(s, Remuw),
            };
            if MODE == Mode::DIGEST {
                let b = bits.get(idx).copied().unwrap_or(0);
                hash = crate::hart::Digest::step(hash, pc_of(idx), b);
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
            left -= (idx - run_start) as u64;
        }
        LaneStop { idx, left, hash }
    }
}

impl Hart {
    fn lane(&mut self) -> Lane<'_> {
        Lane {
            x: &mut self.x,
            pc: &mut self.pc,
            slots: &self.dc.slots,
            bits: &self.dc.bits,
            ram: &mut self.ram,
            tlb_r: self.tlb_r.entries(),
            tlb_w: self.tlb_w.entries(),
            ctx: self.ctx,
            fpage: self.fpage,
            fbase: self.fbase,
            fbias: self.fbias,
        }
    }

    /// Runs instructions until `instret` reaches `limit` or something needs
    /// the run loop. `MODE` (a [`Mode`]) selects the variant: plain, digest
    /// only, or fully instrumented (digest, trace, breakpoints).
    ///
    /// The fast loop ([`Lane::run`]) runs what it can; this loop runs the
    /// slot it stops at with the whole hart at hand (a new fetch page, a
    /// slot to decode, the generic executor for everything else) and hands
    /// back to it. Fully instrumented, the fast loop runs one instruction
    /// at a time, between the breakpoint check and the trace.
    #[inline(never)]
    pub(crate) fn run_block<D: Devices, const MODE: u8>(
        &mut self,
        dev: &mut D,
        limit: u64,
    ) -> Stop {
        let mut left = limit.saturating_sub(self.instret);
        if left == 0 {
            return Stop::Limit;
        }
        let mut idx = REFETCH;
        let left0 = left;
        let mut hash = self.digest.hash;
        let stop = loop {
            let Some(&s) = self.dc.slots.get(idx) else {
                self.pc = self.pc_at(idx);
                idx = REFETCH;
                continue;
            };
            if MODE == Mode::FULL {
                if !matches!(s.op, XOp::Fetch | XOp::Undecoded) {
                    let pc = self.pc_at(idx);
                    if self.breakpoint_at(pc) {
                        break Stop::Breakpoint;
                    }
                    let ran = self.lane().run::<{ Mode::PLAIN }, true>(idx, 1, 0);
                    if ran.left == 0 {
                        let bits = self.dc.bits.get(idx).copied().unwrap_or(0);
                        idx = ran.idx;
                        self.retired_instrumented(pc, bits);
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
                if MODE != Mode::FULL && left > crate::jit::SLACK && !self.reference {
                    if let Some(ran) = self.run_translated(idx, left, hash, MODE == Mode::DIGEST) {
                        (idx, left, hash) = ran;
                        slice = left.min(crate::jit::LANE_SLICE);
                    }
                }
                let runnable = self
                    .dc
                    .slots
                    .get(idx)
                    .is_some_and(|s| s.op as u8 > XOp::Slow as u8);
                if runnable {
                    // With the digest on, counting each instruction measured
                    // faster than counting by runs (one host register fewer
                    // in use).
                    let ran = if MODE != Mode::DIGEST && slice > SLACK {
                        self.lane().run::<MODE, false>(idx, slice, hash)
                    } else {
                        self.lane().run::<MODE, true>(idx, slice, hash)
                    };
                    left -= slice - ran.left;
                    (idx, hash) = (ran.idx, ran.hash);
                }
                if left == 0 {
                    break Stop::Limit;
                }
            }
            // The slot the fast loop left: it needs the whole hart.
            let (Some(&s), Some(&bits)) = (self.dc.slots.get(idx), self.dc.bits.get(idx)) else {
                continue;
            };
            match s.op {
                XOp::Fetch => {
                    let pc = self.pc_at(idx);
                    match self.fetch_page(pc) {
                        Ok(i) => idx = i,
                        Err(t) => break Stop::Trap(t),
                    }
                }
                XOp::Undecoded => self.decode_slot(idx),
                XOp::Illegal => break Stop::Trap(illegal(bits)),
                // `XOp::Slow`, and what the fast loop could not finish (a
                // TLB miss, a device, a misaligned access or jump target):
                // the generic executor runs it from its bits.
                _ => {
                    let pc = self.pc_at(idx);
                    // A breakpoint's slot is slow (`crate::debug`); the
                    // instrumented loop looked before running the lane.
                    if MODE != Mode::FULL && self.is_breakpoint(pc) && self.breakpoint_at(pc) {
                        break Stop::Breakpoint;
                    }
                    self.pc = pc;
                    self.instret = limit - left;
                    match self.exec_generic(dev, bits) {
                        Ok(mut flow) => {
                            self.retire_one::<MODE>(&mut hash, pc, bits);
                            left -= 1;
                            if let Some(hit) = self.debug.hit.take() {
                                if !matches!(flow, Flow::Exit(_)) {
                                    flow = Flow::Exit(Exit::Debug(DebugEvent::Watch(hit)));
                                }
                            }
                            if flow != Flow::Next || left == 0 {
                                idx = REFETCH;
                                break Stop::Flow(flow);
                            }
                            // Nothing the fetch page depends on changed: go
                            // on in it without a lookup when the next `pc`
                            // is there.
                            idx = match slot_in_page(self.fpage, self.fbase, self.pc) {
                                Some(i) if self.pc & 3 == 0 => i,
                                _ => REFETCH,
                            };
                        }
                        Err(t) => {
                            self.debug.hit = None;
                            break Stop::Trap(t);
                        }
                    }
                }
            }
        };
        self.pc = self.pc_at(idx);
        self.instret = limit - left;
        if MODE == Mode::DIGEST {
            self.digest.hash = hash;
            self.digest.count += left0 - left;
        }
        stop
    }

    /// Runs the translated code of the fetch page from slot `idx`, with
    /// `left` (more than [`crate::jit::SLACK`]) instructions allowed, and
    /// with `digest`, the digest's `hash` to add to. `None` when the page is
    /// left to the fast loop; else where it stopped, the instructions still
    /// allowed and the hash (unchanged while the page waits for
    /// translation).
    fn run_translated(
        &mut self,
        idx: usize,
        left: u64,
        hash: u64,
        digest: bool,
    ) -> Option<(usize, u64, u64)> {
        // `idx` is a slot of the fetch page, whose slots start at `fbase`.
        let base = self.fbase;
        let word = idx.checked_sub(base).filter(|&w| w < SLOTS_PER_PAGE)?;
        let chunk = base.checked_sub(1)? / CHUNK;
        let table = match self.jit.plan(&self.dc, chunk, digest) {
            Plan::Unmanaged => return None,
            Plan::Warming => return Some((idx, left, hash)),
            Plan::Run(table) => table,
            Plan::Translate => {
                self.decode_ahead(word);
                match self.jit.translate(&self.dc, chunk, base) {
                    Plan::Run(table) => table,
                    _ => return None,
                }
            }
        };
        let ran = self.enter_translated(table, word, left, hash)?;
        // (Code translated without the digest leaves `Frame::hash` alone
        // only in meaning: it may hold a guest register there.)
        Some(if digest { ran } else { (ran.0, ran.1, hash) })
    }

    #[cfg(all(target_arch = "x86_64", unix, not(miri)))]
    fn enter_translated(
        &mut self,
        table: *const u64,
        word: usize,
        left: u64,
        hash: u64,
    ) -> Option<(usize, u64, u64)> {
        use crate::jit::translate::{Frame, EXIT_REFETCH};
        let mut frame = Frame {
            x: self.x.as_mut_ptr(),
            ram: self.ram.as_mut_ptr(),
            tlb_r: self.tlb_r.entries().as_ptr().cast(),
            tlb_w: self.tlb_w.entries().as_ptr().cast(),
            ctx: self.ctx,
            fpage: self.fpage,
            table,
            left,
            pc: 0,
            exit: word as u64,
            hash,
        };
        // SAFETY: `table` came from `self.jit.plan` or `translate` just
        // now, with no `translate` since (only that resets the code buffer),
        // and `word` is a slot index of the page (below SLOTS_PER_PAGE, see
        // `run_translated`); `left` > SLACK (`run_block` checks it); `frame`
        // points at this hart's registers, RAM and TLB entries, borrowed
        // through `&mut self` for the call, and TLB entries are filled only
        // for pages wholly in RAM, which is never resized.
        #[allow(unsafe_code)]
        unsafe {
            self.jit.run(&mut frame, word)
        };
        debug_assert!(frame.left > 0 && frame.left <= left);
        let idx = if frame.exit == EXIT_REFETCH {
            self.pc = frame.pc;
            REFETCH
        } else {
            debug_assert!(frame.exit <= SLOTS_PER_PAGE as u64);
            self.fbase + frame.exit as usize
        };
        Some((idx, frame.left, frame.hash))
    }

    #[cfg(not(all(target_arch = "x86_64", unix, not(miri))))]
    fn enter_translated(
        &mut self,
        _: *const u64,
        _: usize,
        _: u64,
        _: u64,
    ) -> Option<(usize, u64, u64)> {
        None
    }

    /// The address of the instruction in slot `idx` (for [`REFETCH`]:
    /// `self.pc`, which holds it then).
    #[inline(always)]
    fn pc_at(&self, idx: usize) -> u64 {
        if idx == REFETCH {
            self.pc
        } else {
            self.fbias.wrapping_add((idx as u64) << 2)
        }
    }

    /// Decodes the slots of the fetch page that code from word `start` can
    /// reach without leaving the page or jumping through a register: the
    /// fall-through path, branch and `jal` targets, and the word after a
    /// call or a generic instruction (which may return there). A page is
    /// then translated a whole loop or function at a time, not only the
    /// words run so far.
    fn decode_ahead(&mut self, start: usize) {
        let mut seen = [false; SLOTS_PER_PAGE];
        let mut work = vec![start];
        while let Some(mut w) = work.pop() {
            while w < SLOTS_PER_PAGE && !std::mem::replace(&mut seen[w], true) {
                let idx = self.fbase + w;
                if self
                    .dc
                    .slots
                    .get(idx)
                    .is_some_and(|s| s.op == XOp::Undecoded)
                {
                    self.decode_slot(idx);
                }
                let Some(&s) = self.dc.slots.get(idx) else {
                    break;
                };
                let near = |imm: i32| {
                    (imm != FAR)
                        .then(|| w.checked_add_signed(imm as isize))
                        .flatten()
                };
                match s.op {
                    XOp::Illegal | XOp::Jr | XOp::Fetch | XOp::Undecoded => break,
                    XOp::J => {
                        work.extend(near(s.imm));
                        break;
                    }
                    XOp::Jal
                    | XOp::Beq
                    | XOp::Bne
                    | XOp::Blt
                    | XOp::Bge
                    | XOp::Bltu
                    | XOp::Bgeu => work.extend(near(s.imm)),
                    _ => {}
                }
                w += 1;
            }
        }
    }

    /// Fills slot `idx` (of the current fetch page) from RAM.
    #[cold]
    fn decode_slot(&mut self, idx: usize) {
        let page_off = (idx.wrapping_sub(self.fbase) << 2) & (PAGE_SIZE as usize - 1);
        let bits = self.ram_read_u32(self.fram + page_off);
        let slot = predecode(bits, page_off as u64, self.reference);
        let slot = self.breakpoint_slot(self.pc_at(idx), slot);
        self.dc.fill(idx, slot, bits);
    }

    /// Bookkeeping for one retired instruction in the instrumented loop.
    #[inline(always)]
    fn retire_one<const MODE: u8>(&mut self, hash: &mut u64, pc: u64, bits: u32) {
        if MODE == Mode::DIGEST {
            *hash = crate::hart::Digest::step(*hash, pc, bits);
        } else if MODE == Mode::FULL {
            self.retired_instrumented(pc, bits);
        }
    }

    /// Makes the page holding `pc` the current fetch page and returns the
    /// slot of `pc` (instruction fetch: IALIGN = 32, RAM only).
    #[cold]
    fn fetch_page(&mut self, pc: u64) -> Result<usize, Trap> {
        if pc & 3 != 0 {
            return Err(Access::Fetch.misaligned(pc));
        }
        let ram_off = match self.tlb_x.lookup(pc, self.ctx) {
            Some(off) => off as usize,
            None => {
                let pa = self.translate(pc, Access::Fetch)?;
                self.ram_offset(pa, 4)
                    .ok_or(Access::Fetch.access_fault(pc))?
            }
        };
        let page_off = ram_off & !(PAGE_SIZE as usize - 1);
        if !self.dc.has_code(page_off >> 12) {
            // The page becomes a code page: stores into it must now take the
            // slow path, which keeps its slots coherent (see `tlb_store`).
            self.tlb_w.flush();
        }
        let base = self.dc.page(page_off >> 12);
        if base == usize::MAX {
            return Err(Access::Fetch.access_fault(pc));
        }
        self.fpage = pc & !(PAGE_SIZE - 1);
        self.fbase = base;
        self.fbias = self.fpage.wrapping_sub((base as u64) << 2);
        self.fram = page_off;
        if !self.breakpoints.is_empty() {
            self.mark_breakpoint_slots();
        }
        Ok(base + ((pc & (PAGE_SIZE - 1)) >> 2) as usize)
    }

    /// A load of `size` bytes that missed the fast path: translation (and
    /// TLB fill), devices, and misaligned accesses (which complete when
    /// every byte is RAM, as OpenSBI makes them on QEMU). Returns the value
    /// zero-extended.
    #[cold]
    pub(crate) fn load_slow<D: Devices>(
        &mut self,
        dev: &mut D,
        va: u64,
        size: u64,
    ) -> Result<u64, Trap> {
        if va & (size - 1) == 0 {
            let pa = self.translate(va, Access::Load)?;
            if let Some(off) = self.ram_offset(pa, size) {
                let mut b = [0u8; 8];
                b[..size as usize].copy_from_slice(&self.ram[off..off + size as usize]);
                return Ok(u64::from_le_bytes(b));
            }
            return dev
                .load(pa, size as u8)
                .ok_or(Access::Load.access_fault(va));
        }
        let offs = self.misaligned_offsets(va, size, Access::Load)?;
        let mut b = [0u8; 8];
        for (i, byte) in b.iter_mut().take(size as usize).enumerate() {
            *byte = self.ram[offs[i]];
        }
        Ok(u64::from_le_bytes(b))
    }

    /// A store that missed the fast path. `Ok(true)`: a device asked the
    /// run loop to return [`Exit::Device`].
    #[cold]
    pub(crate) fn store_slow<D: Devices>(
        &mut self,
        dev: &mut D,
        va: u64,
        size: u64,
        value: u64,
    ) -> Result<bool, Trap> {
        let bytes = value.to_le_bytes();
        if va & (size - 1) == 0 {
            let pa = self.translate(va, Access::Store)?;
            if let Some(off) = self.ram_offset(pa, size) {
                self.ram_write(off, &bytes[..size as usize]);
                return Ok(false);
            }
            return dev
                .store(pa, size as u8, value)
                .ok_or(Access::Store.access_fault(va));
        }
        let offs = self.misaligned_offsets(va, size, Access::Store)?;
        for (i, &b) in bytes.iter().take(size as usize).enumerate() {
            self.ram_write(offs[i], &[b]);
        }
        Ok(false)
    }

    /// The RAM offset of each byte of a misaligned access, translating each
    /// page it touches first, so that a fault on either page leaves memory
    /// untouched. `stval` is the address of the portion that faulted.
    fn misaligned_offsets(&mut self, va: u64, size: u64, acc: Access) -> Result<[usize; 8], Trap> {
        let mut offs = [0usize; 8];
        let mut page_start = u64::MAX;
        let mut page_off = 0usize;
        for (i, o) in offs.iter_mut().take(size as usize).enumerate() {
            let a = va.wrapping_add(i as u64);
            if a & !(PAGE_SIZE - 1) != page_start {
                page_start = a & !(PAGE_SIZE - 1);
                let pa = self.translate(a, acc)?;
                let page_pa = pa & !(PAGE_SIZE - 1);
                page_off = self
                    .ram_offset(page_pa, PAGE_SIZE)
                    .ok_or(acc.access_fault(a))?;
            }
            *o = page_off + (a & (PAGE_SIZE - 1)) as usize;
        }
        Ok(offs)
    }

    /// A load through the fast path when it can, else the slow one.
    fn load<D: Devices>(&mut self, dev: &mut D, va: u64, size: u64) -> Result<u64, Trap> {
        let fast = match size {
            1 => self.load_fast::<1>(va),
            2 => self.load_fast::<2>(va),
            4 => self.load_fast::<4>(va),
            _ => self.load_fast::<8>(va),
        };
        match fast {
            Some(v) => Ok(v),
            None => self.load_slow(dev, va, size),
        }
    }

    /// [`tlb_load`] from the hart's load TLB, zero-extended.
    #[inline(always)]
    fn load_fast<const N: usize>(&self, va: u64) -> Option<u64> {
        tlb_load::<N>(&self.ram, self.tlb_r.entries(), self.ctx, va)
            .map(|b| u64::from_le_bytes(widen(b)))
    }

    /// Sets `x[rd]` (writes to `x0` are dropped).
    #[inline(always)]
    fn set_x(&mut self, rd: u8, v: u64) {
        if rd != 0 {
            self.x[rd as usize & 31] = v;
        }
    }

    #[inline(always)]
    fn xr(&self, r: u8) -> u64 {
        self.x[r as usize & 31]
    }

    /// The generic executor: runs any instruction from its bits, with
    /// `self.pc` at it and `self.instret` up to date. On success `self.pc`
    /// is the next instruction's address; on a trap nothing has changed.
    pub(crate) fn exec_generic<D: Devices>(
        &mut self,
        dev: &mut D,
        bits: u32,
    ) -> Result<Flow, Trap> {
        let i = isa::decode(bits).map_err(|_| illegal(bits))?;
        let pc = self.pc;
        let next = pc.wrapping_add(4);
        let imm = i.imm as i64 as u64;
        let (a, b) = (self.xr(i.rs1), self.xr(i.rs2));
        let mut flow = Flow::Next;
        let mut new_pc = next;
        match i.op {
            Op::Lui => self.set_x(i.rd, imm),
            Op::Auipc => self.set_x(i.rd, pc.wrapping_add(imm)),
            Op::Jal | Op::Jalr => {
                let target = if i.op == Op::Jal {
                    pc.wrapping_add(imm)
                } else {
                    a.wrapping_add(imm) & !1
                };
                if target & 3 != 0 {
                    return Err(exception(Exception::InstructionMisaligned, target));
                }
                self.set_x(i.rd, next);
                new_pc = target;
            }
            Op::Beq | Op::Bne | Op::Blt | Op::Bge | Op::Bltu | Op::Bgeu => {
                if taken(i.op, a, b) {
                    let target = pc.wrapping_add(imm);
                    if target & 3 != 0 {
                        return Err(exception(Exception::InstructionMisaligned, target));
                    }
                    new_pc = target;
                }
            }
            Op::Lb | Op::Lh | Op::Lw | Op::Ld | Op::Lbu | Op::Lhu | Op::Lwu => {
                let (size, signed) = match i.op {
                    Op::Lb => (1, true),
                    Op::Lh => (2, true),
                    Op::Lw => (4, true),
                    Op::Ld => (8, false),
                    Op::Lbu => (1, false),
                    Op::Lhu => (2, false),
                    _ => (4, false),
                };
                let v = self.load(dev, a.wrapping_add(imm), size)?;
                self.note_access(a.wrapping_add(imm), size, true, false);
                let shift = 64 - 8 * size;
                let v = if signed {
                    (((v << shift) as i64) >> shift) as u64
                } else {
                    v
                };
                self.set_x(i.rd, v);
            }
            Op::Sb | Op::Sh | Op::Sw | Op::Sd => {
                let size = match i.op {
                    Op::Sb => 1,
                    Op::Sh => 2,
                    Op::Sw => 4,
                    _ => 8,
                };
                if self.store_slow(dev, a.wrapping_add(imm), size, b)? {
                    flow = Flow::Exit(Exit::Device);
                }
                self.note_access(a.wrapping_add(imm), size, false, true);
            }
            Op::Addi
            | Op::Slti
            | Op::Sltiu
            | Op::Xori
            | Op::Ori
            | Op::Andi
            | Op::Slli
            | Op::Srli
            | Op::Srai
            | Op::Addiw
            | Op::Slliw
            | Op::Srliw
            | Op::Sraiw => self.set_x(i.rd, alu(i.op, a, imm)),
            Op::Add
            | Op::Sub
            | Op::Sll
            | Op::Slt
            | Op::Sltu
            | Op::Xor
            | Op::Srl
            | Op::Sra
            | Op::Or
            | Op::And
            | Op::Addw
            | Op::Subw
            | Op::Sllw
            | Op::Srlw
            | Op::Sraw
            | Op::Mul
            | Op::Mulh
            | Op::Mulhsu
            | Op::Mulhu
            | Op::Div
            | Op::Divu
            | Op::Rem
            | Op::Remu
            | Op::Mulw
            | Op::Divw
            | Op::Divuw
            | Op::Remw
            | Op::Remuw => self.set_x(i.rd, alu(i.op, a, b)),
            Op::Fence => {}
            Op::FenceI => {
                self.dc.flush();
                flow = Flow::Recheck;
            }
            Op::Ecall => {
                let cause = match self.privilege {
                    Priv::User => Exception::EcallFromU,
                    Priv::Supervisor => Exception::EcallFromS,
                    Priv::Machine => Exception::EcallFromM,
                };
                return Err(exception(cause, 0));
            }
            // The spec allows 0 or the pc in tval; QEMU 7.2 (the oracle,
            // tests/conformance/traps.s) writes 0.
            Op::Ebreak => return Err(exception(Exception::Breakpoint, 0)),
            Op::LrW | Op::LrD | Op::ScW | Op::ScD => self.exec_lr_sc(&i, a, b)?,
            Op::AmoswapW
            | Op::AmoaddW
            | Op::AmoxorW
            | Op::AmoandW
            | Op::AmoorW
            | Op::AmominW
            | Op::AmomaxW
            | Op::AmominuW
            | Op::AmomaxuW
            | Op::AmoswapD
            | Op::AmoaddD
            | Op::AmoxorD
            | Op::AmoandD
            | Op::AmoorD
            | Op::AmominD
            | Op::AmomaxD
            | Op::AmominuD
            | Op::AmomaxuD => self.exec_amo(&i, a, b)?,
            Op::Csrrw | Op::Csrrs | Op::Csrrc | Op::Csrrwi | Op::Csrrsi | Op::Csrrci => {
                self.exec_csr(&i, bits)?;
                flow = Flow::Recheck;
            }
            Op::Sret => {
                new_pc = self.exec_sret(bits)?;
                flow = Flow::Recheck;
            }
            // M-mode is the host's: `mret` never runs as guest code.
            Op::Mret => return Err(illegal(bits)),
            Op::Wfi => flow = self.exec_wfi(bits)?,
            Op::SfenceVma => {
                // Privileged spec 3.1.6.5: illegal in U-mode, and in S-mode
                // when mstatus.TVM = 1.
                if self.privilege == Priv::User
                    || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TVM != 0)
                {
                    return Err(illegal(bits));
                }
                self.flush_tlb();
                flow = Flow::Recheck;
            }
        }
        self.pc = new_pc;
        Ok(flow)
    }

    /// Zicsr: `csrrw` always writes and reads only when `rd` is not x0;
    /// `csrrs`/`csrrc` (and the immediate forms) always read and write only
    /// when `rs1` (or `uimm`) is not zero (unprivileged spec 9.1).
    fn exec_csr(&mut self, i: &Insn, bits: u32) -> Result<(), Trap> {
        let csr = i.csr();
        let src = match i.op {
            Op::Csrrwi | Op::Csrrsi | Op::Csrrci => i.rs1 as u64,
            _ => self.xr(i.rs1),
        };
        let (read, write) = match i.op {
            Op::Csrrw | Op::Csrrwi => (i.rd != 0, true),
            _ => (true, i.rs1 != 0),
        };
        // A csrrw with rd = x0 does not read (the write checks access).
        let old = if read {
            self.csr_read(csr).map_err(|_| illegal(bits))?
        } else {
            0
        };
        if write {
            let new = match i.op {
                Op::Csrrw | Op::Csrrwi => src,
                Op::Csrrs | Op::Csrrsi => old | src,
                _ => old & !src,
            };
            self.csr_write(csr, new).map_err(|_| illegal(bits))?;
        }
        self.set_x(i.rd, old);
        Ok(())
    }

    /// `sret` (privileged spec 3.3.2): back to `sepc` at the privilege in
    /// SPP, SIE from SPIE, SPIE = 1, SPP = U. Illegal in U-mode, and in
    /// S-mode when mstatus.TSR = 1.
    fn exec_sret(&mut self, bits: u32) -> Result<u64, Trap> {
        if self.privilege == Priv::User
            || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TSR != 0)
        {
            return Err(illegal(bits));
        }
        let s = self.csr.mstatus;
        self.privilege = if s & csr::SSTATUS_SPP != 0 {
            Priv::Supervisor
        } else {
            Priv::User
        };
        let mut s = s & !(csr::SSTATUS_SIE | csr::SSTATUS_SPP);
        if s & csr::SSTATUS_SPIE != 0 {
            s |= csr::SSTATUS_SIE;
        }
        s |= csr::SSTATUS_SPIE;
        self.csr.mstatus = s;
        self.reservation = None;
        self.sret_mark = true;
        Ok(self.csr.sepc & !3)
    }

    /// `wfi` (privileged spec 3.3.3): illegal in U-mode and, with
    /// mstatus.TW = 1, in S-mode. A nop when an interrupt is pending and
    /// enabled in `sie` (whatever `sstatus.SIE` says); else the hart sleeps.
    fn exec_wfi(&mut self, bits: u32) -> Result<Flow, Trap> {
        if self.privilege == Priv::User
            || (self.privilege == Priv::Supervisor && self.csr.mstatus & MSTATUS_TW != 0)
        {
            return Err(illegal(bits));
        }
        if self.csr.mip & self.csr.mie & S_INTERRUPTS != 0 {
            Ok(Flow::Recheck)
        } else {
            Ok(Flow::Exit(Exit::Wfi))
        }
    }

    /// The RAM offset of an LR/SC/AMO's word or doubleword: aligned
    /// (else misaligned exception) and in RAM (else access fault).
    fn amo_offset(&mut self, va: u64, size: u64, acc: Access) -> Result<usize, Trap> {
        if va & (size - 1) != 0 {
            return Err(acc.misaligned(va));
        }
        let pa = self.translate(va, acc)?;
        self.ram_offset(pa, size).ok_or(acc.access_fault(va))
    }

    /// LR/SC (unprivileged spec 8.2): LR reserves its address; SC succeeds
    /// (writes, rd = 0) only while that reservation holds, else rd = 1
    /// without touching memory (as QEMU). Either way SC ends the
    /// reservation.
    fn exec_lr_sc(&mut self, i: &Insn, addr: u64, value: u64) -> Result<(), Trap> {
        let size = if matches!(i.op, Op::LrW | Op::ScW) {
            4
        } else {
            8
        };
        match i.op {
            Op::LrW | Op::LrD => {
                let off = self.amo_offset(addr, size, Access::Load)?;
                self.note_access(addr, size, true, false);
                let v = self.ram_read_sized(off, size);
                self.reservation = Some(Reservation {
                    va: addr,
                    pa: RAM_BASE.wrapping_add(off as u64),
                });
                self.set_x(i.rd, if size == 4 { sext32(v) } else { v });
            }
            _ => {
                if addr & (size - 1) != 0 {
                    return Err(Access::Store.misaligned(addr));
                }
                if self.reservation.map(|r| r.va) != Some(addr) {
                    self.reservation = None;
                    self.set_x(i.rd, 1);
                    return Ok(());
                }
                let off = self.amo_offset(addr, size, Access::Store)?;
                self.note_access(addr, size, false, true);
                self.ram_write(off, &value.to_le_bytes()[..size as usize]);
                self.reservation = None;
                self.set_x(i.rd, 0);
            }
        }
        Ok(())
    }

    /// AMOs (unprivileged spec 8.4): load, compute, store; `rd` gets the old
    /// value (sign-extended for `.w`).
    fn exec_amo(&mut self, i: &Insn, addr: u64, src: u64) -> Result<(), Trap> {
        use Op::*;
        let word = matches!(
            i.op,
            AmoswapW
                | AmoaddW
                | AmoxorW
                | AmoandW
                | AmoorW
                | AmominW
                | AmomaxW
                | AmominuW
                | AmomaxuW
        );
        let size = if word { 4 } else { 8 };
        let off = self.amo_offset(addr, size, Access::Store)?;
        self.note_access(addr, size, true, true);
        let raw = self.ram_read_sized(off, size);
        // Work on sign-extended words, so that signed compares are right.
        let (old, src) = if word {
            (sext32(raw), sext32(src))
        } else {
            (raw, src)
        };
        let (uo, us) = if word {
            (old as u32 as u64, src as u32 as u64)
        } else {
            (old, src)
        };
        let new = match i.op {
            AmoswapW | AmoswapD => src,
            AmoaddW | AmoaddD => old.wrapping_add(src),
            AmoxorW | AmoxorD => old ^ src,
            AmoandW | AmoandD => old & src,
            AmoorW | AmoorD => old | src,
            AmominW | AmominD => (old as i64).min(src as i64) as u64,
            AmomaxW | AmomaxD => (old as i64).max(src as i64) as u64,
            AmominuW | AmominuD => {
                if uo <= us {
                    old
                } else {
                    src
                }
            }
            _ => {
                if uo >= us {
                    old
                } else {
                    src
                }
            }
        };
        self.ram_write(off, &new.to_le_bytes()[..size as usize]);
        self.set_x(i.rd, old);
        Ok(())
    }
}

/// Zero-extends a little-endian value of `N` bytes to eight.
#[inline(always)]
fn widen<const N: usize>(b: [u8; N]) -> [u8; 8] {
    let mut w = [0u8; 8];
    w[..N].copy_from_slice(&b);
    w
}

/// The slot of `pc` when it is in the fetch page (virtual address `fpage`,
/// first slot `fbase`).
#[inline(always)]
fn slot_in_page(fpage: u64, fbase: usize, pc: u64) -> Option<usize> {
    let off = pc.wrapping_sub(fpage);
    (off < PAGE_SIZE).then(|| fbase + (off >> 2) as usize)
}

/// An aligned load of `N` bytes at `va` that hits `tlb`.
///
/// The hot path, so RAM is read without a bounds check (five host
/// instructions fewer per guest load; with [`tlb_store`], 6-14% less wall
/// time on the bench guests in paired runs; see the SAFETY comment).
#[inline(always)]
#[allow(unsafe_code)]
fn tlb_load<const N: usize>(ram: &[u8], tlb: &TlbEntries, ctx: u64, va: u64) -> Option<[u8; N]> {
    let off = mmu::lookup_aligned::<N>(tlb, va, ctx)? as usize;
    debug_assert!(off.checked_add(N).is_some_and(|end| end <= ram.len()));
    // SAFETY: `off..off + N` lies inside `ram` (the hart's RAM):
    // - a TLB hit means `va`'s page is the page the entry was filled for
    //   (the tag holds the whole page address), and entries are filled
    //   only for pages that lie wholly in RAM (`Hart::translate` checks
    //   `ram_offset(page, PAGE_SIZE)`), so the page's 4096 bytes are in RAM;
    // - `va` is `N`-aligned (`lookup_aligned` hits only then) and `N`
    //   divides 4096, so the `N` bytes do not cross the end of the page;
    // - RAM is allocated once by `Hart::new` and never resized, so an
    //   offset that was in RAM when the entry was filled still is.
    // A `[u8; N]` has alignment 1, so the unaligned pointer is fine.
    Some(unsafe { ram.as_ptr().add(off).cast::<[u8; N]>().read() })
}

/// An aligned store of `N` bytes at `va` that hits `tlb` (the store TLB).
/// Its pages are RAM, already dirty, and hold no decoded code (`translate`
/// does not cache a store translation to a code page, and `fetch_page`
/// drops the store TLB when a page becomes one), so the decode cache needs
/// no look here.
#[inline(always)]
#[allow(unsafe_code)]
fn tlb_store<const N: usize>(
    ram: &mut [u8],
    tlb: &TlbEntries,
    ctx: u64,
    va: u64,
    bytes: [u8; N],
) -> bool {
    let Some(off) = mmu::lookup_aligned::<N>(tlb, va, ctx) else {
        return false;
    };
    let off = off as usize;
    debug_assert!(off.checked_add(N).is_some_and(|end| end <= ram.len()));
    // SAFETY: `off..off + N` lies inside `ram`, for the reasons given in
    // `tlb_load` (the store TLB is filled by the same `Hart::translate`,
    // under the same RAM check). `&mut` makes this the only access to RAM.
    unsafe { ram.as_mut_ptr().add(off).cast::<[u8; N]>().write(bytes) };
    true
}

/// The low `N` bytes of `v`, little-endian.
#[inline(always)]
fn narrow<const N: usize>(v: u64) -> [u8; N] {
    let mut b = [0u8; N];
    b.copy_from_slice(&v.to_le_bytes()[..N]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_edge_cases() {
        assert_eq!(alu(Op::Div, 7, 0), u64::MAX);
        assert_eq!(alu(Op::Div, i64::MIN as u64, u64::MAX), i64::MIN as u64);
        assert_eq!(alu(Op::Rem, i64::MIN as u64, u64::MAX), 0);
        assert_eq!(alu(Op::Remu, 7, 0), 7);
        assert_eq!(alu(Op::Divuw, 7, 0), u64::MAX);
        assert_eq!(
            alu(Op::Remw, 0xffff_ffff_8000_0000, 0),
            0xffff_ffff_8000_0000
        );
        assert_eq!(alu(Op::Divw, 0x8000_0000, u64::MAX), 0xffff_ffff_8000_0000);
    }

    /// A slot is 8 bytes: the hot loop finds slot `idx` with one scaled
    /// host address (x86-64 scales an index by at most 8).
    #[test]
    fn slot_stays_small() {
        assert_eq!(std::mem::size_of::<crate::dcache::Slot>(), 8);
    }
}
