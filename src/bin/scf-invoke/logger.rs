//! A minimal stderr logger for `-v` and `-vv`.
//!
//! It is written here rather than taken from a crate to keep the CLI's
//! dependencies to `lexopt`. It shows this crate's records and `ureq`'s
//! (whose header logging is redacted), and never `ureq_proto`'s trace
//! records, which hex-dump the raw request with its `Authorization` and
//! `X-TC-Token` headers.

use log::{Level, LevelFilter, Log, Metadata, Record};

struct StderrLogger {
    level: Level,
}

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        let target = metadata.target();
        if target.starts_with("ureq_proto") {
            return false;
        }
        // Other libraries' chatter stays at debug even at -vv.
        let limit = if target.starts_with("scf_invoke") || target.starts_with("scf_invoke_cli") {
            self.level
        } else {
            self.level.min(Level::Debug)
        };
        metadata.level() <= limit
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: 0 shows warnings, 1 debug, 2 or more trace.
pub(crate) fn init(verbosity: u8) {
    let level = match verbosity {
        0 => Level::Warn,
        1 => Level::Debug,
        _ => Level::Trace,
    };
    // Only fails when a logger is already set, which cannot happen in this
    // binary; logging is then simply left as it is.
    let logger: &'static StderrLogger = Box::leak(Box::new(StderrLogger { level }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level.to_level_filter().max(LevelFilter::Warn));
    }
}
