//! SDK-HMAC-SHA256, the Huawei Cloud AK/SK request signature (APIG).
//!
//! The pure [`sdk_signature`] is what the tests check against the official worked example;
//! [`SdkSigner`] plugs it into the shared HTTP layer. Every header present on the request when it
//! is signed is signed (except names containing `_`, as the SDKs do), so whatever a client adds
//! before signing — `Content-Type`, `User-Agent`, `X-Domain-Id`, `X-Project-Id` — is covered, and
//! the signer itself adds `Host`, `X-Sdk-Date` and `X-Security-Token`.

use hmac::{Hmac, Mac};
use reqwest::header::{AUTHORIZATION, HOST, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

use crate::clouds::Secret;
use crate::clouds::encoding::percent_decode;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{RequestSigner, SignableRequest};

pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Sent as `X-Sdk-Content-Sha256` to sign the literal instead of the body (non-JSON uploads).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

pub const X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");
pub const X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");
pub const X_SDK_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-sdk-content-sha256");

/// Everything the signature covers, as it goes on the wire.
#[derive(Debug, Clone, Copy)]
pub struct SdkRequest<'a> {
    /// Upper-cased for signing.
    pub method: &'a str,
    /// The path as sent (percent-encoded, e.g. [`url::Url::path`]).
    pub path: &'a str,
    /// The query string as sent, without `?` (e.g. [`url::Url::query`]).
    pub query: Option<&'a str>,
    /// The headers to sign, `(name, value)` as sent; must include `host` and `x-sdk-date`.
    /// Names are matched case-insensitively; names containing `_` are not signed; repeated
    /// names are joined with `,`.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkSignature {
    /// The six-line canonical request.
    pub canonical_request: String,
    /// Hex SHA-256 of the canonical request.
    pub canonical_request_hash: String,
    pub string_to_sign: String,
    /// Sorted lower-case header names joined by `;`.
    pub signed_headers: String,
    /// Hex HMAC-SHA256(SK, StringToSign).
    pub signature: String,
}

impl SdkSignature {
    /// The `Authorization` header value.
    pub fn authorization(&self, access_key: &str) -> String {
        format!("{ALGORITHM} Access={access_key}, SignedHeaders={}, Signature={}", self.signed_headers, self.signature)
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC, the `X-Sdk-Date` format.
pub fn sdk_date(at: OffsetDateTime) -> String {
    let fmt = format_description!("[year][month][day]T[hour][minute][second]Z");
    at.to_offset(time::UtcOffset::UTC).format(&fmt).unwrap_or_else(|_| "19700101T000000Z".to_owned())
}

/// RFC 3986 encoding as the SDK does it: only `A-Za-z0-9_.-~` stay as they are.
pub fn rfc3986_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical URI: the path URL-decoded, each `/`-separated segment RFC 3986-encoded, and
/// always a trailing `/` (`/v1/organizations/leave` is signed as `/v1/organizations/leave/`).
pub fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode(path, false);
    let mut out = decoded.split(|&b| b == b'/').map(rfc3986_encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string: `k=v` pairs, decoded, sorted by key then value (bytewise on the
/// decoded text, as the SDK signers do), re-encoded RFC 3986 style and joined by `&`. A key
/// without `=` has an empty value.
pub fn canonical_query_string(query: Option<&str>) -> String {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{}={}", rfc3986_encode(k), rfc3986_encode(v))).collect::<Vec<_>>().join("&")
}

/// The canonical request and the signed-headers list.
pub fn canonical_request(req: &SdkRequest<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in req.headers {
        let name = name.trim().to_ascii_lowercase();
        if name.contains('_') || name.is_empty() {
            continue;
        }
        let value = value.trim();
        match headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(value);
            }
            None => headers.push((name, value.to_owned())),
        }
    }
    headers.sort();
    let signed_headers = headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let unsigned = headers.iter().any(|(n, v)| n == X_SDK_CONTENT_SHA256.as_str() && v == UNSIGNED_PAYLOAD);
    let body_hash = if unsigned { UNSIGNED_PAYLOAD.to_owned() } else { hex::encode(Sha256::digest(req.body)) };
    let text = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{body_hash}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        canonical_query_string(req.query),
    );
    (text, signed_headers)
}

/// Signs `req`; `sdk_date` must equal the `x-sdk-date` header among `req.headers`.
pub fn sdk_signature(secret_key: &str, sdk_date: &str, req: &SdkRequest<'_>) -> SdkSignature {
    let (canonical_request, signed_headers) = canonical_request(req);
    let canonical_request_hash = hex::encode(Sha256::digest(canonical_request.as_bytes()));
    let string_to_sign = format!("{ALGORITHM}\n{sdk_date}\n{canonical_request_hash}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    SdkSignature { canonical_request, canonical_request_hash, string_to_sign, signed_headers, signature }
}

/// Signs requests built by the Huawei clients: sets `Host`, `X-Sdk-Date`, `X-Security-Token`
/// (when a token is configured) and `Authorization`, signing every header on the request.
#[derive(Debug, Clone)]
pub struct SdkSigner {
    pub access_key: String,
    pub secret_key: Secret,
    pub security_token: Option<Secret>,
}

impl SdkSigner {
    pub fn sign_at(&self, req: &mut SignableRequest, at: OffsetDateTime) -> Result<(), CloudError> {
        let date = sdk_date(at);
        let invalid = |what: &str| sign_error(format!("{what} is not a valid header value"));
        req.headers.remove(AUTHORIZATION);
        let host = HeaderValue::from_str(&req.host()).map_err(|_| invalid("the endpoint host"))?;
        req.headers.insert(HOST, host);
        req.headers.insert(X_SDK_DATE, HeaderValue::from_str(&date).map_err(|_| invalid("the date"))?);
        match &self.security_token {
            Some(token) if !token.is_empty() => {
                let mut value = HeaderValue::from_str(token.expose()).map_err(|_| invalid("the security token"))?;
                value.set_sensitive(true);
                req.headers.insert(X_SECURITY_TOKEN, value);
            }
            _ => {
                req.headers.remove(X_SECURITY_TOKEN);
            }
        }

        let mut headers = Vec::with_capacity(req.headers.len());
        for (name, value) in &req.headers {
            let value = value
                .to_str()
                .map_err(|_| sign_error(format!("cannot sign: the {name} header has a non-ASCII value")))?;
            headers.push((name.as_str(), value));
        }
        let sig = sdk_signature(
            self.secret_key.expose(),
            &date,
            &SdkRequest {
                method: req.method.as_str(),
                path: req.url.path(),
                query: req.url.query(),
                headers: &headers,
                body: &req.body,
            },
        );
        let mut authorization =
            HeaderValue::from_str(&sig.authorization(&self.access_key)).map_err(|_| invalid("the access key"))?;
        authorization.set_sensitive(true);
        req.headers.insert(AUTHORIZATION, authorization);
        Ok(())
    }
}

impl RequestSigner for SdkSigner {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        self.sign_at(req, OffsetDateTime::now_utc())
    }
}

fn sign_error(message: String) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::Huawei, "request signing", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;
    use reqwest::header::CONTENT_TYPE;
    use time::macros::datetime;
    use url::Url;

    const AK: &str = "QTWAOYTTINDUT2QVKYUC";
    const SK: &str = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    const DATE: &str = "20191115T033655Z";
    const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    const EXAMPLE_CANONICAL: &str = "GET\n\
        /v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n\
        limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n\
        content-type:application/json\n\
        host:service.region.example.com\n\
        x-sdk-date:20191115T033655Z\n\
        \n\
        content-type;host;x-sdk-date\n\
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const EXAMPLE_AUTHORIZATION: &str = "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, \
        SignedHeaders=content-type;host;x-sdk-date, \
        Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";

    #[test]
    fn official_worked_example() {
        let headers =
            [("Content-Type", "application/json"), ("Host", "service.region.example.com"), ("X-Sdk-Date", DATE)];
        let sig = sdk_signature(
            SK,
            DATE,
            &SdkRequest {
                method: "GET",
                path: "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
                query: Some("limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"),
                headers: &headers,
                body: b"",
            },
        );
        assert_eq!(sig.canonical_request, EXAMPLE_CANONICAL);
        assert_eq!(sig.canonical_request_hash, "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
        assert_eq!(sig.string_to_sign, format!("SDK-HMAC-SHA256\n{DATE}\n{}", sig.canonical_request_hash));
        assert_eq!(sig.signed_headers, "content-type;host;x-sdk-date");
        assert_eq!(sig.signature, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
        assert_eq!(sig.authorization(AK), EXAMPLE_AUTHORIZATION);
    }

    #[test]
    fn signer_reproduces_worked_example() {
        let signer = SdkSigner { access_key: AK.into(), secret_key: Secret::new(SK), security_token: None };
        let url = Url::parse(
            "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        )
        .unwrap();
        let mut req = SignableRequest::new(Method::GET, url);
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        signer.sign_at(&mut req, datetime!(2019-11-15 03:36:55 UTC)).unwrap();
        assert_eq!(req.headers[X_SDK_DATE], DATE);
        assert_eq!(req.headers[HOST], "service.region.example.com");
        assert_eq!(req.headers[AUTHORIZATION], EXAMPLE_AUTHORIZATION);
        assert!(req.headers.get(X_SECURITY_TOKEN).is_none());

        // Re-signing (a retry) replaces the old Authorization instead of signing it.
        signer.sign_at(&mut req, datetime!(2019-11-15 03:36:55 UTC)).unwrap();
        assert_eq!(req.headers[AUTHORIZATION], EXAMPLE_AUTHORIZATION);
    }

    #[test]
    fn date_format() {
        assert_eq!(sdk_date(datetime!(2019-11-15 03:36:55 UTC)), DATE);
        assert_eq!(sdk_date(datetime!(2024-02-29 23:59:59 +08:00)), "20240229T155959Z");
    }

    #[test]
    fn uri_always_ends_with_slash() {
        assert_eq!(canonical_uri("/v1/organizations/leave"), "/v1/organizations/leave/");
        assert_eq!(canonical_uri("/v1/organizations/"), "/v1/organizations/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");

        // The path sent is unchanged; only the canonical form gains the slash.
        let headers = [("host", "h"), ("x-sdk-date", DATE)];
        let req =
            SdkRequest { method: "post", path: "/v1/organizations/leave", query: None, headers: &headers, body: b"" };
        let (text, signed) = canonical_request(&req);
        assert_eq!(
            text,
            format!("POST\n/v1/organizations/leave/\n\nhost:h\nx-sdk-date:{DATE}\n\nhost;x-sdk-date\n{EMPTY_SHA256}")
        );
        assert_eq!(signed, "host;x-sdk-date");
    }

    #[test]
    fn uri_segments_are_decoded_then_rfc3986_encoded() {
        // Spaces, unicode and sub-delims as url::Url would send them.
        let mut url = Url::parse("http://h/v1").unwrap();
        url.path_segments_mut().unwrap().extend(["my account", "名字", "a+b(c)!*'", "x~y_z.-"]);
        assert_eq!(url.path(), "/v1/my%20account/%E5%90%8D%E5%AD%97/a+b(c)!*'/x~y_z.-");
        assert_eq!(canonical_uri(url.path()), "/v1/my%20account/%E5%90%8D%E5%AD%97/a%2Bb%28c%29%21%2A%27/x~y_z.-/");
        // Lower-case escapes and already-encoded input give the same canonical form.
        assert_eq!(canonical_uri("/a%2fb/%e5%90%8d"), "/a/b/%E5%90%8D/");
        // A stray % that is not an escape is encoded itself.
        assert_eq!(canonical_uri("/100%/x%zz"), "/100%25/x%25zz/");
    }

    #[test]
    fn query_sorted_by_key_then_value() {
        assert_eq!(canonical_query_string(None), "");
        assert_eq!(canonical_query_string(Some("")), "");
        assert_eq!(canonical_query_string(Some("marker=m&limit=2&b=2&b=10&b=1&a")), "a=&b=1&b=10&b=2&limit=2&marker=m");
        // Form-style `+` is a space; everything is re-encoded RFC 3986 style.
        assert_eq!(canonical_query_string(Some("name=a+b&x=%7e&y=%E5%90%8D&z=*")), "name=a%20b&x=~&y=%E5%90%8D&z=%2A");
        // Sorting is on the decoded text: `a` sorts before `{`, though `%7B` < `a`.
        assert_eq!(canonical_query_string(Some("x=%7B&x=a")), "x=a&x=%7B");
        // What url::Url's query builder sends canonicalises like the raw value.
        let mut url = Url::parse("http://h/").unwrap();
        url.query_pairs_mut()
            .append_pair("principal_type", "USER")
            .append_pair("principal_id", "id with space")
            .append_pair("limit", "100");
        assert_eq!(canonical_query_string(url.query()), "limit=100&principal_id=id%20with%20space&principal_type=USER");
    }

    #[test]
    fn headers_lowercased_trimmed_sorted_underscores_skipped() {
        let headers = [
            ("X-Sdk-Date", DATE),
            ("Host", " h:8080 "),
            ("X-Domain-Id", "dom"),
            ("X_Custom", "skipped"),
            ("X-Multi", "a"),
            ("x-multi", "b"),
        ];
        let (text, signed) =
            canonical_request(&SdkRequest { method: "GET", path: "/v1/x", query: None, headers: &headers, body: b"" });
        assert_eq!(signed, "host;x-domain-id;x-multi;x-sdk-date");
        assert!(
            text.contains(&format!("\nhost:h:8080\nx-domain-id:dom\nx-multi:a,b\nx-sdk-date:{DATE}\n\n")),
            "{text}"
        );
    }

    #[test]
    fn unsigned_payload_hashes_the_literal() {
        let headers = [("host", "h"), ("x-sdk-date", DATE), ("X-Sdk-Content-Sha256", UNSIGNED_PAYLOAD)];
        let (text, _) = canonical_request(&SdkRequest {
            method: "PUT",
            path: "/f",
            query: None,
            headers: &headers,
            body: b"binary",
        });
        assert!(text.ends_with("\nUNSIGNED-PAYLOAD"), "{text}");
    }

    #[test]
    fn signer_signs_token_domain_and_all_sent_headers() {
        let signer = SdkSigner {
            access_key: "AKtest".into(),
            secret_key: Secret::new("very-secret-key"),
            security_token: Some(Secret::new("very-secret-token")),
        };
        let mut req =
            SignableRequest::new(Method::POST, Url::parse("http://127.0.0.1:8443/v1/organizations/leave").unwrap());
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        req.headers.insert("x-domain-id", HeaderValue::from_static("domain-1"));
        req.body = b"{\"a\":1}".to_vec();
        let at = datetime!(2024-05-06 07:08:09 UTC);
        signer.sign_at(&mut req, at).unwrap();

        assert_eq!(req.headers[HOST], "127.0.0.1:8443");
        assert_eq!(req.headers[X_SECURITY_TOKEN], "very-secret-token");
        let auth = req.headers[AUTHORIZATION].to_str().unwrap();
        let expected = sdk_signature(
            "very-secret-key",
            "20240506T070809Z",
            &SdkRequest {
                method: "POST",
                path: "/v1/organizations/leave",
                query: None,
                headers: &[
                    ("content-type", "application/json"),
                    ("host", "127.0.0.1:8443"),
                    ("x-domain-id", "domain-1"),
                    ("x-sdk-date", "20240506T070809Z"),
                    ("x-security-token", "very-secret-token"),
                ],
                body: b"{\"a\":1}",
            },
        );
        assert!(
            expected.canonical_request.starts_with("POST\n/v1/organizations/leave/\n\n"),
            "{}",
            expected.canonical_request
        );
        assert_eq!(expected.signed_headers, "content-type;host;x-domain-id;x-sdk-date;x-security-token");
        assert_eq!(auth, expected.authorization("AKtest"));
        let debug = format!("{signer:?} {req:?}");
        assert!(!debug.contains("very-secret"), "{debug}");

        // Without a token the header is removed (and so not signed).
        let signer = SdkSigner { security_token: None, ..signer };
        signer.sign_at(&mut req, at).unwrap();
        assert!(req.headers.get(X_SECURITY_TOKEN).is_none());
        assert!(
            req.headers[AUTHORIZATION]
                .to_str()
                .unwrap()
                .contains("SignedHeaders=content-type;host;x-domain-id;x-sdk-date, ")
        );
    }

    #[test]
    fn different_key_or_body_changes_the_signature() {
        let headers = [("host", "h"), ("x-sdk-date", DATE)];
        let req =
            |body: &'static [u8]| SdkRequest { method: "POST", path: "/v1/x", query: None, headers: &headers, body };
        let a = sdk_signature("k1", DATE, &req(b"{}")).signature;
        assert_ne!(a, sdk_signature("k2", DATE, &req(b"{}")).signature);
        assert_ne!(a, sdk_signature("k1", DATE, &req(b"{ }")).signature);
        assert_eq!(a, sdk_signature("k1", DATE, &req(b"{}")).signature);
    }
}
