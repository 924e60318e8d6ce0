//! TC3-HMAC-SHA256, version 3 of Tencent Cloud's API request signature.
//!
//! Every function here is pure: it reads no clock, no environment and does
//! no I/O. The timestamp, the secret and every part of the request are
//! arguments, so the same inputs always give the same signature, and the
//! emulator can use these same functions to verify what a client signed.
//! Nothing here is specific to SCF; any Tencent Cloud API service signs the
//! same way (the credential providers use it for STS).
//!
//! # The algorithm
//!
//! ```text
//! CanonicalRequest = Method + "\n" + "/" + "\n" + CanonicalQueryString + "\n"
//!                  + CanonicalHeaders + "\n" + SignedHeaders + "\n"
//!                  + hex(SHA256(Body))          (or of "UNSIGNED-PAYLOAD")
//! StringToSign     = "TC3-HMAC-SHA256" + "\n" + Timestamp + "\n"
//!                  + Date + "/" + Service + "/tc3_request" + "\n"
//!                  + hex(SHA256(CanonicalRequest))
//! SecretDate       = HMAC("TC3" + SecretKey, Date)
//! SecretService    = HMAC(SecretDate, Service)
//! SecretSigning    = HMAC(SecretService, "tc3_request")
//! Signature        = hex(HMAC(SecretSigning, StringToSign))
//! ```
//!
//! `Date` is the UTC date of `Timestamp`, as `YYYY-MM-DD`. The canonical
//! headers are `content-type` and `host` plus any extra headers to sign,
//! each written `name:value\n` with name and value lowercased and trimmed,
//! sorted by name.
//!
//! Header values and the query must be ASCII. How a server lowercases or
//! trims anything else depends on how it decodes the bytes, so the signer
//! refuses it rather than guess; "trimmed" means of spaces and tabs, the
//! only whitespace HTTP allows around a field value (RFC 9110, 5.5).
//!
//! # Example
//!
//! ```
//! use scf_invoke::signer::{sign, Payload, SigningParams};
//!
//! let body = br#"{"FunctionName":"hello"}"#;
//! let signed = sign(&SigningParams {
//!     secret_id: "AKIDEXAMPLE",
//!     secret_key: "secret",
//!     service: "scf",
//!     host: "scf.tencentcloudapi.com",
//!     method: "POST",
//!     query: "",
//!     content_type: "application/json",
//!     headers: &[],
//!     payload: Payload::Bytes(body),
//!     timestamp: 1_700_000_000,
//! })?;
//! assert!(signed.authorization().starts_with(
//!     "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/scf/tc3_request, \
//!      SignedHeaders=content-type;host, Signature="
//! ));
//! # Ok::<(), scf_invoke::Error>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::Error;

/// The algorithm's name, as it appears in the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The literal hashed in place of the body when the request carries
/// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// The last second this signer can date: 9999-12-31T23:59:59Z.
///
/// The scope's date is written with four digits, so later timestamps have
/// no representation that the service would accept.
pub const MAX_TIMESTAMP: i64 = 253_402_300_799;

/// What is hashed as the request's payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// The exact bytes of the request body.
    Bytes(&'a [u8]),
    /// The literal `UNSIGNED-PAYLOAD`, for requests that send the header
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` and leave the body unsigned.
    Unsigned,
    /// The SHA-256 of the request body, computed by the caller: for a body
    /// that is produced while it is sent rather than held in memory.
    Sha256([u8; 32]),
}

/// Everything that goes into a signature.
#[derive(Clone, Copy)]
pub struct SigningParams<'a> {
    /// The `SecretId` of the credentials; it appears in clear in the
    /// `Authorization` header.
    pub secret_id: &'a str,
    /// The `SecretKey`; it never leaves this function except through HMAC.
    pub secret_key: &'a str,
    /// The service's short name, the first label of its host: `scf`, `sts`.
    pub service: &'a str,
    /// The `Host` header exactly as sent, with the port if one is sent.
    pub host: &'a str,
    /// The HTTP method, uppercase: `POST` or `GET`.
    pub method: &'a str,
    /// The canonical query string, already percent-encoded, so printable
    /// ASCII without spaces; empty for POST.
    pub query: &'a str,
    /// The `Content-Type` header exactly as sent: printable ASCII, spaces and
    /// tabs.
    pub content_type: &'a str,
    /// Headers to sign beside `content-type` and `host`, as (name, value):
    /// names are HTTP tokens, values printable ASCII, spaces and tabs. Their
    /// order, their case and the spaces and tabs around them do not matter.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, its hash, or [`Payload::Unsigned`].
    pub payload: Payload<'a>,
    /// Seconds since the Unix epoch, from 0 to [`MAX_TIMESTAMP`].
    pub timestamp: i64,
}

impl fmt::Debug for SigningParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningParams")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("service", &self.service)
            .field("host", &self.host)
            .field("method", &self.method)
            .field("query", &self.query)
            .field("content_type", &self.content_type)
            .field("headers", &self.headers)
            .field("payload", &self.payload)
            .field("timestamp", &self.timestamp)
            .finish()
    }
}

/// The result of [`sign`]: the final `Authorization` value and every
/// intermediate stage, for tests and for debugging a mismatch with a server.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    // The canonical request, the string to sign and the Authorization value,
    // one after another in one allocation. The other stages are parts of
    // these: the signed headers are a line of the canonical request, the
    // scope a line of the string to sign, the signature the end of the
    // Authorization value. One allocation instead of six: on a small body,
    // allocating and formatting cost as much as the hashing.
    text: String,
    canonical_request: Range<usize>,
    string_to_sign: Range<usize>,
    signed_headers: Range<usize>,
    credential_scope: Range<usize>,
    authorization: Range<usize>,
}

impl Signed {
    /// The canonical request that was hashed.
    pub fn canonical_request(&self) -> &str {
        &self.text[self.canonical_request.clone()]
    }

    /// The string that was signed.
    pub fn string_to_sign(&self) -> &str {
        &self.text[self.string_to_sign.clone()]
    }

    /// The signed header names, `;`-separated, such as `content-type;host`.
    pub fn signed_headers(&self) -> &str {
        &self.text[self.signed_headers.clone()]
    }

    /// `<date>/<service>/tc3_request`.
    pub fn credential_scope(&self) -> &str {
        &self.text[self.credential_scope.clone()]
    }

    /// The signature, 64 lowercase hex digits.
    pub fn signature(&self) -> &str {
        &self.text[self.authorization.end - HEX_LEN..self.authorization.end]
    }

    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> &str {
        &self.text[self.authorization.clone()]
    }
}

impl fmt::Debug for Signed {
    // The signature is a bearer credential for this one request until its
    // timestamp expires, so Debug output (which ends up in logs) omits it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("canonical_request", &self.canonical_request())
            .field("string_to_sign", &self.string_to_sign())
            .field("signed_headers", &self.signed_headers())
            .field("credential_scope", &self.credential_scope())
            .field("signature", &"<redacted>")
            .finish()
    }
}

/// Signs a request.
///
/// # Errors
///
/// Returns an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
/// error, naming the field, when an input cannot be signed unambiguously:
/// a timestamp outside `0..=MAX_TIMESTAMP`; an empty secret id, secret key,
/// service, host, method or content type; a secret id, service, host or
/// method containing characters that would corrupt the `Authorization`
/// header or the canonical request; a query that is not printable ASCII
/// without spaces; a content type that is not printable ASCII, spaces and
/// tabs; an extra header whose name is not an HTTP token, repeats another
/// (including `content-type` or `host`), or whose value is not printable
/// ASCII, spaces and tabs.
pub fn sign(params: &SigningParams<'_>) -> Result<Signed, Error> {
    validate(params)?;
    let date = Date::of(params.timestamp)?;
    let date = date.as_str();
    let headers = canonical_headers(params.content_type, params.host, params.headers)?;

    // Every stage is written into one buffer, sized up front: on a small
    // body, formatting and allocating around the hashes cost as much as the
    // hashes themselves (benches/signing.rs).
    let headers_len: usize = headers.iter().map(|(n, v)| 2 * n.len() + v.len() + 2).sum();
    let scope_len = date.len() + 1 + params.service.len() + "/tc3_request".len();
    let mut text = String::with_capacity(
        params.method.len()
            + params.query.len()
            + 2 * headers_len
            + params.secret_id.len()
            + 2 * scope_len
            + 3 * HEX_LEN
            + 128,
    );

    // Step 1: the canonical request.
    for part in [params.method, "\n/\n", params.query, "\n"] {
        text.push_str(part);
    }
    for (name, value) in &headers {
        for part in [name, ":", value, "\n"] {
            text.push_str(part);
        }
    }
    text.push('\n');
    let signed_start = text.len();
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            text.push(';');
        }
        text.push_str(name);
    }
    let signed_headers = signed_start..text.len();
    text.push('\n');
    let payload_hash = match params.payload {
        Payload::Bytes(body) => sha256(body),
        Payload::Unsigned => sha256(UNSIGNED_PAYLOAD.as_bytes()),
        Payload::Sha256(hash) => hash,
    };
    push_hex(&mut text, &payload_hash);
    let canonical_request = 0..text.len();

    // Step 2: the string to sign, bound to a date and a service by the scope.
    let request_hash = sha256(text.as_bytes());
    let sts_start = text.len();
    text.push_str(ALGORITHM);
    text.push('\n');
    push_decimal(&mut text, params.timestamp);
    text.push('\n');
    let scope_start = text.len();
    for part in [date, "/", params.service, "/tc3_request"] {
        text.push_str(part);
    }
    let credential_scope = scope_start..text.len();
    text.push('\n');
    push_hex(&mut text, &request_hash);
    let string_to_sign = sts_start..text.len();

    // Step 3: the signing key, then the signature.
    let key = signing_key(params.secret_key, date, params.service);
    let signature = hmac_sha256(&key, text[string_to_sign.clone()].as_bytes());

    // Step 4: the Authorization header.
    let authorization_start = text.len();
    for part in [ALGORITHM, " Credential=", params.secret_id, "/"] {
        text.push_str(part);
    }
    text.extend_from_within(credential_scope.clone());
    text.push_str(", SignedHeaders=");
    text.extend_from_within(signed_headers.clone());
    text.push_str(", Signature=");
    push_hex(&mut text, &signature);
    let authorization = authorization_start..text.len();

    Ok(Signed {
        text,
        canonical_request,
        string_to_sign,
        signed_headers,
        credential_scope,
        authorization,
    })
}

/// Derives the key that signs every request of one day to one service:
/// `HMAC(HMAC(HMAC("TC3" + secret_key, date), service), "tc3_request")`.
///
/// `date` is `YYYY-MM-DD`, as [`utc_date`] returns it.
pub fn signing_key(secret_key: &str, date: &str, service: &str) -> [u8; 32] {
    // "TC3" + secret_key, on the stack for any key of a sane length.
    let mut short = [0u8; 128];
    let long;
    let k_secret = if 3 + secret_key.len() <= short.len() {
        short[..3].copy_from_slice(b"TC3");
        short[3..3 + secret_key.len()].copy_from_slice(secret_key.as_bytes());
        &short[..3 + secret_key.len()]
    } else {
        long = [b"TC3", secret_key.as_bytes()].concat();
        &long[..]
    };

    let k_date = hmac_sha256(k_secret, date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    hmac_sha256(&k_service, b"tc3_request")
}

/// The UTC date of a Unix timestamp, as `YYYY-MM-DD`.
///
/// # Errors
///
/// Returns an [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
/// error for `timestamp` outside `0..=MAX_TIMESTAMP`: the service's scope
/// has no way to write a date before 1970 or after 9999.
pub fn utc_date(timestamp: i64) -> Result<String, Error> {
    Date::of(timestamp).map(|date| date.as_str().to_owned())
}

/// A date as `YYYY-MM-DD`, kept on the stack.
struct Date([u8; 10]);

impl Date {
    fn of(timestamp: i64) -> Result<Date, Error> {
        if !(0..=MAX_TIMESTAMP).contains(&timestamp) {
            return Err(Error::invalid_input(
                "timestamp",
                format!(
                    "must be between 0 and {MAX_TIMESTAMP} (9999-12-31T23:59:59Z), got {timestamp}"
                ),
            ));
        }
        let datetime = time::OffsetDateTime::from_unix_timestamp(timestamp).map_err(|_| {
            Error::invalid_input(
                "timestamp",
                format!("{timestamp} is not a representable time"),
            )
        })?;
        let date = datetime.date();

        // The range check above keeps the year within 1970..=9999.
        let mut text = *b"0000-00-00";
        let fields = [
            (0..4, date.year().unsigned_abs()),
            (5..7, u32::from(u8::from(date.month()))),
            (8..10, u32::from(date.day())),
        ];
        for (range, mut value) in fields {
            for digit in text[range].iter_mut().rev() {
                *digit = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Ok(Date(text))
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("BUG: a date is written in ASCII digits")
    }
}

/// The headers to sign as (name, value), lowercased and trimmed, sorted by
/// name. Values borrow from the inputs when they are already in canonical
/// form, as the client's always are.
type CanonicalHeaders<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

fn canonical_headers<'a>(
    content_type: &'a str,
    host: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Result<CanonicalHeaders<'a>, Error> {
    let mut headers: CanonicalHeaders<'a> = Vec::with_capacity(2 + extra.len());
    headers.push((
        "content-type".into(),
        ascii_lowercase(trim_spaces(content_type)),
    ));
    headers.push(("host".into(), ascii_lowercase(host)));
    for (name, value) in extra {
        let name = trim_spaces(name);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(Error::invalid_input(
                "headers",
                format!("header name {name:?} must be a non-empty HTTP token"),
            ));
        }
        if !value.bytes().all(is_field_value_byte) {
            return Err(Error::invalid_input(
                "headers",
                format!(
                    "the value of header {name:?} must be printable ASCII, spaces and tabs, \
                     without control characters"
                ),
            ));
        }
        // The documentation lowercases values too ("x-tc-action:describeinstances").
        headers.push((ascii_lowercase(name), ascii_lowercase(trim_spaces(value))));
    }
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = headers.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error::invalid_input(
            "headers",
            format!("header {:?} must be signed only once", pair[0].0),
        ));
    }
    Ok(headers)
}

/// `text.to_ascii_lowercase()`, without a copy when nothing changes.
fn ascii_lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

fn validate(params: &SigningParams<'_>) -> Result<(), Error> {
    // The secret id sits in the Authorization header between "Credential="
    // and "/": a slash, comma or space in it would change how that header
    // parses, so they are refused rather than silently signed.
    if params.secret_id.is_empty()
        || !params
            .secret_id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
    {
        return Err(Error::invalid_input(
            "secret_id",
            "must be non-empty printable ASCII without spaces, '/' or ','",
        ));
    }
    if params.secret_key.is_empty() {
        return Err(Error::invalid_input("secret_key", "must not be empty"));
    }
    if params.service.is_empty()
        || !params
            .service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::invalid_input(
            "service",
            "must be non-empty ASCII letters, digits, '-' or '_'",
        ));
    }
    if params.host.trim().is_empty() || !params.host.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(
            "host",
            "must be non-empty printable ASCII",
        ));
    }
    if params.method.is_empty() || !params.method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid_input(
            "method",
            "must be uppercase ASCII letters",
        ));
    }
    // A percent-encoded query is printable ASCII whatever it encodes; anything
    // else would be re-encoded on the way to the server and no longer match.
    if !params.query.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid_input(
            "query",
            "must be percent-encoded: printable ASCII without spaces",
        ));
    }
    if trim_spaces(params.content_type).is_empty()
        || !params.content_type.bytes().all(is_field_value_byte)
    {
        return Err(Error::invalid_input(
            "content_type",
            "must be non-empty printable ASCII, spaces and tabs",
        ));
    }
    Ok(())
}

/// The bytes allowed in an HTTP header name (RFC 9110, section 5.6.2).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The bytes this signer allows in a header value: those of RFC 9110,
/// section 5.5, less the obsolete non-ASCII ones, whose lowercase form
/// depends on how the server decodes them.
fn is_field_value_byte(b: u8) -> bool {
    b.is_ascii_graphic() || b == b' ' || b == b'\t'
}

/// Trims the whitespace HTTP allows around a field value: spaces and tabs.
fn trim_spaces(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The length of a SHA-256 digest in hex.
const HEX_LEN: usize = 64;

/// Appends a 32-byte digest as lowercase hex.
///
/// The digits are looked up two at a time, written to the stack and
/// appended in one piece: pushing them one `char` at a time (or
/// `hex::encode`, which collects them into a new `String`) cost a fifth of a
/// signature over a small body.
fn push_hex(out: &mut String, digest: &[u8; 32]) {
    let mut text = [0u8; HEX_LEN];
    for (pair, byte) in text.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&HEX_PAIRS[usize::from(*byte)]);
    }
    out.push_str(std::str::from_utf8(&text).expect("BUG: hex digits are ASCII"));
}

/// The two lowercase hex digits of every byte.
static HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [DIGITS[byte >> 4], DIGITS[byte & 0x0f]];
        byte += 1;
    }
    pairs
};

/// Appends a timestamp, already checked to be in `0..=MAX_TIMESTAMP`, in
/// decimal.
fn push_decimal(out: &mut String, timestamp: i64) {
    let mut value = timestamp.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[start..]).expect("BUG: digits are ASCII"));
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("BUG: HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params<'a>(headers: &'a [(&'a str, &'a str)]) -> SigningParams<'a> {
        SigningParams {
            secret_id: "AKIDEXAMPLE",
            secret_key: "secret",
            service: "scf",
            host: "scf.tencentcloudapi.com",
            method: "POST",
            query: "",
            content_type: "application/json",
            headers,
            payload: Payload::Bytes(b"{}"),
            timestamp: 1_700_000_000,
        }
    }

    #[test]
    fn a_body_hashed_by_the_caller_signs_as_the_body_itself() {
        let body = br#"{"FunctionName":"hello"}"#;
        let by_bytes = sign(&SigningParams {
            payload: Payload::Bytes(body),
            ..params(&[])
        })
        .unwrap();
        let by_hash = sign(&SigningParams {
            payload: Payload::Sha256(sha256(body)),
            ..params(&[])
        })
        .unwrap();
        assert!(by_bytes == by_hash);
        let other = sign(&SigningParams {
            payload: Payload::Sha256(sha256(b"{}x")),
            ..params(&[])
        })
        .unwrap();
        assert!(by_bytes != other);
    }

    #[test]
    fn dates_at_the_edges_of_the_representable_range() {
        assert_eq!(utc_date(0).unwrap(), "1970-01-01");
        assert_eq!(utc_date(86_399).unwrap(), "1970-01-01");
        assert_eq!(utc_date(86_400).unwrap(), "1970-01-02");
        assert_eq!(utc_date(951_782_400).unwrap(), "2000-02-29");
        assert_eq!(utc_date(4_102_444_800).unwrap(), "2100-01-01");
        assert_eq!(utc_date(MAX_TIMESTAMP).unwrap(), "9999-12-31");
        for bad in [-1, MAX_TIMESTAMP + 1, i64::MIN, i64::MAX] {
            let e = utc_date(bad).unwrap_err();
            assert_eq!(e.field(), Some("timestamp"), "{bad}");
        }
    }

    #[test]
    fn extra_headers_are_lowercased_trimmed_and_sorted_by_name() {
        let signed = sign(&params(&[
            (" X-TC-Region ", " AP-Guangzhou "),
            ("X-TC-Action", "Invoke"),
        ]))
        .unwrap();
        assert_eq!(
            signed.signed_headers(),
            "content-type;host;x-tc-action;x-tc-region"
        );
        assert!(signed.canonical_request().contains(
            "content-type:application/json\nhost:scf.tencentcloudapi.com\n\
             x-tc-action:invoke\nx-tc-region:ap-guangzhou\n\n"
        ));
    }

    #[test]
    fn a_header_signed_twice_is_refused() {
        for headers in [
            &[("Host", "other")][..],
            &[("x-a", "1"), ("X-A", "2")][..],
            &[("content-type", "text/plain")][..],
        ] {
            let e = sign(&params(headers)).unwrap_err();
            assert_eq!(e.field(), Some("headers"));
        }
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        let e = sign(&params(&[("x-tc-token", "a\nhost:evil")])).unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        assert!(e.rule().unwrap().contains("control characters"));
    }

    #[test]
    fn text_a_server_could_decode_another_way_is_refused() {
        // Found by the `sign` fuzz target: these were signed, lowercased and
        // trimmed by Unicode rules that a server reading bytes need not share.
        let e = sign(&params(&[("x-tc-region", "\u{C9}")])).unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        let e = sign(&params(&[("\nx-tc-region", "a")])).unwrap_err();
        assert_eq!(e.field(), Some("headers"));
        for query in ["a=\u{1}", "a=\u{e9}", "a=b c"] {
            let mut p = params(&[]);
            p.query = query;
            assert_eq!(sign(&p).unwrap_err().field(), Some("query"), "{query:?}");
        }
        for content_type in ["text/\u{C9}", "\u{3000}application/json"] {
            let mut p = params(&[]);
            p.content_type = content_type;
            assert_eq!(sign(&p).unwrap_err().field(), Some("content_type"));
        }
    }

    #[test]
    fn secret_ids_that_would_corrupt_the_authorization_header_are_refused() {
        for id in ["", "AKID/x", "AKID,x", "AKID x", "AKID\u{e9}"] {
            let mut p = params(&[]);
            p.secret_id = id;
            assert_eq!(sign(&p).unwrap_err().field(), Some("secret_id"), "{id:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_secret_and_the_signature() {
        let p = params(&[]);
        let signed = sign(&p).unwrap();
        let text = format!("{p:?} {signed:?}");
        assert!(!text.contains("secret\""), "{text}");
        assert!(!text.contains(signed.signature()), "{text}");
    }
}
