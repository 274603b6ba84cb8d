//! Every file under `examples/` is working configuration, checked with the real Terraform against
//! the emulator: the provider example authenticates to all three clouds, each resource example
//! plans, applies, imports with the command its `import.sh` shows and destroys, each data source
//! example reads the fixture, the quickstart plans, the getting-started guide's configuration
//! applies and destroys as the guide says, and the list examples find what exists. The HCL
//! snippets of the hand-written docs are checked to be well-formed.
//!
//! The example text is used as written. Only what cannot be in a real configuration is added:
//! the emulator's endpoint (inserted into the cloud blocks) and values for the variables the
//! examples declare (an `.auto.tfvars` file with the emulator's fixed credentials).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value as Json, json};
use support::{
    Emulator, HW_FINANCE_PROD, HW_MANAGEMENT, HW_NEW_ACQUISITION, REQUIRED_PROVIDERS, Run, TENCENT_SECRET_ID,
    TENCENT_SECRET_KEY, Workspace, block_on, huawei_clients, tencent_client,
};
use tether::clouds::huawei::AssignmentTarget;
use tether::clouds::waiter::PollPolicy;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The subdirectories of `examples/<kind>`, sorted.
fn example_dirs(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(examples().join(kind))
        .unwrap_or_else(|e| panic!("examples/{kind}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name_of(dir: &Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

/// Short asynchronous operations, so applies and destroys take seconds.
fn emulator() -> Emulator {
    Emulator::start_with(&["--huawei-operation-ms", "300", "--huawei-assignment-ms", "200", "--zstack-job-ms", "300"])
}

/// The management account's provider configuration for all three clouds, on the emulator: what
/// the resource and data source examples (which show no provider block) run with.
fn management_provider(emulator: &Emulator) -> String {
    let endpoint = emulator.endpoint();
    format!(
        r#"{REQUIRED_PROVIDERS}
provider "tether" {{
  tencentcloud {{
    secret_id  = "{TENCENT_SECRET_ID}"
    secret_key = "{TENCENT_SECRET_KEY}"
    endpoint   = "{endpoint}"
  }}
  huaweicloud {{
    access_key = "{}"
    secret_key = "{}"
    domain_id  = "{}"
    project_id = "{}"
    endpoints {{
      organizations  = "{endpoint}"
      rgc            = "{endpoint}"
      identitycenter = "{endpoint}"
    }}
  }}
  zstack {{
    endpoint         = "{endpoint}"
    account_name     = "admin"
    account_password = "password"
  }}
}}
"#,
        HW_MANAGEMENT.access_key, HW_MANAGEMENT.secret_key, HW_MANAGEMENT.id, HW_MANAGEMENT.project_id
    )
}

/// Values for every variable the examples declare: the emulator's fixture credentials.
fn tfvars(example: &str) -> String {
    let values = [
        ("tencent_secret_id", TENCENT_SECRET_ID),
        ("tencent_secret_key", TENCENT_SECRET_KEY),
        ("huawei_access_key", HW_MANAGEMENT.access_key),
        ("huawei_secret_key", HW_MANAGEMENT.secret_key),
        ("huawei_domain_id", HW_MANAGEMENT.id),
        ("huawei_project_id", HW_MANAGEMENT.project_id),
        ("zstack_password", "password"),
        ("new_acquisition_access_key", HW_NEW_ACQUISITION.access_key),
        ("new_acquisition_secret_key", HW_NEW_ACQUISITION.secret_key),
    ];
    // Only the declared ones: Terraform warns about values for undeclared variables.
    values
        .iter()
        .filter(|(name, _)| example.contains(&format!("variable \"{name}\"")))
        .map(|(name, value)| format!("{name} = \"{value}\"\n"))
        .collect()
}

/// The example with the emulator as every endpoint: an `endpoint` line in each `tencentcloud`
/// block, an `endpoints` block in each `huaweicloud` block, and the ZStack endpoint replaced.
/// Returns the text and how many cloud blocks were pointed at the emulator.
fn point_at_emulator(example: &str, emulator: &Emulator) -> (String, usize) {
    let endpoint = emulator.endpoint();
    let mut out = String::new();
    let mut pointed = 0;
    for line in example.lines() {
        let pad = &line[..line.len() - line.trim_start().len()];
        if line.contains("\"http://zstack.example.com:8080\"") {
            out.push_str(&line.replace("http://zstack.example.com:8080", &endpoint));
            out.push('\n');
            pointed += 1;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        match line.trim() {
            "tencentcloud {" => {
                out.push_str(&format!("{pad}  endpoint = \"{endpoint}\"\n"));
                pointed += 1;
            }
            "huaweicloud {" => {
                out.push_str(&format!(
                    "{pad}  endpoints {{\n{pad}    organizations  = \"{endpoint}\"\n{pad}    rgc            = \"{endpoint}\"\n{pad}    identitycenter = \"{endpoint}\"\n{pad}  }}\n"
                ));
                pointed += 1;
            }
            _ => {}
        }
    }
    (out, pointed)
}

/// The summary line of a plan: `Plan: …`, or `No changes.` (also when only outputs change).
fn plan_summary(run: &Run) -> String {
    run.success();
    if run.stdout.contains("Changes to Outputs:") && run.text().contains("without changing any real infrastructure") {
        return "No changes.".to_string();
    }
    run.stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("Plan:") || line.starts_with("No changes."))
        .unwrap_or_else(|| panic!("no plan summary in:\n{}", run.stdout))
        .to_string()
}

fn validate(workspace: &Workspace, what: &str) {
    let run = workspace.terraform(&["validate", "-no-color"]);
    assert_eq!(run.code, 0, "{what}: terraform validate failed:\n{}", run.combined());
    assert!(run.stdout.contains("The configuration is valid."), "{what}: {}", run.stdout);
}

/// `terraform output -json`, as name → value.
fn outputs(workspace: &Workspace) -> Json {
    let run = workspace.terraform(&["output", "-json"]);
    run.success();
    let all: Json = serde_json::from_str(&run.stdout).unwrap();
    Json::Object(all.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect())
}

/// The `terraform import ADDRESS ID` commands of an `import.sh`, with shell quoting removed.
fn import_commands(script: &str) -> Vec<(String, String)> {
    script
        .lines()
        .filter_map(|line| line.trim().strip_prefix("terraform import "))
        .map(|rest| {
            let (address, id) = rest.trim().split_once(char::is_whitespace).expect("terraform import ADDRESS ID");
            let id = id.trim();
            let id = id.strip_prefix('\'').and_then(|i| i.strip_suffix('\'')).unwrap_or(id);
            (address.to_string(), id.to_string())
        })
        .collect()
}

/// Calls that only read (or sign in): everything but the binds, attaches and their undoing.
fn is_read(action: &str) -> bool {
    ["Describe", "Show", "List", "Query", "Get", "LogIn", "LogOut", "Validate", "PollApiJob", "Keystone"]
        .iter()
        .any(|p| action.starts_with(p))
}

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const PLAN: &[&str] = &["plan", "-no-color", "-input=false"];

#[test]
fn examples_are_formatted() {
    let workspace = Workspace::new("");
    let dir = examples();
    let run = workspace.terraform(&["fmt", "-check", "-recursive", "-diff", "-no-color", dir.to_str().unwrap()]);
    assert_eq!(run.code, 0, "run `terraform fmt -recursive examples`:\n{}", run.combined());
}

#[test]
fn the_provider_example_signs_in_to_every_cloud() {
    let emulator = emulator();
    let example = read(&examples().join("provider/provider.tf"));
    let (config, pointed) = point_at_emulator(&example, &emulator);
    assert_eq!(pointed, 3, "the provider example configures all three clouds:\n{example}");
    let workspace = Workspace::new(&config);
    workspace.write_file("emulator.auto.tfvars", &tfvars(&example));
    // One read through each cloud block proves its credentials are right.
    workspace.write_file(
        "reads.tf",
        r#"data "tether_member_policies" "finance_prod" {
  member_uin = 100000000101
}

data "tether_organization" "current" {}

data "tether_iam2_projects" "payments" {
  name = "payments"
}

output "policies" {
  value = [for p in data.tether_member_policies.finance_prod.policies : p.policy_name]
}

output "organization" {
  value = data.tether_organization.current.organization_id
}

output "payments" {
  value = one(data.tether_iam2_projects.payments.projects).uuid
}
"#,
    );
    workspace.init();
    validate(&workspace, "examples/provider");
    assert_eq!(plan_summary(&workspace.terraform(PLAN)), "No changes.", "the reads change nothing");
    workspace.terraform(APPLY).success();
    assert_eq!(
        outputs(&workspace),
        json!({"policies": ["admin-access", "readonly-access"], "organization": "o-tether0001", "payments": "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01"})
    );
}

/// The resource example's lifecycle: plan 1 to add, apply, then each `import.sh` command on the
/// object it made (after removing it from state) imports it with no changes left, and destroy
/// calls the detach API the docs name.
fn resource_example(type_name: &str, detach_api: &str) {
    let emulator = emulator();
    let dir = examples().join("resources").join(type_name);
    let example = read(&dir.join("resource.tf"));
    let (example_text, _) = point_at_emulator(&example, &emulator);
    let workspace = Workspace::new(&management_provider(&emulator));
    workspace.write_file("resource.tf", &example_text);
    workspace.write_file("emulator.auto.tfvars", &tfvars(&example));
    workspace.init();
    validate(&workspace, type_name);
    assert_eq!(plan_summary(&workspace.terraform(PLAN)), "Plan: 1 to add, 0 to change, 0 to destroy.", "{type_name}");
    let apply = workspace.terraform(APPLY);
    apply.success();
    assert!(apply.stdout.contains("Apply complete! Resources: 1 added"), "{type_name}: {}", apply.stdout);

    let imports = import_commands(&read(&dir.join("import.sh")));
    assert!(!imports.is_empty(), "{type_name}: import.sh has no `terraform import` command");
    for (address, id) in imports {
        workspace.terraform(&["state", "rm", "-no-color", &address]).success();
        let import = workspace.terraform(&["import", "-no-color", "-input=false", &address, &id]);
        assert_eq!(import.code, 0, "{type_name}: terraform import {address} {id}:\n{}", import.combined());
        assert!(import.stdout.contains("Import successful!"), "{type_name}: {}", import.stdout);
        let calls_before = emulator.admin("GET", "calls", None).as_array().unwrap().len();
        let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        // An import cannot know the configuration's `timeouts`, nor the invitation a membership
        // was accepted from (`handshake_id`).
        let recorded = plan.stdout.contains("+ timeouts {")
            || (type_name == "tether_organization_membership" && plan.stdout.contains("+ handshake_id"));
        if plan.code == 2 && recorded && plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy.") {
            // So the first plan adds them to the state; applying that calls no cloud API that
            // changes anything.
            workspace.terraform(APPLY).success();
            let writes: Vec<Json> = emulator.admin("GET", "calls", None).as_array().unwrap()[calls_before..]
                .iter()
                .filter(|c| !is_read(c["action"].as_str().unwrap_or_default()))
                .cloned()
                .collect();
            assert!(
                writes.is_empty(),
                "{type_name}: recording what the import could not know changed the cloud: {writes:#?}"
            );
            let plan = workspace.terraform(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
            assert_eq!(plan.code, 0, "{type_name}: {}", plan.combined());
        } else {
            assert_eq!(
                plan.code,
                0,
                "{type_name}: after importing {id}, the example plans no changes:\n{}",
                plan.combined()
            );
        }
    }

    let destroy = workspace.terraform(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    destroy.success();
    assert!(destroy.text().contains("Warning: Destroy calls"), "{type_name}: {}", destroy.stdout);
    assert_eq!(emulator.calls(detach_api).len(), 1, "{type_name}: destroy calls {detach_api} once");
}

#[test]
fn the_member_auth_binding_example() {
    resource_example("tether_member_auth_binding", "CancelOrganizationMemberAuthAccount");
}

#[test]
fn the_organization_membership_example() {
    resource_example("tether_organization_membership", "LeaveOrganization");
}

#[test]
fn the_rgc_managed_account_example() {
    resource_example("tether_rgc_managed_account", "UnEnrollAccount");
}

#[test]
fn the_identity_center_profile_association_example() {
    resource_example("tether_identity_center_profile_association", "DisassociateProfile");
}

#[test]
fn the_iam2_project_organization_example() {
    resource_example("tether_iam2_project_organization", "DetachIAM2ProjectFromIAM2Organization");
}

#[test]
fn every_resource_example_is_run() {
    let run: Vec<&str> = vec![
        "tether_iam2_project_organization",
        "tether_identity_center_profile_association",
        "tether_member_auth_binding",
        "tether_organization_membership",
        "tether_rgc_managed_account",
    ];
    let found: Vec<String> = example_dirs("resources").iter().map(|d| name_of(d)).collect();
    assert_eq!(found, run, "a new resource example needs its test above");
}

/// What each data source example's outputs are on the emulator's fixture (nothing bound yet).
fn expected_data_source_outputs(name: &str) -> Json {
    match name {
        "tether_iam2_organizations" => json!({"department_names": ["Finance Dept", "Engineering Dept"]}),
        "tether_iam2_projects" => {
            json!({"payments_project_uuid": "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01", "legacy_projects": ["legacy-erp"]})
        }
        "tether_identity_center_instances" => json!({"identity_store_id": "d-tether00001"}),
        "tether_identity_center_principal_assignments" => json!({"admin_accounts": []}),
        "tether_member_auth_bindings" => json!({"finance_prod_admin_sub_accounts": []}),
        "tether_member_policies" => json!({"finance_prod_policy_ids": {"admin-access": 1001, "readonly-access": 1002}}),
        "tether_organization" => {
            json!({"organization": {"id": "o-tether0001", "management_account": "tether-management"}})
        }
        "tether_rgc_managed_accounts" => json!({"enrolled_workload_accounts": ["finance-prod"]}),
        other => panic!("no expected outputs for the new data source example {other}: add them here"),
    }
}

#[test]
fn data_source_examples_read_the_fixture() {
    let emulator = emulator();
    let dirs = example_dirs("data-sources");
    assert_eq!(dirs.len(), 8);
    // One workspace per example, four at a time: most of a Terraform run is waiting.
    let check = |dir: &Path| {
        let name = name_of(dir);
        let example = read(&dir.join("data-source.tf"));
        let workspace = Workspace::new(&management_provider(&emulator));
        workspace.write_file("data-source.tf", &example);
        workspace.init();
        validate(&workspace, &name);
        // Data sources are read during the plan; a failed read fails it.
        let resources = example.matches("\nresource \"").count() + usize::from(example.starts_with("resource \""));
        let expected = if resources == 0 {
            "No changes.".to_string()
        } else {
            format!("Plan: {resources} to add, 0 to change, 0 to destroy.")
        };
        assert_eq!(plan_summary(&workspace.terraform(PLAN)), expected, "{name}");
        if resources == 0 {
            workspace.terraform(APPLY).success();
            assert_eq!(outputs(&workspace), expected_data_source_outputs(&name), "{name}");
        }
    };
    for batch in dirs.chunks(4) {
        std::thread::scope(|scope| {
            for dir in batch {
                scope.spawn(|| check(dir));
            }
        });
    }
    let bound = emulator.calls("BindOrganizationMemberAuthAccount").len()
        + emulator.calls("AttachIAM2ProjectToIAM2Organization").len();
    assert_eq!(bound, 0, "reading changes nothing");
}

#[test]
fn the_quickstart_plans_every_resource_against_the_emulator() {
    let emulator = emulator();
    let workspace = Workspace::new(&read(&examples().join("quickstart/main.tf")));
    workspace.init();
    validate(&workspace, "examples/quickstart");
    let var = format!("emulator_endpoint={}", emulator.endpoint());
    let plan = workspace.terraform(&["plan", "-no-color", "-input=false", "-var", &var]);
    assert_eq!(plan_summary(&plan), "Plan: 7 to add, 0 to change, 0 to destroy.");
    for type_name in [
        "tether_member_auth_binding",
        "tether_organization_membership",
        "tether_rgc_managed_account",
        "tether_identity_center_profile_association",
        "tether_iam2_project_organization",
    ] {
        assert!(plan.stdout.contains(&format!("# {type_name}.")), "the quickstart shows {type_name}: {}", plan.stdout);
    }
}

#[test]
fn list_resource_examples_find_what_exists() {
    let emulator = emulator();
    // Something for every list block to find: a binding under the admin policy and an Identity
    // Center assignment on finance-prod, made outside Terraform (legacy-erp's link, finance-prod's
    // RGC enrollment and its membership are in the fixture).
    block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[200000000001])).unwrap();
    let ic = huawei_clients(&emulator, HW_MANAGEMENT).identitycenter;
    let target = AssignmentTarget {
        permission_set_id: "ps-admin".into(),
        principal_id: "g-admins".into(),
        principal_type: "GROUP".into(),
        target_id: HW_FINANCE_PROD.id.into(),
    };
    let fast = PollPolicy {
        initial_delay: Duration::from_millis(100),
        interval: Duration::from_millis(100),
        max_interval: Duration::from_millis(500),
        multiplier: 1.0,
    };
    let status = block_on(ic.create_account_assignment("ins-tether00000001", &target)).unwrap();
    block_on(ic.wait_creation("ins-tether00000001", &status.request_id, Duration::from_secs(30), &fast, None)).unwrap();

    // The membership example lists through the finance-prod account's own provider alias.
    let member = format!(
        "provider \"tether\" {{\n  alias = \"finance_prod\"\n  huaweicloud {{\n    access_key = \"{}\"\n    secret_key = \"{}\"\n    domain_id  = \"{}\"\n    endpoints {{\n      organizations = \"{}\"\n    }}\n  }}\n}}\n",
        HW_FINANCE_PROD.access_key,
        HW_FINANCE_PROD.secret_key,
        HW_FINANCE_PROD.id,
        emulator.endpoint()
    );
    let workspace = Workspace::new(&format!("{}\n{member}", management_provider(&emulator)));
    let dirs = example_dirs("list-resources");
    assert_eq!(dirs.len(), 5);
    for dir in &dirs {
        workspace.write_file(&format!("{}.tfquery.hcl", name_of(dir)), &read(&dir.join("list-resource.tfquery.hcl")));
    }
    workspace.init();
    let validate = workspace.terraform(&["validate", "-query", "-no-color"]);
    validate.success();

    let query = workspace.terraform(&["query", "-json", "-no-color"]);
    query.success();
    let mut found: std::collections::BTreeMap<String, usize> = Default::default();
    for message in query.stdout.lines().filter_map(|line| serde_json::from_str::<Json>(line).ok()) {
        if message["type"] == "list_resource_found" {
            *found.entry(message["list_resource_found"]["address"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    let expected: std::collections::BTreeMap<String, usize> = [
        ("list.tether_iam2_project_organization.all", 1),
        ("list.tether_iam2_project_organization.finance", 1),
        ("list.tether_identity_center_profile_association.all", 1),
        ("list.tether_identity_center_profile_association.finance_prod", 1),
        ("list.tether_member_auth_binding.finance_prod", 1),
        ("list.tether_member_auth_binding.finance_prod_admins", 1),
        ("list.tether_organization_membership.finance_prod", 1),
        ("list.tether_rgc_managed_account.workloads", 1),
    ]
    .into_iter()
    .map(|(address, count)| (address.to_string(), count))
    .collect();
    assert_eq!(found, expected, "{}", query.stdout);
}

#[test]
fn the_getting_started_example_applies_and_destroys_as_the_guide_says() {
    let emulator = emulator();
    let workspace = Workspace::new(&read(&examples().join("getting-started/main.tf")));
    workspace.init();
    validate(&workspace, "examples/getting-started");
    let var = format!("emulator={}", emulator.endpoint());
    let with_var = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["-var", var.as_str()]);
        workspace.terraform(&all)
    };
    assert_eq!(plan_summary(&with_var(PLAN)), "Plan: 2 to add, 0 to change, 0 to destroy.");
    with_var(APPLY).success();
    assert_eq!(
        outputs(&workspace),
        json!({"alice_binding": "ops-alice -> admin-access", "payments_organization": "Finance Dept"})
    );
    let plan = with_var(&["plan", "-destroy", "-no-color", "-input=false"]);
    let text = plan.text();
    assert!(text.contains("Warning: Destroy calls Tencent Cloud CancelOrganizationMemberAuthAccount"), "{text}");
    assert!(text.contains("Warning: Destroy calls ZStack DetachIAM2ProjectFromIAM2Organization"), "{text}");
    with_var(&["destroy", "-auto-approve", "-no-color", "-input=false"]).success();
    let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
    assert_eq!(cancels.len(), 1);
    assert_eq!(
        cancels[0]["params"],
        json!({"MemberUin": 100000000101u64, "PolicyId": 1001, "OrgSubAccountUin": 200000000001u64})
    );
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);
}

/// The ```terraform and ```hcl blocks of the hand-written docs (guides and the provider page's
/// introduction) parse and are formatted as `terraform fmt` writes them.
#[test]
fn doc_snippets_are_well_formed() {
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-src");
    let mut pages = vec![sources.join("index-intro.md")];
    pages.extend(
        std::fs::read_dir(sources.join("guides"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let workspace = Workspace::new("");
    let snippets = workspace.path().join("snippets");
    std::fs::create_dir(&snippets).unwrap();
    let mut count = 0;
    for page in &pages {
        let text = read(page);
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line == "```terraform" || line == "```hcl" {
                let block: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
                count += 1;
                let name = format!("{}-{count}.tf", page.file_stem().unwrap().to_string_lossy());
                std::fs::write(snippets.join(name), block.join("\n") + "\n").unwrap();
            }
        }
    }
    assert!(count >= 10, "found only {count} snippets");
    let run = workspace.terraform(&["fmt", "-check", "-diff", "-no-color", snippets.to_str().unwrap()]);
    assert_eq!(run.code, 0, "a snippet in docs-src/ is malformed or unformatted:\n{}", run.combined());
}
