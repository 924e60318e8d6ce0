//! What the credentials tests build their cases from besides a server: a
//! clock moved by hand, temporary directories, injected environments, the
//! service's answers, and ways to look into an error's chain of causes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use scf_invoke::Error;

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
