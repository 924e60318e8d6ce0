//! The client against the emulator whose clock disagrees with this
//! machine's: an hour either way, and decades. The emulator refuses the
//! first request with `AuthFailure.SignatureExpire` and its own time in the
//! `Date` header, as the service does; the client must learn the offset
//! (which it can only have learned from that refusal), succeed, and run
//! the function exactly once per call.

use scf_invoke::emulator::{Emulator, Outcome};
use scf_invoke::{Client, Credentials, InvokeRequest};

const ID: &str = "AKIDCLOCKTEST000000000000000000000000";
const KEY: &str = "clock-test-secret-key";

/// 30 years, in seconds.
const DECADES: i64 = 30 * 365 * 86_400;

fn invoke_twice_against(offset: i64) {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .clock_offset(offset)
        .start()
        .unwrap();
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(ID, KEY))
        .endpoint(emulator.url())
        .build()
        .unwrap();

    let output = client
        .invoke(&InvokeRequest::new("echo").event(&offset))
        .unwrap();
    assert_eq!(output.json::<i64>().unwrap(), offset);
    // The learned offset is the emulator's, to within the seconds the calls
    // took.
    assert!(
        (client.clock_offset() - offset).abs() <= 2,
        "learned {}",
        client.clock_offset()
    );
    client
        .invoke(&InvokeRequest::new("echo").event(&0))
        .unwrap();

    // The refused first attempt is not recorded (the emulator records only
    // authenticated requests); both calls then ran the function once each.
    let outcomes: Vec<Outcome> = emulator
        .invocations()
        .into_iter()
        .map(|i| i.outcome)
        .collect();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| matches!(o, Outcome::Returned(_))),
        "{outcomes:?}"
    );
    emulator.stop();
}

#[test]
fn an_emulator_an_hour_ahead() {
    invoke_twice_against(3_600);
}

#[test]
fn an_emulator_an_hour_behind() {
    invoke_twice_against(-3_600);
}

#[test]
fn an_emulator_decades_ahead() {
    invoke_twice_against(DECADES);
}

#[test]
fn within_the_allowed_skew_nothing_is_refused() {
    let emulator = Emulator::builder()
        .credentials(ID, KEY)
        .echo_function("echo")
        .clock_offset(200)
        .start();
    let emulator = emulator.unwrap();
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(ID, KEY))
        .endpoint(emulator.url())
        .build()
        .unwrap();
    client.invoke(&InvokeRequest::new("echo")).unwrap();
    assert_eq!(client.clock_offset(), 0);
    assert_eq!(emulator.invocations().len(), 1);
}
