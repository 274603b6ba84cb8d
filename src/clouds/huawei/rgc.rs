//! Huawei Cloud RGC (Resource Governance Center, regional): enroll an account into the
//! landing zone, update or un-enroll it, read it, and follow the asynchronous operation each
//! write starts.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{ApiRequest, HuaweiConfig, PageInfo, Scope, Service, json_body, lenient, require_id};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::HttpClient;
use crate::clouds::waiter::{PollPolicy, PollState, WaitError, wait_for};

pub const ENROLL_ACCOUNT_ACTION: &str = "EnrollAccount";
pub const UPDATE_MANAGED_ACCOUNT_ACTION: &str = "UpdateManagedAccount";
pub const UN_ENROLL_ACCOUNT_ACTION: &str = "UnEnrollAccount";
pub const SHOW_MANAGED_ACCOUNT_ACTION: &str = "ShowManagedAccount";
pub const SHOW_OPERATION_ACTION: &str = "ShowOperation";
pub const LIST_MANAGED_ACCOUNTS_FOR_PARENT_ACTION: &str = "ListManagedAccountsForParent";

/// What [`RgcClient::wait_operation`] calls the thing it waits for when the API that started
/// it is not known; [`RgcClient::wait_operation_of`] says `<action> operation` instead.
pub const OPERATION_WHAT: &str = "RGC operation";
pub const STATUS_IN_PROGRESS: &str = "IN_PROGRESS";
pub const STATUS_SUCCEEDED: &str = "SUCCEEDED";

/// Managed-account states (not published by Huawei; the emulator's documented choice).
pub const STATE_ENROLLING: &str = "ENROLLING";
pub const STATE_ENROLLED: &str = "ENROLLED";
pub const STATE_UPDATING: &str = "UPDATING";
pub const STATE_UN_ENROLLING: &str = "UN_ENROLLING";

/// What [`RgcClient::wait_operation_of`] calls an operation started by `action`, e.g.
/// `EnrollAccount operation`.
pub fn operation_what(action: &str) -> String {
    format!("{action} operation")
}

/// A blueprint to apply to a managed account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Blueprint {
    #[serde(deserialize_with = "lenient::string")]
    pub blueprint_product_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub blueprint_product_version: String,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient::opt_string")]
    pub variables: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient::opt_bool")]
    pub is_blueprint_has_multi_account_resource: Option<bool>,
}

/// Availability of one region for a managed account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedAccountRegion {
    #[serde(deserialize_with = "lenient::string")]
    pub region: String,
    /// `available` or `unavailable`.
    #[serde(deserialize_with = "lenient::string")]
    pub region_status: String,
}

/// An account governed by RGC (`ShowManagedAccount`). Text fields the API omits are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManagedAccount {
    #[serde(deserialize_with = "lenient::string")]
    pub landing_zone_version: String,
    /// The RGC management account.
    #[serde(deserialize_with = "lenient::string")]
    pub manage_account_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub account_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub account_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub account_type: String,
    /// `CUSTOM` or `RGC`.
    #[serde(deserialize_with = "lenient::string")]
    pub owner: String,
    /// Enrollment state; the values are not published.
    #[serde(deserialize_with = "lenient::string")]
    pub state: String,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
    #[serde(deserialize_with = "lenient::string")]
    pub parent_organizational_unit_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub parent_organizational_unit_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_store_user_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub blueprint_product_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub blueprint_product_version: String,
    #[serde(deserialize_with = "lenient::string")]
    pub blueprint_status: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_blueprint_has_multi_account_resource: Option<bool>,
    #[serde(deserialize_with = "lenient::vec")]
    pub regions: Vec<ManagedAccountRegion>,
    #[serde(deserialize_with = "lenient::string")]
    pub created_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub updated_at: String,
}

/// One step of an operation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PercentageDetail {
    #[serde(deserialize_with = "lenient::string")]
    pub percentage_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub percentage_status: String,
}

/// An asynchronous RGC operation (`ShowOperation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Operation {
    #[serde(deserialize_with = "lenient::string")]
    pub operation_id: String,
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub percentage_complete: Option<i64>,
    /// `IN_PROGRESS`, `SUCCEEDED`, or (presumably) `FAILED`; empty when missing.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(deserialize_with = "lenient::vec")]
    pub percentage_details: Vec<PercentageDetail>,
    #[serde(deserialize_with = "lenient::string")]
    pub message: String,
}

impl Operation {
    /// `IN_PROGRESS, 40%`, for progress reports and time-outs.
    pub fn progress(&self) -> String {
        let status = if self.status.is_empty() { "no status" } else { self.status.as_str() };
        match self.percentage_complete {
            Some(p) => format!("{status}, {p}%"),
            None => status.to_owned(),
        }
    }

    /// How a poll of this operation counts for [`wait_for`]: `IN_PROGRESS` is pending,
    /// `SUCCEEDED` done, anything else (including a missing status) a failure with `message`.
    pub fn poll_state(self) -> PollState<Operation> {
        match self.status.as_str() {
            STATUS_IN_PROGRESS => PollState::Pending { progress: Some(self.progress()) },
            STATUS_SUCCEEDED => PollState::Done(self),
            "" => PollState::Failed { status: "without a status".to_owned(), message: self.message },
            _ => PollState::Failed { status: self.status, message: self.message },
        }
    }
}

/// Where [`RgcClient::wait_account_settled`] waits for an account to end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountGoal {
    /// Managed and no longer changing (after an enroll or an update).
    Managed,
    /// No longer managed: ShowManagedAccount answers not-found (after an un-enroll).
    Unmanaged,
}

impl AccountGoal {
    /// How one ShowManagedAccount answer counts when waiting for this goal.
    pub fn poll_state(self, account: Option<ManagedAccount>) -> PollState<Option<ManagedAccount>> {
        let changing =
            |a: &ManagedAccount| matches!(a.state.as_str(), STATE_ENROLLING | STATE_UPDATING | STATE_UN_ENROLLING);
        match (self, account) {
            (_, Some(account)) if changing(&account) => PollState::Pending { progress: Some(account.state) },
            (AccountGoal::Managed, Some(account)) => PollState::Done(Some(account)),
            (AccountGoal::Managed, None) => PollState::Failed {
                status: "with the account not managed".to_owned(),
                message: "ShowManagedAccount no longer finds it, so RGC dropped the change".to_owned(),
            },
            (AccountGoal::Unmanaged, None) => PollState::Done(None),
            (AccountGoal::Unmanaged, Some(account)) => PollState::Failed {
                status: if account.state.is_empty() {
                    "with the account still managed".to_owned()
                } else {
                    account.state
                },
                message: "the account is still managed, so the un-enroll did not take effect".to_owned(),
            },
        }
    }
}

#[derive(Deserialize)]
struct OperationIdResponse {
    #[serde(default, deserialize_with = "lenient::string")]
    operation_id: String,
}

#[derive(Deserialize)]
struct ManagedAccountPage {
    #[serde(default, deserialize_with = "lenient::vec")]
    managed_accounts: Vec<ManagedAccount>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Serialize)]
struct EnrollBody<'a> {
    parent_organizational_unit_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    blueprint: Option<&'a Blueprint>,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    parent_organizational_unit_id: &'a str,
    parent_organizational_unit_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    blueprint: Option<&'a Blueprint>,
}

/// Client for Huawei Cloud RGC. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct RgcClient {
    svc: Arc<Service>,
    cancel: Option<CancellationToken>,
}

impl RgcClient {
    pub fn new(cfg: &HuaweiConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::Huawei)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: &HuaweiConfig, http: HttpClient) -> Result<Self, CloudError> {
        let svc = Service::new(cfg, http, &cfg.endpoints.rgc, Scope::Regional, "rgc")?;
        Ok(Self { svc, cancel: None })
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { svc: Arc::clone(&self.svc), cancel: Some(token) }
    }

    /// Enrolls an account under an OU
    /// (`POST /v1/managed-organization/accounts/{id}/enroll` — `accounts`, not
    /// `managed-accounts`). Returns the operation id. Not idempotent: only throttling and failed
    /// connects are retried.
    pub async fn enroll_account(
        &self,
        managed_account_id: &str,
        parent_ou_id: &str,
        blueprint: Option<&Blueprint>,
    ) -> Result<String, CloudError> {
        let action = ENROLL_ACCOUNT_ACTION;
        require_id(action, "managed_account_id", managed_account_id)?;
        require_id(action, "parent_organizational_unit_id", parent_ou_id)?;
        let body = json_body(action, &EnrollBody { parent_organizational_unit_id: parent_ou_id, blueprint })?;
        self.start_operation(
            action,
            &["v1", "managed-organization", "accounts", managed_account_id, "enroll"],
            Some(body),
        )
        .await
    }

    /// Moves a managed account or changes its blueprint
    /// (`POST /v1/managed-organization/managed-accounts/{id}/update`). Returns the operation id.
    /// Not idempotent.
    pub async fn update_managed_account(
        &self,
        managed_account_id: &str,
        parent_ou_id: &str,
        parent_ou_name: &str,
        blueprint: Option<&Blueprint>,
    ) -> Result<String, CloudError> {
        let action = UPDATE_MANAGED_ACCOUNT_ACTION;
        require_id(action, "managed_account_id", managed_account_id)?;
        require_id(action, "parent_organizational_unit_id", parent_ou_id)?;
        let body = json_body(
            action,
            &UpdateBody {
                parent_organizational_unit_id: parent_ou_id,
                parent_organizational_unit_name: parent_ou_name,
                blueprint,
            },
        )?;
        self.start_operation(
            action,
            &["v1", "managed-organization", "managed-accounts", managed_account_id, "update"],
            Some(body),
        )
        .await
    }

    /// Un-enrolls a managed account
    /// (`POST /v1/managed-organization/managed-accounts/{id}/un-enroll`, no body). Returns the
    /// operation id. Not idempotent: a repeat could lose the first operation's id, so only
    /// throttling and failed connects are retried; reconcile with
    /// [`show_managed_account`](Self::show_managed_account).
    pub async fn un_enroll_account(&self, managed_account_id: &str) -> Result<String, CloudError> {
        let action = UN_ENROLL_ACCOUNT_ACTION;
        require_id(action, "managed_account_id", managed_account_id)?;
        self.start_operation(
            action,
            &["v1", "managed-organization", "managed-accounts", managed_account_id, "un-enroll"],
            None,
        )
        .await
    }

    async fn start_operation(
        &self,
        action: &'static str,
        path: &[&str],
        body: Option<Vec<u8>>,
    ) -> Result<String, CloudError> {
        let req = ApiRequest { action, method: Method::POST, path, query: &[], body, idempotent: false };
        let resp: OperationIdResponse = self.svc.call_json(self.cancel.as_ref(), req).await?;
        if resp.operation_id.trim().is_empty() {
            return Err(CloudError::new(ErrorKind::Other, Cloud::Huawei, action, "the response has no operation_id"));
        }
        Ok(resp.operation_id)
    }

    /// A managed account (`GET /v1/managed-organization/managed-accounts/{id}`); `None` when
    /// RGC does not know it (any not-found answer).
    pub async fn show_managed_account(&self, managed_account_id: &str) -> Result<Option<ManagedAccount>, CloudError> {
        let action = SHOW_MANAGED_ACCOUNT_ACTION;
        require_id(action, "managed_account_id", managed_account_id)?;
        let req = ApiRequest {
            action,
            method: Method::GET,
            path: &["v1", "managed-organization", "managed-accounts", managed_account_id],
            query: &[],
            body: None,
            idempotent: true,
        };
        match self.svc.call_json::<ManagedAccount>(self.cancel.as_ref(), req).await {
            Ok(account) => Ok(Some(account)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One operation's state (`GET /v1/managed-organization/{operation_id}`).
    pub async fn show_operation(&self, operation_id: &str) -> Result<Operation, CloudError> {
        let action = SHOW_OPERATION_ACTION;
        require_id(action, "operation_id", operation_id)?;
        let req = ApiRequest {
            action,
            method: Method::GET,
            path: &["v1", "managed-organization", operation_id],
            query: &[],
            body: None,
            idempotent: true,
        };
        self.svc.call_json(self.cancel.as_ref(), req).await
    }

    /// The managed accounts directly under an OU
    /// (`GET /v1/managed-organization/managed-organizational-units/{ou}/managed-accounts`,
    /// all pages).
    pub async fn list_managed_accounts_for_parent(&self, ou_id: &str) -> Result<Vec<ManagedAccount>, CloudError> {
        let action = LIST_MANAGED_ACCOUNTS_FOR_PARENT_ACTION;
        require_id(action, "organizational unit id", ou_id)?;
        self.svc
            .list_all(
                self.cancel.as_ref(),
                action,
                &["v1", "managed-organization", "managed-organizational-units", ou_id, "managed-accounts"],
                &[],
                |page: ManagedAccountPage| (page.managed_accounts, page.page_info),
            )
            .await
    }

    /// Polls [`show_operation`](Self::show_operation) until the operation succeeds (its final
    /// state is returned), fails (`WaitError::Failed` with RGC's `message`), `timeout` passes,
    /// or `cancel` (or else this handle's own token) fires. Throttling and transient errors
    /// while polling are tolerated until the deadline.
    pub async fn wait_operation(
        &self,
        operation_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<Operation, WaitError> {
        self.wait_for_operation(OPERATION_WHAT, operation_id, timeout, policy, cancel).await
    }

    /// Like [`wait_operation`](Self::wait_operation) for an operation started by `action`
    /// (e.g. [`ENROLL_ACCOUNT_ACTION`]), so failures and time-outs name the API:
    /// `EnrollAccount operation <id> ended FAILED: …`.
    pub async fn wait_operation_of(
        &self,
        action: &str,
        operation_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<Operation, WaitError> {
        self.wait_for_operation(&operation_what(action), operation_id, timeout, policy, cancel).await
    }

    /// Polls [`show_managed_account`](Self::show_managed_account) until the account reaches
    /// `goal`, for when `action` (enroll, update or un-enroll) was sent but its answer — and
    /// with it the operation id — was lost. `ENROLLING`, `UPDATING` and `UN_ENROLLING` count as
    /// still changing. Reaching the opposite end (the account stays or becomes unmanaged while
    /// waiting for [`AccountGoal::Managed`], or settles managed while waiting for
    /// [`AccountGoal::Unmanaged`]) is a `WaitError::Failed` naming `action`; so are time-outs.
    /// Returns the settled account (`None` for [`AccountGoal::Unmanaged`]).
    pub async fn wait_account_settled(
        &self,
        action: &str,
        managed_account_id: &str,
        goal: AccountGoal,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<Option<ManagedAccount>, WaitError> {
        let cancel = cancel.or(self.cancel.as_ref());
        let what = format!("{action} of account");
        wait_for(&what, managed_account_id, timeout, policy, cancel, || async {
            let account = self.show_managed_account(managed_account_id).await?;
            Ok(goal.poll_state(account))
        })
        .await
    }

    async fn wait_for_operation(
        &self,
        what: &str,
        operation_id: &str,
        timeout: Duration,
        policy: &PollPolicy,
        cancel: Option<&CancellationToken>,
    ) -> Result<Operation, WaitError> {
        let cancel = cancel.or(self.cancel.as_ref());
        wait_for(what, operation_id, timeout, policy, cancel, || async {
            Ok(self.show_operation(operation_id).await?.poll_state())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::{Value, json};

    use super::*;
    use crate::clouds::huawei::test_support::*;

    fn client(server: &Server) -> RgcClient {
        RgcClient::new(&config(&server.url)).unwrap()
    }

    fn fast_poll() -> PollPolicy {
        PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_millis(2),
            max_interval: Duration::from_millis(5),
            multiplier: 1.5,
        }
    }

    fn managed_account() -> Value {
        json!({"landing_zone_version": "1.0", "manage_account_id": "mgmt-1", "account_id": "acc-1",
               "account_name": "dev", "account_type": "CUSTOM", "owner": "CUSTOM", "state": "ENROLLED",
               "message": "", "parent_organizational_unit_id": "ou-1",
               "parent_organizational_unit_name": "Dev", "identity_store_user_name": "admin",
               "blueprint_product_id": "bp-1", "blueprint_product_version": "v1",
               "blueprint_status": "complete", "is_blueprint_has_multi_account_resource": false,
               "regions": [{"region": "cn-north-4", "region_status": "available"}],
               "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-02T00:00:00Z"})
    }

    #[tokio::test]
    async fn enroll_uses_accounts_path_and_project_header() {
        let server = Server::start(|_, _| ok(json!({"operation_id": "op-1"}))).await;
        let blueprint = Blueprint {
            blueprint_product_id: "bp-1".into(),
            blueprint_product_version: "v1".into(),
            variables: Some(r#"{"a":"b"}"#.into()),
            is_blueprint_has_multi_account_resource: Some(true),
        };
        let client = client(&server);
        let op = client.enroll_account("acc-1", "ou-1", Some(&blueprint)).await.unwrap();
        assert_eq!(op, "op-1");
        client.enroll_account("acc-2", "ou-1", None).await.unwrap();

        let seen = server.seen();
        let req = &seen[0];
        assert_eq!(req.line(), "POST /v1/managed-organization/accounts/acc-1/enroll");
        assert_eq!(req.header("x-project-id"), Some(PROJECT_ID));
        assert_eq!(req.header("x-domain-id"), None);
        assert_eq!(req.header("x-security-token"), Some(TOKEN));
        assert_eq!(
            req.body,
            json!({"parent_organizational_unit_id": "ou-1", "blueprint": {
                "blueprint_product_id": "bp-1", "blueprint_product_version": "v1",
                "variables": "{\"a\":\"b\"}", "is_blueprint_has_multi_account_resource": true}})
        );
        assert_signed(req, &server.host(), &["content-type", "user-agent", "x-project-id", "x-security-token"]);
        assert_eq!(seen[1].body, json!({"parent_organizational_unit_id": "ou-1"}));
    }

    #[tokio::test]
    async fn update_and_un_enroll_paths_and_bodies() {
        let server = Server::start(|_, i| ok(json!({"operation_id": format!("op-{i}")}))).await;
        let client = client(&server);
        let blueprint = Blueprint {
            blueprint_product_id: "bp-2".into(),
            blueprint_product_version: "v2".into(),
            ..Blueprint::default()
        };
        assert_eq!(client.update_managed_account("acc-1", "ou-2", "Prod", Some(&blueprint)).await.unwrap(), "op-0");
        assert_eq!(client.un_enroll_account("acc-1").await.unwrap(), "op-1");
        let seen = server.seen();
        assert_eq!(seen[0].line(), "POST /v1/managed-organization/managed-accounts/acc-1/update");
        assert_eq!(
            seen[0].body,
            json!({"parent_organizational_unit_id": "ou-2", "parent_organizational_unit_name": "Prod",
                   "blueprint": {"blueprint_product_id": "bp-2", "blueprint_product_version": "v2"}})
        );
        assert_eq!(seen[1].line(), "POST /v1/managed-organization/managed-accounts/acc-1/un-enroll");
        assert!(seen[1].raw_body.is_empty());
        assert_eq!(seen[1].header("content-type"), Some("application/json"));
        assert_signed(&seen[1], &server.host(), &["x-project-id"]);
    }

    #[tokio::test]
    async fn missing_operation_id_is_an_error() {
        let server = Server::start(|_, _| ok(json!({}))).await;
        let e = client(&server).un_enroll_account("acc-1").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(e.message.contains("operation_id"), "{e}");
    }

    #[tokio::test]
    async fn un_enroll_is_not_retried_after_a_possibly_processed_failure() {
        let server = Server::start(|_, _| Reply::HangUp).await;
        let e = client(&server).un_enroll_account("acc-1").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn show_managed_account_parses_and_maps_not_found() {
        let server = Server::start(|req, _| {
            if req.path.ends_with("/gone") {
                api_error(404, "RGC.404", "managed account not found")
            } else {
                ok(managed_account())
            }
        })
        .await;
        let client = client(&server);
        let account = client.show_managed_account("acc-1").await.unwrap().unwrap();
        assert_eq!(account.account_id, "acc-1");
        assert_eq!(account.state, "ENROLLED");
        assert_eq!(account.parent_organizational_unit_name, "Dev");
        assert_eq!(account.is_blueprint_has_multi_account_resource, Some(false));
        assert_eq!(
            account.regions,
            vec![ManagedAccountRegion { region: "cn-north-4".into(), region_status: "available".into() }]
        );
        assert_eq!(account.updated_at, "2024-01-02T00:00:00Z");
        assert_eq!(client.show_managed_account("gone").await.unwrap(), None);
        let seen = server.seen();
        assert_eq!(seen[0].line(), "GET /v1/managed-organization/managed-accounts/acc-1");
        assert_signed(&seen[0], &server.host(), &["x-project-id"]);
    }

    #[tokio::test]
    async fn list_managed_accounts_pages() {
        let server = Server::start(|req, _| {
            assert_eq!(req.path, "/v1/managed-organization/managed-organizational-units/ou-1/managed-accounts");
            match req.query_param("marker").as_deref() {
                None => ok(json!({"managed_accounts": [managed_account()],
                                  "page_info": {"next_marker": "m1", "current_count": 1}})),
                Some("m1") => ok(json!({"managed_accounts": [{"account_id": "acc-2"}],
                                        "page_info": {"current_count": 1}})),
                other => panic!("{other:?}"),
            }
        })
        .await;
        let all = client(&server).list_managed_accounts_for_parent("ou-1").await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].account_id, "acc-2");
        assert!(all[1].regions.is_empty());
        let seen = server.seen();
        assert_eq!(seen[1].query_param("limit").as_deref(), Some("100"));
        assert_signed(&seen[1], &server.host(), &["x-project-id"]);
    }

    #[tokio::test]
    async fn wait_operation_until_succeeded() {
        let server = Server::start(|req, i| {
            assert_eq!(req.line(), "GET /v1/managed-organization/op-7");
            let (status, pct) = if i < 3 { ("IN_PROGRESS", i * 30) } else { ("SUCCEEDED", 100) };
            ok(json!({"operation_id": "op-7", "percentage_complete": pct, "status": status,
                      "percentage_details": [{"percentage_name": "enroll", "percentage_status": status}],
                      "message": null}))
        })
        .await;
        let op = client(&server).wait_operation("op-7", Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(op.status, "SUCCEEDED");
        assert_eq!(op.percentage_complete, Some(100));
        assert_eq!(op.percentage_details.len(), 1);
        assert_eq!(server.seen().len(), 4);
    }

    #[tokio::test]
    async fn wait_operation_failure_carries_message_and_id() {
        let server = Server::start(|_, i| {
            if i == 0 {
                ok(json!({"operation_id": "op-8", "percentage_complete": 10, "status": "IN_PROGRESS"}))
            } else {
                ok(json!({"operation_id": "op-8", "percentage_complete": 50, "status": "FAILED",
                          "message": "blueprint deployment failed"}))
            }
        })
        .await;
        let e = client(&server).wait_operation("op-8", Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        assert_eq!(e.to_string(), "RGC operation op-8 ended FAILED: blueprint deployment failed");

        // A missing status is a failure too.
        let server = Server::start(|_, _| ok(json!({"operation_id": "op-9", "message": "??"}))).await;
        let e = client(&server).wait_operation("op-9", Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        assert!(matches!(e, WaitError::Failed { .. }), "{e}");
        assert!(e.to_string().contains("op-9"), "{e}");
    }

    #[tokio::test]
    async fn wait_operation_of_names_the_api() {
        let server = Server::start(|_, _| {
            ok(json!({"operation_id": "op-8", "percentage_complete": 75, "status": "FAILED",
                      "message": "RGC.1000: the baseline stack failed"}))
        })
        .await;
        let e = client(&server)
            .wait_operation_of(ENROLL_ACCOUNT_ACTION, "op-8", Duration::from_secs(10), &fast_poll(), None)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "EnrollAccount operation op-8 ended FAILED: RGC.1000: the baseline stack failed");

        let server = Server::start(|_, _| {
            ok(json!({"operation_id": "op-6", "percentage_complete": 40, "status": "IN_PROGRESS"}))
        })
        .await;
        let e = client(&server)
            .wait_operation_of(UN_ENROLL_ACCOUNT_ACTION, "op-6", Duration::from_millis(60), &fast_poll(), None)
            .await
            .unwrap_err();
        assert!(e.is_timeout(), "{e}");
        assert!(
            e.to_string().ends_with("waiting for UnEnrollAccount operation op-6 (last status IN_PROGRESS, 40%)"),
            "{e}"
        );
    }

    #[test]
    fn account_goals() {
        let account = |state: &str| {
            Some(ManagedAccount { account_id: "acc-1".into(), state: state.into(), ..ManagedAccount::default() })
        };
        use AccountGoal::*;
        for state in [STATE_ENROLLING, STATE_UPDATING, STATE_UN_ENROLLING] {
            for goal in [Managed, Unmanaged] {
                assert!(matches!(goal.poll_state(account(state)), PollState::Pending { .. }), "{goal:?} {state}");
            }
        }
        assert_eq!(Managed.poll_state(account(STATE_ENROLLED)), PollState::Done(account(STATE_ENROLLED)));
        assert!(matches!(Managed.poll_state(None), PollState::Failed { .. }));
        assert_eq!(Unmanaged.poll_state(None), PollState::Done(None));
        match Unmanaged.poll_state(account(STATE_ENROLLED)) {
            PollState::Failed { status, message } => {
                assert_eq!(status, STATE_ENROLLED);
                assert!(message.contains("un-enroll did not take effect"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn wait_account_settled_follows_show_managed_account() {
        // ENROLLING twice, then ENROLLED.
        let server = Server::start(|req, i| {
            assert_eq!(req.line(), "GET /v1/managed-organization/managed-accounts/acc-1");
            let mut account = managed_account();
            account["state"] = json!(if i < 2 { "ENROLLING" } else { "ENROLLED" });
            ok(account)
        })
        .await;
        let settled = client(&server)
            .wait_account_settled(
                ENROLL_ACCOUNT_ACTION,
                "acc-1",
                AccountGoal::Managed,
                Duration::from_secs(10),
                &fast_poll(),
                None,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(settled.state, "ENROLLED");
        assert_eq!(server.seen().len(), 3);

        // UN_ENROLLING, then gone.
        let server = Server::start(|_, i| {
            if i == 0 {
                let mut account = managed_account();
                account["state"] = json!("UN_ENROLLING");
                ok(account)
            } else {
                api_error(404, "RGC.404", "Not Found: the account is not managed")
            }
        })
        .await;
        let settled = client(&server)
            .wait_account_settled(
                UN_ENROLL_ACCOUNT_ACTION,
                "acc-1",
                AccountGoal::Unmanaged,
                Duration::from_secs(10),
                &fast_poll(),
                None,
            )
            .await
            .unwrap();
        assert_eq!(settled, None);

        // An enrollment that RGC drops is a failure naming the API.
        let server = Server::start(|_, _| api_error(404, "RGC.404", "Not Found: not managed")).await;
        let e = client(&server)
            .wait_account_settled(
                ENROLL_ACCOUNT_ACTION,
                "acc-1",
                AccountGoal::Managed,
                Duration::from_secs(10),
                &fast_poll(),
                None,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().starts_with("EnrollAccount of account acc-1 ended with the account not managed"), "{e}");
    }

    #[tokio::test]
    async fn wait_operation_times_out_with_last_progress() {
        let server = Server::start(|_, _| {
            ok(json!({"operation_id": "op-5", "percentage_complete": 40, "status": "IN_PROGRESS"}))
        })
        .await;
        let e =
            client(&server).wait_operation("op-5", Duration::from_millis(60), &fast_poll(), None).await.unwrap_err();
        match &e {
            WaitError::TimedOut { what, id, last_progress, .. } => {
                assert_eq!(what, OPERATION_WHAT);
                assert_eq!(id, "op-5");
                assert_eq!(last_progress.as_deref(), Some("IN_PROGRESS, 40%"));
            }
            other => panic!("{other:?}"),
        }
        let text = e.to_string();
        assert!(text.starts_with("timed out after "), "{text}");
        assert!(text.ends_with("waiting for RGC operation op-5 (last status IN_PROGRESS, 40%)"), "{text}");
    }

    #[tokio::test]
    async fn wait_operation_tolerates_transient_poll_errors() {
        let server = Server::start(|_, i| match i {
            0 => ok(json!({"operation_id": "op-3", "status": "IN_PROGRESS", "percentage_complete": 5})),
            // Exhausts the HTTP layer's own retries (3 attempts) within one poll.
            1..=3 => Reply::Raw(503, "busy"),
            _ => ok(json!({"operation_id": "op-3", "status": "SUCCEEDED", "percentage_complete": 100})),
        })
        .await;
        let op = client(&server).wait_operation("op-3", Duration::from_secs(10), &fast_poll(), None).await.unwrap();
        assert_eq!(op.status, "SUCCEEDED");
        assert_eq!(server.seen().len(), 5);
    }

    #[tokio::test]
    async fn wait_operation_stops_on_other_errors() {
        let server = Server::start(|_, _| api_error(404, "RGC.404", "no such operation")).await;
        let e = client(&server).wait_operation("op-x", Duration::from_secs(10), &fast_poll(), None).await.unwrap_err();
        match e {
            WaitError::Cloud(e) => {
                assert!(e.is_not_found());
                assert_eq!(e.action, SHOW_OPERATION_ACTION);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn wait_operation_cancels_promptly() {
        let polls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&polls);
        let server = Server::start(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            ok(json!({"operation_id": "op-c", "status": "IN_PROGRESS", "percentage_complete": 1}))
        })
        .await;
        let token = CancellationToken::new();
        // The handle's own token is used when none is passed.
        let client = client(&server).with_cancellation(token.clone());
        let slow = PollPolicy {
            initial_delay: Duration::ZERO,
            interval: Duration::from_secs(3600),
            max_interval: Duration::from_secs(3600),
            multiplier: 1.0,
        };
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        let started = std::time::Instant::now();
        let e = client.wait_operation("op-c", Duration::from_secs(3600), &slow, None).await.unwrap_err();
        canceller.await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(e, WaitError::Cancelled { .. }), "{e:?}");
        assert_eq!(e.to_string(), "cancelled while waiting for RGC operation op-c");
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn operation_poll_states() {
        let op = |status: &str, pct: Option<i64>| Operation {
            operation_id: "o".into(),
            percentage_complete: pct,
            status: status.into(),
            percentage_details: vec![],
            message: "m".into(),
        };
        assert!(matches!(
            op("IN_PROGRESS", Some(40)).poll_state(),
            PollState::Pending { progress: Some(p) } if p == "IN_PROGRESS, 40%"
        ));
        assert!(matches!(
            op("IN_PROGRESS", None).poll_state(),
            PollState::Pending { progress: Some(p) } if p == "IN_PROGRESS"
        ));
        assert!(matches!(op("SUCCEEDED", Some(100)).poll_state(), PollState::Done(_)));
        assert!(matches!(
            op("FAILED", Some(50)).poll_state(),
            PollState::Failed { status, message } if status == "FAILED" && message == "m"
        ));
        assert!(matches!(
            op("", None).poll_state(),
            PollState::Failed { status, .. } if status == "without a status"
        ));
        let parsed: Operation = serde_json::from_str(
            r#"{"operation_id":"x","percentage_complete":"40","status":"IN_PROGRESS","percentage_details":null}"#,
        )
        .unwrap();
        assert_eq!(parsed.percentage_complete, Some(40));
    }
}
