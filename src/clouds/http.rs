//! The HTTP layer shared by the cloud clients: one `reqwest::Client`, request signing as a hook,
//! and a retry loop with capped exponential backoff, full jitter and cancellation.

use std::error::Error as _;
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, LOCATION};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::{Cloud, CloudError, ErrorKind};
use super::ratelimit::RateLimiter;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const USER_AGENT: &str = concat!("terraform-provider-tether/", env!("CARGO_PKG_VERSION"));
/// The largest response body read: 16 MiB, hundreds of times a full page of any API used here.
/// Bodies are held whole in memory, so without a cap one endless answer (a broken proxy, a
/// hostile endpoint) would exhaust it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A request as the signer sees it. The signer may add or replace headers; what it leaves here
/// is exactly what goes on the wire.
#[derive(Debug, Clone)]
pub struct SignableRequest {
    pub method: Method,
    pub url: Url,
    /// Mark credential-bearing values with `HeaderValue::set_sensitive` so they stay out of
    /// `Debug` output.
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl SignableRequest {
    pub fn new(method: Method, url: Url) -> Self {
        Self { method, url, headers: HeaderMap::new(), body: Vec::new() }
    }

    /// The `Host` header value for this URL: `host`, or `host:port` when the port is not the
    /// scheme's default (which is also what reqwest would send).
    pub fn host(&self) -> String {
        host_header(&self.url)
    }
}

/// `host[:port]` exactly as it appears in the URL's authority.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Adds authentication to a request; called once per attempt, so time-based signatures stay fresh
/// across retries.
pub trait RequestSigner: Send + Sync {
    fn sign(&self, req: &mut SignableRequest) -> Result<(), CloudError>;
}

/// A fully read HTTP response. The status is not interpreted here: error envelopes are
/// cloud-specific.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// The start of an unexpected body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "empty body".to_owned();
    }
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// How hard to retry throttled and transient failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// Upper bound for a single wait between attempts.
    pub max_wait: Duration,
    /// Wait bound before the first retry; doubles with every retry.
    pub base: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 3, max_wait: Duration::from_secs(30), base: Duration::from_millis(500) }
    }
}

/// The outcome of one failed attempt, with the verdict on whether another attempt is safe.
struct Failure {
    error: CloudError,
    retry: bool,
    /// The connection could not be made: see [`CONNECT_RETRIES`].
    unreachable: bool,
}

/// Retries after a connect that failed without a refusal (unreachable, or not opened within
/// 10 s; a refused one is not retried at all). Nothing was sent, so a retry is always safe, but
/// such an endpoint is almost always down or mistyped, not blipping: two quick retries cover a
/// network hiccup, and the error reaches the user in seconds instead of after the whole backoff.
const CONNECT_RETRIES: u32 = 2;

impl RetryPolicy {
    pub const fn no_retries() -> Self {
        Self { max_retries: 0, max_wait: Duration::ZERO, base: Duration::ZERO }
    }

    /// The upper bound of the wait before retry number `retry` (0-based): `min(max_wait, base·2^retry)`.
    pub fn backoff_cap(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max_wait)
    }

    /// Full jitter: uniform in `[0, backoff_cap(retry)]`, which spreads concurrent clients apart.
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = u64::try_from(self.backoff_cap(retry).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::random_range(0..=cap))
    }

    /// Runs `attempt` (given the 0-based attempt number) until it succeeds, fails with an error
    /// whose kind is not retryable, or the retries are used up. Throttled answers are retried
    /// until `deadline` (default [`THROTTLE_PATIENCE`] from now) without using up the retries, see
    /// [`Call::deadline`]. When `cancel` fires, the running attempt or wait is abandoned and a
    /// "cancelled" error (kind `Cancelled`) is returned at once.
    pub async fn run<T, F, Fut>(
        &self,
        cloud: Cloud,
        action: &str,
        cancel: Option<&CancellationToken>,
        deadline: Option<Instant>,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        let deadline = deadline.unwrap_or_else(|| Instant::now() + THROTTLE_PATIENCE);
        self.run_inner(cloud, action, cancel, deadline, false, |n| {
            let fut = attempt(n);
            async move {
                fut.await.map_err(|error| Failure {
                    retry: error.kind.is_retryable(),
                    error,
                    unreachable: false,
                })
            }
        })
        .await
    }

    /// `paced`: every attempt waits its turn under a [`RateLimiter`] that slows down when
    /// throttled, so a throttled attempt is retried at that turn with no backoff of its own.
    async fn run_inner<T, F, Fut>(
        &self,
        cloud: Cloud,
        action: &str,
        cancel: Option<&CancellationToken>,
        deadline: Instant,
        paced: bool,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        // Attempts made, retries spent on real errors, and throttled answers retried. Throttling
        // is the cloud asking us to slow down, not a failure: while the deadline has time left
        // it is retried without touching the error budget, so a busy account (several Terraform
        // runs at once) slows an operation down instead of failing it. The budget still applies
        // when retries are off (`max_retries = 0`) or the deadline has passed.
        let (mut n, mut errors, mut throttles) = (0u32, 0u32, 0u32);
        loop {
            let failure = match cancellable(cancel, attempt(n)).await {
                None => return Err(CloudError::cancelled(cloud, action)),
                Some(Ok(value)) => return Ok(value),
                Some(Err(failure)) => failure,
            };
            if !failure.retry || self.max_retries == 0 {
                return Err(failure.error);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = if failure.error.kind == ErrorKind::Throttled && !left.is_zero() {
                // Paced: the limiter has slowed down and the retry waits its slower turn.
                // Unpaced: back off exponentially, as for any error, but never past the deadline.
                let wait = if paced { Duration::ZERO } else { self.backoff(throttles).min(left) };
                throttles += 1;
                wait
            } else if errors < self.max_retries && !(failure.unreachable && errors >= CONNECT_RETRIES) {
                let wait = self.backoff(errors);
                errors += 1;
                wait
            } else {
                return Err(failure.error);
            };
            n += 1;
            let err = &failure.error;
            tracing::debug!(
                cloud = %cloud,
                action,
                attempt = n,
                throttled_retries = throttles,
                request_id = err.request_id.as_deref(),
                kind = %err.kind,
                code = err.code.as_deref(),
                http_status = err.http_status,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %err.message,
                "retrying cloud API call"
            );
            if cancellable(cancel, tokio::time::sleep(wait)).await.is_none() {
                return Err(CloudError::cancelled(cloud, action));
            }
        }
    }
}

/// Runs `fut` unless `cancel` fires first (`None`).
pub(crate) async fn cancellable<F: Future>(cancel: Option<&CancellationToken>, fut: F) -> Option<F::Output> {
    match cancel {
        None => Some(fut.await),
        Some(token) => tokio::select! {
            biased;
            _ = token.cancelled() => None,
            out = fut => Some(out),
        },
    }
}

/// Per-call settings for [`HttpClient::execute`].
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The vendor's API name, for errors and logs.
    pub action: &'a str,
    /// `false` for writes that must not be repeated blindly (e.g. a bind): then only failures
    /// known to have happened before the server processed the request are retried — throttling
    /// and connection failures. Anything else is returned so the caller can reconcile by reading.
    pub idempotent: bool,
    pub retry: &'a RetryPolicy,
    pub cancel: Option<&'a CancellationToken>,
    /// The caller already took this action's pacing slot (see [`HttpClient::pace`]) for the
    /// first attempt; retries still wait for theirs.
    pub first_attempt_paced: bool,
    /// Until when throttled answers are retried without using up `retry.max_retries` (after it,
    /// a throttle counts like any other retryable error). `None`: [`THROTTLE_PATIENCE`] from the
    /// start of the call. Meant for the operation's own deadline (Terraform `timeouts`) when
    /// there is one.
    pub deadline: Option<Instant>,
}

/// How long one call keeps retrying throttled answers when its operation gives no deadline:
/// long enough to outlast several Terraform runs sharing an account's limit (four runs of 150
/// Tencent bindings need about 30 s of Cancel budget between them), short enough that a cloud
/// that throttles everything is reported within minutes instead of hanging an apply.
pub const THROTTLE_PATIENCE: Duration = Duration::from_secs(5 * 60);

/// A cheap-to-clone HTTP client for one cloud (reqwest clients share their pool when cloned).
#[derive(Debug, Clone)]
pub struct HttpClient {
    cloud: Cloud,
    client: reqwest::Client,
    /// Shared by every clone, so all concurrent calls of an action wait their turn together.
    rate_limit: Option<RateLimiter>,
}

impl HttpClient {
    /// Builds the default client: rustls, 10 s connect timeout, 60 s request timeout, the
    /// provider's user agent.
    pub fn new(cloud: Cloud) -> Result<Self, CloudError> {
        let client = default_reqwest_client()
            .map_err(|e| CloudError::new(ErrorKind::Other, cloud, "client setup", e.to_string()))?;
        Ok(Self { cloud, client, rate_limit: None })
    }

    /// Wraps an existing client, so several clouds can share one connection pool.
    pub fn with_client(cloud: Cloud, client: reqwest::Client) -> Self {
        Self { cloud, client, rate_limit: None }
    }

    /// Paces every attempt (retries included) of each action through `limiter`.
    pub fn with_rate_limit(mut self, limiter: Option<RateLimiter>) -> Self {
        self.rate_limit = limiter;
        self
    }

    pub fn cloud(&self) -> Cloud {
        self.cloud
    }

    /// Waits for, and takes, the next pacing slot of `action`, for a call made later with
    /// [`Call::first_attempt_paced`] — so a caller can keep gathering work for the call until
    /// the moment it may go. `false` (at once) when calls are not paced.
    pub async fn pace(&self, action: &str) -> bool {
        match &self.rate_limit {
            Some(limiter) => {
                limiter.acquire(action).await;
                true
            }
            None => false,
        }
    }

    /// Signs `request` afresh for every attempt, sends it, and hands the response to `decode`,
    /// retrying per `call.retry` as described on [`Call::idempotent`].
    pub async fn execute<T>(
        &self,
        call: Call<'_>,
        signer: &dyn RequestSigner,
        request: &SignableRequest,
        decode: impl Fn(HttpResponse) -> Result<T, CloudError>,
    ) -> Result<T, CloudError> {
        let decode = &decode;
        let deadline = call.deadline.unwrap_or_else(|| Instant::now() + THROTTLE_PATIENCE);
        let limiter = self.rate_limit.as_ref();
        // Whether an attempt that the cloud may have acted on is (or was) in flight. It stays
        // false through failed connects and throttled answers (the cloud refused those before
        // acting), and while waiting for a pacing slot or a backoff, so a call stopped or failed
        // there reports `never_sent` and its caller need not read to find out what happened.
        let maybe_sent = &AtomicBool::new(false);
        let result = call
            .retry
            .run_inner(self.cloud, call.action, call.cancel, deadline, limiter.is_some(), |attempt| async move {
                if let Some(limiter) = limiter.filter(|_| attempt > 0 || !call.first_attempt_paced) {
                    limiter.acquire(call.action).await;
                }
                let sent = Instant::now();
                let mut req = request.clone();
                signer.sign(&mut req).map_err(|error| Failure { error, retry: false, unreachable: false })?;
                maybe_sent.store(true, Ordering::SeqCst);
                // A transport failure is retried only if its kind says another try can help (a
                // redirect or an untrusted certificate will answer the same way again).
                let response = self.send(call.action, req).await.map_err(|sent| {
                    if !sent.maybe_delivered {
                        maybe_sent.store(false, Ordering::SeqCst);
                    }
                    Failure {
                        // A refused connection is the host's own answer that nothing listens
                        // there; asking again within the backoff meets the same answer, and
                        // only turns an immediate error into seconds of waiting.
                        retry: sent.error.kind.is_retryable()
                            && (call.idempotent || !sent.maybe_delivered)
                            && !sent.refused,
                        unreachable: !sent.maybe_delivered,
                        error: sent.error,
                    }
                })?;
                let decoded = decode(response);
                if matches!(&decoded, Err(e) if e.kind == ErrorKind::Throttled) {
                    maybe_sent.store(false, Ordering::SeqCst);
                }
                // The pace adapts to what the cloud answers (see `ratelimit`).
                if let Some(limiter) = limiter {
                    match &decoded {
                        Err(e) if e.kind == ErrorKind::Throttled => {
                            limiter.throttled(call.action, sent);
                        }
                        // A server failure may be overload: no reason to speed up.
                        Err(e) if e.kind == ErrorKind::Transient => {}
                        // Any other answer, even a refusal, was admitted under the cloud's limit.
                        _ => limiter.succeeded(call.action),
                    }
                }
                decoded.map_err(|error| Failure {
                    retry: error.kind.is_retryable() && (call.idempotent || error.kind == ErrorKind::Throttled),
                    error,
                    unreachable: false,
                })
            })
            .await;
        result.map_err(|error| if maybe_sent.load(Ordering::SeqCst) { error } else { error.never_sent() })
    }

    /// One attempt, no signing, no retries. Transport failures come back as `Transient` errors
    /// that name the endpoint host; a redirect (3xx) comes back as an error too, see
    /// [`redirect_error`].
    pub async fn send(&self, action: &str, req: SignableRequest) -> Result<HttpResponse, SendError> {
        let host = req.host();
        let req_url = req.url.clone();
        let started = Instant::now();
        let result = async {
            let response = self.client.request(req.method, req.url).headers(req.headers).body(req.body).send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let Some(body) = read_body(response).await? else {
                return Ok(None);
            };
            Ok::<_, reqwest::Error>(Some(HttpResponse { status, headers, body }))
        }
        .await;
        match result {
            Ok(None) => Err(SendError {
                error: CloudError::new(
                    ErrorKind::Other,
                    self.cloud,
                    action,
                    format!(
                        "the response from {host} is larger than {} MiB, the most this provider reads; check that the endpoint is the cloud's API",
                        MAX_BODY_BYTES / (1024 * 1024)
                    ),
                ),
                // The server answered, so a write may have been acted on.
                maybe_delivered: true,
                refused: false,
            }),
            Ok(Some(response)) => {
                tracing::debug!(
                    cloud = %self.cloud,
                    action,
                    host,
                    status = response.status,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "cloud API response"
                );
                if (300..400).contains(&response.status) {
                    return Err(SendError {
                        error: redirect_error(self.cloud, action, &req_url, &response),
                        // The endpoint did receive (and answered) the request; whoever stands
                        // behind it may have acted on a write, so a write stays ambiguous.
                        maybe_delivered: true,
                        refused: false,
                    });
                }
                Ok(response)
            }
            Err(e) => Err(self.transport_error(action, &host, e)),
        }
    }

    fn transport_error(&self, action: &str, host: &str, e: reqwest::Error) -> SendError {
        // Only a failed connect proves the server never saw the request.
        let maybe_delivered = !e.is_connect();
        let refused = e.is_connect() && is_connection_refused(&e);
        if is_certificate_problem(&e) {
            // The TLS handshake failed, so no request was sent. Trying again meets the same
            // certificate: not retryable.
            let message = format!(
                "the TLS certificate of {host} is not trusted: {}. If the endpoint uses a private or self-signed certificate, trust its CA with the `ca_cert_file` setting of this cloud's provider block.",
                error_chain(e)
            );
            return SendError {
                error: CloudError::new(ErrorKind::Other, self.cloud, action, message),
                maybe_delivered: false,
                refused: false,
            };
        }
        let what = if e.is_connect() {
            "cannot connect to"
        } else if e.is_timeout() {
            "timed out talking to"
        } else if e.is_body() || e.is_decode() {
            "failed reading the response from"
        } else {
            "request failed to"
        };
        let message = format!("{what} {host}: {}", error_chain(e));
        SendError {
            error: CloudError::new(ErrorKind::Transient, self.cloud, action, message),
            maybe_delivered,
            refused,
        }
    }
}

/// The body of `response`, read a chunk at a time; `None` as soon as it passes
/// [`MAX_BODY_BYTES`], before anything past the limit is held.
async fn read_body(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let declared = response.content_length().unwrap_or(0);
    if declared > MAX_BODY_BYTES as u64 {
        return Ok(None);
    }
    // The declared length is only a hint (it may be wrong), so it caps the first allocation too.
    let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(MAX_BODY_BYTES));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// A transport failure from [`HttpClient::send`].
#[derive(Debug, Clone)]
pub struct SendError {
    pub error: CloudError,
    /// `false` only when the request certainly never reached the server (connect failed).
    pub maybe_delivered: bool,
    /// The host refused the connection (nothing listens on the port): not retried.
    pub refused: bool,
}

/// The default `reqwest::Client` used by [`HttpClient::new`]: trusts the system's CA store.
pub fn default_reqwest_client() -> Result<reqwest::Client, ClientSetupError> {
    reqwest_client(&[])
}

/// A `reqwest::Client` that trusts the system's CA store plus `extra_roots` (for a private or
/// self-signed CA, see [`load_ca_bundle`]).
///
/// It never follows redirects: cloud APIs do not redirect, and following one would hand the
/// signed headers (Tencent `X-TC-Token`, Huawei `X-Security-Token`), the ZStack login body (the
/// password digest, which works as the password) and session-bearing `Referer`s to whatever
/// host the `Location` names. [`HttpClient::send`] turns a 3xx into an error instead.
pub fn reqwest_client(extra_roots: &[CertificateDer<'static>]) -> Result<reqwest::Client, ClientSetupError> {
    let roots =
        extra_roots.iter().map(|der| reqwest::Certificate::from_der(der.as_ref())).collect::<Result<Vec<_>, _>>();
    let roots = roots.map_err(|e| ClientSetupError::Other(error_chain(e)))?;
    builder().tls_certs_merge(roots).build().map_err(|e| {
        if extra_roots.is_empty() && is_missing_system_roots(&e) {
            ClientSetupError::NoSystemRoots
        } else {
            ClientSetupError::Other(error_chain(e))
        }
    })
}

/// A client for endpoints that are all plain `http://`, for a machine without a CA store: it
/// trusts no certificate at all, so it can never complete a TLS handshake (and, following no
/// redirect, never needs one). Lets the emulator and loopback setups work where
/// [`default_reqwest_client`] cannot be built.
pub fn plain_http_reqwest_client() -> Result<reqwest::Client, ClientSetupError> {
    builder().tls_certs_only(Vec::new()).build().map_err(|e| ClientSetupError::Other(error_chain(e)))
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(Policy::none())
        .referer(false)
}

/// Why an HTTP client could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientSetupError {
    /// The system's CA store holds no usable certificate (no ca-certificates package, or
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` pointing at nothing), so no HTTPS endpoint could be
    /// trusted.
    NoSystemRoots,
    Other(String),
}

impl fmt::Display for ClientSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientSetupError::NoSystemRoots => {
                f.write_str("no CA certificates could be loaded from the system")?;
                let overrides: Vec<String> = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
                    .into_iter()
                    .filter_map(|name| std::env::var_os(name).map(|v| format!("{name}={}", v.to_string_lossy())))
                    .collect();
                if overrides.is_empty() {
                    f.write_str(" (the usual bundle locations, such as /etc/ssl/certs, hold none)")
                } else {
                    // These replace the system store entirely, a common cause.
                    write!(f, " ({} is set and replaces the system store, but holds none)", overrides.join(", "))
                }
            }
            ClientSetupError::Other(text) => write!(f, "cannot build the HTTP client: {text}"),
        }
    }
}

impl std::error::Error for ClientSetupError {}

/// Whether building a client failed because the platform verifier found no system roots. It
/// reports that (and only that) as `rustls::Error::General`; anything else it fails on is a
/// certificate or verifier error of another variant.
fn is_missing_system_roots(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(rustls::Error::General(_)) = cause.downcast_ref::<rustls::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Reads a PEM bundle of CA certificates to trust for HTTPS endpoints. The error says what was
/// wrong with the file and what it should hold; it names the path, never the contents.
pub fn load_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    const EXPECTED: &str = "expected a PEM file holding one or more \"-----BEGIN CERTIFICATE-----\" blocks (the CA that issued the endpoint's certificate, or the self-signed certificate itself)";
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}; {EXPECTED}"))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{shown} is not a readable PEM file ({e}); {EXPECTED}"))?;
    if certs.is_empty() {
        return Err(format!("{shown} holds no certificate; {EXPECTED}"));
    }
    // Parse each one now, so a damaged certificate is reported here rather than as a client
    // setup failure.
    let mut store = rustls::RootCertStore::empty();
    for (n, cert) in certs.iter().enumerate() {
        store.add(cert.clone()).map_err(|e| {
            format!("certificate {} of {} in {shown} is not a usable CA certificate: {e}", n + 1, certs.len())
        })?;
    }
    Ok(certs)
}

/// The error for a 3xx answer. It names the status and the host the `Location` points at, never
/// the whole `Location`: its path or query may carry what the redirecting host wants to collect.
pub fn redirect_error(cloud: Cloud, action: &str, url: &Url, response: &HttpResponse) -> CloudError {
    let status = StatusCode::from_u16(response.status)
        .ok()
        .and_then(|s| s.canonical_reason().map(|reason| format!("{} {reason}", s.as_u16())))
        .unwrap_or_else(|| response.status.to_string());
    let target = response
        .headers
        .get(LOCATION)
        .map(|value| match value.to_str().ok().and_then(|text| url.join(text.trim()).ok()) {
            Some(target) if target.host_str().is_some() => format!("to host {}", host_header(&target)),
            _ => "to an unreadable location".to_owned(),
        })
        .unwrap_or_else(|| "with no location".to_owned());
    let message = format!(
        "the endpoint {} answered {status} {target}; cloud APIs do not redirect, so nothing was sent there. Check the endpoint URL.",
        host_header(url)
    );
    CloudError::new(ErrorKind::Other, cloud, action, message).with_http_status(response.status)
}

/// Whether `e` is a refused redirect from [`HttpClient::send`].
pub fn is_redirect(e: &CloudError) -> bool {
    e.kind == ErrorKind::Other && e.code.is_none() && e.http_status.is_some_and(|s| (300..400).contains(&s))
}

/// Whether a connect failed because the host refused it (`ECONNREFUSED`), as opposed to timing
/// out or failing to resolve.
fn is_connection_refused(e: &reqwest::Error) -> bool {
    let mut source = e.source();
    while let Some(cause) = source {
        if cause.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Whether a request failed on the server's certificate (rustls rejected it).
fn is_certificate_problem(e: &reqwest::Error) -> bool {
    // tokio-rustls hands the rustls error on inside an io::Error (which the connector wraps in
    // another), and io::Error::source() skips the wrapped error itself: look inside each one.
    let mut pending: Vec<&(dyn std::error::Error + 'static)> = e.source().into_iter().collect();
    while let Some(cause) = pending.pop() {
        if let Some(rustls::Error::InvalidCertificate(_)) = cause.downcast_ref::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            pending.push(inner);
        }
        pending.extend(cause.source());
    }
    false
}

/// Whether `url` names this machine: `localhost`, 127.0.0.0/8 or ::1. Plain `http://` to such a
/// host never leaves the machine.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The error and its causes on one line. reqwest's own message is generic ("error sending
/// request"); the useful part (refused, reset, DNS) sits in the source chain. The URL is dropped:
/// some clouds put identifiers in paths, and the caller already names the host.
fn error_chain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy { max_retries: 3, max_wait: Duration::from_millis(4), base: Duration::from_millis(1) }
    }

    fn err(kind: ErrorKind) -> CloudError {
        CloudError::new(kind, Cloud::Tencent, "Test", "boom")
    }

    #[test]
    fn defaults() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_retries, 3);
        assert_eq!(p.max_wait, Duration::from_secs(30));
        assert_eq!(p.base, Duration::from_millis(500));
        assert!(USER_AGENT.starts_with("terraform-provider-tether/"));
    }

    #[test]
    fn backoff_is_capped_exponential_with_jitter() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_cap(0), Duration::from_millis(500));
        assert_eq!(p.backoff_cap(1), Duration::from_secs(1));
        assert_eq!(p.backoff_cap(5), Duration::from_secs(16));
        assert_eq!(p.backoff_cap(6), Duration::from_secs(30));
        assert_eq!(p.backoff_cap(40), Duration::from_secs(30));
        for retry in 0..10 {
            assert!(p.backoff(retry) <= p.backoff_cap(retry));
        }
    }

    #[test]
    fn host_header_keeps_non_default_port() {
        let h = |u: &str| host_header(&Url::parse(u).unwrap());
        assert_eq!(h("https://organization.tencentcloudapi.com/"), "organization.tencentcloudapi.com");
        assert_eq!(h("https://example.com:443/"), "example.com");
        assert_eq!(h("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(h("http://[::1]:9000/"), "[::1]:9000");
    }

    #[tokio::test]
    async fn retries_only_retryable_errors() {
        let calls = AtomicU32::new(0);
        let out = fast()
            .run(Cloud::Tencent, "Test", None, None, |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { if n < 2 { Err(err(ErrorKind::Throttled)) } else { Ok(n) } }
            })
            .await;
        assert_eq!(out.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let out: Result<(), _> = fast()
            .run(Cloud::Tencent, "Test", None, None, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err(ErrorKind::Conflict)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind, ErrorKind::Conflict);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_retries() {
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = fast()
            .run(Cloud::Tencent, "Test", None, None, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err(ErrorKind::Transient)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind, ErrorKind::Transient);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn throttled_answers_are_retried_by_time_not_by_count() {
        let one_retry = RetryPolicy { max_retries: 1, ..fast() };
        let calls = AtomicU32::new(0);
        // Ten throttles, then a transient error: only the latter uses the single retry.
        let out = one_retry
            .run(Cloud::Tencent, "Test", None, None, |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0..10 => Err(err(ErrorKind::Throttled)),
                        10 => Err(err(ErrorKind::Transient)),
                        _ => Ok(n),
                    }
                }
            })
            .await;
        assert_eq!(out.unwrap(), 11);
        assert_eq!(calls.load(Ordering::SeqCst), 12);

        // Past the deadline a throttle counts like any error: 1 + max_retries attempts.
        calls.store(0, Ordering::SeqCst);
        let out: Result<(), _> = one_retry
            .run(Cloud::Tencent, "Test", None, Some(Instant::now()), |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err(ErrorKind::Throttled)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind, ErrorKind::Throttled);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        // Retries off means off, throttling included.
        calls.store(0, Ordering::SeqCst);
        let out: Result<(), _> = RetryPolicy::no_retries()
            .run(Cloud::Tencent, "Test", None, None, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err(ErrorKind::Throttled)) }
            })
            .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn throttled_retries_stop_at_the_deadline() {
        let slow = RetryPolicy { max_retries: 1, max_wait: Duration::from_millis(50), base: Duration::from_millis(50) };
        let started = Instant::now();
        let out: Result<(), _> = slow
            .run(Cloud::Tencent, "Test", None, Some(started + Duration::from_millis(300)), |_| async {
                Err(err(ErrorKind::Throttled))
            })
            .await;
        assert_eq!(out.unwrap_err().kind, ErrorKind::Throttled);
        // Throttles until the deadline, then the one retry of the error budget (≤ 50 ms).
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    #[tokio::test]
    async fn a_throttled_answer_slows_the_pace_and_a_success_speeds_it_up() {
        let throttled =
            r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}"#;
        let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{throttled}", throttled.len());
        let server = serve(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), answer, None).await;
        let limiter = RateLimiter::per_action(100).unwrap();
        let client = HttpClient::new(Cloud::Tencent).unwrap().with_rate_limit(Some(limiter.clone()));
        let retry = RetryPolicy { max_retries: 1, ..fast() };
        let request = SignableRequest::new(Method::POST, Url::parse(&format!("http://{}/", server.addr)).unwrap());
        let call = Call {
            action: "Cancel",
            idempotent: false,
            retry: &retry,
            cancel: None,
            first_attempt_paced: false,
            deadline: Some(Instant::now() + Duration::from_millis(500)),
        };
        let decode = |r: HttpResponse| {
            crate::clouds::tencent::decode_response::<serde_json::Value>("Cancel", "h", r.status, &r.body)
        };
        let e = client.execute(call, &NoSigner, &request, decode).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
        // Each throttle sent at the lowered pace halved it again, down to the floor; the
        // deadline then ended it.
        assert_eq!(limiter.current_rate("Cancel"), crate::clouds::ratelimit::FLOOR_PER_SECOND);
        let sent = server.requests.load(Ordering::SeqCst);
        assert!((3..=12).contains(&sent), "{sent} requests in 500 ms at a falling pace");
        assert_eq!(limiter.current_rate("Bind"), 100.0);
    }

    #[tokio::test]
    async fn cancellation_stops_waiting() {
        let token = CancellationToken::new();
        let slow = RetryPolicy { max_retries: 10, max_wait: Duration::from_secs(60), base: Duration::from_secs(60) };
        let cancel = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let out: Result<(), _> = slow
            .run(Cloud::ZStack, "Test", Some(&token), None, |n| async move {
                if n == 0 {
                    Err(err(ErrorKind::Transient))
                } else {
                    // A retry after a 0 ms jittered wait: hang until cancelled.
                    std::future::pending().await
                }
            })
            .await;
        let e = out.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert_eq!(e.message, "cancelled");
        assert_eq!(e.cloud, Cloud::ZStack);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    // ---- redirects, trust and cleartext (issue 13) ----

    fn response(status: u16, location: Option<&str>) -> HttpResponse {
        let mut headers = HeaderMap::new();
        if let Some(location) = location {
            headers.insert(LOCATION, location.parse().unwrap());
        }
        HttpResponse { status, headers, body: Vec::new() }
    }

    #[test]
    fn a_redirect_names_the_status_and_only_the_target_host() {
        let url = Url::parse("http://127.0.0.1:8080/zstack/v1/accounts/login").unwrap();
        let e = redirect_error(
            Cloud::ZStack,
            "LogInByAccount",
            &url,
            &response(307, Some("http://evil.example:8443/collect?session=0b7c3d2e1f8a4b6c&token=x")),
        );
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(!e.is_retryable());
        assert_eq!(e.http_status, Some(307));
        assert_eq!(e.code, None);
        assert!(is_redirect(&e));
        assert!(!is_redirect(&CloudError::new(ErrorKind::Other, Cloud::ZStack, "x", "y").with_http_status(500)));
        assert_eq!(
            e.to_string(),
            "ZStack LogInByAccount failed: the endpoint 127.0.0.1:8080 answered 307 Temporary Redirect to host evil.example:8443; cloud APIs do not redirect, so nothing was sent there. Check the endpoint URL."
        );
        for secret in ["collect", "session", "0b7c3d2e", "token"] {
            assert!(!e.message.contains(secret), "{secret} leaked into {e}");
        }
    }

    #[test]
    fn relative_missing_and_odd_locations() {
        let url = Url::parse("https://organization.tencentcloudapi.com/").unwrap();
        let message =
            |status, location| redirect_error(Cloud::Tencent, "Bind", &url, &response(status, location)).message;
        assert!(
            message(301, Some("/elsewhere?x=1"))
                .contains("answered 301 Moved Permanently to host organization.tencentcloudapi.com;")
        );
        assert!(message(302, None).contains("answered 302 Found with no location;"));
        assert!(message(308, Some("http://")).contains("answered 308 Permanent Redirect to an unreadable location;"));
        assert!(message(399, Some("https://b.example/")).contains("answered 399 to host b.example;"));
    }

    /// A loopback HTTP/1.1 server: answers every request with `answer`, counting connections and
    /// requests. Reads each whole request first, so the client never sees a reset.
    struct TestServer {
        addr: std::net::SocketAddr,
        connections: Arc<AtomicU32>,
        requests: Arc<AtomicU32>,
    }

    async fn read_request<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                if buf.len() >= end + 4 + length {
                    return Some(buf);
                }
            }
        }
    }

    async fn serve(
        listener: tokio::net::TcpListener,
        answer: String,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> TestServer {
        use tokio::io::AsyncWriteExt;
        let server = TestServer {
            addr: listener.local_addr().unwrap(),
            connections: Arc::new(AtomicU32::new(0)),
            requests: Arc::new(AtomicU32::new(0)),
        };
        let (connections, requests) = (server.connections.clone(), server.requests.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections.fetch_add(1, Ordering::SeqCst);
                let (answer, requests, tls) = (answer.clone(), requests.clone(), tls.clone());
                tokio::spawn(async move {
                    let mut stream: Box<dyn AsyncStream> = match tls {
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => Box::new(stream),
                            Err(_) => return,
                        },
                        None => Box::new(stream),
                    };
                    while read_request(&mut stream).await.is_some() {
                        requests.fetch_add(1, Ordering::SeqCst);
                        if stream.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        server
    }

    trait AsyncStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
    impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> AsyncStream for T {}

    struct NoSigner;
    impl RequestSigner for NoSigner {
        fn sign(&self, _: &mut SignableRequest) -> Result<(), CloudError> {
            Ok(())
        }
    }

    async fn call(client: &HttpClient, url: &str, idempotent: bool) -> Result<HttpResponse, CloudError> {
        let retry = fast();
        let mut request = SignableRequest::new(Method::POST, Url::parse(url).unwrap());
        request.headers.insert("x-tc-token", "sts-session-token".parse().unwrap());
        request.body = br#"{"password":"digest"}"#.to_vec();
        let call = Call {
            action: "Test",
            idempotent,
            retry: &retry,
            cancel: None,
            first_attempt_paced: false,
            deadline: None,
        };
        client.execute(call, &NoSigner, &request, Ok).await
    }

    #[tokio::test]
    async fn a_refused_connection_sent_nothing_and_fails_fast() {
        // Bind, then close: nothing listens on the port any more.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let client = HttpClient::new(Cloud::Tencent).unwrap();
        let started = Instant::now();
        let e = call(&client, &format!("http://{closed}/"), false).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("cannot connect to"), "{e}");
        assert!(e.never_sent && !e.is_ambiguous(), "a write that never connected is not ambiguous: {e:?}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_refused_connection_is_not_retried() {
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let client = HttpClient::new(Cloud::ZStack).unwrap();
        // Backoffs of seconds: any retry would show in the time taken.
        let retry = RetryPolicy { max_retries: 5, max_wait: Duration::from_secs(2), base: Duration::from_secs(2) };
        let request = SignableRequest::new(Method::GET, Url::parse(&format!("http://{closed}/")).unwrap());
        let started = Instant::now();
        let call = Call {
            action: "Query",
            idempotent: true,
            retry: &retry,
            cancel: None,
            first_attempt_paced: false,
            deadline: None,
        };
        let e = client.execute(call, &NoSigner, &request, Ok).await.unwrap_err();
        assert!(e.message.contains("Connection refused"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(1), "retried: {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_write_stopped_in_flight_is_ambiguous_and_one_stopped_before_sending_is_not() {
        // Accepts and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hung = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        let client = HttpClient::new(Cloud::ZStack).unwrap();
        let retry = fast();
        let request = SignableRequest::new(Method::POST, Url::parse(&format!("http://{hung}/")).unwrap());
        let attach = |token| Call {
            action: "Attach",
            idempotent: false,
            retry: &retry,
            cancel: Some(token),
            first_attempt_paced: false,
            deadline: None,
        };
        let token = CancellationToken::new();
        let stopper = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            stopper.cancel();
        });
        let call = attach(&token);
        let e = client.execute(call, &NoSigner, &request, Ok).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert!(e.is_ambiguous(), "the request was on the wire: {e:?}");

        // Stopped while waiting for its pacing slot: nothing went out.
        let limiter = RateLimiter::per_action(1).unwrap();
        let client = client.with_rate_limit(Some(limiter));
        assert!(client.pace("Attach").await);
        let token = CancellationToken::new();
        token.cancel();
        let call = attach(&token);
        let e = client.execute(call, &NoSigner, &request, Ok).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert!(e.never_sent && !e.is_ambiguous(), "{e:?}");
    }

    #[tokio::test]
    async fn bodies_past_the_cap_are_refused_while_reading() {
        use tokio::io::AsyncWriteExt;
        // An endless chunked body: the read must stop soon after the cap, not hold it all.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endless = listener.local_addr().unwrap();
        let sent = Arc::new(AtomicU32::new(0));
        let counted = sent.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let counted = counted.clone();
                tokio::spawn(async move {
                    if read_request(&mut stream).await.is_none() {
                        return;
                    }
                    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                    while stream.write_all(chunk.as_bytes()).await.is_ok() {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        let client = HttpClient::new(Cloud::Huawei).unwrap();
        let e = call(&client, &format!("http://{endless}/"), true).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(!e.is_retryable());
        assert_eq!(e.action, "Test");
        assert!(e.message.contains("is larger than 16 MiB, the most this provider reads"), "{e}");
        // Stopped near the cap (64 KiB chunks, plus what the sockets buffer).
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(sent.load(Ordering::SeqCst) < 2 * (MAX_BODY_BYTES as u32 / 0x10000), "kept reading");

        // A declared length past the cap is refused before reading; one under it is read.
        let huge = serve(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", MAX_BODY_BYTES + 1),
            None,
        )
        .await;
        let e = call(&client, &format!("http://{}/", huge.addr), true).await.unwrap_err();
        assert!(e.message.contains("is larger than 16 MiB"), "{e}");
        let small = serve(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(),
            None,
        )
        .await;
        assert_eq!(call(&client, &format!("http://{}/", small.addr), true).await.unwrap().body, b"{}");
    }

    #[tokio::test]
    async fn redirects_are_errors_and_nothing_reaches_the_target() {
        let target = serve(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(),
            None,
        )
        .await;
        for status in
            ["301 Moved Permanently", "302 Found", "303 See Other", "307 Temporary Redirect", "308 Permanent Redirect"]
        {
            let answer = format!(
                "HTTP/1.1 {status}\r\nLocation: http://{}/steal?session=abc\r\nContent-Length: 0\r\n\r\n",
                target.addr
            );
            let redirector = serve(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), answer, None).await;
            let client = HttpClient::new(Cloud::Tencent).unwrap();
            for idempotent in [true, false] {
                let e = call(&client, &format!("http://{}/", redirector.addr), idempotent).await.unwrap_err();
                assert!(e.message.contains(&format!("answered {status} to host {}", target.addr)), "{e}");
                assert!(!e.message.contains("steal") && !e.message.contains("session"), "{e}");
            }
            // Not retried (a redirect answers the same way again), not followed.
            assert_eq!(redirector.requests.load(Ordering::SeqCst), 2, "{status}");
            assert_eq!(target.connections.load(Ordering::SeqCst), 0, "{status}: the redirect was followed");
        }
    }

    /// A private CA and a certificate it issued for 127.0.0.1 and localhost.
    fn private_ca() -> (CertificateDer<'static>, String, rustls::ServerConfig) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "tether test CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server_cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap()
            .signed_by(&server_key, &ca)
            .unwrap();
        (ca.der().clone(), ca.pem(), server_config(server_cert.der().clone(), &server_key))
    }

    fn server_config(cert: CertificateDer<'static>, key: &rcgen::KeyPair) -> rustls::ServerConfig {
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()))
            .unwrap()
    }

    #[tokio::test]
    async fn a_self_signed_certificate_is_its_own_ca_unless_marked_as_a_ca() {
        // What the docs promise for `ca_cert_file`: a self-signed server certificate works as
        // its own trust anchor, but not one marked CA:TRUE (as `openssl req -x509` makes them),
        // which webpki refuses to accept as a server certificate.
        for (is_ca, works) in
            [(rcgen::IsCa::NoCa, true), (rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained), false)]
        {
            let key = rcgen::KeyPair::generate().unwrap();
            let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
            params.is_ca = is_ca;
            let cert = params.self_signed(&key).unwrap();
            let tls = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(cert.der().clone(), &key)));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let server = serve(listener, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(), Some(tls)).await;
            let client = HttpClient::with_client(Cloud::ZStack, reqwest_client(&[cert.der().clone()]).unwrap());
            let out = call(&client, &format!("https://127.0.0.1:{}/", server.addr.port()), true).await;
            assert_eq!(out.is_ok(), works, "{out:?}");
        }
    }

    #[tokio::test]
    async fn a_private_ca_is_refused_at_once_unless_trusted() {
        let (ca_der, _, config) = private_ca();
        let tls = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let server = serve(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".into(),
            Some(tls),
        )
        .await;
        let url = format!("https://127.0.0.1:{}/", server.addr.port());

        let untrusted = HttpClient::new(Cloud::ZStack).unwrap();
        let e = call(&untrusted, &url, true).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other, "{e}");
        assert!(
            e.message.starts_with(&format!("the TLS certificate of 127.0.0.1:{} is not trusted: ", server.addr.port())),
            "{e}"
        );
        assert!(e.message.contains("ca_cert_file"), "{e}");
        // One handshake, no retries: the certificate would be refused again.
        assert_eq!(server.connections.load(Ordering::SeqCst), 1);
        assert_eq!(server.requests.load(Ordering::SeqCst), 0);

        let trusted = HttpClient::with_client(Cloud::ZStack, reqwest_client(&[ca_der]).unwrap());
        assert_eq!(call(&trusted, &url, true).await.unwrap().status, 200);
        assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn ca_bundles_are_read_or_refused_with_the_expected_form() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ca_pem, _) = private_ca();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let good = write("ca.pem", &format!("# our private CA\n{ca_pem}"));
        assert_eq!(load_ca_bundle(&good).unwrap().len(), 1);
        let two = write("two.pem", &format!("{ca_pem}{ca_pem}"));
        assert_eq!(load_ca_bundle(&two).unwrap().len(), 2);

        let expected = "expected a PEM file holding one or more \"-----BEGIN CERTIFICATE-----\" blocks";
        let missing = load_ca_bundle(&dir.path().join("nope.pem")).unwrap_err();
        assert!(
            missing.starts_with(&format!("cannot read {}", dir.path().join("nope.pem").display()))
                && missing.contains(expected),
            "{missing}"
        );
        let empty = load_ca_bundle(&write("empty.pem", "")).unwrap_err();
        assert!(empty.contains("holds no certificate") && empty.contains(expected), "{empty}");
        let key_only =
            load_ca_bundle(&write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
                .unwrap_err();
        assert!(key_only.contains("holds no certificate"), "{key_only}");
        let broken =
            load_ca_bundle(&write("broken.pem", "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"))
                .unwrap_err();
        assert!(broken.contains("is not a readable PEM file") && broken.contains(expected), "{broken}");
        let not_x509 =
            load_ca_bundle(&write("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n"))
                .unwrap_err();
        assert!(
            not_x509.contains("certificate 1 of 1 in") && not_x509.contains("is not a usable CA certificate"),
            "{not_x509}"
        );
        // A directory is not a bundle.
        let dir_err = load_ca_bundle(dir.path()).unwrap_err();
        assert!(dir_err.starts_with("cannot read"), "{dir_err}");
    }

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3/",
            "http://[::1]:9000",
            "http://localhost:1",
            "http://LOCALHOST./",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        for url in [
            "http://10.0.0.1",
            "http://zstack.example.com:8080",
            "http://localhost.example.com/",
            "http://[::2]/",
            "http://128.0.0.1/",
        ] {
            assert!(!is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
    }

    #[test]
    fn no_system_roots_says_so() {
        let text = ClientSetupError::NoSystemRoots.to_string();
        assert!(text.starts_with("no CA certificates could be loaded from the system"), "{text}");
        assert!(!ClientSetupError::Other("x".into()).to_string().contains("builder error"));
    }
}
