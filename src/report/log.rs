//! Reading a call log back: the JSON Lines event log the daemon writes (`event::Event`), read
//! forgivingly. A line cut off by a daemon killed mid-write, an event type this build does not
//! know, or any other unreadable line is skipped with a [`Note`]; only a log with no event at
//! all is an error.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::event::{Event, Flag, Speaker, Summary, Utterance};

/// A line of a call log that was skipped, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

/// Why a call log cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{}: no such call log", .0.display())]
    Missing(PathBuf),
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the call log is empty", .0.display())]
    Empty(PathBuf),
    #[error("{}: not a warmcall call log (no line is an event: {first})", path.display())]
    NotALog { path: PathBuf, first: String },
}

/// A call log as read: its events in file order, and the lines skipped.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    /// Where it came from (`-` for standard input).
    pub path: PathBuf,
    pub events: Vec<Event>,
    pub notes: Vec<Note>,
}

/// Just enough of a line to tell an unknown event type from a broken line.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "type")]
    kind: String,
}

/// Event types a caller may ask [`parse_filtered`] to skip without parsing them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Nothing,
    /// `speech` and `transcript` lines: enough for listing calls (flags, summary).
    SpeechAndText,
}

impl Skip {
    fn skips(self, line: &str) -> bool {
        // In compact JSON, `":"` never occurs inside a string value (every quote in a string is
        // escaped), so these can only be the event's own type tag.
        self == Skip::SpeechAndText
            && (line.contains(r#""type":"speech""#) || line.contains(r#""type":"transcript""#))
    }
}

impl CallLog {
    /// Read and parse the call log at `path`.
    pub fn read(path: &Path) -> Result<Self, LogError> {
        Self::read_filtered(path, Skip::Nothing)
    }

    /// Read a call log, leaving out the lines `skip` names.
    pub fn read_filtered(path: &Path, skip: Skip) -> Result<Self, LogError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LogError::Missing(path.to_path_buf()),
            _ => LogError::Read {
                path: path.to_path_buf(),
                source: e,
            },
        })?;
        Self::parse_filtered(path, &text, skip)
    }

    /// Parse the text of a call log.
    pub fn parse(path: &Path, text: &str) -> Result<Self, LogError> {
        Self::parse_filtered(path, text, Skip::Nothing)
    }

    /// Parse the text of a call log, leaving out the lines `skip` names.
    pub fn parse_filtered(path: &Path, text: &str, skip: Skip) -> Result<Self, LogError> {
        let mut log = CallLog {
            path: path.to_path_buf(),
            ..Self::default()
        };
        let mut first_error = None;
        let mut seen = 0;
        let last = text.lines().count();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() {
                continue;
            }
            seen += 1;
            if skip.skips(line) {
                continue;
            }
            match Event::from_json_line(line) {
                Ok(e) => log.events.push(e),
                Err(e) => {
                    let message = match serde_json::from_str::<Probe>(line) {
                        Ok(p) if e.to_string().starts_with("unknown variant") => {
                            format!("unknown event type {:?} (skipped)", p.kind)
                        }
                        _ if i + 1 == last && !text.ends_with('\n') && e.is_eof() => {
                            "the last line is cut off (the log was still being written, or \
                             the daemon stopped mid-write); skipped"
                                .to_string()
                        }
                        _ => format!("unreadable line skipped: {e}"),
                    };
                    first_error.get_or_insert_with(|| e.to_string());
                    log.notes.push(Note {
                        line: i + 1,
                        message,
                    });
                }
            }
        }
        if seen == 0 {
            return Err(LogError::Empty(path.to_path_buf()));
        }
        if log.events.is_empty() && skip == Skip::Nothing {
            return Err(LogError::NotALog {
                path: path.to_path_buf(),
                first: first_error.unwrap_or_default(),
            });
        }
        Ok(log)
    }

    /// The call id: from `call_start`, else the file name.
    pub fn call_id(&self) -> String {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::CallStart { call_id, .. } => Some(call_id.clone()),
                _ => None,
            })
            .unwrap_or_else(|| {
                self.path
                    .file_stem()
                    .map_or_else(|| "-".into(), |s| s.to_string_lossy().into_owned())
            })
    }

    /// `call_start`'s wall-clock start (RFC 3339, UTC) and source, if the log has one.
    pub fn start(&self) -> Option<(&str, &str)> {
        self.events.iter().find_map(|e| match e {
            Event::CallStart { wall, source, .. } => Some((wall.as_str(), source.as_str())),
            _ => None,
        })
    }

    /// The summary `call_end` carries, if the call was logged to its end.
    pub fn summary(&self) -> Option<&Summary> {
        self.events.iter().rev().find_map(|e| match e {
            Event::CallEnd { summary, .. } => Some(summary),
            _ => None,
        })
    }

    /// Length of the call: `call_end`'s time, else the latest time the log mentions.
    pub fn duration(&self) -> f64 {
        let end = self.events.iter().rev().find_map(|e| match e {
            Event::CallEnd { t, .. } => Some(*t),
            _ => None,
        });
        end.unwrap_or_else(|| {
            self.events
                .iter()
                .map(|e| match e {
                    Event::Speech { end, .. }
                    | Event::Transcript(crate::event::Transcript { end, .. }) => e.t().max(*end),
                    Event::Gap(crate::event::Gap { until, .. }) => e.t().max(*until),
                    _ => e.t(),
                })
                .fold(0.0, f64::max)
        })
    }

    pub fn flags(&self) -> impl Iterator<Item = &Flag> {
        self.events.iter().filter_map(|e| match e {
            Event::Flag(f) => Some(f),
            _ => None,
        })
    }

    /// The final transcript lines as utterances, in log order (what `analyze` re-coaches).
    pub fn utterances(&self) -> Vec<Utterance> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Transcript(crate::event::Transcript {
                    speaker,
                    start,
                    end,
                    text,
                    is_final: true,
                    ..
                }) => Some(Utterance {
                    speaker: *speaker,
                    start: *start,
                    end: *end,
                    text: text.clone(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Speech stretches of one speaker from `speech` events, as (start, end).
    pub fn speech(&self, who: Speaker) -> Vec<(f64, f64)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Speech {
                    speaker,
                    start,
                    end,
                    ..
                } if *speaker == who => Some((*start, *end)),
                _ => None,
            })
            .collect()
    }
}

/// Whether JSON Lines text is an event log rather than a transcript: the first line that is a
/// JSON object says so by having a `type` field.
pub fn is_event_log(text: &str) -> bool {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).ok())
        .map(|obj| obj.contains_key("type"))
        .next()
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("call.jsonl")
    }

    #[test]
    fn a_cut_off_last_line_and_unknown_types_are_notes() {
        let text = "{\"v\":1,\"type\":\"call_start\",\"t\":0.0,\"call_id\":\"c\",\"wall\":\"2026-11-22T14:03:11Z\",\"source\":\"file\"}\n\
                    {\"v\":1,\"type\":\"hologram\",\"t\":1.0}\n\
                    {\"v\":1,\"type\":\"speech\",\"t\":2.0,\"speaker\":\"me\",\"start\":1.0,\"end\":2.0}\n\
                    {\"v\":1,\"type\":\"transcript\",\"t\":3.0,\"spea";
        let log = CallLog::parse(p(), text).unwrap();
        assert_eq!(log.events.len(), 2);
        assert_eq!(log.notes.len(), 2, "{:?}", log.notes);
        assert_eq!(log.notes[0].line, 2);
        assert!(log.notes[0].message.contains("\"hologram\""));
        assert_eq!(log.notes[1].line, 4);
        assert!(log.notes[1].message.contains("cut off"));
        assert_eq!(log.call_id(), "c");
        assert_eq!(log.duration(), 2.0);
    }

    #[test]
    fn empty_and_foreign_files_are_errors() {
        assert!(matches!(
            CallLog::parse(p(), "\n  \n"),
            Err(LogError::Empty(_))
        ));
        let e = CallLog::parse(p(), "hello\nworld\n").unwrap_err();
        assert!(matches!(e, LogError::NotALog { .. }));
        assert!(e.to_string().contains("not a warmcall call log"), "{e}");
    }

    #[test]
    fn tells_event_logs_from_transcripts() {
        assert!(is_event_log(
            "oops\n{\"v\":1,\"type\":\"call_start\",\"t\":0}\n"
        ));
        assert!(!is_event_log(
            "{\"speaker\":\"me\",\"start\":0,\"end\":1,\"text\":\"hi\"}\n"
        ));
        assert!(!is_event_log(""));
    }

    #[test]
    fn the_skip_filter_only_matches_the_type_tag() {
        // Text quoting a type tag stays a transcript line.
        let line = Event::Transcript(crate::event::Transcript {
            t: 1.0,
            speaker: Speaker::Me,
            start: 0.0,
            end: 1.0,
            text: r#"he said "type":"speech""#.into(),
            is_final: true,
        })
        .to_json_line();
        assert!(Skip::SpeechAndText.skips(&line));
        let flag = Event::Flag(Flag {
            t: 1.0,
            rule: "chasing".into(),
            speaker: Speaker::Me,
            severity: crate::event::Severity::Warn,
            evidence: r#""type":"speech""#.into(),
            suggestion: String::new(),
            title: String::new(),
            notified: false,
        })
        .to_json_line();
        assert!(!Skip::SpeechAndText.skips(&flag), "{flag}");
        assert!(!Skip::Nothing.skips(&line));
    }
}
