//! Runs an emulator for clients outside Rust, such as the official Python
//! SDK (`scripts/python_sdk_check.sh` drives it).
//!
//! The first line on stdout is the emulator's URL. It serves until its
//! stdin reaches end-of-file (or a line `stop` arrives), or until the time
//! limit passes, then stops cleanly.
//!
//! ```text
//! cargo run --features emulator --example emulate_for_sdk [-- SECONDS]
//! ```
//!
//! Credentials come from `EMULATOR_SECRET_ID` and `EMULATOR_SECRET_KEY`
//! (defaults below; they are test values, not secrets), and requests signed
//! with `EMULATOR_TEMP_SECRET_ID` / `EMULATOR_TEMP_SECRET_KEY` must carry
//! the token `EMULATOR_TOKEN`. Functions served:
//!
//! - `echo` returns its event;
//! - `hello` returns `"hello from the emulator"`;
//! - `fails` fails with the message `"this function always fails"`.

use std::io::{BufRead, Write};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use scf_invoke::emulator::Emulator;

/// The longest the example serves unless told otherwise, so a forgotten
/// process cannot linger.
const DEFAULT_SECONDS: u64 = 300;

fn main() {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let setting = |name: &str, default: &str| std::env::var(name).unwrap_or(default.to_owned());

    let emulator = Emulator::builder()
        .credentials(
            setting("EMULATOR_SECRET_ID", "AKIDEMULATOREXAMPLE0000000000000000"),
            setting("EMULATOR_SECRET_KEY", "emulator-example-secret-key"),
        )
        .credentials(
            setting(
                "EMULATOR_TEMP_SECRET_ID",
                "AKIDEMULATORTEMPORARY000000000000",
            ),
            setting("EMULATOR_TEMP_SECRET_KEY", "emulator-temporary-secret-key"),
        )
        .session_token(setting("EMULATOR_TOKEN", "emulator-session-token"))
        .echo_function("echo")
        .function("hello", |_| Ok("\"hello from the emulator\"".to_owned()))
        .function("fails", |_| Err("this function always fails".to_owned()))
        .start();
    let emulator = match emulator {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("emulate_for_sdk: {e}");
            std::process::exit(1);
        }
    };

    // The URL goes first, alone on its line, for the script that reads it.
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{}", emulator.url());
    let _ = stdout.flush();

    // Stop at end-of-file or "stop" on stdin, or when time is up.
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            match line {
                Ok(line) if line.trim() == "stop" => break,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    let _ = finished.recv_timeout(Duration::from_secs(seconds));

    let served = emulator.invocations().len();
    emulator.stop();
    eprintln!("emulate_for_sdk: stopped after serving {served} recorded invocation(s)");
}
