//! Sentence embeddings on the machine, for the rule stage to compare what was said with what
//! a rule's examples mean.
//!
//! [`SentenceEncoder`] is the seam the rule stage uses; [`MiniLm`] implements it with
//! all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT) run by candle on the CPU, tokenized by the
//! model's own `tokenizer.json`. `models/fetch.sh` installs the model directory at
//! [`default_dir`]. An embedding is the mean of the last hidden states over the attention
//! mask, L2-normalised, so the dot product of two embeddings is their cosine similarity.
//!
//! Loading checks every file and returns an [`EncoderError`] naming the file, what is wrong
//! and how to fix it; encoding never panics on any text (empty, very long, control
//! characters, emoji). Errors never contain the text being encoded.

mod minilm;
mod weights;

use std::path::{Path, PathBuf};

pub use minilm::MiniLm;

/// The name of the encoder's directory in the models directory.
pub const DIR_NAME: &str = "all-MiniLM-L6-v2";

/// `$XDG_DATA_HOME/warmcall/models/all-MiniLM-L6-v2`, where `models/fetch.sh` installs it.
pub fn default_dir() -> PathBuf {
    crate::paths::models_dir().join(DIR_NAME)
}

/// Turns phrases into fixed-size, L2-normalised vectors whose dot product is their cosine
/// similarity.
pub trait SentenceEncoder: Send + Sync {
    /// The length of every embedding.
    fn dim(&self) -> usize;

    /// One embedding per text, in order. A batch is padded to its longest text; one text is
    /// not padded at all (the cheapest call, and the one the rule stage makes per clause).
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError>;

    /// The embedding of one text.
    fn encode_one(&self, text: &str) -> Result<Vec<f32>, EncoderError> {
        self.encode(&[text])?
            .pop()
            .ok_or_else(|| EncoderError::Compute {
                reason: "no embedding came back".into(),
            })
    }
}

/// How the encoder runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncoderOptions {
    /// Threads of the encoder's own pool (at least 1). One is the default: on a 2-core
    /// machine the encoder shares the CPU with whisper.cpp, and a phrase is too small for a
    /// second thread to pay off much. One thread also keeps candle's matrix products whole
    /// (gemm's threading threshold, a process-wide setting that the last encoder loaded sets).
    pub threads: usize,
    /// Tokens per text, counting `[CLS]` and `[SEP]`; longer texts are truncated (the
    /// model's `tokenizer.json` says 128).
    pub max_tokens: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions {
            threads: 1,
            max_tokens: 128,
        }
    }
}

/// Why the encoder could not load or encode. Load errors name the file and say how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("{} is missing: run models/fetch.sh to install the sentence encoder", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} is not all-MiniLM-L6-v2's config (a 6-layer, 384-wide BERT): {reason}; run models/fetch.sh to reinstall the sentence encoder",
        path.display()
    )]
    Config { path: PathBuf, reason: String },
    #[error(
        "{} does not say mean pooling over 384 dimensions: {reason}; run models/fetch.sh to reinstall the sentence encoder",
        path.display()
    )]
    Pooling { path: PathBuf, reason: String },
    #[error(
        "{} is not a usable tokenizer: {reason}; run models/fetch.sh to reinstall the sentence encoder",
        path.display()
    )]
    Tokenizer { path: PathBuf, reason: String },
    #[error(
        "{} is corrupt or truncated: {reason}; run models/fetch.sh to reinstall the sentence encoder",
        path.display()
    )]
    Weights { path: PathBuf, reason: String },
    #[error("invalid encoder options: {reason}")]
    Options { reason: String },
    #[error("the sentence encoder could not tokenize a phrase: {reason}")]
    Tokenize { reason: String },
    #[error("the sentence encoder failed: {reason}")]
    Compute { reason: String },
}

/// `dir/name`, or [`EncoderError::Missing`] if it is not a file.
fn existing_file(dir: &Path, name: &str) -> Result<PathBuf, EncoderError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EncoderError::Missing { path })
    }
}

/// The text of a small file (a config), or a `Missing` / `Read` error naming it.
fn read_text(path: &Path) -> Result<String, EncoderError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => EncoderError::Missing {
            path: path.to_path_buf(),
        },
        _ => EncoderError::Read {
            path: path.to_path_buf(),
            source,
        },
    })
}
