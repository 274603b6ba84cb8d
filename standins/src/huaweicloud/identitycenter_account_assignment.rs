//! `huaweicloud_identitycenter_account_assignment`, as the official provider has it.
//!
//! Schema and behaviour from huaweicloud/terraform-provider-huaweicloud
//! huaweicloud/services/identitycenter/resource_huaweicloud_identitycenter_account_assignment.go
//! (last changed in 32d191e9f5011e41e7a5d1577d2124ba44dd843e; read at main
//! a0345b8dcc818aa80d932ec0802891222b0a22af):
//!
//! - `instance_id`, `permission_set_id`, `principal_id`, `principal_type`, `target_id`,
//!   `target_type`: TypeString, Required, ForceNew (one assignment per resource);
//! - Timeouts: create 5m, delete 5m; schema version 0; no Update;
//! - id `<permission_set_id>/<target_id>/<principal_id>`, set as soon as the create call answers;
//! - create / delete: CreateAccountAssignment / DeleteAccountAssignment, then the request's
//!   creation / deletion status polled until SUCCEEDED or FAILED;
//! - read: ListAccountAssignments of the instance filtered by `account_id` = `target_id` and
//!   `permission_set_id` (tether's client filters by the account; the permission set is matched
//!   here), first item whose `principal_id` matches (none removes it); sets
//!   `permission_set_id`, `principal_id`, `principal_type`, and `target_id` from `account_id`;
//! - import ID `<instance_id>/<permission_set_id>/<target_id>/<principal_id>`.
//!
//! Neither the import nor the read sets `target_type` (nor the import `principal_type`, which the
//! read fills in), so an imported object has `target_type = null`, and the next plan replaces it
//! (ForceNew) — the official behaviour, kept.
//!
//! tether's client sends `target_type` as `ACCOUNT`, the only type the API knows (the official
//! body leaves an empty one out); another value fails here as the API would refuse it.

use std::time::Duration;

use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::huawei::identitycenter::TARGET_TYPE_ACCOUNT;
use tether::framework::schema::{Attribute, Block};
use tether::framework::value::Type;

use super::{Huawei, poll_policy};
use crate::sdk::{ResourceData, SdkError, SdkResource, Timeouts};

pub struct AccountAssignment;

const ARGUMENTS: [&str; 6] =
    ["instance_id", "permission_set_id", "principal_id", "principal_type", "target_id", "target_type"];

fn target(d: &ResourceData) -> Result<AssignmentTarget, SdkError> {
    let target_type = d.get_string("target_type");
    // Empty after an import (nothing sets it): the official body leaves it out.
    if !target_type.is_empty() && target_type != TARGET_TYPE_ACCOUNT {
        return Err(format!("target_type {target_type:?} is not supported: the API only knows {TARGET_TYPE_ACCOUNT}"));
    }
    Ok(AssignmentTarget {
        permission_set_id: d.get_string("permission_set_id"),
        principal_id: d.get_string("principal_id"),
        principal_type: d.get_string("principal_type"),
        target_id: d.get_string("target_id"),
    })
}

#[tonic::async_trait]
impl SdkResource<Huawei> for AccountAssignment {
    fn type_name(&self) -> &'static str {
        "huaweicloud_identitycenter_account_assignment"
    }

    fn schema(&self) -> Block {
        ARGUMENTS
            .iter()
            .fold(Block::default(), |block, name| block.attribute(Attribute::required(name, Type::String).force_new()))
    }

    fn timeouts(&self) -> Timeouts {
        let five_minutes = Some(Duration::from_secs(5 * 60));
        Timeouts { create: five_minutes, delete: five_minutes, ..Default::default() }
    }

    async fn create(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let target = target(d)?;
        let instance = d.get_string("instance_id");
        let ic = &huawei.clients.identitycenter;
        let status = ic
            .create_account_assignment(&instance, &target)
            .await
            .map_err(|e| format!("error creating Identity Center account assignment: {e}"))?;
        d.set_id(format!("{}/{}/{}", target.permission_set_id, target.target_id, target.principal_id));
        if status.request_id.is_empty() {
            return Err(
                "unable to find the request ID of the Identity Center account assignment from the API response".into(),
            );
        }
        ic.wait_creation(&instance, &status.request_id, d.timeout("create"), &poll_policy(), None)
            .await
            .map_err(|e| format!("error waiting for request ({}) to complete: {e}", status.request_id))?;
        self.read(huawei, d).await
    }

    async fn read(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let (instance, account) = (d.get_string("instance_id"), d.get_string("target_id"));
        let (permission_set, principal) = (d.get_string("permission_set_id"), d.get_string("principal_id"));
        let listed = match huawei.clients.identitycenter.list_account_assignments(&instance, &account).await {
            Ok(listed) => listed,
            Err(e) if e.is_not_found() => Vec::new(),
            Err(e) => return Err(format!("error retrieving Identity Center account assignment: {e}")),
        };
        let found = listed.into_iter().find(|a| a.permission_set_id == permission_set && a.principal_id == principal);
        let Some(assignment) = found else {
            d.set_id("");
            return Ok(());
        };
        d.set("permission_set_id", assignment.permission_set_id);
        d.set("principal_id", assignment.principal_id);
        d.set("principal_type", assignment.principal_type);
        d.set("target_id", assignment.account_id);
        Ok(())
    }

    async fn delete(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let target = target(d)?;
        let instance = d.get_string("instance_id");
        let ic = &huawei.clients.identitycenter;
        let status = ic
            .delete_account_assignment(&instance, &target)
            .await
            .map_err(|e| format!("error deleting Identity Center account assignment: {e}"))?;
        if status.request_id.is_empty() {
            return Err(
                "unable to find the request ID of the Identity Center account assignment from the API response".into(),
            );
        }
        ic.wait_deletion(&instance, &status.request_id, d.timeout("delete"), &poll_policy(), None)
            .await
            .map(drop)
            .map_err(|e| format!("error waiting for request ({}) to complete: {e}", status.request_id))
    }

    fn import(&self, d: &mut ResourceData) -> Result<(), SdkError> {
        let id = d.id().to_string();
        let [instance, permission_set, account, principal] = id.split('/').collect::<Vec<_>>()[..] else {
            return Err(
                "invalid id format, must be <instance_id>/<permission_set_id>/<target_id>/<principal_id>".into()
            );
        };
        d.set_id(format!("{permission_set}/{account}/{principal}"));
        d.set("instance_id", instance);
        d.set("permission_set_id", permission_set);
        d.set("target_id", account);
        d.set("principal_id", principal);
        Ok(())
    }
}
