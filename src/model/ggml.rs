//! whisper.cpp's legacy ggml model file: the writer, and (`validate`) the checks a file gets
//! before whisper.cpp loads it.
//!
//! Layout: magic, hyperparameters, mel filters, vocabulary, then tensors (each with its rank,
//! name, type and dims in reverse order). `write_file` writes to a temporary file beside the
//! target and renames it into place only when everything was written and synced.

mod validate;

pub use validate::{check_hparams, validate, validate_bytes, validate_reader};

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// `ggml` in ASCII, little-endian.
pub const MAGIC: u32 = 0x6767_6d6c;

/// The `ftype` of a file whose matrices are f16.
pub const FTYPE_F16: i32 = 1;

/// Whisper hyperparameters in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HParams {
    pub n_vocab: i32,
    pub n_audio_ctx: i32,
    pub n_audio_state: i32,
    pub n_audio_head: i32,
    pub n_audio_layer: i32,
    pub n_text_ctx: i32,
    pub n_text_state: i32,
    pub n_text_head: i32,
    pub n_text_layer: i32,
    pub n_mels: i32,
    pub ftype: i32,
}

impl HParams {
    fn as_array(&self) -> [i32; 11] {
        [
            self.n_vocab,
            self.n_audio_ctx,
            self.n_audio_state,
            self.n_audio_head,
            self.n_audio_layer,
            self.n_text_ctx,
            self.n_text_state,
            self.n_text_head,
            self.n_text_layer,
            self.n_mels,
            self.ftype,
        ]
    }

    /// Whisper's name for a model of this size.
    pub fn size_name(&self) -> &'static str {
        match self.n_audio_layer {
            4 => "tiny",
            6 => "base",
            12 => "small",
            24 => "medium",
            32 => "large",
            _ => "unknown",
        }
    }

    /// Multilingual models have the larger vocabulary.
    pub fn is_multilingual(&self) -> bool {
        self.n_vocab >= 51865
    }
}

/// Tensor payload, already in the element type the file stores.
pub enum Data {
    F32(Vec<f32>),
    /// Raw little-endian f16 bytes.
    F16(Vec<u8>),
}

/// One tensor to write; `dims` in PyTorch order (outermost first).
pub struct OutTensor {
    pub name: String,
    pub dims: Vec<usize>,
    pub data: Data,
}

/// Everything a ggml Whisper file holds.
pub struct GgmlModel {
    pub hparams: HParams,
    pub n_fft: i32,
    pub mel_filters: Vec<f32>,
    pub vocab: Vec<Vec<u8>>,
    pub tensors: Vec<OutTensor>,
}

fn i32le(w: &mut impl Write, v: i32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn len_i32(n: usize) -> io::Result<i32> {
    i32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "size over i32"))
}

impl GgmlModel {
    /// Serialise to any writer; `progress` is called after each tensor.
    pub fn write_to(&self, w: &mut impl Write, mut progress: impl FnMut(usize)) -> io::Result<()> {
        w.write_all(&MAGIC.to_le_bytes())?;
        for v in self.hparams.as_array() {
            i32le(w, v)?;
        }
        i32le(w, self.hparams.n_mels)?;
        i32le(w, self.n_fft)?;
        for v in &self.mel_filters {
            w.write_all(&v.to_le_bytes())?;
        }
        i32le(w, len_i32(self.vocab.len())?)?;
        for tok in &self.vocab {
            i32le(w, len_i32(tok.len())?)?;
            w.write_all(tok)?;
        }
        for (i, t) in self.tensors.iter().enumerate() {
            let ftype = match t.data {
                Data::F32(_) => 0,
                Data::F16(_) => 1,
            };
            i32le(w, len_i32(t.dims.len())?)?;
            i32le(w, len_i32(t.name.len())?)?;
            i32le(w, ftype)?;
            for d in t.dims.iter().rev() {
                i32le(w, len_i32(*d)?)?;
            }
            w.write_all(t.name.as_bytes())?;
            match &t.data {
                Data::F32(v) => {
                    let mut buf = Vec::with_capacity(v.len() * 4);
                    for x in v {
                        buf.extend_from_slice(&x.to_le_bytes());
                    }
                    w.write_all(&buf)?;
                }
                Data::F16(b) => w.write_all(b)?,
            }
            progress(i + 1);
        }
        Ok(())
    }

    /// Write atomically to `path`: a temporary file in the same directory, synced, then renamed.
    /// On any error the temporary file is removed and `path` is left as it was.
    pub fn write_file(&self, path: &Path, progress: impl FnMut(usize)) -> io::Result<()> {
        let tmp = temp_path(path);
        let result = (|| {
            let file = File::create(&tmp)?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            self.write_to(&mut w, progress)?;
            w.flush()?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.bin".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Read just the magic and hyperparameters of a ggml file.
pub fn read_hparams(path: &Path) -> io::Result<HParams> {
    validate::read_header(&mut File::open(path)?)
}
