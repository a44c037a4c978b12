//! all-MiniLM-L6-v2 on candle: the model directory's files checked and loaded, phrases
//! tokenized by its `tokenizer.json` (fixed padding off, truncation kept), candle-transformers'
//! BERT forward on the CPU in the encoder's own thread pool, mean pooling, L2 normalisation.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config, HiddenAct, PositionEmbeddingType};
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::{EncoderError, EncoderOptions, SentenceEncoder, existing_file, read_text, weights};

/// What the files must describe: all-MiniLM-L6-v2's shape.
const LAYERS: usize = 6;
const WIDTH: usize = 384;

/// The loaded encoder. Cheap to share (`Arc`); `encode` takes `&self` and may be called from
/// any thread, each call running on the encoder's own pool.
pub struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    pool: rayon::ThreadPool,
    vocab_size: usize,
    type_vocab_size: usize,
    pad_id: u32,
}

impl std::fmt::Debug for MiniLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLm")
            .field("dim", &WIDTH)
            .field("threads", &self.pool.current_num_threads())
            .finish_non_exhaustive()
    }
}

impl MiniLm {
    /// Loads the model directory (`config.json`, `1_Pooling/config.json`, `tokenizer.json`,
    /// `model.safetensors`) with the default options: one thread, 128 tokens.
    pub fn load(dir: &Path) -> Result<Self, EncoderError> {
        Self::load_with(dir, &EncoderOptions::default())
    }

    /// Loads the model directory with `options`.
    pub fn load_with(dir: &Path, options: &EncoderOptions) -> Result<Self, EncoderError> {
        if options.threads == 0 || !(8..=512).contains(&options.max_tokens) {
            return Err(EncoderError::Options {
                reason: format!(
                    "threads must be at least 1 and max_tokens 8 to 512, not {} and {}",
                    options.threads, options.max_tokens
                ),
            });
        }
        if !dir.is_dir() {
            return Err(EncoderError::Missing {
                path: dir.to_path_buf(),
            });
        }
        let config = read_config(&existing_file(dir, "config.json")?, options.max_tokens)?;
        check_pooling(&existing_file(dir, "1_Pooling/config.json")?)?;
        let tokenizer = read_tokenizer(&existing_file(dir, "tokenizer.json")?, &config, options)?;
        let weights_path = existing_file(dir, "model.safetensors")?;
        let bad_weights = |reason: String| EncoderError::Weights {
            path: weights_path.clone(),
            reason,
        };
        let tensors = weights::load_f32(&weights_path).map_err(bad_weights)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let model = BertModel::load(vb, &config).map_err(|e| bad_weights(e.to_string()))?;
        // candle splits a matrix product over every core whatever pool it runs in (it reads
        // RAYON_NUM_THREADS); with one thread, raising gemm's threading threshold keeps them
        // whole. Process-wide, like the env variable: only candle uses gemm in warmcall.
        gemm::set_threading_threshold(match options.threads {
            1 => usize::MAX,
            _ => gemm::DEFAULT_THREADING_THRESHOLD,
        });
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(options.threads)
            .thread_name(|i| format!("encoder-{i}"))
            .build()
            .map_err(|e| EncoderError::Options {
                reason: format!("cannot start the encoder's threads: {e}"),
            })?;
        let pad_id = config.pad_token_id as u32;
        Ok(MiniLm {
            model,
            tokenizer,
            pool,
            vocab_size: config.vocab_size,
            type_vocab_size: config.type_vocab_size,
            pad_id,
        })
    }

    /// Token ids, token type ids and attention mask of the batch, each `texts.len() × len`
    /// row-major, padded to the longest text.
    fn tokenize(&self, texts: &[&str]) -> Result<(Batch, usize), EncoderError> {
        let mut encodings = Vec::with_capacity(texts.len());
        for text in texts {
            let enc =
                self.tokenizer
                    .encode_fast(*text, true)
                    .map_err(|e| EncoderError::Tokenize {
                        reason: e.to_string(),
                    })?;
            encodings.push(enc);
        }
        let len = encodings.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
        let mut batch = Batch::with_capacity(texts.len() * len);
        for enc in &encodings {
            let pad = len - enc.len();
            batch.ids.extend(enc.get_ids());
            batch.ids.extend(std::iter::repeat_n(self.pad_id, pad));
            batch.types.extend(enc.get_type_ids());
            batch.types.extend(std::iter::repeat_n(0, pad));
            batch.mask.extend(std::iter::repeat_n(1, enc.len()));
            batch.mask.extend(std::iter::repeat_n(0, pad));
        }
        let ids_ok = batch.ids.iter().all(|&i| (i as usize) < self.vocab_size);
        let types_ok = batch
            .types
            .iter()
            .all(|&t| (t as usize) < self.type_vocab_size);
        if !ids_ok || !types_ok {
            return Err(EncoderError::Tokenize {
                reason: "the tokenizer produced an id outside the model's vocabulary".into(),
            });
        }
        Ok((batch, len))
    }

    /// The BERT forward pass, mean pooling over the mask and L2 normalisation.
    fn forward(&self, batch: Batch, rows: usize, len: usize) -> candle_core::Result<Vec<Vec<f32>>> {
        let dev = Device::Cpu;
        let ids = Tensor::from_vec(batch.ids, (rows, len), &dev)?;
        let types = Tensor::from_vec(batch.types, (rows, len), &dev)?;
        let mask = Tensor::from_vec(batch.mask, (rows, len), &dev)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask))?;
        let pooled = if rows == 1 {
            // One text is never padded: every token counts.
            hidden.mean(1)?
        } else {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let counts = mask.sum(1)?.clamp(1f32, f32::MAX)?;
            hidden
                .broadcast_mul(&mask)?
                .sum(1)?
                .broadcast_div(&counts)?
        };
        let norm = pooled
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12f32, f32::MAX)?;
        pooled.broadcast_div(&norm)?.to_vec2::<f32>()
    }
}

impl SentenceEncoder for MiniLm {
    fn dim(&self) -> usize {
        WIDTH
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (batch, len) = self.tokenize(texts)?;
        self.pool
            .install(|| self.forward(batch, texts.len(), len))
            .map_err(|e| EncoderError::Compute {
                reason: e.to_string(),
            })
    }
}

/// The model's inputs for one batch.
struct Batch {
    ids: Vec<u32>,
    types: Vec<u32>,
    mask: Vec<u32>,
}

impl Batch {
    fn with_capacity(n: usize) -> Self {
        Batch {
            ids: Vec::with_capacity(n),
            types: Vec::with_capacity(n),
            mask: Vec::with_capacity(n),
        }
    }
}

/// `config.json`, checked to be the 6-layer, 384-wide BERT this module runs.
fn read_config(path: &Path, max_tokens: usize) -> Result<Config, EncoderError> {
    let bad = |reason: String| EncoderError::Config {
        path: path.to_path_buf(),
        reason,
    };
    let config: Config = serde_json::from_str(&read_text(path)?)
        .map_err(|e| bad(format!("it does not parse: {e}")))?;
    if config.model_type.as_deref() != Some("bert") {
        return Err(bad(format!(
            "model_type is {:?}, not \"bert\"",
            config.model_type
        )));
    }
    if config.num_hidden_layers != LAYERS || config.hidden_size != WIDTH {
        return Err(bad(format!(
            "it describes {} layers {} wide",
            config.num_hidden_layers, config.hidden_size
        )));
    }
    if !WIDTH.is_multiple_of(config.num_attention_heads) {
        return Err(bad(format!(
            "{} attention heads do not divide {WIDTH}",
            config.num_attention_heads
        )));
    }
    if config.hidden_act != HiddenAct::Gelu
        || config.position_embedding_type != PositionEmbeddingType::Absolute
    {
        return Err(bad("it is not a gelu BERT with absolute positions".into()));
    }
    if config.max_position_embeddings < max_tokens || config.type_vocab_size == 0 {
        return Err(bad(format!(
            "max_position_embeddings {} is under {max_tokens} tokens, or type_vocab_size is 0",
            config.max_position_embeddings
        )));
    }
    Ok(config)
}

/// `1_Pooling/config.json` must ask for mean pooling of 384-dimensional token embeddings.
fn check_pooling(path: &Path) -> Result<(), EncoderError> {
    let bad = |reason: String| EncoderError::Pooling {
        path: path.to_path_buf(),
        reason,
    };
    let value: serde_json::Value = serde_json::from_str(&read_text(path)?)
        .map_err(|e| bad(format!("it does not parse: {e}")))?;
    let mean = value["pooling_mode_mean_tokens"].as_bool() == Some(true);
    let others = ["cls_token", "max_tokens", "mean_sqrt_len_tokens"]
        .iter()
        .any(|m| value[format!("pooling_mode_{m}")].as_bool() == Some(true));
    let dim = value["word_embedding_dimension"].as_u64();
    if !mean || others || dim != Some(WIDTH as u64) {
        return Err(bad(format!(
            "mean tokens {mean}, other modes {others}, dimension {dim:?}"
        )));
    }
    Ok(())
}

/// `tokenizer.json` with its fixed padding turned off and truncation at `max_tokens`.
fn read_tokenizer(
    path: &Path,
    config: &Config,
    options: &EncoderOptions,
) -> Result<Tokenizer, EncoderError> {
    let bad = |reason: String| EncoderError::Tokenizer {
        path: PathBuf::from(path),
        reason,
    };
    let text = read_text(path)?;
    let mut tokenizer: Tokenizer = text
        .parse()
        .map_err(|e: tokenizers::Error| bad(e.to_string()))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: options.max_tokens,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
            direction: TruncationDirection::Right,
        }))
        .map_err(|e| bad(e.to_string()))?;
    let vocab = tokenizer.get_vocab_size(true);
    if vocab > config.vocab_size {
        return Err(bad(format!(
            "its vocabulary has {vocab} tokens, the model {}",
            config.vocab_size
        )));
    }
    let empty = tokenizer
        .encode_fast("", true)
        .map_err(|e| bad(e.to_string()))?;
    if empty.is_empty() {
        return Err(bad("it adds no [CLS]/[SEP] tokens".into()));
    }
    Ok(tokenizer)
}
