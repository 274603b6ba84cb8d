//! What a reviewer reads before a destroy: every resource's plan names its detach API, the
//! parameters and the blast radius; `detach_on_destroy = false` only forgets; `protect` forbids.

mod support;

use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, Workspace, huawei_provider_block,
    tencent_provider,
};

fn everything(emulator: &Emulator, extra_provider: &str, guard: &str) -> String {
    let tencent = tencent_provider(emulator);
    let huawei = huawei_provider_block(emulator, HW_MANAGEMENT, None);
    // One provider block with all three clouds: splice the Huawei and ZStack blocks into it.
    let huawei_inner = huawei.trim_start_matches("provider \"tether\" {\n").trim_end().trim_end_matches('}');
    let zstack = format!(
        "  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n",
        emulator.endpoint()
    );
    let provider = tencent.replacen(
        "provider \"tether\" {\n",
        &format!("provider \"tether\" {{\n{extra_provider}{huawei_inner}{zstack}"),
        1,
    );
    let member = huawei_provider_block(emulator, HW_NEW_ACQUISITION, Some("member"));
    format!(
        r#"{provider}
{member}
resource "tether_member_auth_binding" "alice" {{
  member_uin          = 100000000101
  policy_id           = 1001
  org_sub_account_uin = 200000000001
{guard}}}

resource "tether_organization_membership" "new_acquisition" {{
  provider     = tether.member
  handshake_id = "h-7c1e0a9b2d4f4e6a"
}}

resource "tether_rgc_managed_account" "data_platform" {{
  managed_account_id            = "{}"
  parent_organizational_unit_id = "ou-tether-sandbox"
}}

resource "tether_identity_center_profile_association" "admins" {{
  instance_id    = "ins-tether00000001"
  principal_type = "GROUP"
  principal_id   = "g-admins"
  assignment {{
    permission_set_id = "ps-admin"
    account_id        = "{}"
  }}
  assignment {{
    permission_set_id = "ps-readonly"
    account_id        = "{}"
  }}
}}

resource "tether_iam2_project_organization" "payments" {{
  project_uuid      = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01"
  organization_uuid = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02"
}}
"#,
        HW_DATA_PLATFORM.id, HW_FINANCE_PROD.id, HW_DATA_PLATFORM.id
    )
}

#[test]
fn destroy_plans_name_each_detach_call_and_its_blast_radius() {
    let emulator = Emulator::start_with(&["--huawei-operation-ms", "1500", "--zstack-job-ms", "500"]);
    let workspace = Workspace::new(&everything(&emulator, "", ""));
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();

    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    plan.success();
    let text = plan.text();
    for expected in [
        "Warning: Destroy calls Tencent Cloud CancelOrganizationMemberAuthAccount for 100000000101/1001/200000000001 with tether_member_auth_binding.alice, on main.tf line",
        "Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}: sub-account ops-alice (200000000001) can no longer log in to member account 100000000101 with policy admin-access (1001).",
        "Warning: Destroy calls Huawei Cloud LeaveOrganization for o-tether0001 with tether_organization_membership.new_acquisition",
        "Huawei Cloud LeaveOrganization (POST /v1/organizations/leave, no parameters; leaves o-tether0001): the account whose credentials this provider uses leaves organization o-tether0001 (management account tether-management) and becomes a standalone account. The call is made with the member account's own credentials, and Terraform cannot undo it: rejoining needs a new invitation from the management account.",
        "Warning: Destroy calls Huawei Cloud UnEnrollAccount for 2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82 with tether_rgc_managed_account.data_platform",
        "Huawei Cloud UnEnrollAccount (POST /v1/managed-organization/managed-accounts/2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82/un-enroll): RGC stops governing account data-platform 2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82: the landing zone's controls and baseline no longer apply to it. The account stays in the organization (OU Sandbox) and is not closed.",
        "Warning: Destroy calls Huawei Cloud DisassociateProfile for ins-tether00000001/GROUP/g-admins with tether_identity_center_profile_association.admins",
        "Huawei Cloud DisassociateProfile (POST /v1/instances/ins-tether00000001/disassociate-profile) {id: g-admins, accessor_type: GROUP, identity_store_id: d-tether00001}: removes every account assignment of GROUP g-admins — it currently has 2 — on every account and permission set, including any not created by Terraform.",
        "Warning: Destroy calls ZStack DetachIAM2ProjectFromIAM2Organization for 6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01 with tether_iam2_project_organization.payments",
        "ZStack DetachIAM2ProjectFromIAM2Organization (DELETE /zstack/v1/iam2/projects/6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01/iam2/organizations, sent only while the project is in 7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02): project payments (6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01) leaves organization Finance Dept (7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02); the project itself is not deleted.",
    ] {
        assert!(text.contains(expected), "missing from the destroy plan: {expected}\n\n{}", plan.stdout);
    }

    // A replacement shows the preview for its destroy half.
    let replaced = everything(&emulator, "", "")
        .replace("org_sub_account_uin = 200000000001", "org_sub_account_uin = 200000000002");
    workspace.write_config(&replaced);
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(plan.text().contains("This object is replaced, and the old one is destroyed (before the new one is created, or after it with create_before_destroy). Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}"), "{}", plan.stdout);
    // The plan calls nothing.
    assert!(emulator.calls("CancelOrganizationMemberAuthAccount").is_empty());
    assert!(emulator.calls("LeaveOrganization").is_empty());
    assert!(emulator.calls("DisassociateProfile").is_empty());
}

#[test]
fn detach_on_destroy_false_only_forgets_and_protect_forbids() {
    let emulator = Emulator::start_with(&["--huawei-operation-ms", "1500", "--zstack-job-ms", "500"]);
    let workspace = Workspace::new(&everything(&emulator, "", "  detach_on_destroy = false\n"));
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();

    // Protecting a type makes any destroy plan fail, saying how to lift it. (protect belongs to
    // a provider configuration: here the default one, which manages the RGC account.)
    workspace.write_config(&everything(
        &emulator,
        "  protect = [\"tether_rgc_managed_account\"]\n",
        "  detach_on_destroy = false\n",
    ));
    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    plan.failure();
    let text = plan.text();
    assert!(text.contains("Error: Destroying tether_rgc_managed_account is forbidden"), "{text}");
    assert!(
        text.contains("remove \"tether_rgc_managed_account\" from `protect` in the provider \"tether\" block"),
        "{text}"
    );
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.failure();
    assert!(emulator.calls("UnEnrollAccount").is_empty(), "a protected account must not be un-enrolled");
    assert!(emulator.calls("LeaveOrganization").is_empty(), "a failed plan destroys nothing");

    // A protect entry that names no resource type is caught by validate.
    workspace.write_config(&everything(
        &emulator,
        "  protect = [\"tether_nonsense\"]\n",
        "  detach_on_destroy = false\n",
    ));
    let validate = workspace.terraform(&["validate", "-no-color"]);
    validate.failure();
    assert!(
        validate.text().contains("\"tether_nonsense\" is not a resource or action type of this provider"),
        "{}",
        validate.text()
    );

    // Lift the protection: destroy detaches everything but the binding with detach_on_destroy = false.
    workspace.write_config(&everything(&emulator, "", "  detach_on_destroy = false\n"));
    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    plan.success();
    assert!(
        plan.text().contains(
            "Warning: Destroy only forgets 100000000101/1001/200000000001 with tether_member_auth_binding.alice"
        ),
        "{}",
        plan.stdout
    );
    assert!(plan.text().contains("detach_on_destroy is false, so destroy removes it from the Terraform state without calling Tencent Cloud CancelOrganizationMemberAuthAccount; the binding stays in the cloud."), "{}", plan.stdout);
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(workspace.state_resources().is_empty());
    assert!(emulator.calls("CancelOrganizationMemberAuthAccount").is_empty(), "forgotten, not cancelled");
    let bindings = &emulator.state()["tencent"]["organization"]["bindings"];
    assert_eq!(bindings.as_array().map(Vec::len), Some(1), "the binding stays in the cloud");
    assert_eq!(emulator.calls("LeaveOrganization").len(), 1);
    assert_eq!(emulator.calls("UnEnrollAccount").len(), 1);
    assert_eq!(emulator.calls("DisassociateProfile").len(), 1);
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);
}

#[test]
fn turning_the_guard_off_is_an_update_that_calls_no_cloud_api() {
    let emulator = Emulator::start_with(&["--huawei-operation-ms", "300", "--zstack-job-ms", "200"]);
    let workspace = Workspace::new(&everything(&emulator, "", ""));
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let world = emulator.state();
    let calls = emulator.admin("GET", "calls", None).as_array().map(Vec::len);

    // Every resource, including those whose other arguments all force replacement.
    let unguarded: String = everything(&emulator, "", "")
        .lines()
        .flat_map(|line| {
            let guard = line.starts_with("resource \"tether_").then_some("  detach_on_destroy = false");
            std::iter::once(line).chain(guard)
        })
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(unguarded.matches("detach_on_destroy = false").count(), 5, "{unguarded}");
    workspace.write_config(&unguarded);
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-refresh=false"]);
    apply.success();
    assert!(apply.stdout.contains("Apply complete! Resources: 0 added, 5 changed, 0 destroyed."), "{}", apply.stdout);
    assert_eq!(emulator.state(), world, "the cloud is untouched");
    assert_eq!(emulator.admin("GET", "calls", None).as_array().map(Vec::len), calls, "no cloud API was called");
    for resource in workspace.state_resources() {
        assert_eq!(resource["values"]["detach_on_destroy"], false, "{resource}");
    }

    // Now destroy only forgets.
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false", "-refresh=false"]).success();
    assert!(workspace.state_resources().is_empty());
    assert_eq!(emulator.state(), world, "destroy detached nothing");
}
