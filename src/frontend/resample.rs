//! Streaming resampling of one channel to Whisper's 16 kHz (rubato's FFT resampler for fixed
//! ratios; a pass-through when the input is already 16 kHz).

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

use crate::asr::SAMPLE_RATE;

#[derive(Debug, thiserror::Error)]
#[error("cannot resample from {rate} Hz: {detail}")]
pub struct ResampleError {
    pub rate: u32,
    pub detail: String,
}

/// A streaming resampler to 16 kHz.
pub struct To16k {
    inner: Option<Fft<f32>>,
    pending: Vec<f32>,
    out: Vec<f32>,
    /// Output frames still to drop to cancel the resampler's delay.
    trim: usize,
}

impl To16k {
    pub fn new(input_rate: u32) -> Result<Self, ResampleError> {
        if input_rate == 0 {
            return Err(ResampleError {
                rate: input_rate,
                detail: "the rate must be above 0".into(),
            });
        }
        if input_rate == SAMPLE_RATE {
            return Ok(Self {
                inner: None,
                pending: Vec::new(),
                out: Vec::new(),
                trim: 0,
            });
        }
        // Chunks of about 20 ms keep the delay low.
        let chunk = (input_rate as usize / 50).max(64);
        let fft = Fft::<f32>::new(
            input_rate as usize,
            SAMPLE_RATE as usize,
            chunk,
            1,
            FixedSync::Input,
        )
        .map_err(|e| ResampleError {
            rate: input_rate,
            detail: e.to_string(),
        })?;
        let trim = fft.output_delay();
        let out = vec![0.0; fft.output_frames_max()];
        Ok(Self {
            inner: Some(fft),
            pending: Vec::with_capacity(chunk * 2),
            out,
            trim,
        })
    }

    /// Resample `input`, appending 16 kHz samples to `output`.
    pub fn push(&mut self, input: &[f32], output: &mut Vec<f32>) {
        let Some(fft) = self.inner.as_mut() else {
            output.extend_from_slice(input);
            return;
        };
        self.pending.extend_from_slice(input);
        let mut start = 0;
        loop {
            let need = fft.input_frames_next();
            if self.pending.len() - start < need {
                break;
            }
            let inp = InterleavedSlice::new(&self.pending[start..start + need], 1, need)
                .expect("buffer sized to the frame count");
            let cap = self.out.len();
            let mut outp = InterleavedSlice::new_mut(&mut self.out[..], 1, cap)
                .expect("buffer sized to the frame count");
            let (_, produced) = fft
                .process_into_buffer(&inp, &mut outp, None)
                .expect("fixed-size chunks always resample");
            start += need;
            let skip = self.trim.min(produced);
            self.trim -= skip;
            output.extend_from_slice(&self.out[skip..produced]);
        }
        self.pending.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passthrough_at_16k() {
        let mut r = To16k::new(16_000).unwrap();
        let mut out = Vec::new();
        r.push(&[0.1, 0.2], &mut out);
        assert_eq!(out, vec![0.1, 0.2]);
    }

    #[test]
    fn resamples_48k_and_22050_to_the_right_length_and_keeps_a_tone() {
        for rate in [48_000u32, 22_050, 44_100, 8_000] {
            let mut r = To16k::new(rate).unwrap();
            let secs = 2.0;
            let n = (rate as f64 * secs) as usize;
            let tone: Vec<f32> = (0..n)
                .map(|i| (2.0 * std::f32::consts::PI * 440.0 * i as f32 / rate as f32).sin() * 0.5)
                .collect();
            let mut out = Vec::new();
            for block in tone.chunks(333) {
                r.push(block, &mut out);
            }
            let expected = (secs * 16_000.0) as usize;
            assert!(
                out.len() + 1000 >= expected && out.len() <= expected,
                "{rate}: {} samples",
                out.len()
            );
            // Amplitude survives (RMS of a 0.5 sine is about 0.354).
            let mid = &out[4000..out.len() - 4000];
            let rms = (mid.iter().map(|x| x * x).sum::<f32>() / mid.len() as f32).sqrt();
            assert!((rms - 0.354).abs() < 0.02, "{rate}: rms {rms}");
        }
    }
}
