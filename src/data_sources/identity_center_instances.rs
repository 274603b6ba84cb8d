//! `tether_identity_center_instances`: the Huawei Cloud Identity Center instances of the
//! configured account, from ListInstances — where `instance_id` and `identity_store_id` come from.

use async_trait::async_trait;

use crate::clients::{Clients, OperationClients, ReportCloud};
use crate::clouds::huawei;
use crate::framework::model::Model;
use crate::framework::{Ctx, DataSource, Diagnostics, Outcome, Report, Schema, Value};

pub struct IdentityCenterInstances;

#[derive(Model)]
struct State {
    /// The instances, in the order Identity Center lists them (every page).
    #[tf(computed)]
    instances: Vec<Instance>,
}

#[derive(Model)]
struct Instance {
    /// ID of the instance, such as `ins-tether00000001`.
    #[tf(computed)]
    instance_id: String,
    /// ID of the instance's identity store, such as `d-tether00001`.
    #[tf(computed)]
    identity_store_id: String,
    /// Alias of the instance (its sign-in URL prefix).
    #[tf(computed)]
    alias: String,
    /// URN of the instance.
    #[tf(computed)]
    instance_urn: String,
}

impl From<huawei::Instance> for Instance {
    fn from(i: huawei::Instance) -> Self {
        Instance {
            instance_id: i.instance_id,
            identity_store_id: i.identity_store_id,
            alias: i.alias,
            instance_urn: i.instance_urn,
        }
    }
}

#[async_trait]
impl DataSource<Clients> for IdentityCenterInstances {
    fn type_name(&self) -> &'static str {
        "tether_identity_center_instances"
    }

    fn schema(&self) -> Schema {
        State::schema(
            "Lists the Huawei Cloud Identity Center instances of the provider's account, from ListInstances. Use an instance's `instance_id` and `identity_store_id` in `tether_identity_center_profile_association`.",
        )
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, _config: &Value, diags: &mut Diagnostics) -> Outcome<Value> {
        let client = ctx.huawei_identitycenter().report(diags)?;
        let instances =
            client.list_instances().await.report_as("Could not list the Identity Center instances", diags)?;
        Ok(State { instances: instances.into_iter().map(Instance::from).collect() }.to_value())
    }
}
