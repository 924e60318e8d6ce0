//! `scf-invoke emulate`: the crate's emulator as a standalone server, for
//! trying the CLI or a program in another language without an account.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use scf_invoke::emulator::Emulator;

use crate::args::EmulateArgs;
use crate::exit;

/// The key pair the emulator accepts when none is given or set in the
/// environment. Public on purpose (it is in `--help`): it opens nothing but
/// a local emulator.
pub(crate) const DEMO_SECRET_ID: &str = "AKIDSCFINVOKEDEMO0000000000000000000";
pub(crate) const DEMO_SECRET_KEY: &str = "scf-invoke-demo-secret-key";

/// Runs the emulator until SIGINT or SIGTERM, and returns the exit status.
pub(crate) fn run(args: &EmulateArgs) -> u8 {
    // Step 1: the settings, all checked before anything listens.
    let listen: SocketAddr = match args.listen.parse() {
        Ok(address) => address,
        Err(_) => {
            eprintln!(
                "scf-invoke: --listen must be an IP address and port, got {:?}",
                args.listen
            );
            return exit::USAGE;
        }
    };
    let mut builder = Emulator::builder()
        .listen(listen)
        .rate_limit(args.rate_limit)
        .clock_offset(args.clock_offset);
    builder = with_credentials(builder, args);
    for (name, command) in &args.functions {
        builder = if command == "echo" {
            builder.echo_function(name)
        } else {
            // Through the shell, so that a function can be a pipeline.
            builder.command_function(name, "sh", ["-c", command.as_str()], args.function_timeout)
        };
    }

    // Step 2: listen, and say where on the first line of stdout, so a
    // script can read it.
    let emulator = match builder.start() {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("scf-invoke: cannot start the emulator: {e}");
            return exit::USAGE;
        }
    };
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", emulator.url());
        let _ = stdout.flush();
    }
    let names: Vec<&str> = args
        .functions
        .iter()
        .map(|(name, _)| name.as_str())
        .collect();
    eprintln!(
        "scf-invoke: emulating SCF at {} with functions: {}",
        emulator.url(),
        names.join(", ")
    );

    // Step 3: serve until told to stop, then stop cleanly.
    wait_for_stop_signal();
    eprintln!("scf-invoke: stopping");
    emulator.stop();
    exit::SUCCESS
}

/// The pair from the flags, else from the environment (with its session
/// token, if any), else the demo pair.
fn with_credentials(
    builder: scf_invoke::emulator::EmulatorBuilder,
    args: &EmulateArgs,
) -> scf_invoke::emulator::EmulatorBuilder {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (&args.secret_id, &args.secret_key) {
        (Some(id), Some(key)) => builder.credentials(id, key),
        _ => match (
            env("TENCENTCLOUD_SECRET_ID"),
            env("TENCENTCLOUD_SECRET_KEY"),
        ) {
            (Some(id), Some(key)) => {
                let builder = builder.credentials(id, key);
                match env("TENCENTCLOUD_TOKEN") {
                    Some(token) => builder.session_token(token),
                    None => builder,
                }
            }
            _ => builder.credentials(DEMO_SECRET_ID, DEMO_SECRET_KEY),
        },
    }
}

#[cfg(unix)]
fn wait_for_stop_signal() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    match Signals::new([SIGINT, SIGTERM]) {
        Ok(mut signals) => {
            let _ = signals.forever().next();
        }
        // Without a handler the default action (terminate) still applies;
        // serve until then.
        Err(e) => {
            eprintln!("scf-invoke: cannot catch SIGINT/SIGTERM ({e}); stop with a kill");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
    }
}

#[cfg(not(unix))]
fn wait_for_stop_signal() {
    // No portable signal handling outside Unix: Ctrl-C ends the process.
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}
