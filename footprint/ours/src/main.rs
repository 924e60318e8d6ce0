//! Invokes the function `hello` once and prints what it returned: about the
//! smallest useful program built on scf-invoke. Credentials come from the
//! environment; the endpoint may be given as the first argument.

use std::process::ExitCode;

use scf_invoke::{Client, Credentials, InvokeRequest};

/// Without TLS, only a plain-HTTP endpoint such as a local emulator works.
const DEFAULT_ENDPOINT: &str = if cfg!(feature = "tls") {
    "https://scf.tencentcloudapi.com"
} else {
    "http://127.0.0.1:9000"
};

fn main() -> ExitCode {
    let endpoint = std::env::args().nth(1);
    let endpoint = endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
    let output = Credentials::from_env().and_then(|credentials| {
        let client = Client::builder()
            .region("ap-guangzhou")
            .credentials(credentials)
            .endpoint(endpoint)
            .build()?;
        client.invoke(&InvokeRequest::new("hello").event_json(r#"{"name":"world"}"#))
    });
    match output {
        Ok(output) => {
            println!("{}", output.return_value());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
