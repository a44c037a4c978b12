//! Replaying a finished transcript through the rule engine (`warmcall analyze`), and making a
//! whole call log of one (`replay_call`, for tests and benchmarks).
//!
//! Speech timing is derived from each utterance's `start`/`end` the way the live frontend
//! reports it: "still speaking" every `SPEECH_TICK` seconds while the utterance lasts, then the
//! end of the stretch, then the text. So timing rules fire at the moment they would have live.

use std::sync::Arc;

use serde::Deserialize;

use super::engine::{CompiledRules, Engine, Input};
use crate::event::{Event, SPEECH_TICK, Speaker, Transcript, Utterance};

/// The latest call time a transcript line may have: a day, in seconds.
pub const MAX_TIME: f64 = 86_400.0;

/// The longest one utterance may last, in seconds (replay ticks through it every `TICK`).
pub const MAX_UTTERANCE: f64 = 3_600.0;

/// A transcript line that could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
struct Line {
    speaker: Speaker,
    start: f64,
    end: f64,
    text: String,
}

/// Parse transcript JSON Lines; blank lines are skipped, bad lines reported and skipped.
pub fn parse_transcript(text: &str) -> (Vec<Utterance>, Vec<LineError>) {
    let mut utts = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let err = |message: String| LineError {
            line: i + 1,
            message,
        };
        let in_call = |t: f64| (0.0..=MAX_TIME).contains(&t);
        match serde_json::from_str::<Line>(raw) {
            Err(e) => errors.push(err(e.to_string())),
            Ok(l) if !(in_call(l.start) && in_call(l.end)) => errors.push(err(format!(
                "bad times start={} end={} (call times are 0 to {MAX_TIME} seconds)",
                l.start, l.end
            ))),
            Ok(l) if l.end < l.start => errors.push(err(format!(
                "end ({}) is before start ({})",
                l.end, l.start
            ))),
            Ok(l) if l.end - l.start > MAX_UTTERANCE => errors.push(err(format!(
                "an utterance of {} s (at most {MAX_UTTERANCE} s)",
                l.end - l.start
            ))),
            Ok(l) => utts.push(Utterance {
                speaker: l.speaker,
                start: l.start,
                end: l.end,
                text: l.text.into(),
            }),
        }
    }
    (utts, errors)
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Ongoing { u: usize, now: f64 },
    Ended { u: usize },
    Text { u: usize },
}

impl Step {
    fn key(&self, utts: &[Utterance]) -> (f64, u8) {
        match *self {
            Step::Ongoing { now, .. } => (now, 0),
            Step::Ended { u } => (utts[u].end, 1),
            Step::Text { u } => (utts[u].end, 2),
        }
    }
}

/// Run the utterances through a fresh engine; returns transcript and flag events in call-time
/// order, then `call_end`.
pub fn replay(rules: Arc<CompiledRules>, utts: &[Utterance]) -> Vec<Event> {
    run(rules, utts, false)
}

/// A whole call log from a transcript, as the daemon would write it for a call that started at
/// `wall` (RFC 3339): `call_start`, then `speech` lines as well as transcripts and flags, then
/// `call_end`. Used to build call logs for tests and benchmarks from the real rule stage.
pub fn replay_call(
    rules: Arc<CompiledRules>,
    utts: &[Utterance],
    call_id: &str,
    wall: &str,
) -> Vec<Event> {
    let mut events = vec![Event::CallStart {
        t: 0.0,
        call_id: call_id.to_string(),
        wall: wall.to_string(),
        source: "file".to_string(),
    }];
    events.extend(run(rules, utts, true));
    events
}

fn run(rules: Arc<CompiledRules>, utts: &[Utterance], speech: bool) -> Vec<Event> {
    let mut steps = Vec::new();
    for (u, utt) in utts.iter().enumerate() {
        let mut now = utt.start + SPEECH_TICK;
        while now < utt.end {
            steps.push(Step::Ongoing { u, now });
            now += SPEECH_TICK;
        }
        steps.push(Step::Ended { u });
        steps.push(Step::Text { u });
    }
    steps.sort_by(|a, b| {
        let (ta, oa) = a.key(utts);
        let (tb, ob) = b.key(utts);
        ta.total_cmp(&tb).then(oa.cmp(&ob))
    });
    let mut engine = Engine::new(rules);
    let mut events = Vec::new();
    let mut flags = Vec::new();
    for step in steps {
        flags.clear();
        match step {
            Step::Ongoing { u, now } => engine.push(
                Input::Speech {
                    speaker: utts[u].speaker,
                    start: utts[u].start,
                    end: now,
                    ongoing: true,
                },
                &mut flags,
            ),
            Step::Ended { u } => {
                let utt = &utts[u];
                if speech {
                    events.push(Event::Speech {
                        t: utt.end,
                        speaker: utt.speaker,
                        start: utt.start,
                        end: utt.end,
                    });
                }
                engine.push(
                    Input::Speech {
                        speaker: utt.speaker,
                        start: utt.start,
                        end: utt.end,
                        ongoing: false,
                    },
                    &mut flags,
                )
            }
            Step::Text { u } => {
                let utt = &utts[u];
                events.push(Event::Transcript(Transcript {
                    t: utt.end,
                    speaker: utt.speaker,
                    start: utt.start,
                    end: utt.end,
                    text: utt.text.clone(),
                    is_final: true,
                }));
                engine.push(
                    Input::Transcript {
                        utterance: utt,
                        at: utt.end,
                    },
                    &mut flags,
                );
            }
        }
        events.extend(flags.drain(..).map(Event::Flag));
    }
    let end = utts.iter().map(|u| u.end).fold(0.0, f64::max);
    events.push(Event::CallEnd {
        t: end,
        summary: engine.summary(),
    });
    events
}
