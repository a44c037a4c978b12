//! The timeline of one call: when each speaker talked (from `speech` lines, or the transcript
//! spans of a log without them), where audio was lost (`gap` lines), and the flags at their
//! times. Renderers (the HTML page, the terminal) draw from this.

use crate::event::{Event, Flag, Speaker};

use super::log::CallLog;

/// Pauses shorter than this are drawn as continuous talk.
const JOIN: f64 = 0.25;

/// Audio lost on one speaker's side.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub speaker: Speaker,
    pub from: f64,
    pub until: f64,
    pub reason: String,
}

/// One call's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub duration: f64,
    /// Talk per speaker (indexed by `Speaker::index`), merged, in time order.
    pub lanes: [Vec<(f64, f64)>; 2],
    /// The log has no `speech` lines: the lanes are the transcript spans.
    pub from_transcripts: bool,
    pub gaps: Vec<Gap>,
    pub flags: Vec<Flag>,
}

fn merge(mut spans: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 + JOIN => last.1 = last.1.max(e),
            _ => out.push((s, e.max(s))),
        }
    }
    out
}

impl Timeline {
    pub fn build(log: &CallLog) -> Self {
        let mut lanes = Speaker::BOTH.map(|s| log.speech(s));
        let from_transcripts = lanes.iter().all(Vec::is_empty);
        if from_transcripts {
            for u in log.utterances() {
                lanes[u.speaker.index()].push((u.start, u.end));
            }
        }
        let gaps = log
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Gap(crate::event::Gap {
                    t,
                    speaker,
                    reason,
                    until,
                }) => Some(Gap {
                    speaker: *speaker,
                    from: *t,
                    until: until.max(*t),
                    reason: reason.clone(),
                }),
                _ => None,
            })
            .collect();
        Self {
            duration: log.duration(),
            lanes: lanes.map(merge),
            from_transcripts,
            gaps,
            flags: log.flags().cloned().collect(),
        }
    }

    /// Times for axis marks: a round step giving at most `max` marks, from 0.
    pub fn ticks(&self, max: usize) -> Vec<f64> {
        const STEPS: [f64; 11] = [
            5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
        ];
        let step = STEPS
            .iter()
            .copied()
            .find(|s| self.duration / s <= max as f64)
            .unwrap_or(7200.0);
        (0..)
            .map(|i| f64::from(i) * step)
            .take_while(|t| *t <= self.duration)
            .collect()
    }

    /// A terminal strip `width` characters wide of one speaker's talk: `█` for mostly talk,
    /// `▁` for some, `░` where audio was lost, blank for silence.
    pub fn strip(&self, speaker: Speaker, width: usize) -> String {
        let d = self.duration.max(1e-9);
        let cell = d / width as f64;
        (0..width)
            .map(|i| {
                let (a, b) = (i as f64 * cell, (i + 1) as f64 * cell);
                let covered = |spans: &mut dyn Iterator<Item = (f64, f64)>| -> f64 {
                    spans.map(|(s, e)| (e.min(b) - s.max(a)).max(0.0)).sum()
                };
                let talk = covered(&mut self.lanes[speaker.index()].iter().copied());
                let lost = covered(
                    &mut self
                        .gaps
                        .iter()
                        .filter(|g| g.speaker == speaker)
                        .map(|g| (g.from, g.until)),
                );
                if lost > cell / 2.0 {
                    '░'
                } else if talk >= cell / 2.0 {
                    '█'
                } else if talk > 0.0 {
                    '▁'
                } else {
                    ' '
                }
            })
            .collect()
    }

    /// A terminal strip of the flags: `▲` where one or more were raised.
    pub fn flag_strip(&self, width: usize) -> String {
        let mut cells = vec![' '; width];
        for f in &self.flags {
            let i = ((f.t / self.duration.max(1e-9)) * width as f64) as usize;
            cells[i.min(width - 1)] = '▲';
        }
        cells.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::rules::CompiledRules;
    use crate::rules::replay::{parse_transcript, replay, replay_call};

    fn pushy() -> Vec<crate::event::Utterance> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pushy-call.jsonl"
        );
        parse_transcript(&std::fs::read_to_string(path).unwrap()).0
    }

    fn log_of(events: Vec<Event>) -> CallLog {
        CallLog {
            path: "x.jsonl".into(),
            events,
            notes: Vec::new(),
        }
    }

    #[test]
    fn lanes_cover_each_speakers_talk_without_overlaps() {
        let utts = pushy();
        let rules = CompiledRules::builtin();
        let log = log_of(replay_call(Arc::clone(&rules), &utts, "c", "w"));
        let tl = Timeline::build(&log);
        assert!(!tl.from_transcripts);
        for s in Speaker::BOTH {
            let lane = &tl.lanes[s.index()];
            assert!(!lane.is_empty());
            assert!(lane.windows(2).all(|w| w[0].1 + JOIN < w[1].0));
            // Every utterance of the speaker lies inside the lane.
            for u in utts.iter().filter(|u| u.speaker == s) {
                assert!(
                    lane.iter().any(|&(a, b)| a <= u.start && u.end <= b),
                    "{}-{}",
                    u.start,
                    u.end
                );
            }
        }
        assert_eq!(tl.flags.len(), log.flags().count());
        // An `analyze` log (no speech lines) draws the transcript spans: the same lanes here.
        let analyzed = Timeline::build(&log_of(replay(rules, &utts)));
        assert!(analyzed.from_transcripts);
        assert_eq!(analyzed.lanes, tl.lanes);
    }

    #[test]
    fn strips_show_talk_flags_and_gaps() {
        let rules = CompiledRules::builtin();
        let mut events = replay_call(rules, &pushy(), "c", "w");
        let end = events.last().unwrap().t();
        events.push(Event::Gap(crate::event::Gap {
            t: end / 2.0,
            speaker: Speaker::Them,
            reason: "capture device lost".into(),
            until: end / 2.0 + end / 5.0,
        }));
        let tl = Timeline::build(&log_of(events));
        let them = tl.strip(Speaker::Them, 40);
        assert_eq!(them.chars().count(), 40);
        assert!(them.contains('░'));
        assert!(tl.strip(Speaker::Me, 40).contains('█'));
        assert!(tl.flag_strip(40).contains('▲'));
        let ticks = tl.ticks(10);
        assert!(ticks.len() <= 11 && ticks.len() >= 2, "{ticks:?}");
    }
}
