//! `tether_identity_center_instances`: the Huawei Cloud Identity Center instances of the
//! configured account, from ListInstances — where `instance_id` and `identity_store_id` come from.

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::framework::legacy::LegacyDataSource as _;

use crate::clients::Clients;
use crate::clouds::huawei::Instance;
use crate::framework::legacy::support::{cloud_error, object};
use crate::framework::{Attribute, Block, Ctx, DataSource, Diagnostics, Schema, Type, Value};

pub struct IdentityCenterInstances;

fn instance_type() -> Type {
    Type::Object(BTreeMap::from([
        ("instance_id".to_string(), Type::String),
        ("identity_store_id".to_string(), Type::String),
        ("alias".to_string(), Type::String),
        ("instance_urn".to_string(), Type::String),
    ]))
}

fn instance_value(i: &Instance) -> Value {
    object([
        ("instance_id", Value::from(i.instance_id.as_str())),
        ("identity_store_id", Value::from(i.identity_store_id.as_str())),
        ("alias", Value::from(i.alias.as_str())),
        ("instance_urn", Value::from(i.instance_urn.as_str())),
    ])
}

#[async_trait]
impl crate::framework::legacy::LegacyDataSource<Clients> for IdentityCenterInstances {
    fn type_name(&self) -> &'static str {
        "tether_identity_center_instances"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("Lists the Huawei Cloud Identity Center instances of the provider's account, from ListInstances. Use an instance's `instance_id` and `identity_store_id` in `tether_identity_center_profile_association`.")
                .attribute(Attribute::computed("instances", Type::list(instance_type())).description("The instances, in the order Identity Center lists them (every page).\n\n- `instance_id`: ID of the instance, such as `ins-tether00000001`.\n- `identity_store_id`: ID of the instance's identity store, such as `d-tether00001`.\n- `alias`: Alias of the instance (its sign-in URL prefix).\n- `instance_urn`: URN of the instance.")),
        )
    }

    async fn read(&self, ctx: &Ctx<'_, Clients>, _config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let client = match ctx.data.huawei_identitycenter() {
            Ok(client) => client.with_cancellation(ctx.stop.clone()),
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        match client.list_instances().await {
            Ok(instances) => Some(object([("instances", Value::List(instances.iter().map(instance_value).collect()))])),
            Err(e) => {
                diags.push(cloud_error("Could not list the Identity Center instances", &e));
                None
            }
        }
    }
}
