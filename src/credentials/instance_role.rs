//! Credentials of the CAM role bound to a CVM instance, from the instance's
//! metadata service.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::answer;
use super::cache::{chain_text, CachedCredentials};
use super::chain::Presence;
use super::http::HttpClient;
use super::settings::{FetchSettings, ProxySettings, Refresh};
use super::{Clock, Credentials, ProvideCredentials};
use crate::endpoint::{Endpoint, GivenUrl, PlainHttp};
use crate::Error;

/// Where the metadata service lists the instance's role.
pub(crate) const DEFAULT_ENDPOINT: &str =
    "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/";

/// Off a CVM instance nothing answers, so these are short: the default chain
/// must move on quickly. The service answers on-instance in milliseconds.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Temporary credentials of the CAM role bound to the CVM instance this
/// runs on, from the instance metadata service, cached and refreshed ahead
/// of expiry (see [`CachedCredentials`]).
///
/// Each refresh asks the metadata service for the role's name
/// (`GET …/cam/security-credentials/`, plain text), then for its credentials
/// (`GET …/cam/security-credentials/<role>`, JSON with `TmpSecretId`,
/// `TmpSecretKey`, `Token`, `ExpiredTime` and `Code: "Success"`).
///
/// The metadata service is always asked directly, never through a proxy,
/// even when `http_proxy` or `all_proxy` is set: it is a link-local service
/// that answers each instance on its own network. A proxy elsewhere cannot
/// reach it, and a proxy on another CVM instance would fetch that
/// instance's credentials, not this one's. There is no setting to change
/// that, and `NO_PROXY` need not name it.
///
/// # Example
///
/// ```no_run
/// use std::sync::Arc;
/// use scf_invoke::credentials::{InstanceRoleCredentials, ProvideCredentials};
///
/// let provider: Arc<dyn ProvideCredentials> = Arc::new(InstanceRoleCredentials::new());
/// let credentials = provider.provide_credentials()?;
/// # Ok::<(), scf_invoke::Error>(())
/// ```
pub struct InstanceRoleCredentials {
    metadata: Arc<Metadata>,
    cache: CachedCredentials,
}

/// Builds an [`InstanceRoleCredentials`].
#[derive(Debug)]
pub struct InstanceRoleCredentialsBuilder {
    settings: FetchSettings,
}

/// The metadata service, asked afresh on each refresh.
#[derive(Debug)]
struct Metadata {
    endpoint: Endpoint,
    http: HttpClient,
}

impl InstanceRoleCredentials {
    /// A provider asking the metadata service at its usual address, with
    /// the default settings.
    pub fn new() -> InstanceRoleCredentials {
        InstanceRoleCredentials::builder()
            .build()
            .expect("BUG: the default metadata endpoint is a valid URL")
    }

    /// Starts building a provider.
    pub fn builder() -> InstanceRoleCredentialsBuilder {
        InstanceRoleCredentialsBuilder {
            settings: FetchSettings::new(
                DEFAULT_ENDPOINT,
                // Never through a proxy: see the type's documentation.
                ProxySettings::direct(),
                DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_TIMEOUT,
            ),
        }
    }

    /// Whether a metadata service here names a role, for the default
    /// chain: absent when nothing answers, or the answer is not a role name
    /// (off a CVM instance, or on one without a role).
    pub(crate) fn probe(&self) -> Presence<String> {
        match self.metadata.role_name() {
            Ok(Presence::Found(role)) => Presence::Found(role),
            Ok(Presence::Absent(reason)) => Presence::Absent(reason),
            Err(error) => Presence::Absent(format!(
                "no role from the metadata service at {}: {}",
                self.metadata.endpoint.url,
                chain_text(&error)
            )),
        }
    }
}

impl Default for InstanceRoleCredentials {
    fn default() -> InstanceRoleCredentials {
        InstanceRoleCredentials::new()
    }
}

impl ProvideCredentials for InstanceRoleCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        self.cache.provide_credentials()
    }
}

impl fmt::Debug for InstanceRoleCredentials {
    // The cache shows the metadata settings as its inner provider.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstanceRoleCredentials")
            .field("cache", &self.cache)
            .finish()
    }
}

impl InstanceRoleCredentialsBuilder {
    /// The URL that lists the instance's role; the role's credentials are
    /// at this URL followed by the role's name. Plain `http` is allowed, as
    /// the metadata service speaks nothing else. Default:
    /// `http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/`.
    pub fn endpoint(mut self, url: impl Into<String>) -> InstanceRoleCredentialsBuilder {
        self.settings.endpoint = GivenUrl::new(url);
        self
    }

    /// How long to wait for a connection to the metadata service.
    /// Default: 1 second.
    pub fn connect_timeout(mut self, timeout: Duration) -> InstanceRoleCredentialsBuilder {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How long one request to the metadata service may take in all,
    /// connecting included. Default: 2 seconds.
    pub fn timeout(mut self, timeout: Duration) -> InstanceRoleCredentialsBuilder {
        self.settings.timeout = timeout;
        self
    }

    /// How long before expiry to refresh the credentials. Default: 5
    /// minutes (see [`CachedCredentials`]).
    pub fn refresh_margin(mut self, margin: Duration) -> InstanceRoleCredentialsBuilder {
        self.settings.refresh.margin = margin;
        self
    }

    /// The clock that decides when the credentials are due for a refresh.
    /// Default: [`SystemTime::now`].
    pub fn clock(
        mut self,
        now: impl Fn() -> SystemTime + Send + Sync + 'static,
    ) -> InstanceRoleCredentialsBuilder {
        self.settings.refresh.clock = Clock::new(now);
        self
    }

    /// The default chain's refresh margin and clock.
    pub(crate) fn shared_refresh(mut self, refresh: Refresh) -> InstanceRoleCredentialsBuilder {
        self.settings.refresh = refresh;
        self
    }

    /// Builds the provider. Nothing is requested until the first call.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// for `endpoint` when it is not an `http` or `https` URL with a host,
    /// or has a user name, query or fragment.
    pub fn build(self) -> Result<InstanceRoleCredentials, Error> {
        let mut url = self.settings.endpoint.as_str().to_owned();
        if !url.ends_with('/') {
            url.push('/');
        }
        let endpoint = Endpoint::parse_with_path(&url, PlainHttp::Allowed)?;
        let metadata = Arc::new(Metadata {
            http: self.settings.http_client(&endpoint)?,
            endpoint,
        });
        let cache = self
            .settings
            .refresh
            .cache("the cvm instance role", Arc::clone(&metadata));
        Ok(InstanceRoleCredentials { metadata, cache })
    }
}

impl Metadata {
    /// The role bound to the instance; absent when the service answers 404,
    /// as it does on an instance without a role.
    fn role_name(&self) -> Result<Presence<String>, Error> {
        let url = &self.endpoint.url;
        let reply = self.http.get(url)?;
        if reply.status == 404 {
            return Ok(Presence::Absent(format!(
                "the metadata service at {url} answered 404: no CAM role is bound to this instance"
            )));
        }
        if reply.status != 200 {
            return Err(Error::http_status(reply.status, &reply.body));
        }

        // The answer lists one role per line; an instance has at most one.
        let text = String::from_utf8_lossy(&reply.body);
        let role = text.lines().map(str::trim).find(|line| !line.is_empty());
        match role {
            Some(role) if is_role_name(role) => Ok(Presence::Found(role.to_owned())),
            _ => Err(Error::invalid_response(
                format!("the metadata service at {url} did not answer with a role name"),
                &reply.body,
            )),
        }
    }

    fn credentials_for(&self, role: &str) -> Result<Credentials, Error> {
        let url = format!("{}{role}", self.endpoint.url);
        let reply = self.http.get(&url)?;
        if reply.status != 200 {
            return Err(Error::http_status(reply.status, &reply.body));
        }

        let what = format!("the metadata credentials of role {role}");
        let value = answer::parse_json(&what, &reply)?;
        match answer::optional_string(&value, &["Code"]) {
            Some(code) if code == "Success" => {}
            Some(code) => {
                return Err(Error::service(
                    code,
                    format!("the metadata service gave no credentials for role {role}"),
                    None,
                ))
            }
            None => {
                return Err(Error::invalid_response(
                    format!("in {what}, Code is missing or not a string"),
                    b"",
                ))
            }
        }
        let id = answer::string_field(&what, &value, &["TmpSecretId"])?;
        let key = answer::string_field(&what, &value, &["TmpSecretKey"])?;
        let token = answer::string_field(&what, &value, &["Token"])?;
        let expiry = answer::unix_time_field(&what, &value, &["ExpiredTime"])?;
        Ok(Credentials::new(id, key)
            .with_token(token)
            .with_expiry(expiry))
    }
}

impl ProvideCredentials for Metadata {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        // The role is looked up on every refresh, since it can be changed
        // while the instance runs.
        match self.role_name()? {
            Presence::Found(role) => self.credentials_for(&role),
            Presence::Absent(reason) => Err(Error::credentials(reason)),
        }
    }
}

/// A CAM role name: 1 to 128 characters of `[\w+=,.@-]`. Checked before the
/// name goes into a URL, and to tell a real answer from a captive portal's.
fn is_role_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::EnvLookup;

    #[test]
    fn role_names_are_checked_before_going_into_a_url() {
        assert!(is_role_name("scf-role_1"));
        for bad in ["", "../admin", "a b", "<html>", "a?b"] {
            assert!(!is_role_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_endpoint_gets_a_trailing_slash() {
        let provider = InstanceRoleCredentials::builder()
            .endpoint("http://127.0.0.1:1/latest/meta-data/cam/security-credentials")
            .build()
            .unwrap();
        assert!(provider
            .metadata
            .endpoint
            .url
            .ends_with("security-credentials/"));
    }

    #[test]
    fn the_metadata_service_is_asked_directly_whatever_the_environment_says() {
        let mut builder = InstanceRoleCredentials::builder();
        // As if the process's environment named a proxy for everything; the
        // default endpoint is not loopback, so only the rule keeps it out.
        builder.settings.proxy.env = EnvLookup::new(|name| {
            name.to_ascii_lowercase()
                .ends_with("_proxy")
                .then(|| "http://egress.internal:3128".to_owned())
        });
        let provider = builder.build().unwrap();
        assert!(provider.metadata.http.agent_proxy().is_none());
    }

    #[test]
    fn a_bad_endpoint_is_refused_when_building() {
        let e = InstanceRoleCredentials::builder()
            .endpoint("metadata.tencentyun.com")
            .build()
            .unwrap_err();
        assert_eq!(e.field(), Some("endpoint"));
    }
}
