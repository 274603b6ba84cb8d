//! `tether_identity_center_profile_association` end to end: a principal's assignments created
//! and waited on, updated one by one, out-of-band assignments detected and removed, import, and
//! DisassociateProfile on destroy.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, REQUIRED_PROVIDERS, Workspace, block_on,
    huawei_clients, huawei_provider_block,
};
use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::waiter::PollPolicy;

const INSTANCE: &str = "ins-tether00000001";

fn association(principal_type: &str, principal: &str, assignments: &[(&str, &str)]) -> String {
    let blocks: String = assignments
        .iter()
        .map(|(ps, account)| {
            format!("  assignment {{\n    permission_set_id = \"{ps}\"\n    account_id        = \"{account}\"\n  }}\n")
        })
        .collect();
    format!(
        "resource \"tether_identity_center_profile_association\" \"this\" {{\n  instance_id    = \"{INSTANCE}\"\n  principal_type = \"{principal_type}\"\n  principal_id   = \"{principal}\"\n{blocks}}}\n"
    )
}

fn config(emulator: &Emulator, resource: &str) -> String {
    [REQUIRED_PROVIDERS.to_string(), huawei_provider_block(emulator, HW_MANAGEMENT, None), resource.to_string()]
        .concat()
}

fn cloud_assignments(emulator: &Emulator, principal_type: &str, principal: &str) -> BTreeSet<(String, String)> {
    block_on(huawei_clients(emulator, HW_MANAGEMENT).identitycenter.list_account_assignments_for_principal(
        INSTANCE,
        principal,
        principal_type,
    ))
    .unwrap()
    .into_iter()
    .map(|a| (a.permission_set_id, a.account_id))
    .collect()
}

fn set(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn bodies(emulator: &Emulator, action: &str) -> Vec<serde_json::Value> {
    emulator.calls(action).iter().filter(|c| c["status"] == "ok").map(|c| c["params"].clone()).collect()
}

#[test]
fn create_update_drift_import_and_disassociate() {
    let emulator = Emulator::start();
    let first = [("ps-admin", HW_FINANCE_PROD.id), ("ps-readonly", HW_DATA_PLATFORM.id)];
    let workspace = Workspace::new(&config(&emulator, &association("USER", "u-alice", &first)));
    workspace.init();

    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert_eq!(cloud_assignments(&emulator, "USER", "u-alice"), set(&first));
    let creates = bodies(&emulator, "CreateAccountAssignment");
    assert_eq!(creates.len(), 2);
    for body in &creates {
        let text = body.to_string();
        assert!(
            text.contains("\"principal_id\":\"u-alice\"")
                && text.contains("\"principal_type\":\"USER\"")
                && text.contains("\"target_type\":\"ACCOUNT\""),
            "{text}"
        );
    }
    assert!(!emulator.calls("DescribeAccountAssignmentCreationStatus").is_empty(), "creations are waited on");
    let values = &workspace.state_resources()[0]["values"];
    assert_eq!(values["id"], format!("{INSTANCE}/USER/u-alice"));
    assert_eq!(values["identity_store_id"], "d-tether00001", "looked up from the instance");
    assert_eq!(values["assignment"].as_array().unwrap().len(), 2);

    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Update: one assignment removed, one added, the third untouched.
    let second = [("ps-admin", HW_FINANCE_PROD.id), ("ps-billing", HW_MANAGEMENT.id)];
    workspace.write_config(&config(&emulator, &association("USER", "u-alice", &second)));
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", apply.stdout);
    let deletes = bodies(&emulator, "DeleteAccountAssignment");
    assert_eq!(deletes.len(), 1);
    assert!(deletes[0].to_string().contains("ps-readonly"), "{}", deletes[0]);
    let creates = bodies(&emulator, "CreateAccountAssignment");
    assert_eq!(creates.len(), 3);
    assert!(creates[2].to_string().contains("ps-billing"), "{}", creates[2]);
    assert_eq!(cloud_assignments(&emulator, "USER", "u-alice"), set(&second));

    // An assignment made outside Terraform is drift, and apply removes it.
    let ic = huawei_clients(&emulator, HW_MANAGEMENT).identitycenter;
    let target = AssignmentTarget {
        permission_set_id: "ps-readonly".into(),
        principal_id: "u-alice".into(),
        principal_type: "USER".into(),
        target_id: HW_FINANCE_PROD.id.into(),
    };
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(200),
        interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(1),
        multiplier: 1.0,
    };
    let status = block_on(ic.create_account_assignment(INSTANCE, &target)).unwrap();
    block_on(ic.wait_creation(INSTANCE, &status.request_id, Duration::from_secs(30), &fast, None)).unwrap();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("- assignment {"), "{}", plan.stdout);
    assert!(plan.stdout.contains("- permission_set_id = \"ps-readonly\""), "{}", plan.stdout);
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(cloud_assignments(&emulator, "USER", "u-alice"), set(&second));

    // Import by <instance>/<type>/<principal>.
    workspace.terraform(&["state", "rm", "-no-color", "tether_identity_center_profile_association.this"]).success();
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_identity_center_profile_association.this",
        &format!("{INSTANCE}/USER/u-alice"),
    ]);
    import.success();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Destroy: one DisassociateProfile removes every assignment of the principal.
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    let disassociations = bodies(&emulator, "DisassociateProfile");
    assert_eq!(disassociations.len(), 1);
    let body = disassociations[0].to_string();
    assert!(
        body.contains("\"id\":\"u-alice\"")
            && body.contains("\"accessor_type\":\"USER\"")
            && body.contains("\"identity_store_id\":\"d-tether00001\""),
        "{body}"
    );
    assert!(cloud_assignments(&emulator, "USER", "u-alice").is_empty());
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn a_failed_assignment_is_reported_and_the_state_shows_what_exists() {
    let emulator = Emulator::start();
    emulator.admin(
        "POST",
        "faults",
        Some(&serde_json::json!({"cloud": "huawei", "action": "CreateAccountAssignment", "kind": "async_fail", "message": "IdentityCenter.1000: provisioning the permission set failed", "count": 1})),
    );
    let wanted = [("ps-admin", HW_FINANCE_PROD.id)];
    let workspace = Workspace::new(&config(&emulator, &association("GROUP", "g-auditors", &wanted)));
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.text();
    assert!(output.contains("Could not create an account assignment"), "{output}");
    assert!(output.contains("Permission set ps-admin on account"), "{output}");
    assert!(output.contains("IdentityCenter.1000: provisioning the permission set failed"), "{output}");
    // The cloud has no assignment; the (tainted) state says the same.
    assert!(cloud_assignments(&emulator, "GROUP", "g-auditors").is_empty());
    let resources = workspace.state_resources();
    assert!(resources.len() <= 1);
    if let Some(resource) = resources.first() {
        assert_eq!(resource["values"]["assignment"].as_array().map(Vec::len), Some(0));
    }
    // The next apply converges.
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(cloud_assignments(&emulator, "GROUP", "g-auditors"), set(&wanted));
}

#[test]
fn bad_principal_type_and_import_id_are_explained() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&config(&emulator, &association("ROLE", "u-alice", &[("ps-admin", HW_FINANCE_PROD.id)])));
    workspace.init();
    let validate = workspace.terraform(&["validate", "-no-color"]);
    validate.failure();
    assert!(
        validate.text().contains("principal_type must be \"USER\" or \"GROUP\"; got \"ROLE\"."),
        "{}",
        validate.text()
    );

    workspace.write_config(&config(&emulator, &association("USER", "u-bob", &[])));
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_identity_center_profile_association.this",
        "u-bob",
    ]);
    import.failure();
    assert!(import.text().contains("<instance_id>/<USER|GROUP>/<principal_id>"), "{}", import.text());
}
