//! `warmcall model verify`: load a model, transcribe the bundled JFK sample, check the words.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::asr::whisper::{DecodeOptions, WhisperModel};
use crate::asr::{AsrError, Transcriber};
use crate::audio::wav;

/// 11 s of real speech (whisper.cpp's sample, public domain speech), embedded so a user's
/// machine needs no extra file.
pub const JFK_WAV: &[u8] = include_bytes!("../assets/jfk.wav");

/// The words the JFK sample must produce.
pub const JFK_TEXT: &str = "and so my fellow americans ask not what your country can do for you ask what you can do for your country";

/// What a verification found.
#[derive(Debug, Clone)]
pub struct Verification {
    pub text: String,
    pub load_time: Duration,
    pub decode_time: Duration,
    pub matches: bool,
}

/// The JFK sample as 16 kHz mono samples.
pub fn jfk_samples() -> Vec<f32> {
    let audio = wav::read(JFK_WAV, Path::new("jfk.wav")).expect("the embedded sample decodes");
    audio.channels.into_iter().next().expect("one channel")
}

/// Load `model` and transcribe the JFK sample with it.
pub fn verify(model: &Path) -> Result<Verification, AsrError> {
    let t0 = Instant::now();
    let m = WhisperModel::load(model)?;
    let load_time = t0.elapsed();
    let mut tr = m.transcriber(DecodeOptions {
        fit_audio_ctx: false,
        ..DecodeOptions::default()
    })?;
    let pcm = jfk_samples();
    let t1 = Instant::now();
    let text = tr.transcribe(&pcm)?.text();
    let decode_time = t1.elapsed();
    let matches = crate::text::normalize(&text) == JFK_TEXT;
    Ok(Verification {
        text,
        load_time,
        decode_time,
        matches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_ignores_case_and_punctuation() {
        assert_eq!(
            crate::text::normalize(
                " And so, my fellow Americans: ask not what your country can do for you; ask what you can do for your country."
            ),
            JFK_TEXT
        );
    }

    #[test]
    fn the_embedded_sample_is_11_seconds_of_16k_mono() {
        let s = jfk_samples();
        assert!((s.len() as f64 / 16_000.0 - 11.0).abs() < 0.1);
    }
}
