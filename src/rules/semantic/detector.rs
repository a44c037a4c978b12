//! The semantic detector: scores each clause of an utterance against every phrase rule that
//! has a learned head (the built-in rules) or `examples` (any rule), encoding each clause once
//! for all rules (and a clause scored lately not again: `memo`).
//!
//! For one rule and one clause:
//! - the head's probability reaching the rule's trained threshold fires it;
//! - a similarity to the nearest of the rule's `examples` reaching the rule's `threshold` fires
//!   it, unless a `counter_examples` line is nearer;
//! - a counter-example at least `threshold` similar and nearer than every example wins: the
//!   clause does not fire.
//!
//! The rule fires when any clause does. When none does and a counter-example won, or the head
//! is sure (below its `veto` probability) that no clause carries the intent, the rule's
//! pattern hits are cancelled too (a negation, or the advice itself).

use std::sync::{Arc, OnceLock};

use super::clauses;
use super::head::Sample;
use super::lexicon::{Lexicon, Sparse};
use super::memo::{Memo, embed_grouped};
use super::trained::{RuleModel, Trained};
use crate::encoder::{EncoderError, SentenceEncoder};
use crate::event::Speaker;
use crate::rules::pack::RuleSet;
use crate::rules::spec::Detector;

/// A line and its embedding.
#[derive(Debug, Clone)]
struct Example {
    text: String,
    emb: Vec<f32>,
}

fn embed_all(enc: &dyn SentenceEncoder, texts: &[String]) -> Result<Vec<Example>, EncoderError> {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    Ok(texts
        .iter()
        .zip(embed_grouped(enc, &refs)?)
        .map(|(t, emb)| Example {
            text: t.clone(),
            emb,
        })
        .collect())
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The nearest example to `e` and its cosine similarity.
fn nearest<'a>(list: &'a [Example], e: &[f32]) -> Option<(&'a str, f32)> {
    list.iter()
        .map(|x| (x.text.as_str(), dot(&x.emb, e)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// What the detector knows of one rule.
struct RuleSemantics {
    model: Option<RuleModel>,
    threshold: f32,
    /// Words a clause needs to fire the rule without a pattern (`clauses::min_words`).
    min_words: usize,
    examples: Vec<Example>,
    counter: Vec<Example>,
    /// The model's representative lines, embedded on first use (explanations only).
    shown: OnceLock<(Vec<Example>, Vec<Example>)>,
}

/// The verdict on one rule for one utterance.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Index into the rule set.
    pub rule: usize,
    /// The deciding clause's score: the head's probability, or without a head the similarity
    /// to the nearest example.
    pub score: f32,
    /// What the score had to reach.
    pub threshold: f32,
    pub fires: bool,
    /// A counter-example won, or the head is sure the intent is absent: pattern hits are
    /// cancelled.
    pub vetoed: bool,
    /// Index into the scored clauses of the deciding clause.
    pub clause: usize,
}

/// Clauses of one utterance and the verdict on each rule that listens to its speaker.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scored {
    pub clauses: Vec<String>,
    pub verdicts: Vec<Verdict>,
}

impl Scored {
    pub fn verdict(&self, rule: usize) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.rule == rule)
    }
}

/// Nearest example and counter-example of the deciding clause, for explanations.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    pub example: Option<(String, f32)>,
    pub counter_example: Option<(String, f32)>,
}

/// The detector for one rule set.
pub struct SemanticDetector {
    encoder: Arc<dyn SentenceEncoder>,
    /// The terms the heads' word weights refer to.
    lexicon: Lexicon,
    rules: Vec<Option<RuleSemantics>>,
    /// Embeddings of the texts scored lately (partials repeat them).
    memo: Memo,
}

impl std::fmt::Debug for SemanticDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SemanticDetector")
            .field("rules", &self.rules.iter().filter(|r| r.is_some()).count())
            .finish()
    }
}

impl SemanticDetector {
    /// Build the detector for `set`: heads from `trained` for rules it knows (by id), and the
    /// rules' own examples, embedded now.
    pub fn new(
        set: &RuleSet,
        encoder: Arc<dyn SentenceEncoder>,
        trained: &Trained,
    ) -> Result<Self, EncoderError> {
        let mut rules = Vec::with_capacity(set.rules.len());
        for rule in &set.rules {
            let Detector::Phrase {
                examples,
                counter_examples,
                threshold,
                ..
            } = &rule.detector
            else {
                rules.push(None);
                continue;
            };
            let model = trained
                .rules
                .get(&rule.id)
                .filter(|_| trained.dim == encoder.dim())
                .cloned();
            if !rule.enabled || (model.is_none() && examples.is_empty()) {
                rules.push(None);
                continue;
            }
            rules.push(Some(RuleSemantics {
                model,
                threshold: *threshold,
                min_words: clauses::min_words(rule.speaker),
                examples: embed_all(encoder.as_ref(), examples)?,
                counter: embed_all(encoder.as_ref(), counter_examples)?,
                shown: OnceLock::new(),
            }));
        }
        Ok(Self {
            encoder,
            lexicon: trained.lexicon.clone(),
            rules,
            memo: Memo::default(),
        })
    }

    /// Whether rule `i` has a semantic side (a head or examples).
    pub fn covers(&self, i: usize) -> bool {
        self.rules.get(i).is_some_and(Option::is_some)
    }

    /// Whether rule `i` has a learned head.
    pub fn has_head(&self, i: usize) -> bool {
        matches!(self.rules.get(i), Some(Some(r)) if r.model.is_some())
    }

    /// Score `text`, said by `speaker`, against every covered rule that listens to them.
    pub fn score(
        &self,
        text: &str,
        speaker: Speaker,
        set: &RuleSet,
    ) -> Result<Scored, EncoderError> {
        let listening: Vec<usize> = (0..self.rules.len())
            .filter(|&i| self.covers(i) && set.rules[i].speaker.accepts(speaker))
            .collect();
        if listening.is_empty() {
            return Ok(Scored::default());
        }
        // Clauses that can fire the rule, then sentences that only judge a pattern's hit.
        let mut clauses = clauses::split(text);
        let firing = clauses.len();
        for s in clauses::sentences(text) {
            if !clauses.contains(&s) {
                clauses.push(s);
            }
        }
        let embs = self.memo.embed(self.encoder.as_ref(), &clauses)?;
        let words: Vec<Sparse> = clauses.iter().map(|c| self.lexicon.vector(c)).collect();
        let verdicts = listening
            .into_iter()
            .filter_map(|i| {
                let r = self.rules[i].as_ref()?;
                Some(verdict(i, r, &clauses, firing, &embs, &words))
            })
            .collect();
        Ok(Scored { clauses, verdicts })
    }

    /// The nearest example and counter-example of rule `i` to `clause` (embedding the
    /// rule's representative lines on first use).
    pub fn nearest(&self, i: usize, clause: &str) -> Result<Nearest, EncoderError> {
        let Some(Some(r)) = self.rules.get(i) else {
            return Ok(Nearest {
                example: None,
                counter_example: None,
            });
        };
        let e = self.memo.embed_one(self.encoder.as_ref(), clause)?;
        let shown = match r.shown.get() {
            Some(s) => s,
            None => {
                let (ex, cx) = r
                    .model
                    .as_ref()
                    .map(|m| (m.examples.clone(), m.counter_examples.clone()))
                    .unwrap_or_default();
                let made = (
                    embed_all(self.encoder.as_ref(), &ex)?,
                    embed_all(self.encoder.as_ref(), &cx)?,
                );
                r.shown.get_or_init(|| made)
            }
        };
        let best = |a: &[Example], b: &[Example]| {
            let x = nearest(a, &e);
            let y = nearest(b, &e);
            match (x, y) {
                (Some(x), Some(y)) => Some(if x.1 >= y.1 { x } else { y }),
                (x, y) => x.or(y),
            }
            .map(|(t, s)| (t.to_string(), s))
        };
        Ok(Nearest {
            example: best(&r.examples, &shown.0),
            counter_example: best(&r.counter, &shown.1),
        })
    }
}

/// The verdict on one rule given the embeddings and word vectors of an utterance's clauses.
/// Only the first `firing` clauses can fire it; the rest (a short phrase's sentences) can
/// only keep a pattern hit from the veto, when the head fires on the sentence it is in.
fn verdict(
    rule: usize,
    r: &RuleSemantics,
    clauses: &[String],
    firing: usize,
    embs: &[Vec<f32>],
    words: &[Sparse],
) -> Verdict {
    let mut best: Option<(f32, usize)> = None;
    let mut fires = false;
    let mut counter_won = false;
    let mut best_prob = f32::NEG_INFINITY;
    // A sentence of a short phrase on which the head fires: a pattern hit there stands.
    let mut sentence_agrees = false;
    for (k, e) in embs.iter().enumerate() {
        let prob = r.model.as_ref().map(|m| {
            m.head.prob(Sample {
                emb: e,
                words: &words[k],
            })
        });
        let sim = nearest(&r.examples, e).map(|x| x.1);
        let counter = nearest(&r.counter, e).map(|x| x.1);
        let counter_wins = counter.is_some_and(|c| c >= r.threshold && sim.is_none_or(|s| c > s));
        counter_won |= counter_wins;
        let head_fires = match (&r.model, prob) {
            (Some(m), Some(p)) => p >= m.threshold,
            _ => false,
        };
        let example_fires = sim.is_some_and(|s| s >= r.threshold);
        if k >= firing {
            sentence_agrees |= head_fires;
            continue;
        }
        fires |= clauses::word_count(&clauses[k]) >= r.min_words
            && (head_fires || example_fires)
            && !counter_wins;
        if let Some(p) = prob {
            best_prob = best_prob.max(p);
        }
        let score = prob.or(sim).unwrap_or(0.0);
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, k));
        }
    }
    let (score, clause) = best.unwrap_or((0.0, 0));
    let head_sure_not = !sentence_agrees && r.model.as_ref().is_some_and(|m| best_prob < m.veto);
    Verdict {
        rule,
        score,
        threshold: r.model.as_ref().map_or(r.threshold, |m| m.threshold),
        fires,
        vetoed: !fires && (counter_won || head_sure_not),
        clause,
    }
}
