//! `tether_identity_center_disassociate_profile`: removes every account assignment of one Huawei
//! Cloud IAM Identity Center user or group with DisassociateProfile, as destroying a
//! `tether_identity_center_profile_association` does — the offboarding of a person or group.
//!
//! plan   = ListAccountAssignmentsForPrincipal: the assignments that will go, or none
//! invoke = the same read, then DisassociateProfile (read before any re-send)

use async_trait::async_trait;

use crate::clients::{Clients, DetachEnd, OperationClients, ReportCloud, Service, report_action_detach};
use crate::clouds::ErrorKind;
use crate::clouds::huawei::IdentityCenterClient;
use crate::framework::action::{self, Action, Progress};
use crate::framework::args::{is_id, require_string};
use crate::framework::model::Model;
use crate::framework::{AttributePath, Ctx, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

use super::MANAGED_ELSEWHERE;

pub const TYPE_NAME: &str = "tether_identity_center_disassociate_profile";

const API: &str = "Huawei Cloud DisassociateProfile";

pub struct IdentityCenterDisassociateProfile;

/// The arguments of the action's `config` block.
#[derive(Model)]
struct Config {
    /// ID of the Identity Center instance.
    #[tf(required)]
    instance_id: String,
    /// `USER` or `GROUP`.
    #[tf(required)]
    principal_type: String,
    /// ID of the user or group.
    #[tf(required)]
    principal_id: String,
    /// ID of the instance's identity store. Left out, it is looked up from the instance (ListInstances).
    #[tf(optional)]
    identity_store_id: Option<String>,
}

/// The principal the configuration names.
struct Principal {
    instance_id: String,
    principal_type: String,
    principal_id: String,
}

impl Principal {
    fn from_config(config: &Value) -> Result<Principal, Diagnostic> {
        Ok(Principal {
            instance_id: require_string(config, Config::INSTANCE_ID)?.to_string(),
            principal_type: require_string(config, Config::PRINCIPAL_TYPE)?.to_string(),
            principal_id: require_string(config, Config::PRINCIPAL_ID)?.to_string(),
        })
    }

    fn name(&self) -> String {
        format!("{} {}", self.principal_type, self.principal_id)
    }

    /// The principal's assignments now, as (permission set, account), sorted.
    async fn assignments(
        &self,
        client: &IdentityCenterClient,
    ) -> Result<Vec<(String, String)>, crate::clouds::CloudError> {
        let found = match client
            .list_account_assignments_for_principal(&self.instance_id, &self.principal_id, &self.principal_type)
            .await
        {
            Ok(found) => found,
            Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut pairs: Vec<(String, String)> = found.into_iter().map(|a| (a.permission_set_id, a.account_id)).collect();
        pairs.sort();
        pairs.dedup();
        Ok(pairs)
    }
}

fn listed(assignments: &[(String, String)]) -> String {
    assignments
        .iter()
        .map(|(permission_set, account)| format!("\n- permission set {permission_set} on account {account}"))
        .collect()
}

/// The configured identity store, or the instance's own.
async fn identity_store(
    client: &IdentityCenterClient,
    config: &Value,
    instance_id: &str,
    diags: &mut Diagnostics,
) -> Outcome<String> {
    if let Some(id) = config.attr(Config::IDENTITY_STORE_ID).and_then(Value::as_str).filter(|id| !id.is_empty()) {
        return Ok(id.to_string());
    }
    let instances = client.list_instances().await.report_as("Could not list Identity Center instances", diags)?;
    instances
        .into_iter()
        .find(|i| i.instance_id == instance_id)
        .map(|i| i.identity_store_id)
        .ok_or_else(|| {
            Diagnostic::error(
                "Identity Center instance not found",
                format!("ListInstances does not list instance {instance_id:?}."),
            )
            .at(AttributePath::root(Config::INSTANCE_ID))
        })
        .report(diags)
}

#[async_trait]
impl Action<Clients> for IdentityCenterDisassociateProfile {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn service(&self) -> Service {
        Service::HuaweiIdentityCenter
    }

    fn schema(&self) -> Schema {
        action::with_timeout(
            Config::schema(
                "Removes **every** account assignment of one IAM Identity Center user or group, on every account and permission set, with **DisassociateProfile** (`POST /v1/instances/{instance_id}/disassociate-profile`): the offboarding of a person or a group. `terraform plan -invoke` lists the assignments that will go, or says there are none; a principal with none counts as done. Changes no Terraform state.",
            ),
            action::WRITE_TIMEOUT_DEFAULT,
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(kind) = config.attr(Config::PRINCIPAL_TYPE).and_then(Value::as_str) {
            if !matches!(kind, "USER" | "GROUP") {
                diags.push(
                    Diagnostic::error(
                        "Invalid principal_type",
                        format!("principal_type must be \"USER\" or \"GROUP\"; got {kind:?}."),
                    )
                    .at(AttributePath::root(Config::PRINCIPAL_TYPE)),
                );
            }
        }
        for name in [Config::INSTANCE_ID, Config::PRINCIPAL_ID, Config::IDENTITY_STORE_ID] {
            if let Some(id) = config.attr(name).and_then(Value::as_str) {
                if !is_id(id) {
                    diags.push(
                        Diagnostic::error(
                            format!("Invalid {name}"),
                            format!("{id:?} is not a valid ID: expected letters, digits, '-' and '_'."),
                        )
                        .at(AttributePath::root(name)),
                    );
                }
            }
        }
    }

    async fn plan(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<()> {
        let principal = Principal::from_config(config).report(diags)?;
        let client = ctx.huawei_identitycenter().report(diags)?;
        let store = identity_store(&client, config, &principal.instance_id, diags).await?;
        let assignments = principal
            .assignments(&client)
            .await
            .report_as("Could not list the principal's account assignments", diags)?;
        if assignments.is_empty() {
            diags.warning(
                format!("Nothing to disassociate for {}", principal.name()),
                format!(
                    "{} has no account assignment in instance {}, so invoking the action calls nothing.",
                    principal.name(),
                    principal.instance_id
                ),
            );
            return Ok(());
        }
        diags.warning(
            format!("Invoking calls {API} for {}", principal.name()),
            format!(
                "{API} (POST /v1/instances/{}/disassociate-profile) {{id: {}, accessor_type: {}, identity_store_id: {store}}}: removes all {} account assignments of {}:{}\n{MANAGED_ELSEWHERE}",
                principal.instance_id,
                principal.principal_id,
                principal.principal_type,
                assignments.len(),
                principal.name(),
                listed(&assignments)
            ),
        );
        Ok(())
    }

    async fn invoke(
        &self,
        ctx: &Ctx<'_, Clients>,
        config: &Value,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) -> Outcome<()> {
        let principal = Principal::from_config(config).report(diags)?;
        let client = ctx.huawei_identitycenter().report(diags)?;
        let store = identity_store(&client, config, &principal.instance_id, diags).await?;
        let assignments = principal
            .assignments(&client)
            .await
            .report_as("Could not list the principal's account assignments", diags)?;
        if assignments.is_empty() {
            progress
                .send(format!("Already detached: {} has no account assignment; nothing to call.", principal.name()));
            return Ok(());
        }
        progress.send(format!("Calling {API} for {} ({} assignments)", principal.name(), assignments.len()));
        // After a lost answer, the assignments read here tell a call that did not take effect
        // (some still there) from assignments added since (only others there), which stay.
        let settle = ctx.settle();
        let outcome = client
            .disassociate_profile_reconciled(
                &principal.instance_id,
                &principal.principal_id,
                &principal.principal_type,
                &store,
                &assignments,
                Some(&settle),
            )
            .await;
        let what = format!("the profile of {}", principal.name());
        let ended = report_action_detach(outcome, "Could not disassociate the principal's profile", &what, diags)?;
        progress.send(match ended {
            DetachEnd::Detached => {
                format!("Done: removed the {} account assignments of {}.", assignments.len(), principal.name())
            }
            DetachEnd::AlreadyDetached => {
                format!("Already detached: {} had no assignment left when the call reached it.", principal.name())
            }
            DetachEnd::LeftAlone => {
                format!("Left alone: {} was given new assignments after the call took effect.", principal.name())
            }
        });
        Ok(())
    }
}
