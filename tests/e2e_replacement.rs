//! Replacements Terraform plans without asking the provider about the destroy half — `-replace`,
//! tainted objects, `create_before_destroy` — and plans with many destroys: every detach is in
//! the plan text, `protect` refuses at plan time, and no replacement leaves the cloud with less
//! than the configuration lists.

mod support;

use std::collections::BTreeSet;

use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, REQUIRED_PROVIDERS, Workspace, block_on,
    huawei_clients, huawei_provider_block, tencent_provider,
};

const MEMBER: u64 = 100000000101;
const INSTANCE: &str = "ins-tether00000001";

fn binding(name: &str, sub: u64, lifecycle: &str) -> String {
    format!(
        "resource \"tether_member_auth_binding\" \"{name}\" {{\n  member_uin          = {MEMBER}\n  policy_id           = 1001\n  org_sub_account_uin = {sub}\n{lifecycle}}}\n"
    )
}

fn protected(provider: &str, types: &str) -> String {
    provider.replacen("provider \"tether\" {\n", &format!("provider \"tether\" {{\n  protect = [{types}]\n"), 1)
}

fn cloud_bindings(emulator: &Emulator) -> BTreeSet<u64> {
    emulator.state()["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["sub_account_uin"].as_u64().unwrap())
        .collect()
}

fn ok_calls(emulator: &Emulator, action: &str) -> usize {
    emulator.calls(action).iter().filter(|c| c["status"] == "ok").count()
}

/// The plan text with runs of spaces folded, since Terraform aligns the `=` of each block.
fn squash(text: &str) -> String {
    text.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];

#[test]
fn replace_and_taint_show_the_detach_in_the_plan_and_protect_refuses_them_at_plan_time() {
    let emulator = Emulator::start();
    let config = [tencent_provider(&emulator), binding("alice", 200000000001, "")].concat();
    let workspace = Workspace::new(&config);
    workspace.init();
    workspace.terraform(APPLY).success();
    let call = "Tencent Cloud CancelOrganizationMemberAuthAccount {MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}";
    assert_eq!(workspace.state_resources()[0]["values"]["detach_call"], call);

    // -replace: Terraform asks the provider to plan only a create. The plan text still shows
    // the old object's detach call.
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false", "-replace=tether_member_auth_binding.alice"]);
    plan.success();
    assert!(plan.stdout.contains("will be replaced, as requested"), "{}", plan.stdout);
    assert!(
        squash(&plan.stdout).contains(&format!("~ detach_call = \"{call}\" -> (known after apply)")),
        "{}",
        plan.stdout
    );

    // Tainted: the same.
    workspace.terraform(&["taint", "-no-color", "tether_member_auth_binding.alice"]).success();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(plan.stdout.contains("is tainted, so must be replaced"), "{}", plan.stdout);
    assert!(
        squash(&plan.stdout).contains(&format!("~ detach_call = \"{call}\" -> (known after apply)")),
        "{}",
        plan.stdout
    );

    // protect refuses both at plan time, before anything is called.
    workspace.write_config(
        &[
            protected(&tencent_provider(&emulator), "\"tether_member_auth_binding\""),
            binding("alice", 200000000001, ""),
        ]
        .concat(),
    );
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("Error: Destroying tether_member_auth_binding is forbidden"), "{}", plan.text());
    assert!(
        plan.text().contains(
            "100000000101/1001/200000000001 already exists in the cloud. If it is this resource's tainted object"
        ),
        "{}",
        plan.text()
    );
    workspace.terraform(&["untaint", "-no-color", "tether_member_auth_binding.alice"]).success();
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false", "-replace=tether_member_auth_binding.alice"]);
    plan.failure();
    assert!(plan.text().contains("Error: Destroying tether_member_auth_binding is forbidden"), "{}", plan.text());
    assert!(plan.text().contains("This plan replaces 100000000101/1001/200000000001 because Terraform was asked to (-replace, or replace_triggered_by), which destroys it."), "{}", plan.text());
    let apply = workspace.terraform(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-replace=tether_member_auth_binding.alice",
    ]);
    apply.failure();
    assert_eq!(ok_calls(&emulator, "CancelOrganizationMemberAuthAccount"), 0, "a protected binding is never cancelled");
    // An unprotected plan with nothing to replace still passes.
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Without protect, -replace cancels and binds again, and state and cloud agree.
    workspace.write_config(&config);
    workspace.terraform(&[APPLY, &["-replace=tether_member_auth_binding.alice"][..]].concat()).success();
    assert_eq!(ok_calls(&emulator, "CancelOrganizationMemberAuthAccount"), 1);
    assert_eq!(cloud_bindings(&emulator), BTreeSet::from([200000000001]));
    assert_eq!(workspace.state_resources().len(), 1);
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
}

/// With create_before_destroy, a replacement that keeps the object's keys creates (adopts) the
/// same cloud object first, then destroys the deposed one: that destroy must not detach what the
/// new object now holds.
#[test]
fn create_before_destroy_replacements_of_the_same_object_keep_it() {
    let emulator = Emulator::start();
    let cbd = "  lifecycle {\n    create_before_destroy = true\n  }\n";
    let first = [("ps-admin", HW_FINANCE_PROD.id), ("ps-readonly", HW_DATA_PLATFORM.id)];
    let association = |store: &str| {
        let blocks: String = first
            .iter()
            .map(|(ps, account)| {
                format!(
                    "  assignment {{\n    permission_set_id = \"{ps}\"\n    account_id        = \"{account}\"\n  }}\n"
                )
            })
            .collect();
        format!(
            "resource \"tether_identity_center_profile_association\" \"admins\" {{\n  instance_id    = \"{INSTANCE}\"\n{store}  principal_type = \"GROUP\"\n  principal_id   = \"g-admins\"\n{blocks}{cbd}}}\n"
        )
    };
    let config = |store: &str| {
        [REQUIRED_PROVIDERS.to_string(), huawei_provider_block(&emulator, HW_MANAGEMENT, None), association(store)]
            .concat()
    };
    let workspace = Workspace::new(&config(""));
    workspace.init();
    workspace.terraform(APPLY).success();
    let cloud = || -> BTreeSet<(String, String)> {
        block_on(
            huawei_clients(&emulator, HW_MANAGEMENT)
                .identitycenter
                .list_account_assignments_for_principal(INSTANCE, "g-admins", "GROUP"),
        )
        .unwrap()
        .into_iter()
        .map(|a| (a.permission_set_id, a.account_id))
        .collect()
    };
    let wanted: BTreeSet<(String, String)> = first.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    assert_eq!(cloud(), wanted);

    // The reported case: identity_store_id changing used to force a replacement of the same
    // principal. An instance has one store, so the plan is refused instead.
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    workspace.write_config(&config("  identity_store_id = \"d-other0001\"\n"));
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("Error: identity_store_id cannot change"), "{}", plan.text());
    assert!(plan.text().contains("on main.tf line"), "the error points at the argument: {}", plan.text());

    // -replace with create_before_destroy: the new object takes over the principal's
    // assignments, and the deposed object's destroy calls nothing.
    workspace.write_config(&config(""));
    let apply =
        workspace.terraform(&[APPLY, &["-replace=tether_identity_center_profile_association.admins"][..]].concat());
    apply.success();
    assert!(
        apply.text().contains("Kept ins-tether00000001/GROUP/g-admins: the replacement holds it"),
        "{}",
        apply.text()
    );
    assert_eq!(ok_calls(&emulator, "DisassociateProfile"), 0, "{}", apply.text());
    assert_eq!(cloud(), wanted, "no assignment was lost");
    let state = workspace.state_resources();
    assert_eq!(state.len(), 1);
    assert_eq!(state[0]["values"]["assignment"].as_array().map(Vec::len), Some(2));
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // A binding, or a ZStack link, cannot be made while it exists, and Terraform 1.15 does not
    // tell the provider that a create is the replacement of the same object: the create fails
    // before anything is sent, the old object stays in the state and the cloud, and the error
    // says why.
    let tencent = [tencent_provider(&emulator), binding("alice", 200000000001, cbd)].concat();
    let workspace = Workspace::new(&tencent);
    workspace.init();
    workspace.terraform(APPLY).success();
    let apply = workspace.terraform(&[APPLY, &["-replace=tether_member_auth_binding.alice"][..]].concat());
    apply.failure();
    assert!(
        apply.text().contains("If this create replaces that same object with create_before_destroy"),
        "{}",
        apply.text()
    );
    assert_eq!(cloud_bindings(&emulator), BTreeSet::from([200000000001]));
    assert_eq!(ok_calls(&emulator, "CancelOrganizationMemberAuthAccount"), 0);
    assert_eq!(workspace.state_resources().len(), 1);
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "state and cloud still agree: {}", plan.combined());

    let (project, organization) = ("6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01", "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02");
    let zstack = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\nresource \"tether_iam2_project_organization\" \"payments\" {{\n  project_uuid      = \"{project}\"\n  organization_uuid = \"{organization}\"\n{cbd}}}\n",
        emulator.endpoint()
    );
    let workspace = Workspace::new(&zstack);
    workspace.init();
    workspace.terraform(APPLY).success();
    let apply = workspace.terraform(&[APPLY, &["-replace=tether_iam2_project_organization.payments"][..]].concat());
    apply.failure();
    assert!(
        apply.text().contains("If this create replaces that same object with create_before_destroy"),
        "{}",
        apply.text()
    );
    assert!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").is_empty(), "{}", apply.text());
    assert_eq!(emulator.calls("AttachIAM2ProjectToIAM2Organization").len(), 1, "only the first apply attached");
    assert_eq!(workspace.state_resources().len(), 1);
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "state and cloud still agree: {}", plan.combined());
}

/// Terraform folds warnings with equal summaries ("and 99 more similar warnings elsewhere"): each
/// object's preview names it in the summary, so a reviewer sees every detach.
#[test]
fn a_destroy_of_many_bindings_shows_every_detach() {
    let emulator = Emulator::start();
    let subs: Vec<u64> = (200000000001..=200000000012).collect();
    let bindings: String = subs.iter().map(|sub| binding(&format!("b{sub}"), *sub, "")).collect();
    let workspace = Workspace::new(&[tencent_provider(&emulator), bindings].concat());
    workspace.init();
    workspace.terraform(APPLY).success();
    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    plan.success();
    let text = plan.text();
    assert!(!text.contains("more similar warnings"), "{text}");
    for sub in &subs {
        let summary = format!(
            "Warning: Destroy calls Tencent Cloud CancelOrganizationMemberAuthAccount for {MEMBER}/1001/{sub} with tether_member_auth_binding.b{sub},"
        );
        assert_eq!(text.matches(&summary).count(), 1, "{summary}\n\n{text}");
        let detail = format!("{{MemberUin: {MEMBER}, PolicyId: 1001, OrgSubAccountUin: {sub}}}");
        assert!(text.contains(&detail), "{detail}");
    }
}

/// A create that finds its object already there says, in the error itself, how to import it —
/// for every such binding, not just the first.
#[test]
fn creating_what_already_exists_names_the_import_in_the_error() {
    let emulator = Emulator::start();
    let config =
        [tencent_provider(&emulator), binding("alice", 200000000001, ""), binding("bob", 200000000002, "")].concat();
    let first = Workspace::new(&config);
    first.init();
    first.terraform(APPLY).success();
    // A second workspace (another team's, or a lost state) creates the same two bindings.
    let second = Workspace::new(&config);
    second.init();
    let apply = second.terraform(APPLY);
    apply.failure();
    let text = apply.text();
    for (name, sub) in [("alice", 200000000001u64), ("bob", 200000000002)] {
        assert!(
            text.contains(&format!("Error: Binding already exists with tether_member_auth_binding.{name}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("terraform import tether_member_auth_binding.<name> {MEMBER}/1001/{sub}")),
            "{text}"
        );
        assert!(text.contains(&format!("id = \"{MEMBER}/1001/{sub}\"")), "{text}");
    }
    assert!(!text.contains("more similar"), "{text}");
    assert!(second.state_resources().is_empty());
    assert_eq!(ok_calls(&emulator, "CancelOrganizationMemberAuthAccount"), 0);
}
