//! `warmcall model list` and `warmcall model verify` as a user runs them.

use crate::common;

use predicates::prelude::*;

#[test]
fn verify_transcribes_jfk_with_tiny_en() {
    common::warmcall()
        .args(["model", "verify"])
        .arg(common::model("tiny.en"))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ask not what your country can do for you",
        ))
        .stdout(predicate::str::contains(
            "ok: the transcript is the JFK sentence",
        ));
}

#[test]
fn verify_rejects_a_missing_model_with_exit_4() {
    common::warmcall()
        .args(["model", "verify", "/nonexistent/ggml-x.bin"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("/nonexistent/ggml-x.bin"))
        .stderr(predicate::str::contains("warmcall model fetch"));
}

#[test]
fn verify_rejects_a_truncated_ggml_file_without_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(common::model("tiny.en")).unwrap();
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    common::warmcall()
        .args(["model", "verify"])
        .arg(&cut)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("truncated"));
}

#[test]
fn list_shows_installed_models_with_kind_and_size() {
    let data = tempfile::tempdir().unwrap();
    let models = data.path().join("warmcall/models");
    std::fs::create_dir_all(&models).unwrap();
    std::os::unix::fs::symlink(common::model("tiny.en"), models.join("ggml-tiny.en.bin")).unwrap();
    std::fs::write(models.join("junk.bin"), b"not a model").unwrap();
    common::warmcall()
        .env("XDG_DATA_HOME", data.path())
        .args(["model", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ggml-tiny.en.bin"))
        .stdout(predicate::str::contains("tiny.en f16  (default)"))
        .stdout(predicate::str::contains("junk.bin"))
        .stdout(predicate::str::contains("unusable"));
}

#[test]
fn list_with_no_models_says_how_to_get_one() {
    let data = tempfile::tempdir().unwrap();
    common::warmcall()
        .env("XDG_DATA_HOME", data.path())
        .args(["model", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warmcall model fetch"));
}

#[test]
fn import_reports_a_missing_directory_with_exit_5() {
    let out = tempfile::tempdir().unwrap();
    common::warmcall()
        .args(["model", "import", "/nonexistent/ct2", "--out"])
        .arg(out.path().join("m.bin"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("does not exist"));
}
