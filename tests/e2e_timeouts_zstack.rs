//! `tether_iam2_project_organization` and the ZStack data sources against endpoints that do not
//! answer, through real Terraform: every operation ends at its own deadline (`timeouts`, or the
//! provider's `read_timeout`) with an error that names it; a refused connection fails at once and
//! is not mistaken for a write that may have happened; Ctrl-C ends a run within seconds; and
//! whatever an interrupted run recorded lets the next plain apply converge, with the project
//! attached exactly once and nothing detached that should stay.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{Emulator, HangingProxy, REQUIRED_PROVIDERS, Run, Workspace, block_on, interrupt_when};
use tether::clouds::zstack::{ZStackAuth, ZStackClient, ZStackConfig};
use tether::clouds::{RetryPolicy, Secret};

const PAYMENTS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
const FINANCE: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";
const ATTACH: &str = "AttachIAM2ProjectToIAM2Organization";
const DETACH: &str = "DetachIAM2ProjectFromIAM2Organization";
const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
/// Straight to the delete, so that its own limit is what a hung endpoint runs into (a refresh
/// first would meet the read limit instead).
const DESTROY_NO_REFRESH: &[&str] = &["destroy", "-auto-approve", "-refresh=false", "-no-color", "-input=false"];
/// How long after SIGINT Terraform may take to exit: the provider's read-back grace (3 s) plus
/// Terraform's own bookkeeping.
const CTRL_C_LIMIT: Duration = Duration::from_secs(6);

/// A provider block for `endpoint` with an account login and `read_timeout`.
fn provider(endpoint: &str, read_timeout: &str) -> String {
    format!(
        "provider \"tether\" {{\n  read_timeout = \"{read_timeout}\"\n  zstack {{\n    endpoint         = \"{endpoint}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\n"
    )
}

/// The link of PAYMENTS to FINANCE, with `timeouts` (e.g. `create = "30s"`).
fn link(timeouts: &str) -> String {
    format!(
        "resource \"tether_iam2_project_organization\" \"payments\" {{\n  project_uuid      = \"{PAYMENTS}\"\n  organization_uuid = \"{FINANCE}\"\n  timeouts {{\n{timeouts}\n  }}\n}}\n"
    )
}

const DATA_SOURCES: &str = "data \"tether_iam2_organizations\" \"all\" {}\ndata \"tether_iam2_projects\" \"all\" {}\n";

fn config(parts: &[&str]) -> String {
    [&[REQUIRED_PROVIDERS][..], parts].concat().concat()
}

/// Runs Terraform and measures it.
fn timed(workspace: &Workspace, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = workspace.terraform(args);
    (run, started.elapsed())
}

fn out_of_band(emulator: &Emulator) -> ZStackClient {
    ZStackClient::new(ZStackConfig {
        endpoint: emulator.endpoint().parse().unwrap(),
        auth: ZStackAuth::AccessKey {
            access_key_id: "TETHERZSTACKACCESSKEY1".into(),
            access_key_secret: Secret::new("tether-emulator-zstack-access-key-secret"),
        },
        retry: RetryPolicy::default(),
    })
    .unwrap()
}

fn organization_of(emulator: &Emulator, project: &str) -> Option<String> {
    block_on(out_of_band(emulator).query_organization_project_refs(project))
        .unwrap()
        .into_iter()
        .map(|r| r.organization_uuid)
        .next()
}

/// The calls of `action` the emulator applied (answered without an error).
fn applied(emulator: &Emulator, action: &str) -> usize {
    emulator.calls(action).iter().filter(|c| c["status"] == "ok").count()
}

/// Whether the fault with `id` has fired (for a latency fault: the call has arrived and is
/// being held).
fn fired(emulator: &Emulator, id: &serde_json::Value) -> bool {
    emulator
        .admin("GET", "faults", None)
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == *id && f["fired"].as_u64().unwrap_or(0) > 0)
}

/// Waits until `done`, for work the emulator finishes on its own time.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The one resource in state, with the project's organization in it and in the cloud.
#[track_caller]
fn assert_attached_once(emulator: &Emulator, workspace: &Workspace, attaches: usize) {
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 1, "{resources:?}");
    let values = &resources[0]["values"];
    assert_eq!(
        (values["organization_uuid"].as_str(), values["attached_organization_uuid"].as_str()),
        (Some(FINANCE), Some(FINANCE)),
        "{values}"
    );
    assert_eq!(values["project_name"], "payments", "{values}");
    assert!(resources[0].get("tainted").is_none_or(|t| t == false), "{:?}", resources[0]);
    assert_eq!(organization_of(emulator, PAYMENTS).as_deref(), Some(FINANCE));
    assert_eq!(applied(emulator, ATTACH), attaches, "the project was attached exactly {attaches} time(s)");
}

/// One endpoint that accepts connections and never answers, met by each kind of operation: a
/// create with `timeouts.create`, a destroy with `timeouts.delete`, and a plan whose refresh and
/// two data sources are bounded by the provider's `read_timeout`. Each fails at its own limit,
/// saying which limit it was, and a healthy endpoint then converges.
#[test]
fn a_hung_endpoint_fails_every_operation_at_its_own_deadline() {
    let emulator = Emulator::start_with(&["--zstack-job-ms", "300"]);
    let proxy = HangingProxy::start(&emulator.address);
    proxy.hang();
    let timeouts = "    create = \"30s\"\n    delete = \"20s\"";
    let workspace = Workspace::new(&config(&[&provider(&proxy.endpoint(), "10s"), &link(timeouts)]));
    workspace.init();

    let (apply, took) = timed(&workspace, APPLY);
    apply.failure();
    let text = apply.text();
    eprintln!("hung endpoint, create = 30s: the apply failed after {took:?}");
    assert!(took >= Duration::from_secs(30) && took < Duration::from_secs(40), "{took:?}: {text}");
    assert!(text.contains("Error: Operation timed out"), "{text}");
    // The first thing the create does is read where the project is; that read is what hangs.
    assert!(
        text.contains(
            "did not finish within 30s (timeouts.create), so ZStack QueryIAM2OrganizationProjectRef was abandoned"
        ),
        "{text}"
    );
    assert!(!text.contains("unknown"), "nothing was sent, so nothing is unknown: {text}");
    assert!(proxy.held() >= 1);
    assert!(workspace.state_resources().is_empty());

    // Through a healthy endpoint, then the endpoint hangs under the destroy.
    proxy.pass();
    workspace.terraform(APPLY).success();
    assert_attached_once(&emulator, &workspace, 1);
    proxy.hang();
    let (destroy, took) = timed(&workspace, DESTROY_NO_REFRESH);
    destroy.failure();
    let text = destroy.text();
    eprintln!("hung endpoint, delete = 20s: the destroy failed after {took:?}");
    assert!(took >= Duration::from_secs(20) && took < Duration::from_secs(30), "{took:?}: {text}");
    assert!(text.contains("did not finish within 20s (timeouts.delete)"), "{text}");
    assert_eq!(workspace.state_resources().len(), 1, "an unfinished destroy keeps the object");

    // A plan: the refresh and both data sources each stop at read_timeout, side by side.
    workspace.write_config(&config(&[&provider(&proxy.endpoint(), "10s"), &link(timeouts), DATA_SOURCES]));
    let (plan, took) = timed(&workspace, &["plan", "-no-color", "-input=false"]);
    plan.failure();
    let text = plan.text();
    eprintln!("hung endpoint, read_timeout = 10s: the plan failed after {took:?}");
    assert!(took >= Duration::from_secs(10) && took < Duration::from_secs(20), "{took:?}: {text}");
    assert_eq!(text.matches("Error: Operation timed out").count(), 3, "{text}");
    assert_eq!(text.matches("did not finish within 10s (the provider's read_timeout)").count(), 3, "{text}");
    for address in [
        "tether_iam2_project_organization.payments",
        "data.tether_iam2_organizations.all",
        "data.tether_iam2_projects.all",
    ] {
        assert!(text.contains(&format!("with {address}")), "{address}: {text}");
    }

    // Healthy again: nothing was lost or changed on the way.
    proxy.pass();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert_attached_once(&emulator, &workspace, 1);
    assert_eq!(applied(&emulator, DETACH), 0);
}

/// A closed port: the connection is refused, so nothing was sent. The apply and the destroy
/// fail within seconds, say they cannot connect, and never speak of an unknown outcome.
#[test]
fn a_refused_connection_fails_fast_and_is_not_an_unknown_outcome() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let endpoint = format!("http://{closed}");
    let workspace = Workspace::new(&config(&[&provider(&endpoint, "10s"), &link("    create = \"5m\"")]));
    workspace.init();
    let (apply, took) = timed(&workspace, APPLY);
    apply.failure();
    let text = apply.text();
    eprintln!("refused endpoint: the apply failed after {took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}: {text}");
    assert!(text.contains(&format!("cannot connect to {closed}")), "{text}");
    for wording in ["unknown", "may or may not", "timed out", "could not check the project after"] {
        assert!(!text.to_lowercase().contains(wording), "{wording:?}: {text}");
    }
    assert!(workspace.state_resources().is_empty());
}

/// Ctrl-C against an endpoint that holds every connection: the create and the destroy each end
/// within seconds, record nothing they did not do, and a plain apply through the healthy endpoint
/// converges: attached once, never detached.
#[test]
fn ctrl_c_against_a_hung_endpoint_exits_promptly_and_the_next_apply_converges() {
    let emulator = Emulator::start_with(&["--zstack-job-ms", "300"]);
    let proxy = HangingProxy::start(&emulator.address);
    let workspace = Workspace::new(&config(&[
        &provider(&proxy.endpoint(), "5m"),
        &link("    create = \"10m\"\n    delete = \"10m\""),
    ]));
    workspace.init();

    proxy.hang();
    let before = proxy.held();
    let create = interrupt_when(&workspace, APPLY, || proxy.held() > before, Duration::from_secs(30));
    eprintln!("Ctrl-C, hung endpoint, create: terraform exited {:?} after SIGINT", create.exit_after);
    assert!(create.exit_after < CTRL_C_LIMIT, "{:?}: {}", create.exit_after, create.output);
    assert!(create.output.contains("Operation cancelled"), "{}", create.output);
    assert!(workspace.state_resources().is_empty(), "nothing was sent, so nothing is recorded");

    proxy.pass();
    workspace.terraform(APPLY).success();
    assert_attached_once(&emulator, &workspace, 1);

    proxy.hang();
    let before = proxy.held();
    let destroy = interrupt_when(&workspace, DESTROY_NO_REFRESH, || proxy.held() > before, Duration::from_secs(30));
    eprintln!("Ctrl-C, hung endpoint, destroy: terraform exited {:?} after SIGINT", destroy.exit_after);
    assert!(destroy.exit_after < CTRL_C_LIMIT, "{:?}: {}", destroy.exit_after, destroy.output);
    assert!(destroy.output.contains("Operation cancelled"), "{}", destroy.output);

    proxy.pass();
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(apply.stdout.contains("No changes."), "{}", apply.stdout);
    assert_attached_once(&emulator, &workspace, 1);
    assert_eq!(applied(&emulator, DETACH), 0, "nothing was detached");
}

/// Ctrl-C while ZStack holds the attach (and then the detach) but still answers reads: Terraform
/// exits within seconds although the write's outcome is unknown. The create records the link
/// as unconfirmed (a warning, not an error, so it is not tainted) and the next plain apply
/// confirms it once the attach has landed: no error, no second attach, no detach. The destroy
/// keeps the link in state with an error, and the next apply reads before deciding.
#[test]
fn ctrl_c_during_a_held_write_records_what_lets_the_next_apply_converge() {
    let emulator = Emulator::start_with(&["--zstack-job-ms", "300"]);
    let workspace = Workspace::new(&config(&[
        &provider(&emulator.endpoint(), "5m"),
        &link("    create = \"10m\"\n    delete = \"10m\""),
    ]));
    workspace.init();

    let held = emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "zstack", "action": ATTACH, "kind": "latency", "latency_ms": 8000})),
    );
    let create = interrupt_when(&workspace, APPLY, || fired(&emulator, &held["id"]), Duration::from_secs(30));
    eprintln!("Ctrl-C, held attach: terraform exited {:?} after SIGINT", create.exit_after);
    assert!(create.exit_after < CTRL_C_LIMIT, "{:?}: {}", create.exit_after, create.output);
    let text = create.output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(&format!("Warning: Recorded project {PAYMENTS} in organization {FINANCE} unconfirmed")),
        "{text}"
    );
    assert!(!text.contains("Error: The project is already attached"), "{text}");
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 1, "the link whose attach may have happened is recorded: {resources:?}");
    assert!(
        resources[0].get("tainted").is_none_or(|t| t == false),
        "an interrupted create is not tainted: {:?}",
        resources[0]
    );

    // The held attach lands; the next apply confirms it and changes nothing.
    wait_until("the held attach", || organization_of(&emulator, PAYMENTS).is_some());
    emulator.admin("DELETE", "faults", None);
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(apply.stdout.contains("No changes."), "{}", apply.stdout);
    assert_attached_once(&emulator, &workspace, 1);

    // The same for the detach, and this time the read-back hangs as well (the 61 s):
    // it gets the 3 s grace, no more. Kept in state with an error; once the detach has landed,
    // the next apply reads the project out of the organization and attaches it again.
    let held = emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "zstack", "action": DETACH, "kind": "latency", "latency_ms": 8000})),
    );
    let ready = || {
        // The guard's read went before the detach; only the read-back meets this.
        let hold_reads = || {
            emulator.admin("POST", "faults", Some(&json!({"cloud": "zstack", "action": "QueryIAM2OrganizationProjectRef", "kind": "latency", "latency_ms": 60000})))
        };
        fired(&emulator, &held["id"]) && hold_reads().is_object()
    };
    let destroy = interrupt_when(&workspace, DESTROY_NO_REFRESH, ready, Duration::from_secs(30));
    eprintln!("Ctrl-C, held detach and held read-back: terraform exited {:?} after SIGINT", destroy.exit_after);
    assert!(destroy.exit_after < CTRL_C_LIMIT, "{:?}: {}", destroy.exit_after, destroy.output);
    let text = destroy.output.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains(&format!("Error: Outcome of ZStack {DETACH} unknown")), "{text}");
    assert!(text.contains("could not tell whether it was detached (the read was stopped as well)"), "{text}");
    assert_eq!(workspace.state_resources().len(), 1, "kept until a read says it is gone");
    wait_until("the held detach", || organization_of(&emulator, PAYMENTS).is_none());
    emulator.admin("DELETE", "faults", None);
    workspace.terraform(APPLY).success();
    assert_attached_once(&emulator, &workspace, 2);
    assert_eq!(applied(&emulator, DETACH), 1, "detached once, by the destroy");
}

/// The deadline passes while ZStack holds the attach: the apply fails at the deadline with an
/// error (so Terraform taints the record) that says the link is recorded unconfirmed and how to
/// keep it; once the attach has landed, `terraform untaint` and a plain apply keep it as it is.
#[test]
fn a_create_past_its_deadline_is_recorded_tainted_and_untaint_keeps_it() {
    let emulator = Emulator::start_with(&["--zstack-job-ms", "300"]);
    let workspace = Workspace::new(&config(&[&provider(&emulator.endpoint(), "5m"), &link("    create = \"5s\"")]));
    workspace.init();
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "zstack", "action": ATTACH, "kind": "latency", "latency_ms": 10000})),
    );
    let (apply, took) = timed(&workspace, APPLY);
    apply.failure();
    let text = apply.text();
    eprintln!("held attach, create = 5s: the apply failed after {took:?}");
    assert!(took >= Duration::from_secs(5) && took < Duration::from_secs(10), "{took:?}: {text}");
    assert!(text.contains(&format!("Error: Outcome of ZStack {ATTACH} unknown")), "{text}");
    assert!(
        text.contains(&format!("did not finish within 5s (timeouts.create), so ZStack {ATTACH} was abandoned")),
        "{text}"
    );
    assert!(text.contains(&format!("The link of project {PAYMENTS} to organization {FINANCE} is recorded in the Terraform state, marked unconfirmed, and Terraform marks it tainted")), "{text}");
    assert!(text.contains("terraform untaint tether_iam2_project_organization.<name>"), "{text}");
    let resources = workspace.state_resources();
    assert_eq!(resources.len(), 1, "{resources:?}");
    assert_eq!(resources[0]["tainted"], true, "{:?}", resources[0]);

    wait_until("the held attach", || organization_of(&emulator, PAYMENTS).is_some());
    workspace.terraform(&["untaint", "-no-color", "tether_iam2_project_organization.payments"]).success();
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(apply.stdout.contains("No changes."), "{}", apply.stdout);
    assert_attached_once(&emulator, &workspace, 1);
    assert_eq!(applied(&emulator, DETACH), 0);
}
