//! The ZStack client: its endpoint, its credentials and the handles that share them.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderValue;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::auth::{AccessKeySigner, password_digest};
use super::error::invalid;
use super::iam2;
use super::session::{Auth, Sessions};
use super::{ZStackAuth, ZStackConfig};
use crate::clouds::error::{Cloud, CloudError};
use crate::clouds::http::{HttpClient, RetryPolicy};

/// The servlet context path every API lives under.
pub const CONTEXT_PATH: &str = "zstack";

pub(super) struct Inner {
    pub(super) http: HttpClient,
    /// `<endpoint>/zstack/v1/`.
    pub(super) api_root: Url,
    pub(super) host: String,
    pub(super) retry: RetryPolicy,
    pub(super) auth: Auth,
    /// Lookups by uuid shared between concurrent reads (see [`iam2`]'s `…_shared` methods).
    pub(super) lookups: iam2::SharedLookups,
}

/// Client for the ZStack REST API. Cloning is cheap: clones share the connection pool and the
/// login session.
#[derive(Clone)]
pub struct ZStackClient {
    pub(super) inner: Arc<Inner>,
    pub(super) cancel: Option<CancellationToken>,
}

impl fmt::Debug for ZStackClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let auth = match &self.inner.auth {
            Auth::Account { account_name, .. } => format!("account {account_name:?}"),
            Auth::AccessKey(signer) => format!("access key {:?}", signer.access_key_id()),
        };
        f.debug_struct("ZStackClient")
            .field("api_root", &self.inner.api_root.as_str())
            .field("auth", &auth)
            .field("cancellable", &self.cancel.is_some())
            .finish()
    }
}

/// Splits the endpoint into the API root (`…/zstack/v1/`) and the context path (`…/zstack`).
fn api_root(endpoint: &Url) -> Result<(Url, String), String> {
    if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() || endpoint.cannot_be_a_base() {
        return Err(format!("the ZStack endpoint {endpoint} must be an http:// or https:// URL with a host"));
    }
    let mut url = endpoint.clone();
    url.set_query(None);
    url.set_fragment(None);
    let mut segments: Vec<String> =
        url.path_segments().map(|s| s.filter(|s| !s.is_empty()).map(str::to_owned).collect()).unwrap_or_default();
    if segments.len() >= 2 && segments[segments.len() - 1] == "v1" && segments[segments.len() - 2] == CONTEXT_PATH {
        segments.pop();
    }
    if segments.last().map(String::as_str) != Some(CONTEXT_PATH) {
        segments.push(CONTEXT_PATH.to_owned());
    }
    let context_path = format!("/{}", segments.join("/"));
    url.set_path(&format!("{context_path}/v1/"));
    Ok((url, context_path))
}

pub(super) fn header_safe(value: &str) -> bool {
    HeaderValue::from_str(value).is_ok()
}

impl ZStackClient {
    pub fn new(cfg: ZStackConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::ZStack)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: ZStackConfig, http: HttpClient) -> Result<Self, CloudError> {
        let setup_error = |msg: String| invalid("client setup", msg);
        let (api_root, context_path) = api_root(&cfg.endpoint).map_err(setup_error)?;
        let auth = match cfg.auth {
            ZStackAuth::Account { account_name, password } => {
                let account_name = account_name.trim().to_owned();
                if account_name.is_empty() {
                    return Err(setup_error("the ZStack account name is empty".into()));
                }
                if password.is_empty() {
                    return Err(setup_error("the ZStack account password is empty".into()));
                }
                Auth::Account {
                    account_name,
                    password: password_digest(password.expose()),
                    sessions: Sessions::default(),
                }
            }
            ZStackAuth::AccessKey { access_key_id, access_key_secret } => {
                let id = access_key_id.trim();
                if id.is_empty() {
                    return Err(setup_error("the ZStack access key id is empty".into()));
                }
                if !header_safe(id) || id.contains([':', ' ', '\t']) {
                    return Err(setup_error("the ZStack access key id contains characters that cannot be sent".into()));
                }
                if access_key_secret.is_empty() {
                    return Err(setup_error("the ZStack access key secret is empty".into()));
                }
                Auth::AccessKey(AccessKeySigner::new(id, access_key_secret, &context_path))
            }
        };
        let host = crate::clouds::http::host_header(&api_root);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api_root,
                host,
                retry: cfg.retry,
                auth,
                lookups: iam2::SharedLookups::default(),
            }),
            cancel: None,
        })
    }

    /// A handle whose calls are not tied to any cancellation token, for queries shared by
    /// several callers (see [`crate::clouds::batch`]).
    pub fn without_cancellation(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), cancel: None }
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled. It
    /// shares the session with `self`.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { inner: Arc::clone(&self.inner), cancel: Some(token) }
    }

    /// `<endpoint>/zstack/v1/`.
    pub fn api_root(&self) -> &Url {
        &self.inner.api_root
    }

    /// `<endpoint>/zstack/v1/<segments…>`; each segment is percent-encoded as needed.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.api_root.clone();
        url.path_segments_mut().expect("the API root is a base URL").pop_if_empty().extend(segments);
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::Secret;
    use crate::clouds::error::ErrorKind;

    #[test]
    fn config_and_endpoints() {
        let root = |s: &str| api_root(&Url::parse(s).unwrap());
        assert_eq!(
            root("http://10.0.0.5:8080").unwrap(),
            (Url::parse("http://10.0.0.5:8080/zstack/v1/").unwrap(), "/zstack".to_owned())
        );
        for same in [
            "http://10.0.0.5:8080/",
            "http://10.0.0.5:8080/zstack",
            "http://10.0.0.5:8080/zstack/",
            "http://10.0.0.5:8080/zstack/v1",
            "http://10.0.0.5:8080/zstack/v1/?x=1#f",
        ] {
            assert_eq!(root(same).unwrap().0.as_str(), "http://10.0.0.5:8080/zstack/v1/", "{same}");
        }
        assert_eq!(
            root("https://proxy.example/zs").unwrap(),
            (Url::parse("https://proxy.example/zs/zstack/v1/").unwrap(), "/zs/zstack".to_owned())
        );
        assert!(root("ftp://h").is_err());
        assert!(root("mailto:a@b").is_err());

        let make = |auth: ZStackAuth| {
            ZStackClient::new(ZStackConfig {
                endpoint: Url::parse("http://10.0.0.5:8080").unwrap(),
                auth,
                retry: RetryPolicy::default(),
            })
        };
        let account = |name: &str, password: &str| ZStackAuth::Account {
            account_name: name.into(),
            password: Secret::new(password),
        };
        let key = |id: &str, secret: &str| ZStackAuth::AccessKey {
            access_key_id: id.into(),
            access_key_secret: Secret::new(secret),
        };
        let client = make(account("admin", "hunter2")).unwrap();
        assert_eq!(client.login_count(), 0);
        assert!(!format!("{client:?}").contains("hunter2"));
        assert!(make(key("AK", "s3cr3t")).is_ok());
        for bad in [
            account(" ", "p"),
            account("admin", ""),
            key("", "s"),
            key("a:b", "s"),
            key("a b", "s"),
            key("a\nb", "s"),
            key("ak", ""),
        ] {
            let e = make(bad.clone()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{bad:?}");
            assert_eq!(e.cloud, Cloud::ZStack);
        }
        let e = ZStackClient::new(ZStackConfig {
            endpoint: Url::parse("ftp://x").unwrap(),
            auth: account("admin", "p"),
            retry: RetryPolicy::default(),
        })
        .unwrap_err();
        assert!(e.message.contains("endpoint"), "{e}");
    }
}
