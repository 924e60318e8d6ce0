//! The action parameters in the request body, checked as the service
//! checks them.

use serde_json::{Map, Value};

use super::rejection::{code, Rejection};

/// The actions the emulator answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Invoke,
    InvokeFunction,
}

impl Action {
    pub(crate) fn parse(name: &str) -> Option<Action> {
        match name {
            "Invoke" => Some(Action::Invoke),
            "InvokeFunction" => Some(Action::InvokeFunction),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Action::Invoke => "Invoke",
            Action::InvokeFunction => "InvokeFunction",
        }
    }

    /// The body parameter that carries the event.
    pub(crate) fn event_parameter(self) -> &'static str {
        match self {
            Action::Invoke => "ClientContext",
            Action::InvokeFunction => "Event",
        }
    }

    /// Every parameter the action accepts; anything else is refused with
    /// `UnknownParameter`, as the service refuses it.
    fn parameters(self) -> &'static [&'static str] {
        match self {
            Action::Invoke => &[
                "FunctionName",
                "InvocationType",
                "Qualifier",
                "ClientContext",
                "LogType",
                "Namespace",
                "RoutingKey",
            ],
            Action::InvokeFunction => &[
                "FunctionName",
                "Qualifier",
                "Event",
                "LogType",
                "Namespace",
                "RoutingKey",
            ],
        }
    }
}

/// The size limits on events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EventLimits {
    /// For synchronous invocations (the service: 6 MB).
    pub(crate) sync: usize,
    /// For `InvocationType: Event` (the service: 128 KB).
    pub(crate) asynchronous: usize,
}

/// The largest `RoutingKey` the service accepts.
const ROUTING_KEY_LIMIT: usize = 1024;

/// A checked call: everything needed to run the function.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) function_name: String,
    pub(crate) namespace: String,
    /// The event's JSON text; `{}` when none was sent.
    pub(crate) event: String,
    pub(crate) asynchronous: bool,
    pub(crate) tail_log: bool,
}

/// Parses the body as a JSON object; an empty body is an empty object.
pub(crate) fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    // serde_json refuses nesting deeper than 128 levels, so hostile input
    // cannot exhaust the stack here.
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Rejection::new(
            code::INVALID_PARAMETER,
            "The request body must be a JSON object",
        )),
        Err(e) => Err(Rejection::new(
            code::INVALID_PARAMETER,
            format!("The request body is not valid JSON: {e}"),
        )),
    }
}

/// A parameter's value if it was sent as a string; what a recorded
/// invocation shows.
pub(crate) fn sent_string(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

impl Call {
    /// Checks the parameters of `action` in the order the service reports
    /// problems: unknown names, then types, then required values, then
    /// each value.
    pub(crate) fn check(
        action: Action,
        params: &Map<String, Value>,
        limits: EventLimits,
    ) -> Result<Call, Rejection> {
        // Step 1: every name must be one this action knows.
        if let Some(unknown) = params
            .keys()
            .find(|name| !action.parameters().contains(&name.as_str()))
        {
            return Err(Rejection::new(
                code::UNKNOWN_PARAMETER,
                format!(
                    "The parameter `{}` is not recognized by {}",
                    shorten(unknown),
                    action.name()
                ),
            ));
        }

        // Step 2: every value must be a string. A null is taken as absent,
        // as the SDKs omit unset parameters rather than send null.
        for (name, value) in params {
            if !matches!(value, Value::String(_) | Value::Null) {
                return Err(Rejection::new(
                    code::INVALID_PARAMETER,
                    format!("The type of parameter `{name}` must be String"),
                ));
            }
        }
        // Optional parameters sent empty take their defaults, as the
        // service documents for Namespace.
        let optional = |name: &str| {
            params
                .get(name)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
        };

        // Step 3: the function's name.
        let function_name = match params.get("FunctionName").and_then(Value::as_str) {
            None => {
                return Err(Rejection::new(
                    code::MISSING_PARAMETER,
                    "The parameter `FunctionName` is missing",
                ))
            }
            Some(name) => name,
        };
        if let Err(rule) = check_function_name(function_name) {
            return Err(Rejection::new(
                code::INVALID_PARAMETER_VALUE_FUNCTION_NAME,
                format!(
                    "FunctionName {:?} is invalid: {rule}",
                    shorten(function_name)
                ),
            ));
        }

        // Step 4: the invocation type and the log type.
        let asynchronous = match optional("InvocationType") {
            None | Some("RequestResponse") => false,
            Some("Event") => true,
            Some(other) => {
                return Err(Rejection::new(
                    code::INVALID_PARAMETER_VALUE,
                    format!(
                        "InvocationType {:?} is invalid: it must be RequestResponse or Event",
                        shorten(other)
                    ),
                ))
            }
        };
        let tail_log = match optional("LogType") {
            None | Some("None") => false,
            Some("Tail") => true,
            Some(other) => {
                return Err(Rejection::new(
                    code::INVALID_PARAMETER_VALUE,
                    format!(
                        "LogType {:?} is invalid: it must be None or Tail",
                        shorten(other)
                    ),
                ))
            }
        };

        // Step 5: the event: within the size limit, and JSON.
        let event_parameter = action.event_parameter();
        let event = optional(event_parameter).unwrap_or("{}");
        let limit = if asynchronous {
            limits.asynchronous
        } else {
            limits.sync
        };
        if event.len() > limit {
            return Err(Rejection::new(
                code::REQUEST_TOO_LARGE,
                format!(
                    "{event_parameter} is {} bytes; the limit for {} invocations is {limit} bytes",
                    event.len(),
                    if asynchronous {
                        "asynchronous"
                    } else {
                        "synchronous"
                    }
                ),
            ));
        }
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(event) {
            return Err(Rejection::new(
                code::INVALID_PARAMETER_VALUE_PARAM,
                format!("{event_parameter} is not valid JSON: {e}"),
            ));
        }

        // Step 6: the routing key: a small JSON object of strings.
        if let Some(key) = optional("RoutingKey") {
            let is_object_of_strings = key.len() <= ROUTING_KEY_LIMIT
                && serde_json::from_str::<Map<String, Value>>(key)
                    .is_ok_and(|map| map.values().all(Value::is_string));
            if !is_object_of_strings {
                return Err(Rejection::new(
                    code::INVALID_PARAMETER_VALUE,
                    format!(
                        "RoutingKey must be a JSON object whose keys and values are strings, \
                         at most {ROUTING_KEY_LIMIT} bytes"
                    ),
                ));
            }
        }

        Ok(Call {
            function_name: function_name.to_owned(),
            namespace: optional("Namespace").unwrap_or("default").to_owned(),
            event: event.to_owned(),
            asynchronous,
            tail_log,
        })
    }
}

/// The service's rule for function names: 2 to 60 characters, letters,
/// digits, `-` and `_`, starting with a letter and ending with a letter or
/// a digit.
pub(crate) fn check_function_name(name: &str) -> Result<(), &'static str> {
    let bytes = name.as_bytes();
    if !(2..=60).contains(&bytes.len()) {
        return Err("it must be 2 to 60 characters long");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    {
        return Err("it may contain only letters, digits, '-' and '_'");
    }
    if !bytes[0].is_ascii_alphabetic() {
        return Err("it must start with a letter");
    }
    if !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Err("it must end with a letter or a digit");
    }
    Ok(())
}

/// At most 64 characters of a client-supplied value, for messages: an
/// error body must not echo a megabyte back.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(64) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> EventLimits {
        EventLimits {
            sync: 100,
            asynchronous: 10,
        }
    }

    fn check(action: Action, body: &str) -> Result<Call, Rejection> {
        Call::check(action, &parse_body(body.as_bytes())?, limits())
    }

    #[test]
    fn defaults_fill_what_was_not_sent() {
        let call = check(Action::Invoke, r#"{"FunctionName":"hello","Namespace":""}"#).unwrap();
        assert_eq!(call.namespace, "default");
        assert_eq!(call.event, "{}");
        assert!(!call.asynchronous && !call.tail_log);
        let call = check(Action::InvokeFunction, r#"{"FunctionName":"hello"}"#).unwrap();
        assert_eq!(call.function_name, "hello");
    }

    #[test]
    fn each_problem_gets_the_service_code() {
        let cases = [
            (Action::Invoke, "[1]", "InvalidParameter"),
            (Action::Invoke, "{", "InvalidParameter"),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","Event":"{}"}"#,
                "UnknownParameter",
            ),
            (
                Action::InvokeFunction,
                r#"{"FunctionName":"hello","InvocationType":"Event"}"#,
                "UnknownParameter",
            ),
            (Action::Invoke, r#"{"FunctionName":5}"#, "InvalidParameter"),
            (Action::Invoke, r#"{}"#, "MissingParameter"),
            (
                Action::Invoke,
                r#"{"FunctionName":"1abc"}"#,
                "InvalidParameterValue.FunctionName",
            ),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","InvocationType":"Later"}"#,
                "InvalidParameterValue",
            ),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","LogType":"All"}"#,
                "InvalidParameterValue",
            ),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","ClientContext":"{oops"}"#,
                "InvalidParameterValue.Param",
            ),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","InvocationType":"Event","ClientContext":"[1,2,3,4,5,6]"}"#,
                "InvalidParameter.RequestTooLarge",
            ),
            (
                Action::Invoke,
                r#"{"FunctionName":"hello","RoutingKey":"{\"k\":1}"}"#,
                "InvalidParameterValue",
            ),
        ];
        for (action, body, expected) in cases {
            let got = check(action, body).map(|_| ()).unwrap_err();
            assert_eq!(got.code(), expected, "{body}: {got}");
        }
    }

    #[test]
    fn function_names_follow_the_service_rule() {
        for good in ["ab", "hello-world_2", "A1"] {
            assert!(check_function_name(good).is_ok(), "{good}");
        }
        for bad in ["a", "1ab", "ab-", "a.b", "", &"a".repeat(61)] {
            assert!(check_function_name(bad).is_err(), "{bad}");
        }
    }
}
