//! `tether_rgc_managed_account` end to end: enroll and wait through several polls, move between
//! OUs, drift, import, failed and timed-out operations, and un-enroll on destroy.

mod support;

use serde_json::json;
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, REQUIRED_PROVIDERS, Workspace, block_on,
    huawei_clients, huawei_provider_block,
};

fn emulator() -> Emulator {
    Emulator::start_with(&["--huawei-operation-ms", "2500"])
}

fn managed(name: &str, account: &str, ou: &str, extra: &str) -> String {
    format!(
        "resource \"tether_rgc_managed_account\" \"{name}\" {{\n  managed_account_id            = \"{account}\"\n  parent_organizational_unit_id = \"{ou}\"\n{extra}}}\n"
    )
}

fn config(emulator: &Emulator, resources: &str) -> String {
    [REQUIRED_PROVIDERS.to_string(), huawei_provider_block(emulator, HW_MANAGEMENT, None), resources.to_string()]
        .concat()
}

fn managed_state(emulator: &Emulator, account: &str) -> Option<(String, String)> {
    block_on(huawei_clients(emulator, HW_MANAGEMENT).rgc.show_managed_account(account))
        .unwrap()
        .map(|a| (a.state, a.parent_organizational_unit_id))
}

#[test]
fn enroll_move_drift_import_and_un_enroll() {
    let emulator = emulator();
    let workspace = Workspace::new(&config(&emulator, &managed("data", HW_DATA_PLATFORM.id, "ou-tether-sandbox", "")));
    workspace.init();

    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    let enrolls = emulator.calls("EnrollAccount");
    assert_eq!(enrolls.len(), 1);
    assert!(enrolls[0]["params"].to_string().contains("ou-tether-sandbox"), "{}", enrolls[0]);
    assert!(enrolls[0]["params"].to_string().contains(HW_DATA_PLATFORM.id), "{}", enrolls[0]);
    // The operation stayed IN_PROGRESS through several polls before it SUCCEEDED.
    let polls = emulator.calls("ShowOperation");
    assert!(polls.len() >= 2, "expected several polls, got {}", polls.len());
    assert_eq!(managed_state(&emulator, HW_DATA_PLATFORM.id), Some(("ENROLLED".into(), "ou-tether-sandbox".into())));
    let values = &workspace.state_resources()[0]["values"];
    assert_eq!(values["id"], HW_DATA_PLATFORM.id);
    assert_eq!(values["account_name"], "data-platform");
    assert_eq!(values["state"], "ENROLLED");
    assert_eq!(values["parent_organizational_unit_name"], "Sandbox");
    assert_eq!(values["landing_zone_version"], "v1.0.0");

    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Moving to another OU without its name is caught at plan time.
    workspace.write_config(&config(&emulator, &managed("data", HW_DATA_PLATFORM.id, "ou-tether-workloads", "")));
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(
        plan.combined().contains("parent_organizational_unit_name is needed to move the account"),
        "{}",
        plan.combined()
    );

    // Moving with the name: UpdateManagedAccount, waited on, an in-place update.
    workspace.write_config(&config(
        &emulator,
        &managed(
            "data",
            HW_DATA_PLATFORM.id,
            "ou-tether-workloads",
            "  parent_organizational_unit_name = \"Workloads\"\n",
        ),
    ));
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.stdout.contains("0 added, 1 changed, 0 destroyed"), "{}", apply.stdout);
    let updates = emulator.calls("UpdateManagedAccount");
    assert_eq!(updates.len(), 1);
    assert!(updates[0]["params"].to_string().contains("ou-tether-workloads"));
    assert_eq!(managed_state(&emulator, HW_DATA_PLATFORM.id), Some(("ENROLLED".into(), "ou-tether-workloads".into())));
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Moved back outside Terraform: drift, and the plan moves it again.
    let rgc = huawei_clients(&emulator, HW_MANAGEMENT).rgc;
    let op = block_on(rgc.update_managed_account(HW_DATA_PLATFORM.id, "ou-tether-sandbox", "Sandbox", None)).unwrap();
    block_on(rgc.wait_operation(
        &op,
        std::time::Duration::from_secs(30),
        &tether::clouds::waiter::PollPolicy {
            initial_delay: std::time::Duration::from_millis(200),
            interval: std::time::Duration::from_millis(200),
            max_interval: std::time::Duration::from_secs(1),
            multiplier: 1.0,
        },
        None,
    ))
    .unwrap();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.stdout.contains("~ parent_organizational_unit_id   = \"ou-tether-sandbox\" -> \"ou-tether-workloads\""),
        "{}",
        plan.stdout
    );
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();

    // Import of an account enrolled before Terraform.
    let both = format!(
        "{}{}",
        managed(
            "data",
            HW_DATA_PLATFORM.id,
            "ou-tether-workloads",
            "  parent_organizational_unit_name = \"Workloads\"\n"
        ),
        managed("finance", HW_FINANCE_PROD.id, "ou-tether-workloads", "")
    );
    workspace.write_config(&config(&emulator, &both));
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_rgc_managed_account.finance",
        HW_FINANCE_PROD.id,
    ]);
    import.success();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Destroy un-enrolls both and waits; the accounts stay in the organization.
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    let mut un_enrolled: Vec<String> =
        emulator.calls("UnEnrollAccount").iter().map(|c| c["params"].to_string()).collect();
    un_enrolled.sort();
    assert_eq!(un_enrolled.len(), 2, "{un_enrolled:?}");
    assert!(un_enrolled.iter().any(|p| p.contains(HW_DATA_PLATFORM.id)));
    assert!(un_enrolled.iter().any(|p| p.contains(HW_FINANCE_PROD.id)));
    assert_eq!(managed_state(&emulator, HW_DATA_PLATFORM.id), None);
    assert_eq!(managed_state(&emulator, HW_FINANCE_PROD.id), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn a_failed_enroll_names_the_operation_and_leaves_no_state() {
    let emulator = emulator();
    emulator.admin("POST", "faults", Some(&json!({"cloud": "huawei", "action": "EnrollAccount", "kind": "async_fail", "message": "RGC.1000: the baseline stack failed"})));
    let workspace = Workspace::new(&config(&emulator, &managed("data", HW_DATA_PLATFORM.id, "ou-tether-sandbox", "")));
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.text();
    let polls = emulator.calls("ShowOperation");
    let operation_id = polls.last().expect("the operation was polled")["params"].to_string();
    let operation_id = operation_id.split('"').find(|s| s.len() == 36).expect("an operation id").to_string();
    assert!(output.contains("Enrolling the account did not succeed"), "{output}");
    assert!(
        output.contains(&format!(
            "EnrollAccount operation {operation_id} ended FAILED: RGC.1000: the baseline stack failed"
        )),
        "{output}"
    );
    // The cloud dropped the enrollment, so the state has nothing either.
    assert_eq!(managed_state(&emulator, HW_DATA_PLATFORM.id), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn a_timed_out_enroll_records_the_account_the_cloud_has() {
    let emulator = emulator();
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "huawei", "action": "EnrollAccount", "kind": "async_hang"})),
    );
    let workspace = Workspace::new(&config(
        &emulator,
        &managed("data", HW_DATA_PLATFORM.id, "ou-tether-sandbox", "  timeouts {\n    create = \"3s\"\n  }\n"),
    ));
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.text();
    assert!(output.contains("Error: Operation timed out"), "{output}");
    assert!(
        output.contains("did not finish within 3s (timeouts.create), so waiting for EnrollAccount operation"),
        "{output}"
    );
    assert!(output.contains("IN_PROGRESS"), "{output}");
    // RGC has the account (still ENROLLING), so Terraform records it, tainted.
    assert_eq!(managed_state(&emulator, HW_DATA_PLATFORM.id).map(|s| s.0).as_deref(), Some("ENROLLING"));
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["values"]["state"], "ENROLLING");
    let show = workspace.terraform(&["state", "show", "-no-color", "tether_rgc_managed_account.data"]);
    assert!(show.stdout.contains("(tainted)"), "{}", show.stdout);
}

#[test]
fn bad_arguments_and_import_ids_are_explained() {
    let emulator = emulator();
    let workspace = Workspace::new(&config(
        &emulator,
        &managed("data", "not an id!", "ou-tether-sandbox", "  timeouts {\n    create = \"5 minutes\"\n  }\n"),
    ));
    workspace.init();
    let validate = workspace.terraform(&["validate", "-no-color"]);
    validate.failure();
    let output = validate.combined();
    assert!(output.contains("Invalid managed_account_id"), "{output}");
    assert!(output.contains("Invalid timeouts.create"), "{output}");
    assert!(output.contains("\"30m\""), "{output}");

    workspace.write_config(&config(&emulator, &managed("data", HW_DATA_PLATFORM.id, "ou-tether-sandbox", "")));
    let import =
        workspace.terraform(&["import", "-no-color", "-input=false", "tether_rgc_managed_account.data", "a/b"]);
    import.failure();
    assert!(import.combined().contains("Expected `<managed_account_id>`"), "{}", import.combined());
    // A well-formed ID of an account RGC does not manage.
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_rgc_managed_account.data",
        HW_DATA_PLATFORM.id,
    ]);
    import.failure();
    assert!(import.combined().contains("Cannot import non-existent remote object"), "{}", import.combined());
}
