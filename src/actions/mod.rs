//! The provider's actions (Terraform 1.14+): one-off detaches, one file each, reading like the
//! resources (see `framework::action` for the rules every one follows).

pub mod iam2_detach_project;
pub mod identity_center_disassociate_profile;
pub mod organization_cancel_member_auth;
pub mod organization_revoke_sub_account;
pub mod organizations_leave;
pub mod rgc_unenroll_account;

/// The sentence every plan preview ends with: a detach an action makes is drift to a resource
/// that manages the same object (Terraform never tells a provider which resources exist).
pub const MANAGED_ELSEWHERE: &str = "If a tether resource manages this binding, its next plan proposes to create it again: to end a managed binding, destroy that resource instead.";
