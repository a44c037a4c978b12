//! The phrase segmenter: turns per-frame voice scores into speech timing and phrases.
//!
//! A phrase starts after `min_speech` of voiced frames (with `pre_roll` of audio kept before it
//! so first words are not clipped) and ends after `pause` of silence. A phrase that reaches
//! `max_phrase` is cut at its quietest frame in the last second, so long speech yields text in
//! pieces; the next piece continues from the cut with no overlap. Frames quieter than
//! `rms_floor` never count as voice, whatever the detector says. With `partial_every` set, an
//! open phrase is also offered as it stands after each such stretch of new speech (a
//! `FrontendEvent::Partial`), so a cue can be found before the speaker pauses.

use std::collections::VecDeque;

use super::FrontendEvent;
use super::vad::rms;
use crate::asr::SAMPLE_RATE;

/// Tuning of the segmenter (seconds unless noted).
#[derive(Debug, Clone, PartialEq)]
pub struct SegmenterConfig {
    /// Voice score at or above which a frame is speech.
    pub threshold: f32,
    /// Voiced time needed to open a phrase.
    pub min_speech: f64,
    /// Silence that closes a phrase.
    pub pause: f64,
    /// Audio kept before the first voiced frame.
    pub pre_roll: f64,
    /// Audio kept after the last voiced frame.
    pub post_roll: f64,
    /// Longest phrase sent to recognition in one piece.
    pub max_phrase: f64,
    /// Phrases with less voiced time than this are dropped as noise.
    pub min_voiced: f64,
    /// Frames below this RMS are silence.
    pub rms_floor: f32,
    /// Interval of the "still speaking" signal.
    pub tick: f64,
    /// Offer the phrase so far after each this much new speech (`None`: finals only).
    pub partial_every: Option<f64>,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            min_speech: 0.08,
            pause: 0.4,
            pre_roll: 0.35,
            post_roll: 0.15,
            max_phrase: 8.0,
            min_voiced: 0.2,
            rms_floor: 0.002,
            tick: crate::event::SPEECH_TICK,
            partial_every: None,
        }
    }
}

/// Speech timing: `ongoing` while the speaker is still talking at `end`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeechMark {
    pub start: f64,
    pub end: f64,
    pub ongoing: bool,
}

/// A piece of speech for recognition, 16 kHz mono.
#[derive(Debug, Clone, PartialEq)]
pub struct Phrase {
    /// First and last voiced moment (call time, seconds).
    pub start: f64,
    pub end: f64,
    /// Call time of `samples[0]`.
    pub audio_start: f64,
    pub samples: Vec<f32>,
    /// Seconds of voiced frames in the phrase.
    pub voiced: f64,
    /// This piece continues a phrase cut at `max_phrase`.
    pub continues: bool,
}

/// The segmenter state for one speaker.
pub struct Segmenter {
    cfg: SegmenterConfig,
    frame_len: usize,
    frame_secs: f64,
    /// Frames processed so far.
    frames: u64,
    /// Recent audio before a phrase opens (pre-roll plus frames of a starting phrase).
    history: VecDeque<f32>,
    /// Consecutive voiced frames while no phrase is open.
    onset: usize,
    open: Option<Open>,
}

struct Open {
    audio_start: f64,
    start: f64,
    last_voiced_end: f64,
    samples: Vec<f32>,
    scores: Vec<f32>,
    voiced_frames: usize,
    silence_frames: usize,
    last_tick: f64,
    continues: bool,
    ticked: bool,
    /// Call time up to which the phrase was last offered as a partial (its start before).
    partial_at: f64,
}

impl Segmenter {
    pub fn new(cfg: SegmenterConfig, frame_len: usize) -> Self {
        Self {
            frame_secs: frame_len as f64 / SAMPLE_RATE as f64,
            frame_len,
            frames: 0,
            history: VecDeque::new(),
            onset: 0,
            open: None,
            cfg,
        }
    }

    /// Audio time processed so far.
    pub fn position(&self) -> f64 {
        self.frames as f64 * self.frame_secs
    }

    fn secs_to_samples(&self, s: f64) -> usize {
        (s * SAMPLE_RATE as f64).round() as usize
    }

    /// Feed one frame and its voice score.
    pub fn push_frame(&mut self, frame: &[f32], score: f32, out: &mut Vec<FrontendEvent>) {
        self.frames += 1;
        let t1 = self.position();
        let voiced = score >= self.cfg.threshold && rms(frame) >= self.cfg.rms_floor;
        match self.open.as_mut() {
            None => {
                self.history.extend(frame.iter().copied());
                self.onset = if voiced { self.onset + 1 } else { 0 };
                let keep = self.secs_to_samples(self.cfg.pre_roll) + self.onset * self.frame_len;
                while self.history.len() > keep {
                    self.history.pop_front();
                }
                if self.onset as f64 * self.frame_secs >= self.cfg.min_speech {
                    let start = t1 - self.onset as f64 * self.frame_secs;
                    let samples: Vec<f32> = self.history.drain(..).collect();
                    let audio_start = t1 - samples.len() as f64 / SAMPLE_RATE as f64;
                    self.open = Some(Open {
                        audio_start,
                        start,
                        last_voiced_end: t1,
                        scores: vec![1.0; samples.len() / self.frame_len],
                        samples,
                        voiced_frames: self.onset,
                        silence_frames: 0,
                        last_tick: start,
                        continues: false,
                        ticked: false,
                        partial_at: start,
                    });
                    self.onset = 0;
                }
            }
            Some(open) => {
                open.samples.extend_from_slice(frame);
                open.scores.push(if voiced { score } else { 0.0 });
                if voiced {
                    open.voiced_frames += 1;
                    open.silence_frames = 0;
                    open.last_voiced_end = t1;
                } else {
                    open.silence_frames += 1;
                }
                if t1 - open.last_tick >= self.cfg.tick && open.silence_frames == 0 {
                    open.last_tick = t1;
                    open.ticked = true;
                    out.push(FrontendEvent::Speech(SpeechMark {
                        start: open.start,
                        end: t1,
                        ongoing: true,
                    }));
                }
                if open.silence_frames as f64 * self.frame_secs >= self.cfg.pause {
                    self.close(out);
                } else if t1 - open.audio_start >= self.cfg.max_phrase {
                    self.cut(out);
                } else if voiced
                    && let Some(every) = self.cfg.partial_every
                    && t1 - open.partial_at >= every
                {
                    open.partial_at = t1;
                    out.push(FrontendEvent::Partial(Self::so_far(open, self.frame_secs)));
                }
            }
        }
    }

    /// Close the open phrase at its last voiced frame (plus post-roll).
    fn close(&mut self, out: &mut Vec<FrontendEvent>) {
        let Some(mut open) = self.open.take() else {
            return;
        };
        let keep_until = open.last_voiced_end + self.cfg.post_roll;
        let keep = self
            .secs_to_samples(keep_until - open.audio_start)
            .min(open.samples.len());
        open.samples.truncate(keep);
        self.emit(open, out);
        self.history.clear();
    }

    /// Cut a phrase that reached `max_phrase` at its quietest frame of the last second.
    fn cut(&mut self, out: &mut Vec<FrontendEvent>) {
        let Some(mut open) = self.open.take() else {
            return;
        };
        let n = open.scores.len();
        let look = ((1.0 / self.frame_secs) as usize).min(n.saturating_sub(1));
        let (mut best, mut best_score) = (n, f32::MAX);
        for i in n - look..n {
            // Prefer the later frame on ties, so pieces stay long.
            if open.scores[i] <= best_score {
                best = i;
                best_score = open.scores[i];
            }
        }
        let split = (best * self.frame_len).min(open.samples.len());
        let rest = open.samples.split_off(split);
        let rest_scores = open.scores.split_off(best.min(open.scores.len()));
        let cut_time = open.audio_start + split as f64 / SAMPLE_RATE as f64;
        let rest_voiced = rest_scores.iter().filter(|s| **s > 0.0).count();
        let next = Open {
            audio_start: cut_time,
            start: cut_time,
            last_voiced_end: open.last_voiced_end.max(cut_time),
            samples: rest,
            scores: rest_scores,
            voiced_frames: rest_voiced,
            silence_frames: open.silence_frames,
            last_tick: open.last_tick,
            continues: true,
            ticked: open.ticked,
            partial_at: cut_time,
        };
        open.voiced_frames -= rest_voiced.min(open.voiced_frames);
        open.last_voiced_end = open.last_voiced_end.min(cut_time);
        self.emit(open, out);
        self.open = Some(next);
    }

    fn emit(&self, open: Open, out: &mut Vec<FrontendEvent>) {
        let voiced = open.voiced_frames as f64 * self.frame_secs;
        let real = voiced >= self.cfg.min_voiced;
        if real || open.ticked {
            out.push(FrontendEvent::Speech(SpeechMark {
                start: open.start,
                end: open.last_voiced_end,
                ongoing: false,
            }));
        }
        if real {
            out.push(FrontendEvent::Phrase(Phrase {
                start: open.start,
                end: open.last_voiced_end,
                audio_start: open.audio_start,
                samples: open.samples,
                voiced,
                continues: open.continues,
            }));
        }
    }

    /// The open phrase as it stands, ending at the frame just voiced.
    fn so_far(open: &Open, frame_secs: f64) -> Phrase {
        Phrase {
            start: open.start,
            end: open.last_voiced_end,
            audio_start: open.audio_start,
            samples: open.samples.clone(),
            voiced: open.voiced_frames as f64 * frame_secs,
            continues: open.continues,
        }
    }

    /// Let `secs` of audio pass unprocessed; an open phrase is discarded, not emitted.
    pub fn skip(&mut self, secs: f64) {
        self.open = None;
        self.history.clear();
        self.onset = 0;
        self.frames += (secs / self.frame_secs).round() as u64;
    }

    /// End of input: close the open phrase.
    pub fn finish(&mut self, out: &mut Vec<FrontendEvent>) {
        self.close(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: usize = 256;

    /// Run frames with scores given per frame; loud frames for voiced, quiet otherwise.
    fn run(pattern: &[(bool, usize)], cfg: SegmenterConfig) -> Vec<FrontendEvent> {
        let mut s = Segmenter::new(cfg, FRAME);
        let mut out = Vec::new();
        for &(voiced, n) in pattern {
            let frame = vec![if voiced { 0.3 } else { 0.0 }; FRAME];
            for _ in 0..n {
                s.push_frame(&frame, if voiced { 0.9 } else { 0.05 }, &mut out);
            }
        }
        s.finish(&mut out);
        out
    }

    fn phrases(ev: &[FrontendEvent]) -> Vec<&Phrase> {
        ev.iter()
            .filter_map(|e| match e {
                FrontendEvent::Phrase(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    const SECOND: usize = 62; // frames of 16 ms

    #[test]
    fn a_phrase_between_pauses_with_timing_and_pre_roll() {
        let ev = run(
            &[(false, SECOND), (true, 2 * SECOND), (false, SECOND)],
            SegmenterConfig::default(),
        );
        let p = phrases(&ev);
        assert_eq!(p.len(), 1);
        assert!((p[0].start - 0.992).abs() < 0.02, "{}", p[0].start);
        assert!((p[0].end - 2.976).abs() < 0.02, "{}", p[0].end);
        assert!(
            (p[0].start - p[0].audio_start - 0.35).abs() < 0.02,
            "pre-roll kept"
        );
        let ticks = ev
            .iter()
            .filter(|e| matches!(e, FrontendEvent::Speech(m) if m.ongoing))
            .count();
        assert!((6..=8).contains(&ticks), "{ticks} ticks in 2 s");
        assert!(matches!(
            ev[ev.len() - 2],
            FrontendEvent::Speech(SpeechMark { ongoing: false, .. })
        ));
    }

    #[test]
    fn short_pauses_do_not_split_but_long_ones_do() {
        let ev = run(
            &[
                (true, SECOND),
                (false, 15),
                (true, SECOND),
                (false, 40),
                (true, SECOND),
                (false, 40),
            ],
            SegmenterConfig::default(),
        );
        assert_eq!(phrases(&ev).len(), 2);
    }

    #[test]
    fn long_speech_is_cut_into_pieces_without_overlap() {
        let ev = run(
            &[(true, 20 * SECOND), (false, SECOND)],
            SegmenterConfig::default(),
        );
        let p = phrases(&ev);
        assert!(p.len() >= 3, "{} pieces", p.len());
        assert!(!p[0].continues && p[1].continues);
        let total: usize = p.iter().map(|p| p.samples.len()).sum();
        // 20 s of speech + pre/post roll, each sample once.
        assert!(
            total <= (20.0 * 16000.0 + 0.3 * 16000.0 + 512.0) as usize,
            "{total}"
        );
        for w in p.windows(2) {
            assert!(
                w[1].audio_start >= w[0].audio_start + w[0].samples.len() as f64 / 16000.0 - 1e-6
            );
        }
    }

    fn partials(ev: &[FrontendEvent]) -> Vec<&Phrase> {
        ev.iter()
            .filter_map(|e| match e {
                FrontendEvent::Partial(p) => Some(p),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn partials_come_after_each_second_of_new_speech_and_only_when_asked() {
        let frames_per_sec = SAMPLE_RATE as usize / FRAME;
        // 3.5 s of speech, a 0.6 s pause (only 0.3 s of it inside the phrase), 0.5 s more.
        let pattern = [
            (false, 10),
            (true, frames_per_sec * 7 / 2),
            (false, frames_per_sec * 6 / 10),
            (true, frames_per_sec / 2),
            (false, frames_per_sec),
        ];
        let cfg = SegmenterConfig {
            partial_every: Some(1.0),
            ..Default::default()
        };
        let ev = run(&pattern, cfg);
        let (early, finals) = (partials(&ev), phrases(&ev));
        assert_eq!(finals.len(), 2, "{finals:?}");
        assert_eq!(early.len(), 3, "{early:?}");
        for (k, p) in early.iter().enumerate() {
            assert_eq!(p.start, finals[0].start, "a partial belongs to its phrase");
            let said = p.end - p.start;
            assert!((said - (k + 1) as f64).abs() < 0.1, "partial {k} at {said}");
            let audio = p.samples.len() as f64 / SAMPLE_RATE as f64;
            assert!((p.audio_start + audio - p.end).abs() < 0.02);
        }
        // Every partial comes before its phrase's final.
        let last_partial = ev
            .iter()
            .rposition(|e| matches!(e, FrontendEvent::Partial(_)))
            .unwrap();
        let first_final = ev
            .iter()
            .position(|e| matches!(e, FrontendEvent::Phrase(_)))
            .unwrap();
        assert!(last_partial < first_final);
        // Off by default: the same audio gives the same finals and no partial.
        let off = run(&pattern, SegmenterConfig::default());
        assert!(partials(&off).is_empty());
        assert_eq!(phrases(&off), finals);
    }

    #[test]
    fn blips_and_silence_make_no_phrase() {
        assert!(phrases(&run(&[(false, 10 * SECOND)], SegmenterConfig::default())).is_empty());
        assert!(
            phrases(&run(
                &[(true, 3), (false, SECOND), (true, 8), (false, SECOND)],
                SegmenterConfig::default()
            ))
            .is_empty()
        );
    }
}
