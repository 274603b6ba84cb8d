//! terraform-provider-tether: a Terraform/OpenTofu provider (plugin protocol 6) for organization
//! and identity bindings on Tencent Cloud, Huawei Cloud and ZStack.

pub mod actions;
pub mod clients;
pub mod clouds;
pub mod data_sources;
pub mod framework;
pub mod logging;
pub mod protocol;
pub mod provider;
pub mod resources;
pub mod transport;

#[cfg(test)]
mod layers;
