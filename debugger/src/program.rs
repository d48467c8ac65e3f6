//! What the debugger knows about a guest program besides its bytes: its
//! symbols (names for addresses, and addresses for names) and, for an
//! assembly source, which line of which file each address came from (the
//! `.s` source shown by `list`, as RARS shows it beside the code).

use std::ops::Range;

use cpu::image::{Image, Symbol};

/// One line of the line table: the instruction or data at `addr` came from
/// line `line` (1-based) of `files[file]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineEntry {
    pub addr: u64,
    pub file: usize,
    pub line: u32,
}

/// A source file, split into lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// As the user named it (or as the assembler recorded an `.include`).
    pub path: String,
    pub lines: Vec<String>,
}

/// A source location: a file (index into [`Program::files`]) and line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: usize,
    pub line: u32,
}

/// A guest program's names and lines.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The guest's name (its file stem, as `trapvisor run` names it).
    pub name: String,
    pub entry: u64,
    /// Sorted by address, then name.
    pub symbols: Vec<Symbol>,
    /// The address ranges the image loads (code, data, bss): only
    /// addresses in one of them get a symbol.
    pub extents: Vec<Range<u64>>,
    /// Sorted by address.
    pub lines: Vec<LineEntry>,
    pub files: Vec<SourceFile>,
}

impl Program {
    /// The program of an ELF image, without a line table.
    pub fn from_image(name: &str, image: &Image) -> Program {
        let mut symbols = image.symbols.clone();
        symbols.sort_by(|a, b| a.addr.cmp(&b.addr).then_with(|| a.name.cmp(&b.name)));
        Program {
            name: name.to_string(),
            entry: image.entry,
            symbols,
            extents: image
                .segments
                .iter()
                .map(|s| s.addr..s.addr.saturating_add(s.mem_size.max(s.data.len() as u64)))
                .collect(),
            lines: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Adds a line table and its files.
    pub fn with_lines(mut self, mut lines: Vec<LineEntry>, files: Vec<SourceFile>) -> Program {
        lines.sort_by_key(|l| l.addr);
        self.lines = lines;
        self.files = files;
        self
    }

    /// The address of symbol `name`.
    pub fn symbol(&self, name: &str) -> Option<u64> {
        self.symbols.iter().find(|s| s.name == name).map(|s| s.addr)
    }

    /// The symbol `addr` is in, and the offset: the closest symbol at or
    /// below `addr` that covers it (sized) or is a label (size 0), for an
    /// address the image loads.
    pub fn symbolize(&self, addr: u64) -> Option<(&str, u64)> {
        if !self.extents.iter().any(|r| r.contains(&addr)) {
            return None;
        }
        // The nearest symbol below, unless it is sized and ends before.
        let below = self.symbols.partition_point(|s| s.addr <= addr);
        let nearest = self.symbols[..below].last()?.addr;
        let sym = self.symbols[..below]
            .iter()
            .rev()
            .take_while(|s| s.addr == nearest)
            .find(|s| s.size == 0 || addr - s.addr < s.size)?;
        Some((sym.name.as_str(), addr - sym.addr))
    }

    /// `<name+off>` (or `<name>` at offset 0) for `addr`, or nothing.
    pub fn label(&self, addr: u64) -> Option<String> {
        self.symbolize(addr).map(|(name, off)| {
            if off == 0 {
                name.to_string()
            } else {
                format!("{name}+{off}")
            }
        })
    }

    /// The symbols at or below `addr`, nearest first (where a function
    /// may have started).
    pub fn symbols_below(&self, addr: u64) -> impl Iterator<Item = &Symbol> {
        let below = self.symbols.partition_point(|s| s.addr <= addr);
        self.symbols[..below].iter().rev()
    }

    /// The range of the "function" holding `addr`: from its symbol to the
    /// next symbol (or the end of its extent).
    pub fn function_at(&self, addr: u64) -> Option<(&str, Range<u64>)> {
        let (name, off) = self.symbolize(addr)?;
        let start = addr - off;
        let next = self.symbols.iter().map(|s| s.addr).find(|&a| a > start);
        let extent_end = self
            .extents
            .iter()
            .find(|r| r.contains(&addr))
            .map_or(addr + 4, |r| r.end);
        let end = next.map_or(extent_end, |n| n.min(extent_end));
        Some((name, start..end))
    }

    /// The source line `addr` came from: the line-table entry at `addr`
    /// exactly, or the one before it within the same extent.
    pub fn location(&self, addr: u64) -> Option<Location> {
        let below = self.lines.partition_point(|l| l.addr <= addr);
        let entry = self.lines[..below].last()?;
        if entry.addr != addr {
            // Only an instruction's own entry, or the entry of the
            // directive that laid down the bytes (data).
            let next = self.lines.get(below).map_or(u64::MAX, |l| l.addr);
            let same_extent = self
                .extents
                .iter()
                .any(|r| r.contains(&addr) && r.contains(&entry.addr));
            if !same_extent || next <= addr {
                return None;
            }
        }
        Some(Location {
            file: entry.file,
            line: entry.line,
        })
    }

    /// `file:line` for `addr`.
    pub fn location_text(&self, addr: u64) -> Option<String> {
        let loc = self.location(addr)?;
        let file = self.files.get(loc.file)?;
        Some(format!("{}:{}", short_path(&file.path), loc.line))
    }

    /// The text of a source line.
    pub fn source_line(&self, loc: Location) -> Option<&str> {
        let file = self.files.get(loc.file)?;
        file.lines
            .get((loc.line as usize).checked_sub(1)?)
            .map(String::as_str)
    }

    /// The file a user means by `name`: its path, or the end of its path
    /// (`hello.s` for `guest-programs/hello.s`).
    pub fn file_named(&self, name: &str) -> Option<usize> {
        self.files.iter().position(|f| f.path == name).or_else(|| {
            self.files.iter().position(|f| {
                std::path::Path::new(&f.path).ends_with(name)
                    || short_path(&f.path) == short_path(name)
            })
        })
    }

    /// The lowest address that came from `line` of `file`, or if none did,
    /// from the first line after it that has code (as GDB moves a
    /// breakpoint on a comment to the next statement).
    pub fn address_of_line(&self, file: usize, line: u32) -> Option<(u64, u32)> {
        let mut best: Option<(u32, u64)> = None;
        for l in self
            .lines
            .iter()
            .filter(|l| l.file == file && l.line >= line)
        {
            best = match best {
                Some((bl, ba)) if (bl, ba) <= (l.line, l.addr) => Some((bl, ba)),
                _ => Some((l.line, l.addr)),
            };
        }
        best.map(|(l, a)| (a, l))
    }
}

/// The file name without its directories, as stops show it.
pub fn short_path(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpu::image::Segment;

    fn program() -> Program {
        let image = Image {
            entry: 0x8020_0000,
            segments: vec![Segment {
                addr: 0x8020_0000,
                data: vec![0; 0x40],
                mem_size: 0x100,
            }],
            symbols: vec![
                Symbol {
                    name: "_start".into(),
                    addr: 0x8020_0000,
                    size: 0,
                },
                Symbol {
                    name: "loop".into(),
                    addr: 0x8020_0010,
                    size: 0,
                },
                Symbol {
                    name: "buf".into(),
                    addr: 0x8020_0040,
                    size: 0x10,
                },
            ],
        };
        Program::from_image("t", &image).with_lines(
            vec![
                LineEntry {
                    addr: 0x8020_0000,
                    file: 0,
                    line: 3,
                },
                LineEntry {
                    addr: 0x8020_0004,
                    file: 0,
                    line: 5,
                },
                LineEntry {
                    addr: 0x8020_0010,
                    file: 0,
                    line: 8,
                },
            ],
            vec![SourceFile {
                path: "dir/t.s".into(),
                lines: (1..=10).map(|i| format!("line {i}")).collect(),
            }],
        )
    }

    #[test]
    fn addresses_get_the_nearest_symbol_inside_the_image_only() {
        let p = program();
        assert_eq!(p.label(0x8020_0000).as_deref(), Some("_start"));
        assert_eq!(p.label(0x8020_000c).as_deref(), Some("_start+12"));
        assert_eq!(p.label(0x8020_0014).as_deref(), Some("loop+4"));
        assert_eq!(p.label(0x8020_0048).as_deref(), Some("buf+8"));
        assert_eq!(p.label(0x8020_0050), None, "past a sized symbol's end");
        assert_eq!(p.label(0x8030_0000), None, "outside the image");
        assert_eq!(p.symbol("loop"), Some(0x8020_0010));
        assert_eq!(
            p.function_at(0x8020_0014),
            Some(("loop", 0x8020_0010..0x8020_0040))
        );
    }

    #[test]
    fn lines_map_both_ways() {
        let p = program();
        assert_eq!(p.location_text(0x8020_0004).as_deref(), Some("t.s:5"));
        assert_eq!(p.location_text(0x8020_0008).as_deref(), Some("t.s:5"));
        assert_eq!(p.file_named("t.s"), Some(0));
        assert_eq!(p.file_named("dir/t.s"), Some(0));
        assert_eq!(p.address_of_line(0, 5), Some((0x8020_0004, 5)));
        assert_eq!(p.address_of_line(0, 6), Some((0x8020_0010, 8)));
        assert_eq!(p.address_of_line(0, 9), None);
        let loc = p.location(0x8020_0010).unwrap();
        assert_eq!(p.source_line(loc), Some("line 8"));
    }
}
