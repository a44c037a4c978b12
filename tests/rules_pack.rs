//! The default rule pack against paraphrases real reps and prospects say: each text rule must
//! fire on its positives, stay quiet on its negatives, and the good practices of coaching.md
//! must fire no flag at all. The pack runs as the daemon runs it: patterns, the sentence
//! encoder and the shipped heads.

use crate::common;

use std::sync::{Arc, LazyLock};

use warmcall::event::Speaker;
use warmcall::rules::CompiledRules;
use warmcall::rules::explain::explain;

static RULES: LazyLock<Arc<CompiledRules>> = LazyLock::new(common::semantic_rules);

/// The rules that fire (not practices) on `text` said by `speaker` at call time `at`.
fn fired(text: &str, speaker: Speaker, at: f64) -> Vec<String> {
    explain(&RULES, text, speaker, at)
        .into_iter()
        .filter(|e| e.fired && e.kind != warmcall::rules::spec::Kind::Practice)
        .map(|e| e.rule)
        .collect()
}

fn practices(text: &str, speaker: Speaker) -> Vec<String> {
    explain(&RULES, text, speaker, 100.0)
        .into_iter()
        .filter(|e| e.fired && e.kind == warmcall::rules::spec::Kind::Practice)
        .map(|e| e.rule)
        .collect()
}

fn assert_fires(rule: &str, speaker: Speaker, at: f64, cases: &[&str]) {
    assert!(cases.len() >= 15, "{rule}: at least 15 paraphrases");
    let misses: Vec<&str> = cases
        .iter()
        .copied()
        .filter(|c| !fired(c, speaker, at).iter().any(|r| r == rule))
        .collect();
    assert!(
        misses.is_empty(),
        "{rule} did not fire on:\n  {}",
        misses.join("\n  ")
    );
}

fn assert_quiet(rule: &str, speaker: Speaker, at: f64, cases: &[&str]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter(|c| fired(c, speaker, at).iter().any(|r| r == rule))
        .map(|c| c.to_string())
        .collect();
    assert!(
        wrong.is_empty(),
        "{rule} fired on:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn pitch_opening() {
    assert_fires(
        "pitch-opening",
        Speaker::Me,
        10.0,
        &[
            "Hi, this is Sam from Brightledger, we're the leading provider of invoice automation.",
            "So our platform helps finance teams close the books faster.",
            "We offer a full suite of payroll tools for mid-sized companies.",
            "I'm calling to tell you about our new analytics product.",
            "Let me tell you a little bit about us.",
            "I wanted to walk you through what we do.",
            "We've been in business for over twenty years.",
            "We're trusted by more than five hundred companies.",
            "We specialize in cloud migration for retailers.",
            "We help businesses like yours cut their energy bills.",
            "We just launched a brand new version of the app.",
            "Our solution is award winning and, uh, best in class.",
            "We are a fast growing startup in the logistics space.",
            "We work with three of the Fortune 500.",
            "I have been in this industry for fifteen years, so I know what works.",
            "We're an industry leading agency for B2B content.",
            "I'd like to share a bit about our company.",
            "We provide managed IT services across the region.",
        ],
    );
    // Outside the first minute the same words are not an opening pitch.
    assert!(fired("Our platform does that automatically.", Speaker::Me, 90.0).is_empty());
    assert_quiet(
        "pitch-opening",
        Speaker::Me,
        10.0,
        &[
            "I saw that you opened two plants in Ohio this year. How is staffing going?",
            "I noticed you're hiring a lot of engineers. What's driving that?",
            "I read your post about supply delays. A few of our clients saw the same. Is that on your radar?",
            "How are you handling month-end close at the moment?",
            "What made you take this call today?",
        ],
    );
}

#[test]
fn early_qualification() {
    assert_fires(
        "early-qualification",
        Speaker::Me,
        60.0,
        &[
            "What's your budget for this?",
            "Do you have a budget set aside?",
            "Have you allocated any budget yet?",
            "Roughly what budget range are we talking?",
            "How much are you looking to spend?",
            "How much could you invest in this?",
            "How much are you currently paying for your current tool?",
            "Who makes the final decision on this?",
            "Who signs off on purchases like this?",
            "Are you the decision maker here?",
            "Who else would be involved in the decision?",
            "When are you planning to make a decision?",
            "By when do you need to buy?",
            "What's your timeline for a decision?",
            "What does your procurement process look like?",
            "Do you have signing authority?",
            "Is there budget available for this?",
        ],
    );
    assert!(
        fired("What's your budget for this?", Speaker::Me, 400.0).is_empty(),
        "late in the call qualifying is fine"
    );
    assert_quiet(
        "early-qualification",
        Speaker::Me,
        60.0,
        &[
            "What are you working on this quarter?",
            "What have you tried so far, and why didn't it work?",
            "Tell me about the biggest headache in your week.",
        ],
    );
}

#[test]
fn chasing() {
    assert_fires(
        "chasing",
        Speaker::Me,
        30.0,
        &[
            "Hi, just following up on my email.",
            "I'm following up on the proposal I sent.",
            "Just checking in to see how things are.",
            "Wanted to touch base about last week.",
            "Just circling back on our conversation.",
            "Any update on your end?",
            "Any news on the contract?",
            "So how are we looking?",
            "Where are we at with this?",
            "Where do things stand?",
            "Did you get a chance to look at the quote?",
            "I wanted to see if you had a chance to review it.",
            "Did you see my email from Tuesday?",
            "Just pinging you about the demo.",
            "I wanted to make sure you got my voicemail.",
            "What's the status on the deal?",
            "Have you made a decision yet?",
            "Just wanted to check where things are.",
        ],
    );
    assert_quiet(
        "chasing",
        Speaker::Me,
        30.0,
        &[
            "I'm calling to find out where you really stand, and a no is totally fine.",
            "Honestly, I'm okay with a no. Is this still a priority for you?",
            "What would have to be true for this to be worth your time?",
        ],
    );
}

#[test]
fn assumptive_close() {
    assert_fires(
        "assumptive-close",
        Speaker::Me,
        600.0,
        &[
            "So when can we get started?",
            "When should we kick off?",
            "When would you like to start?",
            "I'll send over the contract this afternoon.",
            "Let me draw up the paperwork.",
            "I'll go ahead and send you the agreement.",
            "I'm going to email the order form tonight.",
            "Let's get you signed up today.",
            "We'll get your team onboarded next week.",
            "Welcome aboard!",
            "Once you sign, we'll schedule training.",
            "What's a good start date for you?",
            "Which plan will you go with?",
            "How many seats will you need?",
            "Should I book the onboarding for Monday?",
            "Let's get the paperwork signed.",
            "I'll set up your account right now.",
        ],
    );
    assert_quiet(
        "assumptive-close",
        Speaker::Me,
        600.0,
        &[
            "Where do you think we should go from here?",
            "What would you like to do next?",
            "Is this the right fit for you?",
        ],
    );
}

#[test]
fn urgency_pressure() {
    assert_fires(
        "urgency-pressure",
        Speaker::Me,
        300.0,
        &[
            "This price is only good until Friday.",
            "The discount expires at the end of the week.",
            "The offer ends tonight.",
            "You'd need to commit today to get this rate.",
            "I need an answer by tomorrow.",
            "We need a decision this week.",
            "Trust me, this is the right move.",
            "You'll regret it if you wait.",
            "You don't want to miss out on this.",
            "This is your last chance at this price.",
            "We only have three spots left.",
            "It's a limited time offer.",
            "Prices are going up next month.",
            "You should act now.",
            "It's an end of quarter deal.",
            "I can only hold this price until Monday.",
            "Sign today and I'll throw in training.",
        ],
    );
    assert_quiet(
        "urgency-pressure",
        Speaker::Me,
        300.0,
        &[
            "There's no rush at all; what timing works for you?",
            "Take your time, and tell me how you feel about it so far.",
            "Is there a date that matters on your side?",
        ],
    );
}

#[test]
fn objection() {
    assert_fires(
        "objection",
        Speaker::Them,
        40.0,
        &[
            "Sorry, we're not interested.",
            "I'm not really interested, thanks.",
            "We already have a supplier for that.",
            "We're currently working with an agency.",
            "We already have someone for this.",
            "We have no budget for this.",
            "There's no money for that this year.",
            "It's not in the budget.",
            "Just send me an email.",
            "Can you send me some information?",
            "Now's a bad time.",
            "Call me back next quarter.",
            "It's not a priority right now.",
            "We don't need it.",
            "Take me off your list.",
            "How did you get my number?",
            "That's way too expensive.",
            "We're happy with our current provider.",
            "Let me think about it.",
        ],
    );
    // The same words from the rep are not the prospect's objection.
    assert_quiet(
        "objection",
        Speaker::Me,
        40.0,
        &["We're not interested in pushing you."],
    );
    assert_quiet(
        "objection",
        Speaker::Them,
        40.0,
        &[
            "That sounds interesting, tell me more.",
            "We've struggled with invoicing for a year.",
            "Thursday at two works for me.",
        ],
    );
}

#[test]
fn good_practice_fires_nothing() {
    let advice = [
        "I'm okay with a no — where do you think we should go from here?",
        "I saw that you opened two plants in Ohio. How is that going for your team?",
        "I saw that you opened two plants. One of our customers struggled with quality after a move like that — is that something you're seeing?",
        "What are you working on right now?",
        "What have you tried so far, and why hasn't it worked?",
        "Is there anything else on your mind?",
        "Is there anything more I could do to make you comfortable?",
        "Where do you think things should go next?",
        "A no is totally fine, I'd just like to know where you really stand.",
        "What could I have done better?",
        "Can we agree on Thursday at 2 to get back to each other, whatever you decide?",
        "It sounds like that's been frustrating. Tell me more.",
        "How are you handling that today?",
        "Why is that important to you right now?",
        "What would you like to do next?",
    ];
    for a in advice {
        assert!(
            fired(a, Speaker::Me, 20.0).is_empty(),
            "{a:?} fired {:?}",
            fired(a, Speaker::Me, 20.0)
        );
        assert!(fired(a, Speaker::Me, 900.0).is_empty(), "{a:?} fired late");
    }
}

#[test]
fn practices_are_recognised() {
    let cases: &[(&str, &str)] = &[
        (
            "asked-anything-else",
            "Is there anything else on your mind?",
        ),
        (
            "asked-anything-else",
            "Anything else you'd like me to know?",
        ),
        ("no-is-fine", "Honestly, a no is fine."),
        ("no-is-fine", "I'm totally okay with a no."),
        ("no-is-fine", "It's fine to say no."),
        (
            "asked-where-next",
            "Where do you think we should go from here?",
        ),
        ("asked-where-next", "How would you like to proceed?"),
        ("asked-feedback", "Could I get some feedback on how I did?"),
        ("asked-feedback", "What could we have done better?"),
        ("next-step-scheduled", "Let's talk again Thursday at two."),
        ("next-step-scheduled", "How about tomorrow at 10 am?"),
        ("next-step-scheduled", "Does Friday at three thirty work?"),
    ];
    for (rule, text) in cases {
        assert!(
            practices(text, Speaker::Me).iter().any(|r| r == rule),
            "{rule} not recognised in {text:?}"
        );
    }
}
