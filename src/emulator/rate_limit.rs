//! The request-rate limit: at most N requests in any one-second window.

use std::collections::VecDeque;
use std::sync::Mutex;

/// A sliding one-second window over the times (in milliseconds) of the
/// requests it admitted.
///
/// A sliding window rather than a per-second bucket, so that a burst that
/// straddles a second boundary is still refused: that is the behaviour a
/// client's retry logic has to cope with.
pub(crate) struct RateLimiter {
    limit: usize,
    admitted: Mutex<VecDeque<u64>>,
}

const WINDOW_MILLIS: u64 = 1000;

impl RateLimiter {
    /// A limiter admitting `limit` requests per second; `limit` is at least 1.
    pub(crate) fn new(limit: u32) -> RateLimiter {
        let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
        RateLimiter {
            limit,
            admitted: Mutex::new(VecDeque::with_capacity(limit.min(1024))),
        }
    }

    /// Whether a request arriving at `now_millis` is admitted; if it is, it
    /// counts against the window.
    pub(crate) fn admit(&self, now_millis: u64) -> bool {
        // A poisoned lock only means another thread panicked while holding
        // it; the queue of times is still consistent, so keep using it.
        let mut admitted = self
            .admitted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());

        // Forget the requests that left the window. A clock that stepped
        // backwards leaves newer times at the front; they age out later.
        while admitted
            .front()
            .is_some_and(|&t| now_millis.saturating_sub(t) >= WINDOW_MILLIS)
        {
            admitted.pop_front();
        }

        if admitted.len() >= self.limit {
            return false;
        }
        admitted.push_back(now_millis);
        true
    }

    /// The configured number of requests per second.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_the_limit_then_refuses_until_the_window_slides() {
        let limiter = RateLimiter::new(3);
        assert!(limiter.admit(10_000));
        assert!(limiter.admit(10_100));
        assert!(limiter.admit(10_900));
        assert!(!limiter.admit(10_999));
        // The first request leaves the window one second after it came.
        assert!(limiter.admit(11_000));
        assert!(!limiter.admit(11_050));
        assert!(limiter.admit(11_100));
    }
}
