#!/usr/bin/env bash
# tui-tmux.sh: `trapvisor debug --tui` in a real terminal, driven by tmux
# (send-keys to type, capture-pane to read the screen), at 80x24 and at
# 160x50, as a user would: the source pane and `v` for the disassembly,
# a step, a breakpoint typed at the command line,
# continue into the trap handler, the trap log and the console panes, a
# step back, a resize, quit. Checks what is on the screen each time, and
# that quitting gives the terminal back (exit status 0).
#
# The 80x24 screen after the breakpoint is left in $TUI_SCREEN when it is
# set, the monitor's guests screen in $TUI_MONITOR_SCREEN. Prints `ok`/`FAIL` per check, then `N passed, M failed`; exits
# non-zero if anything failed. Needs cargo and tmux; without tmux (which
# .ci/run installs when it can) it says SKIP and exits 0.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

command -v cargo >/dev/null || { echo "$0: cargo not found" >&2; exit 2; }
if ! command -v tmux >/dev/null; then
    echo "SKIP $0: tmux is not installed (apt-get install tmux): the view was not tried in a real terminal"
    exit 0
fi

cargo build --release -q || exit 2
tv=$root/target/release/trapvisor
tmp=$(mktemp -d)
# A tmux server of our own: nothing of the user's is touched.
sock=trapvisor-tui-$$
t() { tmux -L "$sock" "$@"; }
cleanup() {
    t kill-server 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
n=0
screen() { # screen NAME: capture the pane into $tmp/NAME.txt
    t capture-pane -t tv -p >"$tmp/$1.txt"
    last=$tmp/$1.txt
}
# wait_for TEXT: until the screen shows TEXT (10 s at most).
wait_for() {
    for _ in $(seq 100); do
        t capture-pane -t tv -p | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
check() { # check TEXT: the last screen has a line containing TEXT
    if grep -qF -- "$1" "$last"; then
        passed=$((passed + 1))
        echo "ok   $(basename "$last" .txt): $1"
    else
        failed=$((failed + 1))
        echo "FAIL $(basename "$last" .txt): not on the screen: $1"
        sed 's/^/     | /' "$last"
    fi
}
keys() { # keys KEY...: send them, then let the screen settle
    t send-keys -t tv "$@"
    sleep 0.3
}

t new-session -d -s tv -x 80 -y 24 \
    "$tv debug --tui guest-programs/syscall.s; echo \"[exit status \$?]\"; sleep 60"
wait_for "s step" || true
screen start
check "syscall · native · event 0 · S-mode · pc 0x80200000 <_start>"
check "1 source syscall.s"
check "=>   50         la      sp, kstack_top"
check "2regs 3csrs 4mem 5traps 6cons 7guests"
check "s step n next c cont r back R rev-cont b break v asm : cmd Tab pane q quit"

keys v
screen asm
check "1 code _start"
check "=> 80200000  auipc sp,0x3"
check "v source"
keys v

keys s
wait_for "event 1 " || true
screen step
check "(tv) stepi"
check "sp         0x0 -> 0x80203000"
check "=> 0x80200004 <_start+4>:    add    sp,sp,256"
check "=>   50         la      sp, kstack_top"
check "sp  80203000"

keys : "break trap_entry" Enter
screen break
check "Breakpoint 1 at 0x80200064 <trap_entry>: file syscall.s:79"
keys Escape
keys c
wait_for "Breakpoint 1, 0x80200064 <trap_entry>" || true
screen breakpoint
[ -n "${TUI_SCREEN:-}" ] && cp "$last" "$TUI_SCREEN"
check "Breakpoint 1, 0x80200064 <trap_entry>"
check "syscall.s:79:            csrrw   t6, sscratch, t6"
check "=>●  79         csrrw   t6, sscratch,"
check "kernel: trap vector set; entering user mode with sret"

keys 5
screen traps
check "5traps"
check "environment call from U-mode"

keys 6
screen console
check "console of syscall"
check "kernel: trap vector set; entering user mode with sret"

keys r
wait_for "(tv) reverse-stepi" || true
screen back
check "(tv) reverse-stepi"
check "event 811 · U-mode · pc 0x80200548 <u_puts+28>"
check "=>  259         ecall"

# A larger terminal: every pane in its place.
t resize-window -t tv -x 160 -y 50
sleep 0.5
keys 1
screen large
for title in "1 source syscall.s" "2 registers" "3 csrs" "4 memory" "5 traps" "6 console" "7 guests" "8 output"; do
    check "$title"
done
check "sstatus"

keys q
wait_for "[exit status" || true
screen quit
check "[exit status 0]"

# --- under the monitor: three guests ---------------------------------------
t kill-session -t tv 2>/dev/null
t new-session -d -s tv -x 80 -y 24 \
    "$tv debug --tui guest-programs/hello.s guest-programs/timer.s guest-programs/paging.s; echo \"[exit status \$?]\"; sleep 60"
wait_for "s step" || true
screen mon-start
check "hello · monitor · event 0 · S-mode · pc 0x80200000 <_start>"
check "g guest"

keys : "catch exit interrupt" Enter
keys Escape
keys c
wait_for "Catchpoint 1 (exit)" || true
keys 7
screen mon-guests
[ -n "${TUI_MONITOR_SCREEN:-}" ] && cp "$last" "$TUI_MONITOR_SCREEN"
check "timer · monitor"
check "Catchpoint 1 (exit): exit at 0x80200054 <wait+28> in S-mode: interrupt: supervis"
check "0 hello           638    155"
check "ended: test finisher: pass"
check "* 1 timer"
check "running (on the hart)"
check "waiting for its turn"

keys 3
screen mon-csrs
check "virtual            real"
check "sstatus           200000120  200000000"

keys 5
screen mon-traps
check "reflect::inject"

keys r
wait_for "(tv) reverse-stepi" || true
keys s
wait_for "sepc       0x0 -> 0x80200054" || true
screen mon-step
check "sepc       0x0 -> 0x80200054"
check "scause     0x0 -> 0x8000000000000005"

keys g
wait_for "paging · monitor" || true
screen mon-next
check "paging · monitor"
check "[Switching to guest 2 (paging)]"

keys q
wait_for "[exit status" || true
screen mon-quit
check "[exit status 0]"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
