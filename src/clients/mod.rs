//! The configured clients: what `provider.rs` builds from the provider block and every resource
//! and data source receives, and the conversion of cloud errors into diagnostics. It sits below
//! the resources and data sources and above `clouds/`, so those import it and never the provider
//! itself.

pub mod errors;
pub mod rgc;
pub mod write_outcome;
pub mod zstack;

use crate::clouds::huawei::{HuaweiClients, HuaweiOrganizationsClient, IdentityCenterClient, RgcClient};
use crate::clouds::tencent::TencentOrganizationClient;
use crate::clouds::zstack::ZStackClient;
use crate::framework::operation::Limits;
use crate::framework::{Ctx, Diagnostic, ProviderData};

pub use errors::{
    DetachEnd, ReportCloud, already_exists, cloud_error, import_hint, report_action_detach, report_detach,
};

/// The configured provider: clients for each cloud whose credentials were given. A cloud that
/// was not configured keeps the diagnostic to show when one of its resources is used.
pub struct Clients {
    /// Resource types whose destroy the configuration forbids (`protect`).
    pub protect: Vec<String>,
    pub limits: Limits,
    pub tencent: Result<TencentOrganizationClient, Diagnostic>,
    pub huawei: Result<HuaweiAccess, Diagnostic>,
    pub zstack: Result<ZStackClient, Diagnostic>,
}

/// The Huawei Cloud clients, and whether the settings some services need were given: the
/// diagnostic to show when one of their resources is used without them.
pub struct HuaweiAccess {
    pub clients: HuaweiClients,
    /// Organizations and Identity Center are global services: calls carry the account's domain id.
    pub domain_id: Result<(), Diagnostic>,
    /// RGC is regional: calls carry the project id of the region.
    pub project_id: Result<(), Diagnostic>,
}

/// The cloud service a resource or data source calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    TencentOrganization,
    HuaweiOrganizations,
    HuaweiRgc,
    HuaweiIdentityCenter,
    ZStackIam2,
}

impl Clients {
    pub fn tencent(&self) -> Result<&TencentOrganizationClient, Diagnostic> {
        self.tencent.as_ref().map_err(Clone::clone)
    }

    pub fn huawei_organizations(&self) -> Result<&HuaweiOrganizationsClient, Diagnostic> {
        let access = self.huawei.as_ref().map_err(Clone::clone)?;
        access.domain_id.clone()?;
        Ok(&access.clients.organizations)
    }

    pub fn huawei_identitycenter(&self) -> Result<&IdentityCenterClient, Diagnostic> {
        let access = self.huawei.as_ref().map_err(Clone::clone)?;
        access.domain_id.clone()?;
        Ok(&access.clients.identitycenter)
    }

    pub fn huawei_rgc(&self) -> Result<&RgcClient, Diagnostic> {
        let access = self.huawei.as_ref().map_err(Clone::clone)?;
        access.project_id.clone()?;
        Ok(&access.clients.rgc)
    }

    pub fn zstack(&self) -> Result<&ZStackClient, Diagnostic> {
        self.zstack.as_ref().map_err(Clone::clone)
    }
}

impl ProviderData for Clients {
    type Service = Service;

    fn ready(&self, service: Service) -> Result<(), Diagnostic> {
        match service {
            Service::TencentOrganization => self.tencent().map(drop),
            Service::HuaweiOrganizations => self.huawei_organizations().map(drop),
            Service::HuaweiRgc => self.huawei_rgc().map(drop),
            Service::HuaweiIdentityCenter => self.huawei_identitycenter().map(drop),
            Service::ZStackIam2 => self.zstack().map(drop),
        }
    }
}

/// The clients of one operation: each call made through them is abandoned when the operation
/// stops (Ctrl-C or its deadline, `Ctx::stop`).
pub trait OperationClients {
    fn tencent(&self) -> Result<TencentOrganizationClient, Diagnostic>;
    fn huawei_organizations(&self) -> Result<HuaweiOrganizationsClient, Diagnostic>;
    fn huawei_identitycenter(&self) -> Result<IdentityCenterClient, Diagnostic>;
    fn huawei_rgc(&self) -> Result<RgcClient, Diagnostic>;
    fn zstack(&self) -> Result<ZStackClient, Diagnostic>;
}

impl OperationClients for Ctx<'_, Clients> {
    fn tencent(&self) -> Result<TencentOrganizationClient, Diagnostic> {
        Ok(self.data.tencent()?.with_cancellation(self.stop.clone()))
    }
    fn huawei_organizations(&self) -> Result<HuaweiOrganizationsClient, Diagnostic> {
        Ok(self.data.huawei_organizations()?.with_cancellation(self.stop.clone()))
    }
    fn huawei_identitycenter(&self) -> Result<IdentityCenterClient, Diagnostic> {
        Ok(self.data.huawei_identitycenter()?.with_cancellation(self.stop.clone()))
    }
    fn huawei_rgc(&self) -> Result<RgcClient, Diagnostic> {
        Ok(self.data.huawei_rgc()?.with_cancellation(self.stop.clone()))
    }
    fn zstack(&self) -> Result<ZStackClient, Diagnostic> {
        Ok(self.data.zstack()?.with_cancellation(self.stop.clone()))
    }
}
