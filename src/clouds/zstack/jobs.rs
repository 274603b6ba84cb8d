//! Asynchronous jobs: submitting a call (`202` + `location`), polling its location and waiting
//! for its result, including the one resubmission after a refused session.
//!
//! **What a failed submission means.** The REST server validates a submission and answers it at
//! once: an answer carrying ZStack's error object (`{"error": {...}}`) means the API was refused
//! and no job was started, so that error is reported as it is (naming the API, with the
//! submission's `X-Job-UUID` — the API message's id — as its request id). Only a submission
//! without an answer (the connection broke or timed out after sending, or a gateway answered
//! 502 / 504 in ZStack's place) is ambiguous. Then the job is looked up under the `X-Job-UUID`
//! that was sent: a job ZStack knows is waited on; a job it does not know (404) was never
//! submitted, and the same request is sent once more **with the same `X-Job-UUID`**. That is
//! safe: ZStack keeps one job per uuid and refuses a second submission of a uuid it knows
//! (`RestServer`: 400 `Duplicate job uuid[…]`), so should the first copy arrive after all, only
//! one of the two can start a job — and the refused one finds the other's job to wait on.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::{
    CredentialKind, INVALID_SESSION_CODE, ZStackError, decode_error, invalid, parse_error_body, unexpected,
};
use super::ids::{is_job_uuid, new_job_uuid};
use super::session::{Auth, Credentials, rejected_again};
use super::{ZStackClient, iam2};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{HttpResponse, SignableRequest, snippet};
use crate::clouds::waiter::{PollPolicy, PollState, WaitError, wait_for};

/// What [`ZStackClient::wait_job`] calls the thing it waits for.
pub const JOB_WHAT: &str = "ZStack job";
/// Polling `GET /zstack/v1/api-jobs/{uuid}`.
pub const POLL_JOB_ACTION: &str = "QueryAsyncJob";

/// Sent with every submission; becomes the job's uuid.
pub const X_JOB_UUID: HeaderName = HeaderName::from_static("x-job-uuid");

/// An asynchronous job: returned by a submission, or named by uuid with [`ZStackClient::job`].
#[derive(Clone)]
pub struct Job {
    pub uuid: String,
    /// Where to poll it, on the configured endpoint.
    pub location: Url,
    /// The API that started it, when known (for messages: `<action> job <uuid> …`).
    action: Option<String>,
    /// How to submit the same request again after the session was refused.
    resubmit: Option<Resubmit>,
}

impl Job {
    /// What waiting on this job calls it: `AttachIAM2ProjectToIAM2Organization job`, or
    /// [`JOB_WHAT`] when the API is not known.
    pub fn what(&self) -> String {
        match &self.action {
            Some(action) => format!("{action} job"),
            None => JOB_WHAT.to_owned(),
        }
    }

    /// The API that started the job, when known.
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }
}

#[derive(Clone)]
struct Resubmit {
    submission: Arc<Submission>,
    /// The session generation the job was submitted with.
    generation: Option<u64>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("uuid", &self.uuid)
            .field("location", &self.location.as_str())
            .field("action", &self.action)
            .field("resubmit", &self.resubmit.as_ref().map(|r| r.submission.action))
            .finish()
    }
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.uuid == other.uuid && self.location == other.location
    }
}

impl Eq for Job {}

/// A submission, kept so it can be sent again after a re-login.
#[derive(Debug)]
struct Submission {
    action: &'static str,
    method: Method,
    path: Vec<String>,
    body: Option<Vec<u8>>,
    /// Checked before every send of this submission, the first and any resend after a session
    /// expiry alike: the call goes out only while the guard holds.
    guard: Option<Guard>,
}

/// A condition a submission must meet at the moment it is sent.
#[derive(Debug, Clone)]
pub(crate) enum Guard {
    /// The project is attached to this organization. The detach API names only the project and
    /// detaches it from whatever organization it is in, so it must only go out while that is
    /// still the organization the caller means.
    ProjectIn { project: String, organization: String },
}

/// What one poll of a job found.
#[derive(Debug, Clone, PartialEq)]
pub enum JobStatus {
    Running,
    /// The API result (`{"inventory": …}` for the IAM2 calls); `Null` for an empty body.
    Succeeded(serde_json::Value),
    Failed(ZStackError),
}

#[derive(Deserialize)]
struct Location {
    #[serde(default)]
    location: Option<String>,
}

impl ZStackClient {
    /// Job `uuid` (e.g. of an earlier, ambiguous submission), polled on the configured endpoint.
    /// Such a job is not submitted again when ZStack reports that its session was refused.
    pub fn job(&self, uuid: &str) -> Result<Job, CloudError> {
        if !is_job_uuid(uuid) {
            return Err(invalid(POLL_JOB_ACTION, format!("{uuid:?} is not a job uuid")));
        }
        Ok(Job { uuid: uuid.to_owned(), location: self.url(&["api-jobs", uuid]), action: None, resubmit: None })
    }

    /// The job a failed submission may nevertheless have started: `Some` only for a submission
    /// that got no answer from ZStack (see [`answer_lost`]) and whose job the submission itself
    /// could not look up. The submission's `X-Job-UUID` is the error's `request_id` (of ZStack
    /// errors, only a submission's and a job poll's carry one, and a poll's is no lost answer).
    /// Waiting on it tells whether the request was processed (a `404` means it never arrived) —
    /// [`wait_submitted`] does that. `None` for a submission ZStack answered with an error: that
    /// one started no job.
    ///
    /// [`wait_submitted`]: Self::wait_submitted
    pub fn ambiguous_job(&self, err: &CloudError) -> Option<Job> {
        if err.cloud != Cloud::ZStack || !answer_lost(err) {
            return None;
        }
        let uuid = err.request_id.as_deref()?;
        let mut job = self.job(uuid).ok()?;
        job.action = Some(err.action.clone());
        Some(job)
    }

    /// Waits for the job of a submission's outcome (e.g. of
    /// [`attach_project_to_organization`](Self::attach_project_to_organization)), as
    /// [`wait_job`](Self::wait_job) does. A submission ZStack refused is returned as
    /// [`WaitError::Cloud`] with its own error. A submission that got no answer and whose job
    /// could not be looked up is waited on by its `X-Job-UUID`; should ZStack not know that job,
    /// the request never reached it and the submission's own (transport) error is returned,
    /// not the failed job lookup.
    pub async fn wait_submitted(
        &self,
        submitted: Result<Job, CloudError>,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<serde_json::Value, WaitError> {
        let lost = match submitted {
            Ok(job) => return self.wait_job(&job, timeout, policy, cancel).await,
            Err(e) => e,
        };
        let Some(job) = self.ambiguous_job(&lost) else {
            return Err(WaitError::Cloud(lost));
        };
        tracing::debug!(
            cloud = %Cloud::ZStack,
            action = %lost.action,
            job = %job.uuid,
            error = %lost.message,
            "the submission's outcome is unknown; waiting on its job"
        );
        match self.wait_job(&job, timeout, policy, cancel).await {
            Err(WaitError::Cloud(e)) if is_unknown_job(&e) => Err(WaitError::Cloud(lost)),
            other => other,
        }
    }

    /// The job named by a `location` answer, re-pointed at the configured endpoint.
    fn job_from_location(&self, action: &str, location: &str) -> Result<Job, CloudError> {
        let bad = || {
            CloudError::new(
                ErrorKind::Other,
                Cloud::ZStack,
                action,
                format!("the job location {location:?} does not name a job"),
            )
        };
        let url = self.inner.api_root.join(location).map_err(|_| bad())?;
        let mut segments = url.path_segments().ok_or_else(bad)?;
        segments.by_ref().find(|s| *s == "api-jobs").ok_or_else(bad)?;
        let uuid = segments.find(|s| !s.is_empty()).ok_or_else(bad)?;
        self.job(uuid).map_err(|_| bad())
    }

    /// Submits an asynchronous API call; returns its job.
    pub(crate) async fn submit(
        &self,
        action: &'static str,
        method: Method,
        path: &[&str],
        body: Option<Vec<u8>>,
        guard: Option<Guard>,
    ) -> Result<Job, CloudError> {
        let submission =
            Arc::new(Submission { action, method, path: path.iter().map(|s| (*s).to_owned()).collect(), body, guard });
        self.submit_with(submission, true).await
    }

    async fn submit_with(&self, submission: Arc<Submission>, relogin: bool) -> Result<Job, CloudError> {
        let action = submission.action;
        let host = self.inner.host.as_str();
        let path: Vec<&str> = submission.path.iter().map(String::as_str).collect();
        let url = self.url(&path);
        self.with_credentials(action, relogin, |creds| {
            let submission = Arc::clone(&submission);
            let url = url.clone();
            async move {
                if let Some(guard) = &submission.guard {
                    // Whatever the check meets (a refusal, a failed read, a stop), the
                    // submission itself has not gone out.
                    self.check_guard(action, guard).await.map_err(CloudError::never_sent)?;
                }
                // A fresh job uuid per attempt after a refusal; the HTTP layer's own retries
                // (throttling, connect failures) and the resend of a submission ZStack never
                // received reuse it.
                let job_uuid = new_job_uuid();
                let mut req = SignableRequest::new(submission.method.clone(), url);
                req.headers.insert(X_JOB_UUID, HeaderValue::from_str(&job_uuid).expect("hex is a valid header value"));
                if let Some(body) = &submission.body {
                    req.headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                    req.body = body.clone();
                }
                let kind = creds.kind();
                let generation = creds.generation();
                let submitted =
                    self.execute(action, false, &creds, &req, |resp| decode_submitted(action, host, &resp, kind)).await;
                let job = match submitted {
                    Ok(location) => self.job_from_location(action, &location),
                    Err(lost) if answer_lost(&lost) => {
                        self.settle_lost_submission(action, &creds, &req, &job_uuid, lost).await
                    }
                    Err(refused) => Err(refused),
                };
                let mut job = job.map_err(|mut e| {
                    e.request_id.get_or_insert_with(|| job_uuid.clone());
                    e
                })?;
                tracing::debug!(cloud = %Cloud::ZStack, action, job = %job.uuid, "job submitted");
                job.action = Some(action.to_owned());
                job.resubmit = Some(Resubmit { submission, generation });
                Ok(job)
            }
        })
        .await
    }

    /// Reads whether `guard` holds right now; a `NotFound` error with code
    /// [`iam2::NOT_IN_ORGANIZATION`] when it does not, so nothing is sent.
    async fn check_guard(&self, action: &str, guard: &Guard) -> Result<(), CloudError> {
        let Guard::ProjectIn { project, organization } = guard;
        let refs = self.query_organization_project_refs(project).await?;
        let current = refs.into_iter().map(|r| r.organization_uuid).next();
        if current.as_deref() == Some(organization.as_str()) {
            return Ok(());
        }
        let now = match &current {
            Some(other) => format!("is in organization {other}"),
            None => "is in no organization".to_owned(),
        };
        let mut error = CloudError::new(
            ErrorKind::NotFound,
            Cloud::ZStack,
            action,
            format!("not sent: project {project} {now}, not in {organization}"),
        );
        error.code = Some(iam2::NOT_IN_ORGANIZATION.to_owned());
        Err(error)
    }

    /// After a submission (`req`, sent with `X-Job-UUID` `job_uuid`) got no answer: looks the
    /// job up. A job ZStack knows is returned, to be waited on. A job it does not know was never
    /// submitted: the same request is sent once more with the same `X-Job-UUID` (see the module
    /// documentation for why that is safe). When the lookup itself fails, the outcome stays
    /// unknown and `lost` is returned (the caller may wait on [`ZStackClient::ambiguous_job`]).
    async fn settle_lost_submission(
        &self,
        action: &'static str,
        creds: &Credentials<'_>,
        req: &SignableRequest,
        job_uuid: &str,
        lost: CloudError,
    ) -> Result<Job, CloudError> {
        let job = self.job(job_uuid)?;
        match self.probe_job(creds, &job).await {
            Ok(()) => {
                tracing::debug!(
                    cloud = %Cloud::ZStack,
                    action,
                    job = %job.uuid,
                    error = %lost.message,
                    "the submission's answer was lost, but its job exists"
                );
                return Ok(job);
            }
            Err(e) if is_unknown_job(&e) => {}
            Err(e) => {
                tracing::debug!(
                    cloud = %Cloud::ZStack,
                    action,
                    job = %job.uuid,
                    error = %e,
                    "the submission's answer was lost and its job could not be looked up"
                );
                return Err(lost);
            }
        }
        tracing::debug!(
            cloud = %Cloud::ZStack,
            action,
            job = %job.uuid,
            error = %lost.message,
            "the submission never reached ZStack (its job is unknown); sending it again with the \
             same X-Job-UUID"
        );
        let host = self.inner.host.as_str();
        let kind = creds.kind();
        let resent = self.execute(action, false, creds, req, |resp| decode_submitted(action, host, &resp, kind)).await;
        match resent {
            Ok(location) => self.job_from_location(action, &location),
            // Refused (e.g. `Duplicate job uuid`: the first copy arrived after all) or lost
            // again: whichever copy ZStack took, its job is the one to wait on.
            Err(e) => match self.probe_job(creds, &job).await {
                Ok(()) => Ok(job),
                Err(_) => Err(e),
            },
        }
    }

    /// Whether ZStack knows `job` (one poll, retried on transient errors): `Ok` when it is
    /// running or has ended, a `NotFound` error (see [`is_unknown_job`]) when it is unknown.
    async fn probe_job(&self, creds: &Credentials<'_>, job: &Job) -> Result<(), CloudError> {
        let action = POLL_JOB_ACTION;
        let host = self.inner.host.as_str();
        let kind = creds.kind();
        let req = SignableRequest::new(Method::GET, job.location.clone());
        self.execute(action, true, creds, &req, |resp| decode_job(action, host, &job.uuid, &resp, kind)).await.map(drop)
    }

    /// One poll of `job` (`GET` its location).
    pub async fn poll_job(&self, job: &Job) -> Result<JobStatus, CloudError> {
        let action = POLL_JOB_ACTION;
        let host = self.inner.host.as_str();
        let uuid = job.uuid.as_str();
        self.with_credentials(action, true, |creds| {
            let req = SignableRequest::new(Method::GET, job.location.clone());
            async move {
                let kind = creds.kind();
                self.execute(action, true, &creds, &req, |resp| decode_job(action, host, uuid, &resp, kind)).await
            }
        })
        .await
    }

    /// Polls `job` until it succeeds (its API result is returned), fails
    /// ([`WaitError::Failed`] with ZStack's code as the status and `description: details` as the
    /// message), `timeout` passes, or `cancel` (or else this handle's own token) fires. Transient
    /// poll errors are tolerated until the deadline; a job ZStack no longer knows (404) ends the
    /// wait with a `NotFound` error.
    ///
    /// A job that fails with `ID.1001` (its session expired before it ran) is submitted once
    /// more after a fresh login, within the same timeout.
    pub async fn wait_job(
        &self,
        job: &Job,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<serde_json::Value, WaitError> {
        let cancel = cancel.or(self.cancel.as_ref());
        let started = tokio::time::Instant::now();
        let outcome = self.wait_once(job, timeout, policy, cancel).await;
        let refused = matches!(&outcome, Err(WaitError::Failed { status, .. }) if status == INVALID_SESSION_CODE);
        let resubmit = match &job.resubmit {
            Some(r) if refused && matches!(self.inner.auth, Auth::Account { .. }) => r,
            _ => return outcome,
        };
        tracing::debug!(
            cloud = %Cloud::ZStack,
            job = %job.uuid,
            action = resubmit.submission.action,
            "job refused the session; logging in again and submitting once more"
        );
        if let Some(generation) = resubmit.generation {
            self.invalidate(generation).await;
        }
        let handle = match cancel {
            Some(token) => self.with_cancellation(token.clone()),
            None => self.clone(),
        };
        let cancelled = || WaitError::Cancelled { what: job.what(), id: job.uuid.clone() };
        let remaining = timeout.saturating_sub(started.elapsed());
        let submitted = tokio::select! {
            biased;
            out = handle.submit_with(Arc::clone(&resubmit.submission), false) => out,
            () = tokio::time::sleep(remaining) => {
                return Err(WaitError::TimedOut {
                    what: job.what(),
                    id: job.uuid.clone(),
                    waited: started.elapsed(),
                    last_progress: Some("submitting again after a new login".to_owned()),
                    last_error: None,
                });
            }
        };
        let new_job = match submitted {
            Ok(j) => j,
            Err(_) if cancel.is_some_and(CancellationToken::is_cancelled) => {
                return Err(cancelled());
            }
            Err(e) => return Err(WaitError::Cloud(e)),
        };
        let remaining = timeout.saturating_sub(started.elapsed());
        match self.wait_once(&new_job, remaining, policy, cancel).await {
            Err(WaitError::Failed { status, message, .. }) if status == INVALID_SESSION_CODE => {
                Err(WaitError::Cloud(rejected_again(
                    CloudError::new(ErrorKind::Auth, Cloud::ZStack, resubmit.submission.action, message)
                        .with_code(INVALID_SESSION_CODE)
                        .with_request_id(new_job.uuid.clone()),
                )))
            }
            other => other,
        }
    }

    async fn wait_once(
        &self,
        job: &Job,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<serde_json::Value, WaitError> {
        wait_for(&job.what(), &job.uuid, timeout, policy, cancel, || async {
            Ok(match self.poll_job(job).await? {
                JobStatus::Running => PollState::Pending { progress: Some("running".to_owned()) },
                JobStatus::Succeeded(value) => PollState::Done(value),
                JobStatus::Failed(err) => PollState::Failed {
                    status: if err.code.is_empty() { "failed".to_owned() } else { err.code.clone() },
                    message: err.message(),
                },
            })
        })
        .await
    }
}

/// Whether a failed submission may nevertheless have reached ZStack and started a job: it got
/// no answer at all (the connection broke or timed out after sending), or a gateway's 502 / 504
/// answered in ZStack's place. The error says so itself ([`CloudError::is_ambiguous`]): a
/// request that never went out (failed connects, a stop before sending) is `never_sent`, and
/// [`decode_submitted`] marks ZStack's own answers `rejected`. A submission stopped on the wire
/// is ambiguous too, but not looked up or waited on here: its caller was stopped, and that stop
/// is what it reports.
fn answer_lost(err: &CloudError) -> bool {
    err.kind == ErrorKind::Transient && err.is_ambiguous()
}

/// Whether a job lookup found that ZStack does not know the job (`404` on its location).
fn is_unknown_job(err: &CloudError) -> bool {
    err.cloud == Cloud::ZStack
        && err.action == POLL_JOB_ACTION
        && err.kind == ErrorKind::NotFound
        && err.http_status == Some(404)
}

/// A submission's answer: `202 {"location": …}`.
fn decode_submitted(action: &str, host: &str, resp: &HttpResponse, kind: CredentialKind) -> Result<String, CloudError> {
    if !(200..300).contains(&resp.status) {
        let error = decode_error(action, host, resp.status, &resp.body, kind);
        // The REST server validates a submission and answers it at once, so an answer of its
        // own means no job was started. Only a gateway's 502 / 504, without ZStack's error
        // object, stands in for an answer that was lost.
        let from_gateway = error.code.is_none() && matches!(resp.status, 502 | 504);
        return Err(if from_gateway { error } else { error.rejected() });
    }
    let parsed: Location =
        serde_json::from_slice(&resp.body).map_err(|err| unexpected(action, host, resp, &err.to_string()))?;
    match parsed.location {
        Some(location) if !location.trim().is_empty() => Ok(location.trim().to_owned()),
        _ => Err(unexpected(action, host, resp, "expected 202 with a job location")),
    }
}

/// A job poll's answer: 202 running, 200 done, 503 with an error object failed, 404 unknown.
fn decode_job(
    action: &str,
    host: &str,
    uuid: &str,
    resp: &HttpResponse,
    kind: CredentialKind,
) -> Result<JobStatus, CloudError> {
    match resp.status {
        202 => Ok(JobStatus::Running),
        200..=299 => {
            if resp.body.iter().all(u8::is_ascii_whitespace) {
                return Ok(JobStatus::Succeeded(serde_json::Value::Null));
            }
            serde_json::from_slice(&resp.body)
                .map(JobStatus::Succeeded)
                .map_err(|err| unexpected(action, host, resp, &err.to_string()))
        }
        // A failed job; without an error object it is a gateway's 503, polled again.
        503 => match parse_error_body(&resp.body) {
            Some(err) => Ok(JobStatus::Failed(err)),
            None => Err(decode_error(action, host, resp.status, &resp.body, kind)),
        },
        404 => {
            let mut e = CloudError::new(
                ErrorKind::NotFound,
                Cloud::ZStack,
                action,
                format!(
                    "ZStack does not know job {uuid}: its result expired (they are kept for \
                     about two days) or it was never submitted ({})",
                    snippet(&resp.body)
                ),
            )
            .with_http_status(404);
            e.request_id = Some(uuid.to_owned());
            Err(e)
        }
        status => Err(decode_error(action, host, status, &resp.body, kind)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::super::test_support::*;
    use super::super::{LOGIN_ACTION, ZStackAuth, ZStackConfig, auth};
    use super::*;
    use crate::clouds::{RetryPolicy, Secret};

    #[tokio::test]
    async fn job_polls_until_done_at_the_configured_endpoint() {
        let job_uuid = Arc::new(std::sync::Mutex::new(String::new()));
        let remember = Arc::clone(&job_uuid);
        let server = Server::start(move |req, i| {
            if i == 0 {
                let uuid = req.header("x-job-uuid").unwrap().to_owned();
                *remember.lock().unwrap() = uuid.clone();
                return accepted(internal_location(&uuid));
            }
            let uuid = remember.lock().unwrap().clone();
            assert_eq!(req.line(), format!("GET /zstack/v1/api-jobs/{uuid}"));
            match i {
                1 | 2 => Reply::Json(202, json!({})),
                _ => ok(json!({"inventory": {"uuid": PROJECT, "name": "payments"}})),
            }
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        let uuid = job_uuid.lock().unwrap().clone();
        assert_eq!(job.uuid, uuid);
        assert_eq!(job.location.as_str(), format!("{}zstack/v1/api-jobs/{uuid}", server.url));
        let result = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(result["inventory"]["name"], "payments");
        let seen = server.seen();
        assert_eq!(seen.len(), 4);
        // Polls are signed too.
        let date = seen[3].header("date").unwrap();
        let expected =
            auth::access_key_signature(AK_SECRET, &auth::string_to_sign("GET", date, &format!("/v1/api-jobs/{uuid}")));
        assert_eq!(seen[3].header("authorization").unwrap(), format!("ZStack {AK_ID}:{expected}"));
    }

    #[tokio::test]
    async fn failed_job_carries_code_and_description() {
        let server = Server::start(|_, i| match i {
            0 => accepted(internal_location("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f")),
            1 => Reply::Json(202, json!({})),
            _ => zs_error(503, "SYS.1006", "An operation failed", "the organization is being deleted"),
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.detach_project_unguarded(PROJECT).await.unwrap();
        let e = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        match &e {
            WaitError::Failed { what, id, status, message } => {
                assert_eq!(what, "DetachIAM2ProjectFromIAM2Organization job");
                assert_eq!(id, "0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f");
                assert_eq!(status, "SYS.1006");
                assert_eq!(message, "An operation failed: the organization is being deleted");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            "DetachIAM2ProjectFromIAM2Organization job 0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f ended \
             SYS.1006: An operation failed: the organization is being deleted"
        );
        // A job named only by its uuid has no API to name.
        assert_eq!(client.job("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f").unwrap().what(), JOB_WHAT);
    }

    #[tokio::test]
    async fn unknown_job_ends_the_wait_and_gateway_503s_are_tolerated() {
        let server = Server::start(|_, i| match i {
            0 => Reply::Raw(503, "Service Unavailable"),
            1 => Reply::Json(202, json!({})),
            _ => Reply::Raw(404, "the job has been expired"),
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.job("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f").unwrap();
        let e = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        let cloud = e.cloud_error().unwrap_or_else(|| panic!("{e:?}"));
        assert!(cloud.is_not_found());
        assert_eq!(cloud.action, POLL_JOB_ACTION);
        assert!(cloud.message.contains("expired"), "{cloud}");
        assert_eq!(cloud.request_id.as_deref(), Some("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f"));
    }

    #[tokio::test]
    async fn wait_times_out_and_cancels() {
        let server = Server::start(|_, _| Reply::Json(202, json!({}))).await;
        let client = access_key_client(&server.url);
        let job = client.job("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f").unwrap();
        let e = client.wait_job(&job, Duration::from_millis(50), &fast_poll(), None).await.unwrap_err();
        assert!(e.is_timeout(), "{e:?}");
        assert!(e.to_string().contains("(last status running)"), "{e}");

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
        let e =
            client.with_cancellation(token).wait_job(&job, Duration::from_secs(3600), &slow, None).await.unwrap_err();
        assert!(e.is_cancelled(), "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn job_refused_for_the_session_is_submitted_again_after_one_login() {
        let logins = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&logins);
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                return session_reply(&format!("s{n}"));
            }
            if req.method == "POST" {
                // The job remembers the session it was submitted with.
                let session = req.header("authorization").unwrap().replace("OAuth ", "");
                let job = req.header("x-job-uuid").unwrap();
                return accepted(internal_location(job).replace("api-jobs/", &format!("api-jobs/{session}-")));
            }
            if req.path.contains("/api-jobs/s1-") {
                return zs_error(503, "ID.1001", "Session expired", "");
            }
            ok(json!({"inventory": {"uuid": PROJECT}}))
        })
        .await;
        let client = account_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        assert!(job.uuid.starts_with("s1-"), "{job:?}");
        let result = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(result["inventory"]["uuid"], PROJECT);
        assert_eq!(client.login_count(), 2);
        let posts: Vec<_> = server.seen().into_iter().filter(|s| s.method == "POST").collect();
        assert_eq!(posts.len(), 2);
        assert_ne!(posts[0].header("x-job-uuid"), posts[1].header("x-job-uuid"));
        assert_eq!(posts[0].body, posts[1].body);

        // Refused again after the new login: an Auth error, no loop.
        let server = Server::start(move |req, i| {
            if req.is_login() {
                return session_reply(&format!("s{i}"));
            }
            if req.method == "POST" {
                return accepted(internal_location(req.header("x-job-uuid").unwrap()));
            }
            zs_error(503, "ID.1001", "Session expired", "")
        })
        .await;
        let client = account_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        let e = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        let cloud = e.cloud_error().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!(cloud.kind, ErrorKind::Auth);
        assert!(cloud.message.contains("giving up"), "{cloud}");
        assert_eq!(client.login_count(), 2);
        assert_eq!(server.seen().iter().filter(|s| s.method == "POST").count(), 2);
    }

    /// A detach whose job is refused for an expired session is sent again after a new login,
    /// but only after its guard is checked again: a project moved in between stays where it is.
    #[tokio::test]
    async fn a_detach_resent_after_a_new_login_checks_its_guard_again() {
        const ELSEWHERE: &str = "0b0b0b0b0b0b4b0b8b0b0b0b0b0b0b0b";
        let logins = Arc::new(AtomicUsize::new(0));
        let server = Server::start(move |req, _| {
            if req.is_login() {
                let n = logins.fetch_add(1, Ordering::SeqCst) + 1;
                return session_reply(&format!("s{n}"));
            }
            if req.method == "GET" && req.path.ends_with("/organizations/refs") {
                // In our organization under the first session; moved by someone else by the time
                // the second session asks.
                let session = req.header("authorization").unwrap_or_default().to_string();
                let organization = if session.ends_with("s1") { ORG } else { ELSEWHERE };
                return ok(json!({"inventories": [{"projectUuid": PROJECT, "organizationUuid": organization}]}));
            }
            if req.method == "DELETE" {
                return accepted(internal_location(req.header("x-job-uuid").unwrap()));
            }
            zs_error(503, "ID.1001", "Session expired", "")
        })
        .await;
        let client = account_client(&server.url);
        let job = client.detach_project_from_organization(PROJECT, ORG).await.unwrap();
        let e = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        let cloud = e.cloud_error().unwrap_or_else(|| panic!("{e:?}"));
        assert_eq!(cloud.code.as_deref(), Some(iam2::NOT_IN_ORGANIZATION), "{cloud}");
        let lines = server.lines();
        let deletes = lines.iter().filter(|l| l.starts_with("DELETE")).count();
        let checks = lines.iter().filter(|l| l.ends_with("/organizations/refs")).count();
        assert_eq!((deletes, checks), (1, 2), "checked before each send; the resend was not sent: {lines:?}");
    }

    #[tokio::test]
    async fn submissions_are_not_resent_after_an_ambiguous_failure() {
        let server = Server::start(|_, _| Reply::HangUp).await;
        let client = access_key_client(&server.url);
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.is_ambiguous(), "{e:?}");
        let seen = server.seen();
        let posts: Vec<_> = seen.iter().filter(|s| s.method == "POST").collect();
        assert_eq!(posts.len(), 1, "a possibly processed submission is not repeated while its job cannot be looked up");
        let sent = posts[0].header("x-job-uuid").unwrap();
        assert!(
            seen.iter().filter(|s| s.method == "GET").all(|s| s.line() == format!("GET /zstack/v1/api-jobs/{sent}")),
            "only the job lookup follows"
        );
        assert_eq!(e.request_id.as_deref(), Some(sent));
        let job = client.ambiguous_job(&e).unwrap();
        assert_eq!(job.uuid, sent);
        assert_eq!(job.what(), "AttachIAM2ProjectToIAM2Organization job", "the job names its API");
        assert_eq!(job.location.as_str(), format!("{}zstack/v1/api-jobs/{sent}", server.url));
        // Not for other errors: another kind, a submission that never went out or that ZStack
        // answered, an error that names no job, or the error of a call that submits nothing.
        let mut other = e.clone();
        other.kind = ErrorKind::Invalid;
        assert!(client.ambiguous_job(&other).is_none());
        assert!(client.ambiguous_job(&e.clone().never_sent()).is_none());
        assert!(client.ambiguous_job(&e.clone().rejected()).is_none());
        let mut other = e.clone();
        other.request_id = None;
        assert!(client.ambiguous_job(&other).is_none());
        let lost_query = client.query_projects(&[]).await.unwrap_err();
        assert!(lost_query.is_ambiguous() && lost_query.request_id.is_none(), "{lost_query:?}");
        assert!(client.ambiguous_job(&lost_query).is_none());

        // Refused connections are retried (the server never saw them).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let e = access_key_client(&url).detach_project_unguarded(PROJECT).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains("cannot connect"), "{e}");

        // Queries are retried.
        let server = Server::start(|_, i| if i < 2 { Reply::HangUp } else { projects_reply() }).await;
        access_key_client(&server.url).query_projects(&[]).await.unwrap();
        assert_eq!(server.seen().len(), 3);
    }

    #[tokio::test]
    async fn a_refused_submission_started_no_job_and_is_reported_as_it_is() {
        for (status, code) in [(503, "SYS.1006"), (500, "SYS.1000")] {
            let server = Server::start(move |_, _| zs_error(status, code, "injected error", "injected error")).await;
            let client = access_key_client(&server.url);
            let submitted = client.attach_project_to_organization(PROJECT, ORG).await;
            let e = submitted.clone().unwrap_err();
            assert_eq!(e.code.as_deref(), Some(code));
            assert!(e.rejected && !e.is_ambiguous(), "{e:?}");
            assert!(client.ambiguous_job(&e).is_none());
            let seen = server.seen();
            assert_eq!(seen.len(), 1, "neither repeated nor followed by a job lookup");
            let sent = seen[0].header("x-job-uuid").unwrap();
            assert_eq!(e.request_id.as_deref(), Some(sent));
            assert_eq!(
                e.to_string(),
                format!(
                    "ZStack AttachIAM2ProjectToIAM2Organization failed: {code}: injected error \
                     (RequestId: {sent})"
                )
            );
            let waited =
                client.wait_submitted(submitted, Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
            assert_eq!(waited, WaitError::Cloud(e));
            assert_eq!(server.seen().len(), 1);
        }
    }

    #[tokio::test]
    async fn a_throttled_submission_is_sent_again_with_the_same_job_uuid() {
        let server = Server::start(|req, i| match i {
            0 | 1 => zs_error(503, "SYS.1010", "Management server is not ready to serve", "busy"),
            2 => accepted(internal_location(req.header("x-job-uuid").unwrap())),
            _ => ok(json!({"inventory": {"uuid": PROJECT}})),
        })
        .await;
        let client = access_key_client(&server.url);
        let submitted = client.detach_project_unguarded(PROJECT).await;
        let job = submitted.clone().unwrap();
        client.wait_submitted(submitted, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        let seen = server.seen();
        let deletes: Vec<_> = seen.iter().filter(|s| s.method == "DELETE").collect();
        assert_eq!(deletes.len(), 3);
        assert!(deletes.iter().all(|s| s.header("x-job-uuid") == Some(job.uuid.as_str())));
    }

    #[tokio::test]
    async fn a_lost_answer_whose_job_exists_is_waited_on() {
        let server = Server::start(|req, _| {
            if req.method == "POST" {
                // Applied, but the answer never arrives.
                return Reply::HangUp;
            }
            ok(json!({"inventory": {"uuid": PROJECT}}))
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].header("x-job-uuid"), Some(job.uuid.as_str()));
        assert_eq!(seen[1].line(), format!("GET /zstack/v1/api-jobs/{}", job.uuid));
        assert_eq!(job.what(), "AttachIAM2ProjectToIAM2Organization job");
        let result = client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(result["inventory"]["uuid"], PROJECT);
        assert_eq!(server.seen().iter().filter(|s| s.method == "POST").count(), 1, "never submitted twice");
    }

    #[tokio::test]
    async fn a_submission_zstack_never_received_is_sent_again_with_the_same_job_uuid() {
        let server = Server::start(|req, i| match i {
            // Dropped before ZStack saw it.
            0 => Reply::HangUp,
            // ZStack does not know the job.
            1 => Reply::Raw(404, "the job has been expired"),
            2 => accepted(internal_location(req.header("x-job-uuid").unwrap())),
            _ => ok(json!({"inventory": {"uuid": PROJECT}})),
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.attach_project_to_organization(PROJECT, ORG).await.unwrap();
        client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        let seen = server.seen();
        let posts: Vec<_> = seen.iter().filter(|s| s.method == "POST").collect();
        assert_eq!(posts.len(), 2);
        assert_eq!(posts[0].header("x-job-uuid"), Some(job.uuid.as_str()));
        assert_eq!(posts[1].header("x-job-uuid"), Some(job.uuid.as_str()));
        assert_eq!(posts[0].body, posts[1].body);

        // The first copy arrived in the meantime: ZStack refuses the duplicate uuid, and the
        // job of the first copy is waited on.
        let server = Server::start(|req, i| match i {
            0 => Reply::HangUp,
            1 => Reply::Raw(404, "the job has been expired"),
            2 => Reply::Raw(400, "Duplicate job uuid[0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f]"),
            3 => Reply::Json(202, json!({})),
            _ => {
                assert_eq!(req.method, "GET");
                ok(json!({"inventory": {"uuid": PROJECT}}))
            }
        })
        .await;
        let client = access_key_client(&server.url);
        let job = client.detach_project_unguarded(PROJECT).await.unwrap();
        client.wait_job(&job, Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(server.seen().iter().filter(|s| s.method == "DELETE").count(), 2);
    }

    #[tokio::test]
    async fn a_lost_submission_whose_job_turns_out_unknown_reports_the_submission() {
        // The lookup right after the lost answer fails too; the later wait finds no job.
        let server = Server::start(|req, _| {
            if req.method == "POST" {
                return Reply::HangUp;
            }
            Reply::Raw(404, "the job has been expired")
        })
        .await;
        let client = access_key_client(&server.url);
        // A lost submission whose lookup could not tell (as `settle_lost_submission` returns it).
        let lost = CloudError::new(
            ErrorKind::Transient,
            Cloud::ZStack,
            iam2::ATTACH_PROJECT_ACTION,
            "request failed to h: connection reset",
        )
        .with_request_id("0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f");
        let e =
            client.wait_submitted(Err(lost.clone()), Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        assert_eq!(e, WaitError::Cloud(lost));
        assert!(e.to_string().starts_with("ZStack AttachIAM2ProjectToIAM2Organization failed:"), "{e}");

        // Through a real submission: dropped, unknown, sent again, dropped again, still unknown.
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!(e.action, iam2::ATTACH_PROJECT_ACTION);
        assert!(e.is_ambiguous(), "{e:?}");
        let waited =
            client.wait_submitted(Err(e.clone()), Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        assert_eq!(waited, WaitError::Cloud(e));
        let posts = server.seen().into_iter().filter(|s| s.method == "POST").count();
        assert_eq!(posts, 2, "sent again once, not more");
    }

    #[tokio::test]
    async fn bad_submission_answers() {
        let server = Server::start(|_, i| match i {
            0 => ok(json!({})),
            1 => accepted("http://10.0.0.1:8080/zstack/v1/somewhere/else".into()),
            _ => zs_error(400, "SYS.1007", "Invalid argument", "bad uuid"),
        })
        .await;
        let client = access_key_client(&server.url);
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(e.message.contains("job location"), "{e}");
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert!(e.message.contains("does not name a job"), "{e}");
        assert!(e.request_id.is_some());
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(e.code.as_deref(), Some("SYS.1007"));
        assert_eq!(server.seen().len(), 3);
    }

    #[test]
    fn job_locations_are_rewritten() {
        let client = ZStackClient::new(ZStackConfig {
            endpoint: Url::parse("https://proxy.example/zs").unwrap(),
            auth: ZStackAuth::AccessKey { access_key_id: "AK".into(), access_key_secret: Secret::new("s") },
            retry: RetryPolicy::default(),
        })
        .unwrap();
        for location in [
            "http://192.168.0.10:8080/zstack/v1/api-jobs/0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f",
            "http://mn.internal/zstack/v1/api-jobs/0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f/",
            "/zstack/v1/api-jobs/0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f",
        ] {
            let job = client.job_from_location("A", location).unwrap();
            assert_eq!(job.uuid, "0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f");
            assert_eq!(
                job.location.as_str(),
                "https://proxy.example/zs/zstack/v1/api-jobs/0f0f0f0f0f0f4f0f8f0f0f0f0f0f0f0f",
                "{location}"
            );
        }
        for bad in
            ["", "http://h/zstack/v1/api-jobs/", "http://h/zstack/v1/other/x", "http://h/zstack/v1/api-jobs/a%20b"]
        {
            assert!(client.job_from_location("A", bad).is_err(), "{bad}");
        }
        assert!(client.job("../x").is_err());
    }

    /// A token that fires after `after`, as an operation's stop does at its deadline.
    fn stop_after(after: Duration) -> CancellationToken {
        let token = CancellationToken::new();
        let fire = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            fire.cancel();
        });
        token
    }

    #[tokio::test]
    async fn a_write_stopped_before_it_went_out_is_never_sent_and_one_stopped_on_the_wire_is_not() {
        // The login hangs: the attach never goes out.
        let server = Server::start(|req, _| {
            assert!(req.is_login(), "{}", req.line());
            Reply::Stall
        })
        .await;
        let client = account_client(&server.url).with_cancellation(stop_after(Duration::from_millis(100)));
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!((e.kind, e.action.as_str()), (ErrorKind::Cancelled, LOGIN_ACTION));
        assert!(e.never_sent && !e.is_ambiguous(), "{e:?}");

        // The detach's guard (a read) hangs: the detach never goes out.
        let server = Server::start(|req, _| {
            assert_eq!(req.method, "GET", "{}", req.line());
            Reply::Stall
        })
        .await;
        let client = access_key_client(&server.url).with_cancellation(stop_after(Duration::from_millis(100)));
        let e = client.detach_project_from_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert!(e.never_sent && !e.is_ambiguous(), "{e:?}");

        // The attach itself hangs: it may have reached ZStack.
        let server = Server::start(|_, _| Reply::Stall).await;
        let client = access_key_client(&server.url).with_cancellation(stop_after(Duration::from_millis(100)));
        let e = client.attach_project_to_organization(PROJECT, ORG).await.unwrap_err();
        assert_eq!((e.kind, e.action.as_str()), (ErrorKind::Cancelled, iam2::ATTACH_PROJECT_ACTION));
        assert!(e.is_ambiguous(), "{e:?}");
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn a_hung_endpoint_holds_a_write_no_longer_than_its_token() {
        // Accepts every connection and never answers: the submission, its retries and its job
        // lookups would each wait out the HTTP timeout; the token ends them all.
        let server = Server::start(|_, _| Reply::Stall).await;
        let client = account_client(&server.url).with_cancellation(stop_after(Duration::from_millis(300)));
        let started = std::time::Instant::now();
        let submitted = client.attach_project_to_organization(PROJECT, ORG).await;
        let e = client.wait_submitted(submitted, Duration::from_secs(3600), &fast_poll(), None).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
        assert!(matches!(&e, WaitError::Cloud(e) if e.kind == ErrorKind::Cancelled && e.never_sent), "{e:?}");
    }
}
