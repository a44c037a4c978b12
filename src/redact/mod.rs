//! Redaction of personal data in transcripts before anything is written: card numbers
//! (Luhn-checked), national-ID numbers, phone numbers and e-mail addresses become `[card]`,
//! `[id]`, `[phone]` and `[email]`.
//!
//! Pure and synchronous: text in, text out. It understands what speech-to-text writes, digits
//! in groups and digits read out as words ("four one one one …", "john dot smith at acme dot
//! com"), and the rule stage's normalised form of it (lowercase, digits spaced), so the same
//! call redacts a transcript line and a flag's evidence. Ordinary numbers of sales talk are
//! kept: quantities, prices, percentages, times, dates, years ("two hundred firms", "$1,200",
//! "15 percent", "the 3rd of March at 2:30", "2024"). See `digits`, `classify` and `email` for
//! the exact rules.
//!
//! For the hub, when `[log] redact` is on (the default): call [`redact`] on each transcript's
//! text before the rule stage and the sinks see it (a flag's evidence is then drawn from
//! redacted text; the rule stage's normalisation collapses repeated words, "one one one" →
//! "1", so digits cannot be recognised after it), and on each flag's evidence as well.

mod classify;
mod digits;
mod email;
mod tokens;

use std::borrow::Cow;
use std::ops::Range;

/// What kind of personal data was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Card,
    Id,
    Phone,
    Email,
}

impl Kind {
    /// The text that replaces it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Card => "[card]",
            Kind::Id => "[id]",
            Kind::Phone => "[phone]",
            Kind::Email => "[email]",
        }
    }
}

/// One piece of personal data in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub kind: Kind,
    /// Byte range in the text.
    pub range: Range<usize>,
}

/// Personal data in `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<Found> {
    let tokens = tokens::tokenize(text);
    let mut found = Vec::new();
    email::find(text, &tokens, &mut found);
    digits::find(text, &tokens, &mut found);
    found.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    let mut out: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if out.last().is_none_or(|l| f.range.start >= l.range.end) {
            out.push(f);
        }
    }
    out
}

/// `text` with every card number, ID number, phone number and e-mail address replaced by its
/// label. Borrowed unchanged when there is nothing to redact.
pub fn redact(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for f in found {
        out.push_str(&text[at..f.range.start]);
        out.push_str(f.kind.label());
        at = f.range.end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests;
