//! Several Terraform processes at once against one account (issue 14, item 3): each provider
//! process paces itself to Tencent's 20 requests/s per action, so together they send more than
//! the cloud allows. Throttled answers must slow them down and be retried, never fail a run.
//!
//! `processes_apply_then_destroy_at_once_under_the_real_rate_limit` (2 × 60 bindings) runs in the
//! suite; the issue's 4 × 150 is `four_processes_of_150_bindings_each`, also run by default when
//! it fits the suite's time (see BENCHMARKS.md for its figures).

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::{Emulator, Run, Workspace, tencent_provider};

const MEMBERS: [u64; 3] = [100000000101, 100000000102, 100000000103];
const POLICIES: [u64; 2] = [1001, 1002];
const FIRST_SUB_ACCOUNT: u64 = 200000000001;

/// Process `index`'s own bindings: every member and policy with `per_pair` sub-accounts of its
/// own, so no two processes touch the same binding. `max_retries`: the provider's setting, when
/// not its default.
fn config(emulator: &Emulator, index: u64, per_pair: u64, max_retries: Option<u32>) -> String {
    let first = FIRST_SUB_ACCOUNT + index * per_pair;
    let mut provider = tencent_provider(emulator);
    if let Some(max_retries) = max_retries {
        provider = provider.replacen(
            "provider \"tether\" {",
            &format!("provider \"tether\" {{\n  max_retries = {max_retries}"),
            1,
        );
    }
    format!(
        r#"{provider}
locals {{
  bindings = {{
    for triple in setproduct({MEMBERS:?}, {POLICIES:?}, range({first}, {})) :
    "${{triple[0]}}/${{triple[1]}}/${{triple[2]}}" => triple
  }}
}}

resource "tether_member_auth_binding" "run" {{
  for_each            = local.bindings
  member_uin          = each.value[0]
  policy_id           = each.value[1]
  org_sub_account_uin = each.value[2]
}}
"#,
        first + per_pair
    )
}

fn cloud_bindings(emulator: &Emulator) -> BTreeSet<String> {
    emulator.state()["tencent"]["organization"]["bindings"]
        .as_array()
        .expect("bindings")
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect()
}

/// Answers the emulator refused with `RequestLimitExceeded`.
fn throttled(emulator: &Emulator) -> usize {
    let calls = emulator.admin("GET", "calls?cloud=tencent", None);
    calls.as_array().unwrap().iter().filter(|c| c["error_code"] == "RequestLimitExceeded").count()
}

/// Runs `args` in every workspace at the same time; returns each run and the wall time of all.
fn all_at_once(workspaces: &[Workspace], args: &[&str]) -> (Vec<Run>, Duration) {
    let started = Instant::now();
    let runs = std::thread::scope(|scope| {
        let handles: Vec<_> = workspaces.iter().map(|w| scope.spawn(move || w.terraform(args))).collect();
        handles.into_iter().map(|h| h.join().expect("terraform thread")).collect::<Vec<_>>()
    });
    (runs, started.elapsed())
}

/// `processes` workspaces of `per_pair × 6` bindings each apply at once, then destroy at once,
/// against one emulator enforcing Tencent's 20 requests/s per action: every run must succeed.
fn apply_and_destroy_at_once(processes: u64, per_pair: u64, max_retries: Option<u32>) {
    let per_process = per_pair * (MEMBERS.len() * POLICIES.len()) as u64;
    let sub_accounts = (processes * per_pair).to_string();
    let emulator = Emulator::start_with(&["--tencent-rate-limit", "20", "--tencent-sub-accounts", &sub_accounts]);
    let workspaces: Vec<Workspace> =
        (0..processes).map(|i| Workspace::new(&config(&emulator, i, per_pair, max_retries))).collect();
    for workspace in &workspaces {
        workspace.init();
    }
    let args = ["-auto-approve", "-no-color", "-input=false", "-parallelism=10"];

    let (applies, apply_time) = all_at_once(&workspaces, &[&["apply"], &args[..]].concat());
    let failed: Vec<String> = applies.iter().filter(|r| r.code != 0).map(Run::combined).collect();
    assert!(
        failed.is_empty(),
        "{} of {processes} concurrent applies failed:\n{}",
        failed.len(),
        failed.join("\n----\n")
    );
    for run in &applies {
        assert!(run.stdout.contains(&format!("Apply complete! Resources: {per_process} added")), "{}", run.stdout);
    }
    assert_eq!(cloud_bindings(&emulator).len() as u64, processes * per_process);
    let throttled_on_apply = throttled(&emulator);

    let (destroys, destroy_time) = all_at_once(&workspaces, &[&["destroy"], &args[..]].concat());
    let failed: Vec<String> = destroys.iter().filter(|r| r.code != 0).map(Run::combined).collect();
    assert!(
        failed.is_empty(),
        "{} of {processes} concurrent destroys failed:\n{}",
        failed.len(),
        failed.join("\n----\n")
    );
    let total = processes * per_process;
    let binds =
        emulator.calls("BindOrganizationMemberAuthAccount").iter().filter(|c| c["error_code"].is_null()).count();
    let cancels =
        emulator.calls("CancelOrganizationMemberAuthAccount").iter().filter(|c| c["error_code"].is_null()).count();
    // The rate-bound optimum: one Bind takes up to 5 sub-accounts, one Cancel takes one, 20/s each.
    let apply_optimum = total.div_ceil(5) as f64 / 20.0;
    let destroy_optimum = total as f64 / 20.0;
    eprintln!(
        "concurrent runs: {processes} × {per_process} bindings; applies {:.1}s (optimum {apply_optimum:.1}s, {binds} Bind calls), destroys {:.1}s (optimum {destroy_optimum:.1}s, {cancels} Cancel calls); throttled answers {throttled_on_apply} on apply, {} on destroy; 0 failed runs, {} left in the cloud",
        apply_time.as_secs_f64(),
        destroy_time.as_secs_f64(),
        throttled(&emulator) - throttled_on_apply,
        cloud_bindings(&emulator).len(),
    );
    for run in &destroys {
        assert!(
            run.stdout.contains(&format!("Destroy complete! Resources: {per_process} destroyed.")),
            "{}",
            run.stdout
        );
    }
    assert!(cloud_bindings(&emulator).is_empty(), "every binding detached");
    assert_eq!(cancels as u64, total, "one Cancel per binding, none repeated");
}

/// Two processes of 60 bindings, each allowed a single retry: throttled answers (about a hundred
/// here) must not use that retry up. Before adaptive pacing, a Cancel throttled twice failed
/// the destroy.
#[test]
fn processes_apply_then_destroy_at_once_under_the_real_rate_limit() {
    apply_and_destroy_at_once(2, 10, Some(1));
}

/// The issue's figure: 4 processes × 150 bindings, default settings: no run fails on throttling,
/// and every binding is detached. The concurrent destroys' refreshes once missed a few bindings
/// (7 of 600 in one run): offset paging of DescribeOrganizationMemberAuthAccounts while other
/// processes' Cancels remove rows shifts later rows onto pages already read, so a binding read as
/// gone, left the state without a Cancel and stayed in the cloud. Listings now conclude absence
/// only from a consistent backwards run (`src/clouds/tencent/coalesce.rs`; the deterministic test
/// is `a_binding_that_slides_onto_a_page_already_read_is_still_found`). About 75 s.
#[test]
fn four_processes_of_150_bindings_each() {
    apply_and_destroy_at_once(4, 25, None);
}
