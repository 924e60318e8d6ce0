//! The `response` target: any bytes as the body of an `Invoke` answer.
//!
//! [`scf_invoke::response::parse_invoke_response`] must not panic, and its verdict must
//! match what an independent reading of the same bytes with [`serde_json::Value`] says
//! the body is:
//!
//! - a success only for `{"Response":{"RequestId":"…","Result":{…}}}` whose known fields
//!   have their documented types, with every value the output reports equal to the JSON;
//! - a service error only for `{"Response":{"Error":{"Code":"…",…},…}}`, with the code,
//!   message and request id the JSON holds;
//! - otherwise an invalid-response error, never any other kind.
//!
//! An `"Error"` of `null` counts as absent, as do `null` optional fields: JSON writers
//! commonly emit `null` for "none", and nothing else could be meant by it.
//!
//! The parser's verdict on the body is compared with its verdict on the body as
//! `serde_json` writes it back, so that the rules above are also checked the other way:
//! every body of the documented shape is read as such.

use std::time::Duration;

use scf_invoke::response::{parse_invoke_response, InvokeOutput};
use scf_invoke::{Error, ErrorKind};
use serde_json::{Map, Value};

/// What the documentation says a body is.
#[derive(Debug, PartialEq)]
enum Shape {
    Success,
    ServiceError,
    Invalid,
}

/// Parses `body` and panics, saying why, if the parser's verdict is wrong.
pub fn check(body: &[u8]) {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let shape = json.as_ref().map_or(Shape::Invalid, shape);
    let parsed = parse_invoke_response(body);
    verify(&parsed, json.as_ref(), &shape, body);

    // The same JSON, written back without anything serde_json ignores or keeps only once
    // (such as a repeated key), must get the same verdict.
    if let Some(json) = &json {
        let rewritten = serde_json::to_vec(json).expect("a Value always serializes");
        verify(
            &parse_invoke_response(&rewritten),
            Some(json),
            &shape,
            &rewritten,
        );
    }
}

fn verify(parsed: &Result<InvokeOutput, Error>, json: Option<&Value>, shape: &Shape, body: &[u8]) {
    let shown = String::from_utf8_lossy(body);
    match (parsed, json) {
        (Ok(output), Some(json)) if *shape == Shape::Success => success(output, json, &shown),
        (Err(error), Some(json)) if error.kind() == ErrorKind::Service => {
            assert_eq!(*shape, Shape::ServiceError, "{error} for {shown}");
            service_error(error, json, &shown);
        }
        (Err(error), _) if error.kind() == ErrorKind::InvalidResponse => {
            assert_eq!(*shape, Shape::Invalid, "{error} for {shown}");
            let excerpt = error
                .body_excerpt()
                .expect("an invalid response keeps an excerpt");
            let start = String::from_utf8_lossy(&body[..body.len().min(512)]);
            assert!(start.starts_with(excerpt), "excerpt {excerpt:?} of {shown}");
        }
        (Ok(output), _) => panic!("success {output:?} for a {shape:?} body: {shown}"),
        (Err(error), _) => panic!(
            "{:?} error {error} for a {shape:?} body: {shown}",
            error.kind()
        ),
    }
}

/// Classifies a JSON document by the documented rules, written without the parser.
fn shape(json: &Value) -> Shape {
    let Some(response) = json.get("Response").and_then(Value::as_object) else {
        return Shape::Invalid;
    };
    match response.get("Error") {
        None | Some(Value::Null) => {}
        Some(Value::Object(error)) => {
            let code_ok = error.get("Code").is_some_and(Value::is_string);
            let message_ok = is_optional(error.get("Message"), Value::is_string);
            let id_ok = is_optional(response.get("RequestId"), Value::is_string);
            return if code_ok && message_ok && id_ok {
                Shape::ServiceError
            } else {
                Shape::Invalid
            };
        }
        Some(_) => return Shape::Invalid,
    }

    let Some(result) = response.get("Result").and_then(Value::as_object) else {
        return Shape::Invalid;
    };
    let strings_ok = ["FunctionRequestId", "RetMsg", "ErrMsg", "Log"]
        .iter()
        .all(|name| is_optional(result.get(*name), Value::is_string));
    let duration_ok = is_optional(result.get("Duration"), |v| {
        v.as_f64().is_some_and(|f| f >= 0.0)
    });
    let counts_ok = ["BillDuration", "MemUsage"]
        .iter()
        .all(|name| is_optional(result.get(*name), |v| count(v).is_some()));
    let status_ok = is_optional(result.get("InvokeResult"), Value::is_i64);
    let id_ok = response.get("RequestId").is_some_and(Value::is_string);
    if strings_ok && duration_ok && counts_ok && status_ok && id_ok {
        Shape::Success
    } else {
        Shape::Invalid
    }
}

/// Every value a successful output reports must be the one in the JSON.
fn success(output: &InvokeOutput, json: &Value, shown: &str) {
    let response = &json["Response"];
    let result = response["Result"]
        .as_object()
        .expect("the shape has a Result object");
    assert_eq!(
        Some(output.request_id()),
        response["RequestId"].as_str(),
        "{shown}"
    );
    assert_eq!(
        output.function_request_id(),
        text(result, "FunctionRequestId"),
        "{shown}"
    );
    assert_eq!(output.return_value(), text(result, "RetMsg"), "{shown}");
    assert_eq!(output.log(), text(result, "Log"), "{shown}");
    assert_eq!(
        output.invoke_result(),
        result.get("InvokeResult").and_then(Value::as_i64)
    );
    let billed = result
        .get("BillDuration")
        .and_then(count)
        .map(Duration::from_millis);
    assert_eq!(output.billed_duration(), billed, "{shown}");
    assert_eq!(
        output.memory_used(),
        result.get("MemUsage").and_then(count),
        "{shown}"
    );

    // The function failed when it says so in either of the two ways the service has.
    let err_msg = text(result, "ErrMsg");
    let failed = !err_msg.is_empty() || output.invoke_result().is_some_and(|code| code != 0);
    assert_eq!(output.is_function_error(), failed, "{shown}");
    assert_eq!(
        output.function_error(),
        failed.then_some(err_msg),
        "{shown}"
    );

    // Durations are milliseconds; `Duration` keeps nanoseconds and tops out near 1.8e19 s.
    match (
        output.duration(),
        result.get("Duration").and_then(Value::as_f64),
    ) {
        (None, None) => {}
        (Some(duration), Some(ms)) => {
            let seconds = ms / 1000.0;
            let error = (duration.as_secs_f64() - seconds).abs();
            assert!(
                error <= 1e-9 + seconds * 1e-15,
                "{duration:?} for {ms} ms: {shown}"
            );
        }
        (None, Some(ms)) => assert!(ms / 1000.0 >= Duration::MAX.as_secs_f64(), "{shown}"),
        (Some(duration), None) => panic!("{duration:?} from no Duration: {shown}"),
    }
}

fn service_error(error: &Error, json: &Value, shown: &str) {
    let response = &json["Response"];
    let fields = response["Error"]
        .as_object()
        .expect("the shape has an Error object");
    assert_eq!(error.code(), fields["Code"].as_str(), "{shown}");
    assert_eq!(error.message(), Some(text(fields, "Message")), "{shown}");
    assert_eq!(
        error.request_id(),
        response["RequestId"].as_str(),
        "{shown}"
    );
}

/// Whether a field is absent, `null`, or passes `test`.
fn is_optional(value: Option<&Value>, test: impl Fn(&Value) -> bool) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(value) => test(value),
    }
}

/// A string field, empty when absent or `null`.
fn text<'a>(object: &'a Map<String, Value>, name: &str) -> &'a str {
    object.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A count of milliseconds or bytes: a whole number, or a float rounded to one, that
/// fits in a `u64`.
fn count(value: &Value) -> Option<u64> {
    if let Some(n) = value.as_u64() {
        return Some(n);
    }
    let f = value.as_f64()?;
    // 2^64 is the first float too large; every float below it rounds to a u64.
    (0.0..18_446_744_073_709_551_616.0)
        .contains(&f)
        .then(|| f.round() as u64)
}
