//! ZStack IAM2 procedures shared by `tether_iam2_project_organization` and the
//! `tether_iam2_detach_project` action: waiting for a submitted job within the operation's
//! budget, telling a write that may have happened from one that did not, and
//! DetachIAM2ProjectFromIAM2Organization with its wait, so a destroy and an action follow one set
//! of rules.

use std::time::Duration;

use crate::clouds::waiter::{PollPolicy, WaitError};
use crate::clouds::zstack::iam2::{DETACH_PROJECT_ACTION, NOT_IN_ORGANIZATION};
use crate::clouds::zstack::{POLL_JOB_ACTION, ZStackClient};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::operation;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Outcome, Report, Reported};

use super::write_outcome::wait_budget;
use super::{Clients, cloud_error};

/// ZStack jobs finish in seconds.
pub const POLL: PollPolicy = PollPolicy {
    initial_delay: Duration::from_millis(300),
    interval: Duration::from_millis(500),
    max_interval: Duration::from_secs(5),
    multiplier: 1.5,
};

/// `client` for the reads that find out what a write did: they may go on for a short grace after
/// Ctrl-C (so that the state records the truth), never past the operation's deadline.
pub fn settle_client(client: &ZStackClient, ctx: &Ctx<'_, Clients>) -> ZStackClient {
    client.with_cancellation(ctx.settle())
}

/// The organization the project is attached to now, if any.
pub async fn attached_organization(client: &ZStackClient, project: &str) -> Result<Option<String>, CloudError> {
    let refs = client.query_organization_project_refs_shared(project).await?;
    Ok(refs.into_iter().map(|r| r.organization_uuid).next())
}

/// Whether a write that ended with `error` may nevertheless have been done, so that only a read
/// can tell. It certainly was not when ZStack refused the submission (an answer with its error
/// object starts no job), did not know its job, or ran the job and it failed; nor when it never
/// went out (a failed or stopped login or guard check, a refused connection, a stop before
/// sending). It may have been when it was stopped on the wire or while its job ran, or when
/// polling a started job failed.
pub fn may_have_happened(error: &WaitError) -> bool {
    match error {
        WaitError::Failed { .. } => false,
        WaitError::Cancelled { .. } | WaitError::TimedOut { .. } => true,
        WaitError::Cloud(e) => !e.never_sent && (e.kind == ErrorKind::Cancelled || e.action == POLL_JOB_ACTION),
    }
}

/// What a write stopped by Ctrl-C or its deadline was doing, for the operation's own words
/// ("Terraform asked the provider to stop…", "did not finish within 30s (timeouts.create)…");
/// `None` for any other failure.
pub fn stopped_work(error: &WaitError) -> Option<String> {
    match error {
        WaitError::Cancelled { what, id } | WaitError::TimedOut { what, id, .. } => {
            Some(format!("waiting for {what} {id}"))
        }
        WaitError::Cloud(e) if e.kind == ErrorKind::Cancelled => Some(format!("ZStack {}", e.action)),
        _ => None,
    }
}

/// Why a write's outcome is unknown, in one sentence.
pub fn why_unknown(error: &WaitError) -> String {
    match stopped_work(error) {
        Some(work) => operation::stopped_detail(&work).1,
        None => format!("{error}."),
    }
}

/// A failed write as a diagnostic: a stop or the deadline in the operation's words, ZStack's own
/// error otherwise (`refused` for a call, `failed` for a job).
pub fn write_failed(refused: &str, failed: &str, error: &WaitError) -> Diagnostic {
    if let Some(work) = stopped_work(error) {
        let (summary, detail) = operation::stopped_detail(&work);
        return Diagnostic::error(summary, detail);
    }
    match error {
        WaitError::Cloud(e) => cloud_error(refused, e),
        other => Diagnostic::error(failed, format!("{other}.")),
    }
}

/// Where the project is, read within the settle grace; the reason as text when that cannot be
/// told.
pub async fn read_back(client: &ZStackClient, ctx: &Ctx<'_, Clients>, project: &str) -> Result<Option<String>, String> {
    attached_organization(&settle_client(client, ctx), project).await.map_err(|e| match e.kind {
        ErrorKind::Cancelled => "the read was stopped as well".to_string(),
        _ => format!("the read failed: {e}"),
    })
}

/// Waits for a submitted job until shortly before the operation's deadline (or its stop),
/// leaving the read that records what ZStack did time to run (`write_outcome::wait_budget`): a
/// job still running at the end is then read, not recorded as unknown. A submit ZStack
/// answered with an error started no job: that error is the outcome. A submit whose answer was
/// lost (connection reset after sending) has already been settled by the client where it could
/// (its job waited on, or sent again with the same job uuid when ZStack had never received it);
/// if it could not tell, the job is waited on here rather than submitted again, and a job ZStack
/// turns out not to know reports the submit's own error.
pub async fn wait_for_job(
    client: &ZStackClient,
    submitted: Result<crate::clouds::zstack::Job, CloudError>,
    ctx: &Ctx<'_, Clients>,
) -> Result<(), WaitError> {
    client.wait_submitted(submitted, wait_budget(ctx), &POLL, Some(&ctx.stop)).await.map(drop)
}

/// How a detach of a project ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectDetached {
    /// ZStack detached it now (its job ended, or a read after an unknown outcome shows it out).
    Now,
    /// ZStack no longer knows the project, or it is in no organization: nothing to do.
    Already,
    /// ZStack says the project is not in the organization (it left, or moved, outside
    /// Terraform): nothing was done. Holds ZStack's message.
    Elsewhere(String),
}

/// DetachIAM2ProjectFromIAM2Organization for `project`, sent only while it is still in `ours`
/// (the client checks right before each send), and its job waited on within the operation's
/// budget. A job whose outcome is unknown is settled by reading the project; when that cannot
/// tell either, the error ends with `keep` (what the state holds, and what to run again).
/// `waiting` is called once the job is submitted (an action's progress line).
pub async fn detach_project(
    ctx: &Ctx<'_, Clients>,
    client: &ZStackClient,
    project: &str,
    ours: &str,
    keep: &str,
    waiting: impl FnOnce(),
    diags: &mut Diagnostics,
) -> Outcome<ProjectDetached> {
    let submitted = client.detach_project_from_organization(project, ours).await;
    if submitted.is_ok() {
        waiting();
    }
    let outcome = wait_for_job(client, submitted, ctx).await;
    if let Err(WaitError::Cloud(e)) = &outcome {
        if e.kind == ErrorKind::NotFound {
            if e.code.as_deref() == Some(NOT_IN_ORGANIZATION) {
                return Ok(ProjectDetached::Elsewhere(e.message.clone()));
            }
            return Ok(ProjectDetached::Already);
        }
    }
    let Err(error) = outcome else { return Ok(ProjectDetached::Now) };
    if !may_have_happened(&error) {
        return Err(write_failed(
            "Could not detach the project from the organization",
            "Detaching the project did not succeed",
            &error,
        ))
        .report(diags);
    }
    // Stopped while the detach was on the wire or its job ran: gone from our organization
    // means detached (the guard sent it only while the project was there); still there, or
    // no answer, means it may yet be.
    let why = match read_back(client, ctx, project).await {
        Ok(current) if current.as_deref() != Some(ours) => return Ok(ProjectDetached::Now),
        Ok(_) => format!("it is still in organization {ours}, and the detach may still be on its way"),
        Err(why) => why,
    };
    diags.error(
        format!("Outcome of ZStack {DETACH_PROJECT_ACTION} unknown"),
        format!(
            "{} Reading the project afterwards could not tell whether it was detached ({why}). {keep}",
            why_unknown(&error)
        ),
    );
    Err(Reported)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clouds::Cloud;
    use crate::clouds::zstack::iam2::ATTACH_PROJECT_ACTION;
    use crate::framework::operation::{Limit, Operation};
    use tokio_util::sync::CancellationToken;

    fn cloud(kind: ErrorKind, action: &str) -> CloudError {
        CloudError::new(kind, Cloud::ZStack, action, "x")
    }

    #[test]
    fn only_a_write_that_may_have_reached_zstack_needs_a_read_to_settle_it() {
        let job = || ("AttachIAM2ProjectToIAM2Organization job".to_string(), "0f0f".to_string());
        let cases = [
            // Stopped while its job ran, or while the submission was on the wire.
            (WaitError::Cancelled { what: job().0, id: job().1 }, true),
            (
                WaitError::TimedOut {
                    what: job().0,
                    id: job().1,
                    waited: Duration::from_secs(30),
                    last_progress: None,
                    last_error: None,
                },
                true,
            ),
            (WaitError::Cloud(cloud(ErrorKind::Cancelled, ATTACH_PROJECT_ACTION)), true),
            // Polling a started job failed: it may be running.
            (WaitError::Cloud(cloud(ErrorKind::Auth, POLL_JOB_ACTION)), true),
            // Stopped before anything went out: while logging in, or checking the guard.
            (WaitError::Cloud(cloud(ErrorKind::Cancelled, "LogInByAccount").never_sent()), false),
            (WaitError::Cloud(cloud(ErrorKind::Cancelled, DETACH_PROJECT_ACTION).never_sent()), false),
            // A refused connection, a refusal ZStack answered, a job that failed.
            (WaitError::Cloud(cloud(ErrorKind::Transient, ATTACH_PROJECT_ACTION).never_sent()), false),
            (WaitError::Cloud(cloud(ErrorKind::Transient, ATTACH_PROJECT_ACTION).with_code("SYS.1000")), false),
            (WaitError::Failed { what: job().0, id: job().1, status: "SYS.1006".into(), message: "x".into() }, false),
        ];
        for (error, expected) in cases {
            assert_eq!(may_have_happened(&error), expected, "{error:?}");
        }
    }

    #[tokio::test]
    async fn a_write_stopped_at_the_deadline_says_which_limit_it_was() {
        let op = Operation::start(
            Limit {
                timeout: Duration::from_secs(30),
                source: "timeouts.create".into(),
                setting: "`create` in the resource's `timeouts` block".into(),
            },
            CancellationToken::new(),
        );
        let error = WaitError::Cancelled { what: "AttachIAM2ProjectToIAM2Organization job".into(), id: "0f0f".into() };
        let diagnostic = op
            .scope(async {
                write_failed(
                    "Could not attach the project to the organization",
                    "Attaching the project did not succeed",
                    &error,
                )
            })
            .await;
        assert_eq!(diagnostic.summary, "Operation timed out");
        assert!(diagnostic.detail.contains("within 30s (timeouts.create), so waiting for AttachIAM2ProjectToIAM2Organization job 0f0f was abandoned"), "{}", diagnostic.detail);

        // A job that failed keeps ZStack's words.
        let failed = WaitError::Failed {
            what: "AttachIAM2ProjectToIAM2Organization job".into(),
            id: "0f0f".into(),
            status: "SYS.1006".into(),
            message: "the organization is being deleted".into(),
        };
        let diagnostic = op
            .scope(async {
                write_failed(
                    "Could not attach the project to the organization",
                    "Attaching the project did not succeed",
                    &failed,
                )
            })
            .await;
        assert_eq!(diagnostic.summary, "Attaching the project did not succeed");
        assert!(diagnostic.detail.contains("SYS.1006: the organization is being deleted"), "{}", diagnostic.detail);
    }
}
