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
pub mod hub;

use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use crate::asr::guard::GuardConfig;
use crate::asr::{AsrError, Transcriber};
use crate::audio::source::{CaptureError, CaptureSource};
use crate::event::{Speaker, Summary, Text};
use crate::frontend::{Frontend, FrontendEvent, Phrase, SegmenterConfig, SpeechMark, vad};
use crate::rules::CompiledRules;
use crate::sink::EventSink;
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
    Started {
        source: &'static str,
    },
    Speech {
        speaker: Speaker,
        mark: SpeechMark,
    },
    Transcript {
        speaker: Speaker,
        start: f64,
        end: f64,
        text: Text,
        /// Seconds whisper took on this phrase.
        decode_secs: f64,
    },
    Gap {
        speaker: Speaker,
        t: f64,
        until: f64,
        reason: String,
    },
    CaptureDone {
        duration: f64,
        error: Option<String>,
    },
    AsrDone,
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

/// Run one call from `source` to the sinks; returns the summary and counters.
pub fn run(
    mut source: Box<dyn CaptureSource>,
    transcribers: TranscriberFactory,
    rules: Arc<CompiledRules>,
    sinks: Vec<Box<dyn EventSink>>,
    call: hub::CallInfo,
    cfg: PipelineConfig,
) -> Result<(Summary, RunStats), PipelineError> {
    let mut frontends = Vec::new();
    for &speaker in source.speakers() {
        let vad =
            vad::by_name(&cfg.vad).ok_or_else(|| PipelineError::UnknownVad(cfg.vad.clone()))?;
        frontends.push(Frontend::new(
            speaker,
            source.sample_rate(),
            vad,
            cfg.segmenter.clone(),
        )?);
    }
    let (hub_tx, hub_rx) = bounded::<Msg>(4096);
    let (job_tx, job_rx) = bounded::<AsrJob>(cfg.asr_queue.max(1));
    let clock = AudioClock::default();

    let asr = {
        let (jobs, hub) = (job_rx.clone(), hub_tx.clone());
        let guard = cfg.guard.clone();
        std::thread::Builder::new()
            .name("warmcall-asr".into())
            .spawn(move || asr_worker::run(jobs, hub, transcribers, guard))
            .expect("spawn the ASR thread")
    };
    let capture = {
        let clock = clock.clone();
        let overflow = cfg.overflow;
        std::thread::Builder::new()
            .name("warmcall-capture".into())
            .spawn(move || {
                capture_loop(
                    source.as_mut(),
                    &mut frontends,
                    &job_tx,
                    &job_rx,
                    &hub_tx,
                    &clock,
                    overflow,
                )
            })
            .expect("spawn the capture thread")
    };

    let mut hub = hub::Hub::new(rules, sinks, call, cfg.live_clock.then_some(clock));
    let outcome = hub.run(&hub_rx);
    let _ = capture.join();
    let _ = asr.join();
    let stats = hub.stats().clone();
    match outcome {
        Ok(summary) => Ok((summary, stats)),
        Err(e) => Err(PipelineError::Capture(e)),
    }
}

fn capture_loop(
    source: &mut dyn CaptureSource,
    frontends: &mut [Frontend],
    jobs: &Sender<AsrJob>,
    jobs_rx: &Receiver<AsrJob>,
    hub: &Sender<Msg>,
    clock: &AudioClock,
    overflow: Overflow,
) {
    let mut bufs = vec![Vec::new(); frontends.len()];
    let mut events = Vec::new();
    let mut started = false;
    let mut error = None;
    loop {
        match source.read(&mut bufs) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                error = Some(describe(&e));
                break;
            }
        }
        if !started {
            started = true;
            let _ = hub.send(Msg::Started {
                source: source.kind(),
            });
        }
        for (fe, buf) in frontends.iter_mut().zip(&bufs) {
            events.clear();
            fe.push(buf, &mut events);
            forward(fe.speaker(), &mut events, jobs, jobs_rx, hub, overflow);
        }
        clock.set(frontends.iter().map(Frontend::position).fold(0.0, f64::max));
    }
    for fe in frontends.iter_mut() {
        events.clear();
        fe.finish(&mut events);
        forward(fe.speaker(), &mut events, jobs, jobs_rx, hub, overflow);
    }
    let duration = frontends.iter().map(Frontend::position).fold(0.0, f64::max);
    let _ = hub.send(Msg::CaptureDone { duration, error });
}

fn describe(e: &CaptureError) -> String {
    e.to_string()
}

fn forward(
    speaker: Speaker,
    events: &mut Vec<FrontendEvent>,
    jobs: &Sender<AsrJob>,
    jobs_rx: &Receiver<AsrJob>,
    hub: &Sender<Msg>,
    overflow: Overflow,
) {
    for ev in events.drain(..) {
        match ev {
            FrontendEvent::Speech(mark) => {
                let _ = hub.send(Msg::Speech { speaker, mark });
            }
            FrontendEvent::Phrase(phrase) => {
                let job = AsrJob { speaker, phrase };
                match overflow {
                    Overflow::Block => {
                        let _ = jobs.send(job);
                    }
                    Overflow::DropOldest => {
                        if let Err(TrySendError::Full(job)) = jobs.try_send(job) {
                            if let Ok(old) = jobs_rx.try_recv() {
                                let _ = hub.send(Msg::Gap {
                                    speaker: old.speaker,
                                    t: old.phrase.start,
                                    until: old.phrase.end,
                                    reason:
                                        "recognition fell behind; this speech was not transcribed"
                                            .into(),
                                });
                            }
                            let _ = jobs.send_timeout(job, Duration::from_millis(1));
                        }
                    }
                }
            }
        }
    }
}
