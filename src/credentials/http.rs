//! The small HTTP layer the credential providers share: one `ureq` agent
//! with explicit timeouts, and errors that name the URL asked. Endpoints are
//! checked by [`crate::endpoint`], and `ureq`'s errors sorted by
//! [`crate::transport`], as the client's are.

use std::fmt;
use std::time::Duration;

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
}

/// What came back: the status and the body, read whole (up to
/// [`BODY_LIMIT`]).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl HttpClient {
    pub(crate) fn new(connect_timeout: Duration, timeout: Duration) -> HttpClient {
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(connect_timeout))
            .timeout_global(Some(timeout))
            // Error answers carry the reason in their body, so read them
            // like any other answer instead of turning them into errors.
            .http_status_as_error(false)
            // A credentials endpoint has no reason to redirect; following
            // one would send the request somewhere nobody configured.
            .max_redirects(0)
            // The metadata service must be reached directly, and a proxy
            // picked up from the environment would make the providers (and
            // their tests) depend on the machine they run on.
            .proxy(None)
            .user_agent(USER_AGENT)
            .build()
            .new_agent();
        HttpClient {
            agent,
            connect_timeout,
            timeout,
        }
    }

    pub(crate) fn get(&self, url: &str) -> Result<Reply, Error> {
        log::trace!("GET {url}");
        let response = self.agent.get(url).call();
        read_reply(response, url)
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
        read_reply(response, url)
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn read_reply(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    url: &str,
) -> Result<Reply, Error> {
    // The agent has no proxy, so no SOCKS client can be behind an error;
    // the providers' URLs carry no query string and no secret, so the
    // message may name them.
    let map = |error| transport::map_error(error, false).with_context(&format!("request to {url}"));
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
