//! Huawei Cloud errors: an HTTP status and `{"error_code","error_msg","request_id"}`.

use std::fmt;

/// Error codes the emulator answers (see emulator/README.md for which API returns which).
pub mod codes {
    /// API gateway: no such API (unknown path or method).
    pub const API_NOT_FOUND: &str = "APIGW.0101";
    /// API gateway: AK/SK authentication failed (HTTP 401).
    pub const AUTH_FAILED: &str = "APIGW.0301";
    /// API gateway: throttled (HTTP 429).
    pub const THROTTLED: &str = "APIG.0308";

    pub const ORG_BAD_REQUEST: &str = "Organizations.400";
    pub const ORG_NOT_FOUND: &str = "Organizations.404";
    /// 401: the API is for the management account only.
    pub const ORG_MANAGEMENT_ONLY: &str = "Organizations.1001";
    /// 401: the API is for the management account or a delegated administrator only.
    pub const ORG_MANAGEMENT_OR_DELEGATE_ONLY: &str = "Organizations.1002";
    /// 403: "Policy doesn't allow '{0}' to be performed" (the management account leaving).
    pub const ORG_NOT_ALLOWED: &str = "Organizations.1007";
    /// 401: the caller belongs to no organization.
    pub const ORG_NOT_IN_ORGANIZATION: &str = "Organizations.1015";

    pub const RGC_BAD_REQUEST: &str = "RGC.400";
    pub const RGC_FORBIDDEN: &str = "RGC.403";
    pub const RGC_NOT_FOUND: &str = "RGC.404";
    pub const RGC_CONFLICT: &str = "RGC.409";
    pub const RGC_ALREADY_ENROLLED: &str = "RGC.1202";

    pub const IC_BAD_REQUEST: &str = "IdentityCenter.400";
    pub const IC_NOT_FOUND: &str = "IdentityCenter.404";
    /// 403: access denied (not the management account).
    pub const IC_ACCESS_DENIED: &str = "IdentityCenter.1001";
    /// 409: a conflicting operation is in progress (retryable).
    pub const IC_CONFLICT: &str = "IdentityCenter.1006";
    /// 409: the modification failed because the assignment already exists.
    pub const IC_ALREADY_EXISTS: &str = "IdentityCenter.1007";
    /// 404: the permission set does not exist.
    pub const IC_PERMISSION_SET_NOT_FOUND: &str = "IdentityCenter.1205";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl HwError {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        HwError { status, code: code.into(), message: message.into() }
    }

    /// The API gateway's 401; `detail` says what failed and never contains a secret.
    pub fn auth(detail: impl fmt::Display) -> Self {
        Self::new(
            401,
            codes::AUTH_FAILED,
            format!("Incorrect IAM authentication information: verify aksk signature fail, {detail}"),
        )
    }

    pub fn throttled(limit: u32) -> Self {
        Self::new(
            429,
            codes::THROTTLED,
            format!(
                "The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 second"
            ),
        )
    }

    pub fn api_not_found() -> Self {
        Self::new(404, codes::API_NOT_FOUND, "The API does not exist or has not been published in the environment")
    }
}

impl fmt::Display for HwError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for HwError {}
