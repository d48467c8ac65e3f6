//! The devices of book/src/machine.md: a 16550A UART and QEMU's `sifive_test`
//! finisher, and [`NativeDevices`], the bus that puts them at their physical
//! addresses for the native machine.
//!
//! Each device is a plain struct with `load(offset, size)` and
//! `store(offset, size, value)` over offsets inside its window, so the
//! monitor can decode a trapped MMIO access and call the very same model for
//! each guest's virtual devices. `None` from either means "nothing answers
//! there": the hart (or the monitor) raises an access fault.
//!
//! QEMU 7.2's `virt` board with OpenSBI is the reference for every detail
//! book/src/machine.md leaves open; each such choice says so where it is made.

use std::collections::VecDeque;
use std::fmt;
use std::io::Write;

/// Physical base of the test finisher (QEMU `sifive_test`).
pub const FINISHER_BASE: u64 = 0x0010_0000;
/// Size of the finisher's window.
pub const FINISHER_SIZE: u64 = 0x1000;
/// Physical base of the UART.
pub const UART_BASE: u64 = 0x1000_0000;
/// Size of the UART's window in the memory map. Only offsets 0..8 answer
/// (QEMU maps an 8-byte region there); the rest of the window faults.
pub const UART_SIZE: u64 = 0x100;

/// Memory-mapped devices: every physical address outside RAM.
///
/// `None` means nothing answers at that address: an access fault.
pub trait Devices {
    /// Loads `size` (1, 2, 4 or 8) bytes from device address `pa`.
    fn load(&mut self, pa: u64, size: u8) -> Option<u64>;
    /// Stores `size` bytes; `Some(true)` asks the run loop to return
    /// `Exit::Device` once the instruction has retired.
    fn store(&mut self, pa: u64, size: u8, value: u64) -> Option<bool>;
}

/// No devices at all: every access outside RAM faults (the monitor's view).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDevices;

impl Devices for NoDevices {
    fn load(&mut self, _pa: u64, _size: u8) -> Option<u64> {
        None
    }
    fn store(&mut self, _pa: u64, _size: u8, _value: u64) -> Option<bool> {
        None
    }
}

// ---------------------------------------------------------------------------
// How a guest ends
// ---------------------------------------------------------------------------

/// How a guest asked to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndHow {
    /// Finisher `0x5555`: pass.
    FinisherPass,
    /// Finisher `0x3333 | code << 16`: fail with a code.
    FinisherFail,
    /// Finisher `0x7777`: reset. QEMU reboots; trapvisor ends the guest
    /// with code 0 and says it was a reset.
    FinisherReset,
    /// SBI SRST `system_reset(0 = shutdown, ..)` or legacy `shutdown`.
    SbiShutdown,
    /// SBI SRST `system_reset(1 = cold reboot | 2 = warm reboot, ..)`:
    /// ends the guest, said as a reboot.
    SbiReboot,
}

/// The end of a guest's run that the guest itself asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The guest's exit code (16 bits from the finisher, 0 or 1 from SRST).
    pub code: u32,
    pub how: EndHow,
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code;
        match self.how {
            EndHow::FinisherPass => write!(f, "test finisher: pass (exit code {code})"),
            EndHow::FinisherFail => write!(f, "test finisher: fail (exit code {code})"),
            EndHow::FinisherReset => write!(
                f,
                "test finisher: reset requested; trapvisor does not reboot, ending with exit code {code}"
            ),
            EndHow::SbiShutdown if code == 0 => write!(f, "SBI shutdown (exit code 0)"),
            EndHow::SbiShutdown => write!(f, "SBI shutdown: system failure (exit code {code})"),
            EndHow::SbiReboot => write!(
                f,
                "SBI system reset asked for a reboot; trapvisor does not reboot, ending with exit code {code}"
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// Console: where output goes, where input comes from
// ---------------------------------------------------------------------------

/// A source of console input bytes. `next_byte` must not wait for a human:
/// `None` means "nothing now" (or "nothing ever").
///
/// Determinism is the source's business: a source that always answers the
/// same way for the same input bytes (a buffer, a file, a pipe read to its
/// end) gives the same run every time.
pub trait ByteSource: Send {
    fn next_byte(&mut self) -> Option<u8>;
}

/// No input at all (the UART never has data ready).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoInput;

impl ByteSource for NoInput {
    fn next_byte(&mut self) -> Option<u8> {
        None
    }
}

/// Input from bytes known in advance (tests, pre-read piped input).
#[derive(Clone, Debug, Default)]
pub struct BufferInput(VecDeque<u8>);

impl BufferInput {
    pub fn new(bytes: impl Into<Vec<u8>>) -> BufferInput {
        BufferInput(bytes.into().into())
    }
}

impl ByteSource for BufferInput {
    fn next_byte(&mut self) -> Option<u8> {
        self.0.pop_front()
    }
}

/// A [`Write`] sink that several owners can share, so a test (or a
/// monitor's summary) can read what a guest printed.
#[derive(Clone, Debug, Default)]
pub struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuffer {
    pub fn new() -> SharedBuffer {
        SharedBuffer::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut v) => v.extend_from_slice(buf),
            Err(poisoned) => poisoned.into_inner().extend_from_slice(buf),
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Raised once an output of the run (a guest's console, the trace, the
/// statistics) found its reader gone: a closed pipe, as in
/// `trapvisor run --trace guest.s 2>&1 | head`. Nobody reads what the run
/// says any more, so it ends, quietly (the native machine stops with
/// [`crate::machine::StopReason::OutputClosed`], the monitor ends every
/// guest). Clones share one flag: the host hands the same one to every
/// output of a run.
#[derive(Clone, Debug, Default)]
pub struct Hangup(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Hangup {
    pub fn new() -> Hangup {
        Hangup::default()
    }

    /// Whether an output of the run was closed.
    pub fn raised(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn raise(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Raises the hangup if `result` failed on a closed pipe; the result,
    /// with that error taken as success (what follows is quietly dropped).
    pub fn note(&self, result: std::io::Result<()>) -> std::io::Result<()> {
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.raise();
                Ok(())
            }
            other => other,
        }
    }
}

/// A writer whose closed pipe raises a [`Hangup`] (and is then quietly
/// written to no more), for the outputs of a run other than the consoles:
/// the trace and the statistics.
pub struct HangupWriter<W: Write> {
    inner: W,
    hangup: Hangup,
}

impl<W: Write> HangupWriter<W> {
    pub fn new(inner: W, hangup: Hangup) -> HangupWriter<W> {
        HangupWriter { inner, hangup }
    }
}

impl<W: Write> Write for HangupWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.hangup.raised() {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.hangup.raise();
                Ok(buf.len())
            }
            other => other,
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.hangup.raised() {
            return Ok(());
        }
        self.hangup.note(self.inner.flush())
    }
}

/// A guest's console: the host-chosen output sink and input source. The
/// UART and the SBI debug console of one guest share it, so their output
/// interleaves in program order, as on QEMU where OpenSBI prints through the
/// same UART.
pub struct Console {
    out: Box<dyn Write + Send>,
    input: Box<dyn ByteSource>,
    /// Bytes taken from `input` but not yet consumed by the guest.
    pending: VecDeque<u8>,
    /// Raised when `out` is a closed pipe.
    hangup: Hangup,
    /// Output written since the last flush.
    unflushed: bool,
    /// Polls that found no input since the last output.
    idle_polls: u8,
}

impl Console {
    pub fn new(out: Box<dyn Write + Send>, input: Box<dyn ByteSource>) -> Console {
        Console {
            out,
            input,
            pending: VecDeque::new(),
            hangup: Hangup::new(),
            unflushed: false,
            idle_polls: 0,
        }
    }

    /// This console, raising `hangup` (shared with the run's other outputs)
    /// when its output is a closed pipe.
    pub fn with_hangup(mut self, hangup: Hangup) -> Console {
        self.hangup = hangup;
        self
    }

    /// Whether this console's output, or another output sharing its
    /// [`Hangup`], was closed: the run should end.
    pub fn hung_up(&self) -> bool {
        self.hangup.raised()
    }

    /// A console that prints into a [`SharedBuffer`] and reads `input`.
    pub fn buffered(input: &[u8]) -> (Console, SharedBuffer) {
        let buf = SharedBuffer::new();
        let console = Console::new(Box::new(buf.clone()), Box::new(BufferInput::new(input)));
        (console, buf)
    }

    /// Writes guest output. A host sink that fails cannot be the guest's
    /// problem: the bytes are dropped and the guest goes on, except that a
    /// closed pipe raises the [`Hangup`] (the host then ends the run).
    pub fn write(&mut self, bytes: &[u8]) {
        if !self.hangup.raised() {
            let _ = self.hangup.note(self.out.write_all(bytes));
        }
        self.unflushed = true;
        self.idle_polls = 0;
    }

    /// Pushes buffered output to the host (called between run slices and
    /// before the guest waits for input).
    pub fn flush(&mut self) {
        if !self.unflushed {
            // (Every world switch flushes: most have nothing to push.)
            return;
        }
        if !self.hangup.raised() {
            let _ = self.hangup.note(self.out.flush());
        }
        self.unflushed = false;
    }

    /// Whether an input byte is waiting (without taking it).
    ///
    /// A guest that polls twice in a row with no input waiting and no
    /// output in between is waiting for input (U-Boot's prompt polls the
    /// UART's LSR.DR, and only reads RBR once a byte is there): what it
    /// printed, its prompt, goes out to the host then, so that a person or
    /// a program driving the console sees it. (A guest that prints polls
    /// LSR once per byte, for THRE, which does not flush each byte.)
    pub fn has_input(&mut self) -> bool {
        if self.pending.is_empty() {
            if let Some(b) = self.input.next_byte() {
                self.pending.push_back(b);
            }
        }
        if self.pending.is_empty() {
            self.idle_polls = self.idle_polls.saturating_add(1);
            if self.idle_polls >= 2 && self.unflushed {
                self.flush();
            }
            false
        } else {
            true
        }
    }

    /// Takes the next input byte, if any.
    pub fn read(&mut self) -> Option<u8> {
        if self.pending.is_empty() {
            // A guest about to read input should have shown its prompt.
            self.flush();
        }
        self.pending.pop_front().or_else(|| self.input.next_byte())
    }
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Console")
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// The 16550A UART
// ---------------------------------------------------------------------------

/// UART register offsets (byte registers; DLL/DLM alias RBR/IER when
/// LCR.DLAB = 1).
pub mod reg {
    pub const RBR_THR_DLL: u64 = 0;
    pub const IER_DLM: u64 = 1;
    pub const IIR_FCR: u64 = 2;
    pub const LCR: u64 = 3;
    pub const MCR: u64 = 4;
    pub const LSR: u64 = 5;
    pub const MSR: u64 = 6;
    pub const SCR: u64 = 7;
}

const LCR_DLAB: u8 = 0x80;
const IER_RDI: u8 = 0x01;
const IER_THRI: u8 = 0x02;
const IIR_NO_INT: u8 = 0x01;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_RLSI: u8 = 0x06;
const IIR_FIFO_ENABLED: u8 = 0xc0;
const FCR_FE: u8 = 0x01;
const FCR_RFR: u8 = 0x02;
const FCR_XFR: u8 = 0x04;
const MCR_LOOP: u8 = 0x10;
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_BI: u8 = 0x10;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
/// DCD | DSR | CTS: a terminal is attached (QEMU's value with a chardev).
const MSR_CONNECTED: u8 = 0xb0;
/// The receive FIFO depth of a 16550A (matters only in loopback mode: host
/// input is pulled one byte at a time, so it never overruns).
const RX_FIFO_LEN: usize = 16;

/// A 16550A UART as QEMU models it (`hw/char/serial.c`), with transmission
/// that completes at once (THRE and TEMT always set) and no interrupt line
/// (book/src/machine.md has no PLIC): IIR still tells what *would* interrupt.
///
/// Reset state is what a guest sees on QEMU after OpenSBI set the UART up:
/// 8N1 (LCR = 0x03), FIFOs enabled (IIR = 0xc1), MCR = 0, IER = 0,
/// LSR = 0x60, MSR = 0xb0, SCR = 0, divisor 0.
///
/// Access widths: the registers are bytes. As on QEMU, a 2-, 4- or 8-byte
/// access at offset `n` is a byte access to register `n`: a load returns
/// that register zero-extended, a store writes the low byte of the value.
/// Offsets 8 and above answer nothing (access fault), as on QEMU whose UART
/// region is 8 bytes long.
#[derive(Debug)]
pub struct Uart {
    pub console: Console,
    ier: u8,
    /// The FIFO-enabled bits of IIR (0xc0 or 0); the interrupt id is
    /// computed when read.
    fcr: u8,
    lcr: u8,
    mcr: u8,
    /// Only the sticky error bits (OE, BI); DR, THRE, TEMT are computed.
    lsr_errors: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// Last byte received, what RBR shows with FIFOs disabled.
    rbr: u8,
    /// The "THR empty" interrupt is pending (cleared by reading IIR).
    thr_ipending: bool,
    /// Receive FIFO for loopback mode (host input lives in `console`).
    loopback_rx: VecDeque<u8>,
}

/// A UART's registers and FIFOs, without its console (a debugger's
/// snapshot: the host's output sink and input source are not state).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UartState {
    regs: [u8; 9],
    thr_ipending: bool,
    loopback_rx: VecDeque<u8>,
    /// Input bytes taken from the source but not yet read by the guest.
    pending: VecDeque<u8>,
}

impl Uart {
    /// The registers and FIFOs (see [`UartState`]).
    pub fn state(&self) -> UartState {
        UartState {
            regs: [
                self.ier,
                self.fcr,
                self.lcr,
                self.mcr,
                self.lsr_errors,
                self.scr,
                self.dll,
                self.dlm,
                self.rbr,
            ],
            thr_ipending: self.thr_ipending,
            loopback_rx: self.loopback_rx.clone(),
            pending: self.console.pending.clone(),
        }
    }

    /// Puts back what [`Uart::state`] took.
    pub fn set_state(&mut self, s: &UartState) {
        [
            self.ier,
            self.fcr,
            self.lcr,
            self.mcr,
            self.lsr_errors,
            self.scr,
            self.dll,
            self.dlm,
            self.rbr,
        ] = s.regs;
        self.thr_ipending = s.thr_ipending;
        self.loopback_rx = s.loopback_rx.clone();
        self.console.pending = s.pending.clone();
    }

    pub fn new(console: Console) -> Uart {
        Uart {
            console,
            ier: 0,
            fcr: FCR_FE,
            lcr: 0x03,
            mcr: 0,
            lsr_errors: 0,
            scr: 0,
            dll: 0,
            dlm: 0,
            rbr: 0,
            thr_ipending: true,
            loopback_rx: VecDeque::new(),
        }
    }

    fn loopback(&self) -> bool {
        self.mcr & MCR_LOOP != 0
    }

    fn dlab(&self) -> bool {
        self.lcr & LCR_DLAB != 0
    }

    /// Data ready: an input byte waits. In loopback mode the UART listens
    /// to itself only (QEMU accepts no outside input then).
    fn data_ready(&mut self) -> bool {
        if self.loopback() {
            !self.loopback_rx.is_empty()
        } else {
            self.console.has_input()
        }
    }

    fn lsr(&mut self) -> u8 {
        let dr = if self.data_ready() { LSR_DR } else { 0 };
        LSR_THRE | LSR_TEMT | self.lsr_errors | dr
    }

    /// IIR: the highest-priority pending interrupt condition (16550A
    /// datasheet table 4; QEMU `serial_update_irq`). With FIFOs enabled
    /// QEMU waits for the trigger level or a timeout before RDI; here a
    /// waiting byte shows RDI at once, so the answer does not depend on
    /// host timing.
    fn iir(&mut self) -> u8 {
        let fifo = if self.fcr & FCR_FE != 0 {
            IIR_FIFO_ENABLED
        } else {
            0
        };
        let id = if self.ier & 0x04 != 0 && self.lsr_errors != 0 {
            IIR_RLSI
        } else if self.ier & IER_RDI != 0 && self.data_ready() {
            IIR_RDI
        } else if self.ier & IER_THRI != 0 && self.thr_ipending {
            IIR_THRI
        } else {
            IIR_NO_INT
        };
        fifo | id
    }

    /// Reads a byte register (with its side effects: reading RBR takes the
    /// byte, reading IIR acknowledges THRE, reading LSR clears OE/BI).
    pub fn read_reg(&mut self, reg: u64) -> u8 {
        match reg {
            reg::RBR_THR_DLL if self.dlab() => self.dll,
            reg::RBR_THR_DLL => self.read_rbr(),
            reg::IER_DLM if self.dlab() => self.dlm,
            reg::IER_DLM => self.ier,
            reg::IIR_FCR => {
                let iir = self.iir();
                if iir & 0x0f == IIR_THRI {
                    self.thr_ipending = false;
                }
                iir
            }
            reg::LCR => self.lcr,
            reg::MCR => self.mcr,
            reg::LSR => {
                let lsr = self.lsr();
                self.lsr_errors = 0;
                lsr
            }
            reg::MSR if self.loopback() => {
                // The modem outputs are wired to the inputs: RTS→CTS,
                // DTR→DSR, OUT1→RI, OUT2→DCD.
                let m = self.mcr;
                ((m & 0x0c) << 4) | ((m & 0x02) << 3) | ((m & 0x01) << 5)
            }
            reg::MSR => MSR_CONNECTED,
            reg::SCR => self.scr,
            _ => 0,
        }
    }

    fn read_rbr(&mut self) -> u8 {
        let byte = if self.loopback() {
            self.loopback_rx.pop_front()
        } else {
            self.console.read()
        };
        match byte {
            Some(b) => {
                self.rbr = b;
                b
            }
            // An empty FIFO reads 0; without FIFOs RBR keeps the last byte.
            None if self.fcr & FCR_FE != 0 => 0,
            None => self.rbr,
        }
    }

    /// Writes a byte register.
    pub fn write_reg(&mut self, reg: u64, val: u8) {
        match reg {
            reg::RBR_THR_DLL if self.dlab() => self.dll = val,
            reg::RBR_THR_DLL => self.transmit(val),
            reg::IER_DLM if self.dlab() => self.dlm = val,
            reg::IER_DLM => {
                let changed = (self.ier ^ val) & 0x0f;
                self.ier = val & 0x0f;
                // QEMU: enabling THRI while THR is empty raises it again.
                if changed & IER_THRI != 0 {
                    self.thr_ipending = self.ier & IER_THRI != 0;
                }
            }
            reg::IIR_FCR => self.write_fcr(val),
            reg::LCR => self.lcr = val,
            reg::MCR => self.mcr = val & 0x1f,
            // LSR and MSR are read-only: writes are ignored (as QEMU).
            reg::LSR | reg::MSR => {}
            reg::SCR => self.scr = val,
            _ => {}
        }
    }

    fn transmit(&mut self, byte: u8) {
        if self.loopback() {
            if self.loopback_rx.len() < RX_FIFO_LEN {
                self.loopback_rx.push_back(byte);
            } else {
                self.lsr_errors |= LSR_OE;
            }
        } else {
            self.console.write(&[byte]);
        }
        // Transmission completes at once: THR is empty again.
        self.thr_ipending = true;
    }

    fn write_fcr(&mut self, mut val: u8) {
        // Toggling FIFO enable flushes both FIFOs (QEMU).
        if (val ^ self.fcr) & FCR_FE != 0 {
            val |= FCR_RFR | FCR_XFR;
        }
        if val & FCR_RFR != 0 {
            // Discards what was received but not read; host input not yet
            // pulled from the source is not lost.
            self.loopback_rx.clear();
            self.console.pending.clear();
            self.lsr_errors &= !LSR_BI;
        }
        if val & FCR_XFR != 0 {
            self.thr_ipending = true;
        }
        self.fcr = val & 0xc9;
    }

    /// A load of `size` bytes at `offset` in the UART window.
    pub fn load(&mut self, offset: u64, size: u8) -> Option<u64> {
        if offset >= 8 || !matches!(size, 1 | 2 | 4 | 8) {
            return None;
        }
        Some(u64::from(self.read_reg(offset)))
    }

    /// A store of `size` bytes at `offset`: the low byte goes to the register.
    pub fn store(&mut self, offset: u64, size: u8, value: u64) -> Option<()> {
        if offset >= 8 || !matches!(size, 1 | 2 | 4 | 8) {
            return None;
        }
        self.write_reg(offset, value as u8);
        Some(())
    }
}

// ---------------------------------------------------------------------------
// The test finisher
// ---------------------------------------------------------------------------

/// QEMU's `sifive_test` device: a 16- or 32-bit store at offset 0 of
/// `0x5555` passes, `0x3333 | code << 16` fails with `code`, `0x7777`
/// resets (here: ends with code 0, said as a reset). As on QEMU, any other
/// value or offset is ignored, loads read 0, and byte or 64-bit accesses
/// fault (the device accepts only 2- and 4-byte accesses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Finisher {
    ended: Option<Ended>,
}

impl Finisher {
    pub const PASS: u64 = 0x5555;
    pub const FAIL: u64 = 0x3333;
    pub const RESET: u64 = 0x7777;

    pub fn new() -> Finisher {
        Finisher::default()
    }

    /// The end the guest asked for, once it has.
    pub fn ended(&self) -> Option<Ended> {
        self.ended
    }

    pub fn load(&mut self, offset: u64, size: u8) -> Option<u64> {
        if offset >= FINISHER_SIZE || !matches!(size, 2 | 4) {
            return None;
        }
        Some(0)
    }

    /// A store; `Some(true)` when it ended the guest.
    pub fn store(&mut self, offset: u64, size: u8, value: u64) -> Option<bool> {
        if offset >= FINISHER_SIZE || !matches!(size, 2 | 4) {
            return None;
        }
        if offset != 0 {
            return Some(false);
        }
        let code = ((value >> 16) & 0xffff) as u32;
        let end = match value & 0xffff {
            Self::PASS => Ended {
                code: 0,
                how: EndHow::FinisherPass,
            },
            Self::FAIL => Ended {
                code,
                how: EndHow::FinisherFail,
            },
            Self::RESET => Ended {
                code: 0,
                how: EndHow::FinisherReset,
            },
            _ => return Some(false),
        };
        // The first end counts: a guest cannot un-end itself.
        self.ended.get_or_insert(end);
        Some(true)
    }
}

// ---------------------------------------------------------------------------
// The native bus
// ---------------------------------------------------------------------------

/// The devices of the native machine at their book/src/machine.md addresses; every
/// other address outside RAM faults.
#[derive(Debug)]
pub struct NativeDevices {
    pub uart: Uart,
    pub finisher: Finisher,
    /// An end asked for through SBI (SRST or legacy shutdown).
    pub sbi_ended: Option<Ended>,
}

impl NativeDevices {
    pub fn new(console: Console) -> NativeDevices {
        NativeDevices {
            uart: Uart::new(console),
            finisher: Finisher::new(),
            sbi_ended: None,
        }
    }

    /// How the guest ended, if it has (the first of finisher and SBI).
    pub fn ended(&self) -> Option<Ended> {
        self.finisher.ended().or(self.sbi_ended)
    }

    /// The devices' state, without the console's host ends.
    pub fn state(&self) -> DeviceState {
        DeviceState {
            uart: self.uart.state(),
            finisher: self.finisher,
            sbi_ended: self.sbi_ended,
        }
    }

    /// Puts saved state back.
    pub fn set_state(&mut self, state: &DeviceState) {
        self.uart.set_state(&state.uart);
        self.finisher = state.finisher;
        self.sbi_ended = state.sbi_ended;
    }
}

/// What [`NativeDevices::state`] saves: every register and FIFO of every
/// device, and the input bytes taken from the host but not yet read by the
/// guest ([`UartState`]), so that going back to it and running again reads
/// the same input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceState {
    pub uart: UartState,
    pub finisher: Finisher,
    pub sbi_ended: Option<Ended>,
}

/// Splits a physical address into (device window base, offset).
fn window(pa: u64) -> Option<(u64, u64)> {
    if (FINISHER_BASE..FINISHER_BASE + FINISHER_SIZE).contains(&pa) {
        Some((FINISHER_BASE, pa - FINISHER_BASE))
    } else if (UART_BASE..UART_BASE + UART_SIZE).contains(&pa) {
        Some((UART_BASE, pa - UART_BASE))
    } else {
        None
    }
}

impl Devices for NativeDevices {
    fn load(&mut self, pa: u64, size: u8) -> Option<u64> {
        match window(pa)? {
            (FINISHER_BASE, off) => self.finisher.load(off, size),
            (_, off) => self.uart.load(off, size),
        }
    }

    fn store(&mut self, pa: u64, size: u8, value: u64) -> Option<bool> {
        match window(pa)? {
            (FINISHER_BASE, off) => self.finisher.store(off, size, value),
            (_, off) => self.uart.store(off, size, value).map(|()| false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uart_with_input(input: &[u8]) -> (Uart, SharedBuffer) {
        let (console, out) = Console::buffered(input);
        (Uart::new(console), out)
    }

    /// A sink that records what reached the host (flushed), apart from
    /// what was written.
    #[derive(Clone, Default)]
    struct FlushedSink {
        written: std::sync::Arc<std::sync::Mutex<(Vec<u8>, Vec<u8>)>>,
    }

    impl Write for FlushedSink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.written.lock().unwrap().0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            let mut w = self.written.lock().unwrap();
            let buffered = std::mem::take(&mut w.0);
            w.1.extend_from_slice(&buffered);
            Ok(())
        }
    }

    #[test]
    fn a_guest_polling_for_input_has_its_prompt_flushed() {
        let sink = FlushedSink::default();
        let shown = || sink.written.lock().unwrap().1.clone();
        let mut uart = Uart::new(Console::new(Box::new(sink.clone()), Box::new(NoInput)));
        // Printing: one LSR poll (THRE) per byte flushes nothing.
        for &b in b"=> " {
            uart.read_reg(reg::LSR);
            uart.write_reg(reg::RBR_THR_DLL, b);
        }
        uart.read_reg(reg::LSR);
        assert_eq!(shown(), b"");
        // Waiting for a key: the second empty poll in a row shows it.
        uart.read_reg(reg::LSR);
        assert_eq!(shown(), b"=> ");
        uart.read_reg(reg::LSR);
        assert_eq!(shown(), b"=> ");
    }

    #[test]
    fn a_saved_uart_state_reads_back_the_same() {
        let (mut uart, _) = uart_with_input(b"xyz");
        uart.store(reg::LCR, 1, 0x83).unwrap();
        uart.store(reg::RBR_THR_DLL, 1, 0x0c).unwrap();
        uart.store(reg::LCR, 1, 0x03).unwrap();
        assert_eq!(
            uart.load(reg::LSR, 1),
            Some(0x61),
            "one byte taken: pending"
        );
        let saved = uart.state();
        let regs = |u: &mut Uart| (0..8).map(|r| u.load(r, 1)).collect::<Vec<_>>();
        let first = regs(&mut uart);
        uart.set_state(&saved);
        assert_eq!(regs(&mut uart), first, "same bytes, x first");
        assert_eq!(first[0], Some(u64::from(b'x')));
    }

    #[test]
    fn thr_writes_reach_the_console() {
        let (mut uart, out) = uart_with_input(b"");
        for &b in b"hi\n" {
            uart.store(0, 1, u64::from(b)).unwrap();
        }
        assert_eq!(out.contents(), b"hi\n");
    }

    #[test]
    fn reset_state_matches_qemu_after_opensbi() {
        let (mut uart, _) = uart_with_input(b"");
        let regs: Vec<u64> = (1..8).map(|r| uart.load(r, 1).unwrap()).collect();
        // IER IIR LCR MCR LSR MSR SCR, as read on QEMU 7.2 + OpenSBI.
        assert_eq!(regs, [0x00, 0xc1, 0x03, 0x00, 0x60, 0xb0, 0x00]);
    }

    #[test]
    fn lsr_shows_data_ready_while_input_waits_and_rbr_takes_it() {
        let (mut uart, _) = uart_with_input(b"ab");
        assert_eq!(uart.load(reg::LSR, 1), Some(0x61));
        assert_eq!(uart.load(reg::RBR_THR_DLL, 1), Some(u64::from(b'a')));
        assert_eq!(uart.load(reg::LSR, 1), Some(0x61));
        assert_eq!(uart.load(reg::RBR_THR_DLL, 1), Some(u64::from(b'b')));
        assert_eq!(uart.load(reg::LSR, 1), Some(0x60));
        // An empty FIFO reads 0.
        assert_eq!(uart.load(reg::RBR_THR_DLL, 1), Some(0));
    }

    #[test]
    fn dlab_switches_offsets_0_and_1_to_the_divisor() {
        let (mut uart, out) = uart_with_input(b"x");
        uart.store(reg::LCR, 1, 0x83).unwrap();
        uart.store(reg::RBR_THR_DLL, 1, 0x0c).unwrap();
        uart.store(reg::IER_DLM, 1, 0x01).unwrap();
        assert_eq!(uart.load(reg::RBR_THR_DLL, 1), Some(0x0c));
        assert_eq!(uart.load(reg::IER_DLM, 1), Some(0x01));
        uart.store(reg::LCR, 1, 0x03).unwrap();
        // Nothing was transmitted, IER untouched, input still there.
        assert_eq!(out.contents(), b"");
        assert_eq!(uart.load(reg::IER_DLM, 1), Some(0));
        assert_eq!(uart.load(reg::RBR_THR_DLL, 1), Some(u64::from(b'x')));
    }

    #[test]
    fn ier_keeps_four_bits_and_thri_shows_in_iir_until_read() {
        let (mut uart, _) = uart_with_input(b"");
        uart.store(reg::IER_DLM, 1, 0xff).unwrap();
        assert_eq!(uart.load(reg::IER_DLM, 1), Some(0x0f));
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc2));
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc1));
        // Transmitting empties THR again: THRI is back.
        uart.store(0, 1, u64::from(b'.')).unwrap();
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc2));
    }

    #[test]
    fn iir_reports_received_data_before_thr_empty() {
        let (mut uart, _) = uart_with_input(b"z");
        uart.store(reg::IER_DLM, 1, (IER_RDI | IER_THRI).into())
            .unwrap();
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc4));
        uart.load(0, 1).unwrap();
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc2));
    }

    #[test]
    fn fcr_disabling_fifos_clears_the_fifo_bits_of_iir() {
        let (mut uart, _) = uart_with_input(b"");
        uart.store(reg::IIR_FCR, 1, 0).unwrap();
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0x01));
        uart.store(reg::IIR_FCR, 1, 0x07).unwrap();
        assert_eq!(uart.load(reg::IIR_FCR, 1), Some(0xc1));
    }

    #[test]
    fn mcr_keeps_five_bits_lsr_and_msr_ignore_writes_scr_is_scratch() {
        let (mut uart, _) = uart_with_input(b"");
        uart.store(reg::MCR, 1, 0xef).unwrap();
        assert_eq!(uart.load(reg::MCR, 1), Some(0x0f));
        uart.store(reg::LSR, 1, 0).unwrap();
        uart.store(reg::MSR, 1, 0).unwrap();
        assert_eq!(uart.load(reg::LSR, 1), Some(0x60));
        assert_eq!(uart.load(reg::MSR, 1), Some(0xb0));
        uart.store(reg::SCR, 1, 0x5a).unwrap();
        assert_eq!(uart.load(reg::SCR, 1), Some(0x5a));
    }

    #[test]
    fn loopback_echoes_into_the_receiver_not_the_console() {
        let (mut uart, out) = uart_with_input(b"host");
        uart.store(reg::MCR, 1, 0x1f).unwrap();
        assert_eq!(uart.load(reg::LSR, 1), Some(0x60), "host input hidden");
        // RTS|DTR|OUT1|OUT2 looped back to CTS|DSR|RI|DCD.
        assert_eq!(uart.load(reg::MSR, 1), Some(0xf0));
        uart.store(0, 1, u64::from(b'L')).unwrap();
        assert_eq!(uart.load(reg::LSR, 1), Some(0x61));
        assert_eq!(uart.load(0, 1), Some(u64::from(b'L')));
        for _ in 0..17 {
            uart.store(0, 1, 0).unwrap();
        }
        assert_eq!(uart.load(reg::LSR, 1), Some(0x63), "overrun");
        assert_eq!(uart.load(reg::LSR, 1), Some(0x61), "OE clears on read");
        assert_eq!(out.contents(), b"");
        uart.store(reg::MCR, 1, 0).unwrap();
        uart.store(reg::IIR_FCR, 1, 0x07).unwrap();
        assert_eq!(uart.load(0, 1), Some(u64::from(b'h')));
    }

    #[test]
    fn wide_accesses_act_on_one_byte_register_like_qemu() {
        let (mut uart, out) = uart_with_input(b"");
        assert_eq!(uart.load(reg::MCR, 4), Some(0));
        assert_eq!(uart.load(reg::IIR_FCR, 2), Some(0xc1));
        assert_eq!(uart.load(reg::LSR, 8), Some(0x60));
        uart.store(reg::SCR, 4, 0x1234_5667).unwrap();
        assert_eq!(uart.load(reg::SCR, 1), Some(0x67));
        uart.store(0, 8, 0x4142_4344_4546_4748).unwrap();
        assert_eq!(out.contents(), b"H");
    }

    #[test]
    fn offsets_past_the_eight_registers_fault() {
        let (mut uart, _) = uart_with_input(b"");
        assert_eq!(uart.load(8, 1), None);
        assert_eq!(uart.load(0xff, 1), None);
        assert_eq!(uart.store(13, 1, 0), None);
        assert_eq!(uart.load(0, 3), None);
    }

    #[test]
    fn finisher_pass_fail_reset() {
        let mut f = Finisher::new();
        assert_eq!(f.store(0, 4, 0x5555), Some(true));
        assert_eq!(
            f.ended(),
            Some(Ended {
                code: 0,
                how: EndHow::FinisherPass
            })
        );

        let mut f = Finisher::new();
        assert_eq!(f.store(0, 4, 0x0042_3333), Some(true));
        assert_eq!(f.ended().map(|e| e.code), Some(0x42));

        let mut f = Finisher::new();
        assert_eq!(f.store(0, 2, 0x7777), Some(true));
        let end = f.ended().unwrap();
        assert_eq!((end.code, end.how), (0, EndHow::FinisherReset));
        assert!(end.to_string().contains("reset"));
    }

    #[test]
    fn finisher_ignores_other_values_and_offsets_and_faults_on_bytes_and_dwords() {
        let mut f = Finisher::new();
        assert_eq!(f.store(0, 4, 0x1234), Some(false));
        assert_eq!(f.store(4, 4, 0x5555), Some(false));
        assert_eq!(f.store(0, 1, 0x55), None);
        assert_eq!(f.store(0, 8, 0x5555), None);
        assert_eq!(f.load(0, 4), Some(0));
        assert_eq!(f.load(0, 2), Some(0));
        assert_eq!(f.load(0, 1), None);
        assert_eq!(f.load(0, 8), None);
        assert_eq!(f.ended(), None);
    }

    #[test]
    fn first_end_wins() {
        let mut f = Finisher::new();
        f.store(0, 4, 0x0007_3333);
        f.store(0, 4, 0x5555);
        assert_eq!(f.ended().map(|e| e.code), Some(7));
    }

    #[test]
    fn native_bus_places_devices_and_faults_elsewhere() {
        let (console, out) = Console::buffered(b"");
        let mut bus = NativeDevices::new(console);
        assert_eq!(bus.store(UART_BASE, 1, u64::from(b'!')), Some(false));
        assert_eq!(out.contents(), b"!");
        assert_eq!(bus.load(UART_BASE + 5, 1), Some(0x60));
        assert_eq!(bus.load(UART_BASE + 8, 1), None);
        assert_eq!(bus.load(UART_BASE + UART_SIZE, 1), None);
        assert_eq!(bus.load(0, 4), None);
        assert_eq!(bus.store(0x0200_0000, 8, 0), None, "no CLINT");
        assert_eq!(bus.load(FINISHER_BASE, 4), Some(0));
        assert_eq!(bus.store(FINISHER_BASE, 4, 0x0003_3333), Some(true));
        assert_eq!(bus.ended().map(|e| e.code), Some(3));
    }
}
