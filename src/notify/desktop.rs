//! The freedesktop notification backend (notify-rust over the session D-Bus).
//!
//! One bubble at a time, replaced in place; urgency from the flag's severity; transient; with
//! "Mute this rule" and "Got it" actions when the server supports actions.

use std::sync::Arc;

use notify_rust::{Hint, Notification, Timeout, Urgency};

use super::{Backend, Note, NotifyError};
use crate::event::Severity;

/// Shows notes with notify-rust.
pub struct Desktop {
    actions: Option<bool>,
    on_mute: Arc<dyn Fn(&str) + Send + Sync>,
}

impl Desktop {
    /// `on_mute` is called with the rule id when the user picks "Mute this rule".
    pub fn new(on_mute: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self {
            actions: None,
            on_mute: Arc::new(on_mute),
        }
    }
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
        self.actions = Some(caps.iter().any(|c| c == "actions"));
        Ok(())
    }

    fn show(&mut self, note: &Note, replaces: Option<u32>) -> Result<u32, NotifyError> {
        if self.actions.is_none() {
            let caps = notify_rust::get_capabilities().map_err(classify)?;
            self.actions = Some(caps.iter().any(|c| c == "actions"));
        }
        let mut n = Notification::new();
        n.appname("warmcall")
            .summary(&note.summary)
            .body(&note.body)
            .urgency(match note.severity {
                Severity::Info => Urgency::Low,
                Severity::Warn => Urgency::Normal,
                Severity::Alert => Urgency::Critical,
            })
            .hint(Hint::Transient(true))
            .hint(Hint::Category("presence".into()))
            .timeout(Timeout::Milliseconds(8000));
        if let Some(id) = replaces {
            n.id(id);
        }
        if self.actions == Some(true) {
            n.action(&format!("mute:{}", note.rule), "Mute this rule")
                .action("ok", "Got it");
        }
        let handle = n.show().map_err(classify)?;
        let id = handle.id();
        if self.actions == Some(true) {
            let on_mute = self.on_mute.clone();
            // Waits for the user's choice or the bubble closing; never on the pipeline.
            let _ = std::thread::Builder::new()
                .name("warmcall-action".into())
                .spawn(move || {
                    handle.wait_for_action(|action| {
                        if let Some(rule) = action.strip_prefix("mute:") {
                            on_mute(rule);
                        }
                    })
                });
        }
        Ok(id)
    }
}
