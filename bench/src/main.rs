//! tether-bench: the benchmark suite of issue 7, run by `bench/run.sh`.
//!
//! `tether-bench run` measures the release provider (cold start, memory, size), real Terraform
//! end to end against the emulator (set against Terraform's built-in `terraform_data`), the API
//! calls per binding from the emulator's audit log, and rate-bound applies; it writes a JSON
//! result and BENCHMARKS.md. `tether-bench report` re-renders BENCHMARKS.md from a JSON result.

mod coldstart;
mod configs;
mod emulator;
mod procfs;
mod report;
mod results;
mod stats;
mod suite;
mod targets;
mod terraform;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::emulator::Emulator;
use crate::results::{Results, Settings, Versions};
use crate::suite::{CaseSpec, Reps};
use crate::terraform::Terraform;

#[derive(Parser)]
#[command(about = "Benchmarks of terraform-provider-tether (see bench/run.sh)")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the benchmarks (release binaries must be built; bench/run.sh does it).
    Run(RunArgs),
    /// Re-render the Markdown report from a JSON result.
    Report {
        #[arg(long, default_value = "bench/results/latest.json")]
        results: PathBuf,
        #[arg(long, default_value = "BENCHMARKS.md")]
        markdown: PathBuf,
    },
}

#[derive(Parser)]
struct RunArgs {
    /// The `terraform` command (scripts/install-terraform.sh prints it).
    #[arg(long)]
    terraform: PathBuf,
    /// Filesystem mirror holding the release provider (scripts/install-provider.sh --mirror).
    #[arg(long)]
    mirror: PathBuf,
    #[arg(long, default_value = "target/release/terraform-provider-tether")]
    provider: PathBuf,
    #[arg(long, default_value = "target/release/tether-emulator")]
    emulator: PathBuf,
    /// Scratch space: Terraform working directories, sockets (emptied first).
    #[arg(long, default_value = "target/bench/work")]
    work: PathBuf,
    /// Where the JSON result goes (default: bench/results/latest.json, or quick.json for
    /// --quick and --only runs).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Where the Markdown goes (default: BENCHMARKS.md for a full run, else target/bench/BENCHMARKS.md).
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// A sanity run: fewer repetitions, N ≤ 100.
    #[arg(long)]
    quick: bool,
    /// Only these sections, comma-separated: cold, e2e, mixed, rate.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Binding counts of the end-to-end section instead of the mode's (e.g. `--sizes 1000`).
    #[arg(long, value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Repetitions of every Terraform case (and rate-limited run) instead of the mode's.
    #[arg(long)]
    reps: Option<usize>,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Report { results, markdown } => {
            let text =
                std::fs::read_to_string(&results).unwrap_or_else(|e| die(&format!("read {}: {e}", results.display())));
            let mut r: Results =
                serde_json::from_str(&text).unwrap_or_else(|e| die(&format!("parse {}: {e}", results.display())));
            r.targets = targets::evaluate(&r);
            write_markdown(&r, &markdown, &results);
        }
        Cmd::Run(args) => run(args),
    }
}

fn die(message: &str) -> ! {
    eprintln!("tether-bench: {message}");
    std::process::exit(2);
}

/// What a run does, by mode.
struct Plan {
    cold_runs: usize,
    /// (N, repetitions) of the bindings cases.
    bindings: Vec<(usize, Reps)>,
    mixed: Option<(usize, Reps)>,
    rate: Option<(usize, Reps)>,
    e2e_limit: Duration,
    rate_limit: Duration,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        let fixed = |n: usize| Reps { min: n, max: n, budget: Duration::ZERO };
        if quick {
            Plan {
                cold_runs: 10,
                bindings: vec![(1, fixed(2)), (100, fixed(1))],
                mixed: Some((100, fixed(1))),
                rate: Some((100, fixed(1))),
                e2e_limit: Duration::from_secs(180),
                rate_limit: Duration::from_secs(120),
            }
        } else {
            Plan {
                cold_runs: 40,
                bindings: vec![
                    (1, fixed(5)),
                    (100, fixed(5)),
                    // As many as fit: at least 2, more while the budget allows another.
                    (1000, Reps { min: 2, max: 5, budget: Duration::from_secs(12 * 60) }),
                ],
                mixed: Some((100, fixed(3))),
                // One repetition takes about 3 minutes; a second when it fits.
                rate: Some((1000, Reps { min: 1, max: 3, budget: Duration::from_secs(6 * 60) })),
                e2e_limit: Duration::from_secs(300),
                rate_limit: Duration::from_secs(300),
            }
        }
    }
}

/// The Tencent per-action limit the API publishes (and the emulator enforces when on).
const RATE_PER_SECOND: u32 = 20;

fn run(args: RunArgs) {
    let started = Instant::now();
    // Reads USER_HZ now (it runs `getconf`), not inside the first measured command.
    let _ = procfs::children_cpu_secs();
    let partial = args.quick || !args.only.is_empty() || !args.sizes.is_empty() || args.reps.is_some();
    let wants = |section: &str| args.only.is_empty() || args.only.iter().any(|s| s == section);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(if partial { "bench/results/quick.json" } else { "bench/results/latest.json" })
    });
    let markdown = args
        .markdown
        .clone()
        .unwrap_or_else(|| PathBuf::from(if partial { "target/bench/BENCHMARKS.md" } else { "BENCHMARKS.md" }));
    let mut plan = Plan::new(args.quick);
    if !args.sizes.is_empty() {
        let reps = plan.bindings.last().map(|(_, r)| *r).expect("a size");
        plan.bindings = args.sizes.iter().map(|n| (*n, reps)).collect();
    }
    if let Some(k) = args.reps {
        let fixed = Reps { min: k, max: k, budget: Duration::ZERO };
        plan.bindings.iter_mut().for_each(|(_, r)| *r = fixed);
        plan.mixed = plan.mixed.map(|(n, _)| (n, fixed));
        plan.rate = plan.rate.map(|(n, _)| (n, fixed));
    }
    for path in [&args.provider, &args.emulator, &args.terraform] {
        if !path.is_file() {
            die(&format!("{} is missing (bench/run.sh builds and installs everything)", path.display()));
        }
    }
    let _ = std::fs::remove_dir_all(&args.work);
    std::fs::create_dir_all(&args.work).unwrap_or_else(|e| die(&format!("create {}: {e}", args.work.display())));
    let work = std::fs::canonicalize(&args.work).expect("work dir");
    let terraform = Terraform {
        binary: std::fs::canonicalize(&args.terraform).expect("terraform path"),
        mirror: std::fs::canonicalize(&args.mirror)
            .unwrap_or_else(|e| die(&format!("mirror {}: {e}", args.mirror.display()))),
    };

    let max_n = plan.bindings.iter().map(|(n, _)| *n).chain(plan.rate.map(|(n, _)| n)).max().unwrap_or(1);
    let rate_off_args: Vec<String> = [
        "--tencent-rate-limit",
        "0",
        "--tencent-sub-accounts",
        &max_n.max(100).to_string(),
        // The mixed configuration measures the provider, not the clouds' asynchronous waits.
        "--huawei-operation-ms",
        "0",
        "--huawei-assignment-ms",
        "0",
        "--zstack-job-ms",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rate_on_args: Vec<String> = plan
        .rate
        .map(|(n, _)| {
            vec![
                "--tencent-rate-limit".into(),
                RATE_PER_SECOND.to_string(),
                "--tencent-sub-accounts".into(),
                n.to_string(),
            ]
        })
        .unwrap_or_default();

    let mut results = Results {
        format: results::FORMAT,
        generated_at: now_utc(),
        mode: if args.quick {
            "quick".into()
        } else if partial {
            "partial".into()
        } else {
            "full".into()
        },
        duration_secs: 0.0,
        machine: procfs::Machine::read(),
        versions: versions(&terraform.binary),
        settings: Settings {
            parallelism: 10,
            emulator_args_rate_off: rate_off_args.clone(),
            emulator_args_rate_on: rate_on_args.clone(),
            provider_requests_per_second_rate_off: 0,
            rate_limit_per_second: RATE_PER_SECOND,
            cold_start_runs: plan.cold_runs,
            command_limit_secs: BTreeMap::from([
                ("rate_off".to_string(), plan.e2e_limit.as_secs()),
                ("rate_limited".to_string(), plan.rate_limit.as_secs()),
            ]),
            refresh_describe_slack: 2,
        },
        binary: None,
        cold_start: None,
        cases: Vec::new(),
        rate_limited: None,
        targets: Vec::new(),
    };
    let save = |results: &mut Results| {
        results.duration_secs = started.elapsed().as_secs_f64();
        results.machine.load_avg_end = procfs::load_avg();
        results.targets = targets::evaluate(results);
        if let Some(dir) = out.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let json = serde_json::to_string_pretty(results).expect("serialise results");
        std::fs::write(&out, json + "\n").unwrap_or_else(|e| die(&format!("write {}: {e}", out.display())));
    };

    if wants("cold") {
        eprintln!("==> cold start: {} launches", plan.cold_runs);
        results.binary = Some(coldstart::binary_size(&args.provider, &work));
        let cold = coldstart::measure(&args.provider, plan.cold_runs, &work);
        if let (Some(h), Some(r)) = (&cold.spawn_to_handshake_ms, &cold.first_rpc_ms) {
            eprintln!("  spawn → handshake {:.2} ms, first RPC {:.2} ms (medians)", h.median, r.median);
        }
        results.cold_start = Some(cold);
        save(&mut results);
    }

    if wants("e2e") || wants("mixed") {
        match Emulator::start(&args.emulator, &rate_off_args) {
            Err(e) => die(&e),
            Ok(emulator) => {
                if wants("e2e") {
                    for (n, reps) in &plan.bindings {
                        eprintln!("==> Terraform end to end: {n} bindings vs {n} terraform_data");
                        let case = suite::run_case(
                            &terraform,
                            &emulator,
                            &work,
                            CaseSpec {
                                name: "bindings",
                                n: *n,
                                bindings: *n,
                                tether_tf: configs::bindings(*n),
                                data_tf: configs::terraform_data(*n),
                                reps: *reps,
                                limit: plan.e2e_limit,
                            },
                        );
                        summarise_case(&case);
                        results.cases.push(case);
                        save(&mut results);
                    }
                }
                if let (true, Some((n, reps))) = (wants("mixed"), plan.mixed) {
                    eprintln!("==> Terraform end to end: mixed configuration of {n} resources vs {n} terraform_data");
                    let case = suite::run_case(
                        &terraform,
                        &emulator,
                        &work,
                        CaseSpec {
                            name: "mixed",
                            n,
                            bindings: n - configs::MIXED_OTHERS,
                            tether_tf: configs::mixed(n),
                            data_tf: configs::terraform_data(n),
                            reps,
                            limit: plan.e2e_limit,
                        },
                    );
                    summarise_case(&case);
                    results.cases.push(case);
                    save(&mut results);
                }
            }
        }
    }

    if let (true, Some((n, reps))) = (wants("rate"), plan.rate) {
        eprintln!("==> rate limit on: {n} bindings at {RATE_PER_SECOND}/s per action");
        match Emulator::start(&args.emulator, &rate_on_args) {
            Err(e) => die(&e),
            Ok(emulator) => {
                let rate =
                    suite::run_rate_limited(&terraform, &emulator, &work, n, reps, plan.rate_limit, RATE_PER_SECOND);
                for p in &rate.phases {
                    eprintln!(
                        "  {}: {} vs optimum {:.1} s",
                        p.phase,
                        p.secs.as_ref().map(|s| format!("{:.1} s", s.median)).unwrap_or_else(|| "no time".into()),
                        p.optimum_secs
                    );
                }
                results.rate_limited = Some(rate);
                save(&mut results);
            }
        }
    }

    save(&mut results);
    write_markdown(&results, &markdown, &out);
    eprintln!("==> wrote {} and {} in {:.0} s", out.display(), markdown.display(), started.elapsed().as_secs_f64());
    for t in &results.targets {
        let verdict = match t.pass {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "n/a ",
        };
        eprintln!("  [{verdict}] {}: {} ({})", t.what, t.measured.as_deref().unwrap_or("—"), t.limit);
    }
    let _ = std::fs::remove_dir_all(&args.work);
}

fn summarise_case(case: &results::Case) {
    for p in &case.phases {
        eprintln!(
            "  {:<14} tether {:>8}  terraform_data {:>8}  ratio {}",
            p.phase,
            p.tether_secs.as_ref().map(|s| format!("{:.2}s", s.median)).unwrap_or_else(|| "—".into()),
            p.data_secs.as_ref().map(|s| format!("{:.2}s", s.median)).unwrap_or_else(|| "—".into()),
            p.ratio.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "—".into())
        );
    }
}

fn write_markdown(results: &Results, path: &Path, results_path: &Path) {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let notes = report::existing_notes(&existing);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(path, report::render(results, notes.as_deref(), results_path))
        .unwrap_or_else(|e| die(&format!("write {}: {e}", path.display())));
}

fn now_utc() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches('Z')
        .to_string()
        + "Z"
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output.status.success().then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn versions(terraform: &Path) -> Versions {
    Versions {
        rustc: command_line("rustc", &["-V"]).unwrap_or_else(|| "unknown".into()),
        terraform: terraform::version(terraform),
        provider: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: command_line("git", &["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into()),
        // --no-optional-locks: only read; `git status` would otherwise refresh the index.
        git_dirty: command_line("git", &["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"])
            .is_some_and(|s| !s.is_empty()),
    }
}
