//! The command line, parsed with `lexopt` into a [`Command`].
//!
//! Parsing checks only the shape of the arguments; the values are checked
//! by the library when the request is built, so the CLI and the library
//! cannot disagree on a rule.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use lexopt::prelude::*;

pub(crate) const MAIN_HELP: &str = "\
scf-invoke: invoke Tencent Cloud SCF functions, or emulate the service locally

Usage:
  scf-invoke invoke FUNCTION [options]   invoke a function
  scf-invoke emulate [options]           run a local emulator of the SCF endpoint
  scf-invoke help [COMMAND]              show help

Run `scf-invoke COMMAND --help` for a command's options.

Exit status:
  0  success
  1  the function ran and failed (its error on stderr)
  2  usage error or invalid input; nothing was sent
  3  the service answered with an error (code, message and request id on stderr)
  4  transport failure, timeout, or an answer that was not the service's
";

pub(crate) const INVOKE_HELP: &str = "\
scf-invoke invoke: invoke a function and print its return value on stdout

Usage: scf-invoke invoke FUNCTION [options]

Options:
  --payload JSON         the event, as JSON text
  --payload-file PATH    read the event from PATH (`-` for stdin)
  --region REGION        the function's region [env: TENCENTCLOUD_REGION]
  --endpoint URL         the API endpoint [default: https://scf.tencentcloudapi.com]
                         (http:// is accepted for loopback hosts only)
  --qualifier Q          version or alias ($LATEST, $DEFAULT, 1, prod...)
  --namespace NS         the function's namespace [default: default]
  --routing-key JSON     traffic-routing keys, a JSON object of strings
  --async                queue the invocation (InvocationType Event) and print
                         its FunctionRequestId
  --log                  ask for the log's tail (LogType Tail); printed on stderr
  --action ACTION        Invoke or InvokeFunction [default: Invoke]
  --timeout SECS         give up on an attempt after SECS seconds [default: 330]
  --json                 print the whole result, with RequestId, as JSON
  -v, -vv                debug or trace logging on stderr (secrets are never shown)
  -h, --help             this help

Reliability and network:
  --retries N            attempts in all, the first included [default: 3]; only
                         failures that cannot have run the function are retried
                         (no connection, throttled) unless --retry-possibly-executed
  --retry-possibly-executed
                         also retry timeouts, resets and 5xx after the request
                         was sent: the function may then run twice
  --clock-offset SECS    add SECS to this machine's clock when signing [default: 0]
  --no-clock-correction  do not learn the service's clock from a SignatureExpire
                         answer and retry once
  --proxy URL            proxy for the call and for STS (http://, https://,
                         socks5://; may carry user:password) [default: from
                         HTTPS_PROXY, ALL_PROXY, minus NO_PROXY]
  --no-env-proxy         ignore the proxy environment variables
  --ca-cert FILE         trust these PEM root certificates instead of the
                         bundled ones, for the call and for STS (a private
                         gateway, a TLS-inspecting proxy)
  --insecure             do not verify the server's certificate: for local
                         testing only; a warning is printed
  --unsigned-payload     leave the event out of the signature (X-TC-Content-SHA256:
                         UNSIGNED-PAYLOAD), which saves hashing a large one;
                         only TLS then keeps the event from being changed

Credentials come from the default chain, in this order: the environment
(TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY, TENCENTCLOUD_TOKEN, or the
names the SCF runtime sets); the profile file (TENCENTCLOUD_CREDENTIALS_FILE,
~/.tencentcloud/credentials, /etc/tencentcloud/credentials); the CVM instance
role; TKE OIDC (TKE_* variables). TKE's calls to STS follow --proxy,
--no-env-proxy and --ca-cert; the CVM metadata service is always asked
directly.

Exit status: 0 success, 1 the function failed, 2 usage error or invalid input
(nothing sent), 3 service error, 4 transport failure or timeout.
";

pub(crate) const EMULATE_HELP: &str = "\
scf-invoke emulate: run a local emulator of the SCF Invoke endpoint

Usage: scf-invoke emulate [options]

The first line printed on stdout is the URL it listens on. It stops cleanly
on SIGINT (Ctrl-C) and SIGTERM.

Options:
  --listen ADDR          address to listen on [default: 127.0.0.1:9000]
  --secret-id ID         the SecretId it accepts [env: TENCENTCLOUD_SECRET_ID,
                         with TENCENTCLOUD_TOKEN required when set; else the
                         demo pair below]
  --secret-key KEY       the SecretKey it accepts [env: TENCENTCLOUD_SECRET_KEY]
  --function NAME=CMD    register a function (repeatable): CMD runs with the
                         event on stdin; its stdout is the return value, its
                         stderr the log, a non-zero exit a failure.
                         NAME=echo is a built-in that returns its event.
  --rate-limit N         requests per second before RequestLimitExceeded
                         [default: 20; 0 for none]
  --function-timeout S   kill a command function after S seconds [default: 30]
  --clock-offset SECS    how far the emulator's clock is from this machine's
                         (may be negative) [default: 0]
  -v, -vv                debug or trace logging on stderr
  -h, --help             this help

Demo credentials, accepted when no others are given (they open nothing but
this local emulator):
  TENCENTCLOUD_SECRET_ID=AKIDSCFINVOKEDEMO0000000000000000000
  TENCENTCLOUD_SECRET_KEY=scf-invoke-demo-secret-key

Example:
  scf-invoke emulate --function echo=echo --function upper='tr a-z A-Z' &
  scf-invoke invoke upper --payload '\"hi\"' --region ap-guangzhou \\
      --endpoint http://127.0.0.1:9000
";

/// Which action `invoke` sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Invoke,
    InvokeFunction,
}

/// Where the event comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PayloadSource {
    None,
    Inline(String),
    File(PathBuf),
    Stdin,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InvokeArgs {
    pub(crate) function: String,
    pub(crate) payload: PayloadSource,
    pub(crate) region: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) qualifier: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) routing_key: Option<String>,
    pub(crate) asynchronous: bool,
    pub(crate) log: bool,
    pub(crate) action: Action,
    pub(crate) timeout: Option<Duration>,
    pub(crate) json: bool,
    pub(crate) verbosity: u8,
    pub(crate) network: NetworkArgs,
}

/// The reliability and network options of `invoke`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NetworkArgs {
    pub(crate) retries: Option<u32>,
    pub(crate) retry_possibly_executed: bool,
    pub(crate) clock_offset: Option<i64>,
    pub(crate) no_clock_correction: bool,
    pub(crate) proxy: Option<String>,
    pub(crate) no_env_proxy: bool,
    pub(crate) ca_cert: Option<PathBuf>,
    pub(crate) insecure: bool,
    pub(crate) unsigned_payload: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EmulateArgs {
    pub(crate) listen: String,
    pub(crate) secret_id: Option<String>,
    pub(crate) secret_key: Option<String>,
    pub(crate) functions: Vec<(String, String)>,
    pub(crate) rate_limit: u32,
    pub(crate) clock_offset: i64,
    pub(crate) function_timeout: Duration,
    pub(crate) verbosity: u8,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Help(&'static str),
    Invoke(InvokeArgs),
    Emulate(EmulateArgs),
}

/// A usage error, with the help text that applies.
#[derive(Debug)]
pub(crate) struct UsageError {
    pub(crate) message: String,
    pub(crate) help: &'static str,
}

impl UsageError {
    fn new(message: impl Into<String>, help: &'static str) -> UsageError {
        UsageError {
            message: message.into(),
            help,
        }
    }
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, UsageError> {
    let mut parser = lexopt::Parser::from_args(args);
    let first = parser
        .next()
        .map_err(|e| UsageError::new(e.to_string(), MAIN_HELP))?;
    match first {
        None => Err(UsageError::new("a command is required", MAIN_HELP)),
        Some(Short('h') | Long("help")) => Ok(Command::Help(MAIN_HELP)),
        Some(Value(command)) => match command.to_str() {
            Some("invoke") => parse_invoke(&mut parser),
            Some("emulate") => parse_emulate(&mut parser),
            Some("help") => {
                let topic = parser.next().ok().flatten().and_then(|arg| match arg {
                    Value(v) => v.into_string().ok(),
                    _ => None,
                });
                Ok(Command::Help(match topic.as_deref() {
                    Some("invoke") => INVOKE_HELP,
                    Some("emulate") => EMULATE_HELP,
                    _ => MAIN_HELP,
                }))
            }
            _ => Err(UsageError::new(
                format!("unknown command {command:?}"),
                MAIN_HELP,
            )),
        },
        Some(other) => Err(UsageError::new(other.unexpected().to_string(), MAIN_HELP)),
    }
}

fn parse_invoke(parser: &mut lexopt::Parser) -> Result<Command, UsageError> {
    let usage = |e: lexopt::Error| UsageError::new(e.to_string(), INVOKE_HELP);
    let mut function = None;
    let mut payload = PayloadSource::None;
    let mut args = InvokeArgs {
        function: String::new(),
        payload: PayloadSource::None,
        region: None,
        endpoint: None,
        qualifier: None,
        namespace: None,
        routing_key: None,
        asynchronous: false,
        log: false,
        action: Action::Invoke,
        timeout: None,
        json: false,
        verbosity: 0,
        network: NetworkArgs::default(),
    };
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help(INVOKE_HELP)),
            Long("payload") => {
                let text = string_value(parser, "--payload", INVOKE_HELP)?;
                set_payload(&mut payload, PayloadSource::Inline(text))?;
            }
            Long("payload-file") => {
                let path = parser.value().map_err(usage)?;
                let source = if path == "-" {
                    PayloadSource::Stdin
                } else {
                    PayloadSource::File(path.into())
                };
                set_payload(&mut payload, source)?;
            }
            Long("region") => args.region = Some(string_value(parser, "--region", INVOKE_HELP)?),
            Long("endpoint") => {
                args.endpoint = Some(string_value(parser, "--endpoint", INVOKE_HELP)?)
            }
            Long("qualifier") => {
                args.qualifier = Some(string_value(parser, "--qualifier", INVOKE_HELP)?)
            }
            Long("namespace") => {
                args.namespace = Some(string_value(parser, "--namespace", INVOKE_HELP)?)
            }
            Long("routing-key") => {
                args.routing_key = Some(string_value(parser, "--routing-key", INVOKE_HELP)?)
            }
            Long("async") => args.asynchronous = true,
            Long("log") => args.log = true,
            Long("json") => args.json = true,
            Long("action") => {
                args.action = match string_value(parser, "--action", INVOKE_HELP)?.as_str() {
                    "Invoke" => Action::Invoke,
                    "InvokeFunction" => Action::InvokeFunction,
                    other => {
                        return Err(UsageError::new(
                            format!("--action must be Invoke or InvokeFunction, got {other:?}"),
                            INVOKE_HELP,
                        ))
                    }
                }
            }
            Long("timeout") => {
                let text = string_value(parser, "--timeout", INVOKE_HELP)?;
                args.timeout = Some(parse_seconds("--timeout", &text, INVOKE_HELP)?);
            }
            Long("retries") => {
                let text = string_value(parser, "--retries", INVOKE_HELP)?;
                match text.parse::<u32>() {
                    Ok(n) if n >= 1 => args.network.retries = Some(n),
                    _ => {
                        return Err(UsageError::new(
                            format!(
                            "--retries must be a whole number of attempts, 1 or more, got {text:?}"
                        ),
                            INVOKE_HELP,
                        ))
                    }
                }
            }
            Long("retry-possibly-executed") => args.network.retry_possibly_executed = true,
            Long("clock-offset") => {
                let text = string_value(parser, "--clock-offset", INVOKE_HELP)?;
                args.network.clock_offset = Some(text.parse().map_err(|_| {
                    UsageError::new(
                        format!("--clock-offset must be whole seconds, got {text:?}"),
                        INVOKE_HELP,
                    )
                })?);
            }
            Long("no-clock-correction") => args.network.no_clock_correction = true,
            Long("proxy") => {
                args.network.proxy = Some(string_value(parser, "--proxy", INVOKE_HELP)?)
            }
            Long("no-env-proxy") => args.network.no_env_proxy = true,
            Long("ca-cert") => args.network.ca_cert = Some(parser.value().map_err(usage)?.into()),
            Long("insecure") => args.network.insecure = true,
            Long("unsigned-payload") => args.network.unsigned_payload = true,
            Short('v') | Long("verbose") => args.verbosity = args.verbosity.saturating_add(1),
            Value(value) if function.is_none() => {
                function = Some(value.into_string().map_err(|v| {
                    UsageError::new(format!("FUNCTION is not valid UTF-8: {v:?}"), INVOKE_HELP)
                })?);
            }
            other => return Err(UsageError::new(other.unexpected().to_string(), INVOKE_HELP)),
        }
    }
    args.function = function.ok_or_else(|| UsageError::new("FUNCTION is required", INVOKE_HELP))?;
    args.payload = payload;
    if args.asynchronous && args.action == Action::InvokeFunction {
        return Err(UsageError::new(
            "--async needs --action Invoke: InvokeFunction is always synchronous",
            INVOKE_HELP,
        ));
    }
    Ok(Command::Invoke(args))
}

fn parse_emulate(parser: &mut lexopt::Parser) -> Result<Command, UsageError> {
    let usage = |e: lexopt::Error| UsageError::new(e.to_string(), EMULATE_HELP);
    let mut args = EmulateArgs {
        listen: "127.0.0.1:9000".to_owned(),
        secret_id: None,
        secret_key: None,
        functions: Vec::new(),
        rate_limit: 20,
        clock_offset: 0,
        function_timeout: Duration::from_secs(30),
        verbosity: 0,
    };
    while let Some(arg) = parser.next().map_err(usage)? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help(EMULATE_HELP)),
            Long("listen") => args.listen = string_value(parser, "--listen", EMULATE_HELP)?,
            Long("secret-id") => {
                args.secret_id = Some(string_value(parser, "--secret-id", EMULATE_HELP)?)
            }
            Long("secret-key") => {
                args.secret_key = Some(string_value(parser, "--secret-key", EMULATE_HELP)?)
            }
            Long("function") => {
                let spec = string_value(parser, "--function", EMULATE_HELP)?;
                let Some((name, command)) = spec.split_once('=') else {
                    return Err(UsageError::new(
                        format!("--function must be NAME=COMMAND, got {spec:?}"),
                        EMULATE_HELP,
                    ));
                };
                if name.is_empty() || command.trim().is_empty() {
                    return Err(UsageError::new(
                        format!("--function needs both a NAME and a COMMAND, got {spec:?}"),
                        EMULATE_HELP,
                    ));
                }
                args.functions.push((name.to_owned(), command.to_owned()));
            }
            Long("rate-limit") => {
                let text = string_value(parser, "--rate-limit", EMULATE_HELP)?;
                args.rate_limit = text.parse().map_err(|_| {
                    UsageError::new(
                        format!("--rate-limit must be a whole number, got {text:?}"),
                        EMULATE_HELP,
                    )
                })?;
            }
            Long("clock-offset") => {
                let text = string_value(parser, "--clock-offset", EMULATE_HELP)?;
                args.clock_offset = text.parse().map_err(|_| {
                    UsageError::new(
                        format!("--clock-offset must be whole seconds, got {text:?}"),
                        EMULATE_HELP,
                    )
                })?;
            }
            Short('v') | Long("verbose") => args.verbosity = args.verbosity.saturating_add(1),
            other => {
                return Err(UsageError::new(
                    other.unexpected().to_string(),
                    EMULATE_HELP,
                ))
            }
        }
    }
    Ok(Command::Emulate(args))
}

fn string_value(
    parser: &mut lexopt::Parser,
    flag: &str,
    help: &'static str,
) -> Result<String, UsageError> {
    let value = parser
        .value()
        .map_err(|e| UsageError::new(e.to_string(), help))?;
    value
        .into_string()
        .map_err(|v| UsageError::new(format!("{flag} is not valid UTF-8: {v:?}"), help))
}

fn set_payload(current: &mut PayloadSource, new: PayloadSource) -> Result<(), UsageError> {
    if *current != PayloadSource::None {
        return Err(UsageError::new(
            "give the event once: --payload or --payload-file, not both",
            INVOKE_HELP,
        ));
    }
    *current = new;
    Ok(())
}

fn parse_seconds(flag: &str, text: &str, help: &'static str) -> Result<Duration, UsageError> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Duration::try_from_secs_f64(secs)
            .map_err(|_| UsageError::new(format!("{flag} {text} is too large"), help)),
        _ => Err(UsageError::new(
            format!("{flag} must be a positive number of seconds, got {text:?}"),
            help,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Command, UsageError> {
        parse(words.iter().map(OsString::from))
    }

    #[test]
    fn invoke_takes_every_option() {
        let Command::Invoke(args) = parse_words(&[
            "invoke",
            "hello",
            "--payload",
            "{}",
            "--region",
            "ap-shanghai",
            "--endpoint",
            "http://127.0.0.1:9000",
            "--qualifier",
            "$LATEST",
            "--namespace",
            "ns",
            "--routing-key",
            "{\"a\":\"b\"}",
            "--async",
            "--log",
            "--timeout",
            "2.5",
            "--json",
            "--unsigned-payload",
            "-vv",
        ])
        .unwrap() else {
            panic!("not an invoke command")
        };
        assert_eq!(args.function, "hello");
        assert_eq!(args.payload, PayloadSource::Inline("{}".into()));
        assert_eq!(args.region.as_deref(), Some("ap-shanghai"));
        assert!(args.asynchronous && args.log && args.json);
        assert!(args.network.unsigned_payload);
        assert_eq!(args.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(args.verbosity, 2);
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        for (words, expected) in [
            (&["invoke"][..], "FUNCTION is required"),
            (
                &["invoke", "f", "--payload", "1", "--payload-file", "x"][..],
                "not both",
            ),
            (
                &["invoke", "f", "--action", "Call"][..],
                "Invoke or InvokeFunction",
            ),
            (
                &["invoke", "f", "--action", "InvokeFunction", "--async"][..],
                "always synchronous",
            ),
            (&["invoke", "f", "--timeout", "0"][..], "positive number"),
            (&["invoke", "f", "--bogus"][..], "bogus"),
            (&["emulate", "--function", "noequals"][..], "NAME=COMMAND"),
            (&["frobnicate"][..], "unknown command"),
            (&[][..], "a command is required"),
        ] {
            let e = parse_words(words).unwrap_err();
            assert!(e.message.contains(expected), "{words:?}: {}", e.message);
        }
    }

    #[test]
    fn payload_file_dash_means_stdin() {
        let Command::Invoke(args) = parse_words(&["invoke", "f", "--payload-file", "-"]).unwrap()
        else {
            panic!("not an invoke command")
        };
        assert_eq!(args.payload, PayloadSource::Stdin);
    }
}
