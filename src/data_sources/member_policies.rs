//! `tether_member_policies`: the access policies (identities) of a Tencent Cloud organization
//! member, from DescribeOrganizationMemberPolicies — where `policy_id` values come from.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::tencent::MemberPolicy;
use crate::framework::legacy::support::{cloud_error, object, positive_integer, require_positive_integer};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostics, Schema, Type, Value};

pub struct MemberPolicies;

fn policy_type() -> Type {
    Type::Object(BTreeMap::from([
        ("policy_id".to_string(), Type::Number),
        ("policy_name".to_string(), Type::String),
        ("identity_id".to_string(), Type::Number),
        ("identity_role_name".to_string(), Type::String),
        ("identity_role_alias_name".to_string(), Type::String),
        ("description".to_string(), Type::String),
        ("create_time".to_string(), Type::String),
        ("update_time".to_string(), Type::String),
    ]))
}

fn policy_value(p: &MemberPolicy) -> Value {
    object([
        ("policy_id", Value::from(p.policy_id)),
        ("policy_name", Value::from(p.policy_name.as_str())),
        ("identity_id", Value::from(p.identity_id)),
        ("identity_role_name", Value::from(p.identity_role_name.as_str())),
        ("identity_role_alias_name", Value::from(p.identity_role_alias_name.as_str())),
        ("description", Value::from(p.description.as_str())),
        ("create_time", Value::from(p.create_time.as_str())),
        ("update_time", Value::from(p.update_time.as_str())),
    ])
}

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for MemberPolicies {
    fn type_name(&self) -> &'static str {
        "tether_member_policies"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists the access policies (identities) of a Tencent Cloud organization member, from DescribeOrganizationMemberPolicies. Use a policy's `policy_id` in `tether_member_auth_binding`.")
                .attribute(Attribute::required("member_uin", Type::Number).description("UIN of the member account."))
                .attribute(Attribute::computed("policies", Type::list(policy_type())).description("The member's policies, in the order Tencent Cloud lists them.\n\n- `policy_id`: ID of the policy (the `policy_id` of `tether_member_auth_binding`).\n- `policy_name`: Name of the policy.\n- `identity_id`: ID of the identity the policy grants.\n- `identity_role_name`: Role name of the identity.\n- `identity_role_alias_name`: Role alias of the identity.\n- `description`: Description of the policy.\n- `create_time`: When the policy was created, as Tencent Cloud reports it.\n- `update_time`: When the policy was last updated, as Tencent Cloud reports it.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Err(d) = positive_integer(config, "member_uin", "100000000101") {
            diags.push(d);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.tencent() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let member_uin = match require_positive_integer(config, "member_uin", "100000000101") {
            Ok(uin) => uin,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        match client.list_member_policies(member_uin).await {
            Ok(policies) => Some(object([
                ("member_uin", Value::from(member_uin)),
                ("policies", Value::List(policies.iter().map(policy_value).collect())),
            ])),
            Err(e) => {
                diags.push(cloud_error("Could not list the member's policies", &e));
                None
            }
        }
    }
}
