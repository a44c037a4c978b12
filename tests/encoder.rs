//! The sentence encoder with the real all-MiniLM-L6-v2 (installed by models/fetch.sh):
//! embeddings match an independent numpy implementation of the same weights
//! (tests/fixtures/encoder-reference.json, made by scripts/encoder-reference.py), every broken
//! model file is a clear error naming it, and no text makes it panic.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use warmcall::encoder::{self, EncoderError, EncoderOptions, MiniLm, SentenceEncoder};

const FILES: [&str; 4] = [
    "config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "model.safetensors",
];

fn model_dir() -> PathBuf {
    let dir = encoder::default_dir();
    assert!(
        dir.join("model.safetensors").is_file(),
        "{} is missing: run models/fetch.sh (scripts/test does)",
        dir.display()
    );
    dir
}

/// One encoder for the whole file: loading it once keeps the tests quick.
fn shared() -> &'static Arc<MiniLm> {
    static ENCODER: OnceLock<Arc<MiniLm>> = OnceLock::new();
    ENCODER
        .get_or_init(|| Arc::new(MiniLm::load(&model_dir()).expect("the installed encoder loads")))
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

struct Reference {
    text: String,
    embedding: Vec<f32>,
}

fn reference() -> Vec<Reference> {
    let raw = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder-reference.json"),
    )
    .unwrap();
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        json["model"]["model.safetensors sha256"],
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
    json["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Reference {
            text: s["text"].as_str().unwrap().to_string(),
            embedding: serde_json::from_value(s["embedding"].clone()).unwrap(),
        })
        .collect()
}

#[test]
fn embeddings_match_the_independent_reference_one_at_a_time() {
    let refs = reference();
    assert_eq!(refs.len(), 20);
    let enc = shared();
    assert_eq!(enc.dim(), 384);
    for r in &refs {
        let got = enc.encode_one(&r.text).unwrap();
        assert_eq!(got.len(), 384);
        let c = cosine(&got, &r.embedding);
        assert!(c >= 0.999, "cosine {c:.6} for {:?}", r.text);
    }
}

#[test]
fn a_padded_batch_gives_the_same_embeddings() {
    let refs = reference();
    let texts: Vec<&str> = refs.iter().map(|r| r.text.as_str()).collect();
    let got = shared().encode(&texts).unwrap();
    assert_eq!(got.len(), refs.len());
    for (g, r) in got.iter().zip(&refs) {
        let c = cosine(g, &r.embedding);
        assert!(c >= 0.999, "cosine {c:.6} in a batch for {:?}", r.text);
    }
}

#[test]
fn the_rule_stage_memo_gives_each_text_its_own_embedding_in_fewer_passes() {
    use warmcall::rules::semantic::memo::Memo;
    let refs = reference();
    let texts: Vec<String> = refs.iter().map(|r| r.text.clone()).collect();
    let enc = common::CountingEncoder::new(shared().clone());
    let memo = Memo::default();
    let got = memo.embed(&enc, &texts).unwrap();
    let (passes, _) = enc.counts();
    assert!(
        passes < texts.len(),
        "{passes} passes for {} texts",
        texts.len()
    );
    for (g, r) in got.iter().zip(&refs) {
        let c = cosine(g, &r.embedding);
        assert!(c >= 0.999, "cosine {c:.6} for {:?}", r.text);
    }
    // Asked again, in another order and with one new text, only the new one is encoded.
    let mut again: Vec<String> = texts.iter().rev().cloned().collect();
    again.insert(3, "Is there anyone else who should see this?".to_string());
    let got_again = memo.embed(&enc, &again).unwrap();
    assert_eq!(enc.counts().0, passes + 1);
    for (t, g) in again.iter().zip(&got_again) {
        let want = shared().encode_one(t).unwrap();
        assert!(cosine(g, &want) >= 0.99999, "memo embedding of {t:?}");
    }
}

#[test]
fn embeddings_are_unit_length_and_similar_meanings_score_higher() {
    let enc = shared();
    let v = enc
        .encode(&[
            "Who signs off on the budget for this?",
            "Who approves the spending on your side?",
            "The weather has been lovely this week.",
        ])
        .unwrap();
    for e in &v {
        let norm: f32 = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]) + 0.3);
    assert!(enc.encode(&[]).unwrap().is_empty());
}

#[test]
fn weird_text_is_encoded_without_panicking() {
    let long: String = "pricing ".repeat(1250); // 10,000 characters
    let noise: String = (0..10_000u32)
        .map(|i| char::from_u32(i % 0x2FFF).unwrap_or('?'))
        .collect();
    let texts = [
        "",
        " \t\n ",
        long.as_str(),
        noise.as_str(),
        "\u{0}\u{7}\u{1b}[31m red \u{1b}[0m\r\n\u{feff}",
        "🚀🔥😅👍🏽👨‍👩‍👧",
        "e\u{301}\u{301}\u{301}\u{301}\u{301}",
        "[CLS] [SEP] [PAD] [MASK] [UNK]",
        "价格是多少 ¿cuánto cuesta? сколько стоит",
        "\u{202e}reversed\u{202c}",
    ];
    let enc = shared();
    for text in texts {
        let v = enc.encode_one(text).unwrap();
        assert_eq!(v.len(), 384);
        assert!(v.iter().all(|x| x.is_finite()));
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "norm {norm} for a weird text");
    }
    let batch = enc.encode(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    assert!(batch.iter().flatten().all(|x| x.is_finite()));
}

#[test]
fn the_encoder_is_shared_across_threads() {
    let enc = Arc::new(
        MiniLm::load_with(
            &model_dir(),
            &EncoderOptions {
                threads: 2,
                max_tokens: 128,
            },
        )
        .unwrap(),
    );
    let want = shared()
        .encode_one("Can we set up a demo next week?")
        .unwrap();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let enc = Arc::clone(&enc);
            std::thread::spawn(move || enc.encode_one("Can we set up a demo next week?").unwrap())
        })
        .collect();
    for h in handles {
        assert!(cosine(&h.join().unwrap(), &want) > 0.9999);
    }
}

/// A temp copy of the model directory whose files are links to the installed ones, except
/// those `replace` writes.
fn model_copy(replace: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let src = model_dir();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("1_Pooling")).unwrap();
    for f in FILES {
        let dest = dir.path().join(f);
        match replace.iter().find(|(name, _)| *name == f) {
            Some((_, bytes)) => std::fs::write(&dest, bytes).unwrap(),
            None => std::os::unix::fs::symlink(src.join(f), &dest).unwrap(),
        }
    }
    dir
}

fn load_err(dir: &Path) -> (EncoderError, String) {
    let err = MiniLm::load(dir).unwrap_err();
    let msg = err.to_string();
    (err, msg)
}

#[test]
fn a_missing_directory_or_file_says_run_fetch() {
    let (err, msg) = load_err(Path::new("/nonexistent/all-MiniLM-L6-v2"));
    assert!(matches!(err, EncoderError::Missing { .. }), "{err:?}");
    assert!(
        msg.contains("/nonexistent/all-MiniLM-L6-v2") && msg.contains("models/fetch.sh"),
        "{msg}"
    );
    for f in FILES {
        let dir = model_copy(&[]);
        std::fs::remove_file(dir.path().join(f)).unwrap();
        let (err, msg) = load_err(dir.path());
        assert!(matches!(err, EncoderError::Missing { .. }), "{f}: {err:?}");
        assert!(msg.contains(f) && msg.contains("models/fetch.sh"), "{msg}");
    }
}

#[test]
fn a_truncated_or_corrupt_safetensors_file_is_named() {
    let bytes = std::fs::read(model_dir().join("model.safetensors")).unwrap();
    // The header alone (no data), with one byte of its JSON broken.
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut flipped_header = bytes[..8 + header_len].to_vec();
    flipped_header[100] = b'}';
    let cases = [
        (
            "half the file",
            bytes[..bytes.len() / 2].to_vec(),
            "bytes but the file has",
        ),
        (
            "one byte short",
            bytes[..bytes.len() - 1].to_vec(),
            "bytes but the file has",
        ),
        ("empty", Vec::new(), "too short"),
        ("a broken header", flipped_header, "does not parse"),
        (
            "not safetensors",
            b"PK\x03\x04 this is a zip".to_vec(),
            "header claims",
        ),
    ];
    for (what, content, reason) in cases {
        let dir = model_copy(&[("model.safetensors", content)]);
        let (err, msg) = load_err(dir.path());
        assert!(
            matches!(err, EncoderError::Weights { .. }),
            "{what}: {err:?}"
        );
        assert!(
            msg.contains("model.safetensors") && msg.contains("corrupt or truncated"),
            "{what}: {msg}"
        );
        assert!(
            msg.contains(reason) && msg.contains("models/fetch.sh"),
            "{what}: {msg}"
        );
    }
}

fn edited_config(edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    let raw = std::fs::read_to_string(model_dir().join("config.json")).unwrap();
    let mut config: serde_json::Value = serde_json::from_str(&raw).unwrap();
    edit(&mut config);
    serde_json::to_vec(&config).unwrap()
}

#[test]
fn a_config_that_is_not_a_6_layer_384_wide_bert_is_refused() {
    let cases = [
        (
            "12 layers",
            edited_config(|c| c["num_hidden_layers"] = 12.into()),
            "12 layers 384 wide",
        ),
        (
            "768 wide",
            edited_config(|c| c["hidden_size"] = 768.into()),
            "6 layers 768 wide",
        ),
        (
            "roberta",
            edited_config(|c| c["model_type"] = "roberta".into()),
            "model_type",
        ),
        (
            "no vocab size",
            edited_config(|c| {
                c.as_object_mut().unwrap().remove("vocab_size");
            }),
            "vocab_size",
        ),
        (
            "not json",
            b"{\"architectures\": [".to_vec(),
            "does not parse",
        ),
    ];
    for (what, content, reason) in cases {
        let dir = model_copy(&[("config.json", content)]);
        let (err, msg) = load_err(dir.path());
        assert!(
            matches!(err, EncoderError::Config { .. }),
            "{what}: {err:?}"
        );
        assert!(
            msg.contains("config.json") && msg.contains("6-layer, 384-wide BERT"),
            "{msg}"
        );
        assert!(
            msg.contains(reason) && msg.contains("models/fetch.sh"),
            "{what}: {msg}"
        );
    }
    // A config that passes the checks but does not fit the weights: the weights are named.
    let dir = model_copy(&[(
        "config.json",
        edited_config(|c| c["intermediate_size"] = 1024.into()),
    )]);
    let (err, msg) = load_err(dir.path());
    assert!(matches!(err, EncoderError::Weights { .. }), "{err:?}");
    assert!(
        msg.contains("model.safetensors") && msg.contains("shape"),
        "{msg}"
    );
}

#[test]
fn a_broken_tokenizer_or_pooling_config_is_refused() {
    let dir = model_copy(&[(
        "tokenizer.json",
        b"{\"version\": \"1.0\", \"model\": 42}".to_vec(),
    )]);
    let (err, msg) = load_err(dir.path());
    assert!(matches!(err, EncoderError::Tokenizer { .. }), "{err:?}");
    assert!(
        msg.contains("tokenizer.json") && msg.contains("models/fetch.sh"),
        "{msg}"
    );

    let cls = br#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#;
    let dir = model_copy(&[("1_Pooling/config.json", cls.to_vec())]);
    let (err, msg) = load_err(dir.path());
    assert!(matches!(err, EncoderError::Pooling { .. }), "{err:?}");
    assert!(
        msg.contains("1_Pooling/config.json") && msg.contains("mean pooling"),
        "{msg}"
    );
}

#[test]
fn bad_options_are_refused() {
    let err = MiniLm::load_with(
        &model_dir(),
        &EncoderOptions {
            threads: 0,
            max_tokens: 128,
        },
    )
    .unwrap_err();
    assert!(matches!(err, EncoderError::Options { .. }), "{err:?}");
    let err = MiniLm::load_with(
        &model_dir(),
        &EncoderOptions {
            threads: 1,
            max_tokens: 4096,
        },
    )
    .unwrap_err();
    assert!(matches!(err, EncoderError::Options { .. }), "{err:?}");
}
