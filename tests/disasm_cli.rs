//! `trapvisor disasm` through the built binary: sources and ELFs give the
//! objdump-style listing, bad input exits 2 naming the file.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn disasm(file: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .arg("disasm")
        .arg(file)
        .current_dir(root())
        .output()
        .expect("the trapvisor binary runs")
}

#[test]
fn a_source_is_assembled_then_listed_with_labels() {
    let out = disasm("guest-programs/hello.s");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Disassembly of section .text:"), "{text}");
    assert!(text.contains("0000000080200000 <_start>:"), "{text}");
    // The first instruction of hello.s sets up the stack pointer.
    assert!(
        text.contains("80200000:\t00003117          \tauipc\tsp,0x3"),
        "{text}"
    );
}

#[test]
fn an_elf_lists_the_same_as_its_source() {
    let dir = std::env::temp_dir().join(format!("trapvisor-disasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let elf = dir.join("hello.elf");
    let status = Command::new(env!("CARGO_BIN_EXE_trapvisor"))
        .args(["asm", "guest-programs/hello.s", "-o"])
        .arg(&elf)
        .current_dir(root())
        .status()
        .unwrap();
    assert!(status.success());
    let from_elf = disasm(elf.to_str().unwrap());
    let from_source = disasm("guest-programs/hello.s");
    let body = |o: &Output| {
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        // Skip the header line naming the file.
        text.split_once("Disassembly")
            .map(|(_, b)| b.to_string())
            .unwrap()
    };
    assert_eq!(body(&from_elf), body(&from_source));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn assembly_errors_and_missing_files_exit_2_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("trapvisor-disasm-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.s");
    std::fs::write(&bad, "_start:\n  addx a0, a1\n").unwrap();
    let out = disasm(bad.to_str().unwrap());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.s:2:3: unknown instruction `addx`"),
        "{err}"
    );

    let out = disasm("no/such/file.elf");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.elf"));
    std::fs::remove_dir_all(&dir).ok();
}
