//! Properties that hold the instruction table, the decoder, the encoder and
//! the disassembler together, over the whole encoding space.

use cpu::disasm::disasm;
use cpu::isa::{decode, encode, Format, TABLE};
use proptest::prelude::*;

/// A word of table row `row`: its `matches` bits plus `fill` in every bit
/// the row leaves free (operands, and ignored fields).
fn word_of_row(row: usize, fill: u32) -> u32 {
    let spec = &TABLE[row % TABLE.len()];
    spec.matches | (fill & !spec.mask)
}

fn check_word(w: u32, pc: u64) {
    let text = disasm(w, pc);
    assert!(!text.is_empty());
    if let Ok(insn) = decode(w) {
        let again = encode(&insn);
        assert_eq!(
            decode(again),
            Ok(insn),
            "{w:#010x} -> {insn:?} -> {again:#010x}"
        );
        // Re-encoding only clears bits the instruction ignores.
        let spec = insn.op.spec();
        assert_eq!(again & spec.mask, w & spec.mask, "{w:#010x}");
        assert!(!text.starts_with(".2byte"), "{w:#010x}: {text}");
    } else if w & 3 == 3 {
        assert_eq!(text, format!(".4byte\t0x{w:x}"));
    } else {
        assert_eq!(text, format!(".2byte\t0x{:x}", w & 0xffff));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn any_word(w in any::<u32>(), pc in any::<u64>()) {
        check_word(w, pc & !3);
    }

    #[test]
    fn any_word_of_any_row(row in 0..TABLE.len(), fill in any::<u32>(), pc in any::<u64>()) {
        let w = word_of_row(row, fill);
        let insn = decode(w).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(insn.op, TABLE[row].op);
        check_word(w, pc & !3);
    }
}

/// Not a sample: every row, with many fills each, and boundary fills (all
/// free bits clear, all set).
#[test]
fn every_row() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for (row, spec) in TABLE.iter().enumerate() {
        for i in 0..2_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let fill = match i {
                0 => 0,
                1 => u32::MAX,
                _ => state as u32,
            };
            let w = word_of_row(row, fill);
            assert_eq!(decode(w).map(|i| i.op), Ok(spec.op), "{w:#010x}");
            check_word(w, 0x8020_0000);
            let text = disasm(w, 0x8020_0000);
            // objdump calls every word of our table an instruction, except
            // fences with reserved fields set.
            if !matches!(spec.format, Format::Fence) && spec.name != "fence.i" {
                assert!(!text.starts_with('.'), "{w:#010x}: {text}");
            }
        }
    }
}
