//! What the pipeline's threads tell each other: the hub's message type, the phrase job toward
//! recognition, the state they share through atomics, and the counters of a run.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::control::Request;
use crate::event::{Gap, Speaker, Transcript};
use crate::frontend::{Phrase, SpeechMark};

/// A phrase on its way to recognition.
#[derive(Debug)]
pub struct AsrJob {
    pub speaker: Speaker,
    pub phrase: Phrase,
    /// When the phrase was queued for recognition.
    pub queued_at: Instant,
    /// The phrase so far, while its speaker is still talking (decoded only when no final
    /// waits, and never after its final).
    pub partial: bool,
}

/// Messages toward the hub. Times are run time: seconds of audio read since capture started.
#[derive(Debug)]
pub enum Msg {
    /// The first audio entered the pipeline.
    Started,
    Speech {
        speaker: Speaker,
        mark: SpeechMark,
    },
    /// A phrase was queued for recognition (answered by `Transcript`, `NoText` or a `Gap`).
    Phrase,
    /// Recognised text; the hub stamps its `t`.
    Transcript {
        transcript: Transcript,
        /// Seconds whisper took on this phrase.
        decode_secs: f64,
    },
    /// Text of a phrase still being spoken (`final: false`); the final follows.
    Partial {
        transcript: Transcript,
        decode_secs: f64,
    },
    /// A phrase produced no trustworthy text.
    NoText,
    Gap {
        gap: Gap,
        /// The gap is a queued phrase that was dropped or failed.
        dropped_phrase: bool,
    },
    /// Audio time now; `alive` is false when capture has been stuck.
    Tick {
        now: f64,
        alive: bool,
    },
    /// A control command (socket, signal, config watcher) and where its answer goes.
    Control(Request),
    CaptureDone {
        duration: f64,
        error: Option<String>,
    },
    AsrDone,
}

impl Msg {
    /// A control command whose answer nobody waits for (SIGHUP, the config watcher).
    pub fn command(cmd: crate::control::Command) -> Self {
        let (reply, _) = crossbeam_channel::bounded(1);
        Msg::Control(Request { cmd, reply })
    }
}

impl From<Request> for Msg {
    fn from(req: Request) -> Self {
        Msg::Control(req)
    }
}

/// Sends to the hub.
pub type HubSender = Sender<Msg>;

/// State shared between the threads of a run.
#[derive(Debug, Default)]
pub struct Shared {
    /// Coaching is paused: capture keeps running but no audio goes to the frontends.
    pub paused: AtomicBool,
    /// Asks the capture thread to finish (SIGTERM).
    pub stop: Arc<AtomicBool>,
    /// Audio samples dropped by capture.
    pub dropped_samples: AtomicU64,
    /// Capture overruns and device changes the sound server reported.
    pub xruns: AtomicU64,
    /// Seconds of audio read per speaker (f64 bits, by `Speaker::index`), and when capture
    /// started: a live speaker falling behind the wall clock has lost audio before it reached
    /// warmcall (or its device's clock runs slow).
    audio_secs: [AtomicU64; 2],
    capture_started: OnceLock<Instant>,
    /// Milliseconds since `epoch` when the current decode began; 0 when idle.
    asr_busy_since: AtomicU64,
    /// How long the phrase being decoded (or the last one) waited in the queue, in ms.
    asr_waited_ms: AtomicU64,
    epoch: OnceLock<Instant>,
}

/// A decode running longer than this counts as hung (the watchdog stops being fed).
const ASR_HUNG: Duration = Duration::from_secs(60);

impl Shared {
    fn epoch(&self) -> Instant {
        *self.epoch.get_or_init(Instant::now)
    }

    pub fn asr_started(&self) {
        let ms = self.epoch().elapsed().as_millis().max(1) as u64;
        self.asr_busy_since.store(ms, Ordering::Release);
    }

    pub fn asr_finished(&self) {
        self.asr_busy_since.store(0, Ordering::Release);
    }

    /// A phrase was taken from the queue after waiting `waited`.
    pub fn asr_took(&self, waited: Duration) {
        self.asr_waited_ms
            .store(waited.as_millis() as u64, Ordering::Relaxed);
    }

    /// How far behind recognition is: how long the phrase it took last had waited.
    pub fn asr_behind(&self) -> Duration {
        Duration::from_millis(self.asr_waited_ms.load(Ordering::Relaxed))
    }

    pub fn capture_began(&self) {
        self.capture_started.get_or_init(Instant::now);
    }

    pub fn capture_progress(&self, speaker: Speaker, secs: f64) {
        self.audio_secs[speaker.index()].store(secs.to_bits(), Ordering::Relaxed);
    }

    /// Wall-clock seconds since capture started, and the audio read so far per speaker
    /// (speakers the source has no audio of are left out).
    pub fn audio_account(&self) -> (f64, Vec<(Speaker, f64)>) {
        let wall = self
            .capture_started
            .get()
            .map_or(0.0, |t| t.elapsed().as_secs_f64());
        let audio = Speaker::BOTH
            .iter()
            .filter_map(|&s| {
                let bits = self.audio_secs[s.index()].load(Ordering::Relaxed);
                (bits != 0).then(|| (s, f64::from_bits(bits)))
            })
            .collect();
        (wall, audio)
    }

    /// The recognition thread is idle or within its time budget.
    pub fn asr_alive(&self) -> bool {
        let since = self.asr_busy_since.load(Ordering::Acquire);
        since == 0
            || self.epoch().elapsed().as_millis() as u64 - since < ASR_HUNG.as_millis() as u64
    }
}

/// Counters of a finished run.
#[derive(Debug, Clone, Default)]
pub struct RunStats {
    pub phrases: u64,
    pub dropped: u64,
    pub decode_secs: Vec<f64>,
    /// Partial decodes that gave text, and their decode times.
    pub partials: u64,
    pub partial_decode_secs: Vec<f64>,
}
