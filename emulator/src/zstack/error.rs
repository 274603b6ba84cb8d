//! ZStack errors: an HTTP status and `{"error":{code, description, details, elaboration, opaque,
//! cause}}`.
//!
//! ZStack's `ErrorCode` carries a registered, generic `description` per code (from the management
//! node's `conf/errorCodes/*.xml`) and the specific message in `details`; the emulator follows that,
//! except for injected faults, whose `message` is both the description and the details.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Error codes the emulator answers (see emulator/README.md for which call returns which).
pub mod codes {
    /// `SysErrors.INTERNAL`.
    pub const INTERNAL: &str = "SYS.1000";
    /// `SysErrors.RESOURCE_NOT_FOUND`: an unknown project / organization uuid, an unknown job.
    pub const RESOURCE_NOT_FOUND: &str = "SYS.1003";
    /// `SysErrors.OPERATION_ERROR`: the default code of an `async_fail` fault.
    pub const OPERATION_ERROR: &str = "SYS.1006";
    /// `SysErrors.INVALID_ARGUMENT_ERROR`: bad parameters, bad query conditions, a project that
    /// is already attached to another organization, REST-layer 400s.
    pub const INVALID_ARGUMENT: &str = "SYS.1007";
    /// `SysErrors.UNKNOWN_MESSAGE_ERROR`: no API at that path (404) or with that method (405).
    pub const UNKNOWN_MESSAGE: &str = "SYS.1008";
    /// `SysErrors.NOT_READY_ERROR`: the emulator's answer to a `throttle` fault (ZStack publishes
    /// no rate limit).
    pub const NOT_READY: &str = "SYS.1010";
    /// `SysErrors.UNIMPLEMENTED_OPERATION_ERROR`: a query feature the emulator does not emulate.
    pub const UNIMPLEMENTED: &str = "SYS.1014";
    /// `IdentityErrors.AUTHENTICATION_ERROR`: wrong account name or password; AccessKey 403s.
    pub const AUTHENTICATION: &str = "ID.1000";
    /// `IdentityErrors.INVALID_SESSION`: unknown, logged-out or expired session.
    pub const INVALID_SESSION: &str = "ID.1001";
}

/// The registered description of a code (ZStack's `conf/errorCodes/sys.xml` and `identity.xml`).
pub fn registered_description(code: &str) -> Option<&'static str> {
    Some(match code {
        "SYS.1000" => "An internal error happened in system",
        "SYS.1001" => "A message or a operation timeout",
        "SYS.1002" => "Unable to create a resource",
        "SYS.1003" => "A resource can not be found",
        "SYS.1004" => "Unable to delete a resource",
        "SYS.1005" => "Unable to change resource state",
        "SYS.1006" => "An operation failed",
        "SYS.1007" => "One or more API argument is invalid",
        "SYS.1008" => "Unknown message, no service can deal with the message",
        "SYS.1009" => "No route for message",
        "SYS.1010" => "Management server is not ready to serve",
        "SYS.1012" => "The management node is unavailable",
        "SYS.1014" => "The operation is not implemented or not supported yet",
        "ID.1000" => "Unable to authenticate a user",
        "ID.1001" => "The session is invalid, either wrong session id or the session has been expired",
        "ID.1002" => "The user doesn't have permission to perform the operation",
        _ => return None,
    })
}

/// The `error` object of a ZStack answer (also stored in failed jobs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: String,
    pub description: String,
    pub details: String,
}

impl ErrorObject {
    /// An error with the code's registered description and `details`.
    pub fn new(code: &str, details: impl Into<String>) -> Self {
        let details = details.into();
        ErrorObject {
            code: code.to_owned(),
            description: registered_description(code).map(str::to_owned).unwrap_or_else(|| details.clone()),
            details,
        }
    }

    /// An injected fault's error: its message is the description and the details.
    pub fn injected(code: String, message: String) -> Self {
        ErrorObject { code, description: message.clone(), details: message }
    }

    /// `{"error":{…}}` with the fields ZStack always serialises.
    pub fn body(&self) -> Value {
        json!({
            "error": {
                "code": self.code,
                "description": self.description,
                "details": self.details,
                "elaboration": null,
                "opaque": null,
                "cause": null,
            }
        })
    }
}

/// An error answered right away: HTTP status plus the error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZsError {
    pub status: u16,
    pub error: ErrorObject,
}

impl ZsError {
    pub fn new(status: u16, code: &str, details: impl Into<String>) -> Self {
        ZsError { status, error: ErrorObject::new(code, details) }
    }

    /// A REST-layer 400 (bad header, bad query syntax, bad body). A real management node answers
    /// these with the bare text; the emulator wraps the same text in the error object.
    pub fn bad_request(details: impl Into<String>) -> Self {
        Self::new(400, codes::INVALID_ARGUMENT, details)
    }

    /// A failed synchronous API call: HTTP 503 with the error, like `RestServer.sendReplyResponse`.
    pub fn failed(code: &str, details: impl Into<String>) -> Self {
        Self::new(503, code, details)
    }

    pub fn invalid_argument(details: impl Into<String>) -> Self {
        Self::failed(codes::INVALID_ARGUMENT, details)
    }

    pub fn invalid_session() -> Self {
        Self::failed(codes::INVALID_SESSION, SESSION_EXPIRED)
    }

    /// An AccessKey rejection (HTTP 403).
    pub fn forbidden(details: impl Into<String>) -> Self {
        Self::new(403, codes::AUTHENTICATION, details)
    }

    pub fn code(&self) -> &str {
        &self.error.code
    }
}

/// The details of the invalid-session error (`AccountManagerImpl`: "Session expired").
pub const SESSION_EXPIRED: &str = "Session expired";

impl fmt::Display for ZsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error.code, self.error.details)
    }
}

impl std::error::Error for ZsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_registered_description_and_the_details() {
        let err = ZsError::invalid_session();
        assert_eq!(err.status, 503);
        assert_eq!(
            err.error.body(),
            json!({"error": {
                "code": "ID.1001",
                "description": "The session is invalid, either wrong session id or the session has been expired",
                "details": "Session expired",
                "elaboration": null, "opaque": null, "cause": null,
            }})
        );
        let unknown = ErrorObject::new("X.1", "why");
        assert_eq!((unknown.description.as_str(), unknown.details.as_str()), ("why", "why"));
        let injected = ErrorObject::injected("SYS.1006".into(), "boom".into());
        assert_eq!(injected.description, "boom");
    }
}
