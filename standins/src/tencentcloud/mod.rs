//! The `registry.terraform.io/tencentcloudstack/tencentcloud` stand-in.
//!
//! Provider configuration: the official `secret_id`, `secret_key` (sensitive) and `region`
//! (optional strings; the official provider has many more, and falls back to `TENCENTCLOUD_*`
//! variables, which a test never relies on), plus the stand-in-only `endpoint`: the emulator's URL.

mod organization_policy_sub_account_attachment;

use tether::clouds::Secret;
use tether::clouds::tencent::{TencentConfig, TencentCredentials, TencentOrganizationClient};
use tether::framework::schema::{Attribute, Block};
use tether::framework::value::{Type, Value};
use tether::protocol::tfplugin6 as pb;

use crate::sdk::{ProviderSpec, SdkError};

pub fn provider() -> ProviderSpec<TencentOrganizationClient> {
    ProviderSpec {
        schema: Block::default()
            .attribute(Attribute::optional("secret_id", Type::String))
            .attribute(Attribute::optional("secret_key", Type::String).sensitive())
            .attribute(Attribute::optional("region", Type::String))
            .attribute(Attribute::optional("endpoint", Type::String)),
        // main.go serves the SDK provider through tf5muxserver (with a plugin-framework one),
        // and the mux announces every capability (terraform-plugin-mux v0.23.1,
        // tf5muxserver/server_capabilities.go); for SDK resources it answers destroy plans
        // itself and the SDK refuses MoveResourceState.
        capabilities: pb::ServerCapabilities {
            plan_destroy: true,
            get_provider_schema_optional: true,
            move_resource_state: true,
            generate_resource_config: true,
        },
        configure,
        resources: vec![Box::new(organization_policy_sub_account_attachment::Attachment)],
    }
}

fn configure(config: &Value) -> Result<TencentOrganizationClient, SdkError> {
    let text = |name: &str| config.attr(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(secret_id), Some(secret_key)) = (text("secret_id"), text("secret_key")) else {
        return Err("secret_id and secret_key are required".to_string());
    };
    let mut cfg =
        TencentConfig::new(TencentCredentials { secret_id, secret_key: Secret::new(secret_key), security_token: None });
    cfg.region = text("region");
    if let Some(endpoint) = text("endpoint") {
        cfg.endpoint = endpoint.parse().map_err(|e| format!("endpoint {endpoint:?} is not a URL: {e}"))?;
    }
    TencentOrganizationClient::new(cfg).map_err(|e| e.to_string())
}
