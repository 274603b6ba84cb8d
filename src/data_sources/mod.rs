//! The provider's data sources, one file each.

pub mod member_policies;
