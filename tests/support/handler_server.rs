//! A loopback HTTP/1.1 server for the credentials tests, answering each
//! request through a handler the test supplies: the metadata service and
//! STS, as the providers see them.
//!
//! Everything here is bounded: the server stops accepting when dropped or
//! after [`SERVER_LIFETIME`] without a connection, and a connection told to
//! hang is closed after [`HANG_LIMIT`] at the latest.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::accept_loop::{Accepted, Listener, Policy};
use super::request_reader::{Request, RequestReader};

pub const SERVER_LIFETIME: Duration = Duration::from_secs(60);
pub const HANG_LIMIT: Duration = Duration::from_secs(10);

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

/// How long a connection may stay silent before the server gives up on it.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A loopback HTTP/1.1 server answering each request through a handler.
pub struct Server {
    requests: Arc<Mutex<Vec<Request>>>,
    listener: Listener,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Server {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let policy = Policy::concurrent(SERVER_LIFETIME, READ_TIMEOUT);
        let listener = Listener::start(policy, move |accepted| serve(accepted, &handler, &log));
        Server { requests, listener }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listener.addr)
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

/// Reads one request, asks the handler, and answers as it says.
fn serve(
    mut accepted: Accepted,
    handler: &dyn Fn(&Request) -> Answer,
    requests: &Mutex<Vec<Request>>,
) {
    let stream = &mut accepted.stream;
    let Some(request) = RequestReader::default().read_request(stream) else {
        return;
    };
    let answer = handler(&request);
    requests.lock().unwrap().push(request);

    thread::sleep(answer.delay);
    match answer.mode {
        Mode::Close => {}
        Mode::Hang => {
            let started = Instant::now();
            while !accepted.stop.is_set() && started.elapsed() < HANG_LIMIT {
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
