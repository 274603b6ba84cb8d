//! Shared harness for the end-to-end tests: the real Terraform CLI (installed by
//! `scripts/install-terraform.sh`), the provider installed through a filesystem mirror exactly as
//! users install it, and a fresh `tether-emulator` per test.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub mod official;

pub const PROVIDER_VERSION: &str = env!("CARGO_PKG_VERSION");
pub const TENCENT_SECRET_ID: &str = "AKIDtetheremulator00000000000000000";
pub const TENCENT_SECRET_KEY: &str = "tether-emulator-tencent-secret-key";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    // The provider binary lives in <target>/<profile>/; the emulator is built beside it.
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-tether")).parent().expect("binary has a directory").to_path_buf()
}

/// The pinned Terraform. A missing Terraform is a failure, never a skip: run
/// `scripts/install-terraform.sh` (the README's test command does).
pub fn terraform_path() -> PathBuf {
    let path = std::env::var_os("TETHER_TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/bin/terraform"));
    assert!(
        path.is_file(),
        "Terraform not found at {}; run scripts/install-terraform.sh (or set TETHER_TERRAFORM)",
        path.display()
    );
    path
}

/// A filesystem mirror holding this build of the provider, installed by
/// `scripts/install-provider.sh` as users install it, laid out as
/// `<mirror>/registry.terraform.io/tether/tether/<version>/<os>_<arch>/`.
fn provider_mirror() -> &'static Path {
    static MIRROR: OnceLock<PathBuf> = OnceLock::new();
    MIRROR.get_or_init(|| {
        remove_leftovers_of_finished_runs();
        let mirror = target_dir().join(format!("e2e-mirror-{}", std::process::id()));
        install_provider(&["--binary", env!("CARGO_BIN_EXE_terraform-provider-tether")], &mirror);
        mirror
    })
}

/// Runs `scripts/install-provider.sh ARGS --mirror MIRROR` and returns the mirror path it
/// prints. Never lets the script build: `cargo test` already built the binary and holds the build
/// lock, so a nested cargo would wait forever; `--binary` (rather than `--no-build`) also finds the
/// binary when CARGO_TARGET_DIR or the profile differ from target/debug.
pub fn install_provider(args: &[&str], mirror: &Path) -> PathBuf {
    assert!(
        args.iter().any(|a| matches!(*a, "--binary" | "--from-zip" | "--no-build")),
        "install_provider must not build: pass --binary, --from-zip or --no-build"
    );
    let output = Command::new(repo_root().join("scripts/install-provider.sh"))
        .args(args)
        .arg("--mirror")
        .arg(mirror)
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/install-provider.sh");
    assert!(
        output.status.success(),
        "scripts/install-provider.sh {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout).trim().to_string();
    PathBuf::from(printed)
}

/// Each test process copies the (large, debug) provider into its own mirror; the mirrors of
/// processes that have ended are removed, so repeated runs do not fill the disk. (A shared
/// plugin cache is not used: with no lock file yet, Terraform re-installs into the cache on every
/// `init`, and parallel tests then race on it.)
fn remove_leftovers_of_finished_runs() {
    let Ok(entries) = std::fs::read_dir(target_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name.strip_prefix("e2e-mirror-");
        if let Some(pid) = pid.filter(|pid| pid.chars().all(|c| c.is_ascii_digit())) {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A running emulator on a loopback port, killed when dropped.
pub struct Emulator {
    child: Child,
    pub address: String,
}

impl Emulator {
    pub fn start() -> Emulator {
        Self::start_with(&[])
    }

    pub fn start_with(extra_args: &[&str]) -> Emulator {
        let binary = target_dir().join("tether-emulator");
        assert!(
            binary.is_file(),
            "{} is missing; build the workspace first (cargo build --workspace)",
            binary.display()
        );
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read emulator address");
        let address = line.trim().to_string();
        assert!(!address.is_empty(), "emulator printed no address");
        Emulator { child, address }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Calls the unsigned admin API and parses the JSON answer.
    pub fn admin(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> serde_json::Value {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut stream = TcpStream::connect(&self.address).expect("connect to emulator");
        stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
        write!(
            stream,
            "{method} /_emulator/{path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            body.len()
        )
        .expect("send admin request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read admin response");
        let (head, payload) = response.split_once("\r\n\r\n").expect("HTTP response");
        assert!(head.starts_with("HTTP/1.1 2"), "admin {method} {path} failed: {head}\n{payload}");
        let payload = dechunk(head, payload);
        if payload.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&payload).unwrap_or_else(|e| panic!("admin {path}: {e}: {payload}"))
        }
    }

    /// The audit log entries of one action.
    pub fn calls(&self, action: &str) -> Vec<serde_json::Value> {
        let all = self.admin("GET", "calls", None);
        all.as_array().expect("calls is an array").iter().filter(|c| c["action"] == action).cloned().collect()
    }

    pub fn state(&self) -> serde_json::Value {
        self.admin("GET", "state", None)
    }
}

fn dechunk(head: &str, payload: &str) -> String {
    if !head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        return payload.to_string();
    }
    let mut out = String::new();
    let mut rest = payload;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The result of one Terraform command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The TRACE log the run wrote (Terraform's and the provider's), already scanned for secrets.
    pub trace_log: String,
}

impl Run {
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Both streams with Terraform's line wrapping undone (runs of white space become one
    /// space), for matching whole sentences of a diagnostic.
    pub fn text(&self) -> String {
        self.combined().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        assert_eq!(self.code, 0, "terraform failed:\n{}", self.combined());
        self
    }

    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert_ne!(self.code, 0, "terraform unexpectedly succeeded:\n{}", self.combined());
        self
    }
}

/// A Terraform working directory with the provider installed from the mirror.
pub struct Workspace {
    dir: tempfile::TempDir,
    cli_config: PathBuf,
}

impl Workspace {
    pub fn new(main_tf: &str) -> Workspace {
        Self::with_mirror(main_tf, provider_mirror())
    }

    /// A working directory whose CLI configuration installs `tether/tether` only from `mirror`
    /// (and nothing from the network).
    pub fn with_mirror(main_tf: &str, mirror: &Path) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join("terraform.rc");
        std::fs::write(
            &cli_config,
            format!(
                r#"provider_installation {{
  filesystem_mirror {{
    path    = "{}"
    include = ["registry.terraform.io/tether/tether"]
  }}
  direct {{
    exclude = ["registry.terraform.io/tether/tether"]
  }}
}}
"#,
                mirror.display()
            ),
        )
        .expect("write CLI config");
        let workspace = Workspace { dir, cli_config };
        workspace.write_config(main_tf);
        workspace
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write_config(&self, main_tf: &str) {
        self.write_file("main.tf", main_tf);
    }

    pub fn write_file(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).unwrap_or_else(|e| panic!("write {name}: {e}"));
    }

    pub fn read_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    pub fn terraform(&self, args: &[&str]) -> Run {
        self.terraform_with_env(args, &[])
    }

    /// A Terraform command as a child process, for tests that signal it.
    pub fn spawn_terraform(&self, args: &[&str], env: &[(&str, &str)]) -> Child {
        let mut command = self.command(args);
        command.envs(env.iter().copied()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.spawn().expect("spawn terraform")
    }

    pub fn terraform_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output: Output = self.command(args).envs(env.iter().copied()).output().expect("run terraform");
        let mut run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            trace_log: String::new(),
        };
        // Every run of the suite is a secret-hygiene check: Terraform's output and its TRACE log
        // (which includes the provider's own log) must hold no credential.
        let log_path = self.trace_log();
        let log = std::fs::read(&log_path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let _ = std::fs::remove_file(&log_path);
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr), ("TF_LOG=TRACE log", &log)] {
            if let Some(leak) = find_secret(text) {
                panic!("terraform {args:?}: {leak} appears in its {name}");
            }
        }
        run.trace_log = log;
        run
    }

    /// Where the current Terraform command writes its TRACE log.
    fn trace_log(&self) -> PathBuf {
        self.dir.path().join("terraform-trace.log")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(terraform_path());
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_LOG", "TRACE")
            .env("TF_LOG_PATH", self.trace_log())
            .env_remove("TF_LOG_PROVIDER")
            // Only the mirror may supply the provider: a host plugin cache would bypass it.
            .env_remove("TF_PLUGIN_CACHE_DIR")
            // The host's own cloud credentials must never leak into a test.
            .env_remove("TENCENTCLOUD_SECRET_ID")
            .env_remove("TENCENTCLOUD_SECRET_KEY")
            .env_remove("TENCENTCLOUD_SECURITY_TOKEN")
            .env_remove("TENCENTCLOUD_REGION")
            .env_remove("HW_ACCESS_KEY")
            .env_remove("HW_SECRET_KEY")
            .env_remove("HW_SECURITY_TOKEN")
            .env_remove("HW_REGION_NAME")
            .env_remove("HW_DOMAIN_ID")
            .env_remove("HW_PROJECT_ID")
            .env_remove("ZSTACK_ENDPOINT")
            .env_remove("ZSTACK_ACCOUNT_NAME")
            .env_remove("ZSTACK_ACCOUNT_PASSWORD")
            .env_remove("ZSTACK_ACCESS_KEY_ID")
            .env_remove("ZSTACK_ACCESS_KEY_SECRET")
            // Nor the host's extra CA bundles: a test sets the ones it means.
            .env_remove("TENCENTCLOUD_CA_CERT_FILE")
            .env_remove("HW_CA_CERT_FILE")
            .env_remove("ZSTACK_CA_CERT_FILE")
            .stdin(Stdio::null());
        command
    }

    pub fn init(&self) {
        self.terraform(&["init", "-no-color", "-input=false"]).success();
    }

    /// `terraform show -json`: the resources in state, by address.
    pub fn state_resources(&self) -> Vec<serde_json::Value> {
        let run = self.terraform(&["show", "-json", "-no-color"]);
        run.success();
        let state: serde_json::Value = serde_json::from_str(&run.stdout).expect("show -json");
        state["values"]["root_module"]["resources"].as_array().cloned().unwrap_or_default()
    }
}

/// The provider block for the emulator's Tencent Cloud.
pub fn tencent_provider(emulator: &Emulator) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    tether = {{ source = "tether/tether" }}
  }}
}}

provider "tether" {{
  tencentcloud {{
    secret_id  = "{TENCENT_SECRET_ID}"
    secret_key = "{TENCENT_SECRET_KEY}"
    endpoint   = "{}"
  }}
}}
"#,
        emulator.endpoint()
    )
}

/// A Huawei Cloud account of the emulator's fixture, with its own credentials.
#[derive(Clone, Copy)]
pub struct HuaweiAccount {
    pub id: &'static str,
    pub name: &'static str,
    pub project_id: &'static str,
    pub access_key: &'static str,
    pub secret_key: &'static str,
}

pub const HW_MANAGEMENT: HuaweiAccount = HuaweiAccount {
    id: "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60",
    name: "tether-management",
    project_id: "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5",
    access_key: "HWTETHERMANAGEMENT01",
    secret_key: "tether-emulator-huawei-management-sk",
};
pub const HW_FINANCE_PROD: HuaweiAccount = HuaweiAccount {
    id: "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71",
    name: "finance-prod",
    project_id: "6a1d7c8e5b3d4eaf9a2c7b8d9e0f1ac6",
    access_key: "HWTETHERFINANCEPROD1",
    secret_key: "tether-emulator-huawei-finance-prod-sk",
};
pub const HW_DATA_PLATFORM: HuaweiAccount = HuaweiAccount {
    id: "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82",
    name: "data-platform",
    project_id: "7b2e8d9f6c4e4fb08b3d8c9e0f1a2bd7",
    access_key: "HWTETHERDATAPLATFRM1",
    secret_key: "tether-emulator-huawei-data-platform-sk",
};
pub const HW_NEW_ACQUISITION: HuaweiAccount = HuaweiAccount {
    id: "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93",
    name: "new-acquisition",
    project_id: "8c3f9e0a7d5f4ac19c4e9d0f1a2b3ce8",
    access_key: "HWTETHERNEWACQUISIT1",
    secret_key: "tether-emulator-huawei-new-acquisition-sk",
};

/// A `provider "tether"` block (optionally an alias) with one Huawei account's credentials,
/// every endpoint pointing at the emulator.
pub fn huawei_provider_block(emulator: &Emulator, account: HuaweiAccount, alias: Option<&str>) -> String {
    let alias = alias.map(|a| format!("  alias = \"{a}\"\n")).unwrap_or_default();
    let endpoint = emulator.endpoint();
    format!(
        r#"provider "tether" {{
{alias}  huaweicloud {{
    access_key = "{}"
    secret_key = "{}"
    region     = "cn-north-4"
    domain_id  = "{}"
    project_id = "{}"
    endpoints {{
      organizations  = "{endpoint}"
      rgc            = "{endpoint}"
      identitycenter = "{endpoint}"
    }}
  }}
}}
"#,
        account.access_key, account.secret_key, account.id, account.project_id
    )
}

pub const REQUIRED_PROVIDERS: &str =
    "terraform {\n  required_providers {\n    tether = { source = \"tether/tether\" }\n  }\n}\n";

/// Huawei clients of our own, acting as `account`, to change the cloud behind Terraform's back.
pub fn huawei_clients(emulator: &Emulator, account: HuaweiAccount) -> tether::clouds::huawei::HuaweiClients {
    use tether::clouds::huawei::{HuaweiClients, HuaweiConfig, HuaweiCredentials, HuaweiEndpoints};
    let mut config = HuaweiConfig::new(
        HuaweiCredentials {
            access_key: account.access_key.into(),
            secret_key: tether::clouds::Secret::new(account.secret_key),
            security_token: None,
        },
        "cn-north-4",
    );
    config.endpoints = HuaweiEndpoints::single(emulator.endpoint().parse().unwrap());
    config.domain_id = Some(account.id.into());
    config.project_id = Some(account.project_id.into());
    HuaweiClients::new(&config).unwrap()
}

/// Names the first credential found in `text` (without quoting it): the fixture's secrets, the
/// digest the ZStack login sends, and the shapes of request signatures and session tokens.
pub fn find_secret(text: &str) -> Option<String> {
    use sha2::{Digest, Sha512};
    let password_digest = hex::encode(Sha512::digest(b"password"));
    let fixed = [
        ("the Tencent SecretKey", TENCENT_SECRET_KEY.to_string()),
        ("a Huawei SK", HW_MANAGEMENT.secret_key.to_string()),
        ("a Huawei SK", HW_FINANCE_PROD.secret_key.to_string()),
        ("a Huawei SK", HW_DATA_PLATFORM.secret_key.to_string()),
        ("a Huawei SK", HW_NEW_ACQUISITION.secret_key.to_string()),
        ("the ZStack AccessKey secret", "tether-emulator-zstack-access-key-secret".to_string()),
        ("the ZStack password digest", password_digest),
    ];
    for (what, secret) in fixed {
        if text.contains(&secret) {
            return Some(what.to_string());
        }
    }
    // A signature value (TC3 and SDK-HMAC `Signature=<hex>`) or a ZStack session header.
    for (marker, what) in [("Signature=", "a request signature"), ("OAuth ", "a ZStack session id")] {
        for (at, _) in text.match_indices(marker) {
            let value: String = text[at + marker.len()..].chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if value.len() >= 32 {
                return Some(what.to_string());
            }
        }
    }
    None
}

/// A Tencent client of our own, to change the cloud behind Terraform's back.
pub fn tencent_client(emulator: &Emulator) -> tether::clouds::tencent::TencentOrganizationClient {
    use tether::clouds::tencent::{TencentConfig, TencentCredentials, TencentOrganizationClient};
    let mut config = TencentConfig::new(TencentCredentials {
        secret_id: TENCENT_SECRET_ID.into(),
        secret_key: tether::clouds::Secret::new(TENCENT_SECRET_KEY),
        security_token: None,
    });
    config.endpoint = emulator.endpoint().parse().unwrap();
    TencentOrganizationClient::new(config).unwrap()
}

/// Runs one future to completion, for out-of-band calls from synchronous tests.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

impl Workspace {
    /// A Terraform command run by another Terraform binary than the pinned one (for the client
    /// version matrix), with the same environment, CLI configuration and secret-hygiene scan.
    pub fn terraform_with(&self, binary: &Path, args: &[&str]) -> Run {
        // The pinned command's settings, carried over to the other binary.
        let template = self.command(args);
        let mut command = Command::new(binary);
        command.args(template.get_args()).stdin(Stdio::null());
        if let Some(dir) = template.get_current_dir() {
            command.current_dir(dir);
        }
        for (name, value) in template.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let output = command.output().unwrap_or_else(|e| panic!("run {}: {e}", binary.display()));
        let log_path = self.trace_log();
        let log = std::fs::read(&log_path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let _ = std::fs::remove_file(&log_path);
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            trace_log: log,
        };
        for (name, text) in [("stdout", &run.stdout), ("stderr", &run.stderr), ("TF_LOG=TRACE log", &run.trace_log)] {
            if let Some(leak) = find_secret(text) {
                panic!("{} {args:?}: {leak} appears in its {name}", binary.display());
            }
        }
        run
    }
}

/// A TCP front for an endpoint that either passes connections through or holds them open
/// without ever answering — an endpoint that accepts TCP and then hangs, as a dead load balancer
/// or a wedged API server does. The mode is read when a connection is accepted, so switch it
/// between Terraform commands (each starts a new provider process with new connections).
pub struct HangingProxy {
    address: String,
    hanging: std::sync::Arc<std::sync::atomic::AtomicBool>,
    held: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl HangingProxy {
    /// Passes connections to `target` (`host:port`) until [`hang`](Self::hang).
    pub fn start(target: &str) -> HangingProxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let address = listener.local_addr().unwrap().to_string();
        let hanging = Arc::new(AtomicBool::new(false));
        let held = Arc::new(AtomicUsize::new(0));
        let (target, mode, count) = (target.to_string(), Arc::clone(&hanging), Arc::clone(&held));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if mode.load(Ordering::SeqCst) {
                    count.fetch_add(1, Ordering::SeqCst);
                    // Read and drop whatever comes, never answer, until the client gives up.
                    std::thread::spawn(move || {
                        let mut client = client;
                        let _ = std::io::copy(&mut client, &mut std::io::sink());
                    });
                    continue;
                }
                let Ok(upstream) = TcpStream::connect(&target) else { continue };
                let (mut client_read, mut upstream_write) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_read, &mut upstream_write);
                    let _ = upstream_write.shutdown(std::net::Shutdown::Write);
                });
                let (mut upstream_read, mut client_write) = (upstream, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut upstream_read, &mut client_write);
                    let _ = client_write.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        HangingProxy { address, hanging, held }
    }

    /// A proxy that hangs from the start, in front of nothing.
    pub fn hung() -> HangingProxy {
        let proxy = HangingProxy::start("127.0.0.1:9");
        proxy.hang();
        proxy
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn hang(&self) {
        self.hanging.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn pass(&self) {
        self.hanging.store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many connections were accepted and held without an answer.
    pub fn held(&self) -> usize {
        self.held.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// What became of a Terraform command stopped with SIGINT (Ctrl-C).
pub struct Interrupted {
    /// From the signal to Terraform's exit.
    pub exit_after: Duration,
    pub code: Option<i32>,
    pub output: String,
}

/// Runs `terraform <args>` in `workspace`, waits until `ready()` (for example: the emulator saw
/// the call to interrupt, or the proxy holds a connection), sends SIGINT as Ctrl-C does and waits
/// for Terraform to exit — at most `limit` after the signal, then it is killed and the test fails.
pub fn interrupt_when(
    workspace: &Workspace,
    args: &[&str],
    mut ready: impl FnMut() -> bool,
    limit: Duration,
) -> Interrupted {
    use std::time::Instant;
    let mut child = workspace.spawn_terraform(args, &[]);
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let started = Instant::now();
    while !ready() {
        if started.elapsed() > Duration::from_secs(120) || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "terraform {args:?} never reached the point to interrupt:\n{}{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = Instant::now();
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill -INT");
    assert!(status.success());
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if signalled.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "terraform {args:?} did not exit within {limit:?} of SIGINT:\n{}{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let exit_after = signalled.elapsed();
    let output = format!("{}{}", stdout.join().unwrap(), stderr.join().unwrap());
    if let Some(leak) = find_secret(&output) {
        panic!("terraform {args:?}: {leak} appears in its output");
    }
    Interrupted { exit_after, code, output }
}
