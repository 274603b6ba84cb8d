//! `tether_iam2_organizations`: ZStack IAM2 organizations, optionally filtered by name on the
//! server, from QueryIAM2Organization — where `organization_uuid` values come from.

use async_trait::async_trait;

use crate::clouds::CloudError;
use crate::clouds::zstack::{self, Condition, ZStackClient};
use crate::framework::model::Model;
use crate::framework::{Schema, Value};

use super::zstack_name_filter::NameFiltered;

pub struct Iam2Organizations;

#[derive(Model)]
struct State {
    /// Only the organizations with exactly this name (case-sensitive; `q=name=<name>`). Leave it out (and `name_like`) to list every organization.
    #[tf(optional)]
    name: Option<String>,
    /// Only organizations whose name matches this SQL LIKE pattern, where `%` matches any run of characters and `_` one character (`q=name~=<pattern>`). Combined with `name`, both must match; leave it out to match any name.
    #[tf(optional)]
    name_like: Option<String>,
    /// The matching organizations, in ZStack's order.
    #[tf(computed)]
    organizations: Vec<ListedOrganization>,
}

#[derive(Model)]
struct ListedOrganization {
    /// UUID of the organization (the `organization_uuid` of `tether_iam2_project_organization`).
    #[tf(computed)]
    uuid: String,
    /// Name of the organization.
    #[tf(computed)]
    name: String,
    /// Its description; null when it has none.
    #[tf(computed)]
    description: Option<String>,
    /// `Enabled` or `Disabled`.
    #[tf(computed)]
    state: String,
    /// `Company` or `Department` (empty on ZStack versions that omit it).
    #[tf(computed)]
    r#type: String,
    /// UUID of the parent organization; null for a top-level one.
    #[tf(computed)]
    parent_uuid: Option<String>,
}

impl From<zstack::Iam2Organization> for ListedOrganization {
    fn from(o: zstack::Iam2Organization) -> Self {
        ListedOrganization {
            uuid: o.uuid,
            name: o.name,
            description: o.description,
            state: o.state,
            r#type: o.organization_type,
            parent_uuid: o.parent_uuid,
        }
    }
}

#[async_trait]
impl NameFiltered for Iam2Organizations {
    const TYPE_NAME: &'static str = "tether_iam2_organizations";
    const ACTION: &'static str = zstack::iam2::QUERY_ORGANIZATION_ACTION;
    const QUERY_FAILED: &'static str = "Could not list the IAM2 organizations";
    type Found = zstack::Iam2Organization;

    fn schema() -> Schema {
        State::schema(
            "Lists ZStack IAM2 organizations (companies and departments), from QueryIAM2Organization; the filters are applied by the management node. Use an organization's `uuid` in `tether_iam2_project_organization`.",
        )
    }

    async fn query(client: &ZStackClient, conditions: &[Condition]) -> Result<Vec<Self::Found>, CloudError> {
        client.query_organizations(conditions).await
    }

    fn state(name: Option<String>, name_like: Option<String>, found: Vec<Self::Found>) -> Value {
        State { name, name_like, organizations: found.into_iter().map(ListedOrganization::from).collect() }.to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_conforms_to_the_schema_and_keeps_the_type() {
        let found = zstack::Iam2Organization {
            uuid: "org-1".into(),
            name: "Sales".into(),
            organization_type: "Department".into(),
            parent_uuid: Some("org-0".into()),
            ..Default::default()
        };
        let state = Iam2Organizations::state(None, Some("S%".into()), vec![found]);
        state.conforms_to(&Iam2Organizations::schema().block.implied_type()).unwrap();
        let Some(Value::List(organizations)) = state.attr(State::ORGANIZATIONS) else { panic!("{state:?}") };
        assert_eq!(organizations[0].attr(ListedOrganization::TYPE), Some(&Value::from("Department")));
        assert_eq!(organizations[0].attr(ListedOrganization::DESCRIPTION), Some(&Value::Null));
        assert_eq!(state.attr(State::NAME), Some(&Value::Null));
    }
}
