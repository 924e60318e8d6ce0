//! The emulator's clock: the machine's time moved by a configured offset,
//! and the HTTP `Date` header written from it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, negative before it, saturating at the ends
/// of `i64` so that no `SystemTime` can make the arithmetic overflow.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs())
            .map(|s| -s)
            .unwrap_or(i64::MIN),
    }
}

/// Milliseconds since the Unix epoch, for the rate limiter's window; times
/// before the epoch count as 0, which only makes the limiter lenient.
pub(crate) fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The emulator's own reading of the time: the machine's clock plus the
/// configured offset. The offset may be decades either way, so the sum
/// saturates rather than wraps.
pub(crate) fn server_time(now: SystemTime, offset_seconds: i64) -> i64 {
    unix_seconds(now).saturating_add(offset_seconds)
}

/// `timestamp` as an IMF-fixdate (RFC 9110, section 5.6.7), the only form a
/// server may send in `Date`: `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// `None` for a time whose year has no four-digit form (before year 1 or
/// after 9999); the caller then sends no `Date` rather than a wrong one.
pub(crate) fn http_date(timestamp: i64) -> Option<String> {
    let datetime = time::OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    if !(1..=9999).contains(&datetime.year()) {
        return None;
    }
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day = DAYS[usize::from(datetime.weekday().number_days_from_monday())];
    let month = MONTHS[usize::from(u8::from(datetime.month()) - 1)];
    Some(format!(
        "{day}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        datetime.day(),
        datetime.year(),
        datetime.hour(),
        datetime.minute(),
        datetime.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn http_date_matches_the_rfc_example() {
        // RFC 9110's own example: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        assert_eq!(
            http_date(784_111_777).as_deref(),
            Some("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert_eq!(
            http_date(0).as_deref(),
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
    }

    #[test]
    fn http_date_refuses_years_without_four_digits() {
        assert_eq!(http_date(i64::MAX), None);
        assert_eq!(http_date(-62_135_596_801), None); // 31 Dec of year 0
        assert!(http_date(253_402_300_799).is_some()); // 9999-12-31T23:59:59Z
    }

    #[test]
    fn server_time_saturates_instead_of_overflowing() {
        let now = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(server_time(now, -200), -100);
        assert_eq!(server_time(now, i64::MAX), i64::MAX);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }
}
