//! The record of what the emulator was asked to do, for a user's tests to
//! assert on.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;

/// One authenticated request the emulator answered: what was asked, and
/// how it ended.
///
/// Every field holds what the client sent, as it sent it: `None` where the
/// parameter was absent, so a test can tell "sent the default" from "sent
/// nothing". The headers are all those received except `Authorization` and
/// `X-TC-Token`, which carry credentials.
///
/// Requests refused before they were authenticated (a bad signature, an
/// unknown `SecretId`, a malformed body with no valid signature, ...) are
/// not recorded: they are not invocations by anyone the emulator knows.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Invocation {
    /// The `RequestId` the emulator answered with.
    pub request_id: String,
    /// The `FunctionRequestId` of the run, when the function was started.
    pub function_request_id: Option<String>,
    /// `X-TC-Action`: `"Invoke"` or `"InvokeFunction"`.
    pub action: String,
    /// `X-TC-Region`, if sent.
    pub region: Option<String>,
    /// `FunctionName`, if sent as a string.
    pub function_name: Option<String>,
    /// `Namespace`, if sent as a string.
    pub namespace: Option<String>,
    /// `Qualifier`, if sent as a string.
    pub qualifier: Option<String>,
    /// `InvocationType` (`Invoke` only), if sent as a string.
    pub invocation_type: Option<String>,
    /// The event: `ClientContext` for `Invoke`, `Event` for
    /// `InvokeFunction`, if sent as a string.
    pub event: Option<String>,
    /// `RoutingKey`, if sent as a string.
    pub routing_key: Option<String>,
    /// `LogType`, if sent as a string.
    pub log_type: Option<String>,
    /// The request headers as received, names as the client wrote them,
    /// without `Authorization` and `X-TC-Token`.
    pub headers: Vec<(String, String)>,
    /// How the invocation ended.
    pub outcome: Outcome,
}

impl Invocation {
    /// The value of the first received header named `name` (compared
    /// without regard to case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How an invocation ended.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The function ran and returned this `RetMsg`.
    Returned(String),
    /// The function ran and failed with this `ErrMsg` (an error it
    /// returned, a non-zero exit, a panic or a timeout).
    Failed(String),
    /// An asynchronous (`Event`) invocation was accepted and has not
    /// finished yet; it becomes `Returned` or `Failed` when it does.
    Pending,
    /// The emulator refused the request with this error code and message;
    /// the function did not run.
    Rejected {
        /// The service's error code, such as `"ResourceNotFound.FunctionName"`.
        code: String,
        /// The message sent with it.
        message: String,
    },
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returned(_) => f.write_str("returned"),
            Outcome::Failed(_) => f.write_str("failed"),
            Outcome::Pending => f.write_str("pending"),
            Outcome::Rejected { code, .. } => write!(f, "rejected with {code}"),
        }
    }
}

/// The bounded record of invocations: the most recent `capacity` of them.
pub(crate) struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<Invocation>>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Journal {
        Journal {
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn record(&self, invocation: Invocation) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(invocation);
    }

    /// Sets the outcome of the invocation answered with `request_id`, when
    /// an asynchronous invocation finishes. An entry already pushed out of
    /// the record is simply not updated.
    pub(crate) fn settle(&self, request_id: &str, outcome: Outcome) {
        let mut entries = self.lock();
        // The entry is almost always among the newest, so search from the back.
        if let Some(entry) = entries
            .iter_mut()
            .rev()
            .find(|entry| entry.request_id == request_id)
        {
            entry.outcome = outcome;
        }
    }

    pub(crate) fn snapshot(&self) -> Vec<Invocation> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Invocation>> {
        // Entries are pushed and updated whole, so a panic elsewhere while
        // the lock was held cannot have left one half-written.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
