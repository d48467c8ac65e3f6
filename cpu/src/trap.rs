//! Traps as values (privileged spec 3.1.15 `mcause`, 4.1.8 `scause`).
//!
//! An instruction that cannot complete returns a [`Trap`]; which privilege
//! level takes it (`medeleg`/`mideleg`) and where it lands (`stvec`) are
//! small pure functions of the privileged core ([`crate::privileged`]).

/// Synchronous exception causes (privileged spec, table 3.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Exception {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    EcallFromM = 11,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
}

/// Interrupt causes (privileged spec, table 3.6), S-level ones only: the
/// M-level ones belong to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Interrupt {
    SupervisorSoftware = 1,
    SupervisorTimer = 5,
    SupervisorExternal = 9,
}

/// A trap: an exception with its `tval`, or an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trap {
    Exception { cause: Exception, tval: u64 },
    Interrupt(Interrupt),
}

impl Exception {
    /// The exception code written to `scause`/`mcause`.
    pub fn code(self) -> u64 {
        self as u64
    }

    /// A short name a student can read in a trace.
    pub fn name(self) -> &'static str {
        match self {
            Exception::InstructionMisaligned => "instruction address misaligned",
            Exception::InstructionAccessFault => "instruction access fault",
            Exception::IllegalInstruction => "illegal instruction",
            Exception::Breakpoint => "breakpoint",
            Exception::LoadMisaligned => "load address misaligned",
            Exception::LoadAccessFault => "load access fault",
            Exception::StoreMisaligned => "store/AMO address misaligned",
            Exception::StoreAccessFault => "store/AMO access fault",
            Exception::EcallFromU => "environment call from U-mode",
            Exception::EcallFromS => "environment call from S-mode",
            Exception::EcallFromM => "environment call from M-mode",
            Exception::InstructionPageFault => "instruction page fault",
            Exception::LoadPageFault => "load page fault",
            Exception::StorePageFault => "store/AMO page fault",
        }
    }

    /// Every exception, in cause order (for per-cause statistics).
    pub const ALL: [Exception; 14] = [
        Exception::InstructionMisaligned,
        Exception::InstructionAccessFault,
        Exception::IllegalInstruction,
        Exception::Breakpoint,
        Exception::LoadMisaligned,
        Exception::LoadAccessFault,
        Exception::StoreMisaligned,
        Exception::StoreAccessFault,
        Exception::EcallFromU,
        Exception::EcallFromS,
        Exception::EcallFromM,
        Exception::InstructionPageFault,
        Exception::LoadPageFault,
        Exception::StorePageFault,
    ];
}

impl Interrupt {
    /// The interrupt code written to `scause` (with the top bit set).
    pub fn code(self) -> u64 {
        self as u64
    }

    /// The bit of this interrupt in `sip`/`sie`.
    pub fn bit(self) -> u64 {
        1 << (self as u64)
    }

    pub fn name(self) -> &'static str {
        match self {
            Interrupt::SupervisorSoftware => "supervisor software interrupt",
            Interrupt::SupervisorTimer => "supervisor timer interrupt",
            Interrupt::SupervisorExternal => "supervisor external interrupt",
        }
    }
}

impl Trap {
    /// The illegal-instruction exception for the instruction fetched as
    /// `word`. Its `stval` is the faulting instruction's bits (privileged
    /// spec 4.1.9, as QEMU does): all 32 for a 32-bit instruction, and only
    /// the first 16 for a word whose low two bits are not `0b11`, which
    /// begins with a 16-bit parcel (unprivileged spec 1.5, "Base
    /// Instruction-Length Encoding"), e.g. `0x0004`, a reserved compressed
    /// encoding.
    pub fn illegal_instruction(word: u32) -> Trap {
        let bits = if word & 3 == 3 { word } else { word & 0xffff };
        Trap::Exception {
            cause: Exception::IllegalInstruction,
            tval: u64::from(bits),
        }
    }

    /// The value of `scause` for this trap.
    pub fn cause_bits(self) -> u64 {
        match self {
            Trap::Exception { cause, .. } => cause.code(),
            Trap::Interrupt(i) => 1 << 63 | i.code(),
        }
    }

    /// The value of `stval` for this trap.
    pub fn tval(self) -> u64 {
        match self {
            Trap::Exception { tval, .. } => tval,
            Trap::Interrupt(_) => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Trap::Exception { cause, .. } => cause.name(),
            Trap::Interrupt(i) => i.name(),
        }
    }
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trap::Exception { cause, tval } => {
                write!(
                    f,
                    "{} (cause {}, tval {tval:#x})",
                    cause.name(),
                    cause.code()
                )
            }
            Trap::Interrupt(i) => write!(f, "{} (cause {:#x})", i.name(), self.cause_bits()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_illegal_16_bit_parcel_reports_16_bits() {
        let tval = |w| Trap::illegal_instruction(w).tval();
        assert_eq!(tval(0xabcd_0004), 0x0004, "a reserved compressed encoding");
        assert_eq!(tval(0x1234_0000), 0, "the 16-bit illegal instruction");
        assert_eq!(tval(0xffff_fffe), 0xfffe);
        assert_eq!(tval(0x1234_500b), 0x1234_500b, "a 32-bit instruction");
        assert_eq!(tval(0xffff_ffff), 0xffff_ffff);
    }
}
