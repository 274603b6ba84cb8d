//! `tether_organization_cancel_member_auth`: cancels one Tencent Cloud member auth binding (one
//! sub-account's login to a member with one policy), as destroying a `tether_member_auth_binding`
//! does, without a resource to destroy.
//!
//! plan   = DescribeOrganizationMemberAuthAccounts: the binding, or that there is none
//! invoke = the same read, then CancelOrganizationMemberAuthAccount (read before any re-send)

use async_trait::async_trait;

use crate::clients::{Clients, DetachEnd, OperationClients, ReportCloud, Service, report_action_detach};
use crate::clouds::tencent::{OrgMemberAuthAccount, TencentOrganizationClient};
use crate::clouds::{CloudError, ErrorKind};
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::{positive_integer, require_positive_integer};
use crate::framework::model::Model;
use crate::framework::{Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_organization_cancel_member_auth";

const API: &str = "Tencent Cloud CancelOrganizationMemberAuthAccount";

pub struct OrganizationCancelMemberAuth;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// UIN of the member account.
    #[tf(required)]
    member_uin: u64,
    /// ID of the member's access policy the sub-account logs in with.
    #[tf(required)]
    policy_id: u64,
    /// UIN of the management account's sub-account whose binding to cancel.
    #[tf(required)]
    org_sub_account_uin: u64,
}

/// The binding the configuration names.
#[derive(Debug, Clone, Copy)]
struct Key {
    member_uin: u64,
    policy_id: u64,
    sub_account_uin: u64,
}

impl Key {
    fn from_config(config: &Value) -> Result<Key, Diagnostic> {
        Ok(Key {
            member_uin: require_positive_integer(config, Config::MEMBER_UIN, "100000000101")?,
            policy_id: require_positive_integer(config, Config::POLICY_ID, "1001")?,
            sub_account_uin: require_positive_integer(config, Config::ORG_SUB_ACCOUNT_UIN, "200000000001")?,
        })
    }

    fn id(&self) -> String {
        format!("{}/{}/{}", self.member_uin, self.policy_id, self.sub_account_uin)
    }

    fn parameters(&self) -> String {
        format!(
            "{{MemberUin: {}, PolicyId: {}, OrgSubAccountUin: {}}}",
            self.member_uin, self.policy_id, self.sub_account_uin
        )
    }

    /// What cancelling the binding `found` takes away, with the names Tencent lists.
    fn effect(&self, found: &OrgMemberAuthAccount) -> String {
        let named = |label: &str, id: u64| if label.is_empty() { id.to_string() } else { format!("{label} ({id})") };
        format!(
            "sub-account {} can no longer log in to member account {} with policy {}.",
            named(&found.org_sub_account_name, self.sub_account_uin),
            self.member_uin,
            named(&found.policy_name, self.policy_id)
        )
    }
}

/// The binding as Tencent lists it now, or `None` when it (or its member or policy) is gone.
async fn find(client: &TencentOrganizationClient, key: Key) -> Result<Option<OrgMemberAuthAccount>, CloudError> {
    match client.find_member_auth_account(key.member_uin, key.policy_id, key.sub_account_uin).await {
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        other => other,
    }
}

#[async_trait]
impl Action<Clients> for OrganizationCancelMemberAuth {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::TencentOrganization
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "Cancels one Tencent Cloud member auth binding: calls **CancelOrganizationMemberAuthAccount**, so the sub-account can no longer log in to the member account with that policy. `terraform plan -invoke` reads the binding and shows what the call will take away, or that it is not bound; a binding already cancelled counts as done. Changes no Terraform state.",
            ),
            action::WRITE_TIMEOUT_DEFAULT,
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in [
            (Config::MEMBER_UIN, "100000000101"),
            (Config::POLICY_ID, "1001"),
            (Config::ORG_SUB_ACCOUNT_UIN, "200000000001"),
        ] {
            if let Err(d) = positive_integer(config, name, example) {
                diags.push(d);
            }
        }
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let key = Key::from_config(config).report(diags)?;
        let client = ctx.tencent().report(diags)?;
        let found = find(&client, key).await.report_as("Could not read the binding to cancel", diags)?;
        match found {
            Some(found) => diags.warning(
                format!("Invoking calls {API} for {}", key.id()),
                format!("{API} {}: {} {MANAGED_ELSEWHERE}", key.parameters(), key.effect(&found)),
            ),
            None => diags.warning(
                format!("Nothing to cancel for {}", key.id()),
                format!(
                    "Sub-account {} is not bound to policy {} of member account {}, so invoking the action calls nothing.",
                    key.sub_account_uin, key.policy_id, key.member_uin
                ),
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
        let key = Key::from_config(config).report(diags)?;
        let client = ctx.tencent().report(diags)?;
        let Some(found) = find(&client, key).await.report_as("Could not read the binding to cancel", diags)? else {
            progress.send(format!(
                "Already detached: sub-account {} is not bound to policy {} of member account {}; nothing to call.",
                key.sub_account_uin, key.policy_id, key.member_uin
            ));
            return Ok(());
        };
        progress.send(format!("Calling {API} {}", key.parameters()));
        let outcome = client
            .cancel_member_auth_account_reconciled(
                key.member_uin,
                key.policy_id,
                key.sub_account_uin,
                Some(found.create_time.as_str()),
                Some(&ctx.settle()),
            )
            .await;
        let what = format!("the member auth binding {}", key.id());
        let ended = report_action_detach(outcome, "Could not cancel the member auth binding", &what, diags)?;
        progress.send(match ended {
            DetachEnd::Detached => format!("Done: {}", key.effect(&found)),
            DetachEnd::AlreadyDetached => format!("Already detached: {what} was gone when the call reached it."),
            DetachEnd::LeftAlone => format!("Left alone: {what} was bound again after the cancel took effect."),
        });
        Ok(())
    }
}
