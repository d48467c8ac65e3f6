//! The architectural state of a hart, as the ISA manuals define it: the
//! integer registers, `pc`, the LR reservation, and the privileged core
//! ([`Core`]: privilege level, CSRs, clock).
//!
//! The real hart has one ([`crate::hart::Hart::arch`]); so has each of the
//! monitor's virtual harts, whose registers and `pc` are parked there while
//! another guest has the real hart.

use crate::privileged::Core;
use crate::trap::Trap;

/// An LR reservation (unprivileged spec 8.2): the virtual address the `lr`
/// named (a later `sc` must name the same one) and the physical address it
/// reached (stores by other agents there end it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reservation {
    pub va: u64,
    pub pa: u64,
}

/// Registers, `pc`, reservation and privileged state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchState {
    /// The integer registers; `x[0]` always reads 0.
    pub x: [u64; 32],
    pub pc: u64,
    /// The reservation of the last LR, if it still holds.
    pub reservation: Option<Reservation>,
    pub core: Core,
}

impl ArchState {
    /// Registers and `pc` at 0, no reservation, `core` as given.
    pub fn new(core: Core) -> ArchState {
        ArchState {
            x: [0; 32],
            pc: 0,
            reservation: None,
            core,
        }
    }

    /// `x[r]`.
    #[inline(always)]
    pub fn xr(&self, r: u8) -> u64 {
        self.x[r as usize & 31]
    }

    /// Sets `x[rd]` (writes to `x0` are dropped).
    #[inline(always)]
    pub fn set_x(&mut self, rd: u8, v: u64) {
        if rd != 0 {
            self.x[rd as usize & 31] = v;
        }
    }

    /// Takes `trap` at `pc` into S-mode ([`Core::enter_trap`]): `pc` moves
    /// to the handler and the reservation ends, as at every trap.
    pub fn take_trap(&mut self, trap: Trap) {
        self.pc = self.core.enter_trap(self.pc, trap);
        self.reservation = None;
    }
}
