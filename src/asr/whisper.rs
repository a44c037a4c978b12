//! whisper.cpp through whisper-rs: one loaded model, any number of decoding states.
//!
//! A `WhisperModel` is shared (it is `Send + Sync`); each speaker gets its own
//! `WhisperTranscriber`, which owns a whisper state and decodes one phrase per call with greedy
//! sampling, no carried-over context and an encoder window sized to the phrase.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

use super::threads::{ThreadPolicy, Threads};
use super::{AsrError, SAMPLE_RATE, Segment, Transcriber, TranscriberFactory, Transcription};
use crate::model::ggml;
/// Encoder frames per second of audio (1500 frames = 30 s).
const FRAMES_PER_SECOND: f64 = 50.0;
const MAX_AUDIO_CTX: i32 = 1500;
/// Shorter encoder windows (8 s here) make whisper garble short phrases: measured on the JFK
/// sample's isolated "ask not", 150 frames gave "as not rigging virus", 400 "Ask Not!".
const MIN_AUDIO_CTX: i32 = 400;
/// A partial's window may be shorter (7 s): it is only read for cues, and the final decodes
/// the phrase again with the full window. On the demo call's 76 partial-sized prefixes (with
/// no timestamps and the token cap below) 350 frames decoded in 0.22 s p50 against 0.26 s at
/// 400 in one run; 250 and 200 frames fell into repetition loops. `cargo bench --bench decode
/// -- --partials` compares a partial's settings with a final's.
const PARTIAL_MIN_AUDIO_CTX: i32 = 350;
/// Tokens a partial may produce: 8, plus 6 per second of audio (speech is 3 to 4 tokens a
/// second). A decode caught in a repetition loop ("Malidididid…") stops there instead of
/// running to the model's limit, which took a second and more.
fn partial_max_tokens(samples: usize) -> i32 {
    8 + (6.0 * samples as f64 / f64::from(SAMPLE_RATE)) as i32
}

/// Decoding options.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// Spoken language, such as "en"; `None` lets a multilingual model detect it.
    pub language: Option<String>,
    /// CPU threads for each decode (`Auto`: one on a busy machine, see `asr::threads`).
    pub threads: Threads,
    /// Size the encoder to the phrase instead of a full 30 s window.
    pub fit_audio_ctx: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            language: Some("en".into()),
            threads: Threads::Auto,
            fit_audio_ctx: true,
        }
    }
}

/// A loaded whisper.cpp model.
#[derive(Clone)]
pub struct WhisperModel {
    ctx: Arc<WhisperContext>,
    path: PathBuf,
    multilingual: bool,
}

static LOG_HOOKS: Once = Once::new();

impl WhisperModel {
    /// Load a ggml model file, checking its structure first so a damaged file is reported
    /// instead of aborting inside whisper.cpp.
    pub fn load(path: &Path) -> Result<Self, AsrError> {
        LOG_HOOKS.call_once(whisper_rs::install_logging_hooks);
        if !path.is_file() {
            return Err(AsrError::ModelMissing(path.to_path_buf()));
        }
        let invalid = |detail: String| AsrError::ModelInvalid {
            path: path.to_path_buf(),
            detail,
        };
        let (hp, _) = ggml::validate(path).map_err(|e| invalid(e.to_string()))?;
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| invalid(format!("whisper.cpp refused it ({e:?})")))?;
        Ok(Self {
            ctx: Arc::new(ctx),
            path: path.to_path_buf(),
            multilingual: hp.is_multilingual(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }

    /// A decoding state of its own (one per speaker).
    pub fn transcriber(&self, options: DecodeOptions) -> Result<WhisperTranscriber, AsrError> {
        let state = self
            .ctx
            .create_state()
            .map_err(|e| AsrError::Engine(format!("cannot create a decoding state: {e:?}")))?;
        let options = DecodeOptions {
            // An English-only model decodes English whatever the config says.
            language: if self.multilingual {
                options.language.clone()
            } else {
                Some("en".into())
            },
            ..options
        };
        Ok(WhisperTranscriber {
            state,
            policy: ThreadPolicy::new(options.threads),
            options,
            eot: self.ctx.token_eot(),
        })
    }
}

/// One speaker's decoder.
pub struct WhisperTranscriber {
    state: whisper_rs::WhisperState,
    options: DecodeOptions,
    policy: ThreadPolicy,
    eot: i32,
}

impl WhisperTranscriber {
    /// Threads the last decode used.
    pub fn threads_used(&self) -> usize {
        self.policy.current()
    }
}

/// Encoder frames for `samples` of audio: the audio plus a second of margin, at least
/// `MIN_AUDIO_CTX`, at most 30 s.
pub fn audio_ctx_for(samples: usize) -> i32 {
    window(samples, MIN_AUDIO_CTX)
}

/// Encoder frames for a partial of `samples`: as `audio_ctx_for`, at least
/// `PARTIAL_MIN_AUDIO_CTX`.
pub fn partial_audio_ctx_for(samples: usize) -> i32 {
    window(samples, PARTIAL_MIN_AUDIO_CTX)
}

fn window(samples: usize, min_frames: i32) -> i32 {
    let secs = samples as f64 / f64::from(SAMPLE_RATE);
    let frames = ((secs + 1.0) * FRAMES_PER_SECOND).ceil() as i32;
    frames.clamp(min_frames, MAX_AUDIO_CTX)
}

/// Which decode of a phrase this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The phrase's transcript: whisper's usual settings (segments with timestamps).
    Final,
    /// The phrase so far, read only for cues: one segment without timestamps, a shorter
    /// minimum window and a token cap (0.31 → 0.26 s p50 on the demo call's partial-sized
    /// pieces, docs/figures.md).
    Partial,
}

impl WhisperTranscriber {
    fn decode(&mut self, pcm: &[f32], pass: Pass) -> Result<Transcription, AsrError> {
        if pcm.is_empty() {
            return Ok(Transcription::default());
        }
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.policy.choose() as i32);
        params.set_language(self.options.language.as_deref());
        params.set_no_context(true);
        params.set_single_segment(false);
        params.set_suppress_nst(true);
        params.set_temperature(0.0);
        params.set_logprob_thold(-1.0);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_special(false);
        params.set_print_timestamps(false);
        if pass == Pass::Partial {
            params.set_no_timestamps(true);
            params.set_single_segment(true);
            params.set_max_tokens(partial_max_tokens(pcm.len()));
        }
        if self.options.fit_audio_ctx {
            params.set_audio_ctx(match pass {
                Pass::Final => audio_ctx_for(pcm.len()),
                Pass::Partial => partial_audio_ctx_for(pcm.len()),
            });
        }
        self.state
            .full(params, pcm)
            .map_err(|e| AsrError::Engine(format!("{e:?}")))?;
        let mut out = Transcription::default();
        for seg in self.state.as_iter() {
            let text = seg
                .to_str_lossy()
                .map_err(|e| AsrError::Engine(format!("{e:?}")))?
                .into_owned();
            let mut logp = 0.0f32;
            let mut n = 0;
            for i in 0..seg.n_tokens() {
                if let Some(tok) = seg.get_token(i)
                    && tok.token_id() < self.eot
                {
                    logp += tok.token_probability().max(1e-10).ln();
                    n += 1;
                }
            }
            out.segments.push(Segment {
                start: seg.start_timestamp() as f64 / 100.0,
                end: seg.end_timestamp() as f64 / 100.0,
                text,
                no_speech_prob: seg.no_speech_probability(),
                avg_logprob: if n > 0 { logp / n as f32 } else { 0.0 },
            });
        }
        Ok(out)
    }
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
        self.decode(pcm, Pass::Final)
    }

    fn transcribe_partial(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
        self.decode(pcm, Pass::Partial)
    }
}

/// A factory that gives each speaker its own decoding state of `model`, in `language`.
pub fn factory(model: WhisperModel, language: Option<String>) -> TranscriberFactory {
    Box::new(move |_speaker| {
        let opts = DecodeOptions {
            language: language.clone(),
            ..DecodeOptions::default()
        };
        Ok(Box::new(model.transcriber(opts)?) as Box<dyn Transcriber>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_ctx_grows_with_the_phrase_and_caps_at_30_s() {
        assert_eq!(audio_ctx_for(16_000), 400);
        assert!(audio_ctx_for(8 * 16_000) < audio_ctx_for(9 * 16_000));
        assert_eq!(audio_ctx_for(60 * 16_000), 1500);
    }

    #[test]
    fn a_partial_gets_a_shorter_minimum_window_and_a_token_cap() {
        assert_eq!(partial_audio_ctx_for(16_000), 350);
        assert_eq!(partial_audio_ctx_for(8 * 16_000), audio_ctx_for(8 * 16_000));
        assert_eq!(partial_audio_ctx_for(60 * 16_000), 1500);
        assert_eq!(partial_max_tokens(0), 8);
        assert_eq!(partial_max_tokens(5 * 16_000), 38);
    }

    #[test]
    fn a_missing_model_is_reported_by_path() {
        let e = WhisperModel::load(Path::new("/nonexistent/ggml.bin"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("/nonexistent/ggml.bin"), "{e}");
    }
}
