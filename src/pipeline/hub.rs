//! The hub: the single consumer of pipeline messages. It runs the rule engine, stamps call
//! time, and writes every event to every sink. A sink that fails is reported once and the
//! others keep going.

use std::sync::Arc;

use crossbeam_channel::Receiver;

use super::clock::AudioClock;
use super::{Msg, RunStats};
use crate::event::{Event, Flag, Summary, Utterance};
use crate::frontend::SpeechMark;
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

/// Hub state for one call.
pub struct Hub {
    engine: Engine,
    sinks: Vec<Box<dyn EventSink>>,
    failed: Vec<bool>,
    call: CallInfo,
    clock: Option<AudioClock>,
    flags: Vec<Flag>,
    stats: RunStats,
}

impl Hub {
    pub fn new(
        rules: Arc<CompiledRules>,
        sinks: Vec<Box<dyn EventSink>>,
        call: CallInfo,
        clock: Option<AudioClock>,
    ) -> Self {
        Self {
            engine: Engine::new(rules),
            failed: vec![false; sinks.len()],
            sinks,
            call,
            clock,
            flags: Vec::new(),
            stats: RunStats::default(),
        }
    }

    pub fn stats(&self) -> &RunStats {
        &self.stats
    }

    fn emit(&mut self, event: &Event) {
        for (sink, failed) in self.sinks.iter_mut().zip(self.failed.iter_mut()) {
            if let Err(e) = sink.write(event)
                && !*failed
            {
                *failed = true;
                tracing::error!(sink = sink.name(), error = %e, "Cannot write the event log; other outputs continue.");
            }
        }
    }

    fn emit_flags(&mut self) {
        let flags = std::mem::take(&mut self.flags);
        for f in &flags {
            self.emit(&Event::Flag(f.clone()));
        }
        self.flags = flags;
        self.flags.clear();
    }

    /// Consume messages until capture and recognition are both done; then write `call_end`.
    /// Returns the summary, or the capture error after the log was completed.
    pub fn run(&mut self, rx: &Receiver<Msg>) -> Result<Summary, String> {
        let (mut capture_done, mut asr_done) = (false, false);
        let mut duration = 0.0;
        let mut error = None;
        while !(capture_done && asr_done) {
            let Ok(msg) = rx.recv() else { break };
            match msg {
                Msg::Started { source } => {
                    let e = Event::CallStart {
                        t: 0.0,
                        call_id: self.call.call_id.clone(),
                        wall: self.call.wall.clone(),
                        source: source.into(),
                    };
                    self.emit(&e);
                }
                Msg::Speech { speaker, mark } => {
                    let mark = SpeechMark {
                        start: ms(mark.start),
                        end: ms(mark.end),
                        ..mark
                    };
                    self.engine.push(
                        Input::Speech {
                            speaker,
                            start: mark.start,
                            end: mark.end,
                            ongoing: mark.ongoing,
                        },
                        &mut self.flags,
                    );
                    if !mark.ongoing {
                        self.emit(&Event::Speech {
                            t: mark.end,
                            speaker,
                            start: mark.start,
                            end: mark.end,
                        });
                    }
                    self.emit_flags();
                }
                Msg::Transcript {
                    speaker,
                    start,
                    end,
                    text,
                    decode_secs,
                } => {
                    self.stats.phrases += 1;
                    self.stats.decode_secs.push(decode_secs);
                    let (start, end) = (ms(start), ms(end));
                    let at = ms(self.clock.as_ref().map_or(end, |c| end.max(c.now())));
                    let utterance = Utterance {
                        speaker,
                        start,
                        end,
                        text,
                    };
                    self.emit(&Event::Transcript {
                        t: at,
                        speaker,
                        start,
                        end,
                        text: utterance.text.clone(),
                        is_final: true,
                    });
                    self.engine.push(
                        Input::Transcript {
                            utterance: &utterance,
                            at,
                        },
                        &mut self.flags,
                    );
                    self.emit_flags();
                }
                Msg::Gap {
                    speaker,
                    t,
                    until,
                    reason,
                } => {
                    self.stats.dropped += 1;
                    self.emit(&Event::Gap {
                        t: ms(t),
                        speaker,
                        reason,
                        until: ms(until),
                    });
                }
                Msg::CaptureDone {
                    duration: d,
                    error: e,
                } => {
                    capture_done = true;
                    duration = ms(d);
                    error = e;
                }
                Msg::AsrDone => asr_done = true,
            }
        }
        let summary = self.engine.summary();
        self.emit(&Event::CallEnd {
            t: duration,
            summary: summary.clone(),
        });
        for (sink, failed) in self.sinks.iter_mut().zip(self.failed.iter_mut()) {
            if let Err(e) = sink.finish()
                && !*failed
            {
                tracing::error!(sink = sink.name(), error = %e, "Cannot finish the event log.");
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(summary),
        }
    }
}
