//! One service endpoint with its signer and fixed headers, and the calls made through it.

use std::sync::Arc;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::HuaweiConfig;
use super::error::{X_REQUEST_ID, decode_error, invalid, require_id};
use super::paging::{PAGE_LIMIT, PageInfo, collect_pages};
use super::sign::SdkSigner;
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{Call, HttpClient, HttpResponse, RetryPolicy, SignableRequest, snippet};

pub const X_DOMAIN_ID: HeaderName = HeaderName::from_static("x-domain-id");
pub const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

const CLIENT_USER_AGENT: &str = concat!("terraform-provider-tether/", env!("CARGO_PKG_VERSION"));

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
        let host = crate::clouds::http::host_header(&endpoint);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::Secret;
    use crate::clouds::huawei::test_support;

    #[test]
    fn setup_is_validated() {
        let url = Url::parse("https://organizations.myhuaweicloud.com").unwrap();
        let http = HttpClient::new(Cloud::Huawei).unwrap();
        let base = test_support::config(&url);
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
