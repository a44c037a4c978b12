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

use std::fmt;

use crate::text;

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
            Tok::Any => vec![req(r"\S+".into())],
            Tok::Number => vec![req(r"\d+(?:[:.]\d+)?".into())],
            Tok::Gap => vec![Item {
                re: r"(?: \S+){0,3}".into(),
                optional: true,
                gap: true,
            }],
            Tok::Open => {
                let inner = self.alt()?;
                self.expect(Tok::Close, ")")?;
                vec![req(format!("(?:{inner})"))]
            }
            Tok::OpenOpt => {
                let inner = self.alt()?;
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
/// boundaries of normalised text.
pub fn to_regex(pattern: &str) -> Result<String, PatternError> {
    let body = if let Some(raw) = pattern.strip_prefix("re:") {
        regex_syntax_check(raw)?;
        raw.to_string()
    } else {
        let mut p = Parser {
            toks: lex(pattern),
            pos: 0,
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

fn regex_syntax_check(raw: &str) -> Result<(), PatternError> {
    regex::Regex::new(raw)
        .map(|_| ())
        .map_err(|e| PatternError(format!("bad regular expression: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, text: &str) -> Option<String> {
        let re = regex::Regex::new(&to_regex(pattern).unwrap()).unwrap();
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
            assert!(to_regex(p).is_err(), "{p:?} compiled");
        }
    }
}
