//! Hostile or careless rule and config files as a user's `warmcall rules check`, `config
//! check` and `rules list` meet them: each is refused with exit status 3 and the file, line and
//! column of the offending value, never a crash.

use crate::common;

use std::path::{Path, PathBuf};

use predicates::prelude::*;

/// A config dir holding `config.toml` (with `config`) and `rules.d/NAME` (with `rules`).
fn setup(config: &str, name: &str, rules: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, config).unwrap();
    std::fs::create_dir(dir.path().join("rules.d")).unwrap();
    std::fs::write(dir.path().join("rules.d").join(name), rules).unwrap();
    (dir, cfg)
}

fn rule_with_pattern(pattern: &str) -> String {
    format!("[[rule]]\nid = \"deep\"\nsuggestions = [\"s\"]\npatterns = [\"{pattern}\"]\n")
}

/// Run `warmcall ARGS` and return (exit code, stderr); a signal is a test failure.
fn run(args: &[&str], cfg: &Path) -> (i32, String) {
    let out = common::warmcall()
        .args(args)
        .arg(cfg)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or_else(|| {
        panic!(
            "warmcall {args:?} died of a signal: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_pattern_nested_20000_deep_is_refused_with_its_position() {
    // 20,000 levels overflowed the parser's stack; 400 fit under the length cap, so the depth
    // limit is what refuses them.
    for (depth, why) in [
        (20_000, "too long"),
        (400, "nested more than 16 levels deep"),
    ] {
        let deep = format!("{}a{}", "(".repeat(depth), ")".repeat(depth));
        let (_dir, cfg) = setup("", "50-deep.toml", &rule_with_pattern(&deep));
        for args in [
            &["config", "check"][..],
            &["rules", "check", "hello there", "--config"][..],
            &["rules", "list", "--config"][..],
        ] {
            let (code, err) = run(args, &cfg);
            assert_eq!(code, 3, "{args:?}: {err}");
            assert!(err.contains("50-deep.toml:4:13: "), "{args:?}: {err}");
            assert!(err.contains(why), "{args:?}: {err}");
            // The pattern is named, but not printed whole.
            assert!(err.contains("\"(((((("), "{err}");
            assert!(err.len() < 1000, "{} bytes of error", err.len());
        }
    }
}

#[test]
fn a_running_pipeline_refuses_a_deep_pattern_on_reload_and_keeps_its_rules() {
    use warmcall::control::Command;
    use warmcall::pipeline::{Builder, RunOptions};
    let ok = rule_with_pattern("hello there").replace("\"deep\"", "\"ok\"");
    let (dir, cfg_path) = setup("", "10-ok.toml", &ok);
    let wav = dir.path().join("silence.wav");
    common::write_wav(&wav, 16_000, 1, &vec![0.0; 600 * 16_000]);
    let mut cfg = warmcall::config::Config::load(Some(&cfg_path)).unwrap();
    cfg.model = common::model("tiny.en");
    let opts = RunOptions {
        input: Some(wav),
        realtime: true,
        log_dir: Some(dir.path().join("logs")),
        config_path: Some(cfg_path.clone()),
        ..RunOptions::default()
    };
    let pipeline = Builder::new(cfg, opts).start().unwrap();
    let deep = format!("{}a{}", "(".repeat(20_000), ")".repeat(20_000));
    std::fs::write(
        dir.path().join("rules.d/50-deep.toml"),
        rule_with_pattern(&deep),
    )
    .unwrap();
    let answer = pipeline.control(Command::Reload).expect("the hub answers");
    assert!(answer.contains("\"ok\":false"), "{answer}");
    assert!(answer.contains("50-deep.toml:4:13: "), "{answer}");
    // Still running, on the rules it had.
    let status = pipeline.control(Command::Status).expect("still running");
    assert!(status.contains("\"state\""), "{status}");
    pipeline.stop();
    pipeline.wait().unwrap();
}

#[test]
fn a_10_mb_pattern_is_refused_before_it_is_compiled() {
    let huge = "word ".repeat(2 << 20);
    let (_dir, cfg) = setup("", "huge.toml", &rule_with_pattern(&huge));
    // 1.1 GB were allocated for this pattern before the length cap; 400 MB of address space is
    // plenty for reading a 10 MB file and refusing it.
    let out = std::process::Command::new("prlimit")
        .arg("--as=400000000")
        .arg(assert_cmd::cargo::cargo_bin("warmcall"))
        .args(["config", "check"])
        .arg(&cfg)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{:?}: {err}", out.status);
    assert!(err.contains("huge.toml:4:13: "), "{err}");
    assert!(err.contains("too long"), "{err}");
}

#[test]
fn regex_size_errors_are_blamed_on_the_users_pattern() {
    // A raw regex too large alone, and phrase patterns too large together: both were
    // reported at `built-in:0:0`.
    let (_dir, cfg) = setup("", "20-big.toml", &rule_with_pattern("re:\\\\w{1000}"));
    let (code, err) = run(&["config", "check"], &cfg);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("20-big.toml:4:13: "), "{err}");
    assert!(err.contains("too large"), "{err}");
    // Each fits the per-pattern limit; about 33 of them exceed the set's.
    let many: Vec<String> = (0..36)
        .map(|i| format!("\"re:w{i} \\\\w{{40}}\""))
        .collect();
    let text = format!(
        "[[rule]]\nid = \"many\"\nsuggestions = [\"s\"]\npatterns = [{}]\n",
        many.join(", ")
    );
    let (_dir, cfg) = setup("", "30-many.toml", &text);
    let (code, err) = run(&["config", "check"], &cfg);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("30-many.toml:4:"), "{err}");
    assert!(err.contains("too large"), "{err}");
    assert!(!err.contains("built-in"), "{err}");
}

#[test]
fn rule_numbers_out_of_range_are_refused_at_their_position() {
    let cases: &[(&str, &str)] = &[
        (
            "kind = \"self-focus\"\nwindow_words = 1e300",
            "window_words",
        ),
        ("kind = \"self-focus\"\nwindow_words = 60.5", "window_words"),
        (
            "kind = \"self-focus\"\nmin_self_words = 100",
            "min_self_words",
        ),
        ("kind = \"monologue\"\nseconds = 1e308", "seconds"),
        ("kind = \"monologue\"\nmax_pause = 1e9", "max_pause"),
        ("kind = \"talk-ratio\"\nmax_share = 1.5", "max_share"),
        ("kind = \"talk-ratio\"\nover_seconds = 1e12", "over_seconds"),
        (
            "kind = \"talk-ratio\"\nmin_speech_seconds = nan",
            "min_speech_seconds",
        ),
        ("patterns = [\"a\"]\ncooldown = inf", "cooldown"),
        ("patterns = [\"a\"]\nfrom = 1e300", "from"),
        ("patterns = [\"a\"]\nuntil = 1e300", "until"),
    ];
    for (body, field) in cases {
        let text = format!("[[rule]]\nid = \"n\"\nsuggestions = [\"s\"]\n{body}\n");
        let (_dir, cfg) = setup("", "n.toml", &text);
        let (code, err) = run(&["config", "check"], &cfg);
        assert_eq!(code, 3, "{body}: {err}");
        assert!(err.contains("n.toml:5:"), "{body}: {err}");
        assert!(err.contains(&format!("`{field}`")), "{body}: {err}");
        assert!(!err.contains(":0:0"), "{body}: {err}");
    }
}

#[test]
fn an_inherited_value_is_blamed_on_the_overriding_rule() {
    // early-qualification's built-in window is [0, 300): `from = 400` inverts it, and the
    // user's own file is where that happened.
    let text = "\n[[rule]]\nid = \"early-qualification\"\nfrom = 400\n";
    let (_dir, cfg) = setup("", "o.toml", text);
    let (code, err) = run(&["config", "check"], &cfg);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("o.toml:2:1: "), "{err}");
    assert!(err.contains("`until`"), "{err}");
}

#[test]
fn config_numbers_out_of_range_are_refused_at_their_position() {
    let cases: &[(&str, &str)] = &[
        ("[calls]\nend_after_silence = 1e308", "end_after_silence"),
        ("[calls]\nend_after_silence = nan", "end_after_silence"),
        ("[log]\nretention_days = 4294967295", "retention_days"),
        ("[log]\nretention_days = -1", "retention_days"),
        ("[notify]\nmin_interval = 1e300", "min_interval"),
        ("[notify]\nmin_interval = -0.5", "min_interval"),
    ];
    for (body, field) in cases {
        let (_dir, cfg) = setup(&format!("\n{body}\n"), "none.toml", "");
        let (code, err) = run(&["config", "check"], &cfg);
        assert_eq!(code, 3, "{body}: {err}");
        assert!(err.contains("config.toml:3:"), "{body}: {err}");
        assert!(err.contains(field), "{body}: {err}");
    }
}

#[test]
fn values_in_range_still_pass() {
    let rules = "[[rule]]\nid = \"mono\"\nkind = \"monologue\"\nseconds = 3600\nmax_pause = 60\nsuggestions = [\"s\"]\n\
                 [[rule]]\nid = \"sf\"\nkind = \"self-focus\"\nwindow_words = 1000\nmin_self_words = 1000\nsuggestions = [\"s\"]\n\
                 [[rule]]\nid = \"p\"\npatterns = [\"(a|(b|[c] d))\"]\nfrom = 0\nuntil = 86400\ncooldown = 0\nsuggestions = [\"s\"]\n";
    let config = "[calls]\nend_after_silence = 3600\n[log]\nretention_days = 3650\n[notify]\nmin_interval = 0\n";
    let (_dir, cfg) = setup(config, "ok.toml", rules);
    let (code, err) = run(&["config", "check"], &cfg);
    assert_eq!(code, 0, "{err}");
    common::warmcall()
        .args(["config", "check"])
        .arg(&cfg)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok (17 rules in force)"));
}
