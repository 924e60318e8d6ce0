//! Arbitrary bytes as the body of an `Invoke` answer.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| scf_invoke_fuzz::response_check::check(data));
