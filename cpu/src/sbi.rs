//! The Supervisor Binary Interface subset of book/src/machine.md (RISC-V SBI
//! specification v2.0): what an `ecall` from S-mode asks the firmware for.
//!
//! Two halves, so the native SEE and the monitor's hypercalls share one
//! implementation: [`SbiCall::decode`] turns `a7`/`a6`/`a0..a5` into a typed
//! call, and [`handle`] carries it out over an [`SbiEnv`] (the console, the
//! timer, guest-physical memory, the power switch) and says what goes back
//! into `a0`/`a1` ([`SbiRet`]).
//!
//! Where the spec leaves room, OpenSBI (the firmware QEMU boots) is the
//! reference: console output turns `\n` into `\r\n`, DBCN rejects a
//! non-zero `addr_hi` with "failed", and legacy calls return in `a0` only.
//!
//! One hart (id 0) answers the multi-hart extensions as OpenSBI does on a
//! one-hart machine: IPI and RFENCE act on the calling hart only (an IPI
//! to itself sets its `sip.SSIP`; a remote fence is a local one), HSM says
//! hart 0 is started and every other hart id is invalid. Where OpenSBI 1.1
//! is looser than SBI v2.0 (it ignores hart-mask bits of harts that do not
//! exist), the spec decides: such a mask is an invalid parameter.

use crate::devices::{EndHow, Ended};

/// SBI specification version implemented: v2.0 (major in bits 30:24).
pub const SPEC_VERSION: u64 = 0x0200_0000;
/// trapvisor's SBI implementation id. Not a registered id (OpenSBI is 1,
/// RustSBI 4, ...): the ASCII bytes "TRAP", chosen to collide with none.
pub const IMPL_ID: u64 = 0x5452_4150;
/// Implementation version: trapvisor 0.1 as `major << 16 | minor`.
pub const IMPL_VERSION: u64 = 0x0000_0001;

/// Extension ids (SBI spec chapter 3 onwards).
pub mod ext {
    pub const LEGACY_SET_TIMER: u64 = 0x00;
    pub const LEGACY_CONSOLE_PUTCHAR: u64 = 0x01;
    pub const LEGACY_CONSOLE_GETCHAR: u64 = 0x02;
    pub const LEGACY_SHUTDOWN: u64 = 0x08;
    pub const BASE: u64 = 0x10;
    pub const TIME: u64 = 0x5449_4D45;
    pub const IPI: u64 = 0x0073_5049;
    pub const RFENCE: u64 = 0x5246_4E43;
    pub const HSM: u64 = 0x0048_534D;
    pub const SRST: u64 = 0x5352_5354;
    pub const PMU: u64 = 0x0050_4D55;
    pub const DBCN: u64 = 0x4442_434E;

    /// Every extension [`super::handle`] implements (what `probe` finds).
    /// PMU, system suspend, CPPC, ... and the legacy IPI and fence calls
    /// (ids 3 to 7, deprecated since SBI v0.2) are absent.
    pub const IMPLEMENTED: [u64; 11] = [
        LEGACY_SET_TIMER,
        LEGACY_CONSOLE_PUTCHAR,
        LEGACY_CONSOLE_GETCHAR,
        LEGACY_SHUTDOWN,
        BASE,
        TIME,
        IPI,
        RFENCE,
        HSM,
        SRST,
        DBCN,
    ];
}

/// SBI error codes (SBI spec 3.2, table 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i64)]
pub enum SbiError {
    Failed = -1,
    NotSupported = -2,
    InvalidParam = -3,
    AlreadyAvailable = -6,
}

/// What a remote fence asks of the harts it names: the instruction's
/// fence of everything ([`crate::isa::Fence`]).
pub use crate::isa::Fence;

/// One decoded SBI call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbiCall {
    GetSpecVersion,
    GetImplId,
    GetImplVersion,
    ProbeExtension {
        ext: u64,
    },
    GetMvendorid,
    GetMarchid,
    GetMimpid,
    SetTimer {
        stime: u64,
    },
    SystemReset {
        kind: u64,
        reason: u64,
    },
    ConsoleWrite {
        num_bytes: u64,
        addr_lo: u64,
        addr_hi: u64,
    },
    ConsoleRead {
        num_bytes: u64,
        addr_lo: u64,
        addr_hi: u64,
    },
    ConsoleWriteByte {
        byte: u8,
    },
    SendIpi {
        hart_mask: u64,
        hart_mask_base: u64,
    },
    /// RFENCE `remote_fence_i` (`fence: FenceI`), `remote_sfence_vma` and
    /// `remote_sfence_vma_asid` (`SfenceVma`; the address range and ASID
    /// do not matter to a fence of everything).
    RemoteFence {
        fence: Fence,
        hart_mask: u64,
        hart_mask_base: u64,
    },
    HartStart {
        hartid: u64,
        start_addr: u64,
        opaque: u64,
    },
    HartStop,
    HartGetStatus {
        hartid: u64,
    },
    HartSuspend {
        suspend_type: u64,
        resume_addr: u64,
        opaque: u64,
    },
    LegacySetTimer {
        stime: u64,
    },
    LegacyPutchar {
        byte: u8,
    },
    LegacyGetchar,
    LegacyShutdown,
    /// An extension or function trapvisor does not implement.
    Unsupported {
        ext: u64,
        func: u64,
    },
}

impl SbiCall {
    /// Decodes a call from the extension id (`a7`), the function id (`a6`)
    /// and the arguments `a0..a5`.
    pub fn decode(ext: u64, func: u64, a: [u64; 6]) -> SbiCall {
        use SbiCall::*;
        match (ext, func) {
            // Legacy extensions have no function id: a6 is ignored.
            (ext::LEGACY_SET_TIMER, _) => LegacySetTimer { stime: a[0] },
            (ext::LEGACY_CONSOLE_PUTCHAR, _) => LegacyPutchar { byte: a[0] as u8 },
            (ext::LEGACY_CONSOLE_GETCHAR, _) => LegacyGetchar,
            (ext::LEGACY_SHUTDOWN, _) => LegacyShutdown,
            (ext::BASE, 0) => GetSpecVersion,
            (ext::BASE, 1) => GetImplId,
            (ext::BASE, 2) => GetImplVersion,
            (ext::BASE, 3) => ProbeExtension { ext: a[0] },
            (ext::BASE, 4) => GetMvendorid,
            (ext::BASE, 5) => GetMarchid,
            (ext::BASE, 6) => GetMimpid,
            (ext::TIME, 0) => SetTimer { stime: a[0] },
            (ext::SRST, 0) => SystemReset {
                kind: a[0],
                reason: a[1],
            },
            (ext::DBCN, 0) => ConsoleWrite {
                num_bytes: a[0],
                addr_lo: a[1],
                addr_hi: a[2],
            },
            (ext::DBCN, 1) => ConsoleRead {
                num_bytes: a[0],
                addr_lo: a[1],
                addr_hi: a[2],
            },
            (ext::DBCN, 2) => ConsoleWriteByte { byte: a[0] as u8 },
            (ext::IPI, 0) => SendIpi {
                hart_mask: a[0],
                hart_mask_base: a[1],
            },
            (ext::RFENCE, 0..=2) => RemoteFence {
                fence: if func == 0 {
                    Fence::FenceI
                } else {
                    Fence::SfenceVma
                },
                hart_mask: a[0],
                hart_mask_base: a[1],
            },
            (ext::HSM, 0) => HartStart {
                hartid: a[0],
                start_addr: a[1],
                opaque: a[2],
            },
            (ext::HSM, 1) => HartStop,
            (ext::HSM, 2) => HartGetStatus { hartid: a[0] },
            // `suspend_type` is a uint32_t: the upper half of a0 is not
            // looked at (as OpenSBI does).
            (ext::HSM, 3) => HartSuspend {
                suspend_type: a[0] & 0xffff_ffff,
                resume_addr: a[1],
                opaque: a[2],
            },
            (ext, func) => Unsupported { ext, func },
        }
    }

    /// Decodes the call in the registers `x` (`x[17]` = a7, `x[16]` = a6,
    /// `x[10..16]` = a0..a5) of a hart that executed `ecall`.
    pub fn from_regs(x: &[u64; 32]) -> SbiCall {
        SbiCall::decode(x[17], x[16], [x[10], x[11], x[12], x[13], x[14], x[15]])
    }
}

/// A byte as a student reads it in a trace: `'A'`, `'\n'`, `0x07`.
fn byte_text(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' || matches!(b, b'\n' | b'\r' | b'\t') {
        format!("'{}'", b.escape_ascii())
    } else {
        format!("{b:#04x}")
    }
}

/// A hart mask as a trace line shows it (SBI spec 3.1): every hart for a
/// base of -1, else the mask and its base.
struct HartMask(u64, u64);

impl std::fmt::Display for HartMask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            HartMask(_, u64::MAX) => write!(f, "every hart"),
            HartMask(mask, 0) => write!(f, "harts {mask:#b}"),
            HartMask(mask, base) => write!(f, "harts {mask:#b} from hart {base}"),
        }
    }
}

/// The call as a trace line shows it: the SBI spec's name for the
/// function and its arguments in words (`set_timer(at time 100071)`).
impl std::fmt::Display for SbiCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use SbiCall::*;
        match *self {
            GetSpecVersion => write!(f, "get_spec_version"),
            GetImplId => write!(f, "get_impl_id"),
            GetImplVersion => write!(f, "get_impl_version"),
            ProbeExtension { ext } => write!(f, "probe_extension({ext:#x})"),
            GetMvendorid => write!(f, "get_mvendorid"),
            GetMarchid => write!(f, "get_marchid"),
            GetMimpid => write!(f, "get_mimpid"),
            SetTimer { stime } => write!(f, "set_timer(at time {stime})"),
            SystemReset { kind, reason } => {
                write!(f, "system_reset(type {kind}, reason {reason})")
            }
            ConsoleWrite {
                num_bytes,
                addr_lo,
                addr_hi,
            } => {
                write!(f, "debug_console_write({num_bytes} bytes from {addr_lo:#x}")?;
                if addr_hi != 0 {
                    write!(f, ", high address {addr_hi:#x}")?;
                }
                write!(f, ")")
            }
            ConsoleRead {
                num_bytes,
                addr_lo,
                addr_hi,
            } => {
                write!(
                    f,
                    "debug_console_read(up to {num_bytes} bytes to {addr_lo:#x}"
                )?;
                if addr_hi != 0 {
                    write!(f, ", high address {addr_hi:#x}")?;
                }
                write!(f, ")")
            }
            ConsoleWriteByte { byte } => {
                write!(f, "debug_console_write_byte({})", byte_text(byte))
            }
            SendIpi {
                hart_mask,
                hart_mask_base,
            } => write!(f, "send_ipi({})", HartMask(hart_mask, hart_mask_base)),
            RemoteFence {
                fence,
                hart_mask,
                hart_mask_base,
            } => {
                let name = match fence {
                    Fence::FenceI => "remote_fence_i",
                    Fence::SfenceVma => "remote_sfence_vma",
                };
                write!(f, "{name}({})", HartMask(hart_mask, hart_mask_base))
            }
            HartStart {
                hartid,
                start_addr,
                opaque,
            } => write!(
                f,
                "hart_start(hart {hartid} at {start_addr:#x}, opaque {opaque:#x})"
            ),
            HartStop => write!(f, "hart_stop"),
            HartGetStatus { hartid } => write!(f, "hart_get_status(hart {hartid})"),
            HartSuspend {
                suspend_type,
                resume_addr,
                opaque,
            } => write!(
                f,
                "hart_suspend(type {suspend_type:#x}, resume at {resume_addr:#x}, opaque {opaque:#x})"
            ),
            LegacySetTimer { stime } => write!(f, "legacy set_timer(at time {stime})"),
            LegacyPutchar { byte } => write!(f, "legacy console_putchar({})", byte_text(byte)),
            LegacyGetchar => write!(f, "legacy console_getchar"),
            LegacyShutdown => write!(f, "legacy shutdown"),
            Unsupported { ext, func } => {
                write!(f, "extension {ext:#x} function {func} (not implemented)")
            }
        }
    }
}

/// What a call gives back to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbiRet {
    /// `a0` = error (0 on success), `a1` = value.
    Standard { error: i64, value: u64 },
    /// Legacy calls: `a0` only.
    Legacy(u64),
    /// The call ended the guest (shutdown, reset): nothing comes back.
    Ended,
    /// HSM `hart_suspend` (default retentive): `a0` = 0, `a1` = 0 go back
    /// once the hart wakes, and it waits as `wfi` does: until an interrupt
    /// enabled in `sie` is pending (SBI spec 9.4).
    Suspend,
    /// HSM `hart_stop`: the only hart stopped, and no other hart is left to
    /// start it again. Nothing comes back: the guest is stopped as hung.
    HartStopped,
}

impl SbiRet {
    pub fn ok(value: u64) -> SbiRet {
        SbiRet::Standard { error: 0, value }
    }

    pub fn err(error: SbiError) -> SbiRet {
        SbiRet::Standard {
            error: error as i64,
            value: 0,
        }
    }

    /// Writes the result into `a0`/`a1` of the register file `x`.
    pub fn write_to(self, x: &mut [u64; 32]) {
        match self {
            SbiRet::Standard { error, value } => {
                x[10] = error as u64;
                x[11] = value;
            }
            SbiRet::Legacy(a0) => x[10] = a0,
            SbiRet::Suspend => {
                x[10] = 0;
                x[11] = 0;
            }
            SbiRet::Ended | SbiRet::HartStopped => {}
        }
    }
}

impl std::fmt::Display for SbiRet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SbiRet::Standard { error, value } => write!(f, "a0 = {error}, a1 = {value:#x}"),
            SbiRet::Legacy(a0) => write!(f, "a0 = {:#x}", a0),
            SbiRet::Ended => write!(f, "the guest ended"),
            SbiRet::Suspend => write!(f, "a0 = 0, a1 = 0 once the hart wakes (suspended)"),
            SbiRet::HartStopped => write!(f, "the only hart stopped"),
        }
    }
}

/// What the firmware needs from its machine. The native SEE implements it
/// over the hart and the UART's console; the monitor over one guest.
pub trait SbiEnv {
    /// Console output (already with the firmware's `\r\n` line ends).
    fn console_write(&mut self, bytes: &[u8]);
    /// One byte of console input, if one waits (never blocks).
    fn console_read(&mut self) -> Option<u8>;
    /// Sets the timer deadline, in `time` units, and clears a pending
    /// supervisor timer interrupt (SBI spec 6.1).
    fn set_timer(&mut self, stime: u64);
    /// Ends the guest.
    fn end(&mut self, end: Ended);
    /// Sets the calling hart's `sip.SSIP` (an IPI to itself).
    fn raise_software_interrupt(&mut self);
    /// A `fence` on the calling hart: `fence.i` makes later instruction
    /// fetches see earlier stores; `sfence.vma` drops every cached
    /// translation.
    fn fence(&mut self, fence: Fence);
    /// Whether `[pa, pa + len)` is all guest-physical RAM.
    fn is_ram(&self, pa: u64, len: u64) -> bool;
    /// Reads guest-physical RAM; false if any byte is not RAM.
    fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool;
    /// Writes guest-physical RAM; false if any byte is not RAM.
    fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool;
}

/// HSM hart states (SBI spec 9, table 25).
pub const HART_STARTED: u64 = 0;

/// HSM `hart_suspend` types (SBI spec 9.4, table 28).
pub mod suspend {
    pub const DEFAULT_RETENTIVE: u64 = 0;
    pub const DEFAULT_NON_RETENTIVE: u64 = 0x8000_0000;
    /// Platform-specific types: none here.
    pub const PLATFORM_RETENTIVE: std::ops::RangeInclusive<u64> = 0x1000_0000..=0x7fff_ffff;
    pub const PLATFORM_NON_RETENTIVE: std::ops::RangeInclusive<u64> = 0x9000_0000..=0xffff_ffff;
}

/// Whether a hart mask names only harts that exist, here hart 0 (SBI spec
/// 3.1: `hart_mask_base` = -1 means every hart; otherwise bit `i` of
/// `hart_mask` is hart `hart_mask_base + i`), and whether it names hart 0.
fn hart_mask(mask: u64, base: u64) -> Result<bool, SbiError> {
    match base {
        u64::MAX => Ok(true),
        0 if mask & !1 == 0 => Ok(mask & 1 != 0),
        _ => Err(SbiError::InvalidParam),
    }
}

/// How many bytes DBCN copies at a time (bounds the host buffer whatever
/// `num_bytes` the guest passes).
const CHUNK: usize = 4096;

/// Carries out one SBI call.
pub fn handle(call: SbiCall, env: &mut impl SbiEnv) -> SbiRet {
    use SbiCall::*;
    match call {
        GetSpecVersion => SbiRet::ok(SPEC_VERSION),
        GetImplId => SbiRet::ok(IMPL_ID),
        GetImplVersion => SbiRet::ok(IMPL_VERSION),
        // probe: 1 if implemented, 0 if not; never an error (SBI spec 4.4).
        ProbeExtension { ext } => SbiRet::ok(u64::from(ext::IMPLEMENTED.contains(&ext))),
        GetMvendorid | GetMarchid | GetMimpid => SbiRet::ok(0),
        SetTimer { stime } => {
            env.set_timer(stime);
            SbiRet::ok(0)
        }
        SystemReset { kind, reason } => system_reset(kind, reason, env),
        ConsoleWrite {
            num_bytes,
            addr_lo,
            addr_hi,
        } => console_write(num_bytes, addr_lo, addr_hi, env),
        ConsoleRead {
            num_bytes,
            addr_lo,
            addr_hi,
        } => console_read(num_bytes, addr_lo, addr_hi, env),
        ConsoleWriteByte { byte } => {
            put_bytes(&[byte], env);
            SbiRet::ok(0)
        }
        // IPI `send_ipi` (SBI spec 7.1): a supervisor software interrupt on
        // each hart named, here at most this one.
        SendIpi {
            hart_mask: mask,
            hart_mask_base: base,
        } => match hart_mask(mask, base) {
            Ok(named) => {
                if named {
                    env.raise_software_interrupt();
                }
                SbiRet::ok(0)
            }
            Err(e) => SbiRet::err(e),
        },
        // RFENCE (SBI spec 8): the fence on each hart named, here this one.
        RemoteFence {
            fence,
            hart_mask: mask,
            hart_mask_base: base,
        } => match hart_mask(mask, base) {
            Ok(named) => {
                if named {
                    env.fence(fence);
                }
                SbiRet::ok(0)
            }
            Err(e) => SbiRet::err(e),
        },
        // One hart, always running; any other hart id does not exist.
        HartStart { hartid: 0, .. } => SbiRet::err(SbiError::AlreadyAvailable),
        HartStart { .. } => SbiRet::err(SbiError::InvalidParam),
        HartStop => SbiRet::HartStopped,
        HartGetStatus { hartid: 0 } => SbiRet::ok(HART_STARTED),
        HartGetStatus { .. } => SbiRet::err(SbiError::InvalidParam),
        HartSuspend { suspend_type, .. } => hart_suspend(suspend_type),
        LegacySetTimer { stime } => {
            env.set_timer(stime);
            SbiRet::Legacy(0)
        }
        LegacyPutchar { byte } => {
            put_bytes(&[byte], env);
            SbiRet::Legacy(0)
        }
        LegacyGetchar => SbiRet::Legacy(env.console_read().map_or(u64::MAX, u64::from)),
        LegacyShutdown => {
            env.end(Ended {
                code: 0,
                how: EndHow::SbiShutdown,
            });
            SbiRet::Ended
        }
        Unsupported { .. } => SbiRet::err(SbiError::NotSupported),
    }
}

/// HSM `hart_suspend(type, resume_addr, opaque)` (SBI spec 9.4): the
/// default retentive suspend waits as `wfi` does and returns 0; the
/// default non-retentive one is valid but not implemented here ("not
/// supported", as the spec allows), and so are the platform-specific
/// types (there are none); reserved types are invalid, as OpenSBI says.
fn hart_suspend(suspend_type: u64) -> SbiRet {
    match suspend_type {
        suspend::DEFAULT_RETENTIVE => SbiRet::Suspend,
        suspend::DEFAULT_NON_RETENTIVE => SbiRet::err(SbiError::NotSupported),
        t if suspend::PLATFORM_RETENTIVE.contains(&t)
            || suspend::PLATFORM_NON_RETENTIVE.contains(&t) =>
        {
            SbiRet::err(SbiError::NotSupported)
        }
        _ => SbiRet::err(SbiError::InvalidParam),
    }
}

/// SRST `system_reset(type, reason)` (SBI spec 10.1): type 0 shuts down,
/// 1 (cold) and 2 (warm) reboot, which trapvisor turns into an end; reason
/// 0 (none) is exit code 0, 1 (system failure) exit code 1. Reserved types
/// or reasons are invalid parameters.
fn system_reset(kind: u64, reason: u64, env: &mut impl SbiEnv) -> SbiRet {
    let how = match kind {
        0 => EndHow::SbiShutdown,
        1 | 2 => EndHow::SbiReboot,
        _ => return SbiRet::err(SbiError::InvalidParam),
    };
    let code = match reason {
        0 => 0,
        1 => 1,
        _ => return SbiRet::err(SbiError::InvalidParam),
    };
    env.end(Ended { code, how });
    SbiRet::Ended
}

/// Firmware console output: each `\n` goes out as `\r\n`, as OpenSBI's
/// `sbi_putc` does.
fn put_bytes(bytes: &[u8], env: &mut impl SbiEnv) {
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        match line.strip_suffix(b"\n") {
            Some(text) => {
                env.console_write(text);
                env.console_write(b"\r\n");
            }
            None => env.console_write(line),
        }
    }
}

/// Checks a DBCN buffer: `addr_hi` must be 0 on RV64 (OpenSBI answers
/// "failed"), and every byte must be RAM ("invalid param", SBI spec 12.1).
fn dbcn_buffer(
    num_bytes: u64,
    addr_lo: u64,
    addr_hi: u64,
    env: &impl SbiEnv,
) -> Result<(), SbiError> {
    if addr_hi != 0 {
        return Err(SbiError::Failed);
    }
    if num_bytes != 0 && !env.is_ram(addr_lo, num_bytes) {
        return Err(SbiError::InvalidParam);
    }
    Ok(())
}

/// DBCN `write(num_bytes, addr_lo, addr_hi)`: prints the bytes at a
/// guest-physical address; returns how many were written (all of them).
fn console_write(num_bytes: u64, addr_lo: u64, addr_hi: u64, env: &mut impl SbiEnv) -> SbiRet {
    if let Err(e) = dbcn_buffer(num_bytes, addr_lo, addr_hi, env) {
        return SbiRet::err(e);
    }
    let mut buf = [0u8; CHUNK];
    let mut done = 0u64;
    while done < num_bytes {
        let n = (num_bytes - done).min(CHUNK as u64) as usize;
        let chunk = &mut buf[..n];
        if !env.read_phys(addr_lo + done, chunk) {
            // `is_ram` said yes; a disagreeing env is still no reason to panic.
            return SbiRet::err(SbiError::InvalidParam);
        }
        put_bytes(chunk, env);
        done += n as u64;
    }
    SbiRet::ok(num_bytes)
}

/// DBCN `read(num_bytes, addr_lo, addr_hi)`: copies the input bytes that
/// are waiting (at most `num_bytes`, possibly none) to guest memory;
/// returns how many.
fn console_read(num_bytes: u64, addr_lo: u64, addr_hi: u64, env: &mut impl SbiEnv) -> SbiRet {
    if let Err(e) = dbcn_buffer(num_bytes, addr_lo, addr_hi, env) {
        return SbiRet::err(e);
    }
    let mut buf = Vec::new();
    while (buf.len() as u64) < num_bytes && buf.len() < CHUNK {
        match env.console_read() {
            Some(b) => buf.push(b),
            None => break,
        }
    }
    if !env.write_phys(addr_lo, &buf) {
        return SbiRet::err(SbiError::InvalidParam);
    }
    SbiRet::ok(buf.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    const RAM: u64 = 0x8000_0000;

    struct MockEnv {
        out: Vec<u8>,
        input: VecDeque<u8>,
        timer: Option<u64>,
        ended: Option<Ended>,
        ram: Vec<u8>,
        ssip: bool,
        fences: Vec<Fence>,
    }

    impl MockEnv {
        fn new() -> MockEnv {
            MockEnv {
                out: Vec::new(),
                input: VecDeque::new(),
                timer: None,
                ended: None,
                ram: vec![0; 0x1000],
                ssip: false,
                fences: Vec::new(),
            }
        }
        fn offset(&self, pa: u64, len: u64) -> Option<usize> {
            let off = pa.checked_sub(RAM)?;
            let end = off.checked_add(len)?;
            (end <= self.ram.len() as u64).then_some(off as usize)
        }
    }

    impl SbiEnv for MockEnv {
        fn console_write(&mut self, bytes: &[u8]) {
            self.out.extend_from_slice(bytes);
        }
        fn console_read(&mut self) -> Option<u8> {
            self.input.pop_front()
        }
        fn set_timer(&mut self, stime: u64) {
            self.timer = Some(stime);
        }
        fn end(&mut self, end: Ended) {
            self.ended = Some(end);
        }
        fn raise_software_interrupt(&mut self) {
            self.ssip = true;
        }
        fn fence(&mut self, fence: Fence) {
            self.fences.push(fence);
        }
        fn is_ram(&self, pa: u64, len: u64) -> bool {
            self.offset(pa, len).is_some()
        }
        fn read_phys(&self, pa: u64, buf: &mut [u8]) -> bool {
            match self.offset(pa, buf.len() as u64) {
                Some(o) => {
                    buf.copy_from_slice(&self.ram[o..o + buf.len()]);
                    true
                }
                None => false,
            }
        }
        fn write_phys(&mut self, pa: u64, data: &[u8]) -> bool {
            match self.offset(pa, data.len() as u64) {
                Some(o) => {
                    self.ram[o..o + data.len()].copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
    }

    fn call(ext: u64, func: u64, args: &[u64]) -> (SbiRet, MockEnv) {
        let mut env = MockEnv::new();
        let ret = call_in(&mut env, ext, func, args);
        (ret, env)
    }

    fn call_in(env: &mut MockEnv, ext: u64, func: u64, args: &[u64]) -> SbiRet {
        let mut a = [0; 6];
        a[..args.len()].copy_from_slice(args);
        handle(SbiCall::decode(ext, func, a), env)
    }

    const NOT_SUPPORTED: SbiRet = SbiRet::Standard {
        error: -2,
        value: 0,
    };
    const INVALID_PARAM: SbiRet = SbiRet::Standard {
        error: -3,
        value: 0,
    };

    #[test]
    fn base_extension_identifies_trapvisor() {
        assert_eq!(call(ext::BASE, 0, &[]).0, SbiRet::ok(0x0200_0000));
        assert_eq!(call(ext::BASE, 1, &[]).0, SbiRet::ok(IMPL_ID));
        assert_eq!(call(ext::BASE, 2, &[]).0, SbiRet::ok(IMPL_VERSION));
        for func in 4..=6 {
            assert_eq!(call(ext::BASE, func, &[]).0, SbiRet::ok(0));
        }
        assert_eq!(call(ext::BASE, 7, &[]).0, NOT_SUPPORTED);
    }

    #[test]
    fn probe_finds_exactly_the_implemented_extensions() {
        for e in ext::IMPLEMENTED {
            assert_eq!(call(ext::BASE, 3, &[e]).0, SbiRet::ok(1), "{e:#x}");
        }
        // PMU, system suspend, CPPC, the legacy IPI and fence calls
        // (3 to 7): absent, and probing is no error.
        for e in [
            ext::PMU,
            0x5355_5350,
            0x4350_5043,
            0x03,
            0x04,
            0x05,
            0x06,
            0x07,
            0x1234_5678,
        ] {
            assert_eq!(call(ext::BASE, 3, &[e]).0, SbiRet::ok(0), "{e:#x}");
        }
    }

    #[test]
    fn set_timer_programs_the_deadline() {
        let (ret, env) = call(ext::TIME, 0, &[12345]);
        assert_eq!(ret, SbiRet::ok(0));
        assert_eq!(env.timer, Some(12345));
        assert_eq!(call(ext::TIME, 1, &[0]).0, NOT_SUPPORTED);
    }

    #[test]
    fn legacy_set_timer_returns_in_a0_only() {
        let (ret, env) = call(ext::LEGACY_SET_TIMER, 99, &[u64::MAX]);
        assert_eq!(ret, SbiRet::Legacy(0));
        assert_eq!(env.timer, Some(u64::MAX));
        let mut x = [7u64; 32];
        ret.write_to(&mut x);
        assert_eq!((x[10], x[11]), (0, 7), "a1 untouched by legacy calls");
    }

    #[test]
    fn system_reset_types_and_reasons() {
        let (ret, env) = call(ext::SRST, 0, &[0, 0]);
        assert_eq!(ret, SbiRet::Ended);
        assert_eq!(
            env.ended,
            Some(Ended {
                code: 0,
                how: EndHow::SbiShutdown
            })
        );
        let (_, env) = call(ext::SRST, 0, &[0, 1]);
        assert_eq!(env.ended.map(|e| e.code), Some(1), "system failure");
        for kind in [1, 2] {
            let (ret, env) = call(ext::SRST, 0, &[kind, 0]);
            assert_eq!(ret, SbiRet::Ended);
            assert_eq!(env.ended.map(|e| e.how), Some(EndHow::SbiReboot));
        }
        let (ret, env) = call(ext::SRST, 0, &[3, 0]);
        assert_eq!((ret, env.ended), (INVALID_PARAM, None));
        let (ret, env) = call(ext::SRST, 0, &[0, 2]);
        assert_eq!((ret, env.ended), (INVALID_PARAM, None));
        assert_eq!(call(ext::SRST, 1, &[0, 0]).0, NOT_SUPPORTED);
    }

    #[test]
    fn legacy_shutdown_ends_with_code_0() {
        let (ret, env) = call(ext::LEGACY_SHUTDOWN, 0, &[]);
        assert_eq!(ret, SbiRet::Ended);
        assert_eq!(env.ended.map(|e| e.code), Some(0));
        let mut x = [5u64; 32];
        ret.write_to(&mut x);
        assert_eq!(x, [5; 32], "an ended call writes no register");
    }

    #[test]
    fn dbcn_write_prints_guest_memory_with_crlf() {
        let mut env = MockEnv::new();
        env.write_phys(RAM + 0x10, b"hi\nyou");
        let ret = call_in(&mut env, ext::DBCN, 0, &[6, RAM + 0x10, 0]);
        assert_eq!(ret, SbiRet::ok(6), "counts the guest's bytes");
        assert_eq!(env.out, b"hi\r\nyou");
    }

    #[test]
    fn dbcn_write_larger_than_a_chunk() {
        let mut env = MockEnv::new();
        let text: Vec<u8> = (0..0x1000u32).map(|i| b'a' + (i % 26) as u8).collect();
        env.write_phys(RAM, &text);
        assert_eq!(
            call_in(&mut env, ext::DBCN, 0, &[0x1000, RAM, 0]),
            SbiRet::ok(0x1000)
        );
        assert_eq!(env.out, text);
    }

    #[test]
    fn dbcn_write_outside_ram_is_invalid_param_and_prints_nothing() {
        for (n, addr) in [
            (4, 0x1000_0000),
            (0x1001, RAM),
            (2, RAM + 0xfff),
            (u64::MAX, RAM),
        ] {
            let (ret, env) = call(ext::DBCN, 0, &[n, addr, 0]);
            assert_eq!(ret, INVALID_PARAM, "{n} bytes at {addr:#x}");
            assert!(env.out.is_empty());
        }
        // addr_hi must be zero on RV64 (OpenSBI: failed).
        let (ret, _) = call(ext::DBCN, 0, &[1, RAM, 1]);
        assert_eq!(
            ret,
            SbiRet::Standard {
                error: -1,
                value: 0
            }
        );
        // Zero bytes anywhere: nothing to do.
        assert_eq!(call(ext::DBCN, 0, &[0, 0, 0]).0, SbiRet::ok(0));
    }

    #[test]
    fn dbcn_read_copies_waiting_input_into_guest_memory() {
        let mut env = MockEnv::new();
        env.input.extend(b"abc");
        assert_eq!(
            call_in(&mut env, ext::DBCN, 1, &[2, RAM + 8, 0]),
            SbiRet::ok(2)
        );
        let mut got = [0; 2];
        env.read_phys(RAM + 8, &mut got);
        assert_eq!(&got, b"ab");
        assert_eq!(call_in(&mut env, ext::DBCN, 1, &[8, RAM, 0]), SbiRet::ok(1));
        assert_eq!(
            call_in(&mut env, ext::DBCN, 1, &[8, RAM, 0]),
            SbiRet::ok(0),
            "nothing waits"
        );
        assert_eq!(
            call_in(&mut env, ext::DBCN, 1, &[8, 0x1000, 0]),
            INVALID_PARAM
        );
    }

    #[test]
    fn dbcn_write_byte_and_legacy_putchar() {
        let mut env = MockEnv::new();
        assert_eq!(call_in(&mut env, ext::DBCN, 2, &[0x141]), SbiRet::ok(0));
        assert_eq!(
            call_in(&mut env, ext::LEGACY_CONSOLE_PUTCHAR, 0, &[b'\n'.into()]),
            SbiRet::Legacy(0)
        );
        assert_eq!(env.out, b"A\r\n");
    }

    #[test]
    fn legacy_getchar_returns_minus_one_when_no_input() {
        let mut env = MockEnv::new();
        env.input.push_back(b'q');
        assert_eq!(
            call_in(&mut env, ext::LEGACY_CONSOLE_GETCHAR, 0, &[]),
            SbiRet::Legacy(b'q'.into())
        );
        assert_eq!(
            call_in(&mut env, ext::LEGACY_CONSOLE_GETCHAR, 0, &[]),
            SbiRet::Legacy(u64::MAX)
        );
    }

    #[test]
    fn hsm_reports_hart_0_started_and_nothing_else() {
        assert_eq!(call(ext::HSM, 2, &[0]).0, SbiRet::ok(0));
        assert_eq!(call(ext::HSM, 2, &[1]).0, INVALID_PARAM);
        assert_eq!(call(ext::HSM, 4, &[0]).0, NOT_SUPPORTED);
    }

    const ALREADY_AVAILABLE: SbiRet = SbiRet::Standard {
        error: -6,
        value: 0,
    };

    #[test]
    fn hsm_start_stop_and_suspend_on_one_hart() {
        // hart_start: hart 0 runs already (OpenSBI: -6); no other exists.
        assert_eq!(call(ext::HSM, 0, &[0, 0x8020_0000, 0]).0, ALREADY_AVAILABLE);
        for hart in [1, 5, u64::MAX] {
            assert_eq!(call(ext::HSM, 0, &[hart, 0x8020_0000, 0]).0, INVALID_PARAM);
        }
        // hart_stop: the only hart stops; nothing comes back.
        let (ret, env) = call(ext::HSM, 1, &[]);
        assert_eq!(ret, SbiRet::HartStopped);
        assert_eq!(env.ended, None);
        let mut x = [5u64; 32];
        ret.write_to(&mut x);
        assert_eq!(x, [5; 32]);
        // hart_suspend: the default retentive type waits and returns 0.
        let (ret, _) = call(ext::HSM, 3, &[0, 0, 0]);
        assert_eq!(ret, SbiRet::Suspend);
        let mut x = [5u64; 32];
        ret.write_to(&mut x);
        assert_eq!((x[10], x[11], x[12]), (0, 0, 5));
        // Default non-retentive and platform types: valid, not supported
        // here; reserved types: invalid (as OpenSBI 1.1 answers).
        for t in [0x8000_0000, 0x1000_0000, 0x7fff_ffff, 0x9000_0000, u64::MAX] {
            assert_eq!(
                call(ext::HSM, 3, &[t, 0x8020_0000, 0]).0,
                NOT_SUPPORTED,
                "{t:#x}"
            );
        }
        for t in [1, 0x0fff_ffff, 0x8000_0001, 0x8fff_ffff] {
            assert_eq!(
                call(ext::HSM, 3, &[t, 0x8020_0000, 0]).0,
                INVALID_PARAM,
                "{t:#x}"
            );
        }
    }

    #[test]
    fn ipi_to_this_hart_sets_ssip() {
        // hart_mask_base 0 with bit 0, or -1 (every hart): this hart.
        for (mask, base) in [(1, 0), (0, u64::MAX), (5, u64::MAX)] {
            let (ret, env) = call(ext::IPI, 0, &[mask, base]);
            assert_eq!(ret, SbiRet::ok(0), "{mask:#x} {base:#x}");
            assert!(env.ssip, "{mask:#x} {base:#x}");
        }
        // An empty mask: nobody, and no error.
        let (ret, env) = call(ext::IPI, 0, &[0, 0]);
        assert_eq!((ret, env.ssip), (SbiRet::ok(0), false));
        // Harts that do not exist (SBI v2.0: invalid; OpenSBI 1.1 ignores
        // mask bits above the last hart), and a base past hart 0.
        for (mask, base) in [(2, 0), (3, 0), (1, 1), (0, 1), (1, 64)] {
            let (ret, env) = call(ext::IPI, 0, &[mask, base]);
            assert_eq!(
                (ret, env.ssip),
                (INVALID_PARAM, false),
                "{mask:#x} {base:#x}"
            );
        }
        assert_eq!(call(ext::IPI, 1, &[1, 0]).0, NOT_SUPPORTED);
    }

    #[test]
    fn remote_fences_fence_this_hart() {
        let (ret, env) = call(ext::RFENCE, 0, &[1, 0]);
        assert_eq!((ret, env.fences), (SbiRet::ok(0), vec![Fence::FenceI]));
        for func in [1, 2] {
            let (ret, env) = call(ext::RFENCE, func, &[0, u64::MAX, 0x1000, 0x1000, 7]);
            assert_eq!((ret, env.fences), (SbiRet::ok(0), vec![Fence::SfenceVma]));
        }
        let (ret, env) = call(ext::RFENCE, 1, &[2, 0, 0, u64::MAX]);
        assert_eq!((ret, env.fences), (INVALID_PARAM, vec![]));
        let (ret, env) = call(ext::RFENCE, 0, &[0, 0]);
        assert_eq!((ret, env.fences), (SbiRet::ok(0), vec![]));
        // The hypervisor fences (3 to 6): no H extension here.
        for func in 3..=7 {
            assert_eq!(call(ext::RFENCE, func, &[1, 0]).0, NOT_SUPPORTED, "{func}");
        }
    }

    #[test]
    fn pmu_is_absent() {
        for func in 0..8 {
            assert_eq!(call(ext::PMU, func, &[0]).0, NOT_SUPPORTED);
        }
    }

    #[test]
    fn unknown_extensions_and_old_legacy_calls_are_not_supported() {
        for e in [0x03, 0x04, 0x05, 0x06, 0x07, ext::PMU, 0xdead_beef] {
            assert_eq!(call(e, 0, &[]).0, NOT_SUPPORTED, "{e:#x}");
        }
    }

    #[test]
    fn standard_result_goes_to_a0_and_a1() {
        let mut x = [0u64; 32];
        SbiRet::err(SbiError::InvalidParam).write_to(&mut x);
        assert_eq!(x[10], (-3i64) as u64);
        SbiRet::ok(42).write_to(&mut x);
        assert_eq!((x[10], x[11]), (0, 42));
    }

    #[test]
    fn decodes_from_registers() {
        let mut x = [0u64; 32];
        x[17] = ext::DBCN;
        x[16] = 0;
        x[10] = 5;
        x[11] = RAM;
        assert_eq!(
            SbiCall::from_regs(&x),
            SbiCall::ConsoleWrite {
                num_bytes: 5,
                addr_lo: RAM,
                addr_hi: 0
            }
        );
    }
}
