//! What each instruction does: the reference executor.
//!
//! [`execute`] runs one instruction word on the architectural state
//! ([`ArchState`]) and memory ([`Mmu`]), by its row's [`Kind`]: an ALU
//! operation computes [`alu`], a branch decides [`taken`], a load or store
//! moves the width its row gives, and the privileged instructions are the
//! privileged core's rules ([`crate::privileged`]). This is the hart's
//! definition; the fast loop and the translator (`engine.rs`, `jit/`) are
//! faster ways to do the same, and are tested against it.
//!
//! Semantics follow the unprivileged spec (RV64I chapter 5, M chapter 7, A
//! chapter 8, Zicsr chapter 9, Zifencei chapter 3) and the privileged spec
//! for `ecall`, `ebreak`, `sret`, `mret`, `wfi` and `sfence.vma` (3.3, 4.2).

use crate::arch::{ArchState, Reservation};
use crate::debug::WatchHit;
use crate::devices::Devices;
use crate::isa::{self, Format, Insn, Kind, Op};
use crate::mmu::{Access, Mmu};
use crate::privileged::CsrEffect;
use crate::ram::RAM_BASE;
use crate::trap::{Exception, Trap};

/// Sign-extends the low 32 bits.
#[inline(always)]
pub(crate) fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

/// The value a load of `size` bytes puts in `rd`: `raw` (zero-extended
/// from memory) sign-extended when `signed`.
#[inline(always)]
pub fn extend(raw: u64, size: u64, signed: bool) -> u64 {
    let shift = 64 - 8 * size;
    if signed {
        (((raw << shift) as i64) >> shift) as u64
    } else {
        raw
    }
}

/// The value computed by a register-register or register-immediate
/// operation `op` ([`Kind::Alu`]) on operands `a` and `b` (`b` is the
/// sign-extended immediate, or the shift amount, for the immediate forms).
/// Division by zero and signed overflow give the values of unprivileged
/// spec table 7.1.
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

/// Whether branch `op` ([`Kind::Branch`]) is taken on operands `a`, `b`.
#[inline(always)]
pub fn taken(op: Op, a: u64, b: u64) -> bool {
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

/// What the run loop must do after an instruction retired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// It loaded or stored in a range a debugger watches
    /// ([`crate::debug`]): stop for it.
    Watch(WatchHit),
    /// Go on with the next instruction.
    Next,
    /// State that interrupts, translation or the decode cache depend on
    /// changed: look again before the next instruction.
    Recheck,
    /// An `sret` retired: as [`Flow::Recheck`], and a trap handler
    /// finished (progress, for trap-storm detection).
    TrapReturn,
    /// A `wfi` retired with no interrupt to wake for: the hart waits.
    Wfi,
    /// A store to a device asked the host to look at its devices.
    Device,
}

/// Runs the instruction fetched at `st.pc` as `bits` (its first 16-bit
/// parcel in the low half: a 32-bit instruction, or a compressed one in
/// the low 16 bits, which runs as its base instruction,
/// [`crate::rvc::base`]), with `st.core.instret` up to date. On success
/// `st.pc` is the next instruction's address (2 or 4 bytes on, or the
/// jump's target) and the instruction has had all its effects (the caller
/// counts it retired); on a trap nothing has changed. An illegal or
/// reserved compressed parcel is an illegal instruction with `stval` its
/// 16 bits.
pub fn execute<D: Devices>(
    st: &mut ArchState,
    mmu: &mut Mmu,
    dev: &mut D,
    bits: u32,
) -> Result<Flow, Trap> {
    let Some((base, len)) = crate::rvc::base(bits) else {
        return Err(Trap::illegal_instruction(bits));
    };
    match run(st, mmu, dev, base, len) {
        // A watched access stops the run once the instruction is done.
        Ok(Flow::Next | Flow::Recheck) if mmu.hit.is_some() => {
            Ok(mmu.hit.take().map_or(Flow::Recheck, Flow::Watch))
        }
        Ok(flow) => {
            mmu.hit = None;
            Ok(flow)
        }
        Err(trap) => {
            mmu.hit = None;
            Err(trap)
        }
    }
}

/// [`execute`] without the watch: the base instruction `bits`, `len`
/// bytes long as fetched (2 for a compressed one: its link register gets
/// `pc + 2`, and it retires to `pc + 2`).
fn run<D: Devices>(
    st: &mut ArchState,
    mmu: &mut Mmu,
    dev: &mut D,
    bits: u32,
    len: u64,
) -> Result<Flow, Trap> {
    let i = isa::decode(bits).map_err(|_| Trap::illegal_instruction(bits))?;
    let pc = st.pc;
    let next = pc.wrapping_add(len);
    let imm = i.imm as i64 as u64;
    let (a, b) = (st.xr(i.rs1), st.xr(i.rs2));
    let mut flow = Flow::Next;
    let mut new_pc = next;
    match i.op.kind() {
        Kind::Alu => {
            let b = if i.op.format() == Format::R { b } else { imm };
            st.set_x(i.rd, alu(i.op, a, b));
        }
        Kind::Lui => st.set_x(i.rd, imm),
        Kind::Auipc => st.set_x(i.rd, pc.wrapping_add(imm)),
        Kind::Jal | Kind::Jalr => {
            let target = if i.op == Op::Jal {
                pc.wrapping_add(imm)
            } else {
                a.wrapping_add(imm) & !1
            };
            // IALIGN = 16 (unprivileged spec 1.2, with C): every target
            // is 2-byte aligned here (`jal` and branch offsets are even,
            // `jalr` clears bit 0), so none raises the
            // instruction-address-misaligned exception.
            st.set_x(i.rd, next);
            new_pc = target;
        }
        Kind::Branch => {
            if taken(i.op, a, b) {
                new_pc = pc.wrapping_add(imm);
            }
        }
        Kind::Load { size, signed } => {
            let (va, size) = (a.wrapping_add(imm), size as u64);
            let v = mmu.load(&st.core, dev, va, size)?;
            mmu.note_access(va, size, true, false, pc);
            st.set_x(i.rd, extend(v, size, signed));
        }
        Kind::Store { size } => {
            let (va, size) = (a.wrapping_add(imm), size as u64);
            if mmu.store(&st.core, dev, va, size, b)? {
                flow = Flow::Device;
            }
            mmu.note_access(va, size, false, true, pc);
        }
        Kind::Fence => {}
        Kind::FenceI => {
            mmu.ram.code.flush();
            flow = Flow::Recheck;
        }
        Kind::Atomic => match i.op {
            Op::LrW | Op::LrD | Op::ScW | Op::ScD => lr_sc(st, mmu, &i, a, b)?,
            _ => amo(st, mmu, &i, a, b)?,
        },
        Kind::Csr => {
            let src = match i.op {
                Op::Csrrwi | Op::Csrrsi | Op::Csrrci => i.rs1 as u64,
                _ => a,
            };
            let done = st.core.csr_instruction(&i, bits, src)?;
            if let Some((_, CsrEffect::Satp)) = done.write {
                mmu.flush(st.core.csr.satp);
            }
            st.set_x(i.rd, done.old);
            flow = Flow::Recheck;
        }
        Kind::System => match i.op {
            Op::Ecall => return Err(st.core.ecall()),
            // The spec allows 0 or the pc in tval; QEMU 7.2 (the oracle,
            // tests/conformance/traps.s) writes 0.
            Op::Ebreak => {
                return Err(Trap::Exception {
                    cause: Exception::Breakpoint,
                    tval: 0,
                })
            }
            Op::Sret => {
                new_pc = st.core.sret(bits)?;
                st.reservation = None;
                flow = Flow::TrapReturn;
            }
            Op::Mret => new_pc = st.core.mret(bits)?,
            Op::Wfi => {
                st.core.check_wfi(bits)?;
                flow = if st.core.wfi_wakes() {
                    Flow::Recheck
                } else {
                    Flow::Wfi
                };
            }
            Op::SfenceVma => {
                st.core.check_sfence_vma(bits)?;
                mmu.flush(st.core.csr.satp);
                flow = Flow::Recheck;
            }
            _ => return Err(Trap::illegal_instruction(bits)),
        },
    }
    st.pc = new_pc;
    Ok(flow)
}

/// LR/SC (unprivileged spec 8.2): LR reserves its address; SC succeeds
/// (writes, rd = 0) only while that reservation holds, else rd = 1
/// without touching memory (as QEMU). Either way SC ends the reservation.
fn lr_sc(st: &mut ArchState, mmu: &mut Mmu, i: &Insn, addr: u64, value: u64) -> Result<(), Trap> {
    let size = if matches!(i.op, Op::LrW | Op::ScW) {
        4
    } else {
        8
    };
    match i.op {
        Op::LrW | Op::LrD => {
            let off = mmu.amo_offset(&st.core, addr, size, Access::Load)?;
            mmu.note_access(addr, size, true, false, st.pc);
            let v = mmu.ram.read_sized(off, size);
            st.reservation = Some(Reservation {
                va: addr,
                pa: RAM_BASE.wrapping_add(off as u64),
            });
            st.set_x(i.rd, if size == 4 { sext32(v) } else { v });
        }
        _ => {
            if addr & (size - 1) != 0 {
                return Err(Access::Store.misaligned(addr));
            }
            if st.reservation.map(|r| r.va) != Some(addr) {
                st.reservation = None;
                st.set_x(i.rd, 1);
                return Ok(());
            }
            let off = mmu.amo_offset(&st.core, addr, size, Access::Store)?;
            mmu.note_access(addr, size, false, true, st.pc);
            mmu.ram.write(off, &value.to_le_bytes()[..size as usize]);
            st.reservation = None;
            st.set_x(i.rd, 0);
        }
    }
    Ok(())
}

/// AMOs (unprivileged spec 8.4): load, compute, store; `rd` gets the old
/// value (sign-extended for `.w`).
fn amo(st: &mut ArchState, mmu: &mut Mmu, i: &Insn, addr: u64, src: u64) -> Result<(), Trap> {
    use Op::*;
    let word = matches!(
        i.op,
        AmoswapW | AmoaddW | AmoxorW | AmoandW | AmoorW | AmominW | AmomaxW | AmominuW | AmomaxuW
    );
    let size = if word { 4 } else { 8 };
    let off = mmu.amo_offset(&st.core, addr, size, Access::Store)?;
    mmu.note_access(addr, size, true, true, st.pc);
    let raw = mmu.ram.read_sized(off, size);
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
    mmu.ram.write(off, &new.to_le_bytes()[..size as usize]);
    st.set_x(i.rd, old);
    Ok(())
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

    #[test]
    fn loads_extend_by_their_rows_width_and_sign() {
        assert_eq!(extend(0x80, 1, true), 0xffff_ffff_ffff_ff80);
        assert_eq!(extend(0x80, 1, false), 0x80);
        assert_eq!(extend(0x8000_0000, 4, true), 0xffff_ffff_8000_0000);
        assert_eq!(extend(u64::MAX, 8, true), u64::MAX);
    }
}
