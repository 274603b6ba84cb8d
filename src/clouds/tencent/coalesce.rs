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

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use super::organization::{
    BIND_ACTION, DESCRIBE_AUTH_ACCOUNTS_ACTION, MAX_BIND_UINS, MAX_PAGES_UNKNOWN_TOTAL, OrgMemberAuthAccount,
    OrganizationClient, PAGE_LIMIT,
};
use crate::clouds::error::{Cloud, CloudError, ErrorKind};
use crate::clouds::http::cancellable;

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

#[derive(Debug, Default)]
pub(super) struct Coalescer {
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
    pub(super) fn new(timing: Timing) -> Self {
        Self { timing, slots: Mutex::default() }
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
        &self,
        client: &OrganizationClient,
        key: PolicyKey,
        sub_account_uin: u64,
        cancel: Option<&CancellationToken>,
    ) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
        // A listing replaced under a reader (rare: a write ended just as it read on) ends its
        // channel; the reader then joins the current one. Bounded, in case a task died.
        for _ in 0..3 {
            let (progress, mut changed) = self.listing(client, key, sub_account_uin);
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
    fn listing(
        &self,
        client: &OrganizationClient,
        key: PolicyKey,
        sub_account_uin: u64,
    ) -> (Arc<Mutex<Progress>>, watch::Receiver<u64>) {
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
                    spawn_reader(client, key, Arc::clone(&listing.progress), None, self.timing.listing_gather);
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
        spawn_reader(client, key, Arc::clone(&progress), Some(tx), self.timing.listing_gather);
        (progress, changed)
    }

    /// Binds `sub_account_uin` under `key` as part of a batch; returns the batch's RequestId.
    pub(super) async fn bind(
        &self,
        client: &OrganizationClient,
        key: PolicyKey,
        sub_account_uin: u64,
        cancel: Option<&CancellationToken>,
    ) -> Result<String, CloudError> {
        let (mut outcomes, batch) = self.join_batch(client, key, sub_account_uin);
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
        &self,
        client: &OrganizationClient,
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
        let client = client.without_cancellation();
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
                client.pace(BIND_ACTION).await
            };
            let paced = tokio::select! {
                paced = ready => paced,
                _ = full.notified() => false,
            };
            let coalescer = client.coalescer();
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
                bind_batch(&client, key, &sub_accounts, paced).await
            };
            let _ = tx.send(Some(Arc::new(outcomes)));
        });
        (rx, list)
    }
}

/// Sends one Bind for `sub_accounts`; if Tencent refuses it, binds each alone so that each
/// gets its own answer (see the module documentation).
/// `paced`: the call's pacing slot is already taken.
async fn bind_batch(
    client: &OrganizationClient,
    key: PolicyKey,
    sub_accounts: &[u64],
    paced: bool,
) -> HashMap<u64, Result<String, CloudError>> {
    let every = |outcome: Result<String, CloudError>| sub_accounts.iter().map(|&uin| (uin, outcome.clone())).collect();
    match client.bind_member_auth_accounts_paced(key.member_uin, key.policy_id, sub_accounts, paced).await {
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
            let alone = sub_accounts.iter().map(|&uin| async move {
                (uin, client.bind_member_auth_accounts(key.member_uin, key.policy_id, &[uin]).await)
            });
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
    client: &OrganizationClient,
    key: PolicyKey,
    progress: Arc<Mutex<Progress>>,
    changed: Option<watch::Sender<u64>>,
    gather: Duration,
) {
    let client = client.without_cancellation();
    tokio::spawn(async move {
        let (changed, paced) = match changed {
            Some(changed) => {
                tokio::time::sleep(gather).await;
                // Readers keep joining while the call waits its turn under the pacing, so one
                // call serves every read that arrives in a pacing interval.
                let paced = client.pace(DESCRIBE_AUTH_ACCOUNTS_ACTION).await;
                client.coalescer().slot(key, |slot| {
                    let writes = slot.writes;
                    if let Some(listing) = slot.listing.as_mut().filter(|l| Arc::ptr_eq(&l.progress, &progress)) {
                        listing.writes_at_start = Some(writes);
                    }
                });
                (Arc::new(changed), paced)
            }
            None => match client.coalescer().sender_of(key, &progress) {
                Some(changed) => (changed, false),
                // The listing was replaced meanwhile: its readers moved on with it.
                None => return,
            },
        };
        client.coalescer().keep_sender(key, &progress, &changed);
        read_pages(&client, key, &progress, &changed, paced).await;
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
    client: &OrganizationClient,
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
        let page =
            client.describe_member_auth_accounts_paced(key.member_uin, key.policy_id, offset, PAGE_LIMIT, paced).await;
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
            client.coalescer().slot(key, |slot| slot.found_at = found_at);
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
