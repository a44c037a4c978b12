//! How the hub answers control commands (from the socket, signals and the config watcher):
//! status, pause, resume, end-call, and reload, which runs a `Reloader`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::hub::Hub;
use crate::config::Config;
use crate::control::Command;
use crate::notify::gate::Policy;
use crate::rules::CompiledRules;

/// Reloads rules and notification policy from disk; the error names file, line and column.
pub type Reloader = Box<dyn FnMut() -> Result<(Arc<CompiledRules>, Policy), String> + Send>;

/// Reload from the config file (`path`, or the per-user one) and its rules directory. Settings
/// that only a restart applies are named in a warning.
pub fn config_reloader(path: Option<PathBuf>, running: Config) -> Reloader {
    Box::new(move || {
        let cfg = Config::load(path.as_deref()).map_err(|e| e.to_string())?;
        let stale = running.restart_needed(&cfg);
        if !stale.is_empty() {
            tracing::warn!(
                settings = %stale.join(", "),
                "These changed settings apply when warmcall restarts."
            );
        }
        let rules = crate::rules::load(&cfg).map_err(|e| e.to_string())?;
        Ok((rules, Policy::of(&cfg)))
    })
}

const OK: &str = r#"{"ok":true}"#;

impl Hub {
    /// Carry out `cmd`; the answer is one JSON object.
    pub(super) fn control(&mut self, cmd: Command) -> String {
        match cmd {
            Command::Status => {
                let call = self.call.as_ref().map(|c| (c.info(), c.at(self.now)));
                let status =
                    self.board
                        .status(self.state(), call, &self.shared, &self.gate.health());
                serde_json::to_string(&status).expect("status serialises")
            }
            Command::Pause => {
                self.close_call(self.now);
                self.set_paused(true);
                OK.into()
            }
            Command::Resume => {
                self.set_paused(false);
                OK.into()
            }
            Command::EndCall if self.call.is_none() => {
                r#"{"ok":true,"detail":"no call in progress"}"#.into()
            }
            Command::EndCall => {
                self.end_call(self.now);
                OK.into()
            }
            Command::Reload => self.reload(),
        }
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.gate.set_paused(paused);
        self.shared.paused.store(paused, Ordering::Release);
    }

    fn reload(&mut self) -> String {
        match self.reloader.as_mut().map(|r| r()) {
            None => r#"{"ok":false,"error":"reload is not available"}"#.into(),
            Some(Err(e)) => {
                tracing::error!(error = %e, "Config reload refused; the running config stays.");
                serde_json::json!({"ok": false, "error": e}).to_string()
            }
            Some(Ok((rules, policy))) => {
                tracing::info!("Config reloaded.");
                self.rules = rules.clone();
                self.gate.set_policy(policy);
                if let Some(c) = self.call.as_mut() {
                    c.reload(rules);
                }
                OK.into()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Status;
    use crate::event::{Event, Speaker};
    use crate::frontend::SpeechMark;
    use crate::notify::gate::Gate;
    use crate::notify::gate::Mutes;
    use crate::notify::{Actions, Backend, Note, NotifyError, Subject};
    use crate::pipeline::hub::HubParts;
    use crate::pipeline::messages::{Msg, Shared};
    use crate::pipeline::session::Sessions;
    use crate::pipeline::status::RunInfo;
    use crate::sink::Callback;
    use std::sync::Mutex;

    /// A live hub whose events land in a vector; `reload` gives `quiet` mode or an error.
    fn hub(reload_ok: bool) -> (Hub, Arc<Mutex<Vec<Event>>>) {
        hub_with(reload_ok, Gate::off(Policy::default()))
    }

    fn hub_with(reload_ok: bool, gate: Gate) -> (Hub, Arc<Mutex<Vec<Event>>>) {
        let events: Arc<Mutex<Vec<Event>>> = Arc::default();
        let e = events.clone();
        let parts = HubParts {
            rules: CompiledRules::builtin(),
            sinks: vec![Box::new(Callback(move |ev: &Event| {
                e.lock().unwrap().push(ev.clone())
            }))],
            call_sinks: Box::new(|_| Ok(Vec::new())),
            sessions: Sessions::Auto { end_after: 30.0 },
            gate,
            reloader: Some(Box::new(move || {
                if reload_ok {
                    let quiet = Policy {
                        quiet: true,
                        ..Policy::default()
                    };
                    Ok((CompiledRules::builtin(), quiet))
                } else {
                    Err("rules.d/bad.toml:3:12: cooldown must be 0 or more".into())
                }
            })),
            info: RunInfo {
                source: "live",
                ..RunInfo::default()
            },
            heartbeat: None,
            redaction: super::super::redaction::Redaction { on: true },
        };
        (Hub::new(parts, Arc::new(Shared::default())), events)
    }

    fn status(h: &mut Hub) -> Status {
        serde_json::from_str(&h.control(Command::Status)).unwrap()
    }

    fn speak(h: &mut Hub, start: f64, end: f64) {
        h.handle(Msg::Speech {
            speaker: Speaker::Me,
            mark: SpeechMark {
                start,
                end,
                ongoing: false,
            },
        });
    }

    #[test]
    fn pause_ends_the_call_and_hears_nothing_until_resume() {
        let (mut h, events) = hub(true);
        assert_eq!(status(&mut h).state, "idle");
        assert_eq!(
            h.control(Command::EndCall),
            r#"{"ok":true,"detail":"no call in progress"}"#
        );
        speak(&mut h, 1.0, 2.0);
        let s = status(&mut h);
        assert_eq!(s.state, "in_call");
        assert!(s.call_id.is_some());
        assert_eq!(h.control(Command::Pause), OK);
        assert!(h.shared.paused.load(Ordering::Acquire));
        assert_eq!(status(&mut h).state, "paused");
        speak(&mut h, 3.0, 4.0);
        assert!(h.call.is_none(), "no call opens while paused");
        assert_eq!(h.control(Command::Resume), OK);
        assert!(!h.shared.paused.load(Ordering::Acquire));
        speak(&mut h, 5.0, 6.0);
        assert_eq!(h.control(Command::EndCall), OK);
        let events = events.lock().unwrap();
        let starts = events
            .iter()
            .filter(|e| matches!(e, Event::CallStart { .. }))
            .count();
        let ends = events
            .iter()
            .filter(|e| matches!(e, Event::CallEnd { .. }))
            .count();
        assert_eq!((starts, ends), (2, 2));
    }

    #[test]
    fn reload_applies_a_valid_config_and_keeps_the_running_one_otherwise() {
        let (mut h, _) = hub(true);
        assert_eq!(h.control(Command::Reload), OK);
        assert!(h.gate.policy().quiet);
        let (mut h, _) = hub(false);
        let answer = h.control(Command::Reload);
        assert!(
            answer.contains(r#""ok":false"#) && answer.contains("bad.toml:3:12"),
            "{answer}"
        );
        assert!(!h.gate.policy().quiet);
        h.reloader = None;
        assert_eq!(
            h.control(Command::Reload),
            r#"{"ok":false,"error":"reload is not available"}"#
        );
    }

    /// A gate whose backend records the subjects of the bubbles it shows.
    fn recording_gate() -> (Gate, Arc<Mutex<Vec<Subject>>>) {
        struct Recorder(Arc<Mutex<Vec<Subject>>>);
        impl Backend for Recorder {
            fn show(&mut self, note: &Note, _: Option<u32>) -> Result<u32, NotifyError> {
                self.0.lock().unwrap().push(note.subject.clone());
                Ok(1)
            }
        }
        let shown: Arc<Mutex<Vec<Subject>>> = Arc::default();
        let s = shown.clone();
        let gate = Gate::start(
            Policy::default(),
            Actions::mutes_only(Mutes::default()),
            Box::new(move |_| Some(Box::new(Recorder(s)) as Box<dyn Backend>)),
        );
        (gate, shown)
    }

    #[test]
    fn end_call_offers_the_summary_bubble_and_pause_does_not() {
        let (gate, shown) = recording_gate();
        let (mut h, events) = hub_with(true, gate);
        speak(&mut h, 1.0, 20.0);
        assert_eq!(h.control(Command::Pause), OK);
        assert_eq!(h.control(Command::Resume), OK);
        speak(&mut h, 30.0, 50.0);
        assert_eq!(h.control(Command::EndCall), OK);
        speak(&mut h, 60.0, 61.0);
        assert_eq!(h.control(Command::EndCall), OK);
        std::mem::replace(&mut h.gate, Gate::off(Policy::default())).shutdown();
        let ids: Vec<String> = events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                Event::CallStart { call_id, .. } => Some(call_id.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(ids.len(), 3);
        assert_eq!(
            *shown.lock().unwrap(),
            [Subject::CallEnd {
                call_id: ids[1].clone()
            }],
            "the paused call and the one-second call get none"
        );
    }
}
