//! Switching from the official providers with `moved` blocks (MoveResourceState), end to end:
//! each official resource type is created through its stand-in (`standins/`, serving the
//! official schema and calling the emulator as the official provider does), then the
//! configuration of `examples/migrating/<type>/` replaces it with the tether resource and a
//! `moved` block. The move plans with nothing to add, change or destroy, applies without a
//! single cloud write, leaves a clean plan and the object's identity in state, and destroy then
//! calls the detach API (or, for a membership whose source never left, does not).

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use support::official::{OFFICIAL_REQUIRED_PROVIDERS, huaweicloud_provider_block, tencentcloud_provider};
use support::{
    Emulator, HW_MANAGEMENT, HW_NEW_ACQUISITION, Run, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace, block_on,
    huawei_clients, huawei_provider_block,
};

const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-no-color", "-input=false"];
const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color", "-input=false"];

fn example(source_type: &str, file: &str) -> String {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/migrating").join(source_type).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every provider configuration the examples use: the stand-ins and tether, as the management
/// account, plus the invited account's own credentials under the alias `member`.
fn providers(emulator: &Emulator) -> String {
    [
        OFFICIAL_REQUIRED_PROVIDERS.to_string(),
        tencentcloud_provider(emulator),
        huaweicloud_provider_block(emulator, HW_MANAGEMENT, None),
        huaweicloud_provider_block(emulator, HW_NEW_ACQUISITION, Some("member")),
        tether_provider(emulator),
        huawei_provider_block(emulator, HW_NEW_ACQUISITION, Some("member")),
    ]
    .concat()
}

/// One `provider "tether"` block with the emulator's Tencent Cloud and the Huawei management
/// account (the support module's blocks hold one cloud each).
fn tether_provider(emulator: &Emulator) -> String {
    let huawei = huawei_provider_block(emulator, HW_MANAGEMENT, None);
    let huawei = huawei
        .strip_prefix("provider \"tether\" {\n")
        .and_then(|rest| rest.trim_end().strip_suffix('}'))
        .expect("a provider \"tether\" block");
    format!(
        "provider \"tether\" {{\n  tencentcloud {{\n    secret_id  = \"{TENCENT_SECRET_ID}\"\n    secret_key = \"{TENCENT_SECRET_KEY}\"\n    endpoint   = \"{}\"\n  }}\n{huawei}}}\n",
        emulator.endpoint()
    )
}

/// The cloud calls made since `since` that could change something (anything but reads).
fn writes_since(emulator: &Emulator, since: usize) -> Vec<String> {
    let calls = emulator.admin("GET", "calls", None);
    let calls = calls.as_array().expect("calls is an array");
    let read = |action: &str| ["Show", "List", "Describe", "Query", "Get"].iter().any(|p| action.starts_with(p));
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

/// The instance of `address` in the raw state file (which holds the identity).
fn raw_instance(workspace: &Workspace, address: &str) -> Json {
    let state: Json = serde_json::from_str(&workspace.read_file("terraform.tfstate")).expect("state is JSON");
    let (kind, name) = address.split_once('.').unwrap();
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["mode"] == "managed" && r["type"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{address} is not in the state: {state}"))["instances"][0]
        .clone()
}

fn addresses(workspace: &Workspace) -> Vec<String> {
    let mut found: Vec<String> =
        workspace.state_resources().iter().map(|r| r["address"].as_str().unwrap().to_string()).collect();
    found.sort();
    found
}

/// The source objects made through the stand-in, in a working directory with every provider.
fn created_through_the_standin(emulator: &Emulator, source_type: &str) -> Workspace {
    let workspace = Workspace::with_official_providers(&example(source_type, "before.tf"));
    workspace.write_file("providers.tf", &providers(emulator));
    workspace.init();
    workspace.terraform(APPLY).success();
    workspace
}

/// Switches the configuration to `after` and checks the move: the plan shows it and nothing to
/// add, change or destroy, with a warning saying what destroy calls from now on; the apply makes
/// no cloud write; the next plan is clean; the moved object has its identity in state.
#[track_caller]
fn moves_cleanly(emulator: &Emulator, workspace: &Workspace, after: &str, from: &str, to: &str) -> Run {
    workspace.write_config(after);
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 2, "a plan with a move has something to apply:\n{}", plan.combined());
    let text = plan.text();
    assert!(plan.stdout.contains(&format!("# {from} has moved to {to}")), "{}", plan.stdout);
    assert!(text.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{text}");
    assert!(text.contains(&format!("moved here from {}", from.split('.').next().unwrap())), "{text}");

    let before = call_count(emulator);
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert_eq!(writes_since(emulator, before), Vec::<String>::new(), "a move writes nothing to the cloud");

    let again = workspace.terraform(PLAN);
    assert_eq!(again.code, 0, "the plan after the move is not clean:\n{}", again.combined());
    assert!(!again.text().contains("moved here from"), "only the plan carrying the move says so:\n{}", again.text());
    let instance = raw_instance(workspace, to);
    assert!(instance["identity"].is_object(), "no identity in state: {instance}");
    plan
}

#[test]
fn a_tencent_attachment_moves_to_a_member_auth_binding() {
    let emulator = Emulator::start();
    let source_type = "tencentcloud_organization_policy_sub_account_attachment";
    let workspace = created_through_the_standin(&emulator, source_type);
    assert_eq!(emulator.calls("BindOrganizationMemberAuthAccount").len(), 1);
    let from = format!("{source_type}.alice_finance_admin");
    let to = "tether_member_auth_binding.alice_finance_admin";
    assert_eq!(raw_instance(&workspace, &from)["attributes"]["id"], "1001#100000000101#200000000001");

    // Through a saved plan, as a reviewed change is applied.
    workspace.write_config(&example(source_type, "after.tf"));
    let plan = workspace.terraform(&["plan", "-out=move.tfplan", "-no-color", "-input=false"]);
    plan.success();
    let text = plan.text();
    assert!(plan.stdout.contains(&format!("# {from} has moved to {to}")), "{}", plan.stdout);
    assert!(text.contains("Plan: 0 to add, 0 to change, 0 to destroy."), "{text}");
    assert!(
        text.contains(&format!(
            "Warning: 100000000101/1001/200000000001 moved here from {source_type}"
        )) && text.contains("From now on, destroying it calls Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}: sub-account ops-alice (200000000001) can no longer log in"),
        "{text}"
    );
    let before = call_count(&emulator);
    workspace.terraform(&["apply", "-no-color", "-input=false", "move.tfplan"]).success();
    assert_eq!(writes_since(&emulator, before), Vec::<String>::new());
    assert_eq!(workspace.terraform(PLAN).code, 0);
    assert_eq!(addresses(&workspace), [to]);
    let instance = raw_instance(&workspace, to);
    assert_eq!(
        instance["identity"],
        json!({"member_uin": 100000000101u64, "policy_id": 1001, "org_sub_account_uin": 200000000001u64})
    );
    assert_eq!(instance["attributes"]["id"], "100000000101/1001/200000000001");
    assert_eq!(instance["attributes"]["org_sub_account_name"], "ops-alice");
    assert_eq!(instance["attributes"]["detach_on_destroy"], true);

    workspace.terraform(DESTROY).success();
    let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0]["params"],
        json!({"MemberUin": 100000000101u64, "PolicyId": 1001, "OrgSubAccountUin": 200000000001u64})
    );
}

#[test]
fn an_rgc_enrollment_moves_to_a_managed_account_and_wrong_targets_are_refused() {
    let emulator = Emulator::start();
    let source_type = "huaweicloud_rgc_account_enroll";
    let workspace = created_through_the_standin(&emulator, source_type);
    assert_eq!(emulator.calls("EnrollAccount").len(), 1);
    let from = format!("{source_type}.data_platform");
    let to = "tether_rgc_managed_account.data_platform";

    // A source this target cannot take: the error lists the moves there are, and the state
    // keeps the source object.
    workspace.write_config(&format!(
        "resource \"tether_member_auth_binding\" \"wrong\" {{\n  member_uin          = 100000000101\n  policy_id           = 1001\n  org_sub_account_uin = 200000000001\n}}\n\nmoved {{\n  from = {from}\n  to   = tether_member_auth_binding.wrong\n}}\n"
    ));
    let refused = workspace.terraform(PLAN);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let text = refused.text();
    assert!(
        text.contains("Error: Unsupported move into terraform-provider-tether")
            && text.contains("tether_member_auth_binding cannot take over huaweicloud_rgc_account_enroll objects of \"registry.terraform.io/huaweicloud/huaweicloud\"")
            && text.contains("- huaweicloud/huaweicloud huaweicloud_rgc_account_enroll -> tether_rgc_managed_account"),
        "{text}"
    );
    assert_eq!(addresses(&workspace), [from.as_str()]);

    let plan = moves_cleanly(&emulator, &workspace, &example(source_type, "after.tf"), &from, to);
    assert!(plan.text().contains("From now on, destroying it calls Huawei Cloud UnEnrollAccount"), "{}", plan.text());
    let instance = raw_instance(&workspace, to);
    assert_eq!(instance["identity"], json!({"managed_account_id": "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82"}));
    assert_eq!(instance["attributes"]["state"], "ENROLLED");
    assert_eq!(instance["attributes"]["timeouts"]["create"], "2h", "the configured timeouts carry over");

    workspace.terraform(DESTROY).success();
    assert_eq!(emulator.calls("UnEnrollAccount").len(), 1);
}

#[test]
fn an_accepter_that_never_left_moves_to_a_membership_that_does_not_leave() {
    let emulator = Emulator::start();
    let source_type = "huaweicloud_organizations_account_invite_accepter";
    let workspace = created_through_the_standin(&emulator, source_type);
    assert_eq!(emulator.calls("AcceptHandshake").len(), 1);
    let from = format!("{source_type}.joined");
    let to = "tether_organization_membership.joined";
    let after = example(source_type, "after.tf");

    // Left at its default, detach_on_destroy would turn the destroy (which did nothing) into
    // LeaveOrganization: the plan shows that change and says why.
    let defaulted = after.replace("  detach_on_destroy = false\n", "");
    assert_ne!(defaulted, after);
    workspace.write_config(&defaulted);
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = plan.text();
    assert!(text.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{text}");
    assert!(text.contains("~ detach_on_destroy = false -> true"), "{text}");
    assert!(
        text.contains(&format!("Destroying the {source_type} did not detach it, so the moved state has detach_on_destroy = false, and this configuration sets it to true (the default). From now on, destroying it calls Huawei Cloud LeaveOrganization")),
        "{text}"
    );

    let plan = moves_cleanly(&emulator, &workspace, &after, &from, to);
    assert!(
        plan.text().contains(
            "From now on, destroying it only removes it from the Terraform state (detach_on_destroy is false)."
        ),
        "{}",
        plan.text()
    );
    let instance = raw_instance(&workspace, to);
    assert_eq!(instance["identity"], json!({"organization_id": "o-tether0001"}));
    assert_eq!(instance["attributes"]["handshake_id"], "h-7c1e0a9b2d4f4e6a");
    assert_eq!(instance["attributes"]["detach_on_destroy"], false);
    // The refresh after the move read the organization's URN (the source held the invitation's).
    assert!(instance["attributes"]["urn"].as_str().unwrap().contains(":organization:"), "{instance}");

    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    assert!(plan.text().contains("Warning: Destroy only forgets o-tether0001"), "{}", plan.text());
    workspace.terraform(DESTROY).success();
    assert!(emulator.calls("LeaveOrganization").is_empty());
    let organization =
        block_on(huawei_clients(&emulator, HW_NEW_ACQUISITION).organizations.show_organization()).unwrap();
    assert_eq!(organization.map(|o| o.id).as_deref(), Some("o-tether0001"), "the account is still a member");
}

#[test]
fn an_accepter_that_left_on_destroy_moves_to_a_membership_that_leaves() {
    let emulator = Emulator::start();
    let source_type = "huaweicloud_organizations_account_invite_accepter";
    let before = example(source_type, "before.tf").replace(
        "  invitation_id = \"h-7c1e0a9b2d4f4e6a\"\n",
        "  invitation_id                 = \"h-7c1e0a9b2d4f4e6a\"\n  leave_organization_on_destroy = true\n",
    );
    let workspace = Workspace::with_official_providers(&before);
    workspace.write_file("providers.tf", &providers(&emulator));
    workspace.init();
    workspace.terraform(APPLY).success();
    let after = example(source_type, "after.tf").replace("  detach_on_destroy = false\n", "");
    let plan = moves_cleanly(
        &emulator,
        &workspace,
        &after,
        &format!("{source_type}.joined"),
        "tether_organization_membership.joined",
    );
    assert!(plan.text().contains("From now on, destroying it calls Huawei Cloud LeaveOrganization"), "{}", plan.text());
    workspace.terraform(DESTROY).success();
    assert_eq!(emulator.calls("LeaveOrganization").len(), 1);
}

#[test]
fn account_assignments_move_into_one_association_only_with_every_assignment_listed() {
    let emulator = Emulator::start();
    let source_type = "huaweicloud_identitycenter_account_assignment";
    let workspace = created_through_the_standin(&emulator, source_type);
    assert_eq!(emulator.calls("CreateAccountAssignment").len(), 2);
    let from = format!("{source_type}.alice_finance_admin");
    let to = "tether_identity_center_profile_association.alice";
    let after = example(source_type, "after.tf");

    // The move carries one assignment; the refresh finds the principal's other one. A
    // configuration that does not list it would delete it: the plan is refused, with the block
    // to add.
    let readonly = "\n  assignment {\n    permission_set_id = \"ps-readonly\"\n    account_id        = \"2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82\" # data-platform\n  }\n";
    let forgotten = after.replace(readonly, "");
    assert_ne!(forgotten, after);
    workspace.write_config(&forgotten);
    let refused = workspace.terraform(PLAN);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let text = refused.text();
    assert!(
        text.contains("Error: A move must not delete assignments")
            && text.contains(&format!("This plan moves a {source_type} into the association of USER u-alice and would also delete 1 of the principal's assignments"))
            && text.contains("permission_set_id = \"ps-readonly\" account_id = \"2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82\""),
        "{text}"
    );

    let plan = moves_cleanly(&emulator, &workspace, &after, &from, to);
    let text = plan.text();
    assert!(
        text.contains(&format!("# {source_type}.alice_data_readonly will no longer be managed by Terraform")),
        "{text}"
    );
    assert!(text.contains("From now on, destroying it calls Huawei Cloud DisassociateProfile"), "{text}");
    assert_eq!(addresses(&workspace), [to]);
    let instance = raw_instance(&workspace, to);
    assert_eq!(
        instance["identity"],
        json!({"instance_id": "ins-tether00000001", "principal_type": "USER", "principal_id": "u-alice"})
    );
    assert_eq!(instance["attributes"]["assignment"].as_array().map(Vec::len), Some(2));

    workspace.terraform(DESTROY).success();
    assert_eq!(emulator.calls("DisassociateProfile").len(), 1);
    assert!(emulator.calls("DeleteAccountAssignment").is_empty());
    let left =
        block_on(huawei_clients(&emulator, HW_MANAGEMENT).identitycenter.list_account_assignments_for_principal(
            "ins-tether00000001",
            "u-alice",
            "USER",
        ))
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
