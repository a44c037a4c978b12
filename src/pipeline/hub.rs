//! The hub: the single consumer of pipeline messages. It owns call sessions (each with its own
//! rule engine and call log), stamps call time, decides which flags become notifications,
//! answers control commands, and writes every event to every sink. A sink that fails is
//! reported once and the others keep going.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossbeam_channel::Receiver;

use super::clock::{self, AudioClock};
use super::control::{Command, Status, StatusFlag};
use super::{Msg, RunStats, Shared};
use crate::event::{Event, Flag, Summary, Utterance};
use crate::frontend::SpeechMark;
use crate::notify::throttle::{Policy, Throttle};
use crate::notify::{Note, Notifier};
use crate::rules::{CompiledRules, Engine, Input};
use crate::sink::EventSink;

/// Round a time to the millisecond, so the log reads `12.928`, not `12.928000000000001`.
fn ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

/// Identity of the call being run.
#[derive(Debug, Clone)]
pub struct CallInfo {
    pub call_id: String,
    /// UTC wall time of the start, RFC 3339.
    pub wall: String,
}

impl CallInfo {
    /// A fresh call id and its wall-clock start.
    pub fn now() -> Self {
        let now = clock::unix_now();
        Self {
            call_id: clock::call_id(now, clock::nonce()),
            wall: clock::rfc3339(now),
        }
    }
}

/// How the run is cut into calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sessions {
    /// One call from the first audio to the end of input (a file).
    Single,
    /// Live: a call starts when speech appears and ends after `end_after` seconds without
    /// speech (or on command).
    Auto { end_after: f64 },
}

/// Opens the per-call sinks (the call log) when a call starts.
pub type CallSinks = Box<dyn FnMut(&CallInfo) -> std::io::Result<Vec<Box<dyn EventSink>>> + Send>;

/// Reloads rules and policy from disk (`ctl reload`, SIGHUP, file watcher).
pub type Reloader = Box<dyn FnMut() -> Result<(Arc<CompiledRules>, Policy), String> + Send>;

/// Everything the hub needs besides the message stream.
pub struct HubParts {
    pub rules: Arc<CompiledRules>,
    pub sinks: Vec<Box<dyn EventSink>>,
    pub call_sinks: CallSinks,
    pub sessions: Sessions,
    /// Stamp with the audio clock (live, --realtime); else with the end of speech.
    pub clock: Option<AudioClock>,
    pub notifier: Option<Notifier>,
    pub policy: Policy,
    pub reloader: Option<Reloader>,
    pub source: &'static str,
    /// Devices and model, for `status`.
    pub devices: Vec<String>,
    pub model: String,
    /// Called on every tick with whether the pipeline looks alive (the systemd watchdog).
    pub heartbeat: Option<Box<dyn FnMut(bool) + Send>>,
}

struct Session {
    info: CallInfo,
    offset: f64,
    engine: Engine,
    sinks: Vec<Box<dyn EventSink>>,
    failed: Vec<bool>,
}

/// Hub state for one run.
pub struct Hub {
    parts: HubParts,
    failed: Vec<bool>,
    session: Option<Session>,
    throttle: Throttle,
    flags: Vec<Flag>,
    stats: RunStats,
    last_speech: f64,
    now: f64,
    paused: bool,
    last_flags: Vec<StatusFlag>,
    shared: Arc<Shared>,
    pending_asr: i64,
}

impl Hub {
    pub fn new(parts: HubParts, shared: Arc<Shared>) -> Self {
        Self {
            failed: vec![false; parts.sinks.len()],
            parts,
            session: None,
            throttle: Throttle::default(),
            flags: Vec::new(),
            stats: RunStats::default(),
            last_speech: 0.0,
            now: 0.0,
            paused: false,
            last_flags: Vec::new(),
            shared,
            pending_asr: 0,
        }
    }

    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    fn write_all(sinks: &mut [Box<dyn EventSink>], failed: &mut [bool], event: &Event) {
        for (sink, failed) in sinks.iter_mut().zip(failed.iter_mut()) {
            if let Err(e) = sink.write(event)
                && !*failed
            {
                *failed = true;
                tracing::error!(sink = sink.name(), error = %e, "Cannot write the event log; other outputs continue.");
            }
        }
    }

    fn finish_all(sinks: &mut [Box<dyn EventSink>], failed: &[bool]) {
        for (sink, failed) in sinks.iter_mut().zip(failed) {
            if let Err(e) = sink.finish()
                && !*failed
            {
                tracing::error!(sink = sink.name(), error = %e, "Cannot finish the event log.");
            }
        }
    }

    fn emit(&mut self, event: &Event) {
        Self::write_all(&mut self.parts.sinks, &mut self.failed, event);
        if let Some(s) = self.session.as_mut() {
            Self::write_all(&mut s.sinks, &mut s.failed, event);
        }
    }

    fn open_session(&mut self, offset: f64) {
        let info = CallInfo::now();
        let sinks = match (self.parts.call_sinks)(&info) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "Cannot create the call log; the call is still coached and printed.");
                Vec::new()
            }
        };
        self.throttle.reset();
        self.session = Some(Session {
            failed: vec![false; sinks.len()],
            sinks,
            engine: Engine::new(self.parts.rules.clone()),
            offset,
            info: info.clone(),
        });
        self.emit(&Event::CallStart {
            t: 0.0,
            call_id: info.call_id,
            wall: info.wall,
            source: self.parts.source.into(),
        });
    }

    fn close_session(&mut self, end: f64) {
        let Some(s) = self.session.as_ref() else {
            return;
        };
        let summary = s.engine.summary();
        let t = ms((end - s.offset).max(0.0));
        self.emit(&Event::CallEnd { t, summary });
        if let Some(mut s) = self.session.take() {
            Self::finish_all(&mut s.sinks, &s.failed);
        }
    }

    /// The session for audio at `t`, opening one in live mode if needed.
    fn ensure_session(&mut self, t: f64) -> bool {
        if self.session.is_none() && !self.paused {
            match self.parts.sessions {
                Sessions::Auto { .. } => self.open_session((t - 0.5).max(0.0)),
                Sessions::Single => self.open_session(0.0),
            }
        }
        self.session.is_some()
    }

    fn decide_notifications(&mut self) {
        let mut flags = std::mem::take(&mut self.flags);
        for f in &mut flags {
            let cooled = f.notified;
            let muted_by_user = self
                .parts
                .notifier
                .as_ref()
                .is_some_and(|n| n.is_muted(&f.rule));
            let allowed = !muted_by_user
                && self
                    .throttle
                    .allow(&self.parts.policy, &f.rule, f.t, cooled);
            f.notified = allowed
                && self.parts.notifier.as_ref().is_some_and(|n| {
                    n.offer(Note {
                        rule: f.rule.clone(),
                        summary: f.title.clone(),
                        body: f.suggestion.clone(),
                        severity: f.severity,
                    })
                });
            self.last_flags.push(StatusFlag {
                rule: f.rule.clone(),
                t: f.t,
                notified: f.notified,
            });
            if self.last_flags.len() > 10 {
                self.last_flags.remove(0);
            }
        }
        for f in &flags {
            self.emit(&Event::Flag(f.clone()));
        }
        flags.clear();
        self.flags = flags;
    }

    fn speech(&mut self, speaker: crate::event::Speaker, mark: SpeechMark) {
        self.last_speech = self.last_speech.max(mark.end);
        if !self.ensure_session(mark.start) {
            return;
        }
        let s = self.session.as_mut().expect("session open");
        let (start, end) = (ms(mark.start - s.offset), ms(mark.end - s.offset));
        s.engine.push(
            Input::Speech {
                speaker,
                start,
                end,
                ongoing: mark.ongoing,
            },
            &mut self.flags,
        );
        if !mark.ongoing {
            self.emit(&Event::Speech {
                t: end,
                speaker,
                start,
                end,
            });
        }
        self.decide_notifications();
    }

    fn transcript(
        &mut self,
        speaker: crate::event::Speaker,
        start: f64,
        end: f64,
        text: crate::event::Text,
    ) {
        self.last_speech = self.last_speech.max(end);
        if !self.ensure_session(start) {
            return;
        }
        let now = self.parts.clock.as_ref().map_or(end, |c| end.max(c.now()));
        let s = self.session.as_mut().expect("session open");
        let (start, end, at) = (ms(start - s.offset), ms(end - s.offset), ms(now - s.offset));
        let utterance = Utterance {
            speaker,
            start,
            end,
            text,
        };
        let event = Event::Transcript {
            t: at,
            speaker,
            start,
            end,
            text: utterance.text.clone(),
            is_final: true,
        };
        s.engine.push(
            Input::Transcript {
                utterance: &utterance,
                at,
            },
            &mut self.flags,
        );
        self.emit(&event);
        self.decide_notifications();
    }

    fn status(&self) -> Status {
        let (capture_seconds, audio) = self.shared.audio_account();
        Status {
            state: if self.paused {
                "paused"
            } else if self.session.is_some() {
                "in_call"
            } else {
                "idle"
            }
            .into(),
            call_id: self.session.as_ref().map(|s| s.info.call_id.clone()),
            call_seconds: self.session.as_ref().map(|s| ms(self.now - s.offset)),
            source: self.parts.source.into(),
            devices: self.parts.devices.clone(),
            model: self.parts.model.clone(),
            last_flags: self.last_flags.clone(),
            phrases: self.stats.phrases,
            gaps: self.stats.dropped,
            dropped_samples: self.shared.dropped_samples.load(Ordering::Relaxed),
            capture_seconds: ms(capture_seconds),
            audio_seconds: audio.into_iter().map(|(s, t)| (s, ms(t))).collect(),
            notifications_shown: self.parts.notifier.as_ref().map_or(0, |n| n.counts().0),
            notifications_skipped: self.parts.notifier.as_ref().map_or(0, |n| n.counts().1),
            notification_server: match &self.parts.notifier {
                None => "off".into(),
                Some(n) if n.unavailable() => "unavailable".into(),
                Some(n) if !n.responsive() => "not answering".into(),
                Some(_) => "ok".into(),
            },
        }
    }

    fn control(&mut self, cmd: Command) -> String {
        match cmd {
            Command::Status => {
                return serde_json::to_string(&self.status()).expect("status serialises");
            }
            Command::Pause => {
                self.close_session(self.now);
                self.paused = true;
                self.shared.paused.store(true, Ordering::Release);
            }
            Command::Resume => {
                self.paused = false;
                self.shared.paused.store(false, Ordering::Release);
            }
            Command::EndCall => {
                if self.session.is_none() {
                    return r#"{"ok":true,"detail":"no call in progress"}"#.into();
                }
                self.close_session(self.now);
            }
            Command::Reload => match self.parts.reloader.as_mut().map(|r| r()) {
                None => return r#"{"ok":false,"error":"reload is not available"}"#.into(),
                Some(Err(e)) => {
                    tracing::error!(error = %e, "Config reload refused; the running config stays.");
                    return serde_json::json!({"ok": false, "error": e}).to_string();
                }
                Some(Ok((rules, policy))) => {
                    tracing::info!("Config reloaded.");
                    self.parts.rules = rules.clone();
                    self.parts.policy = policy;
                    if let Some(s) = self.session.as_mut() {
                        s.engine.reload(rules);
                    }
                }
            },
        }
        r#"{"ok":true}"#.into()
    }

    /// Consume messages until capture and recognition are both done. Returns the summary of
    /// the last call, or the capture error after the log was completed.
    pub fn run(&mut self, rx: &Receiver<Msg>) -> Result<Option<Summary>, String> {
        let (mut capture_done, mut asr_done) = (false, false);
        let mut error = None;
        let mut last_summary = None;
        while !(capture_done && asr_done) {
            let Ok(msg) = rx.recv() else { break };
            match msg {
                Msg::Started => {
                    if self.parts.sessions == Sessions::Single {
                        self.open_session(0.0);
                    }
                }
                Msg::Speech { speaker, mark } => self.speech(speaker, mark),
                Msg::Phrase => self.pending_asr += 1,
                Msg::Transcript {
                    speaker,
                    start,
                    end,
                    text,
                    decode_secs,
                } => {
                    self.pending_asr -= 1;
                    self.stats.phrases += 1;
                    self.stats.decode_secs.push(decode_secs);
                    self.transcript(speaker, start, end, text);
                }
                Msg::NoText => self.pending_asr -= 1,
                Msg::Gap {
                    speaker,
                    t,
                    until,
                    reason,
                    dropped_phrase,
                } => {
                    if dropped_phrase {
                        self.pending_asr -= 1;
                    }
                    self.stats.dropped += 1;
                    if let Some(s) = self.session.as_ref() {
                        let off = s.offset;
                        self.emit(&Event::Gap {
                            t: ms((t - off).max(0.0)),
                            speaker,
                            reason,
                            until: ms((until - off).max(0.0)),
                        });
                    } else {
                        tracing::warn!(%speaker, %reason, "Audio gap outside a call.");
                    }
                }
                Msg::Tick { now, alive } => {
                    self.now = now;
                    if let Sessions::Auto { end_after } = self.parts.sessions
                        && self.session.is_some()
                        && now - self.last_speech > end_after
                        && self.pending_asr <= 0
                    {
                        if let Some(s) = &self.session {
                            last_summary = Some(s.engine.summary());
                        }
                        self.close_session(self.last_speech + 0.5);
                    }
                    let asr_ok = self.shared.asr_alive();
                    if let Some(hb) = self.parts.heartbeat.as_mut() {
                        hb(alive && asr_ok);
                    }
                }
                Msg::Control { cmd, reply } => {
                    let answer = self.control(cmd);
                    let _ = reply.send(answer);
                }
                Msg::CaptureDone { duration, error: e } => {
                    capture_done = true;
                    self.now = self.now.max(duration);
                    error = e;
                }
                Msg::AsrDone => asr_done = true,
            }
        }
        if let Some(s) = &self.session {
            last_summary = Some(s.engine.summary());
        }
        let end = match self.parts.sessions {
            Sessions::Single => self.now,
            Sessions::Auto { .. } => self.now.max(self.last_speech),
        };
        self.close_session(end);
        Self::finish_all(&mut self.parts.sinks, &self.failed);
        match error {
            Some(e) => Err(e),
            None => Ok(last_summary),
        }
    }
}
