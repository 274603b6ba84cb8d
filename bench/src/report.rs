//! BENCHMARKS.md, rendered from a [`Results`]. The notes section between the markers is the
//! maintainers' own text (why a target fails) and is carried over from the existing file.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::emulator::{BIND, CANCEL, Calls, DESCRIBE};
use crate::results::{Case, Results};
use crate::stats::Stats;

pub const NOTES_START: &str = "<!-- notes:start -->";
pub const NOTES_END: &str = "<!-- notes:end -->";

const DEFAULT_NOTES: &str = "_For each failing target: why it fails, and whether it can pass. (Kept across runs: \
tether-bench rewrites everything in this file except the text between these markers.)_";

/// The notes section of an existing BENCHMARKS.md, if it has one.
pub fn existing_notes(markdown: &str) -> Option<String> {
    let start = markdown.find(NOTES_START)? + NOTES_START.len();
    let end = start + markdown[start..].find(NOTES_END)?;
    Some(markdown[start..end].trim().to_string())
}

pub fn render(r: &Results, notes: Option<&str>, results_path: &std::path::Path) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "<!-- Written by bench/run.sh (tether-bench) from {}; only the notes section below is kept when it is rewritten. -->\n",
        results_path.display()
    );
    let _ = writeln!(
        w,
        "`bench/run.sh` builds in release mode and runs everything below against the emulator on loopback. \
         This is the **{}** run of {}: the driver took **{}** (plus the release build). Raw numbers, every sample included: \
         [`{}`]({}).\n",
        r.mode,
        r.generated_at,
        duration(r.duration_secs),
        results_path.display(),
        results_path.display()
    );
    let _ = writeln!(
        w,
        "Times are the median of the repetitions, with the spread as min–max; the JSON also has the quartiles. \
         MiB = 1024² bytes. The machine is shared with other builds, so wall times carry noise (see the load average).\n"
    );

    machine(w, r);
    targets(w, r);
    cold_start(w, r);
    end_to_end(w, r);
    calls(w, r);
    rate_limited(w, r);

    let _ = writeln!(w, "## Why targets fail\n");
    let failing: Vec<&str> = r.targets.iter().filter(|t| t.pass == Some(false)).map(|t| t.what.as_str()).collect();
    if failing.is_empty() {
        let _ = writeln!(w, "Every target measured in this run passes.\n");
    } else {
        let _ = writeln!(w, "Failing in this run:\n");
        for what in failing {
            let _ = writeln!(w, "- {what}");
        }
        let _ = writeln!(w);
    }
    let _ = writeln!(w, "{NOTES_START}\n{}\n{NOTES_END}\n", notes.filter(|n| !n.is_empty()).unwrap_or(DEFAULT_NOTES));

    let _ = writeln!(w, "## How to run\n");
    let _ = writeln!(
        w,
        "```sh\nbench/run.sh           # the full run (about 20 minutes on 2 cores): bench/results/latest.json and this file\n\
         bench/run.sh --quick   # a sanity run in a few minutes: fewer repetitions, N ≤ 100 (writes bench/results/quick.json, leaves this file alone)\n\
         bench/run.sh --only cold,e2e   # some sections only (cold, e2e, mixed, rate), also into quick.json\n\
         cargo run --release -p tether-bench -- report   # re-render this file from latest.json\n```\n"
    );
    md
}

fn duration(secs: f64) -> String {
    let secs = secs.round() as u64;
    if secs >= 60 { format!("{} min {:02} s", secs / 60, secs % 60) } else { format!("{secs} s") }
}

/// `median (min–max)` with `decimals` places after scaling by `scale`.
fn spread(s: &Stats, scale: f64, decimals: usize) -> String {
    format!("{:.*} ({:.*}–{:.*})", decimals, s.median * scale, decimals, s.min * scale, decimals, s.max * scale)
}

fn opt_spread(s: Option<&Stats>, scale: f64, decimals: usize) -> String {
    s.map(|s| spread(s, scale, decimals)).unwrap_or_else(|| "—".into())
}

fn machine(w: &mut String, r: &Results) {
    let m = &r.machine;
    let v = &r.versions;
    let _ = writeln!(w, "## Machine and versions\n");
    let _ = writeln!(w, "| | |\n|---|---|");
    let _ = writeln!(w, "| CPU | {}, {} cores |", m.cpu_model, m.cores);
    let _ = writeln!(w, "| RAM | {:.1} GiB |", m.mem_total_mb as f64 / 1024.0);
    let _ = writeln!(w, "| Linux | {} |", m.kernel);
    let _ = writeln!(w, "| Load average (1, 5, 15 min) at start / end | {} / {} |", m.load_avg_start, m.load_avg_end);
    let _ = writeln!(w, "| rustc | {} |", v.rustc);
    let _ = writeln!(w, "| Terraform | {} |", v.terraform);
    let _ = writeln!(
        w,
        "| terraform-provider-tether | {} at commit `{}`{} |",
        v.provider,
        v.git_commit,
        if v.git_dirty { " with uncommitted changes" } else { "" }
    );
    let _ =
        writeln!(w, "| Emulator, rate limit off | `tether-emulator {}` |", r.settings.emulator_args_rate_off.join(" "));
    let _ =
        writeln!(w, "| Emulator, rate limit on | `tether-emulator {}` |", r.settings.emulator_args_rate_on.join(" "));
    let _ = writeln!(w);
}

fn targets(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Targets\n");
    let _ = writeln!(w, "| target | limit | measured | result |\n|---|---|---|---|");
    for t in &r.targets {
        let result = match t.pass {
            Some(true) => "**pass**",
            Some(false) => "**FAIL**",
            None => "not measured",
        };
        let _ = writeln!(w, "| {} | {} | {} | {} |", t.what, t.limit, t.measured.as_deref().unwrap_or("—"), result);
    }
    let _ = writeln!(w);
}

fn cold_start(w: &mut String, r: &Results) {
    let Some(c) = &r.cold_start else { return };
    let _ = writeln!(w, "## Cold start\n");
    let _ = writeln!(
        w,
        "The release binary launched as Terraform launches it ({} launches after one unmeasured warm-up): go-plugin \
         environment with a fresh P-521 AutoMTLS client certificate, handshake line read from stdout, then a unix-socket \
         connection, TLS with the client certificate, HTTP/2 and one `GetProviderSchema` ({} bytes). Memory from \
         `/proc/<pid>/status`.\n",
        c.runs, c.schema_bytes
    );
    let _ = writeln!(w, "| measure | median (min–max) | IQR |\n|---|---|---|");
    let iqr = |s: Option<&Stats>, scale: f64, d: usize| {
        s.map(|s| format!("{:.*}–{:.*}", d, s.q1 * scale, d, s.q3 * scale)).unwrap_or_default()
    };
    let rows: [(&str, Option<&Stats>, f64, usize, &str); 7] = [
        ("spawn → handshake line", c.spawn_to_handshake_ms.as_ref(), 1.0, 2, "ms"),
        ("first RPC over mTLS (connect + TLS + GetProviderSchema)", c.first_rpc_ms.as_ref(), 1.0, 2, "ms"),
        ("spawn → schema received", c.spawn_to_first_rpc_ms.as_ref(), 1.0, 2, "ms"),
        ("floor: spawn → exit of /bin/true", c.spawn_true_ms.as_ref(), 1.0, 2, "ms"),
        ("VmRSS after the handshake", c.rss_after_handshake_kb.as_ref(), 1.0 / 1024.0, 1, "MiB"),
        ("VmRSS after the first RPC", c.rss_after_first_rpc_kb.as_ref(), 1.0 / 1024.0, 1, "MiB"),
        ("VmHWM after the first RPC", c.hwm_after_first_rpc_kb.as_ref(), 1.0 / 1024.0, 1, "MiB"),
    ];
    for (what, s, scale, d, unit) in rows {
        let _ = writeln!(w, "| {what} | {} {unit} | {} |", opt_spread(s, scale, d), iqr(s, scale, d));
    }
    if let Some(b) = &r.binary {
        let _ = writeln!(
            w,
            "| release binary (as built / stripped copy) | {:.2} MiB / {} | |",
            b.bytes as f64 / 1048576.0,
            b.stripped_bytes
                .map(|s| format!("{:.2} MiB", s as f64 / 1048576.0))
                .unwrap_or_else(|| "strip failed".into())
        );
    }
    for f in &c.failures {
        let _ = writeln!(w, "\nFailed launch: {f}");
    }
    let _ = writeln!(w);
}

fn phase_name(p: &str) -> &str {
    match p {
        "plan" => "plan (all to create)",
        "apply" => "apply",
        "plan_nochange" => "no-change plan",
        "destroy" => "destroy",
        other => other,
    }
}

fn case_label(c: &Case) -> String {
    if c.name == "mixed" {
        format!("mixed, all five types ({} bindings + {} others)", c.bindings, c.n - c.bindings)
    } else {
        "`tether_member_auth_binding`".into()
    }
}

fn end_to_end(w: &mut String, r: &Results) {
    if r.cases.is_empty() {
        return;
    }
    let _ = writeln!(w, "## Terraform end to end, rate limit off\n");
    let _ = writeln!(
        w,
        "The real Terraform CLI (`-parallelism={}`, its default), the provider installed from a filesystem mirror, \
         `requests_per_second = {}`, and the emulator's limit off. Each repetition starts from an empty state and a \
         reset emulator and runs plan, apply, no-change plan and destroy; the same N of Terraform's built-in \
         `terraform_data` runs the same four commands in the same repetition (alternating which goes first), so the \
         ratio is the provider's cost over Terraform's own floor. Wall seconds of the whole command. The mixed \
         configuration's asynchronous cloud operations (RGC, Identity Center, ZStack jobs) finish at once in the \
         emulator (`…-ms 0`), so it measures the provider's polling, not the clouds' waits.\n",
        r.settings.parallelism, r.settings.provider_requests_per_second_rate_off
    );
    let _ = writeln!(
        w,
        "| configuration | N | reps | command | tether, s | terraform_data, s | ratio |\n|---|---|---|---|---|---|---|"
    );
    for c in &r.cases {
        for p in &c.phases {
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                case_label(c),
                c.n,
                c.reps,
                phase_name(&p.phase),
                opt_spread(p.tether_secs.as_ref(), 1.0, 2),
                opt_spread(p.data_secs.as_ref(), 1.0, 2),
                p.ratio.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "—".into())
            );
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Where the time goes: CPU seconds (user + system, median) of each command. Tether side: Terraform itself \
         (its CPU and its children's minus its provider processes'), the provider processes (read from `/proc` every \
         50 ms, so up to 50 ms low per process), and the emulator, which shares the same {} cores. terraform_data \
         side: Terraform alone.\n",
        r.machine.cores
    );
    let _ = writeln!(
        w,
        "| configuration | N | command | tether: Terraform | tether: provider | tether: emulator | terraform_data: Terraform |\n|---|---|---|---|---|---|---|"
    );
    for c in &r.cases {
        for p in &c.phases {
            let med = |s: &Option<Stats>| s.as_ref().map(|s| s.median);
            let f = |x: Option<f64>| x.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into());
            let total = med(&p.cpu.tether_total_secs);
            let provider = med(&p.cpu.tether_provider_secs);
            let terraform_own = total.zip(provider).map(|(t, p)| (t - p).max(0.0));
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} |",
                case_label(c),
                c.n,
                phase_name(&p.phase),
                f(terraform_own),
                f(provider),
                f(med(&p.cpu.tether_emulator_secs)),
                f(med(&p.cpu.data_total_secs))
            );
        }
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "Provider memory, sampled from `/proc` every 50 ms while the command runs: the peak (VmHWM) of the provider \
         process Terraform started for the work, and its VmRSS at the last sample before it exited; median (min–max), MiB.\n"
    );
    let _ =
        writeln!(w, "| configuration | N | apply: peak | apply: at the end | destroy: peak |\n|---|---|---|---|---|");
    for c in &r.cases {
        let mem = |phase: &str, end: bool| {
            let p = c.phase(phase);
            opt_spread(
                p.and_then(|p| if end { p.provider_end_rss_kb.as_ref() } else { p.provider_peak_kb.as_ref() }),
                1.0 / 1024.0,
                1,
            )
        };
        let _ = writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            case_label(c),
            c.n,
            mem("apply", false),
            mem("apply", true),
            mem("destroy", false)
        );
    }
    let _ = writeln!(w);
    for c in r.cases.iter().filter(|c| !c.failures.is_empty()) {
        let _ = writeln!(w, "Failures, {} N={}:\n", case_label(c), c.n);
        for f in &c.failures {
            let _ = writeln!(w, "```\n{f}\n```");
        }
        let _ = writeln!(w);
    }
}

/// The median over repetitions of successful calls of `action`.
fn median_ok(calls: &[Calls], action: &str) -> Option<f64> {
    Stats::of(&calls.iter().map(|c| c.ok(action) as f64).collect::<Vec<_>>()).map(|s| s.median)
}

fn batches(calls: &[Calls]) -> String {
    // The first repetition's batch sizes (they vary little, and all are in the JSON).
    let Some(sizes) = calls.first().and_then(|c| c.by_action.get(BIND)).map(|a| &a.batch_sizes) else {
        return "—".into();
    };
    sizes.iter().rev().map(|(size, count)| format!("{count}×{size}")).collect::<Vec<_>>().join(", ")
}

fn calls(w: &mut String, r: &Results) {
    let cases: Vec<&Case> = r.cases.iter().filter(|c| c.name == "bindings").collect();
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(w, "## API calls per binding\n");
    let _ = writeln!(
        w,
        "From the emulator's audit log, per Terraform command (median over repetitions; successful calls; any \
         refused call is listed below the table). Create = `apply`, refresh = the no-change `plan`, destroy = \
         `destroy` (which refreshes first). All bindings share one member and policy. Bind batches: calls × \
         sub-accounts per call.\n"
    );
    let _ = writeln!(
        w,
        "| N | command | Bind | Describe | Cancel | per binding: Bind / Describe / Cancel | Bind batches |\n|---|---|---|---|---|---|---|"
    );
    let mut refused = Vec::new();
    for c in &cases {
        for phase in ["apply", "plan_nochange", "destroy"] {
            let Some(p) = c.phase(phase) else { continue };
            if p.calls.is_empty() {
                continue;
            }
            let m = |a: &str| median_ok(&p.calls, a).unwrap_or(0.0);
            let n = c.n as f64;
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} | {} | {:.2} / {:.2} / {:.2} | {} |",
                c.n,
                match phase {
                    "apply" => "create (apply)",
                    "plan_nochange" => "refresh (no-change plan)",
                    _ => "destroy",
                },
                m(BIND),
                m(DESCRIBE),
                m(CANCEL),
                m(BIND) / n,
                m(DESCRIBE) / n,
                m(CANCEL) / n,
                if phase == "apply" { batches(&p.calls) } else { String::new() }
            );
            for (i, calls) in p.calls.iter().enumerate() {
                for (action, a) in &calls.by_action {
                    for (code, count) in &a.errors {
                        refused.push(format!(
                            "N={} {phase}, repetition {}: {count} × {action} refused with {code}",
                            c.n,
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    let _ = writeln!(w);
    if !refused.is_empty() {
        let _ = writeln!(w, "Refused calls:\n");
        for line in refused {
            let _ = writeln!(w, "- {line}");
        }
        let _ = writeln!(w);
    }
}

fn rate_limited(w: &mut String, r: &Results) {
    let Some(rate) = &r.rate_limited else { return };
    let _ = writeln!(w, "## Rate limit on: {} bindings at 20 calls/s per action\n", rate.n);
    let _ = writeln!(
        w,
        "The emulator enforces Tencent's published 20 requests/s per action and the provider paces itself at its \
         default (20/s per action). Rate-bound optimum = max over actions of (the fewest calls of that action the API \
         needs ÷ 20/s): ⌈N/5⌉ Binds for the apply (Bind takes up to 5 sub-accounts), ⌈N/50⌉ Describe pages for a \
         refresh, N Cancels for the destroy (Cancel takes one). {} repetition(s) (at most {} as time allows); calls \
         from the audit log of the first (ok / throttled / other refusals).\n",
        rate.reps,
        rate.max_reps.max(rate.reps)
    );
    let _ = writeln!(
        w,
        "Terraform's own floor is the same command on the same N of `terraform_data` in the rate-limit-off section \
         (where run): no rate limit can make the provider faster than Terraform itself.\n"
    );
    let _ = writeln!(
        w,
        "| command | wall, s | optimum, s | ratio | Terraform's floor, s | calls made (ok / throttled / refused) | required |\n|---|---|---|---|---|---|---|"
    );
    for p in &rate.phases {
        let floor = terraform_floor(r, rate.n, &p.phase).map(|f| format!("{f:.1}")).unwrap_or_else(|| "—".into());
        let wall = match (&p.secs, p.timed_out) {
            (Some(s), _) => spread(s, 1.0, 1),
            (None, true) => {
                format!("killed at {} s", r.settings.command_limit_secs.get("rate_limited").copied().unwrap_or(0))
            }
            (None, false) => "not run".into(),
        };
        let mut actions: BTreeSet<&String> = BTreeSet::new();
        for c in &p.calls {
            actions.extend(c.by_action.keys());
        }
        let made = p
            .calls
            .first()
            .map(|c| {
                actions
                    .iter()
                    .filter_map(|a| c.by_action.get(*a).map(|x| (a, x)))
                    .map(|(a, x)| {
                        format!("{}: {} / {} / {}", short(a), x.ok, x.throttled(), x.failed() - x.throttled())
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_else(|| "—".into());
        let required = p.required.iter().map(|(a, n)| format!("{}: {n}", short(a))).collect::<Vec<_>>().join("; ");
        let _ = writeln!(
            w,
            "| {} | {} | {:.1} | {} | {} | {} | {} |",
            phase_name(&p.phase),
            wall,
            p.optimum_secs,
            p.ratio.map(|x| format!("{x:.2}×")).unwrap_or_else(|| "—".into()),
            floor,
            made,
            required
        );
    }
    let _ = writeln!(w);
    for f in &rate.failures {
        let _ = writeln!(w, "```\n{f}\n```");
    }
    if !rate.failures.is_empty() {
        let _ = writeln!(w);
    }
}

/// The median time of `phase` on `n` terraform_data resources, from the rate-limit-off cases.
pub fn terraform_floor(r: &Results, n: usize, phase: &str) -> Option<f64> {
    r.cases
        .iter()
        .find(|c| c.name == "bindings" && c.n == n)
        .and_then(|c| c.phase(phase))
        .and_then(|p| p.data_secs.as_ref())
        .map(|s| s.median)
}

/// `tencent:BindOrganizationMemberAuthAccount` → `Bind`.
fn short(action: &str) -> String {
    match action {
        BIND => "Bind".into(),
        CANCEL => "Cancel".into(),
        DESCRIBE => "Describe".into(),
        other => other.split(':').next_back().unwrap_or(other).to_string(),
    }
}
