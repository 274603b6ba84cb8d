//! Actions end to end (Terraform 1.14+): `terraform plan -invoke` previews exactly what the
//! invocation will detach and writes nothing; `terraform apply -invoke` makes exactly the
//! expected calls and streams a line per call; already-detached objects count as done; failures
//! name the API and RequestId; `protect` forbids an action; Ctrl-C stops one promptly.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, REQUIRED_PROVIDERS, Run, Workspace,
    block_on, huawei_clients, huawei_provider_block, interrupt_when, tencent_client, tencent_provider,
};

fn example(action: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/actions").join(action).join("action.tf");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The cloud calls made since `since` that could change something (anything but reads and
/// ZStack session logins and logouts).
fn writes_since(emulator: &Emulator, since: usize) -> Vec<String> {
    let calls = emulator.admin("GET", "calls", None);
    let calls = calls.as_array().expect("calls is an array");
    let read = |action: &str| {
        ["Show", "List", "Describe", "Query", "Get", "LogIn", "LogOut"].iter().any(|p| action.starts_with(p))
    };
    calls[since.min(calls.len())..]
        .iter()
        .filter_map(|c| c["action"].as_str())
        .filter(|action| !read(action))
        .map(str::to_string)
        .collect()
}

fn call_count(emulator: &Emulator) -> usize {
    emulator.admin("GET", "calls", None).as_array().expect("calls is an array").len()
}

fn invoke(workspace: &Workspace, command: &str, action: &str) -> Run {
    let target = format!("-invoke=action.{action}");
    let mut args = vec![command, target.as_str(), "-no-color", "-input=false"];
    if command == "apply" {
        args.push("-auto-approve");
    }
    workspace.terraform(&args)
}

/// The progress lines Terraform printed for the action, without its prefix.
fn progress(run: &Run, action: &str) -> Vec<String> {
    let prefix = format!("Action action.{action}");
    run.stdout
        .lines()
        .filter(|l| l.starts_with(&prefix) && !l.contains("Action started") && !l.contains("Action complete"))
        .filter_map(|l| l.split_once(": ").map(|(_, message)| message.to_string()))
        .collect()
}

const CANCEL: &str = "tether_organization_cancel_member_auth.alice_finance_admin";

fn bindings(emulator: &Emulator) -> Vec<String> {
    emulator.state()["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect()
}

#[test]
fn cancel_member_auth_previews_then_cancels_once_and_then_finds_nothing() {
    let emulator = Emulator::start();
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000001])).unwrap();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), example("tether_organization_cancel_member_auth")].concat());
    workspace.init();

    let before = call_count(&emulator);
    let plan = invoke(&workspace, "plan", CANCEL);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains("Invoking calls Tencent Cloud CancelOrganizationMemberAuthAccount for 100000000101/1001/200000000001")
            && text.contains("Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}: sub-account ops-alice (200000000001) can no longer log in to member account 100000000101 with policy admin-access (1001)."),
        "{text}"
    );
    assert!(text.contains("Actions: 1 to invoke."), "{text}");
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new(), "a plan writes nothing");
    assert_eq!(bindings(&emulator), ["100000000101/1001/200000000001"]);

    let apply = invoke(&workspace, "apply", CANCEL);
    apply.success();
    assert_eq!(
        progress(&apply, CANCEL),
        [
            "Calling Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}",
            "Done: sub-account ops-alice (200000000001) can no longer log in to member account 100000000101 with policy admin-access (1001).",
        ],
        "{}",
        apply.stdout
    );
    let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0]["params"],
        json!({"MemberUin": 100000000101u64, "PolicyId": 1001, "OrgSubAccountUin": 200000000001u64})
    );
    assert!(bindings(&emulator).is_empty());
    assert!(workspace.state_resources().is_empty(), "an action changes no state");

    // Already detached: the preview says so, and the invocation calls nothing.
    let plan = invoke(&workspace, "plan", CANCEL);
    assert!(plan.text().contains("Nothing to cancel for 100000000101/1001/200000000001"), "{}", plan.text());
    let apply = invoke(&workspace, "apply", CANCEL);
    apply.success();
    assert_eq!(
        progress(&apply, CANCEL),
        [
            "Already detached: sub-account 200000000001 is not bound to policy 1001 of member account 100000000101; nothing to call."
        ]
    );
    assert_eq!(emulator.calls("CancelOrganizationMemberAuthAccount").len(), 1);
}

#[test]
fn a_refused_cancel_names_the_api_and_request_id_and_protect_forbids_the_action() {
    let emulator = Emulator::start();
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000001])).unwrap();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), example("tether_organization_cancel_member_auth")].concat());
    workspace.init();
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "tencent", "action": "CancelOrganizationMemberAuthAccount", "kind": "error", "code": "FailedOperation.OrganizationPolicyIsNotEnabled", "message": "policy disabled"})),
    );
    let apply = invoke(&workspace, "apply", CANCEL);
    apply.failure();
    let text = apply.text();
    assert!(
        text.contains("Could not cancel the member auth binding")
            && text.contains("CancelOrganizationMemberAuthAccount")
            && text.contains("FailedOperation.OrganizationPolicyIsNotEnabled")
            && text.contains("RequestId"),
        "{text}"
    );
    assert_eq!(bindings(&emulator), ["100000000101/1001/200000000001"], "a refused cancel changed nothing");
    emulator.admin("DELETE", "faults", None);

    // Protected: neither the plan nor the invocation reaches the cloud.
    let protected = tencent_provider(&emulator).replace(
        "provider \"tether\" {\n",
        "provider \"tether\" {\n  protect = [\"tether_organization_cancel_member_auth\"]\n",
    );
    workspace.write_config(&[protected, example("tether_organization_cancel_member_auth")].concat());
    let before = call_count(&emulator);
    for command in ["plan", "apply"] {
        let run = invoke(&workspace, command, CANCEL);
        run.failure();
        assert!(
            run.text().contains("The action tether_organization_cancel_member_auth is forbidden")
                && run.text().contains("remove \"tether_organization_cancel_member_auth\" from `protect`"),
            "{}",
            run.text()
        );
    }
    assert_eq!(call_count(&emulator), before, "a forbidden action reads nothing either");
    assert_eq!(bindings(&emulator), ["100000000101/1001/200000000001"]);
}

#[test]
fn ctrl_c_stops_an_invocation_promptly() {
    let emulator = Emulator::start();
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000001])).unwrap();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), example("tether_organization_cancel_member_auth")].concat());
    workspace.init();
    // The cancel hangs for two minutes; Ctrl-C once it is in flight.
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "tencent", "action": "CancelOrganizationMemberAuthAccount", "kind": "latency", "latency_ms": 120000, "count": 0})),
    );
    let fired = || {
        emulator
            .admin("GET", "faults", None)
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["action"] == "CancelOrganizationMemberAuthAccount" && f["fired"].as_u64() > Some(0))
    };
    let target = format!("-invoke=action.{CANCEL}");
    let stopped = interrupt_when(
        &workspace,
        &["apply", &target, "-auto-approve", "-no-color", "-input=false"],
        fired,
        Duration::from_secs(15),
    );
    assert!(stopped.exit_after < Duration::from_secs(10), "took {:?}:\n{}", stopped.exit_after, stopped.output);
    assert_ne!(stopped.code, Some(0), "{}", stopped.output);
    let flat = stopped.output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("Calling Tencent Cloud CancelOrganizationMemberAuthAccount"), "{flat}");
    assert!(
        flat.contains("Operation cancelled: Terraform asked the provider to stop (StopProvider, e.g. Ctrl-C), so Tencent Cloud CancelOrganizationMemberAuthAccount was abandoned.")
            && flat.contains("The action did not finish: Its progress lines say what it did.")
            && flat.contains("Invoke it again to finish: it reads the cloud first and calls only what is still attached."),
        "{flat}"
    );
    // Invoked again, it finishes.
    emulator.admin("DELETE", "faults", None);
    invoke(&workspace, "apply", CANCEL).success();
    assert!(bindings(&emulator).is_empty());
}

/// Gives `principal` the assignments (permission set, account) outside Terraform.
fn assign(emulator: &Emulator, principal: &str, assignments: &[(&str, &str)]) {
    use tether::clouds::huawei::AssignmentTarget;
    use tether::clouds::waiter::PollPolicy;
    let ic = huawei_clients(emulator, HW_MANAGEMENT).identitycenter;
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(100),
        interval: Duration::from_millis(100),
        max_interval: Duration::from_secs(1),
        multiplier: 1.0,
    };
    for (permission_set, account) in assignments {
        let target = AssignmentTarget {
            permission_set_id: permission_set.to_string(),
            principal_id: principal.into(),
            principal_type: "USER".into(),
            target_id: account.to_string(),
        };
        let status = block_on(ic.create_account_assignment("ins-tether00000001", &target)).unwrap();
        block_on(ic.wait_creation("ins-tether00000001", &status.request_id, Duration::from_secs(30), &fast, None))
            .unwrap();
    }
}

fn assignments_of(emulator: &Emulator, principal: &str) -> usize {
    block_on(huawei_clients(emulator, HW_MANAGEMENT).identitycenter.list_account_assignments_for_principal(
        "ins-tether00000001",
        principal,
        "USER",
    ))
    .unwrap()
    .len()
}

const DISASSOCIATE: &str = "tether_identity_center_disassociate_profile.offboard_alice";

#[test]
fn disassociate_profile_lists_every_assignment_then_removes_them_in_one_call() {
    let emulator = Emulator::start();
    assign(&emulator, "u-alice", &[("ps-admin", HW_FINANCE_PROD.id), ("ps-readonly", HW_DATA_PLATFORM.id)]);
    assign(&emulator, "u-bob", &[("ps-readonly", HW_FINANCE_PROD.id)]);
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_MANAGEMENT, None),
        example("tether_identity_center_disassociate_profile"),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();

    let before = call_count(&emulator);
    let plan = invoke(&workspace, "plan", DISASSOCIATE);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains("Invoking calls Huawei Cloud DisassociateProfile for USER u-alice")
            && text.contains("{id: u-alice, accessor_type: USER, identity_store_id: d-tether00001}: removes all 2 account assignments of USER u-alice:")
            && text.contains(&format!("- permission set ps-admin on account {}", HW_FINANCE_PROD.id))
            && text.contains(&format!("- permission set ps-readonly on account {}", HW_DATA_PLATFORM.id)),
        "{text}"
    );
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new());

    let apply = invoke(&workspace, "apply", DISASSOCIATE);
    apply.success();
    assert_eq!(
        progress(&apply, DISASSOCIATE),
        [
            "Calling Huawei Cloud DisassociateProfile for USER u-alice (2 assignments)",
            "Done: removed the 2 account assignments of USER u-alice.",
        ],
        "{}",
        apply.stdout
    );
    let calls = emulator.calls("DisassociateProfile");
    assert_eq!(calls.len(), 1);
    assert!(calls[0]["params"].to_string().contains("u-alice"), "{}", calls[0]);
    assert_eq!(assignments_of(&emulator, "u-alice"), 0);
    assert_eq!(assignments_of(&emulator, "u-bob"), 1, "another principal keeps its assignment");

    let apply = invoke(&workspace, "apply", DISASSOCIATE);
    apply.success();
    assert_eq!(
        progress(&apply, DISASSOCIATE),
        ["Already detached: USER u-alice has no account assignment; nothing to call."]
    );
    assert_eq!(emulator.calls("DisassociateProfile").len(), 1);
}

const LEAVE: &str = "tether_organizations_leave.new_acquisition";

#[test]
fn leave_previews_the_membership_and_leaves_only_the_named_organization() {
    let emulator = Emulator::start();
    // new-acquisition joins by accepting its invitation.
    block_on(huawei_clients(&emulator, HW_NEW_ACQUISITION).organizations.accept_handshake("h-7c1e0a9b2d4f4e6a"))
        .unwrap();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_MANAGEMENT, None),
        huawei_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member")),
        example("tether_organizations_leave"),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();

    // Another organization named: nothing to leave, nothing called.
    workspace.write_config(&config.replace("o-tether0001", "o-elsewhere"));
    let apply = invoke(&workspace, "apply", LEAVE);
    apply.success();
    assert_eq!(
        progress(&apply, LEAVE),
        ["Already detached: the account belongs to organization o-tether0001, not o-elsewhere; nothing to call."]
    );
    assert!(emulator.calls("LeaveOrganization").is_empty());

    workspace.write_config(&config);
    let before = call_count(&emulator);
    let plan = invoke(&workspace, "plan", LEAVE);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains("Invoking calls Huawei Cloud LeaveOrganization for o-tether0001")
            && text.contains("leaves organization o-tether0001 (management account tether-management)"),
        "{text}"
    );
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new());
    let apply = invoke(&workspace, "apply", LEAVE);
    apply.success();
    assert_eq!(progress(&apply, LEAVE)[0], "Calling Huawei Cloud LeaveOrganization (leaves o-tether0001)");
    assert_eq!(emulator.calls("LeaveOrganization").len(), 1);
    let organization =
        block_on(huawei_clients(&emulator, HW_NEW_ACQUISITION).organizations.show_organization()).unwrap();
    assert!(organization.is_none(), "{organization:?}");
}

/// An `action_trigger` runs the action when its resource is created (the pattern the guide
/// documents: a record of the offboarding, reviewed like any change), and not again on a plan
/// that changes nothing.
#[test]
fn an_action_trigger_runs_the_action_once_when_its_record_is_created() {
    let emulator = Emulator::start();
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000001])).unwrap();
    let record = r#"
resource "terraform_data" "offboard_alice" {
  input = "ticket-4711"

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.tether_organization_cancel_member_auth.alice_finance_admin]
    }
  }
}
"#;
    let workspace = Workspace::new(
        &[tencent_provider(&emulator), example("tether_organization_cancel_member_auth"), record.to_string()].concat(),
    );
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains(
            "Invoking calls Tencent Cloud CancelOrganizationMemberAuthAccount for 100000000101/1001/200000000001"
        ),
        "{text}"
    );
    assert!(text.contains("1 to add") && text.contains("Actions: 1 to invoke."), "{text}");
    assert!(emulator.calls("CancelOrganizationMemberAuthAccount").is_empty());

    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(
        apply.stdout.contains("Done: sub-account ops-alice (200000000001) can no longer log in"),
        "{}",
        apply.stdout
    );
    assert_eq!(emulator.calls("CancelOrganizationMemberAuthAccount").len(), 1);
    assert!(bindings(&emulator).is_empty());

    let again = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    again.success();
    assert_eq!(emulator.calls("CancelOrganizationMemberAuthAccount").len(), 1, "nothing triggers it again");
}

const UNENROLL: &str = "tether_rgc_unenroll_account.data_platform";

#[test]
fn unenroll_account_waits_for_its_operation_and_then_finds_nothing() {
    use tether::clouds::huawei::rgc::ENROLL_ACCOUNT_ACTION;
    use tether::clouds::waiter::PollPolicy;
    let emulator = Emulator::start_with(&["--huawei-operation-ms", "1500"]);
    let rgc = huawei_clients(&emulator, HW_MANAGEMENT).rgc;
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(200),
        interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(1),
        multiplier: 1.0,
    };
    let operation = block_on(rgc.enroll_account(HW_DATA_PLATFORM.id, "ou-tether-sandbox", None)).unwrap();
    block_on(rgc.wait_operation_of(ENROLL_ACCOUNT_ACTION, &operation, Duration::from_secs(30), &fast, None)).unwrap();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_MANAGEMENT, None),
        example("tether_rgc_unenroll_account"),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();

    let before = call_count(&emulator);
    let plan = invoke(&workspace, "plan", UNENROLL);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains(&format!("Invoking calls Huawei Cloud UnEnrollAccount for {}", HW_DATA_PLATFORM.id))
            && text.contains(&format!("RGC stops governing account data-platform {}", HW_DATA_PLATFORM.id)),
        "{text}"
    );
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new());

    let apply = invoke(&workspace, "apply", UNENROLL);
    apply.success();
    let lines = progress(&apply, UNENROLL);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0], format!("Calling Huawei Cloud UnEnrollAccount for {}", HW_DATA_PLATFORM.id));
    assert!(lines[1].starts_with("Waiting for UnEnrollAccount operation "), "{lines:?}");
    assert!(
        lines[2].starts_with(&format!("Done: RGC stops governing account data-platform {}", HW_DATA_PLATFORM.id)),
        "{lines:?}"
    );
    assert_eq!(emulator.calls("UnEnrollAccount").len(), 1);
    assert!(block_on(rgc.show_managed_account(HW_DATA_PLATFORM.id)).unwrap().is_none());

    let apply = invoke(&workspace, "apply", UNENROLL);
    apply.success();
    assert_eq!(
        progress(&apply, UNENROLL),
        [format!("Already detached: RGC does not govern account {}; nothing to call.", HW_DATA_PLATFORM.id)]
    );
    assert_eq!(emulator.calls("UnEnrollAccount").len(), 1);
}

const DETACH: &str = "tether_iam2_detach_project.legacy_erp";

#[test]
fn detach_project_leaves_only_the_named_organization_and_waits_for_its_job() {
    let emulator = Emulator::start_with(&["--zstack-job-ms", "800"]);
    let config = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n{}",
        emulator.endpoint(),
        example("tether_iam2_detach_project")
    );
    let workspace = Workspace::new(&config);
    workspace.init();

    // Another organization named: the project is not there, and nothing is called.
    workspace.write_config(&config.replace("7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02", "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03"));
    let plan = invoke(&workspace, "plan", DETACH);
    assert!(
        plan.text().contains("Project 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04 is in organization 7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02, not in 7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03, so invoking the action calls nothing."),
        "{}",
        plan.text()
    );
    workspace.write_config(&config);

    let before = call_count(&emulator);
    let plan = invoke(&workspace, "plan", DETACH);
    plan.success();
    let text = plan.text();
    assert!(
        text.contains("Invoking calls ZStack DetachIAM2ProjectFromIAM2Organization for 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04")
            && text.contains("project legacy-erp (6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04) leaves organization Finance Dept (7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02)"),
        "{text}"
    );
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new());

    let apply = invoke(&workspace, "apply", DETACH);
    apply.success();
    assert_eq!(
        progress(&apply, DETACH),
        [
            "Calling ZStack DetachIAM2ProjectFromIAM2Organization for 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04",
            "Waiting for the DetachIAM2ProjectFromIAM2Organization job",
            "Done: project legacy-erp (6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04) leaves organization Finance Dept (7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02); the project itself is not deleted.",
        ],
        "{}",
        apply.stdout
    );
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);
    let refs = emulator.state()["zstack"]["project_organization_refs"].clone();
    assert_eq!(refs, json!([]), "{refs}");

    let apply = invoke(&workspace, "apply", DETACH);
    apply.success();
    assert_eq!(
        progress(&apply, DETACH),
        [
            "Already detached: project 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04 is in no organization, not in 7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02; nothing to call."
        ]
    );
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);
}
