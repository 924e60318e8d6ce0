//! Providers built directly read the proxy variables from the process's
//! environment: the STS providers go through the proxy named there, the
//! CVM metadata provider never does.
//!
//! The process environment is shared by every thread of a test binary, so
//! this file is its own binary with a single test, which sets the variables
//! before anything reads them. `credentials_proxy.rs` has the cases that
//! can inject an environment instead.
//!
//! The proxy is `support::ConnectProxy`, which records each tunnel asked for
//! and opens none but to 127.0.0.1. Every endpoint is at 0.0.0.0: not a
//! loopback address by the proxy rules, so the environment's proxy applies
//! to it, yet a connection to it stays on this machine (Linux and macOS take
//! it as this host), so a provider that goes direct never reaches the
//! internet.

mod support;

use scf_invoke::credentials::{
    AssumeRoleCredentials, Credentials, InstanceRoleCredentials, ProvideCredentials,
    WebIdentityCredentials,
};
use support::{metadata_json, Answer, ConnectProxy, ManualClock, Server, TempDir};

const NOW: u64 = 1_700_000_000;
const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/scf-invoker";

/// The port of a loopback server.
fn port(server: &Server) -> u16 {
    let url = server.url("");
    let (_, port) = url.rsplit_once(':').expect("the URL has a port");
    port.parse().expect("the port is a number")
}

#[test]
fn sts_providers_use_the_process_s_proxy_and_the_metadata_provider_never_does() {
    let proxy = ConnectProxy::start();
    for name in [
        "http_proxy",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        std::env::set_var(name, proxy.url());
    }
    for name in ["no_proxy", "NO_PROXY"] {
        std::env::remove_var(name);
    }

    // The metadata service, reached directly although every variable names
    // the proxy.
    let metadata = Server::start(|request| match request.path.as_str() {
        "/meta/" => Answer::ok("scf-role"),
        _ => Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)),
    });
    let cvm = InstanceRoleCredentials::builder()
        .endpoint(format!("http://0.0.0.0:{}/meta/", port(&metadata)))
        .clock(ManualClock::new(NOW).reader())
        .build()
        .unwrap();
    assert_eq!(cvm.provide_credentials().unwrap().secret_id(), "AKIDcvm");
    assert_eq!(proxy.connections(), 0);

    // Both STS providers, at 0.0.0.0 on a port where nothing listens: each
    // asks the proxy for a tunnel, which it refuses.
    let closed = support::fault_server::closed_port().port();
    let sts = format!("https://0.0.0.0:{closed}/");
    let source = Credentials::new("AKIDs", "k");
    let assume_role = AssumeRoleCredentials::builder(source, ROLE_ARN, "s1")
        .endpoint(&sts)
        .build()
        .unwrap();
    assert!(assume_role.provide_credentials().is_err());
    let dir = TempDir::new("proxy-process-env");
    let token_file = dir.write("token", "oidc-token");
    let web_identity =
        WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
            .endpoint(&sts)
            .build()
            .unwrap();
    assert!(web_identity.provide_credentials().is_err());
    let tunnel = format!("CONNECT 0.0.0.0:{closed} HTTP/1.1");
    assert_eq!(proxy.tunnels(), [tunnel.clone(), tunnel]);

    // Told not to read the environment, a provider goes directly, and
    // fails at once at the closed port.
    let source = Credentials::new("AKIDs", "k");
    let direct = AssumeRoleCredentials::builder(source, ROLE_ARN, "s1")
        .endpoint(&sts)
        .proxy_from_env(false)
        .build()
        .unwrap();
    assert!(direct.provide_credentials().is_err());
    assert_eq!(proxy.tunnels().len(), 2);
}
