//! The whole path of an invocation, offline: an emulator of the SCF
//! endpoint starts in this process, and the real client signs requests and
//! sends them to it over HTTP.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Against Tencent Cloud, the only change is the client: drop `.endpoint`,
//! and take credentials from the environment or a profile file (see the
//! README's "Credentials" section).

use scf_invoke::emulator::Emulator;
use scf_invoke::{Client, Credentials, InvokeFunctionRequest, InvokeRequest, LogType};

/// A demo key pair; the emulator accepts it and nothing else does.
const DEMO_SECRET_ID: &str = "AKIDQUICKSTARTDEMO000000000000000000";
const DEMO_SECRET_KEY: &str = "quickstart-demo-secret-key";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Step 1: an emulator with one function, which greets whoever the event
    // names. The function takes the event's JSON text and returns JSON text.
    let emulator = Emulator::builder()
        .credentials(DEMO_SECRET_ID, DEMO_SECRET_KEY)
        .function("hello", |event: &str| {
            let event: serde_json::Value =
                serde_json::from_str(event).map_err(|e| e.to_string())?;
            let name = event["name"].as_str().unwrap_or("stranger");
            eprintln!("hello was invoked for {name}");
            Ok(serde_json::json!({ "greeting": format!("Hello, {name}!") }).to_string())
        })
        .function("broken", |_| Err("this function always fails".to_owned()))
        .start()?;
    println!("emulator listening on {}", emulator.url());

    // Step 2: the client, exactly as against Tencent Cloud but for the
    // endpoint.
    let client = Client::builder()
        .region("ap-guangzhou")
        .credentials(Credentials::new(DEMO_SECRET_ID, DEMO_SECRET_KEY))
        .endpoint(emulator.url())
        .build()?;

    // Step 3: a synchronous Invoke, its return value decoded as JSON.
    let request = InvokeRequest::new("hello")
        .event(&serde_json::json!({ "name": "world" }))
        .log_type(LogType::Tail);
    let output = client.invoke(&request)?;
    let result: serde_json::Value = output.json()?;
    println!(
        "Invoke hello -> {result} (request id {})",
        output.request_id()
    );
    println!(
        "  took {:?}, log tail: {:?}",
        output.duration(),
        output.log()
    );

    // Step 4: the same function through InvokeFunction.
    let output = client
        .invoke_function(&InvokeFunctionRequest::new("hello").event_json(r#"{"name":"SCF"}"#))?;
    println!("InvokeFunction hello -> {}", output.return_value());

    // Step 5: a function that fails is a successful call with an error...
    let output = client.invoke(&InvokeRequest::new("broken"))?;
    println!(
        "Invoke broken -> the function failed: {}",
        output.function_error().unwrap_or("")
    );

    // ...while a call the service refuses is an Error, with the service's code.
    match client.invoke(&InvokeRequest::new("missing")) {
        Ok(_) => println!("Invoke missing -> unexpectedly succeeded"),
        Err(e) => println!(
            "Invoke missing -> {} (not found: {})",
            e,
            e.is_function_not_found()
        ),
    }

    // Step 6: the emulator recorded every invocation it served.
    println!(
        "the emulator served {} invocations",
        emulator.invocations().len()
    );
    emulator.stop();
    Ok(())
}
