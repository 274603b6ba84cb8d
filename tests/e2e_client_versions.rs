//! Which Terraform versions the provider works with, and which of its features need which.
//!
//! Runs one feature matrix with the pinned Terraform (every feature must pass) and with every
//! other Terraform found on PATH or under `.tools/` (an older 1.11 is often on PATH). A feature
//! the client is new enough for must pass; one it is too old for must fail the way that version
//! of Terraform fails (an unknown argument or command), so a wrong minimum version in the docs
//! fails this test instead of going unnoticed. The table it prints is the source of the
//! "Supported versions" section of `docs/index.md`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::official::{OFFICIAL_REQUIRED_PROVIDERS, tencentcloud_provider};
use support::{Emulator, Run, Workspace, block_on, tencent_client, tencent_provider, terraform_path};

type Version = (u32, u32, u32);

struct Client {
    path: PathBuf,
    version: Version,
}

fn show(version: Version) -> String {
    format!("{}.{}.{}", version.0, version.1, version.2)
}

/// `terraform version -json`, or None for something that is not a working Terraform.
fn version_of(path: &Path) -> Option<Version> {
    let config = tempfile::NamedTempFile::new().ok()?;
    let output = Command::new(path)
        .args(["version", "-json"])
        .env("TF_CLI_CONFIG_FILE", config.path())
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    let mut parts = json["terraform_version"].as_str()?.split(['.', '-']).map(|p| p.parse::<u32>());
    Some((parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false)
}

/// `terraform`, or a versioned name such as `terraform-1.11.4` / `terraform_v1.12.0`.
fn looks_like_terraform(name: &str) -> bool {
    name == "terraform"
        || name
            .strip_prefix("terraform")
            .and_then(|rest| rest.strip_prefix(['-', '_']))
            .is_some_and(|rest| rest.trim_start_matches('v').starts_with(|c: char| c.is_ascii_digit()))
}

/// Every Terraform on PATH and under `.tools/` (three levels deep) but the pinned one, one per
/// version.
fn other_clients(pinned: &Client) -> Vec<Client> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("terraform")).collect())
        .unwrap_or_default();
    let mut dirs = vec![(Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools"), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() && depth < 3 {
                dirs.push((path, depth + 1));
            } else if looks_like_terraform(&entry.file_name().to_string_lossy()) {
                candidates.push(path);
            }
        }
    }
    let mut clients: Vec<Client> = Vec::new();
    for path in candidates.into_iter().filter(|p| is_executable(p)) {
        let Some(version) = version_of(&path) else { continue };
        if version != pinned.version && !clients.iter().any(|c| c.version == version) {
            clients.push(Client { path, version });
        }
    }
    clients.sort_by_key(|c| std::cmp::Reverse(c.version));
    clients
}

/// One feature of the matrix: the oldest Terraform that has it, and how older ones refuse it.
struct Feature {
    name: &'static str,
    needs: Version,
    /// What an older Terraform prints when it meets the feature (any one of these).
    refusal: &'static [&'static str],
}

const FEATURES: &[Feature] = &[
    Feature { name: "init from a filesystem mirror", needs: (1, 0, 0), refusal: &[] },
    Feature { name: "validate", needs: (1, 0, 0), refusal: &[] },
    Feature { name: "plan / apply a binding", needs: (1, 0, 0), refusal: &[] },
    Feature {
        name: "schema asked once per command (get_provider_schema_optional)",
        needs: (1, 6, 0),
        refusal: &["the schema was not cached"],
    },
    Feature { name: "destroy preview warning in the plan", needs: (1, 0, 0), refusal: &[] },
    Feature { name: "destroy calls the detach API", needs: (1, 0, 0), refusal: &[] },
    Feature { name: "terraform import <ID>", needs: (1, 0, 0), refusal: &[] },
    Feature {
        name: "import block by id",
        needs: (1, 5, 0),
        refusal: &["Blocks of type \"import\" are not expected here"],
    },
    Feature {
        name: "plan -generate-config-out",
        needs: (1, 5, 0),
        refusal: &[
            "flag provided but not defined: -generate-config-out",
            "Blocks of type \"import\" are not expected here",
        ],
    },
    Feature {
        name: "generated configuration without defaults (GenerateResourceConfig)",
        needs: (1, 14, 0),
        refusal: &["Terraform wrote its own guess", "no configuration was generated"],
    },
    Feature {
        name: "moved from an official provider's resource type (MoveResourceState)",
        needs: (1, 8, 0),
        refusal: &["Resource type mismatch"],
    },
    Feature {
        name: "import block by identity",
        needs: (1, 12, 0),
        refusal: &[
            "An argument named \"identity\" is not expected here",
            "Blocks of type \"import\" are not expected here",
        ],
    },
    Feature {
        name: "action blocks: plan -invoke / apply -invoke",
        needs: (1, 14, 0),
        refusal: &[
            "Blocks of type \"action\" are not expected here",
            "Unsupported block type",
            "flag provided but not defined: -invoke",
        ],
    },
    Feature {
        name: "terraform query (list resources)",
        needs: (1, 14, 0),
        refusal: &["Terraform has no command named \"query\""],
    },
];

#[derive(Debug)]
enum Outcome {
    Ok,
    /// Refused the way a client older than the feature does.
    Unsupported,
    Failed(String),
}

/// Runs the matrix with one client against a fresh emulator; one outcome per FEATURES entry.
fn run_matrix(client: &Client) -> Vec<Outcome> {
    let emulator = Emulator::start();
    let provider = tencent_provider(&emulator);
    let binding = |name: &str, sub: u64| {
        format!(
            "resource \"tether_member_auth_binding\" \"{name}\" {{\n  member_uin          = 100000000101\n  policy_id           = 1001\n  org_sub_account_uin = {sub}\n}}\n"
        )
    };
    let bind_outside =
        |sub: u64| block_on(tencent_client(&emulator).bind_member_auth_accounts(100000000101, 1001, &[sub])).unwrap();
    let workspace = Workspace::new(&format!("{provider}{}", binding("a", 200000000001)));
    let tf = |args: &[&str]| workspace.terraform_with(&client.path, args);
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "-no-color", "-input=false"];
        args.extend_from_slice(extra);
        tf(&args)
    };
    let apply = || tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let no_changes = |what: &str| -> Result<(), String> {
        let run = tf(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        expect(run.code == 0, &format!("{what}: a plan afterwards is not empty"), &run)
    };
    let mut outcomes = Vec::new();

    // init: the provider comes from the filesystem mirror.
    outcomes.push(step(|| {
        let run = tf(&["init", "-no-color", "-input=false"]);
        expect(run.code == 0 && run.stdout.contains("Installed tether/tether"), "init", &run)
    }));

    outcomes.push(step(|| {
        let run = tf(&["validate", "-no-color"]);
        expect(run.code == 0 && run.stdout.contains("The configuration is valid."), "validate", &run)
    }));

    outcomes.push(step(|| {
        let run = plan(&[]);
        expect(run.code == 0 && run.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "plan", &run)?;
        let run = apply();
        expect(
            run.code == 0 && emulator.calls("BindOrganizationMemberAuthAccount").len() == 1,
            "apply binds once",
            &run,
        )?;
        no_changes("apply")
    }));

    // Terraform keeps the first provider process's schema for the others of the same command
    // when the provider says it may (1.6+); older clients ask every process.
    outcomes.push(step(|| {
        let run = plan(&[]);
        let asked =
            run.trace_log.lines().filter(|l| l.trim_end().ends_with("GRPCProvider.v6: GetProviderSchema")).count();
        let started = run.trace_log.lines().filter(|l| l.contains("plugin started")).count();
        expect(run.code == 0 && started >= 2, &format!("plan ({started} provider processes)"), &run)?;
        expect(
            asked == 1,
            &format!("the schema was not cached: asked {asked} times by {started} provider processes"),
            &run,
        )
    }));

    outcomes.push(step(|| {
        let run = plan(&["-destroy"]);
        let text = run.text();
        expect(
            run.code == 0
                && text.contains("Warning: Destroy calls Tencent Cloud CancelOrganizationMemberAuthAccount")
                && text.contains("{MemberUin: 100000000101, PolicyId: 1001, OrgSubAccountUin: 200000000001}: sub-account ops-alice (200000000001) can no longer log in"),
            "the destroy plan shows the detach call",
            &run,
        )
    }));

    outcomes.push(step(|| {
        let run = tf(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        let cancels = emulator.calls("CancelOrganizationMemberAuthAccount");
        expect(
            run.code == 0 && cancels.len() == 1 && cancels[0]["params"]["OrgSubAccountUin"] == 200000000001u64,
            "destroy cancels the binding",
            &run,
        )
    }));

    // Bindings made outside Terraform, to adopt.
    for sub in [200000000002, 200000000003, 200000000004, 200000000005] {
        bind_outside(sub);
    }

    outcomes.push(step(|| {
        workspace.write_config(&format!("{provider}{}", binding("b", 200000000002)));
        let run = tf(&[
            "import",
            "-no-color",
            "-input=false",
            "tether_member_auth_binding.b",
            "100000000101/1001/200000000002",
        ]);
        expect(run.code == 0 && run.stdout.contains("Import successful!"), "terraform import", &run)?;
        no_changes("terraform import")
    }));

    let imported = [binding("b", 200000000002), binding("c", 200000000003)].concat();
    outcomes.push(step(|| {
        workspace.write_config(&format!("{provider}{imported}import {{\n  to = tether_member_auth_binding.c\n  id = \"100000000101/1001/200000000003\"\n}}\n"));
        let run = plan(&[]);
        expect(run.code == 0 && run.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "import block by id", &run)?;
        let run = apply();
        expect(run.code == 0, "apply of the import", &run)?;
        no_changes("import block")
    }));

    let mut generated_config = Err(String::new());
    outcomes.push(step(|| {
        workspace.write_config(&format!("{provider}{imported}import {{\n  to = tether_member_auth_binding.d\n  id = \"1001#100000000101#200000000004\"\n}}\n"));
        let run = plan(&["-generate-config-out=generated.tf"]);
        expect(run.code == 0, "plan -generate-config-out", &run)?;
        let generated = std::fs::read_to_string(workspace.path().join("generated.tf")).unwrap_or_default();
        generated_config = Ok(generated.clone());
        expect(generated.contains("org_sub_account_uin = 200000000004"), &format!("generated.tf has the binding: {generated}"), &run)?;
        let run = apply();
        expect(run.code == 0, "apply of the generated configuration", &run)?;
        no_changes("generated configuration")
    }));
    // Terraform 1.14+ asks the provider (GenerateResourceConfig), which writes what a person
    // would: no defaults such as `detach_on_destroy = true`. Older clients write their own guess
    // from the state, defaults included.
    outcomes.push(step(|| match &generated_config {
        Ok(text) if text.contains("detach_on_destroy") => {
            Err(format!("Terraform wrote its own guess from the state, defaults included:\n{text}"))
        }
        Ok(text) if text.contains("org_sub_account_uin = 200000000004") => Ok(()),
        Ok(text) => Err(format!("the generated configuration lacks the binding:\n{text}")),
        Err(_) => Err("no configuration was generated (see the step before)".to_string()),
    }));
    // From here on the generated resource is part of the configuration, its import block done.
    let _ = std::fs::remove_file(workspace.path().join("generated.tf"));
    let imported = [imported, binding("d", 200000000004)].concat();

    // A binding made through the official provider (its stand-in) moves to tether.
    outcomes.push(step(|| {
        let official = Workspace::with_official_providers(&format!(
            "{OFFICIAL_REQUIRED_PROVIDERS}{}{}resource \"tencentcloud_organization_policy_sub_account_attachment\" \"f\" {{\n  policy_id           = 1001\n  member_uin          = 100000000101\n  org_sub_account_uin = 200000000006\n}}\n",
            tencentcloud_provider(&emulator),
            provider.split_once("provider \"tether\"").map(|(_, block)| format!("provider \"tether\"{block}")).unwrap_or_default(),
        ));
        let tf = |args: &[&str]| official.terraform_with(&client.path, args);
        let run = tf(&["init", "-no-color", "-input=false"]);
        expect(run.code == 0, "init with the official provider's stand-in", &run)?;
        let run = tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        expect(run.code == 0, "apply through the official provider's stand-in", &run)?;
        let config = std::fs::read_to_string(official.path().join("main.tf")).unwrap_or_default();
        let (head, _) = config.split_once("resource \"tencentcloud").unwrap_or_default();
        official.write_config(&format!("{head}{}moved {{\n  from = tencentcloud_organization_policy_sub_account_attachment.f\n  to   = tether_member_auth_binding.f\n}}\n", binding("f", 200000000006)));
        let run = tf(&["plan", "-no-color", "-input=false"]);
        expect(
            run.code == 0
                && run.stdout.contains("has moved to tether_member_auth_binding.f")
                && run.stdout.contains("Plan: 0 to add, 0 to change, 0 to destroy."),
            "the move plans no change",
            &run,
        )?;
        let run = tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        expect(run.code == 0, "apply of the move", &run)?;
        let run = tf(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        expect(run.code == 0, "moved: a plan afterwards is not empty", &run)?;
        let run = tf(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
        expect(run.code == 0, "destroy of the moved binding", &run)
    }));

    outcomes.push(step(|| {
        workspace.write_config(&format!(
            "{provider}{imported}{}import {{\n  to = tether_member_auth_binding.e\n  identity = {{\n    member_uin          = 100000000101\n    policy_id           = 1001\n    org_sub_account_uin = 200000000005\n  }}\n}}\n",
            binding("e", 200000000005)
        ));
        let run = plan(&[]);
        expect(run.code == 0 && run.stdout.contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy."), "import block by identity", &run)?;
        let run = apply();
        expect(run.code == 0, "apply of the identity import", &run)?;
        no_changes("identity import")
    }));
    workspace.write_config(&format!("{provider}{imported}"));

    // An action cancels a binding made outside Terraform, and changes no state.
    bind_outside(200000000007);
    outcomes.push(step(|| {
        workspace.write_config(&format!("{provider}{imported}action \"tether_organization_cancel_member_auth\" \"g\" {{\n  config {{\n    member_uin          = 100000000101\n    policy_id           = 1001\n    org_sub_account_uin = 200000000007\n  }}\n}}\n"));
        let run = plan(&["-invoke=action.tether_organization_cancel_member_auth.g"]);
        expect(
            run.code == 0
                && run.text().contains("Invoking calls Tencent Cloud CancelOrganizationMemberAuthAccount for 100000000101/1001/200000000007")
                && run.stdout.contains("Actions: 1 to invoke."),
            "plan -invoke previews the cancel",
            &run,
        )?;
        let run = tf(&["apply", "-invoke=action.tether_organization_cancel_member_auth.g", "-auto-approve", "-no-color", "-input=false"]);
        let cancelled = emulator.calls("CancelOrganizationMemberAuthAccount").iter().any(|c| c["params"]["OrgSubAccountUin"] == 200000000007u64);
        expect(run.code == 0 && cancelled, "apply -invoke cancels the binding", &run)
    }));
    workspace.write_config(&format!("{provider}{imported}"));

    outcomes.push(step(|| {
        workspace.write_file("find.tfquery.hcl", "list \"tether_member_auth_binding\" \"admins\" {\n  provider = tether\n  config {\n    member_uin = 100000000101\n    policy_id  = 1001\n  }\n}\n");
        let run = tf(&["query", "-no-color"]);
        let _ = std::fs::remove_file(workspace.path().join("find.tfquery.hcl"));
        let found = run.stdout.lines().filter(|l| l.starts_with("list.tether_member_auth_binding.admins")).count();
        expect(run.code == 0 && found == 4, &format!("query finds the 4 bindings (found {found})"), &run)
    }));

    // Leave nothing behind in the emulator (and check destroy once more on this client).
    let _ = tf(&["destroy", "-auto-approve", "-no-color", "-input=false"]);

    outcomes
        .into_iter()
        .zip(FEATURES)
        .map(|(result, feature)| match result {
            Ok(()) => Outcome::Ok,
            Err(text)
                if client.version < feature.needs && feature.refusal.iter().any(|r| squash(&text).contains(r)) =>
            {
                Outcome::Unsupported
            }
            Err(text) => Outcome::Failed(text),
        })
        .collect()
}

/// White space runs made one space, as Terraform wraps its messages.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn expect(ok: bool, what: &str, run: &Run) -> Result<(), String> {
    if ok { Ok(()) } else { Err(format!("{what} (exit {}):\n{}", run.code, run.combined())) }
}

#[test]
fn feature_matrix_across_terraform_versions() {
    let pinned_path = terraform_path();
    let pinned = Client {
        version: version_of(&pinned_path).expect("the pinned Terraform answers `version -json`"),
        path: pinned_path,
    };
    let others = other_clients(&pinned);
    let clients: Vec<&Client> = std::iter::once(&pinned).chain(&others).collect();
    // Different clients, each with its own emulator, at the same time.
    let results: Vec<Vec<Outcome>> = std::thread::scope(|scope| {
        let runs: Vec<_> = clients.iter().map(|client| scope.spawn(|| run_matrix(client))).collect();
        runs.into_iter().map(|run| run.join().expect("matrix run panicked")).collect()
    });

    let mut table = String::from("| feature | needs |");
    for client in &clients {
        table.push_str(&format!(" Terraform {} |", show(client.version)));
    }
    table.push_str("\n|---|---|");
    table.push_str(&"---|".repeat(clients.len()));
    for (i, feature) in FEATURES.iter().enumerate() {
        table.push_str(&format!("\n| {} | ≥ {}.{} |", feature.name, feature.needs.0, feature.needs.1));
        for outcome in results.iter().map(|r| &r[i]) {
            table.push_str(match outcome {
                Outcome::Ok => " ok |",
                Outcome::Unsupported => " not supported by this client |",
                Outcome::Failed(_) => " FAILED |",
            });
        }
    }
    println!("Terraform clients:");
    for client in &clients {
        println!(
            "  {} at {}{}",
            show(client.version),
            client.path.display(),
            if client.path == pinned.path { " (pinned)" } else { "" }
        );
    }
    println!("\n{table}\n");

    let mut failures = Vec::new();
    for (client, outcomes) in clients.iter().zip(&results) {
        for (feature, outcome) in FEATURES.iter().zip(outcomes) {
            let new_enough = client.version >= feature.needs;
            match outcome {
                Outcome::Ok if !new_enough => failures.push(format!(
                    "{} on Terraform {} works, but the docs say it needs {}: lower its minimum",
                    feature.name,
                    show(client.version),
                    show(feature.needs)
                )),
                Outcome::Failed(text) => failures.push(format!(
                    "{} on Terraform {} ({}): {text}",
                    feature.name,
                    show(client.version),
                    if new_enough { "should work" } else { "should be refused as unsupported, not fail otherwise" }
                )),
                _ => {}
            }
        }
    }
    assert!(failures.is_empty(), "{table}\n\n{}", failures.join("\n\n"));
    // The pinned client is the newest the provider targets: it has every feature.
    assert!(results[0].iter().all(|o| matches!(o, Outcome::Ok)), "{table}");
}

/// Runs one step of a sequence; a closure (not a block) so that `?` ends only that step.
fn step<T>(body: impl FnOnce() -> T) -> T {
    body()
}
