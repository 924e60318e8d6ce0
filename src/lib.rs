//! Placeholder: the crate docs are written with the client.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod signer;

pub use error::{Error, ErrorKind, TransportKind};
