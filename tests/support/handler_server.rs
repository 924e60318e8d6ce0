//! Helpers for the credentials tests: a scripted HTTP server on loopback,
//! a clock moved by hand, and temporary directories.
//!
//! Everything here is bounded: the server stops accepting when dropped or
//! after [`SERVER_LIFETIME`], and a connection told to hang is closed after
//! [`HANG_LIMIT`] at the latest.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use scf_invoke::Error;

pub const SERVER_LIFETIME: Duration = Duration::from_secs(60);
pub const HANG_LIMIT: Duration = Duration::from_secs(10);

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the server does with one request.
#[derive(Clone, Debug)]
pub struct Answer {
    status: u16,
    body: String,
    delay: Duration,
    mode: Mode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Full,
    /// Close the connection without a byte of answer.
    Close,
    /// Send headers promising more body than is sent, then close.
    Truncated,
    /// Never answer (until the server stops or `HANG_LIMIT` passes).
    Hang,
}

impl Answer {
    pub fn ok(body: impl Into<String>) -> Answer {
        Answer::status(200, body)
    }

    pub fn status(status: u16, body: impl Into<String>) -> Answer {
        Answer {
            status,
            body: body.into(),
            delay: Duration::ZERO,
            mode: Mode::Full,
        }
    }

    pub fn close() -> Answer {
        Answer {
            mode: Mode::Close,
            ..Answer::ok("")
        }
    }

    pub fn truncated(body: impl Into<String>) -> Answer {
        Answer {
            mode: Mode::Truncated,
            ..Answer::ok(body)
        }
    }

    pub fn hang() -> Answer {
        Answer {
            mode: Mode::Hang,
            ..Answer::ok("")
        }
    }

    pub fn after(mut self, delay: Duration) -> Answer {
        self.delay = delay;
        self
    }
}

type Handler = dyn Fn(&Request) -> Answer + Send + Sync;

/// A loopback HTTP/1.1 server answering each request through a handler.
pub struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);

        let accept_thread = {
            let requests = Arc::clone(&requests);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::SeqCst) && started.elapsed() < SERVER_LIFETIME {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let requests = Arc::clone(&requests);
                            let stop = Arc::clone(&stop);
                            let handler = Arc::clone(&handler);
                            thread::spawn(move || serve(stream, &*handler, &requests, &stop));
                        }
                        Err(_) => thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            port,
            requests,
            stop,
            accept_thread: Some(accept_thread),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests went to `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    let answer = handler(&request);
    requests.lock().unwrap().push(request);

    thread::sleep(answer.delay);
    match answer.mode {
        Mode::Close => {}
        Mode::Hang => {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < HANG_LIMIT {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Mode::Full | Mode::Truncated => {
            let promised = if answer.mode == Mode::Truncated {
                answer.body.len() + 100
            } else {
                answer.body.len()
            };
            let head = format!(
                "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {promised}\r\n\
                 Connection: close\r\n\r\n",
                answer.status
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(answer.body.as_bytes());
            let _ = stream.flush();
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };

    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);

    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A clock the test moves by hand, starting at `start` Unix seconds.
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    pub fn new(start: u64) -> ManualClock {
        ManualClock(Arc::new(AtomicU64::new(start)))
    }

    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn seconds(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    /// The closure the builders' `clock` setters take.
    pub fn reader(&self) -> impl Fn() -> SystemTime + Send + Sync + 'static {
        let seconds = Arc::clone(&self.0);
        move || UNIX_EPOCH + Duration::from_secs(seconds.load(Ordering::SeqCst))
    }
}

/// A directory under the system's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let path = std::env::temp_dir().join(format!(
            "scf-invoke-test-{}-{n}-{nanos}-{tag}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` at `relative`, creating directories on the way.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An environment made of the given pairs, for the builders' `env` setters.
pub fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// The error and its causes that are this crate's errors, outermost first.
pub fn crate_errors(error: &Error) -> Vec<&Error> {
    let mut found = vec![error];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(inner) = cause.downcast_ref::<Error>() {
            found.push(inner);
        }
        source = cause.source();
    }
    found
}

/// The innermost of this crate's errors in the chain: the one that says
/// what actually went wrong.
pub fn root(error: &Error) -> &Error {
    crate_errors(error).pop().unwrap()
}

/// The error and all its causes on one line.
pub fn chain_text(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A metadata credentials answer.
pub fn metadata_json(id: &str, key: &str, token: &str, expires: u64) -> String {
    format!(
        r#"{{"TmpSecretId":"{id}","TmpSecretKey":"{key}","ExpiredTime":{expires},
        "Expiration":"2030-01-01T00:00:00Z","Token":"{token}","Code":"Success"}}"#
    )
}

/// An STS success answer.
pub fn sts_json(id: &str, key: &str, token: &str, expires: u64) -> String {
    format!(
        r#"{{"Response":{{"Credentials":{{"Token":"{token}","TmpSecretId":"{id}",
        "TmpSecretKey":"{key}"}},"ExpiredTime":{expires},"Expiration":"2030-01-01T00:00:00Z",
        "RequestId":"req-ok"}}}}"#
    )
}
