//! terraform-provider-standin: test-only stand-ins for two official providers, so that tests can
//! create objects "through the official provider" and then move them to tether with `moved`
//! blocks. Terraform performs such a move only when the source provider is installed (it loads
//! the schema of every provider named in the state), and the state it hands over must be exactly
//! what the official provider writes.
//!
//! One binary serves either provider, chosen by its file name, as Terraform runs it from a
//! filesystem mirror (`tests/support/official.rs` installs the same file under both names):
//!
//! - `terraform-provider-tencentcloud_v<version>`: `registry.terraform.io/tencentcloudstack/tencentcloud`
//!   with `tencentcloud_organization_policy_sub_account_attachment`;
//! - `terraform-provider-huaweicloud_v<version>`: `registry.terraform.io/huaweicloud/huaweicloud`
//!   with `huaweicloud_rgc_account_enroll`, `huaweicloud_organizations_account_invite_accepter` and
//!   `huaweicloud_identitycenter_account_assignment`.
//!
//! Each serves those resource types with the official schemas (terraform-plugin-sdk v2, schema
//! version 0; see each resource file for the upstream file and commit) and the SDK's state,
//! plan and private-data conventions (`sdk`), and really calls the clouds through tether's own
//! clients. The provider configurations hold the official credential arguments and, for tests
//! only, `endpoint` (the emulator's URL), which the official providers do not have.
//!
//! Never shipped: scripts/release.sh builds and packs terraform-provider-tether alone. It speaks
//! protocol 6 over tether's go-plugin transport; the official providers speak protocol 5, which
//! changes nothing Terraform records in state.

mod huaweicloud;
mod sdk;
mod tencentcloud;

use std::process::ExitCode;
use std::sync::Arc;

use tether::transport::{self, Mode, PluginEnv, ServeConfig};

const PROTOCOL_VERSION: u32 = 6;

/// Which provider this executable is, from its file name.
#[derive(Clone, Copy)]
enum Official {
    TencentCloud,
    HuaweiCloud,
}

impl Official {
    fn from_executable() -> Option<Official> {
        let argv0 = std::env::args_os().next().map(std::path::PathBuf::from);
        let names = [argv0, std::env::current_exe().ok()];
        names.iter().flatten().find_map(|path| {
            let name = path.file_name()?.to_str()?;
            if name.starts_with("terraform-provider-tencentcloud") {
                Some(Official::TencentCloud)
            } else if name.starts_with("terraform-provider-huaweicloud") {
                Some(Official::HuaweiCloud)
            } else {
                None
            }
        })
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("terraform-provider-standin: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let Some(official) = Official::from_executable() else {
        return Err("run me as terraform-provider-tencentcloud_v<version> or terraform-provider-huaweicloud_v<version> (a test-only stand-in, installed by tests/support/official.rs)".into());
    };
    let env = PluginEnv::from_env();
    env.check_magic_cookie()
        .map_err(|_| "a Terraform plugin: Terraform starts it from a filesystem mirror, it is not run by hand")?;
    let client_cert_pem =
        env.client_cert_pem.clone().ok_or("PLUGIN_CLIENT_CERT is missing: Terraform's AutoMTLS is required")?;
    let app_protocol_version = env.negotiate(PROTOCOL_VERSION)?;
    tether::logging::init();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        ignore_interrupts();
        let routes = match official {
            Official::TencentCloud => {
                let service = Arc::new(sdk::SdkProvider::new(tencentcloud::provider()));
                tonic::service::Routes::new(service.grpc(transport::MAX_MESSAGE_BYTES))
            }
            Official::HuaweiCloud => {
                let service = Arc::new(sdk::SdkProvider::new(huaweicloud::provider()));
                tonic::service::Routes::new(service.grpc(transport::MAX_MESSAGE_BYTES))
            }
        };
        let config = ServeConfig { env, mode: Mode::AutoMtls { client_cert_pem }, app_protocol_version };
        transport::serve(config, routes, shutdown, |_| Ok(())).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Terraform forwards Ctrl-C to the whole process group and then calls StopProvider; a plugin
/// must survive the signal, as go-plugin's servers do.
fn ignore_interrupts() {
    tokio::spawn(async { while tokio::signal::ctrl_c().await.is_ok() {} });
}
