//! `tether_organizations_leave`: the account whose credentials the provider uses leaves its
//! Huawei Cloud organization (LeaveOrganization), as destroying a `tether_organization_membership`
//! does. The configuration names the organization, so a reviewer sees which one, and an account
//! that has since moved to another organization is never taken out of that one.
//!
//! plan   = ShowOrganization: the membership that will end, or that there is none
//! invoke = the same read, then LeaveOrganization (read before any re-send)

use async_trait::async_trait;

use crate::clients::{Clients, DetachEnd, OperationClients, ReportCloud, Service, report_action_detach};
use crate::clouds::huawei::Organization;
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::{is_id, require_string};
use crate::framework::model::Model;
use crate::framework::{AttributePath, Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_organizations_leave";

const API: &str = "Huawei Cloud LeaveOrganization";

pub struct OrganizationsLeave;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// ID of the organization to leave. The account leaves only if it belongs to this one; in another one (or none), the action calls nothing.
    #[tf(required)]
    organization_id: String,
}

/// What the account's membership is now, against the organization named.
enum Membership {
    Member(Organization),
    Elsewhere(Organization),
    None,
}

async fn membership(
    client: &crate::clouds::huawei::HuaweiOrganizationsClient,
    expected: &str,
    diags: &mut Diagnostics,
) -> Outcome<Membership> {
    let current = client.show_organization().await.report_as("Could not read the account's organization", diags)?;
    Ok(match current {
        Some(organization) if organization.id == expected => Membership::Member(organization),
        Some(organization) => Membership::Elsewhere(organization),
        None => Membership::None,
    })
}

fn effect(organization: &Organization) -> String {
    format!(
        "the account whose credentials this provider uses leaves organization {} (management account {}) and becomes a standalone account. Terraform cannot undo it: rejoining needs a new invitation from the management account.",
        organization.id, organization.management_account_name
    )
}

#[async_trait]
impl Action<Clients> for OrganizationsLeave {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiOrganizations
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "The account whose credentials this provider configuration uses (a member account, usually through a provider alias) leaves its organization: calls **LeaveOrganization** (`POST /v1/organizations/leave`). `terraform plan -invoke` reads the account's organization and shows what will end, or that the account is not in the named organization; an account already out counts as done. Changes no Terraform state.",
            ),
            action::WRITE_TIMEOUT_DEFAULT,
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.attr(Config::ORGANIZATION_ID).and_then(Value::as_str) {
            if !is_id(id) {
                diags.push(
                    Diagnostic::error(
                        "Invalid organization_id",
                        format!("{id:?} is not an organization ID: expected letters, digits, '-' and '_', such as \"o-tether0001\"."),
                    )
                    .at(AttributePath::root(Config::ORGANIZATION_ID)),
                );
            }
        }
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let expected = require_string(config, Config::ORGANIZATION_ID).report(diags)?;
        let client = ctx.huawei_organizations().report(diags)?;
        match membership(&client, expected, diags).await? {
            Membership::Member(organization) => diags.warning(
                format!("Invoking calls {API} for {expected}"),
                format!(
                    "{API} (POST /v1/organizations/leave, no parameters): {} {MANAGED_ELSEWHERE}",
                    effect(&organization)
                ),
            ),
            Membership::Elsewhere(organization) => diags.warning(
                format!("Nothing to leave in {expected}"),
                format!(
                    "The account belongs to organization {}, not {expected}, so invoking the action calls nothing.",
                    organization.id
                ),
            ),
            Membership::None => diags.warning(
                format!("Nothing to leave in {expected}"),
                "The account belongs to no organization, so invoking the action calls nothing.",
            ),
        }
        Ok(())
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let expected = require_string(config, Config::ORGANIZATION_ID).report(diags)?;
        let client = ctx.huawei_organizations().report(diags)?;
        let organization = match membership(&client, expected, diags).await? {
            Membership::Member(organization) => organization,
            Membership::Elsewhere(other) => {
                progress.send(format!(
                    "Already detached: the account belongs to organization {}, not {expected}; nothing to call.",
                    other.id
                ));
                return Ok(());
            }
            Membership::None => {
                progress.send("Already detached: the account belongs to no organization; nothing to call.");
                return Ok(());
            }
        };
        progress.send(format!("Calling {API} (leaves {expected})"));
        let outcome = client.leave_organization_reconciled(expected, Some(&ctx.settle())).await;
        let what = format!("the membership of organization {expected}");
        let ended = report_action_detach(outcome, "Could not leave the organization", &what, diags)?;
        progress.send(match ended {
            DetachEnd::Detached => format!("Done: {}", effect(&organization)),
            DetachEnd::AlreadyDetached => {
                format!("Already detached: the account had left {expected} when the call reached it.")
            }
            DetachEnd::LeftAlone => format!("Left alone: the account joined {expected} again after it left."),
        });
        Ok(())
    }
}
