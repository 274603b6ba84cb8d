//! The data sources end to end through the real Terraform CLI against the emulator: Tencent
//! member auth bindings, the Huawei organization, Identity Center and RGC listings, and the
//! ZStack IAM2 projects and organizations with server-side name filters.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{
    Emulator, HW_FINANCE_PROD, HW_MANAGEMENT, HuaweiAccount, REQUIRED_PROVIDERS, Workspace, block_on, huawei_clients,
    huawei_provider_block, tencent_provider,
};
use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::waiter::PollPolicy;

/// The fixture's standalone Huawei account, in no organization.
const HW_LONE_WOLF: HuaweiAccount = HuaweiAccount {
    id: "4e9b5a6c3f1b4c8d8e0a5f6b7c8d9ea4",
    name: "lone-wolf",
    project_id: "9d4a0f1b8e6a4bd2ad5f0e1a2b3c4df9",
    access_key: "HWTETHERLONEWOLF0001",
    secret_key: "tether-emulator-huawei-lone-wolf-sk",
};

const INSTANCE: &str = "ins-tether00000001";

/// Applies and returns every output's value (`terraform output -json`).
fn apply_outputs(workspace: &Workspace) -> Value {
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let output = workspace.terraform(&["output", "-json"]);
    output.success();
    let all: Value = serde_json::from_str(&output.stdout).unwrap();
    Value::Object(all.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect())
}

fn huawei_config(emulator: &Emulator, account: HuaweiAccount, body: &str) -> String {
    [REQUIRED_PROVIDERS.to_string(), huawei_provider_block(emulator, account, None), body.to_string()].concat()
}

fn zstack_config(emulator: &Emulator, body: &str) -> String {
    format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n{body}",
        emulator.endpoint()
    )
}

#[test]
fn member_auth_bindings_lists_the_policy_bindings() {
    let emulator = Emulator::start();
    let body = r#"
resource "tether_member_auth_binding" "alice" {
  member_uin          = 100000000101
  policy_id           = 1001
  org_sub_account_uin = 200000000001
}

resource "tether_member_auth_binding" "bob" {
  member_uin          = 100000000101
  policy_id           = 1001
  org_sub_account_uin = 200000000002
}

data "tether_member_auth_bindings" "admins" {
  member_uin = 100000000101
  policy_id  = 1001
  depends_on = [tether_member_auth_binding.alice, tether_member_auth_binding.bob]
}

data "tether_member_auth_bindings" "readonly" {
  member_uin = 100000000101
  policy_id  = 1002
}

output "admins" {
  value = [for b in data.tether_member_auth_bindings.admins.bindings : "${b.org_sub_account_uin}:${b.org_sub_account_name}:${b.policy_name}:${b.identity_id}:${b.identity_role_name}:${b.identity_role_alias_name}"]
}

output "times_set" {
  value = alltrue([for b in data.tether_member_auth_bindings.admins.bindings : b.create_time != "" && b.update_time != ""])
}

output "readonly" {
  value = data.tether_member_auth_bindings.readonly.bindings
}
"#;
    let config = format!("{}{body}", tencent_provider(&emulator));
    let workspace = Workspace::new(&config);
    workspace.init();
    let outputs = apply_outputs(&workspace);
    let mut admins: Vec<String> = serde_json::from_value(outputs["admins"].clone()).unwrap();
    admins.sort();
    assert_eq!(
        admins,
        [
            "200000000001:ops-alice:admin-access:1:OrganizationAccessControlRole:admin",
            "200000000002:ops-bob:admin-access:1:OrganizationAccessControlRole:admin",
        ]
    );
    assert_eq!(outputs["times_set"], true);
    assert_eq!(outputs["readonly"], json!([]));
    let calls = emulator.calls("DescribeOrganizationMemberAuthAccounts");
    assert!(
        calls.iter().any(|c| c["params"]["MemberUin"] == 100000000101u64
            && c["params"]["PolicyId"] == 1002
            && c["params"]["Limit"] == 50),
        "{calls:#?}"
    );

    // A policy id that is not a positive whole number is refused at the attribute.
    workspace.write_config(&config.replace("policy_id  = 1002", "policy_id  = 0"));
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(
        plan.text().contains("policy_id must be a positive whole number, such as 1001; got 0."),
        "{}",
        plan.combined()
    );
}

#[test]
fn huawei_organization_identity_center_and_rgc_listings() {
    let emulator = Emulator::start();
    // Two assignments of alice, made outside Terraform.
    let ic = huawei_clients(&emulator, HW_MANAGEMENT).identitycenter;
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(200),
        interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(1),
        multiplier: 1.0,
    };
    for (permission_set, account) in [("ps-readonly", HW_FINANCE_PROD.id), ("ps-admin", HW_MANAGEMENT.id)] {
        let target = AssignmentTarget {
            permission_set_id: permission_set.into(),
            principal_id: "u-alice".into(),
            principal_type: "USER".into(),
            target_id: account.into(),
        };
        let status = block_on(ic.create_account_assignment(INSTANCE, &target)).unwrap();
        block_on(ic.wait_creation(INSTANCE, &status.request_id, Duration::from_secs(30), &fast, None)).unwrap();
    }
    let body = r#"
data "tether_organization" "current" {}

data "tether_identity_center_instances" "all" {}

data "tether_identity_center_principal_assignments" "alice" {
  instance_id    = data.tether_identity_center_instances.all.instances[0].instance_id
  principal_type = "USER"
  principal_id   = "u-alice"
}

data "tether_identity_center_principal_assignments" "admins" {
  instance_id    = "ins-tether00000001"
  principal_type = "GROUP"
  principal_id   = "g-admins"
}

data "tether_rgc_managed_accounts" "workloads" {
  parent_organizational_unit_id = "ou-tether-workloads"
}

output "organization" {
  value = data.tether_organization.current
}

output "instances" {
  value = data.tether_identity_center_instances.all.instances
}

output "alice" {
  value = data.tether_identity_center_principal_assignments.alice.assignments
}

output "admins" {
  value = data.tether_identity_center_principal_assignments.admins.assignments
}

output "workloads" {
  value = data.tether_rgc_managed_accounts.workloads.managed_accounts
}
"#;
    let config = huawei_config(&emulator, HW_MANAGEMENT, body);
    let workspace = Workspace::new(&config);
    workspace.init();
    let outputs = apply_outputs(&workspace);

    let organization = &outputs["organization"];
    assert_eq!(organization["organization_id"], "o-tether0001");
    assert_eq!(organization["urn"], "organizations::0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60:organization:o-tether0001");
    assert_eq!(organization["management_account_id"], HW_MANAGEMENT.id);
    assert_eq!(organization["management_account_name"], "tether-management");
    assert_eq!(organization["created_at"], "2024-01-15T02:00:00.000Z");

    let instances = outputs["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 1, "{instances:#?}");
    assert_eq!(instances[0]["instance_id"], INSTANCE);
    assert_eq!(instances[0]["identity_store_id"], "d-tether00001");
    assert_eq!(instances[0]["alias"], "tether");
    assert!(instances[0]["instance_urn"].as_str().unwrap().ends_with(":instance:ins-tether00000001"), "{instances:#?}");

    let mut alice: Vec<(String, String)> = outputs["alice"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["permission_set_id"].as_str().unwrap().to_string(), a["account_id"].as_str().unwrap().to_string()))
        .collect();
    alice.sort();
    assert_eq!(
        alice,
        [
            ("ps-admin".to_string(), HW_MANAGEMENT.id.to_string()),
            ("ps-readonly".to_string(), HW_FINANCE_PROD.id.to_string())
        ]
    );
    assert_eq!(outputs["admins"], json!([]));
    let lists = emulator.calls("ListAccountAssignmentsForPrincipal");
    let listed = serde_json::to_string(&lists).unwrap();
    assert!(listed.contains("g-admins") && listed.contains("GROUP"), "{lists:#?}");

    let workloads = outputs["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 1, "{workloads:#?}");
    assert_eq!(workloads[0]["managed_account_id"], HW_FINANCE_PROD.id);
    assert_eq!(workloads[0]["account_name"], "finance-prod");
    assert_eq!(workloads[0]["account_type"], "MEMBER");
    assert_eq!(workloads[0]["owner"], "CUSTOM");
    assert_eq!(workloads[0]["state"], "ENROLLED");
    assert_eq!(workloads[0]["parent_organizational_unit_id"], "ou-tether-workloads");
    assert_eq!(workloads[0]["parent_organizational_unit_name"], "Workloads");

    // principal_type is checked before anything is called.
    workspace.write_config(&config.replace("principal_type = \"GROUP\"", "principal_type = \"ROLE\""));
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("principal_type must be \"USER\" or \"GROUP\"; got \"ROLE\"."), "{}", plan.combined());
}

#[test]
fn organization_of_an_account_in_no_organization_is_an_error() {
    let emulator = Emulator::start();
    let config = huawei_config(&emulator, HW_LONE_WOLF, "data \"tether_organization\" \"current\" {}\n");
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("Account is in no organization"), "{}", plan.combined());
    assert!(plan.text().contains("belongs to no organization"), "{}", plan.combined());
}

#[test]
fn iam2_projects_and_organizations_filter_by_name_on_the_server() {
    let emulator = Emulator::start();
    let body = r#"
data "tether_iam2_projects" "all" {}

data "tether_iam2_projects" "payments" {
  name = "payments"
}

data "tether_iam2_projects" "ending_in_s" {
  name_like = "%s"
}

data "tether_iam2_organizations" "departments" {
  name_like = "% Dept"
}

data "tether_iam2_organizations" "corp" {
  name = "Tether Corp"
}

output "all_projects" {
  value = [for p in data.tether_iam2_projects.all.projects : p.name]
}

output "payments" {
  value = data.tether_iam2_projects.payments.projects
}

output "ending_in_s" {
  value = [for p in data.tether_iam2_projects.ending_in_s.projects : p.name]
}

output "departments" {
  value = data.tether_iam2_organizations.departments.organizations
}

output "corp" {
  value = data.tether_iam2_organizations.corp.organizations
}
"#;
    let workspace = Workspace::new(&zstack_config(&emulator, body));
    workspace.init();
    let outputs = apply_outputs(&workspace);
    assert_eq!(outputs["all_projects"], json!(["payments", "analytics", "sandbox", "legacy-erp"]));
    let payments = outputs["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 1, "{payments:#?}");
    assert_eq!(payments[0]["uuid"], "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01");
    assert_eq!(payments[0]["name"], "payments");
    assert_eq!(payments[0]["state"], "Enabled");
    assert_eq!(outputs["ending_in_s"], json!(["payments", "analytics"]));

    let departments = outputs["departments"].as_array().unwrap();
    let names: Vec<&str> = departments.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Finance Dept", "Engineering Dept"]);
    for department in departments {
        assert_eq!(department["type"], "Department");
        assert_eq!(department["parent_uuid"], "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01");
        assert_eq!(department["state"], "Enabled");
    }
    assert_eq!(departments[0]["uuid"], "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02");
    let corp = outputs["corp"].as_array().unwrap();
    assert_eq!(corp.len(), 1, "{corp:#?}");
    assert_eq!(corp[0]["uuid"], "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01");
    assert_eq!(corp[0]["type"], "Company");
    assert_eq!(corp[0]["parent_uuid"], Value::Null);

    // The filters went to the server as query conditions.
    let project_queries = serde_json::to_string(&emulator.calls("QueryIAM2Project")).unwrap();
    assert!(project_queries.contains("name=payments"), "{project_queries}");
    assert!(project_queries.contains("name~=%s"), "{project_queries}");
    let organization_queries = serde_json::to_string(&emulator.calls("QueryIAM2Organization")).unwrap();
    assert!(organization_queries.contains("name~=% Dept"), "{organization_queries}");
    assert!(organization_queries.contains("name=Tether Corp"), "{organization_queries}");
}
