//! The rule engine on synthetic timing and text: metric rules, cooldowns, user rules, the
//! end-of-call summary, and robustness on arbitrary input.

use std::path::PathBuf;

use proptest::prelude::*;
use warmcall::event::{Event, Flag, Speaker, Utterance};
use warmcall::rules::replay::replay;
use warmcall::rules::{CompiledRules, Engine, Input, RuleSet};

fn speech(engine: &mut Engine, speaker: Speaker, start: f64, end: f64, ongoing: bool) -> Vec<Flag> {
    let mut out = Vec::new();
    engine.push(
        Input::Speech {
            speaker,
            start,
            end,
            ongoing,
        },
        &mut out,
    );
    out
}

fn say(engine: &mut Engine, speaker: Speaker, start: f64, end: f64, text: &str) -> Vec<Flag> {
    let mut out = speech(engine, speaker, start, end, false);
    let u = Utterance {
        speaker,
        start,
        end,
        text: text.into(),
    };
    engine.push(
        Input::Transcript {
            utterance: &u,
            at: end,
        },
        &mut out,
    );
    out
}

/// Feed "still speaking" every 0.1 s from `start` to `end`; return the first flag of `rule`.
fn talk_until_flag(
    engine: &mut Engine,
    speaker: Speaker,
    start: f64,
    end: f64,
    rule: &str,
) -> Option<Flag> {
    let mut t = start;
    while t <= end {
        if let Some(f) = speech(engine, speaker, start, t, true)
            .into_iter()
            .find(|f| f.rule == rule)
        {
            return Some(f);
        }
        t += 0.1;
    }
    None
}

#[test]
fn monologue_fires_from_timing_alone_right_at_the_threshold() {
    let mut e = Engine::new(CompiledRules::builtin());
    let f = talk_until_flag(&mut e, Speaker::Me, 5.0, 100.0, "monologue").expect("fires");
    // 60 s after the turn began, at the resolution of the speech signal.
    assert!((f.t - 65.0).abs() <= 0.15, "fired at {}", f.t);
    assert!(f.notified);
    // Once per turn.
    assert!(talk_until_flag(&mut e, Speaker::Me, 5.0, 90.0, "monologue").is_none());
}

#[test]
fn monologue_resets_when_the_prospect_speaks() {
    let mut e = Engine::new(CompiledRules::builtin());
    speech(&mut e, Speaker::Me, 0.0, 50.0, false);
    speech(&mut e, Speaker::Them, 50.5, 52.0, false);
    assert!(
        speech(&mut e, Speaker::Me, 52.5, 100.0, false)
            .iter()
            .all(|f| f.rule != "monologue")
    );
    // Short pauses do not end the rep's turn.
    let mut e = Engine::new(CompiledRules::builtin());
    speech(&mut e, Speaker::Me, 0.0, 40.0, false);
    let flags = speech(&mut e, Speaker::Me, 41.0, 61.0, false);
    assert!(flags.iter().any(|f| f.rule == "monologue"), "{flags:?}");
}

#[test]
fn talk_ratio_needs_two_minutes_of_speech_then_fires_once() {
    let mut e = Engine::new(CompiledRules::builtin());
    // 100 s of the rep alone: not enough speech yet.
    assert!(talk_until_flag(&mut e, Speaker::Me, 0.0, 100.0, "talk-ratio").is_none());
    speech(&mut e, Speaker::Me, 0.0, 100.0, false);
    speech(&mut e, Speaker::Them, 101.0, 110.0, false);
    // The rep keeps going; at 120 s of total speech the share is far over 65%.
    let f = talk_until_flag(&mut e, Speaker::Me, 111.0, 200.0, "talk-ratio").expect("fires");
    assert!((f.t - 122.0).abs() <= 0.15, "fired at {}", f.t);
    assert!(f.evidence.as_str().contains('%'));
    assert!(talk_until_flag(&mut e, Speaker::Me, 111.0, 150.0, "talk-ratio").is_none());
}

#[test]
fn balanced_talk_never_fires_timing_rules() {
    let mut e = Engine::new(CompiledRules::builtin());
    let mut t = 0.0;
    let mut flags = Vec::new();
    while t < 600.0 {
        flags.extend(speech(&mut e, Speaker::Me, t, t + 10.0, false));
        flags.extend(speech(&mut e, Speaker::Them, t + 10.5, t + 20.0, false));
        t += 20.5;
    }
    assert!(flags.is_empty(), "{flags:?}");
    let s = e.summary();
    assert!(
        (s.talk_share_me - 0.513).abs() < 0.01,
        "{}",
        s.talk_share_me
    );
    assert_eq!(s.longest_monologue_s, 10.0);
}

#[test]
fn self_focus_weighs_i_and_we_against_you() {
    let mut e = Engine::new(CompiledRules::builtin());
    let quiet = say(
        &mut e,
        Speaker::Me,
        100.0,
        104.0,
        "One of our customers saw the same thing. How are you handling it?",
    );
    assert!(quiet.is_empty(), "{quiet:?}");
    let flags = say(
        &mut e,
        Speaker::Me,
        105.0,
        120.0,
        "We built this because we saw that our clients needed it, and I think we really nailed it; our team and I are proud of what we have.",
    );
    let f = flags
        .iter()
        .find(|f| f.rule == "self-focus")
        .expect("self-focus fires");
    assert!(
        f.evidence.as_str().contains("you/your 1"),
        "{}",
        f.evidence.as_str()
    );
}

#[test]
fn cooldown_decides_notification_not_detection() {
    let mut e = Engine::new(CompiledRules::builtin());
    let a = say(&mut e, Speaker::Me, 100.0, 102.0, "Just checking in.");
    let b = say(&mut e, Speaker::Me, 110.0, 112.0, "Any update?");
    let c = say(&mut e, Speaker::Me, 140.0, 142.0, "Just following up.");
    assert_eq!((a.len(), b.len(), c.len()), (1, 1, 1));
    assert!(a[0].notified && !b[0].notified && c[0].notified);
    // Suggestions rotate.
    assert_ne!(a[0].suggestion, b[0].suggestion);
    assert_eq!(e.summary().flags["chasing"], 3);
}

#[test]
fn summary_has_practices_questions_and_flags() {
    let utts = vec![
        u(Speaker::Me, 0.0, 3.0, "Hi, it's Sam. Is now an okay time?"),
        u(Speaker::Them, 3.5, 5.0, "Sure, what's up?"),
        u(
            Speaker::Me,
            5.5,
            9.0,
            "Is there anything else on your mind?",
        ),
        u(
            Speaker::Me,
            9.5,
            12.0,
            "And honestly, a no is totally fine.",
        ),
        u(Speaker::Them, 12.5, 14.0, "Thursday at two works."),
    ];
    let events = replay(CompiledRules::builtin(), &utts);
    let Some(Event::CallEnd { t, summary }) = events.last() else {
        panic!("no call_end")
    };
    assert_eq!(*t, 14.0);
    assert_eq!((summary.questions_me, summary.questions_them), (2, 1));
    let p = &summary.practices;
    assert_eq!(p["asked-anything-else"].t, Some(9.0));
    assert!(p["no-is-fine"].done);
    assert_eq!(p["next-step-scheduled"].t, Some(14.0));
    assert!(!p["asked-feedback"].done && p["asked-feedback"].t.is_none());
    assert!(!p["asked-where-next"].done);
    assert!(summary.flags.is_empty(), "{:?}", summary.flags);
}

fn u(speaker: Speaker, start: f64, end: f64, text: &str) -> Utterance {
    Utterance {
        speaker,
        start,
        end,
        text: text.into(),
    }
}

fn user_rules(files: &[(&str, &str)]) -> Result<RuleSet, warmcall::rules::RuleError> {
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(n, t)| (PathBuf::from(n), t.to_string()))
        .collect();
    RuleSet::from_texts(&texts)
}

#[test]
fn user_rules_replace_disable_and_add() {
    let set = user_rules(&[(
        "mine.toml",
        r#"
[[rule]]
id = "chasing"
enabled = false

[[rule]]
id = "monologue"
seconds = 90

[[rule]]
id = "competitor-mention"
speaker = "them"
patterns = ["(acme|globex) [corp]"]
suggestions = ["Ask what they like about them."]
"#,
    )])
    .unwrap();
    assert!(!set.get("chasing").unwrap().enabled);
    let mono = set.get("monologue").unwrap();
    assert_eq!(
        mono.detector,
        warmcall::rules::spec::Detector::Monologue {
            seconds: 90.0,
            max_pause: 2.5
        }
    );
    assert_eq!(
        mono.title, "Long monologue",
        "unset fields keep the built-in values"
    );
    let rules = CompiledRules::new(set).unwrap();
    let mut e = Engine::new(rules);
    assert!(say(&mut e, Speaker::Me, 1.0, 2.0, "Just checking in").is_empty());
    let f = say(&mut e, Speaker::Them, 3.0, 4.0, "We use Globex Corp today");
    assert_eq!(f[0].rule, "competitor-mention");
    assert_eq!(f[0].evidence.as_str(), "globex corp");
}

#[test]
fn bad_user_files_name_file_line_and_column() {
    let e = user_rules(&[
        (
            "a.toml",
            "[[rule]]\nid = \"x\"\nsuggestions = [\"s\"]\npatterns = [\"ok\"]\n",
        ),
        ("b.toml", "\n[[rule]]\nid = \"x\"\n"),
    ])
    .unwrap_err();
    assert_eq!((e.source.to_string().as_str(), e.line), ("b.toml", 2));
    assert!(e.message.contains("duplicate rule id \"x\""), "{e}");
    assert!(e.message.contains("a.toml:1"), "{e}");

    let e = user_rules(&[("c.toml", "[[rule]]\nid = \"chasing\"\ncooldown = -1\n")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "c.toml:3:12: `cooldown` must be from 0 to 86400, not -1"
    );

    let e = user_rules(&[(
        "d.toml",
        "[[rule]]\nid = \"y\"\nsuggestions = [\"s\"]\npatterns = [\"[maybe]\"]\n",
    )])
    .unwrap_err();
    assert_eq!((e.line, e.column), (4, 13));

    let e = user_rules(&[("e.toml", "[[rule]\n")]).unwrap_err();
    assert_eq!(e.line, 1);
}

#[test]
fn reload_swaps_rules_and_keeps_call_state() {
    let mut e = Engine::new(CompiledRules::builtin());
    let a = say(&mut e, Speaker::Me, 10.0, 11.0, "Just checking in");
    assert!(a[0].notified);
    let set = user_rules(&[("f.toml", "[[rule]]\nid = \"chasing\"\ncooldown = 100\n")]).unwrap();
    e.reload(CompiledRules::new(set).unwrap());
    let b = say(&mut e, Speaker::Me, 50.0, 51.0, "Just checking in");
    assert!(
        !b[0].notified,
        "cooldown from before the reload still applies, now 100 s"
    );
    assert_eq!(e.summary().flags["chasing"], 2);
}

#[test]
fn the_builtin_pack_has_every_rule_id_of_coaching_md() {
    let set = RuleSet::builtin();
    for id in [
        "pitch-opening",
        "early-qualification",
        "chasing",
        "assumptive-close",
        "urgency-pressure",
        "objection",
        "self-focus",
        "monologue",
        "talk-ratio",
    ] {
        let r = set.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(r.enabled && !r.suggestions.is_empty(), "{id}");
    }
    let pitch = set.get("pitch-opening").unwrap();
    assert_eq!(pitch.until, Some(60.0));
    assert_eq!(set.get("early-qualification").unwrap().until, Some(300.0));
}

fn arb_utterances() -> impl Strategy<Value = Vec<Utterance>> {
    prop::collection::vec(
        (any::<bool>(), 0.0f64..600.0, 0.0f64..20.0, "\\PC{0,80}"),
        0..25,
    )
    .prop_map(|v| {
        let mut v: Vec<Utterance> = v
            .into_iter()
            .map(|(me, start, len, text)| {
                u(
                    if me { Speaker::Me } else { Speaker::Them },
                    start,
                    start + len,
                    &text,
                )
            })
            .collect();
        v.sort_by(|a, b| a.start.total_cmp(&b.start));
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_panics_and_is_deterministic(utts in arb_utterances()) {
        let a = replay(CompiledRules::builtin(), &utts);
        let b = replay(CompiledRules::builtin(), &utts);
        prop_assert_eq!(&a, &b);
        let ends_with_call_end = matches!(a.last(), Some(Event::CallEnd { .. }));
        prop_assert!(ends_with_call_end);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}", me in any::<bool>(), at in 0.0f64..1000.0) {
        let rules = CompiledRules::builtin();
        let speaker = if me { Speaker::Me } else { Speaker::Them };
        let _ = warmcall::rules::explain::explain(&rules, &text, speaker, at);
        let mut e = Engine::new(rules);
        say(&mut e, speaker, at, at + 1.0, &text);
    }
}

#[test]
fn the_readme_rule_example_is_valid() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("# rules.d/10-team.toml")
        .expect("example in README");
    let body = &readme[start..];
    let example = &body[..body.find("```").unwrap()];
    let set = user_rules(&[("10-team.toml", example)]).unwrap();
    assert_eq!(set.get("chasing").unwrap().cooldown, 120.0);
    assert!(!set.get("talk-ratio").unwrap().enabled);
    assert!(set.get("competitor").is_some() && set.get("long-monologue").is_some());
    let mut e = Engine::new(CompiledRules::new(set).unwrap());
    let f = say(
        &mut e,
        Speaker::Them,
        5.0,
        6.0,
        "We went with Acme instead.",
    );
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule, "competitor");
    assert!(say(&mut e, Speaker::Them, 7.0, 8.0, "We used to use Acme Corp.").is_empty());
}

fn partial(engine: &mut Engine, speaker: Speaker, start: f64, end: f64, text: &str) -> Vec<Flag> {
    let u = Utterance {
        speaker,
        start,
        end,
        text: text.into(),
    };
    let mut out = Vec::new();
    engine.push(
        Input::Partial {
            utterance: &u,
            at: end + 0.2,
        },
        &mut out,
    );
    out
}

#[test]
fn a_partial_raises_a_phrase_rule_once_and_its_final_does_not_repeat_it() {
    let mut e = Engine::new(CompiledRules::builtin());
    // Nothing yet in the first second; the cue in the second partial raises it at once.
    assert!(partial(&mut e, Speaker::Me, 10.0, 11.0, "Hi Dana,").is_empty());
    let early = partial(
        &mut e,
        Speaker::Me,
        10.0,
        12.0,
        "Hi Dana, just following up on my email?",
    );
    assert_eq!(rule_ids(&early), ["chasing"]);
    assert!((early[0].t - 12.2).abs() < 1e-9);
    // A later partial and the final of the same phrase carry it again: no second flag.
    let again = partial(
        &mut e,
        Speaker::Me,
        10.0,
        13.0,
        "Hi Dana, just following up on my email from last week",
    );
    assert!(again.is_empty(), "{again:?}");
    let fin = say(
        &mut e,
        Speaker::Me,
        10.0,
        14.0,
        "Hi Dana, just following up on my email from last week.",
    );
    assert!(fin.iter().all(|f| f.rule != "chasing"), "{fin:?}");
    // Partials count no questions; the final does.
    assert_eq!(e.summary().questions_me, 0);
    assert_eq!(e.summary().flags.get("chasing"), Some(&1));
    // The next phrase is a phrase of its own.
    let next = say(
        &mut e,
        Speaker::Me,
        200.0,
        202.0,
        "Just following up again.",
    );
    assert_eq!(rule_ids(&next), ["chasing"]);
}

#[test]
fn a_partial_raises_no_rule_of_timing_or_words_counted_over_the_call() {
    let mut e = Engine::new(CompiledRules::builtin());
    // Self-focus counts I/we/our words over a window: partials would count them twice.
    let me_words = "We are the leading platform and our team and our product and we built our \
                    tool and we our we our we our we";
    for k in 1..=5 {
        let flags = partial(&mut e, Speaker::Me, 0.0, k as f64, me_words);
        assert!(flags.iter().all(|f| f.rule != "self-focus"), "{flags:?}");
    }
    // The same words as a final are counted.
    let fin = say(&mut e, Speaker::Me, 0.0, 6.0, me_words);
    assert!(fin.iter().any(|f| f.rule == "self-focus"), "{fin:?}");
}

fn rule_ids(flags: &[Flag]) -> Vec<&str> {
    flags.iter().map(|f| f.rule.as_str()).collect()
}
