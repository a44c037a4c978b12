//! The commands around the daemon: `config init/check/path`, the systemd unit, and `ctl` with
//! no daemon running. (Call-log retention: `log_dir_safety.rs`.)

mod common;

use predicates::prelude::*;

#[test]
fn systemd_unit_verifies_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join(".local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("warmcall"),
        bin.join("warmcall"),
    )
    .unwrap();
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/warmcall.service");
    // --man=no: Documentation=man:warmcall(1) exists once the .deb is installed, which
    // scripts/test-deb checks; from a clone the page is not installed.
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--user", "--man=no"])
        .arg(&unit)
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", home.path())
        .output()
        .expect("systemd-analyze");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    // A bad value only prints a warning and exits 0: any output is a failure.
    assert!(out.status.success() && text.trim().is_empty(), "{text}");
    let unit_text = std::fs::read_to_string(unit).unwrap();
    for needle in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "ExecReload=",
    ] {
        assert!(unit_text.contains(needle), "{needle}");
    }
}

#[test]
fn config_init_writes_a_valid_commented_default_once() {
    let cfg = tempfile::tempdir().unwrap();
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["config", "init"])
        .assert()
        .success()
        .stdout(predicate::str::contains("config.toml"));
    let path = cfg.path().join("warmcall/config.toml");
    assert!(std::fs::read_to_string(&path).unwrap().contains("# "));
    assert!(cfg.path().join("warmcall/rules.d").is_dir());
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains(": ok"));
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["config", "init"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists"));
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warmcall/config.toml"));
}

#[test]
fn config_check_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("config.toml");
    std::fs::write(&f, "[asr]\nmodel = \"tiny.en\"\nlangauge = \"en\"\n").unwrap();
    common::warmcall()
        .args(["config", "check"])
        .arg(&f)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("config.toml:3:1"))
        .stderr(predicate::str::contains("langauge"));
    std::fs::write(&f, "[calls]\nend_after_silence = 0.5\n").unwrap();
    common::warmcall()
        .args(["config", "check"])
        .arg(&f)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("end_after_silence"));
}

#[test]
fn ctl_without_a_daemon_says_so() {
    let rt = tempfile::tempdir().unwrap();
    common::warmcall()
        .env("XDG_RUNTIME_DIR", rt.path())
        .args(["ctl", "status"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is it running?"));
}
