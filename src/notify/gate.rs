//! The notification gate: the one place that decides which flags become bubbles, and the owner
//! of the backend's worker thread.
//!
//! A flag reaches the gate with `notified` saying whether its rule's own cooldown let it
//! through (the rule engine decides that). The gate then applies, in order: pause, the user's
//! mutes (one set: the "Mute this rule" action and anything muted through `mute`), quiet
//! mode, and the global minimum interval between bubbles in call time; a flag that passes all
//! of them is offered to the worker, and counts as notified only if the worker takes it.
//!
//! When a call ends while the daemon goes on, the gate offers the call's summary bubble
//! ("Open report"), unless paused, in quiet mode, or the call was too short to be one.

use super::worker::Worker;
use super::{Actions, Backend, Note};
use crate::config::Config;
use crate::event::{Flag, Summary};

pub use super::mutes::Mutes;

/// A call with less speech than this (both sides, seconds) gets no summary bubble: a cough or
/// a word to a colleague opens a "call" too.
pub const MIN_TALK_FOR_SUMMARY: f64 = 5.0;

/// Notification settings (from the config; a reload replaces them).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// No bubbles at all (flags are still logged).
    pub quiet: bool,
    /// Seconds of call time between any two bubbles.
    pub min_interval: f64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            quiet: false,
            min_interval: crate::config::DEFAULT_MIN_INTERVAL,
        }
    }
}

impl Policy {
    /// The policy `cfg` sets.
    pub fn of(cfg: &Config) -> Self {
        Self {
            quiet: cfg.quiet,
            min_interval: cfg.min_interval,
        }
    }
}

/// Builds a backend around the bubble actions; `None` shows nothing (headless).
pub type MakeBackend = Box<dyn FnOnce(Actions) -> Option<Box<dyn Backend>> + Send>;

/// How the notification side is doing, for `ctl status`.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub shown: u64,
    pub skipped: u64,
    /// "off", "unavailable", "not answering" or "ok".
    pub server: &'static str,
}

/// Throttle, mutes, quiet mode and pause in front of the backend's worker.
pub struct Gate {
    policy: Policy,
    /// Call time of the last bubble of this call.
    last_bubble: Option<f64>,
    mutes: Mutes,
    paused: bool,
    worker: Option<Worker>,
}

impl Gate {
    /// A gate with the backend `make` builds around `actions` (its worker thread starts now).
    pub fn start(policy: Policy, actions: Actions, make: MakeBackend) -> Self {
        let mutes = actions.mutes.clone();
        let worker = make(actions).map(Worker::spawn);
        Self {
            policy,
            last_bubble: None,
            mutes,
            paused: false,
            worker,
        }
    }

    /// A gate that shows nothing (flags are still decided, and never notified).
    pub fn off(policy: Policy) -> Self {
        Self::start(
            policy,
            Actions::mutes_only(Mutes::default()),
            Box::new(|_| None),
        )
    }

    /// Decide whether `flag` becomes a bubble, offer it, and set `flag.notified` to whether it
    /// will be shown.
    pub fn pass(&mut self, flag: &mut Flag) {
        flag.notified = self.allow(&flag.rule, flag.t, flag.notified)
            && self
                .worker
                .as_ref()
                .is_some_and(|w| w.offer(Note::flag(flag)));
    }

    /// The call `call_id` ended after `length` seconds with `summary`: offer its summary
    /// bubble. Returns whether it will be shown (not while paused, in quiet mode, or for a
    /// call with under `MIN_TALK_FOR_SUMMARY` seconds of speech).
    pub fn call_ended(&mut self, call_id: &str, length: f64, summary: &Summary) -> bool {
        if self.paused || self.policy.quiet || summary.talk_seconds() < MIN_TALK_FOR_SUMMARY {
            return false;
        }
        self.worker
            .as_ref()
            .is_some_and(|w| w.offer(Note::call_end(call_id, length, summary)))
    }

    /// The policy decision for a flag of `rule` at call time `t` that passed its own cooldown
    /// (`cooled_down`); records the bubble when it says yes.
    fn allow(&mut self, rule: &str, t: f64, cooled_down: bool) -> bool {
        if self.paused || self.mutes.contains(rule) {
            return false;
        }
        if !cooled_down || self.policy.quiet {
            return false;
        }
        if self
            .last_bubble
            .is_some_and(|l| t - l < self.policy.min_interval && t >= l)
        {
            return false;
        }
        self.last_bubble = Some(t);
        true
    }

    /// A new call starts with no bubble history.
    pub fn new_call(&mut self) {
        self.last_bubble = None;
    }

    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// While paused nothing is shown.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// The mute set (shared with the backend).
    pub fn mutes(&self) -> &Mutes {
        &self.mutes
    }

    pub fn health(&self) -> Health {
        let (shown, skipped) = self.worker.as_ref().map_or((0, 0), Worker::counts);
        let server = match &self.worker {
            None => "off",
            Some(w) if w.unavailable() => "unavailable",
            Some(w) if !w.responsive() => "not answering",
            Some(_) => "ok",
        };
        Health {
            shown,
            skipped,
            server,
        }
    }

    /// Stop the worker thread (see `Worker::shutdown`).
    pub fn shutdown(self) {
        if let Some(w) = self.worker {
            w.shutdown();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Severity, Speaker};
    use crate::notify::NotifyError;
    use std::sync::{Arc, Mutex};

    /// Records every note shown; "Mute this rule" is pressed on rules named `press-mute`.
    struct Recorder {
        shown: Arc<Mutex<Vec<Note>>>,
        mutes: Mutes,
        missing: bool,
    }

    impl Backend for Recorder {
        fn probe(&mut self) -> Result<(), NotifyError> {
            if self.missing {
                return Err(NotifyError::NoServer("test".into()));
            }
            Ok(())
        }

        fn show(&mut self, note: &Note, _replaces: Option<u32>) -> Result<u32, NotifyError> {
            if self.missing {
                return Err(NotifyError::NoServer("test".into()));
            }
            if note.rule() == Some("press-mute") {
                self.mutes.add("press-mute");
            }
            let mut shown = self.shown.lock().unwrap();
            shown.push(note.clone());
            Ok(shown.len() as u32)
        }
    }

    fn recording(policy: Policy, missing: bool) -> (Gate, Arc<Mutex<Vec<Note>>>) {
        let shown: Arc<Mutex<Vec<Note>>> = Arc::default();
        let s = shown.clone();
        let gate = Gate::start(
            policy,
            Actions::mutes_only(Mutes::default()),
            Box::new(move |actions: Actions| {
                Some(Box::new(Recorder {
                    shown: s,
                    mutes: actions.mutes,
                    missing,
                }) as Box<dyn Backend>)
            }),
        );
        (gate, shown)
    }

    fn flag(rule: &str, t: f64, cooled: bool) -> Flag {
        Flag {
            t,
            rule: rule.into(),
            speaker: Speaker::Me,
            severity: Severity::Warn,
            evidence: "words".into(),
            suggestion: format!("advice for {rule}"),
            title: format!("title of {rule}"),
            notified: cooled,
        }
    }

    /// Wait (at most 10 s) for the worker thread to catch up.
    fn wait_until(mut f: impl FnMut() -> bool) {
        let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !f() && std::time::Instant::now() < end {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(f(), "the worker did not catch up");
    }

    fn pass(gate: &mut Gate, rule: &str, t: f64, cooled: bool) -> bool {
        let mut f = flag(rule, t, cooled);
        gate.pass(&mut f);
        f.notified
    }

    #[test]
    fn global_interval_quiet_and_mute() {
        let (mut g, shown) = recording(Policy::default(), false);
        assert!(pass(&mut g, "chasing", 1.0, true));
        assert!(
            !pass(&mut g, "objection", 5.0, true),
            "within 10 s of the last bubble"
        );
        assert!(pass(&mut g, "objection", 11.5, true));
        assert!(
            !pass(&mut g, "chasing", 40.0, false),
            "rule still cooling down"
        );
        g.mutes().add("chasing");
        assert!(!pass(&mut g, "chasing", 60.0, true));
        g.set_policy(Policy {
            quiet: true,
            ..Policy::default()
        });
        assert!(!pass(&mut g, "objection", 90.0, true));
        g.shutdown();
        let shown = shown.lock().unwrap();
        let rules: Vec<&str> = shown.iter().filter_map(|n| n.rule()).collect();
        assert_eq!(rules, ["chasing", "objection"]);
        assert_eq!(shown[0].summary, "title of chasing");
        assert_eq!(shown[0].body, "advice for chasing");
    }

    #[test]
    fn the_mute_action_mutes_the_rule_for_later_flags() {
        let (mut g, shown) = recording(
            Policy {
                quiet: false,
                min_interval: 0.0,
            },
            false,
        );
        assert!(pass(&mut g, "press-mute", 1.0, true));
        // The action arrives on the worker thread; wait for the bubble to be shown.
        wait_until(|| !shown.lock().unwrap().is_empty());
        assert_eq!(g.mutes().list(), ["press-mute"]);
        assert!(!pass(&mut g, "press-mute", 30.0, true));
        assert!(pass(&mut g, "chasing", 30.0, true));
        g.shutdown();
    }

    #[test]
    fn a_new_call_and_pause() {
        let (mut g, _) = recording(Policy::default(), false);
        assert!(pass(&mut g, "chasing", 100.0, true));
        g.new_call();
        assert!(
            pass(&mut g, "chasing", 1.0, true),
            "a new call has no history"
        );
        g.set_paused(true);
        assert!(!pass(&mut g, "objection", 50.0, true));
        g.set_paused(false);
        assert!(pass(&mut g, "objection", 50.0, true));
        wait_until(|| g.health().shown == 3);
        g.shutdown();
    }

    fn summary(talk: f64) -> Summary {
        Summary {
            talk_share_me: 0.5,
            talk_share_them: 0.5,
            talk_s_me: talk / 2.0,
            talk_s_them: talk / 2.0,
            longest_monologue_s: 0.0,
            questions_me: 0,
            questions_them: 0,
            flags: Default::default(),
            practices: Default::default(),
        }
    }

    #[test]
    fn a_call_summary_is_shown_unless_paused_quiet_or_too_short() {
        let (mut g, shown) = recording(Policy::default(), false);
        assert!(g.call_ended("c1", 60.0, &summary(40.0)));
        assert!(!g.call_ended("c2", 5.0, &summary(3.0)), "too short");
        g.set_paused(true);
        assert!(!g.call_ended("c3", 60.0, &summary(40.0)), "paused");
        g.set_paused(false);
        g.set_policy(Policy {
            quiet: true,
            ..Policy::default()
        });
        assert!(!g.call_ended("c4", 60.0, &summary(40.0)), "quiet");
        g.shutdown();
        let shown = shown.lock().unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(
            shown[0].subject,
            crate::notify::Subject::CallEnd {
                call_id: "c1".into()
            }
        );
    }

    #[test]
    fn without_a_backend_nothing_is_notified() {
        let mut g = Gate::off(Policy::default());
        assert!(!pass(&mut g, "chasing", 1.0, true));
        assert_eq!(
            g.health(),
            Health {
                shown: 0,
                skipped: 0,
                server: "off"
            }
        );
        g.shutdown();
    }

    #[test]
    fn a_missing_server_is_reported_and_flags_are_not_notified() {
        let (mut g, shown) = recording(Policy::default(), true);
        // The probe runs on the worker thread: wait until it has found no server.
        wait_until(|| g.health().server == "unavailable");
        assert!(!pass(&mut g, "chasing", 1.0, true));
        g.shutdown();
        assert!(shown.lock().unwrap().is_empty());
    }
}
