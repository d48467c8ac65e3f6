//! The monitor's port to the one real hart.
//!
//! The monitor drives a single [`cpu::hart::Hart`] and multiplexes every
//! guest over it. Everything it needs from that hart is listed in
//! [`HostHart`], so that the exit handlers can also be exercised against a
//! scripted hart in unit tests ("feed it a synthetic exit", STYLE.md). The
//! run loop is generic over this trait, so the real hart is called directly:
//! no `dyn` call per exit, none per instruction.

use cpu::hart::{Digest, Exit, Reservation};

/// What the monitor needs from the real hart.
///
/// The hart runs with `medeleg = mideleg = 0`, `mcounteren = 0`, in U-mode,
/// with no devices and no timer of its own: every trap leaves [`HostHart::run`]
/// as an [`Exit::Trap`], and the monitor decides what the guest sees.
pub trait HostHart {
    /// Builds a hart whose RAM (machine memory) is `ram_size` bytes at
    /// [`cpu::hart::RAM_BASE`], deprivileged as described above, or says
    /// why the host cannot give it that memory.
    fn deprivileged(ram_size: u64) -> Result<Self, cpu::ram::RamError>
    where
        Self: Sized;
    /// Turns the trace digest on or off (off after [`HostHart::deprivileged`]):
    /// while on, every retired instruction, run or emulated, goes into
    /// [`HostHart::guest_digest`]; while off that digest stands still and
    /// the hart runs its plain (faster) loop.
    fn set_digest(&mut self, on: bool);
    /// Turns binary translation of hot code on or off (see
    /// [`cpu::hart::Hart::set_translation`]): the same run either way.
    fn set_translation(&mut self, on: bool);
    /// Runs the loaded guest for at most `budget` retired instructions.
    fn run(&mut self, budget: u64) -> Exit;
    /// Instructions retired by the real hart, all guests together.
    fn instret(&self) -> u64;
    fn x(&self, reg: u8) -> u64;
    /// Writes a register (writes to `x0` are dropped).
    fn set_x(&mut self, reg: u8, value: u64);
    fn pc(&self) -> u64;
    fn set_pc(&mut self, pc: u64);
    /// The running trace digest of the loaded guest (meaningful only while
    /// the digest is on).
    fn guest_digest(&self) -> Digest;
    fn set_guest_digest(&mut self, digest: Digest);
    /// Points the real MMU at a root page table the monitor owns (a full
    /// `satp` value) and flushes the TLB.
    fn set_satp(&mut self, satp: u64);
    /// Flushes the real TLB after the monitor edited page tables it owns.
    fn flush_tlb(&mut self);
    /// Reads machine RAM; `false` if any byte is outside it.
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool;
    /// Writes machine RAM; `false` (and nothing written) if outside it.
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool;

    /// Records that the monitor retired the instruction `bits` at the
    /// current `pc` on the guest's behalf (an emulated instruction): it
    /// counts and goes into the trace digest exactly as if the hart had run
    /// it. Called before `pc` moves past it.
    fn retire_emulated(&mut self, bits: u32);

    /// The loaded guest's LR reservation, saved and restored with its
    /// registers at a world switch: a trap the guest never sees (a shadow
    /// fill, an emulated instruction, another guest's turn) must not end it.
    fn reservation(&self) -> Option<Reservation>;
    /// Restores a saved reservation, or ends it (`None`) where the guest's
    /// own hardware would: a trap entry or an `sret` the monitor emulates.
    fn set_reservation(&mut self, r: Option<Reservation>);
}

/// The [`HostHart`] methods that only read or write a field (`x`, `pc`,
/// `digest`), for every hart type that has those fields: the real hart and
/// the scripted one of the tests.
#[cfg(test)]
macro_rules! host_hart_state_fields {
    () => {
        fn x(&self, reg: u8) -> u64 {
            self.x[reg as usize & 31]
        }
        fn set_x(&mut self, reg: u8, value: u64) {
            if reg != 0 {
                self.x[reg as usize & 31] = value;
            }
        }
        fn pc(&self) -> u64 {
            self.pc
        }
        fn set_pc(&mut self, pc: u64) {
            self.pc = pc;
        }
        fn guest_digest(&self) -> Digest {
            self.digest
        }
        fn set_guest_digest(&mut self, digest: Digest) {
            self.digest = digest;
        }
    };
}
#[cfg(test)]
pub(crate) use host_hart_state_fields;

/// The real hart, deprivileged: nothing delegated, no counters for U-mode,
/// no timer, no devices, U-mode; the digest off until asked for.
impl HostHart for cpu::hart::Hart {
    fn deprivileged(ram_size: u64) -> Result<Self, cpu::ram::RamError> {
        let mut h = cpu::hart::Hart::with_ram(ram_size)?;
        h.arch.core.csr.medeleg = 0;
        h.arch.core.csr.mideleg = 0;
        h.arch.core.csr.mcounteren = 0;
        h.arch.core.csr.mie = 0;
        h.arch.core.privilege = cpu::hart::Priv::User;
        h.arch.core.timecmp = u64::MAX;
        h.set_digest(false);
        Ok(h)
    }
    fn set_digest(&mut self, on: bool) {
        cpu::hart::Hart::set_digest(self, on);
    }
    fn set_translation(&mut self, on: bool) {
        cpu::hart::Hart::set_translation(self, on);
    }
    #[inline]
    fn run(&mut self, budget: u64) -> Exit {
        cpu::hart::Hart::run(self, &mut cpu::hart::NoDevices, budget)
    }
    fn instret(&self) -> u64 {
        cpu::hart::Hart::instret(self)
    }
    fn x(&self, reg: u8) -> u64 {
        self.arch.xr(reg)
    }
    fn set_x(&mut self, reg: u8, value: u64) {
        self.arch.set_x(reg, value);
    }
    fn pc(&self) -> u64 {
        self.arch.pc
    }
    fn set_pc(&mut self, pc: u64) {
        self.arch.pc = pc;
    }
    fn guest_digest(&self) -> Digest {
        self.digest
    }
    fn set_guest_digest(&mut self, digest: Digest) {
        self.digest = digest;
    }
    fn set_satp(&mut self, satp: u64) {
        self.arch.core.csr.satp = satp;
        cpu::hart::Hart::flush_tlb(self);
    }
    fn flush_tlb(&mut self) {
        cpu::hart::Hart::flush_tlb(self);
    }
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
        cpu::hart::Hart::read_phys(self, pa, buf)
    }
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
        cpu::hart::Hart::write_phys(self, pa, data)
    }
    fn retire_emulated(&mut self, bits: u32) {
        cpu::hart::Hart::retire_emulated(self, bits);
    }
    fn reservation(&self) -> Option<Reservation> {
        cpu::hart::Hart::reservation(self)
    }
    fn set_reservation(&mut self, r: Option<Reservation>) {
        cpu::hart::Hart::set_reservation(self, r);
    }
}

/// A scripted stand-in for the real hart, for feeding exit handlers
/// synthetic exits: RAM, registers and a queue of what `run` reports.
#[cfg(test)]
pub mod scripted {
    use std::collections::VecDeque;

    use cpu::hart::{Digest, Exit, Reservation, RAM_BASE};

    use super::HostHart;

    /// The word a scripted "retired" instruction contributes to the digest.
    pub const NOP: u32 = 0x0000_0013;

    pub struct ScriptedHart {
        pub x: [u64; 32],
        pub pc: u64,
        pub digest: Digest,
        /// Whether retired instructions go into `digest`.
        pub digest_on: bool,
        pub instret: u64,
        pub satp: u64,
        pub tlb_flushes: u64,
        pub reservation: Option<Reservation>,
        pub ram: Vec<u8>,
        /// Each `run` takes the front entry: retire up to that many `nop`s
        /// (stopping early at the budget), then report the exit.
        pub script: VecDeque<(u64, Exit)>,
    }

    impl HostHart for ScriptedHart {
        fn deprivileged(ram_size: u64) -> Result<Self, cpu::ram::RamError> {
            Ok(ScriptedHart {
                x: [0; 32],
                pc: 0,
                digest: Digest::new(),
                digest_on: false,
                instret: 0,
                satp: 0,
                tlb_flushes: 0,
                reservation: None,
                ram: vec![0; ram_size as usize],
                script: VecDeque::new(),
            })
        }
        fn set_digest(&mut self, on: bool) {
            self.digest_on = on;
        }
        fn set_translation(&mut self, _: bool) {
            // Scripted exits: no code runs, translated or not.
        }
        fn run(&mut self, budget: u64) -> Exit {
            let Some((n, exit)) = self.script.pop_front() else {
                // Nothing scripted: the guest ends by the finisher.
                return Exit::BudgetExhausted;
            };
            let k = n.min(budget);
            for _ in 0..k {
                if self.digest_on {
                    self.digest.update(self.pc, NOP);
                }
                self.pc += 4;
                self.instret += 1;
            }
            if k < n {
                self.script.push_front((n - k, exit));
                Exit::BudgetExhausted
            } else {
                exit
            }
        }
        fn instret(&self) -> u64 {
            self.instret
        }
        super::host_hart_state_fields!();
        fn set_satp(&mut self, satp: u64) {
            self.satp = satp;
            self.tlb_flushes += 1;
        }
        fn flush_tlb(&mut self) {
            self.tlb_flushes += 1;
        }
        fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
            let Some(off) = pa.checked_sub(RAM_BASE) else {
                return false;
            };
            match self.ram.get(off as usize..off as usize + buf.len()) {
                Some(s) => {
                    buf.copy_from_slice(s);
                    true
                }
                None => false,
            }
        }
        fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
            let Some(off) = pa.checked_sub(RAM_BASE) else {
                return false;
            };
            match self.ram.get_mut(off as usize..off as usize + data.len()) {
                Some(s) => {
                    s.copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
        fn retire_emulated(&mut self, bits: u32) {
            if self.digest_on {
                self.digest.update(self.pc, bits);
            }
            self.instret += 1;
        }
        fn reservation(&self) -> Option<Reservation> {
            self.reservation
        }
        fn set_reservation(&mut self, r: Option<Reservation>) {
            self.reservation = r;
        }
    }
}
