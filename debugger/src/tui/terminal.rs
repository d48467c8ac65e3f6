//! The full-screen interface in a real terminal (crossterm): raw mode and
//! the alternate screen while it runs, restored however it ends (a panic
//! included), a frame drawn after each key, Ctrl-C stopping a run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Stdout};
use std::rc::Rc;
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;

use super::Tui;
use crate::line::ScriptLine;
use crate::session::Session;
use crate::target::Target;

/// The terminal as it was, put back when this goes (also on a panic).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen);
    }
}

/// Runs the interface until `quit` (or `q`): the scripts first, as if
/// typed; returns the exit status `quit` gives.
pub fn run<T: Target>(session: &mut Session<T>, scripts: &[Vec<ScriptLine>]) -> io::Result<i32> {
    let mut tui = Tui::new(session);
    // Keys that come while a run is going: Ctrl-C stops it, the others
    // wait their turn.
    let queue: Rc<RefCell<VecDeque<Event>>> = Rc::default();
    let pending = queue.clone();
    tui.set_interrupt(Rc::new(move || {
        while event::poll(Duration::ZERO).unwrap_or(false) {
            match event::read() {
                Ok(Event::Key(k))
                    if k.code == KeyCode::Char('c')
                        && k.modifiers.contains(KeyModifiers::CONTROL) =>
                {
                    return true;
                }
                Ok(e) => pending.borrow_mut().push_back(e),
                Err(_) => return false,
            }
        }
        false
    }));
    for lines in scripts {
        tui.script(session, lines);
        if let Some(code) = tui.quit {
            return Ok(code);
        }
    }
    enable_raw_mode()?;
    let restore = Restore;
    execute!(io::stdout(), EnterAlternateScreen)?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    loop {
        terminal.draw(|f| tui.draw(f, session))?;
        if let Some(code) = tui.quit {
            drop(restore);
            return Ok(code);
        }
        let next = queue.borrow_mut().pop_front();
        let ev = match next {
            Some(e) => e,
            None => event::read()?,
        };
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                if tui.runs(&k) {
                    tui.set_note("running... (Ctrl-C stops)");
                    terminal.draw(|f| tui.draw(f, session))?;
                }
                tui.key(session, k);
            }
            Event::Resize(..) => {
                terminal.autoresize()?;
            }
            _ => {}
        }
    }
}
