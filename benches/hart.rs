//! Hart speed: a CPU-bound loop (ALU, multiply, loads, stores, branches)
//! built with `isa::encode`, run natively in bare mode and in U-mode under
//! Sv39 with 4 KiB pages (the monitor's situation). Throughput is reported in
//! guest instructions per second (criterion's "elem/s" = instructions/s).
//!
//! `cargo bench --bench hart`

use std::hint::black_box;
use std::time::{Duration, Instant};

use cpu::hart::{Exit, Hart, NoDevices, Priv, RAM_BASE};
use cpu::isa::{encode, Insn, Op};
use criterion::{criterion_group, Criterion, Throughput};

const RAM: u64 = 8 << 20;
const DATA: u64 = RAM_BASE + 0x10000;
const ROOT: u64 = RAM_BASE + 0x40_0000;
/// Guest instructions per measured run.
const INSNS: u64 = 20_000_000;

fn insn(w: &mut Vec<u32>, op: Op, rd: u8, rs1: u8, rs2: u8, imm: i32) {
    w.push(encode(&Insn::new(op, rd, rs1, rs2, imm)));
}

/// A checksum loop over 512 doublewords, forever: 14 instructions per
/// element, of which 2 loads/stores, 1 multiply, 2 branches.
fn program() -> Vec<u8> {
    let mut w = Vec::new();
    // s0 = DATA (lui + addiw: DATA fits in 32 bits signed? no: use lui of
    // the upper part then zero-extend with slli/srli).
    insn(&mut w, Op::Lui, 8, 0, 0, (DATA as u32 & 0xffff_f000) as i32);
    insn(&mut w, Op::Slli, 8, 8, 0, 32);
    insn(&mut w, Op::Srli, 8, 8, 0, 32);
    insn(&mut w, Op::Addi, 9, 0, 0, 512); // s1 = n
    insn(&mut w, Op::Addi, 10, 0, 0, 1); // a0 = checksum
                                         // outer (index 5):
    insn(&mut w, Op::Addi, 5, 0, 0, 0); // t0 = i
    insn(&mut w, Op::Addi, 6, 8, 0, 0); // t1 = p
                                        // inner (index 7):
    insn(&mut w, Op::Ld, 7, 6, 0, 0); // t2 = *p
    insn(&mut w, Op::Add, 7, 7, 5, 0); // t2 += i
    insn(&mut w, Op::Xor, 28, 7, 10, 0); // t3 = t2 ^ a0
    insn(&mut w, Op::Slli, 29, 28, 0, 3);
    insn(&mut w, Op::Srli, 30, 28, 0, 5);
    insn(&mut w, Op::Mul, 31, 28, 5, 0);
    insn(&mut w, Op::Add, 10, 10, 29, 0);
    insn(&mut w, Op::Sub, 10, 10, 30, 0);
    insn(&mut w, Op::Add, 10, 10, 31, 0);
    insn(&mut w, Op::Sd, 0, 6, 7, 0); // *p = t2
    insn(&mut w, Op::Addi, 6, 6, 0, 8);
    insn(&mut w, Op::Addi, 5, 5, 0, 1);
    insn(&mut w, Op::Blt, 0, 5, 9, -4 * 12); // to inner
    insn(&mut w, Op::Jal, 0, 0, 0, -4 * 14); // to outer
    w.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn write_pte(h: &mut Hart, table: u64, index: u64, pte: u64) {
    assert!(h.write_phys(table + index * 8, &pte.to_le_bytes()));
}

/// Identity-maps RAM's first 2 MiB with 4 KiB U pages (RWX, A, D).
fn map_user(h: &mut Hart) {
    let (l1, l0) = (ROOT + 0x1000, ROOT + 0x2000);
    let va = RAM_BASE;
    write_pte(h, ROOT, (va >> 30) & 0x1ff, (l1 >> 12) << 10 | 1);
    write_pte(h, l1, (va >> 21) & 0x1ff, (l0 >> 12) << 10 | 1);
    for i in 0..512 {
        let pa = va + i * 4096;
        write_pte(h, l0, i, (pa >> 12) << 10 | 0xdf); // D A U X W R V
    }
    h.arch.core.csr.satp = 8 << 60 | ROOT >> 12;
    h.flush_tlb();
}

fn hart(paged: bool) -> Hart {
    let mut h = Hart::new(RAM);
    assert!(h.write_phys(RAM_BASE, &program()));
    h.arch.pc = RAM_BASE;
    if paged {
        map_user(&mut h);
        h.arch.core.privilege = Priv::User;
    }
    h
}

/// CPU time this thread has used (Linux: `/proc/thread-self/schedstat`),
/// so that MIPS stay meaningful on a loaded machine.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `iters` × `insns` instructions; wall time and CPU time.
fn measure_both(paged: bool, iters: u64, insns: u64) -> (Duration, Option<Duration>) {
    let mut h = hart(paged);
    // Warm the decode cache and the TLB.
    assert_eq!(h.run(&mut NoDevices, 100_000), Exit::BudgetExhausted);
    let cpu0 = cpu_time();
    let start = Instant::now();
    for _ in 0..iters {
        assert_eq!(h.run(&mut NoDevices, insns), Exit::BudgetExhausted);
    }
    let t = start.elapsed();
    let cpu = cpu_time().zip(cpu0).map(|(b, a)| b - a);
    black_box(h.arch.x[10]);
    (t, cpu)
}

fn measure(paged: bool, iters: u64) -> Duration {
    measure_both(paged, iters, INSNS).0
}

/// Prints MIPS by wall time and by CPU time.
fn report(insns: u64) {
    for (name, paged) in [("bare", false), ("sv39_user", true)] {
        let (wall, cpu) = measure_both(paged, 5, insns);
        let total = (5 * insns) as f64 / 1e6;
        let by_cpu = cpu.map_or(f64::NAN, |c| total / c.as_secs_f64());
        println!(
            "hart/{name}: {:.0} MIPS (wall), {by_cpu:.0} MIPS (thread CPU time)",
            total / wall.as_secs_f64()
        );
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("hart");
    g.throughput(Throughput::Elements(INSNS));
    g.sample_size(10);
    g.bench_function("bare", |b| b.iter_custom(|iters| measure(false, iters)));
    g.bench_function("sv39_user", |b| b.iter_custom(|iters| measure(true, iters)));
    g.finish();
    report(INSNS);
}

criterion_group!(benches, bench);

/// `HART_BENCH_QUICK=N cargo bench --bench hart`: no criterion, just MIPS
/// over 5 × N instructions (also handy under `valgrind --tool=callgrind`).
fn main() {
    if let Some(n) = std::env::var("HART_BENCH_QUICK")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        report(n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
