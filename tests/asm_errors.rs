//! Error messages: `file:line:col: message`, the source line and a caret;
//! every error of a file is reported, each where it was written (inside
//! macro expansions and included files too).

use asm::{assemble_file, assemble_source, Options};

/// The `file:line:col: message` lines for `src`.
fn errors(src: &str) -> Vec<String> {
    match assemble_source("t.s", src, &Options::default()) {
        Ok(_) => panic!("no error for:\n{src}"),
        Err(e) => e.headlines(),
    }
}

fn error(src: &str) -> String {
    let e = errors(src);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

#[test]
fn each_message() {
    let cases = [
        ("_start: addx a0, a0, 1", "t.s:1:9: unknown instruction `addx`"),
        (
            "  addi a0, a0, 5000",
            "t.s:1:16: immediate 5000 out of range for addi (-2048..2047)",
        ),
        (
            "  addi a0, a0, -2049",
            "t.s:1:16: immediate -2049 out of range for addi (-2048..2047)",
        ),
        ("  j foo", "t.s:1:5: undefined symbol `foo`"),
        ("  la a0, foo", "t.s:1:10: undefined symbol `foo`"),
        ("x:\nx:", "t.s:2:1: duplicate label `x`"),
        ("  add a0, a9, a1", "t.s:1:11: unknown register `a9`"),
        ("  lw a0, 4(x32)", "t.s:1:12: unknown register `x32`"),
        ("  add a0 a1, a2", "t.s:1:10: expected `,`"),
        (
            "  add a0, a1",
            "t.s:1:7: wrong operands for `add` (expected rd, rs1, rs2)",
        ),
        (".include \"nope.s\"", "t.s:1:10: include file `nope.s` not found"),
        (".ascii \"abc", "t.s:1:8: unterminated string"),
        (".endm", "t.s:1:1: .endm without .macro"),
        (".macro m\n nop", "t.s:1:1: .macro `m` without .endm"),
        (
            "  li a0, LATER\n.equ LATER, 1",
            "t.s:1:10: li immediate must be a constant known at this point (define it with .equ before use, or use la for addresses)",
        ),
        (
            "  slli a0, a0, 64",
            "t.s:1:16: shift amount 64 out of range for slli (0..63)",
        ),
        (
            "  slliw a0, a0, 32",
            "t.s:1:17: shift amount 32 out of range for slliw (0..31)",
        ),
        ("  csrr a0, bogus", "t.s:1:12: unknown CSR `bogus`"),
        (
            "  csrrwi a0, sstatus, 32",
            "t.s:1:23: immediate 32 out of range for csrrwi (0..31)",
        ),
        (
            "  lui a0, 0x100000",
            "t.s:1:11: immediate 1048576 out of range for lui (0..1048575)",
        ),
        (".bogus 1", "t.s:1:1: unknown directive `.bogus`"),
        ("  j 1f", "t.s:1:5: undefined local label `1f`"),
        ("  j 2b", "t.s:1:5: no `2:` before `2b`"),
        (
            "  beq a0, a1, 0x1000",
            "t.s:1:15: branch target 0x1000 out of range (-2149576704 bytes from pc 0x80200000; beq reaches ±4 KiB)",
        ),
        (
            "  j 0x1000",
            "t.s:1:5: jump target 0x1000 out of range (-2149576704 bytes from pc 0x80200000; jal reaches ±1024 KiB)",
        ),
        (
            "_start: lui a0, %hi(_start)",
            "t.s:1:17: %hi of 0x80200000 out of range: lui/addi reach only ±2 GiB around 0 (use la, or a lower origin)",
        ),
        (
            "  addi a0, a0, %pcrel_lo(x)\nx: nop",
            "t.s:1:16: %pcrel_lo: no auipc with %pcrel_hi at 0x80200004 (the operand must be the label of the auipc)",
        ),
        (
            "  fence rw, x",
            "t.s:1:13: bad fence set `x` (a combination of i, o, r, w)",
        ),
        (".byte 300", "t.s:1:7: value 0x12c does not fit in 1 byte"),
        ("  sw a0, (a1", "t.s:1:13: expected `)`"),
        (".word 1 / 0", "t.s:1:7: division by zero"),
        (".bss\n.word 5", "t.s:2:7: non-zero data in .bss (only .zero/.space may go there)"),
        (".bss\n nop", "t.s:2:2: instruction in .bss"),
        (".option foo", "t.s:1:9: unknown .option `foo`"),
        (".equiv A, 1\n.equiv A, 2", "t.s:2:8: symbol `A` is already defined"),
        ("  .balign 3", "t.s:1:11: alignment 3 is not a power of two"),
        (
            ".section .weird",
            "t.s:1:10: unknown section `.weird`: use .text, .rodata, .data, .bss (or their .NAME.* forms), or give flags",
        ),
        ("  ld a0, 8(sp) extra", "t.s:1:16: unexpected `extra`"),
        ("  nop a0", "t.s:1:7: wrong operands for `nop` (expected no operands)"),
        (".error \"stop here\"", "t.s:1:1: stop here"),
        ("x: .set x, 1", "t.s:1:9: symbol `x` is already defined"),
        ("  .word 0x1ffffffffffffffffff", "t.s:1:9: number `0x1ffffffffffffffffff` does not fit in 64 bits"),
        (
            ".macro m a\n.endm\n m 1, 2",
            "t.s:3:7: macro `m`: too many arguments",
        ),
    ];
    let mut wrong = Vec::new();
    for (src, expected) in cases {
        let got = errors(src);
        if got != [expected] {
            wrong.push(format!(
                "{src:?}\n  expected {expected}\n  got      {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_error_of_the_file_is_reported() {
    let e = errors("  addx a0\n  addi a0, a0, 9999\n  j nowhere\n  nop\n  add a0, a1, q9\n");
    assert_eq!(
        e,
        [
            "t.s:1:3: unknown instruction `addx`",
            "t.s:2:16: immediate 9999 out of range for addi (-2048..2047)",
            "t.s:3:5: undefined symbol `nowhere`",
            "t.s:5:15: unknown register `q9`",
        ]
    );
}

#[test]
fn display_shows_the_line_and_a_caret() {
    let e = assemble_source(
        "hello.s",
        "_start:\n\taddi a0, a0, 5000\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "hello.s:2:15: immediate 5000 out of range for addi (-2048..2047)\n     addi a0, a0, 5000\n                  ^"
    );
}

#[test]
fn errors_in_macros_name_the_body_line() {
    // The column is in the expanded line, which the caret is shown under.
    let src = ".macro bad reg\n  addi \\reg, \\reg, 4096\n.endm\n  bad a0\n";
    assert_eq!(
        error(src),
        "t.s:2:16: immediate 4096 out of range for addi (-2048..2047)"
    );
    let e = assemble_source("t.s", src, &Options::default()).unwrap_err();
    assert!(e.to_string().contains("\n      addi a0, a0, 4096\n"), "{e}");
}

#[test]
fn errors_in_included_files_name_that_file() {
    let dir = std::env::temp_dir().join(format!("trapvisor-asm-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("main.s"), "nop\n.include \"inc.s\"\nbogus\n").unwrap();
    std::fs::write(dir.join("inc.s"), "nop\n  li a0, undefined_thing\n").unwrap();
    let e = assemble_file(&dir.join("main.s")).unwrap_err();
    let main = dir.join("main.s").display().to_string();
    let inc = dir.join("inc.s").display().to_string();
    assert_eq!(
        e.headlines(),
        [
            format!("{main}:3:1: unknown instruction `bogus`"),
            format!("{inc}:2:10: undefined symbol `undefined_thing` (li needs a constant: define it with .equ, or use la for an address)"),
        ]
    );
}

#[test]
fn include_cycles_are_reported() {
    let dir = std::env::temp_dir().join(format!("trapvisor-asm-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.s"), ".include \"b.s\"\n").unwrap();
    std::fs::write(dir.join("b.s"), "nop\n.include \"a.s\"\n").unwrap();
    let e = assemble_file(&dir.join("a.s")).unwrap_err();
    let b = dir.join("b.s").display().to_string();
    assert_eq!(
        e.headlines(),
        [format!(
            "{b}:2:10: include cycle: `a.s` is already being included"
        )]
    );
}

#[test]
fn missing_file() {
    let e = assemble_file(std::path::Path::new("/nonexistent/x.s")).unwrap_err();
    assert!(
        e.headlines()[0].starts_with("/nonexistent/x.s: cannot read:"),
        "{e}"
    );
}

#[test]
fn nothing_panics_on_junk() {
    for src in [
        "",
        "\0",
        "(((((",
        ")",
        "%",
        "%hi",
        "li a0, %hi(",
        ".macro",
        ".rept 1",
        "1:",
        "1",
        "a:b:c:",
        "\"",
        "'",
        ".byte ,",
        ",,,",
        "addi ,,",
        ".section",
        ".set",
        "x =",
        "lw a0, (",
        "lw a0, %lo(x)(",
        "\\",
        ".macro m\\",
        "jalr",
        "fence ,",
        "# only a comment",
        "/* unterminated",
        "beq a0, a1, 1b",
        ".balign 0x100000000000",
        ".space -1",
        ".fill 99999999999, 8, 1",
        "li a0, 1 << 64",
        ".word 1 % 0",
        "j .+1",
    ] {
        let _ = assemble_source("junk.s", src, &Options::default());
        let _ = asm::assemble_insn(src, 0);
    }
}
