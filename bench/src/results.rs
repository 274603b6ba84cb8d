//! The machine-readable result (bench/results/latest.json). BENCHMARKS.md is rendered from it
//! alone, so `tether-bench report` can redo the table without re-running anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::coldstart::{BinarySize, ColdStart};
use crate::emulator::Calls;
use crate::procfs::Machine;
use crate::stats::Stats;

/// Bumped when a field changes meaning.
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub format: u32,
    /// UTC, RFC 3339.
    pub generated_at: String,
    /// `full` or `quick`.
    pub mode: String,
    /// The driver's own wall time (the release build before it is not included; run.sh reports
    /// the whole).
    pub duration_secs: f64,
    pub machine: Machine,
    pub versions: Versions,
    pub settings: Settings,
    pub binary: Option<BinarySize>,
    pub cold_start: Option<ColdStart>,
    /// Terraform end to end, rate limit off: the bindings at each N, then the mixed configuration.
    pub cases: Vec<Case>,
    pub rate_limited: Option<RateLimited>,
    /// Each target with its verdict (recomputed from the rest whenever the report is rendered).
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Versions {
    pub rustc: String,
    pub terraform: String,
    pub provider: String,
    pub git_commit: String,
    /// The working tree differed from the commit when the benchmark ran.
    pub git_dirty: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    /// Terraform's `-parallelism` (its default).
    pub parallelism: u32,
    pub emulator_args_rate_off: Vec<String>,
    pub emulator_args_rate_on: Vec<String>,
    /// The provider's `requests_per_second` with the limit off (0 = no client-side pacing).
    pub provider_requests_per_second_rate_off: u32,
    /// Tencent's published limit, per action, and the emulator's when on.
    pub rate_limit_per_second: u32,
    pub cold_start_runs: usize,
    /// Wall time limit of one Terraform command; a command past it is killed and counted failed.
    pub command_limit_secs: BTreeMap<String, u64>,
    /// Constant allowed on top of ⌈N/50⌉ Describe calls for a refresh.
    pub refresh_describe_slack: u64,
}

/// One configuration at one size, set against the same number of `terraform_data`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    /// `bindings` or `mixed`.
    pub name: String,
    /// Resources in the configuration.
    pub n: usize,
    /// Of those, `tether_member_auth_binding`s (all of one member+policy).
    pub bindings: usize,
    /// Repetitions carried out (each: plan, apply, no-change plan, destroy for both sides).
    pub reps: usize,
    pub phases: Vec<Phase>,
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Phase {
    /// `plan`, `apply`, `plan_nochange`, `destroy`.
    pub phase: String,
    pub tether_secs: Option<Stats>,
    pub data_secs: Option<Stats>,
    /// Median tether time over median terraform_data time.
    pub ratio: Option<f64>,
    /// The emulator's call log of each tether repetition's command.
    pub calls: Vec<Calls>,
    /// Peak VmHWM of any provider process of the command, per repetition.
    pub provider_peak_kb: Option<Stats>,
    /// Last VmRSS read of that process before it exited, per repetition.
    #[serde(default)]
    pub provider_end_rss_kb: Option<Stats>,
    /// CPU seconds (user + system) per repetition: Terraform with its provider processes, the
    /// provider processes alone, and the emulator, for the tether side; Terraform for the
    /// terraform_data side. On 2 cores these say where the wall time goes.
    #[serde(default)]
    pub cpu: Cpu,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cpu {
    pub tether_total_secs: Option<Stats>,
    pub tether_provider_secs: Option<Stats>,
    pub tether_emulator_secs: Option<Stats>,
    pub data_total_secs: Option<Stats>,
}

impl Case {
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.phase == name)
    }
}

/// The same bindings with the emulator's (and the provider's default) 20 calls/s per action.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateLimited {
    pub n: usize,
    /// The most repetitions tried (more when the time budget allows).
    #[serde(default)]
    pub max_reps: usize,
    pub reps: usize,
    pub phases: Vec<RatePhase>,
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RatePhase {
    /// `apply`, `plan_nochange` (a refresh), `destroy`.
    pub phase: String,
    pub secs: Option<Stats>,
    /// CPU seconds of the provider processes, per repetition.
    #[serde(default)]
    pub provider_cpu_secs: Option<Stats>,
    /// Killed at the command limit in some repetition.
    pub timed_out: bool,
    pub calls: Vec<Calls>,
    /// The fewest calls of each action the API needs for this phase.
    pub required: BTreeMap<String, u64>,
    /// max over actions of required calls ÷ the per-action limit.
    pub optimum_secs: f64,
    /// Median wall time over the optimum.
    pub ratio: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub id: String,
    pub what: String,
    pub limit: String,
    pub measured: Option<String>,
    /// `None` when not measured in this run.
    pub pass: Option<bool>,
}
