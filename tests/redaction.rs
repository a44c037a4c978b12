//! Redaction before anything is written (`[log] redact`, on by default): card, ID and phone
//! numbers and e-mail addresses in what was said reach no call log, no stdout, no flag
//! evidence and no notification.
//!
//! The first test drives the real pipeline (real audio through the VAD and segmenter, the hub,
//! the gate, a call log on disk) with a recogniser that renders each phrase the ways whisper
//! writes personal data, so every form is covered exactly. The second runs the real binary on
//! synthesised speech with the real whisper model, redaction off and on, and holds the
//! pipeline to what the redactor makes of whatever whisper heard. The third is `analyze`.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use warmcall::asr::guard::GuardConfig;
use warmcall::asr::{AsrError, Segment, Transcriber, TranscriberFactory, Transcription};
use warmcall::config::Config;
use warmcall::event::Event;
use warmcall::notify::Note;
use warmcall::notify::gate::Mutes;
use warmcall::pipeline::{Builder, RunOptions, Tuning};
use warmcall::rules::{CompiledRules, RuleSet};
use warmcall::sink::Callback;

/// What whisper writes when a prospect reads out their card, e-mail, phone and social
/// security numbers.
const SAID: &str = "My card is 4111 1111 1111 1111. Or four one one one, one one one one, \
                    one one one one, one one one one. Mail john dot smith at acme dot com, or \
                    john.smith@acme.com. Call me on 555-123-4567 or (555) 123-4567. My social \
                    is 123-45-6789.";

/// Pieces of `SAID` none of which may be written anywhere when redaction is on.
const SECRETS: &[&str] = &[
    "4111",
    "1111",
    "four one one one",
    "john",
    "smith",
    "acme",
    "555",
    "4567",
    "6789",
];

/// Rules that fire on the sentences with personal data, so their evidence would carry it.
const RULES: &str = r#"
[[rule]]
id = "card-said"
speaker = "any"
patterns = ["my card is ..."]
suggestions = ["s"]

[[rule]]
id = "mail-said"
speaker = "any"
patterns = ["mail ..."]
suggestions = ["s"]
cooldown = 0

[[rule]]
id = "phone-said"
speaker = "any"
patterns = ["call me on ..."]
suggestions = ["s"]
"#;

/// Every phrase is heard as `SAID`.
fn whisper_renderings() -> TranscriberFactory {
    struct Renders;
    impl Transcriber for Renders {
        fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
            Ok(Transcription {
                segments: vec![Segment {
                    start: 0.0,
                    end: pcm.len() as f64 / 16_000.0,
                    text: format!(" {SAID}"),
                    no_speech_prob: 0.01,
                    avg_logprob: -0.1,
                }],
            })
        }
    }
    Box::new(|_| Ok(Box::new(Renders) as Box<dyn Transcriber>))
}

/// The text of every call log line in `dir`.
fn call_logs(dir: &Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir).unwrap() {
        text += &std::fs::read_to_string(e.unwrap().path()).unwrap();
    }
    text
}

/// Run jfk.wav through the pipeline with `redact`: (events of the run sink, call log text,
/// notes shown).
fn run(redact: bool, logs: &Path) -> (Vec<Event>, String, Vec<Note>) {
    let mut cfg = Config::defaults();
    cfg.redact = redact;
    let opts = RunOptions {
        input: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav")),
        log_dir: Some(logs.to_path_buf()),
        ..RunOptions::default()
    };
    let rules = RuleSet::from_texts(&[(PathBuf::from("pii.toml"), RULES.into())]).unwrap();
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let e = events.clone();
    let (make, notes) = common::recorder();
    Builder::new(cfg, opts)
        .rules(CompiledRules::new(rules).unwrap())
        .recogniser(whisper_renderings())
        // Every phrase of the sample is "heard" as all of SAID: more words than its audio
        // holds, which the guard would otherwise drop as a hallucination.
        .tuning(Tuning {
            guard: GuardConfig {
                max_words_per_second: 1000.0,
                ..GuardConfig::default()
            },
            ..Tuning::default()
        })
        .notifier(make)
        .mutes(Mutes::default())
        .sink(Box::new(Callback(move |ev: &Event| {
            e.lock().unwrap().push(ev.clone())
        })))
        .start()
        .unwrap()
        .wait()
        .unwrap();
    let events = events.lock().unwrap().clone();
    let notes = notes.lock().unwrap().clone();
    (events, call_logs(logs), notes)
}

#[test]
fn whisper_renderings_of_personal_data_are_redacted_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (events, log, notes) = run(true, &dir.path().join("on"));
    let out: String = events.iter().map(|e| e.to_json_line() + "\n").collect();
    assert!(out.contains("\"type\":\"transcript\""), "{out}");
    assert_eq!(out, log, "the call log and the run's sink differ");
    for secret in SECRETS {
        assert!(!log.to_lowercase().contains(secret), "{secret:?} in {log}");
    }
    for label in ["[card]", "[email]", "[phone]", "[id]"] {
        assert!(log.contains(label), "no {label} in {log}");
    }
    let fired: Vec<&str> = common::flags(&events)
        .iter()
        .map(|f| f.rule.as_str())
        .collect();
    for rule in ["card-said", "mail-said", "phone-said"] {
        assert!(fired.contains(&rule), "{rule} did not fire: {fired:?}");
    }
    assert!(!notes.is_empty());
    for n in &notes {
        let shown = format!("{} {}", n.summary, n.body).to_lowercase();
        assert!(SECRETS.iter().all(|s| !shown.contains(s)), "{shown}");
    }

    // The same run with redaction off writes what was said (so the test above can fail).
    let (events, log, _) = run(false, &dir.path().join("off"));
    assert!(log.contains("4111 1111 1111 1111"), "{log}");
    let card = common::flags(&events)
        .into_iter()
        .find(|f| f.rule == "card-said")
        .unwrap();
    assert!(
        card.evidence.as_str().contains("4111"),
        "{:?}",
        card.evidence.as_str()
    );
}

/// Transcript texts and flag evidence of a headless run's stdout.
fn words(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| match Event::from_json_line(l).unwrap() {
            Event::Transcript(t) => Some(t.text.as_str().to_string()),
            Event::Flag(f) => Some(format!("evidence: {}", f.evidence.as_str())),
            _ => None,
        })
        .collect()
}

/// The longest run of digits in `text`, not counting spaces, dashes and dots between them.
fn longest_digit_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c.is_ascii_digit() {
            run += 1;
            best = best.max(run);
        } else if !matches!(c, ' ' | '-' | '.' | ',') {
            run = 0;
        }
    }
    best
}

#[test]
fn real_whisper_transcripts_reach_stdout_and_the_log_redacted() {
    let _lock = common::whisper_lock();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("pii.txt");
    std::fs::write(
        &script,
        "them | - | You can call me on five five five, one two three, four five six seven.\n\
         me | - | Thanks. And the card number?\n\
         them | - | The card number is four one one one, one one one one, one one one one, one one one one.\n",
    )
    .unwrap();
    let (wav, _) = common::synth_call(&script, dir.path());
    let rules = dir.path().join("rules.d");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("pii.toml"),
        "[[rule]]\nid = \"phone-said\"\nspeaker = \"any\"\npatterns = [\"call me on ...\"]\nsuggestions = [\"s\"]\n",
    )
    .unwrap();
    let run = |redact: bool| {
        let cfg = dir.path().join(format!("redact-{redact}.toml"));
        std::fs::write(&cfg, format!("[log]\nredact = {redact}\n")).unwrap();
        let logs = dir.path().join(format!("logs-{redact}"));
        let out = common::warmcall()
            .args(["run", "--headless", "--input"])
            .arg(&wav)
            .arg("--config")
            .arg(&cfg)
            .arg("--log-dir")
            .arg(&logs)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), call_logs(&logs));
        words(&out.stdout)
    };
    let plain = run(false);
    let redacted = run(true);
    // Whisper decodes the same audio the same way: each line is what the redactor makes of it.
    let transcripts = |w: &[String]| -> Vec<String> {
        w.iter()
            .filter(|l| !l.starts_with("evidence: "))
            .cloned()
            .collect()
    };
    let expected: Vec<String> = transcripts(&plain)
        .iter()
        .map(|t| warmcall::redact::redact(t).into_owned())
        .collect();
    assert_eq!(transcripts(&redacted), expected);
    assert!(
        plain.iter().any(|l| longest_digit_run(l) >= 7),
        "whisper wrote no long number: {plain:?}"
    );
    for line in &redacted {
        assert!(longest_digit_run(line) < 7, "{line}");
    }
    assert!(
        redacted
            .iter()
            .any(|l| l.starts_with("evidence: call me on"))
    );
}

#[test]
fn analyze_redacts_its_input_and_output_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let transcript = dir.path().join("t.jsonl");
    std::fs::write(
        &transcript,
        "{\"speaker\":\"them\",\"start\":1.0,\"end\":4.0,\"text\":\"Mail john dot smith at acme dot com or call 555-123-4567.\"}\n",
    )
    .unwrap();
    let analyze = |config: &str| {
        let cfg = dir.path().join("c.toml");
        std::fs::write(&cfg, config).unwrap();
        let out = common::warmcall()
            .args(["analyze", "--config"])
            .arg(&cfg)
            .arg(&transcript)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let on = analyze("");
    assert!(on.contains("Mail [email] or call [phone]."), "{on}");
    assert!(!on.contains("smith") && !on.contains("4567"), "{on}");
    let off = analyze("[log]\nredact = false\n");
    assert!(off.contains("john dot smith at acme dot com"), "{off}");
}
