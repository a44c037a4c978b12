//! Speech recognition: turning 16 kHz mono audio into text.
//!
//! `whisper` wraps whisper.cpp through whisper-rs; `threads` chooses how many CPU threads each
//! decode uses on a shared machine. The recognition stage talks to the engine through the
//! `Transcriber` trait so it can be driven by a scripted double in fault-injection tests.

pub mod guard;
pub mod threads;
pub mod whisper;

use thiserror::Error;

use crate::event::Speaker;

/// Samples per second recognition works at (Whisper's rate); the frontend resamples to it.
pub const SAMPLE_RATE: u32 = 16_000;

/// One piece of recognised text, times relative to the start of the audio given.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Probability that the audio held no speech at all.
    pub no_speech_prob: f32,
    /// Mean log-probability of the segment's text tokens.
    pub avg_logprob: f32,
}

/// Everything recognised in one piece of audio.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcription {
    pub segments: Vec<Segment>,
}

impl Transcription {
    /// The segments' text, joined and trimmed.
    pub fn text(&self) -> String {
        let joined: String = self.segments.iter().map(|s| s.text.as_str()).collect();
        joined.trim().to_string()
    }
}

/// Errors from a recognition engine.
#[derive(Debug, Error)]
pub enum AsrError {
    #[error("model file {0} not found (run `warmcall model fetch`, or `warmcall model import`)")]
    ModelMissing(std::path::PathBuf),
    #[error("model file {path} is not a usable whisper.cpp model: {detail}")]
    ModelInvalid {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("whisper failed: {0}")]
    Engine(String),
}

/// A speech recogniser: one call per phrase of 16 kHz mono samples.
pub trait Transcriber: Send {
    fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError>;

    /// A phrase still being spoken, decoded for cues only (its final decode comes later): an
    /// engine may trade accuracy for speed here. By default the same as `transcribe`.
    fn transcribe_partial(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
        self.transcribe(pcm)
    }
}

/// Makes one transcriber per speaker, on the recognition thread.
pub type TranscriberFactory =
    Box<dyn FnMut(Speaker) -> Result<Box<dyn Transcriber>, AsrError> + Send>;
