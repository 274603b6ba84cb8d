//! One time limit per operation, and what ends it early.
//!
//! Every RPC that may talk to a cloud runs as one [`Operation`] with one deadline: the
//! resource's `timeouts` value for its create, update or delete (or its default), and a
//! documented default for everything that has no `timeouts` attribute — refreshes, imports,
//! plan-time checks, data sources and `terraform query` lists ([`READ_TIMEOUT`]), and the writes
//! of resources without a `timeouts` block ([`WRITE_TIMEOUT`]).
//!
//! The deadline is enforced the same way as Terraform's StopProvider: [`Operation::stop`] is a
//! cancellation token that fires on StopProvider *or* when the deadline passes. Every client,
//! retry loop, backoff, pacing wait and job wait already abandons its work when its token fires,
//! so one token bounds all of them, with no per-call arithmetic that a new code path could
//! forget. Measured against endpoints that accept connections and never answer: an apply with
//! `create = "30s"` ends at 30 s instead of 431 s (see the README's reliability section).
//!
//! A write abandoned that way may or may not have reached the cloud. Finding out takes a read,
//! which gets [`Operation::settle`]: a token that fires at the same deadline, or
//! [`INTERRUPT_GRACE`] after StopProvider, so Ctrl-C still ends a run within seconds. When even
//! that read cannot tell, a create records its object as *unconfirmed*
//! ([`Operation::record_unconfirmed`]); the next refresh confirms it against the cloud
//! ([`crate::framework::Resource::confirm`]) before anything else uses it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::timeouts::{self, Defaults, format_duration};
use super::value::Value;

/// The limit of every operation that only reads: a refresh, an import, the cloud checks of a
/// plan, a data source, a `terraform query` list. Listing the largest account the emulator
/// models (2,000 bindings at Tencent's 20 requests/s) takes about 10 s; five minutes leaves room
/// for a busy account's throttling while still ending a plan against a dead endpoint.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// The limit of a create, update or delete of a resource that has no `timeouts` block (its
/// writes answer at once; the time goes to pacing and throttling when many runs share an
/// account). Four concurrent runs of 150 Tencent bindings each finish their destroys in 47 s.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

/// How long, after Terraform asks the provider to stop, a read may still run to find out what an
/// abandoned write did. A healthy endpoint answers in milliseconds; a hung one must not hold the
/// run, since Terraform waits for the provider before it exits.
pub const INTERRUPT_GRACE: Duration = Duration::from_secs(3);

/// The provider-wide limits, set by the provider's `read_timeout` and `write_timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub read: Duration,
    pub write: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { read: READ_TIMEOUT, write: WRITE_TIMEOUT }
    }
}

/// How long an operation may run and where that figure comes from, for messages.
#[derive(Debug, Clone)]
pub struct Limit {
    pub timeout: Duration,
    /// What set it, e.g. `timeouts.create` or `the provider's read_timeout`.
    pub source: String,
    /// Where a longer one can be set.
    pub setting: String,
}

impl Limit {
    /// The limit for operations that only read.
    pub fn read(limits: Limits) -> Limit {
        Limit {
            timeout: limits.read,
            source: "the provider's read_timeout".into(),
            setting: "`read_timeout` in the provider block".into(),
        }
    }

    /// The limit of `operation` (`create`, `update` or `delete`) of a resource with the given
    /// `timeouts` defaults, read from `value` (the planned state, or the prior one for a delete).
    pub fn write(limits: Limits, defaults: Option<Defaults>, operation: &str, value: &Value) -> Limit {
        let Some(defaults) = defaults else {
            return Limit {
                timeout: limits.write,
                source: "the provider's write_timeout".into(),
                setting: "`write_timeout` in the provider block".into(),
            };
        };
        let default = match operation {
            "create" => defaults.create,
            "update" => defaults.update.unwrap_or(defaults.create),
            _ => defaults.delete,
        };
        let set = value
            .attr(timeouts::BLOCK)
            .and_then(|block| block.attr(operation))
            .and_then(Value::as_str)
            .and_then(|text| timeouts::parse_duration(text).ok());
        let setting = format!("`{operation}` in the resource's `timeouts` block");
        match set {
            Some(timeout) => Limit { timeout, source: format!("timeouts.{operation}"), setting },
            None => Limit { timeout: default, source: format!("the default of timeouts.{operation}"), setting },
        }
    }
}

/// Why an operation's work was abandoned, for the error that reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// Terraform called StopProvider (Ctrl-C).
    Interrupted,
    /// The deadline passed.
    TimedOut,
}

/// What an operation's code can ask about its bounds (shared with the diagnostics it renders,
/// see [`current`]).
#[derive(Debug)]
struct Shared {
    limit: Limit,
    deadline: Instant,
    interrupt: CancellationToken,
    unconfirmed: Mutex<Option<SystemTime>>,
}

/// One RPC's bounds. Dropping it ends its timer task.
#[derive(Debug)]
pub struct Operation {
    shared: Arc<Shared>,
    stop: CancellationToken,
    settle: CancellationToken,
    _timer: tokio_util::sync::DropGuard,
}

impl Operation {
    /// Starts the clock: `interrupt` is the provider's StopProvider token.
    pub fn start(limit: Limit, interrupt: CancellationToken) -> Operation {
        let deadline = timeouts::deadline_after(limit.timeout);
        let stop = interrupt.child_token();
        let settle = CancellationToken::new();
        let done = CancellationToken::new();
        let timer = {
            let (interrupt, stop, settle, done) = (interrupt.clone(), stop.clone(), settle.clone(), done.clone());
            async move {
                tokio::select! {
                    () = tokio::time::sleep_until(deadline) => {}
                    () = done.cancelled() => return,
                    () = interrupt.cancelled() => {
                        tokio::select! {
                            () = tokio::time::sleep(INTERRUPT_GRACE) => {}
                            () = tokio::time::sleep_until(deadline) => {}
                            () = done.cancelled() => return,
                        }
                        settle.cancel();
                        return;
                    }
                }
                stop.cancel();
                settle.cancel();
            }
        };
        // Outside a runtime (unit tests of code that never waits) the deadline is simply not
        // enforced by a timer.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(timer);
        }
        Operation {
            shared: Arc::new(Shared { limit, deadline, interrupt, unconfirmed: Mutex::new(None) }),
            stop,
            settle,
            _timer: done.drop_guard(),
        }
    }

    /// Fires on StopProvider or at the deadline: everything the operation does watches it.
    pub fn stop(&self) -> &CancellationToken {
        &self.stop
    }

    /// For the reads that find out what an abandoned write did: fires at the deadline, or
    /// [`INTERRUPT_GRACE`] after StopProvider.
    pub fn settle(&self) -> &CancellationToken {
        &self.settle
    }

    pub fn deadline(&self) -> Instant {
        self.shared.deadline
    }

    pub fn limit(&self) -> &Limit {
        &self.shared.limit
    }

    /// The time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.shared.deadline.saturating_duration_since(Instant::now())
    }

    pub fn interrupted(&self) -> bool {
        self.shared.interrupt.is_cancelled()
    }

    /// Why the work was abandoned, once [`stop`](Self::stop) has fired.
    pub fn cause(&self) -> StopCause {
        self.shared.cause()
    }

    /// Notes that the create returning a state could not confirm that the cloud made the object
    /// (its write was sent at `since` and its outcome is unknown). The state goes to Terraform
    /// with a marker in its private data, and the next refresh confirms it before anything uses
    /// it.
    pub fn record_unconfirmed(&self, since: SystemTime) {
        if let Ok(mut slot) = self.shared.unconfirmed.lock() {
            *slot = Some(since);
        }
    }

    pub fn unconfirmed(&self) -> Option<SystemTime> {
        self.shared.unconfirmed.lock().ok().and_then(|slot| *slot)
    }

    /// Runs `work` with this operation as [`current`], for the diagnostics rendered inside it.
    pub async fn scope<F: std::future::Future>(&self, work: F) -> F::Output {
        CURRENT.scope(Arc::clone(&self.shared), work).await
    }

    /// The error for work abandoned when [`stop`](Self::stop) fired: `what` names it ("Tencent
    /// Cloud DescribeX", "the operation").
    pub fn stopped_detail(&self, what: &str) -> (String, String) {
        self.shared.stopped(what)
    }
}

impl Shared {
    fn cause(&self) -> StopCause {
        if self.interrupt.is_cancelled() { StopCause::Interrupted } else { StopCause::TimedOut }
    }

    fn stopped(&self, what: &str) -> (String, String) {
        match self.cause() {
            StopCause::Interrupted => (
                "Operation cancelled".into(),
                format!("Terraform asked the provider to stop (StopProvider, e.g. Ctrl-C), so {what} was abandoned."),
            ),
            StopCause::TimedOut => (
                "Operation timed out".into(),
                format!(
                    "The operation did not finish within {} ({}), so {what} was abandoned. A cloud endpoint that does not answer is the usual cause; a longer limit can be set with {}.",
                    format_duration(self.limit.timeout),
                    self.limit.source,
                    self.limit.setting
                ),
            ),
        }
    }
}

tokio::task_local! {
    static CURRENT: Arc<Shared>;
}

/// The summary and detail for work abandoned because the current operation (the one whose
/// [`Operation::scope`] this runs in) was stopped. Errors are rendered deep inside resource code,
/// while only the RPC knows whether a stop came from Terraform or from the deadline; this is how
/// the two meet without a parameter on every error path. Outside any operation, the text covers
/// both causes.
pub fn stopped_detail(what: &str) -> (String, String) {
    CURRENT.try_with(|shared| shared.stopped(what)).unwrap_or_else(|_| {
        (
            "Operation cancelled".into(),
            format!("The provider was asked to stop, or the operation's time limit ran out, so {what} was abandoned."),
        )
    })
}

/// Whether the current operation was stopped by Terraform (Ctrl-C) rather than by its deadline;
/// `None` outside any operation.
pub fn current_cause() -> Option<StopCause> {
    CURRENT.try_with(|shared| shared.cause()).ok()
}

const UNCONFIRMED_PREFIX: &[u8] = b"tether-unconfirmed:";

/// The private data that marks a state as unconfirmed since `since`.
pub fn encode_unconfirmed(since: SystemTime) -> Vec<u8> {
    let millis = since.duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    [UNCONFIRMED_PREFIX, millis.to_string().as_bytes()].concat()
}

/// The time an unconfirmed state's write was sent, if `private` marks one.
pub fn decode_unconfirmed(private: &[u8]) -> Option<SystemTime> {
    let millis: u64 = std::str::from_utf8(private.strip_prefix(UNCONFIRMED_PREFIX)?).ok()?.parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_deadline_fires_stop_and_settle_together() {
        let interrupt = CancellationToken::new();
        let op = Operation::start(
            Limit { timeout: Duration::from_secs(30), source: "timeouts.create".into(), setting: "x".into() },
            interrupt.clone(),
        );
        tokio::time::sleep(Duration::from_secs(29)).await;
        assert!(!op.stop().is_cancelled());
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(op.stop().is_cancelled() && op.settle().is_cancelled());
        assert_eq!(op.cause(), StopCause::TimedOut);
        let (summary, detail) = op.scope(async { stopped_detail("ZStack LogInByAccount") }).await;
        assert_eq!(summary, "Operation timed out");
        assert!(detail.contains("within 30s (timeouts.create), so ZStack LogInByAccount was abandoned"), "{detail}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_stops_at_once_and_leaves_reads_a_short_grace() {
        let interrupt = CancellationToken::new();
        let op = Operation::start(Limit::read(Limits::default()), interrupt.clone());
        interrupt.cancel();
        assert!(op.stop().is_cancelled(), "the stop token is a child of StopProvider's");
        tokio::task::yield_now().await;
        assert!(!op.settle().is_cancelled());
        tokio::time::sleep(INTERRUPT_GRACE + Duration::from_millis(1)).await;
        assert!(op.settle().is_cancelled());
        assert_eq!(op.cause(), StopCause::Interrupted);
        assert_eq!(op.scope(async { current_cause() }).await, Some(StopCause::Interrupted));
        assert_eq!(current_cause(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_operation_fires_nothing() {
        let interrupt = CancellationToken::new();
        let op = Operation::start(
            Limit { timeout: Duration::from_secs(1), source: "x".into(), setting: "x".into() },
            interrupt.clone(),
        );
        let stop = op.stop().clone();
        drop(op);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!stop.is_cancelled());
    }

    #[test]
    fn limits_name_their_source() {
        let defaults = Defaults { create: Duration::from_secs(600), update: None, delete: Duration::from_secs(300) };
        let planned = Value::Object(
            [(timeouts::BLOCK.to_string(), Value::Object([("create".to_string(), Value::from("30s"))].into()))].into(),
        );
        let create = Limit::write(Limits::default(), Some(defaults), "create", &planned);
        assert_eq!((create.timeout, create.source.as_str()), (Duration::from_secs(30), "timeouts.create"));
        let update = Limit::write(Limits::default(), Some(defaults), "update", &planned);
        assert_eq!(
            (update.timeout, update.source.as_str()),
            (Duration::from_secs(600), "the default of timeouts.update")
        );
        assert_eq!(Limit::write(Limits::default(), None, "delete", &planned).timeout, WRITE_TIMEOUT);
    }

    #[test]
    fn unconfirmed_marks_round_trip_and_other_private_data_is_not_one() {
        let since = UNIX_EPOCH + Duration::from_millis(1_765_000_000_123);
        assert_eq!(decode_unconfirmed(&encode_unconfirmed(since)), Some(since));
        assert_eq!(decode_unconfirmed(b"tether-plan:1:x"), None);
        assert_eq!(decode_unconfirmed(b""), None);
        assert_eq!(decode_unconfirmed(b"tether-unconfirmed:99999999999999999999999"), None);
    }
}
