//! The crate's one error type.
//!
//! Every fallible function in this crate returns [`Error`]. It is an opaque
//! struct, so it can grow without breaking callers; what a caller needs to
//! decide what to do next is answered by [`Error::kind`], by accessors such
//! as [`Error::code`] and [`Error::request_id`], and by predicates such as
//! [`Error::is_throttled`].
//!
//! `Display` speaks for this crate's layer only (lowercase, no trailing
//! period); the underlying cause, when there is one, is available from
//! [`std::error::Error::source`]. No message ever contains a secret key, a
//! session token or a signature.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

/// How many bytes of an unexpected response body an error keeps.
///
/// Enough to recognise an HTML error page or a proxy's message, small enough
/// that an error stays cheap to log and to carry around.
pub(crate) const EXCERPT_LIMIT: usize = 512;

/// An error from this crate.
///
/// See [`ErrorKind`] for the broad categories, and the accessors for the
/// details each category carries.
pub struct Error {
    // Boxed so that `Result<T, Error>` stays one pointer wide.
    inner: Box<Inner>,
}

struct Inner {
    repr: Repr,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

enum Repr {
    InvalidInput {
        field: Cow<'static, str>,
        rule: Cow<'static, str>,
    },
    Service(ServiceError),
    Transport {
        kind: TransportKind,
        detail: Cow<'static, str>,
        /// A timeout passed. Also set for `Connect`: a connection that
        /// timed out is still one that was never made.
        timed_out: bool,
        /// The request certainly did not reach the server whole: always
        /// for `Dns` and `Connect`, and for other kinds when the failure
        /// came before the body was handed to the connection.
        not_sent: bool,
    },
    HttpStatus {
        status: u16,
        excerpt: String,
    },
    InvalidResponse {
        reason: Cow<'static, str>,
        excerpt: String,
    },
    Credentials {
        detail: Cow<'static, str>,
    },
}

/// The error answered by the service itself.
struct ServiceError {
    code: String,
    message: String,
    request_id: Option<String>,
}

/// The broad category of an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument or a setting broke a rule. Detected before any network
    /// I/O; [`Error::field`] names the field and [`Error::rule`] the rule.
    InvalidInput,
    /// The service answered with an error: [`Error::code`],
    /// [`Error::message`] and [`Error::request_id`] carry what it said.
    Service,
    /// The request did not complete at the transport level: connecting, TLS,
    /// a timeout, or an I/O failure. [`Error::transport_kind`] says which.
    Transport,
    /// The server answered with an HTTP status other than 200.
    /// [`Error::status`] and [`Error::body_excerpt`] say what came back.
    HttpStatus,
    /// The response was not of the documented shape (not JSON, truncated,
    /// fields missing or of the wrong type). [`Error::body_excerpt`] keeps
    /// the start of it.
    InvalidResponse,
    /// No credentials could be found, or a credentials provider failed.
    Credentials,
}

/// What went wrong at the transport level, for [`ErrorKind::Transport`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The host name could not be resolved.
    Dns,
    /// No connection could be established (refused, unreachable, or the
    /// connect timeout passed). The request was certainly not sent.
    Connect,
    /// A timeout passed after the connection was established. The request
    /// may have reached the function.
    Timeout,
    /// The TLS handshake or certificate verification failed.
    Tls,
    /// An I/O or HTTP protocol failure on an established connection.
    Io,
}

impl Error {
    pub(crate) fn invalid_input(
        field: impl Into<Cow<'static, str>>,
        rule: impl Into<Cow<'static, str>>,
    ) -> Error {
        Error::new(Repr::InvalidInput {
            field: field.into(),
            rule: rule.into(),
        })
    }

    pub(crate) fn service(code: String, message: String, request_id: Option<String>) -> Error {
        Error::new(Repr::Service(ServiceError {
            code,
            message,
            request_id,
        }))
    }

    pub(crate) fn transport(kind: TransportKind, detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Repr::Transport {
            kind,
            detail: detail.into(),
            timed_out: kind == TransportKind::Timeout,
            not_sent: matches!(kind, TransportKind::Dns | TransportKind::Connect),
        })
    }

    /// Resolving the host or connecting took longer than allowed: a
    /// `Connect` failure (nothing was sent) for which `is_timeout` holds.
    pub(crate) fn connect_timeout(detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Repr::Transport {
            kind: TransportKind::Connect,
            detail: detail.into(),
            timed_out: true,
            not_sent: true,
        })
    }

    pub(crate) fn http_status(status: u16, body: &[u8]) -> Error {
        Error::new(Repr::HttpStatus {
            status,
            excerpt: excerpt(body),
        })
    }

    pub(crate) fn invalid_response(reason: impl Into<Cow<'static, str>>, body: &[u8]) -> Error {
        Error::new(Repr::InvalidResponse {
            reason: reason.into(),
            excerpt: excerpt(body),
        })
    }

    pub(crate) fn credentials(detail: impl Into<Cow<'static, str>>) -> Error {
        Error::new(Repr::Credentials {
            detail: detail.into(),
        })
    }

    /// Attaches the underlying cause, returned by `source()`.
    ///
    /// Callers must only pass errors whose `Display` cannot contain a secret.
    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Marks a transport error as one that came before any of the request's
    /// body was handed to the connection, so that the request cannot have
    /// run (the service reads the function's name from the body); other
    /// kinds are returned as they are.
    pub(crate) fn with_nothing_sent(mut self) -> Error {
        if let Repr::Transport { not_sent, .. } = &mut self.inner.repr {
            *not_sent = true;
        }
        self
    }

    /// Puts `context` (what was being done, such as which URL a request
    /// went to) in front of the detail of a transport error, the reason of
    /// an invalid response or the rule of invalid input; other kinds carry
    /// their own context already and are returned as they are.
    pub(crate) fn with_context(mut self, context: &str) -> Error {
        let text = match &mut self.inner.repr {
            Repr::Transport { detail: text, .. }
            | Repr::InvalidResponse { reason: text, .. }
            | Repr::InvalidInput { rule: text, .. } => text,
            Repr::Service(_) | Repr::HttpStatus { .. } | Repr::Credentials { .. } => return self,
        };
        *text = Cow::Owned(format!("{context}: {text}"));
        self
    }

    fn new(repr: Repr) -> Error {
        Error {
            inner: Box::new(Inner { repr, source: None }),
        }
    }

    /// The broad category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self.inner.repr {
            Repr::InvalidInput { .. } => ErrorKind::InvalidInput,
            Repr::Service(_) => ErrorKind::Service,
            Repr::Transport { .. } => ErrorKind::Transport,
            Repr::HttpStatus { .. } => ErrorKind::HttpStatus,
            Repr::InvalidResponse { .. } => ErrorKind::InvalidResponse,
            Repr::Credentials { .. } => ErrorKind::Credentials,
        }
    }

    /// For [`ErrorKind::InvalidInput`], the name of the field or setting that
    /// broke a rule, such as `"FunctionName"` or `"endpoint"`.
    pub fn field(&self) -> Option<&str> {
        match &self.inner.repr {
            Repr::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// For [`ErrorKind::InvalidInput`], the rule that was broken.
    pub fn rule(&self) -> Option<&str> {
        match &self.inner.repr {
            Repr::InvalidInput { rule, .. } => Some(rule),
            _ => None,
        }
    }

    /// For [`ErrorKind::Service`], the service's error code, such as
    /// `"ResourceNotFound.FunctionName"`.
    pub fn code(&self) -> Option<&str> {
        self.service_error().map(|e| e.code.as_str())
    }

    /// For [`ErrorKind::Service`], the service's error message.
    pub fn message(&self) -> Option<&str> {
        self.service_error().map(|e| e.message.as_str())
    }

    /// For [`ErrorKind::Service`], the `RequestId` the service gave the
    /// failed call, to quote when asking Tencent Cloud for support.
    pub fn request_id(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.request_id.as_deref())
    }

    /// For [`ErrorKind::HttpStatus`], the HTTP status code.
    pub fn status(&self) -> Option<u16> {
        match self.inner.repr {
            Repr::HttpStatus { status, .. } => Some(status),
            _ => None,
        }
    }

    /// For [`ErrorKind::HttpStatus`] and [`ErrorKind::InvalidResponse`], the
    /// first bytes of the body that came back (at most 512 bytes, decoded
    /// lossily as UTF-8).
    pub fn body_excerpt(&self) -> Option<&str> {
        match &self.inner.repr {
            Repr::HttpStatus { excerpt, .. } | Repr::InvalidResponse { excerpt, .. } => {
                Some(excerpt)
            }
            _ => None,
        }
    }

    /// For [`ErrorKind::Transport`], what failed.
    pub fn transport_kind(&self) -> Option<TransportKind> {
        match self.inner.repr {
            Repr::Transport { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// Whether the service refused the call because a request-rate limit was
    /// reached (`RequestLimitExceeded` and its sub-codes). Such a call did
    /// not run the function and may be retried after a pause.
    pub fn is_throttled(&self) -> bool {
        self.code_is("RequestLimitExceeded")
    }

    /// Whether the service rejected the credentials or the signature
    /// (`AuthFailure` and its sub-codes).
    pub fn is_auth_failure(&self) -> bool {
        self.code_is("AuthFailure")
    }

    /// Whether the service rejected the request's timestamp as too far from
    /// its own clock (`AuthFailure.SignatureExpire`).
    pub fn is_signature_expired(&self) -> bool {
        self.code() == Some("AuthFailure.SignatureExpire")
    }

    /// Whether the function (or the qualifier or namespace named) does not
    /// exist (`ResourceNotFound` and its sub-codes).
    pub fn is_not_found(&self) -> bool {
        self.code_is("ResourceNotFound")
    }

    /// Whether the function named does not exist
    /// (`ResourceNotFound.FunctionName` or `ResourceNotFound.Function`).
    pub fn is_function_not_found(&self) -> bool {
        matches!(
            self.code(),
            Some("ResourceNotFound.FunctionName" | "ResourceNotFound.Function")
        )
    }

    /// Whether a timeout passed, while connecting or afterwards.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.inner.repr,
            Repr::Transport {
                timed_out: true,
                ..
            }
        )
    }

    /// Whether the request certainly never reached the service whole, so
    /// that the function cannot have run: invalid input, missing
    /// credentials, a connection that could not be established, or a
    /// failure (a timeout, say) before any of the body was sent.
    pub fn is_not_sent(&self) -> bool {
        match &self.inner.repr {
            Repr::InvalidInput { .. } | Repr::Credentials { .. } => true,
            Repr::Transport { not_sent, .. } => *not_sent,
            _ => false,
        }
    }

    fn service_error(&self) -> Option<&ServiceError> {
        match &self.inner.repr {
            Repr::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the service's code is `family` or one of its sub-codes.
    pub(crate) fn code_is(&self, family: &str) -> bool {
        match self.code() {
            Some(code) => match code.strip_prefix(family) {
                Some(rest) => rest.is_empty() || rest.starts_with('.'),
                None => false,
            },
            None => false,
        }
    }
}

/// Keeps at most [`EXCERPT_LIMIT`] bytes of `body`, cut on a character
/// boundary, so an error never holds (or prints) a whole large response.
fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_LIMIT)];
    let text = String::from_utf8_lossy(cut);
    let mut text = text.into_owned();
    // A multi-byte character cut in half decodes to U+FFFD at the end;
    // drop it rather than suggest the server sent it.
    if body.len() > EXCERPT_LIMIT && text.ends_with('\u{FFFD}') {
        text.pop();
    }
    text
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.repr {
            Repr::InvalidInput { field, rule } => write!(f, "invalid {field}: {rule}"),
            Repr::Service(e) => {
                write!(f, "service error {}: {}", e.code, e.message)?;
                if let Some(id) = &e.request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Repr::Transport { kind, detail, .. } => {
                let what = match kind {
                    TransportKind::Dns => "could not resolve host",
                    TransportKind::Connect => "could not connect",
                    TransportKind::Timeout => "timed out",
                    TransportKind::Tls => "tls failure",
                    TransportKind::Io => "connection failed",
                };
                write!(f, "{what}: {detail}")
            }
            Repr::HttpStatus { status, .. } => write!(f, "unexpected http status {status}"),
            Repr::InvalidResponse { reason, .. } => write!(f, "invalid response: {reason}"),
            Repr::Credentials { detail } => write!(f, "credentials: {detail}"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind());
        match &self.inner.repr {
            Repr::InvalidInput { field, rule } => d.field("field", field).field("rule", rule),
            Repr::Service(e) => d
                .field("code", &e.code)
                .field("message", &e.message)
                .field("request_id", &e.request_id),
            Repr::Transport {
                kind,
                detail,
                timed_out,
                not_sent,
            } => d
                .field("transport_kind", kind)
                .field("detail", detail)
                .field("timed_out", timed_out)
                .field("not_sent", not_sent),
            Repr::HttpStatus { status, excerpt } => {
                d.field("status", status).field("body_excerpt", excerpt)
            }
            Repr::InvalidResponse { reason, excerpt } => {
                d.field("reason", reason).field("body_excerpt", excerpt)
            }
            Repr::Credentials { detail } => d.field("detail", detail),
        };
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static_and_one_pointer_wide() {
        fn assert_traits<T: Send + Sync + 'static + StdError>() {}
        assert_traits::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(
            std::mem::size_of::<Result<(), Error>>(),
            std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn context_goes_in_front_of_the_detail_and_keeps_the_kind() {
        let e = Error::transport(TransportKind::Timeout, "timeout: global")
            .with_context("request to http://127.0.0.1:9/");
        assert_eq!(e.transport_kind(), Some(TransportKind::Timeout));
        assert_eq!(
            e.to_string(),
            "timed out: request to http://127.0.0.1:9/: timeout: global"
        );
        let e = Error::http_status(500, b"oops").with_context("request to x");
        assert_eq!(e.to_string(), "unexpected http status 500");
    }

    #[test]
    fn a_connect_timeout_is_a_timeout_that_sent_nothing() {
        let e = Error::connect_timeout("connect timed out (timeout: connect)");
        assert_eq!(e.transport_kind(), Some(TransportKind::Connect));
        assert!(e.is_timeout() && e.is_not_sent());
        let refused = Error::transport(TransportKind::Connect, "refused, not timed out");
        assert!(!refused.is_timeout() && refused.is_not_sent());
        let late = Error::transport(TransportKind::Timeout, "timeout: global");
        assert!(late.is_timeout() && !late.is_not_sent());
    }

    #[test]
    fn display_is_lowercase_without_trailing_period() {
        let errors = [
            Error::invalid_input("FunctionName", "must not be empty"),
            Error::service(
                "AuthFailure.SignatureFailure".into(),
                "bad".into(),
                Some("r1".into()),
            ),
            Error::transport(TransportKind::Connect, "connection refused"),
            Error::http_status(502, b"<html>bad gateway</html>"),
            Error::invalid_response("not json", b"hello"),
            Error::credentials("no credentials found"),
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(text.chars().next().unwrap().is_lowercase(), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn code_families_match_sub_codes_but_not_prefixes_of_words() {
        let throttled = Error::service("RequestLimitExceeded.PerMinute".into(), "".into(), None);
        assert!(throttled.is_throttled());
        let plain = Error::service("RequestLimitExceeded".into(), "".into(), None);
        assert!(plain.is_throttled());
        let other = Error::service("RequestLimitExceededX".into(), "".into(), None);
        assert!(!other.is_throttled());
        let auth = Error::service("AuthFailure.SignatureExpire".into(), "".into(), None);
        assert!(auth.is_auth_failure() && auth.is_signature_expired() && !auth.is_throttled());
        let missing = Error::service("ResourceNotFound.FunctionName".into(), "".into(), None);
        assert!(missing.is_function_not_found() && missing.is_not_found());
    }

    #[test]
    fn excerpt_is_bounded_and_cut_on_a_character_boundary() {
        let body = "未".repeat(1000);
        let e = Error::invalid_response("not json", body.as_bytes());
        let text = e.body_excerpt().unwrap();
        assert!(text.len() <= EXCERPT_LIMIT);
        assert!(text.chars().all(|c| c == '未'));
    }
}
