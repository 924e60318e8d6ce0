//! A scripted HTTP server on 127.0.0.1 for the client's integration tests.
//!
//! It answers each connection with the next scripted [`Reply`], records what
//! it received, and checks every request's signature by re-deriving it from
//! the bytes that arrived: the `Host`, `Content-Type` and other signed
//! headers as received, the body as received, and the secret key the test
//! registered for the `SecretId`. That path shares nothing with how the
//! client assembled the request; it relies only on the signer, which the
//! known-answer tests pin down.
//!
//! Faults it can inject: any status and body, raw bytes (a truncated
//! response), closing without an answer, and answering late.

#![allow(dead_code)] // each test binary uses a different part of it

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use scf_invoke::signer::{sign, Payload, SigningParams};

// A second server, answering through a handler, with the clock and file
// helpers the credentials tests use.
mod handler_server;
#[allow(unused_imports)]
pub use handler_server::*;

/// The credentials tests sign with.
pub const SECRET_ID: &str = "AKIDintegrationtest0000000000000000";
pub const SECRET_KEY: &str = "integration-secret-key-do-not-log";
pub const TOKEN: &str = "integration-session-token-do-not-log";

/// How long the server waits for each connection before giving up, so a
/// test whose client never connects still ends.
const ACCEPT_DEADLINE: Duration = Duration::from_secs(10);

/// What the server does with one connection.
#[derive(Clone, Debug)]
pub enum Reply {
    /// HTTP 200 with this JSON body.
    Json(String),
    /// This status with this body.
    Status(u16, String),
    /// These exact bytes, then close.
    Raw(Vec<u8>),
    /// Read the request, then close without answering.
    Close,
    /// Read the request, wait, then reply.
    Delay(Duration, Box<Reply>),
}

/// One request as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// Header names lowercased, values as received.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// Whether the Authorization header matched the signature re-derived
    /// from the received bytes.
    pub signature_valid: bool,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the client sent a JSON body")
    }
}

pub struct TestServer {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    worker: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server that answers one connection per reply, in order.
    pub fn start(replies: Vec<Reply>) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        let worker = thread::spawn(move || {
            for reply in replies {
                let Some(stream) = accept_before(&listener, Instant::now() + ACCEPT_DEADLINE)
                else {
                    return;
                };
                serve(stream, &reply, &log);
            }
        });
        TestServer {
            url,
            received,
            worker: Some(worker),
        }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for the scripted replies to be used up (or the deadline).
    pub fn finish(mut self) -> Vec<Received> {
        if let Some(worker) = self.worker.take() {
            worker.join().expect("test server thread");
        }
        self.received()
    }
}

/// A success body in the service's shape.
pub fn success_body(ret_msg: &str, request_id: &str) -> String {
    serde_json::json!({
        "Response": {
            "Result": {
                "MemUsage": 3_207_168,
                "Log": "START RequestId: f-1\nEND",
                "RetMsg": ret_msg,
                "BillDuration": 3,
                "FunctionRequestId": "f-1",
                "Duration": 1.5,
                "ErrMsg": "",
                "InvokeResult": 0
            },
            "RequestId": request_id
        }
    })
    .to_string()
}

/// An error body in the service's shape.
pub fn error_body(code: &str, message: &str, request_id: &str) -> String {
    serde_json::json!({
        "Response": { "Error": { "Code": code, "Message": message }, "RequestId": request_id }
    })
    .to_string()
}

fn accept_before(listener: &TcpListener, deadline: Instant) -> Option<TcpStream> {
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                return Some(stream);
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
    None
}

fn serve(stream: TcpStream, reply: &Reply, log: &Mutex<Vec<Received>>) {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(stream);
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    log.lock().unwrap().push(request);
    let mut stream = reader.into_inner();
    respond(&mut stream, reply);
}

fn respond(stream: &mut TcpStream, reply: &Reply) {
    match reply {
        Reply::Json(body) => write_response(stream, 200, body),
        Reply::Status(status, body) => write_response(stream, *status, body),
        Reply::Raw(bytes) => {
            let _ = stream.write_all(bytes);
        }
        Reply::Close => {}
        Reply::Delay(pause, then) => {
            thread::sleep(*pause);
            respond(stream, then);
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

fn write_response(stream: &mut TcpStream, status: u16, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();

    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end_matches(['\r', '\n']);
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;

    let signature_valid = verify(&method, &headers, &body);
    Some(Received {
        method,
        path,
        headers,
        body,
        signature_valid,
    })
}

/// Re-derives the signature from the received request.
fn verify(method: &str, headers: &HashMap<String, String>, body: &[u8]) -> bool {
    let Some(authorization) = headers.get("authorization") else {
        return false;
    };
    let Some(rest) = authorization.strip_prefix("TC3-HMAC-SHA256 Credential=") else {
        return false;
    };
    let mut parts = rest.split(", ");
    let (Some(credential), Some(signed), Some(_signature)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(signed) = signed.strip_prefix("SignedHeaders=") else {
        return false;
    };
    let Some((secret_id, _scope)) = credential.split_once('/') else {
        return false;
    };
    if secret_id != SECRET_ID {
        return false;
    }
    let Some(timestamp) = headers.get("x-tc-timestamp").and_then(|t| t.parse().ok()) else {
        return false;
    };

    let mut extra = Vec::new();
    for name in signed
        .split(';')
        .filter(|n| *n != "content-type" && *n != "host")
    {
        match headers.get(name) {
            Some(value) => extra.push((name, value.as_str())),
            None => return false,
        }
    }
    let unsigned = headers
        .get("x-tc-content-sha256")
        .is_some_and(|v| v == "UNSIGNED-PAYLOAD");
    let expected = sign(&SigningParams {
        secret_id,
        secret_key: SECRET_KEY,
        service: "scf",
        host: headers.get("host").map_or("", String::as_str),
        method,
        query: "",
        content_type: headers.get("content-type").map_or("", String::as_str),
        headers: &extra,
        payload: if unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(body)
        },
        timestamp,
    });
    matches!(expected, Ok(expected) if expected.authorization() == authorization)
}
