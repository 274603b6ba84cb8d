//! `terraform query` (Terraform 1.14+): `list` blocks in a `.tfquery.hcl` find existing bindings,
//! and `-generate-config-out` turns them into configuration that imports with no changes.

mod support;

use std::time::Duration;

use serde_json::Value as Json;
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, REQUIRED_PROVIDERS, Run, Workspace, block_on,
    huawei_clients, huawei_provider_block, tencent_client, tencent_provider,
};
use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::waiter::PollPolicy;

const MEMBER: u64 = 100000000101;
const INSTANCE: &str = "ins-tether00000001";

/// `terraform query -json`: the results of every list block, in the order Terraform printed them.
fn query_results(run: &Run) -> Vec<Json> {
    run.success();
    run.stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .filter(|message| message["type"] == "list_resource_found")
        .map(|message| message["list_resource_found"].clone())
        .collect()
}

/// The generated file is imported and then planned: it must import everything and change nothing.
fn generated_config_imports_without_changes(workspace: &Workspace, expected_imports: usize) {
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(
        plan.stdout.contains(&format!("Plan: {expected_imports} to import, 0 to add, 0 to change, 0 to destroy.")),
        "{}",
        plan.stdout
    );
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

fn bind(emulator: &Emulator, policy: u64, subs: &[u64]) {
    block_on(tencent_client(emulator).bind_member_auth_accounts(MEMBER, policy, subs)).unwrap();
}

#[test]
fn member_auth_bindings_are_found_and_generate_configuration() {
    let emulator = Emulator::start();
    bind(&emulator, 1001, &[200000000001, 200000000002]);
    bind(&emulator, 1002, &[200000000003]);
    let workspace = Workspace::new(&tencent_provider(&emulator));
    workspace.write_file(
        "bindings.tfquery.hcl",
        &format!("list \"tether_member_auth_binding\" \"finance\" {{\n  provider = tether\n  config {{\n    member_uin = {MEMBER}\n  }}\n}}\n\nlist \"tether_member_auth_binding\" \"admins\" {{\n  provider = tether\n  config {{\n    member_uin = {MEMBER}\n    policy_id  = 1001\n  }}\n}}\n"),
    );
    workspace.init();

    let query = workspace.terraform(&["query", "-json", "-no-color"]);
    let results = query_results(&query);
    let of = |address: &str| results.iter().filter(|r| r["address"] == address).cloned().collect::<Vec<_>>();
    let all = of("list.tether_member_auth_binding.finance");
    assert_eq!(all.len(), 3, "{}", query.stdout);
    assert_eq!(of("list.tether_member_auth_binding.admins").len(), 2, "{}", query.stdout);
    assert_eq!(
        all[0]["identity"],
        serde_json::json!({"member_uin": MEMBER, "policy_id": 1001, "org_sub_account_uin": 200000000001u64}),
        "{}",
        query.stdout
    );
    assert_eq!(all[0]["display_name"], "ops-alice (200000000001) → member 100000000101, policy admin-access (1001)");
    assert_eq!(all[2]["identity"]["policy_id"], 1002);

    let query = workspace.terraform(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    query.success();
    let generated = workspace.read_file("generated.tf");
    assert_eq!(generated.matches("resource \"tether_member_auth_binding\"").count(), 5, "{generated}");
    assert!(generated.contains("org_sub_account_uin = 200000000003"), "{generated}");
    assert!(!generated.contains("policy_name"), "computed attributes are not configuration: {generated}");
    // The provider generates the configuration (GenerateResourceConfig): defaults stay out.
    assert!(!generated.contains("detach_on_destroy"), "the default is not configuration: {generated}");
    assert!(!generated.contains("detach_call"), "{generated}");
    // The same bindings found by both list blocks: keep one list's worth to import.
    std::fs::remove_file(workspace.path().join("bindings.tfquery.hcl")).unwrap();
    let finance_only: String =
        generated.split("\n\n").filter(|block| !block.contains("admins")).collect::<Vec<_>>().join("\n\n");
    workspace.write_file("generated.tf", &finance_only);
    generated_config_imports_without_changes(&workspace, 3);
    assert_eq!(emulator.calls("BindOrganizationMemberAuthAccount").len(), 2, "importing binds nothing");
}

#[test]
fn list_configs_are_validated_with_the_attribute_path() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&tencent_provider(&emulator));
    workspace.write_file(
        "bad.tfquery.hcl",
        "list \"tether_member_auth_binding\" \"bad\" {\n  provider = tether\n  config {\n    member_uin = -5\n  }\n}\n",
    );
    workspace.init();
    let query = workspace.terraform(&["query", "-no-color"]);
    query.failure();
    let text = query.text();
    assert!(text.contains("Error: Invalid member_uin"), "{text}");
    assert!(text.contains("member_uin must be a positive whole number, such as 100000000101; got -5."), "{text}");
    // Terraform points at the attribute inside the list block's config.
    assert!(text.contains("on bad.tfquery.hcl line 4") && text.contains("member_uin = -5"), "{text}");
    assert!(emulator.calls("DescribeOrganizationMemberPolicies").is_empty(), "nothing is listed from a bad config");
}

#[test]
fn a_limit_stops_the_listing_early() {
    let emulator = Emulator::start();
    bind(&emulator, 1001, &[200000000001, 200000000002, 200000000003]);
    bind(&emulator, 1002, &[200000000004]);
    let workspace = Workspace::new(&tencent_provider(&emulator));
    workspace.write_file(
        "one.tfquery.hcl",
        &format!("list \"tether_member_auth_binding\" \"one\" {{\n  provider = tether\n  limit    = 2\n  config {{\n    member_uin = {MEMBER}\n  }}\n}}\n"),
    );
    workspace.init();
    let results = query_results(&workspace.terraform(&["query", "-json", "-no-color"]));
    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results.iter().all(|r| r["identity"]["policy_id"] == 1001), "{results:?}");
    // Two results came from policy 1001's first page: policy 1002 was never read.
    let pages = emulator.calls("DescribeOrganizationMemberAuthAccounts");
    assert!(!pages.is_empty());
    assert!(pages.iter().all(|call| call["params"]["PolicyId"] == 1001), "{pages:?}");

    // Terraform says nothing itself when a list stops at its limit: the provider warns.
    let query = workspace.terraform(&["query", "-no-color"]);
    query.success();
    let text = query.text();
    assert!(text.contains("Warning: Listed 2 results, the limit"), "{text}");
    assert!(text.contains("This list stopped at its limit of 2 results, so there may be more. To list more, set a larger `limit` in the list block"), "{text}");

    // A list that ends under its limit has found everything: no warning.
    workspace.write_file(
        "one.tfquery.hcl",
        &format!("list \"tether_member_auth_binding\" \"one\" {{\n  provider = tether\n  limit    = 10\n  config {{\n    member_uin = {MEMBER}\n  }}\n}}\n"),
    );
    let query = workspace.terraform(&["query", "-no-color"]);
    query.success();
    assert!(!query.text().contains("the limit"), "{}", query.text());
}

#[test]
fn organization_membership_and_rgc_accounts_are_found_and_import_cleanly() {
    let emulator = Emulator::start();
    let member = huawei_provider_block(&emulator, HW_FINANCE_PROD, Some("member"));
    let management = huawei_provider_block(&emulator, HW_MANAGEMENT, None);
    let workspace = Workspace::new(&format!("{REQUIRED_PROVIDERS}{management}{member}"));
    workspace.write_file(
        "huawei.tfquery.hcl",
        "list \"tether_organization_membership\" \"finance\" {\n  provider = tether.member\n}\n\nlist \"tether_rgc_managed_account\" \"workloads\" {\n  provider = tether\n  config {\n    parent_organizational_unit_id = \"ou-tether-workloads\"\n  }\n}\n",
    );
    workspace.init();
    let query = workspace.terraform(&["query", "-json", "-no-color"]);
    let results = query_results(&query);
    assert_eq!(results.len(), 2, "{}", query.stdout);
    let membership =
        results.iter().find(|r| r["address"] == "list.tether_organization_membership.finance").expect("membership");
    assert_eq!(membership["identity"], serde_json::json!({"organization_id": "o-tether0001"}));
    let account =
        results.iter().find(|r| r["address"] == "list.tether_rgc_managed_account.workloads").expect("managed account");
    assert_eq!(account["identity"], serde_json::json!({"managed_account_id": HW_FINANCE_PROD.id}));
    assert!(account["display_name"].as_str().unwrap().starts_with("finance-prod ("), "{account}");

    workspace.terraform(&["query", "-no-color", "-generate-config-out=generated.tf"]).success();
    let generated = workspace.read_file("generated.tf");
    assert!(generated.contains("provider = tether.member"), "{generated}");
    assert!(generated.contains("parent_organizational_unit_id = \"ou-tether-workloads\""), "{generated}");
    // Looked up when left out, so not written: the plan keeps the value in state.
    assert!(!generated.contains("parent_organizational_unit_name"), "{generated}");
    assert!(!generated.contains("detach_on_destroy"), "{generated}");
    std::fs::remove_file(workspace.path().join("huawei.tfquery.hcl")).unwrap();
    generated_config_imports_without_changes(&workspace, 2);
    assert!(
        emulator.calls("LeaveOrganization").is_empty() && emulator.calls("EnrollAccount").is_empty(),
        "importing changes nothing"
    );
}

#[test]
fn identity_center_principals_are_found_with_all_their_assignments() {
    let emulator = Emulator::start();
    let ic = huawei_clients(&emulator, HW_MANAGEMENT).identitycenter;
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(100),
        interval: Duration::from_millis(100),
        max_interval: Duration::from_millis(500),
        multiplier: 1.0,
    };
    for (principal_type, principal, permission_set, account) in [
        ("USER", "u-bob", "ps-readonly", HW_FINANCE_PROD.id),
        ("GROUP", "g-admins", "ps-admin", HW_FINANCE_PROD.id),
        ("GROUP", "g-admins", "ps-admin", HW_DATA_PLATFORM.id),
    ] {
        let target = AssignmentTarget {
            permission_set_id: permission_set.into(),
            principal_id: principal.into(),
            principal_type: principal_type.into(),
            target_id: account.into(),
        };
        let status = block_on(ic.create_account_assignment(INSTANCE, &target)).unwrap();
        block_on(ic.wait_creation(INSTANCE, &status.request_id, Duration::from_secs(30), &fast, None)).unwrap();
    }
    let workspace =
        Workspace::new(&format!("{REQUIRED_PROVIDERS}{}", huawei_provider_block(&emulator, HW_MANAGEMENT, None)));
    workspace.write_file(
        "ic.tfquery.hcl",
        &format!("list \"tether_identity_center_profile_association\" \"all\" {{\n  provider = tether\n  config {{\n    instance_id = \"{INSTANCE}\"\n  }}\n}}\n\nlist \"tether_identity_center_profile_association\" \"data_platform\" {{\n  provider = tether\n  config {{\n    instance_id = \"{INSTANCE}\"\n    account_id  = \"{}\"\n  }}\n}}\n", HW_DATA_PLATFORM.id),
    );
    workspace.init();
    let query = workspace.terraform(&["query", "-json", "-no-color"]);
    let results = query_results(&query);
    let of = |address: &str| {
        results.iter().filter(|r| r["address"] == address).map(|r| r["identity"].clone()).collect::<Vec<_>>()
    };
    let admins = serde_json::json!({"instance_id": INSTANCE, "principal_type": "GROUP", "principal_id": "g-admins"});
    let bob = serde_json::json!({"instance_id": INSTANCE, "principal_type": "USER", "principal_id": "u-bob"});
    assert_eq!(
        of("list.tether_identity_center_profile_association.all"),
        vec![admins.clone(), bob],
        "{}",
        query.stdout
    );
    assert_eq!(of("list.tether_identity_center_profile_association.data_platform"), vec![admins], "{}", query.stdout);
    let admins_result = results.iter().find(|r| r["display_name"] == "group g-admins (2 assignments)");
    assert!(admins_result.is_some(), "the label counts every assignment of the principal: {}", query.stdout);

    workspace.terraform(&["query", "-no-color", "-generate-config-out=generated.tf"]).success();
    std::fs::remove_file(workspace.path().join("ic.tfquery.hcl")).unwrap();
    let generated = workspace.read_file("generated.tf");
    let all_only: String =
        generated.split("\n\n").filter(|block| !block.contains("data_platform")).collect::<Vec<_>>().join("\n\n");
    assert_eq!(all_only.matches("assignment {").count(), 3, "{all_only}");
    // The instance's identity store is looked up when left out: not written.
    assert!(!all_only.contains("identity_store_id") && !all_only.contains("detach_on_destroy"), "{all_only}");
    workspace.write_file("generated.tf", &all_only);
    generated_config_imports_without_changes(&workspace, 2);
    assert!(
        emulator.calls("CreateAccountAssignment").len() == 3 && emulator.calls("DeleteAccountAssignment").is_empty(),
        "importing changes nothing"
    );
}

#[test]
fn project_organization_links_are_found_per_organization() {
    let emulator = Emulator::start();
    let provider = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n",
        emulator.endpoint()
    );
    let workspace = Workspace::new(&provider);
    workspace.write_file(
        "zstack.tfquery.hcl",
        "list \"tether_iam2_project_organization\" \"all\" {\n  provider = tether\n}\n\nlist \"tether_iam2_project_organization\" \"engineering\" {\n  provider = tether\n  config {\n    organization_uuid = \"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03\"\n  }\n}\n",
    );
    workspace.init();
    let query = workspace.terraform(&["query", "-json", "-no-color"]);
    let results = query_results(&query);
    assert_eq!(results.len(), 1, "only legacy-erp is attached, to Finance Dept: {}", query.stdout);
    assert_eq!(results[0]["address"], "list.tether_iam2_project_organization.all");
    assert_eq!(results[0]["identity"], serde_json::json!({"project_uuid": "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04"}));
    assert_eq!(
        results[0]["display_name"],
        "legacy-erp (6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04) in Finance Dept (7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02)"
    );

    workspace.terraform(&["query", "-no-color", "-generate-config-out=generated.tf"]).success();
    std::fs::remove_file(workspace.path().join("zstack.tfquery.hcl")).unwrap();
    generated_config_imports_without_changes(&workspace, 1);
    assert!(emulator.calls("AttachIAM2ProjectToIAM2Organization").is_empty());
}

#[test]
fn the_list_examples_validate() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/list-resources");
    let workspace = Workspace::new(&format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{}}\nprovider \"tether\" {{\n  alias = \"finance_prod\"\n}}\n"
    ));
    let mut count = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let dir = entry.unwrap().path();
        let text = std::fs::read_to_string(dir.join("list-resource.tfquery.hcl")).unwrap();
        workspace.write_file(&format!("{}.tfquery.hcl", dir.file_name().unwrap().to_string_lossy()), &text);
        count += 1;
    }
    assert_eq!(count, 5);
    workspace.init();
    let validate = workspace.terraform(&["validate", "-query", "-no-color"]);
    validate.success();
    assert!(validate.stdout.contains("The configuration is valid."), "{}", validate.stdout);

    // And validation reaches the provider: a bad ID in an example-shaped config is refused.
    workspace.write_file("bad.tfquery.hcl", "list \"tether_iam2_project_organization\" \"bad\" {\n  provider = tether\n  config {\n    organization_uuid = \"Finance Dept\"\n  }\n}\n");
    let validate = workspace.terraform(&["validate", "-query", "-no-color"]);
    validate.failure();
    assert!(validate.text().contains("Invalid organization_uuid"), "{}", validate.text());
}
