//! `trapvisor asm FILE.s [-o FILE.elf] [-g] [-I DIR] [-D NAME[=VALUE]]`:
//! assemble a guest to an ELF executable with the built-in assembler
//! (`-g`: with DWARF line information for gdb).
//! The `-I`/`-D`/`--march` flags ([`AsmFlags`]) are the same wherever
//! trapvisor assembles a source (`run`, `disasm`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

#[derive(Args)]
pub struct AsmArgs {
    /// Assembly source (`.s`, or `.S` with the C preprocessor)
    pub input: PathBuf,
    /// Output ELF file (default: the input with `.elf`; `-`: standard
    /// output, which must not be a terminal)
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Address of `.text`
    #[arg(long, value_parser = parse_addr, default_value = "0x80200000")]
    pub origin: u64,
    /// Write DWARF line information (as GNU as -g does), so that gdb shows
    /// the source lines
    #[arg(short = 'g')]
    pub debug: bool,
    #[command(flatten)]
    pub flags: AsmFlags,
}

/// How sources are assembled, as GCC spells it: `-I DIR` (or `-IDIR`),
/// `-D NAME` (or `-DNAME=VALUE`).
#[derive(Args, Clone, Debug, Default)]
pub struct AsmFlags {
    /// Look for .include and #include files in DIR too (after the
    /// including file's directory), as GCC's -I
    #[arg(short = 'I', value_name = "DIR")]
    pub include: Vec<PathBuf>,
    /// Define a preprocessor macro for .S sources: NAME (as 1) or
    /// NAME=VALUE, as GCC's -D
    #[arg(short = 'D', value_name = "NAME[=VALUE]", value_parser = parse_define)]
    pub define: Vec<String>,
    /// The ISA, as GNU as's -march: rv64ima_zicsr_zifencei (the default)
    /// or rv64imac_zicsr_zifencei, whose C extension writes instructions
    /// compressed where GNU as does (the hart runs both: ELF files GCC
    /// built for rv64imac run as they are)
    #[arg(long, value_name = "ISA", value_parser = parse_march)]
    pub march: Option<bool>,
}

/// `-D NAME[=VALUE]`: NAME must be an identifier, as GCC requires (`-D =1`,
/// `-D ''` and `-D 1X` used to be taken and define nothing usable).
fn parse_define(s: &str) -> Result<String, String> {
    let name = s.split_once('=').map_or(s, |(n, _)| n);
    if name.is_empty() {
        return Err("a macro name is missing: -D NAME or -D NAME=VALUE".into());
    }
    if name.contains('(') {
        return Err(format!(
            "`{name}`: function-like macros cannot be defined with -D here: #define it in the source"
        ));
    }
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "`{name}`: macro names must be identifiers (letters, digits and _, not starting with a digit)"
        ));
    }
    Ok(s.to_string())
}

fn parse_march(s: &str) -> Result<bool, String> {
    asm::parse_march(s)
}

impl AsmFlags {
    pub fn options(&self) -> asm::Options {
        asm::Options {
            include_dirs: self.include.clone(),
            defines: self
                .define
                .iter()
                .map(|d| match d.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (d.clone(), None),
                })
                .collect(),
            compressed: self.march.unwrap_or(false),
            ..asm::Options::default()
        }
    }
}

/// Assembles `path`; its warnings go to stderr.
pub fn assemble(path: &Path, opts: &asm::Options) -> Result<asm::Output, asm::Errors> {
    let out = asm::assemble_file_with(path, opts)?;
    for w in &out.warnings {
        eprintln!("{w}");
    }
    Ok(out)
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
        debug_info: args.debug,
        ..args.flags.options()
    };
    if args.input.as_os_str() == "-" {
        eprintln!("trapvisor: {}", crate::run_cmd::STDIN_PROGRAM);
        return ExitCode::from(2);
    }
    let out = match assemble(&args.input, &opts) {
        Ok(out) => out,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    let path = args
        .output
        .unwrap_or_else(|| args.input.with_extension("elf"));
    if path.as_os_str() == "-" {
        return write_stdout(&out.elf);
    }
    if let Err(e) = std::fs::write(&path, &out.elf) {
        eprintln!("{}: cannot write: {}", path.display(), crate::io_reason(&e));
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}

/// `-o -`: the ELF on standard output, for a pipe or a redirection; a
/// terminal would only show garbage, so that is refused.
fn write_stdout(elf: &[u8]) -> ExitCode {
    use std::io::{IsTerminal, Write};
    let mut stdout = std::io::stdout().lock();
    if stdout.is_terminal() {
        eprintln!("-o -: standard output is a terminal: redirect it to a file or a pipe");
        return ExitCode::from(2);
    }
    match stdout.write_all(elf).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(141),
        Err(e) => {
            eprintln!(
                "-o -: cannot write to standard output: {}",
                crate::io_reason(&e)
            );
            ExitCode::from(2)
        }
    }
}
