//! Translation of one page of pre-decoded slots into x86-64 code.
//!
//! Each slot of the page (the instruction at each 2-byte parcel, see
//! [`crate::dcache`]; "word" below) becomes a short sequence of host
//! instructions that does exactly what the fast loop (`engine.rs`'s
//! `Lane::run`) does for it, with the same exits: where the fast loop would
//! stop at a slot, the translated code stops at that word, with nothing of
//! it retired, and returns its index for the run loop to carry on from. So a
//! run does the same thing, to the instruction, translated or not.
//!
//! **Layout.** Code is laid out a fall-through chain at a time: a word's
//! code is followed by the code of the instruction after it (2 slots on
//! for a 32-bit instruction, 1 for a compressed one), so straight-line
//! code falls through in host code too; the slot in the middle of a 32-bit
//! instruction, when decoded (something jumped there), starts a chain of
//! its own elsewhere, and a chain that runs into code laid out before ends
//! with a jump to it. A word that is only a stop has no code: its label is
//! its stop. The first word of a loop (one an in-page jump or branch goes
//! back to) starts on a 16-byte boundary, padded with no-operations.
//!
//! While translated code runs, these host registers hold:
//!
//! | register | holds |
//! |---|---|
//! | `rbx` | address of the guest registers `x[0..32]` |
//! | `rbp` | address of the [`Frame`] |
//! | `r12` | address of RAM |
//! | `r13`, `r14` | addresses of the load and store TLB entries |
//! | `r15` | `k = 2 * left + run_start` (below) |
//! | `r11` | the TLB context |
//!
//! `rax`, `rcx`, `rdx` are scratch.
//!
//! **Guest registers.** The five guest registers a page's decoded
//! operations use most live in `rsi`, `rdi`, `r8`, `r9`, `r10` while its code
//! runs ([`Alloc`]); the others stay in `x[]` (`[rbx + 8r]`). The page's
//! entry code loads them, and every way out of the page (each stop, each
//! jump off it) goes through the page's exit code, which stores them back,
//! so at every stop `x[]` is the guest's registers, as in the fast loop.
//!
//! **The digest.** Translated for a hart with the trace digest on (`--stats`),
//! each word also adds itself to the digest once it cannot stop any more
//! (after its TLB or alignment checks, before it jumps), as
//! [`crate::digest::Digest::step`] does: `r8` holds the hash, `r9` the page's
//! virtual address, `r10` the multiplier, and `rsi`, `rdi` are its scratch;
//! so code translated with the digest keeps every guest register in memory.
//!
//! **Counting.** As in the fast loop, instructions are counted one straight
//! run at a time, and each compressed instruction that falls through moves
//! the run's start `s` back by one (so that a run from `s` to word `j`
//! retired `(j - s) / 2` instructions, 32-bit ones spanning 2 words). If
//! `left` instructions may still retire, the code keeps `k = 2 * left + s`
//! in `r15`. A compressed instruction falling through subtracts 1; a taken
//! jump from word `i` to word `t` retires `(i + 2 - s) / 2` instructions
//! and starts a run at `t`: `k' = 2 * left - (i + 2 - s) + t = k + (t - i -
//! 2)`, one add of a constant. Stopping at word `j` leaves `left = (k - j)
//! / 2`. (32-bit code pays nothing for this.)
//!
//! The code checks the count at each taken jump and, on the way through,
//! at the words whose index is 0 or 1 modulo [`SLACK`] (a chain steps 1 or
//! 2 words, so it passes one of them in every [`SLACK`] words): at a word
//! `t`, that more instructions are left than run from `t` before the next
//! check (`d(t)`, known at translation: at most [`SLACK`], and at most half
//! that for 32-bit code), `k - t > 2 * d(t)`; otherwise it stops there, for
//! the exact loop to finish the count (a `jalr` into the page checks for
//! more than [`SLACK`]). No more than [`SLACK`]
//! instructions run from one check to the next, so `left` never runs out
//! between them; and as `SLACK` is small, the exact loop runs few
//! instructions at the end of each run (under the monitor, a run is a
//! quantum of a few thousand instructions).

use super::x64::{at, at_index, Alu, Asm, Cond, Fixup, Shift, R, W};
use crate::dcache::{Reg, Slot, XOp, FAR, SLOTS_PER_PAGE};
use crate::isa::Kind;

/// The most instructions that run between two checks of `left`; the code
/// is entered only with more than this left.
pub(crate) const SLACK: u64 = super::SLACK;

/// The most instructions translated code is given at a time ([`Frame::left`]):
/// it keeps `2 * left` in a 64-bit register, which must not overflow.
pub(crate) const MAX_LEFT: u64 = 1 << 48;

/// [`Frame::exit`] when the code stopped at `Frame::pc`, outside the page.
pub(crate) const EXIT_REFETCH: u64 = u32::MAX as u64;

/// What the run loop and translated code share for one call, at offsets
/// the code reads (`repr(C)`).
#[repr(C)]
pub(crate) struct Frame {
    pub x: *mut u64,
    pub ram: *mut u8,
    pub tlb_r: *const u8,
    pub tlb_w: *const u8,
    /// The TLB context (privilege, `SUM`, `MXR`).
    pub ctx: u64,
    /// The virtual address of the page.
    pub fpage: u64,
    /// The page's label table: the host address of each word's code.
    pub table: *const u64,
    /// In: instructions that may retire (more than [`SLACK`], at most
    /// [`MAX_LEFT`]); out: left.
    pub left: u64,
    /// Out, with `exit == EXIT_REFETCH`: the next `pc`.
    pub pc: u64,
    /// Out: the word the code stopped at (not run), or [`EXIT_REFETCH`].
    pub exit: u64,
    /// In and out: the trace digest's hash (code translated with the
    /// digest adds each retired instruction; other code leaves it).
    pub hash: u64,
}

const F_X: i32 = 0;
const F_RAM: i32 = 8;
const F_TLB_R: i32 = 16;
const F_TLB_W: i32 = 24;
const F_CTX: i32 = 32;
const F_FPAGE: i32 = 40;
const F_TABLE: i32 = 48;
const F_LEFT: i32 = 56;
const F_PC: i32 = 64;
const F_EXIT: i32 = 72;
const F_HASH: i32 = 80;

const X: R = R::Rbx;
const FRAME: R = R::Rbp;
const RAM: R = R::R12;
const TLB_R: R = R::R13;
const TLB_W: R = R::R14;
const K: R = R::R15;
const HASH: R = R::R8;
const FPAGE: R = R::R9;
const PRIME: R = R::R10;
const CTX: R = R::R11;

/// Saved and restored by the entry code (the System V callee-saved ones).
const SAVED: [R; 6] = [R::Rbx, R::Rbp, R::R12, R::R13, R::R14, R::R15];

/// Offsets of the shared code at the start of the buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shared {
    /// `extern "sysv64" fn(frame: *mut Frame, start_word: u64)`.
    pub entry: usize,
    /// Stop at word `rax`: `left = (k - rax) / 2`.
    pub exit_at: usize,
    /// Stop with `r15` already `left` and `rax` the exit.
    pub exit_done: usize,
}

/// Emits the entry and exit code every page shares.
pub(crate) fn shared(a: &mut Asm) -> Shared {
    let entry = a.len();
    for r in SAVED {
        a.push(r);
    }
    a.mov(W::Q, FRAME, R::Rdi);
    a.load(W::Q, X, at(FRAME, F_X));
    a.load(W::Q, RAM, at(FRAME, F_RAM));
    a.load(W::Q, TLB_R, at(FRAME, F_TLB_R));
    a.load(W::Q, TLB_W, at(FRAME, F_TLB_W));
    a.load(W::Q, K, at(FRAME, F_LEFT));
    a.alu_reg(W::Q, Alu::Add, K, K);
    a.alu_reg(W::Q, Alu::Add, K, R::Rsi);
    a.load(W::Q, HASH, at(FRAME, F_HASH));
    a.load(W::Q, FPAGE, at(FRAME, F_FPAGE));
    a.mov_imm(PRIME, crate::digest::Digest::PRIME);
    a.load(W::Q, CTX, at(FRAME, F_CTX));
    a.load(W::Q, R::Rax, at(FRAME, F_TABLE));
    a.jmp_mem(at(R::Rax, 8 * ENTRY as i32));
    let exit_at = a.len();
    a.alu_reg(W::Q, Alu::Sub, K, R::Rax);
    a.shift_imm(W::Q, Shift::Shr, K, 1);
    let exit_done = a.len();
    a.store(W::Q, at(FRAME, F_LEFT), K);
    a.store(W::Q, at(FRAME, F_EXIT), R::Rax);
    a.store(W::Q, at(FRAME, F_HASH), HASH);
    for r in SAVED.iter().rev() {
        a.pop(*r);
    }
    a.ret();
    Shared {
        entry,
        exit_at,
        exit_done,
    }
}

/// Where a patched jump goes.
#[derive(Clone, Copy)]
enum To {
    /// The code of a word.
    Label(usize),
    /// The exit stub of a word: stop there.
    Stub(usize),
    /// The page's own ways out: write back the guest registers it keeps in
    /// host registers, then go to the shared `exit_at` or `exit_done`.
    OutAt,
    OutDone,
    /// Shared code at this offset from the buffer's start.
    Shared(usize),
}

/// Host registers that hold guest registers in a page's code (free while
/// it runs: the entry code is done with `rsi` and `rdi`, and nothing is
/// called). Code that adds up the digest needs them for that instead.
const CACHE: [R; 5] = [R::Rsi, R::Rdi, R::R8, R::R9, R::R10];

/// Where each guest register lives while a page's code runs: in a host
/// register, or (`None`) in `x[]` in memory.
#[derive(Clone, Copy, Default)]
struct Alloc([Option<R>; 32]);

impl Alloc {
    /// The page's most used registers (by its decoded operations) go to
    /// [`CACHE`]; with `digest`, none.
    fn for_page(slots: &[Slot], digest: bool) -> Alloc {
        let mut al = Alloc::default();
        if digest {
            return al;
        }
        let mut uses = [0u32; 32];
        for s in slots.iter().filter(|s| s.op as u8 > XOp::Slow as u8) {
            for r in [s.rd, s.rs1, s.rs2] {
                uses[r as usize] += 1;
            }
        }
        uses[0] = 0;
        let mut order: Vec<usize> = (1..32).filter(|&r| uses[r] >= 2).collect();
        // Most used first; ties by register number, so that translation is
        // deterministic.
        order.sort_by_key(|&r| (std::cmp::Reverse(uses[r]), r));
        for (&r, &h) in order.iter().zip(CACHE.iter()) {
            al.0[r] = Some(h);
        }
        al
    }

    fn of(&self, r: Reg) -> Option<R> {
        self.0[r as usize]
    }

    /// The cached registers, with their host registers.
    fn cached(&self) -> impl Iterator<Item = (usize, R)> + '_ {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(r, h)| h.map(|h| (r, h)))
    }
}

/// `dst = x[r]`.
fn get(a: &mut Asm, al: &Alloc, dst: R, r: Reg) {
    match al.of(r) {
        Some(h) => a.mov(W::Q, dst, h),
        None => a.load(W::Q, dst, xr(r)),
    }
}

/// `x[r] = src`.
fn put(a: &mut Asm, al: &Alloc, r: Reg, src: R) {
    match al.of(r) {
        Some(h) => a.mov(W::Q, h, src),
        None => a.store(W::Q, xr(r), src),
    }
}

/// `x[r] = imm` (sign-extended).
fn put_imm(a: &mut Asm, al: &Alloc, r: Reg, imm: i32) {
    match al.of(r) {
        Some(h) => a.mov_imm(h, imm as i64 as u64),
        None => a.store_imm(xr(r), imm),
    }
}

/// `dst = dst op x[r]`.
fn op(a: &mut Asm, al: &Alloc, w: W, alu: Alu, dst: R, r: Reg) {
    match al.of(r) {
        Some(h) => a.alu_reg(w, alu, dst, h),
        None => a.alu_mem(w, alu, dst, xr(r)),
    }
}

/// `dst = dst * x[r]` (the low half).
fn imul(a: &mut Asm, al: &Alloc, w: W, dst: R, r: Reg) {
    match al.of(r) {
        Some(h) => a.imul_reg(w, dst, h),
        None => a.imul_mem(w, dst, xr(r)),
    }
}

/// `rdx:rax = rax * x[r]`, signed or unsigned.
fn mul_wide(a: &mut Asm, al: &Alloc, signed: bool, r: Reg) {
    match (al.of(r), signed) {
        (Some(h), true) => a.imul_wide_reg(h),
        (Some(h), false) => a.mul_wide_reg(h),
        (None, true) => a.imul_wide(xr(r)),
        (None, false) => a.mul_wide(xr(r)),
    }
}

/// The label table's entry for the page's entry code (after the words' and
/// the sentinel's).
pub(crate) const ENTRY: usize = SLOTS_PER_PAGE + 1;

/// A translated page: its code (to be placed at buffer offset `base`) and
/// the offset of each word's code in it (and of its entry, [`ENTRY`]).
pub(crate) struct Page {
    pub code: Vec<u8>,
    pub labels: Vec<usize>,
}

/// Translates the page whose slots are `slots` (`SLOTS_PER_PAGE` of them)
/// and raw bits `bits`, for placing at offset `base` of the buffer whose
/// shared code is `sh`; with `digest`, the code adds up the trace digest.
pub(crate) fn page(slots: &[Slot], bits: &[u32], base: usize, sh: Shared, digest: bool) -> Page {
    let mut t = Translator {
        a: Asm::default(),
        fixups: Vec::new(),
        dist: Vec::new(),
        digest,
        alloc: Alloc::for_page(slots, digest),
    };
    // The page's entry (the shared entry code jumps here with the word in
    // `rsi`): load the guest registers it keeps in host registers, then go
    // to the word through the label table.
    let entry = t.a.len();
    t.a.mov(W::Q, R::Rcx, R::Rsi);
    for (r, h) in t.alloc.cached() {
        t.a.load(W::Q, h, at(X, 8 * r as i32));
    }
    t.a.load(W::Q, R::Rax, at(FRAME, F_TABLE));
    t.a.jmp_mem(at_index(R::Rax, R::Rcx, 8, 0));
    // Its ways out: write them back.
    let outs = [sh.exit_at, sh.exit_done].map(|shared| {
        let out = t.a.len();
        for (r, h) in t.alloc.cached() {
            t.a.store(W::Q, at(X, 8 * r as i32), h);
        }
        t.jump(To::Shared(shared));
        out
    });
    let mut labels = vec![0; SLOTS_PER_PAGE + 2];
    // Words laid out (or found to be only stops) so far, and the stops.
    let mut done = vec![false; SLOTS_PER_PAGE];
    let mut stop = vec![false; SLOTS_PER_PAGE];
    let slot = |i: usize| slots.get(i).copied().unwrap_or(crate::dcache::UNDECODED);
    t.dist = until_check(&slot);
    let heads = loop_heads(&slot);
    for start in 0..SLOTS_PER_PAGE {
        if done[start] {
            continue;
        }
        // The chain of instructions from `start`, as long as they fall
        // through.
        let mut i = start;
        loop {
            if i >= SLOTS_PER_PAGE {
                // Falling off the end of the page: stop at the sentinel.
                t.jump(To::Stub(SLOTS_PER_PAGE));
                break;
            }
            if done[i] {
                t.jump(To::Label(i));
                break;
            }
            done[i] = true;
            let s = slot(i);
            // The decode cache's stops (undecoded, the page's end, illegal,
            // `Slow`: the operations up to `Slow`), most of a page's words.
            if s.op as u8 <= XOp::Slow as u8 {
                stop[i] = true;
                if i != start {
                    t.jump(To::Stub(i));
                }
                break;
            }
            if heads[i] {
                t.a.align(base, LOOP_ALIGN);
            }
            labels[i] = t.a.len();
            if is_check(i) {
                let d = t.dist[i];
                t.a.alu_imm(W::Q, Alu::Cmp, K, (2 * d + i) as i32);
                t.jump_if(Cond::Be, To::Stub(i));
            }
            let b = bits.get(i).copied().unwrap_or(0);
            if !t.word(i, s, b) || !falls_through(s.op) {
                break;
            }
            i += if s.op.is_compressed() { 1 } else { 2 };
        }
    }
    let mut stubs = vec![0; SLOTS_PER_PAGE + 1];
    for (i, stub) in stubs.iter_mut().enumerate() {
        *stub = t.a.len();
        t.a.mov_imm(R::Rax, i as u64);
        t.jump(To::OutAt);
    }
    for (i, _) in stop.iter().enumerate().filter(|(_, &s)| s) {
        labels[i] = stubs[i];
    }
    labels[SLOTS_PER_PAGE] = stubs[SLOTS_PER_PAGE];
    labels[ENTRY] = entry;
    let mut a = t.a;
    for (f, to) in t.fixups {
        let target = match to {
            To::Label(i) => labels[i] as i64,
            To::Stub(i) => stubs[i] as i64,
            To::OutAt => outs[0] as i64,
            To::OutDone => outs[1] as i64,
            To::Shared(off) => off as i64 - base as i64,
        };
        a.patch(f, target);
    }
    Page {
        code: a.code,
        labels,
    }
}

/// Whether the code of word `i` begins with a check of the count.
fn is_check(i: usize) -> bool {
    i % SLACK as usize <= 1
}

/// `d(i)` of each word `i`: the most instructions that run from word `i`
/// (included) before the next check of the count (a check word, a taken
/// jump, which checks its target, or a stop, which ends the code): at most
/// [`SLACK`]. From the page's end back, as `d(i) = 1 + d(next)` along a
/// chain.
fn until_check(slot: &impl Fn(usize) -> Slot) -> Vec<usize> {
    let mut d = vec![0; SLOTS_PER_PAGE];
    for i in (0..SLOTS_PER_PAGE).rev() {
        let s = slot(i);
        d[i] = if s.op as u8 <= XOp::Slow as u8 {
            0
        } else {
            let next = i + if s.op.is_compressed() { 1 } else { 2 };
            let after = if falls_through(s.op) && next < SLOTS_PER_PAGE && !is_check(next) {
                d[next]
            } else {
                0
            };
            (1 + after).min(SLACK as usize)
        };
    }
    d
}

/// Where a loop's first word's code starts: a multiple of this many bytes
/// in the buffer, as compilers align loops (the host fetches and predicts
/// a 16-byte block at a time: unaligned, matmul's inner loop ran 20%
/// slower, with the same host instructions, for a shift of its code by a
/// few bytes).
const LOOP_ALIGN: usize = 16;

/// The words an in-page jump or branch goes back to (a loop's first
/// word), or to itself.
fn loop_heads(slot: &impl Fn(usize) -> Slot) -> Vec<bool> {
    let mut heads = vec![false; SLOTS_PER_PAGE];
    for i in 0..SLOTS_PER_PAGE {
        let s = slot(i);
        if s.op as u8 > XOp::Slow as u8 && s.op.jumps_relative() && s.imm != FAR && s.imm <= 0 {
            if let Some(t) = i.checked_sub(s.imm.unsigned_abs() as usize) {
                heads[t] = true;
            }
        }
    }
    heads
}

/// Whether a translated word of operation `op` may go on to the next
/// instruction (every one but the unconditional jumps).
fn falls_through(op: XOp) -> bool {
    !matches!(op.base(), XOp::J | XOp::Jal | XOp::Jr | XOp::Jalr)
}

struct Translator {
    a: Asm,
    fixups: Vec<(Fixup, To)>,
    /// `d(i)` of each word (see [`until_check`]).
    dist: Vec<usize>,
    digest: bool,
    alloc: Alloc,
}

/// The guest register `r`.
fn xr(r: Reg) -> super::x64::Mem {
    at(X, 8 * r as i32)
}

impl Translator {
    /// With the digest on: adds word `i` (raw bits `bits`) to the hash, as
    /// `Digest::step(hash, fpage + 2 * i, bits)`.
    fn step(&mut self, i: usize, bits: u32) {
        if !self.digest {
            return;
        }
        let a = &mut self.a;
        a.lea(R::Rsi, at(FPAGE, 2 * i as i32));
        a.mov_imm(
            R::Rdi,
            (bits as u64).wrapping_mul(crate::digest::Digest::SPREAD),
        );
        a.alu_reg(W::Q, Alu::Xor, R::Rsi, R::Rdi);
        a.alu_reg(W::Q, Alu::Xor, HASH, R::Rsi);
        a.imul_reg(W::Q, HASH, PRIME);
        a.shift_imm(W::Q, Shift::Rol, HASH, 29);
    }

    fn jump(&mut self, to: To) {
        let f = self.a.jmp();
        self.fixups.push((f, to));
    }

    fn jump_if(&mut self, cc: Cond, to: To) {
        let f = self.a.jcc(cc);
        self.fixups.push((f, to));
    }

    /// `rax = fpage + off` (the pc of byte `off` of the page; `off` may
    /// lie outside it).
    fn pc_plus(&mut self, off: i64) {
        self.a.load(W::Q, R::Rax, at(FRAME, F_FPAGE));
        match i32::try_from(off) {
            Ok(v) => self.a.alu_imm(W::Q, Alu::Add, R::Rax, v),
            Err(_) => {
                self.a.mov_imm(R::Rcx, off as u64);
                self.a.alu_reg(W::Q, Alu::Add, R::Rax, R::Rcx);
            }
        }
    }

    /// A taken jump from word `i` to in-page word `t`.
    fn jump_near(&mut self, i: usize, t: usize) {
        let d = t as i64 - i as i64 - 2;
        if d != 0 {
            self.a.alu_imm(W::Q, Alu::Add, K, d as i32);
        }
        let d = self.dist.get(t).copied().unwrap_or(SLACK as usize);
        self.a.alu_imm(W::Q, Alu::Cmp, K, (2 * d + t) as i32);
        self.jump_if(Cond::Be, To::Stub(t));
        self.jump(To::Label(t));
    }

    /// A taken jump from word `i` to `fpage + off`, outside the page.
    fn jump_far(&mut self, i: usize, off: i64) {
        self.pc_plus(off);
        self.a.store(W::Q, at(FRAME, F_PC), R::Rax);
        self.exit_far(i);
    }

    /// Stops after word `i` retired, the next pc already in `Frame::pc`.
    fn exit_far(&mut self, i: usize) {
        self.a.alu_imm(W::Q, Alu::Sub, K, (i + 2) as i32);
        self.a.shift_imm(W::Q, Shift::Shr, K, 1);
        self.a.mov_imm(R::Rax, EXIT_REFETCH);
        self.jump(To::OutDone);
    }

    /// A jump or taken branch from word `i` by `slots` words (2 bytes each;
    /// [`FAR`]: by the immediate `far_imm` bytes, off the page).
    fn jump_rel(&mut self, i: usize, slots: i32, far_imm: impl FnOnce() -> i32) {
        let t = i as i64 + slots as i64;
        // Decode puts only in-page distances here; were one not, the jump
        // would still be right (as a jump off the page), only slower.
        if slots != FAR && (0..SLOTS_PER_PAGE as i64).contains(&t) {
            self.jump_near(i, t as usize);
        } else {
            let imm = if slots == FAR {
                far_imm() as i64
            } else {
                2 * slots as i64
            };
            self.jump_far(i, 2 * i as i64 + imm);
        }
    }

    /// Translates word `i` (slot `s`, raw bits `bits`); `false` if its
    /// code is only a stop (the slot is one, or has no translation).
    fn word(&mut self, i: usize, s: Slot, bits: u32) -> bool {
        // The decode cache's stops (undecoded, the page's end, illegal,
        // `Slow`: the operations up to `Slow`).
        if s.op as u8 <= XOp::Slow as u8 {
            self.jump(To::Stub(i));
            return false;
        }
        // A compressed instruction is the operation it expands to, 2 bytes
        // long (its link and next word are 2 bytes on), and one that falls
        // through counts itself (see "Counting").
        let compressed = s.op.is_compressed();
        let s = Slot {
            op: s.op.base(),
            ..s
        };
        // A jump or branch retires before it jumps, anything else once it
        // has done its work (a `jalr` after its alignment check).
        let jumps = s.op.jumps_relative();
        let stops = matches!(s.op, XOp::Jalr | XOp::Jr);
        if jumps {
            self.step(i, bits);
        }
        let al = self.alloc;
        let a = &mut self.a;
        let imm = s.imm;
        macro_rules! ri {
            ($w:expr, $op:expr) => {{
                get(a, &al, R::Rax, s.rs1);
                a.alu_imm($w, $op, R::Rax, imm);
                if $w == W::D {
                    a.sext32(R::Rax, R::Rax);
                }
                put(a, &al, s.rd, R::Rax);
            }};
        }
        macro_rules! rr {
            ($w:expr, $op:expr) => {{
                get(a, &al, R::Rax, s.rs1);
                op(a, &al, $w, $op, R::Rax, s.rs2);
                if $w == W::D {
                    a.sext32(R::Rax, R::Rax);
                }
                put(a, &al, s.rd, R::Rax);
            }};
        }
        macro_rules! shi {
            ($w:expr, $op:expr) => {{
                get(a, &al, R::Rax, s.rs1);
                a.shift_imm($w, $op, R::Rax, imm as u8 & 63);
                if $w == W::D {
                    a.sext32(R::Rax, R::Rax);
                }
                put(a, &al, s.rd, R::Rax);
            }};
        }
        macro_rules! shr {
            ($w:expr, $op:expr) => {{
                get(a, &al, R::Rax, s.rs1);
                get(a, &al, R::Rcx, s.rs2);
                a.shift_cl($w, $op, R::Rax);
                if $w == W::D {
                    a.sext32(R::Rax, R::Rax);
                }
                put(a, &al, s.rd, R::Rax);
            }};
        }
        macro_rules! set {
            ($cc:expr, $b:expr) => {{
                get(a, &al, R::Rax, s.rs1);
                match $b {
                    Some(imm) => a.alu_imm(W::Q, Alu::Cmp, R::Rax, imm),
                    None => op(a, &al, W::Q, Alu::Cmp, R::Rax, s.rs2),
                }
                a.set_rax($cc);
                put(a, &al, s.rd, R::Rax);
            }};
        }
        match s.op {
            XOp::Nop => {}
            XOp::Li => put_imm(a, &al, s.rd, imm),
            XOp::Auipc => {
                self.pc_plus(2 * i as i64 + imm as i64);
                put(&mut self.a, &self.alloc, s.rd, R::Rax);
            }
            XOp::Jal | XOp::J => {
                if s.op == XOp::Jal {
                    self.pc_plus(2 * i as i64 + 4);
                    put(&mut self.a, &self.alloc, s.rd, R::Rax);
                }
                self.jump_rel(i, imm, || crate::dcache::far_j_imm(bits));
            }
            XOp::Jalr | XOp::Jr => self.jalr(i, s, bits, if compressed { 2 } else { 4 }),
            XOp::Beq | XOp::Bne | XOp::Blt | XOp::Bge | XOp::Bltu | XOp::Bgeu => {
                let cc = match s.op {
                    XOp::Beq => Cond::E,
                    XOp::Bne => Cond::Ne,
                    XOp::Blt => Cond::L,
                    XOp::Bge => Cond::Ge,
                    XOp::Bltu => Cond::B,
                    _ => Cond::Ae,
                };
                get(a, &al, R::Rax, s.rs1);
                op(a, &al, W::Q, Alu::Cmp, R::Rax, s.rs2);
                let skip = a.jcc(cc.not());
                self.jump_rel(i, imm, || crate::dcache::far_b_imm(bits));
                let next = self.a.len() as i64;
                self.a.patch(skip, next);
            }
            op if matches!(op.kind(), Some(Kind::Load { .. })) => {
                let Some((n, signed)) = op.kind().and_then(Kind::memory) else {
                    return false;
                };
                self.translate_va(i, s, n, TLB_R);
                let al = self.alloc;
                let a = &mut self.a;
                let m = at_index(RAM, R::Rax, 1, 0);
                match (n, signed) {
                    (1, true) => a.load_i8(R::Rax, m),
                    (1, false) => a.load_u8(R::Rax, m),
                    (2, true) => a.load_i16(R::Rax, m),
                    (2, false) => a.load_u16(R::Rax, m),
                    (4, true) => a.load_i32(R::Rax, m),
                    (4, false) => a.load(W::D, R::Rax, m),
                    _ => a.load(W::Q, R::Rax, m),
                }
                put(a, &al, s.rd, R::Rax);
            }
            op if matches!(op.kind(), Some(Kind::Store { .. })) => {
                let Some((n, _)) = op.kind().and_then(Kind::memory) else {
                    return false;
                };
                self.translate_va(i, s, n, TLB_W);
                let al = self.alloc;
                let a = &mut self.a;
                get(a, &al, R::Rdx, s.rs2);
                let m = at_index(RAM, R::Rax, 1, 0);
                match n {
                    1 => a.store8(m, R::Rdx),
                    2 => a.store16(m, R::Rdx),
                    4 => a.store(W::D, m, R::Rdx),
                    _ => a.store(W::Q, m, R::Rdx),
                }
            }
            XOp::Addi => ri!(W::Q, Alu::Add),
            XOp::Xori => ri!(W::Q, Alu::Xor),
            XOp::Ori => ri!(W::Q, Alu::Or),
            XOp::Andi => ri!(W::Q, Alu::And),
            XOp::Addiw => ri!(W::D, Alu::Add),
            XOp::Slti => set!(Cond::L, Some(imm)),
            XOp::Sltiu => set!(Cond::B, Some(imm)),
            XOp::Slt => set!(Cond::L, None),
            XOp::Sltu => set!(Cond::B, None),
            XOp::Slli => shi!(W::Q, Shift::Shl),
            XOp::Srli => shi!(W::Q, Shift::Shr),
            XOp::Srai => shi!(W::Q, Shift::Sar),
            XOp::Slliw => shi!(W::D, Shift::Shl),
            XOp::Srliw => shi!(W::D, Shift::Shr),
            XOp::Sraiw => shi!(W::D, Shift::Sar),
            XOp::Add => rr!(W::Q, Alu::Add),
            XOp::Sub => rr!(W::Q, Alu::Sub),
            XOp::Xor => rr!(W::Q, Alu::Xor),
            XOp::Or => rr!(W::Q, Alu::Or),
            XOp::And => rr!(W::Q, Alu::And),
            XOp::Addw => rr!(W::D, Alu::Add),
            XOp::Subw => rr!(W::D, Alu::Sub),
            XOp::Sll => shr!(W::Q, Shift::Shl),
            XOp::Srl => shr!(W::Q, Shift::Shr),
            XOp::Sra => shr!(W::Q, Shift::Sar),
            XOp::Sllw => shr!(W::D, Shift::Shl),
            XOp::Srlw => shr!(W::D, Shift::Shr),
            XOp::Sraw => shr!(W::D, Shift::Sar),
            XOp::Mul | XOp::Mulw => {
                let w = if s.op == XOp::Mul { W::Q } else { W::D };
                get(a, &al, R::Rax, s.rs1);
                imul(a, &al, w, R::Rax, s.rs2);
                if w == W::D {
                    a.sext32(R::Rax, R::Rax);
                }
                put(a, &al, s.rd, R::Rax);
            }
            XOp::Mulh | XOp::Mulhu => {
                get(a, &al, R::Rax, s.rs1);
                if s.op == XOp::Mulh {
                    mul_wide(a, &al, true, s.rs2);
                } else {
                    mul_wide(a, &al, false, s.rs2);
                }
                put(a, &al, s.rd, R::Rdx);
            }
            XOp::Mulhsu => {
                // Signed `a` times unsigned `b`: the unsigned high half,
                // less `b` when `a` is negative.
                get(a, &al, R::Rax, s.rs1);
                a.mov(W::Q, R::Rcx, R::Rax);
                a.shift_imm(W::Q, Shift::Sar, R::Rcx, 63);
                op(a, &al, W::Q, Alu::And, R::Rcx, s.rs2);
                mul_wide(a, &al, false, s.rs2);
                a.alu_reg(W::Q, Alu::Sub, R::Rdx, R::Rcx);
                put(a, &al, s.rd, R::Rdx);
            }
            XOp::Div | XOp::Divu | XOp::Rem | XOp::Remu => self.divide(s, W::Q),
            XOp::Divw | XOp::Divuw | XOp::Remw | XOp::Remuw => self.divide(s, W::D),
            // Any operation without a translation here: stop, for the
            // fast loop and the reference executor to run it.
            _ => {
                self.jump(To::Stub(i));
                return false;
            }
        }
        if !jumps && !stops {
            self.step(i, bits);
        }
        if compressed && falls_through(s.op) {
            // (After a branch: its not-taken path.)
            self.a.alu_imm(W::Q, Alu::Sub, K, 1);
        }
        true
    }

    /// The RAM offset of `x[rs1] + imm` for an `n`-byte access, in `rax`,
    /// through the TLB entries at `tlb`; a misaligned address or a TLB miss
    /// stops at word `i`.
    fn translate_va(&mut self, i: usize, s: Slot, n: u8, tlb: R) {
        let al = self.alloc;
        let a = &mut self.a;
        get(a, &al, R::Rax, s.rs1);
        if s.imm != 0 {
            a.alu_imm(W::Q, Alu::Add, R::Rax, s.imm);
        }
        // The entry of `va`'s page: `((va >> 12) & (TLB_ENTRIES - 1)) * 16`.
        const _: () = assert!(crate::mmu::TLB_ENTRIES == 512);
        a.mov(W::Q, R::Rcx, R::Rax);
        a.shift_imm(W::Q, Shift::Shr, R::Rcx, 8);
        a.alu_imm(W::D, Alu::And, R::Rcx, 0x1ff0);
        // The key, as `mmu::lookup_aligned`: the page, the low bits that
        // must be 0 for alignment, and the context; one compare checks all.
        a.mov(W::Q, R::Rdx, R::Rax);
        a.alu_imm(W::Q, Alu::And, R::Rdx, -4096 | (n as i32 - 1));
        a.alu_reg(W::Q, Alu::Or, R::Rdx, CTX);
        a.alu_mem(W::Q, Alu::Cmp, R::Rdx, at_index(tlb, R::Rcx, 1, 0));
        self.jump_if(Cond::Ne, To::Stub(i));
        self.a
            .alu_mem(W::Q, Alu::Add, R::Rax, at_index(tlb, R::Rcx, 1, 8));
    }

    /// `jalr` (`len` 4) or `c.jr`/`c.jalr` (2): the target from a
    /// register; in the page, through the label table, else out.
    fn jalr(&mut self, i: usize, s: Slot, bits: u32, len: i32) {
        let al = self.alloc;
        let a = &mut self.a;
        get(a, &al, R::Rax, s.rs1);
        if s.imm != 0 {
            a.alu_imm(W::Q, Alu::Add, R::Rax, s.imm);
        }
        a.alu_imm(W::Q, Alu::And, R::Rax, -2);
        self.step(i, bits);
        if s.op == XOp::Jalr {
            let al = self.alloc;
            let a = &mut self.a;
            a.load(W::Q, R::Rdx, at(FRAME, F_FPAGE));
            a.alu_imm(W::Q, Alu::Add, R::Rdx, 2 * i as i32 + len);
            put(a, &al, s.rd, R::Rdx);
        }
        let a = &mut self.a;
        a.mov(W::Q, R::Rcx, R::Rax);
        a.alu_mem(W::Q, Alu::Sub, R::Rcx, at(FRAME, F_FPAGE));
        a.alu_imm(W::Q, Alu::Cmp, R::Rcx, crate::mmu::PAGE_SIZE as i32);
        let far = a.jcc(Cond::Ae);
        // In the page: word t = rcx / 2.
        a.shift_imm(W::Q, Shift::Shr, R::Rcx, 1);
        a.lea(K, at_index(K, R::Rcx, 1, -(i as i32 + 2)));
        a.lea(R::Rdx, at(R::Rcx, 2 * SLACK as i32));
        a.alu_reg(W::Q, Alu::Cmp, K, R::Rdx);
        let near_limit = a.jcc(Cond::Be);
        a.load(W::Q, R::Rdx, at(FRAME, F_TABLE));
        a.jmp_mem(at_index(R::Rdx, R::Rcx, 8, 0));
        // Too near the limit: stop at word t.
        let here = a.len() as i64;
        a.patch(near_limit, here);
        a.mov(W::D, R::Rax, R::Rcx);
        self.jump(To::OutAt);
        // Off the page.
        let here = self.a.len() as i64;
        self.a.patch(far, here);
        self.a.store(W::Q, at(FRAME, F_PC), R::Rax);
        self.exit_far(i);
    }

    /// The M extension's divisions, with the results of unprivileged spec
    /// table 7.1 for a zero divisor and for signed overflow (`x86`'s `div`
    /// would fault on both, so neither reaches it).
    fn divide(&mut self, s: Slot, w: W) {
        let signed = matches!(s.op, XOp::Div | XOp::Rem | XOp::Divw | XOp::Remw);
        let rem = matches!(s.op, XOp::Rem | XOp::Remu | XOp::Remw | XOp::Remuw);
        let al = self.alloc;
        let a = &mut self.a;
        get(a, &al, R::Rax, s.rs1);
        get(a, &al, R::Rcx, s.rs2);
        a.test(w, R::Rcx, R::Rcx);
        let zero = a.jcc(Cond::E);
        let mut done = Vec::new();
        if signed {
            // Dividing by -1 cannot overflow here: the quotient is `-a`
            // (wrapping, so the most negative value stays), the remainder 0.
            a.alu_imm(w, Alu::Cmp, R::Rcx, -1);
            let normal = a.jcc(Cond::Ne);
            if rem {
                a.alu_reg(W::D, Alu::Xor, R::Rax, R::Rax);
            } else {
                a.neg(w, R::Rax);
            }
            done.push(a.jmp());
            let here = a.len() as i64;
            a.patch(normal, here);
            a.sign_extend_rdx(w);
            a.idiv(w, R::Rcx);
        } else {
            a.alu_reg(W::D, Alu::Xor, R::Rdx, R::Rdx);
            a.div(w, R::Rcx);
        }
        if rem {
            a.mov(W::Q, R::Rax, R::Rdx);
        }
        done.push(a.jmp());
        // Division by zero: the quotient is all ones, the remainder `a`.
        let here = a.len() as i64;
        a.patch(zero, here);
        if !rem {
            a.mov_imm(R::Rax, u64::MAX);
        }
        let here = a.len() as i64;
        for f in done {
            a.patch(f, here);
        }
        if w == W::D {
            a.sext32(R::Rax, R::Rax);
        }
        put(a, &al, s.rd, R::Rax);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcache::XOp;
    use crate::isa::TABLE;

    /// Every operation the fast loop runs has a translation, and nothing
    /// else does: a row added to the table with a fast kind but no
    /// translation fails here (it would still run, but always stop
    /// translated code).
    #[test]
    fn every_operation_the_fast_loop_runs_is_translated() {
        let own = [XOp::Nop, XOp::Li, XOp::J, XOp::Jr, XOp::Slow, XOp::Illegal];
        let compressed = crate::dcache::COMPRESSED.iter().map(|&(c, _)| c);
        for op in own
            .into_iter()
            .chain(compressed)
            .chain(TABLE.iter().map(|s| XOp::of(s.op)))
        {
            let mut t = Translator {
                a: Asm::default(),
                fixups: Vec::new(),
                dist: Vec::new(),
                digest: false,
                alloc: Alloc::default(),
            };
            let slot = Slot {
                op,
                rd: Reg::new(5),
                rs1: Reg::new(6),
                rs2: Reg::new(7),
                imm: 8,
            };
            assert_eq!(t.word(0, slot, 0), op.runs_fast(), "{op:?}");
        }
    }

    /// A loop's first word (the target of a branch back, here a 32-bit
    /// loop and a compressed one) starts on a [`LOOP_ALIGN`] boundary of
    /// the buffer, wherever the page is placed; straight-line words are
    /// not padded.
    #[test]
    fn loop_heads_are_aligned() {
        // 0x00: addi a0, a0, 1 | 0x04: addi a1, a1, -1 | 0x08: bnez a1, 0x00
        // 0x0c: c.addi a2, 1 (0x0605) | 0x0e: c.bnez a2, 0x0c (0xfe7d) | 0x10: ret
        let code: [(u64, u32); 6] = [
            (0x00, 0x0015_0513),
            (0x04, 0xfff5_8593),
            (0x08, 0xfe05_9ce3),
            (0x0c, 0x0605),
            (0x0e, 0xfe7d),
            (0x10, 0x0000_8067),
        ];
        let mut slots = vec![crate::dcache::UNDECODED; SLOTS_PER_PAGE];
        let mut bits = vec![0; SLOTS_PER_PAGE];
        for (off, word) in code {
            slots[off as usize / 2] = crate::dcache::predecode(word, off);
            bits[off as usize / 2] = word;
        }
        assert_eq!(slots[4].imm, -4, "bnez goes back 4 slots");
        assert_eq!(slots[7].imm, -1, "c.bnez goes back 1 slot");
        let sh = shared(&mut Asm::default());
        for base in [0, 1, 5, 16, 4093] {
            let page = page(&slots, &bits, base, sh, false);
            for head in [0, 6] {
                assert_eq!(
                    (base + page.labels[head]) % LOOP_ALIGN,
                    0,
                    "word {head} at base {base}"
                );
            }
            // The words after a head follow it without padding: the
            // second word's code starts where the first one's ends, so
            // it is not aligned for all bases (only a head is).
            assert!(page.labels[2] > page.labels[0]);
        }
    }
}
