//! The bad-input catalogue: malformed configurations and import IDs across every resource, the
//! provider configuration, the data sources and `list` blocks, run through the real Terraform.
//!
//! Every case must be answered by its own error diagnostic that carries the attribute path
//! (Terraform shows `on <file> line N, in <block>:` and quotes the offending source line) and the
//! expected form. Import IDs have no source line (Terraform attaches none to import
//! diagnostics), so their diagnostic must quote the ID itself. Nothing may panic, nothing may
//! reach the state, and the cloud must see no write call.
//!
//! The cases are batched — one Terraform run reports every invalid block at once — so the whole
//! catalogue takes a handful of runs.

mod support;

use std::collections::BTreeMap;
use std::time::Instant;

use support::{Emulator, HW_MANAGEMENT, REQUIRED_PROVIDERS, Run, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace};

const MAB: &str = "tether_member_auth_binding";
const MEMBERSHIP: &str = "tether_organization_membership";
const RGC: &str = "tether_rgc_managed_account";
const IC: &str = "tether_identity_center_profile_association";
const IAM2: &str = "tether_iam2_project_organization";
const PROVIDER: &str = "provider \"tether\"";
const DATA_SOURCES: &str = "data sources";

const ZSTACK_KEY_ID: &str = "TETHERZSTACKACCESSKEY1";
const ZSTACK_KEY_SECRET: &str = "tether-emulator-zstack-access-key-secret";

/// What every cloud answers when asked to change something; none of them may appear.
const WRITE_ACTIONS: &[&str] = &[
    "BindOrganizationMemberAuthAccount",
    "CancelOrganizationMemberAuthAccount",
    "AcceptHandshake",
    "DeclineHandshake",
    "CancelHandshake",
    "InviteAccount",
    "RemoveAccount",
    "LeaveOrganization",
    "EnrollAccount",
    "UpdateManagedAccount",
    "UnEnrollAccount",
    "CreateAccountAssignment",
    "DeleteAccountAssignment",
    "DisassociateProfile",
    "AttachIAM2ProjectToIAM2Organization",
    "DetachIAM2ProjectFromIAM2Organization",
];

// The expected forms, as the provider words them.
const ID_CHARS: &str = "is not a valid ID: expected letters, digits, '-' and '_'.";
const READ_ONLY: &str = "is read-only: the provider reads it from the cloud, so a configuration cannot set it. Remove";
const DURATION: &str =
    "Expected a number with a unit, such as \"90s\", \"30m\" or \"1h30m\" (units ms, s, m, h), at most 720h (30 days).";
const UUID: &str = "is not a ZStack UUID: expected 32 lower-case hexadecimal characters without dashes, such as \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\".";
const HANDSHAKE: &str = "is not an invitation (handshake) ID; expected the ID from the invitation, such as \"h-7c1e0a9b2d4f4e6a\" (letters, digits, '-' and '_').";
const URL: &str = "Expected a full URL with scheme, such as \"https://organization.tencentcloudapi.com\" or \"http://127.0.0.1:8080\".";
const RETRY_WAIT: &str = "Expected a duration from 1s to 10m, such as \"30s\" or \"2m\".";
/// What `protect` accepts: every resource type, then every action type.
const PROTECTABLE_TYPES: &str = "expected one of tether_member_auth_binding, tether_organization_membership, tether_rgc_managed_account, tether_identity_center_profile_association, tether_iam2_project_organization, tether_organization_cancel_member_auth, tether_organization_revoke_sub_account, tether_identity_center_disassociate_profile, tether_organizations_leave, tether_rgc_unenroll_account, tether_iam2_detach_project.";
const MAB_FORMS: &str = "Expected `<member_uin>/<policy_id>/<org_sub_account_uin>` (for example `100000000101/1001/200000000001`), or Tencent's own `<policy_id>#<member_uin>#<org_sub_account_uin>`.";
const IC_FORM: &str =
    "Expected `<instance_id>/<USER|GROUP>/<principal_id>` (for example `ins-tether00000001/USER/u-alice`).";
const MEMBERSHIP_FORM: &str = "is not an organization ID. Expected `<organization_id>`, the ID of the organization this account belongs to (for example `o-tether0001`).";
const RGC_FORM: &str = "is not a managed account ID. Expected `<managed_account_id>`, the ID of the enrolled account (for example `1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71`).";
const IAM2_FORM: &str = "is not a project UUID. Expected `<project_uuid>`: 32 lower-case hexadecimal characters without dashes, such as `6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01`.";

/// A valid body for each block type, as `path = value` lines (`a.b = v` is `v` inside block `a`).
fn template(type_name: &str) -> &'static [&'static str] {
    match type_name {
        MAB => &["member_uin = 100000000101", "policy_id = 1001", "org_sub_account_uin = 200000000001"],
        RGC => &[
            "managed_account_id = \"2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82\"",
            "parent_organizational_unit_id = \"ou-tether-workloads\"",
        ],
        IC => &["instance_id = \"ins-tether00000001\"", "principal_type = \"GROUP\"", "principal_id = \"g-admins\""],
        IAM2 => &[
            "project_uuid = \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\"",
            "organization_uuid = \"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02\"",
        ],
        "tether_member_policies" => &["member_uin = 100000000101"],
        "tether_member_auth_bindings" => &["member_uin = 100000000101", "policy_id = 1001"],
        "tether_identity_center_principal_assignments" => {
            &["instance_id = \"ins-tether00000001\"", "principal_type = \"USER\"", "principal_id = \"u-alice\""]
        }
        "tether_rgc_managed_accounts" => &["parent_organizational_unit_id = \"ou-tether-workloads\""],
        "list tether_member_auth_binding" => &["provider = tether", "config.member_uin = 100000000101"],
        "list tether_rgc_managed_account" => {
            &["provider = tether", "config.parent_organizational_unit_id = \"ou-tether-workloads\""]
        }
        "list tether_identity_center_profile_association" => {
            &["provider = tether", "config.instance_id = \"ins-tether00000001\""]
        }
        "list tether_iam2_project_organization" | "list tether_organization_membership" => &["provider = tether"],
        _ => &[],
    }
}

/// One malformed block and the diagnostic it must get.
#[derive(Clone)]
struct Bad {
    /// For the summary: the resource type, `provider "tether"` or `data sources`.
    subject: String,
    /// For the summary: what kind of input (`config`, `list`, `validate`, ...).
    kind: &'static str,
    file: &'static str,
    /// `resource "T"`, `data "T"`, `list "T"`, or `provider "tether"` (which gets no name).
    block: String,
    /// `path = value` lines; `-name` removes a template line.
    body: Vec<String>,
    /// The source line Terraform must quote; the first override's line when `None`.
    shown: Option<String>,
    summary: String,
    expect: Vec<String>,
}

impl Bad {
    /// The block `template` with `overrides` applied; its diagnostic is given by [`Bad::answer`].
    fn new(
        subject: &str,
        kind: &'static str,
        file: &'static str,
        block: String,
        template: &[&str],
        overrides: &[&str],
    ) -> Bad {
        let key = |line: &str| line.trim_start_matches('-').split(" = ").next().unwrap_or_default().to_string();
        let mut body: Vec<String> = template.iter().map(|l| l.to_string()).collect();
        for line in overrides {
            match body.iter().position(|existing| key(existing) == key(line)) {
                Some(at) if line.starts_with('-') => {
                    body.remove(at);
                }
                Some(at) => body[at] = line.to_string(),
                None => body.push(line.to_string()),
            }
        }
        let shown = overrides.first().filter(|l| !l.starts_with('-')).map(|l| {
            let (path, value) = l.split_once(" = ").expect("path = value");
            format!("{} = {value}", path.rsplit('.').next().unwrap())
        });
        Bad { subject: subject.to_string(), kind, file, block, body, shown, summary: String::new(), expect: Vec::new() }
    }

    fn answer(mut self, summary: &str, expect: &[&str]) -> Bad {
        self.summary = summary.to_string();
        self.expect = expect.iter().map(|e| e.to_string()).collect();
        self
    }

    fn shows(mut self, line: &str) -> Bad {
        self.shown = Some(line.to_string());
        self
    }
}

fn resource(type_name: &str, overrides: &[&str], summary: &str, expect: &[&str]) -> Bad {
    Bad::new(type_name, "config", "main.tf", format!("resource \"{type_name}\""), template(type_name), overrides)
        .answer(summary, expect)
}

fn data(type_name: &str, overrides: &[&str], summary: &str, expect: &[&str]) -> Bad {
    Bad::new(DATA_SOURCES, "config", "main.tf", format!("data \"{type_name}\""), template(type_name), overrides)
        .answer(summary, expect)
}

fn list(type_name: &str, overrides: &[&str], summary: &str, expect: &[&str]) -> Bad {
    Bad::new(
        type_name,
        "list",
        "bad.tfquery.hcl",
        format!("list \"{type_name}\""),
        template(&format!("list {type_name}")),
        overrides,
    )
    .answer(summary, expect)
}

fn provider(kind: &'static str, body: &[&str], shown: &str, summary: &str, expect: &[&str]) -> Bad {
    Bad::new(PROVIDER, kind, "main.tf", PROVIDER.to_string(), body, &[]).answer(summary, expect).shows(shown)
}

/// A malformed import, by ID or by identity.
struct BadImport {
    type_name: &'static str,
    id: Option<String>,
    identity: Vec<String>,
    /// The import ID the provider sees (for an identity: its parts joined with `/`).
    seen: String,
    expect: Vec<String>,
}

fn import_id(type_name: &'static str, id: &str, expect: &[&str]) -> BadImport {
    BadImport {
        type_name,
        id: Some(id.to_string()),
        identity: Vec::new(),
        seen: id.to_string(),
        expect: expect.iter().map(|e| e.to_string()).collect(),
    }
}

fn import_identity(type_name: &'static str, identity: &[&str], seen: &str, expect: &[&str]) -> BadImport {
    BadImport {
        type_name,
        id: None,
        identity: identity.iter().map(|l| l.to_string()).collect(),
        seen: seen.to_string(),
        expect: expect.iter().map(|e| e.to_string()).collect(),
    }
}

fn resource_cases() -> Vec<Bad> {
    vec![
        // tether_member_auth_binding
        resource(
            MAB,
            &["member_uin = -5"],
            "Invalid member_uin",
            &["member_uin must be a positive whole number, such as 100000000101; got -5."],
        ),
        resource(
            MAB,
            &["policy_id = 1.5"],
            "Invalid policy_id",
            &["policy_id must be a positive whole number, such as 1001; got 1.5."],
        ),
        resource(
            MAB,
            &["policy_id = 0"],
            "Invalid policy_id",
            &["policy_id must be a positive whole number, such as 1001; got 0."],
        ),
        resource(
            MAB,
            &["org_sub_account_uin = 100000000000000000000"],
            "Invalid org_sub_account_uin",
            &["org_sub_account_uin must be a positive whole number, such as 200000000001; got 100000000000000000000."],
        ),
        resource(
            MAB,
            &["member_uin = \"finance-prod\""],
            "Incorrect attribute value type",
            &["Inappropriate value for attribute \"member_uin\": a number is required."],
        ),
        resource(
            MAB,
            &["detach_on_destroy = \"maybe\""],
            "Incorrect attribute value type",
            &["Inappropriate value for attribute \"detach_on_destroy\": a bool is required."],
        ),
        resource(MAB, &["policy_name = \"admin-access\""], "Read-only attribute policy_name is set", &[READ_ONLY]),
        resource(
            MAB,
            &["-policy_id"],
            "Missing required argument",
            &["The argument \"policy_id\" is required, but no definition was found."],
        )
        .shows("{header}"),
        resource(
            MAB,
            &["timeouts.create = \"10m\""],
            "Unsupported block type",
            &["Blocks of type \"timeouts\" are not expected here."],
        )
        .shows("timeouts {"),
        // tether_organization_membership
        resource(MEMBERSHIP, &["handshake_id = \"\""], "Invalid handshake_id", &[&format!("\"\" {HANDSHAKE}")]),
        resource(
            MEMBERSHIP,
            &["handshake_id = \"h 7c1e0a9b2d4f4e6a\""],
            "Invalid handshake_id",
            &[&format!("\"h 7c1e0a9b2d4f4e6a\" {HANDSHAKE}")],
        ),
        resource(
            MEMBERSHIP,
            &["handshake_id = \"received-handshakes/h-7c1e0a9b2d4f4e6a\""],
            "Invalid handshake_id",
            &[&format!("\"received-handshakes/h-7c1e0a9b2d4f4e6a\" {HANDSHAKE}")],
        ),
        resource(
            MEMBERSHIP,
            &["handshake_id = \"h-7c1e0a9b2d4f4e6ah-7c1e0a9b2d4f4e6ah-7c1e0a9b2d4f4e6ah-7c1e0a9b2d4f4e6a\""],
            "Invalid handshake_id",
            &[HANDSHAKE],
        ),
        resource(
            MEMBERSHIP,
            &["organization_id = \"o-tether0001\""],
            "Read-only attribute organization_id is set",
            &[READ_ONLY],
        ),
        // tether_rgc_managed_account
        resource(
            RGC,
            &["managed_account_id = \"acct/1\""],
            "Invalid managed_account_id",
            &[
                "\"acct/1\" is not a valid managed_account_id; expected an ID such as \"1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71\" (letters, digits, '-' and '_').",
            ],
        ),
        resource(
            RGC,
            &["parent_organizational_unit_id = \"\""],
            "Invalid parent_organizational_unit_id",
            &[
                "\"\" is not a valid parent_organizational_unit_id; expected an ID such as \"ou-tether-workloads\" (letters, digits, '-' and '_').",
            ],
        ),
        resource(
            RGC,
            &["parent_organizational_unit_id = \"Workloads OU\""],
            "Invalid parent_organizational_unit_id",
            &[
                "\"Workloads OU\" is not a valid parent_organizational_unit_id; expected an ID such as \"ou-tether-workloads\"",
            ],
        ),
        resource(RGC, &["state = \"ENROLLED\""], "Read-only attribute state is set", &[READ_ONLY]),
        resource(
            RGC,
            &["timeouts.create = \"5 minutes\""],
            "Invalid timeouts.create",
            &["\"5 minutes\" is not a usable duration: unknown unit \" minutes\".", DURATION],
        ),
        resource(
            RGC,
            &["timeouts.update = \"10\""],
            "Invalid timeouts.update",
            &["\"10\" is not a usable duration: a unit is missing.", DURATION],
        ),
        resource(
            RGC,
            &["timeouts.delete = \"0s\""],
            "Invalid timeouts.delete",
            &["\"0s\" is not a usable duration: it must be longer than zero.", DURATION],
        ),
        resource(
            RGC,
            &["timeouts.create = \"1d\""],
            "Invalid timeouts.create",
            &["\"1d\" is not a usable duration: unknown unit \"d\".", DURATION],
        ),
        // tether_identity_center_profile_association
        resource(
            IC,
            &["instance_id = \"ins tether\""],
            "Invalid instance_id",
            &[&format!("\"ins tether\" {ID_CHARS}")],
        ),
        resource(
            IC,
            &["principal_type = \"group\""],
            "Invalid principal_type",
            &["principal_type must be \"USER\" or \"GROUP\"; got \"group\"."],
        ),
        resource(
            IC,
            &["principal_type = \"ROLE\""],
            "Invalid principal_type",
            &["principal_type must be \"USER\" or \"GROUP\"; got \"ROLE\"."],
        ),
        resource(
            IC,
            &["principal_id = \"groups/g-admins\""],
            "Invalid principal_id",
            &[&format!("\"groups/g-admins\" {ID_CHARS}")],
        ),
        resource(IC, &["identity_store_id = \"\""], "Invalid identity_store_id", &[&format!("\"\" {ID_CHARS}")]),
        resource(
            IC,
            &[
                "assignment.permission_set_id = \"AdministratorAccess (ps-admin)\"",
                "assignment.account_id = \"1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71\"",
            ],
            "Invalid assignment permission_set_id",
            &[
                "\"AdministratorAccess (ps-admin)\" is not a valid permission_set_id: expected an ID of letters, digits, '-' and '_', such as \"ps-admin\".",
            ],
        ),
        resource(
            IC,
            &["assignment.account_id = \"finance prod\"", "assignment.permission_set_id = \"ps-admin\""],
            "Invalid assignment account_id",
            &[
                "\"finance prod\" is not a valid account_id: expected an ID of letters, digits, '-' and '_', such as \"1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71\".",
            ],
        ),
        // Used to abort the apply: `Instant + Duration` overflowed.
        resource(
            IC,
            &["timeouts.create = \"9300000000000000000s\""],
            "Invalid timeouts.create",
            &["\"9300000000000000000s\" is not a usable duration: it is longer than 720h, the limit.", DURATION],
        ),
        resource(
            IC,
            &["timeouts.delete = \"-1s\""],
            "Invalid timeouts.delete",
            &["\"-1s\" is not a usable duration: expected a number at \"-1s\".", DURATION],
        ),
        // tether_iam2_project_organization
        resource(
            IAM2,
            &["project_uuid = \"6A1F0C2B3D4E4F5A8B9C0D1E2F3A4B01\""],
            "Invalid project_uuid",
            &[&format!("\"6A1F0C2B3D4E4F5A8B9C0D1E2F3A4B01\" {UUID}")],
        ),
        resource(
            IAM2,
            &["project_uuid = \"6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01\""],
            "Invalid project_uuid",
            &[&format!("\"6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01\" {UUID}")],
        ),
        resource(
            IAM2,
            &["organization_uuid = \"Finance Dept\""],
            "Invalid organization_uuid",
            &[&format!("\"Finance Dept\" {UUID}")],
        ),
        resource(
            IAM2,
            &["organization_uuid = \"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d0\""],
            "Invalid organization_uuid",
            &[&format!("\"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d0\" {UUID}")],
        ),
        resource(
            IAM2,
            &["timeouts.create = \"1.5.5s\""],
            "Invalid timeouts.create",
            &["\"1.5.5s\" is not a usable duration: \"1.5.5\" is not a number.", DURATION],
        ),
        resource(
            IAM2,
            &["timeouts.delete = \"99999999999999999999h\""],
            "Invalid timeouts.delete",
            &["\"99999999999999999999h\" is not a usable duration: it is longer than 720h, the limit.", DURATION],
        ),
        resource(
            IAM2,
            &["timeouts.create = \"721h\""],
            "Invalid timeouts.create",
            &["\"721h\" is not a usable duration: it is longer than 720h, the limit.", DURATION],
        ),
        resource(IAM2, &["id = \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\""], "Read-only attribute id is set", &[READ_ONLY]),
        resource(
            IAM2,
            &["timeouts.update = \"5m\""],
            "Unsupported argument",
            &["An argument named \"update\" is not expected here."],
        ),
    ]
}

fn data_source_cases() -> Vec<Bad> {
    vec![
        data(
            "tether_member_policies",
            &["member_uin = 0"],
            "Invalid member_uin",
            &["member_uin must be a positive whole number, such as 100000000101; got 0."],
        ),
        data(
            "tether_member_auth_bindings",
            &["policy_id = -1001"],
            "Invalid policy_id",
            &["policy_id must be a positive whole number, such as 1001; got -1001."],
        ),
        data(
            "tether_identity_center_principal_assignments",
            &["principal_type = \"ROLE\""],
            "Invalid principal_type",
            &["principal_type must be \"USER\" or \"GROUP\"; got \"ROLE\"."],
        ),
        data(
            "tether_identity_center_principal_assignments",
            &["principal_id = \"u bob\""],
            "Invalid principal_id",
            &[&format!("\"u bob\" {ID_CHARS}")],
        ),
        data(
            "tether_rgc_managed_accounts",
            &["parent_organizational_unit_id = \"Workloads OU\""],
            "Invalid parent_organizational_unit_id",
            &[
                "\"Workloads OU\" is not a valid ID: expected letters, digits, '-' and '_', such as \"ou-tether-workloads\".",
            ],
        ),
        data(
            "tether_iam2_projects",
            &["name = \"\""],
            "Invalid name",
            &["name cannot be sent to ZStack as written: query condition \"name=\" has no value."],
        ),
        data(
            "tether_iam2_organizations",
            &["name_like = \"Fin%!=x\""],
            "Invalid name_like",
            &[
                "name_like cannot be sent to ZStack as written: query condition \"name~=Fin%!=x\" would be misread by ZStack: the value contains a query operator.",
            ],
        ),
        data(
            "tether_organization",
            &["organization_id = \"o-tether0001\""],
            "Read-only attribute organization_id is set",
            &[READ_ONLY],
        ),
    ]
}

fn list_cases() -> Vec<Bad> {
    vec![
        list(
            MAB,
            &["config.policy_id = 0"],
            "Invalid policy_id",
            &["policy_id must be a positive whole number, such as 1001; got 0."],
        ),
        list(
            MAB,
            &["config.member_uin = 0.5"],
            "Invalid member_uin",
            &["member_uin must be a positive whole number, such as 100000000101; got 0.5."],
        ),
        list(
            RGC,
            &["config.parent_organizational_unit_id = \"ou/workloads\""],
            "Invalid parent_organizational_unit_id",
            &[
                "\"ou/workloads\" is not a valid parent_organizational_unit_id; expected an ID such as \"ou-tether-workloads\" (letters, digits, '-' and '_').",
            ],
        ),
        list(
            IC,
            &["config.instance_id = \"ins tether\""],
            "Invalid instance_id",
            &[&format!("\"ins tether\" {ID_CHARS}")],
        ),
        list(IC, &["config.account_id = \"acct#1\""], "Invalid account_id", &[&format!("\"acct#1\" {ID_CHARS}")]),
        list(
            IAM2,
            &["config.organization_uuid = \"7B2E1D3C-4F5A-4B6C-9D0E-1F2A3B4C5D02\""],
            "Invalid organization_uuid",
            &[&format!("\"7B2E1D3C-4F5A-4B6C-9D0E-1F2A3B4C5D02\" {UUID}")],
        ),
        list(
            MEMBERSHIP,
            &["config.organization_id = \"o-tether0001\""],
            "Unsupported argument",
            &["An argument named \"organization_id\" is not expected here."],
        ),
    ]
}

/// Checked by ValidateProviderConfig (`terraform validate`).
fn provider_validate_cases() -> Vec<Bad> {
    vec![
        provider(
            "validate",
            &["protect = [\"tether_member_auth_binding\", \"tether_membership\"]"],
            "protect = [\"tether_member_auth_binding\", \"tether_membership\"]",
            "Unknown resource or action type in protect",
            &["\"tether_membership\" is not a resource or action type of this provider;", PROTECTABLE_TYPES],
        ),
        provider(
            "validate",
            &["protect = [\"tether_member_policies\"]"],
            "protect = [\"tether_member_policies\"]",
            "Unknown resource or action type in protect",
            &["\"tether_member_policies\" is not a resource or action type of this provider;", PROTECTABLE_TYPES],
        ),
        provider(
            "validate",
            &["tencentcloud.endpoint = \"organization.tencentcloudapi.com\""],
            "endpoint = \"organization.tencentcloudapi.com\"",
            "Invalid endpoint",
            &["\"organization.tencentcloudapi.com\" is not a usable endpoint:", URL],
        ),
        provider(
            "validate",
            &["huaweicloud.endpoints.rgc = \"ftp://rgc.cn-north-4.myhuaweicloud.com\""],
            "rgc = \"ftp://rgc.cn-north-4.myhuaweicloud.com\"",
            "Invalid endpoint",
            &[
                "\"ftp://rgc.cn-north-4.myhuaweicloud.com\" is not a usable endpoint: the scheme must be http or https.",
                URL,
            ],
        ),
        provider(
            "validate",
            &["huaweicloud.endpoints.identitycenter = \"identitycenter.myhuaweicloud.com:443\""],
            "identitycenter = \"identitycenter.myhuaweicloud.com:443\"",
            "Invalid endpoint",
            &[
                "\"identitycenter.myhuaweicloud.com:443\" is not a usable endpoint: the scheme must be http or https.",
                URL,
            ],
        ),
        provider(
            "validate",
            &["huaweicloud.endpoints.organizations = \"not a url\""],
            "organizations = \"not a url\"",
            "Invalid endpoint",
            &["\"not a url\" is not a usable endpoint:", URL],
        ),
        provider(
            "validate",
            &["zstack.endpoint = \"http://\""],
            "endpoint = \"http://\"",
            "Invalid endpoint",
            &["\"http://\" is not a usable endpoint:", URL],
        ),
        provider(
            "validate",
            &["max_retries = -1"],
            "max_retries = -1",
            "Invalid max_retries",
            &["max_retries must be a whole number from 0 to 20; got -1."],
        ),
        provider(
            "validate",
            &["max_retries = 100"],
            "max_retries = 100",
            "Invalid max_retries",
            &["max_retries must be a whole number from 0 to 20; got 100."],
        ),
        provider(
            "validate",
            &["retry_max_wait = \"forever\""],
            "retry_max_wait = \"forever\"",
            "Invalid retry_max_wait",
            &["\"forever\" is not a usable wait:", RETRY_WAIT],
        ),
        // Used to abort `terraform validate`: the sum of the parts overflowed.
        provider(
            "validate",
            &["retry_max_wait = \"10000000000000000000s10000000000000000000s\""],
            "retry_max_wait = \"10000000000000000000s10000000000000000000s\"",
            "Invalid retry_max_wait",
            &[
                "\"10000000000000000000s10000000000000000000s\" is not a usable wait: it is longer than 720h, the limit.",
                RETRY_WAIT,
            ],
        ),
        provider(
            "validate",
            &["retry_max_wait = \"1h\""],
            "retry_max_wait = \"1h\"",
            "Invalid retry_max_wait",
            &["\"1h\" is not a usable wait: it is out of range.", RETRY_WAIT],
        ),
        provider(
            "validate",
            &["tencentcloud.requests_per_second = 2.5"],
            "requests_per_second = 2.5",
            "Invalid tencentcloud.requests_per_second",
            &["tencentcloud.requests_per_second must be a whole number from 0 to 1000; got 2.5."],
        ),
    ]
}

/// Checked by ConfigureProvider (`terraform plan`): credentials and region.
fn provider_configure_cases(endpoint: &str) -> Vec<Bad> {
    let e = format!("\"{endpoint}\"");
    let tencent = |extra: &[&str]| -> Vec<String> {
        [
            extra.iter().map(|l| format!("tencentcloud.{l}")).collect::<Vec<_>>(),
            vec![format!("tencentcloud.endpoint = {e}")],
        ]
        .concat()
    };
    let zstack = |extra: &[&str]| -> Vec<String> { extra.iter().map(|l| format!("zstack.{l}")).collect() };
    let huawei = |extra: &[&str]| -> Vec<String> { extra.iter().map(|l| format!("huaweicloud.{l}")).collect() };
    let two_ways = format!("access_key_id = \"{ZSTACK_KEY_ID}\"");
    let cases: Vec<(Vec<String>, &str, &str, Vec<String>)> = vec![
        (tencent(&[&format!("secret_id = \"{TENCENT_SECRET_ID}\"")]), "tencentcloud {", "Missing tencentcloud.secret_key", vec!["Set `secret_key` in the provider's `tencentcloud` block or the TENCENTCLOUD_SECRET_KEY environment variable.".into()]),
        (tencent(&["secret_id = \"   \"", &format!("secret_key = \"{TENCENT_SECRET_KEY}\"")]), "secret_id = \"   \"", "Missing tencentcloud.secret_id", vec!["Set `secret_id` in the provider's `tencentcloud` block or the TENCENTCLOUD_SECRET_ID environment variable.".into()]),
        (huawei(&[&format!("access_key = \"{}\"", HW_MANAGEMENT.access_key), &format!("secret_key = \"{}\"", HW_MANAGEMENT.secret_key), "region = \"North China 4\""]), "region = \"North China 4\"", "Invalid huaweicloud.region", vec!["\"North China 4\" is not a Huawei Cloud region ID; expected one such as \"cn-north-4\" or \"ap-southeast-1\".".into()]),
        (huawei(&[&format!("access_key = \"{}\"", HW_MANAGEMENT.access_key), &format!("secret_key = \"{}\"", HW_MANAGEMENT.secret_key), "region = \"cn_north_4\""]), "region = \"cn_north_4\"", "Invalid huaweicloud.region", vec!["\"cn_north_4\" is not a Huawei Cloud region ID; expected one such as \"cn-north-4\" or \"ap-southeast-1\".".into()]),
        (huawei(&[&format!("secret_key = \"{}\"", HW_MANAGEMENT.secret_key), &format!("endpoints.rgc = {e}")]), "huaweicloud {", "Missing huaweicloud.access_key", vec!["Set `access_key` in the provider's `huaweicloud` block or the HW_ACCESS_KEY environment variable.".into()]),
        (huawei(&[&format!("access_key = \"{}\"", HW_MANAGEMENT.access_key)]), "huaweicloud {", "Missing huaweicloud.secret_key", vec!["Set `secret_key` in the provider's `huaweicloud` block or the HW_SECRET_KEY environment variable.".into()]),
        (
            zstack(&[&format!("endpoint = {e}"), "account_name = \"admin\"", "account_password = \"password\"", &format!("access_key_id = \"{ZSTACK_KEY_ID}\""), &format!("access_key_secret = \"{ZSTACK_KEY_SECRET}\"")]),
            &two_ways,
            "Two ways to authenticate to ZStack",
            vec!["Both an account (account_name, account_password) and an AccessKey (access_key_id, access_key_secret) are set".into(), "Set only one of them.".into()],
        ),
        (zstack(&[&format!("endpoint = {e}"), "account_name = \"admin\""]), "zstack {", "Missing zstack.account_password", vec!["Set `account_password` in the provider's `zstack` block or the ZSTACK_ACCOUNT_PASSWORD environment variable.".into()]),
        (zstack(&[&format!("endpoint = {e}"), &format!("access_key_id = \"{ZSTACK_KEY_ID}\"")]), "zstack {", "Missing zstack.access_key_secret", vec!["Set `access_key_secret` in the provider's `zstack` block or the ZSTACK_ACCESS_KEY_SECRET environment variable.".into()]),
        (zstack(&[&format!("endpoint = {e}")]), "zstack {", "Missing ZStack credentials", vec!["Set account_name and account_password (or ZSTACK_ACCOUNT_NAME and ZSTACK_ACCOUNT_PASSWORD), or access_key_id and access_key_secret (or ZSTACK_ACCESS_KEY_ID and ZSTACK_ACCESS_KEY_SECRET), in the provider's zstack block.".into()]),
        (zstack(&["account_name = \"admin\"", "account_password = \"password\""]), "zstack {", "Missing zstack.endpoint", vec!["Set `endpoint` in the provider's `zstack` block or the ZSTACK_ENDPOINT environment variable.".into()]),
    ];
    cases
        .into_iter()
        .map(|(body, shown, summary, expect)| {
            let body: Vec<&str> = body.iter().map(String::as_str).collect();
            let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
            provider("configure", &body, shown, summary, &expect)
        })
        .collect()
}

/// Credentials a resource needs but the provider configuration left out entirely: found when
/// the resource is applied, before any call.
fn missing_credential_cases() -> Vec<Bad> {
    let case = |type_name: &str, summary: &str, expect: &str| {
        let mut bad = resource(type_name, &[], summary, &[expect]).shows("{header}");
        bad.kind = "credentials";
        bad
    };
    vec![
        case(
            MAB,
            "Missing tencentcloud.secret_id",
            "Set `secret_id` in the provider's `tencentcloud` block or the TENCENTCLOUD_SECRET_ID environment variable.",
        ),
        case(
            MEMBERSHIP,
            "Missing huaweicloud.domain_id",
            "Set `domain_id` in the provider's `huaweicloud` block or the HW_DOMAIN_ID environment variable.",
        ),
        case(
            RGC,
            "Missing huaweicloud.project_id",
            "Set `project_id` in the provider's `huaweicloud` block or the HW_PROJECT_ID environment variable.",
        ),
        case(
            IC,
            "Missing huaweicloud.domain_id",
            "Set `domain_id` in the provider's `huaweicloud` block or the HW_DOMAIN_ID environment variable.",
        ),
        case(
            IAM2,
            "Missing zstack.endpoint",
            "Set `endpoint` in the provider's `zstack` block or the ZSTACK_ENDPOINT environment variable.",
        ),
    ]
}

fn import_cases() -> Vec<BadImport> {
    vec![
        import_id(MAB, "100000000101/1001", &["it must have exactly three parts.", MAB_FORMS]),
        import_id(MAB, "1001#100000000101", &["it must have exactly three parts.", MAB_FORMS]),
        import_id(MAB, "100000000101-1001-200000000001", &["it must have exactly three parts.", MAB_FORMS]),
        import_id(MAB, "100000000101/1001/ops-alice", &["\"ops-alice\" is not a positive whole number.", MAB_FORMS]),
        import_id(MAB, "0/1001/200000000001", &["\"0\" is not a positive whole number.", MAB_FORMS]),
        import_identity(
            MAB,
            &["member_uin = -1", "policy_id = 1001", "org_sub_account_uin = 200000000001"],
            "-1/1001/200000000001",
            &["\"-1\" is not a positive whole number.", MAB_FORMS],
        ),
        import_id(MEMBERSHIP, "o tether", &[MEMBERSHIP_FORM]),
        import_id(MEMBERSHIP, "organizations/o-tether0001", &[MEMBERSHIP_FORM]),
        import_identity(MEMBERSHIP, &["organization_id = \"o:tether\""], "o:tether", &[MEMBERSHIP_FORM]),
        import_id(RGC, "finance-prod (1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71)", &[RGC_FORM]),
        import_id(RGC, "managed-accounts/1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71", &[RGC_FORM]),
        import_identity(RGC, &["managed_account_id = \"1b6e2d3f 0c8e4f5a\""], "1b6e2d3f 0c8e4f5a", &[RGC_FORM]),
        import_id(IC, "ins-tether00000001/USER", &["it must have exactly three parts.", IC_FORM]),
        import_id(
            IC,
            "ins-tether00000001/ROLE/u-alice",
            &["the principal type \"ROLE\" must be USER or GROUP.", IC_FORM],
        ),
        import_id(
            IC,
            "ins-tether00000001/user/u-alice",
            &["the principal type \"user\" must be USER or GROUP.", IC_FORM],
        ),
        import_id(
            IC,
            "ins-tether00000001/GROUP/g admins",
            &[
                "the principal ID \"g admins\" is empty or has characters other than letters, digits, '-' and '_'.",
                IC_FORM,
            ],
        ),
        import_id(
            IC,
            "/USER/u-bob",
            &["the instance ID \"\" is empty or has characters other than letters, digits, '-' and '_'.", IC_FORM],
        ),
        import_identity(
            IC,
            &["instance_id = \"ins-tether00000001\"", "principal_type = \"ROLE\"", "principal_id = \"u-bob\""],
            "ins-tether00000001/ROLE/u-bob",
            &["the principal type \"ROLE\" must be USER or GROUP.", IC_FORM],
        ),
        import_id(IAM2, "6A1F0C2B3D4E4F5A8B9C0D1E2F3A4B01", &[IAM2_FORM]),
        import_id(IAM2, "6a1f0c2b-3d4e-4f5a-8b9c-0d1e2f3a4b01", &[IAM2_FORM]),
        import_id(IAM2, "payments", &[IAM2_FORM]),
        import_identity(IAM2, &["project_uuid = \"legacy-erp\""], "legacy-erp", &[IAM2_FORM]),
    ]
}

/// `terraform import` on the command line, the older path to the same provider code.
fn cli_import_cases() -> Vec<BadImport> {
    vec![
        import_id(RGC, "acct 1", &[RGC_FORM]),
        import_id(IC, "ins-tether00000001/GROUP", &["it must have exactly three parts.", IC_FORM]),
        import_id(IAM2, "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b0", &[IAM2_FORM]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Writing the configurations

/// A quoted HCL string (the catalogue has no template sequences to escape).
fn hcl_string(text: &str) -> String {
    assert!(!text.contains("${") && !text.contains("%{"), "{text}");
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Renders `path = value` lines as a block body: `a.b = v` becomes `v` in a nested block `a`.
fn render_body(lines: &[String], indent: usize) -> Vec<String> {
    // Group by first path step, in order of first appearance.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut out = Vec::new();
    let pad = "  ".repeat(indent);
    for line in lines {
        let (path, value) = line.split_once(" = ").unwrap_or_else(|| panic!("not `path = value`: {line}"));
        match path.split_once('.') {
            None => groups.push((String::new(), vec![format!("{path} = {value}")])),
            Some((block, rest)) => match groups.iter_mut().find(|(name, _)| name == block) {
                Some((_, inner)) => inner.push(format!("{rest} = {value}")),
                None => groups.push((block.to_string(), vec![format!("{rest} = {value}")])),
            },
        }
    }
    for (block, inner) in groups {
        if block.is_empty() {
            out.push(format!("{pad}{}", inner[0]));
        } else {
            out.push(format!("{pad}{block} {{"));
            out.extend(render_body(&inner, indent + 1));
            out.push(format!("{pad}}}"));
        }
    }
    out
}

/// Configuration files under construction, keeping count of lines.
#[derive(Default)]
struct Files {
    files: BTreeMap<&'static str, Vec<String>>,
}

impl Files {
    /// Appends `text` to `file` and returns the line number its first line lands on.
    fn push(&mut self, file: &'static str, text: &str) -> usize {
        let lines = self.files.entry(file).or_default();
        let first = lines.len() + 1;
        lines.extend(text.lines().map(str::to_string));
        first
    }

    fn write(&self, workspace: &Workspace) {
        for (file, lines) in &self.files {
            workspace.write_file(file, &(lines.join("\n") + "\n"));
        }
    }
}

/// A case placed in a file: where its diagnostic must point.
struct Placed {
    subject: String,
    kind: &'static str,
    /// `on main.tf line N, in resource "T" "name": N: <source line>`, whitespace-normalized.
    location: String,
    summary: String,
    expect: Vec<String>,
}

/// Writes each case as its own block (named `b<N>`), returning where each must be reported.
/// Provider cases get an alias, and a resource that uses it so Terraform does not prune it.
fn place(files: &mut Files, cases: &[Bad], prefix: &str) -> Vec<Placed> {
    cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let name = format!("{prefix}{index:02}");
            let (header, container, mut body) = if case.block == PROVIDER {
                (format!("{PROVIDER} {{"), PROVIDER.to_string(), vec![format!("alias = \"{name}\"")])
            } else {
                (format!("{} \"{name}\" {{", case.block), format!("{} \"{name}\"", case.block), Vec::new())
            };
            body.extend(case.body.iter().cloned());
            let mut lines = vec![header.clone()];
            lines.extend(render_body(&body, 1));
            lines.push("}".into());
            let shown = case.shown.clone().expect("every case names its source line").replace("{header}", &header);
            let offset = lines
                .iter()
                .position(|line| line.trim() == shown)
                .unwrap_or_else(|| panic!("{shown:?} is not a line of\n{}", lines.join("\n")));
            let first = files.push(case.file, &(lines.join("\n") + "\n"));
            if case.block == PROVIDER {
                files.push(
                    case.file,
                    &format!("resource \"{MEMBERSHIP}\" \"uses_{name}\" {{\n  provider = tether.{name}\n}}\n"),
                );
            }
            let line = first + offset;
            Placed {
                subject: case.subject.clone(),
                kind: case.kind,
                location: normalize(&format!("on {} line {line}, in {container}: {line}: {shown}", case.file)),
                summary: case.summary.clone(),
                expect: case.expect.clone(),
            }
        })
        .collect()
}

/// Import blocks (named `i<N>`), each with a valid resource block to import into.
fn place_imports(files: &mut Files, cases: &[BadImport]) {
    for (index, case) in cases.iter().enumerate() {
        let address = format!("{}.i{index:02}", case.type_name);
        let target = match &case.id {
            Some(id) => format!("  id = {}\n", hcl_string(id)),
            None => format!("  identity = {{\n{}\n  }}\n", render_body(&case.identity, 2).join("\n")),
        };
        let body: Vec<String> = template(case.type_name).iter().map(|l| l.to_string()).collect();
        files.push(
            "main.tf",
            &format!(
                "import {{\n  to = {address}\n{target}}}\n\nresource \"{}\" \"i{index:02}\" {{\n{}\n}}\n",
                case.type_name,
                render_body(&body, 1).join("\n")
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reading Terraform's answers

fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each diagnostic Terraform printed (`-no-color`), whitespace-normalized, starting at its
/// `Error:` or `Warning:` line.
fn diagnostics(run: &Run) -> Vec<String> {
    let mut found: Vec<Vec<&str>> = Vec::new();
    let output = run.combined();
    for line in output.lines() {
        if line.starts_with("Error: ") || line.starts_with("Warning: ") {
            found.push(Vec::new());
        }
        if let Some(current) = found.last_mut() {
            current.push(line);
        }
    }
    found.iter().map(|lines| normalize(&lines.join("\n"))).collect()
}

fn errors(run: &Run) -> Vec<String> {
    diagnostics(run).into_iter().filter(|d| d.starts_with("Error: ")).collect()
}

/// The provider must never crash, whatever it is given.
fn assert_no_crash(run: &Run, what: &str) {
    let text = run.combined();
    for sign in [
        "Plugin did not respond",
        "panicked",
        "Stack trace from the terraform-provider",
        "unexpected EOF",
        "plugin exited",
    ] {
        assert!(!text.contains(sign), "{what}: the provider crashed ({sign}):\n{text}");
    }
}

/// Checks that each placed case got exactly one error, at its own source line, with its
/// summary and expected form.
fn check_placed(run: &Run, placed: &[Placed], failures: &mut Vec<String>) {
    let errors = errors(run);
    for case in placed {
        let at: Vec<&String> = errors.iter().filter(|d| d.contains(&case.location)).collect();
        let [diagnostic] = at[..] else {
            failures.push(format!(
                "{} {}: expected one error at `{}`, found {}",
                case.subject,
                case.kind,
                case.location,
                at.len()
            ));
            continue;
        };
        if !diagnostic.starts_with(&format!("Error: {} ", case.summary)) {
            failures
                .push(format!("{} {}: expected summary {:?}:\n  {diagnostic}", case.subject, case.kind, case.summary));
        }
        for fragment in &case.expect {
            if !diagnostic.contains(&normalize(fragment)) {
                failures.push(format!("{} {}: expected {fragment:?} in:\n  {diagnostic}", case.subject, case.kind));
            }
        }
    }
}

/// Import diagnostics carry no source location: each must quote its import ID and show the
/// expected form.
fn check_imports(run: &Run, cases: &[BadImport], failures: &mut Vec<String>) {
    let errors = errors(run);
    for case in cases {
        let quoted = normalize(&format!("{:?}", case.seen));
        let at: Vec<&String> = errors.iter().filter(|d| d.contains(&format!("{quoted} is not a"))).collect();
        let [diagnostic] = at[..] else {
            failures.push(format!(
                "{} import {:?}: expected one error quoting it, found {}",
                case.type_name,
                case.seen,
                at.len()
            ));
            continue;
        };
        if !diagnostic.starts_with("Error: Invalid import ID ") {
            failures.push(format!(
                "{} import {:?}: expected summary \"Invalid import ID\":\n  {diagnostic}",
                case.type_name, case.seen
            ));
        }
        for fragment in &case.expect {
            if !diagnostic.contains(&normalize(fragment)) {
                failures.push(format!(
                    "{} import {:?}: expected {fragment:?} in:\n  {diagnostic}",
                    case.type_name, case.seen
                ));
            }
        }
    }
}

/// One error per case, and no others.
fn check_error_count(run: &Run, expected: usize, what: &str, failures: &mut Vec<String>) {
    let errors = errors(run);
    if errors.len() != expected {
        failures.push(format!("{what}: {} errors for {expected} cases:\n  {}", errors.len(), errors.join("\n  ")));
    }
}

fn provider_for_all_clouds(emulator: &Emulator) -> String {
    let e = emulator.endpoint();
    format!(
        r#"provider "tether" {{
  tencentcloud {{
    secret_id  = "{TENCENT_SECRET_ID}"
    secret_key = "{TENCENT_SECRET_KEY}"
    endpoint   = "{e}"
  }}
  huaweicloud {{
    access_key = "{}"
    secret_key = "{}"
    domain_id  = "{}"
    project_id = "{}"
    endpoints {{
      organizations  = "{e}"
      rgc            = "{e}"
      identitycenter = "{e}"
    }}
  }}
  zstack {{
    endpoint          = "{e}"
    access_key_id     = "{ZSTACK_KEY_ID}"
    access_key_secret = "{ZSTACK_KEY_SECRET}"
  }}
}}
"#,
        HW_MANAGEMENT.access_key, HW_MANAGEMENT.secret_key, HW_MANAGEMENT.id, HW_MANAGEMENT.project_id
    )
}

#[test]
fn bad_input_gets_a_diagnostic_with_its_path_and_expected_form_and_changes_nothing() {
    let started = Instant::now();
    let emulator = Emulator::start();
    let workspace = Workspace::new(REQUIRED_PROVIDERS);
    workspace.init();
    let mut failures = Vec::new();
    let mut summary: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    let mut count = |subject: &str, kind: &'static str| {
        *summary.entry(subject.to_string()).or_default().entry(kind).or_default() += 1
    };

    // 1. Resource arguments, data sources and list blocks: one `terraform validate -query`
    //    reports every invalid block of main.tf and the .tfquery.hcl file.
    let mut files = Files::default();
    files.push("main.tf", &format!("{REQUIRED_PROVIDERS}\nprovider \"tether\" {{}}\n"));
    let mut placed = place(&mut files, &resource_cases(), "r");
    placed.extend(place(&mut files, &data_source_cases(), "d"));
    placed.extend(place(&mut files, &list_cases(), "l"));
    files.write(&workspace);
    let run = workspace.terraform(&["validate", "-query", "-no-color"]);
    run.failure();
    assert_no_crash(&run, "validate -query");
    check_placed(&run, &placed, &mut failures);
    check_error_count(&run, placed.len(), "validate -query", &mut failures);
    placed.iter().for_each(|p| count(&p.subject, p.kind));
    std::fs::remove_file(workspace.path().join("bad.tfquery.hcl")).unwrap();

    // 2. Provider arguments checked without configuring: `terraform validate`.
    let mut files = Files::default();
    files.push("main.tf", &format!("{REQUIRED_PROVIDERS}\n"));
    let placed = place(&mut files, &provider_validate_cases(), "p");
    files.write(&workspace);
    let run = workspace.terraform(&["validate", "-no-color"]);
    run.failure();
    assert_no_crash(&run, "validate (provider)");
    check_placed(&run, &placed, &mut failures);
    check_error_count(&run, placed.len(), "validate (provider)", &mut failures);
    placed.iter().for_each(|p| count(&p.subject, p.kind));

    // 3. Credentials and region, checked when each provider configuration is configured.
    let mut files = Files::default();
    files.push("main.tf", &format!("{REQUIRED_PROVIDERS}\n"));
    let placed = place(&mut files, &provider_configure_cases(&emulator.endpoint()), "c");
    files.write(&workspace);
    let run = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    run.failure();
    assert_no_crash(&run, "plan (provider configure)");
    check_placed(&run, &placed, &mut failures);
    check_error_count(&run, placed.len(), "plan (provider configure)", &mut failures);
    placed.iter().for_each(|p| count(&p.subject, p.kind));

    // 4. A cloud the configuration never set up: each resource fails on apply, before any call.
    let mut files = Files::default();
    let e = emulator.endpoint();
    files.push(
        "main.tf",
        &format!(
            "{REQUIRED_PROVIDERS}\nprovider \"tether\" {{\n  huaweicloud {{\n    access_key = \"{}\"\n    secret_key = \"{}\"\n    endpoints {{\n      organizations  = \"{e}\"\n      rgc            = \"{e}\"\n      identitycenter = \"{e}\"\n    }}\n  }}\n}}\n",
            HW_MANAGEMENT.access_key, HW_MANAGEMENT.secret_key
        ),
    );
    let placed = place(&mut files, &missing_credential_cases(), "m");
    files.write(&workspace);
    let run = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    run.failure();
    assert_no_crash(&run, "apply (missing credentials)");
    check_placed(&run, &placed, &mut failures);
    check_error_count(&run, placed.len(), "apply (missing credentials)", &mut failures);
    assert!(
        workspace.state_resources().is_empty(),
        "a failed create records nothing: {:?}",
        workspace.state_resources()
    );
    placed.iter().for_each(|p| count(&p.subject, p.kind));

    // 5. Import blocks by ID and by identity: every one is refused in the same run.
    let mut files = Files::default();
    files.push("main.tf", &format!("{REQUIRED_PROVIDERS}\n{}\n", provider_for_all_clouds(&emulator)));
    let imports = import_cases();
    place_imports(&mut files, &imports);
    files.write(&workspace);
    let run = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    run.failure();
    assert_no_crash(&run, "apply (import blocks)");
    check_imports(&run, &imports, &mut failures);
    check_error_count(&run, imports.len(), "apply (import blocks)", &mut failures);
    for (index, case) in imports.iter().enumerate() {
        if let Some(id) = &case.id {
            // Terraform names the import target next to its ID.
            let preparing = format!("{}.i{index:02}: Preparing import... [id={id}]", case.type_name);
            if !run.stdout.contains(&preparing) {
                failures.push(format!("{} import {id:?}: Terraform did not show `{preparing}`", case.type_name));
            }
        }
        count(case.type_name, "import");
    }
    assert!(
        workspace.state_resources().is_empty(),
        "a refused import records nothing: {:?}",
        workspace.state_resources()
    );

    // 6. `terraform import` on the command line.
    let cli = cli_import_cases();
    let mut files = Files::default();
    files.push("main.tf", &format!("{REQUIRED_PROVIDERS}\n{}\n", provider_for_all_clouds(&emulator)));
    for case in &cli {
        let body: Vec<String> = template(case.type_name).iter().map(|l| l.to_string()).collect();
        files.push(
            "main.tf",
            &format!("resource \"{}\" \"cli\" {{\n{}\n}}\n", case.type_name, render_body(&body, 1).join("\n")),
        );
    }
    files.write(&workspace);
    for case in &cli {
        let address = format!("{}.cli", case.type_name);
        let run = workspace.terraform(&["import", "-no-color", "-input=false", &address, &case.seen]);
        run.failure();
        assert_no_crash(&run, "terraform import");
        check_imports(&run, std::slice::from_ref(case), &mut failures);
        check_error_count(&run, 1, &format!("terraform import {address} {:?}", case.seen), &mut failures);
        count(case.type_name, "import (CLI)");
    }
    assert!(
        workspace.state_resources().is_empty(),
        "a refused import records nothing: {:?}",
        workspace.state_resources()
    );

    assert!(failures.is_empty(), "{} of the catalogue's expectations failed:\n{}", failures.len(), failures.join("\n"));

    // The cloud was never asked to change anything.
    for action in WRITE_ACTIONS {
        let calls = emulator.calls(action);
        assert!(calls.is_empty(), "bad input reached the cloud: {action} was called: {calls:#?}");
    }
    let calls = emulator.admin("GET", "calls", None).as_array().map(Vec::len).unwrap_or_default();

    let total: usize = summary.values().flat_map(|kinds| kinds.values()).sum();
    eprintln!(
        "bad-input catalogue: {total} cases in {:.1} s; each refused with its path and expected form, nothing in state, {} cloud calls, none of them writes",
        started.elapsed().as_secs_f64(),
        calls
    );
    for (subject, kinds) in &summary {
        let detail: Vec<String> = kinds.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        eprintln!("  {subject:<45} {:>3}  ({})", kinds.values().sum::<usize>(), detail.join(", "));
    }
    assert!(total >= 40, "the catalogue has only {total} cases");
}
