//! Persisted Tencent Cloud state: credentials and the Organization service's world.
//!
//! Integers are `i64` because Tencent's API types them as Int64 and requests may carry any number.

use serde::{Deserialize, Serialize};

/// An API key the emulator accepts. A `token` makes it a temporary (STS) credential: requests
/// signed with it must then carry that token in `X-TC-Token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TencentCredential {
    pub secret_id: String,
    pub secret_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The account (UIN) the key belongs to: the organization's management account.
    pub owner_uin: i64,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TencentWorld {
    pub organization: Organization,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub org_id: i64,
    pub management_uin: i64,
    pub members: Vec<Member>,
    /// CAM sub-users of the management account ("organization sub-accounts").
    pub sub_accounts: Vec<SubAccount>,
    /// Member auth bindings made by BindOrganizationMemberAuthAccount.
    pub bindings: Vec<AuthBinding>,
    /// Next creation sequence number; all bindings of one Bind call share one number.
    pub next_binding_seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub uin: i64,
    pub name: String,
    pub policies: Vec<MemberPolicy>,
}

/// An access policy of a member account (DescribeOrganizationMemberPolicies' OrgMemberPolicy).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberPolicy {
    pub policy_id: i64,
    pub policy_name: String,
    pub identity_id: i64,
    pub identity_role_name: String,
    pub identity_role_alias_name: String,
    pub description: String,
    pub create_time: String,
    pub update_time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubAccount {
    pub uin: i64,
    pub name: String,
}

/// "Sub-account `sub_account_uin` may use policy `policy_id` of member `member_uin`".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthBinding {
    pub member_uin: i64,
    pub policy_id: i64,
    pub sub_account_uin: i64,
    /// Creation order; DescribeOrganizationMemberAuthAccounts lists by (seq, sub_account_uin).
    pub seq: u64,
    pub create_time: String,
    pub update_time: String,
}

impl Organization {
    pub fn member(&self, uin: i64) -> Option<&Member> {
        self.members.iter().find(|m| m.uin == uin)
    }

    pub fn sub_account(&self, uin: i64) -> Option<&SubAccount> {
        self.sub_accounts.iter().find(|s| s.uin == uin)
    }

    pub fn binding_index(&self, member_uin: i64, policy_id: i64, sub_account_uin: i64) -> Option<usize> {
        self.bindings.iter().position(|b| {
            b.member_uin == member_uin && b.policy_id == policy_id && b.sub_account_uin == sub_account_uin
        })
    }
}

impl Member {
    pub fn policy(&self, policy_id: i64) -> Option<&MemberPolicy> {
        self.policies.iter().find(|p| p.policy_id == policy_id)
    }
}
