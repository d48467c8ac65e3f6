#!/usr/bin/env bash
# scripts/linux/check.sh: trapvisor boots Linux, natively and under the
# monitor, and the kernel's boot log is the test.
#
#   1. builds the kernel (scripts/linux/build.sh: cached, so the second time
#      costs nothing) and trapvisor (release);
#   2. on QEMU (when installed): the init prints scripts/linux/init.expected,
#      and reads a line typed on the console;
#   3. natively, `trapvisor run Image`: the log starts with the kernel's
#      banner, the init prints init.expected, the last line is the kernel's
#      "reboot: Power down", the status is 0; the same with --interpret (the
#      same trace digest); and a line on stdin is read, with the checksum
#      QEMU gives for it;
#   4. under the monitor, `trapvisor run Image Image Image`: three kernels
#      side by side, each guest's console byte for byte the native one, each
#      guest's trace digest the native digest, status 0.
#
# Prints the first and last lines of the log, and the instructions and time
# of each boot. Usage: bash scripts/linux/check.sh [IMAGE]
set -euo pipefail
cd "$(dirname "$0")/../.."

here=scripts/linux
image="${1:-$(bash $here/build.sh)}"
cargo build --release -q
tv=target/release/trapvisor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# The console's lines end in \r\r\n on QEMU and trapvisor alike (the tty
# turns \n into \r\n, the SBI console driver adds a \r): compared
# without the \r's.
# init_lines LOG: the init's lines of a console log.
init_lines() { { grep -a '^init: ' "$1" || true; } | tr -d '\r'; }
last_line() { tail -1 "$1" | tr -d '\r'; }
# digest STATS: the trace digests in a --stats text, one per line.
digests() { grep -ao 'trace digest: [0-9a-f]*' "$1" | cut -d' ' -f3; }
instructions() { grep -ao 'trace digest: [0-9a-f]* over [0-9]*' "$1" | head -1 | awk '{print $5}'; }

# The kernel's lines that describe the board, which differ between QEMU and
# trapvisor: the model, the SBI's version and implementation (OpenSBI 1.1
# implements SBI 1.0, trapvisor 2.0), the ISA (QEMU's firmware needs C, so
# QEMU's hart has it), and the memory the firmware and the device tree take.
board_lines='^\(Machine model: \|SBI specification \|SBI implementation ID=\|riscv: base ISA extensions \|riscv: ELF capabilities \|Memory: \)'

typed='hello world'
# What the init prints for the line above (the console step and checksum).
typed_lines() {
    printf 'init: console: read "%s"\n' "$typed"
}

# --- QEMU --------------------------------------------------------------------
qemu_checksum=""
if command -v qemu-system-riscv64 >/dev/null; then
    bash $here/qemu.sh "$image" </dev/null >"$tmp/qemu.log" 2>"$tmp/qemu.err" || true
    if diff <(init_lines "$tmp/qemu.log") $here/init.expected >"$tmp/diff"; then
        pass "QEMU: the init prints init.expected"
    else
        fail "QEMU: the init's lines differ from init.expected:"; cat "$tmp/diff"
    fi
    # The rest of the log, QEMU's firmware banner left out, is compared with
    # trapvisor's below, apart from the lines that describe the board.
    perl -0777 -ne 's/\A.*^Boot HART [^\n]*\n//ms or exit 1; print' "$tmp/qemu.log" |
        tr -d '\r' | grep -av "$board_lines" >"$tmp/qemu.kernel" || true
    # The line arrives once QEMU's firmware has set the UART up (input that
    # comes earlier is cleared with the UART's FIFO); the init waits a second.
    (sleep 0.5; echo "$typed") | bash $here/qemu.sh "$image" >"$tmp/qemu-typed.log" 2>/dev/null || true
    if init_lines "$tmp/qemu-typed.log" | grep -qxF "$(typed_lines)"; then
        pass "QEMU: the init reads a line typed on the console"
        qemu_checksum="$(init_lines "$tmp/qemu-typed.log" | grep '^init: checksum')"
    else
        fail "QEMU: the init did not read the typed line"
        init_lines "$tmp/qemu-typed.log"
    fi
else
    echo "(QEMU is not installed: skipping the QEMU boots)"
fi

# --- natively ------------------------------------------------------------------
start=$(date +%s.%N)
status=0
$tv run --stats "$image" </dev/null >"$tmp/native.log" 2>"$tmp/native.stats" || status=$?
native_time=$(echo "$(date +%s.%N) - $start" | bc)
native_digest="$(digests "$tmp/native.stats")"
native_instructions="$(instructions "$tmp/native.stats")"
if [ $status = 0 ]; then pass "natively: status 0"; else fail "natively: status $status"; cat "$tmp/native.stats"; fi
if head -1 "$tmp/native.log" | grep -aq '^Linux version 6\.1\.'; then
    pass "natively: the log starts with the kernel's banner"
else
    fail "natively: the first line is not the kernel's banner"
fi
if diff <(init_lines "$tmp/native.log") $here/init.expected >"$tmp/diff"; then
    pass "natively: the init prints init.expected"
else
    fail "natively: the init's lines differ from init.expected:"; cat "$tmp/diff"
fi
if [ "$(last_line "$tmp/native.log")" = "reboot: Power down" ]; then
    pass "natively: the last line is the kernel's power-down"
else
    fail "natively: the last line is not 'reboot: Power down'"; tail -3 "$tmp/native.log"
fi

if [ -s "${tmp}/qemu.kernel" ]; then
    if diff "$tmp/qemu.kernel" <(tr -d '\r' <"$tmp/native.log" | grep -av "$board_lines") >"$tmp/diff"; then
        pass "natively: the log is QEMU's, apart from the lines that describe the board"
    else
        fail "natively: the log differs from QEMU's:"; head -20 "$tmp/diff"
    fi
fi

status=0
$tv run --stats --interpret "$image" </dev/null >"$tmp/interp.log" 2>"$tmp/interp.stats" || status=$?
if [ $status = 0 ] && [ "$(digests "$tmp/interp.stats")" = "$native_digest" ] &&
    cmp -s "$tmp/interp.log" "$tmp/native.log"; then
    pass "natively, interpreted: the same console and trace digest"
else
    fail "natively, interpreted: status $status, digest $(digests "$tmp/interp.stats") (translated: $native_digest)"
fi

echo "$typed" | $tv run "$image" >"$tmp/typed.log" 2>&1 || true
if init_lines "$tmp/typed.log" | grep -qxF "$(typed_lines)"; then
    pass "natively: the init reads a line typed on the console"
else
    fail "natively: the init did not read the typed line"; init_lines "$tmp/typed.log"
fi
if [ -n "$qemu_checksum" ]; then
    if init_lines "$tmp/typed.log" | grep -qxF "$qemu_checksum"; then
        pass "natively: the checksum with the typed line is QEMU's"
    else
        fail "natively: '$(init_lines "$tmp/typed.log" | grep '^init: checksum')', QEMU: '$qemu_checksum'"
    fi
fi

# --- three guests under the monitor -------------------------------------------
start=$(date +%s.%N)
status=0
$tv run --stats --console-dir "$tmp/consoles" "$image" "$image" "$image" </dev/null \
    >/dev/null 2>"$tmp/monitor.stats" || status=$?
monitor_time=$(echo "$(date +%s.%N) - $start" | bc)
if [ $status = 0 ]; then pass "three guests: status 0"; else fail "three guests: status $status"; cat "$tmp/monitor.stats"; fi
n=0
for console in "$tmp"/consoles/*.out; do
    n=$((n + 1))
    if cmp -s "$console" "$tmp/native.log"; then
        pass "three guests: $(basename "$console" .out)'s console is the native console"
    else
        fail "three guests: $(basename "$console" .out)'s console differs from the native one"
        diff -a "$tmp/native.log" "$console" | head -10
    fi
done
[ $n = 3 ] || fail "three guests: $n consoles instead of 3"
if [ "$(digests "$tmp/monitor.stats" | sort -u)" = "$native_digest" ] &&
    [ "$(digests "$tmp/monitor.stats" | wc -l)" = 3 ]; then
    pass "three guests: every trace digest is the native one ($native_digest)"
else
    fail "three guests: trace digests $(digests "$tmp/monitor.stats" | tr '\n' ' ')(native: $native_digest)"
fi

# The first guest reads stdin, the others get no input.
echo "$typed" | $tv run --console-dir "$tmp/typed-consoles" "$image" "$image" "$image" >/dev/null 2>&1 || true
if cmp -s "$tmp/typed-consoles/$(basename "$image").out" "$tmp/typed.log" &&
    cmp -s "$tmp/typed-consoles/$(basename "$image")#2.out" "$tmp/native.log"; then
    pass "three guests: the first reads the typed line as natively, the others get no input"
else
    fail "three guests: with a typed line, the consoles are not the native ones"
fi

echo
echo "first line: $(head -1 "$tmp/native.log" | tr -d '\r')"
echo "last line:  $(last_line "$tmp/native.log")"
echo "natively: $native_instructions instructions, $native_time s (with --stats)"
echo "three guests: 3 x $native_instructions instructions, $monitor_time s (with --stats)"
echo "exits of one guest under the monitor:"
awk '/^trapvisor: \[/ { n++ } n == 1 && /exits:|emulated:|reflected|shadow|world/' "$tmp/monitor.stats"
if [ $failures -gt 0 ]; then
    echo "scripts/linux/check.sh: $failures check(s) failed"
    exit 1
fi
echo "scripts/linux/check.sh: every check passed"
