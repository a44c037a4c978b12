//! How a phrase or practice rule's pattern hit and its semantic verdict combine into one
//! decision, the same in the engine and in explanations.
//!
//! A rule fires when one of its patterns matches or the semantic detector fires it, and
//! neither an `unless` pattern nor a counter-example wins: an `unless` match cancels both, a
//! winning counter-example (or a head sure the intent is absent) cancels the pattern hit. A
//! pattern hit said inside a negation ("I'm not just following up") cancels both too: the
//! words deny the habit, and a head that scores the sentence as the intent is hearing the
//! words, not the denial.

use super::matcher::PhraseHit;

use super::semantic::Verdict;

/// What fired a rule, or what stopped it.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// A pattern matched these normalised words.
    Pattern { pattern: String, evidence: String },
    /// The semantic detector fired on this clause (normalised).
    Semantic { evidence: String, score: f32 },
    /// An `unless` pattern matched.
    Unless { pattern: String },
    /// A pattern matched but a counter-example (or the head) says the intent is absent.
    Vetoed { pattern: String },
    /// A pattern matched inside a negation.
    Negated { pattern: String, evidence: String },
    /// Nothing fired.
    Quiet,
}

impl Decision {
    pub fn fired(&self) -> bool {
        matches!(self, Decision::Pattern { .. } | Decision::Semantic { .. })
    }

    /// The words behind a detection.
    pub fn evidence(&self) -> Option<&str> {
        match self {
            Decision::Pattern { evidence, .. } | Decision::Semantic { evidence, .. } => {
                Some(evidence)
            }
            _ => None,
        }
    }
}

/// Combine rule's pattern hit (if any) with its semantic verdict (if any) on an utterance cut
/// into `clauses`.
pub fn decide(hit: Option<&PhraseHit>, verdict: Option<&Verdict>, clauses: &[String]) -> Decision {
    if let Some(pattern) = hit.and_then(|h| h.cancelled_by.clone()) {
        return Decision::Unless { pattern };
    }
    let matched = hit.filter(|h| !h.pattern.is_empty());
    if let Some(h) = matched.filter(|h| h.negated) {
        return Decision::Negated {
            pattern: h.pattern.clone(),
            evidence: h.evidence.clone(),
        };
    }
    let vetoed = verdict.is_some_and(|v| v.vetoed);
    match (matched, verdict) {
        (Some(h), _) if !vetoed => Decision::Pattern {
            pattern: h.pattern.clone(),
            evidence: h.evidence.clone(),
        },
        (_, Some(v)) if v.fires => Decision::Semantic {
            evidence: clauses
                .get(v.clause)
                .map(|c| crate::text::normalize(c))
                .unwrap_or_default(),
            score: v.score,
        },
        (Some(h), _) => Decision::Vetoed {
            pattern: h.pattern.clone(),
        },
        _ => Decision::Quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(pattern: &str, unless: Option<&str>) -> PhraseHit {
        PhraseHit {
            rule: 0,
            pattern: pattern.into(),
            evidence: "trust me".into(),
            cancelled_by: unless.map(str::to_string),
            negated: false,
        }
    }

    fn verdict(fires: bool, vetoed: bool) -> Verdict {
        Verdict {
            rule: 0,
            score: 0.9,
            threshold: 0.5,
            fires,
            vetoed,
            clause: 0,
        }
    }

    #[test]
    fn pattern_or_semantic_fires_unless_cancelled() {
        let clauses = vec!["Just trust me on this!".to_string()];
        let d = decide(Some(&hit("trust me", None)), None, &clauses);
        assert!(matches!(d, Decision::Pattern { .. }));
        let d = decide(None, Some(&verdict(true, false)), &clauses);
        assert_eq!(
            d,
            Decision::Semantic {
                evidence: "just trust me on this".into(),
                score: 0.9
            }
        );
        assert!(matches!(
            decide(
                Some(&hit("trust me", Some("no rush"))),
                Some(&verdict(true, false)),
                &clauses
            ),
            Decision::Unless { .. }
        ));
        assert!(matches!(
            decide(
                Some(&hit("", Some("no rush"))),
                Some(&verdict(true, false)),
                &clauses
            ),
            Decision::Unless { .. }
        ));
        assert!(matches!(
            decide(
                Some(&hit("trust me", None)),
                Some(&verdict(false, true)),
                &clauses
            ),
            Decision::Vetoed { .. }
        ));
        assert_eq!(
            decide(None, Some(&verdict(false, false)), &clauses),
            Decision::Quiet
        );
        assert_eq!(
            decide(Some(&hit("", None)), None, &clauses),
            Decision::Quiet
        );
        let negated = PhraseHit {
            negated: true,
            ..hit("trust me", None)
        };
        assert!(matches!(
            decide(Some(&negated), Some(&verdict(true, false)), &clauses),
            Decision::Negated { .. }
        ));
    }
}
