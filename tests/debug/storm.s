# A trap storm: stvec 0, where the guest has no memory, then an illegal
# instruction. Each trap enters 0, where the fetch faults again; the
# 1000th time the run ends (tests/debug/monitor-storm.tv).
        .text
        .globl _start
_start:
        csrw    stvec, zero
        unimp
