//! `warmcall run`: the coaching daemon. Live capture from the sound server (or a WAV file with
//! `--input`), recognition, rules, and outputs: desktop notifications, the per-call log, and
//! stdout in headless mode. Also the daemon's life cycle: control socket, signals, systemd
//! notifications, config reload and call-log retention.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::app::{Failure, Outcome, exit};
use crate::asr::Transcriber;
use crate::asr::whisper::{DecodeOptions, WhisperModel};
use crate::audio::live::{LiveOptions, LiveSource};
use crate::audio::source::{CaptureSource, WavSource};
use crate::cli::RunArgs;
use crate::commands::rules::load_rules;
use crate::config::Config;
use crate::notify::Notifier;
use crate::notify::desktop::Desktop;
use crate::pipeline::hub::{CallInfo, CallSinks, HubParts, Reloader, Sessions};
use crate::pipeline::{self, Overflow, PipelineConfig, TranscriberFactory, Wiring, control};
use crate::rules::{CompiledRules, RuleSet};
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

/// Opens a call log per call in `dir`.
pub fn call_logs(dir: PathBuf) -> CallSinks {
    Box::new(move |call: &CallInfo| {
        let log = CallLog::create(&dir, &call.call_id)?;
        tracing::info!(path = %log.path().display(), "Call log opened.");
        Ok(vec![Box::new(log) as Box<dyn EventSink>])
    })
}

/// Hub parts for a simple run: the built-in session handling, no control socket.
pub fn basic_parts(
    rules: Arc<CompiledRules>,
    sinks: Vec<Box<dyn EventSink>>,
    call_sinks: CallSinks,
    sessions: Sessions,
) -> HubParts {
    HubParts {
        rules,
        sinks,
        call_sinks,
        sessions,
        clock: None,
        notifier: None,
        policy: Default::default(),
        reloader: None,
        source: "file",
        devices: Vec::new(),
        model: String::new(),
        heartbeat: None,
    }
}

/// Delete call logs older than `days` in `dir` (0 keeps everything).
pub fn apply_retention(dir: &Path, days: u32) -> usize {
    if days == 0 {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let limit = Duration::from_secs(u64::from(days) * 86_400);
    let mut removed = 0;
    for e in entries.flatten() {
        let p = e.path();
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age > limit);
        if old && p.extension().is_some_and(|x| x == "jsonl") && std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, days, "Old call logs deleted.");
    }
    removed
}

/// Audio per capture callback. Each delivery costs the PulseAudio client a fixed amount of
/// work, so a larger buffer costs less CPU; it adds at most this much to the time a flag takes.
const CAPTURE_BUFFER: std::time::Duration = std::time::Duration::from_millis(100);

/// Reload config and rules from disk; the error names file, line and column.
/// Settings that only a restart applies are named in a warning.
fn reloader(config: Option<PathBuf>, running: Config) -> Reloader {
    Box::new(move || {
        let cfg = Config::load(config.as_deref()).map_err(|e| e.to_string())?;
        let stale = running.restart_needed(&cfg);
        if !stale.is_empty() {
            tracing::warn!(
                settings = %stale.join(", "),
                "These changed settings apply when warmcall restarts."
            );
        }
        let set = RuleSet::load(&cfg.rules_dir).map_err(|e| e.to_string())?;
        let rules = CompiledRules::new(set).map_err(|e| e.to_string())?;
        Ok((rules, cfg.policy()))
    })
}

fn sd_notify(state: &[sd_notify::NotifyState]) {
    let _ = sd_notify::notify(state);
}

/// `warmcall run …`.
pub fn run(args: RunArgs) -> Outcome {
    let cfg = Config::load(args.config.as_deref()).map_err(|e| Failure::new(exit::CONFIG, e))?;
    let rules = load_rules(args.config.as_deref())?;
    let log_dir = args.log_dir.clone().unwrap_or_else(|| cfg.log_dir.clone());
    apply_retention(&log_dir, cfg.retention_days);
    let wiring = Wiring::new();
    let (source, sessions, devices): (Box<dyn CaptureSource>, Sessions, Vec<String>) =
        match args.input.as_deref() {
            Some(input) => {
                let s = WavSource::open(input, args.realtime)
                    .map_err(|e| Failure::new(exit::INPUT, e))?;
                (
                    Box::new(s),
                    Sessions::Single,
                    vec![input.display().to_string()],
                )
            }
            None => {
                let opts = LiveOptions {
                    me: cfg.device_me.clone(),
                    them: cfg.device_them.clone(),
                    buffer: CAPTURE_BUFFER,
                };
                let s = LiveSource::open(opts, wiring.shared.stop.clone())
                    .map_err(|e| Failure::new(exit::AUDIO, e))?;
                let devices = s
                    .devices()
                    .into_iter()
                    .map(|(sp, name)| format!("{sp}: {name}"))
                    .collect();
                (
                    Box::new(s),
                    Sessions::Auto {
                        end_after: cfg.end_after_silence,
                    },
                    devices,
                )
            }
        };
    let live = args.input.is_none();
    let model = WhisperModel::load(&cfg.model)?;

    let notifier = (!args.headless)
        .then(|| Notifier::spawn(|mute| Box::new(Desktop::new(move |rule| mute(rule)))));
    let mut sinks: Vec<Box<dyn EventSink>> = Vec::new();
    if args.headless {
        sinks.push(Box::new(sink::Stdout));
    }
    let hub_tx = wiring.hub_sender();
    if live {
        if let Some(path) = control::socket_path() {
            control::serve(&path, hub_tx.clone()).map_err(|e| {
                Failure::new(
                    exit::FAILURE,
                    format!("control socket {}: {e}", path.display()),
                )
            })?;
        }
        install_signals(&wiring, hub_tx.clone());
        watch_config(&cfg, args.config.clone(), hub_tx.clone());
    }
    let heartbeat = watchdog();
    let parts = HubParts {
        rules,
        sinks,
        call_sinks: call_logs(log_dir.clone()),
        sessions,
        clock: None,
        notifier,
        policy: cfg.policy(),
        reloader: Some(reloader(args.config.clone(), cfg.clone())),
        source: if live { "live" } else { "file" },
        devices,
        model: cfg.model.display().to_string(),
        heartbeat,
    };
    let pcfg = PipelineConfig {
        overflow: if live || args.realtime {
            Overflow::DropOldest
        } else {
            Overflow::Block
        },
        live_clock: live || args.realtime,
        ..PipelineConfig::default()
    };
    sd_notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(if live { "listening" } else { "playing a file" }),
    ]);
    let result = pipeline::run(
        source,
        whisper_factory(model, cfg.language.clone()),
        parts,
        pcfg,
        wiring,
    );
    if live && let Some(path) = control::socket_path() {
        let _ = std::fs::remove_file(path);
    }
    if !live || !args.headless {
        eprintln!("warmcall: call logs are in {}", log_dir.display());
    }
    match result {
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::new(exit::INPUT, e)),
    }
}

/// SIGTERM/SIGINT finish the current call and exit; SIGHUP reloads the config.
fn install_signals(wiring: &Wiring, hub: crossbeam_channel::Sender<pipeline::Msg>) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let stop = wiring.shared.stop.clone();
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
        tracing::warn!("Cannot install signal handlers.");
        return;
    };
    let _ = std::thread::Builder::new()
        .name("warmcall-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if sig == SIGHUP {
                    let (tx, _rx) = crossbeam_channel::bounded(1);
                    let _ = hub.send(pipeline::Msg::Control {
                        cmd: control::Command::Reload,
                        reply: tx,
                    });
                } else {
                    sd_notify(&[sd_notify::NotifyState::Stopping]);
                    stop.store(true, Ordering::Release);
                }
            }
        });
}

/// Watch the config file and rules directory; a change (debounced) reloads.
fn watch_config(
    cfg: &Config,
    explicit: Option<PathBuf>,
    hub: crossbeam_channel::Sender<pipeline::Msg>,
) {
    use notify::Watcher;
    let config_file = explicit.unwrap_or_else(crate::paths::config_file);
    let mut dirs = vec![
        config_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default(),
    ];
    dirs.push(cfg.rules_dir.clone());
    let (tx, rx) = crossbeam_channel::unbounded();
    let watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev
            && !matches!(ev.kind, notify::EventKind::Access(_))
        {
            let _ = tx.send(());
        }
    });
    let Ok(mut watcher) = watcher else {
        tracing::warn!("Cannot watch the config for changes; use `warmcall ctl reload`.");
        return;
    };
    for d in &dirs {
        if d.is_dir() {
            let _ = watcher.watch(d, notify::RecursiveMode::NonRecursive);
        }
    }
    let _ = std::thread::Builder::new()
        .name("warmcall-watch".into())
        .spawn(move || {
            let _keep = watcher;
            while rx.recv().is_ok() {
                // Debounce: editors write in several steps.
                std::thread::sleep(Duration::from_millis(300));
                while rx.try_recv().is_ok() {}
                let (reply, _r) = crossbeam_channel::bounded(1);
                let _ = hub.send(pipeline::Msg::Control {
                    cmd: control::Command::Reload,
                    reply,
                });
            }
        });
}

/// The systemd watchdog: pinged at half its interval, only while the pipeline is alive.
fn watchdog() -> Option<Box<dyn FnMut(bool) + Send>> {
    let every = sd_notify::watchdog_enabled()? / 2;
    let mut last = Instant::now();
    Some(Box::new(move |alive| {
        if alive && last.elapsed() >= every {
            last = Instant::now();
            sd_notify(&[sd_notify::NotifyState::Watchdog]);
        }
    }))
}
