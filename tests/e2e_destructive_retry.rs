//! Detach calls are never repeated blindly: through real `terraform destroy`, the emulator
//! applies each detach and then drops the connection (`drop_after`), and the provider must read
//! the cloud, see the object gone, and stop — one detach call in the audit log, an empty state.
//! And when that read fails too, the outcome is unknown: destroy fails saying so, naming the
//! API, and the object stays in state.
//!
//! The case where the object is created again between the lost answer and the read is tested
//! at client level with the fake server (`clouds::tencent::coalesce`, `clouds::huawei::*`):
//! here it would hinge on racing Terraform.

mod support;

use serde_json::{Value as Json, json};
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, REQUIRED_PROVIDERS, Workspace,
    huawei_provider_block, tencent_provider,
};

const BINDING: &str = "100000000101/1001/200000000001";

fn binding_config(emulator: &Emulator) -> String {
    format!(
        "{}resource \"tether_member_auth_binding\" \"this\" {{\n  member_uin          = 100000000101\n  policy_id           = 1001\n  org_sub_account_uin = 200000000001\n}}\n",
        tencent_provider(emulator)
    )
}

fn bindings(emulator: &Emulator) -> Vec<String> {
    emulator.state()["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect()
}

fn apply(workspace: &Workspace) {
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
}

fn fault(emulator: &Emulator, spec: Json) {
    emulator.admin("POST", "faults", Some(&spec));
}

/// Destroys with the detach's answer lost after it applied: the run succeeds, the state is
/// empty, and the detach went out exactly once.
fn destroy_with_lost_answer(emulator: &Emulator, workspace: &Workspace, cloud: &str, action: &str) {
    fault(emulator, json!({"cloud": cloud, "action": action, "kind": "drop_after", "count": 1}));
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(workspace.state_resources().is_empty(), "the state must be empty");
    let calls = emulator.calls(action);
    assert_eq!(calls.len(), 1, "{action} must be sent exactly once: {calls:#?}");
    assert_eq!(calls[0]["fault"], "drop_after");
    assert_eq!(calls[0]["status"], "ok", "the emulator applied it");
}

#[test]
fn a_cancel_whose_answer_was_lost_is_read_back_not_repeated() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&binding_config(&emulator));
    workspace.init();
    apply(&workspace);
    assert!(bindings(&emulator).contains(&BINDING.to_string()));
    destroy_with_lost_answer(&emulator, &workspace, "tencent", "CancelOrganizationMemberAuthAccount");
    assert!(!bindings(&emulator).contains(&BINDING.to_string()));
}

#[test]
fn a_disassociate_whose_answer_was_lost_is_read_back_not_repeated() {
    let emulator = Emulator::start_with(&["--huawei-assignment-ms", "200"]);
    let config = format!(
        "{REQUIRED_PROVIDERS}{}resource \"tether_identity_center_profile_association\" \"this\" {{\n  instance_id    = \"ins-tether00000001\"\n  principal_type = \"USER\"\n  principal_id   = \"u-alice\"\n  assignment {{\n    permission_set_id = \"ps-admin\"\n    account_id        = \"{}\"\n  }}\n  assignment {{\n    permission_set_id = \"ps-readonly\"\n    account_id        = \"{}\"\n  }}\n}}\n",
        huawei_provider_block(&emulator, HW_MANAGEMENT, None),
        HW_FINANCE_PROD.id,
        HW_DATA_PLATFORM.id
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    apply(&workspace);
    destroy_with_lost_answer(&emulator, &workspace, "huawei", "DisassociateProfile");
    let left: Vec<Json> = emulator.state()["huawei"]["identity_center"]["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["principal_id"] == "u-alice")
        .cloned()
        .collect();
    assert!(left.is_empty(), "{left:#?}");
}

#[test]
fn a_leave_whose_answer_was_lost_is_read_back_not_repeated() {
    let emulator = Emulator::start();
    let config = format!(
        "{REQUIRED_PROVIDERS}{}resource \"tether_organization_membership\" \"this\" {{\n  handshake_id = \"h-7c1e0a9b2d4f4e6a\"\n}}\n",
        huawei_provider_block(&emulator, HW_NEW_ACQUISITION, None)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    apply(&workspace);
    destroy_with_lost_answer(&emulator, &workspace, "huawei", "LeaveOrganization");
    let members = emulator.state()["huawei"]["organizations"]["organization"]["members"].clone();
    assert!(!members.as_array().unwrap().iter().any(|m| m["account_id"] == HW_NEW_ACQUISITION.id), "{members:#?}");
}

#[test]
fn an_unknown_outcome_fails_the_destroy_and_keeps_the_state() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&binding_config(&emulator));
    workspace.init();
    apply(&workspace);
    // The Cancel is applied but its answer lost, and every read afterwards is refused.
    fault(
        &emulator,
        json!({"cloud": "tencent", "action": "CancelOrganizationMemberAuthAccount", "kind": "drop_after", "count": 1}),
    );
    fault(
        &emulator,
        json!({"cloud": "tencent", "action": "DescribeOrganizationMemberAuthAccounts", "kind": "error", "code": "UnauthorizedOperation", "message": "injected", "count": 0}),
    );
    let run = workspace.terraform(&["destroy", "-auto-approve", "-refresh=false", "-no-color", "-input=false"]);
    run.failure();
    let text = run.text();
    assert!(text.contains("Outcome of Tencent Cloud CancelOrganizationMemberAuthAccount unknown"), "{text}");
    assert!(text.contains("stays in the Terraform state"), "{text}");
    assert_eq!(workspace.state_resources().len(), 1, "an unknown outcome never drops the object from state");
    assert_eq!(emulator.calls("CancelOrganizationMemberAuthAccount").len(), 1, "nothing re-sent blindly");

    // Once the cloud can be read again, destroy finds the binding gone and finishes.
    emulator.admin("DELETE", "faults", None);
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(workspace.state_resources().is_empty());
    assert!(!bindings(&emulator).contains(&BINDING.to_string()));
}
