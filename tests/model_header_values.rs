//! ggml files whose structure is sound but whose header values no Whisper model has: each must
//! be refused by `warmcall model verify` (exit 4, the file and the bad value named) before
//! whisper.cpp sees it, where they divided by zero or aborted the process.

use crate::common;

use std::path::{Path, PathBuf};

/// Hyperparameter word indexes after the magic (file offset = 4 * index).
const N_AUDIO_HEAD: usize = 4;
const N_TEXT_STATE: usize = 7;
const N_TEXT_LAYER: usize = 9;
const FTYPE: usize = 11;

fn tiny() -> Vec<u8> {
    std::fs::read(common::model("tiny.en")).unwrap()
}

fn set_word(bytes: &mut [u8], index: usize, value: i32) {
    bytes[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
}

fn word(bytes: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// Byte offset of the first tensor header: after the header, mel filters and vocabulary.
fn tensors_start(bytes: &[u8]) -> usize {
    let (n_mel, n_fft) = (word(bytes, 48), word(bytes, 52));
    let mut at = 56 + (n_mel * n_fft * 4) as usize;
    let n_vocab = word(bytes, at);
    at += 4;
    for _ in 0..n_vocab {
        at += 4 + word(bytes, at) as usize;
    }
    at
}

/// `model verify FILE`: (exit code, stderr). A signal fails the test.
fn verify(path: &Path) -> (i32, String) {
    let out = common::warmcall()
        .args(["model", "verify"])
        .arg(path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("model verify died of a signal: {:?}\n{err}", out.status));
    (code, err)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn impossible_header_values_are_refused_naming_file_and_value() {
    let _lock = common::whisper_lock();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, usize, i32, &str)] = &[
        ("head0.bin", N_AUDIO_HEAD, 0, "n_audio_head 0"),
        ("ftype99.bin", FTYPE, 99, "ftype 99"),
        ("state.bin", N_TEXT_STATE, 1 << 20, "n_text_state 1048576"),
        (
            "layers.bin",
            N_TEXT_LAYER,
            1_000_000,
            "n_text_layer 1000000",
        ),
    ];
    for (name, index, value, expect) in cases {
        let mut bytes = tiny();
        set_word(&mut bytes, *index, *value);
        let path = write(dir.path(), name, &bytes);
        drop(bytes);
        let (code, err) = verify(&path);
        assert_eq!(code, 4, "{name}: {err}");
        assert!(err.contains(&path.display().to_string()), "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
    }
}

#[test]
fn tensor_dimensions_whose_byte_count_wraps_are_refused() {
    let _lock = common::whisper_lock();
    let dir = tempfile::tempdir().unwrap();
    let bytes = tiny();
    let at = tensors_start(&bytes);
    // 65536³ × 16384 f32 elements: 2^64 bytes, which is 0 in wrapping u64 arithmetic.
    let mut crafted = bytes[..at].to_vec();
    let name = b"encoder.conv1.weight";
    for v in [4, name.len() as i32, 0, 65536, 65536, 65536, 16384] {
        crafted.extend_from_slice(&v.to_le_bytes());
    }
    crafted.extend_from_slice(name);
    crafted.extend_from_slice(&bytes[at..]);
    drop(bytes);
    let path = write(dir.path(), "wrap.bin", &crafted);
    let (code, err) = verify(&path);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("wrap.bin"), "{err}");
    assert!(err.contains("65536"), "{err}");
}

#[test]
fn a_tensor_whose_shape_disagrees_with_the_header_is_refused() {
    let mut bytes = tiny();
    let at = tensors_start(&bytes);
    let n_dims = word(&bytes, at);
    // Swap the first tensor's first dimension for one a tiny model cannot have.
    let first_dim = at + 12;
    assert!(n_dims >= 1);
    let old = word(&bytes, first_dim);
    bytes[first_dim..first_dim + 4].copy_from_slice(&(old + 1).to_le_bytes());
    let e = warmcall::model::ggml::validate_bytes(&bytes).unwrap_err();
    assert!(e.to_string().contains("shape"), "{e}");
}

#[test]
fn the_real_models_pass_the_checks() {
    for name in ["tiny.en", "base"] {
        let (hp, tensors) = warmcall::model::ggml::validate(&common::model(name)).unwrap();
        assert!(tensors > 60, "{name}: {tensors} tensors");
        assert_eq!(hp.n_audio_ctx, 1500);
    }
    let _lock = common::whisper_lock();
    let (code, err) = verify(&common::model("base"));
    assert_eq!(code, 0, "{err}");
}
