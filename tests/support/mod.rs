//! What the integration tests share: loopback servers that read requests
//! through one [`request_reader`] and accept through one [`accept_loop`],
//! each scripted its own way, and the fixtures around them.
//!
//! | file | holds | used by |
//! |---|---|---|
//! | `scripted_server` | [`TestServer`]: one scripted [`Reply`] per connection, signatures re-derived | client, CLI, logging |
//! | `handler_server` | [`Server`]: each request answered through a handler's [`Answer`] | credentials |
//! | `credentials_fixtures` | [`ManualClock`], [`TempDir`], service answers, error chains | credentials |
//! | `fault_server` | `fault_server::Server`: raw connections for fault injection | resilience, TLS |
//! | `connect_proxy` | [`ConnectProxy`]: a `CONNECT` proxy to loopback that records its tunnels | resilience, STS proxies, redaction |
//! | `log_capture` | everything logged, per thread | resilience, TLS |
//! | `private_ca` | [`make_pki`]: a CA made for the test; [`TlsServer`] | TLS, STS over TLS |

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports)]

pub mod accept_loop;
pub mod fault_server;
pub mod request_reader;

mod connect_proxy;
mod credentials_fixtures;
mod handler_server;
mod log_capture;
mod private_ca;
mod scripted_server;

pub use connect_proxy::*;
pub use credentials_fixtures::*;
pub use handler_server::*;
pub use log_capture::*;
pub use private_ca::*;
pub use scripted_server::*;
