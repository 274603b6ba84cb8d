//! The `tether` provider: its configuration (one block per cloud, with the official providers'
//! environment variables as fallbacks) and the resources it serves.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;

use crate::clients::{Clients, HuaweiAccess};
use crate::clouds::http::{
    ClientSetupError, default_reqwest_client, is_loopback, load_ca_bundle, plain_http_reqwest_client, reqwest_client,
};
use crate::clouds::huawei::{DEFAULT_REGION, HuaweiClients, HuaweiConfig, HuaweiCredentials, HuaweiEndpoints};
use crate::clouds::ratelimit::RateLimiter;
use crate::clouds::tencent::{ORGANIZATION_ENDPOINT, TencentConfig, TencentCredentials, TencentOrganizationClient};
use crate::clouds::zstack::{ZStackAuth, ZStackClient, ZStackConfig};
use crate::clouds::{Cloud, HttpClient, RetryPolicy, Secret};
use crate::framework::operation::{self, Limits};
use crate::framework::timeouts::{MAX_DURATION, format_duration, parse_duration};
use crate::framework::{
    Action, Attribute, AttributePath, Block, DataSource, Diagnostic, Diagnostics, NestedBlock, Provider, Resource,
    Schema, Type, Value,
};
use crate::{actions, data_sources, resources};

#[derive(Default)]
pub struct TetherProvider;

impl TetherProvider {
    pub fn new() -> Self {
        TetherProvider
    }
}

/// One cloud's configuration block.
struct CloudBlock {
    name: &'static str,
    /// Who needs it, for messages: "Tencent Cloud resources".
    users: &'static str,
    description: &'static str,
    settings: &'static [Setting],
}

/// One setting of a cloud block: its attribute, environment fallback and description.
struct Setting {
    name: &'static str,
    env: Option<&'static str>,
    sensitive: bool,
    description: &'static str,
}

const TENCENT: CloudBlock = CloudBlock {
    name: "tencentcloud",
    users: "Tencent Cloud resources",
    description: "Tencent Cloud credentials and endpoint, for `tether_member_auth_binding` and `tether_member_policies`.",
    settings: &[
        Setting {
            name: "secret_id",
            env: Some("TENCENTCLOUD_SECRET_ID"),
            sensitive: true,
            description: "Tencent Cloud API SecretId. Falls back to `TENCENTCLOUD_SECRET_ID`.",
        },
        Setting {
            name: "secret_key",
            env: Some("TENCENTCLOUD_SECRET_KEY"),
            sensitive: true,
            description: "Tencent Cloud API SecretKey. Falls back to `TENCENTCLOUD_SECRET_KEY`.",
        },
        Setting {
            name: "security_token",
            env: Some("TENCENTCLOUD_SECURITY_TOKEN"),
            sensitive: true,
            description: "Token of temporary credentials (STS), sent as `X-TC-Token`. Falls back to `TENCENTCLOUD_SECURITY_TOKEN` only when neither `secret_id` nor `secret_key` is set in this block: a token goes with the keys it was issued for.",
        },
        Setting {
            name: "region",
            env: Some("TENCENTCLOUD_REGION"),
            sensitive: false,
            description: "Region sent as `X-TC-Region`. The Organization API is global and does not need one. Falls back to `TENCENTCLOUD_REGION`.",
        },
        Setting {
            name: "endpoint",
            env: None,
            sensitive: false,
            description: "Full URL of the Organization API, scheme included. Defaults to `https://organization.tencentcloudapi.com`; use `https://organization.intl.tencentcloudapi.com` for the international site, or `http://127.0.0.1:PORT` for the tether emulator. Plain `http://` to any other host sends the request signatures (and `X-TC-Token`) unencrypted, and the plan warns about it.",
        },
        Setting {
            name: CA_CERT_FILE,
            env: Some("TENCENTCLOUD_CA_CERT_FILE"),
            sensitive: false,
            description: CA_CERT_FILE_DESCRIPTION_TENCENT,
        },
    ],
};

const HUAWEI: CloudBlock = CloudBlock {
    name: "huaweicloud",
    users: "Huawei Cloud resources",
    description: "Huawei Cloud credentials (AK/SK) and endpoints, for `tether_organization_membership`, `tether_rgc_managed_account` and `tether_identity_center_profile_association`. For `tether_organization_membership`, these are the *member* account's credentials: configure it through a provider alias.",
    settings: &[
        Setting {
            name: "access_key",
            env: Some("HW_ACCESS_KEY"),
            sensitive: true,
            description: "Access key (AK). Falls back to `HW_ACCESS_KEY`.",
        },
        Setting {
            name: "secret_key",
            env: Some("HW_SECRET_KEY"),
            sensitive: true,
            description: "Secret key (SK). Falls back to `HW_SECRET_KEY`.",
        },
        Setting {
            name: "security_token",
            env: Some("HW_SECURITY_TOKEN"),
            sensitive: true,
            description: "Security token of temporary credentials, sent as `X-Security-Token`. Falls back to `HW_SECURITY_TOKEN` only when neither `access_key` nor `secret_key` is set in this block: a token goes with the keys it was issued for.",
        },
        Setting {
            name: "region",
            env: Some("HW_REGION_NAME"),
            sensitive: false,
            description: "Region of the RGC endpoint, such as `cn-north-4` (the default). Falls back to `HW_REGION_NAME`.",
        },
        Setting {
            name: "domain_id",
            env: Some("HW_DOMAIN_ID"),
            sensitive: false,
            description: "Account (domain) ID, sent as `X-Domain-Id` to the global services (Organizations, Identity Center); required for their resources. Falls back to `HW_DOMAIN_ID`.",
        },
        Setting {
            name: "project_id",
            env: Some("HW_PROJECT_ID"),
            sensitive: false,
            description: "Project ID of the region, sent as `X-Project-Id` to RGC; required for `tether_rgc_managed_account`. Falls back to `HW_PROJECT_ID`.",
        },
        Setting {
            name: CA_CERT_FILE,
            env: Some("HW_CA_CERT_FILE"),
            sensitive: false,
            description: CA_CERT_FILE_DESCRIPTION_HUAWEI,
        },
    ],
};

const ZSTACK: CloudBlock = CloudBlock {
    name: "zstack",
    users: "ZStack resources",
    description: "ZStack management node and credentials, for `tether_iam2_project_organization`. Authenticate either with an account (`account_name` and `account_password`; the provider logs in once per run, shares the session, logs in again once if it expires, and logs out when Terraform is done) or with an AccessKey (`access_key_id` and `access_key_secret`). The block's choice wins over the environment: a block that sets only one way ignores the `ZSTACK_*` variables of the other.",
    settings: &[
        Setting {
            name: "endpoint",
            env: Some("ZSTACK_ENDPOINT"),
            sensitive: false,
            description: "Base URL of the management node's API, scheme included, such as `https://zstack.example.com` (the `/zstack/v1/...` paths are appended). Plain `http://` to any host but this machine sends the login's password digest and the session id (or the AccessKey signatures) unencrypted, and the plan warns about it. Falls back to `ZSTACK_ENDPOINT`.",
        },
        Setting {
            name: CA_CERT_FILE,
            env: Some("ZSTACK_CA_CERT_FILE"),
            sensitive: false,
            description: CA_CERT_FILE_DESCRIPTION_ZSTACK,
        },
        Setting {
            name: "account_name",
            env: Some("ZSTACK_ACCOUNT_NAME"),
            sensitive: false,
            description: "Account to log in as. Falls back to `ZSTACK_ACCOUNT_NAME`.",
        },
        Setting {
            name: "account_password",
            env: Some("ZSTACK_ACCOUNT_PASSWORD"),
            sensitive: true,
            description: "The account's password (sent only as its SHA-512 digest, as ZStack's login expects). Falls back to `ZSTACK_ACCOUNT_PASSWORD`.",
        },
        Setting {
            name: "access_key_id",
            env: Some("ZSTACK_ACCESS_KEY_ID"),
            sensitive: true,
            description: "AccessKey ID, instead of an account login. Falls back to `ZSTACK_ACCESS_KEY_ID`.",
        },
        Setting {
            name: "access_key_secret",
            env: Some("ZSTACK_ACCESS_KEY_SECRET"),
            sensitive: true,
            description: "AccessKey secret. Falls back to `ZSTACK_ACCESS_KEY_SECRET`.",
        },
    ],
};

const CA_CERT_FILE: &str = "ca_cert_file";

/// One description per cloud, as each names its own environment variable.
macro_rules! ca_cert_file_description {
    ($env:literal) => {
        concat!(
            "Path to a PEM file of CA certificates to trust for this cloud's `https://` endpoints, in addition to the system's CA store: the private CA that issued the endpoint's certificate, or a self-signed certificate itself (one not marked as a CA). Read when the provider is configured; a missing file, or one with no readable certificate, is an error. Falls back to `",
            $env,
            "`. There is deliberately no option to skip certificate verification."
        )
    };
}
const CA_CERT_FILE_DESCRIPTION_TENCENT: &str = ca_cert_file_description!("TENCENTCLOUD_CA_CERT_FILE");
const CA_CERT_FILE_DESCRIPTION_HUAWEI: &str = ca_cert_file_description!("HW_CA_CERT_FILE");
const CA_CERT_FILE_DESCRIPTION_ZSTACK: &str = ca_cert_file_description!("ZSTACK_CA_CERT_FILE");

const PROTECT: &str = "protect";
const MAX_RETRIES: &str = "max_retries";
const RETRY_MAX_WAIT: &str = "retry_max_wait";
const REQUESTS_PER_SECOND: &str = "requests_per_second";
const READ_TIMEOUT: &str = "read_timeout";
/// How long ending the ZStack session may hold the provider's shutdown.
const LOGOUT_LIMIT: Duration = Duration::from_millis(1500);
const WRITE_TIMEOUT: &str = "write_timeout";

/// Retries after the first attempt, unless `max_retries` says otherwise.
const DEFAULT_MAX_RETRIES: u32 = 5;
const MAX_MAX_RETRIES: u32 = 20;
const DEFAULT_RETRY_MAX_WAIT: Duration = Duration::from_secs(30);
const MAX_RETRY_MAX_WAIT: Duration = Duration::from_secs(10 * 60);
const MAX_REQUESTS_PER_SECOND: u32 = 1000;

/// Each cloud's default pace per action: Tencent Cloud publishes 20 requests per second for each
/// Organization action; Huawei Cloud and ZStack publish no limit for these APIs, so they are
/// paced only when configured.
fn default_requests_per_second(cloud: &CloudBlock) -> u32 {
    if cloud.name == TENCENT.name { 20 } else { 0 }
}

const HUAWEI_ENDPOINTS: &[(&str, &str)] = &[
    ("organizations", "Organizations endpoint. Default `https://organizations.myhuaweicloud.com`."),
    ("rgc", "RGC endpoint. Default `https://rgc.<region>.myhuaweicloud.com`."),
    ("identitycenter", "IAM Identity Center endpoint. Default `https://identitycenter.myhuaweicloud.com`."),
];

fn cloud_block(cloud: &CloudBlock) -> Block {
    let pace = match default_requests_per_second(cloud) {
        0 => {
            "By default calls are not paced (no limit is published); 429 / throttling answers are retried with backoff."
                .to_string()
        }
        n => format!("Default {n}, the published limit."),
    };
    cloud
        .settings
        .iter()
        .fold(Block::new(cloud.description), |block, s| {
            let attribute = Attribute::optional(s.name, Type::String).description(s.description);
            block.attribute(if s.sensitive { attribute.sensitive() } else { attribute })
        })
        .attribute(Attribute::optional(REQUESTS_PER_SECOND, Type::Number).description(&format!(
            "Client-side limit of calls per second {per}, shared by every concurrent operation of this provider configuration, so a large apply is not throttled into failure. {pace} A throttled answer halves the pace (down to 1 call/s) and successes raise it back to this limit, so several Terraform runs on one account share its limit instead of failing. `0` turns pacing off.",
            per = if cloud.name == HUAWEI.name { "for all APIs together (Huawei's gateway limits each access key, not each API)" } else { "to each API action" },
        )))
}

/// How calls are retried and paced, from the provider configuration.
struct CallSettings {
    retry: RetryPolicy,
    /// One connection pool for every cloud of this configuration that trusts only the system's
    /// CA store; built when the first cloud needs it, so a machine without a CA store can still
    /// reach plain-`http://` endpoints (the emulator).
    http: OnceLock<Result<reqwest::Client, ClientSetupError>>,
}

impl CallSettings {
    fn from_config(config: &Value) -> Result<Self, Diagnostic> {
        let max_retries =
            whole_number(config, &AttributePath::root(MAX_RETRIES), MAX_MAX_RETRIES)?.unwrap_or(DEFAULT_MAX_RETRIES);
        let max_wait = retry_max_wait(config)?.unwrap_or(DEFAULT_RETRY_MAX_WAIT);
        Ok(CallSettings {
            retry: RetryPolicy { max_retries, max_wait, ..RetryPolicy::default() },
            http: OnceLock::new(),
        })
    }

    /// The HTTP client for `cloud`, whose calls go to `endpoints`: trusting its block's
    /// `ca_cert_file` as well as the system's CA store, and paced per its `requests_per_second`.
    fn http_client(
        &self,
        config: &Value,
        cloud: &CloudBlock,
        kind: Cloud,
        endpoints: &[&url::Url],
    ) -> Result<HttpClient, Diagnostic> {
        let path = AttributePath::root(cloud.name).attribute(REQUESTS_PER_SECOND);
        let block = block_of(config, cloud);
        let per_second =
            whole_number(block, &path, MAX_REQUESTS_PER_SECOND)?.unwrap_or_else(|| default_requests_per_second(cloud));
        let client = self.reqwest_client(block, cloud, endpoints)?;
        // Huawei Cloud's API gateway counts the calls of one access key together, whatever the
        // API (`APIG.0308 ... policy user over ratelimit`); Tencent Cloud counts each action.
        let limiter = if cloud.name == HUAWEI.name {
            RateLimiter::per_credential(per_second)
        } else {
            RateLimiter::per_action(per_second)
        };
        Ok(HttpClient::with_client(kind, client).with_rate_limit(limiter))
    }

    fn reqwest_client(
        &self,
        block: &Value,
        cloud: &CloudBlock,
        endpoints: &[&url::Url],
    ) -> Result<reqwest::Client, Diagnostic> {
        let path = AttributePath::root(cloud.name).attribute(CA_CERT_FILE);
        let env = find_setting(cloud, CA_CERT_FILE).env.expect("ca_cert_file has an environment variable");
        let setup_failed = |e: ClientSetupError| {
            Diagnostic::error(format!("Could not set up the {} HTTP client", cloud.name), e.to_string())
        };
        if let Some(file) = setting(block, cloud, CA_CERT_FILE) {
            let roots = load_ca_bundle(Path::new(&file)).map_err(|why| {
                Diagnostic::error(format!("Invalid {}.{CA_CERT_FILE}", cloud.name), format!("{why}. Set by `{CA_CERT_FILE}` in the provider's `{}` block or the {env} environment variable.", cloud.name))
                    .at(path.clone())
            })?;
            return reqwest_client(&roots).map_err(|e| setup_failed(e).at(path));
        }
        match self.http.get_or_init(default_reqwest_client) {
            Ok(client) => Ok(client.clone()),
            // Nothing of this cloud needs TLS: no CA store is needed either.
            Err(ClientSetupError::NoSystemRoots) if endpoints.iter().all(|url| url.scheme() == "http") => {
                plain_http_reqwest_client().map_err(setup_failed)
            }
            Err(e @ ClientSetupError::NoSystemRoots) => {
                let hosts: Vec<String> = endpoints
                    .iter()
                    .filter(|url| url.scheme() == "https")
                    .map(|url| crate::clouds::http::host_header(url))
                    .collect();
                Err(Diagnostic::error(
                    format!("No CA certificates to trust {}", hosts.join(", ")),
                    format!("{e}, so the certificate of {} cannot be verified. Install the system's CA certificates (the ca-certificates package), or set `{CA_CERT_FILE}` in the provider's `{}` block (or {env}) to a PEM file holding the CA that issued it.", hosts.join(", "), cloud.name),
                )
                .at(path))
            }
            Err(e) => Err(setup_failed(e.clone())),
        }
    }
}

/// The warning for a cloud whose credentials would cross the network unencrypted: `http://`
/// endpoints to a host other than this machine. `endpoints` are the cloud's endpoints with
/// their attribute paths; `what` says what travels in the clear, for this cloud and
/// authentication. Each cloud has its own summary, so Terraform does not fold the warnings of
/// different clouds into one.
fn cleartext_warning(cloud: Cloud, endpoints: &[(AttributePath, &url::Url)], what: &str) -> Option<Diagnostic> {
    let exposed: Vec<&(AttributePath, &url::Url)> =
        endpoints.iter().filter(|(_, url)| url.scheme() == "http" && !is_loopback(url)).collect();
    let (first_path, _) = exposed.first()?;
    let mut hosts: Vec<String> = exposed.iter().map(|(_, url)| crate::clouds::http::host_header(url)).collect();
    hosts.dedup();
    let attributes: Vec<String> = exposed.iter().map(|(path, _)| path.to_string()).collect();
    Some(
        Diagnostic::warning(
            format!("{cloud} credentials would travel unencrypted"),
            format!(
                "{} {} plain http:// to {}, so {what} cross the network unencrypted: anyone on the path can read them and act with them. Use an https:// endpoint (with `ca_cert_file` if its certificate is private). Plain http is accepted silently only for this machine (localhost, 127.0.0.0/8, ::1), such as the tether emulator.",
                attributes.join(", "),
                if attributes.len() == 1 { "uses" } else { "use" },
                hosts.join(", ")
            ),
        )
        .at((*first_path).clone()),
    )
}

/// A whole-number setting in `0..=max` at the last step of `path` within `value`, if set and known.
fn whole_number(value: &Value, path: &AttributePath, max: u32) -> Result<Option<u32>, Diagnostic> {
    let Some(crate::framework::diag::PathStep::Attribute(name)) = path.0.last() else { return Ok(None) };
    let Some(number) = value.attr(name).filter(|v| v.is_known() && !v.is_null()) else { return Ok(None) };
    let invalid = || {
        Diagnostic::error(
            format!("Invalid {path}"),
            format!(
                "{path} must be a whole number from 0 to {max}; got {}.",
                number.as_number().map(|n| n.to_string()).unwrap_or_else(|| "a non-number".into())
            ),
        )
        .at(path.clone())
    };
    let n = number.as_number().and_then(|n| n.as_u64()).ok_or_else(invalid)?;
    u32::try_from(n).ok().filter(|n| *n <= max).map(Some).ok_or_else(invalid)
}

/// `read_timeout` or `write_timeout`, if set.
fn limit(config: &Value, name: &str) -> Result<Option<Duration>, Diagnostic> {
    let Some(text) = config.attr(name).and_then(Value::as_str) else { return Ok(None) };
    parse_duration(text).map(Some).map_err(|why| {
        Diagnostic::error(
            format!("Invalid {name}"),
            format!("{text:?} is not a usable time limit: {why}. Expected a duration such as \"90s\", \"5m\" or \"1h\" (units ms, s, m, h), at most {}.", format_duration(MAX_DURATION)),
        )
        .at(AttributePath::root(name))
    })
}

fn retry_max_wait(config: &Value) -> Result<Option<Duration>, Diagnostic> {
    let Some(text) = config.attr(RETRY_MAX_WAIT).and_then(Value::as_str) else { return Ok(None) };
    let invalid = |why: String| {
        Diagnostic::error(
            format!("Invalid {RETRY_MAX_WAIT}"),
            format!(
                "{text:?} is not a usable wait: {why}. Expected a duration from 1s to {}, such as \"30s\" or \"2m\".",
                format_duration(MAX_RETRY_MAX_WAIT)
            ),
        )
        .at(AttributePath::root(RETRY_MAX_WAIT))
    };
    let wait = parse_duration(text).map_err(invalid)?;
    if wait < Duration::from_secs(1) || wait > MAX_RETRY_MAX_WAIT {
        return Err(invalid("it is out of range".into()));
    }
    Ok(Some(wait))
}

fn find_setting(cloud: &CloudBlock, name: &str) -> &'static Setting {
    cloud.settings.iter().find(|s| s.name == name).expect("setting is declared")
}

/// Reads a string setting from the block, then its environment variable. Unknown values (not
/// yet known at plan time) count as absent here and are reported where they are needed.
fn setting(block: &Value, cloud: &CloudBlock, name: &str) -> Option<String> {
    let setting = find_setting(cloud, name);
    block
        .attr(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| setting.env.and_then(|env| std::env::var(env).ok()))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the block itself sets `name` (to something other than blanks), environment aside.
fn written(block: &Value, name: &str) -> bool {
    block.attr(name).and_then(Value::as_str).is_some_and(|v| !v.trim().is_empty())
}

/// A session token goes with the keys it was issued for: from the environment only when the
/// keys come from there too. Otherwise a token exported for one provider alias (or one account)
/// would be sent with another alias's permanent keys, and the cloud would refuse them.
fn security_token(block: &Value, cloud: &CloudBlock, keys: [&str; 2]) -> Option<Secret> {
    let token = if keys.iter().any(|key| written(block, key)) {
        block.attr("security_token").and_then(Value::as_str).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    } else {
        setting(block, cloud, "security_token")
    };
    token.map(Secret::new)
}

fn missing(cloud: &CloudBlock, name: &str) -> Diagnostic {
    let setting = find_setting(cloud, name);
    let from_env = setting.env.map(|env| format!(" or the {env} environment variable")).unwrap_or_default();
    Diagnostic::error(
        format!("Missing {}.{name}", cloud.name),
        format!("Set `{name}` in the provider's `{}` block{from_env}. {} need it.", cloud.name, cloud.users),
    )
    .at(AttributePath::root(cloud.name).attribute(name))
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

fn block_of<'a>(config: &'a Value, cloud: &CloudBlock) -> &'a Value {
    static NULL: Value = Value::Null;
    config.attr(cloud.name).unwrap_or(&NULL)
}

fn configure_tencent(
    config: &Value,
    settings: &CallSettings,
    warnings: &mut Vec<Diagnostic>,
) -> Result<TencentOrganizationClient, Diagnostic> {
    let block = block_of(config, &TENCENT);
    let get = |name| setting(block, &TENCENT, name);
    let secret_id = get("secret_id").ok_or_else(|| missing(&TENCENT, "secret_id"))?;
    let secret_key = get("secret_key").ok_or_else(|| missing(&TENCENT, "secret_key"))?;
    let endpoint = check_endpoint(
        get("endpoint").as_deref().unwrap_or(ORGANIZATION_ENDPOINT),
        AttributePath::root(TENCENT.name).attribute("endpoint"),
    )?;
    let http = settings.http_client(config, &TENCENT, Cloud::Tencent, &[&endpoint])?;
    let security_token = security_token(block, &TENCENT, ["secret_id", "secret_key"]);
    let what = if security_token.is_some() {
        "every request's TC3-HMAC-SHA256 signature (with the SecretId), the temporary credentials' session token (X-TC-Token) and the organization data in requests and answers"
    } else {
        "every request's TC3-HMAC-SHA256 signature (with the SecretId) and the organization data in requests and answers"
    };
    let warning = cleartext_warning(
        Cloud::Tencent,
        &[(AttributePath::root(TENCENT.name).attribute("endpoint"), &endpoint)],
        what,
    );
    let client = TencentOrganizationClient::with_http_client(
        TencentConfig {
            credentials: TencentCredentials { secret_id, secret_key: Secret::new(secret_key), security_token },
            region: get("region"),
            endpoint,
            retry: settings.retry,
            coalescing: Default::default(),
        },
        http,
    )
    .map_err(|e| Diagnostic::error("Could not set up the Tencent Cloud client", e.to_string()))?;
    warnings.extend(warning);
    Ok(client)
}

fn configure_huawei(
    config: &Value,
    settings: &CallSettings,
    warnings: &mut Vec<Diagnostic>,
) -> Result<HuaweiAccess, Diagnostic> {
    let block = block_of(config, &HUAWEI);
    let get = |name| setting(block, &HUAWEI, name);
    let access_key = get("access_key").ok_or_else(|| missing(&HUAWEI, "access_key"))?;
    let secret_key = get("secret_key").ok_or_else(|| missing(&HUAWEI, "secret_key"))?;
    let region = get("region").unwrap_or_else(|| DEFAULT_REGION.to_string());
    if !crate::clouds::huawei::is_valid_region(&region) {
        return Err(Diagnostic::error(
            "Invalid huaweicloud.region",
            format!(
                "{region:?} is not a Huawei Cloud region ID; expected one such as \"cn-north-4\" or \"ap-southeast-1\"."
            ),
        )
        .at(AttributePath::root(HUAWEI.name).attribute("region")));
    }
    let mut endpoints = HuaweiEndpoints::for_region(&region);
    let overrides = block.attr("endpoints").cloned().unwrap_or(Value::Null);
    for (name, _) in HUAWEI_ENDPOINTS {
        if let Some(raw) = overrides.attr(name).and_then(Value::as_str) {
            let url = check_endpoint(raw, AttributePath::root(HUAWEI.name).attribute("endpoints").attribute(name))?;
            match *name {
                "organizations" => endpoints.organizations = url,
                "rgc" => endpoints.rgc = url,
                _ => endpoints.identitycenter = url,
            }
        }
    }
    let domain_id = get("domain_id");
    let project_id = get("project_id");
    let http = settings.http_client(
        config,
        &HUAWEI,
        Cloud::Huawei,
        &[&endpoints.organizations, &endpoints.rgc, &endpoints.identitycenter],
    )?;
    let security_token = security_token(block, &HUAWEI, ["access_key", "secret_key"]);
    let what = if security_token.is_some() {
        "every request's SDK-HMAC-SHA256 signature (with the access key), the temporary credentials' security token (X-Security-Token) and the organization data in requests and answers"
    } else {
        "every request's SDK-HMAC-SHA256 signature (with the access key) and the organization data in requests and answers"
    };
    let endpoint_path = |name: &str| AttributePath::root(HUAWEI.name).attribute("endpoints").attribute(name);
    let warning = cleartext_warning(
        Cloud::Huawei,
        &[
            (endpoint_path("organizations"), &endpoints.organizations),
            (endpoint_path("rgc"), &endpoints.rgc),
            (endpoint_path("identitycenter"), &endpoints.identitycenter),
        ],
        what,
    );
    let config = HuaweiConfig {
        credentials: HuaweiCredentials { access_key, secret_key: Secret::new(secret_key), security_token },
        region,
        domain_id: domain_id.clone(),
        project_id: project_id.clone(),
        endpoints,
        retry: settings.retry,
    };
    let clients = HuaweiClients::with_http_client(&config, http)
        .map_err(|e| Diagnostic::error("Could not set up the Huawei Cloud clients", e.to_string()))?;
    warnings.extend(warning);
    Ok(HuaweiAccess {
        clients,
        domain_id: domain_id.map(drop).ok_or_else(|| missing(&HUAWEI, "domain_id")),
        project_id: project_id.map(drop).ok_or_else(|| missing(&HUAWEI, "project_id")),
    })
}

fn configure_zstack(
    config: &Value,
    settings: &CallSettings,
    warnings: &mut Vec<Diagnostic>,
) -> Result<ZStackClient, Diagnostic> {
    let block = block_of(config, &ZSTACK);
    let get = |name| setting(block, &ZSTACK, name);
    let endpoint = get("endpoint").ok_or_else(|| missing(&ZSTACK, "endpoint"))?;
    let endpoint = check_endpoint(&endpoint, AttributePath::root(ZSTACK.name).attribute("endpoint"))?;
    // The block's choice of authentication beats the environment: a block that sets only one
    // way ignores the other way's ZSTACK_* variables (which may be meant for another alias),
    // instead of finding two ways. The environment fills in only the way the block chose.
    let account_in_block = written(block, "account_name") || written(block, "account_password");
    let key_in_block = written(block, "access_key_id") || written(block, "access_key_secret");
    let (use_account, use_key) = match (account_in_block, key_in_block) {
        (true, false) => (true, false),
        (false, true) => (false, true),
        _ => (true, true),
    };
    let account = if use_account { (get("account_name"), get("account_password")) } else { (None, None) };
    let access_key = if use_key { (get("access_key_id"), get("access_key_secret")) } else { (None, None) };
    let auth = match (account, access_key) {
        ((Some(_), Some(_)), (Some(_), Some(_))) => {
            return Err(Diagnostic::error(
                "Two ways to authenticate to ZStack",
                "Both an account (account_name, account_password) and an AccessKey (access_key_id, access_key_secret) are set, in the zstack block or the ZSTACK_* environment variables. Set only one of them.",
            )
            // A path that ends at an attribute: Terraform can then point at the line in the
            // zstack block (a path ending at the block itself only reaches the provider block).
            .at(AttributePath::root(ZSTACK.name).attribute("access_key_id")));
        }
        ((Some(account_name), Some(password)), _) => {
            ZStackAuth::Account { account_name, password: Secret::new(password) }
        }
        (_, (Some(access_key_id), Some(secret))) => {
            ZStackAuth::AccessKey { access_key_id, access_key_secret: Secret::new(secret) }
        }
        ((Some(_), None), _) => return Err(missing(&ZSTACK, "account_password")),
        ((None, Some(_)), _) => return Err(missing(&ZSTACK, "account_name")),
        (_, (Some(_), None)) => return Err(missing(&ZSTACK, "access_key_secret")),
        (_, (None, Some(_))) => return Err(missing(&ZSTACK, "access_key_id")),
        _ => {
            return Err(Diagnostic::error(
                "Missing ZStack credentials",
                "Set account_name and account_password (or ZSTACK_ACCOUNT_NAME and ZSTACK_ACCOUNT_PASSWORD), or access_key_id and access_key_secret (or ZSTACK_ACCESS_KEY_ID and ZSTACK_ACCESS_KEY_SECRET), in the provider's zstack block. ZStack resources need them.",
            )
            .at(AttributePath::root(ZSTACK.name).attribute("account_name")));
        }
    };
    let http = settings.http_client(config, &ZSTACK, Cloud::ZStack, &[&endpoint])?;
    let what = match &auth {
        ZStackAuth::Account { .. } => {
            "the login's password digest (SHA-512 of the password, which ZStack accepts in place of the password), the session id on every call and the organization data in requests and answers"
        }
        ZStackAuth::AccessKey { .. } => {
            "every request's AccessKey signature (with the AccessKey ID) and the organization data in requests and answers"
        }
    };
    let warning =
        cleartext_warning(Cloud::ZStack, &[(AttributePath::root(ZSTACK.name).attribute("endpoint"), &endpoint)], what);
    let client = ZStackClient::with_http_client(ZStackConfig { endpoint, auth, retry: settings.retry }, http)
        .map_err(|e| Diagnostic::error("Could not set up the ZStack client", e.to_string()))?;
    warnings.extend(warning);
    Ok(client)
}

/// A block the user wrote (with every value known) but left incomplete is an error at
/// configure time; a cloud left out entirely only matters when one of its resources is used.
fn report_if_written<T>(config: &Value, cloud: &CloudBlock, result: &Result<T, Diagnostic>, diags: &mut Diagnostics) {
    let written = config.attr(cloud.name).is_some_and(|b| !b.is_null() && b.is_wholly_known());
    if let (true, Err(d)) = (written, result) {
        diags.push(d.clone());
    }
}

fn validate_endpoint_at(config: &Value, path: &[&str], diags: &mut Diagnostics) {
    let mut value = config;
    for step in path {
        match value.attr(step) {
            Some(next) => value = next,
            None => return,
        }
    }
    if let Some(raw) = value.as_str() {
        let attribute_path = path[1..].iter().fold(AttributePath::root(path[0]), |p, s| p.attribute(s));
        if let Err(d) = check_endpoint(raw, attribute_path) {
            diags.push(d);
        }
    }
}

#[async_trait]
impl Provider for TetherProvider {
    type Data = Clients;

    fn schema(&self) -> Schema {
        let endpoints = HUAWEI_ENDPOINTS.iter().fold(
            Block::new("Endpoint overrides, full URLs with scheme (`http://127.0.0.1:PORT` for the tether emulator, which serves all three)."),
            |block, (name, description)| block.attribute(Attribute::optional(name, Type::String).description(description)),
        );
        Schema::new(
            0,
            Block::new("The tether provider manages organization and identity bindings on Tencent Cloud, Huawei Cloud and ZStack. Each cloud is configured in its own block, needed only when a resource of that cloud is used; every credential falls back to the official provider's environment variable.")
                .attribute(Attribute::optional(PROTECT, Type::list(Type::String)).description("Resource types whose destroy (or replacement) this configuration forbids outright, such as `[\"tether_organization_membership\"]`: any plan that would destroy one fails, saying how to lift the protection. Action types listed here, such as `\"tether_organizations_leave\"`, can be neither planned nor invoked through this configuration. Per resource, `detach_on_destroy = false` makes destroy only forget the binding instead. Default: none, every destroy and action is allowed."))
                .attribute(Attribute::optional(MAX_RETRIES, Type::Number).description(&format!("How many times a failed call is retried when the cloud says it may be (throttling, 429, 5xx, connection failures other than a refused connection; writes only when the request certainly did not take effect), with exponential backoff and full jitter. Default {DEFAULT_MAX_RETRIES}; `0` disables retrying; at most {MAX_MAX_RETRIES}.")))
                .attribute(Attribute::optional(READ_TIMEOUT, Type::String).description(&format!("How long one refresh, import, plan-time check, data source or `terraform query` list may take, every request, retry and wait included, such as `\"2m\"`; at most {}. Default `{}`.", format_duration(MAX_DURATION), format_duration(operation::READ_TIMEOUT))))
                .attribute(Attribute::optional(WRITE_TIMEOUT, Type::String).description(&format!("How long one create or destroy of a resource type without a `timeouts` block (`tether_member_auth_binding`, `tether_organization_membership`) may take, every request, retry and wait included; at most {}. Default `{}`. Resources with a `timeouts` block use it instead.", format_duration(MAX_DURATION), format_duration(operation::WRITE_TIMEOUT))))
                .attribute(Attribute::optional(RETRY_MAX_WAIT, Type::String).description(&format!("The longest single wait between retries, such as `\"30s\"` (the default) or `\"2m\"`; from 1s to {}.", format_duration(MAX_RETRY_MAX_WAIT))))
                .block(NestedBlock::single(TENCENT.name, cloud_block(&TENCENT)))
                .block(NestedBlock::single(HUAWEI.name, cloud_block(&HUAWEI).block(NestedBlock::single("endpoints", endpoints))))
                .block(NestedBlock::single(ZSTACK.name, cloud_block(&ZSTACK))),
        )
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        let mut known: Vec<&str> = self.resources().iter().map(|r| r.type_name()).collect();
        known.extend(self.actions().iter().map(|a| a.type_name()));
        for (index, entry) in config.attr(PROTECT).and_then(Value::elements).unwrap_or_default().iter().enumerate() {
            if let Some(name) = entry.as_str().filter(|name| !known.contains(name)) {
                diags.push(
                    Diagnostic::error(
                        "Unknown resource or action type in protect",
                        format!(
                            "{name:?} is not a resource or action type of this provider; expected one of {}.",
                            known.join(", ")
                        ),
                    )
                    .at(AttributePath::root(PROTECT).index(index as i64)),
                );
            }
        }
        let mut checks = vec![
            whole_number(config, &AttributePath::root(MAX_RETRIES), MAX_MAX_RETRIES).map(drop),
            retry_max_wait(config).map(drop),
            limit(config, READ_TIMEOUT).map(drop),
            limit(config, WRITE_TIMEOUT).map(drop),
        ];
        for cloud in [&TENCENT, &HUAWEI, &ZSTACK] {
            let path = AttributePath::root(cloud.name).attribute(REQUESTS_PER_SECOND);
            checks.push(whole_number(block_of(config, cloud), &path, MAX_REQUESTS_PER_SECOND).map(drop));
        }
        diags.0.extend(checks.into_iter().filter_map(Result::err));
        validate_endpoint_at(config, &[TENCENT.name, "endpoint"], diags);
        validate_endpoint_at(config, &[ZSTACK.name, "endpoint"], diags);
        for (name, _) in HUAWEI_ENDPOINTS {
            validate_endpoint_at(config, &[HUAWEI.name, "endpoints", name], diags);
        }
    }

    async fn configure(&self, config: &Value, _terraform_version: &str, diags: &mut Diagnostics) -> Option<Clients> {
        let settings = match CallSettings::from_config(config) {
            Ok(settings) => settings,
            Err(d) => {
                diags.push(d);
                return None;
            }
        };
        let limits = match (limit(config, READ_TIMEOUT), limit(config, WRITE_TIMEOUT)) {
            (Ok(read), Ok(write)) => Limits {
                read: read.unwrap_or(operation::READ_TIMEOUT),
                write: write.unwrap_or(operation::WRITE_TIMEOUT),
            },
            (Err(d), _) | (_, Err(d)) => {
                diags.push(d);
                return None;
            }
        };
        // Warnings come from configure only (never from validate as well), so a plan shows each
        // once.
        let mut warnings = Vec::new();
        let tencent = configure_tencent(config, &settings, &mut warnings);
        report_if_written(config, &TENCENT, &tencent, diags);
        let huawei = configure_huawei(config, &settings, &mut warnings);
        report_if_written(config, &HUAWEI, &huawei, diags);
        let zstack = configure_zstack(config, &settings, &mut warnings);
        report_if_written(config, &ZSTACK, &zstack, diags);
        diags.0.extend(warnings);
        let protect = config
            .attr(PROTECT)
            .and_then(Value::elements)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Some(Clients { protect, limits, tencent, huawei, zstack })
    }

    fn resources(&self) -> Vec<Arc<dyn Resource<Clients>>> {
        vec![
            Arc::new(resources::member_auth_binding::MemberAuthBinding),
            Arc::new(resources::organization_membership::OrganizationMembership),
            Arc::new(resources::rgc_managed_account::RgcManagedAccount),
            Arc::new(resources::identity_center_profile_association::IdentityCenterProfileAssociation),
            Arc::new(resources::iam2_project_organization::Iam2ProjectOrganization),
        ]
    }

    fn actions(&self) -> Vec<Arc<dyn Action<Clients>>> {
        vec![
            Arc::new(actions::organization_cancel_member_auth::OrganizationCancelMemberAuth),
            Arc::new(actions::organization_revoke_sub_account::OrganizationRevokeSubAccount),
            Arc::new(actions::identity_center_disassociate_profile::IdentityCenterDisassociateProfile),
            Arc::new(actions::organizations_leave::OrganizationsLeave),
            Arc::new(actions::rgc_unenroll_account::RgcUnenrollAccount),
            Arc::new(actions::iam2_detach_project::Iam2DetachProject),
        ]
    }

    fn check_action(&self, data: &Clients, type_name: &str) -> Result<(), Diagnostic> {
        if !data.protect.iter().any(|p| p == type_name) {
            return Ok(());
        }
        Err(Diagnostic::error(
            format!("The action {type_name} is forbidden"),
            format!(
                "The provider configuration protects {type_name} (protect = [\"{type_name}\", ...]), so it can be neither planned nor invoked through this configuration. To allow it, remove \"{type_name}\" from `protect` in the provider \"tether\" block, then plan again."
            ),
        ))
    }

    fn limits(&self, data: &Clients) -> Limits {
        data.limits
    }

    fn check_destroy(&self, data: &Clients, type_name: &str) -> Result<(), Diagnostic> {
        if !data.protect.iter().any(|p| p == type_name) {
            return Ok(());
        }
        Err(Diagnostic::error(
            format!("Destroying {type_name} is forbidden"),
            format!(
                "The provider configuration protects {type_name} (protect = [\"{type_name}\", ...]), so no plan may destroy or replace one. To allow it, remove \"{type_name}\" from `protect` in the provider \"tether\" block, then plan again. To stop managing a binding without touching the cloud, use `terraform state rm` instead."
            ),
        ))
    }

    /// Ends the ZStack login session, if the run opened one.
    async fn close(&self, data: &Clients) {
        // Bounded: Terraform waits for the plugin to exit (go-plugin kills it after 2 s), and a
        // hung endpoint must not hold the end of a run; an unended session expires by itself.
        if let Ok(zstack) = &data.zstack {
            match tokio::time::timeout(LOGOUT_LIMIT, zstack.logout()).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%error, "ZStack logout failed"),
                Err(_) => tracing::debug!("ZStack logout abandoned after {LOGOUT_LIMIT:?}"),
            }
        }
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource<Clients>>> {
        vec![
            Arc::new(data_sources::member_policies::MemberPolicies),
            Arc::new(data_sources::member_auth_bindings::MemberAuthBindings),
            Arc::new(data_sources::organization::OrganizationDataSource),
            Arc::new(data_sources::identity_center_instances::IdentityCenterInstances),
            Arc::new(data_sources::identity_center_principal_assignments::IdentityCenterPrincipalAssignments),
            Arc::new(data_sources::rgc_managed_accounts::RgcManagedAccounts),
            Arc::new(data_sources::iam2_projects::Iam2Projects),
            Arc::new(data_sources::iam2_organizations::Iam2Organizations),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_passes_terraforms_rules() {
        let provider = TetherProvider::new();
        let mut problems = provider.schema().block.check("provider.");
        for resource in provider.resources() {
            problems.extend(
                crate::framework::detach::guarded(resource.schema()).block.check(&format!("{}.", resource.type_name())),
            );
        }
        for data_source in provider.data_sources() {
            problems.extend(data_source.schema().block.check(&format!("data.{}.", data_source.type_name())));
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn cleartext_warning_names_only_the_exposed_endpoints() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        let path = |name: &str| AttributePath::root(HUAWEI.name).attribute("endpoints").attribute(name);
        let (gateway, tls, local, gateway_again) = (
            url("http://gw.example:8080"),
            url("https://gw.example"),
            url("http://[::1]:9000"),
            url("http://gw.example:8080/rgc"),
        );
        let one = cleartext_warning(
            Cloud::Huawei,
            &[(path("organizations"), &gateway), (path("rgc"), &tls), (path("identitycenter"), &local)],
            "the signatures",
        )
        .unwrap();
        assert_eq!(one.severity, crate::framework::diag::Severity::Warning);
        assert_eq!(one.summary, "Huawei Cloud credentials would travel unencrypted");
        assert_eq!(one.path, Some(path("organizations")));
        assert!(one.detail.starts_with("huaweicloud.endpoints.organizations uses plain http:// to gw.example:8080, so the signatures cross the network unencrypted"), "{}", one.detail);
        let two = cleartext_warning(
            Cloud::Huawei,
            &[(path("organizations"), &tls), (path("rgc"), &gateway), (path("identitycenter"), &gateway_again)],
            "x",
        )
        .unwrap();
        assert_eq!(two.path, Some(path("rgc")));
        assert!(two.detail.starts_with("huaweicloud.endpoints.rgc, huaweicloud.endpoints.identitycenter use plain http:// to gw.example:8080, so"), "{}", two.detail);
        assert_eq!(
            cleartext_warning(Cloud::ZStack, &[(AttributePath::root("zstack").attribute("endpoint"), &local)], "x"),
            None
        );
        assert_eq!(
            cleartext_warning(
                Cloud::Tencent,
                &[(AttributePath::root("tencentcloud").attribute("endpoint"), &tls)],
                "x"
            ),
            None
        );
    }
}
