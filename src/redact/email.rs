//! E-mail addresses, written ("john.smith@acme.com") or spoken the way whisper renders them
//! ("john dot smith at acme dot com", "jsmith at acme.com").
//!
//! An address is a local part, "@" or the word "at", and a domain of at least two labels
//! joined by "." or the word "dot" whose last label is a known top-level domain. A local part
//! of one plain word must not be an ordinary word of speech ("look at acme dot com", "the team
//! at acme.com" are not addresses); spoken, up to two more name-like words before it count
//! ("john smith at acme dot com").

use super::tokens::{Token, glue_after, glue_before};
use super::{Found, Kind};

const TLDS: &[&str] = &[
    "com", "org", "net", "edu", "gov", "mil", "int", "io", "co", "uk", "us", "ca", "de", "fr",
    "es", "it", "nl", "be", "ch", "at", "au", "nz", "ie", "in", "jp", "cn", "br", "mx", "se", "no",
    "dk", "fi", "pl", "pt", "eu", "ai", "app", "dev", "biz", "info", "me", "tv", "xyz", "tech",
    "cloud", "online", "store", "shop",
];

/// Words that are speech, not a mailbox name, when they stand alone before "at".
const NOT_A_NAME: &[&str] = &[
    "a",
    "about",
    "address",
    "all",
    "also",
    "am",
    "an",
    "and",
    "as",
    "at",
    "by",
    "dot",
    "hello",
    "hi",
    "if",
    "no",
    "not",
    "of",
    "ok",
    "okay",
    "please",
    "thanks",
    "yes",
    "anyone",
    "anything",
    "are",
    "around",
    "arrive",
    "arrived",
    "back",
    "based",
    "be",
    "been",
    "best",
    "but",
    "call",
    "contact",
    "customers",
    "email",
    "end",
    "even",
    "everybody",
    "everyone",
    "find",
    "first",
    "folks",
    "for",
    "found",
    "from",
    "guys",
    "he",
    "her",
    "here",
    "him",
    "home",
    "i",
    "i'm",
    "in",
    "is",
    "it",
    "it's",
    "just",
    "last",
    "least",
    "live",
    "lives",
    "look",
    "looking",
    "mail",
    "me",
    "meet",
    "met",
    "most",
    "my",
    "now",
    "office",
    "on",
    "only",
    "or",
    "our",
    "out",
    "over",
    "page",
    "people",
    "point",
    "price",
    "reach",
    "right",
    "same",
    "saw",
    "see",
    "she",
    "site",
    "so",
    "somebody",
    "someone",
    "something",
    "start",
    "staff",
    "still",
    "team",
    "that",
    "that's",
    "the",
    "them",
    "then",
    "there",
    "there's",
    "these",
    "they",
    "they're",
    "this",
    "those",
    "time",
    "to",
    "up",
    "us",
    "was",
    "we",
    "we're",
    "website",
    "were",
    "what",
    "where",
    "with",
    "work",
    "worked",
    "working",
    "works",
    "write",
    "you",
    "you're",
    "your",
];

fn spoken_connector(w: &str) -> bool {
    matches!(w, "dot" | "underscore" | "dash" | "hyphen")
}

fn blank(g: &str) -> bool {
    !g.is_empty() && g.chars().all(char::is_whitespace)
}

/// The separator between tokens `i` and `i + 1` inside an address part, if they are joined
/// as one: tight "." "_" "-" "+" glue. Spoken connectors are tokens of their own.
fn tight_join(text: &str, tokens: &[Token], i: usize, chars: &str) -> bool {
    let g = glue_after(text, tokens, i);
    g.chars().count() == 1 && chars.contains(g)
}

/// The "at" between a local part and a domain at token `i` (spoken), or "@" glue before
/// token `i` (written). Returns (last token of the local part, first token of the domain).
fn at_sign(text: &str, tokens: &[Token], i: usize) -> Option<(usize, usize, bool)> {
    if i == 0 || i + 1 >= tokens.len() {
        return None;
    }
    if tokens[i].lower == "at"
        && blank(glue_before(text, tokens, i))
        && blank(glue_after(text, tokens, i))
    {
        return Some((i - 1, i + 1, true));
    }
    (glue_before(text, tokens, i).trim() == "@").then_some((i - 1, i, false))
}

/// The last token of a domain starting at token `from`, if it ends in a known TLD.
fn domain_end(text: &str, tokens: &[Token], from: usize) -> Option<usize> {
    let mut k = from;
    let mut end = None;
    loop {
        let next = if tight_join(text, tokens, k, ".") {
            k + 1
        } else if tight_join(text, tokens, k, "-") {
            k += 1;
            continue;
        } else if tokens.get(k + 1).is_some_and(|t| t.lower == "dot")
            && blank(glue_after(text, tokens, k))
            && blank(glue_after(text, tokens, k + 1))
        {
            k + 2
        } else {
            return end;
        };
        let Some(label) = tokens.get(next) else {
            return end;
        };
        if TLDS.contains(&label.lower.as_str()) {
            end = Some(next);
        }
        k = next;
    }
}

/// The first token of a local part ending at token `last`, if it is a mailbox name.
fn local_start(text: &str, tokens: &[Token], last: usize, spoken: bool) -> Option<usize> {
    let mut k = last;
    let mut joined = false;
    loop {
        if k >= 1 && tight_join(text, tokens, k - 1, "._-+") {
            k -= 1;
            joined = true;
        } else if k >= 2
            && spoken_connector(&tokens[k - 1].lower)
            && blank(glue_before(text, tokens, k))
            && blank(glue_before(text, tokens, k - 1))
        {
            k -= 2;
            joined = true;
        } else {
            break;
        }
    }
    if joined {
        return Some(k);
    }
    let name = |t: &Token| !NOT_A_NAME.contains(&t.lower.as_str()) && !spoken_connector(&t.lower);
    if !name(&tokens[k]) {
        return None;
    }
    // "john smith at acme dot com": name-like words before, spoken only.
    for _ in 0..2 {
        if spoken
            && k >= 1
            && blank(glue_before(text, tokens, k))
            && name(&tokens[k - 1])
            && tokens[k - 1].lower.chars().all(char::is_alphabetic)
        {
            k -= 1;
        }
    }
    Some(k)
}

/// E-mail addresses in `text`.
pub fn find(text: &str, tokens: &[Token], out: &mut Vec<Found>) {
    let mut i = 0;
    while i < tokens.len() {
        let found = at_sign(text, tokens, i).and_then(|(last, first, spoken)| {
            let end = domain_end(text, tokens, first)?;
            let start = local_start(text, tokens, last, spoken)?;
            Some((start, end))
        });
        match found {
            Some((start, end)) => {
                out.push(Found {
                    kind: Kind::Email,
                    range: tokens[start].range.start..tokens[end].range.end,
                });
                i = end + 1;
            }
            None => i += 1,
        }
    }
}
