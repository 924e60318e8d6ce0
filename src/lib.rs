//! Invoke Tencent Cloud SCF (Serverless Cloud Function) functions from
//! synchronous Rust: no async runtime, few dependencies, every request
//! signed with TC3-HMAC-SHA256 exactly as the official SDKs sign it.
//!
//! ```toml
//! [dependencies]
//! scf-invoke = "0.1"
//! ```
//!
//! # Example: one call
//!
//! With `TENCENTCLOUD_REGION`, `TENCENTCLOUD_SECRET_ID` and
//! `TENCENTCLOUD_SECRET_KEY` set:
//!
//! ```no_run
//! let output = scf_invoke::invoke("hello", &serde_json::json!({ "name": "world" }))?;
//! println!("{}", output.return_value());
//! # Ok::<(), scf_invoke::Error>(())
//! ```
//!
//! # Example: a client
//!
//! A [`Client`] keeps its connections and settings; build one and share it.
//!
//! ```no_run
//! use scf_invoke::{Client, Credentials, InvokeRequest, LogType};
//!
//! let client = Client::builder()
//!     .region("ap-guangzhou")
//!     .credentials(Credentials::new("AKID...", "..."))
//!     .build()?;
//! let request = InvokeRequest::new("hello")
//!     .event(&serde_json::json!({ "name": "world" }))
//!     .log_type(LogType::Tail);
//! let output = client.invoke(&request)?;
//! match output.function_error() {
//!     Some(error) => eprintln!("the function failed: {error}\n{}", output.log()),
//!     None => println!("{}", output.return_value()),
//! }
//! # Ok::<(), scf_invoke::Error>(())
//! ```
//!
//! # Errors
//!
//! Every fallible function returns [`Error`]. [`Error::kind`] tells invalid
//! input (caught before anything is sent, naming the field and the rule)
//! from an error the service answered (with its code, message and request
//! id), a transport failure, an unexpected HTTP status, a response that is
//! not the service's, and missing credentials. Predicates answer the usual
//! questions: [`Error::is_throttled`], [`Error::is_auth_failure`],
//! [`Error::is_function_not_found`], [`Error::is_timeout`],
//! [`Error::is_not_sent`].
//!
//! A function that ran and failed is not an `Error`: the call succeeded, and
//! [`InvokeOutput::function_error`] carries the function's error.
//!
//! # Features
//!
//! - `rustls` (default): HTTPS through rustls, with the Mozilla root
//!   certificates bundled (no system files read).
//! - `native-tls`: HTTPS through the platform's TLS library (OpenSSL on
//!   Linux). When both are enabled, `native-tls` is used.
//! - `platform-verifier`: lets [`ClientBuilder::platform_verifier`] check
//!   certificates against the operating system's trust store under
//!   `rustls` (adds `rustls-platform-verifier`). Not needed with
//!   `native-tls`.
//! - With no TLS feature, only plain `http://` endpoints work (a local
//!   emulator, or a gateway that terminates TLS); an `https://` endpoint is
//!   refused when the client is built, with an error naming the features,
//!   and so is any TLS option.
//! - `emulator`: the `emulator` module, a local SCF endpoint that verifies
//!   signatures as the service does, for offline development and tests
//!   (adds `tiny_http`).
//! - `cli`: the `scf-invoke` command-line tool; brings `emulator` (adds
//!   `lexopt`, and `signal-hook` on Unix).
//!
//! # Timeouts
//!
//! `ureq` sets none by default; this crate does. Opening a connection may
//! take 10 seconds ([`ClientBuilder::connect_timeout`]). After that, each
//! stage of the exchange may take 330 seconds on its own: writing the
//! request, waiting for the answer (a synchronous invocation may run for
//! 300 seconds on the server), and reading it
//! ([`ClientBuilder::response_timeout`]). Idle connections are dropped
//! after 50 seconds, before the service's 60-second keep-alive closes them
//! ([`ClientBuilder::idle_timeout`]).
//!
//! There is no deadline over a whole attempt by default, and name
//! resolution is left to the system resolver's own limits, because ureq 3
//! can time out name resolution only by spawning a thread, and it resolves
//! the name on every call, pooled connection or not.
//! [`ClientBuilder::timeout`] sets one deadline over each attempt, name
//! resolution included, at that cost.
//!
//! # Retries
//!
//! Invocations are not idempotent: a request sent twice may run the
//! function twice. So by default a failed call is retried (up to 3
//! attempts, with exponential backoff and jitter, within 30 seconds) only
//! when the failure proves the function did not run: no connection could
//! be made, the call failed before any of its body was sent, or the
//! service refused the call for its rate limit (`RequestLimitExceeded`).
//! Timeouts and broken connections once the body was being sent, HTTP 5xx
//! and `InternalError` are retried only when you opt in. See [`RetryPolicy`]
//! and [`ClientBuilder::retry`].
//!
//! A call refused with `AuthFailure.SignatureExpire` because this
//! machine's clock is wrong is retried once with the service's time, taken
//! from the answer; the client remembers the difference
//! ([`Client::clock_offset`]). [`ClientBuilder::rate_limit`] makes a busy
//! program wait for its turn instead of being throttled; it is off by
//! default.
//!
//! # Proxies and TLS
//!
//! The proxy comes from [`ClientBuilder::proxy`] or, by default, from
//! `https_proxy`, `all_proxy` and their uppercase forms, with `NO_PROXY`
//! honoured for the endpoint's host; [`ClientBuilder::proxy_from_env`]
//! turns the environment off. HTTP `CONNECT` proxies and SOCKS4/5 proxies
//! work; a password in the proxy URL never appears in logs or errors.
//! The credential providers that call STS choose their own proxy by the
//! same rules when they are built (see
//! [`AssumeRoleCredentialsBuilder::proxy`][assume-proxy] and
//! [`DefaultChainBuilder::sts_proxy`][chain-proxy]); the CVM metadata
//! service is always reached directly. A private gateway's CA is trusted
//! with [`ClientBuilder::root_certificates_pem`], and by the STS
//! providers, which need it given separately behind a TLS-inspecting
//! proxy, with
//! [`AssumeRoleCredentialsBuilder::root_certificates_pem`][assume-roots]
//! and [`DefaultChainBuilder::sts_root_certificates_pem`][chain-roots];
//! [`ClientBuilder::danger_accept_invalid_certs`] is for local tests only
//! and says so in a warning each time a client is built.
//!
//! [assume-proxy]: credentials::AssumeRoleCredentialsBuilder::proxy
//! [chain-proxy]: credentials::DefaultChainBuilder::sts_proxy
//! [assume-roots]: credentials::AssumeRoleCredentialsBuilder::root_certificates_pem
//! [chain-roots]: credentials::DefaultChainBuilder::sts_root_certificates_pem
//!
//! # Logging
//!
//! Through the [`log`](https://docs.rs/log) crate. `debug` shows one line
//! per call: the action, the function, the endpoint's host, the status, the
//! time taken and the request id. `trace` adds the canonical request, the
//! request headers with every value outside an allow-list redacted, and the
//! sizes of the bodies. Each retry is logged at `debug` with its reason and
//! attempt number, as is a clock correction and the proxy chosen. `warn`
//! appears only when certificate verification is turned off. No level ever
//! shows the secret key, the session token, the `Authorization` header, or
//! a proxy's password.
//!
//! One caution about a dependency: at `trace`, `ureq-proto` (the HTTP layer
//! under `ureq`) hex-dumps every byte sent and received under the log
//! target `ureq_proto`, and those bytes include the `Authorization` and
//! `X-TC-Token` headers. Keep that target at `debug` or below, for example
//! `RUST_LOG=trace,ureq_proto=debug` with `env_logger`. (`ureq`'s own
//! `debug` lines redact header values and are safe.)
//!
//! # Minimum supported Rust version
//!
//! Rust 1.88, the newest minimum among the dependencies (`sha2` 0.11 and
//! `time`). Raising it is a minor-version change.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

mod body;
mod client;
mod clock;
pub mod credentials;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod endpoint;
mod error;
mod proxy;
mod rate_limit;
mod request;
pub mod response;
mod retry;
pub mod signer;
mod tls;
mod transport;

pub use client::{Client, ClientBuilder, Language, API_VERSION};
pub use credentials::{Credentials, EnvironmentCredentials, ProvideCredentials};
pub use error::{Error, ErrorKind, TransportKind};
pub use request::{InvocationType, InvokeFunctionRequest, InvokeRequest, LogType, PayloadLimits};
pub use response::InvokeOutput;
pub use retry::RetryPolicy;

/// Invokes `function_name` synchronously with `event`, in the region named
/// by `TENCENTCLOUD_REGION` and with credentials from the environment.
///
/// This builds a new [`Client`] for each call; keep a client instead when
/// making more than one.
///
/// # Errors
///
/// As [`Client::from_env`] and [`Client::invoke`].
pub fn invoke<T: serde::Serialize + ?Sized>(
    function_name: &str,
    event: &T,
) -> Result<InvokeOutput, Error> {
    Client::from_env()?.invoke(&InvokeRequest::new(function_name).event(event))
}
