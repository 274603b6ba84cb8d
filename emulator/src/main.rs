//! `tether-emulator --listen 127.0.0.1:0 [--state FILE] [--tencent-rate-limit N]
//! [--huawei-rate-limit N] [--huawei-operation-ms MS] [--huawei-assignment-ms MS]
//! [--zstack-job-ms MS] [--zstack-session-ttl-secs SECS] [--allow-remote]`
//!
//! Prints the bound address as the first stdout line (callers read it to find the port), then
//! serves until interrupted. Logs go to stderr, filtered by `TETHER_EMULATOR_LOG`.
//!
//! Only loopback addresses are served unless `--allow-remote` is given: the credentials the
//! emulator accepts are published fixtures and its admin API is unauthenticated, so anyone who
//! can reach the port can read and change everything.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tether_emulator::{
    Config, DEFAULT_HUAWEI_ASSIGNMENT_MS, DEFAULT_HUAWEI_OPERATION_MS, DEFAULT_TENCENT_RATE_LIMIT,
    DEFAULT_ZSTACK_JOB_MS, DEFAULT_ZSTACK_SESSION_TTL_SECS, Emulator,
};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

/// Local emulator of the Tencent Cloud, Huawei Cloud and ZStack APIs used by terraform-provider-tether.
#[derive(Debug, Parser)]
#[command(name = "tether-emulator", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port (the bound address is printed first).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Persist the emulated world in FILE (loaded on start when present, saved after every change).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Tencent requests per second per action before RequestLimitExceeded (0 = unlimited).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TENCENT_RATE_LIMIT)]
    tencent_rate_limit: u32,
    /// Huawei requests per second per AK before APIG.0308 (0 = unlimited).
    #[arg(long, value_name = "N", default_value_t = 0)]
    huawei_rate_limit: u32,
    /// How long an RGC operation (enroll, update, un-enroll) stays IN_PROGRESS.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_HUAWEI_OPERATION_MS)]
    huawei_operation_ms: u64,
    /// How long an Identity Center account-assignment request stays IN_PROGRESS.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_HUAWEI_ASSIGNMENT_MS)]
    huawei_assignment_ms: u64,
    /// How long a ZStack asynchronous API job (attach / detach) answers 202 before its result.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_ZSTACK_JOB_MS)]
    zstack_job_ms: u64,
    /// How long a ZStack session lives after its login before calls get ID.1001.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_ZSTACK_SESSION_TTL_SECS)]
    zstack_session_ttl_secs: u64,
    /// Tencent sub-accounts in the seed: the named 12, then `sub-0013`… up to N (for load tests).
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u16).range(1..=10000))]
    tencent_sub_accounts: u16,
    /// Allow `--listen` on a non-loopback address (anyone who can reach it has full control:
    /// the credentials are public fixtures and the admin API is unauthenticated).
    #[arg(long)]
    allow_remote: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("TETHER_EMULATOR_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();

    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tether-emulator: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> std::io::Result<()> {
    let listener = TcpListener::bind(&args.listen).await?;
    let address = listener.local_addr()?;
    // Checked on the bound address, so a host name (`localhost`, or one that resolves to a LAN
    // address) is judged by what it resolved to.
    if !address.ip().is_loopback() {
        if !args.allow_remote {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "refusing to listen on {address}, which is not a loopback address: the emulator's credentials are public and its admin API is unauthenticated. Use 127.0.0.1 (or [::1]), or add --allow-remote if every host that can reach {address} is trusted"
                ),
            ));
        }
        eprintln!(
            "tether-emulator: WARNING: listening on {address}, reachable from other machines (--allow-remote).\n\
             tether-emulator: WARNING: its credentials are the public fixtures in the README and /_emulator/ is unauthenticated:\n\
             tether-emulator: WARNING: anyone who can reach this port can read the state, reset it and inject faults."
        );
    }
    let emulator = Emulator::new(Config {
        state_file: args.state,
        tencent_rate_limit: args.tencent_rate_limit,
        huawei_rate_limit: args.huawei_rate_limit,
        huawei_operation_ms: args.huawei_operation_ms,
        huawei_assignment_ms: args.huawei_assignment_ms,
        zstack_job_ms: args.zstack_job_ms,
        zstack_session_ttl_secs: args.zstack_session_ttl_secs,
        tencent_sub_accounts: usize::from(args.tencent_sub_accounts),
        ..Config::default()
    })?;
    {
        // The first stdout line is the contract with whoever started us: exactly the address.
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{address}")?;
        stdout.flush()?;
    }
    tracing::info!(%address, "tether-emulator listening");

    tokio::select! {
        served = tether_emulator::serve(listener, emulator) => served,
        // State is saved after every mutation, so stopping needs no final flush.
        () = shutdown_signal() => Ok(()),
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
