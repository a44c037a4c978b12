//! Checking a ggml Whisper file before whisper.cpp loads it. whisper.cpp trusts the file: a
//! zero head count divides by zero, an unknown `ftype` or an oversized layer count aborts the
//! process. So every header value is checked against what Whisper models can be, and every
//! tensor against the shape and type whisper.cpp will allocate for that header, with checked
//! arithmetic throughout.
//!
//! | value | Whisper models |
//! |---|---|
//! | `n_vocab` | 51864 (English-only) to 51866 (large-v3) |
//! | `n_audio_ctx`, `n_text_ctx` | 1500, 448 |
//! | state / heads / encoder layers | tiny 384/6/4, base 512/8/6, small 768/12/12, medium 1024/16/24, large 1280/20/32 |
//! | text state and heads | equal to the audio ones; text layers 1 to the encoder's (distilled decoders are shallower) |
//! | `n_mels` | 80, or 128 (large-v3) |
//! | `ftype` | f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0 (quantization version 0 to 2) |

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::{HParams, MAGIC};

/// Each Whisper size: name, state, attention heads, encoder layers.
const SIZES: &[(&str, i32, i32, i32)] = &[
    ("tiny", 384, 6, 4),
    ("base", 512, 8, 6),
    ("small", 768, 12, 12),
    ("medium", 1024, 16, 24),
    ("large", 1280, 20, 32),
];

/// Frequency bins of Whisper's 400-point FFT.
const N_FFT_BINS: i32 = 201;

/// Longest vocabulary entry accepted, in bytes.
const MAX_TOKEN_BYTES: i32 = 1024;

/// Longest tensor name accepted, in bytes.
const MAX_NAME_BYTES: i32 = 256;

/// ggml element types Whisper files use.
const F32: i32 = 0;
const F16: i32 = 1;

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The ggml element type of the big matrices for a file's `ftype` (version factor removed).
fn weight_type(ftype: i32) -> Option<i32> {
    Some(match ftype {
        0 => F32,
        1 => F16,
        2 => 2, // q4_0
        3 => 3, // q4_1
        7 => 8, // q8_0
        8 => 6, // q5_0
        9 => 7, // q5_1
        _ => return None,
    })
}

/// Bytes one tensor of `ggml_type` with `n` elements takes, or `None` for an unknown type or
/// a size that does not fit in 64 bits.
fn tensor_bytes(ggml_type: i32, n: u64) -> Option<u64> {
    let (block, size) = match ggml_type {
        0 => (1, 4),
        1 => (1, 2),
        2 => (32, 18),
        3 => (32, 20),
        6 => (32, 22),
        7 => (32, 24),
        8 => (32, 34),
        _ => return None,
    };
    n.div_ceil(block).checked_mul(size)
}

/// Check the header values against what Whisper models can be.
pub fn check_hparams(hp: &HParams) -> io::Result<()> {
    let fail = |what: &str, v: i32, why: String| Err(bad(format!("{what} {v}: {why}")));
    if !(51864..=51866).contains(&hp.n_vocab) {
        return fail(
            "n_vocab",
            hp.n_vocab,
            "Whisper has 51864 to 51866 tokens".into(),
        );
    }
    if hp.n_audio_ctx != 1500 {
        return fail("n_audio_ctx", hp.n_audio_ctx, "Whisper's is 1500".into());
    }
    if hp.n_text_ctx != 448 {
        return fail("n_text_ctx", hp.n_text_ctx, "Whisper's is 448".into());
    }
    let Some(&(size, _, heads, layers)) = SIZES.iter().find(|s| s.1 == hp.n_audio_state) else {
        return fail(
            "n_audio_state",
            hp.n_audio_state,
            "Whisper models have 384, 512, 768, 1024 or 1280".into(),
        );
    };
    let a = format!("a {size} model has");
    if hp.n_audio_head != heads {
        return fail("n_audio_head", hp.n_audio_head, format!("{a} {heads}"));
    }
    if hp.n_audio_layer != layers {
        return fail("n_audio_layer", hp.n_audio_layer, format!("{a} {layers}"));
    }
    if hp.n_text_state != hp.n_audio_state {
        return fail(
            "n_text_state",
            hp.n_text_state,
            format!("{a} {}", hp.n_audio_state),
        );
    }
    if hp.n_text_head != heads {
        return fail("n_text_head", hp.n_text_head, format!("{a} {heads}"));
    }
    if !(1..=layers).contains(&hp.n_text_layer) {
        return fail(
            "n_text_layer",
            hp.n_text_layer,
            format!("{a} 1 to {layers}"),
        );
    }
    if hp.n_mels != 80 && hp.n_mels != 128 {
        return fail("n_mels", hp.n_mels, "Whisper uses 80 or 128".into());
    }
    let (version, base) = (hp.ftype / 1000, hp.ftype % 1000);
    let known = hp.ftype >= 0 && version <= 2 && weight_type(base).is_some();
    if !known || (version > 0 && base < 2) {
        return fail(
            "ftype",
            hp.ftype,
            "not a known weight type (f32, f16, q4_0, q4_1, q5_0, q5_1 or q8_0)".into(),
        );
    }
    Ok(())
}

/// What whisper.cpp allocates for one tensor, and whether the file had it yet.
#[derive(Debug, Clone, Copy)]
struct Want {
    /// Dimensions in ggml order (innermost first).
    dims: [u64; 3],
    ty: i32,
    seen: bool,
}

/// What whisper.cpp allocates for each tensor name of a model with header `hp`.
fn expected_tensors(hp: &HParams) -> HashMap<String, Want> {
    let s = hp.n_audio_state as u64;
    let w = weight_type(hp.ftype % 1000).expect("checked by check_hparams");
    let conv = if w == F32 { F32 } else { F16 };
    let mut t = HashMap::new();
    let mut add = |name: String, dims: [u64; 3], ty: i32| {
        t.insert(
            name,
            Want {
                dims,
                ty,
                seen: false,
            },
        );
    };
    add("encoder.positional_embedding".into(), [s, 1500, 1], F32);
    add(
        "encoder.conv1.weight".into(),
        [3, hp.n_mels as u64, s],
        conv,
    );
    add("encoder.conv1.bias".into(), [1, s, 1], F32);
    add("encoder.conv2.weight".into(), [3, s, s], conv);
    add("encoder.conv2.bias".into(), [1, s, 1], F32);
    add("decoder.positional_embedding".into(), [s, 448, 1], F32);
    add(
        "decoder.token_embedding.weight".into(),
        [s, hp.n_vocab as u64, 1],
        w,
    );
    for p in ["encoder.ln_post", "decoder.ln"] {
        add(format!("{p}.weight"), [s, 1, 1], F32);
        add(format!("{p}.bias"), [s, 1, 1], F32);
    }
    let mut block = |p: String, attns: &[&str]| {
        for ln in std::iter::once("mlp".to_string()).chain(attns.iter().map(|a| a.to_string())) {
            add(format!("{p}.{ln}_ln.weight"), [s, 1, 1], F32);
            add(format!("{p}.{ln}_ln.bias"), [s, 1, 1], F32);
        }
        add(format!("{p}.mlp.0.weight"), [s, 4 * s, 1], w);
        add(format!("{p}.mlp.0.bias"), [4 * s, 1, 1], F32);
        add(format!("{p}.mlp.2.weight"), [4 * s, s, 1], w);
        add(format!("{p}.mlp.2.bias"), [s, 1, 1], F32);
        for a in attns {
            for m in ["query", "key", "value", "out"] {
                add(format!("{p}.{a}.{m}.weight"), [s, s, 1], w);
                if m != "key" {
                    add(format!("{p}.{a}.{m}.bias"), [s, 1, 1], F32);
                }
            }
        }
    };
    for i in 0..hp.n_audio_layer {
        block(format!("encoder.blocks.{i}"), &["attn"]);
    }
    for i in 0..hp.n_text_layer {
        block(format!("decoder.blocks.{i}"), &["attn", "cross_attn"]);
    }
    t
}

fn read_i32(r: &mut impl Read) -> io::Result<i32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)
        .map_err(|_| io::Error::new(io::ErrorKind::UnexpectedEof, "the file ends early"))?;
    Ok(i32::from_le_bytes(b))
}

/// Read the magic and hyperparameters from the start of `r`.
pub fn read_header(r: &mut impl Read) -> io::Result<HParams> {
    let mut w = [0i32; 12];
    for v in &mut w {
        *v = read_i32(r)?;
    }
    if w[0] as u32 != MAGIC {
        return Err(bad("not a whisper.cpp ggml file (bad magic)".into()));
    }
    Ok(HParams {
        n_vocab: w[1],
        n_audio_ctx: w[2],
        n_audio_state: w[3],
        n_audio_head: w[4],
        n_audio_layer: w[5],
        n_text_ctx: w[6],
        n_text_state: w[7],
        n_text_head: w[8],
        n_text_layer: w[9],
        n_mels: w[10],
        ftype: w[11],
    })
}

/// Check the mel filters and the vocabulary that follow the header, leaving `r` at the first
/// tensor.
fn skip_filters_and_vocab(r: &mut (impl Read + Seek), hp: &HParams) -> io::Result<()> {
    let (n_mel, n_fft) = (read_i32(r)?, read_i32(r)?);
    if n_mel != hp.n_mels || n_fft != N_FFT_BINS {
        return Err(bad(format!(
            "mel filters {n_mel}x{n_fft}: the header needs {}x{N_FFT_BINS}",
            hp.n_mels
        )));
    }
    r.seek(SeekFrom::Current(i64::from(n_mel * n_fft) * 4))?;
    let n_vocab = read_i32(r)?;
    if !(0..=hp.n_vocab).contains(&n_vocab) {
        return Err(bad(format!(
            "vocabulary of {n_vocab} tokens: the header says at most {}",
            hp.n_vocab
        )));
    }
    for i in 0..n_vocab {
        let n = read_i32(r)?;
        if !(0..=MAX_TOKEN_BYTES).contains(&n) {
            return Err(bad(format!("token {i} is {n} bytes long")));
        }
        r.seek(SeekFrom::Current(i64::from(n)))?;
    }
    Ok(())
}

/// Check one tensor header at the reader's position against `expected`, returning its name
/// and the byte offset just past its data.
fn check_tensor(
    r: &mut (impl Read + Seek),
    pos: u64,
    len: u64,
    expected: &mut HashMap<String, Want>,
) -> io::Result<u64> {
    let (n_dims, name_len, ttype) = (read_i32(r)?, read_i32(r)?, read_i32(r)?);
    if !(1..=4).contains(&n_dims) || !(1..=MAX_NAME_BYTES).contains(&name_len) {
        return Err(bad(format!(
            "bad tensor header at byte {pos} ({n_dims} dims, a {name_len}-byte name)"
        )));
    }
    let mut dims = [1u64; 4];
    for d in dims.iter_mut().take(n_dims as usize) {
        let v = read_i32(r)?;
        if v <= 0 {
            return Err(bad(format!("tensor dimension {v} at byte {pos}")));
        }
        *d = v as u64;
    }
    let mut name = vec![0u8; name_len as usize];
    r.read_exact(&mut name)
        .map_err(|_| io::Error::new(io::ErrorKind::UnexpectedEof, "the file ends early"))?;
    let name = String::from_utf8_lossy(&name).into_owned();
    let shown = &dims[..n_dims as usize];
    let Some(want) = expected.get_mut(&name) else {
        return Err(bad(format!(
            "unknown tensor {name:?} at byte {pos} (not part of a model with this header)"
        )));
    };
    if want.seen {
        return Err(bad(format!("tensor {name} appears twice (at byte {pos})")));
    }
    want.seen = true;
    if dims[..3] != want.dims || dims[3] != 1 {
        return Err(bad(format!(
            "tensor {name} has shape {shown:?}; the header needs {:?}",
            want.dims
        )));
    }
    if ttype != want.ty {
        return Err(bad(format!(
            "tensor {name} has type {ttype}; the header's ftype needs type {}",
            want.ty
        )));
    }
    let bytes = dims
        .iter()
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .and_then(|n| tensor_bytes(ttype, n))
        .ok_or_else(|| bad(format!("tensor {name} of shape {shown:?} is too large")))?;
    let end = r
        .stream_position()?
        .checked_add(bytes)
        .filter(|&end| end <= len)
        .ok_or_else(|| {
            bad(format!(
                "truncated: tensor {name} at byte {pos} needs {bytes} bytes, the file ends at {len}"
            ))
        })?;
    Ok(end)
}

/// Walk a ggml file without loading it: header values, filters, vocabulary and every tensor
/// (known name, the shape and type the header implies, data inside the file, each once, none
/// missing). Returns the header and the number of tensors.
pub fn validate_reader(r: &mut (impl Read + Seek), len: u64) -> io::Result<(HParams, usize)> {
    let hp = read_header(r)?;
    check_hparams(&hp)?;
    skip_filters_and_vocab(r, &hp)?;
    let mut expected = expected_tensors(&hp);
    let mut found = 0;
    loop {
        let pos = r.stream_position()?;
        if pos >= len {
            break;
        }
        let end = check_tensor(r, pos, len, &mut expected)?;
        r.seek(SeekFrom::Start(end))?;
        found += 1;
    }
    if found == 0 {
        return Err(bad("the file holds no tensors".into()));
    }
    let total = expected.len();
    if let Some(missing) = expected
        .iter()
        .filter(|(_, w)| !w.seen)
        .map(|(n, _)| n)
        .min()
    {
        return Err(bad(format!(
            "{} of {total} tensors are missing, such as {missing}",
            total - found
        )));
    }
    Ok((hp, found))
}

/// [`validate_reader`] on a file.
pub fn validate(path: &Path) -> io::Result<(HParams, usize)> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    validate_reader(&mut BufReader::new(file), len)
}

/// [`validate_reader`] on bytes in memory.
pub fn validate_bytes(bytes: &[u8]) -> io::Result<(HParams, usize)> {
    validate_reader(&mut io::Cursor::new(bytes), bytes.len() as u64)
}
