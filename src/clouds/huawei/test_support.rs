//! The shared test server with Huawei's error envelope, a configuration for it, and a
//! signature check.

use url::Url;

use super::sign::{SdkRequest, sdk_signature};
use super::*;
use crate::clouds::Secret;
pub use crate::clouds::test_server::{Reply, Seen, Server, fast_retry, ok};

pub const AK: &str = "HWAKTEST0123";
pub const SK: &str = "hw-s3cr3t-key-do-not-log";
pub const TOKEN: &str = "hw-t0ken-do-not-log";
pub const DOMAIN_ID: &str = "domain-0001";
pub const PROJECT_ID: &str = "project-0001";

/// A Huawei error envelope.
pub fn api_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::Json(status, serde_json::json!({"error_code": code, "error_msg": message, "request_id": "body-req-id"}))
}

/// All three services at the server, with domain and project ids and a token.
pub fn config(url: &Url) -> HuaweiConfig {
    HuaweiConfig {
        credentials: HuaweiCredentials {
            access_key: AK.into(),
            secret_key: Secret::new(SK),
            security_token: Some(Secret::new(TOKEN)),
        },
        region: "cn-north-4".into(),
        domain_id: Some(DOMAIN_ID.into()),
        project_id: Some(PROJECT_ID.into()),
        endpoints: HuaweiEndpoints::single(url.clone()),
        retry: fast_retry(),
    }
}

/// Recomputes the signature from what arrived, and checks that the signed headers cover
/// `host`, `x-sdk-date` and every header in `must_sign`.
pub fn assert_signed(req: &Seen, host: &str, must_sign: &[&str]) {
    assert_eq!(req.header("host"), Some(host));
    let date = req.header("x-sdk-date").expect("x-sdk-date");
    assert_eq!(date.len(), 16, "{date}");
    let auth = req.header("authorization").expect("authorization");
    let rest = auth.strip_prefix("SDK-HMAC-SHA256 Access=").unwrap_or_else(|| panic!("{auth}"));
    let (access, rest) = rest.split_once(", SignedHeaders=").unwrap();
    let (signed, signature) = rest.split_once(", Signature=").unwrap();
    assert_eq!(access, AK);
    let names: Vec<&str> = signed.split(';').collect();
    for name in ["host", "x-sdk-date"].iter().chain(must_sign) {
        assert!(names.contains(name), "{name} not signed: {signed}");
    }
    let headers: Vec<(&str, &str)> =
        names.iter().map(|n| (*n, req.header(n).unwrap_or_else(|| panic!("{n} not sent")))).collect();
    let expected = sdk_signature(
        SK,
        date,
        &SdkRequest {
            method: &req.method,
            path: &req.path,
            query: req.query.as_deref(),
            headers: &headers,
            body: &req.raw_body,
        },
    );
    assert_eq!(expected.signed_headers, signed);
    assert_eq!(signature, expected.signature, "{}", expected.canonical_request);
}
