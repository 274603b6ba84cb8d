//! The official providers' stand-ins (crate `standins/`): a filesystem mirror that holds tether
//! and `terraform-provider-standin` installed as `tencentcloudstack/tencentcloud` and
//! `huaweicloud/huaweicloud`, working directories that install all three from it, and provider
//! blocks pointing the stand-ins at the emulator. Terraform moves state from another provider's
//! type only when that provider is installed, so the move tests create objects through these.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::{Emulator, HuaweiAccount, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace, provider_mirror, target_dir};

/// The releases the stand-ins pose as: the latest of each provider when their schemas were taken
/// (the resource files at these tags are the ones the stand-ins follow).
pub const TENCENTCLOUD_VERSION: &str = "1.83.25";
pub const HUAWEICLOUD_VERSION: &str = "1.97.1";

pub const TENCENTCLOUD_SOURCE: &str = "registry.terraform.io/tencentcloudstack/tencentcloud";
pub const HUAWEICLOUD_SOURCE: &str = "registry.terraform.io/huaweicloud/huaweicloud";
const TETHER_SOURCE: &str = "registry.terraform.io/tether/tether";

/// `required_providers` for configurations that use tether and both stand-ins.
pub const OFFICIAL_REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    tether       = { source = "tether/tether" }
    tencentcloud = { source = "tencentcloudstack/tencentcloud" }
    huaweicloud  = { source = "huaweicloud/huaweicloud" }
  }
}
"#;

/// This test process's mirror (the one `Workspace::new` uses, so it is cleaned up the same way)
/// with the stand-ins added:
/// `<mirror>/registry.terraform.io/tencentcloudstack/tencentcloud/<version>/<os>_<arch>/terraform-provider-tencentcloud_v<version>`
/// and the same for `huaweicloud/huaweicloud`.
pub fn official_mirror() -> &'static Path {
    static MIRROR: OnceLock<PathBuf> = OnceLock::new();
    MIRROR.get_or_init(|| {
        let mirror = provider_mirror().to_path_buf();
        let standin = target_dir().join("terraform-provider-standin");
        assert!(
            standin.is_file(),
            "{} is missing; build the workspace first (cargo build --workspace)",
            standin.display()
        );
        install_standin(&standin, &mirror, "tencentcloudstack", "tencentcloud", TENCENTCLOUD_VERSION);
        install_standin(&standin, &mirror, "huaweicloud", "huaweicloud", HUAWEICLOUD_VERSION);
        mirror
    })
}

/// Terraform's `<os>_<arch>`, named as scripts/install-provider.sh names it.
fn platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

/// Installs the stand-in unpacked under the official provider's name. A hard link when it can
/// be (the debug binary is large and installed twice per test process), else a copy; either way
/// under a temporary name first, so a concurrent `terraform init` never sees half a file.
fn install_standin(standin: &Path, mirror: &Path, namespace: &str, name: &str, version: &str) {
    let dir = mirror.join("registry.terraform.io").join(namespace).join(name).join(version).join(platform());
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    let file = format!("terraform-provider-{name}_v{version}");
    let part = dir.join(format!(".{file}.part"));
    let _ = std::fs::remove_file(&part);
    if std::fs::hard_link(standin, &part).is_err() {
        std::fs::copy(standin, &part)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", standin.display(), part.display()));
    }
    std::fs::rename(&part, dir.join(&file)).unwrap_or_else(|e| panic!("install {file}: {e}"));
}

impl Workspace {
    /// A working directory whose CLI configuration installs tether and both stand-ins only from
    /// [`official_mirror`].
    pub fn with_official_providers(main_tf: &str) -> Workspace {
        Self::with_cli_mirror(main_tf, official_mirror(), &[TETHER_SOURCE, TENCENTCLOUD_SOURCE, HUAWEICLOUD_SOURCE])
    }

    /// A working directory whose CLI configuration installs the `includes` providers only from
    /// `mirror`, and nothing from the network.
    pub fn with_cli_mirror(main_tf: &str, mirror: &Path, includes: &[&str]) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join("terraform.rc");
        let list = includes.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [{list}]\n  }}\n  direct {{\n    exclude = [{list}]\n  }}\n}}\n",
                mirror.display().to_string()
            ),
        )
        .expect("write CLI config");
        let workspace = Workspace { dir, cli_config };
        workspace.write_config(main_tf);
        workspace
    }
}

/// The `provider "tencentcloud"` block of the stand-in, against the emulator's Tencent Cloud.
pub fn tencentcloud_provider(emulator: &Emulator) -> String {
    format!(
        r#"provider "tencentcloud" {{
  secret_id  = "{TENCENT_SECRET_ID}"
  secret_key = "{TENCENT_SECRET_KEY}"
  region     = "ap-guangzhou"
  endpoint   = "{}"
}}
"#,
        emulator.endpoint()
    )
}

/// The `provider "huaweicloud"` block of the stand-in, as `account` of the emulator's fixture.
pub fn huaweicloud_provider(emulator: &Emulator, account: HuaweiAccount) -> String {
    huaweicloud_provider_block(emulator, account, None)
}

/// [`huaweicloud_provider`] with an alias (one account per provider configuration: the invited
/// account accepts its invitation, the management account runs RGC and Identity Center).
pub fn huaweicloud_provider_block(emulator: &Emulator, account: HuaweiAccount, alias: Option<&str>) -> String {
    let alias = alias.map(|a| format!("  alias      = \"{a}\"\n")).unwrap_or_default();
    format!(
        r#"provider "huaweicloud" {{
{alias}  access_key = "{}"
  secret_key = "{}"
  region     = "cn-north-4"
  domain_id  = "{}"
  project_id = "{}"
  endpoint   = "{}"
}}
"#,
        account.access_key,
        account.secret_key,
        account.id,
        account.project_id,
        emulator.endpoint()
    )
}
