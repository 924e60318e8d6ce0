//! A whole `Invoke` round trip over a keep-alive connection, against the
//! same POST sent with bare `ureq`: same body, same server, but no
//! validation, no credentials, no signing and no JSON work on either side.
//! The difference is what this crate adds to a call.
//!
//! The server is `support/server.rs`, a fixed-answer loopback server. When
//! the emulator lands, `endpoint()` below is the only thing to change: start
//! the emulator there and return its URL. (It checks signatures, so the raw
//! POST will be answered with an error body; that is still one round trip
//! of about the same size, which is all the baseline needs.)
//!
//! Run with `cargo bench --bench invoke`. Criterion reports each side on
//! its own; the ratio, measured in alternating batches (see
//! `support/paired.rs`), prints at the end.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use scf_invoke::{Client, Credentials, InvokeRequest};

#[path = "support/paired.rs"]
mod paired;
#[path = "support/server.rs"]
mod server;

/// The event both sides send, and the body the client builds from it.
const EVENT: &str = r#"{"name":"world"}"#;
const BODY: &str = r#"{"FunctionName":"hello","ClientContext":"{\"name\":\"world\"}"}"#;

/// Where both sides post to: `http://127.0.0.1:<port>/`.
fn endpoint() -> String {
    format!("http://{}/", server::spawn())
}

/// A client and the request it sends, a bare agent, and the URL both post
/// to; both sides are checked to really succeed, or the bench would time
/// error paths.
fn setup() -> (Client, InvokeRequest, ureq::Agent, String) {
    let url = endpoint();
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
        .endpoint(&url)
        .build()
        .expect("a loopback endpoint is valid");
    let request = InvokeRequest::new("hello").event_json(EVENT);
    let agent = ureq::Agent::new_with_defaults();

    let output = client.invoke(&request).expect("the server answers");
    assert_eq!(output.return_value(), "\"ok\"");
    assert_eq!(raw_post(&agent, &url).len(), server::SUCCESS.len());
    (client, request, agent, url)
}

fn bench_invoke(
    c: &mut Criterion,
    client: &Client,
    request: &InvokeRequest,
    agent: &ureq::Agent,
    url: &str,
) {
    let mut group = c.benchmark_group("invoke");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("ours", |b| {
        b.iter(|| {
            client
                .invoke(black_box(request))
                .expect("the server answers")
        });
    });
    group.bench_function("raw_ureq", |b| b.iter(|| raw_post(agent, black_box(url))));
    group.finish();
}

/// The baseline: one POST of the same body, the answer read into memory.
fn raw_post(agent: &ureq::Agent, url: &str) -> Vec<u8> {
    let mut response = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(BODY.as_bytes())
        .expect("the server answers");
    response
        .body_mut()
        .read_to_vec()
        .expect("the server answers")
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let (client, request, agent, url) = setup();
    bench_invoke(&mut criterion, &client, &request, &agent, &url);
    criterion.final_summary();

    if paired::wanted("invoke") {
        let comparison = paired::compare(
            || {
                black_box(
                    client
                        .invoke(black_box(&request))
                        .expect("the server answers"),
                );
            },
            || {
                black_box(raw_post(&agent, black_box(&url)));
            },
        );
        paired::print("invoke", &comparison, Some(1.2));
    }
}
