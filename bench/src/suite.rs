//! Terraform end to end against the emulator: each configuration's plan / apply / no-change plan
//! / destroy, repeated, set against the same number of `terraform_data`; and the rate-bound runs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::emulator::{self, Calls, Emulator};
use crate::results::{Case, Cpu, Phase, RateLimited, RatePhase};
use crate::stats::Stats;
use crate::terraform::{Run, Terraform, Workspace};

/// A phase: its name, its arguments, and the exit code that means it did what it should
/// (`plan -detailed-exitcode` answers 2 when there are changes, 0 when there are none).
const PHASES: [(&str, &[&str], i32); 4] = [
    ("plan", &["plan", "-input=false", "-no-color", "-detailed-exitcode"], 2),
    ("apply", &["apply", "-auto-approve", "-input=false", "-no-color"], 0),
    ("plan_nochange", &["plan", "-input=false", "-no-color", "-detailed-exitcode"], 0),
    ("destroy", &["destroy", "-auto-approve", "-input=false", "-no-color"], 0),
];

/// How many repetitions: at least `min`, then more while the case's time `budget` allows
/// another as long as the last one, up to `max`.
#[derive(Debug, Clone, Copy)]
pub struct Reps {
    pub min: usize,
    pub max: usize,
    pub budget: Duration,
}

pub struct CaseSpec<'a> {
    pub name: &'a str,
    pub n: usize,
    pub bindings: usize,
    pub tether_tf: String,
    pub data_tf: String,
    pub reps: Reps,
    /// Per Terraform command.
    pub limit: Duration,
}

/// Per-phase samples of one side.
#[derive(Default)]
struct Side {
    secs: BTreeMap<&'static str, Vec<f64>>,
    calls: BTreeMap<&'static str, Vec<Calls>>,
    peak_kb: BTreeMap<&'static str, Vec<f64>>,
    end_rss_kb: BTreeMap<&'static str, Vec<f64>>,
    cpu_total: BTreeMap<&'static str, Vec<f64>>,
    cpu_provider: BTreeMap<&'static str, Vec<f64>>,
    cpu_emulator: BTreeMap<&'static str, Vec<f64>>,
}

pub fn run_case(terraform: &Terraform, emulator: &Emulator, work: &Path, spec: CaseSpec) -> Case {
    let label = format!("{} N={}", spec.name, spec.n);
    let mut failures = Vec::new();
    let env = vec![
        ("TF_VAR_endpoint".to_string(), emulator.endpoint()),
        ("TF_VAR_requests_per_second".to_string(), "0".to_string()),
    ];
    let workspaces =
        terraform.workspace(&work.join(format!("{}-{}-tether", spec.name, spec.n)), &spec.tether_tf, &env).and_then(
            |t| Ok((t, terraform.workspace(&work.join(format!("{}-{}-data", spec.name, spec.n)), &spec.data_tf, &[])?)),
        );
    let (tether_ws, data_ws) = match workspaces {
        Ok(pair) => pair,
        Err(e) => {
            failures.push(e);
            return Case {
                name: spec.name.into(),
                n: spec.n,
                bindings: spec.bindings,
                reps: 0,
                phases: Vec::new(),
                failures,
            };
        }
    };
    let mut tether = Side::default();
    let mut data = Side::default();
    let started = Instant::now();
    let mut reps = 0;
    let mut last_rep = Duration::ZERO;
    while reps < spec.reps.max && (reps < spec.reps.min || started.elapsed() + last_rep <= spec.reps.budget) {
        let rep_started = Instant::now();
        // Alternating which side goes first spreads slow drifts of a shared machine over both.
        let tether_first = reps % 2 == 0;
        let mut ok = true;
        for side in if tether_first { [true, false] } else { [false, true] } {
            let result = if side {
                repetition(terraform, &tether_ws, Some(emulator), spec.bindings, spec.limit, &mut tether)
            } else {
                repetition(terraform, &data_ws, None, 0, spec.limit, &mut data)
            };
            if let Err(e) = result {
                let which = if side { "tether" } else { "terraform_data" };
                eprintln!("  {label} {which}, repetition {}: {e}", reps + 1);
                failures.push(format!("{which}, repetition {}: {e}", reps + 1));
                ok = false;
            }
        }
        reps += 1;
        last_rep = rep_started.elapsed();
        eprintln!("  {label}: repetition {reps} took {:.1}s", last_rep.as_secs_f64());
        // A failure is not retried: it would most likely fail the same way, at the same cost.
        if !ok {
            break;
        }
    }
    let phases = PHASES
        .iter()
        .map(|(phase, _, _)| {
            let tether_secs = tether.secs.get(phase).and_then(|s| Stats::of(s));
            let data_secs = data.secs.get(phase).and_then(|s| Stats::of(s));
            let ratio = match (&tether_secs, &data_secs) {
                (Some(t), Some(d)) if d.median > 0.0 => Some(t.median / d.median),
                _ => None,
            };
            Phase {
                phase: phase.to_string(),
                tether_secs,
                data_secs,
                ratio,
                calls: tether.calls.remove(phase).unwrap_or_default(),
                provider_peak_kb: tether.peak_kb.get(phase).and_then(|s| Stats::of(s)),
                provider_end_rss_kb: tether.end_rss_kb.get(phase).and_then(|s| Stats::of(s)),
                cpu: Cpu {
                    tether_total_secs: tether.cpu_total.get(phase).and_then(|s| Stats::of(s)),
                    tether_provider_secs: tether.cpu_provider.get(phase).and_then(|s| Stats::of(s)),
                    tether_emulator_secs: tether.cpu_emulator.get(phase).and_then(|s| Stats::of(s)),
                    data_total_secs: data.cpu_total.get(phase).and_then(|s| Stats::of(s)),
                },
            }
        })
        .collect();
    Case { name: spec.name.into(), n: spec.n, bindings: spec.bindings, reps, phases, failures }
}

/// plan, apply, no-change plan, destroy from an empty state; with an emulator, from its seed
/// (checked: the apply made `bindings` bindings and the destroy removed them).
fn repetition(
    terraform: &Terraform,
    workspace: &Workspace,
    emulator: Option<&Emulator>,
    bindings: usize,
    limit: Duration,
    side: &mut Side,
) -> Result<(), String> {
    workspace.clear_state();
    if let Some(emulator) = emulator {
        emulator.reset()?;
    }
    let result = (|| {
        for (phase, args, expected) in PHASES {
            let emulator_cpu = emulator.map(Emulator::cpu_secs);
            let run = terraform.run(workspace, args, limit);
            check(phase, &run, expected)?;
            side.secs.entry(phase).or_default().push(run.wall.as_secs_f64());
            side.cpu_total.entry(phase).or_default().push(run.cpu_secs);
            if let (Some(emulator), Some(before)) = (emulator, emulator_cpu) {
                side.cpu_emulator.entry(phase).or_default().push(emulator.cpu_secs() - before);
                side.cpu_provider.entry(phase).or_default().push(run.provider_memory.cpu_secs());
                side.calls.entry(phase).or_default().push(emulator.take_calls()?);
                if let Some(peak) = run.provider_memory.peak_kb() {
                    side.peak_kb.entry(phase).or_default().push(peak as f64);
                }
                if let Some(rss) = run.provider_memory.end_rss_kb() {
                    side.end_rss_kb.entry(phase).or_default().push(rss as f64);
                }
                let expected_bindings = match phase {
                    "apply" | "plan_nochange" => Some(bindings),
                    "destroy" => Some(0),
                    _ => None,
                };
                if let Some(want) = expected_bindings {
                    let have = emulator.tencent_bindings()?;
                    if have != want {
                        return Err(format!("after {phase} the emulator has {have} bindings, expected {want}"));
                    }
                }
            }
        }
        Ok(())
    })();
    if result.is_err() {
        // Whatever was half done must not leak into the next repetition.
        workspace.clear_state();
        if let Some(emulator) = emulator {
            let _ = emulator.reset();
        }
    }
    result
}

fn check(phase: &str, run: &Run, expected: i32) -> Result<(), String> {
    match run.code {
        None => Err(format!("{phase} killed at the time limit after {:.0}s", run.wall.as_secs_f64())),
        Some(code) if code == expected => Ok(()),
        Some(code) => Err(format!("{phase} exited {code} (expected {expected}):\n{}", run.output_tail)),
    }
}

/// With the emulator's 20/s per action and the provider's default pacing: apply, refresh
/// (no-change plan) and destroy of `n` bindings of one member+policy, against the rate-bound
/// optimum of each.
pub fn run_rate_limited(
    terraform: &Terraform,
    emulator: &Emulator,
    work: &Path,
    n: usize,
    reps: Reps,
    limit: Duration,
    per_second: u32,
) -> RateLimited {
    let mut failures = Vec::new();
    let env = vec![("TF_VAR_endpoint".to_string(), emulator.endpoint())];
    let workspace = match terraform.workspace(&work.join(format!("rate-{n}")), &crate::configs::bindings(n), &env) {
        Ok(ws) => ws,
        Err(e) => return RateLimited { n, max_reps: reps.max, reps: 0, phases: Vec::new(), failures: vec![e] },
    };
    let phases: [(&str, &[&str], i32); 3] = [PHASES[1], PHASES[2], PHASES[3]];
    let mut secs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut calls: BTreeMap<&str, Vec<Calls>> = BTreeMap::new();
    let mut timed_out: BTreeMap<&str, bool> = BTreeMap::new();
    let mut provider_cpu: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut done = 0;
    let started = Instant::now();
    let mut last_rep = Duration::ZERO;
    'reps: for rep in 0..reps.max {
        if rep >= reps.min && started.elapsed() + last_rep > reps.budget {
            break;
        }
        let rep_started = Instant::now();
        workspace.clear_state();
        if let Err(e) = emulator.reset() {
            failures.push(e);
            break;
        }
        for (phase, args, expected) in phases {
            let run = terraform.run(&workspace, args, limit);
            let log = emulator.take_calls().unwrap_or_default();
            eprintln!("  rate-limited N={n} {phase}: {:.1}s, {} calls", run.wall.as_secs_f64(), log.total());
            if let Err(e) = check(phase, &run, expected) {
                if run.timed_out() {
                    timed_out.insert(phase, true);
                    // The calls it made until then still tell where the time went.
                    calls.entry(phase).or_default().push(log);
                }
                failures.push(format!("repetition {}: {e}", rep + 1));
                // A killed apply leaves state and cloud apart: the later phases would measure
                // nothing meaningful, and the next repetition would likely take as long.
                workspace.clear_state();
                let _ = emulator.reset();
                break 'reps;
            }
            secs.entry(phase).or_default().push(run.wall.as_secs_f64());
            provider_cpu.entry(phase).or_default().push(run.provider_memory.cpu_secs());
            calls.entry(phase).or_default().push(log);
        }
        done += 1;
        last_rep = rep_started.elapsed();
    }
    let n64 = n as u64;
    let phases = phases
        .iter()
        .map(|(phase, _, _)| {
            // What the API cannot do with fewer calls: Bind takes up to 5 sub-accounts of one
            // member+policy, Cancel one, and Describe lists 50 per page.
            let required: BTreeMap<String, u64> = match *phase {
                "apply" => [(emulator::BIND.to_string(), n64.div_ceil(5))].into(),
                "plan_nochange" => [(emulator::DESCRIBE.to_string(), n64.div_ceil(50))].into(),
                _ => [(emulator::CANCEL.to_string(), n64), (emulator::DESCRIBE.to_string(), n64.div_ceil(50))].into(),
            };
            let optimum_secs = required.values().map(|c| *c as f64 / per_second as f64).fold(0.0, f64::max);
            let secs = secs.get(phase).and_then(|s| Stats::of(s));
            let ratio = secs.as_ref().map(|s| s.median / optimum_secs);
            RatePhase {
                phase: phase.to_string(),
                secs,
                provider_cpu_secs: provider_cpu.get(phase).and_then(|s| Stats::of(s)),
                timed_out: timed_out.get(phase).copied().unwrap_or(false),
                calls: calls.remove(phase).unwrap_or_default(),
                required,
                optimum_secs,
                ratio,
            }
        })
        .collect();
    RateLimited { n, max_reps: reps.max, reps: done, phases, failures }
}
