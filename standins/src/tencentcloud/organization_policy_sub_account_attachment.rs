//! `tencentcloud_organization_policy_sub_account_attachment`, as the official provider has it.
//!
//! Schema and behaviour from tencentcloudstack/terraform-provider-tencentcloud
//! tencentcloud/services/tco/resource_tc_organization_policy_sub_account_attachment.go (last
//! changed in 2f2416069a5eec8d49a938a6216c88d24d3a41d5; read at main f6970a90038400958503a0edab62c6c463baa7b0)
//! and the Describe/Delete helpers of service_tencentcloud_organization.go:
//!
//! - `policy_id`, `org_sub_account_uin`, `member_uin`: TypeInt, Required, ForceNew;
//! - `policy_name`, `identity_role_name`, `identity_role_alias_name`, `create_time`,
//!   `update_time`, `org_sub_account_name`: TypeString, Computed; `identity_id`: TypeInt, Computed;
//! - no Timeouts, no Update, schema version 0, importer ImportStatePassthrough;
//! - id `<policy_id>#<member_uin>#<org_sub_account_uin>`;
//! - create: BindOrganizationMemberAuthAccount with the one sub-account, then read;
//! - read: DescribeOrganizationMemberAuthAccounts by policy and member only (Limit 50, Offset 0)
//!   and the *first* item, whatever its sub-account; `member_uin` from the id; none found is an
//!   error ("does not exist"), not a removal;
//! - delete: CancelOrganizationMemberAuthAccount with the three parts of the id.

use tether::clouds::tencent::TencentOrganizationClient;
use tether::framework::schema::{Attribute, Block};
use tether::framework::value::{Type, Value};

use crate::sdk::{ResourceData, SdkError, SdkResource};

pub struct Attachment;

/// `tccommon.FILED_SP`.
const SEPARATOR: char = '#';

/// `helper.StrToInt64`: what does not parse is 0.
fn number(text: &str) -> u64 {
    text.parse().unwrap_or(0)
}

fn id_parts(id: &str) -> Result<(u64, u64, u64), SdkError> {
    match id.split(SEPARATOR).collect::<Vec<_>>()[..] {
        [policy, member, sub_account] => Ok((number(policy), number(member), number(sub_account))),
        _ => Err(format!("id is broken,{id}")),
    }
}

#[tonic::async_trait]
impl SdkResource<TencentOrganizationClient> for Attachment {
    fn type_name(&self) -> &'static str {
        "tencentcloud_organization_policy_sub_account_attachment"
    }

    fn schema(&self) -> Block {
        let mut block = Block::default();
        for name in ["policy_id", "org_sub_account_uin", "member_uin"] {
            block = block.attribute(Attribute::required(name, Type::Number).force_new());
        }
        for name in ["policy_name", "identity_role_name", "identity_role_alias_name", "create_time", "update_time"] {
            block = block.attribute(Attribute::computed(name, Type::String));
        }
        block
            .attribute(Attribute::computed("identity_id", Type::Number))
            .attribute(Attribute::computed("org_sub_account_name", Type::String))
    }

    async fn create(&self, client: &TencentOrganizationClient, d: &mut ResourceData) -> Result<(), SdkError> {
        let (policy, sub_account, member) =
            (d.get_u64("policy_id"), d.get_u64("org_sub_account_uin"), d.get_u64("member_uin"));
        client.bind_member_auth_accounts(member, policy, &[sub_account]).await.map_err(|e| e.to_string())?;
        d.set_id(format!("{policy}{SEPARATOR}{member}{SEPARATOR}{sub_account}"));
        self.read(client, d).await
    }

    async fn read(&self, client: &TencentOrganizationClient, d: &mut ResourceData) -> Result<(), SdkError> {
        let (policy, member, _) = id_parts(d.id())?;
        let page = client.describe_member_auth_accounts(member, policy, 0, 50).await.map_err(|e| e.to_string())?;
        let Some(item) = page.items.into_iter().next() else {
            d.set_id("");
            // The official message formats d.Id() after clearing it, hence the double space.
            return Err(format!("resource `policySubAccountAttachment` {} does not exist", d.id()));
        };
        d.set("policy_id", Value::from(item.policy_id));
        d.set("org_sub_account_uin", Value::from(item.org_sub_account_uin));
        d.set("member_uin", Value::from(member));
        d.set("policy_name", item.policy_name);
        d.set("identity_id", Value::from(item.identity_id));
        d.set("identity_role_name", item.identity_role_name);
        d.set("identity_role_alias_name", item.identity_role_alias_name);
        d.set("create_time", item.create_time);
        d.set("update_time", item.update_time);
        d.set("org_sub_account_name", item.org_sub_account_name);
        Ok(())
    }

    async fn delete(&self, client: &TencentOrganizationClient, d: &mut ResourceData) -> Result<(), SdkError> {
        let (policy, member, sub_account) = id_parts(d.id())?;
        client.cancel_member_auth_account(member, policy, sub_account).await.map(drop).map_err(|e| e.to_string())
    }
}
