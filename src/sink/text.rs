//! A readable live view of the event log for a person at a terminal
//! (`warmcall run --headless --format text`): one line per transcript, each flag with its
//! evidence and suggestion, gaps, and a one-line summary when the call ends. Speech-timing
//! lines are left out. JSON Lines stay the default and the contract; this view is for eyes
//! only and may change.

use std::fmt::Write as _;
use std::io::{self, Write};

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::EventSink;
use crate::event::{Event, Flag, Severity, Summary, clock};

/// Width of the call-time column.
const TIME: usize = 7;
/// Width of the speaker or marker column.
const WHO: usize = 9;

/// The text view on stdout, one `write_all` and flush per event.
pub struct TextView;

impl EventSink for TextView {
    fn write(&mut self, event: &Event) -> io::Result<()> {
        let Some(text) = render(event) else {
            return Ok(());
        };
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    fn name(&self) -> &'static str {
        "stdout (text)"
    }
}

/// An event as the lines the text view prints (newline-terminated), or `None` for events it
/// leaves out (speech timing, partial text).
pub fn render(event: &Event) -> Option<String> {
    let mut out = String::new();
    match event {
        Event::CallStart {
            t, call_id, wall, ..
        } => {
            let when = local_time(wall).unwrap_or_else(|| wall.clone());
            line(
                &mut out,
                *t,
                "──",
                &format!("Call started {when} ({call_id})"),
            );
        }
        Event::Speech { .. } => return None,
        Event::Transcript(tr) if !tr.is_final => return None,
        Event::Transcript(tr) => line(&mut out, tr.start, tr.speaker.label(), tr.text.as_str()),
        Event::Flag(f) => flag(&mut out, f),
        Event::Gap(g) => {
            let what = format!(
                "{} not coached until {}: {}",
                g.speaker.label(),
                clock(g.until),
                g.reason
            );
            line(&mut out, g.t, "gap", &what);
        }
        Event::CallEnd { t, summary } => {
            let what = format!("Call ended, {} long: {}", clock(*t), summary_text(summary));
            line(&mut out, *t, "──", &what);
        }
    }
    Some(out)
}

/// One line: call time, a marker or speaker, the text.
fn line(out: &mut String, t: f64, who: &str, text: &str) {
    let _ = writeln!(out, "{:>TIME$}  {who:<WHO$} {text}", clock(t));
}

fn flag(out: &mut String, f: &Flag) {
    let mark = match f.severity {
        Severity::Info => "· cue",
        Severity::Warn => "! cue",
        Severity::Alert => "!! cue",
    };
    let title = if f.title.is_empty() {
        &f.rule
    } else {
        &f.title
    };
    line(
        out,
        f.t,
        mark,
        &format!("{title} ({}): “{}”", f.rule, f.evidence.as_str()),
    );
    let _ = writeln!(out, "{:>w$}→ {}", "", f.suggestion, w = TIME + 2 + WHO + 1);
}

/// `3 cues (chasing 2, pitch-opening 1) · you talked 62% · 2 of 5 practices`.
fn summary_text(s: &Summary) -> String {
    let total = s.cues();
    let mut by_rule: Vec<(&String, &u32)> = s.flags.iter().filter(|(_, n)| **n > 0).collect();
    by_rule.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let rules: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let cues = match total {
        0 => "no cues".to_string(),
        1 => format!("1 cue ({})", rules.join(", ")),
        n => format!("{n} cues ({})", rules.join(", ")),
    };
    let (done, of) = s.practices_done();
    format!(
        "{cues} · you talked {:.0}% · {done} of {of} practices",
        s.talk_share_me * 100.0,
    )
}

/// An RFC 3339 `wall` in the local time zone, `2026-11-23 10:02:11`.
fn local_time(wall: &str) -> Option<String> {
    let at: Timestamp = wall.parse().ok()?;
    Some(
        at.to_zoned_datetime(TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::event::{Gap, Practice, Speaker, Transcript};

    fn transcript(is_final: bool) -> Event {
        Event::Transcript(Transcript {
            t: 16.0,
            speaker: Speaker::Me,
            start: 13.5,
            end: 15.9,
            text: "So what is your budget?".into(),
            is_final,
        })
    }

    #[test]
    fn transcripts_flags_and_gaps_read_as_lines() {
        assert_eq!(
            render(&transcript(true)).unwrap(),
            "   0:14  You       So what is your budget?\n"
        );
        assert_eq!(render(&transcript(false)), None);
        let speech = Event::Speech {
            t: 1.0,
            speaker: Speaker::Them,
            start: 0.0,
            end: 1.0,
        };
        assert_eq!(render(&speech), None);
        let flag = Event::Flag(Flag {
            t: 16.0,
            rule: "early-qualification".into(),
            speaker: Speaker::Me,
            severity: Severity::Warn,
            evidence: "what is your budget".into(),
            suggestion: "Ask what they are trying to fix first.".into(),
            title: "Qualifying too early".into(),
            notified: true,
        });
        let text = render(&flag).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "   0:16  ! cue     Qualifying too early (early-qualification): “what is your budget”"
        );
        assert_eq!(
            lines[1].trim_start(),
            "→ Ask what they are trying to fix first."
        );
        assert_eq!(lines[1].find('→'), lines[0].find("Qualifying"));
        let gap = Event::Gap(Gap {
            t: 40.0,
            speaker: Speaker::Them,
            reason: "capture device lost".into(),
            until: 43.5,
        });
        assert_eq!(
            render(&gap).unwrap(),
            "   0:40  gap       Prospect not coached until 0:44: capture device lost\n"
        );
    }

    #[test]
    fn the_call_end_line_sums_up_cues_talk_and_practices() {
        let practice = |done| Practice {
            done,
            t: done.then_some(30.0),
        };
        let summary = Summary {
            talk_share_me: 0.622,
            talk_share_them: 0.378,
            talk_s_me: 40.0,
            talk_s_them: 24.0,
            longest_monologue_s: 20.0,
            questions_me: 2,
            questions_them: 1,
            flags: BTreeMap::from([
                ("chasing".to_string(), 2),
                ("monologue".to_string(), 0),
                ("pitch-opening".to_string(), 1),
            ]),
            practices: BTreeMap::from([
                ("asked-feedback".to_string(), practice(true)),
                ("no-is-fine".to_string(), practice(false)),
            ]),
        };
        let end = render(&Event::CallEnd { t: 79.3, summary }).unwrap();
        assert_eq!(
            end,
            "   1:19  ──        Call ended, 1:19 long: 3 cues (chasing 2, pitch-opening 1) · \
             you talked 62% · 1 of 2 practices\n"
        );
    }
}
