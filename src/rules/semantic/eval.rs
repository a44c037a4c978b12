//! Precision and recall per rule on labelled lines, measured through the engine itself (the
//! same decision the daemon makes), for the test split and by k-fold cross-validation.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::corpus::Line;
use super::train::{self, Features, TrainOptions};
use super::trained::Trained;
use crate::encoder::SentenceEncoder;
use crate::event::Utterance;
use crate::rules::engine::{CompiledRules, Engine, Input};
use crate::rules::pack::RuleSet;
use crate::rules::spec::Kind;

/// Detections of one rule against the labels.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub tp: u32,
    pub fp: u32,
    pub fn_: u32,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        let d = self.tp + self.fp;
        if d == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(d)
        }
    }

    pub fn recall(&self) -> f64 {
        let d = self.tp + self.fn_;
        if d == 0 {
            1.0
        } else {
            f64::from(self.tp) / f64::from(d)
        }
    }

    fn add(&mut self, o: Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

/// Counts per rule id, and how many `none` lines fired anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub rules: BTreeMap<String, Counts>,
    pub none_lines: u32,
    pub none_fired: u32,
}

impl Scores {
    fn add(&mut self, o: &Scores) {
        for (id, c) in &o.rules {
            self.rules.entry(id.clone()).or_default().add(*c);
        }
        self.none_lines += o.none_lines;
        self.none_fired += o.none_fired;
    }
}

/// The phrase rules that fire on one line, said at the start of a call.
pub fn fired(rules: &Arc<CompiledRules>, line: &Line) -> Vec<String> {
    let mut engine = Engine::new(rules.clone());
    let utterance = Utterance {
        speaker: line.speaker,
        start: 0.0,
        end: 1.0,
        text: line.text.as_str().into(),
    };
    let mut flags = Vec::new();
    engine.push(
        Input::Transcript {
            utterance: &utterance,
            at: 1.0,
        },
        &mut flags,
    );
    flags
        .into_iter()
        .filter(|f| {
            rules
                .set
                .get(&f.rule)
                .is_some_and(|r| r.kind == Kind::Phrase)
        })
        .map(|f| f.rule)
        .collect()
}

/// Score `lines` for the phrase rules named by the corpus labels.
pub fn score(rules: &Arc<CompiledRules>, lines: &[&Line], ids: &[String]) -> Scores {
    let mut s = Scores::default();
    for id in ids {
        s.rules.insert(id.clone(), Counts::default());
    }
    for line in lines {
        let got = fired(rules, line);
        if line.label == super::corpus::NONE {
            s.none_lines += 1;
            s.none_fired += u32::from(!got.is_empty());
        }
        for id in ids {
            let (p, t) = (got.contains(id), &line.label == id);
            let c = s.rules.get_mut(id).expect("inserted");
            match (p, t) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, true) => c.fn_ += 1,
                _ => {}
            }
        }
    }
    s
}

/// The rule ids the corpus labels name.
pub fn rule_ids(lines: &[Line]) -> Vec<String> {
    let mut ids: Vec<String> = lines
        .iter()
        .map(|l| l.label.clone())
        .filter(|l| l != super::corpus::NONE)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Patterns alone and patterns with the encoder, by k-fold cross-validation over the training
/// lines: for each fold, heads and thresholds are trained on the other folds only.
pub fn cross_validate(
    set: &RuleSet,
    encoder: Arc<dyn SentenceEncoder>,
    lines: &[Line],
    feats: &[Features],
    opts: TrainOptions,
) -> Result<(Scores, Scores), crate::rules::RuleError> {
    let ids = rule_ids(lines);
    let patterns = CompiledRules::new(set.clone())?;
    let fold = train::folds(feats, opts.folds);
    let (mut alone, mut both) = (Scores::default(), Scores::default());
    for k in 0..opts.folds {
        let (lexicon, models) = train::train(&patterns, feats, &|i| fold[i] != k, opts);
        let trained = Trained {
            encoder: crate::encoder::DIR_NAME.into(),
            dim: encoder.dim(),
            provenance: BTreeMap::new(),
            lexicon,
            rules: models,
        };
        let compiled = CompiledRules::with_trained(set.clone(), Some(encoder.clone()), &trained)?;
        let held: Vec<&Line> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| fold[*i] == k)
            .map(|(_, l)| l)
            .collect();
        alone.add(&score(&patterns, &held, &ids));
        both.add(&score(&compiled, &held, &ids));
    }
    Ok((alone, both))
}

/// A markdown table: per rule, precision and recall of patterns alone and with the encoder.
pub fn table(alone: &Scores, both: &Scores) -> String {
    let mut out = String::from(
        "| rule | patterns alone: precision | recall | patterns + encoder: precision | recall |\n|---|---|---|---|---|\n",
    );
    for (id, a) in &alone.rules {
        let b = both.rules.get(id).copied().unwrap_or_default();
        out.push_str(&format!(
            "| {id} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            a.precision(),
            a.recall(),
            b.precision(),
            b.recall()
        ));
    }
    out.push_str(&format!(
        "| `none` lines that fired a rule | {} of {} | | {} of {} | |\n",
        alone.none_fired, alone.none_lines, both.none_fired, both.none_lines
    ));
    out
}
