# storm.s: traps with stvec pointing at nothing. The illegal instruction
# goes to stvec = 0x1000, where no memory answers, so fetching there faults,
# which goes to stvec again: the same trap at the same pc forever.
        .text
        .globl _start
_start:
        li      t0, 0x1000
        csrw    stvec, t0
        .word   0                       # an illegal instruction
