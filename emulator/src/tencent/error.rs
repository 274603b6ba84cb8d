//! Tencent Cloud API 3.0 errors: `{"Response":{"Error":{"Code","Message"},"RequestId"}}`, always
//! with HTTP 200 (the official SDKs treat any other status as a network error).

use std::fmt;

pub mod codes {
    pub const INVALID_AUTHORIZATION: &str = "AuthFailure.InvalidAuthorization";
    pub const SECRET_ID_NOT_FOUND: &str = "AuthFailure.SecretIdNotFound";
    pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
    pub const SIGNATURE_FAILURE: &str = "AuthFailure.SignatureFailure";
    pub const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";
    pub const NO_SUCH_VERSION: &str = "NoSuchVersion";
    pub const INVALID_ACTION: &str = "InvalidAction";
    pub const MISSING_PARAMETER: &str = "MissingParameter";
    pub const INVALID_PARAMETER: &str = "InvalidParameter";
    pub const UNKNOWN_PARAMETER: &str = "UnknownParameter";
    pub const REQUEST_LIMIT_EXCEEDED: &str = "RequestLimitExceeded";
    /// Tencent's common error for a request larger than the API accepts.
    pub const REQUEST_SIZE_LIMIT_EXCEEDED: &str = "RequestSizeLimitExceeded";
    pub const INTERNAL_ERROR: &str = "InternalError";
    pub const MEMBER_NOT_EXIST: &str = "ResourceNotFound.MemberNotExist";
    pub const MEMBER_POLICY_NOT_EXIST: &str = "ResourceNotFound.MemberPolicyNotExist";
    pub const SUB_ACCOUNT_NOT_EXIST: &str = "FailedOperation.SubAccountNotExist";
    pub const SUB_ACCOUNT_IDENTITY_EXIST: &str = "FailedOperation.SubAccountIdentityExist";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcError {
    pub code: String,
    pub message: String,
}

impl TcError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        TcError { code: code.into(), message: message.into() }
    }

    pub fn missing(parameter: &str) -> Self {
        Self::new(codes::MISSING_PARAMETER, format!("The request is missing a required parameter `{parameter}`."))
    }

    pub fn invalid(parameter: &str, why: impl fmt::Display) -> Self {
        Self::new(codes::INVALID_PARAMETER, format!("Invalid parameter `{parameter}`: {why}."))
    }

    pub fn unknown(parameter: &str) -> Self {
        Self::new(codes::UNKNOWN_PARAMETER, format!("The parameter `{parameter}` is not recognized."))
    }

    pub fn rate_limited(attempted: u32, limit: u32) -> Self {
        Self::new(
            codes::REQUEST_LIMIT_EXCEEDED,
            format!(
                "Your current request times equals to {attempted} in a second, which exceeds the frequency \
                 limit {limit} for a second, please reduce the frequency of calls."
            ),
        )
    }
}

impl fmt::Display for TcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for TcError {}
