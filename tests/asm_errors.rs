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

/// A body line in alternate macro mode whose first word has a character
/// of several bytes where `LOCAL` would end (found by
/// `mutated_corpus_never_panics`: it panicked slicing the line there).
#[test]
fn an_altmacro_body_line_with_a_wide_character_is_an_error_not_a_panic() {
    let src = ".altmacro\n.macro M k\n        tab\u{fffd}le   %(k*10)\n.endm\n M 1\n";
    assert_eq!(error(src), "t.s:3:12: unexpected character `\u{fffd}`");
}

#[test]
fn errors_in_macros_name_the_invoking_line_too() {
    // As GNU as's "macro invoked from here": with a macro used many
    // times, the student learns which use is wrong.
    let src = ".macro M r\n  addx \\r, \\r, 1\n.endm\n nop\n M a0\n";
    let e = assemble_source("t.s", src, &Options::default()).unwrap_err();
    assert_eq!(e.headlines(), ["t.s:2:3: unknown instruction `addx`"]);
    assert!(
        e.to_string()
            .ends_with("\nt.s:5: note: macro invoked from here"),
        "{e}"
    );
    // A line outside any macro has no such note.
    let e = assemble_source("t.s", " addx a0, a0, 1\n", &Options::default()).unwrap_err();
    assert!(!e.to_string().contains("invoked"), "{e}");
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

/// The messages a student meets most (issue 14): an undefined symbol in
/// `li`, an instruction of an extension the machine lacks, no `_start`.
#[test]
fn student_messages() {
    let cases = [
        (
            "_start: li a0, UART_BASE",
            "t.s:1:16: undefined symbol `UART_BASE` (li needs a constant: define it with .equ, or use la for an address)",
        ),
        (
            "_start: li a0, LATER + 1\n.equ LATER, 1",
            "t.s:1:16: li immediate must be a constant known at this point (define it with .equ before use, or use la for addresses)",
        ),
        (
            "_start: fadd.s f0, f1, f2",
            "t.s:1:9: `fadd.s` needs the F (single-precision floating point) extension, which this machine does not have (it is RV64IMA)",
        ),
        (
            "_start: fld f0, 0(a0)",
            "t.s:1:9: `fld` needs the D (double-precision floating point) extension, which this machine does not have (it is RV64IMA)",
        ),
        (
            "_start: c.addi a0, 1",
            "t.s:1:9: `c.addi`: compressed instructions are not written by their `c.` names here; write the base instruction (`addi`), which is compressed where GNU as compresses it when the C extension is on (`--march rv64imac_zicsr_zifencei` or `.option rvc`)",
        ),
        (
            "_start: vadd.vv v1, v2, v3",
            "t.s:1:9: `vadd.vv` needs the V (vector) extension, which this machine does not have (it is RV64IMA)",
        ),
        (
            "_start: andn a0, a1, a2",
            "t.s:1:9: `andn` needs the B (bit manipulation: Zba, Zbb, Zbc, Zbs, Zbk*) extension, which this machine does not have (it is RV64IMA)",
        ),
    ];
    for (src, expected) in cases {
        assert_eq!(errors(src), [expected], "{src}");
    }
    let out = assemble_source("t.s", "main: nop\n", &Options::default()).unwrap();
    let w: Vec<String> = out.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        ["t.s: warning: no `_start` label: the program starts at the beginning of .text (0x80200000)"]
    );
    let out = assemble_source("t.s", "_start: nop\n", &Options::default()).unwrap();
    assert!(out.warnings.is_empty());
}

#[test]
fn conditional_and_macro_errors() {
    let cases = [
        (
            ".if 1\n nop",
            "t.s:1:1: .if without .endif (the file or macro ends inside it)",
        ),
        (".endif", "t.s:1:1: .endif without .if"),
        (".else", "t.s:1:1: .else without .if"),
        (".if 1\n.else\n.else\n.endif", "t.s:3:1: duplicate .else"),
        (
            ".if undefined_sym\n.endif",
            "t.s:1:5: the condition must be a constant known at this point",
        ),
        (
            ".macro m\n.endm\n.macro m\n.endm",
            "t.s:3:1: macro `m` is already defined",
        ),
        (
            ".macro m a:req\n.endm\n m",
            "t.s:3:3: macro `m`: missing value for required parameter `a`",
        ),
        (
            ".macro m a\n.endm\n m b=1",
            "t.s:3:4: macro `m`: the macro has no parameter named `b`",
        ),
        (".purgem nothing", "t.s:1:9: macro `nothing` is not defined"),
        (".irp", "t.s:1:5: expected a parameter name"),
        (".rept 2\n nop", "t.s:1:1: .rept without .endr"),
        (
            ".macro m\n .if 1\n.endm\n m",
            "t.s:2:2: .if without .endif (the file or macro ends inside it)",
        ),
        (
            ".uleb128 x",
            "t.s:1:10: the value of .uleb128/.sleb128 must be a constant known at this point",
        ),
        (".comm c, -1", "t.s:1:10: bad size -1"),
        ("x: .comm x, 4", "t.s:1:10: symbol `x` is already defined"),
        (
            ".equ a, b + 1\n.equ b, a + 1\n.word a",
            "t.s:3:7: symbol `b` is defined in terms of itself",
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

/// The same source in a temporary directory, for the inputs that need a
/// file (includes).
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("trapvisor-asm-bomb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Resource bombs: each ends with an error naming the place (never a
/// stack overflow, an abort or an endless run). The limits are in
/// `asm`'s documentation.
#[test]
fn resource_bombs_end_with_an_error() {
    let mut macros40 = String::from(".macro m0\n nop\n.endm\n");
    for i in 1..40 {
        macros40.push_str(&format!(".macro m{i}\n m{}\n m{}\n.endm\n", i - 1, i - 1));
    }
    macros40.push_str("_start: m39\n");
    let mut cpp40 = String::from("#define A0 x x\n");
    for i in 1..40 {
        cpp40.push_str(&format!("#define A{i} A{} A{}\n", i - 1, i - 1));
    }
    cpp40.push_str("A39\n");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "parens.s",
            format!("li a0, {}1{}", "(".repeat(10_000), ")".repeat(10_000)),
            "parens.s:1:264: expression nested too deeply (over 256 parentheses or unary operators)",
        ),
        (
            "terms.s",
            format!("li a0, {}", vec!["1"; 100_000].join("+")),
            "terms.s:1:2007: expression too complex (over 1000 operators deep)",
        ),
        (
            "unary.s",
            format!("li a0, {}1", "-".repeat(100_000)),
            "unary.s:1:264: expression nested too deeply (over 256 parentheses or unary operators)",
        ),
        (
            "macros40.s",
            macros40,
            "macros40.s:160:1: macro, .rept or .irp expansion too large (over 1000000 lines: runaway recursion or repetition?)",
        ),
        (
            "mutual.s",
            ".macro a\nb\n.endm\n.macro b\na\n.endm\na\n".into(),
            "mutual.s:5:1: macro `a` nested too deeply (over 200 levels: recursive?)",
        ),
        (
            // The argument doubles at each level: the body outgrows the
            // limit while it is substituted. It used to end the expansion
            // silently and assemble 16 MiB of `x` with status 0.
            "doubling.s",
            ".macro m a\n.ascii \"\\a\"\nm \\a\\a\n.endm\nm x\n".into(),
            "doubling.s:5:1: macro, .rept or .irp expansion too large (over 64 MiB of text: runaway recursion or repetition?)",
        ),
        (
            "rept.s",
            ".rept 1000000\n.rept 1000000\n.rept 1000000\nnop\n.endr\n.endr\n.endr\n".into(),
            "rept.s:7:1: macro, .rept or .irp expansion too large (over 1000000 lines: runaway recursion or repetition?)",
        ),
        (
            "irp.s",
            format!(".rept 100000\n.irp x,{}\n.byte \\x\n.endr\n.endr\n", vec!["1"; 1000].join(",")),
            "irp.s:5:1: macro, .rept or .irp expansion too large (over 1000000 lines: runaway recursion or repetition?)",
        ),
        (
            "cpp40.S",
            cpp40,
            "cpp40.S:41:1: macro expansion too large (over 200000 tokens for one line)",
        ),
        (
            "cppdeep.S",
            format!("#define f(x) x\n{}1{}\n", "f(".repeat(10_000), ")".repeat(10_000)),
            "cppdeep.S:2:1: parentheses nested too deeply (over 200 levels)",
        ),
        (
            "cppif.S",
            format!("#if {}1{}\n#endif\n", "(".repeat(10_000), ")".repeat(10_000)),
            "cppif.S:1:1: parentheses nested too deeply (over 200 levels)",
        ),
        (
            "cppself.S",
            "#include \"cppself.S\"\n".into(),
            "cppself.S:1:1: include cycle: `cppself.S` is already being included",
        ),
        (
            "fill.s",
            ".fill 1000000000, 8, 0\n".into(),
            "fill.s:1:7: size is too large (over 1 GiB)",
        ),
        (
            // GNU as pads the section to 4 GiB; a guest could not hold it,
            // and allocating it ran the host out of memory.
            "balign.s",
            "nop\n.balign 0x100000000\n".into(),
            "balign.s:2:9: alignment 4294967296 is too large (over 1 GiB)",
        ),
        (
            "p2align.s",
            ".p2align 31\nnop\n".into(),
            "p2align.s:1:10: alignment 2147483648 is too large (over 1 GiB)",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, text, expected) in &cases {
        let path = temp_file(name, text);
        let got = assemble_file(&path).unwrap_err().headlines();
        let want = format!(
            "{}{}",
            path.parent().unwrap().display(),
            format_args!("/{expected}")
        );
        if got.first() != Some(&want) {
            wrong.push(format!(
                "{name}\n  expected {want}\n  got      {:?}",
                got.first()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[cfg(unix)]
#[test]
fn non_regular_and_huge_files_are_refused() {
    let dir = temp_file("x.s", "").parent().unwrap().to_path_buf();
    let zero = temp_file("zero.s", ".include \"/dev/zero\"\n");
    assert_eq!(
        assemble_file(&zero).unwrap_err().headlines(),
        [format!(
            "{}:1:10: include file `/dev/zero`: not a regular file",
            zero.display()
        )]
    );
    let e = assemble_file(std::path::Path::new("/dev/zero")).unwrap_err();
    assert_eq!(e.headlines(), ["/dev/zero: not a regular file"]);
    // A sparse file just over the limit: nothing is read.
    let huge = dir.join("huge.s");
    let f = std::fs::File::create(&huge).unwrap();
    f.set_len((64 << 20) + 1).unwrap();
    let inc = temp_file("inc-huge.s", ".include \"huge.s\"\n");
    assert_eq!(
        assemble_file(&inc).unwrap_err().headlines(),
        [format!(
            "{}:1:10: include file `huge.s`: larger than 64 MiB",
            inc.display()
        )]
    );
    std::fs::remove_file(&huge).unwrap();
}

/// `-D` names an identifier, as GCC requires: anything else is bad input
/// with a message (it used to be taken silently, defining nothing usable),
/// for every command that assembles.
#[test]
fn a_define_that_names_no_identifier_is_refused() {
    let tv = env!("CARGO_BIN_EXE_trapvisor");
    let src = temp_file("define.S", "_start: li a0, X\n");
    let src = src.to_str().unwrap();
    for (define, want) in [
        ("=1", "a macro name is missing"),
        ("", "a macro name is missing"),
        ("1X=2", "`1X`: macro names must be identifiers"),
        ("X-Y", "`X-Y`: macro names must be identifiers"),
        (
            "X(a)=a",
            "`X(a)`: function-like macros cannot be defined with -D here",
        ),
    ] {
        for cmd in ["asm", "run", "disasm"] {
            let out = std::process::Command::new(tv)
                .args([cmd, "-D", define, src])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{cmd} -D {define:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(want), "{cmd} -D {define:?}: {err}");
        }
    }
    for defines in [
        &["-D", "X"][..],
        &["-D", "X=3"],
        &["-D", "X=(1+2)"],
        &["-D", "_x9=1", "-DX"],
    ] {
        let out = std::process::Command::new(tv)
            .arg("asm")
            .args(defines)
            .args([src, "-o", "/dev/null"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{defines:?}: {err}");
    }
}

/// `trapvisor asm`: a bomb is exit status 2 with the message; `-I` and
/// `-D` as GCC spells them.
#[test]
fn cli_exit_status_and_flags() {
    let tv = env!("CARGO_BIN_EXE_trapvisor");
    let bomb = temp_file(
        "cli-bomb.s",
        &format!("_start: li a0, {}1\n", "-".repeat(100_000)),
    );
    let out = std::process::Command::new(tv)
        .args(["asm", bomb.to_str().unwrap(), "-o", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cli-bomb.s:1:272: expression nested too deeply"),
        "{err}"
    );

    let dir = bomb.parent().unwrap();
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    std::fs::write(dir.join("inc/v.h"), "#define VALUE (BASE + 1)\n").unwrap();
    let src = temp_file("cli-flags.S", "#include \"v.h\"\n  .word VALUE\n");
    let elf = dir.join("cli-flags.elf");
    let out = std::process::Command::new(tv)
        .args(["asm", "-I", dir.join("inc").to_str().unwrap(), "-DBASE=41"])
        .arg(&src)
        .arg("-o")
        .arg(&elf)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // No `_start`: a warning, and the program is built anyway.
    assert!(err.contains("warning: no `_start` label"), "{err}");
    let bytes = std::fs::read(&elf).unwrap();
    assert!(bytes.windows(4).any(|w| w == 42u32.to_le_bytes()));
    let out = std::process::Command::new(tv)
        .args([
            "disasm",
            "-I",
            dir.join("inc").to_str().unwrap(),
            "-D",
            "BASE=0x10",
        ])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // `run` passes -D to the preprocessor: with X=1 the guest ends through
    // the test finisher, without it it spins to the instruction limit.
    let guest = temp_file(
        "cli-run.S",
        "_start:\n#if X == 1\n  li t0, 0x100000\n  li t1, 0x5555\n  sw t1, 0(t0)\n#endif\n1: j 1b\n",
    );
    let run = |flags: &[&str]| {
        std::process::Command::new(tv)
            .arg("run")
            .args(flags)
            .args(["--max-instructions", "1000"])
            .arg(&guest)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&["-DX=1"]), Some(0));
    assert_eq!(run(&[]), Some(124));
}

mod fuzz {
    //! Hostile sources: random statements from the assembler's whole
    //! vocabulary, and the corpus mutated. Assembling must return (an
    //! error or an ELF) without panicking; the limits keep every case
    //! short.
    use asm::{assemble_source, Options};
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        ".macro m a, b=1, c:vararg",
        ".endm",
        ".rept 3",
        ".rept 1000",
        ".endr",
        ".irp r, a0, a1",
        ".irpc c, 123",
        ".if 1",
        ".if 0",
        ".elseif 1",
        ".else",
        ".endif",
        ".ifc a, a",
        ".ifdef x",
        ".exitm",
        ".purgem m",
        ".altmacro",
        ".noaltmacro",
        "m",
        "m 1, 2",
        "m \"q\\\"s\" x y",
        "m %1+2, <a, b>",
        "LOCAL z",
        "\\a",
        "\\@",
        "\\()",
        "li a0, 1",
        "li a0, x",
        "la a1, lab",
        "lab:",
        "1:",
        "j 1b",
        "j 1f",
        "beq a0, a1, lab",
        ".word lab - .",
        ".equ x, y + 1",
        ".set y, x",
        ".comm c, 8",
        ".lcomm d, 3",
        ".local e",
        ".uleb128 -1",
        ".sleb128 x",
        ".byte 1, 2",
        ".ascii \"a\" \"b\"",
        ".section .data",
        ".text",
        ".bss",
        ".zero 8",
        ".balign 8",
        ".p2align 3",
        ".fill 3, 2, 1",
        "addi a0, a0, -1",
        "csrw stvec, t0",
        "fadd.s f0, f1, f2",
        "c.nop",
        "(((",
        ")",
        ";",
        ",",
        "#",
        "/*",
        "*/",
        "\"",
        "'",
        ".include \"nope.s\"",
        ".end",
        "%hi(x)",
        "x = x + 1",
        "\\",
        "<",
        ">",
    ];

    fn soup() -> impl Strategy<Value = String> {
        prop::collection::vec((0..WORDS.len(), prop::bool::ANY, prop::bool::ANY), 0..60).prop_map(
            |v| {
                let mut s = String::new();
                for (i, semi, nl) in v {
                    s.push_str(WORDS[i]);
                    s.push_str(if nl {
                        "\n"
                    } else if semi {
                        "; "
                    } else {
                        " "
                    });
                }
                s
            },
        )
    }

    fn corpus() -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asm-corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "s" || e == "S"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    }

    /// A corpus file with a few edits: bytes deleted, duplicated, or
    /// replaced by characters that matter to the parser.
    fn mutated() -> impl Strategy<Value = (String, String)> {
        let files = corpus();
        let n = files.len();
        (
            0..n,
            prop::collection::vec((any::<prop::sample::Index>(), 0..5u8, 0..16usize), 1..8),
        )
            .prop_map(move |(k, edits)| {
                let (name, text) = files[k].clone();
                let mut b = text.into_bytes();
                // 0xc3 alone is no UTF-8: it becomes U+FFFD, three bytes.
                const SPICE: &[u8] = b"()\\\"';,#\n9.%<>:\xc3";
                for (at, kind, c) in edits {
                    if b.is_empty() {
                        break;
                    }
                    let i = at.index(b.len());
                    match kind {
                        0 => {
                            b.remove(i);
                        }
                        1 => {
                            let end = (i + 40).min(b.len());
                            let piece: Vec<u8> = b[i..end].to_vec();
                            b.splice(i..i, piece);
                        }
                        2 => b[i] = SPICE[c],
                        3 => b.insert(i, SPICE[c]),
                        _ => b.truncate(i),
                    }
                }
                (name, String::from_utf8_lossy(&b).into_owned())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn random_statements_never_panic(src in soup()) {
            let _ = assemble_source("fuzz.s", &src, &Options::default());
            let _ = assemble_source("fuzz.S", &src, &Options::default());
            let _ = asm::assemble_insn(&src, 0x8020_0000);
        }

        #[test]
        fn mutated_corpus_never_panics((name, src) in mutated()) {
            let _ = assemble_source(&name, &src, &Options::default());
        }
    }
}

/// A missing include is reported first: the undefined symbols after it are
/// its consequences (GNU as stops at it). One of trapvisor's own library
/// files says where the library is.
#[test]
fn a_missing_include_comes_before_its_consequences() {
    let e = errors("  call putc\n  call put_dec\n  .include \"lib/console.inc\"\n");
    assert_eq!(
        e,
        [
            "t.s:3:12: include file `lib/console.inc` not found (trapvisor's guest library is in \
             guest-programs/lib: give -I guest-programs, or the path to it)",
            "t.s:1:8: undefined symbol `putc`",
            "t.s:2:8: undefined symbol `put_dec`",
        ]
    );
    let e = errors("  call f\n  .include \"mine.inc\"\n");
    assert_eq!(e[0], "t.s:2:12: include file `mine.inc` not found", "{e:?}");
}

/// `#pragma once`, as GCC's cpp: a file that says it is included once (its
/// own name included from it, or a header included twice) includes nothing
/// the second time. It was ignored: a self-include was an include cycle and
/// a header's label was defined twice.
#[test]
fn pragma_once_includes_a_file_once() {
    temp_file(
        "once-header.h",
        "#pragma once\n#define VALUE 7\nin_header: nop\n",
    );
    let main = temp_file(
        "once-main.S",
        "#pragma once\n#include \"once-main.S\"\n#include \"once-header.h\"\n\
         #include \"once-header.h\"\n        .text\n_start: li a0, VALUE\n",
    );
    let out = assemble_file(&main).unwrap_or_else(|e| panic!("{e}"));
    let plain = assemble_source(
        "plain.s",
        "in_header: nop\n_start: li a0, 7\n",
        &Options::default(),
    )
    .unwrap();
    assert_eq!(text(&out), text(&plain), "one nop, then li a0, 7");
    // Without the pragma the self-include is still a cycle.
    let cycle = temp_file("no-once.S", "#include \"no-once.S\"\n");
    assert!(assemble_file(&cycle).unwrap_err().headlines()[0]
        .ends_with("include cycle: `no-once.S` is already being included"));
}

/// An absolute path in `#include <...>` is that file, as in `"..."` (and
/// GCC's cpp): both say the same about it; `<...>` said "not found" since it
/// only looked in the -I directories.
#[cfg(unix)]
#[test]
fn an_absolute_include_reads_the_same_in_quotes_and_brackets() {
    for (name, inc) in [("abs-q.S", "\"/dev/zero\""), ("abs-b.S", "</dev/zero>")] {
        let path = temp_file(name, &format!("#include {inc}\n"));
        assert_eq!(
            assemble_file(&path).unwrap_err().headlines(),
            [format!(
                "{}:1:1: include file `/dev/zero`: not a regular file",
                path.display()
            )],
            "{inc}"
        );
    }
    let header = temp_file("abs-header.h", "#define SEVEN 7\n");
    let path = temp_file(
        "abs-ok.S",
        &format!("#include <{}>\nli a0, SEVEN\n", header.display()),
    );
    let out = assemble_file(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        text(&out),
        text(&assemble_source("plain.s", "li a0, 7\n", &Options::default()).unwrap())
    );
}

fn text(out: &asm::Output) -> Vec<u8> {
    let text = out.sections.iter().find(|s| s.name == ".text");
    text.expect("a .text section").data.clone()
}
