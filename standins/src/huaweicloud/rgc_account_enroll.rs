//! `huaweicloud_rgc_account_enroll`, as the official provider has it.
//!
//! Schema and behaviour from huaweicloud/terraform-provider-huaweicloud
//! huaweicloud/services/rgc/resource_huaweicloud_rgc_account_enroll.go (last changed in
//! 32d191e9f5011e41e7a5d1577d2124ba44dd843e; read at main a0345b8dcc818aa80d932ec0802891222b0a22af),
//! with `accountStateRefreshFunc` and `buildBlueprintBodyParams` of resource_huaweicloud_rgc_account.go
//! and `FlexibleForceNew` of huaweicloud/config/force_new.go:
//!
//! - `region`: TypeString, Optional + Computed; `managed_account_id`, `parent_organizational_unit_id`:
//!   TypeString, Required (not ForceNew); `parent_organizational_unit_name`: TypeString, Optional;
//! - `blueprint`: TypeList, Optional, MaxItems 1 (a list block), of `blueprint_product_id`,
//!   `blueprint_product_version`, `variables` (TypeString, Optional) and
//!   `is_blueprint_has_multi_account_resource` (TypeBool, Optional, Default false);
//! - `landing_zone_version`, `manage_account_id`, `account_type`, `account_name`, `owner`,
//!   `stage`, `created_at`, `updated_at`: TypeString, Computed;
//! - `enable_force_new`: TypeString, Optional, "true" or "false";
//! - Timeouts: create 6h, delete 6h; schema version 0; importer ImportStatePassthroughContext;
//! - CustomizeDiff FlexibleForceNew(["managed_account_id"]): a change of it replaces the object
//!   when `enable_force_new = "true"`, and is an error otherwise;
//! - id = `managed_account_id`, set before waiting for the enroll operation;
//! - read: ShowManagedAccount (not found removes it); sets `region`, the computed attributes
//!   from the answer, `stage` from `state` — and `created_at` from `updated_at` (the official read
//!   sets `created_at` twice, so `updated_at` stays null);
//! - update: UpdateManagedAccount, waited on with the *create* timeout, then read;
//! - delete: UnEnrollAccount (not found is success), waited on with the delete timeout.
//!
//! The enroll body is tether's client's (`parent_organizational_unit_id` and `blueprint`); the
//! official one also sends `parent_organizational_unit_name`.

use std::time::Duration;

use tether::clouds::huawei::Blueprint;
use tether::clouds::huawei::rgc::{ENROLL_ACCOUNT_ACTION, UN_ENROLL_ACCOUNT_ACTION, UPDATE_MANAGED_ACCOUNT_ACTION};
use tether::framework::schema::{Attribute, Block, NestedBlock, Nesting};
use tether::framework::value::{Type, Value};

use super::{Huawei, poll_policy};
use crate::sdk::{ResourceData, SdkError, SdkResource, Timeouts, with_default};

pub struct AccountEnroll;

const COMPUTED: [&str; 8] = [
    "landing_zone_version",
    "manage_account_id",
    "account_type",
    "account_name",
    "owner",
    "stage",
    "created_at",
    "updated_at",
];

/// `buildBlueprintBodyParams`: the first `blueprint` element, empty values left out
/// (`utils.ValueIgnoreEmpty`, which also drops `false`).
fn blueprint(d: &ResourceData) -> Option<Blueprint> {
    let element = d.get("blueprint").elements()?.first()?.clone();
    let text = |name: &str| element.attr(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let variables = Some(text("variables")).filter(|v| !v.is_empty());
    let multi_account = element.attr("is_blueprint_has_multi_account_resource").and_then(Value::as_bool);
    Some(Blueprint {
        blueprint_product_id: text("blueprint_product_id"),
        blueprint_product_version: text("blueprint_product_version"),
        variables,
        is_blueprint_has_multi_account_resource: multi_account.filter(|m| *m),
    })
}

async fn wait(huawei: &Huawei, action: &str, operation: &str, timeout: Duration) -> Result<(), String> {
    huawei
        .clients
        .rgc
        .wait_operation_of(action, operation, timeout, &poll_policy(), None)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tonic::async_trait]
impl SdkResource<Huawei> for AccountEnroll {
    fn type_name(&self) -> &'static str {
        "huaweicloud_rgc_account_enroll"
    }

    fn schema(&self) -> Block {
        let blueprint = Block::default()
            .attribute(Attribute::optional("blueprint_product_id", Type::String))
            .attribute(Attribute::optional("blueprint_product_version", Type::String))
            .attribute(Attribute::optional("variables", Type::String))
            .attribute(with_default(Attribute::optional("is_blueprint_has_multi_account_resource", Type::Bool), false));
        let mut block = Block::default()
            .attribute(Attribute::optional_computed("region", Type::String))
            .attribute(Attribute::required("managed_account_id", Type::String))
            .attribute(Attribute::required("parent_organizational_unit_id", Type::String))
            .attribute(Attribute::optional("parent_organizational_unit_name", Type::String))
            .block(NestedBlock {
                type_name: "blueprint".into(),
                block: blueprint,
                nesting: Nesting::List,
                min_items: 0,
                max_items: 1,
            });
        for name in COMPUTED {
            block = block.attribute(Attribute::computed(name, Type::String));
        }
        block.attribute(Attribute::optional("enable_force_new", Type::String))
    }

    fn timeouts(&self) -> Timeouts {
        let six_hours = Some(Duration::from_secs(6 * 3600));
        Timeouts { create: six_hours, delete: six_hours, ..Default::default() }
    }

    fn validate(&self, config: &Value) -> Vec<SdkError> {
        match config.attr("enable_force_new").and_then(Value::as_str) {
            Some(value) if value != "true" && value != "false" => {
                vec![format!("expected enable_force_new to be one of [\"true\" \"false\"], got {value}")]
            }
            _ => Vec::new(),
        }
    }

    fn customize_diff(&self, prior: &Value, planned: &Value) -> Result<Vec<String>, SdkError> {
        let text = |v: &Value, name: &str| v.attr(name).and_then(Value::as_str).unwrap_or_default().to_string();
        // The provider-level enable_force_new is not offered by the stand-in: false.
        if text(planned, "enable_force_new").parse::<bool>().unwrap_or(false) {
            return Ok(vec!["managed_account_id".to_string()]);
        }
        let (old, new) = (text(prior, "managed_account_id"), text(planned, "managed_account_id"));
        if old == new {
            return Ok(Vec::new());
        }
        // go-multierror's format.
        Err(format!("1 error occurred:\n\t* managed_account_id can't be updated, {old} -> {new}\n\n"))
    }

    async fn create(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let account = d.get_string("managed_account_id");
        let operation = huawei
            .clients
            .rgc
            .enroll_account(&account, &d.get_string("parent_organizational_unit_id"), blueprint(d).as_ref())
            .await
            .map_err(|e| format!("error enrolling Account: {e}"))?;
        d.set_id(account.clone());
        wait(huawei, ENROLL_ACCOUNT_ACTION, &operation, d.timeout("create"))
            .await
            .map_err(|e| format!("error waiting for RGC account ({account}) to enroll: {e}"))?;
        self.read(huawei, d).await
    }

    async fn read(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let region = huawei.region(d);
        let found = huawei
            .clients
            .rgc
            .show_managed_account(d.id())
            .await
            .map_err(|e| format!("error retrieving Account: {e}"))?;
        let Some(account) = found else {
            d.set_id("");
            return Ok(());
        };
        d.set("region", region);
        d.set("landing_zone_version", account.landing_zone_version);
        d.set("manage_account_id", account.manage_account_id);
        d.set("account_type", account.account_type);
        d.set("account_name", account.account_name);
        d.set("owner", account.owner);
        d.set("stage", account.state);
        d.set("created_at", account.updated_at);
        Ok(())
    }

    async fn update(&self, huawei: &Huawei, d: &mut ResourceData) -> Option<Result<(), SdkError>> {
        let id = d.id().to_string();
        let started = huawei
            .clients
            .rgc
            .update_managed_account(
                &id,
                &d.get_string("parent_organizational_unit_id"),
                &d.get_string("parent_organizational_unit_name"),
                blueprint(d).as_ref(),
            )
            .await
            .map_err(|e| format!("error update Account: {e}"));
        let result = match started {
            Ok(operation) => wait(huawei, UPDATE_MANAGED_ACCOUNT_ACTION, &operation, d.timeout("create"))
                .await
                .map_err(|e| format!("error waiting for RGC account[{id}] to update: {e}")),
            Err(e) => Err(e),
        };
        Some(match result {
            Ok(()) => self.read(huawei, d).await,
            Err(e) => Err(e),
        })
    }

    async fn delete(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let id = d.id().to_string();
        let operation = match huawei.clients.rgc.un_enroll_account(&id).await {
            Ok(operation) => operation,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(format!("error un-enrolling Account: {e}")),
        };
        wait(huawei, UN_ENROLL_ACCOUNT_ACTION, &operation, d.timeout("delete"))
            .await
            .map_err(|e| format!("error waiting for RGC account ({id}) to un-enroll: {e}"))
    }
}
