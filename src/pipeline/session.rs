//! Call sessions: how a run is cut into calls, and one call's state: its id, where it starts
//! in the run's audio, its rule engine and its own sinks (the call log). Events of a call carry
//! times relative to its start, rounded to the millisecond.

use std::sync::Arc;

use super::clock;
use crate::event::{Event, Flag, Gap, Speaker, Summary, Transcript, Utterance};
use crate::frontend::SpeechMark;
use crate::rules::{CompiledRules, Engine, Input};
use crate::sink::EventSink;
use crate::sink::calllog::CallLog;

/// Round a time to the millisecond, so the log reads `12.928`, not `12.928000000000001`.
pub fn ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

/// Identity of a call.
#[derive(Debug, Clone)]
pub struct CallInfo {
    pub call_id: String,
    /// UTC wall time of the start, RFC 3339.
    pub wall: String,
}

impl CallInfo {
    /// A fresh call id and its wall-clock start.
    pub fn now() -> Self {
        let now = jiff::Timestamp::now();
        Self {
            call_id: clock::call_id(now, clock::nonce()),
            wall: clock::rfc3339(now),
        }
    }
}

/// How a run is cut into calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sessions {
    /// One call from the first audio to the end of input (a file).
    Single,
    /// Live: a call starts when speech appears and ends after `end_after` seconds without
    /// speech (or on command).
    Auto { end_after: f64 },
}

impl Sessions {
    /// Where in the run a call opened for audio at `t` starts.
    pub fn start_of(self, t: f64) -> f64 {
        match self {
            Sessions::Single => 0.0,
            Sessions::Auto { .. } => (t - 0.5).max(0.0),
        }
    }

    /// Whether a call is over at run time `now`, given the end of its last speech and the
    /// phrases still waiting for recognition.
    pub fn ended(self, now: f64, last_speech: f64, pending_phrases: i64) -> bool {
        match self {
            Sessions::Single => false,
            Sessions::Auto { end_after } => now - last_speech > end_after && pending_phrases <= 0,
        }
    }
}

/// Opens the per-call sinks (the call log) when a call starts.
pub type CallSinks = Box<dyn FnMut(&CallInfo) -> std::io::Result<Vec<Box<dyn EventSink>>> + Send>;

/// Opens a call log (`sink::calllog`) per call in `dir`.
pub fn call_logs(dir: std::path::PathBuf) -> CallSinks {
    Box::new(move |call: &CallInfo| {
        let log = CallLog::create(&dir, &call.call_id)?;
        tracing::info!(path = %log.path().display(), "Call log opened.");
        Ok(vec![Box::new(log) as Box<dyn EventSink>])
    })
}

/// Sinks written together. A sink that fails is reported once and the others keep going.
pub struct Outputs {
    sinks: Vec<Box<dyn EventSink>>,
    failed: Vec<bool>,
}

impl Outputs {
    pub fn new(sinks: Vec<Box<dyn EventSink>>) -> Self {
        Self {
            failed: vec![false; sinks.len()],
            sinks,
        }
    }

    pub fn write(&mut self, event: &Event) {
        for (sink, failed) in self.sinks.iter_mut().zip(self.failed.iter_mut()) {
            if let Err(e) = sink.write(event)
                && !*failed
            {
                *failed = true;
                tracing::error!(sink = sink.name(), error = %e, "Cannot write the event log; other outputs continue.");
            }
        }
    }

    /// End of the call (or run): flush and sync every sink.
    pub fn finish(&mut self) {
        for (sink, failed) in self.sinks.iter_mut().zip(&self.failed) {
            if let Err(e) = sink.finish()
                && !*failed
            {
                tracing::error!(sink = sink.name(), error = %e, "Cannot finish the event log.");
            }
        }
    }
}

/// One call in progress.
pub struct Call {
    info: CallInfo,
    /// Run time (seconds of audio read) at which the call starts.
    offset: f64,
    engine: Engine,
    pub outputs: Outputs,
}

impl Call {
    pub fn open(
        info: CallInfo,
        offset: f64,
        rules: Arc<CompiledRules>,
        sinks: Vec<Box<dyn EventSink>>,
    ) -> Self {
        Self {
            info,
            offset,
            engine: Engine::new(rules),
            outputs: Outputs::new(sinks),
        }
    }

    pub fn info(&self) -> &CallInfo {
        &self.info
    }

    /// Call time of run time `t`.
    pub fn at(&self, t: f64) -> f64 {
        ms(t - self.offset)
    }

    /// The `call_start` event.
    pub fn start_event(&self, source: &str) -> Event {
        Event::CallStart {
            t: 0.0,
            call_id: self.info.call_id.clone(),
            wall: self.info.wall.clone(),
            source: source.into(),
        }
    }

    /// Speech timing in run time: flags it raises go to `flags`; a finished stretch is also
    /// an event of its own.
    pub fn speech(
        &mut self,
        speaker: Speaker,
        mark: SpeechMark,
        flags: &mut Vec<Flag>,
    ) -> Option<Event> {
        let (start, end) = (self.at(mark.start), self.at(mark.end));
        self.engine.push(
            Input::Speech {
                speaker,
                start,
                end,
                ongoing: mark.ongoing,
            },
            flags,
        );
        (!mark.ongoing).then_some(Event::Speech {
            t: end,
            speaker,
            start,
            end,
        })
    }

    /// Recognised text (times in run time) that became available at run time `ready`: flags
    /// it raises go to `flags`; returns its event.
    pub fn transcript(&mut self, tr: Transcript, ready: f64, flags: &mut Vec<Flag>) -> Event {
        let tr = Transcript {
            t: self.at(ready),
            start: self.at(tr.start),
            end: self.at(tr.end),
            ..tr
        };
        let utterance = Utterance {
            speaker: tr.speaker,
            start: tr.start,
            end: tr.end,
            text: tr.text.clone(),
        };
        let (utterance, at) = (&utterance, tr.t);
        let input = if tr.is_final {
            Input::Transcript { utterance, at }
        } else {
            Input::Partial { utterance, at }
        };
        self.engine.push(input, flags);
        Event::Transcript(tr)
    }

    /// A gap (run time) as an event of this call; nothing before the call's start.
    pub fn gap(&self, gap: Gap) -> Event {
        Event::Gap(Gap {
            t: ms((gap.t - self.offset).max(0.0)),
            until: ms((gap.until - self.offset).max(0.0)),
            ..gap
        })
    }

    pub fn summary(&self) -> Summary {
        self.engine.summary()
    }

    /// The `call_end` event for a call ending at run time `end`.
    pub fn end_event(&self, end: f64) -> Event {
        Event::CallEnd {
            t: ms((end - self.offset).max(0.0)),
            summary: self.summary(),
        }
    }

    /// Swap in reloaded rules (per-rule state carries over).
    pub fn reload(&mut self, rules: Arc<CompiledRules>) {
        self.engine.reload(rules);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Text;
    use std::sync::Mutex;

    struct Memory(Arc<Mutex<Vec<Event>>>, bool);

    impl EventSink for Memory {
        fn write(&mut self, event: &Event) -> std::io::Result<()> {
            if self.1 {
                return Err(std::io::Error::other("disk full"));
            }
            self.0.lock().unwrap().push(event.clone());
            Ok(())
        }

        fn name(&self) -> &'static str {
            "memory"
        }
    }

    fn call(offset: f64) -> Call {
        let info = CallInfo {
            call_id: "c1".into(),
            wall: "2026-11-22T14:03:11Z".into(),
        };
        Call::open(info, offset, CompiledRules::builtin(), Vec::new())
    }

    #[test]
    fn times_are_relative_to_the_call_and_rounded() {
        let mut c = call(10.0);
        let mut flags = Vec::new();
        let mark = |end, ongoing| SpeechMark {
            start: 10.5,
            end,
            ongoing,
        };
        assert_eq!(c.speech(Speaker::Me, mark(11.0, true), &mut flags), None);
        assert_eq!(
            c.speech(Speaker::Me, mark(12.3456, false), &mut flags),
            Some(Event::Speech {
                t: 2.346,
                speaker: Speaker::Me,
                start: 0.5,
                end: 2.346
            })
        );
        let tr = Transcript {
            t: 0.0,
            speaker: Speaker::Me,
            start: 10.5,
            end: 12.3456,
            text: Text::from("I am just following up on my email."),
            is_final: true,
        };
        let Event::Transcript(ev) = c.transcript(tr, 13.0, &mut flags) else {
            panic!()
        };
        assert_eq!((ev.t, ev.start, ev.end), (3.0, 0.5, 2.346));
        assert!(
            flags.iter().any(|f| f.rule == "chasing" && f.t == 3.0),
            "{flags:?}"
        );
        let gap = Gap {
            t: 5.0,
            speaker: Speaker::Them,
            reason: "capture device lost".into(),
            until: 11.0,
        };
        let Event::Gap(g) = c.gap(gap) else { panic!() };
        assert_eq!((g.t, g.until), (0.0, 1.0), "nothing before the call");
        assert!(matches!(c.end_event(9.0), Event::CallEnd { t, .. } if t == 0.0));
    }

    #[test]
    fn live_calls_end_after_silence_once_recognition_is_done() {
        let auto = Sessions::Auto { end_after: 30.0 };
        assert_eq!(auto.start_of(12.0), 11.5);
        assert_eq!(auto.start_of(0.2), 0.0);
        assert!(!auto.ended(40.0, 20.0, 0));
        assert!(auto.ended(50.5, 20.0, 0));
        assert!(
            !auto.ended(50.5, 20.0, 1),
            "a phrase is still being decoded"
        );
        assert!(!Sessions::Single.ended(1e6, 0.0, 0));
        assert_eq!(Sessions::Single.start_of(12.0), 0.0);
    }

    #[test]
    fn a_failing_sink_does_not_stop_the_others() {
        let good: Arc<Mutex<Vec<Event>>> = Arc::default();
        let mut out = Outputs::new(vec![
            Box::new(Memory(Arc::default(), true)),
            Box::new(Memory(good.clone(), false)),
        ]);
        let c = call(0.0);
        out.write(&c.start_event("file"));
        out.write(&c.end_event(1.0));
        out.finish();
        assert_eq!(good.lock().unwrap().len(), 2);
    }
}
