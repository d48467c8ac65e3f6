//! Program images: what an ELF executable puts in guest memory.
//!
//! [`Image::from_elf`] checks that a file is an ELF64 little-endian RISC-V
//! executable (`ET_EXEC`) that can run: its loadable (`PT_LOAD`) segments
//! fit in RAM without overlapping, and its entry point is an aligned
//! address among their bytes (anywhere else the first instruction fetch
//! faults, or finds zeros, an illegal instruction, and with `stvec` still 0
//! the guest can only storm traps). It returns the entry point, segments
//! and symbols. Anything else is an
//! [`ImageError`] that says what the file is and what to do about it. The
//! ELF format is the System V gABI's; the RISC-V specifics (`EM_RISCV`) come
//! from the RISC-V ELF psABI. Segments load at their physical address
//! (`p_paddr`), as QEMU's `-kernel` loader does.
//!
//! [`code_sections`] returns the executable sections for the disassembler.
//!
//! A file that is not ELF is a raw image, as QEMU's `-kernel` takes one
//! (U-Boot's `u-boot.bin`, Linux's `Image`): [`Image::from_raw`] loads its
//! bytes at [`RAW_LOAD_ADDR`] and enters there. [`Image::from_bytes`] tells
//! the two apart by the ELF magic number, so that a file that is ELF but
//! unusable still gets the ELF error that says why.

use std::ops::Range;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader, Sym};
use object::LittleEndian as LE;

/// Why a file is not a program trapvisor can load.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("not an ELF file (no \\x7fELF magic number at its start)")]
    NotElf,
    #[error("ELF32, need ELF64: build for RV64 (-march=rv64ima_zicsr_zifencei -mabi=lp64)")]
    Elf32,
    #[error("big-endian ELF, need little-endian RISC-V")]
    BigEndian,
    #[error("built for {0}, need RISC-V: use a riscv64 toolchain")]
    WrongMachine(String),
    #[error("a relocatable object (.o), not an executable: link it first")]
    Relocatable,
    #[error(
        "a shared object or position-independent executable (ET_DYN), not a static \
         executable: link it with -static -no-pie at a fixed address"
    )]
    SharedObject,
    #[error("a core dump, not an executable")]
    Core,
    #[error("ELF type {0:#x} is not an executable (need ET_EXEC)")]
    NotExecutable(u16),
    #[error("malformed ELF: {0}")]
    Malformed(String),
    #[error("an empty file: nothing to run")]
    Empty,
    #[error(
        "not an ELF executable, and text rather than a raw binary image \
         (assembly sources must end in .s or .S)"
    )]
    Text,
    #[error(
        "a raw image of {size:#x} bytes, loaded at 0x80200000, does not fit in RAM \
         {ram_start:#x}..{ram_end:#x}"
    )]
    RawOutsideRam {
        size: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error("no loadable (PT_LOAD) segments: nothing to run")]
    NoSegments,
    #[error(
        "segment {start:#x}..{end:#x} does not fit in RAM {ram_start:#x}..{ram_end:#x}: \
         link the program inside RAM (e.g. at 0x80200000)"
    )]
    SegmentOutsideRam {
        start: u64,
        end: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error(
        "segments {first:#x}..{first_end:#x} and {second:#x}..{second_end:#x} overlap: \
         each byte of memory can be loaded from one segment only (check the linker script)"
    )]
    OverlappingSegments {
        first: u64,
        first_end: u64,
        second: u64,
        second_end: u64,
    },
    #[error(
        "entry point {entry:#x} is outside RAM {ram_start:#x}..{ram_end:#x}: the first \
         instruction fetch would fault; link the program inside RAM (e.g. at 0x80200000) \
         and set its entry (the _start symbol) there"
    )]
    EntryOutsideRam {
        entry: u64,
        ram_start: u64,
        ram_end: u64,
    },
    #[error(
        "entry point {0:#x} is not 2-byte aligned: instructions are 16 or 32 bits (IALIGN = 16)"
    )]
    EntryMisaligned(u64),
    #[error(
        "entry point {0:#x} is not in the bytes of any loaded segment: the first instruction \
         there would be 0, an illegal instruction (is _start in .text?)"
    )]
    EntryNotLoaded(u64),
}

/// Where a raw image is loaded and entered: where OpenSBI (`-bios
/// default`) jumps on QEMU's `virt` board, and where QEMU's `-kernel`
/// loads a raw image for it (`0x8020_0000`, the next 2 MiB after the
/// firmware on RV64).
pub const RAW_LOAD_ADDR: u64 = 0x8020_0000;

/// How many leading bytes decide whether a non-ELF file is text.
const TEXT_SNIFF: usize = 4096;

/// A loadable segment: `data` goes at `addr`, followed by zeros up to
/// `mem_size` bytes (`.bss`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub addr: u64,
    pub data: Vec<u8>,
    pub mem_size: u64,
}

/// A named address from the symbol table: a function, an object or a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub addr: u64,
    pub size: u64,
}

/// An executable section, for the disassembler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub addr: u64,
    pub data: Vec<u8>,
}

/// A program ready to be copied into guest RAM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub entry: u64,
    pub segments: Vec<Segment>,
    /// Sorted by address (then by name).
    pub symbols: Vec<Symbol>,
}

impl Image {
    /// Reads an ELF executable whose segments must all lie inside `ram`.
    pub fn from_elf(bytes: &[u8], ram: Range<u64>) -> Result<Image, ImageError> {
        let elf = Elf::parse(bytes)?;
        let mut segments = Vec::new();
        for ph in elf.program_headers()? {
            if ph.p_type(LE) != elf::PT_LOAD || ph.p_memsz(LE) == 0 {
                continue;
            }
            let addr = ph.p_paddr(LE);
            let mem_size = ph.p_memsz(LE);
            let file_size = ph.p_filesz(LE);
            if file_size > mem_size {
                return Err(malformed(format!(
                    "segment at {addr:#x} has more file bytes ({file_size:#x}) than memory bytes ({mem_size:#x})"
                )));
            }
            let data = ph
                .data(LE, bytes)
                .map_err(|_| malformed(format!("segment at {addr:#x} lies outside the file")))?;
            let end = addr.checked_add(mem_size);
            match end {
                Some(end) if ram.start <= addr && end <= ram.end => {}
                _ => {
                    return Err(ImageError::SegmentOutsideRam {
                        start: addr,
                        end: end.unwrap_or(u64::MAX),
                        ram_start: ram.start,
                        ram_end: ram.end,
                    })
                }
            }
            segments.push(Segment {
                addr,
                data: data.to_vec(),
                mem_size,
            });
        }
        if segments.is_empty() {
            return Err(ImageError::NoSegments);
        }
        check_overlaps(&segments)?;
        let entry = elf.header.e_entry(LE);
        check_entry(entry, &segments, &ram)?;
        Ok(Image {
            entry,
            segments,
            symbols: elf.symbols()?,
        })
    }

    /// Reads an ELF executable (as [`Image::from_elf`]) if `bytes` start
    /// with the ELF magic number, and a raw image (as
    /// [`Image::from_raw`]) otherwise.
    pub fn from_bytes(bytes: &[u8], ram: Range<u64>) -> Result<Image, ImageError> {
        if is_elf(bytes) {
            Image::from_elf(bytes, ram)
        } else {
            Image::from_raw(bytes, ram)
        }
    }

    /// A raw image: its bytes at [`RAW_LOAD_ADDR`], entered there, no
    /// symbols, as QEMU's `-kernel` loads a file that is not ELF. An
    /// empty file, or one whose start is text (valid UTF-8 without a NUL
    /// byte: machine code has plenty), is refused: it is much more likely
    /// a mistyped assembly source than a program.
    pub fn from_raw(bytes: &[u8], ram: Range<u64>) -> Result<Image, ImageError> {
        if bytes.is_empty() {
            return Err(ImageError::Empty);
        }
        if looks_like_text(bytes) {
            return Err(ImageError::Text);
        }
        let size = bytes.len() as u64;
        match RAW_LOAD_ADDR.checked_add(size) {
            Some(end) if ram.start <= RAW_LOAD_ADDR && end <= ram.end => {}
            _ => {
                return Err(ImageError::RawOutsideRam {
                    size,
                    ram_start: ram.start,
                    ram_end: ram.end,
                })
            }
        }
        Ok(Image {
            entry: RAW_LOAD_ADDR,
            segments: vec![Segment {
                addr: RAW_LOAD_ADDR,
                data: bytes.to_vec(),
                mem_size: size,
            }],
            symbols: Vec::new(),
        })
    }

    /// The symbol called `name`.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.name == name)
    }

    /// The symbol `addr` belongs to: the closest one at or below `addr`
    /// that is either sized and covers `addr`, or a label (size 0).
    pub fn symbol_at(&self, addr: u64) -> Option<&Symbol> {
        let below = self.symbols.partition_point(|s| s.addr <= addr);
        self.symbols[..below]
            .iter()
            .rev()
            .find(|s| s.size == 0 || addr - s.addr < s.size)
    }
}

/// No two segments share a byte of memory (QEMU would load the later one
/// over the earlier; a linker never makes such a file on purpose).
fn check_overlaps(segments: &[Segment]) -> Result<(), ImageError> {
    // Segments are inside RAM here, so `addr + mem_size` does not overflow.
    let mut ranges: Vec<(u64, u64)> = segments
        .iter()
        .map(|s| (s.addr, s.addr + s.mem_size))
        .collect();
    ranges.sort_unstable();
    for pair in ranges.windows(2) {
        let ((first, first_end), (second, second_end)) = (pair[0], pair[1]);
        if second < first_end {
            return Err(ImageError::OverlappingSegments {
                first,
                first_end,
                second,
                second_end,
            });
        }
    }
    Ok(())
}

/// The entry point is where the hart can fetch the program's first
/// instruction: in RAM, 2-byte aligned (IALIGN = 16), among a segment's
/// file bytes (its first parcel's).
fn check_entry(entry: u64, segments: &[Segment], ram: &Range<u64>) -> Result<(), ImageError> {
    if !ram.contains(&entry) {
        return Err(ImageError::EntryOutsideRam {
            entry,
            ram_start: ram.start,
            ram_end: ram.end,
        });
    }
    if entry % 2 != 0 {
        return Err(ImageError::EntryMisaligned(entry));
    }
    let loaded = segments.iter().any(|s| match entry.checked_sub(s.addr) {
        Some(at) => at
            .checked_add(2)
            .is_some_and(|end| end <= s.data.len() as u64),
        None => false,
    });
    if !loaded {
        return Err(ImageError::EntryNotLoaded(entry));
    }
    Ok(())
}

/// The executable sections of an ELF executable (checked as
/// [`Image::from_elf`] checks it, RAM aside), in file order. An ELF without
/// section headers yields its executable `PT_LOAD` segments, named `.text`.
pub fn code_sections(bytes: &[u8]) -> Result<Vec<Section>, ImageError> {
    let elf = Elf::parse(bytes)?;
    let mut out = Vec::new();
    for section in elf.sections.iter() {
        let flags = section.sh_flags(LE);
        if flags & u64::from(elf::SHF_EXECINSTR) == 0 || section.sh_type(LE) == elf::SHT_NOBITS {
            continue;
        }
        let name = elf
            .sections
            .section_name(LE, section)
            .map_err(|_| malformed("bad section name"))?;
        let data = section
            .data(LE, bytes)
            .map_err(|_| malformed("a section lies outside the file"))?;
        out.push(Section {
            name: String::from_utf8_lossy(name).into_owned(),
            addr: section.sh_addr(LE),
            data: data.to_vec(),
        });
    }
    if elf.sections.is_empty() {
        for ph in elf.program_headers()? {
            if ph.p_type(LE) == elf::PT_LOAD && ph.p_flags(LE) & elf::PF_X != 0 {
                let data = ph
                    .data(LE, bytes)
                    .map_err(|_| malformed("a segment lies outside the file"))?;
                out.push(Section {
                    name: ".text".to_string(),
                    addr: ph.p_vaddr(LE),
                    data: data.to_vec(),
                });
            }
        }
    }
    Ok(out)
}

/// The symbols of an ELF executable, as [`Image::symbols`].
pub fn symbols(bytes: &[u8]) -> Result<Vec<Symbol>, ImageError> {
    Elf::parse(bytes)?.symbols()
}

/// Whether `bytes` start with the ELF magic number (`\x7fELF`).
/// Does the program's ISA have the C extension, as objdump decides it: the
/// `Tag_RISCV_arch` string of its `.riscv.attributes` (RISC-V ELF psABI,
/// "Attributes"), as GNU as writes it from `-march`; without that section,
/// the `EF_RISCV_RVC` flag of its header, which GNU ld and `trapvisor asm`
/// set for code with compressed instructions. (objdump itself assumes
/// rv64gc when a file has no attributes; trapvisor's own ELFs have none,
/// and their flag says what they are.)
pub fn has_compressed(bytes: &[u8]) -> Result<bool, ImageError> {
    let elf = Elf::parse(bytes)?;
    for section in elf.sections.iter() {
        let name = elf.sections.section_name(LE, section).unwrap_or_default();
        if name != b".riscv.attributes" {
            continue;
        }
        let data = section
            .data(LE, bytes)
            .map_err(|_| malformed("a section lies outside the file"))?;
        if let Some(arch) = attribute_arch(data) {
            return Ok(arch_has_extension(&arch, 'c'));
        }
    }
    Ok(elf.header.e_flags(LE) & EF_RISCV_RVC != 0)
}

/// `e_flags`: the file contains compressed instructions.
pub const EF_RISCV_RVC: u32 = 1;

/// The `Tag_RISCV_arch` (5) string of a `.riscv.attributes` section:
/// format version `A`, then subsections (length, vendor `riscv`, then
/// `Tag_File` with its length and attributes: odd tags take a string,
/// even ones a ULEB128).
fn attribute_arch(data: &[u8]) -> Option<String> {
    let rest = data.strip_prefix(b"A")?;
    let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let sub = rest.get(4..len)?;
    let vendor_end = sub.iter().position(|&b| b == 0)?;
    if &sub[..vendor_end] != b"riscv" {
        return None;
    }
    let file = sub.get(vendor_end + 1..)?;
    if *file.first()? != 1 {
        return None;
    }
    let mut at = 5;
    let uleb = |at: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *file.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    while at < file.len() {
        let tag = uleb(&mut at)?;
        if tag % 2 == 1 {
            let end = at + file.get(at..)?.iter().position(|&b| b == 0)?;
            if tag == 5 {
                return Some(String::from_utf8_lossy(&file[at..end]).into_owned());
            }
            at = end + 1;
        } else {
            uleb(&mut at)?;
        }
    }
    None
}

/// Does an ISA string (`rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0`, or
/// `rv64imac_zicsr`) name the single-letter extension `ext`?
pub fn arch_has_extension(arch: &str, ext: char) -> bool {
    let lower = arch.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("rv64")
        .or_else(|| lower.strip_prefix("rv32"))
    else {
        return false;
    };
    for (n, segment) in rest.split('_').enumerate() {
        let mut chars = segment.chars();
        let first = chars.next();
        // Multi-letter extensions (`zicsr`, `svinval`, `xfoo`) after the
        // first segment.
        if n > 0 && matches!(first, Some('z' | 's' | 'x')) {
            continue;
        }
        let mut prev_digit = false;
        for c in segment.chars() {
            let letter = c.is_ascii_alphabetic() && !(c == 'p' && prev_digit);
            if letter && (c == ext || (c == 'g' && "imafd".contains(ext))) {
                return true;
            }
            prev_digit = c.is_ascii_digit();
        }
    }
    false
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(&elf::ELFMAG)
}

/// Whether the start of a file is text: no NUL byte, and UTF-8 (a
/// character cut off by the end of the sample counts as UTF-8).
fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(TEXT_SNIFF)];
    !sample.contains(&0)
        && match std::str::from_utf8(sample) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        }
}

fn malformed(what: impl Into<String>) -> ImageError {
    ImageError::Malformed(what.into())
}

/// An ELF file that passed the identity checks.
struct Elf<'a> {
    bytes: &'a [u8],
    header: &'a elf::FileHeader64<LE>,
    sections: object::read::elf::SectionTable<'a, elf::FileHeader64<LE>>,
}

impl<'a> Elf<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Elf<'a>, ImageError> {
        if bytes.get(..4) != Some(&elf::ELFMAG[..]) {
            return Err(ImageError::NotElf);
        }
        // e_ident[EI_CLASS] and e_ident[EI_DATA].
        match bytes.get(4).copied() {
            Some(elf::ELFCLASS64) => {}
            Some(elf::ELFCLASS32) => return Err(ImageError::Elf32),
            other => return Err(malformed(format!("unknown ELF class {other:?}"))),
        }
        match bytes.get(5).copied() {
            Some(elf::ELFDATA2LSB) => {}
            Some(elf::ELFDATA2MSB) => return Err(ImageError::BigEndian),
            other => return Err(malformed(format!("unknown ELF data encoding {other:?}"))),
        }
        let header = elf::FileHeader64::<LE>::parse(bytes)
            .map_err(|e| malformed(format!("bad ELF header ({e})")))?;
        let machine = header.e_machine(LE);
        if machine != elf::EM_RISCV {
            return Err(ImageError::WrongMachine(machine_name(machine)));
        }
        match header.e_type(LE) {
            elf::ET_EXEC => {}
            elf::ET_REL => return Err(ImageError::Relocatable),
            elf::ET_DYN => return Err(ImageError::SharedObject),
            elf::ET_CORE => return Err(ImageError::Core),
            other => return Err(ImageError::NotExecutable(other)),
        }
        let sections = header
            .sections(LE, bytes)
            .map_err(|e| malformed(format!("bad section headers ({e})")))?;
        Ok(Elf {
            bytes,
            header,
            sections,
        })
    }

    fn program_headers(&self) -> Result<&'a [elf::ProgramHeader64<LE>], ImageError> {
        self.header
            .program_headers(LE, self.bytes)
            .map_err(|e| malformed(format!("bad program headers ({e})")))
    }

    /// Defined, named symbols, without section, file and mapping (`$x`,
    /// `$d`) symbols, sorted by address.
    fn symbols(&self) -> Result<Vec<Symbol>, ImageError> {
        let table = self
            .sections
            .symbols(LE, self.bytes, elf::SHT_SYMTAB)
            .map_err(|e| malformed(format!("bad symbol table ({e})")))?;
        let mut out = Vec::new();
        for sym in table.iter() {
            let kind = sym.st_type();
            if sym.st_shndx(LE) == elf::SHN_UNDEF
                || kind == elf::STT_SECTION
                || kind == elf::STT_FILE
            {
                continue;
            }
            let Ok(name) = sym.name(LE, table.strings()) else {
                return Err(malformed("bad symbol name"));
            };
            if name.is_empty() || is_mapping_symbol(name) {
                continue;
            }
            out.push(Symbol {
                name: String::from_utf8_lossy(name).into_owned(),
                addr: sym.st_value(LE),
                size: sym.st_size(LE),
            });
        }
        out.sort_by(|a, b| a.addr.cmp(&b.addr).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }
}

/// RISC-V mapping symbols (`$x`, `$d`, `$xrv64i2p1...`) mark code and data
/// for disassemblers; they are not names a user wrote.
fn is_mapping_symbol(name: &[u8]) -> bool {
    name == b"$d" || name.starts_with(b"$x")
}

fn machine_name(machine: u16) -> String {
    match machine {
        elf::EM_386 => "x86 (i386)".to_string(),
        elf::EM_X86_64 => "x86-64".to_string(),
        elf::EM_ARM => "32-bit Arm".to_string(),
        elf::EM_AARCH64 => "AArch64".to_string(),
        elf::EM_MIPS => "MIPS".to_string(),
        elf::EM_PPC => "PowerPC".to_string(),
        elf::EM_PPC64 => "PowerPC64".to_string(),
        elf::EM_S390 => "s390".to_string(),
        elf::EM_SPARCV9 => "SPARC V9".to_string(),
        elf::EM_LOONGARCH => "LoongArch".to_string(),
        elf::EM_NONE => "no machine (EM_NONE)".to_string(),
        other => format!("machine {other} (e_machine)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isa_strings_name_their_single_letter_extensions() {
        assert!(arch_has_extension(
            "rv64i2p1_m2p0_a2p1_c2p0_zicsr2p0_zifencei2p0",
            'c'
        ));
        assert!(!arch_has_extension(
            "rv64i2p1_m2p0_a2p1_zicsr2p0_zifencei2p0",
            'c'
        ));
        assert!(arch_has_extension("rv64imac_zicsr_zifencei", 'c'));
        assert!(!arch_has_extension("rv64ima_zicsr_zifencei", 'c'));
        assert!(arch_has_extension("rv64gc", 'c'));
        assert!(arch_has_extension("rv64g", 'a'));
        // `c` inside a multi-letter extension is not C.
        assert!(!arch_has_extension("rv64ima_zicsr_zicbom", 'c'));
        assert!(!arch_has_extension("x86_64", 'c'));
    }
}
