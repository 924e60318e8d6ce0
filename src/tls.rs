//! TLS settings beyond the defaults: the certificate authorities a client
//! trusts, and, for local testing only, no verification at all.
//!
//! By default a client trusts the Mozilla roots bundled into the build (or,
//! with `native-tls`, the same bundle handed to the platform's library).
//! A private gateway's own CA replaces that set; the platform verifier
//! uses the operating system's trust store instead.

use std::fmt;

use crate::Error;

/// The builder of an agent's configuration.
type AgentConfig = ureq::config::ConfigBuilder<ureq::typestate::AgentScope>;

/// What the builder was told about TLS.
#[derive(Clone, Default)]
pub(crate) struct TlsOptions {
    pub(crate) root_certificates_pem: Option<Vec<u8>>,
    pub(crate) platform_verifier: bool,
    pub(crate) accept_invalid_certs: bool,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The certificates are public, but hundreds of lines long.
        let roots = match &self.root_certificates_pem {
            Some(pem) => format!("{} bytes of PEM", pem.len()),
            None => "bundled".to_owned(),
        };
        f.debug_struct("TlsOptions")
            .field("roots", &roots)
            .field("platform_verifier", &self.platform_verifier)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
impl TlsOptions {
    fn is_default(&self) -> bool {
        self.root_certificates_pem.is_none()
            && !self.platform_verifier
            && !self.accept_invalid_certs
    }
}

/// Whether [`TlsOptions::platform_verifier`] can be honoured: native-tls
/// always uses the platform's store when asked, rustls only with the
/// `platform-verifier` feature (without it, ureq would panic).
#[cfg(any(feature = "rustls", feature = "native-tls"))]
const PLATFORM_VERIFIER_AVAILABLE: bool =
    cfg!(any(feature = "native-tls", feature = "platform-verifier"));

/// Applies `options` to an agent's configuration.
///
/// # Errors
///
/// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
/// when the PEM holds no certificate, or holds a private key; when both
/// custom roots and the platform verifier are asked for; or when the
/// platform verifier is asked for in a build that lacks it.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) fn apply(config: AgentConfig, options: &TlsOptions) -> Result<AgentConfig, Error> {
    use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

    let mut tls = TlsConfig::builder();
    // With the `native-tls` feature, ureq must be told at run time to use
    // it; the feature alone only compiles it in.
    if cfg!(feature = "native-tls") {
        tls = tls.provider(TlsProvider::NativeTls);
    }

    if options.root_certificates_pem.is_some() && options.platform_verifier {
        return Err(Error::invalid_input(
            "platform_verifier",
            "cannot be combined with root_certificates_pem: choose one set of roots",
        ));
    }
    if let Some(pem) = &options.root_certificates_pem {
        tls = tls.root_certs(RootCerts::new_with_certs(&certificates(pem)?));
    }
    if options.platform_verifier {
        if !PLATFORM_VERIFIER_AVAILABLE {
            return Err(Error::invalid_input(
                "platform_verifier",
                "needs the `platform-verifier` feature of scf-invoke (or `native-tls`)",
            ));
        }
        tls = tls.root_certs(RootCerts::PlatformVerifier);
    }

    if options.accept_invalid_certs {
        // At every build, so that a setting meant for a test cannot slip
        // into production unnoticed.
        log::warn!(
            "TLS certificate verification is DISABLED (danger_accept_invalid_certs): anyone on \
             the network path can read and alter this client's requests; use this only for \
             local testing"
        );
        tls = tls.disable_verification(true);
    }
    Ok(config.tls_config(tls.build()))
}

/// Checks `options` as [`apply`] would, for settings kept to be applied
/// later, so that a mistake is reported when they are given rather than
/// when they are first used.
///
/// # Errors
///
/// Those of [`apply`].
pub(crate) fn check(options: &TlsOptions) -> Result<(), Error> {
    apply(ureq::Agent::config_builder(), options).map(|_| ())
}

/// Without a TLS backend there is nothing to configure: any TLS option is
/// a mistake worth reporting rather than ignoring.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
pub(crate) fn apply(config: AgentConfig, options: &TlsOptions) -> Result<AgentConfig, Error> {
    if options.is_default() {
        return Ok(config);
    }
    let field = if options.root_certificates_pem.is_some() {
        "root_certificates_pem"
    } else if options.platform_verifier {
        "platform_verifier"
    } else {
        "danger_accept_invalid_certs"
    };
    Err(Error::invalid_input(
        field,
        "is a TLS option, and this build has no TLS: enable the `rustls` or `native-tls` \
         feature of scf-invoke",
    ))
}

/// The certificates in a PEM bundle.
#[cfg(any(feature = "rustls", feature = "native-tls"))]
fn certificates(pem: &[u8]) -> Result<Vec<ureq::tls::Certificate<'static>>, Error> {
    use ureq::tls::PemItem;

    const FIELD: &str = "root_certificates_pem";
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(certificate)) => certificates.push(certificate),
            // A key has no business among trust roots; it is most likely
            // the wrong file, and one that should not be passed around.
            Ok(PemItem::PrivateKey(_)) => {
                return Err(Error::invalid_input(
                    FIELD,
                    "contains a private key: pass only the CA's certificates",
                ))
            }
            Ok(_) => {}
            Err(_) => return Err(Error::invalid_input(FIELD, "is not valid PEM")),
        }
    }
    if certificates.is_empty() {
        return Err(Error::invalid_input(
            FIELD,
            "contains no certificate (expected -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certificates)
}

#[cfg(all(test, any(feature = "rustls", feature = "native-tls")))]
mod tests {
    use super::*;

    fn apply_with(options: TlsOptions) -> Result<(), Error> {
        apply(ureq::Agent::config_builder(), &options).map(|_| ())
    }

    #[test]
    fn pem_without_a_certificate_or_with_a_key_is_refused() {
        let e = apply_with(TlsOptions {
            root_certificates_pem: Some(b"not pem at all".to_vec()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert_eq!(e.field(), Some("root_certificates_pem"));

        let key = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n";
        let e = apply_with(TlsOptions {
            root_certificates_pem: Some(key.to_vec()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert!(e.rule().unwrap().contains("private key"), "{e}");
    }

    #[test]
    fn platform_verifier_needs_its_feature_and_excludes_custom_roots() {
        let result = apply_with(TlsOptions {
            platform_verifier: true,
            ..TlsOptions::default()
        });
        assert_eq!(result.is_ok(), PLATFORM_VERIFIER_AVAILABLE);
        let e = apply_with(TlsOptions {
            platform_verifier: true,
            root_certificates_pem: Some(Vec::new()),
            ..TlsOptions::default()
        })
        .unwrap_err();
        assert_eq!(e.field(), Some("platform_verifier"));
    }
}
