//! `tether-emulator`: a local stand-in for the cloud APIs that terraform-provider-tether manages.
//!
//! One HTTP listener serves every cloud. Each cloud has a router module (today: [`tencent`]) that
//! authenticates requests exactly like the real service, answers in that service's envelope, and
//! records every call in the [`audit`] log. Everything that survives a restart lives in
//! [`state::World`]; the audit log, injected faults and rate-limit windows are runtime-only.

pub mod admin;
pub mod audit;
pub mod conn;
pub mod faults;
pub mod fixtures;
pub mod ratelimit;
pub mod state;
pub mod tencent;
pub mod timefmt;

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::audit::AuditLog;
use crate::faults::FaultSet;
use crate::ratelimit::RateLimiter;
use crate::state::World;

/// Tencent's published limit for the Organization auth-account actions: 20 requests/s per action.
pub const DEFAULT_TENCENT_RATE_LIMIT: u32 = 20;

/// Start-up options (the CLI flags of `tether-emulator`).
#[derive(Debug, Clone)]
pub struct Config {
    /// Load the world from this file if it exists and save it after every mutating call.
    pub state_file: Option<PathBuf>,
    /// Requests per rolling second per Tencent action; 0 disables the limit.
    pub tencent_rate_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            state_file: None,
            tencent_rate_limit: DEFAULT_TENCENT_RATE_LIMIT,
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
}

impl Emulator {
    /// Builds an emulator from `config`: loads the state file when it exists, otherwise seeds the
    /// documented fixture (and writes it, so the file always reflects what is served).
    pub fn new(config: Config) -> io::Result<Arc<Emulator>> {
        let world = match &config.state_file {
            Some(path) if path.exists() => state::load(path)?,
            _ => fixtures::seed(),
        };
        let emulator = Emulator {
            tencent_limiter: RateLimiter::new(config.tencent_rate_limit),
            config,
            world: Mutex::new(world),
            audit: AuditLog::default(),
            faults: FaultSet::default(),
        };
        emulator.persist(&emulator.world())?;
        Ok(Arc::new(emulator))
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
        *world = fixtures::seed();
        self.audit.clear();
        self.faults.clear();
        self.tencent_limiter.clear();
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
        .nest("/_emulator", admin::router())
        .fallback(admin::not_emulated)
        .with_state(emulator)
}

/// Serves [`app`] on an already bound listener until the future is dropped.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>) -> io::Result<()> {
    axum::serve(listener, app(emulator)).await
}
