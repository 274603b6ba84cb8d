//! Huawei Cloud Organizations (global service): the organization, its accounts and invitations
//! (handshakes). The caller's account comes from the credential.

use serde_json::{Value, json};

use super::error::{HwError, codes};
use super::model::{Handshake, HuaweiWorld, Membership};
use super::request::{Ctx, Executed};
use super::routes::Action;
use crate::timefmt::huawei_datetime;

/// Invitations stay pending this long, then expire.
pub const HANDSHAKE_TTL_MS: i64 = 14 * 24 * 3600 * 1000;
const MAX_LIMIT: usize = 2000;
const DEFAULT_LIMIT: usize = 200;

pub fn execute(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    match ctx.route.action {
        Action::ShowOrganization => show_organization(ctx, world),
        Action::LeaveOrganization => leave(ctx, world),
        Action::InviteAccount => invite(ctx, world),
        Action::ListAccounts => list_accounts(ctx, world),
        Action::ShowAccount => show_account(ctx, world),
        Action::RemoveAccount => remove_account(ctx, world),
        Action::ShowHandshake => show_handshake(ctx, world),
        Action::CancelHandshake => cancel_handshake(ctx, world),
        Action::ListReceivedHandshakes => list_received(ctx, world),
        Action::AcceptHandshake => respond_to_handshake(ctx, world, true),
        Action::DeclineHandshake => respond_to_handshake(ctx, world, false),
        other => unreachable!("{} is not an Organizations action", other.name()),
    }
}

fn not_in_organization() -> HwError {
    HwError::new(401, codes::ORG_NOT_IN_ORGANIZATION, "The organization is not found")
}

fn not_found(what: impl std::fmt::Display) -> HwError {
    HwError::new(404, codes::ORG_NOT_FOUND, format!("Not Found: {what}"))
}

/// The caller must belong to the organization (401 `Organizations.1015` otherwise).
fn require_member(ctx: &Ctx<'_>, world: &HuaweiWorld) -> Result<(), HwError> {
    if world.organizations.organization.is_member(ctx.caller) { Ok(()) } else { Err(not_in_organization()) }
}

/// The caller must be the management account: 401 `code` for a member, 401 `Organizations.1015`
/// for an account outside the organization.
fn require_management(ctx: &Ctx<'_>, world: &HuaweiWorld, code: &str) -> Result<(), HwError> {
    require_member(ctx, world)?;
    if ctx.caller == world.organizations.organization.management_account_id {
        return Ok(());
    }
    let message = if code == codes::ORG_MANAGEMENT_ONLY {
        "This operation can be performed only by the management account of the organization"
    } else {
        "This operation can be performed only by the management account or a delegated administrator"
    };
    Err(HwError::new(401, code, message))
}

fn account_name(world: &HuaweiWorld, id: &str) -> String {
    world.account(id).map(|a| a.name.clone()).unwrap_or_default()
}

fn organization_dto(world: &HuaweiWorld) -> Value {
    let org = &world.organizations.organization;
    json!({
        "id": org.id,
        "urn": org.urn,
        "management_account_id": org.management_account_id,
        "management_account_name": account_name(world, &org.management_account_id),
        "created_at": huawei_datetime(org.created_at),
    })
}

fn handshake_dto(world: &HuaweiWorld, h: &Handshake) -> Value {
    json!({
        "id": h.id,
        "urn": h.urn,
        "updated_at": huawei_datetime(h.updated_at),
        "created_at": huawei_datetime(h.created_at),
        "expired_at": huawei_datetime(h.expired_at),
        "management_account_id": h.management_account_id,
        "management_account_name": account_name(world, &h.management_account_id),
        "organization_id": h.organization_id,
        "notes": h.notes,
        "target": {"type": h.target_type, "entity": h.target_entity},
        "status": h.status,
    })
}

fn account_dto(world: &HuaweiWorld, m: &Membership, with_contact: bool) -> Value {
    let org = &world.organizations.organization;
    let mut dto = json!({
        "id": m.account_id,
        "urn": format!("organizations::{}:account:{}/{}", org.management_account_id, org.id, m.account_id),
        "join_method": m.join_method,
        "status": m.status,
        "joined_at": huawei_datetime(m.joined_at),
        "name": account_name(world, &m.account_id),
    });
    if with_contact {
        if let Some(account) = world.account(&m.account_id) {
            dto["email"] = json!(account.email);
        }
    }
    dto
}

fn show_organization(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_member(ctx, world)?;
    Ok(Executed::read(json!({ "organization": organization_dto(world) })))
}

fn leave(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_member(ctx, world)?;
    let org = &mut world.organizations.organization;
    if ctx.caller == org.management_account_id {
        return Err(HwError::new(
            403,
            codes::ORG_NOT_ALLOWED,
            "Policy doesn't allow 'organizations:organizations:leave' to be performed: the management \
             account cannot leave its organization (delete the organization instead)",
        ));
    }
    org.members.retain(|m| m.account_id != ctx.caller);
    Ok(Executed::empty())
}

fn invite(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world, codes::ORG_MANAGEMENT_ONLY)?;
    let target = match ctx.body.get("target") {
        Some(Value::Object(target)) => target,
        Some(_) => return Err(ctx.bad_request("target must be an object")),
        None => return Err(ctx.bad_request("target is required")),
    };
    let target_type = match target.get("type").and_then(Value::as_str) {
        Some(t @ ("account" | "name")) => t.to_owned(),
        _ => return Err(ctx.bad_request("target.type must be account or name")),
    };
    let entity = match target.get("entity").and_then(Value::as_str) {
        Some(e) if !e.is_empty() => e.to_owned(),
        _ => return Err(ctx.bad_request("target.entity is required")),
    };
    let notes = ctx.body_str("notes")?.unwrap_or_default().to_owned();
    if notes.chars().count() > 1024 {
        return Err(ctx.bad_request("notes must be at most 1024 characters"));
    }
    let account = world
        .accounts
        .iter()
        .find(|a| if target_type == "account" { a.id == entity } else { a.name == entity })
        .ok_or_else(|| not_found(format_args!("the account {entity} does not exist")))?;
    let account_id = account.id.clone();
    let orgs = &mut world.organizations;
    if orgs.organization.is_member(&account_id) {
        return Err(ctx.bad_request(format_args!("the account {entity} is already a member of the organization")));
    }
    if orgs.handshakes.iter().any(|h| h.target_account_id == account_id && h.status == "pending") {
        return Err(ctx.bad_request(format_args!("the account {entity} already has a pending invitation")));
    }
    let id = format!("h-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    let org = &orgs.organization;
    let handshake = Handshake {
        urn: format!("organizations::{}:handshake:{}/{id}", org.management_account_id, org.id),
        id,
        organization_id: org.id.clone(),
        management_account_id: org.management_account_id.clone(),
        target_type,
        target_entity: entity,
        target_account_id: account_id,
        notes,
        status: "pending".into(),
        created_at: ctx.now,
        updated_at: ctx.now,
        expired_at: ctx.now + HANDSHAKE_TTL_MS,
    };
    orgs.handshakes.push(handshake.clone());
    Ok(Executed::changed(json!({ "handshake": handshake_dto(world, &handshake) })))
}

fn list_accounts(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world, codes::ORG_MANAGEMENT_OR_DELEGATE_ONLY)?;
    let with_contact = ctx.query_flag("with_register_contact_info")?;
    let page = ctx.page(MAX_LIMIT, DEFAULT_LIMIT)?;
    // The organization has a single root, so every parent_id filter that names it lists all.
    let mut members = world.organizations.organization.members.clone();
    members.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    let (members, page_info) = page.apply(members, |m| m.account_id.clone());
    let accounts: Vec<Value> = members.iter().map(|m| account_dto(world, m, with_contact)).collect();
    Ok(Executed::read(json!({ "accounts": accounts, "page_info": page_info })))
}

fn show_account(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world, codes::ORG_MANAGEMENT_OR_DELEGATE_ONLY)?;
    let with_contact = ctx.query_flag("with_register_contact_info")?;
    let id = ctx.path("account_id");
    let membership = world
        .organizations
        .organization
        .membership(id)
        .ok_or_else(|| not_found(format_args!("the account {id} is not in the organization")))?;
    Ok(Executed::read(json!({ "account": account_dto(world, membership, with_contact) })))
}

fn remove_account(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world, codes::ORG_MANAGEMENT_ONLY)?;
    let id = ctx.path("account_id");
    let org = &mut world.organizations.organization;
    if !org.is_member(id) {
        return Err(not_found(format_args!("the account {id} is not in the organization")));
    }
    if id == org.management_account_id {
        return Err(ctx.bad_request("the management account cannot be removed from its organization"));
    }
    org.members.retain(|m| m.account_id != id);
    Ok(Executed::empty())
}

/// The handshake with `id` if the caller may see it: the organization's accounts see its
/// invitations, the invited account sees its own. Anything else is 404.
fn visible_handshake(ctx: &Ctx<'_>, world: &HuaweiWorld, id: &str) -> Result<usize, HwError> {
    let in_org = world.organizations.organization.is_member(ctx.caller);
    world
        .organizations
        .handshakes
        .iter()
        .position(|h| h.id == id && (in_org || h.target_account_id == ctx.caller))
        .ok_or_else(|| not_found(format_args!("the handshake {id} does not exist")))
}

fn show_handshake(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let index = visible_handshake(ctx, world, ctx.path("handshake_id"))?;
    let handshake = &world.organizations.handshakes[index];
    Ok(Executed::read(json!({ "handshake": handshake_dto(world, handshake) })))
}

fn cancel_handshake(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    require_management(ctx, world, codes::ORG_MANAGEMENT_ONLY)?;
    let index = visible_handshake(ctx, world, ctx.path("handshake_id"))?;
    let handshake = &mut world.organizations.handshakes[index];
    if handshake.status != "pending" {
        return Err(ctx.bad_request(format_args!(
            "the handshake {} is {}, only a pending handshake can be cancelled",
            handshake.id, handshake.status
        )));
    }
    handshake.status = "cancelled".into();
    handshake.updated_at = ctx.now;
    let handshake = handshake.clone();
    Ok(Executed::changed(json!({ "handshake": handshake_dto(world, &handshake) })))
}

fn list_received(ctx: &Ctx<'_>, world: &mut HuaweiWorld) -> Result<Executed, HwError> {
    let page = ctx.page(MAX_LIMIT, DEFAULT_LIMIT)?;
    let mut received: Vec<&Handshake> =
        world.organizations.handshakes.iter().filter(|h| h.target_account_id == ctx.caller).collect();
    received.sort_by(|a, b| a.id.cmp(&b.id));
    let (received, page_info) = page.apply(received, |h| h.id.clone());
    let handshakes: Vec<Value> = received.iter().map(|h| handshake_dto(world, h)).collect();
    Ok(Executed::read(json!({ "handshakes": handshakes, "page_info": page_info })))
}

/// AcceptHandshake (`accept`) or DeclineHandshake: only the invited account, only while pending.
fn respond_to_handshake(ctx: &Ctx<'_>, world: &mut HuaweiWorld, accept: bool) -> Result<Executed, HwError> {
    let id = ctx.path("handshake_id");
    let index = world
        .organizations
        .handshakes
        .iter()
        .position(|h| h.id == id && h.target_account_id == ctx.caller)
        .ok_or_else(|| not_found(format_args!("the handshake {id} does not exist")))?;
    let status = world.organizations.handshakes[index].status.clone();
    if status != "pending" {
        return Err(ctx.bad_request(format_args!(
            "the handshake {id} is {status}, only a pending handshake can be {}",
            if accept { "accepted" } else { "declined" }
        )));
    }
    if accept {
        if world.organizations.organization.is_member(ctx.caller) {
            return Err(ctx.bad_request(format_args!("the account {} already belongs to an organization", ctx.caller)));
        }
        world.organizations.organization.members.push(Membership {
            account_id: ctx.caller.to_owned(),
            join_method: "invited".into(),
            status: "active".into(),
            joined_at: ctx.now,
        });
    }
    let handshake = &mut world.organizations.handshakes[index];
    handshake.status = if accept { "accepted" } else { "declined" }.into();
    handshake.updated_at = ctx.now;
    let handshake = handshake.clone();
    Ok(Executed::changed(json!({ "handshake": handshake_dto(world, &handshake) })))
}
