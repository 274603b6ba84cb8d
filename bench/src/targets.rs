//! The targets of issue 7, each judged pass or fail from a [`Results`].

use crate::emulator::{BIND, DESCRIBE};
use crate::results::{Case, Results, Target};

const MIB: f64 = 1024.0 * 1024.0;

pub fn evaluate(r: &Results) -> Vec<Target> {
    let mut targets = Vec::new();
    let mut add = |id: &str, what: String, limit: &str, measured: Option<String>, pass: Option<bool>| {
        targets.push(Target { id: id.into(), what, limit: limit.into(), measured, pass });
    };

    let cold = r.cold_start.as_ref();
    let handshake = cold.and_then(|c| c.spawn_to_handshake_ms.as_ref());
    add(
        "cold.handshake",
        "Spawn → handshake line (median)".into(),
        "≤ 5 ms",
        handshake.map(|s| format!("{:.2} ms", s.median)),
        handshake.map(|s| s.median <= 5.0),
    );
    let rpc = cold.and_then(|c| c.first_rpc_ms.as_ref());
    add(
        "cold.first_rpc",
        "First RPC over mTLS: connect + TLS + GetProviderSchema (median)".into(),
        "≤ 10 ms",
        rpc.map(|s| format!("{:.2} ms", s.median)),
        rpc.map(|s| s.median <= 10.0),
    );
    let rss = cold.and_then(|c| c.rss_after_first_rpc_kb.as_ref());
    add(
        "rss.start",
        "RSS after start: VmRSS once the first RPC is answered (median)".into(),
        "≤ 15 MiB",
        rss.map(|s| format!("{:.1} MiB", s.median / 1024.0)),
        rss.map(|s| s.median / 1024.0 <= 15.0),
    );
    let largest = largest_bindings_case(r);
    let peak = largest.and_then(|c| c.phase("apply")).and_then(|p| p.provider_peak_kb.as_ref());
    add(
        "rss.large_apply",
        format!(
            "Provider peak RSS (VmHWM just before exit) in the apply of {} bindings (max over repetitions)",
            largest.map(|c| c.n.to_string()).unwrap_or_else(|| "1000".into())
        ),
        "≤ 40 MiB",
        peak.map(|s| format!("{:.1} MiB", s.max / 1024.0)),
        peak.map(|s| s.max / 1024.0 <= 40.0),
    );
    let stripped = r.binary.as_ref().and_then(|b| b.stripped_bytes);
    add(
        "binary.stripped",
        "Stripped release binary".into(),
        "≤ 15 MiB",
        stripped.map(|b| format!("{:.2} MiB", b as f64 / MIB)),
        stripped.map(|b| b as f64 / MIB <= 15.0),
    );

    for (phase, label) in [("apply", "Apply"), ("plan_nochange", "No-change plan")] {
        let ratio = largest.and_then(|c| c.phase(phase)).and_then(|p| p.ratio);
        add(
            &format!("e2e.{phase}_ratio"),
            format!(
                "{label} of {} bindings, rate limit off, ÷ the same N of terraform_data (medians)",
                largest.map(|c| c.n.to_string()).unwrap_or_else(|| "1000".into())
            ),
            "≤ 1.3×",
            ratio.map(|x| format!("{x:.2}×")),
            ratio.map(|x| x <= 1.3),
        );
    }

    let slack = r.settings.refresh_describe_slack;
    for case in r.cases.iter().filter(|c| c.name == "bindings") {
        let n = case.n as u64;
        let describes = case
            .phase("plan_nochange")
            .and_then(|p| p.calls.iter().map(|c| c.ok(DESCRIBE) + failed_of(c, DESCRIBE)).max());
        let limit = n.div_ceil(50) + slack;
        add(
            &format!("calls.refresh_{n}"),
            format!(
                "Refresh (no-change plan), N = {n} bindings of one member+policy: Describe calls (max over repetitions)"
            ),
            &format!("≤ ⌈N/50⌉ + {slack} = {limit}"),
            describes.map(|d| d.to_string()),
            describes.map(|d| d <= limit),
        );
    }
    for case in r.cases.iter().filter(|c| c.name == "bindings" && c.n >= 100) {
        let n = case.n as u64;
        let binds = case.phase("apply").and_then(|p| p.calls.iter().map(|c| c.ok(BIND)).max());
        let largest_batch = case.phase("apply").and_then(|p| {
            p.calls.iter().filter_map(|c| c.by_action.get(BIND)?.batch_sizes.keys().max().copied()).max()
        });
        // "Coalesced into calls of up to 5": on average at least 4 sub-accounts per Bind, so
        // a few partial batches (the last ones, or ones cut short by a lull) still pass.
        let limit = (n.div_ceil(5) as f64 * 1.25).floor() as u64;
        add(
            &format!("calls.create_{n}"),
            format!(
                "Create (apply), N = {n} bindings of one member+policy: successful Bind calls (max over repetitions)"
            ),
            &format!("≤ 1.25 × ⌈N/5⌉ = {limit}, none over 5 sub-accounts"),
            binds.map(|b| match largest_batch {
                Some(size) => format!("{b} (largest batch {size})"),
                None => b.to_string(),
            }),
            binds.map(|b| b <= limit && largest_batch.unwrap_or(0) <= 5),
        );
    }

    if let Some(rate) = &r.rate_limited {
        if let Some(apply) = rate.phases.iter().find(|p| p.phase == "apply") {
            let failed: Option<u64> = apply.calls.iter().map(|c| c.failed()).max();
            let measured = match (&apply.secs, apply.timed_out) {
                (Some(s), _) => Some(format!(
                    "{:.1} s = {:.2}× of {:.1} s, {} failed calls",
                    s.median,
                    s.median / apply.optimum_secs,
                    apply.optimum_secs,
                    failed.unwrap_or(0)
                )),
                (None, true) => Some(format!(
                    "killed at the {} s limit (> {:.0}× of {:.1} s), {} failed calls",
                    r.settings.command_limit_secs.get("rate_limited").copied().unwrap_or(0),
                    r.settings.command_limit_secs.get("rate_limited").copied().unwrap_or(0) as f64 / apply.optimum_secs,
                    apply.optimum_secs,
                    failed.unwrap_or(0)
                )),
                (None, false) => None,
            };
            let pass = match (&apply.secs, apply.timed_out) {
                (Some(s), false) => {
                    Some(apply.ratio.unwrap_or(f64::INFINITY) <= 1.2 && s.n > 0 && failed.unwrap_or(0) == 0)
                }
                (_, true) => Some(false),
                _ => None,
            };
            let measured = measured.map(|m| match crate::report::terraform_floor(r, rate.n, "apply") {
                Some(floor) => format!("{m} (Terraform's own floor, {} terraform_data: {floor:.1} s)", rate.n),
                None => m,
            });
            add(
                "rate.apply",
                format!(
                    "Apply of {} bindings with the 20/s limit on ÷ rate-bound optimum (⌈N/5⌉ Binds ÷ 20/s), and failed calls",
                    rate.n
                ),
                "≤ 1.2×, 0 failed",
                measured,
                pass,
            );
        }
    }
    targets
}

fn failed_of(calls: &crate::emulator::Calls, action: &str) -> u64 {
    calls.by_action.get(action).map(|a| a.failed()).unwrap_or(0)
}

/// The bindings case with the most bindings (1000 in a full run).
pub fn largest_bindings_case(r: &Results) -> Option<&Case> {
    r.cases.iter().filter(|c| c.name == "bindings").max_by_key(|c| c.n)
}
