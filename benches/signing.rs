//! Signing cost per request, against the cryptographic floor.
//!
//! The floor is the hashing and HMAC work TC3-HMAC-SHA256 cannot avoid, on
//! inputs of the same lengths, with nothing else: SHA-256 of the body,
//! SHA-256 of a canonical request as long as ours, the three HMACs that
//! derive the signing key and the one that signs. Whatever ours spends above
//! that (validation, formatting, hex, allocation) is overhead we own.
//!
//! Run with `cargo bench --bench signing`. Criterion reports each side on
//! its own; the ratios, measured in alternating batches (see
//! `support/paired.rs`), print at the end.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, KeyInit, Mac};
use scf_invoke::signer::{self, Payload, SigningParams};
use sha2::{Digest, Sha256};

#[path = "support/paired.rs"]
mod paired;

const SIZES: [(&str, usize); 4] = [
    ("0B", 0),
    ("1KB", 1024),
    ("64KB", 64 * 1024),
    ("1MB", 1024 * 1024),
];

const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const SERVICE: &str = "scf";

/// What the client signs for an `Invoke` of `body`.
fn params(body: &[u8]) -> SigningParams<'_> {
    SigningParams {
        secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key: SECRET_KEY,
        service: SERVICE,
        host: "scf.tencentcloudapi.com",
        method: "POST",
        query: "",
        content_type: "application/json",
        headers: &[],
        payload: Payload::Bytes(body),
        timestamp: 1_700_000_000,
    }
}

/// A body of `len` bytes that looks like the JSON the client sends.
fn body(len: usize) -> Vec<u8> {
    let pattern = br#"{"FunctionName":"hello","ClientContext":"{\"n\":1234567890}"},"#;
    pattern.iter().copied().cycle().take(len).collect()
}

/// The inputs of the floor: byte strings as long as the ones ours hashes,
/// built before timing starts.
struct FloorInputs {
    body: Vec<u8>,
    canonical_request: Vec<u8>,
    string_to_sign: Vec<u8>,
    tc3_secret: Vec<u8>,
    date: &'static str,
}

impl FloorInputs {
    fn new(body: Vec<u8>) -> FloorInputs {
        let signed = signer::sign(&params(&body)).expect("the bench's params are valid");
        FloorInputs {
            canonical_request: vec![b'c'; signed.canonical_request().len()],
            string_to_sign: vec![b's'; signed.string_to_sign().len()],
            tc3_secret: format!("TC3{SECRET_KEY}").into_bytes(),
            date: "2023-11-14",
            body,
        }
    }

    /// The work no TC3 signer can skip: two SHA-256 digests (the body and
    /// the canonical request) and four HMACs, three that derive the key
    /// and one that signs. Hashing stand-ins of the real lengths keeps the
    /// floor free of the work of building the canonical request.
    fn sign(&self) -> [u8; 32] {
        let body_hash = Sha256::digest(black_box(&self.body));
        black_box(body_hash);
        let request_hash = Sha256::digest(black_box(&self.canonical_request));
        black_box(request_hash);

        // Every input passes through black_box: the key's inputs are the
        // same on every call, and without it the optimiser may hoist the
        // derivation out of the timing loop (it did, and the floor lost a
        // quarter of its work).
        let k_date = hmac(black_box(&self.tc3_secret), black_box(self.date.as_bytes()));
        let k_service = hmac(&k_date, black_box(SERVICE.as_bytes()));
        let k_signing = hmac(&k_service, b"tc3_request");
        hmac(&k_signing, black_box(&self.string_to_sign))
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn bench_signing(c: &mut Criterion) {
    let mut group = c.benchmark_group("signing");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));

    for (name, len) in SIZES {
        let floor = FloorInputs::new(body(len));
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(BenchmarkId::new("ours", name), &floor.body, |b, body| {
            let params = params(body);
            b.iter(|| signer::sign(black_box(&params)).expect("the bench's params are valid"));
        });
        group.bench_with_input(BenchmarkId::new("floor", name), &floor, |b, floor| {
            b.iter(|| floor.sign());
        });
    }

    // What a client-side cache of the derived key could save per call.
    group.throughput(Throughput::Elements(1));
    group.bench_function("signing_key", |b| {
        b.iter(|| signer::signing_key(black_box(SECRET_KEY), black_box("2023-11-14"), SERVICE));
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench_signing(&mut criterion);
    criterion.final_summary();

    for (name, len) in SIZES {
        let id = format!("signing/{name}");
        if !paired::wanted(&id) {
            continue;
        }
        let floor = FloorInputs::new(body(len));
        let params = params(&floor.body);
        let comparison = paired::compare(
            || {
                black_box(signer::sign(black_box(&params)).expect("the bench's params are valid"));
            },
            || {
                black_box(floor.sign());
            },
        );
        let budget = match name {
            "1KB" => Some(1.3),
            "1MB" => Some(1.05),
            _ => None,
        };
        paired::print(&id, &comparison, budget);
    }
}
