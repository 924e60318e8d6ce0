//! Small fault-injecting servers on loopback, and a log capture, shared by
//! the integration tests.
//!
//! Every server listens on 127.0.0.1 on a port the system picks, accepts
//! for at most [`SERVER_LIFETIME`], and gives up on a connection that is
//! silent for [`READ_TIMEOUT`], so that no test can hang.

#![allow(dead_code)] // Each test file uses its own part of this module.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use scf_invoke::{Client, ClientBuilder, Credentials};

/// How long a server accepts connections.
pub const SERVER_LIFETIME: Duration = Duration::from_secs(20);
/// How long a server waits for the next bytes on a connection.
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);

/// A client for `url` with test credentials and no proxy from the
/// environment.
pub fn client(url: &str) -> ClientBuilder {
    Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new("AKIDtest", "secret-key-never-logged"))
        .endpoint(url)
        .proxy_from_env(false)
}

/// A success answer from the service.
pub fn ok_body(request_id: &str) -> String {
    format!(
        r#"{{"Response":{{"Result":{{"FunctionRequestId":"f-{request_id}","RetMsg":"\"ok\"","ErrMsg":"","Log":"","Duration":1.5,"BillDuration":2,"MemUsage":1024,"InvokeResult":0}},"RequestId":"{request_id}"}}}}"#
    )
}

/// An error answer from the service.
pub fn error_body(code: &str, message: &str, request_id: &str) -> String {
    let message = serde_json::to_string(message).expect("a string serializes");
    format!(
        r#"{{"Response":{{"Error":{{"Code":"{code}","Message":{message}}},"RequestId":"{request_id}"}}}}"#
    )
}

/// One request as the server read it.
#[derive(Debug)]
pub struct Request {
    /// The request line, such as `POST / HTTP/1.1`.
    pub line: String,
    /// Header names in lowercase, with their values.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One accepted connection, handed to a server's handler.
pub struct Conn {
    pub stream: TcpStream,
    /// 0 for the first connection the server accepted.
    pub index: usize,
    requests: Arc<AtomicUsize>,
    buffer: Vec<u8>,
}

impl Conn {
    /// Reads the next request's head, without its body. `None` when the
    /// peer closed the connection or stayed silent too long.
    pub fn read_head(&mut self) -> Option<(String, Vec<(String, String)>)> {
        let end = loop {
            if let Some(i) = find(&self.buffer, b"\r\n\r\n") {
                break i;
            }
            if !self.fill() {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        self.buffer.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let line = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Some((line, headers))
    }

    /// Reads the next whole request, and counts it.
    pub fn read_request(&mut self) -> Option<Request> {
        let (line, headers) = self.read_head()?;
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buffer.len() < length {
            if !self.fill() {
                return None;
            }
        }
        let body = self.buffer.drain(..length).collect();
        self.requests.fetch_add(1, Ordering::SeqCst);
        Some(Request {
            line,
            headers,
            body,
        })
    }

    /// Counts a request whose body the handler chose not to read.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Answers with `status` and a JSON `body`, keeping the connection
    /// open unless `extra` says otherwise.
    pub fn respond(&mut self, status: u16, extra: &[(&str, &str)], body: &str) {
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        // The client may have given up already; that is its business.
        let _ = self.stream.write_all(head.as_bytes());
        let _ = self.stream.write_all(body.as_bytes());
        let _ = self.stream.flush();
    }

    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A loopback server that hands each connection, on its own thread, to a
/// handler.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(Conn) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        listener
            .set_nonblocking(true)
            .expect("set the listener non-blocking");
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);

        let acceptor = {
            let (requests, connections, stop) =
                (requests.clone(), connections.clone(), stop.clone());
            thread::spawn(move || {
                let deadline = Instant::now() + SERVER_LIFETIME;
                while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            stream.set_nonblocking(false).expect("set blocking");
                            stream
                                .set_read_timeout(Some(READ_TIMEOUT))
                                .expect("set timeout");
                            let conn = Conn {
                                stream,
                                index: connections.fetch_add(1, Ordering::SeqCst),
                                requests: requests.clone(),
                                buffer: Vec::new(),
                            };
                            let handler = handler.clone();
                            thread::spawn(move || handler(conn));
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(2));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Server {
            addr,
            requests,
            connections,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// A server that answers every request on every connection with the
    /// JSON `body_for(n)`, `n` counting requests from 0.
    pub fn answering(body_for: impl Fn(usize) -> String + Send + Sync + 'static) -> Server {
        let counter = Arc::new(AtomicUsize::new(0));
        Server::start(move |mut conn| {
            while conn.read_request().is_some() {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                conn.respond(200, &[], &body_for(n));
            }
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whole requests read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// A port on loopback where nothing listens: bound, then released.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// Everything logged, at every level, with the thread that logged it.
struct Capture {
    records: Mutex<Vec<(ThreadId, log::Level, String)>>,
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.target(), record.args());
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((thread::current().id(), record.level(), line));
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture {
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

/// Starts capturing logs (idempotent).
pub fn capture_logs() {
    capture();
}

/// The lines this thread logged at `level`, as `target message`.
pub fn logged(level: log::Level) -> Vec<String> {
    capture()
        .records
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(thread, l, _)| *thread == thread::current().id() && *l == level)
        .map(|(_, _, line)| line.clone())
        .collect()
}

/// Every line this thread logged, at any level.
pub fn logged_all() -> Vec<String> {
    capture()
        .records
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(thread, _, _)| *thread == thread::current().id())
        .map(|(_, _, line)| line.clone())
        .collect()
}
