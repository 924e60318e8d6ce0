//! Retries, the rate limit, clock-skew correction and proxies, against
//! fault-injecting servers on loopback (see `support::fault_server`) and a
//! loopback proxy (`support::connect_proxy`).

mod support;

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use scf_invoke::{InvokeRequest, RetryPolicy, TransportKind};
use support::fault_server::{client, closed_port, error_body, ok_body, Server};
use support::ConnectProxy;

/// Short pauses, so that the tests are quick.
fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .base_delay(Duration::from_millis(20))
        .max_delay(Duration::from_millis(80))
}

fn hello() -> InvokeRequest {
    InvokeRequest::new("hello").event(&serde_json::json!({ "n": 1 }))
}

// ---------------------------------------------------------------------------
// Retries that are safe by default

#[test]
fn throttled_calls_are_retried_until_one_succeeds() {
    support::capture_logs();
    let server = Server::answering(|n| match n {
        0 | 1 => error_body("RequestLimitExceeded", "too many requests", "r-throttled"),
        _ => ok_body("r-ok"),
    });
    let client = client(&server.url())
        .retry(quick_retries())
        .build()
        .unwrap();

    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-ok");
    assert_eq!(server.requests(), 3);
    let retries: Vec<String> = support::logged(log::Level::Debug)
        .into_iter()
        .filter(|line| line.contains("retrying"))
        .collect();
    assert_eq!(retries.len(), 2, "{retries:#?}");
    assert!(
        retries[0].contains("attempt 2 of 3 (throttled)"),
        "{retries:#?}"
    );
    assert!(
        retries[1].contains("attempt 3 of 3 (throttled)"),
        "{retries:#?}"
    );
}

#[test]
fn throttling_sub_codes_are_retried_and_the_last_error_returned() {
    let server = Server::answering(|_| {
        error_body("RequestLimitExceeded.UinLimitExceeded", "slow down", "r-1")
    });
    let client = client(&server.url())
        .retry(quick_retries().max_attempts(2))
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_throttled(), "{error}");
    assert_eq!(server.requests(), 2);
}

#[test]
fn no_retries_with_the_none_policy() {
    let server = Server::answering(|_| error_body("RequestLimitExceeded", "slow down", "r-1"));
    let client = client(&server.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_throttled());
    assert_eq!(server.requests(), 1);
}

#[test]
fn errors_that_a_retry_cannot_cure_are_not_retried() {
    let server = Server::answering(|_| {
        error_body("ResourceNotFound.FunctionName", "no such function", "r-1")
    });
    let client = client(&server.url())
        .retry(quick_retries())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_function_not_found());
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_refused_connection_is_retried_up_to_the_limit_then_reported() {
    support::capture_logs();
    let addr = closed_port();
    let client = client(&format!("http://{addr}"))
        .retry(quick_retries().max_attempts(4))
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Connect),
        "{error}"
    );
    assert!(error.is_not_sent());
    // Three pauses of at most 80 ms, and refusals on loopback are instant.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let retries = support::logged(log::Level::Debug)
        .into_iter()
        .filter(|line| line.contains("retrying") && line.contains("(not sent)"))
        .count();
    assert_eq!(retries, 3);
}

#[test]
fn the_budget_stops_retries_that_would_start_too_late() {
    let addr = closed_port();
    let policy = RetryPolicy::default()
        .max_attempts(50)
        .base_delay(Duration::from_millis(100))
        .max_delay(Duration::from_millis(100))
        .budget(Duration::from_millis(300));
    let client = client(&format!("http://{addr}"))
        .retry(policy)
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(error.transport_kind(), Some(TransportKind::Connect));
    // Pauses of 50..=100 ms within a 300 ms budget: never more than 300 ms
    // of pauses, far from the 50 attempts allowed.
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------
// Connections that fail after they were made

#[test]
fn a_connection_closed_after_the_request_was_read_is_not_retried_by_default() {
    // The function may have run: the server had the whole request.
    let server = Server::start(|mut conn| {
        let _ = conn.read_request();
    });
    let client = client(&server.url())
        .retry(quick_retries())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(error.transport_kind(), Some(TransportKind::Io), "{error}");
    assert!(!error.is_not_sent());
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_connection_closed_after_the_request_was_read_is_retried_when_opted_in() {
    let server = Server::start(|mut conn| {
        if conn.index == 0 {
            let _ = conn.read_request();
            return;
        }
        while conn.read_request().is_some() {
            conn.respond(200, &[], &ok_body("r-second"));
        }
    });
    let client = client(&server.url())
        .retry(quick_retries().retry_when_possibly_executed(true))
        .build()
        .unwrap();

    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-second");
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_fresh_connection_closed_before_the_request_was_read_counts_as_possibly_executed() {
    // The server closes each new connection without reading. The client
    // has written its request by the time it notices, and nothing it can
    // observe tells this apart from a server that read the request, ran
    // the function and then died; so the default policy does not retry.
    let server = Server::start(|conn| {
        let _ = conn.stream.shutdown(Shutdown::Both);
    });
    let client = client(&server.url())
        .retry(quick_retries())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(error.transport_kind(), Some(TransportKind::Io), "{error}");
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_keep_alive_connection_is_reused() {
    let server = Server::answering(|n| ok_body(&format!("r-{n}")));
    let client = client(&server.url()).build().unwrap();

    client.invoke(&hello()).unwrap();
    client.invoke(&hello()).unwrap();

    assert_eq!(server.requests(), 2);
    assert_eq!(server.connections(), 1);
}

#[test]
fn a_pooled_connection_the_server_closed_is_replaced_not_retried() {
    support::capture_logs();
    // The first connection answers keep-alive, then the server closes it
    // while it is idle in the client's pool.
    let closed = Arc::new(AtomicBool::new(false));
    let server = {
        let closed = closed.clone();
        Server::start(move |mut conn| {
            if conn.index == 0 {
                if conn.read_request().is_some() {
                    conn.respond(200, &[], &ok_body("r-first"));
                }
                thread::sleep(Duration::from_millis(50));
                let _ = conn.stream.shutdown(Shutdown::Both);
                closed.store(true, Ordering::SeqCst);
                return;
            }
            while conn.read_request().is_some() {
                conn.respond(200, &[], &ok_body("r-second"));
            }
        })
    };
    // No retries at all: the second call must succeed on its own.
    let client = client(&server.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    client.invoke(&hello()).unwrap();
    wait_for(&closed);
    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-second");
    assert_eq!(server.requests(), 2, "the function ran once per call");
    assert_eq!(server.connections(), 2);
}

#[test]
fn a_pooled_connection_the_server_reset_is_replaced_not_retried() {
    // The server answers the first request without reading its body, then
    // closes: with unread bytes in its receive buffer, the kernel sends a
    // reset instead of a clean close. The client's pool must notice before
    // it writes the next request.
    let reset = Arc::new(AtomicBool::new(false));
    let server = {
        let reset = reset.clone();
        Server::start(move |mut conn| {
            if conn.index == 0 {
                if conn.read_head().is_some() {
                    conn.count_request();
                    conn.respond(200, &[], &ok_body("r-first"));
                }
                thread::sleep(Duration::from_millis(50));
                drop(conn);
                reset.store(true, Ordering::SeqCst);
                return;
            }
            while conn.read_request().is_some() {
                conn.respond(200, &[], &ok_body("r-second"));
            }
        })
    };
    let client = client(&server.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // Larger than one read of the server's, so that most of it is left
    // unread.
    let big = InvokeRequest::new("hello").event(&"x".repeat(64 * 1024));

    client.invoke(&big).unwrap();
    wait_for(&reset);
    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-second");
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_slow_server_times_out_without_a_retry_by_default() {
    let server = Server::start(|mut conn| {
        if conn.read_request().is_some() {
            thread::sleep(Duration::from_millis(1500));
            conn.respond(200, &[], &ok_body("r-late"));
        }
    });
    let client = client(&server.url())
        .timeout(Duration::from_millis(300))
        .retry(quick_retries())
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_timeout(), "{error}");
    assert!(!error.is_not_sent());
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn an_answer_that_stalls_halfway_times_out_on_the_response_timeout() {
    // The head and half the body arrive at once, then nothing: the stage
    // that reads the body must be bounded too, not only the wait for the
    // head.
    let server = Server::start(|mut conn| {
        if conn.read_request().is_some() {
            let body = ok_body("r-stalled");
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = conn.stream.write_all(head.as_bytes());
            let _ = conn.stream.write_all(&body.as_bytes()[..body.len() / 2]);
            let _ = conn.stream.flush();
            thread::sleep(Duration::from_millis(3000));
        }
    });
    let client = client(&server.url())
        .response_timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_timeout(), "{error}");
    assert_eq!(error.transport_kind(), Some(TransportKind::Timeout));
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

/// A listener whose queue of connections waiting to be accepted is full,
/// so that the kernel drops new connection attempts and they hang; the
/// connections that filled it, which must be kept open.
fn listener_with_a_full_queue() -> (TcpListener, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    // std asks for a backlog of 128; Linux queues one more.
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(stream) => queued.push(stream),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (listener, queued),
            Err(e) => panic!("connecting to the test listener: {e}"),
        }
    }
    panic!("the queue of {addr} never filled after 1024 connections");
}

#[test]
fn a_deadline_reached_before_the_request_is_sent_counts_as_not_sent() {
    let (listener, _queued) = listener_with_a_full_queue();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client = client(&url)
        .timeout(Duration::from_millis(300))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let started = Instant::now();
    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_not_sent(), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn server_errors_are_retried_only_when_opted_in() {
    let body_for = |n: usize| match n {
        0 => error_body("InternalError", "try again", "r-internal"),
        _ => ok_body("r-ok"),
    };
    let server = Server::answering(body_for);
    let cautious = client(&server.url())
        .retry(quick_retries())
        .build()
        .unwrap();
    let error = cautious.invoke(&hello()).unwrap_err();
    assert_eq!(error.code(), Some("InternalError"));
    assert_eq!(server.requests(), 1);

    let server = Server::answering(body_for);
    let bold = client(&server.url())
        .retry(quick_retries().retry_when_possibly_executed(true))
        .build()
        .unwrap();
    assert_eq!(bold.invoke(&hello()).unwrap().request_id(), "r-ok");
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_bad_gateway_is_retried_only_when_opted_in() {
    let gateway = |opted_in: bool| {
        let server = Server::start(|mut conn| {
            while conn.read_request().is_some() {
                if conn.index == 0 {
                    conn.respond(502, &[("Connection", "close")], "bad gateway");
                    return;
                }
                conn.respond(200, &[], &ok_body("r-ok"));
            }
        });
        let policy = quick_retries().retry_when_possibly_executed(opted_in);
        let client = client(&server.url()).retry(policy).build().unwrap();
        (client.invoke(&hello()), server.requests())
    };

    let (result, requests) = gateway(false);
    assert_eq!(result.unwrap_err().status(), Some(502));
    assert_eq!(requests, 1);
    let (result, requests) = gateway(true);
    assert!(result.is_ok());
    assert_eq!(requests, 2);
}

fn wait_for(flag: &AtomicBool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !flag.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the server never got there");
        thread::sleep(Duration::from_millis(5));
    }
    // Let the close reach the client's socket.
    thread::sleep(Duration::from_millis(50));
}

// ---------------------------------------------------------------------------
// Clock skew

/// An HTTP date (RFC 9110 IMF-fixdate) for a Unix time.
fn http_date(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    let weekday = &t.weekday().to_string()[..3];
    let month = &t.month().to_string()[..3];
    format!(
        "{weekday}, {:02} {month} {} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// How the skewed server tells its time when it refuses a timestamp.
#[derive(Clone, Copy)]
enum Tells {
    DateHeader,
    MessageOnly,
}

/// A server whose clock is `offset` seconds from this machine's. Like the
/// service, it refuses a timestamp more than five minutes from its clock.
/// It records every `X-TC-Timestamp` it receives.
fn skewed_server(offset: i64, tells: Tells) -> (Server, Arc<Mutex<Vec<i64>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let seen = seen.clone();
        Server::start(move |mut conn| {
            while let Some(request) = conn.read_request() {
                let sent: i64 = request
                    .header("X-TC-Timestamp")
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(-1);
                seen.lock().unwrap().push(sent);
                let server_now = now() + offset;
                if (sent - server_now).abs() <= 300 {
                    conn.respond(200, &[], &ok_body("r-ok"));
                    continue;
                }
                let refusal = error_body(
                    "AuthFailure.SignatureExpire",
                    &format!("timestamp {sent} is expired, server time {server_now}"),
                    "r-expired",
                );
                match tells {
                    Tells::DateHeader => {
                        conn.respond(200, &[("Date", &http_date(server_now))], &refusal)
                    }
                    Tells::MessageOnly => conn.respond(200, &[], &refusal),
                }
            }
        })
    };
    (server, seen)
}

fn assert_near(actual: i64, expected: i64) {
    assert!(
        (actual - expected).abs() <= 5,
        "{actual} is not near {expected}"
    );
}

#[test]
fn a_server_an_hour_ahead_or_behind_is_followed_after_one_refusal() {
    support::capture_logs();
    for offset in [3600, -3600] {
        let (server, seen) = skewed_server(offset, Tells::DateHeader);
        let client = client(&server.url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap();

        client.invoke(&hello()).unwrap();

        assert_near(client.clock_offset(), offset);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2, "one refusal, one success");
        // The retry was signed afresh, with the corrected time.
        assert_near(seen[1], now() + offset);

        // Later calls use the learned offset straight away.
        client.invoke(&hello()).unwrap();
        assert_eq!(server.requests(), 3);
    }
    let corrections: Vec<String> = support::logged(log::Level::Debug)
        .into_iter()
        .filter(|line| line.contains("clock offset now"))
        .collect();
    assert_eq!(corrections.len(), 2, "{corrections:#?}");
    assert!(
        corrections[0].contains("(from the Date header), retrying once"),
        "{corrections:#?}"
    );
}

#[test]
fn a_server_decades_ahead_is_followed() {
    let forty_years = 40 * 365 * 86_400;
    let (server, _) = skewed_server(forty_years, Tells::DateHeader);
    let client = client(&server.url()).build().unwrap();

    client.invoke(&hello()).unwrap();

    assert_near(client.clock_offset(), forty_years);
}

#[test]
fn a_device_that_thinks_it_is_1970_is_corrected() {
    let (server, seen) = skewed_server(0, Tells::DateHeader);
    let client = client(&server.url()).clock_offset(-now()).build().unwrap();

    client.invoke(&hello()).unwrap();

    let seen = seen.lock().unwrap().clone();
    assert!(seen[0] < 100, "the first request said {}", seen[0]);
    assert_near(client.clock_offset(), 0);
}

#[test]
fn the_server_time_in_the_message_is_used_without_a_date_header() {
    let (server, _) = skewed_server(-7200, Tells::MessageOnly);
    let client = client(&server.url()).build().unwrap();

    client.invoke(&hello()).unwrap();

    assert_near(client.clock_offset(), -7200);
}

#[test]
fn the_learned_offset_is_shared_by_clones() {
    let (server, _) = skewed_server(900, Tells::DateHeader);
    let original = client(&server.url()).build().unwrap();
    let clone = original.clone();

    thread::spawn(move || clone.invoke(&hello()).unwrap())
        .join()
        .unwrap();

    assert_near(original.clock_offset(), 900);
}

#[test]
fn the_clock_is_corrected_only_once_per_call() {
    // A server that refuses every timestamp, its clock always ahead of
    // whatever the client sends: one correction, then the error.
    let server = Server::start(|mut conn| {
        while conn.read_request().is_some() {
            let date = http_date(now() + 1000);
            let body = error_body("AuthFailure.SignatureExpire", "expired", "r-expired");
            conn.respond(200, &[("Date", &date)], &body);
        }
    });
    let client = client(&server.url()).build().unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_signature_expired());
    assert_eq!(server.requests(), 2);
}

#[test]
fn a_refusal_that_tells_no_time_is_not_retried() {
    let server = Server::answering(|_| {
        error_body(
            "AuthFailure.SignatureExpire",
            "the request has expired",
            "r-expired",
        )
    });
    let client = client(&server.url()).build().unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_signature_expired());
    assert_eq!(server.requests(), 1);
    assert_eq!(client.clock_offset(), 0);
}

#[test]
fn clock_correction_can_be_turned_off() {
    let (server, _) = skewed_server(3600, Tells::DateHeader);
    let client = client(&server.url())
        .correct_clock_skew(false)
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert!(error.is_signature_expired());
    assert_eq!(server.requests(), 1);
    assert_eq!(client.clock_offset(), 0);
}

// ---------------------------------------------------------------------------
// Rate limit

#[test]
fn the_rate_limit_spaces_calls_across_clones_and_threads() {
    let server = Server::answering(|n| ok_body(&format!("r-{n}")));
    let client = client(&server.url()).rate_limit(40.0).build().unwrap();

    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || {
                for _ in 0..4 {
                    client.invoke(&hello()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }

    // Eight calls at 40 a second: the last leaves at least 7 × 25 ms after
    // the first. Only a lower bound: a busy machine may be slower.
    assert!(
        started.elapsed() >= Duration::from_millis(175),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 8);
}

#[test]
fn a_rate_limit_must_be_positive() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let error = client("http://127.0.0.1:9")
            .rate_limit(bad)
            .build()
            .unwrap_err();
        assert_eq!(error.field(), Some("rate_limit"), "{bad}");
    }
    let error = client("http://127.0.0.1:9")
        .retry(RetryPolicy::default().max_attempts(0))
        .build()
        .unwrap_err();
    assert_eq!(error.field(), Some("retry"));
}

// ---------------------------------------------------------------------------
// Proxies

#[test]
fn calls_go_through_an_explicit_proxy_with_its_credentials() {
    support::capture_logs();
    let server = Server::answering(|_| ok_body("r-proxied"));
    let proxy = ConnectProxy::start();
    let client = client(&server.url())
        .proxy(format!("http://user:pa55@{}", proxy.addr()))
        .build()
        .unwrap();

    let output = client.invoke(&hello()).unwrap();

    assert_eq!(output.request_id(), "r-proxied");
    assert_eq!(
        proxy.tunnels(),
        [format!("CONNECT {} HTTP/1.1", server.addr)]
    );
    // "user:pa55" in base64.
    assert_eq!(
        proxy.authorizations(),
        [Some("Basic dXNlcjpwYTU1".to_owned())]
    );
    assert!(!format!("{client:?}").contains("pa55"), "{client:?}");
    for line in support::logged_all() {
        assert!(
            !line.contains("pa55"),
            "a log line shows the proxy password: {line}"
        );
    }
}

#[test]
fn a_proxy_that_refuses_the_tunnel_is_a_connect_error_without_the_password() {
    let server = Server::answering(|_| ok_body("r-never"));
    let proxy = ConnectProxy::refusing();
    let client = client(&server.url())
        .proxy(format!("http://user:pa55@{}", proxy.addr()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let error = client.invoke(&hello()).unwrap_err();

    assert_eq!(
        error.transport_kind(),
        Some(TransportKind::Connect),
        "{error}"
    );
    assert!(error.is_not_sent());
    assert!(!format!("{error} {error:?}").contains("pa55"), "{error:?}");
    assert_eq!(server.requests(), 0);
}

#[test]
fn proxy_urls_are_checked_when_the_client_is_built() {
    let error = client("http://127.0.0.1:9")
        .proxy("ftp://user:pa55@127.0.0.1:21")
        .build()
        .unwrap_err();
    assert_eq!(error.field(), Some("proxy"));
    assert!(!error.to_string().contains("pa55"), "{error}");

    for fine in [
        "socks5://127.0.0.1:1080",
        "socks5h://u:p@127.0.0.1:1080",
        "127.0.0.1:3128",
    ] {
        client("http://127.0.0.1:9").proxy(fine).build().unwrap();
    }
}

/// Keeps the proxy tests honest: without the setting, the proxy sees
/// nothing.
#[test]
fn the_test_proxy_is_only_used_when_configured() {
    let server = Server::answering(|_| ok_body("r-direct"));
    let proxy = ConnectProxy::start();
    let client = client(&server.url()).build().unwrap();

    client.invoke(&hello()).unwrap();

    assert!(proxy.tunnels().is_empty());
    assert_eq!(proxy.connections(), 0);
}
