//! `tether_member_auth_bindings`: the sub-accounts bound to one access policy of a Tencent Cloud
//! organization member, from DescribeOrganizationMemberAuthAccounts — what
//! `tether_member_auth_binding` manages one at a time.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::tencent::OrgMemberAuthAccount;
use crate::framework::legacy::support::{cloud_error, object, positive_integer, require_positive_integer};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostics, Schema, Type, Value};

pub struct MemberAuthBindings;

fn binding_type() -> Type {
    Type::Object(BTreeMap::from([
        ("org_sub_account_uin".to_string(), Type::Number),
        ("org_sub_account_name".to_string(), Type::String),
        ("policy_name".to_string(), Type::String),
        ("identity_id".to_string(), Type::Number),
        ("identity_role_name".to_string(), Type::String),
        ("identity_role_alias_name".to_string(), Type::String),
        ("create_time".to_string(), Type::String),
        ("update_time".to_string(), Type::String),
    ]))
}

fn binding_value(b: &OrgMemberAuthAccount) -> Value {
    object([
        ("org_sub_account_uin", Value::from(b.org_sub_account_uin)),
        ("org_sub_account_name", Value::from(b.org_sub_account_name.as_str())),
        ("policy_name", Value::from(b.policy_name.as_str())),
        ("identity_id", Value::from(b.identity_id)),
        ("identity_role_name", Value::from(b.identity_role_name.as_str())),
        ("identity_role_alias_name", Value::from(b.identity_role_alias_name.as_str())),
        ("create_time", Value::from(b.create_time.as_str())),
        ("update_time", Value::from(b.update_time.as_str())),
    ])
}

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for MemberAuthBindings {
    fn type_name(&self) -> &'static str {
        "tether_member_auth_bindings"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists the management-account sub-accounts bound to one access policy of a Tencent Cloud organization member, from DescribeOrganizationMemberAuthAccounts. Each entry is what a `tether_member_auth_binding` manages.")
                .attribute(Attribute::required("member_uin", Type::Number).description("UIN of the member account."))
                .attribute(Attribute::required("policy_id", Type::Number).description("ID of the member's access policy, as listed by `tether_member_policies`."))
                .attribute(Attribute::computed("bindings", Type::list(binding_type())).description("The sub-accounts bound to the policy, in the order Tencent Cloud lists them.\n\n- `org_sub_account_uin`: UIN of the management account's sub-account.\n- `org_sub_account_name`: Name of the sub-account.\n- `policy_name`: Name of the policy.\n- `identity_id`: ID of the identity the policy grants.\n- `identity_role_name`: Role name of the identity.\n- `identity_role_alias_name`: Role alias of the identity.\n- `create_time`: When the binding was created, as Tencent Cloud reports it.\n- `update_time`: When the binding was last updated, as Tencent Cloud reports it.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (name, example) in [("member_uin", "100000000101"), ("policy_id", "1001")] {
            if let Err(d) = positive_integer(config, name, example) {
                diags.push(d);
            }
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
        let member_uin = require_positive_integer(config, "member_uin", "100000000101");
        let policy_id = require_positive_integer(config, "policy_id", "1001");
        let (member_uin, policy_id) = match (member_uin, policy_id) {
            (Ok(member_uin), Ok(policy_id)) => (member_uin, policy_id),
            (member_uin, policy_id) => {
                for d in member_uin.err().into_iter().chain(policy_id.err()) {
                    diags.push(d);
                }
                return None;
            }
        };
        match client.list_member_auth_accounts(member_uin, policy_id).await {
            Ok(bindings) => Some(object([
                ("member_uin", Value::from(member_uin)),
                ("policy_id", Value::from(policy_id)),
                ("bindings", Value::List(bindings.iter().map(binding_value).collect())),
            ])),
            Err(e) => {
                diags.push(cloud_error("Could not list the policy's bindings", &e));
                None
            }
        }
    }
}
