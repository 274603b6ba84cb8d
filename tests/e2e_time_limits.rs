//! Time limits and Ctrl-C through the real Terraform, on Tencent Cloud bindings and the
//! provider-wide limits: every operation ends by its deadline (the resource's `timeouts`, or
//! the provider's `read_timeout` / `write_timeout`) against an endpoint that accepts connections
//! and never answers; Terraform exits within seconds of SIGINT; and what an interrupted or
//! timed-out write leaves in the state lets the next plain apply converge.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;

const MEMBER: u64 = 100000000101;

fn binding(name: &str, sub: u64) -> String {
    format!(
        "resource \"tether_member_auth_binding\" \"{name}\" {{\n  member_uin          = {MEMBER}\n  policy_id           = 1001\n  org_sub_account_uin = {sub}\n}}\n"
    )
}

/// The emulator's Tencent provider block, reached through `endpoint`, with provider-wide limits.
fn provider(emulator: &Emulator, endpoint: &str, limits: &str) -> String {
    tencent_provider(emulator)
        .replace(&emulator.endpoint(), endpoint)
        .replace("provider \"tether\" {\n", &format!("provider \"tether\" {{\n{limits}"))
}

/// The bindings the emulator holds, as `member/policy/sub` IDs.
fn cloud_bindings(emulator: &Emulator) -> Vec<String> {
    let state = emulator.state();
    let mut ids: Vec<String> = state["tencent"]["organization"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| format!("{}/{}/{}", b["member_uin"], b["policy_id"], b["sub_account_uin"]))
        .collect();
    ids.sort();
    ids
}

/// The calls of `action` the emulator received that it answered (a call cut off by a hung
/// proxy never arrives).
fn count(emulator: &Emulator, action: &str) -> usize {
    emulator.calls(action).len()
}

fn tainted(workspace: &Workspace) -> bool {
    let show = workspace.terraform(&["show", "-json", "-no-color"]);
    show.success();
    let state: serde_json::Value = serde_json::from_str(&show.stdout).unwrap();
    state["values"]["root_module"]["resources"].as_array().into_iter().flatten().any(|r| r["tainted"] == json!(true))
}

/// `text` with every run of whitespace made one space: Terraform wraps diagnostics.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn timed(workspace: &Workspace, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = workspace.terraform(args);
    (run, started.elapsed())
}

/// Terraform exited within a few seconds of SIGINT (the promise), and how soon, for BENCHMARKS.md.
fn exited_promptly(stopped: &Interrupted) {
    assert!(
        stopped.exit_after < Duration::from_secs(6),
        "exited {:?} after SIGINT:\n{}",
        stopped.exit_after,
        stopped.output
    );
    eprintln!("Ctrl-C: terraform exited {:?} after SIGINT", stopped.exit_after);
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];

#[test]
fn a_hung_endpoint_fails_every_operation_at_its_limit_and_the_next_apply_converges() {
    let emulator = Emulator::start();
    let proxy = HangingProxy::start(&emulator.address);
    proxy.hang();
    let limits = "  read_timeout  = \"6s\"\n  write_timeout = \"12s\"\n";
    let data = "data \"tether_member_policies\" \"p\" {\n  member_uin = 100000000101\n}\n";
    let workspace = Workspace::new(&[provider(&emulator, &proxy.endpoint(), limits), data.to_string()].concat());
    workspace.init();

    // A data source (a read): the provider's read_timeout, 6 s — not 5 tries of a 60 s request.
    let (plan, took) = timed(&workspace, &["plan", "-no-color", "-input=false"]);
    plan.failure();
    let text = flat(&plan.combined());
    assert!(text.contains("Operation timed out"), "{text}");
    assert!(text.contains("did not finish within 6s (the provider's read_timeout)"), "{text}");
    assert!(took < Duration::from_secs(16), "the read took {took:?}");
    assert!(proxy.held() >= 1);
    eprintln!("hung endpoint, data source with read_timeout = 6s: plan failed after {took:?}");

    // A create: the Bind hangs until write_timeout; its outcome cannot be read either, so the
    // binding is recorded, unconfirmed, and Terraform taints it (the apply failed).
    workspace.write_config(&[provider(&emulator, &proxy.endpoint(), limits), binding("x", 200000000006)].concat());
    let (apply, took) = timed(&workspace, APPLY);
    apply.failure();
    let text = flat(&apply.combined());
    assert!(text.contains("Error: Operation timed out"), "{text}");
    assert!(text.contains("within 12s (the provider's write_timeout), so Tencent Cloud BindOrganizationMemberAuthAccount was abandoned"), "{text}");
    assert!(text.contains("The binding 100000000101/1001/200000000006 is recorded in the state, marked unconfirmed, and Terraform marks it tainted"), "{text}");
    assert!(text.contains("terraform untaint"), "{text}");
    assert!(took < Duration::from_secs(24), "the create took {took:?}");
    eprintln!("hung endpoint, create with write_timeout = 12s: apply failed after {took:?}");
    assert_eq!(workspace.state_resources().len(), 1);
    assert!(tainted(&workspace));
    assert_eq!(count(&emulator, "BindOrganizationMemberAuthAccount"), 0, "nothing reached the cloud");

    // The endpoint recovers: the next plain apply confirms the binding is not there (the hung
    // Bind never arrived), forgets it and binds it once.
    proxy.pass();
    workspace.terraform(APPLY).success();
    assert_eq!(cloud_bindings(&emulator), ["100000000101/1001/200000000006"]);
    assert_eq!(count(&emulator, "BindOrganizationMemberAuthAccount"), 1);
    assert!(!tainted(&workspace));

    // A destroy against the hung endpoint ends at write_timeout and keeps the binding in state.
    proxy.hang();
    let (destroy, took) =
        timed(&workspace, &["destroy", "-auto-approve", "-no-color", "-input=false", "-refresh=false"]);
    destroy.failure();
    let text = flat(&destroy.combined());
    assert!(text.contains("Operation timed out"), "{text}");
    assert!(text.contains("within 12s (the provider's write_timeout), so Tencent Cloud CancelOrganizationMemberAuthAccount was abandoned"), "{text}");
    assert!(took < Duration::from_secs(24), "the destroy took {took:?}");
    eprintln!("hung endpoint, destroy with write_timeout = 12s: destroy failed after {took:?}");
    assert_eq!(workspace.state_resources().len(), 1, "a destroy whose outcome is unknown keeps the object");
    proxy.pass();
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(cloud_bindings(&emulator).is_empty());
    assert_eq!(count(&emulator, "CancelOrganizationMemberAuthAccount"), 1);

    // An import reads: read_timeout.
    proxy.hang();
    let (import, took) = timed(
        &workspace,
        &["import", "-no-color", "-input=false", "tether_member_auth_binding.x", "100000000101/1001/200000000006"],
    );
    import.failure();
    assert!(
        flat(&import.combined()).contains("did not finish within 6s (the provider's read_timeout)"),
        "{}",
        import.combined()
    );
    assert!(took < Duration::from_secs(16), "the import took {took:?}");
    eprintln!("hung endpoint, import with read_timeout = 6s: failed after {took:?}");

    // A `terraform query` list reads too: it ends with an error, never as a short, silent list.
    workspace.write_file("bindings.tfquery.hcl", &format!("list \"tether_member_auth_binding\" \"all\" {{\n  provider = tether\n  config {{\n    member_uin = {MEMBER}\n  }}\n}}\n"));
    let (query, took) = timed(&workspace, &["query", "-no-color"]);
    query.failure();
    let text = flat(&query.combined());
    assert!(text.contains("Operation timed out"), "{text}");
    assert!(text.contains("did not finish within 6s (the provider's read_timeout), so Tencent Cloud DescribeOrganizationMemberPolicies was abandoned"), "{text}");
    assert!(took < Duration::from_secs(16), "the query took {took:?}");
    eprintln!("hung endpoint, terraform query with read_timeout = 6s: failed after {took:?}");
}

#[test]
fn a_refused_connection_fails_fast_and_is_not_an_unknown_outcome() {
    let emulator = Emulator::start();
    // Bind, then close: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let workspace =
        Workspace::new(&[provider(&emulator, &format!("http://{closed}"), ""), binding("x", 200000000007)].concat());
    workspace.init();
    let (apply, took) = timed(&workspace, APPLY);
    apply.failure();
    let text = flat(&apply.combined());
    assert!(text.contains("Could not bind the sub-account"), "{text}");
    assert!(text.contains("cannot connect to"), "{text}");
    assert!(
        !text.contains("unknown") && !text.contains("unconfirmed"),
        "nothing was sent, so nothing is ambiguous: {text}"
    );
    // Not retried (nothing listens there), not the five retries with backoff a lost answer
    // gets; the time is Terraform's own start-up and plan.
    assert!(took < Duration::from_secs(8), "took {took:?}");
    eprintln!("refused connection, create: apply failed after {took:?}");
    assert!(workspace.state_resources().is_empty(), "nothing recorded");
}

#[test]
fn ctrl_c_ends_a_run_in_seconds_and_the_next_apply_converges() {
    let emulator = Emulator::start();
    let proxy = HangingProxy::start(&emulator.address);
    let config = [provider(&emulator, &proxy.endpoint(), ""), binding("a", 200000000008)].concat();
    let workspace = Workspace::new(&config);
    workspace.init();

    // 1. The endpoint hangs from the first call: the Bind is in flight when Ctrl-C comes, and
    // the read that should tell what it did hangs too. Terraform exits within the 3 s the
    // provider gives that read; the binding is recorded, unconfirmed, and not tainted.
    proxy.hang();
    let held = proxy.held();
    let stopped = interrupt_when(&workspace, APPLY, || proxy.held() > held, Duration::from_secs(15));
    exited_promptly(&stopped);
    assert_ne!(stopped.code, Some(0));
    assert!(
        flat(&stopped.output).contains(
            "Warning: Create interrupted while Tencent Cloud BindOrganizationMemberAuthAccount was in flight"
        ) && flat(&stopped.output)
            .contains("The binding 100000000101/1001/200000000008 is recorded in the state, marked unconfirmed."),
        "{}",
        stopped.output
    );
    assert_eq!(workspace.state_resources().len(), 1);
    assert!(!tainted(&workspace), "an interrupted write is not tainted: the next apply must not replace it");

    // The endpoint recovers; the hung Bind never arrived. The next plain apply confirms that,
    // and binds once.
    proxy.pass();
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(!apply.combined().contains("Warning: Not recording"), "{}", apply.combined());
    assert_eq!(cloud_bindings(&emulator), ["100000000101/1001/200000000008"]);
    assert_eq!(count(&emulator, "BindOrganizationMemberAuthAccount"), 1);
    assert_eq!(count(&emulator, "CancelOrganizationMemberAuthAccount"), 0);

    // 2. The Bind takes effect but its answer is lost, and the read after it hangs: Ctrl-C
    // while it hangs. The binding the cloud made is recorded, and the next apply keeps it: no
    // second Bind, no Cancel, no changes.
    workspace.write_config(&[config.clone(), binding("b", 200000000009)].concat());
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "tencent", "action": "BindOrganizationMemberAuthAccount", "kind": "drop_after"})),
    );
    emulator.admin("POST", "faults", Some(&json!({"cloud": "tencent", "action": "DescribeOrganizationMemberAuthAccounts", "kind": "latency", "latency_ms": 120000, "count": 0})));
    let fired = || {
        emulator
            .admin("GET", "faults", None)
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["action"] == "DescribeOrganizationMemberAuthAccounts" && f["fired"].as_u64() > Some(0))
    };
    let stopped = interrupt_when(
        &workspace,
        &["apply", "-auto-approve", "-no-color", "-input=false", "-refresh=false"],
        fired,
        Duration::from_secs(15),
    );
    exited_promptly(&stopped);
    assert!(
        flat(&stopped.output).contains("Warning: Outcome of Tencent Cloud BindOrganizationMemberAuthAccount unknown")
            && flat(&stopped.output)
                .contains("The binding 100000000101/1001/200000000009 is recorded in the state, marked unconfirmed."),
        "{}",
        stopped.output
    );
    emulator.admin("DELETE", "faults", None);
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(
        apply.stdout.contains("No changes") || apply.stdout.contains("0 added, 0 changed, 0 destroyed"),
        "{}",
        apply.stdout
    );
    assert_eq!(cloud_bindings(&emulator), ["100000000101/1001/200000000008", "100000000101/1001/200000000009"]);
    assert_eq!(count(&emulator, "BindOrganizationMemberAuthAccount"), 2, "bound once each");
    assert_eq!(count(&emulator, "CancelOrganizationMemberAuthAccount"), 0);
    let recorded: Vec<String> =
        workspace.state_resources().iter().map(|r| r["values"]["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(recorded.len(), 2, "{recorded:?}");

    // 3. Ctrl-C while a destroy's Cancel hangs: Terraform exits at once and the bindings stay in
    // state; the next destroy reads first and finishes.
    proxy.hang();
    let held = proxy.held();
    let stopped = interrupt_when(
        &workspace,
        &["destroy", "-auto-approve", "-no-color", "-input=false", "-refresh=false"],
        || proxy.held() > held,
        Duration::from_secs(15),
    );
    exited_promptly(&stopped);
    assert!(flat(&stopped.output).contains("Operation cancelled"), "{}", stopped.output);
    proxy.pass();
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    assert!(cloud_bindings(&emulator).is_empty());
    assert!(workspace.state_resources().is_empty());
}
