//! The official providers' stand-ins (crate `standins/`) through the real Terraform CLI: each of
//! the four resource types creates, refreshes, imports and destroys through the emulator, and the
//! state and private data Terraform records have terraform-plugin-sdk v2's shape — what the move
//! tests hand to tether.

mod support;

use base64::Engine;
use serde_json::{Value, json};
use support::official::{
    HUAWEICLOUD_SOURCE, OFFICIAL_REQUIRED_PROVIDERS, TENCENTCLOUD_SOURCE, huaweicloud_provider,
    huaweicloud_provider_block, tencentcloud_provider,
};
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, Workspace, block_on, huawei_clients,
};

const HANDSHAKE: &str = "h-7c1e0a9b2d4f4e6a";
const ORG: &str = "o-tether0001";
const INSTANCE: &str = "ins-tether00000001";
const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const PLAN: &[&str] = &["plan", "-detailed-exitcode", "-no-color", "-input=false"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-no-color", "-input=false"];
/// SDKv2 private data: `json.Marshal` of the instance's Meta.
const TIMEOUT_KEY: &str = "e2bfb730-ecaa-11e6-8f88-34363bc7c4c0";

fn emulator() -> Emulator {
    Emulator::start_with(&["--huawei-operation-ms", "1500", "--huawei-assignment-ms", "500"])
}

fn values<'a>(resources: &'a [Value], address: &str) -> &'a Value {
    let found = resources.iter().find(|r| r["address"] == address);
    &found.unwrap_or_else(|| panic!("{address} not in state: {resources:?}"))["values"]
}

/// The raw state's instance of `address`: its `private` decoded, its `schema_version`, its
/// provider.
fn raw_instance(workspace: &Workspace, address: &str) -> (Option<Value>, u64, String) {
    let state: Value = serde_json::from_str(&workspace.read_file("terraform.tfstate")).expect("terraform.tfstate");
    let (kind, name) = address.split_once('.').unwrap();
    let resource = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind && r["name"] == name)
        .unwrap_or_else(|| panic!("{address} not in the raw state: {state}"));
    let instance = &resource["instances"][0];
    let private = instance["private"].as_str().map(|p| {
        let bytes = base64::engine::general_purpose::STANDARD.decode(p).expect("private is base64");
        serde_json::from_slice(&bytes).expect("private is JSON")
    });
    (private, instance["schema_version"].as_u64().unwrap(), resource["provider"].as_str().unwrap().to_string())
}

fn count(emulator: &Emulator, action: &str) -> usize {
    emulator.calls(action).len()
}

#[test]
fn each_standin_creates_refreshes_and_destroys_in_the_sdk_shape() {
    let emulator = emulator();
    let config = [
        OFFICIAL_REQUIRED_PROVIDERS.to_string(),
        tencentcloud_provider(&emulator),
        huaweicloud_provider(&emulator, HW_MANAGEMENT),
        huaweicloud_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member")),
        format!(
            r#"
resource "tencentcloud_organization_policy_sub_account_attachment" "alice" {{
  policy_id           = 1001
  member_uin          = 100000000101
  org_sub_account_uin = 200000000001
}}

resource "huaweicloud_rgc_account_enroll" "data" {{
  managed_account_id            = "{data}"
  parent_organizational_unit_id = "ou-tether-workloads"
  blueprint {{
    blueprint_product_id      = "bp-baseline"
    blueprint_product_version = "v1"
  }}
  timeouts {{
    create = "10m"
  }}
}}

resource "huaweicloud_organizations_account_invite_accepter" "join" {{
  provider                      = huaweicloud.member
  invitation_id                 = "{HANDSHAKE}"
  leave_organization_on_destroy = true
}}

resource "huaweicloud_identitycenter_account_assignment" "alice_admin" {{
  instance_id       = "{INSTANCE}"
  permission_set_id = "ps-admin"
  principal_id      = "u-alice"
  principal_type    = "USER"
  target_id         = "{finance}"
  target_type       = "ACCOUNT"
}}
"#,
            data = HW_DATA_PLATFORM.id,
            finance = HW_FINANCE_PROD.id,
        ),
    ]
    .concat();
    let workspace = Workspace::with_official_providers(&config);
    workspace.init();
    workspace.terraform(APPLY).success();

    // Each create made its cloud call.
    let binds = emulator.calls("BindOrganizationMemberAuthAccount");
    assert_eq!(binds.len(), 1, "{binds:?}");
    assert!(binds[0]["params"].to_string().contains("200000000001"), "{}", binds[0]);
    let enrolls = emulator.calls("EnrollAccount");
    assert_eq!(enrolls.len(), 1, "{enrolls:?}");
    assert!(enrolls[0]["params"].to_string().contains("bp-baseline"), "{}", enrolls[0]);
    assert_eq!(count(&emulator, "AcceptHandshake"), 1);
    assert_eq!(count(&emulator, "CreateAccountAssignment"), 1);
    let clients = huawei_clients(&emulator, HW_MANAGEMENT);
    let enrolled = block_on(clients.rgc.show_managed_account(HW_DATA_PLATFORM.id)).unwrap().expect("enrolled");
    assert_eq!(enrolled.parent_organizational_unit_id, "ou-tether-workloads");
    let member = huawei_clients(&emulator, HW_NEW_ACQUISITION);
    assert_eq!(block_on(member.organizations.show_organization()).unwrap().map(|o| o.id).as_deref(), Some(ORG));

    // The states, as `terraform show -json` gives them.
    let resources = workspace.state_resources();
    let attachment = values(&resources, "tencentcloud_organization_policy_sub_account_attachment.alice");
    assert_eq!(
        *attachment,
        json!({
            "id": "1001#100000000101#200000000001",
            "policy_id": 1001,
            "member_uin": 100000000101u64,
            "org_sub_account_uin": 200000000001u64,
            "policy_name": "admin-access",
            "identity_id": 1,
            "identity_role_name": "OrganizationAccessControlRole",
            "identity_role_alias_name": "admin",
            "org_sub_account_name": "ops-alice",
            "create_time": attachment["create_time"],
            "update_time": attachment["update_time"],
        })
    );
    assert!(attachment["create_time"].as_str().is_some_and(|t| !t.is_empty()), "{attachment}");

    let enroll = values(&resources, "huaweicloud_rgc_account_enroll.data");
    assert_eq!(enroll["id"], HW_DATA_PLATFORM.id);
    assert_eq!(enroll["region"], "cn-north-4");
    assert_eq!(enroll["stage"], "ENROLLED");
    assert_eq!(enroll["account_name"], "data-platform");
    assert_eq!(enroll["landing_zone_version"], "v1.0.0");
    assert_eq!(enroll["parent_organizational_unit_name"], Value::Null);
    assert_eq!(enroll["enable_force_new"], Value::Null);
    // The official read sets created_at twice (the second time from updated_at).
    assert!(enroll["created_at"].as_str().is_some_and(|t| !t.is_empty()), "{enroll}");
    assert_eq!(enroll["updated_at"], Value::Null);
    // MaxItems 1: a list block, elements written back with zero values.
    assert_eq!(
        enroll["blueprint"],
        json!([{
            "blueprint_product_id": "bp-baseline",
            "blueprint_product_version": "v1",
            "variables": "",
            "is_blueprint_has_multi_account_resource": false,
        }])
    );
    assert_eq!(enroll["timeouts"], json!({ "create": "10m", "delete": null }));

    let join = values(&resources, "huaweicloud_organizations_account_invite_accepter.join");
    assert_eq!(join["id"], HANDSHAKE);
    assert_eq!(join["invitation_id"], HANDSHAKE);
    assert_eq!(join["leave_organization_on_destroy"], true);
    assert_eq!(join["status"], "accepted");
    assert_eq!(join["organization_id"], ORG);
    assert_eq!(join["account_id"], HW_NEW_ACQUISITION.id);
    assert_eq!(join["master_account_id"], HW_MANAGEMENT.id);
    assert_eq!(join["master_account_name"], HW_MANAGEMENT.name);
    assert!(join["urn"].as_str().unwrap().contains(HANDSHAKE), "{join}");

    let assignment = values(&resources, "huaweicloud_identitycenter_account_assignment.alice_admin");
    assert_eq!(assignment["id"], format!("ps-admin/{}/u-alice", HW_FINANCE_PROD.id));
    assert_eq!(assignment["target_id"], HW_FINANCE_PROD.id);
    assert_eq!(assignment["principal_type"], "USER");
    assert_eq!(assignment["timeouts"], Value::Null);

    // Private data and schema versions, as terraform.tfstate records them.
    let (private, version, provider) =
        raw_instance(&workspace, "tencentcloud_organization_policy_sub_account_attachment.alice");
    assert_eq!((private, version), (Some(Value::Null), 0));
    assert_eq!(provider, format!("provider[\"{TENCENTCLOUD_SOURCE}\"]"));
    let (private, version, _) = raw_instance(&workspace, "huaweicloud_rgc_account_enroll.data");
    assert_eq!(version, 0);
    assert_eq!(
        private,
        Some(json!({ TIMEOUT_KEY: { "create": 600_000_000_000u64, "delete": 21_600_000_000_000u64 } }))
    );
    let (private, _, provider) = raw_instance(&workspace, "huaweicloud_organizations_account_invite_accepter.join");
    assert_eq!(private, Some(Value::Null));
    assert_eq!(provider, format!("provider[\"{HUAWEICLOUD_SOURCE}\"].member"));
    let (private, _, _) = raw_instance(&workspace, "huaweicloud_identitycenter_account_assignment.alice_admin");
    assert_eq!(private, Some(json!({ TIMEOUT_KEY: { "create": 300_000_000_000u64, "delete": 300_000_000_000u64 } })));

    // A refresh reads everything back unchanged.
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(count(&emulator, "DescribeOrganizationMemberAuthAccounts") >= 2);
    assert!(count(&emulator, "ShowManagedAccount") >= 2);
    assert!(count(&emulator, "ShowHandshake") >= 2);
    assert!(count(&emulator, "ListAccountAssignments") >= 2);

    // A timeouts-only change plans nothing (the SDK diffs no timeouts).
    workspace.write_config(&config.replace("create = \"10m\"", "create = \"20m\""));
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Destroy: each detach call, LeaveOrganization because leave_organization_on_destroy is set.
    workspace.terraform(DESTROY).success();
    for action in
        ["CancelOrganizationMemberAuthAccount", "UnEnrollAccount", "LeaveOrganization", "DeleteAccountAssignment"]
    {
        let calls = emulator.calls(action);
        assert_eq!(calls.len(), 1, "{action}: {calls:?}");
        assert_eq!(calls[0]["status"], "ok", "{action}: {calls:?}");
    }
    assert!(block_on(clients.rgc.show_managed_account(HW_DATA_PLATFORM.id)).unwrap().is_none());
    assert_eq!(block_on(member.organizations.show_organization()).unwrap(), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn the_accepter_keeps_the_membership_and_an_import_carries_the_sdks_private_data() {
    let emulator = emulator();
    // An assignment made outside Terraform, to import.
    let clients = huawei_clients(&emulator, HW_MANAGEMENT);
    let target = tether::clouds::huawei::AssignmentTarget {
        permission_set_id: "ps-readonly".into(),
        principal_id: "g-auditors".into(),
        principal_type: "GROUP".into(),
        target_id: HW_FINANCE_PROD.id.into(),
    };
    let started = block_on(clients.identitycenter.create_account_assignment(INSTANCE, &target)).unwrap();
    let poll = tether::clouds::PollPolicy::default();
    let timeout = std::time::Duration::from_secs(30);
    block_on(clients.identitycenter.wait_creation(INSTANCE, &started.request_id, timeout, &poll, None)).unwrap();

    let config = [
        OFFICIAL_REQUIRED_PROVIDERS.to_string(),
        huaweicloud_provider(&emulator, HW_MANAGEMENT),
        huaweicloud_provider_block(&emulator, HW_NEW_ACQUISITION, Some("member")),
        format!(
            r#"
resource "huaweicloud_organizations_account_invite_accepter" "join" {{
  provider      = huaweicloud.member
  invitation_id = "{HANDSHAKE}"
}}

resource "huaweicloud_identitycenter_account_assignment" "auditors" {{
  instance_id       = "{INSTANCE}"
  permission_set_id = "ps-readonly"
  principal_id      = "g-auditors"
  principal_type    = "GROUP"
  target_id         = "{finance}"
  target_type       = "ACCOUNT"
}}
"#,
            finance = HW_FINANCE_PROD.id,
        ),
    ]
    .concat();
    let workspace = Workspace::with_official_providers(&config);
    workspace.init();
    let address = "huaweicloud_identitycenter_account_assignment.auditors";
    let import_id = format!("{INSTANCE}/ps-readonly/{}/g-auditors", HW_FINANCE_PROD.id);
    workspace.terraform(&["import", "-no-color", "-input=false", address, &import_id]).success();

    let resources = workspace.state_resources();
    let imported = values(&resources, address);
    assert_eq!(imported["id"], format!("ps-readonly/{}/g-auditors", HW_FINANCE_PROD.id));
    assert_eq!(imported["instance_id"], INSTANCE);
    assert_eq!(imported["principal_type"], "GROUP");
    assert_eq!(imported["target_type"], Value::Null, "neither the import nor the read sets it");
    assert_eq!(imported["timeouts"], Value::Null);
    // An imported object keeps ResourceData's default meta: the declared timeouts and
    // schema_version "0" (the import marker is gone after the read).
    let (private, _, _) = raw_instance(&workspace, address);
    let declared = json!({ "create": 300_000_000_000u64, "delete": 300_000_000_000u64 });
    assert_eq!(private, Some(json!({ TIMEOUT_KEY: declared, "schema_version": "0" })));

    // So the configured target_type replaces it, as with the official provider.
    let plan = workspace.terraform(PLAN);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    let text = plan.text();
    assert!(text.contains(&format!("{address} must be replaced")), "{text}");
    assert!(text.contains("+ target_type = \"ACCOUNT\" # forces replacement"), "{text}");

    workspace.terraform(APPLY).success();
    assert_eq!(count(&emulator, "AcceptHandshake"), 1);
    assert_eq!(count(&emulator, "DeleteAccountAssignment"), 1);
    assert_eq!(count(&emulator, "CreateAccountAssignment"), 2);
    let (private, _, _) = raw_instance(&workspace, address);
    assert_eq!(private, Some(json!({ TIMEOUT_KEY: declared })), "a created object has no schema_version meta");
    // No Default: unset stays null, and destroy leaves the organization alone.
    let resources = workspace.state_resources();
    let join = values(&resources, "huaweicloud_organizations_account_invite_accepter.join");
    assert_eq!(join["leave_organization_on_destroy"], Value::Null);

    workspace.terraform(DESTROY).success();
    assert_eq!(count(&emulator, "LeaveOrganization"), 0);
    assert_eq!(count(&emulator, "DeleteAccountAssignment"), 2);
    let member = huawei_clients(&emulator, HW_NEW_ACQUISITION);
    assert_eq!(block_on(member.organizations.show_organization()).unwrap().map(|o| o.id).as_deref(), Some(ORG));
    assert!(workspace.state_resources().is_empty());
}
