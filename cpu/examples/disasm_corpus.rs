//! Writes the corpus `scripts/disasm-diff.sh` compares against objdump.
//!
//! `cargo run -p cpu --example disasm_corpus -- OUT_DIR [BASE]` writes
//! `OUT_DIR/corpus.s` (one `.insn` per word, at BASE, default 0x80200000)
//! and `OUT_DIR/ours.txt` (one line per word: hex word, tab, our text).
//!
//! The words cover every row of the instruction table with random operand
//! bits and with boundary operands (registers zero/ra/sp/gp/tp/t6,
//! immediates 0, ±1, extremes, branch and jump offsets at both ends), every
//! CSR number under every Zicsr instruction shape, every `aq`/`rl`
//! combination, every fence set, reserved fence fields, and random words
//! (mostly not instructions). The seed is fixed: the corpus is the same on
//! every run.
//!
//! It also writes `OUT_DIR/corpus-c.s` and `OUT_DIR/ours-c.txt`, for an
//! RV64IMAC program: every 16-bit parcel (all 49152 of quadrants 0-2, each
//! as `.insn 2, 0x....`), then sequences that make objdump add `# address`
//! comments to compressed instructions (`lui`/`auipc`/`c.lui` followed by
//! `c.addi`, `c.addiw`, compressed and base loads through the same
//! register).
//!
//! And `OUT_DIR/compress.s` with `OUT_DIR/compress-ours.txt`: the base
//! instruction of every legal compressed parcel and 60,000 random words
//! (biased to x8-x15 and small immediates), each written as objdump spells
//! it (branch and jump targets as `.+N`), with what `cpu::rvc::compress`
//! makes of it (the parcel, or the word kept): GNU as with C must agree.

use std::fmt::Write as _;
use std::path::PathBuf;

use cpu::disasm::{disasm, disasm_compressed};
use cpu::isa::{Format, TABLE};
use cpu::rvc;

/// xorshift64*: small, deterministic, good enough to spread operand bits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

const REGS: [u32; 6] = [0, 1, 2, 3, 4, 31];

fn rd(r: u32) -> u32 {
    r << 7
}
fn rs1(r: u32) -> u32 {
    r << 15
}
fn rs2(r: u32) -> u32 {
    r << 20
}
fn i_imm(v: i32) -> u32 {
    ((v as u32) & 0xfff) << 20
}
fn s_imm(v: i32) -> u32 {
    let v = v as u32;
    ((v >> 5) & 0x7f) << 25 | (v & 0x1f) << 7
}
fn b_imm(v: i32) -> u32 {
    let v = v as u32;
    ((v >> 12) & 1) << 31 | ((v >> 5) & 0x3f) << 25 | ((v >> 1) & 0xf) << 8 | ((v >> 11) & 1) << 7
}
fn j_imm(v: i32) -> u32 {
    let v = v as u32;
    ((v >> 20) & 1) << 31
        | ((v >> 1) & 0x3ff) << 21
        | ((v >> 11) & 1) << 20
        | ((v >> 12) & 0xff) << 12
}

/// Boundary operand fields for a row of the given format.
fn boundary_fields(format: Format) -> Vec<u32> {
    let mut out = Vec::new();
    let imms12 = [0, 1, -1, 2, 255, 2047, -2048, -2, 16];
    for &a in &REGS {
        for &b in &REGS {
            match format {
                Format::R | Format::Amo => out.push(rd(a) | rs1(b) | rs2(a ^ b)),
                Format::Lr => out.push(rd(a) | rs1(b)),
                Format::SfenceVma => out.push(rs1(a) | rs2(b)),
                Format::Csr | Format::CsrI => out.push(rd(a) | rs1(b) | (0x180 << 20)),
                _ => {}
            }
        }
        for &v in &imms12 {
            match format {
                Format::I | Format::Load | Format::Jalr => {
                    out.push(rd(a) | rs1(0) | i_imm(v));
                    out.push(rd(0) | rs1(a) | i_imm(v));
                    out.push(rd(a) | rs1(a) | i_imm(v));
                    out.push(rd(1) | rs1(a) | i_imm(v));
                }
                Format::S => out.push(rs1(a) | rs2(a ^ 1) | s_imm(v)),
                _ => {}
            }
        }
        for v in [0, 2, -2, 4, -4, 4094, -4096, 2048, -2048] {
            if format == Format::B {
                out.push(rs1(a) | rs2(0) | b_imm(v));
                out.push(rs1(0) | rs2(a) | b_imm(v));
                out.push(rs1(a) | rs2(a ^ 5) | b_imm(v));
            }
        }
        for v in [0, 2, -2, 0xf_fffe, -0x10_0000, 0x800, 0x1000] {
            if format == Format::J {
                out.push(rd(a) | j_imm(v));
            }
        }
        for v in [0u32, 1, 0x7ffff, 0x80000, 0xfffff, 0x12345] {
            if format == Format::U {
                out.push(rd(a) | v << 12);
            }
        }
        for v in [0u32, 1, 31, 32, 63] {
            match format {
                Format::Shift64 => out.push(rd(a) | rs1(a ^ 3) | v << 20),
                Format::Shift32 if v < 32 => out.push(rd(a) | rs1(a ^ 3) | v << 20),
                _ => {}
            }
        }
    }
    out
}

fn corpus() -> Vec<u32> {
    let mut rng = Rng(0x7472_6170_7669_736f); // "trapviso"
    let mut words = Vec::new();
    for spec in TABLE {
        let free = !spec.mask;
        // Random operands, all free bits.
        for _ in 0..48 {
            words.push(spec.matches | (rng.next() & free));
        }
        for fields in boundary_fields(spec.format) {
            words.push(spec.matches | (fields & free));
        }
        // Every aq/rl combination.
        if matches!(spec.format, Format::Amo | Format::Lr) {
            for aqrl in 0..4u32 {
                words.push(spec.matches | aqrl << 25 | (rng.next() & free & !(3 << 25)));
            }
        }
        // Every CSR number, with rd and rs1 zero and non-zero.
        if matches!(spec.format, Format::Csr | Format::CsrI) {
            for number in 0..4096u32 {
                let (d, s) = match number % 4 {
                    0 => (0, 0),
                    1 => (10, 0),
                    2 => (0, 11),
                    _ => (12, 13),
                };
                words.push(spec.matches | number << 20 | rd(d) | rs1(s));
            }
        }
    }
    // Every fence set, and reserved fence fields.
    for sets in 0..256u32 {
        words.push(0x0000_000f | sets << 20);
    }
    for fields in [
        0x8330_000f,
        0x8ff0_000f,
        0x1ff0_000f,
        0x0ff5_000f,
        0x0ff0_008f,
        0x0100_000f,
    ] {
        words.push(fields);
    }
    for extra in [
        0x0000_100f,
        0x0000_110f,
        0x0005_100f,
        0x0010_100f,
        0xfff0_100f,
    ] {
        words.push(extra);
    }
    // Random words: mostly not instructions (of any 32-bit length).
    let target = words.len() + 8_000;
    while words.len() < target {
        let w = rng.next() | 0b11;
        if w & 0x1f != 0x1f {
            words.push(w);
        }
    }
    words
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: disasm_corpus OUT_DIR [BASE]");
        std::process::exit(2);
    };
    let base = args
        .next()
        .and_then(|b| u64::from_str_radix(b.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x8020_0000);
    let words = corpus();
    let mut source = String::from("\t.text\n\t.globl _start\n_start:\n");
    let mut ours = String::new();
    for (i, &w) in words.iter().enumerate() {
        let pc = base + 4 * i as u64;
        let _ = writeln!(source, "\t.insn 0x{w:08x}");
        let _ = writeln!(ours, "{w:08x}\t{}", disasm(w, pc));
    }
    let write = |name: &str, text: &str| {
        if let Err(e) = std::fs::write(dir.join(name), text) {
            eprintln!("disasm_corpus: {}: {e}", dir.join(name).display());
            std::process::exit(2);
        }
    };
    write("corpus.s", &source);
    write("ours.txt", &ours);
    eprintln!("disasm_corpus: {} words at {base:#x}", words.len());

    let items = compressed_corpus();
    let mut source = String::from("\t.text\n\t.globl _start\n_start:\n");
    let mut ours = String::new();
    let mut pc = base;
    for &(bits, len) in &items {
        if len == 2 {
            let _ = writeln!(source, "\t.insn 2, 0x{bits:04x}");
            let _ = writeln!(ours, "{bits:04x}\t{}", disasm_compressed(bits as u16, pc));
        } else {
            let _ = writeln!(source, "\t.insn 0x{bits:08x}");
            let _ = writeln!(ours, "{bits:08x}\t{}", disasm(bits, pc));
        }
        pc += len;
    }
    write("corpus-c.s", &source);
    write("ours-c.txt", &ours);

    let mut source = String::from("\t.option rvc\n");
    let mut ours = String::new();
    for w in compress_corpus() {
        let kept = rvc::compress(w).map_or(format!("{w:08x}"), |p| format!("{p:04x}"));
        let insn = cpu::isa::decode(w).expect("decodable");
        let mut text = disasm(w, 0);
        if matches!(insn.op.format(), Format::B | Format::J) {
            // The target relative to the instruction: `.+N`.
            let target = format!("{:x}", insn.imm as i64 as u64);
            if let Some(i) = text.rfind(&target) {
                text.replace_range(i.., &format!(".{:+}", insn.imm));
            }
        }
        let _ = writeln!(source, "\t{}", text.replace('\t', " "));
        let _ = writeln!(ours, "{kept}");
    }
    write("compress.s", &source);
    write("compress-ours.txt", &ours);
    eprintln!(
        "disasm_corpus: {} compressed-ISA items at {base:#x}",
        items.len()
    );
}

/// Every 16-bit parcel, then address-comment sequences: (bits, length).
fn compressed_corpus() -> Vec<(u32, u64)> {
    let mut out: Vec<(u32, u64)> = (0..=0xffffu32)
        .filter(|p| p & 3 != 3)
        .map(|p| (p, 2))
        .collect();
    let mut rng = Rng(0x5eed_c0de_1234_5678);
    for _ in 0..3000 {
        let r = 8 + rng.next() % 8;
        let hi = rng.next() & 0xffff_f000;
        let imm6 = (rng.next() % 64) << 2; // a CI immediate's bits 6:2 and 12
        let ci = |base: u32| base | r << 7 | (imm6 & 0x7c) | (imm6 & 0x80) << 5;
        // Set the high part: lui, auipc or c.lui.
        match rng.next() % 3 {
            0 => out.push((0x37 | r << 7 | hi, 4)),
            1 => out.push((0x17 | r << 7 | hi, 4)),
            _ => out.push((ci(0x6001) | 1 << 2, 2)),
        }
        // Use it: c.addi, c.addiw, c.ld/c.lw, c.mv, ld, addi.
        let rp = (r - 8) << 7;
        match rng.next() % 6 {
            0 => out.push((ci(0x0001), 2)),
            1 => out.push((ci(0x2001), 2)),
            2 => out.push((0x6000 | rp | (rng.next() % 8) << 2, 2)),
            3 => out.push((0x8002 | r << 7 | 10 << 2, 2)),
            4 => out.push((0x3003 | r << 7 | r << 15 | (rng.next() & 0xfff) << 20, 4)),
            _ => out.push((0x13 | r << 7 | r << 15 | (rng.next() & 0xfff) << 20, 4)),
        }
    }
    out
}

/// Base instructions for the compress check: every legal parcel's
/// expansion, then random words (no SYSTEM or MISC-MEM: nothing there
/// compresses but `ebreak`, which the expansions cover).
fn compress_corpus() -> Vec<u32> {
    let mut words: Vec<u32> = (0..=0xffffu16).filter_map(rvc::expand).collect();
    let mut rng = Rng(0x00c0_ffee_1234_5678);
    let mut n = 0;
    while n < 60_000 {
        let mut w = rng.next() | 3;
        if n % 2 == 0 {
            // Small immediates.
            w &= if n % 4 == 0 { 0xffff_ffff } else { 0x03ff_ffff };
        }
        if n % 3 == 0 {
            // rd and rs1 among x8-x15.
            w = (w & !0x000f_8f80) | ((w >> 7) & 7 | 8) << 7 | ((w >> 15) & 7 | 8) << 15;
        }
        if cpu::isa::decode(w).is_ok() && !matches!(w & 0x7f, 0x73 | 0x0f) {
            words.push(w);
            n += 1;
        }
    }
    words
}
