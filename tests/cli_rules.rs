//! `warmcall analyze`, `rules list` and `rules check` as a user runs them, with snapshots of
//! whole example calls (`tests/fixtures/*.jsonl`).

use crate::common;

use std::path::Path;

use predicates::prelude::*;
use warmcall::event::Event;

fn analyze(fixture: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let out = common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args(["analyze", "--transcript"])
        .arg(path)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

fn parse(out: &str) -> Vec<Event> {
    out.lines()
        .map(|l| Event::from_json_line(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn pushy_call() {
    let out = analyze("pushy-call.jsonl");
    insta::assert_snapshot!(out);
    let events = parse(&out);
    let rules: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Flag(f) => Some(f.rule.as_str()),
            _ => None,
        })
        .collect();
    for id in [
        "pitch-opening",
        "early-qualification",
        "objection",
        "urgency-pressure",
        "assumptive-close",
    ] {
        assert!(rules.contains(&id), "{id} missing from {rules:?}");
    }
}

#[test]
fn good_call_raises_no_flag_and_ticks_every_practice() {
    let out = analyze("good-call.jsonl");
    insta::assert_snapshot!(out);
    let events = parse(&out);
    assert!(!events.iter().any(|e| matches!(e, Event::Flag(_))));
    let Some(Event::CallEnd { summary, .. }) = events.last() else {
        panic!()
    };
    assert!(
        summary.practices.values().all(|p| p.done),
        "{:?}",
        summary.practices
    );
}

#[test]
fn monologue_call() {
    let out = analyze("monologue-call.jsonl");
    insta::assert_snapshot!(out);
    let events = parse(&out);
    let first_mono = events
        .iter()
        .find_map(|e| match e {
            Event::Flag(f) if f.rule == "monologue" => Some(f.t),
            _ => None,
        })
        .expect("monologue flagged");
    assert_eq!(
        first_mono, 60.0,
        "fires when 60 s of rep talk is reached, mid-utterance"
    );
}

#[test]
fn every_line_is_versioned_and_ordered_by_time() {
    let out = analyze("pushy-call.jsonl");
    let mut last = 0.0;
    for line in out.lines() {
        assert!(line.starts_with("{\"v\":1,\"type\":\""), "{line}");
        let t = Event::from_json_line(line).unwrap().t();
        assert!(t >= last, "{line}");
        last = t;
    }
}

#[test]
fn malformed_lines_are_reported_skipped_and_fail_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("call.jsonl");
    std::fs::write(
        &p,
        "{\"speaker\":\"me\",\"start\":0,\"end\":2,\"text\":\"Just checking in.\"}\n\
         not json\n\
         {\"speaker\":\"boss\",\"start\":3,\"end\":4,\"text\":\"x\"}\n\
         {\"speaker\":\"them\",\"start\":5,\"end\":4,\"text\":\"x\"}\n\
         \n\
         {\"speaker\":\"them\",\"start\":6,\"end\":8,\"text\":\"Not interested.\"}\n",
    )
    .unwrap();
    let a = common::warmcall()
        .env("XDG_CONFIG_HOME", dir.path())
        .args(["analyze", "--transcript"])
        .arg(&p)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("call.jsonl:2:"))
        .stderr(predicate::str::contains("call.jsonl:3:"))
        .stderr(predicate::str::contains(
            "call.jsonl:4: end (4) is before start (5)",
        ))
        .stderr(predicate::str::contains("3 malformed line(s) skipped"));
    let out = String::from_utf8(a.get_output().stdout.clone()).unwrap();
    let events = parse(&out);
    let flags: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Flag(f) => Some(f.rule.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(flags, ["chasing", "objection"]);
}

#[test]
fn a_bad_user_rule_file_is_a_config_error_with_position() {
    let cfg = tempfile::tempdir().unwrap();
    let rules = cfg.path().join("warmcall/rules.d");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("10-mine.toml"),
        "[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"(open\"]\n",
    )
    .unwrap();
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["rules", "list"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "10-mine.toml:4:13: bad pattern \"(open\": missing `)`",
        ));
}

#[test]
fn user_rules_show_in_the_list_with_their_source() {
    let cfg = tempfile::tempdir().unwrap();
    let rules = cfg.path().join("warmcall/rules.d");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("mine.toml"),
        "[[rule]]\nid = \"chasing\"\nenabled = false\n",
    )
    .unwrap();
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(
                r"chasing\s+phrase\s+me\s+warn\s+whole call\s+30 s\s+no\s+.*mine.toml",
            )
            .unwrap(),
        )
        .stdout(predicate::str::contains("talk-ratio"));
}

#[test]
fn rules_check_explains_matches_and_cancellations() {
    common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args([
            "rules",
            "check",
            "Um, just following up, a no is fine though",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("quiet chasing"))
        .stdout(predicate::str::contains("cancelled by unless pattern"))
        .stdout(predicate::str::contains("GOOD  no-is-fine"));
    common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args(["rules", "check", "What's your budget?", "--at", "400"])
        .assert()
        .success()
        .stdout(predicate::str::contains("but only from 0 s to 300 s"));
    common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args([
            "rules",
            "check",
            "We're not interested",
            "--speaker",
            "them",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("FIRES objection"));
}

/// `warmcall rules …` with its own state and config directories.
fn rules_cmd(home: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    common::warmcall()
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .arg("rules")
        .args(args)
        .assert()
}

#[test]
fn rules_mute_unmute_and_muted_keep_a_private_file() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    rules_cmd(h, &["muted"])
        .success()
        .stdout("no rules are muted\n");
    rules_cmd(h, &["mute", "chasing"])
        .success()
        .stdout(predicate::str::starts_with(
            "muted chasing (Chasing) until you unmute it",
        ));
    rules_cmd(h, &["mute", "objection", "--for", "7d"])
        .success()
        .stdout(
            predicate::str::contains("muted objection (").and(predicate::str::contains("until 2")),
        );
    let file = h.join("state/warmcall/mutes.toml");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
    let out = rules_cmd(h, &["muted"])
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[1].starts_with("chasing") && lines[1].ends_with("you unmute it"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("objection") && !lines[2].ends_with("you unmute it"),
        "{out}"
    );
    rules_cmd(h, &["unmute", "chasing"])
        .success()
        .stdout("unmuted chasing\n");
    rules_cmd(h, &["unmute", "chasing"])
        .success()
        .stdout("chasing is not muted; nothing to do\n");
    let out = rules_cmd(h, &["muted"])
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        !out.contains("chasing") && out.contains("objection"),
        "{out}"
    );
}

#[test]
fn rules_mute_refuses_unknown_ids_practices_bad_lengths_and_a_broken_file() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    rules_cmd(h, &["mute", "chasng"])
        .code(2)
        .stderr(predicate::str::contains("no rule \"chasng\" in force"))
        .stderr(predicate::str::contains("chasing, "));
    rules_cmd(h, &["unmute", "chasng"])
        .code(2)
        .stderr(predicate::str::contains("no rule \"chasng\" in force"));
    rules_cmd(h, &["mute", "no-is-fine"])
        .code(2)
        .stderr(predicate::str::contains("is a practice"));
    rules_cmd(h, &["mute", "chasing", "--for", "a while"])
        .code(2)
        .stderr(predicate::str::contains("30m, 8h, 7d or 2w"));
    assert!(
        !h.join("state/warmcall/mutes.toml").exists(),
        "nothing written"
    );
    let file = h.join("state/warmcall/mutes.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "[chasing\n").unwrap();
    rules_cmd(h, &["mute", "objection"])
        .code(1)
        .stderr(predicate::str::contains("mutes.toml: 1:"))
        .stderr(predicate::str::contains("delete the file"));
    rules_cmd(h, &["muted"])
        .code(1)
        .stderr(predicate::str::contains("mutes.toml"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "[chasing\n");
}
