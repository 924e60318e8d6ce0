//! The settings the providers of temporary credentials share, so that each
//! builder holds them in one field and builds from them the same way.
//!
//! The public setters stay on each builder, where their documentation can
//! say what the endpoint is and what each default is for that provider.

use std::time::Duration;

use super::cache::{CachedCredentials, DEFAULT_REFRESH_MARGIN};
use super::http::HttpClient;
use super::{Clock, EnvLookup, ProvideCredentials};
use crate::endpoint::{Endpoint, GivenUrl};
use crate::proxy;
use crate::tls::TlsOptions;
use crate::Error;

/// When temporary credentials are refreshed: how long before they expire,
/// by which clock. The default chain hands its own to the providers it
/// builds.
#[derive(Clone, Debug)]
pub(crate) struct Refresh {
    pub(crate) margin: Duration,
    pub(crate) clock: Clock,
}

impl Default for Refresh {
    fn default() -> Refresh {
        Refresh {
            margin: DEFAULT_REFRESH_MARGIN,
            clock: Clock::default(),
        }
    }
}

impl Refresh {
    /// Puts `provider` behind a cache refreshed by these settings; `name`
    /// says in logs and errors which provider it is.
    pub(crate) fn cache(
        self,
        name: &'static str,
        provider: impl ProvideCredentials + 'static,
    ) -> CachedCredentials {
        CachedCredentials::builder(provider)
            .name(name)
            .refresh_margin(self.margin)
            .shared_clock(self.clock)
            .build()
    }
}

/// Whether a provider's requests may go through a proxy, and which: the
/// same choice a client makes (see [`crate::proxy::choose`]), made when the
/// provider is built.
#[derive(Clone, Debug)]
pub(crate) struct ProxySettings {
    /// Set with the builder's `proxy`; its `Debug` hides a password.
    pub(crate) explicit: Option<GivenUrl>,
    /// Whether the environment may name a proxy when none is set.
    pub(crate) from_env: bool,
    /// Where the environment is read: the process's, or the default
    /// chain's, which tests replace.
    pub(crate) env: EnvLookup,
}

impl ProxySettings {
    /// Never a proxy, whatever the environment says.
    pub(crate) fn direct() -> ProxySettings {
        ProxySettings {
            explicit: None,
            from_env: false,
            env: EnvLookup::default(),
        }
    }

    /// The proxy the process environment names, as a client's default is.
    pub(crate) fn from_environment() -> ProxySettings {
        ProxySettings {
            from_env: true,
            ..ProxySettings::direct()
        }
    }
}

/// Where a provider asks for temporary credentials over HTTP, through
/// which proxy, which certificates it trusts there, how long it waits for
/// an answer, and when it asks again.
#[derive(Debug)]
pub(crate) struct FetchSettings {
    /// As given; each provider checks it with its own rules when built.
    pub(crate) endpoint: GivenUrl,
    pub(crate) proxy: ProxySettings,
    /// Checked when the HTTP client is made; its `Debug` gives the PEM's
    /// size, not its text.
    pub(crate) tls: TlsOptions,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) refresh: Refresh,
}

impl FetchSettings {
    /// The provider's own endpoint, proxy rule and timeouts, with the
    /// default TLS options and refresh.
    pub(crate) fn new(
        endpoint: &str,
        proxy: ProxySettings,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Self {
        FetchSettings {
            endpoint: GivenUrl::new(endpoint),
            proxy,
            tls: TlsOptions::default(),
            connect_timeout,
            timeout,
            refresh: Refresh::default(),
        }
    }

    /// The HTTP client the provider asks `endpoint` (its endpoint, once
    /// checked) with, going through the proxy chosen for it now and
    /// trusting the roots the TLS options name.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// for `proxy` when the proxy set or named by the environment is not a
    /// usable URL (the message never shows its password), or for
    /// `root_certificates_pem` as [`crate::tls::apply`] refuses it.
    pub(crate) fn http_client(&self, endpoint: &Endpoint) -> Result<HttpClient, Error> {
        let proxy = proxy::choose(
            self.proxy.explicit.as_ref().map(GivenUrl::as_str),
            self.proxy.from_env,
            endpoint,
            |name| self.proxy.env.var(name),
        )?;
        if let Some(chosen) = &proxy {
            log::debug!(
                "credentials requests to {} go through the proxy {} (from {})",
                endpoint.host,
                chosen.redacted(),
                chosen.source()
            );
        }
        HttpClient::new(self.connect_timeout, self.timeout, proxy, &self.tls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::PlainHttp;

    const STS: &str = "https://sts.tencentcloudapi.com/";

    fn settings(proxy: ProxySettings) -> FetchSettings {
        FetchSettings::new(STS, proxy, Duration::from_secs(1), Duration::from_secs(1))
    }

    /// An environment of the given pairs, never the process's.
    fn env(vars: &[(&'static str, &'static str)]) -> EnvLookup {
        let vars = vars.to_vec();
        EnvLookup::new(move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    /// The host and port of the proxy the agent was built with, if any.
    fn agent_proxy(proxy: ProxySettings, url: &str) -> Option<String> {
        let endpoint = Endpoint::parse_with_path(url, PlainHttp::Allowed).unwrap();
        let http = settings(proxy).http_client(&endpoint).unwrap();
        http.agent_proxy()
            .map(|proxy| format!("{}:{}", proxy.host(), proxy.port()))
    }

    #[test]
    fn the_injected_environment_names_the_proxy_for_an_endpoint_elsewhere() {
        let proxy = ProxySettings {
            env: env(&[("https_proxy", "http://egress.internal:3128")]),
            ..ProxySettings::from_environment()
        };
        assert_eq!(
            agent_proxy(proxy, STS).as_deref(),
            Some("egress.internal:3128")
        );
    }

    #[test]
    fn no_proxy_and_a_loopback_endpoint_keep_the_environment_s_proxy_out() {
        let with = |vars| ProxySettings {
            env: env(vars),
            ..ProxySettings::from_environment()
        };
        let named = [
            ("https_proxy", "http://egress.internal:3128"),
            ("http_proxy", "http://egress.internal:3128"),
        ];
        let bypassed = [
            ("https_proxy", "http://egress.internal:3128"),
            ("NO_PROXY", ".tencentcloudapi.com"),
        ];
        assert_eq!(agent_proxy(with(&bypassed), STS), None);
        assert_eq!(agent_proxy(with(&named), "http://127.0.0.1:8080/"), None);
        let off = ProxySettings {
            from_env: false,
            ..with(&named)
        };
        assert_eq!(agent_proxy(off, STS), None);
    }

    #[test]
    fn an_explicit_proxy_is_used_even_for_loopback() {
        let proxy = ProxySettings {
            explicit: Some(GivenUrl::new("http://user:pa55@127.0.0.1:3128")),
            ..ProxySettings::from_environment()
        };
        assert_eq!(
            agent_proxy(proxy, "http://127.0.0.1:8080/").as_deref(),
            Some("127.0.0.1:3128")
        );
    }

    #[test]
    fn direct_settings_ignore_every_proxy_variable() {
        let proxy = ProxySettings {
            env: env(&[
                ("https_proxy", "http://egress.internal:3128"),
                ("http_proxy", "http://egress.internal:3128"),
                ("all_proxy", "http://egress.internal:3128"),
                ("ALL_PROXY", "http://egress.internal:3128"),
            ]),
            ..ProxySettings::direct()
        };
        assert_eq!(agent_proxy(proxy.clone(), STS), None);
        assert_eq!(agent_proxy(proxy, "http://metadata.tencentyun.com/"), None);
    }

    #[test]
    fn a_bad_proxy_is_refused_with_its_field_and_without_its_password() {
        let endpoint = Endpoint::parse_with_path(STS, PlainHttp::LoopbackOnly).unwrap();
        for bad in ["ftp://user:pa55@proxy:21", "http://user:pa55@[proxy:3128"] {
            let proxy = ProxySettings {
                explicit: Some(GivenUrl::new(bad)),
                ..ProxySettings::direct()
            };
            let e = settings(proxy).http_client(&endpoint).unwrap_err();
            assert_eq!(e.field(), Some("proxy"), "{bad}");
            assert!(!format!("{e} {e:?}").contains("pa55"), "{e:?}");
        }
    }
}
