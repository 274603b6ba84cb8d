//! Tencent Cloud API 3.0: configuration, the response envelope and its error codes.

pub mod coalesce;
pub mod organization;
pub mod sign;
#[cfg(test)]
pub(crate) mod test_support;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use coalesce::TencentOrganizationClient;
pub use organization::{
    AuthAccountPage, MemberPolicy, MemberPolicyPage, OrgMember, OrgMemberAuthAccount, OrgMemberPage,
};

use super::Secret;
use super::error::{Cloud, CloudError, ErrorKind};
use super::http::{RetryPolicy, snippet};

pub const ORGANIZATION_ENDPOINT: &str = "https://organization.tencentcloudapi.com";
pub const ORGANIZATION_SERVICE: &str = "organization";
pub const ORGANIZATION_VERSION: &str = "2021-03-31";

#[derive(Debug, Clone)]
pub struct TencentCredentials {
    pub secret_id: String,
    pub secret_key: Secret,
    /// Only for temporary (STS) credentials; sent as `X-TC-Token`.
    pub security_token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct TencentConfig {
    pub credentials: TencentCredentials,
    /// Sent as `X-TC-Region` when set; the Organization API does not need one.
    pub region: Option<String>,
    /// Scheme, host and optional port; `http://` is allowed for the emulator.
    pub endpoint: Url,
    pub retry: RetryPolicy,
    /// How concurrent reads and binds of one member's policy share calls.
    pub coalescing: coalesce::Timing,
}

impl TencentConfig {
    /// The public Organization endpoint, no region, default retries.
    pub fn new(credentials: TencentCredentials) -> Self {
        Self {
            credentials,
            region: None,
            endpoint: Url::parse(ORGANIZATION_ENDPOINT).expect("valid default endpoint"),
            retry: RetryPolicy::default(),
            coalescing: coalesce::Timing::default(),
        }
    }
}

/// Maps a Tencent error code (`Family` or `Family.Detail`) to what the caller should do.
pub fn classify_error_code(code: &str) -> ErrorKind {
    let family = |name: &str| code.strip_prefix(name).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'));
    match code {
        "LimitExceeded.RateLimitExceeded" => ErrorKind::Throttled,
        "FailedOperation.SubAccountNotExist" => ErrorKind::NotFound,
        "FailedOperation.SubAccountIdentityExist" => ErrorKind::Conflict,
        _ if family("AuthFailure") || family("UnauthorizedOperation") => ErrorKind::Auth,
        _ if family("RequestLimitExceeded") => ErrorKind::Throttled,
        _ if family("InternalError") || family("ResourceUnavailable") || family("ResourceInUse") => {
            ErrorKind::Transient
        }
        _ if family("ResourceNotFound") => ErrorKind::NotFound,
        _ if family("InvalidParameter")
            || family("InvalidParameterValue")
            || family("MissingParameter")
            || family("UnknownParameter")
            || family("InvalidAction")
            || family("NoSuchVersion")
            || family("UnsupportedOperation") =>
        {
            ErrorKind::Invalid
        }
        _ => ErrorKind::Other,
    }
}

/// The message for a rejected signature or key (`AuthFailure.SignatureFailure` and its kin).
pub const SIGNATURE_REJECTED: &str = "Tencent Cloud rejected the request signature: check secret_id/secret_key \
     (or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY), security_token if set, and this machine's clock";

/// Decodes `{"Response": {..., "RequestId": "..."}}` into `T` plus the RequestId, or the error
/// envelope into a [`CloudError`]. Like the SDK, any status but 200 is a transient failure.
pub fn decode_response<T: DeserializeOwned>(
    action: &str,
    host: &str,
    status: u16,
    body: &[u8],
) -> Result<(T, String), CloudError> {
    let error = |kind, message: String| CloudError::new(kind, Cloud::Tencent, action, message);
    let envelope = serde_json::from_slice::<Envelope>(body).ok().and_then(|e| e.response);

    if status != 200 {
        let mut e = error(ErrorKind::Transient, format!("HTTP {status} from {host}: {}", snippet(body)))
            .with_http_status(status);
        e.request_id = envelope.and_then(|r| r.request_id);
        return Err(e);
    }
    let Some(mut response) = envelope else {
        return Err(error(ErrorKind::Other, format!("undecodable response from {host}: {}", snippet(body)))
            .with_http_status(status));
    };
    let request_id = response.request_id.take().unwrap_or_default();
    if let Some(api_error) = response.error {
        let code = api_error.code.unwrap_or_default();
        let original = api_error.message.unwrap_or_default();
        // Tencent's own text ("signature mismatch") does not say what to fix; these codes are
        // what a wrong key pair, a stale token or a skewed clock produce.
        let message = match code.as_str() {
            "AuthFailure.SignatureFailure"
            | "AuthFailure.SignatureExpire"
            | "AuthFailure.SecretIdNotFound"
            | "AuthFailure.InvalidSecretId"
            | "AuthFailure.TokenFailure" => {
                if original.is_empty() {
                    SIGNATURE_REJECTED.to_owned()
                } else {
                    format!("{SIGNATURE_REJECTED} ({original})")
                }
            }
            _ => original,
        };
        let mut e = error(classify_error_code(&code), message).with_http_status(status).with_code(code);
        if !request_id.is_empty() {
            e = e.with_request_id(request_id);
        }
        return Err(e);
    }
    let data = serde_json::Value::Object(response.rest);
    match serde_json::from_value::<T>(data) {
        Ok(value) => Ok((value, request_id)),
        Err(err) => {
            let mut e =
                error(ErrorKind::Other, format!("unexpected response from {host}: {err}")).with_http_status(status);
            if !request_id.is_empty() {
                e = e.with_request_id(request_id);
            }
            Err(e)
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: Option<ResponseBody>,
}

#[derive(Deserialize)]
struct ResponseBody {
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
    #[serde(rename = "Error")]
    error: Option<ApiError>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

/// Lenient field decoders: Tencent sends integers as numbers or numeric strings and may send
/// `null` for anything.
pub(crate) mod lenient {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr {
        U(u64),
        I(i64),
        F(f64),
        S(String),
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        use serde::de::Error;
        match Option::<NumOrStr>::deserialize(d)? {
            None => Ok(0),
            Some(NumOrStr::U(n)) => Ok(n),
            Some(NumOrStr::I(n)) => Err(D::Error::custom(format!("negative integer {n}"))),
            Some(NumOrStr::F(f)) => Err(D::Error::custom(format!("non-integer {f}"))),
            Some(NumOrStr::S(s)) if s.trim().is_empty() => Ok(0),
            Some(NumOrStr::S(s)) => {
                s.trim().parse().map_err(|_| D::Error::custom(format!("expected an integer, got {s:?}")))
            }
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(match Option::<NumOrStr>::deserialize(d)? {
            None => String::new(),
            Some(NumOrStr::S(s)) => s,
            Some(NumOrStr::U(n)) => n.to_string(),
            Some(NumOrStr::I(n)) => n.to_string(),
            Some(NumOrStr::F(f)) => f.to_string(),
        })
    }

    pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Empty {}

    fn decode_err(body: &str) -> CloudError {
        decode_response::<Empty>("CancelOrganizationMemberAuthAccount", "h", 200, body.as_bytes()).unwrap_err()
    }

    #[test]
    fn error_codes() {
        use ErrorKind::*;
        let cases = [
            ("AuthFailure.SignatureFailure", Auth),
            ("AuthFailure.SignatureExpire", Auth),
            ("AuthFailure", Auth),
            ("UnauthorizedOperation", Auth),
            ("UnauthorizedOperation.NotAllowed", Auth),
            ("RequestLimitExceeded", Throttled),
            ("RequestLimitExceeded.UinLimitExceeded", Throttled),
            ("RequestLimitExceeded.GlobalRegionUinLimitExceeded", Throttled),
            ("LimitExceeded.RateLimitExceeded", Throttled),
            ("LimitExceeded.Quota", Other),
            ("InternalError", Transient),
            ("InternalError.DbError", Transient),
            ("ResourceUnavailable", Transient),
            ("ResourceInUse.Busy", Transient),
            ("ResourceNotFound.MemberNotExist", NotFound),
            ("ResourceNotFound.MemberPolicyNotExist", NotFound),
            ("ResourceNotFound", NotFound),
            ("FailedOperation.SubAccountNotExist", NotFound),
            ("FailedOperation.SubAccountIdentityExist", Conflict),
            ("FailedOperation.OperatePolicy", Other),
            ("FailedOperation", Other),
            ("InvalidParameter", Invalid),
            ("InvalidParameterValue.LimitExceeded", Invalid),
            ("MissingParameter", Invalid),
            ("UnknownParameter", Invalid),
            ("InvalidAction", Invalid),
            ("UnsupportedOperation", Invalid),
            ("UnsupportedOperation.MemberNoPayment", Invalid),
            ("AuthFailureX", Other),
            ("", Other),
        ];
        for (code, kind) in cases {
            assert_eq!(classify_error_code(code), kind, "{code}");
        }
    }

    #[test]
    fn error_envelope() {
        let e = decode_err(
            r#"{"Response":{"Error":{"Code":"ResourceNotFound.MemberNotExist","Message":"member not found"},"RequestId":"6f0e-1"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.cloud, Cloud::Tencent);
        assert_eq!(e.code.as_deref(), Some("ResourceNotFound.MemberNotExist"));
        assert_eq!(e.message, "member not found");
        assert_eq!(e.request_id.as_deref(), Some("6f0e-1"));
        assert_eq!(e.http_status, Some(200));
        assert_eq!(
            e.to_string(),
            "Tencent Cloud CancelOrganizationMemberAuthAccount failed: \
             ResourceNotFound.MemberNotExist: member not found (RequestId: 6f0e-1)"
        );

        let e = decode_err(
            r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Throttled);
        assert!(e.is_retryable());

        let e = decode_err(
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad"},"RequestId":"r"}}"#,
        );
        assert_eq!(e.kind, ErrorKind::Auth);
    }

    #[test]
    fn success_envelope() {
        #[derive(Debug, Deserialize, PartialEq)]
        #[serde(rename_all = "PascalCase")]
        struct Out {
            #[serde(deserialize_with = "lenient::u64", default)]
            total: u64,
        }
        let (out, id) =
            decode_response::<Out>("A", "h", 200, br#"{"Response":{"Total":"7","RequestId":"abc"}}"#).unwrap();
        assert_eq!(out, Out { total: 7 });
        assert_eq!(id, "abc");

        let (out, id) = decode_response::<Out>("A", "h", 200, br#"{"Response":{"Total":null}}"#).unwrap();
        assert_eq!(out, Out { total: 0 });
        assert_eq!(id, "");
    }

    #[test]
    fn non_200_is_transient() {
        let e = decode_response::<Empty>("A", "organization.example", 502, b"<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.http_status, Some(502));
        assert_eq!(e.code, None);
        assert!(e.message.contains("HTTP 502 from organization.example"), "{}", e.message);
    }

    #[test]
    fn undecodable_success_is_other() {
        for body in ["not json", r#"{"foo":1}"#, ""] {
            let e = decode_response::<Empty>("A", "h", 200, body.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Other, "{body}");
            assert_eq!(e.code, None);
        }
    }
}
