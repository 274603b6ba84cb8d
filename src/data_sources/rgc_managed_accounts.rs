//! `tether_rgc_managed_accounts`: the accounts Huawei Cloud RGC governs directly under one
//! organizational unit, from ListManagedAccountsForParent.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::huawei::ManagedAccount;
use crate::framework::legacy::support::{cloud_error, is_id, object};
use crate::framework::{
    Attribute, AttributePath, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

pub struct RgcManagedAccounts;

const OU_ARGUMENT: &str = "parent_organizational_unit_id";

fn managed_account_type() -> Type {
    Type::Object(BTreeMap::from([
        ("managed_account_id".to_string(), Type::String),
        ("account_name".to_string(), Type::String),
        ("account_type".to_string(), Type::String),
        ("owner".to_string(), Type::String),
        ("state".to_string(), Type::String),
        ("parent_organizational_unit_id".to_string(), Type::String),
        ("parent_organizational_unit_name".to_string(), Type::String),
    ]))
}

fn managed_account_value(a: &ManagedAccount) -> Value {
    object([
        ("managed_account_id", Value::from(a.account_id.as_str())),
        ("account_name", Value::from(a.account_name.as_str())),
        ("account_type", Value::from(a.account_type.as_str())),
        ("owner", Value::from(a.owner.as_str())),
        ("state", Value::from(a.state.as_str())),
        ("parent_organizational_unit_id", Value::from(a.parent_organizational_unit_id.as_str())),
        ("parent_organizational_unit_name", Value::from(a.parent_organizational_unit_name.as_str())),
    ])
}

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for RgcManagedAccounts {
    fn type_name(&self) -> &'static str {
        "tether_rgc_managed_accounts"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists the accounts that Huawei Cloud Resource Governance Center (RGC) governs directly under one organizational unit, from ListManagedAccountsForParent. Accounts of nested OUs are not included.")
                .attribute(Attribute::required(OU_ARGUMENT, Type::String).description("ID of the organizational unit, such as `ou-tether-workloads`."))
                .attribute(Attribute::computed("managed_accounts", Type::list(managed_account_type())).description("The managed accounts under the OU, in the order RGC lists them (every page).\n\n- `managed_account_id`: ID of the account (the `managed_account_id` of `tether_rgc_managed_account`).\n- `account_name`: Name of the account.\n- `account_type`: Type of the account, as RGC reports it (`MANAGEMENT` or `MEMBER`).\n- `owner`: Who created the account: `CUSTOM` (enrolled) or `RGC` (created by RGC).\n- `state`: RGC's enrollment state, such as `ENROLLED`.\n- `parent_organizational_unit_id`: ID of the organizational unit.\n- `parent_organizational_unit_name`: Name of the organizational unit.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.attr(OU_ARGUMENT).and_then(Value::as_str) {
            if !is_id(id) {
                diags.push(Diagnostic::error(format!("Invalid {OU_ARGUMENT}"), format!("{id:?} is not a valid ID: expected letters, digits, '-' and '_', such as \"ou-tether-workloads\".")).at(AttributePath::root(OU_ARGUMENT)));
            }
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.huawei_rgc() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let Some(ou_id) = config.attr(OU_ARGUMENT).and_then(Value::as_str) else {
            diags.push(
                Diagnostic::error(format!("Missing {OU_ARGUMENT}"), format!("{OU_ARGUMENT} has no value."))
                    .at(AttributePath::root(OU_ARGUMENT)),
            );
            return None;
        };
        match client.list_managed_accounts_for_parent(ou_id).await {
            Ok(accounts) => Some(object([
                (OU_ARGUMENT, Value::from(ou_id)),
                ("managed_accounts", Value::List(accounts.iter().map(managed_account_value).collect())),
            ])),
            Err(e) => {
                diags.push(cloud_error("Could not list the organizational unit's managed accounts", &e));
                None
            }
        }
    }
}
