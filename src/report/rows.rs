//! The figures of one call as labelled rows, each with the rule pack's threshold in words:
//! shared by the terminal report and the HTML page.

use super::figures::{Figures, Limit};
use super::time::clock;

/// A row of the figures table.
pub struct FigureRow {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub limit: String,
    pub over: bool,
}

/// How a limit reads beside a figure.
pub fn limit_text(limit: &Limit, unit: impl Fn(f64) -> String) -> String {
    match limit {
        Limit::Rule {
            rule,
            value,
            over: Some(over),
        } => format!(
            "{rule}: at most {} of the last {}",
            unit(*value),
            clock(*over)
        ),
        Limit::Rule { rule, value, .. } => format!("{rule}: {}", unit(*value)),
        Limit::Off { rule } => format!("{rule} is turned off"),
        Limit::None => "no rule".to_string(),
    }
}

pub fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// The figures as table rows: (id, label, value, limit, over the limit).
pub fn figure_rows(f: &Figures) -> Vec<FigureRow> {
    let s = &f.summary;
    let talk = s.talk_s_me + s.talk_s_them > 0.0;
    let (done, of) = f.practices_done();
    let gaps = f.lost_audio;
    vec![
        FigureRow {
            id: "talk-share",
            label: "Your talk share",
            value: if talk {
                format!(
                    "{} (you {} · them {})",
                    percent(s.talk_share_me),
                    clock(s.talk_s_me),
                    clock(s.talk_s_them)
                )
            } else {
                "no speech".into()
            },
            limit: limit_text(&f.talk_limit, percent),
            over: talk && f.talk_limit.exceeded_by(s.talk_share_me),
        },
        FigureRow {
            id: "longest-monologue",
            label: "Longest monologue",
            value: clock(s.longest_monologue_s),
            limit: limit_text(&f.monologue_limit, clock),
            over: f.monologue_limit.exceeded_by(s.longest_monologue_s),
        },
        FigureRow {
            id: "questions",
            label: "Questions asked",
            value: format!("you {} · them {}", s.questions_me, s.questions_them),
            limit: "no rule".into(),
            over: false,
        },
        FigureRow {
            id: "first-question",
            label: "Your first question",
            value: f
                .first_question
                .map_or("none".into(), |t| format!("at {}", clock(t))),
            limit: match &f.opening {
                Limit::Rule { rule, value, .. } => {
                    format!("{rule} watches the first {}", clock(*value))
                }
                other => limit_text(other, clock),
            },
            over: f.first_question.is_none_or(|t| f.opening.exceeded_by(t)),
        },
        FigureRow {
            id: "flags",
            label: "Flags",
            value: f.flags_total.to_string(),
            limit: "each rule's own".into(),
            over: false,
        },
        FigureRow {
            id: "practices",
            label: "Practices done",
            value: format!("{done} of {of}"),
            limit: "all of them".into(),
            over: false,
        },
        FigureRow {
            id: "lost-audio",
            label: "Audio lost",
            value: if gaps > 0.0 {
                format!("{:.1} s", gaps)
            } else {
                "none".into()
            },
            limit: "ideally none".into(),
            over: gaps > 0.0,
        },
    ]
}
