//! The provider's resources, one file each.

pub mod iam2_project_organization;
pub mod identity_center_profile_association;
pub mod member_auth_binding;
pub mod organization_membership;
pub mod rgc_managed_account;
