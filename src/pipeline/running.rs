//! A running pipeline: the handle `Builder::start` returns. `wait` ends the run the way it was
//! built to end (the file is played out, or the stop flag is set by a signal or `stop`), then
//! stops the services and joins every thread the builder started.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Sender, bounded};

use super::PipelineError;
use super::hub::HubEnd;
use super::messages::{Msg, RunStats, Shared};
use super::services::Running;
use crate::control::{Command, Request};
use crate::event::Summary;

/// What a finished run leaves.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The last call's summary.
    pub summary: Option<Summary>,
    pub stats: RunStats,
}

/// A running pipeline.
pub struct Pipeline {
    pub(super) hub: JoinHandle<HubEnd>,
    /// Capture and recognition.
    pub(super) workers: Vec<JoinHandle<()>>,
    pub(super) services: Running,
    pub(super) to_hub: Sender<Msg>,
    pub(super) shared: Arc<Shared>,
}

impl Pipeline {
    /// Carry out a control command as the socket would, and return its JSON answer (`None`
    /// once the run has ended).
    pub fn control(&self, cmd: Command) -> Option<String> {
        let (reply, answer) = bounded(1);
        self.to_hub
            .send(Msg::Control(Request { cmd, reply }))
            .ok()?;
        answer.recv_timeout(Duration::from_secs(10)).ok()
    }

    /// Finish the current call and end the run, as SIGTERM does.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    /// Wait for the run to end; then stop the services and the notification worker and join
    /// every thread. Returns the last call's summary and the counters, or the capture error
    /// (after the call log was completed).
    pub fn wait(self) -> Result<RunReport, PipelineError> {
        let Self {
            hub,
            workers,
            services,
            to_hub,
            ..
        } = self;
        drop(to_hub);
        let end = hub.join();
        let mut crashed = end.is_err();
        for w in workers {
            crashed |= w.join().is_err();
        }
        services.stop();
        let end = end.map_err(|_| PipelineError::Crashed)?;
        end.gate.shutdown();
        if crashed {
            return Err(PipelineError::Crashed);
        }
        match end.result {
            Ok(summary) => Ok(RunReport {
                summary,
                stats: end.stats,
            }),
            Err(e) => Err(PipelineError::Capture(e)),
        }
    }
}
