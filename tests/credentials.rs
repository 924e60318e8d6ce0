//! The credential providers against loopback servers, temporary files and
//! injected environments and clocks. Nothing here touches the real
//! metadata service, STS, `~/.tencentcloud` or the process environment.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant, UNIX_EPOCH};

use scf_invoke::credentials::{
    AssumeRoleCredentials, Credentials, DefaultChain, InstanceRoleCredentials, ProfileCredentials,
    ProvideCredentials, WebIdentityCredentials,
};
use scf_invoke::signer::{self, Payload, SigningParams};
use scf_invoke::{ErrorKind, TransportKind};
use support::{
    chain_text, env, metadata_json, root, sts_json, Answer, ManualClock, Server, TempDir,
};

const NOW: u64 = 1_700_000_000;
const ROLE_PATH: &str = "/meta/";
const CREDS_PATH: &str = "/meta/scf-role";
const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/scf-invoker";

// ---------------------------------------------------------------------------
// CVM instance role

/// A metadata service naming `scf-role` and answering its credentials with
/// `credentials(n)` for the n-th credentials request.
fn metadata_server(credentials: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Server {
    let calls = AtomicUsize::new(0);
    Server::start(move |request| match request.path.as_str() {
        ROLE_PATH => Answer::ok("scf-role\n"),
        CREDS_PATH => credentials(calls.fetch_add(1, Ordering::SeqCst) + 1),
        _ => Answer::status(404, "not found"),
    })
}

fn instance_role(server: &Server, clock: &ManualClock) -> InstanceRoleCredentials {
    InstanceRoleCredentials::builder()
        .endpoint(server.url(ROLE_PATH))
        .clock(clock.reader())
        .build()
        .unwrap()
}

#[test]
fn instance_role_asks_for_the_role_then_its_credentials() {
    let server = metadata_server(|_| {
        Answer::ok(metadata_json("AKIDtmp", "tmp-key", "tmp-token", NOW + 7200))
    });
    let clock = ManualClock::new(NOW);
    let creds = instance_role(&server, &clock)
        .provide_credentials()
        .unwrap();

    assert_eq!(creds.secret_id(), "AKIDtmp");
    assert_eq!(creds.secret_key(), "tmp-key");
    assert_eq!(creds.token(), Some("tmp-token"));
    assert_eq!(
        creds.expiry(),
        Some(UNIX_EPOCH + Duration::from_secs(NOW + 7200))
    );
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [ROLE_PATH, CREDS_PATH]);
}

#[test]
fn instance_role_refreshes_only_once_inside_the_margin() {
    let server = metadata_server(|n| {
        Answer::ok(metadata_json(
            &format!("AKID{n}"),
            "key",
            "token",
            NOW + 3600 * n as u64,
        ))
    });
    let clock = ManualClock::new(NOW);
    let provider = instance_role(&server, &clock);

    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    clock.advance(3600 - 301);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(server.count(CREDS_PATH), 1, "still fresh: no request");

    clock.advance(2);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID2");
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID2");
    assert_eq!(server.count(CREDS_PATH), 2);
}

#[test]
fn sixteen_threads_at_once_cause_exactly_one_refresh() {
    // Slow answers make sure every thread arrives while the refresh is in
    // flight.
    let server = metadata_server(|_| {
        Answer::ok(metadata_json("AKIDshared", "key", "token", NOW + 7200))
            .after(Duration::from_millis(300))
    });
    let clock = ManualClock::new(NOW);
    let provider = Arc::new(instance_role(&server, &clock));
    let barrier = Arc::new(Barrier::new(16));

    let threads: Vec<_> = (0..16)
        .map(|_| {
            let provider = Arc::clone(&provider);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                provider
                    .provide_credentials()
                    .map(|c| c.secret_id().to_owned())
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap().unwrap(), "AKIDshared");
    }
    assert_eq!(server.count(CREDS_PATH), 1);
    assert_eq!(server.count(ROLE_PATH), 1);
}

#[test]
fn sixteen_threads_inside_the_margin_cause_exactly_one_refresh() {
    let server = metadata_server(|n| {
        Answer::ok(metadata_json(
            &format!("AKID{n}"),
            "key",
            "token",
            NOW + 3600 * n as u64,
        ))
        .after(Duration::from_millis(if n == 1 { 0 } else { 300 }))
    });
    let clock = ManualClock::new(NOW);
    let provider = Arc::new(instance_role(&server, &clock));
    provider.provide_credentials().unwrap();
    clock.advance(3600 - 60);

    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let provider = Arc::clone(&provider);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                provider
                    .provide_credentials()
                    .unwrap()
                    .secret_id()
                    .to_owned()
            })
        })
        .collect();
    for thread in threads {
        // Still-valid credentials are served while the refresh is in flight.
        let id = thread.join().unwrap();
        assert!(id == "AKID1" || id == "AKID2", "{id}");
    }
    assert_eq!(server.count(CREDS_PATH), 2, "one first fetch, one refresh");
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID2");
}

#[test]
fn a_failed_refresh_serves_the_valid_credentials_and_retries_on_the_next_call() {
    let server = metadata_server(|n| match n {
        1 => Answer::ok(metadata_json("AKID1", "key", "token", NOW + 3600)),
        2 | 3 => Answer::status(500, "internal error"),
        _ => Answer::ok(metadata_json("AKID4", "key", "token", NOW + 7200)),
    });
    let clock = ManualClock::new(NOW);
    let provider = instance_role(&server, &clock);
    provider.provide_credentials().unwrap();

    clock.advance(3600 - 100);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID4");
    assert_eq!(server.count(CREDS_PATH), 4);
}

#[test]
fn a_failed_refresh_with_nothing_valid_is_an_error_naming_the_provider() {
    let server = metadata_server(|n| match n {
        1 => Answer::ok(metadata_json("AKID1", "key", "token", NOW + 3600)),
        _ => Answer::status(500, "internal error"),
    });
    let clock = ManualClock::new(NOW);
    let provider = instance_role(&server, &clock);
    provider.provide_credentials().unwrap();

    clock.advance(3600);
    let e = provider.provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("cvm instance role"), "{e}");
    assert_eq!(root(&e).status(), Some(500));
    assert_eq!(root(&e).body_excerpt(), Some("internal error"));
}

fn instance_role_error(answer: Answer) -> scf_invoke::Error {
    let server = metadata_server(move |_| answer.clone());
    let clock = ManualClock::new(NOW);
    instance_role(&server, &clock)
        .provide_credentials()
        .unwrap_err()
}

#[test]
fn a_code_other_than_success_is_a_service_error() {
    let e = instance_role_error(Answer::ok(r#"{"Code":"InternalError","Message":"no"}"#));
    assert_eq!(root(&e).kind(), ErrorKind::Service);
    assert_eq!(root(&e).code(), Some("InternalError"));
}

#[test]
fn a_body_that_is_not_json_is_an_invalid_response() {
    let e = instance_role_error(Answer::ok("<html>captive portal</html>"));
    assert_eq!(root(&e).kind(), ErrorKind::InvalidResponse);
    assert!(root(&e).to_string().contains("not JSON"), "{e}");
}

#[test]
fn a_missing_field_is_named() {
    let e = instance_role_error(Answer::ok(
        r#"{"TmpSecretId":"AKID","Token":"t","ExpiredTime":1,"Code":"Success"}"#,
    ));
    assert_eq!(root(&e).kind(), ErrorKind::InvalidResponse);
    assert!(
        root(&e).to_string().contains("TmpSecretKey is missing"),
        "{e}"
    );
}

#[test]
fn an_http_500_keeps_the_status_and_the_page() {
    let e = instance_role_error(Answer::status(500, "<h1>oops</h1>"));
    assert_eq!(root(&e).status(), Some(500));
}

#[test]
fn a_connection_closed_without_an_answer_is_a_transport_error() {
    let e = instance_role_error(Answer::close());
    assert_eq!(root(&e).kind(), ErrorKind::Transport, "{}", chain_text(&e));
}

#[test]
fn a_body_cut_short_is_a_transport_error() {
    let e = instance_role_error(Answer::truncated(r#"{"TmpSecretId":"AKID""#));
    assert_eq!(root(&e).kind(), ErrorKind::Transport, "{}", chain_text(&e));
}

#[test]
fn a_slow_metadata_service_times_out_within_the_bound() {
    let server = metadata_server(|_| Answer::hang());
    let provider = InstanceRoleCredentials::builder()
        .endpoint(server.url(ROLE_PATH))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = provider.provide_credentials().unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(root(&e).is_timeout(), "{}", chain_text(&e));
    assert_eq!(root(&e).transport_kind(), Some(TransportKind::Timeout));
}

#[test]
fn no_role_bound_says_so() {
    let server = Server::start(|_| Answer::status(404, "not found"));
    let provider = InstanceRoleCredentials::builder()
        .endpoint(server.url(ROLE_PATH))
        .build()
        .unwrap();
    let e = provider.provide_credentials().unwrap_err();
    assert!(
        chain_text(&e).contains("no CAM role is bound"),
        "{}",
        chain_text(&e)
    );
}

#[test]
fn an_oversized_answer_is_refused() {
    let big = format!(r#"{{"Code":"Success","Pad":"{}"}}"#, "x".repeat(100 * 1024));
    let e = instance_role_error(Answer::ok(big));
    assert_eq!(
        root(&e).kind(),
        ErrorKind::InvalidResponse,
        "{}",
        chain_text(&e)
    );
    assert!(root(&e).to_string().contains("larger than"), "{e}");
}

// ---------------------------------------------------------------------------
// STS AssumeRole

fn sts_server(answer: impl Fn(usize) -> Answer + Send + Sync + 'static) -> Server {
    let calls = AtomicUsize::new(0);
    Server::start(move |_| answer(calls.fetch_add(1, Ordering::SeqCst) + 1))
}

#[test]
fn assume_role_signs_with_the_source_and_sends_the_documented_request() {
    let server =
        sts_server(|_| Answer::ok(sts_json("AKIDrole", "role-key", "role-token", NOW + 3600)));
    let clock = ManualClock::new(NOW);
    let source = Credentials::new("AKIDsource", "source-key").with_token("source-token");
    let provider = AssumeRoleCredentials::builder(source, ROLE_ARN, "batch-job")
        .duration_seconds(3600)
        .region("ap-shanghai")
        .endpoint(server.url("/"))
        .clock(clock.reader())
        .build()
        .unwrap();

    let creds = provider.provide_credentials().unwrap();
    assert_eq!(creds.secret_id(), "AKIDrole");
    assert_eq!(creds.token(), Some("role-token"));

    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/");
    assert_eq!(request.header("X-TC-Action"), Some("AssumeRole"));
    assert_eq!(request.header("X-TC-Version"), Some("2018-08-13"));
    assert_eq!(request.header("X-TC-Region"), Some("ap-shanghai"));
    assert_eq!(
        request.header("X-TC-Timestamp"),
        Some(NOW.to_string().as_str())
    );
    assert_eq!(request.header("X-TC-Token"), Some("source-token"));
    let body = request.json();
    assert_eq!(body["RoleArn"], ROLE_ARN);
    assert_eq!(body["RoleSessionName"], "batch-job");
    assert_eq!(body["DurationSeconds"], 3600);

    // The signature is what the signer gives for exactly what was sent.
    let host = request.header("Host").unwrap();
    let expected = signer::sign(&SigningParams {
        secret_id: "AKIDsource",
        secret_key: "source-key",
        service: "sts",
        host,
        method: "POST",
        query: "",
        content_type: request.header("Content-Type").unwrap(),
        headers: &[],
        payload: Payload::Bytes(&request.body),
        timestamp: NOW as i64,
    })
    .unwrap();
    assert_eq!(
        request.header("Authorization"),
        Some(expected.authorization())
    );
    assert!(expected
        .authorization()
        .starts_with("TC3-HMAC-SHA256 Credential=AKIDsource/2023-11-14/sts/tc3_request"));
}

#[test]
fn assume_role_reports_the_service_error_with_code_message_and_request_id() {
    let server = sts_server(|_| {
        Answer::ok(
            r#"{"Response":{"Error":{"Code":"AuthFailure.SecretIdNotFound",
            "Message":"The SecretId is not found"},"RequestId":"req-123"}}"#,
        )
    });
    let provider = AssumeRoleCredentials::builder(Credentials::new("AKIDx", "k"), ROLE_ARN, "s1")
        .endpoint(server.url("/"))
        .build()
        .unwrap();
    let e = provider.provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    let service = root(&e);
    assert_eq!(service.kind(), ErrorKind::Service);
    assert_eq!(service.code(), Some("AuthFailure.SecretIdNotFound"));
    assert_eq!(service.message(), Some("The SecretId is not found"));
    assert_eq!(service.request_id(), Some("req-123"));
    assert!(service.is_auth_failure());
}

#[test]
fn assume_role_refreshes_with_a_new_call_once_inside_the_margin() {
    let server = sts_server(|n| {
        Answer::ok(sts_json(
            &format!("AKID{n}"),
            "k",
            "t",
            NOW + 900 * n as u64,
        ))
    });
    let clock = ManualClock::new(NOW);
    let provider = AssumeRoleCredentials::builder(Credentials::new("AKIDs", "k"), ROLE_ARN, "s1")
        .endpoint(server.url("/"))
        .refresh_margin(Duration::from_secs(60))
        .clock(clock.reader())
        .build()
        .unwrap();
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    clock.advance(900 - 61);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    clock.advance(1);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID2");
    let second = &server.requests()[1];
    assert_eq!(
        second.header("X-TC-Timestamp"),
        Some((NOW + 900 - 60).to_string().as_str())
    );
}

#[test]
fn assume_role_checks_its_inputs_and_names_the_field() {
    let build = |arn: &str, session: &str, duration: u64| {
        AssumeRoleCredentials::builder(Credentials::new("AKIDx", "k"), arn, session)
            .duration_seconds(duration)
            .build()
            .map(|_| ())
            .unwrap_err()
    };
    assert_eq!(build("", "s1", 7200).field(), Some("RoleArn"));
    assert_eq!(build("role/x", "s1", 7200).field(), Some("RoleArn"));
    assert_eq!(build(ROLE_ARN, "s", 7200).field(), Some("RoleSessionName"));
    assert_eq!(
        build(ROLE_ARN, "has space", 7200).field(),
        Some("RoleSessionName")
    );
    assert_eq!(build(ROLE_ARN, "s1", 0).field(), Some("DurationSeconds"));
    assert_eq!(
        build(ROLE_ARN, "s1", 43_201).field(),
        Some("DurationSeconds")
    );
    let e = AssumeRoleCredentials::builder(Credentials::new("AKIDx", "k"), ROLE_ARN, "s1")
        .endpoint("http://sts.example.com/")
        .build()
        .map(|_| ())
        .unwrap_err();
    assert_eq!(e.field(), Some("endpoint"));
}

#[test]
fn assume_role_without_source_credentials_fails_before_sending() {
    let server = sts_server(|_| Answer::ok(sts_json("AKID", "k", "t", NOW + 3600)));
    let source = ProfileCredentials::builder()
        .file("/nonexistent/scf-invoke-test/credentials")
        .build();
    let provider = AssumeRoleCredentials::builder(source, ROLE_ARN, "s1")
        .endpoint(server.url("/"))
        .build()
        .unwrap();
    let e = provider.provide_credentials().unwrap_err();
    assert!(chain_text(&e).contains("no file at"), "{}", chain_text(&e));
    assert!(server.requests().is_empty());
}

#[test]
fn an_https_sts_endpoint_uses_the_builds_tls_backend() {
    // A server that accepts and hangs up: whatever the backend, the
    // handshake fails. What matters is that it is the backend this build
    // has; ureq panics on https:// when asked for one it lacks, which it
    // was, with `native-tls` alone, until the providers set it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            drop(stream);
        }
    });
    let provider = AssumeRoleCredentials::builder(Credentials::new("AKIDs", "k"), ROLE_ARN, "s1")
        .endpoint(format!("https://127.0.0.1:{port}"))
        .build()
        .unwrap();

    let e = provider.provide_credentials().unwrap_err();

    let text = chain_text(&e);
    let transport = support::crate_errors(&e)
        .into_iter()
        .find_map(|error| error.transport_kind());
    assert!(transport.is_some(), "{text}");
    server.join().unwrap();
}

// ---------------------------------------------------------------------------
// TKE OIDC: AssumeRoleWithWebIdentity

#[test]
fn web_identity_sends_the_token_unsigned_and_rereads_it_on_refresh() {
    let dir = TempDir::new("oidc");
    let token_file = dir.write("token", "first-oidc-token\n");
    let server = sts_server(|n| {
        Answer::ok(sts_json(
            &format!("AKID{n}"),
            "k",
            "t",
            NOW + 3600 * n as u64 + 1,
        ))
    });
    let clock = ManualClock::new(NOW);
    let provider = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
        .endpoint(server.url("/"))
        .clock(clock.reader())
        .build()
        .unwrap();

    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID1");
    std::fs::write(&token_file, "rotated-oidc-token").unwrap();
    clock.advance(3600);
    assert_eq!(provider.provide_credentials().unwrap().secret_id(), "AKID2");

    let requests = server.requests();
    let first = &requests[0];
    assert_eq!(first.header("Authorization"), Some("SKIP"));
    assert_eq!(first.header("X-TC-Token"), None);
    assert_eq!(
        first.header("X-TC-Action"),
        Some("AssumeRoleWithWebIdentity")
    );
    assert_eq!(first.header("X-TC-Version"), Some("2018-08-13"));
    assert_eq!(first.header("X-TC-Region"), Some("ap-guangzhou"));
    let body = first.json();
    assert_eq!(body["ProviderId"], "OIDC");
    assert_eq!(body["WebIdentityToken"], "first-oidc-token");
    assert_eq!(body["RoleArn"], ROLE_ARN);
    assert_eq!(body["RoleSessionName"], format!("scf-invoke-{NOW}"));
    assert_eq!(body["DurationSeconds"], 7200);
    assert_eq!(requests[1].json()["WebIdentityToken"], "rotated-oidc-token");
}

#[test]
fn web_identity_with_a_missing_token_file_names_it() {
    let server = sts_server(|_| Answer::ok(sts_json("AKID", "k", "t", NOW + 3600)));
    let provider = WebIdentityCredentials::builder(
        "ap-guangzhou",
        "OIDC",
        ROLE_ARN,
        "/nonexistent/scf-invoke-test/token",
    )
    .endpoint(server.url("/"))
    .build()
    .unwrap();
    let e = provider.provide_credentials().unwrap_err();
    assert!(
        chain_text(&e).contains("/nonexistent/scf-invoke-test/token does not exist"),
        "{}",
        chain_text(&e)
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------
// Profile file

const PROFILE: &str = "[default]\nsecret_id = AKIDhome\nsecret_key = home-key\n";

fn profile_in(dir: &TempDir) -> ProfileCredentials {
    ProfileCredentials::builder()
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .env(env(&[]))
        .build()
}

#[test]
fn the_home_file_comes_before_the_system_file() {
    let dir = TempDir::new("profile-order");
    dir.write("home/.tencentcloud/credentials", PROFILE);
    dir.write(
        "etc/credentials",
        "[default]\nsecret_id=AKIDetc\nsecret_key=etc-key\n",
    );
    assert_eq!(
        profile_in(&dir).provide_credentials().unwrap().secret_id(),
        "AKIDhome"
    );

    std::fs::remove_file(dir.path().join("home/.tencentcloud/credentials")).unwrap();
    assert_eq!(
        profile_in(&dir).provide_credentials().unwrap().secret_id(),
        "AKIDetc"
    );
}

#[test]
fn a_malformed_home_file_is_an_error_not_a_fallback() {
    let dir = TempDir::new("profile-malformed");
    dir.write(
        "home/.tencentcloud/credentials",
        "[default]\nsecret_id = AKIDhome\noops\n",
    );
    dir.write(
        "etc/credentials",
        "[default]\nsecret_id=AKIDetc\nsecret_key=etc-key\n",
    );
    let e = profile_in(&dir).provide_credentials().unwrap_err();
    let expected = format!(
        "{}:3:",
        dir.path().join("home/.tencentcloud/credentials").display()
    );
    assert!(e.to_string().contains(&expected), "{e}");
}

#[test]
fn the_file_variable_is_the_only_file_tried() {
    let dir = TempDir::new("profile-variable");
    dir.write("home/.tencentcloud/credentials", PROFILE);
    let chosen = dir.path().join("chosen");
    let provider = ProfileCredentials::builder()
        .home_dir(dir.path().join("home"))
        .env(env(&[(
            "TENCENTCLOUD_CREDENTIALS_FILE",
            chosen.to_str().unwrap(),
        )]))
        .build();
    let e = provider.provide_credentials().unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("no file at {}", chosen.display())),
        "{e}"
    );

    dir.write(
        "chosen",
        "[prod]\nsecret_id=AKIDprod\nsecret_key=prod-key\n",
    );
    let provider = ProfileCredentials::builder()
        .env(env(&[
            ("TENCENTCLOUD_CREDENTIALS_FILE", chosen.to_str().unwrap()),
            ("TENCENTCLOUD_PROFILE", "prod"),
        ]))
        .build();
    assert_eq!(
        provider.provide_credentials().unwrap().secret_id(),
        "AKIDprod"
    );
}

#[test]
fn a_path_that_cannot_be_read_is_an_error_naming_it() {
    // A directory where the file should be cannot be read by anyone, root
    // included, so this holds wherever the tests run.
    let dir = TempDir::new("profile-dir");
    std::fs::create_dir_all(dir.path().join("home/.tencentcloud/credentials")).unwrap();
    let e = profile_in(&dir).provide_credentials().unwrap_err();
    let path = dir.path().join("home/.tencentcloud/credentials");
    assert!(
        e.to_string()
            .contains(&format!("cannot read {}", path.display())),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new("profile-perm");
    let path = dir.write("home/.tencentcloud/credentials", PROFILE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root (and anyone with CAP_DAC_OVERRIDE) reads the file anyway; then
    // there is nothing to test here, and the directory test above covers
    // the unreadable case.
    if std::fs::read(&path).is_ok() {
        eprintln!("skipped: this user can read a file with mode 000 (running as root?)");
        return;
    }
    let e = profile_in(&dir).provide_credentials().unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("cannot read {}", path.display())),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// The default chain

/// A chain confined to `dir`, the environment `vars` and the metadata
/// service at `metadata` (a path on a local server).
fn chain(dir: &TempDir, vars: &[(&str, &str)], metadata: String) -> DefaultChain {
    DefaultChain::builder()
        .env(env(vars))
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .metadata_endpoint(metadata)
        .clock(ManualClock::new(NOW).reader())
        .build()
        .unwrap()
}

#[test]
fn the_environment_comes_first() {
    let dir = TempDir::new("chain-env");
    dir.write("home/.tencentcloud/credentials", PROFILE);
    let server = metadata_server(|_| Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)));
    let chain = chain(
        &dir,
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
            ("TENCENTCLOUD_SECRET_KEY", "env-key"),
        ],
        server.url(ROLE_PATH),
    );
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDenv");
    assert!(server.requests().is_empty());
}

#[test]
fn a_half_set_environment_ends_the_chain_with_its_error() {
    let dir = TempDir::new("chain-half-env");
    dir.write("home/.tencentcloud/credentials", PROFILE);
    let chain = chain(
        &dir,
        &[("TENCENTCLOUD_SECRET_ID", "AKIDenv")],
        "http://127.0.0.1:9/".into(),
    );
    let e = chain.provide_credentials().unwrap_err();
    assert!(
        e.to_string().contains("TENCENTCLOUD_SECRET_KEY is not"),
        "{e}"
    );
}

#[test]
fn the_profile_file_is_read_once_and_remembered() {
    let dir = TempDir::new("chain-profile");
    let path = dir.write("home/.tencentcloud/credentials", PROFILE);
    let chain = chain(&dir, &[], "http://127.0.0.1:9/".into());
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDhome");
    std::fs::remove_file(path).unwrap();
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDhome");
    assert!(format!("{chain:?}").contains("profile file"));
}

#[test]
fn a_broken_profile_file_is_not_skipped_for_the_metadata_service() {
    let dir = TempDir::new("chain-broken-profile");
    dir.write(
        "home/.tencentcloud/credentials",
        "[default]\nsecret_id = AKIDx\n",
    );
    let server = metadata_server(|_| Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)));
    let chain = chain(&dir, &[], server.url(ROLE_PATH));
    let e = chain.provide_credentials().unwrap_err();
    assert!(e.to_string().contains("has no secret_key"), "{e}");
    assert!(server.requests().is_empty());
}

#[test]
fn the_cvm_role_is_used_when_nothing_else_is_set_up_and_then_remembered() {
    let dir = TempDir::new("chain-cvm");
    let server = metadata_server(|_| Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)));
    let clock = ManualClock::new(NOW);
    let chain = DefaultChain::builder()
        .env(env(&[]))
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .metadata_endpoint(server.url(ROLE_PATH))
        .clock(clock.reader())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDcvm");
    }
    // One probe for the role's name, one refresh asking it again and
    // fetching the credentials; later calls are served from the cache.
    assert_eq!(server.count(ROLE_PATH), 2);
    assert_eq!(server.count(CREDS_PATH), 1);
}

#[test]
fn concurrent_first_calls_search_once() {
    let dir = TempDir::new("chain-concurrent");
    let server = metadata_server(|_| {
        Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)).after(Duration::from_millis(200))
    });
    let chain = Arc::new(chain(&dir, &[], server.url(ROLE_PATH)));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let chain = Arc::clone(&chain);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                chain.provide_credentials().unwrap().secret_id().to_owned()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), "AKIDcvm");
    }
    assert_eq!(server.count(CREDS_PATH), 1);
    assert_eq!(server.count(ROLE_PATH), 2);
}

#[test]
fn concurrent_first_calls_share_a_failed_search() {
    let dir = TempDir::new("chain-concurrent-fail");
    let server =
        Server::start(|_| Answer::status(404, "no role").after(Duration::from_millis(300)));
    let chain = Arc::new(chain(&dir, &[], server.url(ROLE_PATH)));
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let chain = Arc::clone(&chain);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                chain_text(&chain.provide_credentials().unwrap_err())
            })
        })
        .collect();
    for thread in threads {
        let text = thread.join().unwrap();
        assert!(text.contains("no CAM role is bound"), "{text}");
    }
    // A thread that reached the lock only after the failure was reported
    // searches again, so allow one more, but not one each.
    assert!(server.count(ROLE_PATH) <= 2, "{}", server.count(ROLE_PATH));
}

#[test]
fn a_metadata_service_that_names_a_role_but_fails_ends_the_chain() {
    let dir = TempDir::new("chain-cvm-fails");
    let server = metadata_server(|_| Answer::status(500, "down"));
    let chain = chain(&dir, &[], server.url(ROLE_PATH));
    let e = chain.provide_credentials().unwrap_err();
    assert!(e.to_string().contains("cvm instance role"), "{e}");
    assert_eq!(root(&e).status(), Some(500));
}

#[test]
fn tke_oidc_is_the_last_link() {
    let dir = TempDir::new("chain-tke");
    let token_file = dir.write("token", "oidc-token");
    let sts = sts_server(|_| Answer::ok(sts_json("AKIDtke", "k", "t", NOW + 3600)));
    let metadata = Server::start(|_| Answer::status(404, "no role"));
    let chain = DefaultChain::builder()
        .env(env(&[
            ("TKE_REGION", "ap-guangzhou"),
            ("TKE_PROVIDER_ID", "OIDC"),
            ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
            ("TKE_ROLE_ARN", ROLE_ARN),
        ]))
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .metadata_endpoint(metadata.url(ROLE_PATH))
        .sts_endpoint(sts.url("/"))
        .clock(ManualClock::new(NOW).reader())
        .build()
        .unwrap();
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDtke");
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDtke");
    assert_eq!(sts.requests().len(), 1);
}

#[test]
fn half_set_tke_variables_end_the_chain_with_an_error() {
    let dir = TempDir::new("chain-tke-half");
    let metadata = Server::start(|_| Answer::status(404, "no role"));
    let chain = chain(&dir, &[("TKE_ROLE_ARN", ROLE_ARN)], metadata.url(ROLE_PATH));
    let e = chain.provide_credentials().unwrap_err();
    assert!(e.to_string().contains("TKE_REGION"), "{e}");
}

#[test]
fn malformed_tke_variables_are_a_credentials_error_naming_the_field() {
    let dir = TempDir::new("chain-tke-bad");
    let metadata = Server::start(|_| Answer::status(404, "no role"));
    let chain = chain(
        &dir,
        &[
            ("TKE_REGION", "ap-guangzhou"),
            ("TKE_PROVIDER_ID", "OIDC"),
            ("TKE_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
            ("TKE_ROLE_ARN", "not-an-arn"),
        ],
        metadata.url(ROLE_PATH),
    );
    let e = chain.provide_credentials().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert_eq!(root(&e).field(), Some("RoleArn"));
}

#[test]
fn nothing_found_lists_every_link_quickly_even_when_metadata_never_answers() {
    // The default metadata timeouts (1 s to connect, 2 s in all) against a
    // server that accepts and never answers.
    let dir = TempDir::new("chain-nothing");
    let server = Server::start(|_| Answer::hang());
    let chain = chain(&dir, &[], server.url(ROLE_PATH));

    let started = Instant::now();
    let e = chain.provide_credentials().unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    assert_eq!(e.kind(), ErrorKind::Credentials);
    let text = e.to_string();
    for expected in [
        "environment: no credentials in the environment",
        "profile file: no file at",
        "cvm instance role: no role from the metadata service",
        "tke oidc: TKE_REGION",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    assert!(
        text.contains("timed out") || text.contains("in time"),
        "{text}"
    );
}

#[test]
fn a_failed_search_is_tried_again_on_the_next_call() {
    let dir = TempDir::new("chain-retry");
    let chain = chain(&dir, &[], "http://127.0.0.1:9/".into());
    assert!(chain.provide_credentials().is_err());
    dir.write("home/.tencentcloud/credentials", PROFILE);
    assert_eq!(chain.provide_credentials().unwrap().secret_id(), "AKIDhome");
}

#[test]
fn the_metadata_probe_can_be_switched_off() {
    let dir = TempDir::new("chain-no-metadata");
    let server = metadata_server(|_| Answer::ok(metadata_json("AKIDcvm", "k", "t", NOW + 3600)));

    let by_env = chain(
        &dir,
        &[("SCF_INVOKE_METADATA_DISABLED", "1")],
        server.url(ROLE_PATH),
    );
    let text = chain_text(&by_env.provide_credentials().unwrap_err());
    assert!(
        text.contains("switched off by SCF_INVOKE_METADATA_DISABLED"),
        "{text}"
    );

    let by_builder = DefaultChain::builder()
        .env(env(&[]))
        .home_dir(dir.path().join("home"))
        .system_file(dir.path().join("etc/credentials"))
        .metadata_endpoint(server.url(ROLE_PATH))
        .instance_role(false)
        .build()
        .unwrap();
    let text = chain_text(&by_builder.provide_credentials().unwrap_err());
    assert!(
        text.contains("switched off when the chain was built"),
        "{text}"
    );
    assert!(server.requests().is_empty());

    // And the same chain with the probe on does reach the server.
    let on = chain(&dir, &[], server.url(ROLE_PATH));
    assert_eq!(on.provide_credentials().unwrap().secret_id(), "AKIDcvm");
}
