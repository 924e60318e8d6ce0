//! The emulator against requests built and signed by hand: every rejection
//! the service makes, the success paths of both actions, functions of both
//! kinds, the limits, the clock, the record, malformed traffic, and
//! shutting down.

#![cfg(feature = "emulator")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scf_invoke::emulator::{Emulator, HttpRequest, Outcome};
use scf_invoke::signer::{sign, utc_date, Payload, SigningParams, UNSIGNED_PAYLOAD};
use serde_json::Value;

const ID: &str = "AKIDEMULATORTEST000000000000000000";
const KEY: &str = "emulator-test-secret-key";
const TEMP_ID: &str = "AKIDEMULATORTEMP000000000000000000";
const TEMP_KEY: &str = "emulator-temporary-key";
const TOKEN: &str = "emulator-session-token-value";

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// What goes into one hand-signed request; tests change a field, sign, and
/// may then tamper with the result.
#[derive(Clone)]
struct Spec {
    action: &'static str,
    version: &'static str,
    region: Option<&'static str>,
    body: String,
    secret_id: &'static str,
    secret_key: &'static str,
    service: &'static str,
    timestamp: i64,
    token: Option<&'static str>,
    unsigned_payload: bool,
    /// Extra headers that are sent and signed.
    signed: Vec<(&'static str, &'static str)>,
}

impl Spec {
    fn invoke(body: &str) -> Spec {
        Spec {
            action: "Invoke",
            version: "2018-04-16",
            region: Some("ap-guangzhou"),
            body: body.to_owned(),
            secret_id: ID,
            secret_key: KEY,
            service: "scf",
            timestamp: unix_now(),
            token: None,
            unsigned_payload: false,
            signed: Vec::new(),
        }
    }

    fn invoke_function(body: &str) -> Spec {
        Spec {
            action: "InvokeFunction",
            ..Spec::invoke(body)
        }
    }
}

/// A signed request, ready to send or to tamper with.
#[derive(Clone, Debug)]
struct Wire {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

fn signed(host: &str, spec: &Spec) -> Wire {
    let body = spec.body.as_bytes().to_vec();
    let signature = sign(&SigningParams {
        secret_id: spec.secret_id,
        secret_key: spec.secret_key,
        service: spec.service,
        host,
        method: "POST",
        query: "",
        content_type: "application/json",
        headers: &spec.signed,
        payload: if spec.unsigned_payload {
            Payload::Unsigned
        } else {
            Payload::Bytes(&body)
        },
        timestamp: spec.timestamp,
    })
    .expect("test inputs are signable");

    let mut wire = Wire {
        headers: Vec::new(),
        body,
    };
    wire.set("Content-Type", "application/json");
    wire.set("X-TC-Action", spec.action);
    wire.set("X-TC-Version", spec.version);
    wire.set("X-TC-Timestamp", &spec.timestamp.to_string());
    if let Some(region) = spec.region {
        wire.set("X-TC-Region", region);
    }
    if let Some(token) = spec.token {
        wire.set("X-TC-Token", token);
    }
    if spec.unsigned_payload {
        wire.set("X-TC-Content-SHA256", UNSIGNED_PAYLOAD);
    }
    for (name, value) in &spec.signed {
        wire.set(name, value);
    }
    wire.set("Authorization", signature.authorization());
    wire
}

/// What came back.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
    date: String,
    json: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.json["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("<none>")
    }

    fn message(&self) -> &str {
        self.json["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or("")
    }

    fn result(&self) -> &Value {
        &self.json["Response"]["Result"]
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

fn send_to(url: &str, wire: &Wire) -> Answer {
    let mut request = agent().post(url);
    for (name, value) in &wire.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let mut response = request.send(&wire.body[..]).expect("the emulator answers");
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (content_type, date) = (header("content-type"), header("date"));
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .expect("a text body");
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        content_type,
        date,
        json,
    }
}

fn send(emulator: &Emulator, wire: &Wire) -> Answer {
    send_to(emulator.url(), wire)
}

fn call(emulator: &Emulator, spec: &Spec) -> Answer {
    send(emulator, &signed(emulator.host(), spec))
}

fn emulator() -> Emulator {
    Emulator::builder()
        .credentials(ID, KEY)
        .credentials(TEMP_ID, TEMP_KEY)
        .session_token(TOKEN)
        .echo_function("echo")
        .function("hello", |_| Ok("hello from scf".to_owned()))
        .function("fails", |_| Err("the input was wrong".to_owned()))
        .rate_limit(None)
        .start()
        .expect("the emulator starts")
}

fn assert_uuid_like(id: &str) {
    let lengths: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
    assert!(
        id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
        "{id}"
    );
}

// ---------------------------------------------------------------------
// Success paths
// ---------------------------------------------------------------------

#[test]
fn invoke_answers_in_the_service_shape() {
    let emulator = emulator();
    let answer = call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"echo","ClientContext":"{\"a\":1}"}"#),
    );

    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/json");
    let response = answer.json["Response"].as_object().unwrap();
    assert_eq!(
        response.keys().collect::<Vec<_>>(),
        ["RequestId", "Result"],
        "{answer:?}"
    );
    assert_uuid_like(response["RequestId"].as_str().unwrap());

    let result = answer.result();
    assert_eq!(result["RetMsg"], r#"{"a":1}"#);
    assert_eq!(result["ErrMsg"], "");
    assert_eq!(result["InvokeResult"], 0);
    assert_eq!(result["Log"], "");
    assert!(result["MemUsage"].as_u64().unwrap() > 0);
    assert!(result["BillDuration"].as_u64().unwrap() >= 1);
    assert!(result["Duration"].is_f64() || result["Duration"].is_u64());
    assert_uuid_like(result["FunctionRequestId"].as_str().unwrap());
    assert_eq!(result.as_object().unwrap().len(), 8, "{result}");
}

#[test]
fn the_service_field_order_is_kept() {
    let emulator = emulator();
    let wire = signed(
        emulator.host(),
        &Spec::invoke(r#"{"FunctionName":"hello"}"#),
    );
    let mut request = agent().post(emulator.url());
    for (name, value) in &wire.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let text = request
        .send(&wire.body[..])
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let order = [
        "MemUsage",
        "Log",
        "RetMsg",
        "BillDuration",
        "FunctionRequestId",
        "Duration",
        "ErrMsg",
        "InvokeResult",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(
        text.starts_with(r#"{"Response":{"Result":{"MemUsage":"#),
        "{text}"
    );
}

#[test]
fn invoke_function_takes_the_event_and_needs_no_region() {
    let emulator = emulator();
    let mut spec = Spec::invoke_function(r#"{"FunctionName":"echo","Event":"[1,2,3]"}"#);
    spec.region = None;
    let answer = call(&emulator, &spec);
    assert_eq!(answer.result()["RetMsg"], "[1,2,3]", "{answer:?}");
}

#[test]
fn the_date_header_is_an_imf_fixdate() {
    let emulator = emulator();
    let answer = call(&emulator, &Spec::invoke(r#"{"FunctionName":"hello"}"#));
    // "Tue, 03 Dec 2024 16:00:00 GMT"
    let date = answer.date.as_str();
    assert_eq!(date.len(), 29, "{date}");
    assert!(
        date.ends_with(" GMT") && date.as_bytes()[3] == b',',
        "{date}"
    );
}

#[test]
fn a_function_error_sets_err_msg_and_invoke_result() {
    let emulator = emulator();
    let answer = call(&emulator, &Spec::invoke(r#"{"FunctionName":"fails"}"#));
    let result = answer.result();
    assert_eq!(result["InvokeResult"], 1, "{answer:?}");
    assert_eq!(result["RetMsg"], "");
    let err: Value = serde_json::from_str(result["ErrMsg"].as_str().unwrap()).unwrap();
    assert_eq!(err["errorCode"], 1);
    assert_eq!(err["errorMessage"], "the input was wrong");
}

#[test]
fn a_second_pair_of_credentials_is_accepted_with_its_token() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.secret_id = TEMP_ID;
    spec.secret_key = TEMP_KEY;
    spec.token = Some(TOKEN);
    let answer = call(&emulator, &spec);
    assert_eq!(answer.result()["RetMsg"], "hello from scf", "{answer:?}");
}

#[test]
fn unsigned_payload_leaves_the_body_out_of_the_signature() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.unsigned_payload = true;
    let mut wire = signed(emulator.host(), &spec);
    wire.body = br#"{"FunctionName":"echo","ClientContext":"{}"}"#.to_vec();
    let answer = send(&emulator, &wire);
    assert_eq!(answer.result()["RetMsg"], "{}", "{answer:?}");
}

#[test]
fn a_signed_extra_header_is_verified_from_the_request() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.signed = vec![("X-TC-Action", "Invoke")];
    let wire = signed(emulator.host(), &spec);
    assert!(wire
        .header("Authorization")
        .contains("SignedHeaders=content-type;host;x-tc-action,"));
    assert_eq!(send(&emulator, &wire).result()["RetMsg"], "hello from scf");
}

// ---------------------------------------------------------------------
// Rejections: common parameters
// ---------------------------------------------------------------------

#[test]
fn common_parameter_problems_get_the_service_codes() {
    let emulator = emulator();
    let base = || {
        signed(
            emulator.host(),
            &Spec::invoke(r#"{"FunctionName":"hello"}"#),
        )
    };

    let mut wire = base();
    wire.remove("X-TC-Action");
    assert_eq!(send(&emulator, &wire).code(), "MissingParameter");

    let mut wire = base();
    wire.set("X-TC-Action", "ListFunctions");
    assert_eq!(send(&emulator, &wire).code(), "InvalidAction");

    let mut wire = base();
    wire.remove("X-TC-Version");
    assert_eq!(send(&emulator, &wire).code(), "MissingParameter");

    let mut wire = base();
    wire.set("X-TC-Version", "2017-03-12");
    assert_eq!(send(&emulator, &wire).code(), "NoSuchVersion");

    let mut wire = base();
    wire.remove("X-TC-Region");
    let answer = send(&emulator, &wire);
    assert_eq!(answer.code(), "MissingParameter");
    assert!(answer.message().contains("X-TC-Region"), "{answer:?}");

    let mut wire = base();
    wire.remove("X-TC-Timestamp");
    assert_eq!(send(&emulator, &wire).code(), "MissingParameter");

    let mut wire = base();
    wire.set("X-TC-Timestamp", "soon");
    assert_eq!(send(&emulator, &wire).code(), "InvalidParameter");

    // Errors are HTTP 200 with a RequestId, as the service answers them.
    let answer = send(&emulator, &wire);
    assert_eq!(answer.status, 200);
    assert_uuid_like(answer.json["Response"]["RequestId"].as_str().unwrap());
}

// ---------------------------------------------------------------------
// Rejections: authentication
// ---------------------------------------------------------------------

#[test]
fn a_malformed_authorization_is_invalid_authorization() {
    let emulator = emulator();
    let wire = signed(
        emulator.host(),
        &Spec::invoke(r#"{"FunctionName":"hello"}"#),
    );
    let good = wire.header("Authorization");
    let variants = [
        String::new(),
        "Bearer abc".to_owned(),
        good.replace("TC3-HMAC-SHA256", "TC3-HMAC-SHA1"),
        good.replace(", SignedHeaders", ",SignedHeaders"),
        good.replace("content-type;host", "content-type"),
        good.replace("content-type;host", "host;content-type"),
        good.replace("/tc3_request", "/tc2_request"),
        good[..good.len() - 2].to_owned(),
    ];
    for variant in variants {
        let mut tampered = wire.clone();
        if variant.is_empty() {
            tampered.remove("Authorization");
        } else {
            tampered.set("Authorization", &variant);
        }
        let answer = send(&emulator, &tampered);
        assert_eq!(
            answer.code(),
            "AuthFailure.InvalidAuthorization",
            "{variant}: {answer:?}"
        );
    }
}

#[test]
fn the_scope_must_name_scf_and_the_timestamps_date() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.service = "cvm";
    assert_eq!(
        call(&emulator, &spec).code(),
        "AuthFailure.InvalidAuthorization"
    );

    let wire = signed(
        emulator.host(),
        &Spec::invoke(r#"{"FunctionName":"hello"}"#),
    );
    let today = utc_date(unix_now()).unwrap();
    let mut tampered = wire.clone();
    tampered.set(
        "Authorization",
        &wire.header("Authorization").replace(&today, "2001-01-01"),
    );
    let answer = send(&emulator, &tampered);
    assert_eq!(
        answer.code(),
        "AuthFailure.InvalidAuthorization",
        "{answer:?}"
    );
    assert!(answer.message().contains("date"), "{answer:?}");
}

#[test]
fn an_old_timestamp_is_signature_expire_with_the_server_time() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.timestamp = unix_now() - 301 - 5;
    let answer = call(&emulator, &spec);
    assert_eq!(answer.code(), "AuthFailure.SignatureExpire", "{answer:?}");
    let server_time: i64 = answer
        .message()
        .rsplit("the server time is ")
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no server time in {answer:?}"));
    assert!((server_time - unix_now()).abs() <= 2, "{server_time}");

    // Within the allowance is fine, either way.
    for skew in [-290, 290] {
        spec.timestamp = unix_now() + skew;
        assert_eq!(call(&emulator, &spec).code(), "<none>", "skew {skew}");
    }
}

#[test]
fn an_unknown_secret_id_is_secret_id_not_found() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.secret_id = "AKIDNOBODY";
    assert_eq!(
        call(&emulator, &spec).code(),
        "AuthFailure.SecretIdNotFound"
    );
}

#[test]
fn tampering_after_signing_is_signature_failure() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.signed = vec![("X-TC-Action", "Invoke")];
    let wire = signed(emulator.host(), &spec);
    assert_eq!(send(&emulator, &wire).code(), "<none>");

    let mut body = wire.clone();
    body.body = br#"{"FunctionName":"echo"}"#.to_vec();

    let mut signed_header = wire.clone();
    signed_header.set("X-TC-Action", "InvokeFunction");

    let mut content_type = wire.clone();
    content_type.set("Content-Type", "application/json; charset=utf-8");

    let mut timestamp = wire.clone();
    let later = spec.timestamp + 1;
    timestamp.set("X-TC-Timestamp", &later.to_string());

    let mut signature = wire.clone();
    let authorization = wire.header("Authorization");
    let last = authorization.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    signature.set(
        "Authorization",
        &format!("{}{flipped}", &authorization[..authorization.len() - 1]),
    );

    let mut other_id = wire.clone();
    other_id.set("Authorization", &authorization.replace(ID, TEMP_ID));

    let mut wrong_hash = wire.clone();
    wrong_hash.set("X-TC-Content-SHA256", &"0".repeat(64));

    for (what, tampered) in [
        ("body", body),
        ("signed header", signed_header),
        ("content type", content_type),
        ("timestamp", timestamp),
        ("signature", signature),
        ("secret id", other_id),
        ("content hash", wrong_hash),
    ] {
        let answer = send(&emulator, &tampered);
        assert_eq!(
            answer.code(),
            "AuthFailure.SignatureFailure",
            "{what}: {answer:?}"
        );
    }

    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.secret_key = "not-the-key";
    assert_eq!(
        call(&emulator, &spec).code(),
        "AuthFailure.SignatureFailure"
    );
}

#[test]
fn a_configured_token_must_be_sent() {
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.secret_id = TEMP_ID;
    spec.secret_key = TEMP_KEY;
    assert_eq!(call(&emulator, &spec).code(), "AuthFailure.TokenFailure");
    spec.token = Some("a-stale-token");
    assert_eq!(call(&emulator, &spec).code(), "AuthFailure.TokenFailure");
    spec.token = Some(TOKEN);
    assert_eq!(call(&emulator, &spec).code(), "<none>");
}

// ---------------------------------------------------------------------
// Rejections: parameters
// ---------------------------------------------------------------------

#[test]
fn parameter_problems_get_the_service_codes() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .max_payload(1000)
        .rate_limit(None)
        .start()
        .unwrap();
    let big_event = format!(r#"[{}0]"#, "0,".repeat(600));
    let big_async_event = format!(r#"[{}0]"#, "0,".repeat(70_000));
    let cases = [
        (Spec::invoke(r#"{}"#), "MissingParameter"),
        (Spec::invoke(r#"{"FunctionName":"echo","Payload":"{}"}"#), "UnknownParameter"),
        (Spec::invoke(r#"{"functionName":"echo"}"#), "UnknownParameter"),
        (Spec::invoke_function(r#"{"FunctionName":"echo","ClientContext":"{}"}"#), "UnknownParameter"),
        (Spec::invoke(r#"{"FunctionName":["echo"]}"#), "InvalidParameter"),
        (Spec::invoke(r#"{"FunctionName":"echo","ClientContext":{"a":1}}"#), "InvalidParameter"),
        (Spec::invoke(r#"{"FunctionName":"a b"}"#), "InvalidParameterValue.FunctionName"),
        (Spec::invoke(r#"{"FunctionName":"echo","ClientContext":"{not json"}"#), "InvalidParameterValue.Param"),
        (Spec::invoke_function(r#"{"FunctionName":"echo","Event":"nope"}"#), "InvalidParameterValue.Param"),
        (Spec::invoke(r#"{"FunctionName":"echo","InvocationType":"DryRun"}"#), "InvalidParameterValue"),
        (Spec::invoke(r#"{"FunctionName":"echo","LogType":"Head"}"#), "InvalidParameterValue"),
        (Spec::invoke(r#"{"FunctionName":"echo","RoutingKey":"[1]"}"#), "InvalidParameterValue"),
        (Spec::invoke(r#"{"FunctionName":"missing"}"#), "ResourceNotFound.FunctionName"),
        (Spec::invoke(r#"{"FunctionName":"echo""#), "InvalidParameter"),
        (Spec::invoke(r#""FunctionName""#), "InvalidParameter"),
        (
            Spec::invoke(&serde_json::json!({"FunctionName":"echo","ClientContext":big_event}).to_string()),
            "InvalidParameter.RequestTooLarge",
        ),
        (
            Spec::invoke(
                &serde_json::json!({"FunctionName":"echo","ClientContext":big_async_event,"InvocationType":"Event"})
                    .to_string(),
            ),
            "InvalidParameter.RequestTooLarge",
        ),
    ];
    for (spec, expected) in cases {
        let answer = call(&emulator, &spec);
        assert_eq!(
            answer.code(),
            expected,
            "{}: {answer:?}",
            shorten(&spec.body)
        );
    }

    // A valid routing key and an event exactly at the limit pass.
    let at_limit = format!(r#"[{}0 ]"#, "0,".repeat(498));
    assert_eq!(at_limit.len(), 1000);
    let body = serde_json::json!({
        "FunctionName": "echo",
        "ClientContext": at_limit,
        "RoutingKey": r#"{"AdditionalVersionMatches":"2"}"#,
        "Namespace": "default",
        "Qualifier": "$LATEST",
    });
    assert_eq!(
        call(&emulator, &Spec::invoke(&body.to_string())).code(),
        "<none>"
    );
}

fn shorten(text: &str) -> &str {
    &text[..text.len().min(80)]
}

// ---------------------------------------------------------------------
// Asynchronous invocations
// ---------------------------------------------------------------------

#[test]
fn an_event_invocation_answers_at_once_and_runs_in_the_background() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let released = Mutex::new(released);
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .function("slow", move |event| {
            let _ = released
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(5));
            Ok(format!("done with {event}"))
        })
        .start()
        .unwrap();

    let started = Instant::now();
    let answer = call(
        &emulator,
        &Spec::invoke(
            r#"{"FunctionName":"slow","InvocationType":"Event","ClientContext":"{\"n\":1}"}"#,
        ),
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let result = answer.result();
    assert_eq!(result["RetMsg"], "", "{answer:?}");
    assert_eq!(result["InvokeResult"], 0);
    assert_uuid_like(result["FunctionRequestId"].as_str().unwrap());
    assert_eq!(emulator.invocations()[0].outcome, Outcome::Pending);
    assert!(!emulator.wait_idle(Duration::from_millis(20)));

    release.send(()).unwrap();
    assert!(emulator.wait_idle(Duration::from_secs(5)));
    let invocation = &emulator.invocations()[0];
    assert_eq!(
        invocation.outcome,
        Outcome::Returned(r#"done with {"n":1}"#.to_owned())
    );
    assert_eq!(
        invocation.function_request_id.as_deref(),
        result["FunctionRequestId"].as_str()
    );
}

#[test]
fn stop_joins_event_invocations_still_running() {
    let finished = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&finished);
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .function("sleepy", move |_| {
            std::thread::sleep(Duration::from_millis(200));
            *flag.lock().unwrap() = true;
            Ok(String::new())
        })
        .start()
        .unwrap();
    call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"sleepy","InvocationType":"Event"}"#),
    );
    emulator.stop();
    assert!(*finished.lock().unwrap());
}

// ---------------------------------------------------------------------
// Command functions
// ---------------------------------------------------------------------

fn command_emulator() -> Emulator {
    let timeout = Duration::from_secs(5);
    Emulator::builder()
        .credentials(ID, KEY)
        .command_function("cat", "cat", Vec::<String>::new(), timeout)
        .command_function(
            "talks",
            "sh",
            [
                "-c",
                "cat >/dev/null; echo 'log line' >&2; printf '\"result\"'",
            ],
            timeout,
        )
        .command_function("fails", "sh", ["-c", "echo 'bad input'; exit 3"], timeout)
        .command_function("quiet-fail", "sh", ["-c", "exit 4"], timeout)
        .command_function("sleeps", "sleep", ["5"], Duration::from_millis(200))
        .command_function(
            "chatty",
            "sh",
            ["-c", "yes '日志日志日志' | head -n 2000 >&2; echo '{}'"],
            timeout,
        )
        .command_function(
            "nothing",
            "/nonexistent/program",
            Vec::<String>::new(),
            timeout,
        )
        .rate_limit(None)
        .start()
        .unwrap()
}

#[test]
fn a_command_gets_the_event_on_stdin_and_returns_its_stdout() {
    let emulator = command_emulator();
    let answer = call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"cat","ClientContext":"{\"k\":\"v\"}"}"#),
    );
    assert_eq!(answer.result()["RetMsg"], r#"{"k":"v"}"#, "{answer:?}");

    let answer = call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"talks","LogType":"Tail"}"#),
    );
    let result = answer.result();
    assert_eq!(result["RetMsg"], "\"result\"", "{answer:?}");
    let log = result["Log"].as_str().unwrap();
    assert!(log.contains("log line"), "{log}");
    assert!(log.starts_with("START RequestId: "), "{log}");
}

#[test]
fn a_command_with_a_large_event_and_output_does_not_deadlock() {
    let emulator = command_emulator();
    let event = format!(r#"["{}"]"#, "x".repeat(2 * 1024 * 1024));
    let body = serde_json::json!({"FunctionName": "cat", "ClientContext": event});
    let started = Instant::now();
    let answer = call(&emulator, &Spec::invoke(&body.to_string()));
    assert_eq!(
        answer.result()["RetMsg"].as_str().unwrap().len(),
        event.len()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_failing_command_is_a_function_error() {
    let emulator = command_emulator();
    for (name, expected) in [
        ("fails", "bad input"),
        ("quiet-fail", "exit status: 4"),
        ("nothing", "could not start"),
    ] {
        let answer = call(
            &emulator,
            &Spec::invoke(&format!(r#"{{"FunctionName":"{name}"}}"#)),
        );
        let result = answer.result();
        assert_eq!(result["InvokeResult"], 1, "{name}: {answer:?}");
        assert_eq!(result["RetMsg"], "");
        let err = result["ErrMsg"].as_str().unwrap();
        assert!(err.contains(expected), "{name}: {err}");
    }
}

#[test]
fn a_command_past_its_timeout_is_killed() {
    let emulator = command_emulator();
    let started = Instant::now();
    let answer = call(&emulator, &Spec::invoke(r#"{"FunctionName":"sleeps"}"#));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    let result = answer.result();
    assert_eq!(result["InvokeResult"], 433, "{answer:?}");
    assert!(result["ErrMsg"].as_str().unwrap().contains("timed out"));
    assert!(result["Duration"].as_f64().unwrap() >= 200.0);
}

#[test]
fn tail_returns_the_last_4_kb_of_the_log_cut_on_a_character() {
    let emulator = command_emulator();
    let answer = call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"chatty","LogType":"Tail"}"#),
    );
    let log = answer.result()["Log"].as_str().unwrap();
    assert!(log.len() <= 4096 && log.len() > 4000, "{}", log.len());
    assert!(!log.contains('\u{FFFD}'), "{log}");
    assert!(log.contains("日志日志日志\n"), "{log}");
    assert!(log.contains("Report RequestId: "), "{log}");
    assert!(!log.contains("START RequestId"), "only the tail is kept");

    let answer = call(
        &emulator,
        &Spec::invoke(r#"{"FunctionName":"chatty","LogType":"None"}"#),
    );
    assert_eq!(answer.result()["Log"], "");
}

// ---------------------------------------------------------------------
// Rate limit and clock
// ---------------------------------------------------------------------

#[test]
fn requests_over_the_rate_limit_are_request_limit_exceeded() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .rate_limit(3)
        .start()
        .unwrap();
    let spec = Spec::invoke(r#"{"FunctionName":"echo"}"#);
    let codes: Vec<String> = (0..5)
        .map(|_| call(&emulator, &spec).code().to_owned())
        .collect();
    assert_eq!(&codes[..3], ["<none>", "<none>", "<none>"], "{codes:?}");
    assert_eq!(
        &codes[3..],
        ["RequestLimitExceeded", "RequestLimitExceeded"]
    );

    let unlimited = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .rate_limit(0)
        .start()
        .unwrap();
    for _ in 0..30 {
        assert_eq!(call(&unlimited, &spec).code(), "<none>");
    }
}

#[test]
fn the_default_rate_limit_is_20_per_second() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .start()
        .unwrap();
    let spec = Spec::invoke(r#"{"FunctionName":"echo"}"#);
    let started = Instant::now();
    let refused = (0..21)
        .filter(|_| call(&emulator, &spec).code() == "RequestLimitExceeded")
        .count();
    if started.elapsed() < Duration::from_secs(1) {
        assert_eq!(refused, 1);
    }
}

#[test]
fn a_clock_offset_moves_the_servers_time() {
    let decades = 30 * 365 * 86_400;
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .clock_offset(decades)
        .start()
        .unwrap();

    let mut spec = Spec::invoke(r#"{"FunctionName":"echo"}"#);
    let answer = call(&emulator, &spec);
    assert_eq!(answer.code(), "AuthFailure.SignatureExpire");
    assert!(
        answer
            .message()
            .contains(&format!("the server time is {}", unix_now() + decades))
            || answer
                .message()
                .contains(&format!("the server time is {}", unix_now() + decades - 1)),
        "{answer:?}"
    );
    let year: i32 = answer.date.split(' ').nth(3).unwrap().parse().unwrap();
    assert!(year >= 2050, "{}", answer.date);

    // A client that trusts the server's Date can sign for its clock.
    spec.timestamp = unix_now() + decades;
    assert_eq!(call(&emulator, &spec).code(), "<none>");
}

#[test]
fn the_handler_checks_time_against_the_now_it_is_given() {
    let handler = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .clock_offset(-600)
        .handler()
        .unwrap();
    let mut spec = Spec::invoke(r#"{"FunctionName":"echo"}"#);
    spec.timestamp = 1_733_242_200;
    let wire = signed("scf.tencentcloudapi.com", &spec);
    wire_with_host(&wire, "scf.tencentcloudapi.com", |request| {
        let now = UNIX_EPOCH + Duration::from_secs(1_733_242_200);
        let reply = handler.handle(request, now);
        let text = reply.text();
        assert!(text.contains("AuthFailure.SignatureExpire"), "{text}");
        assert!(text.contains("the server time is 1733241600"), "{text}");
        let date = reply.headers.iter().find(|(n, _)| n == "Date").unwrap();
        assert_eq!(date.1, "Tue, 03 Dec 2024 16:00:00 GMT");

        let reply = handler.handle(request, now + Duration::from_secs(600));
        assert!(
            reply.text().contains(r#""RetMsg":"{}""#),
            "{}",
            reply.text()
        );
    });
}

/// Calls `f` with `wire` as an `HttpRequest` carrying `Host: host`.
fn wire_with_host(wire: &Wire, host: &str, f: impl FnOnce(&HttpRequest<'_>)) {
    let mut headers: Vec<(&str, &str)> = wire
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    headers.push(("Host", host));
    f(&HttpRequest {
        method: "POST",
        path: "/",
        headers: &headers,
        body: &wire.body,
    });
}

// ---------------------------------------------------------------------
// Recording
// ---------------------------------------------------------------------

#[test]
fn invocations_record_what_was_asked_without_credentials() {
    let emulator = emulator();
    let mut spec = Spec::invoke(
        r#"{"FunctionName":"echo","ClientContext":"{\"x\":true}","Namespace":"team","Qualifier":"3","LogType":"Tail","RoutingKey":"{\"k\":\"v\"}"}"#,
    );
    spec.secret_id = TEMP_ID;
    spec.secret_key = TEMP_KEY;
    spec.token = Some(TOKEN);
    call(&emulator, &spec);
    call(
        &emulator,
        &Spec::invoke_function(r#"{"FunctionName":"nope","Event":"{}"}"#),
    );
    let mut unsigned = signed(emulator.host(), &Spec::invoke(r#"{"FunctionName":"echo"}"#));
    unsigned.remove("Authorization");
    send(&emulator, &unsigned);

    let invocations = emulator.invocations();
    assert_eq!(
        invocations.len(),
        2,
        "unauthenticated requests are not recorded"
    );
    let first = &invocations[0];
    assert_eq!(first.action, "Invoke");
    assert_eq!(first.function_name.as_deref(), Some("echo"));
    assert_eq!(first.namespace.as_deref(), Some("team"));
    assert_eq!(first.qualifier.as_deref(), Some("3"));
    assert_eq!(first.invocation_type, None);
    assert_eq!(first.event.as_deref(), Some(r#"{"x":true}"#));
    assert_eq!(first.routing_key.as_deref(), Some(r#"{"k":"v"}"#));
    assert_eq!(first.log_type.as_deref(), Some("Tail"));
    assert_eq!(first.region.as_deref(), Some("ap-guangzhou"));
    assert_eq!(first.outcome, Outcome::Returned(r#"{"x":true}"#.to_owned()));
    assert_eq!(first.header("x-tc-action"), Some("Invoke"));
    assert_eq!(first.header("Authorization"), None);
    assert_eq!(first.header("X-TC-Token"), None);
    let everything = format!("{invocations:?}");
    assert!(!everything.contains(TOKEN) && !everything.contains("Signature="));

    let second = &invocations[1];
    assert_eq!(second.action, "InvokeFunction");
    assert_eq!(second.event.as_deref(), Some("{}"));
    assert!(matches!(
        &second.outcome,
        Outcome::Rejected { code, .. } if code == "ResourceNotFound.FunctionName"
    ));

    emulator.clear_invocations();
    assert!(emulator.invocations().is_empty());
}

#[test]
fn the_record_keeps_only_the_most_recent_invocations() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .record_limit(3)
        .rate_limit(None)
        .start()
        .unwrap();
    for n in 0..5 {
        let body = serde_json::json!({"FunctionName": "echo", "ClientContext": n.to_string()});
        call(&emulator, &Spec::invoke(&body.to_string()));
    }
    let events: Vec<String> = emulator
        .invocations()
        .into_iter()
        .filter_map(|i| i.event)
        .collect();
    assert_eq!(events, ["2", "3", "4"]);
}

// ---------------------------------------------------------------------
// Malformed traffic
// ---------------------------------------------------------------------

#[test]
fn malformed_http_requests_get_an_error_body() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .max_body(1024)
        .start()
        .unwrap();
    let good = signed(emulator.host(), &Spec::invoke(r#"{"FunctionName":"echo"}"#));

    let mut get = agent().get(emulator.url());
    for (name, value) in &good.headers {
        get = get.header(name.as_str(), value.as_str());
    }
    let text = get.call().unwrap().body_mut().read_to_string().unwrap();
    assert!(text.contains("UnsupportedProtocol"), "{text}");

    let mut form = good.clone();
    form.set("Content-Type", "application/x-www-form-urlencoded");
    assert_eq!(send(&emulator, &form).code(), "InvalidParameter");

    let elsewhere = send_to(&format!("{}/2018-04-16/invoke", emulator.url()), &good);
    assert_eq!(elsewhere.status, 404);
    assert_eq!(elsewhere.code(), "InvalidRequest");

    let mut large = good.clone();
    large.body = vec![b' '; 4096];
    assert_eq!(send(&emulator, &large).code(), "RequestSizeLimitExceeded");

    let mut big_headers = good.clone();
    for n in 0..70 {
        big_headers.set(&format!("X-Padding-{n}"), &"p".repeat(1000));
    }
    assert_eq!(
        send(&emulator, &big_headers).code(),
        "RequestSizeLimitExceeded"
    );

    let mut twice = good.clone();
    twice
        .headers
        .push(("X-TC-Action".to_owned(), "Invoke".to_owned()));
    assert_eq!(send(&emulator, &twice).code(), "InvalidParameter");
}

/// Sends raw bytes on a fresh connection and reads whatever comes back
/// within a short time.
fn raw_exchange(address: std::net::SocketAddr, bytes: &[u8], close_write: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    let _ = stream.write_all(bytes);
    if close_write {
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

#[test]
fn garbage_on_the_socket_never_stops_the_server() {
    let emulator = emulator();
    let address = emulator.address();
    let battery: Vec<(Vec<u8>, bool)> = vec![
        (b"\x00\x01\x02\xff\xfe garbage\r\n\r\n".to_vec(), true),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), false),
        (b"POST / HTTP/1.1\r\nno colon here\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/9.9\r\nHost: x\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/2.0\r\nHost: x\r\n\r\n".to_vec(), true),
        ("POST / HTTP/1.1\r\nX-Caf\u{e9}: \u{e9}\r\n\r\n".as_bytes().to_vec(), true),
        (b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\nshort".to_vec(), true),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/1.1\r\nContent-Length: 5000000\r\n\r\n{\"a\":".to_vec(), true),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n".to_vec(), true),
        (b"POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n".to_vec(), true),
        (b"POST / HTTP/1.1\r\nContent-Type: application/json\r\nX-TC-Action: Invoke\r\nContent-Length: 2\r\n\r\n{}".to_vec(), true),
        (b"\r\n\r\n\r\n".to_vec(), true),
    ];
    let started = Instant::now();
    let mut answered = 0;
    for (bytes, close_write) in &battery {
        let answer = raw_exchange(address, bytes, *close_write);
        if answer.starts_with(b"HTTP/1.1 ") {
            answered += 1;
        }
    }
    assert!(answered >= battery.len() / 2, "{answered} answered");
    assert!(started.elapsed() < Duration::from_secs(8));

    // An HTTP request the handler sees gets a JSON error body.
    let answer = raw_exchange(
        address,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-TC-Action: Invoke\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        false,
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains(r#"{"Response":{"Error":{"Code":"MissingParameter""#),
        "{text}"
    );

    // And the server still answers properly.
    let answer = call(&emulator, &Spec::invoke(r#"{"FunctionName":"hello"}"#));
    assert_eq!(answer.result()["RetMsg"], "hello from scf");
}

#[test]
fn the_handler_never_panics_on_arbitrary_input() {
    let handler = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .rate_limit(None)
        .handler()
        .unwrap();
    let spec = Spec::invoke(r#"{"FunctionName":"echo","ClientContext":"{}"}"#);
    let good = signed("h", &spec);

    // A deterministic xorshift stream decides each mutation.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces = [
        "",
        "/",
        "?",
        "=",
        ",",
        ";",
        " ",
        "TC3-HMAC-SHA256",
        "Credential=",
        "application/json",
        "9999999999999999999",
        "-1",
        "\u{0}",
        "未",
        "{",
        "}",
        "\"",
        "\\",
        "Invoke",
        "2018-04-16",
    ];
    for round in 0..3000 {
        let mut headers: Vec<(String, String)> = good.headers.clone();
        headers.push(("Host".to_owned(), "h".to_owned()));
        let mut body = good.body.clone();
        for _ in 0..(next() % 4) {
            let choice = next();
            let piece = pieces[(choice as usize >> 8) % pieces.len()];
            match choice % 5 {
                0 if !headers.is_empty() => {
                    let i = (next() as usize) % headers.len();
                    let value = &mut headers[i].1;
                    let at = (next() as usize) % (value.len() + 1);
                    let at = (0..=at).rev().find(|&a| value.is_char_boundary(a)).unwrap();
                    value.insert_str(at, piece);
                }
                1 if !headers.is_empty() => {
                    let i = (next() as usize) % headers.len();
                    headers.remove(i);
                }
                2 => {
                    let at = (next() as usize) % (body.len() + 1);
                    body.splice(at..at, piece.bytes());
                }
                3 if !body.is_empty() => {
                    let at = (next() as usize) % body.len();
                    body[at] = next() as u8;
                }
                _ => headers.push((piece.to_owned(), piece.to_owned())),
            }
        }
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let method = if round % 50 == 0 { "GET" } else { "POST" };
        // Now, far in the future, and before 1970.
        let now = match next() % 3 {
            0 => SystemTime::now(),
            1 => UNIX_EPOCH
                .checked_add(Duration::from_secs(1 << 40))
                .unwrap(),
            _ => UNIX_EPOCH
                .checked_sub(Duration::from_secs(1 << 20))
                .unwrap(),
        };
        let reply = handler.handle(
            &HttpRequest {
                method,
                path: "/",
                headers: &refs,
                body: &body,
            },
            now,
        );
        let json: Value = serde_json::from_slice(&reply.body).expect("always JSON");
        assert!(json["Response"]["RequestId"].is_string());
    }
}

// ---------------------------------------------------------------------
// Stopping
// ---------------------------------------------------------------------

#[test]
fn stop_and_drop_release_the_port() {
    let emulator = emulator();
    let address = emulator.address();
    call(&emulator, &Spec::invoke(r#"{"FunctionName":"hello"}"#));
    emulator.stop();
    let listener = TcpListener::bind(address).expect("the port is free after stop");
    drop(listener);

    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .listen(address)
        .start()
        .expect("the same port can be listened on again");
    // A client that stalls halfway through a body holds a worker, but
    // neither stops the emulator for long nor keeps the port.
    let mut stalled = TcpStream::connect(address).unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nContent-Length: 2000\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    drop(emulator);
    assert!(started.elapsed() < Duration::from_millis(1500));
    TcpListener::bind(address).expect("the port is free after drop");
}

#[test]
fn listening_on_a_busy_port_is_an_error() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let e = Emulator::builder()
        .listen(busy.local_addr().unwrap())
        .start()
        .unwrap_err();
    assert_eq!(e.field(), Some("listen"));
}

#[test]
fn configuration_mistakes_are_reported_by_start() {
    let e = Emulator::builder().session_token("t").start().unwrap_err();
    assert_eq!(e.field(), Some("session_token"));
    let e = Emulator::builder()
        .echo_function("9lives")
        .start()
        .unwrap_err();
    assert_eq!(e.field(), Some("FunctionName"));
    let e = Emulator::builder()
        .credentials("", "k")
        .handler()
        .unwrap_err();
    assert_eq!(e.field(), Some("credentials"));
}

// ---------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------

/// Captures every log record of this test binary.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        self.0
            .lock()
            .unwrap()
            .push(format!("{} {}", record.level(), record.args()));
    }
    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
        log::set_logger(capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

#[test]
fn logs_name_the_call_but_never_a_secret() {
    let capture = capture();
    let emulator = emulator();
    let mut spec = Spec::invoke(r#"{"FunctionName":"hello"}"#);
    spec.secret_id = TEMP_ID;
    spec.secret_key = TEMP_KEY;
    spec.token = Some(TOKEN);
    let wire = signed(emulator.host(), &spec);
    send(&emulator, &wire);
    spec.token = Some("wrong-token-value");
    send(&emulator, &signed(emulator.host(), &spec));
    let mut tampered = wire.clone();
    tampered.body = b"{}".to_vec();
    send(&emulator, &tampered);
    drop(emulator);

    let lines = capture.0.lock().unwrap().join("\n");
    assert!(lines.contains("Invoke hello: returned"), "{lines}");
    assert!(lines.contains("AuthFailure.TokenFailure"), "{lines}");
    let signature = wire.header("Authorization");
    let signature = signature.rsplit("Signature=").next().unwrap();
    for secret in [KEY, TEMP_KEY, TOKEN, "wrong-token-value", signature] {
        assert!(!lines.contains(secret), "{secret} logged:\n{lines}");
    }
}
