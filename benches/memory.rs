//! Peak heap of one `Invoke` with a 6 MB event, as a multiple of the
//! event's size.
//!
//! A counting global allocator tracks live heap bytes. The peak of live
//! bytes over one call, less what was live before, is compared with the
//! size of the event's JSON text. Two ways of giving the event are
//! measured:
//!
//! - `event_json`: the text is built inside the measurement, so the floor
//!   is 1x, the event itself. The body sent is longer than the event (it
//!   carries the event as a JSON string, every `"` and `\` escaped), but
//!   a body this large is escaped while it is sent, never held whole.
//! - `event(&value)`: a vector of records, built before the measurement,
//!   is serialized by the request; the text is the floor again.
//!
//! Reallocation is counted as if the old and the new block were both live
//! until the copy is done, as they are with allocators that cannot grow a
//! block in place; a growing `Vec` therefore shows its true worst case.
//!
//! Run with `cargo bench --bench memory`. It exits non-zero when a peak is
//! over the budget, since unlike a timing this figure does not depend on
//! the machine's load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use scf_invoke::{Client, Credentials, InvokeRequest, PayloadLimits};

#[path = "support/server.rs"]
mod server;

/// The budget: peak heap at most this many times the event's size.
const BUDGET: f64 = 3.0;

/// What the crate does within the budget: it never holds a second copy of
/// a large event, so the peak is the event and a few buffers. Above this,
/// a copy has crept back in, and the bench fails too.
const HELD_TO: f64 = 1.25;

/// 6 MB, the service's limit for a synchronous event.
const EVENT_BYTES: usize = 6 * 1024 * 1024;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is passed to the system allocator unchanged; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = System.realloc(ptr, layout, new_size);
        if !new.is_null() {
            // Old and new both live for a moment, then the old goes.
            grew(new_size);
            shrank(layout.size());
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One record of the events below.
#[derive(serde::Serialize)]
struct Record {
    id: u64,
    device: String,
    ok: bool,
    reading: f64,
    tags: [&'static str; 2],
}

impl Record {
    fn new(id: u64) -> Record {
        Record {
            id,
            device: format!("sensor-{}", id % 997),
            ok: true,
            reading: 21.5,
            tags: ["edge", "v2"],
        }
    }
}

/// A JSON event of at most `limit` bytes, built in place so that its
/// allocation is exactly its length: telemetry-like records, about one byte
/// in seven a quote, as in most real events.
fn telemetry_event(limit: usize) -> String {
    let mut text = String::with_capacity(limit);
    text.push_str(r#"{"records":["#);
    for id in 0.. {
        let record = serde_json::to_string(&Record::new(id)).expect("a record serializes");
        let separator = if id == 0 { "" } else { "," };
        if text.len() + separator.len() + record.len() + 2 > limit {
            break;
        }
        text.push_str(separator);
        text.push_str(&record);
    }
    text.push_str("]}");
    text
}

/// The same records as a value: the `telemetry_event` text is its JSON.
#[derive(serde::Serialize)]
struct Telemetry {
    records: Vec<Record>,
}

fn telemetry_value(limit: usize) -> Telemetry {
    let count = telemetry_event(limit).matches(r#"{"id":"#).count() as u64;
    Telemetry {
        records: (0..count).map(Record::new).collect(),
    }
}

/// Runs `call` and returns the peak of live heap bytes during it, above
/// what was live when it started.
fn peak_during(call: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    call();
    PEAK.load(Ordering::Relaxed) - before
}

fn main() {
    let url = format!("http://{}/", server::spawn());
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
        .endpoint(url)
        .payload_limits(PayloadLimits::default())
        .build()
        .expect("a loopback endpoint is valid");
    let invoke = |request: InvokeRequest| {
        let output = client.invoke(&request).expect("the server answers");
        assert_eq!(output.return_value(), "\"ok\"");
    };

    // One small call first, so that the connection, its buffers and any
    // lazily built state exist before the measurement starts: a long-lived
    // client pays for them once, not per event.
    invoke(InvokeRequest::new("hello").event_json("{}"));

    let event_len = telemetry_event(EVENT_BYTES).len();
    let escaped_len = serde_json::to_string(&telemetry_event(EVENT_BYTES))
        .expect("a string serializes")
        .len();
    println!("memory: peak heap of one Invoke with a {event_len}-byte event");
    println!(
        "  body sent        {:>9} bytes  {:.3}x the event (escaping)",
        escaped_len + r#"{"FunctionName":"hello","ClientContext":}"#.len(),
        escaped_len as f64 / event_len as f64
    );

    let as_text = peak_during(|| {
        invoke(InvokeRequest::new("hello").event_json(telemetry_event(EVENT_BYTES)));
    });
    let value = telemetry_value(EVENT_BYTES);
    assert_eq!(serde_json::to_string(&value).unwrap().len(), event_len);
    let as_value = peak_during(|| invoke(InvokeRequest::new("hello").event(&value)));

    let mut over = false;
    for (name, peak) in [("event_json", as_text), ("event(&value)", as_value)] {
        let ratio = peak as f64 / event_len as f64;
        println!(
            "  {name:<16} {peak:>9} bytes  {ratio:.3}x (budget {BUDGET:.1}x, held to {HELD_TO:.2}x)"
        );
        over |= ratio > BUDGET.min(HELD_TO);
    }
    if over {
        println!("  OVER: a copy of the event is held somewhere");
        std::process::exit(1);
    }
}
