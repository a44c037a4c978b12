//! The learned part of the default pack, `src/rules/semantic.json`: one logistic head per
//! built-in phrase rule (over the sentence embedding and a TF-IDF word vector, whose lexicon
//! is stored here too) with its decision thresholds, and a few representative example and
//! counter-example lines for explanations. Written by `warmcall rules train` from the corpus in
//! `data/coaching/`, compiled into the binary, and loaded without any training at start-up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::head::Head;
use super::lexicon::Lexicon;

/// The file compiled into the binary.
pub const BUILTIN: &str = include_str!("../semantic.json");

/// What one built-in rule learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleModel {
    #[serde(flatten)]
    pub head: Head,
    /// A clause fires the rule when the head's probability reaches this.
    pub threshold: f32,
    /// A pattern hit is cancelled when no clause of the utterance reaches this probability:
    /// the head is sure the words are used in another sense (a negation, the advice itself).
    pub veto: f32,
    /// Precision and recall of the rule's whole decision at these thresholds on the
    /// out-of-fold predictions they were chosen on (what `rules train` reports).
    #[serde(default)]
    pub out_of_fold: [f32; 2],
    /// Representative lines of the rule's intent (shown by explanations).
    pub examples: Vec<String>,
    /// The negatives the head found closest to the intent (shown by explanations).
    pub counter_examples: Vec<String>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trained {
    /// The sentence encoder the heads were trained on (its directory name).
    pub encoder: String,
    pub dim: usize,
    /// How the file was made: the command, the corpus files and their sha256, the settings.
    pub provenance: BTreeMap<String, String>,
    /// The terms the heads' word weights refer to.
    #[serde(default)]
    pub lexicon: Lexicon,
    pub rules: BTreeMap<String, RuleModel>,
}

impl Trained {
    /// The heads compiled into the binary (none if the file holds none).
    pub fn builtin() -> Self {
        serde_json::from_str(BUILTIN).expect("src/rules/semantic.json parses (tested)")
    }

    /// The file's text: compact JSON with weights rounded to 4 decimals (a fraction of the
    /// size, and no measurable change in any score).
    pub fn to_json(&self) -> String {
        let round = |w: &mut f32| *w = (*w * 1e4).round() / 1e4;
        let mut t = self.clone();
        for m in t.rules.values_mut() {
            m.head.weights.iter_mut().for_each(round);
            m.head.words.iter_mut().for_each(round);
        }
        let mut s = serde_json::to_string(&t).expect("serialises");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_file_parses_and_matches_the_encoder() {
        let t = Trained::builtin();
        assert_eq!(t.encoder, crate::encoder::DIR_NAME);
        for (id, m) in &t.rules {
            assert_eq!(m.head.weights.len(), t.dim, "{id}");
            assert_eq!(m.head.words.len(), t.lexicon.len(), "{id}");
            assert!((0.0..=1.0).contains(&m.threshold), "{id}");
            assert!(m.veto <= m.threshold, "{id}");
        }
    }
}
