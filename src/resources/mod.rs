//! The provider's resources, one file each.

pub mod member_auth_binding;
mod support;
