//! Authenticating a Huawei Cloud request the way the API gateway does: Authorization syntax,
//! AK, `X-Sdk-Date` window, signed-header set, signature over the raw request, then the security
//! token of a temporary credential and the `X-Domain-Id` / `X-Project-Id` the SDKs add.
//!
//! Every failure is the gateway's HTTP 401 `APIGW.0301`; the text after
//! "verify aksk signature fail, " says which check failed, and never contains a secret.

use axum::http::HeaderMap;
use time::PrimitiveDateTime;
use time::macros::format_description;

use super::error::HwError;
use super::model::HuaweiCredential;
use super::sign;

/// The gateway accepts an `X-Sdk-Date` up to 15 minutes from its own clock, either way.
pub const MAX_CLOCK_SKEW_SECS: u64 = 15 * 60;

/// The parts of an HTTP request that SDK-HMAC-SHA256 signs.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The raw (still percent-encoded) path.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Returns the credential that signed `request`, or the gateway's 401.
pub fn verify(
    request: &SignedRequest<'_>,
    lookup: impl FnOnce(&str) -> Option<HuaweiCredential>,
    now: i64,
) -> Result<HuaweiCredential, HwError> {
    let auth = header(request.headers, "authorization")
        .and_then(|value| sign::parse_authorization(&value))
        .ok_or_else(|| HwError::auth("authorization header missing or not an SDK-HMAC-SHA256 authorization"))?;

    let credential = lookup(&auth.access_key).ok_or_else(|| HwError::auth("ak not found"))?;

    let sdk_date = header(request.headers, "x-sdk-date").ok_or_else(|| HwError::auth("x-sdk-date missing"))?;
    let signed_at = parse_sdk_date(sdk_date.trim())
        .ok_or_else(|| HwError::auth("x-sdk-date malformed, expected YYYYMMDDTHHMMSSZ"))?;
    if now.abs_diff(signed_at) > MAX_CLOCK_SKEW_SECS {
        return Err(HwError::auth(format_args!(
            "x-sdk-date expired: {} is more than 15 minutes from the server time",
            sdk_date.trim()
        )));
    }

    for required in ["host", "x-sdk-date"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(HwError::auth(format_args!("signed headers must include {required}")));
        }
    }
    let mut signed = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let value = header(request.headers, name)
            .ok_or_else(|| HwError::auth(format_args!("signed header {name} is not in the request")))?;
        signed.push((name.as_str(), value));
    }
    let canonical_headers = sign::canonical_headers(signed.iter().map(|(name, value)| (*name, value.as_str())));

    let canonical_uri = sign::canonical_uri(request.path);
    let canonical_query = sign::canonical_query(request.query);
    let signed_headers = auth.signed_headers_line();
    let matches = payload_hashes(request)?.iter().any(|payload_hash| {
        let canonical = sign::canonical_request(
            request.method,
            &canonical_uri,
            &canonical_query,
            &canonical_headers,
            &signed_headers,
            payload_hash,
        );
        let string_to_sign = sign::string_to_sign(sdk_date.trim(), &canonical);
        sign::verify_signature(&credential.secret_key, &string_to_sign, &auth.signature)
    });
    if !matches {
        return Err(HwError::auth("signature mismatch"));
    }

    if let Some(expected) = &credential.security_token {
        let sent = header(request.headers, "x-security-token").unwrap_or_default();
        if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Err(HwError::auth("security token invalid"));
        }
    }
    Ok(credential)
}

/// The payload hash(es) a correct signer may have used.
///
/// Normally the hex SHA-256 of the raw body. `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` puts that
/// literal in its place (both official signers copy the header's value verbatim), except that the
/// Python SDK still uses the empty-body hash when there is no body, so both are accepted then. Any
/// other `X-Sdk-Content-Sha256` value is used as given, but only if it is the body's real hash.
fn payload_hashes(request: &SignedRequest<'_>) -> Result<Vec<String>, HwError> {
    let body_hash = sign::sha256_hex(request.body);
    match header(request.headers, "x-sdk-content-sha256").map(|v| v.trim().to_owned()) {
        None => Ok(vec![body_hash]),
        Some(value) if value == sign::UNSIGNED_PAYLOAD => {
            let mut hashes = vec![value];
            if request.body.is_empty() {
                hashes.push(body_hash);
            }
            Ok(hashes)
        }
        Some(value) if value.eq_ignore_ascii_case(&body_hash) => Ok(vec![value]),
        Some(_) => Err(HwError::auth("x-sdk-content-sha256 does not match the request body")),
    }
}

/// Checks the account-scoping headers the SDKs add: `X-Domain-Id` (GlobalCredentials) must be the
/// credential's domain, `X-Project-Id` (BasicCredentials) the credential's project.
pub fn check_scope(headers: &HeaderMap, credential: &HuaweiCredential) -> Result<(), HwError> {
    if let Some(domain) = header(headers, "x-domain-id") {
        if domain.trim() != credential.domain_id {
            return Err(HwError::auth("x-domain-id does not match the credential"));
        }
    }
    if let Some(project) = header(headers, "x-project-id") {
        if project.trim() != credential.project_id {
            return Err(HwError::auth("x-project-id does not match the credential"));
        }
    }
    Ok(())
}

/// `20191115T033655Z` → Unix seconds.
pub fn parse_sdk_date(text: &str) -> Option<i64> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(text, format).ok().map(|t| t.assume_utc().unix_timestamp())
}

/// A header's value as text (non-UTF-8 bytes replaced; the signers sign UTF-8).
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const AK: &str = "QTWAOYTTINDUT2QVKYUC";
    const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    const SIGNATURE: &str = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
    const PATH: &str = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs";
    const QUERY: &str = "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0";

    fn now() -> i64 {
        parse_sdk_date("20191115T033655Z").unwrap()
    }

    fn credential(token: Option<&str>) -> HuaweiCredential {
        HuaweiCredential {
            access_key: AK.into(),
            secret_key: SK.into(),
            security_token: token.map(Into::into),
            account_id: "d1".into(),
            account_name: "example".into(),
            domain_id: "d1".into(),
            project_id: "p1".into(),
            description: String::new(),
        }
    }

    /// The official worked example as a server receives it.
    fn official_headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let auth =
            format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, Signature={signature}");
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("host", HeaderValue::from_static("service.region.example.com"));
        headers.insert("x-sdk-date", HeaderValue::from_static("20191115T033655Z"));
        headers
    }

    fn check_with(
        headers: &HeaderMap,
        query: &str,
        body: &[u8],
        cred: HuaweiCredential,
        now: i64,
    ) -> Result<HuaweiCredential, HwError> {
        let request = SignedRequest { method: "GET", path: PATH, query, headers, body };
        verify(&request, |ak| (ak == AK).then_some(cred), now)
    }

    fn detail(result: Result<HuaweiCredential, HwError>) -> String {
        let err = result.unwrap_err();
        assert_eq!((err.status, err.code.as_str()), (401, "APIGW.0301"));
        let prefix = "Incorrect IAM authentication information: verify aksk signature fail, ";
        err.message.strip_prefix(prefix).unwrap().to_owned()
    }

    #[test]
    fn accepts_the_official_worked_example() {
        let headers = official_headers(SIGNATURE);
        check_with(&headers, QUERY, b"", credential(None), now()).unwrap();
        // The query order on the wire does not matter: it is sorted before signing.
        let reordered = "marker=13551d6b-755d-4757-b956-536f674975c0&limit=2";
        check_with(&headers, reordered, b"", credential(None), now()).unwrap();
        // 15 minutes either way is still fine.
        check_with(&headers, QUERY, b"", credential(None), now() + 900).unwrap();
        check_with(&headers, QUERY, b"", credential(None), now() - 900).unwrap();
    }

    #[test]
    fn rejects_each_failure_with_its_reason() {
        let good = official_headers(SIGNATURE);
        let cred = || credential(None);

        let mut missing = good.clone();
        missing.remove("authorization");
        assert!(detail(check_with(&missing, QUERY, b"", cred(), now())).contains("authorization"));

        let request = SignedRequest { method: "GET", path: PATH, query: QUERY, headers: &good, body: b"" };
        assert_eq!(detail(verify(&request, |_| None, now())), "ak not found");

        assert!(detail(check_with(&good, QUERY, b"", cred(), now() + 901)).starts_with("x-sdk-date expired"));
        assert!(detail(check_with(&good, QUERY, b"", cred(), now() - 901)).starts_with("x-sdk-date expired"));
        let mut garbled = good.clone();
        garbled.insert("x-sdk-date", HeaderValue::from_static("2019-11-15T03:36:55Z"));
        assert!(detail(check_with(&garbled, QUERY, b"", cred(), now())).contains("malformed"));

        let bad_sig = official_headers(&SIGNATURE.replace('7', "8"));
        assert_eq!(detail(check_with(&bad_sig, QUERY, b"", cred(), now())), "signature mismatch");
        assert_eq!(detail(check_with(&good, "limit=3", b"", cred(), now())), "signature mismatch");
        assert_eq!(detail(check_with(&good, QUERY, b"{}", cred(), now())), "signature mismatch");
        let mut wrong_key = cred();
        wrong_key.secret_key = "not the key".into();
        assert_eq!(detail(check_with(&good, QUERY, b"", wrong_key, now())), "signature mismatch");
        let mut tampered = good.clone();
        tampered.insert("host", HeaderValue::from_static("evil.example.com"));
        assert_eq!(detail(check_with(&tampered, QUERY, b"", cred(), now())), "signature mismatch");

        let mut no_host = good.clone();
        no_host.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;x-sdk-date, Signature={SIGNATURE}"
            ))
            .unwrap(),
        );
        assert_eq!(detail(check_with(&no_host, QUERY, b"", cred(), now())), "signed headers must include host");
        let mut absent = good.clone();
        absent.remove("content-type");
        assert_eq!(
            detail(check_with(&absent, QUERY, b"", cred(), now())),
            "signed header content-type is not in the request"
        );
    }

    #[test]
    fn temporary_credentials_need_their_token() {
        let mut headers = official_headers(SIGNATURE);
        let temp = || credential(Some("tok"));
        assert_eq!(detail(check_with(&headers, QUERY, b"", temp(), now())), "security token invalid");
        headers.insert("x-security-token", HeaderValue::from_static("other"));
        assert_eq!(detail(check_with(&headers, QUERY, b"", temp(), now())), "security token invalid");
        headers.insert("x-security-token", HeaderValue::from_static("tok"));
        check_with(&headers, QUERY, b"", temp(), now()).unwrap();
    }

    #[test]
    fn scope_headers_must_match_the_credential() {
        let cred = credential(None);
        let mut headers = HeaderMap::new();
        check_scope(&headers, &cred).unwrap();
        headers.insert("x-domain-id", HeaderValue::from_static("d1"));
        headers.insert("x-project-id", HeaderValue::from_static("p1"));
        check_scope(&headers, &cred).unwrap();
        headers.insert("x-domain-id", HeaderValue::from_static("d2"));
        assert!(check_scope(&headers, &cred).unwrap_err().message.contains("x-domain-id"));
        headers.insert("x-domain-id", HeaderValue::from_static("d1"));
        headers.insert("x-project-id", HeaderValue::from_static("p2"));
        assert!(check_scope(&headers, &cred).unwrap_err().message.contains("x-project-id"));
    }

    #[test]
    fn unsigned_payload_uses_the_literal() {
        let body = b"binary body";
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("h"));
        headers.insert("x-sdk-date", HeaderValue::from_static("20191115T033655Z"));
        headers.insert("x-sdk-content-sha256", HeaderValue::from_static("UNSIGNED-PAYLOAD"));
        let canonical = sign::canonical_request(
            "POST",
            "/v1/x/",
            "",
            "host:h\nx-sdk-date:20191115T033655Z\n",
            "host;x-sdk-date",
            "UNSIGNED-PAYLOAD",
        );
        let signature = sign::signature(SK, &sign::string_to_sign("20191115T033655Z", &canonical));
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={signature}"
            ))
            .unwrap(),
        );
        let check = |headers: &HeaderMap| {
            let request = SignedRequest { method: "POST", path: "/v1/x", query: "", headers, body };
            verify(&request, |_| Some(credential(None)), now())
        };
        check(&headers).unwrap();
        headers.insert("x-sdk-content-sha256", HeaderValue::from_static("abc"));
        assert!(detail(check(&headers)).contains("x-sdk-content-sha256"));
    }
}
