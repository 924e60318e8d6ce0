//! `scf-invoke`, the command-line tool: invoke a function from a shell
//! script or a build step, or run the local emulator.
//!
//! Exit status: 0 success; 1 the function ran and failed; 2 usage error or
//! invalid input, and nothing was sent; 3 the service answered with an
//! error; 4 transport failure, timeout or an answer that was not the
//! service's.

mod args;
mod emulate;
mod invoke;
mod logger;

use std::process::ExitCode;

use args::Command;

/// The exit statuses, as documented in `--help`.
mod exit {
    pub(crate) const SUCCESS: u8 = 0;
    pub(crate) const FUNCTION_FAILED: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const SERVICE_ERROR: u8 = 3;
    pub(crate) const TRANSPORT: u8 = 4;
}

fn main() -> ExitCode {
    let command = match args::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("scf-invoke: {}\n\n{}", e.message, e.help);
            return ExitCode::from(exit::USAGE);
        }
    };
    let status = match command {
        Command::Help(text) => {
            print!("{text}");
            exit::SUCCESS
        }
        Command::Invoke(args) => {
            logger::init(args.verbosity);
            invoke::run(&args)
        }
        Command::Emulate(args) => {
            logger::init(args.verbosity);
            emulate::run(&args)
        }
    };
    ExitCode::from(status)
}
