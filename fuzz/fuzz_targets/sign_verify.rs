//! Sign-then-verify round trips through the emulator's verifier, and single changes that
//! it must refuse.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scf_invoke_fuzz::sign_verify_check::check(data));
