//! `tether_iam2_organizations`: ZStack IAM2 organizations, optionally filtered by name on the
//! server, from QueryIAM2Organization — where `organization_uuid` values come from.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::zstack::Organization;
use crate::clouds::zstack::iam2::QUERY_ORGANIZATION_ACTION as ACTION;
use crate::framework::legacy::support::{cloud_error, object};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostics, Schema, Type, Value};

pub struct Iam2Organizations;

fn organization_type() -> Type {
    Type::Object(BTreeMap::from([
        ("uuid".to_string(), Type::String),
        ("name".to_string(), Type::String),
        ("description".to_string(), Type::String),
        ("state".to_string(), Type::String),
        ("type".to_string(), Type::String),
        ("parent_uuid".to_string(), Type::String),
    ]))
}

fn organization_value(o: &Organization) -> Value {
    object([
        ("uuid", Value::from(o.uuid.as_str())),
        ("name", Value::from(o.name.as_str())),
        ("description", o.description.as_deref().map_or(Value::Null, Value::from)),
        ("state", Value::from(o.state.as_str())),
        ("type", Value::from(o.organization_type.as_str())),
        ("parent_uuid", o.parent_uuid.as_deref().map_or(Value::Null, Value::from)),
    ])
}

/// The server-side conditions for the known filters: `name=<name>` and `name~=<name_like>`.
/// `Err` names the argument ZStack would misread.
#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for Iam2Organizations {
    fn type_name(&self) -> &'static str {
        "tether_iam2_organizations"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists ZStack IAM2 organizations (companies and departments), from QueryIAM2Organization; the filters are applied by the management node. Use an organization's `uuid` in `tether_iam2_project_organization`.")
                .attribute(Attribute::optional("name", Type::String).description("Only the organizations with exactly this name (case-sensitive; `q=name=<name>`). Leave it out (and `name_like`) to list every organization."))
                .attribute(Attribute::optional("name_like", Type::String).description("Only organizations whose name matches this SQL LIKE pattern, where `%` matches any run of characters and `_` one character (`q=name~=<pattern>`). Combined with `name`, both must match; leave it out to match any name."))
                .attribute(Attribute::computed("organizations", Type::list(organization_type())).description("The matching organizations, in ZStack's order.\n\n- `uuid`: UUID of the organization (the `organization_uuid` of `tether_iam2_project_organization`).\n- `name`: Name of the organization.\n- `description`: Its description; null when it has none.\n- `state`: `Enabled` or `Disabled`.\n- `type`: `Company` or `Department` (empty on ZStack versions that omit it).\n- `parent_uuid`: UUID of the parent organization; null for a top-level one.")),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if let Err(d) = super::zstack_name_filters(config, ACTION) {
            diags.push(d);
        }
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.zstack() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let conditions = match super::zstack_name_filters(config, ACTION) {
            Ok(conditions) => conditions,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        match client.query_organizations(&conditions).await {
            Ok(organizations) => Some(object([
                ("name", config.attr("name").cloned().unwrap_or(Value::Null)),
                ("name_like", config.attr("name_like").cloned().unwrap_or(Value::Null)),
                ("organizations", Value::List(organizations.iter().map(organization_value).collect())),
            ])),
            Err(e) => {
                diags.push(cloud_error("Could not list the IAM2 organizations", &e));
                None
            }
        }
    }
}
