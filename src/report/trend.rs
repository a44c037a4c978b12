//! Progress across calls: the rules that fired over a run of calls, and the earlier half of
//! the calls against the later half (flags per call, by rule; talk share; practices done), so a
//! rep sees whether they chase less than before.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::figures::{Limit, talk_limit};
use super::rows::{limit_text, percent};
use super::summary::CallRow;
use super::time::local_date;
use crate::rules::CompiledRules;

/// Averages over a run of calls.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub calls: usize,
    pub flags_per_call: f64,
    /// Flags per call, by rule id.
    pub by_rule: BTreeMap<String, f64>,
    /// Mean talk share of the calls where anyone spoke.
    pub talk_share: Option<f64>,
    pub practices_done: f64,
    pub practices_total: f64,
}

impl Period {
    pub fn of(rows: &[CallRow]) -> Self {
        let n = rows.len().max(1) as f64;
        let mut by_rule: BTreeMap<String, f64> = BTreeMap::new();
        for r in rows {
            for (rule, c) in &r.flags {
                *by_rule.entry(rule.clone()).or_default() += f64::from(*c) / n;
            }
        }
        let shares: Vec<f64> = rows.iter().filter_map(|r| r.talk_share_me).collect();
        Self {
            calls: rows.len(),
            flags_per_call: rows.iter().map(|r| f64::from(r.flags_total)).sum::<f64>() / n,
            by_rule,
            talk_share: (!shares.is_empty())
                .then(|| shares.iter().sum::<f64>() / shares.len() as f64),
            practices_done: rows.iter().map(|r| r.practices_done as f64).sum::<f64>() / n,
            practices_total: rows.iter().map(|r| r.practices_total as f64).sum::<f64>() / n,
        }
    }
}

/// A row of the comparison: a label, one value per period, a note (rule id or limit).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub label: String,
    pub values: Vec<String>,
    pub note: String,
}

/// The earlier/later comparison table.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub heads: Vec<String>,
    pub rows: Vec<Row>,
}

/// The trend over calls, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub rows: Vec<CallRow>,
    /// Rules that fired in any of the calls, (id, title), most flags first.
    pub rules: Vec<(String, String)>,
    /// All calls, then (with two calls or more) the earlier and the later half.
    pub all: Period,
    pub halves: Option<(Period, Period)>,
    /// The talk-ratio limit of the rules in force.
    pub talk_limit: Limit,
}

impl Trend {
    /// The trend over `rows` with the titles and talk-ratio limit of the rules in force.
    pub fn with_rules(rows: Vec<CallRow>, rules: &CompiledRules) -> Self {
        let titles: BTreeMap<String, String> = rules
            .set
            .rules
            .iter()
            .map(|r| (r.id.clone(), r.title.clone()))
            .collect();
        Self::new(rows, &titles, talk_limit(&rules.set.rules))
    }

    /// `titles` names rules by id (the rules in force).
    pub fn new(rows: Vec<CallRow>, titles: &BTreeMap<String, String>, talk_limit: Limit) -> Self {
        let all = Period::of(&rows);
        let mut rules: Vec<(String, String)> = all
            .by_rule
            .keys()
            .map(|id| {
                (
                    id.clone(),
                    titles.get(id).cloned().unwrap_or_else(|| id.clone()),
                )
            })
            .collect();
        rules.sort_by(|a, b| all.by_rule[&b.0].total_cmp(&all.by_rule[&a.0]));
        let halves = (rows.len() >= 2).then(|| {
            let (a, b) = rows.split_at(rows.len() / 2);
            (Period::of(a), Period::of(b))
        });
        Self {
            rows,
            rules,
            all,
            halves,
            talk_limit,
        }
    }

    /// "2026-11-02 to 2026-11-23".
    pub fn span(&self) -> String {
        let date = |r: Option<&CallRow>| {
            r.and_then(|r| r.start)
                .map(local_date)
                .unwrap_or_else(|| "?".into())
        };
        let (a, b) = (date(self.rows.first()), date(self.rows.last()));
        if a == b { a } else { format!("{a} to {b}") }
    }

    /// The comparison table: a column per period.
    pub fn comparison(&self) -> Comparison {
        let periods: Vec<&Period> = match &self.halves {
            Some((a, b)) => vec![a, b],
            None => vec![&self.all],
        };
        let heads = match &self.halves {
            Some((a, b)) => vec![
                format!("earlier {} calls", a.calls),
                format!("later {} calls", b.calls),
            ],
            None => vec!["this call".to_string()],
        };
        let row = |label: String, value: &dyn Fn(&Period) -> String, note: String| Row {
            label,
            values: periods.iter().map(|p| value(p)).collect(),
            note,
        };
        let mut rows = vec![row(
            "Flags per call".into(),
            &|p| format!("{:.1}", p.flags_per_call),
            String::new(),
        )];
        for (id, title) in &self.rules {
            rows.push(row(
                format!("  {title}"),
                &|p| format!("{:.1}", p.by_rule.get(id).copied().unwrap_or(0.0)),
                id.clone(),
            ));
        }
        rows.push(row(
            "Your talk share".into(),
            &|p| p.talk_share.map_or("-".into(), percent),
            limit_text(&self.talk_limit, percent),
        ));
        rows.push(row(
            "Practices done".into(),
            &|p| format!("{:.1} of {:.0}", p.practices_done, p.practices_total),
            String::new(),
        ));
        Comparison { heads, rows }
    }

    /// The trend as text for a terminal.
    pub fn text(&self) -> String {
        let mut out = format!(
            "Trend over {} call(s), {}\n\n",
            self.rows.len(),
            self.span()
        );
        let table = self.comparison();
        let _ = write!(out, "{:<34}", "");
        for h in &table.heads {
            let _ = write!(out, "{h:>18}");
        }
        out.push('\n');
        for r in table.rows {
            let _ = write!(out, "{:<34}", r.label);
            for v in r.values {
                let _ = write!(out, "{v:>18}");
            }
            let _ = writeln!(out, "   {}", r.note);
        }
        out.push_str("\nCharts per call: warmcall report --trend --open (or --html FILE).\n");
        out
    }
}
