//! What the Huawei clients are configured with: credentials, region and the three services'
//! endpoints.

use url::Url;

use crate::clouds::Secret;
use crate::clouds::http::RetryPolicy;

pub const ORGANIZATIONS_ENDPOINT: &str = "https://organizations.myhuaweicloud.com";
pub const IDENTITYCENTER_ENDPOINT: &str = "https://identitycenter.myhuaweicloud.com";
/// The region the global services live in, and the default for RGC.
pub const DEFAULT_REGION: &str = "cn-north-4";

#[derive(Debug, Clone)]
pub struct HuaweiCredentials {
    pub access_key: String,
    pub secret_key: Secret,
    /// Only for temporary credentials; sent (and signed) as `X-Security-Token`.
    pub security_token: Option<Secret>,
}

/// Base URLs (scheme, host, optional port and path prefix) of the three services. `http://` is
/// allowed: the emulator serves all three on one loopback port, told apart by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HuaweiEndpoints {
    pub organizations: Url,
    pub rgc: Url,
    pub identitycenter: Url,
}

impl HuaweiEndpoints {
    /// The public endpoints: `https://organizations.myhuaweicloud.com`,
    /// `https://rgc.{region}.myhuaweicloud.com`, `https://identitycenter.myhuaweicloud.com`.
    ///
    /// Never fails: a region that cannot be part of a host name (see [`is_valid_region`]; the
    /// provider should reject it first) yields the host `rgc.invalid-region.myhuaweicloud.com`,
    /// so calls fail with a connection error that names it.
    pub fn for_region(region: &str) -> Self {
        let region = region.trim().to_ascii_lowercase();
        let label = if is_valid_region(&region) { region.as_str() } else { "invalid-region" };
        let parse = |s: &str| Url::parse(s).expect("valid built-in endpoint");
        Self {
            organizations: parse(ORGANIZATIONS_ENDPOINT),
            rgc: Url::parse(&format!("https://rgc.{label}.myhuaweicloud.com"))
                .unwrap_or_else(|_| parse("https://rgc.invalid-region.myhuaweicloud.com")),
            identitycenter: parse(IDENTITYCENTER_ENDPOINT),
        }
    }

    /// All three services at one base URL (the emulator).
    pub fn single(base: Url) -> Self {
        Self { organizations: base.clone(), rgc: base.clone(), identitycenter: base }
    }
}

/// Whether `region` looks like a Huawei region id (`cn-north-4`, `ap-southeast-1`): lower-case
/// letters, digits and inner hyphens.
pub fn is_valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 63
        && !region.starts_with('-')
        && !region.ends_with('-')
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Debug, Clone)]
pub struct HuaweiConfig {
    pub credentials: HuaweiCredentials,
    pub region: String,
    /// Account (domain) id, sent as `X-Domain-Id` to Organizations and Identity Center.
    pub domain_id: Option<String>,
    /// Project id of `region`, sent as `X-Project-Id` to RGC.
    pub project_id: Option<String>,
    pub endpoints: HuaweiEndpoints,
    pub retry: RetryPolicy,
}

impl HuaweiConfig {
    /// Public endpoints for `region`, no domain or project id, default retries.
    pub fn new(credentials: HuaweiCredentials, region: impl Into<String>) -> Self {
        let region = region.into();
        Self {
            credentials,
            endpoints: HuaweiEndpoints::for_region(&region),
            region,
            domain_id: None,
            project_id: None,
            retry: RetryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_for_region() {
        let e = HuaweiEndpoints::for_region("cn-north-4");
        assert_eq!(e.organizations.as_str(), "https://organizations.myhuaweicloud.com/");
        assert_eq!(e.rgc.as_str(), "https://rgc.cn-north-4.myhuaweicloud.com/");
        assert_eq!(e.identitycenter.as_str(), "https://identitycenter.myhuaweicloud.com/");
        assert_eq!(
            HuaweiEndpoints::for_region(" AP-Southeast-1 ").rgc.as_str(),
            "https://rgc.ap-southeast-1.myhuaweicloud.com/"
        );
        for bad in ["", "cn north", "a/b", "x.y", "-a"] {
            assert!(!is_valid_region(bad), "{bad}");
            assert_eq!(
                HuaweiEndpoints::for_region(bad).rgc.host_str(),
                Some("rgc.invalid-region.myhuaweicloud.com"),
                "{bad}"
            );
        }
        let cfg = HuaweiConfig::new(
            HuaweiCredentials { access_key: "ak".into(), secret_key: Secret::new("sk"), security_token: None },
            "la-south-2",
        );
        assert_eq!(cfg.endpoints.rgc.host_str(), Some("rgc.la-south-2.myhuaweicloud.com"));
        assert_eq!(cfg.retry, RetryPolicy::default());
        assert!(!format!("{cfg:?}").contains("\"sk\""));
    }
}
