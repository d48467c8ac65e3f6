//! The guests the benchmarks run, built into the program: their assembly
//! sources are compiled in (so that `trapvisor bench` needs no source tree
//! and no tools) and assembled by trapvisor's own assembler when a
//! benchmark needs them.
//!
//! A benchmark sets its guest's parameters (which loop, how many times
//! round) by writing words of the image's `.data` before boot, found by
//! symbol, so that every run of a workload runs the very same code.

use std::path::{Component, Path, PathBuf};

use cpu::hart::RAM_BASE;
use cpu::image::Image;

use crate::BenchError;

/// An assembly source compiled into the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source {
    /// Its path in the repository (messages name it; `.include` is taken
    /// relative to it).
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! source {
    ($path:literal) => {
        Source {
            path: $path,
            text: include_str!(concat!("../../", $path)),
        }
    };
}

/// The nanobenchmarks' loops.
pub const NANO: Source = source!("measure/guests/nano.s");
/// A system-call-heavy guest.
pub const SYSCALLS: Source = source!("measure/guests/syscalls.s");
/// A page-fault-heavy guest.
pub const PAGEFAULTS: Source = source!("measure/guests/pagefaults.s");
/// CPU-bound compiled C (GCC's assembly output, see `measure/guests/README.md`).
pub const CBENCH: Source = source!("measure/guests/cbench.s");
/// The time-sharing kernel of the course.
pub const TIMESHARE: Source = source!("guest-programs/timeshare.s");
/// timeshare.s paravirtualized: the PV interface when the monitor offers it.
pub const TIMESHARE_PV: Source = source!("guest-programs/timeshare-pv.s");
/// The CPU-bound assembly guests.
pub const CRC32: Source = source!("guest-programs/bench/crc32.s");
pub const MATMUL: Source = source!("guest-programs/bench/matmul.s");
pub const SIEVE: Source = source!("guest-programs/bench/sieve.s");
pub const SORT: Source = source!("guest-programs/bench/sort.s");

/// The files the sources above `.include`.
const INCLUDES: [Source; 4] = [
    source!("guest-programs/lib/console.inc"),
    source!("guest-programs/lib/trap-frame.inc"),
    source!("guest-programs/lib/pv.inc"),
    source!("guest-programs/lib/pv-init.inc"),
];

/// `dir/rel` with `.` and `..` folded away (no file system involved).
fn join(dir: &Path, rel: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in dir.join(rel).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `src`'s text with every `.include "FILE"` replaced by FILE's text (from
/// [`INCLUDES`], relative to `src`), as the assembler would read them from
/// disk.
fn expand(src: &Source, depth: u32) -> Result<String, BenchError> {
    let mut out = String::with_capacity(src.text.len());
    for line in src.text.lines() {
        let rest = line.trim_start().strip_prefix(".include");
        let Some(name) = rest.and_then(|r| r.trim().strip_prefix('"')?.split('"').next()) else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let dir = Path::new(src.path).parent().unwrap_or(Path::new(""));
        let want = join(dir, name);
        let inc = INCLUDES
            .iter()
            .find(|i| Path::new(i.path) == want)
            .ok_or_else(|| BenchError::Assembly {
                file: src.path.into(),
                message: format!("`.include \"{name}\"`: not built into trapvisor"),
            })?;
        if depth > 8 {
            return Err(BenchError::Assembly {
                file: src.path.into(),
                message: "includes nested too deeply".into(),
            });
        }
        out.push_str(&expand(inc, depth + 1)?);
    }
    Ok(out)
}

/// Assembles `src` and loads it for a guest with `memory` bytes of RAM.
pub fn assemble(src: &Source, memory: u64) -> Result<Image, BenchError> {
    let text = expand(src, 0)?;
    let out = asm::assemble_source(src.path, &text, &Default::default()).map_err(|e| {
        BenchError::Assembly {
            file: src.path.into(),
            message: e.to_string(),
        }
    })?;
    Image::from_elf(&out.elf, RAM_BASE..RAM_BASE + memory).map_err(|e| BenchError::Assembly {
        file: src.path.into(),
        message: e.to_string(),
    })
}

/// The address of `symbol` in `image`.
pub fn symbol(image: &Image, symbol: &str) -> Result<u64, BenchError> {
    image
        .symbol(symbol)
        .map(|s| s.addr)
        .ok_or_else(|| BenchError::Symbol(symbol.into()))
}

/// Writes `value` into the 8 bytes at `symbol` of `image` (which must be
/// inside a loaded segment's file bytes: `.data`, not `.bss`).
pub fn set_u64(image: &mut Image, name: &str, value: u64) -> Result<(), BenchError> {
    let addr = symbol(image, name)?;
    let seg = image
        .segments
        .iter_mut()
        .find(|s| addr >= s.addr && addr + 8 <= s.addr + s.data.len() as u64)
        .ok_or_else(|| BenchError::Symbol(format!("{name} (not in the image's data)")))?;
    let off = (addr - seg.addr) as usize;
    seg.data[off..off + 8].copy_from_slice(&value.to_le_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_are_found_relative_to_the_source() {
        assert_eq!(
            join(Path::new("guest-programs/bench"), "../lib/console.inc"),
            Path::new("guest-programs/lib/console.inc")
        );
        let text = expand(&CRC32, 0).unwrap();
        assert!(!text.contains(".include"));
        assert!(text.contains("put_dec:"));
        let bad = Source {
            path: "x/y.s",
            text: "  .include \"nowhere.inc\"  # no\n",
        };
        let e = expand(&bad, 0).unwrap_err().to_string();
        assert!(e.contains("x/y.s") && e.contains("nowhere.inc"), "{e}");
    }

    #[test]
    fn every_built_in_source_assembles_and_parameters_are_set_by_symbol() {
        for src in [
            NANO,
            SYSCALLS,
            PAGEFAULTS,
            CBENCH,
            TIMESHARE,
            TIMESHARE_PV,
            CRC32,
            MATMUL,
            SIEVE,
            SORT,
        ] {
            assemble(&src, 16 << 20).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut img = assemble(&NANO, 4 << 20).unwrap();
        set_u64(&mut img, "iterations", 0x1122_3344_5566_7788).unwrap();
        let addr = symbol(&img, "iterations").unwrap();
        let seg = img
            .segments
            .iter()
            .find(|s| s.addr <= addr && addr < s.addr + s.data.len() as u64)
            .unwrap();
        let off = (addr - seg.addr) as usize;
        assert_eq!(
            seg.data[off..off + 8],
            0x1122_3344_5566_7788u64.to_le_bytes()
        );
        assert!(matches!(
            set_u64(&mut img, "no_such", 1),
            Err(BenchError::Symbol(_))
        ));
        // `.bss` has no bytes in the file to patch.
        assert!(symbol(&img, "leaf").is_ok());
        let e = set_u64(&mut img, "leaf", 1).unwrap_err().to_string();
        assert!(e.contains("not in the image's data"), "{e}");
    }
}
