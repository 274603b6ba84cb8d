//! `tether_organization_membership`: a Huawei Cloud account's membership in an organization,
//! managed from the member's side with the member account's own credentials.
//!
//! create = accept the invitation (`POST /v1/received-handshakes/{id}/accept`), or adopt the
//!          account's current membership when no invitation is given
//! read   = ShowOrganization (`GET /v1/organizations`)
//! update = records a new `handshake_id` in state, calling nothing (see `modify_plan`)
//! delete = LeaveOrganization (`POST /v1/organizations/leave`, the detach API)
//! list   = ShowOrganization: the one membership of the configured account, if any

use std::time::SystemTime;

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud, Service, report_detach};
use crate::clouds::huawei::{Handshake, HuaweiOrganizationsClient, Organization};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::detach;
use crate::framework::identity::IdentityAttribute;
use crate::framework::model::Model;
use crate::framework::{
    AttributePath, Block, Ctx, DetachCall, Diagnostic, Diagnostics, Found, MoveSource, Moved, Outcome, Plan, Report,
    Reported, Resource, Schema, SourceState, Value,
};

use crate::clients::write_outcome::{UnknownWrite, known_or_null, unconfirmed_create};

pub const TYPE_NAME: &str = "tether_organization_membership";

pub struct OrganizationMembership;

/// The state of a membership: every attribute, declared once.
#[derive(Model)]
struct State {
    /// The organization ID.
    #[tf(computed)]
    id: String,
    /// ID of the invitation (handshake) to accept. Leave it out to adopt the account's current membership. Removing it, or setting it to the accepted invitation through which the account joined its current organization (as after an import), only updates the state and calls nothing; any other change replaces the membership, which leaves the organization first.
    #[tf(optional, force_new)]
    handshake_id: Option<String>,
    /// ID of the organization the account belongs to.
    #[tf(computed, identity)]
    organization_id: String,
    /// URN of the organization.
    #[tf(computed)]
    urn: String,
    /// ID of the organization's management account.
    #[tf(computed)]
    management_account_id: String,
    /// Name of the organization's management account.
    #[tf(computed)]
    management_account_name: String,
}

const HANDSHAKE_ID: &str = State::HANDSHAKE_ID;
const ORGANIZATION_ID: &str = State::ORGANIZATION_ID;

fn state(handshake_id: &Value, organization: &Organization) -> Value {
    State {
        id: organization.id.clone(),
        handshake_id: handshake_id.as_str().map(str::to_string),
        organization_id: organization.id.clone(),
        urn: organization.urn.clone(),
        management_account_id: organization.management_account_id.clone(),
        management_account_name: organization.management_account_name.clone(),
    }
    .to_value()
}

/// `moved` from the official provider's invitation accepter.
const MOVE_SOURCES: &[MoveSource] = &[MoveSource {
    provider: "huaweicloud/huaweicloud",
    type_name: "huaweicloud_organizations_account_invite_accepter",
    schema_version: 0,
    convert: from_official_accepter,
}];

/// The official accepter's state as ours: its `invitation_id` is our `handshake_id`, and its
/// `master_account_*` our `management_account_*`. Its `urn` is the invitation's, not the
/// organization's, so ours is left for the refresh that follows the move. Its destroy leaves the
/// organization only with `leave_organization_on_destroy = true` (unset, it does nothing), so
/// `detach_on_destroy` takes that value: a move never makes a destroy leave that did not before.
fn from_official_accepter(source: &SourceState) -> Result<Moved, String> {
    let handshake_id = source.optional_string("invitation_id")?.or(source.optional_string("id")?);
    let organization = Organization {
        id: source.required_string(ORGANIZATION_ID)?,
        urn: String::new(),
        management_account_id: source.text("master_account_id")?,
        management_account_name: source.text("master_account_name")?,
        created_at: String::new(),
    };
    let handshake_id = handshake_id.map(Value::from).unwrap_or(Value::Null);
    let leaves = source.bool("leave_organization_on_destroy")?.unwrap_or(false);
    Ok(Moved { state: state(&handshake_id, &organization), detach_on_destroy: leaves })
}

/// What an unconfirmed create records: the invitation, with the organization's attributes (only
/// the cloud knows them) left for the next refresh.
fn membership_of(handshake_id: &str) -> String {
    format!("The membership joined through invitation {handshake_id}")
}

/// For the reads that find out what an accept or a leave did after the operation stopped it:
/// they still run for a moment after Ctrl-C, and end at the deadline (see `Ctx::settle`).
fn settle_client(ctx: &Ctx<'_, Clients>) -> Result<HuaweiOrganizationsClient, Diagnostic> {
    Ok(ctx.data.huawei_organizations()?.with_cancellation(ctx.settle()))
}

/// After an accept whose outcome is unknown: the organization the account joined through
/// invitation `handshake_id`, or `None` if it joined none. ShowOrganization says whether the
/// account is in an organization; ShowHandshake, when it answers, confirms that it is the
/// invitation's (a different one, or the invitation still pending or declined, means this accept
/// did not happen).
async fn joined_after_failed_accept(
    client: &HuaweiOrganizationsClient,
    handshake_id: &str,
) -> Result<Option<Organization>, CloudError> {
    let Some(organization) = client.show_organization().await? else {
        return Ok(None);
    };
    match client.show_handshake(handshake_id).await {
        Ok(Some(handshake))
            if !handshake.organization_id.is_empty() && handshake.organization_id != organization.id =>
        {
            tracing::debug!(handshake = %handshake.organization_id, current = %organization.id, "the account is in another organization than the invitation's");
            Ok(None)
        }
        Ok(Some(handshake)) if !handshake.status.is_empty() && !handshake.status.eq_ignore_ascii_case("accepted") => {
            tracing::debug!(status = %handshake.status, "the invitation was not accepted");
            Ok(None)
        }
        Ok(_) => Ok(Some(organization)),
        // The membership read already answered; a failed confirmation does not change it.
        Err(e) => {
            tracing::debug!(error = %e, "could not read the handshake to confirm the membership");
            Ok(Some(organization))
        }
    }
}

/// What a plan's change of `handshake_id` needs, before any cloud read.
#[derive(Debug, PartialEq, Eq)]
enum HandshakeChange<'a> {
    /// Nothing to refine: a create, no change of `handshake_id`, or a new value not known yet.
    None,
    /// `handshake_id` removed: the membership stays; only the state forgets the invitation.
    Removed,
    /// `handshake_id` set to this invitation: the membership stays only if the account joined
    /// its current organization through it.
    Set(&'a str),
}

fn handshake_change(plan: &Plan) -> HandshakeChange<'_> {
    let path = AttributePath::root(HANDSHAKE_ID);
    if plan.is_create() || !plan.requires_replace.contains(&path) {
        return HandshakeChange::None;
    }
    match plan.planned.attr(HANDSHAKE_ID) {
        None => HandshakeChange::Removed,
        Some(v) if v.is_null() => HandshakeChange::Removed,
        Some(v) => v.as_str().map_or(HandshakeChange::None, HandshakeChange::Set),
    }
}

/// Whether invitation `id` keeps the membership of `organization_id`, from ShowHandshake's answer
/// (`Ok(None)`: not found; `Err`: why it could not be read).
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Accepted, for the account's current organization: nothing in the cloud changes.
    Keep,
    /// Pending, for another organization, or not found: joining through it needs a new
    /// membership, so the replacement (LeaveOrganization, then accept) stands.
    Replace,
    /// Unread: the replacement stands, with a warning saying why.
    Unverified(String),
}

fn judge(organization_id: &str, read: Result<Option<&Handshake>, &str>) -> Verdict {
    match read {
        Ok(Some(h))
            if h.status.eq_ignore_ascii_case("accepted")
                && !organization_id.is_empty()
                && h.organization_id == organization_id =>
        {
            Verdict::Keep
        }
        Ok(_) => Verdict::Replace,
        Err(why) => Verdict::Unverified(why.to_string()),
    }
}

/// Drops the `handshake_id` replacement, and when nothing else forces one, plans the membership
/// as it is (the framework planned the cloud's attributes unknown for the replacement).
fn keep_membership(plan: &mut Plan) {
    let path = AttributePath::root(HANDSHAKE_ID);
    plan.requires_replace.retain(|p| *p != path);
    if plan.requires_replace.is_empty() {
        // The attributes the cloud sets: the replacement planned them unknown, a kept membership
        // keeps them.
        for attribute in State::attributes().into_iter().filter(|a| a.computed) {
            let prior = plan.prior.attr(&attribute.name).cloned().unwrap_or(Value::Null);
            if let Some(slot) = plan.planned.attr_mut(&attribute.name) {
                *slot = prior;
            }
        }
    }
}

/// A handshake ID is an opaque token of letters, digits, `-` and `_`.
fn check_handshake_id(id: &str) -> Result<(), Diagnostic> {
    let valid =
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Diagnostic::error(
            "Invalid handshake_id",
            format!("{id:?} is not an invitation (handshake) ID; expected the ID from the invitation, such as \"h-7c1e0a9b2d4f4e6a\" (letters, digits, '-' and '_')."),
        )
        .at(AttributePath::root(HANDSHAKE_ID)))
    }
}

#[async_trait]
impl Resource<Clients> for OrganizationMembership {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiOrganizations
    }

    fn move_sources(&self) -> &'static [MoveSource] {
        MOVE_SOURCES
    }

    fn identity(&self) -> &'static [IdentityAttribute] {
        State::IDENTITY
    }

    fn schema(&self) -> Schema {
        State::schema(
            "The membership of a Huawei Cloud account in an organization, managed from the **member** side: configure the provider's `huaweicloud` block with the member account's credentials (usually through a provider alias). Creating it accepts the invitation `handshake_id`, or adopts the account's current membership when no invitation is given. Destroying it calls **LeaveOrganization** (`POST /v1/organizations/leave`): the account leaves the organization, which Terraform cannot undo — rejoining needs a new invitation from the management account.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.attr(HANDSHAKE_ID).and_then(Value::as_str) {
            if let Err(d) = check_handshake_id(id) {
                diags.push(d);
            }
        }
    }

    /// A change of `handshake_id` replaces the membership (LeaveOrganization, then accept) only
    /// when it means joining through another invitation: removing it, or naming the accepted
    /// invitation of the current organization (as after an import), changes only the state.
    async fn modify_plan(&self, ctx: &Ctx<'_, Clients>, plan: &mut Plan, diags: &mut Diagnostics) -> Outcome<()> {
        // Without an invitation the create joins nothing: it records the membership the account
        // already has, as an import would, and the reviewer must see that destroying it later
        // leaves an organization Terraform never joined.
        if plan.is_create() && plan.config.attr(HANDSHAKE_ID).is_some_and(Value::is_null) {
            let guarded = plan.planned.attr(detach::ATTRIBUTE).and_then(Value::as_bool) != Some(false);
            diags.warning(
                "Adopting this account's current organization membership",
                format!(
                    "No handshake_id is set, so this create calls nothing: it records the organization the account is in now, as `terraform import` would. {}",
                    if guarded {
                        "Destroying this resource later calls LeaveOrganization, which Terraform cannot undo, although Terraform did not join this organization. Set detach_on_destroy = false to keep destroy from ever taking the account out of it."
                    } else {
                        "detach_on_destroy is false, so destroying it later only forgets it."
                    }
                ),
            );
        }
        let id = match handshake_change(plan) {
            HandshakeChange::None => return Ok(()),
            HandshakeChange::Removed => {
                keep_membership(plan);
                return Ok(());
            }
            HandshakeChange::Set(id) => id.to_string(),
        };
        let organization_id = plan.prior.attr(ORGANIZATION_ID).and_then(Value::as_str).unwrap_or_default().to_string();
        let read = match ctx.huawei_organizations() {
            Ok(client) => client.show_handshake(&id).await.map_err(|e| e.to_string()),
            Err(d) => Err(format!("{}: {}", d.summary, d.detail)),
        };
        match judge(&organization_id, read.as_ref().map(Option::as_ref).map_err(String::as_str)) {
            Verdict::Keep => keep_membership(plan),
            Verdict::Replace => {}
            Verdict::Unverified(why) => diags.push(
                Diagnostic::warning(
                    format!("Could not check invitation {id}"),
                    format!("{why}. The provider cannot tell whether the account joined organization {organization_id} through this invitation, so the plan replaces the membership: the account leaves the organization, then accepts {id}. If it joined through {id}, do not apply; plan again once the invitation can be read, and the membership is kept."),
                )
                .at(AttributePath::root(HANDSHAKE_ID)),
            ),
        }
        Ok(())
    }

    async fn create(&self, ctx: &Ctx<'_, Clients>, planned: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_organizations().report(diags)?;
        let reader = settle_client(ctx).report(diags)?;
        let handshake_id = planned.attr(HANDSHAKE_ID).cloned().unwrap_or(Value::Null);
        let Some(id) = handshake_id.as_str() else {
            // Nothing to accept: the membership the account has now is adopted, a plain read.
            let current =
                client.show_organization().await.report_as("Could not read the account's organization", diags)?;
            let Some(organization) = current else {
                diags.error(
                    "The account is in no organization",
                    "No handshake_id was given, so this resource adopts the account's current membership, but the account belongs to no organization. Set handshake_id to the ID of a pending invitation to join one.",
                );
                return Err(Reported);
            };
            return Ok(state(&handshake_id, &organization));
        };
        let sent = SystemTime::now();
        let accepted = match client.accept_handshake(id).await {
            Ok(handshake) => handshake,
            // Refused, or never sent (a refused connection, a stop before sending): nothing
            // happened, and the error says why.
            Err(e) if !e.is_ambiguous() => return Err(e).report_as("Could not accept the invitation", diags),
            // The accept may have gone through before the connection broke, the server failed,
            // or the operation stopped it in flight: the account's membership tells.
            Err(e) => {
                tracing::debug!(error = %e, "accept failed ambiguously; reading the membership");
                return match joined_after_failed_accept(&reader, id).await {
                    Ok(Some(organization)) => Ok(state(&handshake_id, &organization)),
                    // An answer that was lost or failed came after the server handled the call:
                    // not joined now means the accept did not happen, and its error says why.
                    Ok(None) if e.kind != ErrorKind::Cancelled => {
                        Err(e).report_as("Could not accept the invitation", diags)
                    }
                    // Abandoned in flight, it may still be on its way to the cloud.
                    Ok(None) => {
                        unconfirmed_create(
                            ctx,
                            sent,
                            &UnknownWrite::of(&e),
                            "the account is in no organization yet",
                            &membership_of(id),
                            diags,
                        );
                        Ok(known_or_null(planned))
                    }
                    Err(read) => {
                        let found = match read.kind {
                            ErrorKind::Cancelled => {
                                "reading the membership afterwards did not finish in time".to_string()
                            }
                            _ => format!("reading the membership failed too ({read})"),
                        };
                        unconfirmed_create(ctx, sent, &UnknownWrite::of(&e), &found, &membership_of(id), diags);
                        Ok(known_or_null(planned))
                    }
                };
            }
        };
        // Joined: record the organization. Read with the settle token, so a stop that comes now
        // does not lose a membership the cloud has; the invitation names the organization if even
        // that read fails, and the next refresh fills in the rest.
        match reader.show_organization().await {
            Ok(Some(organization)) => Ok(state(&handshake_id, &organization)),
            Ok(None) => {
                diags.error(
                    "Not in an organization after accepting",
                    format!("The invitation {id} was accepted, but ShowOrganization says the account belongs to no organization."),
                );
                Err(Reported)
            }
            Err(e) => {
                diags.warning(
                    "Joined, but could not read the organization",
                    format!("The invitation {id} was accepted, but reading the organization failed: {e}. The state records organization {} from the invitation; the next refresh reads the rest.", accepted.organization_id),
                );
                let organization = Organization {
                    id: accepted.organization_id.clone(),
                    management_account_id: accepted.management_account_id.clone(),
                    management_account_name: accepted.management_account_name.clone(),
                    ..Default::default()
                };
                Ok(state(&handshake_id, &organization))
            }
        }
    }

    /// A state whose accept's outcome is unknown joined through `handshake_id` or not at all:
    /// an organization the account is in counts only if the invitation is accepted and is that
    /// organization's. Anything else (no organization, another one, the invitation pending or
    /// declined) was not made by that create, so the state is dropped and the next apply
    /// accepts the invitation.
    async fn confirm(
        &self,
        ctx: &Ctx<'_, Clients>,
        current: &Value,
        _since: SystemTime,
        diags: &mut Diagnostics,
    ) -> Outcome<Option<Value>> {
        let Some(id) = current.attr(HANDSHAKE_ID).and_then(Value::as_str) else {
            return self.read(ctx, current, diags).await;
        };
        let client = ctx.huawei_organizations().report(diags)?;
        let joined = joined_after_failed_accept(&client, id)
            .await
            .report_as("Could not check the membership whose create was not confirmed", diags)?;
        Ok(joined.map(|organization| state(&Value::from(id), &organization)))
    }

    /// A membership's create either joins (the account is not in the organization yet) or adopts
    /// the one it has (it is): being in an organization does not tell a tainted object apart.
    async fn already_exists(&self, _ctx: &Ctx<'_, Clients>, _planned: &Value) -> Option<bool> {
        None
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, current: &Value, diags: &mut Diagnostics) -> Outcome<Option<Value>> {
        let client = ctx.huawei_organizations().report(diags)?;
        let expected = current.attr(ORGANIZATION_ID).and_then(Value::as_str).unwrap_or_default();
        let handshake_id = current.attr(HANDSHAKE_ID).cloned().unwrap_or(Value::Null);
        match client.show_organization().await.report_as("Could not read the account's organization", diags)? {
            // Membership of *this* organization is what the resource is; a different one is not it.
            Some(organization) if expected.is_empty() || organization.id == expected => {
                Ok(Some(state(&handshake_id, &organization)))
            }
            _ => Ok(None),
        }
    }

    /// Only a `handshake_id` change reaches here, and only when `modify_plan` found the
    /// membership unchanged: the state records the new value, with nothing to call.
    async fn update(
        &self,
        _ctx: &Ctx<'_, Clients>,
        prior: &Value,
        planned: &Value,
        _diags: &mut Diagnostics,
    ) -> Outcome<Value> {
        let mut state = prior.clone();
        if let Some(slot) = state.attr_mut(HANDSHAKE_ID) {
            *slot = planned.attr(HANDSHAKE_ID).cloned().unwrap_or(Value::Null);
        }
        Ok(state)
    }

    async fn delete(&self, ctx: &Ctx<'_, Clients>, prior: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let client = ctx.huawei_organizations().report(diags)?;
        let expected = prior.attr(ORGANIZATION_ID).and_then(Value::as_str).unwrap_or_default();
        // Leave only the organization this resource stands for: if the account has since moved
        // to another one, leaving would detach it from an organization Terraform never managed.
        let current = client
            .show_organization()
            .await
            .report_as("Could not read the account's organization before leaving", diags)?;
        match current {
            None => return Ok(()),
            Some(current) if !expected.is_empty() && current.id != expected => {
                tracing::debug!(expected, current = %current.id, "account already left; it is now in another organization");
                return Ok(());
            }
            Some(_) => {}
        }
        // Not repeated blindly: after a lost answer ShowOrganization is read first, and only an
        // account still in this organization leaves again. That read uses the settle token: a
        // leave the operation stopped in flight is still checked, for a moment after Ctrl-C.
        let outcome = client.leave_organization_reconciled(expected, Some(&ctx.settle())).await;
        report_detach(
            outcome,
            "Could not leave the organization",
            &format!("the membership of organization {expected}"),
            diags,
        )
    }

    fn detach_call(&self, state: &Value) -> Result<DetachCall, String> {
        let organization = state.attr(ORGANIZATION_ID).and_then(Value::as_str).unwrap_or_default();
        Ok(DetachCall {
            api: "Huawei Cloud LeaveOrganization".into(),
            parameters: format!("(POST /v1/organizations/leave, no parameters; leaves {organization})"),
        })
    }

    async fn destroy_effect(&self, _ctx: &Ctx<'_, Clients>, prior: &Value) -> String {
        let text = |name: &str| prior.attr(name).and_then(Value::as_str).unwrap_or_default().to_string();
        format!(
            "the account whose credentials this provider uses leaves organization {} (management account {}) and becomes a standalone account. The call is made with the member account's own credentials, and Terraform cannot undo it: rejoining needs a new invitation from the management account.",
            text(ORGANIZATION_ID),
            text(State::MANAGEMENT_ACCOUNT_NAME),
        )
    }

    fn list_schema(&self) -> Option<Schema> {
        Some(Schema::new(
            0,
            Block::new(
                "Finds the organization membership of the account the provider's `huaweicloud` block signs in as: one result, or none when the account is in no organization. It takes no arguments.",
            ),
        ))
    }

    async fn list(
        &self,
        ctx: &Ctx<'_, Clients>,
        _config: &Value,
        found: &mut Found,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let client = ctx.huawei_organizations().report(diags)?;
        let current = client.show_organization().await.report_as("Could not read the account's organization", diags)?;
        if let Some(organization) = current {
            let label = format!("member of {} (managed by {})", organization.id, organization.management_account_name);
            found.push(label, state(&Value::Null, &organization)).await;
        }
        Ok(())
    }

    async fn import(&self, ctx: &Ctx<'_, Clients>, id: &str, diags: &mut Diagnostics) -> Outcome<Value> {
        let id = id.trim();
        let valid = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            diags.error(
                "Invalid import ID",
                format!("{id:?} is not an organization ID. Expected `<organization_id>`, the ID of the organization this account belongs to (for example `o-tether0001`)."),
            );
            return Err(Reported);
        }
        let client = ctx.huawei_organizations().report(diags)?;
        match client.show_organization().await.report_as("Could not read the account's organization", diags)? {
            Some(organization) if organization.id == id => Ok(state(&Value::Null, &organization)),
            Some(organization) => {
                diags.error(
                    "Not a member of that organization",
                    format!(
                        "The account configured for this provider belongs to organization {}, not {id}.",
                        organization.id
                    ),
                );
                Err(Reported)
            }
            None => {
                diags.error("Not a member of that organization", format!("The account configured for this provider belongs to no organization, so it cannot import membership of {id}."));
                Err(Reported)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::plan::plan_change;

    const ORG: &str = "o-tether0001";

    fn membership(handshake_id: Value) -> Value {
        state(
            &handshake_id,
            &Organization {
                id: ORG.into(),
                urn: format!("organizations::m:organization:{ORG}"),
                management_account_id: "m".into(),
                management_account_name: "tether-management".into(),
                ..Default::default()
            },
        )
    }

    /// The plan the framework makes for a config naming `handshake_id`, from `prior`.
    fn plan(prior: &Value, handshake_id: Value) -> Plan {
        // Only `handshake_id` is configured; every other attribute is computed.
        let configured = |name: &str| if name == HANDSHAKE_ID { handshake_id.clone() } else { Value::Null };
        let config = Value::Object(State::attributes().iter().map(|a| (a.name.clone(), configured(&a.name))).collect());
        let mut proposed = prior.clone();
        if prior.is_null() {
            proposed = config.clone();
        } else if let Some(slot) = proposed.attr_mut(HANDSHAKE_ID) {
            *slot = handshake_id;
        }
        plan_change(&OrganizationMembership.schema(), prior, &proposed, &config)
    }

    #[test]
    fn which_handshake_changes_are_checked() {
        let (h, other) = (Value::from("h-1"), Value::from("h-2"));
        assert_eq!(handshake_change(&plan(&Value::Null, h.clone())), HandshakeChange::None, "a create");
        assert_eq!(handshake_change(&plan(&membership(h.clone()), h.clone())), HandshakeChange::None, "no change");
        assert_eq!(handshake_change(&plan(&membership(h.clone()), Value::Null)), HandshakeChange::Removed);
        assert_eq!(handshake_change(&plan(&membership(Value::Null), h.clone())), HandshakeChange::Set("h-1"));
        assert_eq!(handshake_change(&plan(&membership(other), h.clone())), HandshakeChange::Set("h-1"));
        // A value from a resource not created yet: the replacement stands, as before.
        assert_eq!(handshake_change(&plan(&membership(Value::Null), Value::unknown())), HandshakeChange::None);
        assert_eq!(handshake_change(&plan(&membership(h), Value::unknown())), HandshakeChange::None);
    }

    #[test]
    fn only_an_accepted_invitation_of_the_current_organization_keeps_the_membership() {
        let handshake = |status: &str, organization_id: &str| Handshake {
            id: "h-1".into(),
            status: status.into(),
            organization_id: organization_id.into(),
            ..Default::default()
        };
        assert_eq!(judge(ORG, Ok(Some(&handshake("accepted", ORG)))), Verdict::Keep);
        assert_eq!(judge(ORG, Ok(Some(&handshake("pending", ORG)))), Verdict::Replace);
        assert_eq!(judge(ORG, Ok(Some(&handshake("accepted", "o-elsewhere")))), Verdict::Replace);
        assert_eq!(judge(ORG, Ok(Some(&handshake("accepted", "")))), Verdict::Replace);
        assert_eq!(judge("", Ok(Some(&handshake("accepted", "")))), Verdict::Replace);
        assert_eq!(judge(ORG, Ok(None)), Verdict::Replace, "not found");
        assert_eq!(judge(ORG, Err("ShowHandshake failed")), Verdict::Unverified("ShowHandshake failed".into()));
    }

    #[test]
    fn a_kept_membership_plans_no_replacement_and_known_values() {
        let prior = membership(Value::Null);
        let mut plan = plan(&prior, Value::from("h-1"));
        assert!(plan.is_replace());
        assert!(!plan.planned.attr("urn").unwrap().is_known(), "the framework's replacement plan");
        keep_membership(&mut plan);
        assert!(!plan.is_replace());
        assert_eq!(plan.planned, membership(Value::from("h-1")));
        plan.planned.conforms_to(&OrganizationMembership.schema().implied_type()).unwrap();
    }
}
