//! The `registry.terraform.io/huaweicloud/huaweicloud` stand-in.
//!
//! Provider configuration: the official `access_key`, `secret_key` (both sensitive), `region`,
//! `domain_id` and `project_id` (optional strings; the official provider has many more, and
//! falls back to `HW_*` variables, which a test never relies on), plus the stand-in-only
//! `endpoint`: the emulator's URL, used for every service.

mod identitycenter_account_assignment;
mod organizations_account_invite_accepter;
mod rgc_account_enroll;

use std::time::Duration;

use tether::clouds::huawei::{HuaweiClients, HuaweiConfig, HuaweiCredentials, HuaweiEndpoints};
use tether::clouds::{PollPolicy, Secret};
use tether::framework::schema::{Attribute, Block};
use tether::framework::value::{Type, Value};
use tether::protocol::tfplugin6 as pb;

use crate::sdk::{ProviderSpec, ResourceData, SdkError};

/// What every resource gets: the clients, and the provider's region (`cfg.GetRegion`).
pub struct Huawei {
    clients: HuaweiClients,
    region: String,
}

impl Huawei {
    /// `cfg.GetRegion(d)`: the resource's `region` when set, else the provider's.
    fn region(&self, d: &ResourceData) -> String {
        d.get_ok("region").and_then(Value::as_str).map_or_else(|| self.region.clone(), str::to_string)
    }
}

/// How the stand-ins poll RGC operations and Identity Center requests. The official resources
/// wait 10 s (RGC) and 1 s (Identity Center) before the first poll; a test fixture has no reason
/// to, and the emulator's operations take a second or two.
fn poll_policy() -> PollPolicy {
    PollPolicy {
        initial_delay: Duration::from_millis(200),
        interval: Duration::from_millis(500),
        max_interval: Duration::from_secs(2),
        multiplier: 1.5,
    }
}

pub fn provider() -> ProviderSpec<Huawei> {
    ProviderSpec {
        schema: Block::default()
            .attribute(Attribute::optional("access_key", Type::String).sensitive())
            .attribute(Attribute::optional("secret_key", Type::String).sensitive())
            .attribute(Attribute::optional("region", Type::String))
            .attribute(Attribute::optional("domain_id", Type::String))
            .attribute(Attribute::optional("project_id", Type::String))
            .attribute(Attribute::optional("endpoint", Type::String)),
        // main.go serves the SDK provider alone (plugin.Serve, terraform-plugin-sdk v2.39.0),
        // whose only capability is get_provider_schema_optional.
        capabilities: pb::ServerCapabilities { get_provider_schema_optional: true, ..Default::default() },
        configure,
        resources: vec![
            Box::new(rgc_account_enroll::AccountEnroll),
            Box::new(organizations_account_invite_accepter::InviteAccepter),
            Box::new(identitycenter_account_assignment::AccountAssignment),
        ],
    }
}

fn configure(config: &Value) -> Result<Huawei, SdkError> {
    let text = |name: &str| config.attr(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let (Some(access_key), Some(secret_key)) = (text("access_key"), text("secret_key")) else {
        return Err("access_key and secret_key are required".to_string());
    };
    let region = text("region").unwrap_or_else(|| tether::clouds::huawei::DEFAULT_REGION.to_string());
    let mut cfg = HuaweiConfig::new(
        HuaweiCredentials { access_key, secret_key: Secret::new(secret_key), security_token: None },
        region.clone(),
    );
    if let Some(endpoint) = text("endpoint") {
        let url = endpoint.parse().map_err(|e| format!("endpoint {endpoint:?} is not a URL: {e}"))?;
        cfg.endpoints = HuaweiEndpoints::single(url);
    }
    cfg.domain_id = text("domain_id");
    cfg.project_id = text("project_id");
    let clients = HuaweiClients::new(&cfg).map_err(|e| e.to_string())?;
    Ok(Huawei { clients, region })
}
