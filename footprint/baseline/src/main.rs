//! The footprint program's baseline: the same POST as `footprint-ours`
//! makes, with bare ureq. A JSON body and the API's headers, written by
//! hand; no signing, no serde, no validation. What scf-invoke adds to a
//! binary is the difference between the two.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

const DEFAULT_ENDPOINT: &str = if cfg!(feature = "tls") {
    "https://scf.tencentcloudapi.com"
} else {
    "http://127.0.0.1:9000"
};

const BODY: &str = r#"{"FunctionName":"hello","ClientContext":"{\"name\":\"world\"}"}"#;

fn main() -> ExitCode {
    let endpoint = std::env::args().nth(1);
    let endpoint = endpoint.as_deref().unwrap_or(DEFAULT_ENDPOINT);
    let secret_id = std::env::var("TENCENTCLOUD_SECRET_ID").unwrap_or_default();
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
        .to_string();

    let answer = ureq::post(endpoint)
        .header("Content-Type", "application/json")
        .header("X-TC-Action", "Invoke")
        .header("X-TC-Version", "2018-04-16")
        .header("X-TC-Region", "ap-guangzhou")
        .header("X-TC-Timestamp", &timestamp)
        .header("Authorization", format!("Credential={secret_id}"))
        .send(BODY)
        .and_then(|mut response| response.body_mut().read_to_string());
    match answer {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
