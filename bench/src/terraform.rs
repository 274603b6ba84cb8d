//! Real Terraform runs in working directories of their own, with the provider installed from a
//! filesystem mirror as users install it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::procfs::{ProviderMemory, ProviderWatch};

/// Provider processes are recognised by their program name (`terraform-provider-tether_v<version>`
/// in the mirror layout, the plain name when run from a dev override).
const PROVIDER_PROGRAM: &str = "terraform-provider-tether";
/// How often the provider processes' memory is read during a command.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

pub struct Terraform {
    pub binary: PathBuf,
    pub mirror: PathBuf,
}

/// One finished (or abandoned) Terraform command.
pub struct Run {
    pub wall: Duration,
    /// Exit code; `None` when it was killed for running past its time limit.
    pub code: Option<i32>,
    pub output_tail: String,
    pub provider_memory: ProviderMemory,
    /// CPU seconds of Terraform and every process it waited for (its provider processes).
    pub cpu_secs: f64,
}

impl Run {
    pub fn timed_out(&self) -> bool {
        self.code.is_none()
    }
}

pub struct Workspace {
    pub dir: PathBuf,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

impl Terraform {
    /// A fresh working directory holding `main_tf`, initialised (untimed). `env` is added to
    /// every command (TF_VAR_… for the emulator's address).
    pub fn workspace(&self, dir: &Path, main_tf: &str, env: &[(String, String)]) -> Result<Workspace, String> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        std::fs::write(dir.join("main.tf"), main_tf).map_err(|e| format!("write main.tf: {e}"))?;
        let cli_config = dir.join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/tether/tether\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/tether/tether\"]\n  }}\n}}\n",
                self.mirror.display()
            ),
        )
        .map_err(|e| format!("write the CLI configuration: {e}"))?;
        let workspace = Workspace { dir: dir.to_path_buf(), cli_config, env: env.to_vec() };
        let init = self.run(&workspace, &["init", "-input=false", "-no-color"], Duration::from_secs(300));
        if init.code != Some(0) {
            return Err(format!("terraform init in {} failed:\n{}", dir.display(), init.output_tail));
        }
        Ok(workspace)
    }

    /// Runs one command to its end or `limit`, timing it from spawn to exit and watching the
    /// provider processes it starts.
    pub fn run(&self, workspace: &Workspace, args: &[&str], limit: Duration) -> Run {
        let log = workspace.dir.join("last-command.log");
        let file = std::fs::File::create(&log).expect("create the command log");
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(&workspace.dir)
            .env("TF_CLI_CONFIG_FILE", &workspace.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            // Logging costs time in Terraform and the provider alike; the benchmark measures
            // what a user runs by default.
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PATH")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .env_remove("TF_CLI_ARGS")
            .envs(workspace.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            // Its own process group, so a command past its limit is killed with its providers.
            .process_group(0);
        // The benchmark waits for nothing else while a command runs, so the growth of its
        // children's CPU time is this command's.
        let cpu_before = crate::procfs::children_cpu_secs();
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                return Run {
                    wall: started.elapsed(),
                    code: Some(-1),
                    output_tail: format!("spawn terraform: {e}"),
                    provider_memory: ProviderMemory::default(),
                    cpu_secs: 0.0,
                };
            }
        };
        let watch = ProviderWatch::start(child.id(), PROVIDER_PROGRAM, SAMPLE_EVERY);
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status.code().unwrap_or(-1)),
                Ok(None) if started.elapsed() > limit => {
                    let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break Some(-1),
            }
        };
        let wall = started.elapsed();
        let cpu_secs = crate::procfs::children_cpu_secs() - cpu_before;
        let provider_memory = watch.finish();
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
        let output_tail = lines[lines.len().saturating_sub(15)..].join("\n");
        Run { wall, code, output_tail, provider_memory, cpu_secs }
    }
}

impl Workspace {
    /// Forgets everything applied (after a failed or abandoned run, before the emulator reset).
    pub fn clear_state(&self) {
        for name in ["terraform.tfstate", "terraform.tfstate.backup", ".terraform.tfstate.lock.info", "tfplan"] {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }
}

/// `terraform version`'s first line.
pub fn version(binary: &Path) -> String {
    Command::new(binary)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
