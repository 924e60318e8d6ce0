//! A whole `Invoke` round trip over a keep-alive connection, against the
//! same POST sent with bare `ureq`: same body, same server, no validation,
//! no credentials, no signing and no JSON work.
//!
//! Two baselines, both measured against ours:
//!
//! - `raw_ureq`: a default agent posting the body with one header. This is
//!   the budget's baseline (ours within 1.2x of it).
//! - `raw_ureq_as_ours`: an agent configured as the client configures its
//!   own (timeouts, no redirects), sending the same headers with fixed
//!   values of the same lengths. The gap between ours and this one is the
//!   crate's own work per call; the gap between the two baselines is what
//!   the agent's configuration and the protocol's headers cost inside ureq.
//!
//! The server is the crate's in-process emulator, with its rate limit and
//! its record of invocations off, so it does a service's work per call: it
//! verifies each signature and runs the function. The raw POSTs are not
//! signed, so it answers them with an error body of about the same size:
//! still one round trip, which is all a baseline needs, and a little less
//! work on the server's side than ours gets.
//!
//! Run with `cargo bench --bench invoke`. Criterion reports each side on
//! its own; the ratios, measured in alternating batches (see
//! `support/paired.rs`), print at the end.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use scf_invoke::emulator::Emulator;
use scf_invoke::{Client, Credentials, InvokeRequest};

#[path = "support/paired.rs"]
mod paired;

/// The event both sides send, and the body the client builds from it.
const EVENT: &str = r#"{"name":"world"}"#;
const BODY: &str = r#"{"FunctionName":"hello","ClientContext":"{\"name\":\"world\"}"}"#;

/// The headers the client sends for this request, with fixed values of the
/// same lengths (`Host` is added from the URL, as ureq adds it).
const HEADERS_AS_OURS: [(&str, &str); 7] = [
    ("Content-Type", "application/json"),
    ("X-TC-Action", "Invoke"),
    ("X-TC-Version", "2018-04-16"),
    ("X-TC-Timestamp", "1700000000"),
    ("X-TC-Region", "ap-guangzhou"),
    ("X-TC-RequestClient", "scf-invoke/0.1.0"),
    (
        "Authorization",
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2023-11-14/scf/tc3_request, \
         SignedHeaders=content-type;host, \
         Signature=0000000000000000000000000000000000000000000000000000000000000000",
    ),
];

/// What keeps the server running while the bench uses it.
type Server = Emulator;

/// The server every side posts to, and its URL.
fn endpoint() -> (String, Server) {
    let emulator = Emulator::builder()
        .credentials("AKIDEXAMPLE", "secret")
        .function("hello", |_| Ok("\"ok\"".to_owned()))
        .rate_limit(None)
        .record_limit(0)
        .start()
        .expect("the emulator starts on loopback");
    (format!("{}/", emulator.url()), emulator)
}

struct Sides {
    _server: Server,
    client: Client,
    request: InvokeRequest,
    raw: ureq::Agent,
    raw_as_ours: ureq::Agent,
    url: String,
}

/// Builds every side and checks that each really succeeds, or the bench
/// would time error paths.
fn setup() -> Sides {
    let (url, server) = endpoint();
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
        .endpoint(&url)
        .build()
        .expect("a loopback endpoint is valid");
    let request = InvokeRequest::new("hello").event_json(EVENT);

    // As src/transport.rs configures the client's agent, with the
    // builder's default timeouts.
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(330)))
        .max_idle_age(Duration::from_secs(50))
        .user_agent("scf-invoke/0.1.0")
        .build();
    let sides = Sides {
        _server: server,
        client,
        request,
        raw: ureq::Agent::new_with_defaults(),
        raw_as_ours: ureq::Agent::new_with_config(config),
        url,
    };

    let output = sides
        .client
        .invoke(&sides.request)
        .expect("the server answers");
    assert_eq!(output.return_value(), "\"ok\"");
    for answer in [raw_post(&sides), raw_post_as_ours(&sides)] {
        assert!(!answer.is_empty(), "the server answers");
    }
    sides
}

/// The budget's baseline: one POST of the same body, the answer read into
/// memory.
fn raw_post(sides: &Sides) -> Vec<u8> {
    let mut response = sides
        .raw
        .post(&sides.url)
        .header("Content-Type", "application/json")
        .send(BODY.as_bytes())
        .expect("the server answers");
    response
        .body_mut()
        .read_to_vec()
        .expect("the server answers")
}

/// The same POST through an agent configured like ours, with our headers.
fn raw_post_as_ours(sides: &Sides) -> Vec<u8> {
    let mut request = sides.raw_as_ours.post(&sides.url);
    for (name, value) in HEADERS_AS_OURS {
        request = request.header(name, value);
    }
    let mut response = request.send(BODY.as_bytes()).expect("the server answers");
    response
        .body_mut()
        .read_to_vec()
        .expect("the server answers")
}

fn ours(sides: &Sides) {
    let output = sides.client.invoke(black_box(&sides.request));
    black_box(output.expect("the server answers"));
}

fn bench_invoke(c: &mut Criterion, sides: &Sides) {
    let mut group = c.benchmark_group("invoke");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("ours", |b| b.iter(|| ours(sides)));
    group.bench_function("raw_ureq", |b| b.iter(|| raw_post(sides)));
    group.bench_function("raw_ureq_as_ours", |b| b.iter(|| raw_post_as_ours(sides)));
    group.finish();
}

fn main() {
    let sides = setup();
    let mut criterion = Criterion::default().configure_from_args();
    bench_invoke(&mut criterion, &sides);
    criterion.final_summary();

    if paired::wanted("invoke/raw_ureq") {
        let comparison = paired::compare(
            || ours(&sides),
            || {
                black_box(raw_post(&sides));
            },
        );
        paired::print("invoke/raw_ureq", &comparison, Some(1.2));
    }
    if paired::wanted("invoke/raw_ureq_as_ours") {
        let comparison = paired::compare(
            || ours(&sides),
            || {
                black_box(raw_post_as_ours(&sides));
            },
        );
        paired::print("invoke/raw_ureq_as_ours", &comparison, None);
    }
}
