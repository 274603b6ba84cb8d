//! Resource identity (Terraform 1.12+): `import { identity = {...} }` blocks, and identities
//! recorded in state for every resource.

mod support;

use std::time::Duration;

use support::{
    Emulator, HW_FINANCE_PROD, HW_MANAGEMENT, REQUIRED_PROVIDERS, Workspace, block_on, huawei_clients,
    huawei_provider_block, tencent_client, tencent_provider,
};
use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::waiter::PollPolicy;

#[test]
fn import_blocks_by_identity_and_by_id() {
    let emulator = Emulator::start();
    // Bindings and assignments that exist before Terraform.
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000011])).unwrap();
    let ic = huawei_clients(&emulator, HW_MANAGEMENT).identitycenter;
    let target = AssignmentTarget {
        permission_set_id: "ps-readonly".into(),
        principal_id: "u-bob".into(),
        principal_type: "USER".into(),
        target_id: HW_FINANCE_PROD.id.into(),
    };
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(200),
        interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(1),
        multiplier: 1.0,
    };
    let status = block_on(ic.create_account_assignment("ins-tether00000001", &target)).unwrap();
    block_on(ic.wait_creation("ins-tether00000001", &status.request_id, Duration::from_secs(30), &fast, None)).unwrap();

    let huawei = huawei_provider_block(&emulator, HW_MANAGEMENT, None);
    let provider = tencent_provider(&emulator).replacen(
        "provider \"tether\" {\n",
        &format!(
            "provider \"tether\" {{\n{}",
            huawei.trim_start_matches("provider \"tether\" {\n").trim_end().trim_end_matches('}')
        ),
        1,
    );
    let config = format!(
        r#"{provider}
import {{
  to = tether_member_auth_binding.mallory
  identity = {{
    member_uin          = 100000000101
    policy_id           = 1001
    org_sub_account_uin = 200000000011
  }}
}}

resource "tether_member_auth_binding" "mallory" {{
  member_uin          = 100000000101
  policy_id           = 1001
  org_sub_account_uin = 200000000011
}}

import {{
  to = tether_identity_center_profile_association.bob
  identity = {{
    instance_id    = "ins-tether00000001"
    principal_type = "USER"
    principal_id   = "u-bob"
  }}
}}

resource "tether_identity_center_profile_association" "bob" {{
  instance_id    = "ins-tether00000001"
  principal_type = "USER"
  principal_id   = "u-bob"
  assignment {{
    permission_set_id = "ps-readonly"
    account_id        = "{}"
  }}
}}

import {{
  to = tether_rgc_managed_account.finance
  id = "{}"
}}

resource "tether_rgc_managed_account" "finance" {{
  managed_account_id            = "{}"
  parent_organizational_unit_id = "ou-tether-workloads"
}}
"#,
        HW_FINANCE_PROD.id, HW_FINANCE_PROD.id, HW_FINANCE_PROD.id
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(plan.stdout.contains("Plan: 3 to import, 0 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.stdout.contains("3 imported, 0 added, 0 changed, 0 destroyed"), "{}", apply.stdout);
    assert!(emulator.calls("BindOrganizationMemberAuthAccount").len() == 1, "import binds nothing");

    // Every resource now carries its identity in state.
    let run = workspace.terraform(&["show", "-json", "-no-color"]);
    run.success();
    let state: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().unwrap().clone();
    let identity_of = |name: &str| resources.iter().find(|r| r["name"] == name).map(|r| r["identity"].clone()).unwrap();
    assert_eq!(
        identity_of("mallory"),
        serde_json::json!({"member_uin": 100000000101u64, "policy_id": 1001, "org_sub_account_uin": 200000000011u64})
    );
    assert_eq!(
        identity_of("bob"),
        serde_json::json!({"instance_id": "ins-tether00000001", "principal_type": "USER", "principal_id": "u-bob"})
    );
    assert_eq!(identity_of("finance"), serde_json::json!({"managed_account_id": HW_FINANCE_PROD.id}));

    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn an_identity_of_something_that_does_not_exist_is_refused() {
    let emulator = Emulator::start();
    let config = format!(
        "{REQUIRED_PROVIDERS}{}\nimport {{\n  to = tether_member_auth_binding.ghost\n  identity = {{\n    member_uin          = 100000000101\n    policy_id           = 1001\n    org_sub_account_uin = 200000000012\n  }}\n}}\n\nresource \"tether_member_auth_binding\" \"ghost\" {{\n  member_uin          = 100000000101\n  policy_id           = 1001\n  org_sub_account_uin = 200000000012\n}}\n",
        tencent_provider(&emulator).trim_start_matches(REQUIRED_PROVIDERS)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("Cannot import non-existent remote object"), "{}", plan.text());
}

#[test]
fn generated_configuration_for_an_import_applies_with_no_changes() {
    let emulator = Emulator::start();
    let provider = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n",
        emulator.endpoint()
    );
    // legacy-erp was attached to Finance Dept before Terraform.
    let config = format!(
        "{provider}\nimport {{\n  to = tether_iam2_project_organization.erp\n  id = \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04\"\n}}\n"
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false", "-generate-config-out=generated.tf"]);
    plan.success();
    let generated = std::fs::read_to_string(workspace.path().join("generated.tf")).expect("generated.tf");
    assert!(generated.contains("resource \"tether_iam2_project_organization\" \"erp\""), "{generated}");
    assert!(generated.contains("organization_uuid = \"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02\""), "{generated}");
    assert!(generated.contains("project_uuid      = \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04\""), "{generated}");
    assert!(!generated.contains("project_name"), "computed attributes are not configuration: {generated}");
    assert!(!generated.contains("detach_on_destroy"), "the default is not configuration: {generated}");
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.stdout.contains("1 imported, 0 added, 0 changed, 0 destroyed"), "{}", apply.stdout);
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(emulator.calls("AttachIAM2ProjectToIAM2Organization").is_empty(), "import attaches nothing");
}
