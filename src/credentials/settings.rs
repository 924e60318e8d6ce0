//! The settings the providers of temporary credentials share, so that each
//! builder holds them in one field and builds from them the same way.
//!
//! The public setters stay on each builder, where their documentation can
//! say what the endpoint is and what each default is for that provider.

use std::time::Duration;

use super::cache::{CachedCredentials, DEFAULT_REFRESH_MARGIN};
use super::http::HttpClient;
use super::{Clock, ProvideCredentials};
use crate::endpoint::GivenUrl;

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

/// Where a provider asks for temporary credentials over HTTP, how long it
/// waits for an answer, and when it asks again.
#[derive(Debug)]
pub(crate) struct FetchSettings {
    /// As given; each provider checks it with its own rules when built.
    pub(crate) endpoint: GivenUrl,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) refresh: Refresh,
}

impl FetchSettings {
    /// The provider's own endpoint and timeouts, with the default refresh.
    pub(crate) fn new(endpoint: &str, connect_timeout: Duration, timeout: Duration) -> Self {
        FetchSettings {
            endpoint: GivenUrl::new(endpoint),
            connect_timeout,
            timeout,
            refresh: Refresh::default(),
        }
    }

    /// The HTTP client the provider asks its endpoint with.
    pub(crate) fn http_client(&self) -> HttpClient {
        HttpClient::new(self.connect_timeout, self.timeout)
    }
}
