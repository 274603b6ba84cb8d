//! ZStack's error object, what its codes mean to a caller, and the errors of refused
//! credentials.

use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{HttpResponse, snippet};

/// `IdentityErrors.INVALID_SESSION`: the session is unknown or expired.
pub const INVALID_SESSION_CODE: &str = "ID.1001";
/// `IdentityErrors.AUTHENTICATION_ERROR`: wrong account name or password.
pub const AUTHENTICATION_ERROR_CODE: &str = "ID.1000";

/// The message for rejected AccessKey requests.
pub const ACCESS_KEY_REJECTED: &str = "ZStack rejected the AccessKey: check access_key_id, \
     access_key_secret (and that the key is enabled) and the machine clock";

/// ZStack's error object (`{"error": {"code", "description", "details", ...}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZStackError {
    pub code: String,
    pub description: String,
    pub details: String,
}

impl ZStackError {
    /// `description: details`, leaving out empty or repeated parts.
    pub fn message(&self) -> String {
        let description = self.description.trim();
        let details = self.details.trim();
        match (description.is_empty(), details.is_empty()) {
            (true, true) => String::new(),
            (false, true) => description.to_owned(),
            (true, false) => details.to_owned(),
            (false, false) if details.contains(description) => details.to_owned(),
            (false, false) => format!("{description}: {details}"),
        }
    }
}

/// Parses `{"error": {...}}` (also a bare `{"code", "description", ...}` object). `None` when the
/// body carries neither a code nor a description.
pub fn parse_error_body(body: &[u8]) -> Option<ZStackError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let top = value.as_object()?;
    let obj = match top.get("error") {
        Some(serde_json::Value::Object(inner)) => inner,
        _ => top,
    };
    let text = |key: &str| match obj.get(key) {
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Object(_)) | Some(serde_json::Value::Array(_)) => {
            obj.get(key).map(|v| v.to_string()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let error = ZStackError { code: text("code"), description: text("description"), details: text("details") };
    if error.code.is_empty() && error.description.is_empty() && error.details.is_empty() {
        return None;
    }
    Some(error)
}

/// Maps a ZStack error code and HTTP status to what the caller should do. Codes win over the
/// status.
pub fn classify_error(status: u16, code: &str) -> ErrorKind {
    match code {
        // Identity: invalid session, wrong password, permission denied, disabled account, …
        c if c.starts_with("ID.") => return ErrorKind::Auth,
        // "Management server is not ready to serve": refused before anything was processed, so
        // always safe to send again, also for submissions. ZStack publishes no rate limit; this
        // is what a busy or starting management node answers.
        "SYS.1010" => return ErrorKind::Throttled,
        // Internal, timeout, no route, undeliverable, management node unavailable.
        "SYS.1000" | "SYS.1001" | "SYS.1009" | "SYS.1011" | "SYS.1012" => {
            return ErrorKind::Transient;
        }
        "SYS.1003" => return ErrorKind::NotFound,
        // Invalid argument, unknown message, no capability, unimplemented.
        "SYS.1007" | "SYS.1008" | "SYS.1013" | "SYS.1014" => return ErrorKind::Invalid,
        _ => {}
    }
    match status {
        429 => ErrorKind::Throttled,
        500..=599 => ErrorKind::Transient,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        401 | 403 => ErrorKind::Auth,
        400 | 405 | 406 | 411 | 413 | 414 | 415 | 422 => ErrorKind::Invalid,
        _ => ErrorKind::Other,
    }
}

/// Whether `e` is ZStack's invalid/expired-session error, which a fresh login can cure.
pub fn is_invalid_session(e: &CloudError) -> bool {
    e.cloud == Cloud::ZStack && e.code.as_deref() == Some(INVALID_SESSION_CODE)
}

/// Which credential a request carried, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// The login itself.
    None,
    Session,
    AccessKey,
}

/// Turns a non-2xx answer (other than a job result) into a [`CloudError`].
///
/// A refused credential is reported as `Auth` with a message naming the credential: the REST
/// layer answers AccessKey problems with 400 / 403 and a plain-text reason (`Invalid authKey
/// format`, `wrong accessKey signature`, `requestTimeTooSkewed`, …), which some servers wrap in an
/// error object.
pub(crate) fn decode_error(
    action: &str,
    host: &str,
    status: u16,
    body: &[u8],
    credential: CredentialKind,
) -> CloudError {
    let parsed = parse_error_body(body);
    let (code, text) = match &parsed {
        Some(err) => (err.code.as_str(), err.message()),
        None => ("", snippet(body)),
    };
    let lower = text.to_ascii_lowercase();
    let mentions_credentials =
        ["authkey", "accesskey", "access key", "authorization", "'date'", "signature", "timetooskewed"]
            .iter()
            .any(|needle| lower.contains(needle));
    // Session and permission errors keep their own meaning.
    let credential_refused = credential != CredentialKind::None
        && !matches!(code, INVALID_SESSION_CODE | "ID.1002")
        && (matches!(status, 401 | 403)
            || (matches!(status, 400 | 503) && mentions_credentials)
            || (code == AUTHENTICATION_ERROR_CODE));
    let kind = if credential_refused {
        ErrorKind::Auth
    } else if parsed.is_none() && status == 404 {
        // "no api mapping to …": a wrong endpoint or path, not a missing object.
        ErrorKind::Invalid
    } else {
        classify_error(status, code)
    };
    let message = match (credential_refused, credential) {
        (true, CredentialKind::AccessKey) => {
            format!("{ACCESS_KEY_REJECTED} (HTTP {status}: {text})")
        }
        (true, _) => {
            format!("ZStack rejected the session of the account login (HTTP {status}: {text})")
        }
        _ if parsed.is_none() && status == 404 => format!(
            "HTTP 404 from {host}: {text} (no ZStack API at this path: the endpoint must be the \
             management node's base URL, e.g. http://10.0.0.5:8080)"
        ),
        _ if parsed.is_none() => format!("HTTP {status} from {host}: {text}"),
        _ if text.is_empty() => format!("HTTP {status} from {host}"),
        _ => text,
    };
    let mut e = CloudError::new(kind, Cloud::ZStack, action, message).with_http_status(status);
    if !code.is_empty() {
        e = e.with_code(code);
    }
    e
}

/// An error for a call refused before sending.
pub(crate) fn invalid(action: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::ZStack, action, message)
}

pub(super) fn unexpected(action: &str, host: &str, resp: &HttpResponse, what: &str) -> CloudError {
    CloudError::new(
        ErrorKind::Other,
        Cloud::ZStack,
        action,
        format!("unexpected response from {host} (HTTP {}): {what}: {}", resp.status, snippet(&resp.body)),
    )
    .with_http_status(resp.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str, credential: CredentialKind) -> CloudError {
        decode_error("Act", "h:8080", status, body.as_bytes(), credential)
    }

    #[test]
    fn error_classification() {
        use ErrorKind::*;
        let cases = [
            (503, "ID.1001", Auth),
            (503, "ID.1000", Auth),
            (503, "ID.1002", Auth),
            (503, "SYS.1000", Transient),
            (503, "SYS.1012", Transient),
            (503, "SYS.1010", Throttled),
            (503, "SYS.1003", NotFound),
            (503, "SYS.1007", Invalid),
            (503, "SYS.1006", Transient),
            (400, "", Invalid),
            (405, "", Invalid),
            (401, "", Auth),
            (403, "", Auth),
            (404, "", NotFound),
            (409, "", Conflict),
            (429, "", Throttled),
            (500, "", Transient),
            (502, "", Transient),
            (418, "", Other),
        ];
        for (status, code, kind) in cases {
            assert_eq!(classify_error(status, code), kind, "{status} {code}");
        }
    }

    #[test]
    fn error_bodies() {
        let e = err(
            503,
            r#"{"error":{"code":"SYS.1006","description":"An operation failed","details":"the organization is being deleted","elaboration":null,"opaque":null,"cause":null}}"#,
            CredentialKind::Session,
        );
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code.as_deref(), Some("SYS.1006"));
        assert_eq!(e.http_status, Some(503));
        assert_eq!(
            e.to_string(),
            "ZStack Act failed: SYS.1006: An operation failed: the organization is being deleted"
        );

        let e = err(
            503,
            r#"{"error":{"code":"ID.1001","description":"Session expired","details":null}}"#,
            CredentialKind::Session,
        );
        assert!(is_invalid_session(&e));
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.message, "Session expired");

        // AccessKey refusals are plain text from the REST layer.
        for (status, text) in [
            (400, "Invalid authKey format"),
            (403, "access key id: AK1 does not existed or disabled"),
            (403, "wrong accessKey signature"),
            (403, "requestTimeTooSkewed"),
            (400, "'Date' format error, correct format is 'EEE, dd MMM yyyy HH:mm:ss z'"),
        ] {
            let e = err(status, text, CredentialKind::AccessKey);
            assert_eq!(e.kind, ErrorKind::Auth, "{text}");
            assert!(e.message.starts_with(ACCESS_KEY_REJECTED), "{e}");
            assert!(e.message.contains(text), "{e}");
            assert!(e.message.contains("access_key_id"), "{e}");
        }
        // The same 400 without credentials involved is just a bad request.
        assert_eq!(err(400, "Invalid query parameter", CredentialKind::AccessKey).kind, ErrorKind::Invalid);
        let e = err(401, "unauthorized", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("session"), "{e}");

        // A plain 404 is a routing problem; a JSON 404 a missing object.
        let e = err(404, "no api mapping to /v1/x", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("base URL"), "{e}");
        let e = err(404, r#"{"error":{"code":"SYS.1003","description":"not found"}}"#, CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::NotFound);

        let e = err(502, "<html>Bad Gateway</html>", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code, None);
        assert!(e.message.contains("HTTP 502 from h:8080"), "{e}");
        assert!(err(500, "", CredentialKind::Session).message.contains("empty body"));

        let parsed = parse_error_body(br#"{"code":"X.1","description":"d","details":"d and more"}"#).unwrap();
        assert_eq!(parsed.message(), "d and more");
        assert_eq!(parse_error_body(b"{}"), None);
        assert_eq!(parse_error_body(b"[1]"), None);
        assert_eq!(
            ZStackError { code: "C".into(), description: "".into(), details: "only details".into() }.message(),
            "only details"
        );
    }
}
