//! Words for what the machine did: SBI calls, traps, CSR fields, as a
//! student reads them in a stop or a table.

use cpu::csr::{
    SATP_ASID, SATP_MODE_SV39, SATP_PPN, SSTATUS_MXR, SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP,
    SSTATUS_SUM,
};
use cpu::sbi::{ext, SbiCall, SbiRet};
use cpu::trap::{Exception, Interrupt, Trap};

/// An SBI extension by its name in the SBI spec.
pub fn sbi_extension(eid: u64) -> String {
    match eid {
        ext::LEGACY_SET_TIMER => "legacy set_timer (0x0)".into(),
        ext::LEGACY_CONSOLE_PUTCHAR => "legacy console_putchar (0x1)".into(),
        ext::LEGACY_CONSOLE_GETCHAR => "legacy console_getchar (0x2)".into(),
        ext::LEGACY_SHUTDOWN => "legacy shutdown (0x8)".into(),
        ext::BASE => "Base (0x10)".into(),
        ext::TIME => "Timer (TIME)".into(),
        ext::SRST => "System Reset (SRST)".into(),
        ext::DBCN => "Debug Console (DBCN)".into(),
        ext::HSM => "Hart State Management (HSM)".into(),
        ext::IPI => "IPI (sPI)".into(),
        ext::RFENCE => "Remote Fence (RFNC)".into(),
        monitor::strategy::pv::EID => "trapvisor PV (TPV)".into(),
        other => format!("unknown extension {other:#x}"),
    }
}

/// An SBI extension id by a name a user may type: the spec's four-letter
/// name, a legacy call's name, or a number.
pub fn sbi_extension_by_name(name: &str) -> Option<u64> {
    Some(match name.to_ascii_lowercase().as_str() {
        "base" => ext::BASE,
        "time" | "timer" => ext::TIME,
        "srst" | "reset" => ext::SRST,
        "dbcn" | "console" => ext::DBCN,
        "hsm" => ext::HSM,
        "ipi" => ext::IPI,
        "rfence" | "rfnc" => ext::RFENCE,
        "set_timer" | "legacy_set_timer" => ext::LEGACY_SET_TIMER,
        "putchar" | "console_putchar" => ext::LEGACY_CONSOLE_PUTCHAR,
        "getchar" | "console_getchar" => ext::LEGACY_CONSOLE_GETCHAR,
        "shutdown" => ext::LEGACY_SHUTDOWN,
        "pv" | "tpv" => monitor::strategy::pv::EID,
        _ => return crate::expr::parse_number(name),
    })
}

/// The extension id of a decoded call.
pub fn sbi_call_extension(call: &SbiCall) -> u64 {
    use SbiCall::*;
    match call {
        GetSpecVersion
        | GetImplId
        | GetImplVersion
        | ProbeExtension { .. }
        | GetMvendorid
        | GetMarchid
        | GetMimpid => ext::BASE,
        SetTimer { .. } => ext::TIME,
        SystemReset { .. } => ext::SRST,
        ConsoleWrite { .. } | ConsoleRead { .. } | ConsoleWriteByte { .. } => ext::DBCN,
        SendIpi { .. } => ext::IPI,
        RemoteFence { .. } => ext::RFENCE,
        HartStart { .. } | HartStop | HartGetStatus { .. } | HartSuspend { .. } => ext::HSM,
        LegacySetTimer { .. } => ext::LEGACY_SET_TIMER,
        LegacyPutchar { .. } => ext::LEGACY_CONSOLE_PUTCHAR,
        LegacyGetchar => ext::LEGACY_CONSOLE_GETCHAR,
        LegacyShutdown => ext::LEGACY_SHUTDOWN,
        Unsupported { ext, .. } => *ext,
    }
}

/// A byte as a character literal.
fn char_text(b: u8) -> String {
    match b {
        b'\n' => "'\\n'".into(),
        b'\r' => "'\\r'".into(),
        b'\t' => "'\\t'".into(),
        b'\'' => "'\\''".into(),
        0x20..=0x7e => format!("'{}'", b as char),
        _ => format!("{b:#04x}"),
    }
}

/// A call as the SBI spec names its function, with its arguments.
pub fn sbi_call(call: &SbiCall) -> String {
    use SbiCall::*;
    match *call {
        GetSpecVersion => "sbi_get_spec_version()".into(),
        GetImplId => "sbi_get_impl_id()".into(),
        GetImplVersion => "sbi_get_impl_version()".into(),
        ProbeExtension { ext } => format!("sbi_probe_extension({})", sbi_extension(ext)),
        GetMvendorid => "sbi_get_mvendorid()".into(),
        GetMarchid => "sbi_get_marchid()".into(),
        GetMimpid => "sbi_get_mimpid()".into(),
        SetTimer { stime } => format!("sbi_set_timer({stime})"),
        SystemReset { kind, reason } => {
            let kind = match kind {
                0 => "shutdown".to_string(),
                1 => "cold reboot".to_string(),
                2 => "warm reboot".to_string(),
                k => format!("{k:#x}"),
            };
            let reason = match reason {
                0 => "no reason".to_string(),
                1 => "system failure".to_string(),
                r => format!("{r:#x}"),
            };
            format!("sbi_system_reset({kind}, {reason})")
        }
        ConsoleWrite {
            num_bytes,
            addr_lo,
            addr_hi,
        } => format!(
            "sbi_debug_console_write({num_bytes} bytes at {:#x})",
            addr_hi << 32 | addr_lo
        ),
        ConsoleRead {
            num_bytes,
            addr_lo,
            addr_hi,
        } => format!(
            "sbi_debug_console_read({num_bytes} bytes to {:#x})",
            addr_hi << 32 | addr_lo
        ),
        ConsoleWriteByte { byte } => {
            format!("sbi_debug_console_write_byte({})", char_text(byte))
        }
        SendIpi {
            hart_mask,
            hart_mask_base,
        } => format!("sbi_send_ipi(mask {hart_mask:#x}, base {hart_mask_base:#x})"),
        RemoteFence {
            fence,
            hart_mask,
            hart_mask_base,
        } => {
            let name = match fence {
                cpu::sbi::Fence::FenceI => "sbi_remote_fence_i",
                cpu::sbi::Fence::SfenceVma => "sbi_remote_sfence_vma",
            };
            format!("{name}(mask {hart_mask:#x}, base {hart_mask_base:#x})")
        }
        HartStart {
            hartid, start_addr, ..
        } => format!("sbi_hart_start({hartid}, {start_addr:#x})"),
        HartStop => "sbi_hart_stop()".into(),
        HartGetStatus { hartid } => format!("sbi_hart_get_status({hartid})"),
        HartSuspend {
            suspend_type,
            resume_addr,
            ..
        } => format!("sbi_hart_suspend({suspend_type:#x}, {resume_addr:#x})"),
        LegacySetTimer { stime } => format!("legacy sbi_set_timer({stime})"),
        LegacyPutchar { byte } => format!("legacy sbi_console_putchar({})", char_text(byte)),
        LegacyGetchar => "legacy sbi_console_getchar()".into(),
        LegacyShutdown => "legacy sbi_shutdown()".into(),
        Unsupported { ext, func } => {
            format!("function {func} of {} (not supported)", sbi_extension(ext))
        }
    }
}

/// What a call gave back.
pub fn sbi_ret(ret: &SbiRet) -> String {
    match *ret {
        SbiRet::Standard { error: 0, value } => format!("ok, value {value:#x}"),
        SbiRet::Standard { error, value } => {
            let name = match error {
                -1 => "SBI_ERR_FAILED",
                -2 => "SBI_ERR_NOT_SUPPORTED",
                -3 => "SBI_ERR_INVALID_PARAM",
                -6 => "SBI_ERR_ALREADY_AVAILABLE",
                _ => "error",
            };
            format!("{name} ({error}), value {value:#x}")
        }
        SbiRet::Legacy(a0) => format!("a0 = {:#x}", a0),
        SbiRet::Ended => "the guest ended".into(),
        SbiRet::Suspend => "ok once the hart wakes (suspended)".into(),
        SbiRet::HartStopped => "the only hart stopped".into(),
    }
}

/// A trap in a line: its name, and `tval` where it says something.
pub fn trap(t: &Trap) -> String {
    match *t {
        Trap::Exception { cause, tval } => match cause {
            Exception::IllegalInstruction => {
                format!("{} (instruction bits {tval:#010x})", cause.name())
            }
            Exception::EcallFromU
            | Exception::EcallFromS
            | Exception::EcallFromM
            | Exception::Breakpoint => cause.name().to_string(),
            _ => format!("{} (address {tval:#x})", cause.name()),
        },
        Trap::Interrupt(i) => i.name().to_string(),
    }
}

/// Which traps a `catch trap` matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrapFilter {
    Any,
    /// Exceptions with one of these codes.
    Exceptions(&'static [u8]),
    /// One exception code (given as a number).
    Exception(u64),
    Interrupts,
    Interrupt(Interrupt),
}

/// Names a user can give `catch trap` (and what they catch).
pub const TRAP_NAMES: &[(&str, TrapFilter)] = &[
    ("misaligned", TrapFilter::Exceptions(&[0, 4, 6])),
    ("instruction-misaligned", TrapFilter::Exceptions(&[0])),
    ("access-fault", TrapFilter::Exceptions(&[1, 5, 7])),
    ("illegal-instruction", TrapFilter::Exceptions(&[2])),
    ("illegal", TrapFilter::Exceptions(&[2])),
    ("breakpoint", TrapFilter::Exceptions(&[3])),
    ("ebreak", TrapFilter::Exceptions(&[3])),
    ("ecall", TrapFilter::Exceptions(&[8, 9])),
    ("syscall", TrapFilter::Exceptions(&[8])),
    ("page-fault", TrapFilter::Exceptions(&[12, 13, 15])),
    ("instruction-page-fault", TrapFilter::Exceptions(&[12])),
    ("load-page-fault", TrapFilter::Exceptions(&[13])),
    ("store-page-fault", TrapFilter::Exceptions(&[15])),
    (
        "exception",
        TrapFilter::Exceptions(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15]),
    ),
    ("interrupt", TrapFilter::Interrupts),
    ("timer", TrapFilter::Interrupt(Interrupt::SupervisorTimer)),
    (
        "software",
        TrapFilter::Interrupt(Interrupt::SupervisorSoftware),
    ),
    (
        "external",
        TrapFilter::Interrupt(Interrupt::SupervisorExternal),
    ),
];

/// What `catch exit REASON` may name: why a guest left for the monitor
/// (the trap), and what the monitor did about it (the handler's work).
/// A reason matches an exit whose description contains it.
pub const EXIT_REASONS: &[&str] = &[
    "illegal instruction",
    "ecall",
    "page fault",
    "instruction page fault",
    "load page fault",
    "store page fault",
    "exception",
    "interrupt",
    "timer",
    "csr",
    "csr read",
    "csr write",
    "counter read",
    "sret",
    "wfi",
    "sfence",
    "sfence.vma",
    "mmio",
    "mmio load",
    "mmio store",
    "sbi",
    "hypercall",
    "bt call",
    "pv hypercall",
    "shadow fill",
    "reflected",
    "the guest ends",
];

/// An exit reason as `catch exit` compares it: lower case, `-` and `_`
/// as spaces, `store/AMO` as `store`.
pub fn exit_reason_key(text: &str) -> String {
    text.to_ascii_lowercase()
        .replace(['-', '_'], " ")
        .replace("/amo", "")
}

impl TrapFilter {
    /// The filter a user named: a name of [`TRAP_NAMES`], an exception
    /// code, or an interrupt's `scause` (bit 63 set); `Err` says why a
    /// number names no trap.
    pub fn parse(text: &str) -> Option<Result<TrapFilter, String>> {
        let t = text.to_ascii_lowercase();
        if let Some(&(_, f)) = TRAP_NAMES.iter().find(|(n, _)| *n == t) {
            return Some(Ok(f));
        }
        let n = crate::expr::parse_number(&t)?;
        const INTERRUPT: u64 = 1 << 63;
        let interrupts = [
            Interrupt::SupervisorSoftware,
            Interrupt::SupervisorTimer,
            Interrupt::SupervisorExternal,
        ];
        if n & INTERRUPT != 0 {
            if let Some(i) = interrupts.iter().find(|i| i.code() == n & !INTERRUPT) {
                return Some(Ok(TrapFilter::Interrupt(*i)));
            }
        } else if Exception::ALL.iter().any(|e| e.code() == n) {
            return Some(Ok(TrapFilter::Exception(n)));
        }
        let codes: Vec<String> = Exception::ALL
            .iter()
            .map(|e| e.code().to_string())
            .collect();
        Some(Err(format!(
            "No trap has cause {text}: the exception codes are {} (an interrupt is its scause, such as 0x8000000000000005 for the timer, or a name: timer, software, external)",
            codes.join(", ")
        )))
    }

    pub fn matches(&self, trap: &Trap) -> bool {
        match (*self, *trap) {
            (TrapFilter::Any, _) => true,
            (TrapFilter::Exceptions(codes), Trap::Exception { cause, .. }) => {
                codes.contains(&(cause.code() as u8))
            }
            (TrapFilter::Exception(code), Trap::Exception { cause, .. }) => cause.code() == code,
            (TrapFilter::Interrupts, Trap::Interrupt(_)) => true,
            (TrapFilter::Interrupt(i), Trap::Interrupt(j)) => i == j,
            _ => false,
        }
    }
}

fn bit(v: u64, mask: u64) -> u64 {
    u64::from(v & mask != 0)
}

/// The named fields of a CSR value, for `info csrs` and stops.
pub fn csr_fields(name: &str, v: u64) -> String {
    match name {
        "sstatus" | "mstatus" => format!(
            "SPP={} SIE={} SPIE={} SUM={} MXR={}",
            if v & SSTATUS_SPP != 0 { "S" } else { "U" },
            bit(v, SSTATUS_SIE),
            bit(v, SSTATUS_SPIE),
            bit(v, SSTATUS_SUM),
            bit(v, SSTATUS_MXR)
        ),
        "sie" | "sip" | "mideleg" => {
            let names: Vec<&str> = [
                (Interrupt::SupervisorSoftware, "SS"),
                (Interrupt::SupervisorTimer, "ST"),
                (Interrupt::SupervisorExternal, "SE"),
            ]
            .iter()
            .filter(|(i, _)| v & i.bit() != 0)
            .map(|&(_, n)| n)
            .collect();
            let suffix = if name == "sip" { "IP" } else { "IE" };
            if names.is_empty() {
                "-".into()
            } else if name == "mideleg" {
                names.join(" ")
            } else {
                names
                    .iter()
                    .map(|n| format!("{n}{suffix}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        }
        "stvec" => format!(
            "{:#x}, {}",
            v & !3,
            if v & 3 == 1 { "vectored" } else { "direct" }
        ),
        "scause" => {
            if v >> 63 != 0 {
                let code = v & !(1 << 63);
                [
                    Interrupt::SupervisorSoftware,
                    Interrupt::SupervisorTimer,
                    Interrupt::SupervisorExternal,
                ]
                .iter()
                .find(|i| i.code() == code)
                .map_or_else(|| format!("interrupt {code}"), |i| i.name().to_string())
            } else if v == 0 {
                // Its reset value too: before the first trap it is no
                // cause at all (and this hart, with IALIGN = 16, never
                // raises a misaligned fetch).
                "no trap yet (0 is also instruction address misaligned)".into()
            } else {
                Exception::ALL
                    .iter()
                    .find(|e| e.code() == v)
                    .map_or_else(|| format!("cause {v}"), |e| e.name().to_string())
            }
        }
        "satp" => {
            if v >> 60 == SATP_MODE_SV39 {
                format!(
                    "Sv39, ASID {}, root table at {:#x}",
                    (v & SATP_ASID) >> 44,
                    (v & SATP_PPN) << 12
                )
            } else {
                "Bare (no translation)".into()
            }
        }
        "medeleg" => {
            let causes: Vec<String> = Exception::ALL
                .iter()
                .filter(|e| v >> e.code() & 1 != 0)
                .map(|e| e.code().to_string())
                .collect();
            format!("causes {}", causes.join(","))
        }
        "mtimecmp" if v == u64::MAX => "no timer set".into(),
        "mtimecmp" => format!("timer fires at time {v} (SBI set_timer)"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trap_filters_match_by_name_and_number() {
        let pf = Trap::Exception {
            cause: Exception::LoadPageFault,
            tval: 0x1000,
        };
        let timer = Trap::Interrupt(Interrupt::SupervisorTimer);
        let f = |s| TrapFilter::parse(s).unwrap().unwrap();
        assert!(f("page-fault").matches(&pf));
        assert!(f("13").matches(&pf));
        assert!(!f("12").matches(&pf));
        assert!(f("timer").matches(&timer));
        assert!(f("interrupt").matches(&timer));
        assert!(!f("exception").matches(&timer));
        assert!(TrapFilter::parse("nonsense").is_none());
        assert!(f("0x8000000000000005").matches(&timer));
        // A number no trap has is refused, saying which ones exist.
        let e = TrapFilter::parse("9999").unwrap().unwrap_err();
        assert!(e.contains("No trap has cause 9999"), "{e}");
        assert!(e.contains("12, 13, 15"), "{e}");
        assert!(TrapFilter::parse("10").unwrap().is_err(), "10 is reserved");
    }

    #[test]
    fn csr_fields_read_like_the_spec() {
        assert_eq!(
            csr_fields("sstatus", SSTATUS_SPP | SSTATUS_SPIE),
            "SPP=S SIE=0 SPIE=1 SUM=0 MXR=0"
        );
        assert_eq!(csr_fields("sie", 0x20), "STIE");
        assert_eq!(csr_fields("sip", 0x22), "SSIP STIP");
        assert_eq!(
            csr_fields("scause", 1 << 63 | 5),
            "supervisor timer interrupt"
        );
        assert_eq!(
            csr_fields("scause", 0),
            "no trap yet (0 is also instruction address misaligned)"
        );
        assert_eq!(
            csr_fields("satp", 8 << 60 | 0x80210),
            "Sv39, ASID 0, root table at 0x80210000"
        );
        assert_eq!(
            sbi_call(&SbiCall::LegacyPutchar { byte: b'A' }),
            "legacy sbi_console_putchar('A')"
        );
    }
}
