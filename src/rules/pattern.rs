//! The phrase pattern language, compiled to regular expressions over normalised text.
//!
//! A pattern is a phrase of words, matched as whole words after the same normalisation speech
//! gets (`crate::text`). On top of plain words:
//!
//! | syntax | meaning |
//! |---|---|
//! | `(a \| b c)` | one of the alternatives |
//! | `[a b]` | optional words |
//! | `*` | any one word |
//! | `...` | up to three words |
//! | `#` | any number ("15", "2:30"; number words are digits after normalisation) |
//! | `re:…` | a raw regular expression over the normalised text |
//!
//! Limits keep a hostile or careless pattern cheap to refuse: its length is checked before
//! anything else ([`MAX_LEN`]), brackets nest at most [`MAX_DEPTH`] deep (the parser's
//! recursion is bounded by that depth), and its compiled regex may take at most
//! [`SIZE_LIMIT`] bytes.

use std::fmt;

use regex::{Regex, RegexBuilder};

use crate::text;

/// The longest pattern accepted, in bytes. Checked before the pattern is lexed.
pub const MAX_LEN: usize = 1000;

/// The deepest nesting of `( )` and `[ ]`.
pub const MAX_DEPTH: usize = 16;

/// Bytes one pattern's compiled regex may take (regex's `size_limit`); the largest built-in
/// pattern needs a small fraction of it.
pub const SIZE_LIMIT: usize = 2 << 20;

/// Why a pattern does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    OpenOpt,
    CloseOpt,
    Bar,
    Any,
    Gap,
    Number,
    Word(String),
}

fn lex(src: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, toks: &mut Vec<Tok>| {
        if !word.is_empty() {
            toks.push(Tok::Word(std::mem::take(word)));
        }
    };
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        let tok = match c {
            '(' => Tok::Open,
            ')' => Tok::Close,
            '[' => Tok::OpenOpt,
            ']' => Tok::CloseOpt,
            '|' => Tok::Bar,
            '*' => Tok::Any,
            '#' => Tok::Number,
            '.' if chars.peek() == Some(&'.') => {
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
                Tok::Gap
            }
            c if c.is_whitespace() => {
                flush(&mut word, &mut toks);
                continue;
            }
            c => {
                word.push(c);
                continue;
            }
        };
        flush(&mut word, &mut toks);
        toks.push(tok);
    }
    flush(&mut word, &mut toks);
    toks
}

/// One parsed item of a sequence: its regex, and whether it may match nothing.
struct Item {
    re: String,
    optional: bool,
    gap: bool,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    /// Brackets open around the current position.
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    /// alt := seq ('|' seq)*
    fn alt(&mut self) -> Result<String, PatternError> {
        let mut arms = vec![self.seq()?];
        while self.peek() == Some(&Tok::Bar) {
            self.pos += 1;
            arms.push(self.seq()?);
        }
        Ok(if arms.len() == 1 {
            arms.pop().expect("one arm")
        } else {
            format!("(?:{})", arms.join("|"))
        })
    }

    /// seq := item+, joined by single spaces; optional items carry their own space.
    fn seq(&mut self) -> Result<String, PatternError> {
        let mut items = Vec::new();
        while let Some(tok) = self.peek().cloned() {
            match tok {
                Tok::Bar | Tok::Close | Tok::CloseOpt => break,
                _ => {
                    self.pos += 1;
                    items.extend(self.item(tok)?);
                }
            }
        }
        if items.iter().all(|i| i.optional) {
            return Err(PatternError(
                "a pattern (or an alternative) must contain at least one required word".into(),
            ));
        }
        let mut out = String::new();
        let mut first_required_seen = false;
        let mut pending_leading = String::new();
        for item in items {
            if item.gap {
                if !first_required_seen {
                    return Err(PatternError("`...` cannot start a phrase".into()));
                }
                out.push_str(&item.re);
            } else if item.optional {
                if first_required_seen {
                    out.push_str(&format!("(?: {})?", item.re));
                } else {
                    pending_leading.push_str(&format!("(?:{} )?", item.re));
                }
            } else {
                if first_required_seen {
                    out.push(' ');
                } else {
                    out.push_str(&pending_leading);
                    first_required_seen = true;
                }
                out.push_str(&item.re);
            }
        }
        Ok(out)
    }

    fn item(&mut self, tok: Tok) -> Result<Vec<Item>, PatternError> {
        let req = |re: String| Item {
            re,
            optional: false,
            gap: false,
        };
        Ok(match tok {
            Tok::Word(w) => text::words(&w)
                .into_iter()
                .map(|w| req(regex::escape(&w)))
                .collect(),
            // Normalised text is words separated by single spaces, and numbers are ASCII
            // digits: these classes say exactly that and compile far smaller than `\S`/`\d`.
            Tok::Any => vec![req(r"[^ ]+".into())],
            Tok::Number => vec![req(r"[0-9]+(?:[:.][0-9]+)?".into())],
            Tok::Gap => vec![Item {
                re: r"(?: [^ ]+){0,3}".into(),
                optional: true,
                gap: true,
            }],
            Tok::Open => {
                let inner = self.nested()?;
                self.expect(Tok::Close, ")")?;
                vec![req(format!("(?:{inner})"))]
            }
            Tok::OpenOpt => {
                let inner = self.nested()?;
                self.expect(Tok::CloseOpt, "]")?;
                vec![Item {
                    re: format!("(?:{inner})"),
                    optional: true,
                    gap: false,
                }]
            }
            Tok::Close | Tok::CloseOpt | Tok::Bar => {
                return Err(PatternError(format!("unexpected `{}`", show(&tok))));
            }
        })
    }

    /// The alternatives inside a bracket, one level deeper; refused past `MAX_DEPTH`, so the
    /// recursion `alt → seq → item → nested` is bounded.
    fn nested(&mut self) -> Result<String, PatternError> {
        if self.depth >= MAX_DEPTH {
            return Err(PatternError(format!(
                "brackets are nested more than {MAX_DEPTH} levels deep"
            )));
        }
        self.depth += 1;
        let inner = self.alt();
        self.depth -= 1;
        inner
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), PatternError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(PatternError(format!("missing `{what}`")))
        }
    }
}

fn show(tok: &Tok) -> &str {
    match tok {
        Tok::Open => "(",
        Tok::Close => ")",
        Tok::OpenOpt => "[",
        Tok::CloseOpt => "]",
        Tok::Bar => "|",
        Tok::Any => "*",
        Tok::Gap => "...",
        Tok::Number => "#",
        Tok::Word(w) => w,
    }
}

/// Translate a pattern into a regex whose group 1 is the matched words, anchored at word
/// boundaries of normalised text. A `re:` pattern is passed through as written: [`compile`]
/// checks it.
pub fn to_regex(pattern: &str) -> Result<String, PatternError> {
    if pattern.len() > MAX_LEN {
        return Err(PatternError(format!(
            "the pattern is too long ({} bytes; at most {MAX_LEN})",
            pattern.len()
        )));
    }
    let body = if let Some(raw) = pattern.strip_prefix("re:") {
        raw.to_string()
    } else {
        let mut p = Parser {
            toks: lex(pattern),
            pos: 0,
            depth: 0,
        };
        if p.toks.is_empty() {
            return Err(PatternError("empty pattern".into()));
        }
        let re = p.alt()?;
        if let Some(tok) = p.peek() {
            return Err(PatternError(format!("unexpected `{}`", show(tok))));
        }
        re
    };
    Ok(format!("(?:^| )({body})(?: |$)"))
}

/// Compile a regex made by [`to_regex`] within the per-pattern limits.
pub fn build(re: &str) -> Result<Regex, PatternError> {
    RegexBuilder::new(re)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => PatternError(format!(
                "the pattern is too large for the matcher (its regular expression needs more \
                 than {} MiB); split it into simpler patterns",
                SIZE_LIMIT >> 20
            )),
            e => PatternError(format!("bad regular expression: {e}")),
        })
}

/// Translate and compile a pattern: every check a pattern gets.
pub fn compile(pattern: &str) -> Result<Regex, PatternError> {
    build(&to_regex(pattern)?)
}

/// A pattern as error messages quote it: whole if short, else its start and its length.
pub fn preview(pattern: &str) -> String {
    const SHOWN: usize = 40;
    if pattern.chars().count() <= SHOWN + 20 {
        return format!("{pattern:?}");
    }
    let start: String = pattern.chars().take(SHOWN).collect();
    format!("{start:?}… ({} bytes)", pattern.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> Option<String> {
        let re = compile(pattern).unwrap();
        re.captures(&text::normalize(text))
            .map(|c| c[1].to_string())
    }

    #[test]
    fn plain_phrases_match_whole_words() {
        assert_eq!(
            matches("following up", "Just, um, following-up!"),
            Some("following up".into())
        );
        assert_eq!(matches("follow", "following up"), None);
        assert_eq!(matches("i'm", "I am here"), Some("i am".into()));
    }

    #[test]
    fn alternatives_optionals_wildcards_numbers() {
        assert_eq!(
            matches("(check|checking) in", "just checking in"),
            Some("checking in".into())
        );
        assert_eq!(
            matches("[just] touching base", "touching base"),
            Some("touching base".into())
        );
        assert_eq!(
            matches("[just] touching base", "just touching base"),
            Some("just touching base".into())
        );
        assert_eq!(
            matches("any [new] update", "any new update"),
            Some("any new update".into())
        );
        assert_eq!(
            matches("sign * up", "sign them up"),
            Some("sign them up".into())
        );
        assert_eq!(
            matches("only until ... friday", "only until this coming Friday"),
            Some("only until this coming friday".into())
        );
        assert_eq!(
            matches("# percent", "fifteen percent off"),
            Some("15 percent".into())
        );
        assert_eq!(
            matches("re:we (are|were) the best", "We're the best"),
            Some("we are the best".into())
        );
    }

    #[test]
    fn bad_patterns_are_errors() {
        for p in ["", "(a|b", "a)", "[only]", "... a", "re:(", "a | "] {
            assert!(compile(p).is_err(), "{p:?} compiled");
        }
    }

    #[test]
    fn nesting_is_bounded_without_recursing_past_the_limit() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(compile(&ok).is_ok());
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(to_regex(&deep).unwrap_err().0.contains("nested"));
        // Far deeper than any stack allows, but shorter than the length cap: refused by depth.
        let deeper = format!("{}a", "[".repeat(MAX_LEN - 1));
        assert!(to_regex(&deeper).unwrap_err().0.contains("nested"));
    }

    #[test]
    fn length_is_checked_first() {
        let long = "(".repeat(10 << 20);
        let e = to_regex(&long).unwrap_err();
        assert!(e.0.contains("too long (10485760 bytes"), "{e}");
        assert!(compile(&format!("re:{}", "a".repeat(MAX_LEN))).is_err());
    }

    #[test]
    fn previews_are_short() {
        assert_eq!(preview("a b"), "\"a b\"");
        let p = preview(&"(".repeat(20_000));
        assert!(p.len() < 70 && p.ends_with("(20000 bytes)"), "{p}");
    }
}
