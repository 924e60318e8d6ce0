//! The small HTTP layer the credential providers share: one `ureq` agent
//! with explicit timeouts and the proxy its provider chose, and errors that
//! name the URL asked. Endpoints are checked by [`crate::endpoint`], proxies
//! chosen by [`crate::proxy`], and `ureq`'s errors sorted by
//! [`crate::transport`], as the client's are.

use std::fmt;
use std::time::Duration;

use crate::proxy::ChosenProxy;
use crate::tls::{self, TlsOptions};
use crate::transport;
use crate::Error;

/// The largest response body a credentials endpoint may send. Real answers
/// are well under 2 KiB; anything near this limit is not a credentials
/// answer, and reading it whole would only cost memory.
pub(crate) const BODY_LIMIT: u64 = 64 * 1024;

const USER_AGENT: &str = concat!("scf-invoke/", env!("CARGO_PKG_VERSION"));

/// A `ureq` agent set up for talking to credentials endpoints.
#[derive(Clone)]
pub(crate) struct HttpClient {
    agent: ureq::Agent,
    connect_timeout: Duration,
    timeout: Duration,
    /// Kept to show in `Debug`, where its password is hidden.
    proxy: Option<ChosenProxy>,
    /// Whether `proxy` is a SOCKS proxy, which changes what some of
    /// `ureq`'s errors mean (see [`transport::map_error`]).
    through_socks: bool,
}

/// What came back: the status and the body, read whole (up to
/// [`BODY_LIMIT`]).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl HttpClient {
    /// An agent that goes through `proxy`, or directly when it is `None`,
    /// and verifies certificates as `tls` says.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// for `proxy` when `ureq` cannot parse its URL, or for a TLS option
    /// [`tls::apply`] refuses.
    pub(crate) fn new(
        connect_timeout: Duration,
        timeout: Duration,
        proxy: Option<ChosenProxy>,
        tls: &TlsOptions,
    ) -> Result<HttpClient, Error> {
        let ureq_proxy = proxy.as_ref().map(ChosenProxy::to_ureq).transpose()?;
        let through_socks = ureq_proxy.as_ref().is_some_and(transport::is_socks);

        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(timeout))
            // Error answers carry the reason in their body, so read them
            // like any other answer instead of turning them into errors.
            .http_status_as_error(false)
            // A credentials endpoint has no reason to redirect; following
            // one would send the request somewhere nobody configured.
            .max_redirects(0)
            // The provider's builder chose the proxy, reading the
            // environment as the client does. `None` is a direct connection,
            // and also keeps ureq from reading the proxy variables itself.
            .proxy(ureq_proxy)
            .user_agent(USER_AGENT);
        // The build's TLS backend, set even with the default options: ureq
        // picks rustls unless told otherwise at run time, and panics on an
        // https:// URL when rustls is not compiled in.
        let config = tls::apply(config, tls)?;
        let agent = ureq::Agent::new_with_config(config.build());
        Ok(HttpClient {
            agent,
            connect_timeout,
            timeout,
            proxy,
            through_socks,
        })
    }

    /// The proxy the agent was configured with, as `ureq` holds it, so that
    /// tests can see what reached the agent rather than what was asked.
    #[cfg(test)]
    pub(crate) fn agent_proxy(&self) -> Option<&ureq::Proxy> {
        self.agent.config().proxy()
    }

    pub(crate) fn get(&self, url: &str) -> Result<Reply, Error> {
        log::trace!("GET {url}");
        let response = self.agent.get(url).call();
        read_reply(response, url, self.through_socks)
    }

    /// Sends `body` with `headers`; `headers` may hold the session token,
    /// so they are never logged.
    pub(crate) fn post(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, Error> {
        log::trace!("POST {url} ({} bytes)", body.len());
        let mut request = self.agent.post(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send(body);
        read_reply(response, url, self.through_socks)
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .finish()
    }
}

fn read_reply(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
    through_socks: bool,
) -> Result<Reply, Error> {
    // The providers' URLs carry no query string and no secret, so the
    // message may name them. The proxy's URL may hold a password, so it
    // is not named here; ureq's messages about a proxy give its answer,
    // not its URL.
    let map = |error| {
        transport::map_error(error, through_socks).with_context(&format!("request to {url}"))
    };
    let mut response = response.map_err(map)?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(map)?;
    Ok(Reply { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, PlainHttp};
    use crate::proxy;

    fn through(url: &str) -> HttpClient {
        let endpoint =
            Endpoint::parse_with_path("http://127.0.0.1:9/", PlainHttp::Allowed).unwrap();
        let chosen = proxy::choose(Some(url), false, &endpoint, |_| None).unwrap();
        let second = Duration::from_secs(1);
        HttpClient::new(second, second, chosen, &TlsOptions::default()).unwrap()
    }

    #[test]
    fn a_socks_proxy_is_noted_for_sorting_errors() {
        assert!(through("socks5://127.0.0.1:1080").through_socks);
        assert!(through("socks4a://127.0.0.1:1080").through_socks);
        assert!(!through("http://127.0.0.1:3128").through_socks);
    }

    #[test]
    fn debug_names_the_proxy_without_its_password() {
        let text = format!("{:?}", through("http://user:pa55@127.0.0.1:3128"));
        assert!(text.contains("***@127.0.0.1:3128"), "{text}");
        assert!(!text.contains("pa55"), "{text}");
    }
}
