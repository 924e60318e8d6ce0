//! `scf-invoke emulate`: waits for the emulator module.

/// Reports that this build has no emulator yet.
pub(crate) fn run(_args: &crate::args::EmulateArgs) -> u8 {
    eprintln!("scf-invoke: emulate is not implemented in this build yet");
    crate::exit::USAGE
}
