//! Request handling, apart from any HTTP server: bytes and headers in,
//! status, headers and body out.
//!
//! [`Handler::handle`] is everything the emulator does with a request, so
//! tests can call it directly and a fuzz target can feed it arbitrary
//! input; the HTTP server in [`Emulator`](super::Emulator) only moves bytes
//! between a socket and this function.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use super::clock;
use super::function::{tail, Execution, Function};
use super::ids::Ids;
use super::invocation::{Invocation, Journal, Outcome};
use super::parameters::{parse_body, sent_string, Action, Call, EventLimits};
use super::rate_limit::RateLimiter;
use super::rejection::{code, Rejection};
use super::verify::verify;
use crate::Credentials;

/// The only API version the emulator speaks.
pub const VERSION: &str = "2018-04-16";

/// The most header bytes (names, values and separators) a request may
/// carry.
pub const HEADER_LIMIT: usize = 64 * 1024;

/// How much of the log `LogType: Tail` returns.
pub const TAIL_LIMIT: usize = 4 * 1024;

/// How many asynchronous invocations may run at once; more are refused
/// rather than piling up threads.
pub const BACKGROUND_LIMIT: usize = 64;

/// An HTTP request as received.
///
/// Its `Debug` output shows the `Authorization` and `X-TC-Token` headers
/// as `<redacted>`, so logging a request leaks neither.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, as sent: `"POST"`.
    pub method: &'a str,
    /// The request target: `"/"`, possibly with a query string.
    pub path: &'a str,
    /// The headers in the order received, names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

impl std::fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|&(name, value)| {
                let secret = name.eq_ignore_ascii_case("authorization")
                    || name.eq_ignore_ascii_case("x-tc-token");
                (name, if secret { "<redacted>" } else { value })
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(self.body))
            .finish()
    }
}

/// A header looked up by name.
pub(crate) enum Lookup<'a> {
    Missing,
    One(&'a str),
    Repeated,
}

impl<'a> HttpRequest<'a> {
    /// The header named `name` (any case), which matters only if sent once.
    pub(crate) fn header(&self, name: &str) -> Lookup<'a> {
        let mut found = Lookup::Missing;
        for (n, value) in self.headers {
            if n.eq_ignore_ascii_case(name) {
                found = match found {
                    Lookup::Missing => Lookup::One(value),
                    _ => return Lookup::Repeated,
                };
            }
        }
        found
    }

    /// The total size of the header section, as it came over the wire.
    fn header_bytes(&self) -> usize {
        self.headers
            .iter()
            .map(|(n, v)| n.len().saturating_add(v.len()).saturating_add(4))
            .fold(0, usize::saturating_add)
    }
}

/// What the emulator answers: an HTTP status, headers and a JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// The HTTP status: 200 for every answer of the API, success or error,
    /// as the service does; 404 for a path other than `/`.
    pub status: u16,
    /// `Content-Type: application/json`, and `Date` from the emulator's
    /// clock (absent only if that clock is beyond year 9999).
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The answer to give if handling itself failed, which is a bug.
    pub(crate) fn internal_error() -> Reply {
        Reply {
            status: 500,
            headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
            body: br#"{"Response":{"Error":{"Code":"InternalError","Message":"The emulator failed to handle the request"},"RequestId":""}}"#.to_vec(),
        }
    }
}

/// The settings a handler is built with.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) clock_offset: i64,
    pub(crate) max_body: usize,
    pub(crate) events: EventLimits,
    pub(crate) record_limit: usize,
    pub(crate) rate_limit: Option<u32>,
}

/// The emulator's request handling, without its HTTP server.
///
/// Built by [`EmulatorBuilder::handler`](super::EmulatorBuilder::handler)
/// (or inside [`Emulator`](super::Emulator)). It is `Send + Sync`: any
/// number of threads may call [`handle`](Handler::handle) at once.
pub struct Handler {
    accounts: Vec<Credentials>,
    functions: HashMap<String, Arc<Function>>,
    settings: Settings,
    rate_limiter: Option<RateLimiter>,
    journal: Arc<Journal>,
    ids: Arc<Ids>,
    background: Background,
}

impl fmt::Debug for Handler {
    // Credentials print through their own redacting Debug.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&String> = self.functions.keys().collect();
        names.sort();
        f.debug_struct("Handler")
            .field("accounts", &self.accounts)
            .field("functions", &names)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// An asynchronous run waiting to start.
struct Job {
    function: Arc<Function>,
    call: Call,
}

/// A success or a refusal, before it is written as JSON.
enum Answer {
    Result(InvokeResult),
    Refused(Rejection),
}

/// `{"Response": ...}`.
#[derive(Serialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

/// `{"Result": ..., "RequestId": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Success<'a> {
    result: &'a InvokeResult,
    request_id: &'a str,
}

/// `{"Error": {"Code": ..., "Message": ...}, "RequestId": ...}`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Failed<'a> {
    error: ErrorBody<'a>,
    request_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

/// The `Result` object of a successful call, fields in the service's order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InvokeResult {
    mem_usage: u64,
    log: String,
    ret_msg: String,
    bill_duration: u64,
    function_request_id: String,
    duration: f64,
    err_msg: String,
    invoke_result: i64,
}

impl Handler {
    pub(crate) fn new(
        accounts: Vec<Credentials>,
        functions: HashMap<String, Function>,
        settings: Settings,
    ) -> Handler {
        let rate_limiter = settings
            .rate_limit
            .filter(|limit| *limit > 0)
            .map(RateLimiter::new);
        Handler {
            accounts,
            functions: functions
                .into_iter()
                .map(|(name, function)| (name, Arc::new(function)))
                .collect(),
            journal: Arc::new(Journal::new(settings.record_limit)),
            settings,
            rate_limiter,
            ids: Arc::new(Ids::new()),
            background: Background::default(),
        }
    }

    /// Answers one request, as the service would.
    ///
    /// `now` is the machine's clock; the handler adds its clock offset to
    /// get the time it checks `X-TC-Timestamp` against and writes in
    /// `Date`. A synchronous invocation runs the function before this
    /// returns; an asynchronous one starts it on a background thread.
    ///
    /// Never panics, whatever the request holds. A panic inside a
    /// registered closure is caught and reported as a failed run.
    pub fn handle(&self, request: &HttpRequest<'_>, now: SystemTime) -> Reply {
        let server_time = clock::server_time(now, self.settings.clock_offset);
        let request_id = self.ids.next();

        let (status, answer) = self.answer(request, now, server_time, &request_id);
        // Serialized from structs, not a JSON map, so the fields keep the
        // service's order.
        let body = match &answer {
            Answer::Result(result) => serde_json::to_vec(&Envelope {
                response: Success {
                    result,
                    request_id: &request_id,
                },
            }),
            Answer::Refused(rejection) => serde_json::to_vec(&Envelope {
                response: Failed {
                    error: ErrorBody {
                        code: rejection.code(),
                        message: rejection.message(),
                    },
                    request_id: &request_id,
                },
            }),
        };
        // Serializing strings and numbers cannot fail; should it ever, the
        // client still gets a well-formed error.
        let Ok(body) = body else {
            return Reply::internal_error();
        };

        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if let Some(date) = clock::http_date(server_time) {
            headers.push(("Date".to_owned(), date));
        }
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The invocations served so far (the most recent ones, up to the
    /// record limit), oldest first.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.journal.snapshot()
    }

    /// Forgets the invocations recorded so far.
    pub fn clear_invocations(&self) {
        self.journal.clear();
    }

    /// Waits until no asynchronous invocation is running, or `timeout`
    /// passes; true if none is running.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.background.wait(Some(timeout))
    }

    /// The largest request body the handler accepts.
    pub(crate) fn max_body(&self) -> usize {
        self.settings.max_body
    }

    /// Joins every asynchronous invocation, however long it takes.
    pub(crate) fn join_background(&self) {
        self.background.wait(None);
    }

    fn answer(
        &self,
        request: &HttpRequest<'_>,
        now: SystemTime,
        server_time: i64,
        request_id: &str,
    ) -> (u16, Answer) {
        // Step 1: the shape of the request, before anything is trusted.
        if let Err((status, rejection)) = self.check_shape(request) {
            log::debug!(
                "emulator: refused a malformed request: {}",
                rejection.code()
            );
            return (status, Answer::Refused(rejection));
        }

        // Step 2: the common parameters in headers.
        let action = match check_common_parameters(request) {
            Ok(action) => action,
            Err(rejection) => {
                log::debug!("emulator: refused a request: {}", rejection.code());
                return (200, Answer::Refused(rejection));
            }
        };

        // Step 3: who signed it. Nothing is recorded for a request that
        // fails here: it is nobody's invocation.
        if let Err(rejection) = verify(request, server_time, &self.accounts) {
            log::debug!("emulator: {} refused: {}", action.name(), rejection.code());
            return (200, Answer::Refused(rejection));
        }

        // From here on the request is authenticated and is recorded.
        let params = parse_body(request.body);
        let mut record = self.record_for(request, action, params.as_ref().ok(), request_id);
        let (answer, later) = self.invoke(action, params, now, &mut record);
        record.outcome = match (&answer, &later) {
            (Answer::Refused(rejection), _) => Outcome::Rejected {
                code: rejection.code().to_owned(),
                message: rejection.message().to_owned(),
            },
            (Answer::Result(_), Some(_)) => Outcome::Pending,
            (Answer::Result(result), None) if result.invoke_result == 0 => {
                Outcome::Returned(result.ret_msg.clone())
            }
            (Answer::Result(result), None) => Outcome::Failed(result.err_msg.clone()),
        };
        log::debug!(
            "emulator: {} {}: {}",
            action.name(),
            record.function_name.as_deref().unwrap_or("<none>"),
            record.outcome
        );
        // The record goes in before an asynchronous run starts, so that the
        // run's own outcome cannot be overwritten by `Pending`.
        self.journal.record(record);

        if let Some(job) = later {
            if let Err(rejection) = self.start_background(job, request_id.to_owned()) {
                log::debug!("emulator: Event refused: {}", rejection.message());
                self.journal.settle(
                    request_id,
                    Outcome::Rejected {
                        code: rejection.code().to_owned(),
                        message: rejection.message().to_owned(),
                    },
                );
                return (200, Answer::Refused(rejection));
            }
        }
        (200, answer)
    }

    /// Runs the authenticated call, filling `record.function_request_id`.
    /// An asynchronous call is not run: it is returned as a job to start
    /// once the call is recorded.
    fn invoke(
        &self,
        action: Action,
        params: Result<Map<String, Value>, Rejection>,
        now: SystemTime,
        record: &mut Invocation,
    ) -> (Answer, Option<Job>) {
        // Step 1: the rate limit.
        if let Some(limiter) = &self.rate_limiter {
            if !limiter.admit(clock::unix_millis(now)) {
                let rejection = Rejection::new(
                    code::REQUEST_LIMIT_EXCEEDED,
                    format!(
                        "Requests exceed the limit of {} per second; retry later",
                        limiter.limit()
                    ),
                );
                return (Answer::Refused(rejection), None);
            }
        }

        // Step 2: the parameters, then the function they name.
        let call = match params.and_then(|p| Call::check(action, &p, self.settings.events)) {
            Ok(call) => call,
            Err(rejection) => return (Answer::Refused(rejection), None),
        };
        let Some(function) = self.functions.get(&call.function_name) else {
            let rejection = Rejection::new(
                code::RESOURCE_NOT_FOUND_FUNCTION_NAME,
                format!(
                    "The function {} does not exist in namespace {}",
                    call.function_name, call.namespace
                ),
            );
            return (Answer::Refused(rejection), None);
        };
        let function_request_id = self.ids.next();
        record.function_request_id = Some(function_request_id.clone());

        // Step 3a: an asynchronous call answers at once and runs later.
        if call.asynchronous {
            let result = InvokeResult {
                mem_usage: 0,
                log: String::new(),
                ret_msg: String::new(),
                bill_duration: 0,
                function_request_id,
                duration: 0.0,
                err_msg: String::new(),
                invoke_result: 0,
            };
            let job = Job {
                function: Arc::clone(function),
                call,
            };
            return (Answer::Result(result), Some(job));
        }

        // Step 3b: a synchronous call runs now.
        let execution = function.run(&call.event);
        let memory = function.memory_estimate(&call.event, &execution);
        let result = result_of(&call, &execution, memory, function_request_id);
        (Answer::Result(result), None)
    }

    /// Starts an asynchronous run; its outcome settles the record of the
    /// request `request_id`.
    fn start_background(&self, job: Job, request_id: String) -> Result<(), Rejection> {
        let journal = Arc::clone(&self.journal);
        let work = move || {
            let execution = job.function.run(&job.call.event);
            let outcome = match execution.result {
                Ok(value) => Outcome::Returned(value),
                Err(failure) => Outcome::Failed(failure.err_msg()),
            };
            log::debug!("emulator: Event {}: {}", job.call.function_name, outcome);
            journal.settle(&request_id, outcome);
        };
        self.background
            .spawn(work)
            .map_err(|reason| Rejection::new(code::LIMIT_EXCEEDED, reason))
    }

    fn check_shape(&self, request: &HttpRequest<'_>) -> Result<(), (u16, Rejection)> {
        if request.header_bytes() > HEADER_LIMIT {
            return Err((
                200,
                Rejection::new(
                    code::REQUEST_SIZE_LIMIT_EXCEEDED,
                    format!("The request headers exceed {HEADER_LIMIT} bytes"),
                ),
            ));
        }
        let path = request
            .path
            .split_once('?')
            .map_or(request.path, |(p, _)| p);
        if path != "/" {
            return Err((
                404,
                Rejection::new(
                    code::INVALID_REQUEST,
                    "The API is served at the path `/` only",
                ),
            ));
        }
        if request.method != "POST" {
            return Err((
                200,
                Rejection::new(
                    code::UNSUPPORTED_PROTOCOL,
                    format!(
                        "The method {} is not supported; the emulator accepts POST with a \
                         JSON body (GET with query parameters is not emulated)",
                        request.method.chars().take(16).collect::<String>()
                    ),
                ),
            ));
        }
        if request.body.len() > self.settings.max_body {
            return Err((
                200,
                Rejection::new(
                    code::REQUEST_SIZE_LIMIT_EXCEEDED,
                    format!("The request body exceeds {} bytes", self.settings.max_body),
                ),
            ));
        }
        let content_type = match request.header("Content-Type") {
            Lookup::One(value) => value,
            Lookup::Missing | Lookup::Repeated => "",
        };
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        if !media_type.eq_ignore_ascii_case("application/json") {
            return Err((
                200,
                Rejection::new(
                    code::INVALID_PARAMETER,
                    "Content-Type must be application/json; the emulator does not accept \
                     form-encoded or multipart requests",
                ),
            ));
        }
        Ok(())
    }

    /// A record of the request with the parameters as sent.
    fn record_for(
        &self,
        request: &HttpRequest<'_>,
        action: Action,
        params: Option<&Map<String, Value>>,
        request_id: &str,
    ) -> Invocation {
        let sent = |name: &str| params.and_then(|p| sent_string(p, name));
        let region = match request.header("X-TC-Region") {
            Lookup::One(region) => Some(region.to_owned()),
            Lookup::Missing | Lookup::Repeated => None,
        };
        let headers = request
            .headers
            .iter()
            .filter(|(name, _)| {
                !name.eq_ignore_ascii_case("Authorization")
                    && !name.eq_ignore_ascii_case("X-TC-Token")
            })
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Invocation {
            request_id: request_id.to_owned(),
            function_request_id: None,
            action: action.name().to_owned(),
            region,
            function_name: sent("FunctionName"),
            namespace: sent("Namespace"),
            qualifier: sent("Qualifier"),
            invocation_type: sent("InvocationType"),
            event: sent(action.event_parameter()),
            routing_key: sent("RoutingKey"),
            log_type: sent("LogType"),
            headers,
            outcome: Outcome::Pending,
        }
    }
}

/// Checks `X-TC-Action`, `X-TC-Version` and `X-TC-Region`.
fn check_common_parameters(request: &HttpRequest<'_>) -> Result<Action, Rejection> {
    let action = match request.header("X-TC-Action") {
        Lookup::Missing => return Err(missing("X-TC-Action")),
        Lookup::Repeated => return Err(repeated("X-TC-Action")),
        Lookup::One(name) => Action::parse(name).ok_or_else(|| {
            Rejection::new(
                code::INVALID_ACTION,
                format!(
                    "The action {:?} does not exist; the emulator answers Invoke and \
                     InvokeFunction",
                    name.chars().take(64).collect::<String>()
                ),
            )
        })?,
    };

    match request.header("X-TC-Version") {
        Lookup::Missing => return Err(missing("X-TC-Version")),
        Lookup::Repeated => return Err(repeated("X-TC-Version")),
        Lookup::One(VERSION) => {}
        Lookup::One(other) => {
            return Err(Rejection::new(
                code::NO_SUCH_VERSION,
                format!(
                    "The API version {:?} does not exist; SCF's is {VERSION}",
                    other.chars().take(32).collect::<String>()
                ),
            ))
        }
    }

    // The Invoke page lists Region as required; the InvokeFunction page
    // says it is not needed.
    match request.header("X-TC-Region") {
        Lookup::Repeated => return Err(repeated("X-TC-Region")),
        Lookup::One(region) if !region.trim().is_empty() => {}
        Lookup::Missing | Lookup::One(_) => {
            if action == Action::Invoke {
                return Err(missing("X-TC-Region"));
            }
        }
    }
    Ok(action)
}

fn missing(name: &str) -> Rejection {
    Rejection::new(
        code::MISSING_PARAMETER,
        format!("The parameter {name} is missing"),
    )
}

fn repeated(name: &str) -> Rejection {
    Rejection::new(
        code::INVALID_PARAMETER,
        format!("The header {name} is sent more than once"),
    )
}

/// The `Result` of a synchronous run.
fn result_of(
    call: &Call,
    execution: &Execution,
    memory: u64,
    function_request_id: String,
) -> InvokeResult {
    let millis = execution.duration.as_secs_f64() * 1000.0;
    // Billing rounds up to whole milliseconds, and bills at least one.
    let bill_duration = u64::try_from(execution.duration.as_micros().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    let log = if call.tail_log {
        let full = log_text(&function_request_id, execution, millis, memory);
        tail(&full, TAIL_LIMIT).to_owned()
    } else {
        String::new()
    };
    let (ret_msg, err_msg, invoke_result) = match &execution.result {
        Ok(value) => (value.clone(), String::new(), 0),
        Err(failure) => (String::new(), failure.err_msg(), failure.invoke_result),
    };
    InvokeResult {
        mem_usage: memory,
        log,
        ret_msg,
        bill_duration,
        function_request_id,
        // Three decimals, as the service reports it.
        duration: (millis * 1000.0).round() / 1000.0,
        err_msg,
        invoke_result,
    }
}

/// The function's log framed as the service frames it.
fn log_text(function_request_id: &str, execution: &Execution, millis: f64, memory: u64) -> String {
    let mut log =
        format!("START RequestId: {function_request_id}\nEvent RequestId: {function_request_id}\n");
    log.push_str(&execution.output);
    if !execution.output.is_empty() && !execution.output.ends_with('\n') {
        log.push('\n');
    }
    // Memory in MB with two decimals; u64 to f64 loses nothing at these sizes.
    let used = memory as f64 / (1024.0 * 1024.0);
    log.push_str(&format!(
        "END RequestId: {function_request_id}\n\
         Report RequestId: {function_request_id} Duration:{millis:.3}ms \
         Memory:128MB MemUsage:{used:.2}MB\n"
    ));
    log
}

/// The threads running asynchronous invocations.
#[derive(Default)]
struct Background {
    threads: Mutex<Vec<JoinHandle<()>>>,
    running: Arc<AtomicUsize>,
}

impl Background {
    fn spawn(&self, work: impl FnOnce() + Send + 'static) -> Result<(), String> {
        let mut threads = lock(&self.threads);
        // Reap what has finished, so the list stays as short as the work.
        let (finished, running): (Vec<_>, Vec<_>) =
            threads.drain(..).partition(JoinHandle::is_finished);
        *threads = running;
        for handle in finished {
            let _ = handle.join();
        }
        if self.running.load(Ordering::SeqCst) >= BACKGROUND_LIMIT {
            return Err(format!(
                "{BACKGROUND_LIMIT} asynchronous invocations are already running in the emulator"
            ));
        }

        let running = Arc::clone(&self.running);
        running.fetch_add(1, Ordering::SeqCst);
        let counter = Arc::clone(&running);
        let spawned = thread::Builder::new()
            .name("scf-emulator-event".to_owned())
            .spawn(move || {
                // Decrement even if the work panics, so wait_idle is not
                // fooled.
                struct Done(Arc<AtomicUsize>);
                impl Drop for Done {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _done = Done(counter);
                work();
            });
        match spawned {
            Ok(handle) => {
                threads.push(handle);
                Ok(())
            }
            Err(e) => {
                running.fetch_sub(1, Ordering::SeqCst);
                Err(format!("the emulator could not start a thread: {e}"))
            }
        }
    }

    /// Waits for the running invocations: all of them (`None`), or until
    /// `timeout` passes. True if none is left running.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        // A timeout too long to add to the clock waits without a deadline.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        loop {
            let handles: Vec<JoinHandle<()>> = lock(&self.threads).drain(..).collect();
            let mut unfinished = Vec::new();
            for handle in handles {
                if deadline.is_none() || handle.is_finished() {
                    let _ = handle.join();
                } else {
                    unfinished.push(handle);
                }
            }
            let done = unfinished.is_empty();
            lock(&self.threads).extend(unfinished);
            if done && self.running.load(Ordering::SeqCst) == 0 {
                return true;
            }
            match deadline {
                Some(deadline) if Instant::now() >= deadline => return false,
                _ => thread::sleep(Duration::from_millis(2)),
            }
        }
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        self.background.wait(None);
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_request_redacts_its_credentials() {
        let headers = [
            (
                "Authorization",
                "TC3-HMAC-SHA256 Credential=AKID/x, Signature=deadbeef",
            ),
            ("x-tc-token", "session-token-value"),
            ("X-TC-Action", "Invoke"),
        ];
        let request = HttpRequest {
            method: "POST",
            path: "/",
            headers: &headers,
            body: b"{}",
        };
        let text = format!("{request:?}");
        assert!(
            !text.contains("deadbeef") && !text.contains("session-token-value"),
            "{text}"
        );
        assert!(text.contains("Invoke"), "{text}");
    }
}
