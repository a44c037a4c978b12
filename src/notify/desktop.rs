//! The freedesktop notification backend (notify-rust over the session D-Bus).
//!
//! One bubble at a time, replaced in place. A cue's bubble: urgency from the flag's severity,
//! transient, with "Mute this rule" and "Got it" when the server supports actions. A call's
//! summary bubble: normal urgency, not transient, shown longer, with "Open report". Each
//! bubble's action waiter acts only on its own action keys, so a bubble replaced in place
//! (same id) cannot trigger another's action.

use notify_rust::{Hint, Notification, Timeout, Urgency};

use super::{Actions, Backend, Note, NotifyError, Subject};
use crate::event::Severity;

/// How long a cue's bubble stays up.
const CUE_TIMEOUT_MS: u32 = 8_000;
/// How long a call's summary bubble stays up (time to reach for "Open report").
const SUMMARY_TIMEOUT_MS: u32 = 30_000;

/// Shows notes with notify-rust.
pub struct Desktop {
    /// Whether the server supports actions (asked once).
    supports_actions: Option<bool>,
    actions: Actions,
}

impl Desktop {
    /// `actions` receive "Mute this rule" and "Open report".
    pub fn new(actions: Actions) -> Self {
        Self {
            supports_actions: None,
            actions,
        }
    }

    /// The bubble's actions, and what the first one does.
    fn actions_of(&self, note: &Note) -> BubbleActions {
        match &note.subject {
            Subject::Flag { rule } => {
                let (mutes, rule) = (self.actions.mutes.clone(), rule.clone());
                BubbleActions {
                    keys: vec![
                        (format!("mute:{rule}"), "Mute this rule"),
                        ("ok".into(), "Got it"),
                    ],
                    first: Box::new(move || mutes.add(&rule)),
                }
            }
            Subject::CallEnd { call_id } => {
                let (open, id) = (self.actions.open_report.clone(), call_id.clone());
                BubbleActions {
                    keys: vec![(format!("report:{call_id}"), "Open report")],
                    first: Box::new(move || open(&id)),
                }
            }
        }
    }
}

/// A bubble's actions: (key, label) pairs, and what the first one does when picked.
struct BubbleActions {
    keys: Vec<(String, &'static str)>,
    first: Box<dyn Fn() + Send>,
}

fn classify(e: notify_rust::error::Error) -> NotifyError {
    let text = e.to_string();
    if text.contains("ServiceUnknown")
        || text.contains("was not provided by any .service files")
        || text.contains("DBUS_SESSION_BUS_ADDRESS")
        || text.contains("No such file")
        || text.contains("Connection refused")
        || text.contains("address")
    {
        NotifyError::NoServer(text)
    } else {
        NotifyError::Failed(text)
    }
}

impl Backend for Desktop {
    fn probe(&mut self) -> Result<(), NotifyError> {
        let caps = notify_rust::get_capabilities().map_err(classify)?;
        self.supports_actions = Some(caps.iter().any(|c| c == "actions"));
        Ok(())
    }

    fn show(&mut self, note: &Note, replaces: Option<u32>) -> Result<u32, NotifyError> {
        if self.supports_actions.is_none() {
            self.probe()?;
        }
        let summary_bubble = matches!(note.subject, Subject::CallEnd { .. });
        let mut n = Notification::new();
        n.appname("warmcall")
            .summary(&note.summary)
            .body(&note.body)
            .urgency(match note.severity {
                // A low-urgency bubble is not shown as a banner by some servers (GNOME).
                _ if summary_bubble => Urgency::Normal,
                Severity::Info => Urgency::Low,
                Severity::Warn => Urgency::Normal,
                Severity::Alert => Urgency::Critical,
            })
            .hint(Hint::Transient(!summary_bubble))
            .hint(Hint::Category("presence".into()))
            .timeout(Timeout::Milliseconds(if summary_bubble {
                SUMMARY_TIMEOUT_MS
            } else {
                CUE_TIMEOUT_MS
            }));
        if let Some(id) = replaces {
            n.id(id);
        }
        let with_actions = self.supports_actions == Some(true);
        let BubbleActions { keys, first } = self.actions_of(note);
        if with_actions {
            for (key, label) in &keys {
                n.action(key, label);
            }
        } else if summary_bubble {
            n.body(&format!(
                "{} `warmcall report --last --open` shows the report.",
                note.body
            ));
        }
        let handle = n.show().map_err(classify)?;
        let id = handle.id();
        if with_actions {
            let key = keys.into_iter().next().map(|(k, _)| k).unwrap_or_default();
            // Waits for the user's choice or the bubble closing; never on the pipeline.
            let _ = std::thread::Builder::new()
                .name("warmcall-action".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if action == key {
                            first();
                        }
                    })
                });
        }
        Ok(id)
    }
}
