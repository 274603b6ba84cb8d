//! Authenticating a Tencent Cloud API 3.0 request, check by check in the order the service
//! reports them: Authorization syntax, SecretId, timestamp window, credential scope, signature
//! (over the raw request bytes and the headers the client declared), then the temporary token.

use axum::http::HeaderMap;
use time::OffsetDateTime;
use time::macros::format_description;

use super::error::{TcError, codes};
use super::model::TencentCredential;
use super::sign;

/// Requests signed more than this far from the emulator's clock are refused (Tencent: 5 minutes).
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// The parts of an HTTP request that TC3 signs.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, exactly as sent (TC3 signs it verbatim).
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Returns the credential that signed `request`, or the error the service would answer.
pub fn verify(
    request: &SignedRequest<'_>,
    lookup: impl FnOnce(&str) -> Option<TencentCredential>,
    service: &str,
    now: i64,
) -> Result<TencentCredential, TcError> {
    let auth = header(request.headers, "authorization").and_then(sign::parse_authorization).ok_or_else(|| {
        TcError::new(
            codes::INVALID_AUTHORIZATION,
            "The Authorization header is missing or is not a valid TC3-HMAC-SHA256 authorization.",
        )
    })?;

    let credential = lookup(&auth.secret_id).ok_or_else(|| {
        TcError::new(codes::SECRET_ID_NOT_FOUND, format!("The SecretId `{}` is not found.", auth.secret_id))
    })?;

    let timestamp_text = header(request.headers, "x-tc-timestamp").ok_or_else(|| TcError::missing("X-TC-Timestamp"))?;
    let timestamp: i64 = timestamp_text
        .trim()
        .parse()
        .map_err(|_| TcError::invalid("X-TC-Timestamp", "it must be a Unix time in seconds"))?;
    if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECS {
        return Err(TcError::new(
            codes::SIGNATURE_EXPIRE,
            format!(
                "Signature expired: X-TC-Timestamp {timestamp} is more than {MAX_CLOCK_SKEW_SECS} seconds \
                 away from the server time {now}."
            ),
        ));
    }

    if auth.date != utc_date(timestamp) || auth.service != service {
        return Err(signature_failure(format!(
            "the credential scope must be `{}/{service}/tc3_request` for timestamp {timestamp}",
            utc_date(timestamp)
        )));
    }
    for required in ["content-type", "host"] {
        if !auth.signed_headers.iter().any(|h| h == required) {
            return Err(signature_failure(format!("SignedHeaders must include `{required}`")));
        }
    }

    let mut signed = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let value = header(request.headers, name)
            .ok_or_else(|| signature_failure(format!("the signed header `{name}` is not in the request")))?;
        signed.push((name.as_str(), value));
    }
    let hashed_payload = if header(request.headers, "x-tc-content-sha256") == Some("UNSIGNED-PAYLOAD") {
        sign::sha256_hex(b"UNSIGNED-PAYLOAD")
    } else if request.method == "GET" {
        // GET carries its parameters in the query; the payload is the empty string.
        sign::sha256_hex(b"")
    } else {
        sign::sha256_hex(request.body)
    };
    let canonical = sign::canonical_request(
        request.method,
        request.path,
        request.query,
        &sign::canonical_headers(signed),
        &auth.signed_headers_raw,
        &hashed_payload,
    );
    let string_to_sign =
        sign::string_to_sign(timestamp_text.trim(), &sign::credential_scope(&auth.date, service), &canonical);
    if !sign::verify_signature(&credential.secret_key, &auth.date, service, &string_to_sign, &auth.signature) {
        return Err(signature_failure("the signature does not match".into()));
    }

    if let Some(expected) = &credential.token {
        let sent = header(request.headers, "x-tc-token").unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
            return Err(TcError::new(
                codes::TOKEN_FAILURE,
                "The X-TC-Token is missing or invalid for this temporary credential.",
            ));
        }
    }
    Ok(credential)
}

fn signature_failure(detail: String) -> TcError {
    TcError::new(
        codes::SIGNATURE_FAILURE,
        format!("The provided credentials could not be validated ({detail}). Please check your signature is correct."),
    )
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn utc_date(timestamp: i64) -> String {
    OffsetDateTime::from_unix_timestamp(timestamp)
        .ok()
        .and_then(|t| t.format(format_description!("[year]-[month]-[day]")).ok())
        .unwrap_or_default()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PAYLOAD: &str = r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
    const NOW: i64 = 1_551_113_065;

    fn credential(key: &str, token: Option<&str>) -> TencentCredential {
        TencentCredential {
            secret_id: SECRET_ID.into(),
            secret_key: key.into(),
            token: token.map(Into::into),
            owner_uin: 1,
            description: String::new(),
        }
    }

    /// The official example request, as a server receives it.
    fn official_headers(signed_headers: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let auth = format!(
            "TC3-HMAC-SHA256 Credential={SECRET_ID}/2019-02-25/cvm/tc3_request, SignedHeaders={signed_headers}, Signature={signature}"
        );
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        headers.insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
        headers.insert("host", HeaderValue::from_static("cvm.tencentcloudapi.com"));
        headers.insert("x-tc-action", HeaderValue::from_static("DescribeInstances"));
        headers.insert("x-tc-timestamp", HeaderValue::from_static("1551113065"));
        headers.insert("x-tc-version", HeaderValue::from_static("2017-03-12"));
        headers.insert("x-tc-region", HeaderValue::from_static("ap-guangzhou"));
        headers
    }

    fn check(headers: &HeaderMap, key: &str, token: Option<&str>, now: i64) -> Result<TencentCredential, TcError> {
        let request = SignedRequest { method: "POST", path: "/", query: "", headers, body: PAYLOAD.as_bytes() };
        verify(&request, |id| (id == SECRET_ID).then(|| credential(key, token)), "cvm", now)
    }

    const SIG_A: &str = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";
    const SIG_B: &str = "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3";
    const MASKED_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

    #[test]
    fn accepts_official_vector_a() {
        check(&official_headers("content-type;host", SIG_A), MASKED_KEY, None, NOW).unwrap();
    }

    #[test]
    fn accepts_official_vector_b() {
        check(&official_headers("content-type;host;x-tc-action", SIG_B), MASKED_KEY, None, NOW).unwrap();
        let sig = "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f";
        check(&official_headers("content-type;host;x-tc-action", sig), &"*".repeat(32), None, NOW).unwrap();
    }

    fn code(result: Result<TencentCredential, TcError>) -> String {
        result.unwrap_err().code
    }

    #[test]
    fn rejects_in_the_documented_order() {
        let good = official_headers("content-type;host", SIG_A);

        let mut no_auth = good.clone();
        no_auth.remove("authorization");
        assert_eq!(code(check(&no_auth, MASKED_KEY, None, NOW)), codes::INVALID_AUTHORIZATION);

        let request = SignedRequest { method: "POST", path: "/", query: "", headers: &good, body: PAYLOAD.as_bytes() };
        assert_eq!(code(verify(&request, |_| None, "cvm", NOW)), codes::SECRET_ID_NOT_FOUND);

        assert_eq!(code(check(&good, MASKED_KEY, None, NOW + 301)), codes::SIGNATURE_EXPIRE);
        assert_eq!(code(check(&good, MASKED_KEY, None, NOW - 301)), codes::SIGNATURE_EXPIRE);
        check(&good, MASKED_KEY, None, NOW + 300).unwrap();

        let request = SignedRequest { method: "POST", path: "/", query: "", headers: &good, body: PAYLOAD.as_bytes() };
        let wrong_service = verify(&request, |_| Some(credential(MASKED_KEY, None)), "organization", NOW);
        assert_eq!(code(wrong_service), codes::SIGNATURE_FAILURE);

        assert_eq!(code(check(&good, "wrong key", None, NOW)), codes::SIGNATURE_FAILURE);

        let mut tampered = good.clone();
        tampered.insert("host", HeaderValue::from_static("evil.example.com"));
        assert_eq!(code(check(&tampered, MASKED_KEY, None, NOW)), codes::SIGNATURE_FAILURE);

        let only_host = official_headers("host", SIG_A);
        assert_eq!(code(check(&only_host, MASKED_KEY, None, NOW)), codes::SIGNATURE_FAILURE);

        let request = SignedRequest { method: "POST", path: "/", query: "", headers: &good, body: b"{}" };
        let tampered_body = verify(&request, |_| Some(credential(MASKED_KEY, None)), "cvm", NOW);
        assert_eq!(code(tampered_body), codes::SIGNATURE_FAILURE);
    }

    #[test]
    fn temporary_credentials_need_their_token() {
        let mut headers = official_headers("content-type;host", SIG_A);
        assert_eq!(code(check(&headers, MASKED_KEY, Some("tok"), NOW)), codes::TOKEN_FAILURE);
        headers.insert("x-tc-token", HeaderValue::from_static("other"));
        assert_eq!(code(check(&headers, MASKED_KEY, Some("tok"), NOW)), codes::TOKEN_FAILURE);
        headers.insert("x-tc-token", HeaderValue::from_static("tok"));
        check(&headers, MASKED_KEY, Some("tok"), NOW).unwrap();
    }
}
