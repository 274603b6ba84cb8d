//! `tether_organization`: the Huawei Cloud organization the configured account belongs to, from
//! ShowOrganization — where `organization_id` and the management account come from.

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::framework::legacy::support::{cloud_error, object};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostic, Diagnostics, Schema, Type, Value};

pub struct Organization;

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for Organization {
    fn type_name(&self) -> &'static str {
        "tether_organization"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Reads the Huawei Cloud organization that the provider's account (`huaweicloud.domain_id`) belongs to, from ShowOrganization. An account in no organization is an error.")
                .attribute(Attribute::computed("organization_id", Type::String).description("ID of the organization, such as `o-tether0001`."))
                .attribute(Attribute::computed("urn", Type::String).description("Uniform resource name of the organization."))
                .attribute(Attribute::computed("management_account_id", Type::String).description("ID of the organization's management account."))
                .attribute(Attribute::computed("management_account_name", Type::String).description("Name of the organization's management account."))
                .attribute(Attribute::computed("created_at", Type::String).description("When the organization was created, as Huawei Cloud reports it (ISO 8601).")),
        )
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.huawei_organizations() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        match client.show_organization().await {
            Ok(Some(org)) => Some(object([
                ("organization_id", Value::from(org.id.as_str())),
                ("urn", Value::from(org.urn.as_str())),
                ("management_account_id", Value::from(org.management_account_id.as_str())),
                ("management_account_name", Value::from(org.management_account_name.as_str())),
                ("created_at", Value::from(org.created_at.as_str())),
            ])),
            Ok(None) => {
                diags.push(Diagnostic::error(
                    "Account is in no organization",
                    "The configured Huawei Cloud account belongs to no organization (ShowOrganization found none), so there is no organization to read. Configure an account of the organization, or accept its invitation with `tether_organization_membership` first.",
                ));
                None
            }
            Err(e) => {
                diags.push(cloud_error("Could not read the organization", &e));
                None
            }
        }
    }
}
