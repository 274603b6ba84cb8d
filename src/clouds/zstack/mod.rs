//! ZStack: configuration, authentication, the error envelope and the asynchronous-job protocol.
//! The IAM2 calls are in [`iam2`].
//!
//! Every API lives under `<endpoint>/zstack/v1/…`.
//!
//! **Authentication.** With an account, the client logs in lazily
//! (`PUT /zstack/v1/accounts/login`, the password as lower-hex SHA-512) the first time a call
//! needs a session, and every clone of the client shares that one session (concurrent first calls
//! wait for a single login). A call rejected with `ID.1001` (invalid or expired session) logs in
//! again once and is retried once; a second rejection is an `Auth` error. A login refused for bad
//! credentials is remembered, so a wrong password is sent once, not once per call (ZStack can
//! lock accounts after repeated failures). [`ZStackClient::logout`] ends the session. With an
//! AccessKey, every request is signed instead ([`auth`]); there is no session.
//!
//! **Asynchronous jobs.** Every non-GET API except login and logout answers `202` with
//! `{"location": "http://<host>:<port>/zstack/v1/api-jobs/<uuid>"}`. The location's scheme, host
//! and port are replaced by the configured endpoint's (the management node may report an internal
//! address). Polling it gives `202` while the job runs, `200` with the API result when it
//! succeeded, `503` with `{"error": {...}}` when it failed and `404` once the job is unknown
//! (results expire after about two days). Each submission carries a fresh `X-Job-UUID`, which
//! becomes the API message's id and the job's uuid, and is put in [`CloudError::request_id`](crate::clouds::CloudError::request_id) of
//! any error of that submission. A submission ZStack answers with an error started no job; one
//! that got no answer at all is settled by looking its job up (see [`jobs`]): a known job is
//! waited on, an unknown one is sent again with the same `X-Job-UUID`. When even the lookup
//! fails, the caller can wait on [`ZStackClient::ambiguous_job`] (or use
//! [`ZStackClient::wait_submitted`]) instead of submitting again.
//!
//! **Retries.** Queries and job polls are retried on throttling and transient errors;
//! submissions on throttling (`SYS.1010`, HTTP 429) and when the request certainly never reached
//! the server (failed connect, or a job ZStack does not know, as above).
//!
//! Real ZStack checks a session inside the management node, after a submission has been accepted:
//! an expired session then shows up as a job that fails with `ID.1001`. [`ZStackClient::wait_job`]
//! treats that like a rejected call: it logs in again once and submits the job once more.

pub mod auth;
mod client;
mod error;
pub mod iam2;
mod ids;
pub mod jobs;
mod query;
mod request;
mod session;
#[cfg(test)]
pub(crate) mod test_support;

use url::Url;

pub use auth::{AccessKeySigner, password_digest};
pub use client::{CONTEXT_PATH, ZStackClient};
pub(crate) use error::invalid;
pub use error::{
    ACCESS_KEY_REJECTED, AUTHENTICATION_ERROR_CODE, INVALID_SESSION_CODE, ZStackError, classify_error,
    is_invalid_session, parse_error_body,
};
pub use iam2::{Iam2Organization, Iam2Project, OrganizationProjectRef, ProjectAttribute};
pub use ids::{new_job_uuid, normalize_uuid};
pub use jobs::{JOB_WHAT, Job, JobStatus, POLL_JOB_ACTION, X_JOB_UUID};
pub use query::{Condition, QueryOp};
pub use session::{LOGIN_ACTION, LOGOUT_ACTION};

use super::Secret;
use super::http::RetryPolicy;

/// Lenient field decoders (shared with Huawei).
pub(crate) use super::lenient as de;

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZStackAuth {
    /// Log in with an account; the plaintext password is hashed (SHA-512) before it is sent.
    Account { account_name: String, password: Secret },
    /// Sign every request with an AccessKey (enterprise editions).
    AccessKey { access_key_id: String, access_key_secret: Secret },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZStackConfig {
    /// The management node's base URL, e.g. `http://10.0.0.5:8080` (a path prefix is kept, for
    /// reverse proxies); APIs are at `/zstack/v1/…` under it. A URL that already ends in
    /// `/zstack` (or `/zstack/v1`) is accepted as well.
    pub endpoint: Url,
    pub auth: ZStackAuth,
    pub retry: RetryPolicy,
}
