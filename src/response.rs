//! What the service answers, and how it is read.
//!
//! Every answer comes with HTTP 200 and a JSON body under `"Response"`:
//! either an `"Error"` object with `"Code"` and `"Message"`, or the
//! action's result. Both actions answer with the same `"Result"` object.
//! Nothing here trusts the body: every field is checked for its type, and
//! anything not of the documented shape becomes an
//! [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse) error.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Error;

/// The result of a successful `Invoke` or `InvokeFunction` call.
///
/// "Successful" means the service accepted the call. The function itself
/// may still have failed: check [`InvokeOutput::is_function_error`] (or
/// [`InvokeOutput::function_error`]) before using the return value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvokeOutput {
    request_id: String,
    function_request_id: String,
    ret_msg: String,
    err_msg: String,
    log: String,
    #[serde(rename = "Duration")]
    duration_ms: Option<f64>,
    #[serde(rename = "BillDuration")]
    bill_duration_ms: Option<u64>,
    mem_usage: Option<u64>,
    invoke_result: Option<i64>,
}

impl InvokeOutput {
    /// The `RequestId` of the API call, to quote to Tencent Cloud support.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The `FunctionRequestId` of this invocation, which names it in the
    /// function's logs. For an `Event` invocation, it is all there is.
    pub fn function_request_id(&self) -> &str {
        &self.function_request_id
    }

    /// `RetMsg`: the function's return value, as the text it returned (empty
    /// for an `Event` invocation or a function that failed).
    pub fn return_value(&self) -> &str {
        &self.ret_msg
    }

    /// Decodes the return value as JSON into `T`.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse)
    /// error when the return value is not JSON of the shape `T` expects.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.ret_msg).map_err(|e| {
            Error::invalid_response(
                format!("the function's return value is not the JSON expected: {e}"),
                self.ret_msg.as_bytes(),
            )
        })
    }

    /// Whether the function ran and failed: it raised an error, timed out,
    /// or ran out of memory. The API call itself succeeded.
    pub fn is_function_error(&self) -> bool {
        !self.err_msg.is_empty() || self.invoke_result.is_some_and(|code| code != 0)
    }

    /// `ErrMsg`, the function's error, when it failed.
    pub fn function_error(&self) -> Option<&str> {
        if self.is_function_error() {
            Some(&self.err_msg)
        } else {
            None
        }
    }

    /// `Log`: the tail of the invocation's log, when it was asked for with
    /// [`LogType::Tail`](crate::LogType::Tail); empty otherwise.
    pub fn log(&self) -> &str {
        &self.log
    }

    /// `Duration`: how long the function ran.
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ms
            .and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
    }

    /// `BillDuration`: the duration billed.
    pub fn billed_duration(&self) -> Option<Duration> {
        self.bill_duration_ms.map(Duration::from_millis)
    }

    /// `MemUsage`: the memory the function used, in bytes.
    pub fn memory_used(&self) -> Option<u64> {
        self.mem_usage
    }

    /// `InvokeResult`, the legacy status: 0 when the function succeeded.
    pub fn invoke_result(&self) -> Option<i64> {
        self.invoke_result
    }
}

/// Reads the body of an HTTP 200 answer to `Invoke` or `InvokeFunction`.
///
/// A body of `{"Response":{"Error":{"Code":…,"Message":…},"RequestId":…}}`
/// is the service's error. Otherwise the body must be
/// `{"Response":{"Result":{…},"RequestId":…}}`, with every field of
/// `Result` that is present of its documented type; a field that is absent
/// or `null` reads as empty (strings) or unknown (numbers).
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the service
/// answered with an error; [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse)
/// when the body is not JSON of the documented shape.
pub fn parse_invoke_response(body: &[u8]) -> Result<InvokeOutput, Error> {
    // The whole body is parsed, not only the fields read below: a typed
    // parse skips unknown fields unchecked, and so accepted bodies that are
    // not JSON at all (invalid UTF-8, numbers beyond any float, nesting
    // beyond serde_json's limit) as long as the known fields were fine.
    let mut json: Value = serde_json::from_slice(body).map_err(|e| {
        let reason = if e.is_eof() {
            "the body ends before the JSON does (truncated?)".to_owned()
        } else {
            format!("the body is not the documented JSON: {e}")
        };
        Error::invalid_response(reason, body)
    })?;
    // `get_mut` answers None for anything but an object, so an array in
    // place of the envelope (which serde's derived structs would take
    // field by field) is refused here, and likewise for the objects below.
    let Some(response) = json.get_mut("Response").and_then(Value::as_object_mut) else {
        return Err(Error::invalid_response("no \"Response\" object", body));
    };

    // An error answer: its code, message and request id are all that count,
    // whatever else came with them.
    match response.remove("Error") {
        None | Some(Value::Null) => {}
        Some(Value::Object(mut error)) => {
            let Some(code) = string(&mut error, "Code", body)? else {
                return Err(Error::invalid_response("\"Error\" has no \"Code\"", body));
            };
            let message = string(&mut error, "Message", body)?.unwrap_or_default();
            let request_id = string(response, "RequestId", body)?;
            return Err(Error::service(code, message, request_id));
        }
        Some(_) => return Err(Error::invalid_response("\"Error\" is not an object", body)),
    }

    let Some(request_id) = string(response, "RequestId", body)? else {
        return Err(Error::invalid_response(
            "no \"RequestId\" in the response",
            body,
        ));
    };
    let mut result = match response.remove("Result") {
        Some(Value::Object(result)) => result,
        None | Some(Value::Null) => {
            return Err(Error::invalid_response(
                "no \"Result\" in the response",
                body,
            ))
        }
        Some(_) => return Err(Error::invalid_response("\"Result\" is not an object", body)),
    };
    Ok(InvokeOutput {
        request_id,
        function_request_id: string(&mut result, "FunctionRequestId", body)?.unwrap_or_default(),
        ret_msg: string(&mut result, "RetMsg", body)?.unwrap_or_default(),
        err_msg: string(&mut result, "ErrMsg", body)?.unwrap_or_default(),
        log: string(&mut result, "Log", body)?.unwrap_or_default(),
        duration_ms: duration_ms(&result, body)?,
        bill_duration_ms: count(&result, "BillDuration", body)?,
        mem_usage: count(&result, "MemUsage", body)?,
        invoke_result: invoke_result(&result, body)?,
    })
}

/// Takes a string field out of `object`: `None` when absent or `null`.
fn string(
    object: &mut Map<String, Value>,
    field: &'static str,
    body: &[u8],
) -> Result<Option<String>, Error> {
    match object.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(Error::invalid_response(
            format!("\"{field}\" is not a string"),
            body,
        )),
    }
}

/// `Duration`, in milliseconds: any non-negative number.
fn duration_ms(result: &Map<String, Value>, body: &[u8]) -> Result<Option<f64>, Error> {
    match result.get("Duration") {
        None | Some(Value::Null) => Ok(None),
        // Every number serde_json parses is finite.
        Some(value) => match value.as_f64() {
            Some(ms) if ms >= 0.0 => Ok(Some(ms)),
            _ => Err(Error::invalid_response(
                "\"Duration\" is not a valid duration",
                body,
            )),
        },
    }
}

/// A non-negative count that the service may write as an integer or, in
/// some answers, as a float, which is rounded.
fn count(
    result: &Map<String, Value>,
    field: &'static str,
    body: &[u8],
) -> Result<Option<u64>, Error> {
    // 2^64: every float below it rounds to a u64, and none from it on does.
    const LIMIT: f64 = 18_446_744_073_709_551_616.0;
    let Some(value) = result.get(field).filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    if let Some(n) = value.as_u64() {
        return Ok(Some(n));
    }
    match value.as_f64() {
        // `as` cannot saturate here: the value is below 2^64.
        Some(f) if (0.0..LIMIT).contains(&f) => Ok(Some(f.round() as u64)),
        _ => Err(Error::invalid_response(
            format!("\"{field}\" is not a non-negative number below 2^64"),
            body,
        )),
    }
}

/// `InvokeResult`: an integer.
fn invoke_result(result: &Map<String, Value>, body: &[u8]) -> Result<Option<i64>, Error> {
    match result.get("InvokeResult") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(code) => Ok(Some(code)),
            None => Err(Error::invalid_response(
                "\"InvokeResult\" is not an integer",
                body,
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ErrorKind;

    const SUCCESS: &str = r#"{"Response":{"Result":{"MemUsage":3207168,"Log":"START",
        "RetMsg":"{\"ok\":true}","BillDuration":3,"FunctionRequestId":"f-1","Duration":1.5,
        "ErrMsg":"","InvokeResult":0},"RequestId":"r-1"}}"#;

    #[test]
    fn a_documented_success_is_read_field_by_field() {
        let out = parse_invoke_response(SUCCESS.as_bytes()).unwrap();
        assert_eq!(out.request_id(), "r-1");
        assert_eq!(out.function_request_id(), "f-1");
        assert_eq!(out.log(), "START");
        assert_eq!(out.memory_used(), Some(3_207_168));
        assert_eq!(out.billed_duration(), Some(Duration::from_millis(3)));
        assert_eq!(out.duration(), Some(Duration::from_micros(1500)));
        assert_eq!(out.invoke_result(), Some(0));
        assert!(!out.is_function_error());
        #[derive(Deserialize)]
        struct Ret {
            ok: bool,
        }
        assert!(out.json::<Ret>().unwrap().ok);
    }

    #[test]
    fn a_function_that_failed_is_a_successful_call_with_an_error() {
        let body = r#"{"Response":{"Result":{"RetMsg":"","ErrMsg":"boom","InvokeResult":1,
            "FunctionRequestId":"f"},"RequestId":"r"}}"#;
        let out = parse_invoke_response(body.as_bytes()).unwrap();
        assert!(out.is_function_error());
        assert_eq!(out.function_error(), Some("boom"));
    }

    #[test]
    fn a_service_error_keeps_code_message_and_request_id() {
        let body = r#"{"Response":{"Error":{"Code":"ResourceNotFound.FunctionName",
            "Message":"no such function"},"RequestId":"r-9"}}"#;
        let e = parse_invoke_response(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service);
        assert_eq!(e.code(), Some("ResourceNotFound.FunctionName"));
        assert_eq!(e.message(), Some("no such function"));
        assert_eq!(e.request_id(), Some("r-9"));
        assert!(e.is_function_not_found());
    }

    #[test]
    fn bodies_not_of_the_documented_shape_are_never_success() {
        for body in [
            "",
            "null",
            "[]",
            "<html>502</html>",
            r#"{"Response":{"RequestId":"r"}}"#,
            r#"{"Response":{"Result":{}}}"#,
            r#"{"Response":{"Result":{"RetMsg":1},"RequestId":"r"}}"#,
            r#"{"Response":{"Result":{"MemUsage":-1},"RequestId":"r"}}"#,
            r#"{"Response":{"Error":{"Message":"no code"},"RequestId":"r"}}"#,
            r#"{"Response":{"Result":{},"RequestId":"r"}"#,
        ] {
            let e = parse_invoke_response(body.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{body}");
        }
    }

    #[test]
    fn bodies_that_are_not_json_throughout_are_never_success() {
        // Found by the `response` fuzz target (the first) and by reading what
        // a typed parse skips: each was read as a success before.
        let deep = format!(
            r#"{{"Response":{{"Result":{{}},"RequestId":"r","X":{}{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        );
        for body in [
            &b"{\"Response\":{\"Result\":{},\"RequestId\":\"r\",\"X\":\"\xee\"}}"[..],
            br#"{"Response":{"Result":{},"RequestId":"r","X":1e999}}"#,
            deep.as_bytes(),
            br#"[[null,"r",{}]]"#,
            br#"{"Response":{"Result":[null,null,null,null,null,null,null,null],"RequestId":"r"}}"#,
            br#"{"Response":{"Result":{"MemUsage":1e20},"RequestId":"r"}}"#,
        ] {
            let e = parse_invoke_response(body).unwrap_err();
            let shown = String::from_utf8_lossy(body);
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{shown}");
        }
    }

    #[test]
    fn a_service_error_is_reported_whatever_else_the_body_holds() {
        let body = r#"{"Response":{"Error":{"Code":"InternalError"},"Result":{"RetMsg":1}}}"#;
        let e = parse_invoke_response(body.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service);
        assert_eq!(e.code(), Some("InternalError"));
        assert_eq!(e.message(), Some(""));
        assert_eq!(e.request_id(), None);
    }

    #[test]
    fn counts_written_as_floats_are_rounded() {
        let body = r#"{"Response":{"Result":{"BillDuration":2.5,"MemUsage":1e3},"RequestId":"r"}}"#;
        let out = parse_invoke_response(body.as_bytes()).unwrap();
        assert_eq!(out.billed_duration(), Some(Duration::from_millis(3)));
        assert_eq!(out.memory_used(), Some(1000));
    }
}
