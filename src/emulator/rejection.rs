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
    pub const AUTH_INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    pub const AUTH_SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    pub const AUTH_SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    pub const AUTH_SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    pub const AUTH_TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    pub const INVALID_ACTION: &str = "InvalidAction";
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    pub const INVALID_PARAMETER_VALUE: &str = "InvalidParameterValue";
    pub const INVALID_PARAMETER_VALUE_FUNCTION_NAME: &str = "InvalidParameterValue.FunctionName";
    pub const INVALID_PARAMETER_VALUE_PARAM: &str = "InvalidParameterValue.Param";
    pub const INVALID_REQUEST: &str = "InvalidRequest";
    pub const LIMIT_EXCEEDED: &str = "LimitExceeded";
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    pub const REQUEST_TOO_LARGE: &str = "InvalidParameter.RequestTooLarge";
    pub const RESOURCE_NOT_FOUND_FUNCTION_NAME: &str = "ResourceNotFound.FunctionName";
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    pub const UNSUPPORTED_PROTOCOL: &str = "UnsupportedProtocol";
}
