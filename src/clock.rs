//! The client's idea of the current time: the local clock, corrected by an
//! offset that is learned from the service when it refuses a timestamp.
//!
//! The service refuses a request whose `X-TC-Timestamp` is more than five
//! minutes from its own clock (`AuthFailure.SignatureExpire`). A device
//! whose clock is wrong, even by decades, can still call it once it knows
//! by how much: the refusal carries the service's time in its `Date`
//! header, and sometimes in its message. The offset is kept in an atomic
//! shared by every clone of a client, so one refusal corrects them all.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::SystemTime;

use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

/// The local clock plus a learned offset, in whole seconds.
#[derive(Debug)]
pub(crate) struct Clock {
    /// Seconds to add to the local clock to get the service's clock.
    offset: AtomicI64,
}

/// Where a learned offset came from, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimeSource {
    DateHeader,
    Message,
}

impl TimeSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TimeSource::DateHeader => "the Date header",
            TimeSource::Message => "the error message",
        }
    }
}

impl Clock {
    pub(crate) fn new(offset: i64) -> Clock {
        Clock {
            offset: AtomicI64::new(offset),
        }
    }

    /// Seconds to add to the local clock to get the service's clock.
    pub(crate) fn offset(&self) -> i64 {
        // Relaxed: the offset is a lone value, read and written whole; no
        // other memory depends on seeing it in order.
        self.offset.load(Ordering::Relaxed)
    }

    /// The Unix time to sign a request with. Never negative: a clock before
    /// 1970 with no offset learned yet is sent as 0, which the service will
    /// refuse with the correct time attached.
    pub(crate) fn now(&self) -> i64 {
        local_now().saturating_add(self.offset()).max(0)
    }

    /// Learns the offset from a refused request: the answer's `Date`
    /// header if it parses, otherwise a Unix time in the service's message
    /// other than the `sent` timestamp. Returns the new offset, or `None`
    /// (and keeps the old one) when the answer says nothing usable.
    pub(crate) fn learn(
        &self,
        date_header: Option<&str>,
        message: Option<&str>,
        sent: i64,
    ) -> Option<(i64, TimeSource)> {
        let (server_now, source) = match date_header.and_then(parse_http_date) {
            Some(t) => (t, TimeSource::DateHeader),
            None => (
                message.and_then(|m| server_time_in_message(m, sent))?,
                TimeSource::Message,
            ),
        };
        // The answer took some time to arrive, and the Date header is
        // rounded down to the second: both errors are far inside the
        // service's five-minute tolerance.
        let offset = server_now.saturating_sub(local_now());
        self.offset.store(offset, Ordering::Relaxed);
        Some((offset, source))
    }
}

/// Seconds since the Unix epoch by the local clock; negative before 1970.
pub(crate) fn local_now() -> i64 {
    match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Parses an HTTP date in the preferred format of RFC 9110 section 5.6.7,
/// `Sun, 06 Nov 1994 08:49:37 GMT`, which is also an RFC 2822 date. The two
/// obsolete formats the RFC lets recipients accept are not used by any
/// server this crate talks to, and fall back to the message.
fn parse_http_date(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text.trim(), &Rfc2822)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Finds the service's time in an error message such as "...timestamp
/// 1700000000 is expired, server time 1700000400": a run of 9 to 11 digits
/// standing alone (Unix seconds from 1973 to 5138), other than the
/// timestamp that was sent. Only an unambiguous answer is used.
fn server_time_in_message(message: &str, sent: i64) -> Option<i64> {
    let mut found = None;
    for word in message.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !(9..=11).contains(&word.len()) || !word.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(value) = word.parse::<i64>() else {
            continue;
        };
        if value == sent || found == Some(value) {
            continue;
        }
        if found.is_some() {
            return None;
        }
        found = Some(value);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_parse_to_unix_seconds() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 2065 00:00:00 GMT"),
            Some(2_997_993_600)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn the_server_time_in_a_message_must_be_unambiguous() {
        let sent = 1_000_000_000;
        let m = "timestamp 1000000000 expired, server time 1700000400";
        assert_eq!(server_time_in_message(m, sent), Some(1_700_000_400));
        assert_eq!(
            server_time_in_message("签名过期 1700000400。", sent),
            Some(1_700_000_400)
        );
        assert_eq!(
            server_time_in_message("between 1700000400 and 1700000900", sent),
            None
        );
        assert_eq!(server_time_in_message("the request is expired", sent), None);
        // Digits inside an identifier are not a time.
        assert_eq!(server_time_in_message("id a1700000400b", sent), None);
    }

    #[test]
    fn learning_prefers_the_date_header_and_keeps_the_offset_otherwise() {
        let clock = Clock::new(7);
        assert_eq!(clock.learn(None, Some("no time here"), 0), None);
        assert_eq!(clock.offset(), 7);

        let (offset, source) = clock
            .learn(Some("Thu, 01 Jan 2065 00:00:00 GMT"), Some("1700000400"), 0)
            .unwrap();
        assert_eq!(source, TimeSource::DateHeader);
        let expected = 2_997_993_600 - local_now();
        assert!((offset - expected).abs() <= 2, "{offset} vs {expected}");
        assert_eq!(clock.offset(), offset);
        assert!((clock.now() - 2_997_993_600).abs() <= 2);
    }

    #[test]
    fn a_clock_before_1970_signs_as_zero() {
        let clock = Clock::new(-local_now() - 1_000_000);
        assert_eq!(clock.now(), 0);
    }
}
