//! The cpal capture backend (cpal is vendored, see `vendor/README.md`): device discovery on
//! PulseAudio's native protocol (PipeWire's pulse server included), connected by `server` the
//! way libpulse connects, with no fallback to raw ALSA devices; and stream building for
//! `live::LiveSource`.
//!
//! The audio callback only converts to mono and pushes into a lock-free ring (rtrb); on
//! overflow it drops and counts. It never blocks, locks or allocates. The error callback only
//! stores what happened in the stream's status atomics.
//!
//! The sound server moves a record stream whose source is removed (a headset unplugged, an
//! output gone) to its default source without telling the client, so each stream has a
//! watcher thread that asks every second whether its source still exists and marks the stream
//! `gone` when it does not: `live` then reports it and rebuilds on the device the user chose.
//! The default microphone is never a monitor of an output: that would put the prospect's
//! words in the rep's mouth.

use std::ffi::CString;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

use super::live::{RING_SECS, Stream, StreamBackend, StreamStatus};
use super::source::CaptureError;
use crate::event::Speaker;

/// A capture device as `warmcall devices` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub monitor: bool,
    pub default_input: bool,
    pub default_monitor: bool,
}

/// The audio host: the sound server's native protocol, connected the way libpulse connects
/// (`server`); no fallback to raw ALSA devices.
pub fn host() -> Result<cpal::Host, CaptureError> {
    Ok(super::server::connect()?)
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
    let host = host()?;
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
            let device = host
                .default_input_device()
                .ok_or_else(|| "there is no default microphone".to_string())?;
            let (id, name) = (dev_id(&device), dev_name(&device));
            if is_monitor(&id, &name) {
                return Err(format!(
                    "the default input is {name:?}, a monitor of an output, not a microphone; \
                     connect one or name it in the config's [devices] me (see `warmcall devices`)"
                ));
            }
            return Ok(device);
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

/// How often a stream's watcher asks whether its source is still there.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Marks a stream `gone` (and `dead`) once the source it was opened on no longer exists; ends
/// when dropped with the stream, or when the connection fails (the stream's own error callback
/// reports that).
struct Watch {
    _stop: crossbeam_channel::Sender<()>,
}

impl Watch {
    fn start(client: pulseaudio::Client, source: &str, status: Arc<StreamStatus>) -> Option<Self> {
        use pulseaudio::protocol::PulseError;
        let name = CString::new(source).ok()?;
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        std::thread::Builder::new()
            .name("warmcall-devwatch".into())
            .spawn(move || {
                while let Err(crossbeam_channel::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(WATCH_EVERY)
                {
                    match futures_executor::block_on(client.source_info_by_name(name.clone())) {
                        Ok(_) => {}
                        Err(pulseaudio::ClientError::ServerError(PulseError::NoEntity)) => {
                            status.gone.store(true, Ordering::Release);
                            status.dead.store(true, Ordering::Release);
                            return;
                        }
                        Err(_) => return,
                    }
                }
            })
            .ok()?;
        Some(Self { _stop: stop })
    }
}

/// Streams from cpal devices.
pub struct Cpal {
    host: cpal::Host,
    /// The same connection, for the watchers.
    client: pulseaudio::Client,
}

impl Cpal {
    /// Connect to the sound server; its refusal or absence is the error.
    pub fn new() -> Result<Self, CaptureError> {
        let client = super::server::connect_client()?;
        Ok(Self {
            host: super::server::host_of(client.clone()),
            client,
        })
    }
}

impl StreamBackend for Cpal {
    /// A fresh connection: the old one may belong to a sound server that is gone. If the
    /// server cannot be reached yet, the old host stays and the rebuild fails and backs off.
    fn reconnect(&mut self) {
        if let Ok(fresh) = Self::new() {
            *self = fresh;
        }
    }

    fn open(
        &mut self,
        speaker: Speaker,
        wanted: Option<&str>,
        rate: Option<u32>,
        buffer: Duration,
    ) -> Result<Stream, String> {
        let device = resolve(&self.host, wanted, speaker)?;
        let (id, name) = (dev_id(&device), dev_name(&device));
        let supported = device
            .default_input_config()
            .map_err(|e| format!("{name}: {e}"))?;
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
        let (mut producer, ring) = rtrb::RingBuffer::<f32>::new(rate as usize * RING_SECS);
        let status = Arc::new(StreamStatus::default());
        let (st_data, st_err) = (status.clone(), status.clone());
        let on_error = move |e: cpal::Error| match e.kind() {
            cpal::ErrorKind::Xrun | cpal::ErrorKind::DeviceChanged => {
                st_err.xruns.fetch_add(1, Ordering::Relaxed);
            }
            _ => st_err.dead.store(true, Ordering::Release),
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
            other => return Err(format!("{name}: unsupported sample format {other:?}")),
        }
        .map_err(|e| format!("{name}: {e}"))?;
        stream
            .play()
            .map_err(|e| format!("{name}: cannot start capture: {e}"))?;
        let watch = Watch::start(self.client.clone(), &id, status.clone());
        Ok(Stream {
            keep: Box::new((stream, watch)),
            ring,
            status,
            rate,
            device: name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitors_are_recognised_by_id_or_name() {
        assert!(is_monitor("alsa_output.pci.analog-stereo.monitor", "x"));
        assert!(is_monitor("x", "Monitor of Built-in Audio"));
        assert!(!is_monitor("alsa_input.usb-headset", "USB Headset"));
    }
}
