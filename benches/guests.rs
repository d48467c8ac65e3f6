//! Whole-guest speed: every CPU-bound guest under `guest-programs/bench/`
//! (sieve, crc32, sort, matmul), run to its end on the native machine
//!
//! - `bare`: paging off, as `trapvisor run` runs it (hot pages translated
//!   to host code);
//! - `sv39`: the host builds an identity map of 1 GiB gigapages before the
//!   guest starts and turns Sv39 on, so that every fetch, load and store of
//!   the guest is translated;
//! - `interp`: paging off, translation off: every instruction interpreted
//!   (as `trapvisor run --interpret`);
//! - `digest`: paging off with the trace digest on (as `--stats` does;
//!   translated code adds each instruction to the digest).
//!
//! Each run's console output must equal the guest's `.expected` file: a
//! wrong result is never measured. Throughput is in guest instructions per
//! second (criterion's "elem/s"); a MIPS table is printed at the end.
//!
//! `cargo bench --bench guests`, or, without criterion (one run of each,
//! also handy under `valgrind --tool=callgrind`):
//! `GUESTS_BENCH_QUICK=1 cargo bench --bench guests [-- NAME_FILTER]`;
//! `GUESTS_BENCH_MODES=bare,sv39` picks modes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpu::devices::Console;
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use cpu::machine::{Machine, Outcome};
use criterion::{Criterion, SamplingMode, Throughput};

/// Guest RAM (as `trapvisor run`'s default).
const MEMORY: u64 = 128 << 20;
/// The Sv39 root page table: RAM's top page, which no bench guest uses.
const ROOT: u64 = RAM_BASE + MEMORY - 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Bare,
    Sv39,
    Interp,
    Digest,
}

const MODES: [Mode; 4] = [Mode::Bare, Mode::Sv39, Mode::Interp, Mode::Digest];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Bare => "bare",
            Mode::Sv39 => "sv39",
            Mode::Interp => "interp",
            Mode::Digest => "digest",
        }
    }
}

struct Guest {
    name: String,
    image: Image,
    expected: Vec<u8>,
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guest-programs/bench")
}

/// Every `guest-programs/bench/*.s`, assembled and loaded, with its
/// `.expected` output; only names containing `filter`.
fn guests(filter: &str) -> Vec<Guest> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(bench_dir())
        .expect("guest-programs/bench")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "s"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_string();
            name.contains(filter).then(|| load(&path, name))
        })
        .collect()
}

fn load(path: &Path, name: String) -> Guest {
    let elf = asm::assemble_file(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .elf;
    let image = Image::from_elf(&elf, RAM_BASE..RAM_BASE + MEMORY)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected = std::fs::read(path.with_extension("expected"))
        .unwrap_or_else(|e| panic!("{}: {e}", path.with_extension("expected").display()));
    Guest {
        name,
        image,
        expected,
    }
}

/// Identity map of the device gigapage (0x0..0x4000_0000) and the RAM
/// gigapage (0x8000_0000..0xc000_0000): leaf PTEs with R, W, X, A, D
/// (S-mode pages), root at [`ROOT`]; then `satp` = Sv39 with that root.
fn map_identity(m: &mut Machine<cpu::hart::Hart>) {
    const LEAF: u64 = 0xcf; // D A X W R V (U clear: S-mode pages)
    for gib in [0u64, RAM_BASE >> 30] {
        let pte = ((gib << 30) >> 12) << 10 | LEAF;
        assert!(m.hart.write_phys(ROOT + gib * 8, &pte.to_le_bytes()));
    }
    m.hart.arch.core.csr.satp = 8 << 60 | ROOT >> 12;
    m.hart.flush_tlb();
}

/// One full run of `g` in `mode`: retired instructions and the time spent
/// in the run loop. Panics if the output is not the expected one.
fn run_once(g: &Guest, mode: Mode) -> (u64, Duration) {
    let (console, out) = Console::buffered(b"");
    let mut m =
        Machine::boot(&g.image, MEMORY, console).unwrap_or_else(|e| panic!("{}: {e}", g.name));
    match mode {
        Mode::Bare => {}
        Mode::Sv39 => map_identity(&mut m),
        Mode::Interp => m.hart.set_translation(false),
        Mode::Digest => m.hart.set_digest(true),
    }
    let start = Instant::now();
    let report = m.run();
    let t = start.elapsed();
    assert!(
        matches!(report.outcome, Outcome::Ended(e) if e.code == 0),
        "{} ({}): {}",
        g.name,
        mode.name(),
        report.outcome
    );
    let got = out.contents();
    assert!(
        got == g.expected,
        "{} ({}): output differs from its .expected:\n{}",
        g.name,
        mode.name(),
        String::from_utf8_lossy(&got)
    );
    if mode == Mode::Digest {
        assert_eq!(report.digest.count, report.instructions);
    }
    (report.instructions, t)
}

fn modes() -> Vec<Mode> {
    match std::env::var("GUESTS_BENCH_MODES") {
        Ok(s) => MODES
            .into_iter()
            .filter(|m| s.split(',').any(|w| w.trim() == m.name()))
            .collect(),
        Err(_) => MODES.to_vec(),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The quick table: one run of each guest in each mode.
fn quick(filter: &str) {
    println!("load average before: {}", load_average());
    println!(
        "{:<8} {:<7} {:>12} {:>9} {:>8}",
        "guest", "mode", "instructions", "seconds", "MIPS"
    );
    for g in guests(filter) {
        for mode in modes() {
            let (n, t) = run_once(&g, mode);
            println!(
                "{:<8} {:<7} {:>12} {:>9.3} {:>8.1}",
                g.name,
                mode.name(),
                n,
                t.as_secs_f64(),
                n as f64 / t.as_secs_f64() / 1e6
            );
        }
    }
    println!("load average after: {}", load_average());
}

fn bench(c: &mut Criterion, filter: &str) {
    let mut table = Vec::new();
    for g in guests(filter) {
        let mut group = c.benchmark_group(format!("guests/{}", g.name));
        group.sample_size(10);
        group.sampling_mode(SamplingMode::Flat);
        group.warm_up_time(Duration::from_millis(500));
        // Ten runs of about a second each (the minimum criterion takes).
        group.measurement_time(Duration::from_secs(12));
        for mode in modes() {
            // Checks the output and counts the instructions of one run.
            let (insns, _) = run_once(&g, mode);
            group.throughput(Throughput::Elements(insns));
            let mut best = Duration::MAX;
            group.bench_function(mode.name(), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (_, t) = run_once(&g, mode);
                        best = best.min(t);
                        total += t;
                    }
                    total
                })
            });
            table.push((g.name.clone(), mode, insns, best));
        }
        group.finish();
    }
    println!(
        "\nbest run per guest and mode (load average {}):",
        load_average()
    );
    for (name, mode, n, t) in table {
        println!(
            "  {name:<8} {:<7} {:>8.1} MIPS",
            mode.name(),
            n as f64 / t.as_secs_f64() / 1e6
        );
    }
}

fn main() {
    // The first free argument (as `cargo bench -- NAME`) filters guests.
    let filter = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if std::env::var_os("GUESTS_BENCH_QUICK").is_some() {
        quick(&filter);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &filter);
    c.final_summary();
}
