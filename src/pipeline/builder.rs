//! The assembly: the one place that creates the pipeline's channels and starts its threads.
//!
//! `Builder::new(config, options)` takes the validated config and the command's options once;
//! `start` opens the capture backend, loads the model, compiles the rules, starts the
//! notification gate, the services, and the capture, recognition and hub threads, and returns
//! the running `Pipeline`. Tests, benchmarks and embedders replace parts with builder methods
//! (a scripted recogniser, a fault-injecting source, a recording notification backend, extra
//! sinks) instead of reaching into the stages.

use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::asr_worker;
use super::capture::{Capture, Overflow};
use super::clock::AudioClock;
use super::control::{Reloader, config_reloader};
use super::hub::{Hub, HubParts};
use super::messages::{AsrJob, Msg, Shared};
use super::redaction::Redaction;
use super::running::Pipeline;
use super::services::{self, Running, Services};
use super::session::{self, CallSinks, Sessions};
use super::status::RunInfo;
use super::{StartError, Tuning};
use crate::asr::TranscriberFactory;
use crate::asr::whisper::WhisperModel;
use crate::audio::source::{CaptureSource, SourceKind};
use crate::audio::{self, CaptureRequest};
use crate::config::Config;
use crate::frontend::{Frontend, vad};
use crate::notify::gate::{Gate, MakeBackend, Mutes, Policy};
use crate::notify::open_report::OpenReport;
use crate::notify::{Actions, ReportOpener};
use crate::rules::CompiledRules;
use crate::sink::{self, EventSink, calllog};

/// What the command asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// Play this WAV file instead of live capture.
    pub input: Option<PathBuf>,
    /// Pace the file at real speed.
    pub realtime: bool,
    /// Print the event log on stdout and show no notifications.
    pub headless: bool,
    /// What headless mode prints: JSON Lines or the text view.
    pub format: sink::Format,
    /// Call logs go here instead of the config's directory.
    pub log_dir: Option<PathBuf>,
    /// The config file in use (`None`: the per-user one), for reloads.
    pub config_path: Option<PathBuf>,
}

impl RunOptions {
    /// Where call logs go.
    pub fn log_dir(&self, cfg: &Config) -> PathBuf {
        self.log_dir.clone().unwrap_or_else(|| cfg.log_dir.clone())
    }

    /// The capture backend (`audio::BACKENDS`) these options name.
    pub fn capture_backend(&self) -> &'static str {
        if self.input.is_some() {
            "file"
        } else {
            audio::LIVE_BACKEND
        }
    }

    /// The notification backend (`notify::BACKENDS`) these options name.
    pub fn notify_backend(&self) -> &'static str {
        if self.headless { "none" } else { "desktop" }
    }
}

/// Start a named pipeline thread.
fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"))
}

/// The stages of a run, built and ready for their threads.
struct Stages {
    source: Box<dyn CaptureSource>,
    frontends: Vec<Frontend>,
    recogniser: TranscriberFactory,
    hub: Hub,
}

/// Builds and starts a pipeline.
pub struct Builder {
    cfg: Config,
    opts: RunOptions,
    source: Option<Box<dyn CaptureSource>>,
    recogniser: Option<TranscriberFactory>,
    rules: Option<Arc<CompiledRules>>,
    sinks: Vec<Box<dyn EventSink>>,
    call_sinks: Option<CallSinks>,
    notifier: Option<MakeBackend>,
    mutes: Option<Mutes>,
    report_opener: Option<ReportOpener>,
    reloader: Option<Reloader>,
    tuning: Tuning,
    services: Option<Services>,
}

impl Builder {
    pub fn new(cfg: Config, opts: RunOptions) -> Self {
        Self {
            cfg,
            opts,
            source: None,
            recogniser: None,
            rules: None,
            sinks: Vec::new(),
            call_sinks: None,
            notifier: None,
            mutes: None,
            report_opener: None,
            reloader: None,
            tuning: Tuning::default(),
            services: None,
        }
    }

    /// Capture from `source` instead of the backend the options name.
    pub fn source(mut self, source: Box<dyn CaptureSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Recognise with these transcribers instead of the configured whisper model.
    pub fn recogniser(mut self, factory: TranscriberFactory) -> Self {
        self.recogniser = Some(factory);
        self
    }

    /// Use these rules instead of the config's.
    pub fn rules(mut self, rules: Arc<CompiledRules>) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Add a sink for every event of the run.
    pub fn sink(mut self, sink: Box<dyn EventSink>) -> Self {
        self.sinks.push(sink);
        self
    }

    /// Open these sinks per call instead of the call log.
    pub fn call_sinks(mut self, call_sinks: CallSinks) -> Self {
        self.call_sinks = Some(call_sinks);
        self
    }

    /// Show notifications through this backend instead of the one the options name.
    pub fn notifier(mut self, make: MakeBackend) -> Self {
        self.notifier = Some(make);
        self
    }

    /// Use this mute set instead of the user's.
    pub fn mutes(mut self, mutes: Mutes) -> Self {
        self.mutes = Some(mutes);
        self
    }

    /// "Open report" on a summary bubble runs this instead of `warmcall report ID --open`.
    pub fn report_opener(mut self, opener: ReportOpener) -> Self {
        self.report_opener = Some(opener);
        self
    }

    /// Reload with this instead of from the config file.
    pub fn reloader(mut self, reloader: Reloader) -> Self {
        self.reloader = Some(reloader);
        self
    }

    pub fn tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// Run these services instead of the defaults (all of them live, none for a file).
    pub fn services(mut self, services: Services) -> Self {
        self.services = Some(services);
        self
    }

    /// Open, load and start everything; nothing runs if any part fails.
    pub fn start(mut self) -> Result<Pipeline, StartError> {
        let rules = match self.rules.take() {
            Some(r) => r,
            None => crate::rules::load(&self.cfg)?,
        };
        let shared = Arc::new(Shared::default());
        let source = match self.source.take() {
            Some(s) => s,
            None => self.open_source(&shared)?,
        };
        let recogniser = match self.recogniser.take() {
            Some(r) => r,
            None => {
                let model = WhisperModel::load(&self.cfg.model)?;
                crate::asr::whisper::factory(model, self.cfg.language.clone())
            }
        };
        let frontends = self.frontends(source.as_ref())?;
        let notifier = self.notify_backend()?;
        let (hub_tx, hub_rx) = bounded::<Msg>(4096);
        let services = match self.services.take() {
            Some(s) => s,
            None => self.default_services(source.as_ref()),
        };
        let mut services = Running::start(&services, &hub_tx, &shared.stop)
            .map_err(|(path, source)| StartError::Control { path, source })?;
        // Last, once everything else was checked: nothing of the user's is touched by a run
        // that is refused.
        let call_sinks = match self.call_sinks.take() {
            Some(c) => c,
            None => self.call_logs().inspect_err(|_| services.stop_now())?,
        };
        let gate = Gate::start(Policy::of(&self.cfg), self.actions(), notifier);
        let parts = self.hub_parts(source.as_ref(), rules, call_sinks, gate);
        let stages = Stages {
            source,
            frontends,
            recogniser,
            hub: Hub::new(parts, shared.clone()),
        };
        Ok(self.launch(stages, (hub_tx, hub_rx), services, shared))
    }

    /// Create the phrase queue and start the capture, recognition and hub threads.
    fn launch(
        &self,
        stages: Stages,
        (hub_tx, hub_rx): (Sender<Msg>, Receiver<Msg>),
        services: Running,
        shared: Arc<Shared>,
    ) -> Pipeline {
        let Stages {
            mut source,
            mut frontends,
            recogniser,
            mut hub,
        } = stages;
        let (job_tx, job_rx) = bounded::<AsrJob>(self.tuning.asr_queue.max(1));
        // One pending partial per speaker; with partials off the queue is closed at once.
        let (partial_tx, partial_rx) = bounded::<AsrJob>(2);
        let partials = self
            .partials(source.as_ref())
            .then(|| (partial_tx, partial_rx.clone()));
        let clock = AudioClock::default();
        if source.paced() {
            hub.stamp_with(clock.clone());
        }
        let capture = Capture {
            jobs: job_tx,
            jobs_rx: job_rx.clone(),
            partials,
            hub: hub_tx.clone(),
            overflow: Overflow::for_source(source.as_ref()),
            tick: self.tuning.tick,
            clock,
            shared: shared.clone(),
        };
        let asr = {
            let (to_hub, shared) = (hub_tx.clone(), shared.clone());
            let limits = asr_worker::Limits::new(
                self.tuning.guard.clone(),
                source.paced().then_some(self.tuning.stale_after),
            );
            spawn("warmcall-asr", move || {
                asr_worker::run(job_rx, partial_rx, to_hub, recogniser, limits, &shared)
            })
        };
        let capture = spawn("warmcall-capture", move || {
            capture.run(source.as_mut(), &mut frontends)
        });
        let hub = spawn("warmcall-hub", move || hub.run(&hub_rx));
        services::sd_notify(&[
            sd_notify::NotifyState::Ready,
            sd_notify::NotifyState::Status(if self.opts.input.is_none() {
                "listening"
            } else {
                "playing a file"
            }),
        ]);
        Pipeline {
            hub,
            workers: vec![capture, asr],
            services,
            to_hub: hub_tx,
            shared,
        }
    }

    /// The call-log directory, made private (a symlinked one checked), old logs deleted.
    fn call_logs(&self) -> Result<CallSinks, StartError> {
        let dir = self.opts.log_dir(&self.cfg);
        crate::paths::private_dir(&dir).map_err(|source| StartError::LogDir {
            path: dir.clone(),
            source,
        })?;
        calllog::apply_retention(&dir, self.cfg.retention_days);
        Ok(session::call_logs(dir))
    }

    /// Whether phrases are decoded while spoken: live or `--realtime` sources, unless
    /// `[asr] partials = false` (a file played as fast as possible has nobody waiting).
    fn partials(&self, source: &dyn CaptureSource) -> bool {
        source.paced() && self.cfg.partials
    }

    fn open_source(&self, shared: &Shared) -> Result<Box<dyn CaptureSource>, StartError> {
        let name = self.opts.capture_backend();
        let open = audio::find(name).ok_or_else(|| StartError::UnknownBackend(name.into()))?;
        let request = CaptureRequest {
            input: self.opts.input.clone(),
            realtime: self.opts.realtime,
            me: self.cfg.device_me.clone(),
            them: self.cfg.device_them.clone(),
            stop: shared.stop.clone(),
        };
        Ok(open(&request)?)
    }

    fn frontends(&self, source: &dyn CaptureSource) -> Result<Vec<Frontend>, StartError> {
        let mut frontends = Vec::new();
        for (i, &speaker) in source.speakers().iter().enumerate() {
            let vad = vad::by_name(&self.tuning.vad)
                .ok_or_else(|| StartError::UnknownVad(self.tuning.vad.clone()))?;
            let mut segmenter = self.tuning.segmenter.clone();
            segmenter.partial_every = self.partials(source).then_some(self.tuning.partial_every);
            frontends.push(Frontend::new(speaker, source.rate(i), vad, segmenter)?);
        }
        Ok(frontends)
    }

    fn notify_backend(&mut self) -> Result<MakeBackend, StartError> {
        if let Some(make) = self.notifier.take() {
            return Ok(make);
        }
        let name = self.opts.notify_backend();
        let open =
            crate::notify::find(name).ok_or_else(|| StartError::UnknownBackend(name.into()))?;
        Ok(Box::new(open))
    }

    /// What the bubbles' actions do: the mute set, and "Open report" for this run's logs.
    fn actions(&mut self) -> Actions {
        let open_report = self.report_opener.take().unwrap_or_else(|| {
            let log_dir = self.opts.log_dir(&self.cfg);
            OpenReport::for_daemon(log_dir, self.opts.config_path.clone()).opener()
        });
        Actions {
            mutes: self.mutes.take().unwrap_or_else(Mutes::user),
            open_report,
        }
    }

    fn default_services(&self, source: &dyn CaptureSource) -> Services {
        if source.kind() != SourceKind::Live {
            return Services::default();
        }
        let config_file = self
            .opts
            .config_path
            .clone()
            .unwrap_or_else(crate::paths::config_file);
        Services::daemon(&config_file, &self.cfg.rules_dir)
    }

    fn hub_parts(
        &mut self,
        source: &dyn CaptureSource,
        rules: Arc<CompiledRules>,
        call_sinks: CallSinks,
        gate: Gate,
    ) -> HubParts {
        let mut sinks = std::mem::take(&mut self.sinks);
        if self.opts.headless {
            sinks.insert(0, self.opts.format.stdout());
        }
        let reloader = self
            .reloader
            .take()
            .unwrap_or_else(|| config_reloader(self.opts.config_path.clone(), self.cfg.clone()));
        HubParts {
            rules,
            sinks,
            call_sinks,
            sessions: match source.kind() {
                SourceKind::File => Sessions::Single,
                SourceKind::Live => Sessions::Auto {
                    end_after: self.cfg.end_after_silence,
                },
            },
            gate,
            reloader: Some(reloader),
            info: RunInfo {
                source: source.kind().as_str(),
                devices: source.describe(),
                model: self.cfg.model.display().to_string(),
            },
            heartbeat: services::watchdog(),
            redaction: Redaction {
                on: self.cfg.redact,
            },
        }
    }
}
