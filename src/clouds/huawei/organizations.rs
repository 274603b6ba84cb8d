//! Huawei Cloud Organizations (global): membership as seen by a member account — read the
//! organization, accept or decline invitations (handshakes), leave — plus the management-side
//! calls the tests and the emulator cross-checks need (invite, show account).

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{ApiRequest, HuaweiConfig, PageInfo, Scope, Service, json_body, lenient, require_id};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::HttpClient;
use crate::clouds::reconcile::{self, DetachError, Detached, Presence};

pub const SHOW_ORGANIZATION_ACTION: &str = "ShowOrganization";
pub const LEAVE_ORGANIZATION_ACTION: &str = "LeaveOrganization";
pub const ACCEPT_HANDSHAKE_ACTION: &str = "AcceptHandshake";
pub const DECLINE_HANDSHAKE_ACTION: &str = "DeclineHandshake";
pub const SHOW_HANDSHAKE_ACTION: &str = "ShowHandshake";
pub const LIST_RECEIVED_HANDSHAKES_ACTION: &str = "ListReceivedHandshakes";
pub const INVITE_ACCOUNT_ACTION: &str = "InviteAccount";
pub const SHOW_ACCOUNT_ACTION: &str = "ShowAccount";
pub const LIST_ACCOUNTS_ACTION: &str = "ListAccounts";

/// The organization the calling account belongs to. Text fields the API omits are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Organization {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub urn: String,
    #[serde(deserialize_with = "lenient::string")]
    pub management_account_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub management_account_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub created_at: String,
}

/// Who an invitation is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandshakeTarget {
    /// `account` (entity is an account id) or `name` (entity is an account name).
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub target_type: String,
    #[serde(deserialize_with = "lenient::string")]
    pub entity: String,
}

/// An invitation to join an organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Handshake {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub urn: String,
    #[serde(deserialize_with = "lenient::string")]
    pub updated_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub created_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub expired_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub management_account_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub management_account_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub organization_id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub notes: String,
    #[serde(deserialize_with = "null_default")]
    pub target: HandshakeTarget,
    /// `pending`, `accepted`, `cancelled`, `declined` or `expired`.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
}

/// An account in the organization (management side).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub urn: String,
    /// `invited` or `created`.
    #[serde(deserialize_with = "lenient::string")]
    pub join_method: String,
    /// `active`, `suspended` or `pending_closure`.
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    #[serde(deserialize_with = "lenient::string")]
    pub joined_at: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub mobile_phone: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub intl_number_prefix: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
}

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct OrganizationResponse {
    organization: Option<Organization>,
}

#[derive(Deserialize)]
struct HandshakeResponse {
    handshake: Option<Handshake>,
}

#[derive(Deserialize)]
struct HandshakePage {
    #[serde(default, deserialize_with = "lenient::vec")]
    handshakes: Vec<Handshake>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct AccountPage {
    #[serde(default, deserialize_with = "lenient::vec")]
    accounts: Vec<Account>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct AccountResponse {
    account: Option<Account>,
}

#[derive(Serialize)]
struct InviteBody<'a> {
    target: InviteTarget<'a>,
    notes: &'a str,
}

#[derive(Serialize)]
struct InviteTarget<'a> {
    #[serde(rename = "type")]
    target_type: &'a str,
    entity: &'a str,
}

/// Client for Huawei Cloud Organizations. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct HuaweiOrganizationsClient {
    svc: Arc<Service>,
    cancel: Option<CancellationToken>,
}

impl HuaweiOrganizationsClient {
    pub fn new(cfg: &HuaweiConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::Huawei)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: &HuaweiConfig, http: HttpClient) -> Result<Self, CloudError> {
        let svc = Service::new(cfg, http, &cfg.endpoints.organizations, Scope::Global, "organizations")?;
        Ok(Self { svc, cancel: None })
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { svc: Arc::clone(&self.svc), cancel: Some(token) }
    }

    /// The caller's organization (`GET /v1/organizations`); `None` when the account belongs to
    /// no organization (`Organizations.1015`, which Huawei sends as a 401).
    pub async fn show_organization(&self) -> Result<Option<Organization>, CloudError> {
        let req = ApiRequest {
            action: SHOW_ORGANIZATION_ACTION,
            method: Method::GET,
            path: &["v1", "organizations"],
            query: &[],
            body: None,
            idempotent: true,
        };
        match self.svc.call_json::<OrganizationResponse>(self.cancel.as_ref(), req).await {
            Ok(resp) => Ok(resp.organization.filter(|o| !o.id.is_empty())),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Leaves the organization (`POST /v1/organizations/leave`, member accounts only, no body).
    ///
    /// Not idempotent: only throttling and failed connects are retried. After a lost answer the
    /// account may have left and joined again since (a new invitation, accepted), and a blind
    /// repeat would leave that new membership; use
    /// [`leave_organization_reconciled`](Self::leave_organization_reconciled), which reads first.
    pub async fn leave_organization(&self) -> Result<(), CloudError> {
        let req = ApiRequest {
            action: LEAVE_ORGANIZATION_ACTION,
            method: Method::POST,
            path: &["v1", "organizations", "leave"],
            query: &[],
            body: None,
            idempotent: false,
        };
        self.svc.call_empty(self.cancel.as_ref(), req).await
    }

    /// Leaves organization `organization_id`; after an answer that may have been lost, reads the
    /// membership (ShowOrganization) before deciding whether to send LeaveOrganization again
    /// (see [`reconcile`](crate::clouds::reconcile)): in no organization, or in another one,
    /// means this one was left. ShowOrganization cannot tell a membership from a later one of
    /// the same organization, so "still in it" sends again — rejoining needs a new invitation
    /// accepted by this very account, which cannot happen between the two calls unless the
    /// caller does it. A "not found" answer (`Organizations.1015`) is returned as the error it
    /// is, for the caller to treat as already left.
    ///
    /// The read after a lost answer goes through a handle on `settle` when given: it must still
    /// run after this handle's own token stopped the LeaveOrganization in flight (see
    /// [`reconcile::detach`]).
    pub async fn leave_organization_reconciled(
        &self,
        organization_id: &str,
        settle: Option<&CancellationToken>,
    ) -> Result<Detached, DetachError> {
        let reader = settle.map_or_else(|| self.clone(), |token| self.with_cancellation(token.clone()));
        let reader = &reader;
        reconcile::detach(
            self.svc.retry(),
            self.cancel.as_ref(),
            || self.leave_organization(),
            || async move {
                Ok(match reader.show_organization().await? {
                    Some(current) if organization_id.is_empty() || current.id == organization_id => Presence::Present,
                    _ => Presence::Gone,
                })
            },
        )
        .await
    }

    /// Accepts an invitation (`POST /v1/received-handshakes/{id}/accept`). Not idempotent: only
    /// throttling and failed connects are retried; otherwise reconcile by reading.
    pub async fn accept_handshake(&self, handshake_id: &str) -> Result<Handshake, CloudError> {
        self.handshake_action(ACCEPT_HANDSHAKE_ACTION, handshake_id, "accept").await
    }

    /// Declines an invitation (`POST /v1/received-handshakes/{id}/decline`). Not idempotent.
    pub async fn decline_handshake(&self, handshake_id: &str) -> Result<Handshake, CloudError> {
        self.handshake_action(DECLINE_HANDSHAKE_ACTION, handshake_id, "decline").await
    }

    async fn handshake_action(
        &self,
        action: &'static str,
        handshake_id: &str,
        verb: &str,
    ) -> Result<Handshake, CloudError> {
        require_id(action, "handshake_id", handshake_id)?;
        let req = ApiRequest {
            action,
            method: Method::POST,
            path: &["v1", "received-handshakes", handshake_id, verb],
            query: &[],
            body: None,
            idempotent: false,
        };
        let resp: HandshakeResponse = self.svc.call_json(self.cancel.as_ref(), req).await?;
        handshake_or_error(action, resp)
    }

    /// One handshake (`GET /v1/organizations/handshakes/{id}`); `None` when not found.
    pub async fn show_handshake(&self, handshake_id: &str) -> Result<Option<Handshake>, CloudError> {
        require_id(SHOW_HANDSHAKE_ACTION, "handshake_id", handshake_id)?;
        let req = ApiRequest {
            action: SHOW_HANDSHAKE_ACTION,
            method: Method::GET,
            path: &["v1", "organizations", "handshakes", handshake_id],
            query: &[],
            body: None,
            idempotent: true,
        };
        match self.svc.call_json::<HandshakeResponse>(self.cancel.as_ref(), req).await {
            Ok(resp) => Ok(resp.handshake),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every invitation the account received (`GET /v1/received-handshakes`, all pages).
    pub async fn list_received_handshakes(&self) -> Result<Vec<Handshake>, CloudError> {
        self.svc
            .list_all(
                self.cancel.as_ref(),
                LIST_RECEIVED_HANDSHAKES_ACTION,
                &["v1", "received-handshakes"],
                &[],
                |page: HandshakePage| (page.handshakes, page.page_info),
            )
            .await
    }

    /// Every account of the organization (management account or delegated administrator;
    /// `GET /v1/organizations/accounts`, all pages).
    pub async fn list_accounts(&self) -> Result<Vec<Account>, CloudError> {
        self.svc
            .list_all(
                self.cancel.as_ref(),
                LIST_ACCOUNTS_ACTION,
                &["v1", "organizations", "accounts"],
                &[],
                |page: AccountPage| (page.accounts, page.page_info),
            )
            .await
    }

    /// Invites an account (management account; `POST /v1/organizations/accounts/invite`).
    /// `target_type` is `account` (entity = account id) or `name`. Not idempotent.
    pub async fn invite_account(&self, target_type: &str, entity: &str, notes: &str) -> Result<Handshake, CloudError> {
        let action = INVITE_ACCOUNT_ACTION;
        require_id(action, "the invitation target", entity)?;
        let body = json_body(action, &InviteBody { target: InviteTarget { target_type, entity }, notes })?;
        let req = ApiRequest {
            action,
            method: Method::POST,
            path: &["v1", "organizations", "accounts", "invite"],
            query: &[],
            body: Some(body),
            idempotent: false,
        };
        let resp: HandshakeResponse = self.svc.call_json(self.cancel.as_ref(), req).await?;
        handshake_or_error(action, resp)
    }

    /// An account of the organization (management account or delegated administrator;
    /// `GET /v1/organizations/accounts/{id}`); `None` when not found.
    pub async fn show_account(&self, account_id: &str) -> Result<Option<Account>, CloudError> {
        require_id(SHOW_ACCOUNT_ACTION, "account_id", account_id)?;
        let req = ApiRequest {
            action: SHOW_ACCOUNT_ACTION,
            method: Method::GET,
            path: &["v1", "organizations", "accounts", account_id],
            query: &[],
            body: None,
            idempotent: true,
        };
        match self.svc.call_json::<AccountResponse>(self.cancel.as_ref(), req).await {
            Ok(resp) => Ok(resp.account),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn handshake_or_error(action: &str, resp: HandshakeResponse) -> Result<Handshake, CloudError> {
    resp.handshake
        .ok_or_else(|| CloudError::new(ErrorKind::Other, Cloud::Huawei, action, "the response has no handshake"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::clouds::huawei::test_support::*;

    fn client(server: &Server) -> HuaweiOrganizationsClient {
        HuaweiOrganizationsClient::new(&config(&server.url)).unwrap()
    }

    fn handshake(id: &str, status: &str) -> Value {
        json!({"id": id, "urn": format!("organizations::1:handshake:o-1/{id}"),
               "updated_at": "2024-01-02T00:00:00Z", "created_at": "2024-01-01T00:00:00Z",
               "expired_at": "2024-01-16T00:00:00Z", "management_account_id": "mgmt-1",
               "management_account_name": "mgmt", "organization_id": "o-1", "notes": "welcome",
               "target": {"type": "account", "entity": "member-1"}, "status": status})
    }

    #[tokio::test]
    async fn show_organization_sends_signed_global_request() {
        let server = Server::start(|_, _| {
            ok(json!({"organization": {"id": "o-1", "urn": "organizations::1:organization:o-1",
                "management_account_id": "mgmt-1", "management_account_name": "mgmt",
                "created_at": "2024-01-01T00:00:00Z"}}))
        })
        .await;
        let org = client(&server).show_organization().await.unwrap().unwrap();
        assert_eq!(
            org,
            Organization {
                id: "o-1".into(),
                urn: "organizations::1:organization:o-1".into(),
                management_account_id: "mgmt-1".into(),
                management_account_name: "mgmt".into(),
                created_at: "2024-01-01T00:00:00Z".into(),
            }
        );
        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let req = &seen[0];
        assert_eq!(req.line(), "GET /v1/organizations");
        assert_eq!(req.query, None);
        assert_eq!(req.header("x-domain-id"), Some(DOMAIN_ID));
        assert_eq!(req.header("x-project-id"), None);
        assert_eq!(req.header("x-security-token"), Some(TOKEN));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert!(req.header("user-agent").unwrap().starts_with("terraform-provider-tether/"));
        assert_signed(req, &server.host(), &["content-type", "user-agent", "x-domain-id", "x-security-token"]);
    }

    #[tokio::test]
    async fn no_organization_is_none() {
        let server = Server::start(|_, _| api_error(401, "Organizations.1015", "The organization is not found.")).await;
        assert_eq!(client(&server).show_organization().await.unwrap(), None);
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn leave_posts_empty_body_to_exact_path() {
        let server = Server::start(|_, _| Reply::Raw(200, "")).await;
        let mut cfg = config(&server.url);
        cfg.credentials.security_token = None;
        cfg.domain_id = None;
        HuaweiOrganizationsClient::new(&cfg).unwrap().leave_organization().await.unwrap();
        let req = &server.seen()[0];
        assert_eq!(req.line(), "POST /v1/organizations/leave");
        assert!(req.raw_body.is_empty());
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("x-security-token"), None);
        assert_eq!(req.header("x-domain-id"), None);
        assert_signed(req, &server.host(), &["content-type"]);
    }

    #[tokio::test]
    async fn leave_when_outside_an_organization_is_not_found() {
        let server = Server::start(|_, _| api_error(401, "Organizations.1015", "not found")).await;
        let e = client(&server).leave_organization().await.unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(e.action, LEAVE_ORGANIZATION_ACTION);
        assert_eq!(e.request_id.as_deref(), Some("body-req-id"));
    }

    /// A member account in organization `o-1` (or none): LeaveOrganization takes it out,
    /// ShowOrganization reads it. For the n-th LeaveOrganization (from 0), `leave(n)` says
    /// `(apply, hang_up)`; after a lost answer the account is in `rejoined`, if given.
    async fn fake_member(
        member_of: std::sync::Arc<std::sync::Mutex<Option<String>>>,
        leave: impl Fn(usize) -> (bool, bool) + Send + Sync + 'static,
        rejoined: Option<&'static str>,
    ) -> Server {
        let sent = std::sync::atomic::AtomicUsize::new(0);
        Server::start(move |req, _| {
            let mut member_of = member_of.lock().unwrap();
            if req.line() == LEAVE {
                let (apply, hang_up) = leave(sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                if apply {
                    *member_of = None;
                }
                if hang_up {
                    if let Some(org) = rejoined {
                        *member_of = Some(org.to_string());
                    }
                    return Reply::HangUp;
                }
                return Reply::Raw(200, "");
            }
            assert_eq!(req.line(), SHOW);
            match member_of.as_deref() {
                Some(id) => ok(json!({"organization": {"id": id, "urn": format!("organizations::1:organization:{id}"),
                    "management_account_id": "mgmt-1", "management_account_name": "mgmt", "created_at": "2024-01-01T00:00:00Z"}})),
                None => api_error(401, "Organizations.1015", "The organization is not found"),
            }
        })
        .await
    }

    const LEAVE: &str = "POST /v1/organizations/leave";
    const SHOW: &str = "GET /v1/organizations";

    fn in_org(id: &str) -> std::sync::Arc<std::sync::Mutex<Option<String>>> {
        std::sync::Arc::new(std::sync::Mutex::new(Some(id.to_string())))
    }

    #[tokio::test]
    async fn a_leave_applied_but_unanswered_is_confirmed_by_reading_not_resent() {
        let member_of = in_org("o-1");
        let server = fake_member(member_of.clone(), |n| (true, n == 0), None).await;
        let out = client(&server).leave_organization_reconciled("o-1", None).await.unwrap();
        assert_eq!(out, Detached::Confirmed);
        assert_eq!(server.lines(), [LEAVE, SHOW]);
        assert_eq!(*member_of.lock().unwrap(), None);
    }

    #[tokio::test]
    async fn a_leave_lost_before_it_applied_is_sent_once_more() {
        let member_of = in_org("o-1");
        let server = fake_member(member_of.clone(), |n| (n > 0, n == 0), None).await;
        let out = client(&server).leave_organization_reconciled("o-1", None).await.unwrap();
        assert_eq!(out, Detached::Answered);
        assert_eq!(server.lines(), [LEAVE, SHOW, LEAVE]);
        assert_eq!(*member_of.lock().unwrap(), None);
    }

    #[tokio::test]
    async fn an_account_found_in_another_organization_after_a_lost_leave_stays_there() {
        let member_of = in_org("o-1");
        let server = fake_member(member_of.clone(), |n| (true, n == 0), Some("o-2")).await;
        let out = client(&server).leave_organization_reconciled("o-1", None).await.unwrap();
        assert_eq!(out, Detached::Confirmed, "o-1 was left");
        assert_eq!(server.lines(), [LEAVE, SHOW], "o-2 is not left");
        assert_eq!(member_of.lock().unwrap().as_deref(), Some("o-2"));
    }

    #[tokio::test]
    async fn leave_is_not_repeated_blindly() {
        for reply in [|| Reply::HangUp, || api_error(500, "Organizations.500", "internal")] {
            let server = Server::start(move |_, _| reply()).await;
            let e = client(&server).leave_organization().await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transient);
            assert_eq!(server.seen().len(), 1, "{e}");
        }
    }

    #[tokio::test]
    async fn a_leave_with_an_unreadable_outcome_is_unknown() {
        let server = Server::start(|req, _| {
            if req.line() == LEAVE { Reply::HangUp } else { api_error(403, "Organizations.1007", "denied") }
        })
        .await;
        let e = client(&server).leave_organization_reconciled("o-1", None).await.unwrap_err();
        assert!(matches!(&e, DetachError::Unknown { read, .. } if read.kind == ErrorKind::Auth), "{e:?}");
        assert_eq!(server.lines(), [LEAVE, SHOW]);
    }

    #[tokio::test]
    async fn accept_and_decline_handshake() {
        let server = Server::start(|req, _| {
            let status = if req.path.ends_with("/accept") { "accepted" } else { "declined" };
            ok(json!({"handshake": handshake("h-1", status)}))
        })
        .await;
        let client = client(&server);
        let hs = client.accept_handshake("h-1").await.unwrap();
        assert_eq!(hs.status, "accepted");
        assert_eq!(hs.organization_id, "o-1");
        assert_eq!(hs.target, HandshakeTarget { target_type: "account".into(), entity: "member-1".into() });
        assert_eq!(hs.expired_at, "2024-01-16T00:00:00Z");
        let hs = client.decline_handshake("h-1").await.unwrap();
        assert_eq!(hs.status, "declined");
        let seen = server.seen();
        assert_eq!(seen[0].line(), "POST /v1/received-handshakes/h-1/accept");
        assert_eq!(seen[1].line(), "POST /v1/received-handshakes/h-1/decline");
        assert!(seen[0].raw_body.is_empty());
        assert_signed(&seen[0], &server.host(), &["x-domain-id", "x-security-token"]);

        let e = client.accept_handshake("").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid);
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn accept_is_retried_only_when_certainly_not_processed() {
        let server = Server::start(|_, i| match i {
            0 => api_error(429, "APIG.0308", "throttled"),
            _ => Reply::Raw(502, "bad gateway"),
        })
        .await;
        let e = client(&server).accept_handshake("h-1").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.http_status, Some(502));
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        // Throttled first attempt retried; the 502 (maybe processed) was not.
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn list_received_handshakes_follows_markers() {
        let server = Server::start(|req, _| {
            assert_eq!(req.method, "GET");
            assert_eq!(req.path, "/v1/received-handshakes");
            assert_eq!(req.query_param("limit").as_deref(), Some("100"));
            match req.query_param("marker").as_deref() {
                None => ok(json!({"handshakes": [handshake("h-1", "pending"), handshake("h-2", "accepted")],
                                   "page_info": {"next_marker": "h-2", "current_count": 2}})),
                Some("h-2") => ok(json!({"handshakes": [{"id": "h-3", "target": null, "notes": null}],
                                          "page_info": {"next_marker": null, "current_count": 1}})),
                other => panic!("unexpected marker {other:?}"),
            }
        })
        .await;
        let all = client(&server).list_received_handshakes().await.unwrap();
        let ids: Vec<&str> = all.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["h-1", "h-2", "h-3"]);
        assert_eq!(all[2].target, HandshakeTarget::default());
        assert_eq!(all[2].notes, "");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_signed(&seen[1], &server.host(), &["x-domain-id"]);
    }

    #[tokio::test]
    async fn paging_loop_is_an_error() {
        let server = Server::start(|_, _| ok(json!({"handshakes": [], "page_info": {"next_marker": "same"}}))).await;
        let e = client(&server).list_received_handshakes().await.unwrap_err();
        assert!(e.message.contains("paging loop"), "{e}");
        assert_eq!(server.seen().len(), 2);
    }

    #[tokio::test]
    async fn invite_and_show_account() {
        let server = Server::start(|req, _| {
            if req.method == "POST" {
                ok(json!({"handshake": handshake("h-9", "pending")}))
            } else if req.path.ends_with("/missing") {
                api_error(404, "Organizations.404", "account not found")
            } else {
                ok(json!({"account": {"id": "member-1", "urn": "u", "join_method": "invited",
                    "status": "active", "joined_at": "2024-01-03T00:00:00Z", "name": "member",
                    "email": null}}))
            }
        })
        .await;
        let client = client(&server);
        let hs = client.invite_account("account", "member-1", "please join").await.unwrap();
        assert_eq!(hs.id, "h-9");
        let account = client.show_account("member-1").await.unwrap().unwrap();
        assert_eq!(account.join_method, "invited");
        assert_eq!(account.email, None);
        assert_eq!(client.show_account("missing").await.unwrap(), None);

        let seen = server.seen();
        assert_eq!(seen[0].line(), "POST /v1/organizations/accounts/invite");
        assert_eq!(seen[0].body, json!({"target": {"type": "account", "entity": "member-1"}, "notes": "please join"}));
        assert_signed(&seen[0], &server.host(), &["content-type", "x-domain-id"]);
        assert_eq!(seen[1].line(), "GET /v1/organizations/accounts/member-1");
    }

    #[tokio::test]
    async fn ids_are_percent_encoded_in_paths() {
        let server = Server::start(|_, _| ok(json!({"handshake": handshake("x", "pending")}))).await;
        client(&server).show_handshake("a b/c").await.unwrap();
        let req = &server.seen()[0];
        assert_eq!(req.path, "/v1/organizations/handshakes/a%20b%2Fc");
        assert_signed(req, &server.host(), &[]);
        assert_eq!(client(&server).show_handshake("..").await.unwrap_err().kind, ErrorKind::Invalid);
    }

    #[tokio::test]
    async fn endpoint_path_prefix_is_kept() {
        let server = Server::start(|_, _| ok(json!({"organization": null}))).await;
        let mut cfg = config(&server.url);
        cfg.endpoints.organizations = server.url.join("/prefix/").unwrap();
        let client = HuaweiOrganizationsClient::new(&cfg).unwrap();
        assert_eq!(client.show_organization().await.unwrap(), None);
        let req = &server.seen()[0];
        assert_eq!(req.path, "/prefix/v1/organizations");
        assert_signed(req, &server.host(), &[]);
    }

    #[tokio::test]
    async fn signature_rejection_is_auth_and_not_retried() {
        let server =
            Server::start(|_, _| api_error(401, "APIGW.0301", "Incorrect IAM authentication information")).await;
        let c = client(&server);
        let e = c.show_organization().await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.message.contains("machine clock"), "{e}");
        assert_eq!(server.seen().len(), 1);
        let shown = format!("{e} {e:?} {c:?} {:?}", config(&server.url));
        assert!(!shown.contains(SK) && !shown.contains(TOKEN), "{shown}");
    }

    #[tokio::test]
    async fn cancellation_aborts_a_call_in_flight() {
        let server = Server::start(|_, _| Reply::Stall).await;
        let token = CancellationToken::new();
        let client = client(&server).with_cancellation(token.clone());
        let cancel = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        let e = tokio::time::timeout(Duration::from_secs(10), client.show_organization())
            .await
            .expect("cancellation should end the call")
            .unwrap_err();
        cancel.await.unwrap();
        assert_eq!(e.message, "cancelled");
        assert_eq!(e.action, SHOW_ORGANIZATION_ACTION);
    }

    #[test]
    fn types_tolerate_missing_fields() {
        let hs: Handshake = serde_json::from_str(r#"{"id":"h"}"#).unwrap();
        assert_eq!(hs.id, "h");
        assert_eq!(hs.status, "");
        let org: Organization = serde_json::from_str(r#"{"id":"o","created_at":null}"#).unwrap();
        assert_eq!(org.created_at, "");
    }
}
