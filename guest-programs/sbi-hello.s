# sbi-hello.s: asking the firmware for help, through the SBI.
#
# A supervisor-mode kernel does not have to drive every device itself. Below
# it, in machine mode, runs firmware (OpenSBI on QEMU, the "SEE" built into
# trapvisor) that offers services through the Supervisor Binary Interface.
# A call is an `ecall` instruction: it traps into the firmware, which looks at
# a7 (extension id) and a6 (function id), takes its arguments from a0..a5,
# and returns an error code in a0 and a value in a1. It is the same idea as a
# system call, one privilege level further down.
#
# SBI implementations differ, so a careful kernel asks before it uses an
# extension. This program probes for the Debug Console extension (DBCN, SBI
# 2.0), which prints a whole string per call. If it is missing, it falls back
# to the legacy console_putchar call, one trap per character. The output is
# the same either way. Finally it asks the firmware to power off (SRST).
#
# Note: the firmware's console turns each "\n" into "\r\n" for the terminal,
# so the bytes that come out end their lines with "\r\n".

        .equ SBI_BASE,         0x10         # Base extension
        .equ BASE_PROBE,       3            #   probe_extension(eid) -> a1 != 0 if present
        .equ SBI_DBCN,         0x4442434E   # "DBCN": Debug Console extension
        .equ DBCN_WRITE,       0            #   write(num_bytes, addr_lo, addr_hi)
        .equ SBI_SRST,         0x53525354   # "SRST": System Reset extension
        .equ SRST_RESET,       0            #   system_reset(type, reason)
        .equ SRST_SHUTDOWN,    0            #     type: shut down
        .equ SRST_NO_REASON,   0            #     reason: none (exit code 0)
        .equ LEGACY_PUTCHAR,   1            # legacy console_putchar(ch)
        .equ LEGACY_SHUTDOWN,  8            # legacy shutdown()

        .text
        .globl _start
_start:
        la      sp, stack_top

        # Is the Debug Console there? Remember the answer in has_dbcn.
        li      a7, SBI_BASE
        li      a6, BASE_PROBE
        li      a0, SBI_DBCN
        ecall                           # a0 = error, a1 = 0 if absent
        snez    a1, a1
        la      t0, has_dbcn
        sd      a1, 0(t0)

        la      a0, greeting
        call    sbi_puts
        la      a0, explanation
        call    sbi_puts

        # Power off. SRST should not return; if it does (an old SBI without
        # it), try the legacy shutdown call, and if even that returns, spin.
        li      a7, SBI_SRST
        li      a6, SRST_RESET
        li      a0, SRST_SHUTDOWN
        li      a1, SRST_NO_REASON
        ecall
        li      a7, LEGACY_SHUTDOWN
        ecall
1:      j       1b

# sbi_puts(a0 = address of a NUL-terminated string): print it through the SBI.
# An SBI call may change a0 and a1 only, so s0/s1 keep our place across calls.
sbi_puts:
        addi    sp, sp, -16             # s0 and s1 belong to our caller: save them
        sd      s0, 0(sp)
        sd      s1, 8(sp)
        mv      s0, a0                  # s0 = next byte to print

        la      t0, has_dbcn
        ld      t0, 0(t0)
        beqz    t0, sbi_puts_legacy

        # DBCN: count the bytes, then hand the firmware the whole string. It
        # may print fewer bytes than asked (a1 says how many), so loop.
        mv      s1, s0
1:      lbu     t0, 0(s1)               # s1 = address of the NUL
        beqz    t0, 2f
        addi    s1, s1, 1
        j       1b
2:      sub     a0, s1, s0              # num_bytes still to print
        beqz    a0, sbi_puts_done
        mv      a1, s0                  # addr_lo: physical address (no paging)
        li      a2, 0                   # addr_hi
        li      a7, SBI_DBCN
        li      a6, DBCN_WRITE
        ecall
        bnez    a0, sbi_puts_legacy     # error: print the rest the old way
        add     s0, s0, a1              # a1 = bytes written
        j       2b

        # Legacy console_putchar: one ecall per character.
sbi_puts_legacy:
        lbu     a0, 0(s0)
        beqz    a0, sbi_puts_done
        li      a7, LEGACY_PUTCHAR
        ecall
        addi    s0, s0, 1
        j       sbi_puts_legacy

sbi_puts_done:
        ld      s0, 0(sp)
        ld      s1, 8(sp)
        addi    sp, sp, 16
        ret

        .section .rodata
greeting:
        .asciz  "Hello from trapvisor, via the SBI!\n"
explanation:
        .asciz  "(the firmware printed this for us: we only made ecalls)\n"

        .data
has_dbcn:
        .dword  0                       # 1 if the SBI has the Debug Console

        .bss
        .balign 16
        .space  4096
stack_top:
