//! Persisted ZStack state: credentials (accounts and AccessKeys), sessions, IAM2 projects and
//! organizations, project↔organization refs, and asynchronous API jobs. Times are Unix
//! milliseconds, formatted on output like ZStack (`Nov 14, 2017 10:20:57 PM`, UTC).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ErrorObject;

/// The accounts and AccessKeys the emulator accepts (shown under `credentials.zstack`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZStackCredentials {
    pub accounts: Vec<ZStackAccount>,
    pub access_keys: Vec<ZStackAccessKey>,
}

/// An account that can log in with `LogInByAccount`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZStackAccount {
    pub account_name: String,
    /// The plaintext (a public fixture); clients send `password_sha512`.
    pub password: String,
    /// Lower-case hex SHA-512 of `password`: what `logInByAccount.password` must be.
    pub password_sha512: String,
    pub account_uuid: String,
    pub description: String,
}

/// An AccessKey (`Authorization: ZStack <id>:<signature>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZStackAccessKey {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub account_uuid: String,
    /// `Enabled` or `Disabled` (a disabled key is refused like an unknown one).
    pub state: String,
    pub description: String,
}

impl ZStackAccessKey {
    pub fn is_enabled(&self) -> bool {
        self.state == ACCESS_KEY_ENABLED
    }
}

pub const ACCESS_KEY_ENABLED: &str = "Enabled";
pub const ACCESS_KEY_DISABLED: &str = "Disabled";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZStackWorld {
    /// Live sessions (expired ones are dropped when next seen).
    pub sessions: Vec<Session>,
    pub projects: Vec<Project>,
    pub organizations: Vec<Organization>,
    /// At most one per project (a project belongs to at most one organization).
    pub project_organization_refs: Vec<ProjectOrganizationRef>,
    pub next_ref_id: u64,
    /// Every asynchronous API job, finished ones included (their results stay readable).
    pub jobs: Vec<Job>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub uuid: String,
    pub account_uuid: String,
    pub user_uuid: String,
    pub created_at: i64,
    /// Valid until this instant (exclusive).
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub linked_account_uuid: String,
    /// `Enabled` or `Disabled`.
    pub state: String,
    pub created_at: i64,
    pub last_op_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub uuid: String,
    pub name: String,
    pub description: String,
    pub parent_uuid: Option<String>,
    /// `Enabled` or `Disabled`.
    pub state: String,
    /// `Company` or `Department`.
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: i64,
    pub last_op_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectOrganizationRef {
    pub id: u64,
    pub project_uuid: String,
    pub organization_uuid: String,
    pub created_at: i64,
    pub last_op_at: i64,
}

/// The two asynchronous IAM2 APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    AttachIAM2ProjectToIAM2Organization,
    DetachIAM2ProjectFromIAM2Organization,
}

/// An asynchronous API job (`/zstack/v1/api-jobs/{uuid}`): running from `started_at` for
/// `duration_ms`, then finished with the API's result or an error. Its outcome is decided when it
/// finishes, against the world at that moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// 32 lower-case hex digits (the API message id; `X-Job-UUID` when the client chose it).
    pub uuid: String,
    pub kind: JobKind,
    pub project_uuid: String,
    /// Attach only.
    pub organization_uuid: Option<String>,
    pub started_at: i64,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<JobFault>,
    /// Set once the job has finished; final.
    pub finished: Option<JobEnd>,
}

/// How an injected fault shapes a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum JobFault {
    /// Ends with this error after its usual duration; nothing is applied.
    Fail { code: String, message: String },
    /// Never ends.
    Hang,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEnd {
    pub at: i64,
    /// The API result (`{"inventory": …}`) of a successful job.
    pub result: Option<Value>,
    /// The error of a failed job.
    pub error: Option<ErrorObject>,
}

impl ZStackWorld {
    pub fn project(&self, uuid: &str) -> Option<&Project> {
        self.projects.iter().find(|p| p.uuid == uuid)
    }

    pub fn organization(&self, uuid: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.uuid == uuid)
    }

    /// The organization ref of `project_uuid`, if it is attached.
    pub fn project_ref(&self, project_uuid: &str) -> Option<&ProjectOrganizationRef> {
        self.project_organization_refs.iter().find(|r| r.project_uuid == project_uuid)
    }

    pub fn job(&self, uuid: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.uuid == uuid)
    }
}
