//! All phrase patterns of all rules compiled into one `RegexSet`: one pass over an utterance
//! finds every rule whose pattern (or `unless` pattern) matches.

use regex::{Regex, RegexSet, RegexSetBuilder};

use super::pack::RuleSet;
use super::pattern;
use super::spec::{Detector, RuleError, Source};

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
    /// The pattern that matched, as written.
    pub pattern: String,
    /// The normalised words it matched.
    pub evidence: String,
    /// The `unless` pattern that cancelled it, if any.
    pub cancelled_by: Option<String>,
}

/// The compiled phrase matcher for one rule set.
#[derive(Debug, Clone)]
pub struct Matcher {
    set: RegexSet,
    regexes: Vec<Regex>,
    sources: Vec<String>,
    owners: Vec<Owner>,
}

fn build_error(e: impl std::fmt::Display) -> RuleError {
    RuleError {
        source: Source::Builtin,
        line: 0,
        column: 0,
        message: format!("the rule patterns do not compile together: {e}"),
    }
}

impl Matcher {
    /// Compile every enabled phrase and practice rule.
    pub fn new(rules: &RuleSet) -> Result<Self, RuleError> {
        let mut patterns = Vec::new();
        let mut sources = Vec::new();
        let mut owners = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if !rule.enabled {
                continue;
            }
            let (pats, unless) = match &rule.detector {
                Detector::Phrase { patterns, unless } | Detector::Practice { patterns, unless } => {
                    (patterns, unless)
                }
                _ => continue,
            };
            for (list, is_unless) in [(pats, false), (unless, true)] {
                for p in list {
                    // Patterns were checked when the rule was validated.
                    patterns.push(pattern::to_regex(p).map_err(build_error)?);
                    sources.push(p.clone());
                    owners.push(Owner {
                        rule: i,
                        unless: is_unless,
                    });
                }
            }
        }
        let set = RegexSetBuilder::new(&patterns)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(build_error)?;
        let regexes = patterns
            .iter()
            .map(|p| Regex::new(p).map_err(build_error))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            set,
            regexes,
            sources,
            owners,
        })
    }

    /// Every rule whose patterns match the normalised text `norm`, in rule order.
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
        // A rule hit only by its `unless` patterns did not match at all.
        hits.retain(|h| !h.pattern.is_empty());
    }
}
