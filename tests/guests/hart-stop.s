# hart-stop.s: the only hart stops itself with SBI HSM hart_stop. Nothing
# can start it again: trapvisor stops the guest as hung (status 125).
        .text
        .globl _start
_start:
        li      a7, 0x48534D            # HSM
        li      a6, 1                   # hart_stop
        ecall
1:      j       1b                      # (never reached)
