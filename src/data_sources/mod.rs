//! The provider's data sources, one file each.

pub mod iam2_organizations;
pub mod iam2_projects;
pub mod identity_center_instances;
pub mod identity_center_principal_assignments;
pub mod member_auth_bindings;
pub mod member_policies;
pub mod organization;
pub mod rgc_managed_accounts;
mod zstack_name_filter;
