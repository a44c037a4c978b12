//! Times as a rep reads them: call times as `m:ss`, wall-clock starts in local time, and the
//! `--since DATE` filter.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

pub use crate::event::clock;

/// A UTC instant in the local time zone, `2026-11-23 10:02`.
pub fn local(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A UTC instant as the local date, `2026-11-23`.
pub fn local_date(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%d")
        .to_string()
}

/// A UTC instant in RFC 3339 with the local offset, for JSON output.
pub fn local_rfc3339(ts: Timestamp) -> String {
    ts.to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Parse `--since`: a local date (`2026-11-20`), an RFC 3339 instant, or a number of days or
/// weeks back from now (`7d`, `2w`).
pub fn parse_since(arg: &str, now: Timestamp) -> Result<Timestamp, String> {
    let arg = arg.trim();
    let bad = || {
        format!(
            "--since {arg:?}: give a date (2026-11-20), a time (2026-11-20T09:00:00Z) or a \
             number of days or weeks back (7d, 2w)"
        )
    };
    if let Some(n) = arg.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
        return now.checked_sub((n * 24).hours()).map_err(|_| bad());
    }
    if let Some(n) = arg.strip_suffix('w').and_then(|n| n.parse::<i64>().ok()) {
        return now.checked_sub((n * 7 * 24).hours()).map_err(|_| bad());
    }
    if let Ok(ts) = arg.parse::<Timestamp>() {
        return Ok(ts);
    }
    let date: Date = arg.parse().map_err(|_| bad())?;
    date.to_zoned_datetime(TimeZone::system())
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_forms() {
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        assert_eq!(
            parse_since("7d", now).unwrap(),
            "2026-11-16T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_since("1w", now).unwrap(),
            "2026-11-16T12:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(
            parse_since("2026-11-20T09:00:00Z", now).unwrap(),
            "2026-11-20T09:00:00Z".parse::<Timestamp>().unwrap()
        );
        // A plain date is local midnight: within a day of UTC midnight whatever the zone.
        let d = parse_since("2026-11-20", now).unwrap();
        let utc_midnight: Timestamp = "2026-11-20T00:00:00Z".parse().unwrap();
        assert!(d.duration_since(utc_midnight).as_secs().abs() <= 14 * 3600);
        assert!(parse_since("last tuesday", now).is_err());
    }
}
