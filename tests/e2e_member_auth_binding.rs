//! `tether_member_auth_binding` end to end: the real Terraform CLI, the provider installed from a
//! filesystem mirror, and the emulator's Tencent Cloud Organization API.

mod support;

use serde_json::json;
use support::{Emulator, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace, tencent_client, tencent_provider};

const MEMBER: u64 = 100000000101;
const OTHER_MEMBER: u64 = 100000000102;

fn binding(name: &str, member: u64, policy: u64, sub: u64) -> String {
    format!(
        "resource \"tether_member_auth_binding\" \"{name}\" {{\n  member_uin          = {member}\n  policy_id           = {policy}\n  org_sub_account_uin = {sub}\n}}\n"
    )
}

/// Two bindings under the same member and policy (the official provider's Items[0] bug
/// would mix them up) and one under another member.
fn three_bindings(emulator: &Emulator) -> String {
    [
        tencent_provider(emulator),
        binding("alice", MEMBER, 1001, 200000000001),
        binding("bob", MEMBER, 1001, 200000000002),
        binding("carol", OTHER_MEMBER, 1003, 200000000003),
    ]
    .concat()
}

fn cancel_out_of_band(emulator: &Emulator, member: u64, policy: u64, sub: u64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(tencent_client(emulator).cancel_member_auth_account(member, policy, sub))
        .expect("out-of-band cancel");
}

fn bindings_in_emulator(emulator: &Emulator) -> Vec<(u64, u64, u64)> {
    let state = emulator.state();
    let mut found: Vec<(u64, u64, u64)> = state["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap_or_else(|| panic!("no tencent.bindings in emulator state: {state}"))
        .iter()
        .map(|b| {
            (
                b["member_uin"].as_u64().unwrap(),
                b["policy_id"].as_u64().unwrap(),
                b["sub_account_uin"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn resource<'a>(resources: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    resources.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name} not in state: {resources:?}"))
}

#[test]
fn apply_refresh_drift_import_and_destroy() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&three_bindings(&emulator));
    workspace.init();

    // Apply: Bind calls with exactly our parameters, each sub-account bound once. Creates under
    // the same member and policy may share a call (batching is unit-tested in the client).
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.stdout.contains("Apply complete! Resources: 3 added, 0 changed, 0 destroyed."), "{}", apply.stdout);
    let mut bound: Vec<(u64, u64, u64)> = Vec::new();
    for call in emulator.calls("BindOrganizationMemberAuthAccount") {
        let params = &call["params"];
        assert_eq!(params.as_object().unwrap().len(), 3, "{params}");
        for uin in params["OrgSubAccountUins"].as_array().unwrap() {
            bound.push((
                params["MemberUin"].as_u64().unwrap(),
                params["PolicyId"].as_u64().unwrap(),
                uin.as_u64().unwrap(),
            ));
        }
    }
    bound.sort();
    assert_eq!(
        bound,
        vec![(MEMBER, 1001, 200000000001), (MEMBER, 1001, 200000000002), (OTHER_MEMBER, 1003, 200000000003)]
    );
    assert_eq!(
        bindings_in_emulator(&emulator),
        vec![(MEMBER, 1001, 200000000001), (MEMBER, 1001, 200000000002), (OTHER_MEMBER, 1003, 200000000003)]
    );
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 3);
    let bob = &resource(&resources, "bob")["values"];
    assert_eq!(bob["id"], "100000000101/1001/200000000002");
    assert_eq!(bob["org_sub_account_uin"], 200000000002u64);
    assert_eq!(bob["org_sub_account_name"], "ops-bob");
    assert_eq!(bob["policy_name"], "admin-access");
    assert_eq!(bob["identity_role_name"], "OrganizationAccessControlRole");
    assert_eq!(bob["identity_role_alias_name"], "admin");
    assert_eq!(bob["identity_id"], 1);
    assert!(!bob["create_time"].as_str().unwrap().is_empty());
    let carol = &resource(&resources, "carol")["values"];
    assert_eq!(carol["policy_name"], "billing");
    assert_eq!(carol["org_sub_account_name"], "ops-carol");

    // A second plan has nothing to do: refresh matched every binding on all three keys.
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "expected no changes:\n{}", plan.combined());
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // A binding cancelled behind Terraform's back is drift: refresh drops it, the plan re-adds it.
    cancel_out_of_band(&emulator, MEMBER, 1001, 200000000001);
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "expected changes:\n{}", plan.combined());
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    assert!(plan.stdout.contains("tether_member_auth_binding.alice will be created"), "{}", plan.stdout);
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(bindings_in_emulator(&emulator).len(), 3);

    // Import, in Tencent's own ID form, of a binding that Terraform forgot.
    workspace.terraform(&["state", "rm", "-no-color", "tether_member_auth_binding.bob"]).success();
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_member_auth_binding.bob",
        "1001#100000000101#200000000002",
    ]);
    import.success();
    assert!(import.stdout.contains("Import successful!"), "{}", import.stdout);
    let resources = workspace.state_resources();
    let bob = &resource(&resources, "bob")["values"];
    assert_eq!(bob["id"], "100000000101/1001/200000000002");
    assert_eq!(bob["org_sub_account_name"], "ops-bob");
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "import should leave nothing to change:\n{}", plan.combined());

    // Destroy calls the detach API once per binding, with the right parameters.
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    assert!(destroy.stdout.contains("Destroy complete! Resources: 3 destroyed."), "{}", destroy.stdout);
    assert!(bindings_in_emulator(&emulator).is_empty());
    let mut cancels: Vec<serde_json::Value> = emulator
        .calls("CancelOrganizationMemberAuthAccount")
        .iter()
        .filter(|c| c["status"] == "ok")
        .map(|c| c["params"].clone())
        .collect();
    cancels.sort_by_key(|p| p.to_string());
    assert_eq!(
        cancels,
        vec![
            // The first is our out-of-band cancel; then one per binding.
            json!({"MemberUin": MEMBER, "OrgSubAccountUin": 200000000001u64, "PolicyId": 1001}),
            json!({"MemberUin": MEMBER, "OrgSubAccountUin": 200000000001u64, "PolicyId": 1001}),
            json!({"MemberUin": MEMBER, "OrgSubAccountUin": 200000000002u64, "PolicyId": 1001}),
            json!({"MemberUin": OTHER_MEMBER, "OrgSubAccountUin": 200000000003u64, "PolicyId": 1003}),
        ]
    );
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn destroying_an_already_cancelled_binding_succeeds() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("alice", MEMBER, 1002, 200000000004)].concat());
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    cancel_out_of_band(&emulator, MEMBER, 1002, 200000000004);

    // Without refresh, Terraform still believes in the binding and asks us to cancel it.
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-refresh=false", "-no-color", "-input=false"]);
    destroy.success();
    let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
    assert_eq!(cancels.len(), 2, "{cancels:?}");
    assert_eq!(cancels[1]["error_code"], "FailedOperation.SubAccountNotExist");
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn bind_of_an_existing_binding_fails_and_suggests_import() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("alice", MEMBER, 1001, 200000000005)].concat());
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    // A second configuration with the same binding under another name.
    workspace.write_config(
        &[
            tencent_provider(&emulator),
            binding("alice", MEMBER, 1001, 200000000005),
            binding("twin", MEMBER, 1001, 200000000005),
        ]
        .concat(),
    );
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.combined();
    assert!(output.contains("Binding already exists"), "{output}");
    assert!(output.contains("FailedOperation.SubAccountIdentityExist"), "{output}");
    assert!(output.contains("RequestId"), "{output}");
    assert!(output.contains("terraform import"), "{output}");
    // Nothing half-written: the state still has exactly the one binding.
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0]["name"], "alice");
}

#[test]
fn validate_reports_bad_arguments_with_their_attribute() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&[tencent_provider(&emulator), binding("bad", 0, 1001, 200000000001)].concat());
    workspace.init();
    let validate = workspace.terraform(&["validate", "-no-color"]);
    validate.failure();
    let output = validate.combined();
    assert!(output.contains("Invalid member_uin"), "{output}");
    assert!(output.contains("member_uin must be a positive whole number, such as 100000000101; got 0."), "{output}");
    assert!(output.contains("on main.tf line"), "diagnostic should point at the attribute: {output}");
    assert!(output.contains("member_uin          = 0"), "diagnostic should quote the attribute: {output}");
    assert!(emulator.calls("BindOrganizationMemberAuthAccount").is_empty());
}

#[test]
fn import_with_a_bad_id_shows_the_expected_form() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&[tencent_provider(&emulator), binding("x", MEMBER, 1001, 200000000001)].concat());
    workspace.init();
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_member_auth_binding.x",
        "100000000101-1001",
    ]);
    import.failure();
    let output = import.combined();
    assert!(output.contains("Invalid import ID"), "{output}");
    assert!(output.contains("<member_uin>/<policy_id>/<org_sub_account_uin>"), "{output}");
    assert!(output.contains("<policy_id>#<member_uin>#<org_sub_account_uin>"), "{output}");
    // A well-formed ID of a binding that does not exist is refused by Terraform after our read.
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_member_auth_binding.x",
        "100000000101/1001/200000000001",
    ]);
    import.failure();
    assert!(import.combined().contains("Cannot import non-existent remote object"), "{}", import.combined());
}

#[test]
fn missing_credentials_name_the_attribute_and_environment_variable() {
    let emulator = Emulator::start();
    let config = format!(
        "terraform {{\n  required_providers {{\n    tether = {{ source = \"tether/tether\" }}\n  }}\n}}\nprovider \"tether\" {{\n  tencentcloud {{\n    secret_id = \"{TENCENT_SECRET_ID}\"\n    endpoint  = \"{}\"\n  }}\n}}\n{}",
        emulator.endpoint(),
        binding("x", MEMBER, 1001, 200000000001)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    let output = plan.combined();
    assert!(output.contains("Missing tencentcloud.secret_key"), "{output}");
    assert!(output.contains("TENCENTCLOUD_SECRET_KEY"), "{output}");
    assert!(!output.contains(TENCENT_SECRET_KEY), "secret leaked: {output}");
    assert!(emulator.calls("BindOrganizationMemberAuthAccount").is_empty());
}

#[test]
fn wrong_secret_key_fails_with_the_auth_error_and_no_secret_in_output() {
    let emulator = Emulator::start();
    let config = tencent_provider(&emulator).replace(TENCENT_SECRET_KEY, "definitely-not-the-key");
    let workspace = Workspace::new(&[config, binding("x", MEMBER, 1001, 200000000001)].concat());
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.combined();
    assert!(output.contains("AuthFailure.SignatureFailure"), "{output}");
    // Says what to fix, not only that the signature failed.
    let text = apply.text();
    assert!(text.contains("check secret_id/secret_key (or TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY)"), "{text}");
    assert!(text.contains("and this machine's clock"), "{text}");
    assert!(output.contains("RequestId"), "{output}");
    assert!(!output.contains("definitely-not-the-key"), "secret leaked: {output}");
    assert!(workspace.state_resources().is_empty());
}
