//! The two requests this crate sends: `Invoke` and `InvokeFunction`.
//!
//! Both are built with setters that cannot fail; anything wrong with a field
//! (a malformed function name, an event that is not JSON, a payload over the
//! limit) is reported by the client before any network I/O, as an
//! [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error naming
//! the field and the rule.

use std::collections::BTreeMap;
use std::io;

use serde::Serialize;

use crate::body::{BodyJson, Field};
use crate::Error;

/// How `Invoke` runs the function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum InvocationType {
    /// Run the function and wait for its result (the service's default).
    /// The service allows such an invocation up to 300 seconds.
    #[default]
    RequestResponse,
    /// Queue the function to run later and return at once, with only the
    /// invocation's `FunctionRequestId`.
    Event,
}

impl InvocationType {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationType::RequestResponse => "RequestResponse",
            InvocationType::Event => "Event",
        }
    }
}

/// Whether the function's log comes back with its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum LogType {
    /// No log (the service's default).
    #[default]
    None,
    /// The last 4 KB of the invocation's log.
    Tail,
}

impl LogType {
    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            LogType::None => "None",
            LogType::Tail => "Tail",
        }
    }
}

/// The largest events the service accepts, checked before sending.
///
/// The defaults are the limits the SCF documentation gives today: 6 MB for
/// a synchronous invocation (`RequestResponse`, and every `InvokeFunction`)
/// and 128 KB for an asynchronous one (`Event`). The 2018 edition of the
/// Invoke API page gave 1 MB; set the limits lower if your account is held
/// to that. The size counted is that of the event's JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadLimits {
    /// Largest event of a synchronous invocation, in bytes. Default:
    /// 6 MB (6 × 1024 × 1024).
    pub sync_bytes: usize,
    /// Largest event of an asynchronous (`Event`) invocation, in bytes.
    /// Default: 128 KB (128 × 1024).
    pub event_bytes: usize,
}

impl Default for PayloadLimits {
    fn default() -> PayloadLimits {
        PayloadLimits {
            sync_bytes: 6 * 1024 * 1024,
            event_bytes: 128 * 1024,
        }
    }
}

/// An event as given by the caller: already JSON text, or the reason it is
/// not, kept until the client validates the request.
#[derive(Clone, Debug, Default)]
enum EventText {
    #[default]
    Absent,
    Json(String),
    Invalid(String),
}

impl EventText {
    fn from_value<T: Serialize + ?Sized>(value: &T) -> EventText {
        match to_json_exactly(value).map(String::from_utf8) {
            Ok(Ok(text)) => EventText::Json(text),
            // serde_json writes UTF-8 only.
            Ok(Err(_)) => EventText::Invalid("could not be serialized as UTF-8 JSON".to_owned()),
            Err(e) => EventText::Invalid(format!("could not be serialized as JSON: {e}")),
        }
    }

    fn from_json(text: String) -> EventText {
        match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => EventText::Json(text),
            Err(e) => EventText::Invalid(format!("must be valid JSON: {e}")),
        }
    }

    fn check(&self, field: &'static str, limit: usize, limit_name: &str) -> Result<(), Error> {
        match self {
            EventText::Absent => Ok(()),
            EventText::Invalid(rule) => Err(Error::invalid_input(field, rule.clone())),
            EventText::Json(text) if text.len() > limit => Err(Error::invalid_input(
                field,
                format!(
                    "is {} bytes, over the {limit_name} limit of {limit} bytes",
                    text.len()
                ),
            )),
            EventText::Json(_) => Ok(()),
        }
    }

    fn as_json(&self) -> Option<&str> {
        match self {
            EventText::Json(text) => Some(text),
            _ => None,
        }
    }
}

/// Serializes `value` twice: once to count its bytes, once into a buffer
/// of that size. Growing the buffer instead would, at its last doubling,
/// hold up to three times the text at once, and keep up to twice it for as
/// long as the request lives; a 6 MB event is worth the second pass.
fn to_json_exactly<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut counter = ByteCounter(0);
    serde_json::to_writer(&mut counter, value)?;
    let mut buffer = Vec::with_capacity(counter.0);
    serde_json::to_writer(&mut buffer, value)?;
    Ok(buffer)
}

/// A writer that only counts what is written to it.
struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The fields both actions share.
#[derive(Clone, Debug)]
struct Common {
    function_name: String,
    qualifier: Option<String>,
    namespace: Option<String>,
    log_type: Option<LogType>,
    routing_key: Option<BTreeMap<String, String>>,
    event: EventText,
}

impl Common {
    fn new(function_name: String) -> Common {
        Common {
            function_name,
            qualifier: None,
            namespace: None,
            log_type: None,
            routing_key: None,
            event: EventText::Absent,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        check_function_name(&self.function_name)?;
        if let Some(qualifier) = &self.qualifier {
            check_qualifier(qualifier)?;
        }
        if let Some(namespace) = &self.namespace {
            check_namespace(namespace)?;
        }
        if let Some(routing_key) = &self.routing_key {
            if routing_key.is_empty() {
                return Err(Error::invalid_input(
                    "RoutingKey",
                    "must not be an empty map",
                ));
            }
        }
        Ok(())
    }

    fn routing_key_json(&self) -> Option<String> {
        // A map of strings always serializes.
        self.routing_key.as_ref().map(|map| {
            serde_json::to_string(map).expect("BUG: a map of strings serializes as JSON")
        })
    }

    /// The JSON body. Call only after the request's `validate`.
    fn body(
        &self,
        invocation_type: Option<InvocationType>,
        event_field: &'static str,
    ) -> BodyJson<'_> {
        let routing_key = self.routing_key_json();
        // The order is the one both actions' documentation lists the
        // fields in.
        BodyJson::new(&[
            Field::Short("FunctionName", Some(&self.function_name)),
            Field::Short(
                "InvocationType",
                invocation_type.map(InvocationType::as_str),
            ),
            Field::Short("Qualifier", self.qualifier.as_deref()),
            Field::Event(event_field, self.event.as_json()),
            Field::Short("LogType", self.log_type.map(LogType::as_str)),
            Field::Short("Namespace", self.namespace.as_deref()),
            Field::Short("RoutingKey", routing_key.as_deref()),
        ])
    }
}

/// The `Invoke` action: run a function, synchronously or as an event.
///
/// ```
/// use scf_invoke::{InvokeRequest, InvocationType, LogType};
///
/// let request = InvokeRequest::new("hello")
///     .event(&serde_json::json!({ "name": "world" }))
///     .qualifier("$LATEST")
///     .invocation_type(InvocationType::RequestResponse)
///     .log_type(LogType::Tail);
/// ```
#[derive(Clone, Debug)]
pub struct InvokeRequest {
    common: Common,
    invocation_type: Option<InvocationType>,
}

impl InvokeRequest {
    /// A request to invoke the function `FunctionName`.
    ///
    /// The name must be 2 to 60 ASCII letters, digits, `-` or `_`, start
    /// with a letter and end with a letter or digit.
    pub fn new(function_name: impl Into<String>) -> InvokeRequest {
        InvokeRequest {
            common: Common::new(function_name.into()),
            invocation_type: None,
        }
    }

    /// `InvocationType`. Default: not sent, which the service takes as
    /// [`InvocationType::RequestResponse`].
    pub fn invocation_type(mut self, invocation_type: InvocationType) -> InvokeRequest {
        self.invocation_type = Some(invocation_type);
        self
    }

    /// The invocation type that will run, whether sent or defaulted.
    pub fn effective_invocation_type(&self) -> InvocationType {
        self.invocation_type.unwrap_or_default()
    }

    pub(crate) fn validate(&self, limits: &PayloadLimits) -> Result<(), Error> {
        self.common.validate()?;
        match self.effective_invocation_type() {
            InvocationType::RequestResponse => {
                self.common
                    .event
                    .check("ClientContext", limits.sync_bytes, "synchronous")
            }
            InvocationType::Event => {
                self.common
                    .event
                    .check("ClientContext", limits.event_bytes, "asynchronous")
            }
        }
    }

    /// The JSON body, which never sends `Event`. Call only after
    /// [`InvokeRequest::validate`].
    pub(crate) fn body(&self) -> BodyJson<'_> {
        self.common.body(self.invocation_type, "ClientContext")
    }
}

/// The `InvokeFunction` action: run a function synchronously.
///
/// ```
/// use scf_invoke::InvokeFunctionRequest;
///
/// let request = InvokeFunctionRequest::new("hello")
///     .event_json(r#"{"name":"world"}"#)
///     .namespace("default");
/// ```
#[derive(Clone, Debug)]
pub struct InvokeFunctionRequest {
    common: Common,
}

impl InvokeFunctionRequest {
    /// A request to invoke the function `FunctionName`; the name follows the
    /// same rule as for [`InvokeRequest::new`].
    pub fn new(function_name: impl Into<String>) -> InvokeFunctionRequest {
        InvokeFunctionRequest {
            common: Common::new(function_name.into()),
        }
    }

    pub(crate) fn validate(&self, limits: &PayloadLimits) -> Result<(), Error> {
        self.common.validate()?;
        // InvokeFunction is always synchronous.
        self.common
            .event
            .check("Event", limits.sync_bytes, "synchronous")
    }

    /// The JSON body. Call only after [`InvokeFunctionRequest::validate`].
    pub(crate) fn body(&self) -> BodyJson<'_> {
        self.common.body(None, "Event")
    }
}

/// The setters both requests share. The two types stay separate (each has
/// fields the other lacks, and `Invoke` calls its event `ClientContext`
/// where `InvokeFunction` calls it `Event`), so the shared part is written
/// once here.
macro_rules! shared_setters {
    ($request:ident, $event_field:literal) => {
        impl $request {
            #[doc = concat!("`", $event_field, "`: the event, serialized as JSON. Default: none.")]
            pub fn event<T: Serialize + ?Sized>(mut self, event: &T) -> $request {
                self.common.event = EventText::from_value(event);
                self
            }

            #[doc = concat!("`", $event_field, "`: the event as JSON text, checked to be ")]
            /// valid JSON before it is sent. Default: none.
            pub fn event_json(mut self, json: impl Into<String>) -> $request {
                self.common.event = EventText::from_json(json.into());
                self
            }

            /// `Qualifier`: a version number, `$LATEST`, `$DEFAULT` or an
            /// alias. Default: not sent (the service uses `$LATEST`).
            pub fn qualifier(mut self, qualifier: impl Into<String>) -> $request {
                self.common.qualifier = Some(qualifier.into());
                self
            }

            /// `LogType`. Default: not sent ([`LogType::None`]).
            pub fn log_type(mut self, log_type: LogType) -> $request {
                self.common.log_type = Some(log_type);
                self
            }

            /// `Namespace`. Default: not sent (the namespace `default`).
            pub fn namespace(mut self, namespace: impl Into<String>) -> $request {
                self.common.namespace = Some(namespace.into());
                self
            }

            /// `RoutingKey`: traffic-routing keys for a function alias, sent
            /// as a JSON object of strings. Default: not sent.
            pub fn routing_key<K, V>(mut self, keys: impl IntoIterator<Item = (K, V)>) -> $request
            where
                K: Into<String>,
                V: Into<String>,
            {
                let keys = keys
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect();
                self.common.routing_key = Some(keys);
                self
            }

            /// The function's name.
            pub fn function_name(&self) -> &str {
                &self.common.function_name
            }
        }
    };
}

shared_setters!(InvokeRequest, "ClientContext");
shared_setters!(InvokeFunctionRequest, "Event");

/// The rule SCF documents for function names (the same rule is applied to
/// namespaces, which the service documents with the same character set).
fn check_function_name(name: &str) -> Result<(), Error> {
    const RULE: &str = "must be 2 to 60 ASCII letters, digits, '-' or '_', \
                        starting with a letter and ending with a letter or digit";
    let bytes = name.as_bytes();
    let ok = (2..=60).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "FunctionName",
            format!("{RULE}, got {name:?}"),
        ))
    }
}

fn check_namespace(namespace: &str) -> Result<(), Error> {
    let ok = (1..=60).contains(&namespace.len())
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "Namespace",
            format!("must be 1 to 60 ASCII letters, digits, '-' or '_', got {namespace:?}"),
        ))
    }
}

/// Versions are numbers, the special versions start with `$`, aliases are
/// names; all three fit this rule.
fn check_qualifier(qualifier: &str) -> Result<(), Error> {
    let ok = (1..=128).contains(&qualifier.len())
        && qualifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"$-_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(
            "Qualifier",
            format!(
                "must be 1 to 128 ASCII letters, digits, '$', '-' or '_' \
                 (a version, $LATEST, $DEFAULT or an alias), got {qualifier:?}"
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(request: &InvokeRequest) -> serde_json::Value {
        request.validate(&PayloadLimits::default()).unwrap();
        serde_json::from_slice(&request.body().to_vec()).unwrap()
    }

    #[test]
    fn every_invoke_field_reaches_the_body_and_unset_ones_are_omitted() {
        let minimal = body_of(&InvokeRequest::new("hello"));
        assert_eq!(minimal, serde_json::json!({ "FunctionName": "hello" }));

        let full = body_of(
            &InvokeRequest::new("hello")
                .event(&serde_json::json!({ "a": "未命名" }))
                .invocation_type(InvocationType::Event)
                .qualifier("$DEFAULT")
                .log_type(LogType::Tail)
                .namespace("prod")
                .routing_key([("k", "v")]),
        );
        assert_eq!(
            full,
            serde_json::json!({
                "FunctionName": "hello",
                "InvocationType": "Event",
                "Qualifier": "$DEFAULT",
                "ClientContext": "{\"a\":\"未命名\"}",
                "LogType": "Tail",
                "Namespace": "prod",
                "RoutingKey": "{\"k\":\"v\"}",
            })
        );
    }

    #[test]
    fn large_events_of_both_actions_are_streamed() {
        use crate::body::{Prepared, STREAM_ABOVE};
        let event = format!("\"{}\"", "x".repeat(STREAM_ABOVE));
        let invoke = InvokeRequest::new("hello").event_json(event.clone());
        let function = InvokeFunctionRequest::new("hello").event_json(event);
        for body in [invoke.body(), function.body()] {
            assert!(Prepared::new(body, true).is_streamed());
        }
        let small = InvokeFunctionRequest::new("hello").event_json("{}");
        assert!(!Prepared::new(small.body(), true).is_streamed());
    }

    #[test]
    fn a_serialized_event_is_held_at_its_exact_size() {
        let value = serde_json::json!({ "records": vec!["未命名 \"x\""; 1000] });
        let EventText::Json(text) = EventText::from_value(&value) else {
            panic!("a JSON value serializes");
        };
        assert_eq!(text, serde_json::to_string(&value).unwrap());
        assert_eq!(text.capacity(), text.len());
    }

    #[test]
    fn an_event_that_cannot_be_serialized_is_refused_naming_the_field() {
        // JSON object keys must be strings.
        let value = BTreeMap::from([((1, 2), "pair")]);
        let e = InvokeRequest::new("hello")
            .event(&value)
            .validate(&PayloadLimits::default())
            .unwrap_err();
        assert_eq!(e.field(), Some("ClientContext"));
        assert!(e.rule().unwrap().contains("could not be serialized"), "{e}");
    }

    #[test]
    fn function_names_follow_the_documented_rule() {
        for good in ["ab", "my-func_01", &"a".repeat(60)] {
            assert!(check_function_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "1abc", "abc-", "ab c", "名字", &"a".repeat(61)] {
            let e = check_function_name(bad).unwrap_err();
            assert_eq!(e.field(), Some("FunctionName"), "{bad}");
        }
    }

    #[test]
    fn an_event_that_is_not_json_is_refused_naming_the_field() {
        let e = InvokeRequest::new("hello")
            .event_json("{not json")
            .validate(&PayloadLimits::default())
            .unwrap_err();
        assert_eq!(e.field(), Some("ClientContext"));
        let e = InvokeFunctionRequest::new("hello")
            .event_json("")
            .validate(&PayloadLimits::default())
            .unwrap_err();
        assert_eq!(e.field(), Some("Event"));
    }

    #[test]
    fn event_limits_depend_on_the_invocation_type() {
        let limits = PayloadLimits {
            sync_bytes: 100,
            event_bytes: 10,
        };
        let event = format!("\"{}\"", "x".repeat(20));
        let sync = InvokeRequest::new("hello").event_json(event.clone());
        assert!(sync.validate(&limits).is_ok());
        let queued = sync.invocation_type(InvocationType::Event);
        let e = queued.validate(&limits).unwrap_err();
        assert!(
            e.rule().unwrap().contains("asynchronous limit of 10 bytes"),
            "{e}"
        );
    }
}
