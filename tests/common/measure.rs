//! Measuring helpers shared by the benchmarks: percentiles, word error rate against a call's
//! script, and a call's channels at 16 kHz.

use std::path::Path;

use warmcall::audio::wav;
use warmcall::frontend::resample::To16k;
use warmcall::text::normalize;

/// The `p` quantile (0..=1) of `v` (sorted in place); NaN when empty.
pub fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Normalised words of `text`, as WER compares them.
pub fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Word error rate of `hyp` against `reference`.
pub fn wer(reference: &[String], hyp: &[String]) -> f64 {
    let mut prev: Vec<usize> = (0..=hyp.len()).collect();
    for (i, r) in reference.iter().enumerate() {
        let mut cur = vec![i + 1; hyp.len() + 1];
        for (j, h) in hyp.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(r != h))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[hyp.len()] as f64 / reference.len().max(1) as f64
}

/// Each channel of `wav` resampled to 16 kHz, with a second of silence flushed through.
pub fn channel_16k(wav: &Path) -> Vec<Vec<f32>> {
    let audio = wav::read_file(wav).unwrap();
    audio
        .channels
        .iter()
        .map(|ch| {
            let mut r = To16k::new(audio.sample_rate).unwrap();
            let mut out = Vec::new();
            r.push(ch, &mut out);
            r.push(&vec![0.0; audio.sample_rate as usize], &mut out);
            out
        })
        .collect()
}
