//! The client: signs and sends `Invoke` and `InvokeFunction` requests.
//!
//! This is the only part of the crate that reads the clock and talks to the
//! network. It validates a request, asks its credentials provider for
//! credentials, signs with [`crate::signer`], posts with `ureq`, and reads
//! the answer with [`crate::response`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::body::Prepared;
use crate::clock::Clock;
use crate::credentials::{DefaultChain, ProvideCredentials};
use crate::endpoint::{self, Endpoint, GivenUrl};
use crate::proxy::{self, ChosenProxy};
use crate::rate_limit::RateLimiter;
use crate::request::{InvokeFunctionRequest, InvokeRequest, PayloadLimits};
use crate::response::{self, InvokeOutput};
use crate::retry::{self, Jitter, RetryPolicy};
use crate::signer::{self, Payload, SigningParams, UNSIGNED_PAYLOAD};
use crate::tls::TlsOptions;
use crate::transport;
use crate::{Error, InvocationType};

/// The API version both actions belong to.
pub const API_VERSION: &str = "2018-04-16";

/// The service name in the signature's scope.
const SERVICE: &str = "scf";

/// Sent as `X-TC-RequestClient` (followed by the caller's tag, if any).
const REQUEST_CLIENT: &str = concat!("scf-invoke/", env!("CARGO_PKG_VERSION"));

/// The language of the service's error messages (`X-TC-Language`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// Simplified Chinese, `zh-CN` (the service's default).
    ZhCn,
    /// English, `en-US`.
    EnUs,
}

impl Language {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::EnUs => "en-US",
        }
    }
}

/// Timeouts a [`Client`] applies to each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    pub(crate) connect: Duration,
    /// The bound on each stage after connecting: writing the request,
    /// waiting for the answer, reading it.
    pub(crate) response: Duration,
    /// One deadline over each attempt, name resolution included; none by
    /// default, because ureq pays for it with a thread per call.
    pub(crate) call: Option<Duration>,
    pub(crate) idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            // A synchronous invocation may run for 300 s on the server; the
            // margin covers queueing, a cold start and the response.
            response: Duration::from_secs(330),
            call: None,
            // The service closes idle keep-alive connections after 60 s.
            idle: Duration::from_secs(50),
        }
    }
}

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use scf_invoke::{Client, Credentials, Language};
///
/// let client = Client::builder()
///     .region("ap-guangzhou")
///     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
///     .language(Language::EnUs)
///     .response_timeout(Duration::from_secs(60))
///     // A local emulator; leave out for the public endpoint.
///     .endpoint("http://127.0.0.1:9000")
///     .build()?;
/// # Ok::<(), scf_invoke::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ClientBuilder {
    region: Option<String>,
    credentials: Option<Arc<dyn ProvideCredentials>>,
    endpoint: Option<EndpointChoice>,
    language: Option<Language>,
    timeouts: Timeouts,
    request_client: Option<String>,
    allow_insecure_http: bool,
    limits: PayloadLimits,
    max_response_bytes: Option<u64>,
    unsigned_payload: bool,
    retry: RetryPolicy,
    rate_limit: Option<f64>,
    clock_offset: i64,
    /// `None` means the default, true.
    correct_clock_skew: Option<bool>,
    proxy: Option<GivenUrl>,
    /// `None` means the default, true.
    proxy_from_env: Option<bool>,
    tls: TlsOptions,
}

#[derive(Debug)]
enum EndpointChoice {
    Url(GivenUrl),
    Regional,
}

impl ClientBuilder {
    /// The region the functions live in, sent as `X-TC-Region`, such as
    /// `ap-guangzhou`. Required.
    pub fn region(mut self, region: impl Into<String>) -> ClientBuilder {
        self.region = Some(region.into());
        self
    }

    /// Fixed credentials, or any provider of them. Required.
    pub fn credentials(mut self, provider: impl ProvideCredentials + 'static) -> ClientBuilder {
        self.credentials = Some(Arc::new(provider));
        self
    }

    /// A credentials provider already shared with other clients.
    pub fn credentials_provider(mut self, provider: Arc<dyn ProvideCredentials>) -> ClientBuilder {
        self.credentials = Some(provider);
        self
    }

    /// The URL to post to: `https://host[:port]`, or `http://` for a local
    /// emulator or proxy. Default: [`endpoint::DEFAULT_ENDPOINT`].
    ///
    /// Plain `http://` is refused for a host that is not loopback, unless
    /// [`ClientBuilder::allow_insecure_http`] is set.
    pub fn endpoint(mut self, url: impl Into<String>) -> ClientBuilder {
        self.endpoint = Some(EndpointChoice::Url(GivenUrl::new(url)));
        self
    }

    /// Uses the regional endpoint of the region set with
    /// [`ClientBuilder::region`], `https://scf.<region>.tencentcloudapi.com`.
    pub fn regional_endpoint(mut self) -> ClientBuilder {
        self.endpoint = Some(EndpointChoice::Regional);
        self
    }

    /// Uses the in-VPC endpoint, [`endpoint::INTERNAL_ENDPOINT`].
    pub fn internal_endpoint(self) -> ClientBuilder {
        self.endpoint(endpoint::INTERNAL_ENDPOINT)
    }

    /// Allows plain `http://` to hosts that are not loopback, for a gateway
    /// on a trusted network. Default: false. Requests are then readable and
    /// alterable by anyone on the path (though not re-signable).
    pub fn allow_insecure_http(mut self, allow: bool) -> ClientBuilder {
        self.allow_insecure_http = allow;
        self
    }

    /// The language of the service's messages (`X-TC-Language`). Default:
    /// not sent, which the service takes as Chinese.
    pub fn language(mut self, language: Language) -> ClientBuilder {
        self.language = Some(language);
        self
    }

    /// How long opening a connection may take: TCP, and the TLS and proxy
    /// handshakes. Default: 10 seconds.
    ///
    /// Name resolution is not covered: it uses the system resolver and its
    /// own limits (with glibc, 5 seconds per attempt and 2 attempts for
    /// each name server), unless [`timeout`](ClientBuilder::timeout) sets a
    /// deadline over each attempt.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.connect = timeout;
        self
    }

    /// How long each stage after connecting may take: writing the request,
    /// waiting for the answer to begin (the stage that covers the
    /// function's run), and reading the answer. Each stage has the whole
    /// amount to itself. Default: 330 seconds, since the service lets a
    /// synchronous invocation run for up to 300 seconds.
    pub fn response_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.response = timeout;
        self
    }

    /// One deadline over each attempt, from resolving the endpoint's name
    /// to the last byte of the answer. Default: none; the
    /// [`connect_timeout`](ClientBuilder::connect_timeout) and the
    /// [`response_timeout`](ClientBuilder::response_timeout) still bound
    /// every stage but name resolution, and whichever ends first applies.
    ///
    /// A retry is a new attempt with a deadline of its own; the retry
    /// policy's [`budget`](crate::RetryPolicy::budget) decides whether one
    /// is started. A deadline reached before any of the body was sent
    /// leaves the error [`is_not_sent`](crate::Error::is_not_sent), so the
    /// default policy retries it.
    ///
    /// It costs a thread per call: ureq 3 can only time out name
    /// resolution by running it on a new thread, and it resolves the name
    /// for every call, pooled connection or not. On loopback that made a
    /// round trip about 1.4 times as long; against a real endpoint it is
    /// small beside the network's latency.
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.call = Some(timeout);
        self
    }

    /// How long an idle connection is kept for reuse. Default: 50 seconds,
    /// under the 60 seconds after which the service closes it.
    pub fn idle_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.idle = timeout;
        self
    }

    /// A tag naming your program, appended to `X-TC-RequestClient` after
    /// this crate's name and version. Default: none. At most 64 printable
    /// ASCII characters.
    pub fn request_client(mut self, tag: impl Into<String>) -> ClientBuilder {
        self.request_client = Some(tag.into());
        self
    }

    /// The largest events accepted before sending. Default:
    /// [`PayloadLimits::default`] (6 MB synchronous, 128 KB `Event`).
    pub fn payload_limits(mut self, limits: PayloadLimits) -> ClientBuilder {
        self.limits = limits;
        self
    }

    /// The largest response body read; a larger one is an
    /// [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse)
    /// error. Default: 16 MiB (a 6 MB return value, JSON-escaped, plus the
    /// log).
    pub fn max_response_bytes(mut self, bytes: u64) -> ClientBuilder {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Leaves the body out of each request's signature, sending
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` in its place, as the
    /// official SDKs' `UnsignedPayload` option does. Default: false, the
    /// signature covers the body.
    ///
    /// It saves reading the body to hash it: an event over 64 KiB is then
    /// escaped only as it is sent, once per attempt, where a signed one is
    /// also escaped and hashed before the first, and the service has no
    /// hash to check. On loopback, against the crate's emulator, that made
    /// a call with a 6 MB event about a third shorter. A small event
    /// gains little: hashing takes about 0.6 µs per KB.
    ///
    /// The price is that the signature no longer proves the body
    /// unchanged; it still proves who signed the request and when. Only
    /// TLS then keeps the event from being altered on the way: do not
    /// combine this with plain HTTP
    /// ([`allow_insecure_http`](ClientBuilder::allow_insecure_http))
    /// across a network you do not control.
    pub fn unsigned_payload(mut self, unsigned: bool) -> ClientBuilder {
        self.unsigned_payload = unsigned;
        self
    }

    /// How failed calls are retried. Default: [`RetryPolicy::default`]:
    /// up to 3 attempts within 30 seconds, and only after failures that
    /// prove the function did not run (no connection, or throttled).
    /// [`RetryPolicy::none`] turns retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// Spaces this client's requests so that at most `per_second` leave
    /// each second, evenly, with no bursts; callers wait for their turn.
    /// The limit is shared by every clone of the client and every thread
    /// using it, and applies to retries too. Default: no limit.
    ///
    /// The service allows 20 `Invoke` requests a second per account, so
    /// `20.0` keeps one busy client from being throttled (several clients
    /// or processes share that allowance). Fractions such as `0.5` work.
    pub fn rate_limit(mut self, per_second: f64) -> ClientBuilder {
        self.rate_limit = Some(per_second);
        self
    }

    /// Seconds to add to the local clock to get the service's clock, for a
    /// device whose clock is known to be wrong. Default: 0. The client also
    /// learns it by itself; see [`ClientBuilder::correct_clock_skew`] and
    /// [`Client::clock_offset`].
    pub fn clock_offset(mut self, seconds: i64) -> ClientBuilder {
        self.clock_offset = seconds;
        self
    }

    /// Whether a call refused with `AuthFailure.SignatureExpire` (a
    /// timestamp more than five minutes from the service's clock) is
    /// retried once with a corrected clock. Default: true.
    ///
    /// The service's time is read from the answer's `Date` header, or
    /// failing that from a Unix time in its message; the difference is kept
    /// as the client's [`clock_offset`](Client::clock_offset) for every
    /// later call. The retry is safe whatever the [`RetryPolicy`]: the
    /// request was refused before anything ran. A clock that is decades
    /// off, or at 1970, works after one refusal.
    pub fn correct_clock_skew(mut self, correct: bool) -> ClientBuilder {
        self.correct_clock_skew = Some(correct);
        self
    }

    /// Sends every request through this proxy: `http://host:port` (an HTTP
    /// proxy that opens a tunnel with `CONNECT`), `https://…` (the same,
    /// reached over TLS), or `socks5://`, `socks5h://` (the proxy resolves
    /// the name), `socks4://`, `socks4a://`. A user name and password may
    /// be given as `http://user:password@host:port`, percent-encoded; they
    /// never appear in `Debug` output, logs or errors. Default: none, or
    /// the environment's (see [`ClientBuilder::proxy_from_env`]).
    ///
    /// An explicit proxy is used for every endpoint; `NO_PROXY` does not
    /// apply to it.
    pub fn proxy(mut self, url: impl Into<String>) -> ClientBuilder {
        self.proxy = Some(GivenUrl::new(url));
        self
    }

    /// Whether, when no proxy is set with [`ClientBuilder::proxy`], the
    /// proxy is taken from the environment when the client is built.
    /// Default: true, as curl and most HTTP clients do.
    ///
    /// For an `https://` endpoint, `https_proxy`, `HTTPS_PROXY`,
    /// `all_proxy` and `ALL_PROXY` are read in that order; for `http://`,
    /// `http_proxy` (never `HTTP_PROXY`, which CGI lets a request set),
    /// `all_proxy` and `ALL_PROXY`. No proxy is used when `NO_PROXY` (or
    /// `no_proxy`) names the endpoint's host: `*`, a domain (matching its
    /// subdomains too, with or without a leading `.`), an IP address or
    /// CIDR block, optionally with a `:port`. An endpoint on loopback
    /// never goes through the environment's proxy.
    pub fn proxy_from_env(mut self, read: bool) -> ClientBuilder {
        self.proxy_from_env = Some(read);
        self
    }

    /// Trusts the CA certificates in `pem` (one or more `-----BEGIN
    /// CERTIFICATE-----` blocks) **instead of** the bundled Mozilla roots,
    /// for a private gateway or a TLS-inspecting proxy whose CA is the one
    /// that matters. Default: the bundled roots. Needs the `rustls` or
    /// `native-tls` feature.
    ///
    /// To trust both, pass the bundle together with your CA: `ureq` offers
    /// no way to add roots to its bundled set.
    pub fn root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.tls.root_certificates_pem = Some(pem.into());
        self
    }

    /// Verifies the endpoint's certificate with the operating system's
    /// trust store instead of the bundled roots, so that roots installed
    /// by an administrator are trusted. Default: false. Needs the
    /// `platform-verifier` feature with `rustls`; with `native-tls` it
    /// needs nothing more.
    pub fn platform_verifier(mut self, platform: bool) -> ClientBuilder {
        self.tls.platform_verifier = platform;
        self
    }

    /// **For local testing only**: accepts any certificate for any host,
    /// which lets anyone on the path read and change the traffic. Default:
    /// false. Every client built with it logs a warning. Needs the
    /// `rustls` or `native-tls` feature.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// when the region or credentials are missing, the region or the
    /// request-client tag is malformed, a timeout is zero, or the endpoint is
    /// not a valid URL, is plain `http://` to a host that is not loopback
    /// without [`ClientBuilder::allow_insecure_http`], or is `https://` in a
    /// build with no TLS feature; when the retry policy allows no attempt
    /// or the rate limit is not a positive number; when the proxy (set or
    /// from the environment) is not a usable URL; or when a TLS option is
    /// set in a build without TLS, the PEM holds no certificate, or the
    /// platform verifier is not compiled in.
    pub fn build(self) -> Result<Client, Error> {
        let region = self.region.ok_or_else(|| {
            Error::invalid_input("region", "is required (for example \"ap-guangzhou\")")
        })?;
        check_region(&region)?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::invalid_input("credentials", "are required: set credentials or a provider")
        })?;
        let endpoint_url = match self.endpoint {
            Some(EndpointChoice::Url(url)) => url.into_string(),
            Some(EndpointChoice::Regional) => endpoint::regional_endpoint(&region),
            None => endpoint::DEFAULT_ENDPOINT.to_owned(),
        };
        let endpoint = Endpoint::parse(&endpoint_url, self.allow_insecure_http)?;
        let request_client = match self.request_client {
            Some(tag) => {
                check_request_client(&tag)?;
                format!("{REQUEST_CLIENT} {tag}")
            }
            None => REQUEST_CLIENT.to_owned(),
        };
        for (field, value) in [
            ("connect_timeout", Some(self.timeouts.connect)),
            ("response_timeout", Some(self.timeouts.response)),
            ("timeout", self.timeouts.call),
        ] {
            if value.is_some_and(|value| value.is_zero()) {
                return Err(Error::invalid_input(field, "must be greater than zero"));
            }
        }

        if self.retry.attempts() == 0 {
            return Err(Error::invalid_input(
                "retry",
                "max_attempts must be at least 1 (use RetryPolicy::none() for no retries)",
            ));
        }
        let rate_limiter = match self.rate_limit {
            Some(rate) if !(rate.is_finite() && rate > 0.0 && rate <= 1e9) => {
                return Err(Error::invalid_input(
                    "rate_limit",
                    format!("must be a number of requests per second above 0, got {rate}"),
                ))
            }
            Some(rate) => Some(RateLimiter::new(rate)),
            None => None,
        };

        let proxy = proxy::choose(
            self.proxy.as_ref().map(GivenUrl::as_str),
            self.proxy_from_env.unwrap_or(true),
            &endpoint,
            |name| std::env::var(name).ok(),
        )?;
        let ureq_proxy = match &proxy {
            Some(chosen) => {
                log::debug!(
                    "requests to {} go through the proxy {} (from {})",
                    endpoint.host,
                    chosen.redacted(),
                    chosen.source()
                );
                Some(chosen.to_ureq()?)
            }
            None => None,
        };
        let agent = transport::agent(&self.timeouts, ureq_proxy, &self.tls)?;

        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                endpoint,
                region,
                credentials,
                language: self.language,
                request_client,
                limits: self.limits,
                max_response_bytes: self.max_response_bytes.unwrap_or(16 * 1024 * 1024),
                unsigned_payload: self.unsigned_payload,
                timeouts: self.timeouts,
                retry: self.retry,
                rate_limiter,
                clock: Clock::new(self.clock_offset),
                correct_clock_skew: self.correct_clock_skew.unwrap_or(true),
                proxy,
                tls: self.tls,
            }),
        })
    }
}

/// Invokes SCF functions.
///
/// Cheap to clone: clones share one connection pool and one credentials
/// provider. `Send` and `Sync`, so one client can serve every thread.
///
/// ```no_run
/// use scf_invoke::{Client, Credentials, InvokeRequest};
///
/// let client = Client::builder()
///     .region("ap-guangzhou")
///     .credentials(Credentials::from_env()?)
///     .build()?;
/// let output = client.invoke(&InvokeRequest::new("hello").event(&[1, 2, 3]))?;
/// if let Some(error) = output.function_error() {
///     eprintln!("the function failed: {error}");
/// } else {
///     println!("{}", output.return_value());
/// }
/// # Ok::<(), scf_invoke::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: ureq::Agent,
    endpoint: Endpoint,
    region: String,
    credentials: Arc<dyn ProvideCredentials>,
    language: Option<Language>,
    request_client: String,
    limits: PayloadLimits,
    max_response_bytes: u64,
    unsigned_payload: bool,
    timeouts: Timeouts,
    retry: RetryPolicy,
    rate_limiter: Option<RateLimiter>,
    clock: Clock,
    correct_clock_skew: bool,
    proxy: Option<ChosenProxy>,
    tls: TlsOptions,
}

/// One failed attempt, with what the clock correction needs to know.
struct Failure {
    error: Error,
    /// The answer's `Date` header, if an answer came.
    date: Option<String>,
    /// The `X-TC-Timestamp` the request was signed with.
    timestamp: i64,
}

impl From<Error> for Failure {
    /// A failure before anything was sent.
    fn from(error: Error) -> Failure {
        Failure {
            error,
            date: None,
            timestamp: 0,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("endpoint", &inner.endpoint.url)
            .field("region", &inner.region)
            .field("credentials", &inner.credentials)
            .field("language", &inner.language)
            .field("request_client", &inner.request_client)
            .field("limits", &inner.limits)
            .field("unsigned_payload", &inner.unsigned_payload)
            .field("timeouts", &inner.timeouts)
            .field("retry", &inner.retry)
            .field(
                "rate_limit",
                &inner.rate_limiter.as_ref().map(RateLimiter::per_second),
            )
            .field("clock_offset", &inner.clock.offset())
            .field("correct_clock_skew", &inner.correct_clock_skew)
            .field("proxy", &inner.proxy)
            .field("tls", &inner.tls)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder with every setting at its default.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client for the region in `TENCENTCLOUD_REGION`, with credentials
    /// from the [`DefaultChain`] (environment, profile file, CVM role, TKE
    /// OIDC) and every other setting at its default.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// when `TENCENTCLOUD_REGION` is unset or malformed.
    pub fn from_env() -> Result<Client, Error> {
        let region = std::env::var("TENCENTCLOUD_REGION").map_err(|_| {
            Error::invalid_input(
                "region",
                "TENCENTCLOUD_REGION is not set (e.g. ap-guangzhou)",
            )
        })?;
        Client::builder()
            .region(region)
            .credentials(DefaultChain::new())
            .build()
    }

    /// Sends the `Invoke` action.
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput): a field
    ///   broke a rule or the event is over its limit; nothing was sent.
    /// - [`ErrorKind::Credentials`](crate::ErrorKind::Credentials): the
    ///   provider had no credentials; nothing was sent.
    /// - [`ErrorKind::Service`](crate::ErrorKind::Service): the service
    ///   refused the call (bad signature, throttled, no such function…).
    /// - [`ErrorKind::Transport`](crate::ErrorKind::Transport),
    ///   [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus),
    ///   [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse):
    ///   the call did not complete, or its answer was not the service's.
    ///
    /// A function that ran and failed is not an error: see
    /// [`InvokeOutput::function_error`].
    pub fn invoke(&self, request: &InvokeRequest) -> Result<InvokeOutput, Error> {
        request.validate(&self.inner.limits)?;
        let mode = request.effective_invocation_type();
        let body = Prepared::new(request.body(), !self.inner.unsigned_payload);
        self.send("Invoke", request.function_name(), mode, &body)
    }

    /// Sends the `InvokeFunction` action, which always runs synchronously.
    ///
    /// # Errors
    ///
    /// As for [`Client::invoke`].
    pub fn invoke_function(&self, request: &InvokeFunctionRequest) -> Result<InvokeOutput, Error> {
        request.validate(&self.inner.limits)?;
        let mode = InvocationType::RequestResponse;
        let body = Prepared::new(request.body(), !self.inner.unsigned_payload);
        self.send("InvokeFunction", request.function_name(), mode, &body)
    }

    /// The URL this client posts to.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint.url
    }

    /// The region sent as `X-TC-Region`.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    /// Seconds added to the local clock to sign requests: positive when the
    /// service's clock is ahead of this machine's. It starts at
    /// [`ClientBuilder::clock_offset`] (default 0) and changes when the
    /// service refuses a timestamp (see
    /// [`ClientBuilder::correct_clock_skew`]); every clone of the client
    /// shares it.
    pub fn clock_offset(&self) -> i64 {
        self.inner.clock.offset()
    }

    /// Sends one call: waits for the rate limit, makes an attempt, and
    /// retries as the policy allows.
    fn send(
        &self,
        action: &str,
        function: &str,
        mode: InvocationType,
        body: &Prepared<'_>,
    ) -> Result<InvokeOutput, Error> {
        let inner = &*self.inner;
        let policy = &inner.retry;
        let started = Instant::now();
        // Seeded only when needed: most calls never retry.
        let mut jitter = None;
        let mut attempt = 1;
        let mut clock_corrected = false;
        loop {
            if let Some(limiter) = &inner.rate_limiter {
                let waited = limiter.acquire();
                if !waited.is_zero() {
                    log::trace!("{action} {function}: waited {waited:?} for the rate limit");
                }
            }

            let failure = match self.attempt(action, function, mode, body) {
                Ok(output) => return Ok(output),
                Err(failure) => failure,
            };
            let error = failure.error;

            // A refused timestamp: nothing ran, so learning the service's
            // clock and trying once more is safe whatever the policy says.
            if error.is_signature_expired() && inner.correct_clock_skew && !clock_corrected {
                let learned =
                    inner
                        .clock
                        .learn(failure.date.as_deref(), error.message(), failure.timestamp);
                if let Some((offset, source)) = learned {
                    clock_corrected = true;
                    log::debug!(
                        "{action} {function}: the service refused timestamp {}; clock offset now \
                         {offset:+} s (from {}), retrying once",
                        failure.timestamp,
                        source.as_str()
                    );
                    continue;
                }
            }

            let reason = match retry::reason(&error) {
                Some(reason) if policy.allows(reason) => reason,
                _ => return Err(error),
            };
            if attempt >= policy.attempts() {
                if attempt > 1 {
                    log::debug!("{action} {function}: giving up after {attempt} attempts");
                }
                return Err(error);
            }
            let delay = policy.delay(attempt, jitter.get_or_insert_with(Jitter::new));
            if started.elapsed() + delay > policy.budget_limit() {
                log::debug!(
                    "{action} {function}: not retrying ({reason}): the next attempt would start \
                     after the retry budget of {:?}",
                    policy.budget_limit()
                );
                return Err(error);
            }
            attempt += 1;
            log::debug!(
                "{action} {function}: retrying in {delay:?}, attempt {attempt} of {} ({reason}): \
                 {error}",
                policy.attempts()
            );
            std::thread::sleep(delay);
        }
    }

    /// Signs and sends one request, and reads its answer.
    fn attempt(
        &self,
        action: &str,
        function: &str,
        mode: InvocationType,
        body: &Prepared<'_>,
    ) -> Result<InvokeOutput, Failure> {
        let inner = &*self.inner;
        let credentials = inner.credentials.provide_credentials()?;

        // The one place the crate reads the clock, corrected by the offset
        // learned from the service (see crate::clock). Read for each
        // attempt, so a retry is signed afresh.
        let timestamp = inner.clock.now();

        let signed = signer::sign(&SigningParams {
            secret_id: credentials.secret_id(),
            secret_key: credentials.secret_key(),
            service: SERVICE,
            host: &inner.endpoint.host,
            method: "POST",
            query: "",
            content_type: "application/json",
            headers: &[],
            payload: body.payload(),
            timestamp,
        })?;
        log::trace!("canonical request:\n{}", signed.canonical_request());

        let timestamp_header = timestamp.to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("Host", &inner.endpoint.host),
            ("Content-Type", "application/json"),
            ("X-TC-Action", action),
            ("X-TC-Version", API_VERSION),
            ("X-TC-Timestamp", &timestamp_header),
            ("X-TC-Region", &inner.region),
            ("X-TC-RequestClient", &inner.request_client),
        ];
        if matches!(body.payload(), Payload::Unsigned) {
            headers.push(("X-TC-Content-SHA256", UNSIGNED_PAYLOAD));
        }
        if let Some(token) = credentials.token() {
            headers.push(("X-TC-Token", token));
        }
        if let Some(language) = inner.language {
            headers.push(("X-TC-Language", language.as_str()));
        }
        headers.push(("Authorization", signed.authorization()));
        log::trace!(
            "request headers: {:?}, body: {} bytes",
            transport::RedactedHeaders(&headers),
            body.len()
        );

        let started = Instant::now();
        let answer = transport::post(
            &inner.agent,
            &inner.endpoint.url,
            &headers,
            body,
            inner.max_response_bytes,
        );
        let elapsed = started.elapsed();
        let transport::Answer {
            status,
            body: response_body,
            date,
        } = match answer {
            Ok(answer) => answer,
            Err(e) => {
                log::debug!(
                    "{action} {function} at {} ({}) failed after {elapsed:?}: {e}",
                    inner.endpoint.host,
                    mode.as_str()
                );
                return Err(Failure {
                    error: e,
                    date: None,
                    timestamp,
                });
            }
        };
        log::trace!("response: status {status}, {} bytes", response_body.len());
        let failure = |error| Failure {
            error,
            date: date.clone(),
            timestamp,
        };

        if status != 200 {
            log::debug!(
                "{action} {function} at {}: http status {status} after {elapsed:?}",
                inner.endpoint.host
            );
            return Err(failure(Error::http_status(status, &response_body)));
        }
        let result = response::parse_invoke_response(&response_body);
        match &result {
            Ok(output) => log::debug!(
                "{action} {function} at {} ({}): status 200 in {elapsed:?}, request id {}{}",
                inner.endpoint.host,
                mode.as_str(),
                output.request_id(),
                if output.is_function_error() {
                    ", the function failed"
                } else {
                    ""
                }
            ),
            Err(e) => log::debug!(
                "{action} {function} at {}: status 200 in {elapsed:?}, {e}",
                inner.endpoint.host
            ),
        }
        result.map_err(failure)
    }
}

/// Region names are lowercase words joined by hyphens, like
/// `ap-guangzhou` or `na-siliconvalley`.
fn check_region(region: &str) -> Result<(), Error> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "region",
            format!("must be lowercase ASCII letters, digits and '-', like \"ap-guangzhou\", got {region:?}"),
        ))
    }
}

fn check_request_client(tag: &str) -> Result<(), Error> {
    let ok = !tag.is_empty()
        && tag.len() <= 64
        && tag.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "request_client",
            "must be 1 to 64 printable ASCII characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;

    fn builder() -> ClientBuilder {
        Client::builder()
            .region("ap-guangzhou")
            .credentials(Credentials::new("AKIDtest", "secret-key"))
            .endpoint("http://127.0.0.1:9")
    }

    #[test]
    fn client_is_send_sync_and_cheap_to_clone() {
        fn assert_traits<T: Send + Sync + Clone>() {}
        assert_traits::<Client>();
        assert_eq!(std::mem::size_of::<Client>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn missing_region_and_credentials_are_named() {
        let e = Client::builder()
            .credentials(Credentials::new("a", "b"))
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("region"));
        let e = Client::builder()
            .region("ap-guangzhou")
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("credentials"));
        let e = builder().region("AP Guangzhou").build().unwrap_err();
        assert_eq!(e.field(), Some("region"));
    }

    #[test]
    fn a_password_in_the_endpoint_is_neither_shown_nor_repeated() {
        let builder = builder().endpoint("https://user:pa55word@scf.example.com");
        let shown = format!("{builder:?}");
        assert!(shown.contains("https://***@scf.example.com"), "{shown}");
        let e = builder.build().unwrap_err();
        let text = format!("{e} {e:?}");
        assert_eq!(e.field(), Some("endpoint"));
        assert!(!shown.contains("pa55word") && !text.contains("pa55word"));
    }

    #[test]
    fn zero_timeouts_and_bad_tags_are_refused() {
        let e = builder().timeout(Duration::ZERO).build().unwrap_err();
        assert_eq!(e.field(), Some("timeout"));
        let e = builder()
            .response_timeout(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("response_timeout"));
        let e = builder().request_client("tab\there").build().unwrap_err();
        assert_eq!(e.field(), Some("request_client"));
    }

    #[test]
    fn regional_endpoint_follows_the_region() {
        if !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return;
        }
        let client = builder()
            .region("ap-shanghai")
            .regional_endpoint()
            .build()
            .unwrap();
        assert_eq!(
            client.endpoint(),
            "https://scf.ap-shanghai.tencentcloudapi.com/"
        );
    }

    #[test]
    fn debug_shows_no_secret() {
        let client = builder().build().unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("secret-key"), "{text}");
        assert!(text.contains("127.0.0.1:9"), "{text}");
    }

    #[test]
    fn invalid_input_is_refused_before_any_io() {
        // Port 9 on loopback: were anything sent, this would be a transport
        // error rather than invalid input.
        let client = builder().build().unwrap();
        let e = client.invoke(&InvokeRequest::new("1bad")).unwrap_err();
        assert_eq!(e.field(), Some("FunctionName"));
    }
}
