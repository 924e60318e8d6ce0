//! TLS options against an HTTPS server on loopback whose certificate is
//! issued by a private CA made for the test.
#![cfg(feature = "rustls")]

mod support;

use std::sync::atomic::Ordering;

use scf_invoke::{InvokeRequest, RetryPolicy, TransportKind};
use support::fault_server::{client, ok_body};
use support::{make_ca, make_pki, TlsServer};

fn hello() -> InvokeRequest {
    InvokeRequest::new("hello").event(&serde_json::json!({ "tls": true }))
}

#[test]
fn a_private_ca_is_trusted_through_root_certificates_pem() {
    let pki = make_pki();
    let server = TlsServer::start(pki.server_config.clone(), ok_body("r-tls"));
    let client = client(&server.url())
        .root_certificates_pem(pki.ca_pem.as_bytes())
        .build()
        .unwrap();

    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-tls");
    assert_eq!(server.answered.load(Ordering::SeqCst), 1);
}

#[test]
fn the_bundled_roots_reject_the_private_ca_and_nothing_is_retried() {
    let pki = make_pki();
    let server = TlsServer::start(pki.server_config.clone(), ok_body("r-tls"));
    let client = client(&server.url()).build().unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Tls),
        "{error:?}"
    );
    assert_eq!(server.answered.load(Ordering::SeqCst), 0);
    assert_eq!(server.listener.connections(), 1, "no retry");
}

#[test]
fn another_ca_is_not_enough() {
    let pki = make_pki();
    let (_, _, stranger_pem) = make_ca("some other CA");
    let server = TlsServer::start(pki.server_config.clone(), ok_body("r-tls"));
    let client = client(&server.url())
        .root_certificates_pem(stranger_pem.as_bytes())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Tls),
        "{error:?}"
    );
}

#[test]
fn accepting_invalid_certificates_works_and_warns_at_every_build() {
    support::capture_logs();
    let pki = make_pki();
    let server = TlsServer::start(pki.server_config.clone(), ok_body("r-tls"));

    for _ in 0..2 {
        let client = client(&server.url())
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        client.invoke(&hello()).unwrap();
    }

    let warnings = support::logged(log::Level::Warn)
        .into_iter()
        .filter(|line| line.contains("verification is DISABLED"))
        .count();
    assert_eq!(warnings, 2);
}
