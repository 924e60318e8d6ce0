//! A tiny HTTP proxy on loopback, for the tests that send requests through
//! one: it opens `CONNECT` tunnels to loopback targets only, and records
//! every tunnel it was asked for, so that a test can tell that (and how)
//! its requests went through it.
//!
//! It never connects anywhere but 127.0.0.1: a tunnel to any other host is
//! recorded and then refused, which lets a test see where a client meant to
//! go without any traffic leaving the machine. Like every server here, it
//! is bounded by [`fault_server`](super::fault_server)'s limits.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use super::fault_server::{Conn, Server, READ_TIMEOUT};

/// A running proxy and what it has seen.
pub struct ConnectProxy {
    server: Server,
    seen: Arc<Mutex<Seen>>,
}

/// What the proxy was asked, one entry per tunnel.
#[derive(Default)]
struct Seen {
    /// The request line of each tunnel asked for.
    tunnels: Vec<String>,
    /// The `Proxy-Authorization` header of each, if any.
    authorizations: Vec<Option<String>>,
}

impl ConnectProxy {
    /// A proxy that opens tunnels to loopback targets.
    pub fn start() -> ConnectProxy {
        ConnectProxy::with(false)
    }

    /// A proxy that answers every tunnel with 407, as one does when its
    /// credentials are wrong.
    pub fn refusing() -> ConnectProxy {
        ConnectProxy::with(true)
    }

    fn with(refuse: bool) -> ConnectProxy {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let server = {
            let seen = Arc::clone(&seen);
            Server::start(move |conn| tunnel(conn, refuse, &seen))
        };
        ConnectProxy { server, seen }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// The request line of each tunnel asked for, such as
    /// `CONNECT 127.0.0.1:8080 HTTP/1.1`.
    pub fn tunnels(&self) -> Vec<String> {
        self.seen.lock().unwrap().tunnels.clone()
    }

    /// The `Proxy-Authorization` header sent with each tunnel, if any.
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.seen.lock().unwrap().authorizations.clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.server.connections()
    }
}

/// Serves one connection: records the tunnel asked for, then opens it or
/// refuses it.
fn tunnel(mut conn: Conn, refuse: bool, seen: &Mutex<Seen>) {
    let Some((line, headers)) = conn.read_head() else {
        return;
    };
    let authorization = headers
        .iter()
        .find(|(name, _)| name == "proxy-authorization")
        .map(|(_, value)| value.clone());
    {
        let mut seen = seen.lock().unwrap();
        seen.tunnels.push(line.clone());
        seen.authorizations.push(authorization);
    }

    let target = line.split(' ').nth(1).unwrap_or_default().to_owned();
    let refusal: Option<&[u8]> = if refuse {
        Some(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
    } else if !line.starts_with("CONNECT ") || !target.starts_with("127.0.0.1:") {
        // Only loopback, so that a test can never reach the internet.
        Some(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let _ = conn.stream.write_all(refusal);
        return;
    }

    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = conn.stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
        return;
    };
    let _ = conn
        .stream
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    pipe(conn.stream, upstream);
}

/// Copies bytes both ways until either side closes or stays silent for
/// [`READ_TIMEOUT`].
fn pipe(client: TcpStream, upstream: TcpStream) {
    let copy = |mut from: TcpStream, mut to: TcpStream| {
        from.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    };
    let (client_again, upstream_again) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let up = thread::spawn(move || copy(client, upstream));
    copy(upstream_again, client_again);
    let _ = up.join();
}
