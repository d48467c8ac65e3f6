//! The run loop as a visible state machine: a [`Session`] holds the real
//! hart and every guest, and each [`Session::step`] runs one guest until
//! one exit and answers it, saying which guest ran, what exit happened,
//! which handler answered, and what it changed. [`crate::Monitor::run`] is
//! the loop of these steps; a debugger takes them one at a time (or one
//! guest instruction at a time, with a step limit of 1), looks at and
//! changes each guest's registers, virtual CSRs and memory between them,
//! and snapshots the whole session to go back in time.
//!
//! A step, for the guest whose turn it is (a turn is a quantum of
//! instructions on the hart; a new turn may be a world switch):
//!
//! 1. tick its virtual timer and inject a virtual interrupt that is due;
//! 2. stop it if it retired its instruction limit;
//! 3. run it on the hart until an exit, at most until its quantum, its
//!    instruction limit or its timer deadline (or the step's own limit);
//! 4. answer the exit ([`crate::exits::handle`]) and act on what the
//!    handler did: a guest whose run ended is scheduled no more.
//!
//! # The API, for a debugger
//!
//! - **Running.** [`Session::step`] (one exit, or at most `limit`
//!   instructions: a limit of 1 single-steps a guest), [`Session::run_exits`]
//!   (`n` exits), [`Session::run_until`] (until a [`Step`] matches),
//!   [`Session::step_turn`] (a whole turn, undescribed: the fast way
//!   [`crate::Monitor::run`] goes). Stepping in any of these ways runs
//!   exactly the instructions a free run runs (tests/monitor_guests.rs).
//!   A limit of 0 only puts the guest whose turn it is on the hart and
//!   injects a due interrupt (a debugger's event of its own); breakpoints
//!   and watchpoints a debugger gives the hart end a step unanswered
//!   (`trapvisor debug`, `debugger::monitored`). [`Session::state`] and
//!   [`Session::set_state`] are the session but RAM, for a debugger's own
//!   snapshots.
//! - **Events.** Each [`Step`] says which guest ran, whether the scheduler
//!   switched the hart to it from another (`switched_from`: the world
//!   switch), the virtual interrupt injected, the instructions retired, the
//!   exit, the handler that answered it and what it did ([`Handled`]: its
//!   name, its [`Action`], whether it flushed the shadow tables), the
//!   virtual CSRs (and mode) it changed, before and after (`changes`, with
//!   [`Session::set_detail`]), and whether the guest's run ended.
//! - **Each guest, between steps.** Registers and `pc` ([`Session::regs`],
//!   [`Session::pc`], [`Session::set_reg`], [`Session::set_pc`], wherever
//!   they are: on the hart or parked), virtual CSRs as its S-mode reads and
//!   writes them ([`Session::csr`], [`Session::write_csr`], by the
//!   privileged core's rules), its virtual mode ([`Session::privilege`]),
//!   memory by guest-physical address ([`Session::read_guest_phys`],
//!   [`Session::write_guest_phys`]) and by guest-virtual address through
//!   its own page tables, without side effects ([`Session::translate`],
//!   [`Session::read_guest_virt`], [`Session::write_guest_virt`]).
//! - **Going back.** On the real hart, [`Session::checkpoint`] and
//!   [`Session::rewind`]: a checkpoint copies every guest's state and the
//!   hart's but RAM, and of RAM only the pages written since the previous
//!   checkpoint (the hart's dirty-page record), never whole guest RAM; a
//!   rewind rewrites only the pages that differ. [`Session::snapshot`] and
//!   [`Session::restore`] copy the whole hart, RAM included: for scripted
//!   harts in tests and small machines.

use cpu::arch::Reservation;
use std::collections::BTreeMap;

use cpu::hart::{Exit, Hart, HartState};
use cpu::port::HartPort;
use cpu::privileged::{Core, CsrEffect, CsrIllegal};
use cpu::sv39::Access;
use cpu::trap::{Interrupt, Trap};

use crate::exits::{self, Action, Handled};
use crate::guest::{Guest, GuestState};
use crate::memory::GuestPhys;
use crate::scheduler::Scheduler;
use crate::stats::GuestReport;
use crate::End;

/// What one [`Session::step`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The guest that ran (its index among the guests added).
    pub guest: usize,
    /// A world switch put it on the hart first: the guest that had the
    /// hart before it (`None` when none had).
    pub switched_from: Option<Option<usize>>,
    /// A virtual interrupt injected before it ran (it entered `stvec`).
    pub injected: Option<Interrupt>,
    /// Instructions it retired on the hart in this step (those the monitor
    /// emulated are counted in its `instret`, not here).
    pub retired: u64,
    /// The exit the hart stopped with (`None`: the step's own limit stopped
    /// it, or the guest ended before it ran).
    pub exit: Option<Exit>,
    /// Where the guest was when the hart stopped (the instruction that
    /// trapped), and its virtual mode then.
    pub exit_pc: u64,
    pub exit_mode: cpu::hart::Priv,
    /// The handler that answered the exit, and what it did.
    pub handled: Option<Handled>,
    /// Its virtual CSRs and mode that changed in the step, before and
    /// after (only with [`Session::set_detail`]).
    pub changes: Vec<CsrChange>,
    /// Its run ended in this step.
    pub ended: Option<End>,
}

/// A virtual CSR (or the virtual mode, `mode`) a step changed: its value
/// as S-mode software reads it before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrChange {
    pub name: &'static str,
    pub before: u64,
    pub after: u64,
}

/// The whole session at one instant ([`Session::snapshot`]): the hart
/// whole (machine memory included: every guest's RAM and shadow tables),
/// every guest's state, the scheduler's, and where the loop was. Consoles'
/// output already printed stays printed; their input is the caller's to
/// replay.
pub struct SessionSnapshot<H> {
    pub hart: H,
    pub guests: Vec<GuestState>,
    scheduler: Box<dyn Scheduler>,
    on_hart: Option<usize>,
    turn: Option<Turn>,
}

/// The monitor at work: the hart, the guests, the scheduler, and where the
/// loop is. See the module documentation.
pub struct Session<H: HartPort = Hart> {
    hart: H,
    guests: Vec<Guest>,
    scheduler: Box<dyn Scheduler>,
    quantum: u64,
    digest: bool,
    /// Record each step's virtual CSR changes.
    detail: bool,
    /// The guest whose registers are on the hart.
    on_hart: Option<usize>,
    /// The guest in its turn, and where the turn is.
    turn: Option<Turn>,
    /// The guests that have not ended, ascending: the scheduler's choice.
    ready: Vec<usize>,
    /// `ready` must be made again: a guest ended, or the guests' states
    /// were put back (kept between turns otherwise, so that a world switch
    /// does not look at every guest).
    ready_stale: bool,
    /// The checkpoints of a session on the real hart, oldest first (see
    /// [`Session::checkpoint`]).
    journal: Vec<Entry>,
    next_checkpoint: u64,
}

/// A point a session on the real hart can go back to
/// ([`Session::checkpoint`], [`Session::rewind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Checkpoint(u64);

/// One checkpoint: everything but RAM whole, and RAM as the pages written
/// since the checkpoint before it, as they were at this one.
struct Entry {
    id: u64,
    hart: HartState,
    guests: Vec<GuestState>,
    scheduler: Box<dyn Scheduler>,
    on_hart: Option<usize>,
    turn: Option<Turn>,
    pages: BTreeMap<usize, Box<[u8]>>,
}

/// A guest's turn on the hart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Turn {
    guest: usize,
    /// Instructions its quantum has left.
    left: u64,
    /// Instructions retired since its last exit in steps cut short by
    /// their own limit: an exit costs the quantum at least one instruction
    /// whatever the steps it was reached in (so that stepping one
    /// instruction at a time runs exactly what a free run runs).
    since_exit: u64,
}

impl<H: HartPort> Session<H> {
    pub(crate) fn new(
        hart: H,
        guests: Vec<Guest>,
        scheduler: Box<dyn Scheduler>,
        quantum: u64,
        digest: bool,
    ) -> Session<H> {
        let ready = Vec::with_capacity(guests.len());
        Session {
            hart,
            guests,
            scheduler,
            quantum,
            digest,
            detail: false,
            on_hart: None,
            turn: None,
            ready,
            ready_stale: true,
            journal: Vec::new(),
            next_checkpoint: 0,
        }
    }

    /// Each [`Step`] lists the virtual CSRs it changed (off by default: it
    /// costs a copy of the guest's privileged state per exit).
    pub fn set_detail(&mut self, on: bool) {
        self.detail = on;
    }

    /// One step: the guest whose turn it is runs until one exit (or at most
    /// `limit` instructions), and the exit is answered. `None` once every
    /// guest has ended.
    ///
    /// A limit of 0 runs nothing: the guest whose turn it is gets the hart
    /// (a world switch if another had it) and a virtual interrupt that is
    /// due is injected, as every step does first; a debugger counts the
    /// injection as an event of its own. A breakpoint or watchpoint a
    /// debugger gave the hart ends a step too (`exit` is that
    /// [`Exit::Breakpoint`] or [`Exit::Debug`], left unanswered): for the
    /// quantum it is a step cut short, so the run is the one a free run
    /// makes.
    pub fn step(&mut self, limit: u64) -> Option<Step> {
        loop {
            let turn = match self.turn {
                Some(turn) => turn,
                None => self.next_turn()?,
            };
            let i = turn.guest;
            if self.guests[i].end.is_some() || turn.left == 0 {
                self.end_turn(i);
                continue;
            }
            let switched_from = self.switch_to(i);
            let g = &mut self.guests[i];
            let span = g.span.clone();
            let _guest = span.enter();
            let before = self.detail.then(|| g.vcpu.core().clone());
            let retired = g.vcpu.retired();
            let mut step = Step {
                guest: i,
                switched_from,
                injected: None,
                retired: 0,
                exit: None,
                exit_pc: 0,
                exit_mode: cpu::hart::Priv::Supervisor,
                handled: None,
                changes: Vec::new(),
                ended: None,
            };
            run_guest::<H, true>(g, &mut self.hart, turn.left, limit, &mut step);
            if let Some(before) = before {
                step.changes = changes(&before, g.vcpu.core());
            }
            // Emulated instructions count against the quantum too, and
            // every exit at least one.
            let used = g.vcpu.retired() - retired;
            let answered = step.exit.is_some_and(|e| !is_debug_exit(&e));
            let (used, since_exit) = if answered || step.ended.is_some() {
                let charged = if turn.since_exit + used == 0 { 1 } else { used };
                (charged, 0)
            } else {
                (used, turn.since_exit + used)
            };
            let left = turn.left.saturating_sub(used);
            self.turn = Some(Turn {
                guest: i,
                left,
                since_exit,
            });
            if self.guests[i].end.is_some() || left == 0 {
                self.end_turn(i);
            }
            return Some(step);
        }
    }

    /// One whole turn: the next guest (the scheduler's pick) runs its
    /// quantum, exit after exit, as [`Session::step`] would run it step by
    /// step (the same run, to the instruction), without describing each
    /// exit. Returns the guest that ran and whether its run ended; `None`
    /// once every guest has ended. [`crate::Monitor::run`] is the loop of
    /// these.
    pub fn step_turn(&mut self) -> Option<(usize, Option<End>)> {
        let turn = match self.turn {
            Some(turn) => turn,
            None => self.next_turn()?,
        };
        let i = turn.guest;
        if self.guests[i].end.is_none() && turn.left > 0 {
            self.switch_to(i);
            let g = &mut self.guests[i];
            let span = g.span.clone();
            let _guest = span.enter();
            run_turn(g, &mut self.hart, turn);
        }
        self.end_turn(i);
        Some((i, self.guests[i].end))
    }

    /// Steps until `stop` says so (returning that step), or every guest has
    /// ended (`None`).
    pub fn run_until(&mut self, mut stop: impl FnMut(&Step) -> bool) -> Option<Step> {
        while let Some(step) = self.step(u64::MAX) {
            if stop(&step) {
                return Some(step);
            }
        }
        None
    }

    /// Steps until `n` exits have been answered (steps the step limit cut
    /// short, and guests stopped at their instruction limit, are not
    /// exits), returning the step of the last one; `None` if every guest
    /// ended first.
    pub fn run_exits(&mut self, n: u64) -> Option<Step> {
        let mut left = n;
        if left == 0 {
            return None;
        }
        self.run_until(|step| {
            if step.exit.is_some() {
                left -= 1;
            }
            left == 0
        })
    }

    /// The next guest's turn: the scheduler's pick among those still
    /// running, and its quantum.
    fn next_turn(&mut self) -> Option<Turn> {
        if self.ready_stale {
            self.refresh_ready();
        }
        if self.ready.is_empty() {
            return None;
        }
        let (i, q) = self.scheduler.next(&self.ready, self.quantum);
        let i = if self.guests.get(i).is_some_and(|g| g.end.is_none()) {
            i
        } else {
            // (A policy's pick that cannot run; `ready` made again in case
            // it was what was out of date.)
            self.refresh_ready();
            *self.ready.first()?
        };
        let turn = Turn {
            guest: i,
            left: q,
            since_exit: 0,
        };
        self.turn = Some(turn);
        Some(turn)
    }

    /// Puts back every guest's state (which may end a guest, or bring one
    /// back: `ready` is made again, as [`Session::rewind`] does).
    fn set_guest_states(&mut self, states: &[GuestState]) {
        for (g, s) in self.guests.iter_mut().zip(states) {
            g.set_state(s);
        }
        self.ready_stale = true;
    }

    /// Makes `ready` again from the guests' ends.
    fn refresh_ready(&mut self) {
        self.ready.clear();
        let guests = &self.guests;
        self.ready
            .extend((0..guests.len()).filter(|&i| guests[i].end.is_none()));
        self.ready_stale = false;
    }

    /// Puts guest `i` on the hart if it is not there: a world switch (and
    /// its TLB flush) only when another guest gets the hart. Returns the
    /// guest that had it, if there was a switch.
    fn switch_to(&mut self, i: usize) -> Option<Option<usize>> {
        if self.on_hart == Some(i) {
            return None;
        }
        let from = self.on_hart;
        if let Some(c) = from {
            switch_out(&mut self.guests[c], &mut self.hart);
        }
        let g = &mut self.guests[i];
        switch_in(g, &mut self.hart);
        let _guest = g.span.enter();
        tracing::debug!(target: "monitor", "pc {:#x}: switched onto the hart", self.hart.arch().pc);
        self.on_hart = Some(i);
        Some(from)
    }

    /// Guest `i`'s turn is over: a closed output ends every guest still
    /// running; a guest that ended leaves the hart.
    fn end_turn(&mut self, i: usize) {
        self.turn = None;
        if self.guests[i].devices.console().hung_up() {
            for g in self.guests.iter_mut().filter(|g| g.end.is_none()) {
                g.end = Some(End::OutputClosed);
            }
        }
        if self.guests[i].end.is_some() {
            self.ready_stale = true;
        }
        if self.guests[i].end.is_some() && self.on_hart == Some(i) {
            switch_out(&mut self.guests[i], &mut self.hart);
            self.on_hart = None;
        }
    }

    /// What each guest did (its digest only if it was computed). Consoles
    /// are flushed.
    pub fn finish(mut self) -> Vec<GuestReport> {
        if let Some(c) = self.on_hart.take() {
            switch_out(&mut self.guests[c], &mut self.hart);
        }
        let digest = self.digest;
        self.guests
            .into_iter()
            .map(|mut g| {
                g.devices.console().flush();
                report(g, digest)
            })
            .collect()
    }

    // --- looking and changing, between steps --------------------------------

    /// The guests, in the order they were added.
    pub fn guests(&self) -> &[Guest] {
        &self.guests
    }

    pub fn guest(&self, i: usize) -> Option<&Guest> {
        self.guests.get(i)
    }

    /// The guest whose registers are on the hart, if any.
    pub fn on_hart(&self) -> Option<usize> {
        self.on_hart
    }

    /// The guest whose turn it is, and the instructions its quantum has
    /// left.
    pub fn turn(&self) -> Option<(usize, u64)> {
        self.turn.map(|t| (t.guest, t.left))
    }

    /// The real hart (its own privileged state is the monitor's: U-mode,
    /// the shadow `satp`).
    pub fn hart(&self) -> &H {
        &self.hart
    }

    /// The real hart, for what the session does not say (a debugger's
    /// breakpoints and page-level snapshots). Guest state goes through the
    /// methods below, which know where each guest's registers are.
    pub fn hart_mut(&mut self) -> &mut H {
        &mut self.hart
    }

    /// Guest `i`'s registers (`x[0]` = 0): on the hart while it has it,
    /// else parked in its virtual hart.
    pub fn regs(&self, i: usize) -> Option<[u64; 32]> {
        let mut x = if self.on_hart == Some(i) {
            self.hart.arch().x
        } else {
            self.guests.get(i)?.vcpu.arch.x
        };
        x[0] = 0;
        Some(x)
    }

    /// Guest `i`'s `pc`.
    pub fn pc(&self, i: usize) -> Option<u64> {
        if self.on_hart == Some(i) {
            Some(self.hart.arch().pc)
        } else {
            self.guests.get(i).map(|g| g.vcpu.arch.pc)
        }
    }

    /// Guest `i`'s LR reservation.
    pub fn reservation(&self, i: usize) -> Option<Reservation> {
        if self.on_hart == Some(i) {
            self.hart.arch().reservation
        } else {
            self.guests.get(i)?.vcpu.arch.reservation
        }
    }

    /// Sets register `r` of guest `i` (x0 stays 0); false if there is no
    /// such guest.
    pub fn set_reg(&mut self, i: usize, r: u8, value: u64) -> bool {
        if self.on_hart == Some(i) {
            self.hart.arch_mut().set_x(r, value);
        } else {
            match self.guests.get_mut(i) {
                Some(g) => g.vcpu.arch.set_x(r, value),
                None => return false,
            }
        }
        true
    }

    /// Sets guest `i`'s `pc`; false if there is no such guest.
    pub fn set_pc(&mut self, i: usize, pc: u64) -> bool {
        if self.on_hart == Some(i) {
            self.hart.arch_mut().pc = pc;
        } else {
            match self.guests.get_mut(i) {
                Some(g) => g.vcpu.arch.pc = pc,
                None => return false,
            }
        }
        true
    }

    /// Reads virtual CSR `csr` of guest `i` as its S-mode software would
    /// (`sstatus` as a view of `mstatus`, `sip`/`sie` through delegation);
    /// `Err` when S-mode may not read it (or there is no such guest).
    pub fn csr(&self, i: usize, csr: u16) -> Result<u64, CsrIllegal> {
        let mut core = self.guests.get(i).ok_or(CsrIllegal)?.vcpu.core().clone();
        core.privilege = cpu::hart::Priv::Supervisor;
        core.csr_read(csr)
    }

    /// Guest `i`'s virtual privilege mode.
    pub fn privilege(&self, i: usize) -> Option<cpu::hart::Priv> {
        self.guests.get(i).map(|g| g.vcpu.core().privilege)
    }

    /// Writes virtual CSR `csr` of guest `i` as its S-mode software would
    /// (the privileged core's rules, WARL included), and drops its shadow
    /// tables where the write changed what they encode. `Err` when the CSR
    /// is not writable from S-mode (or there is no such guest).
    pub fn write_csr(&mut self, i: usize, csr: u16, value: u64) -> Result<(), CsrIllegal> {
        let g = self.guests.get_mut(i).ok_or(CsrIllegal)?;
        let core = &mut g.vcpu.arch.core;
        let privilege = core.privilege;
        core.privilege = cpu::hart::Priv::Supervisor;
        let written = core.csr_write(csr, value);
        core.privilege = privilege;
        if let Ok(CsrEffect::Satp | CsrEffect::SumMxr) = written {
            if self.on_hart == Some(i) {
                g.shadow.flush(&mut self.hart, &g.vcpu);
            } else {
                g.shadow.forget();
            }
        }
        written.map(|_| ())
    }

    /// Reads guest `i`'s memory at guest-physical `gpa`; false if any byte
    /// is outside its RAM.
    pub fn read_guest_phys(&self, i: usize, gpa: GuestPhys, buf: &mut [u8]) -> bool {
        let Some(g) = self.guests.get(i) else {
            return false;
        };
        match g.ram.translate(gpa, buf.len() as u64) {
            Some(mpa) => self.hart.read_phys(mpa, buf),
            None => false,
        }
    }

    /// Writes guest `i`'s memory at guest-physical `gpa` (decoded code
    /// there is dropped, and so is what its strategy made of it: binary
    /// translation's copies of the pages written, as a store of the
    /// guest's own drops them); false, and nothing written, if any byte is
    /// outside its RAM. Every write a debugger makes to guest memory comes
    /// here ([`Session::write_guest_virt`] too).
    pub fn write_guest_phys(&mut self, i: usize, gpa: GuestPhys, data: &[u8]) -> bool {
        let on_hart = self.on_hart == Some(i);
        let Some(g) = self.guests.get_mut(i) else {
            return false;
        };
        let Some(mpa) = g.ram.translate(gpa, data.len() as u64) else {
            return false;
        };
        if !self.hart.write_phys(mpa, data) {
            return false;
        }
        crate::strategy::written(g, &mut self.hart, on_hart, gpa, data.len() as u64);
        true
    }

    /// The guest-physical address of guest `i`'s virtual address `va` for
    /// an access `acc`, through its own page tables under its virtual
    /// privileged state, without side effects (no A/D bit set, no shadow
    /// filled); `Err` is the trap the guest would take.
    pub fn translate(&mut self, i: usize, va: u64, acc: Access) -> Result<GuestPhys, Trap> {
        let g = self.guests.get(i).ok_or(acc.access_fault(va))?;
        exits::guest_translate(g, &mut self.hart, va, acc)
    }

    /// Reads guest `i`'s memory at virtual address `va` as a load of its
    /// would translate it (page by page), without side effects; `Err` is
    /// the trap the load would raise.
    pub fn read_guest_virt(&mut self, i: usize, va: u64, buf: &mut [u8]) -> Result<(), Trap> {
        let mut done = 0;
        while done < buf.len() {
            let at = va.wrapping_add(done as u64);
            let gpa = self.translate(i, at, Access::Load)?;
            let in_page = (4096 - (at & 4095)) as usize;
            let n = in_page.min(buf.len() - done);
            if !self.read_guest_phys(i, gpa, &mut buf[done..done + n]) {
                return Err(Access::Load.access_fault(at));
            }
            done += n;
        }
        Ok(())
    }

    /// Writes guest `i`'s memory at virtual address `va` as a store of its
    /// would translate it (page by page, every page checked before any byte
    /// is written), without side effects on its page tables; `Err` is the
    /// trap the store would raise, and then nothing is written.
    pub fn write_guest_virt(&mut self, i: usize, va: u64, data: &[u8]) -> Result<(), Trap> {
        let mut pieces = Vec::new();
        let mut done = 0;
        while done < data.len() {
            let at = va.wrapping_add(done as u64);
            let gpa = self.translate(i, at, Access::Store)?;
            let in_page = (4096 - (at & 4095)) as usize;
            let n = in_page.min(data.len() - done);
            let inside = self
                .guests
                .get(i)
                .and_then(|g| g.ram.translate(gpa, n as u64))
                .is_some();
            if !inside {
                return Err(Access::Store.access_fault(at));
            }
            pieces.push((gpa, done..done + n));
            done += n;
        }
        for (gpa, range) in pieces {
            self.write_guest_phys(i, gpa, &data[range]);
        }
        Ok(())
    }

    // --- going back -----------------------------------------------------------

    /// The whole session as it is now (see [`SessionSnapshot`]).
    pub fn snapshot(&self) -> SessionSnapshot<H>
    where
        H: Clone,
    {
        SessionSnapshot {
            hart: self.hart.clone(),
            guests: self.guests.iter().map(Guest::state).collect(),
            scheduler: self.scheduler.clone_box(),
            on_hart: self.on_hart,
            turn: self.turn,
        }
    }

    /// Puts the session back as it was at `snap`.
    pub fn restore(&mut self, snap: &SessionSnapshot<H>)
    where
        H: Clone,
    {
        self.hart = snap.hart.clone();
        self.set_guest_states(&snap.guests);
        self.scheduler = snap.scheduler.clone_box();
        self.on_hart = snap.on_hart;
        self.turn = snap.turn;
    }
}

/// Everything about a session on the real hart but RAM
/// ([`Session::state`]): the hart's state, every guest's, the scheduler's,
/// and where the loop was. A debugger keeps RAM itself, page by page.
pub struct SessionState {
    hart: HartState,
    guests: Vec<GuestState>,
    scheduler: Box<dyn Scheduler>,
    on_hart: Option<usize>,
    turn: Option<Turn>,
}

impl Clone for SessionState {
    fn clone(&self) -> Self {
        SessionState {
            hart: self.hart.clone(),
            guests: self.guests.clone(),
            scheduler: self.scheduler.clone_box(),
            on_hart: self.on_hart,
            turn: self.turn,
        }
    }
}

/// Checkpoints: going back in time without copying guest RAM.
impl Session<Hart> {
    /// The session but RAM, as it is now (a debugger's snapshot: it saves
    /// the RAM pages written itself, from the hart's dirty-page record).
    pub fn state(&self) -> SessionState {
        SessionState {
            hart: self.hart.state(),
            guests: self.guests.iter().map(Guest::state).collect(),
            scheduler: self.scheduler.clone_box(),
            on_hart: self.on_hart,
            turn: self.turn,
        }
    }

    /// Puts back what [`Session::state`] took (RAM is the caller's to put
    /// back, through the hart).
    pub fn set_state(&mut self, s: &SessionState) {
        self.hart.set_state(&s.hart);
        self.set_guest_states(&s.guests);
        self.scheduler = s.scheduler.clone_box();
        self.on_hart = s.on_hart;
        self.turn = s.turn;
    }

    /// Remembers the session as it is now, cheaply: the hart's state but
    /// RAM, every guest's state, the scheduler's, and of RAM only the pages
    /// written since the previous checkpoint (the hart's dirty-page record,
    /// [`Hart::take_dirty_pages`], which the session owns from its first
    /// checkpoint on: take no dirty pages from its hart yourself). The
    /// first checkpoint keeps every page written since the hart was made
    /// (the images, the device trees, the shadow tables): what the guests
    /// touched, never their whole RAM.
    pub fn checkpoint(&mut self) -> Checkpoint {
        let pages = self
            .hart
            .take_dirty_pages()
            .into_iter()
            .filter_map(|n| Some((n, Box::from(self.hart.ram_page(n)?))))
            .collect();
        let id = self.next_checkpoint;
        self.next_checkpoint += 1;
        self.journal.push(Entry {
            id,
            hart: self.hart.state(),
            guests: self.guests.iter().map(Guest::state).collect(),
            scheduler: self.scheduler.clone_box(),
            on_hart: self.on_hart,
            turn: self.turn,
            pages,
        });
        Checkpoint(id)
    }

    /// The RAM pages checkpoints hold, all together (what they cost).
    pub fn checkpoint_pages(&self) -> usize {
        self.journal.iter().map(|e| e.pages.len()).sum()
    }

    /// Puts the session back as it was at checkpoint `to`, rewriting only
    /// the RAM pages written since (and of those only the ones that differ,
    /// so that code that did not change stays decoded and translated).
    /// Checkpoints after `to` are forgotten: the session's future from
    /// there is a new one. Consoles' output already printed stays printed;
    /// their input is the caller's to replay. `false`, and nothing changed,
    /// if `to` is not a checkpoint of this session any more.
    pub fn rewind(&mut self, to: Checkpoint) -> bool {
        let Some(k) = self.journal.iter().position(|e| e.id == to.0) else {
            return false;
        };
        // Every page that may differ from checkpoint `k`: written since the
        // last checkpoint, or in a later checkpoint.
        let mut pages = self.hart.take_dirty_pages();
        for e in &self.journal[k + 1..] {
            pages.extend(e.pages.keys().copied());
        }
        pages.sort_unstable();
        pages.dedup();
        let zero = vec![0u8; cpu::sv39::PAGE_SIZE as usize];
        let base = self.hart.ram_range().start;
        for n in pages {
            // As it was at `k`: in the newest checkpoint up to `k` that has
            // it, else never written (zero).
            let then = self.journal[..=k]
                .iter()
                .rev()
                .find_map(|e| e.pages.get(&n))
                .map_or(&zero[..], |p| &p[..]);
            if self.hart.ram_page(n).is_some_and(|now| now != then) {
                let pa = base + n as u64 * cpu::sv39::PAGE_SIZE;
                self.hart.write_phys(pa, then);
            }
        }
        self.journal.truncate(k + 1);
        let e = &self.journal[k];
        self.hart.set_state(&e.hart);
        for (g, s) in self.guests.iter_mut().zip(&e.guests) {
            g.set_state(s);
        }
        self.ready_stale = true;
        self.scheduler = e.scheduler.clone_box();
        self.on_hart = e.on_hart;
        self.turn = e.turn;
        // RAM is checkpoint `k`'s again: nothing written since.
        self.hart.take_dirty_pages();
        true
    }
}

/// One step of guest `g`, on the hart, with `left` instructions left in
/// its quantum and at most `limit` to run in this step. See the module
/// documentation. With `RECORD`, what happened goes into `step` (the turn
/// loop of [`Session::step_turn`] leaves it out: copying each exit costs
/// time on the monitor's hottest path).
#[inline(always)]
fn run_guest<H: HartPort, const RECORD: bool>(
    g: &mut Guest,
    hart: &mut H,
    left: u64,
    limit: u64,
    step: &mut Step,
) {
    // The timer comparator, then interrupt delivery, as the hart does
    // before each instruction.
    g.vcpu.arch.core.update_timer();
    if let Some(irq) = g.vcpu.core().pending_interrupt() {
        exits::reflect::inject(g, hart, irq);
        if RECORD {
            step.injected = Some(irq);
        }
    }
    let limit_left = g.max_instructions.saturating_sub(g.vcpu.retired());
    if limit_left == 0 {
        let end = End::InstructionLimit(g.max_instructions);
        tracing::debug!(
            target: "monitor",
            "pc {:#x}: instruction limit reached: guest stopped",
            hart.arch().pc
        );
        g.end = Some(end);
        if RECORD {
            step.ended = Some(end);
        }
        return;
    }
    if RECORD && limit == 0 {
        // Only the injection: see [`Session::step`].
        return;
    }
    crate::strategy::before_run(g, hart);
    // Stop exactly where the virtual timer will fire.
    let budget = left.min(limit_left).min(g.vcpu.until_deadline()).max(1);
    let cut = RECORD && limit < budget;
    let budget = if RECORD {
        budget.min(limit.max(1))
    } else {
        budget
    };
    let start = hart.arch().core.instret;
    let step_end = g
        .vcpu
        .retired()
        .saturating_add(if RECORD { left.min(limit) } else { left });
    let exit = hart.run(&mut cpu::devices::NoDevices, budget);
    let retired = hart.arch().core.instret.wrapping_sub(start);
    g.vcpu.arch.core.instret += retired;
    if RECORD {
        step.retired = retired;
        step.exit_pc = hart.arch().pc;
        step.exit_mode = g.vcpu.core().privilege;
        if cut && matches!(exit, Exit::BudgetExhausted) {
            // The step's own limit, not an exit: nothing to answer.
            return;
        }
        if is_debug_exit(&exit) {
            // A debugger's stop: the debugger's to answer.
            step.exit = Some(exit);
            return;
        }
    }
    g.step_end = step_end;
    let handled = exits::handle(g, hart, &exit);
    g.step_end = u64::MAX;
    if let Action::End(end) = handled.action {
        g.end = Some(end);
        if RECORD {
            step.ended = Some(end);
        }
    }
    if RECORD {
        step.exit = Some(exit);
        step.handled = Some(handled);
    }
}

/// Whether the hart stopped for a debugger (a breakpoint or a debug stop
/// it was given), not for the monitor.
fn is_debug_exit(exit: &Exit) -> bool {
    matches!(exit, Exit::Breakpoint | Exit::Debug(_))
}

/// Runs guest `g`, already on the hart, for up to `quantum` instructions
/// (emulated ones and exits count too), one step after another: one turn
/// of the monitor's loop.
pub fn run_slice<H: HartPort>(g: &mut Guest, hart: &mut H, quantum: u64) {
    run_turn(
        g,
        hart,
        Turn {
            guest: 0,
            left: quantum,
            since_exit: 0,
        },
    );
}

/// The rest of `turn` for guest `g`, already on the hart: steps until its
/// quantum is used up or its run ends (an exit costs the quantum what the
/// guest retired since the last one, and at least one instruction).
fn run_turn<H: HartPort>(g: &mut Guest, hart: &mut H, turn: Turn) {
    let mut left = turn.left;
    let mut since_exit = turn.since_exit;
    let mut unused = Step {
        guest: 0,
        switched_from: None,
        injected: None,
        retired: 0,
        exit: None,
        exit_pc: 0,
        exit_mode: cpu::hart::Priv::Supervisor,
        handled: None,
        changes: Vec::new(),
        ended: None,
    };
    while g.end.is_none() && left > 0 {
        let before = g.vcpu.retired();
        run_guest::<H, false>(g, hart, left, u64::MAX, &mut unused);
        let used = since_exit + (g.vcpu.retired() - before);
        left = left.saturating_sub(used.max(1) - since_exit);
        since_exit = 0;
    }
}

/// Puts guest `g` on the hart: its registers, `pc`, reservation, digest and
/// the root of the page tables for its current virtual mode.
pub fn switch_in<H: HartPort>(g: &mut Guest, hart: &mut H) {
    let arch = hart.arch_mut();
    arch.x = g.vcpu.arch.x;
    arch.x[0] = 0;
    arch.pc = g.vcpu.arch.pc;
    arch.reservation = g.vcpu.arch.reservation;
    hart.restore_digest(g.vcpu.digest);
    g.shadow.force_activate(hart, &g.vcpu);
    g.stats.world_switches += 1;
}

/// Takes guest `g` off the hart, parking its state in its vcpu.
pub fn switch_out<H: HartPort>(g: &mut Guest, hart: &mut H) {
    let arch = hart.arch();
    g.vcpu.arch.x = arch.x;
    g.vcpu.arch.pc = arch.pc;
    g.vcpu.arch.reservation = arch.reservation;
    g.vcpu.digest = hart.digest();
    g.devices.console().flush();
}

/// What guest `g` did; its digest only if it was computed.
fn report(g: Guest, digest: bool) -> GuestReport {
    GuestReport {
        name: g.name,
        end: g.end.unwrap_or(End::Hang),
        retired: g.vcpu.retired(),
        emulated: g.vcpu.emulated,
        digest: digest.then_some(g.vcpu.digest),
        stats: g.stats,
    }
}

/// The virtual CSRs (as S-mode software reads them) and mode that differ
/// between `before` and `after`.
fn changes(before: &Core, after: &Core) -> Vec<CsrChange> {
    let (b, a) = (before.s_view(), after.s_view());
    b.iter()
        .zip(a.iter())
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, y)| CsrChange {
            name: x.0,
            before: x.1,
            after: y.1,
        })
        .collect()
}
