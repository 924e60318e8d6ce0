//! The STS providers' own TLS roots: an STS endpoint on loopback whose
//! certificate a private CA issued, as a TLS-inspecting proxy would
//! present, and PEM that is refused before anything is sent.

mod support;

use scf_invoke::credentials::{
    AssumeRoleCredentials, Credentials, DefaultChain, WebIdentityCredentials,
};
use scf_invoke::Error;

const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/scf-invoker";

/// PEM with a private key and no certificate: the wrong file, and one that
/// should not be passed around.
const KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
    MC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\
    -----END PRIVATE KEY-----\n";

fn assume_role(endpoint: &str) -> scf_invoke::credentials::AssumeRoleCredentialsBuilder {
    AssumeRoleCredentials::builder(Credentials::new("AKIDsource", "k"), ROLE_ARN, "tls-test")
        .endpoint(endpoint)
        .proxy_from_env(false)
}

/// Asserts that `result` is an error about `root_certificates_pem`.
fn assert_refused_roots<T>(result: Result<T, Error>) {
    match result {
        Ok(_) => panic!("built, though the roots should have been refused"),
        Err(e) => assert_eq!(e.field(), Some("root_certificates_pem"), "{e:?}"),
    }
}

#[test]
fn pem_without_a_certificate_or_with_a_key_is_refused_at_build_naming_the_field() {
    for pem in ["not pem at all", KEY_PEM] {
        let provider = assume_role("https://127.0.0.1:9").root_certificates_pem(pem);
        assert_refused_roots(provider.build());

        let provider = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, "/t")
            .endpoint("https://127.0.0.1:9")
            .root_certificates_pem(pem);
        assert_refused_roots(provider.build());

        let chain = DefaultChain::builder().sts_root_certificates_pem(pem);
        assert_refused_roots(chain.build());
    }
}

/// Without a TLS backend even a good CA is refused: it could not be used.
#[cfg(not(any(feature = "rustls", feature = "native-tls")))]
#[test]
fn a_build_without_tls_refuses_roots_it_could_not_use() {
    let (_, _, ca_pem) = support::make_ca("scf-invoke test CA");
    let provider = assume_role("http://127.0.0.1:9").root_certificates_pem(ca_pem.as_bytes());
    assert_refused_roots(provider.build());
    let chain = DefaultChain::builder().sts_root_certificates_pem(ca_pem);
    assert_refused_roots(chain.build());
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod over_tls {
    use scf_invoke::credentials::{DefaultChain, ProvideCredentials};
    use scf_invoke::TransportKind;

    use super::support::{
        crate_errors, env, make_pki, sts_json, ManualClock, Pki, TempDir, TlsServer,
    };
    use super::{assume_role, ROLE_ARN};

    const NOW: u64 = 1_700_000_000;

    /// STS on loopback, with a certificate from `pki`'s CA, answering every
    /// call with the same credentials.
    fn sts_over_tls(pki: &Pki) -> TlsServer {
        let answer = sts_json("AKIDrole", "role-key", "role-token", NOW + 3600);
        TlsServer::start(pki.server_config.clone(), answer)
    }

    #[test]
    fn assume_role_trusts_the_ca_given_with_root_certificates_pem() {
        let pki = make_pki();
        let sts = sts_over_tls(&pki);
        let provider = assume_role(&sts.url())
            .root_certificates_pem(pki.ca_pem.as_bytes())
            .clock(ManualClock::new(NOW).reader())
            .build()
            .unwrap();

        let credentials = provider.provide_credentials().unwrap();

        assert_eq!(credentials.secret_id(), "AKIDrole");
        assert_eq!(sts.answered(), 1);
    }

    #[test]
    fn assume_role_with_the_bundled_roots_fails_certificate_verification() {
        let pki = make_pki();
        let sts = sts_over_tls(&pki);
        let provider = assume_role(&sts.url())
            .clock(ManualClock::new(NOW).reader())
            .build()
            .unwrap();

        let error = provider.provide_credentials().unwrap_err();

        let transport = crate_errors(&error)
            .into_iter()
            .find_map(|e| e.transport_kind());
        assert_eq!(transport, Some(TransportKind::Tls), "{error:?}");
        assert_eq!(sts.answered(), 0);
    }

    #[test]
    fn the_chain_s_sts_roots_reach_its_tke_link() {
        let pki = make_pki();
        let sts = sts_over_tls(&pki);
        let dir = TempDir::new("chain-tke-tls");
        let token_file = dir.write("token", "oidc-token");
        let chain = DefaultChain::builder()
            .env(env(&[
                ("TKE_REGION", "ap-guangzhou"),
                ("TKE_PROVIDER_ID", "OIDC"),
                ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
                ("TKE_ROLE_ARN", ROLE_ARN),
            ]))
            .home_dir(dir.path().join("home"))
            .system_file(dir.path().join("etc/credentials"))
            .instance_role(false)
            .sts_endpoint(sts.url())
            .sts_root_certificates_pem(pki.ca_pem.as_bytes())
            .clock(ManualClock::new(NOW).reader())
            .build()
            .unwrap();

        let credentials = chain.provide_credentials().unwrap();

        assert_eq!(credentials.secret_id(), "AKIDrole");
        assert_eq!(sts.answered(), 1);
    }
}
