//! One run of a set of guests, natively or under the monitor, timed from
//! boot to teardown and counted by the hart and the monitor.
//!
//! This is the only place a benchmark touches the machine: the command,
//! the criterion benches and the tests all run guests through [`run`], so
//! they run them the same way.

use cpu::devices::{Console, SharedBuffer};
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use cpu::machine::{Machine, Outcome};
use monitor::{End, GuestImage, GuestSpec, Monitor};

use crate::clock::{Span, Stamp};
use crate::counts::Counts;
use crate::env::Env;
use crate::BenchError;

/// How to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub env: Env,
    /// Each guest's RAM, in bytes.
    pub memory: u64,
    /// The monitor's preemption quantum, in instructions.
    pub quantum: u64,
    /// Hot guest code translated to host code (as `trapvisor run` does);
    /// off, everything is interpreted (`--interpret`).
    pub translation: bool,
    /// The trace digest on (as `--stats` turns it on).
    pub digest: bool,
    /// Natively only: before the guest starts, the host turns on Sv39 with
    /// an identity map of the device and RAM gigapages (S-mode pages,
    /// root in RAM's last page), so that every access is translated.
    pub identity_sv39: bool,
    /// The privileged ISA the hart implements.
    pub isa: cpu::privileged::Isa,
}

impl Setup {
    /// As `trapvisor run` runs a guest in `env` with `memory` bytes of RAM.
    pub fn new(env: Env, memory: u64) -> Setup {
        Setup {
            env,
            memory,
            quantum: monitor::DEFAULT_QUANTUM,
            translation: true,
            digest: false,
            identity_sv39: false,
            isa: cpu::privileged::Isa::Standard,
        }
    }
}

/// What one run did and took.
#[derive(Clone, Debug)]
pub struct Run {
    /// From boot to teardown.
    pub span: Span,
    pub counts: Counts,
    /// Each guest's console output.
    pub outputs: Vec<Vec<u8>>,
    /// The trace digest of each guest (with [`Setup::digest`]).
    pub digests: Vec<cpu::hart::Digest>,
    /// Under the monitor: the machine memory it laid out for the guests.
    pub machine_memory: Option<u64>,
}

/// Runs `images` (one guest each) to their ends as `setup` says. Every
/// guest must end by itself with exit code 0: anything else is an error
/// naming `what`, because a benchmark whose guest failed measured nothing.
pub fn run(what: &str, images: &[&Image], setup: &Setup) -> Result<Run, BenchError> {
    match setup.env {
        Env::Native => match images {
            [image] => native(what, image, setup),
            _ => Err(BenchError::Setup(format!(
                "{what}: {} guests natively (one machine runs one guest)",
                images.len()
            ))),
        },
        Env::Monitor(_) => {
            if setup.identity_sv39 {
                return Err(BenchError::Setup(format!(
                    "{what}: the host-made identity map is for native runs only"
                )));
            }
            monitored(what, images, setup)
        }
    }
}

fn failed(what: &str, env: Env, how: String, out: &SharedBuffer) -> BenchError {
    let text = String::from_utf8_lossy(&out.contents()).into_owned();
    BenchError::Guest {
        what: what.into(),
        env: env.name(),
        how,
        output: text,
    }
}

fn native(what: &str, image: &Image, setup: &Setup) -> Result<Run, BenchError> {
    let (console, out) = Console::buffered(&[]);
    let start = Stamp::now();
    let mut m = Machine::boot(image, setup.memory, console)
        .map_err(|e| BenchError::Setup(format!("{what}: {e}")))?;
    m.hart.set_translation(setup.translation);
    m.hart.set_digest(setup.digest);
    m.set_isa(setup.isa);
    if setup.identity_sv39 {
        identity_sv39(&mut m, setup.memory);
    }
    let report = m.run();
    let counts = Counts::native(m.hart.stats());
    drop(m);
    let span = start.elapsed();
    match report.outcome {
        Outcome::Ended(e) if e.code == 0 => {}
        o => return Err(failed(what, setup.env, o.to_string(), &out)),
    }
    Ok(Run {
        span,
        counts,
        outputs: vec![out.contents()],
        digests: vec![report.digest],
        machine_memory: None,
    })
}

/// Identity map of the device gigapage (0x0..0x4000_0000) and the RAM
/// gigapage (0x8000_0000..0xc000_0000): leaf PTEs with R, W, X, A, D
/// (S-mode pages), the root in RAM's last page; then `satp` = Sv39.
fn identity_sv39(m: &mut Machine<cpu::hart::Hart>, memory: u64) {
    const LEAF: u64 = 0xcf; // D A X W R V (U clear: S-mode pages)
    let root = RAM_BASE + memory - 4096;
    for gib in [0u64, RAM_BASE >> 30] {
        let pte = ((gib << 30) >> 12) << 10 | LEAF;
        m.hart.write_phys(root + gib * 8, &pte.to_le_bytes());
    }
    m.hart.arch.core.csr.satp = 8 << 60 | root >> 12;
    m.hart.flush_tlb();
}

fn monitored(what: &str, images: &[&Image], setup: &Setup) -> Result<Run, BenchError> {
    let mut outs = Vec::new();
    let mut specs = Vec::new();
    for (k, image) in images.iter().enumerate() {
        let (console, out) = Console::buffered(&[]);
        outs.push(out);
        specs.push(GuestSpec {
            name: format!("g{k}"),
            image: GuestImage::from(*image),
            memory: setup.memory,
            console,
            max_instructions: u64::MAX,
        });
    }
    let start = Stamp::now();
    let mut m: Monitor = Monitor::new();
    m.set_digest(setup.digest);
    m.set_translation(setup.translation);
    m.set_isa(setup.isa);
    if let Env::Monitor(strategy) = setup.env {
        m.set_strategy(strategy.monitor());
    }
    for s in specs {
        m.add_guest(s);
    }
    let machine_memory = m.machine_memory().ok();
    let reports = m
        .run(setup.quantum)
        .map_err(|e| BenchError::Setup(format!("{what}: {e}")))?;
    drop(m);
    let span = start.elapsed();
    for (r, out) in reports.iter().zip(&outs) {
        if !matches!(r.end, End::Guest(e) if e.code == 0) {
            return Err(failed(
                &format!("{what} (guest {})", r.name),
                setup.env,
                r.end.to_string(),
                out,
            ));
        }
    }
    Ok(Run {
        span,
        counts: Counts::monitored(&reports),
        outputs: outs.iter().map(|o| o.contents()).collect(),
        digests: reports.iter().filter_map(|r| r.digest).collect(),
        machine_memory,
    })
}
