//! `--trace`: what the hart, the firmware and the monitor did, one line
//! each, for people: the event's message and nothing else (no level word,
//! no Rust type names), prefixed with `[NAME] ` for an event of a guest
//! under the monitor (the monitor runs each guest inside a `guest` span
//! whose `name` field is the guest's name, so that the hart's own events,
//! such as `--trace insn`'s instructions, get the prefix too).
//!
//! Natively the log shows the traps the hart takes (`cpu::trap`), the SBI
//! calls and `wfi`s the firmware answers (`cpu::sbi`) and, with `--trace
//! insn`, every instruction (`cpu::insn`). Under the monitor the real
//! hart's traps are the monitor's exits, which it logs itself (`monitor`):
//! the hart's and firmware's trap lines are left out there.

use std::fmt::{self, Write as _};
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// What to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Every instruction too (`--trace insn`).
    pub insns: bool,
    /// Under the monitor (its exits, not the real hart's traps).
    pub monitored: bool,
}

impl Filter {
    fn wants(&self, meta: &Metadata<'_>) -> bool {
        let target = meta.target();
        if *meta.level() == Level::TRACE {
            return self.insns && target == "cpu::insn";
        }
        let hart_or_firmware = target.starts_with("cpu::trap") || target.starts_with("cpu::sbi");
        !(self.monitored && hart_or_firmware)
    }
}

/// A guest's name, kept with its `guest` span.
struct GuestName(String);

/// Collects an event's (or span's) field `name` as text.
struct FieldText {
    name: &'static str,
    text: Option<String>,
}

impl Visit for FieldText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == self.name {
            self.text = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == self.name {
            self.text = Some(format!("{value:?}"));
        }
    }
}

/// The layer that writes the lines.
struct Lines<W> {
    filter: Filter,
    out: W,
}

impl<S, W, O> Layer<S> for Lines<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: Fn() -> O + 'static,
    O: Write,
{
    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.is_span() || self.filter.wants(meta)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "guest" {
            return;
        }
        let mut name = FieldText {
            name: "name",
            text: None,
        };
        attrs.record(&mut name);
        if let (Some(text), Some(span)) = (name.text, ctx.span(id)) {
            span.extensions_mut().insert(GuestName(text));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut line = String::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(GuestName(name)) = span.extensions().get::<GuestName>() {
                    let _ = write!(line, "[{name}] ");
                }
            }
        }
        let mut message = FieldText {
            name: "message",
            text: None,
        };
        event.record(&mut message);
        line += message.text.as_deref().unwrap_or("");
        line.push('\n');
        let _ = (self.out)().write_all(line.as_bytes());
    }
}

/// Installs the `--trace` log, each line written to what `out` returns.
pub fn install<W, O>(filter: Filter, out: W)
where
    W: Fn() -> O + Send + Sync + 'static,
    O: Write,
{
    let lines = Lines { filter, out };
    let subscriber = tracing_subscriber::registry().with(lines);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// Lines written under a subscriber with `filter`, while `f` runs.
    fn lines_of(filter: Filter, f: impl FnOnce()) -> String {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let lines = Lines {
            filter,
            out: move || SinkWriter(sink.clone()),
        };
        let subscriber = tracing_subscriber::registry().with(lines);
        tracing::subscriber::with_default(subscriber, f);
        let text = buf.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&text).into_owned()
    }

    struct SinkWriter(Arc<Mutex<Vec<u8>>>);

    impl Write for SinkWriter {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(data);
            }
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_messages_prefixed_by_the_guest_without_level_words() {
        let text = lines_of(
            Filter {
                insns: true,
                monitored: true,
            },
            || {
                let span = tracing::debug_span!("guest", name = "timer");
                let _in = span.enter();
                tracing::debug!(target: "monitor", "pc {:#x}: sret", 0x8020_0010u64);
                tracing::trace!(target: "cpu::insn", "0x80200014: 00000013  nop");
                tracing::debug!(target: "cpu::trap", "pc 0x0: left out under the monitor");
            },
        );
        assert_eq!(
            text,
            "[timer] pc 0x80200010: sret\n[timer] 0x80200014: 00000013  nop\n"
        );
    }

    #[test]
    fn natively_traps_without_instructions_unless_asked() {
        let filter = Filter {
            insns: false,
            monitored: false,
        };
        let text = lines_of(filter, || {
            tracing::debug!(target: "cpu::trap", "pc 0x80200000: illegal instruction");
            tracing::trace!(target: "cpu::insn", "0x80200000: 00000000  .insn");
            tracing::trace!(target: "cpu::jit", "translated a page");
        });
        assert_eq!(text, "pc 0x80200000: illegal instruction\n");
    }
}
