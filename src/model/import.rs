//! CTranslate2 Whisper model directory → whisper.cpp ggml file.
//!
//! Reads `model.bin` (or `model.bin.part1` + `model.bin.part2`), `config.json` and
//! `tokenizer.json`, renames and reshapes every tensor to whisper.cpp's names, and writes the
//! ggml file atomically.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ImportError;
use super::ct2::{Ct2Model, Tensor};
use super::ggml::{self, Data, GgmlModel, HParams, OutTensor};
use super::{mel, vocab};

/// What an import produced.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    pub hparams: HParams,
    pub tensors: usize,
    pub bytes: u64,
}

/// The fields of CTranslate2's Whisper `config.json` the import checks.
#[derive(Debug, Deserialize)]
struct Ct2Config {
    suppress_ids: Vec<u32>,
    suppress_ids_begin: Vec<u32>,
    lang_ids: Vec<u32>,
}

/// Read the raw `model.bin`, joining split parts when the model ships in two.
fn read_model_bin(dir: &Path) -> Result<Vec<u8>, ImportError> {
    let whole = dir.join("model.bin");
    if whole.exists() {
        return fs::read(&whole).map_err(|e| ImportError::io(&whole, e));
    }
    let (p1, p2) = (dir.join("model.bin.part1"), dir.join("model.bin.part2"));
    if !p1.exists() {
        return Err(ImportError::MissingFile(whole));
    }
    if !p2.exists() {
        return Err(ImportError::MissingFile(p2));
    }
    let mut buf = fs::read(&p1).map_err(|e| ImportError::io(&p1, e))?;
    let second = fs::read(&p2).map_err(|e| ImportError::io(&p2, e))?;
    buf.extend_from_slice(&second);
    Ok(buf)
}

fn read_text(dir: &Path, name: &str) -> Result<String, ImportError> {
    let path = dir.join(name);
    if !path.exists() {
        return Err(ImportError::MissingFile(path));
    }
    fs::read_to_string(&path).map_err(|e| ImportError::io(&path, e))
}

/// Converted tensor list plus the collected hyperparameters.
struct Mapper<'m, 'a> {
    model: &'m Ct2Model<'a>,
    out: Vec<OutTensor>,
}

impl<'a> Mapper<'_, 'a> {
    fn tensor(&self, name: &str) -> Result<&Tensor<'a>, ImportError> {
        self.model.require(name)
    }

    /// Push a tensor, choosing f32 for 1-D tensors and the named exceptions, f16 otherwise.
    fn push(&mut self, name: String, dims: Vec<usize>, values: Vec<f32>, force_f32: bool) {
        let data = if force_f32 || dims.len() < 2 {
            Data::F32(values)
        } else {
            let mut b = Vec::with_capacity(values.len() * 2);
            for v in values {
                b.extend_from_slice(&half::f16::from_f32(v).to_le_bytes());
            }
            Data::F16(b)
        };
        self.out.push(OutTensor { name, dims, data });
    }

    /// Copy one tensor under a new name.
    fn copy(&mut self, from: &str, to: String) -> Result<(), ImportError> {
        let t = self.tensor(from)?;
        let (dims, values) = (t.dims.clone(), t.to_f32()?);
        self.push(to, dims, values, false);
        Ok(())
    }

    /// Split a tensor fused along its first dimension into `parts.len()` equal parts.
    /// A `None` part is dropped (Whisper's key projections have no bias).
    fn split(&mut self, from: &str, parts: &[Option<String>]) -> Result<(), ImportError> {
        let t = self.tensor(from)?;
        let values = t.to_f32()?;
        let rows = t.dims[0];
        if rows % parts.len() != 0 {
            return Err(ImportError::BadShape {
                tensor: from.to_string(),
                detail: format!("{rows} rows do not split in {}", parts.len()),
            });
        }
        let part_rows = rows / parts.len();
        let row_len: usize = t.dims[1..].iter().product();
        let mut dims = t.dims.clone();
        dims[0] = part_rows;
        for (i, name) in parts.iter().enumerate() {
            if let Some(name) = name {
                let chunk = values[i * part_rows * row_len..(i + 1) * part_rows * row_len].to_vec();
                self.push(name.clone(), dims.clone(), chunk, false);
            }
        }
        Ok(())
    }

    fn linear(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        self.copy(&format!("{from}/weight"), format!("{to}.weight"))?;
        self.copy(&format!("{from}/bias"), format!("{to}.bias"))
    }

    fn layer_norm(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        self.copy(&format!("{from}/gamma"), format!("{to}.weight"))?;
        self.copy(&format!("{from}/beta"), format!("{to}.bias"))
    }

    fn self_attention(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        self.layer_norm(&format!("{from}/layer_norm"), &format!("{to}_ln"))?;
        let names = |s: &str| -> Vec<Option<String>> {
            vec![
                Some(format!("{to}.query.{s}")),
                if s == "bias" {
                    None
                } else {
                    Some(format!("{to}.key.{s}"))
                },
                Some(format!("{to}.value.{s}")),
            ]
        };
        self.split(&format!("{from}/linear_0/weight"), &names("weight"))?;
        self.split(&format!("{from}/linear_0/bias"), &names("bias"))?;
        self.linear(&format!("{from}/linear_1"), &format!("{to}.out"))
    }

    fn cross_attention(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        self.layer_norm(&format!("{from}/layer_norm"), &format!("{to}_ln"))?;
        self.linear(&format!("{from}/linear_0"), &format!("{to}.query"))?;
        self.split(
            &format!("{from}/linear_1/weight"),
            &[
                Some(format!("{to}.key.weight")),
                Some(format!("{to}.value.weight")),
            ],
        )?;
        self.split(
            &format!("{from}/linear_1/bias"),
            &[None, Some(format!("{to}.value.bias"))],
        )?;
        self.linear(&format!("{from}/linear_2"), &format!("{to}.out"))
    }

    fn ffn(&mut self, from: &str, to: &str) -> Result<(), ImportError> {
        self.layer_norm(&format!("{from}/layer_norm"), &format!("{to}.mlp_ln"))?;
        self.linear(&format!("{from}/linear_0"), &format!("{to}.mlp.0"))?;
        self.linear(&format!("{from}/linear_1"), &format!("{to}.mlp.2"))
    }

    fn f32_tensor(&mut self, from: &str, to: &str, dims: Vec<usize>) -> Result<(), ImportError> {
        let values = self.tensor(from)?.to_f32()?;
        self.push(to.to_string(), dims, values, true);
        Ok(())
    }
}

fn count_layers(model: &Ct2Model<'_>, prefix: &str) -> usize {
    (0..)
        .take_while(|i| {
            model
                .get(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
                .is_some()
        })
        .count()
}

fn dim(t: &Tensor<'_>, axis: usize, name: &str) -> Result<usize, ImportError> {
    t.dims
        .get(axis)
        .copied()
        .ok_or_else(|| ImportError::BadShape {
            tensor: name.to_string(),
            detail: format!(
                "expected at least {} dimensions, found {:?}",
                axis + 1,
                t.dims
            ),
        })
}

fn heads(model: &Ct2Model<'_>, name: &str) -> Result<i32, ImportError> {
    model
        .require(name)?
        .scalar_int()
        .map(|v| v as i32)
        .ok_or_else(|| ImportError::BadShape {
            tensor: name.into(),
            detail: "not an integer scalar".into(),
        })
}

/// Build the ggml model in memory from an already parsed CT2 model and its side files.
pub fn convert(
    model: &Ct2Model<'_>,
    config_json: &str,
    tokenizer_json: &str,
) -> Result<GgmlModel, ImportError> {
    if model.spec_name != "WhisperSpec" {
        return Err(ImportError::NotWhisper(model.spec_name.clone()));
    }
    let config: Ct2Config =
        serde_json::from_str(config_json).map_err(|e| ImportError::BadConfig(e.to_string()))?;
    if config.lang_ids.is_empty() || config.suppress_ids_begin.is_empty() {
        return Err(ImportError::BadConfig(
            "lang_ids and suppress_ids_begin must not be empty".into(),
        ));
    }
    let _ = config.suppress_ids;
    let hparams = hparams(model)?;
    let tensors = tensors(model, &hparams)?;
    Ok(GgmlModel {
        hparams,
        n_fft: (mel::N_FFT / 2 + 1) as i32,
        mel_filters: mel::filters(hparams.n_mels as usize),
        vocab: vocab::text_tokens(tokenizer_json)?,
        tensors,
    })
}

/// The model's dimensions, read off its tensors.
fn hparams(model: &Ct2Model<'_>) -> Result<HParams, ImportError> {
    let emb = model.require("decoder/embeddings/weight")?;
    let enc_pos = model.require("encoder/position_encodings/encodings")?;
    let dec_pos = model.require("decoder/position_encodings/encodings")?;
    let conv1 = model.require("encoder/conv1/weight")?;
    let n_audio_layer = count_layers(model, "encoder");
    let n_text_layer = count_layers(model, "decoder");
    if n_audio_layer == 0 || n_text_layer == 0 {
        return Err(ImportError::MissingTensor(
            "encoder/layer_0 or decoder/layer_0".into(),
        ));
    }
    let hparams = HParams {
        n_vocab: dim(emb, 0, "decoder/embeddings/weight")? as i32,
        n_audio_ctx: dim(enc_pos, 0, "encoder/position_encodings")? as i32,
        n_audio_state: dim(enc_pos, 1, "encoder/position_encodings")? as i32,
        n_audio_head: heads(model, "encoder/num_heads")?,
        n_audio_layer: n_audio_layer as i32,
        n_text_ctx: dim(dec_pos, 0, "decoder/position_encodings")? as i32,
        n_text_state: dim(dec_pos, 1, "decoder/position_encodings")? as i32,
        n_text_head: heads(model, "decoder/num_heads")?,
        n_text_layer: n_text_layer as i32,
        n_mels: dim(conv1, 1, "encoder/conv1/weight")? as i32,
        ftype: ggml::FTYPE_F16,
    };
    if hparams.n_vocab <= vocab::LAST_TEXT_TOKEN as i32 || hparams.n_mels <= 0 {
        return Err(ImportError::BadShape {
            tensor: "decoder/embeddings/weight".into(),
            detail: format!("vocabulary of {} is too small for Whisper", hparams.n_vocab),
        });
    }
    Ok(hparams)
}

/// Every tensor under its whisper.cpp name, encoder then decoder.
fn tensors(model: &Ct2Model<'_>, hp: &HParams) -> Result<Vec<OutTensor>, ImportError> {
    let mut m = Mapper {
        model,
        out: Vec::with_capacity(model.len() + 16),
    };
    for i in 1..=2 {
        m.copy(
            &format!("encoder/conv{i}/weight"),
            format!("encoder.conv{i}.weight"),
        )?;
        let bias = m.tensor(&format!("encoder/conv{i}/bias"))?;
        let d = dim(bias, 0, "conv bias")?;
        m.f32_tensor(
            &format!("encoder/conv{i}/bias"),
            &format!("encoder.conv{i}.bias"),
            vec![d, 1],
        )?;
    }
    let enc_pos_dims = model
        .require("encoder/position_encodings/encodings")?
        .dims
        .clone();
    m.f32_tensor(
        "encoder/position_encodings/encodings",
        "encoder.positional_embedding",
        enc_pos_dims,
    )?;
    for i in 0..hp.n_audio_layer {
        let (from, to) = (format!("encoder/layer_{i}"), format!("encoder.blocks.{i}"));
        m.self_attention(&format!("{from}/self_attention"), &format!("{to}.attn"))?;
        m.ffn(&format!("{from}/ffn"), &to)?;
    }
    m.layer_norm("encoder/layer_norm", "encoder.ln_post")?;
    let dec_pos_dims = model
        .require("decoder/position_encodings/encodings")?
        .dims
        .clone();
    m.f32_tensor(
        "decoder/position_encodings/encodings",
        "decoder.positional_embedding",
        dec_pos_dims,
    )?;
    m.copy(
        "decoder/embeddings/weight",
        "decoder.token_embedding.weight".into(),
    )?;
    for i in 0..hp.n_text_layer {
        let (from, to) = (format!("decoder/layer_{i}"), format!("decoder.blocks.{i}"));
        m.self_attention(&format!("{from}/self_attention"), &format!("{to}.attn"))?;
        m.cross_attention(&format!("{from}/attention"), &format!("{to}.cross_attn"))?;
        m.ffn(&format!("{from}/ffn"), &to)?;
    }
    m.layer_norm("decoder/layer_norm", "decoder.ln")?;
    Ok(m.out)
}

/// Convert the CT2 model in `src` and write it to `out`. `progress(done, total)` is called as
/// tensors are written.
pub fn import_dir(
    src: &Path,
    out: &Path,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportSummary, ImportError> {
    if !src.is_dir() {
        return Err(ImportError::MissingDir(src.to_path_buf()));
    }
    let config = read_text(src, "config.json")?;
    let tokenizer = read_text(src, "tokenizer.json")?;
    let raw = read_model_bin(src)?;
    let parsed = Ct2Model::parse(&raw)?;
    let ggml = convert(&parsed, &config, &tokenizer)?;
    drop(parsed);
    drop(raw);
    let total = ggml.tensors.len();
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| ImportError::io(parent, e))?;
    }
    ggml.write_file(out, |done| progress(done, total))
        .map_err(|e| ImportError::Write {
            path: PathBuf::from(out),
            source: e,
        })?;
    let bytes = fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    Ok(ImportSummary {
        hparams: ggml.hparams,
        tensors: total,
        bytes,
    })
}
