//! Fixture helpers shared by the integration tests: where the real models are, and the
//! warmcall binary.
#![allow(dead_code)]

use std::path::PathBuf;

fn home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(fallback))
}

/// The installed ggml model `name` ("tiny.en" or "base"). Tests need the real model: a
/// missing one fails the test with the command that installs it.
pub fn model(name: &str) -> PathBuf {
    let p = xdg("XDG_DATA_HOME", ".local/share")
        .join("warmcall/models")
        .join(format!("ggml-{name}.bin"));
    assert!(
        p.is_file(),
        "{} is missing: run `models/fetch.sh --base` (scripts/test does)",
        p.display()
    );
    p
}

/// The unpacked CTranslate2 source of model `name`, kept by models/fetch.sh.
pub fn ct2_dir(name: &str) -> PathBuf {
    let p = xdg("XDG_CACHE_HOME", ".cache")
        .join("warmcall/ct2")
        .join(name);
    assert!(
        p.join("config.json").is_file(),
        "{} is missing: run `models/fetch.sh --base` (scripts/test does)",
        p.display()
    );
    p
}

/// The warmcall binary under test.
pub fn warmcall() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("warmcall").expect("binary built")
}
