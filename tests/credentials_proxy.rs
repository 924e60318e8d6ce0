//! The STS providers through a proxy: one set on the builder, or one the
//! default chain's environment names; and the CVM metadata service, which
//! is never asked through one.
//!
//! The proxy is `support::ConnectProxy`, on loopback. It opens tunnels to
//! 127.0.0.1 only, and records and refuses any other. The environment is
//! always injected; the process's own is left to
//! `credentials_proxy_environment.rs`.
//!
//! The environment's proxy never applies to a loopback endpoint, so the
//! tests of it aim STS at 0.0.0.0, on a port where nothing listens. That is
//! not a loopback address by the proxy rules, yet a connection to it stays
//! on this machine (Linux and macOS take it as this host): a provider that
//! wrongly went direct fails at once instead of reaching the internet, and
//! one that goes through the proxy shows in the tunnel it asked for.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use scf_invoke::credentials::{
    AssumeRoleCredentials, Credentials, DefaultChain, DefaultChainBuilder, ProvideCredentials,
    WebIdentityCredentials,
};
use scf_invoke::{ErrorKind, TransportKind};
use support::{
    chain_text, env, metadata_json, root, sts_json, Answer, ConnectProxy, ManualClock, Server,
    TempDir,
};

const NOW: u64 = 1_700_000_000;
const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/scf-invoker";

/// An STS server on loopback answering every call with fresh credentials
/// named `AKID<n>`, `n` counting calls from 1.
fn sts_server() -> Server {
    let calls = AtomicUsize::new(0);
    Server::start(move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
        Answer::ok(sts_json(&format!("AKID{n}"), "k", "t", NOW + 3600))
    })
}

/// `127.0.0.1:<port>` of a loopback server, as a `CONNECT` names it.
fn authority(server: &Server) -> String {
    server.url("").trim_start_matches("http://").to_owned()
}

/// A chain whose only possible link is TKE's: no credentials variables,
/// no profile file, no metadata probe. `vars` are added to the TKE ones.
fn tke_chain(dir: &TempDir, vars: &[(&str, &str)]) -> DefaultChainBuilder {
    let token_file = dir.write("token", "oidc-token");
    let mut all = vec![
        ("TKE_REGION", "ap-guangzhou"),
        ("TKE_PROVIDER_ID", "OIDC"),
        ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("TKE_ROLE_ARN", ROLE_ARN),
    ];
    all.extend_from_slice(vars);
    DefaultChain::builder()
        .env(env(&all))
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .instance_role(false)
        .clock(ManualClock::new(NOW).reader())
}

/// An STS endpoint that is not loopback by the proxy rules and where
/// nothing listens (see the top of this file), and its `host:port`.
fn unreachable_sts() -> (String, String) {
    let port = support::fault_server::closed_port().port();
    (
        format!("https://0.0.0.0:{port}/"),
        format!("0.0.0.0:{port}"),
    )
}

// ---------------------------------------------------------------------------
// A proxy set on the builder

#[test]
fn assume_role_fetches_credentials_through_an_explicit_proxy() {
    let sts = sts_server();
    let proxy = ConnectProxy::start();
    let provider = AssumeRoleCredentials::builder(Credentials::new("AKIDs", "k"), ROLE_ARN, "s1")
        .endpoint(sts.url("/"))
        .proxy(format!("http://user:pa55@{}", proxy.addr()))
        .clock(ManualClock::new(NOW).reader())
        .build()
        .unwrap();

    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");

    assert_eq!(
        proxy.tunnels(),
        [format!("CONNECT {} HTTP/1.1", authority(&sts))]
    );
    // "user:pa55" in base64.
    assert_eq!(
        proxy.authorizations(),
        [Some("Basic dXNlcjpwYTU1".to_owned())]
    );
    let request = &sts.requests()[0];
    assert_eq!(request.header("X-TC-Action"), Some("AssumeRole"));
}

#[test]
fn web_identity_fetches_credentials_through_an_explicit_proxy() {
    let dir = TempDir::new("proxy-oidc");
    let token_file = dir.write("token", "oidc-token");
    let sts = sts_server();
    let proxy = ConnectProxy::start();
    let provider = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
        .endpoint(sts.url("/"))
        .proxy(proxy.url())
        .clock(ManualClock::new(NOW).reader())
        .build()
        .unwrap();

    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");

    assert_eq!(
        proxy.tunnels(),
        [format!("CONNECT {} HTTP/1.1", authority(&sts))]
    );
    assert_eq!(
        sts.requests()[0].header("X-TC-Action"),
        Some("AssumeRoleWithWebIdentity")
    );
}

#[test]
fn a_proxy_that_refuses_the_tunnel_is_a_connect_error_without_the_password() {
    let sts = sts_server();
    let proxy = ConnectProxy::refusing();
    let provider = AssumeRoleCredentials::builder(Credentials::new("AKIDs", "k"), ROLE_ARN, "s1")
        .endpoint(sts.url("/"))
        .proxy(format!("http://user:pa55@{}", proxy.addr()))
        .build()
        .unwrap();

    let error = provider.provide_credentials().unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert_eq!(
        root(&error).transport_kind(),
        Some(TransportKind::Connect),
        "{}",
        chain_text(&error)
    );
    assert!(!format!("{} {error:?}", chain_text(&error)).contains("pa55"));
    assert_eq!(proxy.tunnels().len(), 1);
    assert!(sts.requests().is_empty());
}

#[test]
fn a_bad_proxy_is_refused_when_building_without_showing_its_password() {
    let dir = TempDir::new("proxy-bad");
    // A scheme no proxy speaks, and a URL that ureq cannot parse.
    for bad in ["ftp://user:pa55@127.0.0.1:21", "http://user:pa55@[::1"] {
        let source = Credentials::new("AKIDs", "k");
        let assume_role = AssumeRoleCredentials::builder(source, ROLE_ARN, "s1")
            .proxy(bad)
            .build()
            .map(drop)
            .unwrap_err();
        let web_identity = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, "/t")
            .proxy(bad)
            .build()
            .map(drop)
            .unwrap_err();
        let chain = tke_chain(&dir, &[])
            .sts_proxy(bad)
            .build()
            .map(drop)
            .unwrap_err();

        for error in [assume_role, web_identity, chain] {
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}: {error}");
            assert_eq!(error.field(), Some("proxy"), "{bad}: {error}");
            assert!(!format!("{error} {error:?}").contains("pa55"), "{error:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// The default chain's TKE link

#[test]
fn the_tke_link_goes_through_the_chain_s_sts_proxy() {
    let dir = TempDir::new("proxy-chain-explicit");
    let sts = sts_server();
    let proxy = ConnectProxy::start();
    let chain = tke_chain(&dir, &[])
        .sts_endpoint(sts.url("/"))
        .sts_proxy(proxy.url())
        .build()
        .unwrap();

    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(
        proxy.tunnels(),
        [format!("CONNECT {} HTTP/1.1", authority(&sts))]
    );
}

#[test]
fn the_tke_link_goes_through_the_proxy_the_chain_s_environment_names() {
    let dir = TempDir::new("proxy-chain-env");
    let proxy = ConnectProxy::start();
    let (endpoint, target) = unreachable_sts();
    let chain = tke_chain(&dir, &[("https_proxy", proxy.url().as_str())])
        .sts_endpoint(endpoint)
        .build()
        .unwrap();

    let error = chain.provide_credentials().unwrap_err();

    assert_eq!(
        proxy.tunnels(),
        [format!("CONNECT {target} HTTP/1.1")],
        "{}",
        chain_text(&error)
    );
    // The test proxy refused the tunnel.
    assert_eq!(
        root(&error).transport_kind(),
        Some(TransportKind::Connect),
        "{}",
        chain_text(&error)
    );
}

#[test]
fn no_proxy_in_the_chain_s_environment_keeps_the_tke_link_direct() {
    let dir = TempDir::new("proxy-chain-no-proxy");
    let proxy = ConnectProxy::start();
    let (endpoint, _) = unreachable_sts();
    let proxy_url = proxy.url();
    let vars = [
        ("https_proxy", proxy_url.as_str()),
        ("NO_PROXY", "localhost, 0.0.0.0"),
    ];
    let chain = tke_chain(&dir, &vars)
        .sts_endpoint(endpoint)
        .build()
        .unwrap();

    assert!(chain.provide_credentials().is_err());
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn sts_proxy_from_env_false_keeps_the_environment_s_proxy_out() {
    let dir = TempDir::new("proxy-chain-env-off");
    let proxy = ConnectProxy::start();
    let (endpoint, _) = unreachable_sts();
    let chain = tke_chain(&dir, &[("https_proxy", proxy.url().as_str())])
        .sts_endpoint(endpoint)
        .sts_proxy_from_env(false)
        .build()
        .unwrap();

    assert!(chain.provide_credentials().is_err());
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn a_loopback_sts_endpoint_is_never_proxied_from_the_environment() {
    let dir = TempDir::new("proxy-chain-loopback");
    let sts = sts_server();
    let proxy = ConnectProxy::start();
    let chain = tke_chain(
        &dir,
        &[
            ("http_proxy", proxy.url().as_str()),
            ("https_proxy", proxy.url().as_str()),
            ("all_proxy", proxy.url().as_str()),
            ("ALL_PROXY", proxy.url().as_str()),
        ],
    )
    .sts_endpoint(sts.url("/"))
    .build()
    .unwrap();

    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(proxy.connections(), 0);
}

#[test]
fn a_bad_proxy_in_the_chain_s_environment_is_named_as_the_cause() {
    let dir = TempDir::new("proxy-chain-env-bad");
    let (endpoint, _) = unreachable_sts();
    let chain = tke_chain(&dir, &[("https_proxy", "ftp://user:pa55@127.0.0.1:21")])
        .sts_endpoint(endpoint)
        .build()
        .unwrap();

    let error = chain.provide_credentials().unwrap_err();

    let text = chain_text(&error);
    assert_eq!(error.kind(), ErrorKind::Credentials, "{text}");
    assert!(text.contains("the proxy the environment names"), "{text}");
    assert_eq!(root(&error).field(), Some("proxy"), "{text}");
    assert!(!format!("{text} {error:?}").contains("pa55"), "{text}");
}

// ---------------------------------------------------------------------------
// The CVM metadata service

#[test]
fn the_cvm_link_asks_the_metadata_service_directly_despite_the_sts_proxy() {
    let dir = TempDir::new("proxy-chain-cvm");
    let metadata = Server::start(|request| match request.path.as_str() {
        "/meta/" => Answer::ok("scf-role"),
        _ => Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)),
    });
    let proxy = ConnectProxy::start();
    let chain = tke_chain(
        &dir,
        &[
            ("http_proxy", proxy.url().as_str()),
            ("all_proxy", proxy.url().as_str()),
        ],
    )
    .instance_role(true)
    .metadata_endpoint(metadata.url("/meta/"))
    .sts_proxy(proxy.url())
    .build()
    .unwrap();

    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDcvm");
    assert_eq!(proxy.connections(), 0);
    assert_eq!(metadata.count("/meta/scf-role"), 1);
}
