//! Placeholder: the crate docs are written with the client.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod credentials;
#[cfg(feature = "emulator")]
pub mod emulator;
mod error;
pub mod signer;

pub use credentials::{Credentials, EnvironmentCredentials, ProvideCredentials};
pub use error::{Error, ErrorKind, TransportKind};
