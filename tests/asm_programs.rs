//! Whole programs: relocations across sections, numeric local labels,
//! data directives and alignment (bytes from GNU as 2.40 + ld with
//! `guest-programs/link.ld`), the ELF file itself, `.include`, `.S`
//! preprocessing and macros.

use std::path::PathBuf;

use asm::{assemble_file, assemble_insn, assemble_source, Options, Output};

fn assemble(src: &str) -> Output {
    assemble_source("test.s", src, &Options::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn section_hex(out: &Output, name: &str) -> String {
    hex(&out.section(name).expect("section").data)
}

#[test]
fn calls_branches_and_loads_across_sections() {
    let out = assemble(
        r#".text
_start: call helper
 beq a0, a1, helper
 j helper
 la a0, msg
 lw a1, value
 sw a1, value, t0
 ret
.section .text.helper, "ax"
helper: ret
.section .rodata
msg: .asciz "hi"
.data
value: .word 42
"#,
    );
    // The branch to another input section takes GNU as's long form (an
    // inverted branch over a jal), as GNU as does even with -mno-relax.
    assert_eq!(
        section_hex(&out, ".text"),
        "97000000e78000036314b5006f0040026f000002171500001305c5fe9725000083a545fe9722000023aeb2fc6780000067800000"
    );
    assert_eq!(out.symbol("helper"), Some(0x8020_0030));
    assert_eq!(out.symbol("msg"), Some(0x8020_1000));
    assert_eq!(out.symbol("value"), Some(0x8020_2000));
}

#[test]
fn numeric_local_labels() {
    let out = assemble(
        "_start:
1: addi a0, a0, 1
 bnez a0, 1b
 beqz a0, 1f
 j 1b
1: j 1f
2: nop
1: bltu a0, a1, 2b
 ret
",
    );
    assert_eq!(
        section_hex(&out, ".text"),
        "13051500e31e05fe630405006ff05fff6f00800013000000e36eb5fe67800000"
    );
    // Numeric labels are not symbols.
    assert_eq!(
        out.symbols
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["_start"]
    );
}

#[test]
fn pcrel_hi_and_lo_through_the_auipc_label() {
    let out = assemble(
        "_start:
.Lhi: auipc a0, %pcrel_hi(data + 4)
 addi a0, a0, %pcrel_lo(.Lhi)
 lw a1, %pcrel_lo(.Lhi)(a0)
 sw a1, %pcrel_lo(.Lhi)(a0)
 ret
.data
data: .dword 1, 2
",
    );
    assert_eq!(
        section_hex(&out, ".text"),
        "1715000013054500832545002322b50067800000"
    );
}

#[test]
fn hi_and_lo_of_labels_below_2_gib() {
    // %hi/%lo can reach a label only if it is a sign-extended 32-bit
    // address: link low. lui a0, 0x10; addi a0, a0, 0x10 (msg = 0x10010).
    let out = assemble_source(
        "low.s",
        "_start: lui a0, %hi(msg)\n addi a0, a0, %lo(msg)\n sb zero, %lo(msg)(a0)\n.data\nmsg: .byte 1\n",
        &Options {
            origin: 0x10000,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(out.symbol("msg"), Some(0x11000));
    assert_eq!(
        section_hex(&out, ".text"),
        hex(&[0x00011537u32, 0x00050513, 0x00050023]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<_>>())
    );
}

#[test]
fn data_directives() {
    let out = assemble(
        r#".section .rodata
r: .byte 1, -1, 255, 'a', '\n'
 .half 0x1234, -2
 .word 0xdeadbeef, r
 .dword r + 3, -1
 .ascii "ab", "c"
 .asciz "t\tq\"\101\x42"
 .string "s"
 .zero 3
 .space 2, 0xab
 .balign 8, 0xcc
 .p2align 2
 .word (1 << 31) >> 3, 1 + 1 & 2, 7 / -2, -7 % 3
 .fill 2, 2, 0x1234
"#,
    );
    assert_eq!(
        section_hex(&out, ".rodata"),
        "01ffff610a3412feffefbeadde000020800300208000000000ffffffffffffffff616263740971224142007300000000ababcccccccccccc0000001001000000fdffffffffffffff34123412"
    );
}

#[test]
fn code_alignment_pads_like_gnu_as() {
    // `.balign 4` in code pads nothing (code is never less aligned than an
    // instruction); larger alignments pad with a zero byte, c.nop, nops;
    // a code section ends padded to its alignment.
    let out = assemble(
        "_start: nop\n .byte 1\n .balign 4\n .byte 2, 3\n .balign 16\n ret\n .p2align 3\n .byte 9\n",
    );
    assert_eq!(
        section_hex(&out, ".text"),
        "1300000001020300130000001300000067800000130000000900010013000000"
    );
}

#[test]
fn sections_are_laid_out_on_pages() {
    let out = assemble(
        ".text\n_start: nop\n.section .rodata.x\n.byte 1\n.data\n.word 1\n.bss\n.space 100\n.section .sbss\nend_bss: .byte 0\n",
    );
    let addr = |n: &str| out.section(n).map(|s| (s.addr, s.size));
    assert_eq!(addr(".text"), Some((0x8020_0000, 4)));
    assert_eq!(addr(".rodata"), Some((0x8020_1000, 1)));
    assert_eq!(addr(".data"), Some((0x8020_2000, 4)));
    assert_eq!(addr(".bss"), Some((0x8020_3000, 101)));
    assert_eq!(out.symbol("end_bss"), Some(0x8020_3064));
    assert_eq!(out.entry, 0x8020_0000);
}

#[test]
fn elf_header_segments_and_symbols() {
    let out = assemble(
        ".globl _start\nhelper: ret\n_start: j helper\n.section .rodata\nmsg: .asciz \"x\"\n.data\nv: .dword msg\n.bss\nstack: .space 4096\n",
    );
    let elf = &out.elf;
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "ELFCLASS64");
    assert_eq!(elf[5], 1, "little-endian");
    assert_eq!(u16::from_le_bytes([elf[16], elf[17]]), 2, "ET_EXEC");
    assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 243, "EM_RISCV");
    assert_eq!(
        u32::from_le_bytes([elf[48], elf[49], elf[50], elf[51]]),
        0,
        "e_flags: soft float, no RVC"
    );
    let image = cpu::image::Image::from_elf(elf, 0x8000_0000..0x8800_0000).unwrap();
    assert_eq!(image.entry, 0x8020_0004, "entry is _start");
    let segs: Vec<_> = image
        .segments
        .iter()
        .map(|s| (s.addr, s.data.len(), s.mem_size))
        .collect();
    assert_eq!(
        segs,
        [
            (0x8020_0000, 8, 8),
            (0x8020_1000, 2, 2),
            (0x8020_2000, 8, 8),
            (0x8020_3000, 0, 4096)
        ]
    );
    assert_eq!(&image.segments[2].data, &0x8020_1000u64.to_le_bytes());
    for name in ["helper", "_start", "msg", "v", "stack"] {
        assert!(image.symbol(name).is_some(), "{name} in .symtab");
    }
    // One PT_LOAD per section, with its permissions: R+X, R, R+W, R+W.
    let phoff = u64::from_le_bytes(elf[32..40].try_into().unwrap()) as usize;
    let flags: Vec<u32> = (0..4)
        .map(|i| {
            let p = phoff + 56 * i;
            assert_eq!(u32::from_le_bytes(elf[p..p + 4].try_into().unwrap()), 1);
            u32::from_le_bytes(elf[p + 4..p + 8].try_into().unwrap())
        })
        .collect();
    assert_eq!(flags, [5, 4, 6, 6]);
}

#[test]
fn entry_without_start_is_the_first_byte_of_text() {
    let out = assemble("main: nop\n");
    assert_eq!(out.entry, 0x8020_0000);
    let moved = assemble_source(
        "t.s",
        "main: nop\n",
        &Options {
            origin: 0x8040_0000,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(moved.entry, 0x8040_0000);
}

#[test]
fn equ_set_and_forward_references() {
    let out = assemble(
        ".equ A, 5\n.set B, A * 2\nC = B + 1\n.set N, 0\n.set N, N + 1\n_start: addi a0, zero, C\n addi a1, zero, LATER\n addi a2, zero, N\n.word end - _start\nend:\n.equ LATER, -3\n",
    );
    assert_eq!(
        section_hex(&out, ".text"),
        hex(&[0x00b00513u32, 0xffd00593, 0x00100613, 0x10]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<_>>())
    );
    assert_eq!(out.symbol("C"), Some(11));
}

#[test]
fn macros_with_arguments_defaults_and_counter() {
    let out = assemble(
        r".macro push reg, slot=0
 sd \reg, (\slot * 8)(sp)
.endm
.macro spin reg=t0, count=3
 li \reg, \count
lbl\@: addi \reg, \reg, -1
 bnez \reg, lbl\@
.endm
_start: push ra
 push s0, 1
 push slot=2, reg=s1
 spin
 spin a1, 10
.rept 2
 nop
.endr
",
    );
    // sd ra,0(sp); sd s0,8(sp); sd s1,16(sp); li t0,3; addi; bnez -4;
    // li a1,10; addi; bnez -4; nop; nop
    let words: Vec<u32> = out
        .section(".text")
        .unwrap()
        .data
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(
        words,
        [
            0x00113023, 0x00813423, 0x00913823, 0x00300293, 0xfff28293, 0xfe029ee3, 0x00a00593,
            0xfff58593, 0xfe059ee3, 0x00000013, 0x00000013
        ]
    );
    assert!(
        out.symbol("lbl3").is_some() && out.symbol("lbl4").is_some(),
        "\\@ counts every macro expansion"
    );
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trapvisor-asm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("inc")).unwrap();
    dir
}

#[test]
fn include_is_relative_to_the_including_file() {
    let dir = temp_dir("include");
    std::fs::write(
        dir.join("main.s"),
        ".include \"inc/a.s\"\n_start: li a0, A + B\n",
    )
    .unwrap();
    std::fs::write(dir.join("inc/a.s"), ".equ A, 1\n.include \"b.s\"\n").unwrap();
    std::fs::write(dir.join("inc/b.s"), ".equ B, 2\n").unwrap();
    let out = assemble_file(&dir.join("main.s")).unwrap();
    assert_eq!(section_hex(&out, ".text"), "13053000");
}

#[test]
fn preprocessed_s_files() {
    let dir = temp_dir("cpp");
    std::fs::write(
        dir.join("inc/defs.h"),
        "// C comment\n#define UART 0x10000000\n#define LSR (UART + 5)\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.S"),
        "#include \"inc/defs.h\"\n/* block\n comment # not a directive */\n_start: li t0, LSR // comment\n#ifdef UART\n li a0, 1\n#else\n li a0, 2\n#endif\n#ifndef UART\n li a0, 3\n#endif\n la a1, UARTX\nUARTX: .ascii \"UART\"\n",
    )
    .unwrap();
    let out = assemble_file(&dir.join("main.S")).unwrap();
    // lui t0,0x10000; addiw t0,t0,5; li a0,1; auipc a1,0; addi a1,a1,8; "UART"
    assert_eq!(
        section_hex(&out, ".text"),
        "b70200109b82520013051000970500009385850055415254"
    );
}

#[test]
fn assemble_one_instruction() {
    assert_eq!(assemble_insn("addi a0, a0, -1", 0), Ok(0xfff5_0513));
    assert_eq!(assemble_insn("li a0, 5", 0), Ok(0x0050_0513));
    assert_eq!(assemble_insn("mv a0, a1", 0), Ok(0x0005_8513));
    assert_eq!(assemble_insn("ret", 0), Ok(0x0000_8067));
    assert_eq!(assemble_insn("csrr a0, satp", 0), Ok(0x1800_2573));
    assert_eq!(assemble_insn("j 0x80200010", 0x8020_0000), Ok(0x0100_006f));
    // objdump's spelling of the target: bare hex
    assert_eq!(assemble_insn("j 80200010", 0x8020_0000), Ok(0x0100_006f));
    assert_eq!(
        assemble_insn("beq a0, a1, 0x80200000", 0x8020_0010),
        Ok(0xfeb5_08e3)
    );
    let e = assemble_insn("li a0, 0x123456789", 0).unwrap_err();
    assert!(e.message.contains("not exactly one instruction"), "{e}");
    let e = assemble_insn("addx a0, a0, 1", 0).unwrap_err();
    assert_eq!(e.message, "unknown instruction `addx`");
}

/// GNU as features that real sources use (bytes from GNU as 2.40; the
/// corpus files `gnu-macros.s`, `conditionals.s`, `repeat.s` and
/// `data-extra.s` check many more against GNU as itself).
#[test]
fn gnu_as_macros_conditionals_and_repeats() {
    let out = assemble(
        r#"_start:
 .macro SAY msg
 .asciz "\msg"
 .endm
 .macro init; .endm
 .macro m a, b=9, c
 .byte \a, \b
 .ascii "<\c>"
 .endm
 init
 SAY "hello world"
 SAY "\"quoted\" word"
 m 1 + 2
 m 5 6 7
 .byte 1; .byte 2 ; .macro two; .byte 0x22; .endm; two
 .if 2 > 1
 .byte 0x10
 .elseif 1
 .byte 0xee
 .else
 .byte 0xee
 .endif
 .ifc a0, a0
 .irp r, 3, 4
 .byte \r
 .endr
 .endif
 .irpc c, 567
 .byte \c
 .endr
 .altmacro
 .macro am x
 .byte x
 .endm
 am %2*4
 .noaltmacro
 .uleb128 624485
 .sleb128 -123456
"#,
    );
    let text = &out.section(".text").unwrap().data;
    let mut want = Vec::new();
    want.extend_from_slice(b"hello world\0\"quoted\" word\0");
    want.extend_from_slice(&[3, 9, b'<', b'>', 5, 6, b'<', b'7', b'>']);
    want.extend_from_slice(&[1, 2, 0x22, 0x10, 3, 4, 5, 6, 7, 8]);
    want.extend_from_slice(&[0xe5, 0x8e, 0x26, 0xc0, 0xbb, 0x78]);
    assert_eq!(&text[..want.len()], &want[..], "{}", hex(text));
}

#[test]
fn comm_and_lcomm_go_to_bss() {
    let out = assemble("_start: nop\n .lcomm lbuf, 5\n .comm buf, 10\n .bss\nb0: .zero 3\n");
    let bss = out.section(".bss").unwrap();
    // As GNU as + ld: `.lcomm` after the file's own .bss (aligned to 4
    // for 5 bytes), common symbols after every .bss input section.
    assert_eq!(out.symbol("b0"), Some(bss.addr));
    assert_eq!(out.symbol("lbuf"), Some(bss.addr + 4));
    assert_eq!(out.symbol("buf"), Some(bss.addr + 16));
    assert_eq!(bss.size, 26);
}

/// The line table: every emitted address maps to the line it came from;
/// macro expansions map to the invocation, includes and `.rept` bodies
/// to their own lines.
#[test]
fn line_table() {
    let dir = temp_dir("lines");
    std::fs::write(dir.join("inc.s"), "  nop\n  .word 7\n").unwrap();
    std::fs::write(
        dir.join("main.s"),
        "  .macro two\n  nop\n  nop\n  .endm\n_start:\n  li a0, 0x12345678\n  two\n  .include \"inc.s\"\n  .rept 2\n  addi a0, a0, 1\n  .endr\n  .data\n  .byte 1\n",
    )
    .unwrap();
    let out = assemble_file(&dir.join("main.s")).unwrap();
    let main = dir.join("main.s").display().to_string();
    let inc = dir.join("inc.s").display().to_string();
    let at = |a: u64| out.line_at(a).map(|(f, l)| (f.to_string(), l));
    let t = 0x8020_0000;
    let m = |l| Some((main.clone(), l));
    let i = |l| Some((inc.clone(), l));
    assert_eq!(at(t), m(6)); // li: lui
    assert_eq!(at(t + 4), m(6)); // li: addiw
    assert_eq!(at(t + 8), m(7)); // two
    assert_eq!(at(t + 12), m(7));
    assert_eq!(at(t + 16), i(1));
    assert_eq!(at(t + 20), i(2));
    assert_eq!(at(t + 24), m(10));
    assert_eq!(at(t + 28), m(10));
    assert_eq!(at(t + 32), None);
    let data = out.section(".data").unwrap().addr;
    assert_eq!(at(data), m(13));
    assert!(out.lines.windows(2).all(|w| w[0].addr < w[1].addr));
    assert_eq!(out.files[0], main);
}

#[test]
fn preprocessor_with_include_dirs_and_defines() {
    let dir = temp_dir("cpp-I");
    let incdir = dir.join("headers");
    std::fs::create_dir_all(&incdir).unwrap();
    std::fs::write(
        incdir.join("ops.h"),
        "#define OP(n, inst, a, b) test_ ## n: li x1, a; li x2, b; inst x3, x1, x2;\n#define STR(x) #x\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("t.S"),
        "#include <ops.h>\n_start:\n  OP(2, add, 1, \\\n     2)\n#if N * 2 == 6 && defined(FLAG)\n  .ascii STR(N)\n#endif\n",
    )
    .unwrap();
    let opts = Options {
        include_dirs: vec![incdir],
        defines: vec![("N".into(), Some("3".into())), ("FLAG".into(), None)],
        ..Options::default()
    };
    let out = asm::assemble_file_with(&dir.join("t.S"), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        section_hex(&out, ".text"),
        "9300100013012000b38120004e000100"
    );
    assert!(out.symbol("test_2").is_some());
    // Without -I the header is not found.
    let e = assemble_file(&dir.join("t.S")).unwrap_err();
    assert!(
        e.to_string().contains("include file `ops.h` not found"),
        "{e}"
    );
}

/// `-g`: DWARF sections that loaders ignore (the same image loads), and
/// a line table that names the source (gdb and `objdump -dl` show the
/// `.s` lines; `scripts`-free: checked here by the section names).
#[test]
fn debug_info_adds_sections_only() {
    let src = "_start:\n  li a0, 1\n  nop\n";
    let plain = assemble(src);
    let opts = Options {
        debug_info: true,
        ..Options::default()
    };
    let debug = assemble_source("test.s", src, &opts).unwrap();
    let ram = 0x8000_0000..0x8800_0000;
    let a = cpu::image::Image::from_elf(&plain.elf, ram.clone()).unwrap();
    let b = cpu::image::Image::from_elf(&debug.elf, ram).unwrap();
    assert_eq!(a.entry, b.entry);
    assert_eq!(
        a.segments
            .iter()
            .map(|s| (s.addr, &s.data))
            .collect::<Vec<_>>(),
        b.segments
            .iter()
            .map(|s| (s.addr, &s.data))
            .collect::<Vec<_>>()
    );
    let has = |elf: &[u8], name: &[u8]| elf.windows(name.len()).any(|w| w == name);
    for name in [&b".debug_line"[..], b".debug_info", b".debug_abbrev"] {
        assert!(has(&debug.elf, name) && !has(&plain.elf, name));
    }
}
