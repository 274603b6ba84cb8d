//! How the provider trusts the network, through the real Terraform CLI (issue 13, items 6 and 7):
//! redirects are refused and followed nowhere, a private CA is trusted only through
//! `ca_cert_file`, a machine without a CA store gets a clear error, and plain `http://` to another
//! machine is warned about at plan time.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{
    Emulator, HW_FINANCE_PROD as HW_MEMBER, REQUIRED_PROVIDERS, TENCENT_SECRET_ID, TENCENT_SECRET_KEY, Workspace,
};

const APPLY: &[&str] = &["apply", "-auto-approve", "-no-color", "-input=false"];
const PLAN: &[&str] = &["plan", "-no-color", "-input=false"];

const PROJECT: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
const ORGANIZATION: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03";

fn binding() -> &'static str {
    "resource \"tether_member_auth_binding\" \"x\" {\n  member_uin          = 100000000103\n  policy_id           = 1002\n  org_sub_account_uin = 200000000008\n}\n"
}

fn project_link() -> String {
    format!(
        "resource \"tether_iam2_project_organization\" \"p\" {{\n  project_uuid      = \"{PROJECT}\"\n  organization_uuid = \"{ORGANIZATION}\"\n}}\n"
    )
}

fn zstack_provider(endpoint: &str, extra: &str) -> String {
    format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  zstack {{\n    endpoint         = \"{endpoint}\"\n    account_name     = \"admin\"\n    account_password = \"password\"\n{extra}  }}\n}}\n"
    )
}

/// Reads one HTTP/1.1 request (head and Content-Length body); `None` at end of stream.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return Some(head);
            }
        }
    }
}

/// Answers every request with a 307 to `location`, recording each request's first line and
/// API action (Tencent's `X-TC-Action`, else the path).
struct Redirector {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Redirector {
    fn start(location: String) -> Redirector {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, location) = (seen.clone(), location.clone());
                std::thread::spawn(move || {
                    let mut stream = stream;
                    while let Some(head) = read_request(&mut stream) {
                        let action = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase().starts_with("x-tc-action:").then(|| l[12..].trim().to_string())
                            })
                            .unwrap_or_else(|| head.lines().next().unwrap_or_default().to_string());
                        seen.lock().unwrap().push(action);
                        let answer = format!(
                            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                        );
                        if stream.write_all(answer.as_bytes()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Redirector { addr, requests }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Where a followed redirect would land: counts connections and bytes, answers nothing.
struct Sink {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
}

impl Sink {
    fn start() -> Sink {
        // Another loopback address, as a stand-in for another host.
        let listener = TcpListener::bind("127.0.0.2:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (connections, bytes) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, b) = (connections.clone(), bytes.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let b = b.clone();
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut chunk = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut chunk) {
                        if n == 0 {
                            break;
                        }
                        b.fetch_add(n, Ordering::SeqCst);
                    }
                });
            }
        });
        Sink { addr, connections, bytes }
    }
}

#[test]
fn redirects_fail_naming_the_status_and_host_and_nothing_reaches_the_other_host() {
    let sink = Sink::start();
    // The Location carries what a collector would want back; it must not be echoed either.
    let redirector =
        Redirector::start(format!("http://{}/collect?session=0b7c3d2e1f8a4b6c9d0e1f2a3b4c5d61", sink.addr));
    let endpoint = redirector.endpoint();
    let expected = format!(
        "answered 307 Temporary Redirect to host {}; cloud APIs do not redirect, so nothing was sent there. Check the endpoint URL.",
        sink.addr
    );

    let tencent = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  tencentcloud {{\n    secret_id      = \"{TENCENT_SECRET_ID}\"\n    secret_key     = \"{TENCENT_SECRET_KEY}\"\n    security_token = \"sts-session-token\"\n    endpoint       = \"{endpoint}\"\n  }}\n}}\n{}",
        binding()
    );
    let huawei = format!(
        "{REQUIRED_PROVIDERS}provider \"tether\" {{\n  huaweicloud {{\n    access_key     = \"{}\"\n    secret_key     = \"{}\"\n    security_token = \"sts-session-token\"\n    domain_id      = \"{}\"\n    endpoints {{\n      organizations = \"{endpoint}\"\n    }}\n  }}\n}}\nresource \"tether_organization_membership\" \"m\" {{}}\n",
        HW_MEMBER.access_key, HW_MEMBER.secret_key, HW_MEMBER.id
    );
    let zstack = format!("{}{}", zstack_provider(&endpoint, ""), project_link());

    for (cloud, config, first_call) in [
        ("Tencent Cloud", tencent, "BindOrganizationMemberAuthAccount"),
        ("Huawei Cloud", huawei, "GET /v1/organizations HTTP/1.1"),
        ("ZStack", zstack, "PUT /zstack/v1/accounts/login HTTP/1.1"),
    ] {
        let workspace = Workspace::new(&config);
        workspace.init();
        let before = redirector.requests().len();
        let apply = workspace.terraform(APPLY);
        apply.failure();
        let text = apply.text();
        assert!(text.contains(&format!("Error: {cloud} ")) || text.contains(&format!("{cloud} ")), "{cloud}: {text}");
        assert!(text.contains(&expected), "{cloud}: {text}");
        assert!(
            !text.contains("collect") && !text.contains("0b7c3d2e1f8a4b6c"),
            "{cloud}: the Location leaked: {text}"
        );
        let requests = redirector.requests()[before..].to_vec();
        assert_eq!(requests.first().map(String::as_str), Some(first_call), "{cloud}: {requests:?}");
        // The answer is not retried: each call reached the endpoint once.
        let mut distinct = requests.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), requests.len(), "{cloud}: a redirected call was repeated: {requests:?}");
    }
    // Give a stray connection a moment to show up before asserting there was none.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(sink.connections.load(Ordering::SeqCst), 0, "a redirect was followed");
    assert_eq!(sink.bytes.load(Ordering::SeqCst), 0);
}

/// A private CA, and a TLS front for the emulator with a certificate it issued for 127.0.0.1.
struct TlsFront {
    addr: SocketAddr,
    ca_pem: String,
    _runtime: tokio::runtime::Runtime,
}

impl TlsFront {
    fn start(backend: &str) -> TlsFront {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "tether e2e private CA");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(
                    vec![cert.der().clone()],
                    rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
                )
                .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        let backend = backend.to_string();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (acceptor, backend) = (acceptor.clone(), backend.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else { return };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { addr, ca_pem: ca.pem(), _runtime: runtime }
    }

    fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }
}

fn hcl_path(path: &Path) -> String {
    path.display().to_string().replace('\\', "/")
}

#[test]
fn a_private_ca_is_trusted_only_through_ca_cert_file() {
    let emulator = Emulator::start();
    let front = TlsFront::start(&emulator.address);
    let workspace = Workspace::new(&format!("{}{}", zstack_provider(&front.endpoint(), ""), project_link()));
    workspace.init();

    // Untrusted: one clear error naming the host and the way out, and nothing reached ZStack.
    let apply = workspace.terraform(APPLY);
    apply.failure();
    let text = apply.text();
    assert!(
        text.contains(&format!("ZStack LogInByAccount failed: the TLS certificate of {} is not trusted: ", front.addr)),
        "{text}"
    );
    assert!(text.contains("UnknownIssuer"), "{text}");
    assert!(text.contains("trust its CA with the `ca_cert_file` setting"), "{text}");
    assert!(emulator.calls("LogInByAccount").is_empty());

    // Trusted through ca_cert_file: the same apply works end to end.
    workspace.write_file("private-ca.pem", &front.ca_pem);
    let ca_file = hcl_path(&workspace.path().join("private-ca.pem"));
    workspace.write_config(&format!(
        "{}{}",
        zstack_provider(&front.endpoint(), &format!("    ca_cert_file     = \"{ca_file}\"\n")),
        project_link()
    ));
    workspace.terraform(APPLY).success();
    assert_eq!(emulator.calls("AttachIAM2ProjectToIAM2Organization").len(), 1);

    // The environment variable works as well.
    workspace.write_config(&format!("{}{}", zstack_provider(&front.endpoint(), ""), project_link()));
    workspace
        .terraform_with_env(
            &["destroy", "-auto-approve", "-no-color", "-input=false"],
            &[("ZSTACK_CA_CERT_FILE", &ca_file)],
        )
        .success();
    assert_eq!(emulator.calls("DetachIAM2ProjectFromIAM2Organization").len(), 1);

    // A bad bundle is an error at the attribute, with the expected form.
    for (name, contents, why) in [
        ("missing.pem", None, "cannot read"),
        ("empty.pem", Some(""), "holds no certificate"),
        ("key.pem", Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "holds no certificate"),
        (
            "garbage.pem",
            Some("-----BEGIN CERTIFICATE-----\nAAECAwQF\n-----END CERTIFICATE-----\n"),
            "is not a usable CA certificate",
        ),
    ] {
        if let Some(contents) = contents {
            workspace.write_file(name, contents);
        }
        let path = hcl_path(&workspace.path().join(name));
        workspace.write_config(&format!(
            "{}{}",
            zstack_provider(&front.endpoint(), &format!("    ca_cert_file     = \"{path}\"\n")),
            project_link()
        ));
        let plan = workspace.terraform(PLAN);
        plan.failure();
        let text = plan.text();
        assert!(text.contains("Error: Invalid zstack.ca_cert_file"), "{name}: {text}");
        assert!(text.contains(why), "{name}: {text}");
        assert!(text.contains("ca_cert_file = "), "{name}: the error does not point at the attribute: {text}");
        if why != "is not a usable CA certificate" {
            assert!(
                text.contains("expected a PEM file holding one or more \"-----BEGIN CERTIFICATE-----\" blocks"),
                "{name}: {text}"
            );
        }
    }
}

#[test]
fn a_machine_without_a_ca_store_gets_a_clear_error() {
    let emulator = Emulator::start();
    let front = TlsFront::start(&emulator.address);
    let workspace = Workspace::new(&format!("{}{}", zstack_provider(&front.endpoint(), ""), project_link()));
    workspace.init();
    // SSL_CERT_FILE / SSL_CERT_DIR replace the system store (rustls-native-certs): pointing them
    // at nothing is a machine with no CA certificates.
    let empty_dir = workspace.path().join("no-certs");
    std::fs::create_dir(&empty_dir).unwrap();
    let no_file = workspace.path().join("no-such-bundle.pem");
    let (no_file, empty_dir) = (hcl_path(&no_file), hcl_path(&empty_dir));
    let no_store = [("SSL_CERT_FILE", no_file.as_str()), ("SSL_CERT_DIR", empty_dir.as_str())];

    let plan = workspace.terraform_with_env(PLAN, &no_store);
    plan.failure();
    let text = plan.text();
    assert!(text.contains(&format!("Error: No CA certificates to trust {}", front.addr)), "{text}");
    assert!(text.contains("no CA certificates could be loaded from the system (SSL_CERT_FILE="), "{text}");
    assert!(text.contains("Install the system's CA certificates (the ca-certificates package), or set `ca_cert_file` in the provider's `zstack` block (or ZSTACK_CA_CERT_FILE)"), "{text}");
    assert!(!text.contains("builder error"), "{text}");

    // A CA bundle of its own is enough.
    workspace.write_file("private-ca.pem", &front.ca_pem);
    let ca_file = hcl_path(&workspace.path().join("private-ca.pem"));
    let env = [no_store[0], no_store[1], ("ZSTACK_CA_CERT_FILE", ca_file.as_str())];
    workspace.terraform_with_env(APPLY, &env).success();
    assert_eq!(emulator.calls("AttachIAM2ProjectToIAM2Organization").len(), 1);

    // Plain http endpoints (the emulator) need no CA store at all.
    let plain = Workspace::new(&format!("{}{}", support::tencent_provider(&emulator), binding()));
    plain.init();
    plain.terraform_with_env(APPLY, &no_store).success();
    assert_eq!(emulator.calls("BindOrganizationMemberAuthAccount").len(), 1);
}

#[test]
fn plain_http_to_another_host_is_warned_about_once_per_cloud_and_loopback_is_not() {
    let config = format!(
        r#"{REQUIRED_PROVIDERS}provider "tether" {{
  tencentcloud {{
    secret_id      = "{TENCENT_SECRET_ID}"
    secret_key     = "{TENCENT_SECRET_KEY}"
    security_token = "sts-session-token"
    endpoint       = "http://tether-test.invalid:8080"
  }}
  huaweicloud {{
    access_key     = "{}"
    secret_key     = "{}"
    security_token = "sts-session-token"
    domain_id      = "{}"
    endpoints {{
      organizations  = "http://tether-test.invalid:8081"
      rgc            = "https://rgc.tether-test.invalid"
      identitycenter = "http://127.0.0.1:8083"
    }}
  }}
  zstack {{
    endpoint         = "http://tether-test.invalid:8082"
    account_name     = "admin"
    account_password = "password"
  }}
}}
{}{}"#,
        HW_MEMBER.access_key,
        HW_MEMBER.secret_key,
        HW_MEMBER.id,
        binding(),
        project_link()
    );
    let workspace = Workspace::new(&config);
    workspace.init();
    let plan = workspace.terraform(PLAN);
    plan.success();
    let text = plan.text();
    for (summary, attribute, what) in [
        (
            "Tencent Cloud credentials would travel unencrypted",
            "tencentcloud.endpoint uses plain http:// to tether-test.invalid:8080",
            "every request's TC3-HMAC-SHA256 signature (with the SecretId), the temporary credentials' session token (X-TC-Token)",
        ),
        (
            "Huawei Cloud credentials would travel unencrypted",
            "huaweicloud.endpoints.organizations uses plain http:// to tether-test.invalid:8081",
            "every request's SDK-HMAC-SHA256 signature (with the access key), the temporary credentials' security token (X-Security-Token)",
        ),
        (
            "ZStack credentials would travel unencrypted",
            "zstack.endpoint uses plain http:// to tether-test.invalid:8082",
            "the login's password digest (SHA-512 of the password, which ZStack accepts in place of the password), the session id on every call",
        ),
    ] {
        assert_eq!(text.matches(&format!("Warning: {summary}")).count(), 1, "{summary}: {text}");
        assert!(text.contains(attribute), "{summary}: {text}");
        assert!(text.contains(what), "{summary}: {text}");
    }
    // Only the non-loopback http endpoints are named; nothing is folded into "similar warnings".
    assert!(!text.contains("identitycenter uses") && !text.contains("rgc uses"), "{text}");
    assert!(!text.contains("similar warning"), "{text}");

    // Loopback http (the emulator) is silent.
    let emulator = Emulator::start();
    let quiet = Workspace::new(&format!("{}{}", support::tencent_provider(&emulator), binding()));
    quiet.init();
    let plan = quiet.terraform(PLAN);
    plan.success();
    assert!(!plan.text().contains("unencrypted"), "{}", plan.text());
}
