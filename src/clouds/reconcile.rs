//! Sending a detach that must not be repeated blindly, and deciding by reading when its answer
//! was lost.
//!
//! A detach (Tencent CancelOrganizationMemberAuthAccount, Huawei DisassociateProfile and
//! LeaveOrganization) is sent with `Call::idempotent = false`, so the HTTP layer repeats it only
//! when the request provably never reached the server (throttling, a failed connect). After any
//! other failure — a timeout, a reset after sending, a 5xx — the cloud may have applied it, and
//! the object may even have been created again since (another run, another person). Sending it
//! again blindly would then detach something this call never meant. So [`detach`] reads first:
//! gone means the detach is done; still there means it is sent again, within the same budget
//! the HTTP layer uses (`RetryPolicy::max_retries`, with its backoff); and a failed read leaves
//! the outcome unknown, which the caller must report as such (and keep the object in state).

use std::fmt;
use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::error::CloudError;
use super::http::{RetryPolicy, cancellable};

/// What a read after a lost answer shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    /// The object is not there: the detach took effect (or someone else's did).
    Gone,
    /// The object the detach is meant for is still there.
    Present,
    /// Something is there under the same keys, but it is not what the detach was meant for: it
    /// was created again after the lost call took effect. It is left alone; the text says what
    /// was seen, for the caller's warning.
    Replaced(String),
}

/// How a detach ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detached {
    /// The cloud answered the call (the first, or a re-send) with success.
    Answered,
    /// An answer was lost, and a read showed the object gone: nothing more was sent.
    Confirmed,
    /// An answer was lost, and a read showed the object created again since: nothing more
    /// was sent, and the new object is left alone.
    Replaced(String),
}

/// How a detach ended badly.
#[derive(Debug, Clone)]
pub enum DetachError {
    /// The cloud refused the call (or it was cancelled) in a way that says nothing was done,
    /// or the object was still there after every allowed send. The error is the last call's.
    Failed(CloudError),
    /// The answer was lost and the read that should have told what happened failed too: the
    /// object may or may not still be attached.
    Unknown { lost: CloudError, read: CloudError },
}

impl DetachError {
    /// The detach call's own error (the last one sent).
    pub fn call_error(&self) -> &CloudError {
        match self {
            DetachError::Failed(e) => e,
            DetachError::Unknown { lost, .. } => lost,
        }
    }
}

impl fmt::Display for DetachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DetachError::Failed(e) => write!(f, "{e}"),
            DetachError::Unknown { lost, read } => write!(
                f,
                "the outcome of {} {} is unknown: its answer was lost ({lost}), and reading whether it took effect failed too ({read})",
                lost.cloud, lost.action
            ),
        }
    }
}

/// Whether a failed non-idempotent call may still have been applied: its answer was lost, the
/// server failed mid-way, or it was abandoned (StopProvider, the deadline) while on the wire.
/// A call that certainly never reached the cloud (refused connections, throttled, stopped before
/// it was sent: [`CloudError::never_sent`]) did nothing, and reading would only cost time.
pub fn may_have_applied(error: &CloudError) -> bool {
    error.is_ambiguous()
}

/// Sends a detach with `send`, and after an answer that may have been lost, asks `probe`
/// before sending again (see the module docs). `send` is made at most `1 + retry.max_retries`
/// times; the waits between sends follow `retry`'s backoff and stop at once when `cancel`
/// fires. Errors that say the call was refused (including "not found") come back as
/// [`DetachError::Failed`] for the caller to judge.
///
/// A send abandoned in flight because `cancel` fired is probed too. So `probe` must read with a
/// token that still allows that one read (the operation's settle token,
/// `crate::framework::Ctx::settle`, which fires at the deadline or shortly after StopProvider),
/// not with `cancel`, which has already fired: a probe on `cancel` can only fail, leaving the
/// outcome unknown. Nothing is sent again once `cancel` has fired.
pub async fn detach<S, SF, P, PF>(
    retry: &RetryPolicy,
    cancel: Option<&CancellationToken>,
    mut send: S,
    mut probe: P,
) -> Result<Detached, DetachError>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<(), CloudError>>,
    P: FnMut() -> PF,
    PF: Future<Output = Result<Presence, CloudError>>,
{
    let mut resends = 0u32;
    loop {
        let lost = match send().await {
            Ok(()) => return Ok(Detached::Answered),
            Err(e) if may_have_applied(&e) => e,
            Err(e) => return Err(DetachError::Failed(e)),
        };
        match probe().await {
            Ok(Presence::Gone) => {
                tracing::debug!(cloud = %lost.cloud, action = %lost.action, error = %lost, "answer lost, but the object is gone: the detach took effect");
                return Ok(Detached::Confirmed);
            }
            Ok(Presence::Replaced(seen)) => {
                tracing::debug!(cloud = %lost.cloud, action = %lost.action, error = %lost, seen, "answer lost; the object was created again since and is left alone");
                return Ok(Detached::Replaced(seen));
            }
            Ok(Presence::Present) if resends < retry.max_retries => {}
            Ok(Presence::Present) => return Err(DetachError::Failed(lost)),
            Err(read) => return Err(DetachError::Unknown { lost, read }),
        }
        let wait = retry.backoff(resends);
        resends += 1;
        tracing::debug!(
            cloud = %lost.cloud,
            action = %lost.action,
            attempt = resends,
            request_id = lost.request_id.as_deref(),
            wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            error = %lost.message,
            "answer lost and the object is still there: sending the detach again"
        );
        if cancellable(cancel, tokio::time::sleep(wait)).await.is_none() {
            return Err(DetachError::Failed(CloudError::cancelled(lost.cloud, lost.action)));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::clouds::error::{Cloud, ErrorKind};

    fn fast(max_retries: u32) -> RetryPolicy {
        RetryPolicy { max_retries, max_wait: Duration::from_millis(2), base: Duration::from_millis(1) }
    }

    fn err(kind: ErrorKind) -> CloudError {
        CloudError::new(kind, Cloud::Huawei, "LeaveOrganization", "boom")
    }

    /// Runs [`detach`] with scripted answers; returns its outcome and the sequence of calls.
    async fn script(
        max_retries: u32,
        sends: Vec<Result<(), CloudError>>,
        probes: Vec<Result<Presence, CloudError>>,
    ) -> (Result<Detached, DetachError>, Vec<&'static str>) {
        let log = Mutex::new(Vec::new());
        let sends = Mutex::new(sends.into_iter());
        let probes = Mutex::new(probes.into_iter());
        let outcome = detach(
            &fast(max_retries),
            None,
            || {
                log.lock().unwrap().push("send");
                let next = sends.lock().unwrap().next().expect("no more sends scripted");
                async move { next }
            },
            || {
                log.lock().unwrap().push("read");
                let next = probes.lock().unwrap().next().expect("no more reads scripted");
                async move { next }
            },
        )
        .await;
        (outcome, log.into_inner().unwrap())
    }

    #[tokio::test]
    async fn an_answered_detach_reads_nothing() {
        let (out, calls) = script(3, vec![Ok(())], vec![]).await;
        assert_eq!(out.unwrap(), Detached::Answered);
        assert_eq!(calls, ["send"]);
    }

    #[tokio::test]
    async fn a_lost_answer_with_the_object_gone_is_not_sent_again() {
        let (out, calls) = script(3, vec![Err(err(ErrorKind::Transient))], vec![Ok(Presence::Gone)]).await;
        assert_eq!(out.unwrap(), Detached::Confirmed);
        assert_eq!(calls, ["send", "read"]);
    }

    #[tokio::test]
    async fn a_lost_answer_with_the_object_there_is_sent_again() {
        let (out, calls) = script(3, vec![Err(err(ErrorKind::Transient)), Ok(())], vec![Ok(Presence::Present)]).await;
        assert_eq!(out.unwrap(), Detached::Answered);
        assert_eq!(calls, ["send", "read", "send"]);
    }

    #[tokio::test]
    async fn a_replacement_is_left_alone() {
        let (out, calls) =
            script(3, vec![Err(err(ErrorKind::Transient))], vec![Ok(Presence::Replaced("new".into()))]).await;
        assert_eq!(out.unwrap(), Detached::Replaced("new".into()));
        assert_eq!(calls, ["send", "read"]);
    }

    #[tokio::test]
    async fn re_sends_stop_at_the_retry_budget() {
        let lost = || Err(err(ErrorKind::Transient));
        let (out, calls) = script(2, vec![lost(), lost(), lost()], vec![Ok(Presence::Present); 3]).await;
        assert!(matches!(out.unwrap_err(), DetachError::Failed(e) if e.kind == ErrorKind::Transient));
        assert_eq!(calls, ["send", "read", "send", "read", "send", "read"]);
    }

    #[tokio::test]
    async fn a_failed_read_makes_the_outcome_unknown() {
        let (out, calls) = script(3, vec![Err(err(ErrorKind::Transient))], vec![Err(err(ErrorKind::Auth))]).await;
        let e = out.unwrap_err();
        assert!(matches!(&e, DetachError::Unknown { read, .. } if read.kind == ErrorKind::Auth));
        let text = e.to_string();
        assert!(text.starts_with("the outcome of Huawei Cloud LeaveOrganization is unknown"), "{text}");
        assert_eq!(calls, ["send", "read"]);
    }

    #[tokio::test]
    async fn a_detach_that_never_connected_is_not_read_after() {
        let (out, calls) = script(3, vec![Err(err(ErrorKind::Transient).never_sent())], vec![]).await;
        assert!(matches!(out.unwrap_err(), DetachError::Failed(e) if e.never_sent));
        assert_eq!(calls, ["send"]);
    }

    #[tokio::test]
    async fn a_refusal_is_returned_without_reading() {
        for kind in [ErrorKind::NotFound, ErrorKind::Auth, ErrorKind::Invalid] {
            let (out, calls) = script(3, vec![Err(err(kind))], vec![]).await;
            assert!(matches!(out.unwrap_err(), DetachError::Failed(e) if e.kind == kind));
            assert_eq!(calls, ["send"]);
        }
    }

    #[tokio::test]
    async fn a_call_that_never_reached_the_cloud_is_not_read_after() {
        // A refused connection (after the HTTP layer's retries), or a stop before sending.
        for kind in [ErrorKind::Transient, ErrorKind::Cancelled] {
            let (out, calls) = script(3, vec![Err(err(kind).never_sent())], vec![]).await;
            assert!(matches!(out.unwrap_err(), DetachError::Failed(e) if e.kind == kind && e.never_sent));
            assert_eq!(calls, ["send"]);
        }
    }

    #[tokio::test]
    async fn a_call_stopped_in_flight_is_read_after_and_never_sent_again() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let sends = Mutex::new(0);
        let outcome = |presence: Presence| {
            let sends = &sends;
            let cancel = &cancel;
            async move {
                detach(
                    &fast(3),
                    Some(cancel),
                    || {
                        *sends.lock().unwrap() += 1;
                        async { Err(CloudError::cancelled(Cloud::Huawei, "LeaveOrganization")) }
                    },
                    || {
                        let presence = presence.clone();
                        async move { Ok(presence) }
                    },
                )
                .await
            }
        };
        assert_eq!(outcome(Presence::Gone).await.unwrap(), Detached::Confirmed);
        let still_there = outcome(Presence::Present).await.unwrap_err();
        assert!(matches!(still_there, DetachError::Failed(e) if e.kind == ErrorKind::Cancelled));
        assert_eq!(*sends.lock().unwrap(), 2, "one send per detach: nothing is sent after the stop");
    }
}
