//! Live capture with cpal: the rep's microphone ("me") and the monitor of the output the
//! softphone plays to ("them").
//!
//! The audio callback only converts to mono and pushes into a lock-free ring (rtrb); on
//! overflow it drops and counts. It never blocks, locks or allocates. The error callback only
//! stores the error kind in an atomic. `read` runs on the capture thread: every 20 ms it drains
//! each speaker's ring whole, so each speaker keeps its own device's pace. A device that
//! delivers late is waited for, never padded: its samples arrive in the next read, and a
//! capture thread that was held up catches up at once, so nothing is trimmed for latency
//! (samples are lost only if the thread stalls longer than the ring holds, and are counted).
//! Silence stands in only for a device that is gone, so its speaker's time keeps pace with the
//! wall clock. `read` also supervises the streams: a stream that died (server restart, headset
//! unplugged) or went silent is dropped and rebuilt with backoff (0.5 s doubling to 30 s),
//! re-resolving the device by name and keeping the first sample rate, and the hole is
//! reported as a gap.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::source::{BLOCK, CaptureError, CaptureSource, SourceNote};
use crate::event::Speaker;

/// Which devices to capture (by cpal id or description; `None` = the desktop's default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiveOptions {
    /// The microphone; default: the default input device.
    pub me: Option<String>,
    /// The prospect's audio; default: the monitor of the default output device.
    pub them: Option<String>,
    /// Audio per callback asked of the device (`Duration::ZERO`: the device's default).
    pub buffer: Duration,
}

/// A capture device as `warmcall devices` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub monitor: bool,
    pub default_input: bool,
    pub default_monitor: bool,
}

/// The audio host: PulseAudio's native protocol where the server runs, else cpal's default.
pub fn host() -> cpal::Host {
    if let Ok(h) = cpal::host_from_id(cpal::HostId::PulseAudio) {
        return h;
    }
    cpal::default_host()
}

fn dev_id(d: &cpal::Device) -> String {
    d.id().map(|i| i.id().to_string()).unwrap_or_default()
}

fn dev_name(d: &cpal::Device) -> String {
    d.description()
        .map(|x| x.name().to_string())
        .unwrap_or_else(|_| dev_id(d))
}

fn is_monitor(id: &str, name: &str) -> bool {
    id.ends_with(".monitor") || name.starts_with("Monitor of")
}

/// The id of the monitor of the default output.
fn default_monitor_id(host: &cpal::Host) -> Option<String> {
    host.default_output_device()
        .map(|d| format!("{}.monitor", dev_id(&d)))
}

/// Every capture device, monitors marked.
pub fn list_devices() -> Result<Vec<DeviceInfo>, CaptureError> {
    let host = host();
    let default_in = host.default_input_device().map(|d| dev_id(&d));
    let default_mon = default_monitor_id(&host);
    let devices = host
        .input_devices()
        .map_err(|e| CaptureError::Device(format!("cannot list capture devices: {e}")))?;
    Ok(devices
        .map(|d| {
            let (id, name) = (dev_id(&d), dev_name(&d));
            DeviceInfo {
                monitor: is_monitor(&id, &name),
                default_input: default_in.as_deref() == Some(id.as_str()),
                default_monitor: default_mon.as_deref() == Some(id.as_str()),
                id,
                name,
            }
        })
        .collect())
}

/// Find a capture device by id, then exact description, then a case-insensitive substring.
fn resolve(
    host: &cpal::Host,
    wanted: Option<&str>,
    speaker: Speaker,
) -> Result<cpal::Device, String> {
    let devices: Vec<cpal::Device> = host
        .input_devices()
        .map_err(|e| format!("cannot list capture devices: {e}"))?
        .collect();
    let wanted = match (wanted, speaker) {
        (Some(w), _) => w.to_string(),
        (None, Speaker::Me) => {
            return host
                .default_input_device()
                .ok_or_else(|| "there is no default microphone".to_string());
        }
        (None, Speaker::Them) => default_monitor_id(host)
            .ok_or_else(|| "there is no default output device to monitor".to_string())?,
    };
    let lower = wanted.to_lowercase();
    let found = devices
        .iter()
        .find(|d| dev_id(d) == wanted)
        .or_else(|| devices.iter().find(|d| dev_name(d) == wanted))
        .or_else(|| {
            devices.iter().find(|d| {
                dev_id(d).to_lowercase().contains(&lower)
                    || dev_name(d).to_lowercase().contains(&lower)
            })
        });
    found
        .cloned()
        .ok_or_else(|| format!("no capture device matches {wanted:?} (see `warmcall devices`)"))
}

/// What the callbacks tell the capture thread.
#[derive(Debug, Default)]
struct StreamStatus {
    /// 0 = fine, 1 = the stream must be rebuilt.
    dead: AtomicU8,
    callbacks: AtomicU64,
    overflow: AtomicU64,
    xruns: AtomicU64,
}

struct Channel {
    speaker: Speaker,
    wanted: Option<String>,
    /// Sample rate; fixed by the first stream (the frontend is built for it), asked of every
    /// rebuilt one.
    rate: u32,
    /// Samples handed to the pipeline so far (device audio and stand-in silence).
    delivered: u64,
    stream: Option<cpal::Stream>,
    ring: Option<rtrb::Consumer<f32>>,
    status: Arc<StreamStatus>,
    seen_callbacks: u64,
    last_progress: Instant,
    backoff: Duration,
    next_retry: Instant,
    /// Call time (since the source started) when the device was lost.
    lost_at: Option<f64>,
    device_name: String,
    reason: String,
}

/// Start `ch`'s stream. `rate`: the sample rate to ask for (`None`: the device's default, on
/// the first build).
fn build(
    host: &cpal::Host,
    ch: &mut Channel,
    buffer: Duration,
    rate: Option<u32>,
) -> Result<(), String> {
    let device = resolve(host, ch.wanted.as_deref(), ch.speaker)?;
    let supported = device
        .default_input_config()
        .map_err(|e| format!("{}: {e}", dev_name(&device)))?;
    let channels = supported.channels().max(1) as usize;
    let rate = rate.unwrap_or(supported.sample_rate());
    let config = cpal::StreamConfig {
        channels: supported.channels(),
        sample_rate: rate,
        buffer_size: if !buffer.is_zero() {
            cpal::BufferSize::Fixed((buffer.as_secs_f64() * f64::from(rate)) as u32)
        } else {
            cpal::BufferSize::Default
        },
    };
    // Room for RING_SECS: the capture thread drains the ring every 20 ms.
    let (mut producer, consumer) = rtrb::RingBuffer::<f32>::new(rate as usize * RING_SECS);
    let status = Arc::new(StreamStatus::default());
    let (st_data, st_err) = (status.clone(), status.clone());
    let on_error = move |e: cpal::Error| match e.kind() {
        cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged => {
            st_err.xruns.fetch_add(1, Ordering::Relaxed);
        }
        _ => st_err.dead.store(1, Ordering::Release),
    };
    macro_rules! stream_of {
        ($t:ty, $conv:expr) => {
            device.build_input_stream::<$t, _, _>(
                config.clone(),
                move |data: &[$t], _| {
                    st_data.callbacks.fetch_add(1, Ordering::Relaxed);
                    for frame in data.chunks(channels) {
                        let sum: f32 = frame.iter().map(|&s| $conv(s)).sum();
                        if producer.push(sum / channels as f32).is_err() {
                            st_data.overflow.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                },
                on_error,
                None,
            )
        };
    }
    let stream = match supported.sample_format() {
        cpal::SampleFormat::F32 => stream_of!(f32, |s: f32| s),
        cpal::SampleFormat::I16 => stream_of!(i16, |s: i16| s as f32 / 32768.0),
        cpal::SampleFormat::I32 => stream_of!(i32, |s: i32| s as f32 / 2147483648.0),
        other => {
            return Err(format!(
                "{}: unsupported sample format {other:?}",
                dev_name(&device)
            ));
        }
    }
    .map_err(|e| format!("{}: {e}", dev_name(&device)))?;
    stream
        .play()
        .map_err(|e| format!("{}: cannot start capture: {e}", dev_name(&device)))?;
    ch.device_name = dev_name(&device);
    ch.rate = rate;
    ch.stream = Some(stream);
    ch.ring = Some(consumer);
    ch.status = status;
    ch.seen_callbacks = 0;
    ch.last_progress = Instant::now();
    Ok(())
}

/// Seconds of audio a ring holds: how long the capture thread may be held up losing nothing.
const RING_SECS: usize = 4;

/// How long a stream may deliver nothing before it counts as lost.
const STALL: Duration = Duration::from_millis(1500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Live capture of both speakers.
pub struct LiveSource {
    host: cpal::Host,
    opts: LiveOptions,
    channels: Vec<Channel>,
    speakers: Vec<Speaker>,
    started: Option<Instant>,
    /// 20 ms periods of the wall clock since `started` that `read` has waited for.
    blocks: u64,
    notes: Vec<SourceNote>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// Overflow counted by streams that have since been replaced.
    lost_samples: u64,
}

impl LiveSource {
    /// Open both devices now, so a missing device is reported before the daemon says it is
    /// ready. `stop` ends capture when set.
    pub fn open(
        opts: LiveOptions,
        stop: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<Self, CaptureError> {
        let host = host();
        let mut channels = Vec::new();
        for (speaker, wanted) in [
            (Speaker::Me, opts.me.clone()),
            (Speaker::Them, opts.them.clone()),
        ] {
            let mut ch = Channel {
                speaker,
                wanted,
                rate: 0,
                delivered: 0,
                stream: None,
                ring: None,
                status: Arc::default(),
                seen_callbacks: 0,
                last_progress: Instant::now(),
                backoff: Duration::from_millis(500),
                next_retry: Instant::now(),
                lost_at: None,
                device_name: String::new(),
                reason: String::new(),
            };
            build(&host, &mut ch, opts.buffer, None)
                .map_err(|e| CaptureError::Device(format!("{speaker}: {e}")))?;
            channels.push(ch);
        }
        Ok(Self {
            host,
            opts,
            speakers: vec![Speaker::Me, Speaker::Them],
            channels,
            started: None,
            blocks: 0,
            notes: Vec::new(),
            stop,
            lost_samples: 0,
        })
    }

    /// The devices in use, as (speaker, name).
    pub fn devices(&self) -> Vec<(Speaker, String)> {
        self.channels
            .iter()
            .map(|c| (c.speaker, c.device_name.clone()))
            .collect()
    }

    /// Wall-clock seconds since capture started.
    fn now(&self) -> f64 {
        self.started.map_or(0.0, |s| s.elapsed().as_secs_f64())
    }

    fn supervise(&mut self) {
        let now_t = self.now();
        let mut lost = 0;
        let buffer = self.opts.buffer;
        for ch in &mut self.channels {
            if ch.stream.is_some() {
                let calls = ch.status.callbacks.load(Ordering::Relaxed);
                if calls != ch.seen_callbacks {
                    ch.seen_callbacks = calls;
                    ch.last_progress = Instant::now();
                }
                let dead = ch.status.dead.load(Ordering::Acquire) != 0;
                let stalled = ch.last_progress.elapsed() > STALL;
                if dead || stalled {
                    ch.reason = if dead {
                        "capture device lost".into()
                    } else {
                        "capture device stopped delivering audio".into()
                    };
                    tracing::warn!(speaker = %ch.speaker, device = %ch.device_name, reason = %ch.reason, "Capture stream lost; rebuilding.");
                    lost += ch.status.overflow.load(Ordering::Relaxed);
                    ch.stream = None;
                    ch.ring = None;
                    ch.lost_at = Some(now_t);
                    ch.backoff = Duration::from_millis(500);
                    ch.next_retry = Instant::now() + ch.backoff;
                }
            } else if Instant::now() >= ch.next_retry {
                // A fresh connection: the old one may belong to a sound server that is gone.
                self.host = host();
                let rate = ch.rate;
                match build(&self.host, ch, buffer, Some(rate)) {
                    Ok(()) => {
                        tracing::info!(speaker = %ch.speaker, device = %ch.device_name, "Capture stream rebuilt.");
                        if let Some(from) = ch.lost_at.take() {
                            self.notes.push(SourceNote::Gap {
                                speaker: ch.speaker,
                                from,
                                until: now_t,
                                reason: std::mem::take(&mut ch.reason),
                            });
                        }
                    }
                    Err(e) => {
                        tracing::debug!(speaker = %ch.speaker, error = %e, "Capture rebuild failed; retrying.");
                        ch.backoff = (ch.backoff * 2).min(MAX_BACKOFF);
                        ch.next_retry = Instant::now() + ch.backoff;
                    }
                }
            }
        }
        self.lost_samples += lost;
    }

    /// Start the call clock: what the streams captured since `open` (while the model was
    /// loading) is from before the daemon listened, and is let go uncounted.
    fn begin(&mut self) -> Instant {
        for ch in &mut self.channels {
            if let Some(ring) = ch.ring.as_mut()
                && let Ok(chunk) = ring.read_chunk(ring.slots())
            {
                chunk.commit_all();
            }
            ch.status.overflow.store(0, Ordering::Relaxed);
        }
        *self.started.insert(Instant::now())
    }

    /// Per speaker: (samples dropped because the ring was full, xruns).
    pub fn counters(&self) -> Vec<(Speaker, u64, u64)> {
        self.channels
            .iter()
            .map(|c| {
                (
                    c.speaker,
                    c.status.overflow.load(Ordering::Relaxed),
                    c.status.xruns.load(Ordering::Relaxed),
                )
            })
            .collect()
    }
}

impl CaptureSource for LiveSource {
    fn speakers(&self) -> &[Speaker] {
        &self.speakers
    }

    fn sample_rate(&self) -> u32 {
        self.rate(0)
    }

    fn rate(&self, index: usize) -> u32 {
        self.channels[index].rate
    }

    fn kind(&self) -> &'static str {
        "live"
    }

    fn dropped_samples(&self) -> u64 {
        self.channels
            .iter()
            .map(|c| c.status.overflow.load(Ordering::Relaxed))
            .sum::<u64>()
            + self.lost_samples
    }

    fn take_notes(&mut self) -> Vec<SourceNote> {
        std::mem::take(&mut self.notes)
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
            buf.clear();
            if let Some(ring) = ch.ring.as_mut()
                && let Ok(chunk) = ring.read_chunk(ring.slots())
            {
                let (a, b) = chunk.as_slices();
                buf.extend_from_slice(a);
                buf.extend_from_slice(b);
                chunk.commit_all();
            }
        }
        // After draining, so a stream that just died still hands over what it captured.
        self.supervise();
        for (ch, buf) in self.channels.iter_mut().zip(out.iter_mut()) {
            if ch.ring.is_none() {
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
mod tests {
    use super::*;

    #[test]
    fn a_lost_device_is_filled_up_to_the_wall_clock_and_never_beyond() {
        let t = Duration::from_millis(1500);
        assert_eq!(behind_wall_clock(t, 48_000, 0), 72_000);
        assert_eq!(behind_wall_clock(t, 48_000, 70_000), 2_000);
        // A device ahead of the wall clock (its clock runs fast) gets no silence.
        assert_eq!(behind_wall_clock(t, 48_000, 80_000), 0);
        assert_eq!(behind_wall_clock(t, 16_000, 0), 24_000);
    }

    #[test]
    fn monitors_are_recognised_by_id_or_name() {
        assert!(is_monitor("alsa_output.pci.analog-stereo.monitor", "x"));
        assert!(is_monitor("x", "Monitor of Built-in Audio"));
        assert!(!is_monitor("alsa_input.usb-headset", "USB Headset"));
    }
}
