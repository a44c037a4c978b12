//! Where diagnostics (tracing) go, and in what form. Transcripts never reach them.
//!
//! - Under systemd, when stderr is the journal stream (`JOURNAL_STREAM` names stderr's device
//!   and inode): one line per event with the syslog priority prefix journald reads (`<3>` error,
//!   `<4>` warning, `<6>` info, `<7>` debug), no colours and no timestamp (the journal has its
//!   own), so `journalctl --user -u warmcall -p warning` shows warnings and errors only.
//! - Otherwise stderr as usual, with a timestamp, and colours only on a terminal.

use std::fmt;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::sync::OnceLock;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The filter: `WARMCALL_LOG` if set, else the level `-v` asks for (whisper.cpp, chatty at
/// info, stays at warn unless asked).
fn filter(verbose: u8) -> EnvFilter {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    EnvFilter::try_from_env("WARMCALL_LOG").unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default},whisper_rs=warn,pulseaudio::client::reactor=off"
        ))
    })
}

/// Whether `journal_stream` (`JOURNAL_STREAM`'s "device:inode") is the file stderr is.
pub fn is_journal_stream(journal_stream: Option<&str>) -> bool {
    let Some((dev, ino)) = journal_stream.and_then(|v| v.split_once(':')) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino())
}

/// The syslog priority of a tracing level.
pub fn priority(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// One event as a journal line: `<4>target: message key=value`.
struct JournalLine;

impl<S, N> FormatEvent<S, N> for JournalLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        write!(writer, "<{}>{}: ", priority(meta.level()), meta.target())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Whether stderr is the journal (decided once).
fn journal() -> bool {
    static JOURNAL: OnceLock<bool> = OnceLock::new();
    *JOURNAL.get_or_init(|| is_journal_stream(std::env::var("JOURNAL_STREAM").ok().as_deref()))
}

/// A line for stderr outside tracing (a command's failure, a note): with the priority prefix
/// when stderr is the journal.
pub fn stderr_line(level: Level, text: &str) -> String {
    if journal() {
        format!("<{}>{text}", priority(&level))
    } else {
        text.to_string()
    }
}

/// Set up diagnostics for this process (once; later calls do nothing).
pub fn init(verbose: u8) {
    let journal = journal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(verbose))
        .with_writer(std::io::stderr);
    let _ = if journal {
        builder
            .with_ansi(false)
            .event_format(JournalLine)
            .try_init()
    } else {
        builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_syslog_priorities() {
        let p: Vec<u8> = [Level::ERROR, Level::WARN, Level::INFO, Level::DEBUG]
            .iter()
            .map(priority)
            .collect();
        assert_eq!(p, [3, 4, 6, 7]);
    }

    #[test]
    fn only_stderrs_own_device_and_inode_are_the_journal() {
        assert!(!is_journal_stream(None));
        assert!(!is_journal_stream(Some("garbage")));
        assert!(!is_journal_stream(Some("0:0")));
    }
}
