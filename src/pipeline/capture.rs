//! The capture loop: reads the source, runs each speaker's frontend, queues phrases for
//! recognition and tells the hub about speech, gaps and the passing of audio time.
//!
//! The phrase queue toward recognition is bounded. With `Overflow::DropOldest` (a source that
//! delivers at real speed: live audio, `--realtime`) capture never waits: when recognition
//! falls behind, the oldest pending phrase is dropped and a gap says so. With
//! `Overflow::Block` (a file played as fast as possible) capture waits for recognition
//! instead, so nothing is dropped. Messages toward the hub are never dropped.
//!
//! Partials (a phrase so far, while its speaker talks) go on a queue of their own that never
//! blocks capture: when it is full the oldest partial is replaced, with no gap (the final
//! still comes).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::clock::AudioClock;
use super::messages::{AsrJob, Msg, Shared};
use crate::audio::source::CaptureSource;
use crate::event::{Gap, Speaker};
use crate::frontend::{Frontend, FrontendEvent};

/// What to do when recognition falls behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Capture waits (files in fast mode).
    Block,
    /// Drop the oldest pending phrase and log a gap (live audio).
    DropOldest,
}

impl Overflow {
    /// The policy for a source: a paced one cannot wait.
    pub fn for_source(source: &dyn CaptureSource) -> Self {
        if source.paced() {
            Overflow::DropOldest
        } else {
            Overflow::Block
        }
    }
}

/// The capture thread's outputs and settings.
pub struct Capture {
    pub jobs: Sender<AsrJob>,
    /// The queue's receiving end, to drop the oldest job when it is full.
    pub jobs_rx: Receiver<AsrJob>,
    /// The partials queue, both ends (`None`: partials are off).
    pub partials: Option<(Sender<AsrJob>, Receiver<AsrJob>)>,
    pub hub: Sender<Msg>,
    pub overflow: Overflow,
    /// Seconds of audio between ticks to the hub.
    pub tick: f64,
    pub clock: AudioClock,
    pub shared: Arc<Shared>,
}

/// Where each speaker is in the audio read so far.
struct Positions {
    secs: Vec<f64>,
    /// The furthest speaker: run time.
    now: f64,
}

impl Capture {
    /// Read `source` until it ends, fails or the stop flag is set; then close every open
    /// phrase and send `CaptureDone`. Dropping `self` closes the phrase queue.
    pub fn run(self, source: &mut dyn CaptureSource, frontends: &mut [Frontend]) {
        let mut bufs = vec![Vec::new(); frontends.len()];
        let mut events = Vec::new();
        let mut started = false;
        let mut error = None;
        let mut last_tick = 0.0;
        // Call time is the audio read so far, whether or not coaching is paused. Each speaker
        // keeps its own position (live devices deliver at their own pace); the call is as far
        // as the furthest.
        let mut pos = Positions {
            secs: vec![0.0; frontends.len()],
            now: 0.0,
        };
        while !self.shared.stop.load(Ordering::Acquire) {
            match source.read(&mut bufs) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
            if !started {
                started = true;
                self.shared.capture_began();
                let _ = self.hub.send(Msg::Started);
            }
            for gap in source.take_gaps() {
                let _ = self.hub.send(Msg::Gap {
                    gap,
                    dropped_phrase: false,
                });
            }
            self.feed(source, frontends, &bufs, &mut pos, &mut events);
            self.publish(source, pos.now);
            if pos.now - last_tick >= self.tick {
                last_tick = pos.now;
                let _ = self.hub.send(Msg::Tick {
                    now: pos.now,
                    alive: true,
                });
            }
        }
        for fe in frontends.iter_mut() {
            events.clear();
            fe.finish(&mut events);
            self.forward(fe.speaker(), &mut events);
        }
        let duration = frontends
            .iter()
            .map(Frontend::position)
            .fold(pos.now, f64::max);
        let _ = self.hub.send(Msg::CaptureDone { duration, error });
    }

    /// One read's audio into the frontends (or past them while paused).
    fn feed(
        &self,
        source: &dyn CaptureSource,
        frontends: &mut [Frontend],
        bufs: &[Vec<f32>],
        pos: &mut Positions,
        events: &mut Vec<FrontendEvent>,
    ) {
        let paused = self.shared.paused.load(Ordering::Acquire);
        for (i, (fe, buf)) in frontends.iter_mut().zip(bufs).enumerate() {
            let secs = buf.len() as f64 / f64::from(source.rate(i));
            pos.secs[i] += secs;
            self.shared.capture_progress(fe.speaker(), pos.secs[i]);
            if paused {
                fe.skip(secs);
            } else {
                events.clear();
                fe.push(buf, events);
                self.forward(fe.speaker(), events);
            }
        }
        pos.now = pos.secs.iter().copied().fold(pos.now, f64::max);
    }

    /// Audio time and the source's counters, for the hub and `status`.
    fn publish(&self, source: &dyn CaptureSource, now: f64) {
        self.clock.set(now);
        self.shared
            .dropped_samples
            .store(source.dropped_samples(), Ordering::Relaxed);
        self.shared.xruns.store(source.xruns(), Ordering::Relaxed);
    }

    fn forward(&self, speaker: Speaker, events: &mut Vec<FrontendEvent>) {
        for ev in events.drain(..) {
            match ev {
                FrontendEvent::Speech(mark) => {
                    let _ = self.hub.send(Msg::Speech { speaker, mark });
                }
                FrontendEvent::Phrase(phrase) => {
                    let _ = self.hub.send(Msg::Phrase);
                    self.queue(AsrJob {
                        speaker,
                        phrase,
                        queued_at: std::time::Instant::now(),
                        partial: false,
                    });
                }
                FrontendEvent::Partial(phrase) => {
                    if let Some((tx, rx)) = &self.partials {
                        let job = AsrJob {
                            speaker,
                            phrase,
                            queued_at: std::time::Instant::now(),
                            partial: true,
                        };
                        if let Err(TrySendError::Full(job)) = tx.try_send(job) {
                            let _ = rx.try_recv();
                            let _ = tx.try_send(job);
                        }
                    }
                }
            }
        }
    }

    fn queue(&self, job: AsrJob) {
        match self.overflow {
            Overflow::Block => {
                let _ = self.jobs.send(job);
            }
            Overflow::DropOldest => {
                if let Err(TrySendError::Full(job)) = self.jobs.try_send(job) {
                    if let Ok(old) = self.jobs_rx.try_recv() {
                        let _ = self.hub.send(Msg::Gap {
                            gap: Gap {
                                t: old.phrase.start,
                                speaker: old.speaker,
                                reason: "recognition fell behind; this speech was not transcribed"
                                    .into(),
                                until: old.phrase.end,
                            },
                            dropped_phrase: true,
                        });
                    }
                    let _ = self.jobs.send_timeout(job, Duration::from_millis(1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::source::{CaptureError, SourceKind};
    use crate::frontend::{SegmenterConfig, vad};
    use crossbeam_channel::bounded;

    /// Blocks of audio per read, then the end; a gap reported on the second read.
    struct Scripted {
        blocks: Vec<Vec<Vec<f32>>>,
        next: usize,
        paced: bool,
        speakers: Vec<Speaker>,
    }

    impl CaptureSource for Scripted {
        fn speakers(&self) -> &[Speaker] {
            &self.speakers
        }
        fn sample_rate(&self) -> u32 {
            16_000
        }
        fn kind(&self) -> SourceKind {
            SourceKind::File
        }
        fn paced(&self) -> bool {
            self.paced
        }
        fn read(&mut self, out: &mut [Vec<f32>]) -> Result<bool, CaptureError> {
            let Some(block) = self.blocks.get(self.next) else {
                return Ok(false);
            };
            self.next += 1;
            for (o, b) in out.iter_mut().zip(block) {
                o.clone_from(b);
            }
            Ok(true)
        }
        fn take_gaps(&mut self) -> Vec<Gap> {
            if self.next == 2 {
                vec![Gap {
                    t: 0.1,
                    speaker: Speaker::Them,
                    reason: "capture device lost".into(),
                    until: 0.2,
                }]
            } else {
                Vec::new()
            }
        }
        fn xruns(&self) -> u64 {
            self.next as u64
        }
    }

    /// One second of a loud tone per speaker and read, `reads` times.
    fn tone(reads: usize) -> Scripted {
        let block: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.06).sin() * 0.5).collect();
        Scripted {
            blocks: vec![vec![block.clone(), block]; reads],
            next: 0,
            paced: false,
            speakers: Speaker::BOTH.to_vec(),
        }
    }

    fn run(
        mut source: Scripted,
        queue: usize,
        paused: bool,
    ) -> (Vec<Msg>, Vec<AsrJob>, Arc<Shared>) {
        let (hub, hub_rx) = bounded(10_000);
        let (jobs, jobs_rx) = bounded(queue);
        let shared = Arc::new(Shared::default());
        shared.paused.store(paused, Ordering::Release);
        let segmenter = SegmenterConfig {
            max_phrase: 1.0,
            ..SegmenterConfig::default()
        };
        let mut frontends: Vec<Frontend> = Speaker::BOTH
            .iter()
            .map(|&s| {
                let vad = vad::by_name("energy").unwrap();
                Frontend::new(s, 16_000, vad, segmenter.clone()).unwrap()
            })
            .collect();
        let cap = Capture {
            jobs,
            jobs_rx: jobs_rx.clone(),
            partials: None,
            hub,
            overflow: Overflow::for_source(&source),
            tick: 0.2,
            clock: AudioClock::default(),
            shared: shared.clone(),
        };
        cap.run(&mut source, &mut frontends);
        (
            hub_rx.try_iter().collect(),
            jobs_rx.try_iter().collect(),
            shared,
        )
    }

    #[test]
    fn audio_becomes_speech_phrases_ticks_and_the_end() {
        let (msgs, jobs, shared) = run(tone(3), 100, false);
        assert!(matches!(msgs[0], Msg::Started));
        assert!(
            matches!(msgs.last(), Some(Msg::CaptureDone { duration, error: None }) if (*duration - 3.0).abs() < 0.05)
        );
        let ticks = msgs
            .iter()
            .filter(|m| matches!(m, Msg::Tick { .. }))
            .count();
        assert_eq!(ticks, 3, "one tick per read of a second");
        assert!(msgs.iter().any(|m| matches!(
            m,
            Msg::Speech {
                speaker: Speaker::Them,
                ..
            }
        )));
        let phrases = msgs.iter().filter(|m| matches!(m, Msg::Phrase)).count();
        assert!(
            phrases >= 2 && phrases == jobs.len(),
            "{phrases} phrases, {} jobs",
            jobs.len()
        );
        let gaps: Vec<&Gap> = msgs
            .iter()
            .filter_map(|m| match m {
                Msg::Gap {
                    gap,
                    dropped_phrase: false,
                } => Some(gap),
                _ => None,
            })
            .collect();
        assert_eq!(gaps.len(), 1, "the source's gap is passed on");
        assert_eq!(shared.xruns.load(Ordering::Relaxed), 3);
        let (_, audio) = shared.audio_account();
        assert_eq!(audio, [(Speaker::Me, 3.0), (Speaker::Them, 3.0)]);
    }

    #[test]
    fn a_paced_source_drops_the_oldest_phrase_when_recognition_is_behind() {
        let mut src = tone(4);
        src.paced = true;
        let (msgs, jobs, _) = run(src, 1, false);
        let dropped = msgs
            .iter()
            .filter(|m| {
                matches!(
                    m,
                    Msg::Gap {
                        dropped_phrase: true,
                        ..
                    }
                )
            })
            .count();
        assert!(dropped >= 1, "no phrase dropped");
        assert_eq!(jobs.len(), 1, "the queue holds the newest phrase");
    }

    #[test]
    fn paused_audio_is_counted_but_not_heard() {
        let (msgs, jobs, _) = run(tone(2), 100, true);
        assert!(jobs.is_empty());
        assert!(
            !msgs
                .iter()
                .any(|m| matches!(m, Msg::Speech { .. } | Msg::Phrase))
        );
        assert!(
            matches!(msgs.last(), Some(Msg::CaptureDone { duration, .. }) if (*duration - 2.0).abs() < 0.05)
        );
    }
}
