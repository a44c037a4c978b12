//! Call time and wall time: the shared audio clock, UTC timestamps and call ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Call time in seconds, advanced by the capture thread as audio enters the pipeline.
#[derive(Debug, Clone, Default)]
pub struct AudioClock(Arc<AtomicU64>);

impl AudioClock {
    pub fn set(&self, secs: f64) {
        self.0.store(secs.to_bits(), Ordering::Release);
    }

    pub fn now(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Acquire))
    }
}

/// (year, month, day, hour, minute, second) in UTC of a Unix time.
fn civil(secs: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem / 60 % 60) as u32,
        (rem % 60) as u32,
    )
}

/// `2026-11-22T14:03:11Z` for a Unix time.
pub fn rfc3339(secs: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A call id: the UTC start time plus four hex digits, `2026-11-22T14-03-11Z-4f2a`.
pub fn call_id(secs: u64, nonce: u32) -> String {
    format!("{}-{:04x}", rfc3339(secs).replace(':', "-"), nonce & 0xffff)
}

/// Seconds since the Unix epoch now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A cheap nonce for call ids (not for security).
pub fn nonce() -> u32 {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    t ^ std::process::id().rotate_left(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_356_191), "2026-11-22T14:03:11Z");
        assert_eq!(call_id(1_795_356_191, 0x4f2a), "2026-11-22T14-03-11Z-4f2a");
    }

    #[test]
    fn clock_round_trips() {
        let c = AudioClock::default();
        c.set(12.5);
        assert_eq!(c.clone().now(), 12.5);
    }
}
