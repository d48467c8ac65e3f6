//! Trap storms: a guest whose trap handling can never get anywhere.
//!
//! Nothing in the privileged spec forbids a trap handler from trapping
//! again, so a broken guest can loop through traps for ever: `stvec` at
//! nothing (the fetch of the handler faults), a handler that faults after
//! one instruction (`csrr t2, scause` / `ld t3, 8(zero)`), a handler that
//! forgets to set `sp` (each entry pushes below the last, so the fault
//! address moves but the `pc` does not), or a handler that returns to the
//! faulting instruction without fixing anything. trapvisor stops such a
//! guest (book/src/machine.md "How a run ends"), and must never stop one that traps a
//! lot but gets somewhere: system-call loops, demand paging, timer
//! interrupts, each with a trap return in between.
//!
//! The rule: traps form a *chain* while the code they interrupted makes no
//! progress, that is, each trap comes either before the previous trap's
//! handler returned (the handler trapped itself), or right after it
//! returned, at the same cause and `pc`, with nothing retired since the
//! return (it returned to the instruction that traps again). The same
//! exception at the same `pc` [`TRAP_STORM_LIMIT`] times in a row within
//! one chain is a storm; the report names that exception and the chain's
//! first trap, which is usually the one the broken handler was entered
//! for. A trap return is an `sret`, or the host resuming the guest after
//! taking a trap itself (an SBI call answered, as M-mode firmware returns
//! with `mret`).
//!
//! Natively the hart's run loop applies the rule to the traps it enters
//! into S-mode; under the monitor, the monitor applies it to the traps the
//! guest takes (reflected exceptions and injected interrupts) and the
//! `sret`s and SBI calls it emulates. The same type both ways, so that a
//! storming guest stops at the same instruction natively and virtualized.

use crate::trap::{Exception, Trap};

/// How many times in a row the same exception may hit the same `pc` within
/// one chain (see the module documentation) before the guest is stopped.
pub const TRAP_STORM_LIMIT: u32 = 1000;

/// A trap storm: the exception that repeated, and the trap that began the
/// chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Storm {
    /// The exception taken [`TRAP_STORM_LIMIT`] times, the last time.
    pub trap: Trap,
    pub pc: u64,
    /// The first trap of the chain and its `pc`.
    pub first: Trap,
    pub first_pc: u64,
}

impl std::fmt::Display for Storm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trap storm: {} at pc {:#x}, {TRAP_STORM_LIMIT} times in a row with the trapped code making no progress",
            self.trap, self.pc
        )?;
        if (self.first, self.first_pc) != (self.trap, self.pc) {
            write!(
                f,
                "; the chain of traps began with {} at pc {:#x}",
                self.first, self.first_pc
            )?;
        }
        Ok(())
    }
}

/// Watches the traps a guest takes for a storm (see the module
/// documentation). `retired` is the guest's count of retired instructions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StormWatch {
    /// The first trap of the current chain and its `pc`.
    first: Option<(Trap, u64)>,
    /// The exception repeating in the chain, and how many times so far.
    repeat: Option<(Exception, u64)>,
    count: u32,
    /// `retired` at the last trap return since the last trap, if any.
    returned_at: Option<u64>,
}

impl StormWatch {
    /// The guest takes `trap` at `pc` (it enters its handler): `Some` if
    /// that makes a storm, and then the guest must be stopped instead.
    pub fn trap(&mut self, trap: Trap, pc: u64, retired: u64) -> Option<Storm> {
        let key = match trap {
            Trap::Exception { cause, .. } => Some((cause, pc)),
            Trap::Interrupt(_) => None,
        };
        let same = key.is_some() && key == self.repeat;
        let chained = match self.returned_at {
            // The handler of the previous trap trapped itself.
            None => self.first.is_some(),
            // It returned, straight into the same trap.
            Some(at) => retired == at && same,
        };
        self.returned_at = None;
        if !chained {
            self.first = Some((trap, pc));
            self.repeat = None;
            self.count = 0;
        }
        let key = key?;
        if self.repeat == Some(key) {
            self.count += 1;
        } else {
            self.repeat = Some(key);
            self.count = 1;
        }
        if self.count < TRAP_STORM_LIMIT {
            return None;
        }
        let (first, first_pc) = self.first.unwrap_or((trap, pc));
        Some(Storm {
            trap,
            pc,
            first,
            first_pc,
        })
    }

    /// The guest's handler returned (`sret`), or the host handled a trap
    /// itself and resumes the guest, with `retired` instructions retired.
    pub fn returned(&mut self, retired: u64) {
        self.returned_at = Some(retired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(cause: Exception, tval: u64) -> Trap {
        Trap::Exception { cause, tval }
    }

    #[test]
    fn a_handler_that_faults_after_one_instruction_storms_naming_the_first_trap() {
        let mut w = StormWatch::default();
        let origin = fault(Exception::LoadAccessFault, 0x10);
        assert_eq!(w.trap(origin, 0x100, 5), None);
        let again = fault(Exception::LoadAccessFault, 8);
        let mut retired = 5;
        for _ in 1..TRAP_STORM_LIMIT {
            retired += 1; // csrr t2, scause
            assert_eq!(w.trap(again, 0x204, retired), None);
        }
        let storm = w.trap(again, 0x204, retired + 1).expect("a storm");
        assert_eq!((storm.trap, storm.pc), (again, 0x204));
        assert_eq!((storm.first, storm.first_pc), (origin, 0x100));
        assert!(storm
            .to_string()
            .contains("began with load access fault (cause 5, tval 0x10) at pc 0x100"));
    }

    #[test]
    fn a_moving_fault_address_at_the_same_pc_still_storms() {
        // A handler without a stack: each entry pushes 16 bytes lower.
        let mut w = StormWatch::default();
        let mut storm = None;
        for k in 0..TRAP_STORM_LIMIT as u64 {
            let push = fault(Exception::StoreAccessFault, 0u64.wrapping_sub(16 * (k + 1)));
            storm = w.trap(push, 0x204, k);
        }
        assert!(storm.is_some());
    }

    #[test]
    fn returning_to_the_same_trap_storms() {
        // The handler returns to the faulting instruction, which faults
        // again before anything retires.
        let mut w = StormWatch::default();
        let ill = fault(Exception::IllegalInstruction, 0);
        let mut retired = 0;
        for _ in 1..TRAP_STORM_LIMIT {
            assert_eq!(w.trap(ill, 0x100, retired), None);
            retired += 2; // li, sret
            w.returned(retired);
        }
        assert!(w.trap(ill, 0x100, retired).is_some());
    }

    #[test]
    fn traps_with_progress_between_them_never_storm() {
        let mut w = StormWatch::default();
        let ecall = fault(Exception::EcallFromU, 0);
        let page = fault(Exception::LoadPageFault, 0x4000);
        let mut retired = 0u64;
        for k in 0..10 * TRAP_STORM_LIMIT as u64 {
            // A system call from the same pc, its handler returning.
            assert_eq!(w.trap(ecall, 0x100, retired), None);
            retired += 20;
            w.returned(retired);
            retired += 3;
            // Demand paging: the same load faults, is mapped, retires.
            assert_eq!(w.trap(page, 0x108, retired), None);
            retired += 30;
            w.returned(retired);
            assert_eq!(w.trap(page, 0x108, retired), None, "{k}: faults once more");
            w.returned(retired + 30);
            retired += 31;
            // A timer interrupt between two instructions.
            let timer = Trap::Interrupt(crate::trap::Interrupt::SupervisorTimer);
            assert_eq!(w.trap(timer, 0x10c, retired), None);
            retired += 10;
            w.returned(retired);
            retired += 1;
        }
    }

    #[test]
    fn a_handler_skipping_each_faulting_instruction_never_storms() {
        // 2000 illegal words in a row, each skipped: the same cause, a new
        // pc each time.
        let mut w = StormWatch::default();
        let ill = fault(Exception::IllegalInstruction, 0);
        for k in 0..2000u64 {
            assert_eq!(w.trap(ill, 0x100 + 4 * k, 4 * k), None);
            w.returned(4 * k + 4);
        }
    }
}
