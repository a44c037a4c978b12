//! Live capture of both speakers: the rep's microphone ("me") and the monitor of the output
//! the softphone plays to ("them"), from any `StreamBackend` (`pulse::Cpal` in the daemon).
//!
//! A backend's stream pushes one speaker's mono samples into a lock-free ring. `read` runs on
//! the capture thread: every 20 ms it drains each speaker's ring whole, so each speaker keeps
//! its own device's pace. A device that delivers late is waited for, never padded: its samples
//! arrive in the next read, and a capture thread that was held up catches up at once, so
//! nothing is trimmed for latency (samples are lost only if the thread stalls longer than the
//! ring holds, and are counted). Silence stands in only for a device that is gone, so its
//! speaker's time keeps pace with the wall clock. `read` also supervises the streams: a stream
//! that died (server restart, headset unplugged) or went silent is dropped and rebuilt with
//! backoff (0.5 s doubling to 30 s), re-resolving the device by name on a fresh connection and
//! keeping the first sample rate, and the hole is reported as a gap.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::source::{BLOCK, CaptureError, CaptureSource, SourceKind};
use crate::event::{Gap, Speaker};

/// Seconds of audio a ring holds: how long the capture thread may be held up losing nothing.
pub const RING_SECS: usize = 4;

/// Audio per capture callback asked of the device. Each delivery costs the PulseAudio client a
/// fixed amount of work, so a larger buffer costs less CPU; it adds at most this much to the
/// time a flag takes.
pub const CAPTURE_BUFFER: Duration = Duration::from_millis(100);

/// Which devices to capture (by id or description; `None` = the desktop's default).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOptions {
    /// The microphone; default: the default input device.
    pub me: Option<String>,
    /// The prospect's audio; default: the monitor of the default output device.
    pub them: Option<String>,
    /// Audio per callback asked of the device (`Duration::ZERO`: the device's default).
    pub buffer: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        Self {
            me: None,
            them: None,
            buffer: CAPTURE_BUFFER,
        }
    }
}

/// What a stream's callbacks tell the capture thread.
#[derive(Debug, Default)]
pub struct StreamStatus {
    /// The stream failed and must be rebuilt.
    pub dead: AtomicBool,
    /// The device it was opened on is no longer there (set with `dead`). The sound server
    /// moves such a stream to its default source without a word, so it is rebuilt on purpose
    /// instead of recording a device nobody chose.
    pub gone: AtomicBool,
    pub callbacks: AtomicU64,
    /// Samples dropped because the ring was full.
    pub overflow: AtomicU64,
    pub xruns: AtomicU64,
}

/// One speaker's running stream.
pub struct Stream {
    /// Keeps the device's stream running while held.
    pub keep: Box<dyn Send>,
    pub ring: rtrb::Consumer<f32>,
    pub status: Arc<StreamStatus>,
    /// The sample rate it delivers at.
    pub rate: u32,
    /// The device's name, for `status` and diagnostics.
    pub device: String,
}

/// Where streams come from: device discovery and stream building.
pub trait StreamBackend: Send {
    /// Open `speaker`'s device (`wanted`: id or name; `None`: the default) at `rate` (`None`:
    /// the device's own, on the first build), asking for `buffer` of audio per callback.
    fn open(
        &mut self,
        speaker: Speaker,
        wanted: Option<&str>,
        rate: Option<u32>,
        buffer: Duration,
    ) -> Result<Stream, String>;
    /// Start afresh before a rebuild: the old connection may belong to a server that is gone.
    fn reconnect(&mut self) {}
}

/// Supervision timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Supervision {
    /// How long a stream may deliver nothing before it counts as lost.
    pub stall: Duration,
    /// The first wait before a rebuild; it doubles on each failure…
    pub backoff: Duration,
    /// …up to this.
    pub max_backoff: Duration,
}

impl Default for Supervision {
    fn default() -> Self {
        Self {
            stall: Duration::from_millis(1500),
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// One speaker: its stream (when it has one) and its supervision state.
struct Channel {
    speaker: Speaker,
    wanted: Option<String>,
    /// Sample rate; fixed by the first stream (the frontend is built for it), asked of every
    /// rebuilt one.
    rate: u32,
    /// Samples handed to the pipeline so far (device audio and stand-in silence).
    delivered: u64,
    stream: Option<Stream>,
    seen_callbacks: u64,
    last_progress: Instant,
    backoff: Duration,
    next_retry: Instant,
    /// Seconds since capture started when the device was lost, and why.
    lost: Option<(f64, &'static str)>,
    device: String,
}

impl Channel {
    fn attach(&mut self, stream: Stream) {
        self.rate = stream.rate;
        self.device = stream.device.clone();
        self.seen_callbacks = 0;
        self.last_progress = Instant::now();
        self.stream = Some(stream);
    }

    /// Whether the stream died or stalled (`Some(reason)`).
    fn check(&mut self, stall: Duration) -> Option<&'static str> {
        let status = &self.stream.as_ref()?.status;
        let calls = status.callbacks.load(Ordering::Relaxed);
        if calls != self.seen_callbacks {
            self.seen_callbacks = calls;
            self.last_progress = Instant::now();
        }
        if status.gone.load(Ordering::Acquire) {
            Some("capture device removed")
        } else if status.dead.load(Ordering::Acquire) {
            Some("capture device lost")
        } else if self.last_progress.elapsed() > stall {
            Some("capture device stopped delivering audio")
        } else {
            None
        }
    }

    /// Hand over what the ring holds.
    fn drain(&mut self, buf: &mut Vec<f32>) {
        buf.clear();
        if let Some(s) = self.stream.as_mut()
            && let Ok(chunk) = s.ring.read_chunk(s.ring.slots())
        {
            let (a, b) = chunk.as_slices();
            buf.extend_from_slice(a);
            buf.extend_from_slice(b);
            chunk.commit_all();
        }
    }
}

/// Live capture of both speakers from a `StreamBackend`.
pub struct LiveSource<B: StreamBackend> {
    backend: B,
    opts: LiveOptions,
    timing: Supervision,
    channels: Vec<Channel>,
    speakers: Vec<Speaker>,
    started: Option<Instant>,
    /// 20 ms periods of the wall clock since `started` that `read` has waited for.
    blocks: u64,
    gaps: Vec<Gap>,
    stop: Arc<AtomicBool>,
    /// Overflow and xruns counted by streams that have since been replaced.
    lost_samples: u64,
    lost_xruns: u64,
}

impl<B: StreamBackend> LiveSource<B> {
    /// Open both devices now, so a missing device is reported before the daemon says it is
    /// ready. `stop` ends capture when set.
    pub fn open(
        mut backend: B,
        opts: LiveOptions,
        timing: Supervision,
        stop: Arc<AtomicBool>,
    ) -> Result<Self, CaptureError> {
        let mut channels = Vec::new();
        for (speaker, wanted) in [
            (Speaker::Me, opts.me.clone()),
            (Speaker::Them, opts.them.clone()),
        ] {
            let stream = backend
                .open(speaker, wanted.as_deref(), None, opts.buffer)
                .map_err(|e| CaptureError::Device(format!("{speaker}: {e}")))?;
            let mut ch = Channel {
                speaker,
                wanted,
                rate: 0,
                delivered: 0,
                stream: None,
                seen_callbacks: 0,
                last_progress: Instant::now(),
                backoff: timing.backoff,
                next_retry: Instant::now(),
                lost: None,
                device: String::new(),
            };
            ch.attach(stream);
            channels.push(ch);
        }
        Ok(Self {
            backend,
            opts,
            timing,
            speakers: vec![Speaker::Me, Speaker::Them],
            channels,
            started: None,
            blocks: 0,
            gaps: Vec::new(),
            stop,
            lost_samples: 0,
            lost_xruns: 0,
        })
    }

    /// Wall-clock seconds since capture started.
    fn now(&self) -> f64 {
        self.started.map_or(0.0, |s| s.elapsed().as_secs_f64())
    }

    /// Drop streams that died or stalled; rebuild lost ones whose backoff has passed.
    fn supervise(&mut self) {
        let now_t = self.now();
        for i in 0..self.channels.len() {
            let ch = &mut self.channels[i];
            if ch.stream.is_some() {
                if let Some(reason) = ch.check(self.timing.stall) {
                    if ch.wanted.is_some() && reason == "capture device removed" {
                        tracing::warn!(speaker = %ch.speaker, device = %ch.device, reason, "The configured capture device is gone; this speaker is recorded again as soon as it is back (`warmcall devices` lists what there is; the config's [devices] section chooses).");
                    } else {
                        tracing::warn!(speaker = %ch.speaker, device = %ch.device, reason, "Capture stream lost; rebuilding.");
                    }
                    let old = ch.stream.take().expect("checked above");
                    self.lost_samples += old.status.overflow.load(Ordering::Relaxed);
                    self.lost_xruns += old.status.xruns.load(Ordering::Relaxed);
                    ch.lost = Some((now_t, reason));
                    ch.backoff = self.timing.backoff;
                    ch.next_retry = Instant::now() + ch.backoff;
                }
            } else if Instant::now() >= ch.next_retry {
                self.rebuild(i, now_t);
            }
        }
    }

    fn rebuild(&mut self, i: usize, now_t: f64) {
        self.backend.reconnect();
        let ch = &mut self.channels[i];
        match self.backend.open(
            ch.speaker,
            ch.wanted.as_deref(),
            Some(ch.rate),
            self.opts.buffer,
        ) {
            Ok(stream) => {
                ch.attach(stream);
                tracing::info!(speaker = %ch.speaker, device = %ch.device, "Capture stream rebuilt.");
                if let Some((from, reason)) = ch.lost.take() {
                    self.gaps.push(Gap {
                        t: from,
                        speaker: ch.speaker,
                        reason: reason.into(),
                        until: now_t,
                    });
                }
            }
            Err(e) => {
                tracing::debug!(speaker = %ch.speaker, error = %e, "Capture rebuild failed; retrying.");
                ch.backoff = (ch.backoff * 2).min(self.timing.max_backoff);
                ch.next_retry = Instant::now() + ch.backoff;
            }
        }
    }

    /// Start the call clock: what the streams captured since `open` (while the model was
    /// loading) is from before the daemon listened, and is let go uncounted.
    fn begin(&mut self) -> Instant {
        let mut scratch = Vec::new();
        for ch in &mut self.channels {
            ch.drain(&mut scratch);
            if let Some(s) = &ch.stream {
                s.status.overflow.store(0, Ordering::Relaxed);
            }
        }
        *self.started.insert(Instant::now())
    }

    fn live_counter(&self, of: impl Fn(&StreamStatus) -> &AtomicU64) -> u64 {
        self.channels
            .iter()
            .filter_map(|c| c.stream.as_ref())
            .map(|s| of(&s.status).load(Ordering::Relaxed))
            .sum()
    }
}

impl<B: StreamBackend> CaptureSource for LiveSource<B> {
    fn speakers(&self) -> &[Speaker] {
        &self.speakers
    }

    fn sample_rate(&self) -> u32 {
        self.rate(0)
    }

    fn rate(&self, index: usize) -> u32 {
        self.channels[index].rate
    }

    fn kind(&self) -> SourceKind {
        SourceKind::Live
    }

    fn paced(&self) -> bool {
        true
    }

    fn describe(&self) -> Vec<String> {
        self.channels
            .iter()
            .map(|c| format!("{}: {}", c.speaker, c.device))
            .collect()
    }

    fn dropped_samples(&self) -> u64 {
        self.live_counter(|s| &s.overflow) + self.lost_samples
    }

    fn xruns(&self) -> u64 {
        self.live_counter(|s| &s.xruns) + self.lost_xruns
    }

    fn take_gaps(&mut self) -> Vec<Gap> {
        std::mem::take(&mut self.gaps)
    }

    fn read(&mut self, out: &mut [Vec<f32>]) -> Result<bool, CaptureError> {
        let start = match self.started {
            Some(t) => t,
            None => self.begin(),
        };
        // Wake on the next 20 ms boundary of the wall clock (at once if the thread was held up).
        let due = start + BLOCK * (self.blocks as u32 + 1);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if self.stop.load(Ordering::Acquire) {
            return Ok(false);
        }
        let elapsed = start.elapsed();
        self.blocks = (elapsed.as_nanos() / BLOCK.as_nanos()) as u64;
        for (ch, buf) in self.channels.iter_mut().zip(out.iter_mut()) {
            ch.drain(buf);
        }
        // After draining, so a stream that just died still hands over what it captured.
        self.supervise();
        for (ch, buf) in self.channels.iter_mut().zip(out.iter_mut()) {
            if ch.stream.is_none() {
                // No device: silence up to the wall clock, so this speaker's time keeps pace
                // with the call.
                let missing = behind_wall_clock(elapsed, ch.rate, ch.delivered + buf.len() as u64);
                buf.resize(buf.len() + missing, 0.0);
            }
            ch.delivered += buf.len() as u64;
        }
        Ok(true)
    }
}

/// Samples a speaker with `delivered` samples at `rate` is behind `elapsed` of wall clock.
fn behind_wall_clock(elapsed: Duration, rate: u32, delivered: u64) -> usize {
    let target = (elapsed.as_secs_f64() * f64::from(rate)) as u64;
    target.saturating_sub(delivered) as usize
}

#[cfg(test)]
mod tests;
