//! `warmcall report` and `warmcall calls` as a user runs them, on a call log the real pipeline
//! wrote (the demo call synthesised with espeak-ng, played through `run --headless` with
//! tiny.en). The HTML report is loaded in Debian's chromium, headless, from disk.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::browser::{self, Image};
use predicates::prelude::*;
use regex::Regex;
use warmcall::event::{Event, Summary};

/// The demo call's log directory, made once per test run.
fn demo_calls() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-demo");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/call.txt");
        let (wav, _) = common::synth_call(&script, &dir);
        let _lock = common::whisper_lock();
        common::run_headless(&wav, &dir.join("calls"), &[]);
        dir.join("calls")
    })
}

fn demo_log() -> (PathBuf, Vec<Event>) {
    let file = std::fs::read_dir(demo_calls())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("the run wrote a call log");
    let events = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    (file, events)
}

fn summary(events: &[Event]) -> &Summary {
    events
        .iter()
        .find_map(|e| match e {
            Event::CallEnd { summary, .. } => Some(summary),
            _ => None,
        })
        .expect("call_end")
}

/// warmcall with no user config (the built-in rules) and local time = UTC.
fn warmcall(home: &Path) -> assert_cmd::Command {
    let mut c = common::warmcall();
    c.env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("TZ", "UTC");
    c
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

fn count(re: &str, text: &str) -> usize {
    Regex::new(re).unwrap().find_iter(text).count()
}

#[test]
fn the_html_report_in_chromium_shows_the_timeline_each_flag_and_each_practice() {
    let (_, events) = demo_log();
    let home = tempfile::tempdir().unwrap();
    let page = home.path().join("report.html");
    warmcall(home.path())
        .args(["report", "--last", "--log-dir"])
        .arg(demo_calls())
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let mode = std::fs::metadata(&page).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the report holds the transcript");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));

    let dom = browser::dump_dom(&page);
    assert_eq!(count(r#"<svg id="timeline""#, &dom), 1);
    assert!(count(r#"class="talk talk-me""#, &dom) > 0);
    assert!(count(r#"class="talk talk-them""#, &dom) > 0);
    let flags = common::flags(&events);
    assert!(!flags.is_empty());
    for f in &flags {
        let rule = regex::escape(&f.rule);
        let n = flags.iter().filter(|g| g.rule == f.rule).count();
        assert_eq!(
            count(
                &format!(r#"<li class="flag [^"]*" id="flag-\d+" data-rule="{rule}""#),
                &dom
            ),
            n
        );
        assert_eq!(
            count(
                &format!(r#"class="flag-marker [^"]*" data-rule="{rule}""#),
                &dom
            ),
            n
        );
        let evidence = f.evidence.as_str().replace('\'', "&#39;");
        assert!(
            dom.contains(&evidence) || dom.contains(f.evidence.as_str()),
            "{evidence}"
        );
    }
    for (id, p) in &summary(&events).practices {
        let sel = format!(r#"class="practice" data-id="{id}" data-done="{}""#, p.done);
        assert_eq!(count(&regex::escape(&sel), &dom), 1, "{sel}");
    }
    let lines = events
        .iter()
        .filter(|e| matches!(e, Event::Transcript { .. }))
        .count();
    assert!(lines > 0);
    assert_eq!(count(r#"<li class="line" data-speaker="#, &dom), lines);
    assert!(dom.contains(r#"<details id="transcript">"#));
    for fig in [
        "talk-share",
        "longest-monologue",
        "questions",
        "first-question",
        "practices",
    ] {
        assert!(dom.contains(&format!(r#"data-figure="{fig}""#)), "{fig}");
    }

    // A rendered page, at the size asked for, in light and in dark.
    let (w, h) = (1280, 1400);
    let shot = browser::screenshot(&page, w, h, false);
    let light = Image::read(&shot);
    assert_eq!((light.width, light.height), (w, h));
    let (colours, top) = light.colours();
    assert!(colours > 50, "{colours} colours: a blank page?");
    assert!(
        top < 0.9,
        "one colour covers {:.0}% of the page",
        top * 100.0
    );
    let dark = Image::read(&browser::screenshot(&page, w, h, true));
    assert!(dark.colours().0 > 50);
    assert!(
        dark.luminance() < light.luminance() - 50.0,
        "dark {} light {}",
        dark.luminance(),
        light.luminance()
    );
    if std::env::var_os("WARMCALL_UPDATE_DOCS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.png");
        let small = browser::screenshot(&page, 1100, 1000, false);
        std::fs::create_dir_all(docs.parent().unwrap()).unwrap();
        std::fs::copy(small, docs).unwrap();
    }
}

#[test]
fn the_text_report_shows_the_figures_beside_their_limits() {
    let (file, events) = demo_log();
    let home = tempfile::tempdir().unwrap();
    let a = warmcall(home.path())
        .args(["report", "--log-dir"])
        .arg(demo_calls())
        .assert()
        .success();
    let out = stdout(&a);
    let s = summary(&events);
    let share = format!("{:.0}%", s.talk_share_me * 100.0);
    // The limits are the built-in pack's (no user rules here).
    use warmcall::rules::spec::Detector;
    let builtin = warmcall::rules::CompiledRules::builtin();
    let (mut max_share, mut seconds) = (None, None);
    for r in &builtin.set.rules {
        match r.detector {
            Detector::TalkRatio { max_share: m, .. } => max_share = Some(m),
            Detector::Monologue { seconds: x, .. } => seconds = Some(x),
            _ => {}
        }
    }
    let limit = format!("talk-ratio: at most {:.0}%", max_share.unwrap() * 100.0);
    assert!(
        out.lines()
            .any(|l| l.contains("Your talk share") && l.contains(&share) && l.contains(&limit)),
        "{out}"
    );
    let mono = seconds.unwrap() as u64;
    let mono = format!("monologue: {}:{:02}", mono / 60, mono % 60);
    assert!(out.contains(&mono), "{out}");
    assert!(out.contains(&format!(
        "you {} · them {}",
        s.questions_me, s.questions_them
    )));
    for f in common::flags(&events) {
        assert!(out.contains(f.evidence.as_str()), "{}", f.evidence.as_str());
    }
    let done = s.practices.values().filter(|p| p.done).count();
    assert!(out.contains(&format!("Practices {done} of {}", s.practices.len())));

    // The same call by id, by a prefix of it, and by path (the design's contract form).
    let id = file.file_stem().unwrap().to_str().unwrap();
    for arg in [
        id.to_string(),
        id[..16].to_string(),
        file.display().to_string(),
    ] {
        let again = warmcall(home.path())
            .args(["report", &arg, "--log-dir"])
            .arg(demo_calls())
            .assert()
            .success();
        assert_eq!(stdout(&again), out, "{arg}");
    }
}

#[test]
fn calls_lists_each_call_as_text_and_json_lines() {
    let (file, events) = demo_log();
    let home = tempfile::tempdir().unwrap();
    let id = file.file_stem().unwrap().to_str().unwrap();
    let s = summary(&events);
    let done = s.practices.values().filter(|p| p.done).count();
    let a = warmcall(home.path())
        .args(["calls", "--log-dir"])
        .arg(demo_calls())
        .assert()
        .success();
    let out = stdout(&a);
    let row = out.lines().find(|l| l.starts_with(id)).expect(&out);
    let nflags = common::flags(&events).len();
    assert!(row.contains(&format!(" {nflags} ")), "{row}");
    assert!(
        row.contains(&format!("{done} of {}", s.practices.len())),
        "{row}"
    );
    let a = warmcall(home.path())
        .args(["calls", "--json", "--log-dir"])
        .arg(demo_calls())
        .assert()
        .success();
    let json: Vec<serde_json::Value> = stdout(&a)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["call_id"], id);
    assert_eq!(json[0]["flags"], nflags);
    assert_eq!(json[0]["practices_done"], done);
    assert_eq!(json[0]["talk_share_me"], s.talk_share_me);
    // Nothing since tomorrow.
    warmcall(home.path())
        .args(["calls", "--since", "2999-01-01", "--log-dir"])
        .arg(demo_calls())
        .assert()
        .success()
        .stdout("")
        .stderr(predicate::str::contains("no calls since 2999-01-01"));
}

#[test]
fn a_log_cut_off_mid_write_is_reported_with_a_note() {
    let (file, _) = demo_log();
    let home = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    // A daemon killed while writing call_end: half of the last line.
    let cut = &text[..text.trim_end().len() - 40];
    let calls = home.path().join("calls");
    std::fs::create_dir_all(&calls).unwrap();
    std::fs::write(calls.join(file.file_name().unwrap()), cut).unwrap();
    let a = warmcall(home.path())
        .args(["report", "--last", "--log-dir"])
        .arg(&calls)
        .assert()
        .success()
        .stderr(predicate::str::contains("cut off"));
    assert!(stdout(&a).contains("recomputed"));
    // And the page says so.
    let page = home.path().join("r.html");
    warmcall(home.path())
        .args(["report", "--last", "--log-dir"])
        .arg(&calls)
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains("stopped mid-call")
    );
}

#[test]
fn unusable_logs_and_unknown_calls_get_clear_errors() {
    let home = tempfile::tempdir().unwrap();
    let calls = home.path().join("calls");
    let run = |args: &[&str]| {
        warmcall(home.path())
            .arg("report")
            .args(args)
            .arg("--log-dir")
            .arg(&calls)
            .assert()
    };
    run(&[])
        .code(5)
        .stderr(predicate::str::contains("no calls yet"));
    run(&["--trend"])
        .code(5)
        .stderr(predicate::str::contains("no calls yet"));
    std::fs::create_dir_all(&calls).unwrap();
    let empty = calls.join("2026-11-22T14-03-11Z-4f2a.jsonl");
    std::fs::write(&empty, "").unwrap();
    run(&["--last"])
        .code(5)
        .stderr(predicate::str::contains("is empty"));
    let junk = home.path().join("junk.jsonl");
    std::fs::write(&junk, "PK\u{3}\u{4} not json\n").unwrap();
    run(&[junk.to_str().unwrap()])
        .code(5)
        .stderr(predicate::str::contains("not a warmcall call log"));
    run(&["2025-01-01T00"])
        .code(5)
        .stderr(predicate::str::contains("no call \"2025-01-01T00\""))
        .stderr(predicate::str::contains("warmcall calls"));
    run(&["./missing.jsonl"])
        .code(5)
        .stderr(predicate::str::contains("no such call log"));
    run(&["--trend", "--since", "next tuesday"])
        .code(2)
        .stderr(predicate::str::contains("--since"));
}

#[test]
fn open_without_xdg_open_says_so_and_leaves_a_private_report() {
    let (file, _) = demo_log();
    let home = tempfile::tempdir().unwrap();
    warmcall(home.path())
        .env("PATH", "/nonexistent")
        .args(["report", "--open"])
        .arg(&file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("xdg-open is not installed"));
    let dir = home.path().join("state/warmcall/reports");
    let page = dir.join(format!(
        "{}.html",
        file.file_stem().unwrap().to_str().unwrap()
    ));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&page), 0o600);
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains(r#"id="timeline""#)
    );
}

#[test]
fn analyze_recoaches_a_call_log_from_a_file_or_stdin() {
    let (file, events) = demo_log();
    let home = tempfile::tempdir().unwrap();
    let a = warmcall(home.path())
        .arg("analyze")
        .arg(&file)
        .assert()
        .success();
    let out = stdout(&a);
    let redone: Vec<Event> = out
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    let texts = |ev: &[Event]| -> Vec<String> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Transcript(t) => Some(t.text.as_str().to_string()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(texts(&redone), texts(&events));
    // Phrase rules see the same words at the same times: the same flags.
    let phrase = |ev: &[Event]| -> Vec<(String, String)> {
        let mut v: Vec<_> = common::flags(ev)
            .into_iter()
            .filter(|f| !["monologue", "talk-ratio", "self-focus"].contains(&f.rule.as_str()))
            .map(|f| (f.rule.clone(), f.evidence.as_str().to_string()))
            .collect();
        v.sort();
        v
    };
    assert!(!phrase(&events).is_empty());
    assert_eq!(phrase(&redone), phrase(&events));

    // The same through standard input, and with --transcript (the contract form).
    let log_text = std::fs::read_to_string(&file).unwrap();
    let piped = warmcall(home.path())
        .args(["analyze", "-"])
        .write_stdin(log_text.clone())
        .assert()
        .success();
    assert_eq!(stdout(&piped), out);
    let flagged = warmcall(home.path())
        .args(["analyze", "--transcript"])
        .arg(&file)
        .assert()
        .success();
    assert_eq!(stdout(&flagged), out);

    // Re-coach after editing the rules: chasing turned off.
    let rules = home.path().join("config/warmcall/rules.d");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("10.toml"),
        "[[rule]]\nid = \"chasing\"\nenabled = false\n",
    )
    .unwrap();
    let edited = warmcall(home.path())
        .arg("analyze")
        .arg(&file)
        .assert()
        .success();
    let edited: Vec<Event> = stdout(&edited)
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    assert!(common::flags(&events).iter().any(|f| f.rule == "chasing"));
    assert!(!common::flags(&edited).iter().any(|f| f.rule == "chasing"));
    assert_eq!(
        common::flags(&edited).len(),
        common::flags(&redone).len()
            - common::flags(&redone)
                .iter()
                .filter(|f| f.rule == "chasing")
                .count()
    );
}

#[test]
fn analyze_reads_a_transcript_from_stdin() {
    let home = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pushy-call.jsonl");
    let from_file = warmcall(home.path())
        .args(["analyze", "--transcript"])
        .arg(&fixture)
        .assert()
        .success();
    let piped = warmcall(home.path())
        .args(["analyze", "-"])
        .write_stdin(std::fs::read(&fixture).unwrap())
        .assert()
        .success();
    assert_eq!(stdout(&piped), stdout(&from_file));
    assert!(stdout(&piped).contains(r#""type":"flag""#));
    warmcall(home.path())
        .args(["analyze", "-"])
        .write_stdin("")
        .assert()
        .code(5)
        .stderr(predicate::str::contains("standard input: empty"));
    warmcall(home.path()).arg("analyze").assert().code(2);
}

/// Four calls a day apart, made by the rule stage from the example calls: two pushy ones, then
/// two good ones. Returns the directory and each call's (id, number of flags).
fn four_calls(dir: &Path) -> Vec<(String, Vec<String>)> {
    use warmcall::pipeline::clock::{call_id, rfc3339};
    let rules = warmcall::rules::CompiledRules::builtin();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ["pushy-call", "pushy-call", "good-call", "good-call"]
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let text = std::fs::read_to_string(fixtures.join(format!("{name}.jsonl"))).unwrap();
            let utts = warmcall::rules::replay::parse_transcript(&text).0;
            // 2026-11-03 onward
            let start = jiff::Timestamp::from_second(1_793_700_000 + n as i64 * 86_400).unwrap();
            let id = call_id(start, n as u32);
            let events =
                warmcall::rules::replay::replay_call(rules.clone(), &utts, &id, &rfc3339(start));
            let log: String = events.iter().map(|e| e.to_json_line() + "\n").collect();
            std::fs::write(dir.join(format!("{id}.jsonl")), log).unwrap();
            (
                id,
                common::flags(&events)
                    .iter()
                    .map(|f| f.rule.clone())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_trend_page_charts_each_call_and_since_leaves_older_ones_out() {
    let home = tempfile::tempdir().unwrap();
    let calls = home.path().join("calls");
    std::fs::create_dir_all(&calls).unwrap();
    let made = four_calls(&calls);
    let page = home.path().join("trend.html");
    warmcall(home.path())
        .args(["report", "--trend", "--log-dir"])
        .arg(&calls)
        .arg("--html")
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    let dom = browser::dump_dom(&page);
    let chart = |id: &str| -> String {
        let re = Regex::new(&format!(r#"(?s)<svg id="{id}".*?</svg>"#)).unwrap();
        re.find(&dom).expect(id).as_str().to_string()
    };
    let flags_chart = chart("flags-chart");
    let rule_attr = Regex::new(r#"data-rule="([^"]+)""#).unwrap();
    for (id, rules) in &made {
        let group = Regex::new(&format!(r#"(?s)<g class="call" data-id="{id}">.*?</g>"#))
            .unwrap()
            .find(&flags_chart)
            .unwrap_or_else(|| panic!("no column for {id}"))
            .as_str()
            .to_string();
        let mut drawn: Vec<&str> = rule_attr
            .captures_iter(&group)
            .map(|c| c.get(1).unwrap().as_str())
            .collect();
        let mut fired: Vec<&str> = rules.iter().map(String::as_str).collect();
        fired.sort();
        fired.dedup();
        drawn.sort();
        assert_eq!(drawn, fired, "{id}");
    }
    assert_eq!(
        count(r#"<circle class="share-dot call""#, &chart("share-chart")),
        4
    );
    assert_eq!(count(r#"<g class="call""#, &chart("practices-chart")), 4);
    assert_eq!(count(r#"<tr class="call""#, &dom), 4);
    let shot = Image::read(&browser::screenshot(&page, 1200, 1000, false));
    assert_eq!((shot.width, shot.height), (1200, 1000));
    assert!(shot.colours().0 > 50);

    // On a terminal: the earlier two calls against the later two.
    let a = warmcall(home.path())
        .args(["report", "--trend", "--log-dir"])
        .arg(&calls)
        .assert()
        .success();
    let out = stdout(&a);
    let per_call = |calls: &[(String, Vec<String>)]| {
        calls.iter().map(|(_, r)| r.len()).sum::<usize>() as f64 / calls.len() as f64
    };
    let line = out
        .lines()
        .find(|l| l.starts_with("Flags per call"))
        .expect(&out);
    let values: Vec<&str> = line.split_whitespace().skip(3).collect();
    assert_eq!(
        values,
        [
            format!("{:.1}", per_call(&made[..2])),
            format!("{:.1}", per_call(&made[2..]))
        ],
        "{out}"
    );
    assert!(
        out.contains("earlier 2 calls") && out.contains("later 2 calls"),
        "{out}"
    );

    // --since the third call's day: the good calls only.
    let since = &made[2].0[..10];
    let a = warmcall(home.path())
        .args(["report", "--trend", "--since", since, "--log-dir"])
        .arg(&calls)
        .assert()
        .success();
    assert!(
        stdout(&a).starts_with(&format!("Trend over 2 call(s), {since} to ")),
        "{}",
        stdout(&a)
    );
    let a = warmcall(home.path())
        .args(["calls", "--since", since, "--log-dir"])
        .arg(&calls)
        .assert()
        .success();
    let listed: Vec<String> = stdout(&a)
        .lines()
        .skip(1)
        .map(|l| l[..25].to_string())
        .collect();
    assert_eq!(listed, [made[2].0.clone(), made[3].0.clone()]);
}
