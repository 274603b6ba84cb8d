//! ZStack authentication: the account password digest, the `OAuth <session>` header and
//! AccessKey request signing.
//!
//! AccessKey: `Authorization: ZStack <AccessKeyId>:<Signature>` with
//! `Signature = Base64(HMAC-SHA1(secret, METHOD + "\n" + Date + "\n" + URI))`, where `Date` is the
//! `Date` header sent (RFC 1123, GMT) and `URI` the request path after the context path
//! `/zstack`, without the query (`/v1/iam2/projects/<uuid>/iam2/organizations`). The management
//! node refuses a `Date` more than 15 minutes off its clock.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::header::{AUTHORIZATION, DATE, HeaderValue};
use sha1::Sha1;
use sha2::{Digest, Sha512};
use time::OffsetDateTime;
use time::macros::format_description;
use url::Url;

use crate::clouds::Secret;
use crate::clouds::encoding::percent_decode;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{RequestSigner, SignableRequest};

/// The password as ZStack's login API takes it: the lower-case hex SHA-512 of the plaintext.
pub fn password_digest(plaintext: &str) -> Secret {
    Secret::new(hex::encode(Sha512::digest(plaintext.as_bytes())))
}

/// `Mon, 02 Jan 2006 15:04:05 GMT` (RFC 1123), always in GMT.
pub fn http_date(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .expect("an RFC 1123 date is always formattable")
}

/// `METHOD\nDate\nURI`.
pub fn string_to_sign(method: &str, date: &str, uri: &str) -> String {
    format!("{method}\n{date}\n{uri}")
}

/// Base64 of the HMAC-SHA1 of `string_to_sign` keyed with the AccessKey secret.
pub fn access_key_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Signs every request with a ZStack AccessKey.
#[derive(Debug, Clone)]
pub struct AccessKeySigner {
    access_key_id: String,
    secret: Secret,
    /// The URL path up to and including the context path, e.g. `/zstack`; what follows it is the
    /// signed URI.
    context_path: String,
}

impl AccessKeySigner {
    /// `context_path` is the path of the ZStack context (`/zstack`, or `/prefix/zstack` behind a
    /// proxy); it is stripped from request paths to get the signed URI.
    pub fn new(access_key_id: impl Into<String>, secret: Secret, context_path: &str) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret,
            context_path: context_path.trim_end_matches('/').to_owned(),
        }
    }

    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The URI that is signed for `url`: its path after the context path, no query, decoded
    /// (the management node verifies the decoded request path, so `%20` is signed as a space).
    pub fn signed_uri(&self, url: &Url) -> String {
        let path = url.path();
        let uri = match path.strip_prefix(&self.context_path) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => path,
        };
        String::from_utf8_lossy(&percent_decode(uri, false)).into_owned()
    }

    /// The `Authorization` value for a request made at `date` (already formatted).
    pub fn authorization(&self, method: &str, date: &str, url: &Url) -> String {
        let signature =
            access_key_signature(self.secret.expose(), &string_to_sign(method, date, &self.signed_uri(url)));
        format!("ZStack {}:{signature}", self.access_key_id)
    }

    /// Signs `req` as of `at`.
    pub fn sign_at(&self, req: &mut SignableRequest, at: OffsetDateTime) -> Result<(), CloudError> {
        let date = http_date(at);
        let authorization = self.authorization(req.method.as_str(), &date, &req.url);
        let mut value = HeaderValue::from_str(&authorization)
            .map_err(|_| sign_error("the access key id contains characters that cannot be sent in a header"))?;
        value.set_sensitive(true);
        req.headers.insert(DATE, HeaderValue::from_str(&date).expect("an HTTP date is a valid header value"));
        req.headers.insert(AUTHORIZATION, value);
        Ok(())
    }
}

impl RequestSigner for AccessKeySigner {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        self.sign_at(req, OffsetDateTime::now_utc())
    }
}

/// Sends `Authorization: OAuth <session uuid>`.
#[derive(Debug, Clone)]
pub struct SessionSigner {
    pub session: Secret,
}

impl RequestSigner for SessionSigner {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        let mut value = HeaderValue::from_str(&format!("OAuth {}", self.session.expose()))
            .map_err(|_| sign_error("the session id returned by the login cannot be sent"))?;
        value.set_sensitive(true);
        req.headers.insert(AUTHORIZATION, value);
        Ok(())
    }
}

/// For the login itself: no credentials.
#[derive(Debug, Clone, Copy)]
pub struct NoAuth;

impl RequestSigner for NoAuth {
    fn sign(&self, _req: &mut SignableRequest) -> Result<(), CloudError> {
        Ok(())
    }
}

fn sign_error(message: &str) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::ZStack, "sign request", message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;
    use time::macros::datetime;

    const SECRET: &str = "tether-zstack-secret";
    const PROJECT: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
    const ORG: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";

    #[test]
    fn password_is_lower_hex_sha512() {
        // Recomputed independently: python3 -c 'import hashlib;print(hashlib.sha512(b"password").hexdigest())'
        assert_eq!(
            password_digest("password").expose(),
            "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86"
        );
        assert_eq!(
            password_digest("pässwörd").expose(),
            "72c7fe1bd33b785746a9c94f9b80d2591cd38f3c13c8aa43f7537f32a2a8c5f9b5d1cee16b69f0212e0e39a94d83f57bcf3a26bae776007cebb01f0d6311273e"
        );
        assert_eq!(format!("{:?}", password_digest("password")), "***");
    }

    #[test]
    fn date_is_rfc1123_gmt() {
        assert_eq!(http_date(datetime!(2006-01-02 15:04:05 UTC)), "Mon, 02 Jan 2006 15:04:05 GMT");
        // Other offsets are converted, single-digit days are zero-padded.
        assert_eq!(http_date(datetime!(2026-03-03 16:09:10 +08:00)), "Tue, 03 Mar 2026 08:09:10 GMT");
    }

    #[test]
    fn signing_vectors() {
        // Expected values computed independently with Python:
        //   base64.b64encode(hmac.new(secret, string_to_sign, hashlib.sha1).digest())
        let sts = string_to_sign(
            "POST",
            "Mon, 02 Jan 2006 15:04:05 GMT",
            &format!("/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}"),
        );
        assert_eq!(
            sts,
            format!("POST\nMon, 02 Jan 2006 15:04:05 GMT\n/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}")
        );
        assert_eq!(access_key_signature(SECRET, &sts), "4OTiA8NqoEPqSo+yHGvsCmv5TQo=");
        let sts = string_to_sign(
            "DELETE",
            "Tue, 03 Mar 2026 08:09:10 GMT",
            &format!("/v1/iam2/projects/{PROJECT}/iam2/organizations"),
        );
        assert_eq!(access_key_signature(SECRET, &sts), "7z5zpHrGfSDLwGI+KTQydmkQUq0=");
    }

    #[test]
    fn signer_strips_context_path_and_query() {
        let signer = AccessKeySigner::new("AKID", Secret::new(SECRET), "/zstack/");
        let url =
            Url::parse(&format!("http://10.0.0.5:8080/zstack/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}?x=1"))
                .unwrap();
        assert_eq!(signer.signed_uri(&url), format!("/v1/iam2/projects/{PROJECT}/iam2/organizations/{ORG}"));
        let mut req = SignableRequest::new(Method::POST, url);
        signer.sign_at(&mut req, datetime!(2006-01-02 15:04:05 UTC)).unwrap();
        assert_eq!(req.headers.get(DATE).unwrap(), "Mon, 02 Jan 2006 15:04:05 GMT");
        let auth = req.headers.get(AUTHORIZATION).unwrap();
        assert!(auth.is_sensitive());
        assert_eq!(auth, "ZStack AKID:4OTiA8NqoEPqSo+yHGvsCmv5TQo=");
        assert!(!format!("{req:?}").contains("4OTiA8"));

        // Behind a proxy prefix.
        let signer = AccessKeySigner::new("AKID", Secret::new(SECRET), "/zs/zstack");
        let url = Url::parse("https://proxy.example/zs/zstack/v1/api-jobs/abc").unwrap();
        assert_eq!(signer.signed_uri(&url), "/v1/api-jobs/abc");
        // Signed as the management node verifies it: decoded.
        let url = Url::parse("https://proxy.example/zs/zstack/v1/a%20b/%E2%9C%93").unwrap();
        assert_eq!(signer.signed_uri(&url), "/v1/a b/\u{2713}");
        assert!(!format!("{signer:?}").contains(SECRET));
    }

    #[test]
    fn session_header() {
        let mut req = SignableRequest::new(Method::GET, Url::parse("http://h/zstack/v1/x").unwrap());
        SessionSigner { session: Secret::new("0123abcd") }.sign(&mut req).unwrap();
        assert_eq!(req.headers.get(AUTHORIZATION).unwrap(), "OAuth 0123abcd");
        assert!(req.headers.get(AUTHORIZATION).unwrap().is_sensitive());
        let mut req = SignableRequest::new(Method::GET, Url::parse("http://h/zstack/v1/x").unwrap());
        NoAuth.sign(&mut req).unwrap();
        assert!(req.headers.is_empty());
    }
}
