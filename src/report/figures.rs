//! The numbers a coach looks at for one call, each beside the threshold the rules in force use
//! for it: talk share (talk-ratio), longest monologue (monologue), questions, time to the
//! first question (the opening pitch-opening watches), flags by rule, the practices checklist,
//! and audio lost.
//!
//! Talk, monologue, questions and practices come from the call's own `call_end` summary. A log
//! without one (the daemon stopped mid-call) gets them recomputed by the rule engine from the
//! log's speech and transcript lines, with the rules in force.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::log::CallLog;
use crate::event::{Event, Speaker, Summary, Utterance};
use crate::rules::engine::questions_in;
use crate::rules::spec::{Detector, Kind, RuleDef};
use crate::rules::{CompiledRules, Engine, Input};

/// The threshold a rule pack uses for a figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// An enabled rule and its value (seconds, or a share for talk-ratio).
    Rule {
        rule: String,
        value: f64,
        /// talk-ratio: the window the share is measured over, in seconds.
        over: Option<f64>,
    },
    /// The rule exists but is turned off.
    Off { rule: String },
    /// No rule looks at this.
    None,
}

impl Limit {
    /// Whether `x` is past the limit.
    pub fn exceeded_by(&self, x: f64) -> bool {
        matches!(self, Limit::Rule { value, .. } if x > *value)
    }
}

/// How often one rule fired.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleCount {
    pub rule: String,
    pub title: String,
    pub count: u32,
}

/// One line of the practices checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeRow {
    pub id: String,
    pub title: String,
    pub done: bool,
    /// Call time it was first done.
    pub t: Option<f64>,
}

/// The figures of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub duration: f64,
    /// Talk, monologue, questions and practices.
    pub summary: Summary,
    /// The log had no `call_end`: `summary` was recomputed with the rules in force.
    pub recomputed: bool,
    /// Call time the rep started their first question.
    pub first_question: Option<f64>,
    /// Flags per rule, most frequent first.
    pub flags: Vec<RuleCount>,
    pub flags_total: u32,
    pub practices: Vec<PracticeRow>,
    /// Seconds of audio lost (`gap` lines, both speakers).
    pub lost_audio: f64,
    pub talk_limit: Limit,
    pub monologue_limit: Limit,
    /// The opening window pitch-opening watches, for the time to the first question.
    pub opening: Limit,
}

impl Figures {
    pub fn compute(log: &CallLog, rules: &Arc<CompiledRules>) -> Self {
        let (summary, recomputed) = match log.summary() {
            Some(s) => (s.clone(), false),
            None => (recompute(log, rules), true),
        };
        let set = &rules.set.rules;
        let flags = flag_counts(log, set);
        Self {
            duration: log.duration(),
            first_question: first_question(log),
            flags_total: flags.iter().map(|r| r.count).sum(),
            flags,
            practices: practice_rows(&summary, set),
            lost_audio: lost_audio(log),
            talk_limit: talk_limit(set),
            monologue_limit: limit(set, |r| match r.detector {
                Detector::Monologue { seconds, .. } => Some((seconds, None)),
                _ => None,
            }),
            opening: limit(set, |r| {
                (r.id == "pitch-opening")
                    .then_some(r.until)
                    .flatten()
                    .map(|u| (u, None))
            }),
            summary,
            recomputed,
        }
    }

    /// Practices done, of those tracked.
    pub fn practices_done(&self) -> (usize, usize) {
        let done = self.practices.iter().filter(|p| p.done).count();
        (done, self.practices.len())
    }
}

/// The talk-ratio rule's share limit, and the window it is measured over.
pub fn talk_limit(rules: &[RuleDef]) -> Limit {
    limit(rules, |r| match r.detector {
        Detector::TalkRatio {
            max_share,
            over_seconds,
            ..
        } => Some((max_share, Some(over_seconds))),
        _ => None,
    })
}

/// The first enabled rule `pick` finds a value in; else a disabled one (off); else none.
fn limit(rules: &[RuleDef], pick: impl Fn(&RuleDef) -> Option<(f64, Option<f64>)>) -> Limit {
    let mut off = None;
    for r in rules {
        match pick(r) {
            Some((value, over)) if r.enabled => {
                return Limit::Rule {
                    rule: r.id.clone(),
                    value,
                    over,
                };
            }
            Some(_) => off = off.or(Some(r.id.clone())),
            None => {}
        }
    }
    off.map_or(Limit::None, |rule| Limit::Off { rule })
}

fn rule_title<'a>(rules: &'a [RuleDef], id: &str) -> Option<&'a str> {
    rules.iter().find(|r| r.id == id).map(|r| r.title.as_str())
}

fn flag_counts(log: &CallLog, rules: &[RuleDef]) -> Vec<RuleCount> {
    let mut counts: BTreeMap<&str, (u32, &str)> = BTreeMap::new();
    for f in log.flags() {
        let e = counts.entry(f.rule.as_str()).or_insert((0, ""));
        e.0 += 1;
        if e.1.is_empty() {
            e.1 = f.title.as_str();
        }
    }
    let mut out: Vec<RuleCount> = counts
        .into_iter()
        .map(|(rule, (count, title))| RuleCount {
            title: if title.is_empty() {
                rule_title(rules, rule).unwrap_or(rule).to_string()
            } else {
                title.to_string()
            },
            rule: rule.to_string(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule.cmp(&b.rule)));
    out
}

/// The checklist in the order of the rules in force; practices the call tracked that are no
/// longer in force come last.
fn practice_rows(summary: &Summary, rules: &[RuleDef]) -> Vec<PracticeRow> {
    let mut left: BTreeMap<&str, _> = summary
        .practices
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let mut rows = Vec::new();
    for r in rules.iter().filter(|r| r.kind == Kind::Practice) {
        if let Some(p) = left.remove(r.id.as_str()) {
            rows.push(PracticeRow {
                id: r.id.clone(),
                title: r.title.clone(),
                done: p.done,
                t: p.t,
            });
        }
    }
    rows.extend(left.into_iter().map(|(id, p)| PracticeRow {
        id: id.to_string(),
        title: id.to_string(),
        done: p.done,
        t: p.t,
    }));
    rows
}

fn first_question(log: &CallLog) -> Option<f64> {
    log.events.iter().find_map(|e| match e {
        Event::Transcript(crate::event::Transcript {
            speaker: Speaker::Me,
            start,
            text,
            is_final: true,
            ..
        }) if questions_in(text.as_str()) > 0 => Some(*start),
        _ => None,
    })
}

fn lost_audio(log: &CallLog) -> f64 {
    log.events
        .iter()
        .map(|e| match e {
            Event::Gap(crate::event::Gap { t, until, .. }) => (until - t).max(0.0),
            _ => 0.0,
        })
        .sum()
}

/// The summary the engine gives for the log's speech and transcript lines. A log without
/// speech lines (written by `analyze`) takes each utterance's span as its speech.
pub fn recompute(log: &CallLog, rules: &Arc<CompiledRules>) -> Summary {
    let has_speech = log.events.iter().any(|e| matches!(e, Event::Speech { .. }));
    let mut engine = Engine::new(Arc::clone(rules));
    let mut scratch = Vec::new();
    let speech = |speaker, start, end| Input::Speech {
        speaker,
        start,
        end,
        ongoing: false,
    };
    for e in &log.events {
        match e {
            Event::Speech {
                speaker,
                start,
                end,
                ..
            } => engine.push(speech(*speaker, *start, *end), &mut scratch),
            Event::Transcript(crate::event::Transcript {
                t,
                speaker,
                start,
                end,
                text,
                is_final: true,
            }) => {
                if !has_speech {
                    engine.push(speech(*speaker, *start, *end), &mut scratch);
                }
                let utterance = Utterance {
                    speaker: *speaker,
                    start: *start,
                    end: *end,
                    text: text.clone(),
                };
                engine.push(
                    Input::Transcript {
                        utterance: &utterance,
                        at: *t,
                    },
                    &mut scratch,
                );
            }
            _ => {}
        }
        scratch.clear();
    }
    engine.summary()
}

#[cfg(test)]
#[path = "figures_tests.rs"]
mod tests;
