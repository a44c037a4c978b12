//! Numbers that identify someone: card numbers (Luhn-checked), national-ID numbers and phone
//! numbers, written in digit groups ("4111 1111 1111 1111", "555-123-4567") or read out digit
//! by digit the way whisper renders speech ("four one one one, one one one one", "5 5 5 1 2 3
//! 4", "double five", "oh").
//!
//! A *run* is a stretch of digit groups joined only by spaces, dashes, commas, full stops or
//! brackets. Quantities are not runs: a group joined tightly to another by ",", ".", ":" or "/"
//! ("1,200", "2.5", "2:30", "3/15"), next to a currency sign or "%" ("$49", "15%"), or written
//! with letters ("3rd", "2pm") breaks the run, and number words other than single digits
//! ("forty", "two hundred") are words. `classify` decides what a run is; most runs are nothing.

use std::ops::Range;

use super::Found;
use super::classify::judge;
use super::tokens::{Token, glue_after, glue_before};

/// How a group was joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Sep {
    First,
    Space,
    Dash,
    Comma,
    Dot,
}

/// Digits given together: a written group ("4111") or digits read out one by one.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) digits: String,
    pub(super) spelled: bool,
    pub(super) sep: Sep,
    pub(super) range: Range<usize>,
}

/// A stretch of digit groups.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub(super) groups: Vec<Group>,
    pub(super) plus: bool,
    pub(super) start: usize,
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
