//! Desktop notifications. The `gate` decides which flags become bubbles and owns the
//! `worker` thread that shows them through a `Backend` (`desktop`: the freedesktop
//! notification service over D-Bus), so showing a notification never blocks the pipeline.
//! Backends are found by name in `BACKENDS`.

pub mod desktop;
pub mod gate;
pub mod worker;

use crate::event::Severity;
use gate::Mutes;

/// One bubble to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub rule: String,
    pub summary: String,
    pub body: String,
    pub severity: Severity,
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

/// Builds a backend around the gate's mute set; `None`: show nothing.
pub type Open = fn(Mutes) -> Option<Box<dyn Backend>>;

/// The notification backends by name.
pub const BACKENDS: &[(&str, Open)] = &[
    ("desktop", |mutes| {
        Some(Box::new(desktop::Desktop::new(move |rule| mutes.add(rule))))
    }),
    ("none", |_| None),
];

/// The backend called `name`.
pub fn find(name: &str) -> Option<Open> {
    BACKENDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
