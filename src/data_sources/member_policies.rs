//! `tether_member_policies`: the access policies (identities) of a Tencent Cloud organization
//! member, from DescribeOrganizationMemberPolicies — where `policy_id` values come from.

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::clouds::tencent::MemberPolicy;
use crate::framework::args::{positive_integer, require_positive_integer};
use crate::framework::model::Model;
use crate::framework::{Ctx, DataSource, Diagnostics, Outcome, Report, Schema, Value};

pub struct MemberPolicies;

#[derive(Model)]
struct State {
    /// UIN of the member account.
    #[tf(required)]
    member_uin: u64,
    /// The member's policies, in the order Tencent Cloud lists them.
    #[tf(computed)]
    policies: Vec<Policy>,
}

#[derive(Model)]
struct Policy {
    /// ID of the policy (the `policy_id` of `tether_member_auth_binding`).
    #[tf(computed)]
    policy_id: u64,
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
    /// Description of the policy.
    #[tf(computed)]
    description: String,
    /// When the policy was created, as Tencent Cloud reports it.
    #[tf(computed)]
    create_time: String,
    /// When the policy was last updated, as Tencent Cloud reports it.
    #[tf(computed)]
    update_time: String,
}

impl From<MemberPolicy> for Policy {
    fn from(p: MemberPolicy) -> Self {
        Policy {
            policy_id: p.policy_id,
            policy_name: p.policy_name,
            identity_id: p.identity_id,
            identity_role_name: p.identity_role_name,
            identity_role_alias_name: p.identity_role_alias_name,
            description: p.description,
            create_time: p.create_time,
            update_time: p.update_time,
        }
    }
}

#[async_trait]
impl DataSource<Clients> for MemberPolicies {
    fn type_name(&self) -> &'static str {
        "tether_member_policies"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Lists the access policies (identities) of a Tencent Cloud organization member, from DescribeOrganizationMemberPolicies. Use a policy's `policy_id` in `tether_member_auth_binding`.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Err(d) = positive_integer(config, State::MEMBER_UIN, "100000000101") {
            diags.push(d);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.tencent().report(diags)?;
        let member_uin = require_positive_integer(config, State::MEMBER_UIN, "100000000101").report(diags)?;
        let policies =
            client.list_member_policies(member_uin).await.report_as("Could not list the member's policies", diags)?;
        Ok(State { member_uin, policies: policies.into_iter().map(Policy::from).collect() }.to_value())
    }
}
