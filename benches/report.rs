//! Report benchmark (a bench binary, run with `cargo bench --bench report`): the time to make
//! the report of a 30-minute call and the trend over 100 and 200 calls, and the size of the
//! pages.
//! Prints a Markdown table.
//!
//! The call logs are made by the real rule stage (`replay_call`) over generated transcripts:
//! the example calls' utterances, rotated per call, spoken at 2.5 words a second with short
//! pauses, until the call is 30 minutes long.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use warmcall::event::{Speaker, Utterance};
use warmcall::pipeline::clock::{call_id, rfc3339};
use warmcall::report::output::write_private;
use warmcall::report::page::CallPage;
use warmcall::report::summary::read_all;
use warmcall::report::trend::Trend;
use warmcall::report::trend_page::TrendPage;
use warmcall::report::{CallLog, Figures, Timeline, store};
use warmcall::rules::CompiledRules;
use warmcall::rules::replay::{parse_transcript, replay_call};

const FIXTURES: [&str; 3] = [
    include_str!("../tests/fixtures/pushy-call.jsonl"),
    include_str!("../tests/fixtures/good-call.jsonl"),
    include_str!("../tests/fixtures/monologue-call.jsonl"),
];
const CALL_SECONDS: f64 = 1800.0;
/// The trend is measured over this many calls: 100, then 200.
const TREND_CALLS: [usize; 2] = [100, 200];

/// A `CALL_SECONDS` transcript from the example utterances, starting at the `rotate`-th one.
fn transcript(rotate: usize) -> Vec<Utterance> {
    let mut lines: Vec<Utterance> = FIXTURES
        .iter()
        .flat_map(|f| parse_transcript(f).0)
        .collect();
    let n = lines.len();
    lines.rotate_left(rotate % n);
    let mut out = Vec::new();
    let mut t = 0.5;
    for u in lines.iter().cycle() {
        let words = u.text.as_str().split_whitespace().count() as f64;
        let len = (words / 2.5).max(0.6);
        if t + len > CALL_SECONDS {
            break;
        }
        out.push(Utterance {
            speaker: u.speaker,
            start: t,
            end: t + len,
            text: u.text.clone(),
        });
        t += len + if u.speaker == Speaker::Me { 0.7 } else { 0.5 };
    }
    out
}

/// Write the call log the rule stage makes of `utts` into `dir`, as call `n`.
fn write_call(dir: &Path, rules: &Arc<CompiledRules>, n: usize, utts: &[Utterance]) -> usize {
    let start = jiff::Timestamp::from_second(1_795_356_191 + n as i64 * 86_400 / 3).unwrap();
    let id = call_id(start, n as u32);
    let events = replay_call(Arc::clone(rules), utts, &id, &rfc3339(start));
    let text: String = events.iter().map(|e| e.to_json_line() + "\n").collect();
    std::fs::write(dir.join(format!("{id}.jsonl")), &text).unwrap();
    text.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn call_report(log: &Path, rules: &Arc<CompiledRules>, out: &Path) -> usize {
    let log = CallLog::read(log).unwrap();
    let figures = Figures::compute(&log, rules);
    let html = CallPage::new(&log, &figures, &Timeline::build(&log))
        .render()
        .unwrap();
    write_private(out, html.as_bytes()).unwrap();
    html.len()
}

fn trend_report(dir: &Path, rules: &Arc<CompiledRules>, out: &Path) -> usize {
    let files = store::list(dir).unwrap();
    let (rows, errors) = read_all(&files, None, rules);
    assert!(errors.is_empty() && rows.len() == files.len());
    let trend = Trend::with_rules(rows, rules);
    let html = TrendPage::new(&trend).render().unwrap();
    write_private(out, html.as_bytes()).unwrap();
    html.len()
}

/// The trend over the calls in `dir`, in process and as the command.
struct TrendRun {
    calls: usize,
    in_process: Duration,
    command: Duration,
    page: usize,
}

fn trend_run(dir: &Path, rules: &Arc<CompiledRules>, out: &Path, calls: usize) -> TrendRun {
    let mut page = 0;
    let runs: Vec<Duration> = (0..5)
        .map(|_| {
            let s = Instant::now();
            page = trend_report(dir, rules, out);
            s.elapsed()
        })
        .collect();
    let command = median(
        (0..3)
            .map(|_| command(&["report", "--trend"], dir, out))
            .collect(),
    );
    TrendRun {
        calls,
        in_process: median(runs),
        command,
        page,
    }
}

/// The command as a user runs it, process start to exit.
fn command(args: &[&str], dir: &Path, out: &Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_warmcall"))
        .args(args)
        .arg("--log-dir")
        .arg(dir)
        .arg("--html")
        .arg(out)
        .env("XDG_CONFIG_HOME", dir.join("no-config"))
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    start.elapsed()
}

fn main() {
    let rules = CompiledRules::builtin();
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let many = tmp.path().join("many");
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&many).unwrap();

    let utts = transcript(0);
    let log_bytes = write_call(&one, &rules, 0, &utts);
    let log = store::last(&one).unwrap().path;
    let events = CallLog::read(&log).unwrap().events.len();
    let out = tmp.path().join("call.html");
    let mut page = 0;
    let runs: Vec<Duration> = (0..20)
        .map(|_| {
            let s = Instant::now();
            page = call_report(&log, &rules, &out);
            s.elapsed()
        })
        .collect();
    let call_in = median(runs);
    let call_cmd = median(
        (0..5)
            .map(|_| command(&["report", "--last"], &one, &out))
            .collect(),
    );

    // The trend over the first 100 calls, then over 200: the directory grows in place.
    let tout = tmp.path().join("trend.html");
    let mut trends = Vec::new();
    let mut trend_log_bytes = 0;
    for calls in TREND_CALLS {
        for n in trends.last().map_or(0, |t: &TrendRun| t.calls)..calls {
            trend_log_bytes += write_call(&many, &rules, n, &transcript(n * 7));
        }
        trends.push(trend_run(&many, &rules, &tout, calls));
    }

    println!(
        "30-minute call: {} utterances, {events} events, log {:.0} KB; {} calls: logs {:.1} MB in all\n",
        utts.len(),
        log_bytes as f64 / 1024.0,
        TREND_CALLS[TREND_CALLS.len() - 1],
        trend_log_bytes as f64 / 1048576.0
    );
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!(
        "| report of a 30-minute call (read, figures, HTML, write), median of 20 | {} | < 200 ms |",
        ms(call_in)
    );
    println!(
        "| `warmcall report --last --html FILE`, process start to exit, median of 5 | {} | |",
        ms(call_cmd)
    );
    for t in &trends {
        println!(
            "| trend over {} calls of 30 minutes (read all, figures, HTML, write), median of 5 | {} | < 1 s |",
            t.calls,
            ms(t.in_process)
        );
        println!(
            "| `warmcall report --trend --html FILE`, {} calls, median of 3 | {} | |",
            t.calls,
            ms(t.command)
        );
    }
    let last = &trends[trends.len() - 1];
    println!(
        "| page size: one call / trend over {} calls | {:.0} KB / {:.0} KB | |",
        last.calls,
        page as f64 / 1024.0,
        last.page as f64 / 1024.0
    );
}
