//! `tether_identity_center_principal_assignments`: the account assignments of one Huawei Cloud
//! Identity Center user or group, from ListAccountAssignmentsForPrincipal.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::framework::legacy::support::{cloud_error, is_id, object, require_string};
use crate::framework::{
    Attribute, AttributePath, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value,
};

pub struct IdentityCenterPrincipalAssignments;

const ID_ARGUMENTS: [&str; 2] = ["instance_id", "principal_id"];

fn assignment_type() -> Type {
    Type::Object(BTreeMap::from([
        ("permission_set_id".to_string(), Type::String),
        ("account_id".to_string(), Type::String),
    ]))
}

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for IdentityCenterPrincipalAssignments {
    fn type_name(&self) -> &'static str {
        "tether_identity_center_principal_assignments"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists the account assignments (permission set on an account) of one Huawei Cloud Identity Center user or group, from ListAccountAssignmentsForPrincipal. A principal without assignments has an empty set.")
                .attribute(Attribute::required("instance_id", Type::String).description("ID of the Identity Center instance, such as `ins-tether00000001` (see `tether_identity_center_instances`)."))
                .attribute(Attribute::required("principal_type", Type::String).description("`USER` or `GROUP`."))
                .attribute(Attribute::required("principal_id", Type::String).description("ID of the user or group in the instance's identity store."))
                .attribute(Attribute::computed("assignments", Type::set(assignment_type())).description("The principal's assignments.\n\n- `permission_set_id`: ID of the permission set granted.\n- `account_id`: ID of the account it is granted on.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Some(kind) = config.attr("principal_type").and_then(Value::as_str) {
            if !matches!(kind, "USER" | "GROUP") {
                diags.push(
                    Diagnostic::error(
                        "Invalid principal_type",
                        format!("principal_type must be \"USER\" or \"GROUP\"; got {kind:?}."),
                    )
                    .at(AttributePath::root("principal_type")),
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

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.huawei_identitycenter() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let args: Vec<_> =
            ["instance_id", "principal_type", "principal_id"].iter().map(|name| require_string(config, name)).collect();
        let (instance_id, principal_type, principal_id) = match args.as_slice() {
            [Ok(instance_id), Ok(principal_type), Ok(principal_id)] => (*instance_id, *principal_type, *principal_id),
            _ => {
                for d in args.into_iter().filter_map(Result::err) {
                    diags.push(d);
                }
                return None;
            }
        };
        match client.list_account_assignments_for_principal(instance_id, principal_id, principal_type).await {
            Ok(assignments) => {
                // A set: the same pair is listed once however the pages fall.
                let pairs: BTreeSet<(String, String)> =
                    assignments.into_iter().map(|a| (a.permission_set_id, a.account_id)).collect();
                Some(object([
                    ("instance_id", Value::from(instance_id)),
                    ("principal_type", Value::from(principal_type)),
                    ("principal_id", Value::from(principal_id)),
                    (
                        "assignments",
                        Value::Set(
                            pairs
                                .into_iter()
                                .map(|(permission_set_id, account_id)| {
                                    object([
                                        ("permission_set_id", Value::from(permission_set_id)),
                                        ("account_id", Value::from(account_id)),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                ]))
            }
            Err(e) => {
                diags.push(cloud_error("Could not list the principal's account assignments", &e));
                None
            }
        }
    }
}
