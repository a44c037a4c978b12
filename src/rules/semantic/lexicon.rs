//! The word side of a learned head: a TF-IDF bag of words and word pairs, negation marked.
//!
//! Sentence embeddings carry what a line is about, but not always who does what to whom: "this
//! price is only good until Friday" and "the price is the price, take your time" sit close
//! together. The words and word pairs of the normalised text (`crate::text::normalize`) say it
//! plainly, so each head weighs both. The vocabulary (terms seen in at least two training
//! lines) and each term's inverse document frequency are learned by `warmcall rules train`
//! and stored with the heads.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// A sparse feature vector: (term index, weight), L2-normalised.
pub type Sparse = Vec<(usize, f32)>;

/// Vocabulary and inverse document frequencies.
/// Stored as its list of `[term, idf]` pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<(String, f32)>", into = "Vec<(String, f32)>")]
pub struct Lexicon {
    /// Terms (a word, or two words joined by a space) and their idf, in index order.
    pub terms: Vec<(String, f32)>,
    index: HashMap<String, usize>,
}

impl From<Vec<(String, f32)>> for Lexicon {
    fn from(terms: Vec<(String, f32)>) -> Self {
        Self::from_terms(terms)
    }
}

impl From<Lexicon> for Vec<(String, f32)> {
    fn from(l: Lexicon) -> Self {
        l.terms
    }
}

/// Words that negate what follows them in their clause.
const NEGATIONS: &[&str] = &[
    "not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without",
];

/// The words of `text`, normalised, with every word after a negation up to the end of its
/// clause (sentence punctuation or a comma) marked `not_`: "you won't miss out" gives
/// `you will not not_miss not_out`, a different term from the "miss out" of real pressure.
/// Bags of words and sentence embeddings both tend to miss negation; this is the classic
/// remedy for the first (Das and Chen 2001; Pang, Lee and Vaithyanathan 2002).
fn marked_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clause in text.split(['.', ',', ';', '?', '!', ':']) {
        let mut negated = false;
        for w in crate::text::normalize(clause).split_whitespace() {
            if negated {
                out.push(format!("not_{w}"));
            } else {
                out.push(w.to_string());
            }
            negated |= NEGATIONS.contains(&w);
        }
    }
    out
}

/// The terms of a text: its marked words and adjacent word pairs.
fn terms(text: &str) -> Vec<String> {
    let words = marked_words(text);
    let mut out = words.clone();
    out.extend(words.windows(2).map(|p| format!("{} {}", p[0], p[1])));
    out
}

impl Lexicon {
    /// Learn the vocabulary of `texts`: every term in at least `min_df` of them, with a smoothed
    /// idf, `ln((1 + n) / (1 + df)) + 1`.
    pub fn fit<'a>(texts: impl IntoIterator<Item = &'a str>, min_df: usize) -> Self {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        let mut n = 0usize;
        for t in texts {
            n += 1;
            let mut seen = terms(t);
            seen.sort();
            seen.dedup();
            for term in seen {
                *df.entry(term).or_default() += 1;
            }
        }
        let terms = df
            .into_iter()
            .filter(|(_, d)| *d >= min_df.max(1))
            .map(|(t, d)| {
                let idf = ((1.0 + n as f64) / (1.0 + d as f64)).ln() + 1.0;
                (t, idf as f32)
            })
            .collect();
        Self::from_terms(terms)
    }

    /// A lexicon from stored terms (builds the lookup index).
    pub fn from_terms(terms: Vec<(String, f32)>) -> Self {
        let index = terms
            .iter()
            .enumerate()
            .map(|(i, (t, _))| (t.clone(), i))
            .collect();
        Self { terms, index }
    }

    /// Number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The TF-IDF vector of `text`: `(1 + ln tf) · idf` per known term, L2-normalised. Unknown
    /// terms are left out.
    pub fn vector(&self, text: &str) -> Sparse {
        let mut tf: BTreeMap<usize, u32> = BTreeMap::new();
        for term in terms(text) {
            if let Some(&i) = self.index.get(&term) {
                *tf.entry(i).or_default() += 1;
            }
        }
        let mut v: Sparse = tf
            .into_iter()
            .map(|(i, c)| (i, (1.0 + (c as f32).ln()) * self.terms[i].1))
            .collect();
        let norm = v.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, x)| *x /= norm);
        }
        v
    }

    /// The term at index `i`.
    pub fn term(&self, i: usize) -> &str {
        &self.terms[i].0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_seen_twice_are_kept_and_vectors_are_unit_length() {
        let lex = Lexicon::fit(
            [
                "only good until friday",
                "good until the end",
                "hello there",
            ],
            2,
        );
        let kept: Vec<&str> = lex.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(kept, ["good", "good until", "until"]);
        let v = lex.vector("Good until Friday, good!");
        let norm: f32 = v.iter().map(|(_, x)| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{v:?}");
        assert_eq!(v.len(), 3);
        assert!(lex.vector("nothing known").is_empty());
    }

    #[test]
    fn words_after_a_negation_are_marked_to_the_end_of_the_clause() {
        assert_eq!(
            marked_words("You won't miss out, honestly. Trust me"),
            [
                "you", "will", "not", "not_miss", "not_out", "honestly", "trust", "me"
            ]
        );
        assert_eq!(
            marked_words("I'd never ask"),
            ["i", "would", "never", "not_ask"]
        );
    }

    #[test]
    fn a_stored_lexicon_finds_its_terms() {
        let lex = Lexicon::fit(["a b", "a b"], 2);
        let back = Lexicon::from_terms(lex.terms.clone());
        assert_eq!(back.vector("a b"), lex.vector("a b"));
    }
}
