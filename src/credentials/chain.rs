//! The default chain: the providers the official SDKs try, in their order.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use super::cache::{chain_text, EarlierFailure};
use super::environment;
use super::instance_role::InstanceRoleCredentialsBuilder;
use super::settings::Refresh;
use super::{
    Clock, Credentials, EnvLookup, InstanceRoleCredentials, MaskedId, ProfileCredentials,
    ProvideCredentials, WebIdentityCredentials,
};
use crate::endpoint::GivenUrl;
use crate::proxy;
use crate::tls::{self, TlsOptions};
use crate::Error;

/// What a link of the chain found: credentials (or what leads to them), or
/// the reason it is not set up here. A link that is set up but fails
/// returns an error instead.
pub(crate) enum Presence<T> {
    Found(T),
    Absent(String),
}

/// The links, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Environment,
    ProfileFile,
    InstanceRole,
    WebIdentity,
}

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Environment => "environment",
            Link::ProfileFile => "profile file",
            Link::InstanceRole => "cvm instance role",
            Link::WebIdentity => "tke oidc",
        }
    }
}

/// The providers the official Tencent Cloud SDKs try, in their order; the
/// first one that is set up here supplies the credentials.
///
/// 1. The environment: [`EnvironmentCredentials`](super::EnvironmentCredentials)'s
///    variables.
/// 2. A profile file: [`ProfileCredentials`], which honours
///    `TENCENTCLOUD_CREDENTIALS_FILE` and `TENCENTCLOUD_PROFILE`.
/// 3. The CVM instance's role: [`InstanceRoleCredentials`]. The link counts
///    as set up when the metadata service names a role; off a CVM instance
///    nothing answers, and the short timeouts (1 second to connect, 2 in
///    all) let the chain move on quickly.
/// 4. TKE's OIDC identity: [`WebIdentityCredentials`], when `TKE_REGION`,
///    `TKE_PROVIDER_ID`, `TKE_WEB_IDENTITY_TOKEN_FILE` and `TKE_ROLE_ARN`
///    are set. Its calls to STS go through [`DefaultChainBuilder::sts_proxy`]
///    when set, otherwise through the proxy the chain's environment names
///    (`https_proxy` and the rest, as a client reads them), and trust the
///    roots given with [`DefaultChainBuilder::sts_root_certificates_pem`]
///    when set, otherwise the bundled ones.
///
/// The metadata service of link 3 is always asked directly, never through
/// a proxy (see [`InstanceRoleCredentials`]).
///
/// A link that is set up but fails (half of a pair of variables, a
/// malformed or unreadable profile file, a metadata service that names a
/// role but gives no credentials, an STS error) ends the search with its
/// error: a broken configuration is never skipped in favour of the next
/// link. When no link is set up, the error lists each link and why it did
/// not apply.
///
/// # The chain remembers
///
/// Once a link has supplied credentials, the chain asks only that link from
/// then on: long-term credentials from the environment or a profile file
/// are kept as found (so the file is read once, not once per request), and
/// the temporary credentials of the CVM role or TKE are cached and refreshed
/// by that link. Build a new chain to pick up a changed environment or
/// file. A search that found nothing is not remembered: the next call
/// searches again. One caller searches at a time; callers that waited for
/// it get its result, so a crowd of first calls probes the metadata service
/// once, not once each.
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use scf_invoke::credentials::{DefaultChain, ProvideCredentials};
///
/// let provider: Arc<dyn ProvideCredentials> = Arc::new(DefaultChain::new());
/// let credentials = provider.provide_credentials()?;
/// # Ok::<(), scf_invoke::Error>(())
/// ```
pub struct DefaultChain {
    env: EnvLookup,
    profile: ProfileCredentials,
    instance_role: Arc<InstanceRoleCredentials>,
    instance_role_enabled: bool,
    sts_endpoint: Option<GivenUrl>,
    sts_proxy: Option<GivenUrl>,
    sts_proxy_from_env: bool,
    sts_tls: TlsOptions,
    refresh: Refresh,
    chosen: OnceLock<Chosen>,
    /// Held while searching; holds what the last failed search said.
    searching: Mutex<Option<String>>,
    /// Counts failed searches, so a caller that waited on one can tell.
    failed_searches: AtomicU64,
}

/// The link that supplied credentials, and what to ask from now on.
struct Chosen {
    link: Link,
    provider: Arc<dyn ProvideCredentials>,
}

/// Builds a [`DefaultChain`]; every setting has a default, and tests use
/// the setters to keep the chain away from the machine's own environment,
/// files and network.
#[derive(Debug)]
pub struct DefaultChainBuilder {
    env: EnvLookup,
    profile: Option<String>,
    home_dir: Option<PathBuf>,
    system_file: Option<PathBuf>,
    instance_role: InstanceRoleCredentialsBuilder,
    instance_role_enabled: bool,
    sts_endpoint: Option<GivenUrl>,
    sts_proxy: Option<GivenUrl>,
    sts_proxy_from_env: bool,
    /// Only its roots are ever set; its `Debug` gives their size.
    sts_tls: TlsOptions,
    refresh: Refresh,
}

impl DefaultChain {
    /// The chain with the default settings.
    pub fn new() -> DefaultChain {
        DefaultChain::builder()
            .build()
            .expect("BUG: the default endpoints are valid URLs")
    }

    /// Starts building a chain.
    pub fn builder() -> DefaultChainBuilder {
        DefaultChainBuilder {
            env: EnvLookup::default(),
            profile: None,
            home_dir: None,
            system_file: None,
            instance_role: InstanceRoleCredentials::builder(),
            instance_role_enabled: true,
            sts_endpoint: None,
            sts_proxy: None,
            sts_proxy_from_env: true,
            sts_tls: TlsOptions::default(),
            refresh: Refresh::default(),
        }
    }

    /// Tries each link in turn; see the type's documentation.
    fn search(&self) -> Result<(Chosen, Credentials), Error> {
        let mut absent: Vec<String> = Vec::new();
        let mut skip = |link: Link, reason: String| {
            log::debug!(
                "credentials chain: {} is not set up here: {reason}",
                link.name()
            );
            absent.push(format!("{}: {reason}", link.name()));
        };

        // 1. The environment.
        match environment::lookup_credentials(|name| self.env.var(name))? {
            Presence::Found(credentials) => return Ok(fixed(Link::Environment, credentials)),
            Presence::Absent(reason) => skip(Link::Environment, reason),
        }

        // 2. A profile file.
        match self.profile.lookup()? {
            Presence::Found(credentials) => return Ok(fixed(Link::ProfileFile, credentials)),
            Presence::Absent(reason) => skip(Link::ProfileFile, reason),
        }

        // 3. The CVM instance's role: the probe only asks for the role's
        // name, then the provider fetches (and caches) its credentials.
        // Off a CVM the probe costs up to the metadata connect timeout, so
        // it can be switched off.
        let disabled = self.env.var(METADATA_DISABLED).is_some_and(|v| is_true(&v));
        let probe = if !self.instance_role_enabled {
            Presence::Absent("switched off when the chain was built".to_owned())
        } else if disabled {
            Presence::Absent(format!("switched off by {METADATA_DISABLED}"))
        } else {
            self.instance_role.probe()
        };
        match probe {
            Presence::Found(role) => {
                log::debug!("credentials chain: the metadata service names role {role}");
                let credentials = self.instance_role.provide_credentials()?;
                let provider: Arc<dyn ProvideCredentials> = self.instance_role.clone();
                return Ok(chosen(Link::InstanceRole, provider, credentials));
            }
            Presence::Absent(reason) => skip(Link::InstanceRole, reason),
        }

        // 4. TKE's OIDC identity. The builder reads the proxy variables
        // from the chain's environment, as it reads the TKE_* ones.
        match WebIdentityCredentials::builder_from_env(&self.env)? {
            Presence::Found(builder) => {
                let mut builder = builder
                    .shared_refresh(self.refresh.clone())
                    .proxy_from_env(self.sts_proxy_from_env);
                if let Some(endpoint) = &self.sts_endpoint {
                    builder = builder.endpoint(endpoint.as_str());
                }
                if let Some(proxy) = &self.sts_proxy {
                    builder = builder.proxy(proxy.as_str());
                }
                if let Some(pem) = &self.sts_tls.root_certificates_pem {
                    builder = builder.root_certificates_pem(pem.clone());
                }
                let provider = builder.build().map_err(|e| {
                    // The explicit proxy and the roots were checked when the
                    // chain was built, so a bad proxy here came from the
                    // environment.
                    let what = if e.field() == Some("proxy") {
                        "the proxy the environment names for STS is not usable"
                    } else {
                        "the TKE_* variables do not make a valid STS request"
                    };
                    Error::credentials(what).with_source(e)
                })?;
                let provider = Arc::new(provider);
                let credentials = provider.provide_credentials()?;
                return Ok(chosen(Link::WebIdentity, provider, credentials));
            }
            Presence::Absent(reason) => skip(Link::WebIdentity, reason),
        }

        Err(Error::credentials(format!(
            "no credentials found; tried {}",
            absent.join("; ")
        )))
    }
}

/// The environment variable that switches off the CVM metadata probe.
const METADATA_DISABLED: &str = "SCF_INVOKE_METADATA_DISABLED";

fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

fn fixed(link: Link, credentials: Credentials) -> (Chosen, Credentials) {
    chosen(link, Arc::new(credentials.clone()), credentials)
}

fn chosen(
    link: Link,
    provider: Arc<dyn ProvideCredentials>,
    credentials: Credentials,
) -> (Chosen, Credentials) {
    (Chosen { link, provider }, credentials)
}

impl Default for DefaultChain {
    fn default() -> DefaultChain {
        DefaultChain::new()
    }
}

impl ProvideCredentials for DefaultChain {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        if let Some(chosen) = self.chosen.get() {
            return chosen.provider.provide_credentials();
        }

        // One search at a time: callers arriving meanwhile wait, then take
        // the link it chose, or its failure, instead of probing the metadata
        // service again one after another.
        let failures_seen = self.failed_searches.load(Ordering::SeqCst);
        let mut last_failure = self
            .searching
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(chosen) = self.chosen.get() {
            return chosen.provider.provide_credentials();
        }
        if self.failed_searches.load(Ordering::SeqCst) != failures_seen {
            if let Some(failure) = last_failure.as_ref() {
                return Err(Error::credentials(
                    "the search for credentials that another caller ran just now failed",
                )
                .with_source(EarlierFailure(failure.clone())));
            }
        }
        let (chosen, credentials) = match self.search() {
            Ok(found) => found,
            Err(error) => {
                *last_failure = Some(chain_text(&error));
                self.failed_searches.fetch_add(1, Ordering::SeqCst);
                return Err(error);
            }
        };
        log::debug!(
            "credentials chain: using the {}: {}",
            chosen.link.name(),
            MaskedId(credentials.secret_id())
        );
        // Only this thread sets it, under the search lock.
        let _ = self.chosen.set(chosen);
        Ok(credentials)
    }
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChain")
            .field(
                "chosen",
                &self.chosen.get().map(|chosen| chosen.link.name()),
            )
            .field("profile", &self.profile)
            .field("instance_role", &self.instance_role)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("sts_proxy", &self.sts_proxy)
            .field("sts_proxy_from_env", &self.sts_proxy_from_env)
            .field("sts_tls", &self.sts_tls)
            .finish()
    }
}

impl DefaultChainBuilder {
    /// Reads every environment variable through `lookup` instead of the
    /// process environment: the credentials variables, the profile file's
    /// `TENCENTCLOUD_CREDENTIALS_FILE`, `TENCENTCLOUD_PROFILE` and `HOME`,
    /// TKE's `TKE_*`, and the proxy variables for TKE's calls to STS.
    /// Default: the process environment.
    pub fn env(
        mut self,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> DefaultChainBuilder {
        self.env = EnvLookup::new(lookup);
        self
    }

    /// The profile to read from the profile file. Default:
    /// `TENCENTCLOUD_PROFILE` when set, otherwise `default`.
    pub fn profile(mut self, name: impl Into<String>) -> DefaultChainBuilder {
        self.profile = Some(name.into());
        self
    }

    /// Looks for `.tencentcloud/credentials` under this directory, unless
    /// `TENCENTCLOUD_CREDENTIALS_FILE` names the file. Default: the
    /// directory in `HOME` (`USERPROFILE` on Windows).
    pub fn home_dir(mut self, path: impl Into<PathBuf>) -> DefaultChainBuilder {
        self.home_dir = Some(path.into());
        self
    }

    /// The machine-wide profile file. Default:
    /// `/etc/tencentcloud/credentials` on Unix, none elsewhere.
    pub fn system_file(mut self, path: impl Into<PathBuf>) -> DefaultChainBuilder {
        self.system_file = Some(path.into());
        self
    }

    /// The metadata service's URL listing the instance's role. Default:
    /// `http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/`.
    pub fn metadata_endpoint(mut self, url: impl Into<String>) -> DefaultChainBuilder {
        self.instance_role = self.instance_role.endpoint(url);
        self
    }

    /// Whether to ask the CVM metadata service at all. Default: true,
    /// unless the environment variable `SCF_INVOKE_METADATA_DISABLED` is
    /// `1` or `true`. Off a CVM, switching it off saves the probe's wait.
    pub fn instance_role(mut self, enabled: bool) -> DefaultChainBuilder {
        self.instance_role_enabled = enabled;
        self
    }

    /// How long to wait for a connection to the metadata service.
    /// Default: 1 second.
    pub fn metadata_connect_timeout(mut self, timeout: Duration) -> DefaultChainBuilder {
        self.instance_role = self.instance_role.connect_timeout(timeout);
        self
    }

    /// How long one request to the metadata service may take in all.
    /// Default: 2 seconds.
    pub fn metadata_timeout(mut self, timeout: Duration) -> DefaultChainBuilder {
        self.instance_role = self.instance_role.timeout(timeout);
        self
    }

    /// The STS endpoint for TKE's `AssumeRoleWithWebIdentity`. Default:
    /// `https://sts.tencentcloudapi.com/`.
    pub fn sts_endpoint(mut self, url: impl Into<String>) -> DefaultChainBuilder {
        self.sts_endpoint = Some(GivenUrl::new(url));
        self
    }

    /// The proxy for TKE's calls to STS, in the forms
    /// [`WebIdentityCredentialsBuilder::proxy`](super::WebIdentityCredentialsBuilder::proxy)
    /// takes; a password in it never appears in `Debug` output, logs or
    /// errors. It is used for every STS endpoint, and never for the
    /// metadata service. Default: none, or the environment's (see
    /// [`DefaultChainBuilder::sts_proxy_from_env`]).
    pub fn sts_proxy(mut self, url: impl Into<String>) -> DefaultChainBuilder {
        self.sts_proxy = Some(GivenUrl::new(url));
        self
    }

    /// Whether, when no proxy is set with [`DefaultChainBuilder::sts_proxy`],
    /// TKE's calls to STS go through the proxy the chain's environment names
    /// (see [`DefaultChainBuilder::env`]), read by the rules of
    /// [`ClientBuilder::proxy_from_env`](crate::ClientBuilder::proxy_from_env).
    /// Default: true.
    pub fn sts_proxy_from_env(mut self, read: bool) -> DefaultChainBuilder {
        self.sts_proxy_from_env = read;
        self
    }

    /// Trusts the CA certificates in `pem` instead of the bundled roots for
    /// TKE's calls to STS, as the web identity provider's
    /// [`root_certificates_pem`](super::WebIdentityCredentialsBuilder::root_certificates_pem)
    /// does: for a TLS-inspecting proxy or a private STS gateway. The
    /// metadata service is plain HTTP and unaffected. Default: the bundled
    /// roots. Needs the `rustls` or `native-tls` feature.
    pub fn sts_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> DefaultChainBuilder {
        self.sts_tls.root_certificates_pem = Some(pem.into());
        self
    }

    /// How long before expiry to refresh temporary credentials. Default: 5
    /// minutes (see [`CachedCredentials`](super::CachedCredentials)).
    pub fn refresh_margin(mut self, margin: Duration) -> DefaultChainBuilder {
        self.refresh.margin = margin;
        self
    }

    /// The clock for temporary credentials. Default: [`SystemTime::now`].
    pub fn clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> DefaultChainBuilder {
        self.refresh.clock = Clock::new(now);
        self
    }

    /// Builds the chain. Nothing is read or requested until the first call,
    /// so the environment's proxy for STS is chosen only when the TKE link
    /// is tried.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// for `endpoint` when the metadata or STS endpoint is not a valid URL
    /// (see [`InstanceRoleCredentialsBuilder::build`] and
    /// [`WebIdentityCredentialsBuilder::build`](super::WebIdentityCredentialsBuilder::build)),
    /// or for `proxy` when the STS proxy is not a usable URL; for
    /// `root_certificates_pem` when the STS roots hold no certificate or
    /// hold a private key, or when the build has no TLS.
    pub fn build(self) -> Result<DefaultChain, Error> {
        if let Some(url) = &self.sts_endpoint {
            super::sts::endpoint(url.as_str())?;
        }
        if let Some(url) = &self.sts_proxy {
            proxy::check_explicit(url.as_str())?;
        }
        // Checked now, though used only if the TKE link is tried, so that
        // a wrong file fails where it is given, not on some later call.
        tls::check(&self.sts_tls)?;
        let mut profile = ProfileCredentials::builder().shared_env(self.env.clone());
        if let Some(name) = self.profile {
            profile = profile.profile(name);
        }
        if let Some(home) = self.home_dir {
            profile = profile.home_dir(home);
        }
        if let Some(file) = self.system_file {
            profile = profile.system_file(file);
        }
        let instance_role = self
            .instance_role
            .shared_refresh(self.refresh.clone())
            .build()?;
        Ok(DefaultChain {
            env: self.env,
            profile: profile.build(),
            instance_role: Arc::new(instance_role),
            instance_role_enabled: self.instance_role_enabled,
            sts_endpoint: self.sts_endpoint,
            sts_proxy: self.sts_proxy,
            sts_proxy_from_env: self.sts_proxy_from_env,
            sts_tls: self.sts_tls,
            refresh: self.refresh,
            chosen: OnceLock::new(),
            searching: Mutex::new(None),
            failed_searches: AtomicU64::new(0),
        })
    }
}
