//! A private CA made for the test, and an HTTPS server on loopback whose
//! certificate it issued: for the client's TLS options and the STS
//! providers' alike.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use super::accept_loop::{Listener, Policy};
use super::fault_server::{READ_TIMEOUT, SERVER_LIFETIME};
use super::request_reader::RequestReader;

/// A private CA and a server certificate it issued for 127.0.0.1.
pub struct Pki {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

/// A self-signed CA named `name`: its parameters and key, to issue with,
/// and its certificate as PEM, to trust.
pub fn make_ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().expect("generate a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let pem = params.self_signed(&key).expect("self-sign the CA").pem();
    (params, key, pem)
}

pub fn make_pki() -> Pki {
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

/// An HTTPS server on loopback that answers every request with `200 OK`
/// and the same JSON body. Counts the requests it answered.
pub struct TlsServer {
    pub listener: Listener,
    pub answered: Arc<AtomicUsize>,
}

impl TlsServer {
    pub fn start(config: Arc<rustls::ServerConfig>, body: String) -> TlsServer {
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
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\n\r\n",
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

    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://{}", self.listener.addr)
    }

    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }
}
