//! `tether_identity_center_profile_association`: every account assignment of one Huawei Cloud
//! IAM Identity Center principal (user or group), managed authoritatively as one resource.
//!
//! create = CreateAccountAssignment per assignment, each waited on
//! update = create the added assignments, delete the removed ones, each waited on
//! read   = ListAccountAssignmentsForPrincipal, paged: assignments made outside Terraform show
//!          up as drift and are removed on the next apply
//! delete = DisassociateProfile (`POST /v1/instances/{id}/disassociate-profile`, the detach API),
//!          which removes *all* of the principal's assignments at once
//! list   = ListAccountAssignments per account (all organization accounts, or one) to find the
//!          principals, then each principal's full set as `read` has it

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::StreamExt;

use crate::clients::{Clients, OperationClients, ReportCloud, Service, cloud_error, report_detach};
use crate::clouds::huawei::identitycenter::{
    CREATE_ACCOUNT_ASSIGNMENT_ACTION, LIST_ASSIGNMENTS_FOR_PRINCIPAL_ACTION, is_change_in_progress,
};
use crate::clouds::huawei::{AssignmentTarget, IdentityCenterClient};
use crate::clouds::waiter::{PollPolicy, WaitError};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::args::is_id;
use crate::framework::identity::IdentityAttribute;
use crate::framework::model::Model;
use crate::framework::timeouts::{self, Defaults};
use crate::framework::{
    AttributePath, Ctx, DetachCall, Diagnostic, Diagnostics, Found, MoveSource, Moved, Outcome, Plan, Report, Reported,
    Resource, Schema, SourceState, Value,
};

use crate::clients::write_outcome::{UnknownWrite, stopped_wait, unconfirmed_create, wait_budget};

pub const TYPE_NAME: &str = "tether_identity_center_profile_association";

const TIMEOUTS: Defaults = Defaults {
    create: Duration::from_secs(10 * 60),
    update: Some(Duration::from_secs(10 * 60)),
    delete: Duration::from_secs(10 * 60),
};

/// Assignment requests finish in seconds.
const POLL: PollPolicy = PollPolicy {
    initial_delay: Duration::from_millis(500),
    interval: Duration::from_secs(1),
    max_interval: Duration::from_secs(5),
    multiplier: 1.5,
};

/// Assignment requests in flight at once for one principal.
const PARALLEL_REQUESTS: usize = 4;

const IMPORT_FORM: &str = "`<instance_id>/<USER|GROUP>/<principal_id>` (for example `ins-tether00000001/USER/u-alice`)";

pub struct IdentityCenterProfileAssociation;

/// The arguments of a `list` block's `config`.
#[derive(Model)]
struct ListConfig {
    /// ID of the Identity Center instance.
    #[tf(required)]
    instance_id: String,
    /// Only principals with an assignment on this account. Leave it out to look at every account of the organization (ListAccounts, which needs the management account's credentials).
    #[tf(optional)]
    account_id: Option<String>,
}

/// The state of an association: every attribute, declared once.
#[derive(Model)]
struct State {
    #[tf(computed, import, description = format!("{IMPORT_FORM}, also the import ID."))]
    id: String,
    /// ID of the Identity Center instance.
    #[tf(required, force_new, identity)]
    instance_id: String,
    /// ID of the instance's identity store. Looked up from the instance (ListInstances) when omitted. An instance has one identity store, so it cannot change while `instance_id` stays: such a plan is refused (it would replace the association, and a replacement of the same principal would remove the assignments the new one holds).
    #[tf(optional, computed)]
    identity_store_id: Option<String>,
    /// `USER` or `GROUP`.
    #[tf(required, force_new, identity)]
    principal_type: String,
    /// ID of the user or group.
    #[tf(required, force_new, identity)]
    principal_id: String,
    /// One account assignment: a permission set granted to the principal on an account.
    #[tf(block, set)]
    assignment: Vec<Assignment>,
    #[tf(block = timeouts::block(TIMEOUTS))]
    timeouts: Value,
}

/// One assignment: a permission set on an account.
#[derive(Model, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Assignment {
    /// ID of the permission set.
    #[tf(required)]
    permission_set_id: String,
    /// ID of the account (the assignment's target).
    #[tf(required)]
    account_id: String,
}

/// Who the association is for.
struct Principal {
    instance_id: String,
    principal_type: String,
    principal_id: String,
}

impl Principal {
    fn from_state(value: &Value) -> Principal {
        let text = |name: &str| value.attr(name).and_then(Value::as_str).unwrap_or_default().to_string();
        Principal {
            instance_id: text(State::INSTANCE_ID),
            principal_type: text(State::PRINCIPAL_TYPE),
            principal_id: text(State::PRINCIPAL_ID),
        }
    }

    fn id(&self) -> String {
        format!("{}/{}/{}", self.instance_id, self.principal_type, self.principal_id)
    }

    fn target(&self, assignment: &Assignment) -> AssignmentTarget {
        AssignmentTarget {
            permission_set_id: assignment.permission_set_id.clone(),
            principal_id: self.principal_id.clone(),
            principal_type: self.principal_type.clone(),
            target_id: assignment.account_id.clone(),
        }
    }

    /// The state of this principal with `assignments`; `identity_store_id` is null until known.
    fn state(&self, identity_store_id: Option<&str>, assignments: &BTreeSet<Assignment>, timeouts: Value) -> Value {
        State {
            id: self.id(),
            instance_id: self.instance_id.clone(),
            identity_store_id: identity_store_id.map(str::to_string),
            principal_type: self.principal_type.clone(),
            principal_id: self.principal_id.clone(),
            assignment: assignments.iter().cloned().collect(),
            timeouts,
        }
        .to_value()
    }

    /// A state with only the principal's keys, for `read` to fill in.
    fn bare_state(&self) -> Value {
        self.state(None, &BTreeSet::new(), Value::Null)
    }

    fn parse_import_id(id: &str) -> Result<Principal, Diagnostic> {
        let invalid = |why: &str| {
            Diagnostic::error(
                "Invalid import ID",
                format!("{id:?} is not a profile association ID: {why}. Expected {IMPORT_FORM}."),
            )
        };
        let parts: Vec<&str> = id.split('/').collect();
        let [instance_id, principal_type, principal_id] = parts[..] else {
            return Err(invalid("it must have exactly three parts"));
        };
        if !matches!(principal_type, "USER" | "GROUP") {
            return Err(invalid(&format!("the principal type {principal_type:?} must be USER or GROUP")));
        }
        for (part, name) in [(instance_id, "instance ID"), (principal_id, "principal ID")] {
            if !is_id(part) {
                return Err(invalid(&format!(
                    "the {name} {part:?} is empty or has characters other than letters, digits, '-' and '_'"
                )));
            }
        }
        Ok(Principal {
            instance_id: instance_id.into(),
            principal_type: principal_type.into(),
            principal_id: principal_id.into(),
        })
    }
}

fn assignments_of(value: &Value) -> BTreeSet<Assignment> {
    let text = |a: &Value, name: &str| a.attr(name).and_then(Value::as_str).unwrap_or_default().to_string();
    value
        .attr(State::ASSIGNMENT)
        .and_then(Value::elements)
        .unwrap_or_default()
        .iter()
        .map(|a| Assignment {
            permission_set_id: text(a, Assignment::PERMISSION_SET_ID),
            account_id: text(a, Assignment::ACCOUNT_ID),
        })
        .collect()
}

/// The state of `base`'s principal, holding `assignments`, with `base`'s time limits.
fn with_assignments(base: &Value, identity_store_id: &str, assignments: &BTreeSet<Assignment>) -> Value {
    let timeouts = base.attr(timeouts::BLOCK).cloned().unwrap_or(Value::Null);
    Principal::from_state(base).state(Some(identity_store_id), assignments, timeouts)
}

/// The configured identity store, or the instance's own (ListInstances).
async fn identity_store_id(
    client: &IdentityCenterClient,
    value: &Value,
    instance_id: &str,
) -> Result<String, Diagnostic> {
    if let Some(id) = value.attr(State::IDENTITY_STORE_ID).and_then(Value::as_str).filter(|id| !id.is_empty()) {
        return Ok(id.to_string());
    }
    let instances =
        client.list_instances().await.map_err(|e| cloud_error("Could not list Identity Center instances", &e))?;
    instances.into_iter().find(|i| i.instance_id == instance_id).map(|i| i.identity_store_id).ok_or_else(|| {
        Diagnostic::error(
            "Identity Center instance not found",
            format!("ListInstances does not list instance {instance_id:?}."),
        )
        .at(AttributePath::root(State::INSTANCE_ID))
    })
}

/// `moved` from the official provider's account assignment. That type holds one assignment and
/// ours all of a principal's, so the move is safe only with the recipe in the migration guide
/// (`modify_plan` refuses a move that would delete assignments).
const MOVE_SOURCES: &[MoveSource] = &[MoveSource {
    provider: "huaweicloud/huaweicloud",
    type_name: "huaweicloud_identitycenter_account_assignment",
    schema_version: 0,
    convert: from_official_assignment,
}];

/// The official assignment's state as an association of its principal holding that one
/// assignment; the refresh that follows the move reads the principal's others (and the identity
/// store). Its destroy deletes its assignment, ours every assignment of the principal: the move
/// plan says so.
fn from_official_assignment(source: &SourceState) -> Result<Moved, String> {
    let target_type = source.optional_string("target_type")?.unwrap_or_else(|| "ACCOUNT".to_string());
    if target_type != "ACCOUNT" {
        return Err(format!("its `target_type` is {target_type:?}; only ACCOUNT assignments exist here"));
    }
    let principal = Principal {
        instance_id: source.required_string(State::INSTANCE_ID)?,
        principal_type: source.required_string(State::PRINCIPAL_TYPE)?,
        principal_id: source.required_string(State::PRINCIPAL_ID)?,
    };
    let id = principal.id();
    Principal::parse_import_id(&id).map_err(|d| format!("it names no valid principal: {}", d.detail))?;
    let assignment = Assignment {
        permission_set_id: source.required_string(Assignment::PERMISSION_SET_ID)?,
        account_id: source.required_string("target_id")?,
    };
    let timeouts = source.timeouts(&["create", "update", "delete"])?;
    Ok(Moved { state: principal.state(None, &BTreeSet::from([assignment]), timeouts), detach_on_destroy: true })
}

/// Refuses the plan that carries a move when it would also delete assignments: the source held
/// one assignment, the refresh found the principal's others, and the configuration does not list
/// them (the recipe: an `assignment` block for each, and a `removed` block for each official
/// resource that managed one).
fn check_move(plan: &Plan, from: &str) -> Result<(), Diagnostic> {
    let dropped: Vec<Assignment> =
        assignments_of(&plan.prior).difference(&assignments_of(&plan.planned)).cloned().collect();
    if dropped.is_empty() {
        return Ok(());
    }
    let principal = Principal::from_state(&plan.prior);
    let list = dropped
        .iter()
        .map(|a| {
            format!(
                "  assignment {{\n    permission_set_id = \"{}\"\n    account_id        = \"{}\"\n  }}",
                a.permission_set_id, a.account_id
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(Diagnostic::error(
        "A move must not delete assignments",
        format!(
            "This plan moves a {from} into the association of {} {} and would also delete {} of the principal's assignments, because the association manages all of them and this configuration does not list them. Add them to the configuration:\n{list}\nand give every other {from} that manages one of them a `removed` block with `lifecycle {{ destroy = false }}`. To delete assignments, apply the move first, then remove them in a later change.",
            principal.principal_type, principal.principal_id, dropped.len()
        ),
    )
    .at(AttributePath::root(State::ASSIGNMENT)))
}

/// The principal's assignments as the cloud has them, or `None` if the principal is unknown.
async fn current_assignments(
    client: &IdentityCenterClient,
    principal: &Principal,
) -> Result<Option<BTreeSet<Assignment>>, Diagnostic> {
    match client
        .list_account_assignments_for_principal(
            &principal.instance_id,
            &principal.principal_id,
            &principal.principal_type,
        )
        .await
    {
        Ok(list) => Ok(Some(
            list.into_iter()
                .map(|a| Assignment { permission_set_id: a.permission_set_id, account_id: a.account_id })
                .collect(),
        )),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(cloud_error("Could not list the principal's account assignments", &e)),
    }
}

/// Why one assignment did not end in place.
#[derive(Debug)]
struct Failure {
    why: String,
    /// The operation stopped it (Ctrl-C, or the deadline), rather than the cloud refusing or
    /// failing it.
    stopped: bool,
    /// It may or may not have taken effect: a request was sent whose end was not seen.
    unknown: bool,
}

impl Failure {
    /// The cloud refused or failed the change, or it was never sent: it did not happen.
    fn failed(why: impl Into<String>) -> Failure {
        Failure { why: why.into(), stopped: false, unknown: false }
    }

    /// A change sent whose outcome no read could tell. One seen after the operation stopped
    /// counts as the stop's doing: every call and wait of the operation ends when it stops.
    fn unknown(ctx: &Ctx<'_, Clients>, why: impl Into<String>) -> Failure {
        Failure { why: why.into(), stopped: ctx.stop.is_cancelled(), unknown: true }
    }
}

/// Creates (or deletes) each assignment and waits for it, a few at a time, all within the
/// operation's deadline. Returns the ones that did not end in place, with why.
async fn apply_each(
    client: &IdentityCenterClient,
    principal: &Principal,
    assignments: &BTreeSet<Assignment>,
    create: bool,
    ctx: &Ctx<'_, Clients>,
) -> Vec<(Assignment, Failure)> {
    let results = futures_util::stream::iter(assignments.iter().cloned())
        .map(|assignment| async move {
            change_one(client, principal, &assignment, create, ctx).await.err().map(|why| (assignment, why))
        })
        .buffer_unordered(PARALLEL_REQUESTS)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().flatten().collect()
}

/// Starts creating (or deleting) one assignment and waits for the request.
async fn change_one(
    client: &IdentityCenterClient,
    principal: &Principal,
    assignment: &Assignment,
    create: bool,
    ctx: &Ctx<'_, Clients>,
) -> Result<(), Failure> {
    match start_change(client, principal, assignment, create).await {
        Ok(request_id) => wait_change(client, principal, &request_id, create, ctx).await,
        // IdentityCenter.1007 ("modification failed") is what a duplicate create gets, but not
        // only that: the assignment counts as there only if a read shows it.
        Err(e) if create && e.kind == ErrorKind::Conflict => {
            match has_assignment(client, principal, assignment).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(Failure::failed(e.to_string())),
                Err(read) => Err(Failure::unknown(
                    ctx,
                    format!("{e}; checking whether the assignment exists failed too: {read}"),
                )),
            }
        }
        Err(e) if !create && e.kind == ErrorKind::NotFound => Ok(()),
        // Stopped, in flight or before it was sent: nothing more is sent. What the cloud has is
        // read once for the state (see `truthful_state`).
        Err(e) if e.kind == ErrorKind::Cancelled => {
            Err(Failure { why: e.to_string(), stopped: true, unknown: e.is_ambiguous() })
        }
        // The answer was lost, the service failed, or a request for the same assignment is in
        // progress: the change may be under way. Find out instead of failing. (A refused
        // connection never reached the cloud: there is nothing to find out.)
        Err(e) if e.kind == ErrorKind::Transient && e.is_ambiguous() => {
            reconcile_change(client, principal, assignment, create, e, ctx).await
        }
        Err(e) => Err(Failure::failed(e.to_string())),
    }
}

/// CreateAccountAssignment or DeleteAccountAssignment; the request id to follow.
async fn start_change(
    client: &IdentityCenterClient,
    principal: &Principal,
    assignment: &Assignment,
    create: bool,
) -> Result<String, CloudError> {
    let target = principal.target(assignment);
    let status = if create {
        client.create_account_assignment(&principal.instance_id, &target).await?
    } else {
        client.delete_account_assignment(&principal.instance_id, &target).await?
    };
    Ok(status.request_id)
}

/// Follows one request until it ends or the operation's wait budget does (see
/// `write_outcome::wait_budget`: the read that records what the cloud has must still fit).
async fn wait_change(
    client: &IdentityCenterClient,
    principal: &Principal,
    request_id: &str,
    create: bool,
    ctx: &Ctx<'_, Clients>,
) -> Result<(), Failure> {
    let budget = wait_budget(ctx);
    let outcome = if create {
        client.wait_creation(&principal.instance_id, request_id, budget, &POLL, Some(&ctx.stop)).await
    } else {
        client.wait_deletion(&principal.instance_id, request_id, budget, &POLL, Some(&ctx.stop)).await
    };
    // The request was accepted: unless it ended FAILED, it may still finish.
    outcome.map(drop).map_err(|e: WaitError| Failure {
        stopped: stopped_wait(&e),
        unknown: !matches!(e, WaitError::Failed { .. }),
        why: e.to_string(),
    })
}

/// Whether the principal has `assignment` now.
async fn has_assignment(
    client: &IdentityCenterClient,
    principal: &Principal,
    assignment: &Assignment,
) -> Result<bool, String> {
    match current_assignments(client, principal).await {
        Ok(Some(actual)) => Ok(actual.contains(assignment)),
        Ok(None) => Ok(false),
        Err(d) => Err(d.detail),
    }
}

/// After a create (or delete) of one assignment failed without a clear outcome (`first`):
/// reads whether the goal holds, and if not, submits the change again and follows that.
///
/// Resubmitting is safe because Identity Center keys an assignment by (permission set,
/// principal, account) and refuses duplicates: while a request for the same assignment is in
/// flight another one gets `IdentityCenter.1006`, a create of an existing assignment
/// `IdentityCenter.1007`, a delete of a missing one a 404 — a change is never applied twice.
/// While `IdentityCenter.1006` says the first request is still running, this keeps reading
/// (and probing) until the operation's wait budget runs out; any other failure of the repeat
/// ends it with both errors.
async fn reconcile_change(
    client: &IdentityCenterClient,
    principal: &Principal,
    assignment: &Assignment,
    create: bool,
    first: CloudError,
    ctx: &Ctx<'_, Clients>,
) -> Result<(), Failure> {
    tracing::debug!(error = %first, create, "assignment change failed ambiguously; reading and resubmitting");
    let mut pause = POLL.initial_delay;
    loop {
        match has_assignment(client, principal, assignment).await {
            Ok(present) if present == create => return Ok(()),
            Ok(_) => {}
            Err(read) => {
                return Err(Failure::unknown(
                    ctx,
                    format!("{first}; checking the assignment afterwards failed too: {read}"),
                ));
            }
        }
        match start_change(client, principal, assignment, create).await {
            Ok(request_id) => return wait_change(client, principal, &request_id, create, ctx).await,
            Err(e) if is_change_in_progress(&e) => {}
            Err(e) if create && e.kind == ErrorKind::Conflict => {
                return match has_assignment(client, principal, assignment).await {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(Failure::failed(format!("{first}; submitting it again failed too: {e}"))),
                    Err(read) => Err(Failure::unknown(
                        ctx,
                        format!("{first}; submitting it again failed too: {e}; checking the assignment failed: {read}"),
                    )),
                };
            }
            Err(e) if !create && e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Failure::unknown(ctx, format!("{first}; submitting it again failed too: {e}"))),
        }
        // Another request for this assignment is still running: give it time, within the
        // operation's budget for waits.
        if pause >= wait_budget(ctx) {
            return Err(Failure {
                why: format!(
                    "{first}; a request for the same assignment was still in progress when the time limit ran out (run terraform apply again to pick up its outcome)"
                ),
                stopped: true,
                unknown: true,
            });
        }
        tokio::select! {
            _ = ctx.stop.cancelled() => return Err(Failure { why: format!("{first}; stopped while waiting for the request in progress"), stopped: true, unknown: true }),
            _ = tokio::time::sleep(pause) => {}
        }
        pause = POLL.next_interval(pause.max(POLL.interval));
    }
}

/// Reports the assignments that did not end in place. Those the cloud refused or failed are
/// errors, each on its own. Those the operation's stop left unfinished are one diagnostic, whose
/// detail ends with `next` (what the state holds, and what the next apply does): an error naming
/// the limit when the deadline passed, and (when `kept`, a state being recorded) a warning when
/// Terraform asked the provider to stop (Ctrl-C), so that a create's object is not tainted: the
/// next apply adds or removes the rest, with no replacement.
fn report_failures(
    ctx: &Ctx<'_, Clients>,
    diags: &mut Diagnostics,
    verb: &str,
    failures: &[(Assignment, Failure)],
    kept: bool,
    next: &str,
) {
    let mut unfinished = Vec::new();
    for (assignment, failure) in failures {
        let line = format!(
            "Permission set {} on account {}: {}",
            assignment.permission_set_id, assignment.account_id, failure.why
        );
        if failure.stopped {
            unfinished.push(line);
        } else {
            diags.error(format!("Could not {verb} an account assignment"), line);
        }
    }
    if unfinished.is_empty() {
        return;
    }
    let doing = if verb == "create" { "creating" } else { "deleting" };
    let (summary, cause) =
        crate::framework::operation::stopped_detail(&format!("{doing} the account assignments below"));
    let detail = format!("{cause} {next}\n{}", unfinished.join("\n"));
    if ctx.interrupted() && kept {
        diags.warning(summary, detail);
    } else {
        diags.error(summary, detail);
    }
}

/// What the state says after a partial failure when it records what the cloud has.
const RECORDS_THE_CLOUD: &str = "The state records the assignments the cloud has; the next apply finishes the rest.";

/// What the principal has now, after a change did not end in place. Read with the settle token,
/// so that it still runs for a moment after Ctrl-C, and ends at the deadline.
async fn read_back(ctx: &Ctx<'_, Clients>, principal: &Principal) -> Result<BTreeSet<Assignment>, CloudError> {
    let client = ctx
        .huawei_identitycenter()
        .map_err(|d| {
            CloudError::new(
                ErrorKind::Other,
                crate::clouds::Cloud::Huawei,
                LIST_ASSIGNMENTS_FOR_PRINCIPAL_ACTION,
                d.detail,
            )
        })?
        .with_cancellation(ctx.settle());
    match client
        .list_account_assignments_for_principal(
            &principal.instance_id,
            &principal.principal_id,
            &principal.principal_type,
        )
        .await
    {
        Ok(list) => Ok(list
            .into_iter()
            .map(|a| Assignment { permission_set_id: a.permission_set_id, account_id: a.account_id })
            .collect()),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Resource<Clients> for IdentityCenterProfileAssociation {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiIdentityCenter
    }

    fn timeouts(&self) -> Option<Defaults> {
        Some(TIMEOUTS)
    }

    fn move_sources(&self) -> &'static [MoveSource] {
        MOVE_SOURCES
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        State::IDENTITY
    }

    fn schema(&self) -> Schema {
        State::schema(
            "All account assignments of one IAM Identity Center principal (a user or a group), managed **authoritatively**: assignments of this principal made outside Terraform show up as drift and are removed on the next apply. Adding or removing an `assignment` block creates or deletes that one assignment and waits for it. Destroying the resource calls **DisassociateProfile** (`POST /v1/instances/{instance_id}/disassociate-profile`), which removes **every** account assignment of the principal, across all accounts and permission sets — including ones Terraform did not create.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(kind) = config.attr(State::PRINCIPAL_TYPE).and_then(Value::as_str) {
            if !matches!(kind, "USER" | "GROUP") {
                diags.push(
                    Diagnostic::error(
                        "Invalid principal_type",
                        format!("principal_type must be \"USER\" or \"GROUP\"; got {kind:?}."),
                    )
                    .at(AttributePath::root(State::PRINCIPAL_TYPE)),
                );
            }
        }
        for name in [State::INSTANCE_ID, State::PRINCIPAL_ID, State::IDENTITY_STORE_ID] {
            if let Some(id) = config.attr(name).and_then(Value::as_str) {
                if !is_id(id) {
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid {name}"),
                            format!("{id:?} is not a valid ID: expected letters, digits, '-' and '_'."),
                        )
                        .at(AttributePath::root(name)),
                    );
                }
            }
        }
        // Checked here so a malformed ID never reaches CreateAccountAssignment. Set elements
        // have no stable index, so the path names the argument in the (single) block and the
        // detail quotes the value.
        for assignment in config.attr(State::ASSIGNMENT).and_then(Value::elements).unwrap_or_default() {
            for (name, example) in [
                (Assignment::PERMISSION_SET_ID, "ps-admin"),
                (Assignment::ACCOUNT_ID, "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"),
            ] {
                if let Some(id) = assignment.attr(name).and_then(Value::as_str) {
                    if !is_id(id) {
                        diags.push(
                            Diagnostic::error(format!("Invalid assignment {name}"), format!("{id:?} is not a valid {name}: expected an ID of letters, digits, '-' and '_', such as {example:?}."))
                                .at(AttributePath::root(State::ASSIGNMENT).attribute(name)),
                        );
                    }
                }
            }
        }
        for d in timeouts::validate(config) {
            diags.push(d);
        }
    }

    async fn modify_plan(&self, _ctx: &Ctx<'_, Clients>, plan: &mut Plan, diags: &mut Diagnostics) -> Outcome<()> {
        // Only a change of principal replaces the association: the principal is the object
        // DisassociateProfile clears, and a replacement keeping it (with create_before_destroy,
        // new object first) would clear what the new object just took over.
        if !plan.is_create() && !plan.is_replace() {
            let store =
                |value: &Value| value.attr(State::IDENTITY_STORE_ID).and_then(Value::as_str).map(str::to_string);
            if let (Some(before), Some(after)) = (store(&plan.prior), store(&plan.planned)) {
                if before != after {
                    diags.push(
                        Diagnostic::error(
                            "identity_store_id cannot change",
                            format!("Instance {} has identity store {before:?}; an instance has one identity store, so {after:?} cannot be right for it. Leave identity_store_id out to have it looked up, or set it to {before:?}.", Principal::from_state(&plan.prior).instance_id),
                        )
                        .at(AttributePath::root(State::IDENTITY_STORE_ID)),
                    );
                }
            }
        }
        if let Some(from) = plan.moved_from.as_deref().filter(|_| !plan.is_create()) {
            check_move(plan, from).report(diags)?;
        }
        let keys_known = [State::INSTANCE_ID, State::PRINCIPAL_TYPE, State::PRINCIPAL_ID]
            .iter()
            .all(|name| plan.planned.attr(name).is_some_and(Value::is_known));
        if keys_known {
            let id = Principal::from_state(&plan.planned).id();
            if let Some(slot) = plan.planned.attr_mut(State::ID) {
                *slot = Value::from(id);
            }
        }
        Ok(())
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let principal = Principal::from_state(planned);
        let store = identity_store_id(&client, planned, &principal.instance_id).await.report(diags)?;
        let wanted = assignments_of(planned);
        let sent = SystemTime::now();
        let failures = apply_each(&client, &principal, &wanted, true, ctx).await;
        if failures.is_empty() {
            return Ok(with_assignments(planned, &store, &wanted));
        }
        // The state must say what the cloud has.
        let (found, unconfirmed) = match read_back(ctx, &principal).await {
            Ok(actual) => (actual, None),
            // Unreadable: what this create knows it made (the ones that failed for sure left
            // out), and when any may or may not exist, the state is unconfirmed.
            Err(read) => {
                let made = wanted
                    .iter()
                    .filter(|a| !failures.iter().any(|(f, why)| f == *a && !why.unknown))
                    .cloned()
                    .collect();
                // The stop's unknown outcomes first: they say why the create ended.
                let unknown = failures.iter().filter(|(_, f)| f.unknown).max_by_key(|(_, f)| f.stopped);
                match unknown {
                    Some((assignment, failure)) => (made, Some((assignment.clone(), failure, read))),
                    None => {
                        diags.warning("Could not re-read the assignments after the failure", read.to_string());
                        (made, None)
                    }
                }
            }
        };
        // A principal left with no assignment holds nothing of this create: nothing is recorded
        // (with an error), and the next apply creates the association anew, rather than replacing
        // a tainted, empty one with a DisassociateProfile first. A change that lands after all is
        // found then: Identity Center refuses the duplicate, and the read shows it there.
        let kept = !found.is_empty();
        let next = match (&unconfirmed, kept) {
            (Some(_), _) => "",
            (None, true) => RECORDS_THE_CLOUD,
            (None, false) => "None of them is in the cloud, so nothing is recorded; the next apply creates them.",
        };
        report_failures(ctx, diags, "create", &failures, kept, next);
        if let Some((assignment, failure, read)) = unconfirmed {
            let write = UnknownWrite {
                api: format!("{} {CREATE_ACCOUNT_ASSIGNMENT_ACTION}", crate::clouds::Cloud::Huawei),
                failure: (!failure.stopped).then(|| failure.why.clone()),
            };
            let why = match read.kind {
                ErrorKind::Cancelled => "did not finish in time".to_string(),
                _ => format!("failed ({read})"),
            };
            let found = format!(
                "reading the principal's assignments afterwards {why}, so permission set {} on account {} (and any other unfinished one) may or may not exist",
                assignment.permission_set_id, assignment.account_id
            );
            unconfirmed_create(
                ctx,
                sent,
                &write,
                &found,
                "The association with every assignment not known to have failed",
                diags,
            );
        }
        kept.then(|| with_assignments(planned, &store, &found)).ok_or(Reported)
    }

    /// A state whose create was not confirmed stands for the assignments that create made: a
    /// principal with none (nothing reached the cloud) is dropped, so the next apply creates the
    /// association anew rather than replacing a tainted one (which would call
    /// DisassociateProfile first).
    async fn confirm(
        &self,
        ctx: &Ctx<'_, Clients>,
        current: &Value,
        _since: SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        let read = self.read(ctx, current, diags).await?;
        Ok(read.filter(|read| !assignments_of(read).is_empty()))
    }

    /// A principal always "reads" (with no assignments when it has none): it exists for a
    /// create only when it holds assignments.
    async fn already_exists(&self, ctx: &Ctx<'_, Clients>, planned: &Value) -> Option<bool> {
        let client = ctx.huawei_identitycenter().ok()?;
        current_assignments(&client, &Principal::from_state(planned))
            .await
            .ok()
            .map(|found| found.is_some_and(|a| !a.is_empty()))
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let principal = Principal::from_state(current);
        let store = identity_store_id(&client, current, &principal.instance_id).await.report(diags)?;
        let found = current_assignments(&client, &principal).await.report(diags)?;
        Ok(found.map(|actual| with_assignments(current, &store, &actual)))
    }

    async fn update(
        &self,
        ctx: &Ctx<'_, Clients>,
        prior: &Value,
        planned: &Value,
        diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let principal = Principal::from_state(planned);
        let store = planned.attr(State::IDENTITY_STORE_ID).and_then(Value::as_str).unwrap_or_default().to_string();
        let before = assignments_of(prior);
        let after = assignments_of(planned);
        let removed: BTreeSet<Assignment> = before.difference(&after).cloned().collect();
        let added: BTreeSet<Assignment> = after.difference(&before).cloned().collect();
        let mut failures = apply_each(&client, &principal, &removed, false, ctx).await;
        report_failures(ctx, diags, "delete", &failures, true, RECORDS_THE_CLOUD);
        let create_failures = apply_each(&client, &principal, &added, true, ctx).await;
        report_failures(ctx, diags, "create", &create_failures, true, RECORDS_THE_CLOUD);
        failures.extend(create_failures);
        if failures.is_empty() {
            return Ok(with_assignments(planned, &store, &after));
        }
        // After a partial failure, the state must say what the cloud has; unreadable, the prior
        // assignments stay (an update is never tainted, and the next refresh reads the truth).
        Ok(match read_back(ctx, &principal).await {
            Ok(actual) => with_assignments(planned, &store, &actual),
            Err(read) => {
                diags.warning(
                    "Could not re-read the assignments after the failure",
                    format!("{read}. The state keeps the assignments it had; the next refresh reads them."),
                );
                with_assignments(planned, &store, &before)
            }
        })
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let principal = Principal::from_state(prior);
        let store = identity_store_id(&client, prior, &principal.instance_id).await.report(diags)?;
        // Not repeated blindly: after a lost answer the principal's assignments are read first.
        // Any of the ones in state still there means the call did not take effect (it removes
        // all at once) and it is sent again; only other ones there means they were added after
        // it took effect, and they are left alone.
        let intended: Vec<(String, String)> =
            assignments_of(prior).into_iter().map(|a| (a.permission_set_id, a.account_id)).collect();
        // The read after a lost answer uses the settle token, so a DisassociateProfile the
        // operation stopped in flight is still checked, for a moment after Ctrl-C.
        let settle = ctx.settle();
        let outcome = client
            .disassociate_profile_reconciled(
                &principal.instance_id,
                &principal.principal_id,
                &principal.principal_type,
                &store,
                &intended,
                Some(&settle),
            )
            .await;
        report_detach(
            outcome,
            "Could not disassociate the principal's profile",
            &format!("the profile of {} {}", principal.principal_type, principal.principal_id),
            diags,
        )
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let principal = Principal::from_state(state);
        let store = state.attr(State::IDENTITY_STORE_ID).and_then(Value::as_str).unwrap_or_default();
        Ok(DetachCall {
            api: "Huawei Cloud DisassociateProfile".into(),
            parameters: format!(
                "(POST /v1/instances/{}/disassociate-profile) {{id: {}, accessor_type: {}, identity_store_id: {store}}}",
                principal.instance_id, principal.principal_id, principal.principal_type
            ),
        })
    }

    /// Counts what the bulk detach removes now, from the cloud (falling back to the state).
    async fn destroy_effect(&self, ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let principal = Principal::from_state(prior);
        let (count, source) = match ctx.huawei_identitycenter() {
            Ok(client) => match current_assignments(&client, &principal).await {
                Ok(Some(actual)) => (actual.len(), "currently has"),
                _ => (assignments_of(prior).len(), "had at the last refresh"),
            },
            Err(_) => (assignments_of(prior).len(), "had at the last refresh"),
        };
        format!(
            "removes every account assignment of {} {} — it {source} {count} — on every account and permission set, including any not created by Terraform.",
            principal.principal_type, principal.principal_id
        )
    }

    async fn import(&self, _ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        let principal = Principal::parse_import_id(id).report(diags)?;
        Ok(principal.bare_state())
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(ListConfig::schema(
            "Finds every principal (user or group) with account assignments in an Identity Center instance, each with all of its assignments.",
        ))
    }

    fn validate_list(&self, config: &Value, diags: &mut Diagnostics) {
        for name in [ListConfig::INSTANCE_ID, ListConfig::ACCOUNT_ID] {
            if let Some(id) = config.attr(name).and_then(Value::as_str) {
                if !is_id(id) {
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid {name}"),
                            format!("{id:?} is not a valid ID: expected letters, digits, '-' and '_'."),
                        )
                        .at(AttributePath::root(name)),
                    );
                }
            }
        }
    }

    async fn list(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        found: &mut Found,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let instance_id = config.attr(ListConfig::INSTANCE_ID).and_then(Value::as_str).unwrap_or_default();
        let accounts = match config.attr(ListConfig::ACCOUNT_ID).and_then(Value::as_str) {
            Some(account) => vec![account.to_string()],
            None => {
                let organizations = ctx.huawei_organizations().report(diags)?;
                let accounts = organizations
                    .list_accounts()
                    .await
                    .report_as("Could not list the organization's accounts", diags)?;
                accounts.into_iter().map(|a| a.id).collect()
            }
        };
        let store = identity_store_id(&client, &Value::Null, instance_id).await.report(diags)?;
        // Principals in a stable order: by type, then ID.
        let mut principals = BTreeSet::new();
        for account in &accounts {
            let assignments = client
                .list_account_assignments(instance_id, account)
                .await
                .report_as(&format!("Could not list the assignments on account {account}"), diags)?;
            principals.extend(assignments.into_iter().map(|a| (a.principal_type, a.principal_id)));
        }
        for (principal_type, principal_id) in principals {
            let principal = Principal { instance_id: instance_id.to_string(), principal_type, principal_id };
            let Some(assignments) = current_assignments(&client, &principal).await.report(diags)? else {
                // Deleted while we listed.
                continue;
            };
            let label = format!(
                "{} {} ({} assignments)",
                principal.principal_type.to_lowercase(),
                principal.principal_id,
                assignments.len()
            );
            if !found.push(label, principal.state(Some(&store), &assignments, Value::Null)).await {
                return Ok(());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::args::object;

    #[test]
    fn the_plan_carrying_a_move_may_add_assignments_but_never_delete_one() {
        let principal =
            Principal { instance_id: "ins-1".into(), principal_type: "USER".into(), principal_id: "u-alice".into() };
        let of = |pairs: &[(&str, &str)]| -> BTreeSet<Assignment> {
            pairs
                .iter()
                .map(|(ps, account)| Assignment { permission_set_id: ps.to_string(), account_id: account.to_string() })
                .collect()
        };
        let plan = |prior: &[(&str, &str)], planned: &[(&str, &str)]| Plan {
            prior: principal.state(Some("d-1"), &of(prior), Value::Null),
            config: Value::Null,
            planned: principal.state(Some("d-1"), &of(planned), Value::Null),
            requires_replace: Vec::new(),
            moved_from: Some("huaweicloud_identitycenter_account_assignment".into()),
        };
        let from = "huaweicloud_identitycenter_account_assignment";
        let (admin, readonly) = (("ps-admin", "acc-1"), ("ps-readonly", "acc-2"));
        assert!(check_move(&plan(&[admin, readonly], &[admin, readonly]), from).is_ok());
        assert!(check_move(&plan(&[admin], &[admin, readonly]), from).is_ok(), "adding is no detach");
        let refused = check_move(&plan(&[admin, readonly], &[admin]), from).unwrap_err();
        assert_eq!(refused.summary, "A move must not delete assignments");
        assert_eq!(refused.path.as_ref().map(ToString::to_string).as_deref(), Some("assignment"));
        assert!(
            refused.detail.contains("would also delete 1 of the principal's assignments")
                && refused.detail.contains("permission_set_id = \"ps-readonly\"\n    account_id        = \"acc-2\"")
                && refused.detail.contains("`removed` block with `lifecycle { destroy = false }`"),
            "{}",
            refused.detail
        );
    }

    #[test]
    fn malformed_assignment_ids_are_refused_with_their_path() {
        let assignment = |ps: &str, account: &str| {
            object([("permission_set_id", Value::from(ps)), ("account_id", Value::from(account))])
        };
        let config = object([
            ("principal_type", Value::from("USER")),
            (
                "assignment",
                Value::Set(vec![
                    assignment("ps-admin", "acct 1"),
                    assignment("", "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71"),
                    assignment("ps-readonly", "a-1"),
                ]),
            ),
        ]);
        let mut diags = Diagnostics::new();
        IdentityCenterProfileAssociation.validate(&config, &mut diags);
        let found: Vec<_> =
            diags.iter().map(|d| (d.summary.as_str(), d.path.as_ref().map(ToString::to_string))).collect();
        assert_eq!(
            found,
            [
                ("Invalid assignment account_id", Some("assignment.account_id".into())),
                ("Invalid assignment permission_set_id", Some("assignment.permission_set_id".into()))
            ]
        );
        assert!(diags.iter().all(|d| d.detail.contains("such as")), "{diags:?}");
    }

    #[test]
    fn import_ids() {
        let p = Principal::parse_import_id("ins-1/GROUP/g-admins").unwrap();
        assert_eq!(
            (p.instance_id.as_str(), p.principal_type.as_str(), p.principal_id.as_str()),
            ("ins-1", "GROUP", "g-admins")
        );
        let ty = IdentityCenterProfileAssociation.schema().implied_type();
        let imported = p.bare_state();
        imported.conforms_to(&ty).unwrap();
        assert_eq!(imported.attr(State::ID), Some(&Value::from("ins-1/GROUP/g-admins")));
        let held = BTreeSet::from([Assignment { permission_set_id: "ps-1".into(), account_id: "a-1".into() }]);
        let read = with_assignments(&imported, "d-1", &held);
        read.conforms_to(&ty).unwrap();
        assert_eq!(assignments_of(&read), held);
        for bad in ["ins-1/USER", "ins-1/ROLE/x", "/USER/x", "ins-1/USER/a b", "a/USER/b/c"] {
            let error = Principal::parse_import_id(bad).err().unwrap();
            assert!(error.detail.contains("<instance_id>/<USER|GROUP>/<principal_id>"), "{bad}");
        }
    }
}
