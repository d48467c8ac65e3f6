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
//!   tables with the hart's own walk ([`cpu::sv39::walk`], privileged spec
//!   4.3.2) under the guest's virtual privileged state, setting the guest's
//!   A and D bits, and either install the translation
//!   (read-only until the first write, so that D is set at the right store)
//!   or reflect the guest's own page fault. Shadows are dropped on
//!   `sfence.vma`, on `satp` writes and when SUM or MXR change.
//!
//! Device pages are never mapped: a fault there is an MMIO access, decoded
//! and performed on the guest's virtual devices (`exits::mmio`).

use cpu::hart::Priv;
use cpu::port::HartPort;
use cpu::privileged::Core;
use cpu::sv39::{self, PhysMem, Update};
use cpu::trap::Trap;

/// The kind of access that faulted: the hart's own, with the page fault,
/// access fault and misaligned exceptions each kind raises.
pub use cpu::sv39::Access;

use crate::memory::{GuestPhys, GuestRam, MachPhys, MEGAPAGE, PAGE};
use crate::vcpu::Vcpu;

/// PTE bits (privileged spec 4.3.1): the hart's own.
pub use cpu::sv39::pte;

/// Whether a guest-physical page holds a device (the machine's memory map).
pub fn is_device_page(gpa: GuestPhys) -> bool {
    let page = gpa.0 & !(PAGE - 1);
    page == 0x0010_0000 || page == 0x1000_0000
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

/// A guest's RAM as the physical memory its page tables live in: what the
/// hart's Sv39 walk ([`cpu::sv39::walk`]) reads the guest's PTEs from, and
/// writes A and D back to. Guest-physical addresses outside the guest's
/// RAM read nothing (the walk's access fault).
pub struct GuestMemory<'a, H> {
    pub ram: &'a GuestRam,
    pub hart: &'a mut H,
}

impl<H: HartPort> PhysMem for GuestMemory<'_, H> {
    fn read_pte(&self, gpa: u64) -> Option<u64> {
        let mpa = self.ram.translate(GuestPhys(gpa), 8)?;
        read_u64(self.hart, mpa)
    }

    fn write_pte(&mut self, gpa: u64, pte: u64) -> bool {
        match self.ram.translate(GuestPhys(gpa), 8) {
            Some(mpa) => write_u64(self.hart, mpa, pte),
            None => false,
        }
    }
}

fn read_u64<H: HartPort>(hart: &H, pa: MachPhys) -> Option<u64> {
    let mut b = [0u8; 8];
    hart.read_phys(pa, &mut b).then(|| u64::from_le_bytes(b))
}

fn write_u64<H: HartPort>(hart: &mut H, pa: MachPhys, v: u64) -> bool {
    hart.write_phys(pa, &v.to_le_bytes())
}

/// The rights the shadow may give the whole page of leaf `pte` (A/D as the
/// walk left them) in the guest's current virtual mode: what the hart's
/// own permission check ([`cpu::sv39::leaf_allows`]) allows, and writes
/// only once D is set, so that the first store to a clean page faults and
/// sets D at the right instruction.
pub fn shadow_rights(core: &Core, pte: u64) -> u64 {
    let allows = |acc| sv39::leaf_allows(core, pte, acc);
    let dirty = pte & pte::D != 0;
    (if allows(Access::Load) { pte::R } else { 0 })
        | (if allows(Access::Store) && dirty {
            pte::W
        } else {
            0
        })
        | (if allows(Access::Fetch) { pte::X } else { 0 })
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
    /// Tables were dropped since the real hart's TLB was last flushed for
    /// this guest: its entries for this guest's roots may be stale (a root
    /// frame is reused for new tables).
    stale: bool,
    /// Shadow translations installed / tables dropped.
    pub fills: u64,
    pub flushes: u64,
    /// Virtual `satp` = Bare is shadowed lazily too, page by page and per
    /// virtual mode, instead of by the one prebuilt table (binary
    /// translation needs every page's rights: `strategy::bt`).
    pub lazy_bare: bool,
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
    pub fn new<H: HartPort>(hart: &mut H, ram: &GuestRam, pool: MachPhys, frames: u64) -> Self {
        let mut mmu = ShadowMmu {
            pool,
            frames,
            bare_frames: 0,
            next: 0,
            s_root: None,
            u_root: None,
            active: 0,
            stale: false,
            fills: 0,
            flushes: 0,
            lazy_bare: false,
        };
        mmu.build_bare(hart, ram);
        mmu.bare_frames = mmu.next;
        mmu
    }

    fn frame(&self, n: u64) -> MachPhys {
        MachPhys(self.pool.0 + n * PAGE)
    }

    fn alloc<H: HartPort>(&mut self, hart: &mut H) -> Option<MachPhys> {
        if self.next >= self.frames {
            return None;
        }
        let f = self.frame(self.next);
        self.next += 1;
        hart.write_phys(f, &ZERO_PAGE).then_some(f)
    }

    /// Maps guest RAM with megapages, and the last partial megapage with
    /// base pages.
    fn build_bare<H: HartPort>(&mut self, hart: &mut H, ram: &GuestRam) {
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
    fn next_table<H: HartPort>(
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
    pub fn root_satp<H: HartPort>(&mut self, hart: &mut H, vcpu: &Vcpu) -> u64 {
        let root = if !vcpu.core().paging() && !self.lazy_bare {
            self.frame(0)
        } else {
            let slot = if vcpu.core().privilege == Priv::User {
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
                    if vcpu.core().privilege == Priv::User {
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

    /// The real `satp` for the guest's current virtual mode, if its shadow
    /// root is built yet (a look, for a debugger: nothing is allocated).
    pub fn shadow_satp(&self, vcpu: &Vcpu) -> Option<u64> {
        let root = if !vcpu.core().paging() {
            Some(self.frame(0))
        } else if vcpu.core().privilege == Priv::User {
            self.u_root
        } else {
            self.s_root
        };
        root.map(|r| SV39 | r.0 >> 12)
    }

    /// Points the real MMU at the right root for the guest's current state.
    /// (Switching between a guest's virtual modes changes the root.)
    ///
    /// Changing roots needs no TLB flush: the real hart keeps each `satp`'s
    /// translations apart (address-space tags, `cpu::mmu`), and a root's
    /// tables only ever gain mappings while they live. Only once tables
    /// were dropped (their frames may come back as other tables) is the
    /// TLB flushed.
    pub fn activate<H: HartPort>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        let satp = self.root_satp(hart, vcpu);
        if satp != self.active || self.stale {
            // The real MMU walks the monitor's tables for this guest now.
            hart.arch_mut().core.csr.satp = satp;
            self.active = satp;
        }
        if self.stale {
            self.flush_hart(hart);
        }
    }

    /// Like [`ShadowMmu::activate`], whatever the hart ran before (a world
    /// switch: the real `satp` is another guest's). The guest's own
    /// translations, kept apart by its roots' `satp`, are still good unless
    /// its tables were dropped while it was off the hart.
    pub fn force_activate<H: HartPort>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        self.active = 0;
        self.activate(hart, vcpu);
    }

    /// Drops every shadow translation without touching the hart (the
    /// guest is off it: the next [`ShadowMmu::force_activate`] points the
    /// real MMU at the new root and flushes its TLB).
    pub fn forget(&mut self) {
        self.drop_shadows();
        self.active = 0;
    }

    fn drop_shadows(&mut self) {
        self.s_root = None;
        self.u_root = None;
        self.next = self.bare_frames;
        self.flushes += 1;
        self.stale = true;
    }

    /// Flushes the real hart's TLB: nothing stale is left in it.
    fn flush_hart<H: HartPort>(&mut self, hart: &mut H) {
        hart.flush_tlb();
        self.stale = false;
    }

    /// Drops every shadow translation (`sfence.vma`, a `satp` write, a
    /// change of SUM or MXR) and re-points the real MMU (flushing its TLB).
    pub fn flush<H: HartPort>(&mut self, hart: &mut H, vcpu: &Vcpu) {
        self.drop_shadows();
        self.activate(hart, vcpu);
    }

    /// Installs `va`'s page → `mpa`'s page with `rights` in the current
    /// mode's shadow; `false` if the reserve is used up.
    fn install<H: HartPort>(
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
    pub fn handle_fault<H: HartPort>(
        &mut self,
        hart: &mut H,
        ram: &GuestRam,
        vcpu: &Vcpu,
        va: u64,
        access: Access,
    ) -> Fault {
        if !vcpu.core().paging() {
            // Bare: all of RAM is mapped, so this is a device or nothing.
            let gpa = GuestPhys(va);
            if is_device_page(gpa) && access != Access::Fetch {
                return Fault::Mmio(gpa);
            }
            return Fault::Reflect(access.access_fault(va));
        }
        let core = vcpu.core();
        let mut mem = GuestMemory { ram, hart };
        let (gpa, rights) = match sv39::walk(&mut mem, core, va, access, Update::AccessedDirty) {
            Ok(leaf) => (GuestPhys(leaf.pa), shadow_rights(core, leaf.pte)),
            Err(t) => return Fault::Reflect(t),
        };
        let Some(mpa) = ram.translate(GuestPhys(gpa.0 & !(PAGE - 1)), PAGE) else {
            if is_device_page(gpa) && access != Access::Fetch {
                return Fault::Mmio(gpa);
            }
            return Fault::Reflect(access.access_fault(va));
        };
        if !self.map(hart, vcpu, va, mpa, rights) {
            return Fault::Reflect(access.access_fault(va));
        }
        Fault::Filled { va, gpa, rights }
    }

    /// Removes `va`'s page from the shadow of the guest's current virtual
    /// mode, if it is there: its next access faults and is filled again.
    pub fn unmap<H: HartPort>(&mut self, hart: &mut H, vcpu: &Vcpu, va: u64) {
        let root_satp = self.root_satp(hart, vcpu);
        let mut table = MachPhys((root_satp & ((1 << 44) - 1)) << 12);
        for level in [2u32, 1] {
            let slot = MachPhys(table.0 + ((va >> (12 + 9 * level)) & 0x1ff) * 8);
            match read_u64(hart, slot) {
                Some(p) if p & pte::V != 0 && p & (pte::R | pte::W | pte::X) == 0 => {
                    table = MachPhys(((p & pte::PPN_MASK) >> 10) << 12);
                }
                _ => return,
            }
        }
        write_u64(hart, MachPhys(table.0 + ((va >> 12) & 0x1ff) * 8), 0);
        self.flush_hart(hart);
    }

    /// Maps `va`'s page → machine page `mpa` with `rights` in the shadow
    /// of the guest's current virtual mode (starting over with empty
    /// shadows if the reserve is full); `false` if even that fails.
    pub fn map<H: HartPort>(
        &mut self,
        hart: &mut H,
        vcpu: &Vcpu,
        va: u64,
        mpa: MachPhys,
        rights: u64,
    ) -> bool {
        if !self.install(hart, vcpu, va, mpa, rights) {
            // The reserve is full: start over with empty shadows.
            self.drop_shadows();
            if !self.install(hart, vcpu, va, mpa, rights) {
                return false;
            }
            self.activate(hart, vcpu);
        }
        self.flush_hart(hart);
        self.fills += 1;
        true
    }
}
