//! Huawei's error envelope, what its codes mean to a caller, and the errors of calls refused
//! before sending.

use reqwest::header::{HeaderMap, HeaderName};

use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::snippet;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The message for a rejected signature (`APIGW.0301`).
pub const SIGNATURE_REJECTED: &str = "Huawei Cloud rejected the request signature: check access_key, \
     secret_key, security_token and the machine clock";

/// Maps a Huawei error code and HTTP status to what the caller should do. Specific codes win
/// over the status.
pub fn classify_error(status: u16, code: &str) -> ErrorKind {
    match code {
        "APIGW.0301" | "APIG.0301" => return ErrorKind::Auth,
        "APIGW.0308" | "APIG.0308" => return ErrorKind::Throttled,
        // "The API does not exist or has not been published": a wrong endpoint or path, which
        // must not read as "the object is gone".
        "APIGW.0101" | "APIG.0101" => return ErrorKind::Invalid,
        // The account is in no organization (sent as 401).
        "Organizations.1015" => return ErrorKind::NotFound,
        // "A required header is missing" (sent as 404).
        "Organizations.1010" => return ErrorKind::Invalid,
        // Concurrent modification (409), documented as retryable.
        "Organizations.1003" | "IdentityCenter.1006" | "IIC.1006" => {
            return ErrorKind::Transient;
        }
        "IdentityCenter.1002" | "IIC.1002" => return ErrorKind::NotFound,
        c if c.ends_with(".404") => return ErrorKind::NotFound,
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

/// The fields of a Huawei error body that matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub has_encoded_authorization_message: bool,
}

/// Parses `{"error_code","error_msg","request_id","encoded_authorization_message"?,"details"?}`,
/// also `errorCode/errorMsg`, `code/message` and an `{"error":{...}}` wrapper. `None` when the
/// body is not a JSON object carrying any of those.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let top = value.as_object()?;
    let text = |obj: &serde_json::Map<String, serde_json::Value>, keys: &[&str]| {
        keys.iter().find_map(|k| match obj.get(*k)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    const CODE: &[&str] = &["error_code", "errorCode", "code"];
    const MESSAGE: &[&str] = &["error_msg", "errorMsg", "message"];
    const REQUEST_ID: &[&str] = &["request_id", "requestId"];
    let mut objects = vec![top];
    if let Some(inner) = top.get("error").and_then(|e| e.as_object()) {
        objects.push(inner);
    }
    let mut out = ErrorBody::default();
    for obj in &objects {
        out.code = out.code.or_else(|| text(obj, CODE));
        out.message = out.message.or_else(|| text(obj, MESSAGE));
        out.request_id = out.request_id.or_else(|| text(obj, REQUEST_ID));
        out.has_encoded_authorization_message |=
            obj.get("encoded_authorization_message").is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()));
    }
    // `details: [{error_code, error_msg}]` fills gaps or adds to the message.
    let details: Vec<(Option<String>, Option<String>)> = top
        .get("details")
        .and_then(|d| d.as_array())
        .map(|items| items.iter().filter_map(|d| d.as_object()).map(|d| (text(d, CODE), text(d, MESSAGE))).collect())
        .unwrap_or_default();
    for (code, message) in details {
        if out.code.is_none() {
            out.code = code;
            out.message = out.message.or(message);
            continue;
        }
        let detail = match (code, message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(s), None) | (None, Some(s)) => s,
            (None, None) => continue,
        };
        if out.message.as_deref().is_some_and(|m| m.contains(&detail)) {
            continue;
        }
        out.message = Some(match out.message.take() {
            Some(m) => format!("{m}; {detail}"),
            None => detail,
        });
    }
    if out.code.is_none() && out.message.is_none() {
        return None;
    }
    Some(out)
}

/// Turns a non-2xx response into a [`CloudError`]. The request id comes from the body or the
/// `X-Request-Id` header.
pub fn decode_error(action: &str, host: &str, status: u16, headers: &HeaderMap, body: &[u8]) -> CloudError {
    let parsed = parse_error_body(body);
    let header_request_id = headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let Some(parsed) = parsed else {
        // No Huawei error envelope. A bare 404 is far more likely a wrong endpoint or path than
        // a missing object, so it is not reported as NotFound.
        let kind = match status {
            404 => ErrorKind::Invalid,
            _ => classify_error(status, ""),
        };
        let hint = if status == 404 { " (no Huawei error body: check the endpoint URL)" } else { "" };
        let mut e =
            CloudError::new(kind, Cloud::Huawei, action, format!("HTTP {status} from {host}: {}{hint}", snippet(body)))
                .with_http_status(status);
        e.request_id = header_request_id;
        return e;
    };
    let code = parsed.code.unwrap_or_default();
    let kind = classify_error(status, &code);
    let original = parsed.message.unwrap_or_default();
    let message = if matches!(code.as_str(), "APIGW.0301" | "APIG.0301") {
        if original.is_empty() { SIGNATURE_REJECTED.to_owned() } else { format!("{SIGNATURE_REJECTED} ({original})") }
    } else if kind == ErrorKind::Auth && parsed.has_encoded_authorization_message {
        let note = "an encoded_authorization_message came with the response; \
                    an administrator can decode it to see which permission is missing";
        if original.is_empty() { note.to_owned() } else { format!("{original} ({note})") }
    } else if original.is_empty() && code.is_empty() {
        format!("HTTP {status} from {host}")
    } else {
        original
    };
    let mut e = CloudError::new(kind, Cloud::Huawei, action, message).with_http_status(status);
    if !code.is_empty() {
        e = e.with_code(code);
    }
    e.request_id = parsed.request_id.or(header_request_id);
    e
}

/// An error for a call refused before sending.
pub(crate) fn invalid(action: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::Huawei, action, message)
}

/// Rejects identifiers that cannot be a path segment (empty, `.`, `..`).
pub(crate) fn require_id(action: &str, what: &str, value: &str) -> Result<(), CloudError> {
    if value.trim().is_empty() || value == "." || value == ".." {
        return Err(invalid(action, format!("{what} must not be empty, got {value:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn err(status: u16, body: &str) -> CloudError {
        decode_error("Act", "h.example", status, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn classification() {
        use ErrorKind::*;
        let cases = [
            (401, "APIGW.0301", Auth),
            (401, "APIG.0301", Auth),
            (429, "APIG.0308", Throttled),
            (400, "APIGW.0308", Throttled),
            (429, "", Throttled),
            (429, "Something.1", Throttled),
            (500, "", Transient),
            (503, "Organizations.1004", Transient),
            (401, "Organizations.1015", NotFound),
            (404, "Organizations.1010", Invalid),
            (404, "APIGW.0101", Invalid),
            (409, "Organizations.1003", Transient),
            (409, "IdentityCenter.1006", Transient),
            (409, "IIC.1006", Transient),
            (409, "IIC.1007", Conflict),
            (409, "", Conflict),
            (404, "IdentityCenter.1002", NotFound),
            (404, "IIC.1002", NotFound),
            (400, "RGC.404", NotFound),
            (404, "IIC.404", NotFound),
            (404, "IIC.1205", NotFound),
            (404, "", NotFound),
            (401, "Organizations.1001", Auth),
            (403, "Organizations.1007", Auth),
            (403, "IIC.1000", Auth),
            (400, "RGC.400", Invalid),
            (400, "Organizations.1011", Invalid),
            (418, "", Other),
        ];
        for (status, code, kind) in cases {
            assert_eq!(classify_error(status, code), kind, "{status} {code}");
        }
    }

    #[test]
    fn signature_failure_has_a_clear_message() {
        let e = err(
            401,
            r#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301","request_id":"abc"}"#,
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.cloud, Cloud::Huawei);
        assert_eq!(e.code.as_deref(), Some("APIGW.0301"));
        assert_eq!(e.request_id.as_deref(), Some("abc"));
        assert_eq!(e.http_status, Some(401));
        assert_eq!(
            e.to_string(),
            "Huawei Cloud Act failed: APIGW.0301: Huawei Cloud rejected the request signature: \
             check access_key, secret_key, security_token and the machine clock \
             (Incorrect IAM authentication information: verify aksk signature fail) (RequestId: abc)"
        );
    }

    #[test]
    fn throttling_is_retryable() {
        let e = err(
            429,
            r#"{"error_msg":"The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second","error_code":"APIG.0308","request_id":"r"}"#,
        );
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert!(e.is_retryable());
    }

    #[test]
    fn not_in_an_organization_is_not_found() {
        let e = err(
            401,
            r#"{"error_code":"Organizations.1015","error_msg":"The organization is not found.","request_id":"q"}"#,
        );
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "Huawei Cloud Act failed: Organizations.1015: The organization is not found. (RequestId: q)"
        );
    }

    #[test]
    fn alternative_field_names_and_wrappers() {
        let e = err(400, r#"{"errorCode":"RGC.400","errorMsg":"Bad Request: x"}"#);
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.code.as_deref(), Some("RGC.400"));
        assert_eq!(e.message, "Bad Request: x");

        let e = err(404, r#"{"code":"IIC.1002","message":"no such instance","requestId":"z"}"#);
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.request_id.as_deref(), Some("z"));

        let e = err(409, r#"{"error":{"code":"IIC.1007","message":"modification failed"}}"#);
        assert_eq!(e.kind, ErrorKind::Conflict);
        assert_eq!(e.code.as_deref(), Some("IIC.1007"));

        // A code only in details.
        let e = err(400, r#"{"details":[{"error_code":"RGC.1202","error_msg":"The account already enrolled"}]}"#);
        assert_eq!(e.code.as_deref(), Some("RGC.1202"));
        assert_eq!(e.message, "The account already enrolled");
    }

    #[test]
    fn forbidden_mentions_encoded_message_but_not_its_content() {
        let e = err(
            403,
            r#"{"error_code":"RGC.1000","error_msg":"Policy doesn't allow rgc:managedAccount:enroll","request_id":"x",
                "encoded_authorization_message":"SECRETBLOBxyz","details":[{"error_code":"IAM.0001","error_msg":"denied by SCP"}]}"#,
        );
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("encoded_authorization_message"), "{}", e.message);
        assert!(e.message.contains("IAM.0001: denied by SCP"), "{}", e.message);
        assert!(!e.to_string().contains("SECRETBLOB"), "{e}");
    }

    #[test]
    fn request_id_from_header_and_non_json_bodies() {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_static("hdr-1"));
        let e = decode_error("Act", "h.example", 502, &headers, b"<html>Bad Gateway</html>");
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code, None);
        assert_eq!(e.request_id.as_deref(), Some("hdr-1"));
        assert!(e.message.contains("HTTP 502 from h.example: <html>Bad Gateway</html>"), "{}", e.message);

        let e = decode_error("Act", "h", 400, &headers, br#"{"error_code":"IIC.400","error_msg":"bad"}"#);
        assert_eq!(e.request_id.as_deref(), Some("hdr-1"));
        assert_eq!(e.kind, ErrorKind::Invalid);

        // A body's own request id wins over the header.
        let e = decode_error("Act", "h", 400, &headers, br#"{"error_code":"X.1","request_id":"b"}"#);
        assert_eq!(e.request_id.as_deref(), Some("b"));
        assert_eq!(e.message, "");

        // A bare 404 is a routing problem, not a missing object.
        let e = err(404, "404 page not found");
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("check the endpoint"), "{}", e.message);
        let e = err(404, "");
        assert_eq!(e.kind, ErrorKind::Invalid);
        // …but a JSON 404 without a code is a plain not-found.
        assert_eq!(err(404, r#"{"error_msg":"not found"}"#).kind, ErrorKind::NotFound);

        let e = err(500, r#"{"error_code":"Organizations.1004","error_msg":"internal"}"#);
        assert_eq!(e.kind, ErrorKind::Transient);
        let e = err(503, "");
        assert!(e.message.contains("empty body"), "{}", e.message);
    }
}
