//! What the fuzz targets check, kept apart from libFuzzer so that the main crate's
//! `tests/fuzz_seeds.rs` can replay the committed seeds through the very same checks
//! (it includes these files with `#[path]`). They may therefore use only the public API
//! of `scf_invoke` and crates the main crate also depends on.

pub mod emulator_request_check;
pub mod response_check;
pub mod sign_check;
pub mod sign_verify_check;
