//! Huawei Cloud RGC (Resource Governance Center): managed accounts in the landing zone's OUs.
//! Enroll, update and un-enroll start asynchronous operations ([`super::jobs`]); the account's
//! state changes when the operation has finished, not before.

use serde_json::{Map, Value, json};

use super::error::{HwError, codes};
use super::jobs::{FAILED, IN_PROGRESS, JobView, SUCCEEDED, states};
use super::model::{Blueprint, HuaweiWorld, JobClock, ManagedAccount, Operation, OperationKind};
use super::request::{Ctx, Executed};
use super::routes::Action;
use crate::timefmt::huawei_datetime;

const MAX_LIMIT: usize = 200;
const DEFAULT_LIMIT: usize = 200;

pub const OWNER_RGC: &str = "RGC";
pub const OWNER_CUSTOM: &str = "CUSTOM";
pub const TYPE_MANAGEMENT: &str = "MANAGEMENT";
pub const TYPE_MEMBER: &str = "MEMBER";

pub fn execute(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world)?;
    match ctx.route.action {
        Action::EnrollAccount => enroll(ctx, world),
        Action::UpdateManagedAccount => update(ctx, world),
        Action::UnEnrollAccount => un_enroll(ctx, world),
        Action::ShowManagedAccount => show_managed_account(ctx, world),
        Action::ListManagedAccountsForParent => list_for_parent(ctx, world),
        Action::ShowOperation => show_operation(ctx, world),
        Action::ListOperation => list_operation(ctx, world),
        other => unreachable!("{} is not an RGC action", other.name()),
    }
}

/// RGC is run from the organization's management account; anyone else is denied.
fn require_management(ctx: &Ctx<'_>, world: &HuaweiWorld) -> Result<(), HwError> {
    if ctx.caller == world.organizations.organization.management_account_id {
        return Ok(());
    }
    Err(HwError::new(
        403,
        codes::RGC_FORBIDDEN,
        format!("Forbidden: the account {} is not the management account of the RGC landing zone", ctx.caller),
    ))
}

fn not_found(what: impl std::fmt::Display) -> HwError {
    HwError::new(404, codes::RGC_NOT_FOUND, format!("Not Found: {what}"))
}

fn not_managed(id: &str) -> HwError {
    not_found(format_args!("the account {id} is not a managed account"))
}

fn busy(op: &Operation) -> HwError {
    HwError::new(
        409,
        codes::RGC_CONFLICT,
        format!("Conflict: the operation {} is still in progress for the account {}", op.operation_id, op.account_id),
    )
}

fn blueprint_from(ctx: &Ctx<'_>) -> Result<Option<Blueprint>, HwError> {
    let object = match ctx.body.get("blueprint") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(_) => return Err(ctx.bad_request("blueprint must be an object")),
    };
    let string = |name: &str| -> Result<Option<String>, HwError> {
        match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ctx.bad_request(format_args!("blueprint.{name} must be a string"))),
        }
    };
    let multi = match object.get("is_blueprint_has_multi_account_resource") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(ctx.bad_request("blueprint.is_blueprint_has_multi_account_resource must be a boolean"));
        }
    };
    Ok(Some(Blueprint {
        blueprint_product_id: string("blueprint_product_id")?,
        blueprint_product_version: string("blueprint_product_version")?,
        variables: string("variables")?,
        is_blueprint_has_multi_account_resource: multi,
    }))
}

/// The OU named by the body's `parent_organizational_unit_id` (400 `RGC.400` if unknown).
fn parent_ou(ctx: &Ctx<'_>, world: &HuaweiWorld) -> Result<String, HwError> {
    let id = ctx.required_str("parent_organizational_unit_id")?;
    let ou =
        world.rgc.ou(id).ok_or_else(|| ctx.bad_request(format_args!("the organizational unit {id} does not exist")))?;
    if let Some(name) = ctx.body_str("parent_organizational_unit_name")? {
        if name != ou.name {
            return Err(ctx.bad_request(format_args!(
                "parent_organizational_unit_name {name:?} is not the name of {id} ({:?})",
                ou.name
            )));
        }
    }
    Ok(ou.id.clone())
}

fn start(world: &mut HuaweiWorld, op: Operation) -> Executed {
    let id = op.operation_id.clone();
    world.rgc.operations.push(op);
    Executed::changed(json!({ "operation_id": id }))
}

fn new_operation(
    ctx: &Ctx<'_>,
    kind: OperationKind,
    account_id: &str,
    target: Option<String>,
    blueprint: Option<Blueprint>,
) -> Operation {
    Operation {
        operation_id: uuid::Uuid::new_v4().to_string(),
        kind,
        account_id: account_id.to_owned(),
        target_organizational_unit_id: target,
        blueprint,
        clock: JobClock::start(ctx.now, ctx.operation_ms, ctx.job_fault.clone()),
    }
}

fn enroll(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let id = ctx.path("managed_account_id");
    let blueprint = blueprint_from(ctx)?;
    let ou = parent_ou(ctx, world)?;
    if world.account(id).is_none() {
        return Err(not_found(format_args!("the account {id} does not exist")));
    }
    if !world.organizations.organization.is_member(id) {
        return Err(ctx.bad_request(format_args!("the account {id} is not a member of the organization")));
    }
    if let Some(op) = world.rgc.running_operation(id) {
        return Err(busy(op));
    }
    if world.rgc.managed(id).is_some() {
        return Err(HwError::new(400, codes::RGC_ALREADY_ENROLLED, format!("The account already enrolled: {id}")));
    }
    world.rgc.managed_accounts.push(ManagedAccount {
        account_id: id.to_owned(),
        account_type: TYPE_MEMBER.into(),
        owner: OWNER_CUSTOM.into(),
        state: states::ENROLLING.into(),
        parent_organizational_unit_id: ou.clone(),
        blueprint: blueprint.clone(),
        created_at: ctx.now,
        updated_at: ctx.now,
    });
    let op = new_operation(ctx, OperationKind::Enroll, id, Some(ou), blueprint);
    Ok(start(world, op))
}

/// The managed account `id`, if no operation is running on it and it is not the landing zone's
/// own (RGC-owned) account.
fn changeable<'w>(
    ctx: &Ctx<'_>,
    world: &'w mut HuaweiWorld,
    id: &str,
    verb: &str,
) -> Result<&'w mut ManagedAccount, HwError> {
    if world.rgc.managed(id).is_none() {
        return Err(not_managed(id));
    }
    if let Some(op) = world.rgc.running_operation(id) {
        return Err(busy(op));
    }
    let account = world.rgc.managed_mut(id).ok_or_else(|| not_managed(id))?;
    if account.owner == OWNER_RGC {
        return Err(ctx.bad_request(format_args!(
            "the account {id} is owned by RGC (the management account) and cannot be {verb}"
        )));
    }
    Ok(account)
}

fn update(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let id = ctx.path("managed_account_id");
    let blueprint = blueprint_from(ctx)?;
    let ou = parent_ou(ctx, world)?;
    let account = changeable(ctx, world, id, "updated")?;
    account.state = states::UPDATING.into();
    account.updated_at = ctx.now;
    let op = new_operation(ctx, OperationKind::Update, id, Some(ou), blueprint);
    Ok(start(world, op))
}

fn un_enroll(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let id = ctx.path("managed_account_id");
    let account = changeable(ctx, world, id, "un-enrolled")?;
    account.state = states::UN_ENROLLING.into();
    account.updated_at = ctx.now;
    let op = new_operation(ctx, OperationKind::UnEnroll, id, None, None);
    Ok(start(world, op))
}

fn managed_account_dto(world: &HuaweiWorld, m: &ManagedAccount) -> Map<String, Value> {
    let ou_name = world.rgc.ou(&m.parent_organizational_unit_id).map(|ou| ou.name.clone());
    let blueprint = m.blueprint.as_ref();
    let blueprint_status = blueprint.map(|_| match world.rgc.running_operation(&m.account_id) {
        Some(op) if op.kind != OperationKind::UnEnroll => "in progress",
        _ => "complete",
    });
    let value = json!({
        "landing_zone_version": world.rgc.landing_zone_version,
        "manage_account_id": world.organizations.organization.management_account_id,
        "account_id": m.account_id,
        "account_name": world.account(&m.account_id).map(|a| a.name.clone()),
        "account_type": m.account_type,
        "owner": m.owner,
        "state": m.state,
        "message": Value::Null,
        "parent_organizational_unit_id": m.parent_organizational_unit_id,
        "parent_organizational_unit_name": ou_name,
        "identity_store_user_name": Value::Null,
        "blueprint_product_id": blueprint.and_then(|b| b.blueprint_product_id.clone()),
        "blueprint_product_version": blueprint.and_then(|b| b.blueprint_product_version.clone()),
        "blueprint_status": blueprint_status,
        "is_blueprint_has_multi_account_resource":
            blueprint.and_then(|b| b.is_blueprint_has_multi_account_resource).unwrap_or(false),
        "regions": [{"region": world.region, "region_status": "available"}],
        "created_at": huawei_datetime(m.created_at),
        "updated_at": huawei_datetime(m.updated_at),
    });
    match value {
        Value::Object(map) => map,
        _ => unreachable!("json! of an object literal"),
    }
}

fn show_managed_account(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let id = ctx.path("managed_account_id");
    let account = world.rgc.managed(id).ok_or_else(|| not_managed(id))?;
    Ok(Executed::read(Value::Object(managed_account_dto(world, account))))
}

fn list_for_parent(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let ou = ctx.path("managed_organizational_unit_id");
    if world.rgc.ou(ou).is_none() {
        return Err(not_found(format_args!("the organizational unit {ou} does not exist")));
    }
    let page = ctx.page(MAX_LIMIT, DEFAULT_LIMIT)?;
    let mut accounts: Vec<&ManagedAccount> =
        world.rgc.managed_accounts.iter().filter(|m| m.parent_organizational_unit_id == ou).collect();
    accounts.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    let (accounts, page_info) = page.apply(accounts, |m| m.account_id.clone());
    let accounts: Vec<Value> = accounts.iter().map(|m| Value::Object(managed_account_dto(world, m))).collect();
    Ok(Executed::read(json!({ "managed_accounts": accounts, "page_info": page_info })))
}

/// The phases an operation reports in `percentage_details` (names are the emulator's own).
fn phases(kind: OperationKind) -> [&'static str; 4] {
    match kind {
        OperationKind::Enroll => {
            ["VALIDATE_ACCOUNT", "ENABLE_IDENTITY_CENTER_ACCESS", "APPLY_BASELINE", "ENABLE_CONTROLS"]
        }
        OperationKind::Update => ["VALIDATE_ACCOUNT", "MOVE_ACCOUNT", "APPLY_BASELINE", "ENABLE_CONTROLS"],
        OperationKind::UnEnroll => {
            ["VALIDATE_ACCOUNT", "DISABLE_CONTROLS", "REMOVE_BASELINE", "REVOKE_IDENTITY_CENTER_ACCESS"]
        }
    }
}

fn operation_dto(op: &Operation, now: i64) -> Value {
    let names = phases(op.kind);
    let count = names.len();
    // How many phases are done, which one is current, and its status.
    let (percentage, status, message, done, current) = match op.clock.view(now) {
        JobView::InProgress(percent) => {
            let done = usize::from(percent) * count / 100;
            (u32::from(percent), IN_PROGRESS, None, done, Some(IN_PROGRESS))
        }
        JobView::Succeeded => (100, SUCCEEDED, None, count, None),
        JobView::Failed(message) => {
            (u32::try_from((count - 1) * 100 / count).unwrap_or(0), FAILED, Some(message), count - 1, Some(FAILED))
        }
    };
    let details: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let phase_status = if i < done {
                SUCCEEDED
            } else if i == done {
                current.unwrap_or("NOT_STARTED")
            } else {
                "NOT_STARTED"
            };
            json!({"percentage_name": name, "percentage_status": phase_status})
        })
        .collect();
    json!({
        "operation_id": op.operation_id,
        "percentage_complete": percentage,
        "status": status,
        "percentage_details": details,
        "message": message,
    })
}

fn show_operation(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let id = ctx.path("operation_id");
    let op = world
        .rgc
        .operations
        .iter()
        .find(|op| op.operation_id == id)
        .ok_or_else(|| not_found(format_args!("the operation {id} does not exist")))?;
    Ok(Executed::read(operation_dto(op, ctx.now)))
}

/// ListOperation: the latest operation on `account_id` (or on an account in
/// `organizational_unit_id`), as a single object like the SDK's model says.
fn list_operation(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let account = ctx.query("account_id").filter(|s| !s.is_empty());
    let ou = ctx.query("organizational_unit_id").filter(|s| !s.is_empty());
    if account.is_none() && ou.is_none() {
        return Err(ctx.bad_request("account_id or organizational_unit_id is required"));
    }
    let op = world
        .rgc
        .operations
        .iter()
        .rev()
        .find(|op| {
            account.is_none_or(|a| op.account_id == a)
                && ou.is_none_or(|ou| op.target_organizational_unit_id.as_deref() == Some(ou))
        })
        .ok_or_else(|| not_found("no operation matches"))?;
    Ok(Executed::read(operation_dto(op, ctx.now)))
}
