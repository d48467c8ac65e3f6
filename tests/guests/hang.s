# hang.s: waits for an interrupt that can never come (no timer is set,
# and there is no other source), so trapvisor reports a hang.
        .text
        .globl _start
_start:
        li      t0, 0x222
        csrs    sie, t0                 # every S interrupt enabled...
        csrsi   sstatus, 2              # ...globally too
1:      wfi                             # ...but none of them can ever fire
        j       1b
