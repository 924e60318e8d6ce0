//! The client against a real HTTP server on 127.0.0.1: what reaches the
//! wire, and how every kind of answer (and non-answer) is reported.

mod support;

use std::time::{Duration, Instant, SystemTime};

use scf_invoke::{
    Client, ClientBuilder, Credentials, ErrorKind, InvocationType, InvokeFunctionRequest,
    InvokeRequest, Language, LogType, RetryPolicy, TransportKind,
};
use support::{error_body, success_body, Reply, TestServer, SECRET_ID, SECRET_KEY, TOKEN};

fn client_for(server: &TestServer) -> ClientBuilder {
    Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .endpoint(&server.url)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[test]
fn every_invoke_field_and_header_reaches_the_wire_signed() {
    let server = TestServer::start(vec![Reply::Json(success_body("\"hi\"", "req-1"))]);
    let client = Client::builder()
        .region("ap-shanghai")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY).with_token(TOKEN))
        .endpoint(&server.url)
        .language(Language::EnUs)
        .request_client("it-tests/1")
        .build()
        .unwrap();
    let request = InvokeRequest::new("my-func_01")
        .event(&serde_json::json!({ "n": 1 }))
        .invocation_type(InvocationType::RequestResponse)
        .qualifier("$DEFAULT")
        .log_type(LogType::Tail)
        .namespace("prod")
        .routing_key([("version", "2")]);

    let output = client.invoke(&request).unwrap();
    assert_eq!(output.request_id(), "req-1");
    assert_eq!(output.json::<String>().unwrap(), "hi");

    let authority = server.url.trim_start_matches("http://").to_owned();
    let received = server.finish();
    assert_eq!(received.len(), 1);
    let r = &received[0];
    assert!(
        r.signature_valid,
        "signature did not verify: {:?}",
        r.headers
    );
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/"));
    assert_eq!(r.header("host"), Some(authority.as_str()));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-tc-action"), Some("Invoke"));
    assert_eq!(r.header("x-tc-version"), Some("2018-04-16"));
    assert_eq!(r.header("x-tc-region"), Some("ap-shanghai"));
    assert_eq!(r.header("x-tc-token"), Some(TOKEN));
    assert_eq!(r.header("x-tc-language"), Some("en-US"));
    assert_eq!(r.header("x-tc-content-sha256"), None, "the body is signed");
    let tag = r.header("x-tc-requestclient").unwrap();
    assert_eq!(
        tag,
        format!("scf-invoke/{} it-tests/1", env!("CARGO_PKG_VERSION"))
    );
    let sent: i64 = r.header("x-tc-timestamp").unwrap().parse().unwrap();
    assert!((sent - now()).abs() < 60, "timestamp {sent} is not now");
    assert_eq!(
        r.json(),
        serde_json::json!({
            "FunctionName": "my-func_01",
            "InvocationType": "RequestResponse",
            "Qualifier": "$DEFAULT",
            "ClientContext": "{\"n\":1}",
            "LogType": "Tail",
            "Namespace": "prod",
            "RoutingKey": "{\"version\":\"2\"}",
        })
    );
}

#[test]
fn invoke_function_sends_its_own_action_and_fields() {
    let server = TestServer::start(vec![Reply::Json(success_body("{}", "req-2"))]);
    let client = client_for(&server).build().unwrap();
    let request = InvokeFunctionRequest::new("hello")
        .event_json(r#"{"k":[1,2]}"#)
        .qualifier("3")
        .log_type(LogType::None)
        .namespace("default")
        .routing_key([("a", "b")]);
    client.invoke_function(&request).unwrap();

    let r = &server.finish()[0];
    assert!(r.signature_valid);
    assert_eq!(r.header("x-tc-action"), Some("InvokeFunction"));
    assert_eq!(r.header("x-tc-token"), None);
    assert_eq!(r.header("x-tc-language"), None);
    assert_eq!(
        r.json(),
        serde_json::json!({
            "FunctionName": "hello",
            "Qualifier": "3",
            "Event": "{\"k\":[1,2]}",
            "LogType": "None",
            "Namespace": "default",
            "RoutingKey": "{\"a\":\"b\"}",
        })
    );
}

#[test]
fn non_ascii_events_are_sent_as_utf8_and_signed_over_the_exact_bytes() {
    let server = TestServer::start(vec![Reply::Json(success_body("\"未命名 😀\"", "req-3"))]);
    let client = client_for(&server).build().unwrap();
    let event = serde_json::json!({ "name": "未命名", "emoji": "😀", "quote": "\"\\" });
    let output = client
        .invoke(&InvokeRequest::new("hello").event(&event))
        .unwrap();
    assert_eq!(output.json::<String>().unwrap(), "未命名 😀");

    let r = &server.finish()[0];
    assert!(r.signature_valid);
    let context = r.json()["ClientContext"].as_str().unwrap().to_owned();
    let sent: serde_json::Value = serde_json::from_str(&context).unwrap();
    assert_eq!(sent, event);
    assert!(std::str::from_utf8(&r.body).unwrap().contains("未命名"));
}

#[test]
fn documented_service_errors_keep_code_message_and_request_id() {
    let cases = [
        ("AuthFailure.SignatureFailure", ErrorKind::Service),
        ("AuthFailure.SignatureExpire", ErrorKind::Service),
        ("RequestLimitExceeded", ErrorKind::Service),
        ("ResourceNotFound.FunctionName", ErrorKind::Service),
        ("InvalidParameterValue.Param", ErrorKind::Service),
        ("InternalError", ErrorKind::Service),
    ];
    let replies = cases
        .iter()
        .map(|(code, _)| Reply::Json(error_body(code, "why", "req-e")))
        .collect();
    let server = TestServer::start(replies);
    // One reply per call: no retry of the throttled call, no clock
    // correction after SignatureExpire.
    let client = client_for(&server)
        .retry(RetryPolicy::none())
        .correct_clock_skew(false)
        .build()
        .unwrap();
    for (code, kind) in cases {
        let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
        assert_eq!(e.kind(), kind, "{code}");
        assert_eq!(e.code(), Some(code));
        assert_eq!(e.message(), Some("why"));
        assert_eq!(e.request_id(), Some("req-e"));
        assert_eq!(
            e.is_auth_failure(),
            code.starts_with("AuthFailure"),
            "{code}"
        );
        assert_eq!(
            e.is_signature_expired(),
            code == "AuthFailure.SignatureExpire"
        );
        assert_eq!(e.is_throttled(), code == "RequestLimitExceeded");
        assert_eq!(
            e.is_function_not_found(),
            code == "ResourceNotFound.FunctionName"
        );
        assert!(e.to_string().contains(code), "{e}");
    }
    assert_eq!(server.finish().len(), 6);
}

#[test]
fn a_function_that_failed_is_told_apart_from_a_failed_call() {
    let body = serde_json::json!({ "Response": { "Result": {
        "RetMsg": "", "ErrMsg": "{\"errorMessage\":\"boom\"}", "InvokeResult": 1,
        "FunctionRequestId": "f-9", "Log": "Traceback...", "Duration": 2.0,
        "BillDuration": 2, "MemUsage": 1024 }, "RequestId": "req-4" } });
    let server = TestServer::start(vec![Reply::Json(body.to_string())]);
    let client = client_for(&server).build().unwrap();
    let output = client.invoke(&InvokeRequest::new("hello")).unwrap();
    assert!(output.is_function_error());
    assert_eq!(output.function_error(), Some("{\"errorMessage\":\"boom\"}"));
    assert_eq!(output.invoke_result(), Some(1));
    assert_eq!(output.request_id(), "req-4");
}

#[test]
fn non_200_statuses_report_the_status_and_an_excerpt() {
    let html = format!("<html><body>Bad Gateway{}</body></html>", "x".repeat(2000));
    let server = TestServer::start(vec![
        Reply::Status(502, html),
        Reply::Status(404, "{\"message\":\"not here\"}".into()),
    ]);
    let client = client_for(&server).build().unwrap();

    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert_eq!(e.status(), Some(502));
    let excerpt = e.body_excerpt().unwrap();
    assert!(excerpt.starts_with("<html><body>Bad Gateway") && excerpt.len() <= 512);

    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::HttpStatus, Some(404)));
    assert_eq!(e.to_string(), "unexpected http status 404");
}

#[test]
fn bodies_that_are_not_the_services_are_invalid_responses() {
    let server = TestServer::start(vec![
        Reply::Json("<html>login page</html>".into()),
        Reply::Json("{\"Response\":{\"Result\":{\"RetMsg\":\"x\"}".into()),
        Reply::Json("{\"Response\":{\"RequestId\":\"r\"}}".into()),
    ]);
    let client = client_for(&server).build().unwrap();
    for expected in ["not the documented JSON", "truncated", "no \"Result\""] {
        let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
        assert!(e.to_string().contains(expected), "{e}");
        assert!(e.body_excerpt().is_some());
    }
}

#[test]
fn a_response_cut_short_is_a_transport_failure_after_sending() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n";
    let server = TestServer::start(vec![Reply::Raw(
        format!("{head}{{\"Response\":").into_bytes(),
    )]);
    let client = client_for(&server).build().unwrap();
    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert!(!e.is_not_sent());
}

#[test]
fn a_server_that_closes_without_answering_is_a_transport_failure() {
    let server = TestServer::start(vec![Reply::Close]);
    let client = client_for(&server).build().unwrap();
    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert!(!e.is_not_sent(), "the request was sent: {e:?}");
    assert!(std::error::Error::source(&e).is_some());
    assert_eq!(server.finish().len(), 1);
}

/// An event large enough to be streamed rather than held as a second copy
/// (over 64 KiB), full of what JSON escapes and of multi-byte characters.
fn large_awkward_event() -> String {
    let record = r#"{"text":"quote \" backslash \\ tab \t 未命名 🦀","n":1}"#;
    format!("[{}]", vec![record; 4000].join(","))
}

#[test]
fn a_large_event_is_sent_sized_and_signed_over_the_bytes_sent_at_every_attempt() {
    let event = large_awkward_event();
    let server = TestServer::start(vec![
        Reply::Json(error_body("RequestLimitExceeded", "slow down", "r-1")),
        Reply::Json(success_body("", "r-2")),
    ]);
    let client = client_for(&server)
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build()
        .unwrap();
    client
        .invoke(&InvokeRequest::new("hello").event_json(event.clone()))
        .unwrap();

    let received = server.finish();
    assert_eq!(received.len(), 2, "throttled once, then retried");
    for r in &received {
        assert!(r.signature_valid, "signature did not verify");
        assert_eq!(r.header("transfer-encoding"), None);
        let length = r.header("content-length").unwrap();
        assert_eq!(length, r.body.len().to_string());
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["ClientContext"].as_str(), Some(event.as_str()));
        assert_eq!(body["FunctionName"], "hello");
    }
    assert!(received[0].body.len() > 64 * 1024);
    assert_eq!(received[0].body, received[1].body);
}

#[test]
fn a_large_event_of_invoke_function_reaches_the_server_signed() {
    let event = large_awkward_event();
    let server = TestServer::start(vec![Reply::Json(success_body("", "r-1"))]);
    let client = client_for(&server).build().unwrap();
    client
        .invoke_function(&InvokeFunctionRequest::new("hello").event_json(event.clone()))
        .unwrap();

    let r = &server.finish()[0];
    assert!(r.signature_valid, "signature did not verify");
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["Event"].as_str(), Some(event.as_str()));
}

#[test]
fn an_unsigned_payload_is_declared_and_sent_whole_by_both_actions() {
    let large = large_awkward_event();
    let events = [r#"{"small":"\"quoted\""}"#.to_owned(), large];
    let server = TestServer::start(vec![Reply::Json(success_body("", "r")); 4]);
    let client = client_for(&server).unsigned_payload(true).build().unwrap();
    for event in &events {
        let invoke = InvokeRequest::new("hello").event_json(event.clone());
        client.invoke(&invoke).unwrap();
        let function = InvokeFunctionRequest::new("hello").event_json(event.clone());
        client.invoke_function(&function).unwrap();
    }

    let received = server.finish();
    assert_eq!(received.len(), 4);
    for (r, (event, field)) in received.iter().zip(
        events
            .iter()
            .flat_map(|event| [(event, "ClientContext"), (event, "Event")]),
    ) {
        // The test server re-derives the signature over the literal
        // UNSIGNED-PAYLOAD only when the header says so.
        assert_eq!(r.header("x-tc-content-sha256"), Some("UNSIGNED-PAYLOAD"));
        assert!(r.signature_valid, "signature did not verify");
        assert_eq!(
            r.header("content-length").unwrap(),
            r.body.len().to_string()
        );
        assert_eq!(r.json()[field].as_str(), Some(event.as_str()));
    }
    assert!(
        received[2].body.len() > 64 * 1024,
        "the large event is streamed"
    );
}

#[test]
fn a_server_slower_than_either_timeout_times_out() {
    let limit = Duration::from_millis(300);
    type Setter = fn(ClientBuilder, Duration) -> ClientBuilder;
    let setters: [(&str, Setter); 2] = [
        ("response_timeout", ClientBuilder::response_timeout),
        ("timeout", ClientBuilder::timeout),
    ];
    for (name, set) in setters {
        let slow = Reply::Delay(
            Duration::from_secs(3),
            Box::new(Reply::Json(success_body("", "r"))),
        );
        let server = TestServer::start(vec![slow]);
        let client = set(client_for(&server), limit).build().unwrap();
        let started = Instant::now();
        let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
        assert!(e.is_timeout(), "{name}: {e:?}");
        assert_eq!(e.transport_kind(), Some(TransportKind::Timeout), "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{name}: took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn nothing_listening_is_a_connect_failure_and_not_sent() {
    // Bind then drop, so the port is very likely closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
        .endpoint(format!("http://127.0.0.1:{port}"))
        .build()
        .unwrap();
    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!(e.transport_kind(), Some(TransportKind::Connect), "{e:?}");
    assert!(e.is_not_sent());
}

#[test]
fn a_response_over_the_size_limit_is_refused() {
    let server = TestServer::start(vec![Reply::Json(success_body(&"x".repeat(10_000), "r"))]);
    let client = client_for(&server)
        .max_response_bytes(1_000)
        .build()
        .unwrap();
    let e = client.invoke(&InvokeRequest::new("hello")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e:?}");
    assert!(e.to_string().contains("larger than the limit"), "{e}");
}

#[test]
fn invalid_input_sends_nothing() {
    let server = TestServer::start(vec![Reply::Json(success_body("", "r"))]);
    let client = client_for(&server)
        .payload_limits(scf_invoke::PayloadLimits {
            sync_bytes: 64,
            event_bytes: 16,
        })
        .build()
        .unwrap();
    let bad = [
        (client.invoke(&InvokeRequest::new("9lives")), "FunctionName"),
        (
            client.invoke(&InvokeRequest::new("ok-name").event_json("{")),
            "ClientContext",
        ),
        (
            client.invoke(&InvokeRequest::new("ok-name").qualifier("a b")),
            "Qualifier",
        ),
        (
            client.invoke(&InvokeRequest::new("ok-name").namespace("")),
            "Namespace",
        ),
        (
            client.invoke(&InvokeRequest::new("ok-name").event(&"x".repeat(100))),
            "ClientContext",
        ),
        (
            client.invoke(
                &InvokeRequest::new("ok-name")
                    .event(&"x".repeat(20))
                    .invocation_type(InvocationType::Event),
            ),
            "ClientContext",
        ),
        (
            client.invoke_function(&InvokeFunctionRequest::new("ok-name").event_json("nope")),
            "Event",
        ),
    ];
    for (result, field) in bad {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
        assert!(
            e.to_string().starts_with(&format!("invalid {field}: ")),
            "{e}"
        );
    }
    // The one scripted reply was never asked for.
    assert!(server.received().is_empty());
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let builder = || {
        Client::builder()
            .region("ap-guangzhou")
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
            .endpoint("http://scf.example.com")
    };
    let e = builder().build().unwrap_err();
    assert_eq!(e.field(), Some("endpoint"));
    assert!(e.rule().unwrap().contains("loopback"), "{e}");
    assert!(builder().allow_insecure_http(true).build().is_ok());
}

#[test]
fn clones_share_the_connection_settings_and_work_from_many_threads() {
    let replies = (0..8)
        .map(|i| Reply::Json(success_body("1", &format!("r{i}"))))
        .collect();
    let server = TestServer::start(replies);
    let client = client_for(&server).build().unwrap();
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || client.invoke(&InvokeRequest::new("hello")).unwrap())
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().json::<i32>().unwrap(), 1);
    }
    assert!(server.finish().iter().all(|r| r.signature_valid));
}

#[test]
fn the_servers_signature_check_rejects_a_wrong_key() {
    // Guards the other tests: were the server's check always true, their
    // `signature_valid` assertions would prove nothing.
    let server = TestServer::start(vec![Reply::Json(success_body("", "r"))]);
    let client = client_for(&server)
        .credentials(Credentials::new(SECRET_ID, "not-the-registered-key"))
        .build()
        .unwrap();
    client.invoke(&InvokeRequest::new("hello")).unwrap();
    assert!(!server.finish()[0].signature_valid);
}
