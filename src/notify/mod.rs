//! Desktop notifications. The `gate` decides which flags become bubbles (and whether a call's
//! summary does) and owns the `worker` thread that shows them through a `Backend` (`desktop`:
//! the freedesktop notification service over D-Bus), so showing a notification never blocks
//! the pipeline. A bubble's actions go to `Actions`: the user's mutes, and `open_report` for
//! the summary's "Open report". Backends are found by name in `BACKENDS`.

pub mod desktop;
pub mod gate;
pub mod mutes;
pub mod open_report;
pub mod worker;

use std::sync::Arc;

use crate::event::{Flag, Severity, Summary, clock};
use gate::Mutes;

/// What a bubble is about, and so which actions it offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A cue raised by `rule`: "Mute this rule", "Got it".
    Flag { rule: String },
    /// The summary of the call `call_id`, which just ended: "Open report".
    CallEnd { call_id: String },
}

/// One bubble to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub subject: Subject,
    pub summary: String,
    pub body: String,
    pub severity: Severity,
}

impl Note {
    /// The bubble of a flag: the rule's title and the suggestion.
    pub fn flag(flag: &Flag) -> Self {
        Self {
            subject: Subject::Flag {
                rule: flag.rule.clone(),
            },
            summary: flag.title.clone(),
            body: flag.suggestion.clone(),
            severity: flag.severity,
        }
    }

    /// The summary bubble of a call that ended after `length` seconds: "3 cues, 4 of 5
    /// practices", its length and the rep's talk share.
    pub fn call_end(call_id: &str, length: f64, summary: &Summary) -> Self {
        let cues = match summary.cues() {
            0 => "No cues".to_string(),
            1 => "1 cue".to_string(),
            n => format!("{n} cues"),
        };
        let (done, of) = summary.practices_done();
        Self {
            subject: Subject::CallEnd {
                call_id: call_id.to_string(),
            },
            summary: format!("Call ended: {cues}, {done} of {of} practices"),
            body: format!(
                "{} long, you talked {:.0}% of the time.",
                clock(length),
                summary.talk_share_me * 100.0
            ),
            severity: Severity::Info,
        }
    }

    /// The rule of a flag's bubble.
    pub fn rule(&self) -> Option<&str> {
        match &self.subject {
            Subject::Flag { rule } => Some(rule),
            Subject::CallEnd { .. } => None,
        }
    }
}

/// Why a backend could not show a note.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Nobody owns `org.freedesktop.Notifications` on the session bus (or there is no bus).
    #[error("no notification server on the session bus ({0})")]
    NoServer(String),
    #[error("the notification server failed: {0}")]
    Failed(String),
}

/// A way to show notes. Blocking; runs on the worker's own thread.
pub trait Backend: Send {
    /// Check that a server is there (called once when the worker starts).
    fn probe(&mut self) -> Result<(), NotifyError> {
        Ok(())
    }
    /// Show `note`, replacing the bubble `replaces` if given; returns the new bubble's id.
    fn show(&mut self, note: &Note, replaces: Option<u32>) -> Result<u32, NotifyError>;
}

/// Opens the report of a call, by call id (on the thread that received the action).
pub type ReportOpener = Arc<dyn Fn(&str) + Send + Sync>;

/// What a bubble's actions do: "Mute this rule" mutes (in the gate's one mute set), "Open
/// report" runs `open_report`. Handed to the backend when the gate starts it.
#[derive(Clone)]
pub struct Actions {
    pub mutes: Mutes,
    pub open_report: ReportOpener,
}

impl Actions {
    /// Actions on `mutes` whose "Open report" does nothing (for backends and tests that never
    /// receive it).
    pub fn mutes_only(mutes: Mutes) -> Self {
        Self {
            mutes,
            open_report: Arc::new(|_| {}),
        }
    }
}

/// Builds a backend around the bubble actions; `None`: show nothing.
pub type Open = fn(Actions) -> Option<Box<dyn Backend>>;

/// The notification backends by name.
pub const BACKENDS: &[(&str, Open)] = &[
    ("desktop", |actions| {
        Some(Box::new(desktop::Desktop::new(actions)))
    }),
    ("none", |_| None),
];

/// The backend called `name`.
pub fn find(name: &str) -> Option<Open> {
    BACKENDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::event::Practice;

    #[test]
    fn the_summary_bubble_counts_cues_and_practices() {
        let practice = |done| Practice { done, t: None };
        let summary = Summary {
            talk_share_me: 0.623,
            talk_share_them: 0.377,
            talk_s_me: 62.3,
            talk_s_them: 37.7,
            longest_monologue_s: 20.0,
            questions_me: 2,
            questions_them: 1,
            flags: BTreeMap::from([("chasing".into(), 2), ("objection".into(), 1)]),
            practices: BTreeMap::from([
                ("a".into(), practice(true)),
                ("b".into(), practice(false)),
                ("c".into(), practice(true)),
            ]),
        };
        let n = Note::call_end("2026-11-23T09-02-11Z-26bf", 252.4, &summary);
        assert_eq!(n.summary, "Call ended: 3 cues, 2 of 3 practices");
        assert_eq!(n.body, "4:12 long, you talked 62% of the time.");
        assert_eq!(n.rule(), None);
        assert_eq!(
            n.subject,
            Subject::CallEnd {
                call_id: "2026-11-23T09-02-11Z-26bf".into()
            }
        );
        let quiet = Summary {
            flags: BTreeMap::from([("chasing".into(), 1)]),
            ..summary
        };
        assert!(Note::call_end("c", 1.0, &quiet).summary.contains("1 cue,"));
    }
}
