//! Huawei IAM Identity Center (global service): the instance, account assignments (created and
//! deleted asynchronously, with a request status to poll) and DisassociateProfile, which removes
//! all of one principal's assignments at once.

use serde_json::{Value, json};

use super::error::{HwError, codes};
use super::jobs::{FAILED, IN_PROGRESS, JobView, SUCCEEDED};
use super::model::{Assignment, AssignmentKey, AssignmentRequest, AssignmentRequestKind, HuaweiWorld, JobClock};
use super::request::{Ctx, Executed};
use super::routes::Action;

const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 100;
const PRINCIPAL_TYPES: [&str; 2] = ["USER", "GROUP"];

pub fn execute(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world)?;
    if ctx.route.action == Action::ListInstances {
        return list_instances(ctx, world);
    }
    let instance = ctx.path("instance_id");
    if instance != world.identity_center.instance.instance_id {
        return Err(not_found(format_args!("the instance {instance} does not exist")));
    }
    match ctx.route.action {
        Action::CreateAccountAssignment => create(ctx, world),
        Action::DeleteAccountAssignment => delete(ctx, world),
        Action::DescribeAccountAssignmentCreationStatus => describe(ctx, world, AssignmentRequestKind::Create),
        Action::DescribeAccountAssignmentDeletionStatus => describe(ctx, world, AssignmentRequestKind::Delete),
        Action::ListAccountAssignments => list_assignments(ctx, world),
        Action::ListAccountAssignmentsForPrincipal => list_for_principal(ctx, world),
        Action::DisassociateProfile => disassociate(ctx, world),
        other => unreachable!("{} is not an Identity Center action", other.name()),
    }
}

/// Only the organization's management account administers Identity Center (delegated
/// administrators are not emulated).
fn require_management(ctx: &Ctx<'_>, world: &HuaweiWorld) -> Result<(), HwError> {
    if ctx.caller == world.organizations.organization.management_account_id {
        return Ok(());
    }
    Err(HwError::new(
        403,
        codes::IC_ACCESS_DENIED,
        format!(
            "Access denied: the account {} is neither the management account nor a delegated administrator",
            ctx.caller
        ),
    ))
}

fn not_found(what: impl std::fmt::Display) -> HwError {
    HwError::new(404, codes::IC_NOT_FOUND, format!("Not Found: {what}"))
}

fn list_instances(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let page = ctx.page(MAX_LIMIT, DEFAULT_LIMIT)?;
    let instance = &world.identity_center.instance;
    let (instances, page_info) = page.apply(vec![instance], |i| i.instance_id.clone());
    let instances: Vec<Value> = instances
        .iter()
        .map(|i| {
            json!({
                "instance_id": i.instance_id,
                "identity_store_id": i.identity_store_id,
                "alias": i.alias,
                "instance_urn": i.instance_urn,
            })
        })
        .collect();
    Ok(Executed::read(json!({ "instances": instances, "page_info": page_info })))
}

/// The body of CreateAccountAssignment / DeleteAccountAssignment, validated against the world.
fn assignment_key(ctx: &Ctx<'_>, world: &HuaweiWorld) -> Result<AssignmentKey, HwError> {
    let permission_set_id = ctx.required_str("permission_set_id")?;
    let principal_id = ctx.required_str("principal_id")?;
    let principal_type = ctx.required_enum("principal_type", &PRINCIPAL_TYPES)?;
    let target_id = ctx.required_str("target_id")?;
    ctx.required_enum("target_type", &["ACCOUNT"])?;

    let ic = &world.identity_center;
    if ic.permission_set(permission_set_id).is_none() {
        return Err(HwError::new(
            404,
            codes::IC_PERMISSION_SET_NOT_FOUND,
            format!("The permission set {permission_set_id} does not exist"),
        ));
    }
    if ic.principal(principal_type, principal_id).is_none() {
        return Err(not_found(format_args!("the {} {principal_id} does not exist", principal_type.to_lowercase())));
    }
    if !world.organizations.organization.is_member(target_id) {
        return Err(not_found(format_args!("the account {target_id} is not an account of the organization")));
    }
    Ok(AssignmentKey {
        permission_set_id: permission_set_id.to_owned(),
        principal_id: principal_id.to_owned(),
        principal_type: principal_type.to_owned(),
        account_id: target_id.to_owned(),
    })
}

fn in_flight(request: &AssignmentRequest) -> HwError {
    HwError::new(
        409,
        codes::IC_CONFLICT,
        format!(
            "Concurrent modification: the request {} on this account assignment is still in progress",
            request.request_id
        ),
    )
}

fn start(ctx: &Ctx<'_>, world: &mut HuaweiWorld, kind: AssignmentRequestKind, key: AssignmentKey) -> Executed {
    let request = AssignmentRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        kind,
        key,
        clock: JobClock::start(ctx.now, ctx.assignment_ms, ctx.job_fault.clone()),
    };
    let field = status_field(kind);
    let body = json!({ field: status_dto(&request, ctx.now) });
    world.identity_center.assignment_requests.push(request);
    Executed::changed(body)
}

fn create(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let key = assignment_key(ctx, world)?;
    let ic = &world.identity_center;
    if let Some(request) = ic.running_request(&key) {
        return Err(in_flight(request));
    }
    if ic.assignment_index(&key).is_some() {
        return Err(HwError::new(
            409,
            codes::IC_ALREADY_EXISTS,
            format!(
                "The account assignment already exists: permission set {}, {} {}, account {}",
                key.permission_set_id, key.principal_type, key.principal_id, key.account_id
            ),
        ));
    }
    Ok(start(ctx, world, AssignmentRequestKind::Create, key))
}

fn delete(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let key = assignment_key(ctx, world)?;
    let ic = &world.identity_center;
    if let Some(request) = ic.running_request(&key) {
        return Err(in_flight(request));
    }
    if ic.assignment_index(&key).is_none() {
        return Err(not_found(format_args!(
            "no account assignment of permission set {} to {} {} on account {}",
            key.permission_set_id, key.principal_type, key.principal_id, key.account_id
        )));
    }
    Ok(start(ctx, world, AssignmentRequestKind::Delete, key))
}

fn status_field(kind: AssignmentRequestKind) -> &'static str {
    match kind {
        AssignmentRequestKind::Create => "account_assignment_creation_status",
        AssignmentRequestKind::Delete => "account_assignment_deletion_status",
    }
}

fn status_dto(request: &AssignmentRequest, now: i64) -> Value {
    let (status, failure_reason) = match request.clock.view(now) {
        JobView::InProgress(_) => (IN_PROGRESS, None),
        JobView::Succeeded => (SUCCEEDED, None),
        JobView::Failed(reason) => (FAILED, Some(reason)),
    };
    json!({
        "request_id": request.request_id,
        "status": status,
        "failure_reason": failure_reason,
        "created_date": request.clock.started_at,
        "permission_set_id": request.key.permission_set_id,
        "principal_id": request.key.principal_id,
        "principal_type": request.key.principal_type,
        "target_id": request.key.account_id,
        "target_type": "ACCOUNT",
    })
}

fn describe(ctx: &Ctx<'_>, world: &mut HuaweiWorld, kind: AssignmentRequestKind) -> Result<Executed, HwError> {
    let id = ctx.path("request_id");
    let request = world
        .identity_center
        .assignment_requests
        .iter()
        .find(|r| r.request_id == id && r.kind == kind)
        .ok_or_else(|| not_found(format_args!("the request {id} does not exist")))?;
    Ok(Executed::read(json!({ status_field(kind): status_dto(request, ctx.now) })))
}

fn assignment_dto(a: &Assignment) -> Value {
    json!({
        "account_id": a.key.account_id,
        "permission_set_id": a.key.permission_set_id,
        "principal_id": a.key.principal_id,
        "principal_type": a.key.principal_type,
    })
}

/// Assignments matching `keep`, paged in creation order.
fn listing(ctx: &Ctx<'_>, world: &HuaweiWorld, keep: impl Fn(&Assignment) -> bool) -> Result<Executed, HwError> {
    let page = ctx.page(MAX_LIMIT, DEFAULT_LIMIT)?;
    let mut matching: Vec<&Assignment> = world.identity_center.assignments.iter().filter(|a| keep(a)).collect();
    matching.sort_by_key(|a| a.seq);
    let (matching, page_info) = page.apply(matching, |a| format!("{:016x}", a.seq));
    let assignments: Vec<Value> = matching.iter().map(|a| assignment_dto(a)).collect();
    Ok(Executed::read(json!({ "account_assignments": assignments, "page_info": page_info })))
}

fn list_assignments(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let account = ctx.required_query("account_id")?;
    let permission_set = ctx.query("permission_set_id").filter(|s| !s.is_empty());
    listing(ctx, world, |a| a.key.account_id == account && permission_set.is_none_or(|p| a.key.permission_set_id == p))
}

fn list_for_principal(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let principal_id = ctx.required_query("principal_id")?;
    let principal_type = ctx.required_query("principal_type")?;
    if !PRINCIPAL_TYPES.contains(&principal_type) {
        return Err(ctx.bad_request(format_args!("principal_type must be USER or GROUP, got {principal_type:?}")));
    }
    if world.identity_center.principal(principal_type, principal_id).is_none() {
        return Err(not_found(format_args!("the {} {principal_id} does not exist", principal_type.to_lowercase())));
    }
    let account = ctx.query("account_id").filter(|s| !s.is_empty());
    listing(ctx, world, |a| {
        a.key.principal_id == principal_id
            && a.key.principal_type == principal_type
            && account.is_none_or(|acc| a.key.account_id == acc)
    })
}

/// Removes every account assignment of one user or group, synchronously. Creations still in
/// flight for that principal end `FAILED` (they will never add an assignment); deletions in
/// flight end `SUCCEEDED`. A principal without assignments is fine (200).
fn disassociate(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let principal_id = ctx.required_str("id")?;
    let principal_type = ctx.required_enum("accessor_type", &PRINCIPAL_TYPES)?;
    let store = ctx.required_str("identity_store_id")?;
    let ic = &mut world.identity_center;
    if store != ic.instance.identity_store_id {
        return Err(ctx.bad_request(format_args!(
            "identity_store_id {store} is not the identity store of the instance {}",
            ic.instance.instance_id
        )));
    }
    if ic.principal(principal_type, principal_id).is_none() {
        return Err(not_found(format_args!("the {} {principal_id} does not exist", principal_type.to_lowercase())));
    }
    let of_principal = |key: &AssignmentKey| key.principal_id == principal_id && key.principal_type == principal_type;
    ic.assignments.retain(|a| !of_principal(&a.key));
    for request in &mut ic.assignment_requests {
        if request.clock.finished.is_some() || !of_principal(&request.key) {
            continue;
        }
        match request.kind {
            AssignmentRequestKind::Create => request.clock.finish_now(
                FAILED,
                Some("The principal's profile was disassociated before the assignment completed.".into()),
                ctx.now,
            ),
            AssignmentRequestKind::Delete => request.clock.finish_now(SUCCEEDED, None, ctx.now),
        }
    }
    Ok(Executed::empty())
}
