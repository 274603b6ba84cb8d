//! `tether_rgc_managed_accounts`: the accounts Huawei Cloud RGC governs directly under one
//! organizational unit, from ListManagedAccountsForParent.

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::clouds::huawei::ManagedAccount;
use crate::framework::args::{is_id, require_string};
use crate::framework::model::Model;
use crate::framework::{AttributePath, Ctx, DataSource, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

pub struct RgcManagedAccounts;

#[derive(Model)]
struct State {
    /// ID of the organizational unit, such as `ou-tether-workloads`.
    #[tf(required)]
    parent_organizational_unit_id: String,
    /// The managed accounts under the OU, in the order RGC lists them (every page).
    #[tf(computed)]
    managed_accounts: Vec<Account>,
}

#[derive(Model)]
struct Account {
    /// ID of the account (the `managed_account_id` of `tether_rgc_managed_account`).
    #[tf(computed)]
    managed_account_id: String,
    /// Name of the account.
    #[tf(computed)]
    account_name: String,
    /// Type of the account, as RGC reports it (`MANAGEMENT` or `MEMBER`).
    #[tf(computed)]
    account_type: String,
    /// Who created the account: `CUSTOM` (enrolled) or `RGC` (created by RGC).
    #[tf(computed)]
    owner: String,
    /// RGC's enrollment state, such as `ENROLLED`.
    #[tf(computed)]
    state: String,
    /// ID of the organizational unit.
    #[tf(computed)]
    parent_organizational_unit_id: String,
    /// Name of the organizational unit.
    #[tf(computed)]
    parent_organizational_unit_name: String,
}

impl From<ManagedAccount> for Account {
    fn from(a: ManagedAccount) -> Self {
        Account {
            managed_account_id: a.account_id,
            account_name: a.account_name,
            account_type: a.account_type,
            owner: a.owner,
            state: a.state,
            parent_organizational_unit_id: a.parent_organizational_unit_id,
            parent_organizational_unit_name: a.parent_organizational_unit_name,
        }
    }
}

const OU_ARGUMENT: &str = State::PARENT_ORGANIZATIONAL_UNIT_ID;

#[async_trait]
impl DataSource<Clients> for RgcManagedAccounts {
    fn type_name(&self) -> &'static str {
        "tether_rgc_managed_accounts"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Lists the accounts that Huawei Cloud Resource Governance Center (RGC) governs directly under one organizational unit, from ListManagedAccountsForParent. Accounts of nested OUs are not included.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.attr(OU_ARGUMENT).and_then(Value::as_str) {
            if !is_id(id) {
                diags.push(Diagnostic::error(format!("Invalid {OU_ARGUMENT}"), format!("{id:?} is not a valid ID: expected letters, digits, '-' and '_', such as \"ou-tether-workloads\".")).at(AttributePath::root(OU_ARGUMENT)));
            }
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_rgc().report(diags)?;
        let ou_id = require_string(config, OU_ARGUMENT).report(diags)?;
        let accounts = client
            .list_managed_accounts_for_parent(ou_id)
            .await
            .report_as("Could not list the organizational unit's managed accounts", diags)?;
        Ok(State {
            parent_organizational_unit_id: ou_id.to_string(),
            managed_accounts: accounts.into_iter().map(Account::from).collect(),
        }
        .to_value())
    }
}
