//! Embedding the texts the detector scores with as few encoder passes as possible.
//!
//! A pass of the encoder costs about 9 ms before its first token on these machines (all 42 MB
//! of the model's layer weights go through the CPU whatever the text), then about 0.44 ms a
//! token: 11.8 ms for 7 tokens, 28 ms for 44 (`cargo bench --bench encoder`). Two things
//! follow, and this module does both:
//!
//! - **Remember recent texts.** While a phrase is spoken the rule stage scores it again every
//!   second (partials) and once more as the final; its earlier sentences, and often the whole
//!   text, come back unchanged. [`Memo`] keeps the embeddings of the last [`MEMO_TEXTS`]
//!   texts, in memory only, for the life of the compiled rules.
//! - **Encode the rest together.** Texts of similar length go through one padded pass
//!   ([`passes`]); a much longer text goes alone, since padding every short one to its length
//!   would cost more than the pass it saves.
//!
//! A text's embedding in a padded batch equals its embedding alone to float rounding (the
//! padding is masked out of attention and pooling; cosine 0.9999999 measured).

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::encoder::{EncoderError, SentenceEncoder};

/// Texts remembered: a few phrases' worth of clauses and sentences.
pub const MEMO_TEXTS: usize = 64;

/// Padding a pass may add, in words, before a text is better encoded in a pass of its own:
/// one pass's fixed cost (about 9 ms) is about 20 tokens, about 15 words.
const PAD_BUDGET_WORDS: usize = 15;

/// The embeddings of recently scored texts.
#[derive(Default)]
pub struct Memo {
    recent: Mutex<VecDeque<(String, Vec<f32>)>>,
}

impl Memo {
    /// Embeddings of `texts`, in order: remembered ones from memory, the rest from `enc` in
    /// as few passes as [`passes`] allows (then remembered).
    pub fn embed(
        &self,
        enc: &dyn SentenceEncoder,
        texts: &[String],
    ) -> Result<Vec<Vec<f32>>, EncoderError> {
        let mut out: Vec<Option<Vec<f32>>> = {
            let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            texts
                .iter()
                .map(|t| recent.iter().find(|(r, _)| r == t).map(|(_, e)| e.clone()))
                .collect()
        };
        let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
        let fresh = embed_grouped(
            enc,
            &missing
                .iter()
                .map(|&i| texts[i].as_str())
                .collect::<Vec<_>>(),
        )?;
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        for (i, e) in missing.into_iter().zip(fresh) {
            if recent.len() == MEMO_TEXTS {
                recent.pop_front();
            }
            recent.push_back((texts[i].clone(), e.clone()));
            out[i] = Some(e);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// The embedding of one text, as [`embed`](Self::embed) gives it.
    pub fn embed_one(
        &self,
        enc: &dyn SentenceEncoder,
        text: &str,
    ) -> Result<Vec<f32>, EncoderError> {
        self.embed(enc, &[text.to_string()])?
            .pop()
            .ok_or_else(|| EncoderError::Compute {
                reason: "no embedding came back".into(),
            })
    }
}

/// Embeddings of `texts`, in order, in the passes [`passes`] groups them into.
pub fn embed_grouped(
    enc: &dyn SentenceEncoder,
    texts: &[&str],
) -> Result<Vec<Vec<f32>>, EncoderError> {
    let words: Vec<usize> = texts.iter().map(|t| t.split_whitespace().count()).collect();
    let mut out = vec![Vec::new(); texts.len()];
    for group in passes(&words) {
        let batch: Vec<&str> = group.iter().map(|&i| texts[i]).collect();
        let embs = enc.encode(&batch)?;
        if embs.len() != group.len() {
            return Err(EncoderError::Compute {
                reason: format!(
                    "{} embeddings came back for {} texts",
                    embs.len(),
                    group.len()
                ),
            });
        }
        for (i, e) in group.into_iter().zip(embs) {
            out[i] = e;
        }
    }
    Ok(out)
}

/// Texts (given by word count) grouped into encoder passes: longest first, each pass taking
/// the next longest while the padding it adds to them stays within [`PAD_BUDGET_WORDS`].
/// Every index appears once.
pub fn passes(words: &[usize]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by(|&a, &b| words[b].cmp(&words[a]).then(a.cmp(&b)));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut padding = 0;
    for i in order {
        match out.last_mut() {
            Some(group) if padding + (words[group[0]] - words[i]) <= PAD_BUDGET_WORDS => {
                padding += words[group[0]] - words[i];
                group.push(i);
            }
            _ => {
                padding = 0;
                out.push(vec![i]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_lengths_share_a_pass_and_a_much_longer_text_goes_alone() {
        // A 40-word phrase, its two 16-word windows and an 8-word sentence.
        assert_eq!(passes(&[40, 16, 16, 8]), vec![vec![0], vec![1, 2, 3]]);
        assert_eq!(passes(&[10, 12, 9]), vec![vec![1, 0, 2]]);
        assert_eq!(passes(&[]), Vec::<Vec<usize>>::new());
    }

    #[test]
    fn padding_past_the_budget_starts_a_new_pass() {
        // 20 → 12 pads 8 words, → 10 pads 10 more: 18 > 15.
        assert_eq!(passes(&[20, 12, 10]), vec![vec![0, 1], vec![2]]);
        let every: Vec<usize> = (0..30).map(|i| (i * 7) % 23 + 1).collect();
        let mut seen: Vec<usize> = passes(&every).concat();
        seen.sort();
        assert_eq!(seen, (0..30).collect::<Vec<_>>());
    }
}
