//! Huawei Cloud RGC procedures shared by `tether_rgc_managed_account` and the
//! `tether_rgc_unenroll_account` action: reading what RGC has after a write whose outcome is not
//! known, and UnEnrollAccount with its wait, so a destroy and an action follow one set of rules.

use std::time::Duration;

use crate::clouds::huawei::rgc::{STATE_UN_ENROLLING, UN_ENROLL_ACCOUNT_ACTION};
use crate::clouds::huawei::{AccountGoal, ManagedAccount, RgcClient};
use crate::clouds::waiter::{PollPolicy, PollState, WaitError};
use crate::clouds::{Cloud, CloudError, ErrorKind};
use crate::framework::operation;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Outcome, Report};

use super::write_outcome::{wait_budget, wait_error};
use super::{Clients, ReportCloud};

/// RGC operations take minutes: poll after a second, then back off to every 30 s.
pub const POLL: PollPolicy = PollPolicy {
    initial_delay: Duration::from_secs(1),
    interval: Duration::from_millis(1500),
    max_interval: Duration::from_secs(30),
    multiplier: 1.5,
};

/// After an operation did not succeed: what does the cloud have now? Read with the settle
/// token, so that an operation stopped by Ctrl-C still records the truth (the read may run for a
/// moment after it), while the read still ends at the operation's deadline.
pub async fn reconcile(ctx: &Ctx<'_, Clients>, id: &str) -> Result<Option<ManagedAccount>, CloudError> {
    let client = ctx
        .data
        .huawei_rgc()
        .map_err(|d| CloudError::new(ErrorKind::Other, Cloud::Huawei, "ShowManagedAccount", d.detail))?;
    client.with_cancellation(ctx.settle()).show_managed_account(id).await
}

/// What the next run does about an RGC operation that did not finish.
const STILL_RUNNING: &str = "The operation may still finish in RGC; the next refresh records its outcome.";

pub fn wait_failed(summary: &str, error: &WaitError) -> Diagnostic {
    wait_error(summary, error, STILL_RUNNING)
}

/// What RGC shows after a write whose answer was lost.
pub enum LostAnswer {
    /// No sign of the write: the original error stands.
    NotApplied,
    /// The write took effect and the account settled: the account (`None` once un-enrolled).
    Settled(Option<Box<ManagedAccount>>),
    /// The write is (or was) under way but did not settle as hoped.
    Unsettled(WaitError),
}

/// After a write whose answer was lost (so there is no operation id to follow): when
/// ShowManagedAccount shows the change (`under_way`), waits within the operation's wait budget
/// for the account to settle at `goal`. `Err` when RGC could not be asked.
pub async fn settle_after_lost_answer(
    ctx: &Ctx<'_, Clients>,
    client: &RgcClient,
    action: &str,
    id: &str,
    goal: AccountGoal,
    under_way: impl Fn(&ManagedAccount) -> bool,
) -> Result<LostAnswer, CloudError> {
    let seen = reconcile(ctx, id).await?;
    let account = match (goal, seen) {
        (AccountGoal::Unmanaged, None) => return Ok(LostAnswer::Settled(None)),
        (AccountGoal::Managed, None) => return Ok(LostAnswer::NotApplied),
        (_, Some(account)) if !under_way(&account) => return Ok(LostAnswer::NotApplied),
        (_, Some(account)) => account,
    };
    if let PollState::Done(settled) = goal.poll_state(Some(account)) {
        return Ok(LostAnswer::Settled(settled.map(Box::new)));
    }
    tracing::debug!(
        action,
        id,
        "the answer was lost, but RGC shows the change under way; waiting for the account to settle"
    );
    Ok(match client.wait_account_settled(action, id, goal, wait_budget(ctx), &POLL, Some(&ctx.stop)).await {
        Ok(settled) => LostAnswer::Settled(settled.map(Box::new)),
        Err(error) => LostAnswer::Unsettled(error),
    })
}

/// How an un-enroll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnEnrolled {
    /// RGC un-enrolled the account now (the operation ended, or RGC let go of it).
    Now,
    /// RGC did not govern the account: nothing was done.
    Already,
}

/// UnEnrollAccount for account `id`, waited on within the operation's budget. Not repeated
/// blindly: after a lost answer (or a refusal because an operation runs on the account, such as
/// an un-enroll an interrupted run started) RGC is read, and an account RGC no longer has, or is
/// un-enrolling, is followed to its end. `keep` ends the error when the outcome is unknown (what
/// the state holds, and what to run again); `waiting` is told the operation id before the wait
/// (an action's progress line).
pub async fn un_enroll(
    ctx: &Ctx<'_, Clients>,
    client: &RgcClient,
    id: &str,
    keep: &str,
    waiting: impl FnOnce(&str),
    diags: &mut Diagnostics,
) -> Outcome<UnEnrolled> {
    let un_enrolling = |a: &ManagedAccount| a.state == STATE_UN_ENROLLING;
    let operation = match client.un_enroll_account(id).await {
        Ok(operation) => operation,
        // Not managed any more: the goal holds.
        Err(e) if e.kind == ErrorKind::NotFound => return Ok(UnEnrolled::Already),
        // The answer was lost, the service failed, the operation stopped the call in flight,
        // or RGC refuses it because an operation is running on the account: if RGC no longer
        // has the account, or is un-enrolling it, follow that to its end.
        Err(e) if e.is_ambiguous() || e.kind == ErrorKind::Conflict => {
            return match settle_after_lost_answer(
                ctx,
                client,
                UN_ENROLL_ACCOUNT_ACTION,
                id,
                AccountGoal::Unmanaged,
                un_enrolling,
            )
            .await
            {
                Ok(LostAnswer::Settled(None)) => Ok(UnEnrolled::Now),
                Ok(LostAnswer::Settled(Some(_)) | LostAnswer::NotApplied) => {
                    Err(e).report_as("Could not un-enroll the account", diags)
                }
                Ok(LostAnswer::Unsettled(wait)) => {
                    Err(wait_failed("Un-enrolling the account did not finish", &wait)).report(diags)
                }
                // Sent, and no read could tell what it did.
                Err(read) => Err(unknown_un_enroll(&e, &read, keep)).report(diags),
            };
        }
        Err(e) => return Err(e).report_as("Could not un-enroll the account", diags),
    };
    waiting(&operation);
    if let Err(error) =
        client.wait_operation_of(UN_ENROLL_ACCOUNT_ACTION, &operation, wait_budget(ctx), &POLL, Some(&ctx.stop)).await
    {
        // If RGC let go of the account anyway, the un-enroll succeeded.
        if let Ok(None) = reconcile(ctx, id).await {
            return Ok(UnEnrolled::Now);
        }
        return Err(wait_failed("Un-enrolling the account did not succeed", &error)).report(diags);
    }
    Ok(UnEnrolled::Now)
}

/// The error for an UnEnrollAccount (`call`) that may or may not have taken effect, the read
/// after it having failed (`read`). When the operation's stop abandoned the call, the stop (and
/// the limit that ran out) comes first.
fn unknown_un_enroll(call: &CloudError, read: &CloudError, keep: &str) -> Diagnostic {
    if call.kind == ErrorKind::Cancelled {
        let (summary, stopped) = operation::stopped_detail(&format!("{} {}", call.cloud, call.action));
        let read = if read.kind == ErrorKind::Cancelled {
            String::new()
        } else {
            format!(" Reading whether it took effect failed: {read}.")
        };
        return Diagnostic::error(
            summary,
            format!("{stopped} It was already sent, and its outcome is unknown.{read} {keep}"),
        );
    }
    Diagnostic::error(
        format!("Outcome of {} {} unknown", call.cloud, call.action),
        format!("Its answer was lost ({call}), and reading whether it took effect failed too ({read}). {keep}"),
    )
}
