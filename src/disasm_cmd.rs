//! `trapvisor disasm FILE`: an objdump-style listing of a program's code.
//!
//! FILE is an ELF executable, or an assembly source (`.s`, `.S`) that is
//! assembled first. The output matches `riscv64-unknown-elf-objdump -d` for
//! an RV64IMA or RV64IMAC program (compressed parcels are listed as
//! instructions when the ELF's `.riscv.attributes`, or without them its
//! `EF_RISCV_RVC` flag, say the ISA has C): addresses, raw bits, `<symbol>:`
//! labels, targets and address comments with `<symbol+0x..>`.
//!
//! Any other file is a raw image, as `trapvisor run` loads it: all of it is
//! listed as code from `0x8020_0000`, as `objdump -D -b binary -m
//! riscv:rv64 --adjust-vma=0x80200000` lists it (one section, `.data`, no
//! symbols).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cpu::disasm::Listing;
use cpu::image;

#[derive(clap::Args)]
pub struct Args {
    /// An ELF executable, an assembly source (.s, .S), or a raw image
    /// (any other file, listed from 0x80200000 as `trapvisor run` loads it)
    pub file: PathBuf,
    #[command(flatten)]
    pub asm: crate::asm_cmd::AsmFlags,
}

pub fn run(args: &Args) -> ExitCode {
    match listing(&args.file, &args.asm.options()) {
        Ok(text) => {
            // A closed stdout (`trapvisor disasm x.elf | head`) is no error.
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(message) => {
            say!("trapvisor: {message}");
            ExitCode::from(2)
        }
    }
}

/// The largest file `trapvisor disasm` reads (an image, symbols, debug
/// information): beyond it is not a guest.
const DISASM_FILE_LIMIT: u64 = 1 << 30;

/// The listing of `path`, or a message naming the file and what is wrong.
fn listing(path: &Path, opts: &asm::Options) -> Result<String, String> {
    let shown = path.display();
    let elf = if is_assembly(path) {
        assemble(path, opts)?
    } else {
        crate::read_bounded(path, DISASM_FILE_LIMIT)
            .map_err(|e| format!("{shown}: cannot read: {}", crate::io_reason(&e)))?
    };
    if !is_assembly(path) && !image::is_elf(&elf) {
        return raw_listing(path, &elf);
    }
    let sections = image::code_sections(&elf).map_err(|e| format!("{shown}: {e}"))?;
    let symbols = image::symbols(&elf).map_err(|e| format!("{shown}: {e}"))?;
    let compressed = image::has_compressed(&elf).map_err(|e| format!("{shown}: {e}"))?;
    let mut out = format!("\n{shown}:     file format elf64-littleriscv\n\n");
    let mut listing = Listing::new(&symbols).with_compressed(compressed);
    for section in &sections {
        listing.section(&mut out, &section.name, section.addr, &section.data);
    }
    Ok(out)
}

/// A raw image's listing: the bytes `trapvisor run` would load, from
/// [`image::RAW_LOAD_ADDR`], in objdump's layout for `-b binary`.
fn raw_listing(path: &Path, bytes: &[u8]) -> Result<String, String> {
    let shown = path.display();
    // The same checks as loading it (any RAM that holds it will do).
    image::Image::from_raw(bytes, image::RAW_LOAD_ADDR..u64::MAX)
        .map_err(|e| format!("{shown}: {e}"))?;
    let mut out = format!("\n{shown}:     file format binary\n\n");
    // objdump reads a raw image as rv64gc: compressed parcels are
    // instructions.
    Listing::new(&[])
        .with_compressed(true)
        .section(&mut out, ".data", image::RAW_LOAD_ADDR, bytes);
    Ok(out)
}

fn is_assembly(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("s" | "S" | "asm")
    )
}

/// Assembles a source in-process; the errors already name file, line and
/// column.
fn assemble(path: &Path, opts: &asm::Options) -> Result<Vec<u8>, String> {
    crate::asm_cmd::assemble(path, opts)
        .map(|out| out.elf)
        .map_err(|errors| errors.to_string())
}
