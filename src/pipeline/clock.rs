//! Call time and wall time: the shared audio clock, UTC timestamps (RFC 3339) and call ids.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use jiff::tz::TimeZone;

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

/// `2026-11-22T14:03:11Z`: a time in UTC to the second, as the event log's `wall` has it.
pub fn rfc3339(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A call id: the UTC start time plus four hex digits, `2026-11-22T14-03-11Z-4f2a`.
pub fn call_id(at: Timestamp, nonce: u32) -> String {
    format!(
        "{}-{:04x}",
        at.strftime("%Y-%m-%dT%H-%M-%SZ"),
        nonce & 0xffff
    )
}

/// A log's `wall` time as a person reads it, in the local time zone: `2026-11-22 15:03:11`.
/// `None` if `wall` is not RFC 3339.
pub fn local(wall: &str) -> Option<String> {
    let at: Timestamp = wall.parse().ok()?;
    Some(
        at.to_zoned_datetime(TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

/// A cheap nonce for call ids (not for security).
pub fn nonce() -> u32 {
    Timestamp::now().subsec_nanosecond().unsigned_abs() ^ std::process::id().rotate_left(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(secs).unwrap()
    }

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(1_795_356_191)), "2026-11-22T14:03:11Z");
        assert_eq!(
            call_id(at(1_795_356_191), 0x4f2a),
            "2026-11-22T14-03-11Z-4f2a"
        );
        let subsecond = Timestamp::new(1_795_356_191, 999_000_000).unwrap();
        assert_eq!(
            rfc3339(subsecond),
            "2026-11-22T14:03:11Z",
            "seconds, not rounded up"
        );
    }

    #[test]
    fn call_ids_have_the_shape_retention_looks_for() {
        use crate::sink::calllog::is_call_id;
        assert!(is_call_id(&call_id(at(1_795_356_191), 0x4f2a)));
        assert!(is_call_id(&call_id(at(0), 0)));
        assert!(is_call_id(&call_id(Timestamp::now(), nonce())));
    }

    #[test]
    fn wall_times_read_in_local_time() {
        let local = local("2026-11-22T14:03:11Z").unwrap();
        assert_eq!(local.len(), "2026-11-22 14:03:11".len());
        assert!(local.ends_with(":11"), "{local}");
        assert_eq!(super::local("yesterday"), None);
    }

    #[test]
    fn clock_round_trips() {
        let c = AudioClock::default();
        c.set(12.5);
        assert_eq!(c.clone().now(), 12.5);
    }
}
