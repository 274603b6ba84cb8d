//! The `tether` provider: its configuration (one block per cloud, with the official providers'
//! environment variables as fallbacks) and the resources it serves.

use std::sync::Arc;

use async_trait::async_trait;

use crate::clouds::tencent::{OrganizationClient, TencentConfig, TencentCredentials, ORGANIZATION_ENDPOINT};
use crate::clouds::{RetryPolicy, Secret};
use crate::framework::{
    Attribute, AttributePath, Block, DataSource, Diagnostic, Diagnostics, NestedBlock, Provider,
    Resource, Schema, Type, Value,
};
use crate::resources;

/// The configured provider: one client per cloud whose credentials were given. A cloud that
/// was not configured keeps the diagnostic to show when one of its resources is used.
pub struct Clients {
    tencent: Result<OrganizationClient, Diagnostic>,
}

impl Clients {
    pub fn tencent(&self) -> Result<&OrganizationClient, Diagnostic> {
        self.tencent.as_ref().map_err(Clone::clone)
    }
}

#[derive(Default)]
pub struct TetherProvider;

impl TetherProvider {
    pub fn new() -> Self {
        TetherProvider
    }
}

/// One setting of a cloud block: its attribute, environment fallback and description.
struct Setting {
    name: &'static str,
    env: Option<&'static str>,
    sensitive: bool,
    description: &'static str,
}

const TENCENT_BLOCK: &str = "tencentcloud";
const TENCENT_SETTINGS: &[Setting] = &[
    Setting { name: "secret_id", env: Some("TENCENTCLOUD_SECRET_ID"), sensitive: true, description: "Tencent Cloud API SecretId. Falls back to `TENCENTCLOUD_SECRET_ID`." },
    Setting { name: "secret_key", env: Some("TENCENTCLOUD_SECRET_KEY"), sensitive: true, description: "Tencent Cloud API SecretKey. Falls back to `TENCENTCLOUD_SECRET_KEY`." },
    Setting { name: "security_token", env: Some("TENCENTCLOUD_SECURITY_TOKEN"), sensitive: true, description: "Token of temporary credentials (STS), sent as `X-TC-Token`. Falls back to `TENCENTCLOUD_SECURITY_TOKEN`." },
    Setting { name: "region", env: Some("TENCENTCLOUD_REGION"), sensitive: false, description: "Region sent as `X-TC-Region`. The Organization API is global and does not need one. Falls back to `TENCENTCLOUD_REGION`." },
    Setting { name: "endpoint", env: None, sensitive: false, description: "Full URL of the Organization API, scheme included. Defaults to `https://organization.tencentcloudapi.com`; use `https://organization.intl.tencentcloudapi.com` for the international site, or `http://127.0.0.1:PORT` for the tether emulator." },
];

fn cloud_block(settings: &[Setting], description: &str) -> Block {
    settings.iter().fold(Block::new(description), |block, s| {
        let attribute = Attribute::optional(s.name, Type::String).description(s.description);
        block.attribute(if s.sensitive { attribute.sensitive() } else { attribute })
    })
}

/// Reads a string setting from the block, then its environment variable. Unknown values (not
/// yet known at plan time) count as absent here and are reported where they are needed.
fn setting(block: &Value, setting: &Setting) -> Option<String> {
    block
        .attr(setting.name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| setting.env.and_then(|env| std::env::var(env).ok()))
        .filter(|v| !v.is_empty())
}

fn missing(block: &str, setting: &Setting) -> Diagnostic {
    let from_env = setting.env.map(|env| format!(" or the {env} environment variable")).unwrap_or_default();
    Diagnostic::error(
        format!("Missing {block}.{}", setting.name),
        format!(
            "Set `{}` in the provider's `{block}` block{from_env}. Tencent Cloud resources need it.",
            setting.name
        ),
    )
    .at(AttributePath::root(block).attribute(setting.name))
}

/// Validates an endpoint URL: absolute, http or https, with a host.
pub fn check_endpoint(raw: &str, path: AttributePath) -> Result<url::Url, Diagnostic> {
    let invalid = |why: &str| {
        Diagnostic::error(
            "Invalid endpoint",
            format!("{raw:?} is not a usable endpoint: {why}. Expected a full URL with scheme, such as \"https://organization.tencentcloudapi.com\" or \"http://127.0.0.1:8080\"."),
        )
        .at(path.clone())
    };
    let url = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    Ok(url)
}

fn configure_tencent(config: &Value) -> Result<OrganizationClient, Diagnostic> {
    let block = config.attr(TENCENT_BLOCK).cloned().unwrap_or(Value::Null);
    let [secret_id, secret_key, security_token, region, endpoint] =
        std::array::from_fn(|i| setting(&block, &TENCENT_SETTINGS[i]));
    let secret_id = secret_id.ok_or_else(|| missing(TENCENT_BLOCK, &TENCENT_SETTINGS[0]))?;
    let secret_key = secret_key.ok_or_else(|| missing(TENCENT_BLOCK, &TENCENT_SETTINGS[1]))?;
    let endpoint = check_endpoint(
        endpoint.as_deref().unwrap_or(ORGANIZATION_ENDPOINT),
        AttributePath::root(TENCENT_BLOCK).attribute("endpoint"),
    )?;
    OrganizationClient::new(TencentConfig {
        credentials: TencentCredentials {
            secret_id,
            secret_key: Secret::new(secret_key),
            security_token: security_token.map(Secret::new),
        },
        region,
        endpoint,
        retry: RetryPolicy::default(),
    })
    .map_err(|e| Diagnostic::error("Could not set up the Tencent Cloud client", e.to_string()))
}

#[async_trait]
impl Provider for TetherProvider {
    type Data = Clients;

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            Block::new("The tether provider manages organization and identity bindings on Tencent Cloud, Huawei Cloud and ZStack. Each cloud is configured in its own block, needed only when a resource of that cloud is used; every setting falls back to the official provider's environment variable.")
                .block(NestedBlock::single(
                    TENCENT_BLOCK,
                    cloud_block(TENCENT_SETTINGS, "Tencent Cloud credentials and endpoint, for `tether_member_auth_binding`."),
                )),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let endpoint = config.attr(TENCENT_BLOCK).and_then(|b| b.attr("endpoint")).and_then(Value::as_str);
        if let Some(endpoint) = endpoint {
            if let Err(d) = check_endpoint(endpoint, AttributePath::root(TENCENT_BLOCK).attribute("endpoint")) {
                diags.push(d);
            }
        }
    }

    async fn configure(&self, config: &Value, _terraform_version: &str, diags: &mut Diagnostics) -> Option<Clients> {
        let tencent = configure_tencent(config);
        // A block the user wrote but left incomplete is an error now; a cloud left out entirely
        // only matters when one of its resources is used.
        // Values still unknown at this point (from other resources) are checked when used.
        let tencent_block_given = config
            .attr(TENCENT_BLOCK)
            .is_some_and(|b| !b.is_null() && b.is_wholly_known());
        if let (true, Err(d)) = (tencent_block_given, &tencent) {
            diags.push(d.clone());
        }
        Some(Clients { tencent })
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Clients>>> {
        vec![Arc::new(resources::member_auth_binding::MemberAuthBinding)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Clients>>> {
        Vec::new()
    }
}
