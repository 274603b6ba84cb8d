//! ZStack: configuration, authentication, the error envelope and the asynchronous-job protocol.
//! The IAM2 calls are in [`iam2`].
//!
//! Every API lives under `<endpoint>/zstack/v1/…`.
//!
//! **Authentication.** With an account, the client logs in lazily
//! (`PUT /zstack/v1/accounts/login`, the password as lower-hex SHA-512) the first time a call
//! needs a session, and every clone of the client shares that one session (concurrent first calls
//! wait for a single login). A call rejected with `ID.1001` (invalid or expired session) logs in
//! again once and is retried once; a second rejection is an `Auth` error. A login refused for bad
//! credentials is remembered, so a wrong password is sent once, not once per call (ZStack can
//! lock accounts after repeated failures). [`ZStackClient::logout`] ends the session. With an
//! AccessKey, every request is signed instead ([`auth`]); there is no session.
//!
//! **Asynchronous jobs.** Every non-GET API except login and logout answers `202` with
//! `{"location": "http://<host>:<port>/zstack/v1/api-jobs/<uuid>"}`. The location's scheme, host
//! and port are replaced by the configured endpoint's (the management node may report an internal
//! address). Polling it gives `202` while the job runs, `200` with the API result when it
//! succeeded, `503` with `{"error": {...}}` when it failed and `404` once the job is unknown
//! (results expire after about two days). Each submission carries a fresh `X-Job-UUID`, which
//! becomes the API message's id and the job's uuid, and is put in [`CloudError::request_id`] of
//! any error of that submission. A submission ZStack answers with an error started no job; one
//! that got no answer at all is settled by looking its job up (see [`jobs`]): a known job is
//! waited on, an unknown one is sent again with the same `X-Job-UUID`. When even the lookup
//! fails, the caller can wait on [`ZStackClient::ambiguous_job`] (or use
//! [`ZStackClient::wait_submitted`]) instead of submitting again.
//!
//! **Retries.** Queries and job polls are retried on throttling and transient errors;
//! submissions on throttling (`SYS.1010`, HTTP 429) and when the request certainly never reached
//! the server (failed connect, or a job ZStack does not know, as above).
//!
//! Real ZStack checks a session inside the management node, after a submission has been accepted:
//! an expired session then shows up as a job that fails with `ID.1001`. [`ZStackClient::wait_job`]
//! treats that like a rejected call: it logs in again once and submits the job once more.

pub mod auth;
pub mod iam2;
pub mod jobs;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use auth::{AccessKeySigner, password_digest};
pub use iam2::{Condition, Organization, OrganizationProjectRef, Project, ProjectAttribute, QueryOp};
pub use jobs::{JOB_WHAT, Job, JobStatus, POLL_JOB_ACTION};

use super::Secret;
use super::error::{Cloud, CloudError, ErrorKind};
use super::http::{Call, HttpClient, HttpResponse, RequestSigner, RetryPolicy, SignableRequest, snippet};
use auth::{NoAuth, SessionSigner};

/// Lenient field decoders (shared with Huawei).
pub(crate) use super::lenient as de;

/// The servlet context path every API lives under.
pub const CONTEXT_PATH: &str = "zstack";
/// `IdentityErrors.INVALID_SESSION`: the session is unknown or expired.
pub const INVALID_SESSION_CODE: &str = "ID.1001";
/// `IdentityErrors.AUTHENTICATION_ERROR`: wrong account name or password.
pub const AUTHENTICATION_ERROR_CODE: &str = "ID.1000";

pub const LOGIN_ACTION: &str = "LogInByAccount";
pub const LOGOUT_ACTION: &str = "LogOut";

/// Sent with every submission; becomes the job's uuid.
pub const X_JOB_UUID: HeaderName = HeaderName::from_static("x-job-uuid");

/// Page size for queries (ZStack's own default limit is 1000).
pub(crate) const PAGE_LIMIT: usize = 1000;
/// Upper bound on pages per query.
pub(crate) const MAX_PAGES: usize = 100;

/// The message for rejected AccessKey requests.
pub const ACCESS_KEY_REJECTED: &str = "ZStack rejected the AccessKey: check access_key_id, \
     access_key_secret (and that the key is enabled) and the machine clock";

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZStackAuth {
    /// Log in with an account; the plaintext password is hashed (SHA-512) before it is sent.
    Account { account_name: String, password: Secret },
    /// Sign every request with an AccessKey (enterprise editions).
    AccessKey { access_key_id: String, access_key_secret: Secret },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZStackConfig {
    /// The management node's base URL, e.g. `http://10.0.0.5:8080` (a path prefix is kept, for
    /// reverse proxies); APIs are at `/zstack/v1/…` under it. A URL that already ends in
    /// `/zstack` (or `/zstack/v1`) is accepted as well.
    pub endpoint: Url,
    pub auth: ZStackAuth,
    pub retry: RetryPolicy,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// ZStack's error object (`{"error": {"code", "description", "details", ...}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZStackError {
    pub code: String,
    pub description: String,
    pub details: String,
}

impl ZStackError {
    /// `description: details`, leaving out empty or repeated parts.
    pub fn message(&self) -> String {
        let description = self.description.trim();
        let details = self.details.trim();
        match (description.is_empty(), details.is_empty()) {
            (true, true) => String::new(),
            (false, true) => description.to_owned(),
            (true, false) => details.to_owned(),
            (false, false) if details.contains(description) => details.to_owned(),
            (false, false) => format!("{description}: {details}"),
        }
    }
}

/// Parses `{"error": {...}}` (also a bare `{"code", "description", ...}` object). `None` when the
/// body carries neither a code nor a description.
pub fn parse_error_body(body: &[u8]) -> Option<ZStackError> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let top = value.as_object()?;
    let obj = match top.get("error") {
        Some(serde_json::Value::Object(inner)) => inner,
        _ => top,
    };
    let text = |key: &str| match obj.get(key) {
        Some(serde_json::Value::String(s)) => s.trim().to_owned(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Object(_)) | Some(serde_json::Value::Array(_)) => {
            obj.get(key).map(|v| v.to_string()).unwrap_or_default()
        }
        _ => String::new(),
    };
    let error = ZStackError { code: text("code"), description: text("description"), details: text("details") };
    if error.code.is_empty() && error.description.is_empty() && error.details.is_empty() {
        return None;
    }
    Some(error)
}

/// Maps a ZStack error code and HTTP status to what the caller should do. Codes win over the
/// status.
pub fn classify_error(status: u16, code: &str) -> ErrorKind {
    match code {
        // Identity: invalid session, wrong password, permission denied, disabled account, …
        c if c.starts_with("ID.") => return ErrorKind::Auth,
        // "Management server is not ready to serve": refused before anything was processed, so
        // always safe to send again, also for submissions. ZStack publishes no rate limit; this
        // is what a busy or starting management node answers.
        "SYS.1010" => return ErrorKind::Throttled,
        // Internal, timeout, no route, undeliverable, management node unavailable.
        "SYS.1000" | "SYS.1001" | "SYS.1009" | "SYS.1011" | "SYS.1012" => {
            return ErrorKind::Transient;
        }
        "SYS.1003" => return ErrorKind::NotFound,
        // Invalid argument, unknown message, no capability, unimplemented.
        "SYS.1007" | "SYS.1008" | "SYS.1013" | "SYS.1014" => return ErrorKind::Invalid,
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

/// Whether `e` is ZStack's invalid/expired-session error, which a fresh login can cure.
pub fn is_invalid_session(e: &CloudError) -> bool {
    e.cloud == Cloud::ZStack && e.code.as_deref() == Some(INVALID_SESSION_CODE)
}

/// Which credential a request carried, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CredentialKind {
    /// The login itself.
    None,
    Session,
    AccessKey,
}

/// Turns a non-2xx answer (other than a job result) into a [`CloudError`].
///
/// A refused credential is reported as `Auth` with a message naming the credential: the REST
/// layer answers AccessKey problems with 400 / 403 and a plain-text reason (`Invalid authKey
/// format`, `wrong accessKey signature`, `requestTimeTooSkewed`, …), which some servers wrap in an
/// error object.
pub(crate) fn decode_error(
    action: &str,
    host: &str,
    status: u16,
    body: &[u8],
    credential: CredentialKind,
) -> CloudError {
    let parsed = parse_error_body(body);
    let (code, text) = match &parsed {
        Some(err) => (err.code.as_str(), err.message()),
        None => ("", snippet(body)),
    };
    let lower = text.to_ascii_lowercase();
    let mentions_credentials =
        ["authkey", "accesskey", "access key", "authorization", "'date'", "signature", "timetooskewed"]
            .iter()
            .any(|needle| lower.contains(needle));
    // Session and permission errors keep their own meaning.
    let credential_refused = credential != CredentialKind::None
        && !matches!(code, INVALID_SESSION_CODE | "ID.1002")
        && (matches!(status, 401 | 403)
            || (matches!(status, 400 | 503) && mentions_credentials)
            || (code == AUTHENTICATION_ERROR_CODE));
    let kind = if credential_refused {
        ErrorKind::Auth
    } else if parsed.is_none() && status == 404 {
        // "no api mapping to …": a wrong endpoint or path, not a missing object.
        ErrorKind::Invalid
    } else {
        classify_error(status, code)
    };
    let message = match (credential_refused, credential) {
        (true, CredentialKind::AccessKey) => {
            format!("{ACCESS_KEY_REJECTED} (HTTP {status}: {text})")
        }
        (true, _) => {
            format!("ZStack rejected the session of the account login (HTTP {status}: {text})")
        }
        _ if parsed.is_none() && status == 404 => format!(
            "HTTP 404 from {host}: {text} (no ZStack API at this path: the endpoint must be the \
             management node's base URL, e.g. http://10.0.0.5:8080)"
        ),
        _ if parsed.is_none() => format!("HTTP {status} from {host}: {text}"),
        _ if text.is_empty() => format!("HTTP {status} from {host}"),
        _ => text,
    };
    let mut e = CloudError::new(kind, Cloud::ZStack, action, message).with_http_status(status);
    if !code.is_empty() {
        e = e.with_code(code);
    }
    e
}

/// An error for a call refused before sending.
pub(crate) fn invalid(action: &str, message: impl Into<String>) -> CloudError {
    CloudError::new(ErrorKind::Invalid, Cloud::ZStack, action, message)
}

fn unexpected(action: &str, host: &str, resp: &HttpResponse, what: &str) -> CloudError {
    CloudError::new(
        ErrorKind::Other,
        Cloud::ZStack,
        action,
        format!("unexpected response from {host} (HTTP {}): {what}: {}", resp.status, snippet(&resp.body)),
    )
    .with_http_status(resp.status)
}

/// Checks a ZStack uuid (32 hex digits, no dashes) and returns it in lower case.
pub fn normalize_uuid(action: &str, what: &str, value: &str) -> Result<String, CloudError> {
    if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(value.to_ascii_lowercase());
    }
    let hint = if value.len() == 36 && value.contains('-') { " (ZStack uuids have no dashes)" } else { "" };
    Err(invalid(action, format!("{what} must be a ZStack uuid of 32 hexadecimal digits, got {value:?}{hint}")))
}

/// A fresh random (version 4) uuid without dashes, for `X-Job-UUID`.
pub fn new_job_uuid() -> String {
    let mut bits: u128 = rand::random();
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    format!("{bits:032x}")
}

fn is_job_uuid(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------------------------
// Sessions

#[derive(Default)]
struct SessionState {
    current: Option<Session>,
    /// Bumped by every successful login; tells a stale session from its replacement.
    generation: u64,
    /// A login refused for good (bad credentials): returned instead of logging in again.
    failure: Option<CloudError>,
}

#[derive(Clone)]
struct Session {
    uuid: Secret,
    generation: u64,
}

#[derive(Default)]
struct Sessions {
    state: tokio::sync::Mutex<SessionState>,
    logins: AtomicU64,
}

enum Auth {
    Account {
        account_name: String,
        /// SHA-512 hex of the password.
        password: Secret,
        sessions: Sessions,
    },
    AccessKey(AccessKeySigner),
}

/// The credentials one attempt is signed with.
enum Credentials<'a> {
    Session(Session),
    AccessKey(&'a AccessKeySigner),
}

impl Credentials<'_> {
    fn kind(&self) -> CredentialKind {
        match self {
            Credentials::Session(_) => CredentialKind::Session,
            Credentials::AccessKey(_) => CredentialKind::AccessKey,
        }
    }

    fn generation(&self) -> Option<u64> {
        match self {
            Credentials::Session(s) => Some(s.generation),
            Credentials::AccessKey(_) => None,
        }
    }
}

impl RequestSigner for Credentials<'_> {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError> {
        match self {
            Credentials::Session(s) => SessionSigner { session: s.uuid.clone() }.sign(req),
            Credentials::AccessKey(signer) => signer.sign(req),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The client

struct Inner {
    http: HttpClient,
    /// `<endpoint>/zstack/v1/`.
    api_root: Url,
    host: String,
    retry: RetryPolicy,
    auth: Auth,
    /// Lookups by uuid shared between concurrent reads (see [`iam2`]'s `…_shared` methods).
    lookups: iam2::SharedLookups,
}

/// Client for the ZStack REST API. Cloning is cheap: clones share the connection pool and the
/// login session.
#[derive(Clone)]
pub struct ZStackClient {
    inner: Arc<Inner>,
    cancel: Option<CancellationToken>,
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

fn header_safe(value: &str) -> bool {
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
        let host = super::http::host_header(&api_root);
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

    /// How many times this client (and its clones) has logged in.
    pub fn login_count(&self) -> u64 {
        match &self.inner.auth {
            Auth::Account { sessions, .. } => sessions.logins.load(Ordering::SeqCst),
            Auth::AccessKey(_) => 0,
        }
    }

    /// `<endpoint>/zstack/v1/<segments…>`; each segment is percent-encoded as needed.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.api_root.clone();
        url.path_segments_mut().expect("the API root is a base URL").pop_if_empty().extend(segments);
        url
    }

    // -----------------------------------------------------------------------------------------
    // Sending

    async fn cancellable<F: Future>(&self, action: &str, fut: F) -> Result<F::Output, CloudError> {
        match &self.cancel {
            None => Ok(fut.await),
            Some(token) => tokio::select! {
                biased;
                _ = token.cancelled() => Err(CloudError::cancelled(Cloud::ZStack, action)),
                out = fut => Ok(out),
            },
        }
    }

    async fn execute<T>(
        &self,
        action: &str,
        idempotent: bool,
        signer: &dyn RequestSigner,
        request: &SignableRequest,
        decode: impl Fn(HttpResponse) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let call = Call {
            action,
            idempotent,
            retry: &self.inner.retry,
            cancel: self.cancel.as_ref(),
            first_attempt_paced: false,
            deadline: None,
        };
        self.inner.http.execute(call, signer, request, decode).await
    }

    /// Runs `attempt` with the client's credentials. With an account: when the attempt is
    /// refused for an invalid session and `relogin` is set, logs in again (once) and runs it
    /// once more; a second refusal (or a refusal with `relogin` unset) is final: an `Auth` error
    /// saying so.
    async fn with_credentials<'s, T, F, Fut>(
        &'s self,
        action: &str,
        relogin: bool,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(Credentials<'s>) -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        if let Auth::AccessKey(signer) = &self.inner.auth {
            return attempt(Credentials::AccessKey(signer)).await;
        }
        // A login that fails (or is stopped) comes before the call itself, which then was
        // never sent: a write stopped there is not one whose outcome is unknown.
        let session = self.session().await.map_err(CloudError::never_sent)?;
        let generation = session.generation;
        match attempt(Credentials::Session(session)).await {
            Err(e) if relogin && is_invalid_session(&e) => {
                tracing::debug!(
                    cloud = %Cloud::ZStack,
                    action,
                    error = %e.message,
                    "session refused; logging in again"
                );
                self.invalidate(generation).await;
                // The refused attempt was not processed; a failed re-login sends nothing more.
                let session = self.session().await.map_err(CloudError::never_sent)?;
                attempt(Credentials::Session(session)).await.map_err(rejected_again)
            }
            // Already the second attempt (a resubmission after a refused job).
            Err(e) if !relogin => Err(rejected_again(e)),
            other => other,
        }
    }

    /// The current session, logging in first when there is none. Concurrent callers wait for
    /// one login.
    async fn session(&self) -> Result<Session, CloudError> {
        let Auth::Account { account_name, password, sessions } = &self.inner.auth else {
            return Err(invalid(LOGIN_ACTION, "AccessKey authentication has no session"));
        };
        let mut state = self.cancellable(LOGIN_ACTION, sessions.state.lock()).await?;
        if let Some(session) = &state.current {
            return Ok(session.clone());
        }
        if let Some(failure) = &state.failure {
            return Err(failure.clone());
        }
        sessions.logins.fetch_add(1, Ordering::SeqCst);
        match self.login(account_name, password).await {
            Ok(uuid) => {
                state.generation += 1;
                let session = Session { uuid, generation: state.generation };
                state.current = Some(session.clone());
                tracing::debug!(cloud = %Cloud::ZStack, account = %account_name, "logged in");
                Ok(session)
            }
            Err(e) => {
                // A redirect answers every login the same way: no point sending the password
                // digest to the endpoint again in this run.
                if matches!(e.kind, ErrorKind::Auth | ErrorKind::Invalid) || crate::clouds::http::is_redirect(&e) {
                    state.failure = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    /// Forgets the session of `generation` (if it is still the current one), so the next call
    /// logs in again.
    async fn invalidate(&self, generation: u64) {
        let Auth::Account { sessions, .. } = &self.inner.auth else {
            return;
        };
        let Ok(mut state) = self.cancellable(LOGIN_ACTION, sessions.state.lock()).await else {
            return;
        };
        if state.current.as_ref().is_some_and(|s| s.generation == generation) {
            state.current = None;
        }
    }

    /// `PUT /zstack/v1/accounts/login`; returns the session uuid.
    async fn login(&self, account_name: &str, password: &Secret) -> Result<Secret, CloudError> {
        #[derive(Deserialize)]
        struct Reply {
            #[serde(default)]
            inventory: Option<Inventory>,
        }
        #[derive(Deserialize)]
        struct Inventory {
            #[serde(default, deserialize_with = "de::string")]
            uuid: String,
        }
        let action = LOGIN_ACTION;
        let body = serde_json::json!({
            "logInByAccount": {"accountName": account_name, "password": password.expose()}
        });
        let mut req = SignableRequest::new(Method::PUT, self.url(&["accounts", "login"]));
        req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        req.body = body.to_string().into_bytes();
        let host = self.inner.host.as_str();
        // Retried on transient failures: a duplicate login only leaves an unused session behind.
        self.execute(action, true, &NoAuth, &req, |resp| {
            if !(200..300).contains(&resp.status) {
                let e = decode_error(action, host, resp.status, &resp.body, CredentialKind::None);
                if e.kind != ErrorKind::Auth {
                    return Err(e);
                }
                let detail = &e.message;
                let mut refused = CloudError::new(
                    ErrorKind::Auth,
                    Cloud::ZStack,
                    action,
                    format!(
                        "ZStack refused the login of account {account_name:?}: check the \
                         account name and password ({detail})"
                    ),
                )
                .with_http_status(resp.status);
                refused.code = e.code;
                return Err(refused);
            }
            let reply: Reply =
                serde_json::from_slice(&resp.body).map_err(|err| unexpected(action, host, &resp, &err.to_string()))?;
            match reply.inventory.map(|i| i.uuid) {
                Some(uuid) if !uuid.trim().is_empty() && header_safe(uuid.trim()) => Ok(Secret::new(uuid.trim())),
                _ => Err(unexpected(action, host, &resp, "no session uuid")),
            }
        })
        .await
    }

    /// Ends the login session (`DELETE /zstack/v1/accounts/sessions/{uuid}`), if there is one;
    /// the session is forgotten even if the request fails, and a later call logs in again.
    /// Nothing to do with an AccessKey.
    pub async fn logout(&self) -> Result<(), CloudError> {
        let Auth::Account { sessions, .. } = &self.inner.auth else {
            return Ok(());
        };
        let action = LOGOUT_ACTION;
        let mut state = self.cancellable(action, sessions.state.lock()).await?;
        let Some(session) = state.current.take() else {
            return Ok(());
        };
        let req = SignableRequest::new(Method::DELETE, self.url(&["accounts", "sessions", session.uuid.expose()]));
        let host = self.inner.host.as_str();
        let signer = SessionSigner { session: session.uuid.clone() };
        let result = self
            .execute(action, true, &signer, &req, |resp| {
                if (200..300).contains(&resp.status) {
                    return Ok(());
                }
                let e = decode_error(action, host, resp.status, &resp.body, CredentialKind::Session);
                // Already expired or deleted: that is what logging out wanted.
                if is_invalid_session(&e) || (resp.status == 404 && e.code.is_some()) {
                    return Ok(());
                }
                Err(e)
            })
            .await;
        drop(state);
        result
    }

    /// A GET of `path` (segments under `/zstack/v1/`) with `query`, decoded as `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        action: &'static str,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, CloudError> {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let host = self.inner.host.as_str();
        self.with_credentials(action, true, |creds| {
            let req = SignableRequest::new(Method::GET, url.clone());
            async move {
                let kind = creds.kind();
                self.execute(action, true, &creds, &req, |resp| {
                    if !(200..300).contains(&resp.status) {
                        return Err(decode_error(action, host, resp.status, &resp.body, kind));
                    }
                    serde_json::from_slice::<T>(&resp.body)
                        .map_err(|err| unexpected(action, host, &resp, &err.to_string()))
                })
                .await
            }
        })
        .await
    }

    /// Runs a query API over all pages: `q` conditions (ANDed), `limit` and `start`.
    pub(crate) async fn query_all<T: DeserializeOwned>(
        &self,
        action: &'static str,
        path: &[&str],
        conditions: &[Condition],
    ) -> Result<Vec<T>, CloudError> {
        for condition in conditions {
            condition.validate(action)?;
        }
        let mut all = Vec::new();
        let mut start = 0usize;
        for _ in 0..MAX_PAGES {
            let mut query: Vec<(&str, String)> = conditions.iter().map(|c| ("q", c.to_query_value())).collect();
            query.push(("limit", PAGE_LIMIT.to_string()));
            query.push(("start", start.to_string()));
            let page: Inventories<T> = self.get_json(action, path, &query).await?;
            let n = page.inventories.len();
            all.extend(page.inventories);
            // A short page is the last; a long one means the server ignored the paging.
            if n != PAGE_LIMIT {
                return Ok(all);
            }
            start += n;
        }
        Err(CloudError::new(
            ErrorKind::Other,
            Cloud::ZStack,
            action,
            format!("stopped after {MAX_PAGES} pages of {PAGE_LIMIT}"),
        ))
    }
}

/// The error for a call refused for an invalid session right after a fresh login.
fn rejected_again(e: CloudError) -> CloudError {
    if !is_invalid_session(&e) {
        return e;
    }
    let mut out = CloudError::new(
        ErrorKind::Auth,
        Cloud::ZStack,
        e.action.clone(),
        format!("ZStack refused a fresh session right after logging in again; giving up ({})", e.message),
    )
    .with_code(INVALID_SESSION_CODE);
    out.request_id = e.request_id;
    out.http_status = e.http_status;
    out
}

/// `{"inventories": [...]}` of a query.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
pub(crate) struct Inventories<T> {
    #[serde(default, deserialize_with = "de::vec")]
    pub inventories: Vec<T>,
}

// ---------------------------------------------------------------------------------------------
// Test support: the shared test server, ZStack's replies and clients.

#[cfg(test)]
pub(crate) mod testing {
    use std::time::Duration;

    use url::Url;

    use super::*;
    pub use crate::clouds::test_server::{Reply, Seen, Server, fast_retry, ok};
    use crate::clouds::waiter::PollPolicy;

    pub const ACCOUNT: &str = "admin";
    pub const PASSWORD: &str = "password";
    pub const PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
    pub const AK_ID: &str = "TETHERZSTACKAK";
    pub const AK_SECRET: &str = "zstack-ak-s3cr3t-do-not-log";
    pub const PROJECT: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
    pub const ORG: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";

    /// ZStack's login call, for handlers and assertions.
    pub trait SeenLogin {
        fn is_login(&self) -> bool;
    }

    impl SeenLogin for Seen {
        fn is_login(&self) -> bool {
            self.line() == "PUT /zstack/v1/accounts/login"
        }
    }

    pub trait ServerLogins {
        /// How many logins the server saw.
        fn logins(&self) -> usize;
    }

    impl ServerLogins for Server {
        fn logins(&self) -> usize {
            self.seen().iter().filter(|s| s.is_login()).count()
        }
    }

    pub fn zs_error(status: u16, code: &str, description: &str, details: &str) -> Reply {
        Reply::Json(
            status,
            serde_json::json!({"error": {"code": code, "description": description,
                "details": details, "elaboration": null, "opaque": null, "cause": null}}),
        )
    }

    pub fn projects_reply() -> Reply {
        ok(serde_json::json!({"inventories": [{"uuid": PROJECT, "name": "payments", "state": "Enabled"}]}))
    }

    pub fn accepted(location: String) -> Reply {
        Reply::Json(202, serde_json::json!({ "location": location }))
    }

    pub fn session_reply(uuid: &str) -> Reply {
        ok(serde_json::json!({"inventory": {"uuid": uuid,
            "accountUuid": "36c27e8ff05c4780bf6d2fa65700f22e", "userUuid": "36c27e8ff05c4780bf6d2fa65700f22e",
            "expiredDate": "Nov 14, 2017 12:20:57 AM", "createDate": "Nov 14, 2017 10:20:57 PM"}}))
    }

    pub fn fast_poll() -> PollPolicy {
        PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_millis(2),
            max_interval: Duration::from_millis(5),
            multiplier: 1.5,
        }
    }

    pub fn account_client(url: &Url) -> ZStackClient {
        ZStackClient::new(ZStackConfig {
            endpoint: url.clone(),
            auth: ZStackAuth::Account { account_name: ACCOUNT.into(), password: Secret::new(PASSWORD) },
            retry: fast_retry(),
        })
        .unwrap()
    }

    pub fn access_key_client(url: &Url) -> ZStackClient {
        ZStackClient::new(ZStackConfig {
            endpoint: url.clone(),
            auth: ZStackAuth::AccessKey { access_key_id: AK_ID.into(), access_key_secret: Secret::new(AK_SECRET) },
            retry: fast_retry(),
        })
        .unwrap()
    }

    /// A location on an address the test server does not listen on: polls must go to the
    /// configured endpoint instead.
    pub fn internal_location(job: &str) -> String {
        format!("http://10.255.255.1:8080/zstack/v1/api-jobs/{job}")
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use serde_json::json;

    use super::testing::*;
    use super::*;

    fn err(status: u16, body: &str, credential: CredentialKind) -> CloudError {
        decode_error("Act", "h:8080", status, body.as_bytes(), credential)
    }

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

    #[test]
    fn uuids_and_job_uuids() {
        assert_eq!(normalize_uuid("A", "project_uuid", "6A1F0C2B3D4E4F5A8B9C0D1E2F3A4B01").unwrap(), PROJECT);
        assert_eq!(normalize_uuid("A", "p", PROJECT).unwrap(), PROJECT);
        for bad in [
            "",
            "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01",
            "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b0",
            "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b0g",
            " 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01",
            "../../accounts/login/aaaaaaaaaaaaa",
        ] {
            let e = normalize_uuid("A", "project_uuid", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid, "{bad}");
            assert!(e.message.contains("project_uuid"), "{e}");
        }
        assert!(
            normalize_uuid("A", "p", "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01").unwrap_err().message.contains("no dashes")
        );
        let a = new_job_uuid();
        let b = new_job_uuid();
        assert_ne!(a, b);
        for u in [&a, &b] {
            assert_eq!(u.len(), 32);
            assert!(u.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
            assert_eq!(&u[12..13], "4", "{u}");
            assert!(matches!(&u[16..17], "8" | "9" | "a" | "b"), "{u}");
        }
    }

    #[test]
    fn error_classification() {
        use ErrorKind::*;
        let cases = [
            (503, "ID.1001", Auth),
            (503, "ID.1000", Auth),
            (503, "ID.1002", Auth),
            (503, "SYS.1000", Transient),
            (503, "SYS.1012", Transient),
            (503, "SYS.1010", Throttled),
            (503, "SYS.1003", NotFound),
            (503, "SYS.1007", Invalid),
            (503, "SYS.1006", Transient),
            (400, "", Invalid),
            (405, "", Invalid),
            (401, "", Auth),
            (403, "", Auth),
            (404, "", NotFound),
            (409, "", Conflict),
            (429, "", Throttled),
            (500, "", Transient),
            (502, "", Transient),
            (418, "", Other),
        ];
        for (status, code, kind) in cases {
            assert_eq!(classify_error(status, code), kind, "{status} {code}");
        }
    }

    #[test]
    fn error_bodies() {
        let e = err(
            503,
            r#"{"error":{"code":"SYS.1006","description":"An operation failed","details":"the organization is being deleted","elaboration":null,"opaque":null,"cause":null}}"#,
            CredentialKind::Session,
        );
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code.as_deref(), Some("SYS.1006"));
        assert_eq!(e.http_status, Some(503));
        assert_eq!(
            e.to_string(),
            "ZStack Act failed: SYS.1006: An operation failed: the organization is being deleted"
        );

        let e = err(
            503,
            r#"{"error":{"code":"ID.1001","description":"Session expired","details":null}}"#,
            CredentialKind::Session,
        );
        assert!(is_invalid_session(&e));
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.message, "Session expired");

        // AccessKey refusals are plain text from the REST layer.
        for (status, text) in [
            (400, "Invalid authKey format"),
            (403, "access key id: AK1 does not existed or disabled"),
            (403, "wrong accessKey signature"),
            (403, "requestTimeTooSkewed"),
            (400, "'Date' format error, correct format is 'EEE, dd MMM yyyy HH:mm:ss z'"),
        ] {
            let e = err(status, text, CredentialKind::AccessKey);
            assert_eq!(e.kind, ErrorKind::Auth, "{text}");
            assert!(e.message.starts_with(ACCESS_KEY_REJECTED), "{e}");
            assert!(e.message.contains(text), "{e}");
            assert!(e.message.contains("access_key_id"), "{e}");
        }
        // The same 400 without credentials involved is just a bad request.
        assert_eq!(err(400, "Invalid query parameter", CredentialKind::AccessKey).kind, ErrorKind::Invalid);
        let e = err(401, "unauthorized", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("session"), "{e}");

        // A plain 404 is a routing problem; a JSON 404 a missing object.
        let e = err(404, "no api mapping to /v1/x", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert!(e.message.contains("base URL"), "{e}");
        let e = err(404, r#"{"error":{"code":"SYS.1003","description":"not found"}}"#, CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::NotFound);

        let e = err(502, "<html>Bad Gateway</html>", CredentialKind::Session);
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code, None);
        assert!(e.message.contains("HTTP 502 from h:8080"), "{e}");
        assert!(err(500, "", CredentialKind::Session).message.contains("empty body"));

        let parsed = parse_error_body(br#"{"code":"X.1","description":"d","details":"d and more"}"#).unwrap();
        assert_eq!(parsed.message(), "d and more");
        assert_eq!(parse_error_body(b"{}"), None);
        assert_eq!(parse_error_body(b"[1]"), None);
        assert_eq!(
            ZStackError { code: "C".into(), description: "".into(), details: "only details".into() }.message(),
            "only details"
        );
    }

    // -----------------------------------------------------------------------------------------
    // Sessions

    #[tokio::test]
    async fn login_is_lazy_hashed_and_single_flight() {
        let server = Server::start(|req, _| {
            if req.is_login() {
                // Slow, so that all the calls are waiting for it.
                return Reply::Later(Duration::from_millis(100), Box::new(session_reply("s1")));
            }
            assert_eq!(req.header("authorization"), Some("OAuth s1"));
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        assert_eq!(client.login_count(), 0);
        assert!(server.seen().is_empty(), "no login before the first call");

        let calls: Vec<_> = (0..10)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { c.query_projects(&[]).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().len(), 1);
        }
        assert_eq!(client.login_count(), 1);
        assert_eq!(server.logins(), 1);
        let seen = server.seen();
        assert_eq!(seen.len(), 11);
        let login = &seen[0];
        assert!(login.is_login());
        assert_eq!(login.body, json!({"logInByAccount": {"accountName": ACCOUNT, "password": PASSWORD_SHA512}}));
        assert_eq!(login.header("authorization"), None);
        assert_eq!(login.header("content-type"), Some("application/json"));
    }

    #[tokio::test]
    async fn expired_session_logs_in_again_once() {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&logins);
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                return session_reply(&format!("s{n}"));
            }
            if req.header("authorization") == Some("OAuth s1") {
                return zs_error(503, "ID.1001", "Session expired", "");
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        assert_eq!(client.query_projects(&[]).await.unwrap().len(), 1);
        assert_eq!(client.login_count(), 2);
        assert_eq!(
            server.seen().iter().map(|s| (s.line(), s.header("authorization").map(str::to_owned))).collect::<Vec<_>>(),
            vec![
                ("PUT /zstack/v1/accounts/login".to_owned(), None),
                ("GET /zstack/v1/iam2/projects".to_owned(), Some("OAuth s1".to_owned())),
                ("PUT /zstack/v1/accounts/login".to_owned(), None),
                ("GET /zstack/v1/iam2/projects".to_owned(), Some("OAuth s2".to_owned())),
            ]
        );
        // The new session is kept.
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);
    }

    #[tokio::test]
    async fn concurrent_refusals_share_one_relogin() {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&logins);
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                return Reply::Later(Duration::from_millis(30), Box::new(session_reply(&format!("s{n}"))));
            }
            if req.header("authorization") == Some("OAuth s1") {
                return Reply::Later(
                    Duration::from_millis(20),
                    Box::new(zs_error(503, "ID.1001", "Session expired", "")),
                );
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let c = client.clone();
                tokio::spawn(async move { c.query_projects(&[]).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(client.login_count(), 2);
        assert_eq!(server.logins(), 2);
    }

    #[tokio::test]
    async fn refused_twice_is_an_auth_error_without_a_loop() {
        let server = Server::start(|req, i| {
            if req.is_login() {
                return session_reply(&format!("s{i}"));
            }
            zs_error(503, "ID.1001", "Session expired", "")
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some(INVALID_SESSION_CODE));
        assert!(e.message.contains("giving up"), "{e}");
        assert_eq!(client.login_count(), 2);
        assert_eq!(server.seen().len(), 4);
    }

    #[tokio::test]
    async fn wrong_password_is_reported_once_and_remembered() {
        let server = Server::start(|req, _| {
            assert!(req.is_login(), "{}", req.line());
            zs_error(503, "ID.1000", "Authentication error", "wrong account name or password")
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.action, LOGIN_ACTION);
        assert_eq!(e.code.as_deref(), Some(AUTHENTICATION_ERROR_CODE));
        assert!(e.message.contains("\"admin\""), "{e}");
        assert!(e.message.contains("password"), "{e}");
        assert!(!e.to_string().contains(PASSWORD_SHA512), "{e}");
        let again = client.get_project(PROJECT).await.unwrap_err();
        assert_eq!(again, e);
        assert_eq!(client.login_count(), 1);
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn transient_login_failures_are_retried_then_not_remembered() {
        let server = Server::start(|req, i| {
            assert!(req.is_login() || i >= 3, "{}", req.line());
            match i {
                0..=2 => Reply::Raw(502, "bad gateway"),
                3 => session_reply("s9"),
                _ => projects_reply(),
            }
        })
        .await;
        let client = account_client(&server.url);
        let e = client.query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(server.seen().len(), 3, "the login is retried per the policy");
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);
    }

    #[tokio::test]
    async fn logout_deletes_the_session_once() {
        let server = Server::start(|req, _| {
            if req.is_login() {
                return session_reply("0123456789abcdef0123456789abcdef");
            }
            if req.method == "DELETE" {
                return ok(json!({}));
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        // Nothing to log out of yet.
        client.logout().await.unwrap();
        assert!(server.seen().is_empty());
        client.query_projects(&[]).await.unwrap();
        client.logout().await.unwrap();
        client.logout().await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen[2].line(), "DELETE /zstack/v1/accounts/sessions/0123456789abcdef0123456789abcdef");
        assert_eq!(seen[2].header("authorization"), Some("OAuth 0123456789abcdef0123456789abcdef"));
        // A later call logs in again.
        client.query_projects(&[]).await.unwrap();
        assert_eq!(client.login_count(), 2);

        // An already expired session counts as logged out; AccessKey has nothing to do.
        let server = Server::start(|req, _| {
            if req.is_login() {
                return session_reply("s");
            }
            if req.method == "DELETE" {
                return zs_error(503, "ID.1001", "Session expired", "");
            }
            projects_reply()
        })
        .await;
        let client = account_client(&server.url);
        client.query_projects(&[]).await.unwrap();
        client.logout().await.unwrap();
        let client = access_key_client(&server.url);
        client.logout().await.unwrap();
        assert_eq!(server.seen().len(), 3);
    }

    #[tokio::test]
    async fn access_key_requests_are_signed() {
        let server = Server::start(|req, _| {
            assert!(!req.is_login());
            projects_reply()
        })
        .await;
        let client = access_key_client(&server.url);
        client.query_projects(&[]).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let date = seen[0].header("date").unwrap();
        assert!(date.ends_with(" GMT"), "{date}");
        let expected = auth::access_key_signature(AK_SECRET, &auth::string_to_sign("GET", date, "/v1/iam2/projects"));
        assert_eq!(seen[0].header("authorization").unwrap(), format!("ZStack {AK_ID}:{expected}"));
        assert_eq!(client.login_count(), 0);

        // A refusal names the AccessKey.
        let server = Server::start(|_, _| Reply::Raw(403, "wrong accessKey signature")).await;
        let e = access_key_client(&server.url).query_projects(&[]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("AccessKey"), "{e}");
        assert!(!e.to_string().contains(AK_SECRET));
        assert_eq!(server.seen().len(), 1, "auth errors are not retried");
    }
}
