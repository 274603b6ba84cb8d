//! Waiting for long-running cloud operations: poll until done, failed, timed out or cancelled.
//!
//! [`wait_for`] is generic over what is polled (RGC operations, Identity Center assignment
//! requests, ZStack jobs); each client maps its status strings to a [`PollState`]. Polls back
//! off from [`PollPolicy::interval`] to [`PollPolicy::max_interval`]; throttling and transient
//! errors while polling are tolerated until the deadline, any other error ends the wait.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::CloudError;

/// How often to poll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Wait before the first poll.
    pub initial_delay: Duration,
    /// Wait after the first poll; multiplied by `multiplier` after every poll.
    pub interval: Duration,
    /// Upper bound for the wait between polls.
    pub max_interval: Duration,
    /// Growth factor of the interval; values below 1 (or not finite) count as 1.
    pub multiplier: f64,
}

impl Default for PollPolicy {
    /// First poll at once, then after 1 s, growing ×1.5 up to 10 s.
    fn default() -> Self {
        Self {
            initial_delay: Duration::ZERO,
            interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            multiplier: 1.5,
        }
    }
}

impl PollPolicy {
    /// For RGC operations, which take minutes to hours: first poll after 5 s, then every 5 s
    /// growing to 30 s.
    pub fn rgc() -> Self {
        Self {
            initial_delay: Duration::from_secs(5),
            interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(30),
            multiplier: 1.5,
        }
    }

    /// For Identity Center assignment requests, which take seconds: first poll after 1 s, then
    /// every 2 s growing to 5 s.
    pub fn identity_center() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(5),
            multiplier: 1.5,
        }
    }

    /// The interval after `current`: `min(max_interval, current × multiplier)`, never shorter
    /// than `current` unless `current` already exceeds `max_interval`.
    pub fn next_interval(&self, current: Duration) -> Duration {
        let factor = if self.multiplier.is_finite() && self.multiplier > 1.0 { self.multiplier } else { 1.0 };
        let next = Duration::try_from_secs_f64(current.as_secs_f64() * factor).unwrap_or(self.max_interval);
        next.min(self.max_interval.max(Duration::ZERO))
    }
}

/// What one poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollState<T> {
    /// Still running; `progress` (e.g. `IN_PROGRESS, 40%`) is reported on time-out.
    Pending {
        progress: Option<String>,
    },
    Done(T),
    /// Ended unsuccessfully: the cloud's final status (e.g. `FAILED`) and its message.
    Failed {
        status: String,
        message: String,
    },
}

/// Why a wait ended without a result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    #[error("{}", timed_out_message(.what, .id, .waited, .last_progress, .last_error))]
    TimedOut {
        /// E.g. `RGC operation`.
        what: String,
        id: String,
        waited: Duration,
        last_progress: Option<String>,
        /// The last tolerated poll error, when the last poll failed.
        last_error: Option<CloudError>,
    },
    #[error("{}", failed_message(.what, .id, .status, .message))]
    Failed { what: String, id: String, status: String, message: String },
    #[error("cancelled while waiting for {what} {id}")]
    Cancelled { what: String, id: String },
    #[error("{0}")]
    Cloud(#[from] CloudError),
}

impl WaitError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, WaitError::TimedOut { .. })
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, WaitError::Cancelled { .. })
    }

    /// The cloud error that ended the wait, if that is what ended it.
    pub fn cloud_error(&self) -> Option<&CloudError> {
        match self {
            WaitError::Cloud(e) => Some(e),
            _ => None,
        }
    }
}

fn timed_out_message(
    what: &str,
    id: &str,
    waited: &Duration,
    last_progress: &Option<String>,
    last_error: &Option<CloudError>,
) -> String {
    let mut text = format!("timed out after {} waiting for {what} {id}", HumanDuration(*waited));
    if let Some(progress) = last_progress {
        text.push_str(&format!(" (last status {progress})"));
    }
    if let Some(e) = last_error {
        text.push_str(&format!("; last poll failed: {e}"));
    }
    text
}

fn failed_message(what: &str, id: &str, status: &str, message: &str) -> String {
    if message.trim().is_empty() {
        format!("{what} {id} ended {status} (the cloud gave no reason)")
    } else {
        format!("{what} {id} ended {status}: {message}")
    }
}

/// `30m`, `1h30m`, `45s`, `250ms`: whole units, seconds truncated.
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d < Duration::from_secs(1) {
            return write!(f, "{}ms", d.as_millis());
        }
        let secs = d.as_secs();
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if m > 0 {
            write!(f, "{m}m")?;
        }
        if s > 0 || (h == 0 && m == 0) {
            write!(f, "{s}s")?;
        }
        Ok(())
    }
}

/// Polls `poll` until it reports [`PollState::Done`] (the value is returned) or
/// [`PollState::Failed`], `timeout` passes, or `cancel` fires.
///
/// The first poll comes after `policy.initial_delay`, later ones after a growing interval.
/// Each poll races the deadline and the cancellation token, so a hanging request cannot stretch
/// the wait. A poll error of a retryable kind (throttling, transient) is logged at debug level
/// and polling goes on; any other error ends the wait as [`WaitError::Cloud`] — unless the token
/// has fired, which is always [`WaitError::Cancelled`].
pub async fn wait_for<T, F, Fut>(
    what: &str,
    id: &str,
    timeout: Duration,
    policy: &PollPolicy,
    cancel: Option<&CancellationToken>,
    mut poll: F,
) -> Result<T, WaitError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollState<T>, CloudError>>,
{
    let started = Instant::now();
    // A timeout too large to represent means "no deadline" in practice.
    let deadline = started.checked_add(timeout).unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 24 * 3600));
    let mut last_progress: Option<String> = None;
    let mut last_error: Option<CloudError> = None;
    let mut delay = policy.initial_delay;
    let mut interval = policy.interval;
    let mut polls = 0u64;

    let cancelled = || WaitError::Cancelled { what: what.to_owned(), id: id.to_owned() };

    loop {
        // Wait (never past the deadline).
        let wake = Instant::now().checked_add(delay).unwrap_or(deadline).min(deadline);
        let timed_out = match race(cancel, deadline, tokio::time::sleep_until(wake)).await {
            Race::Cancelled => return Err(cancelled()),
            Race::Deadline => true,
            Race::Done(()) => wake >= deadline,
        };
        if timed_out {
            return Err(WaitError::TimedOut {
                what: what.to_owned(),
                id: id.to_owned(),
                waited: started.elapsed(),
                last_progress,
                last_error,
            });
        }

        polls += 1;
        let outcome = match race(cancel, deadline, poll()).await {
            Race::Cancelled => return Err(cancelled()),
            Race::Deadline => {
                return Err(WaitError::TimedOut {
                    what: what.to_owned(),
                    id: id.to_owned(),
                    waited: started.elapsed(),
                    last_progress,
                    last_error,
                });
            }
            Race::Done(outcome) => outcome,
        };
        match outcome {
            Ok(PollState::Done(value)) => {
                tracing::debug!(what, id, polls, elapsed_ms = millis(started.elapsed()), "wait finished");
                return Ok(value);
            }
            Ok(PollState::Failed { status, message }) => {
                return Err(WaitError::Failed { what: what.to_owned(), id: id.to_owned(), status, message });
            }
            Ok(PollState::Pending { progress }) => {
                tracing::debug!(what, id, polls, progress = progress.as_deref(), "still waiting");
                if progress.is_some() {
                    last_progress = progress;
                }
                last_error = None;
            }
            Err(_) if cancel.is_some_and(CancellationToken::is_cancelled) => {
                return Err(cancelled());
            }
            Err(e) if e.is_retryable() => {
                tracing::debug!(
                    what,
                    id,
                    polls,
                    kind = %e.kind,
                    code = e.code.as_deref(),
                    request_id = e.request_id.as_deref(),
                    error = %e.message,
                    "poll failed; will poll again"
                );
                last_error = Some(e);
            }
            Err(e) => return Err(WaitError::Cloud(e)),
        }
        delay = interval;
        interval = policy.next_interval(interval);
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

enum Race<T> {
    Cancelled,
    Deadline,
    Done(T),
}

async fn race<F: Future>(cancel: Option<&CancellationToken>, deadline: Instant, fut: F) -> Race<F::Output> {
    let cancelled = async {
        match cancel {
            Some(token) => token.cancelled().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = cancelled => Race::Cancelled,
        out = fut => Race::Done(out),
        () = tokio::time::sleep_until(deadline) => Race::Deadline,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::clouds::error::{Cloud, ErrorKind};

    fn fast() -> PollPolicy {
        PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(4),
            multiplier: 2.0,
        }
    }

    fn err(kind: ErrorKind) -> CloudError {
        CloudError::new(kind, Cloud::Huawei, "ShowOperation", "boom")
    }

    #[tokio::test]
    async fn done_after_pending_polls() {
        let calls = AtomicU32::new(0);
        let out = wait_for("RGC operation", "op-1", Duration::from_secs(10), &fast(), None, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(if n < 3 {
                    PollState::Pending { progress: Some(format!("IN_PROGRESS, {}%", n * 30)) }
                } else {
                    PollState::Done(n)
                })
            }
        })
        .await;
        assert_eq!(out.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn failure_names_operation_and_message() {
        let out: Result<(), _> = wait_for("RGC operation", "4f2a", Duration::from_secs(10), &fast(), None, || async {
            Ok(PollState::Failed { status: "FAILED".into(), message: "account is frozen".into() })
        })
        .await;
        let e = out.unwrap_err();
        assert_eq!(e.to_string(), "RGC operation 4f2a ended FAILED: account is frozen");
        assert!(!e.is_timeout());

        let e = WaitError::Failed {
            what: "ZStack job".into(),
            id: "j".into(),
            status: "Failed".into(),
            message: " ".into(),
        };
        assert_eq!(e.to_string(), "ZStack job j ended Failed (the cloud gave no reason)");
    }

    #[tokio::test]
    async fn timeout_names_id_and_last_progress() {
        let started = std::time::Instant::now();
        let out: Result<(), _> =
            wait_for("RGC operation", "4f2a", Duration::from_millis(50), &fast(), None, || async {
                Ok(PollState::Pending { progress: Some("IN_PROGRESS, 40%".into()) })
            })
            .await;
        let e = out.unwrap_err();
        assert!(e.is_timeout());
        let WaitError::TimedOut { waited, last_progress, last_error, .. } = &e else { panic!("{e:?}") };
        assert!(*waited >= Duration::from_millis(50), "{waited:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(last_progress.as_deref(), Some("IN_PROGRESS, 40%"));
        assert_eq!(last_error, &None);
        let text = e.to_string();
        assert!(text.starts_with("timed out after "), "{text}");
        assert!(text.ends_with("ms waiting for RGC operation 4f2a (last status IN_PROGRESS, 40%)"), "{text}");
    }

    #[test]
    fn timeout_message_format() {
        let e = WaitError::TimedOut {
            what: "RGC operation".into(),
            id: "4f2a".into(),
            waited: Duration::from_secs(30 * 60) + Duration::from_millis(12),
            last_progress: Some("IN_PROGRESS, 40%".into()),
            last_error: None,
        };
        assert_eq!(e.to_string(), "timed out after 30m waiting for RGC operation 4f2a (last status IN_PROGRESS, 40%)");
        let e = WaitError::TimedOut {
            what: "ZStack job".into(),
            id: "j".into(),
            waited: Duration::from_secs(6 * 3600 + 61),
            last_progress: None,
            last_error: Some(err(ErrorKind::Transient)),
        };
        assert_eq!(
            e.to_string(),
            "timed out after 6h1m1s waiting for ZStack job j; last poll failed: \
             Huawei Cloud ShowOperation failed: boom"
        );
        assert_eq!(HumanDuration(Duration::ZERO).to_string(), "0ms");
        assert_eq!(HumanDuration(Duration::from_secs(45)).to_string(), "45s");
        assert_eq!(HumanDuration(Duration::from_secs(3600)).to_string(), "1h");
        assert_eq!(HumanDuration(Duration::from_secs(5400)).to_string(), "1h30m");
    }

    #[tokio::test]
    async fn transient_errors_are_tolerated_others_end_the_wait() {
        let calls = AtomicU32::new(0);
        let out = wait_for("op", "1", Duration::from_secs(10), &fast(), None, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => Err(err(ErrorKind::Transient)),
                    1 => Err(err(ErrorKind::Throttled)),
                    2 => Ok(PollState::Pending { progress: None }),
                    _ => Ok(PollState::Done("ok")),
                }
            }
        })
        .await;
        assert_eq!(out.unwrap(), "ok");
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let calls = AtomicU32::new(0);
        let out: Result<(), _> = wait_for("op", "1", Duration::from_secs(10), &fast(), None, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(err(ErrorKind::Auth)) }
        })
        .await;
        let e = out.unwrap_err();
        assert_eq!(e.cloud_error().unwrap().kind, ErrorKind::Auth);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(e.to_string(), "Huawei Cloud ShowOperation failed: boom");
    }

    #[tokio::test]
    async fn timeout_reports_last_poll_error() {
        let out: Result<(), _> =
            wait_for("op", "7", Duration::from_millis(30), &fast(), None, || async { Err(err(ErrorKind::Transient)) })
                .await;
        match out.unwrap_err() {
            WaitError::TimedOut { last_error, .. } => {
                assert_eq!(last_error.unwrap().kind, ErrorKind::Transient)
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn cancellation_returns_promptly_while_sleeping_or_polling() {
        // Sleeping between polls.
        let token = CancellationToken::new();
        let slow = PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_secs(3600),
            max_interval: Duration::from_secs(3600),
            multiplier: 1.0,
        };
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            t.cancel();
        });
        let started = std::time::Instant::now();
        let out: Result<(), _> =
            wait_for("RGC operation", "op-c", Duration::from_secs(7200), &slow, Some(&token), || async {
                Ok(PollState::Pending { progress: None })
            })
            .await;
        let e = out.unwrap_err();
        assert!(e.is_cancelled(), "{e:?}");
        assert_eq!(e.to_string(), "cancelled while waiting for RGC operation op-c");
        assert!(started.elapsed() < Duration::from_secs(5));

        // In the middle of a hanging poll.
        let token = CancellationToken::new();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            t.cancel();
        });
        let out: Result<(), _> =
            wait_for("op", "x", Duration::from_secs(7200), &fast(), Some(&token), std::future::pending).await;
        assert!(out.unwrap_err().is_cancelled());

        // Already cancelled: no poll at all.
        let calls = AtomicU32::new(0);
        let out: Result<(), _> = wait_for("op", "x", Duration::from_secs(10), &fast(), Some(&token), || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Ok(PollState::Pending { progress: None }) }
        })
        .await;
        assert!(out.unwrap_err().is_cancelled());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn client_cancelled_error_maps_to_cancelled() {
        let token = CancellationToken::new();
        let t = token.clone();
        let out: Result<(), _> = wait_for("op", "x", Duration::from_secs(10), &fast(), Some(&token), move || {
            // A client with the same token returns its "cancelled" error.
            t.cancel();
            async { Err(CloudError::cancelled(Cloud::Huawei, "ShowOperation")) }
        })
        .await;
        assert!(out.unwrap_err().is_cancelled());
    }

    #[tokio::test]
    async fn hanging_poll_is_cut_at_the_deadline() {
        let started = std::time::Instant::now();
        let out: Result<(), _> =
            wait_for("op", "h", Duration::from_millis(40), &fast(), None, std::future::pending).await;
        assert!(out.unwrap_err().is_timeout());
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn intervals_back_off_to_the_cap() {
        let p = PollPolicy::default();
        assert_eq!(p.initial_delay, Duration::ZERO);
        assert_eq!(p.next_interval(Duration::from_secs(1)), Duration::from_millis(1500));
        assert_eq!(p.next_interval(Duration::from_secs(8)), Duration::from_secs(10));
        assert_eq!(p.next_interval(Duration::from_secs(10)), Duration::from_secs(10));
        let odd = PollPolicy { multiplier: f64::NAN, ..p };
        assert_eq!(odd.next_interval(Duration::from_secs(2)), Duration::from_secs(2));
        let shrink = PollPolicy { multiplier: 0.1, ..p };
        assert_eq!(shrink.next_interval(Duration::from_secs(2)), Duration::from_secs(2));
        let huge = PollPolicy { multiplier: f64::MAX, ..p };
        assert_eq!(huge.next_interval(Duration::from_secs(2)), Duration::from_secs(10));

        // Poll times follow the schedule: 0, +1, +2, +4, +4 (paused clock).
        let times = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&times);
        let policy = PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_millis(1),
            max_interval: Duration::from_millis(4),
            multiplier: 2.0,
        };
        let start = Instant::now();
        let calls = AtomicU32::new(0);
        let _ = wait_for("op", "s", Duration::from_secs(10), &policy, None, || {
            log.lock().unwrap().push(start.elapsed());
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(if n < 4 { PollState::Pending { progress: None } } else { PollState::Done(()) }) }
        })
        .await;
        let times = times.lock().unwrap();
        assert_eq!(times.len(), 5);
        let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        for (gap, min) in gaps.iter().zip([1u64, 2, 4, 4]) {
            assert!(*gap >= Duration::from_millis(min), "{gaps:?}");
        }
    }

    #[tokio::test]
    async fn huge_timeout_does_not_overflow() {
        let calls = AtomicU32::new(0);
        let out = wait_for("op", "x", Duration::MAX, &fast(), None, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(if n < 2 { PollState::Pending { progress: None } } else { PollState::Done(n) }) }
        })
        .await;
        assert_eq!(out.unwrap(), 2);
    }
}
