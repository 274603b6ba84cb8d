//! Tencent Cloud Organization (2021-03-31): binding organization sub-accounts to a member's
//! access policy, and reading those bindings back.
//!
//! Cancellation: a client may carry a [`CancellationToken`] ([`OrganizationClient::with_cancellation`]);
//! when it fires, every call in flight on that client (or its clones) returns a "cancelled"
//! error of kind `Cancelled` at once. Dropping a call's future is equally safe.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::coalesce::{Coalescer, PolicyKey};
use super::sign::{SignedHeaders, Tc3Signer, X_TC_ACTION};
use super::{ORGANIZATION_SERVICE, ORGANIZATION_VERSION, TencentConfig, decode_response, lenient};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{Call, HttpClient, RetryPolicy, SignableRequest};
use crate::clouds::reconcile::{self, DetachError, Detached, Presence};

pub const BIND_ACTION: &str = "BindOrganizationMemberAuthAccount";
pub const CANCEL_ACTION: &str = "CancelOrganizationMemberAuthAccount";
pub const DESCRIBE_AUTH_ACCOUNTS_ACTION: &str = "DescribeOrganizationMemberAuthAccounts";
pub const DESCRIBE_POLICIES_ACTION: &str = "DescribeOrganizationMemberPolicies";

/// The API's limit on `OrgSubAccountUins` per bind.
pub const MAX_BIND_UINS: usize = 5;
/// The largest page Describe accepts; offsets must be multiples of it.
pub const PAGE_LIMIT: u64 = 50;
/// Page budget when the API reports no usable `Total`.
pub(super) const MAX_PAGES_UNKNOWN_TOTAL: u64 = 200;
/// The most items a listing may claim (`Total`): 2,000 pages of 50, far more than any real
/// organization binds to one policy. Paging plans its offsets from `Total`, so an absurd one
/// (a broken or hostile endpoint) would otherwise make a listing allocate, or send, without end.
pub const MAX_LISTED: u64 = 2_000 * PAGE_LIMIT;

const X_TC_VERSION: HeaderName = HeaderName::from_static("x-tc-version");
const X_TC_REGION: HeaderName = HeaderName::from_static("x-tc-region");
const X_TC_LANGUAGE: HeaderName = HeaderName::from_static("x-tc-language");

/// One sub-account bound to a member's policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrgMemberAuthAccount {
    #[serde(deserialize_with = "lenient::u64")]
    pub org_sub_account_uin: u64,
    #[serde(deserialize_with = "lenient::u64")]
    pub policy_id: u64,
    #[serde(deserialize_with = "lenient::string")]
    pub policy_name: String,
    #[serde(deserialize_with = "lenient::u64")]
    pub identity_id: u64,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_role_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_role_alias_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub create_time: String,
    #[serde(deserialize_with = "lenient::string")]
    pub update_time: String,
    #[serde(deserialize_with = "lenient::string")]
    pub org_sub_account_name: String,
}

/// How far the caller's clock may be from Tencent's: TC3 refuses a request whose timestamp is
/// more than five minutes off (`AuthFailure.SignatureExpire`), so any call that was answered
/// at all came from a clock within this of the server's.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

impl OrgMemberAuthAccount {
    /// `CreateTime` as an instant. Tencent writes it as `YYYY-MM-DD HH:MM:SS` in Beijing time
    /// (UTC+8), as its console and examples do; `None` for anything else.
    pub fn created_at(&self) -> Option<SystemTime> {
        let (date, time) = self.create_time.trim().split_once(' ')?;
        let numbers = |text: &str, sep: char| -> Option<Vec<u32>> { text.split(sep).map(|n| n.parse().ok()).collect() };
        let (date, time) = (numbers(date, '-')?, numbers(time, ':')?);
        let [year, month, day] = <[u32; 3]>::try_from(date).ok()?;
        let [hour, minute, second] = <[u32; 3]>::try_from(time).ok()?;
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
        let clock =
            time::Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?)
                .ok()?;
        let instant = time::PrimitiveDateTime::new(date, clock).assume_offset(time::macros::offset!(+8));
        Some(SystemTime::from(instant))
    }

    /// Whether this binding certainly existed before a call sent at `sent` (by the caller's
    /// clock): created more than [`MAX_CLOCK_SKEW`] earlier. `false` when unsure, including an
    /// unreadable `CreateTime`.
    pub fn existed_before(&self, sent: SystemTime) -> bool {
        match (self.created_at(), sent.checked_sub(MAX_CLOCK_SKEW)) {
            (Some(created), Some(threshold)) => created < threshold,
            _ => false,
        }
    }
}

/// One page of `DescribeOrganizationMemberAuthAccounts`; `Items`/`Total` of `null` become empty/0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthAccountPage {
    pub items: Vec<OrgMemberAuthAccount>,
    pub total: u64,
    pub request_id: String,
}

/// A member's access policy (an identity the management account can assume in the member).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MemberPolicy {
    #[serde(deserialize_with = "lenient::u64")]
    pub policy_id: u64,
    #[serde(deserialize_with = "lenient::string")]
    pub policy_name: String,
    #[serde(deserialize_with = "lenient::u64")]
    pub identity_id: u64,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_role_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub identity_role_alias_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub description: String,
    #[serde(deserialize_with = "lenient::string")]
    pub create_time: String,
    #[serde(deserialize_with = "lenient::string")]
    pub update_time: String,
}

/// One page of `DescribeOrganizationMemberPolicies`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberPolicyPage {
    pub items: Vec<MemberPolicy>,
    pub total: u64,
    pub request_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", bound(deserialize = "T: Deserialize<'de>"))]
struct Paged<T> {
    #[serde(default, deserialize_with = "lenient::vec")]
    items: Vec<T>,
    #[serde(default, deserialize_with = "lenient::u64")]
    total: u64,
}

#[derive(Deserialize)]
struct NoData {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct BindParams<'a> {
    member_uin: u64,
    policy_id: u64,
    org_sub_account_uins: &'a [u64],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CancelParams {
    member_uin: u64,
    policy_id: u64,
    org_sub_account_uin: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAuthAccountsParams {
    member_uin: u64,
    policy_id: u64,
    offset: u64,
    limit: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribePoliciesParams {
    member_uin: u64,
    offset: u64,
    limit: u64,
}

/// Client for the Organization API. Cloning is cheap and shares the connection pool.
#[derive(Debug, Clone)]
pub struct OrganizationClient {
    inner: Arc<Inner>,
    cancel: Option<CancellationToken>,
}

#[derive(Debug)]
struct Inner {
    http: HttpClient,
    signer: Tc3Signer,
    /// Every header but the per-attempt ones the signer adds.
    base_request: SignableRequest,
    host: String,
    retry: RetryPolicy,
    /// Shared by every handle of this client, so all concurrent operations coalesce together.
    coalescer: Coalescer,
}

impl OrganizationClient {
    pub fn new(cfg: TencentConfig) -> Result<Self, CloudError> {
        let http = HttpClient::new(Cloud::Tencent)?;
        Self::with_http_client(cfg, http)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: TencentConfig, http: HttpClient) -> Result<Self, CloudError> {
        let setup_error = |msg: String| CloudError::new(ErrorKind::Invalid, Cloud::Tencent, "client setup", msg);
        let creds = cfg.credentials;
        if creds.secret_id.trim().is_empty() {
            return Err(setup_error("the secret id is empty".into()));
        }
        if creds.secret_key.is_empty() {
            return Err(setup_error("the secret key is empty".into()));
        }
        let endpoint = cfg.endpoint;
        if !matches!(endpoint.scheme(), "http" | "https") || endpoint.host_str().is_none() {
            return Err(setup_error(format!("endpoint {endpoint} must be an http:// or https:// URL with a host")));
        }

        let mut base_request = SignableRequest::new(Method::POST, endpoint);
        let headers = &mut base_request.headers;
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(X_TC_VERSION, HeaderValue::from_static(ORGANIZATION_VERSION));
        headers.insert(X_TC_LANGUAGE, HeaderValue::from_static("en-US"));
        if let Some(region) = cfg.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            let value = HeaderValue::from_str(region).map_err(|_| setup_error(format!("invalid region {region:?}")))?;
            headers.insert(X_TC_REGION, value);
        }
        let host = base_request.host();

        let signer = Tc3Signer {
            secret_id: creds.secret_id.trim().to_owned(),
            secret_key: creds.secret_key,
            security_token: creds.security_token.filter(|t| !t.is_empty()),
            service: ORGANIZATION_SERVICE.to_owned(),
            signed_headers: SignedHeaders::ContentTypeHostAction,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                signer,
                base_request,
                host,
                retry: cfg.retry,
                coalescer: Coalescer::new(cfg.coalescing),
            }),
            cancel: None,
        })
    }

    /// A handle whose calls are not tied to any cancellation token, for reads that must finish
    /// (recording what a write did) even when the caller was asked to stop.
    pub fn without_cancellation(&self) -> Self {
        Self { inner: Arc::clone(&self.inner), cancel: None }
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { inner: Arc::clone(&self.inner), cancel: Some(token) }
    }

    /// Binds up to five organization sub-accounts to the member's policy. Returns the RequestId.
    ///
    /// Not idempotent: only throttling and failed connects are retried. Any other transient
    /// failure is returned as is — the bind may have happened, so reconcile with
    /// [`find_member_auth_account`](Self::find_member_auth_account). A bind of an existing
    /// binding fails with kind `Conflict` (`FailedOperation.SubAccountIdentityExist`).
    pub async fn bind_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uins: &[u64],
    ) -> Result<String, CloudError> {
        self.bind_member_auth_accounts_paced(member_uin, policy_id, org_sub_account_uins, false).await
    }

    /// [`bind_member_auth_accounts`](Self::bind_member_auth_accounts) for a caller that may
    /// already hold Bind's pacing slot (`paced`, from [`pace`](Self::pace)).
    pub(super) async fn bind_member_auth_accounts_paced(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uins: &[u64],
        paced: bool,
    ) -> Result<String, CloudError> {
        if org_sub_account_uins.is_empty() || org_sub_account_uins.len() > MAX_BIND_UINS {
            return Err(CloudError::new(
                ErrorKind::Invalid,
                Cloud::Tencent,
                BIND_ACTION,
                format!("OrgSubAccountUins must hold 1 to {MAX_BIND_UINS} UINs, got {}", org_sub_account_uins.len()),
            ));
        }
        let params = BindParams { member_uin, policy_id, org_sub_account_uins };
        let _write = self.inner.coalescer.write(PolicyKey { member_uin, policy_id });
        let (NoData {}, request_id) = self.call_paced(BIND_ACTION, &params, false, paced).await?;
        Ok(request_id)
    }

    /// Removes one sub-account's binding. Returns the RequestId.
    ///
    /// Not idempotent: only throttling and failed connects are retried. After a lost answer the
    /// Cancel may have been applied and the binding bound again since, so a blind repeat could
    /// cancel a binding this call never meant; use
    /// [`cancel_member_auth_account_reconciled`](Self::cancel_member_auth_account_reconciled),
    /// which reads before sending again.
    pub async fn cancel_member_auth_account(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<String, CloudError> {
        let params = CancelParams { member_uin, policy_id, org_sub_account_uin };
        let _write = self.inner.coalescer.write(PolicyKey { member_uin, policy_id });
        let (NoData {}, request_id) = self.call(CANCEL_ACTION, &params, false).await?;
        Ok(request_id)
    }

    /// Cancels one binding; after an answer that may have been lost, reads the binding before
    /// deciding whether to send the Cancel again (see [`reconcile`](crate::clouds::reconcile)).
    ///
    /// `created` is the binding's `CreateTime` as last read, when known: a binding found with
    /// another `CreateTime` was bound again after the lost Cancel took effect, and is left
    /// alone ([`Detached::Replaced`]). A "not found" answer (`FailedOperation.SubAccountNotExist`,
    /// a missing member or policy) is returned as the error it is, for the caller to treat as
    /// already detached.
    ///
    /// The read after a lost answer goes through a handle on `settle` when given (the
    /// operation's settle token): a Cancel abandoned in flight on Ctrl-C is read after too, with
    /// this handle's own token already fired.
    pub async fn cancel_member_auth_account_reconciled(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
        created: Option<&str>,
        settle: Option<&CancellationToken>,
    ) -> Result<Detached, DetachError> {
        let created = created.map(str::trim).filter(|c| !c.is_empty());
        let reader = settle.map_or_else(|| self.clone(), |token| self.with_cancellation(token.clone()));
        let reader = &reader;
        reconcile::detach(
            &self.inner.retry,
            self.cancel.as_ref(),
            || async { self.cancel_member_auth_account(member_uin, policy_id, org_sub_account_uin).await.map(drop) },
            || async {
                // A shared listing never predates the Cancel: it ended before this read began.
                match reader.find_member_auth_account_shared(member_uin, policy_id, org_sub_account_uin).await {
                    Ok(None) => Ok(Presence::Gone),
                    Err(e) if e.is_not_found() => Ok(Presence::Gone),
                    Ok(Some(found)) => Ok(match created {
                        Some(created) if !found.create_time.is_empty() && found.create_time != created => {
                            Presence::Replaced(format!(
                                "a binding created at {} (the cancelled one was created at {created})",
                                found.create_time
                            ))
                        }
                        _ => Presence::Present,
                    }),
                    Err(e) => Err(e),
                }
            },
        )
        .await
    }

    /// One page of the sub-accounts bound to the member's policy. `offset` must be a multiple of
    /// `limit` (1–50).
    pub async fn describe_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
        offset: u64,
        limit: u64,
    ) -> Result<AuthAccountPage, CloudError> {
        self.describe_member_auth_accounts_paced(member_uin, policy_id, offset, limit, false).await
    }

    /// [`describe_member_auth_accounts`](Self::describe_member_auth_accounts) for a caller that
    /// may already hold Describe's pacing slot (`paced`, from [`pace`](Self::pace)).
    pub(super) async fn describe_member_auth_accounts_paced(
        &self,
        member_uin: u64,
        policy_id: u64,
        offset: u64,
        limit: u64,
        paced: bool,
    ) -> Result<AuthAccountPage, CloudError> {
        let params = DescribeAuthAccountsParams { member_uin, policy_id, offset, limit };
        let (page, request_id): (Paged<OrgMemberAuthAccount>, _) =
            self.call_paced(DESCRIBE_AUTH_ACCOUNTS_ACTION, &params, true, paced).await?;
        check_total(DESCRIBE_AUTH_ACCOUNTS_ACTION, page.total)?;
        Ok(AuthAccountPage { items: page.items, total: page.total, request_id })
    }

    /// All sub-accounts bound to the member's policy, read in pages of 50.
    pub async fn list_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
    ) -> Result<Vec<OrgMemberAuthAccount>, CloudError> {
        let mut all = Vec::new();
        self.scan_member_auth_accounts(member_uin, policy_id, |item| {
            all.push(item);
            ControlFlow::Continue(())
        })
        .await?;
        Ok(all)
    }

    /// The binding of `org_sub_account_uin` to the member's policy, if it exists. Items must
    /// match both the policy id and the sub-account UIN (the member is fixed by the query).
    /// A `NotFound` error for the member or policy also means "no binding": `Ok(None)`.
    pub async fn find_member_auth_account(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        let mut found = None;
        let scan = self.scan_member_auth_accounts(member_uin, policy_id, |item| {
            if item.policy_id == policy_id && item.org_sub_account_uin == org_sub_account_uin {
                found = Some(item);
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        match scan.await {
            Ok(()) => Ok(found),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Binds one sub-account to the member's policy, batched with concurrent binds to the same
    /// policy (see [`coalesce`](super::coalesce)). Returns the RequestId of the call that bound
    /// it. Errors are this sub-account's own, as from
    /// [`bind_member_auth_accounts`](Self::bind_member_auth_accounts).
    pub async fn bind_member_auth_account_batched(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<String, CloudError> {
        let key = PolicyKey { member_uin, policy_id };
        self.inner.coalescer.bind(self, key, org_sub_account_uin, self.cancel.as_ref()).await
    }

    /// Like [`find_member_auth_account`](Self::find_member_auth_account), from a listing shared
    /// with concurrent reads of the same policy (see [`coalesce`](super::coalesce)); never from
    /// one that started before a write this client made to that policy.
    pub async fn find_member_auth_account_shared(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        let key = PolicyKey { member_uin, policy_id };
        self.inner.coalescer.find(self, key, org_sub_account_uin, self.cancel.as_ref()).await
    }

    pub(super) fn coalescer(&self) -> &Coalescer {
        &self.inner.coalescer
    }

    /// Takes `action`'s next pacing slot for a call made later with `paced` set; `false` at
    /// once when calls are not paced.
    pub(super) async fn pace(&self, action: &str) -> bool {
        self.inner.http.pace(action).await
    }

    /// One page of the member's access policies.
    pub async fn describe_member_policies(
        &self,
        member_uin: u64,
        offset: u64,
        limit: u64,
    ) -> Result<MemberPolicyPage, CloudError> {
        let params = DescribePoliciesParams { member_uin, offset, limit };
        let (page, request_id): (Paged<MemberPolicy>, _) = self.call(DESCRIBE_POLICIES_ACTION, &params, true).await?;
        check_total(DESCRIBE_POLICIES_ACTION, page.total)?;
        Ok(MemberPolicyPage { items: page.items, total: page.total, request_id })
    }

    /// All of the member's access policies, read in pages of 50.
    pub async fn list_member_policies(&self, member_uin: u64) -> Result<Vec<MemberPolicy>, CloudError> {
        let mut all = Vec::new();
        let mut offset = 0;
        loop {
            let page = self.describe_member_policies(member_uin, offset, PAGE_LIMIT).await?;
            let count = page.items.len() as u64;
            all.extend(page.items);
            offset += PAGE_LIMIT;
            // A short page, the reported total, or a server that ignores Offset ends the scan.
            if count < PAGE_LIMIT || all.len() as u64 >= page.total || offset > page.total.saturating_add(PAGE_LIMIT) {
                return Ok(all);
            }
        }
    }

    /// Visits bound sub-accounts page by page until `visit` breaks or the pages run out
    /// (see [`AuthAccountPages`]).
    async fn scan_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
        mut visit: impl FnMut(OrgMemberAuthAccount) -> ControlFlow<()>,
    ) -> Result<(), CloudError> {
        let mut pages = self.member_auth_account_pages(member_uin, policy_id);
        while let Some(page) = pages.next_page().await? {
            for item in page {
                if visit(item).is_break() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// The sub-accounts bound to the member's policy, a page at a time, for callers that stop
    /// early (such as `terraform query` with a limit).
    pub fn member_auth_account_pages(&self, member_uin: u64, policy_id: u64) -> AuthAccountPages<'_> {
        AuthAccountPages {
            client: self,
            member_uin,
            policy_id,
            offset: 0,
            seen: 0,
            pages: 0,
            max_pages: None,
            done: false,
        }
    }

    async fn call<P: Serialize, T: DeserializeOwned>(
        &self,
        action: &'static str,
        params: &P,
        idempotent: bool,
    ) -> Result<(T, String), CloudError> {
        self.call_paced(action, params, idempotent, false).await
    }

    /// [`call`](Self::call), saying whether the caller already took the action's pacing slot
    /// (see [`pace`](Self::pace)).
    async fn call_paced<P: Serialize, T: DeserializeOwned>(
        &self,
        action: &'static str,
        params: &P,
        idempotent: bool,
        first_attempt_paced: bool,
    ) -> Result<(T, String), CloudError> {
        let inner = &*self.inner;
        let mut request = inner.base_request.clone();
        request.body = serde_json::to_vec(params).map_err(|e| {
            CloudError::new(ErrorKind::Other, Cloud::Tencent, action, format!("cannot encode parameters: {e}"))
        })?;
        request.headers.insert(X_TC_ACTION, HeaderValue::from_static(action));
        let call = Call {
            action,
            idempotent,
            retry: &inner.retry,
            cancel: self.cancel.as_ref(),
            first_attempt_paced,
            deadline: None,
        };
        let host = inner.host.as_str();
        let (data, request_id) = inner
            .http
            .execute(call, &inner.signer, &request, |resp| decode_response::<T>(action, host, resp.status, &resp.body))
            .await?;
        tracing::debug!(cloud = %Cloud::Tencent, action, request_id, "cloud API call succeeded");
        Ok((data, request_id))
    }
}

/// Refuses a page whose `Total` is past [`MAX_LISTED`], before anything plans pages from it.
fn check_total(action: &'static str, total: u64) -> Result<(), CloudError> {
    if total <= MAX_LISTED {
        return Ok(());
    }
    Err(CloudError::new(
        ErrorKind::Other,
        Cloud::Tencent,
        action,
        format!(
            "the API reports Total {total}, more than the {MAX_LISTED} items ({} pages of {PAGE_LIMIT}) this provider reads in one listing, so it did not page through them; check that the endpoint is Tencent Cloud's Organization API",
            MAX_LISTED / PAGE_LIMIT
        ),
    ))
}

/// Pages of DescribeOrganizationMemberAuthAccounts. Paging ends at a short page, at `Total`,
/// or when the page budget (`Total/50 + 2`) runs out — the budget guards against a server that
/// never stops returning full pages.
pub struct AuthAccountPages<'a> {
    client: &'a OrganizationClient,
    member_uin: u64,
    policy_id: u64,
    offset: u64,
    seen: u64,
    pages: u64,
    max_pages: Option<u64>,
    done: bool,
}

impl AuthAccountPages<'_> {
    /// The next page, or `None` when there are no more.
    pub async fn next_page(&mut self) -> Result<Option<Vec<OrgMemberAuthAccount>>, CloudError> {
        if self.done {
            return Ok(None);
        }
        let page =
            self.client.describe_member_auth_accounts(self.member_uin, self.policy_id, self.offset, PAGE_LIMIT).await?;
        let max_pages = *self.max_pages.get_or_insert(if page.total > 0 {
            page.total / PAGE_LIMIT + 2
        } else {
            MAX_PAGES_UNKNOWN_TOTAL
        });
        let count = page.items.len() as u64;
        self.seen += count;
        self.pages += 1;
        self.offset += PAGE_LIMIT;
        let total_reached = page.total > 0 && self.seen >= page.total;
        if count < PAGE_LIMIT || total_reached {
            self.done = true;
        } else if self.pages >= max_pages {
            tracing::warn!(
                cloud = %Cloud::Tencent,
                action = DESCRIBE_AUTH_ACCOUNTS_ACTION,
                member_uin = self.member_uin,
                policy_id = self.policy_id,
                pages = self.pages,
                total = page.total,
                "stopped paging: the API kept returning full pages beyond Total"
            );
            self.done = true;
        }
        Ok(Some(page.items))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};
    use tokio::net::TcpListener;
    use url::Url;

    use super::*;
    use crate::clouds::Secret;
    use crate::clouds::tencent::TencentCredentials;
    use crate::clouds::tencent::sign::{Tc3Input, tc3_signature, utc_date};
    use crate::clouds::test_server::{self, IntoReply, Seen, Server, fast_retry};

    const SECRET_KEY: &str = "s3cr3t-key-do-not-log";
    const TOKEN: &str = "t0ken-do-not-log";

    /// The `X-TC-Action` a request was sent with.
    trait TencentSeen {
        fn action(&self) -> &str;
    }

    impl TencentSeen for Seen {
        fn action(&self) -> &str {
            self.header("x-tc-action").unwrap_or_default()
        }
    }

    /// Tencent's answers; the envelope's `RequestId` is `req-<index>`.
    enum Reply {
        Ok(Value),
        ApiError(&'static str, &'static str),
        /// A status with an HTML body.
        Status(u16),
        HangUp,
        Stall,
        /// Another reply, after a pause.
        Later(Duration, Box<Reply>),
    }

    impl IntoReply for Reply {
        fn into_reply(self, index: usize) -> test_server::Reply {
            let request_id = format!("req-{index}");
            match self {
                Reply::Ok(mut response) => {
                    response["RequestId"] = json!(request_id);
                    test_server::ok(json!({ "Response": response }))
                }
                Reply::ApiError(code, message) => test_server::ok(json!({"Response": {
                    "Error": {"Code": code, "Message": message}, "RequestId": request_id}})),
                Reply::Status(status) => test_server::Reply::Raw(status, "<html>gateway trouble</html>"),
                Reply::HangUp => test_server::Reply::HangUp,
                Reply::Stall => test_server::Reply::Stall,
                Reply::Later(pause, reply) => test_server::Reply::Later(pause, Box::new(reply.into_reply(index))),
            }
        }
    }

    fn config(endpoint: &Url) -> TencentConfig {
        TencentConfig {
            credentials: TencentCredentials {
                secret_id: "AKIDtest".into(),
                secret_key: Secret::new(SECRET_KEY),
                security_token: Some(Secret::new(TOKEN)),
            },
            region: None,
            endpoint: endpoint.clone(),
            retry: fast_retry(),
            coalescing: Default::default(),
        }
    }

    fn client(server: &Server) -> OrganizationClient {
        OrganizationClient::new(config(&server.url)).unwrap()
    }

    fn item(uin: u64, policy: u64) -> Value {
        json!({"OrgSubAccountUin": uin, "PolicyId": policy, "PolicyName": "p", "IdentityId": 1,
               "IdentityRoleName": "OrganizationAccessControlRole", "IdentityRoleAliasName": "admin",
               "CreateTime": "2021-07-14 21:00:59", "UpdateTime": "2021-07-14 21:00:59",
               "OrgSubAccountName": format!("sub-{uin}")})
    }

    /// Checks the TC3 headers by recomputing the signature from what arrived.
    fn assert_signed(req: &Seen, host: &str) {
        let ts: i64 = req.header("x-tc-timestamp").unwrap().parse().unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert!((now as i64 - ts).abs() < 60);
        assert_eq!(req.header("host"), Some(host));
        let expected = tc3_signature(
            SECRET_KEY,
            &Tc3Input {
                service: "organization",
                host,
                action: req.action(),
                content_type: req.header("content-type").unwrap(),
                payload: &req.raw_body,
                timestamp: ts,
                signed_headers: SignedHeaders::ContentTypeHostAction,
            },
        );
        let scope = format!("{}/organization/tc3_request", utc_date(ts));
        assert_eq!(expected.credential_scope, scope);
        assert_eq!(
            req.header("authorization").unwrap(),
            format!(
                "TC3-HMAC-SHA256 Credential=AKIDtest/{scope}, SignedHeaders=content-type;host;x-tc-action, Signature={}",
                expected.signature
            )
        );
    }

    #[tokio::test]
    async fn bind_sends_a_signed_json_request() {
        let server = Server::start(|_, _| Reply::Ok(json!({}))).await;
        let request_id =
            client(&server).bind_member_auth_accounts(100000546922, 1001, &[222222222222, 3]).await.unwrap();
        assert_eq!(request_id, "req-0");

        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let req = &seen[0];
        assert_eq!(req.action(), "BindOrganizationMemberAuthAccount");
        assert_eq!(req.header("x-tc-version"), Some("2021-03-31"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("x-tc-language"), Some("en-US"));
        assert_eq!(req.header("x-tc-token"), Some(TOKEN));
        assert_eq!(req.header("x-tc-region"), None);
        assert!(req.header("user-agent").unwrap().starts_with("terraform-provider-tether/"));
        assert_signed(req, &format!("127.0.0.1:{}", server.url.port().unwrap()));
        assert_eq!(
            req.body,
            json!({"MemberUin": 100000546922u64, "PolicyId": 1001, "OrgSubAccountUins": [222222222222u64, 3]})
        );
        // Integers go out as JSON numbers, not strings.
        let raw = String::from_utf8(req.raw_body.clone()).unwrap();
        assert!(raw.contains(r#""MemberUin":100000546922"#), "{raw}");
    }

    #[tokio::test]
    async fn cancel_sends_region_and_no_token_when_unset() {
        let server = Server::start(|_, _| Reply::Ok(json!({}))).await;
        let mut cfg = config(&server.url);
        cfg.region = Some("ap-guangzhou".into());
        cfg.credentials.security_token = None;
        let client = OrganizationClient::new(cfg).unwrap();
        let id = client.cancel_member_auth_account(1, 2, 3).await.unwrap();
        assert_eq!(id, "req-0");
        let req = &server.seen()[0];
        assert_eq!(req.action(), "CancelOrganizationMemberAuthAccount");
        assert_eq!(req.header("x-tc-region"), Some("ap-guangzhou"));
        assert_eq!(req.header("x-tc-token"), None);
        assert_eq!(req.body, json!({"MemberUin": 1, "PolicyId": 2, "OrgSubAccountUin": 3}));
    }

    #[tokio::test]
    async fn bind_checks_uin_count_before_sending() {
        let server = Server::start(|_, _| Reply::Ok(json!({}))).await;
        let client = client(&server);
        for uins in [&[][..], &[1, 2, 3, 4, 5, 6][..]] {
            let e = client.bind_member_auth_accounts(1, 2, uins).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Invalid);
            assert_eq!(e.action, BIND_ACTION);
        }
        client.bind_member_auth_accounts(1, 2, &[1, 2, 3, 4, 5]).await.unwrap();
        assert_eq!(server.seen().len(), 1);
    }

    /// Two pages (50 + 7). Page one holds the wanted UIN under another policy, which must not
    /// match; page two holds the real binding, with numbers sent as strings.
    fn paged_handler(req: &Seen, _: usize) -> Reply {
        assert_eq!(req.action(), DESCRIBE_AUTH_ACCOUNTS_ACTION);
        assert_eq!(req.body["Limit"], json!(50));
        let mut items: Vec<Value> = match req.body["Offset"].as_u64().unwrap() {
            0 => (0..50).map(|i| item(5000 + i, 1001)).collect(),
            50 => (0..6).map(|i| item(6000 + i, 1001)).collect(),
            other => panic!("unexpected offset {other}"),
        };
        if req.body["Offset"] == json!(0) {
            items[7] = item(777, 9999);
        } else {
            let mut wanted = item(777, 1001);
            wanted["OrgSubAccountUin"] = json!("777");
            wanted["PolicyId"] = json!("1001");
            wanted["PolicyName"] = json!("the-policy");
            items.push(wanted);
        }
        Reply::Ok(json!({"Items": items, "Total": 57}))
    }

    #[tokio::test]
    async fn find_pages_and_matches_all_keys() {
        let server = Server::start(paged_handler).await;
        let client = client(&server);

        let found = client.find_member_auth_account(111, 1001, 777).await.unwrap().unwrap();
        assert_eq!(found.org_sub_account_uin, 777);
        assert_eq!(found.policy_id, 1001);
        assert_eq!(found.policy_name, "the-policy");
        assert_eq!(found.org_sub_account_name, "sub-777");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].body, json!({"MemberUin": 111, "PolicyId": 1001, "Offset": 0, "Limit": 50}));
        assert_eq!(seen[1].body["Offset"], json!(50));
        assert_signed(&seen[1], &format!("127.0.0.1:{}", server.url.port().unwrap()));

        assert_eq!(client.find_member_auth_account(111, 1001, 4242).await.unwrap(), None);
        assert_eq!(client.list_member_auth_accounts(111, 1001).await.unwrap().len(), 57);
        assert_eq!(server.seen().len(), 6);
    }

    #[tokio::test]
    async fn paging_stops_on_full_pages_beyond_total() {
        // A broken server that always returns full pages: paging ends once Total is reached,
        // or, with no Total, when the page budget runs out.
        let server = Server::start(|_, _| {
            Reply::Ok(json!({"Items": (0..50).map(|i| item(i, 1)).collect::<Vec<_>>(), "Total": 60}))
        })
        .await;
        let all = client(&server).list_member_auth_accounts(1, 1).await.unwrap();
        assert_eq!(all.len(), 100);
        assert_eq!(server.seen().len(), 2);

        let server = Server::start(|_, _| {
            Reply::Ok(json!({"Items": (0..50).map(|i| item(i, 1)).collect::<Vec<_>>(), "Total": null}))
        })
        .await;
        let all = client(&server).list_member_auth_accounts(1, 1).await.unwrap();
        assert_eq!(all.len() as u64, 50 * MAX_PAGES_UNKNOWN_TOTAL);
    }

    #[tokio::test]
    async fn an_absurd_total_is_refused_before_paging() {
        // This Total used to make one import plan an offset per page and run out of memory.
        let server = Server::start(|_, _| Reply::Ok(json!({"Items": [], "Total": u64::MAX}))).await;
        let client = client(&server);
        let e = client.list_member_auth_accounts(1, 1).await.unwrap_err();
        assert_eq!(e.action, DESCRIBE_AUTH_ACCOUNTS_ACTION);
        assert!(e.to_string().contains("more than the 100000 items (2000 pages of 50)"), "{e}");
        assert!(client.find_member_auth_account(1, 1, 2).await.is_err());
        // The shared listing (coalesced reads) too.
        assert!(client.find_member_auth_account_shared(1, 1, 2).await.is_err());
        let e = client.list_member_policies(1).await.unwrap_err();
        assert_eq!(e.action, DESCRIBE_POLICIES_ACTION);
        // Each listing stopped at its first page.
        assert_eq!(server.seen().len(), 4);
        // The largest Total allowed still pages normally (a short page ends it).
        let server = Server::start(|_, _| Reply::Ok(json!({"Items": [item(1, 1)], "Total": MAX_LISTED}))).await;
        assert_eq!(super::tests::client(&server).list_member_auth_accounts(1, 1).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn null_items_and_total_are_empty() {
        let server = Server::start(|_, _| Reply::Ok(json!({"Items": null, "Total": null}))).await;
        let client = client(&server);
        let page = client.describe_member_auth_accounts(1, 2, 0, 10).await.unwrap();
        assert_eq!(page, AuthAccountPage { items: vec![], total: 0, request_id: "req-0".into() });
        assert!(client.list_member_auth_accounts(1, 2).await.unwrap().is_empty());
        assert_eq!(client.find_member_auth_account(1, 2, 3).await.unwrap(), None);
    }

    #[tokio::test]
    async fn find_treats_missing_member_or_policy_as_absent() {
        let server = Server::start(|_, _| Reply::ApiError("ResourceNotFound.MemberPolicyNotExist", "no policy")).await;
        assert_eq!(client(&server).find_member_auth_account(1, 2, 3).await.unwrap(), None);
    }

    #[tokio::test]
    async fn throttling_is_retried_even_for_bind() {
        let server = Server::start(|_, i| {
            if i == 0 { Reply::ApiError("RequestLimitExceeded", "too many requests") } else { Reply::Ok(json!({})) }
        })
        .await;
        let id = client(&server).bind_member_auth_accounts(1, 2, &[3]).await.unwrap();
        assert_eq!(id, "req-1");
        let seen = server.seen();
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|r| r.action() == BIND_ACTION));
    }

    #[tokio::test]
    async fn bind_is_not_retried_when_it_may_have_been_processed() {
        for reply in [|| Reply::HangUp, || Reply::Status(502), || Reply::ApiError("InternalError", "oops")] {
            let server = Server::start(move |_, _| reply()).await;
            let e = client(&server).bind_member_auth_accounts(1, 2, &[3]).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transient, "{e}");
            assert_eq!(server.seen().len(), 1, "{e}");
        }
    }

    #[tokio::test]
    async fn idempotent_calls_retry_transient_failures() {
        let server = Server::start(|_, _| Reply::HangUp).await;
        let e = client(&server).describe_member_auth_accounts(1, 2, 0, 50).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert_eq!(e.code, None);
        assert!(e.message.contains(&format!("127.0.0.1:{}", server.url.port().unwrap())), "{}", e.message);
        assert_eq!(server.seen().len(), 3);

        let server =
            Server::start(|_, i| if i < 2 { Reply::Status(503) } else { Reply::Ok(json!({"Items": [], "Total": 0})) })
                .await;
        client(&server).describe_member_auth_accounts(1, 2, 0, 50).await.unwrap();
        assert_eq!(server.seen().len(), 3);
    }

    #[test]
    fn create_time_is_beijing_time() {
        let at = |text: &str| OrgMemberAuthAccount { create_time: text.into(), ..Default::default() };
        // 2021-07-14 21:00:59 +08:00 = 13:00:59 UTC.
        let expected = SystemTime::UNIX_EPOCH + Duration::from_secs(1_626_267_659);
        assert_eq!(at("2021-07-14 21:00:59").created_at(), Some(expected));
        for bad in
            ["", "2021-07-14", "2021-13-01 00:00:00", "2021-07-14T21:00:59", "yesterday noon", "2021-07-14 21:00"]
        {
            assert_eq!(at(bad).created_at(), None, "{bad}");
        }
        let binding = at("2021-07-14 21:00:59");
        assert!(binding.existed_before(expected + Duration::from_secs(301)));
        assert!(!binding.existed_before(expected + Duration::from_secs(299)), "within the clock skew: unsure");
        assert!(!at("").existed_before(SystemTime::now()), "unreadable: unsure");
    }

    #[tokio::test]
    async fn cancel_is_not_retried_when_it_may_have_been_processed() {
        for reply in [|| Reply::HangUp, || Reply::Status(502), || Reply::ApiError("InternalError", "oops")] {
            let server = Server::start(move |_, _| reply()).await;
            let e = client(&server).cancel_member_auth_account(1, 2, 3).await.unwrap_err();
            assert_eq!(e.kind, ErrorKind::Transient, "{e}");
            assert_eq!(server.seen().len(), 1, "{e}");
        }
    }

    /// One binding (member 10, policy 1001, sub-account 1) with a `CreateTime`, or none. For
    /// the n-th Cancel (from 0), `cancel(n)` says `(apply, hang_up)`: whether it takes effect,
    /// and whether its answer is lost; after a lost answer the binding is bound again with
    /// `CreateTime` `rebound`, if given, as another run would.
    async fn fake_binding(
        binding: Arc<std::sync::Mutex<Option<String>>>,
        cancel: impl Fn(usize) -> (bool, bool) + Send + Sync + 'static,
        rebound: Option<&'static str>,
    ) -> Server {
        let sent = std::sync::atomic::AtomicUsize::new(0);
        Server::start(move |req: &Seen, _| {
            let mut binding = binding.lock().unwrap();
            match req.action() {
                CANCEL_ACTION => {
                    let (apply, hang_up) = cancel(sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
                    if apply {
                        *binding = None;
                    }
                    if hang_up {
                        if let Some(created) = rebound {
                            *binding = Some(created.to_string());
                        }
                        return Reply::HangUp;
                    }
                    Reply::Ok(json!({}))
                }
                DESCRIBE_AUTH_ACCOUNTS_ACTION => {
                    let items: Vec<Value> = binding
                        .iter()
                        .map(|created| {
                            let mut found = item(1, 1001);
                            found["CreateTime"] = json!(created);
                            found
                        })
                        .collect();
                    Reply::Ok(json!({"Items": items, "Total": items.len()}))
                }
                other => panic!("unexpected action {other}"),
            }
        })
        .await
    }

    const CREATED: &str = "2021-07-14 21:00:59";

    fn bound() -> Arc<std::sync::Mutex<Option<String>>> {
        Arc::new(std::sync::Mutex::new(Some(CREATED.to_string())))
    }

    fn actions(server: &Server) -> Vec<String> {
        server.seen().iter().map(|s| s.action().to_string()).collect()
    }

    #[tokio::test]
    async fn a_cancel_applied_but_unanswered_is_confirmed_by_reading_not_resent() {
        let binding = bound();
        let server = fake_binding(binding.clone(), |n| (true, n == 0), None).await;
        let out =
            client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, Some(CREATED), None).await.unwrap();
        assert_eq!(out, Detached::Confirmed);
        assert_eq!(actions(&server), [CANCEL_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION]);
        assert_eq!(*binding.lock().unwrap(), None);
    }

    #[tokio::test]
    async fn a_cancel_lost_before_it_applied_is_sent_once_more() {
        let binding = bound();
        let server = fake_binding(binding.clone(), |n| (n > 0, n == 0), None).await;
        let out =
            client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, Some(CREATED), None).await.unwrap();
        assert_eq!(out, Detached::Answered);
        assert_eq!(actions(&server), [CANCEL_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION, CANCEL_ACTION]);
        assert_eq!(*binding.lock().unwrap(), None);
    }

    #[tokio::test]
    async fn a_binding_bound_again_after_a_lost_cancel_applied_is_left_alone() {
        let binding = bound();
        let server = fake_binding(binding.clone(), |n| (true, n == 0), Some("2021-07-15 08:00:00")).await;
        let out =
            client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, Some(CREATED), None).await.unwrap();
        assert!(matches!(&out, Detached::Replaced(seen) if seen.contains("2021-07-15 08:00:00")), "{out:?}");
        assert_eq!(actions(&server), [CANCEL_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION], "not cancelled again");
        assert_eq!(binding.lock().unwrap().as_deref(), Some("2021-07-15 08:00:00"));
    }

    #[tokio::test]
    async fn without_a_known_create_time_a_binding_still_there_is_cancelled_again() {
        // An imported binding never refreshed has no CreateTime in state: it cannot be told from
        // a new one, so what is there is taken to be it.
        let binding = bound();
        let server = fake_binding(binding.clone(), |n| (n > 0, n == 0), None).await;
        let out = client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, None, None).await.unwrap();
        assert_eq!(out, Detached::Answered);
        assert_eq!(actions(&server), [CANCEL_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION, CANCEL_ACTION]);
    }

    #[tokio::test]
    async fn re_sent_cancels_stop_at_the_retry_budget() {
        let binding = bound();
        let server = fake_binding(binding.clone(), |_| (false, true), None).await;
        let e =
            client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, Some(CREATED), None).await.unwrap_err();
        assert!(matches!(&e, DetachError::Failed(e) if e.kind == ErrorKind::Transient), "{e:?}");
        // fast_retry allows two re-sends.
        let cancels = actions(&server).iter().filter(|a| *a == CANCEL_ACTION).count();
        assert_eq!(cancels, 3);
        assert!(binding.lock().unwrap().is_some());
    }

    #[tokio::test]
    async fn a_cancel_with_an_unreadable_outcome_is_unknown() {
        let server = Server::start(|req: &Seen, _| match req.action() {
            CANCEL_ACTION => Reply::HangUp,
            _ => Reply::ApiError("AuthFailure.UnauthorizedOperation", "no permission"),
        })
        .await;
        let e =
            client(&server).cancel_member_auth_account_reconciled(10, 1001, 1, Some(CREATED), None).await.unwrap_err();
        assert!(matches!(&e, DetachError::Unknown { read, .. } if read.kind == ErrorKind::Auth), "{e:?}");
        assert!(e.to_string().contains("CancelOrganizationMemberAuthAccount is unknown"), "{e}");
        assert_eq!(actions(&server), [CANCEL_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION]);
    }

    #[tokio::test]
    async fn connection_refused_is_transient() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = Url::parse(&format!("http://{addr}")).unwrap();
        let client = OrganizationClient::new(config(&url)).unwrap();
        let e = client.bind_member_auth_accounts(1, 2, &[3]).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        assert!(e.message.contains(&addr.to_string()), "{}", e.message);
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
        let e = tokio::time::timeout(Duration::from_secs(10), client.describe_member_auth_accounts(1, 2, 0, 50))
            .await
            .expect("cancellation should end the call")
            .unwrap_err();
        cancel.await.unwrap();
        assert_eq!(e.kind, ErrorKind::Cancelled);
        assert_eq!(e.message, "cancelled");
        assert_eq!(e.action, DESCRIBE_AUTH_ACCOUNTS_ACTION);
    }

    #[tokio::test]
    async fn api_errors_carry_code_and_request_id_but_no_secrets() {
        let server = Server::start(|_, _| Reply::ApiError("AuthFailure.SignatureFailure", "signature mismatch")).await;
        let client = client(&server);
        let e = client.cancel_member_auth_account(1, 2, 3).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some("AuthFailure.SignatureFailure"));
        assert_eq!(e.request_id.as_deref(), Some("req-0"));
        assert_eq!(server.seen().len(), 1);
        assert_eq!(
            e.to_string(),
            "Tencent Cloud CancelOrganizationMemberAuthAccount failed: \
             AuthFailure.SignatureFailure: Tencent Cloud rejected the request signature: check \
             secret_id/secret_key (or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY), security_token \
             if set, and this machine's clock (signature mismatch) (RequestId: req-0)"
        );
        let shown = format!("{e} {e:?} {client:?} {:?}", config(&server.url));
        assert!(!shown.contains(SECRET_KEY) && !shown.contains(TOKEN), "{shown}");
    }

    #[tokio::test]
    async fn describe_member_policies_parses_items() {
        let server = Server::start(|req, _| {
            assert_eq!(req.action(), DESCRIBE_POLICIES_ACTION);
            assert_eq!(req.body, json!({"MemberUin": 9, "Offset": 0, "Limit": 10}));
            Reply::Ok(json!({"Items": [{"PolicyId": "1001", "PolicyName": "admin", "IdentityId": 1,
                "IdentityRoleName": "OrganizationAccessControlRole", "IdentityRoleAliasName": "admin",
                "Description": null, "CreateTime": "2021-07-14 21:00:59", "UpdateTime": "2021-07-14 21:00:59"}],
                "Total": 1}))
        })
        .await;
        let page = client(&server).describe_member_policies(9, 0, 10).await.unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(page.request_id, "req-0");
        assert_eq!(
            page.items,
            vec![MemberPolicy {
                policy_id: 1001,
                policy_name: "admin".into(),
                identity_id: 1,
                identity_role_name: "OrganizationAccessControlRole".into(),
                identity_role_alias_name: "admin".into(),
                description: String::new(),
                create_time: "2021-07-14 21:00:59".into(),
                update_time: "2021-07-14 21:00:59".into(),
            }]
        );
    }

    #[test]
    fn auth_account_decodes_doc_example_and_lenient_forms() {
        let doc: OrgMemberAuthAccount = serde_json::from_str(
            r#"{"CreateTime":"2021-07-14 21:00:59","IdentityId":1,"IdentityRoleAliasName":"admin",
                "IdentityRoleName":"OrganizationAccessControlRole","OrgSubAccountUin":222222222222,"PolicyId":1001,
                "PolicyName":"policy_name","UpdateTime":"2021-07-14 21:00:59","OrgSubAccountName":"sub_name"}"#,
        )
        .unwrap();
        assert_eq!(
            doc,
            OrgMemberAuthAccount {
                org_sub_account_uin: 222222222222,
                policy_id: 1001,
                policy_name: "policy_name".into(),
                identity_id: 1,
                identity_role_name: "OrganizationAccessControlRole".into(),
                identity_role_alias_name: "admin".into(),
                create_time: "2021-07-14 21:00:59".into(),
                update_time: "2021-07-14 21:00:59".into(),
                org_sub_account_name: "sub_name".into(),
            }
        );
        let sparse: OrgMemberAuthAccount =
            serde_json::from_str(r#"{"OrgSubAccountUin":"222222222222","PolicyId":null,"PolicyName":null}"#).unwrap();
        assert_eq!(sparse.org_sub_account_uin, 222222222222);
        assert_eq!(sparse.policy_id, 0);
        assert_eq!(sparse.policy_name, "");
        assert_eq!(sparse.org_sub_account_name, "");
        assert!(serde_json::from_str::<OrgMemberAuthAccount>(r#"{"PolicyId":"abc"}"#).is_err());
        assert!(serde_json::from_str::<OrgMemberAuthAccount>(r#"{"PolicyId":-1}"#).is_err());
    }

    #[test]
    fn config_is_validated() {
        let url = Url::parse("https://organization.tencentcloudapi.com").unwrap();
        let mut cfg = config(&url);
        cfg.credentials.secret_id = " ".into();
        assert_eq!(OrganizationClient::new(cfg).unwrap_err().kind, ErrorKind::Invalid);
        let mut cfg = config(&url);
        cfg.credentials.secret_key = Secret::new("");
        assert_eq!(OrganizationClient::new(cfg).unwrap_err().kind, ErrorKind::Invalid);
        let mut cfg = config(&url);
        cfg.endpoint = Url::parse("ftp://example.com").unwrap();
        assert_eq!(OrganizationClient::new(cfg).unwrap_err().kind, ErrorKind::Invalid);
        let cfg = TencentConfig::new(config(&url).credentials);
        assert_eq!(cfg.endpoint.as_str(), "https://organization.tencentcloudapi.com/");
        assert!(OrganizationClient::new(cfg).is_ok());
    }

    /// A small stateful Tencent organization for the coalescing tests: bindings per
    /// member+policy in creation order, Bind all or nothing (an existing binding refuses the
    /// whole call with SubAccountIdentityExist, UIN 999 does not exist), Cancel, and paged
    /// Describe. Describe answers after `describe_pause`.
    #[derive(Clone, Default)]
    struct FakeOrg {
        bindings: Arc<std::sync::Mutex<Vec<(u64, u64, u64)>>>,
        describe_pause: Duration,
        /// List the newest binding first instead of in creation order.
        newest_first: bool,
        /// Answer `Total: 0`, as if the API had not counted.
        no_total: bool,
        /// Other writers: after each Describe answer, the next entry's sub-account (if any) is
        /// cancelled under the listed member+policy, as another process's Cancel landing
        /// between two page reads.
        cancels_between_pages: Arc<std::sync::Mutex<std::collections::VecDeque<Option<u64>>>>,
    }

    impl FakeOrg {
        fn with(bindings: impl IntoIterator<Item = (u64, u64, u64)>) -> Self {
            let fake = FakeOrg::default();
            fake.bindings.lock().unwrap().extend(bindings);
            fake
        }

        fn handle(&self, req: &Seen) -> Reply {
            let body = &req.body;
            let (member, policy) = (body["MemberUin"].as_u64().unwrap(), body["PolicyId"].as_u64().unwrap());
            let mut bindings = self.bindings.lock().unwrap();
            match req.action() {
                BIND_ACTION => {
                    let uins: Vec<u64> =
                        body["OrgSubAccountUins"].as_array().unwrap().iter().map(|u| u.as_u64().unwrap()).collect();
                    if uins.contains(&999) {
                        return Reply::ApiError("FailedOperation.SubAccountNotExist", "sub-account 999 does not exist");
                    }
                    if uins.iter().any(|&u| bindings.contains(&(member, policy, u))) {
                        return Reply::ApiError(
                            "FailedOperation.SubAccountIdentityExist",
                            "the sub-account already has the identity",
                        );
                    }
                    bindings.extend(uins.iter().map(|&u| (member, policy, u)));
                    Reply::Ok(json!({}))
                }
                CANCEL_ACTION => {
                    let uin = body["OrgSubAccountUin"].as_u64().unwrap();
                    bindings.retain(|&b| b != (member, policy, uin));
                    Reply::Ok(json!({}))
                }
                DESCRIBE_AUTH_ACCOUNTS_ACTION => {
                    let (offset, limit) =
                        (body["Offset"].as_u64().unwrap() as usize, body["Limit"].as_u64().unwrap() as usize);
                    let mut all: Vec<Value> =
                        bindings.iter().filter(|b| (b.0, b.1) == (member, policy)).map(|b| item(b.2, policy)).collect();
                    if self.newest_first {
                        all.reverse();
                    }
                    let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
                    let total = if self.no_total { 0 } else { all.len() };
                    if let Some(uin) = self.cancels_between_pages.lock().unwrap().pop_front().flatten() {
                        bindings.retain(|&b| b != (member, policy, uin));
                    }
                    Reply::Later(self.describe_pause, Box::new(Reply::Ok(json!({"Items": page, "Total": total}))))
                }
                other => panic!("unexpected action {other}"),
            }
        }

        async fn serve(&self) -> Server {
            let fake = self.clone();
            Server::start(move |req, _| fake.handle(req)).await
        }
    }

    fn calls_of(server: &Server, action: &str) -> Vec<Value> {
        server.seen().into_iter().filter(|s| s.action() == action).map(|s| s.body).collect()
    }

    #[tokio::test]
    async fn concurrent_binds_to_one_policy_go_out_in_batches_of_five() {
        let server = FakeOrg::default().serve().await;
        let client = client(&server);
        let binds = (1..=7)
            .map(|uin| client.bind_member_auth_account_batched(10, 1001, uin))
            .chain([client.bind_member_auth_account_batched(10, 2002, 1)]);
        let answers = futures_util::future::join_all(binds).await;

        let bind_calls = calls_of(&server, BIND_ACTION);
        assert_eq!(bind_calls.len(), 3, "{bind_calls:?}");
        let mut batched: Vec<u64> = bind_calls
            .iter()
            .filter(|c| c["PolicyId"] == json!(1001))
            .flat_map(|c| {
                c["OrgSubAccountUins"].as_array().unwrap().iter().map(|u| u.as_u64().unwrap()).collect::<Vec<_>>()
            })
            .collect();
        batched.sort();
        assert_eq!(batched, (1..=7).collect::<Vec<_>>());
        assert!(bind_calls.iter().all(|c| c["OrgSubAccountUins"].as_array().unwrap().len() <= MAX_BIND_UINS));
        assert_eq!(
            bind_calls.iter().filter(|c| c["PolicyId"] == json!(2002)).count(),
            1,
            "another policy is never in the same call"
        );
        // Each sub-account gets the RequestId of the call that bound it.
        let request_ids: std::collections::BTreeSet<String> = answers.into_iter().map(Result::unwrap).collect();
        assert_eq!(request_ids.len(), 3);
    }

    #[tokio::test]
    async fn a_bind_stopped_before_its_batch_goes_out_leaves_the_batch() {
        let server = FakeOrg::default().serve().await;
        let client = client(&server);
        let token = CancellationToken::new();
        token.cancel();
        let stopped = client.with_cancellation(token);
        // 1 stops at once, while the batch still gathers; 2 stays and is bound.
        let (left, stayed) = tokio::join!(
            stopped.bind_member_auth_account_batched(10, 1001, 1),
            client.bind_member_auth_account_batched(10, 1001, 2)
        );
        let left = left.unwrap_err();
        assert_eq!(left.kind, ErrorKind::Cancelled);
        assert!(left.never_sent && !left.is_ambiguous(), "{left:?}");
        stayed.unwrap();
        let bind_calls = calls_of(&server, BIND_ACTION);
        assert_eq!(bind_calls.len(), 1, "{bind_calls:?}");
        assert_eq!(bind_calls[0]["OrgSubAccountUins"], json!([2]));

        // Alone in its batch: no Bind goes out at all.
        let token = CancellationToken::new();
        token.cancel();
        let e = client.with_cancellation(token).bind_member_auth_account_batched(10, 1001, 3).await.unwrap_err();
        assert!(e.never_sent);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(calls_of(&server, BIND_ACTION).len(), 1);
    }

    #[tokio::test]
    async fn a_refused_batch_is_split_so_each_binding_gets_its_own_answer() {
        // 3 is already bound and 999 does not exist: each refuses the whole batch.
        let server = FakeOrg::with([(10, 1001, 3)]).serve().await;
        let client = client(&server);
        let answers = futures_util::future::join_all(
            [1, 2, 3, 999].map(|uin| client.bind_member_auth_account_batched(10, 1001, uin)),
        )
        .await;

        assert!(answers[0].is_ok() && answers[1].is_ok(), "{answers:?}");
        let exists = answers[2].as_ref().unwrap_err();
        assert_eq!(exists.kind, ErrorKind::Conflict);
        assert_eq!(exists.code.as_deref(), Some("FailedOperation.SubAccountIdentityExist"));
        let missing = answers[3].as_ref().unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
        assert_eq!(missing.code.as_deref(), Some("FailedOperation.SubAccountNotExist"));
        // Each answer carries the RequestId of its own call: one batch, then one call each.
        let bind_calls = calls_of(&server, BIND_ACTION);
        assert_eq!(bind_calls.len(), 5, "{bind_calls:?}");
        assert_eq!(bind_calls[0]["OrgSubAccountUins"].as_array().unwrap().len(), 4);
        assert_ne!(answers[0].as_ref().unwrap(), answers[1].as_ref().unwrap());
        assert_ne!(exists.request_id, missing.request_id);
    }

    #[tokio::test]
    async fn an_ambiguous_batch_failure_reaches_every_member_and_is_not_repeated() {
        let server = Server::start(|_, _| Reply::Status(502)).await;
        let client = client(&server);
        let answers =
            futures_util::future::join_all((1..=3).map(|uin| client.bind_member_auth_account_batched(10, 1001, uin)))
                .await;
        for answer in &answers {
            assert_eq!(answer.as_ref().unwrap_err().kind, ErrorKind::Transient, "{answers:?}");
        }
        // The Bind may have happened: nothing is re-sent, the callers reconcile by reading.
        assert_eq!(server.seen().len(), 1);
    }

    #[tokio::test]
    async fn concurrent_reads_of_one_policy_share_one_listing() {
        let fake = FakeOrg::with((1..=120).map(|uin| (10, 1001, uin)));
        let server = fake.serve().await;
        let client = client(&server);
        let reads = (1..=130).map(|uin| client.find_member_auth_account_shared(10, 1001, uin));
        let found = futures_util::future::join_all(reads).await;
        for (uin, answer) in (1..=130).zip(&found) {
            let answer = answer.as_ref().unwrap();
            assert_eq!(answer.as_ref().map(|a| a.org_sub_account_uin), (uin <= 120).then_some(uin));
        }
        // ⌈120/50⌉ pages, once, for 130 reads.
        let offsets: Vec<Value> =
            calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).iter().map(|c| c["Offset"].clone()).collect();
        // 10 are absent: page 0 is read again at the end of the backwards run, which proves it.
        assert_eq!(offsets, [json!(0), json!(100), json!(50), json!(0)], "first, last, then backwards to 0");
    }

    #[tokio::test]
    async fn a_read_after_a_write_never_uses_an_older_listing() {
        let fake = FakeOrg::with([(10, 1001, 1)]);
        let server = fake.serve().await;
        let client = client(&server);
        assert!(client.find_member_auth_account_shared(10, 1001, 2).await.unwrap().is_none());
        assert!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap().is_some());
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 1, "the finished listing is reused");

        client.bind_member_auth_account_batched(10, 1001, 2).await.unwrap();
        assert!(client.find_member_auth_account_shared(10, 1001, 2).await.unwrap().is_some(), "the Bind is seen");
        client.cancel_member_auth_account(10, 1001, 1).await.unwrap();
        assert!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap().is_none(), "the Cancel is seen");
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 3);
        // A write to another policy does not invalidate this one's listing.
        client.bind_member_auth_account_batched(10, 2002, 1).await.unwrap();
        assert!(client.find_member_auth_account_shared(10, 1001, 2).await.unwrap().is_some());
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 3);
    }

    #[tokio::test]
    async fn a_listing_in_flight_when_a_write_ends_serves_only_the_reads_before_it() {
        let fake = FakeOrg { describe_pause: Duration::from_millis(300), ..FakeOrg::default() };
        let server = fake.serve().await;
        let client = client(&server);
        // A read starts a slow listing; a bind completes while it is in flight.
        let early = tokio::spawn({
            let client = client.clone();
            async move { client.find_member_auth_account_shared(10, 1001, 5).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        client.bind_member_auth_accounts(10, 1001, &[5]).await.unwrap();
        let late = client.find_member_auth_account_shared(10, 1001, 5).await.unwrap();
        assert!(late.is_some(), "a read that starts after the Bind must not get the older listing");
        // The early read may report either; it began before the Bind ended.
        early.await.unwrap().unwrap();
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 2);
    }

    #[tokio::test]
    async fn a_finished_listing_expires() {
        let server = FakeOrg::with([(10, 1001, 1)]).serve().await;
        let mut cfg = config(&server.url);
        cfg.coalescing.listing_reuse = Duration::from_millis(100);
        let client = OrganizationClient::new(cfg).unwrap();
        client.find_member_auth_account_shared(10, 1001, 1).await.unwrap();
        client.find_member_auth_account_shared(10, 1001, 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        client.find_member_auth_account_shared(10, 1001, 1).await.unwrap();
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 2);
    }

    #[tokio::test]
    async fn a_cancelled_reader_stops_waiting_while_the_others_get_the_answer() {
        let fake = FakeOrg { describe_pause: Duration::from_millis(400), ..FakeOrg::with([(10, 1001, 1)]) };
        let server = fake.serve().await;
        let client = client(&server);
        let token = CancellationToken::new();
        let cancellable = client.with_cancellation(token.clone());
        let patient = tokio::spawn({
            let client = client.clone();
            async move { client.find_member_auth_account_shared(10, 1001, 1).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let (cancelled, ()) = tokio::join!(cancellable.find_member_auth_account_shared(10, 1001, 1), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        assert_eq!(cancelled.unwrap_err().kind, ErrorKind::Cancelled);
        assert!(started.elapsed() < Duration::from_millis(300));
        assert!(patient.await.unwrap().unwrap().is_some());
        assert_eq!(calls_of(&server, DESCRIBE_AUTH_ACCOUNTS_ACTION).len(), 1);
    }

    #[tokio::test]
    async fn a_listing_that_failed_is_not_shared_with_later_reads() {
        let server = Server::start(|req: &Seen, index| match index {
            0 => Reply::ApiError("InternalError", "try later"),
            _ => {
                assert_eq!(req.action(), DESCRIBE_AUTH_ACCOUNTS_ACTION);
                Reply::Ok(json!({"Items": [item(1, 1001)], "Total": 1}))
            }
        })
        .await;
        let mut cfg = config(&server.url);
        cfg.retry.max_retries = 0;
        let client = OrganizationClient::new(cfg).unwrap();
        assert_eq!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap_err().kind, ErrorKind::Transient);
        assert!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn reads_after_writes_that_end_together_share_one_listing() {
        let server = FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))).serve().await;
        let client = client(&server);
        // Two writes (a Cancel each) end at nearly the same time; each is followed by a read.
        let after_cancel = |uin: u64| {
            let client = client.clone();
            async move {
                client.cancel_member_auth_account(10, 1001, uin).await.unwrap();
                client.find_member_auth_account_shared(10, 1001, uin).await.unwrap()
            }
        };
        let (a, b) = tokio::join!(after_cancel(1), after_cancel(2));
        assert!(a.is_none() && b.is_none(), "both reads see both cancels");
        // One listing, read whole (118 bindings, 3 pages) since neither UIN is found, and page
        // 0 again to end the backwards run that proves them absent.
        assert_eq!(describe_offsets(&server), [0, 100, 50, 0]);
    }

    fn describe_offsets(server: &Server) -> Vec<u64> {
        calls_of(server, DESCRIBE_AUTH_ACCOUNTS_ACTION).iter().map(|c| c["Offset"].as_u64().unwrap()).collect()
    }

    #[tokio::test]
    async fn a_read_after_a_bind_finds_it_on_the_first_or_last_page() {
        for newest_first in [false, true] {
            let fake = FakeOrg { newest_first, ..FakeOrg::with((1..=200).map(|uin| (10, 1001, uin))) };
            let server = fake.serve().await;
            let client = client(&server);
            client.bind_member_auth_account_batched(10, 1001, 500).await.unwrap();
            let found = client.find_member_auth_account_shared(10, 1001, 500).await.unwrap();
            assert_eq!(found.unwrap().org_sub_account_uin, 500);
            // 201 bindings are 5 pages; the new one is on the last (or, newest first, the first).
            let expected: &[u64] = if newest_first { &[0] } else { &[0, 200] };
            assert_eq!(describe_offsets(&server), expected, "newest first: {newest_first}");
        }
    }

    #[tokio::test]
    async fn a_binding_is_absent_only_once_every_page_was_read() {
        let server = FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))).serve().await;
        let client = client(&server);
        assert!(client.find_member_auth_account_shared(10, 1001, 121).await.unwrap().is_none());
        // Page 0 twice: the last page down to 0 is the run that proves absence.
        assert_eq!(describe_offsets(&server), [0, 100, 50, 0]);
        // That complete listing now answers any read of the policy.
        assert!(client.find_member_auth_account_shared(10, 1001, 60).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server).len(), 4);
    }

    #[tokio::test]
    async fn a_listing_that_stopped_early_reads_on_for_other_uins() {
        let server = FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))).serve().await;
        let client = client(&server);
        // UIN 1 is on the first page: the listing stops there.
        assert!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server), [0]);
        // UIN 60 is on a page it did not read: the same listing reads on, page 0 is not read twice.
        assert!(client.find_member_auth_account_shared(10, 1001, 60).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server), [0, 100, 50]);
        // After a write, it is a new listing again.
        client.cancel_member_auth_account(10, 1001, 120).await.unwrap();
        assert!(client.find_member_auth_account_shared(10, 1001, 60).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server), [0, 100, 50, 0, 100, 50]);
    }

    #[tokio::test]
    async fn reads_after_later_binds_start_where_the_last_read_found_its_binding() {
        for newest_first in [false, true] {
            let fake = FakeOrg { newest_first, ..FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))) };
            let server = fake.serve().await;
            let client = client(&server);
            let bind_then_read = |uins: Vec<u64>| {
                let client = client.clone();
                async move {
                    let binds = uins.iter().map(|&uin| client.bind_member_auth_account_batched(10, 1001, uin));
                    futures_util::future::try_join_all(binds).await.unwrap();
                    let reads = uins.iter().map(|&uin| client.find_member_auth_account_shared(10, 1001, uin));
                    for (uin, found) in uins.iter().zip(futures_util::future::try_join_all(reads).await.unwrap()) {
                        assert_eq!(found.map(|f| f.org_sub_account_uin), Some(*uin), "newest first: {newest_first}");
                    }
                }
            };
            bind_then_read(vec![500]).await;
            bind_then_read(vec![501]).await;
            // 30 more: bindings 123 to 152, so they spill onto a new page (offset 150).
            bind_then_read((600..630).collect()).await;
            let expected: &[u64] = if newest_first {
                // Always the first page, where new bindings land; the 30 fit on it.
                &[0, 0, 0]
            } else {
                // No hint yet: the first page, then the last. Then the page the last one was
                // found on, and for the 30, that page and the one after it.
                &[0, 100, 100, 100, 150]
            };
            assert_eq!(describe_offsets(&server), expected, "newest first: {newest_first}");
        }
    }

    #[tokio::test]
    async fn a_hint_past_the_end_still_reads_every_page_before_answering_absent() {
        let server = FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))).serve().await;
        let client = client(&server);
        client.bind_member_auth_account_batched(10, 1001, 500).await.unwrap();
        assert!(client.find_member_auth_account_shared(10, 1001, 500).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server), [0, 100]);
        // The hint is now page 100; 100 cancels leave 21 bindings, one page.
        for uin in 1..=100 {
            client.cancel_member_auth_account(10, 1001, uin).await.unwrap();
        }
        assert!(client.find_member_auth_account_shared(10, 1001, 110).await.unwrap().is_some());
        assert!(client.find_member_auth_account_shared(10, 1001, 50).await.unwrap().is_none(), "cancelled");
        assert_eq!(describe_offsets(&server), [0, 100, 100, 0], "the empty hinted page, then the only one");
    }

    /// A fake whose policy 10/1001 holds bindings `1..=count`, and where other writers cancel
    /// `cancels` (in turn, `None` for none) right after successive Describe answers.
    fn churning(count: u64, cancels: impl IntoIterator<Item = Option<u64>>) -> FakeOrg {
        let fake = FakeOrg::with((1..=count).map(|uin| (10, 1001, uin)));
        fake.cancels_between_pages.lock().unwrap().extend(cancels);
        fake
    }

    #[tokio::test]
    async fn a_binding_that_slides_onto_a_page_already_read_is_still_found() {
        // The concurrent-destroy bug: 51 is at offset 50 when page 0 is read; another
        // process's Cancel of 1 then moves it to offset 49, a page this listing already read.
        // Read forwards, or first page then backwards, it is never seen and reads as gone.
        let server = churning(120, [Some(1)]).serve().await;
        let client = client(&server);
        let found = client.find_member_auth_account_shared(10, 1001, 51).await.unwrap();
        assert_eq!(found.map(|f| f.org_sub_account_uin), Some(51), "an existing binding must not read as absent");
        // The backwards run ends by reading page 0 again: one call more, only because 51 was
        // not found on the way.
        assert_eq!(describe_offsets(&server), [0, 100, 50, 0]);
    }

    #[tokio::test]
    async fn absence_is_concluded_only_from_a_pass_with_a_steady_total() {
        // Cancels land after the first two pages: the first pass sees Totals 120, 119, 118, so
        // it proves nothing; a second backwards pass with a steady 118 does.
        let server = churning(120, [Some(1), Some(2)]).serve().await;
        let client = client(&server);
        assert!(client.find_member_auth_account_shared(10, 1001, 500).await.unwrap().is_none());
        assert_eq!(describe_offsets(&server), [0, 100, 50, 0, 100, 50, 0]);
    }

    #[tokio::test]
    async fn a_listing_that_never_steadies_is_an_error_not_an_absence() {
        // A Cancel between every two pages: no pass ever sees one Total.
        let server = churning(200, (1..=100).map(Some)).serve().await;
        let client = client(&server);
        let (absent, present) = tokio::join!(
            client.find_member_auth_account_shared(10, 1001, 500),
            client.find_member_auth_account_shared(10, 1001, 200),
        );
        let error = absent.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Transient, "{error}");
        // A binding found is trusted at once, whatever the listing does after.
        assert_eq!(present.unwrap().map(|f| f.org_sub_account_uin), Some(200));
        // The first pass (4 pages after page 0), then CONFIRMING_PASSES backwards passes.
        let calls = describe_offsets(&server).len();
        assert_eq!(
            calls,
            1 + 4 + super::super::coalesce::CONFIRMING_PASSES as usize * 4,
            "{:?}",
            describe_offsets(&server)
        );
    }

    #[tokio::test]
    async fn a_steady_listing_proves_absence_without_extra_passes() {
        // Only our own writes, which start new listings: every listing is steady.
        let server = FakeOrg::with((1..=1000).map(|uin| (10, 1001, uin))).serve().await;
        let client = client(&server);
        let reads = (1..=1000).map(|uin| client.find_member_auth_account_shared(10, 1001, uin));
        for found in futures_util::future::join_all(reads).await {
            assert!(found.unwrap().is_some());
        }
        assert_eq!(describe_offsets(&server).len(), 20, "every binding found: one call per page");
    }

    /// A client whose calls are paced at `per_second` per action, with short gathering times so
    /// that only the pacing makes callers wait.
    fn paced_client(server: &Server, per_second: u32) -> OrganizationClient {
        let mut cfg = config(&server.url);
        cfg.coalescing.bind_gather = Duration::from_millis(1);
        cfg.coalescing.listing_gather = Duration::from_millis(1);
        let http = HttpClient::new(Cloud::Tencent)
            .unwrap()
            .with_rate_limit(crate::clouds::ratelimit::RateLimiter::per_action(per_second));
        OrganizationClient::with_http_client(cfg, http).unwrap()
    }

    #[tokio::test]
    async fn a_batch_keeps_taking_binds_while_it_waits_for_its_pacing_slot() {
        let server = FakeOrg::default().serve().await;
        // 2 calls/s: Bind slots about 525 ms apart.
        let client = paced_client(&server, 2);
        let started = std::time::Instant::now();
        let binds = (1..=5u64).map(|uin| {
            let client = client.clone();
            async move {
                // The first goes at once; the others arrive 50 ms apart while the second
                // batch waits for the next slot.
                tokio::time::sleep(Duration::from_millis(50 * (uin - 1))).await;
                client.bind_member_auth_account_batched(10, 1001, uin).await
            }
        });
        futures_util::future::try_join_all(binds).await.unwrap();
        let batches: Vec<Value> =
            calls_of(&server, BIND_ACTION).iter().map(|c| c["OrgSubAccountUins"].clone()).collect();
        assert_eq!(batches, [json!([1]), json!([2, 3, 4, 5])]);
        // The second call used the slot its batch waited for, not a second one after it.
        let elapsed = started.elapsed();
        assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
    }

    #[tokio::test]
    async fn reads_after_writes_join_a_listing_while_it_waits_for_its_pacing_slot() {
        let server = FakeOrg::with([(10, 1001, 1)]).serve().await;
        let client = paced_client(&server, 2);
        // A first listing takes Describe's slot; the next may go about 525 ms later.
        assert!(client.find_member_auth_account_shared(10, 1001, 1).await.unwrap().is_some());
        let after_cancel = async {
            client.cancel_member_auth_account(10, 1001, 1).await.unwrap();
            client.find_member_auth_account_shared(10, 1001, 1).await.unwrap()
        };
        let after_bind = async {
            // A write that ends while the new listing waits for its slot.
            tokio::time::sleep(Duration::from_millis(150)).await;
            client.bind_member_auth_accounts(10, 1001, &[7]).await.unwrap();
            client.find_member_auth_account_shared(10, 1001, 7).await.unwrap()
        };
        let (cancelled, bound) = tokio::join!(after_cancel, after_bind);
        assert!(cancelled.is_none(), "the Cancel is seen");
        assert_eq!(bound.map(|b| b.org_sub_account_uin), Some(7), "the Bind is seen");
        assert_eq!(describe_offsets(&server), [0, 0], "both reads share the second listing");
    }

    #[tokio::test]
    async fn without_a_total_pages_are_read_forwards_until_a_short_one() {
        let fake = FakeOrg { no_total: true, ..FakeOrg::with((1..=120).map(|uin| (10, 1001, uin))) };
        let server = fake.serve().await;
        let client = client(&server);
        assert!(client.find_member_auth_account_shared(10, 1001, 110).await.unwrap().is_some());
        assert_eq!(describe_offsets(&server), [0, 50, 100]);
    }
}
