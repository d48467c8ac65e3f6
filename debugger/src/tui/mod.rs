//! The full-screen interface, `trapvisor debug --tui`: the guest's code
//! around `pc`, its registers (those the last step changed highlighted),
//! CSRs (under the monitor the guest's virtual ones beside the real
//! hart's), memory, the trap/exit log with each handler, each guest's
//! console and the guests with their state, in panes; single keys for the
//! common moves; and at the bottom the command line of the line interface.
//!
//! The view is a front end like the line interface, and is built on it:
//! every key and every typed command goes through [`LineUi`], so that
//! the output pane shows exactly what `trapvisor debug` prints, and the
//! panes read the session's state after each command. [`Tui::draw`] draws
//! on any ratatui backend (tests use `TestBackend` and read the screen
//! as text); [`terminal::run`] puts a real terminal in front of it.
//!
//! **Layout.** Below 120×34 the screen holds the code pane and one side
//! pane beside it (registers, CSRs, memory, traps, console or guests: the
//! title shows which, `Tab` or `1`..`8` switch), the output under them,
//! the command line and a line of keys. On a larger terminal every pane
//! has its place. `z` zooms the focused pane; `+`/`-` grow or shrink it.
//!
//! **Under the monitor** the title names the guest looked at and its
//! state, `g` moves to the next guest, the guests pane lists every guest
//! with its state (on the hart, waiting for its turn, asleep in `wfi`,
//! ended and how), its events and its exits, the CSRs pane puts the
//! guest's virtual CSRs beside the real hart's (the shadow `satp` among
//! them), and the trap pane logs each exit with the handler that answered
//! it.

pub mod terminal;

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Direction, Layout, Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use crate::command::Command;
use crate::line::{Control, LineUi, Sink, PROMPT};
use crate::output::{BreakRow, Reply};
use crate::session::Session;
use crate::target::{GuestState, Target};

/// The panes, in `Tab` order (and `1`..`8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Code,
    Registers,
    Csrs,
    Memory,
    Traps,
    Console,
    Guests,
    Output,
}

const PANES: [Pane; 8] = [
    Pane::Code,
    Pane::Registers,
    Pane::Csrs,
    Pane::Memory,
    Pane::Traps,
    Pane::Console,
    Pane::Guests,
    Pane::Output,
];

/// The panes that share the side slot of the small layout.
const SIDE: [Pane; 6] = [
    Pane::Registers,
    Pane::Csrs,
    Pane::Memory,
    Pane::Traps,
    Pane::Console,
    Pane::Guests,
];

impl Pane {
    fn title(self) -> &'static str {
        match self {
            Pane::Code => "code",
            Pane::Registers => "regs",
            Pane::Csrs => "csrs",
            Pane::Memory => "mem",
            Pane::Traps => "traps",
            Pane::Console => "cons",
            Pane::Guests => "guests",
            Pane::Output => "output",
        }
    }

    fn index(self) -> usize {
        PANES.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// Where keys go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Single keys move the guest and the view.
    Keys,
    /// Keys edit the command line.
    Command,
}

/// The smallest terminal the layout is made for; a smaller one is told
/// so instead of being drawn garbled.
pub const MIN_SIZE: (u16, u16) = (60, 16);
/// From this size on every pane has its own place.
const LARGE: (u16, u16) = (120, 34);

/// The full-screen interface's state. See the module documentation.
pub struct Tui {
    ui: LineUi,
    transcript: Rc<RefCell<Vec<u8>>>,
    pub mode: Mode,
    input: String,
    /// Cursor in `input`, in characters.
    caret: usize,
    history: Vec<String>,
    history_at: Option<usize>,
    pub focus: Pane,
    /// The pane shown in the side slot of the small layout.
    side: Pane,
    zoom: bool,
    /// The code pane's share of the width (small layout), in percent.
    split: u16,
    /// Rows of the output pane.
    output_rows: u16,
    /// The top row's share of the height (large layout), in percent.
    top: u16,
    /// The code cursor (an address, or in source view a line); `None`
    /// follows `pc`.
    cursor: Option<u64>,
    source_view: bool,
    /// The memory pane's address; `None` follows `sp`.
    memory: Option<u64>,
    /// Lines scrolled back, per pane.
    scroll: [usize; 8],
    /// Registers (`x1`..`x31`, 32 = pc, 33 = priv) and CSRs the last
    /// command that moved the guest changed.
    changed_regs: Vec<usize>,
    changed_csrs: Vec<&'static str>,
    breakpoints: Vec<BreakRow>,
    names: Vec<String>,
    monitor: bool,
    /// What the screen says at the bottom for a moment (a key's error).
    note: Option<String>,
    pub quit: Option<i32>,
}

/// The registers and CSRs of the focused guest, to see what a command
/// changed.
struct Seen {
    position: u64,
    focus: usize,
    regs: [u64; 34],
    csrs: Vec<(&'static str, u64)>,
}

fn seen<T: Target>(s: &Session<T>) -> Seen {
    let t = s.target();
    let mut regs = [0u64; 34];
    regs[..32].copy_from_slice(&t.regs());
    regs[32] = t.pc();
    regs[33] = t.privilege() as u64;
    Seen {
        position: s.position(),
        focus: t.focus(),
        regs,
        csrs: t.csrs().into_iter().map(|r| (r.name, r.value)).collect(),
    }
}

/// A writer into the shared transcript.
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The most bytes of transcript kept for the output pane.
const TRANSCRIPT_KEPT: usize = 1 << 20;

impl Tui {
    /// The interface over `session`, which it observes from now on
    /// (console output goes to the output pane, as the line interface
    /// prints it).
    pub fn new<T: Target>(session: &mut Session<T>) -> Tui {
        let transcript: Rc<RefCell<Vec<u8>>> = Rc::default();
        let sink: Sink = Rc::new(RefCell::new(Shared(transcript.clone())));
        let mut ui = LineUi::new(session, sink.clone(), sink);
        ui.start(session);
        let names = session
            .target()
            .guests()
            .into_iter()
            .map(|g| g.name)
            .collect::<Vec<_>>();
        let monitor = names.len() > 1 || session.target().csrs().iter().any(|r| r.real.is_some());
        let source_view = !session.program().lines.is_empty();
        let mut t = Tui {
            ui,
            transcript,
            mode: Mode::Keys,
            input: String::new(),
            caret: 0,
            history: Vec::new(),
            history_at: None,
            focus: Pane::Code,
            side: Pane::Registers,
            zoom: false,
            split: 50,
            output_rows: 0,
            top: 45,
            cursor: None,
            source_view,
            memory: None,
            scroll: [0; 8],
            changed_regs: Vec::new(),
            changed_csrs: Vec::new(),
            breakpoints: Vec::new(),
            names,
            monitor,
            note: None,
            quit: None,
        };
        t.refresh(session);
        t
    }

    /// Everything the output pane holds: the line interface's transcript.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript.borrow()).into_owned()
    }

    /// Ctrl-C while the guest runs: `interrupted` is asked between slices.
    pub fn set_interrupt(&mut self, interrupted: Rc<dyn Fn() -> bool>) {
        self.ui.set_interrupt(interrupted);
    }

    /// Runs a script's lines (`-x`) as if typed, before the first key.
    pub fn script<T: Target>(
        &mut self,
        session: &mut Session<T>,
        lines: &[crate::line::ScriptLine],
    ) {
        for l in lines {
            self.run_line(session, &l.text);
            if self.quit.is_some() {
                return;
            }
        }
    }

    /// What the session's state says after a command: the breakpoints.
    fn refresh<T: Target>(&mut self, session: &mut Session<T>) {
        if let Ok(replies) = session.execute(&Command::InfoBreakpoints) {
            if let Some(Reply::Breakpoints(rows)) = replies.into_iter().next() {
                self.breakpoints = rows;
            }
        }
    }

    /// Runs a line of the command language, as typed at the line
    /// interface (echoed after the prompt in the output pane); an empty
    /// line repeats the last stepping command, as there.
    pub fn run_line<T: Target>(&mut self, session: &mut Session<T>, text: &str) {
        let before = seen(session);
        let control = self.ui.line(session, text, true, true);
        if let Control::Quit(code) = control {
            self.quit = Some(code);
        }
        let after = seen(session);
        if after.focus != before.focus {
            self.changed_regs.clear();
            self.changed_csrs.clear();
        } else if after.position != before.position {
            self.changed_regs = (1..34)
                .filter(|&i| after.regs[i] != before.regs[i])
                .collect();
            self.changed_csrs = after
                .csrs
                .iter()
                .filter(|(n, v)| {
                    !matches!(*n, "time" | "cycle" | "instret")
                        && before.csrs.iter().any(|(m, w)| m == n && w != v)
                })
                .map(|(n, _)| *n)
                .collect();
        }
        if after.position != before.position || after.focus != before.focus {
            self.cursor = None;
        }
        self.scroll[Pane::Output.index()] = 0;
        self.follow_examine(session, text);
        let mut t = self.transcript.borrow_mut();
        if t.len() > TRANSCRIPT_KEPT {
            let cut = t.len() - TRANSCRIPT_KEPT / 2;
            let cut = t[cut..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(cut, |p| cut + p + 1);
            t.drain(..cut);
        }
        drop(t);
        self.refresh(session);
    }

    /// After `x ADDR`, the memory pane looks there.
    fn follow_examine<T: Target>(&mut self, session: &Session<T>, text: &str) {
        if let Ok(Command::Examine {
            addr: Some(e),
            physical: false,
            ..
        }) = crate::command::parse(text.trim())
        {
            if let Ok(a) = session.evaluate(&e) {
                self.memory = Some(a);
            }
        }
    }

    /// Whether `key` moves the guests (the terminal shows that it is
    /// running before it runs: a `continue` may take a while).
    pub fn runs(&self, key: &KeyEvent) -> bool {
        match (self.mode, key.code) {
            (_, KeyCode::F(5 | 7 | 8)) => true,
            (Mode::Command, KeyCode::Enter) => true,
            (Mode::Keys, KeyCode::Char(c)) => "sncfurpR".contains(c),
            _ => false,
        }
    }

    /// A line at the bottom until the next key.
    pub fn set_note(&mut self, text: &str) {
        self.note = Some(text.to_string());
    }

    /// One key.
    pub fn key<T: Target>(&mut self, session: &mut Session<T>, key: KeyEvent) {
        self.note = None;
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        // Keys that do the same in both modes.
        match key.code {
            KeyCode::F(5) if shift => return self.run_line(session, "reverse-continue"),
            KeyCode::F(5) => return self.run_line(session, "continue"),
            KeyCode::F(7) if shift => return self.run_line(session, "reverse-stepi"),
            KeyCode::F(7) => return self.run_line(session, "stepi"),
            KeyCode::F(8) if shift => return self.run_line(session, "reverse-nexti"),
            KeyCode::F(8) => return self.run_line(session, "nexti"),
            KeyCode::F(9) => return self.toggle_breakpoint(session),
            KeyCode::F(2) => return self.next_guest(session),
            KeyCode::Tab => return self.set_focus(PANES[(self.focus.index() + 1) % PANES.len()]),
            KeyCode::BackTab => {
                return self.set_focus(PANES[(self.focus.index() + PANES.len() - 1) % PANES.len()])
            }
            KeyCode::PageUp if self.mode == Mode::Command => {
                return self.scroll_by(Pane::Output, 5)
            }
            KeyCode::PageDown if self.mode == Mode::Command => {
                return self.scroll_by(Pane::Output, -5)
            }
            _ => {}
        }
        match self.mode {
            Mode::Command => self.edit(session, key, ctrl),
            Mode::Keys => self.single_key(session, key, ctrl),
        }
    }

    fn single_key<T: Target>(&mut self, session: &mut Session<T>, key: KeyEvent, ctrl: bool) {
        match key.code {
            KeyCode::Char('c') if ctrl => {
                self.note = Some("q quits".into());
            }
            KeyCode::Char('s') => self.run_line(session, "stepi"),
            KeyCode::Char('n') => self.run_line(session, "nexti"),
            KeyCode::Char('c') => self.run_line(session, "continue"),
            KeyCode::Char('f') => self.run_line(session, "finish"),
            KeyCode::Char('u') => self.run_line(session, "until"),
            KeyCode::Char('r') => self.run_line(session, "reverse-stepi"),
            KeyCode::Char('p') => self.run_line(session, "reverse-nexti"),
            KeyCode::Char('R') => self.run_line(session, "reverse-continue"),
            KeyCode::Char('b') => self.toggle_breakpoint(session),
            KeyCode::Char('g') => self.next_guest(session),
            KeyCode::Char('v') => self.source_view = !self.source_view,
            KeyCode::Char('z') => self.zoom = !self.zoom,
            KeyCode::Char('+') | KeyCode::Char('=') => self.grow(1),
            KeyCode::Char('-') => self.grow(-1),
            // As `quit`: 0, as GDB's (a failed command before it included).
            KeyCode::Char('q') => self.quit = Some(0),
            KeyCode::Char(':') | KeyCode::Enter => self.mode = Mode::Command,
            KeyCode::Char(c @ '1'..='8') => self.set_focus(PANES[c as usize - '1' as usize]),
            KeyCode::Up => self.move_cursor(session, -1),
            KeyCode::Down => self.move_cursor(session, 1),
            KeyCode::PageUp => self.move_cursor(session, -10),
            KeyCode::PageDown => self.move_cursor(session, 10),
            KeyCode::Home | KeyCode::Esc => {
                self.cursor = None;
                self.memory = None;
                self.scroll = [0; 8];
                self.zoom = false;
            }
            _ => {}
        }
    }

    fn edit<T: Target>(&mut self, session: &mut Session<T>, key: KeyEvent, ctrl: bool) {
        match key.code {
            KeyCode::Enter => {
                let line = std::mem::take(&mut self.input);
                self.caret = 0;
                self.history_at = None;
                if !line.trim().is_empty() && self.history.last() != Some(&line) {
                    self.history.push(line.clone());
                }
                self.run_line(session, &line);
            }
            KeyCode::Esc => {
                self.input.clear();
                self.caret = 0;
                self.mode = Mode::Keys;
            }
            KeyCode::Char('c') | KeyCode::Char('u') if ctrl => {
                self.input.clear();
                self.caret = 0;
            }
            // The command line stays open after a command; `:` on an
            // empty line is the key that opened it, not a command.
            KeyCode::Char(':') if self.input.is_empty() => {}
            KeyCode::Char('a') if ctrl => self.caret = 0,
            KeyCode::Char('e') if ctrl => self.caret = self.input.chars().count(),
            KeyCode::Char(c) if !ctrl => {
                let at = self.byte_at(self.caret);
                self.input.insert(at, c);
                self.caret += 1;
            }
            KeyCode::Backspace if self.caret > 0 => {
                self.caret -= 1;
                let at = self.byte_at(self.caret);
                self.input.remove(at);
            }
            KeyCode::Delete if self.caret < self.input.chars().count() => {
                let at = self.byte_at(self.caret);
                self.input.remove(at);
            }
            KeyCode::Left => self.caret = self.caret.saturating_sub(1),
            KeyCode::Right => self.caret = (self.caret + 1).min(self.input.chars().count()),
            KeyCode::Up if !self.history.is_empty() => {
                let i = match self.history_at {
                    None => self.history.len() - 1,
                    Some(i) => i.saturating_sub(1),
                };
                self.history_at = Some(i);
                self.input = self.history[i].clone();
                self.caret = self.input.chars().count();
            }
            KeyCode::Down => match self.history_at {
                Some(i) if i + 1 < self.history.len() => {
                    self.history_at = Some(i + 1);
                    self.input = self.history[i + 1].clone();
                    self.caret = self.input.chars().count();
                }
                _ => {
                    self.history_at = None;
                    self.input.clear();
                    self.caret = 0;
                }
            },
            _ => {}
        }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.input
            .char_indices()
            .nth(chars)
            .map_or(self.input.len(), |(i, _)| i)
    }

    fn set_focus(&mut self, p: Pane) {
        self.focus = p;
        if SIDE.contains(&p) {
            self.side = p;
        }
    }

    fn next_guest<T: Target>(&mut self, session: &mut Session<T>) {
        let n = session.target().guests().len();
        if n < 2 {
            self.note = Some("one guest: nothing to switch to".into());
            return;
        }
        let next = (session.target().focus() + 1) % n;
        self.run_line(session, &format!("guest {next}"));
    }

    fn grow(&mut self, by: i32) {
        match self.focus {
            Pane::Output => {
                self.output_rows = (i32::from(self.output_rows.max(3)) + by).clamp(3, 60) as u16
            }
            Pane::Code => self.split = (i32::from(self.split) + 5 * by).clamp(25, 80) as u16,
            p => {
                if SIDE.contains(&p) {
                    self.split = (i32::from(self.split) - 5 * by).clamp(25, 80) as u16;
                }
                self.top = (i32::from(self.top) + 5 * by).clamp(20, 75) as u16;
            }
        }
    }

    fn scroll_by(&mut self, pane: Pane, by: isize) {
        let s = &mut self.scroll[pane.index()];
        *s = s.saturating_add_signed(by);
    }

    fn move_cursor<T: Target>(&mut self, session: &Session<T>, by: isize) {
        match self.focus {
            Pane::Code => {
                if self.source_view && !session.program().lines.is_empty() {
                    let here = self
                        .cursor
                        .unwrap_or_else(|| current_line(session).map_or(1, |(_, l)| u64::from(l)));
                    self.cursor = Some(here.saturating_add_signed(by as i64).max(1));
                } else {
                    let here = self.cursor.unwrap_or(session.target().pc());
                    self.cursor = Some(here.wrapping_add_signed(4 * by as i64));
                }
            }
            Pane::Memory => {
                let here = self.memory.unwrap_or(session.target().regs()[2] & !7);
                self.memory = Some(here.wrapping_add_signed(8 * by as i64));
            }
            p => self.scroll_by(p, -by),
        }
    }

    /// `b`: a breakpoint at the code cursor (or `pc`), or off if there is one.
    fn toggle_breakpoint<T: Target>(&mut self, session: &mut Session<T>) {
        let addr = if self.source_view && !session.program().lines.is_empty() {
            let file = current_line(session).map_or(0, |(f, _)| f);
            let line = match self.cursor {
                Some(l) => l as u32,
                None => current_line(session).map_or(0, |(_, l)| l),
            };
            match session.program().address_of_line(file, line) {
                Some((a, _)) => a,
                None => {
                    self.note = Some(format!("no code at or after line {line}"));
                    return;
                }
            }
        } else {
            self.cursor.unwrap_or(session.target().pc())
        };
        match self
            .breakpoints
            .iter()
            .find(|b| b.kind == "breakpoint" && b.address == Some(addr))
        {
            Some(b) => {
                let n = b.number;
                self.run_line(session, &format!("delete {n}"));
            }
            None => self.run_line(session, &format!("break *{addr:#x}")),
        }
    }

    // --- drawing ---------------------------------------------------------------

    /// Draws the whole screen.
    pub fn draw<T: Target>(&self, f: &mut Frame<'_>, session: &Session<T>) {
        let area = f.area();
        if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
            let text = format!(
                "trapvisor debug --tui needs at least {}x{} (this terminal is {}x{}); q quits",
                MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
            );
            f.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Length(1),
                Constraint::Min(4),
                Constraint::Length(1),
                Constraint::Length(1),
            ])
            .split(area);
        self.draw_status(f, rows[0], session);
        for (pane, rect) in self.layout(rows[1]) {
            self.draw_pane(f, pane, rect, session);
        }
        self.draw_command_line(f, rows[2]);
        self.draw_keys(f, rows[3], session);
    }

    /// Where each shown pane goes in `area`.
    fn layout(&self, area: Rect) -> Vec<(Pane, Rect)> {
        if self.zoom {
            return vec![(self.focus, area)];
        }
        let large = area.width >= LARGE.0 && area.height + 3 >= LARGE.1;
        let out_rows = if self.output_rows == 0 {
            (area.height * 2 / 5).max(5)
        } else {
            self.output_rows
        }
        .min(area.height.saturating_sub(6).max(3));
        let v = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(4), Constraint::Length(out_rows)])
            .split(area);
        let (main, output) = (v[0], v[1]);
        let mut out = vec![(Pane::Output, output)];
        if !large {
            let h = Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Percentage(self.split),
                    Constraint::Percentage(100 - self.split),
                ])
                .split(main);
            out.push((Pane::Code, h[0]));
            out.push((self.side, h[1]));
            return out;
        }
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([
                Constraint::Percentage(self.top),
                Constraint::Percentage((100 - self.top) / 2),
                Constraint::Percentage(100 - self.top - (100 - self.top) / 2),
            ])
            .split(main);
        let top = Layout::default()
            .direction(Direction::Horizontal)
            .constraints([
                Constraint::Percentage(self.split.min(60)),
                Constraint::Percentage((100 - self.split.min(60)) * 2 / 5),
                Constraint::Min(10),
            ])
            .split(rows[0]);
        let halves = |r: Rect| {
            Layout::default()
                .direction(Direction::Horizontal)
                .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
                .split(r)
        };
        let (mid, low) = (halves(rows[1]), halves(rows[2]));
        out.extend([
            (Pane::Code, top[0]),
            (Pane::Registers, top[1]),
            (Pane::Csrs, top[2]),
            (Pane::Traps, mid[0]),
            (Pane::Memory, mid[1]),
            (Pane::Console, low[0]),
            (Pane::Guests, low[1]),
        ]);
        out
    }

    fn block(&self, pane: Pane, title: Line<'static>) -> Block<'static> {
        let style = if self.focus == pane {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        Block::default()
            .borders(Borders::ALL)
            .border_style(style)
            .title(title)
    }

    fn title(&self, pane: Pane, text: String, large: bool) -> Line<'static> {
        let n = pane.index() + 1;
        if !SIDE.contains(&pane) || large || self.zoom {
            return Line::from(format!("{n} {text}"));
        }
        // The side slot: which panes it can show, this one marked.
        let mut spans = Vec::new();
        for p in SIDE {
            let label = format!("{}{}", p.index() + 1, p.title());
            if p == pane {
                spans.push(Span::styled(
                    label,
                    Style::default().add_modifier(Modifier::REVERSED),
                ));
            } else {
                spans.push(Span::raw(label));
            }
            spans.push(Span::raw(" "));
        }
        spans.pop();
        let _ = text;
        Line::from(spans)
    }

    fn draw_pane<T: Target>(&self, f: &mut Frame<'_>, pane: Pane, rect: Rect, s: &Session<T>) {
        let large = !self.zoom && f.area().width >= LARGE.0 && f.area().height >= LARGE.1;
        // The output pane has only a top border: it runs the width of the
        // screen, like the line interface's text.
        let plain = pane == Pane::Output && !self.zoom;
        let inner_w = rect.width.saturating_sub(if plain { 0 } else { 2 }) as usize;
        let inner_h = rect.height.saturating_sub(if plain { 1 } else { 2 }) as usize;
        let (title, lines) = match pane {
            Pane::Code => self.code(s, inner_w, inner_h),
            Pane::Registers => self.registers(s, inner_w, inner_h),
            Pane::Csrs => self.csrs(s, inner_w, inner_h),
            Pane::Memory => self.memory_lines(s, inner_w, inner_h),
            Pane::Traps => self.traps(s, inner_w, inner_h),
            Pane::Console => self.console(s, inner_w, inner_h),
            Pane::Guests => self.guests(s, inner_w, inner_h),
            Pane::Output => self.output(inner_w, inner_h),
        };
        let side_slot = SIDE.contains(&pane) && !large && !self.zoom;
        let mut block = self.block(pane, self.title(pane, title.clone(), large));
        if plain {
            block = block.borders(Borders::TOP);
        }
        if side_slot {
            // The tabs are on top: what this pane shows goes below.
            block = block.title_bottom(Line::from(title));
        }
        f.render_widget(Paragraph::new(lines).block(block), rect);
    }

    fn draw_status<T: Target>(&self, f: &mut Frame<'_>, rect: Rect, s: &Session<T>) {
        let t = s.target();
        let g = t.focus();
        let guests = t.guests();
        let name = guests.get(g).map_or("?", |g| g.name.as_str());
        let pc = t.pc();
        let at = s.label(pc).map_or(String::new(), |l| format!(" <{l}>"));
        let how = if self.monitor { "monitor" } else { "native" };
        let state = match guests.get(g).map(|g| &g.state) {
            Some(GuestState::Ended(how)) => format!(" · ended: {how}"),
            Some(GuestState::Sleeping) => " · asleep in wfi".into(),
            Some(GuestState::Waiting) => " · waiting".into(),
            _ => String::new(),
        };
        let text = format!(
            " {name} · {how} · event {} · {}-mode · pc {pc:#x}{at}{state}",
            s.position(),
            priv_letter(t.privilege())
        );
        f.render_widget(
            Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
            rect,
        );
    }

    fn draw_command_line(&self, f: &mut Frame<'_>, rect: Rect) {
        let text = match (&self.note, self.mode) {
            (Some(n), _) => n.clone(),
            (_, Mode::Keys) => format!("{PROMPT}(: or Enter to type a command)"),
            (_, Mode::Command) => format!("{PROMPT}{}", self.input),
        };
        let style = if self.mode == Mode::Keys {
            Style::default().add_modifier(Modifier::DIM)
        } else {
            Style::default()
        };
        f.render_widget(Paragraph::new(text).style(style), rect);
        if self.mode == Mode::Command {
            let x = rect.x + (PROMPT.len() + self.caret) as u16;
            f.set_cursor_position(Position::new(x.min(rect.right().saturating_sub(1)), rect.y));
        }
    }

    /// The line of keys, most used first, as many as fit: `g` only when
    /// there is another guest to go to, `v` only when there is a source to
    /// switch to (named by what it switches to).
    fn draw_keys<T: Target>(&self, f: &mut Frame<'_>, rect: Rect, session: &Session<T>) {
        let several = session.target().guests().len() > 1;
        let source = !session.program().lines.is_empty();
        let switch = if self.source_view { "asm" } else { "source" };
        let keys: &[(&str, &str)] = match self.mode {
            Mode::Keys => &[
                ("s", "step"),
                ("n", "next"),
                ("c", "cont"),
                ("r", "back"),
                ("R", "rev-cont"),
                ("b", "break"),
                ("g", if several { "guest" } else { "" }),
                ("v", if source { switch } else { "" }),
                (":", "cmd"),
                ("Tab", "pane"),
                ("q", "quit"),
                ("z", "zoom"),
                ("f", "finish"),
                ("+-", "size"),
            ],
            Mode::Command => &[
                ("Enter", "run"),
                ("Esc", "keys"),
                ("↑↓", "history"),
                ("PgUp/Dn", "output"),
                ("F7", "step"),
                ("F8", "next"),
                ("F5", "cont"),
                ("S-F7", "back"),
                ("F9", "break"),
            ],
        };
        let mut spans = Vec::new();
        let mut used = 0;
        for (k, what) in keys.iter().filter(|(_, what)| !what.is_empty()) {
            let w = k.chars().count() + what.len() + 2;
            if used + w > rect.width as usize {
                break;
            }
            used += w;
            spans.push(Span::styled(
                k.to_string(),
                Style::default().add_modifier(Modifier::REVERSED),
            ));
            spans.push(Span::raw(format!(" {what} ")));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), rect);
    }

    // --- pane contents -----------------------------------------------------------

    fn code<T: Target>(&self, s: &Session<T>, w: usize, h: usize) -> (String, Vec<Line<'static>>) {
        if self.source_view && !s.program().lines.is_empty() {
            if let Some(r) = self.source(s, w, h) {
                return r;
            }
        }
        let pc = s.target().pc();
        let centre = self.cursor.unwrap_or(pc);
        let mut addr = window_start(s, centre, h / 3);
        let mut lines = Vec::new();
        while lines.len() < h {
            let l = s.insn_line(addr);
            if let Some(label) = &l.label {
                if !label.contains('+') && lines.len() + 1 < h {
                    lines.push(Line::styled(
                        format!("{label}:"),
                        Style::default().fg(Color::Yellow),
                    ));
                }
            }
            let mark = if l.current { "=>" } else { "  " };
            let bp = if l.breakpoint { "●" } else { " " };
            let text = format!("{mark}{bp}{addr:x}  {}", l.text.replace('\t', " "));
            let mut style = Style::default();
            if l.breakpoint {
                style = style.fg(Color::Red);
            }
            if l.current {
                style = style.fg(Color::Green).add_modifier(Modifier::BOLD);
            }
            if self.cursor == Some(addr) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            lines.push(Line::styled(clip(&text, w), style));
            addr = addr.wrapping_add(l.bits.map_or(4, |b| cpu::isa::parcel_len(b as u16)));
        }
        let f = s
            .program()
            .function_at(pc)
            .map_or(String::new(), |(n, _)| format!(" {n}"));
        (format!("code{f}"), lines)
    }

    fn source<T: Target>(
        &self,
        s: &Session<T>,
        w: usize,
        h: usize,
    ) -> Option<(String, Vec<Line<'static>>)> {
        let p = s.program();
        let (file, line) = current_line(s)?;
        let src = p.files.get(file)?;
        let centre = self.cursor.map_or(line, |c| c as u32);
        let first = centre.saturating_sub((h / 3) as u32).max(1);
        let bp_lines: Vec<u32> = self
            .breakpoints
            .iter()
            .filter(|b| b.kind == "breakpoint" && b.enabled)
            .filter_map(|b| p.location(b.address?))
            .filter(|l| l.file == file)
            .map(|l| l.line)
            .collect();
        let mut lines = Vec::new();
        for n in first..first + h as u32 {
            let Some(text) = src.lines.get(n as usize - 1) else {
                break;
            };
            let current = n == line;
            let bp = bp_lines.contains(&n);
            let mark = if current { "=>" } else { "  " };
            let dot = if bp { "●" } else { " " };
            let mut style = Style::default();
            if bp {
                style = style.fg(Color::Red);
            }
            if current {
                style = style.fg(Color::Green).add_modifier(Modifier::BOLD);
            }
            if self.cursor == Some(u64::from(n)) {
                style = style.add_modifier(Modifier::REVERSED);
            }
            let t = format!("{mark}{dot}{n:>4} {}", text.replace('\t', "    "));
            lines.push(Line::styled(clip(&t, w), style));
        }
        Some((
            format!("source {}", crate::program::short_path(&src.path)),
            lines,
        ))
    }

    fn registers<T: Target>(
        &self,
        s: &Session<T>,
        w: usize,
        h: usize,
    ) -> (String, Vec<Line<'static>>) {
        let t = s.target();
        let regs = t.regs();
        let mut cells: Vec<(String, u64, bool)> = (1..32)
            .map(|i| {
                (
                    cpu::isa::REG_NAMES[i].to_string(),
                    regs[i],
                    self.changed_regs.contains(&i),
                )
            })
            .collect();
        cells.insert(0, ("pc".into(), t.pc(), self.changed_regs.contains(&32)));
        let wide = cells.iter().any(|c| c.1 > u64::from(u32::MAX));
        let digits = if wide { 16 } else { 8 };
        // A cell is a name, its value and a space, the last one's space
        // off the edge.
        let cell_w = 4 + digits + 1;
        let cols = ((w + 1) / cell_w).max(1);
        let rows = cells.len().div_ceil(cols);
        let skip = self.scroll[Pane::Registers.index()].min(rows.saturating_sub(h));
        let mut lines = Vec::new();
        for r in skip..rows {
            let mut spans = Vec::new();
            for c in 0..cols {
                // Column-major, as GDB's TUI lays registers out.
                let Some((name, v, changed)) = cells.get(c * rows + r) else {
                    continue;
                };
                let style = if *changed {
                    Style::default()
                        .fg(Color::Black)
                        .bg(Color::Yellow)
                        .add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                };
                spans.push(Span::raw(format!("{name:<4}")));
                spans.push(Span::styled(format!("{v:0digits$x}"), style));
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
        }
        let changed = self.changed_regs.len();
        (
            format!(
                "registers, {}-mode{}",
                priv_letter(t.privilege()),
                if changed > 0 {
                    format!(", {changed} changed")
                } else {
                    String::new()
                }
            ),
            lines,
        )
    }

    fn csrs<T: Target>(&self, s: &Session<T>, w: usize, h: usize) -> (String, Vec<Line<'static>>) {
        let rows = s.target().csrs();
        let monitor = rows.iter().any(|r| r.real.is_some());
        // Under the monitor a narrow pane shows both values without their
        // leading zeros, so that the real one fits beside the virtual one.
        // (A CSR whose two values do not fit on one line shows the real one
        // on a line of its own.)
        let narrow = monitor && w < 10 + 1 + 16 + 3 + 16;
        let mut lines = Vec::new();
        if monitor {
            let (a, b) = if narrow {
                ("virtual", "real")
            } else {
                ("guest (virtual)", "hart (real)")
            };
            lines.push(Line::styled(
                clip(&format!("{:<10} {a:<18} {b}", ""), w),
                Style::default().add_modifier(Modifier::DIM),
            ));
        }
        let skip = self.scroll[Pane::Csrs.index()].min(rows.len().saturating_sub(h));
        for r in rows.iter().skip(skip) {
            let changed = self.changed_csrs.contains(&r.name);
            let style = if changed {
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            if narrow {
                let v = format!("{:x}", r.value);
                let real = r.real.map_or("-".to_string(), |v| format!("{v:x}"));
                let one = format!("{:<10} {v:>16}  {real}", r.name);
                let mut spans = vec![
                    Span::raw(format!("{:<10} ", r.name)),
                    Span::styled(format!("{v:>16}"), style),
                ];
                if one.chars().count() <= w {
                    spans.push(Span::raw(format!("  {real}")));
                    lines.push(clip_line(spans, w));
                } else {
                    lines.push(clip_line(spans, w));
                    lines.push(Line::raw(clip(&format!("{:>10} {real:>16}", "real"), w)));
                }
                continue;
            }
            let mut spans = vec![
                Span::raw(format!("{:<10} ", r.name)),
                Span::styled(format!("{:016x}", r.value), style),
            ];
            if monitor {
                spans.push(Span::raw(match r.real {
                    Some(v) => format!("   {v:016x}"),
                    None => format!("   {:<16}", "-"),
                }));
            }
            let fields = crate::describe::csr_fields(r.name, r.value);
            spans.push(Span::styled(
                format!(" {fields}"),
                Style::default().add_modifier(Modifier::DIM),
            ));
            lines.push(clip_line(spans, w));
        }
        (
            if monitor {
                "csrs: virtual and real".into()
            } else {
                "csrs".into()
            },
            lines,
        )
    }

    fn memory_lines<T: Target>(
        &self,
        s: &Session<T>,
        w: usize,
        h: usize,
    ) -> (String, Vec<Line<'static>>) {
        let start = self.memory.unwrap_or(s.target().regs()[2] & !7);
        // An address, then per byte its hex and its character.
        let per = if w >= 16 + 2 + 16 * 4 { 16 } else { 8 };
        let mut lines = Vec::new();
        for r in 0..h as u64 {
            let a = start.wrapping_add(r * per as u64);
            let mut bytes = vec![0u8; per];
            let ok = s.read_virt(a, &mut bytes);
            let hex: String = if ok {
                bytes.iter().map(|b| format!("{b:02x} ")).collect()
            } else {
                "?? ".repeat(per)
            };
            let chars: String = bytes
                .iter()
                .map(|&b| {
                    if ok && (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            lines.push(Line::raw(clip(&format!("{a:08x}  {hex} {chars}"), w)));
        }
        let what = if self.memory.is_none() { " at sp" } else { "" };
        (format!("memory{what}"), lines)
    }

    fn traps<T: Target>(&self, s: &Session<T>, w: usize, h: usize) -> (String, Vec<Line<'static>>) {
        let skip = self.scroll[Pane::Traps.index()];
        let recent = s.recent_traps(h + skip);
        let several = self.names.len() > 1;
        let mut text = Vec::new();
        for r in &recent {
            let who = if several {
                format!("[{}] ", self.names.get(r.guest).map_or("?", |n| n.as_str()))
            } else {
                String::new()
            };
            let line = format!("{who}{} {}", r.position, crate::render::trap_line(r));
            text.extend(wrap(&line, w, 2));
        }
        let end = text.len().saturating_sub(skip);
        let start = end.saturating_sub(h);
        let lines = text[start..end]
            .iter()
            .map(|l| Line::raw(l.clone()))
            .collect::<Vec<_>>();
        let lines = if lines.is_empty() {
            vec![Line::styled(
                "no trap or exit yet".to_string(),
                Style::default().add_modifier(Modifier::DIM),
            )]
        } else {
            lines
        };
        ("traps and exits (event, what, handler)".into(), lines)
    }

    fn console<T: Target>(
        &self,
        s: &Session<T>,
        w: usize,
        h: usize,
    ) -> (String, Vec<Line<'static>>) {
        let g = s.target().focus();
        let bytes = s.target().console(g);
        let text = String::from_utf8_lossy(&bytes).replace('\r', "");
        let mut lines: Vec<String> = Vec::new();
        for l in text.split('\n') {
            lines.extend(wrap(l, w, 0));
        }
        if text.ends_with('\n') {
            lines.pop();
        }
        let skip = self.scroll[Pane::Console.index()];
        let end = lines.len().saturating_sub(skip);
        let start = end.saturating_sub(h);
        let name = self.names.get(g).map_or("?", |n| n.as_str());
        let which = if self.names.len() > 1 {
            format!(" of {name} (g: next guest)")
        } else {
            format!(" of {name}")
        };
        (
            format!("console{which}"),
            lines[start..end]
                .iter()
                .map(|l| Line::raw(l.clone()))
                .collect(),
        )
    }

    /// The guests: each one's state (on the hart, waiting for its turn,
    /// asleep in `wfi`, ended and how), its events and its exits. A narrow
    /// pane gives each guest two lines, its state on the second.
    fn guests<T: Target>(
        &self,
        s: &Session<T>,
        w: usize,
        h: usize,
    ) -> (String, Vec<Line<'static>>) {
        let t = s.target();
        let focus = t.focus();
        let wide = w >= 60;
        let header = if wide {
            "  # guest        events  exits  state"
        } else {
            "  # guest        events  exits"
        };
        let mut lines = vec![Line::styled(
            header.to_string(),
            Style::default().add_modifier(Modifier::DIM),
        )];
        for (i, g) in t.guests().iter().enumerate() {
            let state = match &g.state {
                GuestState::Running if t.current() == Some(i) && self.monitor => {
                    "running (on the hart)".to_string()
                }
                GuestState::Running => "running".into(),
                GuestState::Waiting => "waiting for its turn".into(),
                GuestState::Sleeping => "asleep in wfi".into(),
                GuestState::Ended(how) => format!("ended: {how}"),
            };
            let exits = t.exits(i);
            let mark = if i == focus { "*" } else { " " };
            let style = if i == focus {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                Style::default()
            };
            let row = format!(
                "{mark} {i} {:<12} {:>6} {:>6}",
                clip(&g.name, 12),
                g.events,
                exits
            );
            if wide {
                lines.push(Line::styled(clip(&format!("{row}  {state}"), w), style));
            } else {
                lines.push(Line::styled(clip(&row, w), style));
                lines.push(Line::styled(clip(&format!("      {state}"), w), style));
            }
        }
        lines.truncate(h);
        ("guests".into(), lines)
    }

    fn output(&self, w: usize, h: usize) -> (String, Vec<Line<'static>>) {
        let t = self.transcript.borrow();
        let text = String::from_utf8_lossy(&t);
        let mut lines = Vec::new();
        for l in text.split('\n') {
            lines.extend(wrap(&l.replace('\t', "    "), w, 0));
        }
        if text.ends_with('\n') {
            lines.pop();
        }
        let skip = self.scroll[Pane::Output.index()].min(lines.len().saturating_sub(h));
        let end = lines.len() - skip;
        let start = end.saturating_sub(h);
        let title = if skip > 0 {
            format!("output ({skip} lines back)")
        } else {
            "output".into()
        };
        (
            title,
            lines[start..end]
                .iter()
                .map(|l| {
                    if l.starts_with(PROMPT) {
                        Line::styled(l.clone(), Style::default().fg(Color::Cyan))
                    } else {
                        Line::raw(l.clone())
                    }
                })
                .collect(),
        )
    }
}

/// The file and line of `pc`, if the program has a line table.
fn current_line<T: Target>(s: &Session<T>) -> Option<(usize, u32)> {
    s.program()
        .location(s.target().pc())
        .map(|l| (l.file, l.line))
}

fn priv_letter(p: cpu::hart::Priv) -> &'static str {
    match p {
        cpu::hart::Priv::User => "U",
        cpu::hart::Priv::Supervisor => "S",
        cpu::hart::Priv::Machine => "M",
    }
}

/// The first `w` characters of `s`.
fn clip(s: &str, w: usize) -> String {
    s.chars().take(w).collect()
}

fn clip_line(spans: Vec<Span<'static>>, w: usize) -> Line<'static> {
    let mut left = w;
    let mut out = Vec::new();
    for sp in spans {
        if left == 0 {
            break;
        }
        let n = sp.content.chars().count();
        if n <= left {
            left -= n;
            out.push(sp);
        } else {
            out.push(Span::styled(clip(&sp.content, left), sp.style));
            left = 0;
        }
    }
    Line::from(out)
}

/// `s` cut into lines of at most `w` characters, the ones after the first
/// indented by `indent`.
fn wrap(s: &str, w: usize, indent: usize) -> Vec<String> {
    let w = w.max(indent + 8);
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= w {
        return vec![s.to_string()];
    }
    let mut out = vec![chars[..w].iter().collect::<String>()];
    let mut i = w;
    while i < chars.len() {
        let n = (w - indent).min(chars.len() - i);
        out.push(format!(
            "{}{}",
            " ".repeat(indent),
            chars[i..i + n].iter().collect::<String>()
        ));
        i += n;
    }
    out
}

/// Where the code pane starts: up to `before` instructions before
/// `centre`, on instruction boundaries. With compressed code (2- and
/// 4-byte instructions) an address counted back from `centre` may fall
/// mid-instruction, so the boundaries are found by decoding forward from
/// a known one: the nearest symbol at or below `centre` within what the
/// program loaded (or that extent's start), and if that is far back or
/// unknown, `centre` itself.
fn window_start<T: Target>(s: &Session<T>, centre: u64, before: usize) -> u64 {
    /// How far back a symbol may be to decode from.
    const REACH: u64 = 4096;
    if before == 0 {
        return centre;
    }
    let p = s.program();
    let Some(extent) = p.extents.iter().find(|r| r.contains(&centre)) else {
        return centre;
    };
    let from = p
        .symbols_below(centre)
        .map(|sym| sym.addr)
        .find(|&a| a >= extent.start)
        .unwrap_or(extent.start);
    if centre - from > REACH {
        return centre;
    }
    let mut seen = std::collections::VecDeque::with_capacity(before + 1);
    let mut addr = from;
    while addr < centre {
        if seen.len() == before {
            seen.pop_front();
        }
        seen.push_back(addr);
        let len = s
            .read_u32(addr)
            .map_or(4, |b| cpu::isa::parcel_len(b as u16));
        addr += len;
    }
    if addr != centre {
        // `centre` is not on the boundaries decoded from there: it starts
        // the pane.
        return centre;
    }
    seen.front().copied().unwrap_or(centre)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_with_an_indent() {
        assert_eq!(wrap("short", 10, 2), ["short"]);
        assert_eq!(
            wrap("abcdefghijklmnopqrstuvwxyz", 10, 2),
            ["abcdefghij", "  klmnopqr", "  stuvwxyz"]
        );
        assert_eq!(clip("héllo", 2), "hé");
    }
}
