//! Capture sources behind one trait: where each speaker's samples come from.
//!
//! `WavSource` streams a WAV file (left = me, right = them; mono = me alone) in 20 ms blocks,
//! either as fast as the pipeline takes them or paced at real speed like live capture. NaN and
//! infinite samples are replaced with silence as they are read; at the end of the file (or
//! when the source is dropped) their count is reported as a warning on stderr.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::wav::WavError;
use crate::event::{Gap, Speaker};

/// Why a source stopped delivering audio.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Wav(#[from] WavError),
    #[error("{0}")]
    Device(String),
    #[error(transparent)]
    Server(#[from] super::server::ServerError),
}

/// Whether a source is a recording or the live call; decides how the run is cut into calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// One call, the whole file.
    File,
    /// Calls start on speech and end on silence.
    Live,
}

impl SourceKind {
    /// The event log's `source` field.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::File => "file",
            SourceKind::Live => "live",
        }
    }
}

/// A source of call audio: one channel per speaker.
pub trait CaptureSource: Send {
    /// The speakers, in the order `read` fills channels.
    fn speakers(&self) -> &[Speaker];
    fn sample_rate(&self) -> u32;
    /// Fill `out` (one `Vec` per speaker) with the audio that arrived since the last call;
    /// `Ok(false)` at the end. Lengths may differ between speakers (live devices deliver at
    /// their own pace) and may be zero.
    fn read(&mut self, out: &mut [Vec<f32>]) -> Result<bool, CaptureError>;
    fn kind(&self) -> SourceKind;
    /// Audio arrives at real speed (live capture, a paced file): the pipeline must keep up
    /// rather than make the source wait, and stamps text with the audio clock.
    fn paced(&self) -> bool;
    /// Sample rate of speaker `index` (sources whose devices differ override this).
    fn rate(&self, index: usize) -> u32 {
        let _ = index;
        self.sample_rate()
    }
    /// The devices or file in use, for `ctl status`.
    fn describe(&self) -> Vec<String> {
        Vec::new()
    }
    /// Samples captured but dropped so far (ring overflow), all speakers.
    fn dropped_samples(&self) -> u64 {
        0
    }
    /// Overruns and device changes the sound server reported so far, all speakers.
    fn xruns(&self) -> u64 {
        0
    }
    /// Audio lost since the last call (device loss and recovery), in seconds since the
    /// source started.
    fn take_gaps(&mut self) -> Vec<Gap> {
        Vec::new()
    }
}

/// Block length of file sources.
pub const BLOCK: Duration = Duration::from_millis(20);

/// A WAV file as a capture source.
pub struct WavSource {
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    speakers: Vec<Speaker>,
    file_channels: usize,
    rate: u32,
    decode: super::wav::Decode,
    block_frames: usize,
    remaining: u64,
    /// Pacing: `Some(None)` until the first read starts the clock.
    realtime: Option<Option<Instant>>,
    delivered: u64,
    /// NaN or infinite samples replaced so far, and whether that was reported.
    replaced: u64,
    reported: bool,
}

impl WavSource {
    /// Open and check a WAV file. `realtime` paces delivery at the file's own speed.
    pub fn open(path: &Path, realtime: bool) -> Result<Self, WavError> {
        let corrupt = |detail: String| WavError::Corrupt {
            path: path.to_path_buf(),
            detail,
        };
        let file = File::open(path).map_err(|source| WavError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let reader = hound::WavReader::new(BufReader::new(file))
            .map_err(|e| super::wav::hound_error(path, e))?;
        let spec = reader.spec();
        let decode = super::wav::decode_of(path, spec)?;
        let channels = spec.channels as usize;
        let samples = reader.len() as u64;
        if samples == 0 {
            return Err(WavError::Empty {
                path: path.to_path_buf(),
            });
        }
        let bytes_needed = samples * (spec.bits_per_sample as u64).div_ceil(8);
        if bytes_needed > file_len {
            return Err(corrupt(format!(
                "truncated: the header promises {:.1} s of audio but the file ends early",
                samples as f64 / channels as f64 / spec.sample_rate as f64
            )));
        }
        let speakers = if channels == 1 {
            vec![Speaker::Me]
        } else {
            vec![Speaker::Me, Speaker::Them]
        };
        Ok(Self {
            path: path.to_path_buf(),
            speakers,
            file_channels: channels,
            rate: spec.sample_rate,
            decode,
            block_frames: (spec.sample_rate as u64 * BLOCK.as_millis() as u64 / 1000) as usize,
            remaining: samples / channels as u64,
            reader,
            realtime: realtime.then_some(None),
            delivered: 0,
            replaced: 0,
            reported: false,
        })
    }

    /// NaN or infinite samples replaced with silence so far.
    pub fn replaced_samples(&self) -> u64 {
        self.replaced
    }

    /// Say once, on stderr, how many samples had to be replaced.
    fn report(&mut self) {
        if self.replaced > 0 && !self.reported {
            self.reported = true;
            tracing::warn!(
                "{}: {} samples were NaN or infinite and were replaced by silence",
                self.path.display(),
                self.replaced
            );
        }
    }

    /// Seconds of audio in the file.
    pub fn duration(&self) -> f64 {
        (self.delivered + self.remaining) as f64 / self.rate as f64
    }
}

impl CaptureSource for WavSource {
    fn speakers(&self) -> &[Speaker] {
        &self.speakers
    }

    fn sample_rate(&self) -> u32 {
        self.rate
    }

    fn kind(&self) -> SourceKind {
        SourceKind::File
    }

    fn paced(&self) -> bool {
        self.realtime.is_some()
    }

    fn describe(&self) -> Vec<String> {
        vec![self.path.display().to_string()]
    }

    fn read(&mut self, out: &mut [Vec<f32>]) -> Result<bool, CaptureError> {
        for ch in out.iter_mut() {
            ch.clear();
        }
        if self.remaining == 0 {
            self.report();
            return Ok(false);
        }
        let frames = (self.block_frames as u64).min(self.remaining) as usize;
        if let Some(clock) = self.realtime.as_mut() {
            // Like live capture, deliver a block only once all of its audio has "happened".
            let start = *clock.get_or_insert_with(Instant::now);
            let end = (self.delivered + frames as u64) as f64 / self.rate as f64;
            if let Some(wait) =
                (start + Duration::from_secs_f64(end)).checked_duration_since(Instant::now())
            {
                std::thread::sleep(wait);
            }
        }
        self.read_frames(frames, out)?;
        for ch in out.iter_mut() {
            self.replaced += super::sanitize(ch) as u64;
        }
        self.remaining -= frames as u64;
        self.delivered += frames as u64;
        Ok(true)
    }
}

impl Drop for WavSource {
    fn drop(&mut self) {
        self.report();
    }
}

impl WavSource {
    /// Decode `frames` interleaved frames into `out`, one `Vec` per channel.
    fn read_frames(&mut self, frames: usize, out: &mut [Vec<f32>]) -> Result<(), CaptureError> {
        let err = |e: hound::Error| WavError::Corrupt {
            path: self.path.clone(),
            detail: e.to_string(),
        };
        for _ in 0..frames {
            for c in 0..self.file_channels {
                let v = match self.decode {
                    super::wav::Decode::Float => self.reader.samples::<f32>().next(),
                    super::wav::Decode::Int(scale) => self
                        .reader
                        .samples::<i32>()
                        .next()
                        .map(|r| r.map(|v| v as f32 * scale)),
                };
                let v = match v {
                    Some(r) => r.map_err(err)?,
                    None => 0.0,
                };
                if let Some(ch) = out.get_mut(c) {
                    ch.push(v);
                }
            }
        }
        Ok(())
    }
}
