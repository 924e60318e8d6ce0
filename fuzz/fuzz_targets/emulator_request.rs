//! Arbitrary requests, mostly signed correctly, through the emulator's request handling.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scf_invoke_fuzz::emulator_request_check::check(data));
