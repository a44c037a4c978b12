//! Call audio: where samples come from before the frontend.
//!
//! - `source`: the `CaptureSource` trait the pipeline reads, and `WavSource` (a file)
//! - `live`: live capture of both speakers, supervised, generic over a `StreamBackend`
//! - `pulse`: the cpal stream backend and device discovery
//! - `server`: the connection to the sound server, made where libpulse would make it
//!   (`pulse_env`: its socket and cookie), with refusals said as such
//! - `wav`: WAV decoding (mono or stereo, 8 kHz to 192 kHz, 8/16/24/32-bit integer or 32-bit
//!   float) to per-channel f32
//! - `clean`: `sanitize` replaces NaN and infinite samples (and clips the rest to [-1, 1])
//!   wherever samples enter warmcall
//!
//! Capture backends are found by name in `BACKENDS`.

pub mod clean;
pub mod live;
pub mod pulse;
pub mod pulse_env;
pub mod server;
pub mod source;
pub mod wav;

pub use clean::sanitize;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use source::{CaptureError, CaptureSource, WavSource};

/// What a capture backend is opened with.
#[derive(Debug, Clone, Default)]
pub struct CaptureRequest {
    /// A file to play (file backends).
    pub input: Option<PathBuf>,
    /// Pace the file at real speed.
    pub realtime: bool,
    /// Live devices by id or name (`None`: the desktop's default).
    pub me: Option<String>,
    pub them: Option<String>,
    /// Set when capture should end (live backends check it on every read).
    pub stop: Arc<AtomicBool>,
}

/// Opens a capture source.
pub type Open = fn(&CaptureRequest) -> Result<Box<dyn CaptureSource>, CaptureError>;

/// The live backend `warmcall run` uses.
pub const LIVE_BACKEND: &str = "pulse";

/// The capture backends by name.
pub const BACKENDS: &[(&str, Open)] = &[("pulse", open_pulse), ("file", open_file)];

/// The backend called `name`.
pub fn find(name: &str) -> Option<Open> {
    BACKENDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn open_pulse(req: &CaptureRequest) -> Result<Box<dyn CaptureSource>, CaptureError> {
    let opts = live::LiveOptions {
        me: req.me.clone(),
        them: req.them.clone(),
        ..live::LiveOptions::default()
    };
    let timing = live::Supervision::default();
    let source = live::LiveSource::open(pulse::Cpal::new()?, opts, timing, req.stop.clone())?;
    Ok(Box::new(source))
}

fn open_file(req: &CaptureRequest) -> Result<Box<dyn CaptureSource>, CaptureError> {
    let path = req
        .input
        .as_deref()
        .ok_or_else(|| CaptureError::Device("no input file given".into()))?;
    Ok(Box::new(WavSource::open(path, req.realtime)?))
}
