//! The hub: the single consumer of pipeline messages. It routes each message: speech and text
//! to the call in progress (opening one when needed), the flags that come back through the
//! notification gate, every event to the sinks, control commands to `control`, ticks to the
//! session policy and the watchdog. It decides nothing itself.

use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::clock::AudioClock;
use super::control::Reloader;
use super::messages::{Msg, RunStats, Shared};
use super::redaction::Redaction;
use super::session::{Call, CallInfo, CallSinks, Outputs, Sessions};
use super::status::{Board, RunInfo, State};
use crate::event::{Event, Flag, Gap, Speaker, Summary, Transcript};
use crate::frontend::SpeechMark;
use crate::notify::gate::Gate;
use crate::rules::CompiledRules;
use crate::sink::EventSink;

/// Called on every tick with whether the pipeline looks alive (the systemd watchdog).
pub type Heartbeat = Box<dyn FnMut(bool) + Send>;

/// Everything the hub needs besides the message stream.
pub struct HubParts {
    pub rules: Arc<CompiledRules>,
    /// Sinks of the whole run (stdout in headless mode).
    pub sinks: Vec<Box<dyn EventSink>>,
    /// Sinks of each call (the call log).
    pub call_sinks: CallSinks,
    pub sessions: Sessions,
    pub gate: Gate,
    pub reloader: Option<Reloader>,
    pub info: RunInfo,
    pub heartbeat: Option<Heartbeat>,
    /// Personal data in transcripts and evidence is replaced before any sink sees it.
    pub redaction: Redaction,
}

/// How a run ended, with what the builder still has to shut down.
pub struct HubEnd {
    /// The last call's summary, or the capture error (after the log was completed).
    pub result: Result<Option<Summary>, String>,
    pub stats: RunStats,
    pub gate: Gate,
}

/// Hub state for one run.
pub struct Hub {
    pub(super) rules: Arc<CompiledRules>,
    outputs: Outputs,
    call_sinks: CallSinks,
    sessions: Sessions,
    clock: Option<AudioClock>,
    pub(super) gate: Gate,
    pub(super) reloader: Option<Reloader>,
    heartbeat: Option<Heartbeat>,
    redaction: Redaction,
    pub(super) board: Board,
    pub(super) call: Option<Call>,
    pub(super) shared: Arc<Shared>,
    flags: Vec<Flag>,
    last_speech: f64,
    pub(super) now: f64,
    pub(super) paused: bool,
    pending_asr: i64,
    last_summary: Option<Summary>,
    ended: Ended,
}

/// Which threads have finished, and the capture error if any.
#[derive(Default)]
struct Ended {
    capture: bool,
    asr: bool,
    error: Option<String>,
}

impl Hub {
    pub fn new(parts: HubParts, shared: Arc<Shared>) -> Self {
        Self {
            rules: parts.rules,
            outputs: Outputs::new(parts.sinks),
            call_sinks: parts.call_sinks,
            sessions: parts.sessions,
            clock: None,
            gate: parts.gate,
            reloader: parts.reloader,
            heartbeat: parts.heartbeat,
            redaction: parts.redaction,
            board: Board::new(parts.info),
            call: None,
            shared,
            flags: Vec::new(),
            last_speech: 0.0,
            now: 0.0,
            paused: false,
            pending_asr: 0,
            last_summary: None,
            ended: Ended::default(),
        }
    }

    /// Consume messages until capture and recognition are both done; then end the call and
    /// finish every sink.
    pub fn run(mut self, rx: &Receiver<Msg>) -> HubEnd {
        while !(self.ended.capture && self.ended.asr) {
            let Ok(msg) = rx.recv() else { break };
            self.handle(msg);
        }
        if let Some(c) = &self.call {
            self.last_summary = Some(c.summary());
        }
        let end = match self.sessions {
            Sessions::Single => self.now,
            Sessions::Auto { .. } => self.now.max(self.last_speech),
        };
        self.close_call(end);
        self.outputs.finish();
        HubEnd {
            result: match self.ended.error {
                Some(e) => Err(e),
                None => Ok(self.last_summary),
            },
            stats: self.board.stats,
            gate: self.gate,
        }
    }

    /// Route one message.
    pub(super) fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Started if self.sessions == Sessions::Single => self.open_call(0.0),
            Msg::Started => {}
            Msg::Speech { speaker, mark } => self.speech(speaker, mark),
            Msg::Phrase => self.pending_asr += 1,
            Msg::Transcript {
                transcript,
                decode_secs,
            } => {
                self.pending_asr -= 1;
                self.board.stats.phrases += 1;
                self.board.stats.decode_secs.push(decode_secs);
                self.transcript(transcript);
            }
            Msg::Partial {
                transcript,
                decode_secs,
            } => {
                self.board.stats.partials += 1;
                self.board.stats.partial_decode_secs.push(decode_secs);
                self.transcript(transcript);
            }
            Msg::NoText => self.pending_asr -= 1,
            Msg::Gap {
                gap,
                dropped_phrase,
            } => {
                if dropped_phrase {
                    self.pending_asr -= 1;
                }
                self.gap(gap);
            }
            Msg::Tick { now, alive } => self.tick(now, alive),
            Msg::Control(req) => {
                let answer = self.control(req.cmd);
                let _ = req.reply.send(answer);
            }
            Msg::CaptureDone { duration, error } => {
                self.ended.capture = true;
                self.now = self.now.max(duration);
                self.ended.error = error;
            }
            Msg::AsrDone => self.ended.asr = true,
        }
    }

    /// Stamp transcripts with `clock` (when their text was ready) instead of the end of their
    /// speech: for sources that deliver at real speed.
    pub fn stamp_with(&mut self, clock: AudioClock) {
        self.clock = Some(clock);
    }

    pub(super) fn state(&self) -> State {
        if self.paused {
            State::Paused
        } else if self.call.is_some() {
            State::InCall
        } else {
            State::Idle
        }
    }

    /// The one place events fan out: the run's sinks and the call's, each event redacted first
    /// (`redaction`).
    pub(super) fn emit(&mut self, event: &Event) {
        self.emit_to(event, true);
    }

    /// As [`emit`](Self::emit); the call's own sinks (its log) only when `to_call`.
    fn emit_to(&mut self, event: &Event, to_call: bool) {
        let event = self.redaction.event(event);
        self.outputs.write(&event);
        if let Some(c) = self.call.as_mut().filter(|_| to_call) {
            c.outputs.write(&event);
        }
    }

    fn open_call(&mut self, offset: f64) {
        let info = CallInfo::now();
        let sinks = (self.call_sinks)(&info).unwrap_or_else(|e| {
            tracing::error!(error = %e, "Cannot create the call log; the call is still coached and printed.");
            Vec::new()
        });
        self.gate.new_call();
        let call = Call::open(info, offset, self.rules.clone(), sinks);
        let start = call.start_event(self.board.info.source);
        self.call = Some(call);
        self.emit(&start);
    }

    /// End the call in progress at run time `end`: its `call_end`, its log finished. The
    /// daemon stopping or pausing ends a call this way, with no summary bubble.
    pub(super) fn close_call(&mut self, end: f64) {
        let Some(c) = self.call.as_ref() else {
            return;
        };
        let event = c.end_event(end);
        self.emit(&event);
        if let Some(mut c) = self.call.take() {
            c.outputs.finish();
        }
    }

    /// End the call in progress (on silence or `end-call`) and offer its summary bubble.
    pub(super) fn end_call(&mut self, end: f64) {
        let Some(c) = self.call.as_ref() else {
            return;
        };
        let (call_id, length) = (c.info().call_id.clone(), c.at(end).max(0.0));
        let summary = c.summary();
        self.close_call(end);
        let shown = self.gate.call_ended(&call_id, length, &summary);
        tracing::info!(summary_bubble = shown, "Call ended.");
    }

    /// The call for audio at `t`, opened if needed (not while paused).
    fn call_at(&mut self, t: f64) -> bool {
        if self.call.is_none() && !self.paused {
            self.open_call(self.sessions.start_of(t));
        }
        self.call.is_some()
    }

    /// Pass the flags just raised through the gate, then log them.
    fn flags(&mut self) {
        let mut flags = std::mem::take(&mut self.flags);
        for f in &mut flags {
            self.gate.pass(f);
            self.board.flag(f);
        }
        for f in flags.drain(..) {
            self.emit(&Event::Flag(f));
        }
        self.flags = flags;
    }

    fn speech(&mut self, speaker: Speaker, mark: SpeechMark) {
        self.last_speech = self.last_speech.max(mark.end);
        if !self.call_at(mark.start) {
            return;
        }
        let call = self.call.as_mut().expect("call open");
        if let Some(event) = call.speech(speaker, mark, &mut self.flags) {
            self.emit(&event);
        }
        self.flags();
    }

    /// Final or partial text: through redaction and the call's rules; a partial reaches the
    /// call log only when it raised a flag.
    fn transcript(&mut self, mut tr: Transcript) {
        // Before the rule stage, so a flag's evidence is drawn from redacted words.
        self.redaction.transcript(&mut tr);
        self.last_speech = self.last_speech.max(tr.end);
        if !self.call_at(tr.start) {
            return;
        }
        let ready = self.clock.as_ref().map_or(tr.end, |c| tr.end.max(c.now()));
        let call = self.call.as_mut().expect("call open");
        let event = call.transcript(tr, ready, &mut self.flags);
        // A partial that raised nothing: the live view sees it, the call log does not.
        let is_final = matches!(&event, Event::Transcript(t) if t.is_final);
        self.emit_to(&event, is_final || !self.flags.is_empty());
        self.flags();
    }

    fn gap(&mut self, gap: Gap) {
        self.board.stats.dropped += 1;
        match self.call.as_ref() {
            Some(c) => {
                let event = c.gap(gap);
                self.emit(&event);
            }
            None => {
                tracing::warn!(speaker = %gap.speaker, reason = %gap.reason, "Audio gap outside a call.")
            }
        }
    }

    fn tick(&mut self, now: f64, alive: bool) {
        self.now = now;
        if self.call.is_some() && self.sessions.ended(now, self.last_speech, self.pending_asr) {
            self.last_summary = self.call.as_ref().map(Call::summary);
            self.end_call(self.last_speech + 0.5);
        }
        let asr_ok = self.shared.asr_alive();
        if let Some(hb) = self.heartbeat.as_mut() {
            hb(alive && asr_ok);
        }
    }
}
