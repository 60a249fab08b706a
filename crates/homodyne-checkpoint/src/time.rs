//! RFC 3339 timestamps in UTC from [`SystemTime`], through jiff.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;

/// Formats `time` as RFC 3339 in UTC with microseconds, e.g.
/// `2026-05-01T12:34:56.789012Z`: the time is floored to the microsecond (before 1970 too,
/// for a badly set clock). A time outside jiff's years -9999 to 9999 is written as the
/// nearest end of that range.
pub(crate) fn rfc3339_utc(time: SystemTime) -> String {
    let timestamp = Timestamp::try_from(time).unwrap_or(if time >= UNIX_EPOCH {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    });
    format!("{timestamp:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, micros: u32) -> String {
        rfc3339_utc(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros.into()))
    }

    #[test]
    fn known_dates() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00.000000Z");
        assert_eq!(at(1_700_000_000, 123_456), "2023-11-14T22:13:20.123456Z");
        assert_eq!(at(4_102_444_799, 999_999), "2099-12-31T23:59:59.999999Z");
        assert_eq!(at(1_709_251_199, 0), "2024-02-29T23:59:59.000000Z");
    }

    #[test]
    fn nanoseconds_are_floored_to_the_microsecond() {
        let t = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_999);
        assert_eq!(rfc3339_utc(t), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn before_the_epoch() {
        let t = UNIX_EPOCH - Duration::from_micros(1);
        assert_eq!(rfc3339_utc(t), "1969-12-31T23:59:59.999999Z");
        let t = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(rfc3339_utc(t), "1969-12-31T00:00:00.000000Z");
    }

    #[test]
    fn a_clock_beyond_the_year_9999_gives_the_last_representable_time() {
        let Some(t) = UNIX_EPOCH.checked_add(Duration::from_secs(400_000_000_000)) else {
            return; // the platform's clock cannot hold the time at all
        };
        assert!(rfc3339_utc(t).starts_with("9999-12-"), "{}", rfc3339_utc(t));
    }
}
