//! Fixture helpers shared by the integration tests: where the real models are, and the
//! warmcall binary.
#![allow(dead_code)]

pub mod browser;
pub mod daemon;
pub mod desktop;
pub mod measure;
pub mod screen;
pub mod user_manager;

use std::path::PathBuf;

fn home() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
}

fn xdg(var: &str, fallback: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(fallback))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the models are installed (`$XDG_DATA_HOME`, else ~/.local/share).
pub fn data_home() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share")
}

/// The binary a benchmark runs: `$WARMCALL_BIN` (to compare builds), else the release build.
pub fn warmcall_bin() -> PathBuf {
    std::env::var_os("WARMCALL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/release/warmcall"))
}

/// The files of a call-log directory, by name (call ids sort by time); none if it is missing.
pub fn log_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Every event of every call log in `dir`, in file order, skipping lines that do not parse
/// (for faults that may cut a line).
pub fn read_call_logs(dir: &std::path::Path) -> Vec<warmcall::event::Event> {
    log_files(dir)
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| warmcall::event::Event::from_json_line(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The installed ggml model `name` ("tiny.en" or "base"). Tests need the real model: a
/// missing one fails the test with the command that installs it.
pub fn model(name: &str) -> PathBuf {
    let p = data_home()
        .join("warmcall/models")
        .join(format!("ggml-{name}.bin"));
    assert!(
        p.is_file(),
        "{} is missing: run `models/fetch.sh --base` (scripts/test does)",
        p.display()
    );
    p
}

/// The unpacked CTranslate2 source of model `name`, kept by models/fetch.sh.
pub fn ct2_dir(name: &str) -> PathBuf {
    let p = xdg("XDG_CACHE_HOME", ".cache")
        .join("warmcall/ct2")
        .join(name);
    assert!(
        p.join("config.json").is_file(),
        "{} is missing: run `models/fetch.sh --base` (scripts/test does)",
        p.display()
    );
    p
}

/// The warmcall binary under test.
pub fn warmcall() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("warmcall").expect("binary built")
}

/// A line of a synthetic call's truth file.
#[derive(Debug, serde::Deserialize)]
pub struct Truth {
    pub speaker: warmcall::event::Speaker,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub expect: Vec<String>,
}

/// Synthesise a call script with espeak-ng (scripts/synth-call) into `dir`.
pub fn synth_call(script: &std::path::Path, dir: &std::path::Path) -> (PathBuf, Vec<Truth>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let wav = dir.join("call.wav");
    let truth = dir.join("call.truth.jsonl");
    let status = std::process::Command::new(root.join("scripts/synth-call"))
        .arg(script)
        .arg("--out")
        .arg(&wav)
        .arg("--truth")
        .arg(&truth)
        .status()
        .expect("scripts/synth-call runs (needs python3, espeak-ng and sox: scripts/setup installs them)");
    assert!(status.success());
    (wav, read_truth(&truth))
}

/// The utterances of a truth file written by scripts/synth-call.
pub fn read_truth(path: &std::path::Path) -> Vec<Truth> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Write a 16-bit WAV of `channels` interleaved channels.
pub fn write_wav(path: &std::path::Path, rate: u32, channels: u16, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        w.write_sample((s.clamp(-1.0, 1.0) * 32767.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
}

/// Run `warmcall run --headless --input wav` with logs in `log_dir`; return the parsed events.
pub fn run_headless(
    wav: &std::path::Path,
    log_dir: &std::path::Path,
    extra: &[&str],
) -> Vec<warmcall::event::Event> {
    let out = warmcall()
        .env("XDG_CONFIG_HOME", log_dir.join("no-config"))
        .args(["run", "--headless", "--input"])
        .arg(wav)
        .arg("--log-dir")
        .arg(log_dir)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| warmcall::event::Event::from_json_line(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Tests that run whisper take this lock: on two cores, concurrent decodes thrash. The
/// desktop tests that do not decode take it too, so one test desktop (sound server, bus,
/// user manager) runs at a time.
pub fn whisper_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The installed sentence encoder. Tests need the real model: a missing one fails the test
/// with the command that installs it.
pub fn encoder() -> std::sync::Arc<dyn warmcall::encoder::SentenceEncoder> {
    let dir = xdg("XDG_DATA_HOME", ".local/share").join("warmcall/models/all-MiniLM-L6-v2");
    match warmcall::encoder::MiniLm::load(&dir) {
        Ok(e) => std::sync::Arc::new(e),
        Err(e) => panic!("{e} (scripts/test runs models/fetch.sh)"),
    }
}

/// A real encoder that counts the passes (calls of `encode`) and the texts it is given: what
/// the rule stage's memo of embeddings saves.
pub struct CountingEncoder {
    inner: std::sync::Arc<dyn warmcall::encoder::SentenceEncoder>,
    passes: std::sync::atomic::AtomicUsize,
    texts: std::sync::atomic::AtomicUsize,
}

impl CountingEncoder {
    pub fn new(inner: std::sync::Arc<dyn warmcall::encoder::SentenceEncoder>) -> Self {
        Self {
            inner,
            passes: Default::default(),
            texts: Default::default(),
        }
    }

    /// (passes, texts) so far.
    pub fn counts(&self) -> (usize, usize) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.passes.load(Relaxed), self.texts.load(Relaxed))
    }
}

impl warmcall::encoder::SentenceEncoder for CountingEncoder {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, warmcall::encoder::EncoderError> {
        use std::sync::atomic::Ordering::Relaxed;
        self.passes.fetch_add(1, Relaxed);
        self.texts.fetch_add(texts.len(), Relaxed);
        self.inner.encode(texts)
    }
}

/// The default pack with the sentence encoder, as the daemon runs it.
pub fn semantic_rules() -> std::sync::Arc<warmcall::rules::CompiledRules> {
    warmcall::rules::CompiledRules::with_encoder(
        warmcall::rules::RuleSet::builtin(),
        Some(encoder()),
    )
    .expect("the default pack compiles")
}

/// The flag events among `events`, in order.
pub fn flags(events: &[warmcall::event::Event]) -> Vec<&warmcall::event::Flag> {
    events
        .iter()
        .filter_map(|e| match e {
            warmcall::event::Event::Flag(f) => Some(f),
            _ => None,
        })
        .collect()
}

/// A notification backend for `Builder::notifier` that keeps every note it is shown.
pub fn recorder() -> (
    warmcall::notify::gate::MakeBackend,
    std::sync::Arc<std::sync::Mutex<Vec<warmcall::notify::Note>>>,
) {
    use std::sync::{Arc, Mutex};
    use warmcall::notify::{Backend, Note, NotifyError};
    struct Recorder(Arc<Mutex<Vec<Note>>>);
    impl Backend for Recorder {
        fn show(&mut self, note: &Note, _: Option<u32>) -> Result<u32, NotifyError> {
            let mut notes = self.0.lock().unwrap();
            notes.push(note.clone());
            Ok(notes.len() as u32)
        }
    }
    let notes: Arc<Mutex<Vec<Note>>> = Arc::default();
    let n = notes.clone();
    let make: warmcall::notify::gate::MakeBackend =
        Box::new(move |_| Some(Box::new(Recorder(n)) as Box<dyn Backend>));
    (make, notes)
}
