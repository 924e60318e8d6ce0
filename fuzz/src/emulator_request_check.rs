//! The `emulator_request` target: arbitrary requests through the emulator's handling.
//!
//! One [`Handler`], built on first use, serves `echo`, which returns its event, and
//! `fails`, which always fails; it knows one account, has no rate limit, and small size
//! limits so that inputs can reach them. Each input becomes an [`HttpRequest`], by
//! default a `POST /` with the usual headers, which a flag has signed correctly so that
//! most inputs get past authentication to the parameters. [`Handler::handle`] must:
//!
//! - not panic;
//! - answer HTTP 200, or 404 exactly when the path before any `?` is not `/`;
//! - send `Content-Type: application/json` and a `Date`;
//! - send a body that [`parse_invoke_response`] reads as a success or as a service
//!   error, never as an invalid response;
//! - not refuse a correctly signed request on authentication (`AuthFailure.*`), unless an
//!   extra header repeats one the signature rests on or the timestamp is out of date;
//! - succeed only for a registered function, with the event as `echo`'s return value
//!   and a function error from `fails` when they run at once.
//!
//! # Input format
//!
//! ```text
//! byte 0     flags:
//!            bit 0  sign the request correctly (the Authorization field is then unused)
//!            bit 1  sign UNSIGNED-PAYLOAD, and send X-TC-Content-SHA256 saying so
//!            bit 2  the action InvokeFunction instead of Invoke
//!            bit 3  send the method and path fields instead of POST and /
//!            bit 4  leave out Content-Type, X-TC-Action, X-TC-Version and X-TC-Region
//! byte 1     the number of extra headers, modulo 8
//! byte 2     X-TC-Timestamp's distance from the server's clock: an i8, times 3 seconds
//! the rest   method, path, Authorization, a name and a value per extra header, then
//!            the body, separated by 0xFF as in the `sign` target
//! ```
//!
//! Each field is cut at [`FIELD_LIMIT`] bytes and the body at [`BODY_LIMIT`], so that
//! no input takes long. Names and values are sent without surrounding spaces and tabs,
//! as a server receives them. Extra headers are signed along when the signer accepts
//! them, and sent unsigned otherwise.

use std::sync::OnceLock;
use std::time::{Duration, UNIX_EPOCH};

use scf_invoke::emulator::{Emulator, Handler, HttpRequest, Reply};
use scf_invoke::response::parse_invoke_response;
use scf_invoke::signer::{self, Payload, SigningParams, UNSIGNED_PAYLOAD};
use scf_invoke::ErrorKind;
use serde_json::{Map, Value};

use super::sign_check::SEPARATOR;

/// The longest method, path, Authorization, header name or value.
pub const FIELD_LIMIT: usize = 256;
/// The longest body; above the handler's `max_body`, so that limit is reachable.
pub const BODY_LIMIT: usize = 4 * 1024;

const SECRET_ID: &str = "AKIDFUZZ";
const SECRET_KEY: &str = "fuzz-secret-key";
const HOST: &str = "scf.tencentcloudapi.com";
/// The server's clock, fixed so that a saved input replays the same way.
const NOW: i64 = 1_700_000_000;

/// Headers an extra header must not repeat for a correct signature to be verified: the
/// signed ones the request always has, and those the verifier reads once.
const AUTH_HEADERS: [&str; 5] = [
    "authorization",
    "x-tc-timestamp",
    "x-tc-content-sha256",
    "host",
    "content-type",
];

/// The handler every input goes to, built once so that each run is only the request. It
/// records no invocations: a record outlives the run that made it, and libFuzzer, seeing
/// more allocations than frees, would then search for leaks after every run, at a tenth
/// of the speed.
fn handler() -> &'static Handler {
    static HANDLER: OnceLock<Handler> = OnceLock::new();
    HANDLER.get_or_init(|| {
        Emulator::builder()
            .credentials(SECRET_ID, SECRET_KEY)
            .echo_function("echo")
            .function("fails", |_| Err("this function always fails".to_owned()))
            .rate_limit(None)
            .max_body(3 * 1024)
            .max_payload(2 * 1024)
            .max_async_payload(512)
            .record_limit(0)
            .handler()
            .expect("the settings are valid")
    })
}

/// A request decoded from fuzzer bytes.
#[derive(Debug)]
pub struct Input {
    pub sign: bool,
    pub unsigned_payload: bool,
    pub invoke_function: bool,
    pub own_method_and_path: bool,
    pub without_common_headers: bool,
    pub skew: i64,
    pub method: String,
    pub path: String,
    pub authorization: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Input {
    /// Decodes the format described in the module documentation. Never fails.
    pub fn decode(data: &[u8]) -> Input {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let flags = byte(0);
        let header_count = usize::from(byte(1) % 8);

        let rest = data.get(3..).unwrap_or_default();
        let mut fields = rest.splitn(3 + 2 * header_count + 1, |&b| b == SEPARATOR);
        let mut next = || {
            let field = fields.next().unwrap_or_default();
            let field = &field[..field.len().min(FIELD_LIMIT)];
            trim(&String::from_utf8_lossy(field)).to_owned()
        };
        let method = next();
        let path = next();
        let authorization = next();
        let headers = (0..header_count).map(|_| (next(), next())).collect();
        let body = fields.next().unwrap_or_default();

        Input {
            sign: flags & 1 != 0,
            unsigned_payload: flags & 2 != 0,
            invoke_function: flags & 4 != 0,
            own_method_and_path: flags & 8 != 0,
            without_common_headers: flags & 16 != 0,
            skew: i64::from(byte(2) as i8) * 3,
            method,
            path,
            authorization,
            headers,
            body: body[..body.len().min(BODY_LIMIT)].to_vec(),
        }
    }
}

/// Sends `data` to the handler and panics, saying why, if the reply breaks a rule.
pub fn check(data: &[u8]) {
    let input = Input::decode(data);
    let (method, path) = if input.own_method_and_path {
        (input.method.as_str(), input.path.as_str())
    } else {
        ("POST", "/")
    };
    let action = if input.invoke_function {
        "InvokeFunction"
    } else {
        "Invoke"
    };
    let timestamp = NOW + input.skew;

    // Step 1: the request, signed when asked and the signer can.
    let mut headers: Vec<(&str, &str)> = vec![("Host", HOST)];
    if !input.without_common_headers {
        headers.extend([
            ("Content-Type", "application/json"),
            ("X-TC-Action", action),
            ("X-TC-Version", "2018-04-16"),
            ("X-TC-Region", "ap-guangzhou"),
        ]);
    }
    let extra: Vec<(&str, &str)> = input
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    headers.extend(&extra);
    let authorization = if input.sign {
        authorize(&input, method, path, &extra, timestamp)
    } else {
        None
    };
    let timestamp_text = timestamp.to_string();
    headers.push(("X-TC-Timestamp", &timestamp_text));
    headers.push((
        "Authorization",
        authorization.as_deref().unwrap_or(&input.authorization),
    ));
    if input.unsigned_payload {
        headers.push(("X-TC-Content-SHA256", UNSIGNED_PAYLOAD));
    }
    let request = HttpRequest {
        method,
        path,
        headers: &headers,
        body: &input.body,
    };

    // Step 2: the answer.
    let now = UNIX_EPOCH + Duration::from_secs(NOW as u64);
    let reply = handler().handle(&request, now);
    let context = Shown(&request, &reply);
    check_http(&reply, path, &context);

    // Step 3: what the body says.
    match parse_invoke_response(&reply.body) {
        Ok(output) => {
            assert_eq!(reply.status, 200, "{context}");
            if !input.without_common_headers {
                check_success(&input, &output, &context);
            }
        }
        Err(error) => {
            assert_eq!(error.kind(), ErrorKind::Service, "{error}: {context}");
            let code = error.code().unwrap_or_default();
            assert_eq!(reply.status == 404, code == "InvalidRequest", "{context}");
            let repeats = input
                .headers
                .iter()
                .any(|(name, _)| AUTH_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
            let authentic = authorization.is_some() && input.skew.unsigned_abs() <= 300 && !repeats;
            assert!(
                !(authentic && code.starts_with("AuthFailure")),
                "a correctly signed request was refused: {context}"
            );
        }
    }
}

/// The Authorization of a correct signature; `None` where the signer refuses the
/// request, with its extra headers or without them.
fn authorize(
    input: &Input,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    timestamp: i64,
) -> Option<String> {
    let params = SigningParams {
        secret_id: SECRET_ID,
        secret_key: SECRET_KEY,
        service: "scf",
        host: HOST,
        method,
        query: path.split_once('?').map_or("", |(_, query)| query),
        content_type: "application/json",
        headers: extra,
        payload: if input.unsigned_payload {
            Payload::Unsigned
        } else {
            Payload::Bytes(&input.body)
        },
        timestamp,
    };
    let signed = signer::sign(&params).or_else(|_| {
        signer::sign(&SigningParams {
            headers: &[],
            ..params
        })
    });
    signed.ok().map(|signed| signed.authorization().to_owned())
}

/// The status and headers.
fn check_http(reply: &Reply, path: &str, context: &Shown<'_>) {
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    let expected = if path == "/" { 200 } else { 404 };
    assert_eq!(reply.status, expected, "{context}");

    let header = |name: &str| {
        let values: Vec<&str> = reply
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect();
        values
    };
    assert_eq!(header("Content-Type"), ["application/json"], "{context}");
    assert_eq!(
        header("Date"),
        ["Tue, 14 Nov 2023 22:13:20 GMT"],
        "{context}"
    );
}

/// A success must be a registered function's, with what that function does.
fn check_success(input: &Input, output: &scf_invoke::InvokeOutput, context: &Shown<'_>) {
    let params: Map<String, Value> = serde_json::from_slice(&input.body).unwrap_or_default();
    let text = |name: &str| params.get(name).and_then(Value::as_str).unwrap_or_default();
    let event_parameter = if input.invoke_function {
        "Event"
    } else {
        "ClientContext"
    };
    let event = Some(text(event_parameter))
        .filter(|event| !event.is_empty())
        .unwrap_or("{}");

    if text("InvocationType") == "Event" {
        assert!(
            ["echo", "fails"].contains(&text("FunctionName")),
            "{context}"
        );
        assert_eq!(output.return_value(), "", "{context}");
        assert!(!output.is_function_error(), "{context}");
        return;
    }
    match text("FunctionName") {
        "echo" => {
            assert_eq!(output.return_value(), event, "{context}");
            assert!(!output.is_function_error(), "{context}");
        }
        "fails" => assert!(output.is_function_error(), "{context}"),
        other => panic!("a success for the unknown function {other:?}: {context}"),
    }
}

/// A request and its reply, for a failure's message; written out only on failure, which
/// keeps each run cheap.
struct Shown<'a>(&'a HttpRequest<'a>, &'a Reply);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.0, self.1.text())
    }
}

/// Removes HTTP's optional whitespace, spaces and tabs, from both ends.
fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}
