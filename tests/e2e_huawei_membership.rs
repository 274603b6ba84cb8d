//! `tether_organization_membership` end to end: the member account joins by accepting an
//! invitation, and destroy calls LeaveOrganization with the member's own credentials.

mod support;

use support::{
    Emulator, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, REQUIRED_PROVIDERS, Workspace, block_on,
    huawei_clients, huawei_provider_block,
};

const ORG: &str = "o-tether0001";
const HANDSHAKE: &str = "h-7c1e0a9b2d4f4e6a";
/// The fixture's account with no organization and no invitation (not in `support`).
const LONE_WOLF_ID: &str = "4e9b5a6c3f1b4c8d8e0a5f6b7c8d9ea4";

fn membership(provider_alias: &str, handshake: Option<&str>) -> String {
    let handshake = handshake.map(|h| format!("  handshake_id = \"{h}\"\n")).unwrap_or_default();
    format!(
        "resource \"tether_organization_membership\" \"this\" {{\n  provider = tether.{provider_alias}\n{handshake}}}\n"
    )
}

fn org_of(emulator: &Emulator, account: support::HuaweiAccount) -> Option<String> {
    block_on(huawei_clients(emulator, account).organizations.show_organization()).unwrap().map(|o| o.id)
}

/// The cloud calls after the first `since` that could change something (anything but reads).
fn writes_since(emulator: &Emulator, since: usize) -> Vec<serde_json::Value> {
    let calls = emulator.admin("GET", "calls", None);
    let calls = calls.as_array().expect("calls is an array");
    let read = |action: &str| ["Show", "List"].iter().any(|p| action.starts_with(p));
    calls[since.min(calls.len())..]
        .iter()
        .filter(|c| !read(c["action"].as_str().unwrap_or_default()))
        .cloned()
        .collect()
}

fn call_count(emulator: &Emulator) -> usize {
    emulator.admin("GET", "calls", None).as_array().expect("calls is an array").len()
}

const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-no-color", "-input=false"];
const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];

/// new-acquisition joined by accepting the fixture's invitation, managed by `workspace`.
fn joined_new_acquisition() -> (Emulator, Workspace, String) {
    let emulator = Emulator::start();
    let provider =
        [REQUIRED_PROVIDERS.to_string(), huawei_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member"))].concat();
    let workspace = Workspace::new(&[provider.clone(), membership("member", Some(HANDSHAKE))].concat());
    workspace.init();
    workspace.terraform(APPLY).success();
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION).as_deref(), Some(ORG));
    (emulator, workspace, provider)
}

/// A plan that only records `handshake_id`: one in-place update, no LeaveOrganization preview.
#[track_caller]
fn assert_records_in_place(plan: &support::Run) {
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = plan.text();
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    assert!(text.contains("tether_organization_membership.this will be updated in-place"), "{text}");
    assert!(!text.contains("must be replaced"), "{text}");
    assert!(!text.contains("LeaveOrganization"), "{text}");
}

/// A plan that replaces the membership, with the destroy preview saying it leaves first.
#[track_caller]
fn assert_replaces(plan: &support::Run) {
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = plan.text();
    assert!(text.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{text}");
    assert!(text.contains("tether_organization_membership.this must be replaced"), "{text}");
    assert!(text.contains("# forces replacement"), "{text}");
    assert!(text.contains("Warning: Destroy calls Huawei Cloud LeaveOrganization"), "{text}");
    assert!(text.contains("This object is replaced, and the old one is destroyed"), "{text}");
}

#[test]
fn accepting_an_invitation_then_leaving_on_destroy() {
    let emulator = Emulator::start();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member")),
        membership("member", Some(HANDSHAKE)),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION), None);

    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    let accepts = emulator.calls("AcceptHandshake");
    assert_eq!(accepts.len(), 1);
    assert_eq!(accepts[0]["status"], "ok");
    assert!(accepts[0]["params"].to_string().contains(HANDSHAKE), "{}", accepts[0]);
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION).as_deref(), Some(ORG));
    let values = &workspace.state_resources()[0]["values"];
    assert_eq!(values["id"], ORG);
    assert_eq!(values["organization_id"], ORG);
    assert_eq!(values["handshake_id"], HANDSHAKE);
    assert_eq!(values["management_account_id"], HW_MANAGEMENT.id);
    assert_eq!(values["management_account_name"], "tether-management");
    assert!(values["urn"].as_str().unwrap().contains(ORG));

    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    let leaves = emulator.calls("LeaveOrganization");
    assert_eq!(leaves.len(), 1, "{leaves:?}");
    assert_eq!(leaves[0]["status"], "ok");
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn adopting_importing_drift_and_already_left() {
    let emulator = Emulator::start();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_FINANCE_PROD, Some("finance")),
        membership("finance", None),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();

    // No invitation: the resource adopts the account's current membership, calling nothing,
    // and the plan says that its destroy would leave an organization Terraform never joined.
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(
        plan.text().contains("Warning: Adopting this account's current organization membership"),
        "{}",
        plan.text()
    );
    assert!(plan.text().contains("Destroying this resource later calls LeaveOrganization, which Terraform cannot undo, although Terraform did not join this organization."), "{}", plan.text());
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(emulator.calls("AcceptHandshake").is_empty());
    assert_eq!(workspace.state_resources()[0]["values"]["organization_id"], ORG);

    // Import by organization ID.
    workspace.terraform(&["state", "rm", "-no-color", "tether_organization_membership.this"]).success();
    let import =
        workspace.terraform(&["import", "-no-color", "-input=false", "tether_organization_membership.this", ORG]);
    import.success();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    let bad = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_organization_membership.other",
        "o-elsewhere",
    ]);
    bad.failure();

    // Leaving behind Terraform's back is drift: the membership is gone and would be re-created.
    block_on(huawei_clients(&emulator, HW_FINANCE_PROD).organizations.leave_organization()).unwrap();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    // Re-creating it without an invitation says why it cannot.
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    assert!(apply.combined().contains("The account is in no organization"), "{}", apply.combined());
    assert!(apply.combined().contains("handshake_id"), "{}", apply.combined());
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn destroy_after_leaving_out_of_band_succeeds_without_calling_leave() {
    let emulator = Emulator::start();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member")),
        membership("member", Some(HANDSHAKE)),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    block_on(huawei_clients(&emulator, HW_NEW_ACQUISITION).organizations.leave_organization()).unwrap();
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-refresh=false", "-no-color", "-input=false"]);
    destroy.success();
    // Only our out-of-band leave: destroy saw the account outside the organization.
    assert_eq!(emulator.calls("LeaveOrganization").len(), 1);
}

#[test]
fn the_management_account_cannot_leave_and_keeps_its_state() {
    let emulator = Emulator::start();
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        huawei_provider_block(&emulator, HW_MANAGEMENT, Some("mgmt")),
        membership("mgmt", None),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.failure();
    let output = destroy.combined();
    assert!(output.contains("Could not leave the organization"), "{output}");
    assert!(output.contains("Organizations."), "the cloud's error code: {output}");
    assert!(output.contains("RequestId"), "{output}");
    // The cloud did not change, so neither did the state.
    assert_eq!(workspace.state_resources().len(), 1);
    assert_eq!(org_of(&emulator, HW_MANAGEMENT).as_deref(), Some(ORG));
}

#[test]
fn missing_domain_id_names_the_attribute_and_variable() {
    let emulator = Emulator::start();
    let provider = huawei_provider_block(&emulator, HW_FINANCE_PROD, None)
        .replace(&format!("    domain_id  = \"{}\"\n", HW_FINANCE_PROD.id), "");
    let config = [
        REQUIRED_PROVIDERS.to_string(),
        provider,
        "resource \"tether_organization_membership\" \"this\" {}\n".to_string(),
    ]
    .concat();
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    plan.failure();
    let output = plan.combined();
    assert!(output.contains("Missing huaweicloud.domain_id"), "{output}");
    assert!(output.contains("HW_DOMAIN_ID"), "{output}");
    assert!(!output.contains(HW_FINANCE_PROD.secret_key), "secret leaked: {output}");
}

#[test]
fn importing_a_membership_whose_configuration_names_its_invitation_keeps_it() {
    let (emulator, workspace, _) = joined_new_acquisition();
    workspace.terraform(&["state", "rm", "-no-color", "tether_organization_membership.this"]).success();
    workspace.terraform(&["import", "-no-color", "-input=false", "tether_organization_membership.this", ORG]).success();
    assert_eq!(workspace.state_resources()[0]["values"]["handshake_id"], serde_json::Value::Null);

    // While the invitation cannot be read, the replacement stands and a warning says why.
    emulator.admin(
        "POST",
        "faults",
        Some(&serde_json::json!({"cloud": "huawei", "action": "ShowHandshake", "kind": "error", "status": 403, "code": "Organizations.1007", "message": "access denied", "count": 0})),
    );
    let plan = workspace.terraform(PLAN);
    assert_replaces(&plan);
    let text = plan.text();
    assert!(text.contains(&format!("Warning: Could not check invitation {HANDSHAKE}")), "{text}");
    assert!(text.contains("Organizations.1007: access denied"), "{text}");
    assert!(text.contains("the plan replaces the membership"), "{text}");
    emulator.admin("DELETE", "faults", None);

    // The invitation the account accepted to join its organization: recorded, not replaced.
    let before = call_count(&emulator);
    assert_records_in_place(&workspace.terraform(PLAN));
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(apply.stdout.contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."), "{}", apply.stdout);
    let writes = writes_since(&emulator, before);
    assert!(writes.is_empty(), "recording handshake_id changed the cloud: {writes:#?}");
    assert!(emulator.calls("LeaveOrganization").is_empty());
    assert_eq!(workspace.state_resources()[0]["values"]["handshake_id"], HANDSHAKE);
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION).as_deref(), Some(ORG));
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn removing_the_invitation_from_the_configuration_updates_in_place() {
    let (emulator, workspace, provider) = joined_new_acquisition();
    workspace.write_config(&[provider, membership("member", None)].concat());
    let before = call_count(&emulator);
    assert_records_in_place(&workspace.terraform(PLAN));
    workspace.terraform(APPLY).success();
    let writes = writes_since(&emulator, before);
    assert!(writes.is_empty(), "forgetting handshake_id changed the cloud: {writes:#?}");
    assert!(emulator.calls("LeaveOrganization").is_empty());
    assert_eq!(workspace.state_resources()[0]["values"]["handshake_id"], serde_json::Value::Null);
    assert_eq!(org_of(&emulator, HW_NEW_ACQUISITION).as_deref(), Some(ORG));
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

#[test]
fn an_invitation_the_account_did_not_join_through_still_replaces_the_membership() {
    let (emulator, workspace, provider) = joined_new_acquisition();
    // The emulator has one organization, so "another organization's invitation" is stood in for
    // by one that does not exist, and by a pending one (to lone-wolf) of the same organization.
    let pending =
        block_on(huawei_clients(&emulator, HW_MANAGEMENT).organizations.invite_account("account", LONE_WOLF_ID, ""))
            .unwrap();
    assert_eq!(pending.status, "pending");
    let before = call_count(&emulator);
    for handshake in ["h-0000000000000000", pending.id.as_str()] {
        workspace.write_config(&[provider.clone(), membership("member", Some(handshake))].concat());
        let plan = workspace.terraform(PLAN);
        assert_replaces(&plan);
        assert!(!plan.text().contains("Could not check invitation"), "{}", plan.text());
    }
    let writes = writes_since(&emulator, before);
    assert!(writes.is_empty(), "planning changed the cloud: {writes:#?}");
}
