//! The command language: GDB's names and short forms for what GDB has
//! (`stepi`/`si`, `break`/`b`, `x/4xg`, `info registers`/`i r`, ...), a few
//! of trapvisor's own (`info csrs`, `info translate`, `info guests`,
//! `guest N`, `catch exit`, ...), and `help` for each.
//!
//! Parsing only checks the words: a script's every line is parsed before
//! anything runs, so a typo is reported with its line and nothing runs;
//! what a name stands for (a symbol, a register) is looked up when the
//! command runs.

use crate::describe::TrapFilter;
use crate::expr::{parse_number, Expr, ExprError};

/// Where a breakpoint, `until` or `list` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocSpec {
    /// `*EXPR` or an expression: an address.
    Address(Expr),
    /// `FILE:LINE` or `LINE` (in the file of `pc`).
    Line { file: Option<String>, line: u32 },
}

/// `x`'s display format: GDB's `/NFU`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XFormat {
    pub count: u64,
    /// `x` hex, `d` signed, `u` unsigned, `o` octal, `t` binary, `a`
    /// address, `c` char, `s` string, `i` instruction.
    pub format: char,
    /// Unit size in bytes: 1 (`b`), 2 (`h`), 4 (`w`), 8 (`g`).
    pub size: u8,
}

impl Default for XFormat {
    fn default() -> Self {
        XFormat {
            count: 1,
            format: 'x',
            size: 4,
        }
    }
}

/// What `watch`, `rwatch` and `awatch` stop at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    /// Writes that change the value.
    Write,
    Read,
    Access,
}

/// What a watchpoint watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WatchTarget {
    /// Guest memory at a virtual address, `len` bytes.
    Memory { addr: Expr, len: u64 },
    /// A CSR (`$sstatus`).
    Csr(String),
}

/// What a catchpoint stops at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CatchSpec {
    /// A trap the guest takes (natively or under the monitor: what it
    /// sees), or would take.
    Trap(TrapFilter, String),
    /// Under the monitor: an exit, of any reason or one (words of the
    /// reason's name).
    Exit(Option<String>),
    /// The monitor switches guests.
    Switch,
    /// An SBI call (of one extension).
    Sbi(Option<u64>),
    /// A guest ends.
    End,
}

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Stepi(u64),
    Nexti(u64),
    Continue(u64),
    Until(Option<LocSpec>),
    Advance(LocSpec),
    Finish,
    Kill,
    Run,
    Quit(Option<i32>),
    ReverseStepi(u64),
    ReverseNexti(u64),
    ReverseContinue,
    ReverseFinish,
    Break {
        temporary: bool,
        location: Option<LocSpec>,
        condition: Option<Expr>,
    },
    Delete(Vec<u32>),
    Disable(Vec<u32>),
    Enable(Vec<u32>),
    Condition(u32, Option<Expr>),
    Ignore(u32, u64),
    Watch(WatchKind, WatchTarget),
    Catch {
        temporary: bool,
        spec: CatchSpec,
    },
    InfoRegisters(Vec<String>),
    InfoCsrs(Vec<String>),
    InfoBreakpoints,
    InfoTranslate(Expr),
    InfoGuests,
    InfoExits,
    InfoTraps(Option<u64>),
    InfoHistory,
    InfoSymbol(Expr),
    InfoLine(Option<LocSpec>),
    InfoConsole,
    Examine {
        physical: bool,
        format: Option<XFormat>,
        addr: Option<Expr>,
    },
    Print {
        format: Option<char>,
        expr: Expr,
    },
    Disassemble {
        raw: bool,
        start: Option<Expr>,
        end: Option<DisasEnd>,
    },
    List(Option<ListSpec>),
    Guest(Option<usize>),
    Echo(String),
    Help(Option<String>),
}

/// `disassemble START,END` or `START,+LENGTH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisasEnd {
    End(Expr),
    Length(Expr),
}

/// `list LOCATION`, or `list -` (the lines before the last listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListSpec {
    At(LocSpec),
    Before,
}

/// A command that cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl From<ExprError> for ParseError {
    fn from(e: ExprError) -> Self {
        ParseError(e.to_string())
    }
}

/// One command of the language: its names and help.
pub struct CommandInfo {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub usage: &'static str,
    pub summary: &'static str,
    pub help: &'static str,
    /// Enter on an empty line at the terminal runs it again.
    pub repeats: bool,
}

macro_rules! cmd {
    ($name:expr, [$($a:expr),*], $usage:expr, $summary:expr, $help:expr, $rep:expr) => {
        CommandInfo { name: $name, aliases: &[$($a),*], usage: $usage, summary: $summary, help: $help, repeats: $rep }
    };
}

/// Every command, in the order `help` lists them.
pub const COMMANDS: &[CommandInfo] = &[
    cmd!("stepi", ["si"], "stepi [N]", "Run one event: an instruction, or a trap or exit.",
        "Runs one event of the guest, or N: an instruction retires, or a trap is taken \
(the guest's own handler is next), or natively an SBI call is answered by the firmware, or \
under the monitor an exit is handled. Shows the instruction run and what it changed, the trap \
or exit and its handler, and the next instruction.", true),
    cmd!("nexti", ["ni"], "nexti [N]", "Step one instruction, over calls.",
        "Like stepi, but a call (jal/jalr that links ra) runs until it returns to the \
instruction after it, at full speed; breakpoints on the way still stop.", true),
    cmd!("continue", ["c", "cont", "fg"], "continue [N]", "Run at full speed until something stops the guest.",
        "Runs translated code until a breakpoint, watchpoint or catchpoint, the end of the \
guest, or Ctrl-C. With N, the breakpoint, watchpoint or catchpoint stopped at is ignored N-1 more times.", true),
    cmd!("until", ["u"], "until [LOCATION]", "Run until a location, or past the current loop.",
        "Without an argument: like nexti, but a backward jump does not stop (the loop runs to \
its end). With a location: runs until it is reached or the current function returns.", true),
    cmd!("advance", [], "advance LOCATION", "Run until a location is reached.",
        "Runs until LOCATION is reached or the current function returns.", false),
    cmd!("finish", ["fin"], "finish", "Run until the current function returns.",
        "Finds where the current function returns to (from ra, or where its prologue saved \
ra) and runs until it gets there with the caller's stack pointer; shows a0.", true),
    cmd!("kill", ["k"], "kill", "Stop the guest(s) for good.",
        "The guests are stopped; `run` starts them again from the first instruction. The \
history stays: reverse commands still go back.", false),
    cmd!("run", ["r", "start"], "run", "Start again from the first instruction.",
        "Goes back to the state at boot (position 0) and stops there.", false),
    cmd!("quit", ["q", "exit"], "quit [STATUS]", "Leave the debugger.",
        "Leaves with STATUS as the exit status (0 by default; in a script, 1 if a command \
failed).", false),
    cmd!("reverse-stepi", ["rsi"], "reverse-stepi [N]", "Go back one event (or N).",
        "Goes back to the state before the last event: restores the nearest snapshot and \
runs forward to there. Going forward again gives exactly the same states. Under the monitor \
N counts the selected guest's events, as stepi does; a guest's first instruction is the \
start of its history.", true),
    cmd!("reverse-nexti", ["rni"], "reverse-nexti [N]", "Go back one instruction, over calls.",
        "Like reverse-stepi, but if the previous instruction was a return, goes back to the \
call that made it.", true),
    cmd!("reverse-continue", ["rc"], "reverse-continue", "Run backwards to the previous stop.",
        "Goes back to the last point before now where a breakpoint, watchpoint or catchpoint \
would have stopped the guest, or to the start of the history.", true),
    cmd!("reverse-finish", [], "reverse-finish", "Go back to the call of the current function.",
        "Goes back to the call instruction that entered the current function.", true),
    cmd!("break", ["b", "br"], "break [LOCATION] [if CONDITION]", "Set a breakpoint.",
        "LOCATION: *ADDRESS, SYMBOL, FILE:LINE or LINE (an expression is an address too). \
Without one, at pc. With `if`, it stops only where CONDITION is non-zero. A breakpoint costs \
nothing off its own page: code runs translated everywhere else.", false),
    cmd!("tbreak", [], "tbreak [LOCATION] [if CONDITION]", "Set a breakpoint that is deleted when hit.", "As break, once.", false),
    cmd!("delete", ["d"], "delete [N...]", "Delete breakpoints, watchpoints, catchpoints.", "Without numbers, all of them.", false),
    cmd!("disable", [], "disable [N...]", "Disable breakpoints.", "Without numbers, all of them.", false),
    cmd!("enable", [], "enable [N...]", "Enable breakpoints.", "Without numbers, all of them.", false),
    cmd!("condition", [], "condition N [CONDITION]", "Stop at breakpoint N only where CONDITION holds.", "Without CONDITION, stops always.", false),
    cmd!("ignore", [], "ignore N COUNT", "Pass breakpoint N COUNT times before stopping.", "", false),
    cmd!("watch", [], "watch ADDRESS [LEN] | watch $CSR", "Stop when memory or a CSR changes.",
        "ADDRESS (a symbol, an expression, `*EXPR`) is a virtual address, through the guest's \
own page tables; LEN bytes (8 by default). Stops after a store that changed the value, and \
says the old and new values. `watch $sstatus` watches a CSR.", false),
    cmd!("rwatch", [], "rwatch ADDRESS [LEN] | rwatch $CSR", "Stop when memory or a CSR is read.",
        "Stops after each load from the range (or each CSR instruction that reads the CSR).", false),
    cmd!("awatch", [], "awatch ADDRESS [LEN] | awatch $CSR", "Stop when memory or a CSR is read or written.", "", false),
    cmd!("catch", [], "catch trap [CAUSE] | exit [REASON] | switch | sbi [EID] | end", "Stop at traps, exits, switches, SBI calls, ends.",
        "catch trap [CAUSE]: a trap the guest takes (CAUSE: a number, or illegal-instruction, \
ecall, syscall, page-fault, load-page-fault, store-page-fault, instruction-page-fault, \
access-fault, misaligned, breakpoint, exception, interrupt, timer, software, external).\n\
catch exit [REASON]: under the monitor, an exit to the monitor, or one whose trap or handling \
is REASON: illegal-instruction, ecall, page-fault (instruction-, load-, store-page-fault), \
exception, interrupt, timer, csr (csr-read, csr-write), counter-read, sret, wfi, sfence, mmio \
(mmio-load, mmio-store), sbi, hypercall, shadow-fill, reflected, the-guest-ends; under \
--strategy bt, bt-call (a translated sensitive instruction's call into the monitor); under \
--strategy pv, pv-hypercall.\ncatch switch: the monitor gives the hart to another guest.\n\
catch sbi [EID]: an SBI call (EID: a number, or base, time, srst, dbcn, hsm, putchar, getchar, \
set_timer, shutdown, pv: trapvisor's PV interface).\ncatch end: a guest ends.", false),
    cmd!("tcatch", [], "tcatch ...", "A catchpoint deleted when hit.", "As catch, once.", false),
    cmd!("info", ["i"], "info SUBCOMMAND", "Show state: registers, csrs, breakpoints, translate, guests, exits, traps, history, symbol, line, console.",
        "info registers [NAME...]   the registers, pc and the privilege level (i r)\n\
info csrs [NAME...]        the CSRs (under the monitor: virtual beside real)\n\
info breakpoints           breakpoints, watchpoints, catchpoints (i b)\n\
info translate VADDR       the page-table walk of an address\n\
info guests                the guests and how they are\n\
info exits                 what left the guest, by reason\n\
info traps [N]             the last N traps or exits (10 by default)\n\
info history               how far back one can go, and what it costs\n\
info symbol ADDR           the symbol at an address\n\
info line [LOCATION]       the address of a source line, or the line of an address\n\
info console               everything the guest printed so far", false),
    cmd!("x", [], "x[/NFU] [ADDRESS]", "Examine memory at a virtual address.",
        "N units of U bytes (b 1, h 2, w 4, g 8) in format F (x hex, d signed, u unsigned, \
o octal, t binary, a address, c char, s string, i instruction). The address goes through \
the guest's page tables. Without an address, goes on after the last.", true),
    cmd!("xp", [], "xp[/NFU] [ADDRESS]", "Examine memory at a physical address.",
        "As x, at a (guest-)physical address.", true),
    cmd!("print", ["p", "inspect"], "print[/F] EXPRESSION", "Print the value of an expression.",
        "EXPRESSION: numbers, symbols, $registers, $csrs, $pc, $priv, $events, $N, C's \
operators, *ADDRESS (the doubleword there). F: x, d, u, o, t, a, c.", false),
    cmd!("disassemble", ["disas"], "disassemble [/r] [START[,END|,+LENGTH]]", "Disassemble a function or a range.",
        "Without an address, the function around pc; `=>` marks pc. /r shows the bits.", false),
    cmd!("list", ["l"], "list [LOCATION | -]", "Show source lines.",
        "The .s source around pc or LOCATION; again to go on, `list -` for the lines before.", true),
    cmd!("guest", ["thread"], "guest [N]", "Look at guest N.",
        "The commands look at (and step) guest N from now on. Without N, says which.", false),
    cmd!("echo", [], "echo TEXT", "Print TEXT (\\n for a new line).", "", false),
    cmd!("help", ["h"], "help [COMMAND]", "Explain a command.", "", false),
];

/// The command a name stands for: a name, an alias, or a unique
/// beginning of a name.
pub fn lookup(word: &str) -> Result<&'static CommandInfo, ParseError> {
    if let Some(c) = COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
    {
        return Ok(c);
    }
    let matches: Vec<&CommandInfo> = COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(word))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(ParseError(format!(
            "Undefined command: \"{word}\".  Try \"help\"."
        ))),
        many => Err(ParseError(format!(
            "Ambiguous command \"{word}\": {}.",
            many.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn count(arg: &str) -> Result<u64, ParseError> {
    match steps(arg)? {
        0 => Err(ParseError(format!("Invalid number \"{arg}\"."))),
        n => Ok(n),
    }
}

/// A count of steps: 0 is taken, as GDB takes `stepi 0` (no step; the
/// current location is shown).
fn steps(arg: &str) -> Result<u64, ParseError> {
    if arg.is_empty() {
        return Ok(1);
    }
    parse_number(arg).ok_or_else(|| ParseError(format!("Invalid number \"{arg}\".")))
}

fn numbers(arg: &str) -> Result<Vec<u32>, ParseError> {
    arg.split_whitespace()
        .map(|w| {
            parse_number(w)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| ParseError(format!("Invalid breakpoint number \"{w}\".")))
        })
        .collect()
}

/// A symbol name as the assembler allows it.
fn is_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$'))
}

/// Parses a location.
pub fn parse_location(text: &str) -> Result<LocSpec, ParseError> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('*') {
        return Ok(LocSpec::Address(Expr::parse(rest)?));
    }
    if let Some((file, line)) = t.rsplit_once(':') {
        if let Some(n) = parse_number(line).and_then(|n| u32::try_from(n).ok()) {
            if !file.is_empty() && !file.contains(char::is_whitespace) {
                return Ok(LocSpec::Line {
                    file: Some(file.to_string()),
                    line: n,
                });
            }
        }
    }
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        if let Some(n) = t.parse::<u32>().ok().filter(|&n| n > 0) {
            return Ok(LocSpec::Line {
                file: None,
                line: n,
            });
        }
    }
    if t.is_empty() {
        return Err(ParseError("A location was expected.".into()));
    }
    Ok(LocSpec::Address(Expr::parse(t)?))
}

/// Splits `LOCATION if CONDITION`.
fn location_and_condition(arg: &str) -> Result<(Option<LocSpec>, Option<Expr>), ParseError> {
    let (loc, cond) = match find_word(arg, "if") {
        Some(i) => (&arg[..i], Some(arg[i + 2..].trim())),
        None => (arg, None),
    };
    let loc = loc.trim();
    let location = if loc.is_empty() {
        None
    } else {
        Some(parse_location(loc)?)
    };
    let condition = match cond {
        Some("") => return Err(ParseError("Argument required (boolean expression).".into())),
        Some(c) => Some(Expr::parse(c)?),
        None => None,
    };
    Ok((location, condition))
}

/// The byte index of `word` standing alone in `text`.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(word).map(|i| i + from) {
        let before = i == 0 || b[i - 1].is_ascii_whitespace();
        let after = b
            .get(i + word.len())
            .is_none_or(|c| c.is_ascii_whitespace());
        if before && after {
            return Some(i);
        }
        from = i + word.len();
    }
    None
}

/// The most units one `x` shows: its listing is built whole (for the
/// line interface, the full-screen view and GDB's `monitor`), so
/// `x/100000000x` used to take gigabytes of the host's memory.
pub const MAX_X_COUNT: u64 = 1 << 20;

fn parse_xformat(spec: &str) -> Result<XFormat, ParseError> {
    let mut f = XFormat {
        count: 1,
        format: '?',
        size: 0,
    };
    let digits: String = spec.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() {
        f.count = count(&digits)?;
        if f.count > MAX_X_COUNT {
            return Err(ParseError(format!(
                "Too many units in /{spec}: x shows at most {MAX_X_COUNT} at once \
                 (the whole listing is built before it is shown)."
            )));
        }
    }
    for c in spec[digits.len()..].chars() {
        match c {
            'b' => f.size = 1,
            'h' => f.size = 2,
            'w' => f.size = 4,
            'g' => f.size = 8,
            'x' | 'd' | 'u' | 'o' | 't' | 'a' | 'c' | 's' | 'i' | 'z' => f.format = c,
            _ => {
                return Err(ParseError(format!(
                    "Invalid format letter '{c}' in /{spec}."
                )))
            }
        }
    }
    Ok(f)
}

fn parse_watch(kind: WatchKind, arg: &str) -> Result<Command, ParseError> {
    let arg = arg.trim();
    if arg.is_empty() {
        return Err(ParseError(
            "Argument required (address or $csr to watch).".into(),
        ));
    }
    if let Some(name) = arg.strip_prefix('$') {
        if name == "pc" || cpu::isa::reg_by_name(name).is_some() {
            return Err(ParseError(format!(
                "Registers cannot be watched (${name}): watch takes an ADDRESS or a $CSR."
            )));
        }
        if is_symbol(name) {
            return Ok(Command::Watch(kind, WatchTarget::Csr(name.to_string())));
        }
    }
    let body = arg.strip_prefix('*').unwrap_or(arg);
    // `ADDRESS LEN`: a trailing number that the expression cannot take.
    let (addr, len) = match Expr::parse(body) {
        Ok(e) => (e, 8),
        Err(_) => {
            let (e, n) = body
                .rsplit_once(char::is_whitespace)
                .ok_or_else(|| ParseError(format!("Bad address \"{body}\".")))?;
            let len = parse_number(n.trim())
                .filter(|&n| (1..=4096).contains(&n))
                .ok_or_else(|| ParseError(format!("Bad length \"{n}\" (1 to 4096 bytes).")))?;
            (Expr::parse(e)?, len)
        }
    };
    Ok(Command::Watch(kind, WatchTarget::Memory { addr, len }))
}

fn parse_catch(temporary: bool, arg: &str) -> Result<Command, ParseError> {
    let mut words = arg.split_whitespace();
    let what = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    let rest = rest.join(" ");
    let spec = match what {
        "trap" => {
            if rest.is_empty() {
                CatchSpec::Trap(TrapFilter::Any, String::new())
            } else {
                let f = TrapFilter::parse(&rest)
                    .ok_or_else(|| {
                        ParseError(format!(
                            "Unknown trap cause \"{rest}\": give a number or a name (see help catch)."
                        ))
                    })?
                    .map_err(|e| ParseError(format!("{e}.")))?;
                CatchSpec::Trap(f, rest)
            }
        }
        "exit" => {
            let key = crate::describe::exit_reason_key(&rest);
            if !rest.is_empty() && !crate::describe::EXIT_REASONS.contains(&key.as_str()) {
                return Err(ParseError(format!(
                    "Unknown exit reason \"{rest}\": one of {} (see help catch).",
                    crate::describe::EXIT_REASONS.join(", ")
                )));
            }
            CatchSpec::Exit((!rest.is_empty()).then_some(rest))
        }
        "switch" | "end" if !rest.is_empty() => {
            return Err(ParseError(format!(
                "catch {what} takes no argument (got \"{rest}\")."
            )))
        }
        "switch" => CatchSpec::Switch,
        "sbi" => {
            if rest.is_empty() {
                CatchSpec::Sbi(None)
            } else {
                let eid = crate::describe::sbi_extension_by_name(&rest).ok_or_else(|| {
                    ParseError(format!(
                        "Unknown SBI extension \"{rest}\" (see help catch)."
                    ))
                })?;
                CatchSpec::Sbi(Some(eid))
            }
        }
        "end" => CatchSpec::End,
        "" => {
            return Err(ParseError(
                "Argument required: catch trap, exit, switch, sbi or end.".into(),
            ))
        }
        other => {
            return Err(ParseError(format!(
                "Undefined catch command: \"{other}\" (trap, exit, switch, sbi, end)."
            )))
        }
    };
    Ok(Command::Catch { temporary, spec })
}

fn parse_info(arg: &str) -> Result<Command, ParseError> {
    let (sub, rest) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
    let rest = rest.trim();
    const SUBS: &[&str] = &[
        "registers",
        "csrs",
        "breakpoints",
        "watchpoints",
        "translate",
        "guests",
        "exits",
        "traps",
        "history",
        "symbol",
        "line",
        "console",
    ];
    let sub = match sub {
        "r" | "reg" => "registers",
        "b" | "br" => "breakpoints",
        "threads" => "guests",
        "" => {
            return Err(ParseError(
                "\"info\" must be followed by the name of an info command (see help info).".into(),
            ))
        }
        s => {
            let m: Vec<&'static str> = SUBS.iter().copied().filter(|n| n.starts_with(s)).collect();
            match m.as_slice() {
                [one] => *one,
                [] => {
                    return Err(ParseError(format!(
                        "Undefined info command: \"{s}\".  Try \"help info\"."
                    )))
                }
                many => {
                    return Err(ParseError(format!(
                        "Ambiguous info command \"{s}\": {}.",
                        many.join(", ")
                    )))
                }
            }
        }
    };
    let names = || {
        rest.split_whitespace()
            .map(|s| s.trim_start_matches('$').to_string())
            .collect()
    };
    Ok(match sub {
        "registers" => Command::InfoRegisters(names()),
        "csrs" => Command::InfoCsrs(names()),
        "breakpoints" | "watchpoints" => Command::InfoBreakpoints,
        "translate" => Command::InfoTranslate(Expr::parse(rest)?),
        "guests" if !rest.is_empty() => {
            return Err(ParseError(format!(
                "info guests takes no argument (got \"{rest}\")."
            )))
        }
        "guests" => Command::InfoGuests,
        "exits" => Command::InfoExits,
        "traps" => Command::InfoTraps(if rest.is_empty() {
            None
        } else {
            Some(count(rest)?)
        }),
        "history" => Command::InfoHistory,
        "symbol" => Command::InfoSymbol(Expr::parse(rest)?),
        "line" => Command::InfoLine(if rest.is_empty() {
            None
        } else {
            Some(parse_location(rest)?)
        }),
        _ => Command::InfoConsole,
    })
}

fn parse_disassemble(arg: &str) -> Result<Command, ParseError> {
    let mut arg = arg.trim();
    let mut raw = false;
    while let Some(rest) = arg.strip_prefix('/') {
        let (mods, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        for c in mods.chars() {
            match c {
                'r' => raw = true,
                's' | 'm' => {}
                _ => return Err(ParseError(format!("Invalid disassembly modifier '{c}'."))),
            }
        }
        arg = rest.trim();
    }
    if arg.is_empty() {
        return Ok(Command::Disassemble {
            raw,
            start: None,
            end: None,
        });
    }
    let (start, end) = match arg.split_once(',') {
        None => (Expr::parse(arg)?, None),
        Some((s, e)) => {
            let e = e.trim();
            let end = match e.strip_prefix('+') {
                Some(len) => DisasEnd::Length(Expr::parse(len)?),
                None => DisasEnd::End(Expr::parse(e)?),
            };
            (Expr::parse(s)?, Some(end))
        }
    };
    Ok(Command::Disassemble {
        raw,
        start: Some(start),
        end,
    })
}

/// Parses one command line (already without comments; empty lines are
/// the caller's business).
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let line = line.trim();
    let split = line
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(line.len());
    let (word, arg) = line.split_at(split);
    let info = lookup(word)?;
    let slash = arg.strip_prefix('/');
    let arg = arg.trim();
    let no_slash = |name: &str| -> Result<(), ParseError> {
        if slash.is_some() && !matches!(name, "x" | "xp" | "print" | "disassemble") {
            return Err(ParseError(format!("\"{name}\" takes no /FORMAT.")));
        }
        Ok(())
    };
    no_slash(info.name)?;
    let opt_count = |a: &str| count(a);
    Ok(match info.name {
        "stepi" => Command::Stepi(steps(arg)?),
        "nexti" => Command::Nexti(steps(arg)?),
        "continue" => Command::Continue(opt_count(arg)?),
        "until" => Command::Until(if arg.is_empty() {
            None
        } else {
            Some(parse_location(arg)?)
        }),
        "advance" => Command::Advance(parse_location(arg)?),
        "finish" => Command::Finish,
        "kill" if !arg.is_empty() => {
            return Err(ParseError(format!(
                "kill takes no argument (got \"{arg}\")."
            )))
        }
        "kill" => Command::Kill,
        "run" => Command::Run,
        "quit" => Command::Quit(if arg.is_empty() {
            None
        } else {
            Some(
                parse_number(arg)
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(|| ParseError(format!("Invalid exit status \"{arg}\".")))?,
            )
        }),
        "reverse-stepi" => Command::ReverseStepi(steps(arg)?),
        "reverse-nexti" => Command::ReverseNexti(steps(arg)?),
        "reverse-continue" => Command::ReverseContinue,
        "reverse-finish" => Command::ReverseFinish,
        "break" | "tbreak" => {
            let (location, condition) = location_and_condition(arg)?;
            Command::Break {
                temporary: info.name == "tbreak",
                location,
                condition,
            }
        }
        "delete" => Command::Delete(numbers(arg)?),
        "disable" => Command::Disable(numbers(arg)?),
        "enable" => Command::Enable(numbers(arg)?),
        "condition" => {
            let (n, cond) = arg.split_once(char::is_whitespace).unwrap_or((arg, ""));
            let n = *numbers(n)?
                .first()
                .ok_or_else(|| ParseError("Argument required (breakpoint number).".into()))?;
            let cond = cond.trim();
            Command::Condition(
                n,
                if cond.is_empty() {
                    None
                } else {
                    Some(Expr::parse(cond)?)
                },
            )
        }
        "ignore" => {
            let w: Vec<&str> = arg.split_whitespace().collect();
            let [n, c] = w.as_slice() else {
                return Err(ParseError("Usage: ignore N COUNT.".into()));
            };
            let n = numbers(n)?[0];
            let c = parse_number(c).ok_or_else(|| ParseError(format!("Invalid count \"{c}\".")))?;
            Command::Ignore(n, c)
        }
        "watch" => parse_watch(WatchKind::Write, arg)?,
        "rwatch" => parse_watch(WatchKind::Read, arg)?,
        "awatch" => parse_watch(WatchKind::Access, arg)?,
        "catch" => parse_catch(false, arg)?,
        "tcatch" => parse_catch(true, arg)?,
        "info" => parse_info(arg)?,
        "x" | "xp" => {
            let (format, rest) = match slash {
                Some(s) => {
                    let (f, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                    (Some(parse_xformat(f)?), rest.trim())
                }
                None => (None, arg),
            };
            Command::Examine {
                physical: info.name == "xp",
                format,
                addr: if rest.is_empty() {
                    None
                } else {
                    Some(Expr::parse(rest)?)
                },
            }
        }
        "print" => {
            let (format, rest) = match slash {
                Some(s) => {
                    let (f, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
                    let mut cs = f.chars();
                    let c = cs.next();
                    if cs.next().is_some() || !c.is_some_and(|c| "xduotac".contains(c)) {
                        return Err(ParseError(format!("Invalid print format \"/{f}\".")));
                    }
                    (c, rest.trim())
                }
                None => (None, arg),
            };
            Command::Print {
                format,
                expr: Expr::parse(rest)?,
            }
        }
        "disassemble" => parse_disassemble(&line[split..])?,
        "list" => Command::List(match arg {
            "" => None,
            "-" => Some(ListSpec::Before),
            a => Some(ListSpec::At(parse_location(a)?)),
        }),
        "guest" => Command::Guest(if arg.is_empty() {
            None
        } else {
            Some(
                parse_number(arg)
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| ParseError(format!("Invalid guest number \"{arg}\".")))?,
            )
        }),
        "echo" => Command::Echo(unescape(
            line[split..].trim_start_matches(char::is_whitespace),
        )),
        _ => Command::Help(if arg.is_empty() {
            None
        } else {
            Some(arg.to_string())
        }),
    })
}

/// `echo`'s escapes: `\n`, `\t`, `\\`, `\"`.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

/// The help text: all commands, or one.
pub fn help(topic: Option<&str>) -> Result<String, ParseError> {
    match topic {
        None => {
            let mut s =
                String::from("Commands (GDB's names; a unique beginning of a name works too):\n");
            for c in COMMANDS {
                let names = std::iter::once(c.name)
                    .chain(c.aliases.iter().copied())
                    .collect::<Vec<_>>()
                    .join(", ");
                s += &format!("  {names:<28} {}\n", c.summary);
            }
            s += "Type \"help COMMAND\" for more. Enter on an empty line repeats stepping, \
continuing, x and list.";
            Ok(s)
        }
        Some(t) => {
            let c = lookup(t.split_whitespace().next().unwrap_or(t))?;
            let mut s = format!("{}\n  {}\n", c.usage, c.summary);
            if !c.help.is_empty() {
                s += &format!("\n{}\n", c.help);
            }
            if !c.aliases.is_empty() {
                s += &format!("\nAliases: {}.", c.aliases.join(", "));
            }
            Ok(s.trim_end().to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Command {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn gdb_names_and_short_forms() {
        assert_eq!(p("si"), Command::Stepi(1));
        assert_eq!(p("stepi 5"), Command::Stepi(5));
        assert_eq!(p("stepi 0"), Command::Stepi(0), "GDB takes it: no step");
        assert_eq!(p("rni 0"), Command::ReverseNexti(0));
        assert_eq!(p("ni"), Command::Nexti(1));
        assert_eq!(p("c"), Command::Continue(1));
        assert_eq!(p("cont 3"), Command::Continue(3));
        assert_eq!(p("rsi 2"), Command::ReverseStepi(2));
        assert_eq!(p("reverse-cont"), Command::ReverseContinue);
        assert_eq!(
            p("i r a0 $sp"),
            Command::InfoRegisters(vec!["a0".into(), "sp".into()])
        );
        assert_eq!(p("info b"), Command::InfoBreakpoints);
        assert_eq!(p("info traps 3"), Command::InfoTraps(Some(3)));
        assert!(parse("info tr 1")
            .unwrap_err()
            .0
            .contains("Ambiguous info command"));
    }

    #[test]
    fn locations_and_conditions() {
        assert_eq!(
            p("b *0x80200010"),
            Command::Break {
                temporary: false,
                location: Some(LocSpec::Address(Expr::Number(0x8020_0010))),
                condition: None
            }
        );
        assert_eq!(
            p("tbreak hello.s:12 if $a0 == 3"),
            Command::Break {
                temporary: true,
                location: Some(LocSpec::Line {
                    file: Some("hello.s".into()),
                    line: 12
                }),
                condition: Some(Expr::parse("$a0 == 3").unwrap())
            }
        );
        assert_eq!(
            p("break wait"),
            Command::Break {
                temporary: false,
                location: Some(LocSpec::Address(Expr::Symbol("wait".into()))),
                condition: None
            }
        );
        assert_eq!(
            p("break 40"),
            Command::Break {
                temporary: false,
                location: Some(LocSpec::Line {
                    file: None,
                    line: 40
                }),
                condition: None
            }
        );
    }

    #[test]
    fn formats_watches_catches() {
        assert_eq!(
            p("x/4xg $sp"),
            Command::Examine {
                physical: false,
                format: Some(XFormat {
                    count: 4,
                    format: 'x',
                    size: 8
                }),
                addr: Some(Expr::Var("sp".into()))
            }
        );
        assert_eq!(
            p("xp/2i 0x80200000"),
            Command::Examine {
                physical: true,
                format: Some(XFormat {
                    count: 2,
                    format: 'i',
                    size: 0
                }),
                addr: Some(Expr::Number(0x8020_0000))
            }
        );
        assert_eq!(
            p("p/x $sstatus"),
            Command::Print {
                format: Some('x'),
                expr: Expr::Var("sstatus".into())
            }
        );
        assert_eq!(
            p("watch ticks 4"),
            Command::Watch(
                WatchKind::Write,
                WatchTarget::Memory {
                    addr: Expr::Symbol("ticks".into()),
                    len: 4
                }
            )
        );
        assert_eq!(
            p("watch *(ticks + 8)"),
            Command::Watch(
                WatchKind::Write,
                WatchTarget::Memory {
                    addr: Expr::parse("ticks + 8").unwrap(),
                    len: 8
                }
            )
        );
        assert_eq!(
            p("rwatch $sepc"),
            Command::Watch(WatchKind::Read, WatchTarget::Csr("sepc".into()))
        );
        assert!(matches!(
            p("catch trap timer"),
            Command::Catch {
                spec: CatchSpec::Trap(TrapFilter::Interrupt(_), _),
                ..
            }
        ));
        assert_eq!(
            p("catch sbi time"),
            Command::Catch {
                temporary: false,
                spec: CatchSpec::Sbi(Some(0x5449_4D45))
            }
        );
        assert_eq!(
            p("catch exit page fault"),
            Command::Catch {
                temporary: false,
                spec: CatchSpec::Exit(Some("page fault".into()))
            }
        );
        assert_eq!(p("echo a\\nb"), Command::Echo("a\nb".into()));
    }

    #[test]
    fn mistakes_are_named() {
        let e = |s: &str| parse(s).unwrap_err().0;
        assert!(e("frobnicate").contains("Undefined command: \"frobnicate\""));
        assert!(e("re").contains("Ambiguous command \"re\""), "{}", e("re"));
        assert!(e("si x").contains("Invalid number"));
        assert!(
            e("continue 0").contains("Invalid number"),
            "an ignore count of -1"
        );
        assert!(e("x/4q $sp").contains("Invalid format letter 'q'"));
        assert!(e("x/100000000x $sp").contains("x shows at most 1048576 at once"));
        assert_eq!(
            p("x/1048576x $sp"),
            Command::Examine {
                physical: false,
                format: Some(XFormat {
                    count: 1 << 20,
                    format: 'x',
                    size: 0
                }),
                addr: Some(Expr::Var("sp".into())),
            }
        );
        assert!(e("catch fish").contains("Undefined catch command"));
        assert!(e("catch trap nonsense").contains("Unknown trap cause"));
        assert!(e("catch trap 9999").contains("No trap has cause 9999"));
        assert!(e("catch exit mmio-loads").contains("Unknown exit reason \"mmio-loads\""));
        assert!(parse("catch exit store-page-fault").is_ok());
        assert!(parse("catch exit sfence").is_ok());
        assert!(e("info").contains("must be followed"));
        assert!(e("info zz").contains("Undefined info command"));
        assert!(e("b wait if").contains("Argument required"));
        assert!(e("si/x").contains("takes no /FORMAT"));
        assert!(help(Some("stepi")).unwrap().contains("Aliases: si."));
        assert!(help(None).unwrap().contains("reverse-stepi"));
    }
}
