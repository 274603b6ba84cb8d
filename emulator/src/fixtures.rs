//! The documented seed world (see emulator/README.md). Tests and examples rely on these exact
//! identifiers, so change them only together with the README.

use crate::huawei::jobs::states;
use crate::huawei::model::{
    Account, Handshake, HuaweiCredential, HuaweiWorld, IdentityCenterWorld, Instance, ManagedAccount, Membership,
    Organization as HwOrganization, OrganizationalUnit, OrganizationsWorld, PermissionSet, Principal, RgcWorld,
};
use crate::huawei::organizations::HANDSHAKE_TTL_MS;
use crate::huawei::rgc::{OWNER_CUSTOM, OWNER_RGC, TYPE_MANAGEMENT, TYPE_MEMBER};
use crate::state::{Credentials, SCHEMA_VERSION, World};
use crate::tencent::model::{Member, MemberPolicy, Organization, SubAccount, TencentCredential, TencentWorld};
use crate::timefmt;
use crate::zstack::model::{
    ACCESS_KEY_DISABLED, ACCESS_KEY_ENABLED, Organization as ZsOrganization, Project, ProjectOrganizationRef,
    ZStackAccessKey, ZStackAccount, ZStackCredentials, ZStackWorld,
};

pub const TENCENT_SECRET_ID: &str = "AKIDtetheremulator00000000000000000";
pub const TENCENT_SECRET_KEY: &str = "tether-emulator-tencent-secret-key";
pub const TENCENT_TEMP_SECRET_ID: &str = "AKIDtethertemporary0000000000000000";
pub const TENCENT_TEMP_SECRET_KEY: &str = "tether-emulator-tencent-temp-key";
pub const TENCENT_TEMP_TOKEN: &str = "tether-emulator-tencent-token";

pub const TENCENT_ORG_ID: i64 = 10_001;
pub const TENCENT_MANAGEMENT_UIN: i64 = 100_000_000_001;
pub const TENCENT_MEMBERS: [(i64, &str); 3] =
    [(100_000_000_101, "finance-prod"), (100_000_000_102, "data-platform"), (100_000_000_103, "sandbox")];
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

/// One Huawei account of the fixture: id (= domain id), name, project id in
/// [`HUAWEI_REGION`], AK, SK.
pub struct HuaweiFixtureAccount {
    pub id: &'static str,
    pub name: &'static str,
    pub project_id: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,
    pub role: &'static str,
}

pub const HUAWEI_REGION: &str = "cn-north-4";
pub const HUAWEI_MANAGEMENT: HuaweiFixtureAccount = HuaweiFixtureAccount {
    id: "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60",
    name: "tether-management",
    project_id: "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5",
    access_key: "HWTETHERMANAGEMENT01",
    secret_key: "tether-emulator-huawei-management-sk",
    role: "the organization's management account (also runs RGC and Identity Center)",
};
pub const HUAWEI_FINANCE_PROD: HuaweiFixtureAccount = HuaweiFixtureAccount {
    id: "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71",
    name: "finance-prod",
    project_id: "6a1d7c8e5b3d4eaf9a2c7b8d9e0f1ac6",
    access_key: "HWTETHERFINANCEPROD1",
    secret_key: "tether-emulator-huawei-finance-prod-sk",
    role: "organization member, enrolled in RGC (Workloads)",
};
pub const HUAWEI_DATA_PLATFORM: HuaweiFixtureAccount = HuaweiFixtureAccount {
    id: "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82",
    name: "data-platform",
    project_id: "7b2e8d9f6c4e4fb08b3d8c9e0f1a2bd7",
    access_key: "HWTETHERDATAPLATFRM1",
    secret_key: "tether-emulator-huawei-data-platform-sk",
    role: "organization member, not enrolled in RGC",
};
pub const HUAWEI_NEW_ACQUISITION: HuaweiFixtureAccount = HuaweiFixtureAccount {
    id: "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93",
    name: "new-acquisition",
    project_id: "8c3f9e0a7d5f4ac19c4e9d0f1a2b3ce8",
    access_key: "HWTETHERNEWACQUISIT1",
    secret_key: "tether-emulator-huawei-new-acquisition-sk",
    role: "standalone account with a pending invitation",
};
pub const HUAWEI_LONE_WOLF: HuaweiFixtureAccount = HuaweiFixtureAccount {
    id: "4e9b5a6c3f1b4c8d8e0a5f6b7c8d9ea4",
    name: "lone-wolf",
    project_id: "9d4a0f1b8e6a4bd2ad5f0e1a2b3c4df9",
    access_key: "HWTETHERLONEWOLF0001",
    secret_key: "tether-emulator-huawei-lone-wolf-sk",
    role: "standalone account without invitations",
};
pub const HUAWEI_ACCOUNTS: [HuaweiFixtureAccount; 5] =
    [HUAWEI_MANAGEMENT, HUAWEI_FINANCE_PROD, HUAWEI_DATA_PLATFORM, HUAWEI_NEW_ACQUISITION, HUAWEI_LONE_WOLF];
pub const HUAWEI_TEMP_ACCESS_KEY: &str = "HWTETHERTEMPMGMT0001";
pub const HUAWEI_TEMP_SECRET_KEY: &str = "tether-emulator-huawei-temp-sk";
pub const HUAWEI_TEMP_TOKEN: &str = "tether-emulator-huawei-security-token";

pub const HUAWEI_ORG_ID: &str = "o-tether0001";
pub const HUAWEI_PENDING_HANDSHAKE: &str = "h-7c1e0a9b2d4f4e6a";
pub const HUAWEI_LANDING_ZONE_VERSION: &str = "v1.0.0";
pub const HUAWEI_OUS: [(&str, &str); 4] = [
    ("ou-tether-root", "Root"),
    ("ou-tether-security", "Security"),
    ("ou-tether-workloads", "Workloads"),
    ("ou-tether-sandbox", "Sandbox"),
];
pub const HUAWEI_IC_INSTANCE: &str = "ins-tether00000001";
pub const HUAWEI_IC_IDENTITY_STORE: &str = "d-tether00001";
pub const HUAWEI_IC_USERS: [(&str, &str); 2] = [("u-alice", "alice"), ("u-bob", "bob")];
pub const HUAWEI_IC_GROUPS: [(&str, &str); 2] = [("g-admins", "admins"), ("g-auditors", "auditors")];
pub const HUAWEI_IC_PERMISSION_SETS: [(&str, &str); 3] =
    [("ps-admin", "AdministratorAccess"), ("ps-readonly", "ReadOnlyAccess"), ("ps-billing", "BillingAccess")];

/// ZStack's built-in administrator (`AccountConstant.INITIAL_SYSTEM_ADMIN_UUID`).
pub const ZSTACK_ADMIN_UUID: &str = "36c27e8ff05c4780bf6d2fa65700f22e";
pub const ZSTACK_ADMIN_NAME: &str = "admin";
pub const ZSTACK_ADMIN_PASSWORD: &str = "password";
/// Lower-case hex SHA-512 of [`ZSTACK_ADMIN_PASSWORD`]: what `LogInByAccount` must send.
pub const ZSTACK_ADMIN_PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
pub const ZSTACK_ACCESS_KEY_ID: &str = "TETHERZSTACKACCESSKEY1";
pub const ZSTACK_ACCESS_KEY_SECRET: &str = "tether-emulator-zstack-access-key-secret";
pub const ZSTACK_DISABLED_ACCESS_KEY_ID: &str = "TETHERZSTACKDISABLED01";
pub const ZSTACK_DISABLED_ACCESS_KEY_SECRET: &str = "tether-emulator-zstack-disabled-secret";
/// IAM2 projects: uuid, name, linked account uuid, description (all `Enabled`).
pub const ZSTACK_PROJECTS: [(&str, &str, &str, &str); 4] = [
    (
        "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01",
        "payments",
        "8d3e2f1a0b9c4d8e9f0a1b2c3d4e5f01",
        "Payment processing workloads",
    ),
    (
        "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b02",
        "analytics",
        "8d3e2f1a0b9c4d8e9f0a1b2c3d4e5f02",
        "Data analytics and reporting",
    ),
    ("6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b03", "sandbox", "8d3e2f1a0b9c4d8e9f0a1b2c3d4e5f03", "Experiments; anything goes"),
    ("6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04", "legacy-erp", "8d3e2f1a0b9c4d8e9f0a1b2c3d4e5f04", "The old ERP system"),
];
/// IAM2 organizations: uuid, name, type, parent uuid (all `Enabled`).
pub const ZSTACK_ORGANIZATIONS: [(&str, &str, &str, Option<&str>); 3] = [
    ("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01", "Tether Corp", "Company", None),
    ("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02", "Finance Dept", "Department", Some("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01")),
    ("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03", "Engineering Dept", "Department", Some("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01")),
];

/// Fixed so that a freshly seeded world is byte-for-byte reproducible.
const SEED_TIME: &str = "2024-01-15 10:00:00";
/// The same instant for Huawei (UTC, Unix milliseconds): 2024-01-15T02:00:00Z.
const HUAWEI_SEED_MS: i64 = 1_705_284_000_000;

/// The documented fixture. The pending invitation is stamped with the current time (it expires 14
/// days after seeding); everything else is fixed.
pub fn seed() -> World {
    seed_at(timefmt::now_ms())
}

/// The fixture with `sub_accounts` Tencent sub-accounts instead of the named twelve (for load
/// tests: `sub-0013`, `sub-0014`, … follow the named ones).
pub fn seed_with_sub_accounts(sub_accounts: usize) -> World {
    let mut world = seed();
    let organization = &mut world.tencent.organization;
    let named = organization.sub_accounts.len();
    organization.sub_accounts.truncate(sub_accounts);
    organization.sub_accounts.extend(
        (named..sub_accounts)
            .map(|i| SubAccount { uin: TENCENT_FIRST_SUB_ACCOUNT_UIN + i as i64, name: format!("sub-{:04}", i + 1) }),
    );
    world
}

/// [`seed`] as if seeded at `now` (Unix milliseconds).
pub fn seed_at(now: i64) -> World {
    World {
        schema: SCHEMA_VERSION,
        credentials: Credentials {
            tencent: tencent_credentials(),
            huawei: huawei_credentials(),
            zstack: zstack_credentials(),
        },
        tencent: TencentWorld { organization: tencent_organization() },
        huawei: huawei_world(now),
        zstack: zstack_world(),
    }
}

fn zstack_credentials() -> ZStackCredentials {
    let key = |id: &str, secret: &str, state: &str, description: &str| ZStackAccessKey {
        access_key_id: id.into(),
        access_key_secret: secret.into(),
        account_uuid: ZSTACK_ADMIN_UUID.into(),
        state: state.into(),
        description: description.into(),
    };
    ZStackCredentials {
        accounts: vec![ZStackAccount {
            account_name: ZSTACK_ADMIN_NAME.into(),
            password: ZSTACK_ADMIN_PASSWORD.into(),
            password_sha512: ZSTACK_ADMIN_PASSWORD_SHA512.into(),
            account_uuid: ZSTACK_ADMIN_UUID.into(),
            description: "the built-in administrator; LogInByAccount sends password_sha512".into(),
        }],
        access_keys: vec![
            key(ZSTACK_ACCESS_KEY_ID, ZSTACK_ACCESS_KEY_SECRET, ACCESS_KEY_ENABLED, "AccessKey of admin"),
            key(
                ZSTACK_DISABLED_ACCESS_KEY_ID,
                ZSTACK_DISABLED_ACCESS_KEY_SECRET,
                ACCESS_KEY_DISABLED,
                "disabled AccessKey of admin (refused with 403)",
            ),
        ],
    }
}

fn zstack_world() -> ZStackWorld {
    let projects = ZSTACK_PROJECTS
        .iter()
        .map(|(uuid, name, linked_account, description)| Project {
            uuid: (*uuid).into(),
            name: (*name).into(),
            description: (*description).into(),
            linked_account_uuid: (*linked_account).into(),
            state: "Enabled".into(),
            created_at: HUAWEI_SEED_MS,
            last_op_at: HUAWEI_SEED_MS,
        })
        .collect();
    let organizations = ZSTACK_ORGANIZATIONS
        .iter()
        .map(|(uuid, name, kind, parent)| ZsOrganization {
            uuid: (*uuid).into(),
            name: (*name).into(),
            description: format!("{name} of the tether fixture"),
            parent_uuid: parent.map(str::to_owned),
            state: "Enabled".into(),
            kind: (*kind).into(),
            created_at: HUAWEI_SEED_MS,
            last_op_at: HUAWEI_SEED_MS,
        })
        .collect();
    ZStackWorld {
        sessions: Vec::new(),
        projects,
        organizations,
        // legacy-erp belongs to Finance Dept.
        project_organization_refs: vec![ProjectOrganizationRef {
            id: 1,
            project_uuid: ZSTACK_PROJECTS[3].0.into(),
            organization_uuid: ZSTACK_ORGANIZATIONS[1].0.into(),
            created_at: HUAWEI_SEED_MS,
            last_op_at: HUAWEI_SEED_MS,
        }],
        next_ref_id: 2,
        jobs: Vec::new(),
    }
}

fn huawei_credentials() -> Vec<HuaweiCredential> {
    let mut credentials: Vec<HuaweiCredential> = HUAWEI_ACCOUNTS
        .iter()
        .map(|a| HuaweiCredential {
            access_key: a.access_key.into(),
            secret_key: a.secret_key.into(),
            security_token: None,
            account_id: a.id.into(),
            account_name: a.name.into(),
            domain_id: a.id.into(),
            project_id: a.project_id.into(),
            description: format!("permanent AK/SK of {}: {}", a.name, a.role),
        })
        .collect();
    credentials.insert(
        1,
        HuaweiCredential {
            access_key: HUAWEI_TEMP_ACCESS_KEY.into(),
            secret_key: HUAWEI_TEMP_SECRET_KEY.into(),
            security_token: Some(HUAWEI_TEMP_TOKEN.into()),
            account_id: HUAWEI_MANAGEMENT.id.into(),
            account_name: HUAWEI_MANAGEMENT.name.into(),
            domain_id: HUAWEI_MANAGEMENT.id.into(),
            project_id: HUAWEI_MANAGEMENT.project_id.into(),
            description: "temporary AK/SK of tether-management; needs X-Security-Token".into(),
        },
    );
    credentials
}

fn huawei_world(now: i64) -> HuaweiWorld {
    let management = HUAWEI_MANAGEMENT.id;
    let accounts = HUAWEI_ACCOUNTS
        .iter()
        .map(|a| Account {
            id: a.id.into(),
            name: a.name.into(),
            email: format!("{}@tether.example", a.name),
            project_id: a.project_id.into(),
        })
        .collect();
    let membership = |account: &HuaweiFixtureAccount, join_method: &str| Membership {
        account_id: account.id.into(),
        join_method: join_method.into(),
        status: "active".into(),
        joined_at: HUAWEI_SEED_MS,
    };
    let organization = HwOrganization {
        id: HUAWEI_ORG_ID.into(),
        urn: format!("organizations::{management}:organization:{HUAWEI_ORG_ID}"),
        management_account_id: management.into(),
        created_at: HUAWEI_SEED_MS,
        members: vec![
            membership(&HUAWEI_MANAGEMENT, "created"),
            membership(&HUAWEI_FINANCE_PROD, "invited"),
            membership(&HUAWEI_DATA_PLATFORM, "invited"),
        ],
    };
    let handshake = Handshake {
        id: HUAWEI_PENDING_HANDSHAKE.into(),
        urn: format!("organizations::{management}:handshake:{HUAWEI_ORG_ID}/{HUAWEI_PENDING_HANDSHAKE}"),
        organization_id: HUAWEI_ORG_ID.into(),
        management_account_id: management.into(),
        target_type: "account".into(),
        target_entity: HUAWEI_NEW_ACQUISITION.id.into(),
        target_account_id: HUAWEI_NEW_ACQUISITION.id.into(),
        notes: "Welcome to the tether organization".into(),
        status: "pending".into(),
        created_at: now,
        updated_at: now,
        expired_at: now + HANDSHAKE_TTL_MS,
    };
    let managed = |account: &HuaweiFixtureAccount, account_type: &str, owner: &str, ou: &str| ManagedAccount {
        account_id: account.id.into(),
        account_type: account_type.into(),
        owner: owner.into(),
        state: states::ENROLLED.into(),
        parent_organizational_unit_id: ou.into(),
        blueprint: None,
        created_at: HUAWEI_SEED_MS,
        updated_at: HUAWEI_SEED_MS,
    };
    let principals = |list: &[(&str, &str)]| {
        list.iter().map(|(id, name)| Principal { id: (*id).into(), name: (*name).into() }).collect()
    };
    HuaweiWorld {
        region: HUAWEI_REGION.into(),
        accounts,
        organizations: OrganizationsWorld { organization, handshakes: vec![handshake] },
        rgc: RgcWorld {
            landing_zone_version: HUAWEI_LANDING_ZONE_VERSION.into(),
            organizational_units: HUAWEI_OUS
                .iter()
                .map(|(id, name)| OrganizationalUnit { id: (*id).into(), name: (*name).into() })
                .collect(),
            managed_accounts: vec![
                managed(&HUAWEI_MANAGEMENT, TYPE_MANAGEMENT, OWNER_RGC, "ou-tether-root"),
                managed(&HUAWEI_FINANCE_PROD, TYPE_MEMBER, OWNER_CUSTOM, "ou-tether-workloads"),
            ],
            operations: Vec::new(),
        },
        identity_center: IdentityCenterWorld {
            instance: Instance {
                instance_id: HUAWEI_IC_INSTANCE.into(),
                identity_store_id: HUAWEI_IC_IDENTITY_STORE.into(),
                alias: "tether".into(),
                instance_urn: format!("IdentityCenter::{management}:instance:{HUAWEI_IC_INSTANCE}"),
            },
            users: principals(&HUAWEI_IC_USERS),
            groups: principals(&HUAWEI_IC_GROUPS),
            permission_sets: HUAWEI_IC_PERMISSION_SETS
                .iter()
                .map(|(id, name)| PermissionSet { id: (*id).into(), name: (*name).into() })
                .collect(),
            assignments: Vec::new(),
            assignment_requests: Vec::new(),
            next_assignment_seq: 1,
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
            description: "temporary (STS) credential of the management account; needs X-TC-Token".into(),
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
            Member { uin, name: name.into(), policies }
        })
        .collect();
    let sub_accounts = TENCENT_SUB_ACCOUNT_NAMES
        .iter()
        .zip(TENCENT_FIRST_SUB_ACCOUNT_UIN..)
        .map(|(name, uin)| SubAccount { uin, name: (*name).into() })
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

fn policy(id: i64, name: &str, identity_id: i64, role: &str, alias: &str, description: &str) -> MemberPolicy {
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
    fn more_sub_accounts_follow_the_named_ones() {
        let world = seed_with_sub_accounts(300);
        let subs = &world.tencent.organization.sub_accounts;
        assert_eq!(subs.len(), 300);
        assert_eq!(subs[11].name, "ops-niaj");
        assert_eq!((subs[12].uin, subs[12].name.as_str()), (200_000_000_013, "sub-0013"));
        assert_eq!(subs[299].uin, 200_000_000_300);
        assert_eq!(seed_with_sub_accounts(2).tencent.organization.sub_accounts.len(), 2);
    }

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
        assert!(TENCENT_SECRET_ID.starts_with("AKID") && TENCENT_TEMP_SECRET_ID.starts_with("AKID"));
    }

    #[test]
    fn huawei_seed_matches_the_documented_fixture() {
        let world = seed_at(HUAWEI_SEED_MS);
        let credentials = &world.credentials.huawei;
        assert_eq!(credentials.len(), 6);
        for credential in credentials {
            assert_eq!(credential.access_key.len(), 20, "{}", credential.access_key);
            assert!(credential.access_key.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
            assert_eq!(credential.domain_id, credential.account_id);
        }
        for account in &world.huawei.accounts {
            for id in [&account.id, &account.project_id] {
                assert_eq!(id.len(), 32);
                assert!(id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
            }
        }
        let org = &world.huawei.organizations.organization;
        assert_eq!(org.members.len(), 3);
        assert!(!org.is_member(HUAWEI_NEW_ACQUISITION.id));
        let handshake = &world.huawei.organizations.handshakes[0];
        assert_eq!(handshake.expired_at - handshake.created_at, 14 * 86_400_000);
        assert_eq!(timefmt::huawei_datetime(HUAWEI_SEED_MS), "2024-01-15T02:00:00.000Z");
        assert_eq!(world.huawei.rgc.managed_accounts.len(), 2);
        assert!(world.huawei.rgc.managed(HUAWEI_DATA_PLATFORM.id).is_none());
        assert_eq!(world.huawei.identity_center.permission_sets.len(), 3);
    }

    #[test]
    fn zstack_seed_matches_the_documented_fixture() {
        use sha2::{Digest, Sha512};
        assert_eq!(hex::encode(Sha512::digest(ZSTACK_ADMIN_PASSWORD)), ZSTACK_ADMIN_PASSWORD_SHA512);
        let world = seed();
        let zstack = &world.zstack;
        let is_uuid = |id: &str| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
        for project in &zstack.projects {
            assert!(is_uuid(&project.uuid) && is_uuid(&project.linked_account_uuid));
        }
        assert!(zstack.organizations.iter().all(|o| is_uuid(&o.uuid)));
        assert!(is_uuid(ZSTACK_ADMIN_UUID));
        assert_eq!(zstack.project_organization_refs.len(), 1);
        let erp = zstack.project_ref(ZSTACK_PROJECTS[3].0).unwrap();
        assert_eq!(zstack.organization(&erp.organization_uuid).unwrap().name, "Finance Dept");
        let keys = &world.credentials.zstack.access_keys;
        assert_eq!(keys.iter().filter(|k| k.is_enabled()).count(), 1, "one enabled, one disabled key");
    }
}
