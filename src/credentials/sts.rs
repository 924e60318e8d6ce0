//! What `AssumeRole` and `AssumeRoleWithWebIdentity` share: the STS
//! settings and their rules, the request, and reading the answer.
//!
//! Both actions are version `2018-08-13` of service `sts`, take a JSON body,
//! and answer
//! `{"Response":{"Credentials":{"Token","TmpSecretId","TmpSecretKey"},"ExpiredTime","Expiration","RequestId"}}`,
//! or the cloud API's error shape `{"Response":{"Error":{"Code","Message"},"RequestId"}}`.

use std::time::Duration;

use super::answer;
use super::http::{HttpClient, Reply};
use super::settings::{FetchSettings, ProxySettings};
use super::Credentials;
use crate::endpoint::{redact_user_info, Endpoint, PlainHttp};
use crate::signer::{self, Payload, SigningParams};
use crate::Error;

pub(crate) const SERVICE: &str = "sts";
pub(crate) const VERSION: &str = "2018-08-13";
pub(crate) const DEFAULT_ENDPOINT: &str = "https://sts.tencentcloudapi.com/";
pub(crate) const DEFAULT_DURATION_SECONDS: u64 = 7200;
/// The longest validity the STS documentation allows.
pub(crate) const MAX_DURATION_SECONDS: u64 = 43_200;
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

const CONTENT_TYPE: &str = "application/json";

/// The endpoint, proxy rule and timeouts both STS providers start from.
/// STS is on the internet, so where the way out is through a proxy it must
/// be reached through it: the providers read the environment's proxy as a
/// client does.
pub(crate) fn settings() -> FetchSettings {
    FetchSettings::new(
        DEFAULT_ENDPOINT,
        ProxySettings::from_environment(),
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_TIMEOUT,
    )
}

/// How an STS request is authorized.
pub(crate) enum Authorization<'a> {
    /// Signed with TC3-HMAC-SHA256, as `AssumeRole` is.
    Signed(&'a Credentials),
    /// `Authorization: SKIP`: `AssumeRoleWithWebIdentity` is authorized by
    /// the web identity token in its body instead.
    Skip,
}

/// One STS call.
pub(crate) struct Call<'a> {
    pub(crate) action: &'static str,
    pub(crate) region: &'a str,
    pub(crate) timestamp: u64,
    pub(crate) body: &'a [u8],
    pub(crate) authorization: Authorization<'a>,
}

/// Sends `call` to `endpoint` and reads the credentials it answers with.
pub(crate) fn send(
    http: &HttpClient,
    endpoint: &Endpoint,
    call: &Call<'_>,
) -> Result<Credentials, Error> {
    let timestamp = call.timestamp.to_string();

    // Step 1: the Authorization header.
    let authorization = match call.authorization {
        Authorization::Signed(credentials) => {
            let timestamp = i64::try_from(call.timestamp).unwrap_or(i64::MAX);
            let signed = signer::sign(&SigningParams {
                secret_id: credentials.secret_id(),
                secret_key: credentials.secret_key(),
                service: SERVICE,
                host: &endpoint.host,
                method: "POST",
                query: "",
                content_type: CONTENT_TYPE,
                headers: &[],
                payload: Payload::Bytes(call.body),
                timestamp,
            })?;
            signed.authorization().to_owned()
        }
        Authorization::Skip => "SKIP".to_owned(),
    };

    // Step 2: the cloud API's common parameters, as headers. The host is
    // set explicitly so that the one sent is the one signed.
    let mut headers = vec![
        ("Authorization", authorization.as_str()),
        ("Content-Type", CONTENT_TYPE),
        ("Host", endpoint.host.as_str()),
        ("X-TC-Action", call.action),
        ("X-TC-Version", VERSION),
        ("X-TC-Timestamp", timestamp.as_str()),
        ("X-TC-Region", call.region),
    ];
    if let Authorization::Signed(credentials) = call.authorization {
        if let Some(token) = credentials.token() {
            headers.push(("X-TC-Token", token));
        }
    }

    // Step 3: send, and read the answer.
    let reply = http.post(&endpoint.url, &headers, call.body)?;
    read_answer(call.action, &reply)
}

/// Reads an STS answer: the credentials, or the error the service gave.
pub(crate) fn read_answer(action: &str, reply: &Reply) -> Result<Credentials, Error> {
    let what = format!("the {action} answer");

    // A gateway in front of the service answers errors with its own status
    // and an HTML page; the service itself answers 200 even for errors.
    if reply.status != 200 {
        return Err(match serde_json::from_slice(&reply.body) {
            Ok(value) if answer::walk(&value, &["Response", "Error"]).is_some() => {
                service_error(&what, &value, &reply.body)
            }
            _ => Error::http_status(reply.status, &reply.body),
        });
    }

    let value = answer::parse_json(&what, reply)?;
    if answer::walk(&value, &["Response", "Error"]).is_some() {
        return Err(service_error(&what, &value, &reply.body));
    }
    let id = answer::string_field(&what, &value, &["Response", "Credentials", "TmpSecretId"])?;
    let key = answer::string_field(&what, &value, &["Response", "Credentials", "TmpSecretKey"])?;
    let token = answer::string_field(&what, &value, &["Response", "Credentials", "Token"])?;
    let expiry = answer::unix_time_field(&what, &value, &["Response", "ExpiredTime"])?;
    if let Some(request_id) = answer::optional_string(&value, &["Response", "RequestId"]) {
        log::debug!("{action} succeeded, request id {request_id}");
    }
    Ok(Credentials::new(id, key)
        .with_token(token)
        .with_expiry(expiry))
}

/// The service's `Response.Error`; an error answer holds no credentials, so
/// its body may be kept when it is malformed.
fn service_error(what: &str, value: &serde_json::Value, body: &[u8]) -> Error {
    let Some(code) = answer::optional_string(value, &["Response", "Error", "Code"]) else {
        return Error::invalid_response(format!("{what} has an Error without a Code"), body);
    };
    let message =
        answer::optional_string(value, &["Response", "Error", "Message"]).unwrap_or_default();
    let request_id = answer::optional_string(value, &["Response", "RequestId"]);
    Error::service(code, message, request_id)
}

/// Checks an STS endpoint: https (plain http only for a loopback test
/// server), and the root path, the only one a TC3 signature covers.
pub(crate) fn endpoint(url: &str) -> Result<Endpoint, Error> {
    let endpoint = Endpoint::parse_with_path(url, PlainHttp::LoopbackOnly)?;
    if !endpoint.is_root() {
        return Err(Error::invalid_input(
            "endpoint",
            format!(
                "{:?} must have no path: STS requests are sent to /",
                redact_user_info(url)
            ),
        ));
    }
    Ok(endpoint)
}

/// `RoleArn`: the documentation's forms all start `qcs::cam::`, such as
/// `qcs::cam::uin/12345678:roleName/testRoleName`.
pub(crate) fn check_role_arn(role_arn: &str) -> Result<(), Error> {
    if !role_arn.starts_with("qcs::cam::") || role_arn.len() == "qcs::cam::".len() {
        return Err(Error::invalid_input(
            "RoleArn",
            "must be a role's resource description, such as \
             qcs::cam::uin/12345678:roleName/testRoleName",
        ));
    }
    if role_arn
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::invalid_input(
            "RoleArn",
            "must not contain whitespace or control characters",
        ));
    }
    Ok(())
}

/// `RoleSessionName`: 2 to 128 characters of `[\w+=,.@-]`, as documented.
pub(crate) fn check_session_name(name: &str) -> Result<(), Error> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b);
    if !(2..=128).contains(&name.len()) || !name.bytes().all(allowed) {
        return Err(Error::invalid_input(
            "RoleSessionName",
            "must be 2 to 128 characters of letters, digits and _+=,.@-",
        ));
    }
    Ok(())
}

/// `DurationSeconds`: the documentation gives a maximum of 43200 and no
/// minimum beyond the credentials having to last at all.
pub(crate) fn check_duration(seconds: u64) -> Result<(), Error> {
    if !(1..=MAX_DURATION_SECONDS).contains(&seconds) {
        return Err(Error::invalid_input(
            "DurationSeconds",
            format!("must be from 1 to {MAX_DURATION_SECONDS} seconds, got {seconds}"),
        ));
    }
    Ok(())
}

/// `Region`: a region name such as `ap-guangzhou`.
pub(crate) fn check_region(region: &str) -> Result<(), Error> {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    if region.is_empty() || !region.bytes().all(allowed) {
        return Err(Error::invalid_input(
            "Region",
            "must be a region name such as ap-guangzhou: lowercase letters, digits and '-'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_successful_answer_gives_expiring_credentials() {
        let creds = read_answer(
            "AssumeRole",
            &reply(
                200,
                r#"{"Response":{"Credentials":{"Token":"tok","TmpSecretId":"AKIDtmp",
                "TmpSecretKey":"key"},"ExpiredTime":1700007200,"Expiration":"2023-11-15T00:13:20Z",
                "RequestId":"r-1"}}"#,
            ),
        )
        .unwrap();
        assert_eq!(creds.secret_id(), "AKIDtmp");
        assert_eq!(creds.token(), Some("tok"));
        assert_eq!(
            creds.expiry(),
            Some(std::time::UNIX_EPOCH + Duration::from_secs(1_700_007_200))
        );
    }

    #[test]
    fn an_error_answer_is_a_service_error_with_its_request_id() {
        let e = read_answer(
            "AssumeRole",
            &reply(
                200,
                r#"{"Response":{"Error":{"Code":"InvalidParameter.RoleNotExist",
                "Message":"role not exist"},"RequestId":"r-2"}}"#,
            ),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Service);
        assert_eq!(e.code(), Some("InvalidParameter.RoleNotExist"));
        assert_eq!(e.message(), Some("role not exist"));
        assert_eq!(e.request_id(), Some("r-2"));
    }

    #[test]
    fn a_gateway_error_page_is_an_http_status_error() {
        let e = read_answer("AssumeRole", &reply(502, "<html>bad gateway</html>")).unwrap_err();
        assert_eq!(e.status(), Some(502));
        assert_eq!(e.body_excerpt(), Some("<html>bad gateway</html>"));
    }

    #[test]
    fn a_missing_field_is_named() {
        let e = read_answer(
            "AssumeRole",
            &reply(
                200,
                r#"{"Response":{"Credentials":{"Token":"t","TmpSecretId":"AKID"}}}"#,
            ),
        )
        .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidResponse);
        assert!(
            e.to_string()
                .contains("Response.Credentials.TmpSecretKey is missing"),
            "{e}"
        );
    }

    #[test]
    fn settings_are_checked_against_the_documented_rules() {
        assert!(check_role_arn("qcs::cam::uin/1:roleName/r").is_ok());
        for bad in [
            "",
            "qcs::cam::",
            "arn:aws:iam::1:role/r",
            "qcs::cam::uin/1:roleName/a b",
        ] {
            assert_eq!(
                check_role_arn(bad).unwrap_err().field(),
                Some("RoleArn"),
                "{bad:?}"
            );
        }
        assert!(check_session_name("ab").is_ok());
        assert!(check_session_name(&"a".repeat(128)).is_ok());
        assert!(check_session_name("user+x=y,z.w@q-_").is_ok());
        for bad in [
            "a".to_owned(),
            "a".repeat(129),
            "with space".to_owned(),
            "é12".to_owned(),
        ] {
            assert_eq!(
                check_session_name(&bad).unwrap_err().field(),
                Some("RoleSessionName")
            );
        }
        assert!(check_duration(1).is_ok() && check_duration(43_200).is_ok());
        assert_eq!(
            check_duration(0).unwrap_err().field(),
            Some("DurationSeconds")
        );
        assert_eq!(
            check_duration(43_201).unwrap_err().field(),
            Some("DurationSeconds")
        );
        assert!(check_region("ap-guangzhou").is_ok());
        assert_eq!(check_region("").unwrap_err().field(), Some("Region"));
        assert_eq!(check_region("AP_GZ").unwrap_err().field(), Some("Region"));
    }

    #[test]
    fn sts_endpoints_must_have_the_root_path() {
        assert!(endpoint("https://sts.tencentcloudapi.com").is_ok());
        assert!(endpoint("https://sts.tencentcloudapi.com/v1/").is_err());
        assert!(endpoint("http://sts.tencentcloudapi.com/").is_err());
    }
}
