//! `huaweicloud_organizations_account_invite_accepter`, as the official provider has it.
//!
//! Schema and behaviour from huaweicloud/terraform-provider-huaweicloud
//! huaweicloud/services/organizations/resource_huaweicloud_organizations_account_invite_accepter.go
//! (last changed in 3c77cb2cc3480d15e692d6a847f0506425689e66; read at main
//! a0345b8dcc818aa80d932ec0802891222b0a22af), with `GetAccountInviteById` of
//! resource_huaweicloud_organizations_account_invite.go:
//!
//! - `invitation_id`: TypeString, Required, ForceNew;
//! - `leave_organization_on_destroy`: TypeBool, Optional, *no* Default (null in state unless
//!   configured; destroy leaves only when it is true);
//! - `urn`, `account_id`, `master_account_id`, `master_account_name`, `organization_id`,
//!   `created_at`, `updated_at`, `status`: TypeString, Computed;
//! - no Timeouts, schema version 0, importer ImportStatePassthroughContext;
//! - create: AcceptHandshake (`POST /v1/received-handshakes/{id}/accept`); id = the answer's
//!   `handshake.id`; then read;
//! - read: ShowHandshake (`GET /v1/organizations/handshakes/{id}`), not found (or the account's
//!   organization gone) removes it; `account_id` is the handshake's `target.entity`,
//!   `master_account_*` its `management_account_*`;
//! - update: nothing (only `leave_organization_on_destroy` can change in place);
//! - delete: only with `leave_organization_on_destroy`: ShowHandshake (failing it is success),
//!   then LeaveOrganization (not found is success).

use tether::framework::schema::{Attribute, Block};
use tether::framework::value::Type;

use super::Huawei;
use crate::sdk::{ResourceData, SdkError, SdkResource};

pub struct InviteAccepter;

const COMPUTED: [&str; 8] = [
    "urn",
    "account_id",
    "master_account_id",
    "master_account_name",
    "organization_id",
    "created_at",
    "updated_at",
    "status",
];

#[tonic::async_trait]
impl SdkResource<Huawei> for InviteAccepter {
    fn type_name(&self) -> &'static str {
        "huaweicloud_organizations_account_invite_accepter"
    }

    fn schema(&self) -> Block {
        let mut block = Block::default()
            .attribute(Attribute::required("invitation_id", Type::String).force_new())
            .attribute(Attribute::optional("leave_organization_on_destroy", Type::Bool));
        for name in COMPUTED {
            block = block.attribute(Attribute::computed(name, Type::String));
        }
        block
    }

    async fn create(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let handshake = huawei
            .clients
            .organizations
            .accept_handshake(&d.get_string("invitation_id"))
            .await
            .map_err(|e| format!("error accepting the received account invitation: {e}"))?;
        if handshake.id.is_empty() {
            return Err(
                "unable to find the handshake ID of the Organizations account invite accepter from the API response"
                    .to_string(),
            );
        }
        d.set_id(handshake.id);
        self.read(huawei, d).await
    }

    async fn read(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        let id = d.id().to_string();
        let found = huawei.clients.organizations.show_handshake(&id).await;
        let handshake = match found {
            Ok(Some(handshake)) => handshake,
            Ok(None) => {
                d.set_id("");
                return Ok(());
            }
            Err(e) if e.is_not_found() => {
                d.set_id("");
                return Ok(());
            }
            Err(e) => return Err(format!("error retrieving received account invitation: {e}")),
        };
        d.set("invitation_id", id);
        d.set("urn", handshake.urn);
        d.set("account_id", handshake.target.entity);
        d.set("master_account_id", handshake.management_account_id);
        d.set("master_account_name", handshake.management_account_name);
        d.set("organization_id", handshake.organization_id);
        d.set("created_at", handshake.created_at);
        d.set("updated_at", handshake.updated_at);
        d.set("status", handshake.status);
        Ok(())
    }

    async fn update(&self, _huawei: &Huawei, _d: &mut ResourceData) -> Option<Result<(), SdkError>> {
        Some(Ok(()))
    }

    async fn delete(&self, huawei: &Huawei, d: &mut ResourceData) -> Result<(), SdkError> {
        if !d.get_bool("leave_organization_on_destroy") {
            return Ok(());
        }
        let organizations = &huawei.clients.organizations;
        // "if the value of accept is false (decline the invite), it can not be removed"
        if !matches!(organizations.show_handshake(d.id()).await, Ok(Some(_))) {
            return Ok(());
        }
        match organizations.leave_organization().await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(format!("error leaving the organization: {e}")),
        }
    }
}
