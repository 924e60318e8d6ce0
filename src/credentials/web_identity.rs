//! Temporary credentials for an OIDC identity, from STS
//! `AssumeRoleWithWebIdentity`, as TKE pods get them.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use super::cache::CachedCredentials;
use super::chain::Presence;
use super::http::HttpClient;
use super::settings::{FetchSettings, Refresh};
use super::sts;
use super::{Clock, Credentials, EnvLookup, ProvideCredentials};
use crate::endpoint::{Endpoint, GivenUrl};
use crate::Error;

/// The variables TKE sets in a pod whose service account is bound to a
/// CAM role through OIDC.
const REGION_VARIABLE: &str = "TKE_REGION";
const PROVIDER_ID_VARIABLE: &str = "TKE_PROVIDER_ID";
const TOKEN_FILE_VARIABLE: &str = "TKE_WEB_IDENTITY_TOKEN_FILE";
const ROLE_ARN_VARIABLE: &str = "TKE_ROLE_ARN";

/// The largest token file read. OIDC tokens are a few KiB.
const TOKEN_LIMIT: u64 = 64 * 1024;

/// Temporary credentials for an OIDC identity, from STS
/// `AssumeRoleWithWebIdentity`, cached and refreshed ahead of expiry (see
/// [`CachedCredentials`]).
///
/// The call is not signed with keys: it sends `Authorization: SKIP` and is
/// authorized by the web identity token in its body. The token file is read
/// again on every refresh, since the platform rotates it.
///
/// In a TKE pod set up for it, [`WebIdentityCredentials::from_env`] finds
/// everything in `TKE_REGION`, `TKE_PROVIDER_ID`,
/// `TKE_WEB_IDENTITY_TOKEN_FILE` and `TKE_ROLE_ARN`.
///
/// STS is reached through the proxy the environment names, as a client's
/// endpoint is, unless [`WebIdentityCredentialsBuilder::proxy`] or
/// [`WebIdentityCredentialsBuilder::proxy_from_env`] say otherwise. Its
/// certificate is verified against the bundled roots, or those given with
/// [`WebIdentityCredentialsBuilder::root_certificates_pem`].
///
/// # Example
///
/// ```no_run
/// use scf_invoke::credentials::{ProvideCredentials, WebIdentityCredentials};
///
/// let provider = WebIdentityCredentials::from_env()?;
/// let credentials = provider.provide_credentials()?;
/// # Ok::<(), scf_invoke::Error>(())
/// ```
pub struct WebIdentityCredentials {
    cache: CachedCredentials,
}

/// Builds a [`WebIdentityCredentials`].
#[derive(Debug)]
pub struct WebIdentityCredentialsBuilder {
    role: Role,
    settings: FetchSettings,
}

/// What each `AssumeRoleWithWebIdentity` asks for: collected by the builder,
/// checked by `build`, then kept by the provider.
#[derive(Debug)]
struct Role {
    region: String,
    provider_id: String,
    role_arn: String,
    token_file: PathBuf,
    session_name: Option<String>,
    duration_seconds: u64,
}

/// One `AssumeRoleWithWebIdentity` call per refresh.
#[derive(Debug)]
struct WebIdentity {
    role: Role,
    endpoint: Endpoint,
    http: HttpClient,
    clock: Clock,
}

/// The request body, in the field names of the API. It holds the token, so
/// it has no `Debug` and is never logged.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WebIdentityBody<'a> {
    provider_id: &'a str,
    web_identity_token: &'a str,
    role_arn: &'a str,
    role_session_name: &'a str,
    duration_seconds: u64,
}

impl WebIdentityCredentials {
    /// Starts building a provider: `region` to send the call with (such as
    /// `ap-guangzhou`), the identity provider's `provider_id`, the
    /// `role_arn` to assume, and the file holding the OIDC token.
    pub fn builder(
        region: impl Into<String>,
        provider_id: impl Into<String>,
        role_arn: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> WebIdentityCredentialsBuilder {
        WebIdentityCredentialsBuilder {
            role: Role {
                region: region.into(),
                provider_id: provider_id.into(),
                role_arn: role_arn.into(),
                token_file: token_file.into(),
                session_name: None,
                duration_seconds: sts::DEFAULT_DURATION_SECONDS,
            },
            settings: sts::settings(),
        }
    }

    /// A provider set up from `TKE_REGION`, `TKE_PROVIDER_ID`,
    /// `TKE_WEB_IDENTITY_TOKEN_FILE` and `TKE_ROLE_ARN`, with the default
    /// settings otherwise.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Credentials`](crate::ErrorKind::Credentials) error
    /// naming the variables that are not set, or an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error as
    /// [`WebIdentityCredentialsBuilder::build`] gives.
    pub fn from_env() -> Result<WebIdentityCredentials, Error> {
        match WebIdentityCredentials::builder_from_env(&EnvLookup::default())? {
            Presence::Found(builder) => builder.build(),
            Presence::Absent(reason) => Err(Error::credentials(reason)),
        }
    }

    /// A builder from the TKE variables: absent when none is set, an error
    /// when only some are. The proxy variables are read from `env` too, so
    /// that the default chain's provider sees the chain's environment.
    pub(crate) fn builder_from_env(
        env: &EnvLookup,
    ) -> Result<Presence<WebIdentityCredentialsBuilder>, Error> {
        let names = [
            REGION_VARIABLE,
            PROVIDER_ID_VARIABLE,
            TOKEN_FILE_VARIABLE,
            ROLE_ARN_VARIABLE,
        ];
        let values = names.map(|name| env.var(name));
        let missing: Vec<&str> = names
            .iter()
            .zip(&values)
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| *name)
            .collect();
        if missing.len() == names.len() {
            return Ok(Presence::Absent(format!(
                "{} are not set",
                names.join(", ")
            )));
        }
        if !missing.is_empty() {
            return Err(Error::credentials(format!(
                "TKE web identity is half set up: {} not set",
                missing.join(", ")
            )));
        }
        let [Some(region), Some(provider_id), Some(token_file), Some(role_arn)] = values else {
            unreachable!("BUG: every variable was just checked to be set");
        };
        let mut builder = WebIdentityCredentials::builder(
            region.trim(),
            provider_id.trim(),
            role_arn.trim(),
            token_file.trim(),
        );
        builder.settings.proxy.env = env.clone();
        Ok(Presence::Found(builder))
    }
}

impl ProvideCredentials for WebIdentityCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for WebIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityCredentials")
            .field("cache", &self.cache)
            .finish()
    }
}

impl WebIdentityCredentialsBuilder {
    /// `RoleSessionName`: 2 to 128 of `[\w+=,.@-]`. Default:
    /// `scf-invoke-<Unix seconds>`, new on each refresh.
    pub fn session_name(mut self, name: impl Into<String>) -> WebIdentityCredentialsBuilder {
        self.role.session_name = Some(name.into());
        self
    }

    /// `DurationSeconds`: how long the credentials last, from 1 to 43200
    /// seconds (the documented maximum). Default: 7200.
    pub fn duration_seconds(mut self, seconds: u64) -> WebIdentityCredentialsBuilder {
        self.role.duration_seconds = seconds;
        self
    }

    /// The STS endpoint, `https://` with no path; plain `http://` is
    /// accepted only for a loopback host, for tests. Default:
    /// `https://sts.tencentcloudapi.com/`.
    pub fn endpoint(mut self, url: impl Into<String>) -> WebIdentityCredentialsBuilder {
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
    /// [`WebIdentityCredentialsBuilder::proxy_from_env`]).
    ///
    /// An explicit proxy is used for every endpoint; `NO_PROXY` does not
    /// apply to it.
    pub fn proxy(mut self, url: impl Into<String>) -> WebIdentityCredentialsBuilder {
        self.settings.proxy.explicit = Some(GivenUrl::new(url));
        self
    }

    /// Whether, when no proxy is set with
    /// [`WebIdentityCredentialsBuilder::proxy`], the proxy is taken from the
    /// environment when the provider is built: the process environment, or
    /// for the provider a [`DefaultChain`](super::DefaultChain) builds, the
    /// chain's (see [`DefaultChainBuilder::env`](super::DefaultChainBuilder::env)).
    /// Default: true, as for a [`Client`](crate::Client).
    ///
    /// The variables and rules are the client's (see
    /// [`ClientBuilder::proxy_from_env`](crate::ClientBuilder::proxy_from_env)):
    /// for an `https://` endpoint, `https_proxy`, `HTTPS_PROXY`, `all_proxy`
    /// and `ALL_PROXY`, in that order, unless `NO_PROXY` names the
    /// endpoint's host. An endpoint on loopback never goes through the
    /// environment's proxy.
    pub fn proxy_from_env(mut self, read: bool) -> WebIdentityCredentialsBuilder {
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
    ) -> WebIdentityCredentialsBuilder {
        self.settings.tls.root_certificates_pem = Some(pem.into());
        self
    }

    /// How long to wait for a connection to STS. Default: 5 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> WebIdentityCredentialsBuilder {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How long one call to STS may take in all, connecting included.
    /// Default: 15 seconds.
    pub fn timeout(mut self, timeout: Duration) -> WebIdentityCredentialsBuilder {
        self.settings.timeout = timeout;
        self
    }

    /// How long before expiry to refresh the credentials. Default: 5
    /// minutes (see [`CachedCredentials`]).
    pub fn refresh_margin(mut self, margin: Duration) -> WebIdentityCredentialsBuilder {
        self.settings.refresh.margin = margin;
        self
    }

    /// The clock that dates the request and decides when the credentials
    /// are due for a refresh. Default: [`SystemTime::now`].
    pub fn clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> WebIdentityCredentialsBuilder {
        self.settings.refresh.clock = Clock::new(now);
        self
    }

    /// The default chain's refresh margin and clock.
    pub(crate) fn shared_refresh(mut self, refresh: Refresh) -> WebIdentityCredentialsBuilder {
        self.settings.refresh = refresh;
        self
    }

    /// Checks the settings, chooses the proxy, sets up TLS, and builds the
    /// provider. Nothing is read or requested until the first call.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// naming the field: `Region` not a region name; `ProviderId` empty or
    /// holding control characters; `RoleArn` not of the form `qcs::cam::…`;
    /// `RoleSessionName` (when set) not 2 to 128 characters of
    /// `[\w+=,.@-]`; `DurationSeconds` outside 1..=43200; `token_file`
    /// empty; `endpoint` not an `https` URL without a path (or `http` to a
    /// loopback host); `proxy` when the proxy, set or from the environment,
    /// is not a usable URL; `root_certificates_pem` when it holds no
    /// certificate or holds a private key, or when the build has no TLS.
    pub fn build(self) -> Result<WebIdentityCredentials, Error> {
        sts::check_region(&self.role.region)?;
        if self.role.provider_id.is_empty() || self.role.provider_id.chars().any(char::is_control) {
            return Err(Error::invalid_input(
                "ProviderId",
                "must be a non-empty identity provider name without control characters",
            ));
        }
        sts::check_role_arn(&self.role.role_arn)?;
        if let Some(name) = &self.role.session_name {
            sts::check_session_name(name)?;
        }
        sts::check_duration(self.role.duration_seconds)?;
        if self.role.token_file.as_os_str().is_empty() {
            return Err(Error::invalid_input("token_file", "must not be empty"));
        }
        let endpoint = sts::endpoint(self.settings.endpoint.as_str())?;
        let http = self.settings.http_client(&endpoint)?;

        let web_identity = WebIdentity {
            role: self.role,
            endpoint,
            http,
            clock: self.settings.refresh.clock.clone(),
        };
        let cache = self
            .settings
            .refresh
            .cache("sts AssumeRoleWithWebIdentity", web_identity);
        Ok(WebIdentityCredentials { cache })
    }
}

impl ProvideCredentials for WebIdentity {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        let token = read_token(&self.role.token_file)?;
        let timestamp = self.clock.unix_seconds();
        let session_name = match &self.role.session_name {
            Some(name) => name.clone(),
            None => format!("scf-invoke-{timestamp}"),
        };
        let body = serde_json::to_vec(&WebIdentityBody {
            provider_id: &self.role.provider_id,
            web_identity_token: &token,
            role_arn: &self.role.role_arn,
            role_session_name: &session_name,
            duration_seconds: self.role.duration_seconds,
        })
        .expect("BUG: a struct of strings and a number always serializes");
        sts::send(
            &self.http,
            &self.endpoint,
            &sts::Call {
                action: "AssumeRoleWithWebIdentity",
                region: &self.role.region,
                timestamp,
                body: &body,
                authorization: sts::Authorization::Skip,
            },
        )
    }
}

/// Reads the token file, which the platform rewrites as tokens rotate.
fn read_token(path: &Path) -> Result<String, Error> {
    let shown = path.display();
    let mut text = String::new();
    File::open(path)
        .and_then(|file| file.take(TOKEN_LIMIT + 1).read_to_string(&mut text))
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::credentials(format!(
                "the web identity token file {shown} does not exist"
            )),
            io::ErrorKind::InvalidData => Error::credentials(format!(
                "the web identity token file {shown} is not UTF-8 text"
            )),
            _ => Error::credentials(format!("cannot read the web identity token file {shown}"))
                .with_source(e),
        })?;
    if text.len() as u64 > TOKEN_LIMIT {
        return Err(Error::credentials(format!(
            "the web identity token file {shown} is larger than {TOKEN_LIMIT} bytes"
        )));
    }
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::credentials(format!(
            "the web identity token file {shown} is empty"
        )));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> EnvLookup {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EnvLookup::new(move |name| map.get(name).cloned())
    }

    #[test]
    fn no_tke_variable_is_absent() {
        let found = WebIdentityCredentials::builder_from_env(&env(&[])).unwrap();
        assert!(matches!(found, Presence::Absent(_)));
    }

    #[test]
    fn some_tke_variables_are_an_error_naming_the_missing_ones() {
        let e = WebIdentityCredentials::builder_from_env(&env(&[
            ("TKE_REGION", "ap-guangzhou"),
            ("TKE_ROLE_ARN", "qcs::cam::uin/1:roleName/r"),
        ]))
        .map(|_| ())
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("TKE_PROVIDER_ID, TKE_WEB_IDENTITY_TOKEN_FILE not set"),
            "{text}"
        );
    }

    #[test]
    fn from_the_chain_s_environment_the_proxy_variables_are_read_there_too() {
        let tke = [
            ("TKE_REGION", "ap-guangzhou"),
            ("TKE_PROVIDER_ID", "OIDC"),
            ("TKE_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ("TKE_ROLE_ARN", "qcs::cam::uin/1:roleName/r"),
        ];
        let proxy_for = |vars: &[(&str, &str)]| {
            let Presence::Found(builder) = WebIdentityCredentials::builder_from_env(&env(vars))
                .map_err(|e| e.to_string())
                .unwrap()
            else {
                panic!("the TKE variables are all set");
            };
            let endpoint = sts::endpoint(sts::DEFAULT_ENDPOINT).unwrap();
            let http = builder.settings.http_client(&endpoint).unwrap();
            http.agent_proxy().map(|proxy| proxy.host().to_owned())
        };

        let mut with_proxy = tke.to_vec();
        with_proxy.push(("https_proxy", "http://egress.internal:3128"));
        assert_eq!(proxy_for(&with_proxy).as_deref(), Some("egress.internal"));
        // Whatever the process's own environment holds, an injected one
        // without proxy variables means no proxy.
        assert_eq!(proxy_for(&tke), None);
    }

    #[test]
    fn bad_settings_are_refused_when_building() {
        let builder = || {
            WebIdentityCredentials::builder(
                "ap-guangzhou",
                "OIDC",
                "qcs::cam::uin/1:roleName/r",
                "/var/run/token",
            )
        };
        assert!(builder().build().is_ok());
        let e = builder().session_name("x").build().unwrap_err();
        assert_eq!(e.field(), Some("RoleSessionName"));
        let e = builder().duration_seconds(0).build().unwrap_err();
        assert_eq!(e.field(), Some("DurationSeconds"));
        let e = WebIdentityCredentials::builder("ap-guangzhou", "", "qcs::cam::uin/1:r", "/t")
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("ProviderId"));
    }
}
