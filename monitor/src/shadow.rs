//! Shadow paging: the page tables the real MMU walks while a guest runs.
//!
//! A guest never touches the real `satp`. The real MMU always runs it, in
//! real U-mode, through tables the monitor builds in its own reserve of
//! machine memory, out of any guest's reach:
//!
//! - virtual `satp` = Bare: one table, built once, mapping the guest's RAM
//!   (guest-physical) onto its slice of machine memory;
//! - virtual `satp` = Sv39: **shadow tables**, one per virtual mode (the
//!   U bit, SUM and MXR give S and U different rights on the same page),
//!   filled lazily: a real page fault makes the monitor walk the guest's own
//!   tables in software exactly as the hart would (privileged spec 4.3.2),
//!   setting the guest's A and D bits, and either install the translation
//!   (read-only until the first write, so that D is set at the right store)
//!   or reflect the guest's own page fault. Shadows are dropped on
//!   `sfence.vma`, on `satp` writes and when SUM or MXR change.
//!
//! Device pages are never mapped: a fault there is an MMIO access, decoded
//! and performed on the guest's virtual devices (`exits::mmio`).

use cpu::hart::Priv;
/// The kind of access that faulted: the hart's own, with the page fault,
/// access fault and misaligned exceptions each kind raises.
pub use cpu::mmu::Access;
use cpu::trap::Trap;

use crate::host::HostHart;
use crate::memory::{GuestPhys, GuestRam, MachPhys, MEGAPAGE, PAGE};
use crate::vcpu::Vcpu;

/// PTE bits (privileged spec 4.3.1).
pub mod pte {
    pub const V: u64 = 1 << 0;
    pub const R: u64 = 1 << 1;
    pub const W: u64 = 1 << 2;
    pub const X: u64 = 1 << 3;
    pub const U: u64 = 1 << 4;
    pub const G: u64 = 1 << 5;
    pub const A: u64 = 1 << 6;
    pub const D: u64 = 1 << 7;
    /// Bits 63..54: Svnapot, Svpbmt and reserved; not implemented, so a
    /// PTE with any of them set is a page fault.
    pub const RESERVED: u64 = 0x3ff << 54;
    /// The physical page number field.
    pub const PPN_MASK: u64 = ((1 << 44) - 1) << 10;
}

/// Whether a guest-physical page holds a device (MACHINE.md memory map).
pub fn is_device_page(gpa: GuestPhys) -> bool {
    let page = gpa.0 & !(PAGE - 1);
    page == 0x0010_0000 || page == 0x1000_0000
}

/// What the guest's own page tables say about one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// Allowed: the guest-physical address, and the rights the shadow may
    /// give the whole page in the current virtual mode.
    Ok { gpa: GuestPhys, rights: u64 },
    /// The guest takes this exception (page fault or access fault).
    Fault(Trap),
}

/// What the monitor did about a real page fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A translation was installed: run the instruction again.
    Filled {
        va: u64,
        gpa: GuestPhys,
        rights: u64,
    },
    /// The guest would have faulted natively: reflect this trap.
    Reflect(Trap),
    /// The access is for a device: emulate it.
    Mmio(GuestPhys),
}

/// The virtual-memory context a walk happens in.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub satp_root: u64,
    pub mode: Priv,
    pub sum: bool,
    pub mxr: bool,
}

impl Context {
    pub fn of(vcpu: &Vcpu) -> Context {
        Context {
            satp_root: vcpu.satp_root(),
            mode: vcpu.mode,
            sum: vcpu.sum(),
            mxr: vcpu.mxr(),
        }
    }
}

fn read_u64<H: HostHart>(hart: &H, pa: MachPhys) -> Option<u64> {
    let mut b = [0u8; 8];
    hart.read_phys(pa.0, &mut b).then(|| u64::from_le_bytes(b))
}

fn write_u64<H: HostHart>(hart: &mut H, pa: MachPhys, v: u64) -> bool {
    hart.write_phys(pa.0, &v.to_le_bytes())
}

/// Walks the guest's Sv39 tables for `va` (privileged spec 4.3.2),
/// honouring U, SUM and MXR for the current virtual mode. With `update`,
/// sets A (and D for a store) in the guest's leaf PTE, as the hart's
/// hardware A/D update does.
pub fn walk<H: HostHart>(
    hart: &mut H,
    ram: &GuestRam,
    cx: Context,
    va: u64,
    access: Access,
    update: bool,
) -> Walk {
    let fault = Walk::Fault(access.page_fault(va));
    // Bits 63..39 must all equal bit 38.
    if ((va as i64) << 25 >> 25) as u64 != va {
        return fault;
    }
    let mut table = cx.satp_root;
    let mut level = 2usize;
    loop {
        let idx = (va >> (12 + 9 * level)) & 0x1ff;
        let pte_gpa = GuestPhys(table + idx * 8);
        let Some(pte_pa) = ram.translate(pte_gpa, 8) else {
            return Walk::Fault(access.access_fault(va));
        };
        let Some(pte) = read_u64(hart, pte_pa) else {
            return Walk::Fault(access.access_fault(va));
        };
        if pte & pte::V == 0 || (pte & pte::R == 0 && pte & pte::W != 0) {
            return fault;
        }
        if pte & pte::RESERVED != 0 {
            return fault;
        }
        let ppn = (pte & pte::PPN_MASK) >> 10;
        if pte & (pte::R | pte::X) == 0 {
            // A pointer to the next level.
            if level == 0 || pte & (pte::A | pte::D | pte::U) != 0 {
                return fault;
            }
            level -= 1;
            table = ppn << 12;
            continue;
        }
        // A leaf: check the rights of the current mode.
        let (r, w, x, u) = (
            pte & pte::R != 0,
            pte & pte::W != 0,
            pte & pte::X != 0,
            pte & pte::U != 0,
        );
        let (data_ok, exec_ok) = match cx.mode {
            Priv::User => (u, u),
            _ => (!u || cx.sum, !u),
        };
        let readable = data_ok && (r || (cx.mxr && x));
        let writable = data_ok && w;
        let executable = exec_ok && x;
        let allowed = match access {
            Access::Fetch => executable,
            Access::Load => readable,
            Access::Store => writable,
        };
        if !allowed {
            return fault;
        }
        // A superpage's low PPN fields must be zero.
        let low = (1u64 << (9 * level)) - 1;
        if ppn & low != 0 {
            return fault;
        }
        let mut new = pte | pte::A;
        if access == Access::Store {
            new |= pte::D;
        }
        if update && new != pte && !write_u64(hart, pte_pa, new) {
            return Walk::Fault(access.access_fault(va));
        }
        let page_off = va & ((PAGE << (9 * level)) - 1);
        let gpa = GuestPhys((ppn << 12) | page_off);
        let dirty = new & pte::D != 0;
        let rights = (if readable { pte::R } else { 0 })
            | (if writable && dirty { pte::W } else { 0 })
            | (if executable { pte::X } else { 0 });
        return Walk::Ok { gpa, rights };
    }
}

/// One guest's real page tables, in the monitor's reserve.
#[derive(Clone, Debug)]
pub struct ShadowMmu {
    /// The first frame of this guest's reserve.
    pool: MachPhys,
    /// Frames in the reserve.
    frames: u64,
    /// The Bare-mode table occupies the first `bare_frames` frames.
    bare_frames: u64,
    /// Next free frame for shadow tables.
    next: u64,
    /// Shadow roots for virtual S-mode and virtual U-mode, built on demand.
    s_root: Option<MachPhys>,
    u_root: Option<MachPhys>,
    /// The `satp` the real hart was last given for this guest.
    active: u64,
    /// Shadow translations installed / tables dropped.
    pub fills: u64,
    pub flushes: u64,
}

const SV39: u64 = 8 << 60;
const ZERO_PAGE: [u8; PAGE as usize] = [0; PAGE as usize];
/// Rights of every monitor-built leaf: the guest runs in real U-mode, and
/// A/D are preset so the hart never writes the monitor's tables.
const LEAF: u64 = pte::V | pte::U | pte::A | pte::D;

impl ShadowMmu {
    /// Frames the Bare-mode table for `ram_size` bytes of RAM needs.
    pub fn bare_frames(ram_size: u64) -> u64 {
        let gigs = (cpu::hart::RAM_BASE + ram_size).div_ceil(1 << 30) - (cpu::hart::RAM_BASE >> 30);
        1 + gigs + u64::from(ram_size % MEGAPAGE != 0)
    }

    /// Builds the Bare-mode table for `ram` in the reserve starting at
    /// `pool` (`frames` frames, at least `bare_frames + 3`). `ram.base` must
    /// be megapage-aligned.
    pub fn new<H: HostHart>(hart: &mut H, ram: &GuestRam, pool: MachPhys, frames: u64) -> Self {
        let mut mmu = ShadowMmu {
            pool,
            frames,
            bare_frames: 0,
            next: 0,
            s_root: None,
            u_root: None,
            active: 0,
            fills: 0,
            flushes: 0,
        };
        mmu.build_bare(hart, ram);
        mmu.bare_frames = mmu.next;
        mmu
    }

    fn frame(&self, n: u64) -> MachPhys {
        MachPhys(self.pool.0 + n * PAGE)
    }

    fn alloc<H: HostHart>(&mut self, hart: &mut H) -> Option<MachPhys> {
        if self.next >= self.frames {
            return None;
        }
        let f = self.frame(self.next);
        self.next += 1;
        hart.write_phys(f.0, &ZERO_PAGE).then_some(f)
    }

    /// Maps guest RAM with megapages, and the last partial megapage with
    /// base pages.
    fn build_bare<H: HostHart>(&mut self, hart: &mut H, ram: &GuestRam) {
        let Some(root) = self.alloc(hart) else { return };
        let mut off = 0;
        while off < ram.size {
            let gpa = cpu::hart::RAM_BASE + off;
            let mpa = ram.base.0 + off;
            let l1 = self.next_table(hart, root, gpa, 2);
            let Some(l1) = l1 else { return };
            if ram.size - off >= MEGAPAGE {
                let leaf = (mpa >> 12) << 10 | LEAF | pte::R | pte::W | pte::X;
                write_u64(hart, MachPhys(l1.0 + ((gpa >> 21) & 0x1ff) * 8), leaf);
                off += MEGAPAGE;
            } else {
                let Some(l0) = self.next_table(hart, l1, gpa, 1) else {
                    return;
                };
                write_u64(
                    hart,
                    MachPhys(l0.0 + ((gpa >> 12) & 0x1ff) * 8),
                    (mpa >> 12) << 10 | LEAF | pte::R | pte::W | pte::X,
                );
                off += PAGE;
            }
        }
    }

    /// The table the PTE for `va` at `level` of `table` points to,
    /// allocating it if the PTE is invalid.
    fn next_table<H: HostHart>(
        &mut self,
        hart: &mut H,
        table: MachPhys,
        va: u64,
        level: u32,
    ) -> Option<MachPhys> {
        let slot = MachPhys(table.0 + ((va >> (12 + 9 * level)) & 0x1ff) * 8);
        let pte = read_u64(hart, slot)?;
        if pte & pte::V != 0 {
            return Some(MachPhys(((pte & pte::PPN_MASK) >> 10) << 12));
        }
        let t = self.alloc(hart)?;
        write_u64(hart, slot, (t.0 >> 12) << 10 | pte::V).then_some(t)
    }

    /// The real `satp` for the guest's current virtual mode and `satp`.
    pub fn root_satp<H: HostHart>(&mut self, hart: &mut H, vcpu: &Vcpu) -> u64 {
        let root = if !vcpu.paging() {
            self.frame(0)
        } else {
            let slot = if vcpu.mode == Priv::User {
                self.u_root
            } else {
                self.s_root
            };
            match slot {
                Some(r) => r,
                None => {
                    let r = match self.alloc(hart) {
                        Some(r) => r,
                        None => {
                            self.drop_shadows();
                            self.alloc(hart).unwrap_or(self.frame(0))
                        }
                    };
                    if vcpu.mode == Priv::User {
                        self.u_root = Some(r);
                    } else {
                        self.s_root = Some(r);
                    }
                    r
                }
            }
        };
        SV39 | root.0 >> 12
    }

    /// Points the real MMU at the right root for the guest's current state.
    /// (Switching between a guest's virtual modes changes the root.)
    pub fn activate<H: HostHart>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        let satp = self.root_satp(hart, vcpu);
        if satp != self.active {
            hart.set_satp(satp);
            self.active = satp;
        }
    }

    /// Like [`ShadowMmu::activate`], whatever the hart ran before (a world
    /// switch: another guest's translations are in the TLB).
    pub fn force_activate<H: HostHart>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        self.active = 0;
        self.activate(hart, vcpu);
    }

    fn drop_shadows(&mut self) {
        self.s_root = None;
        self.u_root = None;
        self.next = self.bare_frames;
        self.flushes += 1;
    }

    /// Drops every shadow translation (`sfence.vma`, a `satp` write, a
    /// change of SUM or MXR) and re-points the real MMU.
    pub fn flush<H: HostHart>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        self.drop_shadows();
        self.activate(hart, vcpu);
        hart.flush_tlb();
    }

    /// Installs `va`'s page → `mpa`'s page with `rights` in the current
    /// mode's shadow; `false` if the reserve is used up.
    fn install<H: HostHart>(
        &mut self,
        hart: &mut H,
        vcpu: &Vcpu,
        va: u64,
        mpa: MachPhys,
        rights: u64,
    ) -> bool {
        let root_satp = self.root_satp(hart, vcpu);
        let root = MachPhys((root_satp & ((1 << 44) - 1)) << 12);
        let Some(l1) = self.next_table(hart, root, va, 2) else {
            return false;
        };
        let Some(l0) = self.next_table(hart, l1, va, 1) else {
            return false;
        };
        let leaf = (mpa.0 >> 12) << 10 | LEAF | rights;
        write_u64(hart, MachPhys(l0.0 + ((va >> 12) & 0x1ff) * 8), leaf)
    }

    /// Handles a real page fault at `va` for `access` while the guest runs:
    /// decides what the guest would have seen natively.
    pub fn handle_fault<H: HostHart>(
        &mut self,
        hart: &mut H,
        ram: &GuestRam,
        vcpu: &Vcpu,
        va: u64,
        access: Access,
    ) -> Fault {
        if !vcpu.paging() {
            // Bare: all of RAM is mapped, so this is a device or nothing.
            let gpa = GuestPhys(va);
            if is_device_page(gpa) && access != Access::Fetch {
                return Fault::Mmio(gpa);
            }
            return Fault::Reflect(access.access_fault(va));
        }
        let (gpa, rights) = match walk(hart, ram, Context::of(vcpu), va, access, true) {
            Walk::Ok { gpa, rights } => (gpa, rights),
            Walk::Fault(t) => return Fault::Reflect(t),
        };
        let Some(mpa) = ram.translate(GuestPhys(gpa.0 & !(PAGE - 1)), PAGE) else {
            if is_device_page(gpa) && access != Access::Fetch {
                return Fault::Mmio(gpa);
            }
            return Fault::Reflect(access.access_fault(va));
        };
        if !self.install(hart, vcpu, va, mpa, rights) {
            // The reserve is full: start over with empty shadows.
            self.drop_shadows();
            if !self.install(hart, vcpu, va, mpa, rights) {
                return Fault::Reflect(access.access_fault(va));
            }
            self.activate(hart, vcpu);
        }
        hart.flush_tlb();
        self.fills += 1;
        Fault::Filled { va, gpa, rights }
    }

    /// Translates a guest virtual address for the monitor's own use
    /// (fetching an instruction, reading an SBI buffer): no A/D updates,
    /// `None` if the guest could not access it.
    pub fn translate<H: HostHart>(
        hart: &mut H,
        ram: &GuestRam,
        vcpu: &Vcpu,
        va: u64,
        access: Access,
    ) -> Option<GuestPhys> {
        if !vcpu.paging() {
            return Some(GuestPhys(va));
        }
        match walk(hart, ram, Context::of(vcpu), va, access, false) {
            Walk::Ok { gpa, .. } => Some(gpa),
            Walk::Fault(_) => None,
        }
    }
}
