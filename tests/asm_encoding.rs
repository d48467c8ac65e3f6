//! Encodings, checked against GNU as 2.40 + ld (riscv64-unknown-elf, with
//! `-march=rv64ima_zicsr_zifencei -mabi=lp64 -mno-relax`, linked with
//! `guest-programs/link.ld`): each line was assembled as `_start: LINE` and
//! the `.text` words pasted here, so these tests need no toolchain.

use asm::{assemble_source, Options, Output};

fn assemble(src: &str) -> Output {
    assemble_source("test.s", src, &Options::default()).unwrap_or_else(|e| panic!("{src}\n{e}"))
}

fn text_words(out: &Output) -> Vec<u32> {
    let text = out.section(".text").expect(".text");
    text.data
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_le_bytes(w)
        })
        .collect()
}

fn check(cases: &[(&str, &[u32])]) {
    let mut failures = Vec::new();
    for &(line, expected) in cases {
        let out = assemble(&format!("_start: {line}\n"));
        let got = text_words(&out);
        if got != expected {
            failures.push(format!(
                "`{line}`: got {got:08x?}, GNU as gives {expected:08x?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every pseudo-instruction, and the instruction forms GNU as accepts
/// beyond the plain table (immediate forms of register operations, `.aq`/
/// `.rl` suffixes, `csrw` with an immediate, `%hi`/`%lo`, ...).
#[test]
fn pseudo_instructions_match_gnu_as() {
    check(&[
        ("nop", &[0x00000013]),
        ("mv a0, a1", &[0x00058513]),
        ("not t0, t1", &[0xfff34293]),
        ("neg s1, s2", &[0x412004b3]),
        ("negw s3, s4", &[0x414009bb]),
        ("sext.w a2, a3", &[0x0006861b]),
        ("sext.b a2, a3", &[0x03869613, 0x43865613]),
        ("sext.h a4, a5", &[0x03079713, 0x43075713]),
        ("zext.b a6, a7", &[0x0ff8f813]),
        ("zext.h t3, t4", &[0x030e9e13, 0x030e5e13]),
        ("zext.w t5, t6", &[0x020f9f13, 0x020f5f13]),
        ("seqz a0, a1", &[0x0015b513]),
        ("snez a1, a2", &[0x00c035b3]),
        ("sltz a3, a4", &[0x000726b3]),
        ("sgtz a5, a6", &[0x010027b3]),
        ("sgt a0, a1, a2", &[0x00b62533]),
        ("sgtu a3, a4, a5", &[0x00e7b6b3]),
        ("add a0, a1, 5", &[0x00558513]),
        ("sll a0, a0, 63", &[0x03f51513]),
        ("sraw a0, a0, 5", &[0x4055551b]),
        ("beqz a0, _start", &[0x00050063]),
        ("bnez a0, _start", &[0x00051063]),
        ("blez a1, _start", &[0x00b05063]),
        ("bgez a1, _start", &[0x0005d063]),
        ("bltz a2, _start", &[0x00064063]),
        ("bgtz a2, _start", &[0x00c04063]),
        ("bgt a0, a1, _start", &[0x00a5c063]),
        ("ble a0, a1, _start", &[0x00a5d063]),
        ("bgtu a2, a3, _start", &[0x00c6e063]),
        ("bleu a2, a3, _start", &[0x00c6f063]),
        ("j _start", &[0x0000006f]),
        ("jal _start", &[0x000000ef]),
        ("jal t0, _start", &[0x000002ef]),
        ("jr a0", &[0x00050067]),
        ("jr 8(a1)", &[0x00858067]),
        ("jalr a2", &[0x000600e7]),
        ("jalr t0, a3", &[0x000682e7]),
        ("jalr t1, 12(a4)", &[0x00c70367]),
        ("ret", &[0x00008067]),
        ("call _start", &[0x00000097, 0x000080e7]),
        ("tail _start", &[0x00000317, 0x00030067]),
        ("call t0, _start", &[0x00000317, 0x000302e7]),
        ("jump _start, t2", &[0x00000397, 0x00038067]),
        ("csrr a0, sstatus", &[0x10002573]),
        ("csrw stvec, a0", &[0x10551073]),
        ("csrs sie, a1", &[0x1045a073]),
        ("csrc sip, a2", &[0x14463073]),
        ("csrwi sscratch, 5", &[0x1402d073]),
        ("csrsi sstatus, 2", &[0x10016073]),
        ("csrci sstatus, 31", &[0x100ff073]),
        ("csrw sscratch, 7", &[0x1403d073]),
        ("rdtime a0", &[0xc0102573]),
        ("rdcycle a1", &[0xc00025f3]),
        ("rdinstret a2", &[0xc0202673]),
        ("fence", &[0x0ff0000f]),
        ("fence rw, w", &[0x0310000f]),
        ("fence.tso", &[0x8330000f]),
        ("fence.i", &[0x0000100f]),
        ("sfence.vma", &[0x12000073]),
        ("sfence.vma a0", &[0x12050073]),
        ("sfence.vma a0, a1", &[0x12b50073]),
        ("unimp", &[0xc0001073]),
        ("la a0, _start", &[0x00000517, 0x00050513]),
        ("lla a1, _start", &[0x00000597, 0x00058593]),
        ("la a2, 0x10000000", &[0x10000637]),
        ("lw a0, _start", &[0x00000517, 0x00052503]),
        ("sd a0, _start, t0", &[0x00000297, 0x00a2b023]),
        ("amoswap.w.aq a0, a1, (a2)", &[0x0cb6252f]),
        ("amoadd.d.rl a0, a1, (a2)", &[0x02b6352f]),
        ("amoor.w.aqrl a0, a1, 0(a2)", &[0x46b6252f]),
        ("lr.d.aq a0, (a1)", &[0x1405b52f]),
        ("sc.w.rl a0, a1, (a2)", &[0x1ab6252f]),
        ("csrrw a0, 0x7c0, x9", &[0x7c049573]),
        (
            "lui a0, %hi(0x12345fff); addi a0, a0, %lo(0x12345fff)",
            &[0x12346537, 0xfff50513],
        ),
        (
            "1: auipc a0, %pcrel_hi(_start); addi a0, a0, %pcrel_lo(1b)",
            &[0x00000517, 0x00050513],
        ),
    ]);
}

/// `li` of every shape: 12-bit (`addi`), 32-bit (`lui`+`addiw`), lui
/// alone, values needing `addiw` from zero, shifts past trailing zeros,
/// and full 64-bit constants built with `slli`/`addi` chains.
#[test]
fn li_matches_gnu_as() {
    check(&[
        ("li a0, 0", &[0x00000513]),
        ("li a0, 2047", &[0x7ff00513]),
        ("li a0, -2048", &[0x80000513]),
        ("li a0, 2048", &[0x00001537, 0x8005051b]),
        ("li a0, -2049", &[0xfffff537, 0x7ff5051b]),
        ("li a0, 0x12345", &[0x00012537, 0x3455051b]),
        ("li a0, 0x7fffffff", &[0x80000537, 0xfff5051b]),
        ("li a0, -0x80000000", &[0x80000537]),
        ("li a0, 0x80000000", &[0x0010051b, 0x01f51513]),
        ("li a0, 0xffffffff", &[0x0010051b, 0x02051513, 0xfff50513]),
        ("li a0, 0x100000000", &[0x0010051b, 0x02051513]),
        (
            "li a0, 0x123456789abcdef0",
            &[
                0x00247537, 0x8ad5051b, 0x00e51513, 0xc4d50513, 0x00c51513, 0x5e750513, 0x00d51513,
                0xef050513,
            ],
        ),
        ("li a0, -1", &[0xfff00513]),
        (
            "li a0, 0x7fffffffffffffff",
            &[0xfff0051b, 0x03f51513, 0xfff50513],
        ),
        ("li a0, 0x8000000000000000", &[0xfff0051b, 0x03f51513]),
        ("li a0, 0xfff0000000000000", &[0xfff0051b, 0x03451513]),
        ("li a0, 0x10000000000", &[0x0010051b, 0x02851513]),
    ]);
}

/// With the C extension (`Options::compressed`, `--march
/// rv64imac_zicsr_zifencei`): the `.text` GNU as 2.40 + ld give for
/// `-march=rv64imac_zicsr_zifencei` (`scripts/asm-diff.sh` checks whole
/// programs): its size, and its last (at most 10) bytes as half-words.
#[test]
fn compressed_forms_match_gnu_as() {
    let cases: &[(&str, usize, &[u16])] = &[
        ("nop", 2, &[0x0001]),
        ("mv a0, a1", 2, &[0x852e]),
        ("mv a0, zero", 4, &[0x0513, 0x0000]),
        ("li a0, -32", 2, &[0x5501]),
        ("li a0, 0x12345678", 8, &[0x5537, 0x1234, 0x051b, 0x6785]),
        ("addi sp, sp, -16", 2, &[0x1141]),
        ("addi a0, sp, 8", 2, &[0x0028]),
        ("add a0, a0, 0", 2, &[0x0501]),
        ("add a0, a1, a0", 2, &[0x952e]),
        ("sext.w s0, s0", 2, &[0x2401]),
        ("ld ra, 8(sp)", 2, &[0x60a2]),
        ("sd ra, 8(sp)", 2, &[0xe406]),
        ("lw a0, 4(a1)", 2, &[0x41c8]),
        ("srli a0, a0, 63", 2, &[0x917d]),
        ("and s0, s1, s0", 2, &[0x8c65]),
        ("ret", 2, &[0x8082]),
        ("jr a0", 2, &[0x8502]),
        ("jalr t0", 2, &[0x9282]),
        ("jalr ra, 0(a0)", 4, &[0x00e7, 0x0005]),
        ("ebreak", 2, &[0x9002]),
        ("unimp", 2, &[0x0000]),
        ("lui a0, %hi(0x1000)", 4, &[0x1537, 0x0000]),
        ("beqz a0, _start", 2, &[0xc101]),
        ("bnez t0, _start", 4, &[0x9063, 0x0002]),
        ("j _start", 2, &[0xa001]),
        ("jal zero, _start", 4, &[0x006f, 0x0000]),
        (
            "1: .rept 200; addi t1, t2, 1; .endr; beqz a0, 1b",
            804,
            &[0x0013, 0x8313, 0x0013, 0x00e3, 0xce05],
        ),
        (
            "1: .rept 1100; addi t1, t2, 1; .endr; bnez s0, 1b",
            4406,
            &[0x8313, 0x0013, 0xc019, 0xe06f, 0xecff],
        ),
        (
            "1: .rept 600; addi t1, t2, 1; .endr; j 1b",
            2404,
            &[0x0013, 0x8313, 0x0013, 0xf06f, 0xea0f],
        ),
        (
            "addi a0, a0, 1; .align 3; addi a0, a0, 1",
            16,
            &[0x0000, 0x0505, 0x0001, 0x0013, 0x0000],
        ),
        (
            ".option norvc; addi a0, a0, 1; .option rvc; addi a0, a0, 1",
            6,
            &[0x0513, 0x0015, 0x0505],
        ),
        (
            ".option push; .option norvc; li a0, 1; .option pop; li a0, 1",
            6,
            &[0x0513, 0x0010, 0x4505],
        ),
        (
            ".option arch, -c; ret; .option arch, +c; ret",
            6,
            &[0x8067, 0x0000, 0x8082],
        ),
    ];
    let opts = Options {
        compressed: true,
        ..Options::default()
    };
    let mut failures = Vec::new();
    for &(line, size, tail) in cases {
        // One statement a line (the cases are written with `; `).
        let src = format!("_start: {}\n", line.replace("; ", "\n"));
        let out = assemble_source("test.s", &src, &opts).unwrap_or_else(|e| panic!("{src}\n{e}"));
        let text = &out.section(".text").expect(".text").data;
        let halves: Vec<u16> = text[text.len().saturating_sub(10)..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        if text.len() != size || halves != tail {
            failures.push(format!(
                "`{line}`: got {} bytes ending {halves:04x?}, GNU as gives {size} ending {tail:04x?}",
                text.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_default_isa_has_no_compressed_instructions() {
    let out = assemble("_start: ret\n.option rvc\nret\n");
    // `ret` 32-bit, then c.jr ra once `.option rvc` turned C on, then a
    // c.nop to the 4-byte alignment `.text` has without C (GNU as's bytes);
    // the ELF says so in its header (EF_RISCV_RVC).
    assert_eq!(
        out.section(".text").expect(".text").data,
        [0x67, 0x80, 0x00, 0x00, 0x82, 0x80, 0x01, 0x00]
    );
    assert_eq!(out.elf[48] & 1, 1, "e_flags has EF_RISCV_RVC");
    assert_eq!(assemble("_start: ret\n").elf[48] & 1, 0);
}

#[test]
fn march_strings_are_checked() {
    assert_eq!(asm::parse_march("rv64imac_zicsr_zifencei"), Ok(true));
    assert_eq!(asm::parse_march("rv64ima_zicsr_zifencei"), Ok(false));
    assert_eq!(asm::parse_march("RV64IC"), Ok(true));
    for bad in [
        "rv32imac",
        "rv64gc",
        "rv64imafdc",
        "rv64icm",
        "rv64imac_zba",
        "imac",
    ] {
        let e = asm::parse_march(bad).expect_err(bad);
        assert!(e.contains(bad), "{e}");
    }
}

#[test]
fn option_pop_without_push_and_unknown_arch_are_errors() {
    let opts = Options::default();
    let e = assemble_source("t.s", "_start: .option pop\n", &opts).expect_err("pop");
    assert!(e.to_string().contains("t.s:1:"), "{e}");
    let e = assemble_source("t.s", "_start:\n .option arch, +f\n", &opts).expect_err("+f");
    assert!(
        e.to_string().contains("t.s:2:") && e.to_string().contains("`f`"),
        "{e}"
    );
}
