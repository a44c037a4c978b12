//! The HTML trend page: three small SVG charts over the calls (flags per call by rule, talk
//! share against the talk-ratio limit, practices done), the earlier/later comparison, and the
//! list of calls. Rendered by `templates/trend.html`. Stable ids for tests: `#flags-chart`,
//! `#share-chart`, `#practices-chart`, `.call[data-id]`.

use askama::Template;

use super::figures::Limit;
use super::summary::CallRow;
use super::time::{clock, local};
use super::trend::{Comparison, Trend};

const WIDTH: f64 = 1000.0;
const PLOT_X: f64 = 48.0;
const PLOT_W: f64 = WIDTH - PLOT_X - 10.0;
const PLOT_H: f64 = 120.0;
const TOP: f64 = 10.0;
/// Rule colours (`.r0` … in the stylesheet).
const PALETTE: usize = 10;

pub struct Bar {
    pub y: f64,
    pub h: f64,
    pub class: String,
    pub rule: String,
}

/// One call's column in the charts.
pub struct Column {
    pub id: String,
    pub x: f64,
    pub w: f64,
    pub cx: f64,
    pub title: String,
    pub flags: Vec<Bar>,
    pub share_y: Option<f64>,
    pub done: Bar,
    pub todo: Bar,
}

pub struct Legend {
    pub rule: String,
    pub title: String,
    pub class: String,
}

pub struct CallItem {
    pub id: String,
    pub start: String,
    pub length: String,
    pub flags: u32,
    pub share: String,
    pub practices: String,
}

/// The trend page.
#[derive(Template)]
#[template(path = "trend.html")]
pub struct TrendPage {
    pub calls: usize,
    pub span: String,
    pub width: f64,
    pub plot_x: f64,
    pub plot_end: f64,
    pub top: f64,
    pub bottom: f64,
    pub height: f64,
    pub max_flags: u32,
    pub max_practices: usize,
    pub limit_y: Option<f64>,
    pub limit_label: String,
    pub columns: Vec<Column>,
    pub polyline: Vec<(f64, f64)>,
    pub legend: Vec<Legend>,
    pub comparison: Comparison,
    pub items: Vec<CallItem>,
    pub version: &'static str,
}

fn y_of(fraction: f64) -> f64 {
    TOP + PLOT_H * (1.0 - fraction.clamp(0.0, 1.0))
}

fn column(
    r: &CallRow,
    i: usize,
    slot: f64,
    max_flags: u32,
    max_pr: usize,
    rules: &[Legend],
) -> Column {
    let w = (slot * 0.7).clamp(1.0, 40.0);
    let x = PLOT_X + i as f64 * slot + (slot - w) / 2.0;
    let mut base = 0u32;
    let flags = rules
        .iter()
        .filter_map(|l| {
            let n = *r.flags.get(&l.rule)?;
            let bar = Bar {
                y: y_of(f64::from(base + n) / f64::from(max_flags.max(1))),
                h: PLOT_H * f64::from(n) / f64::from(max_flags.max(1)),
                class: l.class.clone(),
                rule: l.rule.clone(),
            };
            base += n;
            Some(bar)
        })
        .collect();
    let pr = |n: usize| n as f64 / max_pr.max(1) as f64;
    let when = r.start.map(local).unwrap_or_else(|| r.id.clone());
    let by_rule: Vec<String> = r.flags.iter().map(|(k, v)| format!("{k} {v}")).collect();
    Column {
        id: r.id.clone(),
        x,
        w,
        cx: x + w / 2.0,
        title: format!(
            "{when} · {} · {} flags{}{} · talk share {} · practices {} of {}",
            clock(r.length),
            r.flags_total,
            if by_rule.is_empty() { "" } else { ": " },
            by_rule.join(", "),
            r.talk_share_me
                .map_or("-".into(), |s| format!("{:.0}%", s * 100.0)),
            r.practices_done,
            r.practices_total
        ),
        flags,
        share_y: r.talk_share_me.map(y_of),
        done: Bar {
            y: y_of(pr(r.practices_done)),
            h: PLOT_H * pr(r.practices_done),
            class: "done".into(),
            rule: String::new(),
        },
        todo: Bar {
            y: y_of(pr(r.practices_total)),
            h: PLOT_H * pr(r.practices_total),
            class: "todo".into(),
            rule: String::new(),
        },
    }
}

impl TrendPage {
    pub fn new(trend: &Trend) -> Self {
        let n = trend.rows.len().max(1);
        let slot = PLOT_W / n as f64;
        let max_flags = trend.rows.iter().map(|r| r.flags_total).max().unwrap_or(0);
        let max_pr = trend
            .rows
            .iter()
            .map(|r| r.practices_total)
            .max()
            .unwrap_or(0);
        let legend: Vec<Legend> = trend
            .rules
            .iter()
            .enumerate()
            .map(|(i, (rule, title))| Legend {
                rule: rule.clone(),
                title: title.clone(),
                class: format!("r{}", i % PALETTE),
            })
            .collect();
        let columns: Vec<Column> = trend
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| column(r, i, slot, max_flags, max_pr, &legend))
            .collect();
        let polyline = columns
            .iter()
            .filter_map(|c| c.share_y.map(|y| (c.cx, y)))
            .collect();
        let (limit_y, limit_label) = match &trend.talk_limit {
            Limit::Rule { rule, value, .. } => {
                (Some(y_of(*value)), format!("{rule} {:.0}%", value * 100.0))
            }
            _ => (None, String::new()),
        };
        TrendPage {
            calls: trend.rows.len(),
            span: trend.span(),
            width: WIDTH,
            plot_x: PLOT_X,
            plot_end: PLOT_X + PLOT_W,
            top: TOP,
            bottom: TOP + PLOT_H,
            height: TOP + PLOT_H + 26.0,
            max_flags,
            max_practices: max_pr,
            limit_y,
            limit_label,
            columns,
            polyline,
            legend,
            comparison: trend.comparison(),
            items: trend.rows.iter().map(item).collect(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// Date labels under the charts: first and last call.
    pub fn first_label(&self) -> String {
        self.items
            .first()
            .map(|i| i.start.clone())
            .unwrap_or_default()
    }

    pub fn last_label(&self) -> String {
        self.items
            .last()
            .map(|i| i.start.clone())
            .unwrap_or_default()
    }
}

fn item(r: &CallRow) -> CallItem {
    CallItem {
        id: r.id.clone(),
        start: r.start.map(local).unwrap_or_else(|| "-".into()),
        length: clock(r.length),
        flags: r.flags_total,
        share: r
            .talk_share_me
            .map_or("-".into(), |s| format!("{:.0}%", s * 100.0)),
        practices: format!("{} of {}", r.practices_done, r.practices_total),
    }
}
