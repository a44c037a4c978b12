//! Semantic rules as a user writes and tries them: a team's own rule given as example lines,
//! errors in the new fields with their position, `analyze --explain`, and warmcall without
//! the sentence encoder (patterns alone, said once).

use crate::common;

use predicates::prelude::*;

const DISCOUNT: &str = r#"[[rule]]
id = "discount-offered"
title = "Discount offered"
examples = [
  "I can knock ten percent off if that helps",
  "let me see what discount I can get you",
  "I could do fifteen percent off the list price",
  "we can take a bit off the price for you",
]
counter_examples = ["there's no discount, the price is the price"]
suggestions = ["Hold the price: ask what value they need to see."]
"#;

fn config_with(rules: &str) -> tempfile::TempDir {
    let cfg = tempfile::tempdir().unwrap();
    let dir = cfg.path().join("warmcall/rules.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("10-team.toml"), rules).unwrap();
    cfg
}

fn check(cfg: &tempfile::TempDir, text: &str) -> String {
    let out = common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["rules", "check", text])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_rule_written_as_examples_fires_on_a_paraphrase_and_not_on_its_counter_example() {
    let cfg = config_with(DISCOUNT);
    let out = check(&cfg, "I can probably knock a bit off the price for you");
    assert!(out.contains("FIRES discount-offered"), "{out}");
    assert!(out.contains("nearest example"), "{out}");
    let out = check(&cfg, "There's no discount here, the price is the price.");
    assert!(!out.contains("FIRES discount-offered"), "{out}");
    let out = check(&cfg, "How is the rollout going in the Leeds office?");
    assert!(!out.contains("FIRES discount-offered"), "{out}");
    common::warmcall()
        .env("XDG_CONFIG_HOME", cfg.path())
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("semantic detection: on"))
        .stdout(predicate::str::is_match(r"discount-offered\s+phrase.*examples").unwrap());
}

#[test]
fn errors_in_the_semantic_fields_have_their_position() {
    let cases = [
        (
            "[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\nexamples = [\"a line\"]\nthreshold = 2.0\n",
            "10-team.toml:5:13: `threshold` is a score between 0 and 1",
        ),
        (
            "[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\nexamples = [\"  \"]\n",
            "10-team.toml:4:13: each of `examples` must be a line of words",
        ),
        (
            "[[rule]]\nid = \"x\"\nkind = \"monologue\"\nexamples = [\"a\"]\n",
            "`examples` does not apply to a monologue rule",
        ),
    ];
    for (rules, error) in cases {
        let cfg = config_with(rules);
        common::warmcall()
            .env("XDG_CONFIG_HOME", cfg.path())
            .args(["rules", "list"])
            .assert()
            .code(3)
            .stderr(predicate::str::contains(error));
    }
}

#[test]
fn analyze_explain_says_why_on_stderr() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pushy-call.jsonl");
    common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args(["analyze", "--explain"])
        .arg(path)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"type\":\"flag\""))
        .stderr(predicate::str::contains("FIRES assumptive-close"))
        .stderr(predicate::str::contains("semantic"));
}

#[test]
fn without_the_encoder_patterns_carry_on_and_it_is_said_once() {
    let data = tempfile::tempdir().unwrap();
    let out = common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", data.path())
        .args(["rules", "check", "Just following up on my email"])
        .assert()
        .success()
        .stdout(predicate::str::contains("FIRES chasing"))
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("patterns alone").count(), 1, "{err}");
    assert!(err.contains("all-MiniLM-L6-v2"), "names the model: {err}");
    common::warmcall()
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", data.path())
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("semantic detection: off"))
        .stdout(predicate::str::is_match(r"chasing\s+phrase.*\spatterns\s").unwrap());
}
