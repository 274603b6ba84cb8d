//! Test helpers: an in-process emulator on a loopback port, and a small independent TC3 signer
//! (deliberately not the emulator's own code, so a bug there cannot hide itself).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tether_emulator::{Config, Emulator};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const SECRET_ID: &str = "AKIDtetheremulator00000000000000000";
pub const SECRET_KEY: &str = "tether-emulator-tencent-secret-key";
pub const TEMP_SECRET_ID: &str = "AKIDtethertemporary0000000000000000";
pub const TEMP_SECRET_KEY: &str = "tether-emulator-tencent-temp-key";
pub const TEMP_TOKEN: &str = "tether-emulator-tencent-token";

pub const MEMBER: i64 = 100_000_000_101;
pub const MEMBER2: i64 = 100_000_000_102;
pub const ADMIN_POLICY: i64 = 1001;
pub const SUB: i64 = 200_000_000_001;

pub struct TestEmulator {
    pub addr: SocketAddr,
    pub base: String,
    pub emulator: Arc<Emulator>,
    server: JoinHandle<()>,
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn start() -> TestEmulator {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> TestEmulator {
    let emulator = Emulator::new(config).expect("emulator starts");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = emulator.clone();
    let server = tokio::spawn(async move {
        tether_emulator::serve(listener, served).await.unwrap();
    });
    TestEmulator { addr, base: format!("http://{addr}"), emulator, server }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl TestEmulator {
    pub fn client(&self) -> TcClient {
        TcClient::new(self.addr, SECRET_ID, SECRET_KEY, None)
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let resp = http().get(format!("{}/_emulator/{path}", self.base)).send().await.unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = http().post(format!("{}/_emulator/{path}", self.base)).json(&body).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn admin_delete(&self, path: &str) -> Value {
        let resp = http().delete(format!("{}/_emulator/{path}", self.base)).send().await.unwrap();
        assert!(resp.status().is_success(), "DELETE {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn calls(&self, action: &str) -> Vec<Value> {
        let calls = self.admin_get(&format!("calls?cloud=tencent&action={action}")).await;
        calls.as_array().unwrap().clone()
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// One request to sign: everything the TC3 signature covers, plus knobs to break it on purpose.
#[derive(Clone)]
pub struct TcClient {
    /// One client per TcClient: connection reuse keeps 21 calls well inside one second.
    pub http: reqwest::Client,
    pub addr: SocketAddr,
    pub secret_id: String,
    pub secret_key: String,
    pub token: Option<String>,
    pub version: Option<String>,
    pub service: String,
    /// Added to the current time for X-TC-Timestamp.
    pub skew_secs: i64,
    /// Sign `x-tc-action` too (the current documentation's style) instead of the SDK's two headers.
    pub sign_action: bool,
    pub unsigned_payload: bool,
}

impl TcClient {
    pub fn new(addr: SocketAddr, secret_id: &str, secret_key: &str, token: Option<&str>) -> Self {
        TcClient {
            http: http(),
            addr,
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: token.map(Into::into),
            version: Some("2021-03-31".into()),
            service: "organization".into(),
            skew_secs: 0,
            sign_action: false,
            unsigned_payload: false,
        }
    }

    /// Headers for a request with `method`, raw `query` and `body`.
    pub fn signed_headers(&self, method: &str, action: &str, query: &str, body: &[u8]) -> Vec<(String, String)> {
        let timestamp = unix_now() + self.skew_secs;
        let date = time::OffsetDateTime::from_unix_timestamp(timestamp).unwrap().date();
        let date = format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day());
        let host = self.addr.to_string();
        let content_type = if method == "GET" { "application/x-www-form-urlencoded" } else { "application/json" };
        let (canonical_headers, signed_headers) = if self.sign_action {
            (
                format!("content-type:{content_type}\nhost:{host}\nx-tc-action:{}\n", action.to_lowercase()),
                "content-type;host;x-tc-action",
            )
        } else {
            (format!("content-type:{content_type}\nhost:{host}\n"), "content-type;host")
        };
        let payload_hash = if self.unsigned_payload {
            hex_sha256(b"UNSIGNED-PAYLOAD")
        } else if method == "GET" {
            hex_sha256(b"")
        } else {
            hex_sha256(body)
        };
        let canonical = format!("{method}\n/\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
        let scope = format!("{date}/{}/tc3_request", self.service);
        let to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}", hex_sha256(canonical.as_bytes()));
        let k_date = hmac(format!("TC3{}", self.secret_key).as_bytes(), &date);
        let k_service = hmac(&k_date, &self.service);
        let k_signing = hmac(&k_service, "tc3_request");
        let signature = hex::encode(hmac(&k_signing, &to_sign));

        let mut headers = vec![
            (
                "Authorization".to_owned(),
                format!(
                    "TC3-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                    self.secret_id
                ),
            ),
            ("Content-Type".to_owned(), content_type.to_owned()),
            ("Host".to_owned(), host),
            ("X-TC-Action".to_owned(), action.to_owned()),
            ("X-TC-Timestamp".to_owned(), timestamp.to_string()),
        ];
        if let Some(version) = &self.version {
            headers.push(("X-TC-Version".to_owned(), version.clone()));
        }
        if let Some(token) = &self.token {
            headers.push(("X-TC-Token".to_owned(), token.clone()));
        }
        if self.unsigned_payload {
            headers.push(("X-TC-Content-SHA256".to_owned(), "UNSIGNED-PAYLOAD".to_owned()));
        }
        headers
    }

    /// POSTs `body` (raw bytes) and returns the transport result.
    pub async fn post_raw(&self, action: &str, body: Vec<u8>) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self.http.post(format!("http://{}/", self.addr));
        for (name, value) in self.signed_headers("POST", action, "", &body) {
            request = request.header(name, value);
        }
        request.body(body).send().await
    }

    /// POSTs JSON params and returns the `Response` object; panics on a transport error.
    pub async fn call(&self, action: &str, params: Value) -> Value {
        let resp = self.post_raw(action, serde_json::to_vec(&params).unwrap()).await.expect("transport ok");
        response_object(resp).await
    }

    /// GET with the params in the query string, as the SDK sends them.
    pub async fn call_get(&self, action: &str, query: &str) -> Value {
        let mut request = self.http.get(format!("http://{}/?{query}", self.addr));
        for (name, value) in self.signed_headers("GET", action, query, b"") {
            request = request.header(name, value);
        }
        response_object(request.send().await.expect("transport ok")).await
    }
}

/// Checks the envelope invariants and returns `Response`.
pub async fn response_object(resp: reqwest::Response) -> Value {
    assert_eq!(resp.status(), 200, "Tencent answers everything with HTTP 200");
    assert_eq!(resp.headers()["content-type"], "application/json");
    let body: Value = resp.json().await.unwrap();
    let response = body["Response"].clone();
    let request_id = response["RequestId"].as_str().expect("RequestId present");
    let parsed = uuid::Uuid::parse_str(request_id).expect("RequestId is a UUID");
    assert_eq!(parsed.get_version_num(), 4);
    response
}

/// The error code of a `Response`, or None for a success.
pub fn error_code(response: &Value) -> Option<&str> {
    response.get("Error").map(|e| e["Code"].as_str().unwrap())
}

pub fn assert_error(response: &Value, code: &str) {
    assert_eq!(error_code(response), Some(code), "unexpected answer: {response}");
    assert!(!response["Error"]["Message"].as_str().unwrap().is_empty());
}

pub fn assert_ok(response: &Value) {
    assert_eq!(error_code(response), None, "unexpected error: {response}");
}

pub fn bind_params(member: i64, policy: i64, subs: &[i64]) -> Value {
    serde_json::json!({"MemberUin": member, "PolicyId": policy, "OrgSubAccountUins": subs})
}

pub fn cancel_params(member: i64, policy: i64, sub: i64) -> Value {
    serde_json::json!({"MemberUin": member, "PolicyId": policy, "OrgSubAccountUin": sub})
}

pub fn describe_params(member: i64, policy: i64, offset: i64, limit: i64) -> Value {
    serde_json::json!({"MemberUin": member, "PolicyId": policy, "Offset": offset, "Limit": limit})
}

pub fn item_uins(response: &Value) -> Vec<i64> {
    response["Items"].as_array().unwrap().iter().map(|i| i["OrgSubAccountUin"].as_i64().unwrap()).collect()
}

// ---------------------------------------------------------------------------------------------
// Huawei Cloud: fixture values and a small independent SDK-HMAC-SHA256 signer.

pub const HW_MGMT: &str = "0a5f1c2e9b7d4e3f8a6c1b2d3e4f5a60";
pub const HW_FINANCE: &str = "1b6e2d3f0c8e4f5a9b7d2c3e4f5a6b71";
pub const HW_DATA: &str = "2c7f3e4a1d9f4a6b8c8e3d4f5a6b7c82";
pub const HW_NEWACQ: &str = "3d8a4f5b2e0a4b7c9d9f4e5a6b7c8d93";
pub const HW_LONE: &str = "4e9b5a6c3f1b4c8d8e0a5f6b7c8d9ea4";
pub const HW_MGMT_PROJECT: &str = "5f0c6b7d4a2c4d9e8f1b6a7c8d9e0fb5";
pub const HW_ORG: &str = "o-tether0001";
pub const HW_HANDSHAKE: &str = "h-7c1e0a9b2d4f4e6a";
pub const HW_INSTANCE: &str = "ins-tether00000001";
pub const HW_STORE: &str = "d-tether00001";
pub const HW_TEMP_AK: &str = "HWTETHERTEMPMGMT0001";
pub const HW_TEMP_SK: &str = "tether-emulator-huawei-temp-sk";
pub const HW_TEMP_TOKEN: &str = "tether-emulator-huawei-security-token";

/// (account id, AK, SK) of each fixture account.
pub const HW_KEYS: [(&str, &str, &str); 5] = [
    (HW_MGMT, "HWTETHERMANAGEMENT01", "tether-emulator-huawei-management-sk"),
    (HW_FINANCE, "HWTETHERFINANCEPROD1", "tether-emulator-huawei-finance-prod-sk"),
    (HW_DATA, "HWTETHERDATAPLATFRM1", "tether-emulator-huawei-data-platform-sk"),
    (HW_NEWACQ, "HWTETHERNEWACQUISIT1", "tether-emulator-huawei-new-acquisition-sk"),
    (HW_LONE, "HWTETHERLONEWOLF0001", "tether-emulator-huawei-lone-wolf-sk"),
];

/// Short job durations so async tests stay fast.
pub fn hw_config() -> Config {
    Config { huawei_operation_ms: 700, huawei_assignment_ms: 500, ..Config::default() }
}

/// A Huawei answer: status, JSON body (Null when empty) and the X-Request-Id header.
#[derive(Debug, Clone)]
pub struct HwAnswer {
    pub status: u16,
    pub body: Value,
    pub request_id: String,
}

impl HwAnswer {
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "unexpected answer: {self:?}");
        &self.body
    }

    /// Asserts an error answer with `status` and `code`, and the envelope's invariants.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["error_code"].as_str()),
            (status, Some(code)),
            "unexpected answer: {self:?}"
        );
        assert_eq!(self.body["request_id"], self.request_id.as_str());
        assert!(!self.body["error_msg"].as_str().unwrap().is_empty());
    }

    pub fn message(&self) -> &str {
        self.body["error_msg"].as_str().unwrap_or_default()
    }
}

/// Signs like the official SDKs: canonical request over the path (with the trailing slash), the
/// sorted query, every header it sends, and the body hash.
#[derive(Clone)]
pub struct HwClient {
    pub http: reqwest::Client,
    pub addr: SocketAddr,
    pub ak: String,
    pub sk: String,
    pub token: Option<String>,
    /// Sent as X-Domain-Id (GlobalCredentials).
    pub domain_id: Option<String>,
    /// Sent as X-Project-Id (BasicCredentials).
    pub project_id: Option<String>,
    /// Added to the current time for X-Sdk-Date.
    pub skew_secs: i64,
}

impl HwClient {
    pub fn new(addr: SocketAddr, ak: &str, sk: &str) -> Self {
        HwClient {
            http: http(),
            addr,
            ak: ak.into(),
            sk: sk.into(),
            token: None,
            domain_id: None,
            project_id: None,
            skew_secs: 0,
        }
    }

    /// The permanent credential of fixture account `account_id`.
    pub fn of(addr: SocketAddr, account_id: &str) -> Self {
        let (_, ak, sk) = HW_KEYS.iter().find(|(id, _, _)| *id == account_id).expect("a fixture account");
        HwClient::new(addr, ak, sk)
    }

    fn encode(text: &str) -> String {
        let mut out = String::new();
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                out.push(byte as char);
            } else {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
        out
    }

    /// The signed headers for `method path?query` with `body`.
    pub fn headers(&self, method: &str, path: &str, query: &str, body: &[u8]) -> Vec<(String, String)> {
        let date = time::OffsetDateTime::now_utc() + time::Duration::seconds(self.skew_secs);
        let sdk_date = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            date.year(),
            u8::from(date.month()),
            date.day(),
            date.hour(),
            date.minute(),
            date.second()
        );
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "application/json".into()),
            ("host".into(), self.addr.to_string()),
            ("x-sdk-date".into(), sdk_date.clone()),
        ];
        if let Some(token) = &self.token {
            headers.push(("x-security-token".into(), token.clone()));
        }
        if let Some(domain) = &self.domain_id {
            headers.push(("x-domain-id".into(), domain.clone()));
        }
        if let Some(project) = &self.project_id {
            headers.push(("x-project-id".into(), project.clone()));
        }
        headers.sort();
        let mut uri: String = path.split('/').map(Self::encode).collect::<Vec<_>>().join("/");
        if !uri.ends_with('/') {
            uri.push('/');
        }
        let mut pairs: Vec<(&str, &str)> =
            query.split('&').filter(|p| !p.is_empty()).map(|p| p.split_once('=').unwrap_or((p, ""))).collect();
        pairs.sort();
        let canonical_query =
            pairs.iter().map(|(k, v)| format!("{}={}", Self::encode(k), Self::encode(v))).collect::<Vec<_>>().join("&");
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        let signed = signed.join(";");
        let canonical =
            format!("{method}\n{uri}\n{canonical_query}\n{canonical_headers}\n{signed}\n{}", hex_sha256(body));
        let to_sign = format!("SDK-HMAC-SHA256\n{sdk_date}\n{}", hex_sha256(canonical.as_bytes()));
        let signature = hex::encode(hmac(self.sk.as_bytes(), &to_sign));
        headers.retain(|(k, _)| k != "host");
        headers.push((
            "authorization".into(),
            format!("SDK-HMAC-SHA256 Access={}, SignedHeaders={signed}, Signature={signature}", self.ak),
        ));
        headers
    }

    /// Sends a signed request; `path_and_query` is e.g. `/v1/instances?limit=1` (query values are
    /// sent as written, so keep them URL-safe).
    pub async fn send_raw(
        &self,
        method: &str,
        path_and_query: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let url = format!("http://{}{path_and_query}", self.addr);
        let mut request = self.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        for (name, value) in self.headers(method, path, query, &body) {
            request = request.header(name, value);
        }
        request.body(body).send().await
    }

    pub async fn call(&self, method: &str, path_and_query: &str, body: Option<Value>) -> HwAnswer {
        let body = body.map(|b| serde_json::to_vec(&b).unwrap()).unwrap_or_default();
        let resp = self.send_raw(method, path_and_query, body).await.expect("transport ok");
        hw_answer(resp).await
    }

    pub async fn get(&self, path_and_query: &str) -> HwAnswer {
        self.call("GET", path_and_query, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> HwAnswer {
        self.call("POST", path, Some(body)).await
    }

    /// POST without a body (leave, accept, un-enroll…).
    pub async fn post_empty(&self, path: &str) -> HwAnswer {
        self.call("POST", path, None).await
    }
}

pub async fn hw_answer(resp: reqwest::Response) -> HwAnswer {
    let status = resp.status().as_u16();
    let request_id =
        resp.headers().get("x-request-id").expect("every Huawei answer has X-Request-Id").to_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 32, "{request_id}");
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    HwAnswer { status, body, request_id }
}

impl TestEmulator {
    pub fn hw(&self, account_id: &str) -> HwClient {
        HwClient::of(self.addr, account_id)
    }

    pub async fn hw_calls(&self, action: &str) -> Vec<Value> {
        let calls = self.admin_get(&format!("calls?cloud=huawei&action={action}")).await;
        calls.as_array().unwrap().clone()
    }
}

/// Polls `GET path` every 50 ms until `field` of the answer is no longer IN_PROGRESS; returns
/// every answer seen (the last one final). Gives up after 10 s.
pub async fn hw_poll(client: &HwClient, path: &str, pointer: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    loop {
        let answer = client.get(path).await;
        let body = answer.ok().clone();
        let status = body.pointer(pointer).and_then(Value::as_str).unwrap_or("").to_owned();
        seen.push(body);
        if status != "IN_PROGRESS" {
            return seen;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{path} never finished");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// ZStack: fixture values, a small independent AccessKey signer and a login helper.

pub const ZS_ADMIN: &str = "admin";
pub const ZS_PASSWORD: &str = "password";
pub const ZS_ADMIN_UUID: &str = "36c27e8ff05c4780bf6d2fa65700f22e";
pub const ZS_ACCESS_KEY_ID: &str = "TETHERZSTACKACCESSKEY1";
pub const ZS_ACCESS_KEY_SECRET: &str = "tether-emulator-zstack-access-key-secret";
pub const ZS_DISABLED_KEY_ID: &str = "TETHERZSTACKDISABLED01";
pub const ZS_DISABLED_KEY_SECRET: &str = "tether-emulator-zstack-disabled-secret";
pub const ZS_PAYMENTS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
pub const ZS_ANALYTICS: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b02";
pub const ZS_SANDBOX: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b03";
pub const ZS_LEGACY_ERP: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b04";
pub const ZS_TETHER_CORP: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d01";
pub const ZS_FINANCE: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";
pub const ZS_ENGINEERING: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d03";
pub const ZS_ATTACH: &str = "AttachIAM2ProjectToIAM2Organization";
pub const ZS_DETACH: &str = "DetachIAM2ProjectFromIAM2Organization";

/// Short jobs so async tests stay fast.
pub fn zs_config() -> Config {
    Config { zstack_job_ms: 400, ..Config::default() }
}

/// Lower-case hex SHA-512, as `LogInByAccount` wants the password.
pub fn sha512_hex(text: &str) -> String {
    hex::encode(sha2::Sha512::digest(text.as_bytes()))
}

/// An HTTP date in the `Mon, 02 Jan 2006 15:04:05 GMT` form, `skew_secs` from now.
pub fn http_date(skew_secs: i64) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(skew_secs);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[at.weekday().number_days_from_monday() as usize],
        at.day(),
        MONTHS[u8::from(at.month()) as usize - 1],
        at.year(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Base64(HMAC-SHA1(secret, METHOD\nDate\nURI)).
pub fn zs_signature(secret: &str, method: &str, date: &str, uri: &str) -> String {
    use base64::Engine;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{method}\n{date}\n{uri}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// How a ZStack test client authenticates.
#[derive(Clone, Debug)]
pub enum ZsAuth {
    None,
    /// `Authorization: OAuth <uuid>`.
    Session(String),
    /// `X-Session-Id: <uuid>` only (what the Go SDK sends besides Authorization).
    SessionHeader(String),
    AccessKey {
        id: String,
        secret: String,
        /// Added to the current time for the Date header.
        skew_secs: i64,
    },
}

/// A ZStack answer: status and JSON body (Null when empty).
#[derive(Debug, Clone)]
pub struct ZsAnswer {
    pub status: u16,
    pub body: Value,
}

impl ZsAnswer {
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "unexpected answer: {self:?}");
        &self.body
    }

    /// Asserts an error answer with `status` and `code`, and the error object's shape.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.body["error"]["code"].as_str()),
            (status, Some(code)),
            "unexpected answer: {self:?}"
        );
        let error = self.body["error"].as_object().unwrap();
        for key in ["elaboration", "opaque", "cause"] {
            assert_eq!(error[key], Value::Null, "{key}");
        }
        assert!(!self.description().is_empty() && !self.details().is_empty());
    }

    pub fn description(&self) -> &str {
        self.body["error"]["description"].as_str().unwrap_or_default()
    }

    pub fn details(&self) -> &str {
        self.body["error"]["details"].as_str().unwrap_or_default()
    }

    /// The job location of a 202.
    #[track_caller]
    pub fn location(&self) -> String {
        assert_eq!(self.status, 202, "unexpected answer: {self:?}");
        self.body["location"].as_str().unwrap().to_owned()
    }
}

#[derive(Clone)]
pub struct ZsClient {
    pub http: reqwest::Client,
    pub addr: SocketAddr,
    pub auth: ZsAuth,
    /// Extra headers (e.g. X-Job-UUID).
    pub headers: Vec<(String, String)>,
}

impl ZsClient {
    pub fn new(addr: SocketAddr, auth: ZsAuth) -> Self {
        ZsClient { http: http(), addr, auth, headers: Vec::new() }
    }

    /// Sends `method` to `/zstack` + `path_and_query` (e.g. `/v1/iam2/projects?q=name=x`; query
    /// values are sent as written, so keep them URL-safe).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let url = format!("http://{}/zstack{path_and_query}", self.addr);
        let mut request = self.http.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        match &self.auth {
            ZsAuth::None => {}
            ZsAuth::Session(uuid) => request = request.header("Authorization", format!("OAuth {uuid}")),
            ZsAuth::SessionHeader(uuid) => request = request.header("X-Session-Id", uuid),
            ZsAuth::AccessKey { id, secret, skew_secs } => {
                let date = http_date(*skew_secs);
                let path = path_and_query.split('?').next().unwrap();
                let signature = zs_signature(secret, method, &date, path);
                request = request.header("Authorization", format!("ZStack {id}:{signature}")).header("Date", date);
            }
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.header("Content-Type", "application/json").body(serde_json::to_vec(&body).unwrap());
        }
        request.send().await
    }

    pub async fn call(&self, method: &str, path_and_query: &str, body: Option<Value>) -> ZsAnswer {
        let resp = self.send(method, path_and_query, body).await.expect("transport ok");
        zs_answer(resp).await
    }

    pub async fn get(&self, path_and_query: &str) -> ZsAnswer {
        self.call("GET", path_and_query, None).await
    }

    pub async fn attach(&self, project: &str, organization: &str) -> ZsAnswer {
        self.call(
            "POST",
            &format!("/v1/iam2/projects/{project}/iam2/organizations/{organization}"),
            Some(serde_json::json!({"params": {}, "systemTags": [], "userTags": []})),
        )
        .await
    }

    pub async fn detach(&self, project: &str) -> ZsAnswer {
        self.call("DELETE", &format!("/v1/iam2/projects/{project}/iam2/organizations"), None).await
    }

    /// The organization uuids of `project`'s refs.
    pub async fn organization_of(&self, project: &str) -> Vec<String> {
        let answer = self.get(&format!("/v1/iam2/projects/organizations/refs?q=projectUuid={project}")).await;
        answer.ok()["inventories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["organizationUuid"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub async fn zs_answer(resp: reqwest::Response) -> ZsAnswer {
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        assert!(content_type.starts_with("application/json"), "{content_type}");
        serde_json::from_str(&text).unwrap()
    };
    ZsAnswer { status, body }
}

impl TestEmulator {
    pub fn zs(&self, auth: ZsAuth) -> ZsClient {
        ZsClient::new(self.addr, auth)
    }

    /// A client with the fixture AccessKey.
    pub fn zs_key(&self) -> ZsClient {
        self.zs(ZsAuth::AccessKey { id: ZS_ACCESS_KEY_ID.into(), secret: ZS_ACCESS_KEY_SECRET.into(), skew_secs: 0 })
    }

    /// Logs in as `account` with `password` (plaintext; sent as its SHA-512).
    pub async fn zs_login_as(&self, account: &str, password: &str) -> ZsAnswer {
        self.zs(ZsAuth::None)
            .call(
                "PUT",
                "/v1/accounts/login",
                Some(serde_json::json!({"logInByAccount": {"accountName": account, "password": sha512_hex(password)}})),
            )
            .await
    }

    /// A client with a fresh admin session.
    pub async fn zs_session(&self) -> ZsClient {
        let answer = self.zs_login_as(ZS_ADMIN, ZS_PASSWORD).await;
        let uuid = answer.ok()["inventory"]["uuid"].as_str().unwrap().to_owned();
        self.zs(ZsAuth::Session(uuid))
    }

    pub async fn zs_calls(&self, action: &str) -> Vec<Value> {
        let calls = self.admin_get(&format!("calls?cloud=zstack&action={action}")).await;
        calls.as_array().unwrap().clone()
    }
}

/// Polls a job location every 50 ms until it is no longer 202; returns the final answer and how
/// many 202s were seen. Gives up after 10 s.
pub async fn zs_wait(location: &str) -> (ZsAnswer, usize) {
    let client = http();
    let started = std::time::Instant::now();
    let mut running = 0;
    loop {
        let answer = zs_answer(client.get(location).send().await.unwrap()).await;
        if answer.status != 202 {
            return (answer, running);
        }
        assert_eq!(answer.body, serde_json::json!({}), "a running job answers {{}}");
        running += 1;
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{location} never finished");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
