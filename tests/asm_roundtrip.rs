//! The instruction table holds decode, disassembly and assembly together:
//! for every valid word `w`, assembling objdump's text for `w` gives back an
//! instruction that decodes the same (`decode(assemble(disasm(w))) ==
//! decode(w)`; equal words wherever the encoding has no ignored bits).

use cpu::{disasm::disasm, isa};
use proptest::prelude::*;

fn check(w: u32, pc: u64) -> Result<(), TestCaseError> {
    let Ok(insn) = isa::decode(w) else {
        return Ok(());
    };
    let text = disasm(w, pc);
    let back = asm::assemble_insn(&text, pc)
        .map_err(|e| TestCaseError::fail(format!("{w:#010x} `{text}`: {e}")))?;
    prop_assert_eq!(
        isa::decode(back),
        Ok(insn),
        "{:#010x} `{}` assembled to {:#010x}",
        w,
        text,
        back
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_words(w in any::<u32>(), pc in (0x8000_0000u64..0x9000_0000).prop_map(|p| p & !3)) {
        check(w, pc)?;
    }

    /// Random words rarely hit the valid encodings: take each table row's
    /// match bits and randomise the others.
    #[test]
    fn every_row(row in 0..isa::TABLE.len(), bits in any::<u32>(), pc in (0x8000_0000u64..0x9000_0000).prop_map(|p| p & !3)) {
        let spec = &isa::TABLE[row];
        check((bits & !spec.mask) | spec.matches, pc)?;
    }
}

#[test]
fn known_words() {
    for (w, pc) in [
        (0x0000_0013u32, 0x8020_0000u64), // nop
        (0x0000_8067, 0),                 // ret
        (0xfeb5_0ee3, 0x8020_0010),       // beq backwards
        (0x0010_00ef, 0x8020_0000),       // jal ra, +2048
        (0x1805_1073, 0),                 // csrw satp, a0
        (0x06b6_252f, 0),                 // amoadd.w.aqrl
        (0x8330_000f, 0),                 // fence.tso
        (0x0ff0_000f, 0),                 // fence
        (0x1205_8073, 0),                 // sfence.vma a1, zero (no: rs1=a1)
        (0xc000_1073, 0),                 // unimp
    ] {
        check(w, pc).unwrap();
    }
}
