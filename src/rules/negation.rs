//! Whether a pattern's words are said inside a negation: "I'm not just following up",
//! "there's no limited time offer", "I'd never ask you to just trust me". A rep who denies the
//! habit is not showing it, so such a hit fires nothing (`rules::decide`).
//!
//! The scope is a short window before the matched words, within the same clause of the
//! utterance as written (a comma, full stop, question mark, colon, semicolon or dash ends it):
//! "No, trust me" is not negated. Two uses of "not" that carry the pressure instead of denying
//! it are kept apart: an imperative that opens a clause ("Don't miss out", "Do not wait") and
//! "not want to" ("you don't want to miss this"). The words are normalised as the patterns
//! see them (contractions expanded), so "won't miss out" is "will not miss out". Pure.

/// How many words before the match a negation reaches.
const WINDOW: usize = 5;

/// Words that negate what follows them.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "nothing", "none", "nobody", "without", "neither", "nor",
];

/// A word of the utterance, normalised, and whether a clause ends after it.
struct Word {
    text: String,
    ends_clause: bool,
}

fn words(raw: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    for token in raw.split_whitespace() {
        let ends_clause = token.ends_with([',', '.', ';', ':', '?', '!', '-', '—', '–']);
        let norm = crate::text::normalize(token);
        let mut parts = norm.split_whitespace().peekable();
        if parts.peek().is_none() {
            // A filler or a bare dash: keep the clause boundary on the word before.
            if ends_clause && let Some(last) = out.last_mut() {
                last.ends_clause = true;
            }
            continue;
        }
        while let Some(p) = parts.next() {
            out.push(Word {
                text: p.to_string(),
                ends_clause: ends_clause && parts.peek().is_none(),
            });
        }
    }
    out
}

/// Whether the normalised `evidence` (a pattern's matched words) is negated in `raw`, the
/// utterance as recognised. Evidence not found word for word is not negated.
pub fn negated(raw: &str, evidence: &str) -> bool {
    let ev: Vec<&str> = evidence.split_whitespace().collect();
    if ev.is_empty() {
        return false;
    }
    let w = words(raw);
    let Some(at) = w
        .windows(ev.len())
        .position(|win| win.iter().zip(&ev).all(|(a, b)| a.text == *b))
    else {
        return false;
    };
    for j in (at.saturating_sub(WINDOW)..at).rev() {
        if w[j].ends_clause {
            return false;
        }
        if !NEGATORS.contains(&w[j].text.as_str()) {
            continue;
        }
        let next = w.get(j + 1).map(|x| x.text.as_str());
        let imperative = w[j].text == "not"
            && j >= 1
            && w[j - 1].text == "do"
            && (j == 1 || w[j - 2].ends_clause);
        let pressing = w[j].text == "not" && next == Some("want");
        return !(imperative || pressing);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::negated;

    #[test]
    fn denials_are_negated() {
        for (raw, ev) in [
            (
                "I'd never ask you to just trust me, look at the numbers yourself.",
                "trust me",
            ),
            (
                "You won't miss out on anything if you wait until spring.",
                "miss out",
            ),
            (
                "There's no limited time offer here, the price is the price.",
                "limited time",
            ),
            (
                "I'm not just following up for the sake of it, has anything changed?",
                "just following up",
            ),
        ] {
            assert!(negated(raw, ev), "{raw}");
        }
    }

    #[test]
    fn pressure_that_uses_not_and_other_clauses_are_not_negated() {
        for (raw, ev) in [
            ("Don't miss out on this one.", "miss out"),
            ("Honestly? Do not miss out on this.", "miss out"),
            ("You don't want to miss out on this price.", "miss out"),
            ("No, trust me, this is the right call.", "trust me"),
            ("I know it's not easy. Trust me on this.", "trust me"),
            ("Just following up on my email.", "just following up"),
            (
                "If you can't decide today - trust me, it gets worse.",
                "trust me",
            ),
            // Too far back to reach the words.
            (
                "It is not that I want to say you should trust me",
                "trust me",
            ),
        ] {
            assert!(!negated(raw, ev), "{raw}");
        }
    }

    #[test]
    fn evidence_not_found_word_for_word_is_not_negated() {
        assert!(!negated("I am not sure.", "trust me"));
        assert!(!negated("", "trust me"));
        assert!(!negated("not trust me", ""));
    }
}
