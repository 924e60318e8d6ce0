//! Signature verification, as the service performs it.
//!
//! The verifier does not trust anything the client says about its request:
//! it rebuilds the canonical headers from the headers actually received,
//! named by the `SignedHeaders` of the `Authorization` header, and hands
//! them to the same [`signer`](crate::signer) a client uses. A request that
//! was changed after signing (its body, a signed header, its timestamp)
//! therefore fails here exactly as it would at Tencent Cloud.

use sha2::{Digest, Sha256};

use super::handler::{HttpRequest, Lookup};
use super::rejection::{code, Rejection};
use crate::signer::{self, Payload, SigningParams, ALGORITHM, UNSIGNED_PAYLOAD};
use crate::Credentials;

/// The service's allowance between `X-TC-Timestamp` and its own clock.
pub const MAX_CLOCK_SKEW_SECONDS: u64 = 300;

/// The service name every scope must carry at this endpoint.
const SERVICE: &str = "scf";

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    secret_id: String,
    timestamp: i64,
}

impl Verified {
    /// The `SecretId` that signed the request.
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// The request's `X-TC-Timestamp`.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }
}

/// Verifies a request's TC3-HMAC-SHA256 signature and session token.
///
/// `server_time` is the verifier's clock in Unix seconds; `accounts` are the
/// credentials it knows (a `SecretId` with its key, and the token that must
/// accompany it when [`Credentials::token`] is set).
///
/// This is the check the emulator runs on every request; it is public so
/// that fuzz targets and property tests can drive it directly. It never
/// panics, whatever the input.
///
/// # Errors
///
/// A [`Rejection`] with the service's code:
/// - `MissingParameter` / `InvalidParameter`: `X-TC-Timestamp` is absent,
///   or not a decimal number of seconds;
/// - `AuthFailure.InvalidAuthorization`: `Authorization` is absent, not
///   exactly `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
///   SignedHeaders=<names>, Signature=<64 hex digits>`, its `SignedHeaders`
///   omit `content-type` or `host`, its service is not `scf`, or its date
///   is not the UTC date of `X-TC-Timestamp`;
/// - `AuthFailure.SignatureExpire`: `X-TC-Timestamp` is more than 300
///   seconds from `server_time` (the message gives the server's time);
/// - `AuthFailure.SecretIdNotFound`: no account has that `SecretId`;
/// - `AuthFailure.SignatureFailure`: the signature does not match the
///   request as received, or a signed header is absent or repeated;
/// - `AuthFailure.TokenFailure`: the account has a session token and
///   `X-TC-Token` is absent or different.
pub fn verify(
    request: &HttpRequest<'_>,
    server_time: i64,
    accounts: &[Credentials],
) -> Result<Verified, Rejection> {
    // Step 1: the timestamp, which the scope and the expiry check rest on.
    let timestamp = match request.header("X-TC-Timestamp") {
        Lookup::Missing => {
            return Err(Rejection::new(
                code::MISSING_PARAMETER,
                "The parameter X-TC-Timestamp is missing",
            ))
        }
        Lookup::Repeated => return Err(repeated("X-TC-Timestamp")),
        Lookup::One(text) => parse_timestamp(text)?,
    };

    // Step 2: the Authorization header, parsed strictly.
    let authorization = match request.header("Authorization") {
        Lookup::Missing => return Err(invalid_authorization("the header is missing")),
        Lookup::Repeated => return Err(invalid_authorization("the header is sent more than once")),
        Lookup::One(text) => Authorization::parse(text).map_err(invalid_authorization)?,
    };
    if authorization.service != SERVICE {
        return Err(invalid_authorization(format!(
            "the credential scope names the service {:?}, but this endpoint is {SERVICE:?}",
            authorization.service
        )));
    }
    // A timestamp outside the signer's range cannot be dated; it is then
    // the expiry check below that refuses it, not the scope check.
    if let Ok(date) = signer::utc_date(timestamp) {
        if authorization.date != date {
            return Err(invalid_authorization(format!(
                "the credential scope's date {} is not the UTC date of X-TC-Timestamp ({date})",
                authorization.date
            )));
        }
    }

    // Step 3: the timestamp must be near the server's clock, so that a
    // captured request cannot be replayed for long.
    if timestamp.abs_diff(server_time) > MAX_CLOCK_SKEW_SECONDS {
        return Err(Rejection::new(
            code::AUTH_SIGNATURE_EXPIRE,
            format!(
                "The signature expired: X-TC-Timestamp {timestamp} is more than \
                 {MAX_CLOCK_SKEW_SECONDS} seconds from the server time; \
                 the server time is {server_time}"
            ),
        ));
    }
    if signer::utc_date(timestamp).is_err() {
        return Err(Rejection::new(
            code::INVALID_PARAMETER,
            format!("X-TC-Timestamp {timestamp} is outside the range a signature can date"),
        ));
    }

    // Step 4: whose key signed it.
    let account = accounts
        .iter()
        .rev()
        .find(|account| account.secret_id() == authorization.secret_id)
        .ok_or_else(|| {
            Rejection::new(
                code::AUTH_SECRET_ID_NOT_FOUND,
                "The SecretId is not found; check that it is one the emulator was given",
            )
        })?;

    // Step 5: the payload as hashed. UNSIGNED-PAYLOAD leaves the body out
    // of the signature; any other declared hash must be the body's.
    let payload = match request.header("X-TC-Content-SHA256") {
        Lookup::Missing => Payload::Bytes(request.body),
        Lookup::Repeated => return Err(repeated("X-TC-Content-SHA256")),
        Lookup::One(value) if value == UNSIGNED_PAYLOAD => Payload::Unsigned,
        Lookup::One(value) => {
            if !value.eq_ignore_ascii_case(&hex::encode(Sha256::digest(request.body))) {
                return Err(signature_failure(
                    "X-TC-Content-SHA256 is not the SHA-256 of the body",
                ));
            }
            Payload::Bytes(request.body)
        }
    };

    // Step 6: the signed headers' values, as received.
    let content_type = signed_value(request, "content-type")?;
    let host = signed_value(request, "host")?;
    let mut extra = Vec::with_capacity(authorization.signed_headers.len());
    for name in &authorization.signed_headers {
        if *name != "content-type" && *name != "host" {
            extra.push((*name, signed_value(request, name)?));
        }
    }

    // Step 7: sign what was received, and compare.
    let query = request.path.split_once('?').map_or("", |(_, query)| query);
    let expected = signer::sign(&SigningParams {
        secret_id: authorization.secret_id,
        secret_key: account.secret_key(),
        service: SERVICE,
        host,
        method: request.method,
        query,
        content_type,
        headers: &extra,
        payload,
        timestamp,
    })
    .map_err(|e| signature_failure(format!("the request cannot be signed as received: {e}")))?;
    if !constant_time_eq(
        expected.signature().as_bytes(),
        authorization.signature.as_bytes(),
    ) {
        return Err(signature_failure(
            "The provided signature does not match the request as received; \
             check the secret key and how the canonical request is built",
        ));
    }

    // Step 8: temporary credentials are only good with their token.
    if let Some(token) = account.token() {
        let sent = match request.header("X-TC-Token") {
            Lookup::One(sent) => Some(sent),
            Lookup::Missing | Lookup::Repeated => None,
        };
        if !sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), token.as_bytes())) {
            return Err(Rejection::new(
                code::AUTH_TOKEN_FAILURE,
                "The session token (X-TC-Token) is missing or invalid",
            ));
        }
    }

    Ok(Verified {
        secret_id: authorization.secret_id.to_owned(),
        timestamp,
    })
}

/// The parts of a TC3 `Authorization` header.
struct Authorization<'a> {
    secret_id: &'a str,
    date: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Parses `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
    /// SignedHeaders=<a;b>, Signature=<hex>`, byte for byte: the separators
    /// are exactly ", " and the parts come in this order, as every official
    /// SDK writes them.
    fn parse(text: &'a str) -> Result<Authorization<'a>, String> {
        let rest = text
            .strip_prefix(ALGORITHM)
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or_else(|| format!("it must start with \"{ALGORITHM} \""))?;
        let mut parts = rest.split(", ");
        let (Some(credential), Some(signed), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(
                "it must have exactly three parts, Credential, SignedHeaders and \
                        Signature, separated by \", \""
                    .to_owned(),
            );
        };

        let credential = credential
            .strip_prefix("Credential=")
            .ok_or("the first part must be Credential=")?;
        let mut scope = credential.split('/');
        let (Some(secret_id), Some(date), Some(service), Some("tc3_request"), None) = (
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
            scope.next(),
        ) else {
            return Err(
                "Credential must be <SecretId>/<YYYY-MM-DD>/<service>/tc3_request".to_owned(),
            );
        };
        if secret_id.is_empty() || !secret_id.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
            return Err("the SecretId in Credential must be non-empty printable ASCII".to_owned());
        }
        if !is_date(date) {
            return Err("the date in Credential must be YYYY-MM-DD".to_owned());
        }
        if service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            return Err("the service in Credential must be a lowercase name".to_owned());
        }

        let signed = signed
            .strip_prefix("SignedHeaders=")
            .ok_or("the second part must be SignedHeaders=")?;
        let signed_headers: Vec<&str> = signed.split(';').collect();
        // Any header name is an HTTP token (RFC 9110, 5.6.2), and the signer
        // signs any token, lowercased; none of them holds ';', ',' or ' ',
        // so the parts above still split unambiguously.
        let lowercase_token_byte =
            |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b);
        let well_formed = signed_headers
            .iter()
            .all(|name| !name.is_empty() && name.bytes().all(lowercase_token_byte));
        if !well_formed {
            return Err("SignedHeaders must be lowercase header names separated by ';'".to_owned());
        }
        // Sorted and unique, as the canonical request lists them.
        if signed_headers.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err("SignedHeaders must be sorted, each name once".to_owned());
        }
        if !signed_headers.contains(&"content-type") || !signed_headers.contains(&"host") {
            return Err("SignedHeaders must include content-type and host".to_owned());
        }

        let signature = signature
            .strip_prefix("Signature=")
            .ok_or("the third part must be Signature=")?;
        if signature.len() != 64
            || !signature
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("Signature must be 64 lowercase hexadecimal digits".to_owned());
        }

        Ok(Authorization {
            secret_id,
            date,
            service,
            signed_headers,
            signature,
        })
    }
}

/// `YYYY-MM-DD`, digits only; the calendar check is left to the
/// comparison with the timestamp's own date.
fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// A decimal count of seconds, as the SDKs send it: digits only, no sign,
/// no fraction, no spaces.
fn parse_timestamp(text: &str) -> Result<i64, Rejection> {
    let invalid = || {
        Rejection::new(
            code::INVALID_PARAMETER,
            "X-TC-Timestamp must be a Unix time in whole seconds, written in decimal digits",
        )
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse::<i64>().map_err(|_| invalid())
}

/// The received value of a signed header, which must be sent exactly once.
fn signed_value<'a>(request: &HttpRequest<'a>, name: &str) -> Result<&'a str, Rejection> {
    match request.header(name) {
        Lookup::One(value) => Ok(value),
        Lookup::Missing => Err(signature_failure(format!(
            "the signed header {name} is not in the request"
        ))),
        Lookup::Repeated => Err(signature_failure(format!(
            "the signed header {name} is sent more than once"
        ))),
    }
}

fn invalid_authorization(reason: impl std::fmt::Display) -> Rejection {
    Rejection::new(
        code::AUTH_INVALID_AUTHORIZATION,
        format!("The Authorization header is invalid: {reason}"),
    )
}

fn signature_failure(reason: impl Into<String>) -> Rejection {
    Rejection::new(code::AUTH_SIGNATURE_FAILURE, reason)
}

fn repeated(name: &str) -> Rejection {
    Rejection::new(
        code::INVALID_PARAMETER,
        format!("The header {name} is sent more than once"),
    )
}

/// Compares two byte strings in time that depends only on their lengths,
/// so that timing does not tell an attacker how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_parses_what_the_sdks_write() {
        let text = "TC3-HMAC-SHA256 Credential=AKIDx/2024-12-03/scf/tc3_request, \
                    SignedHeaders=content-type;host;x-tc-action, Signature="
            .to_owned()
            + &"ab".repeat(32);
        let parsed = Authorization::parse(&text).unwrap();
        assert_eq!(parsed.secret_id, "AKIDx");
        assert_eq!(parsed.date, "2024-12-03");
        assert_eq!(parsed.service, "scf");
        assert_eq!(
            parsed.signed_headers,
            ["content-type", "host", "x-tc-action"]
        );
    }

    #[test]
    fn signed_headers_may_be_any_lowercase_token() {
        // The signer signs any HTTP token as a header name; found by the
        // sign_verify fuzz target, which saw `x-tc+region` refused.
        let text = "TC3-HMAC-SHA256 Credential=AKIDx/2024-12-03/scf/tc3_request, \
                    SignedHeaders=content-type;host;x-a!#$%&'*+.^_`|~1, Signature="
            .to_owned()
            + &"ab".repeat(32);
        let parsed = Authorization::parse(&text).unwrap();
        assert_eq!(parsed.signed_headers[2], "x-a!#$%&'*+.^_`|~1");
        for bad in ["X-A", "x a", "x/a", "x\"a", "x:a"] {
            let text = text.replace("x-a!#$%&'*+.^_`|~1", bad);
            assert!(Authorization::parse(&text).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn authorization_variants_are_refused() {
        let sig = "ab".repeat(32);
        let cases = [
            format!("TC3-HMAC-SHA1 Credential=A/2024-12-03/scf/tc3_request, SignedHeaders=content-type;host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3_request,SignedHeaders=content-type;host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3_request, SignedHeaders=host;content-type, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3_request, SignedHeaders=content-type, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-3/scf/tc3_request, SignedHeaders=content-type;host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3, SignedHeaders=content-type;host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=/2024-12-03/scf/tc3_request, SignedHeaders=content-type;host, Signature={sig}"),
            format!("TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3_request, SignedHeaders=content-type;host, Signature={}", sig.to_uppercase()),
            "TC3-HMAC-SHA256 Credential=A/2024-12-03/scf/tc3_request, SignedHeaders=content-type;host, Signature=ab".to_owned(),
            String::new(),
        ];
        for case in &cases {
            assert!(Authorization::parse(case).is_err(), "accepted {case:?}");
        }
    }

    #[test]
    fn timestamps_are_plain_decimal_seconds() {
        assert_eq!(parse_timestamp("1700000000").unwrap(), 1_700_000_000);
        for bad in ["", "+1", "-1", "1.5", " 1", "1e9", "99999999999999999999"] {
            assert!(parse_timestamp(bad).is_err(), "{bad:?}");
        }
    }
}
