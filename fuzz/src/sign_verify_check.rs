//! The `sign_verify` target: what a client signs, the emulator's verifier accepts; and a
//! request that differs from it in one signed part, the verifier refuses with the code
//! its documentation gives for that part.
//!
//! Every input is signed with [`scf_invoke::signer::sign`], sent as a client sends it
//! (`Host`, `Content-Type`, `X-TC-Timestamp`, `Authorization`, the extra signed headers,
//! and `X-TC-Content-SHA256: UNSIGNED-PAYLOAD` when the body is unsigned), and verified
//! with [`scf_invoke::emulator::verify`] at the signing time, which must accept it. Then
//! each single change below is verified on its own and must get its expected answer:
//!
//! - the edit below, on the body: `AuthFailure.SignatureFailure` if the payload is signed
//!   and the body changed, else accepted;
//! - the edit below, on one signed header's value: `AuthFailure.SignatureFailure` if the
//!   value's canonical form changed, else accepted (case, and spaces and tabs at the ends
//!   of any value but `Host`'s, do not count);
//! - that header left out, or sent twice: `AuthFailure.SignatureFailure`;
//! - a header that is not signed, added: accepted;
//! - `X-TC-Timestamp` one second off: `InvalidParameter` outside 1970..=9999,
//!   `AuthFailure.InvalidAuthorization` on another day than the scope's, else
//!   `AuthFailure.SignatureFailure`;
//! - the server's clock 300 s off: accepted; 301 s off: `AuthFailure.SignatureExpire`;
//! - the scope's date the day before (or after): `AuthFailure.InvalidAuthorization`;
//! - a true signature for the service `cvm`: `AuthFailure.InvalidAuthorization`;
//! - a signature with another secret key: `AuthFailure.SignatureFailure`;
//! - a signature by a `SecretId` the verifier does not know:
//!   `AuthFailure.SecretIdNotFound`.
//!
//! # Input format
//!
//! ```text
//! byte 0     the edit: bits 0-1 choose replace, insert, remove, or swap the case
//! byte 1     where: a position, modulo the length of what is edited (plus one to insert)
//! byte 2     the byte that replace and insert write, with its high bit cleared (ASCII)
//! byte 3     which signed header's value to edit, modulo their number: `Host`,
//!            `Content-Type`, then the extra headers in order
//! the rest   the `sign` target's format (see `sign_check`), with the service, method and
//!            query replaced by `scf`, `POST` and none: all the emulator answers
//! ```
//!
//! Inputs the signer refuses are skipped, and so are inputs with an extra header that
//! the client writes itself (`Authorization`, `X-TC-Timestamp`, `X-TC-Content-SHA256`),
//! which would then be sent twice.

use scf_invoke::emulator::{verify, HttpRequest, Rejection, Verified};
use scf_invoke::signer::{self, Signed, SigningParams, UNSIGNED_PAYLOAD};
use scf_invoke::Credentials;

use super::sign_check::{reference, SignInput};

/// Bytes before the `sign` target's format.
pub const EDIT_LENGTH: usize = 4;

const SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
const INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
const SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
const INVALID_PARAMETER: &str = "InvalidParameter";

/// Headers the client writes itself, lowercase.
const CLIENT_HEADERS: [&str; 3] = ["authorization", "x-tc-timestamp", "x-tc-content-sha256"];

/// One edit of a byte string.
#[derive(Debug, Clone, Copy)]
pub struct Edit {
    kind: EditKind,
    position: usize,
    byte: u8,
    header: usize,
}

#[derive(Debug, Clone, Copy)]
enum EditKind {
    Replace,
    Insert,
    Remove,
    SwapCase,
}

impl Edit {
    /// Reads the edit from the first [`EDIT_LENGTH`] bytes; missing bytes read as zero.
    pub fn decode(data: &[u8]) -> Edit {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let kind = match byte(0) & 3 {
            0 => EditKind::Replace,
            1 => EditKind::Insert,
            2 => EditKind::Remove,
            _ => EditKind::SwapCase,
        };
        Edit {
            kind,
            position: usize::from(byte(1)),
            byte: byte(2) & 0x7F,
            header: usize::from(byte(3)),
        }
    }

    /// `text` with the edit applied; it may come out unchanged, and then the oracle expects
    /// what it expects of the original.
    fn apply(&self, text: &[u8]) -> Vec<u8> {
        let mut edited = text.to_vec();
        match self.kind {
            EditKind::Insert => edited.insert(self.position % (text.len() + 1), self.byte),
            _ if text.is_empty() => {}
            EditKind::Replace => edited[self.position % text.len()] = self.byte,
            EditKind::Remove => {
                edited.remove(self.position % text.len());
            }
            EditKind::SwapCase => {
                let b = &mut edited[self.position % text.len()];
                *b = if b.is_ascii_lowercase() {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                };
            }
        }
        edited
    }
}

/// Signs, verifies and changes `data` as the module documentation describes, and
/// panics, saying how, on any answer other than the expected one.
pub fn check(data: &[u8]) {
    let edit = Edit::decode(data);
    let mut input = SignInput::decode(data.get(EDIT_LENGTH..).unwrap_or_default());
    input.service = "scf".to_owned();
    input.method = "POST".to_owned();
    input.query = String::new();
    let writes_itself =
        |name: &str| CLIENT_HEADERS.contains(&trim(name).to_ascii_lowercase().as_str());
    if input.headers.iter().any(|(name, _)| writes_itself(name)) {
        return;
    }
    let Some(signed) = sign(&input, &Change::default()) else {
        return;
    };
    let timestamp = input.timestamp;
    let sent = Sent::new(&input, &signed, timestamp.to_string());

    // The decoy is a second account, so that the verifier must pick the right key.
    let accounts = [
        Credentials::new(format!("{}-decoy", input.secret_id), "decoy-key"),
        Credentials::new(input.secret_id.as_str(), input.secret_key.as_str()),
    ];
    let verdict = |sent: &Sent, server_time: i64| sent.verify(server_time, &accounts);
    let context = Shown(&input, &edit);

    // Step 1: the request as sent.
    expect_accepted(verdict(&sent, timestamp), &input, "as signed", &context);

    // Step 2: the body, which counts only when the payload is signed.
    let mut changed = sent.clone();
    changed.body = edit.apply(&sent.body);
    if input.payload.is_some() && changed.body != sent.body {
        expect_code(
            verdict(&changed, timestamp),
            SIGNATURE_FAILURE,
            "body edited",
            &context,
        );
    } else {
        expect_accepted(
            verdict(&changed, timestamp),
            &input,
            "body edited",
            &context,
        );
    }

    // Step 3: one signed header: its value edited, left out, sent twice.
    let index = edit.header % sent.signed;
    let (name, value) = sent.headers[index].clone();
    let mut changed = sent.clone();
    let edited = String::from_utf8(edit.apply(value.as_bytes()))
        .expect("the signer signs only ASCII values, and the edit writes ASCII");
    changed.headers[index].1 = edited.clone();
    let what = format!("{name}: {value:?} edited to {edited:?}");
    if canonical(&name, &edited) != canonical(&name, &value) {
        expect_code(
            verdict(&changed, timestamp),
            SIGNATURE_FAILURE,
            &what,
            &context,
        );
    } else {
        expect_accepted(verdict(&changed, timestamp), &input, &what, &context);
    }
    let mut changed = sent.clone();
    changed.headers.remove(index);
    let what = format!("{name} left out");
    expect_code(
        verdict(&changed, timestamp),
        SIGNATURE_FAILURE,
        &what,
        &context,
    );
    let mut changed = sent.clone();
    changed.headers.push((name.clone(), value.clone()));
    let what = format!("{name} sent twice");
    expect_code(
        verdict(&changed, timestamp),
        SIGNATURE_FAILURE,
        &what,
        &context,
    );

    // A header outside SignedHeaders is not the verifier's business.
    let unsigned = "X-Fuzz-Unsigned";
    if !sent
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(unsigned))
    {
        let mut changed = sent.clone();
        changed.headers.push((unsigned.to_owned(), "1".to_owned()));
        expect_accepted(
            verdict(&changed, timestamp),
            &input,
            "unsigned header added",
            &context,
        );
    }

    // Step 4: X-TC-Timestamp one second off, with the same Authorization. Outside the
    // signer's range it is no timestamp the service takes; on another day it contradicts
    // the scope's date; otherwise it is not what was signed.
    let date = reference::utc_date(timestamp).expect("the signer dated it");
    for moved in [timestamp - 1, timestamp + 1] {
        let changed = Sent::new(&input, &signed, moved.to_string());
        let expected = match reference::utc_date(moved) {
            None => INVALID_PARAMETER,
            Some(moved_date) if moved_date != date => INVALID_AUTHORIZATION,
            Some(_) => SIGNATURE_FAILURE,
        };
        let what = format!("X-TC-Timestamp {moved}");
        expect_code(verdict(&changed, timestamp), expected, &what, &context);
    }

    // Step 5: the server's clock at the edge of the allowance, and past it.
    for skew in [-300, 300] {
        let what = format!("server clock {skew} s off");
        expect_accepted(verdict(&sent, timestamp + skew), &input, &what, &context);
    }
    for skew in [-301, 301] {
        let what = format!("server clock {skew} s off");
        expect_code(
            verdict(&sent, timestamp + skew),
            SIGNATURE_EXPIRE,
            &what,
            &context,
        );
    }

    // Step 6: the scope's date, a day off, with everything else as signed.
    let other_day = reference::utc_date(timestamp - 86_400)
        .or_else(|| reference::utc_date(timestamp + 86_400))
        .expect("1970..=9999 holds more than two days");
    let authorization =
        signed
            .authorization()
            .replacen(&format!("/{date}/scf/"), &format!("/{other_day}/scf/"), 1);
    let mut changed = sent.clone();
    changed.set("Authorization", authorization);
    let what = format!("scope date {other_day}");
    expect_code(
        verdict(&changed, timestamp),
        INVALID_AUTHORIZATION,
        &what,
        &context,
    );

    // Step 7: a true signature, but for another service, key or account.
    let other_service = Change {
        service: Some("cvm"),
        ..Change::default()
    };
    let other_key = Change {
        secret_key: Some(format!("{}x", input.secret_key)),
        ..Change::default()
    };
    let other_id = Change {
        secret_id: Some(format!("{}-unknown", input.secret_id)),
        ..Change::default()
    };
    for (change, expected) in [
        (other_service, INVALID_AUTHORIZATION),
        (other_key, SIGNATURE_FAILURE),
        (other_id, SECRET_ID_NOT_FOUND),
    ] {
        let resigned = sign(&input, &change).expect("the change keeps the input signable");
        let mut changed = sent.clone();
        changed.set("Authorization", resigned.authorization().to_owned());
        let what = format!("signed with {change:?}");
        expect_code(verdict(&changed, timestamp), expected, &what, &context);
    }
}

/// What to sign differently from the input.
#[derive(Default)]
struct Change {
    service: Option<&'static str>,
    secret_key: Option<String>,
    secret_id: Option<String>,
}

impl std::fmt::Debug for Change {
    // Says which part changed, not the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.service, &self.secret_key, &self.secret_id) {
            (Some(service), _, _) => write!(f, "service {service:?}"),
            (_, Some(_), _) => f.write_str("another secret key"),
            (_, _, Some(id)) => write!(f, "secret id {id:?}"),
            _ => f.write_str("nothing changed"),
        }
    }
}

/// Signs the input as changed; `None` where the signer refuses it.
fn sign(input: &SignInput, change: &Change) -> Option<Signed> {
    let headers = input.header_pairs();
    signer::sign(&SigningParams {
        secret_id: change.secret_id.as_deref().unwrap_or(&input.secret_id),
        secret_key: change.secret_key.as_deref().unwrap_or(&input.secret_key),
        service: change.service.unwrap_or(&input.service),
        ..input.params(&headers)
    })
    .ok()
}

/// A request as the emulator receives it, owned so that a copy can be changed.
#[derive(Debug, Clone)]
struct Sent {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// How many of `headers`, from the first, the signature covers.
    signed: usize,
}

impl Sent {
    /// The request a client sends for `input`: the signed headers first, then the rest.
    /// A server strips the spaces and tabs around names and values (RFC 9110, 5.5), so
    /// they arrive without them.
    fn new(input: &SignInput, signed: &Signed, timestamp: String) -> Sent {
        let mut headers = vec![
            ("Host".to_owned(), input.host.clone()),
            (
                "Content-Type".to_owned(),
                trim(&input.content_type).to_owned(),
            ),
        ];
        for (name, value) in &input.headers {
            headers.push((trim(name).to_owned(), trim(value).to_owned()));
        }
        let count = headers.len();
        headers.push(("X-TC-Timestamp".to_owned(), timestamp));
        headers.push((
            "Authorization".to_owned(),
            signed.authorization().to_owned(),
        ));
        if input.payload.is_none() {
            headers.push((
                "X-TC-Content-SHA256".to_owned(),
                UNSIGNED_PAYLOAD.to_owned(),
            ));
        }
        Sent {
            headers,
            body: input.payload.clone().unwrap_or_default(),
            signed: count,
        }
    }

    /// Replaces the value of the header `name`.
    fn set(&mut self, name: &str, value: String) {
        for header in &mut self.headers {
            if header.0 == name {
                header.1 = value;
                return;
            }
        }
        unreachable!("{name} is always sent");
    }

    fn verify(&self, server_time: i64, accounts: &[Credentials]) -> Result<Verified, Rejection> {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let request = HttpRequest {
            method: "POST",
            path: "/",
            headers: &headers,
            body: &self.body,
        };
        verify(&request, server_time, accounts)
    }
}

/// A header's value as the canonical request holds it: `Host` lowercased, the others also
/// trimmed of spaces and tabs. `None` for a value the signer refuses, which no valid
/// signature covers.
fn canonical(name: &str, value: &str) -> Option<String> {
    let visible = |b: u8| (b'!'..=b'~').contains(&b);
    if name == "Host" {
        let valid = !value.is_empty() && value.bytes().all(visible);
        return valid.then(|| value.to_ascii_lowercase());
    }
    let valid = value.bytes().all(|b| visible(b) || b == b' ' || b == b'\t')
        && !(name == "Content-Type" && trim(value).is_empty());
    valid.then(|| trim(value).to_ascii_lowercase())
}

/// The input and the edit, for a failure's message; written out only on failure, which
/// keeps each run cheap.
struct Shown<'a>(&'a SignInput, &'a Edit);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {:?}", self.0, self.1)
    }
}

/// Removes HTTP's optional whitespace, spaces and tabs, from both ends.
fn trim(text: &str) -> &str {
    text.trim_matches([' ', '\t'])
}

fn expect_accepted(
    verdict: Result<Verified, Rejection>,
    input: &SignInput,
    what: &str,
    context: &Shown<'_>,
) {
    match verdict {
        Ok(verified) => {
            assert_eq!(verified.secret_id(), input.secret_id, "{what}: {context}");
            assert_eq!(verified.timestamp(), input.timestamp, "{what}: {context}");
        }
        Err(rejection) => panic!("{what}: refused with {rejection}, for {context}"),
    }
}

fn expect_code(
    verdict: Result<Verified, Rejection>,
    expected: &str,
    what: &str,
    context: &Shown<'_>,
) {
    match verdict {
        Ok(_) => panic!("{what}: accepted, but expected {expected}, for {context}"),
        Err(rejection) => assert_eq!(
            rejection.code(),
            expected,
            "{what}: {rejection}, for {context}"
        ),
    }
}
