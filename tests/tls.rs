//! TLS options against an HTTPS server on loopback whose certificate is
//! issued by a private CA made for the test.
#![cfg(feature = "rustls")]

mod support;

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use scf_invoke::{InvokeRequest, RetryPolicy, TransportKind};
use support::accept_loop::{Listener, Policy};
use support::fault_server::{client, ok_body, READ_TIMEOUT, SERVER_LIFETIME};
use support::request_reader::RequestReader;

/// A private CA and a server certificate it issued for 127.0.0.1.
struct Pki {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn make_ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().expect("generate a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).expect("self-sign the CA").pem();
    (params, key, pem)
}

fn make_pki() -> Pki {
    let (ca_params, ca_key, ca_pem) = make_ca("scf-invoke test CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("generate a server key");
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("parameters");
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .expect("issue the server certificate");

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("default TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone()], key)
        .expect("a certificate and its key");
    Pki {
        ca_pem,
        server_config: Arc::new(server_config),
    }
}

/// An HTTPS server on loopback that answers every request with success.
/// Counts the requests it answered.
struct TlsServer {
    listener: Listener,
    answered: Arc<AtomicUsize>,
}

impl TlsServer {
    fn start(config: Arc<rustls::ServerConfig>) -> TlsServer {
        let answered = Arc::new(AtomicUsize::new(0));
        let counter = answered.clone();
        let policy = Policy::concurrent(SERVER_LIFETIME, READ_TIMEOUT);
        let listener = Listener::start(policy, move |accepted| {
            let connection = rustls::ServerConnection::new(config.clone()).expect("a session");
            let mut tls = rustls::StreamOwned::new(connection, accepted.stream);
            let mut reader = RequestReader::default();
            // A client that rejects the certificate ends the handshake, and
            // with it this loop.
            while reader.read_request(&mut tls).is_some() {
                let body = ok_body("r-tls");
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if tls.write_all(head.as_bytes()).is_err()
                    || tls.write_all(body.as_bytes()).is_err()
                    || tls.flush().is_err()
                {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        TlsServer { listener, answered }
    }

    fn url(&self) -> String {
        format!("https://{}", self.listener.addr)
    }
}

fn hello() -> InvokeRequest {
    InvokeRequest::new("hello").event(&serde_json::json!({ "tls": true }))
}

#[test]
fn a_private_ca_is_trusted_through_root_certificates_pem() {
    let pki = make_pki();
    let server = TlsServer::start(pki.server_config.clone());
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
    let server = TlsServer::start(pki.server_config.clone());
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
    let server = TlsServer::start(pki.server_config.clone());
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
    let server = TlsServer::start(pki.server_config.clone());

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
