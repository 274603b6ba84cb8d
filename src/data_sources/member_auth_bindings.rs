//! `tether_member_auth_bindings`: the sub-accounts bound to one access policy of a Tencent Cloud
//! organization member, from DescribeOrganizationMemberAuthAccounts — what
//! `tether_member_auth_binding` manages one at a time.

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::clouds::tencent::OrgMemberAuthAccount;
use crate::framework::args::{positive_integer, require_positive_integer};
use crate::framework::model::Model;
use crate::framework::{Ctx, DataSource, Diagnostics, Outcome, Report, Schema, Value};

pub struct MemberAuthBindings;

#[derive(Model)]
struct State {
    /// UIN of the member account.
    #[tf(required)]
    member_uin: u64,
    /// ID of the member's access policy, as listed by `tether_member_policies`.
    #[tf(required)]
    policy_id: u64,
    /// The sub-accounts bound to the policy, in the order Tencent Cloud lists them.
    #[tf(computed)]
    bindings: Vec<Binding>,
}

#[derive(Model)]
struct Binding {
    /// UIN of the management account's sub-account.
    #[tf(computed)]
    org_sub_account_uin: u64,
    /// Name of the sub-account.
    #[tf(computed)]
    org_sub_account_name: String,
    /// Name of the policy.
    #[tf(computed)]
    policy_name: String,
    /// ID of the identity the policy grants.
    #[tf(computed)]
    identity_id: u64,
    /// Role name of the identity.
    #[tf(computed)]
    identity_role_name: String,
    /// Role alias of the identity.
    #[tf(computed)]
    identity_role_alias_name: String,
    /// When the binding was created, as Tencent Cloud reports it.
    #[tf(computed)]
    create_time: String,
    /// When the binding was last updated, as Tencent Cloud reports it.
    #[tf(computed)]
    update_time: String,
}

impl From<OrgMemberAuthAccount> for Binding {
    fn from(b: OrgMemberAuthAccount) -> Self {
        Binding {
            org_sub_account_uin: b.org_sub_account_uin,
            org_sub_account_name: b.org_sub_account_name,
            policy_name: b.policy_name,
            identity_id: b.identity_id,
            identity_role_name: b.identity_role_name,
            identity_role_alias_name: b.identity_role_alias_name,
            create_time: b.create_time,
            update_time: b.update_time,
        }
    }
}

const ARGUMENTS: [(&str, &str); 2] = [(State::MEMBER_UIN, "100000000101"), (State::POLICY_ID, "1001")];

#[async_trait]
impl DataSource<Clients> for MemberAuthBindings {
    fn type_name(&self) -> &'static str {
        "tether_member_auth_bindings"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Lists the management-account sub-accounts bound to one access policy of a Tencent Cloud organization member, from DescribeOrganizationMemberAuthAccounts. Each entry is what a `tether_member_auth_binding` manages.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in ARGUMENTS {
            if let Err(d) = positive_integer(config, name, example) {
                diags.push(d);
            }
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.tencent().report(diags)?;
        // Both are reported before giving up.
        let [member_uin, policy_id] =
            ARGUMENTS.map(|(name, example)| require_positive_integer(config, name, example).report(diags));
        let (member_uin, policy_id) = (member_uin?, policy_id?);
        let bindings = client
            .list_member_auth_accounts(member_uin, policy_id)
            .await
            .report_as("Could not list the policy's bindings", diags)?;
        Ok(State { member_uin, policy_id, bindings: bindings.into_iter().map(Binding::from).collect() }.to_value())
    }
}
