//! Credentials, and the providers a client asks for them.
//!
//! A [`Client`](crate::Client) holds a [`ProvideCredentials`] and asks it for
//! [`Credentials`] before signing each request. That indirection lets a
//! provider hand out temporary credentials and refresh them as they expire
//! without the client knowing.
//!
//! # Providers
//!
//! | provider | where the credentials come from |
//! |---|---|
//! | [`Credentials`] | fixed: they provide themselves |
//! | [`EnvironmentCredentials`] | `TENCENTCLOUD_SECRET_ID` and friends |
//! | [`ProfileCredentials`] | `~/.tencentcloud/credentials`, an INI file |
//! | [`InstanceRoleCredentials`] | the role of the CVM instance, from its metadata service |
//! | [`AssumeRoleCredentials`] | STS `AssumeRole`, signed with other credentials |
//! | [`WebIdentityCredentials`] | STS `AssumeRoleWithWebIdentity`, as TKE pods use it |
//! | [`DefaultChain`] | the first of environment, profile file, CVM role and TKE that is set up |
//!
//! The three providers of temporary credentials keep them in a
//! [`CachedCredentials`]: every clone and thread of a client shares one copy,
//! refreshed by one caller at a time a few minutes before it expires.
//! [`CachedCredentials`] can wrap a provider of your own in the same way.
//!
//! # Secrets
//!
//! The `Debug` output of [`Credentials`] and of every provider shows at most
//! the first characters of the `SecretId` and never the `SecretKey`, the
//! session token, a web identity token or a proxy's password. Errors and
//! log records carry none of them either.
//!
//! # Proxies
//!
//! [`AssumeRoleCredentials`] and [`WebIdentityCredentials`] reach STS
//! through the proxy set on their builders or, by default, the one the
//! environment names, chosen as a [`Client`](crate::Client) chooses its
//! own; the [`DefaultChain`]'s TKE link reads the chain's environment.
//! [`InstanceRoleCredentials`] always asks the metadata service directly.
//!
//! # Logging
//!
//! Through the `log` crate: `debug` says which provider supplied credentials,
//! when temporary credentials are refreshed (with the masked `SecretId` at
//! most), and which proxy STS is reached through (its password hidden);
//! `warn` reports a failed refresh while the current credentials
//! are still served; `trace` names each request sent to the metadata service
//! or STS.
//!
//! Keep the `ureq` and `ureq_proto` targets below `trace` wherever secrets
//! matter: at `trace`, ureq dumps the bytes on the wire unredacted (as its
//! documentation says), and those bytes include the session tokens sent and
//! the credentials that the metadata service and STS answer with.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::Error;

mod answer;
mod assume_role;
mod cache;
mod chain;
mod environment;
mod http;
mod instance_role;
mod profile;
mod settings;
mod sts;
mod web_identity;

pub use assume_role::{AssumeRoleCredentials, AssumeRoleCredentialsBuilder};
pub use cache::{CachedCredentials, CachedCredentialsBuilder};
pub use chain::{DefaultChain, DefaultChainBuilder};
pub use environment::EnvironmentCredentials;
pub use instance_role::{InstanceRoleCredentials, InstanceRoleCredentialsBuilder};
pub use profile::{ProfileCredentials, ProfileCredentialsBuilder};
pub use web_identity::{WebIdentityCredentials, WebIdentityCredentialsBuilder};

/// A `SecretId` and `SecretKey`, with the session token that temporary
/// credentials carry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    secret_id: String,
    secret_key: String,
    token: Option<String>,
    expiry: Option<SystemTime>,
}

impl Credentials {
    /// Long-term credentials: a `SecretId` and its `SecretKey`.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Credentials {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expiry: None,
        }
    }

    /// Adds the session token of temporary credentials, sent as
    /// `X-TC-Token`.
    pub fn with_token(mut self, token: impl Into<String>) -> Credentials {
        self.token = Some(token.into());
        self
    }

    /// Records when temporary credentials expire, so a caching provider
    /// knows when to refresh them. Default: never.
    pub fn with_expiry(mut self, expiry: SystemTime) -> Credentials {
        self.expiry = Some(expiry);
        self
    }

    /// Reads credentials from the environment, as [`EnvironmentCredentials`]
    /// does.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Credentials`](crate::ErrorKind::Credentials) error
    /// naming the variables looked for, when neither pair is set.
    pub fn from_env() -> Result<Credentials, Error> {
        EnvironmentCredentials::new().provide_credentials()
    }

    /// The `SecretId`.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The `SecretKey`. Handle with care: never log it.
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The session token, for temporary credentials.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// When these credentials expire, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &MaskedId(&self.secret_id))
            .field("secret_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Shows the first four characters of a `SecretId`: enough to tell two
/// keys apart in a log, too little to be of use to anyone else.
pub(crate) struct MaskedId<'a>(pub(crate) &'a str);

impl fmt::Debug for MaskedId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for MaskedId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(4).collect();
        write!(f, "{shown}****")
    }
}

/// Something a client can ask for credentials before each request.
///
/// Implementations must be cheap when credentials are at hand (the client
/// calls this once per request) and must not put secrets in their `Debug`
/// output or in the errors they return.
pub trait ProvideCredentials: fmt::Debug + Send + Sync {
    /// Returns the credentials to sign the next request with.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::Credentials`](crate::ErrorKind::Credentials) error
    /// when no credentials can be had, saying where the provider looked.
    fn provide_credentials(&self) -> Result<Credentials, Error>;
}

/// Fixed credentials provide themselves.
impl ProvideCredentials for Credentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        Ok(self.clone())
    }
}

/// A shared provider provides what it points to, so one provider (and its
/// cache) can serve several clients, or be the source of an
/// [`AssumeRoleCredentials`].
impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Arc<P> {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        (**self).provide_credentials()
    }
}

/// A boxed provider provides what it holds.
impl<P: ProvideCredentials + ?Sized> ProvideCredentials for Box<P> {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        (**self).provide_credentials()
    }
}

/// The time source of the caching providers, replaceable in tests so that
/// expiry can be exercised without sleeping.
#[derive(Clone)]
pub(crate) struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    pub(crate) fn new(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(now))
    }

    pub(crate) fn now(&self) -> SystemTime {
        (self.0)()
    }

    /// Whole seconds since the Unix epoch; 0 for a clock set before it,
    /// which the signer then refuses with a clear error.
    pub(crate) fn unix_seconds(&self) -> u64 {
        self.now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new(SystemTime::now)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// How the providers read environment variables: the process environment,
/// or a function that tests (and embedders) supply instead.
#[derive(Clone)]
pub(crate) struct EnvLookup(Arc<LookupFn>);

type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl EnvLookup {
    pub(crate) fn new(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvLookup(Arc::new(lookup))
    }

    /// The value of `name`, or `None` when it is unset, empty or blank.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|value| !value.trim().is_empty())
    }
}

impl Default for EnvLookup {
    fn default() -> EnvLookup {
        EnvLookup::new(|name| std::env::var(name).ok())
    }
}

impl fmt::Debug for EnvLookup {
    // The values may be secrets, so only the fact of a lookup is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvLookup")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let creds = Credentials::new("AKIDabcdefgh", "very-secret-key").with_token("tok-secret");
        let text = format!("{creds:?}");
        assert!(
            !text.contains("very-secret-key") && !text.contains("tok-secret"),
            "{text}"
        );
        assert!(!text.contains("AKIDabcdefgh"), "{text}");
        assert!(text.contains("AKID****"), "{text}");
    }

    #[test]
    fn blank_environment_values_count_as_unset() {
        let env = EnvLookup::new(|name| (name == "SET").then(|| "  ".to_owned()));
        assert_eq!(env.var("SET"), None);
        assert_eq!(env.var("UNSET"), None);
    }
}
