//! The HTTP layer: a configured `ureq` agent, one POST, and the mapping of
//! `ureq`'s errors onto this crate's [`Error`], so that `ureq`'s types never
//! reach the public API.

use std::fmt;
use std::io::{self, Read};

use crate::body::Prepared;
use crate::client::Timeouts;
use crate::error::TransportKind;
use crate::tls::{self, TlsOptions};
use crate::Error;

/// Builds the agent every clone of a client shares, and with it the pool of
/// keep-alive connections.
///
/// `proxy` is the proxy this crate chose (see [`crate::proxy`]); `None`
/// means a direct connection, and also keeps ureq from reading the
/// environment's proxy variables on its own.
///
/// # Errors
///
/// As [`tls::apply`].
pub(crate) fn agent(
    timeouts: &Timeouts,
    proxy: Option<ureq::Proxy>,
    tls_options: &TlsOptions,
) -> Result<ureq::Agent, Error> {
    let config = ureq::Agent::config_builder()
        // Errors are read from the body of a 200; any other status is ours
        // to report with its body, not ureq's.
        .http_status_as_error(false)
        // A signed request must go where it was signed for.
        .max_redirects(0)
        // Each stage gets its own bound rather than one global deadline:
        // with any deadline over name resolution, ureq resolves on a new
        // thread for every call, which made a keep-alive round trip on
        // loopback about 1.4 times as long. `call` opts into it.
        .timeout_connect(Some(timeouts.connect))
        .timeout_send_request(Some(timeouts.response))
        .timeout_send_body(Some(timeouts.response))
        .timeout_recv_response(Some(timeouts.response))
        .timeout_recv_body(Some(timeouts.response))
        .timeout_global(timeouts.call)
        // Kept under the server's keep-alive time, so that a pooled
        // connection is dropped by us before the server closes it. ureq
        // also probes a pooled connection before reusing it (a
        // non-blocking read: end of stream or a reset means the server
        // closed it), and opens a new one instead of writing into a closed
        // socket.
        .max_idle_age(timeouts.idle)
        .proxy(proxy)
        .user_agent(concat!("scf-invoke/", env!("CARGO_PKG_VERSION")));
    let config = tls::apply(config, tls_options)?;
    Ok(ureq::Agent::new_with_config(config.build()))
}

/// What came back from one POST.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// The `Date` header, which tells the server's clock.
    pub(crate) date: Option<String>,
}

/// Posts `body` with `headers` and returns the status, the `Date` header
/// and at most `max_response_bytes` of the response body.
pub(crate) fn post(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &Prepared<'_>,
    max_response_bytes: u64,
) -> Result<Answer, Error> {
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let through_socks = agent.config().proxy().is_some_and(is_socks);
    let map = |error| map_error(error, through_socks);

    // Whatever ureq reports, a failure before it took the first byte of
    // the body means the request never reached the server whole, so the
    // function cannot have run. The body is always read through here, with
    // its length given, to know that.
    let mut reader = Watched {
        inner: body.source(),
        touched: false,
    };
    let sent = request
        .header("Content-Length", body.len())
        .send(ureq::SendBody::from_reader(&mut reader));
    let mut response = match sent {
        Ok(response) => response,
        Err(error) if !reader.touched => return Err(map(error).with_nothing_sent()),
        Err(error) => return Err(map(error)),
    };
    let status = response.status().as_u16();
    let date = response
        .headers()
        .get("date")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .with_config()
        .limit(max_response_bytes)
        .read_to_vec()
        .map_err(map)?;
    Ok(Answer { status, body, date })
}

/// A reader that remembers whether it was read from.
struct Watched<R> {
    inner: R,
    touched: bool,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.touched = true;
        self.inner.read(out)
    }
}

/// Whether `proxy` speaks SOCKS, which changes what an `InvalidData` I/O
/// error means (see [`map_error`]).
pub(crate) fn is_socks(proxy: &ureq::Proxy) -> bool {
    use ureq::ProxyProtocol as P;
    matches!(
        proxy.protocol(),
        P::Socks4 | P::Socks4A | P::Socks5 | P::Socks5h
    )
}

/// Sorts a `ureq` error into this crate's categories. The client's SCF calls
/// and the credential providers' requests both go through here, so that a
/// failure is the same kind of [`Error`] whoever made the request.
///
/// The detail text is ureq's own message: it names hosts and causes, never
/// header values, so it cannot carry a secret. `through_socks` says whether
/// the agent connects through a SOCKS proxy, which changes what an
/// `InvalidData` I/O error means.
pub(crate) fn map_error(error: ureq::Error, through_socks: bool) -> Error {
    use ureq::Error as U;
    let detail = error.to_string();
    let mapped = match &error {
        U::HostNotFound => Error::transport(TransportKind::Dns, detail),
        U::ConnectionFailed => Error::transport(TransportKind::Connect, detail),
        // Before the connection exists nothing was sent, and a caller may
        // treat it like any other failure to connect.
        U::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
            Error::connect_timeout(format!("connect timed out ({detail})"))
        }
        U::Timeout(_) => Error::transport(TransportKind::Timeout, detail),
        U::Io(io_error) => match io_error.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable => Error::transport(TransportKind::Connect, detail),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                Error::transport(TransportKind::Timeout, detail)
            }
            // rustls reports a failed handshake (an untrusted certificate,
            // say) or a corrupt record as an I/O error of this kind, and no
            // other layer under ureq does, except its SOCKS client for a
            // malformed answer from the proxy, before any TLS.
            io::ErrorKind::InvalidData if through_socks => {
                Error::transport(TransportKind::Connect, detail)
            }
            io::ErrorKind::InvalidData => Error::transport(TransportKind::Tls, detail),
            _ => Error::transport(TransportKind::Io, detail),
        },
        U::BodyExceedsLimit(limit) => Error::invalid_response(
            format!("the response body is larger than the limit of {limit} bytes"),
            b"",
        ),
        U::Tls(_) | U::TlsRequired => Error::transport(TransportKind::Tls, detail),
        #[cfg(feature = "rustls")]
        U::Rustls(_) => Error::transport(TransportKind::Tls, detail),
        #[cfg(feature = "native-tls")]
        U::NativeTls(_) | U::Der(_) => Error::transport(TransportKind::Tls, detail),
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        U::Pem(_) => Error::transport(TransportKind::Tls, detail),
        U::BadUri(_) | U::Http(_) => Error::invalid_input("endpoint", detail),
        // The proxy refused to open a tunnel (its reason is its status
        // line, which carries no credentials): the endpoint was never
        // reached.
        U::ConnectProxyFailed(_) => Error::transport(TransportKind::Connect, detail),
        _ => Error::transport(TransportKind::Io, detail),
    };
    mapped.with_source(error)
}

/// Formats request headers for a trace log: names and values from an
/// allow-list, every other value replaced, so that the signature and the
/// session token never reach a log.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a [(&'a str, &'a str)]);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: [&str; 8] = [
            "host",
            "content-type",
            "x-tc-action",
            "x-tc-version",
            "x-tc-timestamp",
            "x-tc-region",
            "x-tc-language",
            "x-tc-requestclient",
        ];
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if SHOWN.iter().any(|shown| shown.eq_ignore_ascii_case(name)) {
                map.entry(name, value);
            } else {
                map.entry(name, &"<redacted>");
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn agent_timeouts(timeouts: &Timeouts) -> ureq::config::Timeouts {
        let agent = agent(timeouts, None, &TlsOptions::default()).unwrap();
        agent.config().timeouts()
    }

    #[test]
    fn no_deadline_covers_name_resolution_unless_asked() {
        // ureq spawns a thread per call to resolve the host whenever one
        // of these three is set.
        let defaults = agent_timeouts(&Timeouts::default());
        assert_eq!(
            (defaults.global, defaults.per_call, defaults.resolve),
            (None, None, None)
        );
        let response = Some(Timeouts::default().response);
        assert_eq!(defaults.send_request, response);
        assert_eq!(defaults.send_body, response);
        assert_eq!(defaults.recv_response, response);
        assert_eq!(defaults.recv_body, response);

        let deadline = Duration::from_secs(5);
        let timeouts = Timeouts {
            call: Some(deadline),
            ..Timeouts::default()
        };
        assert_eq!(agent_timeouts(&timeouts).global, Some(deadline));
    }

    #[test]
    fn only_allow_listed_header_values_are_shown() {
        let headers = [
            ("Host", "scf.tencentcloudapi.com"),
            (
                "Authorization",
                "TC3-HMAC-SHA256 Credential=AKID/x, Signature=abc",
            ),
            ("X-TC-Token", "session-token"),
        ];
        let text = format!("{:?}", RedactedHeaders(&headers));
        assert!(text.contains("scf.tencentcloudapi.com"), "{text}");
        assert!(
            !text.contains("Signature") && !text.contains("session-token"),
            "{text}"
        );
    }
}
