//! Plain-text renderings for a terminal: one call's report, and the table of calls.

use std::fmt::Write;

use super::figures::Figures;
use super::log::CallLog;
use super::rows::figure_rows;
use super::summary::CallRow;
use super::time::{clock, local};
use super::timeline::Timeline;
use crate::event::Speaker;

/// Width of the terminal timeline strips.
const STRIP: usize = 60;

/// One call's report as text.
pub fn call(log: &CallLog, f: &Figures, tl: &Timeline) -> String {
    let mut out = String::new();
    let start = log.start();
    let when = start
        .and_then(|(wall, _)| wall.parse().ok())
        .map(|ts| format!("of {}", local(ts)))
        .unwrap_or_default();
    let source = start.map(|(_, s)| format!(" · {s}")).unwrap_or_default();
    let _ = writeln!(
        out,
        "Call {when} · {} long{source} · {}",
        clock(f.duration),
        log.call_id()
    );
    let _ = writeln!(out, "\nTimeline (0:00 to {})", clock(tl.duration));
    let _ = writeln!(out, "  {:<9}|{}|", "flags", tl.flag_strip(STRIP));
    for s in Speaker::BOTH {
        let _ = writeln!(out, "  {:<9}|{}|", s.label(), tl.strip(s, STRIP));
    }
    let _ = writeln!(out, "\nThe numbers (! = past the rule pack's limit)");
    for r in figure_rows(f) {
        let mark = if r.over { '!' } else { ' ' };
        let _ = writeln!(out, "{mark} {:<20} {:<34} {}", r.label, r.value, r.limit);
    }
    if f.recomputed {
        let _ = writeln!(
            out,
            "  (no call_end in the log: recomputed from its lines with the rules in force)"
        );
    }
    let _ = writeln!(out, "\nFlags ({})", tl.flags.len());
    for flag in &tl.flags {
        let title = if flag.title.is_empty() {
            &flag.rule
        } else {
            &flag.title
        };
        let _ = writeln!(
            out,
            "  {:>6}  {title} ({}): “{}”\n          {}",
            clock(flag.t),
            flag.rule,
            flag.evidence.as_str(),
            flag.suggestion
        );
    }
    let (done, of) = f.practices_done();
    let _ = writeln!(out, "\nPractices {done} of {of}");
    for p in &f.practices {
        let (mark, when) = match p.t {
            Some(t) if p.done => ('✓', format!("  at {}", clock(t))),
            _ => ('○', String::new()),
        };
        let _ = writeln!(out, "  {mark} {}{when}", p.title);
    }
    let lines = log.utterances().len();
    let _ = writeln!(
        out,
        "\nTranscript: {lines} lines, in the HTML report (--html FILE or --open)."
    );
    out
}

/// The table of calls for `warmcall calls`.
pub fn calls(rows: &[CallRow]) -> String {
    let mut out = format!(
        "{:<26} {:<17} {:>8} {:>6} {:>10}\n",
        "CALL", "START", "LENGTH", "FLAGS", "PRACTICES"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<26} {:<17} {:>8} {:>6} {:>10}",
            r.id,
            r.start.map(local).unwrap_or_else(|| "-".into()),
            clock(r.length),
            r.flags_total,
            format!("{} of {}", r.practices_done, r.practices_total),
        );
    }
    out
}
