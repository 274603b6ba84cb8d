//! TC3-HMAC-SHA256, the Tencent Cloud API 3.0 signature (the pure algorithm; [`super::auth`]
//! applies it to HTTP requests).
//!
//! ```text
//! CanonicalRequest = Method \n URI \n Query \n CanonicalHeaders \n SignedHeaders \n hex(sha256(payload))
//! StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n Date/Service/tc3_request \n hex(sha256(CanonicalRequest))
//! SigningKey       = HMAC(HMAC(HMAC("TC3" + SecretKey, Date), Service), "tc3_request")
//! Signature        = hex(HMAC(SigningKey, StringToSign))
//! ```

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
const TERMINATOR: &str = "tc3_request";

type HmacSha256 = Hmac<Sha256>;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `name:value\n` per header: names and values lowercased and trimmed, as the TC3 spec requires.
pub fn canonical_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    headers
        .into_iter()
        .map(|(name, value)| format!("{}:{}\n", name.trim().to_lowercase(), value.trim().to_lowercase()))
        .collect()
}

pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    format!("{method}\n{uri}\n{query}\n{canonical_headers}\n{signed_headers}\n{hashed_payload}")
}

pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/{TERMINATOR}")
}

pub fn string_to_sign(timestamp: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{timestamp}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac
}

fn signing_mac(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> HmacSha256 {
    let k_date = hmac(format!("TC3{secret_key}").as_bytes(), date.as_bytes()).finalize().into_bytes();
    let k_service = hmac(&k_date, service.as_bytes()).finalize().into_bytes();
    let k_signing = hmac(&k_service, TERMINATOR.as_bytes()).finalize().into_bytes();
    hmac(&k_signing, string_to_sign.as_bytes())
}

/// The hex signature a client with `secret_key` would send.
pub fn signature(secret_key: &str, date: &str, service: &str, string_to_sign: &str) -> String {
    hex::encode(signing_mac(secret_key, date, service, string_to_sign).finalize().into_bytes())
}

/// Constant-time check of a client's hex signature.
pub fn verify_signature(
    secret_key: &str,
    date: &str,
    service: &str,
    string_to_sign: &str,
    hex_signature: &str,
) -> bool {
    let Ok(claimed) = hex::decode(hex_signature) else {
        return false;
    };
    signing_mac(secret_key, date, service, string_to_sign).verify_slice(&claimed).is_ok()
}

/// A parsed `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub secret_id: String,
    pub date: String,
    pub service: String,
    /// Lowercased, in the declared order.
    pub signed_headers: Vec<String>,
    /// Exactly as declared (it is part of the canonical request).
    pub signed_headers_raw: String,
    pub signature: String,
}

/// Parses an Authorization header; `None` when it is not a well-formed TC3 header.
pub fn parse_authorization(header: &str) -> Option<Authorization> {
    let (algorithm, rest) = header.trim().split_once(char::is_whitespace)?;
    if algorithm != ALGORITHM {
        return None;
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let slot = match key.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(value.trim()).is_some() {
            return None; // the same field twice
        }
    }
    let (credential, signed_headers_raw, signature) = (credential?, signed_headers?, signature?);

    let mut scope = credential.split('/');
    let (secret_id, date, service, terminator) = (scope.next()?, scope.next()?, scope.next()?, scope.next()?);
    if scope.next().is_some() || terminator != TERMINATOR || [secret_id, date, service].contains(&"") {
        return None;
    }
    let signed_headers: Vec<String> = signed_headers_raw.split(';').map(|h| h.trim().to_lowercase()).collect();
    if signed_headers.iter().any(String::is_empty) || signature.is_empty() {
        return None;
    }
    Some(Authorization {
        secret_id: secret_id.to_owned(),
        date: date.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signed_headers_raw: signed_headers_raw.to_owned(),
        signature: signature.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    //! The official worked example (CVM DescribeInstances) from Tencent's "签名方法 v3" page,
    //! in both revisions of the document.
    use super::*;

    /// The `\u` sequences are literal backslash escapes in the signed bytes.
    pub const PAYLOAD: &str =
        r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const CONTENT_TYPE: &str = "application/json; charset=utf-8";
    const HOST: &str = "cvm.tencentcloudapi.com";
    const TIMESTAMP: &str = "1551113065";
    const DATE: &str = "2019-02-25";
    const MASKED_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

    fn string_to_sign_for(headers: &[(&str, &str)], signed: &str) -> (String, String) {
        let canonical = canonical_request(
            "POST",
            "/",
            "",
            &canonical_headers(headers.iter().copied()),
            signed,
            &sha256_hex(PAYLOAD.as_bytes()),
        );
        let digest = sha256_hex(canonical.as_bytes());
        (string_to_sign(TIMESTAMP, &credential_scope(DATE, "cvm"), &canonical), digest)
    }

    #[test]
    fn payload_hash() {
        assert_eq!(sha256_hex(PAYLOAD.as_bytes()), "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064");
    }

    #[test]
    fn vector_a_content_type_and_host() {
        let (sts, digest) = string_to_sign_for(&[("content-type", CONTENT_TYPE), ("host", HOST)], "content-type;host");
        assert_eq!(digest, "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031");
        let expected = "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";
        assert_eq!(signature(MASKED_KEY, DATE, "cvm", &sts), expected);
        assert!(verify_signature(MASKED_KEY, DATE, "cvm", &sts, expected));
        assert!(!verify_signature("another key", DATE, "cvm", &sts, expected));
        assert!(!verify_signature(MASKED_KEY, DATE, "cvm", &sts, "not hex"));
    }

    #[test]
    fn vector_b_with_action_header() {
        // The action value is lowercased in the canonical headers.
        let headers = [("content-type", CONTENT_TYPE), ("host", HOST), ("x-tc-action", "DescribeInstances")];
        let (sts, digest) = string_to_sign_for(&headers, "content-type;host;x-tc-action");
        assert_eq!(digest, "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84");
        assert_eq!(
            signature(MASKED_KEY, DATE, "cvm", &sts),
            "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"
        );
        assert_eq!(
            signature(&"*".repeat(32), DATE, "cvm", &sts),
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
    }

    #[test]
    fn parses_authorization_headers() {
        let header = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
                      SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c";
        let auth = parse_authorization(header).unwrap();
        assert_eq!(auth.secret_id, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******");
        assert_eq!((auth.date.as_str(), auth.service.as_str()), ("2019-02-25", "cvm"));
        assert_eq!(auth.signed_headers, ["content-type", "host"]);

        for garbled in [
            "",
            "TC3-HMAC-SHA256",
            "HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=00",
            "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=host, Signature=00",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=00",
            "TC3-HMAC-SHA256 Credential=a//c/tc3_request, SignedHeaders=host, Signature=00",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=host;, Signature=00",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=00, Signature=01",
        ] {
            assert_eq!(parse_authorization(garbled), None, "{garbled:?}");
        }
    }
}
