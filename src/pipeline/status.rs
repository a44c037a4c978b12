//! What `warmcall ctl status` reports, gathered from the hub's state, the counters the threads
//! share and the notification gate. Holds no transcript text.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;

use super::messages::{RunStats, Shared};
use super::session::{CallInfo, ms};
use crate::control::{Status, StatusFlag};
use crate::event::Flag;
use crate::notify::gate::Health;

/// Flags `status` lists.
const RECENT_FLAGS: usize = 10;

/// What a run is, for `status`: set once when the pipeline is built.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// "live" or "file" (the `source` of `call_start`).
    pub source: &'static str,
    /// The devices or file in use.
    pub devices: Vec<String>,
    pub model: String,
}

/// The hub's state as `status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Idle,
    InCall,
    Paused,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::InCall => "in_call",
            State::Paused => "paused",
        }
    }
}

/// The hub's record of the run for `status`: what it is, its counters, the last flags.
#[derive(Debug, Default)]
pub struct Board {
    pub info: RunInfo,
    pub stats: RunStats,
    recent: VecDeque<StatusFlag>,
}

impl Board {
    pub fn new(info: RunInfo) -> Self {
        Self {
            info,
            ..Self::default()
        }
    }

    /// Note a flag after the gate decided on it.
    pub fn flag(&mut self, f: &Flag) {
        self.recent.push_back(StatusFlag {
            rule: f.rule.clone(),
            t: f.t,
            notified: f.notified,
        });
        if self.recent.len() > RECENT_FLAGS {
            self.recent.pop_front();
        }
    }

    /// The status answer. `call`: the call in progress and its length so far.
    pub fn status(
        &self,
        state: State,
        call: Option<(&CallInfo, f64)>,
        shared: &Shared,
        notify: &Health,
    ) -> Status {
        let (capture_seconds, audio) = shared.audio_account();
        Status {
            state: state.as_str().into(),
            call_id: call.map(|(c, _)| c.call_id.clone()),
            call_seconds: call.map(|(_, secs)| secs),
            source: self.info.source.into(),
            devices: self.info.devices.clone(),
            model: self.info.model.clone(),
            last_flags: self.recent.iter().cloned().collect(),
            phrases: self.stats.phrases,
            gaps: self.stats.dropped,
            dropped_samples: shared.dropped_samples.load(Ordering::Relaxed),
            xruns: shared.xruns.load(Ordering::Relaxed),
            capture_seconds: ms(capture_seconds),
            audio_seconds: audio.into_iter().map(|(s, t)| (s, ms(t))).collect(),
            notifications_shown: notify.shown,
            notifications_skipped: notify.skipped,
            notification_server: notify.server.into(),
            recognition_behind_seconds: ms(shared.asr_behind().as_secs_f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Severity, Speaker};

    fn flag(i: usize) -> Flag {
        Flag {
            t: i as f64,
            rule: format!("r{i}"),
            speaker: Speaker::Me,
            severity: Severity::Warn,
            evidence: "secret words".into(),
            suggestion: String::new(),
            title: String::new(),
            notified: i.is_multiple_of(2),
        }
    }

    #[test]
    fn status_keeps_the_last_ten_flags_and_no_words() {
        let mut b = Board::new(RunInfo {
            source: "live",
            devices: vec!["me: Mic".into()],
            model: "tiny.en".into(),
        });
        for i in 0..12 {
            b.flag(&flag(i));
        }
        b.stats.phrases = 7;
        let shared = Shared::default();
        shared.xruns.store(3, Ordering::Relaxed);
        let health = Health {
            shown: 2,
            skipped: 1,
            server: "ok",
        };
        let info = CallInfo {
            call_id: "c1".into(),
            wall: String::new(),
        };
        let s = b.status(State::InCall, Some((&info, 12.5)), &shared, &health);
        assert_eq!(s.state, "in_call");
        assert_eq!(s.call_id.as_deref(), Some("c1"));
        assert_eq!(s.call_seconds, Some(12.5));
        assert_eq!(s.last_flags.len(), 10);
        assert_eq!(s.last_flags[0].rule, "r2");
        assert_eq!((s.phrases, s.xruns, s.notifications_shown), (7, 3, 2));
        assert_eq!(s.notification_server, "ok");
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("secret"), "{json}");
        let idle = b.status(State::Idle, None, &shared, &health);
        assert_eq!((idle.state.as_str(), idle.call_id), ("idle", None));
    }
}
