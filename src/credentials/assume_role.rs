//! Temporary credentials of a CAM role, from STS `AssumeRole`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::cache::CachedCredentials;
use super::http::HttpClient;
use super::settings::FetchSettings;
use super::sts;
use super::{Clock, Credentials, ProvideCredentials};
use crate::endpoint::{Endpoint, GivenUrl};
use crate::Error;

/// The region sent with `AssumeRole` unless another is set. STS is a global
/// service; the region only routes the call.
const DEFAULT_REGION: &str = "ap-guangzhou";

/// Temporary credentials of a CAM role, from STS `AssumeRole`, cached and
/// refreshed ahead of expiry (see [`CachedCredentials`]).
///
/// The call to STS is signed with the credentials of another provider, the
/// *source*: typically long-term keys from the environment or a profile
/// file, whose owner the role trusts.
///
/// STS is reached through the proxy the environment names, as a client's
/// endpoint is, unless [`AssumeRoleCredentialsBuilder::proxy`] or
/// [`AssumeRoleCredentialsBuilder::proxy_from_env`] say otherwise. Its
/// certificate is verified against the bundled roots, or those given with
/// [`AssumeRoleCredentialsBuilder::root_certificates_pem`].
///
/// # Example
///
/// ```no_run
/// use scf_invoke::credentials::{AssumeRoleCredentials, ProfileCredentials, ProvideCredentials};
///
/// let provider = AssumeRoleCredentials::builder(
///     ProfileCredentials::new(),
///     "qcs::cam::uin/100000000001:roleName/scf-invoker",
///     "nightly-batch",
/// )
/// .duration_seconds(3600)
/// .build()?;
/// let credentials = provider.provide_credentials()?;
/// # Ok::<(), scf_invoke::Error>(())
/// ```
pub struct AssumeRoleCredentials {
    cache: CachedCredentials,
}

/// Builds an [`AssumeRoleCredentials`].
#[derive(Debug)]
pub struct AssumeRoleCredentialsBuilder {
    source: Arc<dyn ProvideCredentials>,
    role_arn: String,
    session_name: String,
    duration_seconds: u64,
    region: String,
    settings: FetchSettings,
}

/// One `AssumeRole` call per refresh.
#[derive(Debug)]
struct AssumeRole {
    source: Arc<dyn ProvideCredentials>,
    role_arn: String,
    session_name: String,
    duration_seconds: u64,
    region: String,
    endpoint: Endpoint,
    http: HttpClient,
    clock: Clock,
}

/// The request body, in the field names of the API.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AssumeRoleBody<'a> {
    role_arn: &'a str,
    role_session_name: &'a str,
    duration_seconds: u64,
}

impl AssumeRoleCredentials {
    /// Starts building a provider that assumes `role_arn` (such as
    /// `qcs::cam::uin/100000000001:roleName/scf-invoker`) with credentials
    /// from `source`, naming the session `session_name` (2 to 128 of
    /// `[\w+=,.@-]`; it shows in CloudAudit).
    pub fn builder(
        source: impl ProvideCredentials + 'static,
        role_arn: impl Into<String>,
        session_name: impl Into<String>,
    ) -> AssumeRoleCredentialsBuilder {
        AssumeRoleCredentialsBuilder {
            source: Arc::new(source),
            role_arn: role_arn.into(),
            session_name: session_name.into(),
            duration_seconds: sts::DEFAULT_DURATION_SECONDS,
            region: DEFAULT_REGION.to_owned(),
            settings: sts::settings(),
        }
    }
}

impl ProvideCredentials for AssumeRoleCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for AssumeRoleCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleCredentials")
            .field("cache", &self.cache)
            .finish()
    }
}

impl AssumeRoleCredentialsBuilder {
    /// `DurationSeconds`: how long the credentials last, from 1 to 43200
    /// seconds (the documented maximum). Default: 7200.
    pub fn duration_seconds(mut self, seconds: u64) -> AssumeRoleCredentialsBuilder {
        self.duration_seconds = seconds;
        self
    }

    /// The region the call is sent with. Default: `ap-guangzhou`.
    pub fn region(mut self, region: impl Into<String>) -> AssumeRoleCredentialsBuilder {
        self.region = region.into();
        self
    }

    /// The STS endpoint, `https://` with no path; plain `http://` is
    /// accepted only for a loopback host, for tests. Default:
    /// `https://sts.tencentcloudapi.com/`.
    pub fn endpoint(mut self, url: impl Into<String>) -> AssumeRoleCredentialsBuilder {
        self.settings.endpoint = GivenUrl::new(url);
        self
    }

    /// Sends the calls to STS through this proxy: `http://host:port` (an
    /// HTTP proxy that opens a tunnel with `CONNECT`), `https://…` (the
    /// same, reached over TLS), or `socks5://`, `socks5h://` (the proxy
    /// resolves the name), `socks4://`, `socks4a://`. A user name and
    /// password may be given as `http://user:password@host:port`,
    /// percent-encoded; they never appear in `Debug` output, logs or errors.
    /// Default: none, or the environment's (see
    /// [`AssumeRoleCredentialsBuilder::proxy_from_env`]).
    ///
    /// An explicit proxy is used for every endpoint; `NO_PROXY` does not
    /// apply to it.
    pub fn proxy(mut self, url: impl Into<String>) -> AssumeRoleCredentialsBuilder {
        self.settings.proxy.explicit = Some(GivenUrl::new(url));
        self
    }

    /// Whether, when no proxy is set with
    /// [`AssumeRoleCredentialsBuilder::proxy`], the proxy is taken from the
    /// process environment when the provider is built. Default: true, as
    /// for a [`Client`](crate::Client).
    ///
    /// The variables and rules are the client's (see
    /// [`ClientBuilder::proxy_from_env`](crate::ClientBuilder::proxy_from_env)):
    /// for an `https://` endpoint, `https_proxy`, `HTTPS_PROXY`, `all_proxy`
    /// and `ALL_PROXY`, in that order, unless `NO_PROXY` names the
    /// endpoint's host. An endpoint on loopback never goes through the
    /// environment's proxy.
    pub fn proxy_from_env(mut self, read: bool) -> AssumeRoleCredentialsBuilder {
        self.settings.proxy.from_env = read;
        self
    }

    /// Trusts the CA certificates in `pem` (one or more `-----BEGIN
    /// CERTIFICATE-----` blocks) **instead of** the bundled Mozilla roots
    /// for the calls to STS, as
    /// [`ClientBuilder::root_certificates_pem`](crate::ClientBuilder::root_certificates_pem)
    /// does for a client: for a TLS-inspecting proxy or a private STS
    /// gateway whose CA is the one that matters. Default: the bundled
    /// roots. Needs the `rustls` or `native-tls` feature.
    ///
    /// To trust both, pass the bundle together with your CA: `ureq` offers
    /// no way to add roots to its bundled set.
    pub fn root_certificates_pem(
        mut self,
        pem: impl Into<Vec<u8>>,
    ) -> AssumeRoleCredentialsBuilder {
        self.settings.tls.root_certificates_pem = Some(pem.into());
        self
    }

    /// How long to wait for a connection to STS. Default: 5 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> AssumeRoleCredentialsBuilder {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How long one call to STS may take in all, connecting included.
    /// Default: 15 seconds.
    pub fn timeout(mut self, timeout: Duration) -> AssumeRoleCredentialsBuilder {
        self.settings.timeout = timeout;
        self
    }

    /// How long before expiry to refresh the credentials. Default: 5
    /// minutes (see [`CachedCredentials`]).
    pub fn refresh_margin(mut self, margin: Duration) -> AssumeRoleCredentialsBuilder {
        self.settings.refresh.margin = margin;
        self
    }

    /// The clock that dates the signed request and decides when the
    /// credentials are due for a refresh. Default: [`SystemTime::now`].
    pub fn clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> AssumeRoleCredentialsBuilder {
        self.settings.refresh.clock = Clock::new(now);
        self
    }

    /// Checks the settings, chooses the proxy, sets up TLS, and builds the
    /// provider. Nothing is requested until the first call.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// naming the field: `RoleArn` not of the form `qcs::cam::…`;
    /// `RoleSessionName` not 2 to 128 characters of `[\w+=,.@-]`;
    /// `DurationSeconds` outside 1..=43200; `Region` not a region name;
    /// `endpoint` not an `https` URL without a path (or `http` to a
    /// loopback host); `proxy` when the proxy, set or from the environment,
    /// is not a usable URL; `root_certificates_pem` when it holds no
    /// certificate or holds a private key, or when the build has no TLS.
    pub fn build(self) -> Result<AssumeRoleCredentials, Error> {
        sts::check_role_arn(&self.role_arn)?;
        sts::check_session_name(&self.session_name)?;
        sts::check_duration(self.duration_seconds)?;
        sts::check_region(&self.region)?;
        let endpoint = sts::endpoint(self.settings.endpoint.as_str())?;
        let http = self.settings.http_client(&endpoint)?;

        let assume_role = AssumeRole {
            source: self.source,
            role_arn: self.role_arn,
            session_name: self.session_name,
            duration_seconds: self.duration_seconds,
            region: self.region,
            endpoint,
            http,
            clock: self.settings.refresh.clock.clone(),
        };
        let cache = self.settings.refresh.cache("sts AssumeRole", assume_role);
        Ok(AssumeRoleCredentials { cache })
    }
}

impl ProvideCredentials for AssumeRole {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        // The source is asked on every refresh: it may itself hand out
        // temporary credentials that have changed since.
        let source = self.source.provide_credentials()?;
        let body = serde_json::to_vec(&AssumeRoleBody {
            role_arn: &self.role_arn,
            role_session_name: &self.session_name,
            duration_seconds: self.duration_seconds,
        })
        .expect("BUG: a struct of strings and a number always serializes");
        sts::send(
            &self.http,
            &self.endpoint,
            &sts::Call {
                action: "AssumeRole",
                region: &self.region,
                timestamp: self.clock.unix_seconds(),
                body: &body,
                authorization: sts::Authorization::Signed(&source),
            },
        )
    }
}
