//! Huawei Cloud: configuration, the error envelope and its codes, and the request plumbing the
//! Organizations, RGC and IAM Identity Center clients share.
//!
//! All three services sign with SDK-HMAC-SHA256 ([`sign`]). The global services (Organizations,
//! Identity Center) send `X-Domain-Id`, the regional RGC sends `X-Project-Id`, each when
//! configured; `X-Security-Token` goes with temporary credentials. Every header sent is signed.
//!
//! Cancellation: every client may carry a [`CancellationToken`] (`with_cancellation`); when it
//! fires (StopProvider, or the operation's deadline), calls in flight on that handle return a
//! "cancelled" error of kind `Cancelled` at once.

mod config;
mod error;
pub mod identitycenter;
pub mod organizations;
mod paging;
mod request;
pub mod rgc;
pub mod sign;
#[cfg(test)]
pub(crate) mod test_support;

use tokio_util::sync::CancellationToken;

pub use config::{
    DEFAULT_REGION, HuaweiConfig, HuaweiCredentials, HuaweiEndpoints, IDENTITYCENTER_ENDPOINT, ORGANIZATIONS_ENDPOINT,
    is_valid_region,
};
pub(crate) use error::require_id;
pub use error::{ErrorBody, SIGNATURE_REJECTED, X_REQUEST_ID, classify_error, decode_error, parse_error_body};
pub use identitycenter::{AccountAssignment, AssignmentStatus, AssignmentTarget, IdentityCenterClient, Instance};
pub use organizations::{Account, Handshake, HandshakeTarget, HuaweiOrganizationsClient, Organization};
pub(crate) use paging::PageInfo;
pub(crate) use request::{ApiRequest, Scope, Service, json_body};
pub use request::{X_DOMAIN_ID, X_PROJECT_ID};
pub use rgc::{AccountGoal, Blueprint, ManagedAccount, ManagedAccountRegion, Operation, PercentageDetail, RgcClient};

use super::error::{Cloud, CloudError};
use super::http::HttpClient;

/// Lenient field decoders (shared with ZStack).
pub(crate) use super::lenient;

/// The three clients over one connection pool.
#[derive(Debug, Clone)]
pub struct HuaweiClients {
    pub organizations: HuaweiOrganizationsClient,
    pub rgc: RgcClient,
    pub identitycenter: IdentityCenterClient,
}

impl HuaweiClients {
    pub fn new(cfg: &HuaweiConfig) -> Result<Self, CloudError> {
        Self::with_http_client(cfg, HttpClient::new(Cloud::Huawei)?)
    }

    /// Like [`new`](Self::new), reusing an existing HTTP client (its pool and its pacing).
    pub fn with_http_client(cfg: &HuaweiConfig, http: HttpClient) -> Result<Self, CloudError> {
        Ok(Self {
            organizations: HuaweiOrganizationsClient::with_http_client(cfg, http.clone())?,
            rgc: RgcClient::with_http_client(cfg, http.clone())?,
            identitycenter: IdentityCenterClient::with_http_client(cfg, http)?,
        })
    }

    /// Handles whose calls all stop once `token` is cancelled.
    pub fn with_cancellation(&self, token: CancellationToken) -> Self {
        Self {
            organizations: self.organizations.with_cancellation(token.clone()),
            rgc: self.rgc.with_cancellation(token.clone()),
            identitycenter: self.identitycenter.with_cancellation(token),
        }
    }
}
