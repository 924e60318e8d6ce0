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

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use scf_invoke::signer::{sign, Payload, SigningParams};

use super::accept_loop::{Listener, Policy};
use super::request_reader::{Request, RequestReader};

/// The credentials tests sign with.
pub const SECRET_ID: &str = "AKIDintegrationtest0000000000000000";
pub const SECRET_KEY: &str = "integration-secret-key-do-not-log";
pub const TOKEN: &str = "integration-session-token-do-not-log";

/// How long the server waits for each connection before giving up, so a
/// test whose client never connects still ends.
const ACCEPT_DEADLINE: Duration = Duration::from_secs(10);
/// How long the server waits for the next bytes of a request.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

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

/// One request as the server received it: the request (its method, path,
/// headers and body), and whether its signature held.
#[derive(Clone, Debug)]
pub struct Received {
    pub request: Request,
    /// Whether the Authorization header matched the signature re-derived
    /// from the received bytes.
    pub signature_valid: bool,
}

impl Deref for Received {
    type Target = Request;

    fn deref(&self) -> &Request {
        &self.request
    }
}

pub struct TestServer {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    listener: Listener,
}

impl TestServer {
    /// Starts a server that answers one connection per reply, in order.
    pub fn start(replies: Vec<Reply>) -> TestServer {
        let received = Arc::new(Mutex::new(Vec::new()));
        let policy = Policy {
            idle_limit: ACCEPT_DEADLINE,
            read_timeout: READ_TIMEOUT,
            max_connections: replies.len(),
            in_turn: true,
        };
        let log = Arc::clone(&received);
        let listener = Listener::start(policy, move |mut accepted| {
            let stream = &mut accepted.stream;
            let Some(request) = RequestReader::default().read_request(stream) else {
                return;
            };
            let signature_valid = verify(&request);
            log.lock().unwrap().push(Received {
                request,
                signature_valid,
            });
            respond(stream, &replies[accepted.index]);
        });
        TestServer {
            url: format!("http://{}", listener.addr),
            received,
            listener,
        }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits for the scripted replies to be used up (or the deadline).
    pub fn finish(self) -> Vec<Received> {
        let TestServer {
            received, listener, ..
        } = self;
        listener.wait();
        let received = received.lock().unwrap().clone();
        received
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

/// Re-derives the signature from the received request.
fn verify(request: &Request) -> bool {
    let Some(authorization) = request.header("authorization") else {
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
    let Some(timestamp) = request
        .header("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
    else {
        return false;
    };

    let mut extra = Vec::new();
    for name in signed
        .split(';')
        .filter(|n| *n != "content-type" && *n != "host")
    {
        match request.header(name) {
            Some(value) => extra.push((name, value)),
            None => return false,
        }
    }
    let unsigned = request.header("x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD");
    let expected = sign(&SigningParams {
        secret_id,
        secret_key: SECRET_KEY,
        service: "scf",
        host: request.header("host").unwrap_or(""),
        method: &request.method,
        query: "",
        content_type: request.header("content-type").unwrap_or(""),
        headers: &extra,
        payload: if unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(&request.body)
        },
        timestamp,
    });
    matches!(expected, Ok(expected) if expected.authorization() == authorization)
}
