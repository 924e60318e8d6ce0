//! Differential fuzzing of the signer against a plain reference implementation.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scf_invoke_fuzz::sign_check::check(data));
