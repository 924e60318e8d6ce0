//! Configuring an emulator before it starts.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use super::command::CommandSpec;
use super::function::{echo, Function};
use super::handler::{Handler, Settings};
use super::parameters::{check_function_name, EventLimits};
use super::Emulator;
use crate::{Credentials, Error};

/// The default request-rate limit, the one the `Invoke` page documents.
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// The default event limit for synchronous invocations: 6 MB.
pub const DEFAULT_MAX_PAYLOAD: usize = 6 * 1024 * 1024;
/// The default event limit for asynchronous (`Event`) invocations: 128 KB.
pub const DEFAULT_MAX_ASYNC_PAYLOAD: usize = 128 * 1024;
/// The default bound on a request body: 8 MB, room for a 6 MB event
/// escaped inside the JSON body.
pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;
/// The default number of invocations kept for [`Emulator::invocations`].
pub const DEFAULT_RECORD_LIMIT: usize = 10_000;
/// The default number of threads serving requests.
pub const DEFAULT_WORKERS: usize = 4;
/// The most threads serving requests.
pub const MAX_WORKERS: usize = 64;

/// Configures an [`Emulator`]; made by [`Emulator::builder`].
///
/// Mistakes (an empty secret key, a function name the service would
/// refuse, a session token with no credentials before it) are kept and
/// reported by [`start`](EmulatorBuilder::start) or
/// [`handler`](EmulatorBuilder::handler), so the setters can be chained.
pub struct EmulatorBuilder {
    accounts: Vec<Credentials>,
    functions: HashMap<String, Function>,
    settings: Settings,
    listen: SocketAddr,
    workers: usize,
    problem: Option<Error>,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut functions: Vec<(&String, &Function)> = self.functions.iter().collect();
        functions.sort_by(|a, b| a.0.cmp(b.0));
        f.debug_struct("EmulatorBuilder")
            .field("accounts", &self.accounts)
            .field("functions", &functions)
            .field("settings", &self.settings)
            .field("listen", &self.listen)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl EmulatorBuilder {
    pub(crate) fn new() -> EmulatorBuilder {
        EmulatorBuilder {
            accounts: Vec::new(),
            functions: HashMap::new(),
            settings: Settings {
                clock_offset: 0,
                max_body: DEFAULT_MAX_BODY,
                events: EventLimits {
                    sync: DEFAULT_MAX_PAYLOAD,
                    asynchronous: DEFAULT_MAX_ASYNC_PAYLOAD,
                },
                record_limit: DEFAULT_RECORD_LIMIT,
                rate_limit: Some(DEFAULT_RATE_LIMIT),
            },
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            workers: DEFAULT_WORKERS,
            problem: None,
        }
    }

    /// Accepts requests signed with this `SecretId` and `SecretKey`. Call it
    /// once per pair; registering a `SecretId` again replaces its key.
    /// Default: none, so every request fails with
    /// `AuthFailure.SecretIdNotFound`.
    pub fn credentials(
        mut self,
        secret_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> EmulatorBuilder {
        let (secret_id, secret_key) = (secret_id.into(), secret_key.into());
        if secret_id.is_empty() || secret_key.is_empty() {
            self.note(Error::invalid_input(
                "credentials",
                "the SecretId and the SecretKey must not be empty",
            ));
            return self;
        }
        self.accounts
            .retain(|account| account.secret_id() != secret_id);
        self.accounts.push(Credentials::new(secret_id, secret_key));
        self
    }

    /// Requires `X-TC-Token: <token>` with the credentials registered just
    /// before, as the service requires for temporary credentials. Default:
    /// no token is required.
    pub fn session_token(mut self, token: impl Into<String>) -> EmulatorBuilder {
        let token = token.into();
        match self.accounts.pop() {
            Some(account) if !token.is_empty() => self.accounts.push(account.with_token(token)),
            Some(account) => {
                self.accounts.push(account);
                self.note(Error::invalid_input("session_token", "must not be empty"));
            }
            None => self.note(Error::invalid_input(
                "session_token",
                "must follow the credentials(..) it belongs to",
            )),
        }
        self
    }

    /// Serves a function whose body is a Rust closure: it gets the event's
    /// JSON text and returns the `RetMsg` (`Ok`) or an error message
    /// (`Err`), which the emulator reports as the function's failure with
    /// `InvokeResult` 1. A panic is caught and reported the same way.
    ///
    /// The name must be one the service accepts: 2 to 60 letters, digits,
    /// `-` and `_`, starting with a letter and ending with a letter or
    /// digit. A function is reachable in every namespace and under every
    /// qualifier.
    pub fn function<F>(self, name: impl Into<String>, body: F) -> EmulatorBuilder
    where
        F: Fn(&str) -> Result<String, String> + Send + Sync + 'static,
    {
        self.register(name.into(), Function::closure(Box::new(body)))
    }

    /// Serves a function that runs `program` with `args` for each
    /// invocation: the event is written to its stdin, its stdout becomes
    /// the `RetMsg` and its stderr the log; a non-zero exit is the
    /// function's failure (with its stdout, if any, as the message). A run
    /// longer than `timeout` is killed and reported as timed out
    /// (`InvokeResult` 433).
    ///
    /// Only the program itself is killed: a process it started that keeps
    /// running is not, and whatever it writes later is ignored.
    pub fn command_function<I, A>(
        self,
        name: impl Into<String>,
        program: impl Into<OsString>,
        args: I,
        timeout: Duration,
    ) -> EmulatorBuilder
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        let spec = CommandSpec {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            timeout,
        };
        self.register(name.into(), Function::Command(spec))
    }

    /// Serves a function that returns its event unchanged.
    pub fn echo_function(self, name: impl Into<String>) -> EmulatorBuilder {
        self.function(name, echo)
    }

    /// Refuses requests beyond `limit` per second (over any one-second
    /// window) with `RequestLimitExceeded`. `None` or `0` disables the
    /// limit. Only authenticated requests count. Default: 20, the limit the
    /// `Invoke` page documents.
    pub fn rate_limit(mut self, limit: impl Into<Option<u32>>) -> EmulatorBuilder {
        self.settings.rate_limit = limit.into().filter(|limit| *limit > 0);
        self
    }

    /// Moves the emulator's clock by `seconds` (negative for the past), to
    /// test a client against a server whose clock disagrees with its own:
    /// it shows in `Date` and in the `X-TC-Timestamp` check. Default: 0.
    pub fn clock_offset(mut self, seconds: i64) -> EmulatorBuilder {
        self.settings.clock_offset = seconds;
        self
    }

    /// The largest event, in bytes, for a synchronous invocation; larger
    /// ones are refused with `InvalidParameter.RequestTooLarge`. Default:
    /// 6 MB.
    pub fn max_payload(mut self, bytes: usize) -> EmulatorBuilder {
        self.settings.events.sync = bytes;
        self
    }

    /// The largest event, in bytes, for an asynchronous (`Event`)
    /// invocation. Default: 128 KB.
    pub fn max_async_payload(mut self, bytes: usize) -> EmulatorBuilder {
        self.settings.events.asynchronous = bytes;
        self
    }

    /// The largest request body read, in bytes; larger ones are refused
    /// with `RequestSizeLimitExceeded`. Default: 8 MB.
    pub fn max_body(mut self, bytes: usize) -> EmulatorBuilder {
        self.settings.max_body = bytes;
        self
    }

    /// How many invocations [`Emulator::invocations`] keeps (the most
    /// recent); 0 keeps none. Default: 10 000.
    pub fn record_limit(mut self, invocations: usize) -> EmulatorBuilder {
        self.settings.record_limit = invocations;
        self
    }

    /// The address to listen on. Default: `127.0.0.1:0`, a free port on
    /// the loopback interface.
    pub fn listen(mut self, address: SocketAddr) -> EmulatorBuilder {
        self.listen = address;
        self
    }

    /// How many requests are served at once (1 to 64); a synchronous
    /// invocation holds one of them while its function runs. Default: 4.
    pub fn workers(mut self, count: usize) -> EmulatorBuilder {
        self.workers = count.clamp(1, MAX_WORKERS);
        self
    }

    /// Builds the request handling alone, without a server, to call
    /// [`Handler::handle`] directly.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput)
    /// error for the first mistake made while configuring: empty
    /// credentials, an empty session token or one given before any
    /// credentials, or a function name the service would refuse.
    pub fn handler(self) -> Result<Handler, Error> {
        let (handler, _, _) = self.into_parts()?;
        Ok(handler)
    }

    /// Starts serving, on a background thread pool, and returns at once.
    ///
    /// # Errors
    ///
    /// As [`handler`](EmulatorBuilder::handler); and an
    /// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) error
    /// for the field `listen` when the address cannot be listened on (in
    /// use, not local, not permitted) or a thread cannot be started.
    pub fn start(self) -> Result<Emulator, Error> {
        let (handler, listen, workers) = self.into_parts()?;
        Emulator::start(handler, listen, workers)
    }

    fn into_parts(self) -> Result<(Handler, SocketAddr, usize), Error> {
        if let Some(problem) = self.problem {
            return Err(problem);
        }
        let handler = Handler::new(self.accounts, self.functions, self.settings);
        Ok((handler, self.listen, self.workers))
    }

    fn register(mut self, name: String, function: Function) -> EmulatorBuilder {
        match check_function_name(&name) {
            Ok(()) => {
                self.functions.insert(name, function);
            }
            Err(rule) => self.note(Error::invalid_input(
                "FunctionName",
                format!("{name:?} is not a name the service accepts: {rule}"),
            )),
        }
        self
    }

    /// Keeps the first mistake; later ones are usually its consequences.
    fn note(&mut self, problem: Error) {
        self.problem.get_or_insert(problem);
    }
}
