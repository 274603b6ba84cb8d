//! Sharing Organization API calls between concurrent operations on one member's policy.
//!
//! Terraform runs many operations at once (`-parallelism`, 10 by default), all in one provider
//! process, and an organization may keep hundreds of bindings under one member's policy. Done
//! one by one, refreshing N such bindings would list the policy's bindings N times
//! (N × ⌈N/50⌉ Describe pages), and creating them would take N Bind calls. Instead:
//!
//! - **Reads share listings.** A read joins the listing of its member+policy that is in flight,
//!   or one that finished less than [`Timing::listing_reuse`] ago — but only if no write to that
//!   member+policy started or ended since that listing started. So a read never sees a listing
//!   older than a write this provider made: the read after a Bind always lists afresh.
//! - **Listings stop when every reader has its answer.** A listing reads the first page, then
//!   the last, then backwards, and stops once every sub-account its readers asked for is found;
//!   a sub-account not found is absent only once a consistent view proved it (next point). Pages run in creation
//!   order (the emulator) or newest first (ASSUMED possible; the order is not documented), so a
//!   read after a Bind finds its binding on the first or the last page: one or two calls
//!   instead of the whole listing, which for 1 000 bindings is 20 pages.
//! - **Absence needs a consistent view.** The API cannot filter by sub-account, so a read pages
//!   through the policy by offset while other writers (other Terraform processes, the console)
//!   bind and cancel. A Cancel of an earlier row moves every later row one place down: read
//!   forwards, or first-page-then-backwards, a row can slide onto a page already read and never
//!   be seen, and a binding that exists would read as gone — Terraform then drops it from state
//!   without a Cancel and it stays attached (4 processes × 150 bindings lost 7 this way). So a
//!   binding found is trusted at once, but "absent" needs a *run*: pages read from the last
//!   page down to offset 0, one after the other, each reporting the same `Total` and the item
//!   count that `Total` implies. In creation order (the emulator; new rows are appended), rows
//!   only ever move down, so a backwards run cannot skip a row that exists throughout it, even
//!   if `Total` changes; requiring a steady `Total` also catches inserts that push rows up, for
//!   a server listing newest first (ASSUMED possible). The normal order already ends in such a
//!   run: after the first page, the last page and backwards down to 0 — re-reading the first
//!   page, which costs one call, only when a reader is still unanswered. A listing that ends
//!   without a run gets up to [`CONFIRMING_PASSES`] more backwards passes; if none is steady,
//!   its unanswered readers get an error, which keeps the binding in state (safe), never
//!   "absent". Residual risk, newest-first only: an insert and a delete between two page reads
//!   leave `Total` unchanged and may still hide a row; in creation order there is none.
//! - **A listing starts where the last one found its bindings.** If the previous listing of the
//!   member+policy found what its readers wanted on the last page, the next starts at the page
//!   where bindings made since then begin, then reads from the last page backwards; on the
//!   first page, it starts there. The reads after a stream of Binds then cost one call per
//!   round, not two. The start is only a guess at the order: the backwards run down to 0 is
//!   still read before a binding is absent.
//! - **Shared calls gather while they wait for their turn.** Under the pacing (20 calls/s per
//!   action), a batch or a listing takes its pacing slot first and closes after: Binds and reads
//!   that arrive meanwhile ride on the call the pacing allows next, instead of queueing behind
//!   it for calls of their own.
//! - **Binds are batched.** A Bind waits [`Timing::bind_gather`] for others to the same
//!   member+policy — and, while the previous batch of that member+policy is still out, until it
//!   returns, and under pacing until its slot — and goes out with up to five sub-accounts, the
//!   API's limit; a full batch goes at once. If Tencent
//!   refuses the batch, each of its sub-accounts is bound alone, so every binding gets its own
//!   answer. That is safe because a refused Bind binds none of its sub-accounts (ASSUMED: the
//!   API documents a list parameter and one error, and the emulator applies a Bind all or
//!   nothing). A failure that may have come after Tencent applied the call (a timeout, a reset)
//!   goes to every member of the batch; each reconciles by reading, as an unbatched Bind would.
//!
//! Shared calls run in tasks of their own, without any caller's cancellation token: a caller
//! that is cancelled (Ctrl-C) stops waiting at once, and the others still get their answer.
//!
//! This layer sits above the API's calls ([`OrganizationApi`], which knows nothing of it):
//! [`TencentOrganizationClient`] holds a handle on them and the [`Coalescer`] its clones share, and
//! every write to a policy, batched or not, goes through it so that the listings before it are
//! not reused.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::TencentConfig;
use super::organization::{
    AuthAccountPage, AuthAccountPages, BIND_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION, MAX_BIND_UINS,
    MAX_PAGES_UNKNOWN_TOTAL, MemberPolicy, MemberPolicyPage, OrgMember, OrgMemberAuthAccount, OrgMemberPage,
    OrganizationApi, PAGE_LIMIT, check_bind_uins,
};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::{HttpClient, cancellable};
use crate::clouds::reconcile::{self, DetachError, Detached, Presence};

/// Client for the Organization API, as the resources use it: the API's calls
/// ([`OrganizationApi`]), plus the batched Binds and shared listings of this module. Cloning is
/// cheap: clones share the connection pool and one [`Coalescer`], so all concurrent operations
/// coalesce together.
///
/// Cancellation: a client may carry a [`CancellationToken`] ([`with_cancellation`](Self::with_cancellation));
/// when it fires, every call in flight on that client (or its clones) returns a "cancelled"
/// error of kind `Cancelled` at once, also while it waits for a shared call. Dropping a call's
/// future is equally safe.
#[derive(Debug, Clone)]
pub struct TencentOrganizationClient {
    /// This handle's own calls, stopped by its cancellation token.
    api: OrganizationApi,
    coalescer: Arc<Coalescer>,
}

impl TencentOrganizationClient {
    pub fn new(cfg: TencentConfig) -> Result<Self, CloudError> {
        let http = HttpClient::new(Cloud::Tencent)?;
        Self::with_http_client(cfg, http)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (and its pool).
    pub fn with_http_client(cfg: TencentConfig, http: HttpClient) -> Result<Self, CloudError> {
        let timing = cfg.coalescing;
        let api = OrganizationApi::with_http_client(cfg, http)?;
        Ok(Self { coalescer: Arc::new(Coalescer::new(&api, timing)), api })
    }

    /// A handle whose calls are not tied to any cancellation token, for reads that must finish
    /// (recording what a write did) even when the caller was asked to stop.
    pub fn without_cancellation(&self) -> Self {
        Self { api: self.api.without_cancellation(), coalescer: Arc::clone(&self.coalescer) }
    }

    /// A handle whose calls all stop (with a "cancelled" error) once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self { api: self.api.with_cancellation(token), coalescer: Arc::clone(&self.coalescer) }
    }

    /// [`OrganizationApi::bind_member_auth_accounts`]: binds up to five organization
    /// sub-accounts to the member's policy, unbatched, and returns the RequestId. A write to the
    /// policy: no shared listing that started before it serves a read after it.
    pub async fn bind_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uins: &[u64],
    ) -> Result<String, CloudError> {
        let key = PolicyKey { member_uin, policy_id };
        self.coalescer.bind_now(&self.api, key, org_sub_account_uins, false).await
    }

    /// [`OrganizationApi::cancel_member_auth_account`]: removes one sub-account's binding and
    /// returns the RequestId; a write to the policy, as for a Bind. After a lost answer, a blind
    /// repeat could cancel a binding this call never meant: use
    /// [`cancel_member_auth_account_reconciled`](Self::cancel_member_auth_account_reconciled),
    /// which reads before sending again.
    pub async fn cancel_member_auth_account(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<String, CloudError> {
        let _write = self.coalescer.write(PolicyKey { member_uin, policy_id });
        self.api.cancel_member_auth_account(member_uin, policy_id, org_sub_account_uin).await
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
            self.api.retry(),
            self.api.cancel_token(),
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

    /// [`OrganizationApi::describe_member_auth_accounts`]: one page of the sub-accounts bound
    /// to the member's policy.
    pub async fn describe_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
        offset: u64,
        limit: u64,
    ) -> Result<AuthAccountPage, CloudError> {
        self.api.describe_member_auth_accounts(member_uin, policy_id, offset, limit).await
    }

    /// [`OrganizationApi::list_member_auth_accounts`]: all sub-accounts bound to the member's
    /// policy, read by this call alone.
    pub async fn list_member_auth_accounts(
        &self,
        member_uin: u64,
        policy_id: u64,
    ) -> Result<Vec<OrgMemberAuthAccount>, CloudError> {
        self.api.list_member_auth_accounts(member_uin, policy_id).await
    }

    /// [`OrganizationApi::find_member_auth_account`]: the binding of `org_sub_account_uin`, if
    /// it exists, read by this call alone.
    pub async fn find_member_auth_account(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        self.api.find_member_auth_account(member_uin, policy_id, org_sub_account_uin).await
    }

    /// Binds one sub-account to the member's policy, batched with concurrent binds to the same
    /// policy (see the module documentation). Returns the RequestId of the call that bound it.
    /// Errors are this sub-account's own, as from
    /// [`bind_member_auth_accounts`](Self::bind_member_auth_accounts).
    pub async fn bind_member_auth_account_batched(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<String, CloudError> {
        let key = PolicyKey { member_uin, policy_id };
        self.coalescer.bind(key, org_sub_account_uin, self.api.cancel_token()).await
    }

    /// Like [`find_member_auth_account`](Self::find_member_auth_account), from a listing shared
    /// with concurrent reads of the same policy (see the module documentation); never from one
    /// that started before a write this client made to that policy.
    pub async fn find_member_auth_account_shared(
        &self,
        member_uin: u64,
        policy_id: u64,
        org_sub_account_uin: u64,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        let key = PolicyKey { member_uin, policy_id };
        self.coalescer.find(key, org_sub_account_uin, self.api.cancel_token()).await
    }

    /// [`OrganizationApi::describe_member_policies`]: one page of the member's access policies.
    pub async fn describe_member_policies(
        &self,
        member_uin: u64,
        offset: u64,
        limit: u64,
    ) -> Result<MemberPolicyPage, CloudError> {
        self.api.describe_member_policies(member_uin, offset, limit).await
    }

    /// [`OrganizationApi::list_member_policies`]: all of the member's access policies.
    pub async fn list_member_policies(&self, member_uin: u64) -> Result<Vec<MemberPolicy>, CloudError> {
        self.api.list_member_policies(member_uin).await
    }

    /// [`OrganizationApi::describe_organization_members`]: one page of the organization's member
    /// accounts.
    pub async fn describe_organization_members(&self, offset: u64, limit: u64) -> Result<OrgMemberPage, CloudError> {
        self.api.describe_organization_members(offset, limit).await
    }

    /// [`OrganizationApi::list_organization_members`]: every member account of the organization.
    /// Nothing shares it: no write of this provider changes who is a member.
    pub async fn list_organization_members(&self) -> Result<Vec<OrgMember>, CloudError> {
        self.api.list_organization_members().await
    }

    /// [`OrganizationApi::member_auth_account_pages`]: the sub-accounts bound to the member's
    /// policy, a page at a time, for callers that stop early (such as `terraform query` with a
    /// limit).
    pub fn member_auth_account_pages(&self, member_uin: u64, policy_id: u64) -> AuthAccountPages<'_> {
        self.api.member_auth_account_pages(member_uin, policy_id)
    }
}

/// How long shared results live.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A finished listing serves new reads for this long (unless a write intervenes): long
    /// enough to cover the refresh of a large configuration. Each Terraform command starts the
    /// provider anew, so a listing never outlives the command that made it.
    pub listing_reuse: Duration,
    /// A Bind waits this long for company before it is sent (and then, under pacing, for its
    /// slot), unless its batch fills first.
    pub bind_gather: Duration,
    /// A new listing waits this long (and then, under pacing, for its slot) before its first
    /// page, taking readers whatever writes they follow (it starts after all of them), so the
    /// reads after several writes that end together share one listing.
    pub listing_gather: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            listing_reuse: Duration::from_secs(30),
            // Terraform hands out creates one at a time as its walk frees a slot, 20–30 ms apart
            // in a large apply (its own work per resource), so a batch of five needs about
            // this long to fill. Measured on 1000 creates: 30 ms gave 430 Bind calls, 60 ms
            // 314, 100 ms 222, with no slower apply (Terraform's own work is the bottleneck); a
            // window that closes early when nobody joins for 50 ms gave 527. A lone create
            // pays it once, next to Terraform's own half second.
            bind_gather: Duration::from_millis(100),
            listing_gather: Duration::from_millis(20),
        }
    }
}

/// A member's access policy: the unit the API lists and binds by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PolicyKey {
    pub member_uin: u64,
    pub policy_id: u64,
}

/// Each batched sub-account's answer: the Bind's RequestId or its error.
type BindOutcomes = Arc<HashMap<u64, Result<String, CloudError>>>;

/// The batches and listings in flight or recently finished, by member+policy.
#[derive(Debug)]
pub(super) struct Coalescer {
    /// Makes the shared calls, tied to no caller's cancellation token.
    api: OrganizationApi,
    timing: Timing,
    slots: Mutex<HashMap<PolicyKey, Slot>>,
}

#[derive(Debug, Default)]
struct Slot {
    /// Counts the starts and ends of writes to this member+policy; a listing serves a read only
    /// if this has not moved since the listing started.
    writes: u64,
    listing: Option<Listing>,
    open_batch: Option<OpenBatch>,
    /// The answers of the batch sent last, so the next waits for it (see `join_batch`).
    last_batch: Option<watch::Receiver<Option<BindOutcomes>>>,
    batches: u64,
    /// Where the last listing found the bindings its readers wanted, for the next listing to
    /// start there (see [`first_offset`]).
    found_at: Option<FoundAt>,
}

/// Which end of the listing the bindings a listing's readers wanted were on: the end new
/// bindings land on, for the next listing to start at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FoundAt {
    /// The first page: the server lists newest first.
    First,
    /// The last page of a listing of `total`: the server lists oldest first, and bindings made
    /// since start at position `total`.
    Last { total: u64 },
}

/// Backwards passes a listing may add when the pages it read did not form a consistent run
/// (see the module documentation); then its unanswered readers get an error.
pub(super) const CONFIRMING_PASSES: u32 = 3;

/// The offset of the last page of a listing of `total` (0 when it is empty).
fn last_page(total: u64) -> u64 {
    total.saturating_sub(1) / PAGE_LIMIT * PAGE_LIMIT
}

/// Pages read one after the other from the last page of a listing of `total` down to
/// `lowest`, each reporting that `total` and the items it implies. Reaching 0 proves that a
/// sub-account not seen is not bound (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    total: u64,
    lowest: u64,
}

/// The page a new listing reads first: where the previous listing's readers found theirs, or
/// the first page when there is no such hint.
fn first_offset(found_at: Option<FoundAt>) -> Option<u64> {
    match found_at? {
        FoundAt::First => Some(0),
        FoundAt::Last { total } => Some(total / PAGE_LIMIT * PAGE_LIMIT),
    }
}

/// One listing of a member+policy's bindings, read by a task of its own while readers wait.
#[derive(Debug)]
struct Listing {
    /// The write count when its first page was requested; `None` while it is still gathering
    /// readers, which any reader may join.
    writes_at_start: Option<u64>,
    progress: Arc<Mutex<Progress>>,
    /// Bumped whenever `progress` changes.
    changed: watch::Receiver<u64>,
    /// The sender behind `changed`, for a task that reads on after the first stopped.
    sender: Option<Arc<watch::Sender<u64>>>,
}

#[derive(Debug, Default)]
struct Progress {
    /// What the pages read so far hold, by sub-account UIN.
    found: HashMap<u64, OrgMemberAuthAccount>,
    /// The sub-accounts readers wait for; the listing stops once all are found.
    wanted: HashSet<u64>,
    /// A consistent run reached offset 0 (or the member or policy does not exist, or the server
    /// gives no usable Total and every page was read): a UIN not in `found` is not bound.
    complete: bool,
    /// The backwards run the pages read so far end with, if any.
    run: Option<Run>,
    /// The Total the latest page reported, for a confirming pass.
    latest_total: u64,
    /// Confirming passes started so far (at most [`CONFIRMING_PASSES`]).
    passes: u32,
    /// The server gave no usable Total: pages go forwards to a short one, and the listing is
    /// complete when they run out, as before runs existed (no run can be checked without a
    /// Total; ASSUMED not to happen on Tencent, which documents `Total`).
    uncounted: bool,
    /// Whether the first page was read; it tells how many pages there are.
    first_page_read: bool,
    /// The page to read first when there is a hint; otherwise offset 0, then the last page
    /// and backwards.
    start_at: Option<u64>,
    /// The offset of the page a wanted binding was last found on, and the total it reported.
    wanted_found_on: Option<(u64, u64)>,
    /// The pages still to read, the next one last.
    unread: Vec<u64>,
    /// Pages read, to bound paging through a server that reports no total.
    pages_read: u64,
    /// When reading last stopped: complete, every wanted UIN found, or failed.
    finished: Option<Instant>,
    error: Option<CloudError>,
}

/// What a reader learns from a listing.
enum Lookup {
    Answer(Result<Option<OrgMemberAuthAccount>, CloudError>),
    /// Still reading pages.
    Pending,
    /// It stopped without reading the page that would hold this UIN: read on.
    Stopped,
}

impl Progress {
    fn lookup(&self, sub_account_uin: u64) -> Lookup {
        if let Some(found) = self.found.get(&sub_account_uin) {
            Lookup::Answer(Ok(Some(found.clone())))
        } else if let Some(error) = &self.error {
            Lookup::Answer(Err(error.clone()))
        } else if self.complete {
            Lookup::Answer(Ok(None))
        } else if self.finished.is_some() {
            Lookup::Stopped
        } else {
            Lookup::Pending
        }
    }
}

/// A batch still taking sub-accounts.
#[derive(Debug)]
struct OpenBatch {
    id: u64,
    sub_accounts: Arc<Mutex<Vec<u64>>>,
    full: Arc<Notify>,
    outcomes: watch::Receiver<Option<BindOutcomes>>,
}

/// Bumps the write counter of a member+policy when created and again when dropped, so a write
/// that is abandoned half way (its future dropped) still invalidates the listings before it.
pub(super) struct WriteGuard<'a> {
    coalescer: &'a Coalescer,
    key: PolicyKey,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.coalescer.slot(self.key, |slot| slot.writes += 1);
    }
}

impl Coalescer {
    pub(super) fn new(api: &OrganizationApi, timing: Timing) -> Self {
        Self { api: api.without_cancellation(), timing, slots: Mutex::default() }
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<PolicyKey, Slot>> {
        // Nothing panics while holding the lock; recover the map rather than poison the client.
        self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn slot<T>(&self, key: PolicyKey, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(self.slots().entry(key).or_default())
    }

    /// Marks a write to `key` as started; it counts as ended when the guard is dropped.
    pub(super) fn write(&self, key: PolicyKey) -> WriteGuard<'_> {
        self.slot(key, |slot| slot.writes += 1);
        WriteGuard { coalescer: self, key }
    }

    /// Keeps the sender of the listing `progress` belongs to, for tasks that read on later.
    fn keep_sender(&self, key: PolicyKey, progress: &Arc<Mutex<Progress>>, changed: &Arc<watch::Sender<u64>>) {
        self.slot(key, |slot| {
            if let Some(listing) = slot.listing.as_mut().filter(|l| Arc::ptr_eq(&l.progress, progress)) {
                listing.sender.get_or_insert_with(|| Arc::clone(changed));
            }
        });
    }

    /// The sender of the listing `progress` belongs to, if it is still the current one.
    fn sender_of(&self, key: PolicyKey, progress: &Arc<Mutex<Progress>>) -> Option<Arc<watch::Sender<u64>>> {
        self.slot(key, |slot| {
            slot.listing.as_ref().filter(|l| Arc::ptr_eq(&l.progress, progress)).and_then(|l| l.sender.clone())
        })
    }

    /// The binding of `sub_account_uin` under `key`, from a shared listing.
    pub(super) async fn find(
        self: &Arc<Self>,
        key: PolicyKey,
        sub_account_uin: u64,
        cancel: Option<&CancellationToken>,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        // A listing replaced under a reader (rare: a write ended just as it read on) ends its
        // channel; the reader then joins the current one. Bounded, in case a task died.
        for _ in 0..3 {
            let (progress, mut changed) = self.listing(key, sub_account_uin);
            loop {
                let lookup = progress.lock().unwrap_or_else(|p| p.into_inner()).lookup(sub_account_uin);
                match lookup {
                    Lookup::Answer(answer) => return answer,
                    Lookup::Stopped => break,
                    Lookup::Pending => {}
                }
                if within(cancel, DESCRIBE_AUTH_ACCOUNTS_ACTION, changed.changed()).await?.is_err() {
                    break;
                }
            }
        }
        Err(CloudError::new(
            ErrorKind::Transient,
            Cloud::Tencent,
            DESCRIBE_AUTH_ACCOUNTS_ACTION,
            "the shared listing ended without an answer",
        ))
    }

    /// A listing of `key` this read may use, with `sub_account_uin` among its wanted UINs:
    /// one in flight, one that finished recently, or one that stopped early and reads on for
    /// this UIN; otherwise a new one.
    fn listing(self: &Arc<Self>, key: PolicyKey, sub_account_uin: u64) -> (Arc<Mutex<Progress>>, watch::Receiver<u64>) {
        let mut slots = self.slots();
        let slot = slots.entry(key).or_default();
        if let Some(listing) = slot.listing.as_ref().filter(|l| l.writes_at_start.is_none_or(|w| w == slot.writes)) {
            let mut progress = listing.progress.lock().unwrap_or_else(|p| p.into_inner());
            let usable = match progress.finished {
                None => true,
                // A failed listing is not shared with later reads: they try afresh.
                Some(finished) => progress.error.is_none() && finished.elapsed() < self.timing.listing_reuse,
            };
            if usable {
                progress.wanted.insert(sub_account_uin);
                if matches!(progress.lookup(sub_account_uin), Lookup::Stopped) {
                    // It stopped before the page that holds this UIN: read on from there.
                    progress.finished = None;
                    spawn_reader(self, key, Arc::clone(&listing.progress), None, self.timing.listing_gather);
                }
                return (Arc::clone(&listing.progress), listing.changed.clone());
            }
        }
        let (tx, changed) = watch::channel(0);
        let progress = Arc::new(Mutex::new(Progress {
            wanted: HashSet::from([sub_account_uin]),
            start_at: first_offset(slot.found_at),
            ..Progress::default()
        }));
        slot.listing = Some(Listing {
            writes_at_start: None,
            progress: Arc::clone(&progress),
            changed: changed.clone(),
            sender: None,
        });
        spawn_reader(self, key, Arc::clone(&progress), Some(tx), self.timing.listing_gather);
        (progress, changed)
    }

    /// Binds `sub_account_uin` under `key` as part of a batch; returns the batch's RequestId.
    pub(super) async fn bind(
        self: &Arc<Self>,
        key: PolicyKey,
        sub_account_uin: u64,
        cancel: Option<&CancellationToken>,
    ) -> Result<String, CloudError> {
        let (mut outcomes, batch) = self.join_batch(key, sub_account_uin);
        let outcomes = match answer(&mut outcomes, cancel, BIND_ACTION).await {
            Ok(outcomes) => outcomes,
            // Stopped (Ctrl-C, or the operation's deadline) before the batch went out: leave it,
            // so the Bind never carries a sub-account whose create has already returned. A
            // binding made after its create gave up would be in the cloud and in no state.
            Err(e) => {
                let mut members = batch.lock().unwrap_or_else(|p| p.into_inner());
                return Err(match members.iter().position(|&uin| uin == sub_account_uin) {
                    Some(at) => {
                        members.remove(at);
                        e.never_sent()
                    }
                    None => e,
                });
            }
        };
        outcomes.get(&sub_account_uin).cloned().unwrap_or_else(|| {
            Err(CloudError::new(
                ErrorKind::Other,
                Cloud::Tencent,
                BIND_ACTION,
                "the batched call gave no answer for this sub-account",
            ))
        })
    }

    /// Adds `sub_account_uin` to the open batch of `key`, or opens one (and starts the task that
    /// sends it once it is full or its gathering time is up).
    /// Also returns the batch's list, which a caller that stops waiting leaves (see `bind`).
    fn join_batch(
        self: &Arc<Self>,
        key: PolicyKey,
        sub_account_uin: u64,
    ) -> (watch::Receiver<Option<BindOutcomes>>, Arc<Mutex<Vec<u64>>>) {
        let mut slots = self.slots();
        let slot = slots.entry(key).or_default();
        if let Some(batch) = &slot.open_batch {
            let mut sub_accounts = batch.sub_accounts.lock().unwrap_or_else(|p| p.into_inner());
            // The API refuses a UIN listed twice, so a repeat goes into a batch of its own.
            if !sub_accounts.contains(&sub_account_uin) {
                sub_accounts.push(sub_account_uin);
                let outcomes = batch.outcomes.clone();
                let list = Arc::clone(&batch.sub_accounts);
                if sub_accounts.len() >= MAX_BIND_UINS {
                    batch.full.notify_one();
                    drop(sub_accounts);
                    slot.open_batch = None;
                }
                return (outcomes, list);
            }
        }
        slot.batches += 1;
        let id = slot.batches;
        let sub_accounts = Arc::new(Mutex::new(vec![sub_account_uin]));
        let full = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(None);
        slot.open_batch = Some(OpenBatch {
            id,
            sub_accounts: Arc::clone(&sub_accounts),
            full: Arc::clone(&full),
            outcomes: rx.clone(),
        });
        // Group commit: while the previous batch's call is out, this one keeps taking
        // sub-accounts, so batches grow with the load instead of leaving one by one.
        let previous = slot.last_batch.replace(rx.clone());
        let coalescer = Arc::clone(self);
        let gather = self.timing.bind_gather;
        let list = Arc::clone(&sub_accounts);
        tokio::spawn(async move {
            let ready = async {
                tokio::time::sleep(gather).await;
                if let Some(mut previous) = previous {
                    let _ = previous.wait_for(Option::is_some).await;
                }
                // The batch keeps taking sub-accounts while it waits for its turn under the
                // pacing, so the calls the pacing allows carry as many as they can.
                coalescer.api.pace(BIND_ACTION).await
            };
            let paced = tokio::select! {
                paced = ready => paced,
                _ = full.notified() => false,
            };
            coalescer.slot(key, |slot| {
                if slot.open_batch.as_ref().is_some_and(|open| open.id == id) {
                    slot.open_batch = None;
                }
            });
            // Closed: nobody adds to the list any more. Taking it whole marks it sent, so a
            // caller that stops waiting from now on knows its sub-account went out.
            let sub_accounts = std::mem::take(&mut *sub_accounts.lock().unwrap_or_else(|p| p.into_inner()));
            let outcomes = if sub_accounts.is_empty() {
                HashMap::new()
            } else {
                bind_batch(&coalescer, key, &sub_accounts, paced).await
            };
            let _ = tx.send(Some(Arc::new(outcomes)));
        });
        (rx, list)
    }

    /// One Bind of `sub_accounts` through `api`, sent now: a write to `key` while it is out
    /// (see [`WriteGuard`]). `paced`: the call's pacing slot is already taken.
    async fn bind_now(
        &self,
        api: &OrganizationApi,
        key: PolicyKey,
        sub_accounts: &[u64],
        paced: bool,
    ) -> Result<String, CloudError> {
        // Refused before anything is sent: that is no write.
        check_bind_uins(sub_accounts)?;
        let _write = self.write(key);
        api.bind_member_auth_accounts_paced(key.member_uin, key.policy_id, sub_accounts, paced).await
    }
}

/// Sends one Bind for `sub_accounts`; if Tencent refuses it, binds each alone so that each
/// gets its own answer (see the module documentation).
/// `paced`: the call's pacing slot is already taken.
async fn bind_batch(
    coalescer: &Coalescer,
    key: PolicyKey,
    sub_accounts: &[u64],
    paced: bool,
) -> HashMap<u64, Result<String, CloudError>> {
    let every = |outcome: Result<String, CloudError>| sub_accounts.iter().map(|&uin| (uin, outcome.clone())).collect();
    match coalescer.bind_now(&coalescer.api, key, sub_accounts, paced).await {
        Ok(request_id) => every(Ok(request_id)),
        Err(e) if sub_accounts.len() > 1 && was_refused(&e) => {
            tracing::debug!(
                cloud = %Cloud::Tencent,
                action = BIND_ACTION,
                member_uin = key.member_uin,
                policy_id = key.policy_id,
                sub_accounts = sub_accounts.len(),
                error = %e,
                "batched bind refused; binding each sub-account alone"
            );
            let alone = sub_accounts
                .iter()
                .map(|&uin| async move { (uin, coalescer.bind_now(&coalescer.api, key, &[uin], false).await) });
            join_all(alone).await.into_iter().collect()
        }
        Err(e) => every(Err(e)),
    }
}

/// Whether Tencent answered the call with a refusal, so it did nothing. Anything else (a
/// transport failure, an unreadable answer) may have come after the change was applied.
fn was_refused(error: &CloudError) -> bool {
    matches!(
        error.kind,
        ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Invalid | ErrorKind::Auth | ErrorKind::Throttled
    )
}

/// Starts the task that reads pages for a listing. A new listing (`changed` given) first
/// gathers readers for `gather` and until it holds Describe's pacing slot, then fixes the write
/// count it reflects; a listing that reads on reuses the task's sender kept in `progress`.
fn spawn_reader(
    coalescer: &Arc<Coalescer>,
    key: PolicyKey,
    progress: Arc<Mutex<Progress>>,
    changed: Option<watch::Sender<u64>>,
    gather: Duration,
) {
    let coalescer = Arc::clone(coalescer);
    tokio::spawn(async move {
        let (changed, paced) = match changed {
            Some(changed) => {
                tokio::time::sleep(gather).await;
                // Readers keep joining while the call waits its turn under the pacing, so one
                // call serves every read that arrives in a pacing interval.
                let paced = coalescer.api.pace(DESCRIBE_AUTH_ACCOUNTS_ACTION).await;
                coalescer.slot(key, |slot| {
                    let writes = slot.writes;
                    if let Some(listing) = slot.listing.as_mut().filter(|l| Arc::ptr_eq(&l.progress, &progress)) {
                        listing.writes_at_start = Some(writes);
                    }
                });
                (Arc::new(changed), paced)
            }
            None => match coalescer.sender_of(key, &progress) {
                Some(changed) => (changed, false),
                // The listing was replaced meanwhile: its readers moved on with it.
                None => return,
            },
        };
        coalescer.keep_sender(key, &progress, &changed);
        read_pages(&coalescer, key, &progress, &changed, paced).await;
    });
}

/// Every page of a listing of `total`, the next one last: a backwards pass from the last page
/// to offset 0, the order that can prove absence (see the module documentation).
fn backwards_pass(total: u64) -> Vec<u64> {
    (0..=last_page(total) / PAGE_LIMIT).map(|n| n * PAGE_LIMIT).collect()
}

/// The pages after the first one read (at `first`), the next one last: the last page, then
/// backwards down to 0. A new binding is on the first page or the last, and bindings made
/// after a hinted page are on it or after it, so the common reads stop within a call or two.
/// The first page is read again where it falls in the backwards run — only reached when a
/// reader is still unanswered — because rows may have slid onto it since; if it is the last
/// page, the run starts with it and nothing is read twice.
fn pages_after_first(first: u64, total: u64) -> Vec<u64> {
    let mut order = backwards_pass(total);
    if first == last_page(total) {
        order.retain(|&offset| offset != first);
    }
    order
}

/// Reads pages of `key` into `progress` — the first (or the hinted one), then the others in the
/// order of [`pages_after_first`] — until every wanted UIN is found, or the pages read prove
/// the others absent (a consistent run, see the module documentation), or confirming passes
/// run out (an error for the unanswered readers).
/// `paced`: the first call's pacing slot is already taken.
async fn read_pages(
    coalescer: &Coalescer,
    key: PolicyKey,
    progress: &Mutex<Progress>,
    changed: &watch::Sender<u64>,
    mut paced: bool,
) {
    loop {
        let offset = {
            let mut progress = progress.lock().unwrap_or_else(|p| p.into_inner());
            if !progress.first_page_read { progress.start_at.unwrap_or(0) } else { progress.unread.pop().unwrap_or(0) }
        };
        let page = coalescer
            .api
            .describe_member_auth_accounts_paced(key.member_uin, key.policy_id, offset, PAGE_LIMIT, paced)
            .await;
        paced = false;
        let mut progress = progress.lock().unwrap_or_else(|p| p.into_inner());
        progress.pages_read += 1;
        match page {
            Ok(page) => {
                let len = page.items.len() as u64;
                let full = len >= PAGE_LIMIT;
                let usable_total = !full || page.total > PAGE_LIMIT;
                // A Total that covers what this page shows (a page past the end shows
                // nothing); a server that counts nothing (0 with items) cannot support a run.
                let counted = len == 0 || page.total >= offset + len;
                progress.latest_total = page.total;
                // Extend the backwards run, start one at the last page, or break it: a page of
                // another Total, out of order, or shorter than its Total implies (rows vanished
                // mid-read) cannot be part of a consistent view.
                let expected_len = PAGE_LIMIT.min(page.total.saturating_sub(offset));
                progress.run = if !counted || len != expected_len {
                    None
                } else if offset == last_page(page.total) {
                    Some(Run { total: page.total, lowest: offset })
                } else {
                    progress
                        .run
                        .filter(|run| run.total == page.total && run.lowest == offset + PAGE_LIMIT)
                        .map(|run| Run { lowest: offset, ..run })
                };
                let mut wanted_here = false;
                for item in page.items.into_iter().filter(|item| item.policy_id == key.policy_id) {
                    wanted_here |= progress.wanted.contains(&item.org_sub_account_uin);
                    progress.found.insert(item.org_sub_account_uin, item);
                }
                if wanted_here && usable_total {
                    progress.wanted_found_on = Some((offset, page.total));
                }
                if !progress.first_page_read {
                    if offset != 0 && !usable_total {
                        // The hint assumed a Total this server did not give: start over at
                        // the first page, the way a listing without a hint reads.
                        progress.start_at = None;
                    } else {
                        progress.first_page_read = true;
                        progress.uncounted = !usable_total || !counted;
                        progress.unread = if usable_total {
                            pages_after_first(offset, page.total)
                        } else {
                            // No usable Total: page forwards while pages come back full.
                            vec![PAGE_LIMIT]
                        };
                    }
                } else if progress.uncounted && !usable_total && progress.pages_read < MAX_PAGES_UNKNOWN_TOTAL {
                    progress.unread.push(offset + PAGE_LIMIT);
                }
                if progress.first_page_read && !progress.uncounted && progress.run.is_some_and(|run| run.lowest == 0) {
                    progress.complete = true;
                } else if progress.first_page_read && progress.unread.is_empty() {
                    if progress.uncounted {
                        progress.complete = true;
                    } else if progress.passes < CONFIRMING_PASSES {
                        // The pages changed under the listing: it proves nothing about what
                        // it did not find. Read them again, backwards, from the last page of
                        // the newest Total. Found bindings stay found.
                        progress.passes += 1;
                        progress.unread = backwards_pass(progress.latest_total);
                    } else {
                        // Never steady: the unanswered readers get an error, which keeps
                        // their bindings in state, rather than a guess that they are gone.
                        progress.error = Some(CloudError::new(
                            ErrorKind::Transient,
                            Cloud::Tencent,
                            DESCRIBE_AUTH_ACCOUNTS_ACTION,
                            "the listing kept changing while it was read (other writers?): cannot tell whether the binding exists",
                        ));
                    }
                }
            }
            // The member or the policy does not exist (any more): no binding under it can.
            Err(e) if e.is_not_found() => progress.complete = true,
            Err(e) => progress.error = Some(e),
        }
        let everyone_answered = progress.wanted.iter().all(|uin| progress.found.contains_key(uin));
        let stop = progress.complete || progress.error.is_some() || everyone_answered;
        let found_at = found_at(progress.wanted_found_on);
        if stop {
            progress.finished = Some(Instant::now());
        }
        drop(progress);
        if stop {
            coalescer.slot(key, |slot| slot.found_at = found_at);
        }
        changed.send_modify(|n| *n += 1);
        if stop {
            return;
        }
    }
}

/// Which end a listing found its wanted bindings on, from the page it last found one on.
fn found_at(wanted_found_on: Option<(u64, u64)>) -> Option<FoundAt> {
    let (offset, total) = wanted_found_on?;
    let last_page = total.saturating_sub(1) / PAGE_LIMIT * PAGE_LIMIT;
    if offset == last_page {
        Some(FoundAt::Last { total })
    } else if offset == 0 {
        Some(FoundAt::First)
    } else {
        None
    }
}

/// Runs `work` unless `cancel` fires first, as every client call does.
async fn within<T>(
    cancel: Option<&CancellationToken>,
    action: &str,
    work: impl Future<Output = T>,
) -> Result<T, CloudError> {
    cancellable(cancel, work).await.ok_or_else(|| CloudError::cancelled(Cloud::Tencent, action))
}

/// Waits for a shared call's answer, or for `cancel`.
async fn answer<T: Clone>(
    rx: &mut watch::Receiver<Option<T>>,
    cancel: Option<&CancellationToken>,
    action: &str,
) -> Result<T, CloudError> {
    let lost =
        || CloudError::new(ErrorKind::Transient, Cloud::Tencent, action, "the shared call ended without an answer");
    let wait = async {
        match rx.wait_for(Option::is_some).await {
            Ok(value) => value.clone().ok_or_else(lost),
            Err(_) => Err(lost()),
        }
    };
    within(cancel, action, wait).await?
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;
    use crate::clouds::http::HttpClient;
    use crate::clouds::tencent::organization::{CANCEL_ACTION, MAX_BIND_UINS};
    use crate::clouds::tencent::test_support::*;
    use crate::clouds::test_server::{Seen, Server};

    fn client(server: &Server) -> TencentOrganizationClient {
        TencentOrganizationClient::new(config(&server.url)).unwrap()
    }

    #[tokio::test]
    async fn an_absurd_total_fails_the_shared_listing_at_its_first_page() {
        // The Total check of `organization` holds for the shared listing too.
        let server = Server::start(|_, _| Reply::Ok(json!({"Items": [], "Total": u64::MAX}))).await;
        assert!(client(&server).find_member_auth_account_shared(1, 1, 2).await.is_err());
        assert_eq!(server.seen().len(), 1);
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
        let client = TencentOrganizationClient::new(cfg).unwrap();
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
    async fn organization_members_are_listed_with_pacing_and_stop_on_cancellation() {
        use crate::clouds::tencent::organization::DESCRIBE_MEMBERS_ACTION;
        let server = Server::start(|req: &Seen, _| {
            assert_eq!(req.action(), DESCRIBE_MEMBERS_ACTION);
            let offset = req.body["Offset"].as_u64().unwrap();
            let count = if offset == 0 { 50 } else { 10 };
            let items: Vec<Value> =
                (offset..offset + count).map(|uin| json!({"MemberUin": uin, "Name": "m"})).collect();
            Reply::Ok(json!({"Items": items, "Total": 60}))
        })
        .await;
        // 2 calls/s: the second page waits for Describe's next slot (about 525 ms), as every
        // call of one action does under the published limit.
        let paced = paced_client(&server, 2);
        let started = std::time::Instant::now();
        let members = paced.list_organization_members().await.unwrap();
        assert_eq!(members.iter().map(|m| m.member_uin).collect::<Vec<_>>(), (0..60).collect::<Vec<_>>());
        assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
        assert_eq!(calls_of(&server, DESCRIBE_MEMBERS_ACTION).len(), 2);

        let stalled = Server::start(|_, _| Reply::Stall).await;
        let token = CancellationToken::new();
        let cancellable = client(&stalled).with_cancellation(token.clone());
        let started = std::time::Instant::now();
        let (listed, ()) = tokio::join!(cancellable.list_organization_members(), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            token.cancel();
        });
        let e = listed.unwrap_err();
        assert_eq!((e.kind, e.action.as_str()), (ErrorKind::Cancelled, DESCRIBE_MEMBERS_ACTION));
        assert!(started.elapsed() < Duration::from_millis(500), "{:?}", started.elapsed());
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
        let client = TencentOrganizationClient::new(cfg).unwrap();
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
        assert_eq!(calls, 1 + 4 + CONFIRMING_PASSES as usize * 4, "{:?}", describe_offsets(&server));
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
    fn paced_client(server: &Server, per_second: u32) -> TencentOrganizationClient {
        let mut cfg = config(&server.url);
        cfg.coalescing.bind_gather = Duration::from_millis(1);
        cfg.coalescing.listing_gather = Duration::from_millis(1);
        let http = HttpClient::new(Cloud::Tencent)
            .unwrap()
            .with_rate_limit(crate::clouds::ratelimit::RateLimiter::per_action(per_second));
        TencentOrganizationClient::with_http_client(cfg, http).unwrap()
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
