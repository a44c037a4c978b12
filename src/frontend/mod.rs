//! The per-speaker frontend: resample to 16 kHz, detect voice, cut phrases.
//!
//! `Frontend::push` takes a speaker's samples at the source rate and yields speech-timing
//! events (a "still speaking" signal every `tick` seconds, and the end of each stretch) and
//! whole phrases for recognition. It is synchronous and allocation-light, so it runs on the
//! capture thread and is testable without any runtime.

pub mod resample;
pub mod segmenter;
pub mod vad;

use crate::event::Speaker;
pub use segmenter::{Phrase, SegmenterConfig, SpeechMark};

/// What the frontend produced from one block of audio.
#[derive(Debug, Clone, PartialEq)]
pub enum FrontendEvent {
    Speech(SpeechMark),
    Phrase(Phrase),
    /// The phrase still being spoken, as it stands (`SegmenterConfig::partial_every`).
    Partial(Phrase),
}

/// Resampler, voice detector and segmenter for one speaker.
pub struct Frontend {
    speaker: Speaker,
    resampler: resample::To16k,
    vad: Box<dyn vad::VoiceDetector>,
    segmenter: segmenter::Segmenter,
    pcm: Vec<f32>,
    frame: Vec<f32>,
}

impl Frontend {
    pub fn new(
        speaker: Speaker,
        input_rate: u32,
        vad: Box<dyn vad::VoiceDetector>,
        config: SegmenterConfig,
    ) -> Result<Self, resample::ResampleError> {
        let frame_len = vad.frame_len();
        Ok(Self {
            speaker,
            resampler: resample::To16k::new(input_rate)?,
            segmenter: segmenter::Segmenter::new(config, frame_len),
            vad,
            pcm: Vec::new(),
            frame: Vec::with_capacity(frame_len),
        })
    }

    pub fn speaker(&self) -> Speaker {
        self.speaker
    }

    /// Feed samples at the input rate; events are appended to `out`.
    pub fn push(&mut self, samples: &[f32], out: &mut Vec<FrontendEvent>) {
        self.pcm.clear();
        self.resampler.push(samples, &mut self.pcm);
        let frame_len = self.vad.frame_len();
        let mut i = 0;
        while i < self.pcm.len() {
            let take = (frame_len - self.frame.len()).min(self.pcm.len() - i);
            self.frame.extend_from_slice(&self.pcm[i..i + take]);
            i += take;
            if self.frame.len() == frame_len {
                let score = self.vad.score(&self.frame);
                self.segmenter.push_frame(&self.frame, score, out);
                self.frame.clear();
            }
        }
    }

    /// End of input: close any open phrase.
    pub fn finish(&mut self, out: &mut Vec<FrontendEvent>) {
        self.segmenter.finish(out);
    }

    /// Let `secs` of audio pass unheard (coaching paused): any open phrase is discarded.
    pub fn skip(&mut self, secs: f64) {
        self.frame.clear();
        self.segmenter.skip(secs);
    }

    /// Audio time (seconds) this frontend has processed.
    pub fn position(&self) -> f64 {
        self.segmenter.position()
    }
}
