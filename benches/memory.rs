//! Peak heap of one `Invoke` with a 6 MB event, as a multiple of the
//! event's size.
//!
//! A counting global allocator tracks live heap bytes. The event is built,
//! handed to the request and sent to a loopback server that drops what it
//! reads; the peak of live bytes over all of that, less what was live
//! before, is compared with the event's size.
//!
//! The floor is not 1x: the caller's event stays alive, and the body embeds
//! it as a JSON string, so every `"` and `\` in it is escaped and the body
//! is longer than the event. The floor printed is event + body.
//!
//! Reallocation is counted as if the old and the new block were both live
//! until the copy is done, as they are with allocators that cannot grow a
//! block in place; a growing `Vec` therefore shows its true worst case.
//!
//! Run with `cargo bench --bench memory`. It exits non-zero when the peak
//! is over the budget, since unlike a timing this figure does not depend on
//! the machine's load.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use scf_invoke::{Client, Credentials, InvokeRequest, PayloadLimits};

#[path = "support/server.rs"]
mod server;

/// The budget: peak heap at most this many times the event's size.
const BUDGET: f64 = 3.0;

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

/// A JSON event of at most `limit` bytes, built in place so that its
/// allocation is exactly its length: telemetry-like records, about one byte
/// in seven a quote, as in most real events.
fn telemetry_event(limit: usize) -> String {
    let mut text = String::with_capacity(limit);
    text.push_str(r#"{"records":["#);
    let mut record = String::with_capacity(128);
    for id in 0.. {
        record.clear();
        let separator = if id == 0 { "" } else { "," };
        record.push_str(separator);
        record.push_str(r#"{"id":"#);
        record.push_str(&id.to_string());
        record.push_str(r#","device":"sensor-"#);
        record.push_str(&(id % 997).to_string());
        record.push_str(r#"","ok":true,"reading":21.5,"tags":["edge","v2"]}"#);
        if text.len() + record.len() + 2 > limit {
            break;
        }
        text.push_str(&record);
    }
    text.push_str("]}");
    text
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

    // One small call first, so that the connection, its buffers and any
    // lazily built state exist before the measurement starts: a long-lived
    // client pays for them once, not per event.
    client
        .invoke(&InvokeRequest::new("hello").event_json("{}"))
        .expect("the server answers");

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);

    let event = telemetry_event(EVENT_BYTES);
    let event_len = event.len();
    let request = InvokeRequest::new("hello").event_json(event);
    let output = client.invoke(&request).expect("the server answers");
    assert_eq!(output.return_value(), "\"ok\"");
    drop(request);

    let peak = PEAK.load(Ordering::Relaxed) - before;
    let escaped_len = serde_json::to_string(&telemetry_event(EVENT_BYTES))
        .expect("a string serializes")
        .len();
    let body_len = escaped_len + r#"{"FunctionName":"hello","ClientContext":}"#.len();
    let floor = event_len + body_len;

    let times = |bytes: usize| bytes as f64 / event_len as f64;
    let ratio = times(peak);
    println!("memory: peak heap of one Invoke with a {event_len}-byte event");
    println!(
        "  body sent  {body_len:>9} bytes  {:.3}x the event (escaping)",
        times(body_len)
    );
    println!(
        "  floor      {floor:>9} bytes  {:.3}x (the event and the body)",
        times(floor)
    );
    println!("  peak       {peak:>9} bytes  {ratio:.3}x (budget {BUDGET:.1}x)");
    if ratio > BUDGET {
        println!("  OVER budget");
        std::process::exit(1);
    }
}
