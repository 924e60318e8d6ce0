//! Which proxy, if any, a client's requests go through, and those of the
//! STS credential providers.
//!
//! A proxy is either named explicitly on the builder or taken from the
//! usual environment variables. This crate reads the environment itself,
//! once, when the client or provider is built, rather than leaving it to
//! `ureq`: the variables are then chosen by the endpoint's scheme,
//! `NO_PROXY` is matched against the endpoint's host the way curl matches
//! it, and the choice is logged (with any password hidden).

use std::fmt;
use std::net::IpAddr;

use crate::endpoint::{self, redact_user_info, Endpoint};
use crate::Error;

/// The proxy a client was built with.
#[derive(Clone)]
pub(crate) struct ChosenProxy {
    url: String,
    /// "the proxy setting", or the name of the environment variable.
    source: &'static str,
}

impl ChosenProxy {
    /// The URL with any user name and password replaced, for logs, `Debug`
    /// and error messages.
    pub(crate) fn redacted(&self) -> String {
        redact_user_info(&self.url)
    }

    pub(crate) fn source(&self) -> &'static str {
        self.source
    }

    /// The proxy in `ureq`'s terms.
    pub(crate) fn to_ureq(&self) -> Result<ureq::Proxy, Error> {
        ureq::Proxy::new(&self.url).map_err(|_| {
            Error::invalid_input(
                "proxy",
                format!(
                    "{} is not a valid proxy URL: {}",
                    self.source,
                    self.redacted()
                ),
            )
        })
    }
}

impl fmt::Debug for ChosenProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (from {})", self.redacted(), self.source)
    }
}

/// Chooses the proxy for `endpoint`: the explicit one if set; otherwise,
/// when `from_env` is set, the one the environment names for the
/// endpoint's scheme, unless the endpoint is on this machine or matches
/// `NO_PROXY`. `env` reads a variable (a parameter so that tests need not
/// change the process's environment).
pub(crate) fn choose(
    explicit: Option<&str>,
    from_env: bool,
    endpoint: &Endpoint,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<ChosenProxy>, Error> {
    if let Some(url) = explicit {
        return explicit_proxy(url).map(Some);
    }
    if !from_env {
        return Ok(None);
    }

    // A proxy elsewhere cannot reach this machine's loopback addresses, and
    // no one means to send a local emulator's traffic through one.
    if endpoint::is_loopback(&endpoint.host) {
        return Ok(None);
    }

    // The scheme's own variable first, then the catch-all; lowercase
    // before uppercase, as curl reads them. For plain http only the
    // lowercase name is read: a CGI program receives a request's `Proxy:`
    // header as HTTP_PROXY, so the uppercase name may be set by a stranger.
    let names: &[&'static str] = if endpoint.secure {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "all_proxy", "ALL_PROXY"]
    };
    let found = names.iter().find_map(|name| {
        let value = env(name)?;
        let value = value.trim();
        (!value.is_empty()).then(|| (*name, value.to_owned()))
    });
    let Some((name, url)) = found else {
        return Ok(None);
    };

    let no_proxy = env("no_proxy").or_else(|| env("NO_PROXY"));
    let (host, port) = split_authority(&endpoint.host, if endpoint.secure { 443 } else { 80 });
    if let Some(list) = no_proxy {
        if no_proxy_matches(&list, &host, port) {
            log::debug!("not using the proxy in {name}: NO_PROXY matches {host}");
            return Ok(None);
        }
    }

    let chosen = ChosenProxy { url, source: name };
    check_scheme(&chosen)?;
    Ok(Some(chosen))
}

/// Checks an explicit proxy that is put to use only later, such as the
/// default chain's proxy for STS: it is refused as [`choose`] and
/// [`ChosenProxy::to_ureq`] would refuse it, but up front.
pub(crate) fn check_explicit(url: &str) -> Result<(), Error> {
    explicit_proxy(url)?.to_ureq().map(drop)
}

fn explicit_proxy(url: &str) -> Result<ChosenProxy, Error> {
    let chosen = ChosenProxy {
        url: url.trim().to_owned(),
        source: "the proxy setting",
    };
    check_scheme(&chosen)?;
    Ok(chosen)
}

/// Refuses a scheme `ureq` cannot use, and `https://` without TLS, before
/// the first request rather than at it.
fn check_scheme(proxy: &ChosenProxy) -> Result<(), Error> {
    let scheme = match proxy.url.find("://") {
        Some(i) => proxy.url[..i].to_ascii_lowercase(),
        // ureq, like curl, takes a bare host:port as an HTTP proxy.
        None => "http".to_owned(),
    };
    match scheme.as_str() {
        "http" | "socks4" | "socks4a" | "socks" | "socks5" | "socks5h" => Ok(()),
        "https" if cfg!(any(feature = "rustls", feature = "native-tls")) => Ok(()),
        "https" => Err(Error::invalid_input(
            "proxy",
            format!(
                "{} is an https:// proxy, which needs TLS, and this build has none: enable the \
                 `rustls` or `native-tls` feature of scf-invoke",
                proxy.source
            ),
        )),
        _ => Err(Error::invalid_input(
            "proxy",
            format!(
                "{} must start with http://, https://, socks4://, socks4a://, socks5:// or \
                 socks5h://, got {}",
                proxy.source,
                proxy.redacted()
            ),
        )),
    }
}

/// Splits `host[:port]` or `[v6][:port]` into the bare host (lowercase,
/// without brackets) and the port, `default_port` when none is written.
fn split_authority(authority: &str, default_port: u16) -> (String, u16) {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        match rest.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (rest, None),
        }
    } else if authority.matches(':').count() == 1 {
        let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
        (host, Some(port))
    } else {
        // No port, or a bare IPv6 address in a NO_PROXY entry.
        (authority, None)
    };
    let port = port.and_then(|p| p.parse().ok()).unwrap_or(default_port);
    (host.to_ascii_lowercase(), port)
}

/// Whether a `NO_PROXY` list names `host` (already lowercase, without
/// brackets) on `port`.
///
/// Entries are separated by commas or spaces. `*` matches everything; a
/// name matches itself and its subdomains, with or without a leading `.`
/// or `*.`; an IP address matches itself and a CIDR block its addresses;
/// an entry with a `:port` matches that port only.
fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.');
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split([',', ' ', '\t', '\n'])
        .filter(|entry| !entry.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let (pattern, entry_port) = if entry.contains('/') {
                (entry.to_ascii_lowercase(), None)
            } else {
                let (pattern, entry_port) = split_authority(entry, 0);
                (pattern, (entry_port != 0).then_some(entry_port))
            };
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            if let Some((network, bits)) = pattern.split_once('/') {
                return match (host_ip, network.parse::<IpAddr>(), bits.parse::<u8>()) {
                    (Some(ip), Ok(network), Ok(bits)) => in_block(ip, network, bits),
                    _ => false,
                };
            }
            if let (Some(ip), Ok(entry_ip)) = (host_ip, pattern.parse::<IpAddr>()) {
                return ip == entry_ip;
            }
            let domain = pattern
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .trim_end_matches('.');
            !domain.is_empty()
                && (host == domain
                    || host
                        .strip_suffix(domain)
                        .is_some_and(|head| head.ends_with('.')))
        })
}

/// Whether `ip` lies in the block `network/bits`.
fn in_block(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::parse(url, true).unwrap()
    }

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn chosen(url: &str, vars: &[(&str, &str)]) -> Option<String> {
        choose(None, true, &endpoint(url), env_of(vars))
            .unwrap()
            .map(|p| format!("{}={}", p.source, p.url))
    }

    #[test]
    fn the_scheme_variable_wins_over_the_catch_all_and_lowercase_over_uppercase() {
        let vars = [
            ("ALL_PROXY", "http://all:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
        ];
        assert_eq!(
            chosen("http://gw.example:8080", &vars),
            Some("ALL_PROXY=http://all:1".into())
        );
        if cfg!(any(feature = "rustls", feature = "native-tls")) {
            assert_eq!(
                chosen("https://scf.example", &vars),
                Some("https_proxy=http://lower:1".into())
            );
            assert_eq!(
                chosen("https://scf.example", &vars[..2]),
                Some("HTTPS_PROXY=http://upper:1".into())
            );
        }
    }

    #[test]
    fn uppercase_http_proxy_is_ignored_and_empty_values_are_unset() {
        let vars = [("HTTP_PROXY", "http://cgi-header:1"), ("all_proxy", " ")];
        assert_eq!(chosen("http://gw.example", &vars), None);
    }

    #[test]
    fn loopback_endpoints_and_disabled_environment_use_no_proxy() {
        let vars = [("all_proxy", "http://proxy:1")];
        assert_eq!(chosen("http://127.0.0.1:9000", &vars), None);
        assert_eq!(chosen("http://localhost:9000", &vars), None);
        let none = choose(None, false, &endpoint("http://gw.example"), env_of(&vars)).unwrap();
        assert!(none.is_none());
        // An explicit proxy is used even for loopback: the caller asked.
        let explicit = choose(
            Some("http://127.0.0.1:3128"),
            false,
            &endpoint("http://127.0.0.1:9000"),
            env_of(&[]),
        )
        .unwrap();
        assert!(explicit.is_some());
    }

    #[test]
    fn no_proxy_is_matched_against_the_endpoint_host() {
        let with = |no_proxy: &str| {
            chosen(
                "http://scf.internal.example:8080",
                &[("all_proxy", "http://proxy:1"), ("NO_PROXY", no_proxy)],
            )
            .is_none()
        };
        for bypass in [
            "*",
            "internal.example",
            ".internal.example",
            "*.internal.example",
            "other, scf.internal.example",
            "SCF.Internal.Example:8080",
        ] {
            assert!(with(bypass), "{bypass:?} should bypass the proxy");
        }
        for proxied in [
            "ternal.example",
            "scf.internal.example:443",
            "example.org",
            "",
        ] {
            assert!(!with(proxied), "{proxied:?} should not bypass the proxy");
        }
    }

    #[test]
    fn no_proxy_matches_addresses_and_blocks() {
        assert!(no_proxy_matches("10.0.0.0/8", "10.1.2.3", 80));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.1.2.3", 80));
        assert!(no_proxy_matches("192.168.1.7", "192.168.1.7", 80));
        assert!(no_proxy_matches("fd00::/8", "fd12::1", 443));
        assert!(no_proxy_matches("[fd12::1]:443", "fd12::1", 443));
        assert!(!no_proxy_matches("[fd12::1]:443", "fd12::1", 80));
        assert!(no_proxy_matches("0.0.0.0/0", "8.8.8.8", 80));
        assert!(!no_proxy_matches("10.0.0.0/33", "10.0.0.1", 80));
    }

    #[test]
    fn credentials_never_appear_in_messages() {
        assert_eq!(
            redact_user_info("http://user:pa55@proxy:3128"),
            "http://***@proxy:3128"
        );
        assert_eq!(
            redact_user_info("user:pa55@proxy:3128/x"),
            "***@proxy:3128/x"
        );
        assert_eq!(
            redact_user_info("socks5://proxy:1080"),
            "socks5://proxy:1080"
        );

        let e = choose(
            Some("ftp://user:pa55@proxy:21"),
            true,
            &endpoint("http://gw.example"),
            env_of(&[]),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("proxy"));
        assert!(!e.to_string().contains("pa55"), "{e}");
        let p = choose(
            Some("http://user:pa55@proxy:3128"),
            true,
            &endpoint("http://gw.example"),
            env_of(&[]),
        )
        .unwrap()
        .unwrap();
        assert!(!format!("{p:?}").contains("pa55"));
    }
}
