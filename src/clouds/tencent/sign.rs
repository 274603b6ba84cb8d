//! TC3-HMAC-SHA256, Tencent Cloud API 3.0 request signing.
//!
//! The pure [`tc3_signature`] is what the tests check against the published vectors;
//! [`Tc3Signer`] plugs it into the shared HTTP layer.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::clouds::Secret;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{RequestSigner, SignableRequest};

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

pub(crate) const X_TC_ACTION: HeaderName = HeaderName::from_static("x-tc-action");
pub(crate) const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
pub(crate) const X_TC_TOKEN: HeaderName = HeaderName::from_static("x-tc-token");

/// Which headers take part in the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignedHeaders {
    /// `content-type;host`: older documentation and the Python SDK.
    ContentTypeHost,
    /// `content-type;host;x-tc-action`: the current documentation.
    #[default]
    ContentTypeHostAction,
}

impl SignedHeaders {
    pub fn as_str(self) -> &'static str {
        match self {
            SignedHeaders::ContentTypeHost => "content-type;host",
            SignedHeaders::ContentTypeHostAction => "content-type;host;x-tc-action",
        }
    }
}

/// Everything the signature covers. Requests are always `POST /` with an empty query string.
#[derive(Debug, Clone, Copy)]
pub struct Tc3Input<'a> {
    /// The TC3 service name, e.g. `organization`.
    pub service: &'a str,
    /// The `Host` header as sent (`host[:port]`).
    pub host: &'a str,
    /// The `X-TC-Action` value; only signed with [`SignedHeaders::ContentTypeHostAction`].
    pub action: &'a str,
    /// The `Content-Type` header as sent.
    pub content_type: &'a str,
    pub payload: &'a [u8],
    /// Unix seconds, also sent as `X-TC-Timestamp`.
    pub timestamp: i64,
    pub signed_headers: SignedHeaders,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tc3Signature {
    /// Hex SHA-256 of the canonical request.
    pub canonical_request_hash: String,
    /// `YYYY-MM-DD/<service>/tc3_request`.
    pub credential_scope: String,
    /// Hex HMAC-SHA256 of the string to sign.
    pub signature: String,
    pub signed_headers: SignedHeaders,
}

impl Tc3Signature {
    /// The `Authorization` header value.
    pub fn authorization(&self, secret_id: &str) -> String {
        format!(
            "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
            self.credential_scope,
            self.signed_headers.as_str(),
            self.signature
        )
    }
}

/// The canonical request (step 1 of the algorithm). Header values are trimmed and lowercased,
/// as the documentation requires.
pub fn canonical_request(input: &Tc3Input<'_>) -> String {
    let mut headers = format!(
        "content-type:{}\nhost:{}\n",
        input.content_type.trim().to_ascii_lowercase(),
        input.host.trim().to_ascii_lowercase()
    );
    if input.signed_headers == SignedHeaders::ContentTypeHostAction {
        headers.push_str("x-tc-action:");
        headers.push_str(&input.action.trim().to_ascii_lowercase());
        headers.push('\n');
    }
    format!("POST\n/\n\n{headers}\n{}\n{}", input.signed_headers.as_str(), hex::encode(Sha256::digest(input.payload)))
}

pub fn tc3_signature(secret_key: &str, input: &Tc3Input<'_>) -> Tc3Signature {
    let canonical_request_hash = hex::encode(Sha256::digest(canonical_request(input)));
    let date = utc_date(input.timestamp);
    let credential_scope = format!("{date}/{}/tc3_request", input.service);
    let string_to_sign = format!("{ALGORITHM}\n{}\n{credential_scope}\n{canonical_request_hash}", input.timestamp);
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let k_service = hmac(&k_date, input.service.as_bytes());
    let k_signing = hmac(&k_service, b"tc3_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    Tc3Signature { canonical_request_hash, credential_scope, signature, signed_headers: input.signed_headers }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `YYYY-MM-DD` (UTC) of a Unix timestamp. Integer-only (days-to-civil), so it cannot fail for
/// any `i64`.
pub fn utc_date(timestamp: i64) -> String {
    let days = timestamp.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Signs requests built by the Tencent clients: reads `Content-Type` and `X-TC-Action` from the
/// request, sets `Host`, `X-TC-Timestamp`, `Authorization` and (unsigned, like the SDK)
/// `X-TC-Token`.
#[derive(Debug, Clone)]
pub struct Tc3Signer {
    pub secret_id: String,
    pub secret_key: Secret,
    pub security_token: Option<Secret>,
    pub service: String,
    pub signed_headers: SignedHeaders,
}

impl Tc3Signer {
    pub fn sign_at(&self, req: &mut SignableRequest, timestamp: i64) -> Result<(), CloudError> {
        let action = header_str(req, &X_TC_ACTION)?;
        let content_type = header_str(req, &CONTENT_TYPE)?;
        let host = req.host();
        let sig = tc3_signature(
            self.secret_key.expose(),
            &Tc3Input {
                service: &self.service,
                host: &host,
                action: &action,
                content_type: &content_type,
                payload: &req.body,
                timestamp,
                signed_headers: self.signed_headers,
            },
        );
        let invalid = |what: &str| sign_error(&action, format!("{what} is not a valid header value"));
        let mut authorization =
            HeaderValue::from_str(&sig.authorization(&self.secret_id)).map_err(|_| invalid("the secret id"))?;
        authorization.set_sensitive(true);
        let host = HeaderValue::from_str(&host).map_err(|_| invalid("the endpoint host"))?;
        req.headers.insert(HOST, host);
        req.headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
        req.headers.insert(AUTHORIZATION, authorization);
        match &self.security_token {
            Some(token) if !token.is_empty() => {
                let mut value = HeaderValue::from_str(token.expose()).map_err(|_| invalid("the security token"))?;
                value.set_sensitive(true);
                req.headers.insert(X_TC_TOKEN, value);
            }
            _ => {
                req.headers.remove(X_TC_TOKEN);
            }
        }
        Ok(())
    }
}

impl RequestSigner for Tc3Signer {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|_| sign_error("", "the system clock is before 1970".to_owned()))?;
        self.sign_at(req, i64::try_from(now.as_secs()).unwrap_or(i64::MAX))
    }
}

fn header_str(req: &SignableRequest, name: &HeaderName) -> Result<String, CloudError> {
    let action = req.headers.get(&X_TC_ACTION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    req.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| sign_error(action, format!("cannot sign: request has no {name} header")))
}

fn sign_error(action: &str, message: String) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::Tencent, action, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The official CVM DescribeInstances example; the \u sequences are literal backslashes.
    const PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const MASKED_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

    fn example(signed_headers: SignedHeaders) -> Tc3Input<'static> {
        Tc3Input {
            service: "cvm",
            host: "cvm.tencentcloudapi.com",
            action: "DescribeInstances",
            content_type: "application/json; charset=utf-8",
            payload: PAYLOAD.as_bytes(),
            timestamp: 1_551_113_065,
            signed_headers,
        }
    }

    #[test]
    fn payload_hash_matches_doc() {
        assert_eq!(
            hex::encode(Sha256::digest(PAYLOAD.as_bytes())),
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
    }

    #[test]
    fn vector_content_type_host() {
        let sig = tc3_signature(MASKED_KEY, &example(SignedHeaders::ContentTypeHost));
        assert_eq!(sig.canonical_request_hash, "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
        assert_eq!(sig.signature, "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c");
        assert_eq!(
            sig.authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******"),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    #[test]
    fn vector_content_type_host_action() {
        let input = example(SignedHeaders::ContentTypeHostAction);
        assert!(canonical_request(&input).contains("\nx-tc-action:describeinstances\n"));
        let sig = tc3_signature(MASKED_KEY, &input);
        assert_eq!(sig.canonical_request_hash, "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84");
        assert_eq!(sig.credential_scope, "2019-02-25/cvm/tc3_request");
        assert_eq!(sig.signature, "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3");

        let sig = tc3_signature(&"*".repeat(32), &input);
        assert_eq!(sig.signature, "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29");
        assert_eq!(utc_date(1_709_251_200), "2024-03-01");
        assert_eq!(utc_date(-1), "1969-12-31");
    }

    #[test]
    fn signer_sets_headers_and_hides_secrets() {
        let signer = Tc3Signer {
            secret_id: "AKIDexample".into(),
            secret_key: Secret::new("very-secret-key"),
            security_token: Some(Secret::new("very-secret-token")),
            service: "organization".into(),
            signed_headers: SignedHeaders::ContentTypeHostAction,
        };
        let mut req = SignableRequest::new(reqwest::Method::POST, url::Url::parse("http://127.0.0.1:8443/").unwrap());
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        req.headers.insert(X_TC_ACTION, HeaderValue::from_static("DescribeThings"));
        req.body = b"{}".to_vec();
        signer.sign_at(&mut req, 1_551_113_065).unwrap();

        assert_eq!(req.headers[HOST], "127.0.0.1:8443");
        assert_eq!(req.headers[X_TC_TIMESTAMP], "1551113065");
        assert_eq!(req.headers[X_TC_TOKEN], "very-secret-token");
        let auth = req.headers[AUTHORIZATION].to_str().unwrap();
        assert!(auth.starts_with(
            "TC3-HMAC-SHA256 Credential=AKIDexample/2019-02-25/organization/tc3_request, \
             SignedHeaders=content-type;host;x-tc-action, Signature="
        ));
        let debug = format!("{signer:?} {req:?}");
        assert!(!debug.contains("very-secret"), "{debug}");
    }

    #[test]
    fn signer_requires_action_header() {
        let signer = Tc3Signer {
            secret_id: "id".into(),
            secret_key: Secret::new("k"),
            security_token: None,
            service: "organization".into(),
            signed_headers: SignedHeaders::default(),
        };
        let mut req = SignableRequest::new(
            reqwest::Method::POST,
            url::Url::parse("https://organization.tencentcloudapi.com").unwrap(),
        );
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let e = signer.sign_at(&mut req, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("x-tc-action"), "{}", e.message);
    }
}
