//! The workloads, defined once for `trapvisor bench`, the criterion benches
//! and the tests: what each runs, and what each claims to do per operation.
//!
//! - [`NANO`]: the nanobenchmarks, after Adams and Agesen (ASPLOS 2006),
//!   mapped to RISC-V: one operation each, timed as the difference between
//!   a loop that does it and the same loop without it (the loops are in
//!   `measure/guests/nano.s`).
//! - [`MACRO`]: whole guests: compiled C, a system-call-heavy and a
//!   page-fault-heavy guest, the time-sharing kernel of the course (and,
//!   on request, the CPU-bound assembly guests of `guest-programs/bench`).
//! - [`SCALING`]: the guest that runs 1 to 64 times side by side.
//!
//! A loop's claims are exact counts per iteration, checked against the
//! hart's and the monitor's own counters before anything is timed: a
//! benchmark that does not do what it says fails instead of reporting.

use cpu::privileged::Isa;

use crate::env::{Env, Strategy};
use crate::guest::{self, Source};

/// One loop of `nano.s` and what one iteration of it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loop {
    /// Its header in `nano.s` (the harness writes its address to `bench`).
    pub header: &'static str,
    /// Instructions retired per iteration (the same in every environment:
    /// that is the equivalence property).
    pub instructions: u64,
    /// Traps the guest takes per iteration (the same everywhere too).
    pub traps: u64,
    /// Exits to the host per iteration natively (SBI calls to the firmware).
    pub native_exits: u64,
    /// Exits to the monitor per iteration under trap-and-emulate, shadow
    /// fills aside (see [`crate::counts::Exit::claimed`]).
    pub trap_exits: u64,
    /// Exits per iteration under binary translation: a call into the
    /// monitor for each patched instruction that runs, but one for a run
    /// of patched CSR instructions. (Under paravirtualization the loops, which do not
    /// look for the PV interface, exit as under trap-and-emulate.)
    pub bt_exits: u64,
    /// Exits per iteration under trap-and-emulate on `--isa leaky`, where
    /// a U-mode `csrr sstatus` and an `sstatus` write that changes only
    /// SIE do not trap (the flaw): fewer than [`Loop::trap_exits`] for a
    /// loop doing those, the same for every other.
    pub leaky_trap_exits: u64,
    /// Whether the loop cannot run under trap-and-emulate on `--isa
    /// leaky`: its kernel enables interrupts with `csrsi sstatus, SIE`,
    /// which that machine drops, so the operation never happens (it is
    /// not measured there).
    pub needs_sie: bool,
}

impl Loop {
    /// The exits this loop claims per iteration in `env`, on the standard
    /// ISA.
    pub fn exits(&self, env: Env) -> u64 {
        self.exits_on(env, Isa::Standard)
    }

    /// The exits this loop claims per iteration in `env` on `isa`.
    /// (Natively and under binary translation the ISA makes no difference:
    /// the guest kernel's sensitive instructions run in S-mode, or are
    /// calls into the monitor.)
    pub fn exits_on(&self, env: Env, isa: Isa) -> u64 {
        match (env, isa) {
            (Env::Native, _) => self.native_exits,
            (Env::Monitor(Strategy::Trap | Strategy::Pv), Isa::Standard) => self.trap_exits,
            (Env::Monitor(Strategy::Trap | Strategy::Pv), Isa::Leaky) => self.leaky_trap_exits,
            (Env::Monitor(Strategy::Bt), _) => self.bt_exits,
        }
    }

    /// This loop with `n` exits per iteration under trap-and-emulate on
    /// `--isa leaky`.
    const fn leaky(self, n: u64) -> Loop {
        Loop {
            leaky_trap_exits: n,
            ..self
        }
    }

    /// This loop, which enables interrupts in its kernel (see
    /// [`Loop::needs_sie`]).
    const fn needs_sie(self) -> Loop {
        Loop {
            needs_sie: true,
            ..self
        }
    }

    /// Whether the loop runs as it claims in `env` on `isa`.
    pub fn runs_in(&self, env: Env, isa: Isa) -> bool {
        !(self.needs_sie
            && isa == Isa::Leaky
            && matches!(env, Env::Monitor(Strategy::Trap | Strategy::Pv)))
    }
}

/// How a nanobenchmark is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `op` does the operation `per_iteration` times each time round;
    /// `base` is the same loop without it.
    Loops {
        op: Loop,
        base: Loop,
        per_iteration: u64,
    },
    /// Two guests running [`PLAIN`]'s loop side by side at the default
    /// quantum, against the same two run one after the other: the
    /// operation is a switch of the hart from one guest to the other
    /// (under the monitor only; natively there is one guest per machine).
    WorldSwitch,
}

/// A nanobenchmark: one operation a guest kernel does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nano {
    /// Its name on the command line and in files.
    pub name: &'static str,
    /// What the operation is, in RISC-V.
    pub title: &'static str,
    /// The x86 operation it stands for; Adams and Agesen's name for it when
    /// [`Nano::in_paper`].
    pub analogue: &'static str,
    /// Whether it is one of Adams and Agesen's seven nanobenchmarks.
    pub in_paper: bool,
    pub kind: Kind,
}

const fn l(
    header: &'static str,
    instructions: u64,
    traps: u64,
    native_exits: u64,
    trap_exits: u64,
    bt_exits: u64,
) -> Loop {
    Loop {
        header,
        instructions,
        traps,
        native_exits,
        trap_exits,
        bt_exits,
        leaky_trap_exits: trap_exits,
        needs_sie: false,
    }
}

// The loops of nano.s: per iteration, instructions, traps, native exits and
// exits under trap-and-emulate. Each count is derived in the comment from
// the loop's code: an `ecall`, `unimp` or faulting access does not retire
// (it raises an exception, privileged spec 3.3.1), an emulated instruction
// does; every privileged instruction the guest kernel runs is one exit
// under trap-and-emulate.

/// `addi s0, s0, -1; bnez s0, 1b` in S-mode.
pub const BASE: Loop = l("bench_base", 2, 0, 0, 0, 0);
/// 8 × `addi` + the loop.
pub const PLAIN: Loop = l("bench_plain", 10, 0, 0, 0, 0);
/// `jal ra, leaf_fn` → `ret` + the loop.
const CALLRET: Loop = l("bench_callret", 4, 0, 0, 0, 0);
/// `csrr t1, sscratch` + the loop: emulated (1 exit).
const CSR_READ: Loop = l("bench_csr_read", 3, 0, 0, 1, 1);
/// `csrw sie, zero` + the loop: emulated (1 exit).
const CSR_WRITE: Loop = l("bench_csr_write", 3, 0, 0, 1, 1);
/// `csrr t1, sstatus` + the loop: emulated (1 exit); on `--isa leaky`
/// under trap-and-emulate none (it reads the real `sstatus`: PUSHF).
const SSTATUS_READ: Loop = l("bench_sstatus_read", 3, 0, 0, 1, 1).leaky(0);
/// `csrsi sstatus, 2; csrci sstatus, 2` + the loop: 2 exits (under bt one
/// call performs both); on `--isa leaky` under trap-and-emulate none (the
/// writes are dropped: POPF).
const SIE_TOGGLE: Loop = l("bench_sie_toggle", 4, 0, 0, 2, 1).leaky(0);
/// `lbu t1, 5(s1)` from the UART + the loop: an MMIO exit.
const UART_READ: Loop = l("bench_uart_read", 3, 0, 0, 1, 1);
/// `ecall` (not retired) + the loop: an SBI call, an exit everywhere.
const SBI: Loop = l("bench_sbi", 2, 0, 1, 1, 1);
/// `mv a0, s9; ecall` (set_timer(0)) → interrupt → handler `li a0, -1;
/// ecall; sret` + the loop: 5 retired, 1 trap, 2 SBI calls; under the
/// monitor also the `sret` (the interrupt is injected at the SBI call's
/// exit, which costs none of its own).
const TIMER: Loop = l("bench_timer", 5, 1, 2, 3, 3).needs_sie();
/// The same loop with set_timer(never): `mv`, the loop, 1 SBI call.
const TIMER_BASE: Loop = l("bench_timer_base", 3, 0, 1, 1, 1).needs_sie();
/// The loop alone, in U-mode.
const USER_BASE: Loop = l("bench_user_base", 2, 0, 0, 0, 0);
/// `ecall` from U-mode (not retired) → handler `bnez a0; csrr sepc; addi;
/// csrw sepc; sret` + the loop: 7 retired, 1 trap; under the monitor the
/// `ecall` (reflected), `csrr`, `csrw` and `sret` exit (under bt as calls
/// or as traps: the same exits).
const SYSCALL: Loop = l("bench_syscall", 7, 1, 0, 4, 4);
/// `unimp` in U-mode, the same handler: as [`SYSCALL`].
const ILLEGAL: Loop = l("bench_illegal", 7, 1, 0, 4, 4);
/// The loop alone, in S-mode with Sv39 on.
const SV39_BASE: Loop = l("bench_sv39_base", 2, 0, 0, 0, 0);
/// Two loads that both fault (not retired until retried), each handled by
/// `csrr stval; bne; sd; sd; sfence.vma; sret` (6 retired), then retried:
/// 4 + 2 × 6 = 16 retired, 2 traps; under the monitor each fault is the
/// guest's own page fault, then `csrr`, `sfence.vma` and `sret`: 8 exits
/// (under bt too: its stores to the page table are not to code).
const PGFAULT: Loop = l("bench_pgfault", 16, 2, 0, 8, 8);
/// The same loop with both pages mapped: two loads that hit, the loop.
const PGFAULT_BASE: Loop = l("bench_pgfault_base", 4, 0, 0, 0, 0);
/// `sd` to a PTE, `sfence.vma a1` + the loop: the fence is emulated.
const PTEMOD: Loop = l("bench_ptemod", 4, 0, 0, 1, 1);

const fn nano(
    name: &'static str,
    title: &'static str,
    analogue: &'static str,
    in_paper: bool,
    op: Loop,
    base: Loop,
    per_iteration: u64,
) -> Nano {
    Nano {
        name,
        title,
        analogue,
        in_paper,
        kind: Kind::Loops {
            op,
            base,
            per_iteration,
        },
    }
}

/// The nanobenchmarks, in the order tables show them.
pub const NANO: [Nano; 14] = [
    nano(
        "plain",
        "plain instruction (addi)",
        "add",
        false,
        PLAIN,
        BASE,
        8,
    ),
    nano(
        "call-ret",
        "call and return (jal, ret)",
        "call/ret",
        true,
        CALLRET,
        BASE,
        1,
    ),
    nano(
        "syscall",
        "U-mode ecall to the kernel, sret back",
        "syscall",
        true,
        SYSCALL,
        USER_BASE,
        1,
    ),
    nano(
        "csr-read",
        "csrr sscratch",
        "cr8 read",
        false,
        CSR_READ,
        BASE,
        1,
    ),
    nano("csr-write", "csrw sie", "cr8wr", true, CSR_WRITE, BASE, 1),
    nano(
        "sstatus-read",
        "csrr sstatus",
        "pushf",
        false,
        SSTATUS_READ,
        BASE,
        1,
    ),
    nano(
        "sie-toggle",
        "sstatus.SIE on and off (csrsi, csrci)",
        "sti; cli",
        false,
        SIE_TOGGLE,
        BASE,
        1,
    ),
    nano(
        "uart-read",
        "UART register read (lbu LSR)",
        "in",
        true,
        UART_READ,
        BASE,
        1,
    ),
    nano(
        "page-fault",
        "page fault filled by the guest kernel",
        "pgfault",
        true,
        PGFAULT,
        PGFAULT_BASE,
        2,
    ),
    nano(
        "pte-mod",
        "PTE store + sfence.vma",
        "ptemod",
        true,
        PTEMOD,
        SV39_BASE,
        1,
    ),
    nano(
        "illegal",
        "illegal instruction handled by the guest (unimp)",
        "divzero",
        true,
        ILLEGAL,
        USER_BASE,
        1,
    ),
    nano(
        "sbi-call",
        "SBI call (get_spec_version)",
        "vmcall",
        false,
        SBI,
        BASE,
        1,
    ),
    nano(
        "timer",
        "timer interrupt taken, re-armed by SBI",
        "timer irq",
        false,
        TIMER,
        TIMER_BASE,
        1,
    ),
    Nano {
        name: "world-switch",
        title: "world switch between two guests",
        analogue: "VM switch",
        in_paper: false,
        kind: Kind::WorldSwitch,
    },
];

/// A whole guest, run to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Macro {
    pub name: &'static str,
    pub title: &'static str,
    pub source: Source,
    /// What it must print, exactly (natively and under the monitor).
    pub expected: &'static str,
    /// Its RAM.
    pub memory: u64,
    /// Run when no workload is named (the others only when named).
    pub default: bool,
    /// It looks for the PV interface and uses it under `pv`: there it
    /// prints the same but retires other instructions.
    pub paravirtual: bool,
}

/// The macrobenchmarks, in the order tables show them.
pub const MACRO: [Macro; 9] = [
    Macro {
        name: "c-cpu",
        title: "compiled C, CPU-bound (GCC -O2)",
        source: guest::CBENCH,
        expected: include_str!("../guests/cbench.expected"),
        memory: 4 << 20,
        default: true,
        paravirtual: false,
    },
    Macro {
        name: "syscalls",
        title: "system-call-heavy process",
        source: guest::SYSCALLS,
        expected: include_str!("../guests/syscalls.expected"),
        memory: 4 << 20,
        default: true,
        paravirtual: false,
    },
    Macro {
        name: "page-faults",
        title: "page-fault-heavy process (demand paging)",
        source: guest::PAGEFAULTS,
        expected: include_str!("../guests/pagefaults.expected"),
        memory: 8 << 20,
        default: true,
        paravirtual: false,
    },
    Macro {
        name: "timeshare",
        title: "time-sharing kernel (guest-programs/timeshare.s)",
        source: guest::TIMESHARE,
        expected: include_str!("../../guest-programs/timeshare.expected"),
        memory: 4 << 20,
        default: true,
        paravirtual: false,
    },
    Macro {
        name: "timeshare-pv",
        title: "time-sharing kernel, paravirtualized (guest-programs/timeshare-pv.s)",
        source: guest::TIMESHARE_PV,
        expected: include_str!("../../guest-programs/timeshare-pv.expected"),
        memory: 4 << 20,
        default: true,
        paravirtual: true,
    },
    Macro {
        name: "crc32",
        title: "CRC-32, assembly (guest-programs/bench)",
        source: guest::CRC32,
        expected: include_str!("../../guest-programs/bench/crc32.expected"),
        memory: 16 << 20,
        default: false,
        paravirtual: false,
    },
    Macro {
        name: "matmul",
        title: "matrix product, assembly (guest-programs/bench)",
        source: guest::MATMUL,
        expected: include_str!("../../guest-programs/bench/matmul.expected"),
        memory: 16 << 20,
        default: false,
        paravirtual: false,
    },
    Macro {
        name: "sieve",
        title: "sieve of Eratosthenes, assembly (guest-programs/bench)",
        source: guest::SIEVE,
        expected: include_str!("../../guest-programs/bench/sieve.expected"),
        memory: 16 << 20,
        default: false,
        paravirtual: false,
    },
    Macro {
        name: "sort",
        title: "quicksort, assembly (guest-programs/bench)",
        source: guest::SORT,
        expected: include_str!("../../guest-programs/bench/sort.expected"),
        memory: 16 << 20,
        default: false,
        paravirtual: false,
    },
];

/// A whole guest whose image is a file named on the command line, not built
/// in: a Linux kernel (`scripts/linux/build.sh` builds one and prints its
/// path). What it prints is not known in advance: it must print the same,
/// byte for byte, in every environment, and end with status 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMacro {
    pub name: &'static str,
    pub title: &'static str,
    /// Its RAM.
    pub memory: u64,
}

/// Linux boots, runs its init (`scripts/linux/init.c`: processes, exec,
/// demand paging, copy-on-write, a timer sleep) and powers the machine off.
pub const LINUX: FileMacro = FileMacro {
    name: "linux",
    title: "Linux 6.1: boot, init, power-off (scripts/linux)",
    memory: 128 << 20,
};

/// The guest of the scaling runs: the compiled C of `c-cpu`, with its
/// `iterations` cut down so that one copy retires about 10 M instructions
/// (5 ms or so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scaling {
    pub name: &'static str,
    pub source: Source,
    /// The value written to the guest's `iterations`.
    pub iterations: u64,
    pub memory: u64,
}

pub const SCALING: Scaling = Scaling {
    name: "c-cpu",
    source: guest::CBENCH,
    iterations: 50,
    memory: 4 << 20,
};

/// The guest counts of the scaling runs unless told otherwise.
pub const DEFAULT_GUESTS: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];

impl Nano {
    /// The loop with the operation (for the world switch: [`PLAIN`], the
    /// loop each guest runs).
    pub fn op(&self) -> Loop {
        match self.kind {
            Kind::Loops { op, .. } => op,
            Kind::WorldSwitch => PLAIN,
        }
    }
}

/// The nanobenchmark called `name`.
pub fn nano_named(name: &str) -> Option<&'static Nano> {
    NANO.iter().find(|n| n.name == name)
}

/// The macrobenchmark called `name`.
pub fn macro_named(name: &str) -> Option<&'static Macro> {
    MACRO.iter().find(|m| m.name == name)
}
