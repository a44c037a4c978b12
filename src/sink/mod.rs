//! Where events go: stdout in headless mode (JSON Lines, or the `text` view for a person) and
//! the per-call JSONL log, behind one trait, and the one function that writes an event as a
//! JSON line.

pub mod calllog;
pub mod text;

use std::io::{self, Write};

use crate::event::Event;

/// What headless mode prints on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// The event log as JSON Lines (the contract).
    #[default]
    Jsonl,
    /// A readable live view (`text::TextView`).
    Text,
}

impl Format {
    /// The stdout sink for this format.
    pub fn stdout(self) -> Box<dyn EventSink> {
        match self {
            Format::Jsonl => Box::new(Stdout),
            Format::Text => Box::new(text::TextView),
        }
    }
}

/// A consumer of the event log.
pub trait EventSink: Send {
    /// Write one event. Errors are reported by the caller once; the pipeline keeps going.
    fn write(&mut self, event: &Event) -> io::Result<()>;
    /// End of the call: flush and sync.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// Name for diagnostics.
    fn name(&self) -> &'static str;
}

/// Write `event` to `out` as one JSON line, newline included, in one `write_all`.
pub fn write_line(out: &mut impl Write, event: &Event) -> io::Result<()> {
    let mut line = event.to_json_line();
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// JSON Lines on stdout, one `write_all` and flush per event.
pub struct Stdout;

impl EventSink for Stdout {
    fn write(&mut self, event: &Event) -> io::Result<()> {
        let mut out = io::stdout().lock();
        write_line(&mut out, event)?;
        out.flush()
    }

    fn name(&self) -> &'static str {
        "stdout"
    }
}

/// Calls a closure per event (benchmarks, embedding).
pub struct Callback<F: FnMut(&Event) + Send>(pub F);

impl<F: FnMut(&Event) + Send> EventSink for Callback<F> {
    fn write(&mut self, event: &Event) -> io::Result<()> {
        (self.0)(event);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "callback"
    }
}
