//! What each fuzz target does with one input: the same calls warmcall makes on a file of
//! that kind. Each must return, never panic, abort or hang: `Ok` when the input was accepted,
//! or the error message a user would read.
//!
//! This file is compiled twice: into the fuzz crate, whose binaries run it under AFL++, and
//! into `tests/fuzz_regressions.rs`, which feeds it every saved finding in
//! `tests/fuzz-regressions/<target>/`.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use warmcall::audio::source::{CaptureSource, WavSource};
use warmcall::audio::wav;
use warmcall::config::Config;
use warmcall::control::server::{Limits, serve};
use warmcall::control::{Reply, Request, Status};
use warmcall::event::Speaker;
use warmcall::model::{ct2::Ct2Model, ggml, import};
use warmcall::rules::explain::explain;
use warmcall::rules::replay::{parse_transcript, replay};
use warmcall::rules::spec::Source;
use warmcall::rules::{CompiledRules, RuleSet, pattern};
use warmcall::text::normalize;

/// Every target by name, as the fuzz script and the regression test know them.
pub const TARGETS: &[(&str, Target)] = &[
    ("wav", wav),
    ("ggml", ggml),
    ("ct2", ct2),
    ("pattern", pattern),
    ("rules", rules),
    ("config", config),
    ("analyze", analyze),
    ("control", control),
];

/// One target: input bytes in, the user's error message out.
pub type Target = fn(&[u8]) -> Result<(), String>;

fn text(data: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"))
}

/// A file of this process's own in the temporary directory, for readers that need a path.
fn scratch(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("warmcall-fuzz-{}-{n}-{name}", std::process::id()))
}

/// WAV bytes: the whole-file reader, then the streaming file source read to the end.
pub fn wav(data: &[u8]) -> Result<(), String> {
    let whole = wav::read(data, Path::new("fuzz.wav"));
    if let Ok(a) = &whole {
        assert!(a.channels.iter().flatten().all(|s| s.is_finite()));
        assert!((1..=2).contains(&a.channels.len()));
    }
    let path = scratch("in.wav");
    std::fs::write(&path, data).map_err(|e| e.to_string())?;
    let streamed = WavSource::open(&path, false).map_err(|e| e.to_string());
    let result = streamed.and_then(|mut src| {
        let _ = src.duration();
        let mut out = vec![Vec::new(); src.speakers().len()];
        while src.read(&mut out).map_err(|e| e.to_string())? {
            assert!(out.iter().flatten().all(|s| s.is_finite()));
        }
        Ok(())
    });
    let _ = std::fs::remove_file(&path);
    whole.map_err(|e| e.to_string())?;
    result
}

/// A ggml model file: the validator whisper.cpp is protected by.
pub fn ggml(data: &[u8]) -> Result<(), String> {
    let (hp, _) = ggml::validate_bytes(data).map_err(|e| e.to_string())?;
    assert!(ggml::check_hparams(&hp).is_ok());
    Ok(())
}

const CT2_CONFIG: &str = r#"{"lang_ids":[50259],"suppress_ids":[1],"suppress_ids_begin":[220]}"#;
/// A tokenizer with no tokens: conversion maps every tensor, then stops at the vocabulary.
const CT2_TOKENIZER: &str = r#"{"model":{"vocab":{}}}"#;

/// A CTranslate2 `model.bin`: the reader, every variable's accessors, and the conversion to
/// ggml that `model import` runs on it.
pub fn ct2(data: &[u8]) -> Result<(), String> {
    let model = Ct2Model::parse(data).map_err(|e| e.to_string())?;
    for name in model.names() {
        if let Some(t) = model.get(name) {
            let _ = (t.len(), t.scalar_int(), t.to_f32().map(|v| v.len()));
        }
    }
    import::convert(&model, CT2_CONFIG, CT2_TOKENIZER)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// One phrase pattern: translated, compiled within its limits, matched against itself.
pub fn pattern(data: &[u8]) -> Result<(), String> {
    let text = text(data)?;
    let re = pattern::compile(text).map_err(|e| e.to_string())?;
    let _ = re.is_match(&normalize(text));
    Ok(())
}

/// A rules.d file: parsed, validated and merged with the built-ins, its own rules compiled
/// into a matcher and asked about an utterance.
pub fn rules(data: &[u8]) -> Result<(), String> {
    let text = text(data)?;
    let set = RuleSet::from_texts(&[(PathBuf::from("fuzz.toml"), text.to_string())])
        .map_err(|e| e.to_string())?;
    // Compiling the built-in pack on every input would make this target too slow to be
    // useful; the built-ins are covered by the normal tests.
    let own = RuleSet {
        rules: set
            .rules
            .into_iter()
            .filter(|r| r.source != Source::Builtin)
            .collect(),
    };
    let compiled = CompiledRules::new(own).map_err(|e| e.to_string())?;
    let _ = explain(
        &compiled,
        "we are the best, what is your budget",
        Speaker::Me,
        30.0,
    );
    Ok(())
}

/// A config file.
pub fn config(data: &[u8]) -> Result<(), String> {
    let text = text(data)?;
    let c = Config::parse(Path::new("/fuzz/config.toml"), text).map_err(|e| e.to_string())?;
    assert!(c.end_after_silence.is_finite() && c.min_interval.is_finite());
    let _ = c.restart_needed(&Config::defaults());
    Ok(())
}

/// A control connection: the bytes a client sends, read by the server within its deadline and
/// answered (the daemon never answers here, so a command is answered "busy"); then the same
/// bytes as an answer line the client reads.
pub fn control(data: &[u8]) -> Result<(), String> {
    let (server_end, mut client_end) = UnixStream::pair().map_err(|e| e.to_string())?;
    // What fits the socket buffer without blocking; then the client is done sending.
    client_end
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    let _ = client_end.write(data);
    let _ = client_end.shutdown(std::net::Shutdown::Write);
    let (tx, _rx) = crossbeam_channel::bounded::<Request>(1);
    let limits = Limits {
        read: Duration::from_secs(1),
        answer: Duration::ZERO,
        connections: 1,
    };
    let _ = serve(server_end, &tx, limits);
    let text = String::from_utf8_lossy(data);
    let line = text.lines().next().unwrap_or_default();
    let reply = Reply::parse(line);
    let _ = serde_json::from_str::<Status>(line);
    if reply.ok {
        Ok(())
    } else {
        Err(format!("a refusal (busy: {})", reply.busy))
    }
}

/// `analyze` input: transcript JSON Lines parsed and replayed through the built-in pack.
pub fn analyze(data: &[u8]) -> Result<(), String> {
    static RULES: OnceLock<Arc<CompiledRules>> = OnceLock::new();
    let text = text(data)?;
    let (utts, errors) = parse_transcript(text);
    let rules = RULES.get_or_init(CompiledRules::builtin).clone();
    for event in replay(rules, &utts) {
        let _ = event.to_json_line();
    }
    match errors.first() {
        None => Ok(()),
        Some(e) => Err(format!("line {}: {}", e.line, e.message)),
    }
}
