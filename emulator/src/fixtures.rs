//! The documented seed world (see emulator/README.md). Tests and examples rely on these exact
//! identifiers, so change them only together with the README.

use crate::state::{Credentials, SCHEMA_VERSION, World};
use crate::tencent::model::{
    Member, MemberPolicy, Organization, SubAccount, TencentCredential, TencentWorld,
};

pub const TENCENT_SECRET_ID: &str = "AKIDtetheremulator00000000000000000";
pub const TENCENT_SECRET_KEY: &str = "tether-emulator-tencent-secret-key";
pub const TENCENT_TEMP_SECRET_ID: &str = "AKIDtethertemporary0000000000000000";
pub const TENCENT_TEMP_SECRET_KEY: &str = "tether-emulator-tencent-temp-key";
pub const TENCENT_TEMP_TOKEN: &str = "tether-emulator-tencent-token";

pub const TENCENT_ORG_ID: i64 = 10_001;
pub const TENCENT_MANAGEMENT_UIN: i64 = 100_000_000_001;
pub const TENCENT_MEMBERS: [(i64, &str); 3] = [
    (100_000_000_101, "finance-prod"),
    (100_000_000_102, "data-platform"),
    (100_000_000_103, "sandbox"),
];
/// Names of the management account's CAM sub-users, UINs 200000000001.. in this order.
pub const TENCENT_SUB_ACCOUNT_NAMES: [&str; 12] = [
    "ops-alice",
    "ops-bob",
    "ops-carol",
    "ops-dave",
    "ops-erin",
    "ops-frank",
    "ops-grace",
    "ops-heidi",
    "ops-ivan",
    "ops-judy",
    "ops-mallory",
    "ops-niaj",
];
pub const TENCENT_FIRST_SUB_ACCOUNT_UIN: i64 = 200_000_000_001;

/// Fixed so that a freshly seeded world is byte-for-byte reproducible.
const SEED_TIME: &str = "2024-01-15 10:00:00";

pub fn seed() -> World {
    World {
        schema: SCHEMA_VERSION,
        credentials: Credentials {
            tencent: tencent_credentials(),
        },
        tencent: TencentWorld {
            organization: tencent_organization(),
        },
    }
}

fn tencent_credentials() -> Vec<TencentCredential> {
    vec![
        TencentCredential {
            secret_id: TENCENT_SECRET_ID.into(),
            secret_key: TENCENT_SECRET_KEY.into(),
            token: None,
            owner_uin: TENCENT_MANAGEMENT_UIN,
            description: "permanent API key of the management account".into(),
        },
        TencentCredential {
            secret_id: TENCENT_TEMP_SECRET_ID.into(),
            secret_key: TENCENT_TEMP_SECRET_KEY.into(),
            token: Some(TENCENT_TEMP_TOKEN.into()),
            owner_uin: TENCENT_MANAGEMENT_UIN,
            description: "temporary (STS) credential of the management account; needs X-TC-Token"
                .into(),
        },
    ]
}

fn tencent_organization() -> Organization {
    let members = TENCENT_MEMBERS
        .iter()
        .map(|&(uin, name)| {
            let mut policies = vec![
                policy(
                    1001,
                    "admin-access",
                    1,
                    "OrganizationAccessControlRole",
                    "admin",
                    "Full administrative access to the member account",
                ),
                policy(
                    1002,
                    "readonly-access",
                    2,
                    "OrganizationReadOnlyRole",
                    "readonly",
                    "Read-only access to the member account",
                ),
            ];
            if uin == 100_000_000_102 {
                policies.push(policy(
                    1003,
                    "billing",
                    3,
                    "OrganizationFinanceRole",
                    "finance",
                    "Billing and cost management of the member account",
                ));
            }
            Member {
                uin,
                name: name.into(),
                policies,
            }
        })
        .collect();
    let sub_accounts = TENCENT_SUB_ACCOUNT_NAMES
        .iter()
        .zip(TENCENT_FIRST_SUB_ACCOUNT_UIN..)
        .map(|(name, uin)| SubAccount {
            uin,
            name: (*name).into(),
        })
        .collect();
    Organization {
        org_id: TENCENT_ORG_ID,
        management_uin: TENCENT_MANAGEMENT_UIN,
        members,
        sub_accounts,
        bindings: Vec::new(),
        next_binding_seq: 1,
    }
}

fn policy(
    id: i64,
    name: &str,
    identity_id: i64,
    role: &str,
    alias: &str,
    description: &str,
) -> MemberPolicy {
    MemberPolicy {
        policy_id: id,
        policy_name: name.into(),
        identity_id,
        identity_role_name: role.into(),
        identity_role_alias_name: alias.into(),
        description: description.into(),
        create_time: SEED_TIME.into(),
        update_time: SEED_TIME.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_matches_the_documented_fixture() {
        let world = seed();
        let org = &world.tencent.organization;
        assert_eq!(org.members.len(), 3);
        assert_eq!(org.member(100_000_000_102).unwrap().policies.len(), 3);
        assert_eq!(org.member(100_000_000_101).unwrap().policies.len(), 2);
        assert_eq!(org.sub_accounts.len(), 12);
        assert_eq!(org.sub_accounts[11].uin, 200_000_000_012);
        assert_eq!(org.sub_account(200_000_000_002).unwrap().name, "ops-bob");
        assert!(org.bindings.is_empty());
        assert!(
            TENCENT_SECRET_ID.starts_with("AKID") && TENCENT_TEMP_SECRET_ID.starts_with("AKID")
        );
    }
}
