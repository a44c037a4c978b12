//! WAV decoding into per-channel f32 samples in [-1, 1].
//!
//! Accepted: mono (the rep) or stereo (left the rep, right the prospect), 8 kHz to 192 kHz,
//! 8/16/24/32-bit integer or 32-bit float. NaN and infinite samples become silence and are
//! counted (`WavAudio::replaced`).

use std::io::Read;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Sample rates accepted, in Hz.
pub const RATES: std::ops::RangeInclusive<u32> = 8_000..=192_000;

/// A decoded file: one `Vec` per channel.
#[derive(Debug, Clone)]
pub struct WavAudio {
    pub sample_rate: u32,
    pub channels: Vec<Vec<f32>>,
    /// Samples that were NaN or infinite (now silence).
    pub replaced: usize,
}

impl WavAudio {
    pub fn duration_secs(&self) -> f64 {
        self.channels.first().map_or(0.0, |c| c.len() as f64) / self.sample_rate as f64
    }
}

#[derive(Debug, Error)]
pub enum WavError {
    #[error("{path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid WAV file ({detail})")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: unsupported WAV format: {detail} (use 8/16/24/32-bit PCM or 32-bit float)")]
    Unsupported { path: PathBuf, detail: String },
    #[error("{path}: the file holds no audio")]
    Empty { path: PathBuf },
    #[error(
        "{path}: {channels} channels: warmcall reads mono or stereo files (left channel the rep, right the prospect); mix it down to stereo first"
    )]
    Channels { path: PathBuf, channels: u16 },
    #[error("{path}: sample rate {rate} Hz: warmcall reads 8 kHz to 192 kHz")]
    Rate { path: PathBuf, rate: u32 },
}

/// Decode a WAV file from disk.
pub fn read_file(path: &Path) -> Result<WavAudio, WavError> {
    let file = std::fs::File::open(path).map_err(|source| WavError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    read(std::io::BufReader::new(file), path)
}

/// How samples of a format become f32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decode {
    Float,
    /// Integer samples times this scale.
    Int(f32),
}

/// hound's error for `path` as ours.
pub(crate) fn hound_error(path: &Path, e: hound::Error) -> WavError {
    match e {
        hound::Error::Unsupported => WavError::Unsupported {
            path: path.to_path_buf(),
            detail: "hound cannot decode this encoding".into(),
        },
        other => WavError::Corrupt {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// Check a file's layout (channels, rate, sample format) and say how its samples decode.
pub(crate) fn decode_of(path: &Path, spec: hound::WavSpec) -> Result<Decode, WavError> {
    if spec.channels == 0 {
        return Err(WavError::Corrupt {
            path: path.to_path_buf(),
            detail: "0 channels".into(),
        });
    }
    if spec.channels > 2 {
        return Err(WavError::Channels {
            path: path.to_path_buf(),
            channels: spec.channels,
        });
    }
    if !RATES.contains(&spec.sample_rate) {
        return Err(WavError::Rate {
            path: path.to_path_buf(),
            rate: spec.sample_rate,
        });
    }
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => Ok(Decode::Float),
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            Ok(Decode::Int(1.0 / (1u64 << (bits - 1)) as f32))
        }
        (fmt, bits) => Err(WavError::Unsupported {
            path: path.to_path_buf(),
            detail: format!("{bits}-bit {fmt:?}"),
        }),
    }
}

/// Decode WAV bytes; `path` only names the source in errors.
pub fn read(reader: impl Read, path: &Path) -> Result<WavAudio, WavError> {
    let corrupt = |e: hound::Error| hound_error(path, e);
    let mut r = hound::WavReader::new(reader).map_err(corrupt)?;
    let spec = r.spec();
    let decode = decode_of(path, spec)?;
    let n = spec.channels as usize;
    let mut interleaved: Vec<f32> = match decode {
        Decode::Float => r.samples::<f32>().collect::<Result<_, _>>(),
        Decode::Int(scale) => r
            .samples::<i32>()
            .map(|s| s.map(|v| v as f32 * scale))
            .collect(),
    }
    .map_err(corrupt)?;
    if interleaved.is_empty() {
        return Err(WavError::Empty {
            path: path.to_path_buf(),
        });
    }
    let replaced = super::sanitize(&mut interleaved);
    let frames = interleaved.len() / n;
    let mut channels = vec![Vec::with_capacity(frames); n];
    for frame in interleaved.chunks_exact(n) {
        for (ch, s) in channels.iter_mut().zip(frame) {
            ch.push(*s);
        }
    }
    Ok(WavAudio {
        sample_rate: spec.sample_rate,
        channels,
        replaced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_bytes(spec: hound::WavSpec, samples: &[i32]) -> Vec<u8> {
        let mut cur = std::io::Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut cur, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
        cur.into_inner()
    }

    #[test]
    fn stereo_16_bit_splits_channels_and_scales() {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let b = wav_bytes(spec, &[16384, -32768, 0, 32767]);
        let a = read(&b[..], Path::new("t.wav")).unwrap();
        assert_eq!(a.channels.len(), 2);
        assert_eq!(a.channels[0], vec![0.5, 0.0]);
        assert_eq!(a.channels[1][0], -1.0);
    }

    #[test]
    fn garbage_and_truncation_are_errors() {
        let e = read(&b"RIFFxxxxWAVEjunk"[..], Path::new("bad.wav")).unwrap_err();
        assert!(e.to_string().contains("bad.wav"), "{e}");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let b = wav_bytes(spec, &[1, 2, 3, 4]);
        assert!(read(&b[..b.len() - 3], Path::new("cut.wav")).is_err());
        let empty = wav_bytes(spec, &[]);
        assert!(matches!(
            read(&empty[..], Path::new("e.wav")),
            Err(WavError::Empty { .. })
        ));
    }
}
