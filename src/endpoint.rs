//! Where requests go: the URL a client posts to and the `Host` it signs.

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

/// A parsed endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// What is posted to: `scheme://authority/`.
    pub(crate) url: String,
    /// The authority as sent in `Host` and signed: lowercase, with the port
    /// only when one was written.
    pub(crate) host: String,
    pub(crate) secure: bool,
}

impl Endpoint {
    /// Parses `url`, which must be `https://host[:port][/]` or, for a
    /// loopback host or when `allow_http` is set, `http://…`.
    pub(crate) fn parse(url: &str, allow_http: bool) -> Result<Endpoint, Error> {
        const FIELD: &str = "endpoint";
        let url = url.trim();
        let (secure, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
            (true, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
            (false, rest)
        } else {
            return Err(Error::invalid_input(
                FIELD,
                format!("must start with https:// (or http:// for a local server), got {url:?}"),
            ));
        };

        // The API is served at "/" only; a path, query or fragment would be
        // signed as "/" but sent elsewhere.
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if !path.is_empty() && path != "/" {
            return Err(Error::invalid_input(
                FIELD,
                format!(
                    "must have no path, query or fragment (the API is served at /), got {url:?}"
                ),
            ));
        }
        let authority_ok = !authority.is_empty()
            && authority
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"@?#\\".contains(&b));
        if !authority_ok {
            return Err(Error::invalid_input(
                FIELD,
                format!("must name a host (without user info), got {url:?}"),
            ));
        }
        let host = authority.to_ascii_lowercase();
        check_port(&host, url)?;

        if !secure && !allow_http && !is_loopback(&host) {
            return Err(Error::invalid_input(
                FIELD,
                format!(
                    "plain http:// is only allowed for loopback hosts unless insecure http is \
                     explicitly allowed, got {url:?}"
                ),
            ));
        }
        if secure && !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return Err(Error::invalid_input(
                FIELD,
                "https:// needs TLS, and this build has none: enable the `rustls` or \
                 `native-tls` feature of scf-invoke",
            ));
        }

        let scheme = if secure { "https" } else { "http" };
        Ok(Endpoint {
            url: format!("{scheme}://{host}/"),
            host,
            secure,
        })
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Checks the port, if one is written after the host (or after `]` for an
/// IPv6 literal).
fn check_port(host: &str, url: &str) -> Result<(), Error> {
    let after_address = match host.strip_prefix('[') {
        Some(rest) => match rest.find(']') {
            Some(i) => &rest[i + 1..],
            None => {
                return Err(Error::invalid_input(
                    "endpoint",
                    format!("unclosed '[' in {url:?}"),
                ))
            }
        },
        None => host.find(':').map_or("", |i| &host[i..]),
    };
    if after_address.is_empty() {
        return Ok(());
    }
    let port_ok = after_address
        .strip_prefix(':')
        .is_some_and(|port| !port.is_empty() && port.parse::<u16>().is_ok_and(|p| p != 0));
    if port_ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "endpoint",
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
}
