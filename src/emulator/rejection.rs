//! A request the emulator refused, as the service would word it.

use std::fmt;

/// A refusal: the service's error code and a message, as they appear in
/// `{"Response":{"Error":{"Code":..,"Message":..},"RequestId":..}}`.
///
/// The codes are the service's own (`AuthFailure.SignatureFailure`,
/// `ResourceNotFound.FunctionName`, ...), so a client under test sees exactly
/// what it would see from Tencent Cloud. The messages are the emulator's own
/// words; they never contain a secret key, a token or a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    code: &'static str,
    message: String,
}

impl Rejection {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection {
            code,
            message: message.into(),
        }
    }

    /// The service's error code, such as `"AuthFailure.SignatureFailure"`.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The error codes the emulator answers with, spelled as the service spells
/// them. Kept in one place so that a typo cannot invent a new code.
pub(crate) mod code {
    pub(crate) const AUTH_INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    pub(crate) const AUTH_SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    pub(crate) const AUTH_SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    pub(crate) const AUTH_SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    pub(crate) const AUTH_TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    pub(crate) const INVALID_ACTION: &str = "InvalidAction";
    pub(crate) const INVALID_PARAMETER: &str = "InvalidParameter";
    pub(crate) const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    pub(crate) const INVALID_PARAMETER_VALUE_FUNCTION_NAME: &str =
        "InvalidParameterValue.FunctionName";
    pub(crate) const INVALID_PARAMETER_VALUE_PARAM: &str = "InvalidParameterValue.Param";
    pub(crate) const INVALID_REQUEST: &str = "InvalidRequest";
    pub(crate) const LIMIT_EXCEEDED: &str = "LimitExceeded";
    pub(crate) const MISSING_PARAMETER: &str = "MissingParameter";
    pub(crate) const NO_SUCH_VERSION: &str = "NoSuchVersion";
    pub(crate) const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    pub(crate) const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    pub(crate) const REQUEST_TOO_LARGE: &str = "InvalidParameter.RequestTooLarge";
    pub(crate) const RESOURCE_NOT_FOUND_FUNCTION_NAME: &str = "ResourceNotFound.FunctionName";
    pub(crate) const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    pub(crate) const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
}
