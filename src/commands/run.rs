//! `warmcall run`: the coaching pipeline on a WAV file (headless); live capture arrives with
//! the daemon.

use std::path::Path;
use std::sync::Arc;

use crate::app::{Failure, Outcome, exit};
use crate::asr::Transcriber;
use crate::asr::whisper::{DecodeOptions, WhisperModel};
use crate::audio::source::WavSource;
use crate::cli::RunArgs;
use crate::commands::rules::load_rules;
use crate::config::Config;
use crate::pipeline::{self, Overflow, PipelineConfig, TranscriberFactory, clock, hub::CallInfo};
use crate::sink::{self, EventSink, calllog::CallLog};

/// A factory that gives each speaker its own decoding state of `model`.
pub fn whisper_factory(model: WhisperModel, language: Option<String>) -> TranscriberFactory {
    Box::new(move |_speaker| {
        let opts = DecodeOptions {
            language: language.clone(),
            ..DecodeOptions::default()
        };
        Ok(Box::new(model.transcriber(opts)?) as Box<dyn Transcriber>)
    })
}

/// A fresh call id and its wall-clock start.
pub fn new_call() -> CallInfo {
    let now = clock::unix_now();
    CallInfo {
        call_id: clock::call_id(now, clock::nonce()),
        wall: clock::rfc3339(now),
    }
}

/// `warmcall run …`.
pub fn run(args: RunArgs) -> Outcome {
    let Some(input) = args.input.as_deref() else {
        return Err(Failure::new(
            exit::USAGE,
            "live capture is not available yet (planned in issue #6); use --input CALL.wav",
        ));
    };
    if !args.headless {
        return Err(Failure::new(
            exit::USAGE,
            "desktop notifications are not available yet (planned in issue #6); add --headless",
        ));
    }
    let cfg = Config::load(args.config.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let rules = load_rules(args.config.as_deref())?;
    let source = WavSource::open(input, args.realtime).map_err(|e| Failure::new(exit::INPUT, e))?;
    let model = WhisperModel::load(&cfg.model)?;
    let log_dir = args.log_dir.clone().unwrap_or_else(|| cfg.log_dir.clone());
    run_file(source, model, &cfg, rules, &log_dir, args.realtime)
}

fn run_file(
    source: WavSource,
    model: WhisperModel,
    cfg: &Config,
    rules: Arc<crate::rules::CompiledRules>,
    log_dir: &Path,
    realtime: bool,
) -> Outcome {
    let call = new_call();
    let log = CallLog::create(log_dir, &call.call_id).map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("cannot create the call log in {}: {e}", log_dir.display()),
        )
    })?;
    let log_path = log.path().to_path_buf();
    let sinks: Vec<Box<dyn EventSink>> = vec![Box::new(sink::Stdout), Box::new(log)];
    let pcfg = PipelineConfig {
        overflow: if realtime {
            Overflow::DropOldest
        } else {
            Overflow::Block
        },
        live_clock: realtime,
        ..PipelineConfig::default()
    };
    let result = pipeline::run(
        Box::new(source),
        whisper_factory(model, cfg.language.clone()),
        rules,
        sinks,
        call,
        pcfg,
    );
    eprintln!("warmcall: call log written to {}", log_path.display());
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::new(exit::INPUT, e)),
    }
}
