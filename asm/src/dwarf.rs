//! DWARF debugging information for `trapvisor asm -g`, as GNU as `-g`
//! makes it for assembly sources: a compilation unit for `.text` and a
//! line table mapping each instruction to its source line, so that gdb
//! shows and steps through the `.s` lines (DWARF 4: 6.2 "Line Number
//! Information", 7.5 "Format of Debugging Information").

use crate::LineEntry;

const DW_TAG_COMPILE_UNIT: u8 = 0x11;
const DW_AT_NAME: u8 = 0x03;
const DW_AT_STMT_LIST: u8 = 0x10;
const DW_AT_LOW_PC: u8 = 0x11;
const DW_AT_HIGH_PC: u8 = 0x12;
const DW_AT_LANGUAGE: u8 = 0x13;
const DW_AT_COMP_DIR: u8 = 0x1b;
const DW_AT_PRODUCER: u8 = 0x25;
const DW_FORM_ADDR: u8 = 0x01;
const DW_FORM_DATA2: u8 = 0x05;
const DW_FORM_DATA8: u8 = 0x07;
const DW_FORM_STRING: u8 = 0x08;
const DW_FORM_SEC_OFFSET: u8 = 0x17;
const DW_LANG_MIPS_ASSEMBLER: u16 = 0x8001;
const DW_LNS_COPY: u8 = 1;
const DW_LNS_ADVANCE_PC: u8 = 2;
const DW_LNS_ADVANCE_LINE: u8 = 3;
const DW_LNS_SET_FILE: u8 = 4;
const DW_LNE_END_SEQUENCE: u8 = 1;
const DW_LNE_SET_ADDRESS: u8 = 2;

fn uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        out.push(if v == 0 { b } else { b | 0x80 });
        if v == 0 {
            break;
        }
    }
}

fn sleb(out: &mut Vec<u8>, mut v: i64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && b & 0x40 == 0) || (v == -1 && b & 0x40 != 0);
        out.push(if done { b } else { b | 0x80 });
        if done {
            break;
        }
    }
}

fn cstr(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// `.debug_abbrev`, `.debug_info` and `.debug_line` for the code in
/// `text` (start, size), from the line table `lines` over `files`: one
/// sequence for each range of `code` (the code input sections, to the end
/// of their contents).
pub fn sections(
    text: (u64, u64),
    code: &[(u64, u64)],
    lines: &[LineEntry],
    files: &[String],
    comp_dir: &str,
) -> Vec<(&'static str, Vec<u8>)> {
    let (start, size) = text;

    // .debug_line
    let mut header = vec![
        1,          // minimum_instruction_length
        1,          // maximum_operations_per_instruction
        1,          // default_is_stmt
        -5i8 as u8, // line_base
        14,         // line_range
        13,         // opcode_base
    ];
    header.extend_from_slice(&[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]);
    header.push(0); // no include_directories but the compilation's
    for f in files {
        cstr(&mut header, f);
        header.extend_from_slice(&[0, 0, 0]); // directory 0, no time, no size
    }
    header.push(0);
    let mut program = Vec::new();
    for &(lo, end) in code {
        // As GNU as -g: rows for instructions only (data and padding in
        // code belong to the row before them).
        let rows: Vec<&LineEntry> = lines
            .iter()
            .filter(|e| e.code && (lo..end).contains(&e.addr))
            .collect();
        let Some(first) = rows.first() else {
            continue;
        };
        program.extend_from_slice(&[0, 9, DW_LNE_SET_ADDRESS]);
        program.extend_from_slice(&first.addr.to_le_bytes());
        let (mut addr, mut file, mut line) = (first.addr, 0u32, 1i64);
        for (k, r) in rows.iter().enumerate() {
            // A row only where the line changes (data between two
            // instructions of one line leaves one row).
            if k > 0 && r.file == file && r.line as i64 == line {
                continue;
            }
            if r.file != file {
                program.push(DW_LNS_SET_FILE);
                uleb(&mut program, r.file as u64 + 1);
                file = r.file;
            }
            if r.line as i64 != line {
                program.push(DW_LNS_ADVANCE_LINE);
                sleb(&mut program, r.line as i64 - line);
                line = r.line as i64;
            }
            if r.addr != addr {
                program.push(DW_LNS_ADVANCE_PC);
                uleb(&mut program, r.addr - addr);
                addr = r.addr;
            }
            program.push(DW_LNS_COPY);
        }
        if end > addr {
            program.push(DW_LNS_ADVANCE_PC);
            uleb(&mut program, end - addr);
        }
        program.extend_from_slice(&[0, 1, DW_LNE_END_SEQUENCE]);
    }
    let mut line = Vec::new();
    let unit_length = 2 + 4 + header.len() + program.len();
    line.extend_from_slice(&(unit_length as u32).to_le_bytes());
    line.extend_from_slice(&4u16.to_le_bytes());
    line.extend_from_slice(&(header.len() as u32).to_le_bytes());
    line.extend_from_slice(&header);
    line.extend_from_slice(&program);

    // .debug_abbrev: one abbreviation, the compilation unit.
    let mut abbrev = vec![1, DW_TAG_COMPILE_UNIT, 0];
    for (at, form) in [
        (DW_AT_STMT_LIST, DW_FORM_SEC_OFFSET),
        (DW_AT_LOW_PC, DW_FORM_ADDR),
        (DW_AT_HIGH_PC, DW_FORM_DATA8),
        (DW_AT_NAME, DW_FORM_STRING),
        (DW_AT_COMP_DIR, DW_FORM_STRING),
        (DW_AT_PRODUCER, DW_FORM_STRING),
        (DW_AT_LANGUAGE, DW_FORM_DATA2),
    ] {
        abbrev.extend_from_slice(&[at, form]);
    }
    abbrev.extend_from_slice(&[0, 0, 0]);

    // .debug_info: the unit header and the one DIE.
    let mut die = vec![1];
    die.extend_from_slice(&0u32.to_le_bytes());
    die.extend_from_slice(&start.to_le_bytes());
    die.extend_from_slice(&size.to_le_bytes());
    cstr(&mut die, files.first().map_or("", String::as_str));
    cstr(&mut die, comp_dir);
    cstr(
        &mut die,
        concat!("trapvisor asm ", env!("CARGO_PKG_VERSION")),
    );
    die.extend_from_slice(&DW_LANG_MIPS_ASSEMBLER.to_le_bytes());
    let mut info = Vec::new();
    info.extend_from_slice(&((2 + 4 + 1 + die.len()) as u32).to_le_bytes());
    info.extend_from_slice(&4u16.to_le_bytes());
    info.extend_from_slice(&0u32.to_le_bytes());
    info.push(8);
    info.extend_from_slice(&die);

    vec![
        (".debug_info", info),
        (".debug_abbrev", abbrev),
        (".debug_line", line),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_program_rows() {
        let lines = [
            LineEntry {
                addr: 0x100,
                file: 0,
                line: 3,
                code: true,
            },
            LineEntry {
                addr: 0x108,
                file: 0,
                line: 5,
                code: true,
            },
            LineEntry {
                addr: 0x10c,
                file: 1,
                line: 1,
                code: true,
            },
        ];
        let s = sections(
            (0x100, 0x110),
            &[(0x100, 0x210)],
            &lines,
            &["a.s".into(), "b.s".into()],
            "/d",
        );
        let line = &s[2].1;
        let hdr_len = u32::from_le_bytes([line[6], line[7], line[8], line[9]]) as usize;
        let program = &line[10 + hdr_len..];
        let mut want = vec![0, 9, DW_LNE_SET_ADDRESS];
        want.extend_from_slice(&0x100u64.to_le_bytes());
        want.extend_from_slice(&[DW_LNS_ADVANCE_LINE, 2, DW_LNS_COPY]);
        want.extend_from_slice(&[DW_LNS_ADVANCE_LINE, 2, DW_LNS_ADVANCE_PC, 8, DW_LNS_COPY]);
        want.extend_from_slice(&[
            DW_LNS_SET_FILE,
            2,
            DW_LNS_ADVANCE_LINE,
            0x7c,
            DW_LNS_ADVANCE_PC,
            4,
            DW_LNS_COPY,
        ]);
        // The end: 0x104 bytes on (ULEB128: 0x84 0x02).
        want.extend_from_slice(&[DW_LNS_ADVANCE_PC, 0x84, 0x02, 0, 1, DW_LNE_END_SEQUENCE]);
        assert_eq!(program, &want[..]);
    }
}
