//! Provider-wide behaviour through the real Terraform CLI: replacement plans, environment
//! credentials, data sources, Ctrl-C (StopProvider) and debug/reattach mode.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Emulator, REQUIRED_PROVIDERS, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace, tencent_provider};

fn binding(name: &str, member: u64, policy: u64, sub: u64) -> String {
    format!(
        "resource \"tether_member_auth_binding\" \"{name}\" {{\n  member_uin          = {member}\n  policy_id           = {policy}\n  org_sub_account_uin = {sub}\n}}\n"
    )
}

#[test]
fn changing_a_key_plans_a_replacement_that_cancels_then_binds() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("x", 100000000101, 1001, 200000000006)].concat());
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();

    workspace.write_config(&[tencent_provider(&emulator), binding("x", 100000000101, 1001, 200000000007)].concat());
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.success();
    assert!(plan.stdout.contains("tether_member_auth_binding.x must be replaced"), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("~ org_sub_account_uin      = 200000000006 -> 200000000007 # forces replacement"),
        "{}",
        plan.stdout
    );
    // The new ID follows from the keys, so the plan shows it instead of "known after apply".
    assert!(
        plan.stdout.contains(
            "~ id                       = \"100000000101/1001/200000000006\" -> \"100000000101/1001/200000000007\""
        ),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("~ org_sub_account_name     = \"ops-frank\" -> (known after apply)"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{}", plan.stdout);

    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0]["params"],
        json!({"MemberUin": 100000000101u64, "PolicyId": 1001, "OrgSubAccountUin": 200000000006u64})
    );
    let binds = emulator.calls("BindOrganizationMemberAuthAccount");
    assert_eq!(binds.len(), 2);
    assert_eq!(binds[1]["params"]["OrgSubAccountUins"], json!([200000000007u64]));
    // Destroy-then-create: the Cancel came before the second Bind.
    assert!(cancels[0]["seq"].as_u64() < binds[1]["seq"].as_u64());
    let resources = workspace.state_resources();
    assert_eq!(resources[0]["values"]["org_sub_account_name"], "ops-grace");
}

#[test]
fn credentials_come_from_the_official_environment_variables() {
    let emulator = Emulator::start();
    let config = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  tencentcloud {{\n    endpoint = \"{}\"\n  }}\n}}\n{}",
        emulator.endpoint(),
        binding("x", 100000000103, 1002, 200000000008)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let env = [("TENCENTCLOUD_SECRET_ID", TENCENT_SECRET_ID), ("TENCENTCLOUD_SECRET_KEY", TENCENT_SECRET_KEY)];
    let apply = workspace.terraform_with_env(&["apply", "-auto-approve", "-no-color", "-input=false"], &env);
    apply.success();
    assert!(!apply.combined().contains(TENCENT_SECRET_KEY));
    assert_eq!(emulator.calls("BindOrganizationMemberAuthAccount").len(), 1);
    workspace.terraform_with_env(&["destroy", "-auto-approve", "-no-color", "-input=false"], &env).success();
    assert_eq!(emulator.calls("CancelOrganizationMemberAuthAccount").len(), 1);
}

#[test]
fn secrets_are_sensitive_in_the_provider_schema() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&tencent_provider(&emulator));
    workspace.init();
    let run = workspace.terraform(&["providers", "schema", "-json"]);
    run.success();
    let schema: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let provider = &schema["provider_schemas"]["registry.terraform.io/tether/tether"];
    let tencent = &provider["provider"]["block"]["block_types"]["tencentcloud"];
    assert_eq!(tencent["nesting_mode"], "single");
    for secret in ["secret_id", "secret_key", "security_token"] {
        assert_eq!(tencent["block"]["attributes"][secret]["sensitive"], true, "{secret}");
    }
    assert_eq!(tencent["block"]["attributes"]["endpoint"]["sensitive"], json!(null));
    let binding = &provider["resource_schemas"]["tether_member_auth_binding"]["block"]["attributes"];
    assert_eq!(binding["member_uin"]["type"], "number");
    assert_eq!(binding["member_uin"]["required"], true);
    assert!(provider["data_source_schemas"]["tether_member_policies"].is_object());
}

#[test]
fn member_policies_data_source_lists_every_policy() {
    let emulator = Emulator::start();
    let config = format!(
        "{}data \"tether_member_policies\" \"data_platform\" {{\n  member_uin = 100000000102\n}}\noutput \"names\" {{\n  value = [for p in data.tether_member_policies.data_platform.policies : \"${{p.policy_id}}:${{p.policy_name}}:${{p.identity_role_alias_name}}\"]\n}}\n",
        tencent_provider(&emulator)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    let output = workspace.terraform(&["output", "-json", "names"]);
    output.success();
    let names: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(names, json!(["1001:admin-access:admin", "1002:readonly-access:readonly", "1003:billing:finance"]));
    let calls = emulator.calls("DescribeOrganizationMemberPolicies");
    assert!(!calls.is_empty());
    assert_eq!(calls[0]["params"]["MemberUin"], 100000000102u64);
    assert_eq!(calls[0]["params"]["Limit"], 50);

    // An unknown member is an error naming the cloud's code, not an empty list.
    workspace.write_config(&config.replace("100000000102", "100000000999"));
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false"]);
    plan.failure();
    assert!(plan.combined().contains("ResourceNotFound.MemberNotExist"), "{}", plan.combined());
}

#[test]
fn ctrl_c_stops_a_slow_refresh_promptly() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("x", 100000000101, 1002, 200000000009)].concat());
    workspace.init();
    workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]).success();
    // Every Describe now hangs for a minute.
    emulator.admin(
        "POST",
        "faults",
        Some(&json!({"cloud": "tencent", "action": "DescribeOrganizationMemberAuthAccounts", "kind": "latency", "latency_ms": 60000, "count": 0})),
    );
    let mut plan = workspace.spawn_terraform(&["plan", "-no-color", "-input=false"], &[]);
    // Wait until the provider is inside the hanging Describe (the fault has fired).
    let deadline = Instant::now() + Duration::from_secs(30);
    while emulator.admin("GET", "faults", None)[0]["fired"].as_u64() < Some(1) {
        assert!(Instant::now() < deadline, "refresh never reached Describe");
        std::thread::sleep(Duration::from_millis(100));
    }
    let interrupted = Instant::now();
    let status = Command::new("kill").args(["-INT", &plan.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = interrupted + Duration::from_secs(15);
    let code = loop {
        if let Some(status) = plan.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = plan.kill();
            panic!("terraform plan did not stop within 15 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let elapsed = interrupted.elapsed();

    let output = plan.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert_ne!(code, Some(0), "{text}");
    assert!(text.contains("Interrupt received"), "{text}");
    // The provider abandoned the hanging call on StopProvider (not Terraform killing it later).
    assert!(text.contains("Error: Operation cancelled"), "{text}");
    assert!(text.contains("StopProvider"), "{text}");
    assert!(elapsed < Duration::from_secs(5), "stopping took {elapsed:?}: {text}");
    // The interrupted refresh must not have dropped the binding from state.
    emulator.admin("DELETE", "faults", None);
    assert_eq!(workspace.state_resources().len(), 1);
}

#[test]
fn debug_mode_serves_terraform_through_reattach() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("x", 100000000103, 1001, 200000000010)].concat());
    let mut provider = Command::new(env!("CARGO_BIN_EXE_terraform-provider-tether"))
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reattach = None;
    for line in BufReader::new(provider.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS=") {
            reattach = Some(value.trim_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("debug mode prints TF_REATTACH_PROVIDERS");
    let parsed: serde_json::Value = serde_json::from_str(&reattach).unwrap();
    let entry = &parsed["registry.terraform.io/tether/tether"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], provider.id());
    assert_eq!(entry["Test"], true);

    let env = [("TF_REATTACH_PROVIDERS", reattach.as_str())];
    workspace.terraform_with_env(&["init", "-no-color", "-input=false"], &env).success();
    let apply = workspace.terraform_with_env(&["apply", "-auto-approve", "-no-color", "-input=false"], &env);
    apply.success();
    assert_eq!(emulator.calls("BindOrganizationMemberAuthAccount").len(), 1);
    // Terraform leaves a reattached provider running.
    assert!(provider.try_wait().unwrap().is_none());
    let _ = Command::new("kill").args(["-INT", &provider.id().to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "debug provider ignored Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_run_is_traced_and_scanned_for_secrets() {
    // The scanner knows every fixture credential and the shapes of signatures and sessions...
    assert_eq!(support::find_secret(&format!("x {TENCENT_SECRET_KEY} y")).as_deref(), Some("the Tencent SecretKey"));
    assert_eq!(support::find_secret("Authorization: TC3-HMAC-SHA256 Credential=x, SignedHeaders=y, Signature=2ed4e5f0b1c3d5e7f9a1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5").as_deref(), Some("a request signature"));
    assert_eq!(
        support::find_secret("Authorization: OAuth 0b7c3d2e1f8a4b6c9d0e1f2a3b4c5d61").as_deref(),
        Some("a ZStack session id")
    );
    assert_eq!(support::find_secret("secret_key = (sensitive value)"), None);
    // ...and a real run through all three clouds writes a TRACE log, which the harness scanned.
    let emulator = Emulator::start();
    let config = format!(
        "{}{}\nresource \"tether_iam2_project_organization\" \"p\" {{\n  project_uuid      = \"6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01\"\n  organization_uuid = \"7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03\"\n}}\n",
        support::tencent_provider(&emulator).replace(
            "provider \"tether\" {\n",
            &format!("provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n  }}\n", emulator.endpoint())
        ),
        binding("x", 100000000103, 1002, 200000000008)
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    assert!(apply.trace_log.contains("[TRACE]"), "no TRACE log was written");
    // The provider logs hclog JSON, which go-plugin parses into Terraform's own log lines:
    // message, then the fields (never the raw JSON).
    let provider_lines: Vec<&str> =
        apply.trace_log.lines().filter(|l| l.contains("provider.terraform-provider-tether_v")).collect();
    assert!(!provider_lines.iter().any(|l| l.contains("{\"@level\"")), "a provider line was not parsed as hclog JSON");
    let bind = &emulator.calls("BindOrganizationMemberAuthAccount")[0];
    let request_id = bind["request_id"].as_str().unwrap();
    let logged =
        |parts: &[&str]| provider_lines.iter().any(|l| l.contains("[DEBUG]") && parts.iter().all(|p| l.contains(p)));
    assert!(
        logged(&[
            "cloud API call succeeded:",
            "action=BindOrganizationMemberAuthAccount",
            &format!("request_id={request_id}"),
            "cloud=\"Tencent Cloud\""
        ]),
        "{}",
        provider_lines.join("\n")
    );
    assert!(
        logged(&["cloud API response:", "action=BindOrganizationMemberAuthAccount", "status=200", "elapsed_ms="]),
        "{}",
        provider_lines.join("\n")
    );
    // The provider's own log (each API call at debug) is part of what was scanned.
    for action in ["BindOrganizationMemberAuthAccount", "LogInByAccount", "AttachIAM2ProjectToIAM2Organization"] {
        assert!(
            apply.trace_log.contains(&format!("action={action}")),
            "the provider's log of {action} is missing from the TRACE log"
        );
    }
    assert_eq!(emulator.calls("AttachIAM2ProjectToIAM2Organization").len(), 1);
    workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
}

/// The provider advertises `get_provider_schema_optional`, so Terraform 1.15 asks one provider
/// process of a run for the schema and answers every later one from its cache
/// (`providers.SchemaCache`, internal/plugin6/grpc_provider.go).
#[test]
fn terraform_asks_for_the_schema_once_per_run() {
    let emulator = Emulator::start();
    let workspace =
        Workspace::new(&[tencent_provider(&emulator), binding("x", 100000000101, 1001, 200000000009)].concat());
    workspace.init();
    let apply = workspace.terraform(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    apply.success();
    let count = |text: &str| apply.trace_log.lines().filter(|l| l.trim_end().ends_with(text)).count();
    let asked = count("GRPCProvider.v6: GetProviderSchema");
    let cached = apply.trace_log.lines().filter(|l| l.contains("GRPCProvider.v6: returning cached schema")).count();
    let started = apply.trace_log.lines().filter(|l| l.contains("plugin started")).count();
    assert_eq!(
        asked, 1,
        "GetProviderSchema calls in one apply ({started} provider processes, {cached} cached answers)"
    );
    assert!(started >= 2 && cached >= 1, "{started} provider processes, {cached} cached answers");
    eprintln!("one apply: {started} provider processes, 1 GetProviderSchema, {cached} answers from the cache");
}
