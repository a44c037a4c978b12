//! Voice activity detection behind one small trait, backends chosen by name.
//!
//! `earshot` (the default) is a pure-Rust neural VAD with built-in weights; `energy` is a plain
//! RMS gate, useful where a neural model is not wanted.

/// Scores fixed-size 16 kHz frames: 0 = no voice, 1 = voice.
pub trait VoiceDetector: Send {
    /// Samples per frame.
    fn frame_len(&self) -> usize;
    fn score(&mut self, frame: &[f32]) -> f32;
}

/// earshot's detector: 256-sample (16 ms) frames.
pub struct Earshot(Box<earshot::Detector>);

impl Default for Earshot {
    fn default() -> Self {
        Self(earshot::Detector::default_boxed())
    }
}

impl VoiceDetector for Earshot {
    fn frame_len(&self) -> usize {
        256
    }

    fn score(&mut self, frame: &[f32]) -> f32 {
        self.0.predict_f32(frame)
    }
}

/// An RMS gate: frames louder than `threshold` count as voice.
pub struct Energy {
    pub threshold: f32,
}

impl VoiceDetector for Energy {
    fn frame_len(&self) -> usize {
        256
    }

    fn score(&mut self, frame: &[f32]) -> f32 {
        if rms(frame) >= self.threshold {
            1.0
        } else {
            0.0
        }
    }
}

/// Root mean square of a frame.
pub fn rms(frame: &[f32]) -> f32 {
    if frame.is_empty() {
        return 0.0;
    }
    (frame.iter().map(|x| x * x).sum::<f32>() / frame.len() as f32).sqrt()
}

/// The VAD backends, by the name the config uses.
pub const BACKENDS: &[&str] = &["earshot", "energy"];

/// Build a backend by name.
pub fn by_name(name: &str) -> Option<Box<dyn VoiceDetector>> {
    match name {
        "earshot" => Some(Box::new(Earshot::default())),
        "energy" => Some(Box::new(Energy { threshold: 0.02 })),
        _ => None,
    }
}
