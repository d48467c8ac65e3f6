//! What virtualization costs: the same guests natively (`cpu::machine`, the
//! guest kernel in real S-mode) and under the monitor (deprivileged to
//! U-mode, every trap to the monitor).
//!
//! - `cpu-bound`: `guest-programs/bench/crc32.s` (fewer passes), native vs
//!   virtualized alone, in guest MIPS. Nothing in its loop traps, so the
//!   monitor should cost almost nothing (target: ≥ 95 % of native).
//! - `round-trip`: `benches/guests/csr_loop.s` (`csrr sscratch` in a loop:
//!   one trap-and-emulate each under the monitor) and
//!   `benches/guests/syscall_loop.s` (`ecall` from U-mode into the guest
//!   kernel and `sret` back: reflected and emulated under the monitor),
//!   against `benches/guests/plain_loop.s`, the same loop with a plain
//!   `addi`. Costs are per operation, in ns and in plain instructions.
//! - `scaling`: 1, 8 and 64 copies of a small guest side by side: wall
//!   time per guest instruction should stay flat.
//!
//! `cargo bench --bench monitor` runs criterion (small samples) and then
//! prints a summary table; `MBENCH_QUICK=1 cargo bench --bench monitor`
//! prints only the table (best of a few runs each).
//!
//! Every run compares like with like, as a user runs them: natively and
//! under the monitor, the trace digest is off (it is computed only for
//! `--stats`, and costs time on every instruction). The table also shows
//! the CPU-bound pair with the digest on in both (`--stats`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cpu::devices::Console;
use cpu::hart::RAM_BASE;
use cpu::image::Image;
use cpu::machine::Machine;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use monitor::{GuestImage, GuestSpec, Monitor};

/// Guest RAM for every run here.
const MEMORY: u64 = 4 << 20;
/// The monitor's quantum (instructions per turn on the hart).
const QUANTUM: u64 = 100_000;
/// CRC passes over 64 KiB for the CPU-bound guest (the program does 450;
/// 30 are about 20 M instructions).
const CRC_PASSES: u32 = 30;
/// Iterations of the loops in `benches/guests/` (their `.equ N`).
const LOOP_N: u64 = 300_000;
const SYSCALL_N: u64 = 100_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Assembles `path`, with `.equ` lines replaced as `patch` says.
fn image(path: &Path, patch: &[(&str, String)]) -> Image {
    let mut text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    for (from, to) in patch {
        assert!(text.contains(from), "{path:?} has no `{from}`");
        text = text.replace(from, to);
    }
    let out = asm::assemble_source(&path.to_string_lossy(), &text, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    Image::from_elf(&out.elf, RAM_BASE..RAM_BASE + MEMORY).unwrap_or_else(|e| panic!("{e}"))
}

fn crc32() -> Image {
    image(
        &root().join("guest-programs/bench/crc32.s"),
        &[(
            ".equ PASSES,      450",
            format!(".equ PASSES,      {CRC_PASSES}"),
        )],
    )
}

fn bench_guest(name: &str) -> Image {
    image(&root().join("benches/guests").join(name), &[])
}

/// One run natively: wall time (boot included) and retired instructions.
fn native(img: &Image, digest: bool) -> (Duration, u64) {
    let (console, out) = Console::buffered(&[]);
    let t = Instant::now();
    let mut m = Machine::boot(img, MEMORY, console).expect("boots");
    m.hart.set_digest(digest);
    let r = m.run();
    let wall = t.elapsed();
    assert_eq!(r.outcome.exit_status(), 0, "{:?}: {}", r.outcome, {
        String::from_utf8_lossy(&out.contents())
    });
    (wall, r.instructions)
}

fn spec(img: &Image, name: String) -> GuestSpec {
    let (console, _) = Console::buffered(&[]);
    GuestSpec {
        name,
        image: GuestImage::from(img),
        memory: MEMORY,
        console,
        max_instructions: u64::MAX,
    }
}

/// One run of `copies` copies under the monitor, no digest: wall time
/// (boot included) and retired instructions, all guests together.
fn virtualized(img: &Image, copies: usize) -> (Duration, u64) {
    virtualized_with(img, copies, false)
}

/// [`virtualized`], computing each guest's digest if `digest`.
fn virtualized_with(img: &Image, copies: usize, digest: bool) -> (Duration, u64) {
    let specs: Vec<GuestSpec> = (0..copies).map(|k| spec(img, format!("g{k}"))).collect();
    let t = Instant::now();
    let mut m: Monitor = Monitor::new();
    m.set_digest(digest);
    for s in specs {
        m.add_guest(s);
    }
    let r = m.run(QUANTUM).expect("runs");
    let wall = t.elapsed();
    for g in &r {
        assert_eq!(g.end.code(), 0, "{}: {}", g.name, g.end);
        assert_eq!(g.digest.is_some(), digest);
    }
    (wall, r.iter().map(|g| g.retired).sum())
}

/// The best (least disturbed) of `n` runs: time and instructions.
fn best(n: usize, mut f: impl FnMut() -> (Duration, u64)) -> (Duration, u64) {
    (0..n).map(|_| f()).min_by_key(|r| r.0).expect("n > 0")
}

fn iter_time(iters: u64, mut f: impl FnMut() -> (Duration, u64)) -> Duration {
    (0..iters).map(|_| f().0).sum()
}

fn cpu_bound(c: &mut Criterion) {
    let img = crc32();
    let (_, n) = native(&img, false);
    let mut g = c.benchmark_group("cpu-bound crc32");
    g.sample_size(10).throughput(Throughput::Elements(n));
    g.bench_function("native", |b| {
        b.iter_custom(|it| iter_time(it, || native(&img, false)))
    });
    g.bench_function("virtualized", |b| {
        b.iter_custom(|it| iter_time(it, || virtualized(&img, 1)))
    });
    g.finish();
}

fn round_trips(c: &mut Criterion) {
    let mut g = c.benchmark_group("round-trip");
    g.sample_size(10);
    for (name, ops) in [
        ("plain_loop.s", LOOP_N),
        ("csr_loop.s", LOOP_N),
        ("syscall_loop.s", SYSCALL_N),
    ] {
        let img = bench_guest(name);
        g.throughput(Throughput::Elements(ops));
        g.bench_function(BenchmarkId::new("native", name), |b| {
            b.iter_custom(|it| iter_time(it, || native(&img, false)))
        });
        g.bench_function(BenchmarkId::new("virtualized", name), |b| {
            b.iter_custom(|it| iter_time(it, || virtualized(&img, 1)))
        });
    }
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let img = scaling_guest();
    let mut g = c.benchmark_group("scaling");
    g.sample_size(10);
    for copies in [1usize, 8, 64] {
        let (_, n) = virtualized(&img, copies);
        g.throughput(Throughput::Elements(n));
        g.bench_function(BenchmarkId::from_parameter(copies), |b| {
            b.iter_custom(|it| iter_time(it, || virtualized(&img, copies)))
        });
    }
    g.finish();
}

/// A small guest for the scaling runs: crc32 with one pass (~0.7 M
/// instructions, prints two lines).
fn scaling_guest() -> Image {
    image(
        &root().join("guest-programs/bench/crc32.s"),
        &[(".equ PASSES,      450", ".equ PASSES,      1".into())],
    )
}

fn ns(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A loop guest from `benches/guests/` with its `.equ N` (`n`) doubled
/// when `twice`: the two runs differ by exactly `n` iterations, so their
/// difference is the loop's cost without boot and set-up.
fn loop_guest(name: &str, n: u64, twice: bool) -> Image {
    let from = format!(".equ N,           {n}");
    let to = format!(".equ N,           {}", if twice { 2 * n } else { n });
    image(&root().join("benches/guests").join(name), &[(&from, to)])
}

/// ns per loop iteration of `name`: (best time with 2n - best with n) / n.
fn per_iteration(name: &str, n: u64, run: &dyn Fn(&Image) -> (Duration, u64), runs: usize) -> f64 {
    let once = loop_guest(name, n, false);
    let twice = loop_guest(name, n, true);
    let a = best(runs, || run(&once)).0;
    let b = best(runs, || run(&twice)).0;
    (b.as_secs_f64() - a.as_secs_f64()) * 1e9 / n as f64
}

fn summary() {
    let runs = 5;
    println!(
        "\n== trapvisor monitor bench summary (best of {runs}; load average {}) ==",
        load_average()
    );
    let crc = crc32();
    let mips = |r: (Duration, u64)| r.1 as f64 / r.0.as_secs_f64() / 1e6;
    for (label, digest) in [("no digest", false), ("digest on, as --stats", true)] {
        // Interleaved, so that a burst of load hits both sides alike.
        let (mut nat, mut virt) = ((Duration::MAX, 0), (Duration::MAX, 0));
        for _ in 0..runs {
            nat = nat.min(native(&crc, digest));
            virt = virt.min(virtualized_with(&crc, 1, digest));
        }
        assert_eq!(nat.1, virt.1, "the same instructions retire either way");
        println!(
            "cpu-bound crc32, {label} ({:.1} M instructions): native {:.1} MIPS, virtualized {:.1} MIPS, virtualized/native = {:.3}",
            nat.1 as f64 / 1e6,
            mips(nat),
            mips(virt),
            mips(virt) / mips(nat)
        );
    }
    for (label, run) in [
        (
            "native",
            &(|i: &Image| native(i, false)) as &dyn Fn(&Image) -> (Duration, u64),
        ),
        ("virtualized", &|i: &Image| virtualized(i, 1)),
    ] {
        // Each iteration: the op, `addi`, `bnez`; the plain loop has a
        // plain `addi` in the op's place.
        let insn_ns = per_iteration("plain_loop.s", LOOP_N, run, runs) / 3.0;
        let csr_ns = per_iteration("csr_loop.s", LOOP_N, run, runs) - 2.0 * insn_ns;
        let sys_ns = per_iteration("syscall_loop.s", SYSCALL_N, run, runs) - 2.0 * insn_ns;
        println!(
            "{label:>11}: plain insn {insn_ns:.2} ns | csrr sscratch {csr_ns:.1} ns = {:.1}x plain | ecall -> handler (4 insns) -> sret {sys_ns:.1} ns = {:.1}x plain",
            csr_ns / insn_ns,
            sys_ns / insn_ns
        );
    }
    let small = scaling_guest();
    for copies in [1usize, 8, 64] {
        let r = best(3, || virtualized(&small, copies));
        println!(
            "scaling: {copies:>2} guests, {:.1} M instructions: {:.2} ns per guest instruction",
            r.1 as f64 / 1e6,
            ns(r.0, r.1)
        );
    }
    println!("(load average after: {})", load_average());
}

criterion_group!(benches, cpu_bound, round_trips, scaling);

fn main() {
    if std::env::var_os("MBENCH_QUICK").is_none() {
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
    summary();
}
