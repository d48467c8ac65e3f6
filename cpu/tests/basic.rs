//! The run loop on plain RV64I code in bare mode.
mod common;
use common::*;
use cpu::hart::Exit;
use cpu::isa::Op;

/// sum = 1 + 2 + ... + 100, then ecall.
fn sum_program() -> Asm {
    let mut a = Asm::new();
    a.li(10, 0).li(11, 100);
    // loop: a0 += a1; a1 -= 1; bnez a1, loop
    a.r(Op::Add, 10, 10, 11)
        .i(Op::Addi, 11, 11, -1)
        .b(Op::Bne, 11, 0, -8)
        .sys(Op::Ecall);
    a
}

#[test]
fn sums_a_loop_and_stops_at_ecall() {
    let mut h = hart_with(&sum_program());
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[10], 5050);
    assert_eq!(h.instret(), 2 + 300);
    assert_eq!(h.arch.pc, CODE + 20);
}

#[test]
fn budget_is_exact() {
    let mut h = hart_with(&sum_program());
    assert_eq!(run(&mut h, 7), Exit::BudgetExhausted);
    assert_eq!(h.instret(), 7);
    let mut total = 7;
    loop {
        match run(&mut h, 3) {
            Exit::BudgetExhausted => total += 3,
            e => {
                assert_eq!(e, HALT);
                break;
            }
        }
    }
    assert_eq!(h.instret(), 302);
    assert!(total <= 302);
    assert_eq!(h.arch.x[10], 5050);
}

#[test]
fn reference_mode_agrees() {
    let mut h = hart_with(&sum_program());
    h.set_reference_mode(true);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[10], 5050);
    assert_eq!(h.instret(), 302);
}

#[test]
fn loads_and_stores_through_ram() {
    let mut a = Asm::new();
    a.li(5, CODE + 0x1000)
        .li(6, 0x1122_3344_5566_7788)
        .s(Op::Sd, 6, 5, 0)
        .i(Op::Lw, 7, 5, 0)
        .i(Op::Lbu, 8, 5, 7)
        .i(Op::Lh, 9, 5, 2)
        .i(Op::Ld, 10, 5, 0)
        .sys(Op::Ecall);
    let mut h = hart_with(&a);
    assert_eq!(run_to_exit(&mut h), HALT);
    assert_eq!(h.arch.x[7], 0x5566_7788);
    assert_eq!(h.arch.x[8], 0x11);
    assert_eq!(h.arch.x[9], 0x5566);
    assert_eq!(h.arch.x[10], 0x1122_3344_5566_7788);
}
