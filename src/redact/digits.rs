//! Numbers that identify someone: card numbers (Luhn-checked), national-ID numbers and phone
//! numbers, written in digit groups ("4111 1111 1111 1111", "555-123-4567") or read out digit
//! by digit the way whisper renders speech ("four one one one, one one one one", "5 5 5 1 2 3
//! 4", "double five", "oh").
//!
//! A *run* is a stretch of digit groups joined only by spaces, dashes, commas, full stops or
//! brackets. Quantities are not runs: a group joined tightly to another by ",", ".", ":" or "/"
//! ("1,200", "2.5", "2:30", "3/15"), next to a currency sign or "%" ("$49", "15%"), or written
//! with letters ("3rd", "2pm") breaks the run, and number words other than single digits
//! ("forty", "two hundred") are words. A run is redacted only when its shape says what it is:
//! 13-19 digits passing Luhn, 3-2-4 (SSN) or 3-3-3 (SIN), a phone number's length and grouping,
//! or nine digits or more that are not a list, years or a round number.

use std::ops::Range;

use super::tokens::{Token, glue_after, glue_before};
use super::{Found, Kind};

/// How a group was joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sep {
    First,
    Space,
    Dash,
    Comma,
    Dot,
}

/// Digits given together: a written group ("4111") or digits read out one by one.
#[derive(Debug, Clone)]
struct Group {
    digits: String,
    spelled: bool,
    sep: Sep,
    range: Range<usize>,
}

/// A stretch of digit groups.
#[derive(Debug, Clone)]
struct Run {
    groups: Vec<Group>,
    plus: bool,
    start: usize,
}

fn digit_word(w: &str) -> Option<char> {
    Some(match w {
        "zero" | "nought" => '0',
        "one" => '1',
        "two" => '2',
        "three" => '3',
        "four" => '4',
        "five" => '5',
        "six" => '6',
        "seven" => '7',
        "eight" => '8',
        "nine" => '9',
        _ => return None,
    })
}

/// Digit tokens that belong to a quantity, not to a run: "1,200", "2.5", "2:30", "$49", "15%".
fn quantities(text: &str, tokens: &[Token]) -> Vec<bool> {
    let mut out = vec![false; tokens.len()];
    let tight = |i: usize| {
        i + 1 < tokens.len()
            && tokens[i].digits
            && tokens[i + 1].digits
            && matches!(glue_after(text, tokens, i), "," | "." | ":" | "/")
    };
    let mut i = 0;
    while i < tokens.len() {
        let mut j = i;
        while tight(j) {
            j += 1;
        }
        if j > i {
            // A dotted phone number (555.123.4567) is a run, any other tight chain a quantity.
            let lens: Vec<usize> = (i..=j).map(|k| tokens[k].lower.len()).collect();
            let dotted = (i..j).all(|k| glue_after(text, tokens, k) == ".");
            if !(dotted && lens == [3, 3, 4]) {
                out[i..=j].iter_mut().for_each(|q| *q = true);
            }
        }
        i = j + 1;
    }
    for (i, t) in tokens.iter().enumerate() {
        let before = glue_before(text, tokens, i);
        let after = glue_after(text, tokens, i);
        if t.digits && (before.ends_with(['$', '€', '£', '¥']) || after.starts_with(['%', '€']))
        {
            out[i] = true;
        }
    }
    out
}

/// Glue that may join two digit groups of one run.
fn run_glue(g: &str) -> Option<Sep> {
    if g.chars().count() > 5
        || !g
            .chars()
            .all(|c| c.is_whitespace() || "-–—,.()".contains(c))
        || g.chars().filter(|c| ",.".contains(*c)).count() > 1
    {
        return None;
    }
    Some(if g.contains(',') {
        Sep::Comma
    } else if g.contains('.') {
        Sep::Dot
    } else if g.contains(['-', '–', '—']) {
        Sep::Dash
    } else {
        Sep::Space
    })
}

/// The digits token `i` stands for: (digits, read out one by one, tokens used).
fn element(
    tokens: &[Token],
    quantity: &[bool],
    i: usize,
    first: bool,
) -> Option<(String, bool, usize)> {
    let t = tokens.get(i)?;
    if t.digits {
        return (!quantity[i]).then(|| (t.lower.clone(), t.lower.len() == 1, 1));
    }
    if let Some(d) = digit_word(&t.lower) {
        return Some((d.to_string(), true, 1));
    }
    if !first && (t.lower == "oh" || t.lower == "o") {
        return Some(("0".into(), true, 1));
    }
    let times = match t.lower.as_str() {
        "double" => 2,
        "triple" => 3,
        _ => return None,
    };
    let (d, spelled, _) = element(tokens, quantity, i + 1, false)?;
    (spelled && d.len() == 1).then(|| (d.repeat(times), true, 2))
}

/// The run starting at token `i`, and the index of the token after it.
fn run_at(text: &str, tokens: &[Token], quantity: &[bool], i: usize) -> Option<(Run, usize)> {
    let mut k = i;
    let mut plus = glue_before(text, tokens, i).trim_end().ends_with('+');
    if tokens[i].lower == "plus" && element(tokens, quantity, i + 1, true).is_some() {
        plus = true;
        k += 1;
    }
    let mut run = Run {
        groups: Vec::new(),
        plus,
        start: tokens[i].range.start,
    };
    let before = glue_before(text, tokens, i).trim_end();
    if before.ends_with(['+', '(']) {
        run.start -= before.len() - before.trim_end_matches(['+', '(']).len();
    }
    let mut sep = Sep::First;
    while let Some((digits, spelled, used)) = element(tokens, quantity, k, run.groups.is_empty()) {
        let range = tokens[k].range.start..tokens[k + used - 1].range.end;
        match run.groups.last_mut() {
            Some(g) if spelled && g.spelled && matches!(sep, Sep::Space | Sep::Dash) => {
                g.digits.push_str(&digits);
                g.range.end = range.end;
            }
            _ => run.groups.push(Group {
                digits,
                spelled,
                sep,
                range,
            }),
        }
        k += used;
        if k >= tokens.len() {
            break;
        }
        match run_glue(glue_before(text, tokens, k)) {
            Some(s) => sep = s,
            None => break,
        }
    }
    (!run.groups.is_empty()).then_some((run, k))
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

impl Run {
    fn digits(&self) -> String {
        self.groups.iter().map(|g| g.digits.as_str()).collect()
    }

    fn lens(&self) -> Vec<usize> {
        self.groups.iter().map(|g| g.digits.len()).collect()
    }

    /// Most digits were read out one by one.
    fn spelled(&self) -> bool {
        let spelled: usize = self
            .groups
            .iter()
            .filter(|g| g.spelled)
            .map(|g| g.digits.len())
            .sum();
        spelled * 2 > self.digits().len()
    }

    fn seps(&self) -> impl Iterator<Item = Sep> + '_ {
        self.groups.iter().skip(1).map(|g| g.sep)
    }

    /// "2021, 2022, 2023": years, not a number.
    fn years(&self) -> bool {
        self.groups.len() >= 2
            && self.groups.iter().all(|g| {
                !g.spelled
                    && g.digits.len() == 4
                    && (1900..=2099).contains(&g.digits.parse::<u32>().unwrap_or(0))
            })
    }

    /// "10, 20, 30", "1200, 2300" or "one, two, three": a list of numbers, not one number.
    fn list(&self) -> bool {
        self.groups.len() >= 2
            && self.seps().all(|s| s == Sep::Comma)
            && !self.groups.iter().any(|g| g.spelled && g.digits.len() >= 2)
    }

    fn card(&self) -> bool {
        let d = self.digits();
        let lens = self.lens();
        let (last, init) = lens.split_last().unwrap_or((&0, &[]));
        let shape = lens.len() == 1
            || (init.iter().all(|&l| l == 4) && (1..=4).contains(last))
            || lens == [4, 6, 5]
            || lens == [4, 6, 4];
        (13..=19).contains(&d.len())
            && luhn(&d)
            && (shape || (self.spelled() && !self.list()))
            && !self.years()
    }

    fn national_id(&self) -> bool {
        let d = self.digits();
        let lens = self.lens();
        let ssn = lens == [3, 2, 4]
            && !matches!(&d[..3], "000" | "666")
            && !d.starts_with('9')
            && &d[3..5] != "00"
            && &d[5..] != "0000";
        ssn || lens == [3, 3, 3]
    }

    fn phone(&self) -> bool {
        let d = self.digits();
        let lens = self.lens();
        let sp = self.spelled();
        let round = d.ends_with("000");
        if self.plus {
            return (8..=15).contains(&d.len());
        }
        let first = d.as_bytes()[0];
        match d.len() {
            7 => {
                // "555-1234", not a range of round numbers like "500-1000".
                let range = self.groups.iter().all(|g| g.digits.ends_with('0'));
                sp || (lens == [3, 4] && self.groups[1].sep == Sep::Dash && !range)
            }
            10 => sp || lens == [3, 3, 4] || (lens == [10] && !round),
            11 if first == b'1' => sp || [&[11][..], &[1, 3, 3, 4], &[1, 10]].contains(&&lens[..]),
            11 if first == b'0' => {
                sp || [
                    &[11][..],
                    &[3, 4, 4],
                    &[4, 3, 4],
                    &[5, 6],
                    &[5, 3, 3],
                    &[4, 7],
                ]
                .contains(&&lens[..])
            }
            _ => false,
        }
    }

    /// What this run is, judged by its shape alone.
    fn strict(&self) -> Option<Kind> {
        if self.card() {
            Some(Kind::Card)
        } else if self.list() {
            None
        } else if self.phone() {
            Some(Kind::Phone)
        } else if self.national_id() {
            Some(Kind::Id)
        } else {
            None
        }
    }

    /// Nine digits or more that are not a list, years or round quantities ("1000000000",
    /// "1500 2500 3500"): some identifier.
    fn other_identifier(&self) -> bool {
        let round = self
            .groups
            .iter()
            .all(|g| !g.spelled && g.digits.ends_with('0'));
        let d = self.digits();
        d.len() >= 9 && !self.list() && !self.years() && !round
    }

    fn range(&self) -> Range<usize> {
        self.start..self.groups.last().map_or(self.start, |g| g.range.end)
    }

    /// The run cut where groups are joined by a comma or full stop.
    fn segments(&self) -> Vec<Run> {
        let mut out: Vec<Run> = Vec::new();
        for g in &self.groups {
            match out.last_mut() {
                Some(r) if !matches!(g.sep, Sep::Comma | Sep::Dot) => r.groups.push(g.clone()),
                _ => out.push(Run {
                    start: if out.is_empty() {
                        self.start
                    } else {
                        g.range.start
                    },
                    plus: out.is_empty() && self.plus,
                    groups: vec![Group {
                        sep: Sep::First,
                        ..g.clone()
                    }],
                }),
            }
        }
        out
    }
}

/// What in one run is to be redacted.
fn judge(run: &Run, out: &mut Vec<Found>) {
    if let Some(kind) = run.strict() {
        out.push(Found {
            kind,
            range: run.range(),
        });
        return;
    }
    let before = out.len();
    let segments = run.segments();
    if segments.len() > 1 {
        for s in &segments {
            if let Some(kind) = s.strict() {
                out.push(Found {
                    kind,
                    range: s.range(),
                });
            }
        }
    }
    if out.len() == before && run.other_identifier() {
        out.push(Found {
            kind: Kind::Id,
            range: run.range(),
        });
    }
}

/// Card, ID and phone numbers in `text`.
pub fn find(text: &str, tokens: &[Token], out: &mut Vec<Found>) {
    let quantity = quantities(text, tokens);
    let mut i = 0;
    while i < tokens.len() {
        match run_at(text, tokens, &quantity, i) {
            Some((run, next)) => {
                judge(&run, out);
                i = next;
            }
            None => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_one_digit_off() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("5500000000000004"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111111111111112"));
    }

    #[test]
    fn quantities_are_not_runs() {
        let text = "$1,200 at 2:30, 15% or 2.5 and 555.123.4567";
        let t = super::super::tokens::tokenize(text);
        let q = quantities(text, &t);
        let marked: Vec<&str> = t
            .iter()
            .zip(&q)
            .filter(|(_, q)| **q)
            .map(|(t, _)| t.lower.as_str())
            .collect();
        assert_eq!(marked, ["1", "200", "2", "30", "15", "2", "5"]);
    }
}
