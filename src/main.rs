//! terraform-provider-tether: read the environment, then serve Terraform over go-plugin.

use std::process::ExitCode;

use tether::transport::{self, Mode, PluginEnv, ServeConfig};

const PROTOCOL_VERSION: u32 = 6;
const PROVIDER_ADDRESS: &str = "registry.terraform.io/tether/tether";
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

const USAGE: &str = "\
terraform-provider-tether is a Terraform plugin: Terraform or OpenTofu starts it, it is not run by hand.

To use it, install it into a provider mirror (see the README) and declare it in your configuration:

    terraform {
      required_providers {
        tether = { source = \"tether/tether\" }
      }
    }

For provider development, `terraform-provider-tether --debug` serves without TLS and prints the
TF_REATTACH_PROVIDERS value to give Terraform.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("terraform-provider-tether: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let debug = match args.first().map(String::as_str) {
        None => false,
        Some("--debug") => true,
        Some("--version" | "-v") => {
            println!("terraform-provider-tether {}", env!("CARGO_PKG_VERSION"));
            return Ok(ExitCode::SUCCESS);
        }
        Some("--help" | "-h") => {
            println!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(other) => return Err(format!("unknown argument {other:?}\n\n{USAGE}").into()),
    };

    let env = PluginEnv::from_env();
    let mode = if debug {
        Mode::Debug
    } else {
        if env.check_magic_cookie().is_err() {
            eprintln!("{USAGE}");
            return Ok(ExitCode::from(1));
        }
        let client_cert_pem = env.client_cert_pem.clone().ok_or(
            "PLUGIN_CLIENT_CERT is missing: Terraform's AutoMTLS is required (TF_DISABLE_PLUGIN_TLS is not supported; use --debug for plaintext)",
        )?;
        Mode::AutoMtls { client_cert_pem }
    };
    let app_protocol_version = env.negotiate(PROTOCOL_VERSION)?;
    tether::logging::init();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        watch_interrupts(debug, shutdown.clone());
        let service =
            std::sync::Arc::new(tether::protocol::ProviderService::new(tether::provider::TetherProvider::new()));
        let routes = tonic::service::Routes::new(service.grpc(transport::MAX_MESSAGE_BYTES));
        let config = ServeConfig { env, mode, app_protocol_version };
        let served = transport::serve(config, routes, shutdown, |address| {
            if debug {
                print_reattach(address);
            }
            Ok(())
        })
        .await;
        // Terraform kills a provider 2 s after Shutdown; releasing sessions must not take longer.
        let _ = tokio::time::timeout(CLOSE_TIMEOUT, service.close()).await;
        served
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Terraform forwards Ctrl-C to the whole process group and then calls StopProvider; a plugin
/// must survive the signal (as go-plugin's servers do) so it can finish recording state. In
/// debug mode there is no Terraform to stop us, so Ctrl-C shuts down.
fn watch_interrupts(debug: bool, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if debug {
                shutdown.cancel();
                return;
            }
            tracing::debug!("ignoring SIGINT; Terraform will call StopProvider");
        }
    });
}

fn print_reattach(address: &transport::Address) {
    let reattach = serde_json::json!({
        PROVIDER_ADDRESS: {
            "Protocol": "grpc",
            "ProtocolVersion": PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": address.network, "String": address.address },
        }
    });
    println!(
        "Provider serving in debug mode (plaintext). Point Terraform at it with:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n"
    );
}
