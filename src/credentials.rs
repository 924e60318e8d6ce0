//! Credentials, and the providers a client asks for them.
//!
//! A [`Client`](crate::Client) holds a [`ProvideCredentials`] and asks it
//! for [`Credentials`] before signing each request. That indirection lets a
//! provider hand out temporary credentials and refresh them as they expire
//! without the client knowing.
//!
//! Secrets are kept out of sight: the `Debug` output of [`Credentials`] and
//! of every provider shows at most the first characters of the `SecretId`
//! and never the `SecretKey` or the session token.

use std::fmt;
use std::time::SystemTime;

use crate::Error;

/// The environment variables the Tencent Cloud CLI and SDKs read.
const CLI_VARIABLES: EnvNames = EnvNames {
    secret_id: "TENCENTCLOUD_SECRET_ID",
    secret_key: "TENCENTCLOUD_SECRET_KEY",
    token: "TENCENTCLOUD_TOKEN",
};

/// The environment variables the SCF runtime sets inside a function that
/// has an execution role.
const RUNTIME_VARIABLES: EnvNames = EnvNames {
    secret_id: "TENCENTCLOUD_SECRETID",
    secret_key: "TENCENTCLOUD_SECRETKEY",
    token: "TENCENTCLOUD_SESSIONTOKEN",
};

struct EnvNames {
    secret_id: &'static str,
    secret_key: &'static str,
    token: &'static str,
}

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

/// Reads credentials from the environment on every call.
///
/// First `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY` and the optional
/// `TENCENTCLOUD_TOKEN` (the names of the Tencent Cloud CLI and SDKs); then
/// `TENCENTCLOUD_SECRETID`, `TENCENTCLOUD_SECRETKEY` and
/// `TENCENTCLOUD_SESSIONTOKEN` (the names the SCF runtime sets inside a
/// function). An id and a key are only taken together from the same set of
/// names, so a half-set pair cannot mix with the other.
#[derive(Clone, Copy, Debug, Default)]
pub struct EnvironmentCredentials {
    _private: (),
}

impl EnvironmentCredentials {
    /// A provider reading the process environment.
    pub fn new() -> EnvironmentCredentials {
        EnvironmentCredentials { _private: () }
    }

    /// Reads credentials through `lookup`, which maps a variable's name to
    /// its value; the process environment is `|name| std::env::var(name).ok()`.
    ///
    /// # Errors
    ///
    /// As [`ProvideCredentials::provide_credentials`].
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, Error> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        for names in [&CLI_VARIABLES, &RUNTIME_VARIABLES] {
            let id = non_empty(names.secret_id);
            let key = non_empty(names.secret_key);
            match (id, key) {
                (Some(id), Some(key)) => {
                    let mut credentials = Credentials::new(id.trim(), key.trim());
                    if let Some(token) = non_empty(names.token) {
                        credentials = credentials.with_token(token.trim());
                    }
                    return Ok(credentials);
                }
                (Some(_), None) => {
                    return Err(Error::credentials(format!(
                        "{} is set but {} is not",
                        names.secret_id, names.secret_key
                    )));
                }
                (None, Some(_)) => {
                    return Err(Error::credentials(format!(
                        "{} is set but {} is not",
                        names.secret_key, names.secret_id
                    )));
                }
                (None, None) => {}
            }
        }
        Err(Error::credentials(format!(
            "no credentials in the environment: set {} and {} (or {} and {})",
            CLI_VARIABLES.secret_id,
            CLI_VARIABLES.secret_key,
            RUNTIME_VARIABLES.secret_id,
            RUNTIME_VARIABLES.secret_key
        )))
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        EnvironmentCredentials::from_lookup(|name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn cli_names_come_before_runtime_names() {
        let creds = EnvironmentCredentials::from_lookup(lookup(&[
            ("TENCENTCLOUD_SECRET_ID", "AKIDcli"),
            ("TENCENTCLOUD_SECRET_KEY", "cli-key"),
            ("TENCENTCLOUD_SECRETID", "AKIDruntime"),
            ("TENCENTCLOUD_SECRETKEY", "runtime-key"),
            ("TENCENTCLOUD_SESSIONTOKEN", "runtime-token"),
        ]))
        .unwrap();
        assert_eq!(creds.secret_id(), "AKIDcli");
        assert_eq!(creds.token(), None);
    }

    #[test]
    fn runtime_names_carry_the_session_token() {
        let creds = EnvironmentCredentials::from_lookup(lookup(&[
            ("TENCENTCLOUD_SECRETID", "AKIDruntime"),
            ("TENCENTCLOUD_SECRETKEY", "runtime-key"),
            ("TENCENTCLOUD_SESSIONTOKEN", "runtime-token"),
        ]))
        .unwrap();
        assert_eq!(creds.secret_key(), "runtime-key");
        assert_eq!(creds.token(), Some("runtime-token"));
    }

    #[test]
    fn a_half_set_pair_is_an_error_naming_the_missing_variable() {
        let e = EnvironmentCredentials::from_lookup(lookup(&[("TENCENTCLOUD_SECRET_ID", "AKIDx")]))
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Credentials);
        assert!(
            e.to_string().contains("TENCENTCLOUD_SECRET_KEY is not"),
            "{e}"
        );
    }

    #[test]
    fn nothing_set_names_both_sets_of_variables() {
        let e = EnvironmentCredentials::from_lookup(lookup(&[])).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("TENCENTCLOUD_SECRET_ID") && text.contains("TENCENTCLOUD_SECRETID"));
    }

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
}
