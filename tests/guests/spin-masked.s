# spin-masked.s: a hostile guest. It masks its interrupts and spins forever.
# Under the monitor the quantum still takes the hart back from it, so the
# guests beside it finish; it is stopped by the instruction limit.
        .text
        .globl _start
_start:
        csrci   sstatus, 2              # SIE = 0
        csrw    sie, zero
1:      j       1b
