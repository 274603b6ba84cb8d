//! Cold start of the release provider, launched the way Terraform launches it: the go-plugin
//! environment with an AutoMTLS client certificate, the handshake line read from stdout, then
//! mutual TLS + HTTP/2 on the announced unix socket and one GetProviderSchema call.
//!
//! The gRPC call is made with plain `h2` (a unary call is one HEADERS + one DATA frame each way),
//! so this crate does not need the provider's generated client or tonic's channel feature.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use serde::{Deserialize, Serialize};

use crate::procfs;
use crate::stats::Stats;

/// go-plugin's handshake cookie for Terraform providers (the value in the provider's
/// src/transport/handshake.rs and in Terraform's plugin client).
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Far above any plausible start-up: a hung provider fails the benchmark instead of stalling it.
const LIMIT: Duration = Duration::from_secs(20);

/// Terraform's AutoMTLS client identity: a fresh self-signed P-521 certificate like go-plugin's
/// (CN=localhost, O=HashiCorp, SAN localhost, CA, client+server auth). Terraform makes one per
/// launch before spawning; the benchmark makes one per run, outside the timed span, as well.
struct ClientIdentity {
    pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn client_identity() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("certificate params");
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    name.push(DnType::OrganizationName, "HashiCorp");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.self_signed(&key).expect("self-signed certificate");
    ClientIdentity { pem: cert.pem(), cert: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) }
}

/// One launch, measured.
#[derive(Debug, Clone)]
struct Launch {
    spawn_to_handshake: Duration,
    /// From the handshake line to the full GetProviderSchema answer: unix-socket connect, TLS
    /// handshake with client certificate, HTTP/2 setup and the call.
    first_rpc: Duration,
    after_handshake: procfs::Memory,
    after_first_rpc: procfs::Memory,
    schema_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStart {
    pub runs: usize,
    pub spawn_to_handshake_ms: Option<Stats>,
    pub first_rpc_ms: Option<Stats>,
    pub spawn_to_first_rpc_ms: Option<Stats>,
    pub rss_after_handshake_kb: Option<Stats>,
    pub rss_after_first_rpc_kb: Option<Stats>,
    pub hwm_after_first_rpc_kb: Option<Stats>,
    /// The floor any process start pays here: spawn to exit of /bin/true.
    pub spawn_true_ms: Option<Stats>,
    pub schema_bytes: usize,
    pub failures: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BinarySize {
    pub path: String,
    pub bytes: u64,
    /// A copy run through `strip` (the release profile already strips, so both should agree).
    pub stripped_bytes: Option<u64>,
}

pub fn binary_size(binary: &Path, scratch: &Path) -> BinarySize {
    let bytes = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    let copy = scratch.join("provider-stripped");
    let stripped_bytes = std::fs::copy(binary, &copy)
        .ok()
        .and_then(|_| Command::new("strip").arg(&copy).status().ok())
        .filter(|status| status.success())
        .and_then(|_| std::fs::metadata(&copy).ok())
        .map(|m| m.len());
    let _ = std::fs::remove_file(&copy);
    BinarySize { path: binary.display().to_string(), bytes, stripped_bytes }
}

pub fn measure(binary: &Path, runs: usize, scratch: &Path) -> ColdStart {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let mut launches = Vec::new();
    let mut failures = Vec::new();
    // One unmeasured launch first: it pages the binary in, as any earlier Terraform command
    // would have, so the first sample is not a disk read.
    for i in 0..=runs {
        let identity = client_identity();
        match launch(&runtime, binary, &identity, scratch) {
            Ok(l) if i > 0 => launches.push(l),
            Ok(_) => {}
            Err(e) => failures.push(e),
        }
    }
    let mut spawn_true = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        if Command::new("/bin/true").status().is_ok_and(|s| s.success()) {
            spawn_true.push(ms(started.elapsed()));
        }
    }
    let stat = |f: &dyn Fn(&Launch) -> f64| Stats::of(&launches.iter().map(f).collect::<Vec<_>>());
    ColdStart {
        runs: launches.len(),
        spawn_to_handshake_ms: stat(&|l| ms(l.spawn_to_handshake)),
        first_rpc_ms: stat(&|l| ms(l.first_rpc)),
        spawn_to_first_rpc_ms: stat(&|l| ms(l.spawn_to_handshake + l.first_rpc)),
        rss_after_handshake_kb: stat(&|l| l.after_handshake.rss_kb as f64),
        rss_after_first_rpc_kb: stat(&|l| l.after_first_rpc.rss_kb as f64),
        hwm_after_first_rpc_kb: stat(&|l| l.after_first_rpc.hwm_kb as f64),
        spawn_true_ms: Stats::of(&spawn_true),
        schema_bytes: launches.first().map(|l| l.schema_bytes).unwrap_or(0),
        failures,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Kills and reaps the provider whatever happens (it is our own child).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn launch(
    runtime: &tokio::runtime::Runtime,
    binary: &Path,
    identity: &ClientIdentity,
    scratch: &Path,
) -> Result<Launch, String> {
    // go-plugin puts the socket under TMPDIR; a directory per launch keeps them apart.
    let tmpdir = scratch.join(format!("launch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmpdir);
    std::fs::create_dir_all(&tmpdir).map_err(|e| format!("create {}: {e}", tmpdir.display()))?;
    let mut command = Command::new(binary);
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", &identity.pem)
        .env("TMPDIR", &tmpdir)
        .env_remove("PLUGIN_UNIX_SOCKET_DIR")
        .env_remove("TF_REATTACH_PROVIDERS")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());

    let started = Instant::now();
    let mut child = Reaped(command.spawn().map_err(|e| format!("spawn {}: {e}", binary.display()))?);
    let stdout = child.0.stdout.take().expect("piped stdout");
    // The provider writes the line and keeps running, so a plain blocking read of one line is
    // exact; a provider that never answers is killed by the watchdog below.
    let pid = child.0.id();
    let watchdog = Watchdog::arm(pid, LIMIT);
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| format!("reading the handshake line: {e}"))?;
    let spawn_to_handshake = started.elapsed();
    watchdog.disarm();
    let after_handshake = procfs::memory(pid).ok_or("the provider exited after its handshake")?;
    let line = line.trim_end();
    let fields: Vec<&str> = line.split('|').collect();
    if fields.len() != 6 || fields[0] != "1" || fields[1] != "6" || fields[2] != "unix" || fields[4] != "grpc" {
        return Err(format!("unexpected handshake line {line:?}"));
    }
    let socket = PathBuf::from(fields[3]);
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .map_err(|e| format!("server certificate in the handshake line: {e}"))?;

    let rpc_started = Instant::now();
    let schema = runtime.block_on(async {
        tokio::time::timeout(LIMIT, get_provider_schema(&socket, CertificateDer::from(server_cert), identity))
            .await
            .map_err(|_| "GetProviderSchema timed out".to_string())?
    })?;
    let first_rpc = rpc_started.elapsed();
    let after_first_rpc = procfs::memory(pid).ok_or("the provider exited after its first call")?;
    if !schema.windows(b"tether_member_auth_binding".len()).any(|w| w == b"tether_member_auth_binding") {
        return Err("the schema answer does not mention tether_member_auth_binding".into());
    }
    drop(child);
    let _ = std::fs::remove_dir_all(&tmpdir);
    Ok(Launch { spawn_to_handshake, first_rpc, after_handshake, after_first_rpc, schema_bytes: schema.len() })
}

/// Kills a child that has not answered in time, from another thread (the measuring thread is
/// blocked in a read).
struct Watchdog {
    done: Arc<std::sync::atomic::AtomicBool>,
}

impl Watchdog {
    fn arm(pid: u32, limit: Duration) -> Watchdog {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        std::thread::spawn(move || {
            let deadline = Instant::now() + limit;
            while Instant::now() < deadline {
                if flag.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            }
        });
        Watchdog { done }
    }

    fn disarm(self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Connects as Terraform does (TLS 1.2+, ALPN h2, server name `localhost`, the handshake's
/// certificate as the only root, our client certificate) and makes the unary call
/// `/tfplugin6.Provider/GetProviderSchema` with an empty request. Returns the message bytes.
async fn get_provider_schema(
    socket: &Path,
    server_cert: CertificateDer<'static>,
    identity: &ClientIdentity,
) -> Result<Vec<u8>, String> {
    let crypto = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert).map_err(|e| format!("server certificate: {e}"))?;
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), crypto.clone())
        .build()
        .map_err(|e| format!("verifier: {e}"))?;
    let mut config = rustls::ClientConfig::builder_with_provider(crypto)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_webpki_verifier(verifier)
        .with_client_auth_cert(vec![identity.cert.clone()], PrivateKeyDer::Pkcs8(identity.key.clone_key()))
        .map_err(|e| format!("client certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec()];

    let stream =
        tokio::net::UnixStream::connect(socket).await.map_err(|e| format!("connect {}: {e}", socket.display()))?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("server name"), stream)
        .await
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let (client, connection) = h2::client::handshake(tls).await.map_err(|e| format!("HTTP/2 handshake: {e}"))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.map_err(|e| format!("HTTP/2 not ready: {e}"))?;
    let request = http::Request::builder()
        .method("POST")
        .uri("https://localhost/tfplugin6.Provider/GetProviderSchema")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("request");
    let (answer, mut body) = client.send_request(request, false).map_err(|e| format!("send: {e}"))?;
    // A gRPC message: compressed flag 0, length 0 (the request has no fields).
    body.send_data(Bytes::from_static(&[0, 0, 0, 0, 0]), true).map_err(|e| format!("send body: {e}"))?;
    let answer = answer.await.map_err(|e| format!("answer: {e}"))?;
    let (head, mut stream) = answer.into_parts();
    if head.status != http::StatusCode::OK {
        return Err(format!("HTTP status {}", head.status));
    }
    let mut data = Vec::new();
    while let Some(chunk) = stream.data().await {
        let chunk = chunk.map_err(|e| format!("answer body: {e}"))?;
        let _ = stream.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    // grpc-status is in the trailers, or in the headers of a trailers-only (error) answer.
    let trailers = stream.trailers().await.map_err(|e| format!("trailers: {e}"))?;
    let status = trailers
        .as_ref()
        .and_then(|t| t.get("grpc-status"))
        .or_else(|| head.headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("missing")
        .to_string();
    driver.abort();
    if status != "0" {
        return Err(format!("grpc-status {status}"));
    }
    if data.len() < 5 {
        return Err("empty gRPC answer".into());
    }
    Ok(data.split_off(5))
}
