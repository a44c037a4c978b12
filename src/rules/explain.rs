//! Why each rule did or did not fire on one utterance: `warmcall rules check` and
//! `warmcall analyze --explain`. For a phrase rule: the pattern hit, the semantic score and
//! what it had to reach, and the nearest example and counter-example of the deciding clause.

use super::decide::{Decision, decide};
use super::engine::{CompiledRules, in_window};
use super::metrics::FocusWindow;

use super::spec::{Detector, Kind};
use crate::event::Speaker;

/// What one rule made of the utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub rule: String,
    pub kind: Kind,
    pub fired: bool,
    /// A readable account: what matched, the score, the nearest lines, what stopped it.
    pub detail: String,
    /// The semantic score and the threshold it had to reach, when the rule has one.
    pub score: Option<(f32, f32)>,
    /// Nearest example and counter-example of the deciding clause, with their similarity.
    pub nearest_example: Option<(String, f32)>,
    pub nearest_counter_example: Option<(String, f32)>,
}

/// Explain what the rules make of one utterance said by `speaker` at call time `at`.
pub fn explain(rules: &CompiledRules, text: &str, speaker: Speaker, at: f64) -> Vec<Explanation> {
    let words = crate::text::words(text);
    let norm = words.join(" ");
    let mut hits = Vec::new();
    rules.matcher.scan_utterance(text, &norm, &mut hits);
    let scored = rules.score(text, speaker).unwrap_or_default();
    let mut out = Vec::new();
    for (i, rule) in rules.set.rules.iter().enumerate() {
        if !rule.enabled || !matches!(rule.kind, Kind::Phrase | Kind::Practice) {
            continue;
        }
        let hit = hits.iter().find(|h| h.rule == i);
        let verdict = scored.verdict(i);
        if hit.is_none_or(|h| h.pattern.is_empty()) && verdict.is_none() {
            continue;
        }
        let decision = decide(hit, verdict, &scored.clauses);
        let mut parts = Vec::new();
        match hit.filter(|h| !h.pattern.is_empty()) {
            Some(h) => parts.push(format!("pattern {:?} matched {:?}", h.pattern, h.evidence)),
            None => parts.push("no pattern matched".into()),
        }
        let mut e = Explanation {
            rule: rule.id.clone(),
            kind: rule.kind,
            fired: false,
            detail: String::new(),
            score: None,
            nearest_example: None,
            nearest_counter_example: None,
        };
        if let (Some(v), Some(detector)) = (verdict, rules.semantic.as_ref()) {
            let clause = scored.clauses.get(v.clause).cloned().unwrap_or_default();
            parts.push(format!(
                "semantic {:.2} (fires at {:.2}) on {clause:?}",
                v.score, v.threshold
            ));
            e.score = Some((v.score, v.threshold));
            if let Ok(n) = detector.nearest(i, &clause) {
                if let Some((t, s)) = &n.example {
                    parts.push(format!("nearest example {t:?} ({s:.2})"));
                }
                if let Some((t, s)) = &n.counter_example {
                    parts.push(format!("nearest counter-example {t:?} ({s:.2})"));
                }
                e.nearest_example = n.example;
                e.nearest_counter_example = n.counter_example;
            }
        }
        let stopped = match &decision {
            Decision::Unless { pattern } => {
                Some(format!("cancelled by unless pattern {pattern:?}"))
            }
            Decision::Vetoed { .. } => {
                Some("a counter-example wins: the words are used in another sense".into())
            }
            Decision::Negated { evidence, .. } => {
                Some(format!("{evidence:?} is said inside a negation"))
            }
            Decision::Quiet => Some("the score is below the threshold".into()),
            _ if !rule.speaker.accepts(speaker) => Some(format!(
                "listens to {}, not {speaker}",
                rule.speaker.as_str()
            )),
            _ if !in_window(rule, at) => {
                let until = rule
                    .until
                    .map_or("end of call".into(), |u| format!("{u} s"));
                Some(format!("only from {} s to {until}", rule.from))
            }
            _ => None,
        };
        e.fired = stopped.is_none();
        e.detail = parts.join("; ");
        if let Some(why) = stopped {
            e.detail = format!("{}, but {why}", e.detail);
        }
        out.push(e);
    }
    out.extend(self_focus(rules, &words, speaker));
    out
}

fn self_focus(rules: &CompiledRules, words: &[String], speaker: Speaker) -> Vec<Explanation> {
    let mut out = Vec::new();
    for rule in rules.set.rules.iter().filter(|r| r.enabled) {
        if let Detector::SelfFocus {
            min_self_words,
            min_self_share,
            window_words,
        } = rule.detector
            && rule.speaker.accepts(speaker)
        {
            let mut w = FocusWindow::default();
            w.push(words.iter().map(String::as_str), window_words);
            let (me, you, _) = w.counts();
            let share = me as f64 / (me + you).max(1) as f64;
            if me > 0 {
                out.push(Explanation {
                    rule: rule.id.clone(),
                    kind: rule.kind,
                    fired: me >= min_self_words && share >= min_self_share,
                    detail: format!(
                        "I/we/our {me}, you/your {you} (fires at {min_self_words}+ with {:.0}%+ I/we)",
                        min_self_share * 100.0
                    ),
                    score: None,
                    nearest_example: None,
                    nearest_counter_example: None,
                });
            }
        }
    }
    out
}
