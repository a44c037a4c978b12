//! What a run of digit groups is, judged by its shape: a card number (13-19 digits passing
//! Luhn, grouped like a card or read out), a phone number (its length and grouping, or a
//! leading "+"), a national ID (SSN 3-2-4 with valid parts, SIN 3-3-3), or nine digits or more
//! that are not a list, years or round quantities (some other identifier). Anything else is an
//! ordinary number and stays.

use std::ops::Range;

use super::digits::{Group, Run, Sep};
use super::{Found, Kind};

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
    sum.is_multiple_of(10)
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
pub(super) fn judge(run: &Run, out: &mut Vec<Found>) {
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
}
