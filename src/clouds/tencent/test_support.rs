//! Tencent's answers for the shared test server, and a configuration for it.

use std::time::Duration;

use serde_json::{Value, json};
use url::Url;

use super::{TencentConfig, TencentCredentials};
use crate::clouds::Secret;
use crate::clouds::test_server::{self, IntoReply, Seen, fast_retry};

pub const SECRET_KEY: &str = "s3cr3t-key-do-not-log";
pub const TOKEN: &str = "t0ken-do-not-log";

/// The `X-TC-Action` a request was sent with.
pub trait TencentSeen {
    fn action(&self) -> &str;
}

impl TencentSeen for Seen {
    fn action(&self) -> &str {
        self.header("x-tc-action").unwrap_or_default()
    }
}

/// Tencent's answers; the envelope's `RequestId` is `req-<index>`.
pub enum Reply {
    Ok(Value),
    ApiError(&'static str, &'static str),
    /// A status with an HTML body.
    Status(u16),
    HangUp,
    Stall,
    /// Another reply, after a pause.
    Later(Duration, Box<Reply>),
}

impl IntoReply for Reply {
    fn into_reply(self, index: usize) -> test_server::Reply {
        let request_id = format!("req-{index}");
        match self {
            Reply::Ok(mut response) => {
                response["RequestId"] = json!(request_id);
                test_server::ok(json!({ "Response": response }))
            }
            Reply::ApiError(code, message) => test_server::ok(json!({"Response": {
                "Error": {"Code": code, "Message": message}, "RequestId": request_id}})),
            Reply::Status(status) => test_server::Reply::Raw(status, "<html>gateway trouble</html>"),
            Reply::HangUp => test_server::Reply::HangUp,
            Reply::Stall => test_server::Reply::Stall,
            Reply::Later(pause, reply) => test_server::Reply::Later(pause, Box::new(reply.into_reply(index))),
        }
    }
}

pub fn config(endpoint: &Url) -> TencentConfig {
    TencentConfig {
        credentials: TencentCredentials {
            secret_id: "AKIDtest".into(),
            secret_key: Secret::new(SECRET_KEY),
            security_token: Some(Secret::new(TOKEN)),
        },
        region: None,
        endpoint: endpoint.clone(),
        retry: fast_retry(),
        coalescing: Default::default(),
    }
}

pub fn item(uin: u64, policy: u64) -> Value {
    json!({"OrgSubAccountUin": uin, "PolicyId": policy, "PolicyName": "p", "IdentityId": 1,
           "IdentityRoleName": "OrganizationAccessControlRole", "IdentityRoleAliasName": "admin",
           "CreateTime": "2021-07-14 21:00:59", "UpdateTime": "2021-07-14 21:00:59",
           "OrgSubAccountName": format!("sub-{uin}")})
}
