//! Seed corpora: small real inputs for each target, written fresh by `scripts/fuzz` so no
//! binary seed is kept in the repository. Text seeds come from the repository itself (the
//! built-in pack, the default config, the example transcripts); binary ones are built here
//! (WAVs written with hound, a ggml header with Whisper's values, a CTranslate2 file laid out
//! like a Whisper model with tiny tensors).

use std::io;
use std::path::Path;

use warmcall::config::DEFAULT_TOML;
use warmcall::model::ggml::{FTYPE_F16, HParams, MAGIC};
use warmcall::rules::pack::BUILTIN;

/// The repository root (the fuzz crate lives in `fuzz/`).
fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Write every target's seeds into `dir/<target>/`.
pub fn write_all(dir: &Path) -> io::Result<()> {
    let put = |target: &str, name: &str, bytes: &[u8]| -> io::Result<()> {
        let d = dir.join(target);
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(name), bytes)
    };
    for (name, bytes) in wavs() {
        put("wav", &name, &bytes)?;
    }
    for (name, bytes) in ggmls() {
        put("ggml", &name, &bytes)?;
    }
    for (name, bytes) in ct2s() {
        put("ct2", &name, &bytes)?;
    }
    let builtin: toml::Value = toml::from_str(BUILTIN).expect("the built-in pack parses");
    let patterns = builtin["rule"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| ["patterns", "unless"].map(|k| r.get(k).and_then(|v| v.as_array())))
        .flatten()
        .flatten()
        .filter_map(|p| p.as_str());
    for (i, p) in patterns.step_by(4).enumerate() {
        put("pattern", &format!("builtin-{i}"), p.as_bytes())?;
    }
    put("pattern", "raw", b"re:we (are|were) the (best|leader)")?;
    put("rules", "builtin.toml", BUILTIN.as_bytes())?;
    put("rules", "readme.toml", README_RULES.as_bytes())?;
    put("config", "default.toml", DEFAULT_TOML.as_bytes())?;
    put("config", "readme.toml", README_CONFIG.as_bytes())?;
    for name in ["pushy-call", "good-call", "monologue-call"] {
        let text = std::fs::read_to_string(repo().join(format!("tests/fixtures/{name}.jsonl")))?;
        let head: String = text.lines().take(12).map(|l| format!("{l}\n")).collect();
        put("analyze", name, head.as_bytes())?;
    }
    for cmd in ["status", "pause", "resume", "end-call", "reload"] {
        put("control", cmd, format!("{cmd}\n").as_bytes())?;
    }
    put(
        "control",
        "answer",
        br#"{"ok":false,"busy":true,"error":"the daemon is busy"}"#,
    )?;
    Ok(())
}

/// The rule file example of the README.
const README_RULES: &str = r#"[[rule]]
id = "chasing"
cooldown = 120

[[rule]]
id = "talk-ratio"
enabled = false

[[rule]]
id = "competitor"
speaker = "them"
severity = "info"
title = "Competitor mentioned"
patterns = ["(acme|globex) [corp]", "we (use|went with) * instead"]
unless = ["used to use"]
from = 0
until = 600
cooldown = 60
suggestions = ["Ask what they like about it."]

[[rule]]
id = "long-monologue"
kind = "monologue"
seconds = 120
max_pause = 3
severity = "alert"
suggestions = ["Two minutes. Stop and ask."]
"#;

/// The config example of the README.
const README_CONFIG: &str = r#"[devices]
me = "virtmic"
them = "call_out.monitor"
[asr]
model = "tiny.en"
language = "en"
[calls]
end_after_silence = 30
[notify]
quiet = false
min_interval = 10
[log]
dir = "/home/me/calls"
retention_days = 30
[rules]
dir = "rules.d"
"#;

fn wav_bytes(spec: hound::WavSpec, n: usize) -> Vec<u8> {
    let mut cur = io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut cur, spec).expect("valid spec");
    for i in 0..n {
        let x = (i as f32 * 0.07).sin() * 0.5;
        match spec.sample_format {
            hound::SampleFormat::Float => w.write_sample(x),
            hound::SampleFormat::Int => {
                let max = (1i64 << (spec.bits_per_sample - 1)) - 1;
                w.write_sample((x as f64 * max as f64) as i32)
            }
        }
        .expect("write to memory");
    }
    w.finalize().expect("write to memory");
    cur.into_inner()
}

fn wavs() -> Vec<(String, Vec<u8>)> {
    let spec = |channels, sample_rate, bits_per_sample, sample_format| hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample,
        sample_format,
    };
    use hound::SampleFormat::{Float, Int};
    [
        ("mono-16bit-16k", spec(1, 16_000, 16, Int)),
        ("stereo-float-8k", spec(2, 8_000, 32, Float)),
        ("mono-8bit-22k", spec(1, 22_050, 8, Int)),
        ("stereo-24bit-48k", spec(2, 48_000, 24, Int)),
    ]
    .into_iter()
    .map(|(name, s)| (format!("{name}.wav"), wav_bytes(s, 400)))
    .collect()
}

fn i32s(out: &mut Vec<u8>, values: &[i32]) {
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A ggml file with a tiny model's header, its filters and a short vocabulary, then `tensors`
/// (name, ggml dims, type) with their data.
fn ggml_file(hp: HParams, tensors: &[(&str, &[i32], i32)]) -> Vec<u8> {
    let mut b = MAGIC.to_le_bytes().to_vec();
    i32s(
        &mut b,
        &[
            hp.n_vocab,
            hp.n_audio_ctx,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer,
            hp.n_text_ctx,
            hp.n_text_state,
            hp.n_text_head,
            hp.n_text_layer,
            hp.n_mels,
            hp.ftype,
        ],
    );
    i32s(&mut b, &[hp.n_mels, 201]);
    b.resize(b.len() + hp.n_mels as usize * 201 * 4, 0);
    i32s(&mut b, &[2, 1]);
    b.push(b'a');
    i32s(&mut b, &[2]);
    b.extend_from_slice(b"bc");
    for (name, dims, ty) in tensors {
        i32s(&mut b, &[dims.len() as i32, name.len() as i32, *ty]);
        i32s(&mut b, dims);
        b.extend_from_slice(name.as_bytes());
        let n: i32 = dims.iter().product();
        b.resize(b.len() + n as usize * if *ty == 0 { 4 } else { 2 }, 0);
    }
    b
}

fn ggmls() -> Vec<(String, Vec<u8>)> {
    let tiny = HParams {
        n_vocab: 51864,
        n_audio_ctx: 1500,
        n_audio_state: 384,
        n_audio_head: 6,
        n_audio_layer: 4,
        n_text_ctx: 448,
        n_text_state: 384,
        n_text_head: 6,
        n_text_layer: 4,
        n_mels: 80,
        ftype: FTYPE_F16,
    };
    let tensors: &[(&str, &[i32], i32)] = &[
        ("encoder.conv1.bias", &[1, 384], 0),
        ("encoder.ln_post.weight", &[384], 0),
        ("decoder.blocks.3.cross_attn.value.bias", &[384], 0),
    ];
    vec![
        ("tiny-head".into(), ggml_file(tiny, tensors)),
        ("tiny-no-tensors".into(), ggml_file(tiny, &[])),
    ]
}

/// A CTranslate2 version-6 file with `vars` (name, dims, dtype code, element size) filled
/// with small values, and one alias.
fn ct2_file(vars: &[(&str, &[u32], u8, usize)]) -> Vec<u8> {
    let string = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    };
    let mut b = 6u32.to_le_bytes().to_vec();
    string(&mut b, "WhisperSpec");
    b.extend_from_slice(&3u32.to_le_bytes());
    b.extend_from_slice(&(vars.len() as u32).to_le_bytes());
    for (name, dims, code, size) in vars {
        string(&mut b, name);
        b.push(dims.len() as u8);
        for d in *dims {
            b.extend_from_slice(&d.to_le_bytes());
        }
        b.push(*code);
        let n = dims.iter().product::<u32>().max(1) as usize * size;
        b.extend_from_slice(&(n as u32).to_le_bytes());
        b.extend((0..n).map(|i| (i % 7) as u8));
    }
    b.extend_from_slice(&1u32.to_le_bytes());
    string(&mut b, "decoder/projection/weight");
    string(&mut b, "decoder/embeddings/weight");
    b
}

fn ct2s() -> Vec<(String, Vec<u8>)> {
    let f16 = |name, dims| (name, dims, 4u8, 2usize);
    let whisperish: Vec<(&str, &[u32], u8, usize)> = vec![
        f16("decoder/embeddings/weight", &[8, 4][..]),
        f16("encoder/position_encodings/encodings", &[6, 4]),
        f16("decoder/position_encodings/encodings", &[5, 4]),
        f16("encoder/conv1/weight", &[4, 2, 3]),
        f16("encoder/conv1/bias", &[4]),
        f16("encoder/layer_0/ffn/linear_0/weight", &[8, 4]),
        f16("decoder/layer_0/ffn/linear_0/weight", &[8, 4]),
        ("encoder/num_heads", &[], 3, 4),
        ("decoder/num_heads", &[], 3, 4),
    ];
    vec![
        ("whisper-shaped".into(), ct2_file(&whisperish)),
        (
            "one-f32".into(),
            ct2_file(&[("a/weight", &[2, 1], 0, 4), ("b", &[3], 5, 2)]),
        ),
    ]
}
