//! Wiring: the one place that creates channels and threads and connects the stages.
//!
//! ```text
//! capture thread: source → Frontend (per speaker) ─ speech marks ──────────────┐
//!                                                 └ phrases ─▶ [bounded queue] │
//! ASR thread:     phrases → Transcriber (per speaker) → guard ─ transcripts ──┤
//! hub (caller):   Engine (rules) ◀───────────────────────────────────────────┘ → sinks
//! ```
//!
//! The phrase queue toward recognition is bounded. With `Overflow::DropOldest` (live audio and
//! `--realtime`) the capture side never waits: when recognition falls behind, the oldest
//! pending phrase is dropped and a `gap` event says so. With `Overflow::Block` (a file played
//! as fast as possible) capture waits for recognition instead, so nothing is dropped. Events
//! toward the hub are never dropped.

pub mod asr_worker;
pub mod clock;
pub mod control;
pub mod hub;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::asr::guard::GuardConfig;
use crate::asr::{AsrError, Transcriber};
use crate::audio::source::{CaptureSource, SourceNote};
use crate::event::{Speaker, Summary, Text};
use crate::frontend::{Frontend, FrontendEvent, Phrase, SegmenterConfig, SpeechMark, vad};
use clock::AudioClock;

/// What to do when recognition falls behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Capture waits (files in fast mode).
    Block,
    /// Drop the oldest pending phrase and log a gap (live audio).
    DropOldest,
}

/// Settings of one pipeline run.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub segmenter: SegmenterConfig,
    /// VAD backend name (`frontend::vad::BACKENDS`).
    pub vad: String,
    pub guard: GuardConfig,
    pub overflow: Overflow,
    /// Phrases that may wait for recognition.
    pub asr_queue: usize,
    /// Stamp events with the audio clock (live capture, `--realtime`). Off for a file played
    /// as fast as possible, where a transcript is stamped with the end of its speech.
    pub live_clock: bool,
    /// Seconds between ticks to the hub (sessions, watchdog).
    pub tick: f64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            segmenter: SegmenterConfig::default(),
            vad: "earshot".into(),
            guard: GuardConfig::default(),
            overflow: Overflow::DropOldest,
            asr_queue: 8,
            live_clock: true,
            tick: 0.2,
        }
    }
}

/// Makes one transcriber per speaker, on the ASR thread.
pub type TranscriberFactory =
    Box<dyn FnMut(Speaker) -> Result<Box<dyn Transcriber>, AsrError> + Send>;

/// A phrase on its way to recognition.
#[derive(Debug)]
pub struct AsrJob {
    pub speaker: Speaker,
    pub phrase: Phrase,
}

/// Messages toward the hub.
#[derive(Debug)]
pub enum Msg {
    /// The first audio entered the pipeline.
    Started,
    Speech {
        speaker: Speaker,
        mark: SpeechMark,
    },
    /// A phrase was queued for recognition (answered by `Transcript`, `NoText` or a `Gap`).
    Phrase,
    Transcript {
        speaker: Speaker,
        start: f64,
        end: f64,
        text: Text,
        /// Seconds whisper took on this phrase.
        decode_secs: f64,
    },
    /// A phrase produced no trustworthy text.
    NoText,
    Gap {
        speaker: Speaker,
        t: f64,
        until: f64,
        reason: String,
        /// The gap is a queued phrase that was dropped or failed.
        dropped_phrase: bool,
    },
    /// Audio time now; `alive` is false when capture has been stuck.
    Tick {
        now: f64,
        alive: bool,
    },
    Control {
        cmd: control::Command,
        reply: Sender<String>,
    },
    CaptureDone {
        duration: f64,
        error: Option<String>,
    },
    AsrDone,
}

/// State shared between the threads of a run.
#[derive(Debug, Default)]
pub struct Shared {
    /// Coaching is paused: capture keeps running but no audio goes to the frontends.
    pub paused: AtomicBool,
    /// Asks the capture thread to finish (SIGTERM).
    pub stop: Arc<AtomicBool>,
    /// Audio samples dropped by capture.
    pub dropped_samples: AtomicU64,
    /// Seconds of audio read per speaker (f64 bits, by `Speaker::index`), and when capture
    /// started: a live speaker falling behind the wall clock has lost audio before it reached
    /// warmcall (or its device's clock runs slow).
    audio_secs: [AtomicU64; 2],
    capture_started: std::sync::OnceLock<Instant>,
    /// Milliseconds since `epoch` when the current decode began; 0 when idle.
    asr_busy_since: AtomicU64,
    epoch: std::sync::OnceLock<Instant>,
}

/// A decode running longer than this counts as hung (the watchdog stops being fed).
const ASR_HUNG: Duration = Duration::from_secs(60);

impl Shared {
    fn epoch(&self) -> Instant {
        *self.epoch.get_or_init(Instant::now)
    }

    pub(crate) fn asr_started(&self) {
        let ms = self.epoch().elapsed().as_millis().max(1) as u64;
        self.asr_busy_since.store(ms, Ordering::Release);
    }

    pub(crate) fn asr_finished(&self) {
        self.asr_busy_since.store(0, Ordering::Release);
    }

    fn capture_began(&self) {
        self.capture_started.get_or_init(Instant::now);
    }

    fn capture_progress(&self, speaker: Speaker, secs: f64) {
        self.audio_secs[speaker.index()].store(secs.to_bits(), Ordering::Relaxed);
    }

    /// Wall-clock seconds since capture started, and the audio read so far per speaker
    /// (speakers the source has no audio of are left out).
    pub fn audio_account(&self) -> (f64, Vec<(Speaker, f64)>) {
        let wall = self
            .capture_started
            .get()
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        let audio = Speaker::BOTH
            .iter()
            .filter_map(|&s| {
                let bits = self.audio_secs[s.index()].load(Ordering::Relaxed);
                (bits != 0).then(|| (s, f64::from_bits(bits)))
            })
            .collect();
        (wall, audio)
    }

    /// The recognition thread is idle or within its time budget.
    pub fn asr_alive(&self) -> bool {
        let since = self.asr_busy_since.load(Ordering::Acquire);
        since == 0
            || self.epoch().elapsed().as_millis() as u64 - since < ASR_HUNG.as_millis() as u64
    }
}

/// Counters of a finished run.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub phrases: u64,
    pub dropped: u64,
    pub decode_secs: Vec<f64>,
}

/// Why a run could not start or ended badly.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("unknown VAD backend {0:?} (choose one of: {list})", list = vad::BACKENDS.join(", "))]
    UnknownVad(String),
    #[error(transparent)]
    Resample(#[from] crate::frontend::resample::ResampleError),
    #[error("audio input failed: {0} (the call log up to that point was kept)")]
    Capture(String),
}

/// The channels and shared state of a run, made before it starts so a control socket can be
/// connected to the hub.
pub struct Wiring {
    hub_tx: Sender<Msg>,
    hub_rx: Receiver<Msg>,
    pub shared: Arc<Shared>,
}

impl Wiring {
    pub fn new() -> Self {
        let (hub_tx, hub_rx) = bounded::<Msg>(4096);
        Self {
            hub_tx,
            hub_rx,
            shared: Arc::default(),
        }
    }

    /// A sender for control commands and other outside messages.
    pub fn hub_sender(&self) -> Sender<Msg> {
        self.hub_tx.clone()
    }
}

impl Default for Wiring {
    fn default() -> Self {
        Self::new()
    }
}

/// Run from `source` until it ends (or `stop`), through recognition and the hub.
/// Returns the last call's summary and the counters.
pub fn run(
    mut source: Box<dyn CaptureSource>,
    transcribers: TranscriberFactory,
    parts: hub::HubParts,
    cfg: PipelineConfig,
    wiring: Wiring,
) -> Result<(Option<Summary>, RunStats), PipelineError> {
    let mut frontends = Vec::new();
    for (i, &speaker) in source.speakers().iter().enumerate() {
        let vad =
            vad::by_name(&cfg.vad).ok_or_else(|| PipelineError::UnknownVad(cfg.vad.clone()))?;
        frontends.push(Frontend::new(
            speaker,
            source.rate(i),
            vad,
            cfg.segmenter.clone(),
        )?);
    }
    let Wiring {
        hub_tx,
        hub_rx,
        shared,
    } = wiring;
    let (job_tx, job_rx) = bounded::<AsrJob>(cfg.asr_queue.max(1));
    let clock = AudioClock::default();

    let asr = {
        let (jobs, hub, shared) = (job_rx.clone(), hub_tx.clone(), shared.clone());
        let guard = cfg.guard.clone();
        std::thread::Builder::new()
            .name("warmcall-asr".into())
            .spawn(move || asr_worker::run(jobs, hub, transcribers, guard, &shared))
            .expect("spawn the ASR thread")
    };
    let capture = {
        let clock = clock.clone();
        let shared = shared.clone();
        let cfg = cfg.clone();
        std::thread::Builder::new()
            .name("warmcall-capture".into())
            .spawn(move || {
                let mut cap = Capture {
                    jobs: &job_tx,
                    jobs_rx: &job_rx,
                    hub: &hub_tx,
                    overflow: cfg.overflow,
                };
                cap.run(source.as_mut(), &mut frontends, &clock, &shared, cfg.tick)
            })
            .expect("spawn the capture thread")
    };

    let parts = hub::HubParts {
        clock: if cfg.live_clock { Some(clock) } else { None },
        ..parts
    };
    let mut hub = hub::Hub::new(parts, shared);
    let outcome = hub.run(&hub_rx);
    let _ = capture.join();
    let _ = asr.join();
    let stats = hub.stats().clone();
    match outcome {
        Ok(summary) => Ok((summary, stats)),
        Err(e) => Err(PipelineError::Capture(e)),
    }
}

/// The capture thread's outputs.
struct Capture<'a> {
    jobs: &'a Sender<AsrJob>,
    jobs_rx: &'a Receiver<AsrJob>,
    hub: &'a Sender<Msg>,
    overflow: Overflow,
}

impl Capture<'_> {
    fn run(
        &mut self,
        source: &mut dyn CaptureSource,
        frontends: &mut [Frontend],
        clock: &AudioClock,
        shared: &Shared,
        tick: f64,
    ) {
        let mut bufs = vec![Vec::new(); frontends.len()];
        let mut events = Vec::new();
        let mut started = false;
        let mut error = None;
        let mut last_tick = 0.0;
        // Call time is the audio read so far, whether or not coaching is paused. Each speaker
        // keeps its own position (live devices deliver at their own pace); the call is as far
        // as the furthest.
        let mut positions = vec![0.0; frontends.len()];
        let mut now = 0.0;
        loop {
            if shared.stop.load(Ordering::Acquire) {
                break;
            }
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
                shared.capture_began();
                let _ = self.hub.send(Msg::Started);
            }
            for note in source.take_notes() {
                let SourceNote::Gap {
                    speaker,
                    from,
                    until,
                    reason,
                } = note;
                let _ = self.hub.send(Msg::Gap {
                    speaker,
                    t: from,
                    until,
                    reason,
                    dropped_phrase: false,
                });
            }
            let paused = shared.paused.load(Ordering::Acquire);
            for (i, (fe, buf)) in frontends.iter_mut().zip(&bufs).enumerate() {
                let secs = buf.len() as f64 / f64::from(source.rate(i));
                positions[i] += secs;
                shared.capture_progress(fe.speaker(), positions[i]);
                if paused {
                    fe.skip(secs);
                } else {
                    events.clear();
                    fe.push(buf, &mut events);
                    self.forward(fe.speaker(), &mut events);
                }
            }
            now = positions.iter().copied().fold(now, f64::max);
            clock.set(now);
            shared
                .dropped_samples
                .store(source.dropped_samples(), Ordering::Relaxed);
            if now - last_tick >= tick {
                last_tick = now;
                let _ = self.hub.send(Msg::Tick { now, alive: true });
            }
        }
        for fe in frontends.iter_mut() {
            events.clear();
            fe.finish(&mut events);
            self.forward(fe.speaker(), &mut events);
        }
        let duration = frontends.iter().map(Frontend::position).fold(now, f64::max);
        let _ = self.hub.send(Msg::CaptureDone { duration, error });
    }

    fn forward(&mut self, speaker: Speaker, events: &mut Vec<FrontendEvent>) {
        for ev in events.drain(..) {
            match ev {
                FrontendEvent::Speech(mark) => {
                    let _ = self.hub.send(Msg::Speech { speaker, mark });
                }
                FrontendEvent::Phrase(phrase) => {
                    let _ = self.hub.send(Msg::Phrase);
                    let job = AsrJob { speaker, phrase };
                    match self.overflow {
                        Overflow::Block => {
                            let _ = self.jobs.send(job);
                        }
                        Overflow::DropOldest => {
                            if let Err(TrySendError::Full(job)) = self.jobs.try_send(job) {
                                if let Ok(old) = self.jobs_rx.try_recv() {
                                    let _ = self.hub.send(Msg::Gap {
                                        speaker: old.speaker,
                                        t: old.phrase.start,
                                        until: old.phrase.end,
                                        reason: "recognition fell behind; this speech was not transcribed".into(),
                                        dropped_phrase: true,
                                    });
                                }
                                let _ = self.jobs.send_timeout(job, Duration::from_millis(1));
                            }
                        }
                    }
                }
            }
        }
    }
}
