//! The functions an emulator serves, and what running one produces.

use std::ffi::OsString;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use super::command;

/// The body of a function given as a Rust closure: the event's JSON text
/// in, the return value (`RetMsg`) or an error message out.
pub(crate) type Closure = dyn Fn(&str) -> Result<String, String> + Send + Sync + 'static;

/// The largest return value the service passes back (its status 407 is
/// "the size of response exceeds the upper limit (6MB)").
pub(crate) const RESPONSE_LIMIT: usize = 6 * 1024 * 1024;

/// `InvokeResult` and `errorCode` for an error raised by the function's own
/// code.
pub(crate) const USER_ERROR: i64 = 1;
/// `InvokeResult` and `errorCode` for a function that ran past its timeout,
/// the service's function status code for a timeout.
pub(crate) const TIMEOUT_ERROR: i64 = 433;
/// `InvokeResult` and `errorCode` for a return value over [`RESPONSE_LIMIT`].
pub(crate) const RESPONSE_TOO_LARGE: i64 = 407;

/// A registered function.
pub(crate) enum Function {
    /// Runs in the emulator's own process, on the thread serving the call.
    Closure(Box<Closure>),
    /// Runs an external program per invocation.
    Command(command::CommandSpec),
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Function::Closure(_) => f.write_str("Function::Closure(..)"),
            Function::Command(spec) => f.debug_tuple("Function::Command").field(spec).finish(),
        }
    }
}

/// How a function run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The `InvokeResult` to report: [`USER_ERROR`], [`TIMEOUT_ERROR`] or
    /// [`RESPONSE_TOO_LARGE`].
    pub(crate) invoke_result: i64,
    /// What went wrong, in words.
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn user(message: impl Into<String>) -> Failure {
        Failure {
            invoke_result: USER_ERROR,
            message: message.into(),
        }
    }

    /// The `ErrMsg` text, shaped like the runtimes' own error reports:
    /// `{"errorCode":1,"errorMessage":"...","stackTrace":""}`.
    pub(crate) fn err_msg(&self) -> String {
        serde_json::json!({
            "errorCode": self.invoke_result,
            "errorMessage": self.message,
            "stackTrace": "",
        })
        .to_string()
    }
}

/// What one run of a function produced.
pub(crate) struct Execution {
    pub(crate) result: Result<String, Failure>,
    /// What the function wrote to its log (a command's stderr); the
    /// caller frames it with the START / END / Report lines.
    pub(crate) output: String,
    pub(crate) duration: Duration,
}

impl Function {
    pub(crate) fn closure(body: Box<Closure>) -> Function {
        Function::Closure(body)
    }

    /// Runs the function on `event` (JSON text) and measures it.
    pub(crate) fn run(&self, event: &str) -> Execution {
        let started = Instant::now();
        let (result, output) = match self {
            Function::Closure(body) => (run_closure(body, event), String::new()),
            Function::Command(spec) => command::run(spec, event),
        };
        let duration = started.elapsed();

        // The service refuses to pass back a return value over 6 MB.
        let result = result.and_then(|value| {
            if value.len() > RESPONSE_LIMIT {
                Err(Failure {
                    invoke_result: RESPONSE_TOO_LARGE,
                    message: format!(
                        "the size of the response ({} bytes) exceeds the upper limit (6MB)",
                        value.len()
                    ),
                })
            } else {
                Ok(value)
            }
        });
        Execution {
            result,
            output,
            duration,
        }
    }

    /// A plausible `MemUsage` in bytes for a run: a runtime's baseline plus
    /// the data that passed through, rounded up to whole pages. The
    /// emulator does not measure memory; clients only need a sane number.
    pub(crate) fn memory_estimate(&self, event: &str, execution: &Execution) -> u64 {
        let baseline: u64 = match self {
            Function::Closure(_) => 3 * 1024 * 1024,
            Function::Command(_) => 8 * 1024 * 1024,
        };
        let moved =
            event.len() + execution.output.len() + execution.result.as_ref().map_or(0, String::len);
        let moved = u64::try_from(moved).unwrap_or(u64::MAX);
        baseline.saturating_add(moved.div_ceil(4096).saturating_mul(4096))
    }
}

/// Runs a closure, turning a panic into a failed run rather than letting it
/// take down the thread that serves requests.
fn run_closure(body: &Closure, event: &str) -> Result<String, Failure> {
    match panic::catch_unwind(AssertUnwindSafe(|| body(event))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(Failure::user(message)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a non-string panic payload".to_owned());
            Err(Failure::user(format!("the function panicked: {what}")))
        }
    }
}

/// The built-in echo function: returns its event unchanged.
pub(crate) fn echo(event: &str) -> Result<String, String> {
    Ok(event.to_owned())
}

/// The part of a log that `LogType: Tail` returns: at most the last
/// `limit` bytes, starting on a character boundary so the text stays valid
/// UTF-8 (the cut may make it a little shorter than `limit`).
pub(crate) fn tail(log: &str, limit: usize) -> &str {
    if log.len() <= limit {
        return log;
    }
    let mut start = log.len() - limit;
    while !log.is_char_boundary(start) {
        start += 1;
    }
    &log[start..]
}

/// A program, its arguments and its timeout, for `Debug` output and logs.
pub(crate) fn describe_program(program: &OsString, args: &[OsString]) -> String {
    let mut text = program.to_string_lossy().into_owned();
    for arg in args {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_cuts_on_a_character_boundary() {
        let log = "ab未来"; // 2 + 3 + 3 bytes
        assert_eq!(tail(log, 100), log);
        assert_eq!(tail(log, 6), "未来");
        assert_eq!(tail(log, 5), "来");
        assert_eq!(tail(log, 4), "来");
        assert_eq!(tail(log, 2), "");
    }

    #[test]
    fn a_panicking_closure_is_a_failed_run() {
        let function = Function::closure(Box::new(|_: &str| -> Result<String, String> {
            panic!("boom")
        }));
        let execution = function.run("{}");
        let failure = execution.result.unwrap_err();
        assert_eq!(failure.invoke_result, USER_ERROR);
        assert!(failure.message.contains("boom"), "{}", failure.message);
    }

    #[test]
    fn err_msg_is_json_with_the_message() {
        let text = Failure::user("bad \"input\"").err_msg();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["errorCode"], 1);
        assert_eq!(value["errorMessage"], "bad \"input\"");
    }
}
