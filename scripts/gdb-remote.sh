#!/usr/bin/env bash
# gdb-remote.sh: gdb-multiarch, in batch mode, against `trapvisor debug
# --gdb` (and, for the same guest, against QEMU's gdbstub).
#
# 1. A session as a student has it: break at a symbol, continue, `info
#    registers`, `p $sstatus`, `p $priv`, stepi, reverse-stepi, a
#    watchpoint, a hardware breakpoint, reverse-continue, `info threads`,
#    the monitor commands, detach. Each line GDB must print is checked.
# 2. Garbage on the port, then a second debugger: it finds the guest where
#    the first one left it; it runs the guest to its end (a stop, as rr
#    reports it), goes back with reverse-continue, and kills trapvisor,
#    which must then exit 0 having printed the guest's console output.
# 3. QEMU (`-gdb tcp::PORT -S`, its own OpenSBI) and trapvisor stopped at
#    the same breakpoint: `info registers` (names and values), `$priv`,
#    `info registers priv`, `$sepc`, `$scause`, `$stvec` must read the same.
# 4. `-s -S` as QEMU spells it, on 127.0.0.1:1234: the attach hint, then
#    gdb's `target remote :1234`, `info registers`, `x/4xw`, `x/2i`,
#    stepi, kill (or, when port 1234 is taken, the message that says so).
# 5. Under the monitor, three guests: three threads in `info threads`,
#    break at a symbol, continue, `info registers`, `p $sstatus`, stepi,
#    reverse-stepi, `thread 3`, `monitor guests`, `monitor exits`,
#    `monitor csrs` (virtual beside real), `monitor translate` (with the
#    shadow entry), detach.
#
# The transcript of session 1 is left in $GDB_TRANSCRIPT when it is set,
# that of session 5 in $GDB_MONITOR_TRANSCRIPT.
# Prints `ok`/`FAIL` per check, then `N passed, M failed`; exits non-zero
# if anything failed. Needs cargo, gdb-multiarch and qemu-system-riscv64.

set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2

for tool in gdb-multiarch qemu-system-riscv64 cargo; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

cargo build --release -q || exit 2
tv=$root/target/release/trapvisor
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

guest=guest-programs/syscall.s
"$tv" asm "$guest" -o "$tmp/syscall.elf" || exit 2

passed=0
failed=0
# check FILE TEXT: FILE has a line containing TEXT.
check() {
    if grep -qF -- "$2" "$1"; then
        passed=$((passed + 1))
        echo "ok   $(basename "$1"): $2"
    else
        failed=$((failed + 1))
        echo "FAIL $(basename "$1"): no line with: $2"
        sed 's/^/     | /' "$1"
    fi
}

gdb_batch() { # gdb_batch COMMANDS OUTPUT
    timeout 120 gdb-multiarch -q -nx -batch -x "$1" "$tmp/syscall.elf" >"$2" 2>&1
}

# Start trapvisor waiting for a debugger on a port the system picks.
"$tv" debug -S --gdb 127.0.0.1:0 "$guest" >"$tmp/console.txt" 2>"$tmp/log.txt" &
tvpid=$!
pids+=("$tvpid")
port=
for _ in $(seq 100); do
    port=$(sed -n 's/.*waiting for a debugger on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/log.txt" | head -1)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "FAIL trapvisor did not listen:"; cat "$tmp/log.txt"; exit 1; }

# --- 1. a session ----------------------------------------------------------
cat >"$tmp/one.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$port
info threads
break trap_entry
continue
info registers
p/x \$sstatus
p \$priv
info registers priv
p/x \$scause
stepi
x/i \$pc
stepi
reverse-stepi
p \$pc
watch *(long *)0x80202008
continue
delete
hbreak sys_exit
continue
reverse-continue
monitor exits
monitor csrs sepc scause
monitor translate 0x80202008
monitor guests
monitor traps 1
monitor stepi
detach
EOF
gdb_batch "$tmp/one.gdb" "$tmp/one.txt"
[ -n "${GDB_TRANSCRIPT:-}" ] && cp "$tmp/one.txt" "$GDB_TRANSCRIPT"
one=$tmp/one.txt
check "$one" "0x0000000080200000 in _start ()"
check "$one" "* 1    Thread 1.1 (syscall, running) 0x0000000080200000 in _start ()"
check "$one" "Breakpoint 1 at 0x80200064"
check "$one" "Breakpoint 1, 0x0000000080200064 in trap_entry ()"
check "$one" "ra             0x802004ac	0x802004ac <user_main+16>"
check "$one" "a1             0x15	21"
check "$one" "pc             0x80200064	0x80200064 <trap_entry>"
check "$one" "\$1 = 0x200000000"
check "$one" "\$2 = 1"
check "$one" "priv           0x1	prv:1 [Supervisor]"
check "$one" "\$3 = 0x8"
check "$one" "=> 0x80200068 <trap_entry+4>:	sd	ra,8(t6)"
check "$one" "0x000000008020006c in trap_entry ()"
check "$one" "\$4 = (void (*)()) 0x80200068 <trap_entry+4>"
check "$one" "Hardware watchpoint 2: *(long *)0x80202008"
check "$one" "Old value = 0"
check "$one" "New value = 2149581996"
check "$one" "0x000000008020006c in trap_entry ()"
check "$one" "Hardware assisted breakpoint 3 at 0x802002ac"
check "$one" "Breakpoint 3, 0x00000000802002ac in sys_exit ()"
check "$one" "No more reverse-execution history."
check "$one" "No exits yet for syscall."
check "$one" "sepc       0x0000000000000000"
check "$one" "0x80202008: satp is Bare: virtual = physical, no page tables."
check "$one" "* 0    syscall          0             0             running"
check "$one" "No traps yet."
check "$one" "monitor stepi: the guests move by GDB's own commands here"
check "$one" "[Inferior 1 (process 1) detached]"

# --- 2. garbage, then the next debugger ------------------------------------
if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    printf '$zz#00\xff\x00##$$}}' >&3
    sleep 0.2
    exec 3>&-
fi
cat >"$tmp/two.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$port
p \$pc
break sys_getpid
continue
continue
reverse-continue
p \$pc
kill
EOF
gdb_batch "$tmp/two.gdb" "$tmp/two.txt"
two=$tmp/two.txt
check "$two" "\$1 = (void (*)()) 0x80200000 <_start>"
check "$two" "Breakpoint 1, 0x0000000080200274 in sys_getpid ()"
check "$two" "Program received signal SIGKILL, Killed."
check "$two" "\$2 = (void (*)()) 0x80200274"
check "$two" "[Inferior 1 (process 1) killed]"
status=
for _ in $(seq 100); do
    if ! kill -0 "$tvpid" 2>/dev/null; then
        wait "$tvpid"
        status=$?
        break
    fi
    sleep 0.1
done
echo "$status" >"$tmp/status.txt"
check "$tmp/status.txt" "0"
check "$tmp/log.txt" "debugger connection ended"
check "$tmp/log.txt" "debugger detached; the guests stay at event 0"
check "$tmp/log.txt" "the debugger killed the guests"
check "$tmp/console.txt" "user: system call 99 failed, as it should"

# --- 3. the same registers as QEMU -----------------------------------------
cat >"$tmp/regs.gdb" <<'EOF'
info registers
p $priv
info registers priv
p/x $sepc
p/x $scause
p/x $stvec
p $pc
EOF
qport=$((port + 1))
timeout 120 qemu-system-riscv64 -M virt -m 128M -nographic -bios default \
    -kernel "$tmp/syscall.elf" -gdb "tcp:127.0.0.1:$qport" -S </dev/null >/dev/null 2>&1 &
pids+=("$!")
"$tv" debug -S --gdb 127.0.0.1:0 "$guest" >/dev/null 2>"$tmp/log2.txt" &
pids+=("$!")
tport=
for _ in $(seq 100); do
    tport=$(sed -n 's/.*waiting for a debugger on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/log2.txt" | head -1)
    [ -n "$tport" ] && break
    sleep 0.1
done
sleep 0.5
for side in qemu trapvisor; do
    p=$qport
    [ "$side" = trapvisor ] && p=$tport
    {
        echo "set pagination off"
        echo "set confirm off"
        echo "target remote 127.0.0.1:$p"
        echo "break trap_entry"
        echo "continue"
        echo "echo ===\\n"
        cat "$tmp/regs.gdb"
        echo "kill"
    } >"$tmp/$side.gdb"
    gdb_batch "$tmp/$side.gdb" "$tmp/$side.raw"
    sed -n '/^===/,/^\[Inferior/p' "$tmp/$side.raw" | grep -v '^\[Inferior' >"$tmp/$side.txt"
done
if [ -s "$tmp/qemu.txt" ] && diff -u "$tmp/qemu.txt" "$tmp/trapvisor.txt" >"$tmp/regs.diff"; then
    passed=$((passed + 1))
    echo "ok   the registers at trap_entry read the same from QEMU and trapvisor ($(wc -l <"$tmp/qemu.txt") lines)"
else
    failed=$((failed + 1))
    echo "FAIL the registers at trap_entry differ from QEMU's:"
    sed 's/^/     | /' "$tmp/regs.diff" "$tmp/qemu.raw"
fi

# --- 4. QEMU's spelling: -s -S, on 127.0.0.1:1234 ----------------------------
# Port 1234 is everybody's default: when something else holds it, what is
# checked is that trapvisor says so (exit 2) instead of attaching.
"$tv" debug -s -S "$guest" >/dev/null 2>"$tmp/log3.txt" &
s_pid=$!
pids+=("$s_pid")
listening=
for _ in $(seq 100); do
    if grep -qF "waiting for a debugger on 127.0.0.1:1234 " "$tmp/log3.txt"; then
        listening=yes
        break
    fi
    kill -0 "$s_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -n "$listening" ]; then
    check "$tmp/log3.txt" "trapvisor: attach from another terminal with: trapvisor asm -g $guest -o ${guest%.s}.elf && gdb-multiarch -q ${guest%.s}.elf -ex 'target remote 127.0.0.1:1234'"
    cat >"$tmp/four.gdb" <<'EOF'
set pagination off
set confirm off
target remote :1234
info registers pc sp
x/4xw $pc
x/2i $pc
stepi
stepi
p/x $sp
p $priv
kill
EOF
    gdb_batch "$tmp/four.gdb" "$tmp/four.txt"
    four=$tmp/four.txt
    check "$four" "0x0000000080200000 in _start ()"
    check "$four" "pc             0x80200000	0x80200000 <_start>"
    check "$four" "sp             0x0	0x0"
    check "$four" "0x80200000 <_start>:	0x00003117	0x10010113	0x00000297	0x05c28293"
    check "$four" "=> 0x80200000 <_start>:	auipc	sp,0x3"
    check "$four" "   0x80200004 <_start+4>:	add	sp,sp,256"
    check "$four" "\$1 = 0x80203100"
    check "$four" "\$2 = 1"
    check "$four" "[Inferior 1 (process 1) killed]"
    wait "$s_pid"
    echo "$?" >"$tmp/status3.txt"
    check "$tmp/status3.txt" "0"
else
    wait "$s_pid"
    echo "$?" >"$tmp/status3.txt"
    echo "note: port 1234 is taken on this machine: checking that -s says so"
    check "$tmp/status3.txt" "2"
    check "$tmp/log3.txt" "trapvisor: --gdb 127.0.0.1:1234: the port is in use"
fi

# --- 5. under the monitor: three guests, three threads ------------------------
"$tv" debug -S --gdb 127.0.0.1:0 "$guest" "$guest" "$guest" >"$tmp/console5.txt" 2>"$tmp/log5.txt" &
m_pid=$!
pids+=("$m_pid")
mport=
for _ in $(seq 100); do
    mport=$(sed -n 's/.*waiting for a debugger on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$tmp/log5.txt" | head -1)
    [ -n "$mport" ] && break
    sleep 0.1
done
cat >"$tmp/five.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$mport
info threads
break sys_getpid
continue
info threads
info registers pc sp a7
p/x \$sstatus
p \$priv
stepi
x/i \$pc
reverse-stepi
p \$pc
thread 3
p \$pc
thread 1
monitor guests
monitor exits
monitor csrs sstatus satp
monitor translate 0x80200274
detach
EOF
gdb_batch "$tmp/five.gdb" "$tmp/five.txt"
[ -n "${GDB_MONITOR_TRANSCRIPT:-}" ] && cp "$tmp/five.txt" "$GDB_MONITOR_TRANSCRIPT"
five=$tmp/five.txt
check "$five" "* 1    Thread 1.1 (syscall, running)                0x0000000080200000 in _start ()"
check "$five" "  2    Thread 1.2 (syscall#2, waiting for its turn) 0x0000000080200000 in _start ()"
check "$five" "  3    Thread 1.3 (syscall#3, waiting for its turn) 0x0000000080200000 in _start ()"
check "$five" "Thread 1 hit Breakpoint 1, 0x0000000080200274 in sys_getpid ()"
check "$five" "* 1    Thread 1.1 (syscall, running)                0x0000000080200274 in sys_getpid ()"
check "$five" "a7             0x2	2"
check "$five" "\$1 = 0x200000000"
check "$five" "\$2 = 1"
check "$five" "=> 0x802003ac <puts>:	add	sp,sp,-16"
check "$five" "\$3 = (void (*)()) 0x80200274 <sys_getpid+12>"
check "$five" "[Switching to thread 3 (Thread 1.3)]"
check "$five" "\$4 = (void (*)()) 0x80200000 <_start>"
check "$five" "* 0    syscall          2170          2168          running (on the hart)"
check "$five" "  1    syscall#2        0             0             waiting for its turn"
check "$five" "  1  world switches onto the hart"
check "$five" "           guest (virtual)     hart (real)"
check "$five" "satp       0x0000000000000000  0x8000000000098000  Bare (no translation)"
check "$five" "  -> host-physical 0x80200274 (where the monitor keeps this guest's RAM)"
check "$five" "  shadow page table (what the hart really walks):"
check "$five" "[Inferior 1 (process 1) detached]"
kill "$m_pid" 2>/dev/null

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
