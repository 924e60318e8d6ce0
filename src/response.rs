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
use serde::{Deserialize, Serialize};

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

/// The envelope every answer comes in.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Option<ResponseBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResponseBody {
    error: Option<ServiceErrorBody>,
    request_id: Option<String>,
    result: Option<ResultBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServiceErrorBody {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultBody {
    function_request_id: Option<String>,
    ret_msg: Option<String>,
    err_msg: Option<String>,
    log: Option<String>,
    duration: Option<f64>,
    bill_duration: Option<Number>,
    mem_usage: Option<Number>,
    invoke_result: Option<i64>,
}

/// A non-negative count that the service may write as an integer or, in
/// some answers, as a float.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Integer(u64),
    Float(f64),
}

impl Number {
    fn to_u64(&self) -> Option<u64> {
        match *self {
            Number::Integer(n) => Some(n),
            // `as` saturates; negative and NaN values are refused first.
            Number::Float(f) if f >= 0.0 && f.is_finite() => Some(f.round() as u64),
            Number::Float(_) => None,
        }
    }
}

/// Reads the body of an HTTP 200 answer to `Invoke` or `InvokeFunction`.
///
/// # Errors
///
/// [`ErrorKind::Service`](crate::ErrorKind::Service) when the service
/// answered with an error; [`ErrorKind::InvalidResponse`](crate::ErrorKind::InvalidResponse)
/// when the body is not JSON of the documented shape.
pub fn parse_invoke_response(body: &[u8]) -> Result<InvokeOutput, Error> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        let reason = if e.is_eof() {
            "the body ends before the JSON does (truncated?)".to_owned()
        } else {
            format!("the body is not the documented JSON: {e}")
        };
        Error::invalid_response(reason, body)
    })?;
    let Some(response) = envelope.response else {
        return Err(Error::invalid_response("no \"Response\" object", body));
    };

    if let Some(error) = response.error {
        let message = error.message.unwrap_or_default();
        return Err(Error::service(error.code, message, response.request_id));
    }

    let Some(request_id) = response.request_id else {
        return Err(Error::invalid_response(
            "no \"RequestId\" in the response",
            body,
        ));
    };
    let Some(result) = response.result else {
        return Err(Error::invalid_response(
            "no \"Result\" in the response",
            body,
        ));
    };
    let bill_duration_ms = optional_count(result.bill_duration, "BillDuration", body)?;
    let mem_usage = optional_count(result.mem_usage, "MemUsage", body)?;
    if result
        .duration
        .is_some_and(|ms| !(ms >= 0.0 && ms.is_finite()))
    {
        return Err(Error::invalid_response(
            "\"Duration\" is not a valid duration",
            body,
        ));
    }
    Ok(InvokeOutput {
        request_id,
        function_request_id: result.function_request_id.unwrap_or_default(),
        ret_msg: result.ret_msg.unwrap_or_default(),
        err_msg: result.err_msg.unwrap_or_default(),
        log: result.log.unwrap_or_default(),
        duration_ms: result.duration,
        bill_duration_ms,
        mem_usage,
        invoke_result: result.invoke_result,
    })
}

fn optional_count(
    number: Option<Number>,
    field: &'static str,
    body: &[u8],
) -> Result<Option<u64>, Error> {
    match number {
        None => Ok(None),
        Some(n) => match n.to_u64() {
            Some(value) => Ok(Some(value)),
            None => Err(Error::invalid_response(
                format!("\"{field}\" is not a non-negative number"),
                body,
            )),
        },
    }
}

#[cfg(test)]
mod tests {
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
}
