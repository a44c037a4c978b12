//! The notification worker: a thread that shows bubbles through a `Backend`, so a slow or
//! missing notification server never holds up the pipeline. `offer` never blocks; the worker
//! tracks whether the server is there and whether it answers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};

use super::{Backend, Note};

/// How long a `show` may take before the server counts as not answering.
pub const SHOW_TIMEOUT: Duration = Duration::from_secs(3);

/// Notes that may wait for the worker.
const QUEUE: usize = 4;

/// State shared between the pipeline side and the worker.
#[derive(Debug, Default)]
struct State {
    /// Nanoseconds since `epoch` when the current `show` started; 0 when idle.
    busy_since: AtomicU64,
    unavailable: AtomicBool,
    shown: AtomicU64,
    dropped: AtomicU64,
}

/// The pipeline's handle on the worker thread.
pub struct Worker {
    tx: Sender<Note>,
    state: Arc<State>,
    epoch: Instant,
    warned_stuck: AtomicBool,
    thread: JoinHandle<()>,
    /// Closed when the thread is about to end (its sender is dropped).
    done: Receiver<()>,
}

impl Worker {
    /// Start the thread `warmcall-notify` around `backend`.
    pub fn spawn(backend: Box<dyn Backend>) -> Self {
        let (tx, rx) = bounded::<Note>(QUEUE);
        let (done_tx, done) = bounded::<()>(0);
        let state = Arc::new(State::default());
        let epoch = Instant::now();
        let worker_state = state.clone();
        let thread = std::thread::Builder::new()
            .name("warmcall-notify".into())
            .spawn(move || {
                let _done = done_tx;
                serve(backend, &rx, &worker_state, epoch);
            })
            .expect("spawn the notifier thread");
        Self {
            tx,
            state,
            epoch,
            warned_stuck: AtomicBool::new(false),
            thread,
            done,
        }
    }

    /// Whether the server is answering (not stuck in a `show` longer than `SHOW_TIMEOUT`).
    pub fn responsive(&self) -> bool {
        let ok = self.busy() < SHOW_TIMEOUT;
        if !ok && !self.warned_stuck.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "The notification server is not answering; notifications are skipped until it does."
            );
        }
        if ok {
            self.warned_stuck.store(false, Ordering::Release);
        }
        ok
    }

    /// Hand a note to the worker without waiting. Returns whether it will be shown: false when
    /// the server is stuck, known to be missing, or the queue is full. (A note for a missing
    /// server is still handed over, so the worker notices when one appears.)
    pub fn offer(&self, note: Note) -> bool {
        if !self.responsive() {
            self.state.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        let available = !self.unavailable();
        match self.tx.try_send(note) {
            Ok(()) => available,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.state.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// The last attempt found no server.
    pub fn unavailable(&self) -> bool {
        self.state.unavailable.load(Ordering::Acquire)
    }

    /// (shown, dropped) counters.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.state.shown.load(Ordering::Relaxed),
            self.state.dropped.load(Ordering::Relaxed),
        )
    }

    /// Seconds the current `show` has taken (0 when idle).
    fn busy(&self) -> Duration {
        let since = self.state.busy_since.load(Ordering::Acquire);
        if since == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos((self.epoch.elapsed().as_nanos() as u64).saturating_sub(since))
    }

    /// Close the queue and join the thread once it has shown what was queued (within
    /// `SHOW_TIMEOUT`). A server that does not answer is not waited for: the thread, stuck in
    /// its D-Bus call, ends with the process.
    pub fn shutdown(self) {
        let stuck = self.busy() >= SHOW_TIMEOUT;
        let Self {
            tx, done, thread, ..
        } = self;
        drop(tx);
        let ended = !stuck
            && matches!(
                done.recv_timeout(SHOW_TIMEOUT),
                Err(crossbeam_channel::RecvTimeoutError::Disconnected)
            );
        if ended {
            let _ = thread.join();
        } else {
            tracing::debug!("The notification server is not answering; not waiting for it.");
        }
    }
}

/// The worker loop: probe once, then show each note, replacing the previous bubble.
fn serve(mut backend: Box<dyn Backend>, rx: &Receiver<Note>, state: &State, epoch: Instant) {
    let mut last_id = None;
    let mut warned = false;
    if let Err(e) = backend.probe() {
        state.unavailable.store(true, Ordering::Release);
        warned = true;
        tracing::warn!(error = %e, "Cannot show desktop notifications; coaching continues in the call log.");
    }
    for note in rx.iter() {
        let now = epoch.elapsed().as_nanos().max(1) as u64;
        state.busy_since.store(now, Ordering::Release);
        let result = backend.show(&note, last_id);
        state.busy_since.store(0, Ordering::Release);
        match result {
            Ok(id) => {
                last_id = Some(id);
                state.unavailable.store(false, Ordering::Release);
                state.shown.fetch_add(1, Ordering::Relaxed);
                warned = false;
            }
            Err(e) => {
                state.unavailable.store(true, Ordering::Release);
                state.dropped.fetch_add(1, Ordering::Relaxed);
                if !warned {
                    warned = true;
                    tracing::warn!(error = %e, "Cannot show desktop notifications; coaching continues in the call log.");
                }
            }
        }
    }
}
