//! All phrase patterns of all rules compiled into one `RegexSet`: one pass over an utterance
//! finds every rule whose pattern (or `unless` pattern) matches.

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::pack::RuleSet;
use super::pattern;
use super::spec::{Detector, PatternDef, RuleDef, RuleError, SpeakerSel};

/// Bytes the compiled set of every pattern may take.
const SET_SIZE_LIMIT: usize = 64 << 20;

#[derive(Debug, Clone, Copy)]
struct Owner {
    rule: usize,
    unless: bool,
}

/// What one rule's patterns found in one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct PhraseHit {
    /// Index into the rule set.
    pub rule: usize,
    /// The pattern that matched, as written; empty when only an `unless` pattern matched
    /// (which still cancels the rule's semantic detection).
    pub pattern: String,
    /// The normalised words it matched.
    pub evidence: String,
    /// The `unless` pattern that cancelled it, if any.
    pub cancelled_by: Option<String>,
    /// The matched words are said inside a negation ("I'm not just following up"): a rule
    /// that listens to the rep does not fire (`rules::negation`).
    pub negated: bool,
}

/// The compiled phrase matcher for one rule set.
#[derive(Debug, Clone)]
pub struct Matcher {
    set: RegexSet,
    regexes: Vec<Regex>,
    sources: Vec<String>,
    owners: Vec<Owner>,
    /// Per rule: its hits are checked for negation (rules that listen to the rep only; a
    /// prospect's brush-off is often made of negations).
    negatable: Vec<bool>,
}

/// An error about pattern `p` of `rule`, at the pattern's place in its file.
fn pattern_error(rule: &RuleDef, p: &PatternDef, e: impl std::fmt::Display) -> RuleError {
    RuleError {
        source: rule.source.clone(),
        line: p.line,
        column: p.column,
        message: format!("bad pattern {}: {e}", pattern::preview(&p.text)),
    }
}

fn build_set(patterns: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(patterns)
        .size_limit(SET_SIZE_LIMIT)
        .dfa_size_limit(SET_SIZE_LIMIT)
        .build()
}

/// The first pattern from which the set no longer compiles (the whole set does not).
fn first_failing(patterns: &[String]) -> usize {
    let (mut lo, mut hi) = (1, patterns.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if build_set(&patterns[..mid]).is_err() {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo - 1
}

impl Matcher {
    /// Compile every enabled phrase and practice rule. A pattern that does not compile, alone
    /// or together with the ones before it, is reported at its place in its file.
    pub fn new(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut patterns = Vec::new();
        let mut regexes = Vec::new();
        let mut sources = Vec::new();
        let mut owners = Vec::new();
        let mut places = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if !rule.enabled {
                continue;
            }
            let (pats, unless) = match &rule.detector {
                Detector::Phrase {
                    patterns, unless, ..
                }
                | Detector::Practice { patterns, unless } => (patterns, unless),
                _ => continue,
            };
            for (list, is_unless) in [(pats, false), (unless, true)] {
                for p in list {
                    let re = pattern::to_regex(&p.text).map_err(|e| pattern_error(rule, p, e))?;
                    regexes.push(pattern::build(&re).map_err(|e| pattern_error(rule, p, e))?);
                    patterns.push(re);
                    sources.push(p.text.clone());
                    places.push((rule, p));
                    owners.push(Owner {
                        rule: i,
                        unless: is_unless,
                    });
                }
            }
        }
        let set = build_set(&patterns).map_err(|e| {
            let (rule, p) = places[first_failing(&patterns)];
            pattern_error(
                rule,
                p,
                format!(
                    "with the patterns before it, the rule patterns are too large for the \
                     matcher ({e}); use fewer or simpler patterns"
                ),
            )
        })?;
        Ok(Self {
            set,
            regexes,
            sources,
            owners,
            negatable: rules
                .rules
                .iter()
                .map(|r| r.speaker == SpeakerSel::Me)
                .collect(),
        })
    }

    /// [`scan`](Self::scan), then each hit of a rep's rule checked for negation against the
    /// utterance as recognised (`raw`, whose normalised text is `norm`).
    pub fn scan_utterance(&self, raw: &str, norm: &str, hits: &mut Vec<PhraseHit>) {
        self.scan(norm, hits);
        for h in hits.iter_mut() {
            h.negated = !h.pattern.is_empty()
                && self.negatable.get(h.rule).copied().unwrap_or(false)
                && super::negation::negated(raw, &h.evidence);
        }
    }

    /// Every rule whose patterns or `unless` patterns match the normalised text `norm`, in
    /// rule order.
    pub fn scan(&self, norm: &str, hits: &mut Vec<PhraseHit>) {
        hits.clear();
        let matched = self.set.matches(norm);
        if !matched.matched_any() {
            return;
        }
        for idx in matched.iter() {
            let owner = self.owners[idx];
            let hit = match hits.iter().position(|h| h.rule == owner.rule) {
                Some(p) => p,
                None => {
                    hits.push(PhraseHit {
                        rule: owner.rule,
                        pattern: String::new(),
                        evidence: String::new(),
                        cancelled_by: None,
                        negated: false,
                    });
                    hits.len() - 1
                }
            };
            let h = &mut hits[hit];
            if owner.unless {
                h.cancelled_by
                    .get_or_insert_with(|| self.sources[idx].clone());
            } else if h.pattern.is_empty()
                && let Some(c) = self.regexes[idx].captures(norm)
            {
                h.pattern = self.sources[idx].clone();
                h.evidence = c.get(1).map_or("", |m| m.as_str()).to_string();
            }
        }
    }
}
