//! Popek and Goldberg's classification of this hart's instructions, found
//! by running them (Popek & Goldberg, "Formal Requirements for
//! Virtualizable Third Generation Architectures", CACM 17(7), 1974).
//!
//! Every row of the instruction table, and every CSR address read and
//! written, is executed on a real [`Hart`] from prepared states, in S-mode
//! and in U-mode, one [`Hart::step`] each, with nothing delegated so that
//! every trap comes back as [`Exit::Trap`]. What happened decides its class,
//! not a list:
//! - **privileged**: an illegal instruction in U-mode from every state, and
//!   it runs in S-mode from some state;
//! - **control-sensitive**: a run that did not trap changed the privileged
//!   state (the privilege level, an S-level CSR) or the translation (a
//!   stale TLB entry is gone afterwards);
//! - **behaviour-sensitive**: two runs that did not trap, from states that
//!   differ only in the privilege level, only in the privileged state
//!   (each S-level CSR), or only in where memory is (two Sv39 placements
//!   of the same virtual memory), gave different results (registers, `pc`,
//!   memory, or privileged state changed differently);
//! - **innocuous**: none of these.
//!
//! An instruction is *user-sensitive* when it is sensitive in a U-mode run
//! (it changes the privileged state there, or its U-mode result depends on
//! the privileged state or on placement): the hybrid monitor of Theorem 3
//! runs virtual U-mode directly, so only those matter to it. Theorem 1
//! holds when every sensitive instruction is privileged, Theorem 3 when
//! every user-sensitive one is.
//!
//! The states: registers all holding a data address, or all ones (which
//! makes memory accesses fault: a fault in both modes is no evidence of
//! anything); for a CSR write, each single-bit source value and every
//! 5-bit immediate too; privileged state A (interrupts off, SSIP pending,
//! nothing enabled) or B (every writable S-level field different); bare
//! memory, or Sv39 at two placements.

use crate::csr::{
    MSTATUS_RESET, SATP_MODE_SV39, SSIP, SSTATUS_MXR, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP,
    SSTATUS_SUM, S_INTERRUPTS,
};
use crate::devices::NoDevices;
use crate::hart::{ArchState, Exit, Hart};
use crate::isa::{self, Format, Insn, Kind, Op, TABLE};
use crate::privileged::{Core, Isa, Priv};
use crate::ram::RAM_BASE;
use crate::sv39::PAGE_SIZE;
use crate::trap::{Exception, Trap};

/// RAM of the hart the instructions run on.
const RAM: u64 = 256 << 10;
/// Bare memory: the instruction's page and the data page.
const CODE: u64 = RAM_BASE + 0x1000;
const DATA: u64 = RAM_BASE + 0x2000;
/// Sv39: the virtual pages (code, data, the translation probe's) ...
const VCODE: u64 = 0x4000_0000;
const VDATA: u64 = VCODE + PAGE_SIZE;
const VPROBE: u64 = VCODE + 2 * PAGE_SIZE;
/// ... and the two placements of the same virtual memory: page tables
/// (root, level 1, level 0), then code, data, the probe's old and new
/// frame, from each base.
const PLACEMENTS: [u64; 2] = [RAM_BASE + 0x10000, RAM_BASE + 0x20000];
/// Where the translation probe's `ld x30, 0(x31)` sits in the code page.
const PROBE_OFFSET: u64 = 0x800;
/// What the probe page holds before and after its PTE is rewritten.
const OLD_MARK: u64 = 0x01d_01d_01d;
const NEW_MARK: u64 = 0x0e3_0e3_0e3;
/// The bytes of the data page compared after a run (registers point at its
/// 0x100).
const DATA_SEEN: usize = 0x200;

/// The privileged state a run starts from (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Control {
    A,
    B,
    /// A with one S-level field as in B (which one: an index into
    /// [`FIELDS`]), to name what a result depends on.
    AWith(usize),
}

/// The S-level fields B changes, by the name a reader knows them by.
const FIELDS: [&str; 9] = [
    "sstatus", "sie", "sip", "stvec", "sscratch", "sepc", "scause", "stval", "satp",
];

/// Memory: bare, or Sv39 at placement 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Paging {
    Bare,
    Sv39(usize),
}

impl Paging {
    fn code(self) -> u64 {
        match self {
            Paging::Bare => CODE,
            Paging::Sv39(_) => VCODE,
        }
    }

    fn data(self) -> u64 {
        match self {
            Paging::Bare => DATA,
            Paging::Sv39(_) => VDATA,
        }
    }

    /// The physical frame of the code page and of the data page.
    fn frames(self) -> (u64, u64) {
        match self {
            Paging::Bare => (CODE, DATA),
            Paging::Sv39(p) => (PLACEMENTS[p] + 3 * PAGE_SIZE, PLACEMENTS[p] + 4 * PAGE_SIZE),
        }
    }
}

/// Registers for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Regs {
    /// Every register (x1-x31) holds the data page's address + 0x100.
    Data,
    /// Every register holds all ones.
    Ones,
    /// As `Data`, with `a1` (the CSR instructions' source) = this value.
    Source(u64),
}

/// What one run showed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    trap: Option<Trap>,
    x: [u64; 32],
    pc: u64,
    data: Vec<u8>,
    privilege_before: Priv,
    core: Core,
    /// Sv39 runs: what a load through a stale TLB entry gives afterwards.
    translation: Option<Result<u64, Trap>>,
}

impl Seen {
    fn ran(&self) -> bool {
        self.trap.is_none()
    }

    /// The privileged state as S-mode software reads it (with the
    /// privilege level), which a run must leave alone to be innocuous.
    fn control(&self) -> [(&'static str, u64); 12] {
        self.core.s_view()
    }

    /// The result a program can see: registers, `pc`, memory.
    fn result(&self) -> (&[u64; 32], u64, &[u8]) {
        (&self.x, self.pc, &self.data)
    }
}

/// How an instruction fared in one mode, over every state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Runs {
    /// Runs that retired it.
    pub ran: u32,
    /// Runs where it was an illegal instruction.
    pub illegal: u32,
    /// Runs where it raised another exception (an `ecall`, a fault).
    pub trapped: u32,
}

impl Runs {
    fn add(&mut self, trap: Option<Trap>) {
        match trap {
            None => self.ran += 1,
            Some(Trap::Exception {
                cause: Exception::IllegalInstruction,
                ..
            }) => self.illegal += 1,
            Some(_) => self.trapped += 1,
        }
    }

    /// `runs`, `illegal`, `traps`, or the mix, for the table.
    pub fn text(&self) -> &'static str {
        match (self.ran > 0, self.illegal > 0, self.trapped > 0) {
            (true, false, _) => "runs",
            (false, true, false) => "illegal",
            (false, false, true) => "traps",
            (false, true, true) => "illegal/traps",
            (true, true, _) => "runs/illegal",
            (false, false, false) => "-",
        }
    }
}

/// One classified instruction: a row of the table, or a CSR read (`csrr
/// NAME`: the Zicsr forms that write nothing) or written (`csrw NAME`: the
/// forms that write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    /// The CSR number, for a CSR's rows.
    pub csr: Option<u16>,
    pub in_s: Runs,
    pub in_u: Runs,
    /// Why it is control-sensitive (the first run that showed it).
    pub control: Option<String>,
    /// Why it is behaviour-sensitive.
    pub behaviour: Option<String>,
    /// Why it is user-sensitive.
    pub user: Option<String>,
}

impl Row {
    fn new(name: String, csr: Option<u16>) -> Row {
        Row {
            name,
            csr,
            in_s: Runs::default(),
            in_u: Runs::default(),
            control: None,
            behaviour: None,
            user: None,
        }
    }

    /// Illegal in U-mode from every state, and it runs in S-mode.
    pub fn privileged(&self) -> bool {
        self.in_u.ran == 0 && self.in_u.trapped == 0 && self.in_u.illegal > 0 && self.in_s.ran > 0
    }

    pub fn sensitive(&self) -> bool {
        self.control.is_some() || self.behaviour.is_some()
    }

    /// It never ran: illegal (or trapping) in both modes from every state.
    pub fn never_runs(&self) -> bool {
        self.in_s.ran == 0 && self.in_u.ran == 0
    }

    /// Its class, as the table prints it: `privileged` (and how it is
    /// sensitive), `control-sensitive`, `behaviour-sensitive`, or
    /// `innocuous`.
    pub fn class(&self) -> String {
        let sensitive = match (&self.control, &self.behaviour) {
            (Some(_), Some(_)) => "control- and behaviour-sensitive",
            (Some(_), None) => "control-sensitive",
            (None, Some(_)) => "behaviour-sensitive",
            (None, None) => "",
        };
        match (self.privileged(), sensitive) {
            (true, "") => "privileged".into(),
            (true, s) => format!("privileged, {s}"),
            (false, "") => "innocuous".into(),
            (false, s) => s.into(),
        }
    }

    fn count(&mut self, mode: Priv, trap: Option<Trap>) {
        match mode {
            Priv::User => self.in_u.add(trap),
            _ => self.in_s.add(trap),
        }
    }

    fn note_control(&mut self, mode: Priv, what: String) {
        let why = format!("in {}-mode it {what}", mode.letter());
        if mode == Priv::User && self.user.is_none() {
            self.user = Some(why.clone());
        }
        self.control.get_or_insert(why);
    }

    fn note_behaviour(&mut self, user: bool, why: String) {
        if user && self.user.is_none() {
            self.user = Some(why.clone());
        }
        self.behaviour.get_or_insert(why);
    }
}

/// The classification of one machine variant: every row, and how many CSR
/// addresses were tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    pub isa: Isa,
    /// The instruction table's rows (but the Zicsr ones), then `csrr` and
    /// `csrw` of every CSR address that runs in some mode.
    pub rows: Vec<Row>,
    /// CSR addresses tried (all 4096, each read and written).
    pub csr_addresses: u32,
    /// Of them, those that never run, read or written, in S or U (no such
    /// CSR, or an M-level one): illegal everywhere, so innocuous.
    pub csrs_never_run: u32,
    /// Runs made.
    pub runs: u64,
}

impl Classification {
    /// Rows that break Theorem 1: sensitive and not privileged.
    pub fn theorem1_breakers(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.sensitive() && !r.privileged())
            .collect()
    }

    /// Rows that break Theorem 3: user-sensitive and not privileged.
    pub fn theorem3_breakers(&self) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.user.is_some() && !r.privileged())
            .collect()
    }

    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }
}

/// The hart the instructions run on, and its prepared memory.
struct Lab {
    hart: Hart,
    isa: Isa,
    runs: u64,
    /// What the data page holds before every run.
    data_pattern: Vec<u8>,
    /// The last run may have changed the bare data page.
    dirty: bool,
}

/// A leaf PTE: V R W X U? A D, for the frame at `pa`.
fn leaf(pa: u64, user: bool) -> u64 {
    (pa >> 12) << 10 | 0b1100_1111 | (user as u64) << 4
}

/// A pointer PTE to the table at `pa`.
fn pointer(pa: u64) -> u64 {
    (pa >> 12) << 10 | 1
}

impl Lab {
    fn new(isa: Isa) -> Lab {
        let mut hart = Hart::new(RAM);
        hart.set_translation(false);
        let data_pattern: Vec<u8> = (0..PAGE_SIZE as usize).map(|i| (i * 7 + 3) as u8).collect();
        let mut lab = Lab {
            hart,
            isa,
            runs: 0,
            data_pattern,
            dirty: true,
        };
        for base in PLACEMENTS {
            let [root, l1, l0] = [base, base + PAGE_SIZE, base + 2 * PAGE_SIZE];
            lab.write_u64(root + 8, pointer(l1)); // VPN[2] = 1: 0x4000_0000
            lab.write_u64(l1, pointer(l0));
            lab.write_u64(base + 5 * PAGE_SIZE, OLD_MARK);
            lab.write_u64(base + 6 * PAGE_SIZE, NEW_MARK);
            // The code probe word: ld x30, 0(x31).
            let ld = isa::encode(&Insn::new(Op::Ld, 30, 31, 0, 0));
            lab.hart
                .write_phys(base + 3 * PAGE_SIZE + PROBE_OFFSET, &ld.to_le_bytes());
        }
        lab
    }

    fn write_u64(&mut self, pa: u64, v: u64) {
        self.hart.write_phys(pa, &v.to_le_bytes());
    }

    /// The level-0 PTEs of placement `p` for a run in `mode` (U pages for
    /// U-mode, S pages for S-mode), the probe page at its old frame.
    fn map(&mut self, p: usize, mode: Priv) {
        let base = PLACEMENTS[p];
        let user = mode == Priv::User;
        let l0 = base + 2 * PAGE_SIZE;
        for (k, frame) in [(0, 3), (1, 4), (2, 5)] {
            self.write_u64(l0 + 8 * k, leaf(base + frame * PAGE_SIZE, user));
        }
    }

    /// The privileged core a run starts with.
    fn core(&self, mode: Priv, control: Control, paging: Paging) -> Core {
        let mut c = Core::under_see();
        c.isa = self.isa;
        c.csr.medeleg = 0;
        c.privilege = mode;
        c.csr.mstatus = MSTATUS_RESET;
        c.csr.mip = SSIP;
        c.csr.sscratch = 0x5c5c_0000;
        c.csr.sepc = paging.code() + 0x40;
        let b = |k: usize| match control {
            Control::A => false,
            Control::B => true,
            Control::AWith(j) => j == k,
        };
        if b(0) {
            c.csr.mstatus |= SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM | SSTATUS_MXR;
        }
        if b(1) {
            c.csr.mie = S_INTERRUPTS;
        }
        if b(2) {
            c.csr.mip = 0;
        }
        if b(3) {
            c.csr.stvec = paging.code() + 0x100;
        }
        if b(4) {
            c.csr.sscratch = 0xa3a3_0000;
        }
        if b(5) {
            c.csr.sepc = paging.code() + 0x80;
        }
        if b(6) {
            c.csr.scause = 5;
        }
        if b(7) {
            c.csr.stval = 0x1234;
        }
        if let Paging::Sv39(p) = paging {
            c.csr.satp = SATP_MODE_SV39 << 60 | PLACEMENTS[p] >> 12;
        }
        if b(8) {
            c.csr.satp |= 7 << 44; // an ASID
        }
        c
    }

    /// Runs `word` once: from `regs`, in `mode`, with privileged state
    /// `control`, over `paging`.
    fn run(&mut self, word: u32, regs: Regs, mode: Priv, control: Control, paging: Paging) -> Seen {
        self.runs += 1;
        let (code_pa, data_pa) = paging.frames();
        if self.dirty || paging != Paging::Bare {
            let pattern = std::mem::take(&mut self.data_pattern);
            self.hart.write_phys(data_pa, &pattern[..DATA_SEEN]);
            self.data_pattern = pattern;
        }
        self.hart.write_phys(code_pa, &word.to_le_bytes());
        let core = self.core(mode, control, paging);
        let mut x = [0; 32];
        for (r, v) in x.iter_mut().enumerate().skip(1) {
            *v = match regs {
                Regs::Ones => u64::MAX,
                Regs::Data => paging.data() + 0x100,
                Regs::Source(s) if r == 11 => s,
                Regs::Source(_) => paging.data() + 0x100,
            };
        }
        let start = ArchState {
            x,
            pc: paging.code(),
            reservation: None,
            core,
        };
        let mut dev = NoDevices;
        if let Paging::Sv39(p) = paging {
            // A TLB entry for the probe page, then its PTE moved to the
            // new frame without a fence: only what changes translation
            // makes a later load see the new frame.
            self.map(p, mode);
            self.hart.arch = start.clone();
            self.hart.flush_tlb();
            self.hart.arch.pc = VCODE + PROBE_OFFSET;
            self.hart.arch.x[31] = VPROBE;
            let _ = self.hart.step(&mut dev);
            let l0 = PLACEMENTS[p] + 2 * PAGE_SIZE;
            let user = mode == Priv::User;
            self.write_u64(l0 + 16, leaf(PLACEMENTS[p] + 6 * PAGE_SIZE, user));
        }
        self.hart.arch = start;
        let exit = self.hart.step(&mut dev);
        let trap = match exit {
            Some(Exit::Trap(t)) => Some(t),
            _ => None,
        };
        // A trap changes nothing (exec.rs); a run that retired may have
        // stored into the data page.
        self.dirty = trap.is_none();
        let mut data = vec![0; DATA_SEEN];
        self.hart.read_phys(data_pa, &mut data);
        let arch = &self.hart.arch;
        let mut seen = Seen {
            trap,
            x: arch.x,
            pc: arch.pc,
            data,
            privilege_before: mode,
            core: arch.core.clone(),
            translation: None,
        };
        if trap.is_none() && matches!(paging, Paging::Sv39(_)) {
            let arch = &mut self.hart.arch;
            arch.core.privilege = mode;
            arch.pc = VCODE + PROBE_OFFSET;
            arch.x[31] = VPROBE;
            seen.translation = Some(match self.hart.step(&mut dev) {
                Some(Exit::Trap(t)) => Err(t),
                _ => Ok(self.hart.arch.x[30]),
            });
        }
        seen
    }
}

/// The encodings a row is tried with, the registers each runs from, and
/// whether it is one of the basic trials (also run under Sv39; `full`
/// adds, for a CSR write, every single-bit source and every immediate).
fn trials(row: &RowKind, full: bool) -> Vec<(u32, Regs, bool)> {
    let word =
        |op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32| isa::encode(&Insn::new(op, rd, rs1, rs2, imm));
    match *row {
        RowKind::Op(op) => {
            let imm = match op.format() {
                Format::U => 0x1000,
                Format::Shift64 | Format::Shift32 => 3,
                Format::Fence => 0xff,
                Format::Amo | Format::Lr | Format::None => 0,
                _ => 8,
            };
            let (rs1, rs2) = if op.format() == Format::SfenceVma {
                (0, 0)
            } else {
                (11, 12)
            };
            let w = word(op, 10, rs1, rs2, imm);
            vec![(w, Regs::Data, true), (w, Regs::Ones, true)]
        }
        RowKind::CsrRead(csr) => [Op::Csrrs, Op::Csrrc, Op::Csrrsi, Op::Csrrci]
            .into_iter()
            .map(|op| (word(op, 10, 0, 0, csr as i32), Regs::Data, true))
            .collect(),
        RowKind::CsrWrite(csr) => {
            let imm = csr as i32;
            let mut t = Vec::new();
            let mut sources = vec![u64::MAX, DATA + 0x100];
            if full {
                sources.extend((0..64).map(|b| 1u64 << b));
            }
            for op in [Op::Csrrw, Op::Csrrs, Op::Csrrc] {
                for (k, &s) in sources.iter().enumerate() {
                    t.push((word(op, 10, 11, 0, imm), Regs::Source(s), k < 2));
                }
            }
            let uimms: Vec<u8> = if full {
                (0..32).rev().collect()
            } else {
                vec![31]
            };
            for op in [Op::Csrrwi, Op::Csrrsi, Op::Csrrci] {
                for &u in &uimms {
                    // csrrsi/csrrci with 0 write nothing: they are reads.
                    if u == 0 && op != Op::Csrrwi {
                        continue;
                    }
                    t.push((word(op, 10, u, 0, imm), Regs::Data, u == 31));
                }
            }
            t
        }
    }
}

/// What a row classifies.
#[derive(Clone, Copy, Debug)]
enum RowKind {
    Op(Op),
    CsrRead(u16),
    CsrWrite(u16),
}

/// The name of CSR `n` (its number in hex when it has none).
fn csr_text(n: u16) -> String {
    isa::csr_name(n).unwrap_or_else(|| format!("{n:#05x}"))
}

/// The first privileged field that differs between two views.
fn changed(
    before: &[(&'static str, u64); 12],
    after: &[(&'static str, u64); 12],
) -> Option<&'static str> {
    before
        .iter()
        .zip(after)
        .find(|(a, b)| a.1 != b.1)
        .map(|(a, _)| {
            if a.0 == "mode" {
                "the privilege level"
            } else {
                a.0
            }
        })
}

/// Classifies one row: every trial in S and U from A and B over bare
/// memory, and the basic trials at both Sv39 placements.
fn classify_row(lab: &mut Lab, kind: RowKind, name: String, full: bool) -> Row {
    let csr = match kind {
        RowKind::CsrRead(c) | RowKind::CsrWrite(c) => Some(c),
        RowKind::Op(_) => None,
    };
    let mut row = Row::new(name, csr);
    for (word, regs, basic) in trials(&kind, full) {
        // [mode][control]: S, U by A, B.
        let mut grid = Vec::new();
        for mode in [Priv::Supervisor, Priv::User] {
            let mut by_control = Vec::new();
            for control in [Control::A, Control::B] {
                let s = lab.run(word, regs, mode, control, Paging::Bare);
                row.count(mode, s.trap);
                if s.ran() {
                    let before = lab.core(mode, control, Paging::Bare).s_view();
                    if let Some(field) = changed(&before, &s.control()) {
                        row.note_control(mode, format!("changes {field}"));
                    }
                }
                by_control.push(s);
            }
            grid.push(by_control);
        }
        // The privilege level: the same state in S and in U.
        for (s, u) in grid[0].iter().zip(&grid[1]) {
            if s.ran() && u.ran() && mode_differs(s, u) {
                row.note_behaviour(
                    false,
                    "it runs in S-mode and in U-mode, with different effects".into(),
                );
            }
        }
        for (m, mode) in [Priv::Supervisor, Priv::User].into_iter().enumerate() {
            // The privileged state: A against B, then A with one field of
            // B's, to name it.
            let (a, b) = (&grid[m][0], &grid[m][1]);
            if a.ran() && b.ran() && a.result() != b.result() {
                let field = (0..FIELDS.len())
                    .find(|&k| {
                        let f = lab.run(word, regs, mode, Control::AWith(k), Paging::Bare);
                        f.ran() && f.result() != a.result()
                    })
                    .map_or("the privileged state", |k| FIELDS[k]);
                row.note_behaviour(
                    mode == Priv::User,
                    format!("in {}-mode what it does depends on {field}", mode.letter()),
                );
            }
            if !basic {
                continue;
            }
            // Where memory is: two placements of the same virtual memory.
            let p0 = lab.run(word, regs, mode, Control::A, Paging::Sv39(0));
            let p1 = lab.run(word, regs, mode, Control::A, Paging::Sv39(1));
            for p in [&p0, &p1] {
                row.count(mode, p.trap);
                if p.translation.is_some_and(|t| t != Ok(OLD_MARK)) {
                    row.note_control(
                        mode,
                        "changes translation (a stale TLB entry is gone)".into(),
                    );
                }
            }
            if p0.ran() && p1.ran() && p0.result() != p1.result() {
                row.note_behaviour(
                    mode == Priv::User,
                    format!(
                        "in {}-mode what it does depends on where memory is",
                        mode.letter()
                    ),
                );
            }
        }
    }
    row
}

/// Whether CSR `n` runs at all, read or written (the basic trials, in S
/// and U, from state A): most of the 4096 addresses name no CSR, or an
/// M-level one, and are illegal everywhere.
fn csr_runs_somewhere(lab: &mut Lab, n: u16) -> bool {
    let mut words = trials(&RowKind::CsrRead(n), false);
    words.extend(trials(&RowKind::CsrWrite(n), false));
    words.into_iter().any(|(word, regs, _)| {
        [Priv::Supervisor, Priv::User]
            .into_iter()
            .any(|mode| lab.run(word, regs, mode, Control::A, Paging::Bare).ran())
    })
}

/// Whether runs in S and U from the same state had different effects:
/// registers, `pc`, memory, or the privileged state (the privilege level
/// compared as "changed or not").
fn mode_differs(s: &Seen, u: &Seen) -> bool {
    let view = |x: &Seen| {
        let mut v = x.control();
        v[0].1 = (x.core.privilege != x.privilege_before) as u64;
        v
    };
    s.result() != u.result() || view(s) != view(u)
}

/// Classifies every instruction of the table and every CSR address on the
/// machine variant `isa`, by running them (see the module documentation).
pub fn classify(isa: Isa) -> Classification {
    let mut lab = Lab::new(isa);
    let mut rows = Vec::new();
    for spec in TABLE {
        if spec.kind == Kind::Csr {
            continue;
        }
        rows.push(classify_row(
            &mut lab,
            RowKind::Op(spec.op),
            spec.name.to_owned(),
            false,
        ));
    }
    let mut never = 0;
    for n in 0..=0xfffu16 {
        if !csr_runs_somewhere(&mut lab, n) {
            never += 1;
            continue;
        }
        let name = csr_text(n);
        rows.push(classify_row(
            &mut lab,
            RowKind::CsrRead(n),
            format!("csrr {name}"),
            false,
        ));
        rows.push(classify_row(
            &mut lab,
            RowKind::CsrWrite(n),
            format!("csrw {name}"),
            true,
        ));
    }
    Classification {
        isa,
        rows,
        csr_addresses: 0x1000,
        csrs_never_run: never,
        runs: lab.runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_machine_is_virtualizable() {
        let c = classify(Isa::Standard);
        let class = |n: &str| c.row(n).unwrap_or_else(|| panic!("no row {n}")).class();
        assert_eq!(class("add"), "innocuous");
        assert_eq!(class("ld"), "innocuous");
        assert_eq!(class("ecall"), "innocuous");
        assert_eq!(
            class("sret"),
            "privileged, control- and behaviour-sensitive"
        );
        assert!(class("csrr sstatus").starts_with("privileged"));
        assert!(class("csrw sstatus").starts_with("privileged, control"));
        assert_eq!(class("sfence.vma"), "privileged, control-sensitive");
        assert_eq!(class("csrr time"), "privileged", "scounteren = 0");
        assert_eq!(class("mret"), "innocuous", "illegal in S too");
        assert!(
            c.theorem1_breakers().is_empty(),
            "{:?}",
            c.theorem1_breakers()
        );
        assert!(c.theorem3_breakers().is_empty());
        assert_eq!(c.csr_addresses, 4096);
        assert_eq!(
            c.csrs_never_run as usize,
            4096 - c.rows.iter().filter(|r| r.csr.is_some()).count() / 2
        );
    }

    /// The classification follows the hart: on the leaky machine the two
    /// `sstatus` rows, and only they, change class, and both theorems
    /// fail, naming them.
    #[test]
    fn the_leaky_machine_breaks_both_theorems_with_sstatus() {
        let standard = classify(Isa::Standard);
        let leaky = classify(Isa::Leaky);
        let changed: Vec<&str> = standard
            .rows
            .iter()
            .zip(&leaky.rows)
            .filter(|(s, l)| s.class() != l.class())
            .map(|(s, _)| s.name.as_str())
            .collect();
        assert_eq!(changed, ["csrr sstatus", "csrw sstatus"]);
        let read = leaky.row("csrr sstatus").expect("row");
        assert!(!read.privileged());
        assert_eq!(read.in_u.text(), "runs", "PUSHF: no trap in U-mode");
        assert_eq!(
            read.user.as_deref(),
            Some("in U-mode what it does depends on sstatus")
        );
        let write = leaky.row("csrw sstatus").expect("row");
        assert_eq!(
            write.in_u.text(),
            "runs/illegal",
            "POPF: an SIE-only write runs"
        );
        assert_eq!(write.class(), "control- and behaviour-sensitive");
        let names = |rows: Vec<&Row>| rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(leaky.theorem1_breakers()),
            ["csrr sstatus", "csrw sstatus"]
        );
        assert_eq!(
            names(leaky.theorem3_breakers()),
            ["csrr sstatus", "csrw sstatus"]
        );
    }
}
