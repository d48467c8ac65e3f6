//! ELF loading: real executables built once with the GNU tools (checked in
//! under `tests/data/`, see `hello.s`) and hand-made headers for every way
//! a file can be wrong.

use cpu::disasm::Listing;
use cpu::image::{self, Image, ImageError};

const RAM: std::ops::Range<u64> = 0x8000_0000..0x8800_0000;

fn data(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn loads_a_real_executable() {
    let image = Image::from_elf(&data("hello.elf"), RAM).unwrap();
    assert_eq!(image.entry, 0x8020_0000);
    let start = image.symbol("_start").unwrap();
    assert_eq!(start.addr, 0x8020_0000);
    let finish = image.symbol("finish").unwrap();
    assert_eq!((finish.addr, finish.size), (0x8020_0064, 20));
    // `.text` is in a segment, with its first instruction (auipc sp,0x2).
    let text = image
        .segments
        .iter()
        .find(|s| s.addr <= 0x8020_0000 && 0x8020_0000 < s.addr + s.data.len() as u64)
        .unwrap();
    let at = (0x8020_0000 - text.addr) as usize;
    assert_eq!(&text.data[at..at + 4], &0x0000_2117u32.to_le_bytes());
    // `.bss`: memory beyond the file bytes.
    assert!(image
        .segments
        .iter()
        .any(|s| s.mem_size >= 4096 + s.data.len() as u64));
    // Mapping symbols ($x, $d) are not user symbols.
    assert!(image.symbols.iter().all(|s| !s.name.starts_with('$')));
    assert!(image.symbols.windows(2).all(|w| w[0].addr <= w[1].addr));
}

#[test]
fn symbol_at_finds_the_enclosing_symbol() {
    let image = Image::from_elf(&data("hello.elf"), RAM).unwrap();
    assert_eq!(image.symbol_at(0x8020_0064).unwrap().name, "finish");
    assert_eq!(image.symbol_at(0x8020_0074).unwrap().name, "finish");
    // Past the end of `finish` (size 20) is the next label.
    assert_eq!(image.symbol_at(0x8020_0078).unwrap().name, "local_label");
    assert_eq!(image.symbol_at(0x8020_0010).unwrap().name, "_start");
    assert!(image.symbol_at(0x1000).is_none());
    assert!(image.symbol("no_such_symbol").is_none());
}

#[test]
fn listing_matches_objdump() {
    let elf = data("hello.elf");
    let symbols = image::symbols(&elf).unwrap();
    let mut out = String::from("\nhello.elf:     file format elf64-littleriscv\n\n");
    let mut listing = Listing::new(&symbols);
    for section in image::code_sections(&elf).unwrap() {
        listing.section(&mut out, &section.name, section.addr, &section.data);
    }
    let want = String::from_utf8(data("hello.objdump")).unwrap();
    assert_eq!(out, want);
}

#[test]
fn rejects_what_is_not_a_risc_v_executable() {
    assert_eq!(
        Image::from_elf(&data("hello.o"), RAM),
        Err(ImageError::Relocatable)
    );
    assert_eq!(
        Image::from_elf(&data("rv32.elf"), RAM),
        Err(ImageError::Elf32)
    );
    assert_eq!(
        Image::from_elf(b"#!/bin/sh\necho hi\n", RAM),
        Err(ImageError::NotElf)
    );
    assert_eq!(Image::from_elf(b"", RAM), Err(ImageError::NotElf));
    let message = ImageError::Relocatable.to_string();
    assert!(message.contains("relocatable object (.o)") && message.contains("link it first"));
}

#[test]
fn rejects_segments_outside_ram() {
    let err = Image::from_elf(&data("low.elf"), RAM).unwrap_err();
    let ImageError::SegmentOutsideRam {
        start,
        ram_start,
        ram_end,
        ..
    } = err
    else {
        panic!("{err:?}");
    };
    assert!(start < 0x2000);
    assert_eq!((ram_start, ram_end), (RAM.start, RAM.end));
    let message = err.to_string();
    assert!(message.contains("0x80000000..0x88000000"), "{message}");
    // The same file loads where its segments fit.
    assert!(Image::from_elf(&data("low.elf"), 0..0x10_0000).is_ok());
}

/// A minimal ELF64 header plus program headers `(paddr, filesz, memsz)`,
/// with `filesz` bytes of 0x13 per segment after the headers.
fn elf(class: u8, data: u8, machine: u16, kind: u16, segments: &[(u64, u64, u64)]) -> Vec<u8> {
    let phoff = 64u64;
    let mut out = vec![0u8; 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = class;
    out[5] = data;
    out[6] = 1;
    out[16..18].copy_from_slice(&kind.to_le_bytes());
    out[18..20].copy_from_slice(&machine.to_le_bytes());
    out[20..24].copy_from_slice(&1u32.to_le_bytes());
    out[24..32].copy_from_slice(&0x8020_0000u64.to_le_bytes());
    out[32..40].copy_from_slice(&phoff.to_le_bytes());
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    out[54..56].copy_from_slice(&56u16.to_le_bytes());
    out[56..58].copy_from_slice(&(segments.len() as u16).to_le_bytes());
    out[58..60].copy_from_slice(&64u16.to_le_bytes());
    let mut offset = phoff + 56 * segments.len() as u64;
    for &(paddr, filesz, memsz) in segments {
        let mut ph = vec![0u8; 56];
        ph[0..4].copy_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        ph[4..8].copy_from_slice(&5u32.to_le_bytes()); // R+X
        ph[8..16].copy_from_slice(&offset.to_le_bytes());
        ph[16..24].copy_from_slice(&paddr.to_le_bytes());
        ph[24..32].copy_from_slice(&paddr.to_le_bytes());
        ph[32..40].copy_from_slice(&filesz.to_le_bytes());
        ph[40..48].copy_from_slice(&memsz.to_le_bytes());
        out.extend(ph);
        offset += filesz;
    }
    for &(_, filesz, _) in segments {
        out.extend(std::iter::repeat_n(0x13u8, filesz as usize));
    }
    out
}

const RISCV: u16 = 243;
const EXEC: u16 = 2;

#[test]
fn hand_made_headers() {
    let ok = elf(2, 1, RISCV, EXEC, &[(0x8020_0000, 8, 16)]);
    let image = Image::from_elf(&ok, RAM).unwrap();
    assert_eq!(image.entry, 0x8020_0000);
    assert_eq!(image.segments.len(), 1);
    assert_eq!(image.segments[0].data, vec![0x13; 8]);
    assert_eq!(image.segments[0].mem_size, 16);
    assert!(image.symbols.is_empty());

    let check = |bytes: Vec<u8>, want: ImageError| {
        assert_eq!(Image::from_elf(&bytes, RAM), Err(want.clone()));
        assert!(!want.to_string().is_empty());
    };
    check(elf(1, 1, RISCV, EXEC, &[]), ImageError::Elf32);
    check(elf(2, 2, RISCV, EXEC, &[]), ImageError::BigEndian);
    check(
        elf(2, 1, 62, EXEC, &[]),
        ImageError::WrongMachine("x86-64".into()),
    );
    check(
        elf(2, 1, 1, EXEC, &[]),
        ImageError::WrongMachine("machine 1 (e_machine)".into()),
    );
    check(elf(2, 1, RISCV, 1, &[]), ImageError::Relocatable);
    check(elf(2, 1, RISCV, 3, &[]), ImageError::SharedObject);
    check(elf(2, 1, RISCV, 4, &[]), ImageError::Core);
    check(elf(2, 1, RISCV, EXEC, &[]), ImageError::NoSegments);
    check(
        elf(2, 1, RISCV, EXEC, &[(0x87ff_fff8, 8, 16)]),
        ImageError::SegmentOutsideRam {
            start: 0x87ff_fff8,
            end: 0x8800_0008,
            ram_start: RAM.start,
            ram_end: RAM.end,
        },
    );
    let message = ImageError::WrongMachine("x86-64".into()).to_string();
    assert_eq!(
        message,
        "built for x86-64, need RISC-V: use a riscv64 toolchain"
    );
}

/// `bytes` with its entry point (`e_entry`) set to `entry`.
fn with_entry(mut bytes: Vec<u8>, entry: u64) -> Vec<u8> {
    bytes[24..32].copy_from_slice(&entry.to_le_bytes());
    bytes
}

#[test]
fn rejects_an_entry_point_where_nothing_can_run() {
    let one = elf(2, 1, RISCV, EXEC, &[(0x8020_0000, 8, 0x1000)]);
    assert!(Image::from_elf(&with_entry(one.clone(), 0x8020_0004), RAM).is_ok());
    let outside = |entry| ImageError::EntryOutsideRam {
        entry,
        ram_start: RAM.start,
        ram_end: RAM.end,
    };
    // Nothing there, the top of the address space, the UART, just past RAM.
    for entry in [0x1000, u64::MAX, 0x1000_0000, 0x8800_0000, 0x7fff_fffc] {
        assert_eq!(
            Image::from_elf(&with_entry(one.clone(), entry), RAM),
            Err(outside(entry)),
            "{entry:#x}"
        );
    }
    // IALIGN = 16: a compressed instruction may begin 2 bytes into a
    // word, even the file bytes' last parcel; an odd address is no
    // instruction boundary.
    for entry in [0x8020_0002, 0x8020_0006] {
        assert!(Image::from_elf(&with_entry(one.clone(), entry), RAM).is_ok());
    }
    assert_eq!(
        Image::from_elf(&with_entry(one.clone(), 0x8020_0001), RAM),
        Err(ImageError::EntryMisaligned(0x8020_0001))
    );
    // In RAM, but in the zeros of .bss, past the last parcel of the file
    // bytes, or in no segment at all.
    for entry in [0x8020_0008, 0x8020_0800, 0x8020_000c, 0x8000_0000] {
        assert_eq!(
            Image::from_elf(&with_entry(one.clone(), entry), RAM),
            Err(ImageError::EntryNotLoaded(entry)),
            "{entry:#x}"
        );
    }
    let message = outside(0x1000_0000).to_string();
    assert!(
        message.contains("entry point 0x10000000 is outside RAM 0x80000000..0x88000000"),
        "{message}"
    );
}

#[test]
fn rejects_overlapping_segments() {
    // The second segment starts inside the first one's .bss, then exactly
    // at its start, then inside its file bytes; listed either way round.
    for (a, b) in [
        ((0x8020_0000, 8, 0x1000), (0x8020_0800, 8, 8)),
        ((0x8020_0000, 8, 16), (0x8020_0000, 8, 8)),
        ((0x8020_0000, 8, 16), (0x8020_0004, 8, 8)),
    ] {
        for order in [[a, b], [b, a]] {
            let err = Image::from_elf(&elf(2, 1, RISCV, EXEC, &order), RAM).unwrap_err();
            assert!(
                matches!(err, ImageError::OverlappingSegments { .. }),
                "{order:x?}: {err:?}"
            );
        }
    }
    let err = Image::from_elf(
        &elf(
            2,
            1,
            RISCV,
            EXEC,
            &[(0x8020_0000, 8, 0x1000), (0x8020_0800, 8, 8)],
        ),
        RAM,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "segments 0x80200000..0x80201000 and 0x80200800..0x80200808 overlap: each byte of \
         memory can be loaded from one segment only (check the linker script)"
    );
    // Touching is not overlapping.
    let touching = elf(
        2,
        1,
        RISCV,
        EXEC,
        &[(0x8020_0000, 8, 16), (0x8020_0010, 8, 8)],
    );
    assert!(Image::from_elf(&touching, RAM).is_ok());
}

#[test]
fn malformed_files_are_errors_not_panics() {
    let good = elf(2, 1, RISCV, EXEC, &[(0x8020_0000, 8, 16)]);
    // Every truncation of a valid file.
    for len in 0..good.len() {
        let _ = Image::from_elf(&good[..len], RAM);
        let _ = image::code_sections(&good[..len]);
    }
    // A segment whose bytes lie past the end of the file.
    let mut bad = good.clone();
    bad.truncate(good.len() - 4);
    assert!(matches!(
        Image::from_elf(&bad, RAM),
        Err(ImageError::Malformed(_))
    ));
    // More file bytes than memory bytes.
    let bad = elf(2, 1, RISCV, EXEC, &[(0x8020_0000, 16, 8)]);
    assert!(matches!(
        Image::from_elf(&bad, RAM),
        Err(ImageError::Malformed(_))
    ));
    // A segment that wraps around the address space.
    let bad = elf(2, 1, RISCV, EXEC, &[(u64::MAX - 3, 8, 8)]);
    assert!(matches!(
        Image::from_elf(&bad, 0..u64::MAX),
        Err(ImageError::SegmentOutsideRam { .. })
    ));
    // Bytes flipped at random in a real executable.
    let real = data("hello.elf");
    let mut state = 0x1234_5678_9abc_def0u64;
    for _ in 0..2000 {
        let mut copy = real.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state % copy.len() as u64) as usize;
            copy[at] = (state >> 32) as u8;
        }
        let _ = Image::from_elf(&copy, RAM);
        let _ = image::symbols(&copy);
        if let Ok(sections) = image::code_sections(&copy) {
            let symbols = image::symbols(&copy).unwrap_or_default();
            let mut listing = Listing::new(&symbols);
            let mut out = String::new();
            for s in sections {
                listing.section(&mut out, &s.name, s.addr, &s.data);
            }
        }
    }
}

#[test]
fn code_sections_of_a_real_executable() {
    let sections = image::code_sections(&data("hello.elf")).unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0].name, ".text");
    assert_eq!(sections[0].addr, 0x8020_0000);
    assert_eq!(sections[0].data.len() % 4, 0);
}

// --- raw images, as QEMU's -kernel loads them ---------------------------------

#[test]
fn a_file_that_is_not_elf_is_a_raw_image_at_0x80200000() {
    // The code of hello.elf, as `objcopy -O binary` would give it.
    let code = vec![0x17, 0x21, 0x00, 0x00, 0x13, 0x01, 0x01, 0x00];
    let image = Image::from_bytes(&code, RAM).unwrap();
    assert_eq!(image.entry, image::RAW_LOAD_ADDR);
    assert_eq!(image.entry, 0x8020_0000);
    assert_eq!(image.segments.len(), 1);
    assert_eq!(image.segments[0].addr, 0x8020_0000);
    assert_eq!(image.segments[0].data, code);
    assert_eq!(image.segments[0].mem_size, 8);
    assert!(image.symbols.is_empty());
    // An ELF is still read as ELF, with its errors.
    assert!(Image::from_bytes(&data("hello.elf"), RAM)
        .unwrap()
        .symbol("_start")
        .is_some());
    assert_eq!(
        Image::from_bytes(&data("rv32.elf"), RAM),
        Err(ImageError::Elf32)
    );
}

#[test]
fn raw_images_that_cannot_be_programs_are_refused() {
    assert_eq!(Image::from_bytes(b"", RAM), Err(ImageError::Empty));
    for text in [
        &b"        .text\n_start: j _start\n"[..],
        "int main() { return 0; } // \u{e9}t\u{e9}\n".as_bytes(),
    ] {
        assert_eq!(Image::from_bytes(text, RAM), Err(ImageError::Text));
    }
    // Text past the first 4 KiB does not matter; a NUL byte in it does.
    let mut mostly_text = vec![b'a'; 5000];
    mostly_text[100] = 0;
    assert!(Image::from_bytes(&mostly_text, RAM).is_ok());
    // Too big for RAM above 0x80200000, or RAM that does not reach it.
    let big = vec![0u8; 0x10_0001];
    let err = Image::from_bytes(&big, 0x8000_0000..0x8030_0000).unwrap_err();
    assert!(err.to_string().contains("does not fit in RAM"), "{err}");
    assert!(Image::from_bytes(&[0; 4], 0x8000_0000..0x8010_0000).is_err());
    assert!(Image::from_bytes(&big, 0x8000_0000..0x8030_1000).is_ok());
}
