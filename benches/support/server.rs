//! A keep-alive HTTP/1.1 server on loopback that answers every POST with
//! one fixed success body, for benches that need the other end of a round
//! trip without measuring a real server.
//!
//! One thread accepts; each connection is served on a thread of its own,
//! since the two sides of a comparison each keep their own connection alive
//! and a single thread would sit on one of them. Request bodies are read
//! through a small buffer and dropped, so the server adds almost nothing to
//! a heap measurement. It stops after `LIFETIME` or `MAX_REQUESTS`,
//! whichever comes first, serves at most `MAX_CONNECTIONS` at once, and its
//! threads die with the bench.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// What `Invoke` answers on success, trimmed to the documented fields.
pub const SUCCESS: &str = r#"{"Response":{"Result":{"MemUsage":1,"Log":"","RetMsg":"\"ok\"","BillDuration":1,"FunctionRequestId":"f","Duration":1.0,"ErrMsg":"","InvokeResult":0},"RequestId":"r"}}"#;

const LIFETIME: Duration = Duration::from_secs(30 * 60);
const MAX_REQUESTS: u64 = 50_000_000;
const MAX_CONNECTIONS: usize = 16;
const IDLE: Duration = Duration::from_secs(60);

/// Starts the server on an ephemeral loopback port and returns its address.
pub fn spawn() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let answer: Arc<[u8]> = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{SUCCESS}",
        SUCCESS.len()
    )
    .into_bytes()
    .into();

    thread::spawn(move || {
        let deadline = Instant::now() + LIFETIME;
        let served = Arc::new(AtomicU64::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        for stream in listener.incoming() {
            if Instant::now() >= deadline || served.load(Ordering::Relaxed) >= MAX_REQUESTS {
                break;
            }
            let Ok(stream) = stream else {
                continue;
            };
            if open.load(Ordering::Relaxed) >= MAX_CONNECTIONS {
                continue;
            }
            open.fetch_add(1, Ordering::Relaxed);
            let (answer, served, open) = (answer.clone(), served.clone(), open.clone());
            thread::spawn(move || {
                // A broken connection only ends that connection.
                let _ = serve(stream, &answer, deadline, &served);
                open.fetch_sub(1, Ordering::Relaxed);
            });
        }
    });
    addr
}

/// Answers requests on one connection until the client closes it.
fn serve(
    stream: TcpStream,
    answer: &[u8],
    deadline: Instant,
    served: &AtomicU64,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();

    while Instant::now() < deadline && served.load(Ordering::Relaxed) < MAX_REQUESTS {
        // The head: a request line, then headers up to a blank line. Only
        // Content-Length matters; the clients here never send chunked bodies.
        let mut content_length = 0u64;
        let mut first = true;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            let text = line.trim_end();
            if text.is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = text.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().map_err(io::Error::other)?;
                }
            }
        }

        let dropped = io::copy(&mut (&mut reader).take(content_length), &mut io::sink())?;
        if dropped != content_length {
            return Ok(());
        }
        writer.write_all(answer)?;
        served.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}
