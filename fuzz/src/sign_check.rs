//! The `sign` target: the signer against a reference written separately and plainly.
//!
//! Every input is signed twice, by [`scf_invoke::signer::sign`] and by [`reference`],
//! which shares no code with it: its own input rules, canonical form, and calendar (a
//! count of days, not the `time` crate). Only HMAC and SHA-256 come from the same crates.
//! When both sign, every stage must be identical; when the signer refuses, the reference
//! must find the field it names in breach of a documented rule; and neither may accept
//! what the other refuses.
//!
//! # Input format
//!
//! Any byte string decodes to an input, so that libFuzzer's mutations stay meaningful:
//!
//! ```text
//! byte 0        flags; bit 0 set: sign UNSIGNED-PAYLOAD instead of the body
//! byte 1        the number of extra headers, modulo 8
//! bytes 2..10   the timestamp, an i64 in little-endian order
//! the rest      secret id, secret key, service, host, method, query, content type, a
//!               name and a value per extra header, then the body, separated by 0xFF
//! ```
//!
//! 0xFF never occurs in UTF-8, so it can separate any strings. The body comes last and
//! runs to the end, so it may contain 0xFF itself. Missing bytes read as zero, missing
//! fields as empty, and fields that are not UTF-8 are decoded lossily.
//! `fuzz/seeds_from_vectors.py` writes this format.

use scf_invoke::signer::{self, Payload, SigningParams};
use scf_invoke::ErrorKind;
use sha2::{Digest, Sha256};

/// The byte between fields.
pub const SEPARATOR: u8 = 0xFF;

/// One input to sign, decoded from fuzzer bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInput {
    pub secret_id: String,
    pub secret_key: String,
    pub service: String,
    pub host: String,
    pub method: String,
    pub query: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// The body, or `None` for UNSIGNED-PAYLOAD.
    pub payload: Option<Vec<u8>>,
    pub timestamp: i64,
}

impl SignInput {
    /// The extra headers as the signer takes them.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect()
    }

    /// The signer's parameters for this input, with `headers` from
    /// [`SignInput::header_pairs`].
    pub fn params<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> SigningParams<'a> {
        SigningParams {
            secret_id: &self.secret_id,
            secret_key: &self.secret_key,
            service: &self.service,
            host: &self.host,
            method: &self.method,
            query: &self.query,
            content_type: &self.content_type,
            headers,
            payload: self
                .payload
                .as_deref()
                .map_or(Payload::Unsigned, Payload::Bytes),
            timestamp: self.timestamp,
        }
    }

    /// Decodes the format described in the module documentation. Never fails.
    pub fn decode(data: &[u8]) -> SignInput {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let unsigned = byte(0) & 1 == 1;
        let header_count = usize::from(byte(1) % 8);
        let mut timestamp = [0u8; 8];
        for (i, b) in timestamp.iter_mut().enumerate() {
            *b = byte(2 + i);
        }

        // Seven fixed fields, two per header, and the body, which keeps any 0xFF it holds.
        let rest = data.get(10..).unwrap_or_default();
        let mut fields = rest.splitn(7 + 2 * header_count + 1, |&b| b == SEPARATOR);
        let mut next = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
        let secret_id = next();
        let secret_key = next();
        let service = next();
        let host = next();
        let method = next();
        let query = next();
        let content_type = next();
        let headers = (0..header_count).map(|_| (next(), next())).collect();
        let body = fields.next().unwrap_or_default().to_vec();

        SignInput {
            secret_id,
            secret_key,
            service,
            host,
            method,
            query,
            content_type,
            headers,
            payload: if unsigned { None } else { Some(body) },
            timestamp: i64::from_le_bytes(timestamp),
        }
    }
}

/// Signs `data` both ways and panics, saying how, if the two disagree.
pub fn check(data: &[u8]) {
    let input = SignInput::decode(data);
    let headers = input.header_pairs();
    let params = input.params(&headers);

    match (signer::sign(&params), reference::sign(&input)) {
        (Ok(signed), Ok(expected)) => {
            assert_eq!(
                signed.canonical_request(),
                expected.canonical_request,
                "{params:?}"
            );
            assert_eq!(
                signed.signed_headers(),
                expected.signed_headers,
                "{params:?}"
            );
            assert_eq!(
                signed.credential_scope(),
                expected.credential_scope,
                "{params:?}"
            );
            assert_eq!(
                signed.string_to_sign(),
                expected.string_to_sign,
                "{params:?}"
            );
            assert_eq!(signed.signature(), expected.signature, "{params:?}");
            assert_eq!(signed.authorization(), expected.authorization, "{params:?}");

            // A body hashed by the caller, as the client does for a
            // streamed body, signs exactly as the body itself.
            if let Payload::Bytes(body) = params.payload {
                let hashed = SigningParams {
                    payload: Payload::Sha256(Sha256::digest(body).into()),
                    ..params
                };
                let by_hash = signer::sign(&hashed).expect("the same input was accepted");
                assert_eq!(
                    by_hash.authorization(),
                    signed.authorization(),
                    "{params:?}"
                );
            }
        }
        (Err(error), Err(broken)) => {
            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
            let field = error.field().unwrap_or_default();
            assert!(
                broken.contains(&field),
                "the signer refused {field:?} ({error}), but the reference finds only \
                 {broken:?} in breach, for {params:?}"
            );
        }
        (Ok(_), Err(broken)) => {
            panic!("the signer accepted input that breaks the rules for {broken:?}: {params:?}")
        }
        (Err(error), Ok(_)) => panic!("the signer refused valid input ({error}): {params:?}"),
    }

    // The date on its own follows the same rule as the date in the scope.
    match (
        signer::utc_date(input.timestamp),
        reference::utc_date(input.timestamp),
    ) {
        (Ok(date), Some(expected)) => assert_eq!(date, expected, "timestamp {}", input.timestamp),
        (Err(_), None) => {}
        (date, expected) => panic!("timestamp {}: {date:?} but {expected:?}", input.timestamp),
    }
}

/// TC3-HMAC-SHA256 written from the documentation, as plainly as possible.
pub mod reference {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::{Digest, Sha256};

    use super::SignInput;

    /// 9999-12-31T23:59:59Z, written out rather than taken from the signer.
    const LAST_SECOND: i64 = 253_402_300_799;

    /// Every stage of a signature.
    #[derive(Debug)]
    pub struct Expected {
        pub canonical_request: String,
        pub signed_headers: String,
        pub credential_scope: String,
        pub string_to_sign: String,
        pub signature: String,
        pub authorization: String,
    }

    /// Signs `input`, or names every field that breaks a rule.
    pub fn sign(input: &SignInput) -> Result<Expected, Vec<&'static str>> {
        let broken = broken_rules(input);
        if !broken.is_empty() {
            return Err(broken);
        }
        let date = utc_date(input.timestamp).expect("the timestamp was checked");

        // Canonical headers: name and value trimmed and lowercased, sorted by name.
        let mut lines = vec![
            (
                "content-type".to_owned(),
                trim(&input.content_type).to_ascii_lowercase(),
            ),
            ("host".to_owned(), input.host.to_ascii_lowercase()),
        ];
        for (name, value) in &input.headers {
            lines.push((
                trim(name).to_ascii_lowercase(),
                trim(value).to_ascii_lowercase(),
            ));
        }
        lines.sort();
        let mut canonical_headers = String::new();
        for (name, value) in &lines {
            canonical_headers += &format!("{name}:{value}\n");
        }
        let names: Vec<&str> = lines.iter().map(|(name, _)| name.as_str()).collect();
        let signed_headers = names.join(";");

        let body: &[u8] = match &input.payload {
            Some(body) => body,
            None => b"UNSIGNED-PAYLOAD",
        };
        let canonical_request = [
            input.method.as_str(),
            "/",
            input.query.as_str(),
            canonical_headers.as_str(),
            signed_headers.as_str(),
            &hex::encode(Sha256::digest(body)),
        ]
        .join("\n");

        let credential_scope = format!("{date}/{}/tc3_request", input.service);
        let string_to_sign = format!(
            "TC3-HMAC-SHA256\n{}\n{credential_scope}\n{}",
            input.timestamp,
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );

        let secret = format!("TC3{}", input.secret_key);
        let key = hmac(secret.as_bytes(), date.as_bytes());
        let key = hmac(&key, input.service.as_bytes());
        let key = hmac(&key, b"tc3_request");
        let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));

        let authorization = format!(
            "TC3-HMAC-SHA256 Credential={}/{credential_scope}, SignedHeaders={signed_headers}, \
             Signature={signature}",
            input.secret_id
        );
        Ok(Expected {
            canonical_request,
            signed_headers,
            credential_scope,
            string_to_sign,
            signature,
            authorization,
        })
    }

    /// The rules of the signer's documentation, each checked on its own.
    fn broken_rules(input: &SignInput) -> Vec<&'static str> {
        let mut broken = Vec::new();
        let visible = |b: u8| (b'!'..=b'~').contains(&b);
        // HTTP field values (RFC 9110, 5.5), without the obsolete non-ASCII bytes.
        let value_byte = |b: u8| visible(b) || b == b' ' || b == b'\t';
        // HTTP tokens (RFC 9110, 5.6.2).
        let token_byte = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);

        if !(0..=LAST_SECOND).contains(&input.timestamp) {
            broken.push("timestamp");
        }
        let id = &input.secret_id;
        if id.is_empty() || !id.bytes().all(|b| visible(b) && b != b'/' && b != b',') {
            broken.push("secret_id");
        }
        if input.secret_key.is_empty() {
            broken.push("secret_key");
        }
        let service = &input.service;
        let service_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if service.is_empty() || !service.bytes().all(service_byte) {
            broken.push("service");
        }
        if input.host.is_empty() || !input.host.bytes().all(visible) {
            broken.push("host");
        }
        let method = &input.method;
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            broken.push("method");
        }
        if !input.query.bytes().all(visible) {
            broken.push("query");
        }
        let content_type = &input.content_type;
        if trim(content_type).is_empty() || !content_type.bytes().all(value_byte) {
            broken.push("content_type");
        }

        let mut seen = vec!["content-type".to_owned(), "host".to_owned()];
        for (name, value) in &input.headers {
            let name = trim(name);
            if name.is_empty() || !name.bytes().all(token_byte) {
                broken.push("headers");
            }
            if !value.bytes().all(value_byte) {
                broken.push("headers");
            }
            let name = name.to_ascii_lowercase();
            if seen.contains(&name) {
                broken.push("headers");
            }
            seen.push(name);
        }
        broken
    }

    /// Removes HTTP's optional whitespace, spaces and tabs, from both ends.
    fn trim(text: &str) -> &str {
        text.trim_matches([' ', '\t'])
    }

    /// `YYYY-MM-DD` of a timestamp, by counting days: whole 400-year cycles first (each
    /// exactly 146,097 days), then years, then months. `None` outside 1970..=9999.
    pub fn utc_date(timestamp: i64) -> Option<String> {
        if !(0..=LAST_SECOND).contains(&timestamp) {
            return None;
        }
        let mut days = timestamp / 86_400;
        let mut year = 1970;
        while days >= 146_097 {
            days -= 146_097;
            year += 400;
        }

        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        loop {
            let length = if leap(year) { 366 } else { 365 };
            if days < length {
                break;
            }
            days -= length;
            year += 1;
        }

        let february = if leap(year) { 29 } else { 28 };
        let lengths = [31, february, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let mut month = 1;
        for length in lengths {
            if days < length {
                break;
            }
            days -= length;
            month += 1;
        }
        Some(format!("{year:04}-{month:02}-{:02}", days + 1))
    }

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
}
