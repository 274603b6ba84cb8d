//! Huawei Cloud: configuration, the error envelope and its codes, and the request plumbing the
//! Organizations, RGC and IAM Identity Center clients share.
//!
//! All three services sign with SDK-HMAC-SHA256 ([`sign`]). The global services (Organizations,
//! Identity Center) send `X-Domain-Id`, the regional RGC sends `X-Project-Id`, each when
//! configured; `X-Security-Token` goes with temporary credentials. Every header sent is signed.
//!
//! Cancellation: every client may carry a [`CancellationToken`] (`with_cancellation`); when it
//! fires (StopProvider, or the operation's deadline), calls in flight on that handle return a
//! "cancelled" error of kind `Cancelled` at once.

pub mod identitycenter;
pub mod organizations;
pub mod rgc;
pub mod sign;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use identitycenter::{AccountAssignment, AssignmentStatus, AssignmentTarget, IdentityCenterClient, Instance};
pub use organizations::{Account, Handshake, HandshakeTarget, Organization, OrganizationsClient};
pub use rgc::{AccountGoal, Blueprint, ManagedAccount, ManagedAccountRegion, Operation, PercentageDetail, RgcClient};

use super::Secret;
use super::error::{Cloud, CloudError, ErrorKind};
use super::http::{Call, HttpClient, HttpResponse, RetryPolicy, SignableRequest, snippet};
use sign::SdkSigner;

/// Lenient field decoders (shared with ZStack).
pub(crate) use super::lenient;

pub const ORGANIZATIONS_ENDPOINT: &str = "https://organizations.myhuaweicloud.com";
pub const IDENTITYCENTER_ENDPOINT: &str = "https://identitycenter.myhuaweicloud.com";
/// The region the global services live in, and the default for RGC.
pub const DEFAULT_REGION: &str = "cn-north-4";

pub const X_DOMAIN_ID: HeaderName = HeaderName::from_static("x-domain-id");
pub const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

const CLIENT_USER_AGENT: &str = concat!("terraform-provider-tether/", env!("CARGO_PKG_VERSION"));
/// Page size for every paged list.
pub(crate) const PAGE_LIMIT: u32 = 100;
/// Upper bound on pages per list, against servers that never stop handing out markers.
pub(crate) const MAX_PAGES: usize = 1000;

/// The message for a rejected signature (`APIGW.0301`).
pub const SIGNATURE_REJECTED: &str = "Huawei Cloud rejected the request signature: check access_key, \
     secret_key, security_token and the machine clock";

#[derive(Debug, Clone)]
pub struct HuaweiCredentials {
    pub access_key: String,
    pub secret_key: Secret,
    /// Only for temporary credentials; sent (and signed) as `X-Security-Token`.
    pub security_token: Option<Secret>,
}

/// Base URLs (scheme, host, optional port and path prefix) of the three services. `http://` is
/// allowed: the emulator serves all three on one loopback port, told apart by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuaweiEndpoints {
    pub organizations: Url,
    pub rgc: Url,
    pub identitycenter: Url,
}

impl HuaweiEndpoints {
    /// The public endpoints: `https://organizations.myhuaweicloud.com`,
    /// `https://rgc.{region}.myhuaweicloud.com`, `https://identitycenter.myhuaweicloud.com`.
    ///
    /// Never fails: a region that cannot be part of a host name (see [`is_valid_region`]; the
    /// provider should reject it first) yields the host `rgc.invalid-region.myhuaweicloud.com`,
    /// so calls fail with a connection error that names it.
    pub fn for_region(region: &str) -> Self {
        let region = region.trim().to_ascii_lowercase();
        let label = if is_valid_region(&region) { region.as_str() } else { "invalid-region" };
        let parse = |s: &str| Url::parse(s).expect("valid built-in endpoint");
        Self {
            organizations: parse(ORGANIZATIONS_ENDPOINT),
            rgc: Url::parse(&format!("https://rgc.{label}.myhuaweicloud.com"))
                .unwrap_or_else(|_| parse("https://rgc.invalid-region.myhuaweicloud.com")),
            identitycenter: parse(IDENTITYCENTER_ENDPOINT),
        }
    }

    /// All three services at one base URL (the emulator).
    pub fn single(base: Url) -> Self {
        Self { organizations: base.clone(), rgc: base.clone(), identitycenter: base }
    }
}

/// Whether `region` looks like a Huawei region id (`cn-north-4`, `ap-southeast-1`): lower-case
/// letters, digits and inner hyphens.
pub fn is_valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Debug, Clone)]
pub struct HuaweiConfig {
    pub credentials: HuaweiCredentials,
    pub region: String,
    /// Account (domain) id, sent as `X-Domain-Id` to Organizations and Identity Center.
    pub domain_id: Option<String>,
    /// Project id of `region`, sent as `X-Project-Id` to RGC.
    pub project_id: Option<String>,
    pub endpoints: HuaweiEndpoints,
    pub retry: RetryPolicy,
}

impl HuaweiConfig {
    /// Public endpoints for `region`, no domain or project id, default retries.
    pub fn new(credentials: HuaweiCredentials, region: impl Into<String>) -> Self {
        let region = region.into();
        Self {
            credentials,
            endpoints: HuaweiEndpoints::for_region(&region),
            region,
            domain_id: None,
            project_id: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// The three clients over one connection pool.
#[derive(Debug, Clone)]
pub struct HuaweiClients {
    pub organizations: OrganizationsClient,
    pub rgc: RgcClient,
    pub identitycenter: IdentityCenterClient,
}

impl HuaweiClients {
    pub fn new(cfg: &HuaweiConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::Huawei)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (its pool and its pacing).
    pub fn with_http_client(cfg: &HuaweiConfig, http: HttpClient) -> Result<Self, CloudError> {
        Ok(Self {
            organizations: OrganizationsClient::with_http_client(cfg, http.clone())?,
            rgc: RgcClient::with_http_client(cfg, http.clone())?,
            identitycenter: IdentityCenterClient::with_http_client(cfg, http)?,
        })
    }

    /// Handles whose calls all stop once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self {
            organizations: self.organizations.with_cancellation(token.clone()),
            rgc: self.rgc.with_cancellation(token.clone()),
            identitycenter: self.identitycenter.with_cancellation(token),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

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

fn request_id(resp: &HttpResponse) -> Option<&str> {
    resp.headers.get(X_REQUEST_ID).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty())
}

/// Decodes a 2xx JSON body into `T`, or the error.
pub(crate) fn decode_json<T: DeserializeOwned>(action: &str, host: &str, resp: &HttpResponse) -> Result<T, CloudError> {
    if !(200..300).contains(&resp.status) {
        return Err(decode_error(action, host, resp.status, &resp.headers, &resp.body));
    }
    serde_json::from_slice::<T>(&resp.body).map_err(|err| {
        let mut e = CloudError::new(
            ErrorKind::Other,
            Cloud::Huawei,
            action,
            format!("unexpected response from {host}: {err}: {}", snippet(&resp.body)),
        )
        .with_http_status(resp.status);
        e.request_id = request_id(resp).map(str::to_owned);
        e
    })
}

/// Accepts any 2xx answer (the body, usually empty, is ignored).
pub(crate) fn expect_success(action: &str, host: &str, resp: &HttpResponse) -> Result<(), CloudError> {
    if (200..300).contains(&resp.status) {
        Ok(())
    } else {
        Err(decode_error(action, host, resp.status, &resp.headers, &resp.body))
    }
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

// ---------------------------------------------------------------------------------------------
// Requests

/// Which scoping header a service takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Organizations, Identity Center: `X-Domain-Id`.
    Global,
    /// RGC: `X-Project-Id`.
    Regional,
}

/// One service endpoint with its signer and fixed headers.
#[derive(Debug)]
pub(crate) struct Service {
    http: HttpClient,
    signer: SdkSigner,
    endpoint: Url,
    /// Every header but the per-attempt ones the signer adds.
    headers: HeaderMap,
    host: String,
    retry: RetryPolicy,
}

/// One API call.
pub(crate) struct ApiRequest<'a> {
    pub action: &'static str,
    pub method: Method,
    /// Path segments after the endpoint's own path; each is percent-encoded as needed.
    pub path: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    /// Serialized JSON; `None` sends an empty body (still with `Content-Type: application/json`).
    pub body: Option<Vec<u8>>,
    /// See [`Call::idempotent`].
    pub idempotent: bool,
}

impl Service {
    pub(crate) fn new(
        cfg: &HuaweiConfig,
        http: HttpClient,
        endpoint: &Url,
        scope: Scope,
        service: &str,
    ) -> Result<Arc<Self>, CloudError> {
        let setup_error = |msg: String| invalid("client setup", msg);
        let creds = &cfg.credentials;
        let access_key = creds.access_key.trim();
        if access_key.is_empty() {
            return Err(setup_error("the access key is empty".into()));
        }
        if HeaderValue::from_str(access_key).is_err() || access_key.contains([',', ' ']) {
            return Err(setup_error("the access key contains characters that cannot be sent".into()));
        }
        if creds.secret_key.is_empty() {
            return Err(setup_error("the secret key is empty".into()));
        }
        let security_token = creds.security_token.clone().filter(|t| !t.is_empty());
        if security_token.as_ref().is_some_and(|token| HeaderValue::from_str(token.expose()).is_err()) {
            return Err(setup_error("the security token contains characters that cannot be sent".into()));
        }
        if !matches!(endpoint.scheme(), "http" | "https")
            || endpoint.host_str().is_none()
            || endpoint.cannot_be_a_base()
        {
            return Err(setup_error(format!(
                "the {service} endpoint {endpoint} must be an http:// or https:// URL with a host"
            )));
        }
        let mut endpoint = endpoint.clone();
        endpoint.set_query(None);
        endpoint.set_fragment(None);

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(USER_AGENT, HeaderValue::from_static(CLIENT_USER_AGENT));
        let (name, value, what) = match scope {
            Scope::Global => (X_DOMAIN_ID, cfg.domain_id.as_deref(), "domain id"),
            Scope::Regional => (X_PROJECT_ID, cfg.project_id.as_deref(), "project id"),
        };
        if let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) {
            let value = HeaderValue::from_str(value).map_err(|_| setup_error(format!("invalid {what} {value:?}")))?;
            headers.insert(name, value);
        }
        let host = super::http::host_header(&endpoint);
        Ok(Arc::new(Self {
            http,
            signer: SdkSigner {
                access_key: access_key.to_owned(),
                secret_key: creds.secret_key.clone(),
                security_token,
            },
            endpoint,
            headers,
            host,
            retry: cfg.retry,
        }))
    }

    fn url(&self, req: &ApiRequest<'_>) -> Result<Url, CloudError> {
        for segment in req.path {
            require_id(req.action, "a path identifier", segment)?;
        }
        let mut url = self.endpoint.clone();
        url.path_segments_mut()
            .map_err(|()| invalid(req.action, "the endpoint cannot take a path"))?
            .pop_if_empty()
            .extend(req.path);
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query);
        }
        Ok(url)
    }

    /// The retry budget, which also bounds re-sends after a lost answer
    /// (see [`reconcile`](crate::clouds::reconcile)).
    pub(crate) fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Sends `req` (signed afresh per attempt, retried per the policy) and decodes the answer.
    pub(crate) async fn call<T>(
        &self,
        cancel: Option<&CancellationToken>,
        req: ApiRequest<'_>,
        decode: impl Fn(&str, &str, &HttpResponse) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let action = req.action;
        let mut request = SignableRequest::new(req.method.clone(), self.url(&req)?);
        request.headers = self.headers.clone();
        request.body = req.body.unwrap_or_default();
        let call = Call {
            action,
            idempotent: req.idempotent,
            retry: &self.retry,
            cancel,
            first_attempt_paced: false,
            deadline: None,
        };
        let host = self.host.as_str();
        let (value, request_id) = self
            .http
            .execute(call, &self.signer, &request, |resp| {
                let value = decode(action, host, &resp)?;
                Ok((value, request_id(&resp).map(str::to_owned)))
            })
            .await?;
        tracing::debug!(
            cloud = %Cloud::Huawei,
            action,
            request_id = request_id.as_deref(),
            "cloud API call succeeded"
        );
        Ok(value)
    }

    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        cancel: Option<&CancellationToken>,
        req: ApiRequest<'_>,
    ) -> Result<T, CloudError> {
        self.call(cancel, req, decode_json::<T>).await
    }

    pub(crate) async fn call_empty(
        &self,
        cancel: Option<&CancellationToken>,
        req: ApiRequest<'_>,
    ) -> Result<(), CloudError> {
        self.call(cancel, req, expect_success).await
    }

    /// Every item of a paged `GET` list ([`collect_pages`]). Each request sends `query`, then
    /// `limit` ([`PAGE_LIMIT`]) and, after the first page, the previous page's `marker`; `split`
    /// takes a page apart into its items and its `page_info`.
    pub(crate) async fn list_all<P: DeserializeOwned, T>(
        &self,
        cancel: Option<&CancellationToken>,
        action: &'static str,
        path: &[&str],
        query: &[(&str, &str)],
        split: impl Fn(P) -> (Vec<T>, Option<PageInfo>),
    ) -> Result<Vec<T>, CloudError> {
        let limit = PAGE_LIMIT.to_string();
        let (limit, split) = (limit.as_str(), &split);
        collect_pages(action, |marker| async move {
            let mut pairs = query.to_vec();
            pairs.push(("limit", limit));
            if let Some(m) = marker.as_deref() {
                pairs.push(("marker", m));
            }
            let req = ApiRequest { action, method: Method::GET, path, query: &pairs, body: None, idempotent: true };
            Ok(split(self.call_json(cancel, req).await?))
        })
        .await
    }
}

/// Serializes a request body.
pub(crate) fn json_body<T: serde::Serialize>(action: &str, body: &T) -> Result<Vec<u8>, CloudError> {
    serde_json::to_vec(body).map_err(|e| {
        CloudError::new(ErrorKind::Other, Cloud::Huawei, action, format!("cannot encode the request body: {e}"))
    })
}

// ---------------------------------------------------------------------------------------------
// Paging

/// `page_info` of a paged list.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PageInfo {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub next_marker: Option<String>,
}

/// Reads pages, passing each page's `next_marker` to the next request, until a page has no
/// marker. A marker seen twice, or more than [`MAX_PAGES`] pages, ends the listing with an error
/// rather than a silently partial (or endless) result.
pub(crate) async fn collect_pages<T, F, Fut>(action: &str, mut fetch: F) -> Result<Vec<T>, CloudError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<PageInfo>), CloudError>>,
{
    let mut all = Vec::new();
    let mut seen = HashSet::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (items, page_info) = fetch(marker.clone()).await?;
        all.extend(items);
        let next = page_info.and_then(|p| p.next_marker).filter(|m| !m.trim().is_empty());
        let Some(next) = next else {
            return Ok(all);
        };
        if !seen.insert(next.clone()) {
            return Err(CloudError::new(
                ErrorKind::Other,
                Cloud::Huawei,
                action,
                format!("paging loop: the API returned marker {next:?} twice"),
            ));
        }
        marker = Some(next);
    }
    Err(CloudError::new(
        ErrorKind::Other,
        Cloud::Huawei,
        action,
        format!("stopped paging after {MAX_PAGES} pages: the API kept returning a next_marker"),
    ))
}

// ---------------------------------------------------------------------------------------------
// Test support: the shared test server, Huawei's error envelope and a signature check.

#[cfg(test)]
pub(crate) mod testing {
    use url::Url;

    use super::sign::{SdkRequest, sdk_signature};
    use super::*;
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn err(status: u16, body: &str) -> CloudError {
        decode_error("Act", "h.example", status, &HeaderMap::new(), body.as_bytes())
    }

    #[test]
    fn endpoints_for_region() {
        let e = HuaweiEndpoints::for_region("cn-north-4");
        assert_eq!(e.organizations.as_str(), "https://organizations.myhuaweicloud.com/");
        assert_eq!(e.rgc.as_str(), "https://rgc.cn-north-4.myhuaweicloud.com/");
        assert_eq!(e.identitycenter.as_str(), "https://identitycenter.myhuaweicloud.com/");
        assert_eq!(
            HuaweiEndpoints::for_region(" AP-Southeast-1 ").rgc.as_str(),
            "https://rgc.ap-southeast-1.myhuaweicloud.com/"
        );
        for bad in ["", "cn north", "a/b", "x.y", "-a"] {
            assert!(!is_valid_region(bad), "{bad}");
            assert_eq!(
                HuaweiEndpoints::for_region(bad).rgc.host_str(),
                Some("rgc.invalid-region.myhuaweicloud.com"),
                "{bad}"
            );
        }
        let cfg = HuaweiConfig::new(
            HuaweiCredentials { access_key: "ak".into(), secret_key: Secret::new("sk"), security_token: None },
            "la-south-2",
        );
        assert_eq!(cfg.endpoints.rgc.host_str(), Some("rgc.la-south-2.myhuaweicloud.com"));
        assert_eq!(cfg.retry, RetryPolicy::default());
        assert!(!format!("{cfg:?}").contains("\"sk\""));
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

    #[test]
    fn lenient_fields() {
        #[derive(Deserialize, Debug)]
        struct T {
            #[serde(default, deserialize_with = "lenient::string")]
            s: String,
            #[serde(default, deserialize_with = "lenient::opt_i64")]
            n: Option<i64>,
            #[serde(default, deserialize_with = "lenient::opt_bool")]
            b: Option<bool>,
            #[serde(default, deserialize_with = "lenient::vec")]
            v: Vec<u8>,
        }
        let t: T = serde_json::from_str(r#"{"s":12,"n":"40","b":"true","v":null}"#).unwrap();
        assert_eq!((t.s.as_str(), t.n, t.b, t.v.len()), ("12", Some(40), Some(true), 0));
        let t: T = serde_json::from_str(r#"{"s":null,"n":40.0,"b":null}"#).unwrap();
        assert_eq!((t.s.as_str(), t.n, t.b), ("", Some(40), None));
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!((t.n, t.b), (None, None));
        assert!(serde_json::from_str::<T>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":1.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"b":"yes"}"#).is_err());
    }

    #[tokio::test]
    async fn paging_follows_markers_and_detects_loops() {
        let pages = |marker: Option<String>| async move {
            let (items, next) = match marker.as_deref() {
                None => (vec![1, 2], Some("m1")),
                Some("m1") => (vec![3], Some("m2")),
                Some("m2") => (vec![4], Some("")),
                other => panic!("{other:?}"),
            };
            Ok((items, Some(PageInfo { next_marker: next.map(str::to_owned) })))
        };
        assert_eq!(collect_pages("L", pages).await.unwrap(), vec![1, 2, 3, 4]);

        let looping = |marker: Option<String>| async move {
            let next = if marker.is_none() { "a" } else { "b" };
            Ok((vec![0], Some(PageInfo { next_marker: Some(next.into()) })))
        };
        let e = collect_pages("L", looping).await.unwrap_err();
        assert!(e.message.contains("paging loop"), "{}", e.message);

        let endless = |marker: Option<String>| async move {
            let n: usize = marker.map_or(0, |m| m.parse().unwrap());
            Ok((Vec::<u8>::new(), Some(PageInfo { next_marker: Some((n + 1).to_string()) })))
        };
        let e = collect_pages("L", endless).await.unwrap_err();
        assert!(e.message.contains("stopped paging"), "{}", e.message);

        let none = |_| async { Ok((vec![7], None)) };
        assert_eq!(collect_pages("L", none).await.unwrap(), vec![7]);
    }

    #[test]
    fn setup_is_validated() {
        let url = Url::parse("https://organizations.myhuaweicloud.com").unwrap();
        let http = HttpClient::new(Cloud::Huawei).unwrap();
        let base = testing::config(&url);
        let try_new = |cfg: &HuaweiConfig, endpoint: &Url| {
            Service::new(cfg, http.clone(), endpoint, Scope::Global, "organizations").map(|_| ())
        };
        assert!(try_new(&base, &url).is_ok());
        let mut cfg = base.clone();
        cfg.credentials.access_key = "  ".into();
        assert_eq!(try_new(&cfg, &url).unwrap_err().kind, ErrorKind::Invalid);
        let mut cfg = base.clone();
        cfg.credentials.secret_key = Secret::new("");
        assert_eq!(try_new(&cfg, &url).unwrap_err().kind, ErrorKind::Invalid);
        let mut cfg = base.clone();
        cfg.credentials.security_token = Some(Secret::new("bad\ntoken"));
        let e = try_new(&cfg, &url).unwrap_err();
        assert!(!e.to_string().contains("bad\ntoken"));
        let mut cfg = base.clone();
        cfg.domain_id = Some("a\nb".into());
        assert_eq!(try_new(&cfg, &url).unwrap_err().kind, ErrorKind::Invalid);
        let e = try_new(&base, &Url::parse("ftp://x").unwrap()).unwrap_err();
        assert!(e.message.contains("organizations endpoint"), "{}", e.message);
        assert!(try_new(&base, &Url::parse("mailto:a@b").unwrap()).is_err());
    }
}
