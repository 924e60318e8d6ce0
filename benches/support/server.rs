//! A keep-alive HTTP/1.1 server on loopback that answers every POST with
//! one fixed success body, for benches that need the other end of a round
//! trip without measuring a real server.
//!
//! One thread, one connection at a time (the clients here send one request
//! at a time over one pooled connection). Request bodies are read through a
//! small buffer and dropped, so the server adds almost nothing to a heap
//! measurement. It stops accepting after `LIFETIME` or `MAX_REQUESTS`,
//! whichever comes first, and its thread dies with the bench.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// What `Invoke` answers on success, trimmed to the documented fields.
pub const SUCCESS: &str = r#"{"Response":{"Result":{"MemUsage":1,"Log":"","RetMsg":"\"ok\"","BillDuration":1,"FunctionRequestId":"f","Duration":1.0,"ErrMsg":"","InvokeResult":0},"RequestId":"r"}}"#;

const LIFETIME: Duration = Duration::from_secs(30 * 60);
const MAX_REQUESTS: u64 = 50_000_000;
const IDLE: Duration = Duration::from_secs(60);

/// Starts the server on an ephemeral loopback port and returns its address.
pub fn spawn() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{SUCCESS}",
        SUCCESS.len()
    )
    .into_bytes();

    thread::spawn(move || {
        let deadline = Instant::now() + LIFETIME;
        let mut served = 0;
        while Instant::now() < deadline && served < MAX_REQUESTS {
            let Ok((stream, _)) = listener.accept() else {
                continue;
            };
            // A broken connection only ends that connection.
            let _ = serve(stream, &answer, deadline, &mut served);
        }
    });
    addr
}

/// Answers requests on one connection until the client closes it.
fn serve(stream: TcpStream, answer: &[u8], deadline: Instant, served: &mut u64) -> io::Result<()> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();

    while Instant::now() < deadline && *served < MAX_REQUESTS {
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
        *served += 1;
    }
    Ok(())
}
