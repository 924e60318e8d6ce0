//! No secret reaches a log record, a `Debug` or `Display` of a provider, or
//! an error, whatever the providers go through.
//!
//! A logger is global to the process, so this file is its own test binary
//! with a single test: it installs a logger capturing every record at trace
//! level (the crate's and ureq's), drives every provider through success and
//! failure with recognisable secrets, and then searches everything captured.
//!
//! One kind of record is set aside: `ureq_proto`'s trace records, which are
//! hex dumps of the bytes on the wire. ureq documents its trace level as
//! "wire level debug. NOT REDACTED!", and those dumps do hold the tokens
//! sent and the credentials received; no library above ureq can redact
//! them. The crate documentation warns against enabling trace for ureq's
//! targets. Every other record, from this crate and from ureq, is searched.

mod support;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use scf_invoke::credentials::{
    AssumeRoleCredentials, CachedCredentials, Credentials, DefaultChain, EnvironmentCredentials,
    InstanceRoleCredentials, ProfileCredentials, ProvideCredentials, WebIdentityCredentials,
};
use scf_invoke::Error;
use support::{env, metadata_json, sts_json, Answer, ConnectProxy, ManualClock, Server, TempDir};

const NOW: u64 = 1_700_000_000;
const ROLE_ARN: &str = "qcs::cam::uin/100000000001:roleName/scf-invoker";

// Every secret below is unique enough that finding it anywhere is a leak.
const ENV_ID: &str = "AKIDENVFULLIDENTIFIER";
const ENV_KEY: &str = "env-secret-key-4f1d";
const ENV_TOKEN: &str = "env-session-token-77a2";
const PROFILE_ID: &str = "AKIDPROFILEFULLIDENTIFIER";
const PROFILE_KEY: &str = "profile-secret-key-90be";
const PROFILE_TOKEN: &str = "profile-token-c3d0";
const STRAY_LINE: &str = "stray-pasted-secret-5a5a";
const CVM_ID: &str = "AKIDCVMFULLIDENTIFIER";
const CVM_KEY: &str = "cvm-tmp-secret-key-1e2f";
const CVM_TOKEN: &str = "cvm-tmp-token-8c8c";
const BROKEN_KEY: &str = "broken-answer-secret-key-6b6b";
const SOURCE_ID: &str = "AKIDSOURCEFULLIDENTIFIER";
const SOURCE_KEY: &str = "source-secret-key-2d2d";
const SOURCE_TOKEN: &str = "source-token-3e3e";
const ROLE_ID: &str = "AKIDROLEFULLIDENTIFIER";
const ROLE_KEY: &str = "role-tmp-secret-key-9f9f";
const ROLE_TOKEN: &str = "role-tmp-token-0a0a";
const OIDC_TOKEN: &str = "oidc-web-identity-token-7b7b";
const OIDC_KEY: &str = "oidc-tmp-secret-key-4c4c";
const URL_PASSWORD: &str = "url-password-1d1d";
const PROXY_PASSWORD: &str = "proxy-password-5e5e";

static CAPTURED: Mutex<String> = Mutex::new(String::new());
static RECORDS: AtomicUsize = AtomicUsize::new(0);
static WIRE_DUMPS: AtomicUsize = AtomicUsize::new(0);

struct CaptureLogger;

impl log::Log for CaptureLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        RECORDS.fetch_add(1, Ordering::SeqCst);
        if record.level() == log::Level::Trace && record.target().starts_with("ureq_proto") {
            WIRE_DUMPS.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let mut captured = CAPTURED.lock().unwrap();
        let _ = writeln!(
            captured,
            "{} {} {}",
            record.level(),
            record.target(),
            record.args()
        );
    }

    fn flush(&self) {}
}

static LOGGER: CaptureLogger = CaptureLogger;

/// Everything a user could print: Display, Debug (plain and pretty) and
/// every cause's.
fn show_error(out: &mut String, error: &Error) {
    let _ = writeln!(out, "{error}\n{error:?}\n{error:#?}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let _ = writeln!(out, "{cause}\n{cause:?}");
        source = cause.source();
    }
}

fn show<T: std::fmt::Debug>(out: &mut String, value: &T) {
    let _ = writeln!(out, "{value:?}\n{value:#?}");
}

#[test]
fn no_secret_appears_in_logs_debug_display_or_errors() {
    log::set_logger(&LOGGER).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let mut shown = String::new();
    let clock = ManualClock::new(NOW);

    // The environment.
    let creds = EnvironmentCredentials::from_lookup(env(&[
        ("TENCENTCLOUD_SECRET_ID", ENV_ID),
        ("TENCENTCLOUD_SECRET_KEY", ENV_KEY),
        ("TENCENTCLOUD_TOKEN", ENV_TOKEN),
    ]))
    .unwrap();
    show(&mut shown, &creds);
    show(&mut shown, &EnvironmentCredentials::new());

    // A profile file, then one with a stray secret on a line of its own.
    let dir = TempDir::new("redaction");
    let good = dir.write(
        "good",
        &format!(
            "[default]\nsecret_id={PROFILE_ID}\nsecret_key={PROFILE_KEY}\ntoken={PROFILE_TOKEN}\n"
        ),
    );
    let profile = ProfileCredentials::builder().file(&good).build();
    show(&mut shown, &profile.provide_credentials().unwrap());
    show(&mut shown, &profile);
    let bad = dir.write(
        "bad",
        &format!("[default]\nsecret_id={PROFILE_ID}\n{STRAY_LINE}\n"),
    );
    let e = ProfileCredentials::builder()
        .file(&bad)
        .build()
        .provide_credentials()
        .unwrap_err();
    show_error(&mut shown, &e);

    // The CVM role: a good answer, then a broken one holding a secret while
    // the credentials are still valid (a warn record), then after expiry.
    let calls = AtomicUsize::new(0);
    let metadata = Server::start(move |request| {
        if request.path == "/meta/" {
            return Answer::ok("scf-role");
        }
        match calls.fetch_add(1, Ordering::SeqCst) {
            0 => Answer::ok(metadata_json(CVM_ID, CVM_KEY, CVM_TOKEN, NOW + 3600)),
            1 => Answer::ok(format!(
                r#"{{"TmpSecretKey":"{BROKEN_KEY}","Code":"Success""#
            )),
            _ => Answer::ok(format!(
                r#"{{"TmpSecretKey":"{BROKEN_KEY}","TmpSecretId":42,"Code":"Success"}}"#
            )),
        }
    });
    let cvm = InstanceRoleCredentials::builder()
        .endpoint(metadata.url("/meta/"))
        .clock(clock.reader())
        .build()
        .unwrap();
    show(&mut shown, &cvm.provide_credentials().unwrap());
    show(&mut shown, &cvm);
    clock.advance(3500);
    show(&mut shown, &cvm.provide_credentials().unwrap());
    clock.advance(200);
    show_error(&mut shown, &cvm.provide_credentials().unwrap_err());
    show(&mut shown, &cvm);

    // AssumeRole: signed with a source holding a token; then a service error.
    let sts_calls = AtomicUsize::new(0);
    let sts = Server::start(move |_| match sts_calls.fetch_add(1, Ordering::SeqCst) {
        0 => Answer::ok(sts_json(ROLE_ID, ROLE_KEY, ROLE_TOKEN, NOW + 7200)),
        _ => Answer::ok(
            r#"{"Response":{"Error":{"Code":"AuthFailure.TokenFailure","Message":"bad token"},
            "RequestId":"r-1"}}"#,
        ),
    });
    let source = Credentials::new(SOURCE_ID, SOURCE_KEY).with_token(SOURCE_TOKEN);
    let assume = AssumeRoleCredentials::builder(source, ROLE_ARN, "redaction-test")
        .endpoint(sts.url("/"))
        .clock(clock.reader())
        .build()
        .unwrap();
    show(&mut shown, &assume.provide_credentials().unwrap());
    show(&mut shown, &assume);
    clock.advance(7200);
    show_error(&mut shown, &assume.provide_credentials().unwrap_err());
    let signature = sts.requests()[0]
        .header("Authorization")
        .and_then(|value| value.split("Signature=").nth(1))
        .unwrap()
        .to_owned();

    // AssumeRoleWithWebIdentity, then an answer missing a field.
    let token_file = dir.write("token", OIDC_TOKEN);
    let oidc_calls = AtomicUsize::new(0);
    let oidc = Server::start(move |_| match oidc_calls.fetch_add(1, Ordering::SeqCst) {
        0 => Answer::ok(sts_json(
            "AKIDOIDC",
            OIDC_KEY,
            "oidc-tmp-token",
            NOW + 20_000,
        )),
        _ => Answer::ok(format!(
            r#"{{"Response":{{"Credentials":{{"TmpSecretKey":"{OIDC_KEY}"}}}}}}"#
        )),
    });
    let web = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
        .endpoint(oidc.url("/"))
        .clock(clock.reader())
        .build()
        .unwrap();
    show(&mut shown, &web.provide_credentials().unwrap());
    show(&mut shown, &web);
    clock.advance(20_000);
    show_error(&mut shown, &web.provide_credentials().unwrap_err());

    // The chain, found and not found, and a cache of fixed credentials.
    let chain = DefaultChain::builder()
        .env(env(&[
            ("TENCENTCLOUD_SECRETID", ENV_ID),
            ("TENCENTCLOUD_SECRETKEY", ENV_KEY),
            ("TENCENTCLOUD_SESSIONTOKEN", ENV_TOKEN),
        ]))
        .metadata_endpoint("http://127.0.0.1:9/")
        .build()
        .unwrap();
    show(&mut shown, &chain.provide_credentials().unwrap());
    show(&mut shown, &chain);
    let no_role = Server::start(|_| Answer::status(404, "no role"));
    let empty = DefaultChain::builder()
        .env(env(&[]))
        .home_dir(dir.path().join("nohome"))
        .system_file(dir.path().join("nofile"))
        .metadata_endpoint(no_role.url("/meta/"))
        .metadata_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    show_error(&mut shown, &empty.provide_credentials().unwrap_err());
    show(&mut shown, &empty);
    let cached = CachedCredentials::new(Credentials::new(SOURCE_ID, SOURCE_KEY));
    cached.provide_credentials().unwrap();
    show(&mut shown, &cached);

    // STS through a proxy whose URL holds a password: through a working
    // proxy (ureq sends the password in Proxy-Authorization), then through
    // one where nothing listens, then one named by the chain's environment
    // with a scheme no proxy speaks.
    let proxy = ConnectProxy::start();
    let with_password = |addr: &str| format!("http://user:{PROXY_PASSWORD}@{addr}");
    let source = Credentials::new(SOURCE_ID, SOURCE_KEY);
    let through = AssumeRoleCredentials::builder(source, ROLE_ARN, "via-proxy")
        .endpoint(sts.url("/"))
        .proxy(with_password(&proxy.addr().to_string()))
        .clock(clock.reader());
    show(&mut shown, &through);
    let through = through.build().unwrap();
    // The STS server's first answer is spent, so this one is its error.
    show_error(&mut shown, &through.provide_credentials().unwrap_err());
    show(&mut shown, &through);
    let proxy_authorization = proxy.authorizations()[0].clone().unwrap();
    let source = Credentials::new(SOURCE_ID, SOURCE_KEY);
    let nowhere = AssumeRoleCredentials::builder(source, ROLE_ARN, "via-proxy")
        .endpoint(sts.url("/"))
        .proxy(with_password("127.0.0.1:9"))
        .build()
        .unwrap();
    show(&mut shown, &nowhere);
    show_error(&mut shown, &nowhere.provide_credentials().unwrap_err());
    let web = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
        .endpoint(oidc.url("/"))
        .proxy(with_password("127.0.0.1:9"));
    show(&mut shown, &web);
    let web = web.build().unwrap();
    show(&mut shown, &web);
    show_error(&mut shown, &web.provide_credentials().unwrap_err());
    let tke = [
        ("TKE_REGION", "ap-guangzhou"),
        ("TKE_PROVIDER_ID", "OIDC"),
        ("TKE_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("TKE_ROLE_ARN", ROLE_ARN),
    ];
    let chain = DefaultChain::builder()
        .env(env(&tke))
        .instance_role(false)
        .home_dir(dir.path().join("nohome"))
        .system_file(dir.path().join("nofile"))
        .sts_endpoint(oidc.url("/"))
        .sts_proxy(with_password("127.0.0.1:9"));
    show(&mut shown, &chain);
    let chain = chain.build().unwrap();
    show_error(&mut shown, &chain.provide_credentials().unwrap_err());
    show(&mut shown, &chain);
    let bad_scheme = format!("ftp://user:{PROXY_PASSWORD}@127.0.0.1:21");
    let mut tke_with_bad_proxy = tke.to_vec();
    tke_with_bad_proxy.push(("https_proxy", bad_scheme.as_str()));
    let chain = DefaultChain::builder()
        .env(env(&tke_with_bad_proxy))
        .instance_role(false)
        .home_dir(dir.path().join("nohome"))
        .system_file(dir.path().join("nofile"))
        // Not loopback, so that the environment's proxy applies, but on
        // this machine: nothing is sent even if the proxy were ignored.
        .sts_endpoint("https://0.0.0.0:9/")
        .build()
        .unwrap();
    show_error(&mut shown, &chain.provide_credentials().unwrap_err());
    let source = Credentials::new(SOURCE_ID, SOURCE_KEY);
    let refused = AssumeRoleCredentials::builder(source, ROLE_ARN, "x").proxy(&bad_scheme);
    show(&mut shown, &refused);
    show_error(&mut shown, &refused.build().unwrap_err());
    let refused = DefaultChain::builder().sts_proxy(&bad_scheme);
    show(&mut shown, &refused);
    show_error(&mut shown, &refused.build().unwrap_err());
    assert_eq!(proxy.tunnels().len(), 1, "the working proxy was used once");
    assert!(shown.contains("http://***@127.0.0.1:9"), "{shown}");

    // Now search everything.
    let logged = CAPTURED.lock().unwrap().clone();
    assert!(
        RECORDS.load(Ordering::SeqCst) > 0,
        "the logger captured nothing"
    );
    assert!(
        logged.contains("TRACE scf_invoke"),
        "trace records must be captured"
    );
    assert!(
        logged.contains("DEBUG ureq"),
        "ureq's records must be captured"
    );
    assert!(
        WIRE_DUMPS.load(Ordering::SeqCst) > 0,
        "ureq_proto's dumps were expected"
    );
    assert!(
        logged.contains("refreshed temporary credentials"),
        "{logged}"
    );
    assert!(
        logged.contains("go through the proxy http://***@"),
        "the proxy chosen must be logged:\n{logged}"
    );
    assert!(
        logged.contains("WARN"),
        "the failed refresh must log at warn:\n{logged}"
    );
    // Endpoints given with a password in them: printed before they are
    // checked, then refused.
    let with_password = format!("https://user:{URL_PASSWORD}@sts.example.com");
    let chain = DefaultChain::builder().sts_endpoint(&with_password);
    show(&mut shown, &chain);
    show_error(&mut shown, &chain.build().unwrap_err());
    let cvm = InstanceRoleCredentials::builder().endpoint(&with_password);
    show(&mut shown, &cvm);
    show_error(&mut shown, &cvm.build().unwrap_err());
    let source = Credentials::new(SOURCE_ID, SOURCE_KEY);
    let assume = AssumeRoleCredentials::builder(source, ROLE_ARN, "x").endpoint(&with_password);
    show(&mut shown, &assume);
    show_error(&mut shown, &assume.build().unwrap_err());
    let web = WebIdentityCredentials::builder("ap-guangzhou", "OIDC", ROLE_ARN, &token_file)
        .endpoint(&with_password);
    show(&mut shown, &web);
    show_error(&mut shown, &web.build().unwrap_err());
    assert!(shown.contains("***@sts.example.com"), "{shown}");

    let secrets = [
        ENV_ID,
        ENV_KEY,
        ENV_TOKEN,
        PROFILE_ID,
        PROFILE_KEY,
        PROFILE_TOKEN,
        STRAY_LINE,
        CVM_ID,
        CVM_KEY,
        CVM_TOKEN,
        BROKEN_KEY,
        SOURCE_ID,
        SOURCE_KEY,
        SOURCE_TOKEN,
        ROLE_ID,
        ROLE_KEY,
        ROLE_TOKEN,
        OIDC_TOKEN,
        OIDC_KEY,
        URL_PASSWORD,
        PROXY_PASSWORD,
        // "user:<PROXY_PASSWORD>" in base64, as sent to the proxy.
        proxy_authorization.trim_start_matches("Basic "),
        signature.as_str(),
    ];
    for secret in secrets {
        assert!(!logged.contains(secret), "{secret} was logged:\n{logged}");
        assert!(!shown.contains(secret), "{secret} was shown:\n{shown}");
    }
}
