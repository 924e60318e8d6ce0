//! A whole `Invoke` round trip over a keep-alive connection, against the
//! same POST sent with bare `ureq`: same body, same server, no validation,
//! no credentials, no signing and no JSON work.
//!
//! The server is the crate's in-process emulator, with its rate limit and
//! its record of invocations off, so it does a service's work per call: it
//! verifies each signature and runs the function. The sides:
//!
//! - `ours`: a client with the default settings.
//! - `ours_with_deadline`: the same with `ClientBuilder::timeout` set, one
//!   deadline over each attempt, which costs a thread per call in ureq.
//! - `raw_ureq`: a default ureq agent replaying a request signed once
//!   before the bench starts, headers and all. The server does exactly
//!   the work it does for ours, so the ratio is the client's own cost: the
//!   budget's baseline (ours within 1.2x of it).
//! - `raw_ureq_unsigned`: a default agent posting the body with one
//!   header. The server refuses it for the missing `X-TC-Action`, so this
//!   baseline also saves the server's verification and the function's
//!   run; reported so that the difference can be seen.
//!
//! - `6MB/ours` and `6MB/raw_ureq`: the same two with a 6 MB event, which
//!   the client streams (escaping it once to hash the body and once as it
//!   sends it) while the baseline sends a body built before the run.
//! - `6MB/ours_unsigned_payload` and `6MB/raw_ureq_unsigned_payload`: the
//!   same with the body left out of the signature
//!   (`ClientBuilder::unsigned_payload`), so the client escapes the event
//!   only as it sends it and the server hashes nothing; the baseline
//!   replays a request signed the same way. A last ratio compares this
//!   call with the default client's, to show what the option saves.
//!
//! The replayed signatures are good for the 300 seconds the emulator
//! allows a timestamp to be off; the bench checks at the end that they
//! still were.
//!
//! Run with `cargo bench --bench invoke`. Criterion reports each side on
//! its own; the ratios, measured in alternating batches (see
//! `support/paired.rs`), print at the end.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::Criterion;
use scf_invoke::emulator::Emulator;
use scf_invoke::signer::{self, Payload, SigningParams};
use scf_invoke::{Client, Credentials, InvokeRequest};

#[path = "support/paired.rs"]
mod paired;

const SECRET_ID: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "secret";

/// The small event both sides send.
const EVENT: &str = r#"{"name":"world"}"#;

/// What the emulator's function answers, so that a replay can be told
/// from a refusal.
const RETURNED: &str = "\"ok\"";

/// The body the client builds for `event`, written out the way it writes
/// it (the event as a JSON string).
fn body_for(event: &str) -> Vec<u8> {
    let context = serde_json::to_string(event).expect("a string serializes");
    format!(r#"{{"FunctionName":"hello","ClientContext":{context}}}"#).into_bytes()
}

/// A request signed once, before the run, to be sent again and again.
struct Replay {
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Replay {
    /// Signs `body` for `url` now, and lays out the headers as the client
    /// does (see `Client::attempt`).
    fn signed(url: &str, body: Vec<u8>) -> Replay {
        Replay::new(url, body, false)
    }

    /// The same with the body left out of the signature.
    fn signed_without_body(url: &str, body: Vec<u8>) -> Replay {
        Replay::new(url, body, true)
    }

    fn new(url: &str, body: Vec<u8>, unsigned_payload: bool) -> Replay {
        let host = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let signed = signer::sign(&SigningParams {
            secret_id: SECRET_ID,
            secret_key: SECRET_KEY,
            service: "scf",
            host: &host,
            method: "POST",
            query: "",
            content_type: "application/json",
            headers: &[],
            payload: if unsigned_payload {
                Payload::Unsigned
            } else {
                Payload::Bytes(&body)
            },
            timestamp,
        })
        .expect("the inputs are valid");
        let mut headers = vec![
            ("Host", host),
            ("Content-Type", "application/json".to_owned()),
            ("X-TC-Action", "Invoke".to_owned()),
            ("X-TC-Version", "2018-04-16".to_owned()),
            ("X-TC-Timestamp", timestamp.to_string()),
            ("X-TC-Region", "ap-guangzhou".to_owned()),
            (
                "X-TC-RequestClient",
                concat!("scf-invoke/", env!("CARGO_PKG_VERSION")).to_owned(),
            ),
        ];
        if unsigned_payload {
            headers.push(("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD".to_owned()));
        }
        headers.push(("Authorization", signed.authorization().to_owned()));
        Replay { body, headers }
    }
}

struct Sides {
    _server: Emulator,
    client: Client,
    client_with_deadline: Client,
    client_unsigned_payload: Client,
    request: InvokeRequest,
    large_request: InvokeRequest,
    raw: ureq::Agent,
    url: String,
    replay: Replay,
    large_replay: Replay,
    large_replay_unsigned_payload: Replay,
}

/// Builds every side and checks that each gets the answer it is meant to,
/// or the bench would time error paths.
fn setup() -> Sides {
    let server = Emulator::builder()
        .credentials(SECRET_ID, SECRET_KEY)
        .function("hello", |_| Ok(RETURNED.to_owned()))
        .rate_limit(None)
        .record_limit(0)
        .start()
        .expect("the emulator starts on loopback");
    let url = format!("{}/", server.url());
    let builder = || {
        Client::builder()
            .region("ap-guangzhou")
            .credentials(Credentials::new(SECRET_ID, SECRET_KEY))
            .endpoint(&url)
    };
    let built =
        |builder: scf_invoke::ClientBuilder| builder.build().expect("a loopback endpoint is valid");
    // About 6 MB of records, under the 6 MiB limit, a quote in every few
    // bytes as in most real events.
    let record = r#"{"id":1,"device":"sensor-1","ok":true,"reading":21.5,"tags":["edge","v2"]}"#;
    let large_event = format!("[{}]", vec![record; 80_000].join(","));
    let sides = Sides {
        client: built(builder()),
        client_with_deadline: built(builder().timeout(Duration::from_secs(330))),
        client_unsigned_payload: built(builder().unsigned_payload(true)),
        request: InvokeRequest::new("hello").event_json(EVENT),
        large_request: InvokeRequest::new("hello").event_json(large_event.clone()),
        // Defaults, but never a proxy from the environment: the client
        // goes direct to a loopback endpoint, and so must the baseline.
        raw: ureq::Agent::new_with_config(ureq::Agent::config_builder().proxy(None).build()),
        replay: Replay::signed(&url, body_for(EVENT)),
        large_replay: Replay::signed(&url, body_for(&large_event)),
        large_replay_unsigned_payload: Replay::signed_without_body(&url, body_for(&large_event)),
        url,
        _server: server,
    };

    for client in [&sides.client, &sides.client_with_deadline] {
        let output = client.invoke(&sides.request).expect("the server answers");
        assert_eq!(output.return_value(), RETURNED);
    }
    for client in [&sides.client, &sides.client_unsigned_payload] {
        let output = client
            .invoke(&sides.large_request)
            .expect("the server answers");
        assert_eq!(output.return_value(), RETURNED);
    }
    assert_replays_are_accepted(&sides);
    let refusal = String::from_utf8(raw_post_unsigned(&sides)).unwrap();
    assert!(refusal.contains("\"Error\""), "{refusal}");
    sides
}

/// Sends `replay` again, the answer read into memory.
fn raw_replay(sides: &Sides, replay: &Replay) -> Vec<u8> {
    let mut request = sides.raw.post(&sides.url);
    for (name, value) in &replay.headers {
        request = request.header(*name, value);
    }
    let mut response = request.send(&replay.body).expect("the server answers");
    response
        .body_mut()
        .read_to_vec()
        .expect("the server answers")
}

/// The budget's baseline.
fn raw_post(sides: &Sides) -> Vec<u8> {
    raw_replay(sides, &sides.replay)
}

fn raw_post_large(sides: &Sides) -> Vec<u8> {
    raw_replay(sides, &sides.large_replay)
}

fn raw_post_large_unsigned_payload(sides: &Sides) -> Vec<u8> {
    raw_replay(sides, &sides.large_replay_unsigned_payload)
}

/// Panics unless the replayed requests still run the function: once their
/// timestamp is too old, the baseline would be timing refusals.
fn assert_replays_are_accepted(sides: &Sides) {
    let answers = [
        raw_post(sides),
        raw_post_large(sides),
        raw_post_large_unsigned_payload(sides),
    ];
    for answer in answers {
        let answer = String::from_utf8(answer).unwrap();
        assert!(
            answer.contains("RetMsg"),
            "a replayed request was refused (its signature is valid for 300 s): {answer}"
        );
    }
}

/// One POST of the small body with one header, which the server refuses.
fn raw_post_unsigned(sides: &Sides) -> Vec<u8> {
    let mut response = sides
        .raw
        .post(&sides.url)
        .header("Content-Type", "application/json")
        .send(&sides.replay.body)
        .expect("the server answers");
    response
        .body_mut()
        .read_to_vec()
        .expect("the server answers")
}

fn ours(client: &Client, request: &InvokeRequest) {
    let output = client.invoke(black_box(request));
    black_box(output.expect("the server answers"));
}

/// The default client with the 6 MB event, as a baseline for the same
/// call with the body left out of the signature.
fn ours_large(sides: &Sides) -> Vec<u8> {
    ours(&sides.client, &sides.large_request);
    Vec::new()
}

fn bench_invoke(c: &mut Criterion, sides: &Sides) {
    let mut group = c.benchmark_group("invoke");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("ours", |b| b.iter(|| ours(&sides.client, &sides.request)));
    group.bench_function("ours_with_deadline", |b| {
        b.iter(|| ours(&sides.client_with_deadline, &sides.request))
    });
    group.bench_function("raw_ureq", |b| b.iter(|| raw_post(sides)));
    group.bench_function("raw_ureq_unsigned", |b| b.iter(|| raw_post_unsigned(sides)));
    group.finish();

    let mut group = c.benchmark_group("invoke_6MB");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("ours", |b| {
        b.iter(|| ours(&sides.client, &sides.large_request))
    });
    group.bench_function("raw_ureq", |b| b.iter(|| raw_post_large(sides)));
    group.bench_function("ours_unsigned_payload", |b| {
        b.iter(|| ours(&sides.client_unsigned_payload, &sides.large_request))
    });
    group.bench_function("raw_ureq_unsigned_payload", |b| {
        b.iter(|| raw_post_large_unsigned_payload(sides))
    });
    group.finish();
}

fn main() {
    let sides = setup();
    let mut criterion = Criterion::default().configure_from_args();
    bench_invoke(&mut criterion, &sides);
    criterion.final_summary();

    // Name, our client and request, its baseline, and the budget if any.
    type Baseline = fn(&Sides) -> Vec<u8>;
    let comparisons: [(&str, &Client, &InvokeRequest, Baseline, Option<f64>); 6] = [
        (
            "invoke/ours:raw_ureq",
            &sides.client,
            &sides.request,
            raw_post,
            Some(1.2),
        ),
        (
            "invoke/ours_with_deadline:raw_ureq",
            &sides.client_with_deadline,
            &sides.request,
            raw_post,
            None,
        ),
        (
            "invoke/ours:raw_ureq_unsigned",
            &sides.client,
            &sides.request,
            raw_post_unsigned,
            None,
        ),
        (
            "invoke_6MB/ours:raw_ureq",
            &sides.client,
            &sides.large_request,
            raw_post_large,
            None,
        ),
        (
            "invoke_6MB/ours_unsigned_payload:raw_ureq_unsigned_payload",
            &sides.client_unsigned_payload,
            &sides.large_request,
            raw_post_large_unsigned_payload,
            None,
        ),
        // What leaving the body unsigned saves the whole round trip.
        (
            "invoke_6MB/ours_unsigned_payload:ours",
            &sides.client_unsigned_payload,
            &sides.large_request,
            ours_large,
            None,
        ),
    ];
    for (name, client, request, baseline, budget) in comparisons {
        if paired::wanted(name) {
            // A small round trip is about 130 us; batches of 2 ms hold 16
            // or more of them, so one slow wake-up skews a round less.
            let comparison = paired::compare_in_batches(
                Duration::from_millis(2),
                || ours(client, request),
                || {
                    black_box(baseline(&sides));
                },
            );
            paired::print(name, &comparison, budget);
        }
    }
    if paired::wanted("invoke") {
        assert_replays_are_accepted(&sides);
    }
}
