//! The client: signs and sends `Invoke` and `InvokeFunction` requests.
//!
//! This is the only part of the crate that reads the clock and talks to the
//! network. It validates a request, asks its credentials provider for
//! credentials, signs with [`crate::signer`], posts with `ureq`, and reads
//! the answer with [`crate::response`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::credentials::{DefaultChain, ProvideCredentials};
use crate::endpoint::{self, Endpoint};
use crate::request::{InvokeFunctionRequest, InvokeRequest, PayloadLimits};
use crate::response::{self, InvokeOutput};
use crate::signer::{self, Payload, SigningParams};
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
    pub(crate) call: Duration,
    pub(crate) idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            // A synchronous invocation may run for 300 s on the server; the
            // margin covers queueing, a cold start and the response.
            call: Duration::from_secs(330),
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
///     .timeout(Duration::from_secs(60))
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
}

#[derive(Debug)]
enum EndpointChoice {
    Url(String),
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
        self.endpoint = Some(EndpointChoice::Url(url.into()));
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

    /// How long establishing a connection may take, DNS and TLS included.
    /// Default: 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.connect = timeout;
        self
    }

    /// How long a whole call may take, from connecting to the last byte of
    /// the answer. Default: 330 seconds, since the service lets a
    /// synchronous invocation run for up to 300 seconds.
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeouts.call = timeout;
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

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// when the region or credentials are missing, the region or the
    /// request-client tag is malformed, a timeout is zero, or the endpoint is
    /// not a valid URL, is plain `http://` to a host that is not loopback
    /// without [`ClientBuilder::allow_insecure_http`], or is `https://` in a
    /// build with no TLS feature.
    pub fn build(self) -> Result<Client, Error> {
        let region = self.region.ok_or_else(|| {
            Error::invalid_input("region", "is required (for example \"ap-guangzhou\")")
        })?;
        check_region(&region)?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::invalid_input("credentials", "are required: set credentials or a provider")
        })?;
        let endpoint_url = match self.endpoint {
            Some(EndpointChoice::Url(url)) => url,
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
            ("connect_timeout", self.timeouts.connect),
            ("timeout", self.timeouts.call),
        ] {
            if value.is_zero() {
                return Err(Error::invalid_input(field, "must be greater than zero"));
            }
        }

        let agent = transport::agent(&self.timeouts);
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
                timeouts: self.timeouts,
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
    timeouts: Timeouts,
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
            .field("timeouts", &inner.timeouts)
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
        self.send("Invoke", request.function_name(), mode, &request.to_body())
    }

    /// Sends the `InvokeFunction` action, which always runs synchronously.
    ///
    /// # Errors
    ///
    /// As for [`Client::invoke`].
    pub fn invoke_function(&self, request: &InvokeFunctionRequest) -> Result<InvokeOutput, Error> {
        request.validate(&self.inner.limits)?;
        let mode = InvocationType::RequestResponse;
        self.send(
            "InvokeFunction",
            request.function_name(),
            mode,
            &request.to_body(),
        )
    }

    /// The URL this client posts to.
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint.url
    }

    /// The region sent as `X-TC-Region`.
    pub fn region(&self) -> &str {
        &self.inner.region
    }

    fn send(
        &self,
        action: &str,
        function: &str,
        mode: InvocationType,
        body: &[u8],
    ) -> Result<InvokeOutput, Error> {
        let inner = &*self.inner;
        let credentials = inner.credentials.provide_credentials()?;

        // The one place the crate reads the clock. A clock before 1970 is
        // sent as 0 rather than refused; the service will answer with
        // AuthFailure.SignatureExpire, which says what is wrong.
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));

        let signed = signer::sign(&SigningParams {
            secret_id: credentials.secret_id(),
            secret_key: credentials.secret_key(),
            service: SERVICE,
            host: &inner.endpoint.host,
            method: "POST",
            query: "",
            content_type: "application/json",
            headers: &[],
            payload: Payload::Bytes(body),
            timestamp,
        })?;
        log::trace!("canonical request:\n{}", signed.canonical_request());

        let timestamp = timestamp.to_string();
        let mut headers: Vec<(&str, &str)> = vec![
            ("Host", &inner.endpoint.host),
            ("Content-Type", "application/json"),
            ("X-TC-Action", action),
            ("X-TC-Version", API_VERSION),
            ("X-TC-Timestamp", &timestamp),
            ("X-TC-Region", &inner.region),
            ("X-TC-RequestClient", &inner.request_client),
        ];
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
        let (status, response_body) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                log::debug!(
                    "{action} {function} at {} ({}) failed after {elapsed:?}: {e}",
                    inner.endpoint.host,
                    mode.as_str()
                );
                return Err(e);
            }
        };
        log::trace!("response: status {status}, {} bytes", response_body.len());

        if status != 200 {
            log::debug!(
                "{action} {function} at {}: http status {status} after {elapsed:?}",
                inner.endpoint.host
            );
            return Err(Error::http_status(status, &response_body));
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
        result
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
    fn zero_timeouts_and_bad_tags_are_refused() {
        let e = builder().timeout(Duration::ZERO).build().unwrap_err();
        assert_eq!(e.field(), Some("timeout"));
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
