//! The `scf-invoke` binary: exit statuses, stdout and stderr, and that
//! invalid input sends nothing.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use support::{
    error_body, success_body, ConnectProxy, Reply, TempDir, TestServer, SECRET_ID, SECRET_KEY,
    TOKEN,
};

const BIN: &str = env!("CARGO_BIN_EXE_scf-invoke");

/// Runs the binary with a clean environment holding only the test's
/// credentials, so nothing from the machine it runs on leaks in, and with
/// the CVM metadata probe off, so no test looks beyond loopback.
fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        .env("TENCENTCLOUD_TOKEN", TOKEN)
        .env("TENCENTCLOUD_REGION", "ap-guangzhou")
        .env("SCF_INVOKE_METADATA_DISABLED", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the binary and checks it exits 2 (usage error or invalid input),
/// names the problem on stderr, and prints nothing on stdout.
fn assert_refused_before_sending(args: &[&str], expected: &str) {
    let out = run(args, None);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(text(&out.stdout).is_empty(), "{args:?}");
}

#[test]
fn a_successful_invocation_prints_the_return_value() {
    let server = TestServer::start(vec![Reply::Json(success_body("{\"sum\":3}", "req-1"))]);
    let out = run(
        &[
            "invoke",
            "adder",
            "--payload",
            "[1,2]",
            "--endpoint",
            &server.url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"sum\":3}\n");

    let r = &server.finish()[0];
    assert!(r.signature_valid);
    assert_eq!(r.header("x-tc-token"), Some(TOKEN));
    assert_eq!(r.json()["ClientContext"], "[1,2]");
}

#[test]
fn json_output_carries_the_request_id_and_log_goes_to_stderr() {
    let server = TestServer::start(vec![Reply::Json(success_body("\"ok\"", "req-json"))]);
    let out = run(
        &[
            "invoke",
            "hello",
            "--json",
            "--log",
            "--qualifier",
            "2",
            "--endpoint",
            &server.url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed["RequestId"], "req-json");
    assert_eq!(printed["RetMsg"], "\"ok\"");
    assert!(
        text(&out.stderr).contains("START RequestId"),
        "{}",
        text(&out.stderr)
    );
    let body = server.finish()[0].json();
    assert_eq!(
        (body["LogType"].as_str(), body["Qualifier"].as_str()),
        (Some("Tail"), Some("2"))
    );
}

#[test]
fn every_option_reaches_the_request() {
    let server = TestServer::start(vec![
        Reply::Json(success_body("", "r1")),
        Reply::Json(success_body("", "r2")),
    ]);
    let out = run(
        &[
            "invoke",
            "hello",
            "--payload-file",
            "-",
            "--namespace",
            "ns1",
            "--routing-key",
            "{\"v\":\"2\"}",
            "--async",
            "--region",
            "ap-shanghai",
            "--endpoint",
            &server.url,
        ],
        Some("{\"from\":\"stdin\"}"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "f-1\n",
        "--async prints the FunctionRequestId"
    );
    let out = run(
        &[
            "invoke",
            "hello",
            "--action",
            "InvokeFunction",
            "--payload",
            "{}",
            "--unsigned-payload",
            "--endpoint",
            &server.url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let received = server.finish();
    let first = &received[0];
    assert_eq!(first.header("x-tc-region"), Some("ap-shanghai"));
    assert_eq!(
        first.json(),
        serde_json::json!({
            "FunctionName": "hello",
            "InvocationType": "Event",
            "ClientContext": "{\"from\":\"stdin\"}",
            "Namespace": "ns1",
            "RoutingKey": "{\"v\":\"2\"}",
        })
    );
    assert_eq!(first.header("x-tc-content-sha256"), None);
    assert_eq!(received[1].header("x-tc-action"), Some("InvokeFunction"));
    assert_eq!(received[1].json()["Event"], "{}");
    assert_eq!(
        received[1].header("x-tc-content-sha256"),
        Some("UNSIGNED-PAYLOAD")
    );
    assert!(received.iter().all(|r| r.signature_valid));
}

#[test]
fn a_failed_function_exits_1_with_its_error_on_stderr() {
    let body = serde_json::json!({ "Response": { "Result": {
        "RetMsg": "", "ErrMsg": "division by zero", "InvokeResult": 1,
        "FunctionRequestId": "f" }, "RequestId": "req-f" } });
    let server = TestServer::start(vec![Reply::Json(body.to_string())]);
    let out = run(&["invoke", "hello", "--endpoint", &server.url], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).contains("division by zero"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_service_error_exits_3_with_code_message_and_request_id() {
    let server = TestServer::start(vec![Reply::Json(error_body(
        "ResourceNotFound.FunctionName",
        "function not found",
        "req-404",
    ))]);
    let out = run(&["invoke", "nope", "--endpoint", &server.url], None);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    for part in [
        "ResourceNotFound.FunctionName",
        "function not found",
        "req-404",
    ] {
        assert!(stderr.contains(part), "{stderr}");
    }
}

#[test]
fn a_transport_failure_exits_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let out = run(&["invoke", "hello", "--endpoint", &endpoint], None);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));

    let slow = Reply::Delay(
        std::time::Duration::from_secs(3),
        Box::new(Reply::Json(success_body("", "r"))),
    );
    let server = TestServer::start(vec![slow]);
    let out = run(
        &[
            "invoke",
            "hello",
            "--timeout",
            "0.3",
            "--endpoint",
            &server.url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn usage_errors_and_invalid_input_exit_2_and_send_nothing() {
    let server = TestServer::start(vec![Reply::Json(success_body("", "never"))]);
    let url = server.url.clone();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["invoke"], "FUNCTION is required"),
        (
            vec!["invoke", "hello", "--payload", "{oops", "--endpoint", &url],
            "ClientContext",
        ),
        (vec!["invoke", "9bad", "--endpoint", &url], "FunctionName"),
        (
            vec![
                "invoke",
                "hello",
                "--routing-key",
                "[1]",
                "--endpoint",
                &url,
            ],
            "--routing-key",
        ),
        (
            vec![
                "invoke",
                "hello",
                "--payload-file",
                "/nonexistent/x",
                "--endpoint",
                &url,
            ],
            "cannot read",
        ),
        (
            vec!["invoke", "hello", "--endpoint", "http://192.0.2.1:9000"],
            "loopback",
        ),
        (
            vec![
                "invoke",
                "hello",
                "--region",
                "Bad Region",
                "--endpoint",
                &url,
            ],
            "region",
        ),
        (vec!["invoke", "hello", "--unknown"], "unknown"),
    ];
    for (args, expected) in cases {
        assert_refused_before_sending(&args, expected);
    }
    assert!(
        server.received().is_empty(),
        "invalid input reached the server"
    );
}

#[test]
fn missing_credentials_exit_2_and_send_nothing() {
    let server = TestServer::start(vec![Reply::Json(success_body("", "never"))]);
    let out = Command::new(BIN)
        .args([
            "invoke",
            "hello",
            "--region",
            "ap-guangzhou",
            "--endpoint",
            &server.url,
        ])
        .env_clear()
        .env("SCF_INVOKE_METADATA_DISABLED", "1")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("TENCENTCLOUD_SECRET_ID"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.received().is_empty());
}

#[test]
fn no_secret_is_printed_even_at_the_highest_verbosity() {
    let server = TestServer::start(vec![
        Reply::Json(success_body("\"ok\"", "r1")),
        Reply::Json(error_body("AuthFailure.SignatureFailure", "bad", "r2")),
    ]);
    let mut printed = String::new();
    for _ in 0..2 {
        let out = run(
            &[
                "invoke",
                "hello",
                "-vv",
                "--json",
                "--endpoint",
                &server.url,
            ],
            None,
        );
        printed.push_str(&text(&out.stdout));
        printed.push_str(&text(&out.stderr));
    }
    let received = server.finish();
    assert!(printed.contains("TRACE"), "-vv shows trace logs: {printed}");
    let mut secrets = vec![
        SECRET_KEY.to_owned(),
        TOKEN.to_owned(),
        "Signature=".to_owned(),
    ];
    for r in &received {
        let authorization = r.header("authorization").unwrap();
        secrets.push(authorization.rsplit('=').next().unwrap().to_owned());
    }
    for secret in secrets {
        assert!(!printed.contains(&secret), "{secret} printed:\n{printed}");
    }
}

#[test]
fn help_documents_the_exit_statuses() {
    for args in [
        &["--help"][..],
        &["invoke", "--help"][..],
        &["emulate", "--help"][..],
    ] {
        let out = run(args, None);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
    let out = run(&["invoke", "--help"], None);
    assert!(text(&out.stdout).contains("3 service error"));
}

/// Starts `scf-invoke emulate` and returns it with the URL it printed.
#[cfg(unix)]
fn start_emulator(extra: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = Command::new(BIN)
        .args(["emulate", "--listen", "127.0.0.1:0"])
        .args(extra)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the emulator starts");
    let mut first = String::new();
    let stdout = child.stdout.take().unwrap();
    std::io::BufReader::new(stdout)
        .read_line(&mut first)
        .unwrap();
    (child, first.trim().to_owned())
}

/// Sends SIGTERM and waits (at most 10 s) for the process to exit.
#[cfg(unix)]
fn terminate(mut child: std::process::Child) -> Option<i32> {
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[cfg(unix)]
#[test]
fn emulate_serves_the_demo_pair_and_stops_cleanly_on_sigterm() {
    let (child, url) =
        start_emulator(&["--function", "echo=echo", "--function", "upper=tr a-z A-Z"]);
    assert!(url.starts_with("http://127.0.0.1:"), "first line: {url:?}");

    let invoke = |function: &str, payload: &str| {
        Command::new(BIN)
            .args([
                "invoke",
                function,
                "--payload",
                payload,
                "--region",
                "ap-guangzhou",
            ])
            .args(["--endpoint", &url])
            .env_clear()
            .env(
                "TENCENTCLOUD_SECRET_ID",
                "AKIDSCFINVOKEDEMO0000000000000000000",
            )
            .env("TENCENTCLOUD_SECRET_KEY", "scf-invoke-demo-secret-key")
            .env("SCF_INVOKE_METADATA_DISABLED", "1")
            .output()
            .unwrap()
    };
    let out = invoke("echo", "{\"a\":[1,2]}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "{\"a\":[1,2]}\n");
    let out = invoke("upper", "\"shout\"");
    assert_eq!(text(&out.stdout), "\"SHOUT\"\n", "{}", text(&out.stderr));
    let out = invoke("missing", "{}");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("ResourceNotFound.FunctionName"));

    assert_eq!(terminate(child), Some(0), "the emulator exits 0 on SIGTERM");
}

#[cfg(unix)]
#[test]
fn emulate_rejects_a_signature_made_with_another_key() {
    let (child, url) = start_emulator(&[
        "--secret-id",
        SECRET_ID,
        "--secret-key",
        SECRET_KEY,
        "--function",
        "echo=echo",
    ]);
    let out = Command::new(BIN)
        .args([
            "invoke",
            "echo",
            "--region",
            "ap-guangzhou",
            "--endpoint",
            &url,
        ])
        .env_clear()
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", "some-other-key")
        .env("SCF_INVOKE_METADATA_DISABLED", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("AuthFailure.SignatureFailure"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(terminate(child), Some(0));
}

#[test]
fn emulate_refuses_a_bad_listen_address() {
    let out = run(&["emulate", "--listen", "not-an-address"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--listen"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn throttled_calls_are_retried_unless_retries_is_1() {
    let throttled = || Reply::Json(error_body("RequestLimitExceeded", "slow down", "req-t"));
    let server = TestServer::start(vec![
        throttled(),
        Reply::Json(success_body("\"second try\"", "r")),
        throttled(),
    ]);
    let out = run(&["invoke", "hello", "--endpoint", &server.url], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "\"second try\"\n");

    let out = run(
        &[
            "invoke",
            "hello",
            "--retries",
            "1",
            "--endpoint",
            &server.url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("RequestLimitExceeded"));
    assert_eq!(server.finish().len(), 3);
}

#[test]
fn network_options_are_checked_before_sending() {
    let server = TestServer::start(vec![Reply::Json(success_body("1", "r"))]);
    let url = server.url.clone();
    for (args, expected) in [
        (
            vec!["invoke", "hello", "--retries", "0", "--endpoint", &url],
            "--retries",
        ),
        (
            vec![
                "invoke",
                "f",
                "--ca-cert",
                "/nonexistent.pem",
                "--endpoint",
                &url,
            ],
            "--ca-cert",
        ),
        (
            vec![
                "invoke",
                "hello",
                "--proxy",
                "not a url",
                "--endpoint",
                &url,
            ],
            "proxy",
        ),
        (
            vec![
                "invoke",
                "hello",
                "--clock-offset",
                "soon",
                "--endpoint",
                &url,
            ],
            "--clock-offset",
        ),
    ] {
        assert_refused_before_sending(&args, expected);
    }
    assert!(server.received().is_empty());
}

#[test]
fn tke_credentials_are_fetched_through_the_proxy_option_not_the_environment_s() {
    // The CLI always asks the real STS host. Both proxies record the tunnel
    // asked for and open none but to loopback, so nothing leaves the
    // machine, whichever is (wrongly) used.
    let server = TestServer::start(vec![Reply::Json(success_body("", "never"))]);
    let dir = TempDir::new("cli-tke-proxy");
    let token_file = dir.write("token", "oidc-token");
    let option_proxy = ConnectProxy::start();
    let env_proxy = ConnectProxy::start();
    let out = Command::new(BIN)
        .args(["invoke", "hello", "--region", "ap-guangzhou"])
        .args(["--endpoint", &server.url, "--proxy", &option_proxy.url()])
        .env_clear()
        .env("SCF_INVOKE_METADATA_DISABLED", "1")
        .env("HOME", dir.path())
        .env("TKE_REGION", "ap-guangzhou")
        .env("TKE_PROVIDER_ID", "OIDC")
        .env("TKE_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .env("TKE_ROLE_ARN", "qcs::cam::uin/100000000001:roleName/r")
        .env("https_proxy", env_proxy.url())
        .output()
        .unwrap();

    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        option_proxy.tunnels(),
        ["CONNECT sts.tencentcloudapi.com:443 HTTP/1.1"],
        "{stderr}"
    );
    assert_eq!(env_proxy.connections(), 0, "{stderr}");
    assert!(server.received().is_empty());
}

#[cfg(any(feature = "rustls", feature = "native-tls"))]
#[test]
fn insecure_is_never_silent() {
    let server = TestServer::start(vec![Reply::Json(success_body("1", "r"))]);
    let out = run(
        &["invoke", "hello", "--insecure", "--endpoint", &server.url],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("warning: --insecure"),
        "{}",
        text(&out.stderr)
    );
}
