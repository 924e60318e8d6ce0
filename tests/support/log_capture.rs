//! A logger that keeps everything logged, at every level, with the thread
//! that logged it, so that a test can look at its own records while other
//! tests run on other threads.

use std::sync::{Mutex, OnceLock};
use std::thread::{self, ThreadId};

/// Everything logged, at every level, with the thread that logged it.
struct Capture {
    records: Mutex<Vec<(ThreadId, log::Level, String)>>,
}

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = format!("{} {}", record.target(), record.args());
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((thread::current().id(), record.level(), line));
    }

    fn flush(&self) {}
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::new(Capture {
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(capture).expect("no other logger in the test binary");
        log::set_max_level(log::LevelFilter::Trace);
        capture
    })
}

/// Starts capturing logs (idempotent).
pub fn capture_logs() {
    capture();
}

/// The lines this thread logged at `level`, as `target message`.
pub fn logged(level: log::Level) -> Vec<String> {
    capture()
        .records
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(thread, l, _)| *thread == thread::current().id() && *l == level)
        .map(|(_, _, line)| line.clone())
        .collect()
}

/// Every line this thread logged, at any level.
pub fn logged_all() -> Vec<String> {
    capture()
        .records
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(thread, _, _)| *thread == thread::current().id())
        .map(|(_, _, line)| line.clone())
        .collect()
}
