//! The shared event vocabulary: what crosses stage boundaries, and the JSON Lines event log (a
//! typed, versioned contract: types and fields may be added, never renamed or removed).
//!
//! Every log line is `{"v":1,"type":…,"t":…, …}`; `t` is call time in seconds (audio time).
//! Transcript text is wrapped in [`Text`], whose `Debug` prints `[redacted]`, so an accidental
//! `?event` in a diagnostic log leaks nothing.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Format version of every log line.
pub const LOG_VERSION: u8 = 1;

/// Seconds between two "still speaking" speech marks while someone talks (the frontend's
/// segmenter sends them live; `analyze` derives them from a transcript the same way).
pub const SPEECH_TICK: f64 = 0.25;

/// A call time or a length in seconds as `m:ss` (`h:mm:ss` from an hour on).
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Who is speaking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The rep (microphone, left channel).
    Me,
    /// The prospect (system output, right channel).
    Them,
}

impl Speaker {
    pub const BOTH: [Speaker; 2] = [Speaker::Me, Speaker::Them];

    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Me => "me",
            Speaker::Them => "them",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// How reports and the live text view name the speaker to the rep.
    pub fn label(self) -> &'static str {
        match self {
            Speaker::Me => "You",
            Speaker::Them => "Prospect",
        }
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words somebody said. Serialises as a plain string; `Debug` never shows the words.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[redacted {} chars]", self.0.chars().count())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// One recognised (or transcribed) utterance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Utterance {
    pub speaker: Speaker,
    pub start: f64,
    pub end: f64,
    pub text: Text,
}

/// How loud a flag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Alert,
}

/// A rule detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    /// Call time the flag was raised.
    pub t: f64,
    pub rule: String,
    pub speaker: Speaker,
    pub severity: Severity,
    /// The words (or the measurement) that triggered it.
    pub evidence: Text,
    pub suggestion: String,
    /// The rule's short title, for notifications.
    #[serde(default)]
    pub title: String,
    /// Whether this flag became (or, in `analyze`, would become) a notification.
    pub notified: bool,
}

/// A good move (a `practice` rule) and when it first happened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Practice {
    pub done: bool,
    /// Call time of the first time it happened.
    pub t: Option<f64>,
}

/// Recognised words of one phrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Call time the text was ready.
    pub t: f64,
    pub speaker: Speaker,
    /// Call time of the speech.
    pub start: f64,
    pub end: f64,
    pub text: Text,
    /// Final text of the phrase (partial text of a phrase still being spoken is not final).
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// A stretch of a speaker's audio that was not coached: lost before it reached warmcall, or
/// speech recognition dropped or failed on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// Where the gap starts.
    pub t: f64,
    pub speaker: Speaker,
    pub reason: String,
    pub until: f64,
}

/// End-of-call summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub talk_share_me: f64,
    pub talk_share_them: f64,
    pub talk_s_me: f64,
    pub talk_s_them: f64,
    pub longest_monologue_s: f64,
    pub questions_me: u32,
    pub questions_them: u32,
    pub flags: BTreeMap<String, u32>,
    pub practices: BTreeMap<String, Practice>,
}

impl Summary {
    /// How many flags the call raised, all rules together.
    pub fn cues(&self) -> u32 {
        self.flags.values().sum()
    }

    /// (practices done, practices in the checklist).
    pub fn practices_done(&self) -> (usize, usize) {
        let done = self.practices.values().filter(|p| p.done).count();
        (done, self.practices.len())
    }

    /// Seconds of speech, both sides together.
    pub fn talk_seconds(&self) -> f64 {
        self.talk_s_me + self.talk_s_them
    }
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    CallStart {
        t: f64,
        call_id: String,
        wall: String,
        source: String,
    },
    Speech {
        t: f64,
        speaker: Speaker,
        start: f64,
        end: f64,
    },
    Transcript(Transcript),
    Flag(Flag),
    Gap(Gap),
    CallEnd {
        t: f64,
        summary: Summary,
    },
}

impl Event {
    /// Call time of the event.
    pub fn t(&self) -> f64 {
        match self {
            Event::CallStart { t, .. } | Event::Speech { t, .. } | Event::CallEnd { t, .. } => *t,
            Event::Transcript(tr) => tr.t,
            Event::Gap(g) => g.t,
            Event::Flag(f) => f.t,
        }
    }

    /// The event as one JSON Lines record (no trailing newline): `{"v":1,"type":…,"t":…,…}`.
    pub fn to_json_line(&self) -> String {
        let body = serde_json::to_string(self).expect("events always serialise");
        // serde writes the tag first, then the variant's fields (t first): prepend the version.
        format!("{{\"v\":{LOG_VERSION},{}", &body[1..])
    }

    /// Parse one log line.
    pub fn from_json_line(line: &str) -> serde_json::Result<Self> {
        serde_json::from_str(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_times() {
        assert_eq!(clock(0.0), "0:00");
        assert_eq!(clock(79.3), "1:19");
        assert_eq!(clock(3725.0), "1:02:05");
        assert_eq!(clock(-3.0), "0:00");
    }

    #[test]
    fn log_lines_start_with_version_type_and_time() {
        let e = Event::Transcript(Transcript {
            t: 13.1,
            speaker: Speaker::Me,
            start: 10.2,
            end: 12.9,
            text: "Just following up on my email.".into(),
            is_final: true,
        });
        let line = e.to_json_line();
        assert!(
            line.starts_with(r#"{"v":1,"type":"transcript","t":13.1,"speaker":"me""#),
            "{line}"
        );
        assert!(line.contains(r#""final":true"#));
        assert_eq!(Event::from_json_line(&line).unwrap(), e);
    }

    #[test]
    fn text_is_redacted_in_debug_output() {
        let u = Utterance {
            speaker: Speaker::Them,
            start: 0.0,
            end: 1.0,
            text: "my card is 4111".into(),
        };
        let dbg = format!("{u:?}");
        assert!(!dbg.contains("4111"), "{dbg}");
        assert!(dbg.contains("redacted"));
    }
}
