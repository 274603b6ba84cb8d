//! What a create reports when its operation stops (Ctrl-C, or the deadline) before a write's
//! outcome is known, and how waits for asynchronous operations leave time to find it out.
//!
//! Used by the Huawei Cloud, ZStack and Tencent Cloud resources and actions; nothing here is specific to one
//! cloud.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use crate::clouds::waiter::{HumanDuration, WaitError};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::operation;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Value};

/// The most a wait leaves unused for the read after it (see [`wait_budget`]).
const READ_BACK_RESERVE: Duration = Duration::from_secs(5);

/// How long a wait for an asynchronous operation (an RGC operation, an Identity Center request)
/// may take: the operation's time left, less a tenth of its limit (at most 5 s). When the wait
/// does not finish, a read records what the cloud has, and that read must still fit before the
/// deadline, where the settle token fires too; a healthy endpoint answers it in milliseconds.
pub fn wait_budget<D>(ctx: &Ctx<'_, D>) -> Duration {
    let reserve = (ctx.op.limit().timeout / 10).min(READ_BACK_RESERVE);
    ctx.remaining().saturating_sub(reserve)
}

/// Whether the operation's stop ended the wait: Ctrl-C cancelled it, or it used up its
/// [`wait_budget`] (the operation's own limit, less the read-back reserve).
pub fn stopped_wait(error: &WaitError) -> bool {
    matches!(error, WaitError::Cancelled { .. } | WaitError::TimedOut { .. })
}

/// The error for a wait that did not finish. One the operation's stop ended is reported as the
/// operation being cancelled or timed out (naming the limit, and the last status seen), followed
/// by `hint`; any other keeps `summary` and the cloud's words.
pub fn wait_error(summary: &str, error: &WaitError, hint: &str) -> Diagnostic {
    let (what, id) = match error {
        WaitError::Cancelled { what, id } | WaitError::TimedOut { what, id, .. } => (what, id),
        WaitError::Cloud(e) => return crate::clients::cloud_error(summary, e),
        other => return Diagnostic::error(summary, format!("{other}.")),
    };
    let (summary, mut detail) = operation::stopped_detail(&format!("waiting for {what} {id}"));
    if let WaitError::TimedOut { waited, last_progress, last_error, .. } = error {
        detail.push_str(&format!(" It was waited on for {}", HumanDuration(*waited)));
        match last_progress {
            Some(progress) => detail.push_str(&format!("; its last status was {progress}.")),
            None => detail.push('.'),
        }
        if let Some(e) = last_error {
            detail.push_str(&format!(" The last poll failed: {e}."));
        }
    }
    if !hint.is_empty() {
        detail.push(' ');
        detail.push_str(hint);
    }
    Diagnostic::error(summary, detail)
}

/// A write whose outcome is unknown: the API, and why its answer is missing.
pub struct UnknownWrite {
    /// E.g. `Huawei Cloud AcceptHandshake`.
    pub api: String,
    /// What went wrong, or `None` when the operation's stop (Ctrl-C, the deadline) abandoned it.
    pub failure: Option<String>,
}

impl UnknownWrite {
    pub fn of(error: &CloudError) -> UnknownWrite {
        let failure = (error.kind != ErrorKind::Cancelled).then(|| error.to_string());
        UnknownWrite { api: format!("{} {}", error.cloud, error.action), failure }
    }
}

/// Reports a create whose `write` (sent at `sent`) may or may not have taken effect, and marks
/// the state it returns unconfirmed, so the next refresh checks it against the cloud
/// ([`crate::framework::Resource::confirm`]) before anything uses it. `found` says what the read
/// afterwards showed, or why it could not; `recorded` names what the state holds.
///
/// Interrupted (Ctrl-C), this is a warning: Terraform keeps the object untainted, and the next
/// plain apply confirms it, or drops and creates it, with no error and no replacement. At the
/// deadline (or after a failure) it is an error, and Terraform taints the object; the detail says
/// how to keep it.
pub fn unconfirmed_create<D>(
    ctx: &Ctx<'_, D>,
    sent: SystemTime,
    write: &UnknownWrite,
    found: &str,
    recorded: &str,
    diags: &mut Diagnostics,
) {
    ctx.op.record_unconfirmed(sent);
    let api = &write.api;
    if ctx.interrupted() {
        let kept = format!(
            "{recorded} is recorded in the state, marked unconfirmed. The next refresh (any plan or apply) checks it against the cloud: it is kept if this create made it, and otherwise dropped, and the next apply creates it."
        );
        // Stopped on the wire, or its answer lost first and the read after it stopped.
        let (summary, detail) = match &write.failure {
            None => (
                format!("Create interrupted while {api} was in flight"),
                format!(
                    "Terraform asked the provider to stop (StopProvider, e.g. Ctrl-C) before {api} answered, so it may or may not have taken effect: {found}. {kept}"
                ),
            ),
            Some(failure) => (
                format!("Outcome of {api} unknown"),
                format!(
                    "{failure}. Terraform asked the provider to stop (StopProvider, e.g. Ctrl-C) before a read could tell whether it took effect: {found}. {kept}"
                ),
            ),
        };
        diags.warning(summary, detail);
        return;
    }
    let (summary, cause) = match &write.failure {
        None => operation::stopped_detail(api),
        Some(failure) => (format!("Outcome of {api} unknown"), format!("{failure}.")),
    };
    diags.error(
        summary,
        format!(
            "{cause} It may or may not have taken effect: {found}. {recorded} is recorded in the state, marked unconfirmed, and Terraform marks it tainted. The next refresh checks it against the cloud: if this create did not make it, it is dropped and the next apply creates it; if it did, `terraform untaint <address>` keeps it (otherwise the next apply replaces it)."
        ),
    );
}

/// `planned` with every value that is still unknown set to null, as the state of an object whose
/// create could not read what the cloud made: the values only the cloud knows are left for the
/// next refresh to fill in (null also keeps an identity made of them unset until then).
pub fn known_or_null(planned: &Value) -> Value {
    match planned {
        Value::Unknown(_) => Value::Null,
        Value::Object(fields) => Value::Object(
            fields.iter().map(|(name, value)| (name.clone(), known_or_null(value))).collect::<BTreeMap<_, _>>(),
        ),
        Value::List(items) => Value::List(items.iter().map(known_or_null).collect()),
        Value::Set(items) => Value::Set(items.iter().map(known_or_null).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::Cloud;
    use crate::framework::operation::{Limit, Operation};
    use tokio_util::sync::CancellationToken;

    fn op(seconds: u64) -> (Operation, CancellationToken) {
        let interrupt = CancellationToken::new();
        (
            Operation::start(
                Limit {
                    timeout: Duration::from_secs(seconds),
                    source: "timeouts.create".into(),
                    setting: "`create` in the resource's `timeouts` block".into(),
                },
                interrupt.clone(),
            ),
            interrupt,
        )
    }

    #[tokio::test(start_paused = true)]
    async fn waits_leave_a_tenth_of_the_limit_for_the_read_after_them() {
        let (short, _) = op(20);
        assert_eq!(wait_budget(&Ctx::new(&(), &short)), Duration::from_secs(18));
        let (long, _) = op(3600);
        assert_eq!(wait_budget(&Ctx::new(&(), &long)), Duration::from_secs(3595), "at most 5 s");
    }

    #[tokio::test(start_paused = true)]
    async fn an_unknown_create_warns_when_interrupted_and_fails_at_the_deadline() {
        let call = CloudError::cancelled(Cloud::Huawei, "AcceptHandshake");
        let (interrupted, interrupt) = op(20);
        interrupt.cancel();
        let mut diags = Diagnostics::new();
        interrupted
            .scope(async {
                unconfirmed_create(
                    &Ctx::new(&(), &interrupted),
                    SystemTime::UNIX_EPOCH,
                    &UnknownWrite::of(&call),
                    "the read failed",
                    "The membership",
                    &mut diags,
                )
            })
            .await;
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(interrupted.unconfirmed(), Some(SystemTime::UNIX_EPOCH));

        let (timed_out, _) = op(20);
        tokio::time::sleep(Duration::from_secs(21)).await;
        let mut diags = Diagnostics::new();
        timed_out
            .scope(async {
                unconfirmed_create(
                    &Ctx::new(&(), &timed_out),
                    SystemTime::UNIX_EPOCH,
                    &UnknownWrite::of(&call),
                    "the read failed",
                    "The membership",
                    &mut diags,
                )
            })
            .await;
        let error = diags.iter().next().unwrap();
        assert_eq!(error.summary, "Operation timed out");
        assert!(
            error.detail.contains("within 20s (timeouts.create), so Huawei Cloud AcceptHandshake was abandoned"),
            "{}",
            error.detail
        );
        assert!(error.detail.contains("terraform untaint"), "{}", error.detail);
        assert!(diags.has_errors());
    }

    #[test]
    fn unknown_values_become_null() {
        let planned = Value::Object(BTreeMap::from([
            ("id".to_string(), Value::unknown()),
            ("name".to_string(), Value::from("x")),
            ("block".to_string(), Value::Object(BTreeMap::from([("inner".to_string(), Value::unknown())]))),
        ]));
        let state = known_or_null(&planned);
        assert!(state.is_wholly_known());
        assert_eq!(state.attr("id"), Some(&Value::Null));
        assert_eq!(state.attr("name"), Some(&Value::from("x")));
        assert_eq!(state.attr("block").and_then(|b| b.attr("inner")), Some(&Value::Null));
    }
}
