//! `tether_organization`: the Huawei Cloud organization the configured account belongs to, from
//! ShowOrganization — where `organization_id` and the management account come from.

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::framework::model::Model;
use crate::framework::{Ctx, DataSource, Diagnostics, Outcome, Report, Reported, Schema, Value};

/// `tether_organization` (not plain `Organization`, the name of the clouds' organization types).
pub struct OrganizationDataSource;

#[derive(Model)]
struct State {
    /// ID of the organization, such as `o-tether0001`.
    #[tf(computed)]
    organization_id: String,
    /// Uniform resource name of the organization.
    #[tf(computed)]
    urn: String,
    /// ID of the organization's management account.
    #[tf(computed)]
    management_account_id: String,
    /// Name of the organization's management account.
    #[tf(computed)]
    management_account_name: String,
    /// When the organization was created, as Huawei Cloud reports it (ISO 8601).
    #[tf(computed)]
    created_at: String,
}

#[async_trait]
impl DataSource<Clients> for OrganizationDataSource {
    fn type_name(&self) -> &'static str {
        "tether_organization"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Reads the Huawei Cloud organization that the provider's account (`huaweicloud.domain_id`) belongs to, from ShowOrganization. An account in no organization is an error.",
        )
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, _config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_organizations().report(diags)?;
        let Some(org) = client.show_organization().await.report_as("Could not read the organization", diags)? else {
            diags.error(
                "Account is in no organization",
                "The configured Huawei Cloud account belongs to no organization (ShowOrganization found none), so there is no organization to read. Configure an account of the organization, or accept its invitation with `tether_organization_membership` first.",
            );
            return Err(Reported);
        };
        Ok(State {
            organization_id: org.id,
            urn: org.urn,
            management_account_id: org.management_account_id,
            management_account_name: org.management_account_name,
            created_at: org.created_at,
        }
        .to_value())
    }
}
