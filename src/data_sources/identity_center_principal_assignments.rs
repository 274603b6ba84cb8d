//! `tether_identity_center_principal_assignments`: the account assignments of one Huawei Cloud
//! Identity Center user or group, from ListAccountAssignmentsForPrincipal.

use std::collections::BTreeSet;

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::framework::args::{is_id, require_string};
use crate::framework::model::Model;
use crate::framework::{AttributePath, Ctx, DataSource, Diagnostic, Diagnostics, Outcome, Report, Schema, Value};

pub struct IdentityCenterPrincipalAssignments;

#[derive(Model)]
struct State {
    /// ID of the Identity Center instance, such as `ins-tether00000001` (see `tether_identity_center_instances`).
    #[tf(required)]
    instance_id: String,
    /// `USER` or `GROUP`.
    #[tf(required)]
    principal_type: String,
    /// ID of the user or group in the instance's identity store.
    #[tf(required)]
    principal_id: String,
    /// The principal's assignments.
    #[tf(computed, set)]
    assignments: Vec<Assignment>,
}

#[derive(Model)]
struct Assignment {
    /// ID of the permission set granted.
    #[tf(computed)]
    permission_set_id: String,
    /// ID of the account it is granted on.
    #[tf(computed)]
    account_id: String,
}

const ID_ARGUMENTS: [&str; 2] = [State::INSTANCE_ID, State::PRINCIPAL_ID];

#[async_trait]
impl DataSource<Clients> for IdentityCenterPrincipalAssignments {
    fn type_name(&self) -> &'static str {
        "tether_identity_center_principal_assignments"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Lists the account assignments (permission set on an account) of one Huawei Cloud Identity Center user or group, from ListAccountAssignmentsForPrincipal. A principal without assignments has an empty set.",
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(kind) = config.attr(State::PRINCIPAL_TYPE).and_then(Value::as_str) {
            if !matches!(kind, "USER" | "GROUP") {
                diags.push(
                    Diagnostic::error(
                        "Invalid principal_type",
                        format!("principal_type must be \"USER\" or \"GROUP\"; got {kind:?}."),
                    )
                    .at(AttributePath::root(State::PRINCIPAL_TYPE)),
                );
            }
        }
        for name in ID_ARGUMENTS {
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

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        // Every missing argument is reported before giving up.
        let [instance_id, principal_type, principal_id] =
            [State::INSTANCE_ID, State::PRINCIPAL_TYPE, State::PRINCIPAL_ID]
                .map(|name| require_string(config, name).report(diags));
        let (instance_id, principal_type, principal_id) = (instance_id?, principal_type?, principal_id?);
        let assignments = client
            .list_account_assignments_for_principal(instance_id, principal_id, principal_type)
            .await
            .report_as("Could not list the principal's account assignments", diags)?;
        // A set: the same pair is listed once however the pages fall.
        let pairs: BTreeSet<(String, String)> =
            assignments.into_iter().map(|a| (a.permission_set_id, a.account_id)).collect();
        Ok(State {
            instance_id: instance_id.to_string(),
            principal_type: principal_type.to_string(),
            principal_id: principal_id.to_string(),
            assignments: pairs
                .into_iter()
                .map(|(permission_set_id, account_id)| Assignment { permission_set_id, account_id })
                .collect(),
        }
        .to_value())
    }
}
