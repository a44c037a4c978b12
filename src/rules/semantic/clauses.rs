//! Cutting an utterance into clauses, the units the semantic detector scores.
//!
//! A phrase of up to [`MAX_WORDS`] words is scored whole: the heads were trained on whole
//! lines, and cross-validation over the corpus found scoring each sentence of a short
//! phrase alone added more false alarms than catches. A longer phrase (a rep who talks for
//! eight seconds straight) can hold several thoughts and dilutes each, so it is scored whole
//! and also cut at sentence punctuation, with pieces still longer than [`MAX_WORDS`] (speech
//! recognition often writes no punctuation at all) cut into overlapping windows.

use crate::rules::spec::SpeakerSel;

/// Longest piece scored as one clause.
pub const MAX_WORDS: usize = 24;
/// Window length and step for pieces longer than `MAX_WORDS`.
const WINDOW: usize = 16;
const STEP: usize = 8;
/// Pieces shorter than this are too small to mean much on their own.
const MIN_WORDS: usize = 3;

/// Words a clause of a rep's rule needs to fire it without a pattern. A rep's pitch,
/// question, chase, close or pressure takes a sentence (3 of the 1,500 rep lines of the
/// training corpus that carry an intent have fewer words); the short fragments the recogniser
/// makes of misheard speech ("I'll be not going.") carry none, and a head scoring them is
/// guessing.
const REP_MIN_WORDS: usize = 5;

pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// The texts to score for `text`: the whole utterance first, then (when it is longer than
/// [`MAX_WORDS`]) its clauses, without duplicates. Never empty for a text with words in it.
pub fn split(text: &str) -> Vec<String> {
    let whole = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if whole.is_empty() {
        return Vec::new();
    }
    let mut out = vec![whole.clone()];
    if word_count(&whole) > MAX_WORDS {
        for c in pieces(&whole) {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// The sentences of a short phrase with more than one (empty otherwise): a pattern's hit in
/// one sentence is judged by that sentence, not cancelled because the phrase as a whole is
/// about something else ("Trust me, you don't want to miss out. When can we get started?").
pub fn sentences(text: &str) -> Vec<String> {
    let whole = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let p = pieces(&whole);
    if p.len() > 1 && word_count(&whole) <= MAX_WORDS {
        p
    } else {
        Vec::new()
    }
}

/// `whole` cut at sentence punctuation, long pieces windowed, short ones folded in.
fn pieces(whole: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    for piece in whole.split_inclusive(['.', '?', '!', ';']) {
        let piece = piece.trim();
        if word_count(piece) == 0 {
            continue;
        }
        let words: Vec<&str> = piece.split_whitespace().collect();
        if words.len() <= MAX_WORDS {
            pieces.push(piece.to_string());
            continue;
        }
        let mut start = 0;
        loop {
            let end = (start + WINDOW).min(words.len());
            pieces.push(words[start..end].join(" "));
            if end == words.len() {
                break;
            }
            start += STEP;
        }
    }
    // Fold pieces too short to stand alone into the one before (or after).
    let mut clauses: Vec<String> = Vec::new();
    for p in pieces {
        match clauses.last_mut() {
            Some(last) if word_count(&p) < MIN_WORDS || word_count(last) < MIN_WORDS => {
                last.push(' ');
                last.push_str(&p);
            }
            _ => clauses.push(p),
        }
    }
    clauses
}

/// The words a clause needs to carry a rule's intent on its own ("right", "okay sure" do
/// not): shorter ones fire the rule only through a pattern. A prospect's brush-off can be
/// three words ("Not right now."); a rule that listens only to the rep needs
/// [`REP_MIN_WORDS`].
pub fn min_words(speaker: SpeakerSel) -> usize {
    match speaker {
        SpeakerSel::Me => REP_MIN_WORDS,
        SpeakerSel::Them | SpeakerSel::Any => MIN_WORDS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sentence_is_one_clause() {
        assert_eq!(
            split("  Any news on the quote? "),
            vec!["Any news on the quote?"]
        );
        assert!(split("   ").is_empty());
    }

    #[test]
    fn sentences_of_a_short_phrase_are_kept_for_pattern_hits() {
        let t = "Trust me, you don't want to miss out. When can we get started?";
        assert_eq!(split(t), vec![t]);
        assert_eq!(
            sentences(t),
            vec![
                "Trust me, you don't want to miss out.",
                "When can we get started?"
            ]
        );
        assert!(sentences("One sentence only, with a comma.").is_empty());
        let fires = |c: &str, s| word_count(c) >= min_words(s);
        assert!(!fires("Right.", SpeakerSel::Them) && fires("Not right now.", SpeakerSel::Them));
        assert!(!fires("I'll be not going.", SpeakerSel::Me));
        assert!(fires("Prices go up next week.", SpeakerSel::Me));
    }

    #[test]
    fn a_short_phrase_is_scored_whole() {
        let c = split("Hi, it's Sam from Acme. We are the leading provider of payroll software.");
        assert_eq!(
            c,
            vec!["Hi, it's Sam from Acme. We are the leading provider of payroll software."]
        );
    }

    #[test]
    fn a_long_phrase_is_scored_whole_and_by_sentence() {
        let text = "Hi, it's Sam from Acme, I'm calling about the note I sent last week. \
                    We are the leading provider of payroll software for firms of every size \
                    in the whole country.";
        let c = split(text);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(
            c[1],
            "Hi, it's Sam from Acme, I'm calling about the note I sent last week."
        );
    }

    #[test]
    fn short_pieces_join_their_neighbour() {
        let c = split("Okay. So when can we get you started on the rollout?");
        assert_eq!(c.len(), 1, "{c:?}");
    }

    #[test]
    fn long_unpunctuated_speech_is_windowed() {
        let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let c = split(&words.join(" "));
        assert_eq!(c[0].split(' ').count(), 40);
        assert!(c.len() >= 4, "{}", c.len());
        assert!(c[1..].iter().all(|w| w.split(' ').count() <= WINDOW));
        assert!(c.last().unwrap().ends_with("w39"));
    }
}
