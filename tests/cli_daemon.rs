//! The commands around the daemon: `config init/check/path`, the systemd unit, and `ctl` with
//! no daemon running. (Call-log retention: `log_dir_safety.rs`.)

use crate::common;

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
        "\nPartOf=graphical-session.target\n",
        "\nWantedBy=graphical-session.target\n",
        "\nDocumentation=man:warmcall(1) ",
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

/// `warmcall -v run --headless` on jfk.wav with call logs in `log_dir`, stderr going to `err`
/// and the environment `env`; whether it succeeded.
fn run_with_stderr(
    err: &std::path::Path,
    log_dir: &std::path::Path,
    env: &[(&str, String)],
) -> bool {
    let jfk = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav");
    let data_home = common::model("tiny.en")
        .ancestors()
        .nth(3)
        .unwrap()
        .to_path_buf();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("warmcall"));
    cmd.args(["-v", "run", "--headless", "--input"])
        .arg(&jfk)
        .arg("--log-dir")
        .arg(log_dir)
        .env("XDG_DATA_HOME", data_home)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env_remove("WARMCALL_LOG")
        .env_remove("JOURNAL_STREAM")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(err).unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().unwrap().success()
}

/// What systemd sets JOURNAL_STREAM to for a stream: its device and inode.
fn stream_of(path: &std::path::Path) -> String {
    use std::os::unix::fs::MetadataExt;
    std::fs::write(path, "").unwrap();
    let meta = std::fs::metadata(path).unwrap();
    format!("{}:{}", meta.dev(), meta.ino())
}

/// Every line has a syslog priority prefix, and no colours or timestamp.
fn assert_journal_lines(text: &str) {
    for l in text.lines() {
        let b = l.as_bytes();
        let prefixed = b.len() > 3 && b[0] == b'<' && (b'0'..=b'7').contains(&b[1]) && b[2] == b'>';
        assert!(prefixed, "a line without a priority: {l:?}");
    }
    assert!(!text.contains('\u{1b}'), "colours in the journal: {text}");
    assert!(
        !text.contains("Z  INFO") && !text.contains("Z ERROR"),
        "a second timestamp: {text}"
    );
}

#[test]
fn under_systemd_diagnostics_reach_the_journal_with_priorities() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");

    // A run that works: its info lines are priority 6.
    let err = dir.path().join("stderr");
    let stream = stream_of(&err);
    assert!(run_with_stderr(&err, &logs, &[("JOURNAL_STREAM", stream)]));
    let text = std::fs::read_to_string(&err).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("<6>") && l.contains("Call log opened.")),
        "{text}"
    );
    assert_journal_lines(&text);

    // A run that is refused: its one line is an error, priority 3.
    let err = dir.path().join("stderr-refused");
    let stream = stream_of(&err);
    let bad = std::path::Path::new("/proc/no-such-dir");
    assert!(!run_with_stderr(&err, bad, &[("JOURNAL_STREAM", stream)]));
    let text = std::fs::read_to_string(&err).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("<3>warmcall: ") && l.contains("/proc/no-such-dir")),
        "{text}"
    );
    assert_journal_lines(&text);

    // Not the journal (another stream's numbers): plain lines with a timestamp, and no
    // colours off a terminal.
    let other = dir.path().join("stderr-plain");
    assert!(run_with_stderr(
        &other,
        &logs,
        &[("JOURNAL_STREAM", "1:1".into())]
    ));
    let text = std::fs::read_to_string(&other).unwrap();
    assert!(text.contains("Z  INFO ") && !text.contains("<6>"), "{text}");
    assert!(!text.contains('\u{1b}'), "colours off a terminal: {text}");
}
