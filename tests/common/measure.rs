//! Measuring helpers shared by the benchmarks: percentiles, word error rate against a call's
//! script, a call's channels at 16 kHz, and busy processes to load the machine with.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

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

/// Busy processes at the same priority, stopped when dropped (also while unwinding a panic).
/// Each loop also ends by itself once its parent (this bench) is gone.
pub struct Load(Vec<Child>);

impl Load {
    pub fn start(n: usize) -> Self {
        let script = "import os\np = os.getppid()\nwhile os.getppid() == p:\n    for _ in range(1000000): pass\n";
        let load = Self(
            (0..n)
                .map(|_| {
                    Command::new("python3")
                        .args(["-c", script])
                        .stdin(Stdio::null())
                        .spawn()
                        .expect("python3 runs (scripts/setup installs it)")
                })
                .collect(),
        );
        std::thread::sleep(Duration::from_millis(500));
        load
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
