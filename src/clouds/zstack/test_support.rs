//! The shared test server with ZStack's replies, and clients for it.

use std::time::Duration;

use url::Url;

use super::*;
pub use crate::clouds::test_server::{Reply, Seen, Server, fast_retry, ok};
use crate::clouds::waiter::PollPolicy;

pub const ACCOUNT: &str = "admin";
pub const PASSWORD: &str = "password";
pub const PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
pub const AK_ID: &str = "TETHERZSTACKAK";
pub const AK_SECRET: &str = "zstack-ak-s3cr3t-do-not-log";
pub const PROJECT: &str = "6a1f0c2b3d4e4f5a8b9c0d1e2f3a4b01";
pub const ORG: &str = "7b2e1d3c4f5a4b6c9d0e1f2a3b4c5d02";

/// ZStack's login call, for handlers and assertions.
pub trait SeenLogin {
    fn is_login(&self) -> bool;
}

impl SeenLogin for Seen {
    fn is_login(&self) -> bool {
        self.line() == "PUT /zstack/v1/accounts/login"
    }
}

pub trait ServerLogins {
    /// How many logins the server saw.
    fn logins(&self) -> usize;
}

impl ServerLogins for Server {
    fn logins(&self) -> usize {
        self.seen().iter().filter(|s| s.is_login()).count()
    }
}

pub fn zs_error(status: u16, code: &str, description: &str, details: &str) -> Reply {
    Reply::Json(
        status,
        serde_json::json!({"error": {"code": code, "description": description,
            "details": details, "elaboration": null, "opaque": null, "cause": null}}),
    )
}

pub fn projects_reply() -> Reply {
    ok(serde_json::json!({"inventories": [{"uuid": PROJECT, "name": "payments", "state": "Enabled"}]}))
}

pub fn accepted(location: String) -> Reply {
    Reply::Json(202, serde_json::json!({ "location": location }))
}

pub fn session_reply(uuid: &str) -> Reply {
    ok(serde_json::json!({"inventory": {"uuid": uuid,
        "accountUuid": "36c27e8ff05c4780bf6d2fa65700f22e", "userUuid": "36c27e8ff05c4780bf6d2fa65700f22e",
        "expiredDate": "Nov 14, 2017 12:20:57 AM", "createDate": "Nov 14, 2017 10:20:57 PM"}}))
}

pub fn fast_poll() -> PollPolicy {
    PollPolicy {
        initial_delay: Duration::ZERO,
        interval: Duration::from_millis(2),
        max_interval: Duration::from_millis(5),
        multiplier: 1.5,
    }
}

pub fn account_client(url: &Url) -> ZStackClient {
    ZStackClient::new(ZStackConfig {
        endpoint: url.clone(),
        auth: ZStackAuth::Account { account_name: ACCOUNT.into(), password: Secret::new(PASSWORD) },
        retry: fast_retry(),
    })
    .unwrap()
}

pub fn access_key_client(url: &Url) -> ZStackClient {
    ZStackClient::new(ZStackConfig {
        endpoint: url.clone(),
        auth: ZStackAuth::AccessKey { access_key_id: AK_ID.into(), access_key_secret: Secret::new(AK_SECRET) },
        retry: fast_retry(),
    })
    .unwrap()
}

/// A location on an address the test server does not listen on: polls must go to the
/// configured endpoint instead.
pub fn internal_location(job: &str) -> String {
    format!("http://10.255.255.1:8080/zstack/v1/api-jobs/{job}")
}
