//! Whisper model files: importing CTranslate2 models to ggml, finding and listing installed
//! models.
//!
//! `ct2` reads CTranslate2's format, `ggml` writes whisper.cpp's, `import` maps one onto the
//! other with the help of `mel` (filterbank) and `vocab` (byte-level tokens). `pins` is the
//! table of pinned downloads and `fetch` installs them.

pub mod ct2;
pub mod fetch;
pub mod ggml;
pub mod import;
pub mod mel;
pub mod pins;
pub mod vocab;

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an import failed. Every variant tells the user what to do next.
#[derive(Debug, Error)]
pub enum ImportError {
    #[error(
        "model directory {0} does not exist (run `warmcall model fetch`, or give the directory that holds model.bin)"
    )]
    MissingDir(PathBuf),
    #[error(
        "{0} is missing: a CTranslate2 Whisper model needs model.bin (or model.bin.part1 and model.bin.part2), config.json and tokenizer.json"
    )]
    MissingFile(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "cannot write {path}: {source} (nothing was left behind; check free space and permissions)"
    )]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "model.bin is truncated: {what} at byte {offset} runs past the end of the {size}-byte file (download it again)"
    )]
    Truncated {
        what: String,
        offset: u64,
        size: u64,
    },
    #[error("model.bin is corrupt: {detail}")]
    Corrupt { detail: String },
    #[error(
        "model.bin has CTranslate2 format version {0}; only version 6 is supported (convert it with a current ctranslate2)"
    )]
    UnsupportedVersion(u32),
    #[error("model.bin holds a {0}, not a Whisper model")]
    NotWhisper(String),
    #[error(
        "tensor {tensor} has type {dtype}; only float32, float16 and bfloat16 models can be imported (convert without quantization)"
    )]
    UnsupportedDtype { tensor: String, dtype: String },
    #[error("model.bin lacks tensor {0}: is this a complete Whisper model?")]
    MissingTensor(String),
    #[error("tensor {tensor} has an unexpected shape: {detail}")]
    BadShape { tensor: String, detail: String },
    #[error("config.json is not a CTranslate2 Whisper config: {0}")]
    BadConfig(String),
    #[error("tokenizer.json is not a Whisper tokenizer: {0}")]
    BadTokenizer(String),
}

impl ImportError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        Self::Read {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The models warmcall knows how to fetch, by name.
pub const KNOWN_MODELS: &[&str] = &["tiny.en", "base"];

/// The model used when the config names none.
pub const DEFAULT_MODEL: &str = "tiny.en";

/// File name of a named model inside the models directory.
pub fn file_name(model: &str) -> String {
    format!("ggml-{model}.bin")
}

/// The default model's file: the one place that decides it (the config's default, what
/// `model verify` checks and `model list` marks).
pub fn default_path() -> PathBuf {
    crate::paths::models_dir().join(file_name(DEFAULT_MODEL))
}

/// One installed model file.
#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub path: PathBuf,
    pub bytes: u64,
    /// "tiny.en f16", "base f16", or why the file is not a usable model.
    pub kind: Result<String, String>,
}

/// Describe a ggml file by its header.
pub fn describe(path: &Path) -> Result<String, String> {
    let hp = ggml::read_hparams(path).map_err(|e| e.to_string())?;
    let lang = if hp.is_multilingual() { "" } else { ".en" };
    let ftype = match hp.ftype {
        0 => "f32",
        1 => "f16",
        7 => "q8_0",
        _ => "quantized",
    };
    Ok(format!("{}{lang} {ftype}", hp.size_name()))
}

/// Every `*.bin` file in `dir`, sorted by name. A missing directory lists nothing.
pub fn list(dir: &Path) -> io::Result<Vec<InstalledModel>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_model = path.extension().is_some_and(|e| e == "bin")
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_model {
            continue;
        }
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        out.push(InstalledModel {
            kind: describe(&path),
            path,
            bytes,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
