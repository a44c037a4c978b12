//! Figures of call logs built by the real rule stage from the example calls in
//! `tests/fixtures/`, compared with what the engine itself reported.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::rules::replay::{parse_transcript, replay_call};
use crate::rules::{CompiledRules, RuleSet};

const ID: &str = "2026-11-23T09-02-11Z-26bf";

fn fixture(name: &str) -> Vec<Utterance> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let (utts, errors) = parse_transcript(&std::fs::read_to_string(path).unwrap());
    assert!(errors.is_empty());
    utts
}

/// Write the call log the rule stage makes of a fixture into `dir`; return its path.
fn write_log(dir: &Path, fixture_name: &str, rules: &Arc<CompiledRules>) -> PathBuf {
    let events = replay_call(
        Arc::clone(rules),
        &fixture(fixture_name),
        ID,
        "2026-11-23T09:02:11Z",
    );
    let text: String = events.iter().map(|e| e.to_json_line() + "\n").collect();
    let path = dir.join(format!("{ID}.jsonl"));
    std::fs::write(&path, text).unwrap();
    path
}

fn without_call_end(path: &Path) -> CallLog {
    let text = std::fs::read_to_string(path).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.contains(r#""type":"call_end""#))
        .map(|l| format!("{l}\n"))
        .collect();
    CallLog::parse(path, &kept).unwrap()
}

#[test]
fn a_log_without_call_end_gets_the_same_figures_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let rules = CompiledRules::builtin();
    for name in [
        "pushy-call.jsonl",
        "good-call.jsonl",
        "monologue-call.jsonl",
    ] {
        let path = write_log(dir.path(), name, &rules);
        let logged = Figures::compute(&CallLog::read(&path).unwrap(), &rules);
        assert!(!logged.recomputed);
        let again = Figures::compute(&without_call_end(&path), &rules);
        assert!(again.recomputed);
        assert_eq!(again.summary, logged.summary, "{name}");
        assert_eq!(again.flags, logged.flags, "{name}");
        assert_eq!(again.practices, logged.practices, "{name}");
    }
}

#[test]
fn flags_by_rule_agree_with_the_engines_count() {
    let dir = tempfile::tempdir().unwrap();
    let rules = CompiledRules::builtin();
    let log = CallLog::read(&write_log(dir.path(), "pushy-call.jsonl", &rules)).unwrap();
    let f = Figures::compute(&log, &rules);
    let engine = log.summary().unwrap();
    assert!(f.flags_total > 0);
    assert_eq!(f.flags_total, engine.flags.values().sum::<u32>());
    for rc in &f.flags {
        assert_eq!(engine.flags.get(&rc.rule), Some(&rc.count), "{}", rc.rule);
        let def = rules.set.rules.iter().find(|r| r.id == rc.rule).unwrap();
        assert_eq!(rc.title, def.title);
    }
    assert!(f.flags.windows(2).all(|w| w[0].count >= w[1].count));
}

#[test]
fn the_first_question_is_the_reps_first_question() {
    let dir = tempfile::tempdir().unwrap();
    let rules = CompiledRules::builtin();
    let log = CallLog::read(&write_log(dir.path(), "pushy-call.jsonl", &rules)).unwrap();
    let expected = fixture("pushy-call.jsonl")
        .into_iter()
        .find(|u| u.speaker == Speaker::Me && u.text.as_str().contains('?'))
        .map(|u| u.start);
    assert!(expected.is_some());
    assert_eq!(Figures::compute(&log, &rules).first_question, expected);
}

#[test]
fn the_checklist_follows_the_rules_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let rules = CompiledRules::builtin();
    let log = CallLog::read(&write_log(dir.path(), "good-call.jsonl", &rules)).unwrap();
    let f = Figures::compute(&log, &rules);
    let ids: Vec<&str> = f.practices.iter().map(|p| p.id.as_str()).collect();
    let in_force: Vec<&str> = rules
        .set
        .rules
        .iter()
        .filter(|r| r.kind == Kind::Practice)
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, in_force);
    let summary = log.summary().unwrap();
    for p in &f.practices {
        assert_eq!(summary.practices[&p.id].done, p.done);
        assert_eq!(summary.practices[&p.id].t, p.t);
    }
    assert_eq!(f.practices_done().1, in_force.len());
}

#[test]
fn thresholds_come_from_the_rules_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let builtin = CompiledRules::builtin();
    let path = write_log(dir.path(), "monologue-call.jsonl", &builtin);
    let log = CallLog::read(&path).unwrap();
    let f = Figures::compute(&log, &builtin);
    let share = builtin.set.rules.iter().find_map(|r| match r.detector {
        Detector::TalkRatio { max_share, .. } if r.enabled => Some(max_share),
        _ => None,
    });
    assert!(
        matches!(&f.talk_limit, Limit::Rule { rule, value, over: Some(_) }
        if rule == "talk-ratio" && Some(*value) == share)
    );
    let user = "[[rule]]\nid = \"monologue\"\nseconds = 90\n\
                [[rule]]\nid = \"talk-ratio\"\nenabled = false\n";
    let set = RuleSet::from_texts(&[(PathBuf::from("10-team.toml"), user.into())]).unwrap();
    let edited = CompiledRules::new(set).unwrap();
    let f = Figures::compute(&log, &edited);
    assert_eq!(
        f.monologue_limit,
        Limit::Rule {
            rule: "monologue".into(),
            value: 90.0,
            over: None
        }
    );
    assert_eq!(
        f.talk_limit,
        Limit::Off {
            rule: "talk-ratio".into()
        }
    );
    assert!(
        f.monologue_limit
            .exceeded_by(f.summary.longest_monologue_s + 90.0)
    );
}
