//! Credentials from environment variables.

use super::chain::Presence;
use super::{Credentials, ProvideCredentials};
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
        match lookup_credentials(lookup)? {
            Presence::Found(credentials) => Ok(credentials),
            Presence::Absent(reason) => Err(Error::credentials(reason)),
        }
    }
}

impl ProvideCredentials for EnvironmentCredentials {
    fn provide_credentials(&self) -> Result<Credentials, Error> {
        EnvironmentCredentials::from_lookup(|name| std::env::var(name).ok())
    }
}

/// The credentials in the environment; absent when neither pair of names
/// is set at all, an error when only half of a pair is.
pub(crate) fn lookup_credentials(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Presence<Credentials>, Error> {
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
                return Ok(Presence::Found(credentials));
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
    Ok(Presence::Absent(format!(
        "no credentials in the environment: set {} and {} (or {} and {})",
        CLI_VARIABLES.secret_id,
        CLI_VARIABLES.secret_key,
        RUNTIME_VARIABLES.secret_id,
        RUNTIME_VARIABLES.secret_key
    )))
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
    fn nothing_set_is_absent_but_half_a_pair_is_a_failure() {
        assert!(matches!(
            lookup_credentials(lookup(&[])),
            Ok(Presence::Absent(_))
        ));
        assert!(lookup_credentials(lookup(&[("TENCENTCLOUD_SECRETKEY", "k")])).is_err());
    }
}
