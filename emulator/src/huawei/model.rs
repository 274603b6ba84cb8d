//! Persisted Huawei Cloud state: credentials, accounts, and the Organizations, RGC and Identity
//! Center worlds. Times are Unix milliseconds (formatted on output); asynchronous jobs store their
//! start time and duration, so their status is computed on read and survives a restart.

use serde::{Deserialize, Serialize};

/// An AK/SK the emulator accepts. A `security_token` makes it a temporary credential: requests
/// signed with it must carry that token in `X-Security-Token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HuaweiCredential {
    pub access_key: String,
    pub secret_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_token: Option<String>,
    /// The account (domain) the key belongs to. On Huawei Cloud the domain id is the account id.
    pub account_id: String,
    pub account_name: String,
    pub domain_id: String,
    /// The account's project in [`HuaweiWorld::region`] (what `X-Project-Id` must say).
    pub project_id: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HuaweiWorld {
    /// The one region with projects (RGC's home region).
    pub region: String,
    pub accounts: Vec<Account>,
    pub organizations: OrganizationsWorld,
    pub rgc: RgcWorld,
    pub identity_center: IdentityCenterWorld,
}

/// A Huawei Cloud account (IAM domain).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub email: String,
    pub project_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationsWorld {
    pub organization: Organization,
    pub handshakes: Vec<Handshake>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub urn: String,
    pub management_account_id: String,
    pub created_at: i64,
    /// Every account in the organization, the management account included.
    pub members: Vec<Membership>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub account_id: String,
    /// `invited` or `created` (the management account).
    pub join_method: String,
    /// `active` (the emulator never suspends or closes accounts).
    pub status: String,
    pub joined_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handshake {
    pub id: String,
    pub urn: String,
    pub organization_id: String,
    pub management_account_id: String,
    /// `account` or `name`, and the id or name as the inviter wrote it.
    pub target_type: String,
    pub target_entity: String,
    /// The invited account, resolved at invitation time.
    pub target_account_id: String,
    pub notes: String,
    /// `pending`, `accepted`, `declined`, `cancelled` or `expired`.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub expired_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RgcWorld {
    pub landing_zone_version: String,
    pub organizational_units: Vec<OrganizationalUnit>,
    pub managed_accounts: Vec<ManagedAccount>,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationalUnit {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManagedAccount {
    pub account_id: String,
    /// `MANAGEMENT` or `MEMBER`.
    pub account_type: String,
    /// `RGC` (set up by the landing zone) or `CUSTOM` (enrolled).
    pub owner: String,
    /// `ENROLLING`, `ENROLLED`, `UPDATING` or `UN_ENROLLING`.
    pub state: String,
    pub parent_organizational_unit_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<Blueprint>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Blueprint {
    pub blueprint_product_id: Option<String>,
    pub blueprint_product_version: Option<String>,
    pub variables: Option<String>,
    pub is_blueprint_has_multi_account_resource: Option<bool>,
}

/// How an injected `async_fail` / `async_hang` fault shapes a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobFault {
    Fail { message: String },
    Hang,
}

/// An asynchronous job's timing and fate: it is in progress until `started_at + duration_ms`,
/// then it succeeds (or fails with the fault's message); a hanging job never finishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobClock {
    pub started_at: i64,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<JobFault>,
    /// Set once the job's end has been applied to the world.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<JobEnd>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEnd {
    /// `SUCCEEDED` or `FAILED`.
    pub status: String,
    pub message: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Enroll,
    Update,
    UnEnroll,
}

/// An RGC operation (EnrollAccount, UpdateManagedAccount, UnEnrollAccount).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub operation_id: String,
    pub kind: OperationKind,
    pub account_id: String,
    /// The OU the account ends up in (enroll, update).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_organizational_unit_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blueprint: Option<Blueprint>,
    pub clock: JobClock,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityCenterWorld {
    pub instance: Instance,
    pub users: Vec<Principal>,
    pub groups: Vec<Principal>,
    pub permission_sets: Vec<PermissionSet>,
    pub assignments: Vec<Assignment>,
    pub assignment_requests: Vec<AssignmentRequest>,
    /// Creation sequence of assignments (paging order).
    pub next_assignment_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub instance_id: String,
    pub identity_store_id: String,
    pub alias: String,
    pub instance_urn: String,
}

/// A user or group of the identity store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionSet {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentKey {
    pub permission_set_id: String,
    pub principal_id: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// The target account.
    pub account_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    #[serde(flatten)]
    pub key: AssignmentKey,
    pub seq: u64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentRequestKind {
    Create,
    Delete,
}

/// A CreateAccountAssignment / DeleteAccountAssignment request and its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRequest {
    pub request_id: String,
    pub kind: AssignmentRequestKind,
    #[serde(flatten)]
    pub key: AssignmentKey,
    pub clock: JobClock,
}

impl HuaweiWorld {
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

impl Organization {
    pub fn membership(&self, account_id: &str) -> Option<&Membership> {
        self.members.iter().find(|m| m.account_id == account_id)
    }

    pub fn is_member(&self, account_id: &str) -> bool {
        self.membership(account_id).is_some()
    }
}

impl RgcWorld {
    pub fn ou(&self, id: &str) -> Option<&OrganizationalUnit> {
        self.organizational_units.iter().find(|ou| ou.id == id)
    }

    pub fn managed(&self, account_id: &str) -> Option<&ManagedAccount> {
        self.managed_accounts.iter().find(|m| m.account_id == account_id)
    }

    pub fn managed_mut(&mut self, account_id: &str) -> Option<&mut ManagedAccount> {
        self.managed_accounts.iter_mut().find(|m| m.account_id == account_id)
    }

    /// The unfinished operation on `account_id`, if any.
    pub fn running_operation(&self, account_id: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.account_id == account_id && op.clock.finished.is_none())
    }
}

impl IdentityCenterWorld {
    /// The user (`USER`) or group (`GROUP`) with `id`.
    pub fn principal(&self, principal_type: &str, id: &str) -> Option<&Principal> {
        let pool = match principal_type {
            "USER" => &self.users,
            "GROUP" => &self.groups,
            _ => return None,
        };
        pool.iter().find(|p| p.id == id)
    }

    pub fn permission_set(&self, id: &str) -> Option<&PermissionSet> {
        self.permission_sets.iter().find(|p| p.id == id)
    }

    pub fn assignment_index(&self, key: &AssignmentKey) -> Option<usize> {
        self.assignments.iter().position(|a| &a.key == key)
    }

    /// The unfinished create or delete request for `key`, if any.
    pub fn running_request(&self, key: &AssignmentKey) -> Option<&AssignmentRequest> {
        self.assignment_requests.iter().find(|r| &r.key == key && r.clock.finished.is_none())
    }
}
