//! Slaney-style mel filterbank, as librosa's `mel(sr=16000, n_fft=400, n_mels=80)` computes it
//! and whisper.cpp expects it in a ggml file.

/// Sample rate Whisper works at.
const SAMPLE_RATE: f64 = crate::asr::SAMPLE_RATE as f64;
/// FFT size of Whisper's front end.
pub const N_FFT: usize = 400;

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        F_SP * mel
    }
}

/// `n_mels` × (`N_FFT`/2 + 1) filter weights, row-major.
pub fn filters(n_mels: usize) -> Vec<f32> {
    let n_freq = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_freq)
        .map(|i| i as f64 * (SAMPLE_RATE / 2.0) / (n_freq - 1) as f64)
        .collect();
    let max_mel = hz_to_mel(SAMPLE_RATE / 2.0);
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(max_mel * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * n_freq);
    for i in 0..n_mels {
        let (lo, mid, hi) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
        let enorm = 2.0 / (hi - lo);
        for &f in &fft_freqs {
            let lower = (f - lo) / (mid - lo);
            let upper = (hi - f) / (hi - mid);
            out.push((lower.min(upper).max(0.0) * enorm) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_and_known_values() {
        let f = filters(80);
        assert_eq!(f.len(), 80 * 201);
        // Values of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80) (as stored by
        // openai-whisper in mel_filters.npz).
        assert!((f[1] - 0.024_862_594).abs() < 1e-6, "{}", f[1]);
        assert!(f[0].abs() < 1e-9);
        // Every filter has some weight, none is negative.
        for row in f.chunks(201) {
            assert!(row.iter().all(|&w| w >= 0.0));
            assert!(row.iter().sum::<f32>() > 0.0);
        }
    }
}
