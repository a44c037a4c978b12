//! The call-log directory is the user's: retention deletes only regular files warmcall wrote
//! (named by call id), and only once a run has checked everything else; an empty `[log] dir` is
//! a config error; a directory given through a symlink never has its target's permissions
//! changed. Each case drives the real binary on real files.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use warmcall::sink::calllog::apply_retention;

/// A call log's name as warmcall writes it (`pipeline::clock::call_id`).
const OLD_LOG: &str = "2020-01-02T03-04-05Z-4f2a.jsonl";

fn write_aged(path: &Path, days: u64) {
    std::fs::write(path, "{}\n").unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(days * 86_400))
        .unwrap();
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// One second of silence, mono 16 kHz.
fn silent_wav(dir: &Path) -> std::path::PathBuf {
    let wav = dir.join("silence.wav");
    common::write_wav(&wav, 16_000, 1, &[0.0; 16_000]);
    wav
}

/// `warmcall run --headless --input WAV --log-dir DIR [--config CFG]`: (exit code, stderr).
fn run(wav: &Path, log_dir: &Path, config: Option<&Path>) -> (i32, String) {
    let mut cmd = common::warmcall();
    cmd.env("XDG_CONFIG_HOME", wav.with_file_name("no-config"))
        .args(["run", "--headless", "--input"])
        .arg(wav)
        .arg("--log-dir")
        .arg(log_dir);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().expect("exited"), err)
}

#[test]
fn retention_deletes_only_old_regular_files_named_by_call_id() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let outside = dir.path().join("precious.jsonl");
    write_aged(&outside, 400);
    let keep = [
        "my-notes.jsonl",
        "2020-01-02T03-04-05Z-4f2a.jsonl.bak",
        "2020-01-02T03-04-05Z-zzzz.jsonl",
        "2020-01-02 03-04-05Z-4f2a.jsonl",
    ];
    for name in keep {
        write_aged(&logs.join(name), 400);
    }
    write_aged(&logs.join(OLD_LOG), 400);
    write_aged(&logs.join("2026-01-02T03-04-05Z-0001.jsonl"), 1);
    // A symlink and a directory with call-log names are not files warmcall wrote.
    std::os::unix::fs::symlink(&outside, logs.join("2020-01-03T00-00-00Z-0002.jsonl")).unwrap();
    std::fs::create_dir(logs.join("2020-01-04T00-00-00Z-0003.jsonl")).unwrap();

    assert_eq!(apply_retention(&logs, 30), 1);
    assert!(!logs.join(OLD_LOG).exists());
    for name in keep {
        assert!(logs.join(name).exists(), "{name} was deleted");
    }
    assert!(logs.join("2026-01-02T03-04-05Z-0001.jsonl").exists());
    assert!(outside.exists());
    assert!(logs.join("2020-01-03T00-00-00Z-0002.jsonl").is_symlink());
    assert!(logs.join("2020-01-04T00-00-00Z-0003.jsonl").is_dir());
    assert_eq!(apply_retention(&logs, 0), 0);
}

#[test]
fn a_run_pointed_at_a_folder_of_the_users_leaves_its_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("Documents");
    std::fs::create_dir(&folder).unwrap();
    write_aged(&folder.join("my-notes.jsonl"), 400);
    let wav = silent_wav(dir.path());
    let (code, err) = run(&wav, &folder, None);
    assert_eq!(code, 0, "{err}");
    assert!(folder.join("my-notes.jsonl").exists());
}

#[test]
fn nothing_is_deleted_when_the_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    write_aged(&logs.join(OLD_LOG), 400);
    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, b"RIFF\x10\x00\x00\x00WAVEjunkjunk").unwrap();
    let (code, err) = run(&bad, &logs, None);
    assert_eq!(code, 5, "{err}");
    assert!(
        logs.join(OLD_LOG).exists(),
        "retention ran before the input was checked"
    );

    // A missing model is refused before retention too.
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[asr]\nmodel = \"/nonexistent/ggml-x.bin\"\n").unwrap();
    let (code, err) = run(&silent_wav(dir.path()), &logs, Some(&cfg));
    assert_eq!(code, 4, "{err}");
    assert!(
        logs.join(OLD_LOG).exists(),
        "retention ran before the model was checked"
    );

    // A run that starts applies it.
    let (code, err) = run(&silent_wav(dir.path()), &logs, None);
    assert_eq!(code, 0, "{err}");
    assert!(!logs.join(OLD_LOG).exists());
}

#[test]
fn an_empty_log_dir_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let conf_dir = dir.path().join("conf");
    std::fs::create_dir(&conf_dir).unwrap();
    std::fs::set_permissions(&conf_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cfg = conf_dir.join("config.toml");
    std::fs::write(&cfg, "[log]\ndir = \"\"\n").unwrap();
    let out = common::warmcall()
        .args(["config", "check"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("config.toml:2:7: "), "{err}");
    assert!(err.contains("[log] dir"), "{err}");

    let wav = silent_wav(dir.path());
    let out = common::warmcall()
        .args(["run", "--headless", "--input"])
        .arg(&wav)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        mode(&conf_dir),
        0o755,
        "the config's directory was chmodded"
    );
    let names: Vec<_> = std::fs::read_dir(&conf_dir).unwrap().collect();
    assert_eq!(names.len(), 1, "something was written beside the config");

    // `--log-dir ""` is refused the same way, as a usage error.
    let (code, err) = run(&wav, Path::new(""), None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--log-dir"), "{err}");
}

#[test]
fn a_symlinked_log_dir_never_has_its_target_chmodded() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("shared-disk/calls");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = dir.path().join("calls-link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let wav = silent_wav(dir.path());

    // An open target is refused, named, and left as it was.
    let (code, err) = run(&wav, &link, None);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("calls-link"), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains("chmod 700"), "{err}");
    assert_eq!(mode(&target), 0o755);
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);

    // A private target is used through the link.
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (code, err) = run(&wav, &link, None);
    assert_eq!(code, 0, "{err}");
    let logs: Vec<_> = std::fs::read_dir(&target).unwrap().collect();
    assert_eq!(logs.len(), 1, "one call log in the link's target");
    assert!(link.is_symlink());
}
