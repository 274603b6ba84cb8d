//! `tether-emulator`: a local stand-in for the cloud APIs that terraform-provider-tether manages.
//!
//! One HTTP listener serves every cloud. Each cloud has a router module ([`tencent`], [`huawei`],
//! [`zstack`]) that
//! authenticates requests exactly like the real service, answers in that service's envelope, and
//! records every call in the [`audit`] log. Everything that survives a restart lives in
//! [`state::World`]; the audit log, injected faults and rate-limit windows are runtime-only.

pub mod admin;
pub mod audit;
pub mod conn;
pub mod faults;
pub mod fixtures;
pub mod huawei;
pub mod ratelimit;
pub mod state;
pub mod tencent;
pub mod timefmt;
pub mod zstack;

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Extension, Json, Router};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use crate::audit::AuditLog;
use crate::faults::FaultSet;
use crate::ratelimit::RateLimiter;
use crate::state::World;

/// Tencent's published limit for the Organization auth-account actions: 20 requests/s per action.
pub const DEFAULT_TENCENT_RATE_LIMIT: u32 = 20;
/// How long an RGC operation (enroll, update, un-enroll) stays IN_PROGRESS by default.
pub const DEFAULT_HUAWEI_OPERATION_MS: u64 = 3000;
/// How long an Identity Center assignment creation or deletion stays IN_PROGRESS by default.
pub const DEFAULT_HUAWEI_ASSIGNMENT_MS: u64 = 1000;
/// How long a ZStack asynchronous API job (attach / detach) runs by default.
pub const DEFAULT_ZSTACK_JOB_MS: u64 = 1500;
/// How long a ZStack session lives by default (ZStack's `session.timeout`, 2 hours).
pub const DEFAULT_ZSTACK_SESSION_TTL_SECS: u64 = 7200;
/// How long a connection may take to send a request's line and headers — also how long an idle
/// keep-alive connection stays open (hyper's own default; a client that sends nothing is closed).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a request's body may take to arrive once its headers are in.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request body accepted (every real request is a few hundred bytes; axum's default is 2 MB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Start-up options (the CLI flags of `tether-emulator`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Load the world from this file if it exists and save it after every mutating call.
    pub state_file: Option<PathBuf>,
    /// Requests per rolling second per Tencent action; 0 disables the limit.
    pub tencent_rate_limit: u32,
    /// Huawei requests per rolling second per AK (the API gateway's user limit); 0 = unlimited.
    pub huawei_rate_limit: u32,
    /// Duration of an RGC operation started by this emulator, in milliseconds.
    pub huawei_operation_ms: u64,
    /// Duration of an Identity Center assignment request started by this emulator, in milliseconds.
    pub huawei_assignment_ms: u64,
    /// Duration of a ZStack asynchronous API job, in milliseconds.
    pub zstack_job_ms: u64,
    /// Lifetime of a ZStack session from its login, in seconds.
    pub zstack_session_ttl_secs: u64,
    /// Tencent sub-accounts in the seed (the named 12 by default; more for load tests).
    pub tencent_sub_accounts: usize,
    /// See [`DEFAULT_HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`DEFAULT_BODY_READ_TIMEOUT`]; a body still incomplete then is answered 408.
    pub body_read_timeout: Duration,
    /// See [`DEFAULT_MAX_BODY_BYTES`]; a larger body is answered 413.
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            state_file: None,
            tencent_rate_limit: DEFAULT_TENCENT_RATE_LIMIT,
            huawei_rate_limit: 0,
            huawei_operation_ms: DEFAULT_HUAWEI_OPERATION_MS,
            huawei_assignment_ms: DEFAULT_HUAWEI_ASSIGNMENT_MS,
            zstack_job_ms: DEFAULT_ZSTACK_JOB_MS,
            zstack_session_ttl_secs: DEFAULT_ZSTACK_SESSION_TTL_SECS,
            tencent_sub_accounts: fixtures::TENCENT_SUB_ACCOUNT_NAMES.len(),
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// The shared emulator: world, call log, faults and rate limiters.
///
/// Every lock is a std mutex held only for short synchronous sections, never across an
/// `.await`, so handlers cannot deadlock on a sleeping fault.
pub struct Emulator {
    config: Config,
    world: Mutex<World>,
    pub audit: AuditLog,
    pub faults: FaultSet,
    pub tencent_limiter: RateLimiter,
    pub huawei_limiter: RateLimiter,
}

impl Emulator {
    /// Builds an emulator from `config`: loads the state file when it exists, otherwise seeds the
    /// documented fixture (and writes it, so the file always reflects what is served).
    pub fn new(config: Config) -> io::Result<Arc<Emulator>> {
        let world = match &config.state_file {
            Some(path) if path.exists() => state::load(path)?,
            _ => fixtures::seed_with_sub_accounts(config.tencent_sub_accounts),
        };
        let emulator = Emulator {
            tencent_limiter: RateLimiter::new(config.tencent_rate_limit),
            huawei_limiter: RateLimiter::new(config.huawei_rate_limit),
            config,
            world: Mutex::new(world),
            audit: AuditLog::default(),
            faults: FaultSet::default(),
        };
        emulator.persist(&emulator.world())?;
        Ok(Arc::new(emulator))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Applies the end of every asynchronous job that is due (see [`huawei::jobs`] and
    /// [`zstack::jobs`]), so a read of the raw world (`GET /_emulator/state`) sees what the APIs
    /// would report.
    pub fn settle_jobs(&self) {
        let now = timefmt::now_ms();
        let Ok(()) = self.mutate(|world| {
            let huawei = huawei::jobs::settle(&mut world.huawei, now);
            let zstack = zstack::jobs::settle(&mut world.zstack, now);
            Ok::<_, std::convert::Infallible>(((), huawei || zstack))
        });
    }

    /// Read access to the world. Keep the guard short-lived.
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-mutated in a way that matters
        // more than taking the server down would, so recover from poisoning.
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the world; when it reports a mutation, saves the state file while still holding
    /// the lock, so concurrent mutations are written in the order they were applied.
    pub fn mutate<T, E>(&self, f: impl FnOnce(&mut World) -> Result<(T, bool), E>) -> Result<T, E> {
        let mut world = self.world();
        let (value, mutated) = f(&mut world)?;
        if mutated {
            if let Err(err) = self.persist(&world) {
                // The change is live in memory; losing durability is worth a loud log line but not
                // a failed API call (the client would retry an operation that did happen).
                tracing::error!(error = %err, "failed to save the emulator state file");
            }
        }
        Ok(value)
    }

    /// Back to the seed fixture: clears the world, the call log, faults and rate-limit windows.
    pub fn reset(&self) -> io::Result<()> {
        let mut world = self.world();
        *world = fixtures::seed_with_sub_accounts(self.config.tencent_sub_accounts);
        self.audit.clear();
        self.faults.clear();
        self.tencent_limiter.clear();
        self.huawei_limiter.clear();
        self.persist(&world)
    }

    fn persist(&self, world: &World) -> io::Result<()> {
        match &self.config.state_file {
            Some(path) => state::save(path, world),
            None => Ok(()),
        }
    }
}

/// The whole HTTP surface: the admin API and every cloud router.
pub fn app(emulator: Arc<Emulator>) -> Router {
    Router::new()
        // Tencent Cloud API 3.0 is always `/` on the service host; the action travels in headers.
        .route("/", get(tencent::handle).post(tencent::handle))
        // Huawei Cloud: one path space per service; the router matches the exact API itself.
        .route("/v1/organizations", any(huawei::handle))
        .route("/v1/organizations/{*rest}", any(huawei::handle))
        .route("/v1/received-handshakes", any(huawei::handle))
        .route("/v1/received-handshakes/{*rest}", any(huawei::handle))
        .route("/v1/managed-organization", any(huawei::handle))
        .route("/v1/managed-organization/{*rest}", any(huawei::handle))
        .route("/v1/instances", any(huawei::handle))
        .route("/v1/instances/{*rest}", any(huawei::handle))
        .route("/v3/auth/domains", any(huawei::handle))
        .route("/v3/projects", any(huawei::handle))
        // ZStack: the management node's REST API under its `/zstack` context path.
        .route("/zstack", any(zstack::handle))
        .route("/zstack/", any(zstack::handle))
        .route("/zstack/{*rest}", any(zstack::handle))
        .nest("/_emulator", admin::router())
        .fallback(admin::not_emulated)
        .layer(middleware::from_fn_with_state(emulator.clone(), read_body))
        .with_state(emulator)
}

/// Reads the whole body before any handler runs, bounded in size (413) and time (408), so a
/// client that trickles or never finishes its body cannot hold a handler (and its memory) open.
/// The answers are plain JSON errors like the admin API's: no cloud envelope fits a request that
/// was never read.
async fn read_body(State(emu): State<Arc<Emulator>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let config = emu.config();
    let read = axum::body::to_bytes(body, config.max_body_bytes);
    let bytes = match tokio::time::timeout(config.body_read_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            let status = if is_length_limit(&err) { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("the request body is larger than {} bytes", config.max_body_bytes)
            } else {
                format!("the request body could not be read: {err}")
            };
            return transport_error(status, message);
        }
        Err(_) => {
            return transport_error(
                StatusCode::REQUEST_TIMEOUT,
                format!("the request body did not arrive within {} ms", config.body_read_timeout.as_millis()),
            );
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

fn transport_error(status: StatusCode, message: String) -> Response {
    let mut response = (status, Json(serde_json::json!({ "error": message }))).into_response();
    // Whatever is left of the body is still in the socket: do not read it as the next request.
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
    response
}

/// Serves [`app`] on an already bound listener until the future is dropped.
///
/// HTTP/1.1 through hyper directly rather than `axum::serve`, which sets no timer, so hyper's
/// header-read timeout never fired and a half-sent request held its connection forever.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>) -> io::Result<()> {
    let bound = listener.local_addr()?;
    let header_read_timeout = emulator.config().header_read_timeout;
    let app = app(emulator).layer(Extension(admin::BoundAddr(bound)));
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: wait instead of spinning (as axum does).
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let served = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(err) = served {
                tracing::debug!(error = %err, "connection ended with an error");
            }
        });
    }
}
