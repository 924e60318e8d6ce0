//! Functions backed by an external program: the event on its stdin, its
//! stdout the return value, its stderr the log, a non-zero exit a failure.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::function::{describe_program, Failure, RESPONSE_LIMIT, TIMEOUT_ERROR};

/// How much of a command's stderr is kept: the end of it, enough for any
/// `LogType: Tail` answer (4 KB) many times over.
const STDERR_KEEP: usize = 64 * 1024;

/// How long to wait for the pipe readers after the child has exited or was
/// killed. A grandchild that inherited the pipes can keep them open; the
/// readers are then left to finish on their own rather than hold the call.
const PIPE_GRACE: Duration = Duration::from_millis(250);

/// A program to run for each invocation.
#[derive(Clone)]
pub(crate) struct CommandSpec {
    pub(crate) program: OsString,
    pub(crate) args: Vec<OsString>,
    pub(crate) timeout: Duration,
}

impl fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandSpec")
            .field("command", &describe_program(&self.program, &self.args))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// What the helper threads report.
enum Piece {
    Stdout(Vec<u8>, bool),
    Stderr(Vec<u8>),
}

/// Runs the command once: returns its result and its stderr.
pub(crate) fn run(spec: &CommandSpec, event: &str) -> (Result<String, Failure>, String) {
    let describe = || describe_program(&spec.program, &spec.args);

    // Step 1: start the child with all three streams piped.
    let mut child = match Command::new(&spec.program)
        .args(&spec.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            let message = format!("could not start `{}`: {e}", describe());
            return (Err(Failure::user(message)), String::new());
        }
    };

    // Step 2: feed stdin and drain stdout and stderr, each on its own
    // thread. Doing any of them on this thread could deadlock: a child
    // blocked writing a full stdout pipe never reads the rest of stdin.
    let (sender, receiver) = mpsc::channel();
    let mut expected = 0;
    if let Some(stdin) = child.stdin.take() {
        let event = event.as_bytes().to_vec();
        // A child that exits without reading its stdin makes the write fail
        // with a broken pipe; that is the child's choice, not an error here.
        let _ = spawn_helper("scf-emulator-stdin", move || {
            let mut stdin = stdin;
            let _ = stdin.write_all(&event);
        });
    }
    if let Some(stdout) = child.stdout.take() {
        let sender = sender.clone();
        if spawn_helper("scf-emulator-stdout", move || {
            let (bytes, truncated) = read_head(stdout, RESPONSE_LIMIT + 1);
            let _ = sender.send(Piece::Stdout(bytes, truncated));
        }) {
            expected += 1;
        }
    }
    if let Some(stderr) = child.stderr.take() {
        let sender = sender.clone();
        if spawn_helper("scf-emulator-stderr", move || {
            let _ = sender.send(Piece::Stderr(read_tail(stderr, STDERR_KEEP)));
        }) {
            expected += 1;
        }
    }
    drop(sender);

    // Step 3: wait for the exit, killing the child at its timeout.
    let status = wait_with_timeout(&mut child, spec.timeout);

    // Step 4: collect what the readers gathered, without waiting forever
    // for pipes that a surviving grandchild may hold open.
    let mut stdout = Vec::new();
    let mut stdout_truncated = false;
    let mut stderr = Vec::new();
    let grace_end = Instant::now() + PIPE_GRACE;
    for _ in 0..expected {
        let left = grace_end.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Piece::Stdout(bytes, truncated)) => {
                stdout = bytes;
                stdout_truncated = truncated;
            }
            Ok(Piece::Stderr(bytes)) => stderr = bytes,
            Err(_) => break,
        }
    }
    let log = String::from_utf8_lossy(&stderr).into_owned();

    // Step 5: the result.
    let result = match status {
        Waited::Exited(status) if status.success() => {
            if stdout_truncated {
                Err(Failure {
                    invoke_result: super::function::RESPONSE_TOO_LARGE,
                    message: "the size of the response exceeds the upper limit (6MB)".to_owned(),
                })
            } else {
                Ok(String::from_utf8_lossy(&stdout).into_owned())
            }
        }
        Waited::Exited(status) => {
            let said = String::from_utf8_lossy(&stdout);
            let said = said.trim();
            let message = if said.is_empty() {
                format!("`{}` failed: {status}", describe())
            } else {
                said.to_owned()
            };
            Err(Failure::user(message))
        }
        Waited::TimedOut => Err(Failure {
            invoke_result: TIMEOUT_ERROR,
            message: format!(
                "Invoking task timed out after {:.3} seconds",
                spec.timeout.as_secs_f64()
            ),
        }),
        Waited::Lost(e) => Err(Failure::user(format!(
            "could not wait for `{}`: {e}",
            describe()
        ))),
    };
    (result, log)
}

enum Waited {
    Exited(ExitStatus),
    TimedOut,
    Lost(io::Error),
}

/// Polls the child until it exits or `timeout` passes; then kills it.
///
/// std has no wait-with-timeout, so this polls `try_wait`, starting at 1 ms
/// so that quick commands answer quickly and backing off to 10 ms.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Waited {
    // A timeout too long to add to the clock is no timeout at all.
    let deadline = Instant::now().checked_add(timeout);
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Waited::Exited(status),
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Waited::Lost(e);
            }
        }
        let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        if left.is_some_and(|left| left.is_zero()) {
            // kill() fails only if the child has already exited; wait()
            // then reaps it either way, so no zombie is left behind.
            let _ = child.kill();
            let _ = child.wait();
            return Waited::TimedOut;
        }
        thread::sleep(left.map_or(pause, |left| pause.min(left)));
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Spawns a helper thread; false if the system refused to start one (the
/// stream is then dropped, which the child sees as a closed pipe).
fn spawn_helper(name: &str, work: impl FnOnce() + Send + 'static) -> bool {
    thread::Builder::new()
        .name(name.to_owned())
        .spawn(work)
        .is_ok()
}

/// Reads `reader` to its end, keeping the first `keep` bytes; says whether
/// anything was dropped. Reading on after `keep` keeps the child from
/// blocking on a full pipe.
fn read_head(mut reader: ChildStdout, keep: usize) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                let room = keep.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..n.min(room)]);
                truncated |= n > room;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (kept, truncated)
}

/// Reads `reader` to its end, keeping the last `keep` bytes (or a little
/// more).
fn read_tail(mut reader: ChildStderr, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                kept.extend_from_slice(&buffer[..n]);
                // Trim in large steps, not on every read, to stay linear.
                if kept.len() > 2 * keep {
                    kept.drain(..kept.len() - keep);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    if kept.len() > keep {
        kept.drain(..kept.len() - keep);
    }
    kept
}
