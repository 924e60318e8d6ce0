//! A local emulator of the SCF API endpoint, for offline development and
//! tests (feature `emulator`).
//!
//! [`Emulator`] is a real HTTP/1.1 server on a loopback port that answers
//! the `Invoke` and `InvokeFunction` actions (version `2018-04-16`) the way
//! Tencent Cloud does: it verifies the TC3-HMAC-SHA256 signature with the
//! same rules, checks the parameters, runs the function you registered
//! (a Rust closure or an external command) and answers in the service's
//! JSON shape, errors included. It records what it was asked, so a test
//! can assert what the code under test invoked.
//!
//! # Example
//!
//! Start an emulator, sign a request by hand with the [`signer`](crate::signer)
//! and send it with `ureq`:
//!
//! ```
//! use std::time::{SystemTime, UNIX_EPOCH};
//!
//! use scf_invoke::emulator::{Emulator, Outcome};
//! use scf_invoke::signer::{sign, Payload, SigningParams};
//!
//! let emulator = Emulator::builder()
//!     .credentials("AKIDEXAMPLE", "example-secret-key")
//!     .echo_function("echo")
//!     .start()?;
//!
//! let body = br#"{"FunctionName":"echo","ClientContext":"{\"hello\":\"world\"}"}"#;
//! let timestamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
//! let signed = sign(&SigningParams {
//!     secret_id: "AKIDEXAMPLE",
//!     secret_key: "example-secret-key",
//!     service: "scf",
//!     host: emulator.host(),
//!     method: "POST",
//!     query: "",
//!     content_type: "application/json",
//!     headers: &[],
//!     payload: Payload::Bytes(body),
//!     timestamp,
//! })?;
//!
//! let agent = ureq::Agent::new_with_config(
//!     ureq::config::Config::builder().http_status_as_error(false).build(),
//! );
//! let mut response = agent
//!     .post(emulator.url())
//!     .header("Authorization", signed.authorization())
//!     .header("Content-Type", "application/json")
//!     .header("X-TC-Action", "Invoke")
//!     .header("X-TC-Version", "2018-04-16")
//!     .header("X-TC-Region", "ap-guangzhou")
//!     .header("X-TC-Timestamp", timestamp.to_string())
//!     .send(&body[..])?;
//! let text = response.body_mut().read_to_string()?;
//! assert!(text.contains(r#""RetMsg":"{\"hello\":\"world\"}""#), "{text}");
//!
//! let invocations = emulator.invocations();
//! assert_eq!(invocations[0].function_name.as_deref(), Some("echo"));
//! assert_eq!(invocations[0].outcome, Outcome::Returned(r#"{"hello":"world"}"#.into()));
//! emulator.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it checks
//!
//! In this order, each failure answered with HTTP 200 and
//! `{"Response":{"Error":{"Code":..,"Message":..},"RequestId":..}}`:
//!
//! 1. The request's shape: headers within 64 KB and the body within
//!    [`max_body`](EmulatorBuilder::max_body) (`RequestSizeLimitExceeded`),
//!    the path `/` (otherwise HTTP 404, `InvalidRequest`), the method `POST`
//!    (`UnsupportedProtocol`), `Content-Type: application/json`
//!    (`InvalidParameter`).
//! 2. `X-TC-Action` (`MissingParameter`, `InvalidAction`), `X-TC-Version`
//!    (`MissingParameter`, `NoSuchVersion`), and `X-TC-Region` for
//!    `Invoke` (`MissingParameter`; `InvokeFunction` does not need it).
//! 3. The signature, by [`verify`]: `X-TC-Timestamp`, the `Authorization`
//!    header's form and scope, the 300-second clock allowance, the
//!    `SecretId`, the signature over the request as received
//!    (`X-TC-Content-SHA256: UNSIGNED-PAYLOAD` honoured), and the session
//!    token when one is configured (`AuthFailure.*`).
//! 4. The rate limit (`RequestLimitExceeded`).
//! 5. The body's parameters: unknown names (`UnknownParameter`), values
//!    that are not strings (`InvalidParameter`), a missing `FunctionName`
//!    (`MissingParameter`) or one the service would refuse
//!    (`InvalidParameterValue.FunctionName`), an unknown `InvocationType`
//!    or `LogType` (`InvalidParameterValue`), an event over the size limit
//!    (`InvalidParameter.RequestTooLarge`) or not JSON
//!    (`InvalidParameterValue.Param`), a `RoutingKey` that is not a JSON
//!    object of strings (`InvalidParameterValue`), and finally an unknown
//!    function (`ResourceNotFound.FunctionName`).
//!
//! Every answer carries `Content-Type: application/json` and a `Date`
//! from the emulator's clock, [`clock_offset`](EmulatorBuilder::clock_offset)
//! included.
//!
//! # Functions
//!
//! A function that ran answers `{"Response":{"Result":{..},"RequestId":..}}`
//! with `RetMsg`, `ErrMsg` and `InvokeResult` (0 on success, 1 for an
//! error of the function's own, 433 for a timeout, 407 for a return value
//! over 6 MB), `Duration` and `BillDuration` as measured, `MemUsage` as a
//! plausible estimate, and with `LogType: Tail` the last 4 KB of the log.
//! An `Event` invocation answers at once with its `FunctionRequestId` and
//! runs on a background thread; [`Emulator::wait_idle`] waits for such runs
//! and [`Emulator::stop`] joins them. At most [`BACKGROUND_LIMIT`] run at
//! once; more are refused with `LimitExceeded`.
//!
//! # Logging
//!
//! Through the `log` crate, at `debug`: each request's action, function
//! name and outcome, or the code it was refused with. Never a signature,
//! secret key or token.
//!
//! # Known shortcomings
//!
//! - The HTTP layer is `tiny_http`, which sets no read timeouts: a client
//!   that sends half a request and then stalls holds one worker until it
//!   closes the connection. [`Emulator::stop`] waits for such a worker for
//!   at most a second and then leaves it behind. `tiny_http` also reads
//!   header lines without a bound before the 64 KB check here can run, and
//!   answers requests it cannot parse with an empty 400 itself.
//! - A request declaring a `Content-Length` over 1 GiB is not answered and
//!   its connection is abandoned: `tiny_http` would otherwise try to
//!   allocate the undelivered remainder when the request is dropped, which
//!   aborts the process.
//! - `GET` requests with query parameters, which the service accepts, are
//!   refused. Namespaces and qualifiers are recorded but not modelled: a
//!   function is found by name alone. A closure cannot be interrupted, so
//!   timeouts apply to command functions only.

mod builder;
mod clock;
mod command;
mod function;
mod handler;
mod ids;
mod invocation;
mod parameters;
mod rate_limit;
mod rejection;
mod verify;

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

pub use builder::{
    EmulatorBuilder, DEFAULT_MAX_ASYNC_PAYLOAD, DEFAULT_MAX_BODY, DEFAULT_MAX_PAYLOAD,
    DEFAULT_RATE_LIMIT, DEFAULT_RECORD_LIMIT, DEFAULT_WORKERS, MAX_WORKERS,
};
pub use handler::{
    Handler, HttpRequest, Reply, BACKGROUND_LIMIT, HEADER_LIMIT, TAIL_LIMIT, VERSION,
};
pub use invocation::{Invocation, Outcome};
pub use rejection::Rejection;
pub use verify::{verify, Verified, MAX_CLOCK_SKEW_SECONDS};

use crate::Error;

/// How often an idle worker looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// How long [`Emulator::stop`] waits for workers busy with a request.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// How long [`Emulator::stop`] waits for `tiny_http` to close the
/// listening socket.
const RELEASE_GRACE: Duration = Duration::from_secs(2);

/// Above this declared `Content-Length`, a request is abandoned unanswered
/// (see the module docs' known shortcomings).
const ABANDON_ABOVE: usize = 1 << 30;

/// A running emulator. Stops when dropped, or by [`stop`](Emulator::stop).
pub struct Emulator {
    url: String,
    host: String,
    address: SocketAddr,
    handler: Arc<Handler>,
    server: Option<Arc<tiny_http::Server>>,
    workers: Vec<JoinHandle<()>>,
    stopping: Arc<AtomicBool>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("url", &self.url)
            .field("handler", &self.handler)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults: listening on `127.0.0.1:0`, no
    /// credentials, no functions, 20 requests per second.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::new()
    }

    /// The base URL to send requests to: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Host` a client sends and signs: `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The address listened on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The invocations served so far (the most recent ones, up to the
    /// record limit), oldest first.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.handler.invocations()
    }

    /// Forgets the invocations recorded so far.
    pub fn clear_invocations(&self) {
        self.handler.clear_invocations();
    }

    /// Waits until no asynchronous (`Event`) invocation is running, or
    /// `timeout` passes; true if none is running.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.handler.wait_idle(timeout)
    }

    /// Stops serving: the workers finish their current request and are
    /// joined, the port is closed, and running asynchronous invocations are
    /// joined. Dropping the emulator does the same.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn start(handler: Handler, listen: SocketAddr, workers: usize) -> Result<Emulator, Error> {
        let cannot = |what: String| Error::invalid_input("listen", what);

        let server = tiny_http::Server::http(listen)
            .map_err(|e| cannot(format!("could not listen on {listen}: {e}")))?;
        let address = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| cannot(format!("{listen} is not an IP address")))?;
        let server = Arc::new(server);
        // Workers hold the server weakly, so that dropping the one strong
        // reference in `shutdown` closes the socket even if a worker is
        // stuck on a stalled client.
        let weak_server = Arc::downgrade(&server);
        let host = format!("{address}");
        let mut emulator = Emulator {
            url: format!("http://{host}"),
            host,
            address,
            handler: Arc::new(handler),
            server: Some(server),
            workers: Vec::with_capacity(workers),
            stopping: Arc::new(AtomicBool::new(false)),
        };
        for index in 0..workers {
            let server = Weak::clone(&weak_server);
            let handler = Arc::clone(&emulator.handler);
            let stopping = Arc::clone(&emulator.stopping);
            let spawned = thread::Builder::new()
                .name(format!("scf-emulator-{index}"))
                .spawn(move || serve(server, handler, stopping));
            match spawned {
                Ok(worker) => emulator.workers.push(worker),
                // Dropping `emulator` stops the workers already started.
                Err(e) => return Err(cannot(format!("could not start a worker thread: {e}"))),
            }
        }
        log::debug!("emulator: listening on {}", emulator.url);
        Ok(emulator)
    }

    fn shutdown(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };

        // Step 1: tell the workers, and wake those waiting for a request.
        self.stopping.store(true, Ordering::SeqCst);
        for _ in 0..self.workers.len() {
            server.unblock();
        }

        // Step 2: join them, each after its current request. A worker stuck
        // reading from a stalled client is left behind after the grace
        // period rather than hang the caller.
        let deadline = Instant::now() + STOP_GRACE;
        for worker in self.workers.drain(..) {
            while !worker.is_finished() && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            if worker.is_finished() {
                let _ = worker.join();
            } else {
                log::warn!("emulator: a worker is still busy with a request; leaving it behind");
            }
        }

        // Step 3: close the socket. tiny_http closes it from its accept
        // thread, which it does not let us join, so wait until connecting
        // is refused: then the port is free for the caller to reuse.
        drop(server);
        let target = match self.address.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), self.address.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), self.address.port())
            }
            _ => self.address,
        };
        let deadline = Instant::now() + RELEASE_GRACE;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&target, Duration::from_millis(50)).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(2));
        }

        // Step 4: let asynchronous invocations finish.
        self.handler.join_background();
        log::debug!("emulator: stopped {}", self.url);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A worker: takes requests from the server until told to stop.
fn serve(server: Weak<tiny_http::Server>, handler: Arc<Handler>, stopping: Arc<AtomicBool>) {
    while !stopping.load(Ordering::SeqCst) {
        let Some(strong) = server.upgrade() else {
            break;
        };
        let request = match strong.recv_timeout(POLL) {
            Ok(Some(request)) => request,
            Ok(None) => continue,
            Err(e) => {
                log::warn!("emulator: receiving a request failed: {e}");
                thread::sleep(POLL);
                continue;
            }
        };
        drop(strong);
        answer(request, &handler);
    }
}

/// Reads one request, hands it to the handler, and writes the reply.
fn answer(mut request: tiny_http::Request, handler: &Handler) {
    // Step 1: refuse to touch a body tiny_http cannot safely discard.
    let declared = request.body_length();
    if declared.is_some_and(|length| length > ABANDON_ABOVE) {
        log::warn!(
            "emulator: abandoning a request that declares a {}-byte body",
            declared.unwrap_or(0)
        );
        // Dropping the request would make tiny_http allocate the whole
        // undelivered body at once and abort the process; leaking it only
        // leaks this one connection.
        std::mem::forget(request);
        return;
    }

    // Step 2: the parts of the request, the body read with a bound one
    // byte past the limit so the handler can tell that it was exceeded.
    let method = request.method().as_str().to_owned();
    let path = request.url().to_owned();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_owned(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    // With `Connection: upgrade` tiny_http hands over the raw stream, which
    // has no end to read to; such a request gets no body.
    let upgrade = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("Connection") && value.to_ascii_lowercase().contains("upgrade")
    });
    let limit = handler.max_body().saturating_add(1);
    let mut body = Vec::new();
    if !upgrade {
        let wanted = declared.map_or(limit, |length| length.min(limit));
        if let Err(e) = request
            .as_reader()
            .take(u64::try_from(wanted).unwrap_or(u64::MAX))
            .read_to_end(&mut body)
        {
            log::debug!("emulator: reading a request body failed: {e}");
        }
    }

    // Step 3: the answer. The handler does not panic; if it ever did, the
    // client still gets an answer and the worker lives on.
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let http_request = HttpRequest {
        method: &method,
        path: &path,
        headers: &header_refs,
        body: &body,
    };
    let reply = panic::catch_unwind(AssertUnwindSafe(|| {
        handler.handle(&http_request, SystemTime::now())
    }))
    .unwrap_or_else(|_| {
        log::error!("emulator: BUG: the handler panicked");
        Reply::internal_error()
    });

    // Step 4: write it.
    let mut response = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
    for (name, value) in reply
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .chain([("Server", "scf-invoke-emulator")])
    {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(header);
        }
    }
    if let Err(e) = request.respond(response) {
        log::debug!("emulator: writing a reply failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulator_and_handler_can_be_shared_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Emulator>();
        assert_send_sync::<Handler>();
        assert_send_sync::<EmulatorBuilder>();
    }
}
