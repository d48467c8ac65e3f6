//! The ELF64 writer: a little-endian RISC-V `ET_EXEC` with one `PT_LOAD`
//! per non-empty output section (so that a kernel's page tables can
//! protect each), section headers, and a symbol table that objdump and
//! debuggers read (System V ABI, "Object Files"; RISC-V ELF psABI).

/// An output section to write.
pub struct Section<'a> {
    pub name: &'a str,
    pub addr: u64,
    pub size: u64,
    pub align: u64,
    /// Contents; ignored for `nobits`.
    pub data: &'a [u8],
    pub write: bool,
    pub exec: bool,
    pub nobits: bool,
}

/// A symbol: `section` is the index into the sections passed to
/// [`write`], or `None` for an absolute value.
pub struct Symbol<'a> {
    pub name: &'a str,
    pub value: u64,
    pub section: Option<usize>,
    pub global: bool,
    /// STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2.
    pub kind: u8,
}

const EM_RISCV: u16 = 243;
const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHN_ABS: u16 = 0xfff1;
const PAGE: u64 = 0x1000;

fn put16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}
fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn strtab_add(tab: &mut Vec<u8>, s: &str) -> u32 {
    let at = tab.len() as u32;
    tab.extend_from_slice(s.as_bytes());
    tab.push(0);
    at
}

/// Writes the executable. Empty sections are left out. `debug` are
/// sections that are not loaded (DWARF), written after the symbols.
pub fn write(
    entry: u64,
    sections: &[Section],
    symbols: &[Symbol],
    debug: &[(&str, Vec<u8>)],
    rvc: bool,
) -> Vec<u8> {
    let present: Vec<usize> = (0..sections.len())
        .filter(|&i| sections[i].size > 0)
        .collect();
    let phnum = present.len();
    let mut out = vec![0u8; 64 + 56 * phnum];
    // Section contents at file offsets congruent to their addresses
    // modulo the page size, as PT_LOAD requires.
    let mut offsets = vec![0u64; sections.len()];
    for &i in &present {
        let s = &sections[i];
        if s.nobits {
            offsets[i] = s.addr % PAGE;
            continue;
        }
        let cur = out.len() as u64;
        let want = s.addr % PAGE;
        let off = if cur % PAGE <= want {
            cur - cur % PAGE + want
        } else {
            cur - cur % PAGE + PAGE + want
        };
        out.resize(off as usize, 0);
        offsets[i] = off;
        out.extend_from_slice(&s.data[..(s.size as usize).min(s.data.len())]);
        out.resize((off + s.size) as usize, 0);
    }
    // Section header indices: 0 null, then the present sections, then
    // .symtab, .strtab, .shstrtab.
    let shndx = |i: usize| present.iter().position(|&p| p == i).map(|p| p as u16 + 1);
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; 24];
    let mut first_global = 1u32;
    for pass in [false, true] {
        for s in symbols.iter().filter(|s| s.global == pass) {
            let name = strtab_add(&mut strtab, s.name);
            put32(&mut symtab, name);
            symtab.push(((pass as u8) << 4) | s.kind);
            symtab.push(0);
            put16(&mut symtab, s.section.and_then(shndx).unwrap_or(SHN_ABS));
            put64(&mut symtab, s.value);
            put64(&mut symtab, 0);
        }
        if !pass {
            first_global = (symtab.len() / 24) as u32;
        }
    }
    let mut shstrtab = vec![0u8];
    let names: Vec<u32> = present
        .iter()
        .map(|&i| strtab_add(&mut shstrtab, sections[i].name))
        .collect();
    let debug_names: Vec<u32> = debug
        .iter()
        .map(|(n, _)| strtab_add(&mut shstrtab, n))
        .collect();
    let symtab_name = strtab_add(&mut shstrtab, ".symtab");
    let strtab_name = strtab_add(&mut shstrtab, ".strtab");
    let shstrtab_name = strtab_add(&mut shstrtab, ".shstrtab");

    let pad8 = |out: &mut Vec<u8>| out.resize(out.len().next_multiple_of(8), 0);
    let mut debug_offs = Vec::with_capacity(debug.len());
    for (_, data) in debug {
        debug_offs.push(out.len() as u64);
        out.extend_from_slice(data);
    }
    pad8(&mut out);
    let symtab_off = out.len() as u64;
    out.extend_from_slice(&symtab);
    let strtab_off = out.len() as u64;
    out.extend_from_slice(&strtab);
    let shstrtab_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    pad8(&mut out);
    let shoff = out.len() as u64;
    let shnum = present.len() + debug.len() + 4;

    // Section headers.
    let mut sh = Vec::with_capacity(64 * shnum);
    sh.extend_from_slice(&[0u8; 64]);
    #[allow(clippy::too_many_arguments)]
    fn header(
        sh: &mut Vec<u8>,
        name: u32,
        kind: u32,
        flags: u64,
        addr: u64,
        off: u64,
        size: u64,
        link: u32,
        info: u32,
        align: u64,
        entsize: u64,
    ) {
        put32(sh, name);
        put32(sh, kind);
        put64(sh, flags);
        put64(sh, addr);
        put64(sh, off);
        put64(sh, size);
        put32(sh, link);
        put32(sh, info);
        put64(sh, align);
        put64(sh, entsize);
    }
    for (k, &i) in present.iter().enumerate() {
        let s = &sections[i];
        let flags = SHF_ALLOC
            | if s.write { SHF_WRITE } else { 0 }
            | if s.exec { SHF_EXECINSTR } else { 0 };
        let kind = if s.nobits { SHT_NOBITS } else { SHT_PROGBITS };
        header(
            &mut sh, names[k], kind, flags, s.addr, offsets[i], s.size, 0, 0, s.align, 0,
        );
    }
    for ((name, (_, data)), off) in debug_names.iter().zip(debug).zip(&debug_offs) {
        header(
            &mut sh,
            *name,
            SHT_PROGBITS,
            0,
            0,
            *off,
            data.len() as u64,
            0,
            0,
            1,
            0,
        );
    }
    let strtab_index = (present.len() + debug.len() + 2) as u32;
    header(
        &mut sh,
        symtab_name,
        SHT_SYMTAB,
        0,
        0,
        symtab_off,
        symtab.len() as u64,
        strtab_index,
        first_global,
        8,
        24,
    );
    header(
        &mut sh,
        strtab_name,
        SHT_STRTAB,
        0,
        0,
        strtab_off,
        strtab.len() as u64,
        0,
        0,
        1,
        0,
    );
    header(
        &mut sh,
        shstrtab_name,
        SHT_STRTAB,
        0,
        0,
        shstrtab_off,
        shstrtab.len() as u64,
        0,
        0,
        1,
        0,
    );
    out.extend_from_slice(&sh);

    // ELF header.
    let mut eh = Vec::with_capacity(64);
    eh.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    eh.extend_from_slice(&[0; 8]);
    put16(&mut eh, ET_EXEC);
    put16(&mut eh, EM_RISCV);
    put32(&mut eh, 1);
    put64(&mut eh, entry);
    put64(&mut eh, 64);
    put64(&mut eh, shoff);
    // e_flags: float ABI soft, as GNU ld gives for -mabi=lp64, and
    // EF_RISCV_RVC (1) when the code may hold compressed instructions
    // (-march with c, or `.option rvc`).
    put32(&mut eh, u32::from(rvc));
    put16(&mut eh, 64);
    put16(&mut eh, 56);
    put16(&mut eh, phnum as u16);
    put16(&mut eh, 64);
    put16(&mut eh, shnum as u16);
    put16(&mut eh, (shnum - 1) as u16);
    out[..64].copy_from_slice(&eh);

    // Program headers.
    let mut ph = Vec::with_capacity(56 * phnum);
    for &i in &present {
        let s = &sections[i];
        let flags = 4 | if s.write { 2 } else { 0 } | if s.exec { 1 } else { 0 };
        put32(&mut ph, PT_LOAD);
        put32(&mut ph, flags);
        put64(&mut ph, offsets[i]);
        put64(&mut ph, s.addr);
        put64(&mut ph, s.addr);
        put64(&mut ph, if s.nobits { 0 } else { s.size });
        put64(&mut ph, s.size);
        put64(&mut ph, PAGE);
    }
    out[64..64 + ph.len()].copy_from_slice(&ph);
    out
}
