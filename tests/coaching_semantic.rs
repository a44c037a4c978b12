//! The semantic rule stage on lines nobody wrote for it: the held-out test split of the
//! coaching corpus (a hand that saw neither the pack nor its training lines), and the lines
//! reported in the issue that asked for semantic rules. The default pack runs with the real
//! sentence encoder and the shipped heads, through the engine, as the daemon runs it.

use crate::common;

use std::path::Path;
use std::sync::{Arc, LazyLock};

use warmcall::event::Speaker;
use warmcall::rules::CompiledRules;
use warmcall::rules::semantic::corpus::{Corpus, Line};
use warmcall::rules::semantic::eval;

/// The floor each rule's precision and recall on the test split must keep. The target
/// (precision 0.92, recall 0.88) is not reached for every rule (README, "Semantic detection":
/// precision 0.831 to 0.980, recall 0.873 to 1.00 when the heads were last trained); these
/// floors sit a line or two under what is reached, so that a regression fails, and are not
/// the target. The brush-off rule (`objection`) has a floor of its own: since the sixth and
/// seventh rounds of training lines its recall reaches the target and its precision is the
/// lowest (0.831, 49 of 59 flags right).
const PRECISION_FLOOR: f64 = 0.90;
const RECALL_FLOOR: f64 = 0.84;
const OBJECTION_PRECISION_FLOOR: f64 = 0.80;

fn precision_floor(id: &str) -> f64 {
    if id == "objection" {
        OBJECTION_PRECISION_FLOOR
    } else {
        PRECISION_FLOOR
    }
}

static RULES: LazyLock<Arc<CompiledRules>> = LazyLock::new(common::semantic_rules);

fn line(speaker: Speaker, text: &str) -> Line {
    Line {
        speaker,
        text: text.into(),
        label: "none".into(),
    }
}

#[test]
fn test_split_precision_and_recall_per_rule() {
    let corpus = Corpus::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data/coaching"))
        .expect("the corpus reads");
    let ids = eval::rule_ids(&corpus.test);
    assert_eq!(ids.len(), 6, "{ids:?}");
    let lines: Vec<&Line> = corpus.test.iter().collect();
    let scores = eval::score(&RULES, &lines, &ids);
    let mut report = Vec::new();
    for (id, c) in &scores.rules {
        let (p, r) = (c.precision(), c.recall());
        report.push(format!("{id}: precision {p:.3} recall {r:.3} ({c:?})"));
        assert!(c.tp + c.fn_ >= 50, "{id}: too few test lines");
    }
    let failing: Vec<&String> = report
        .iter()
        .zip(&scores.rules)
        .filter(|(_, (id, c))| c.precision() < precision_floor(id) || c.recall() < RECALL_FLOOR)
        .map(|(s, _)| s)
        .collect();
    assert!(
        failing.is_empty(),
        "below precision {PRECISION_FLOOR} ({OBJECTION_PRECISION_FLOOR} for objection) / recall {RECALL_FLOOR} on the test split:\n{}\nall:\n{}",
        failing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        report.join("\n")
    );
}

/// Lines a new user tried with `warmcall rules check`: each must fire its rule.
#[test]
fn reported_misses_now_fire() {
    let cases: &[(&str, Speaker, &str)] = &[
        (
            "early-qualification",
            Speaker::Me,
            "Who controls the spending on your side?",
        ),
        (
            "early-qualification",
            Speaker::Me,
            "Roughly what are you able to put toward this?",
        ),
        (
            "early-qualification",
            Speaker::Me,
            "Who would sign the PO on this?",
        ),
        (
            "early-qualification",
            Speaker::Me,
            "Where do you guys stand on spend for something like this?",
        ),
        (
            "urgency-pressure",
            Speaker::Me,
            "Prices go up on the first of the month, so now's the time.",
        ),
        (
            "urgency-pressure",
            Speaker::Me,
            "This pricing is for this week only.",
        ),
        (
            "urgency-pressure",
            Speaker::Me,
            "Honestly you'd be crazy to pass on this.",
        ),
        (
            "assumptive-close",
            Speaker::Me,
            "Once we get the onboarding call on the calendar you'll see the difference.",
        ),
        (
            "chasing",
            Speaker::Me,
            "I'll give it a few days and then reach out again to see if you've decided.",
        ),
        (
            "pitch-opening",
            Speaker::Me,
            "So a little about us, we're a team of forty engineers out of Austin.",
        ),
        (
            "pitch-opening",
            Speaker::Me,
            "We've helped over two hundred firms like yours cut costs.",
        ),
        (
            "objection",
            Speaker::Them,
            "Look, we've got it covered internally.",
        ),
        (
            "objection",
            Speaker::Them,
            "Our current provider does the job just fine.",
        ),
        (
            "objection",
            Speaker::Them,
            "I don't really have time for this.",
        ),
    ];
    let misses: Vec<String> = cases
        .iter()
        .filter(|(rule, speaker, text)| {
            !eval::fired(&RULES, &line(*speaker, text))
                .iter()
                .any(|r| r == rule)
        })
        .map(|(rule, _, text)| format!("{rule}: {text}"))
        .collect();
    assert!(misses.is_empty(), "did not fire:\n{}", misses.join("\n"));
}

/// Lines that follow the advice (or a prospect eager to buy), and the negations the issue
/// reported (a pattern matched inside the denial; `rules::negation`): nothing may fire.
#[test]
fn reported_false_alarms_stay_quiet() {
    let cases: &[(Speaker, &str)] = &[
        (
            Speaker::Me,
            "I'd never ask you to just trust me, look at the numbers yourself.",
        ),
        (
            Speaker::Me,
            "You won't miss out on anything if you wait until spring.",
        ),
        (
            Speaker::Me,
            "There's no limited time offer here, the price is the price.",
        ),
        (
            Speaker::Me,
            "I'm not just following up for the sake of it, has anything changed on your side?",
        ),
        (
            Speaker::Them,
            "Can you send me an invoice? We want to start.",
        ),
        (
            Speaker::Them,
            "Not interested in bells and whistles, just the basics please.",
        ),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(speaker, text)| {
            let got = eval::fired(&RULES, &line(*speaker, text));
            (!got.is_empty()).then(|| format!("{text} -> {got:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "fired:\n{}", wrong.join("\n"));
}

/// On a partial (the phrase so far, while the rep is still talking), a rule the semantic
/// detector alone fires needs a score halfway from its threshold to 1; the final of the same
/// words fires at the plain threshold. A team's rule written as examples, its threshold set
/// just under the line's own score, puts the line between the two bars whatever the heads
/// learn.
#[test]
fn a_partial_needs_a_surer_score_than_a_final() {
    use std::path::PathBuf;
    use warmcall::event::Utterance;
    use warmcall::rules::{Engine, Input, RuleSet};
    let text = "So we could offer you ten percent off";
    let rules = |threshold: f32| {
        let toml = format!(
            "[[rule]]\nid = \"discount-offered\"\n\
             suggestions = [\"Hold the price; ask what value they need to see.\"]\n\
             examples = [\"I can knock a bit off the price for you\", \
             \"we could do a discount if you sign\"]\nthreshold = {threshold}\n"
        );
        let set = RuleSet::from_texts(&[(PathBuf::from("10-team.toml"), toml)]).unwrap();
        CompiledRules::with_encoder(set, Some(common::encoder())).unwrap()
    };
    let probe = rules(0.01);
    let i = probe
        .set
        .rules
        .iter()
        .position(|r| r.id == "discount-offered")
        .unwrap();
    let score_on = |c: &CompiledRules| {
        c.score(text, Speaker::Me)
            .unwrap()
            .verdict(i)
            .unwrap()
            .score
    };
    let score = score_on(&probe);
    assert!(
        score > 0.3 && score < 0.95,
        "similarity {score}: pick another line"
    );
    let threshold = score - 0.02;
    let compiled = rules(threshold);
    let v_score = score_on(&compiled);
    assert!(v_score >= threshold && v_score < threshold + (1.0 - threshold) / 2.0);
    let u = Utterance {
        speaker: Speaker::Me,
        start: 10.0,
        end: 12.0,
        text: text.into(),
    };
    let mut e = Engine::new(compiled);
    let mut out = Vec::new();
    e.push(
        Input::Partial {
            utterance: &u,
            at: 12.2,
        },
        &mut out,
    );
    assert!(out.iter().all(|f| f.rule != "discount-offered"), "{out:?}");
    e.push(
        Input::Transcript {
            utterance: &u,
            at: 12.5,
        },
        &mut out,
    );
    assert!(out.iter().any(|f| f.rule == "discount-offered"), "{out:?}");
}
