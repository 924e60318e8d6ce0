//! A cache for temporary credentials, refreshed ahead of their expiry by one
//! caller at a time.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Clock, Credentials, MaskedId, ProvideCredentials};
use crate::Error;

/// How long before expiry cached credentials are refreshed, unless set.
pub(crate) const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Keeps the credentials of another provider and asks it again only when
/// they are about to expire.
///
/// One `CachedCredentials` behind an `Arc` serves every clone and thread of
/// a client:
///
/// - While the cached credentials are further than the refresh margin from
///   their expiry, every call returns them without asking the inner
///   provider.
/// - Once inside the margin, the first caller refreshes them; callers that
///   arrive meanwhile keep getting the current credentials, which are still
///   valid. When nothing valid is cached (the first call, or after expiry),
///   callers wait for the one refresh in flight instead of starting their
///   own.
/// - A failed refresh does not poison the cache: while the current
///   credentials are still valid they are served, the failure is logged at
///   `warn`, and the next call tries again. With nothing valid to fall back
///   on, the failure is returned to the caller that refreshed and to those
///   that waited for it.
///
/// Credentials without an expiry are kept for good. The margin is at most
/// half of the credentials' lifetime when they arrive, so credentials that
/// live shorter than twice the margin are still used before being
/// refreshed.
///
/// # Example
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use scf_invoke::credentials::{CachedCredentials, Credentials, ProvideCredentials};
///
/// # fn main() -> Result<(), scf_invoke::Error> {
/// let expiring = Credentials::new("AKIDEXAMPLE", "secret")
///     .with_token("token")
///     .with_expiry(SystemTime::now() + Duration::from_secs(3600));
/// let cached = CachedCredentials::builder(expiring)
///     .refresh_margin(Duration::from_secs(600))
///     .build();
/// assert_eq!(cached.provide_credentials()?.secret_id(), "AKIDEXAMPLE");
/// # Ok(())
/// # }
/// ```
pub struct CachedCredentials {
    inner: Box<dyn ProvideCredentials>,
    name: Cow<'static, str>,
    refresh_margin: Duration,
    clock: Clock,
    state: Mutex<State>,
    refresh_ended: Condvar,
}

struct State {
    current: Option<Entry>,
    refreshing: bool,
    /// Counts finished refreshes, so a waiter can tell that the refresh it
    /// waited for has ended even if another has started since.
    generation: u64,
    /// What the last refresh failed with, for the callers that waited on it.
    last_failure: Option<String>,
}

struct Entry {
    credentials: Credentials,
    /// When to refresh: `None` for credentials that never expire.
    refresh_at: Option<SystemTime>,
}

impl Entry {
    fn new(credentials: Credentials, now: SystemTime, margin: Duration) -> Entry {
        let refresh_at = credentials.expiry().map(|expiry| {
            let lifetime = expiry.duration_since(now).unwrap_or_default();
            expiry - margin.min(lifetime / 2)
        });
        Entry {
            credentials,
            refresh_at,
        }
    }

    fn is_fresh(&self, now: SystemTime) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }

    fn is_valid(&self, now: SystemTime) -> bool {
        self.credentials.expiry().is_none_or(|expiry| now < expiry)
    }
}

/// Builds a [`CachedCredentials`].
#[derive(Debug)]
pub struct CachedCredentialsBuilder {
    inner: Box<dyn ProvideCredentials>,
    name: Cow<'static, str>,
    refresh_margin: Duration,
    clock: Clock,
}

impl CachedCredentials {
    /// Caches the credentials of `inner`, with the default settings.
    pub fn new(inner: impl ProvideCredentials + 'static) -> CachedCredentials {
        CachedCredentials::builder(inner).build()
    }

    /// Starts building a cache around `inner`.
    pub fn builder(inner: impl ProvideCredentials + 'static) -> CachedCredentialsBuilder {
        CachedCredentialsBuilder {
            inner: Box::new(inner),
            name: Cow::Borrowed("the wrapped provider"),
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            clock: Clock::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The lock is never held while calling out, so a poisoned lock can
        // only come from a panic in this file's own bookkeeping, which
        // leaves the state consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Refreshes on behalf of every caller: only one thread runs this at a
    /// time, with `refreshing` set and the lock released.
    fn refresh(&self) -> Result<Credentials, Error> {
        let mut guard = RefreshGuard {
            cache: self,
            armed: true,
        };
        let result = self
            .inner
            .provide_credentials()
            .and_then(|credentials| self.check_not_expired(credentials));
        let now = self.clock.now();

        let mut state = self.lock();
        state.refreshing = false;
        state.generation += 1;
        guard.armed = false;
        let outcome = match result {
            Ok(credentials) => {
                log::debug!(
                    "refreshed temporary credentials from {}: {}, expiring at {}",
                    self.name,
                    MaskedId(credentials.secret_id()),
                    UnixTime(credentials.expiry())
                );
                state.current = Some(Entry::new(credentials.clone(), now, self.refresh_margin));
                state.last_failure = None;
                Ok(credentials)
            }
            Err(error) => {
                let text = chain_text(&error);
                state.last_failure = Some(text.clone());
                match state.current.as_ref().filter(|entry| entry.is_valid(now)) {
                    Some(entry) => {
                        log::warn!(
                            "could not refresh temporary credentials from {}, serving the \
                             current ones until they expire at {}: {text}",
                            self.name,
                            UnixTime(entry.credentials.expiry())
                        );
                        Ok(entry.credentials.clone())
                    }
                    None => Err(self.failure().with_source(error)),
                }
            }
        };
        drop(state);
        self.refresh_ended.notify_all();
        outcome
    }

    /// Refuses credentials that arrive already expired: using them would
    /// only fail later with a less helpful `AuthFailure`.
    fn check_not_expired(&self, credentials: Credentials) -> Result<Credentials, Error> {
        let now = self.clock.now();
        match credentials.expiry() {
            Some(expiry) if expiry <= now => Err(Error::credentials(format!(
                "{} returned credentials that expired at {}, not after this machine's clock ({}); \
                 is the clock right?",
                self.name,
                UnixTime(Some(expiry)),
                UnixTime(Some(now))
            ))),
            _ => Ok(credentials),
        }
    }

    fn failure(&self) -> Error {
        Error::credentials(format!(
            "could not get temporary credentials from {}",
            self.name
        ))
    }
}

impl ProvideCredentials for CachedCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        let mut state = self.lock();

        // Serve what is cached while it is fresh. While another caller
        // refreshes, serve the current credentials if they are still valid,
        // and otherwise wait for that refresh instead of starting another.
        loop {
            let now = self.clock.now();
            if let Some(entry) = &state.current {
                if entry.is_fresh(now) || (state.refreshing && entry.is_valid(now)) {
                    return Ok(entry.credentials.clone());
                }
            }
            if !state.refreshing {
                break;
            }
            let generation = state.generation;
            while state.refreshing && state.generation == generation {
                state = self
                    .refresh_ended
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            // The refresh waited for has failed and nothing valid is cached:
            // report its failure rather than try again at once, or a crowd of
            // waiters would each retry in turn against a failing endpoint.
            let now = self.clock.now();
            let valid = state
                .current
                .as_ref()
                .is_some_and(|entry| entry.is_valid(now));
            if let (Some(failure), false) = (&state.last_failure, valid) {
                return Err(self.failure().with_source(EarlierFailure(failure.clone())));
            }
        }

        // This caller refreshes; the lock is released meanwhile so others
        // can be served or wait.
        state.refreshing = true;
        drop(state);
        self.refresh()
    }
}

impl fmt::Debug for CachedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("CachedCredentials");
        d.field("inner", &self.inner)
            .field("refresh_margin", &self.refresh_margin);
        // try_lock: Debug may be called while this thread holds the lock
        // (from a log statement), and must not deadlock.
        match self.state.try_lock() {
            Ok(state) => match &state.current {
                Some(entry) => d
                    .field("cached", &MaskedId(entry.credentials.secret_id()))
                    .field("expiry", &entry.credentials.expiry()),
                None => d.field("cached", &None::<()>),
            },
            Err(_) => d.field("cached", &"<busy>"),
        };
        d.finish()
    }
}

impl CachedCredentialsBuilder {
    /// How long before the credentials' expiry to refresh them. Default:
    /// 5 minutes. It is cut to half of the credentials' lifetime when they
    /// live shorter than twice the margin.
    pub fn refresh_margin(mut self, margin: Duration) -> CachedCredentialsBuilder {
        self.refresh_margin = margin;
        self
    }

    /// The clock that decides when credentials are due for a refresh.
    /// Default: [`SystemTime::now`]. Tests set it to move time by hand.
    pub fn clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> CachedCredentialsBuilder {
        self.clock = Clock::new(now);
        self
    }

    /// Names the inner provider in errors and log records.
    pub(crate) fn name(mut self, name: impl Into<Cow<'static, str>>) -> CachedCredentialsBuilder {
        self.name = name.into();
        self
    }

    pub(crate) fn shared_clock(mut self, clock: Clock) -> CachedCredentialsBuilder {
        self.clock = clock;
        self
    }

    /// Builds the cache. It is empty until the first call.
    pub fn build(self) -> CachedCredentials {
        CachedCredentials {
            inner: self.inner,
            name: self.name,
            refresh_margin: self.refresh_margin,
            clock: self.clock,
            state: Mutex::new(State {
                current: None,
                refreshing: false,
                generation: 0,
                last_failure: None,
            }),
            refresh_ended: Condvar::new(),
        }
    }
}

/// Ends the refresh if the inner provider panics, so that waiters wake up
/// and a later call can refresh again instead of waiting for ever.
struct RefreshGuard<'a> {
    cache: &'a CachedCredentials,
    armed: bool,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let mut state = self.cache.lock();
            state.refreshing = false;
            state.generation += 1;
            state.last_failure = Some("the provider panicked".to_owned());
            drop(state);
            self.cache.refresh_ended.notify_all();
        }
    }
}

/// The failure of a refresh (or search) that another caller ran, as its
/// text: the error itself went to that caller.
#[derive(Debug)]
pub(crate) struct EarlierFailure(pub(crate) String);

impl fmt::Display for EarlierFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for EarlierFailure {}

/// An error and its causes on one line, `outer: cause: root cause`.
pub(crate) fn chain_text(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Shows an expiry as Unix seconds, the unit the services use.
struct UnixTime(Option<SystemTime>);

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.map(|t| t.duration_since(UNIX_EPOCH)) {
            None => f.write_str("never"),
            Some(Ok(since)) => write!(f, "unix time {}", since.as_secs()),
            Some(Err(_)) => f.write_str("a time before 1970"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    const START: u64 = 1_700_000_000;

    /// A clock that tests move by hand.
    fn manual_clock() -> (
        Arc<AtomicU64>,
        impl Fn() -> SystemTime + Send + Sync + 'static,
    ) {
        let seconds = Arc::new(AtomicU64::new(START));
        let handle = Arc::clone(&seconds);
        (seconds, move || {
            UNIX_EPOCH + Duration::from_secs(handle.load(Ordering::SeqCst))
        })
    }

    /// An inner provider that counts its calls and answers from a script.
    #[derive(Debug)]
    struct Scripted {
        calls: Arc<AtomicUsize>,
        clock: Arc<AtomicU64>,
        lifetime: u64,
        fail_from_call: usize,
        delay: Duration,
    }

    impl ProvideCredentials for Scripted {
        fn provide_credentials(&self) -> Result<Credentials, Error> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            thread::sleep(self.delay);
            if call >= self.fail_from_call {
                return Err(Error::credentials("the endpoint is down"));
            }
            let now = self.clock.load(Ordering::SeqCst);
            Ok(Credentials::new(format!("AKID{call}"), "key")
                .with_token("token")
                .with_expiry(UNIX_EPOCH + Duration::from_secs(now + self.lifetime)))
        }
    }

    fn scripted(clock: &Arc<AtomicU64>, lifetime: u64, fail_from_call: usize) -> Scripted {
        Scripted {
            calls: Arc::new(AtomicUsize::new(0)),
            clock: Arc::clone(clock),
            lifetime,
            fail_from_call,
            delay: Duration::ZERO,
        }
    }

    #[test]
    fn fresh_credentials_are_served_without_asking_again() {
        let (time, clock) = manual_clock();
        let inner = scripted(&time, 3600, usize::MAX);
        let calls = Arc::clone(&inner.calls);
        let cache = CachedCredentials::builder(inner).clock(clock).build();

        assert_eq!(cache.provide_credentials().unwrap().secret_id(), "AKID1");
        time.fetch_add(3600 - 301, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().secret_id(), "AKID1");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn credentials_inside_the_margin_are_refreshed() {
        let (time, clock) = manual_clock();
        let inner = scripted(&time, 3600, usize::MAX);
        let calls = Arc::clone(&inner.calls);
        let cache = CachedCredentials::builder(inner)
            .refresh_margin(Duration::from_secs(300))
            .clock(clock)
            .build();

        cache.provide_credentials().unwrap();
        time.fetch_add(3600 - 300, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().secret_id(), "AKID2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_short_lifetime_halves_the_margin() {
        let (time, clock) = manual_clock();
        let inner = scripted(&time, 120, usize::MAX);
        let calls = Arc::clone(&inner.calls);
        let cache = CachedCredentials::builder(inner).clock(clock).build();

        cache.provide_credentials().unwrap();
        cache.provide_credentials().unwrap();
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a 5-minute margin must not refresh at once"
        );
        time.fetch_add(60, Ordering::SeqCst);
        cache.provide_credentials().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_failed_refresh_keeps_serving_valid_credentials_and_retries_next_call() {
        let (time, clock) = manual_clock();
        let inner = scripted(&time, 3600, 2);
        let calls = Arc::clone(&inner.calls);
        let cache = CachedCredentials::builder(inner).clock(clock).build();

        cache.provide_credentials().unwrap();
        time.fetch_add(3500, Ordering::SeqCst);
        assert_eq!(cache.provide_credentials().unwrap().secret_id(), "AKID1");
        assert_eq!(cache.provide_credentials().unwrap().secret_id(), "AKID1");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "each call inside the margin retries"
        );

        time.fetch_add(100, Ordering::SeqCst);
        let e = cache.provide_credentials().unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Credentials);
        assert!(chain_text(&e).contains("the endpoint is down"), "{e}");
    }

    #[test]
    fn credentials_that_arrive_expired_are_an_error() {
        let (time, clock) = manual_clock();
        let expired = Credentials::new("AKIDold", "key")
            .with_expiry(UNIX_EPOCH + Duration::from_secs(START - 1));
        let cache = CachedCredentials::builder(expired).clock(clock).build();
        let e = cache.provide_credentials().unwrap_err();
        assert!(chain_text(&e).contains("is the clock right"), "{e}");
        drop(time);
    }

    #[test]
    fn concurrent_callers_on_an_empty_cache_share_one_refresh() {
        let (time, clock) = manual_clock();
        let mut inner = scripted(&time, 3600, usize::MAX);
        inner.delay = Duration::from_millis(200);
        let calls = Arc::clone(&inner.calls);
        let cache = Arc::new(CachedCredentials::builder(inner).clock(clock).build());

        let barrier = Arc::new(Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let cache = Arc::clone(&cache);
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    cache
                        .provide_credentials()
                        .map(|c| c.secret_id().to_owned())
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap().unwrap(), "AKID1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn waiters_share_the_failure_of_the_refresh_they_waited_for() {
        let (time, clock) = manual_clock();
        let mut inner = scripted(&time, 3600, 1);
        inner.delay = Duration::from_millis(200);
        let calls = Arc::clone(&inner.calls);
        let cache = Arc::new(CachedCredentials::builder(inner).clock(clock).build());

        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let cache = Arc::clone(&cache);
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    cache.provide_credentials().map(|_| ())
                })
            })
            .collect();
        for thread in threads {
            let e = thread.join().unwrap().unwrap_err();
            assert!(chain_text(&e).contains("the endpoint is down"), "{e}");
        }
        // Threads that arrive after the failure has been reported start a
        // refresh of their own, so allow a few, but far fewer than one each.
        assert!(calls.load(Ordering::SeqCst) < 8, "{calls:?}");
    }

    #[test]
    fn a_panicking_provider_does_not_leave_callers_waiting() {
        #[derive(Debug)]
        struct Panics;
        impl ProvideCredentials for Panics {
            fn provide_credentials(&self) -> Result<Credentials, Error> {
                panic!("provider bug")
            }
        }
        let cache = Arc::new(CachedCredentials::new(Panics));
        let first = Arc::clone(&cache);
        assert!(thread::spawn(move || first.provide_credentials())
            .join()
            .is_err());
        let second = Arc::clone(&cache);
        assert!(thread::spawn(move || second.provide_credentials())
            .join()
            .is_err());
    }

    #[test]
    fn debug_shows_only_the_masked_id() {
        let cache = CachedCredentials::new(Credentials::new("AKIDsecretish", "the-key"));
        cache.provide_credentials().unwrap();
        let text = format!("{cache:?}");
        assert!(
            text.contains("AKID****") && !text.contains("the-key"),
            "{text}"
        );
        assert!(!text.contains("AKIDsecretish"), "{text}");
    }
}
