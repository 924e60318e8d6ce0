//! The small HTTP layer the credential providers share: one `ureq` agent
//! with explicit timeouts, endpoint checks, and the mapping of `ureq`'s
//! errors onto the crate's [`Error`].
//!
//! The client has its own mapping for SCF calls; the two are meant to be
//! unified, and nothing outside this module sees a `ureq` type.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use crate::{Error, TransportKind};

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
    let mut response = response.map_err(|e| map_error(e, url))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(|e| map_error(e, url))?;
    Ok(Reply { status, body })
}

/// Turns a `ureq` error into the crate's error, keeping it as the source.
///
/// `url` names the endpoint in the message; the providers' URLs carry no
/// query string and no secret.
pub(crate) fn map_error(error: ureq::Error, url: &str) -> Error {
    use ureq::Error as E;
    use ureq::Timeout as T;

    let mapped = match &error {
        E::Timeout(T::Resolve) => Error::transport(
            TransportKind::Dns,
            format!("timed out resolving the host of {url}"),
        ),
        // "timed out" in a Connect error is what `Error::is_timeout` looks for.
        E::Timeout(T::Connect) => Error::transport(
            TransportKind::Connect,
            format!("timed out connecting to {url}"),
        ),
        E::Timeout(_) => Error::transport(
            TransportKind::Timeout,
            format!("no complete answer from {url} in time"),
        ),
        E::HostNotFound => Error::transport(TransportKind::Dns, url.to_owned()),
        E::ConnectionFailed => Error::transport(TransportKind::Connect, url.to_owned()),
        E::Io(io_error) => map_io_error(io_error, url),
        E::Tls(_) => Error::transport(TransportKind::Tls, url.to_owned()),
        #[cfg(feature = "rustls")]
        E::Rustls(_) => Error::transport(TransportKind::Tls, url.to_owned()),
        #[cfg(feature = "native-tls")]
        E::NativeTls(_) | E::Der(_) => Error::transport(TransportKind::Tls, url.to_owned()),
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        E::Pem(_) => Error::transport(TransportKind::Tls, url.to_owned()),
        E::Protocol(_) => Error::transport(
            TransportKind::Io,
            format!("malformed http answer from {url}"),
        ),
        E::LargeResponseHeader(..) => Error::invalid_response(
            format!("the response headers from {url} are too large"),
            b"",
        ),
        E::BodyExceedsLimit(limit) => Error::invalid_response(
            format!("the response body from {url} is larger than {limit} bytes"),
            b"",
        ),
        E::BadUri(_) | E::Http(_) => Error::invalid_input(
            "request",
            format!("could not form a request to {url} (a header value may hold a line break)"),
        ),
        _ => Error::transport(TransportKind::Io, format!("request to {url} failed")),
    };
    mapped.with_source(error)
}

fn map_io_error(error: &io::Error, url: &str) -> Error {
    match error.kind() {
        io::ErrorKind::ConnectionRefused
        | io::ErrorKind::AddrNotAvailable
        | io::ErrorKind::HostUnreachable
        | io::ErrorKind::NetworkUnreachable => {
            Error::transport(TransportKind::Connect, url.to_owned())
        }
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Error::transport(
            TransportKind::Timeout,
            format!("no complete answer from {url} in time"),
        ),
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => Error::transport(
            TransportKind::Io,
            format!("{url} closed the connection before answering in full"),
        ),
        _ => Error::transport(TransportKind::Io, format!("request to {url} failed")),
    }
}

/// Whether an endpoint may be reached over plain `http`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlainHttp {
    /// The metadata service only speaks plain http.
    Allowed,
    /// STS gets credentials and signatures; plain http is for a test server
    /// on this machine only.
    LoopbackOnly,
}

/// An endpoint URL, checked and split into the parts a request needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// `scheme://authority/path`, with a path of at least `/`.
    url: String,
    /// `host[:port]` exactly as written, which is the `Host` header.
    authority: String,
    path: String,
}

impl Endpoint {
    /// Checks `url`: `http` or `https`, a host, an optional port, no user
    /// name, query or fragment. `field` names the setting in errors.
    pub(crate) fn parse(field: &'static str, url: &str, plain: PlainHttp) -> Result<Self, Error> {
        let invalid = |rule: String| Error::invalid_input(field, rule);

        // Scheme.
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(invalid(format!(
                "{url:?} must start with https:// or http://"
            )));
        };
        if rest.contains(['?', '#']) || !rest.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(format!(
                "{url:?} must be printable ASCII without a query or fragment"
            )));
        }

        // Authority, then path.
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        if authority.contains('@') {
            return Err(invalid(format!("{url:?} must not carry a user name")));
        }
        let host = host_of(authority).ok_or_else(|| {
            invalid(format!(
                "{url:?} must name a host, with an optional numeric port"
            ))
        })?;

        // Plain http.
        if !secure && plain == PlainHttp::LoopbackOnly && !is_loopback(host) {
            return Err(invalid(format!(
                "{url:?} must use https; plain http is allowed only for a loopback host"
            )));
        }

        let scheme = if secure { "https" } else { "http" };
        Ok(Endpoint {
            url: format!("{scheme}://{authority}{path}"),
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn authority(&self) -> &str {
        &self.authority
    }

    /// Whether the path is `/`, the only path a TC3-signed API call uses.
    pub(crate) fn is_root(&self) -> bool {
        self.path == "/"
    }
}

/// The host of `host[:port]` (brackets kept for IPv6), or `None` when the
/// authority is malformed.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let port = authority[end + 1..].strip_prefix(':');
        if port.is_none() && end + 1 != authority.len() {
            return None;
        }
        (&authority[..=end], port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        if port.parse::<u16>().is_err() {
            return None;
        }
    }
    let plain_host_ok = host.starts_with('[')
        || (!host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
    plain_host_ok.then_some(host)
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_authority_as_written() {
        let e = Endpoint::parse(
            "endpoint",
            "https://sts.tencentcloudapi.com",
            PlainHttp::LoopbackOnly,
        )
        .unwrap();
        assert_eq!(e.url(), "https://sts.tencentcloudapi.com/");
        assert_eq!(e.authority(), "sts.tencentcloudapi.com");
        assert!(e.is_root());

        let e = Endpoint::parse(
            "endpoint",
            "http://127.0.0.1:8080/",
            PlainHttp::LoopbackOnly,
        )
        .unwrap();
        assert_eq!(e.authority(), "127.0.0.1:8080");
        assert!(e.is_root());

        let e =
            Endpoint::parse("endpoint", "http://[::1]:9/a/b/", PlainHttp::LoopbackOnly).unwrap();
        assert_eq!(e.authority(), "[::1]:9");
        assert!(!e.is_root());
    }

    #[test]
    fn plain_http_is_refused_for_remote_hosts_when_loopback_only() {
        for url in ["http://sts.tencentcloudapi.com/", "http://10.0.0.1/"] {
            let e = Endpoint::parse("endpoint", url, PlainHttp::LoopbackOnly).unwrap_err();
            assert_eq!(e.field(), Some("endpoint"));
            assert!(e.rule().unwrap().contains("https"), "{e}");
        }
        assert!(Endpoint::parse(
            "endpoint",
            "http://metadata.tencentyun.com/x/",
            PlainHttp::Allowed
        )
        .is_ok());
        for url in ["http://localhost:1/", "http://127.0.0.2/", "http://[::1]/"] {
            assert!(
                Endpoint::parse("endpoint", url, PlainHttp::LoopbackOnly).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn malformed_endpoints_are_refused() {
        for url in [
            "",
            "ftp://host/",
            "https://",
            "https://:80/",
            "https://host:port/",
            "https://host:99999/",
            "https://user@host/",
            "https://host/?q=1",
            "https://host/#f",
            "https://ho st/",
            "https://[::1/",
            "https://[::1]x/",
        ] {
            assert!(
                Endpoint::parse("endpoint", url, PlainHttp::Allowed).is_err(),
                "{url:?}"
            );
        }
    }
}
