//! The pipeline: the stages wired into threads, and the one place that does it (`builder`).
//!
//! ```text
//! capture thread: source → Frontend (per speaker) ─ speech marks ──────────────┐
//!                                                 └ phrases ─▶ [bounded queue] │
//! ASR thread:     phrases → Transcriber (per speaker) → guard ─ transcripts ──┤
//! hub thread:     Call (rules engine) ◀──────────────────────────────────────┘
//!                   → flags → notification gate → sinks (stdout, call log)
//! services:       control socket, signals, config watcher ─ commands ─▶ hub
//! ```
//!
//! - `builder`: `Builder` and `RunOptions`: builds a run from the config and the command's
//!   options, starts every thread; `running::Pipeline` waits for it and joins them.
//! - `messages`: what the threads send each other, and the state they share.
//! - `capture`, `asr_worker`, `hub`: the three threads' loops.
//! - `session`, `status`, `control`: the hub's calls, its `ctl status` answer, and how it
//!   answers control commands.
//! - `services`: control socket, signals, config watcher, systemd.
//! - `clock`: the audio clock, wall-clock stamps and call ids.

pub mod asr_worker;
pub mod builder;
pub mod capture;
pub mod clock;
pub mod control;
pub mod hub;
pub mod messages;
pub mod redaction;
pub mod running;
pub mod services;
pub mod session;
pub mod status;

use std::path::PathBuf;

pub use builder::{Builder, RunOptions};
pub use messages::RunStats;
pub use running::{Pipeline, RunReport};
pub use services::Services;

use crate::asr::guard::GuardConfig;
use crate::frontend::{SegmenterConfig, vad};

/// Tuning of the stages; the defaults are what the daemon runs with.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub segmenter: SegmenterConfig,
    /// VAD backend name (`frontend::vad::BACKENDS`).
    pub vad: String,
    pub guard: GuardConfig,
    /// Phrases that may wait for recognition.
    pub asr_queue: usize,
    /// Seconds of audio between ticks to the hub (sessions, watchdog).
    pub tick: f64,
    /// With a source that plays at real speed (live audio, `--realtime`): a phrase that waited
    /// longer than this for recognition is not decoded (its cue would come too late to help)
    /// and a gap says so. The newer speech behind it is decoded instead.
    pub stale_after: std::time::Duration,
    /// Seconds of new speech between two partial decodes of a phrase still being spoken
    /// (paced sources with `[asr] partials` on).
    pub partial_every: f64,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            segmenter: SegmenterConfig::default(),
            vad: "earshot".into(),
            guard: GuardConfig::default(),
            asr_queue: 8,
            tick: 0.2,
            stale_after: std::time::Duration::from_secs(5),
            partial_every: 1.0,
        }
    }
}

/// Why a pipeline could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Rules(#[from] crate::rules::RuleError),
    #[error(transparent)]
    Capture(#[from] crate::audio::source::CaptureError),
    #[error(transparent)]
    Model(#[from] crate::asr::AsrError),
    #[error("unknown VAD backend {0:?} (choose one of: {list})", list = vad::BACKENDS.join(", "))]
    UnknownVad(String),
    #[error("unknown backend {0:?}")]
    UnknownBackend(String),
    #[error(transparent)]
    Resample(#[from] crate::frontend::resample::ResampleError),
    #[error("control socket {}: {source}", path.display())]
    Control {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("call log directory {}: {source}", path.display())]
    LogDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Why a run ended badly.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("audio input failed: {0} (the call log up to that point was kept)")]
    Capture(String),
    #[error(
        "a pipeline thread stopped unexpectedly (a bug; the call log up to that point was kept)"
    )]
    Crashed,
}
