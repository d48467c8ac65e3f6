//! A scripted stand-in for the real hart, for feeding exit handlers
//! synthetic exits: RAM, registers and a queue of what `run` reports.

use std::collections::VecDeque;
use std::ops::Range;

use cpu::arch::ArchState;
use cpu::devices::Devices;
use cpu::hart::{Digest, Exit, RAM_BASE};
use cpu::port::{HartPort, PhysAddr};
use cpu::privileged::Core;
use cpu::ram::RamError;
use cpu::sbi::Fence;

/// The word a scripted "retired" instruction contributes to the digest.
pub const NOP: u32 = 0x0000_0013;

pub struct ScriptedHart {
    pub arch: ArchState,
    pub digest: Digest,
    /// Whether retired instructions go into `digest`.
    pub digest_on: bool,
    pub tlb_flushes: u64,
    pub ram: Vec<u8>,
    /// Each `run` takes the front entry: retire up to that many `nop`s
    /// (stopping early at the budget), then report the exit.
    pub script: VecDeque<(u64, Exit)>,
    /// A debugger's breakpoints (virtual addresses; `run` does not stop
    /// at them: the script says where it stops).
    pub breakpoints: Vec<u64>,
}

impl ScriptedHart {
    fn offsets(&self, pa: PhysAddr, len: usize) -> Option<Range<usize>> {
        let off = pa.0.checked_sub(RAM_BASE)? as usize;
        let end = off.checked_add(len)?;
        (end <= self.ram.len()).then_some(off..end)
    }
}

impl HartPort for ScriptedHart {
    fn with_ram(ram_size: u64) -> Result<Self, RamError> {
        Ok(ScriptedHart {
            arch: ArchState::new(Core::reset()),
            digest: Digest::new(),
            digest_on: false,
            tlb_flushes: 0,
            ram: vec![0; ram_size as usize],
            script: VecDeque::new(),
            breakpoints: Vec::new(),
        })
    }
    fn arch(&self) -> &ArchState {
        &self.arch
    }
    fn arch_mut(&mut self) -> &mut ArchState {
        &mut self.arch
    }
    fn run<D: Devices>(&mut self, _: &mut D, budget: u64) -> Exit {
        let Some((n, exit)) = self.script.pop_front() else {
            // Nothing scripted: the budget runs out.
            return Exit::BudgetExhausted;
        };
        let k = n.min(budget);
        for _ in 0..k {
            if self.digest_on {
                self.digest.update(self.arch.pc, NOP);
            }
            self.arch.pc += 4;
            self.arch.core.instret += 1;
        }
        if k < n {
            self.script.push_front((n - k, exit));
            Exit::BudgetExhausted
        } else {
            exit
        }
    }
    fn retire_emulated(&mut self, bits: u32) {
        if self.digest_on {
            self.digest.update(self.arch.pc, bits);
        }
        self.arch.core.instret += 1;
    }
    fn digest(&self) -> Digest {
        self.digest
    }
    fn restore_digest(&mut self, digest: Digest) {
        self.digest = digest;
    }
    fn set_digest(&mut self, on: bool) {
        self.digest_on = on;
    }
    fn set_trace_insns(&mut self, _: bool) {}
    fn set_translation(&mut self, _: bool) {
        // Scripted exits: no code runs, translated or not.
    }
    fn flush_tlb(&mut self) {
        self.tlb_flushes += 1;
    }
    fn fence(&mut self, fence: Fence) {
        match fence {
            Fence::SfenceVma => self.tlb_flushes += 1,
            // Scripted exits: no code is decoded to drop.
            Fence::FenceI => {}
        }
    }
    fn read_phys(&self, pa: PhysAddr, buf: &mut [u8]) -> bool {
        match self.offsets(pa, buf.len()) {
            Some(r) => {
                buf.copy_from_slice(&self.ram[r]);
                true
            }
            None => false,
        }
    }
    fn write_phys(&mut self, pa: PhysAddr, data: &[u8]) -> bool {
        match self.offsets(pa, data.len()) {
            Some(r) => {
                self.ram[r].copy_from_slice(data);
                true
            }
            None => false,
        }
    }
    fn ram_range(&self) -> Range<u64> {
        RAM_BASE..RAM_BASE + self.ram.len() as u64
    }
    fn breakpoint_at(&self, va: u64) -> bool {
        self.breakpoints.contains(&va)
    }
}
