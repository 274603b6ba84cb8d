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
    TestEmulator {
        addr,
        base: format!("http://{addr}"),
        emulator,
        server,
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

impl TestEmulator {
    pub fn client(&self) -> TcClient {
        TcClient::new(self.addr, SECRET_ID, SECRET_KEY, None)
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let resp = http()
            .get(format!("{}/_emulator/{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = http()
            .post(format!("{}/_emulator/{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn admin_delete(&self, path: &str) -> Value {
        let resp = http()
            .delete(format!("{}/_emulator/{path}", self.base))
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success(),
            "DELETE {path}: {}",
            resp.status()
        );
        resp.json().await.unwrap()
    }

    pub async fn calls(&self, action: &str) -> Vec<Value> {
        let calls = self
            .admin_get(&format!("calls?cloud=tencent&action={action}"))
            .await;
        calls.as_array().unwrap().clone()
    }
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
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
    pub fn signed_headers(
        &self,
        method: &str,
        action: &str,
        query: &str,
        body: &[u8],
    ) -> Vec<(String, String)> {
        let timestamp = unix_now() + self.skew_secs;
        let date = time::OffsetDateTime::from_unix_timestamp(timestamp)
            .unwrap()
            .date();
        let date = format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        );
        let host = self.addr.to_string();
        let content_type = if method == "GET" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        let (canonical_headers, signed_headers) = if self.sign_action {
            (
                format!(
                    "content-type:{content_type}\nhost:{host}\nx-tc-action:{}\n",
                    action.to_lowercase()
                ),
                "content-type;host;x-tc-action",
            )
        } else {
            (
                format!("content-type:{content_type}\nhost:{host}\n"),
                "content-type;host",
            )
        };
        let payload_hash = if self.unsigned_payload {
            hex_sha256(b"UNSIGNED-PAYLOAD")
        } else if method == "GET" {
            hex_sha256(b"")
        } else {
            hex_sha256(body)
        };
        let canonical =
            format!("{method}\n/\n{query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}");
        let scope = format!("{date}/{}/tc3_request", self.service);
        let to_sign = format!(
            "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
            hex_sha256(canonical.as_bytes())
        );
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
            headers.push((
                "X-TC-Content-SHA256".to_owned(),
                "UNSIGNED-PAYLOAD".to_owned(),
            ));
        }
        headers
    }

    /// POSTs `body` (raw bytes) and returns the transport result.
    pub async fn post_raw(
        &self,
        action: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let mut request = self.http.post(format!("http://{}/", self.addr));
        for (name, value) in self.signed_headers("POST", action, "", &body) {
            request = request.header(name, value);
        }
        request.body(body).send().await
    }

    /// POSTs JSON params and returns the `Response` object; panics on a transport error.
    pub async fn call(&self, action: &str, params: Value) -> Value {
        let resp = self
            .post_raw(action, serde_json::to_vec(&params).unwrap())
            .await
            .expect("transport ok");
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
    assert_eq!(
        resp.status(),
        200,
        "Tencent answers everything with HTTP 200"
    );
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
    assert_eq!(
        error_code(response),
        Some(code),
        "unexpected answer: {response}"
    );
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
    response["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["OrgSubAccountUin"].as_i64().unwrap())
        .collect()
}
