//! The accept loop every loopback test server is built on.
//!
//! It listens on 127.0.0.1 on a port the system picks, and hands each
//! connection to the server's handler. It is bounded, so that no test can
//! hang on it: it stops accepting when the server is dropped, after a set
//! number of connections, or when none has come for a while; and every
//! connection's reads time out.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How a server accepts and serves connections.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Stop accepting once no connection has come for this long.
    pub idle_limit: Duration,
    /// How long a connection may stay silent before a read on it fails.
    pub read_timeout: Duration,
    /// Stop accepting after this many connections.
    pub max_connections: usize,
    /// Serve each connection on the accepting thread before accepting the
    /// next, instead of on a thread of its own: for servers that answer
    /// connections strictly in order.
    pub in_turn: bool,
}

impl Policy {
    /// Any number of connections, each on its own thread.
    pub fn concurrent(idle_limit: Duration, read_timeout: Duration) -> Policy {
        Policy {
            idle_limit,
            read_timeout,
            max_connections: usize::MAX,
            in_turn: false,
        }
    }
}

/// Set when the server is dropped, so that a handler told to hang can stop.
#[derive(Clone, Default)]
pub struct StopSignal(Arc<AtomicBool>);

impl StopSignal {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// One accepted connection: blocking, with the policy's read timeout.
pub struct Accepted {
    pub stream: TcpStream,
    /// 0 for the first connection the server accepted.
    pub index: usize,
    pub stop: StopSignal,
}

/// A running accept loop; dropping it stops the loop.
pub struct Listener {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: StopSignal,
    acceptor: Option<JoinHandle<()>>,
    in_turn: bool,
}

impl Listener {
    pub fn start(policy: Policy, handler: impl Fn(Accepted) + Send + Sync + 'static) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        // Non-blocking, so that the loop can notice the stop signal.
        listener
            .set_nonblocking(true)
            .expect("set the listener non-blocking");
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = StopSignal::default();
        let handler = Arc::new(handler);

        let acceptor = {
            let (connections, stop) = (connections.clone(), stop.clone());
            thread::spawn(move || {
                let mut last = Instant::now();
                while !stop.is_set()
                    && connections.load(Ordering::SeqCst) < policy.max_connections
                    && last.elapsed() < policy.idle_limit
                {
                    let Ok((stream, _)) = listener.accept() else {
                        thread::sleep(Duration::from_millis(2));
                        continue;
                    };
                    stream.set_nonblocking(false).expect("set blocking");
                    stream
                        .set_read_timeout(Some(policy.read_timeout))
                        .expect("set a read timeout");
                    let accepted = Accepted {
                        stream,
                        index: connections.fetch_add(1, Ordering::SeqCst),
                        stop: stop.clone(),
                    };
                    if policy.in_turn {
                        handler(accepted);
                    } else {
                        let handler = handler.clone();
                        thread::spawn(move || handler(accepted));
                    }
                    last = Instant::now();
                }
            })
        };
        Listener {
            addr,
            connections,
            stop,
            acceptor: Some(acceptor),
            in_turn: policy.in_turn,
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Waits for the loop to end by itself: after its last connection (and,
    /// when serving in turn, that connection's answer), or its idle limit.
    pub fn wait(mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().expect("the accept loop does not panic");
        }
    }
}

impl Drop for Listener {
    // Waits for the loop to see the signal, so that the port is closed when
    // the server is gone; but not for a connection served in turn, which
    // may be in the middle of a deliberately late answer to a client that
    // gave up long ago.
    fn drop(&mut self) {
        self.stop.set();
        if let Some(acceptor) = self.acceptor.take().filter(|_| !self.in_turn) {
            let _ = acceptor.join();
        }
    }
}
