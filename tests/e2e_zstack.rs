//! `tether_iam2_project_organization` end to end: attach as a ZStack async job, drift after an
//! out-of-band detach or move, import, detach on destroy, session expiry survived with one
//! re-login, a failing job's ZStack error, and both ways to authenticate.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Emulator, REQUIRED_PROVIDERS, Workspace, block_on};
use tether::clouds::waiter::PollPolicy;
use tether::clouds::zstack::{ZStackAuth, ZStackClient, ZStackConfig};
use tether::clouds::{RetryPolicy, Secret};

const PAYMENTS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
const ANALYTICS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b02";
const LEGACY_ERP: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04";
const FINANCE: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";
const ENGINEERING: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03";
const ACCESS_KEY_ID: &str = "TETHERZSTACKACCESSKEY1";
const ACCESS_KEY_SECRET: &str = "tether-emulator-zstack-access-key-secret";

fn emulator() -> Emulator {
    Emulator::start_with(&["--zstack-job-ms", "1200"])
}

fn account_provider(emulator: &Emulator) -> String {
    format!(
        "provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n",
        emulator.endpoint()
    )
}

fn access_key_provider(emulator: &Emulator) -> String {
    format!(
        "provider \"tether\" {{\n  zstack {{\n    endpoint          = \"{}\"\n    access_key_id     = \"{ACCESS_KEY_ID}\"\n    access_key_secret = \"{ACCESS_KEY_SECRET}\"\n  }}\n}}\n",
        emulator.endpoint()
    )
}

fn link(name: &str, project: &str, organization: &str) -> String {
    format!(
        "resource \"tether_iam2_project_organization\" \"{name}\" {{\n  project_uuid      = \"{project}\"\n  organization_uuid = \"{organization}\"\n}}\n"
    )
}

fn out_of_band(emulator: &Emulator) -> ZStackClient {
    ZStackClient::new(ZStackConfig {
        endpoint: emulator.endpoint().parse().unwrap(),
        auth: ZStackAuth::AccessKey {
            access_key_id: ACCESS_KEY_ID.into(),
            access_key_secret: Secret::new(ACCESS_KEY_SECRET),
        },
        retry: RetryPolicy::default(),
    })
    .unwrap()
}

const FAST: PollPolicy = PollPolicy {
    initial_delay: Duration::from_millis(200),
    interval: Duration::from_millis(200),
    max_interval: Duration::from_secs(1),
    multiplier: 1.0,
};

/// Moves `project` from organization `from` to `to` behind Terraform's back.
fn move_out_of_band(zstack: &ZStackClient, project: &str, from: &str, to: &str) {
    block_on(async {
        let job = zstack.detach_project_from_organization(project, from).await.unwrap();
        zstack.wait_job(&job, Duration::from_secs(30), &FAST, None).await.unwrap();
        let job = zstack.attach_project_to_organization(project, to).await.unwrap();
        zstack.wait_job(&job, Duration::from_secs(30), &FAST, None).await.unwrap();
    });
}

fn organization_of(emulator: &Emulator, project: &str) -> Option<String> {
    block_on(out_of_band(emulator).query_organization_project_refs(project))
        .unwrap()
        .into_iter()
        .map(|r| r.organization_uuid)
        .next()
}

#[test]
fn attach_drift_import_and_detach_with_an_account_login() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, FINANCE)].concat(),
    );
    workspace.init();

    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    let attaches = emulator.calls("AttachIAM2ProjectToIAM2Organization");
    assert_eq!(attaches.len(), 1);
    assert_eq!(organization_of(&emulator, PAYMENTS).as_deref(), Some(FINANCE));
    let values = &workspace.state_resources()[0]["values"];
    assert_eq!(values["id"], PAYMENTS);
    assert_eq!(values["project_name"], "payments");
    assert_eq!(values["organization_name"], "Finance Dept");
    // One login for the whole run, and the session is closed when Terraform is done.
    assert_eq!(emulator.calls("LogInByAccount").len(), 1, "one login per provider process");
    assert!(!emulator.calls("LogOut").is_empty(), "the session is logged out on shutdown");

    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Moved to another organization behind Terraform's back: drift on organization_uuid.
    let zstack = out_of_band(&emulator);
    move_out_of_band(&zstack, PAYMENTS, FINANCE, ENGINEERING);
    // Moving it back would detach it from Engineering, which Terraform never attached it to:
    // the plan says so, and the apply detaches nothing and fails on the attach.
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.stdout.contains(&format!(
            "~ organization_uuid          = \"{ENGINEERING}\" -> \"{FINANCE}\" # forces replacement"
        )),
        "{}",
        plan.stdout
    );
    assert!(
        plan.text()
            .contains(&format!("Warning: Project {PAYMENTS} was moved to another organization outside Terraform")),
        "{}",
        plan.text()
    );
    assert!(
        plan.text().contains(&format!(
            "Project {PAYMENTS} is now in organization {ENGINEERING}, not in {FINANCE}, where Terraform attached it."
        )),
        "{}",
        plan.text()
    );
    assert!(plan.text().contains(&format!("Warning: Destroy calls nothing for {PAYMENTS}")), "{}", plan.text());
    emulator.admin("DELETE", "calls", None);
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).failure();
    assert!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").is_empty(), "nothing is detached from Engineering");
    assert_eq!(organization_of(&emulator, PAYMENTS).as_deref(), Some(ENGINEERING));

    // Detached behind Terraform's back: the link is gone and would be re-created.
    block_on(async {
        let job = zstack.detach_project_from_organization(PAYMENTS, ENGINEERING).await.unwrap();
        zstack.wait_job(&job, Duration::from_secs(30), &FAST, None).await.unwrap();
    });
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(organization_of(&emulator, PAYMENTS).as_deref(), Some(FINANCE));

    // Import of a link made before Terraform, by project UUID.
    workspace.write_config(
        &[
            REQUIRED_PROVIDERS,
            &account_provider(&emulator),
            &link("payments", PAYMENTS, FINANCE),
            &link("erp", LEGACY_ERP, FINANCE),
        ]
        .concat(),
    );
    let import = workspace.terraform(&[
        "import",
        "-no-color",
        "-input=false",
        "tether_iam2_project_organization.erp",
        LEGACY_ERP,
    ]);
    import.success();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // Destroy detaches each project, by the documented DELETE path.
    emulator.admin("DELETE", "calls", None);
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    let detaches = emulator.calls("DetachIAM2ProjectFromIAM2Organization");
    assert_eq!(detaches.len(), 2, "{detaches:?}");
    let detached: Vec<String> = detaches.iter().map(|c| c["params"].to_string()).collect();
    assert!(
        detached.iter().any(|p| p.contains(PAYMENTS)) && detached.iter().any(|p| p.contains(LEGACY_ERP)),
        "{detached:?}"
    );
    assert_eq!(organization_of(&emulator, PAYMENTS), None);
    assert_eq!(organization_of(&emulator, LEGACY_ERP), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn access_key_authentication_and_destroy_leaves_a_moved_project_alone() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &access_key_provider(&emulator), &link("analytics", ANALYTICS, ENGINEERING)].concat(),
    );
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(emulator.calls("LogInByAccount").is_empty(), "AccessKey needs no login");
    assert_eq!(organization_of(&emulator, ANALYTICS).as_deref(), Some(ENGINEERING));

    // Someone moves the project to Finance; destroying our (Engineering) link must not detach it.
    let zstack = out_of_band(&emulator);
    move_out_of_band(&zstack, ANALYTICS, ENGINEERING, FINANCE);
    emulator.admin("DELETE", "calls", None);
    workspace.terraform(&["destroy", "-auto-approve", "-refresh=false", "-no-color", "-input=false"]).success();
    assert!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").is_empty());
    assert_eq!(organization_of(&emulator, ANALYTICS).as_deref(), Some(FINANCE));
}

/// The project is moved outside Terraform and a plain destroy (with its refresh, which writes
/// the other organization into organization_uuid) follows: the provider remembers which
/// organization it attached, shows that destroy calls nothing, and calls nothing.
#[test]
fn a_refreshed_destroy_never_detaches_a_project_from_an_organization_terraform_did_not_attach() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, FINANCE)].concat(),
    );
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(workspace.state_resources()[0]["values"]["attached_organization_uuid"], FINANCE);
    let zstack = out_of_band(&emulator);
    move_out_of_band(&zstack, PAYMENTS, FINANCE, ENGINEERING);

    let plan = workspace.terraform(&["plan", "-destroy", "-no-color", "-input=false"]);
    plan.success();
    assert!(plan.text().contains(&format!("Warning: Destroy calls nothing for {PAYMENTS}")), "{}", plan.stdout);
    assert!(
        plan.text().contains(&format!("project {PAYMENTS} is in organization {ENGINEERING}, which Terraform did not attach it to (it attached it to {FINANCE}), so destroy leaves it there")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains(&format!(
            "- detach_call                = \"none: project {PAYMENTS} is in organization {ENGINEERING}"
        )),
        "{}",
        plan.stdout
    );

    emulator.admin("DELETE", "calls", None);
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").is_empty(), "nothing is detached from Engineering");
    assert_eq!(organization_of(&emulator, PAYMENTS).as_deref(), Some(ENGINEERING));
    assert!(workspace.state_resources().is_empty());
}

/// A create finds its link already there (made before Terraform): refused with the import
/// command before anything is sent, so a later destroy never detaches what Terraform did not
/// attach; and a project in another organization is refused the same way.
#[test]
fn attaching_what_is_already_attached_is_refused_with_the_import() {
    let emulator = emulator();
    let workspace =
        Workspace::new(&[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("erp", LEGACY_ERP, FINANCE)].concat());
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let text = apply.text();
    assert!(text.contains("Error: The project is already attached to this organization"), "{text}");
    assert!(text.contains(&format!("terraform import tether_iam2_project_organization.<name> {LEGACY_ERP}")), "{text}");
    assert!(emulator.calls("AttachIAM2ProjectToIAM2Organization").is_empty(), "nothing was sent");
    assert!(workspace.state_resources().is_empty());

    workspace.write_config(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("erp", LEGACY_ERP, ENGINEERING)].concat(),
    );
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    assert!(apply.text().contains("Error: The project is in another organization"), "{}", apply.text());
    assert!(emulator.calls("AttachIAM2ProjectToIAM2Organization").is_empty(), "nothing was sent");
    assert!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").is_empty());
    assert_eq!(organization_of(&emulator, LEGACY_ERP).as_deref(), Some(FINANCE));
}

/// Adopting a move: the configuration names the organization the project was moved to; the plan
/// shows the recorded organization changing, the apply calls nothing, and destroy then detaches
/// it from the adopted organization.
#[test]
fn naming_the_new_organization_adopts_a_move() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, FINANCE)].concat(),
    );
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let zstack = out_of_band(&emulator);
    move_out_of_band(&zstack, PAYMENTS, FINANCE, ENGINEERING);
    workspace.write_config(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, ENGINEERING)].concat(),
    );
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(
        plan.stdout.contains(&format!("~ attached_organization_uuid = \"{FINANCE}\" -> \"{ENGINEERING}\"")),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{}", plan.stdout);
    emulator.admin("DELETE", "calls", None);
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let writes: Vec<_> = emulator
        .admin("GET", "calls", None)
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"].as_str().is_some_and(|a| a.contains("Attach") || a.contains("Detach")))
        .cloned()
        .collect();
    assert!(writes.is_empty(), "adopting calls no write API: {writes:?}");
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);
    assert_eq!(organization_of(&emulator, PAYMENTS), None);
}

#[test]
fn an_expired_session_costs_exactly_one_re_login() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, FINANCE)].concat(),
    );
    workspace.init();
    // The session dies right before the attach is submitted.
    emulator.admin("POST", "faults", Some(&json!({"cloud": "zstack", "action": "AttachIAM2ProjectToIAM2Organization", "kind": "session_expire", "count": 1})));
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert_eq!(emulator.calls("LogInByAccount").len(), 2, "the first login and exactly one re-login");
    assert_eq!(organization_of(&emulator, PAYMENTS).as_deref(), Some(FINANCE));
    let attaches: Vec<_> =
        emulator.calls("AttachIAM2ProjectToIAM2Organization").into_iter().filter(|c| c["status"] == "ok").collect();
    assert_eq!(attaches.len(), 1, "the attach is applied once");
}

#[test]
fn a_failing_job_surfaces_the_zstack_error_and_records_nothing() {
    let emulator = emulator();
    emulator.admin("POST", "faults", Some(&json!({"cloud": "zstack", "action": "AttachIAM2ProjectToIAM2Organization", "kind": "async_fail", "code": "SYS.1006", "message": "the organization is being deleted"})));
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("payments", PAYMENTS, FINANCE)].concat(),
    );
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let output = apply.text();
    assert!(output.contains("Attaching the project did not succeed"), "{output}");
    assert!(output.contains("SYS.1006"), "{output}");
    assert!(output.contains("the organization is being deleted"), "{output}");
    assert_eq!(organization_of(&emulator, PAYMENTS), None);
    assert!(workspace.state_resources().is_empty());
}

#[test]
fn bad_uuids_credentials_and_import_ids_are_explained() {
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("x", "6A1F-not-a-uuid", FINANCE)].concat(),
    );
    workspace.init();
    let validate = workspace.terraform(&["validate", "-no-color"]);
    validate.failure();
    assert!(validate.text().contains("Invalid project_uuid"), "{}", validate.text());
    assert!(validate.text().contains("32 lower-case hexadecimal characters"), "{}", validate.text());

    workspace.write_config(&[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("x", PAYMENTS, FINANCE)].concat());
    let import =
        workspace.terraform(&["import", "-no-color", "-input=false", "tether_iam2_project_organization.x", "payments"]);
    import.failure();
    assert!(import.text().contains("Expected `<project_uuid>`"), "{}", import.text());

    let wrong =
        account_provider(&emulator).replace("account_password = \"password\"", "account_password = \"hunter2\"");
    workspace.write_config(&[REQUIRED_PROVIDERS, &wrong, &link("x", PAYMENTS, FINANCE)].concat());
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    assert!(!apply.combined().contains("hunter2"), "secret leaked");
    assert!(apply.text().contains("ZStack"), "{}", apply.text());
    assert_eq!(organization_of(&emulator, PAYMENTS), None);

    let half =
        access_key_provider(&emulator).replace(&format!("    access_key_secret = \"{ACCESS_KEY_SECRET}\"\n"), "");
    workspace.write_config(&[REQUIRED_PROVIDERS, &half, &link("x", PAYMENTS, FINANCE)].concat());
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.text().contains("Missing zstack.access_key_secret"), "{}", plan.text());
    assert!(plan.text().contains("ZSTACK_ACCESS_KEY_SECRET"), "{}", plan.text());
}

#[test]
fn a_refused_login_is_reported_once() {
    let emulator = emulator();
    let wrong =
        account_provider(&emulator).replace("account_password = \"password\"", "account_password = \"hunter2\"");
    let workspace = Workspace::new(&[REQUIRED_PROVIDERS, &wrong, &link("x", PAYMENTS, FINANCE)].concat());
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.failure();
    let text = apply.text();
    assert_eq!(text.matches("ZStack refused the login of account \"admin\"").count(), 1, "{text}");
    assert!(text.contains("check the account name and password"), "{text}");
    assert_eq!(organization_of(&emulator, PAYMENTS), None);
}

#[test]
fn the_blocks_choice_of_authentication_beats_the_environment() {
    // Variables exported for another alias (or another tool) name the other way to log in; the
    // block's own choice wins instead of making it "two ways".
    let emulator = emulator();
    let workspace = Workspace::new(
        &[REQUIRED_PROVIDERS, &access_key_provider(&emulator), &link("analytics", ANALYTICS, ENGINEERING)].concat(),
    );
    workspace.init();
    let account_env = [("ZSTACK_ACCOUNT_NAME", "admin"), ("ZSTACK_ACCOUNT_PASSWORD", "password")];
    workspace.terraform_with_env(&["apply", "-auto-approve", "-no-color", "-input=false"], &account_env).success();
    assert!(emulator.calls("LogInByAccount").is_empty(), "the block chose an AccessKey: no login");
    assert_eq!(organization_of(&emulator, ANALYTICS).as_deref(), Some(ENGINEERING));

    // And the other way round: an account in the block, AccessKey variables in the environment.
    workspace.write_config(
        &[REQUIRED_PROVIDERS, &account_provider(&emulator), &link("analytics", ANALYTICS, ENGINEERING)].concat(),
    );
    let key_env = [("ZSTACK_ACCESS_KEY_ID", ACCESS_KEY_ID), ("ZSTACK_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)];
    workspace.terraform_with_env(&["destroy", "-auto-approve", "-no-color", "-input=false"], &key_env).success();
    assert!(!emulator.calls("LogInByAccount").is_empty(), "the block chose an account");
    assert_eq!(organization_of(&emulator, ANALYTICS), None);

    // With no way in the block, both ways from the environment are still two ways.
    let bare = format!("provider \"tether\" {{\n  zstack {{\n    endpoint = \"{}\"\n  }}\n}}\n", emulator.endpoint());
    workspace.write_config(&[REQUIRED_PROVIDERS, &bare, &link("analytics", ANALYTICS, ENGINEERING)].concat());
    let both = [account_env, key_env].concat();
    let plan = workspace.terraform_with_env(&["plan", "-no-color", "-input=false"], &both);
    plan.failure();
    assert!(plan.text().contains("Two ways to authenticate to ZStack"), "{}", plan.text());
}
