//! Protocol-level tests of the go-plugin transport, run against the real binary started the way
//! Terraform starts it: magic cookie and AutoMTLS client certificate in the environment, the
//! handshake line read from stdout, then mutual TLS + HTTP/2 gRPC on the announced unix socket.
//!
//! The client certificate is built like go-plugin's (`mtls.go`): ECDSA P-521 / SHA-512,
//! `CN=localhost,O=HashiCorp`, SAN `DNS:localhost`, CA:TRUE, so the plugin is exercised with the
//! exact kind of certificate Terraform presents.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tether::protocol::tfplugin6::{self, provider_client::ProviderClient};
use tokio::net::UnixStream;
use tokio_rustls::client::TlsStream;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Endpoint, Uri};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-tether");
const MAGIC_COOKIE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// Generous: a debug build on a busy machine; Terraform itself waits a minute.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// A hung call or connection is a failure, not something to wait on forever.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------------
// Helpers: Terraform's client identity, launching the plugin, TLS and gRPC over the socket.
// ---------------------------------------------------------------------------------------------

/// The AutoMTLS client certificate Terraform generates per launch, and its key.
struct ClientIdentity {
    pem: String,
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

/// Like go-plugin's `generateCert`: P-521, CA:TRUE, CN=localhost, O=HashiCorp, SAN localhost.
fn terraform_client_identity() -> ClientIdentity {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose, SerialNumber,
    };
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.distinguished_name.push(DnType::OrganizationName, "HashiCorp");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
    let mut serial: [u8; 16] = rand::random();
    serial[0] &= 0x7f; // a positive 128-bit serial, as Go's rand.Int produces
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::hours(262_980);
    let cert = params.self_signed(&key).expect("self-signed client certificate");
    ClientIdentity { pem: cert.pem(), cert: cert.der().clone(), key: PrivatePkcs8KeyDer::from(key.serialize_der()) }
}

/// Kills and reaps the child when dropped, so a failing test never leaves a plugin behind; on
/// panic it also prints what the plugin wrote to stderr.
struct ChildGuard {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl ChildGuard {
    /// Spawns `command` with piped stdio; stderr is collected in the background.
    fn spawn(command: &mut Command) -> ChildGuard {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the provider binary");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                sink.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        ChildGuard { child, stderr }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Polls for exit until `timeout`; `None` if the process is still running.
    fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            // Give the stderr reader a moment to collect the last bytes.
            std::thread::sleep(Duration::from_millis(50));
            eprintln!("--- provider stderr ---\n{}\n--- end ---", self.stderr());
        }
    }
}

/// The environment go-plugin's client gives a managed AutoMTLS plugin (host env inherited).
fn terraform_command(client_cert_pem: &str, tmpdir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_cert_pem)
        .env_remove("PLUGIN_UNIX_SOCKET_DIR")
        .env_remove("PLUGIN_MULTIPLEX_GRPC")
        .env_remove("TF_REATTACH_PROVIDERS")
        // Isolates the socket (go-plugin creates it under TMPDIR) so its removal can be checked.
        .env("TMPDIR", tmpdir)
        .env("TF_LOG_PROVIDER", "DEBUG");
    command
}

/// A running plugin after its handshake line was read.
struct Plugin {
    child: ChildGuard,
    /// The first stdout line, without its trailing newline.
    handshake: String,
    /// Spawn to handshake line.
    startup: Duration,
    tmpdir: tempfile::TempDir,
}

impl Plugin {
    fn launch(client: &ClientIdentity) -> Plugin {
        let tmpdir = tempfile::tempdir().expect("tempdir");
        let started = Instant::now();
        let mut child = ChildGuard::spawn(&mut terraform_command(&client.pem, tmpdir.path()));
        let stdout = child.child.stdout.take().unwrap();
        let (line_tx, line_rx) = mpsc::channel();
        // Like go-plugin: the first line is the handshake, everything after it is drained.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line);
            let _ = line_tx.send(read.map(|_| line));
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match line_rx.recv_timeout(HANDSHAKE_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => panic!("reading the handshake line: {error}"),
            Err(_) => panic!("no handshake line within {HANDSHAKE_TIMEOUT:?}"),
        };
        let startup = started.elapsed();
        assert!(line.ends_with('\n'), "stdout closed before a full handshake line: {line:?}");
        let handshake = line.strip_suffix('\n').unwrap().to_string();
        Plugin { child, handshake, startup, tmpdir }
    }

    fn field(&self, index: usize) -> &str {
        self.handshake
            .split('|')
            .nth(index)
            .unwrap_or_else(|| panic!("handshake line {:?} has no field {index}", self.handshake))
    }

    fn socket_path(&self) -> PathBuf {
        assert_eq!(self.field(2), "unix", "network in {:?}", self.handshake);
        PathBuf::from(self.field(3))
    }

    fn server_cert(&self) -> CertificateDer<'static> {
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(self.field(5))
            .expect("certificate field is unpadded standard base64");
        CertificateDer::from(der)
    }

    /// Opens a TLS connection as Terraform does: TLS 1.2+, ALPN h2, server name `localhost`,
    /// the server certificate from the handshake as the only root, and optionally a client
    /// certificate.
    async fn connect_tls(&self, client: Option<&ClientIdentity>) -> std::io::Result<TlsStream<UnixStream>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.server_cert()).expect("server certificate as a trust anchor");
        // webpki verifies a non-CA self-signed leaf against itself as the anchor (as Go does),
        // checking signature, validity, EKU serverAuth and the `localhost` SAN.
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .expect("server verifier");
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .expect("TLS versions")
            .with_webpki_verifier(verifier);
        let mut config = match client {
            Some(client) => builder
                .with_client_auth_cert(vec![client.cert.clone()], PrivateKeyDer::Pkcs8(client.key.clone_key()))
                .expect("client certificate"),
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec()];
        let socket = UnixStream::connect(self.socket_path()).await?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::try_from("localhost").unwrap();
        tokio::time::timeout(CALL_TIMEOUT, connector.connect(name, socket))
            .await
            .map_err(|_| std::io::Error::other("TLS handshake timed out"))?
    }
}

/// An HTTP/2 gRPC channel over an already established stream (used once; no reconnects).
async fn grpc_channel(stream: TlsStream<UnixStream>) -> Result<Channel, tonic::transport::Error> {
    let slot = Arc::new(Mutex::new(Some(stream)));
    Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let stream = slot.lock().unwrap().take();
            async move {
                stream
                    .map(hyper_util::rt::TokioIo::new)
                    .ok_or_else(|| std::io::Error::other("the TLS stream was already used"))
            }
        }))
        .await
}

async fn get_provider_schema(channel: Channel) -> Result<tfplugin6::get_provider_schema::Response, tonic::Status> {
    let mut client = ProviderClient::new(channel).max_decoding_message_size(256 << 20);
    let call = client.get_provider_schema(tfplugin6::get_provider_schema::Request {});
    match tokio::time::timeout(CALL_TIMEOUT, call).await {
        Ok(result) => result.map(tonic::Response::into_inner),
        Err(_) => panic!("GetProviderSchema neither answered nor failed within {CALL_TIMEOUT:?}"),
    }
}

/// `plugin.Empty` and `google.protobuf.Empty`: both encode as zero bytes. Also used to ignore
/// the bodies of stdio/broker messages, whose fields prost skips as unknown.
#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}

fn empty_codec() -> tonic_prost::ProstCodec<Empty, Empty> {
    tonic_prost::ProstCodec::default()
}

/// The go-plugin services are not reachable from outside the crate (`transport::services` is
/// private), so these calls are built by hand on `tonic::client::Grpc`.
async fn plugin_shutdown(channel: Channel) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = PathAndQuery::from_static("/plugin.GRPCController/Shutdown");
    grpc.unary(tonic::Request::new(Empty {}), path, empty_codec()).await.map(|_| ())
}

/// Opens the streams Terraform keeps open for a plugin's whole life: StreamStdio and the broker.
async fn open_terraform_streams(channel: Channel) -> (tonic::Streaming<Empty>, tonic::Streaming<Empty>) {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("channel ready");
    let stdio = grpc
        .server_streaming(
            tonic::Request::new(Empty {}),
            PathAndQuery::from_static("/plugin.GRPCStdio/StreamStdio"),
            empty_codec(),
        )
        .await
        .expect("StreamStdio accepted")
        .into_inner();
    grpc.ready().await.expect("channel ready");
    let broker = grpc
        .streaming(
            tonic::Request::new(futures_util::stream::pending::<Empty>()),
            PathAndQuery::from_static("/plugin.GRPCBroker/StartStream"),
            empty_codec(),
        )
        .await
        .expect("broker StartStream accepted")
        .into_inner();
    (stdio, broker)
}

/// Runs the binary to completion (it must exit within 5 s); returns status, stdout, stderr.
fn run_to_exit(command: &mut Command) -> (ExitStatus, String, String) {
    let started = Instant::now();
    let mut child = ChildGuard::spawn(command);
    let mut stdout = child.child.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let status =
        child.wait_timeout(Duration::from_secs(5)).unwrap_or_else(|| panic!("the binary did not exit within 5 s"));
    eprintln!("exited with {status} after {:?}", started.elapsed());
    let stdout = out.join().unwrap();
    std::thread::sleep(Duration::from_millis(50)); // let the stderr reader finish
    (status, stdout, child.stderr())
}

fn assert_refused_launch(status: ExitStatus, stdout: &str, stderr: &str) {
    assert!(!status.success(), "expected a non-zero exit, got {status}");
    assert!(stdout.is_empty(), "nothing (certainly no handshake) may go to stdout: {stdout:?}");
    assert!(stderr.contains("is a Terraform plugin"), "stderr should explain this is a Terraform plugin: {stderr:?}");
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn without_magic_cookie_exits_with_a_human_message() {
    let tmpdir = tempfile::tempdir().unwrap();
    let client = terraform_client_identity();
    let mut command = terraform_command(&client.pem, tmpdir.path());
    command.env_remove("TF_PLUGIN_MAGIC_COOKIE");
    let (status, stdout, stderr) = run_to_exit(&mut command);
    assert_refused_launch(status, &stdout, &stderr);
    assert_eq!(std::fs::read_dir(tmpdir.path()).unwrap().count(), 0, "no socket was created");
}

#[test]
fn wrong_magic_cookie_exits_with_a_human_message() {
    let tmpdir = tempfile::tempdir().unwrap();
    let client = terraform_client_identity();
    let mut command = terraform_command(&client.pem, tmpdir.path());
    command.env("TF_PLUGIN_MAGIC_COOKIE", &MAGIC_COOKIE[..MAGIC_COOKIE.len() - 1]);
    let (status, stdout, stderr) = run_to_exit(&mut command);
    assert_refused_launch(status, &stdout, &stderr);
}

#[test]
fn handshake_line_has_go_plugin_format() {
    let client = terraform_client_identity();
    let plugin = Plugin::launch(&client);
    eprintln!("spawn -> handshake line: {:?}", plugin.startup);
    eprintln!("handshake line: {}", plugin.handshake);

    let line = &plugin.handshake;
    assert!(!line.contains('\r'), "no CR in the handshake line: {line:?}");
    let fields: Vec<&str> = line.split('|').collect();
    assert_eq!(fields.len(), 6, "exactly six fields: {line:?}");
    assert_eq!(fields[0], "1", "core protocol version");
    assert_eq!(fields[1], "6", "negotiated app protocol version");
    assert_eq!(fields[2], "unix", "network");
    assert_eq!(fields[4], "grpc", "protocol");

    let socket = plugin.socket_path();
    assert!(socket.is_absolute(), "socket path {socket:?} is absolute");
    assert!(socket.starts_with(plugin.tmpdir.path()), "socket {socket:?} is created under TMPDIR");
    let meta = std::fs::metadata(&socket).expect("socket path exists");
    assert!(meta.file_type().is_socket(), "{socket:?} is a unix socket");

    let cert = fields[5];
    assert!(cert.len() > 50, "go-plugin ignores a cert field of 50 chars or less");
    assert!(!cert.contains('='), "no base64 padding");
    assert!(!cert.contains('-') && !cert.contains('_'), "standard alphabet, not URL-safe");
    assert!(
        cert.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/'),
        "only standard base64 characters: {cert:?}"
    );
    let der = plugin.server_cert();
    assert_eq!(der.first(), Some(&0x30), "DER starts with a SEQUENCE");
    rustls::server::ParsedCertificate::try_from(&der).expect("rustls/webpki parses the cert");
    // A SubjectAltName dNSName entry: context tag [2], length 9, "localhost".
    let san = [&[0x82u8, 9][..], b"localhost"].concat();
    assert!(der.windows(san.len()).any(|w| w == san), "SAN DNS:localhost in the certificate");
}

#[tokio::test]
async fn mtls_with_terraform_client_cert_serves_grpc() {
    let client = terraform_client_identity();
    let plugin = Plugin::launch(&client);

    // Success here also proves the server cert chains to itself for the name `localhost`.
    let tls = plugin.connect_tls(Some(&client)).await.expect("mTLS handshake succeeds");
    let (_, session) = tls.get_ref();
    assert_eq!(session.alpn_protocol(), Some(&b"h2"[..]), "ALPN h2 negotiated");
    eprintln!("negotiated {:?}, {:?}", session.protocol_version(), session.negotiated_cipher_suite());
    assert_eq!(session.peer_certificates().map(<[_]>::len), Some(1), "one server certificate");

    let channel = grpc_channel(tls).await.expect("HTTP/2 connection");
    let schema = get_provider_schema(channel).await.expect("GetProviderSchema over mTLS");
    assert!(
        schema.resource_schemas.contains_key("tether_member_auth_binding"),
        "resource types: {:?}",
        schema.resource_schemas.keys().collect::<Vec<_>>()
    );
    let capabilities = schema.server_capabilities.expect("server capabilities present");
    assert!(capabilities.plan_destroy, "plan_destroy advertised");
}

/// Asserts that a connection authenticated as `client` (or not at all) gets no gRPC answer:
/// either the TLS handshake fails or the first call does.
async fn assert_rejected(plugin: &Plugin, client: Option<&ClientIdentity>) {
    let tls = match plugin.connect_tls(client).await {
        Err(error) => {
            eprintln!("rejected during the TLS handshake: {error}");
            return;
        }
        // With TLS 1.3 the client finishes before the server checks its certificate; the
        // server's alert arrives on the first read.
        Ok(tls) => tls,
    };
    let channel = match grpc_channel(tls).await {
        Err(error) => {
            eprintln!("rejected before HTTP/2 was up: {error}");
            return;
        }
        Ok(channel) => channel,
    };
    match get_provider_schema(channel).await {
        Ok(response) => {
            panic!("an unauthenticated client got a schema with {} resource types", response.resource_schemas.len())
        }
        Err(status) => eprintln!("rejected at the first call: {status}"),
    }
}

#[tokio::test]
async fn foreign_or_missing_client_certificate_is_rejected() {
    let client = terraform_client_identity();
    let plugin = Plugin::launch(&client);

    let stranger = terraform_client_identity(); // same shape, different key: not the pinned one
    assert_ne!(stranger.cert, client.cert);
    assert_rejected(&plugin, Some(&stranger)).await;
    assert_rejected(&plugin, None).await;

    // Rejections must not take the server down: Terraform's own connection still works.
    let tls = plugin.connect_tls(Some(&client)).await.expect("mTLS handshake");
    let channel = grpc_channel(tls).await.expect("HTTP/2 connection");
    get_provider_schema(channel).await.expect("the pinned client is still served");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_exits_with_status_zero_within_two_seconds() {
    let client = terraform_client_identity();
    let mut plugin = Plugin::launch(&client);
    let socket = plugin.socket_path();

    let tls = plugin.connect_tls(Some(&client)).await.expect("mTLS handshake");
    let channel = grpc_channel(tls).await.expect("HTTP/2 connection");
    // Terraform holds StreamStdio and the broker stream open when it calls Shutdown; they must
    // not delay the exit.
    let (_stdio, _broker) = open_terraform_streams(channel.clone()).await;

    let sent = Instant::now();
    match tokio::time::timeout(CALL_TIMEOUT, plugin_shutdown(channel)).await {
        Err(_) => panic!("Shutdown neither answered nor failed within {CALL_TIMEOUT:?}"),
        Ok(Ok(())) => eprintln!("Shutdown returned OK after {:?}", sent.elapsed()),
        // The process may exit before the reply is flushed; go-plugin ignores this error.
        Ok(Err(status)) => {
            assert!(
                matches!(status.code(), tonic::Code::Unavailable | tonic::Code::Unknown),
                "Shutdown failed other than by the connection closing: {status}"
            );
            eprintln!("Shutdown: connection closed ({status}) after {:?}", sent.elapsed());
        }
    }
    // go-plugin's Kill waits 2 s after Close (the Shutdown call) returns, then kills.
    let returned = Instant::now();
    let status = tokio::task::block_in_place(|| plugin.child.wait_timeout(Duration::from_secs(2)))
        .unwrap_or_else(|| panic!("still running 2 s after Shutdown returned"));
    eprintln!(
        "exited with {status} {:?} after Shutdown returned ({:?} after it was sent)",
        returned.elapsed(),
        sent.elapsed()
    );
    assert!(status.success(), "exit status after Shutdown: {status}");
    assert!(!socket.exists(), "the unix socket {socket:?} is removed on exit");
}
