//! Huawei Cloud IAM Identity Center (global): instances, account assignments (asynchronous,
//! tracked by a request id) and disassociate-profile, which removes *all* account assignments of
//! one user or group.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{ApiRequest, HuaweiConfig, PageInfo, Scope, Service, json_body, lenient, require_id};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::HttpClient;
use crate::clouds::reconcile::{self, DetachError, Detached, Presence};
use crate::clouds::waiter::{PollPolicy, PollState, WaitError, wait_for};

pub const LIST_INSTANCES_ACTION: &str = "ListInstances";
pub const CREATE_ACCOUNT_ASSIGNMENT_ACTION: &str = "CreateAccountAssignment";
pub const DESCRIBE_CREATION_STATUS_ACTION: &str = "DescribeAccountAssignmentCreationStatus";
pub const DELETE_ACCOUNT_ASSIGNMENT_ACTION: &str = "DeleteAccountAssignment";
pub const DESCRIBE_DELETION_STATUS_ACTION: &str = "DescribeAccountAssignmentDeletionStatus";
pub const LIST_ASSIGNMENTS_ACTION: &str = "ListAccountAssignments";
pub const LIST_ASSIGNMENTS_FOR_PRINCIPAL_ACTION: &str = "ListAccountAssignmentsForPrincipal";
pub const DISASSOCIATE_PROFILE_ACTION: &str = "DisassociateProfile";

/// What the waiters call the things they wait for: the request the API started, so failures
/// and time-outs name it (`CreateAccountAssignment request <id> ended FAILED: …`).
pub const CREATION_WHAT: &str = "CreateAccountAssignment request";
pub const DELETION_WHAT: &str = "DeleteAccountAssignment request";

/// "A create or delete of the same assignment is in progress" (409, retryable).
pub fn is_change_in_progress(error: &CloudError) -> bool {
    matches!(error.code.as_deref(), Some("IdentityCenter.1006" | "IIC.1006"))
}

pub const STATUS_IN_PROGRESS: &str = "IN_PROGRESS";
pub const STATUS_SUCCEEDED: &str = "SUCCEEDED";
pub const STATUS_FAILED: &str = "FAILED";
/// The only `target_type` the API knows.
pub const TARGET_TYPE_ACCOUNT: &str = "ACCOUNT";

/// An Identity Center instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Instance {
    #[serde(deserialize_with = "lenient::string")]
    pub instance_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_store_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub alias: String,
    #[serde(deserialize_with = "lenient::string")]
    pub instance_urn: String,
}

/// The key of one account assignment (the target type is always `ACCOUNT`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AssignmentTarget {
    pub permission_set_id: String,
    pub principal_id: String,
    /// `USER` or `GROUP`.
    pub principal_type: String,
    /// The account id.
    pub target_id: String,
}

/// The state of an asynchronous assignment creation or deletion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssignmentStatus {
    #[serde(deserialize_with = "lenient::string")]
    pub request_id: String,
    /// `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(deserialize_with = "lenient::string")]
    pub failure_reason: String,
    /// Milliseconds since the epoch.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub created_date: Option<i64>,
    #[serde(deserialize_with = "lenient::string")]
    pub permission_set_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub principal_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub principal_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub target_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub target_type: String,
}

impl AssignmentStatus {
    /// How a poll counts for [`wait_for`]: `SUCCEEDED` is done, `FAILED` a failure with
    /// `failure_reason`, anything else (as the Terraform provider does) still in progress.
    pub fn poll_state(self) -> PollState<AssignmentStatus> {
        match self.status.as_str() {
            STATUS_SUCCEEDED => PollState::Done(self),
            STATUS_FAILED => PollState::Failed { status: self.status, message: self.failure_reason },
            "" => PollState::Pending { progress: Some("no status".to_owned()) },
            _ => PollState::Pending { progress: Some(self.status) },
        }
    }
}

/// One account assignment of a principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountAssignment {
    #[serde(deserialize_with = "lenient::string")]
    pub account_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub permission_set_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub principal_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub principal_type: String,
}

#[derive(Deserialize)]
struct InstancePage {
    #[serde(default, deserialize_with = "lenient::vec")]
    instances: Vec<Instance>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct AssignmentPage {
    #[serde(default, deserialize_with = "lenient::vec")]
    account_assignments: Vec<AccountAssignment>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct CreationStatusResponse {
    account_assignment_creation_status: Option<AssignmentStatus>,
}

#[derive(Deserialize)]
struct DeletionStatusResponse {
    account_assignment_deletion_status: Option<AssignmentStatus>,
}

/// Creating and deleting an account assignment are one asynchronous protocol under two sets
/// of names: `POST .../account-assignments/{verb}` starts it, `GET
/// .../account-assignments/{status_path}/{request_id}` follows it.
struct AssignmentChange<R> {
    start_action: &'static str,
    status_action: &'static str,
    verb: &'static str,
    status_path: &'static str,
    /// What the waiter calls it.
    what: &'static str,
    /// The status out of either call's response.
    status: fn(R) -> Option<AssignmentStatus>,
}

const CREATION: AssignmentChange<CreationStatusResponse> = AssignmentChange {
    start_action: CREATE_ACCOUNT_ASSIGNMENT_ACTION,
    status_action: DESCRIBE_CREATION_STATUS_ACTION,
    verb: "create",
    status_path: "creation-status",
    what: CREATION_WHAT,
    status: |resp| resp.account_assignment_creation_status,
};

const DELETION: AssignmentChange<DeletionStatusResponse> = AssignmentChange {
    start_action: DELETE_ACCOUNT_ASSIGNMENT_ACTION,
    status_action: DESCRIBE_DELETION_STATUS_ACTION,
    verb: "delete",
    status_path: "deletion-status",
    what: DELETION_WHAT,
    status: |resp| resp.account_assignment_deletion_status,
};

#[derive(Serialize)]
struct AssignmentBody<'a> {
    permission_set_id: &'a str,
    principal_id: &'a str,
    principal_type: &'a str,
    target_id: &'a str,
    target_type: &'a str,
}

#[derive(Serialize)]
struct DisassociateBody<'a> {
    id: &'a str,
    accessor_type: &'a str,
    identity_store_id: &'a str,
}

/// Client for IAM Identity Center. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct IdentityCenterClient {
    svc: Arc<Service>,
    cancel: Option<CancellationToken>,
}

impl IdentityCenterClient {
    pub fn new(cfg: &HuaweiConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::Huawei)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: &HuaweiConfig, http: HttpClient) -> Result<Self, CloudError> {
        let svc = Service::new(cfg, http, &cfg.endpoints.identitycenter, Scope::Global, "identitycenter")?;
        Ok(Self { svc, cancel: None })
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { svc: Arc::clone(&self.svc), cancel: Some(token) }
    }

    /// Every instance (`GET /v1/instances`, all pages); this is where `identity_store_id`
    /// comes from.
    pub async fn list_instances(&self) -> Result<Vec<Instance>, CloudError> {
        self.svc
            .list_all(self.cancel.as_ref(), LIST_INSTANCES_ACTION, &["v1", "instances"], &[], |page: InstancePage| {
                (page.instances, page.page_info)
            })
            .await
    }

    /// Starts creating an account assignment
    /// (`POST /v1/instances/{id}/account-assignments/create`). Not idempotent: only throttling
    /// and failed connects are retried. Follow it with [`wait_creation`](Self::wait_creation).
    pub async fn create_account_assignment(
        &self,
        instance_id: &str,
        target: &AssignmentTarget,
    ) -> Result<AssignmentStatus, CloudError> {
        self.start_change(&CREATION, instance_id, target).await
    }

    /// `GET /v1/instances/{id}/account-assignments/creation-status/{request_id}`.
    pub async fn describe_creation_status(
        &self,
        instance_id: &str,
        request_id: &str,
    ) -> Result<AssignmentStatus, CloudError> {
        self.describe_change(&CREATION, instance_id, request_id).await
    }

    /// Starts deleting one account assignment
    /// (`POST /v1/instances/{id}/account-assignments/delete`). Not idempotent, like create.
    pub async fn delete_account_assignment(
        &self,
        instance_id: &str,
        target: &AssignmentTarget,
    ) -> Result<AssignmentStatus, CloudError> {
        self.start_change(&DELETION, instance_id, target).await
    }

    /// `GET /v1/instances/{id}/account-assignments/deletion-status/{request_id}`.
    pub async fn describe_deletion_status(
        &self,
        instance_id: &str,
        request_id: &str,
    ) -> Result<AssignmentStatus, CloudError> {
        self.describe_change(&DELETION, instance_id, request_id).await
    }

    async fn start_change<R: DeserializeOwned>(
        &self,
        change: &AssignmentChange<R>,
        instance_id: &str,
        target: &AssignmentTarget,
    ) -> Result<AssignmentStatus, CloudError> {
        let action = change.start_action;
        let body = assignment_body(action, instance_id, target)?;
        let req = ApiRequest {
            action,
            method: Method::POST,
            path: &["v1", "instances", instance_id, "account-assignments", change.verb],
            query: &[],
            body: Some(body),
            idempotent: false,
        };
        let resp: R = self.svc.call_json(self.cancel.as_ref(), req).await?;
        status_or_error(action, (change.status)(resp))
    }

    async fn describe_change<R: DeserializeOwned>(
        &self,
        change: &AssignmentChange<R>,
        instance_id: &str,
        request_id: &str,
    ) -> Result<AssignmentStatus, CloudError> {
        let action = change.status_action;
        require_id(action, "instance_id", instance_id)?;
        require_id(action, "request_id", request_id)?;
        let req = ApiRequest {
            action,
            method: Method::GET,
            path: &["v1", "instances", instance_id, "account-assignments", change.status_path, request_id],
            query: &[],
            body: None,
            idempotent: true,
        };
        let resp: R = self.svc.call_json(self.cancel.as_ref(), req).await?;
        status_or_error(action, (change.status)(resp))
    }

    /// Every account assignment on one account, of any principal
    /// (`GET /v1/instances/{id}/account-assignments?account_id=`, all pages).
    pub async fn list_account_assignments(
        &self,
        instance_id: &str,
        account_id: &str,
    ) -> Result<Vec<AccountAssignment>, CloudError> {
        let action = LIST_ASSIGNMENTS_ACTION;
        require_id(action, "instance_id", instance_id)?;
        require_id(action, "account_id", account_id)?;
        self.svc
            .list_all(
                self.cancel.as_ref(),
                action,
                &["v1", "instances", instance_id, "account-assignments"],
                &[("account_id", account_id)],
                |page: AssignmentPage| (page.account_assignments, page.page_info),
            )
            .await
    }

    /// Every account assignment of one principal
    /// (`GET /v1/instances/{id}/account-assignments-for-principals?principal_id=&principal_type=`,
    /// all pages). Empty when the principal has none.
    pub async fn list_account_assignments_for_principal(
        &self,
        instance_id: &str,
        principal_id: &str,
        principal_type: &str,
    ) -> Result<Vec<AccountAssignment>, CloudError> {
        let action = LIST_ASSIGNMENTS_FOR_PRINCIPAL_ACTION;
        require_id(action, "instance_id", instance_id)?;
        require_id(action, "principal_id", principal_id)?;
        require_id(action, "principal_type", principal_type)?;
        self.svc
            .list_all(
                self.cancel.as_ref(),
                action,
                &["v1", "instances", instance_id, "account-assignments-for-principals"],
                &[("principal_id", principal_id), ("principal_type", principal_type)],
                |page: AssignmentPage| (page.account_assignments, page.page_info),
            )
            .await
    }

    /// Removes **all** account assignments of a user or group
    /// (`POST /v1/instances/{id}/disassociate-profile`, body
    /// `{"id","accessor_type","identity_store_id"}`).
    ///
    /// Not idempotent: only throttling and failed connects are retried. A repeat after a lost
    /// answer would also remove assignments added since by someone else; use
    /// [`disassociate_profile_reconciled`](Self::disassociate_profile_reconciled), which reads
    /// first.
    pub async fn disassociate_profile(
        &self,
        instance_id: &str,
        principal_id: &str,
        accessor_type: &str,
        identity_store_id: &str,
    ) -> Result<(), CloudError> {
        let action = DISASSOCIATE_PROFILE_ACTION;
        require_id(action, "instance_id", instance_id)?;
        require_id(action, "principal id", principal_id)?;
        require_id(action, "accessor_type", accessor_type)?;
        require_id(action, "identity_store_id", identity_store_id)?;
        let body = json_body(action, &DisassociateBody { id: principal_id, accessor_type, identity_store_id })?;
        let req = ApiRequest {
            action,
            method: Method::POST,
            path: &["v1", "instances", instance_id, "disassociate-profile"],
            query: &[],
            body: Some(body),
            idempotent: false,
        };
        self.svc.call_empty(self.cancel.as_ref(), req).await
    }

    /// Disassociates the principal's profile; after an answer that may have been lost, reads the
    /// principal's assignments (ListAccountAssignmentsForPrincipal) before deciding whether to
    /// send DisassociateProfile again (see [`reconcile`](crate::clouds::reconcile)).
    ///
    /// `intended` lists the `(permission_set_id, account_id)` assignments the caller means to
    /// remove (what it last knew the principal to have). No assignments left (or an unknown
    /// principal) means done. DisassociateProfile removes all of them at once, so if any
    /// intended one is still there the call did not take effect and is sent again. If only
    /// others are there, the call took effect and they were added afterwards — by someone who
    /// wants them — so they are left alone ([`Detached::Replaced`]) rather than removed by a
    /// call made before they existed.
    ///
    /// The read after a lost answer goes through a handle on `settle` when given: it must still
    /// run after this handle's own token stopped the DisassociateProfile in flight (see
    /// [`reconcile::detach`]).
    pub async fn disassociate_profile_reconciled(
        &self,
        instance_id: &str,
        principal_id: &str,
        accessor_type: &str,
        identity_store_id: &str,
        intended: &[(String, String)],
        settle: Option<&CancellationToken>,
    ) -> Result<Detached, DetachError> {
        let reader = settle.map_or_else(|| self.clone(), |token| self.with_cancellation(token.clone()));
        let reader = &reader;
        reconcile::detach(
            self.svc.retry(),
            self.cancel.as_ref(),
            || self.disassociate_profile(instance_id, principal_id, accessor_type, identity_store_id),
            || async move {
                let left =
                    match reader.list_account_assignments_for_principal(instance_id, principal_id, accessor_type).await
                    {
                        Ok(left) => left,
                        Err(e) if e.is_not_found() => Vec::new(),
                        Err(e) => return Err(e),
                    };
                if left.is_empty() {
                    return Ok(Presence::Gone);
                }
                let is_intended = |a: &AccountAssignment| {
                    intended.iter().any(|(ps, account)| *ps == a.permission_set_id && *account == a.account_id)
                };
                if left.iter().any(is_intended) {
                    return Ok(Presence::Present);
                }
                let added: Vec<String> =
                    left.iter().map(|a| format!("{} on {}", a.permission_set_id, a.account_id)).collect();
                Ok(Presence::Replaced(format!("assignments added since: {}", added.join(", "))))
            },
        )
        .await
    }

    /// Polls [`describe_creation_status`](Self::describe_creation_status) until `SUCCEEDED`
    /// (returned), `FAILED` (`WaitError::Failed` with the failure reason), `timeout`, or
    /// cancellation (`cancel`, or else this handle's own token).
    pub async fn wait_creation(
        &self,
        instance_id: &str,
        request_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<AssignmentStatus, WaitError> {
        self.wait_change(&CREATION, instance_id, request_id, timeout, policy, cancel).await
    }

    /// Like [`wait_creation`](Self::wait_creation), for a deletion.
    pub async fn wait_deletion(
        &self,
        instance_id: &str,
        request_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<AssignmentStatus, WaitError> {
        self.wait_change(&DELETION, instance_id, request_id, timeout, policy, cancel).await
    }

    async fn wait_change<R: DeserializeOwned>(
        &self,
        change: &AssignmentChange<R>,
        instance_id: &str,
        request_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<AssignmentStatus, WaitError> {
        let cancel = cancel.or(self.cancel.as_ref());
        wait_for(change.what, request_id, timeout, policy, cancel, || async {
            Ok(self.describe_change(change, instance_id, request_id).await?.poll_state())
        })
        .await
    }
}

fn assignment_body(action: &str, instance_id: &str, target: &AssignmentTarget) -> Result<Vec<u8>, CloudError> {
    require_id(action, "instance_id", instance_id)?;
    require_id(action, "permission_set_id", &target.permission_set_id)?;
    require_id(action, "principal_id", &target.principal_id)?;
    require_id(action, "principal_type", &target.principal_type)?;
    require_id(action, "target_id", &target.target_id)?;
    json_body(
        action,
        &AssignmentBody {
            permission_set_id: &target.permission_set_id,
            principal_id: &target.principal_id,
            principal_type: &target.principal_type,
            target_id: &target.target_id,
            target_type: TARGET_TYPE_ACCOUNT,
        },
    )
}

fn status_or_error(action: &str, status: Option<AssignmentStatus>) -> Result<AssignmentStatus, CloudError> {
    status.ok_or_else(|| {
        CloudError::new(ErrorKind::Other, Cloud::Huawei, action, "the response has no assignment status")
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::clouds::huawei::test_support::*;

    fn client(server: &Server) -> IdentityCenterClient {
        IdentityCenterClient::new(&config(&server.url)).unwrap()
    }

    fn fast_poll() -> PollPolicy {
        PollPolicy {
            initial_delay: Duration::from_millis(1),
            interval: Duration::from_millis(2),
            max_interval: Duration::from_millis(4),
            multiplier: 2.0,
        }
    }

    fn target() -> AssignmentTarget {
        AssignmentTarget {
            permission_set_id: "ps-1".into(),
            principal_id: "user-1".into(),
            principal_type: "USER".into(),
            target_id: "acc-1".into(),
        }
    }

    fn status(key: &str, request_id: &str, status: &str, reason: Value) -> Reply {
        ok(json!({ key: {"request_id": request_id, "status": status, "failure_reason": reason,
            "created_date": 1_700_000_000_000i64, "permission_set_id": "ps-1", "principal_id": "user-1",
            "principal_type": "USER", "target_id": "acc-1", "target_type": "ACCOUNT"}}))
    }

    #[tokio::test]
    async fn list_instances_pages_with_domain_header() {
        let server = Server::start(|req, _| {
            assert_eq!(req.line(), "GET /v1/instances");
            match req.query_param("marker").as_deref() {
                None => ok(json!({"instances": [{"instance_id": "ins-1", "identity_store_id": "d-1",
                    "alias": "main", "instance_urn": "IdentityCenter::1:instance:ins-1"}],
                    "page_info": {"next_marker": "ins-1", "current_count": 1}})),
                Some("ins-1") => ok(json!({"instances": [], "page_info": {"next_marker": null}})),
                other => panic!("{other:?}"),
            }
        })
        .await;
        let instances = client(&server).list_instances().await.unwrap();
        assert_eq!(
            instances,
            vec![Instance {
                instance_id: "ins-1".into(),
                identity_store_id: "d-1".into(),
                alias: "main".into(),
                instance_urn: "IdentityCenter::1:instance:ins-1".into(),
            }]
        );
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].header("x-domain-id"), Some(DOMAIN_ID));
        assert_eq!(seen[0].header("x-project-id"), None);
        assert_signed(&seen[1], &server.host(), &["content-type", "user-agent", "x-domain-id", "x-security-token"]);
    }

    #[tokio::test]
    async fn create_assignment_and_wait() {
        let server = Server::start(|req, i| {
            if req.method == "POST" {
                return status("account_assignment_creation_status", "r-1", "IN_PROGRESS", Value::Null);
            }
            assert_eq!(req.path, "/v1/instances/ins-1/account-assignments/creation-status/r-1");
            let s = if i < 3 { "IN_PROGRESS" } else { "SUCCEEDED" };
            status("account_assignment_creation_status", "r-1", s, Value::Null)
        })
        .await;
        let client = client(&server);
        let started = client.create_account_assignment("ins-1", &target()).await.unwrap();
        assert_eq!(started.request_id, "r-1");
        assert_eq!(started.status, "IN_PROGRESS");
        assert_eq!(started.created_date, Some(1_700_000_000_000));
        assert_eq!(started.failure_reason, "");
        let done = client
            .wait_creation("ins-1", &started.request_id, Duration::from_secs(10), &fast_poll(), None)
            .await
            .unwrap();
        assert_eq!(done.status, "SUCCEEDED");
        assert_eq!(done.target_type, "ACCOUNT");

        let seen = server.seen();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].line(), "POST /v1/instances/ins-1/account-assignments/create");
        assert_eq!(
            seen[0].body,
            json!({"permission_set_id": "ps-1", "principal_id": "user-1", "principal_type": "USER",
                   "target_id": "acc-1", "target_type": "ACCOUNT"})
        );
        assert_signed(&seen[0], &server.host(), &["content-type", "x-domain-id"]);
    }

    #[tokio::test]
    async fn failed_creation_surfaces_reason() {
        let server = Server::start(|req, _| {
            if req.method == "POST" {
                status("account_assignment_creation_status", "r-2", "IN_PROGRESS", Value::Null)
            } else {
                status("account_assignment_creation_status", "r-2", "FAILED", json!("permission set not provisioned"))
            }
        })
        .await;
        let client = client(&server);
        let started = client.create_account_assignment("ins-1", &target()).await.unwrap();
        let e = client
            .wait_creation("ins-1", &started.request_id, Duration::from_secs(10), &fast_poll(), None)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "CreateAccountAssignment request r-2 ended FAILED: permission set not provisioned");
    }

    #[tokio::test]
    async fn a_request_in_progress_is_recognised_and_not_a_conflict() {
        let server = Server::start(|_, i| {
            if i == 0 {
                api_error(409, "IdentityCenter.1006", "a request for this assignment is in progress")
            } else {
                api_error(409, "IdentityCenter.1007", "modification failed")
            }
        })
        .await;
        let client = client(&server);
        let busy = client.create_account_assignment("ins-1", &target()).await.unwrap_err();
        assert!(is_change_in_progress(&busy), "{busy}");
        assert_eq!(busy.kind, ErrorKind::Transient);
        // Not retried by the HTTP layer: the resource decides after reading.
        assert_eq!(server.seen().len(), 1);
        let failed = client.create_account_assignment("ins-1", &target()).await.unwrap_err();
        assert!(!is_change_in_progress(&failed), "{failed}");
        assert_eq!(failed.kind, ErrorKind::Conflict);
        assert!(failed.to_string().contains("CreateAccountAssignment"), "{failed}");
    }

    #[tokio::test]
    async fn create_is_not_retried_after_possible_processing() {
        let server = Server::start(|_, _| Reply::Raw(500, "oops")).await;
        let e = client(&server).create_account_assignment("ins-1", &target()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(server.seen().len(), 1);

        let server = Server::start(|_, i| {
            if i == 0 {
                api_error(429, "APIG.0308", "slow down")
            } else {
                status("account_assignment_creation_status", "r-3", "IN_PROGRESS", Value::Null)
            }
        })
        .await;
        let s = client(&server).create_account_assignment("ins-1", &target()).await.unwrap();
        assert_eq!(s.request_id, "r-3");
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn delete_assignment_and_wait() {
        let server = Server::start(|req, i| {
            if req.method == "POST" {
                assert_eq!(req.path, "/v1/instances/ins-1/account-assignments/delete");
                assert_eq!(req.body["target_type"], json!("ACCOUNT"));
                return status("account_assignment_deletion_status", "d-1", "IN_PROGRESS", Value::Null);
            }
            assert_eq!(req.path, "/v1/instances/ins-1/account-assignments/deletion-status/d-1");
            let s = if i < 2 { "IN_PROGRESS" } else { "SUCCEEDED" };
            status("account_assignment_deletion_status", "d-1", s, Value::Null)
        })
        .await;
        let client = client(&server);
        let started = client.delete_account_assignment("ins-1", &target()).await.unwrap();
        let s = client.describe_deletion_status("ins-1", &started.request_id).await.unwrap();
        assert_eq!(s.status, "IN_PROGRESS");
        let done = client.wait_deletion("ins-1", "d-1", Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(done.status, "SUCCEEDED");
    }

    #[tokio::test]
    async fn list_assignments_for_principal_pages_and_queries() {
        let server = Server::start(|req, _| {
            assert_eq!(req.line(), "GET /v1/instances/ins-1/account-assignments-for-principals");
            assert_eq!(req.query_param("principal_id").as_deref(), Some("group 1"));
            assert_eq!(req.query_param("principal_type").as_deref(), Some("GROUP"));
            assert_eq!(req.query_param("limit").as_deref(), Some("100"));
            let a = |acc: &str| {
                json!({"account_id": acc, "permission_set_id": "ps-1",
                                       "principal_id": "group 1", "principal_type": "GROUP"})
            };
            match req.query_param("marker").as_deref() {
                None => ok(json!({"account_assignments": [a("acc-1"), a("acc-2")],
                                  "page_info": {"next_marker": "mk 2", "current_count": 2}})),
                Some("mk 2") => ok(json!({"account_assignments": [a("acc-3")], "page_info": {}})),
                other => panic!("{other:?}"),
            }
        })
        .await;
        let all = client(&server).list_account_assignments_for_principal("ins-1", "group 1", "GROUP").await.unwrap();
        let accounts: Vec<&str> = all.iter().map(|a| a.account_id.as_str()).collect();
        assert_eq!(accounts, ["acc-1", "acc-2", "acc-3"]);
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        // Query values with spaces are signed in canonical form.
        assert_signed(&seen[1], &server.host(), &["x-domain-id"]);

        let server = Server::start(|_, _| ok(json!({"account_assignments": null}))).await;
        assert!(client(&server).list_account_assignments_for_principal("ins-1", "u", "USER").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn disassociate_profile_sends_documented_body() {
        let server = Server::start(|_, _| Reply::Raw(200, "")).await;
        client(&server).disassociate_profile("ins-1", "user-1", "USER", "d-1").await.unwrap();
        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let req = &seen[0];
        assert_eq!(req.line(), "POST /v1/instances/ins-1/disassociate-profile");
        assert_eq!(req.body, json!({"id": "user-1", "accessor_type": "USER", "identity_store_id": "d-1"}));
        assert_signed(req, &server.host(), &["content-type", "x-domain-id", "x-security-token"]);
    }

    #[tokio::test]
    async fn concurrency_conflict_is_retried_for_idempotent_calls() {
        let server = Server::start(|_, i| {
            if i == 0 {
                api_error(409, "IIC.1006", "concurrent modification")
            } else {
                ok(json!({"account_assignments": []}))
            }
        })
        .await;
        client(&server).list_account_assignments_for_principal("ins-1", "user-1", "USER").await.unwrap();
        assert_eq!(server.seen().len(), 2);

        let server = Server::start(|_, _| api_error(404, "IIC.1002", "instance not found")).await;
        let e = client(&server).disassociate_profile("ins-x", "user-1", "USER", "d-1").await.unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(e.action, DISASSOCIATE_PROFILE_ACTION);
    }

    /// A fake principal with assignments `(permission_set_id, account_id)`: DisassociateProfile
    /// removes them all, ListAccountAssignmentsForPrincipal lists them. For the n-th
    /// DisassociateProfile (from 0), `disassociate(n)` says `(apply, hang_up)`: whether it takes
    /// effect, and whether its answer is lost. `after_lost` then runs, as someone else would.
    struct FakePrincipal {
        assignments: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
    }

    impl FakePrincipal {
        fn with(assignments: &[(&str, &str)]) -> Self {
            let list = assignments.iter().map(|(p, a)| (p.to_string(), a.to_string())).collect();
            FakePrincipal { assignments: std::sync::Arc::new(std::sync::Mutex::new(list)) }
        }

        async fn serve(
            &self,
            disassociate: impl Fn(usize) -> (bool, bool) + Send + Sync + 'static,
            after_lost: impl Fn(&mut Vec<(String, String)>) + Send + Sync + 'static,
        ) -> Server {
            let assignments = std::sync::Arc::clone(&self.assignments);
            let sent = std::sync::atomic::AtomicUsize::new(0);
            Server::start(move |req, _| {
                let mut list = assignments.lock().unwrap();
                if req.path.ends_with("/disassociate-profile") {
                    let (apply, hang_up) = disassociate(sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                    if apply {
                        list.clear();
                    }
                    if hang_up {
                        after_lost(&mut list);
                        return Reply::HangUp;
                    }
                    return Reply::Raw(200, "");
                }
                assert!(req.path.ends_with("/account-assignments-for-principals"), "{}", req.line());
                let items: Vec<Value> = list
                    .iter()
                    .map(|(p, a)| json!({"account_id": a, "permission_set_id": p, "principal_id": "user-1", "principal_type": "USER"}))
                    .collect();
                ok(json!({"account_assignments": items, "page_info": {"next_marker": null, "current_count": items.len()}}))
            })
            .await
        }
    }

    fn intended() -> Vec<(String, String)> {
        vec![("ps-1".into(), "acc-1".into()), ("ps-2".into(), "acc-2".into())]
    }

    const DISASSOCIATE: &str = "POST /v1/instances/ins-1/disassociate-profile";
    const LIST: &str = "GET /v1/instances/ins-1/account-assignments-for-principals";

    #[tokio::test]
    async fn a_disassociate_applied_but_unanswered_is_confirmed_by_reading_not_resent() {
        let fake = FakePrincipal::with(&[("ps-1", "acc-1"), ("ps-2", "acc-2")]);
        let server = fake.serve(|n| (true, n == 0), |_| {}).await;
        let out = client(&server)
            .disassociate_profile_reconciled("ins-1", "user-1", "USER", "d-1", &intended(), None)
            .await
            .unwrap();
        assert_eq!(out, Detached::Confirmed);
        assert_eq!(server.lines(), [DISASSOCIATE, LIST]);
        assert!(fake.assignments.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_disassociate_lost_before_it_applied_is_sent_once_more() {
        let fake = FakePrincipal::with(&[("ps-1", "acc-1"), ("ps-2", "acc-2")]);
        // The first is lost before it applied; the second is applied and answered.
        let server = fake.serve(|n| (n > 0, n == 0), |_| {}).await;
        let out = client(&server)
            .disassociate_profile_reconciled("ins-1", "user-1", "USER", "d-1", &intended(), None)
            .await
            .unwrap();
        assert_eq!(out, Detached::Answered);
        assert_eq!(server.lines(), [DISASSOCIATE, LIST, DISASSOCIATE]);
        assert!(fake.assignments.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn assignments_added_after_a_lost_disassociate_applied_are_left_alone() {
        let fake = FakePrincipal::with(&[("ps-1", "acc-1"), ("ps-2", "acc-2")]);
        // Applied, answer lost; before the read, someone assigns ps-3 to the principal.
        let server = fake.serve(|n| (true, n == 0), |list| list.push(("ps-3".into(), "acc-3".into()))).await;
        let out = client(&server)
            .disassociate_profile_reconciled("ins-1", "user-1", "USER", "d-1", &intended(), None)
            .await
            .unwrap();
        assert_eq!(out, Detached::Replaced("assignments added since: ps-3 on acc-3".into()));
        assert_eq!(server.lines(), [DISASSOCIATE, LIST], "not sent again");
        assert_eq!(*fake.assignments.lock().unwrap(), [("ps-3".to_string(), "acc-3".to_string())]);
    }

    #[tokio::test]
    async fn a_disassociate_with_an_unreadable_outcome_is_unknown() {
        let server = Server::start(|req, _| {
            if req.path.ends_with("/disassociate-profile") {
                Reply::HangUp
            } else {
                api_error(403, "IdentityCenter.1001", "access denied")
            }
        })
        .await;
        let e = client(&server)
            .disassociate_profile_reconciled("ins-1", "user-1", "USER", "d-1", &intended(), None)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DetachError::Unknown { lost, read } if lost.kind == ErrorKind::Transient && read.kind == ErrorKind::Auth),
            "{e:?}"
        );
        assert!(e.to_string().contains("DisassociateProfile is unknown"), "{e}");
        assert_eq!(server.lines(), [DISASSOCIATE, LIST]);
    }

    #[test]
    fn poll_states() {
        let s = |status: &str| AssignmentStatus {
            status: status.into(),
            failure_reason: "why".into(),
            ..AssignmentStatus::default()
        };
        assert!(matches!(s("SUCCEEDED").poll_state(), PollState::Done(_)));
        assert!(matches!(
            s("FAILED").poll_state(),
            PollState::Failed { status, message } if status == "FAILED" && message == "why"
        ));
        assert!(matches!(
            s("IN_PROGRESS").poll_state(),
            PollState::Pending { progress: Some(p) } if p == "IN_PROGRESS"
        ));
        assert!(matches!(s("QUEUED").poll_state(), PollState::Pending { .. }));
        assert!(matches!(s("").poll_state(), PollState::Pending { .. }));
    }

    #[tokio::test]
    async fn invalid_inputs_are_rejected_before_sending() {
        let server = Server::start(|_, _| Reply::Raw(200, "")).await;
        let c = client(&server);
        let mut t = target();
        t.permission_set_id = String::new();
        assert_eq!(c.create_account_assignment("ins-1", &t).await.unwrap_err().kind, ErrorKind::Invalid);
        assert_eq!(c.disassociate_profile("", "u", "USER", "d").await.unwrap_err().kind, ErrorKind::Invalid);
        assert!(server.seen().is_empty());
    }
}
