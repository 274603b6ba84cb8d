//! `tether_iam2_projects`: ZStack IAM2 projects, optionally filtered by name on the server, from
//! QueryIAM2Project — where `project_uuid` values come from.

use async_trait::async_trait;

use crate::clouds::CloudError;
use crate::clouds::zstack::{self, Condition, ZStackClient};
use crate::framework::model::Model;
use crate::framework::{Schema, Value};

use super::zstack_name_filter::NameFiltered;

pub struct Iam2Projects;

#[derive(Model)]
struct State {
    /// Only the project with exactly this name (case-sensitive; `q=name=<name>`). Leave it out (and `name_like`) to list every project.
    #[tf(optional)]
    name: Option<String>,
    /// Only projects whose name matches this SQL LIKE pattern, where `%` matches any run of characters and `_` one character (`q=name~=<pattern>`). Combined with `name`, both must match; leave it out to match any name.
    #[tf(optional)]
    name_like: Option<String>,
    /// The matching projects, in ZStack's order.
    #[tf(computed)]
    projects: Vec<Project>,
}

#[derive(Model)]
struct Project {
    /// UUID of the project (the `project_uuid` of `tether_iam2_project_organization`).
    #[tf(computed)]
    uuid: String,
    /// Name of the project.
    #[tf(computed)]
    name: String,
    /// Its description; null when it has none.
    #[tf(computed)]
    description: Option<String>,
    /// `Enabled` or `Disabled`.
    #[tf(computed)]
    state: String,
}

impl From<zstack::Iam2Project> for Project {
    fn from(p: zstack::Iam2Project) -> Self {
        Project { uuid: p.uuid, name: p.name, description: p.description, state: p.state }
    }
}

#[async_trait]
impl NameFiltered for Iam2Projects {
    const TYPE_NAME: &'static str = "tether_iam2_projects";
    const ACTION: &'static str = zstack::iam2::QUERY_PROJECT_ACTION;
    const QUERY_FAILED: &'static str = "Could not list the IAM2 projects";
    type Found = zstack::Iam2Project;

    fn schema() -> Schema {
        State::schema(
            "Lists ZStack IAM2 projects, from QueryIAM2Project; the filters are applied by the management node. Use a project's `uuid` in `tether_iam2_project_organization`.",
        )
    }

    async fn query(client: &ZStackClient, conditions: &[Condition]) -> Result<Vec<Self::Found>, CloudError> {
        client.query_projects(conditions).await
    }

    fn state(name: Option<String>, name_like: Option<String>, found: Vec<Self::Found>) -> Value {
        State { name, name_like, projects: found.into_iter().map(Project::from).collect() }.to_value()
    }
}
