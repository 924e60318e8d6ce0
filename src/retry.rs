//! When a failed call is tried again, and how long the client waits first.
//!
//! Neither a synchronous nor an `Event` invocation is idempotent: sending
//! one twice may run the function twice. So by default a call is retried
//! only when the failure proves the function did not run. Everything else
//! that a retry might cure is opt-in.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use crate::{Error, ErrorKind, TransportKind};

/// How a [`Client`](crate::Client) retries failed calls: how often, how
/// long it pauses in between, and which failures it retries.
///
/// A retry is a new request, signed afresh with a new timestamp. The pause
/// before retry *n* is drawn at random between half of and all of
/// `base_delay × 2ⁿ⁻¹`, capped at `max_delay`; the randomness keeps many
/// clients that failed together from retrying together.
///
/// By default only failures that prove the function did not run are
/// retried:
///
/// - no connection could be established (DNS, refused, unreachable, connect
///   timeout, a proxy that refused the tunnel), or the call failed before
///   any of the request's body was sent: see [`Error::is_not_sent`];
/// - the service refused the call for its rate limit
///   (`RequestLimitExceeded` and its sub-codes, or HTTP 429 from a gateway):
///   see [`Error::is_throttled`].
///
/// A keep-alive connection that the server closed while it sat idle needs
/// no retry: before reusing a pooled connection, `ureq` reads from it
/// without blocking and discards it if the server has closed or reset it,
/// so the request goes out on a new connection. (A close that arrives in
/// the instant between that check and the write fails the call before its
/// body is sent, so it counts as not sent; one that arrives while the body
/// is being written cannot be told apart from a server that read the
/// request and then failed, so it counts as possibly executed. Idle connections are dropped after 50 seconds, before
/// the service's 60-second keep-alive ends, which makes it rarer still.)
///
/// Failures after which the function may have run are retried only with
/// [`RetryPolicy::retry_when_possibly_executed`]: a timeout once the body
/// was being sent, a connection reset or closed before the answer came,
/// HTTP 5xx, and the service's `InternalError`.
///
/// Separately from this policy, a call refused with
/// `AuthFailure.SignatureExpire` is retried once with a corrected clock
/// (see [`ClientBuilder::correct_clock_skew`](crate::ClientBuilder::correct_clock_skew)).
///
/// ```
/// use std::time::Duration;
/// use scf_invoke::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_attempts(5)
///     .base_delay(Duration::from_millis(500))
///     .max_delay(Duration::from_secs(10))
///     .budget(Duration::from_secs(60));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    budget: Duration,
    when_possibly_executed: bool,
}

impl Default for RetryPolicy {
    /// Three attempts in all, pauses from 200 ms up to 5 s, a budget of
    /// 30 s, and only failures that prove the function did not run.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            budget: Duration::from_secs(30),
            when_possibly_executed: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: one attempt.
    pub fn none() -> RetryPolicy {
        RetryPolicy::default().max_attempts(1)
    }

    /// How many attempts a call may make in all, the first one included.
    /// Default: 3. Must be at least 1, which
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) checks.
    pub fn max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts;
        self
    }

    /// The pause before the first retry, before jitter; it doubles for each
    /// retry after that. Default: 200 ms.
    pub fn base_delay(mut self, delay: Duration) -> RetryPolicy {
        self.base_delay = delay;
        self
    }

    /// The longest pause between two attempts, before jitter. Default: 5 s.
    pub fn max_delay(mut self, delay: Duration) -> RetryPolicy {
        self.max_delay = delay;
        self
    }

    /// The time from the start of a call after which no retry is started:
    /// a retry whose pause would end later is not made, and the last error
    /// is returned. It does not cut short an attempt in flight: each stage
    /// of an attempt is bounded by
    /// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout)
    /// and [`ClientBuilder::response_timeout`](crate::ClientBuilder::response_timeout),
    /// and the whole attempt by [`ClientBuilder::timeout`](crate::ClientBuilder::timeout)
    /// when it is set. Default: 30 s.
    pub fn budget(mut self, budget: Duration) -> RetryPolicy {
        self.budget = budget;
        self
    }

    /// Also retries failures after which the function may have run: a
    /// timeout once connected, a connection reset or closed before the
    /// answer, HTTP 5xx, `InternalError`. Default: false.
    ///
    /// Turn this on only when running the function twice is harmless, for
    /// example because it is idempotent or deduplicates on an id carried in
    /// the event.
    pub fn retry_when_possibly_executed(mut self, retry: bool) -> RetryPolicy {
        self.when_possibly_executed = retry;
        self
    }

    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn budget_limit(&self) -> Duration {
        self.budget
    }

    /// Whether this policy retries a failure of this kind.
    pub(crate) fn allows(&self, reason: Reason) -> bool {
        match reason {
            Reason::NotSent | Reason::Throttled => true,
            Reason::PossiblyExecuted => self.when_possibly_executed,
        }
    }

    /// The pause before retry number `retry` (1 for the first retry).
    pub(crate) fn delay(&self, retry: u32, jitter: &mut Jitter) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        // "Equal jitter": at least half the ceiling, so that a throttled
        // client always backs off, plus a random part up to the other half.
        let half = ceiling / 2;
        half + half.mul_f64(jitter.fraction())
    }
}

/// Why a failed call may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// The request never left: no connection was made.
    NotSent,
    /// The service refused the call for its rate limit.
    Throttled,
    /// The request may have reached the function.
    PossiblyExecuted,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::NotSent => "not sent",
            Reason::Throttled => "throttled",
            Reason::PossiblyExecuted => "possibly executed",
        })
    }
}

/// Sorts a failure by what it proves about the function having run, or
/// `None` when retrying cannot help (invalid input, bad credentials, no
/// such function, a TLS failure, an answer that is not the service's).
pub(crate) fn reason(error: &Error) -> Option<Reason> {
    if error.is_throttled() || error.status() == Some(429) {
        return Some(Reason::Throttled);
    }
    match error.kind() {
        ErrorKind::Transport => match error.transport_kind()? {
            TransportKind::Dns | TransportKind::Connect => Some(Reason::NotSent),
            TransportKind::Timeout | TransportKind::Io if error.is_not_sent() => {
                Some(Reason::NotSent)
            }
            TransportKind::Timeout | TransportKind::Io => Some(Reason::PossiblyExecuted),
            // A certificate that failed verification will fail again.
            _ => None,
        },
        ErrorKind::HttpStatus => match error.status() {
            Some(500..=599) => Some(Reason::PossiblyExecuted),
            _ => None,
        },
        ErrorKind::Service => error
            .code_is("InternalError")
            .then_some(Reason::PossiblyExecuted),
        _ => None,
    }
}

/// A small xorshift generator for spreading out retries.
///
/// It need not be cryptographic: the pauses only keep clients that failed
/// together from retrying in lockstep, and an attacker who could predict
/// them would learn nothing and gain nothing.
#[derive(Debug)]
pub(crate) struct Jitter(u64);

impl Jitter {
    /// Seeds from the clock and the thread, hashed with the standard
    /// library's per-process random keys, so that threads and processes
    /// started at the same instant still draw different pauses.
    pub(crate) fn new() -> Jitter {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        hasher.write(format!("{:?}", std::thread::current().id()).as_bytes());
        // Xorshift is stuck at zero; any other seed is fine.
        Jitter(hasher.finish() | 1)
    }

    /// A number in `[0, 1)`.
    fn fraction(&mut self) -> f64 {
        // xorshift64* (Marsaglia's shifts 12, 25, 27, Vigna's multiplier).
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let out = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // The top 53 bits fill an f64's mantissa exactly.
        (out >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_stay_within_half_and_whole_and_are_capped() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        let mut jitter = Jitter::new();
        for _ in 0..200 {
            for (retry, ceiling) in [(1, 100), (2, 200), (3, 350), (40, 350)] {
                let d = policy.delay(retry, &mut jitter);
                let ceiling = Duration::from_millis(ceiling);
                assert!(d >= ceiling / 2 && d <= ceiling, "retry {retry}: {d:?}");
            }
        }
    }

    #[test]
    fn jitter_is_spread_out() {
        let mut jitter = Jitter::new();
        let draws: Vec<f64> = (0..1000).map(|_| jitter.fraction()).collect();
        assert!(draws.iter().all(|f| (0.0..1.0).contains(f)));
        let low = draws.iter().filter(|f| **f < 0.5).count();
        assert!((350..650).contains(&low), "{low} of 1000 below one half");
    }

    #[test]
    fn only_failures_that_prove_nothing_ran_are_retried_by_default() {
        let default = RetryPolicy::default();
        let opted_in = default.retry_when_possibly_executed(true);
        let cases = [
            (
                Error::transport(TransportKind::Connect, "refused"),
                Some(Reason::NotSent),
            ),
            (
                Error::transport(TransportKind::Dns, "no such host"),
                Some(Reason::NotSent),
            ),
            (
                Error::service(
                    "RequestLimitExceeded.UinLimitExceeded".into(),
                    "".into(),
                    None,
                ),
                Some(Reason::Throttled),
            ),
            (Error::http_status(429, b""), Some(Reason::Throttled)),
            (
                Error::transport(TransportKind::Timeout, "read"),
                Some(Reason::PossiblyExecuted),
            ),
            (
                Error::transport(TransportKind::Io, "reset"),
                Some(Reason::PossiblyExecuted),
            ),
            (
                Error::transport(TransportKind::Timeout, "global").with_nothing_sent(),
                Some(Reason::NotSent),
            ),
            (
                Error::transport(TransportKind::Io, "broken pipe").with_nothing_sent(),
                Some(Reason::NotSent),
            ),
            (
                Error::transport(TransportKind::Tls, "bad certificate").with_nothing_sent(),
                None,
            ),
            (Error::http_status(502, b""), Some(Reason::PossiblyExecuted)),
            (
                Error::service("InternalError.System".into(), "".into(), None),
                Some(Reason::PossiblyExecuted),
            ),
            (
                Error::transport(TransportKind::Tls, "bad certificate"),
                None,
            ),
            (Error::http_status(404, b""), None),
            (
                Error::service("AuthFailure.SecretIdNotFound".into(), "".into(), None),
                None,
            ),
            (
                Error::service("InternalErrorX".into(), "".into(), None),
                None,
            ),
            (Error::invalid_input("FunctionName", "empty"), None),
        ];
        for (error, expected) in cases {
            assert_eq!(reason(&error), expected, "{error}");
            if let Some(r) = expected {
                assert_eq!(default.allows(r), r != Reason::PossiblyExecuted, "{error}");
                assert!(opted_in.allows(r), "{error}");
            }
        }
    }
}
