//! `trapvisor asm FILE.s [-o FILE.elf]`: assemble a guest to an ELF
//! executable with the built-in assembler.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct AsmArgs {
    /// Assembly source (`.s`, or `.S` with the C preprocessor subset)
    pub input: PathBuf,
    /// Output ELF file (default: the input with `.elf`)
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Address of `.text`
    #[arg(long, value_parser = parse_addr, default_value = "0x80200000")]
    pub origin: u64,
}

fn parse_addr(s: &str) -> Result<u64, String> {
    let t = s.replace('_', "");
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => t.parse(),
    }
    .map_err(|e| format!("bad address `{s}`: {e}"))
}

pub fn run(args: AsmArgs) -> ExitCode {
    let opts = asm::Options {
        origin: args.origin,
    };
    let out = match asm::assemble_file_with(&args.input, &opts) {
        Ok(out) => out,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    let path = args
        .output
        .unwrap_or_else(|| args.input.with_extension("elf"));
    if let Err(e) = std::fs::write(&path, &out.elf) {
        eprintln!("{}: cannot write: {e}", path.display());
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
