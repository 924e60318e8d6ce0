//! `scf-invoke invoke`: one invocation, its result on stdout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::time::Duration;

use scf_invoke::credentials::DefaultChain;
use scf_invoke::{
    Client, ClientBuilder, Error, ErrorKind, InvocationType, InvokeFunctionRequest, InvokeOutput,
    InvokeRequest, LogType, RetryPolicy,
};

use crate::args::{Action, InvokeArgs, NetworkArgs, PayloadSource};
use crate::exit;

/// Applies the options both actions share. The two request types have
/// setters of the same names but no common trait, hence a macro.
macro_rules! with_shared_fields {
    ($request:expr, $args:expr, $event:expr, $routing_key:expr) => {{
        let mut request = $request;
        if let Some(event) = &$event {
            request = request.event_json(event.as_str());
        }
        if let Some(qualifier) = &$args.qualifier {
            request = request.qualifier(qualifier);
        }
        if let Some(namespace) = &$args.namespace {
            request = request.namespace(namespace);
        }
        if let Some(keys) = &$routing_key {
            request = request.routing_key(keys.clone());
        }
        if $args.log {
            request = request.log_type(LogType::Tail);
        }
        request
    }};
}

/// Runs the invocation and returns the process's exit status.
pub(crate) fn run(args: &InvokeArgs) -> u8 {
    // Step 1: everything that can be wrong locally, before any I/O.
    let (client, event, routing_key) = match prepare(args) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("scf-invoke: {message}");
            return exit::USAGE;
        }
    };

    // Step 2: the call.
    let result = match args.action {
        Action::Invoke => {
            let mut request =
                with_shared_fields!(InvokeRequest::new(&args.function), args, event, routing_key);
            if args.asynchronous {
                request = request.invocation_type(InvocationType::Event);
            }
            client.invoke(&request)
        }
        Action::InvokeFunction => {
            let request = with_shared_fields!(
                InvokeFunctionRequest::new(&args.function),
                args,
                event,
                routing_key
            );
            client.invoke_function(&request)
        }
    };

    // Step 3: the outcome.
    match result {
        Ok(output) => report(args, &output),
        Err(e) => {
            eprintln!("scf-invoke: {e}");
            exit_status(&e)
        }
    }
}

type Prepared = (Client, Option<String>, Option<BTreeMap<String, String>>);

fn prepare(args: &InvokeArgs) -> Result<Prepared, String> {
    let event = match &args.payload {
        PayloadSource::None => None,
        PayloadSource::Inline(text) => Some(text.clone()),
        PayloadSource::File(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read --payload-file {}: {e}", path.display()))?,
        ),
        PayloadSource::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the event from stdin: {e}"))?;
            Some(text)
        }
    };
    let routing_key = match &args.routing_key {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<BTreeMap<String, String>>(text)
                .map_err(|e| format!("--routing-key must be a JSON object of strings: {e}"))?,
        ),
    };
    let region = match &args.region {
        Some(region) => region.clone(),
        None => std::env::var("TENCENTCLOUD_REGION")
            .map_err(|_| "no region: give --region or set TENCENTCLOUD_REGION".to_owned())?,
    };

    // Read once, for the call and for STS alike.
    let ca_pem = match &args.network.ca_cert {
        Some(path) => Some(
            std::fs::read(path)
                .map_err(|e| format!("cannot read --ca-cert {}: {e}", path.display()))?,
        ),
        None => None,
    };
    let mut builder = Client::builder()
        .region(region)
        .credentials(default_chain(&args.network, ca_pem.as_deref())?);
    if let Some(endpoint) = &args.endpoint {
        builder = builder.endpoint(endpoint);
    }
    // One deadline over each attempt: the thread per call it costs the
    // library (see `ClientBuilder::timeout`) is nothing to a command run
    // once, and a deadline is what a person at a terminal expects. A
    // longer one also lets each stage wait that long, or the library's
    // 330 s per stage would cut it short.
    let timeout = args.timeout.unwrap_or(DEFAULT_TIMEOUT);
    builder = builder
        .timeout(timeout)
        .response_timeout(timeout.max(DEFAULT_TIMEOUT));
    builder = with_network_options(builder, &args.network, ca_pem);
    let client = builder.build().map_err(|e| e.to_string())?;
    Ok((client, event, routing_key))
}

/// The deadline of an attempt when `--timeout` is not given: the 300 s a
/// synchronous invocation may run, and a margin.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(330);

/// The default chain, its calls to STS (for TKE) going through the proxy
/// the call goes through and trusting the same roots, so that --proxy,
/// --no-env-proxy and --ca-cert mean the same for both.
fn default_chain(network: &NetworkArgs, ca_pem: Option<&[u8]>) -> Result<DefaultChain, String> {
    let mut chain = DefaultChain::builder();
    if let Some(pem) = ca_pem {
        chain = chain.sts_root_certificates_pem(pem);
    }
    if let Some(proxy) = &network.proxy {
        chain = chain.sts_proxy(proxy);
    }
    if network.no_env_proxy {
        chain = chain.sts_proxy_from_env(false);
    }
    chain.build().map_err(|e| e.to_string())
}

fn with_network_options(
    mut builder: ClientBuilder,
    network: &NetworkArgs,
    ca_pem: Option<Vec<u8>>,
) -> ClientBuilder {
    let mut policy = RetryPolicy::default();
    if let Some(attempts) = network.retries {
        policy = policy.max_attempts(attempts);
    }
    builder = builder.retry(policy.retry_when_possibly_executed(network.retry_possibly_executed));
    if let Some(offset) = network.clock_offset {
        builder = builder.clock_offset(offset);
    }
    if network.no_clock_correction {
        builder = builder.correct_clock_skew(false);
    }
    if let Some(proxy) = &network.proxy {
        builder = builder.proxy(proxy);
    }
    if network.no_env_proxy {
        builder = builder.proxy_from_env(false);
    }
    if let Some(pem) = ca_pem {
        builder = builder.root_certificates_pem(pem);
    }
    if network.insecure {
        eprintln!("scf-invoke: warning: --insecure: the server's certificate is not verified");
        builder = builder.danger_accept_invalid_certs(true);
    }
    if network.unsigned_payload {
        builder = builder.unsigned_payload(true);
    }
    builder
}

fn report(args: &InvokeArgs, output: &InvokeOutput) -> u8 {
    if args.json {
        // Serializing a struct of strings and numbers cannot fail.
        let text = serde_json::to_string_pretty(output).expect("BUG: InvokeOutput serializes");
        print_line(&text);
    } else if args.asynchronous {
        print_line(output.function_request_id());
    } else if !output.is_function_error() {
        print_line(output.return_value());
    }
    if args.log && !output.log().is_empty() {
        eprintln!("{}", output.log());
    }
    match output.function_error() {
        Some(error) => {
            eprintln!(
                "scf-invoke: the function failed: {error} (request id {})",
                output.request_id()
            );
            exit::FUNCTION_FAILED
        }
        None => exit::SUCCESS,
    }
}

/// Prints to stdout, ignoring a closed pipe (`scf-invoke ... | head`).
fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

fn exit_status(error: &Error) -> u8 {
    match error.kind() {
        ErrorKind::InvalidInput | ErrorKind::Credentials => exit::USAGE,
        ErrorKind::Service => exit::SERVICE_ERROR,
        _ => exit::TRANSPORT,
    }
}
