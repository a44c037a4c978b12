//! The CTranslate2 → ggml converter against the real tiny.en and base models, and its errors
//! on damaged input.

use crate::common;

use std::fs;
use std::path::Path;

use warmcall::asr::Transcriber;
use warmcall::asr::whisper::{DecodeOptions, WhisperModel};
use warmcall::model::ImportError;
use warmcall::model::ct2::Ct2Model;
use warmcall::model::import::{convert, import_dir};
use warmcall::text::normalize;
use warmcall::verify::{JFK_TEXT, jfk_samples};

fn convert_dir(dir: &Path) -> warmcall::model::ggml::GgmlModel {
    let raw = if dir.join("model.bin").exists() {
        fs::read(dir.join("model.bin")).unwrap()
    } else {
        let mut a = fs::read(dir.join("model.bin.part1")).unwrap();
        a.extend(fs::read(dir.join("model.bin.part2")).unwrap());
        a
    };
    let m = Ct2Model::parse(&raw).unwrap();
    convert(
        &m,
        &fs::read_to_string(dir.join("config.json")).unwrap(),
        &fs::read_to_string(dir.join("tokenizer.json")).unwrap(),
    )
    .unwrap()
}

fn shape<'a>(m: &'a warmcall::model::ggml::GgmlModel, name: &str) -> &'a [usize] {
    &m.tensors
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tensor {name}"))
        .dims
}

#[test]
fn tiny_en_converts_to_whisper_cpp_names_and_shapes() {
    let m = convert_dir(&common::ct2_dir("tiny.en"));
    let hp = m.hparams;
    assert_eq!(
        (
            hp.n_vocab,
            hp.n_audio_ctx,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer
        ),
        (51864, 1500, 384, 6, 4)
    );
    assert_eq!(
        (
            hp.n_text_ctx,
            hp.n_text_state,
            hp.n_text_head,
            hp.n_text_layer,
            hp.n_mels
        ),
        (448, 384, 6, 4, 80)
    );
    // 2 conv × 2 + 2 positional + token embedding + 2 final norms × 2
    // + 4 encoder blocks × 15 + 4 decoder blocks × 24.
    assert_eq!(m.tensors.len(), 4 + 2 + 1 + 4 + 4 * 15 + 4 * 24);
    assert_eq!(shape(&m, "encoder.conv1.weight"), [384, 80, 3]);
    assert_eq!(shape(&m, "encoder.conv1.bias"), [384, 1]);
    assert_eq!(shape(&m, "encoder.blocks.3.attn.key.weight"), [384, 384]);
    assert_eq!(shape(&m, "decoder.blocks.0.cross_attn.value.bias"), [384]);
    assert_eq!(shape(&m, "decoder.token_embedding.weight"), [51864, 384]);
    assert!(m.tensors.iter().all(|t| !t.name.ends_with("key.bias")));
    assert_eq!(m.vocab.len(), 50257);
    assert_eq!(m.vocab[50256], b"<|endoftext|>");
    assert_eq!(m.vocab[220], b" ");
    assert_eq!(m.mel_filters.len(), 80 * 201);
}

#[test]
fn base_converts_from_its_split_model_file() {
    let m = convert_dir(&common::ct2_dir("base"));
    assert_eq!(m.hparams.n_vocab, 51865);
    assert_eq!(m.hparams.n_audio_layer, 6);
    assert_eq!(m.hparams.n_audio_state, 512);
    assert_eq!(m.tensors.len(), 4 + 2 + 1 + 4 + 6 * 15 + 6 * 24);
    assert!(m.hparams.is_multilingual());
}

#[test]
fn imported_models_transcribe_jfk() {
    for name in ["tiny.en", "base"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("m.bin");
        let summary = import_dir(&common::ct2_dir(name), &out, |_, _| {}).unwrap();
        assert!(summary.bytes > 50_000_000);
        let model = WhisperModel::load(&out).unwrap();
        let mut tr = model.transcriber(DecodeOptions::default()).unwrap();
        let text = tr.transcribe(&jfk_samples()).unwrap().text();
        assert!(
            normalize(&text).contains("ask not what your country can do for you"),
            "{name}: {text}"
        );
        assert_eq!(normalize(&text), JFK_TEXT, "{name}");
    }
}

/// A copy of the tiny.en source directory whose model.bin the test may damage.
fn scratch_copy() -> tempfile::TempDir {
    let src = common::ct2_dir("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    for f in ["config.json", "tokenizer.json", "model.bin"] {
        fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    dir
}

fn import_err(dir: &Path) -> (ImportError, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let e = import_dir(dir, &out.path().join("m.bin"), |_, _| {}).unwrap_err();
    // Nothing is left behind in the output directory on failure.
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 0);
    (e, out)
}

#[test]
fn truncated_model_bin_is_reported() {
    let d = scratch_copy();
    let p = d.path().join("model.bin");
    let len = fs::metadata(&p).unwrap().len();
    fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let (e, _) = import_err(d.path());
    assert!(matches!(e, ImportError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("truncated"));
}

#[test]
fn corrupt_and_foreign_inputs_are_reported() {
    let d = scratch_copy();
    let p = d.path().join("model.bin");
    let mut bytes = fs::read(&p).unwrap();
    bytes[0] = 9;
    fs::write(&p, &bytes).unwrap();
    assert!(matches!(
        import_err(d.path()).0,
        ImportError::UnsupportedVersion(9)
    ));

    bytes[0] = 6;
    // Overwrite the first variable's dtype byte region with garbage shape data.
    bytes[30..60].fill(0xff);
    fs::write(&p, &bytes).unwrap();
    let (e, _) = import_err(d.path());
    assert!(
        matches!(
            e,
            ImportError::Corrupt { .. }
                | ImportError::Truncated { .. }
                | ImportError::UnsupportedDtype { .. }
        ),
        "{e}"
    );
}

#[test]
fn wrong_config_and_missing_files_are_reported() {
    let d = scratch_copy();
    fs::write(
        d.path().join("config.json"),
        r#"{"architectures": ["Bert"]}"#,
    )
    .unwrap();
    let (e, _) = import_err(d.path());
    assert!(matches!(e, ImportError::BadConfig(_)), "{e}");

    fs::remove_file(d.path().join("tokenizer.json")).unwrap();
    let (e, _) = import_err(d.path());
    assert!(
        matches!(e, ImportError::MissingFile(ref p) if p.ends_with("tokenizer.json")),
        "{e}"
    );

    let (e, _) = import_err(&d.path().join("nope"));
    assert!(matches!(e, ImportError::MissingDir(_)), "{e}");
}

#[test]
fn unwritable_output_leaves_nothing_behind() {
    let d = scratch_copy();
    let out = tempfile::tempdir().unwrap();
    // A directory in the way of the output file makes the final rename fail.
    let target = out.path().join("m.bin");
    fs::create_dir(&target).unwrap();
    fs::write(target.join("keep"), b"x").unwrap();
    let e = import_dir(d.path(), &target, |_, _| {}).unwrap_err();
    assert!(matches!(e, ImportError::Write { .. }), "{e}");
    let names: Vec<_> = fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["m.bin"], "temporary file left behind");
}
