//! Splits text into word tokens with byte ranges, keeping what lies between them ("glue"), so
//! the detectors can see how numbers and words are joined ("4111-1111", "2:30", "acme.com").

use std::ops::Range;

/// A maximal run of letters and digits (an apostrophe between letters stays inside: "we're").
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Byte range in the text.
    pub range: Range<usize>,
    /// Lowercase text.
    pub lower: String,
    /// Only ASCII digits.
    pub digits: bool,
}

/// Tokens of `text` in order.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_alnum = chars.peek().is_some_and(|&(_, n)| n.is_alphanumeric());
        let inner_apostrophe = (c == '\'' || c == '\u{2019}') && start.is_some() && next_alnum;
        if c.is_alphanumeric() || inner_apostrophe {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(token(text, s..i));
        }
    }
    if let Some(s) = start {
        out.push(token(text, s..text.len()));
    }
    out
}

fn token(text: &str, range: Range<usize>) -> Token {
    let s = &text[range.clone()];
    Token {
        digits: s.bytes().all(|b| b.is_ascii_digit()),
        lower: s.to_lowercase(),
        range,
    }
}

/// The text between token `i - 1` and token `i` (before the first token: from the start).
pub fn glue_before<'a>(text: &'a str, tokens: &[Token], i: usize) -> &'a str {
    let from = if i == 0 { 0 } else { tokens[i - 1].range.end };
    &text[from..tokens[i].range.start]
}

/// The text between token `i` and token `i + 1` (after the last token: to the end).
pub fn glue_after<'a>(text: &'a str, tokens: &[Token], i: usize) -> &'a str {
    let to = tokens.get(i + 1).map_or(text.len(), |t| t.range.start);
    &text[tokens[i].range.end..to]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_digits_and_glue() {
        let text = "Call (555) 123-4567, we're here.";
        let t = tokenize(text);
        let words: Vec<&str> = t.iter().map(|t| t.lower.as_str()).collect();
        assert_eq!(words, ["call", "555", "123", "4567", "we're", "here"]);
        assert!(t[1].digits && !t[4].digits);
        assert_eq!(glue_before(text, &t, 1), " (");
        assert_eq!(glue_after(text, &t, 1), ") ");
        assert_eq!(glue_after(text, &t, 5), ".");
        assert_eq!(glue_before(text, &t, 0), "");
    }

    #[test]
    fn odd_text_does_not_panic() {
        for s in ["", "'", "a'", "'a", "ΣΑΣ 12.", "🙂 1 🙂", "İstanbul 4"] {
            let _ = tokenize(s);
        }
    }
}
