//! Where requests go: the URL a client posts to and the `Host` it signs, and
//! the one parser that checks every endpoint URL the crate is given (the
//! SCF endpoint, the CVM metadata service, STS).

use std::fmt;

use crate::Error;

/// The public endpoint, which routes to the region named in `X-TC-Region`.
pub const DEFAULT_ENDPOINT: &str = "https://scf.tencentcloudapi.com";

/// The endpoint inside Tencent Cloud's VPCs, reachable without internet
/// access.
pub const INTERNAL_ENDPOINT: &str = "https://scf.internal.tencentcloudapi.com";

/// The regional endpoint, `https://scf.<region>.tencentcloudapi.com`, which
/// avoids a hop through the nearest region when the caller is far away.
pub fn regional_endpoint(region: &str) -> String {
    format!("https://scf.{region}.tencentcloudapi.com")
}

/// Replaces the user information of a URL (`user:password@`), if any,
/// with `***`, for `Debug`, logs and error messages.
///
/// Everything between the scheme and the last `@` goes, even past a `/`:
/// a password is not supposed to hold one, but this text is shown exactly
/// when a URL is malformed, and an `@` in a path is rare enough that
/// hiding a little of it costs nothing.
pub(crate) fn redact_user_info(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].rfind('@') {
        Some(at) => format!("{}***{}", &url[..after_scheme], &url[after_scheme + at..]),
        None => url.to_owned(),
    }
}

/// A URL as a caller gave it, not yet checked, which may hold a password:
/// `Debug` shows it with the user information replaced. Builders keep
/// their URLs in this, so that printing a builder never shows one.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct GivenUrl(String);

impl GivenUrl {
    pub(crate) fn new(url: impl Into<String>) -> GivenUrl {
        GivenUrl(url.into())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for GivenUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&redact_user_info(&self.0), f)
    }
}

/// The setting every endpoint error names.
const FIELD: &str = "endpoint";

/// Whether an endpoint may be reached over plain `http`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlainHttp {
    /// Anywhere: the metadata service speaks nothing else, and a caller
    /// may explicitly allow it for a gateway inside a private network.
    Allowed,
    /// Only to a loopback host, for a test server on this machine: the
    /// requests carry credentials and signatures.
    LoopbackOnly,
    /// As `LoopbackOnly`, where a setting could allow it elsewhere; the
    /// error says so.
    LoopbackUnlessAllowed,
}

/// A parsed endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// What is requested: `scheme://authority/path`, with a path of at least
    /// `/`.
    pub(crate) url: String,
    /// The authority as sent in `Host` and signed: lowercase, with the port
    /// only when one was written.
    pub(crate) host: String,
    /// The path as written, at least `/`.
    pub(crate) path: String,
    pub(crate) secure: bool,
}

impl Endpoint {
    /// Parses the SCF endpoint, which must be `https://host[:port][/]` or,
    /// for a loopback host or when `allow_http` is set, `http://…`.
    pub(crate) fn parse(url: &str, allow_http: bool) -> Result<Endpoint, Error> {
        let plain = if allow_http {
            PlainHttp::Allowed
        } else {
            PlainHttp::LoopbackUnlessAllowed
        };
        let endpoint = Endpoint::parse_with_path(url, plain)?;

        // The API is served at "/" only; another path would be signed as
        // "/" but sent elsewhere.
        if !endpoint.is_root() {
            return Err(Error::invalid_input(
                FIELD,
                format!(
                    "must have no path, query or fragment (the API is served at /), got {:?}",
                    redact_user_info(url.trim())
                ),
            ));
        }
        // The credentials providers leave this to the request, which fails
        // the same way; a client says so before its first call.
        if endpoint.secure && !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return Err(Error::invalid_input(
                FIELD,
                "https:// needs TLS, and this build has none: enable the `rustls` or \
                 `native-tls` feature of scf-invoke",
            ));
        }
        Ok(endpoint)
    }

    /// Parses `url`: `http` or `https` (as `plain` allows), a host, an
    /// optional port, an optional path; no user info, query or fragment.
    pub(crate) fn parse_with_path(url: &str, plain: PlainHttp) -> Result<Endpoint, Error> {
        let url = url.trim();
        let invalid = |rule: String| Error::invalid_input(FIELD, rule);
        // What the messages quote: a URL with a password in it is refused,
        // and the refusal must not repeat the password.
        let shown = redact_user_info(url);

        // Scheme, matched without regard to case as URLs are.
        let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (false, rest)
        } else {
            return Err(invalid(format!(
                "must start with https:// (or http:// for a local server), got {shown:?}"
            )));
        };
        // A query or fragment would be sent but not signed, and ureq would
        // refuse what is not printable ASCII anyway.
        if rest.contains(['?', '#']) || !rest.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(format!(
                "must be printable ASCII without a query or fragment, got {shown:?}"
            )));
        }

        // Authority, then path.
        let (authority, path) = match rest.find('/') {
            Some(slash) => rest.split_at(slash),
            None => (rest, "/"),
        };
        if authority.contains(['@', '\\']) {
            return Err(invalid(format!(
                "must name a host (without user info), got {shown:?}"
            )));
        }
        let host = authority.to_ascii_lowercase();
        check_authority(&host, &shown)?;

        // Plain http.
        let plain_refused = match plain {
            PlainHttp::Allowed => None,
            PlainHttp::LoopbackOnly => Some(""),
            PlainHttp::LoopbackUnlessAllowed => Some(" unless insecure http is explicitly allowed"),
        };
        if let Some(unless) = plain_refused.filter(|_| !secure && !is_loopback(&host)) {
            return Err(invalid(format!(
                "must use https://: plain http:// is only allowed for loopback hosts{unless}, \
                 got {shown:?}"
            )));
        }

        let scheme = if secure { "https" } else { "http" };
        Ok(Endpoint {
            url: format!("{scheme}://{host}{path}"),
            host,
            path: path.to_owned(),
            secure,
        })
    }

    /// Whether the path is `/`, the only path a TC3-signed API call uses.
    pub(crate) fn is_root(&self) -> bool {
        self.path == "/"
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Checks that `authority` names a host (an IPv6 literal in brackets, or
/// anything else up to the first `:`), with a port from 1 to 65535 if one
/// is written after it. `url` is the whole URL as error messages show it.
fn check_authority(authority: &str, url: &str) -> Result<(), Error> {
    let (host, after_host) = match authority.strip_prefix('[') {
        Some(rest) => match rest.find(']') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => {
                return Err(Error::invalid_input(
                    FIELD,
                    format!("unclosed '[' in {url:?}"),
                ))
            }
        },
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    if host.is_empty() {
        return Err(Error::invalid_input(
            FIELD,
            format!("must name a host (without user info), got {url:?}"),
        ));
    }
    if after_host.is_empty() {
        return Ok(());
    }
    let port_ok = after_host
        .strip_prefix(':')
        .is_some_and(|port| !port.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0));
    if port_ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            FIELD,
            format!("has an invalid port in {url:?}"),
        ))
    }
}

/// Whether `authority` (host with an optional port) names this machine.
pub(crate) fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_endpoints_keep_the_port_only_when_written() {
        if !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return;
        }
        let e = Endpoint::parse("HTTPS://SCF.TencentCloudAPI.com", false).unwrap();
        assert_eq!(e.url, "https://scf.tencentcloudapi.com/");
        assert_eq!(e.host, "scf.tencentcloudapi.com");
        let e = Endpoint::parse("https://gw.example:8443/", false).unwrap();
        assert_eq!(e.host, "gw.example:8443");
    }

    #[test]
    fn https_without_tls_names_the_features_to_enable() {
        if cfg!(any(feature = "rustls", feature = "native-tls")) {
            return;
        }
        let e = Endpoint::parse(DEFAULT_ENDPOINT, false).unwrap_err();
        assert!(
            e.rule().unwrap().contains("`rustls` or `native-tls`"),
            "{e}"
        );
    }

    #[test]
    fn plain_http_is_for_loopback_unless_allowed() {
        for local in [
            "http://127.0.0.1:9000",
            "http://localhost:1",
            "http://[::1]:80/",
        ] {
            assert!(Endpoint::parse(local, false).is_ok(), "{local}");
        }
        let e = Endpoint::parse("http://10.0.0.1:9000", false).unwrap_err();
        assert_eq!(e.field(), Some("endpoint"));
        assert!(Endpoint::parse("http://10.0.0.1:9000", true).is_ok());
        // A name that merely starts like a loopback address is not one.
        assert!(Endpoint::parse("http://127.0.0.1.example.com", false).is_err());
    }

    #[test]
    fn malformed_endpoints_are_refused() {
        for bad in [
            "scf.tencentcloudapi.com",
            "ftp://x",
            "http://",
            "http://127.0.0.1/path",
            "http://127.0.0.1/?q",
            "http://user@127.0.0.1",
            "http://127.0.0.1:0",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:",
            "http://[::1",
        ] {
            let e = Endpoint::parse(bad, true).unwrap_err();
            assert_eq!(e.field(), Some("endpoint"), "{bad}");
        }
    }

    #[test]
    fn endpoints_with_a_path_keep_it() {
        let plain = PlainHttp::LoopbackOnly;
        let e = Endpoint::parse_with_path("https://sts.tencentcloudapi.com", plain).unwrap();
        assert_eq!(e.url, "https://sts.tencentcloudapi.com/");
        assert_eq!(e.host, "sts.tencentcloudapi.com");
        assert!(e.is_root());

        let e = Endpoint::parse_with_path("http://127.0.0.1:8080/", plain).unwrap();
        assert_eq!(e.host, "127.0.0.1:8080");
        assert!(e.is_root());

        let e = Endpoint::parse_with_path("http://[::1]:9/a/b/", plain).unwrap();
        assert_eq!(e.url, "http://[::1]:9/a/b/");
        assert_eq!(e.host, "[::1]:9");
        assert!(!e.is_root());
    }

    #[test]
    fn plain_http_is_refused_for_remote_hosts_when_loopback_only() {
        for url in ["http://sts.tencentcloudapi.com/", "http://10.0.0.1/"] {
            let e = Endpoint::parse_with_path(url, PlainHttp::LoopbackOnly).unwrap_err();
            assert_eq!(e.field(), Some("endpoint"));
            assert!(e.rule().unwrap().contains("https"), "{e}");
        }
        assert!(
            Endpoint::parse_with_path("http://metadata.tencentyun.com/x/", PlainHttp::Allowed)
                .is_ok()
        );
        for url in ["http://localhost:1/", "http://127.0.0.2/", "http://[::1]/"] {
            assert!(
                Endpoint::parse_with_path(url, PlainHttp::LoopbackOnly).is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn malformed_endpoints_with_a_path_are_refused() {
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
            let e = Endpoint::parse_with_path(url, PlainHttp::Allowed).unwrap_err();
            assert_eq!(e.field(), Some("endpoint"), "{url:?}");
        }
    }

    #[test]
    fn refusals_never_repeat_a_password() {
        for url in [
            "https://user:pa55word@host/",
            "http://user:pa55word@example.com/",
            "ftp://user:pa55word@host/",
            "https://user:pa55word@host/?q",
            "https://user:pa/55word@host/",
            "https://user:pa55word@host:99999/",
        ] {
            let e = Endpoint::parse_with_path(url, PlainHttp::Allowed).unwrap_err();
            let text = format!("{e} {e:?}");
            assert!(!text.contains("55word"), "{url}: {text}");
            assert!(text.contains("***@"), "{url}: {text}");
        }
    }
}
