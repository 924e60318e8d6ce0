//! A client-side rate limit, so that a busy program waits its turn instead
//! of collecting `RequestLimitExceeded` errors.
//!
//! It is a token bucket that holds one token, refilled at the configured
//! rate: requests leave at most once per interval, evenly spaced. A larger
//! bucket would allow bursts, and a burst followed by a full second of
//! steady requests is how a client exceeds a per-second limit that the
//! service counts over a sliding window.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Spaces requests by a fixed interval. Shared by every clone of a client
/// and every thread using it.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    /// The earliest instant the next request may leave. Each caller
    /// reserves a slot under the lock and sleeps outside it, so waiting
    /// callers are served in the order they arrived and none spins.
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter allowing `per_second` requests a second, which the builder
    /// has checked is finite and greater than zero.
    pub(crate) fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next_slot: Mutex::new(None),
        }
    }

    pub(crate) fn per_second(&self) -> f64 {
        1.0 / self.interval.as_secs_f64()
    }

    /// Blocks until this caller's slot comes, and returns how long it
    /// waited.
    pub(crate) fn acquire(&self) -> Duration {
        let now = Instant::now();
        let slot = {
            // A poisoned lock only means another thread panicked between
            // reading and writing an Instant; the value is still usable.
            let mut next = self.next_slot.lock().unwrap_or_else(|p| p.into_inner());
            let slot = match *next {
                Some(reserved) if reserved > now => reserved,
                _ => now,
            };
            *next = Some(slot + self.interval);
            slot
        };
        let wait = slot.saturating_duration_since(now);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_leaves_at_once_and_the_next_waits_an_interval() {
        let limiter = RateLimiter::new(50.0);
        assert_eq!(limiter.acquire(), Duration::ZERO);
        let started = Instant::now();
        limiter.acquire();
        limiter.acquire();
        // Two more slots: at least two intervals of 20 ms, less the time
        // the first call took.
        assert!(
            started.elapsed() >= Duration::from_millis(38),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_idle_limiter_does_not_bank_tokens() {
        let limiter = RateLimiter::new(100.0);
        limiter.acquire();
        std::thread::sleep(Duration::from_millis(50));
        // After an idle spell, one request leaves at once, and the one
        // after it waits a whole interval again.
        assert_eq!(limiter.acquire(), Duration::ZERO);
        assert!(limiter.acquire() > Duration::from_millis(5));
    }
}
