//! Desktop notifications: a policy (`throttle`) that decides which flags become bubbles, and a
//! worker thread that shows them through a backend (`desktop`, the freedesktop notification
//! service over D-Bus), so showing a notification never blocks the pipeline.

pub mod desktop;
pub mod throttle;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError, bounded};

use crate::event::Severity;

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

/// A way to show notes. Blocking; runs on the notifier's own thread.
pub trait Backend: Send {
    /// Check that a server is there (called once when the notifier starts).
    fn probe(&mut self) -> Result<(), NotifyError> {
        Ok(())
    }
    /// Show `note`, replacing the bubble `replaces` if given; returns the new bubble's id.
    fn show(&mut self, note: &Note, replaces: Option<u32>) -> Result<u32, NotifyError>;
}

/// Shared state between the pipeline side and the worker.
#[derive(Debug, Default)]
struct Shared {
    /// Nanoseconds since `epoch` when the current `show` started; 0 when idle.
    busy_since: AtomicU64,
    unavailable: AtomicBool,
    shown: AtomicU64,
    dropped: AtomicU64,
    muted: Mutex<std::collections::BTreeSet<String>>,
}

/// Mutes a rule by id.
pub type Muter = Arc<dyn Fn(&str) + Send + Sync>;

/// How long a `show` may take before the server counts as not answering.
pub const SHOW_TIMEOUT: Duration = Duration::from_secs(3);

/// The pipeline's handle on the notifier: `offer` never blocks.
#[derive(Clone)]
pub struct Notifier {
    tx: Sender<Note>,
    shared: Arc<Shared>,
    epoch: Instant,
    warned_stuck: Arc<AtomicBool>,
}

impl Notifier {
    /// Start the worker thread around the backend `make` builds; `make` gets a callback that
    /// mutes a rule (for backends that receive the user's "Mute this rule").
    pub fn spawn(make: impl FnOnce(Muter) -> Box<dyn Backend>) -> Self {
        let (tx, rx) = bounded::<Note>(4);
        let shared = Arc::new(Shared::default());
        let mute_shared = shared.clone();
        let mut backend = make(Arc::new(move |rule: &str| {
            if let Ok(mut m) = mute_shared.muted.lock() {
                m.insert(rule.to_string());
            }
        }));
        let epoch = Instant::now();
        let worker_shared = shared.clone();
        std::thread::Builder::new()
            .name("warmcall-notify".into())
            .spawn(move || {
                let mut last_id = None;
                let mut warned = false;
                if let Err(e) = backend.probe() {
                    worker_shared.unavailable.store(true, Ordering::Release);
                    warned = true;
                    tracing::warn!(error = %e, "Cannot show desktop notifications; coaching continues in the call log.");
                }
                for note in rx.iter() {
                    let now = epoch.elapsed().as_nanos().max(1) as u64;
                    worker_shared.busy_since.store(now, Ordering::Release);
                    let result = backend.show(&note, last_id);
                    worker_shared.busy_since.store(0, Ordering::Release);
                    match result {
                        Ok(id) => {
                            last_id = Some(id);
                            worker_shared.unavailable.store(false, Ordering::Release);
                            worker_shared.shown.fetch_add(1, Ordering::Relaxed);
                            warned = false;
                        }
                        Err(e) => {
                            worker_shared.unavailable.store(true, Ordering::Release);
                            worker_shared.dropped.fetch_add(1, Ordering::Relaxed);
                            if !warned {
                                warned = true;
                                tracing::warn!(error = %e, "Cannot show desktop notifications; coaching continues in the call log.");
                            }
                        }
                    }
                }
            })
            .expect("spawn the notifier thread");
        Self {
            tx,
            shared,
            epoch,
            warned_stuck: Arc::default(),
        }
    }

    /// Whether the server is answering (not stuck in a `show` longer than `SHOW_TIMEOUT`).
    pub fn responsive(&self) -> bool {
        let since = self.shared.busy_since.load(Ordering::Acquire);
        if since == 0 {
            return true;
        }
        let busy = self.epoch.elapsed().as_nanos() as u64 - since;
        let ok = busy < SHOW_TIMEOUT.as_nanos() as u64;
        if !ok && !self.warned_stuck.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "The notification server is not answering; notifications are skipped until it does."
            );
        }
        if ok {
            self.warned_stuck.store(false, Ordering::Release);
        }
        ok
    }

    /// Hand a note to the worker without waiting. Returns whether it will be shown: false when
    /// the server is stuck, known to be missing, or the queue is full. (A note for a missing
    /// server is still handed over, so the worker notices when one appears.)
    pub fn offer(&self, note: Note) -> bool {
        if !self.responsive() {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let available = !self.unavailable();
        match self.tx.try_send(note) {
            Ok(()) => available,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The last attempt found no server.
    pub fn unavailable(&self) -> bool {
        self.shared.unavailable.load(Ordering::Acquire)
    }

    pub fn is_muted(&self, rule: &str) -> bool {
        self.shared
            .muted
            .lock()
            .map(|m| m.contains(rule))
            .unwrap_or(false)
    }

    /// Mute a rule for the rest of the daemon's life (the "Mute this rule" action).
    pub fn mute(&self, rule: &str) {
        if let Ok(mut m) = self.shared.muted.lock() {
            m.insert(rule.to_string());
        }
    }

    /// (shown, dropped) counters.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.shared.shown.load(Ordering::Relaxed),
            self.shared.dropped.load(Ordering::Relaxed),
        )
    }
}
