//! A fault-injecting server on loopback for the resilience and TLS tests:
//! each connection goes, raw, to a handler that reads requests and answers
//! (or misbehaves) as it likes.
//!
//! The server accepts until dropped or until no connection has come for
//! [`SERVER_LIFETIME`], and gives up on a connection that is silent for
//! [`READ_TIMEOUT`], so that no test can hang.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use scf_invoke::{Client, ClientBuilder, Credentials};

use super::accept_loop::{Listener, Policy};
use super::request_reader::{Request, RequestReader};

pub use super::scripted_server::error_body;

/// How long a server accepts connections without getting one.
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

/// One accepted connection, handed to a server's handler.
pub struct Conn {
    pub stream: TcpStream,
    /// 0 for the first connection the server accepted.
    pub index: usize,
    requests: Arc<AtomicUsize>,
    reader: RequestReader,
}

impl Conn {
    /// Reads the next request's line and headers (names in lowercase),
    /// without its body. `None` when the peer closed the connection or
    /// stayed silent too long.
    pub fn read_head(&mut self) -> Option<(String, Vec<(String, String)>)> {
        self.reader.read_head(&mut self.stream)
    }

    /// Reads the next whole request, and counts it.
    pub fn read_request(&mut self) -> Option<Request> {
        let request = self.reader.read_request(&mut self.stream)?;
        self.count_request();
        Some(request)
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
}

/// A loopback server that hands each connection, on its own thread, to a
/// handler.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    listener: Listener,
}

impl Server {
    pub fn start(handler: impl Fn(Conn) + Send + Sync + 'static) -> Server {
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let policy = Policy::concurrent(SERVER_LIFETIME, READ_TIMEOUT);
        let listener = Listener::start(policy, move |accepted| {
            handler(Conn {
                stream: accepted.stream,
                index: accepted.index,
                requests: counter.clone(),
                reader: RequestReader::default(),
            })
        });
        Server {
            addr: listener.addr,
            requests,
            listener,
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
        self.listener.connections()
    }
}

/// A port on loopback where nothing listens: bound, then released.
pub fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}
