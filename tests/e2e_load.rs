//! Scale and interruption with the real Terraform: hundreds of bindings at Terraform's default
//! parallelism against the emulator's real Tencent limit (20 requests per second per action),
//! and Ctrl-C in the middle of an apply.

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{Emulator, Workspace, tencent_provider};

/// `count` bindings spread over the three members and policies 1001/1002, `count / 6`
/// sub-accounts each (the emulator is seeded with that many).
fn bindings_config(emulator: &Emulator, per_member_policy: u64) -> String {
    format!(
        r#"{}
locals {{
  bindings = {{
    for triple in setproduct([100000000101, 100000000102, 100000000103], [1001, 1002], range(200000000001, {})) :
    "${{triple[0]}}/${{triple[1]}}/${{triple[2]}}" => triple
  }}
}}

resource "tether_member_auth_binding" "load" {{
  for_each            = local.bindings
  member_uin          = each.value[0]
  policy_id           = each.value[1]
  org_sub_account_uin = each.value[2]
}}
"#,
        tencent_provider(emulator),
        200000000001 + per_member_policy
    )
}

/// The bindings the emulator has, as `member/policy/sub` IDs.
fn cloud_bindings(emulator: &Emulator) -> BTreeSet<String> {
    let state = emulator.state();
    state["tencent"]["organization"]["bindings"]
        .as_array()
        .expect("bindings")
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect()
}

/// The bindings Terraform's state has, as `member/policy/sub` IDs (each recorded once).
fn state_bindings(workspace: &Workspace) -> Vec<String> {
    workspace.state_resources().iter().map(|r| r["values"]["id"].as_str().expect("id").to_string()).collect()
}

/// Calls of `action` that the emulator carried out (not throttled or refused).
fn carried_out(emulator: &Emulator, action: &str) -> usize {
    emulator.calls(action).iter().filter(|c| c["error_code"].is_null()).count()
}

/// Every sub-account a carried-out Bind bound, as `member/policy/sub`, once per time it was
/// bound (a Bind carries up to five).
fn bound_by_binds(emulator: &Emulator) -> Vec<String> {
    let mut bound = Vec::new();
    for call in emulator.calls("BindOrganizationMemberAuthAccount").iter().filter(|c| c["error_code"].is_null()) {
        let params = &call["params"];
        for uin in params["OrgSubAccountUins"].as_array().expect("OrgSubAccountUins") {
            bound.push(format!("{}/{}/{}", params["MemberUin"], params["PolicyId"], uin));
        }
    }
    bound
}

fn throttled(emulator: &Emulator) -> usize {
    let calls = emulator.admin("GET", "calls?cloud=tencent", None);
    calls.as_array().unwrap().iter().filter(|c| c["error_code"] == "RequestLimitExceeded").count()
}

#[test]
fn three_hundred_bindings_apply_and_destroy_at_parallelism_ten_under_the_real_rate_limit() {
    let emulator = Emulator::start_with(&["--tencent-sub-accounts", "50"]);
    let workspace = Workspace::new(&bindings_config(&emulator, 50));
    workspace.init();

    let started = Instant::now();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    let apply_time = started.elapsed();
    apply.success();
    assert!(apply.stdout.contains("Apply complete! Resources: 300 added, 0 changed, 0 destroyed."), "{}", apply.stdout);
    let state = state_bindings(&workspace);
    assert_eq!(state.len(), 300);
    assert_eq!(state.iter().cloned().collect::<BTreeSet<_>>(), cloud_bindings(&emulator), "state and cloud agree");
    let bound = bound_by_binds(&emulator);
    assert_eq!(bound.len(), 300, "each sub-account bound once, none repeated");
    assert_eq!(bound.into_iter().collect::<BTreeSet<_>>(), cloud_bindings(&emulator));
    let bind_calls = carried_out(&emulator, "BindOrganizationMemberAuthAccount");
    assert!(bind_calls < 300, "concurrent creates under one member and policy share Bind calls: {bind_calls} calls");
    let throttled_on_apply = throttled(&emulator);

    // A refresh of all 300 (a no-change plan) shares one listing per member and policy: six
    // policies of 50 bindings, one page each, where one Describe per binding would be 300.
    let describes_before = emulator.calls("DescribeOrganizationMemberAuthAccounts").len();
    let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false", "-parallelism=10"]);
    assert_eq!(plan.code, 0, "no changes: {}{}", plan.stdout, plan.stderr);
    let refresh_describes = emulator.calls("DescribeOrganizationMemberAuthAccounts").len() - describes_before;
    assert!(refresh_describes <= 6 + 6, "{refresh_describes} Describe calls to refresh 300 bindings of 6 policies");

    let started = Instant::now();
    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    let destroy_time = started.elapsed();
    destroy.success();
    assert!(destroy.stdout.contains("Destroy complete! Resources: 300 destroyed."), "{}", destroy.stdout);
    assert!(cloud_bindings(&emulator).is_empty());
    assert_eq!(carried_out(&emulator, "CancelOrganizationMemberAuthAccount"), 300);
    let throttled_total = throttled(&emulator);
    eprintln!(
        "load: 300 bindings, apply {:.1}s ({bind_calls} Bind calls), refresh {refresh_describes} Describe calls, destroy {:.1}s, throttled answers {throttled_on_apply} on apply, {} on destroy",
        apply_time.as_secs_f64(),
        destroy_time.as_secs_f64(),
        throttled_total - throttled_on_apply
    );
    // Client-side pacing keeps the provider under the limit; the rare throttle left (network
    // jitter bunching requests on arrival) is retried, never an error.
    assert!(throttled_total <= 10, "{throttled_total} calls were throttled: the client-side pacing is not working");
}

#[test]
fn an_interrupted_apply_is_finished_by_the_next_with_no_duplicates_and_no_orphans() {
    let emulator = Emulator::start_with(&["--tencent-sub-accounts", "17"]);
    // 3 members × 2 policies × 17 sub-accounts = 102 bindings.
    let workspace = Workspace::new(&bindings_config(&emulator, 17));
    workspace.init();

    let mut apply =
        workspace.spawn_terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"], &[]);
    // Drain the output as it comes: a full pipe would stall Terraform.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(apply.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(apply.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + Duration::from_secs(60);
    while emulator.calls("BindOrganizationMemberAuthAccount").len() < 25 {
        if Instant::now() >= deadline {
            let _ = apply.kill();
            panic!("the apply never got going: {}{}", stdout.join().unwrap(), stderr.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill").args(["-INT", &apply.id().to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let exit = apply.wait().expect("terraform exits after Ctrl-C");
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    assert!(!exit.success(), "the interrupted apply must not report success: {stdout}");
    assert!(stdout.contains("Interrupt received"), "{stdout}\n{stderr}");

    // Whatever the cloud did before the interrupt is in the state: nothing bound is unrecorded.
    let bound_so_far = cloud_bindings(&emulator);
    let recorded: BTreeSet<String> = state_bindings(&workspace).into_iter().collect();
    assert!(bound_so_far.len() < 102, "the interrupt came too late to test anything");
    assert_eq!(recorded, bound_so_far, "after the interrupt, state and cloud agree");

    let finish = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false", "-parallelism=10"]);
    finish.success();
    let state = state_bindings(&workspace);
    assert_eq!(state.len(), 102);
    assert_eq!(state.iter().cloned().collect::<BTreeSet<_>>(), cloud_bindings(&emulator), "no orphans");
    let binds = emulator.calls("BindOrganizationMemberAuthAccount");
    let refused: Vec<_> =
        binds.iter().filter(|c| !c["error_code"].is_null() && c["error_code"] != "RequestLimitExceeded").collect();
    assert!(refused.is_empty(), "no binding was bound twice: {refused:?}");
    let mut seen = std::collections::BTreeMap::new();
    for id in bound_by_binds(&emulator) {
        *seen.entry(id).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    if !twice.is_empty() {
        let all = emulator.admin("GET", "calls", None);
        let log: Vec<String> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {} {} {} {}", c["seq"], c["action"], c["params"], c["error_code"], c["fault"]))
            .collect();
        panic!("bound twice: {twice:?}\nINTERRUPTED:\n{stdout}\nLOG:\n{}", log.join("\n"));
    }
    assert_eq!(seen.len(), 102);
    // Bindings made before the interrupt were recorded whole, not tainted: nothing was replaced.
    assert!(emulator.calls("CancelOrganizationMemberAuthAccount").is_empty(), "a binding was detached and bound again");
}
