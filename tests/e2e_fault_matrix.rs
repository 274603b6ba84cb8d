//! The fault matrix: for every resource and every fault the emulator can inject into its create
//! and its detach call, a real `terraform apply` / `terraform destroy`, then a comparison of the
//! emulator's world with `terraform show -json`. The cloud and the state must agree after every
//! run (zero divergences); a failed run must name the API (and the RequestId when the cloud
//! answered); and a plain re-run must then converge. Prints a summary table.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Mutex;

use serde_json::{Value as Json, json};
use support::{
    Emulator, HW_DATA_PLATFORM, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, REQUIRED_PROVIDERS, Run, Workspace,
    huawei_provider_block, tencent_provider,
};

/// Fast asynchronous operations, so the async faults are quick to run through.
const EMULATOR_ARGS: &[&str] =
    &["--huawei-operation-ms", "300", "--huawei-assignment-ms", "200", "--zstack-job-ms", "300"];
const INSTANCE: &str = "ins-tether00000001";
const PAYMENTS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
const ENGINEERING: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A documented, non-retryable error code of the API.
    Error,
    /// An HTTP 5xx / internal error.
    ServerError,
    Throttle,
    Latency,
    DropBefore,
    DropAfter,
    AsyncFail,
    AsyncHang,
    SessionExpire,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Error,
        Kind::ServerError,
        Kind::Throttle,
        Kind::Latency,
        Kind::DropBefore,
        Kind::DropAfter,
        Kind::AsyncFail,
        Kind::AsyncHang,
        Kind::SessionExpire,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Error => "error",
            Kind::ServerError => "5xx",
            Kind::Throttle => "throttle",
            Kind::Latency => "latency",
            Kind::DropBefore => "drop_before",
            Kind::DropAfter => "drop_after",
            Kind::AsyncFail => "async_fail",
            Kind::AsyncHang => "async_hang",
            Kind::SessionExpire => "session_expire",
        }
    }

    /// Faults the provider absorbs: the run must succeed despite them.
    fn must_succeed(self) -> bool {
        matches!(self, Kind::Throttle | Kind::Latency | Kind::DropAfter | Kind::SessionExpire)
    }

    /// Whether the cloud answered the faulted call, so the error can quote its RequestId.
    fn answered(self) -> bool {
        matches!(self, Kind::Error | Kind::ServerError)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Create,
    Destroy,
}

/// One resource under test: its configuration, the calls to fault, and how to see it in the
/// emulator's world and in Terraform's state.
struct Target {
    resource: &'static str,
    cloud: &'static str,
    create_action: &'static str,
    destroy_action: &'static str,
    /// `(status, code)` of a documented error that retrying cannot fix.
    documented_error: (Option<u16>, &'static str),
    /// `(status, code)` of a server-side failure.
    server_error: (Option<u16>, &'static str),
    /// Which fault kinds make sense for which call.
    applies: fn(Kind, Phase) -> bool,
    config: fn(&Emulator) -> String,
    /// What the cloud has of the binding, comparable with `in_state`.
    in_cloud: fn(&Json) -> BTreeSet<String>,
    in_state: fn(&Json) -> BTreeSet<String>,
}

fn synchronous(kind: Kind, _: Phase) -> bool {
    !matches!(kind, Kind::AsyncFail | Kind::AsyncHang | Kind::SessionExpire)
}

fn targets() -> Vec<Target> {
    vec![
        Target {
            resource: "tether_member_auth_binding",
            cloud: "tencent",
            create_action: "BindOrganizationMemberAuthAccount",
            destroy_action: "CancelOrganizationMemberAuthAccount",
            documented_error: (None, "FailedOperation.OperatePolicy"),
            server_error: (None, "InternalError"),
            applies: synchronous,
            config: |e| {
                format!(
                    "{}resource \"tether_member_auth_binding\" \"this\" {{\n  member_uin          = 100000000101\n  policy_id           = 1001\n  org_sub_account_uin = 200000000001\n}}\n",
                    tencent_provider(e)
                )
            },
            in_cloud: |world| {
                world["tencent"]["organization"]["bindings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
                    .collect()
            },
            in_state: |r| [r["values"]["id"].as_str().unwrap().to_string()].into(),
        },
        Target {
            resource: "tether_organization_membership",
            cloud: "huawei",
            create_action: "AcceptHandshake",
            destroy_action: "LeaveOrganization",
            documented_error: (Some(403), "Organizations.1007"),
            server_error: (Some(500), "Organizations.500"),
            applies: synchronous,
            config: |e| {
                format!(
                    "{REQUIRED_PROVIDERS}{}resource \"tether_organization_membership\" \"this\" {{\n  handshake_id = \"h-7c1e0a9b2d4f4e6a\"\n}}\n",
                    huawei_provider_block(e, HW_NEW_ACQUISITION, None)
                )
            },
            in_cloud: |world| {
                let members = world["huawei"]["organizations"]["organization"]["members"].as_array().unwrap();
                members
                    .iter()
                    .filter(|m| m["account_id"] == HW_NEW_ACQUISITION.id)
                    .map(|_| "o-tether0001".to_string())
                    .collect()
            },
            in_state: |r| [r["values"]["organization_id"].as_str().unwrap().to_string()].into(),
        },
        Target {
            resource: "tether_rgc_managed_account",
            cloud: "huawei",
            create_action: "EnrollAccount",
            destroy_action: "UnEnrollAccount",
            documented_error: (Some(400), "RGC.1000"),
            server_error: (Some(500), "RGC.500"),
            applies: |kind, _| kind != Kind::SessionExpire,
            config: |e| {
                format!(
                    "{REQUIRED_PROVIDERS}{}resource \"tether_rgc_managed_account\" \"this\" {{\n  managed_account_id            = \"{}\"\n  parent_organizational_unit_id = \"ou-tether-sandbox\"\n  timeouts {{\n    create = \"3s\"\n    delete = \"3s\"\n  }}\n}}\n",
                    huawei_provider_block(e, HW_MANAGEMENT, None),
                    HW_DATA_PLATFORM.id
                )
            },
            in_cloud: |world| {
                world["huawei"]["rgc"]["managed_accounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["account_id"] == HW_DATA_PLATFORM.id)
                    .map(|a| a["account_id"].as_str().unwrap().to_string())
                    .collect()
            },
            in_state: |r| [r["values"]["managed_account_id"].as_str().unwrap().to_string()].into(),
        },
        Target {
            resource: "tether_identity_center_profile_association",
            cloud: "huawei",
            create_action: "CreateAccountAssignment",
            destroy_action: "DisassociateProfile",
            documented_error: (Some(409), "IdentityCenter.1007"),
            server_error: (Some(500), "IdentityCenter.500"),
            // DisassociateProfile is synchronous: the job faults do not apply to it.
            applies: |kind, phase| {
                kind != Kind::SessionExpire
                    && !(phase == Phase::Destroy && matches!(kind, Kind::AsyncFail | Kind::AsyncHang))
            },
            config: |e| {
                format!(
                    "{REQUIRED_PROVIDERS}{}resource \"tether_identity_center_profile_association\" \"this\" {{\n  instance_id    = \"{INSTANCE}\"\n  principal_type = \"USER\"\n  principal_id   = \"u-alice\"\n  assignment {{\n    permission_set_id = \"ps-admin\"\n    account_id        = \"{}\"\n  }}\n  assignment {{\n    permission_set_id = \"ps-readonly\"\n    account_id        = \"{}\"\n  }}\n  timeouts {{\n    create = \"3s\"\n    delete = \"3s\"\n  }}\n}}\n",
                    huawei_provider_block(e, HW_MANAGEMENT, None),
                    HW_FINANCE_PROD.id,
                    HW_DATA_PLATFORM.id
                )
            },
            in_cloud: |world| {
                world["huawei"]["identity_center"]["assignments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|a| a["principal_id"] == "u-alice")
                    .map(|a| {
                        format!("{}@{}", a["permission_set_id"].as_str().unwrap(), a["account_id"].as_str().unwrap())
                    })
                    .collect()
            },
            in_state: |r| {
                r["values"]["assignment"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        format!("{}@{}", a["permission_set_id"].as_str().unwrap(), a["account_id"].as_str().unwrap())
                    })
                    .collect()
            },
        },
        Target {
            resource: "tether_iam2_project_organization",
            cloud: "zstack",
            create_action: "AttachIAM2ProjectToIAM2Organization",
            destroy_action: "DetachIAM2ProjectFromIAM2Organization",
            documented_error: (Some(503), "SYS.1006"),
            server_error: (Some(500), "SYS.1000"),
            applies: |_, _| true,
            config: |e| {
                format!(
                    "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n}}\nresource \"tether_iam2_project_organization\" \"this\" {{\n  project_uuid      = \"{PAYMENTS}\"\n  organization_uuid = \"{ENGINEERING}\"\n  timeouts {{\n    create = \"3s\"\n    delete = \"3s\"\n  }}\n}}\n",
                    e.endpoint()
                )
            },
            in_cloud: |world| {
                world["zstack"]["project_organization_refs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["project_uuid"] == PAYMENTS)
                    .map(|r| {
                        format!("{}>{}", r["project_uuid"].as_str().unwrap(), r["organization_uuid"].as_str().unwrap())
                    })
                    .collect()
            },
            in_state: |r| {
                [format!(
                    "{}>{}",
                    r["values"]["project_uuid"].as_str().unwrap(),
                    r["values"]["organization_uuid"].as_str().unwrap()
                )]
                .into()
            },
        },
    ]
}

fn fault(target: &Target, kind: Kind, action: &str) -> Json {
    let mut fault = json!({"cloud": target.cloud, "action": action, "count": 1});
    let (status, code) = match kind {
        Kind::Error => target.documented_error,
        Kind::ServerError => target.server_error,
        _ => (None, ""),
    };
    let spec = match kind {
        Kind::Error | Kind::ServerError => {
            json!({"kind": "error", "code": code, "message": format!("injected {}", kind.name())})
        }
        // Twice in a row: the retry must back off and try again.
        Kind::Throttle => json!({"kind": "throttle", "count": 2}),
        Kind::Latency => json!({"kind": "latency", "latency_ms": 1500}),
        other => json!({"kind": other.name()}),
    };
    fault.as_object_mut().unwrap().extend(spec.as_object().unwrap().clone());
    if let Some(status) = status {
        fault["status"] = json!(status);
    }
    fault
}

/// Divergences between the emulator's world and Terraform's state for this target. With
/// `excuse_unconfirmed`, an object the state records as unconfirmed is no divergence when the
/// cloud lacks it: its create was stopped with the outcome unknown (a job still running at the
/// deadline), so the record claims only that it may exist, and the next refresh settles it
/// before anything uses it (see `tether::framework::operation`). The re-run must agree without
/// that excuse.
fn divergences(target: &Target, emulator: &Emulator, workspace: &Workspace, excuse_unconfirmed: bool) -> Vec<String> {
    let cloud = (target.in_cloud)(&emulator.state());
    let resources = workspace.state_resources();
    let state: BTreeSet<String> =
        resources.iter().filter(|r| r["type"] == target.resource).flat_map(target.in_state).collect();
    let unconfirmed = if excuse_unconfirmed { unconfirmed(target, workspace) } else { BTreeSet::new() };
    let mut found = Vec::new();
    for missing in cloud.difference(&state) {
        found.push(format!("in the cloud, not in the state: {missing}"));
    }
    for ghost in state.difference(&cloud).filter(|ghost| !unconfirmed.contains(*ghost)) {
        found.push(format!("in the state, not in the cloud: {ghost}"));
    }
    found
}

/// The target's objects whose state carries the provider's "unconfirmed" mark in its private
/// data (which `terraform show -json` leaves out, so it is read from the state file).
fn unconfirmed(target: &Target, workspace: &Workspace) -> BTreeSet<String> {
    use base64::Engine as _;
    let Ok(text) = std::fs::read_to_string(workspace.path().join("terraform.tfstate")) else { return BTreeSet::new() };
    let state: Json = serde_json::from_str(&text).expect("terraform.tfstate is JSON");
    let resources = state["resources"].as_array().cloned().unwrap_or_default();
    resources
        .iter()
        .filter(|r| r["mode"] == "managed" && r["type"] == target.resource)
        .flat_map(|r| r["instances"].as_array().cloned().unwrap_or_default())
        .filter(|instance| {
            let private =
                instance["private"].as_str().and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok());
            private.is_some_and(|p| tether::framework::operation::decode_unconfirmed(&p).is_some())
        })
        .flat_map(|instance| (target.in_state)(&json!({"values": instance["attributes"]})))
        .collect()
}

struct Outcome {
    target: &'static str,
    phase: Phase,
    kind: Kind,
    failed_run: bool,
    problems: Vec<String>,
}

fn apply(workspace: &Workspace) -> Run {
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"])
}

fn destroy(workspace: &Workspace) -> Run {
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"])
}

fn run_scenario(emulator: &Emulator, target: &Target, phase: Phase, kind: Kind) -> Outcome {
    emulator.admin("POST", "reset", None);
    let workspace = Workspace::new(&(target.config)(emulator));
    workspace.init();
    let mut problems = Vec::new();
    let action = match phase {
        Phase::Create => target.create_action,
        Phase::Destroy => {
            let setup = apply(&workspace);
            if setup.code != 0 {
                problems.push(format!("the fault-free apply before the destroy failed: {}", setup.text()));
            }
            target.destroy_action
        }
    };
    let injected = emulator.admin("POST", "faults", Some(&fault(target, kind, action)));
    let run = if phase == Phase::Create { apply(&workspace) } else { destroy(&workspace) };
    let fired = emulator.admin("GET", "faults", None);
    let fired = fired
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == injected["id"])
        .map(|f| f["fired"].as_u64().unwrap_or(0))
        .unwrap_or(0);
    if fired == 0 {
        problems.push(format!("the {} fault on {action} never fired", kind.name()));
    }
    for divergence in divergences(target, emulator, &workspace, true) {
        problems.push(format!("after the faulted run: {divergence}"));
    }
    let failed_run = run.code != 0;
    if failed_run {
        let text = run.text();
        if kind.must_succeed() {
            problems.push(format!("a {} fault must be absorbed, but the run failed: {text}", kind.name()));
        }
        if !text.contains(action) {
            problems.push(format!("the error does not name the API {action}: {text}"));
        }
        if kind.answered() {
            let faulted = emulator.calls(action).into_iter().find(|c| !c["fault"].is_null());
            let faulted = faulted.filter(|c| c["fault"] != "throttle");
            match faulted.and_then(|c| c["request_id"].as_str().map(str::to_string)) {
                Some(request_id) if !text.contains(&request_id) => {
                    problems.push(format!("the error does not quote RequestId {request_id}: {text}"))
                }
                None => problems.push("the faulted call is missing from the emulator's log".to_string()),
                _ => {}
            }
        }
    }
    // A plain re-run converges, and the two sides still agree. (A hung operation stays hung in
    // the emulator, blocking further changes to its object, so only agreement is required then.)
    emulator.admin("DELETE", "faults", None);
    let rerun = if phase == Phase::Create { apply(&workspace) } else { destroy(&workspace) };
    if rerun.code != 0 && kind != Kind::AsyncHang {
        problems.push(format!("the re-run after the fault failed: {}", rerun.text()));
    }
    for divergence in divergences(target, emulator, &workspace, false) {
        problems.push(format!("after the re-run: {divergence}"));
    }
    let expected_after = if phase == Phase::Create { 1 } else { 0 };
    let resources = workspace.state_resources().len();
    if resources != expected_after && kind != Kind::AsyncHang {
        problems.push(format!("after the re-run the state has {resources} resources, expected {expected_after}"));
    }
    Outcome { target: target.resource, phase, kind, failed_run, problems }
}

#[test]
fn every_fault_leaves_the_cloud_and_the_state_in_agreement() {
    // TETHER_FAULT_MATRIX=<text> runs only the resources whose type contains <text>.
    let only = std::env::var("TETHER_FAULT_MATRIX").unwrap_or_default();
    let mut scenarios = Vec::new();
    for (index, target) in targets().iter().enumerate().filter(|(_, t)| t.resource.contains(&only)) {
        for phase in [Phase::Create, Phase::Destroy] {
            for kind in Kind::ALL {
                if (target.applies)(kind, phase) {
                    scenarios.push((index, phase, kind));
                }
            }
        }
    }
    let total = scenarios.len();
    let queue = Mutex::new(scenarios);
    let outcomes = Mutex::new(Vec::new());
    // Three workers, each with its own emulator: Terraform runs are mostly waiting.
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let emulator = Emulator::start_with(EMULATOR_ARGS);
                let targets = targets();
                loop {
                    let Some((index, phase, kind)) = queue.lock().unwrap().pop() else { break };
                    let outcome = run_scenario(&emulator, &targets[index], phase, kind);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|o| (o.target, o.phase == Phase::Destroy, o.kind.name()));
    assert_eq!(outcomes.len(), total);

    let mut table = String::from("\nfault matrix: resource / phase / fault -> run result, problems\n");
    let mut failures = Vec::new();
    let mut divergence_count = 0;
    for o in &outcomes {
        let phase = if o.phase == Phase::Create { "apply" } else { "destroy" };
        let result = if o.failed_run { "failed (clean error)" } else { "succeeded" };
        let status = if o.problems.is_empty() { "ok" } else { "PROBLEM" };
        writeln!(table, "  {:<44} {:<8} {:<15} {:<21} {status}", o.target, phase, o.kind.name(), result).unwrap();
        divergence_count += o.problems.iter().filter(|p| p.contains("not in the")).count();
        for problem in &o.problems {
            failures.push(format!("{} {phase} {}: {problem}", o.target, o.kind.name()));
        }
    }
    let passed = outcomes.iter().filter(|o| o.problems.is_empty()).count();
    writeln!(table, "scenarios: {total}, passed: {passed}, divergences: {divergence_count}").unwrap();
    eprintln!("{table}");
    assert!(failures.is_empty(), "{table}\n{}", failures.join("\n\n"));
}
