//! The HTML report of one call: a view model of plain values (labels, coordinates) rendered by
//! the askama template `templates/report.html`. Self-contained: inline CSS and SVG, nothing
//! loaded from anywhere. Stable ids and classes for tests: `#timeline`, `.flag-marker` and
//! `li.flag[data-rule]`, `#figures tr[data-figure]`, `li.practice[data-id][data-done]`,
//! `#transcript`.

use askama::Template;

use super::figures::Figures;
use super::log::CallLog;
use super::rows::{FigureRow, figure_rows};
use super::time::{clock, local};
use super::timeline::Timeline;
use crate::event::{Event, Flag, Severity, Speaker};

/// SVG user units: the drawing scales to the page width.
const WIDTH: f64 = 1000.0;
const PLOT_X: f64 = 96.0;
const PLOT_W: f64 = WIDTH - PLOT_X - 12.0;
const MARKER_ROWS: usize = 3;
const ROW_H: f64 = 14.0;
const LANE_H: f64 = 26.0;

pub fn severity_class(s: Severity) -> &'static str {
    match s {
        Severity::Info => "sev-info",
        Severity::Warn => "sev-warn",
        Severity::Alert => "sev-alert",
    }
}

pub struct Rect {
    pub x: f64,
    pub w: f64,
    pub title: String,
}

pub struct Lane {
    pub speaker: &'static str,
    pub label: &'static str,
    pub y: f64,
    pub talk: Vec<Rect>,
    pub gaps: Vec<Rect>,
}

pub struct Marker {
    pub n: usize,
    pub x: f64,
    pub y: f64,
    pub rule: String,
    pub severity: &'static str,
    pub t: f64,
    pub title: String,
}

pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// The timeline drawing.
pub struct TimelineSvg {
    pub width: f64,
    pub height: f64,
    pub plot_x: f64,
    pub plot_end: f64,
    pub lane_h: f64,
    /// Top and bottom of the lanes, for marker lines and ticks.
    pub lanes_top: f64,
    pub lanes_bottom: f64,
    pub lanes: Vec<Lane>,
    pub markers: Vec<Marker>,
    pub ticks: Vec<Tick>,
}

impl TimelineSvg {
    fn new(tl: &Timeline) -> Self {
        let d = tl.duration.max(1.0);
        let x = |t: f64| PLOT_X + (t / d).clamp(0.0, 1.0) * PLOT_W;
        let w = |a: f64, b: f64| (x(b) - x(a)).max(1.0);
        let lanes_top = MARKER_ROWS as f64 * ROW_H + 8.0;
        let lanes = Speaker::BOTH
            .iter()
            .enumerate()
            .map(|(i, &s)| Lane {
                speaker: s.as_str(),
                label: s.label(),
                y: lanes_top + i as f64 * (LANE_H + 8.0),
                talk: tl.lanes[s.index()]
                    .iter()
                    .map(|&(a, b)| Rect {
                        x: x(a),
                        w: w(a, b),
                        title: format!("{} {}–{}", s.label(), clock(a), clock(b)),
                    })
                    .collect(),
                gaps: tl
                    .gaps
                    .iter()
                    .filter(|g| g.speaker == s)
                    .map(|g| Rect {
                        x: x(g.from),
                        w: w(g.from, g.until),
                        title: format!(
                            "Audio lost {}–{}: {}",
                            clock(g.from),
                            clock(g.until),
                            g.reason
                        ),
                    })
                    .collect(),
            })
            .collect();
        let lanes_bottom = lanes_top + 2.0 * LANE_H + 8.0;
        let markers = markers(&tl.flags, &x);
        let ticks = tl
            .ticks(10)
            .into_iter()
            .map(|t| Tick {
                x: x(t),
                label: clock(t),
            })
            .collect();
        Self {
            width: WIDTH,
            height: lanes_bottom + 24.0,
            plot_x: PLOT_X,
            plot_end: PLOT_X + PLOT_W,
            lane_h: LANE_H,
            lanes_top,
            lanes_bottom,
            lanes,
            markers,
            ticks,
        }
    }
}

/// Flag markers above the lanes; one closer than 12 units to the previous one steps down a row.
fn markers(flags: &[Flag], x: &dyn Fn(f64) -> f64) -> Vec<Marker> {
    let mut markers: Vec<Marker> = Vec::with_capacity(flags.len());
    for (n, f) in flags.iter().enumerate() {
        // Markers closer than 12 units to the previous one step down a row.
        let mx = x(f.t);
        let row = match markers.last() {
            Some(m) if mx - m.x < 12.0 => ((m.y / ROW_H) as usize + 1) % MARKER_ROWS,
            _ => 0,
        };
        markers.push(Marker {
            n: n + 1,
            x: mx,
            y: row as f64 * ROW_H + 10.0,
            rule: f.rule.clone(),
            severity: severity_class(f.severity),
            t: f.t,
            title: format!(
                "{} {} ({}): “{}” — {}",
                clock(f.t),
                flag_title(f),
                f.rule,
                f.evidence.as_str(),
                f.suggestion
            ),
        });
    }
    markers
}

fn flag_title(f: &Flag) -> &str {
    if f.title.is_empty() {
        &f.rule
    } else {
        &f.title
    }
}

pub struct FlagItem {
    pub n: usize,
    pub rule: String,
    pub title: String,
    pub severity: &'static str,
    pub t: f64,
    pub time: String,
    pub evidence: String,
    pub suggestion: String,
}

pub struct PracticeItem {
    pub id: String,
    pub title: String,
    pub done: bool,
    pub when: String,
}

pub struct Line {
    pub speaker: &'static str,
    pub who: &'static str,
    pub time: String,
    pub text: String,
    pub partial: bool,
}

/// The call report page.
#[derive(Template)]
#[template(path = "report.html")]
pub struct CallPage {
    pub call_id: String,
    pub started: Option<String>,
    pub source: Option<String>,
    pub length: String,
    pub recomputed: bool,
    pub from_transcripts: bool,
    pub timeline: TimelineSvg,
    pub figures: Vec<FigureRow>,
    pub by_rule: Vec<(String, String, u32)>,
    pub flags: Vec<FlagItem>,
    pub practices: Vec<PracticeItem>,
    pub practices_done: String,
    pub lines: Vec<Line>,
    pub notes: Vec<String>,
    pub version: &'static str,
}

impl CallPage {
    pub fn new(log: &CallLog, figures: &Figures, tl: &Timeline) -> Self {
        let start = log.start();
        let (done, of) = figures.practices_done();
        CallPage {
            call_id: log.call_id(),
            started: start.and_then(|(wall, _)| wall.parse().ok()).map(local),
            source: start.map(|(_, s)| s.to_string()),
            length: clock(figures.duration),
            recomputed: figures.recomputed,
            from_transcripts: tl.from_transcripts,
            timeline: TimelineSvg::new(tl),
            figures: figure_rows(figures),
            by_rule: figures
                .flags
                .iter()
                .map(|r| (r.rule.clone(), r.title.clone(), r.count))
                .collect(),
            flags: tl
                .flags
                .iter()
                .enumerate()
                .map(|(i, f)| FlagItem {
                    n: i + 1,
                    rule: f.rule.clone(),
                    title: flag_title(f).to_string(),
                    severity: severity_class(f.severity),
                    t: f.t,
                    time: clock(f.t),
                    evidence: f.evidence.as_str().to_string(),
                    suggestion: f.suggestion.clone(),
                })
                .collect(),
            practices: figures
                .practices
                .iter()
                .map(|p| PracticeItem {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    done: p.done,
                    when: p.t.map(clock).unwrap_or_default(),
                })
                .collect(),
            practices_done: format!("{done} of {of}"),
            lines: transcript_lines(log),
            notes: log
                .notes
                .iter()
                .map(|n| format!("line {}: {}", n.line, n.message))
                .collect(),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

fn transcript_lines(log: &CallLog) -> Vec<Line> {
    log.events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(crate::event::Transcript {
                speaker,
                start,
                text,
                is_final,
                ..
            }) => Some(Line {
                speaker: speaker.as_str(),
                who: speaker.label(),
                time: clock(*start),
                text: text.as_str().to_string(),
                partial: !is_final,
            }),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Utterance;
    use crate::rules::CompiledRules;
    use crate::rules::replay::replay_call;

    #[test]
    fn words_are_escaped_and_nothing_is_fetched() {
        let rules = CompiledRules::builtin();
        let said = r#"<script>alert("x")</script> Just following up on https://evil.example/a.png"#;
        let utts = [Utterance {
            speaker: Speaker::Me,
            start: 1.0,
            end: 4.0,
            text: said.into(),
        }];
        let log = CallLog {
            path: "x.jsonl".into(),
            events: replay_call(rules.clone(), &utts, "c", "2026-11-22T14:03:11Z"),
            notes: Vec::new(),
        };
        let f = Figures::compute(&log, &rules);
        let html = CallPage::new(&log, &f, &Timeline::build(&log))
            .render()
            .unwrap();
        assert!(!html.contains("<script"), "transcript text is escaped");
        assert!(html.contains("&#60;script&#62;"));
        assert!(html.contains(r#"class="flag sev-warn" id="flag-1" data-rule="chasing""#));
        // The only URL is the one said on the call, as text.
        let urls: Vec<_> = html.match_indices("http").collect();
        assert_eq!(urls.len(), 1, "{urls:?}");
        for attr in ["src=", "href=\"http", "@import", "url(http"] {
            assert!(!html.contains(attr), "{attr}");
        }
    }

    #[test]
    fn lost_audio_is_drawn_on_its_speakers_lane() {
        let rules = CompiledRules::builtin();
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/good-call.jsonl"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let utts = crate::rules::replay::parse_transcript(&text).0;
        let mut events = replay_call(rules.clone(), &utts, "c", "2026-11-22T14:03:11Z");
        // A fault: the prospect's device was lost for a while.
        events.insert(
            3,
            Event::Gap(crate::event::Gap {
                t: 10.0,
                speaker: Speaker::Them,
                reason: "capture device lost".into(),
                until: 14.5,
            }),
        );
        let log = CallLog {
            path: "x.jsonl".into(),
            events,
            notes: Vec::new(),
        };
        let f = Figures::compute(&log, &rules);
        assert_eq!(f.lost_audio, 4.5);
        let html = CallPage::new(&log, &f, &Timeline::build(&log))
            .render()
            .unwrap();
        let lane = html.split(r#"data-speaker="them">"#).nth(1).unwrap();
        let lane = &lane[..lane.find("</g>\n").unwrap()];
        assert!(lane.contains(r#"<g class="gap">"#), "{lane}");
        assert!(lane.contains("Audio lost 0:10–0:15: capture device lost"));
        assert!(html.contains(r#"<tr data-figure="lost-audio" class="over">"#));
    }
}
