//! Reading temporary credentials out of the JSON that the metadata service
//! and STS answer, without letting them leak.
//!
//! A successful answer holds a secret key and a token, so errors about it
//! never keep its body and never quote a value; they name the field that is
//! missing or of the wrong type. Errors about answers that hold no
//! credentials (an error page, a service error) keep what came back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::http::Reply;
use crate::Error;

/// Parses a `200 OK` body as JSON. `what` names the answer in errors.
pub(crate) fn parse_json(what: &str, reply: &Reply) -> Result<Value, Error> {
    serde_json::from_slice(&reply.body).map_err(|e| {
        // serde_json's syntax errors give a position, never the text there.
        Error::invalid_response(
            format!(
                "{what} is not JSON ({e}, {} bytes); the body is not kept since it may hold \
                 credentials",
                reply.body.len()
            ),
            b"",
        )
    })
}

/// The field at `path` (from `root`), as a non-empty string.
pub(crate) fn string_field<'a>(
    what: &str,
    root: &'a Value,
    path: &[&str],
) -> Result<&'a str, Error> {
    match walk(root, path) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.trim()),
        Some(Value::String(_)) => Err(field_error(what, path, "is empty")),
        Some(_) => Err(field_error(what, path, "is not a string")),
        None => Err(field_error(what, path, "is missing")),
    }
}

/// The field at `path`, if present, as a string; `None` when absent or of
/// another type. For fields that only decorate an error (a message, a
/// request id).
pub(crate) fn optional_string(root: &Value, path: &[&str]) -> Option<String> {
    walk(root, path).and_then(Value::as_str).map(str::to_owned)
}

/// The field at `path`, Unix seconds, as a time.
pub(crate) fn unix_time_field(
    what: &str,
    root: &Value,
    path: &[&str],
) -> Result<SystemTime, Error> {
    let seconds = match walk(root, path) {
        Some(Value::Number(number)) => number.as_u64(),
        // Some answers quote their numbers; accept digits in a string.
        Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
        Some(_) => None,
        None => return Err(field_error(what, path, "is missing")),
    };
    seconds
        .filter(|&s| s > 0)
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .ok_or_else(|| field_error(what, path, "is not a positive number of Unix seconds"))
}

/// The value at a path of object keys.
pub(crate) fn walk<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(root, |value, key| value.get(key))
}

fn field_error(what: &str, path: &[&str], problem: &str) -> Error {
    Error::invalid_response(format!("in {what}, {} {problem}", path.join(".")), b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Reply {
        Reply {
            status: 200,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn errors_name_the_field_but_never_quote_a_value() {
        let value = parse_json(
            "the answer",
            &reply(r#"{"A":{"Key":12345,"Empty":" ","Secret":"s3cr3t"}}"#),
        )
        .unwrap();
        let e = string_field("the answer", &value, &["A", "Key"]).unwrap_err();
        assert!(e.to_string().contains("A.Key is not a string"), "{e}");
        assert!(!e.to_string().contains("12345"), "{e}");
        let e = string_field("the answer", &value, &["A", "Empty"]).unwrap_err();
        assert!(e.to_string().contains("A.Empty is empty"), "{e}");
        let e = unix_time_field("the answer", &value, &["A", "Secret"]).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("s3cr3t"), "{e:?}");
        let e = string_field("the answer", &value, &["B"]).unwrap_err();
        assert!(e.to_string().contains("B is missing"), "{e}");
    }

    #[test]
    fn a_body_that_is_not_json_is_not_kept() {
        let e = parse_json("the answer", &reply(r#"{"TmpSecretKey":"s3cr3t""#)).unwrap_err();
        assert_eq!(e.body_excerpt(), Some(""));
        assert!(!format!("{e} {e:?}").contains("s3cr3t"), "{e:?}");
    }

    #[test]
    fn unix_times_may_be_numbers_or_digit_strings() {
        let value: Value =
            serde_json::from_str(r#"{"N":1700000000,"S":"1700000000","Z":0}"#).unwrap();
        let expected = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(unix_time_field("x", &value, &["N"]).unwrap(), expected);
        assert_eq!(unix_time_field("x", &value, &["S"]).unwrap(), expected);
        assert!(unix_time_field("x", &value, &["Z"]).is_err());
    }
}
