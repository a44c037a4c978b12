//! The daemon's services around the pipeline: the control socket, signals, the config
//! watcher and systemd notifications. The builder starts them; `Pipeline::wait` stops them.
//! All of them talk to the hub through its channel, as control commands.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache};

use super::hub::Heartbeat;
use super::messages::{HubSender, Msg};
use crate::control::Command;
use crate::control::server::Server;

/// Which services a run has. Live runs have all of them; a file run none.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Services {
    /// Serve the control socket here.
    pub control: Option<PathBuf>,
    /// SIGTERM/SIGINT finish the call and stop; SIGHUP reloads.
    pub signals: bool,
    /// Reload when the config file's directory or the rules directory changes.
    pub watch: Vec<PathBuf>,
}

impl Services {
    /// The daemon's services: the control socket at its default path, signals, and a watch
    /// on the directory of `config_file` and on `rules_dir`.
    pub fn daemon(config_file: &Path, rules_dir: &Path) -> Self {
        Self {
            control: crate::control::socket_path(),
            signals: true,
            watch: vec![
                config_file
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_default(),
                rules_dir.to_path_buf(),
            ],
        }
    }
}

/// The services of a running pipeline.
#[derive(Default)]
pub(super) struct Running {
    control: Option<Server>,
    signals: Option<(signal_hook::iterator::Handle, JoinHandle<()>)>,
    watcher: Option<Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>>,
}

impl Running {
    /// Start `services`; only the control socket failing to bind is an error.
    pub fn start(
        services: &Services,
        hub: &HubSender,
        stop: &Arc<AtomicBool>,
    ) -> Result<Self, (PathBuf, std::io::Error)> {
        let mut running = Running::default();
        if let Some(path) = &services.control {
            running.control =
                Some(Server::start(path, hub.clone()).map_err(|e| (path.clone(), e))?);
        }
        if services.signals {
            running.signals = signals(hub.clone(), stop.clone());
        }
        if !services.watch.is_empty() {
            running.watcher = watch(&services.watch, hub.clone());
        }
        Ok(running)
    }

    /// Stop every service and join its thread.
    pub fn stop(mut self) {
        self.stop_now();
    }

    /// Stop every service and join its thread (a start that fails after they started).
    pub fn stop_now(&mut self) {
        if let Some(server) = self.control.take() {
            server.shutdown();
        }
        if let Some((handle, thread)) = self.signals.take() {
            handle.close();
            let _ = thread.join();
        }
        if let Some(watcher) = self.watcher.take() {
            watcher.stop();
        }
    }
}

/// SIGTERM/SIGINT finish the current call and exit; SIGHUP reloads the config.
fn signals(
    hub: HubSender,
    stop: Arc<AtomicBool>,
) -> Option<(signal_hook::iterator::Handle, JoinHandle<()>)> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
        tracing::warn!("Cannot install signal handlers.");
        return None;
    };
    let handle = signals.handle();
    let thread = std::thread::Builder::new()
        .name("warmcall-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if sig == SIGHUP {
                    let _ = hub.send(Msg::command(Command::Reload));
                } else {
                    let name = if sig == SIGTERM { "SIGTERM" } else { "SIGINT" };
                    tracing::info!(
                        signal = name,
                        "Stopping: the current call is finished and its log closed."
                    );
                    sd_notify(&[sd_notify::NotifyState::Stopping]);
                    stop.store(true, Ordering::Release);
                }
            }
        })
        .ok()?;
    Some((handle, thread))
}

/// How long the watcher waits for an editor's writes to settle before reloading.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Watch `dirs` (those that exist); a change reloads. Reading a file is not a change, so the
/// reload's own reads trigger nothing.
fn watch(
    dirs: &[PathBuf],
    hub: HubSender,
) -> Option<Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>> {
    let handler = move |res: DebounceEventResult| {
        let changed = res.is_ok_and(|events| {
            events
                .iter()
                .any(|e| !matches!(e.kind, EventKind::Access(_)))
        });
        if changed {
            let _ = hub.send(Msg::command(Command::Reload));
        }
    };
    let Ok(mut debouncer) = notify_debouncer_full::new_debouncer(DEBOUNCE, None, handler) else {
        tracing::warn!("Cannot watch the config for changes; use `warmcall ctl reload`.");
        return None;
    };
    for d in dirs.iter().filter(|d| d.is_dir()) {
        let _ = debouncer.watch(d, RecursiveMode::NonRecursive);
    }
    Some(debouncer)
}

/// Tell systemd (when it started us with `Type=notify`); a no-op otherwise.
pub fn sd_notify(state: &[sd_notify::NotifyState]) {
    let _ = sd_notify::notify(state);
}

/// The systemd watchdog: pinged at half its interval, only while the pipeline is alive.
pub fn watchdog() -> Option<Heartbeat> {
    let every = sd_notify::watchdog_enabled()? / 2;
    let mut last = Instant::now();
    Some(Box::new(move |alive| {
        if alive && last.elapsed() >= every {
            last = Instant::now();
            sd_notify(&[sd_notify::NotifyState::Watchdog]);
        }
    }))
}
