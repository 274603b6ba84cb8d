//! The HTTP layer shared by the cloud clients: one `reqwest::Client`, request signing as a hook,
//! and a retry loop with capped exponential backoff, full jitter and cancellation.

use std::error::Error as _;
use std::future::Future;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::{Cloud, CloudError, ErrorKind};
use super::ratelimit::RateLimiter;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
const USER_AGENT: &str = concat!("terraform-provider-tether/", env!("CARGO_PKG_VERSION"));

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
        Self {
            method,
            url,
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
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
        Self {
            max_retries: 3,
            max_wait: Duration::from_secs(30),
            base: Duration::from_millis(500),
        }
    }
}

/// The outcome of one failed attempt, with the verdict on whether another attempt is safe.
struct Failure {
    error: CloudError,
    retry: bool,
}

impl RetryPolicy {
    pub const fn no_retries() -> Self {
        Self {
            max_retries: 0,
            max_wait: Duration::ZERO,
            base: Duration::ZERO,
        }
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
    /// whose kind is not retryable, or the retries are used up. When `cancel` fires, the running
    /// attempt or wait is abandoned and a "cancelled" error (kind `Other`) is returned at once.
    pub async fn run<T, F, Fut>(
        &self,
        cloud: Cloud,
        action: &str,
        cancel: Option<&CancellationToken>,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, CloudError>>,
    {
        self.run_inner(cloud, action, cancel, |n| {
            let fut = attempt(n);
            async move {
                fut.await.map_err(|error| Failure {
                    retry: error.kind.is_retryable(),
                    error,
                })
            }
        })
        .await
    }

    async fn run_inner<T, F, Fut>(
        &self,
        cloud: Cloud,
        action: &str,
        cancel: Option<&CancellationToken>,
        mut attempt: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let mut n = 0u32;
        loop {
            let failure = match cancellable(cancel, attempt(n)).await {
                None => return Err(CloudError::cancelled(cloud, action)),
                Some(Ok(value)) => return Ok(value),
                Some(Err(failure)) => failure,
            };
            if !failure.retry || n >= self.max_retries {
                return Err(failure.error);
            }
            let wait = self.backoff(n);
            n += 1;
            let err = &failure.error;
            tracing::debug!(
                cloud = %cloud,
                action,
                attempt = n,
                request_id = err.request_id.as_deref(),
                kind = %err.kind,
                code = err.code.as_deref(),
                http_status = err.http_status,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %err.message,
                "retrying cloud API call"
            );
            if cancellable(cancel, tokio::time::sleep(wait))
                .await
                .is_none()
            {
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
}

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
        let client = default_reqwest_client().map_err(|e| {
            CloudError::new(
                ErrorKind::Other,
                cloud,
                "client setup",
                format!("cannot build HTTP client: {}", error_chain(e)),
            )
        })?;
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
        call.retry
            .run_inner(self.cloud, call.action, call.cancel, |attempt| async move {
                if let Some(limiter) = self.rate_limit.as_ref().filter(|_| attempt > 0 || !call.first_attempt_paced) {
                    limiter.acquire(call.action).await;
                }
                let mut req = request.clone();
                signer.sign(&mut req).map_err(|error| Failure {
                    error,
                    retry: false,
                })?;
                let response = self.send(call.action, req).await.map_err(|sent| Failure {
                    retry: call.idempotent || !sent.maybe_delivered,
                    error: sent.error,
                })?;
                decode(response).map_err(|error| Failure {
                    retry: error.kind.is_retryable()
                        && (call.idempotent || error.kind == ErrorKind::Throttled),
                    error,
                })
            })
            .await
    }

    /// One attempt, no signing, no retries. Transport failures come back as `Transient` errors
    /// that name the endpoint host.
    pub async fn send(
        &self,
        action: &str,
        req: SignableRequest,
    ) -> Result<HttpResponse, SendError> {
        let host = req.host();
        let started = Instant::now();
        let result = async {
            let response = self
                .client
                .request(req.method, req.url)
                .headers(req.headers)
                .body(req.body)
                .send()
                .await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await?.into();
            Ok::<_, reqwest::Error>(HttpResponse {
                status,
                headers,
                body,
            })
        }
        .await;
        match result {
            Ok(response) => {
                tracing::debug!(
                    cloud = %self.cloud,
                    action,
                    host,
                    status = response.status,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "cloud API response"
                );
                Ok(response)
            }
            Err(e) => Err(self.transport_error(action, &host, e)),
        }
    }

    fn transport_error(&self, action: &str, host: &str, e: reqwest::Error) -> SendError {
        // Only a failed connect proves the server never saw the request.
        let maybe_delivered = !e.is_connect();
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
        }
    }
}

/// A transport failure from [`HttpClient::send`].
#[derive(Debug, Clone)]
pub struct SendError {
    pub error: CloudError,
    /// `false` only when the request certainly never reached the server (connect failed).
    pub maybe_delivered: bool,
}

/// The default `reqwest::Client` used by [`HttpClient::new`].
pub fn default_reqwest_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
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
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            max_wait: Duration::from_millis(4),
            base: Duration::from_millis(1),
        }
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
        assert_eq!(
            h("https://organization.tencentcloudapi.com/"),
            "organization.tencentcloudapi.com"
        );
        assert_eq!(h("https://example.com:443/"), "example.com");
        assert_eq!(h("http://127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(h("http://[::1]:9000/"), "[::1]:9000");
    }

    #[tokio::test]
    async fn retries_only_retryable_errors() {
        let calls = AtomicU32::new(0);
        let out = fast()
            .run(Cloud::Tencent, "Test", None, |n| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(err(ErrorKind::Throttled))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(out.unwrap(), 2);
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        calls.store(0, Ordering::SeqCst);
        let out: Result<(), _> = fast()
            .run(Cloud::Tencent, "Test", None, |_| {
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
            .run(Cloud::Tencent, "Test", None, |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(err(ErrorKind::Transient)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind, ErrorKind::Transient);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn cancellation_stops_waiting() {
        let token = CancellationToken::new();
        let slow = RetryPolicy {
            max_retries: 10,
            max_wait: Duration::from_secs(60),
            base: Duration::from_secs(60),
        };
        let cancel = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            cancel.cancel();
        });
        let started = Instant::now();
        let out: Result<(), _> = slow
            .run(Cloud::ZStack, "Test", Some(&token), |n| async move {
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
}
