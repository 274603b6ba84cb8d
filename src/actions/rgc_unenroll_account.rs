//! `tether_rgc_unenroll_account`: Huawei Cloud RGC stops governing one account (UnEnrollAccount,
//! then its operation waited on), as destroying a `tether_rgc_managed_account` does — handing an
//! account back. The account stays in the organization.
//!
//! plan   = ShowManagedAccount: the enrollment that will end, or that there is none
//! invoke = the same read, then UnEnrollAccount and its wait (`clients::rgc::un_enroll`, the
//!          resource's own procedure)

use std::time::Duration;

use async_trait::async_trait;

use crate::clients::rgc::{self, UnEnrolled};
use crate::clients::{Clients, OperationClients, ReportCloud, Service};
use crate::clouds::huawei::ManagedAccount;
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::require_string;
use crate::framework::model::Model;
use crate::framework::operation::Limits;
use crate::framework::{AttributePath, Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_rgc_unenroll_account";

const API: &str = "Huawei Cloud UnEnrollAccount";

/// An un-enroll takes minutes to hours (RGC removes the landing zone's baseline from the
/// account): the same default as `tether_rgc_managed_account`'s `timeouts.delete`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(6 * 3600);

pub struct RgcUnenrollAccount;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// ID of the organization account RGC should stop governing.
    #[tf(required)]
    managed_account_id: String,
}

fn describe(id: &str, account: &ManagedAccount) -> String {
    let name = if account.account_name.is_empty() { String::new() } else { format!("{} ", account.account_name) };
    let ou = if account.parent_organizational_unit_name.is_empty() {
        String::new()
    } else {
        format!(" (OU {})", account.parent_organizational_unit_name)
    };
    format!(
        "RGC stops governing account {name}{id}: the landing zone's controls and baseline no longer apply to it. The account stays in the organization{ou} and is not closed."
    )
}

#[async_trait]
impl Action<Clients> for RgcUnenrollAccount {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiRgc
    }

    fn default_timeout(&self, _limits: Limits) -> Duration {
        DEFAULT_TIMEOUT
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "Huawei Cloud RGC stops governing one account: calls **UnEnrollAccount** (`POST /v1/managed-organization/managed-accounts/{id}/un-enroll`) and waits for its operation. The account stays in the organization and is not closed. `terraform plan -invoke` reads the account and shows what will end, or that RGC does not govern it; an account not governed counts as done. Changes no Terraform state.",
            ),
            "`6h`, as `tether_rgc_managed_account`'s `timeouts.delete`",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(id) = config.attr(Config::MANAGED_ACCOUNT_ID).and_then(Value::as_str) {
            if !crate::framework::args::is_id(id) {
                diags.push(
                    Diagnostic::error(
                        "Invalid managed_account_id",
                        format!("{id:?} is not an account ID: expected letters, digits, '-' and '_', such as \"2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82\"."),
                    )
                    .at(AttributePath::root(Config::MANAGED_ACCOUNT_ID)),
                );
            }
        }
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let id = require_string(config, Config::MANAGED_ACCOUNT_ID).report(diags)?;
        let client = ctx.huawei_rgc().report(diags)?;
        match client.show_managed_account(id).await.report_as("Could not read the managed account", diags)? {
            Some(account) => diags.warning(
                format!("Invoking calls {API} for {id}"),
                format!(
                    "{API} (POST /v1/managed-organization/managed-accounts/{id}/un-enroll), then a wait for its operation: {} {MANAGED_ELSEWHERE}",
                    describe(id, &account)
                ),
            ),
            None => diags.warning(
                format!("Nothing to un-enroll for {id}"),
                format!("RGC does not govern account {id}, so invoking the action calls nothing."),
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
        let id = require_string(config, Config::MANAGED_ACCOUNT_ID).report(diags)?;
        let client = ctx.huawei_rgc().report(diags)?;
        let Some(account) =
            client.show_managed_account(id).await.report_as("Could not read the managed account", diags)?
        else {
            progress.send(format!("Already detached: RGC does not govern account {id}; nothing to call."));
            return Ok(());
        };
        progress.send(format!("Calling {API} for {id}"));
        let keep = format!(
            "Account {id} may or may not still be enrolled. Invoke the action again: it reads RGC before calling UnEnrollAccount again."
        );
        let waiting = |operation: &str| progress.send(format!("Waiting for UnEnrollAccount operation {operation}"));
        let ended = rgc::un_enroll(ctx, &client, id, &keep, waiting, diags).await?;
        progress.send(match ended {
            UnEnrolled::Now => format!("Done: {}", describe(id, &account)),
            UnEnrolled::Already => {
                format!("Already detached: RGC did not govern account {id} when the call reached it.")
            }
        });
        Ok(())
    }
}
