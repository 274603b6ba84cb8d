//! `tether_iam2_projects`: ZStack IAM2 projects, optionally filtered by name on the server, from
//! QueryIAM2Project — where `project_uuid` values come from.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::zstack::Project;
use crate::clouds::zstack::iam2::QUERY_PROJECT_ACTION as ACTION;
use crate::framework::legacy::support::{cloud_error, object};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostics, Schema, Type, Value};

pub struct Iam2Projects;

fn project_type() -> Type {
    Type::Object(BTreeMap::from([
        ("uuid".to_string(), Type::String),
        ("name".to_string(), Type::String),
        ("description".to_string(), Type::String),
        ("state".to_string(), Type::String),
    ]))
}

fn project_value(p: &Project) -> Value {
    object([
        ("uuid", Value::from(p.uuid.as_str())),
        ("name", Value::from(p.name.as_str())),
        ("description", p.description.as_deref().map_or(Value::Null, Value::from)),
        ("state", Value::from(p.state.as_str())),
    ])
}

/// The server-side conditions for the known filters: `name=<name>` and `name~=<name_like>`.
/// `Err` names the argument ZStack would misread.
#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for Iam2Projects {
    fn type_name(&self) -> &'static str {
        "tether_iam2_projects"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists ZStack IAM2 projects, from QueryIAM2Project; the filters are applied by the management node. Use a project's `uuid` in `tether_iam2_project_organization`.")
                .attribute(Attribute::optional("name", Type::String).description("Only the project with exactly this name (case-sensitive; `q=name=<name>`). Leave it out (and `name_like`) to list every project."))
                .attribute(Attribute::optional("name_like", Type::String).description("Only projects whose name matches this SQL LIKE pattern, where `%` matches any run of characters and `_` one character (`q=name~=<pattern>`). Combined with `name`, both must match; leave it out to match any name."))
                .attribute(Attribute::computed("projects", Type::list(project_type())).description("The matching projects, in ZStack's order.\n\n- `uuid`: UUID of the project (the `project_uuid` of `tether_iam2_project_organization`).\n- `name`: Name of the project.\n- `description`: Its description; null when it has none.\n- `state`: `Enabled` or `Disabled`.")),
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
        match client.query_projects(&conditions).await {
            Ok(projects) => Some(object([
                ("name", config.attr("name").cloned().unwrap_or(Value::Null)),
                ("name_like", config.attr("name_like").cloned().unwrap_or(Value::Null)),
                ("projects", Value::List(projects.iter().map(project_value).collect())),
            ])),
            Err(e) => {
                diags.push(cloud_error("Could not list the IAM2 projects", &e));
                None
            }
        }
    }
}
