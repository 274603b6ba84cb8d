//! `tether_organization_revoke_sub_account` end to end (Terraform 1.14+): the offboarding of one
//! Tencent Cloud sub-account. `terraform plan -invoke` lists exactly the bindings the
//! invocation will cancel and writes nothing; `terraform apply -invoke` cancels exactly those,
//! one call and one progress line each, and other sub-accounts keep theirs; `member_uins` and
//! `policy_ids` narrow it (and a member that does not exist is an error); a failure mid-way
//! names the API and RequestId and says what was and was not cancelled; the timeout ends it
//! promptly.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Emulator, Run, Workspace, block_on, tencent_client, tencent_provider};

const REVOKE: &str = "tether_organization_revoke_sub_account.offboard_alice";
const CANCEL: &str = "CancelOrganizationMemberAuthAccount";

const ALICE: u64 = 200000000001;
const BOB: u64 = 200000000002;
const CAROL: u64 = 200000000003;
const FINANCE_PROD: u64 = 100000000101;
const DATA_PLATFORM: u64 = 100000000102;
const SANDBOX: u64 = 100000000103;
const ADMIN: u64 = 1001;
const READONLY: u64 = 1002;
const BILLING: u64 = 1003;

fn example() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/actions/tether_organization_revoke_sub_account/action.tf");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The example with `extra` added to its `config` block (after the sub-account's UIN).
fn example_with(extra: &str) -> String {
    let anchor = "org_sub_account_uin = 200000000001 # ops-alice\n";
    let example = example();
    assert!(example.contains(anchor), "{example}");
    example.replace(anchor, &format!("{anchor}{extra}\n"))
}

/// Binds the sub-accounts to the member's policy, outside Terraform.
fn bind(emulator: &Emulator, member: u64, policy: u64, subs: &[u64]) {
    block_on(tencent_client(emulator).bind_member_auth_accounts(member, policy, subs)).unwrap();
}

/// Every binding in the emulator, as `member/policy/sub-account`, sorted.
fn bindings(emulator: &Emulator) -> Vec<String> {
    let mut all: Vec<String> = emulator.state()["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect();
    all.sort();
    all
}

fn all_calls(emulator: &Emulator) -> Vec<serde_json::Value> {
    emulator.admin("GET", "calls", None).as_array().expect("calls is an array").clone()
}

/// The actions called since the audit log held `since` entries.
fn actions_since(emulator: &Emulator, since: usize) -> Vec<String> {
    all_calls(emulator)[since..].iter().map(|c| c["action"].as_str().unwrap_or_default().to_string()).collect()
}

fn count(actions: &[String], action: &str) -> usize {
    actions.iter().filter(|a| *a == action).count()
}

/// The (MemberUin, PolicyId, OrgSubAccountUin) of every Cancel call, in order.
fn cancels(emulator: &Emulator) -> Vec<(u64, u64, u64)> {
    emulator
        .calls(CANCEL)
        .iter()
        .map(|c| {
            let p = &c["params"];
            (p["MemberUin"].as_u64().unwrap(), p["PolicyId"].as_u64().unwrap(), p["OrgSubAccountUin"].as_u64().unwrap())
        })
        .collect()
}

fn invoke(workspace: &Workspace, command: &str) -> Run {
    let target = format!("-invoke=action.{REVOKE}");
    let mut args = vec![command, target.as_str(), "-no-color", "-input=false"];
    if command == "apply" {
        args.push("-auto-approve");
    }
    workspace.terraform(&args)
}

/// The progress lines Terraform printed for the action, without its prefix.
fn progress(run: &Run) -> Vec<String> {
    let prefix = format!("Action action.{REVOKE}");
    run.stdout
        .lines()
        .filter(|l| l.starts_with(&prefix) && !l.contains("Action started") && !l.contains("Action complete"))
        .filter_map(|l| l.split_once(": ").map(|(_, message)| message.to_string()))
        .collect()
}

fn workspace(emulator: &Emulator, action: &str) -> Workspace {
    let workspace = Workspace::new(&[tencent_provider(emulator), action.to_string()].concat());
    workspace.init();
    workspace
}

#[test]
fn revoke_lists_every_binding_cancels_exactly_those_and_then_finds_nothing() {
    let emulator = Emulator::start();
    // ops-alice: 4 bindings on 3 members. Bob and Carol share some of those policies and keep
    // their bindings.
    bind(&emulator, FINANCE_PROD, ADMIN, &[ALICE, BOB]);
    bind(&emulator, FINANCE_PROD, READONLY, &[ALICE]);
    bind(&emulator, DATA_PLATFORM, BILLING, &[BOB, ALICE]);
    bind(&emulator, DATA_PLATFORM, ADMIN, &[CAROL]);
    bind(&emulator, SANDBOX, READONLY, &[CAROL, ALICE]);
    let survivors = [
        format!("{FINANCE_PROD}/{ADMIN}/{BOB}"),
        format!("{DATA_PLATFORM}/{ADMIN}/{CAROL}"),
        format!("{DATA_PLATFORM}/{BILLING}/{BOB}"),
        format!("{SANDBOX}/{READONLY}/{CAROL}"),
    ];
    let workspace = workspace(&emulator, &example());

    let before = all_calls(&emulator).len();
    let plan = invoke(&workspace, "plan");
    plan.success();
    let text = plan.text();
    assert!(
        text.contains("Invoking calls Tencent Cloud CancelOrganizationMemberAuthAccount for 4 bindings of sub-account ops-alice (200000000001)")
            && text.contains(
                "Tencent Cloud CancelOrganizationMemberAuthAccount once per binding below (OrgSubAccountUin 200000000001 with its MemberUin and PolicyId): cancels all 4 auth bindings of sub-account ops-alice (200000000001) on 3 member accounts (read from every member account of the organization (3 listed), every access policy of each), so it can no longer log in to them with these policies: \
                 - member finance-prod (100000000101), policy admin-access (1001) \
                 - member finance-prod (100000000101), policy readonly-access (1002) \
                 - member data-platform (100000000102), policy billing (1003) \
                 - member sandbox (100000000103), policy readonly-access (1002) \
                 If a tether resource manages this binding"
            ),
        "{text}"
    );
    assert!(text.contains("Actions: 1 to invoke."), "{text}");
    // What the preview read: the members (one page), each member's policies, and each of the 7
    // policies' bindings (one page each; none holds more than 50). Nothing else.
    let reads = actions_since(&emulator, before);
    assert_eq!(count(&reads, "DescribeOrganizationMembers"), 1, "{reads:?}");
    assert_eq!(count(&reads, "DescribeOrganizationMemberPolicies"), 3, "{reads:?}");
    assert_eq!(count(&reads, "DescribeOrganizationMemberAuthAccounts"), 7, "{reads:?}");
    assert_eq!(reads.len(), 11, "a plan writes nothing: {reads:?}");

    let before = all_calls(&emulator).len();
    let apply = invoke(&workspace, "apply");
    apply.success();
    assert_eq!(
        progress(&apply),
        [
            "Found 4 bindings of sub-account ops-alice (200000000001) on 3 members",
            "Cancelled: member finance-prod (100000000101), policy admin-access (1001) (1/4)",
            "Cancelled: member finance-prod (100000000101), policy readonly-access (1002) (2/4)",
            "Cancelled: member data-platform (100000000102), policy billing (1003) (3/4)",
            "Cancelled: member sandbox (100000000103), policy readonly-access (1002) (4/4)",
            "Done: cancelled 4 bindings of sub-account ops-alice (200000000001).",
        ],
        "{}",
        apply.stdout
    );
    assert_eq!(
        cancels(&emulator),
        [
            (FINANCE_PROD, ADMIN, ALICE),
            (FINANCE_PROD, READONLY, ALICE),
            (DATA_PLATFORM, BILLING, ALICE),
            (SANDBOX, READONLY, ALICE)
        ]
    );
    let calls = actions_since(&emulator, before);
    // `apply -invoke` plans the action again (the same 11 reads), then the invocation reads
    // again and sends one Cancel per binding: nothing else.
    let sorted = |calls: &[String]| {
        let mut calls = calls.to_vec();
        calls.sort();
        calls
    };
    assert_eq!(sorted(&calls[..11]), sorted(&reads), "{calls:?}");
    assert_eq!(sorted(&calls[11..22]), sorted(&reads), "{calls:?}");
    assert_eq!(calls[22..], [CANCEL; 4], "{calls:?}");
    assert_eq!(bindings(&emulator), survivors, "the other sub-accounts keep their bindings");
    assert!(workspace.state_resources().is_empty(), "an action changes no state");

    // Done: a second invocation finds nothing and calls nothing.
    let again = invoke(&workspace, "apply");
    again.success();
    assert!(
        again.text().contains("Nothing to revoke for sub-account 200000000001 with action.tether_organization_revoke_sub_account.offboard_alice")
            && again.text().contains("Sub-account 200000000001 has no member auth binding on every member account of the organization (3 listed), every access policy of each, so invoking the action calls nothing."),
        "{}",
        again.text()
    );
    assert_eq!(
        progress(&again),
        [
            "Already detached: sub-account 200000000001 has no member auth binding on every member account of the organization (3 listed), every access policy of each; nothing to call."
        ]
    );
    assert_eq!(cancels(&emulator).len(), 4);
    assert_eq!(bindings(&emulator), survivors);
}

#[test]
fn member_uins_and_policy_ids_narrow_it_and_a_member_that_does_not_exist_is_an_error() {
    let emulator = Emulator::start();
    bind(&emulator, FINANCE_PROD, ADMIN, &[ALICE]);
    bind(&emulator, FINANCE_PROD, READONLY, &[ALICE]); // not in policy_ids
    bind(&emulator, DATA_PLATFORM, BILLING, &[ALICE, BOB]);
    bind(&emulator, SANDBOX, ADMIN, &[ALICE]); // not in member_uins
    let workspace = workspace(
        &emulator,
        &example_with("    member_uins         = [100000000101, 100000000199]\n    policy_ids          = [1001, 1003]"),
    );

    // A mistyped member is an error, not "nothing to revoke there", before anything changes.
    let before = all_calls(&emulator).len();
    let plan = invoke(&workspace, "plan");
    plan.failure();
    let text = plan.text();
    let missing = emulator
        .calls("DescribeOrganizationMemberPolicies")
        .into_iter()
        .find(|c| c["params"]["MemberUin"] == json!(100000000199u64))
        .expect("the missing member was read");
    assert!(
        text.contains("Not a member of the organization: 100000000199")
            && text.contains("member_uins names an account that Tencent Cloud does not know as a member of the organization: - Tencent Cloud DescribeOrganizationMemberPolicies failed: ResourceNotFound.MemberNotExist")
            && text.contains(&format!("(RequestId: {})", missing["request_id"].as_str().unwrap()))
            && text.contains("Nothing was cancelled. Correct member_uins, or leave it out to revoke on every member."),
        "{text}"
    );
    assert!(
        actions_since(&emulator, before).iter().all(|a| a.starts_with("Describe")),
        "{:?}",
        actions_since(&emulator, before)
    );

    workspace.write_config(
        &[
            tencent_provider(&emulator),
            example_with(
                "    member_uins         = [100000000101, 100000000102]\n    policy_ids          = [1001, 1003, 1999]",
            ),
        ]
        .concat(),
    );
    let before = all_calls(&emulator).len();
    let apply = invoke(&workspace, "apply");
    apply.success();
    assert_eq!(
        progress(&apply),
        [
            "Found 2 bindings of sub-account ops-alice (200000000001) on 2 members",
            "Cancelled: member 100000000101, policy admin-access (1001) (1/2)",
            "Cancelled: member 100000000102, policy billing (1003) (2/2)",
            "Done: cancelled 2 bindings of sub-account ops-alice (200000000001).",
        ],
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .text()
            .contains("policy billing (1003) policy_ids 1999 is no policy of these members. If a tether resource"),
        "the preview says which policy_ids matched nothing: {}",
        apply.text()
    );
    assert_eq!(cancels(&emulator), [(FINANCE_PROD, ADMIN, ALICE), (DATA_PLATFORM, BILLING, ALICE)]);
    let calls = actions_since(&emulator, before);
    // The plan and the invocation each read: named members are not listed, and of their
    // policies only 1001 of finance-prod and 1001 and 1003 of data-platform are read.
    assert_eq!(count(&calls, "DescribeOrganizationMembers"), 0, "{calls:?}");
    assert_eq!(count(&calls, "DescribeOrganizationMemberPolicies"), 2 * 2, "{calls:?}");
    assert_eq!(count(&calls, "DescribeOrganizationMemberAuthAccounts"), 2 * 3, "{calls:?}");
    assert_eq!(count(&calls, CANCEL), 2, "{calls:?}");
    assert_eq!(
        bindings(&emulator),
        [
            format!("{FINANCE_PROD}/{READONLY}/{ALICE}"),
            format!("{DATA_PLATFORM}/{BILLING}/{BOB}"),
            format!("{SANDBOX}/{ADMIN}/{ALICE}"),
        ]
    );
}

#[test]
fn a_failure_mid_way_names_the_api_and_request_id_and_what_was_and_was_not_cancelled() {
    let emulator = Emulator::start();
    bind(&emulator, FINANCE_PROD, ADMIN, &[ALICE]);
    bind(&emulator, FINANCE_PROD, READONLY, &[ALICE]);
    bind(&emulator, DATA_PLATFORM, BILLING, &[ALICE]);
    let workspace = workspace(&emulator, &example());
    // The first Cancel takes effect but its answer is lost (read back: cancelled); the second is
    // refused. Faults fire in creation order and a spent one no longer matches.
    for fault in [
        json!({"cloud": "tencent", "action": CANCEL, "kind": "drop_after", "count": 1}),
        json!({"cloud": "tencent", "action": CANCEL, "kind": "error", "code": "FailedOperation.OperatePolicy", "message": "boom", "count": 1}),
    ] {
        emulator.admin("POST", "faults", Some(&fault));
    }
    let apply = invoke(&workspace, "apply");
    apply.failure();
    let refused = &emulator.calls(CANCEL)[1];
    assert_eq!(refused["error_code"], "FailedOperation.OperatePolicy", "{refused}");
    let request_id = refused["request_id"].as_str().unwrap();
    let text = apply.text();
    assert!(
        text.contains("Could not cancel the auth binding on member finance-prod (100000000101), policy readonly-access (1002)")
            && text.contains(&format!(
                "Tencent Cloud CancelOrganizationMemberAuthAccount failed: FailedOperation.OperatePolicy: boom (RequestId: {request_id}) \
                 Cancelled before this failure (1 of 3): - member finance-prod (100000000101), policy admin-access (1001) \
                 Not cancelled (2 of 3): - member finance-prod (100000000101), policy readonly-access (1002) \
                 - member data-platform (100000000102), policy billing (1003) \
                 Invoke the action again to finish: it reads the cloud first and calls only what is still bound."
            )),
        "{text}"
    );
    assert_eq!(
        progress(&apply),
        [
            "Found 3 bindings of sub-account ops-alice (200000000001) on 2 members",
            "Cancelled: member finance-prod (100000000101), policy admin-access (1001) (1/3)",
        ],
        "{}",
        apply.stdout
    );
    assert_eq!(
        bindings(&emulator),
        [format!("{FINANCE_PROD}/{READONLY}/{ALICE}"), format!("{DATA_PLATFORM}/{BILLING}/{ALICE}")],
        "the lost answer's cancel took effect; the refused one and the one after it did not"
    );
    assert_eq!(
        cancels(&emulator).len(),
        2,
        "nothing was sent after the refusal, and the lost answer was read, not re-sent"
    );

    // Invoked again, it finishes what is left.
    let again = invoke(&workspace, "apply");
    again.success();
    assert_eq!(progress(&again)[0], "Found 2 bindings of sub-account ops-alice (200000000001) on 2 members");
    assert!(bindings(&emulator).is_empty());
    assert_eq!(cancels(&emulator).len(), 4);
}

#[test]
fn the_timeout_ends_an_invocation_promptly_and_says_what_is_unknown() {
    let emulator = Emulator::start();
    bind(&emulator, FINANCE_PROD, ADMIN, &[ALICE]);
    bind(&emulator, DATA_PLATFORM, BILLING, &[ALICE]);
    let workspace = workspace(&emulator, &example_with("    timeout             = \"3s\""));
    // Every Cancel hangs for two minutes.
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "tencent", "action": CANCEL, "kind": "latency", "latency_ms": 120000, "count": 0})),
    );
    let started = Instant::now();
    let apply = invoke(&workspace, "apply");
    let took = started.elapsed();
    apply.failure();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let text = apply.text();
    assert!(
        text.contains("Operation timed out")
            && text.contains("The operation did not finish within 3s (the action's timeout), so Tencent Cloud CancelOrganizationMemberAuthAccount was abandoned.")
            && text.contains("Cancelled before this failure (0 of 2): - none Outcome unknown (1 of 2): - member finance-prod (100000000101), policy admin-access (1001) Not cancelled (1 of 2): - member data-platform (100000000102), policy billing (1003)")
            && text.contains("The action did not finish"),
        "{text}"
    );
    // The log lists a call once it is answered, two minutes on: the fault counts the arrivals.
    let faults = emulator.admin("GET", "faults", None);
    assert_eq!(faults[0]["fired"], 1, "nothing more was sent after the stop: {faults}");
}
