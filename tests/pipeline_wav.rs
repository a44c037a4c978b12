//! The whole pipeline on WAV files through the real model: `warmcall run --headless --input`.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use predicates::prelude::*;
use warmcall::event::{Event, Flag, Speaker, Transcript};
use warmcall::text::normalize;

fn transcripts(events: &[Event]) -> Vec<(Speaker, f64, f64, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(Transcript {
                speaker,
                start,
                end,
                text,
                ..
            }) => Some((*speaker, *start, *end, text.as_str().to_string())),
            _ => None,
        })
        .collect()
}

#[test]
fn jfk_transcribes_through_the_pipeline() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let logs = tempfile::tempdir().unwrap();
    let jfk = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav");
    let events = common::run_headless(&jfk, logs.path(), &[]);
    assert!(matches!(events.first(), Some(Event::CallStart { source, .. }) if source == "file"));
    assert!(matches!(events.last(), Some(Event::CallEnd { .. })));
    let text: String = transcripts(&events)
        .iter()
        .map(|t| t.3.clone() + " ")
        .collect();
    assert!(
        normalize(&text).contains("ask not what your country can do for you"),
        "{text}"
    );
    assert!(
        transcripts(&events).iter().all(|t| t.0 == Speaker::Me),
        "mono is the rep"
    );
}

#[test]
fn the_call_log_is_private_and_equals_stdout() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let logs = tempfile::tempdir().unwrap();
    let dir = logs.path().join("calls");
    let jfk = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav");
    let events = common::run_headless(&jfk, &dir, &[]);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    assert_eq!(files.len(), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&files[0]), 0o600);
    let logged: Vec<Event> = std::fs::read_to_string(&files[0])
        .unwrap()
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    assert_eq!(logged, events);
    let Some(Event::CallStart { call_id, .. }) = events.first() else {
        panic!()
    };
    assert!(files[0].ends_with(format!("{call_id}.jsonl")));
}

#[test]
fn silence_and_white_noise_produce_no_transcript() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silence.wav");
    common::write_wav(&silent, 16_000, 2, &vec![0.0; 16_000 * 2 * 20]);
    let noise = dir.path().join("noise.wav");
    let mut x: u32 = 12345;
    let samples: Vec<f32> = (0..48_000 * 2 * 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32 - 0.5) * 0.6
        })
        .collect();
    common::write_wav(&noise, 48_000, 2, &samples);
    for wav in [&silent, &noise] {
        let events = common::run_headless(wav, &dir.path().join("logs"), &[]);
        assert!(
            transcripts(&events).is_empty(),
            "{}: {:?}",
            wav.display(),
            transcripts(&events)
        );
        assert!(common::flags(&events).is_empty());
        let Some(Event::CallEnd { t, .. }) = events.last() else {
            panic!()
        };
        assert!((t - 20.0).abs() < 0.1, "call length {t}");
    }
}

/// Attribute each flag to the scripted utterance it was raised on (same speaker, raised at the
/// end of that speech); check the expected ones are found and good lines raise nothing.
fn check_call(script: &str) {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(script);
    let (wav, truth) = common::synth_call(&script, dir.path());
    let events = common::run_headless(&wav, &dir.path().join("logs"), &[]);
    let ts = transcripts(&events);
    // Speakers: every transcript overlaps a scripted utterance of the same speaker.
    for (speaker, start, end, text) in &ts {
        assert!(
            truth
                .iter()
                .any(|u| u.speaker == *speaker && *start < u.end + 0.3 && *end > u.start - 0.3),
            "{speaker} at {start}-{end} ({text}) matches no scripted line of that speaker"
        );
    }
    let fl = common::flags(&events);
    let near = |u: &common::Truth, f: &Flag| {
        f.speaker == u.speaker && f.t >= u.start && f.t <= u.end + 1.0
    };
    let expected: Vec<(&common::Truth, &String)> = truth
        .iter()
        .flat_map(|u| u.expect.iter().map(move |r| (u, r)))
        .collect();
    let found = expected
        .iter()
        .filter(|(u, rule)| fl.iter().any(|f| &f.rule == *rule && near(u, f)))
        .count();
    let missed: Vec<String> = expected
        .iter()
        .filter(|(u, rule)| !fl.iter().any(|f| &f.rule == *rule && near(u, f)))
        .map(|(u, r)| format!("{r} on {:?}", u.text))
        .collect();
    assert!(
        found as f64 >= 0.85 * expected.len() as f64,
        "found {found}/{} expected flags; missed {missed:?}\ntranscripts: {ts:#?}",
        expected.len()
    );
    for u in truth.iter().filter(|u| u.expect.is_empty()) {
        let wrong: Vec<&str> = fl
            .iter()
            .filter(|f| near(u, f))
            .map(|f| f.rule.as_str())
            .collect();
        assert!(wrong.is_empty(), "good line {:?} raised {wrong:?}", u.text);
    }
}

#[test]
fn demo_call_is_coached() {
    check_call("demo/call.txt");
}

#[test]
fn second_synthetic_call_is_coached() {
    check_call("tests/fixtures/call-2.txt");
}

#[test]
fn corrupt_and_truncated_wavs_get_a_clear_error() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.wav");
    std::fs::write(&bad, b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage").unwrap();
    let cut = dir.path().join("cut.wav");
    common::write_wav(&cut, 16_000, 1, &vec![0.1; 16_000 * 3]);
    let bytes = std::fs::read(&cut).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let empty = dir.path().join("empty.wav");
    common::write_wav(&empty, 16_000, 1, &[]);
    for (wav, msg) in [
        (&bad, "bad.wav: not a valid WAV file"),
        (&cut, "truncated"),
        (&empty, "holds no audio"),
    ] {
        common::warmcall()
            .args(["run", "--headless", "--input"])
            .arg(wav)
            .arg("--log-dir")
            .arg(dir.path().join("logs"))
            .assert()
            .code(5)
            .stderr(predicate::str::contains(msg));
    }
    assert!(
        !dir.path().join("logs").exists(),
        "no call log for input that never started"
    );
}

#[test]
fn a_missing_model_is_reported_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, "[asr]\nmodel = \"/nonexistent/ggml-x.bin\"\n").unwrap();
    let jfk = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav");
    common::warmcall()
        .args(["run", "--headless", "--input"])
        .arg(jfk)
        .arg("--config")
        .arg(&cfg)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("/nonexistent/ggml-x.bin"));
}

/// `run --headless --format text`: a readable view of the same call the call log records, line
/// for line; the call log itself stays JSON Lines.
#[test]
fn headless_text_format_shows_the_call_log_as_lines_a_person_reads() {
    use warmcall::event::clock;
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/live-a.txt");
    let (wav, _) = common::synth_call(&script, dir.path());
    let logs = dir.path().join("logs");
    let out = common::warmcall()
        .env("XDG_CONFIG_HOME", dir.path().join("no-config"))
        .args(["run", "--headless", "--format", "text", "--input"])
        .arg(&wav)
        .arg("--log-dir")
        .arg(&logs)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let log = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .expect("the call log is written as usual");
    let events: Vec<Event> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().all(|l| !l.starts_with('{')), "{out}");
    let Some(Event::CallStart { call_id, .. }) = events.first() else {
        panic!("no call_start in the log")
    };
    assert!(
        lines[0].contains("Call started") && lines[0].contains(call_id.as_str()),
        "{out}"
    );
    let ts = transcripts(&events);
    assert!(!ts.is_empty());
    for (speaker, start, _, text) in &ts {
        let at = clock(*start);
        assert!(
            lines.iter().any(|l| l
                .trim_start()
                .starts_with(&format!("{at}  {}", speaker.label()))
                && l.ends_with(text.as_str())),
            "no line for {speaker} at {at}: {text}\n{out}"
        );
    }
    let fl = common::flags(&events);
    assert!(!fl.is_empty(), "tiny.en heard none of the scripted cues");
    for f in &fl {
        let i = lines
            .iter()
            .position(|l| {
                l.contains(&format!(
                    "{} ({}): “{}”",
                    f.title,
                    f.rule,
                    f.evidence.as_str()
                ))
            })
            .unwrap_or_else(|| panic!("no line for the {} flag\n{out}", f.rule));
        assert_eq!(lines[i + 1].trim_start(), format!("→ {}", f.suggestion));
    }
    let gaps = events.iter().filter(|e| matches!(e, Event::Gap(_))).count();
    // One line per transcript and gap, two per flag, a first and a last; no speech lines.
    assert_eq!(lines.len(), 2 + ts.len() + 2 * fl.len() + gaps, "{out}");
    let last = lines.last().unwrap();
    let cues = match fl.len() {
        1 => "1 cue ".to_string(),
        n => format!("{n} cues "),
    };
    assert!(last.contains("Call ended") && last.contains(&cues), "{out}");

    // Text is for a person watching: it needs --headless.
    common::warmcall()
        .args(["run", "--format", "text", "--input"])
        .arg(&wav)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--headless"));
}

/// `--realtime` plays the file at the speed of speech, as live audio comes: the phrase is
/// decoded while it is still spoken, so a cue in its first seconds is flagged before it ends.
#[test]
fn at_real_speed_a_cue_is_flagged_from_a_partial_before_the_phrase_ends() {
    let _lock = common::whisper_lock();
    common::model("tiny.en");
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/long-phrase.txt");
    let (wav, truth) = common::synth_call(&script, dir.path());
    let long = &truth[0];
    assert!(long.end - long.start > 4.0, "the phrase is long: {long:?}");
    let logs = dir.path().join("logs");
    let events = common::run_headless(&wav, &logs, &["--realtime"]);
    let chasing: Vec<&Flag> = common::flags(&events)
        .into_iter()
        .filter(|f| f.rule == "chasing")
        .collect();
    assert_eq!(chasing.len(), 1, "raised once: {chasing:?}");
    let flag = chasing[0];
    assert!(
        flag.t < long.end,
        "flagged at {} although the phrase ran to {}",
        flag.t,
        long.end
    );
    // The partial that raised it is in the event stream just before the flag, not final.
    let at = events
        .iter()
        .position(|e| matches!(e, Event::Flag(f) if f.rule == "chasing"))
        .unwrap();
    let Event::Transcript(partial) = &events[at - 1] else {
        panic!("the flag follows its partial: {:?}", events[at - 1]);
    };
    assert!(!partial.is_final && partial.end < long.end, "{partial:?}");
    assert!(
        normalize(partial.text.as_str()).contains("following up"),
        "{partial:?}"
    );
    // Its final comes later and confirms it; stdout has more partials than the call log,
    // which keeps only the one that raised a flag.
    assert!(events[at..].iter().any(|e| matches!(e,
        Event::Transcript(t) if t.is_final && t.start == partial.start)));
    let partials = |evs: &[Event]| {
        evs.iter()
            .filter(|e| matches!(e, Event::Transcript(t) if !t.is_final))
            .count()
    };
    let log = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let logged: Vec<Event> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| Event::from_json_line(l).unwrap())
        .collect();
    assert_eq!(partials(&logged), 1, "only the flagging partial is logged");
    assert!(partials(&events) > 1, "stdout shows every partial");
}
