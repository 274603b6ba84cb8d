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

use axum::Router;
use axum::routing::{any, get};
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
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        .with_state(emulator)
}

/// Serves [`app`] on an already bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>) -> io::Result<()> {
    axum::serve(listener, app(emulator)).await
}
