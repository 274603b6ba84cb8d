//! SDK-HMAC-SHA256, Huawei Cloud's AK/SK request signature (the pure algorithm; [`super::auth`]
//! applies it to HTTP requests).
//!
//! ```text
//! CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//! StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
//! Signature        = hex(HMAC-SHA256(SK, StringToSign))
//! ```
//!
//! The canonical URI re-encodes each segment of the URL-decoded path (RFC 3986: only
//! `A-Za-z0-9-_.~` stay literal) and always ends with `/`; the canonical query is the decoded
//! `k=v` pairs sorted by key then value and re-encoded the same way; canonical headers are
//! `name:trimmed value\n` per signed header (values keep their case, unlike TC3).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
pub const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` makes the signers put this literal in place of the
/// payload hash.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

type HmacSha256 = Hmac<Sha256>;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// RFC 3986 percent-encoding of UTF-8 bytes: unreserved characters stay, everything else
/// (including `/`) becomes `%XX` with upper-case hex, like Python's `quote(s, safe='~')`.
pub fn uri_encode(text: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
}

/// Decodes `%XX` escapes (malformed ones stay as they are); `+` becomes a space only when
/// `plus_is_space` (query strings, not paths).
pub fn percent_decode(text: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some((hex_value(bytes[i + 1])? << 4) | hex_value(bytes[i + 2])?))
            .flatten();
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (None, b'+') if plus_is_space => out.push(b' '),
            (None, byte) => out.push(byte),
        }
        i += 1;
    }
    out
}

/// [`percent_decode`] as text (invalid UTF-8 is replaced, as Python's `unquote` does).
pub fn percent_decode_str(text: &str, plus_is_space: bool) -> String {
    String::from_utf8_lossy(&percent_decode(text, plus_is_space)).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// The canonical URI of a raw request path: decode it, re-encode each `/`-separated segment,
/// and make sure it ends with `/` (`/v1/organizations/leave` is signed as `/v1/organizations/leave/`).
pub fn canonical_uri(raw_path: &str) -> String {
    let decoded = percent_decode(raw_path, false);
    let mut uri = decoded.split(|&b| b == b'/').map(uri_encode).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string of a raw query (without `?`): decoded pairs sorted by key, then
/// value, re-encoded and joined with `&`. A key without `=` has the empty value.
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query);
    pairs.sort();
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", uri_encode(key.as_bytes()), uri_encode(value.as_bytes())))
        .collect::<Vec<_>>()
        .join("&")
}

/// The decoded `(key, value)` pairs of a raw query string, in their order.
pub fn query_pairs(raw_query: &str) -> Vec<(String, String)> {
    raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode_str(key, true), percent_decode_str(value, true))
        })
        .collect()
}

/// `name:value\n` per header, in the given order: names lower-cased, values trimmed.
pub fn canonical_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    headers.into_iter().map(|(name, value)| format!("{}:{}\n", name.trim().to_lowercase(), value.trim())).collect()
}

pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        method.to_uppercase()
    )
}

pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{sdk_date}\n{}", sha256_hex(canonical_request.as_bytes()))
}

fn mac(secret_key: &str, string_to_sign: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac
}

/// The hex signature a client holding `secret_key` sends.
pub fn signature(secret_key: &str, string_to_sign: &str) -> String {
    hex::encode(mac(secret_key, string_to_sign).finalize().into_bytes())
}

/// Constant-time check of a client's hex signature.
pub fn verify_signature(secret_key: &str, string_to_sign: &str, hex_signature: &str) -> bool {
    let Ok(claimed) = hex::decode(hex_signature) else {
        return false;
    };
    mac(secret_key, string_to_sign).verify_slice(&claimed).is_ok()
}

/// A parsed `Authorization: SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// Lower-cased, in the declared order.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

impl Authorization {
    /// The SignedHeaders line of the canonical request.
    pub fn signed_headers_line(&self) -> String {
        self.signed_headers.join(";")
    }
}

/// Parses an Authorization header; `None` when it is not a well-formed SDK-HMAC-SHA256 header.
pub fn parse_authorization(header: &str) -> Option<Authorization> {
    let (algorithm, rest) = header.trim().split_once(char::is_whitespace)?;
    if algorithm != ALGORITHM {
        return None;
    }
    let (mut access, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        let slot = match key.trim() {
            "Access" => &mut access,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return None,
        };
        if slot.replace(value.trim()).is_some() {
            return None; // the same field twice
        }
    }
    let (access, signed_headers, signature) = (access?, signed_headers?, signature?);
    let signed_headers: Vec<String> = signed_headers.split(';').map(|h| h.trim().to_lowercase()).collect();
    if access.is_empty() || signature.is_empty() || signed_headers.iter().any(String::is_empty) {
        return None;
    }
    Some(Authorization { access_key: access.to_owned(), signed_headers, signature: signature.to_owned() })
}

#[cfg(test)]
mod tests {
    //! The official worked example from Huawei's "AK/SK signing algorithm" page (VPC list).
    use super::*;

    pub const AK: &str = "QTWAOYTTINDUT2QVKYUC";
    pub const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    const CANONICAL: &str = "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n\
        limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n\
        content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n\
        content-type;host;x-sdk-date\n\
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SIGNATURE: &str = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";

    #[test]
    fn official_worked_example() {
        let canonical = canonical_request(
            "get",
            &canonical_uri("/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"),
            &canonical_query("marker=13551d6b-755d-4757-b956-536f674975c0&limit=2"),
            &canonical_headers([
                ("Content-Type", "application/json"),
                ("Host", "service.region.example.com"),
                ("X-Sdk-Date", " 20191115T033655Z "),
            ]),
            "content-type;host;x-sdk-date",
            &sha256_hex(b""),
        );
        assert_eq!(canonical, CANONICAL);
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
        );
        let sts = string_to_sign("20191115T033655Z", &canonical);
        assert_eq!(signature(SK, &sts), SIGNATURE);
        assert!(verify_signature(SK, &sts, SIGNATURE));
        assert!(!verify_signature("another key", &sts, SIGNATURE));
        assert!(!verify_signature(SK, &sts, "not hex"));
        assert_eq!(EMPTY_BODY_SHA256, sha256_hex(b""));
    }

    #[test]
    fn uri_and_query_encoding() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/v1/organizations/leave"), "/v1/organizations/leave/");
        assert_eq!(canonical_uri("/v1/a/"), "/v1/a/");
        // Decoded, then every segment re-encoded: an encoded slash splits, spaces become %20.
        assert_eq!(canonical_uri("/v1/a%20b/c d/x%2Fy"), "/v1/a%20b/c%20d/x/y/");
        assert_eq!(canonical_uri("/v1/%E4%B8%AD~_.-"), "/v1/%E4%B8%AD~_.-/");
        assert_eq!(canonical_uri("/v1/100%"), "/v1/100%25/");

        assert_eq!(canonical_query(""), "");
        assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
        assert_eq!(canonical_query("name=a+b&x=%2f%3A&y=caf%C3%A9"), "name=a%20b&x=%2F%3A&y=caf%C3%A9");
        assert_eq!(uri_encode(b"A-z_0.9~ /*"), "A-z_0.9~%20%2F%2A");
        assert_eq!(percent_decode_str("%zz%4", false), "%zz%4");
    }

    #[test]
    fn parses_authorization_headers() {
        let header =
            format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;Host;x-sdk-date, Signature={SIGNATURE}");
        let auth = parse_authorization(&header).unwrap();
        assert_eq!(auth.access_key, AK);
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-sdk-date"]);
        assert_eq!(auth.signed_headers_line(), "content-type;host;x-sdk-date");
        assert_eq!(auth.signature, SIGNATURE);

        for garbled in [
            "",
            "SDK-HMAC-SHA256",
            "SDK-HMAC-SM3 Access=a, SignedHeaders=host, Signature=00",
            "SDK-HMAC-SHA256 Access=a, Signature=00",
            "SDK-HMAC-SHA256 Access=, SignedHeaders=host, Signature=00",
            "SDK-HMAC-SHA256 Access=a, SignedHeaders=host;, Signature=00",
            "SDK-HMAC-SHA256 Access=a, SignedHeaders=host, Signature=00, Signature=01",
            "SDK-HMAC-SHA256 Credential=a, SignedHeaders=host, Signature=00",
        ] {
            assert_eq!(parse_authorization(garbled), None, "{garbled:?}");
        }
    }
}
