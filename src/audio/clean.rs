//! Sample hygiene at the source: what a file or a device hands over is made safe for the
//! frontend (resampler, VAD, whisper), where a single NaN spreads through every filter it
//! touches.

/// Replace NaN and infinite samples with silence (0.0) and clip finite ones to [-1, 1].
/// Returns how many samples were NaN or infinite, for the caller to report.
pub fn sanitize(samples: &mut [f32]) -> usize {
    let mut replaced = 0;
    for s in samples {
        if s.is_finite() {
            *s = s.clamp(-1.0, 1.0);
        } else {
            *s = 0.0;
            replaced += 1;
        }
    }
    replaced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_non_finite_samples() {
        let mut s = [f32::NAN, 0.5, -1.5, f32::NEG_INFINITY, f32::MAX, -0.0];
        assert_eq!(sanitize(&mut s), 2);
        assert_eq!(s, [0.0, 0.5, -1.0, 0.0, 1.0, -0.0]);
        assert_eq!(sanitize(&mut []), 0);
    }
}
