//! The pipeline built in-process through `pipeline::Builder`, with parts replaced the way the
//! fault tests replace them: a scripted recogniser, a live source that is a script, and a
//! notification backend that records what it is asked to show.

use crate::common;

use std::path::Path;
use std::sync::{Arc, Mutex};

use warmcall::asr::{AsrError, Segment, Transcriber, TranscriberFactory, Transcription};
use warmcall::audio::source::{CaptureError, CaptureSource, SourceKind};
use warmcall::config::Config;
use warmcall::control::{Command, Status};
use warmcall::event::{Event, Gap, Speaker, Transcript};
use warmcall::notify::gate::Mutes;
use warmcall::pipeline::{Builder, RunOptions, Services, Tuning};
use warmcall::sink::Callback;

/// Every phrase is heard as `text`, or fails to decode when `text` is `None`.
fn scripted(text: Option<&'static str>) -> TranscriberFactory {
    struct Script(Option<&'static str>);
    impl Transcriber for Script {
        fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
            let text = self
                .0
                .ok_or_else(|| AsrError::Engine("scripted failure".into()))?;
            Ok(Transcription {
                segments: vec![Segment {
                    start: 0.0,
                    end: pcm.len() as f64 / 16_000.0,
                    text: text.into(),
                    no_speech_prob: 0.01,
                    avg_logprob: -0.1,
                }],
            })
        }
    }
    Box::new(move |_| Ok(Box::new(Script(text)) as Box<dyn Transcriber>))
}

fn jfk() -> RunOptions {
    RunOptions {
        input: Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/jfk.wav")),
        ..RunOptions::default()
    }
}

/// Build with the replaced parts; collect every event.
fn builder(opts: RunOptions, text: Option<&'static str>) -> (Builder, Arc<Mutex<Vec<Event>>>) {
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let e = events.clone();
    let b = Builder::new(Config::defaults(), opts)
        .rules(warmcall::rules::CompiledRules::builtin())
        .recogniser(scripted(text))
        .sink(Box::new(Callback(move |ev: &Event| {
            e.lock().unwrap().push(ev.clone())
        })))
        .call_sinks(Box::new(|_| Ok(Vec::new())))
        .mutes(Mutes::default());
    (b, events)
}

#[test]
fn a_file_runs_through_a_scripted_recogniser_and_the_gate() {
    let (make, notes) = common::recorder();
    let (b, events) = builder(jfk(), Some(" I'm just following up on my email."));
    let report = b.notifier(make).start().unwrap().wait().unwrap();
    let events = events.lock().unwrap();
    assert!(matches!(events.first(), Some(Event::CallStart { source, .. }) if source == "file"));
    assert!(matches!(events.last(), Some(Event::CallEnd { .. })));
    let transcripts: Vec<&Transcript> = events
        .iter()
        .filter_map(|e| match e {
            Event::Transcript(t) => Some(t),
            _ => None,
        })
        .collect();
    assert!(transcripts.len() >= 2, "{transcripts:?}");
    assert!(
        transcripts
            .iter()
            .all(|t| t.speaker == Speaker::Me && t.is_final)
    );
    assert_eq!(report.stats.phrases as usize, transcripts.len());
    let chasing: Vec<bool> = events
        .iter()
        .filter_map(|e| match e {
            Event::Flag(f) if f.rule == "chasing" => Some(f.notified),
            _ => None,
        })
        .collect();
    assert_eq!(
        chasing.first(),
        Some(&true),
        "the first flag becomes a bubble"
    );
    let notes = notes.lock().unwrap();
    let notified = events
        .iter()
        .filter(|e| matches!(e, Event::Flag(f) if f.notified))
        .count();
    assert_eq!(
        notes.len(),
        notified,
        "every notified flag was shown, no other"
    );
    assert_eq!(notes[0].rule(), Some("chasing"));
}

/// A recogniser that takes `delay` per phrase, as on a machine too busy to keep up.
fn slow(delay: std::time::Duration) -> TranscriberFactory {
    struct Slow(std::time::Duration);
    impl Transcriber for Slow {
        fn transcribe(&mut self, pcm: &[f32]) -> Result<Transcription, AsrError> {
            std::thread::sleep(self.0);
            Ok(Transcription {
                segments: vec![Segment {
                    start: 0.0,
                    end: pcm.len() as f64 / 16_000.0,
                    text: " Where do you think we should go from here?".into(),
                    no_speech_prob: 0.01,
                    avg_logprob: -0.1,
                }],
            })
        }
    }
    Box::new(move |_| Ok(Box::new(Slow(delay)) as Box<dyn Transcriber>))
}

/// jfk.wav's four phrases end at about 2.3, 4.4, 7.6 and 11 s. Each decode takes 4 s, so the
/// second phrase waits about 2 s behind the first and is skipped (the bound is 1 s); the third
/// finds recognition free again.
#[test]
fn at_real_speed_a_phrase_that_waited_too_long_is_skipped_with_a_gap() {
    let opts = RunOptions {
        realtime: true,
        ..jfk()
    };
    let (b, events) = builder(opts, None);
    let report = b
        .recogniser(slow(std::time::Duration::from_secs(4)))
        .tuning(Tuning {
            stale_after: std::time::Duration::from_secs(1),
            ..Tuning::default()
        })
        .notifier(Box::new(|_| None))
        .start()
        .unwrap()
        .wait()
        .unwrap();
    let events = events.lock().unwrap();
    let skipped = events
        .iter()
        .filter(|e| matches!(e, Event::Gap(g) if g.reason == warmcall::pipeline::asr_worker::STALE_REASON))
        .count();
    // Finals: partials (the phrase so far, decoded while it is spoken) are not phrases.
    let transcripts = events
        .iter()
        .filter(|e| matches!(e, Event::Transcript(t) if t.is_final))
        .count();
    assert!(skipped >= 1, "no phrase was skipped: {events:#?}");
    assert!(transcripts >= 1, "nothing was decoded: {events:#?}");
    assert_eq!(report.stats.phrases as usize, transcripts);
    assert!(
        report.stats.dropped as usize >= skipped,
        "{:?}",
        report.stats
    );
}

#[test]
fn a_recogniser_that_fails_leaves_gaps_and_no_text() {
    let (b, events) = builder(jfk(), None);
    let report = b
        .notifier(Box::new(|_| None))
        .start()
        .unwrap()
        .wait()
        .unwrap();
    let events = events.lock().unwrap();
    let gaps: Vec<&Gap> = events
        .iter()
        .filter_map(|e| match e {
            Event::Gap(g) => Some(g),
            _ => None,
        })
        .collect();
    assert!(!gaps.is_empty());
    assert!(
        gaps.iter()
            .all(|g| g.reason == "recognition failed on this speech")
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Transcript(_))));
    assert_eq!(report.stats.dropped as usize, gaps.len());
}

/// A live source that is a script: a loud tone on the rep's channel, then silence for ever.
struct LiveScript {
    reads: usize,
}

impl CaptureSource for LiveScript {
    fn speakers(&self) -> &[Speaker] {
        &Speaker::BOTH
    }
    fn sample_rate(&self) -> u32 {
        16_000
    }
    fn kind(&self) -> SourceKind {
        SourceKind::Live
    }
    fn paced(&self) -> bool {
        true
    }
    fn describe(&self) -> Vec<String> {
        vec!["me: script".into(), "them: script".into()]
    }
    fn read(&mut self, out: &mut [Vec<f32>]) -> Result<bool, CaptureError> {
        std::thread::sleep(std::time::Duration::from_millis(5));
        self.reads += 1;
        let loud = self.reads <= 100;
        out[0] = (0..320)
            .map(|i| {
                if loud {
                    (i as f32 * 0.06).sin() * 0.5
                } else {
                    0.0
                }
            })
            .collect();
        out[1] = vec![0.0; 320];
        Ok(true)
    }
}

#[test]
fn a_live_run_answers_control_commands_and_stops() {
    let source = LiveScript { reads: 0 };
    let opts = RunOptions {
        headless: true,
        ..RunOptions::default()
    };
    let (b, events) = builder(opts, Some(" Trust me, this is the right decision."));
    let tuning = Tuning {
        vad: "energy".into(),
        ..Tuning::default()
    };
    // No control socket, signal handlers or config watcher in a test process.
    let pipeline = b
        .source(Box::new(source))
        .tuning(tuning)
        .services(Services::default())
        .start()
        .unwrap();
    let mut status: Option<Status> = None;
    for _ in 0..200 {
        let answer = pipeline.control(Command::Status).unwrap();
        let s: Status = serde_json::from_str(&answer).unwrap();
        let done = s.state == "in_call" && s.phrases > 0;
        status = Some(s);
        if done {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let status = status.unwrap();
    assert_eq!(status.state, "in_call", "{status:?}");
    assert_eq!(status.source, "live");
    assert_eq!(status.devices, ["me: script", "them: script"]);
    assert_eq!(status.notification_server, "off", "headless shows nothing");
    assert_eq!(
        pipeline.control(Command::EndCall).as_deref(),
        Some(r#"{"ok":true}"#)
    );
    pipeline.stop();
    pipeline.wait().unwrap();
    let events = events.lock().unwrap();
    assert!(matches!(events.first(), Some(Event::CallStart { source, .. }) if source == "live"));
    assert!(events.iter().any(|e| matches!(e, Event::CallEnd { .. })));
}
